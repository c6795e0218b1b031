#include "cli/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

char *cli_http_url(const char *cmd, const char *base, const char *path, const char *query)
{
    const char *scheme = "";
    if (base == NULL || *base == 0) {
        cli_error(cmd, "empty device URL");
        return NULL;
    }
    const char *sep = strstr(base, "://");
    if (sep == NULL) {
        scheme = "http://";
    } else if (!((sep - base == 4 && strncmp(base, "http", 4) == 0) ||
                 (sep - base == 5 && strncmp(base, "https", 5) == 0))) {
        cli_error(cmd, "'%s': only http:// and https:// device URLs are supported", base);
        return NULL;
    }
    const char *host = sep ? sep + 3 : base;
    size_t blen = strlen(base);
    while (blen > (size_t)(host - base) && base[blen - 1] == '/') {
        blen--;
    }
    if (blen == (size_t)(host - base)) {
        cli_error(cmd, "'%s': the URL has no host", base);
        return NULL;
    }
    if (memchr(host, '@', blen - (size_t)(host - base)) != NULL) {
        cli_error(cmd,
                  "'%s': leave the user and password out of the URL (the command line is visible "
                  "to other users): put the password in WEBOTA_PASSWORD or use --password-file",
                  base);
        return NULL;
    }
    if (memchr(host, '/', blen - (size_t)(host - base)) != NULL ||
        memchr(host, '?', blen - (size_t)(host - base)) != NULL) {
        cli_error(cmd, "'%s': give the device's address only (http://HOST[:PORT]), without a path",
                  base);
        return NULL;
    }
    size_t n = strlen(scheme) + blen + strlen(path) + (query ? strlen(query) + 1 : 0) + 1;
    char *url = malloc(n);
    if (url == NULL) {
        cli_error(cmd, "out of memory");
        return NULL;
    }
    snprintf(url, n, "%s%.*s%s%s%s", scheme, (int)blen, base, path, query ? "?" : "",
             query ? query : "");
    return url;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *user)
{
    cli_http_answer_t *ans = user;
    size_t n = size * nmemb;
    if (ans->len + n > CLI_HTTP_MAX_BODY) {
        ans->overflow = true;
        return 0; /* stops the transfer */
    }
    char *grown = realloc(ans->body, ans->len + n + 1);
    if (grown == NULL) {
        ans->overflow = true;
        return 0;
    }
    ans->body = grown;
    memcpy(ans->body + ans->len, data, n);
    ans->len += n;
    ans->body[ans->len] = 0;
    return n;
}

CURL *cli_http_open(const char *url, cli_http_answer_t *ans)
{
    memset(ans, 0, sizeof(*ans));
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        return NULL;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, ans);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, ans->curl_err);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    /* a device that stops answering for a minute is gone (it may verify for a while) */
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*"); /* devices are local: never through a proxy */
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "webota/" WEBOTA_VERSION_STRING);
    return curl;
}

bool cli_http_answered(CURL *curl, CURLcode rc, cli_http_answer_t *ans)
{
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    ans->status = status;
    if (ans->overflow) {
        return false;
    }
    /* an early final answer (the device refused the image while we were still
     * sending) may end the transfer with a send error: the answer counts */
    return status >= 200 && (rc == CURLE_OK || ans->len > 0);
}

void cli_http_report_failure(const char *cmd, const char *url, CURLcode rc,
                             const cli_http_answer_t *ans)
{
    if (ans->overflow) {
        cli_error(cmd, "%s: the answer is larger than %u KiB: is this a webota device?", url,
                  CLI_HTTP_MAX_BODY / 1024);
    } else if (rc == CURLE_OK) {
        cli_error(cmd, "%s: no HTTP answer", url);
    } else {
        cli_error(cmd, "cannot reach %s: %s", url,
                  ans->curl_err[0] ? ans->curl_err : curl_easy_strerror(rc));
    }
}

void cli_http_answer_free(cli_http_answer_t *ans)
{
    free(ans->body);
    ans->body = NULL;
    ans->len = 0;
}
