/* `webota fleet sim`: many simulated devices pulling releases (see fleet.h). */
#include "sim/fleet.h"

/* Paths and messages are cut rather than overflowed: the warning about
 * snprintf cutting them is expected here. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/bootloader.h"
#include "sim/crypto_lock.h"
#include "sim/flash_image.h"
#include "sim/image_buf.h"
#include "sim/nor_flash.h"
#include "sim/power_on.h"
#include "sim/pull_client.h"
#include "webota/chip.h"
#include "webota/confirm.h"
#include "webota/crypto.h"
#include "webota/image_make.h"
#include "webota/ota_state.h"
#include "webota/parttable.h"

const unsigned char sim_crash_flag[SIM_CRASH_FLAG_LEN] = {'W', 'E', 'B', 'O', 'T', 'A', '-', 'S',
                                                          'I', 'M', '-', 'C', 'R', 'A', 'S', 'H'};

bool sim_image_crashes(const unsigned char *flash, uint32_t flash_size, uint32_t off, uint32_t len)
{
    if (flash == NULL || off > flash_size || len > flash_size - off || len < SIM_CRASH_FLAG_LEN) {
        return false;
    }
    for (uint32_t i = 0; i + SIM_CRASH_FLAG_LEN <= len; i++) {
        if (flash[off + i] == 'W' && memcmp(flash + off + i, sim_crash_flag, SIM_CRASH_FLAG_LEN) == 0) {
            return true;
        }
    }
    return false;
}

/* 1 MiB flash: table at 0x8000, factory and two OTA slots of 256 KiB. */
#define FLEET_FLASH_SIZE 0x100000u
static const char fleet_layout[] = "nvs,data,nvs,0x9000,0x4000,\n"
                                   "otadata,data,ota,0xd000,0x2000,\n"
                                   "phy_init,data,phy,0xf000,0x1000,\n"
                                   "factory,app,factory,0x10000,0x40000,\n"
                                   "ota_0,app,ota_0,0x50000,0x40000,\n"
                                   "ota_1,app,ota_1,0x90000,0x40000,\n";

typedef struct fleet fleet_t;

typedef struct dev {
    fleet_t *f;
    unsigned idx;
    char id[32];
    char path[4096];
    sim_nor_t *nor;
    webota_flash_t flash;
    sim_running_t run;
    webota_confirm_t confirm;
    sim_pull_t pull;
    bool pull_on;
    pthread_mutex_t lock;
    pthread_t th;
    /* under f->lock */
    bool settled, fatal;
    char start_version[32], version[32], state[24], verdict[40], message[WEBOTA_UPDATE_MESSAGE_MAX];
    uint32_t boots, resumes_total, resumes_before; /* before: of earlier boots */
    uint64_t bytes, bytes_before;
} dev_t_;

struct fleet {
    const sim_fleet_config_t *cfg;
    volatile sig_atomic_t *stop;
    volatile int done;
    pthread_mutex_t lock;
    dev_t_ *devs;
};

static bool stopping(dev_t_ *d)
{
    return *d->f->stop || d->f->done;
}

static void nap_ms(uint32_t ms)
{
    struct timespec t = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    nanosleep(&t, NULL);
}

static void note(dev_t_ *d, bool settled)
{
    pthread_mutex_lock(&d->f->lock);
    d->settled = settled;
    snprintf(d->version, sizeof(d->version), "%s", d->run.boot.desc.version);
    snprintf(d->state, sizeof(d->state), "%s", webota_ota_state_name(d->run.boot.state));
    if (d->pull_on) {
        snprintf(d->verdict, sizeof(d->verdict), "%s", webota_err_name(webota_pull_verdict(&d->pull.pull)));
        snprintf(d->message, sizeof(d->message), "%s", webota_pull_message(&d->pull.pull));
        d->bytes = d->bytes_before + d->pull.bytes;
    }
    pthread_mutex_unlock(&d->f->lock);
}

