/* Talking to a webota device from the CLI (push, status, confirm, rollback,
 * reboot): the device's URL, its password (never from argv), one request at a
 * time, messages that name the fix, and waiting for the device to come back
 * after a reboot. */
#ifndef WEBOTA_CLI_DEVICE_H
#define WEBOTA_CLI_DEVICE_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/http_client.h"

/* How long push, rollback and reboot wait for the device to answer again
 * after it reboots (the page waits as long). */
#define CLI_DEVICE_BACK_S 120

struct cli_auth;

typedef struct cli_device {
    const char *cmd;           /* "push": the prefix of every message */
    const char *base;          /* the URL as given */
    char *root;                /* "http://host:port", malloc'd */
    char *password;            /* NULL when none; else points into auth (wiped once used) */
    struct cli_auth *auth;     /* the login state (cli/http_auth.h), malloc'd */
    const char *password_from; /* "WEBOTA_PASSWORD" or the file's path */
    const char *password_file; /* --password-file, NULL when not given */
} cli_device_t;

/* The options every device command takes, for its usage text. */
#define CLI_DEVICE_OPTIONS_HELP                                                                    \
    "  --password-file FILE  the device's password (first line of FILE); else the\n"              \
    "            environment variable WEBOTA_PASSWORD; never on the command line\n"

/* argv[*i] is --password-file FILE: consumes both (returns true, *i moves on;
 * *rc = CLI_USAGE with a message when FILE is missing). False: not one of the
 * device options. */
bool cli_device_option(cli_device_t *d, int argc, char **argv, int *i, int *rc);

/* After the arguments: checks base, reads the password (--password-file, else
 * WEBOTA_PASSWORD). Returns -1 when ready, else the exit status (message
 * printed). */
int cli_device_ready(cli_device_t *d, const char *cmd, const char *base);
void cli_device_free(cli_device_t *d);

/* "http://host:port" + path (+ "?" query): malloc'd. */
char *cli_device_url(const cli_device_t *d, const char *path, const char *query);

/* A curl handle for METHOD URL/path[?query] (see cli_http_open), with the
 * device's credentials: the one place where a request gets them. With a
 * password, a fresh login answer for method, path and query (a
 * challenge-response: the password never goes out, docs/security.md) is
 * appended to *headers (NULL or the caller's extra headers); the caller sets
 * CURLOPT_HTTPHEADER from it and frees it. NULL with a message on failure. */
CURL *cli_device_open(const cli_device_t *d, const char *method, const char *path,
                      const char *query, cli_http_answer_t *ans, struct curl_slist **headers);

typedef enum {
    CLI_DEV_OK,          /* 2xx with a JSON body */
    CLI_DEV_UNREACHABLE, /* no HTTP answer */
    CLI_DEV_REFUSED,     /* the device answered one of its JSON errors */
    CLI_DEV_FOREIGN,     /* an answer that is not webota's: not a webota device */
} cli_dev_result_t;

/* Judges a finished transfer of path (curl_easy_perform's rc). */
cli_dev_result_t cli_device_result(CURL *curl, CURLcode rc, cli_http_answer_t *ans);

/* Prints why: "cannot reach URL: ...", "error: CODE: MESSAGE" and the way
 * out for codes that have one (pending_verify, busy, unauthorized ...), or
 * "URL does not look like a webota device (HTTP 404 for /api/status)". */
void cli_device_report(const cli_device_t *d, const char *path, cli_dev_result_t res, CURLcode rc,
                       const cli_http_answer_t *ans);

/* One bodyless request (GET or POST) to path; ans is filled (free it). */
cli_dev_result_t cli_device_call(const cli_device_t *d, const char *method, const char *path,
                                 long timeout_s, cli_http_answer_t *ans, CURLcode *rc);

/* The device's status (GET /api/status), reported on failure: true when ok. */
bool cli_device_status(const cli_device_t *d, cli_http_answer_t *ans);

/* What a status answer says runs. Missing texts are "?". */
typedef struct cli_running {
    char label[32], project[64], version[64], state[32];
} cli_running_t;
void cli_device_running(const cli_http_answer_t *status, cli_running_t *out);

/* Polls GET /api/status (every half second, at most timeout_s) until the
 * device answers from after the reboot it announced: an answer whose
 * "rebooting" is false. True with that answer in ans. */
bool cli_device_wait_back(const cli_device_t *d, double timeout_s, cli_http_answer_t *ans);

/* Prints a device answer's body as it came, newline-terminated. */
void cli_device_print_body(const cli_http_answer_t *ans);

#endif
