/* Anti-rollback at library level: the update policy refuses an image whose
 * secure_version is below the device's security version (eFuse) at its
 * descriptor, before anything is erased, even when downgrades below the
 * running firmware are allowed; the flash slot writer reports the emulated
 * eFuse counter through the seam (UNSUPPORTED without anti-rollback) and a
 * confirm raises it to the running firmware's secure_version. */
#include <stdio.h>

#include "engine_fixture.h"
#include "testutil.h"

static uint8_t *image_sv(const char *version, uint32_t sv, size_t *len)
{
    fx_img_opts_t o = fx_img_defaults(version);
    o.size = 30000;
    o.secure_version = sv;
    return fx_image_opts(&o, len);
}

/* Powers on with the bootloader's anti-rollback and an eFuse value. */
static void power_on_arb(fx_t *f, bool anti_rollback, uint32_t efuse)
{
    sim_nor_power_on(f->nor);
    sim_boot_config_t bc;
    fx_boot_config(f, &bc);
    bc.anti_rollback = anti_rollback;
    bc.efuse_secure_version = efuse;
    assert_int_equal(sim_power_on(&f->flash, &bc, &f->run, NULL), WEBOTA_OK);
}

static void device(fx_t *f, uint32_t factory_sv)
{
    size_t flen;
    uint8_t *fimg = image_sv("1.0", factory_sv, &flen);
    fx_new(f, "two-ota", fimg, flen, true);
    free(fimg);
}

static void test_policy_refuses_below_device_version(void **state)
{
    (void)state;
    fx_t f;
    device(&f, 2);
    power_on_arb(&f, true, 2);
    uint32_t sv = 0;
    assert_int_equal(webota_slot_security_version(&f.run.rules, &sv), WEBOTA_OK);
    assert_int_equal(sv, 2);
    size_t len;
    uint8_t *old = image_sv("0.9", 1, &len);
    uint8_t *before = fx_snapshot(&f);
    uint64_t ops = sim_nor_op_count(f.nor);
    webota_update_policy_t pol;
    webota_update_policy_init(&pol);
    pol.check_chip = true;
    pol.chip = WEBOTA_CHIP_ESP32;
    pol.allow_secure_downgrade = true; /* below the running firmware: allowed, below the eFuse: never */
    pol.anti_rollback = true;
    pol.security_version = sv;
    static webota_update_t u;
    assert_int_equal(fx_update_with(&f, &u, &pol, old, len, 4096, false), WEBOTA_ERR_UPD_SECURE_VERSION);
    assert_string_equal(webota_update_message(&u), "image secure_version is below the running firmware's "
                                                   "(anti-rollback) (image 1, device security version 2: "
                                                   "it would not boot) at offset 32");
    assert_int_equal(webota_update_error_offset(&u), 32);
    assert_int_equal(sim_nor_op_count(f.nor), ops); /* nothing erased or written */
    assert_memory_equal(before, sim_nor_data(f.nor), FX_FLASH_SIZE);
    free(before);
    free(old);
    /* equal to the device's version: accepted, and it boots */
    uint8_t *same = image_sv("2.0", 2, &len);
    assert_int_equal(fx_update_with(&f, &u, &pol, same, len, 4096, false), WEBOTA_OK);
    power_on_arb(&f, true, 2);
    assert_string_equal(f.run.boot.desc.version, "2.0");
    free(same);
    fx_free(&f);
}

/* Without anti-rollback the seam says UNSUPPORTED and the policy check is off. */
static void test_no_anti_rollback(void **state)
{
    (void)state;
    fx_t f;
    device(&f, 2);
    power_on_arb(&f, false, 5);
    uint32_t sv = 99;
    assert_int_equal(webota_slot_security_version(&f.run.rules, &sv), WEBOTA_ERR_UNSUPPORTED);
    size_t len;
    uint8_t *old = image_sv("0.9", 1, &len);
    webota_update_policy_t pol;
    webota_update_policy_init(&pol);
    pol.check_chip = true;
    pol.chip = WEBOTA_CHIP_ESP32;
    pol.allow_secure_downgrade = true;
    static webota_update_t u;
    assert_int_equal(fx_update_with(&f, &u, &pol, old, len, 4096, false), WEBOTA_OK);
    free(old);
    fx_free(&f);
}

/* The counter the seam reports rises when a firmware with a higher
 * secure_version is confirmed (esp_ota_mark_app_valid_cancel_rollback). */
static void test_confirm_raises_counter(void **state)
{
    (void)state;
    fx_t f;
    device(&f, 1);
    power_on_arb(&f, true, 1);
    size_t len;
    uint8_t *img = image_sv("3.0", 3, &len);
    webota_update_policy_t pol;
    webota_update_policy_init(&pol);
    pol.check_chip = true;
    pol.chip = WEBOTA_CHIP_ESP32;
    static webota_update_t u;
    assert_int_equal(fx_update_with(&f, &u, &pol, img, len, 4096, false), WEBOTA_OK);
    power_on_arb(&f, true, 1);
    assert_string_equal(f.run.boot.desc.version, "3.0");
    assert_int_equal(f.run.boot.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
    uint32_t sv = 0;
    assert_int_equal(webota_slot_security_version(&f.run.rules, &sv), WEBOTA_OK);
    assert_int_equal(sv, 1); /* not yet: an unconfirmed firmware may still roll back */
    assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_OK);
    assert_int_equal(webota_slot_security_version(&f.run.rules, &sv), WEBOTA_OK);
    assert_int_equal(sv, 3);
    free(img);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_refuses_below_device_version),
        cmocka_unit_test(test_no_anti_rollback),
        cmocka_unit_test(test_confirm_raises_counter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
