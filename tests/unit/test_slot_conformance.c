/* One conformance suite for every implementation of the slot seam
 * (webota_slot_ops_t, include/webota/slot.h): each contract written there is
 * checked here, the same way, for every implementation registered in
 * `impls[]` below.
 *
 * How to add an implementation (e.g. the ESP-IDF binding over the host
 * stand-in of esp_ota_ops / esp_partition):
 *   1. Write a conf_impl_t: a device with the built-in "two-ota" layout
 *      (nvs, otadata, phy_init, factory 1M, ota_0 1M, ota_1 1M at the offsets
 *      webota_pt_builtin("two-ota") gives) on a 4 MiB flash whose bytes the
 *      suite can read, the factory partition holding the given ESP32 image
 *      and otadata erased.
 *        create(factory, len, rollback) -> device, or NULL when this
 *            implementation cannot run with that rollback setting (the ESP
 *            binding takes it from CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE):
 *            the case is then skipped for it;
 *        reboot(dev) -> powers the device on again: the bootloader runs (the
 *            simulator's, src/sim/bootloader.c) and a fresh seam opens on the
 *            partition it booted; false when nothing boots;
 *        ops(dev) -> the seam of the firmware running now;
 *        flash(dev) -> the whole flash (FX_FLASH_SIZE bytes), for
 *            before/after comparisons;
 *        destroy(dev).
 *   2. Add it to impls[] (guard it with #ifdef if it needs an optional build).
 * The cases call the seam directly (not through webota_slot_t): they check the
 * mechanism, not the core's rules (test_slot_flash and test_update do). */
#include <stdio.h>

#include "engine_fixture.h"
#include "testutil.h"

typedef struct conf_impl {
    const char *name;
    void *(*create)(const uint8_t *factory, size_t len, bool rollback);
    bool (*reboot)(void *dev);
    const webota_slot_ops_t *(*ops)(void *dev);
    const uint8_t *(*flash)(void *dev);
    void (*destroy)(void *dev);
} conf_impl_t;

/* ---- implementation 1: the NOR-flash slot writer (src/core/slot_flash.c)
 * over a RAM flash, powered on by the simulated bootloader ---- */

static void *nor_create(const uint8_t *factory, size_t len, bool rollback)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fx_new(f, "two-ota", factory, len, rollback);
    assert_int_equal(fx_power_on(f), WEBOTA_OK);
    return f;
}

static bool nor_reboot(void *dev)
{
    return fx_power_on(dev) == WEBOTA_OK;
}

static const webota_slot_ops_t *nor_ops(void *dev)
{
    return &((fx_t *)dev)->run.ops;
}

static const uint8_t *nor_flash(void *dev)
{
    return sim_nor_data(((fx_t *)dev)->nor);
}

static void nor_destroy(void *dev)
{
    fx_free(dev);
    free(dev);
}

#ifdef WEBOTA_CONFORMANCE_ESP
#include "conformance_esp.h"
#endif

static const conf_impl_t impls[] = {
    {"slot_flash (NOR flash)", nor_create, nor_reboot, nor_ops, nor_flash, nor_destroy},
#ifdef WEBOTA_CONFORMANCE_ESP
    {"webota_esp_slot (ESP-IDF binding, host stand-in)", esp_create, esp_reboot, esp_ops, esp_flash, esp_destroy},
#endif
};

#define N_IMPLS (sizeof impls / sizeof impls[0])

/* ---- the suite's device: an implementation, the layout, images ---- */

typedef struct dut {
    const conf_impl_t *impl;
    void *dev;
    bool rollback;
    webota_parttable_t pt;
    const webota_partition_t *otadata, *factory, *ota[2];
} dut_t;

static uint8_t *g_factory, *g_img, *g_big;
static size_t g_factory_len, g_img_len, g_big_len;

static int setup_images(void **state)
{
    (void)state;
    g_factory = fx_image("1.0", 20000, &g_factory_len);
    g_img = fx_image("2.0", 70000, &g_img_len); /* spans a 64 KiB block boundary */
    g_big = fx_image("3.0", 300000, &g_big_len);
    return 0;
}

static int teardown_images(void **state)
{
    (void)state;
    free(g_factory);
    free(g_img);
    free(g_big);
    return 0;
}

/* false when the implementation does not run with this rollback setting */
static bool dut_new(dut_t *d, const conf_impl_t *impl, bool rollback)
{
    memset(d, 0, sizeof *d);
    d->impl = impl;
    d->rollback = rollback;
    d->dev = impl->create(g_factory, g_factory_len, rollback);
    if (d->dev == NULL)
        return false;
    assert_int_equal(webota_pt_builtin("two-ota", &d->pt), WEBOTA_OK);
    d->otadata = webota_pt_otadata(&d->pt);
    d->factory = webota_pt_factory(&d->pt);
    d->ota[0] = webota_pt_ota_slot(&d->pt, 0);
    d->ota[1] = webota_pt_ota_slot(&d->pt, 1);
    return true;
}

