/* `webota otadata dump` and `webota otadata set-boot`: the otadata rules of
 * src/core/otadata.c applied to a flash image file (or a bare region). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/json_out.h"
#include "webota/image.h"
#include "webota/otadata.h"
#include "webota/parttable.h"

#define CMD "otadata"

#define USAGE_LINES                                                                                \
    "usage: webota otadata dump [--json] [--rollback] [--parttable PT.bin] FILE\n"                 \
    "       webota otadata set-boot [--rollback] [--rule v6.0|v5.5|otatool] [--skip-validate]\n"   \
    "                               FLASH.bin SLOT\n"

static const char usage_text[] = USAGE_LINES
    "\n"
    "dump      print both otadata entries (seq, state, CRC) and the app partition\n"
    "          ESP-IDF's bootloader selects. FILE is a whole flash image (partition\n"
    "          table at 0x8000), or with --parttable the 8 KiB otadata region alone\n"
    "          (PT.bin: a table binary or a flash image holding one at 0x8000).\n"
    "          --rollback  as a bootloader built with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE\n"
    "          --json      {\"entries\":[{\"seq\",\"state\",\"crc_ok\",...}],\"selected\",...}\n"
    "set-boot  make SLOT (ota_N, N or factory) the boot partition, like\n"
    "          esp_ota_set_boot_partition: the image in SLOT must verify, then the\n"
    "          target otadata sector is erased and the new entry written (factory:\n"
    "          both sectors erased). The file is replaced atomically.\n"
    "          --rollback       write state NEW (app built with rollback) instead of UNDEFINED\n"
    "          --rule R         v6.0 (default), v5.5 (always the other sector) or\n"
    "                           otatool (switch_ota_partition: seq and CRC only)\n"
    "          --skip-validate  do not verify the image "
    "(esp_ota_set_boot_partition_skip_validate)\n"
    "\n"
    "exit status: 0 ok, 1 invalid input, 2 usage error\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "webota " CMD ": ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n" USAGE_LINES);
    return CLI_USAGE;
}

/* Table binary at `off` of buf (0x8000 in a flash image). */
static bool load_table(const char *what, const uint8_t *buf, size_t len, size_t off,
                       webota_parttable_t *pt)
{
    if (len < off + WEBOTA_PT_ENTRY_LEN) {
        cli_error(CMD, "%s: no partition table at 0x%zx (file is %zu bytes)", what, off, len);
        return false;
    }
    int bad = -1;
    webota_err_t err = webota_pt_parse(pt, buf + off, len - off, 0, false, &bad);
    if (err != WEBOTA_OK) {
        if (bad >= 0)
            cli_error(CMD, "%s: partition table at 0x%zx, entry %d: %s", what, off, bad,
                      webota_strerror(err));
        else
            cli_error(CMD, "%s: partition table at 0x%zx: %s", what, off, webota_strerror(err));
        return false;
    }
    return true;
}

static const webota_partition_t *otadata_of(const char *what, const webota_parttable_t *pt)
{
    const webota_partition_t *p = webota_pt_otadata(pt);
    if (!p) {
        cli_error(CMD, "%s: %s (the bootloader boots factory)", what,
                  webota_strerror(WEBOTA_ERR_OTA_NO_OTADATA));
        return NULL;
    }
    if (p->size < WEBOTA_OTADATA_SIZE) {
        cli_error(CMD, "%s: otadata partition is 0x%x bytes, below 0x2000 (the bootloader resets)",
                  what, (unsigned)p->size);
        return NULL;
    }
    return p;
}

static void index_label(int idx, char *out, size_t n)
{
    if (idx == WEBOTA_OTA_INDEX_FACTORY)
        snprintf(out, n, "factory");
    else if (idx == WEBOTA_OTA_INDEX_TEST)
        snprintf(out, n, "test");
    else
        snprintf(out, n, "ota_%d", idx);
}

static bool label_blank(const webota_ota_entry_t *e)
{
    for (size_t i = 0; i < sizeof e->seq_label; i++)
        if (e->seq_label[i] != 0xFF)
            return false;
    return true;
}

/* ---- dump ---- */

