/* The flash slot writer: slot choice and refusals
 * (docs/formats.md#esp_ota_ops-behaviour), sequential erase just ahead of the
 * write pointer, read-back and from-flash verification, activate per
 * docs/formats.md#set-boot-partition on every otadata vector (checked against
 * an independent statement of the rule and read back through otadata.c),
 * confirm, rollback, queries. */
#include <stdio.h>

#include "engine_fixture.h"
#include "testutil.h"

/* ---- helpers ---- */

static void write_all(webota_slot_ops_t *ops, const uint8_t *img, size_t len, size_t chunk)
{
    for (size_t off = 0; off < len; off += chunk)
        assert_int_equal(ops->write(ops->ctx, img + off, len - off < chunk ? len - off : chunk), WEBOTA_OK);
}

static void read_entries(const fx_t *f, webota_ota_entry_t e[2])
{
    const webota_partition_t *od = webota_pt_otadata(&f->pt);
    webota_ota_region_decode(sim_nor_data(f->nor) + od->offset, e);
}

static const uint8_t *part_bytes(const fx_t *f, const char *label)
{
    const webota_partition_t *p = webota_pt_find_label(&f->pt, label);
    assert_non_null(p);
    return sim_nor_data(f->nor) + p->offset;
}

/* factory -> ota_0 with `img`, activated, powered on again. */
static void install(fx_t *f, const uint8_t *img, size_t len)
{
    assert_int_equal(fx_update(f, img, len, 1000), WEBOTA_OK);
    assert_int_equal(fx_power_on(f), WEBOTA_OK);
}

/* ---- basic flow ---- */

static void test_update_factory_to_ota0(void **state)
{
    (void)state;
    for (int rb = 0; rb < 2; rb++) {
        size_t flen, len;
        uint8_t *fimg = fx_image("1.0", 20000, &flen);
        uint8_t *img = fx_image("2.0", 50000, &len);
        fx_t f;
        fx_new(&f, "two-ota", fimg, flen, rb);
        assert_int_equal(fx_power_on(&f), WEBOTA_OK);
        assert_int_equal(f.run.boot.index, -1);

        webota_slot_info_t run, next;
        assert_int_equal(webota_slot_running(&f.run.rules, &run), WEBOTA_OK);
        assert_string_equal(run.label, "factory");
        assert_int_equal(run.index, -1);
        assert_int_equal(webota_slot_next(&f.run.rules, &next), WEBOTA_OK);
        assert_string_equal(next.label, "ota_0");
        assert_int_equal(next.size, 0x100000);
        webota_app_desc_t d;
        assert_int_equal(webota_slot_running_desc(&f.run.rules, &d), WEBOTA_OK);
        assert_string_equal(d.version, "1.0");

        assert_int_equal(webota_slot_begin(&f.run.rules, (uint32_t)len, NULL), WEBOTA_OK);
        write_all(&f.run.ops, img, len, 777);
        assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_OK);
        assert_int_equal(webota_slot_flash_image_length(&f.run.slot), len);
        assert_int_equal(webota_slot_activate(&f.run.rules), WEBOTA_OK);
        assert_memory_equal(part_bytes(&f, "ota_0"), img, len);

        webota_ota_entry_t e[2];
        read_entries(&f, e);
        assert_int_equal(e[0].seq, 1);
        assert_int_equal(e[0].state, rb ? WEBOTA_OTA_STATE_NEW : WEBOTA_OTA_STATE_UNDEFINED);
        assert_true(webota_ota_crc_ok(&e[0]));
        assert_int_equal(e[1].seq, WEBOTA_OTA_SEQ_ERASED);

        assert_int_equal(fx_power_on(&f), WEBOTA_OK);
        assert_int_equal(f.run.boot.index, 0);
        assert_string_equal(f.run.boot.desc.version, "2.0");
        assert_int_equal(f.run.boot.state, rb ? WEBOTA_OTA_STATE_PENDING_VERIFY : WEBOTA_OTA_STATE_UNDEFINED);
        assert_int_equal(webota_slot_running(&f.run.rules, &run), WEBOTA_OK);
        assert_string_equal(run.label, "ota_0");
        assert_int_equal(run.state, f.run.boot.state);
        free(fimg);
        free(img);
        fx_free(&f);
    }
}

/* The slot is erased block by block as the write pointer advances: a 64 KiB
 * block when it starts there and lies wholly in the slot; what lies beyond
 * the erased blocks keeps its old bytes. */