static void dut_free(dut_t *d)
{
    d->impl->destroy(d->dev);
}

static const webota_slot_ops_t *O(const dut_t *d)
{
    return d->impl->ops(d->dev);
}

static uint8_t *snap(const dut_t *d)
{
    uint8_t *p = malloc(FX_FLASH_SIZE);
    assert_non_null(p);
    memcpy(p, d->impl->flash(d->dev), FX_FLASH_SIZE);
    return p;
}

static const uint8_t *flash_now(const dut_t *d)
{
    return d->impl->flash(d->dev);
}

/* Outside `slot` nothing changed; otadata may differ only with rollback (open
 * invalidates the inactive entry that points elsewhere, as esp_ota_begin). */
static void same_outside_slot(const dut_t *d, const uint8_t *before, const webota_partition_t *slot)
{
    const uint8_t *now = flash_now(d);
    uint32_t od = d->otadata->offset, od_end = od + d->otadata->size;
    uint32_t s = slot->offset, s_end = s + slot->size;
    assert_true(od_end <= s);
    assert_memory_equal(before, now, od);
    assert_memory_equal(before + od_end, now + od_end, s - od_end);
    assert_memory_equal(before + s_end, now + s_end, FX_FLASH_SIZE - s_end);
    if (!d->rollback)
        assert_memory_equal(before + od, now + od, d->otadata->size);
}

static void write_chunks(const webota_slot_ops_t *o, const uint8_t *img, size_t len, size_t chunk)
{
    for (size_t off = 0; off < len; off += chunk)
        assert_int_equal(o->write(o->ctx, img + off, len - off < chunk ? len - off : chunk), WEBOTA_OK);
}

/* open, write, finish, activate, reboot: the image runs */
static void install(dut_t *d, const uint8_t *img, size_t len)
{
    const webota_slot_ops_t *o = O(d);
    assert_int_equal(o->open(o->ctx, (uint32_t)len), WEBOTA_OK);
    write_chunks(o, img, len, 4096);
    assert_int_equal(o->finish(o->ctx), WEBOTA_OK);
    assert_int_equal(o->activate(o->ctx), WEBOTA_OK);
    assert_true(d->impl->reboot(d->dev));
}

static void expect_running(const dut_t *d, const char *label, const char *version)
{
    const webota_slot_ops_t *o = O(d);
    webota_slot_info_t run;
    assert_int_equal(o->running(o->ctx, &run), WEBOTA_OK);
    assert_string_equal(run.label, label);
    webota_app_desc_t desc;
    assert_int_equal(o->running_desc(o->ctx, &desc), WEBOTA_OK);
    assert_string_equal(desc.version, version);
}

/* Runs `body` for every implementation, with and without rollback. */
#define FOR_EACH_DUT(d, ...)                                                                      \
    for (size_t i_ = 0; i_ < N_IMPLS; i_++)                                                        \
        for (int rb_ = 0; rb_ < 2; rb_++) {                                                        \
            dut_t d;                                                                               \
            if (!dut_new(&d, &impls[i_], rb_ != 0)) {                                              \
                printf("conformance: %s: rollback %s not available, skipped\n", impls[i_].name,   \
                       rb_ ? "on" : "off");                                                        \
                continue;                                                                          \
            }                                                                                      \
            __VA_ARGS__;                                                                           \
            dut_free(&d);                                                                          \
        }

/* ---- running, next, running_desc, rollback_possible: queries ---- */

static void test_queries_have_no_side_effects(void **state)
{
    (void)state;
    FOR_EACH_DUT(d, {
        uint8_t *before = snap(&d);
        const webota_slot_ops_t *o = O(&d);
        assert_int_equal(o->rollback_enabled, d.rollback);
        webota_slot_info_t run, next;
        assert_int_equal(o->running(o->ctx, &run), WEBOTA_OK);
        assert_string_equal(run.label, "factory");
        assert_int_equal(run.index, -1);
        assert_int_equal(run.offset, d.factory->offset);
        assert_int_equal(run.size, d.factory->size);
        assert_int_equal(run.state, WEBOTA_OTA_STATE_UNDEFINED);
        assert_int_equal(o->next(o->ctx, &next), WEBOTA_OK);
        assert_string_equal(next.label, "ota_0");
        assert_int_equal(next.index, 0);
        assert_int_equal(next.offset, d.ota[0]->offset);
        assert_int_equal(next.size, d.ota[0]->size);
        webota_app_desc_t desc;
        assert_int_equal(o->running_desc(o->ctx, &desc), WEBOTA_OK);
        assert_string_equal(desc.version, "1.0");
        assert_string_equal(desc.project_name, "demo");
        assert_false(o->rollback_possible(o->ctx)); /* only the factory app exists */
        assert_memory_equal(before, flash_now(&d), FX_FLASH_SIZE);
        free(before);
    });
}

