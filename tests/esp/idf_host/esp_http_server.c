/* esp_http_server stand-in (tests only): no task and no socket. The server
 * keeps ESP-IDF v5.5's handler table and URI matching; a test issues each
 * request with idf_host_http(), which does what the server task does for one
 * request on one connection: finds the handler (404/405 through the error
 * handlers otherwise), calls it, then reads and drops the body it left unread
 * (closing the connection when that fails), or closes the connection when the
 * handler returned an error. The "socket" delivers the test's body in the
 * pieces, timeouts and close it asked for, and records every byte sent.
 *
 * Not reproduced: parsing of the request bytes (the test gives method, URI
 * and headers; a Transfer-Encoding: chunked request gets 400 before any
 * handler, as esp_http_server's parser stops there), several connections,
 * keep-alive, LRU purging (only its counter calls are checked), WebSocket,
 * async handlers, the control socket, send timeouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_http_server.h"
#include "esp_log.h"
#include "idf_host_internal.h"

static const char *TAG = "httpd";

#define SOCKFD 54 /* the one connection's descriptor */
#define OUT_MAX (IDF_HOST_HTTP_BODY_MAX + 8192)

typedef struct server {
    httpd_config_t cfg;
    httpd_uri_t **calls; /* cfg.max_uri_handlers slots, filled from the start */
    httpd_err_handler_func_t err_fns[HTTPD_ERR_CODE_MAX];
} server_t;

typedef struct hdr {
    const char *field, *value;
} hdr_t;

/* One request in progress (httpd_req_aux in ESP-IDF). */
typedef struct request {
    httpd_req_t req;
    const idf_host_http_req_t *in;
    idf_host_http_resp_t *out;
    bool active;           /* inside the request: the req pointer is valid */
    bool req_hdrs_gone;    /* a response was sent: request headers no longer readable */
    size_t remaining_len;  /* body bytes not yet received */
    size_t delivered;      /* body bytes the client has delivered */
    unsigned chunk_i;
    unsigned timeouts_done[IDF_HOST_HTTP_MAX_RECV_PLAN];
    bool peer_closed;      /* a receive saw the client's close */
    const char *status;
    const char *content_type;
    hdr_t resp_hdrs[32];
    unsigned resp_hdrs_count;
    char sent[OUT_MAX]; /* every byte sent on the connection */
    size_t sent_len;
} request_t;

static server_t *s_server;
static request_t *s_cur;

static void free_server(server_t *s)
{
    for (unsigned i = 0; i < s->cfg.max_uri_handlers; i++) {
        if (s->calls[i] != NULL) {
            free((void *)s->calls[i]->uri);
            free(s->calls[i]);
        }
    }
    free(s->calls);
    free(s);
}

void idf_host_httpd_reset(void)
{
    if (s_server != NULL) {
        free_server(s_server);
        s_server = NULL;
    }
    s_cur = NULL;
}

/* ESP-IDF: httpd_start allocates the server and its handler table (the host
 * has one server: a second one would fail to bind its port, ESP_FAIL). */
esp_err_t httpd_start(httpd_handle_t *handle, const httpd_config_t *config)
{
    if (handle == NULL || config == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (s_server != NULL) {
        ESP_LOGE(TAG, "port in use");
        return ESP_FAIL;
    }
    server_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return ESP_ERR_HTTPD_ALLOC_MEM;
    }
    s->cfg = *config;
    s->calls = calloc(config->max_uri_handlers > 0 ? config->max_uri_handlers : 1, sizeof(*s->calls));
    if (s->calls == NULL) {
        free(s);
        return ESP_ERR_HTTPD_ALLOC_MEM;
    }
    s_server = s;
    *handle = s;
    ESP_LOGI(TAG, "started on port %u", (unsigned)config->server_port);
    return ESP_OK;
}

/* ESP-IDF: httpd_stop frees the server and its handlers. */
esp_err_t httpd_stop(httpd_handle_t handle)
{
    if (handle == NULL || handle != s_server) {
        return ESP_ERR_INVALID_ARG;
    }
    free_server(s_server);
    s_server = NULL;
    return ESP_OK;
}

