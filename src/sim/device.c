/* The simulated device's lifecycle (see device.h). The flash is one sim_nor
 * file kept open across reboots (write-through per operation, so the file is
 * never half-written by the simulator). One mutex guards the api, the slot
 * writer and the flash: the HTTP thread and this thread both use them. */
#include "sim/device.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim/bootloader.h"
#include "sim/flash_image.h"
#include "sim/httpd.h"
#include "sim/image_buf.h"
#include "sim/inflate_zlib.h"
#include "sim/nor_flash.h"
#include "sim/power_on.h"
#include "sim/fleet.h"
#include "sim/pull_client.h"
#include "webota/api.h"
#include "webota/chip.h"
#include "webota/image_make.h"
#include "webota/json.h"
#include "webota/page.h"
#include "webota/parttable.h"
#include "webota/slot_flash.h"

#define DEMO_SIZE (192u * 1024u)

struct sim_device {
    sim_device_config_t cfg;
    FILE *out;
    sim_nor_t *nor;
    int lock_fd; /* flock'd: one simulator per flash file */
    webota_flash_t flash;
    sim_running_t run; /* boot result, slot writer, seam and rules */
    webota_confirm_t confirm;
    webota_api_t api;
    sim_inflate_zlib_t inflate; /* compressed uploads */
    sim_nor_stats_t upload_start; /* flash counters when the last upload began */
    bool last_update;             /* an update has been installed since start */
    sim_nor_stats_t last;         /* its flash operations and model time */
    uint32_t last_bytes;          /* its image length */
    bool armed;                   /* an upload began: its activation is measured */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool reboot;          /* a delivered answer asked for a reboot */
    uint16_t port;        /* bound port, kept across reboots */
    bool hinted;          /* the how-to-try lines have been printed */
    uint32_t efuse;       /* emulated eFuse SECURE_VERSION (anti-rollback) */
    sim_pull_t pull;      /* with --pull */
    bool pulling;
};

/* ---- the emulated eFuse counter, persisted next to the flash file ---- */

static void efuse_path(const sim_device_t *d, char *path, size_t cap)
{
    snprintf(path, cap, "%s.efuse", d->cfg.flash_path);
}

static uint32_t efuse_load(const sim_device_t *d)
{
    char path[4096];
    efuse_path(d, path, sizeof(path));
    FILE *f = fopen(path, "r");
    unsigned v = 0;
    if (f != NULL) {
        if (fscanf(f, "secure_version %u", &v) != 1) {
            v = 0;
        }
        fclose(f);
    }
    return v;
}

/* Writes the counter when it went up (eFuse bits are only ever burned). */
static void efuse_store(sim_device_t *d, uint32_t v)
{
    if (!d->cfg.anti_rollback || v <= d->efuse) {
        return;
    }
    char path[4096], tmp[4100];
    efuse_path(d, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "secure_version %u\n", (unsigned)v) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        fprintf(d->out, "webota sim: cannot write %s\n", path);
        return;
    }
    fprintf(d->out, "webota sim: eFuse secure version raised from %u to %u\n", (unsigned)d->efuse,
            (unsigned)v);
    d->efuse = v;
}

/* After a boot or a confirm: the bootloader or esp_ota_mark_app_valid_cancel_rollback may have
 * raised the counter (held by the slot writer until now). */
static void efuse_sync(sim_device_t *d)
{
    uint32_t v;
    if (webota_slot_security_version(&d->run.rules, &v) == WEBOTA_OK) {
        efuse_store(d, v);
    }
}

/* ---- demo firmware ---- */

/* malloc'd image, NULL on error. */
static uint8_t *make_demo(int chip, const char *version, bool marker, uint32_t seed, size_t *len,
                          char *err, size_t errcap)
{
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, (webota_chip_t)chip);
    o.project = SIM_DEMO_PROJECT;
    o.version = version;
    o.marker = marker;
    o.seed = seed;
    o.size = DEMO_SIZE;
    uint8_t *img;
    webota_err_t e = sim_image_make_alloc(&o, &img, len);
    if (e == WEBOTA_ERR_NO_SPACE) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    if (e != WEBOTA_OK) {
        snprintf(err, errcap, "cannot make the demo firmware %s: %s", version, webota_strerror(e));
        return NULL;
    }
    return img;
}

