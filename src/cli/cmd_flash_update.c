/* `webota flash update`: one whole update session on a flash image file, as an
 * upload to the device would run it (power-on, session in chunks, activate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/json_out.h"
#include "sim/bootloader.h"
#include "sim/nor_flash.h"
#include "sim/power_on.h"
#include "webota/chip.h"
#include "webota/slot_flash.h"
#include "webota/update.h"

#define CHUNK 4096 /* a typical HTTP receive buffer */

static const char usage[] =
    "usage: webota flash update [--rollback] [--force] [--chip CHIP] [--json] FLASH.bin IMAGE\n"
    "Runs a whole update session on the simulated device in FLASH.bin, as an upload\n"
    "would: powers the device on once (the bootloader's otadata rewrites are written,\n"
    "as at a real power-on) to learn the running partition, streams IMAGE in 4 KiB\n"
    "chunks through the image checker and the policy (chip, size against the slot,\n"
    "secure_version not below the running firmware's, webota marker), writes the\n"
    "next OTA slot erasing sector by sector, verifies it from flash and switches\n"
    "otadata to it (ESP-IDF v6.0 rules). Nothing is written when the image is\n"
    "refused. Prints the slot, the new firmware, its otadata state and the flash\n"
    "operations with the time a real chip would have spent.\n"
    "  --rollback  the device is built with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE:\n"
    "              the new entry is NEW, and this power-on, like any reset, rolls back\n"
    "              a firmware still PENDING_VERIFY (confirm it with the simulator first)\n"
    "  --force     accept an image without the webota updater marker\n"
    "  --chip      the device's chip (default esp32)\n"
    "  --json      print one JSON object (ok, slot, project, version, state, bytes,\n"
    "              flash{erases, programs, reads, bytes_erased, bytes_programmed,\n"
    "              bytes_read, busy_ms}; or ok false, error, message, offset)\n"
    "Exit 0 when the update is activated, 1 when it is refused or fails, 2 on usage\n"
    "errors.\n";

static void stats_json(webota_json_t *w, const sim_nor_stats_t *st)
{
    webota_json_key(w, "flash");
    webota_json_obj_begin(w);
    cli_jkv_uint(w, "erases", st->erases);
    cli_jkv_uint(w, "programs", st->programs);
    cli_jkv_uint(w, "reads", st->reads);
    cli_jkv_uint(w, "bytes_erased", st->bytes_erased);
    cli_jkv_uint(w, "bytes_programmed", st->bytes_programmed);
    cli_jkv_uint(w, "bytes_read", st->bytes_read);
    webota_json_key(w, "busy_ms"); /* one decimal, as the text says it */
    webota_json_fixed(w, (int64_t)(st->busy_ms * 10.0 + 0.5), 1);
    webota_json_obj_end(w);
}

static void print_stats(const sim_nor_stats_t *st)
{
    printf("flash: %llu erases (%llu KiB), %llu programs (%llu bytes), %llu reads (%llu bytes), "
           "a real chip would be busy %.1f ms\n",
           (unsigned long long)st->erases, (unsigned long long)(st->bytes_erased / 1024),
           (unsigned long long)st->programs, (unsigned long long)st->bytes_programmed,
           (unsigned long long)st->reads, (unsigned long long)st->bytes_read, st->busy_ms);
}

typedef struct job {
    bool rollback, force, json;
    int chip;
    const char *flash_path, *image_path;
} job_t;

