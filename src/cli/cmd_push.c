/* `webota push URL FILE`: checks a firmware image against the device before
 * sending it, streams it to POST /api/update with a progress bar, then waits
 * until the new firmware answers and reports (and, with --confirm, confirms)
 * its state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/device.h"
#include "cli/http_client.h"
#include "cli/json_get.h"
#include "cli/json_out.h"
#include "cli/push_gzip.h"
#include "webota/image.h"

static void usage(FILE *f)
{
    fputs("usage: webota push [--json] [--force] [--confirm] [--no-wait] [--no-compress]\n"
          "                   [--password-file FILE] URL FILE\n\n"
          "Uploads the app image FILE to a webota device (or `webota sim`), which\n"
          "checks it while it streams, installs it into its next OTA slot and reboots\n"
          "into it (POST URL/api/update, application/octet-stream).\n\n"
          "Before sending, push asks the device what it is (GET URL/api/status) and\n"
          "checks FILE as the device will: an ESP app image (magic, header, segments,\n"
          "checksum, SHA-256) for the device's chip and revision, no larger than its\n"
          "next slot, carrying the webota updater; a file that fails is not sent, and\n"
          "the message says what is wrong. After the upload push waits until the new\n"
          "firmware answers and reports what runs and its state. When the connection\n"
          "is lost after the whole image was sent (the answer never arrived), push\n"
          "asks the device's status (at most 120 s) whether the new firmware runs or\n"
          "the image was refused, and reports that.\n\n"
          "  URL        the device, e.g. http://192.168.4.1 or http://127.0.0.1:8080/\n"
          "  FILE       the .bin built by ESP-IDF (build/<project>.bin), or a gzip of it\n"
          "             (checked inside, sent as it is with Content-Encoding: gzip)\n"
          "  --json     print the result as JSON (the device's own JSON on a refusal)\n"
          "  --force    install an image without the webota updater: the device will\n"
          "             no longer accept web updates once it runs it\n"
          "  --confirm  confirm the new firmware once it answers (POST URL/api/confirm),\n"
          "             when the device left it on trial (pending_verify)\n"
          "  --no-wait  return as soon as the device has accepted the image (when its\n"
          "             answer was lost after the whole image was sent, push still asks\n"
          "             the device's status what became of it)\n"
          "  --no-resume  a dropped connection ends the upload; by default push asks\n"
          "             the device for a resumable upload and, when the link drops,\n"
          "             continues where the device stopped (\"connection lost, resuming…\")\n"
          "  --no-compress  send a .bin as it is; by default it is gzip-compressed\n"
          "             (fewer bytes over Wi-Fi) when the device's status says \"gzip\": true\n" CLI_DEVICE_OPTIONS_HELP
          "\n"
          "Confirmation: with the first-request policy (the default of `webota sim` and\n"
          "of the ESP-IDF component) the new firmware confirms itself when its status\n"
          "is first requested: push's own wait for it is that request, so a second push\n"
          "right after the first works. With the manual policy it stays on trial\n"
          "(pending_verify) and refuses updates until `webota confirm URL` (or\n"
          "--confirm); a reset before that rolls it back.\n\n"
          "A progress bar (percent, speed, time left) is drawn on stderr when it is a\n"
          "terminal; otherwise one line says what was sent.\n\n"
          "exit status: 0 installed and running (or accepted, with --no-wait), 1 refused\n"
          "(by the check or by the device: 'error: <code>: <message>' and what to do),\n"
          "unreachable, rolled back or not back in time, 2 usage error\n",
          f);
}

typedef struct {
    FILE *f;
    curl_off_t size;
    bool tty;
    double t0, last_draw;
    curl_off_t last_sent;
    curl_off_t base; /* a resumed upload's first byte: progress counts from 0 */
} push_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_size(double n, char *out, size_t size)
{
    if (n < 1024) {
        snprintf(out, size, "%.0f B", n);
    } else if (n < 1024 * 1024) {
        snprintf(out, size, "%.1f KiB", n / 1024);
    } else {
        snprintf(out, size, "%.2f MiB", n / (1024 * 1024));
    }
}

static void human_time(double s, char *out, size_t size)
{
    long t = (long)(s + 0.5);
    if (t < 60) {
        snprintf(out, size, "%ld s", t);
    } else {
        snprintf(out, size, "%ld min %02ld s", t / 60, t % 60);
    }
}

static size_t read_body(char *buf, size_t size, size_t nmemb, void *user)
{
    push_t *p = user;
    size_t n = fread(buf, 1, size * nmemb, p->f);
    if (n == 0 && ferror(p->f)) {
        return CURL_READFUNC_ABORT;
    }
    return n;
}

