/* The simulated bootloader on whole flash images: every otadata vector with
 * real images in the slots (with and without rollback), fallback along the
 * load order when an image is corrupt, the initial-contents write,
 * anti-rollback, and the failures (bad table, nothing bootable, no power). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/bootloader.h"
#include "sim/flash_image.h"
#include "sim/nor_flash.h"
#include "testutil.h"
#include "webota/crypto.h"
#include "webota/marker.h"
#include "webota/otadata.h"

#define FLASH_SIZE 0x400000u

/* ---- test images: the esptool-made ESP32 vector with a new app descriptor,
 * resealed (checksum and SHA-256 recomputed) ---- */

static void reseal(uint8_t *img, size_t len)
{
    size_t off = 24;
    uint8_t ck = 0xEF;
    for (unsigned s = 0; s < img[1]; s++) {
        uint32_t l = (uint32_t)img[off + 4] | (uint32_t)img[off + 5] << 8 | (uint32_t)img[off + 6] << 16 |
                     (uint32_t)img[off + 7] << 24;
        off += 8;
        for (uint32_t i = 0; i < l; i++)
            ck ^= img[off + i];
        off += l;
    }
    while ((off + 1) % 16)
        off++;
    img[off] = ck;
    assert_true(off + 1 + 32 == len);
    assert_int_equal(webota_sha256(img, off + 1, img + off + 1), WEBOTA_OK);
}

static uint8_t *make_app(const char *project, const char *version, uint32_t secure_version, bool marker,
                         size_t *len)
{
    uint8_t *img = tu_read_vector("image/esp32_app.bin", len);
    webota_app_desc_t d;
    assert_int_equal(webota_app_desc_decode(img + 0x20, &d), WEBOTA_OK);
    snprintf(d.project_name, sizeof d.project_name, "%s", project);
    snprintf(d.version, sizeof d.version, "%s", version);
    d.secure_version = secure_version;
    webota_app_desc_encode(&d, img + 0x20);
    if (marker) /* inside the zero padding segment (data from 0x164) */
        memcpy(img + 0x400, webota_marker, WEBOTA_MARKER_LEN);
    reseal(img, *len);
    return img;
}

/* ---- a device: layout vector + one image per app partition (project = label) ---- */

typedef struct dev {
    sim_nor_t *nor;
    webota_flash_t f;
    webota_parttable_t pt;
    const webota_partition_t *otadata;
} tdev_t;

static void dev_make(tdev_t *d, const webota_parttable_t *pt, const uint32_t *secure_versions)
{
    memset(d, 0, sizeof *d);
    d->pt = *pt;
    d->nor = sim_nor_new_ram(FLASH_SIZE);
    assert_non_null(d->nor);
    d->f = sim_nor_flash(d->nor);
    sim_flash_app_t apps[WEBOTA_PT_MAX_ENTRIES];
    uint8_t *imgs[WEBOTA_PT_MAX_ENTRIES];
    unsigned n = 0;
    for (unsigned i = 0; i < pt->count; i++) {
        if (pt->part[i].type != WEBOTA_PT_TYPE_APP)
            continue;
        size_t len;
        imgs[n] = make_app(pt->part[i].label, "1.0", secure_versions ? secure_versions[n] : 0, true, &len);
        apps[n].label = pt->part[i].label;
        apps[n].image = imgs[n];
        apps[n].len = len;
        n++;
    }
    char msg[200];
    assert_int_equal(sim_flash_make(d->nor, pt, 0x8000, apps, n, msg, sizeof msg), WEBOTA_OK);
    for (unsigned i = 0; i < n; i++)
        free(imgs[i]);
    d->otadata = webota_pt_otadata(&d->pt);
}

static void dev_layout(tdev_t *d, const char *layout, const uint32_t *secure_versions)
{
    char rel[200];
    snprintf(rel, sizeof rel, "otadata/layouts/%s.bin", layout);
    size_t len;
    uint8_t *bin = tu_read_vector(rel, &len);
    webota_parttable_t pt;
    assert_int_equal(webota_pt_parse(&pt, bin, len, FLASH_SIZE, true, NULL), WEBOTA_OK);
    dev_make(d, &pt, secure_versions);
    /* the maker writes gen_esp32part's exact bytes, the rest of the sector erased */
    assert_memory_equal(sim_nor_data(d->nor) + 0x8000, bin, 0xC00);
    for (unsigned i = 0xC00; i < 0x1000; i++)
        assert_int_equal(sim_nor_data(d->nor)[0x8000 + i], 0xFF);
    free(bin);
}

