/* `webota fleet sim|status`: many simulated devices pulling releases, and
 * what a set of devices runs (docs/fleet.md). */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/device.h"
#include "cli/http_client.h"
#include "cli/json_get.h"
#include "sim/bootloader.h"
#include "sim/fleet.h"
#include "sim/nor_flash.h"
#include "webota/ota_state.h"
#include "webota/pull.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fputs("usage: webota fleet sim --dir DIR --devices N --pull URL --trusted-key KEY.pem\n"
          "                        [--pull-interval S] [--retry S] [--confirm-delay S]\n"
          "                        [--chip CHIP] [--until-settled] [--timeout S] [--verbose]\n"
          "       webota fleet status DIR-or-URL...\n\n"
          "  sim     N simulated devices in one process, each with its own flash file\n"
          "          (DIR/dev-NNN.bin, 1 MiB, created from a factory webota-demo 1.0.0),\n"
          "          bootloader, update engine and puller, on its own thread. They poll\n"
          "          the manifest at URL and install what it allows (docs/fleet.md).\n"
          "          No web server: a new firmware is confirmed after --confirm-delay\n"
          "          (default 1 s); one that crashes before rolls back.\n"
          "          --until-settled returns once every device has judged the manifest\n"
          "          and is idle; prints one line per device and a summary; exit 0 when\n"
          "          no device failed (a refusal by policy is not a failure).\n"
          "  status  what each device runs: for a DIR, every dev-*.bin flash file in it\n"
          "          (booted read-only in memory) and its pull record; for a URL, the\n"
          "          device's /api/status\n",
          f);
}

static bool parse_secs(const char *s, double max, uint32_t *ms)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || !(v >= 0.0) || v > max) {
        return false;
    }
    *ms = (uint32_t)(v * 1000.0 + 0.5);
    return true;
}


static int fleet_sim(int argc, char **argv)
{
    const char *cmd = "fleet sim";
    sim_fleet_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.chip = WEBOTA_CHIP_ESP32;
    cfg.interval_ms = 2000;
    cfg.confirm_ms = 1000;
    cfg.out = stdout;
    webota_sig_key_t keys[8];
    webota_sig_config_t trust = {keys, 0, 0, false};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(a, "--until-settled") == 0) {
            cfg.until_settled = true;
            continue;
        }
        if (strcmp(a, "--verbose") == 0) {
            cfg.verbose = true;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            cli_error(cmd, "%s: missing value (or unknown option)", a);
            return CLI_USAGE;
        }
        i++;
        uint32_t ms = 0;
        if (strcmp(a, "--dir") == 0) {
            cfg.dir = v;
        } else if (strcmp(a, "--pull") == 0) {
            cfg.url = v;
        } else if (strcmp(a, "--devices") == 0) {
            char *end = NULL;
            unsigned long n = strtoul(v, &end, 10);
            if (*v == '\0' || *end != '\0' || n == 0 || n > 1000) {
                cli_error(cmd, "--devices %s: want 1..1000", v);
                return CLI_USAGE;
            }
            cfg.devices = (unsigned)n;
        } else if (strcmp(a, "--pull-interval") == 0 && parse_secs(v, 86400, &ms) && ms >= 100) {
            cfg.interval_ms = ms;
        } else if (strcmp(a, "--retry") == 0 && parse_secs(v, 86400, &ms) && ms >= 10) {
            cfg.retry_ms = ms;
        } else if (strcmp(a, "--confirm-delay") == 0 && parse_secs(v, 86400, &ms)) {
            cfg.confirm_ms = ms;
        } else if (strcmp(a, "--timeout") == 0 && parse_secs(v, 86400, &ms)) {
            cfg.timeout_s = (ms + 999) / 1000;
        } else if (strcmp(a, "--chip") == 0) {
            const webota_chip_info_t *ci = cli_chip(v);
            if (ci == NULL) {
                cli_error(cmd, "--chip %s: unknown or unsupported chip", v);
                return CLI_USAGE;
            }
            cfg.chip = (int)ci->chip;
        } else if (strcmp(a, "--trusted-key") == 0) {
            if (trust.key_count >= sizeof(keys) / sizeof(keys[0])) {
                cli_error(cmd, "at most 8 --trusted-key");
                return CLI_USAGE;
            }
            if (!cli_trusted_key(cmd, v, &keys[trust.key_count])) {
                return CLI_INVALID;
            }
            trust.key_count++;
        } else {
            cli_error(cmd, "%s %s: unknown option or bad value", a, v);
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (cfg.dir == NULL || cfg.url == NULL || cfg.devices == 0 || trust.key_count == 0) {
        cli_error(cmd, "--dir, --devices, --pull and --trusted-key are required");
        usage(stderr);
        return CLI_USAGE;
    }
    cfg.trust = &trust;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int r = sim_fleet_run(&cfg, &stop_requested);
    curl_global_cleanup();
    return r == 0 ? CLI_OK : CLI_INVALID;
}

