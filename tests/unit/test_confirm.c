/* The confirm policy (src/core/confirm.c) on a simulated device: each mode
 * confirms on its own event only, a failed confirm is retried on the next
 * page or status request, time is only what the caller passes. */
#include <stdio.h>

#include "engine_fixture.h"
#include "testutil.h"

#include "webota/confirm.h"

/* A device running a new firmware in PENDING_VERIFY (rollback on). */
static void pending_device(fx_t *f)
{
    size_t flen, len;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    uint8_t *img = fx_image("2.0", 30000, &len);
    fx_new(f, "two-ota", fimg, flen, true);
    assert_int_equal(fx_power_on(f), WEBOTA_OK);
    assert_int_equal(fx_update(f, img, len, 4096), WEBOTA_OK);
    assert_int_equal(fx_power_on(f), WEBOTA_OK);
    assert_int_equal(f->run.boot.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
    free(fimg);
    free(img);
}

static uint32_t running_state(fx_t *f)
{
    webota_slot_info_t run;
    assert_int_equal(webota_slot_running(&f->run.rules, &run), WEBOTA_OK);
    return run.state;
}

static void start(webota_confirm_t *c, fx_t *f, webota_confirm_mode_t mode, uint32_t delay_ms, uint64_t now)
{
    webota_confirm_config_t cfg;
    webota_confirm_config_init(&cfg);
    cfg.mode = mode;
    cfg.delay_ms = delay_ms;
    webota_confirm_start(c, &cfg, &f->run.rules, now);
}

static void test_first_request(void **state)
{
    (void)state;
    fx_t f;
    pending_device(&f);
    webota_confirm_t c;
    webota_confirm_config_t zero;
    memset(&zero, 0, sizeof zero); /* a zeroed config is the default: first request */
    webota_confirm_start(&c, &zero, &f.run.rules, 0);
    assert_int_equal(webota_confirm_due_in(&c, 0), UINT32_MAX);
    assert_int_equal(webota_confirm_poll(&c, 1000000), WEBOTA_CONFIRM_NOTHING);
    /* an upload, a confirm or a rollback request is not "the updater was reached" */
    assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_UPDATE, 1), WEBOTA_CONFIRM_NOTHING);
    assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_ROLLBACK, 1), WEBOTA_CONFIRM_NOTHING);
    assert_int_equal(running_state(&f), WEBOTA_OTA_STATE_PENDING_VERIFY);
    assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_PAGE, 2), WEBOTA_CONFIRM_CONFIRMED);
    assert_int_equal(running_state(&f), WEBOTA_OTA_STATE_VALID);
    uint64_t ops = sim_nor_op_count(f.nor);
    assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_STATUS, 3), WEBOTA_CONFIRM_NOTHING);
    assert_int_equal(sim_nor_op_count(f.nor), ops); /* settled: no more writes */
    fx_free(&f);
}

/* A confirm that fails (power lost at its otadata erase) is tried again on
 * the next request, and succeeds once the flash works. */
static void test_failed_confirm_is_retried(void **state)
{
    (void)state;
    fx_t f;
    pending_device(&f);
    webota_confirm_t c;
    start(&c, &f, WEBOTA_CONFIRM_FIRST_REQUEST, 0, 0);
    sim_nor_cut_power_at(f.nor, 0, SIM_CUT_CLEAN, 1);
    assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_STATUS, 1), WEBOTA_CONFIRM_FAILED);
    assert_int_equal(webota_confirm_error(&c), WEBOTA_ERR_FLASH_POWER);
    sim_nor_power_on(f.nor);
    assert_int_equal(running_state(&f), WEBOTA_OTA_STATE_PENDING_VERIFY);
    assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_STATUS, 2), WEBOTA_CONFIRM_CONFIRMED);
    assert_int_equal(running_state(&f), WEBOTA_OTA_STATE_VALID);
    fx_free(&f);
}

