/* Talking to a webota device (see device.h). */
#include "cli/device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/http_auth.h"
#include "cli/json_get.h"

bool cli_device_option(cli_device_t *d, int argc, char **argv, int *i, int *rc)
{
    if (strcmp(argv[*i], "--password-file") != 0) {
        return false;
    }
    if (*i + 1 >= argc) {
        cli_error(argv[0], "--password-file needs a FILE");
        *rc = CLI_USAGE;
        return true;
    }
    d->password_file = argv[++*i];
    *rc = -1;
    return true;
}

int cli_device_ready(cli_device_t *d, const char *cmd, const char *base)
{
    d->cmd = cmd;
    d->base = base;
    d->root = cli_http_url(cmd, base, "", NULL);
    if (d->root == NULL) {
        return CLI_USAGE;
    }
    d->auth = calloc(1, sizeof(*d->auth));
    if (d->auth == NULL) {
        cli_error(cmd, "out of memory");
        return CLI_INVALID;
    }
    bool found = false;
    if (!cli_secret_read(cmd, d->password_file, d->auth->password, &found)) {
        return CLI_INVALID; /* unreadable or empty file: said */
    }
    if (found) {
        d->auth->have_password = true;
        d->password = d->auth->password;
        d->password_from = d->password_file != NULL ? d->password_file : CLI_PASSWORD_ENV;
    }
    return -1;
}

void cli_device_free(cli_device_t *d)
{
    free(d->root);
    if (d->auth != NULL) {
        cli_auth_free(d->auth);
        free(d->auth);
    }
    memset(d, 0, sizeof(*d));
}

char *cli_device_url(const cli_device_t *d, const char *path, const char *query)
{
    return cli_http_url(d->cmd, d->root, path, query);
}

CURL *cli_device_open(const cli_device_t *d, const char *method, const char *path,
                      const char *query, cli_http_answer_t *ans, struct curl_slist **headers)
{
    memset(ans, 0, sizeof(*ans));
    char *url = cli_device_url(d, path, query);
    CURL *curl = url != NULL ? cli_http_open(url, ans) : NULL;
    free(url); /* libcurl keeps its own copy */
    if (curl == NULL) {
        cli_error(d->cmd, "cannot start libcurl");
        return NULL;
    }
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
    }
    /* a login answer for this method, path and query: the password never
     * goes out (challenge-response, docs/security.md) */
    if (d->auth != NULL && d->password != NULL &&
        !cli_auth_header(d->auth, d->cmd, d->root, method, path, query, headers)) {
        curl_easy_cleanup(curl);
        return NULL;
    }
    return curl;
}

/* A webota error answer: {"error": CODE, "message": TEXT}. */
static bool webota_error(const cli_http_answer_t *ans, char *code, size_t ncode, char *msg,
                         size_t nmsg)
{
    return cli_json_text(ans->body, ans->len, "error", code, ncode) &&
           cli_json_text(ans->body, ans->len, "message", msg, nmsg);
}

cli_dev_result_t cli_device_result(CURL *curl, CURLcode rc, cli_http_answer_t *ans)
{
    if (!cli_http_answered(curl, rc, ans)) {
        return CLI_DEV_UNREACHABLE;
    }
    char code[64], msg[16];
    bool json = cli_json_valid(ans->body, ans->len);
    if (ans->status >= 200 && ans->status < 300) {
        return json ? CLI_DEV_OK : CLI_DEV_FOREIGN;
    }
    if (json && webota_error(ans, code, sizeof(code), msg, sizeof(msg))) {
        return CLI_DEV_REFUSED;
    }
    if (json && cli_json_text(ans->body, ans->len, "error", code, sizeof(code))) {
        return CLI_DEV_REFUSED; /* a long message that did not fit msg */
    }
    return CLI_DEV_FOREIGN;
}

/* The way out of a refusal, for the codes that have one. */
static const char *hint(const char *code)
{
    static const struct {
        const char *code, *hint;
    } hints[] = {
        {"pending_verify", "keep the running firmware with `webota confirm URL`, or go back with "
                           "`webota rollback URL`; then push again"},
        {"busy", "another upload (or a reboot) is in progress: wait for it (`webota status URL` "
                 "shows it) and try again"},
        {"not_pending", "nothing to do: the running firmware is not on trial (`webota status URL` "
                        "shows its state)"},
        {"rollback_impossible", "there is no earlier valid firmware on the device to go back to"},
    };
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        if (strcmp(code, hints[i].code) == 0) {
            return hints[i].hint;
        }
    }
    return NULL;
}

