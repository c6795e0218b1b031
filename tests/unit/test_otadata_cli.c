/* `webota otadata dump` and `set-boot` through the built CLI, on flash images
 * made here from the vector layouts and regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "testutil.h"
#include "webota/otadata.h"

#define FLASH_4M 0x400000u
#define SMALL 0x10000u /* table at 0x8000 + otadata at 0xd000 fit */

static char path_buf[4][600];

static const char *tmp(int i, const char *name)
{
    snprintf(path_buf[i], sizeof path_buf[i], "%s/%s", tu_tmpdir(), name);
    return path_buf[i];
}

static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(char **out, const char *fmt, ...)
{
    char cmd[2048];
    int n = snprintf(cmd, sizeof cmd, "%s otadata ", WEBOTA_BIN);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    return tu_run(cmd, out);
}

/* A flash image of `size` bytes: 0xFF, the layout table at 0x8000, the region
 * (if any) at 0xd000, and with_apps: a valid ESP32 app in every app partition
 * of the vector layouts (factory 0x10000 / ota at 0x110000, 0x210000, or the
 * three_ota slots at 0x10000, 0x110000, 0x210000). */
static uint8_t *make_flash(const char *layout, const uint8_t *region, size_t size, bool with_apps)
{
    uint8_t *f = malloc(size);
    assert_non_null(f);
    memset(f, 0xFF, size);
    char rel[200];
    snprintf(rel, sizeof rel, "otadata/layouts/%s.bin", layout);
    size_t n;
    uint8_t *pt = tu_read_vector(rel, &n);
    memcpy(f + 0x8000, pt, n);
    free(pt);
    if (region)
        memcpy(f + 0xd000, region, WEBOTA_OTADATA_SIZE);
    if (with_apps) {
        uint8_t *app = tu_read_vector("image/esp32_app.bin", &n);
        for (uint32_t off = 0x10000; off < 0x310000; off += 0x100000)
            memcpy(f + off, app, n);
        free(app);
    }
    return f;
}

static uint8_t *read_region(const char *path, size_t *flash_len)
{
    size_t n;
    uint8_t *f = tu_read_file(path, &n);
    assert_non_null(f);
    assert_true(n >= 0xf000);
    if (flash_len)
        *flash_len = n;
    return f;
}

/* ---- dump: every manifest region, both input forms, both bootloaders ---- */

static void expect_json_selection(const char *json, const char *want, const char *rel)
{
    char sel[64];
    bool scan = strcmp(want, "scan") == 0, init = strstr(want, ",init") != NULL;
    const char *base = scan ? "ota_0" : want; /* scan: what the loader tries first */
    snprintf(sel, sizeof sel, "\"selected\":\"%.*s\"", (int)strcspn(base, ","), base);
    if (!strstr(json, sel))
        fail_msg("%s: want %s in %s", rel, sel, json);
    assert_non_null(strstr(json, scan ? "\"scan\":true" : "\"scan\":false"));
    assert_non_null(strstr(json, init ? "\"init\":true" : "\"init\":false"));
    assert_non_null(strstr(json, "\"entries\":[{\"seq\":"));
    assert_non_null(strstr(json, "\"crc_ok\":"));
}