static bool write_atomic(const char *path, const void *data, size_t len, char *err, size_t errcap)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 8);
    if (tmp == NULL) {
        snprintf(err, errcap, "out of memory");
        return false;
    }
    snprintf(tmp, plen + 8, "%s.part", path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f != NULL && fwrite(data, 1, len, f) == len;
    if (f != NULL) {
        ok = (fflush(f) == 0) && ok;
        ok = (fsync(fileno(f)) == 0) && ok;
        ok = (fclose(f) == 0) && ok;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
    }
    if (!ok) {
        snprintf(err, errcap, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

bool sim_device_write_demo(const char *path, int chip, const char *version, bool marker,
                           uint32_t seed, char *err, size_t errcap)
{
    size_t len = 0;
    uint8_t *img = make_demo(chip, version, marker, seed, &len, err, errcap);
    if (img == NULL) {
        return false;
    }
    bool ok = write_atomic(path, img, len, err, errcap);
    free(img);
    return ok;
}

static bool load_layout(const char *layout, webota_parttable_t *pt, char *err, size_t errcap)
{
    if (webota_pt_builtin(layout, pt) == WEBOTA_OK) {
        return true;
    }
    FILE *f = fopen(layout, "rb");
    if (f == NULL) {
        snprintf(err, errcap,
                 "--layout %s: neither a built-in layout (singleapp, two-ota, two-ota-large) "
                 "nor a readable CSV file",
                 layout);
        return false;
    }
    static char csv[64 * 1024];
    size_t n = fread(csv, 1, sizeof(csv) - 1, f);
    fclose(f);
    webota_pt_csv_opts_t opts;
    webota_pt_csv_opts_init(&opts);
    opts.flash_size = SIM_DEVICE_FLASH_SIZE;
    webota_pt_csv_error_t e;
    memset(&e, 0, sizeof(e));
    if (webota_pt_from_csv(pt, csv, n, &opts, &e) != WEBOTA_OK) {
        snprintf(err, errcap, "--layout %s: %s", layout,
                 e.message[0] ? e.message : webota_strerror(e.err));
        return false;
    }
    return true;
}

/* Creates the flash file (via a temporary name, so that an interrupted
 * creation never leaves a half-made flash under the real name) and the demo
 * images next to it. */
static bool create_flash(const sim_device_config_t *cfg, FILE *out, char *err, size_t errcap)
{
    webota_parttable_t pt;
    const char *layout = cfg->layout != NULL ? cfg->layout : "two-ota";
    if (!load_layout(layout, &pt, err, errcap)) {
        return false;
    }
    const webota_partition_t *app = webota_pt_factory(&pt);
    if (app == NULL) {
        app = webota_pt_ota_slot(&pt, 0);
    }
    if (app == NULL || webota_pt_otadata(&pt) == NULL || webota_pt_ota_slot(&pt, 0) == NULL) {
        snprintf(err, errcap, "layout %s has no OTA slots and otadata: nothing to update", layout);
        return false;
    }
    size_t len = 0;
    uint8_t *factory = make_demo(cfg->chip, "1.0.0", true, 100, &len, err, errcap);
    if (factory == NULL) {
        return false;
    }
    size_t plen = strlen(cfg->flash_path);
    char *tmp = malloc(plen + 8);
    if (tmp == NULL) {
        free(factory);
        snprintf(err, errcap, "out of memory");
        return false;
    }
    snprintf(tmp, plen + 8, "%s.part", cfg->flash_path);
    unlink(tmp);
    webota_err_t e = WEBOTA_OK;
    sim_nor_t *n = sim_nor_open(tmp, SIM_DEVICE_FLASH_SIZE, &e);
    bool ok = n != NULL;
    if (!ok) {
        snprintf(err, errcap, "cannot create %s: %s", tmp, webota_strerror(e));
    } else {
        sim_flash_app_t a = {app->label, factory, len};
        char msg[200] = "";
        e = sim_flash_make(n, &pt, WEBOTA_PT_OFFSET_DEFAULT, &a, 1, msg, sizeof(msg));
        if (e != WEBOTA_OK) {
            snprintf(err, errcap, "cannot make the flash: %s", msg[0] ? msg : webota_strerror(e));
            ok = false;
        }
        sim_nor_close(n);
    }
    free(factory);
    if (ok && rename(tmp, cfg->flash_path) != 0) {
        snprintf(err, errcap, "cannot create %s: %s", cfg->flash_path, strerror(errno));
        ok = false;
    }
    if (!ok) {
        unlink(tmp);
        free(tmp);
        return false;
    }
    free(tmp);
    const webota_chip_info_t *ci = webota_chip_info((webota_chip_t)cfg->chip);
    fprintf(out, "webota sim: created %s (4 MiB %s flash, layout %s, factory firmware %s 1.0.0)\n",
            cfg->flash_path, ci ? ci->display : "?", layout, SIM_DEMO_PROJECT);

    /* demo images for a first try, next to the flash file */
    char *copy = strdup(cfg->flash_path);
    if (copy == NULL) {
        snprintf(err, errcap, "out of memory");
        return false;
    }
    const char *dir = dirname(copy);
    static const struct {
        const char *file, *version;
        bool marker;
        uint32_t seed;
    } demos[] = {
        {"webota-demo-1.1.0.bin", "1.1.0", true, 110},
        {"webota-demo-1.2.0-no-updater.bin", "1.2.0", false, 120},
    };
    for (size_t i = 0; i < sizeof(demos) / sizeof(demos[0]); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, demos[i].file);
        if (!sim_device_write_demo(path, cfg->chip, demos[i].version, demos[i].marker,
                                   demos[i].seed, err, errcap)) {
            free(copy);
            return false;
        }
        fprintf(out, "webota sim: wrote %s (%s)\n", path,
                demos[i].marker ? "a good update to try"
                                : "an image WITHOUT the updater: refused unless forced");
    }
    free(copy);
    return true;
}

sim_device_t *sim_device_open(const sim_device_config_t *cfg, char *err, size_t errcap)
{
    FILE *out = cfg->out != NULL ? cfg->out : stdout;
    if (webota_chip_info((webota_chip_t)cfg->chip) == NULL) {
        snprintf(err, errcap, "unknown chip");
        return NULL;
    }
    struct stat st;
    if (stat(cfg->flash_path, &st) != 0) {
        if (errno != ENOENT) {
            snprintf(err, errcap, "%s: %s", cfg->flash_path, strerror(errno));
            return NULL;
        }
        if (!create_flash(cfg, out, err, errcap)) {
            return NULL;
        }
    } else if (cfg->layout != NULL) {
        fprintf(out, "webota sim: %s exists: its own partition table is used (--layout ignored)\n",
                cfg->flash_path);
    }
    sim_device_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    d->cfg = *cfg;
    d->out = out;
    /* a second simulator on the same flash would interleave its writes with
     * ours: the first one holds an exclusive lock for its whole life */
    d->lock_fd = open(cfg->flash_path, O_RDONLY | O_CLOEXEC);
    if (d->lock_fd < 0 || flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int en = errno;
        if (d->lock_fd >= 0 && en == EWOULDBLOCK) {
            snprintf(err, errcap,
                     "%s is in use by another webota sim (it holds a lock on it): stop it or "
                     "choose another --flash",
                     cfg->flash_path);
        } else {
            snprintf(err, errcap, "cannot open %s: %s", cfg->flash_path, strerror(en));
        }
        if (d->lock_fd >= 0) {
            close(d->lock_fd);
        }
        free(d);
        return NULL;
    }
    webota_err_t e = WEBOTA_OK;
    d->nor = sim_nor_open(cfg->flash_path, 0, &e);
    if (d->nor == NULL) {
        snprintf(err, errcap, "cannot open %s: %s (a flash file is 64 KiB..16 MiB, a power of two)",
                 cfg->flash_path, webota_strerror(e));
        close(d->lock_fd);
        free(d);
        return NULL;
    }
    d->flash = sim_nor_flash(d->nor);
    d->port = cfg->port;
    d->efuse = cfg->anti_rollback ? efuse_load(d) : 0;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    return d;
}

void sim_device_close(sim_device_t *d)
{
    if (d == NULL) {
        return;
    }
    sim_nor_close(d->nor);
    close(d->lock_fd);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    free(d);
}

/* ---- callbacks (called under d->lock from the api, except rebooting) ---- */

/* The flash work of the update just installed, as a real chip would spend it
 * (the timing model), in the log and in /api/status until the next one. */
static void note_update(sim_device_t *d)
{
    if (!d->armed || webota_update_state(&d->api.update) != WEBOTA_UPDATE_DONE) {
        return;
    }
    d->armed = false;
    sim_nor_stats_t now = sim_nor_stats(d->nor), a = d->upload_start;
    d->last.erases = now.erases - a.erases;
    d->last.programs = now.programs - a.programs;
    d->last.reads = now.reads - a.reads;
    d->last.bytes_erased = now.bytes_erased - a.bytes_erased;
    d->last.bytes_programmed = now.bytes_programmed - a.bytes_programmed;
    d->last.bytes_read = now.bytes_read - a.bytes_read;
    d->last.busy_ms = now.busy_ms - a.busy_ms;
    d->last_bytes = webota_update_received(&d->api.update);
    d->last_update = true;
    fprintf(d->out,
            "webota sim: update of %u bytes: %llu erases (%llu bytes), %llu programs, %llu reads; "
            "a real chip's flash would be busy %.1f ms (timing model)\n",
            (unsigned)d->last_bytes, (unsigned long long)d->last.erases,
            (unsigned long long)d->last.bytes_erased, (unsigned long long)d->last.programs,
            (unsigned long long)d->last.reads, d->last.busy_ms);
    fflush(d->out);
}

static void api_request_reboot(void *ctx)
{
    note_update(ctx); /* the reboot happens once the answer is delivered: see rebooting() */
}

/* /api/status gets the puller's "pull" object (under d->lock). */
static void api_status_json(void *ctx, webota_json_t *j)
{
    sim_device_t *d = ctx;
    if (d->pulling) {
        webota_json_key(j, "pull");
        webota_pull_status_json(&d->pull.pull, j, sim_pull_now_ms());
    }
}

static void api_status_fields(void *ctx, webota_json_t *j)
{
    sim_device_t *d = ctx;
    api_status_json(ctx, j);
    if (!d->last_update) {
        return;
    }
    webota_json_key(j, "last_update");
    webota_json_obj_begin(j);
    webota_json_key(j, "bytes");
    webota_json_uint(j, d->last_bytes);
    webota_json_key(j, "flash_ms");
    webota_json_uint(j, (uint64_t)(d->last.busy_ms + 0.5));
    webota_json_key(j, "erases");
    webota_json_uint(j, d->last.erases);
    webota_json_key(j, "bytes_erased");
    webota_json_uint(j, d->last.bytes_erased);
    webota_json_key(j, "programs");
    webota_json_uint(j, d->last.programs);
    webota_json_key(j, "bytes_read");
    webota_json_uint(j, d->last.bytes_read);
    webota_json_obj_end(j);
}

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void log_confirm(sim_device_t *d, webota_confirm_result_t r, const char *why)
{
    if (r == WEBOTA_CONFIRM_NOTHING) {
        return;
    }
    efuse_sync(d);
    fprintf(d->out, "webota sim: %s: firmware confirmed (%s)\n", why,
            r == WEBOTA_CONFIRM_CONFIRMED ? "valid"
                                          : webota_strerror(webota_confirm_error(&d->confirm)));
    fflush(d->out);
}

static void api_on_request(void *ctx, webota_api_route_t route)
{
    sim_device_t *d = ctx;
    if ((route == WEBOTA_API_ROUTE_UPDATE || route == WEBOTA_API_ROUTE_FORM) && !webota_api_busy(&d->api)) {
        d->upload_start = sim_nor_stats(d->nor);
        d->armed = true;
    }
    log_confirm(d, webota_confirm_on_request(&d->confirm, route, now_ms()),
                d->cfg.confirm == SIM_CONFIRM_DELAY ? "confirm delay elapsed"
                                                    : "first request reached the updater");
}

static uint32_t api_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)((uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u);
}

static void api_log(void *ctx, const char *line)
{
    sim_device_t *d = ctx;
    fprintf(d->out, "webota sim: %s\n", line);
    fflush(d->out);
}

/* The Host allow-list's addresses: the bound address, and with --bind
 * 0.0.0.0 every IPv4 address of this machine (localhost and 127.0.0.1 are
 * always allowed by the api). */
static bool api_host_ok(void *ctx, const char *host)
{
    sim_device_t *d = ctx;
    const char *bind = d->cfg.bind != NULL ? d->cfg.bind : "127.0.0.1";
    if (strcmp(host, bind) == 0) {
        return true;
    }
    if (strcmp(bind, "0.0.0.0") != 0) {
        return false;
    }
    struct ifaddrs *list = NULL;
    bool ok = false;
    if (getifaddrs(&list) != 0) {
        return false;
    }
    for (struct ifaddrs *i = list; i != NULL && !ok; i = i->ifa_next) {
        char a[INET_ADDRSTRLEN];
        if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
            inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, a,
                      sizeof(a)) != NULL) {
            ok = strcmp(a, host) == 0;
        }
    }
    freeifaddrs(list);
    return ok;
}

