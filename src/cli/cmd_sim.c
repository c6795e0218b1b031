/* `webota sim`: the device simulator (src/sim/device.c) on a flash file. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/sbv2_key.h"
#include "cli/secret.h"
#include "sim/device.h"
#include "webota/chip.h"
#include "webota/sigblock.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fputs("usage: webota sim [--flash FILE] [--bind ADDR] [--port N] [--chip CHIP]\n"
          "                  [--layout NAME|FILE.csv] [--rollback on|off]\n"
          "                  [--confirm first-request|delay:SECONDS|manual]\n"
          "                  [--watchdog SECONDS] [--password-file FILE]\n"
          "                  [--resume-hold SECONDS]\n"
          "                  [--trusted-key PUB.pem ...] [--anti-rollback on|off]\n"
          "                  [--refuse-older]\n"
          "                  [--pull URL [--pull-interval S] [--device-id ID]]\n\n"
          "A simulated ESP32 running the webota updater: a flash file with ESP-IDF's\n"
          "layout, ESP-IDF's bootloader choice, and the web page and HTTP API. Open the\n"
          "printed URL in a browser, upload a firmware, watch it boot.\n\n"
          "  --flash FILE     flash file (default ./webota-flash.bin). A missing file is\n"
          "                   created: 4 MiB, the layout, factory firmware webota-demo\n"
          "                   1.0.0, and two demo images next to it to upload\n"
          "  --bind ADDR      IPv4 address to listen on (default 127.0.0.1)\n"
          "  --port N         TCP port (default 8080; 0 = any free port, printed)\n"
          "  --chip CHIP      the chip it simulates (default esp32)\n"
          "  --layout L       partition table of a new flash: singleapp, two-ota\n"
          "                   (default), two-ota-large or a CSV file\n"
          "  --rollback on|off  bootloader app rollback (default on)\n"
          "  --confirm MODE   when a new firmware becomes valid: first-request (default:\n"
          "                   its first page or status request), delay:SECONDS, manual\n"
          "                   (POST /api/confirm)\n"
          "  --watchdog S     a firmware without the updater resets after S seconds\n"
          "                   (default 30)\n"
          "  --resume-hold S  a resumable upload whose connection dropped is held S seconds\n"
          "                   for its client to continue (default 60; 0 = abort at once)\n"
          "  --password-file F  require a password (its first line; or a verifier made\n"
          "                   by `webota passwd`); without it, $WEBOTA_PASSWORD is used.\n"
          "                   Logins are a challenge-response: the password never\n"
          "                   crosses the network. None of both: no password\n"
          "  --trusted-key F  install only images signed (Secure Boot V2, webota image\n"
          "                   sign or espsecure sign_data --version 2) by this key: a PEM\n"
          "                   public (or private) RSA-3072, P-256 or P-384 key; repeat for\n"
          "                   up to 8 keys. Without it unsigned images are accepted\n"
          "  --anti-rollback on|off  bootloader anti-rollback (default off): an emulated\n"
          "                   eFuse secure version, kept in FLASH.efuse, raised when a\n"
          "                   confirmed firmware has a higher secure_version; images\n"
          "                   below it are refused and never booted\n"
          "  --refuse-older   refuse an image whose app version is older than the\n"
          "                   running one (older_version, 422); versions that are not\n"
          "                   dotted numbers are accepted\n"
          "  --pull URL       poll a release manifest (webota release publish) and install\n"
          "                   what it allows: signed by a --trusted-key (required), this\n"
          "                   project and chip, newer, in the rollout (docs/fleet.md)\n"
          "  --pull-interval S  seconds between manifest polls (default 60, +-10 %% jitter)\n"
          "  --device-id ID   the id rollouts are drawn from (default: the flash file name)\n\n"
          "It prints 'webota sim: listening on http://ADDR:PORT/' each time the web server\n"
          "(re)starts. Ctrl-C stops it.\n",
          f);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    if (s == NULL || *s == '\0' || *s == '-') {
        return false;
    }
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

int cmd_sim(int argc, char **argv)
{
    sim_device_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    enum { MAX_TRUSTED = 8 };
    static webota_sig_key_t trusted[MAX_TRUSTED];
    static webota_sig_config_t sig;
    memset(&sig, 0, sizeof(sig));
    cfg.flash_path = "webota-flash.bin";
    cfg.chip = WEBOTA_CHIP_ESP32;
    cfg.rollback = true;
    cfg.confirm = SIM_CONFIRM_FIRST_REQUEST;
    cfg.watchdog_s = 30;
    cfg.port = 8080;
    cfg.bind = "127.0.0.1";
    cfg.pull_interval_ms = 60000;
    const char *password_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n = 0;
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(a, "--refuse-older") == 0) {
            cfg.refuse_older = true;
            continue;
        }
        if (v == NULL) {
            cli_error("sim", "%s: missing value (or unknown option)", a);
            usage(stderr);
            return CLI_USAGE;
        }
        i++;
        if (strcmp(a, "--flash") == 0) {
            cfg.flash_path = v;
        } else if (strcmp(a, "--bind") == 0) {
            cfg.bind = v;
        } else if (strcmp(a, "--port") == 0) {
            if (!parse_uint(v, 65535, &n)) {
                cli_error("sim", "--port %s: want 0..65535", v);
                return CLI_USAGE;
            }
            cfg.port = (uint16_t)n;
        } else if (strcmp(a, "--chip") == 0) {
            const webota_chip_info_t *ci = cli_chip(v);
            if (ci == NULL) {
                cli_error("sim", "--chip %s: unknown or unsupported chip (e.g. esp32, esp32c3, esp32s3)", v);
                return CLI_USAGE;
            }
            cfg.chip = (int)ci->chip;
        } else if (strcmp(a, "--layout") == 0) {
            cfg.layout = v;
        } else if (strcmp(a, "--rollback") == 0) {
            if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
                cli_error("sim", "--rollback %s: want on or off", v);
                return CLI_USAGE;
            }
            cfg.rollback = strcmp(v, "on") == 0;
        } else if (strcmp(a, "--confirm") == 0) {
            if (strcmp(v, "first-request") == 0) {
                cfg.confirm = SIM_CONFIRM_FIRST_REQUEST;
            } else if (strcmp(v, "manual") == 0) {
                cfg.confirm = SIM_CONFIRM_MANUAL;
            } else if (strncmp(v, "delay:", 6) == 0 && parse_uint(v + 6, 86400, &n)) {
                cfg.confirm = SIM_CONFIRM_DELAY;
                cfg.confirm_delay_s = (unsigned)n;
            } else {
                cli_error("sim", "--confirm %s: want first-request, delay:SECONDS or manual", v);
                return CLI_USAGE;
            }
        } else if (strcmp(a, "--resume-hold") == 0) {
            if (!parse_uint(v, 3600, &n)) {
                cli_error("sim", "--resume-hold %s: want 0..3600 seconds", v);
                return CLI_USAGE;
            }
            cfg.resume_hold_s = (unsigned)n;
            cfg.no_resume = n == 0; /* the option's 0 says "do not hold" */
        } else if (strcmp(a, "--watchdog") == 0) {
            if (!parse_uint(v, 86400, &n) || n == 0) {
                cli_error("sim", "--watchdog %s: want 1..86400 seconds", v);
                return CLI_USAGE;
            }
            cfg.watchdog_s = (unsigned)n;
        } else if (strcmp(a, "--password-file") == 0) {
            password_file = v;
        } else if (strcmp(a, "--password") == 0) {
            cli_secret_wipe(argv[i], strlen(argv[i]));
            cli_error("sim", "--password is not accepted: every user of this machine could read "
                             "it with ps. Use --password-file FILE or $" CLI_PASSWORD_ENV);
            return CLI_USAGE;
        } else if (strcmp(a, "--pull") == 0) {
            cfg.pull_url = v;
        } else if (strcmp(a, "--device-id") == 0) {
            cfg.device_id = v;
        } else if (strcmp(a, "--pull-interval") == 0) {
            char *end = NULL;
            double s = strtod(v, &end);
            if (*v == '\0' || *end != '\0' || !(s >= 0.1) || s > 86400) {
                cli_error("sim", "--pull-interval %s: want 0.1..86400 seconds", v);
                return CLI_USAGE;
            }
            cfg.pull_interval_ms = (uint32_t)(s * 1000.0 + 0.5);
        } else if (strcmp(a, "--anti-rollback") == 0) {
            if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
                cli_error("sim", "--anti-rollback %s: want on or off", v);
                return CLI_USAGE;
            }
            cfg.anti_rollback = strcmp(v, "on") == 0;
        } else if (strcmp(a, "--trusted-key") == 0) {
            if (sig.key_count == MAX_TRUSTED) {
                cli_error("sim", "at most %d --trusted-key", MAX_TRUSTED);
                return CLI_USAGE;
            }
            cli_sbv2_key_t k;
            if (!cli_sbv2_key_load("sim", v, false, &k)) {
                return CLI_USAGE;
            }
            trusted[sig.key_count++] = k.trusted;
            cli_sbv2_key_free(&k);
        } else {
            cli_error("sim", "unknown option %s", a);
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (cfg.pull_url != NULL && sig.key_count == 0) {
        cli_error("sim", "--pull needs at least one --trusted-key: a device never installs an unsigned "
                         "release");
        return CLI_USAGE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char secret[CLI_PASSWORD_MAX];
    bool have = false;
    if (!cli_secret_read("sim", password_file, secret, &have)) {
        return CLI_USAGE;
    }
    static webota_auth_verifier_t verifier;
    if (have) {
        bool ok = cli_secret_verifier("sim", secret, &verifier);
        cli_secret_wipe(secret, sizeof(secret));
        if (!ok) {
            return CLI_USAGE;
        }
        cfg.auth = &verifier;
        printf("webota sim: password required (challenge-response, PBKDF2-HMAC-SHA-256 with %u "
               "iterations; the password itself is not kept)\n",
               (unsigned)verifier.iterations);
    }
    if (sig.key_count > 0) {
        sig.keys = trusted;
        cfg.signature = &sig;
        printf("webota sim: installs only images signed by one of these keys:\n");
        for (size_t i = 0; i < sig.key_count; i++) {
            printf("  %s ", webota_sig_scheme_name((webota_sig_scheme_t)trusted[i].scheme));
            cli_hex(stdout, trusted[i].digest, WEBOTA_SIG_KEY_DIGEST_LEN);
            putchar('\n');
        }
        fflush(stdout);
    }
    char err[512];
    sim_device_t *d = sim_device_open(&cfg, err, sizeof(err));
    if (d == NULL) {
        cli_error("sim", "%s", err);
        return CLI_INVALID;
    }
    int r = sim_device_run(d, &stop_requested);
    sim_device_close(d);
    return r == 0 ? CLI_OK : CLI_INVALID;
}
