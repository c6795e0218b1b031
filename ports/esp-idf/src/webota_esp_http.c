/* The HTTP binding: esp_http_server requests turned into webota_api calls.
 * esp_http_server runs every handler in its one task, which is what
 * webota_api_t needs (one caller at a time). The upload is read in
 * buffer-sized chunks with httpd_req_recv and fed to the api as it arrives;
 * a receive timeout is retried a bounded number of times, anything else
 * abandons the update (the api aborts the session: nothing switched).
 *
 * Hardening (docs/security.md): the api refuses foreign Host headers (421;
 * with the captive portal a GET is redirected to the page instead), every
 * answer carries its Content-Security-Policy and X-Frame-Options, an upload
 * that is idle or too slow is cut (webota_api_tick at each receive timeout),
 * one address may hold at most max_per_client connections (open_fn), and the
 * least recently used connection gives way to a new one when all are taken,
 * which is what ends slow-header connections here (esp_http_server has no
 * header timeout). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_http_server.h"
#include "esp_log.h"
#include "lwip/sockets.h"

#include "webota_esp_internal.h"
#include "webota_url.h"

static const char *TAG = WEBOTA_ESP_TAG;

/* A request body left unread by an early answer (401, 403, 413, ...) is
 * drained when this small; a larger one closes the connection instead. */
#define DRAIN_SMALL_MAX 16384u

typedef struct http {
    webota_esp_http_cfg_t cfg;
    httpd_handle_t server;
    char prefix[WEBOTA_URL_PREFIX_MAX + 1];
    char pattern[WEBOTA_URL_PREFIX_MAX + 4]; /* "<prefix>/?*" */
    char home[WEBOTA_URL_PREFIX_MAX + 2];    /* "<prefix>/" */
    char location[80];  /* captive-portal redirect target */
    char *buf;          /* upload buffer, cfg.buffer_size bytes */
    /* httpd_req_t's uri[] size: the Kconfig option, which exists in every
     * ESP-IDF version (the HTTPD_MAX_URI_LEN macro is gone since v5.5) */
    char uri[CONFIG_HTTPD_MAX_URI_LEN + 1];
    char status_line[48];
    /* request headers, copied: they are gone once the answer is sent */
    char content_type[160];
    char content_encoding[32];
    char origin[128];
    char host[96];
    char authorization[192];
    char accept[128];
    char expect[32];
    char client[48];
    char transfer_encoding[32];
    char content_length[24];
    char upload_offset[24];
} http_t;

static http_t *s_http;

static const char *method_name(int m)
{
    switch (m) {
    case HTTP_GET:
        return "GET";
    case HTTP_POST:
        return "POST";
    case HTTP_PUT:
        return "PUT";
    case HTTP_DELETE:
        return "DELETE";
    case HTTP_PATCH:
        return "PATCH";
    default:
        return "OTHER";
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 507:
        return "Insufficient Storage";
    default:
        return "Status";
    }
}

/* Copies a request header; NULL when absent or longer than the buffer. */
static const char *header(httpd_req_t *r, const char *name, char *buf, size_t size)
{
    size_t n = httpd_req_get_hdr_value_len(r, name);
    if (n == 0 || n >= size) {
        if (n >= size) {
            ESP_LOGW(TAG, "%s header too long (%u bytes): ignored", name, (unsigned)n);
        }
        return NULL;
    }
    return httpd_req_get_hdr_value_str(r, name, buf, size) == ESP_OK ? buf : NULL;
}

static bool has_token(const char *value, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = value; p != NULL && *p != 0; p++) {
        if (strncasecmp(p, token, n) == 0) {
            return true;
        }
    }
    return false;
}

static esp_err_t send_answer(http_t *h, httpd_req_t *r, const webota_api_response_t *resp, bool close)
{
    snprintf(h->status_line, sizeof(h->status_line), "%d %s", resp->status, reason(resp->status));
    httpd_resp_set_status(r, h->status_line);
    httpd_resp_set_type(r, resp->content_type != NULL ? resp->content_type : "text/plain");
    if (resp->content_encoding != NULL) {
        httpd_resp_set_hdr(r, "Content-Encoding", resp->content_encoding);
    }
    if (resp->cache_control != NULL) {
        httpd_resp_set_hdr(r, "Cache-Control", resp->cache_control);
    }
    if (resp->www_authenticate != NULL) {
        httpd_resp_set_hdr(r, "WWW-Authenticate", resp->www_authenticate);
    }
    if (resp->upload_id != NULL) {
        httpd_resp_set_hdr(r, "Upload-Id", resp->upload_id);
    }
    if (resp->allow != NULL) {
        httpd_resp_set_hdr(r, "Allow", resp->allow);
    }
    if (resp->csp != NULL) {
        httpd_resp_set_hdr(r, "Content-Security-Policy", resp->csp);
    }
    if (resp->frame_options != NULL) {
        httpd_resp_set_hdr(r, "X-Frame-Options", resp->frame_options);
    }
    httpd_resp_set_hdr(r, "X-Content-Type-Options", "nosniff");
    char retry[12];
    if (resp->retry_after > 0) {
        snprintf(retry, sizeof(retry), "%u", resp->retry_after);
        httpd_resp_set_hdr(r, "Retry-After", retry);
    }
    if (close) {
        httpd_resp_set_hdr(r, "Connection", "close");
    }
    const char *body = resp->body != NULL ? (const char *)resp->body : "";
    esp_err_t e = httpd_resp_send(r, body, (ssize_t)resp->body_len);
    if (e != ESP_OK) {
        ESP_LOGW(TAG, "sending the answer failed: %s", esp_err_to_name(e));
    }
    return e;
}

