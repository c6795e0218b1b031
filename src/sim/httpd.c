/* libmicrohttpd binding of the API (see httpd.h). */
#include "sim/httpd.h"
#include "sim/httpd_cut.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sim_httpd {
    sim_httpd_config_t cfg;
    struct MHD_Daemon *d;
    uint16_t port;
};

/* Per request (MHD's con_cls). */
typedef struct {
    webota_api_conn_t conn;
    bool reading; /* the api wants the body */
    bool ended;   /* webota_api_end done */
    bool reboot;  /* the queued answer asked for a reboot */
    bool refused; /* webota_api_body refused the body: the rest is discarded */
    int64_t announced; /* Content-Length, -1 when chunked */
    uint64_t received; /* body bytes so far */
} hreq_t;

static bool has_token_ci(const char *s, const char *token)
{
    size_t n = strlen(token);
    for (; *s != '\0'; s++) {
        if (strncasecmp(s, token, n) == 0) {
            return true;
        }
    }
    return false;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result send_answer(struct MHD_Connection *c, hreq_t *r,
                                   const webota_api_response_t *resp)
{
    struct MHD_Response *m = MHD_create_response_from_buffer(
        resp->body_len, (void *)(uintptr_t)resp->body,
        resp->content_encoding != NULL ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    if (m == NULL) {
        return MHD_NO;
    }
    if (resp->content_type != NULL) {
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    }
    if (resp->content_encoding != NULL) {
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_ENCODING, resp->content_encoding);
    }
    if (resp->cache_control != NULL) {
        MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, resp->cache_control);
    }
    if (resp->www_authenticate != NULL) {
        MHD_add_response_header(m, MHD_HTTP_HEADER_WWW_AUTHENTICATE, resp->www_authenticate);
    }
    if (resp->allow != NULL) {
        MHD_add_response_header(m, MHD_HTTP_HEADER_ALLOW, resp->allow);
    }
    if (resp->upload_id != NULL) {
        MHD_add_response_header(m, "Upload-Id", resp->upload_id);
    }
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    if (resp->reboot) {
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
        r->reboot = true;
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp->status, m);
    MHD_destroy_response(m);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    sim_httpd_t *h = cls;
    hreq_t *r = *con_cls;
    webota_api_response_t resp;
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL) {
            return MHD_NO;
        }
        *con_cls = r;
        webota_api_request_t req;
        memset(&req, 0, sizeof(req));
        req.method = method;
        req.path = url;
        /* the query keys the api reads: force, and a resumable upload's id */
        char query[112] = "";
        const char *force = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "force");
        const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "id");
        if (force != NULL || id != NULL) {
            snprintf(query, sizeof(query), "force=%.30s&id=%.64s", force ? force : "",
                     id ? id : "");
            if (id == NULL) {
                query[strlen(query) - 4] = '\0'; /* no "&id=" */
            }
            req.query = query;
        }
        char remote[INET6_ADDRSTRLEN] = "";
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ai != NULL && ai->client_addr != NULL && ai->client_addr->sa_family == AF_INET) {
            const struct sockaddr_in *sin = (const struct sockaddr_in *)ai->client_addr;
            inet_ntop(AF_INET, &sin->sin_addr, remote, sizeof(remote));
        }
        req.remote = remote;
        req.upload_offset = header(c, "Upload-Offset");
        req.content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
        req.content_encoding = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
        req.content_length = -1;
        const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL) {
            char *end = NULL;
            unsigned long long v = strtoull(cl, &end, 10);
            req.content_length = (end != cl && *end == '\0' && v <= INT64_MAX) ? (int64_t)v : -1;
        }
        const char *te = header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        req.chunked = te != NULL && has_token_ci(te, "chunked");
        req.origin = header(c, MHD_HTTP_HEADER_ORIGIN);
        req.host = header(c, MHD_HTTP_HEADER_HOST);
        req.authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
        req.accept = header(c, MHD_HTTP_HEADER_ACCEPT);
        req.expect = header(c, MHD_HTTP_HEADER_EXPECT);

        pthread_mutex_lock(h->cfg.lock);
        webota_api_action_t a = webota_api_begin(h->cfg.api, &r->conn, &req, &resp);
        if (a == WEBOTA_API_RESPOND) {
            enum MHD_Result ret = send_answer(c, r, &resp);
            pthread_mutex_unlock(h->cfg.lock);
            return ret;
        }
        pthread_mutex_unlock(h->cfg.lock);
        r->reading = true;
        r->announced = req.chunked ? -1 : req.content_length;
        return MHD_YES; /* MHD answers "Expect: 100-continue" now */
    }
    if (!r->reading) {
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        pthread_mutex_lock(h->cfg.lock);
        /* after a refusal the rest is read and dropped: the answer is sent
         * once the body is complete, so that every client reads it */
        if (!webota_api_body(h->cfg.api, &r->conn, upload_data, *upload_data_size)) {
            r->refused = true;
        }
        pthread_mutex_unlock(h->cfg.lock);
        r->received += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(h->cfg.lock);
    webota_api_end(h->cfg.api, &r->conn, &resp);
    r->ended = true;
    r->reading = false;
    enum MHD_Result ret = send_answer(c, r, &resp);
    pthread_mutex_unlock(h->cfg.lock);
    return ret;
}

