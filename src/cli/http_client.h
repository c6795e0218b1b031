/* libcurl plumbing of the device commands (src/cli/device.c): device URLs,
 * answers collected in memory, connection failures reported. */
#ifndef WEBOTA_CLI_HTTP_CLIENT_H
#define WEBOTA_CLI_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

/* Answers larger than this are cut off and reported as an error (the device's are tiny). */
#define CLI_HTTP_MAX_BODY (256u * 1024u)

typedef struct cli_http_answer {
    long status; /* HTTP status, 0 when none arrived */
    char *body;  /* malloc'd, NUL-terminated */
    size_t len;
    bool overflow; /* more than CLI_HTTP_MAX_BODY bytes arrived */
    char curl_err[CURL_ERROR_SIZE];
} cli_http_answer_t;

/* base ("http://host:port" or "http://host:port/", a scheme is added when
 * missing) + path ("/api/status") + query (may be NULL). malloc'd; NULL with a
 * message on stderr when base is empty, not http(s), or carries a path. */
char *cli_http_url(const char *cmd, const char *base, const char *path, const char *query);

/* A curl handle set up for url: answer collected into ans, timeouts, never
 * through a proxy (a device is on the local network or its own SoftAP). */
CURL *cli_http_open(const char *url, cli_http_answer_t *ans);

/* After curl_easy_perform: true when an HTTP answer arrived (even when the
 * transfer itself then failed, e.g. the device closed the connection after
 * refusing an upload early). Fills ans->status. */
bool cli_http_answered(CURL *curl, CURLcode rc, cli_http_answer_t *ans);

/* Prints why no answer arrived: "webota <cmd>: cannot reach <url>: <reason>". */
void cli_http_report_failure(const char *cmd, const char *url, CURLcode rc,
                             const cli_http_answer_t *ans);

void cli_http_answer_free(cli_http_answer_t *ans);

#endif