static void dev_set_otadata(tdev_t *d, const uint8_t *region)
{
    assert_non_null(d->otadata);
    assert_int_equal(webota_flash_erase(&d->f, d->otadata->offset, 0x2000), WEBOTA_OK);
    assert_int_equal(webota_flash_program(&d->f, d->otadata->offset, region, 0x2000), WEBOTA_OK);
}

static void dev_set_entries(tdev_t *d, const webota_ota_entry_t *e0, const webota_ota_entry_t *e1)
{
    uint8_t region[0x2000];
    memset(region, 0xFF, sizeof region);
    if (e0)
        webota_ota_entry_encode(e0, region);
    if (e1)
        webota_ota_entry_encode(e1, region + 0x1000);
    dev_set_otadata(d, region);
}

static void dev_corrupt(tdev_t *d, const char *label)
{
    const webota_partition_t *p = webota_pt_find_label(&d->pt, label);
    assert_non_null(p);
    /* clear bits of a byte of the IRAM segment data: checksum and SHA fail */
    uint8_t b = (uint8_t)(sim_nor_data(d->nor)[p->offset + 0x150] & 0x0F);
    if (b == sim_nor_data(d->nor)[p->offset + 0x150])
        b = 0;
    assert_int_equal(webota_flash_program(&d->f, p->offset + 0x150, &b, 1), WEBOTA_OK);
}

static void dev_entries(const tdev_t *d, webota_ota_entry_t e[2])
{
    webota_ota_region_decode(sim_nor_data(d->nor) + d->otadata->offset, e);
}

static webota_err_t dev_boot(tdev_t *d, bool rollback, sim_boot_result_t *r)
{
    sim_boot_config_t cfg;
    sim_boot_config_init(&cfg);
    cfg.rollback = rollback;
    return sim_boot(&d->f, &cfg, r);
}

static void dev_free(tdev_t *d)
{
    sim_nor_close(d->nor);
}

/* ---- every otadata vector ---- */

typedef struct row {
    char path[200];
    char boot[32], rollback_boot[32];
} row_t;

static unsigned load_rows(row_t *rows, unsigned cap)
{
    size_t len;
    char *tsv = (char *)tu_read_vector("manifest.tsv", &len);
    unsigned n = 0;
    for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
        char path[200], kind[64], expected[200];
        if (sscanf(line, "%199[^\t]\t%63[^\t]\t%199[^\t]", path, kind, expected) != 3)
            continue;
        if (strcmp(kind, "otadata.region") != 0)
            continue;
        assert_true(n < cap);
        snprintf(rows[n].path, sizeof rows[n].path, "%s", path);
        assert_int_equal(sscanf(expected, "boot=%31s rollback_boot=%31s", rows[n].boot, rows[n].rollback_boot), 2);
        n++;
    }
    free(tsv);
    return n;
}

