/* libmicrohttpd binding of the API (see httpd.h). */
#include "sim/httpd.h"
#include "sim/httpd_cut.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A connection as the sweeper sees it (MHD's socket context). */
typedef struct track {
    bool used;
    int fd;
    double since;     /* waiting for a request's headers since then */
    bool in_request;  /* its headers are complete: the api has the request */
    bool shut;        /* already cut */
    struct hreq *req; /* the request in progress (NULL between requests) */
} track_t;

struct sim_httpd {
    sim_httpd_config_t cfg;
    struct MHD_Daemon *d;
    uint16_t port;
    pthread_mutex_t mu; /* the track table; taken after cfg.lock, never before */
    track_t track[SIM_HTTPD_MAX_CONN + 4];
    pthread_t sweeper;
    bool sweeping;
    volatile bool stop;
};

/* Per request (MHD's con_cls), made when the request line arrives. */
typedef struct hreq {
    webota_api_conn_t conn;
    bool reading; /* the api wants the body */
    bool ended;   /* webota_api_end done */
    bool reboot;  /* the queued answer asked for a reboot */
    bool begun;   /* webota_api_begin done */
    track_t *track;
    char query[256]; /* the raw query (the login mac covers it) */
    bool refused; /* webota_api_body refused the body: the rest is discarded */
    int64_t announced; /* Content-Length, -1 when chunked */
    uint64_t received; /* body bytes so far */
} hreq_t;

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

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
    if (resp->csp != NULL) {
        MHD_add_response_header(m, "Content-Security-Policy", resp->csp);
    }
    if (resp->frame_options != NULL) {
        MHD_add_response_header(m, "X-Frame-Options", resp->frame_options);
    }
    if (resp->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof(ra), "%u", resp->retry_after);
        MHD_add_response_header(m, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    /* not no-referrer: with it, browsers send "Origin: null" on form posts */
    MHD_add_response_header(m, "Referrer-Policy", "same-origin");
    if (resp->reboot) {
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
        r->reboot = true;
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp->status, m);
    MHD_destroy_response(m);
    return ret;
}

/* The request line has arrived: its state is made here because only here
 * the raw URI, with its query, is seen. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    hreq_t *r = calloc(1, sizeof(*r));
    if (r != NULL && uri != NULL) {
        const char *q = strchr(uri, '?');
        if (q != NULL) {
            snprintf(r->query, sizeof(r->query), "%s", q + 1);
        }
    }
    return r;
}

static void client_text(struct MHD_Connection *c, char *out, size_t cap)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL) {
        return;
    }
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap);
    }
}

static track_t *track_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
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
        return MHD_NO; /* out of memory in on_uri */
    }
    if (!r->begun) {
        /* first call: the headers are complete */
        r->begun = true;
        track_t *t = track_of(c);
        if (t != NULL) {
            pthread_mutex_lock(&h->mu);
            t->in_request = true;
            t->req = r;
            r->track = t;
            pthread_mutex_unlock(&h->mu);
        }
        webota_api_request_t req;
        memset(&req, 0, sizeof(req));
        req.method = method;
        req.path = url;
        req.query = r->query[0] != '\0' ? r->query : NULL;
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
        char client[INET6_ADDRSTRLEN];
        client_text(c, client, sizeof(client));
        req.client = client;

        pthread_mutex_lock(h->cfg.lock);
        webota_api_action_t a = webota_api_begin(h->cfg.api, &r->conn, &req, &resp);
        if (a == WEBOTA_API_RESPOND) {
            /* queued before the body: MHD sends no "100 Continue" and closes
             * the connection if a body was announced */
            r->ended = true;
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
        bool cut = webota_api_conn_cut(&r->conn);
        pthread_mutex_unlock(h->cfg.lock);
        r->received += *upload_data_size;
        *upload_data_size = 0;
        return cut ? MHD_NO : MHD_YES; /* too slow: close the connection */
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
    if (r->track != NULL) {
        /* a kept-alive connection waits for the next request's headers */
        pthread_mutex_lock(&h->mu);
        r->track->in_request = false;
        r->track->req = NULL;
        r->track->since = mono();
        pthread_mutex_unlock(&h->mu);
    }
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

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    sim_httpd_t *h = cls;
    pthread_mutex_lock(&h->mu);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        for (size_t i = 0; ci != NULL && i < sizeof(h->track) / sizeof(h->track[0]); i++) {
            track_t *t = &h->track[i];
            if (!t->used) {
                memset(t, 0, sizeof(*t));
                t->used = true;
                t->fd = ci->connect_fd;
                t->since = mono();
                *socket_context = t;
                break;
            }
        }
    } else if (*socket_context != NULL) {
        track_t *t = *socket_context;
        t->used = false; /* before MHD closes the socket: never shut a reused fd */
        t->req = NULL;
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&h->mu);
}