static esp_err_t redirect(httpd_req_t *r, const char *status, const char *to)
{
    char body[sizeof(((http_t *)0)->location) + 32];
    snprintf(body, sizeof(body), "<a href=\"%s\">webota</a>", to);
    httpd_resp_set_status(r, status);
    httpd_resp_set_type(r, "text/html");
    httpd_resp_set_hdr(r, "Location", to);
    httpd_resp_set_hdr(r, "Cache-Control", "no-store");
    return httpd_resp_send(r, body, HTTPD_RESP_USE_STRLEN);
}

/* Captive portal: every GET that no handler takes (phones' connectivity
 * probes such as /generate_204 or /hotspot-detect.html, which lie outside a
 * URL prefix) is sent to the updater page. */
static esp_err_t not_found(httpd_req_t *r, httpd_err_code_t err)
{
    (void)err;
    http_t *h = s_http;
    if (h != NULL && h->location[0] != 0 && r->method == HTTP_GET) {
        return redirect(r, "302 Found", h->location);
    }
    return httpd_resp_send_404(r);
}

/* Reads and drops the rest of the body; false when the client stalls or leaves. */
static bool drain(http_t *h, httpd_req_t *r, size_t left)
{
    int timeouts = 0;
    while (left > 0) {
        int n = httpd_req_recv(r, h->buf, left < h->cfg.buffer_size ? left : h->cfg.buffer_size);
        if (n == HTTPD_SOCK_ERR_TIMEOUT && timeouts++ < h->cfg.recv_retries) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        timeouts = 0;
        left -= (size_t)n;
    }
    return true;
}

/* Streams the body into the api. Returns false when the client went away or
 * stalled (the caller aborts); *left = bytes not read when the api refused the
 * body early (a bad image), to be drained after the answer. */
static bool stream_body(http_t *h, httpd_req_t *r, webota_api_conn_t *conn, size_t *left)
{
    int timeouts = 0;
    int sockfd = httpd_req_to_sockfd(r);
    while (*left > 0) {
        size_t want = *left < h->cfg.buffer_size ? *left : h->cfg.buffer_size;
        int n = httpd_req_recv(r, h->buf, want);
        if (n == HTTPD_SOCK_ERR_TIMEOUT) {
            webota_esp_lock();
            webota_api_tick(h->cfg.api); /* idle or too slow: cut */
            webota_esp_unlock();
            if (webota_api_conn_cut(conn)) {
                ESP_LOGE(TAG, "upload too slow: abandoned");
                return false;
            }
            if (timeouts++ < h->cfg.recv_retries) {
                ESP_LOGW(TAG, "upload: receive timeout %d of %d", timeouts, h->cfg.recv_retries);
                continue;
            }
            ESP_LOGE(TAG, "upload stalled: abandoned after %d timeouts", timeouts);
            return false;
        }
        if (n <= 0) {
            ESP_LOGE(TAG, "upload: connection lost (%d) with %u bytes to go", n, (unsigned)*left);
            return false;
        }
        timeouts = 0;
        *left -= (size_t)n;
        /* Keep the uploading connection from being purged by new ones. */
        httpd_sess_update_lru_counter(h->server, sockfd);
        webota_esp_lock();
        bool more = webota_api_body(h->cfg.api, conn, h->buf, (size_t)n);
        bool cut = !more && webota_api_conn_cut(conn);
        webota_esp_unlock();
        if (!more) {
            return !cut; /* cut: close without an answer */
        }
    }
    return true;
}

/* The peer's address as text (failed logins are counted per address). */
static const char *peer_text(int fd, char *out, size_t size)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    out[0] = 0;
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&sa, &len) != 0) {
        return out;
    }
    if (sa.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, out, size);
    }
#ifdef CONFIG_LWIP_IPV6
    else if (sa.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, out, size);
    }
