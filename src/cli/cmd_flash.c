/* `webota flash make|boot|update`: whole flash images of the simulated device.
 * make builds one (table at 0x8000, apps placed, otadata erased), boot powers
 * the simulated ESP32 on once and writes the bootloader's otadata rewrites back
 * to the file, update (cmd_flash_update.c) runs an update session on one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/json_out.h"
#include "sim/bootloader.h"
#include "sim/flash_image.h"
#include "sim/nor_flash.h"
#include "webota/image.h"
#include "webota/ota_state.h"
#include "webota/parttable.h"

#define MAX_APPS 16

static const char flash_usage[] =
    "usage: webota flash <command> [options]\n"
    "Whole flash images of the simulated ESP32 (the file `webota sim` runs on).\n\n"
    "commands:\n"
    "  make     make a flash image: partition table at 0x8000, apps placed, otadata erased\n"
    "  boot     power the simulated device on once: choose, verify and report the boot app\n"
    "  update   run a whole update session on a flash image, as an upload would\n\n"
    "'webota flash <command> --help' describes a command.\n";

static const char make_usage[] =
    "usage: webota flash make -o FLASH.bin [--size 4MB] [--chip esp32]\n"
    "                         [--layout two-ota|singleapp|two-ota-large|FILE.csv]\n"
    "                         [--app LABEL=IMAGE ...]\n"
    "Makes a complete flash image: 0xFF everywhere, the partition table (with MD5)\n"
    "at 0x8000, each IMAGE at the start of the app partition LABEL, otadata erased\n"
    "(so the first boot takes the factory app, or ota_0 when there is none).\n"
    "--size is a power of two from 64K to 16MB (default 4MB); --layout is a stock\n"
    "ESP-IDF table (default two-ota) or a partition CSV (gen_esp32part rules);\n"
    "every IMAGE is checked as an app for --chip (default esp32) and must fit its\n"
    "partition. Exit 0 on success, 1 on invalid input, 2 on usage errors.\n";

static const char boot_usage[] =
    "usage: webota flash boot [--rollback] [--anti-rollback --efuse-secure-version N]\n"
    "                         [--chip CHIP] [--table-offset N] [--json] FLASH.bin\n"
    "Powers the simulated device on once, as ESP-IDF's bootloader does: verifies the\n"
    "partition table, selects the slot from otadata, verifies the image (falling back\n"
    "along ESP-IDF's load order), and writes its otadata rewrites to FLASH.bin\n"
    "(--rollback: NEW -> PENDING_VERIFY, PENDING_VERIFY -> ABORTED). Prints the\n"
    "bootloader log, the partition booted, its otadata state and app descriptor.\n"
    "--anti-rollback emulates the eFuse secure version (start value N, default 0).\n"
    "--chip restricts the images to one chip (default: any known chip).\n"
    "JSON: boot, index, offset, state, project, version, idf_ver, secure_version,\n"
    "marker, image_length, otadata_writes, efuse_secure_version, log.\n"
    "Exit 0 when an app boots, 1 when nothing boots, 2 on usage errors.\n";

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A stock layout name, or a CSV file. Returns an exit status. */
static int load_layout(const char *layout, uint32_t flash_size, webota_parttable_t *pt)
{
    if (webota_pt_builtin(layout, pt) == WEBOTA_OK)
        return CLI_OK;
    if (!ends_with(layout, ".csv")) {
        cli_error("flash make", "unknown layout '%s' (two-ota, singleapp, two-ota-large or a .csv file)", layout);
        return CLI_USAGE;
    }
    size_t len;
    uint8_t *csv = cli_read_file(layout, &len);
    if (!csv)
        return CLI_INVALID;
    webota_pt_csv_opts_t opts;
    webota_pt_csv_opts_init(&opts);
    opts.flash_size = flash_size;
    webota_pt_csv_error_t err;
    memset(&err, 0, sizeof err);
    webota_err_t e = webota_pt_from_csv(pt, (const char *)csv, len, &opts, &err);
    free(csv);
    if (e != WEBOTA_OK) {
        cli_error("flash make", "%s: %s: %s", layout, webota_err_name(e),
                  err.message[0] ? err.message : webota_strerror(e));
        return CLI_INVALID;
    }
    return CLI_OK;
}