static void test_sequential_erase(void **state)
{
    (void)state;
    size_t flen, len, olen;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    uint8_t *img = fx_image("2.0", 100000, &len);
    uint8_t *old = fx_image("0.9", 200000, &olen);
    fx_t f;
    fx_new(&f, "two-ota", fimg, flen, false);
    const webota_partition_t *ota0 = webota_pt_find_label(&f.pt, "ota_0");
    assert_int_equal(ota0->offset % WEBOTA_BLOCK_SIZE, 0);
    assert_int_equal(webota_flash_program(&f.flash, ota0->offset, old, olen), WEBOTA_OK);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);

    sim_nor_reset_stats(f.nor);
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_OK);
    assert_int_equal(sim_nor_stats(f.nor).erases, 0);
    assert_int_equal(webota_slot_write(&f.run.rules, img, 1), WEBOTA_OK);
    assert_int_equal(sim_nor_stats(f.nor).erases, 1);
    assert_int_equal(sim_nor_stats(f.nor).bytes_erased, WEBOTA_BLOCK_SIZE);
    /* block 1 onwards still holds the old image */
    assert_memory_equal(part_bytes(&f, "ota_0") + WEBOTA_BLOCK_SIZE, old + WEBOTA_BLOCK_SIZE,
                        olen - WEBOTA_BLOCK_SIZE);
    write_all(&f.run.ops, img + 1, WEBOTA_BLOCK_SIZE - 1, 4095);
    assert_int_equal(sim_nor_stats(f.nor).erases, 1);
    assert_int_equal(webota_slot_write(&f.run.rules, img + WEBOTA_BLOCK_SIZE, 1), WEBOTA_OK);
    assert_int_equal(sim_nor_stats(f.nor).erases, 2);
    write_all(&f.run.ops, img + WEBOTA_BLOCK_SIZE + 1, len - WEBOTA_BLOCK_SIZE - 1, 4096);
    assert_int_equal(sim_nor_stats(f.nor).erases, 2);
    assert_int_equal(sim_nor_stats(f.nor).bytes_erased, 2 * WEBOTA_BLOCK_SIZE);
    assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_OK);
    /* the old image's tail after the erased blocks is left as it was */
    uint32_t end = 2 * WEBOTA_BLOCK_SIZE;
    assert_memory_equal(part_bytes(&f, "ota_0") + end, old + end, olen - end);
    assert_memory_equal(part_bytes(&f, "ota_0"), img, len);
    free(img);
    free(old);
    fx_free(&f);

    /* a slot whose end is not block-aligned (0x58000 bytes): blocks while a
     * whole one fits, then 4 KiB sectors at the edge */
    static const char csv[] = "nvs,data,nvs,,0x4000,\notadata,data,ota,,0x2000,\nphy_init,data,phy,,0x1000,\n"
                              "factory,app,factory,,1M,\nota_0,app,ota_0,,0x58000,\nota_1,app,ota_1,,0x58000,\n";
    webota_pt_csv_opts_t o;
    webota_pt_csv_opts_init(&o);
    memset(&f, 0, sizeof f);
    assert_int_equal(webota_pt_from_csv(&f.pt, csv, sizeof csv - 1, &o, NULL), WEBOTA_OK);
    f.nor = sim_nor_new_ram(FX_FLASH_SIZE);
    f.flash = sim_nor_flash(f.nor);
    sim_flash_app_t apps[1] = {{"factory", fimg, flen}};
    assert_int_equal(sim_flash_make(f.nor, &f.pt, 0x8000, apps, 1, NULL, 0), WEBOTA_OK);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    img = fx_image("2.0", 0x51800, &len);
    assert_true(len > 0x51000 && len <= 0x52000); /* 5 blocks and 2 sectors */
    sim_nor_reset_stats(f.nor);
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_OK);
    write_all(&f.run.ops, img, len, 4096);
    assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_OK);
    assert_int_equal(sim_nor_stats(f.nor).erases, 7);
    assert_int_equal(sim_nor_stats(f.nor).bytes_erased, 0x52000);
    assert_int_equal(webota_slot_activate(&f.run.rules), WEBOTA_OK);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    assert_string_equal(f.run.boot.desc.version, "2.0");
    free(fimg);
    free(img);
    fx_free(&f);
}

