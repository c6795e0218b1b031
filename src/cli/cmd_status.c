/* `webota status [--json] URL`: what a device (or the simulator) runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/device.h"
#include "cli/http_client.h"
#include "cli/json_get.h"

static void usage(FILE *f)
{
    fputs("usage: webota status [--json] [--password-file FILE] URL\n\n"
          "Shows what a webota device runs: chip, project, version, the running slot\n"
          "and its state, the slot the next update goes to, whether a rollback is\n"
          "possible and any update in progress (GET URL/api/status).\n\n"
          "  URL       the device, e.g. http://192.168.4.1 or http://127.0.0.1:8080/\n"
          "  --json    print the device's JSON answer as it is\n" CLI_DEVICE_OPTIONS_HELP "\n"
          "Asking is not quite without effect: a device whose confirm policy is\n"
          "first-request (the default of `webota sim` and of the ESP-IDF component)\n"
          "confirms a new firmware that is still on trial (pending_verify) when its\n"
          "page or its status is first requested, this request included: an answer\n"
          "proves that the new firmware's updater works. With the manual policy only\n"
          "`webota confirm URL` (or the page's Confirm button) confirms.\n\n"
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

static void summary(const cli_http_answer_t *a, const char *root)
{
    const char *b = a->body;
    size_t n = a->len;
    char s1[128], s2[64] = "", s3[64], s4[64];
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
    if (strcmp(s2, "pending_verify") == 0) {
        printf("%-10s on trial: keep it with `webota confirm %s`, or `webota rollback %s`;\n"
               "%-10s a reset before it is confirmed rolls it back\n",
               "", root, root, "");
    }

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
    cli_device_t dev = {0};
    for (int i = 1; i < argc; i++) {
        int rc;
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (cli_device_option(&dev, argc, argv, &i, &rc)) {
            if (rc >= 0) {
                return rc;
            }
        } else {
            rc = cli_other_arg("status", argv[i], &base, 1, usage);
            if (rc >= 0) {
                return rc;
            }
        }
    }
    if (base == NULL) {
        usage(stderr);
        return CLI_USAGE;
    }
    int ret = cli_device_ready(&dev, "status", base);
    if (ret >= 0) {
        cli_device_free(&dev);
        return ret;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cli_http_answer_t ans;
    ret = CLI_INVALID;
    if (cli_device_status(&dev, &ans)) {
        if (json) {
            cli_device_print_body(&ans);
        } else {
            summary(&ans, dev.root);
        }
        ret = CLI_OK;
    }
    cli_http_answer_free(&ans);
    curl_global_cleanup();
    cli_device_free(&dev);
    return ret;
}