static int flash_make(int argc, char **argv)
{
    const char *out = NULL, *layout = "two-ota", *chip_name = "esp32";
    uint64_t size = 4u * 1024 * 1024;
    const char *app_arg[MAX_APPS];
    unsigned napps = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            fputs(make_usage, stdout);
            return CLI_OK;
        }
        bool takes = strcmp(a, "-o") == 0 || strcmp(a, "--size") == 0 || strcmp(a, "--chip") == 0 ||
                     strcmp(a, "--layout") == 0 || strcmp(a, "--app") == 0;
        if (!takes) {
            cli_error("flash make", "unexpected argument '%s'", a);
            fputs(make_usage, stderr);
            return CLI_USAGE;
        }
        if (!v) {
            cli_error("flash make", "%s needs a value", a);
            return CLI_USAGE;
        }
        i++;
        if (strcmp(a, "-o") == 0) {
            out = v;
        } else if (strcmp(a, "--size") == 0) {
            if (!cli_parse_size(v, &size) || size < SIM_NOR_MIN_SIZE || size > SIM_NOR_MAX_SIZE ||
                (size & (size - 1)) != 0) {
                cli_error("flash make", "--size %s: need a power of two from 64K to 16MB", v);
                return CLI_USAGE;
            }
        } else if (strcmp(a, "--chip") == 0) {
            chip_name = v;
        } else if (strcmp(a, "--layout") == 0) {
            layout = v;
        } else {
            if (napps == MAX_APPS) {
                cli_error("flash make", "at most %d --app options", MAX_APPS);
                return CLI_USAGE;
            }
            if (!strchr(v, '=') || v[0] == '=' || strchr(v, '=')[1] == 0) {
                cli_error("flash make", "--app %s: expected LABEL=IMAGE", v);
                return CLI_USAGE;
            }
            app_arg[napps++] = v;
        }
    }
    if (!out) {
        cli_error("flash make", "missing -o FLASH.bin");
        fputs(make_usage, stderr);
        return CLI_USAGE;
    }
    const webota_chip_info_t *chip = cli_chip(chip_name);
    if (!chip) {
        cli_error("flash make", "unknown chip '%s'", chip_name);
        return CLI_USAGE;
    }
    webota_parttable_t pt;
    int rc = load_layout(layout, (uint32_t)size, &pt);
    if (rc != CLI_OK)
        return rc;

    sim_flash_app_t apps[MAX_APPS];
    uint8_t *bufs[MAX_APPS] = {0};
    char labels[MAX_APPS][WEBOTA_PT_LABEL_MAX + 1];
    sim_nor_t *nor = NULL;
    rc = CLI_INVALID;
    for (unsigned k = 0; k < napps; k++) {
        const char *eq = strchr(app_arg[k], '=');
        size_t llen = (size_t)(eq - app_arg[k]);
        if (llen > WEBOTA_PT_LABEL_MAX) {
            cli_error("flash make", "label '%.*s' is longer than 16 characters", (int)llen, app_arg[k]);
            goto done;
        }
        memcpy(labels[k], app_arg[k], llen);
        labels[k][llen] = 0;
        const char *path = eq + 1;
        const webota_partition_t *p = webota_pt_find_label(&pt, labels[k]);
        if (!p || p->type != WEBOTA_PT_TYPE_APP) {
            cli_error("flash make", "layout %s has no app partition '%s'", layout, labels[k]);
            goto done;
        }
        for (unsigned j = 0; j < k; j++)
            if (strcmp(labels[j], labels[k]) == 0) {
                cli_error("flash make", "partition '%s' is given twice", labels[k]);
                goto done;
            }
        size_t len;
        bufs[k] = cli_read_file(path, &len);
        if (!bufs[k])
            goto done;
        webota_image_policy_t pol;
        webota_image_policy_init(&pol);
        pol.check_chip = true;
        pol.chip = (int)chip->chip;
        pol.max_size = p->size;
        webota_image_checker_t chk;
        webota_image_info_t info;
        webota_err_t e = webota_image_check_buffer(bufs[k], len, &pol, &info, &chk);
        const webota_image_status_t *st = webota_image_status(&chk);
        if (e != WEBOTA_OK) {
            cli_error("flash make", "%s for %s (0x%x bytes): %s: %s at offset %u", path, labels[k],
                      (unsigned)p->size, webota_err_name(e), webota_strerror(e), (unsigned)st->err_offset);
            goto done;
        }
        if (!st->marker)
            fprintf(stderr, "webota flash make: note: %s has no webota updater marker (it cannot update itself over the web)\n",
                    path);
        printf("%-16s 0x%06x  %s (%s %s, %zu bytes)\n", labels[k], (unsigned)p->offset, path,
               info.desc.project_name, info.desc.version, len);
        apps[k].label = labels[k];
        apps[k].image = bufs[k];
        apps[k].len = len;
    }
    nor = sim_nor_new_ram((uint32_t)size);
    if (!nor) {
        cli_error("flash make", "out of memory");
        goto done;
    }
    char msg[256];
    webota_err_t e = sim_flash_make(nor, &pt, WEBOTA_PT_OFFSET_DEFAULT, apps, napps, msg, sizeof msg);
    if (e != WEBOTA_OK) {
        cli_error("flash make", "%s: %s", webota_err_name(e), msg);
        goto done;
    }
    if (!cli_write_file(out, sim_nor_data(nor), (size_t)size))
        goto done;
    printf("wrote %s: %u KiB flash, partition table at 0x%x (%s, %u partitions), otadata erased\n", out,
           (unsigned)(size / 1024), WEBOTA_PT_OFFSET_DEFAULT, layout, pt.count);
    rc = CLI_OK;