static void test_refusals(void **state)
{
    (void)state;
    size_t flen, len;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    uint8_t *img = fx_image("2.0", 30000, &len);
    fx_t f;
    fx_new(&f, "two-ota", fimg, flen, true);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);

    /* not open */
    assert_int_equal(webota_slot_write(&f.run.rules, img, 10), WEBOTA_ERR_STATE);
    assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_ERR_STATE);
    assert_int_equal(webota_slot_activate(&f.run.rules), WEBOTA_ERR_STATE);
    /* announced size larger than the slot */
    assert_int_equal(webota_slot_begin(&f.run.rules, 0x100001, NULL), WEBOTA_ERR_IMG_TOO_BIG);
    /* first byte must be 0xE9; a second begin is busy */
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_OK);
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_ERR_UPD_BUSY);
    uint8_t bad = 0x00;
    assert_int_equal(webota_slot_write(&f.run.rules, &bad, 1), WEBOTA_ERR_IMG_MAGIC);
    assert_int_equal(webota_slot_write(&f.run.rules, img, 0), WEBOTA_OK);
    /* finish with nothing written */
    assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_ERR_UPD_EMPTY);
    /* more than the slot holds */
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_OK);
    static uint8_t big[0x100001];
    memset(big, 0xE9, sizeof big);
    assert_int_equal(webota_slot_write(&f.run.rules, big, sizeof big), WEBOTA_ERR_IMG_TOO_BIG);
    webota_slot_abort(&f.run.rules);

    /* running firmware PENDING_VERIFY with rollback */
    install(&f, img, len);
    assert_int_equal(f.run.boot.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_ERR_UPD_PENDING_VERIFY);
    assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_OK);
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_OK);
    webota_slot_abort(&f.run.rules);
    fx_free(&f);

    /* a table with one OTA slot, running from it: the only slot is the running one */
    static const char csv[] = "nvs,data,nvs,,0x4000,\notadata,data,ota,,0x2000,\nphy_init,data,phy,,0x1000,\n"
                              "factory,app,factory,,1M,\nota_0,app,ota_0,,1M,\n";
    webota_pt_csv_opts_t o;
    webota_pt_csv_opts_init(&o);
    memset(&f, 0, sizeof f);
    assert_int_equal(webota_pt_from_csv(&f.pt, csv, sizeof csv - 1, &o, NULL), WEBOTA_OK);
    f.nor = sim_nor_new_ram(FX_FLASH_SIZE);
    f.flash = sim_nor_flash(f.nor);
    sim_flash_app_t apps[2] = {{"factory", fimg, flen}, {"ota_0", img, len}};
    assert_int_equal(sim_flash_make(f.nor, &f.pt, 0x8000, apps, 2, NULL, 0), WEBOTA_OK);
    webota_slot_flash_config_t c = {.flash = &f.flash, .chip = -1};
    c.running_offset = webota_pt_find_label(&f.pt, "ota_0")->offset + 100;
    assert_int_equal(webota_slot_flash_init(&f.run.slot, &c), WEBOTA_OK);
    webota_slot_flash_ops(&f.run.slot, &f.run.ops);
    assert_int_equal(webota_slot_init(&f.run.rules, &f.run.ops), WEBOTA_OK);
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_ERR_UPD_RUNNING_SLOT);
    fx_free(&f);

    /* no OTA slot at all */
    uint8_t *fimg2 = fimg;
    fx_new(&f, "singleapp", fimg2, flen, false);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    webota_slot_info_t si;
    assert_int_equal(webota_slot_next(&f.run.rules, &si), WEBOTA_ERR_UPD_NO_SLOT);
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_ERR_UPD_NO_SLOT);
    assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_ERR_UPD_NOT_PENDING); /* as the ESP-IDF binding answers */
    assert_false(webota_slot_rollback_possible(&f.run.rules));
    fx_free(&f);

    /* init errors: no flash, unreadable table */
    webota_slot_flash_t s;
    assert_int_equal(webota_slot_flash_init(&s, NULL), WEBOTA_ERR_ARG);
    sim_nor_t *blank = sim_nor_new_ram(FX_FLASH_SIZE);
    webota_flash_t bf = sim_nor_flash(blank);
    webota_slot_flash_config_t bc = {.flash = &bf, .chip = -1};
    assert_int_equal(webota_slot_flash_init(&s, &bc), WEBOTA_ERR_PT_EMPTY);
    sim_nor_power_off(blank);
    assert_int_equal(webota_slot_flash_init(&s, &bc), WEBOTA_ERR_FLASH_POWER);
    sim_nor_close(blank);
    free(fimg);
    free(img);
}

/* A zeroed config with flash and running offset is the default
 * (webota_slot_flash_config_init): table at 0x8000, ESP32, revision not
 * checked. The factory image needs v3.0: running from ota_0, it is a
 * rollback target (it verifies from flash); with revision 0 checked it is not. */