static void check_row(const row_t *row, bool rollback)
{
    const char *want = rollback ? row->rollback_boot : row->boot;
    char layout[64];
    const char *slash = strchr(row->path, '/');
    assert_non_null(slash);
    snprintf(layout, sizeof layout, "%.*s", (int)strcspn(slash + 1, "."), slash + 1);
    tdev_t d;
    dev_layout(&d, layout, NULL);
    size_t len;
    uint8_t *region = tu_read_vector(row->path, &len);
    assert_int_equal(len, 0x2000);
    dev_set_otadata(&d, region);
    webota_ota_entry_t before[2], after[2];
    webota_ota_region_decode(region, before);

    sim_boot_result_t r;
    webota_err_t e = dev_boot(&d, rollback, &r);
    if (e != WEBOTA_OK)
        fail_msg("%s (rollback %d): %s\n%s", row->path, rollback, webota_err_name(e), r.log);
    dev_entries(&d, after);

    /* which partition booted */
    bool init = strcmp(want, "ota_0,init") == 0, scan = strcmp(want, "scan") == 0;
    const char *label = init || scan ? "ota_0" : want;
    if (strcmp(r.part.label, label) != 0)
        fail_msg("%s (rollback %d): booted %s, expected %s\n%s", row->path, rollback, r.part.label, want, r.log);
    assert_string_equal(r.desc.project_name, label);
    assert_true(r.marker);
    assert_int_equal(r.image_length, 65616);
    assert_int_equal(r.index, strcmp(label, "factory") == 0 ? -1 : label[4] - '0');

    /* what the bootloader wrote */
    unsigned writes = 0;
    for (int i = 0; i < 2; i++) {
        webota_ota_entry_t w = before[i];
        if (rollback && w.state == WEBOTA_OTA_STATE_PENDING_VERIFY)
            w.state = WEBOTA_OTA_STATE_ABORTED;
        if (memcmp(&w, &before[i], sizeof w) != 0)
            writes++;
        before[i] = w;
    }
    int act = webota_ota_active(before);
    if (rollback && act >= 0 && before[act].state == WEBOTA_OTA_STATE_NEW && !init && !scan &&
        strcmp(label, "factory") != 0) {
        before[act].state = WEBOTA_OTA_STATE_PENDING_VERIFY;
        writes++;
    }
    if (init) {
        webota_ota_initial_entry(0, &before[0]);
        writes++;
        assert_int_equal(after[0].seq, 1);
        assert_int_equal(after[0].state, WEBOTA_OTA_STATE_VALID);
        assert_true(webota_ota_crc_ok(&after[0]));
        assert_int_equal(r.state, WEBOTA_OTA_STATE_VALID);
    }
    assert_int_equal(r.otadata_writes, writes);
    assert_memory_equal(after, before, sizeof after);
    /* each rewritten sector is erased past its 32 bytes */
    for (unsigned s = 0; s < 2; s++) {
        const uint8_t *sec = sim_nor_data(d.nor) + d.otadata->offset + s * 0x1000;
        for (unsigned i = 32; i < 0x1000; i++)
            assert_int_equal(sec[i], region[s * 0x1000 + i]);
    }
    if (strcmp(label, "factory") == 0)
        assert_int_equal(r.state, WEBOTA_OTA_STATE_UNDEFINED);
    else if (webota_ota_active(after) >= 0)
        assert_int_equal(r.state, after[webota_ota_active(after)].state);
    else {
        /* no active entry: the state esp_ota_get_state_partition reports */
        uint32_t want_state = WEBOTA_OTA_STATE_UNDEFINED;
        unsigned nslots = webota_pt_app_count_boot(&d.pt);
        for (int i = 1; i >= 0; i--)
            if (after[i].seq != WEBOTA_OTA_SEQ_ERASED && webota_ota_crc_ok(&after[i]) &&
                webota_ota_seq_slot(after[i].seq, nslots) == (unsigned)r.index)
                want_state = after[i].state;
        assert_int_equal(r.state, want_state);
    }
    assert_non_null(strstr(r.log, "Loaded app from partition at offset"));
    free(region);
    dev_free(&d);
}

static void otadata_vectors(void **state)
{
    (void)state;
    static row_t rows[64];
    unsigned n = load_rows(rows, 64);
    assert_true(n >= 30);
    unsigned kinds[4] = {0};
    for (unsigned i = 0; i < n; i++) {
        check_row(&rows[i], false);
        check_row(&rows[i], true);
        kinds[0] += strcmp(rows[i].boot, "factory") == 0;
        kinds[1] += strcmp(rows[i].boot, "scan") == 0;
        kinds[2] += strcmp(rows[i].boot, "ota_0,init") == 0;
        kinds[3] += strcmp(rows[i].boot, rows[i].rollback_boot) != 0;
    }
    print_message("otadata vectors: %u rows x (no rollback, rollback) booted as expected\n", n);
    assert_true(kinds[0] && kinds[1] && kinds[2] && kinds[3]);
}

/* ---- rollback lifecycle ---- */