static void rebooting(void *ctx)
{
    sim_device_t *d = ctx;
    pthread_mutex_lock(&d->lock);
    d->reboot = true;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

/* ---- the run loop ---- */

static void print_log(FILE *out, const char *log)
{
    const char *p = log;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "  %.*s\n", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

static struct timespec deadline_in(double seconds)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    long long ns = (long long)t.tv_nsec + (long long)(seconds * 1e9);
    t.tv_sec += (time_t)(ns / 1000000000LL);
    t.tv_nsec = (long)(ns % 1000000000LL);
    return t;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Waits under d->lock until a reboot, a stop, or `until` (NULL = none).
 * Returns 'r' (reboot), 's' (stop) or 't' (time). */
static char wait_event(sim_device_t *d, volatile sig_atomic_t *stop, const struct timespec *until)
{
    for (;;) {
        if (*stop) {
            return 's';
        }
        if (d->reboot) {
            return 'r';
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (until != NULL && !before(&now, until)) {
            return 't';
        }
        /* short slices so that a signal is seen quickly */
        struct timespec slice = deadline_in(0.1);
        if (until != NULL && before(until, &slice)) {
            slice = *until;
        }
        pthread_cond_timedwait(&d->cond, &d->lock, &slice);
    }
}

static int boot_once(sim_device_t *d)
{
    sim_boot_config_t bc;
    sim_boot_config_init(&bc);
    bc.rollback = d->cfg.rollback;
    bc.chip = d->cfg.chip;
    bc.anti_rollback = d->cfg.anti_rollback;
    bc.efuse_secure_version = d->efuse;
    bool booted = false;
    webota_err_t e = sim_power_on(&d->flash, &bc, &d->run, &booted);
    print_log(d->out, d->run.boot.log);
    if (d->cfg.anti_rollback) {
        efuse_store(d, d->run.boot.efuse_secure_version);
    }
    if (!booted) {
        fprintf(d->out, "webota sim: the bootloader found nothing to boot: %s (a real chip would "
                        "reset forever)\n",
                webota_strerror(e));
        fflush(d->out);
        return -1;
    }
    if (e != WEBOTA_OK) {
        fprintf(d->out, "webota sim: cannot open the OTA slots: %s\n", webota_strerror(e));
        return -1;
    }
    fprintf(d->out, "webota sim: running %s %s from %s (%s)%s\n", d->run.boot.desc.project_name,
            d->run.boot.desc.version, d->run.boot.part.label, webota_ota_state_name(d->run.boot.state),
            d->run.boot.marker ? "" : " WITHOUT the webota updater");
    if (d->cfg.anti_rollback) {
        fprintf(d->out, "webota sim: anti-rollback on: eFuse secure version %u, firmware secure_version %u\n",
                (unsigned)d->efuse, (unsigned)d->run.boot.desc.secure_version);
    }
    fflush(d->out);
    return 0;
}

/* What a first-time user needs after the first "listening on" line: where
 * to point the browser, and how to upload the demo image from a shell. */
static void print_hint(sim_device_t *d, const char *url)
{
    char *copy = strdup(d->cfg.flash_path);
    char demo[4096] = "FIRMWARE.bin";
    struct stat st;
    if (copy != NULL) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/webota-demo-1.1.0.bin", dirname(copy));
        if (stat(path, &st) == 0) {
            snprintf(demo, sizeof(demo), "%s", path);
        }
        free(copy);
    }
    /* the command as the user can paste it: this binary is rarely on PATH */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
    } else {
        snprintf(self, sizeof(self), "webota");
    }
    fprintf(d->out,
            "webota sim: open %s in a browser to update the simulated device, or from a shell:\n"
            "webota sim:   %s push %s %s\n"
            "webota sim:   curl -H 'Content-Type: application/octet-stream' --data-binary @%s "
            "%sapi/update\n"
            "webota sim: Ctrl-C stops it.\n",
            url, self, url, demo, demo, url);
}

/* A new firmware on its first boot: say how it becomes valid (or rolls back). */
static void print_pending(sim_device_t *d)
{
    static const char *const how[] = {
        [SIM_CONFIRM_FIRST_REQUEST] = "when its page or /api/status is first requested",
        [SIM_CONFIRM_DELAY] = "after the --confirm delay",
        [SIM_CONFIRM_MANUAL] = "by POST /api/confirm (the page's Confirm button)",
        [WEBOTA_CONFIRM_BY_APP] = "by the application",
    };
    fprintf(d->out,
            "webota sim: this firmware is new (pending_verify): it is confirmed %s; a reboot "
            "before that rolls back\n",
            how[d->cfg.confirm]);
}

/* The booted firmware has the updater: serve until a reboot or a stop. */
static int serve(sim_device_t *d, volatile sig_atomic_t *stop)
{
    webota_api_config_t ac;
    webota_api_config_init(&ac, &d->run.rules);
    ac.policy.check_chip = true; /* a negative chip: any */
    ac.policy.chip = d->cfg.chip;
    ac.policy.signature = d->cfg.signature;
    ac.policy.refuse_older_version = d->cfg.refuse_older;
    const webota_chip_info_t *ci = webota_chip_info((webota_chip_t)d->cfg.chip);
    ac.chip = ci ? ci->name : "";
    ac.chip_rev = -1;
    ac.auth = d->cfg.auth;
    ac.host_ok = api_host_ok;
    ac.now_ms = api_now_ms;
    ac.log = api_log;
    ac.page_gz = webota_page_gz;
    ac.page_gz_len = (size_t)webota_page_gz_len;
    ac.page_csp = webota_page_csp;
    ac.inflate = sim_inflate_zlib_init(&d->inflate);
    ac.request_reboot = api_request_reboot;
    ac.on_request = api_on_request;
    ac.status_fields = api_status_fields;
    ac.resume_hold_ms = d->cfg.resume_hold_s * 1000u;
    ac.no_resume = d->cfg.no_resume;
    ac.ctx = d;
    if (webota_api_init(&d->api, &ac) != WEBOTA_OK) {
        fprintf(d->out, "webota sim: cannot start the API\n");
        return -1;
    }
    d->reboot = false;
    webota_confirm_config_t cc = {d->cfg.confirm, d->cfg.confirm_delay_s * 1000u};
    webota_confirm_start(&d->confirm, &cc, &d->run.rules, now_ms());
    sim_httpd_config_t hc = {d->cfg.bind, d->port, &d->api, &d->lock, rebooting, d};
    char err[200];
    sim_httpd_t *h = sim_httpd_start(&hc, err, sizeof(err));
    if (h == NULL) {
        fprintf(d->out, "webota sim: %s\n", err);
        fflush(d->out);
        return -1;
    }
    d->port = sim_httpd_port(h);
    char url[80];
    snprintf(url, sizeof(url), "http://%s:%u/", d->cfg.bind ? d->cfg.bind : "127.0.0.1",
             (unsigned)d->port);
    fprintf(d->out, "webota sim: listening on %s\n", url);
    if (!d->hinted) {
        d->hinted = true;
        print_hint(d, url);
    }
    if (d->run.boot.state == WEBOTA_OTA_STATE_PENDING_VERIFY) {
        print_pending(d);
    }
    if (d->cfg.pull_url != NULL) {
        const char *id = d->cfg.device_id;
        if (id == NULL) {
            id = strrchr(d->cfg.flash_path, '/') ? strrchr(d->cfg.flash_path, '/') + 1 : d->cfg.flash_path;
        }
        sim_pull_config_t pc = {d->cfg.pull_url, id, d->cfg.flash_path, d->cfg.chip,
                                d->cfg.pull_interval_ms, 0, d->cfg.signature, d->out, "webota sim"};
        if (!sim_pull_start(&d->pull, &pc, &d->run, &d->lock, err, sizeof(err))) {
            fprintf(d->out, "webota sim: %s\n", err);
        } else {
            pthread_mutex_lock(&d->lock);
            d->pulling = true;
            pthread_mutex_unlock(&d->lock);
            fprintf(d->out, "webota sim: pulling releases from %s every %.1f s (device id %s)\n",
                    d->cfg.pull_url, d->cfg.pull_interval_ms / 1000.0, id);
        }
    }
    fflush(d->out);

    pthread_mutex_lock(&d->lock);
    char ev;
    for (;;) {
        uint32_t ms = webota_confirm_due_in(&d->confirm, now_ms());
        if (d->pulling) {
            uint32_t pd = webota_pull_due_in(&d->pull.pull, sim_pull_now_ms());
            ms = pd < ms ? pd : ms;
        }
        struct timespec until = deadline_in((double)(ms == UINT32_MAX ? 0 : ms) / 1000.0);
        ev = wait_event(d, stop, ms == UINT32_MAX ? NULL : &until);
        if (ev != 't') {
            break;
        }
        log_confirm(d, webota_confirm_poll(&d->confirm, now_ms()), "confirm delay elapsed");
        if (d->pulling && webota_pull_due_in(&d->pull.pull, sim_pull_now_ms()) == 0) {
            /* the transfers run without the lock; the puller takes it for
             * each call into the core, so the web server keeps answering */
            pthread_mutex_unlock(&d->lock);
            bool activated = sim_pull_step(&d->pull);
            pthread_mutex_lock(&d->lock);
            if (activated) {
                ev = 'r';
                break;
            }
        }
    }
    bool pulled = d->pulling;
    d->pulling = false;
    pthread_mutex_unlock(&d->lock);
    sim_httpd_stop(h); /* aborts an upload in progress */
    if (pulled) {
        sim_pull_stop(&d->pull);
    }
    return ev == 'r' ? 1 : 0;
}

int sim_device_run(sim_device_t *d, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        if (boot_once(d) != 0) {
            return 1;
        }
        if (d->run.boot.marker &&
            sim_image_crashes(sim_nor_data(d->nor), sim_nor_size(d->nor), d->run.boot.part.offset,
                              d->run.boot.image_length)) {
            fprintf(d->out, "webota sim: this firmware carries the simulator's crash flag: it resets "
                            "before it can be confirmed\n");
            fflush(d->out);
            pthread_mutex_lock(&d->lock);
            d->reboot = false;
            struct timespec until = deadline_in(0.5);
            char ev = wait_event(d, stop, &until);
            pthread_mutex_unlock(&d->lock);
            if (ev == 't') {
                fprintf(d->out, "webota sim: crash reset\n");
            }
            continue;
        }
        if (d->run.boot.marker) {
            int r = serve(d, stop);
            if (r < 0) {
                return 1;
            }
            if (r == 1) {
                fprintf(d->out, "webota sim: rebooting\n");
                fflush(d->out);
            }
            continue;
        }
        fprintf(d->out,
                "webota sim: this firmware has no web server; the watchdog resets the chip in %u s%s\n",
                d->cfg.watchdog_s,
                d->cfg.rollback ? " (the bootloader will then roll back)" : " (rollback is off)");
        fflush(d->out);
        pthread_mutex_lock(&d->lock);
        d->reboot = false;
        struct timespec until = deadline_in((double)d->cfg.watchdog_s);
        char ev = wait_event(d, stop, &until);
        pthread_mutex_unlock(&d->lock);
        if (ev == 't') {
            fprintf(d->out, "webota sim: watchdog reset\n");
            fflush(d->out);
        }
    }
    fprintf(d->out, "webota sim: stopped\n");
    fflush(d->out);
    return 0;
}