static void test_zeroed_config_is_default(void **state)
{
    (void)state;
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
    o.project = "demo";
    o.version = "1.0";
    o.size = 20000;
    o.min_rev_full = 300;
    fx_buf_t fimg = {0};
    assert_int_equal(webota_image_make(&o, fx_sink, &fimg), WEBOTA_OK);
    size_t len;
    uint8_t *img = fx_image("2.0", 50000, &len);
    fx_t f;
    fx_new(&f, "two-ota", fimg.p, fimg.len, false);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    assert_int_equal(webota_slot_begin(&f.run.rules, (uint32_t)len, NULL), WEBOTA_OK);
    write_all(&f.run.ops, img, len, 777);
    assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_OK);
    assert_int_equal(webota_slot_activate(&f.run.rules), WEBOTA_OK);
    uint32_t run_off = webota_pt_find_label(&f.pt, "ota_0")->offset;
    for (int check = 0; check < 2; check++) {
        webota_slot_flash_config_t zero, init;
        memset(&zero, 0, sizeof zero);
        zero.flash = &f.flash;
        zero.running_offset = run_off;
        memset(&init, 0xA5, sizeof init);
        webota_slot_flash_config_init(&init, &f.flash, run_off);
        assert_memory_equal(&init, &zero, sizeof zero);
        zero.check_chip_rev = check != 0; /* chip_rev stays 0 */
        assert_int_equal(webota_slot_flash_init(&f.run.slot, &zero), WEBOTA_OK);
        webota_slot_flash_ops(&f.run.slot, &f.run.ops);
        assert_int_equal(webota_slot_init(&f.run.rules, &f.run.ops), WEBOTA_OK);
        webota_slot_info_t run;
        assert_int_equal(webota_slot_running(&f.run.rules, &run), WEBOTA_OK);
        assert_string_equal(run.label, "ota_0");
        assert_int_equal(webota_slot_rollback_possible(&f.run.rules), !check);
    }
    fx_free(&f);
    free(img);
    free(fimg.p);
}

/* ---- flash faults: read-back and from-flash verification ---- */

typedef struct faulty {
    webota_flash_t inner;
    bool flip_program; /* clear one bit of every program */
} faulty_t;

static webota_err_t fl_read(void *ctx, uint32_t a, void *b, size_t n)
{
    faulty_t *x = ctx;
    return webota_flash_read(&x->inner, a, b, n);
}

static webota_err_t fl_program(void *ctx, uint32_t a, const void *b, size_t n)
{
    faulty_t *x = ctx;
    if (!x->flip_program || n == 0)
        return webota_flash_program(&x->inner, a, b, n);
    uint8_t tmp[8192];
    assert_true(n <= sizeof tmp);
    memcpy(tmp, b, n);
    for (size_t i = 0; i < n; i++) {
        if (tmp[i] != 0) {
            tmp[i] &= (uint8_t)(tmp[i] - 1); /* clears one more bit than asked */
            break;
        }
    }
    return webota_flash_program(&x->inner, a, tmp, n);
}

static webota_err_t fl_erase(void *ctx, uint32_t a, size_t n)
{
    faulty_t *x = ctx;
    return webota_flash_erase(&x->inner, a, n);
}