static void test_delay(void **state)
{
    (void)state;
    fx_t f;
    pending_device(&f);
    webota_confirm_t c;
    start(&c, &f, WEBOTA_CONFIRM_DELAY, 5000, 1000);
    assert_int_equal(webota_confirm_due_in(&c, 1000), 5000);
    assert_int_equal(webota_confirm_due_in(&c, 3500), 2500);
    assert_int_equal(webota_confirm_poll(&c, 3500), WEBOTA_CONFIRM_NOTHING);
    /* requests before the delay do not confirm */
    assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_PAGE, 3600), WEBOTA_CONFIRM_NOTHING);
    assert_int_equal(running_state(&f), WEBOTA_OTA_STATE_PENDING_VERIFY);
    assert_int_equal(webota_confirm_due_in(&c, 6000), 0);
    assert_int_equal(webota_confirm_poll(&c, 6000), WEBOTA_CONFIRM_CONFIRMED);
    assert_int_equal(running_state(&f), WEBOTA_OTA_STATE_VALID);
    assert_int_equal(webota_confirm_due_in(&c, 6001), UINT32_MAX);
    fx_free(&f);

    /* the timed attempt fails: the next request after the delay retries */
    pending_device(&f);
    start(&c, &f, WEBOTA_CONFIRM_DELAY, 5000, 0);
    sim_nor_cut_power_at(f.nor, 0, SIM_CUT_CLEAN, 1);
    assert_int_equal(webota_confirm_poll(&c, 5000), WEBOTA_CONFIRM_FAILED);
    sim_nor_power_on(f.nor);
    assert_int_equal(webota_confirm_due_in(&c, 5001), UINT32_MAX); /* no busy timer loop */
    assert_int_equal(webota_confirm_poll(&c, 5002), WEBOTA_CONFIRM_NOTHING);
    assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_STATUS, 5003), WEBOTA_CONFIRM_CONFIRMED);
    assert_int_equal(running_state(&f), WEBOTA_OTA_STATE_VALID);
    fx_free(&f);
}

static void test_manual_and_by_app(void **state)
{
    (void)state;
    for (int by_app = 0; by_app < 2; by_app++) {
        fx_t f;
        pending_device(&f);
        webota_confirm_t c;
        start(&c, &f, by_app ? WEBOTA_CONFIRM_BY_APP : WEBOTA_CONFIRM_MANUAL, 0, 0);
        assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_PAGE, 1), WEBOTA_CONFIRM_NOTHING);
        assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_STATUS, 99999), WEBOTA_CONFIRM_NOTHING);
        assert_int_equal(webota_confirm_due_in(&c, 99999), UINT32_MAX);
        assert_int_equal(webota_confirm_poll(&c, 99999), WEBOTA_CONFIRM_NOTHING);
        assert_int_equal(running_state(&f), WEBOTA_OTA_STATE_PENDING_VERIFY);
        if (by_app) {
            assert_int_equal(webota_confirm_now(&c), WEBOTA_CONFIRM_CONFIRMED);
        } else {
            assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_OK); /* POST /api/confirm */
        }
        assert_int_equal(running_state(&f), WEBOTA_OTA_STATE_VALID);
        fx_free(&f);
    }
}

/* Nothing pending (the factory app, or a firmware already valid): nothing is
 * written, whatever the mode. */
static void test_nothing_pending(void **state)
{
    (void)state;
    size_t flen;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    fx_t f;
    fx_new(&f, "two-ota", fimg, flen, true);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    uint64_t ops = sim_nor_op_count(f.nor);
    webota_confirm_t c;
    start(&c, &f, WEBOTA_CONFIRM_FIRST_REQUEST, 0, 0);
    assert_int_equal(webota_confirm_on_request(&c, WEBOTA_API_ROUTE_PAGE, 1), WEBOTA_CONFIRM_NOTHING);
    assert_int_equal(webota_confirm_now(&c), WEBOTA_CONFIRM_NOTHING);
    start(&c, &f, WEBOTA_CONFIRM_DELAY, 0, 0);
    assert_int_equal(webota_confirm_poll(&c, 0), WEBOTA_CONFIRM_NOTHING);
    assert_int_equal(sim_nor_op_count(f.nor), ops);
    fx_free(&f);
    free(fimg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_request),
        cmocka_unit_test(test_failed_confirm_is_retried),
        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_manual_and_by_app),
        cmocka_unit_test(test_nothing_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
