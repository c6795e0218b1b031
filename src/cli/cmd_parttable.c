/* `webota parttable gen|dump`: gen_esp32part.py's two conversions, with the
 * device's verification rules for binaries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/json_out.h"
#include "webota/parttable.h"

static const char GEN_USAGE[] =
    "usage: webota parttable gen [options] IN.csv OUT.bin\n"
    "\n"
    "Converts a partition table CSV to the 0xC00-byte binary, byte for byte as\n"
    "ESP-IDF's gen_esp32part.py (v1.5) does, with all of its checks. $VAR and\n"
    "${VAR} in the CSV are taken from the environment. OUT.bin '-' is stdout.\n"
    "\n"
    "options:\n"
    "  --offset OFF                     partition table offset (default 0x8000)\n"
    "  --flash-size SIZE                check that the partitions fit (e.g. 4MB)\n"
    "  --disable-md5sum                 no MD5 entry\n"
    "  --secure v1|v2                   app size alignment for secure boot\n"
    "  --primary-bootloader-offset OFF  for CSV lines of type bootloader\n"
    "  --recovery-bootloader-offset OFF\n"
    "\n"
    "exit status: 0 written, 1 invalid table (message on stderr), 2 usage error\n";

static const char DUMP_USAGE[] =
    "usage: webota parttable dump [--offset OFF] [--json] IN.bin\n"
    "\n"
    "Verifies a partition table binary as the bootloader does and prints it as\n"
    "gen_esp32part.py prints it (CSV), or as JSON:\n"
    "  [{\"label\", \"type\", \"subtype\", \"offset\", \"size\", \"flags\"}] (numbers).\n"
    "IN.bin is the table alone, or a whole flash image (any file larger than\n"
    "4 KiB) whose table is read at OFF (default 0x8000).\n"
    "\n"
    "exit status: 0 printed, 1 invalid table (message on stderr), 2 usage error\n";

static const char USAGE[] = "usage: webota parttable gen|dump [options] ...\n"
                            "\n"
                            "  gen   partition table CSV -> binary (gen_esp32part.py rules)\n"
                            "  dump  binary (or whole flash image) -> CSV or JSON\n"
                            "\n"
                            "'webota parttable gen --help' and 'webota parttable dump --help' say more.\n";

#define CMD "parttable"

/* "--name VALUE" or "--name=VALUE"; advances *i over a separate value. */
static bool option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) {
        return false;
    }
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return true;
    }
    if (argv[*i][n] != 0) {
        return false;
    }
    if (*i + 1 >= argc) {
        *value = NULL;
        return true;
    }
    *value = argv[++*i];
    return true;
}