static void test_flash_faults(void **state)
{
    (void)state;
    size_t flen, len;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    uint8_t *img = fx_image("2.0", 30000, &len);
    fx_t f;
    fx_new(&f, "two-ota", fimg, flen, false);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    faulty_t x = {f.flash, false};
    webota_flash_t ff = {&x, f.flash.size, fl_read, fl_program, fl_erase};
    webota_slot_flash_config_t c = f.run.slot.cfg;
    c.flash = &ff;
    webota_slot_flash_t s;
    webota_slot_ops_t ops;
    assert_int_equal(webota_slot_flash_init(&s, &c), WEBOTA_OK);
    webota_slot_flash_ops(&s, &ops);
    webota_slot_t rules;
    assert_int_equal(webota_slot_init(&rules, &ops), WEBOTA_OK);

    /* the programmed bytes differ from the data: read-back catches it */
    assert_int_equal(webota_slot_begin(&rules, 0, NULL), WEBOTA_OK);
    x.flip_program = true;
    assert_int_equal(webota_slot_write(&rules, img, 4096), WEBOTA_ERR_FLASH_VERIFY);
    webota_slot_abort(&rules);
    x.flip_program = false;

    /* power lost while writing */
    assert_int_equal(webota_slot_begin(&rules, 0, NULL), WEBOTA_OK);
    sim_nor_cut_power_at(f.nor, 2, SIM_CUT_CLEAN, 1);
    webota_err_t err = WEBOTA_OK;
    for (size_t off = 0; err == WEBOTA_OK && off < len; off += 4096)
        err = webota_slot_write(&rules, img + off, len - off < 4096 ? len - off : 4096);
    assert_int_equal(err, WEBOTA_ERR_FLASH_POWER);
    webota_slot_abort(&rules);
    assert_int_equal(webota_slot_confirm(&rules), WEBOTA_ERR_FLASH_POWER);
    assert_false(webota_slot_rollback_possible(&rules));
    webota_app_desc_t d;
    assert_int_equal(webota_slot_running_desc(&rules, &d), WEBOTA_ERR_FLASH_POWER);

    /* the slot changes after it was written (no page compare can see that):
     * finish does not read the slot again, but the bootloader verifies the
     * image at boot, refuses it and boots the factory app: never bricked */
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    assert_int_equal(webota_slot_begin(&rules, 0, NULL), WEBOTA_OK);
    write_all(&ops, img, len, 4096);
    const webota_partition_t *ota0 = webota_pt_find_label(&f.pt, "ota_0");
    uint8_t zero = 0;
    assert_int_equal(webota_flash_program(&f.flash, ota0->offset + 5000, &zero, 1), WEBOTA_OK);
    assert_int_equal(webota_slot_finish(&rules), WEBOTA_OK);
    assert_int_equal(webota_slot_activate(&rules), WEBOTA_OK);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    assert_int_equal(f.run.boot.index, -1);
    assert_int_equal(webota_slot_running_desc(&f.run.rules, &d), WEBOTA_OK);
    assert_string_equal(d.version, "1.0");
    free(fimg);
    free(img);
    fx_free(&f);
}

/* ---- confirm, rollback, queries ---- */

static void test_confirm_rollback(void **state)
{
    (void)state;
    size_t flen, l1, l2;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    uint8_t *i1 = fx_image("2.0", 30000, &l1);
    uint8_t *i2 = fx_image("3.0", 30000, &l2);
    fx_t f;
    fx_new(&f, "two-ota", fimg, flen, true);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    /* factory: nothing to confirm; rollback possible only if... no active entry */
    assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_ERR_UPD_NOT_PENDING);
    assert_false(webota_slot_rollback_possible(&f.run.rules));
    assert_int_equal(webota_slot_rollback(&f.run.rules), WEBOTA_ERR_UPD_ROLLBACK_IMPOSSIBLE);

    install(&f, i1, l1); /* ota_0 PENDING_VERIFY, factory behind it */
    assert_int_equal(f.run.boot.index, 0);
    assert_true(webota_slot_rollback_possible(&f.run.rules)); /* the factory verifies */
    uint64_t ops_before = sim_nor_op_count(f.nor);
    assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_OK);
    assert_int_equal(sim_nor_op_count(f.nor), ops_before + 3); /* erase, two programs */
    webota_ota_entry_t e[2];
    read_entries(&f, e);
    assert_int_equal(e[0].seq, 1);
    assert_int_equal(e[0].state, WEBOTA_OTA_STATE_VALID);
    /* confirming again changes nothing */
    ops_before = sim_nor_op_count(f.nor);
    assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_OK);
    assert_int_equal(sim_nor_op_count(f.nor), ops_before);

    install(&f, i2, l2); /* ota_1 PENDING_VERIFY, ota_0 VALID behind it */
    assert_int_equal(f.run.boot.index, 1);
    webota_slot_info_t run;
    assert_int_equal(webota_slot_running(&f.run.rules, &run), WEBOTA_OK);
    assert_int_equal(run.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
    assert_true(webota_slot_rollback_possible(&f.run.rules));
    assert_int_equal(webota_slot_rollback(&f.run.rules), WEBOTA_OK);
    read_entries(&f, e);
    assert_int_equal(e[1].seq, 2);
    assert_int_equal(e[1].state, WEBOTA_OTA_STATE_INVALID);
    assert_int_equal(webota_slot_flash_state_of(&f.run.slot, webota_pt_find_label(&f.pt, "ota_1")),
                     WEBOTA_OTA_STATE_INVALID);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    assert_int_equal(f.run.boot.index, 0);
    assert_string_equal(f.run.boot.desc.version, "2.0");
    assert_int_equal(f.run.boot.state, WEBOTA_OTA_STATE_VALID);

    /* ota_1's entry is INVALID: the fallback is the factory, as long as it verifies */
    assert_int_equal(webota_slot_flash_state_of(&f.run.slot, NULL), WEBOTA_OTA_STATE_UNDEFINED);
    assert_true(webota_slot_rollback_possible(&f.run.rules));
    /* the verdict is remembered: asking again reads only the two otadata entries */
    sim_nor_reset_stats(f.nor);
    assert_true(webota_slot_rollback_possible(&f.run.rules));
    assert_int_equal(sim_nor_stats(f.nor).bytes_read, 2 * WEBOTA_OTADATA_ENTRY_SIZE);
    const webota_partition_t *fac = webota_pt_factory(&f.pt);
    assert_int_equal(webota_flash_erase(&f.flash, fac->offset, 4096), WEBOTA_OK);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK); /* verdicts last one power-on */
    assert_false(webota_slot_rollback_possible(&f.run.rules));
    assert_int_equal(webota_slot_rollback(&f.run.rules), WEBOTA_ERR_UPD_ROLLBACK_IMPOSSIBLE);
    free(fimg);
    free(i1);
    free(i2);
    fx_free(&f);
}