/* "[#########           ]  45%  1.20 MiB of 2.66 MiB  310.4 KiB/s  5 s left" */
static void draw(const push_t *p, curl_off_t sent, bool final)
{
    double dt = now() - p->t0, speed = dt > 0 ? (double)sent / dt : 0;
    int pct = p->size > 0 ? (int)(sent * 100 / p->size) : 100;
    char done[32], total[32], rate[32], left[32];
    human_size((double)sent, done, sizeof(done));
    human_size((double)p->size, total, sizeof(total));
    human_size(speed, rate, sizeof(rate));
    if (speed > 0 && !final) {
        human_time((double)(p->size - sent) / speed, left, sizeof(left));
    } else {
        human_time(dt, left, sizeof(left));
    }
    if (p->tty) {
        char bar[31];
        int fill = pct * 30 / 100;
        for (int i = 0; i < 30; i++) {
            bar[i] = i < fill ? '#' : ' ';
        }
        bar[30] = 0;
        fprintf(stderr, "\r[%s] %3d%%  %s of %s  %s/s  %s%s\033[K", bar, pct, done, total, rate,
                left, final ? "" : " left");
        if (final) {
            fputc('\n', stderr);
        }
    } else {
        fprintf(stderr, "webota push: sent %s of %s in %s (%s/s)\n", done, total, left, rate);
    }
    fflush(stderr);
}

static int progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                    curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    push_t *p = user;
    double t = now();
    ulnow += p->base;
    if (p->tty && ulnow != p->last_sent && (t - p->last_draw >= 0.1 || ulnow == p->size)) {
        draw(p, ulnow, false);
        p->last_draw = t;
    }
    p->last_sent = ulnow;
    return 0;
}

/* What push needs to know about the device, from its status. */
typedef struct {
    char chip[32];
    long long chip_rev; /* -1 unknown */
    char next[32];      /* "" when there is no slot to update */
    unsigned long long next_size;
    bool require_marker;
    cli_running_t run;
} target_t;

static void read_target(const cli_http_answer_t *st, target_t *t)
{
    memset(t, 0, sizeof(*t));
    unsigned long long v;
    const char *b = st->body;
    size_t n = st->len;
    if (!cli_json_text(b, n, "chip", t->chip, sizeof(t->chip))) {
        t->chip[0] = 0;
    }
    t->chip_rev = cli_json_uint(b, n, "chip_rev", &v) ? (long long)v : -1;
    if (!cli_json_text(b, n, "next.label", t->next, sizeof(t->next)) ||
        !cli_json_uint(b, n, "next.size", &t->next_size)) {
        t->next[0] = 0;
    }
    t->require_marker = true;
    cli_json_bool(b, n, "require_marker", &t->require_marker);
    cli_device_running(st, &t->run);
}

/* A refusal found before sending: text on stderr (and JSON on stdout). */
typedef struct {
    const char *code;
    char msg[1200];
    char fix[1200];
} local_refusal_t;

static void report_local(const local_refusal_t *r, bool json)
{
    cli_error("push", "error: %s: %s; nothing was sent", r->code, r->msg);
    if (r->fix[0]) {
        cli_error("push", "%s", r->fix);
    }
    if (json) {
        cli_json_out_t o;
        if (cli_json_out_init(&o)) {
            webota_json_obj_begin(&o.w);
            cli_jkv_bool(&o.w, "ok", false);
            cli_jkv_str(&o.w, "error", r->code);
            cli_jkv_str(&o.w, "message", r->msg);
            cli_jkv_str(&o.w, "fix", r->fix);
            cli_jkv_bool(&o.w, "sent", false);
            webota_json_obj_end(&o.w);
        }
        cli_json_out_print(&o, stdout);
    }
}

/* Is the device ready for an update at all? */
static bool device_ready(const target_t *t, const char *root, local_refusal_t *r)
{
    if (t->next[0] == 0) {
        r->code = "no_update_slot";
        snprintf(r->msg, sizeof(r->msg), "the device has no OTA slot to update");
        snprintf(r->fix, sizeof(r->fix),
                 "its partition table needs two OTA app slots (ota_0, ota_1) and otadata");
        return false;
    }
    if (strcmp(t->run.state, "pending_verify") == 0) {
        r->code = "pending_verify";
        snprintf(r->msg, sizeof(r->msg),
                 "the device runs %s %s from %s on trial (pending_verify): it accepts no update "
                 "before that firmware is confirmed or rolled back",
                 t->run.project, t->run.version, t->run.label);
        snprintf(r->fix, sizeof(r->fix),
                 "keep it with `webota confirm %s`, or go back with `webota rollback %s`; then "
                 "push again",
                 root, root);
        return false;
    }
    return true;
}