/* Runs the session; returns an exit status. */
static int run(const job_t *j, sim_nor_t *nor, const uint8_t *img, size_t len)
{
    webota_flash_t flash = sim_nor_flash(nor);
    sim_boot_config_t bc;
    sim_boot_config_init(&bc);
    bc.rollback = j->rollback;
    bc.chip = j->chip;
    sim_running_t *r = malloc(sizeof *r);
    webota_update_t *u = calloc(1, sizeof *u);
    int rc = CLI_INVALID;
    if (r == NULL || u == NULL) {
        cli_error("flash update", "out of memory");
        goto out;
    }
    bool booted = false;
    webota_err_t err = sim_power_on(&flash, &bc, r, &booted);
    const sim_boot_result_t *boot = &r->boot;
    webota_slot_flash_t *slot = &r->slot;
    if (!booted) {
        fputs(boot->log, stderr);
        cli_error("flash update", "%s: the device does not boot: %s", j->flash_path, webota_strerror(err));
        goto out;
    }
    if (err != WEBOTA_OK) {
        cli_error("flash update", "%s: %s", j->flash_path, webota_strerror(err));
        goto out;
    }
    webota_update_policy_t pol;
    webota_update_policy_init(&pol);
    pol.check_chip = true; /* a negative chip: any */
    pol.chip = j->chip;
    pol.running_secure_version = boot->desc.secure_version;

    sim_nor_reset_stats(nor);
    err = webota_update_begin(u, &r->rules, &pol, (uint32_t)len, j->force);
    for (size_t off = 0; err == WEBOTA_OK && off < len; off += CHUNK)
        err = webota_update_write(u, img + off, len - off < CHUNK ? len - off : CHUNK);
    if (err == WEBOTA_OK)
        err = webota_update_finish(u);
    sim_nor_stats_t st = sim_nor_stats(nor);

    const webota_slot_info_t *target = webota_update_slot(u);
    const webota_app_desc_t *d = webota_update_desc(u);
    if (err != WEBOTA_OK) {
        cli_json_out_t o;
        if (j->json && cli_json_out_init(&o)) {
            webota_json_obj_begin(&o.w);
            cli_jkv_bool(&o.w, "ok", false);
            cli_jkv_str(&o.w, "error", webota_err_name(err));
            cli_jkv_str(&o.w, "message", webota_update_message(u));
            cli_jkv_uint(&o.w, "offset", webota_update_error_offset(u));
            cli_jkv_str(&o.w, "running", boot->part.label);
            stats_json(&o.w, &st);
            webota_json_obj_end(&o.w);
            cli_json_out_print(&o, stdout);
        } else if (!j->json) {
            cli_error("flash update", "%s: %s: %s", j->image_path, webota_err_name(err), webota_update_message(u));
            printf("running firmware (%s, %s %s) and otadata are unchanged\n", boot->part.label,
                   boot->desc.project_name, boot->desc.version);
            print_stats(&st);
        }
        goto out;
    }
    const webota_partition_t *tp = webota_pt_find_label(&slot->pt, target->label);
    uint32_t state = webota_slot_flash_state_of(slot, tp);
    cli_json_out_t o;
    if (j->json && cli_json_out_init(&o)) {
        webota_json_obj_begin(&o.w);
        cli_jkv_bool(&o.w, "ok", true);
        cli_jkv_str(&o.w, "running", boot->part.label);
        cli_jkv_str(&o.w, "slot", target->label);
        cli_jkv_uint(&o.w, "offset", target->offset);
        cli_jkv_str(&o.w, "project", d->project_name);
        cli_jkv_str(&o.w, "version", d->version);
        cli_jkv_uint(&o.w, "secure_version", d->secure_version);
        cli_jkv_str(&o.w, "state", webota_ota_state_name(state));
        cli_jkv_uint(&o.w, "bytes", len);
        stats_json(&o.w, &st);
        webota_json_obj_end(&o.w);
        cli_json_out_print(&o, stdout);
    } else if (!j->json) {
        printf("running: %s (%s %s, state %s)\n", boot->part.label, boot->desc.project_name, boot->desc.version,
               webota_ota_state_name(boot->state));
        printf("updated %s at 0x%x: %s %s (%zu bytes, secure_version %u), verified from flash\n", target->label,
               (unsigned)target->offset, d->project_name, d->version, len, (unsigned)d->secure_version);
        printf("otadata: %s boots next, state %s\n", target->label, webota_ota_state_name(state));
        print_stats(&st);
    }
    rc = CLI_OK;
out:
    free(r);
    free(u);
    return rc;
}

int cmd_flash_update(int argc, char **argv)
{
    job_t j = {false, false, false, WEBOTA_CHIP_ESP32, NULL, NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage, stdout);
            return CLI_OK;
        } else if (strcmp(a, "--rollback") == 0) {
            j.rollback = true;
        } else if (strcmp(a, "--force") == 0) {
            j.force = true;
        } else if (strcmp(a, "--json") == 0) {
            j.json = true;
        } else if (strcmp(a, "--chip") == 0) {
            const webota_chip_info_t *c = cli_chip(i + 1 < argc ? argv[i + 1] : NULL);
            if (c == NULL) {
                cli_error("flash update", "unknown chip '%s'", i + 1 < argc ? argv[i + 1] : "");
                return CLI_USAGE;
            }
            j.chip = (int)c->chip;
            i++;
        } else if (a[0] == '-' || j.image_path != NULL) {
            cli_error("flash update", "unexpected argument '%s'", a);
            fputs(usage, stderr);
            return CLI_USAGE;
        } else if (j.flash_path == NULL) {
            j.flash_path = a;
        } else {
            j.image_path = a;
        }
    }
    if (j.image_path == NULL) {
        cli_error("flash update", "missing %s", j.flash_path == NULL ? "FLASH.bin and IMAGE" : "IMAGE");
        fputs(usage, stderr);
        return CLI_USAGE;
    }
    size_t len;
    uint8_t *img = cli_read_file(j.image_path, &len);
    if (img == NULL)
        return CLI_INVALID;
    webota_err_t e;
    sim_nor_t *nor = sim_nor_open(j.flash_path, 0, &e);
    if (nor == NULL) {
        cli_error("flash update", "%s: %s", j.flash_path,
                  e == WEBOTA_ERR_ARG ? "not a flash image (size must be a power of two from 64K to 16MB)"
                                      : webota_strerror(e));
        free(img);
        return CLI_INVALID;
    }
    int rc = run(&j, nor, img, len);
    sim_nor_close(nor);
    free(img);
    return rc;
}