/* ESP-IDF: the default matcher compares the whole path. */
static bool match_simple(const char *tpl, const char *uri, size_t len)
{
    return strlen(tpl) == len && strncmp(tpl, uri, len) == 0;
}

/* ESP-IDF: httpd_uri_match_wildcard. A template may end with '*' (anything
 * may follow), '?' (the character before it is optional), or both ("/a/?*":
 * "/a", "/a/" and "/a/..." match); otherwise the path must equal it. uri is
 * compared over len bytes (the path, without the query). */
bool httpd_uri_match_wildcard(const char *uri_template, const char *uri_to_match, size_t match_upto)
{
    size_t tl = strlen(uri_template);
    char c1 = tl > 0 ? uri_template[tl - 1] : 0;
    char c2 = tl > 1 ? uri_template[tl - 2] : 0;
    bool star = c1 == '*' || (c2 == '*' && c1 == '?');
    bool optional = c1 == '?' || (c2 == '?' && c1 == '*');
    size_t special = (size_t)star + 2u * (size_t)optional; /* the '?' and the character it makes optional */
    if (tl < special) {
        return false;
    }
    size_t fixed = tl - special; /* characters that must match */
    if (match_upto < fixed || strncmp(uri_template, uri_to_match, fixed) != 0) {
        return false;
    }
    if (!optional) {
        return star || match_upto == fixed;
    }
    if (match_upto > fixed && uri_to_match[fixed] != uri_template[fixed]) {
        return false; /* the optional character is there but different */
    }
    return star || match_upto <= fixed + 1;
}

/* ESP-IDF: the first handler whose URI matches and whose method is the
 * request's (or HTTP_ANY); *err 404 when no URI matched, 405 when one did
 * with another method. */
static httpd_uri_t *find_handler(server_t *s, const char *uri, size_t len, int method, httpd_err_code_t *err)
{
    *err = HTTPD_404_NOT_FOUND;
    for (unsigned i = 0; i < s->cfg.max_uri_handlers && s->calls[i] != NULL; i++) {
        httpd_uri_t *h = s->calls[i];
        bool match = s->cfg.uri_match_fn != NULL ? s->cfg.uri_match_fn(h->uri, uri, len) : match_simple(h->uri, uri, len);
        if (!match) {
            continue;
        }
        if ((int)h->method == method || h->method == HTTP_ANY) {
            *err = HTTPD_500_INTERNAL_SERVER_ERROR; /* unused */
            return h;
        }
        *err = HTTPD_405_METHOD_NOT_ALLOWED;
    }
    return NULL;
}

/* ESP-IDF: httpd_register_uri_handler refuses a URI and method an existing
 * handler already takes (HANDLER_EXISTS: the new URI string is matched
 * against the registered templates) and a full table (HANDLERS_FULL); the
 * URI string is copied. */