/* With rollback, begin erases the inactive otadata sector when it points at
 * another slot (docs/formats.md#other-otadata-writes-by-the-application), so a
 * cut during the write cannot fall back into it. */
static void test_invalidate_inactive(void **state)
{
    (void)state;
    size_t flen, l1, l2, l3;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    uint8_t *i1 = fx_image("2.0", 20000, &l1);
    uint8_t *i2 = fx_image("3.0", 20000, &l2);
    uint8_t *i3 = fx_image("4.0", 20000, &l3);
    fx_t f;
    fx_new(&f, "two-ota", fimg, flen, true);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    install(&f, i1, l1);
    assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_OK);
    install(&f, i2, l2);
    assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_OK);
    webota_ota_entry_t e[2];
    read_entries(&f, e);
    assert_int_equal(e[0].seq, 1);
    assert_int_equal(e[1].seq, 2);
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_OK);
    read_entries(&f, e);
    assert_int_equal(e[0].seq, WEBOTA_OTA_SEQ_ERASED);
    assert_int_equal(e[1].seq, 2);
    write_all(&f.run.ops, i3, l3, 4096);
    assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_OK);
    assert_int_equal(webota_slot_activate(&f.run.rules), WEBOTA_OK);
    read_entries(&f, e);
    assert_int_equal(e[0].seq, 3);
    assert_int_equal(e[0].state, WEBOTA_OTA_STATE_NEW);
    free(fimg);
    free(i1);
    free(i2);
    free(i3);
    fx_free(&f);
}

/* Anti-rollback: activate refuses (and erases) an image below the eFuse;
 * confirm raises the emulated eFuse. */
static void test_anti_rollback(void **state)
{
    (void)state;
    size_t flen, l1, l2;
    fx_img_opts_t o = fx_img_defaults("1.0");
    o.secure_version = 2;
    uint8_t *fimg = fx_image_opts(&o, &flen);
    o = fx_img_defaults("2.0");
    o.secure_version = 3;
    uint8_t *i1 = fx_image_opts(&o, &l1);
    o = fx_img_defaults("0.5");
    o.secure_version = 1;
    uint8_t *i2 = fx_image_opts(&o, &l2);
    fx_t f;
    fx_new(&f, "two-ota", fimg, flen, true);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    webota_slot_flash_config_t c = f.run.slot.cfg;
    c.anti_rollback = true;
    c.efuse_secure_version = 2;
    assert_int_equal(webota_slot_flash_init(&f.run.slot, &c), WEBOTA_OK);
    const uint8_t *before = fx_snapshot(&f);
    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_OK);
    write_all(&f.run.ops, i2, l2, 4096);
    assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_OK);
    assert_int_equal(webota_slot_activate(&f.run.rules), WEBOTA_ERR_UPD_SECURE_VERSION);
    const webota_partition_t *ota0 = webota_pt_find_label(&f.pt, "ota_0");
    for (uint32_t i = 0; i < ota0->size; i++)
        assert_int_equal(sim_nor_data(f.nor)[ota0->offset + i], 0xFF);
    assert_true(fx_same_outside(before, sim_nor_data(f.nor), ota0->offset, ota0->size));
    free((void *)before);

    assert_int_equal(webota_slot_begin(&f.run.rules, 0, NULL), WEBOTA_OK);
    write_all(&f.run.ops, i1, l1, 4096);
    assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_OK);
    assert_int_equal(webota_slot_activate(&f.run.rules), WEBOTA_OK);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    c = f.run.slot.cfg;
    c.anti_rollback = true;
    c.efuse_secure_version = 2;
    assert_int_equal(webota_slot_flash_init(&f.run.slot, &c), WEBOTA_OK);
    assert_int_equal(webota_slot_confirm(&f.run.rules), WEBOTA_OK);
    assert_int_equal(f.run.slot.cfg.efuse_secure_version, 3);
    /* the factory cannot be a rollback target with anti-rollback, and ota_1 is empty */
    assert_false(webota_slot_rollback_possible(&f.run.rules));
    free(fimg);
    free(i1);
    free(i2);
    fx_free(&f);
}