static void dump_all_vectors(void **state)
{
    (void)state;
    size_t len;
    char *m = (char *)tu_read_vector("manifest.tsv", &len);
    unsigned count = 0;
    for (char *line = strtok(m, "\n"); line; line = strtok(NULL, "\n")) {
        char rel[300], kind[64], boot[64], rb[64];
        if (sscanf(line, "%299[^\t]\t%63[^\t]\tboot=%63s rollback_boot=%63[^\t]", rel, kind, boot,
                   rb) != 4 ||
            strcmp(kind, "otadata.region") != 0)
            continue;
        const char *file = strrchr(rel, '/') + 1;
        char layout[64];
        snprintf(layout, sizeof layout, "%.*s", (int)strcspn(file, "."), file);
        size_t n;
        uint8_t *region = tu_read_vector(rel, &n);
        uint8_t *f = make_flash(layout, region, SMALL, false);
        const char *fp = tmp(0, "dump.bin");
        tu_write_file(fp, f, SMALL);
        char ptrel[300], vec_region[700];
        snprintf(ptrel, sizeof ptrel, "%s/otadata/layouts/%s.bin", WEBOTA_VECTORS, layout);
        snprintf(vec_region, sizeof vec_region, "%s/%s", WEBOTA_VECTORS, rel);

        char *out;
        assert_int_equal(run(&out, "dump --json %s", fp), 0);
        expect_json_selection(out, boot, rel);
        free(out);
        assert_int_equal(run(&out, "dump --json --rollback %s", fp), 0);
        expect_json_selection(out, rb, rel);
        free(out);
        /* the bare region with its table, and with a flash image as table source */
        assert_int_equal(run(&out, "dump --json --parttable %s %s", ptrel, vec_region), 0);
        expect_json_selection(out, boot, rel);
        assert_non_null(strstr(out, "\"otadata_offset\":null"));
        free(out);
        assert_int_equal(run(&out, "dump --rollback --json --parttable %s %s", fp, vec_region), 0);
        expect_json_selection(out, rb, rel);
        free(out);
        /* text output names the selection too */
        assert_int_equal(run(&out, "dump %s", fp), 0);
        char sel[80];
        snprintf(sel, sizeof sel, "selected: %.*s", (int)strcspn(boot, ","),
                 strcmp(boot, "scan") ? boot : "ota_0");
        if (!strstr(out, sel))
            fail_msg("%s: text output lacks '%s':\n%s", rel, sel, out);
        if (!strcmp(boot, "scan"))
            assert_non_null(strstr(out, "scans ota_0, ota_1, ota_2"));
        if (strstr(boot, ",init"))
            assert_non_null(strstr(out, "writes entry 0 = seq 1, valid"));
        free(out);
        free(f);
        free(region);
        count++;
    }
    free(m);
    assert_int_equal(count, 30);
}

static void dump_text_details(void **state)
{
    (void)state;
    size_t n;
    uint8_t *region =
        tu_read_vector("otadata/two_ota_factory.state_pending_verify.otadata.bin", &n);
    uint8_t *f = make_flash("two_ota_factory", region, SMALL, false);
    const char *fp = tmp(0, "pv.bin");
    tu_write_file(fp, f, SMALL);
    char *out;
    assert_int_equal(run(&out, "dump --rollback %s", fp), 0);
    assert_non_null(
        strstr(out, "entry 1: seq 0x00000002  state pending_verify (0x1)  crc 0x55f63774 ok"));
    assert_non_null(strstr(out, "rewrite: entry 1 pending_verify -> aborted"));
    assert_non_null(
        strstr(out, "selected: ota_0 (partition \"ota_0\" at 0x110000) [with rollback]"));
    free(out);
    assert_int_equal(run(&out, "dump --json --rollback %s", fp), 0);
    assert_non_null(strstr(out, "\"rewrites\":[{\"entry\":1,\"state\":\"aborted\"}]"));
    assert_non_null(strstr(out, "\"load_order\":[\"ota_0\",\"factory\",\"ota_1\"]"));
    assert_non_null(strstr(out, "\"otadata_offset\":53248"));
    free(out);
    /* dump never writes */
    size_t n2;
    uint8_t *after = tu_read_file(fp, &n2);
    assert_int_equal(n2, SMALL);
    assert_memory_equal(after, f, SMALL);
    free(after);
    free(f);
    free(region);

    region = tu_read_vector("otadata/two_ota_factory.crc_corrupt.otadata.bin", &n);
    f = make_flash("two_ota_factory", region, SMALL, false);
    tu_write_file(fp, f, SMALL);
    assert_int_equal(run(&out, "dump %s", fp), 0);
    assert_non_null(strstr(out, "crc 0xed4a5111 BAD (want 0xed4a5011)"));
    free(out);
    free(f);
    free(region);
}