done:
    for (unsigned k = 0; k < napps; k++)
        free(bufs[k]);
    sim_nor_close(nor);
    return rc;
}

static void print_boot_json(webota_err_t e, const sim_boot_result_t *r, bool anti_rollback)
{
    cli_json_out_t o;
    if (!cli_json_out_init(&o)) {
        return;
    }
    webota_json_t *w = &o.w;
    webota_json_obj_begin(w);
    if (e == WEBOTA_OK) {
        cli_jkv_str(w, "boot", r->part.label);
        cli_jkv_int(w, "index", r->index);
        cli_jkv_uint(w, "offset", r->part.offset);
        cli_jkv_uint(w, "size", r->part.size);
        cli_jkv_str(w, "state", webota_ota_state_name(r->state));
        cli_jkv_str(w, "project", r->desc.project_name);
        cli_jkv_str(w, "version", r->desc.version);
        cli_jkv_str(w, "idf_ver", r->desc.idf_ver);
        cli_jkv_uint(w, "secure_version", r->desc.secure_version);
        cli_jkv_bool(w, "marker", r->marker);
        cli_jkv_uint(w, "image_length", r->image_length);
    } else {
        webota_json_key(w, "boot");
        webota_json_null(w);
        cli_jkv_str(w, "error", webota_err_name(e));
        cli_jkv_str(w, "message", webota_strerror(e));
    }
    cli_jkv_uint(w, "otadata_writes", r->otadata_writes);
    if (anti_rollback) {
        cli_jkv_uint(w, "efuse_secure_version", r->efuse_secure_version);
    }
    cli_jkv_str(w, "log", r->log);
    webota_json_obj_end(w);
    cli_json_out_print(&o, stdout);
}