/* ---- set boot partition on every otadata vector ---- */

static bool ref_valid(const webota_ota_entry_t *e)
{
    return e->seq != 0xFFFFFFFFu && e->state != 3 && e->state != 4 && e->crc == webota_ota_seq_crc(e->seq);
}

/* Set boot steps 4-5 as docs/formats.md states them (v6.0), independent of otadata.c. */
static void ref_set_boot(const webota_ota_entry_t e[2], unsigned s, unsigned n, bool rollback, unsigned *sector,
                         webota_ota_entry_t *out)
{
    bool v0 = ref_valid(&e[0]), v1 = ref_valid(&e[1]);
    int active = v0 && v1 ? (e[1].seq > e[0].seq ? 1 : 0) : v0 ? 0 : v1 ? 1 : -1;
    uint32_t seq;
    if (active < 0) {
        *sector = 0;
        seq = s + 1;
    } else if ((e[active].seq - 1) % n == s) {
        *sector = (unsigned)active;
        seq = e[active].seq;
    } else {
        *sector = (unsigned)active ^ 1u;
        seq = (s + 1) % n;
        while (seq < e[active].seq)
            seq += n;
    }
    *out = e[*sector];
    out->seq = seq;
    out->state = rollback ? WEBOTA_OTA_STATE_NEW : WEBOTA_OTA_STATE_UNDEFINED;
    out->crc = webota_ota_seq_crc(seq);
}