/* A table without MD5 entry: nvs, otadata, ota_0, ota_2 (a gap). */
static void put_entry(uint8_t *e, uint8_t type, uint8_t sub, uint32_t off, uint32_t size,
                      const char *label)
{
    memset(e, 0, 32);
    e[0] = 0xAA;
    e[1] = 0x50;
    e[2] = type;
    e[3] = sub;
    for (int i = 0; i < 4; i++) {
        e[4 + i] = (uint8_t)(off >> (8 * i));
        e[8 + i] = (uint8_t)(size >> (8 * i));
    }
    memcpy(e + 12, label, strlen(label));
}

static void gap_layout(void **state)
{
    (void)state;
    uint8_t *f = malloc(FLASH_4M);
    memset(f, 0xFF, FLASH_4M);
    put_entry(f + 0x8000, 1, 2, 0x9000, 0x4000, "nvs");
    put_entry(f + 0x8020, 1, 0, 0xd000, 0x2000, "otadata");
    put_entry(f + 0x8040, 0, 0x10, 0x10000, 0x100000, "ota_0");
    put_entry(f + 0x8060, 0, 0x12, 0x110000, 0x100000, "ota_2");
    size_t n;
    uint8_t *app = tu_read_vector("image/esp32_app.bin", &n);
    memcpy(f + 0x10000, app, n);
    memcpy(f + 0x110000, app, n);
    free(app);
    webota_ota_entry_t e;
    webota_ota_entry_make(2, WEBOTA_OTA_STATE_VALID,
                          &e); /* bootloader: (2-1) % 2 = index 1: no partition */
    webota_ota_entry_encode(&e, f + 0xd000);
    const char *fp = tmp(0, "gap.bin");
    tu_write_file(fp, f, FLASH_4M);
    char *out;
    assert_int_equal(run(&out, "dump --json %s", fp), 0);
    assert_non_null(strstr(out, "\"app_count\":2"));
    assert_non_null(strstr(out, "\"selected\":\"ota_1\""));
    assert_non_null(
        strstr(out, "\"load_order\":[\"ota_0\"]")); /* ota_1 missing, ota_2 unreachable */
    free(out);
    /* the app counts one consecutive slot: ota_2 cannot be selected */
    assert_int_equal(run(&out, "set-boot %s ota_2", fp), 1);
    assert_non_null(strstr(out, "not reachable"));
    free(out);
    assert_int_equal(run(&out, "set-boot %s ota_1", fp), 1);
    assert_non_null(strstr(out, "no ota_1 partition"));
    free(out);
    /* n_app 1: seq 2 already maps to ota_0 (v6.0: in place) */
    assert_int_equal(run(&out, "set-boot %s ota_0", fp), 0);
    assert_non_null(strstr(out, "ota_0: entry 0 = seq 2"));
    free(out);
    assert_int_equal(run(&out, "set-boot --rule v5.5 %s ota_0", fp), 0);
    free(out);
    uint8_t *g = read_region(fp, NULL);
    webota_ota_entry_t d[2];
    webota_ota_region_decode(g + 0xd000, d);
    assert_int_equal(d[0].seq, 2);
    assert_int_equal(d[1].seq, 2); /* (0+1) % 1 + i >= 2 */
    free(g);
    free(f);
}

/* ---- set-boot ---- */

/* Replays otatool's switch sequence through the CLI and compares the region. */
static void replay(const char *layout, const char *rel, const int *slots, size_t n_slots,
                   bool erase_after)
{
    uint8_t *f = make_flash(layout, NULL, FLASH_4M, true);
    const char *fp = tmp(1, "replay.bin");
    tu_write_file(fp, f, FLASH_4M);
    char *out;
    for (size_t i = 0; i < n_slots; i++) {
        assert_int_equal(run(&out, "set-boot --rule otatool %s ota_%d", fp, slots[i]), 0);
        free(out);
    }
    if (erase_after) {
        assert_int_equal(run(&out, "set-boot %s factory", fp), 0);
        assert_non_null(strstr(out, "otadata erased"));
        free(out);
    }
    size_t n;
    uint8_t *want = tu_read_vector(rel, &n);
    size_t flen;
    uint8_t *g = read_region(fp, &flen);
    assert_int_equal(flen, FLASH_4M);
    if (memcmp(g + 0xd000, want, WEBOTA_OTADATA_SIZE) != 0)
        fail_msg("%s: set-boot --rule otatool does not give otatool's bytes", rel);
    /* nothing else changed */
    memset(g + 0xd000, 0xFF, WEBOTA_OTADATA_SIZE);
    assert_memory_equal(g, f, FLASH_4M);
    free(g);
    free(want);
    free(f);
}