static int flash_boot(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false, have_efuse = false;
    sim_boot_config_t cfg;
    sim_boot_config_init(&cfg);
    cfg.chip = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (cli_is_help(a)) {
            fputs(boot_usage, stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--rollback") == 0) {
            cfg.rollback = true;
        } else if (strcmp(a, "--anti-rollback") == 0) {
            cfg.anti_rollback = true;
        } else if (strcmp(a, "--efuse-secure-version") == 0) {
            if (!v || !cli_parse_size(v, &n) || n > 32) {
                cli_error("flash boot", "--efuse-secure-version needs a number 0..32");
                return CLI_USAGE;
            }
            cfg.efuse_secure_version = (uint32_t)n;
            have_efuse = true;
            i++;
        } else if (strcmp(a, "--table-offset") == 0) {
            if (!v || !cli_parse_size(v, &n) || n % WEBOTA_SECTOR_SIZE || n == 0 || n > SIM_NOR_MAX_SIZE) {
                cli_error("flash boot", "--table-offset needs a non-zero multiple of 0x1000");
                return CLI_USAGE;
            }
            cfg.table_offset = (uint32_t)n;
            i++;
        } else if (strcmp(a, "--chip") == 0) {
            const webota_chip_info_t *c = cli_chip(v);
            if (!c) {
                cli_error("flash boot", "unknown chip '%s'", v ? v : "");
                return CLI_USAGE;
            }
            cfg.chip = (int)c->chip;
            i++;
        } else if (a[0] == '-' || path) {
            cli_error("flash boot", "unexpected argument '%s'", a);
            fputs(boot_usage, stderr);
            return CLI_USAGE;
        } else {
            path = a;
        }
    }
    if (!path) {
        cli_error("flash boot", "missing FLASH.bin");
        fputs(boot_usage, stderr);
        return CLI_USAGE;
    }
    if (have_efuse && !cfg.anti_rollback) {
        cli_error("flash boot", "--efuse-secure-version needs --anti-rollback");
        return CLI_USAGE;
    }
    webota_err_t e;
    sim_nor_t *nor = sim_nor_open(path, 0, &e);
    if (!nor) {
        cli_error("flash boot", "%s: %s", path,
                  e == WEBOTA_ERR_ARG ? "not a flash image (size must be a power of two from 64K to 16MB)"
                                      : webota_strerror(e));
        return CLI_INVALID;
    }
    webota_flash_t f = sim_nor_flash(nor);
    sim_boot_result_t *r = malloc(sizeof *r);
    if (!r) {
        sim_nor_close(nor);
        return CLI_INVALID;
    }
    e = sim_boot(&f, &cfg, r);
    sim_nor_close(nor);
    if (json) {
        print_boot_json(e, r, cfg.anti_rollback);
    } else {
        fputs(r->log, stdout);
        if (e == WEBOTA_OK) {
            char kind[32];
            if (r->index >= 0)
                snprintf(kind, sizeof kind, "OTA slot %d", r->index);
            else
                snprintf(kind, sizeof kind, "%s", r->index == -1 ? "factory app" : "test app");
            printf("\nboot:           %s (%s, offset 0x%x, size 0x%x)\n", r->part.label, kind,
                   (unsigned)r->part.offset, (unsigned)r->part.size);
            printf("state:          %s\n", webota_ota_state_name(r->state));
            printf("project:        %s\n", r->desc.project_name);
            printf("version:        %s\n", r->desc.version);
            printf("idf_ver:        %s\n", r->desc.idf_ver);
            printf("secure_version: %u\n", (unsigned)r->desc.secure_version);
            printf("marker:         %s\n", r->marker ? "yes (webota updater inside)" : "no");
            printf("otadata writes: %u\n", r->otadata_writes);
            if (cfg.anti_rollback)
                printf("eFuse secure version: %u\n", (unsigned)r->efuse_secure_version);
        } else {
            cli_error("flash boot", "%s: nothing boots: %s: %s", path, webota_err_name(e), webota_strerror(e));
        }
    }
    free(r);
    return e == WEBOTA_OK ? CLI_OK : CLI_INVALID;
}

int cmd_flash(int argc, char **argv)
{
    if (argc < 2) {
        fputs(flash_usage, stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1])) {
        fputs(flash_usage, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "make") == 0)
        return flash_make(argc - 1, argv + 1);
    if (strcmp(argv[1], "boot") == 0)
        return flash_boot(argc - 1, argv + 1);
    if (strcmp(argv[1], "update") == 0)
        return cmd_flash_update(argc - 1, argv + 1);
    cli_error("flash", "unknown command '%s'", argv[1]);
    fputs(flash_usage, stderr);
    return CLI_USAGE;
}