/* Every 200 ms: the api's upload limits and the end of a held upload whose
 * hold time has passed (so the updater is free then, not at the next
 * request), then the connections to cut: those sending their headers for too
 * long (slowloris) and a cut upload's. shutdown(), not close(): MHD sees the
 * end of the connection and closes it itself. */
static void *sweep(void *arg)
{
    sim_httpd_t *h = arg;
    while (!h->stop) {
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
        pthread_mutex_lock(h->cfg.lock);
        webota_api_tick(h->cfg.api);
        webota_api_poll(h->cfg.api);
        pthread_mutex_lock(&h->mu);
        double now = mono();
        for (size_t i = 0; i < sizeof(h->track) / sizeof(h->track[0]); i++) {
            track_t *t = &h->track[i];
            if (!t->used || t->shut) {
                continue;
            }
            bool slow_head = !t->in_request && now - t->since > SIM_HTTPD_HEADER_TIMEOUT_S;
            bool cut = t->req != NULL && webota_api_conn_cut(&t->req->conn);
            if (slow_head || cut) {
                shutdown(t->fd, SHUT_RDWR);
                t->shut = true;
            }
        }
        pthread_mutex_unlock(&h->mu);
        pthread_mutex_unlock(h->cfg.lock);
    }
    return NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("webota sim: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* The listening socket, made here to report why it cannot be (a port in use
 * by another simulator is refused: SO_REUSEADDR only, never SO_REUSEPORT). */
static int listen_on(const char *bind_addr, uint16_t port, char *err, size_t errcap)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        snprintf(err, errcap, "--bind %s is not an IPv4 address", bind_addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errcap, "socket: %s", strerror(errno));
        return -1;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)); /* restarts after a reboot */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 32) != 0) {
        int e = errno;
        snprintf(err, errcap, "cannot listen on %s:%u: %s%s", bind_addr, (unsigned)port,
                 strerror(e),
                 e == EADDRINUSE ? " (another program, perhaps another webota sim, uses it: "
                                   "choose another --port)"
                                 : "");
        close(fd);
        return -1;
    }
    return fd;
}

sim_httpd_t *sim_httpd_start(const sim_httpd_config_t *cfg, char *err, size_t errcap)
{
    sim_httpd_t *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    h->cfg = *cfg;
    const char *bind_addr = cfg->bind != NULL ? cfg->bind : "127.0.0.1";
    int fd = listen_on(bind_addr, cfg->port, err, errcap);
    if (fd < 0) {
        free(h);
        return NULL;
    }
    struct sockaddr_in got;
    socklen_t glen = sizeof(got);
    h->port = getsockname(fd, (struct sockaddr *)&got, &glen) == 0 ? ntohs(got.sin_port) : cfg->port;
    pthread_mutex_init(&h->mu, NULL);
    /* poll(), not epoll: with libmicrohttpd 0.9.75's epoll mode a client that
     * closed mid-upload was sometimes noticed only by the idle timeout (the
     * session stayed busy for 20 s); poll sees the closed socket at once. */
    h->d = MHD_start_daemon(
        MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)SIM_HTTPD_MAX_CONN,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SIM_HTTPD_MAX_PER_IP,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SIM_HTTPD_CONN_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SIM_HTTPD_TIMEOUT_S,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
    if (h->d == NULL) {
        snprintf(err, errcap, "cannot start the web server on %s:%u", bind_addr,
                 (unsigned)h->port);
        close(fd);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    h->sweeping = pthread_create(&h->sweeper, NULL, sweep, h) == 0;
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
    h->stop = true;
    if (h->sweeping) {
        pthread_join(h->sweeper, NULL);
    }
    MHD_stop_daemon(h->d); /* closes the listening socket too */
    pthread_mutex_destroy(&h->mu);
    free(h);
}