static void set_boot_matches_otatool(void **state)
{
    (void)state;
    replay("two_ota_factory", "otadata/two_ota_factory.switch_0.otadata.bin", (int[]){0}, 1, false);
    replay("two_ota_factory", "otadata/two_ota_factory.switch_1_1.otadata.bin", (int[]){1, 1}, 2,
           false);
    replay("two_ota_factory", "otadata/two_ota_factory.switch_0_1_0_1_0_1.otadata.bin",
           (int[]){0, 1, 0, 1, 0, 1}, 6, false);
    replay("two_ota_factory", "otadata/two_ota_factory.switch_0_1_erase.otadata.bin", (int[]){0, 1},
           2, true);
    replay("three_ota", "otadata/three_ota.switch_1_2_0_1.otadata.bin", (int[]){1, 2, 0, 1}, 4,
           false);
    replay("three_ota", "otadata/three_ota.switch_2_1.otadata.bin", (int[]){2, 1}, 2, false);
}

static void set_boot_rules(void **state)
{
    (void)state;
    uint8_t *f = make_flash("two_ota_factory", NULL, FLASH_4M, true);
    const char *fp = tmp(1, "rules.bin");
    tu_write_file(fp, f, FLASH_4M);
    char *out;
    webota_ota_entry_t d[2];
    uint8_t *g;

    /* v6.0 (default), rollback: NEW */
    assert_int_equal(run(&out, "set-boot --rollback %s 1", fp), 0);
    assert_non_null(strstr(out, "ota_1: entry 0 = seq 2, state new"));
    free(out);
    /* same slot again: in place (entry 0), seq unchanged */
    assert_int_equal(run(&out, "set-boot %s ota_1", fp), 0);
    assert_non_null(strstr(out, "ota_1: entry 0 = seq 2, state undefined"));
    free(out);
    g = read_region(fp, NULL);
    webota_ota_region_decode(g + 0xd000, d);
    assert_int_equal(d[0].seq, 2);
    assert_int_equal(d[0].state, WEBOTA_OTA_STATE_UNDEFINED);
    assert_int_equal(d[1].seq, WEBOTA_OTA_SEQ_ERASED);
    free(g);
    /* v5.5: same slot goes to the other sector with an equal seq */
    assert_int_equal(run(&out, "set-boot --rule v5.5 %s ota_1", fp), 0);
    assert_non_null(strstr(out, "ota_1: entry 1 = seq 2"));
    free(out);
    /* and the dump shows ota_1 */
    assert_int_equal(run(&out, "dump --json %s", fp), 0);
    assert_non_null(strstr(out, "\"selected\":\"ota_1\""));
    free(out);
    /* v6.0 to ota_0: entry 0 is active (tie), so sector 1 gets seq 3 */
    assert_int_equal(run(&out, "set-boot --rule v6.0 %s ota_0", fp), 0);
    assert_non_null(strstr(out, "ota_0: entry 1 = seq 3"));
    free(out);
    /* factory erases both sectors */
    assert_int_equal(run(&out, "set-boot %s factory", fp), 0);
    free(out);
    g = read_region(fp, NULL);
    for (size_t i = 0xd000; i < 0xf000; i++)
        assert_int_equal(g[i], 0xFF);
    free(g);
    assert_int_equal(run(&out, "set-boot --help"), 0);
    assert_non_null(strstr(out, "--rule"));
    free(out);
    free(f);
}