static bool make_factory(const sim_fleet_config_t *cfg, const char *path, char *err, size_t errcap)
{
    webota_parttable_t pt;
    webota_pt_csv_opts_t opts;
    webota_pt_csv_opts_init(&opts);
    opts.flash_size = FLEET_FLASH_SIZE;
    webota_pt_csv_error_t pe;
    memset(&pe, 0, sizeof(pe));
    if (webota_pt_from_csv(&pt, fleet_layout, strlen(fleet_layout), &opts, &pe) != WEBOTA_OK) {
        snprintf(err, errcap, "fleet layout: %s", pe.message);
        return false;
    }
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, (webota_chip_t)cfg->chip);
    o.project = "webota-demo";
    o.version = "1.0.0";
    o.seed = 100;
    o.size = 64 * 1024;
    uint8_t *img = NULL;
    size_t len = 0;
    if (sim_image_make_alloc(&o, &img, &len) != WEBOTA_OK) {
        snprintf(err, errcap, "cannot make the factory firmware");
        return false;
    }
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.part", path);
    unlink(tmp);
    webota_err_t e = WEBOTA_OK;
    sim_nor_t *n = sim_nor_open(tmp, FLEET_FLASH_SIZE, &e);
    bool ok = n != NULL;
    if (ok) {
        sim_flash_app_t a = {"factory", img, len};
        char msg[200] = "";
        ok = sim_flash_make(n, &pt, WEBOTA_PT_OFFSET_DEFAULT, &a, 1, msg, sizeof(msg)) == WEBOTA_OK;
        sim_nor_close(n);
        if (!ok) {
            snprintf(err, errcap, "cannot make %s: %s", path, msg);
        }
    } else {
        snprintf(err, errcap, "cannot create %s: %s", tmp, webota_strerror(e));
    }
    free(img);
    if (ok && rename(tmp, path) != 0) {
        snprintf(err, errcap, "cannot create %s: %s", path, strerror(errno));
        ok = false;
    }
    if (!ok) {
        unlink(tmp);
    }
    return ok;
}

/* One device's life: power on, run (confirm, pull), reboot, ... */
static void *dev_main(void *arg)
{
    dev_t_ *d = arg;
    const sim_fleet_config_t *cfg = d->f->cfg;
    char name[64];
    snprintf(name, sizeof(name), "%s", d->id);
    bool first = true;
    while (!stopping(d)) {
        sim_boot_config_t bc;
        sim_boot_config_init(&bc);
        bc.rollback = true;
        bc.chip = cfg->chip;
        bool booted = false;
        pthread_mutex_lock(&d->lock);
        webota_err_t e = sim_power_on(&d->flash, &bc, &d->run, &booted);
        pthread_mutex_unlock(&d->lock);
        d->boots++;
        if (!booted || e != WEBOTA_OK) {
            fprintf(cfg->out, "%s: nothing bootable: %s\n", name, webota_strerror(e));
            pthread_mutex_lock(&d->f->lock);
            d->fatal = true;
            d->settled = true;
            pthread_mutex_unlock(&d->f->lock);
            return NULL;
        }
        if (first) {
            snprintf(d->start_version, sizeof(d->start_version), "%s", d->run.boot.desc.version);
            first = false;
        }
        d->pull_on = false;
        note(d, false);
        if (sim_image_crashes(sim_nor_data(d->nor), sim_nor_size(d->nor), d->run.boot.part.offset,
                              d->run.boot.image_length)) {
            if (cfg->verbose) {
                fprintf(cfg->out, "%s: %s %s crashes at boot (simulated): reset\n", name,
                        d->run.boot.desc.project_name, d->run.boot.desc.version);
            }
            nap_ms(100);
            continue; /* the bootloader rolls an unconfirmed firmware back */
        }
        if (!d->run.boot.marker) {
            fprintf(cfg->out, "%s: %s %s has no updater: the watchdog resets it\n", name,
                    d->run.boot.desc.project_name, d->run.boot.desc.version);
            nap_ms(1000);
            continue;
        }
        webota_confirm_config_t cc = {WEBOTA_CONFIRM_DELAY, cfg->confirm_ms};
        webota_confirm_start(&d->confirm, &cc, &d->run.rules, sim_pull_now_ms());
        sim_pull_config_t pc = {cfg->url,         d->id,         d->path,   cfg->chip,
                                cfg->interval_ms, cfg->retry_ms, cfg->trust, cfg->verbose ? cfg->out : NULL,
                                name};
        char err[200];
        if (!sim_pull_start(&d->pull, &pc, &d->run, &d->lock, err, sizeof(err))) {
            fprintf(cfg->out, "%s: %s\n", name, err);
            pthread_mutex_lock(&d->f->lock);
            d->fatal = true;
            d->settled = true;
            pthread_mutex_unlock(&d->f->lock);
            return NULL;
        }
        d->pull_on = true;
        bool reboot = false;
        while (!reboot && !stopping(d)) {
            uint64_t now = sim_pull_now_ms();
            pthread_mutex_lock(&d->lock);
            if (webota_confirm_due_in(&d->confirm, now) == 0) {
                webota_confirm_poll(&d->confirm, now);
                webota_slot_info_t info;
                if (webota_slot_running(&d->run.rules, &info) == WEBOTA_OK) {
                    d->run.boot.state = info.state;
                }
            }
            uint32_t cdue = webota_confirm_due_in(&d->confirm, now);
            pthread_mutex_unlock(&d->lock);
            if (sim_pull_due_in(&d->pull) == 0) {
                reboot = sim_pull_step(&d->pull);
            }
            webota_pull_t *p = &d->pull.pull;
            pthread_mutex_lock(&d->lock);
            bool settled = webota_pull_polls(p) > 0 && webota_pull_state(p) == WEBOTA_PULL_IDLE &&
                           webota_pull_verdict(p) != WEBOTA_ERR_REL_HTTP;
            pthread_mutex_unlock(&d->lock);
            d->resumes_total = d->resumes_before + webota_pull_resumes(p);
            note(d, settled && !reboot);
            uint32_t due = sim_pull_due_in(&d->pull);
            if (cdue < due) {
                due = cdue;
            }
            nap_ms(due > 50 ? 50 : (due == 0 ? 1 : due));
        }
        pthread_mutex_lock(&d->f->lock);
        d->resumes_before += webota_pull_resumes(&d->pull.pull);
        d->bytes_before += d->pull.bytes;
        d->pull_on = false;
        pthread_mutex_unlock(&d->f->lock);
        sim_pull_stop(&d->pull);
    }
    return NULL;
}