/* The client half-closed before the body was complete (see httpd_cut.h):
 * answer the refusal already found in the body, else 400 length_mismatch.
 * The update session ends as for any client that went away. */
static void answer_cut_body(sim_httpd_t *h, struct MHD_Connection *c, hreq_t *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    webota_api_response_t resp;
    char buf[512];
    pthread_mutex_lock(h->cfg.lock);
    if (r->refused) {
        webota_api_end(h->cfg.api, &r->conn, &resp);
    } else {
        webota_api_abort(h->cfg.api, &r->conn);
        sim_httpd_cut_answer(&resp, buf, sizeof(buf), r->received, r->announced);
    }
    r->ended = true;
    if (ci != NULL && !resp.reboot) {
        (void)sim_httpd_cut_send(ci->connect_fd, &resp);
    }
    pthread_mutex_unlock(h->cfg.lock);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    sim_httpd_t *h = cls;
    hreq_t *r = *con_cls;
    if (r == NULL) {
        return;
    }
    *con_cls = NULL;
    if (toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT && r->reading && !r->ended) {
        answer_cut_body(h, c, r);
    }
    if (!r->ended) {
        /* the client left (or the server stopped) before the body was complete */
        pthread_mutex_lock(h->cfg.lock);
        webota_api_abort(h->cfg.api, &r->conn);
        pthread_mutex_unlock(h->cfg.lock);
    }
    bool reboot = r->reboot;
    free(r);
    if (reboot && h->cfg.rebooting != NULL) {
        h->cfg.rebooting(h->cfg.ctx);
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("webota sim: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

sim_httpd_t *sim_httpd_start(const sim_httpd_config_t *cfg, char *err, size_t errcap)
{
    sim_httpd_t *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    h->cfg = *cfg;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(cfg->port);
    const char *bind = cfg->bind != NULL ? cfg->bind : "127.0.0.1";
    if (inet_pton(AF_INET, bind, &sa.sin_addr) != 1) {
        snprintf(err, errcap, "--bind %s is not an IPv4 address", bind);
        free(h);
        return NULL;
    }
    /* poll(), not epoll: with libmicrohttpd 0.9.75's epoll mode a client that
     * closed mid-upload was sometimes noticed only by the idle timeout (the
     * session stayed busy for 20 s); poll sees the closed socket at once. */
    h->d = MHD_start_daemon(
        MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, cfg->port, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_LISTENING_ADDRESS_REUSE,
        (unsigned)1, MHD_OPTION_CONNECTION_LIMIT, (unsigned)SIM_HTTPD_MAX_CONN,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SIM_HTTPD_MAX_PER_IP,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SIM_HTTPD_CONN_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SIM_HTTPD_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
    if (h->d == NULL) {
        snprintf(err, errcap, "cannot listen on %s:%u (address in use or not available)", bind,
                 (unsigned)cfg->port);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info != NULL ? info->port : cfg->port;
    return h;
}

uint16_t sim_httpd_port(const sim_httpd_t *h)
{
    return h->port;
}

void sim_httpd_stop(sim_httpd_t *h)
{
    if (h == NULL) {
        return;
    }
    MHD_stop_daemon(h->d);
    free(h);
}
