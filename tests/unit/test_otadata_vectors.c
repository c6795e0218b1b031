/* Every otadata vector of tests/vectors/manifest.tsv: the bootloader choice
 * without and with rollback, and the otatool-made regions rebuilt from an
 * erased region by the set-boot rules, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "webota/otadata.h"

struct layout {
    unsigned app_count;
    bool factory;
};

/* A minimal independent reading of the layout table: count app/ota_N entries
 * and look for app/factory (the parttable module is tested on its own). */
static struct layout read_layout(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "otadata/layouts/%s.bin", name);
    size_t len;
    uint8_t *t = tu_read_vector(rel, &len);
    struct layout l = {0, false};
    for (size_t off = 0; off + 32 <= len && t[off] == 0xAA && t[off + 1] == 0x50; off += 32) {
        if (t[off + 2] == 0x00 && t[off + 3] >= 0x10 && t[off + 3] < 0x20)
            l.app_count++;
        if (t[off + 2] == 0x00 && t[off + 3] == 0x00)
            l.factory = true;
    }
    free(t);
    return l;
}

static void choice_label(const webota_boot_choice_t *ch, const struct layout *l, char *out,
                         size_t n)
{
    if (ch->start >= 0)
        snprintf(out, n, "ota_%d%s", ch->start, ch->initial ? ",init" : "");
    else
        snprintf(out, n, "%s", l->factory ? "factory" : "scan");
}

static unsigned g_regions, g_tool;

/* "two_ota_factory.switch_0_1_erase.otadata.bin" -> replay and compare */
static void replay_tool(const char *file, const char *layout, const struct layout *l,
                        const uint8_t *want)
{
    const char *ops = strstr(file, ".switch_");
    assert_non_null(ops);
    ops += strlen(".switch_");
    webota_ota_rule_t rules[] = {WEBOTA_OTA_RULE_OTATOOL, WEBOTA_OTA_RULE_V5_5,
                                 WEBOTA_OTA_RULE_V6_0};
    for (size_t r = 0; r < 3; r++) {
        static uint8_t region[WEBOTA_OTADATA_SIZE];
        memset(region, 0xFF, sizeof region);
        bool same_slot_again = false;
        const char *p = ops;
        int last = -1;
        while (*p && *p != '.') {
            if (strncmp(p, "erase", 5) == 0) {
                memset(region, 0xFF, sizeof region);
                p += 5;
            } else {
                char *end;
                unsigned slot = (unsigned)strtoul(p, &end, 10);
                assert_true(end != p);
                p = end;
                webota_ota_entry_t e[2], out;
                unsigned sector;
                webota_ota_region_decode(region, e);
                int act = webota_ota_active(e);
                if (act >= 0 && webota_ota_seq_slot(e[act].seq, l->app_count) == slot)
                    same_slot_again = true;
                assert_int_equal(
                    webota_ota_set_boot(e, slot, l->app_count, false, rules[r], &sector, &out),
                    WEBOTA_OK);
                memset(region + sector * WEBOTA_OTADATA_SECTOR, 0xFF, WEBOTA_OTADATA_SECTOR);
                webota_ota_entry_encode(&out, region + sector * WEBOTA_OTADATA_SECTOR);
                last = (int)slot;
            }
            if (*p == '_')
                p++;
        }
        if (rules[r] != WEBOTA_OTA_RULE_V6_0 || !same_slot_again) {
            if (memcmp(region, want, WEBOTA_OTADATA_SIZE) != 0)
                fail_msg("%s: rule %d does not reproduce the otatool bytes", file, (int)r);
        } else {
            /* v6.0 rewrites in place where otatool wrote the other sector: the
             * bytes differ, the selected slot does not */
            assert_true(memcmp(region, want, WEBOTA_OTADATA_SIZE) != 0);
        }
        webota_ota_entry_t e[2];
        webota_ota_region_decode(region, e);
        int act = webota_ota_active(e);
        if (last >= 0 && strstr(ops, "erase") == NULL) {
            assert_true(act >= 0);
            assert_int_equal(webota_ota_seq_slot(e[act].seq, l->app_count), (unsigned)last);
        }
    }
    (void)layout;
    g_tool++;
}

static void check_region(const char *rel, const char *expected)
{
    const char *file = strrchr(rel, '/') + 1;
    char layout[64];
    size_t ll = strcspn(file, ".");
    assert_true(ll < sizeof layout);
    memcpy(layout, file, ll);
    layout[ll] = 0;
    struct layout l = read_layout(layout);
    assert_true(l.app_count > 0);

    size_t len;
    uint8_t *region = tu_read_vector(rel, &len);
    assert_int_equal(len, WEBOTA_OTADATA_SIZE);
    webota_ota_entry_t e[2];
    webota_ota_region_decode(region, e);

    /* the codec gives back the same bytes */
    for (int i = 0; i < 2; i++) {
        uint8_t raw[32];
        webota_ota_entry_encode(&e[i], raw);
        assert_memory_equal(raw, region + i * WEBOTA_OTADATA_SECTOR, 32);
    }

    char want_boot[64], want_rb[64];
    assert_int_equal(sscanf(expected, "boot=%63s rollback_boot=%63s", want_boot, want_rb), 2);
    for (int rb = 0; rb < 2; rb++) {
        webota_boot_config_t cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.app_count = l.app_count;
        cfg.has_factory = l.factory;
        cfg.rollback = rb != 0;
        webota_boot_choice_t ch;
        assert_int_equal(webota_ota_boot_select(e, &cfg, &ch), WEBOTA_OK);
        char got[64];
        choice_label(&ch, &l, got, sizeof got);
        if (strcmp(got, rb ? want_rb : want_boot) != 0)
            fail_msg("%s (%s): got %s, manifest says %s", rel, rb ? "rollback" : "no rollback", got,
                     rb ? want_rb : want_boot);
        if (!rb)
            assert_int_equal(ch.n_writes, 0);
    }
    if (strstr(file, ".switch_"))
        replay_tool(file, layout, &l, region);
    free(region);
    g_regions++;
}

static void all_vectors(void **state)
{
    (void)state;
    size_t len;
    char *m = (char *)tu_read_vector("manifest.tsv", &len);
    for (char *line = strtok(m, "\n"); line; line = strtok(NULL, "\n")) {
        char *path = line, *kind, *expected, *tab;
        if (!(tab = strchr(path, '\t')))
            continue;
        *tab = 0;
        kind = tab + 1;
        if (!(tab = strchr(kind, '\t')))
            continue;
        *tab = 0;
        expected = tab + 1;
        if ((tab = strchr(expected, '\t')))
            *tab = 0;
        if (strcmp(kind, "otadata.region") == 0)
            check_region(path, expected);
    }
    free(m);
    printf("otadata vectors: %u regions checked, %u otatool regions reproduced\n", g_regions,
           g_tool);
    assert_int_equal(g_regions, 30);
    assert_int_equal(g_tool, 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