/* One flash file, booted in a RAM copy so that nothing on disk changes. */
static bool status_flash(const char *path, const char *label, char *version, size_t vcap)
{
    size_t len = 0;
    uint8_t *data = cli_read_file(path, &len);
    if (data == NULL) {
        return false;
    }
    sim_nor_t *n = sim_nor_new_ram((uint32_t)len);
    if (n == NULL) {
        cli_error("fleet status", "%s: not a flash file (64 KiB..16 MiB, a power of two)", path);
        free(data);
        return false;
    }
    webota_flash_t fl = sim_nor_flash(n);
    bool ok = fl.program(fl.ctx, 0, data, len) == WEBOTA_OK;
    free(data);
    sim_boot_config_t bc;
    sim_boot_config_init(&bc);
    bc.rollback = true;
    bc.chip = -1;
    static sim_boot_result_t br;
    webota_err_t e = ok ? sim_boot(&fl, &bc, &br) : WEBOTA_ERR_IO;
    sim_nor_close(n);
    if (e != WEBOTA_OK) {
        printf("%s: nothing bootable (%s)\n", label, webota_strerror(e));
        snprintf(version, vcap, "none");
        return true;
    }
    printf("%s: %s %s from %s (%s)", label, br.desc.project_name, br.desc.version, br.part.label,
           webota_ota_state_name(br.state));
    snprintf(version, vcap, "%s", br.desc.version);
    /* the pull record next to it */
    char rpath[4400];
    snprintf(rpath, sizeof(rpath), "%s.pull", path);
    size_t rl = 0;
    FILE *f = fopen(rpath, "rb");
    if (f != NULL) {
        fclose(f);
        uint8_t *rb = cli_read_file(rpath, &rl);
        webota_pull_record_t rec;
        if (rb != NULL && webota_pull_record_decode(rb, rl, &rec) == WEBOTA_OK) {
            if (rec.attempting) {
                printf(", installing %s", rec.attempt_version);
            }
            for (unsigned i = 0; i < rec.blocked_count; i++) {
                printf("%s%s", i == 0 ? ", never retries " : " ", rec.blocked_version[i]);
            }
        }
        free(rb);
    }
    printf("\n");
    return true;
}

static bool status_url(const char *url, char *version, size_t vcap)
{
    cli_device_t dev;
    memset(&dev, 0, sizeof(dev));
    if (cli_device_ready(&dev, "fleet status", url) >= 0) {
        cli_device_free(&dev);
        return false;
    }
    cli_http_answer_t ans;
    memset(&ans, 0, sizeof(ans));
    bool ok = cli_device_status(&dev, &ans);
    if (ok) {
        char project[64] = "?", ver[64] = "?", state[32] = "?", pstate[32] = "", verdict[64] = "",
             message[WEBOTA_UPDATE_MESSAGE_MAX] = "";
        cli_json_text(ans.body, ans.len, "project", project, sizeof(project));
        cli_json_text(ans.body, ans.len, "version", ver, sizeof(ver));
        cli_json_text(ans.body, ans.len, "running.state", state, sizeof(state));
        bool pull = cli_json_text(ans.body, ans.len, "pull.state", pstate, sizeof(pstate));
        cli_json_text(ans.body, ans.len, "pull.verdict", verdict, sizeof(verdict));
        cli_json_text(ans.body, ans.len, "pull.message", message, sizeof(message));
        printf("%s: %s %s (%s)", url, project, ver, state);
        if (pull) {
            printf(", pull %s, verdict %s: %s", pstate, verdict, message);
        }
        printf("\n");
        snprintf(version, vcap, "%s", ver);
    }
    cli_http_answer_free(&ans);
    cli_device_free(&dev);
    return ok;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* version -> count, for the summary line */
typedef struct {
    char v[64];
    unsigned n;
} tally_t;

static void count(tally_t *t, size_t *nt, size_t cap, const char *v)
{
    for (size_t i = 0; i < *nt; i++) {
        if (strcmp(t[i].v, v) == 0) {
            t[i].n++;
            return;
        }
    }
    if (*nt < cap) {
        snprintf(t[*nt].v, sizeof(t[*nt].v), "%s", v);
        t[(*nt)++].n = 1;
    }
}

static int fleet_status(int argc, char **argv)
{
    if (argc < 3) {
        usage(stderr);
        return CLI_USAGE;
    }
    tally_t tally[32];
    size_t nt = 0;
    unsigned devices = 0;
    int rc = CLI_OK;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        char version[64];
        struct stat st;
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        }
        if (strstr(a, "://") == NULL && stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *dir = opendir(a);
            if (dir == NULL) {
                cli_error("fleet status", "cannot read %s", a);
                rc = CLI_INVALID;
                continue;
            }
            char **names = NULL;
            size_t nn = 0;
            struct dirent *de;
            while ((de = readdir(dir)) != NULL) {
                size_t l = strlen(de->d_name);
                if (strncmp(de->d_name, "dev-", 4) == 0 && l > 4 && strcmp(de->d_name + l - 4, ".bin") == 0) {
                    char **g = realloc(names, (nn + 1) * sizeof(*names));
                    if (g == NULL) {
                        break;
                    }
                    names = g;
                    names[nn++] = strdup(de->d_name);
                }
            }
            closedir(dir);
            qsort(names, nn, sizeof(*names), name_cmp);
            for (size_t k = 0; k < nn; k++) {
                char path[4200], label[300];
                snprintf(path, sizeof(path), "%s/%s", a, names[k]);
                snprintf(label, sizeof(label), "%.*s", (int)(strlen(names[k]) - 4), names[k]);
                if (names[k] != NULL && status_flash(path, label, version, sizeof(version))) {
                    devices++;
                    count(tally, &nt, 32, version);
                } else {
                    rc = CLI_INVALID;
                }
                free(names[k]);
            }
            free(names);
        } else if (status_url(a, version, sizeof(version))) {
            devices++;
            count(tally, &nt, 32, version);
        } else {
            rc = CLI_INVALID;
        }
    }
    curl_global_cleanup();
    printf("fleet: %u devices:", devices);
    for (size_t i = 0; i < nt; i++) {
        printf(" %s=%u", tally[i].v, tally[i].n);
    }
    printf("\n");
    return rc;
}

int cmd_fleet(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "sim") == 0) {
        return fleet_sim(argc, argv);
    }
    if (strcmp(argv[1], "status") == 0) {
        return fleet_status(argc, argv);
    }
    cli_error("fleet", "unknown subcommand '%s'", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
