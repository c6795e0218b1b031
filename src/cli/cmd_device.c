/* `webota confirm|rollback|reboot URL`: the page's three device buttons on
 * the command line (POST /api/confirm, /api/rollback, /api/reboot); rollback
 * and reboot wait until the device answers again and say what it runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/device.h"
#include "cli/json_get.h"
#include "cli/json_out.h"

typedef struct action {
    const char *name, *path;
    bool reboots; /* the device restarts after answering */
    const char *summary;
} action_t;

static const action_t ACTIONS[] = {
    {"confirm", "/api/confirm", false,
     "Marks the firmware the device runs as valid (it was on trial, pending_verify,\n"
     "since the update): it stays installed, and updates are accepted again.\n"},
    {"rollback", "/api/rollback", true,
     "Marks the running firmware invalid and reboots into the previous valid one,\n"
     "then waits until the device answers again and says what it runs.\n"},
    {"reboot", "/api/reboot", true,
     "Reboots the device, then waits until it answers again and says what it runs.\n"
     "A firmware still on trial (pending_verify) is rolled back by the bootloader.\n"},
};

static const action_t *current;

static void usage(FILE *f)
{
    fprintf(f, "usage: webota %s [--json]%s [--password-file FILE] URL\n\n%s\n", current->name,
            current->reboots ? " [--no-wait]" : "", current->summary);
    fputs("  URL       the device, e.g. http://192.168.4.1 or http://127.0.0.1:8080/\n", f);
    if (current->reboots) {
        fputs("  --json    print the result as JSON: {\"ok\",\"rebooting\",\"back\":{\"slot\",\n"
              "            \"project\",\"version\",\"state\"}} (back is null with --no-wait)\n",
              f);
        fprintf(f,
                "  --no-wait return once the device has accepted (it reboots by itself);\n"
                "            otherwise wait up to %d s for it to answer again\n",
                CLI_DEVICE_BACK_S);
    } else {
        fputs("  --json    print the device's JSON answer as it is (also on refusal)\n", f);
    }
    fputs(CLI_DEVICE_OPTIONS_HELP "\n"
          "exit status: 0 done, 1 refused (the device's reason is printed as\n"
          "'error: <code>: <message>' with what to do), unreachable or not back in\n"
          "time, 2 usage error\n",
          f);
}

static void json_back(webota_json_t *w, const cli_http_answer_t *back)
{
    webota_json_key(w, "back");
    if (back == NULL) {
        webota_json_null(w);
        return;
    }
    cli_running_t r;
    cli_device_running(back, &r);
    webota_json_obj_begin(w);
    cli_jkv_str(w, "slot", r.label);
    cli_jkv_str(w, "project", r.project);
    cli_jkv_str(w, "version", r.version);
    cli_jkv_str(w, "state", r.state);
    webota_json_obj_end(w);
}

static int run(const action_t *act, int argc, char **argv)
{
    current = act;
    bool json = false, wait = act->reboots;
    const char *base = NULL;
    cli_device_t dev = {0};
    for (int i = 1; i < argc; i++) {
        int rc;
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (act->reboots && strcmp(argv[i], "--no-wait") == 0) {
            wait = false;
        } else if (cli_device_option(&dev, argc, argv, &i, &rc)) {
            if (rc >= 0) {
                return rc;
            }
        } else {
            rc = cli_other_arg(act->name, argv[i], &base, 1, usage);
            if (rc >= 0) {
                return rc;
            }
        }
    }
    if (base == NULL) {
        usage(stderr);
        return CLI_USAGE;
    }
    int ret = cli_device_ready(&dev, act->name, base);
    if (ret >= 0) {
        cli_device_free(&dev);
        return ret;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ret = CLI_INVALID;
    cli_http_answer_t ans, back = {0};
    CURLcode rc;
    cli_dev_result_t res = cli_device_call(&dev, "POST", act->path, 30, &ans, &rc);
    bool ok = false;
    if (res == CLI_DEV_OK && !(cli_json_bool(ans.body, ans.len, "ok", &ok) && ok)) {
        res = CLI_DEV_FOREIGN;
    }
    if (res != CLI_DEV_OK) {
        if (json && res == CLI_DEV_REFUSED) {
            cli_device_print_body(&ans);
        }
        cli_device_report(&dev, act->path, res, rc, &ans);
    } else if (!act->reboots) {
        /* what is confirmed: asking now changes nothing, the firmware is valid */
        bool shown = cli_device_call(&dev, "GET", "/api/status", 10, &back, NULL) == CLI_DEV_OK;
        if (json) {
            cli_device_print_body(&ans);
        } else if (shown) {
            cli_running_t r;
            cli_device_running(&back, &r);
            printf("confirmed: %s %s in %s is %s and stays installed\n", r.project, r.version,
                   r.label, r.state);
        } else {
            printf("confirmed: the running firmware is valid and stays installed\n");
        }
        ret = CLI_OK;
    } else if (!wait) {
        if (json) {
            cli_json_out_t o;
            if (cli_json_out_init(&o)) {
                webota_json_obj_begin(&o.w);
                cli_jkv_bool(&o.w, "ok", true);
                cli_jkv_bool(&o.w, "rebooting", true);
                json_back(&o.w, NULL);
                webota_json_obj_end(&o.w);
            }
            ret = cli_json_out_print(&o, stdout) ? CLI_OK : CLI_INVALID;
        } else {
            printf("%s: the device is rebooting%s\n", act->name,
                   strcmp(act->name, "rollback") == 0 ? " into the previous firmware" : "");
            ret = CLI_OK;
        }
    } else if (!cli_device_wait_back(&dev, CLI_DEVICE_BACK_S, &back)) {
        cli_error(act->name,
                  "the device accepted, but did not answer within %d s after its reboot: check "
                  "it with `webota status %s`",
                  CLI_DEVICE_BACK_S, dev.root);
        if (json) {
            cli_json_out_t o;
            if (cli_json_out_init(&o)) {
                webota_json_obj_begin(&o.w);
                cli_jkv_bool(&o.w, "ok", false);
                cli_jkv_str(&o.w, "error", "not_back");
                cli_jkv_str(&o.w, "message", "the device did not answer after its reboot");
                webota_json_obj_end(&o.w);
            }
            cli_json_out_print(&o, stdout);
        }
    } else {
        cli_running_t r;
        cli_device_running(&back, &r);
        if (json) {
            cli_json_out_t o;
            if (cli_json_out_init(&o)) {
                webota_json_obj_begin(&o.w);
                cli_jkv_bool(&o.w, "ok", true);
                cli_jkv_bool(&o.w, "rebooting", true);
                json_back(&o.w, &back);
                webota_json_obj_end(&o.w);
            }
            ret = cli_json_out_print(&o, stdout) ? CLI_OK : CLI_INVALID;
        } else {
            printf("%s: the device is back: %s %s runs from %s (%s)\n", act->name, r.project,
                   r.version, r.label, r.state);
            ret = CLI_OK;
        }
    }
    cli_http_answer_free(&back);
    cli_http_answer_free(&ans);
    curl_global_cleanup();
    cli_device_free(&dev);
    return ret;
}

int cmd_confirm(int argc, char **argv)
{
    return run(&ACTIONS[0], argc, argv);
}

int cmd_rollback(int argc, char **argv)
{
    return run(&ACTIONS[1], argc, argv);
}

int cmd_reboot(int argc, char **argv)
{
    return run(&ACTIONS[2], argc, argv);
}