#endif
    return out;
}

/* A new connection: refused when its address already holds max_per_client. */
static esp_err_t on_open(httpd_handle_t hd, int sockfd)
{
    http_t *h = s_http;
    if (h == NULL || h->cfg.max_per_client == 0) {
        return ESP_OK;
    }
    char mine[48], other[48];
    peer_text(sockfd, mine, sizeof(mine));
    int fds[CONFIG_LWIP_MAX_SOCKETS];
    size_t n = sizeof(fds) / sizeof(fds[0]);
    if (mine[0] == 0 || httpd_get_client_list(hd, &n, fds) != ESP_OK) {
        return ESP_OK;
    }
    unsigned same = 0;
    for (size_t i = 0; i < n; i++) {
        if (fds[i] != sockfd && strcmp(peer_text(fds[i], other, sizeof(other)), mine) == 0) {
            same++;
        }
    }
    if (same >= h->cfg.max_per_client) {
        ESP_LOGW(TAG, "%s already holds %u connections: refused", mine, same);
        return ESP_FAIL; /* closes the new socket */
    }
    return ESP_OK;
}

static esp_err_t handle(httpd_req_t *r)
{
    http_t *h = r->user_ctx;
    webota_api_t *api = h->cfg.api;

    memcpy(h->uri, r->uri, sizeof(h->uri)); /* same size, NUL-terminated by the server */
    h->uri[sizeof(h->uri) - 1] = 0;
    const char *path = NULL;
    const char *query = NULL;
    switch (webota_url_split(h->uri, h->prefix, &path, &query)) {
    case WEBOTA_URL_API:
        break;
    case WEBOTA_URL_SLASH: /* "/ota" -> "/ota/": relative links resolve under the prefix */
        return redirect(r, "301 Moved Permanently", h->home);
    case WEBOTA_URL_OUTSIDE:
    default: /* not reached with the pattern registered here: "<prefix>/?*" lets in only
              * "<prefix>", "<prefix>/..." (any path for an empty prefix), so
              * "/otafoo" already got the server's 404; the split decides anyway */
        return not_found(r, HTTPD_404_NOT_FOUND);
    }

    webota_api_request_t req;
    memset(&req, 0, sizeof(req));
    req.method = method_name(r->method);
    req.path = path;
    req.query = query;
    req.content_type = header(r, "Content-Type", h->content_type, sizeof(h->content_type));
    req.content_encoding =
        header(r, "Content-Encoding", h->content_encoding, sizeof(h->content_encoding));
    req.origin = header(r, "Origin", h->origin, sizeof(h->origin));
    req.host = header(r, "Host", h->host, sizeof(h->host));
    req.authorization = header(r, "Authorization", h->authorization, sizeof(h->authorization));
    req.accept = header(r, "Accept", h->accept, sizeof(h->accept));
    req.expect = header(r, "Expect", h->expect, sizeof(h->expect));
    req.upload_offset = header(r, "Upload-Offset", h->upload_offset, sizeof(h->upload_offset));
    req.client = peer_text(httpd_req_to_sockfd(r), h->client, sizeof(h->client));
    /* esp_http_server does not decode chunked request bodies: the api answers
     * 411 to a body without Content-Length. */
    req.chunked = false;
    req.content_length = header(r, "Content-Length", h->content_length, sizeof(h->content_length)) != NULL
                             ? (int64_t)r->content_len
                             : -1;
    const char *te = header(r, "Transfer-Encoding", h->transfer_encoding, sizeof(h->transfer_encoding));
    if (te != NULL && has_token(te, "chunked")) {
        req.content_length = -1;
    }

    webota_api_conn_t conn;
    memset(&conn, 0, sizeof(conn));
    webota_api_response_t resp;
    memset(&resp, 0, sizeof(resp));
    size_t left = r->content_len;
    webota_esp_lock(); /* the pull task and the timers use the core too */
    webota_api_action_t action = webota_api_begin(api, &conn, &req, &resp);
    webota_esp_unlock();

    if (action == WEBOTA_API_READ_BODY) {
        /* only here: a refusal from the headers (busy, pending_verify, login,
         * size...) was answered above instead of "100 Continue" */
        if (req.expect != NULL && has_token(req.expect, "100-continue")) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            httpd_send(r, cont, sizeof(cont) - 1);
        }
        if (!stream_body(h, r, &conn, &left)) {
            webota_esp_lock();
            webota_api_abort(api, &conn);
            webota_esp_unlock();
            h->cfg.after_response(false); /* a resumable upload is held: its timer */
            return ESP_FAIL; /* closes the connection */
        }
        webota_esp_lock();
        webota_api_end(api, &conn, &resp);
        webota_esp_unlock();
        esp_err_t e = send_answer(h, r, &resp, false);
        h->cfg.after_response(resp.reboot);
        /* A refused image: the answer is out, read the rest so that the
         * connection closes cleanly and the client sees it. */
        if (left > 0 && !drain(h, r, left)) {
            return ESP_FAIL;
        }
        return e;
    }

    if ((resp.status == 404 || resp.status == 421) && h->cfg.captive_portal && r->method == HTTP_GET &&
        h->location[0] != 0) {
        /* Captive-portal probes (generate_204, hotspot-detect.html, ...; they
         * name other hosts: 421) and any other page: send the phone to the
         * updater. A redirect shows nothing and changes nothing. */
        return redirect(r, "302 Found", h->location);
    }
    bool close = left > DRAIN_SMALL_MAX;
    esp_err_t e = send_answer(h, r, &resp, close);
    h->cfg.after_response(resp.reboot);
    if (close) {
        return ESP_FAIL; /* do not read a large unwanted body: drop the connection */
    }
    if (left > 0 && !drain(h, r, left)) {
        return ESP_FAIL;
    }
    return e;
}

