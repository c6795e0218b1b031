/* `webota push [--json] [--force] URL FILE`: streams a firmware image to a
 * device's POST /api/update with a progress bar, and reports its verdict. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/http_auth.h"
#include "cli/http_client.h"
#include "cli/json_get.h"

static void usage(FILE *f)
{
    fputs("usage: webota push [--json] [--force] [--password-file F] URL FILE\n\n"
          "Uploads the app image FILE to a webota device (or `webota sim`), which\n"
          "checks it while it streams, installs it into its next OTA slot and reboots\n"
          "into it (POST URL/api/update, application/octet-stream).\n\n"
          "  URL       the device, e.g. http://192.168.4.1 or http://127.0.0.1:8080/\n"
          "  FILE      the .bin built by ESP-IDF (build/<project>.bin)\n"
          "  --json    print the device's JSON answer as it is (also on refusal)\n"
          "  --force   install an image without the webota updater: the device will\n"
          "            no longer accept web updates once it runs it\n"
          "  --password-file F  the device's password (first line of F); without it\n"
          "            $WEBOTA_PASSWORD. Sent as a one-time challenge answer, never\n"
          "            in clear (never give a password on the command line)\n\n"
          "A progress bar (percent, speed, time left) is drawn on stderr when it is a\n"
          "terminal; otherwise one line says what was sent.\n\n"
          "exit status: 0 installed (the device reboots into it), 1 refused (the\n"
          "device's reason is printed as 'error: <code>: <message>') or unreachable,\n"
          "2 usage error\n",
          f);
}

typedef struct {
    FILE *f;
    curl_off_t size;
    bool tty;
    double t0, last_draw;
    curl_off_t last_sent;
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
    if (p->tty && ulnow != p->last_sent && (t - p->last_draw >= 0.1 || ulnow == p->size)) {
        draw(p, ulnow, false);
        p->last_draw = t;
    }
    p->last_sent = ulnow;
    return 0;
}

static void print_result(const cli_http_answer_t *a)
{
    char version[64], slot[32];
    bool rebooting = false;
    if (!cli_json_text(a->body, a->len, "version", version, sizeof(version))) {
        snprintf(version, sizeof(version), "the image");
    }
    if (!cli_json_text(a->body, a->len, "slot", slot, sizeof(slot))) {
        snprintf(slot, sizeof(slot), "?");
    }
    cli_json_bool(a->body, a->len, "rebooting", &rebooting);
    printf("installed %s into %s%s\n", version, slot,
           rebooting ? "; the device is rebooting into it" : "");
}

int cmd_push(int argc, char **argv)
{
    bool json = false, force = false;
    const char *pos[2] = {NULL, NULL}; /* URL, FILE */
    const char *password_file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc) {
            password_file = argv[++i];
        } else if (strcmp(argv[i], "--force") == 0) {
            force = true;
        } else {
            int rc = cli_other_arg("push", argv[i], pos, 2, usage);
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
    char *url = cli_http_url("push", base, "/api/update", force ? "force=1" : NULL);
    if (url == NULL) {
        return CLI_USAGE;
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
        free(url);
        return CLI_INVALID;
    }
    p.size = (curl_off_t)sb.st_size;
    p.tty = isatty(STDERR_FILENO) != 0;
    cli_auth_t auth;
    if (!cli_auth_init(&auth, "push", password_file)) {
        fclose(p.f);
        free(url);
        return CLI_USAGE;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    cli_http_answer_t ans;
    memset(&ans, 0, sizeof(ans));
    int ret = CLI_INVALID;
    CURL *curl = NULL;
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    if (hdr == NULL) {
        cli_error("push", "cannot start libcurl");
    } else if (cli_auth_header(&auth, "push", base, "POST", "/api/update",
                               force ? "force=1" : NULL, &hdr) &&
               (curl = cli_http_open(url, &ans)) == NULL) {
        cli_error("push", "cannot start libcurl");
    } else if (curl != NULL) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(curl, CURLOPT_READDATA, &p);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, p.size);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &p);
        p.t0 = now();
        CURLcode rc = curl_easy_perform(curl);
        bool answered = cli_http_answered(curl, rc, &ans);
        bool ok = answered && ans.status >= 200 && ans.status < 300;
        bool accepted = false;
        if (ok && !cli_json_bool(ans.body, ans.len, "ok", &accepted)) {
            accepted = false;
        }
        if (p.tty || (answered && p.last_sent > 0)) {
            draw(&p, p.last_sent, true);
        }
        if (json && answered) {
            fwrite(ans.body, 1, ans.len, stdout);
            if (ans.len == 0 || ans.body[ans.len - 1] != '\n') {
                putchar('\n');
            }
        }
        if (!answered) {
            cli_http_report_failure("push", url, rc, &ans);
        } else if (!ok) {
            cli_http_report_error("push", &ans);
            cli_auth_hint(&auth, "push", ans.status);
        } else if (!accepted) {
            cli_error("push", "%s answered HTTP %ld without {\"ok\":true}: is it a webota device?",
                      url, ans.status);
        } else {
            if (!json) {
                print_result(&ans);
            }
            ret = CLI_OK;
        }
    }
    if (curl != NULL) {
        curl_easy_cleanup(curl);
    }
    curl_slist_free_all(hdr);
    cli_http_answer_free(&ans);
    cli_auth_free(&auth);
    curl_global_cleanup();
    fclose(p.f);
    free(url);
    return ret;
}