static bool parse_u32(const char *what, const char *s, uint32_t *out)
{
    uint64_t v;
    if (s == NULL || !cli_parse_size(s, &v) || v > UINT32_MAX) {
        cli_error(CMD, "%s needs a number (e.g. 0x8000, 4MB), not '%s'", what, s ? s : "");
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static const char *env_lookup(void *ctx, const char *name)
{
    (void)ctx;
    return getenv(name);
}

static int gen(int argc, char **argv)
{
    webota_pt_csv_opts_t opts;
    webota_pt_csv_opts_init(&opts);
    opts.getenv = env_lookup;
    const char *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is_help(argv[i])) {
            fputs(GEN_USAGE, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--disable-md5sum") == 0) {
            opts.md5 = false;
        } else if (option_value(argc, argv, &i, "--offset", &v)) {
            if (!parse_u32("--offset", v, &opts.table_offset)) {
                return CLI_USAGE;
            }
        } else if (option_value(argc, argv, &i, "--flash-size", &v)) {
            if (!parse_u32("--flash-size", v, &opts.flash_size)) {
                return CLI_USAGE;
            }
            if (opts.flash_size == 0) {
                cli_error(CMD, "--flash-size must not be 0");
                return CLI_USAGE;
            }
        } else if (option_value(argc, argv, &i, "--secure", &v)) {
            if (v != NULL && strcmp(v, "v1") == 0) {
                opts.secure = 1;
            } else if (v != NULL && strcmp(v, "v2") == 0) {
                opts.secure = 2;
            } else {
                cli_error(CMD, "--secure takes v1 or v2");
                return CLI_USAGE;
            }
        } else if (option_value(argc, argv, &i, "--primary-bootloader-offset", &v)) {
            if (!parse_u32("--primary-bootloader-offset", v, &opts.primary_bootloader_offset)) {
                return CLI_USAGE;
            }
            opts.has_primary_bootloader = true;
        } else if (option_value(argc, argv, &i, "--recovery-bootloader-offset", &v)) {
            if (!parse_u32("--recovery-bootloader-offset", v, &opts.recovery_bootloader_offset)) {
                return CLI_USAGE;
            }
            opts.has_recovery_bootloader = true;
        } else if (argv[i][0] == '-' && argv[i][1] != 0) {
            cli_error(CMD, "unknown option '%s' (see 'webota parttable gen --help')", argv[i]);
            return CLI_USAGE;
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            cli_error(CMD, "too many arguments (see 'webota parttable gen --help')");
            return CLI_USAGE;
        }
    }
    if (npos != 2) {
        fputs(GEN_USAGE, stderr);
        return CLI_USAGE;
    }
    size_t len;
    uint8_t *csv = cli_read_file(pos[0], &len);
    if (csv == NULL) {
        return CLI_INVALID;
    }
    if (len >= 2 && csv[0] == 0xAA && csv[1] == 0x50) {
        cli_error(CMD, "%s is a binary partition table, not CSV (use 'webota parttable dump')", pos[0]);
        free(csv);
        return CLI_INVALID;
    }
    /* About 3 KiB: static keeps it off the stack with the parser's state. */
    static webota_parttable_t pt;
    webota_pt_csv_error_t err;
    webota_err_t rc = webota_pt_from_csv(&pt, (const char *)csv, len, &opts, &err);
    free(csv);
    if (rc != WEBOTA_OK) {
        cli_error(CMD, "%s: %s", pos[0], err.message[0] ? err.message : webota_strerror(rc));
        return CLI_INVALID;
    }
    uint8_t bin[WEBOTA_PT_MAX_LEN];
    rc = webota_pt_build(&pt, opts.md5, bin);
    if (rc != WEBOTA_OK) {
        cli_error(CMD, "%s: %s", pos[0], webota_strerror(rc));
        return CLI_INVALID;
    }
    if (strcmp(pos[1], "-") == 0) {
        if (fwrite(bin, 1, sizeof(bin), stdout) != sizeof(bin) || fflush(stdout) != 0) {
            cli_error(CMD, "cannot write to stdout");
            return CLI_INVALID;
        }
        return CLI_OK;
    }
    return cli_write_file(pos[1], bin, sizeof(bin)) ? CLI_OK : CLI_INVALID;
}

static void print_json(const webota_parttable_t *pt)
{
    cli_json_out_t o;
    if (!cli_json_out_init(&o)) {
        return;
    }
    webota_json_arr_begin(&o.w);
    for (unsigned i = 0; i < pt->count; i++) {
        const webota_partition_t *p = &pt->part[i];
        webota_json_obj_begin(&o.w);
        cli_jkv_str(&o.w, "label", p->label);
        cli_jkv_uint(&o.w, "type", p->type);
        cli_jkv_uint(&o.w, "subtype", p->subtype);
        cli_jkv_uint(&o.w, "offset", p->offset);
        cli_jkv_uint(&o.w, "size", p->size);
        cli_jkv_uint(&o.w, "flags", p->flags);
        webota_json_obj_end(&o.w);
    }
    webota_json_arr_end(&o.w);
    cli_json_out_print(&o, stdout);
}

/* The device rule that failed, with the bytes concerned. */
static void report_parse_error(const char *in, webota_err_t rc, int bad, const uint8_t *table,
                               size_t len)
{
    unsigned at = bad >= 0 ? (unsigned)bad * WEBOTA_PT_ENTRY_LEN : 0;
    switch (rc) {
    case WEBOTA_ERR_PT_BAD_MAGIC:
        cli_error(CMD, "%s: %s: slot %d (offset 0x%x) starts with %02x%02x, not aa50 (entry), "
                       "ebeb (MD5) or an ffff end marker", in, webota_strerror(rc), bad, at,
                  table[at], table[at + 1]);
        break;
    case WEBOTA_ERR_PT_MD5_MISMATCH:
        cli_error(CMD, "%s: %s: MD5 entry at slot %d does not match the MD5 of bytes 0x0..0x%x",
                  in, webota_strerror(rc), bad, at);
        break;
    case WEBOTA_ERR_PT_TRUNCATED:
        cli_error(CMD, "%s: %s: the data ends at 0x%zx, before an end-of-table marker", in,
                  webota_strerror(rc), len);
        break;
    case WEBOTA_ERR_PT_NO_END:
        cli_error(CMD, "%s: %s in the 0xC00-byte table area", in, webota_strerror(rc));
        break;
    default:
        if (bad >= 0) {
            cli_error(CMD, "%s: %s (slot %d, offset 0x%x)", in, webota_strerror(rc), bad, at);
        } else {
            cli_error(CMD, "%s: %s", in, webota_strerror(rc));
        }
    }
}

static int dump(int argc, char **argv)
{
    uint32_t offset = WEBOTA_PT_OFFSET_DEFAULT;
    bool json = false;
    const char *in = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is_help(argv[i])) {
            fputs(DUMP_USAGE, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (option_value(argc, argv, &i, "--offset", &v)) {
            if (!parse_u32("--offset", v, &offset)) {
                return CLI_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != 0) {
            cli_error(CMD, "unknown option '%s' (see 'webota parttable dump --help')", argv[i]);
            return CLI_USAGE;
        } else if (in == NULL) {
            in = argv[i];
        } else {
            cli_error(CMD, "too many arguments (see 'webota parttable dump --help')");
            return CLI_USAGE;
        }
    }
    if (in == NULL) {
        fputs(DUMP_USAGE, stderr);
        return CLI_USAGE;
    }
    size_t len;
    uint8_t *data = cli_read_file(in, &len);
    if (data == NULL) {
        return CLI_INVALID;
    }
    const uint8_t *table = data;
    size_t tlen = len;
    if (len > 0x1000) { /* a whole flash image */
        if (offset >= len) {
            cli_error(CMD, "%s: %zu bytes, no partition table at 0x%lx", in, len, (unsigned long)offset);
            free(data);
            return CLI_INVALID;
        }
        table = data + offset;
        tlen = len - offset;
    }
    static webota_parttable_t pt;
    int bad = -1;
    webota_err_t rc = webota_pt_parse(&pt, table, tlen, 0, false, &bad);
    if (rc != WEBOTA_OK) {
        report_parse_error(in, rc, bad, table, tlen);
        free(data);
        return CLI_INVALID;
    }
    free(data);
    if (json) {
        print_json(&pt);
        return CLI_OK;
    }
    static char csv[WEBOTA_PT_MAX_ENTRIES * 160 + 128];
    size_t n;
    if (webota_pt_to_csv(&pt, csv, sizeof(csv), &n) != WEBOTA_OK) {
        cli_error(CMD, "%s: table too large to print", in);
        return CLI_INVALID;
    }
    fwrite(csv, 1, n, stdout);
    return CLI_OK;
}

int cmd_parttable(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1])) {
        fputs(USAGE, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "gen") == 0) {
        return gen(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "dump") == 0) {
        return dump(argc - 1, argv + 1);
    }
    cli_error(CMD, "unknown subcommand '%s'", argv[1]);
    fputs(USAGE, stderr);
    return CLI_USAGE;
}