static void rollback_new_then_abort(void **state)
{
    (void)state;
    tdev_t d;
    dev_layout(&d, "two_ota_factory", NULL);
    webota_ota_entry_t e0, e1, e[2];
    webota_ota_entry_make(1, WEBOTA_OTA_STATE_VALID, &e0);
    webota_ota_entry_make(2, WEBOTA_OTA_STATE_NEW, &e1);
    dev_set_entries(&d, &e0, &e1);
    sim_boot_result_t r;
    /* first boot: NEW -> PENDING_VERIFY, ota_1 boots */
    assert_int_equal(dev_boot(&d, true, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_1");
    assert_int_equal(r.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
    assert_int_equal(r.otadata_writes, 1);
    assert_non_null(strstr(r.log, "otadata[1] state new -> pending_verify"));
    dev_entries(&d, e);
    assert_int_equal(e[1].state, WEBOTA_OTA_STATE_PENDING_VERIFY);
    /* reset before confirm: PENDING_VERIFY -> ABORTED, back to ota_0 */
    assert_int_equal(dev_boot(&d, true, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_0");
    assert_int_equal(r.state, WEBOTA_OTA_STATE_VALID);
    assert_int_equal(r.otadata_writes, 1);
    dev_entries(&d, e);
    assert_int_equal(e[1].state, WEBOTA_OTA_STATE_ABORTED);
    assert_int_equal(e[1].seq, 2);
    /* stable afterwards */
    assert_int_equal(dev_boot(&d, true, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_0");
    assert_int_equal(r.otadata_writes, 0);
    /* without rollback NEW stays NEW and boots as is */
    dev_set_entries(&d, &e0, &e1);
    assert_int_equal(dev_boot(&d, false, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_1");
    assert_int_equal(r.state, WEBOTA_OTA_STATE_NEW);
    assert_int_equal(r.otadata_writes, 0);
    dev_free(&d);
}

/* ---- fallback along the load order; otadata untouched ---- */

static void expect_boot(tdev_t *d, const char *label, bool rollback)
{
    uint8_t before[0x2000];
    memcpy(before, sim_nor_data(d->nor) + d->otadata->offset, sizeof before);
    sim_boot_result_t r;
    webota_err_t e = dev_boot(d, rollback, &r);
    if (e != WEBOTA_OK || strcmp(r.part.label, label) != 0)
        fail_msg("expected %s, got %s (%s)\n%s", label, r.part.label, webota_err_name(e), r.log);
    assert_int_equal(r.otadata_writes, 0);
    assert_memory_equal(before, sim_nor_data(d->nor) + d->otadata->offset, sizeof before);
}

static void fallback_two_ota_factory(void **state)
{
    (void)state;
    tdev_t d;
    dev_layout(&d, "two_ota_factory", NULL);
    webota_ota_entry_t e0, e1;
    /* ota_1 active (seq 2): order 1, 0, factory */
    webota_ota_entry_make(1, WEBOTA_OTA_STATE_VALID, &e0);
    webota_ota_entry_make(2, WEBOTA_OTA_STATE_VALID, &e1);
    dev_set_entries(&d, &e0, &e1);
    expect_boot(&d, "ota_1", false);
    dev_corrupt(&d, "ota_1");
    expect_boot(&d, "ota_0", false);
    sim_boot_result_t r;
    assert_int_equal(dev_boot(&d, false, &r), WEBOTA_OK);
    assert_non_null(strstr(r.log, "OTA app partition slot 1 is not bootable"));
    assert_non_null(strstr(r.log, "bad_checksum") == NULL ? strstr(r.log, "checksum") : r.log);
    dev_corrupt(&d, "ota_0");
    expect_boot(&d, "factory", false);
    dev_free(&d);

    /* ota_0 active (seq 3): order 0, factory, then upwards 1 */
    dev_layout(&d, "two_ota_factory", NULL);
    webota_ota_entry_make(3, WEBOTA_OTA_STATE_VALID, &e0);
    dev_set_entries(&d, &e0, &e1);
    dev_corrupt(&d, "ota_0");
    expect_boot(&d, "factory", false);
    dev_corrupt(&d, "factory");
    expect_boot(&d, "ota_1", false);
    dev_corrupt(&d, "ota_1");
    webota_err_t e = dev_boot(&d, false, &r);
    assert_int_equal(e, WEBOTA_ERR_NOT_FOUND);
    assert_int_equal(r.index, -3);
    assert_non_null(strstr(r.log, "No bootable app partitions in the partition table"));
    assert_non_null(strstr(r.log, "Factory app partition is not bootable"));
    dev_free(&d);

    /* an erased slot (no image at all) is skipped the same way */
    dev_layout(&d, "two_ota_factory", NULL);
    dev_set_entries(&d, &e0, &e1);
    const webota_partition_t *p0 = webota_pt_find_label(&d.pt, "ota_0");
    assert_int_equal(webota_flash_erase(&d.f, p0->offset, p0->size), WEBOTA_OK);
    expect_boot(&d, "factory", true);
    dev_free(&d);
}

static void initial_contents(void **state)
{
    (void)state;
    tdev_t d;
    /* no factory, otadata erased: ota_0 corrupt, ota_1 loads, entry 0 = seq 2 VALID */
    dev_layout(&d, "three_ota", NULL);
    dev_corrupt(&d, "ota_0");
    sim_boot_result_t r;
    assert_int_equal(dev_boot(&d, true, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_1");
    assert_int_equal(r.otadata_writes, 1);
    assert_non_null(strstr(r.log, "Set actual ota_seq=2 in otadata[0]"));
    webota_ota_entry_t e[2];
    dev_entries(&d, e);
    assert_int_equal(e[0].seq, 2);
    assert_int_equal(e[0].state, WEBOTA_OTA_STATE_VALID);
    assert_true(webota_ota_crc_ok(&e[0]));
    assert_int_equal(e[1].seq, WEBOTA_OTA_SEQ_ERASED);
    assert_int_equal(r.state, WEBOTA_OTA_STATE_VALID);
    /* the next boot selects it from otadata */
    expect_boot(&d, "ota_1", true);
    dev_free(&d);

    /* scan: entry 0 has a bad CRC, entry 1 is INVALID (not blank, not usable),
     * no factory: ota_0 corrupt, ota_1 loads, nothing written */
    dev_layout(&d, "three_ota", NULL);
    webota_ota_entry_t bad;
    webota_ota_entry_make(1, WEBOTA_OTA_STATE_VALID, &bad);
    bad.crc ^= 1;
    webota_ota_entry_t inv;
    webota_ota_entry_make(2, WEBOTA_OTA_STATE_INVALID, &inv);
    dev_set_entries(&d, &bad, &inv);
    dev_corrupt(&d, "ota_0");
    expect_boot(&d, "ota_1", false);
    dev_free(&d);
}

static void test_partition(void **state)
{
    (void)state;
    static const char csv[] = "nvs,data,nvs,,0x6000,\n"
                              "phy_init,data,phy,,0x1000,\n"
                              "factory,app,factory,,1M,\n"
                              "test,app,test,,1M,\n";
    webota_pt_csv_opts_t o;
    webota_pt_csv_opts_init(&o);
    webota_parttable_t pt;
    assert_int_equal(webota_pt_from_csv(&pt, csv, sizeof csv - 1, &o, NULL), WEBOTA_OK);
    tdev_t d;
    dev_make(&d, &pt, NULL);
    sim_boot_result_t r;
    /* no otadata partition: factory */
    assert_int_equal(dev_boot(&d, false, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "factory");
    assert_int_equal(r.index, -1);
    assert_non_null(strstr(r.log, "No OTA data partition"));
    d.otadata = NULL;
    dev_corrupt(&d, "factory");
    assert_int_equal(dev_boot(&d, false, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "test");
    assert_int_equal(r.index, -2);
    assert_non_null(strstr(r.log, "Falling back to test app"));
    dev_free(&d);
}

/* ---- anti-rollback ---- */

static webota_err_t boot_ar(tdev_t *d, uint32_t efuse, bool rollback, sim_boot_result_t *r)
{
    sim_boot_config_t cfg;
    sim_boot_config_init(&cfg);
    cfg.anti_rollback = true;
    cfg.rollback = rollback;
    cfg.efuse_secure_version = efuse;
    return sim_boot(&d->f, &cfg, r);
}

static void anti_rollback(void **state)
{
    (void)state;
    static const uint32_t sv[3] = {1, 3, 2}; /* ota_0, ota_1, ota_2 */
    tdev_t d;
    sim_boot_result_t r;
    webota_ota_entry_t e0, e1;

    /* VALID entry for ota_1 (sv 3): boots and raises the eFuse from 2 to 3 */
    dev_layout(&d, "three_ota", sv);
    webota_ota_entry_make(2, WEBOTA_OTA_STATE_VALID, &e1);
    dev_set_entries(&d, NULL, &e1);
    assert_int_equal(boot_ar(&d, 2, true, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_1");
    assert_int_equal(r.efuse_secure_version, 3);
    assert_int_equal(r.desc.secure_version, 3);
    assert_non_null(strstr(r.log, "secure version raised from 2 to 3"));

    /* NEW (rollback): not raised */
    webota_ota_entry_make(2, WEBOTA_OTA_STATE_NEW, &e1);
    dev_set_entries(&d, NULL, &e1);
    assert_int_equal(boot_ar(&d, 2, true, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_1");
    assert_int_equal(r.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
    assert_int_equal(r.efuse_secure_version, 2);

    /* the active entry's app (ota_0, sv 1) is below the eFuse (2): the entry
     * does not count; no factory: the loader scans, refuses ota_0, boots ota_1 */
    webota_ota_entry_make(1, WEBOTA_OTA_STATE_VALID, &e0);
    dev_set_entries(&d, &e0, NULL);
    assert_int_equal(boot_ar(&d, 2, false, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_1");
    assert_int_equal(r.efuse_secure_version, 2);
    assert_int_equal(r.otadata_writes, 0);
    assert_non_null(strstr(r.log, "app secure_version 1 is below the eFuse secure version 2"));
    /* without anti-rollback the same otadata boots ota_0 */
    expect_boot(&d, "ota_0", false);

    /* everything below the eFuse: nothing boots */
    assert_int_equal(boot_ar(&d, 4, false, &r), WEBOTA_ERR_NOT_FOUND);
    assert_int_equal(r.efuse_secure_version, 4);
    dev_free(&d);

    /* erased otadata: ota_0 loads, initial write, eFuse raised to its sv */
    dev_layout(&d, "three_ota", sv);
    assert_int_equal(boot_ar(&d, 0, false, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_0");
    assert_int_equal(r.otadata_writes, 1);
    assert_int_equal(r.efuse_secure_version, 1);
    /* erased otadata, eFuse 2: ota_0 (sv 1) refused, ota_1 loads, seq 2 written */
    dev_set_entries(&d, NULL, NULL);
    assert_int_equal(boot_ar(&d, 2, false, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_1");
    assert_int_equal(r.efuse_secure_version, 3);
    webota_ota_entry_t e[2];
    dev_entries(&d, e);
    assert_int_equal(e[0].seq, 2);
    dev_free(&d);
}

/* ---- failures ---- */

static void failures(void **state)
{
    (void)state;
    sim_boot_result_t r;
    /* blank flash: no partition table */
    sim_nor_t *n = sim_nor_new_ram(FLASH_SIZE);
    webota_flash_t f = sim_nor_flash(n);
    webota_err_t e = sim_boot(&f, NULL, &r);
    assert_int_not_equal(e, WEBOTA_OK);
    assert_non_null(strstr(r.log, "Failed to verify partition table"));
    assert_int_equal(r.index, -3);
    sim_nor_close(n);
    assert_int_equal(sim_boot(NULL, NULL, &r), WEBOTA_ERR_ARG);

    tdev_t d;
    dev_layout(&d, "two_ota_factory", NULL);
    /* the MD5 entry of the table broken */
    uint8_t z = 0;
    assert_int_equal(webota_flash_program(&d.f, 0x8000 + 6 * 32 + 16, &z, 1), WEBOTA_OK);
    assert_int_equal(sim_boot(&d.f, NULL, &r), WEBOTA_ERR_PT_MD5_MISMATCH);
    dev_free(&d);

    /* a table without MD5 entry is refused (CONFIG_PARTITION_TABLE_MD5) */
    size_t len;
    uint8_t *nomd5 = tu_read_vector("parttable/no_md5.bin", &len);
    n = sim_nor_new_ram(FLASH_SIZE);
    f = sim_nor_flash(n);
    assert_int_equal(webota_flash_program(&f, 0x8000, nomd5, len), WEBOTA_OK);
    assert_int_equal(sim_boot(&f, NULL, &r), WEBOTA_ERR_PT_MD5_MISSING);
    sim_nor_close(n);
    free(nomd5);

    /* table valid, no image anywhere */
    dev_layout(&d, "two_ota_factory", NULL);
    assert_int_equal(webota_flash_erase(&d.f, 0x10000, FLASH_SIZE - 0x10000), WEBOTA_OK);
    assert_int_equal(sim_boot(&d.f, NULL, &r), WEBOTA_ERR_NOT_FOUND);
    assert_non_null(strstr(r.log, "No bootable app partitions"));
    dev_free(&d);

    /* images for another chip */
    dev_layout(&d, "two_ota_factory", NULL);
    sim_boot_config_t cfg;
    sim_boot_config_init(&cfg);
    cfg.chip = WEBOTA_CHIP_ESP32C3;
    assert_int_equal(sim_boot(&d.f, &cfg, &r), WEBOTA_ERR_NOT_FOUND);
    assert_non_null(strstr(r.log, "built for another chip"));
    cfg.chip = -1; /* any chip */
    assert_int_equal(sim_boot(&d.f, &cfg, &r), WEBOTA_OK);
    /* table elsewhere */
    cfg.table_offset = 0x9000;
    assert_int_not_equal(sim_boot(&d.f, &cfg, &r), WEBOTA_OK);

    /* no power: the flash error comes back */
    sim_nor_power_off(d.nor);
    assert_int_equal(sim_boot(&d.f, NULL, &r), WEBOTA_ERR_FLASH_POWER);
    sim_nor_power_on(d.nor);
    /* power cut during the bootloader's own otadata rewrite */
    webota_ota_entry_t e0, e1;
    webota_ota_entry_make(1, WEBOTA_OTA_STATE_VALID, &e0);
    webota_ota_entry_make(2, WEBOTA_OTA_STATE_NEW, &e1);
    dev_set_entries(&d, &e0, &e1);
    sim_nor_cut_power_at(d.nor, 0, SIM_CUT_CLEAN, 1);
    assert_int_equal(dev_boot(&d, true, &r), WEBOTA_ERR_FLASH_POWER);
    sim_nor_power_on(d.nor);
    /* the erase was not done: the next boot does the same */
    assert_int_equal(dev_boot(&d, true, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_1");
    /* a cut after the erase, before the program: sector 1 blank, ota_0 boots */
    dev_set_entries(&d, &e0, &e1);
    sim_nor_cut_power_at(d.nor, 1, SIM_CUT_CLEAN, 1);
    assert_int_equal(dev_boot(&d, true, &r), WEBOTA_ERR_FLASH_POWER);
    sim_nor_power_on(d.nor);
    assert_int_equal(dev_boot(&d, true, &r), WEBOTA_OK);
    assert_string_equal(r.part.label, "ota_0");
    dev_free(&d);

    /* otadata partition smaller than two sectors: the real chip resets */
    webota_parttable_t pt;
    assert_int_equal(webota_pt_builtin("two-ota", &pt), WEBOTA_OK);
    webota_partition_t *od = (webota_partition_t *)webota_pt_otadata(&pt);
    od->size = 0x1000;
    dev_make(&d, &pt, NULL);
    assert_int_equal(sim_boot(&d.f, NULL, &r), WEBOTA_ERR_NOT_FOUND);
    assert_non_null(strstr(r.log, "too small"));
    dev_free(&d);
}

static void log_bounded(void **state)
{
    (void)state;
    /* sixteen corrupt OTA slots: the log stays bounded and ends with the verdict */
    char csv[2048];
    size_t o = (size_t)snprintf(csv, sizeof csv, "otadata,data,ota,,0x2000,\n");
    for (int i = 0; i < 16; i++)
        o += (size_t)snprintf(csv + o, sizeof csv - o, "ota_%d,app,ota_%d,,0x30000,\n", i, i);
    webota_pt_csv_opts_t opts;
    webota_pt_csv_opts_init(&opts);
    webota_parttable_t pt;
    assert_int_equal(webota_pt_from_csv(&pt, csv, o, &opts, NULL), WEBOTA_OK);
    tdev_t d;
    dev_make(&d, &pt, NULL);
    for (int i = 0; i < 16; i++) {
        char l[8];
        snprintf(l, sizeof l, "ota_%d", i);
        dev_corrupt(&d, l);
    }
    sim_boot_result_t r;
    assert_int_equal(dev_boot(&d, false, &r), WEBOTA_ERR_NOT_FOUND);
    assert_true(strlen(r.log) < sizeof r.log);
    assert_non_null(strstr(r.log, "...\n"));
    assert_non_null(strstr(r.log, "No bootable app partitions in the partition table\n"));
    dev_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(otadata_vectors),
        cmocka_unit_test(rollback_new_then_abort),
        cmocka_unit_test(fallback_two_ota_factory),
        cmocka_unit_test(initial_contents),
        cmocka_unit_test(test_partition),
        cmocka_unit_test(anti_rollback),
        cmocka_unit_test(failures),
        cmocka_unit_test(log_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