/* ---- open / write / read / finish / activate ---- */

static void test_good_update_in_odd_chunks(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 7, 255, 4093, 4096, 65536, 70000};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        FOR_EACH_DUT(d, {
            const webota_slot_ops_t *o = O(&d);
            uint8_t *before = snap(&d);
            assert_int_equal(o->open(o->ctx, 0), WEBOTA_OK);
            size_t len = g_img_len;
            /* 1-byte chunks only for the first sectors: the rest in 4 KiB */
            size_t small = chunks[c] == 1 ? 9000 : len;
            write_chunks(o, g_img, small, chunks[c]);
            write_chunks(o, g_img + small, len - small, 4096);
            /* read back: the slot holds the bytes written */
            uint8_t *back = malloc(len);
            assert_int_equal(o->read(o->ctx, 0, back, len), WEBOTA_OK);
            assert_memory_equal(back, g_img, len);
            assert_int_equal(o->finish(o->ctx), WEBOTA_OK);
            /* finish changes nothing outside the slot and no otadata: the
             * running firmware still boots */
            same_outside_slot(&d, before, d.ota[0]);
            assert_int_equal(o->read(o->ctx, 0, back, len), WEBOTA_OK); /* still readable */
            assert_memory_equal(back, g_img, len);
            free(back);
            assert_int_equal(o->activate(o->ctx), WEBOTA_OK);
            assert_true(d.impl->reboot(d.dev));
            expect_running(&d, "ota_0", "2.0");
            webota_slot_info_t run;
            assert_int_equal(O(&d)->running(O(&d)->ctx, &run), WEBOTA_OK);
            assert_int_equal(run.state, d.rollback ? WEBOTA_OTA_STATE_PENDING_VERIFY : WEBOTA_OTA_STATE_UNDEFINED);
            assert_memory_equal(flash_now(&d) + d.ota[0]->offset, g_img, len);
            free(before);
        });
    }
}

/* Erase-ahead: nothing outside the slot changes (otadata aside: with rollback
 * open may invalidate the inactive entry), and at every point the slot's bytes
 * past the write pointer rounded up to a 64 KiB block (the largest erase unit
 * a port may use) still hold the old contents: the slot is never erased up
 * front. */
static void test_erase_ahead(void **state)
{
    (void)state;
    FOR_EACH_DUT(d, {
        /* ota_0 <- big (3.0), then ota_1 <- 2.0: the next slot is ota_0 again,
         * full of the old big image */
        install(&d, g_big, g_big_len);
        assert_int_equal(O(&d)->mark_valid(O(&d)->ctx), WEBOTA_OK);
        install(&d, g_img, g_img_len);
        assert_int_equal(O(&d)->mark_valid(O(&d)->ctx), WEBOTA_OK);
        const webota_slot_ops_t *o = O(&d);
        webota_slot_info_t next;
        assert_int_equal(o->next(o->ctx, &next), WEBOTA_OK);
        assert_string_equal(next.label, "ota_0");
        uint8_t *before = snap(&d);
        size_t len;
        uint8_t *small = fx_image("4.0", 5000, &len);
        assert_int_equal(o->open(o->ctx, 0), WEBOTA_OK);
        /* open erases at most the first block (esp_ota_begin erases what it
         * is given up front; the first bytes go there at once) */
        assert_memory_equal(before + next.offset + WEBOTA_BLOCK_SIZE, flash_now(&d) + next.offset + WEBOTA_BLOCK_SIZE,
                            next.size - WEBOTA_BLOCK_SIZE);
        size_t done = 0;
        while (done < len) {
            size_t n = len - done < 1000 ? len - done : 1000;
            assert_int_equal(o->write(o->ctx, small + done, n), WEBOTA_OK);
            done += n;
            uint32_t keep = (uint32_t)((done + 0xFFFF) / 0x10000 * 0x10000);
            if (keep < next.size)
                assert_memory_equal(before + next.offset + keep, flash_now(&d) + next.offset + keep,
                                    next.size - keep);
        }
        assert_int_equal(o->finish(o->ctx), WEBOTA_OK);
        assert_memory_equal(flash_now(&d) + next.offset, small, len);
        same_outside_slot(&d, before, d.ota[0]); /* otadata only with rollback */
        free(small);
        free(before);
    });
}