static bool all_settled(fleet_t *f, unsigned n)
{
    bool all = true;
    pthread_mutex_lock(&f->lock);
    for (unsigned i = 0; i < n; i++) {
        all = all && f->devs[i].settled;
    }
    pthread_mutex_unlock(&f->lock);
    return all;
}

/* Refusals by policy are verdicts, not failures. */
static bool is_failure(const dev_t_ *d)
{
    if (d->fatal || !d->settled) {
        return true;
    }
    static const char *const failures[] = {"download_failed", "crypto_error", "io_error",
                                           "flash_verify_failed", "flash_power_lost", "busy"};
    for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
        if (strcmp(d->verdict, failures[i]) == 0) {
            return true;
        }
    }
    return false;
}

int sim_fleet_run(const sim_fleet_config_t *cfg, volatile sig_atomic_t *stop)
{
    FILE *out = cfg->out;
    uint64_t t0 = sim_pull_now_ms();
    if (mkdir(cfg->dir, 0755) != 0 && errno != EEXIST) {
        fprintf(out, "webota fleet: cannot create %s: %s\n", cfg->dir, strerror(errno));
        return 1;
    }
    char factory[4200];
    snprintf(factory, sizeof(factory), "%s/factory-flash.bin", cfg->dir);
    struct stat st;
    char err[300];
    if (stat(factory, &st) != 0 && !make_factory(cfg, factory, err, sizeof(err))) {
        fprintf(out, "webota fleet: %s\n", err);
        return 1;
    }
    /* once, before the device threads: they verify signatures at the same
     * time, and the key store must be locked */
    if (!sim_crypto_threads()) {
        fprintf(out, "webota fleet: PSA Crypto does not start\n");
        return 1;
    }
    fleet_t f;
    memset(&f, 0, sizeof(f));
    f.cfg = cfg;
    f.stop = stop;
    pthread_mutex_init(&f.lock, NULL);
    f.devs = calloc(cfg->devices, sizeof(dev_t_));
    if (f.devs == NULL) {
        fprintf(out, "webota fleet: out of memory\n");
        return 1;
    }
    int rc = 0;
    unsigned started = 0;
    for (unsigned i = 0; i < cfg->devices && rc == 0; i++) {
        dev_t_ *d = &f.devs[i];
        d->f = &f;
        d->idx = i;
        snprintf(d->id, sizeof(d->id), "dev-%03u", i);
        snprintf(d->path, sizeof(d->path), "%s/%s.bin", cfg->dir, d->id);
        if (stat(d->path, &st) != 0) {
            /* a new board: a copy of the factory flash */
            size_t len = 0;
            FILE *in = fopen(factory, "rb");
            uint8_t *buf = malloc(FLEET_FLASH_SIZE);
            if (in != NULL && buf != NULL) {
                len = fread(buf, 1, FLEET_FLASH_SIZE, in);
            }
            if (in != NULL) {
                fclose(in);
            }
            FILE *o = len == FLEET_FLASH_SIZE ? fopen(d->path, "wb") : NULL;
            bool ok = o != NULL && fwrite(buf, 1, len, o) == len;
            if (o != NULL) {
                ok = fclose(o) == 0 && ok;
            }
            free(buf);
            if (!ok) {
                fprintf(out, "webota fleet: cannot create %s\n", d->path);
                rc = 1;
                break;
            }
        }
        webota_err_t e = WEBOTA_OK;
        d->nor = sim_nor_open(d->path, 0, &e);
        if (d->nor == NULL) {
            fprintf(out, "webota fleet: cannot open %s: %s\n", d->path, webota_strerror(e));
            rc = 1;
            break;
        }
        d->flash = sim_nor_flash(d->nor);
        pthread_mutex_init(&d->lock, NULL);
    }
    for (unsigned i = 0; rc == 0 && i < cfg->devices; i++) {
        if (pthread_create(&f.devs[i].th, NULL, dev_main, &f.devs[i]) != 0) {
            fprintf(out, "webota fleet: cannot start device thread %u\n", i);
            rc = 1;
            break;
        }
        started++;
    }
    bool timed_out = false;
    while (rc == 0 && !*stop) {
        if (cfg->until_settled && all_settled(&f, cfg->devices)) {
            break;
        }
        if (cfg->timeout_s > 0 && sim_pull_now_ms() - t0 > (uint64_t)cfg->timeout_s * 1000u) {
            timed_out = true;
            break;
        }
        nap_ms(50);
    }
    f.done = 1;
    for (unsigned i = 0; i < started; i++) {
        pthread_join(f.devs[i].th, NULL);
    }
    unsigned updated = 0, failed = 0, refused = 0;
    uint64_t bytes = 0, resumes = 0;
    for (unsigned i = 0; i < cfg->devices && rc == 0; i++) {
        dev_t_ *d = &f.devs[i];
        bool fail = is_failure(d);
        bool up = strcmp(d->version, d->start_version) != 0;
        updated += up;
        failed += fail;
        refused += !fail && strcmp(d->verdict, "ok") != 0 && strcmp(d->verdict, "not_newer") != 0 &&
                   strcmp(d->verdict, "not_in_rollout") != 0;
        bytes += d->bytes;
        resumes += d->resumes_total;
        fprintf(out, "%s: %s %s -> %s (%s)%s verdict %s: %s\n", d->id, "webota-demo", d->start_version,
                d->version, d->state, fail ? " FAILED" : "", d->verdict[0] ? d->verdict : "none",
                d->message);
    }
    for (unsigned i = 0; i < cfg->devices; i++) {
        if (f.devs[i].nor != NULL) {
            sim_nor_close(f.devs[i].nor);
            pthread_mutex_destroy(&f.devs[i].lock);
        }
    }
    free(f.devs);
    pthread_mutex_destroy(&f.lock);
    if (rc != 0) {
        return rc;
    }
    fprintf(out,
            "webota fleet: devices %u, updated %u, refused %u, failed %u, bytes served %llu, "
            "interrupted downloads resumed %llu, wall time %.1f s%s\n",
            cfg->devices, updated, refused, failed, (unsigned long long)bytes,
            (unsigned long long)resumes, (double)(sim_pull_now_ms() - t0) / 1000.0,
            timed_out ? " (timed out before every device settled)" : "");
    fflush(out);
    return failed == 0 && !timed_out ? 0 : 1;
}