struct dump_view {
    webota_ota_entry_t e[2];
    webota_boot_choice_t ch;
    int order[WEBOTA_OTA_LOAD_ORDER_MAX];
    unsigned n_order;
    bool scan;
    uint32_t region_offset; /* 0 when only the region was given */
};

static void print_json(const struct dump_view *v, const webota_parttable_t *pt,
                       const webota_boot_config_t *cfg)
{
    char lbl[16];
    cli_json_out_t o;
    if (!cli_json_out_init(&o)) {
        return;
    }
    webota_json_t *w = &o.w;
    webota_json_obj_begin(w);
    webota_json_key(w, "entries");
    webota_json_arr_begin(w);
    for (int i = 0; i < 2; i++) {
        const webota_ota_entry_t *e = &v->e[i];
        webota_json_obj_begin(w);
        cli_jkv_uint(w, "seq", e->seq);
        cli_jkv_str(w, "state", webota_ota_state_name(e->state));
        cli_jkv_uint(w, "state_raw", e->state);
        cli_jkv_uint(w, "crc", e->crc);
        cli_jkv_bool(w, "crc_ok", webota_ota_crc_ok(e));
        cli_jkv_bool(w, "erased", webota_ota_entry_is_erased(e));
        cli_jkv_bool(w, "valid", webota_ota_entry_valid(e));
        webota_json_obj_end(w);
    }
    webota_json_arr_end(w);
    webota_json_key(w, "otadata_offset");
    if (v->region_offset) {
        webota_json_uint(w, v->region_offset);
    } else {
        webota_json_null(w);
    }
    cli_jkv_uint(w, "app_count", cfg->app_count);
    cli_jkv_bool(w, "factory", cfg->has_factory);
    cli_jkv_bool(w, "rollback", cfg->rollback);
    webota_json_key(w, "active");
    if (v->ch.active >= 0) {
        webota_json_int(w, v->ch.active);
    } else {
        webota_json_null(w);
    }
    webota_json_key(w, "selected");
    if (v->n_order > 0) {
        index_label(v->scan ? v->order[0] : v->ch.start, lbl, sizeof lbl);
        webota_json_str(w, lbl);
    } else {
        webota_json_null(w);
    }
    cli_jkv_bool(w, "scan", v->scan);
    cli_jkv_bool(w, "init", v->ch.initial);
    webota_json_key(w, "rewrites");
    webota_json_arr_begin(w);
    for (unsigned i = 0; i < v->ch.n_writes; i++) {
        int idx = v->ch.write_order[i];
        webota_json_obj_begin(w);
        cli_jkv_int(w, "entry", idx);
        cli_jkv_str(w, "state", webota_ota_state_name(v->ch.entry[idx].state));
        webota_json_obj_end(w);
    }
    webota_json_arr_end(w);
    webota_json_key(w, "load_order");
    webota_json_arr_begin(w);
    for (unsigned i = 0; i < v->n_order; i++) {
        index_label(v->order[i], lbl, sizeof lbl);
        webota_json_str(w, lbl);
    }
    webota_json_arr_end(w);
    webota_json_obj_end(w);
    cli_json_out_print(&o, stdout);
    (void)pt;
}