/* Checks the file with the device's own image checker, as the device will
 * (chip, revision, slot size, structure, checksum, SHA-256, marker). */
static bool check_file(FILE *f, const char *path, long long size, const target_t *t, bool force,
                       bool *marker, webota_app_desc_t *desc, local_refusal_t *r)
{
    const webota_chip_info_t *chip = t->chip[0] ? cli_chip(t->chip) : NULL;
    webota_image_policy_t pol = {
        .check_chip = chip != NULL,
        .chip = chip != NULL ? (int)chip->chip : -1,
        .check_chip_rev = chip != NULL && t->chip_rev >= 0,
        .chip_rev = (int)t->chip_rev,
        .max_size = t->next_size <= 0xFFFFFFFFull ? (uint32_t)t->next_size : 0,
    };
    static webota_image_checker_t c; /* large-ish; one per run */
    static webota_image_info_t info;
    webota_image_init(&c, &pol, &info);
    unsigned char buf[16384];
    size_t n;
    webota_err_t e = WEBOTA_OK;
    while (e == WEBOTA_OK && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        e = webota_image_feed(&c, buf, n);
    }
    bool read_error = ferror(f) != 0;
    e = e == WEBOTA_OK ? webota_image_finish(&c) : e;
    webota_image_abort(&c);
    const webota_image_status_t *st = webota_image_status(&c);
    rewind(f);
    if (read_error) {
        r->code = "io_error";
        snprintf(r->msg, sizeof(r->msg), "cannot read %s", path);
        r->fix[0] = 0;
        return false;
    }
    *marker = st->marker;
    *desc = info.desc;
    if (e == WEBOTA_OK) {
        if (!st->marker && t->require_marker && !force) {
            r->code = webota_err_name(WEBOTA_ERR_UPD_NO_MARKER);
            snprintf(r->msg, sizeof(r->msg),
                     "%s (%s %s) does not contain the webota updater: once it runs, the device "
                     "no longer accepts web updates (only a cable can update it again)",
                     path, info.desc.project_name, info.desc.version);
            snprintf(r->fix, sizeof(r->fix),
                     "add --force to install it anyway (the page's \"Upload anyway\" button does "
                     "the same), or build the firmware with the webota component");
            return false;
        }
        return true;
    }
    r->code = webota_err_name(e);
    snprintf(r->msg, sizeof(r->msg), "%s at offset %u of %s", webota_strerror(e),
             (unsigned)st->err_offset, path);
    const char *fix = "build the image again with ESP-IDF (idf.py build) and push build/PROJECT.bin";
    char tmp[1200];
    switch (e) {
    case WEBOTA_ERR_IMG_MAGIC:
        fix = "give the app image that ESP-IDF built (build/PROJECT.bin), not an ELF file, a "
              "bootloader or a whole-flash image";
        break;
    case WEBOTA_ERR_IMG_CHIP: {
        const webota_chip_info_t *ic = st->header_seen ? webota_chip_by_id(st->chip_id) : NULL;
        snprintf(tmp, sizeof(tmp),
                 "it is built for %s, the device is %s: build it for the device (idf.py "
                 "set-target %s)",
                 ic != NULL ? ic->display : "an unknown chip",
                 chip != NULL ? chip->display : t->chip, chip != NULL ? chip->name : t->chip);
        fix = tmp;
        break;
    }
    case WEBOTA_ERR_IMG_CHIP_REV_MIN:
    case WEBOTA_ERR_IMG_CHIP_REV_MAX:
        snprintf(tmp, sizeof(tmp),
                 "the image accepts chip revisions v%u.%u to v%u.%u, the device is v%lld.%lld: "
                 "set the supported revisions in menuconfig and build again",
                 st->min_rev_full / 100, st->min_rev_full % 100, st->max_rev_full / 100,
                 st->max_rev_full % 100, t->chip_rev / 100, t->chip_rev % 100);
        fix = tmp;
        break;
    case WEBOTA_ERR_IMG_TOO_BIG:
        snprintf(tmp, sizeof(tmp),
                 "%s is %lld bytes, the device's next slot %s holds %llu: make the app smaller "
                 "or give its slots more room in the partition table (a cable flash)",
                 path, size, t->next, t->next_size);
        fix = tmp;
        break;
    case WEBOTA_ERR_IMG_TRUNCATED:
    case WEBOTA_ERR_IMG_CHECKSUM:
    case WEBOTA_ERR_IMG_HASH:
        fix = "the file is damaged or incomplete: copy it again, or build it again with ESP-IDF";
        break;
    case WEBOTA_ERR_IMG_APPDESC:
        fix = "it is not an ESP-IDF application (no app descriptor): give the app image that "
              "ESP-IDF built (build/PROJECT.bin)";
        break;
    default:
        break;
    }
    snprintf(r->fix, sizeof(r->fix), "%s", fix);
    return false;
}