/* ---- abort ---- */

static void test_abort_leaves_otadata_and_boot(void **state)
{
    (void)state;
    FOR_EACH_DUT(d, {
        const webota_slot_ops_t *o = O(&d);
        assert_int_equal(o->open(o->ctx, (uint32_t)g_img_len), WEBOTA_OK);
        uint8_t *opened = snap(&d); /* open may invalidate an inactive entry (rollback) */
        write_chunks(o, g_img, 40000, 4096);
        o->abort(o->ctx);
        o->abort(o->ctx); /* no-op when nothing is open */
        const uint8_t *now = flash_now(&d);
        assert_true(fx_same_outside(opened, now, d.ota[0]->offset, d.ota[0]->size));
        assert_int_equal(o->write(o->ctx, g_img, 10), WEBOTA_ERR_STATE);
        assert_int_equal(o->finish(o->ctx), WEBOTA_ERR_STATE);
        assert_int_equal(o->activate(o->ctx), WEBOTA_ERR_STATE);
        assert_true(d.impl->reboot(d.dev));
        expect_running(&d, "factory", "1.0");
        /* and the next attempt works */
        install(&d, g_img, g_img_len);
        expect_running(&d, "ota_0", "2.0");
        free(opened);
    });
}

/* ---- refusals of the mechanism ---- */

static void test_state_errors(void **state)
{
    (void)state;
    FOR_EACH_DUT(d, {
        const webota_slot_ops_t *o = O(&d);
        uint8_t *before = snap(&d);
        uint8_t buf[16];
        /* nothing open yet */
        assert_int_equal(o->write(o->ctx, g_img, 16), WEBOTA_ERR_STATE);
        assert_int_equal(o->read(o->ctx, 0, buf, sizeof buf), WEBOTA_ERR_STATE);
        assert_int_equal(o->finish(o->ctx), WEBOTA_ERR_STATE);
        assert_int_equal(o->activate(o->ctx), WEBOTA_ERR_STATE);
        assert_memory_equal(before, flash_now(&d), FX_FLASH_SIZE);
        /* a size larger than the slot */
        assert_int_equal(o->open(o->ctx, d.ota[0]->size + 1), WEBOTA_ERR_IMG_TOO_BIG);
        /* open twice: STATE, the first stays open */
        assert_int_equal(o->open(o->ctx, 0), WEBOTA_OK);
        assert_int_equal(o->open(o->ctx, 0), WEBOTA_ERR_STATE);
        /* the first byte must be 0xE9 */
        uint8_t bad = 0x00;
        assert_int_equal(o->write(o->ctx, &bad, 1), WEBOTA_ERR_IMG_MAGIC);
        assert_int_equal(o->write(o->ctx, g_img, 0), WEBOTA_OK);
        /* past the slot end on read */
        assert_int_equal(o->read(o->ctx, d.ota[0]->size - 4, buf, 8), WEBOTA_ERR_IMG_TOO_BIG);
        /* finish with nothing written: UPD_EMPTY, and the slot is closed */
        assert_int_equal(o->finish(o->ctx), WEBOTA_ERR_UPD_EMPTY);
        assert_int_equal(o->write(o->ctx, g_img, 16), WEBOTA_ERR_STATE);
        assert_int_equal(o->activate(o->ctx), WEBOTA_ERR_STATE);
        /* more than the slot holds */
        assert_int_equal(o->open(o->ctx, 0), WEBOTA_OK);
        write_chunks(o, g_big, g_big_len, 65536);
        size_t rest = d.ota[0]->size - g_big_len;
        uint8_t *fill = malloc(rest + 1);
        memset(fill, 0xFF, rest + 1);
        assert_int_equal(o->write(o->ctx, fill, rest + 1), WEBOTA_ERR_IMG_TOO_BIG);
        free(fill);
        o->abort(o->ctx);
        assert_true(d.impl->reboot(d.dev));
        expect_running(&d, "factory", "1.0");
        free(before);
    });
}

/* finish closes the slot whatever its verdict. It proves the slot holds the
 * bytes written; an implementation may also judge the image (ESP-IDF's
 * esp_ota_end does; the NOR-flash writer leaves that to the update session,
 * which judged the stream): a damaged or truncated image either fails finish,
 * and then activate is refused, or passes it. Either way nothing changes the
 * boot choice before activate. */