static void print_text(const struct dump_view *v, const webota_parttable_t *pt,
                       const webota_boot_config_t *cfg)
{
    char lbl[16];
    if (v->region_offset)
        printf("otadata at 0x%lx; ", (unsigned long)v->region_offset);
    printf("bootloader view: %u OTA app slot%s, %s factory app\n", cfg->app_count,
           cfg->app_count == 1 ? "" : "s", cfg->has_factory ? "a" : "no");
    for (int i = 0; i < 2; i++) {
        const webota_ota_entry_t *e = &v->e[i];
        printf("entry %d: ", i);
        if (webota_ota_entry_is_erased(e)) {
            printf("erased\n");
            continue;
        }
        printf("seq 0x%08lx  state %s (0x%lx)  crc 0x%08lx %s", (unsigned long)e->seq,
               webota_ota_state_name(e->state), (unsigned long)e->state, (unsigned long)e->crc,
               webota_ota_crc_ok(e) ? "ok" : "BAD");
        if (!webota_ota_crc_ok(e))
            printf(" (want 0x%08lx)", (unsigned long)webota_ota_seq_crc(e->seq));
        if (webota_ota_entry_valid(e) && cfg->app_count)
            printf("  -> ota_%u", webota_ota_seq_slot(e->seq, cfg->app_count));
        else if (!webota_ota_entry_valid(e))
            printf("  (not usable)");
        if (!label_blank(e)) {
            printf("  label ");
            for (size_t k = 0; k < sizeof e->seq_label; k++)
                printf("%02x", e->seq_label[k]);
        }
        printf("\n");
    }
    for (unsigned i = 0; i < v->ch.n_writes; i++) {
        int idx = v->ch.write_order[i];
        printf("rewrite: entry %d %s -> %s\n", idx, webota_ota_state_name(v->e[idx].state),
               webota_ota_state_name(v->ch.entry[idx].state));
    }
    const char *how = cfg->rollback ? "with rollback" : "without rollback";
    if (v->n_order == 0) {
        printf("selected: none (nothing bootable: the bootloader resets) [%s]\n", how);
        return;
    }
    if (v->scan) {
        index_label(v->order[0], lbl, sizeof lbl);
        printf("selected: %s (no usable entry and no factory app: the bootloader scans", lbl);
        for (unsigned i = 0; i < v->n_order; i++) {
            char l2[16];
            index_label(v->order[i], l2, sizeof l2);
            printf("%s %s", i ? "," : "", l2);
        }
        printf(") [%s]\n", how);
        return;
    }
    index_label(v->ch.start, lbl, sizeof lbl);
    printf("selected: %s", lbl);
    const webota_partition_t *p =
        v->ch.start >= 0 ? webota_pt_ota_slot(pt, (unsigned)v->ch.start) : webota_pt_factory(pt);
    if (p)
        printf(" (partition \"%s\" at 0x%lx)", p->label, (unsigned long)p->offset);
    if (v->ch.initial)
        printf("; otadata is blank: once %s loads, the bootloader writes entry 0 = seq %d, valid",
               lbl, v->ch.start + 1);
    printf(" [%s]\n", how);
}

/* An argument that is none of a subcommand's options: --help prints the
 * usage (CLI_OK), another word starting with '-' is an unknown option, any
 * other the next of at most max positional arguments. Returns -1 when the
 * argument was taken, else the exit status. */
static int other_arg(const char *arg, const char **pos, int *npos, int max)
{
    if (cli_is_help(arg)) {
        fputs(usage_text, stdout);
        return CLI_OK;
    }
    if (arg[0] == '-' && arg[1])
        return usage_error("unknown option %s", arg);
    if (*npos >= max)
        return usage_error("unexpected argument %s", arg);
    pos[(*npos)++] = arg;
    return -1;
}