static long long file_size(FILE *f)
{
    struct stat sb;
    return fstat(fileno(f), &sb) == 0 ? (long long)sb.st_size : 0;
}

/* A gzip FILE: the device must take it, and what it inflates to is checked
 * like a .bin (*inflated, a temporary file); damaged ones are refused here
 * with the code the device would answer. */
static bool gzip_ready(push_t *p, const char *path, const target_t *t, bool dev_gz, bool gz,
                       FILE **inflated, local_refusal_t *r)
{
    if (!gz) {
        return true;
    }
    if (!dev_gz) {
        r->code = webota_err_name(WEBOTA_ERR_GZ_UNSUPPORTED);
        snprintf(r->msg, sizeof(r->msg), "%s is gzip-compressed and the device does not accept "
                 "compressed uploads", path);
        snprintf(r->fix, sizeof(r->fix), "push the .bin itself (gunzip it first)");
        return false;
    }
    *inflated = tmpfile();
    if (*inflated == NULL) {
        r->code = "io_error";
        snprintf(r->msg, sizeof(r->msg), "cannot make a temporary file: %s", strerror(errno));
        r->fix[0] = 0;
        return false;
    }
    uint32_t at = 0;
    uint32_t limit = t->next_size <= 0xFFFFFFFFull ? (uint32_t)t->next_size : 0;
    webota_err_t e = cli_gunzip_file(p->f, limit, *inflated, &at);
    if (e == WEBOTA_OK) {
        return true;
    }
    r->code = webota_err_name(e);
    snprintf(r->msg, sizeof(r->msg), "%s at byte %u of %s", webota_strerror(e), (unsigned)at, path);
    snprintf(r->fix, sizeof(r->fix), "%s",
             e == WEBOTA_ERR_GZ_TOO_BIG ? "it inflates to more than the device's next slot holds"
                                        : "the file is damaged or incomplete: compress the .bin "
                                          "again (gzip -9 -k build/PROJECT.bin), or push the .bin");
    return false;
}

/* What the device answered to the upload. */
typedef struct {
    char project[64], version[64], slot[32];
    unsigned long long size, compressed_size;
} installed_t;

static void read_installed(const cli_http_answer_t *a, installed_t *in)
{
    memset(in, 0, sizeof(*in));
    if (!cli_json_text(a->body, a->len, "project", in->project, sizeof(in->project))) {
        snprintf(in->project, sizeof(in->project), "?");
    }
    if (!cli_json_text(a->body, a->len, "version", in->version, sizeof(in->version))) {
        snprintf(in->version, sizeof(in->version), "the image");
    }
    if (!cli_json_text(a->body, a->len, "slot", in->slot, sizeof(in->slot))) {
        snprintf(in->slot, sizeof(in->slot), "?");
    }
    cli_json_uint(a->body, a->len, "size", &in->size);
    cli_json_uint(a->body, a->len, "compressed_size", &in->compressed_size); /* 0: sent plain */
}

/* The result document of --json. */
static void print_json_result(const installed_t *in, bool ok, const char *error, const char *msg,
                              const cli_running_t *back, bool confirmed)
{
    cli_json_out_t o;
    if (cli_json_out_init(&o)) {
        webota_json_t *w = &o.w;
        webota_json_obj_begin(w);
        cli_jkv_bool(w, "ok", ok);
        if (error != NULL) {
            cli_jkv_str(w, "error", error);
            cli_jkv_str(w, "message", msg);
        }
        cli_jkv_str(w, "project", in->project);
        cli_jkv_str(w, "version", in->version);
        cli_jkv_str(w, "slot", in->slot);
        cli_jkv_uint(w, "size", in->size);
        if (in->compressed_size != 0) {
            cli_jkv_uint(w, "compressed_size", in->compressed_size);
        }
        cli_jkv_bool(w, "rebooting", true);
        webota_json_key(w, "back");
        if (back == NULL) {
            webota_json_null(w);
        } else {
            webota_json_obj_begin(w);
            cli_jkv_str(w, "slot", back->label);
            cli_jkv_str(w, "project", back->project);
            cli_jkv_str(w, "version", back->version);
            cli_jkv_str(w, "state", back->state);
            webota_json_obj_end(w);
        }
        cli_jkv_bool(w, "confirmed", confirmed);
        webota_json_obj_end(w);
    }
    cli_json_out_print(&o, stdout);
}

