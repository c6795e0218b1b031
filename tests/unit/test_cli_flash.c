/* `webota flash make|boot` through the built CLI: files, exit codes, JSON,
 * the bootloader's rewrites written back to the flash file, every usage and
 * input error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/flash_image.h"
#include "sim/nor_flash.h"
#include "testutil.h"
#include "webota/otadata.h"

static char dir[600];
static char cmd[4096];

/* Runs `webota ARGS` in the test directory; returns the exit status. */
static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(char **out, const char *fmt, ...)
{
    char args[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>&1", dir, WEBOTA_BIN, args);
    char *o = NULL;
    int rc = tu_run(cmd, &o);
    if (out)
        *out = o;
    else
        free(o);
    return rc;
}

static void expect(int want_rc, const char *want_text, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void expect(int want_rc, const char *want_text, const char *fmt, ...)
{
    char args[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *out;
    int rc = run(&out, "%s", args);
    if (rc != want_rc || (want_text && !strstr(out, want_text)))
        fail_msg("webota %s: exit %d (want %d), output:\n%s\n(want text: %s)", args, rc, want_rc, out,
                 want_text ? want_text : "");
    free(out);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/cli-flash", tu_tmpdir());
    char c[700];
    snprintf(c, sizeof c, "mkdir -p '%s'", dir);
    assert_int_equal(tu_run(c, NULL), 0);
    /* images: two from the vector set, one for another chip */
    size_t len;
    uint8_t *img = tu_read_vector("image/esp32_app.bin", &len);
    char p[700];
    snprintf(p, sizeof p, "%s/app.bin", dir);
    tu_write_file(p, img, len);
    /* a corrupt copy: one byte of segment data changed */
    img[0x150] ^= 0x01;
    snprintf(p, sizeof p, "%s/corrupt.bin", dir);
    tu_write_file(p, img, len);
    free(img);
    img = tu_read_vector("image/esp32c3_app.bin", &len);
    snprintf(p, sizeof p, "%s/c3.bin", dir);
    tu_write_file(p, img, len);
    free(img);
    return 0;
}

static uint8_t *read_flash(const char *name, size_t *len)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    uint8_t *d = tu_read_file(p, len);
    assert_non_null(d);
    return d;
}

static void make_and_boot(void **state)
{
    (void)state;
    expect(0, "wrote f.bin", "flash make -o f.bin --app factory=app.bin --app ota_1=app.bin");
    size_t len;
    uint8_t *f = read_flash("f.bin", &len);
    assert_int_equal(len, 0x400000);
    /* table at 0x8000 equal to gen_esp32part's two-ota table, rest of the sector erased */
    size_t tlen;
    uint8_t *table = tu_read_vector("parttable/builtin_two_ota.bin", &tlen);
    assert_memory_equal(f + 0x8000, table, tlen);
    free(table);
    for (unsigned i = 0x8C00; i < 0x9000; i++)
        assert_int_equal(f[i], 0xFF);
    /* apps placed, otadata and the rest erased */
    size_t alen;
    uint8_t *app = read_flash("app.bin", &alen);
    assert_memory_equal(f + 0x10000, app, alen);
    assert_memory_equal(f + 0x210000, app, alen);
    for (unsigned i = 0; i < 0x8000; i++)
        assert_int_equal(f[i], 0xFF);
    for (unsigned i = 0xD000; i < 0xF000; i++)
        assert_int_equal(f[i], 0xFF);
    for (size_t i = 0x110000; i < 0x210000; i++)
        assert_int_equal(f[i], 0xFF);
    free(app);
    free(f);

    /* first boot: factory, no write */
    char *out;
    assert_int_equal(run(&out, "flash boot f.bin"), 0);
    assert_non_null(strstr(out, "boot:           factory (factory app, offset 0x10000"));
    assert_non_null(strstr(out, "project:        vec-esp32-app"));
    assert_non_null(strstr(out, "Loaded app from partition at offset 0x10000"));
    free(out);
    assert_int_equal(run(&out, "flash boot --json f.bin"), 0);
    assert_non_null(strstr(out, "{\"boot\":\"factory\",\"index\":-1,\"offset\":65536"));
    assert_non_null(strstr(out, "\"state\":\"undefined\""));
    assert_non_null(strstr(out, "\"project\":\"vec-esp32-app\",\"version\":\"1.2.3\""));
    assert_non_null(strstr(out, "\"marker\":false"));
    assert_non_null(strstr(out, "\"log\":\"I boot:"));
    free(out);
}

/* Writes otadata entries straight into the file (as an update would). */
static void set_entries(const char *name, const webota_ota_entry_t *e0, const webota_ota_entry_t *e1)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    webota_err_t err;
    sim_nor_t *n = sim_nor_open(p, 0, &err);
    assert_non_null(n);
    webota_flash_t f = sim_nor_flash(n);
    uint8_t raw[32];
    assert_int_equal(webota_flash_erase(&f, 0xD000, 0x2000), WEBOTA_OK);
    if (e0) {
        webota_ota_entry_encode(e0, raw);
        assert_int_equal(webota_flash_program(&f, 0xD000, raw, 32), WEBOTA_OK);
    }
    if (e1) {
        webota_ota_entry_encode(e1, raw);
        assert_int_equal(webota_flash_program(&f, 0xE000, raw, 32), WEBOTA_OK);
    }
    sim_nor_close(n);
}

static void rollback_rewrites_the_file(void **state)
{
    (void)state;
    expect(0, NULL, "flash make -o r.bin --app factory=app.bin --app ota_0=app.bin --app ota_1=app.bin");
    webota_ota_entry_t e0, e1, e[2];
    webota_ota_entry_make(1, WEBOTA_OTA_STATE_VALID, &e0);
    webota_ota_entry_make(2, WEBOTA_OTA_STATE_NEW, &e1);
    set_entries("r.bin", &e0, &e1);
    char *out;
    assert_int_equal(run(&out, "flash boot --rollback --json r.bin"), 0);
    assert_non_null(strstr(out, "\"boot\":\"ota_1\",\"index\":1"));
    assert_non_null(strstr(out, "\"state\":\"pending_verify\""));
    assert_non_null(strstr(out, "\"otadata_writes\":1"));
    free(out);
    size_t len;
    uint8_t *f = read_flash("r.bin", &len);
    webota_ota_region_decode(f + 0xD000, e);
    assert_int_equal(e[1].state, WEBOTA_OTA_STATE_PENDING_VERIFY);
    free(f);
    /* second power-on without confirm: ABORTED, back to ota_0 */
    assert_int_equal(run(&out, "flash boot --rollback r.bin"), 0);
    assert_non_null(strstr(out, "boot:           ota_0 (OTA slot 0"));
    assert_non_null(strstr(out, "state:          valid"));
    assert_non_null(strstr(out, "otadata[1] state pending_verify -> aborted"));
    free(out);
    f = read_flash("r.bin", &len);
    webota_ota_region_decode(f + 0xD000, e);
    assert_int_equal(e[1].state, WEBOTA_OTA_STATE_ABORTED);
    free(f);
}

static void anti_rollback_and_fallback(void **state)
{
    (void)state;
    /* no factory: two-ota-large; ota_0 corrupt -> ota_1, seq 2 written */
    expect(1, "bad_checksum", "flash make -o x.bin --layout two-ota-large --app ota_0=corrupt.bin");
    expect(0, NULL, "flash make -o l.bin --layout two-ota-large --app ota_0=app.bin --app ota_1=app.bin");
    char p[700];
    snprintf(p, sizeof p, "%s/l.bin", dir);
    webota_err_t err;
    sim_nor_t *n = sim_nor_open(p, 0, &err);
    assert_non_null(n);
    webota_flash_t f = sim_nor_flash(n);
    webota_parttable_t pt;
    assert_int_equal(sim_flash_load_table(&f, 0x8000, &pt, NULL), WEBOTA_OK);
    const webota_partition_t *ota0 = webota_pt_find_label(&pt, "ota_0");
    assert_non_null(ota0);
    uint8_t z = 0; /* 0xb3 in the vector: the checksum breaks */
    assert_int_equal(webota_flash_program(&f, ota0->offset + 0x150, &z, 1), WEBOTA_OK);
    sim_nor_close(n);
    char *out;
    assert_int_equal(run(&out, "flash boot --json l.bin"), 0);
    assert_non_null(strstr(out, "\"boot\":\"ota_1\""));
    assert_non_null(strstr(out, "Set actual ota_seq=2 in otadata[0]"));
    free(out);
    /* anti-rollback: the vector app has secure_version 0; eFuse 1 refuses it */
    expect(1, "nothing boots", "flash boot --anti-rollback --efuse-secure-version 1 l.bin");
    expect(1, "\"boot\":null,\"error\":\"not_found\"",
           "flash boot --json --anti-rollback --efuse-secure-version 1 l.bin");
    expect(0, "\"efuse_secure_version\":0", "flash boot --json --anti-rollback l.bin");
    /* a chip restriction refuses the ESP32 images */
    expect(1, "built for another chip", "flash boot --chip esp32c3 l.bin");
    expect(0, NULL, "flash boot --chip esp32 l.bin");
}

static void make_options(void **state)
{
    (void)state;
    char *out;
    /* sizes, layouts, CSV */
    expect(0, "2048 KiB", "flash make -o s.bin --size 2MB --layout singleapp");
    size_t len;
    uint8_t *f = read_flash("s.bin", &len);
    assert_int_equal(len, 0x200000);
    free(f);
    expect(1, "pt_out_of_flash", "flash make -o s.bin --size 2MB --layout two-ota");
    char p[700];
    snprintf(p, sizeof p, "%s/my.csv", dir);
    static const char csv[] = "nvs,data,nvs,,0x5000,\notadata,data,ota,,0x2000,\nota_0,app,ota_0,,0x40000,\n"
                              "ota_1,app,ota_1,,0x40000,\n";
    tu_write_file(p, csv, sizeof csv - 1);
    expect(0, "ota_1            0x050000", "flash make -o c.bin --size 1MB --layout my.csv --app ota_1=app.bin");
    assert_int_equal(run(&out, "flash boot --json c.bin"), 0);
    assert_non_null(strstr(out, "\"boot\":\"ota_1\""));
    free(out);
    snprintf(p, sizeof p, "%s/bad.csv", dir);
    tu_write_file(p, "nvs,data,nvs,,0x5000,\nfoo,app,bogus,,0x10000,\n", 45);
    expect(1, "csv_subtype", "flash make -o c.bin --layout bad.csv");
    expect(1, "cannot open", "flash make -o c.bin --layout missing.csv");
    expect(2, "unknown layout", "flash make -o c.bin --layout nosuch");
    /* apps: too big, wrong chip, wrong label, not an app, missing file, duplicate */
    snprintf(p, sizeof p, "%s/tiny.csv", dir);
    static const char tiny[] = "nvs,data,nvs,,0x5000,\nfactory,app,factory,0x10000,0x10000,\n";
    tu_write_file(p, tiny, sizeof tiny - 1);
    expect(1, "too_big", "flash make -o t.bin --layout tiny.csv --app factory=app.bin");
    expect(1, "wrong_chip", "flash make -o t.bin --app factory=c3.bin");
    expect(0, NULL, "flash make -o t.bin --chip esp32c3 --app factory=c3.bin");
    expect(1, "no app partition 'nope'", "flash make -o t.bin --app nope=app.bin");
    expect(1, "no app partition 'nvs'", "flash make -o t.bin --app nvs=app.bin");
    expect(1, "cannot open", "flash make -o t.bin --app factory=missing.bin");
    expect(1, "given twice", "flash make -o t.bin --app factory=app.bin --app factory=app.bin");
    expect(1, "longer than 16", "flash make -o t.bin --app abcdefghijklmnopq=app.bin");
    /* nothing was written by the failures */
    snprintf(p, sizeof p, "%s/x.bin", dir);
    size_t xlen;
    uint8_t *x = tu_read_file(p, &xlen);
    assert_null(x);
    /* usage errors */
    expect(2, "missing -o", "flash make");
    expect(2, "power of two", "flash make -o t.bin --size 3MB");
    expect(2, "power of two", "flash make -o t.bin --size 32MB");
    expect(2, "power of two", "flash make -o t.bin --size lots");
    expect(2, "unknown chip", "flash make -o t.bin --chip esp8266");
    expect(2, "LABEL=IMAGE", "flash make -o t.bin --app factory");
    expect(2, "LABEL=IMAGE", "flash make -o t.bin --app =x.bin");
    expect(2, "needs a value", "flash make -o");
    expect(2, "unexpected argument", "flash make -o t.bin --frobnicate");
    expect(0, "usage: webota flash make", "flash make --help");
}

static void boot_errors(void **state)
{
    (void)state;
    expect(0, "usage: webota flash boot", "flash boot --help");
    expect(2, "missing FLASH.bin", "flash boot");
    expect(2, "unexpected argument", "flash boot a.bin b.bin");
    expect(2, "unexpected argument", "flash boot --nope f.bin");
    expect(2, "needs --anti-rollback", "flash boot --efuse-secure-version 2 f.bin");
    expect(2, "0..32", "flash boot --anti-rollback --efuse-secure-version 33 f.bin");
    expect(2, "0..32", "flash boot --anti-rollback --efuse-secure-version");
    expect(2, "unknown chip", "flash boot --chip esp8266 f.bin");
    expect(2, "multiple of 0x1000", "flash boot --table-offset 0x8100 f.bin");
    expect(1, "missing.bin: not found", "flash boot missing.bin");
    expect(1, "not a flash image", "flash boot app.bin");
    /* an erased flash: no partition table */
    char p[700];
    snprintf(p, sizeof p, "%s/blank.bin", dir);
    webota_err_t err;
    sim_nor_close(sim_nor_open(p, 0x10000, &err));
    expect(1, "Failed to verify partition table", "flash boot blank.bin");
    expect(1, "\"error\":\"pt_", "flash boot --json blank.bin");
    /* a table elsewhere */
    expect(1, "Failed to verify partition table", "flash boot --table-offset 0x9000 f.bin");
    /* the group */
    expect(0, "usage: webota flash <command>", "flash --help");
    expect(2, "usage: webota flash <command>", "flash");
    expect(2, "unknown command 'frob'", "flash frob");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(make_and_boot),
        cmocka_unit_test(rollback_rewrites_the_file),
        cmocka_unit_test(anti_rollback_and_fallback),
        cmocka_unit_test(make_options),
        cmocka_unit_test(boot_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