static void test_finish_closes(void **state)
{
    (void)state;
    FOR_EACH_DUT(d, {
        const webota_slot_ops_t *o = O(&d);
        uint8_t *bad = malloc(g_img_len);
        memcpy(bad, g_img, g_img_len);
        bad[g_img_len / 2] ^= 0x01; /* inside a segment: checksum and SHA-256 fail */
        for (int trunc = 0; trunc < 2; trunc++) {
            assert_int_equal(o->open(o->ctx, 0), WEBOTA_OK);
            write_chunks(o, trunc ? g_img : bad, trunc ? g_img_len / 2 : g_img_len, 4096);
            webota_err_t err = o->finish(o->ctx);
            assert_int_equal(o->write(o->ctx, g_img, 16), WEBOTA_ERR_STATE); /* closed */
            assert_int_equal(o->finish(o->ctx), WEBOTA_ERR_STATE);
            if (err != WEBOTA_OK)
                assert_int_equal(o->activate(o->ctx), WEBOTA_ERR_STATE);
        }
        assert_true(d.impl->reboot(d.dev));
        expect_running(&d, "factory", "1.0");
        free(bad);
    });
}

/* ---- mark_valid, mark_invalid, rollback_possible ---- */

static void test_mark_valid(void **state)
{
    (void)state;
    FOR_EACH_DUT(d, {
        const webota_slot_ops_t *o = O(&d);
        uint8_t *before = snap(&d);
        assert_int_equal(o->mark_valid(o->ctx), WEBOTA_ERR_UPD_NOT_PENDING); /* factory */
        assert_memory_equal(before, flash_now(&d), FX_FLASH_SIZE);
        free(before);
        install(&d, g_img, g_img_len);
        o = O(&d);
        webota_slot_info_t run;
        assert_int_equal(o->running(o->ctx, &run), WEBOTA_OK);
        assert_int_equal(run.state, d.rollback ? WEBOTA_OTA_STATE_PENDING_VERIFY : WEBOTA_OTA_STATE_UNDEFINED);
        assert_int_equal(o->mark_valid(o->ctx), WEBOTA_OK);
        assert_int_equal(o->running(o->ctx, &run), WEBOTA_OK);
        assert_int_equal(run.state, WEBOTA_OTA_STATE_VALID);
        before = snap(&d);
        assert_int_equal(o->mark_valid(o->ctx), WEBOTA_OK); /* no-op when VALID */
        assert_memory_equal(before, flash_now(&d), FX_FLASH_SIZE);
        free(before);
        assert_true(d.impl->reboot(d.dev));
        expect_running(&d, "ota_0", "2.0");
        assert_int_equal(O(&d)->running(O(&d)->ctx, &run), WEBOTA_OK);
        assert_int_equal(run.state, WEBOTA_OTA_STATE_VALID);
    });
}

static void test_mark_invalid_rolls_back(void **state)
{
    (void)state;
    FOR_EACH_DUT(d, {
        install(&d, g_img, g_img_len);
        const webota_slot_ops_t *o = O(&d);
        assert_true(o->rollback_possible(o->ctx)); /* the factory app verifies */
        assert_int_equal(o->mark_invalid(o->ctx), WEBOTA_OK);
        webota_slot_info_t run;
        assert_int_equal(o->running(o->ctx, &run), WEBOTA_OK);
        assert_int_equal(run.state, WEBOTA_OTA_STATE_INVALID);
        assert_true(d.impl->reboot(d.dev));
        expect_running(&d, "factory", "1.0");
        /* ota_0 -> ota_1: the previous slot is a rollback target */
        install(&d, g_img, g_img_len);
        assert_int_equal(O(&d)->mark_valid(O(&d)->ctx), WEBOTA_OK);
        size_t len;
        uint8_t *img3 = fx_image("3.0", 30000, &len);
        install(&d, img3, len);
        expect_running(&d, "ota_1", "3.0");
        o = O(&d);
        assert_true(o->rollback_possible(o->ctx));
        assert_int_equal(o->mark_invalid(o->ctx), WEBOTA_OK);
        assert_true(d.impl->reboot(d.dev));
        expect_running(&d, "ota_0", "2.0");
        free(img3);
    });
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queries_have_no_side_effects),
        cmocka_unit_test(test_good_update_in_odd_chunks),
        cmocka_unit_test(test_erase_ahead),
        cmocka_unit_test(test_abort_leaves_otadata_and_boot),
        cmocka_unit_test(test_state_errors),
        cmocka_unit_test(test_finish_closes),
        cmocka_unit_test(test_mark_valid),
        cmocka_unit_test(test_mark_invalid_rolls_back),
    };
    return cmocka_run_group_tests(tests, setup_images, teardown_images);
}