/* After the device accepted the image: wait for it (unless back, its status
 * after the reboot, is given), report, confirm. */
static int after_install(const cli_device_t *dev, const installed_t *in, bool marker, bool wait,
                         bool confirm, bool json, cli_http_answer_t *back_status)
{
    if (!marker) {
        if (json) {
            print_json_result(in, true, NULL, NULL, NULL, false);
        } else {
            printf("installed %s into %s; it lacks the webota updater, so it will not answer "
                   "here: not waiting for it (if it never confirms itself, the bootloader goes "
                   "back to the previous firmware at its next reset)\n",
                   in->version, in->slot);
        }
        return CLI_OK;
    }
    if (!wait) {
        if (json) {
            print_json_result(in, true, NULL, NULL, NULL, false);
        } else {
            printf("installed %s into %s; the device is rebooting into it\n", in->version,
                   in->slot);
        }
        return CLI_OK;
    }
    cli_http_answer_t st;
    if (back_status != NULL) {
        st = *back_status;
        memset(back_status, 0, sizeof(*back_status));
    } else {
        cli_error("push", "installed %s into %s; waiting for the device to restart into it",
                  in->version, in->slot);
    }
    if (back_status == NULL && !cli_device_wait_back(dev, CLI_DEVICE_BACK_S, &st)) {
        char msg[300];
        snprintf(msg, sizeof(msg),
                 "installed %s into %s, but the device did not answer within %d s after its "
                 "reboot",
                 in->version, in->slot, CLI_DEVICE_BACK_S);
        cli_error("push", "error: not_back: %s: check it with `webota status %s`", msg, dev->root);
        if (json) {
            print_json_result(in, false, "not_back", msg, NULL, false);
        }
        return CLI_INVALID;
    }
    cli_running_t back;
    cli_device_running(&st, &back);
    cli_http_answer_free(&st);
    if (strcmp(back.label, in->slot) != 0) {
        char msg[1024];
        snprintf(msg, sizeof(msg),
                 "installed %s into %s, but the device came back running %s %s from %s: the new "
                 "firmware was rolled back (it did not confirm itself before a reset; its "
                 "updater did not answer in time)",
                 in->version, in->slot, back.project, back.version, back.label);
        cli_error("push", "error: rolled_back: %s", msg);
        if (json) {
            print_json_result(in, false, "rolled_back", msg, &back, false);
        }
        return CLI_INVALID;
    }
    bool confirmed = false;
    if (confirm && strcmp(back.state, "pending_verify") == 0) {
        cli_http_answer_t a;
        CURLcode rc;
        cli_dev_result_t res = cli_device_call(dev, "POST", "/api/confirm", 30, &a, &rc);
        if (res != CLI_DEV_OK) {
            cli_device_report(dev, "/api/confirm", res, rc, &a);
            cli_http_answer_free(&a);
            if (json) {
                print_json_result(in, false, "confirm_failed",
                                  "the new firmware runs but could not be confirmed", &back,
                                  false);
            }
            return CLI_INVALID;
        }
        cli_http_answer_free(&a);
        confirmed = true;
        snprintf(back.state, sizeof(back.state), "valid");
    }
    if (json) {
        print_json_result(in, true, NULL, NULL, &back, confirmed);
    } else if (confirmed) {
        printf("installed %s into %s; the device is back: %s %s runs from %s, confirmed (valid)\n",
               in->version, in->slot, back.project, back.version, back.label);
    } else if (strcmp(back.state, "pending_verify") == 0) {
        printf("installed %s into %s; the device is back: %s %s runs from %s (pending_verify)\n"
               "it is on trial: keep it with `webota confirm %s` (or push with --confirm); a "
               "reset before that rolls it back\n",
               in->version, in->slot, back.project, back.version, back.label, dev->root);
    } else {
        printf("installed %s into %s; the device is back: %s %s runs from %s (%s)\n", in->version,
               in->slot, back.project, back.version, back.label, back.state);
    }
    return CLI_OK;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* POST /api/update/session: the id of a resumable upload into id, or false
 * (a device without resume, or busy: the upload is then sent without one). */
static bool resume_id(const cli_device_t *dev, char *id, size_t cap)
{
    cli_http_answer_t a = {0};
    bool ok = cli_device_call(dev, "POST", "/api/update/session", 10, &a, NULL) == CLI_DEV_OK &&
              cli_json_text(a.body, a.len, "id", id, cap) && id[0] != 0;
    cli_http_answer_free(&a);
    return ok;
}

/* Where the device stands with upload id after a drop: its offset, once it
 * holds the upload ("held"; "new" = nothing arrived), asking with back-off
 * while it still sees the old connection; -1 when it no longer knows it. */
static long long resume_where(const cli_device_t *dev, const char *id, double deadline)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/update?id=%s", id);
    double wait = 0.25;
    while (now() < deadline) {
        cli_http_answer_t a = {0};
        char state[16] = "";
        unsigned long long off = 0;
        cli_dev_result_t r = cli_device_call(dev, "GET", path, 10, &a, NULL);
        bool known = r == CLI_DEV_OK && cli_json_text(a.body, a.len, "state", state, sizeof(state)) &&
                     cli_json_uint(a.body, a.len, "offset", &off);
        cli_http_answer_free(&a);
        if (r == CLI_DEV_REFUSED) {
            return -1; /* 404: the hold time passed, or the device rebooted */
        }
        if (known && (strcmp(state, "held") == 0 || strcmp(state, "new") == 0)) {
            return (long long)off;
        }
        sleep_s(wait); /* unreachable for now, or still "receiving" */
        wait = wait * 2 > 4 ? 4 : wait * 2;
    }
    return -1;
}