esp_err_t webota_esp_http_start(const webota_esp_http_cfg_t *cfg, void **out_handle)
{
    if (s_http != NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    size_t plen = cfg->prefix != NULL ? strlen(cfg->prefix) : 0;
    if (!webota_url_prefix_ok(cfg->prefix)) {
        ESP_LOGE(TAG, "URL prefix \"%s\": must start with '/', not end with '/', at most %u bytes",
                 cfg->prefix, (unsigned)WEBOTA_URL_PREFIX_MAX);
        return ESP_ERR_INVALID_ARG;
    }
    http_t *h = calloc(1, sizeof(*h));
    char *buf = malloc(cfg->buffer_size);
    if (h == NULL || buf == NULL) {
        free(h);
        free(buf);
        return ESP_ERR_NO_MEM;
    }
    h->cfg = *cfg;
    h->buf = buf;
    if (plen > 0) {
        memcpy(h->prefix, cfg->prefix, plen + 1);
    }
    snprintf(h->pattern, sizeof(h->pattern), "%s/?*", h->prefix);
    snprintf(h->home, sizeof(h->home), "%s/", h->prefix);
    uint8_t ip[4];
    if (cfg->captive_portal && webota_esp_wifi_ap_ip(ip)) {
        snprintf(h->location, sizeof(h->location), "http://%u.%u.%u.%u%s/", ip[0], ip[1], ip[2], ip[3],
                 h->prefix);
    }

    httpd_config_t hc = HTTPD_DEFAULT_CONFIG();
    hc.server_port = cfg->port;
    hc.stack_size = cfg->stack_size;
    hc.max_uri_handlers = 16; /* webota uses 5; the rest for the application */
    /* phones open many connections behind a captive portal; and a connection
     * still sending its headers is the least recently used one: it gives way */
    hc.lru_purge_enable = true;
    hc.open_fn = on_open;
    hc.uri_match_fn = httpd_uri_match_wildcard;
    esp_err_t e = httpd_start(&h->server, &hc);
    if (e != ESP_OK) {
        ESP_LOGE(TAG, "httpd_start(port %u): %s", (unsigned)cfg->port, esp_err_to_name(e));
        free(h->buf);
        free(h);
        return e;
    }
    static const httpd_method_t methods[] = {HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_PATCH};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        httpd_uri_t u;
        memset(&u, 0, sizeof(u));
        u.uri = h->pattern;
        u.method = methods[i];
        u.handler = handle;
        u.user_ctx = h;
        e = httpd_register_uri_handler(h->server, &u);
        if (e != ESP_OK) {
            ESP_LOGE(TAG, "httpd_register_uri_handler(%s %s): %s", method_name(methods[i]), h->pattern,
                     esp_err_to_name(e));
            httpd_stop(h->server);
            free(h->buf);
            free(h);
            return e;
        }
    }
    if (h->location[0] != 0) {
        e = httpd_register_err_handler(h->server, HTTPD_404_NOT_FOUND, not_found);
        if (e != ESP_OK) {
            ESP_LOGW(TAG, "captive portal: 404 redirect not installed: %s", esp_err_to_name(e));
        }
    }
    s_http = h;
    *out_handle = h->server;
    ESP_LOGI(TAG, "web server on port %u, page at %s/", (unsigned)cfg->port, h->prefix);
    return ESP_OK;
}

void webota_esp_http_stop(void)
{
    http_t *h = s_http;
    if (h == NULL) {
        return;
    }
    httpd_stop(h->server); /* waits for the server task: no handler runs after this */
    s_http = NULL;
    free(h->buf);
    free(h);
}