void cli_device_report(const cli_device_t *d, const char *path, cli_dev_result_t res, CURLcode rc,
                       const cli_http_answer_t *ans)
{
    char *url = cli_device_url(d, path, NULL);
    char code[64] = "", msg[512] = "";
    if (res == CLI_DEV_UNREACHABLE) {
        cli_http_report_failure(d->cmd, url != NULL ? url : d->root, rc, ans);
    } else if (ans->status == 401) {
        if (d->password == NULL) {
            cli_error(d->cmd,
                      "error: unauthorized: %s asks for a password: put it in the environment "
                      "variable WEBOTA_PASSWORD or in a file given with --password-file FILE",
                      d->root);
        } else {
            cli_error(d->cmd,
                      "error: unauthorized: %s refused the password from %s: check it",
                      d->root, d->password_from);
        }
    } else if (res == CLI_DEV_REFUSED) {
        if (!webota_error(ans, code, sizeof(code), msg, sizeof(msg))) {
            cli_json_text(ans->body, ans->len, "error", code, sizeof(code));
            snprintf(msg, sizeof(msg), "(the device's message is too long to show)");
        }
        cli_error(d->cmd, "error: %s: %s", code, msg);
        const char *h = hint(code);
        if (h != NULL) {
            cli_error(d->cmd, "%s", h);
        }
    } else if (res == CLI_DEV_FOREIGN) {
        if (ans->status >= 200 && ans->status < 300) {
            cli_error(d->cmd,
                      "%s does not look like a webota device (HTTP %ld for %s, but not webota's "
                      "JSON): check the address and port",
                      d->root, ans->status, path);
        } else {
            cli_error(d->cmd,
                      "%s does not look like a webota device (HTTP %ld for %s): check the address "
                      "and port",
                      d->root, ans->status, path);
        }
    }
    free(url);
}

cli_dev_result_t cli_device_call(const cli_device_t *d, const char *method, const char *path,
                                 long timeout_s, cli_http_answer_t *ans, CURLcode *rc_out)
{
    CURLcode rc = CURLE_FAILED_INIT;
    cli_dev_result_t res = CLI_DEV_UNREACHABLE;
    struct curl_slist *headers = NULL;
    CURL *curl = cli_device_open(d, method, path, NULL, ans, &headers);
    if (curl == NULL) {
        snprintf(ans->curl_err, sizeof(ans->curl_err), "cannot start libcurl");
    } else {
        if (strcmp(method, "POST") == 0) {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
        }
        if (headers != NULL) {
            curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        }
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
        rc = curl_easy_perform(curl);
        res = cli_device_result(curl, rc, ans);
        curl_easy_cleanup(curl);
    }
    curl_slist_free_all(headers);
    if (rc_out != NULL) {
        *rc_out = rc;
    }
    return res;
}

bool cli_device_status(const cli_device_t *d, cli_http_answer_t *ans)
{
    CURLcode rc;
    cli_dev_result_t res = cli_device_call(d, "GET", "/api/status", 30, ans, &rc);
    const char *v;
    size_t vl;
    if (res == CLI_DEV_OK && !cli_json_find(ans->body, ans->len, "running", &v, &vl)) {
        res = CLI_DEV_FOREIGN; /* JSON, but not webota's status */
    }
    if (res != CLI_DEV_OK) {
        cli_device_report(d, "/api/status", res, rc, ans);
        return false;
    }
    return true;
}

static void text_or(const cli_http_answer_t *a, const char *path, char *out, size_t n)
{
    if (!cli_json_text(a->body, a->len, path, out, n)) {
        snprintf(out, n, "?");
    }
}

void cli_device_running(const cli_http_answer_t *status, cli_running_t *out)
{
    text_or(status, "running.label", out->label, sizeof(out->label));
    text_or(status, "project", out->project, sizeof(out->project));
    text_or(status, "version", out->version, sizeof(out->version));
    text_or(status, "running.state", out->state, sizeof(out->state));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool cli_device_wait_back(const cli_device_t *d, double timeout_s, cli_http_answer_t *ans)
{
    double end = now_s() + timeout_s;
    const struct timespec half = {0, 500000000L};
    memset(ans, 0, sizeof(*ans));
    for (;;) {
        nanosleep(&half, NULL);
        cli_http_answer_t a;
        /* each poll is short: a device in the middle of its reboot does not answer */
        cli_dev_result_t res = cli_device_call(d, "GET", "/api/status", 3, &a, NULL);
        bool rebooting = true;
        if (res == CLI_DEV_OK && cli_json_bool(a.body, a.len, "rebooting", &rebooting) &&
            !rebooting) {
            *ans = a;
            return true;
        }
        cli_http_answer_free(&a);
        if (now_s() >= end) {
            return false;
        }
    }
}

void cli_device_print_body(const cli_http_answer_t *ans)
{
    fwrite(ans->body, 1, ans->len, stdout);
    if (ans->len == 0 || ans->body[ans->len - 1] != '\n') {
        putchar('\n');
    }
}