static int dump(int argc, char **argv)
{
    bool json = false, rollback = false;
    const char *pt_path = NULL, *file = NULL;
    int nfile = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--rollback")) {
            rollback = true;
        } else if (!strcmp(argv[i], "--parttable")) {
            if (++i >= argc)
                return usage_error("%s needs a file", "--parttable");
            pt_path = argv[i];
        } else {
            int rc = other_arg(argv[i], &file, &nfile, 1);
            if (rc >= 0)
                return rc;
        }
    }
    if (!file)
        return usage_error("dump: missing FILE");

    static webota_parttable_t pt;
    struct dump_view v;
    memset(&v, 0, sizeof v);
    size_t len;
    uint8_t *buf = cli_read_file(file, &len);
    if (!buf)
        return CLI_INVALID;
    int rc = CLI_INVALID;
    const uint8_t *region = NULL;
    if (pt_path) {
        size_t pt_len;
        uint8_t *ptb = cli_read_file(pt_path, &pt_len);
        if (!ptb)
            goto out;
        /* a bare table starts with an entry magic; anything else is a flash image */
        size_t off = pt_len >= 2 && ptb[0] == 0xAA && ptb[1] == 0x50 ? 0 : WEBOTA_PT_OFFSET_DEFAULT;
        bool ok = load_table(pt_path, ptb, pt_len, off, &pt);
        free(ptb);
        if (!ok || !otadata_of(pt_path, &pt))
            goto out;
        if (len != WEBOTA_OTADATA_SIZE) {
            cli_error(CMD, "%s: an otadata region is 0x2000 bytes, this file is %zu", file, len);
            goto out;
        }
        region = buf;
    } else {
        if (!load_table(file, buf, len, WEBOTA_PT_OFFSET_DEFAULT, &pt))
            goto out;
        const webota_partition_t *od = otadata_of(file, &pt);
        if (!od)
            goto out;
        if ((uint64_t)od->offset + WEBOTA_OTADATA_SIZE > len) {
            cli_error(CMD, "%s: file ends before the otadata partition at 0x%lx", file,
                      (unsigned long)od->offset);
            goto out;
        }
        region = buf + od->offset;
        v.region_offset = od->offset;
    }

    webota_boot_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.app_count = webota_pt_app_count_boot(&pt);
    cfg.has_factory = webota_pt_factory(&pt) != NULL;
    cfg.rollback = rollback;
    webota_ota_region_decode(region, v.e);
    webota_err_t err = webota_ota_boot_select(v.e, &cfg, &v.ch);
    if (err != WEBOTA_OK) {
        cli_error(CMD, "%s: %s", file, webota_strerror(err));
        goto out;
    }
    unsigned n = webota_ota_load_order(v.ch.start, cfg.app_count, cfg.has_factory,
                                       webota_pt_test(&pt) != NULL, v.order);
    for (unsigned i = 0; i < n; i++) /* slots missing from the table (gaps) are skipped */
        if (v.order[i] < 0 || webota_pt_ota_slot(&pt, (unsigned)v.order[i]))
            v.order[v.n_order++] = v.order[i];
    v.scan = v.ch.start == WEBOTA_OTA_INDEX_FACTORY && !cfg.has_factory;
    if (json)
        print_json(&v, &pt, &cfg);
    else
        print_text(&v, &pt, &cfg);
    rc = CLI_OK;
out:
    free(buf);
    return rc;
}

/* ---- set-boot ---- */

static bool verify_app(const char *file, const uint8_t *flash, size_t len,
                       const webota_partition_t *p)
{
    if ((uint64_t)p->offset + p->size > len) {
        cli_error(CMD, "%s: file ends inside partition \"%s\" (0x%lx + 0x%lx)", file, p->label,
                  (unsigned long)p->offset, (unsigned long)p->size);
        return false;
    }
    webota_image_policy_t pol;
    webota_image_policy_init(&pol);
    pol.max_size = p->size;
    webota_image_checker_t *c = malloc(sizeof *c);
    if (!c) {
        cli_error(CMD, "out of memory");
        return false;
    }
    webota_err_t err = webota_image_check_buffer(flash + p->offset, p->size, &pol, NULL, c);
    uint32_t at = webota_image_status(c)->err_offset;
    free(c);
    if (err != WEBOTA_OK) {
        cli_error(
            CMD,
            "%s: the image in \"%s\" does not verify: %s (at image offset 0x%lx); not switching",
            file, p->label, webota_strerror(err), (unsigned long)at);
        return false;
    }
    return true;
}

static bool parse_slot(const char *s, int *slot)
{
    if (!strcmp(s, "factory")) {
        *slot = WEBOTA_OTA_INDEX_FACTORY;
        return true;
    }
    if (!strncmp(s, "ota_", 4))
        s += 4;
    if (!*s || strlen(s) > 2)
        return false;
    int v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
    }
    if (v >= (int)WEBOTA_OTA_MAX_SLOTS)
        return false;
    *slot = v;
    return true;
}