static void set_boot_erases_sector(void **state)
{
    (void)state;
    /* a label and junk in the target sector: v6.0 keeps the 32-byte label (as
     * read) but erases the rest of the sector; otatool keeps the sector */
    uint8_t *f = make_flash("two_ota_factory", NULL, FLASH_4M, true);
    webota_ota_entry_t e;
    webota_ota_entry_make(1, WEBOTA_OTA_STATE_VALID, &e);
    webota_ota_entry_encode(&e, f + 0xd000);
    f[0xe000 + 4] = 0x41;     /* label byte of entry 1 */
    f[0xe000 + 0x100] = 0x00; /* junk past the entry */
    const char *fp = tmp(1, "sector.bin");
    tu_write_file(fp, f, FLASH_4M);
    char *out;
    assert_int_equal(run(&out, "set-boot %s ota_1", fp), 0);
    free(out);
    uint8_t *g = read_region(fp, NULL);
    assert_int_equal(g[0xe000 + 4], 0x41);
    assert_int_equal(g[0xe000 + 0x100], 0xFF);
    webota_ota_entry_t d[2];
    webota_ota_region_decode(g + 0xd000, d);
    assert_int_equal(d[1].seq, 2);
    free(g);
    tu_write_file(fp, f, FLASH_4M);
    assert_int_equal(run(&out, "set-boot --rule otatool %s ota_1", fp), 0);
    free(out);
    g = read_region(fp, NULL);
    assert_int_equal(g[0xe000 + 0x100], 0x00);
    free(g);
    /* the file is replaced atomically but keeps its permission bits */
    assert_int_equal(chmod(fp, 0640), 0);
    assert_int_equal(run(&out, "set-boot %s ota_0", fp), 0);
    free(out);
    struct stat st;
    assert_int_equal(stat(fp, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    free(f);
}

static void set_boot_refuses(void **state)
{
    (void)state;
    uint8_t *f = make_flash("two_ota_factory", NULL, FLASH_4M, true);
    size_t n;
    uint8_t *bad = tu_read_vector("image/corrupt/esp32_small.checksum_flip.bin", &n);
    memset(f + 0x210000, 0xFF, 0x100000);
    memcpy(f + 0x210000, bad, n);
    free(bad);
    memset(f + 0x10000, 0xFF, 0x100000); /* factory: erased */
    const char *fp = tmp(1, "refuse.bin");
    tu_write_file(fp, f, FLASH_4M);
    char *out;
    assert_int_equal(run(&out, "set-boot %s ota_1", fp), 1);
    assert_non_null(strstr(out, "does not verify: image checksum does not match"));
    assert_non_null(strstr(out, "not switching"));
    free(out);
    assert_int_equal(run(&out, "set-boot %s factory", fp), 1);
    assert_non_null(strstr(out, "not an ESP app image"));
    free(out);
    /* the file is untouched */
    size_t flen;
    uint8_t *g = read_region(fp, &flen);
    assert_int_equal(flen, FLASH_4M);
    assert_memory_equal(g, f, FLASH_4M);
    free(g);
    /* --skip-validate writes anyway */
    assert_int_equal(run(&out, "set-boot --skip-validate %s ota_1", fp), 0);
    free(out);
    /* a file that ends inside the slot */
    const char *sp = tmp(2, "short.bin");
    tu_write_file(sp, f, 0x220000);
    assert_int_equal(run(&out, "set-boot %s ota_1", sp), 1);
    assert_non_null(strstr(out, "file ends inside partition"));
    free(out);
    free(f);
}

static void bad_input(void **state)
{
    (void)state;
    char *out;
    const char *fp = tmp(0, "bad.bin");
    /* no table */
    uint8_t *blank = malloc(SMALL);
    memset(blank, 0xFF, SMALL);
    tu_write_file(fp, blank, SMALL);
    assert_int_equal(run(&out, "dump %s", fp), 1);
    assert_non_null(strstr(out, "partition table at 0x8000"));
    free(out);
    assert_int_equal(run(&out, "set-boot %s 0", fp), 1);
    free(out);
    /* too short for a table */
    tu_write_file(fp, blank, 0x100);
    assert_int_equal(run(&out, "dump %s", fp), 1);
    assert_non_null(strstr(out, "no partition table"));
    free(out);
    /* table without otadata */
    size_t n;
    uint8_t *pt = tu_read_vector("parttable/builtin_singleapp.bin", &n);
    memcpy(blank + 0x8000, pt, n);
    free(pt);
    tu_write_file(fp, blank, SMALL);
    assert_int_equal(run(&out, "dump %s", fp), 1);
    assert_non_null(strstr(out, "no otadata partition"));
    free(out);
    assert_int_equal(run(&out, "set-boot %s ota_0", fp), 1);
    free(out);
    /* table with a corrupted MD5 */
    uint8_t *f = make_flash("two_ota_factory", NULL, SMALL, false);
    f[0x8000 + 12] ^= 1; /* a label byte of entry 0 */
    tu_write_file(fp, f, SMALL);
    assert_int_equal(run(&out, "dump %s", fp), 1);
    assert_non_null(strstr(out, "MD5"));
    free(out);
    /* file ends before otadata */
    free(f);
    f = make_flash("two_ota_factory", NULL, SMALL, false);
    tu_write_file(fp, f, 0xd100);
    assert_int_equal(run(&out, "dump %s", fp), 1);
    assert_non_null(strstr(out, "ends before the otadata partition"));
    free(out);
    /* region of the wrong size with --parttable */
    char ptp[600];
    snprintf(ptp, sizeof ptp, "%s/otadata/layouts/two_ota_factory.bin", WEBOTA_VECTORS);
    tu_write_file(fp, blank, 0x1000);
    assert_int_equal(run(&out, "dump --parttable %s %s", ptp, fp), 1);
    assert_non_null(strstr(out, "0x2000 bytes"));
    free(out);
    /* --parttable that is not a table */
    tu_write_file(fp, blank, 0x2000);
    assert_int_equal(run(&out, "dump --parttable %s %s", fp, fp), 1);
    free(out);
    /* missing files */
    assert_int_equal(run(&out, "dump %s/none.bin", tu_tmpdir()), 1);
    free(out);
    assert_int_equal(run(&out, "set-boot %s/none.bin 0", tu_tmpdir()), 1);
    free(out);
    free(blank);
    free(f);
}

static void usage(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run(&out, "--help"), 0);
    assert_non_null(strstr(out, "usage: webota otadata dump"));
    free(out);
    assert_int_equal(run(&out, "dump --help"), 0);
    free(out);
    const char *usage_errors[] = {
        "",
        "frobnicate",
        "dump",
        "dump --json",
        "dump --bogus x.bin",
        "dump a.bin b.bin",
        "dump --parttable",
        "set-boot",
        "set-boot x.bin",
        "set-boot x.bin ota_16",
        "set-boot x.bin ota_",
        "set-boot x.bin -1",
        "set-boot x.bin 0 extra",
        "set-boot --rule",
        "set-boot --rule v4 x.bin 0",
        "set-boot --frob x.bin 0",
    };
    for (size_t i = 0; i < sizeof usage_errors / sizeof usage_errors[0]; i++) {
        int rc = run(&out, "%s", usage_errors[i]);
        if (rc != 2)
            fail_msg("'webota otadata %s' exited %d, want 2:\n%s", usage_errors[i], rc, out);
        assert_non_null(strstr(out, "usage:"));
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dump_all_vectors),
        cmocka_unit_test(dump_text_details),
        cmocka_unit_test(gap_layout),
        cmocka_unit_test(set_boot_matches_otatool),
        cmocka_unit_test(set_boot_rules),
        cmocka_unit_test(set_boot_erases_sector),
        cmocka_unit_test(set_boot_refuses),
        cmocka_unit_test(bad_input),
        cmocka_unit_test(usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
