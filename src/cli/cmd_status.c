/* `webota status [--json] URL`: what a device (or the simulator) runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/http_auth.h"
#include "cli/http_client.h"
#include "cli/json_get.h"

static void usage(FILE *f)
{
    fputs("usage: webota status [--json] [--password-file F] URL\n\n"
          "Shows what a webota device runs: chip, project, version, the running slot\n"
          "and its state, the slot the next update goes to, whether a rollback is\n"
          "possible and any update in progress (GET URL/api/status).\n\n"
          "  URL      the device, e.g. http://192.168.4.1 or http://127.0.0.1:8080/\n"
          "  --json   print the device's JSON answer as it is\n"
          "  --password-file F  the device's password (first line of F); without it\n"
          "           $WEBOTA_PASSWORD. Sent as a one-time challenge answer, never\n"
          "           in clear\n\n"
          "exit status: 0 shown, 1 the device is unreachable or answered an error,\n"
          "2 usage error\n",
          f);
}

/* One "label: value" line; value read from path, "?" when the device omitted it. */
static void field(const cli_http_answer_t *a, const char *label, const char *path)
{
    char v[128];
    printf("%-10s %s\n", label, cli_json_text(a->body, a->len, path, v, sizeof(v)) ? v : "?");
}

static void size_text(const cli_http_answer_t *a, const char *path, char *out, size_t n)
{
    unsigned long long v;
    if (!cli_json_uint(a->body, a->len, path, &v)) {
        snprintf(out, n, "?");
    } else if (v != 0 && v % (1024 * 1024) == 0) {
        snprintf(out, n, "%llu MiB", v / (1024 * 1024));
    } else if (v % 1024 == 0) {
        snprintf(out, n, "%llu KiB", v / 1024);
    } else {
        snprintf(out, n, "%llu bytes", v);
    }
}

static void summary(const cli_http_answer_t *a)
{
    const char *b = a->body;
    size_t n = a->len;
    char s1[128], s2[64], s3[64], s4[64];
    bool rb = false;
    field(a, "chip:", "chip");
    field(a, "project:", "project");
    field(a, "version:", "version");
    field(a, "ESP-IDF:", "idf_ver");
    field(a, "secure:", "secure_version");

    unsigned long long off = 0;
    bool has_off = cli_json_uint(b, n, "running.offset", &off);
    size_text(a, "running.size", s3, sizeof(s3));
    printf("%-10s %s", "running:", cli_json_text(b, n, "running.label", s1, sizeof(s1)) ? s1 : "?");
    if (has_off) {
        printf(" at 0x%llx", off);
    }
    printf(", %s, state %s\n", s3, cli_json_text(b, n, "running.state", s2, sizeof(s2)) ? s2 : "?");

    if (cli_json_text(b, n, "next.label", s1, sizeof(s1))) {
        size_text(a, "next.size", s3, sizeof(s3));
        printf("%-10s %s, %s\n", "next:", s1, s3);
    } else {
        printf("%-10s none (no slot to update)\n", "next:");
    }
    printf("%-10s %s\n", "rollback:",
           cli_json_bool(b, n, "rollback_possible", &rb) ? (rb ? "possible" : "not possible")
                                                         : "?");

    unsigned long long got = 0, total = 0;
    if (!cli_json_text(b, n, "update.state", s4, sizeof(s4))) {
        snprintf(s4, sizeof(s4), "?");
    }
    printf("%-10s %s", "update:", s4);
    if (cli_json_uint(b, n, "update.received", &got) &&
        cli_json_uint(b, n, "update.total", &total) && total > 0) {
        printf(", %llu of %llu bytes (%llu%%)", got, total, got * 100 / total);
    }
    char code[64], msg[256];
    if (cli_json_text(b, n, "update.error", code, sizeof(code)) &&
        cli_json_text(b, n, "update.message", msg, sizeof(msg))) {
        printf(" - %s: %s", code, msg);
    }
    putchar('\n');
}

int cmd_status(int argc, char **argv)
{
    bool json = false;
    const char *base = NULL; /* URL */
    const char *password_file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc) {
            password_file = argv[++i];
        } else {
            int rc = cli_other_arg("status", argv[i], &base, 1, usage);
            if (rc >= 0) {
                return rc;
            }
        }
    }
    if (base == NULL) {
        usage(stderr);
        return CLI_USAGE;
    }
    char *url = cli_http_url("status", base, "/api/status", NULL);
    if (url == NULL) {
        return CLI_USAGE;
    }
    cli_auth_t auth;
    if (!cli_auth_init(&auth, "status", password_file)) {
        free(url);
        return CLI_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cli_http_answer_t ans;
    memset(&ans, 0, sizeof(ans));
    int ret = CLI_INVALID;
    struct curl_slist *hdr = NULL;
    CURL *curl = NULL;
    if (!cli_auth_header(&auth, "status", base, "GET", "/api/status", NULL, &hdr)) {
        /* the reason is printed */
    } else if ((curl = cli_http_open(url, &ans)) == NULL) {
        cli_error("status", "cannot start libcurl");
    } else {
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
        CURLcode rc = curl_easy_perform(curl);
        const char *ver;
        size_t ver_len;
        if (!cli_http_answered(curl, rc, &ans)) {
            cli_http_report_failure("status", url, rc, &ans);
        } else if (ans.status < 200 || ans.status >= 300) {
            cli_http_report_error("status", &ans);
            cli_auth_hint(&auth, "status", ans.status);
        } else if (!cli_json_valid(ans.body, ans.len) ||
                   !cli_json_find(ans.body, ans.len, "version", &ver, &ver_len)) {
            cli_error("status", "%s did not answer with a webota status (is it a webota device?)",
                      url);
        } else {
            if (json) {
                fwrite(ans.body, 1, ans.len, stdout);
                if (ans.len == 0 || ans.body[ans.len - 1] != '\n') {
                    putchar('\n');
                }
            } else {
                summary(&ans);
            }
            ret = CLI_OK;
        }
        curl_easy_cleanup(curl);
    }
    cli_http_answer_free(&ans);
    curl_slist_free_all(hdr);
    cli_auth_free(&auth);
    curl_global_cleanup();
    free(url);
    return ret;
}