/* The whole image was sent but the answer never came (the link dropped as the
 * device answered, or while it rebooted into the new firmware): its status
 * says what became of the upload. Polls (bounded, CLI_DEVICE_BACK_S) until
 * the device answers, not rebooting and not in the middle of an upload, then
 * reports: installed (the new firmware runs from the slot it went to: the
 * usual report, --confirm applies), refused at its end (the device's code and
 * message), or not installed (it runs what it ran before). */
static int after_lost_answer(const cli_device_t *dev, const target_t *t, const webota_app_desc_t *desc,
                             unsigned long long size, bool marker, bool confirm, bool json)
{
    installed_t in;
    memset(&in, 0, sizeof(in));
    snprintf(in.project, sizeof(in.project), "%s", desc->project_name);
    snprintf(in.version, sizeof(in.version), "%s", desc->version);
    snprintf(in.slot, sizeof(in.slot), "%s", t->next);
    in.size = size;
    char msg[1200];
    if (!marker) {
        snprintf(msg, sizeof(msg),
                 "the whole image was sent but the device's answer was lost, and %s %s lacks the "
                 "webota updater: whether it was installed cannot be asked (see the device's log)",
                 in.project, in.version);
        cli_error("push", "error: answer_lost: %s", msg);
        if (json) {
            print_json_result(&in, false, "answer_lost", msg, NULL, false);
        }
        return CLI_INVALID;
    }
    fprintf(stderr, "webota push: the connection was lost after the whole image was sent; asking "
                    "the device what became of it\n");
    double end = now() + CLI_DEVICE_BACK_S;
    cli_http_answer_t st = {0};
    char state[16] = "";
    bool held = false;
    for (;;) {
        double left = end - now();
        if (left <= 0 || !cli_device_wait_back(dev, left, &st)) {
            snprintf(msg, sizeof(msg),
                     "the whole image was sent but the answer was lost, and the device did not "
                     "answer within %d s: check it with `webota status %s`",
                     CLI_DEVICE_BACK_S, dev->root);
            cli_error("push", "error: not_back: %s", msg);
            if (json) {
                print_json_result(&in, false, "not_back", msg, NULL, false);
            }
            return CLI_INVALID;
        }
        held = false;
        if (!cli_json_text(st.body, st.len, "update.state", state, sizeof(state))) {
            state[0] = 0;
        }
        cli_json_bool(st.body, st.len, "update.held", &held);
        /* still taking the last bytes or checking the image: ask again */
        if (held || (strcmp(state, "receiving") != 0 && strcmp(state, "verifying") != 0) ||
            now() >= end) {
            break;
        }
        cli_http_answer_free(&st);
    }
    cli_running_t back;
    cli_device_running(&st, &back);
    if (strcmp(back.label, in.slot) == 0 && strcmp(back.version, in.version) == 0 &&
        strcmp(back.project, in.project) == 0) {
        return after_install(dev, &in, marker, true, confirm, json, &st);
    }
    char code[48] = "not_installed", why[600] = "";
    bool failed = strcmp(state, "failed") == 0 &&
                  cli_json_text(st.body, st.len, "update.error", code, sizeof(code));
    if (failed && strcmp(code, webota_err_name(WEBOTA_ERR_UPD_ABORTED)) == 0) {
        /* every byte left this computer, but not all reached the device */
        snprintf(msg, sizeof(msg),
                 "the connection was lost before the device had the whole image: it ended the "
                 "upload (firmware untouched) and still runs %s %s from %s; push again",
                 back.project, back.version, back.label);
    } else if (failed) {
        if (!cli_json_text(st.body, st.len, "update.message", why, sizeof(why))) {
            why[0] = 0;
        }
        snprintf(msg, sizeof(msg), "the device refused the image at its end (its answer was lost): %s",
                 why);
    } else {
        snprintf(code, sizeof(code), "not_installed");
        snprintf(msg, sizeof(msg),
                 "the whole image was sent but the answer was lost, and the device still runs %s %s "
                 "from %s (update %s%s): %s %s was not installed; push it again",
                 back.project, back.version, back.label, state[0] ? state : "?",
                 held ? ", held for a resume" : "", in.project, in.version);
    }
    cli_http_answer_free(&st);
    cli_error("push", "error: %s: %s", code, msg);
    if (json) {
        print_json_result(&in, false, code, msg, &back, false);
    }
    return CLI_INVALID;
}