static void test_otadata_vectors(void **state)
{
    (void)state;
    size_t mlen;
    char *man = (char *)tu_read_vector("manifest.tsv", &mlen);
    man = realloc(man, mlen + 1);
    man[mlen] = 0;
    unsigned regions = 0, activations = 0;
    size_t flen;
    uint8_t *fimg = fx_image("factory", 20000, &flen);
    for (char *line = strtok(man, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char path[256];
        if (sscanf(line, "%255[^\t]\totadata.region", path) != 1 || strstr(line, "\totadata.region\t") == NULL)
            continue;
        regions++;
        char layout[64];
        snprintf(layout, sizeof layout, "%s", strrchr(path, '/') + 1);
        *strchr(layout, '.') = 0;
        char lp[128];
        snprintf(lp, sizeof lp, "otadata/layouts/%s.bin", layout);
        size_t tlen, rlen;
        uint8_t *table = tu_read_vector(lp, &tlen);
        uint8_t *region = tu_read_vector(path, &rlen);
        assert_int_equal(rlen, WEBOTA_OTADATA_SIZE);
        webota_parttable_t pt;
        assert_int_equal(webota_pt_parse(&pt, table, tlen, FX_FLASH_SIZE, true, NULL), WEBOTA_OK);
        unsigned n = webota_pt_app_count_app(&pt);
        const webota_partition_t *od = webota_pt_otadata(&pt);
        for (unsigned s = 0; s < n; s++) {
            for (int rb = 0; rb < 2; rb++) {
                /* flash: this table, an image in every app partition, the region */
                fx_t f;
                memset(&f, 0, sizeof f);
                f.pt = pt;
                f.rollback = rb;
                f.nor = sim_nor_new_ram(FX_FLASH_SIZE);
                f.flash = sim_nor_flash(f.nor);
                assert_int_equal(webota_flash_program(&f.flash, 0x8000, table, tlen), WEBOTA_OK);
                for (unsigned i = 0; i < pt.count; i++)
                    if (pt.part[i].type == WEBOTA_PT_TYPE_APP)
                        assert_int_equal(webota_flash_program(&f.flash, pt.part[i].offset, fimg, flen), WEBOTA_OK);
                assert_int_equal(webota_flash_program(&f.flash, od->offset, region, rlen), WEBOTA_OK);
                /* running = the slot before s, so that s is the next update slot */
                const webota_partition_t *run = s > 0 ? webota_pt_ota_slot(&pt, s - 1) : webota_pt_factory(&pt);
                if (run == NULL)
                    run = webota_pt_ota_slot(&pt, n - 1);
                webota_slot_flash_config_t c = {.flash = &f.flash, .rollback = rb, .chip = -1, .running_offset = run->offset};
                assert_int_equal(webota_slot_flash_init(&f.run.slot, &c), WEBOTA_OK);
                webota_slot_flash_ops(&f.run.slot, &f.run.ops);
    assert_int_equal(webota_slot_init(&f.run.rules, &f.run.ops), WEBOTA_OK);
                webota_slot_info_t next;
                assert_int_equal(webota_slot_next(&f.run.rules, &next), WEBOTA_OK);
                assert_int_equal(next.index, (int)s);
                webota_err_t err = webota_slot_begin(&f.run.rules, 0, NULL);
                if (err == WEBOTA_ERR_UPD_PENDING_VERIFY) {
                    webota_slot_info_t ri;
                    assert_int_equal(webota_slot_running(&f.run.rules, &ri), WEBOTA_OK);
                    assert_int_equal(ri.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
                    assert_true(rb);
                    sim_nor_close(f.nor);
                    continue;
                }
                assert_int_equal(err, WEBOTA_OK);
                size_t ilen;
                char ver[32];
                snprintf(ver, sizeof ver, "slot%u", s);
                uint8_t *img = fx_image(ver, 30000, &ilen);
                write_all(&f.run.ops, img, ilen, 3000);
                assert_int_equal(webota_slot_finish(&f.run.rules), WEBOTA_OK);
                /* expectation from the region as it is now (begin may have
                 * erased the inactive sector with rollback) */
                uint8_t before[WEBOTA_OTADATA_SIZE];
                memcpy(before, sim_nor_data(f.nor) + od->offset, sizeof before);
                webota_ota_entry_t cur[2], want, got[2];
                webota_ota_region_decode(before, cur);
                unsigned sector;
                ref_set_boot(cur, s, n, rb, &sector, &want);
                assert_int_equal(webota_slot_activate(&f.run.rules), WEBOTA_OK);
                activations++;
                const uint8_t *after = sim_nor_data(f.nor) + od->offset;
                /* the target sector: the 32-byte entry, then 0xFF; the other sector untouched */
                uint8_t raw[32];
                webota_ota_entry_encode(&want, raw);
                if (memcmp(after + sector * 0x1000, raw, 32) != 0) {
                    print_error("%s slot %u rollback %d: entry differs\n", path, s, rb);
                    fail();
                }
                for (unsigned i = 32; i < 0x1000; i++)
                    assert_int_equal(after[sector * 0x1000 + i], 0xFF);
                assert_memory_equal(after + (sector ^ 1) * 0x1000, before + (sector ^ 1) * 0x1000, 0x1000);
                /* ESP-IDF's reading: the active entry selects slot s, with the state written */
                webota_ota_region_decode(after, got);
                int a = webota_ota_active(got);
                assert_int_equal(a, (int)sector);
                assert_int_equal(webota_ota_seq_slot(got[a].seq, n), s);
                assert_int_equal(got[a].state, rb ? WEBOTA_OTA_STATE_NEW : WEBOTA_OTA_STATE_UNDEFINED);
                assert_int_equal(webota_ota_boot_slot(got, n), (int)s);
                /* and the bootloader boots the new image there */
                sim_boot_config_t bc;
                sim_boot_config_init(&bc);
                bc.rollback = rb;
                sim_boot_result_t br;
                assert_int_equal(sim_boot(&f.flash, &bc, &br), WEBOTA_OK);
                assert_int_equal(br.index, (int)s);
                assert_string_equal(br.desc.version, ver);
                /* the image in the slot is byte-identical to the input */
                assert_memory_equal(sim_nor_data(f.nor) + next.offset, img, ilen);
                free(img);
                sim_nor_close(f.nor);
            }
        }
        free(table);
        free(region);
    }
    printf("otadata vectors: %u regions, %u activations checked\n", regions, activations);
    assert_int_equal(regions, 30);
    assert_true(activations > 100);
    free(fimg);
    free(man);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_factory_to_ota0), cmocka_unit_test(test_sequential_erase),
        cmocka_unit_test(test_refusals), cmocka_unit_test(test_zeroed_config_is_default),               cmocka_unit_test(test_flash_faults),
        cmocka_unit_test(test_confirm_rollback),       cmocka_unit_test(test_invalidate_inactive),
        cmocka_unit_test(test_anti_rollback),          cmocka_unit_test(test_otadata_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