esp_err_t httpd_register_uri_handler(httpd_handle_t handle, const httpd_uri_t *uri_handler)
{
    if (handle == NULL || uri_handler == NULL || uri_handler->uri == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    server_t *s = handle;
    httpd_err_code_t err;
    if (find_handler(s, uri_handler->uri, strlen(uri_handler->uri), (int)uri_handler->method, &err) != NULL) {
        ESP_LOGW(TAG, "handler %s with method %d already registered", uri_handler->uri, (int)uri_handler->method);
        return ESP_ERR_HTTPD_HANDLER_EXISTS;
    }
    for (unsigned i = 0; i < s->cfg.max_uri_handlers; i++) {
        if (s->calls[i] == NULL) {
            httpd_uri_t *h = malloc(sizeof(*h));
            char *u = strdup(uri_handler->uri);
            if (h == NULL || u == NULL) {
                free(h);
                free(u);
                return ESP_ERR_HTTPD_ALLOC_MEM;
            }
            *h = *uri_handler;
            h->uri = u;
            s->calls[i] = h;
            return ESP_OK;
        }
    }
    return ESP_ERR_HTTPD_HANDLERS_FULL;
}

/* ESP-IDF: httpd_register_err_handler (INVALID_ARG for an unknown code). */
esp_err_t httpd_register_err_handler(httpd_handle_t handle, httpd_err_code_t error,
                                     httpd_err_handler_func_t handler_fn)
{
    if (handle == NULL || error >= HTTPD_ERR_CODE_MAX) {
        return ESP_ERR_INVALID_ARG;
    }
    ((server_t *)handle)->err_fns[error] = handler_fn;
    return ESP_OK;
}

/* ESP-IDF: request APIs work only on the request being handled. */
static request_t *valid(httpd_req_t *r)
{
    return r != NULL && s_cur != NULL && s_cur->active && r == &s_cur->req ? s_cur : NULL;
}

/* ---- the connection ---- */

/* The socket's send: false once the client has gone. */
static bool sock_send(request_t *q, const char *buf, size_t len)
{
    if (q->peer_closed) {
        return false;
    }
    size_t room = sizeof(q->sent) - q->sent_len;
    size_t n = len < room ? len : room;
    memcpy(q->sent + q->sent_len, buf, n);
    q->sent_len += n;
    return true;
}

/* The socket's recv: the test's body in its pieces, its timeouts
 * (HTTPD_SOCK_ERR_TIMEOUT, as esp_http_server turns EAGAIN after
 * recv_wait_timeout), 0 once the client has closed, and timeouts for ever
 * when the client sends nothing more without closing (a stalled upload). */
static int sock_recv(request_t *q, char *buf, size_t len)
{
    const idf_host_http_req_t *in = q->in;
    q->out->recv_calls++;
    for (unsigned i = 0; i < IDF_HOST_HTTP_MAX_RECV_PLAN; i++) {
        if (in->timeouts[i] > q->timeouts_done[i] && in->timeout_at[i] == q->delivered) {
            q->timeouts_done[i]++;
            q->out->timeouts_returned++;
            return HTTPD_SOCK_ERR_TIMEOUT;
        }
    }
    if (q->delivered >= in->body_len) {
        if (in->client_closes) {
            q->peer_closed = true;
            return 0;
        }
        q->out->timeouts_returned++;
        return HTTPD_SOCK_ERR_TIMEOUT;
    }
    size_t n = in->body_len - q->delivered;
    if (n > len) {
        n = len;
    }
    bool plan = false;
    for (unsigned i = 0; i < IDF_HOST_HTTP_MAX_RECV_PLAN; i++) {
        plan = plan || in->chunk[i] != 0;
    }
    if (plan) {
        while (in->chunk[q->chunk_i % IDF_HOST_HTTP_MAX_RECV_PLAN] == 0) {
            q->chunk_i++;
        }
        size_t c = in->chunk[q->chunk_i % IDF_HOST_HTTP_MAX_RECV_PLAN];
        q->chunk_i++;
        if (n > c) {
            n = c;
        }
    }
    /* never deliver past a planned timeout point */
    for (unsigned i = 0; i < IDF_HOST_HTTP_MAX_RECV_PLAN; i++) {
        if (in->timeouts[i] > q->timeouts_done[i] && in->timeout_at[i] > q->delivered &&
            in->timeout_at[i] - q->delivered < n) {
            n = in->timeout_at[i] - q->delivered;
        }
    }
    memcpy(buf, in->body + q->delivered, n);
    q->delivered += n;
    return (int)n;
}

/* ESP-IDF: httpd_req_recv, at most buf_len and at most what is left of
 * Content-Length; whatever one receive gives (a partial chunk), 0 when nothing
 * is left or the client closed, HTTPD_SOCK_ERR_TIMEOUT / _FAIL / _INVALID. */
int httpd_req_recv(httpd_req_t *r, char *buf, size_t buf_len)
{
    request_t *q = valid(r);
    if (q == NULL || buf == NULL) {
        return HTTPD_SOCK_ERR_INVALID;
    }
    if (buf_len > q->remaining_len) {
        buf_len = q->remaining_len;
    }
    if (buf_len == 0) {
        return 0;
    }
    int n = sock_recv(q, buf, buf_len);
    if (n < 0) {
        return n;
    }
    q->remaining_len -= (size_t)n;
    q->out->body_read += (size_t)n;
    return n;
}

/* ESP-IDF: httpd_req_to_sockfd, -1 outside a request. */
int httpd_req_to_sockfd(httpd_req_t *r)
{
    return valid(r) != NULL ? SOCKFD : -1;
}

/* ESP-IDF: httpd_sess_update_lru_counter, NOT_FOUND for an unknown socket. */
esp_err_t httpd_sess_update_lru_counter(httpd_handle_t handle, int sockfd)
{
    if (handle == NULL || handle != s_server) {
        return ESP_ERR_INVALID_ARG;
    }
    if (s_cur == NULL || !s_cur->active || sockfd != SOCKFD) {
        return ESP_ERR_NOT_FOUND;
    }
    s_cur->out->lru_updates++;
    return ESP_OK;
}

/* A request header's value (leading spaces skipped), names compared without
 * case; NULL when absent or after a response was sent. */
static const char *req_header(request_t *q, const char *field)
{
    if (q->req_hdrs_gone) {
        return NULL;
    }
    size_t fl = strlen(field);
    for (unsigned i = 0; i < IDF_HOST_HTTP_MAX_HEADERS && q->in->headers[i] != NULL; i++) {
        const char *h = q->in->headers[i];
        const char *colon = strchr(h, ':');
        if (colon == NULL || (size_t)(colon - h) != fl || strncasecmp(h, field, fl) != 0) {
            continue;
        }
        const char *v = colon + 1;
        while (*v == ' ') {
            v++;
        }
        return v;
    }
    return NULL;
}

/* ESP-IDF: httpd_req_get_hdr_value_len, 0 when absent (or once a response was sent). */
size_t httpd_req_get_hdr_value_len(httpd_req_t *r, const char *field)
{
    request_t *q = valid(r);
    const char *v = q != NULL && field != NULL ? req_header(q, field) : NULL;
    return v != NULL ? strlen(v) : 0;
}

/* ESP-IDF: httpd_req_get_hdr_value_str, NOT_FOUND when absent, RESULT_TRUNC
 * when val_size is too small (val then holds the truncated value). */
esp_err_t httpd_req_get_hdr_value_str(httpd_req_t *r, const char *field, char *val, size_t val_size)
{
    if (r == NULL || field == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    request_t *q = valid(r);
    if (q == NULL) {
        return ESP_ERR_HTTPD_INVALID_REQ;
    }
    const char *v = req_header(q, field);
    if (v == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    size_t n = strlen(v);
    if (val_size > 0) {
        size_t c = n < val_size - 1 ? n : val_size - 1;
        memcpy(val, v, c);
        val[c] = '\0';
    }
    return val_size < n + 1 ? ESP_ERR_HTTPD_RESULT_TRUNC : ESP_OK;
}

/* ESP-IDF: the status, type and extra headers are kept (by pointer) until a
 * send; CR or LF in them is refused (INVALID_ARG); at most max_resp_headers
 * extra headers (RESP_HDR). */
esp_err_t httpd_resp_set_status(httpd_req_t *r, const char *status)
{
    if (r == NULL || status == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    request_t *q = valid(r);
    if (q == NULL) {
        return ESP_ERR_HTTPD_INVALID_REQ;
    }
    if (strpbrk(status, "\r\n") != NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    q->status = status;
    return ESP_OK;
}

esp_err_t httpd_resp_set_type(httpd_req_t *r, const char *type)
{
    if (r == NULL || type == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    request_t *q = valid(r);
    if (q == NULL) {
        return ESP_ERR_HTTPD_INVALID_REQ;
    }
    if (strpbrk(type, "\r\n") != NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    q->content_type = type;
    return ESP_OK;
}

esp_err_t httpd_resp_set_hdr(httpd_req_t *r, const char *field, const char *value)
{
    if (r == NULL || field == NULL || value == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    request_t *q = valid(r);
    if (q == NULL) {
        return ESP_ERR_HTTPD_INVALID_REQ;
    }
    if (strpbrk(field, "\r\n") != NULL || strpbrk(value, "\r\n") != NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (q->resp_hdrs_count >= s_server->cfg.max_resp_headers ||
        q->resp_hdrs_count >= sizeof(q->resp_hdrs) / sizeof(q->resp_hdrs[0])) {
        return ESP_ERR_HTTPD_RESP_HDR;
    }
    q->resp_hdrs[q->resp_hdrs_count].field = field;
    q->resp_hdrs[q->resp_hdrs_count].value = value;
    q->resp_hdrs_count++;
    return ESP_OK;
}

/* ESP-IDF: httpd_resp_send, status line, Content-Type, Content-Length, the
 * extra headers, the body (HTTPD_RESP_USE_STRLEN: strlen(buf)). The first
 * part must fit max_req_hdr_len (RESP_HDR); a failed send is RESP_SEND. The
 * request headers are gone afterwards. */
esp_err_t httpd_resp_send(httpd_req_t *r, const char *buf, ssize_t buf_len)
{
    if (r == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    request_t *q = valid(r);
    if (q == NULL) {
        return ESP_ERR_HTTPD_INVALID_REQ;
    }
    if (buf_len == HTTPD_RESP_USE_STRLEN) {
        buf_len = buf != NULL ? (ssize_t)strlen(buf) : 0;
    }
    q->req_hdrs_gone = true;
    char head[512];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n", q->status,
                     q->content_type, (int)buf_len);
    if (n < 0 || (size_t)n + 1 > s_server->cfg.max_req_hdr_len || (size_t)n >= sizeof(head)) {
        return ESP_ERR_HTTPD_RESP_HDR;
    }
    if (!sock_send(q, head, (size_t)n)) {
        return ESP_ERR_HTTPD_RESP_SEND;
    }
    for (unsigned i = 0; i < q->resp_hdrs_count; i++) {
        if (!sock_send(q, q->resp_hdrs[i].field, strlen(q->resp_hdrs[i].field)) || !sock_send(q, ": ", 2) ||
            !sock_send(q, q->resp_hdrs[i].value, strlen(q->resp_hdrs[i].value)) || !sock_send(q, "\r\n", 2)) {
            return ESP_ERR_HTTPD_RESP_SEND;
        }
    }
    if (!sock_send(q, "\r\n", 2)) {
        return ESP_ERR_HTTPD_RESP_SEND;
    }
    if (buf != NULL && buf_len > 0 && !sock_send(q, buf, (size_t)buf_len)) {
        return ESP_ERR_HTTPD_RESP_SEND;
    }
    q->out->responses++;
    return ESP_OK;
}

/* ESP-IDF: httpd_resp_send_err, the code's status line, type text/html and a
 * short text (msg when given; the default texts here are webota's own words). */
esp_err_t httpd_resp_send_err(httpd_req_t *req, httpd_err_code_t error, const char *msg)
{
    static const struct {
        httpd_err_code_t code;
        const char *status, *text;
    } codes[] = {
        {HTTPD_501_METHOD_NOT_IMPLEMENTED, "501 Method Not Implemented", "Method not implemented"},
        {HTTPD_505_VERSION_NOT_SUPPORTED, "505 Version Not Supported", "HTTP version not supported"},
        {HTTPD_400_BAD_REQUEST, "400 Bad Request", "Bad request"},
        {HTTPD_401_UNAUTHORIZED, "401 Unauthorized", "Unauthorized"},
        {HTTPD_403_FORBIDDEN, "403 Forbidden", "Forbidden"},
        {HTTPD_404_NOT_FOUND, "404 Not Found", "Not found"},
        {HTTPD_405_METHOD_NOT_ALLOWED, "405 Method Not Allowed", "Method not allowed"},
        {HTTPD_408_REQ_TIMEOUT, "408 Request Timeout", "Request timeout"},
        {HTTPD_411_LENGTH_REQUIRED, "411 Length Required", "Length required"},
        {HTTPD_413_CONTENT_TOO_LARGE, "413 Content Too Large", "Content too large"},
        {HTTPD_414_URI_TOO_LONG, "414 URI Too Long", "URI too long"},
        {HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE, "431 Request Header Fields Too Large", "Header fields too large"},
    };
    const char *status = "500 Internal Server Error", *text = "Internal server error";
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (codes[i].code == error) {
            status = codes[i].status;
            text = codes[i].text;
        }
    }
    ESP_LOGW(TAG, "%s - %s", status, msg != NULL ? msg : text);
    httpd_resp_set_status(req, status);
    httpd_resp_set_type(req, "text/html");
    return httpd_resp_send(req, msg != NULL ? msg : text, HTTPD_RESP_USE_STRLEN);
}

/* ESP-IDF: httpd_send, raw bytes on the connection (an interim "100
 * Continue"): the count sent, or HTTPD_SOCK_ERR_FAIL. */
int httpd_send(httpd_req_t *r, const char *buf, size_t buf_len)
{
    request_t *q = valid(r);
    if (q == NULL || buf == NULL) {
        return HTTPD_SOCK_ERR_INVALID;
    }
    return sock_send(q, buf, buf_len) ? (int)buf_len : HTTPD_SOCK_ERR_FAIL;
}

/* ESP-IDF: httpd_req_handle_err, the registered error handler (its result,
 * ESP_FAIL for 500) or the default answer and ESP_FAIL (connection closed). */
static esp_err_t handle_err(request_t *q, httpd_err_code_t err)
{
    if (s_server->err_fns[err] != NULL) {
        esp_err_t e = s_server->err_fns[err](&q->req, err);
        return err == HTTPD_500_INTERNAL_SERVER_ERROR ? ESP_FAIL : e;
    }
    httpd_resp_send_err(&q->req, err, NULL);
    return ESP_FAIL;
}

static int method_of(const char *m)
{
    static const struct {
        const char *name;
        int method;
    } methods[] = {{"DELETE", HTTP_DELETE}, {"GET", HTTP_GET},         {"HEAD", HTTP_HEAD},  {"POST", HTTP_POST},
                   {"PUT", HTTP_PUT},       {"OPTIONS", HTTP_OPTIONS}, {"PATCH", HTTP_PATCH}};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strcmp(m, methods[i].name) == 0) {
            return methods[i].method;
        }
    }
    return -1;
}

/* One request on the connection, as the server task processes it. */
static void process(void *arg)
{
    request_t *q = arg;
    const idf_host_http_req_t *in = q->in;
    server_t *s = s_server;
    httpd_req_t *r = &q->req;
    r->handle = s;
    r->method = method_of(in->method);
    size_t ulen = strlen(in->uri);
    esp_err_t ret;
    q->active = true;
    q->status = "200 OK";
    q->content_type = "text/html";
    const char *cl = req_header(q, "Content-Length");
    const char *te = req_header(q, "Transfer-Encoding");
    r->content_len = cl != NULL ? (size_t)strtoull(cl, NULL, 10) : 0;
    q->remaining_len = r->content_len;
    if (ulen > s->cfg.max_uri_len || ulen > CONFIG_HTTPD_MAX_URI_LEN) {
        ret = handle_err(q, HTTPD_414_URI_TOO_LONG);
    } else if (r->method < 0) {
        ret = handle_err(q, HTTPD_501_METHOD_NOT_IMPLEMENTED);
    } else if (te != NULL && strstr(te, "chunked") != NULL) {
        ret = handle_err(q, HTTPD_400_BAD_REQUEST);
    } else {
        memcpy((char *)r->uri, in->uri, ulen + 1);
        size_t plen = strcspn(r->uri, "?#"); /* the path the handlers are matched on */
        httpd_err_code_t err;
        httpd_uri_t *h = find_handler(s, r->uri, plen, r->method, &err);
        if (h == NULL) {
            ret = handle_err(q, err);
        } else {
            r->user_ctx = h->user_ctx;
            ret = h->handler(r);
        }
    }
    /* ESP-IDF: a handler error closes the connection; otherwise the body left
     * unread is received and dropped, and a failure there closes it too. */
    if (ret == ESP_OK) {
        char dummy[512];
        while (q->remaining_len > 0) {
            size_t want = q->remaining_len < sizeof(dummy) ? q->remaining_len : sizeof(dummy);
            int n = httpd_req_recv(r, dummy, want);
            if (n <= 0) {
                ret = ESP_FAIL;
                break;
            }
        }
    }
    q->out->closed = ret != ESP_OK;
    q->active = false;
}

/* Splits what was sent into the final answer (interim 1xx answers stay in head). */
static void parse_output(request_t *q, idf_host_http_resp_t *out)
{
    const char *p = q->sent, *end = q->sent + q->sent_len;
    size_t head_len = 0;
    while (p < end) {
        const char *sep = NULL;
        for (const char *c = p; c + 4 <= end; c++) {
            if (memcmp(c, "\r\n\r\n", 4) == 0) {
                sep = c;
                break;
            }
        }
        if (sep == NULL) {
            break;
        }
        size_t n = (size_t)(sep + 4 - p);
        if (head_len + n < sizeof(out->head)) {
            memcpy(out->head + head_len, p, n);
            head_len += n;
            out->head[head_len] = '\0';
        }
        int status = 0;
        if (sscanf(p, "HTTP/1.1 %d", &status) == 1 && status >= 100 && status < 200) {
            p = sep + 4;
            continue;
        }
        out->status = status;
        const char *sl = p + 9, *eol = strstr(p, "\r\n");
        size_t sn = eol != NULL && eol > sl ? (size_t)(eol - sl) : 0;
        if (sn >= sizeof(out->status_line)) {
            sn = sizeof(out->status_line) - 1;
        }
        memcpy(out->status_line, sl, sn);
        out->status_line[sn] = '\0';
        p = sep + 4;
        size_t body = (size_t)(end - p);
        const char *clh = idf_host_http_header(out, "Content-Length");
        if (clh != NULL && (size_t)strtoull(clh, NULL, 10) < body) {
            body = (size_t)strtoull(clh, NULL, 10);
        }
        if (body > IDF_HOST_HTTP_BODY_MAX) {
            body = IDF_HOST_HTTP_BODY_MAX;
        }
        memcpy(out->body, p, body);
        out->body_len = body;
        break;
    }
    out->body[out->body_len] = '\0';
}

int idf_host_http(const idf_host_http_req_t *req, idf_host_http_resp_t *resp)
{
    memset(resp, 0, sizeof(*resp));
    if (s_server == NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    request_t *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        return ESP_ERR_NO_MEM;
    }
    q->in = req;
    q->out = resp;
    s_cur = q;
    resp->restarted = idf_host_run(process, q);
    parse_output(q, resp);
    s_cur = NULL;
    free(q);
    return ESP_OK;
}

const char *idf_host_http_header(const idf_host_http_resp_t *resp, const char *name)
{
    static char value[512];
    size_t nl = strlen(name);
    /* the final answer's header block: after the last status line in head */
    const char *start = resp->head, *p;
    while ((p = strstr(start + 1, "\r\n\r\nHTTP/")) != NULL) {
        start = p + 4;
    }
    for (p = strstr(start, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ') {
                v++;
            }
            size_t n = strcspn(v, "\r\n");
            if (n >= sizeof(value)) {
                n = sizeof(value) - 1;
            }
            memcpy(value, v, n);
            value[n] = '\0';
            return value;
        }
    }
    return NULL;
}

/* ESP-IDF: httpd_get_client_list; requests here come without sockets (see
 * README.md), so there is never an open client to list. */
esp_err_t httpd_get_client_list(httpd_handle_t handle, size_t *fds, int *client_fds)
{
    (void)client_fds;
    if (handle == NULL || fds == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    *fds = 0;
    return ESP_OK;
}