int cmd_push(int argc, char **argv)
{
    bool json = false, force = false, confirm = false, wait = true, compress = true, resume = true;
    const char *pos[2] = {NULL, NULL}; /* URL, FILE */
    cli_device_t dev = {0};
    for (int i = 1; i < argc; i++) {
        int rc;
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--force") == 0) {
            force = true;
        } else if (strcmp(argv[i], "--confirm") == 0) {
            confirm = true;
        } else if (strcmp(argv[i], "--no-wait") == 0) {
            wait = false;
        } else if (strcmp(argv[i], "--no-resume") == 0) {
            resume = false;
        } else if (strcmp(argv[i], "--no-compress") == 0) {
            compress = false;
        } else if (cli_device_option(&dev, argc, argv, &i, &rc)) {
            if (rc >= 0) {
                return rc;
            }
        } else {
            rc = cli_other_arg("push", argv[i], pos, 2, usage);
            if (rc >= 0) {
                return rc;
            }
        }
    }
    const char *base = pos[0], *path = pos[1];
    if (base == NULL || path == NULL) {
        usage(stderr);
        return CLI_USAGE;
    }
    int ret = cli_device_ready(&dev, "push", base);
    if (ret >= 0) {
        cli_device_free(&dev);
        return ret;
    }
    push_t p = {0};
    struct stat sb;
    p.f = fopen(path, "rb");
    if (p.f == NULL || fstat(fileno(p.f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        cli_error("push", "cannot read %s: %s", path,
                  p.f == NULL ? strerror(errno) : "not a regular file");
        if (p.f != NULL) {
            fclose(p.f);
        }
        cli_device_free(&dev);
        return CLI_INVALID;
    }
    p.size = (curl_off_t)sb.st_size;
    p.tty = isatty(STDERR_FILENO) != 0;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    cli_http_answer_t ans = {0}, st = {0};
    ret = CLI_INVALID;
    CURL *curl = NULL;
    struct curl_slist *hdr = NULL;
    target_t t;
    local_refusal_t lr;
    bool marker = false;
    webota_app_desc_t desc; /* the image's, from the check */
    memset(&desc, 0, sizeof(desc));
    FILE *inflated = NULL; /* a .gz FILE inflated, for the check */
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    if (!cli_device_status(&dev, &st)) {
        goto out; /* reported: unreachable, password, not a webota device */
    }
    read_target(&st, &t);
    bool dev_gz = false, gz = cli_file_is_gzip(p.f);
    cli_json_bool(st.body, st.len, "gzip", &dev_gz);
    if (!device_ready(&t, dev.root, &lr) || !gzip_ready(&p, path, &t, dev_gz, gz, &inflated, &lr) ||
        !check_file(inflated != NULL ? inflated : p.f, path,
                    inflated != NULL ? file_size(inflated) : (long long)p.size, &t, force, &marker,
                    &desc, &lr)) {
        report_local(&lr, json);
        goto out;
    }
    unsigned long long image_size =
        (unsigned long long)(inflated != NULL ? file_size(inflated) : (long long)p.size);
    if (!gz && dev_gz && compress && cli_gzip_file(p.f, &packed, &packed_len)) {
        FILE *m = fmemopen(packed, packed_len, "rb");
        if (m != NULL) {
            fprintf(stderr, "webota push: compressed %lld to %zu bytes (%.1f%% fewer to send)\n",
                    (long long)p.size, packed_len,
                    p.size > 0 ? 100.0 * (1.0 - (double)packed_len / (double)p.size) : 0.0);
            fclose(p.f);
            p.f = m;
            p.size = (curl_off_t)packed_len;
            gz = true;
        }
    }
    hdr = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    if (gz && hdr != NULL) {
        hdr = curl_slist_append(hdr, "Content-Encoding: gzip");
    }
    if (hdr == NULL) {
        cli_error("push", "out of memory");
        goto out;
    }
    /* a resumable upload: after a drop, continue where the device stopped
     * (docs/http-api.md#resumable-uploads), for as long as it holds it */
    char id[72] = "", query[112];
    bool resumable = resume && resume_id(&dev, id, sizeof(id));
    long long offset = 0;
    bool all_sent = false; /* no answer, but every byte went out */
    CURLcode rc = CURLE_OK;
    cli_dev_result_t res = CLI_DEV_UNREACHABLE;
    p.t0 = now();
    for (int attempt = 0;; attempt++) {
        struct curl_slist *h = NULL;
        for (struct curl_slist *i = hdr; i != NULL; i = i->next) {
            h = curl_slist_append(h, i->data);
        }
        char off_hdr[48];
        snprintf(off_hdr, sizeof(off_hdr), "Upload-Offset: %lld", offset);
        if (resumable && h != NULL) {
            h = curl_slist_append(h, off_hdr);
        }
        snprintf(query, sizeof(query), "%s%s%s", force ? "force=1" : "",
                 force && resumable ? "&" : "", resumable ? "id=" : "");
        if (resumable) {
            strncat(query, id, sizeof(query) - strlen(query) - 1);
        }
        if (curl != NULL) {
            curl_easy_cleanup(curl);
        }
        cli_http_answer_free(&ans);
        curl = h != NULL ? cli_device_open(&dev, "POST", "/api/update", query[0] ? query : NULL,
                                           &ans, &h)
                         : NULL;
        if (curl == NULL || fseek(p.f, (long)offset, SEEK_SET) != 0) {
            curl_slist_free_all(h);
            goto out;
        }
        p.base = (curl_off_t)offset;
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(curl, CURLOPT_READDATA, &p);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, p.size - (curl_off_t)offset);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &p);
        rc = curl_easy_perform(curl);
        curl_slist_free_all(h);
        res = cli_device_result(curl, rc, &ans);
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_off_t up = 0;
        curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &up);
        all_sent = res == CLI_DEV_UNREACHABLE && (curl_off_t)offset + up >= p.size;
        /* dropped; or (409/416) the device had not yet seen the drop before */
        bool again = res == CLI_DEV_UNREACHABLE ||
                     (res == CLI_DEV_REFUSED && attempt > 0 && (status == 409 || status == 416));
        if (!resumable || !again || attempt >= 30) {
            break;
        }
        if (p.tty) {
            fputc('\n', stderr);
        }
        if (!all_sent) {
            fprintf(stderr, "webota push: connection lost, resuming…\n");
        }
        long long at = resume_where(&dev, id, now() + 60.0);
        if (at < 0 || at > (long long)p.size || (all_sent && at >= (long long)p.size)) {
            break; /* the device no longer holds it: ask it (all sent) or report the drop */
        }
        if (all_sent) { /* sent, but part of it never reached the device */
            fprintf(stderr, "webota push: connection lost, resuming…\n");
        }
        all_sent = false;
        offset = at;
        fprintf(stderr, "webota push: resuming at byte %lld of %lld\n", offset, (long long)p.size);
    }
    bool accepted = false;
    if (res == CLI_DEV_OK && !(cli_json_bool(ans.body, ans.len, "ok", &accepted) && accepted)) {
        res = CLI_DEV_FOREIGN;
    }
    if (p.tty || (res != CLI_DEV_UNREACHABLE && p.last_sent > 0)) {
        draw(&p, p.last_sent, true);
    }
    if (res == CLI_DEV_UNREACHABLE && all_sent) {
        ret = after_lost_answer(&dev, &t, &desc, image_size, marker, confirm, json);
    } else if (res != CLI_DEV_OK) {
        if (json && res == CLI_DEV_REFUSED) {
            cli_device_print_body(&ans);
        }
        cli_device_report(&dev, "/api/update", res, rc, &ans);
    } else {
        installed_t in;
        read_installed(&ans, &in);
        ret = after_install(&dev, &in, marker, wait, confirm, json, NULL);
    }
out:
    if (curl != NULL) {
        curl_easy_cleanup(curl);
    }
    curl_slist_free_all(hdr);
    cli_http_answer_free(&ans);
    cli_http_answer_free(&st);
    curl_global_cleanup();
    fclose(p.f);
    if (inflated != NULL) {
        fclose(inflated);
    }
    free(packed);
    cli_device_free(&dev);
    return ret;
}