static int set_boot(int argc, char **argv)
{
    bool rollback = false, validate = true;
    webota_ota_rule_t rule = WEBOTA_OTA_RULE_V6_0;
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rollback")) {
            rollback = true;
        } else if (!strcmp(argv[i], "--skip-validate")) {
            validate = false;
        } else if (!strcmp(argv[i], "--rule")) {
            if (++i >= argc)
                return usage_error("%s needs v6.0, v5.5 or otatool", "--rule");
            if (!strcmp(argv[i], "v6.0"))
                rule = WEBOTA_OTA_RULE_V6_0;
            else if (!strcmp(argv[i], "v5.5"))
                rule = WEBOTA_OTA_RULE_V5_5;
            else if (!strcmp(argv[i], "otatool"))
                rule = WEBOTA_OTA_RULE_OTATOOL;
            else
                return usage_error("unknown rule %s (v6.0, v5.5 or otatool)", argv[i]);
        } else {
            int rc = other_arg(argv[i], pos, &npos, 2);
            if (rc >= 0)
                return rc;
        }
    }
    if (npos != 2)
        return usage_error("set-boot: needs FLASH.bin and SLOT");
    const char *file = pos[0];
    int slot;
    if (!parse_slot(pos[1], &slot))
        return usage_error("bad SLOT %s (ota_N, N or factory)", pos[1]);

    static webota_parttable_t pt;
    size_t len;
    uint8_t *buf = cli_read_file(file, &len);
    if (!buf)
        return CLI_INVALID;
    int rc = CLI_INVALID;
    if (!load_table(file, buf, len, WEBOTA_PT_OFFSET_DEFAULT, &pt))
        goto out;
    const webota_partition_t *od = otadata_of(file, &pt);
    if (!od)
        goto out;
    if ((uint64_t)od->offset + WEBOTA_OTADATA_SIZE > len) {
        cli_error(CMD, "%s: file ends before the otadata partition at 0x%lx", file,
                  (unsigned long)od->offset);
        goto out;
    }
    uint8_t *region = buf + od->offset;

    const webota_partition_t *target = slot == WEBOTA_OTA_INDEX_FACTORY
                                           ? webota_pt_factory(&pt)
                                           : webota_pt_ota_slot(&pt, (unsigned)slot);
    if (!target) {
        cli_error(CMD, "%s: the partition table has no %s partition", file, pos[1]);
        goto out;
    }
    if (validate && !verify_app(file, buf, len, target))
        goto out;

    if (slot == WEBOTA_OTA_INDEX_FACTORY) {
        memset(region, 0xFF, WEBOTA_OTADATA_SIZE);
        if (!cli_write_file(file, buf, len))
            goto out;
        printf("factory: otadata erased (0x%lx..0x%lx)\n", (unsigned long)od->offset,
               (unsigned long)(od->offset + WEBOTA_OTADATA_SIZE));
        rc = CLI_OK;
        goto out;
    }

    webota_ota_entry_t e[2], ent;
    unsigned sector;
    webota_ota_region_decode(region, e);
    unsigned n_app = webota_pt_app_count_app(&pt);
    webota_err_t err = webota_ota_set_boot(e, (unsigned)slot, n_app, rollback, rule, &sector, &ent);
    if (err == WEBOTA_ERR_OTA_BAD_SLOT) {
        cli_error(
            CMD, "%s: ota_%d is not reachable: the app counts %u consecutive OTA slot%s from ota_0",
            file, slot, n_app, n_app == 1 ? "" : "s");
        goto out;
    }
    if (err != WEBOTA_OK) {
        cli_error(CMD, "%s: %s", file, webota_strerror(err));
        goto out;
    }
    uint8_t *sec = region + sector * WEBOTA_OTADATA_SECTOR;
    if (rule == WEBOTA_OTA_RULE_OTATOOL) {
        /* otatool rewrites the whole partition with only seq and CRC patched */
        webota_ota_entry_encode(&ent, sec);
    } else {
        memset(sec, 0xFF, WEBOTA_OTADATA_SECTOR);
        webota_ota_entry_encode(&ent, sec);
    }
    if (!cli_write_file(file, buf, len))
        goto out;
    printf("ota_%d: entry %u = seq %lu, state %s (otadata sector 0x%lx rewritten)\n", slot, sector,
           (unsigned long)ent.seq, webota_ota_state_name(ent.state),
           (unsigned long)(od->offset + sector * WEBOTA_OTADATA_SECTOR));
    rc = CLI_OK;
out:
    free(buf);
    return rc;
}

int cmd_otadata(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing subcommand (dump, set-boot; --help explains them)");
    const char *sub = argv[1];
    if (cli_is_help(sub) || !strcmp(sub, "help")) {
        fputs(usage_text, stdout);
        return CLI_OK;
    }
    if (!strcmp(sub, "dump"))
        return dump(argc - 1, argv + 1);
    if (!strcmp(sub, "set-boot"))
        return set_boot(argc - 1, argv + 1);
    return usage_error("unknown subcommand %s (dump, set-boot)", sub);
}
