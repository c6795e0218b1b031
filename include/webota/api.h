/* The device's HTTP API as transport-free request handling: routes, password,
 * cross-origin refusal, JSON answers, and the update upload streamed into an
 * update session (webota/update.h) chunk by chunk. A binding (libmicrohttpd in
 * the simulator, esp_http_server on the ESP32) turns each HTTP request into:
 *
 *     action = webota_api_begin(api, conn, &req, &resp);
 *     if (action == WEBOTA_API_READ_BODY) {
 *         for each body chunk: if (!webota_api_body(api, conn, data, len)) break-or-discard;
 *         webota_api_end(api, conn, &resp);   // or webota_api_abort(api, conn) if the client left
 *     }
 *     send resp (status, headers, body);
 *
 * Routes (docs/http-api.md):
 *     GET  /  (or /index.html)   the page, gzip        GET  /api/status   JSON
 *     POST /api/update  raw image body                  POST /update       multipart form
 *     POST /api/confirm   POST /api/rollback   POST /api/reboot
 *     POST /api/update/session  an id for a resumable upload
 *     GET|DELETE /api/update?id=ID  a held upload's offset / its end
 *
 * Resumable uploads (docs/http-api.md): a POST /api/update?id=ID whose client
 * goes away (webota_api_abort) is held for config.resume_hold_ms instead of
 * aborted: the update session stays in RAM, and the same client (same id,
 * same address) continues with POST /api/update?id=ID and "Upload-Offset: N"
 * (N = the bytes received). Time comes from config.now_ms; a held upload that
 * has expired ends (firmware untouched) at the next call into the api or at
 * webota_api_poll.
 *
 * Every error is an HTTP status with a JSON body {"error": webota_err_name,
 * "message": human text}, except on POST /update (the no-JavaScript form):
 * there every answer is a small HTML page unless Accept prefers
 * application/json. POST requests whose Origin header does not match
 * Host are refused (403); no CORS header is ever sent.
 *
 * Threading: one webota_api_t serves all connections but is not thread-safe:
 * the binding calls it from one thread (or under one lock). Calls never block
 * on the network. resp->body points into the api struct (or to the embedded
 * page) and is valid until the next call into the api: the binding sends or
 * copies it before handling another request.
 *
 * Reboots: after a successful update, rollback or reboot request the api calls
 * config.request_reboot(ctx) while building the response; the platform must
 * reboot only AFTER that response has been delivered (resp->reboot is also set).
 *
 * No allocation: webota_api_t is caller-owned (about 5.5 KiB, the update
 * session's 2 KiB and the multipart parser included). */
#ifndef WEBOTA_API_H
#define WEBOTA_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"
#include "webota/gunzip.h"
#include "webota/inflate.h"
#include "webota/multipart.h"
#include "webota/sigblock.h"
#include "webota/slot.h"
#include "webota/update.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_API_BODY_MAX 2048u /* JSON / HTML answer buffer */
/* A multipart body may exceed the slot by this much (boundaries, part headers,
 * other fields) before it is refused with 413 up front. */
#define WEBOTA_API_FORM_OVERHEAD 8192u

typedef enum {
    WEBOTA_API_ROUTE_NONE,
    WEBOTA_API_ROUTE_PAGE,     /* GET / */
    WEBOTA_API_ROUTE_STATUS,   /* GET /api/status */
    WEBOTA_API_ROUTE_UPDATE,   /* POST /api/update */
    WEBOTA_API_ROUTE_FORM,     /* POST /update */
    WEBOTA_API_ROUTE_CONFIRM,  /* POST /api/confirm */
    WEBOTA_API_ROUTE_ROLLBACK, /* POST /api/rollback */
    WEBOTA_API_ROUTE_REBOOT,   /* POST /api/reboot */
    WEBOTA_API_ROUTE_AUTH,     /* GET /api/auth: a login challenge */
    WEBOTA_API_ROUTE_SIGNATURE, /* POST /api/signature: a signature sector's blocks and keys */
    WEBOTA_API_ROUTE_UPLOAD_SESSION, /* POST /api/update/session: a resumable upload's id */
} webota_api_route_t;

/* Upload limits (src/core/api_limits.c): an upload that receives nothing for
 * the idle time, or less than the minimum rate over a window, is aborted
 * (firmware untouched) and the updater is free for the next client. */
#define WEBOTA_API_UPLOAD_IDLE_MS 10000u
#define WEBOTA_API_RATE_WINDOW_MS 10000u
#define WEBOTA_API_MIN_RATE 1024u /* bytes per second, averaged over a window */

/* Resumable uploads (src/core/api_resume.c): how long a dropped one is held
 * for its client when the config leaves resume_hold_ms at 0. */
#define WEBOTA_API_RESUME_HOLD_MS 60000u

/* The password, as the device keeps it (src/core/api_auth.c): a salted
 * PBKDF2-HMAC-SHA-256 key, never the password. Text form (webota passwd):
 *     pbkdf2-sha256$ITERATIONS$SALT_HEX$KEY_HEX
 * A client proves it knows the password by HMAC-SHA-256(key, challenge) over
 * a single-use nonce the device issued (GET /api/auth), the method and the
 * path: nothing that crosses the network can be replayed or reveals the
 * password except to an offline dictionary attack (docs/security.md). */
#define WEBOTA_AUTH_SALT_LEN 16
#define WEBOTA_AUTH_KEY_LEN 32
#define WEBOTA_AUTH_NONCE_LEN 16
#define WEBOTA_AUTH_ITERATIONS 10000u /* default for new verifiers */
#define WEBOTA_AUTH_ITERATIONS_MAX 1000000u
#define WEBOTA_AUTH_NONCES 8           /* outstanding challenges */
#define WEBOTA_AUTH_NONCE_TTL_MS 60000u
#define WEBOTA_AUTH_CLIENTS 8          /* clients whose failures are counted */
#define WEBOTA_AUTH_FREE_FAILURES 5    /* then 1 s, 2 s, 4 s ... up to the max */
#define WEBOTA_AUTH_BLOCK_MAX_MS 60000u
#define WEBOTA_AUTH_VERIFIER_MAX 128   /* text form, with its NUL */
#define WEBOTA_AUTH_CLIENT_MAX 47      /* an address as text (IPv6 fits) */

typedef struct webota_auth_verifier {
    uint8_t salt[WEBOTA_AUTH_SALT_LEN];
    uint32_t iterations;
    uint8_t key[WEBOTA_AUTH_KEY_LEN];
} webota_auth_verifier_t;

struct webota_json; /* webota/json.h */

typedef struct webota_api_config {
    /* The platform's slot seam with the core's rules (webota_slot_init);
     * must outlive the api. */
    webota_slot_t *slot;
    /* Base policy (chip, chip_rev, allow_no_marker, project, ...); copied at
     * init. running_version and running_secure_version are filled from
     * the running firmware's descriptor at each update. */
    webota_update_policy_t policy;
    const char *chip;    /* "esp32" (shown in /api/status); must outlive the api */
    bool chip_rev_known; /* chip_rev is shown in /api/status (false = unknown) */
    int chip_rev;        /* major*100+minor, with chip_rev_known */
    /* NULL = no password. Otherwise every request but GET / and GET
     * /api/auth needs "Authorization: WebOTA-HMAC nonce=..., mac=..." (see
     * above and docs/http-api.md); copied at init. Needs now_ms. */
    const webota_auth_verifier_t *auth;
    /* Host names and addresses the device answers to, besides localhost,
     * 127.0.0.1 and [::1] (e.g. "192.168.4.1", "webota.local"): a request
     * with another Host is refused 421 (DNS rebinding). Must outlive the api. */
    const char *const *hosts;
    size_t hosts_count;
    /* Optional: true when host (no port, lowercase) is one of the device's
     * current addresses (the ESP port: its AP and station addresses). */
    bool (*host_ok)(void *ctx, const char *host);
    /* Content-Security-Policy of the page (webota_page_csp of webota/page.h:
     * hashes of its inline script and style); NULL = no script allowed. */
    const char *page_csp;
    /* Monotonic milliseconds (wrapping); NULL = no upload time limits, no
     * challenge expiry (then auth is refused at init). */
    uint32_t (*now_ms)(void *ctx);
    uint32_t upload_idle_ms;  /* 0 = WEBOTA_API_UPLOAD_IDLE_MS */
    uint32_t upload_min_rate; /* bytes/s; 0 = WEBOTA_API_MIN_RATE */
    /* Optional: one line for the device's log (failed logins, cut uploads);
     * never contains a secret. */
    void (*log)(void *ctx, const char *line);
    /* The page served at GET / (gzipped), e.g. webota_page_gz from
     * webota/page.h; NULL = 404. Must outlive the api. */
    const unsigned char *page_gz;
    size_t page_gz_len;
    /* The platform's inflater (webota/inflate.h): with one, an image may be
     * uploaded gzip-compressed (Content-Encoding: gzip on POST /api/update, a
     * .gz file in the form) and /api/status says so; NULL = refused with 415.
     * Must outlive the api. */
    const webota_inflate_ops_t *inflate;
    /* Asks the platform to reboot once the current response is delivered. */
    void (*request_reboot)(void *ctx);
    /* Called at the start of every routed request, before its answer is built
     * (the platform confirms a PENDING_VERIFY firmware on the first page or
     * status request there). May be NULL. */
    void (*on_request)(void *ctx, webota_api_route_t route);
    /* Adds the platform's own fields to GET /api/status, after the core's
     * (webota_json_key + value calls on j; e.g. the simulator's flash-model
     * time of the last update). May be NULL. */
    void (*status_fields)(void *ctx, struct webota_json *j);
    /* Resumable uploads: how long a dropped one is held; 0 =
     * WEBOTA_API_RESUME_HOLD_MS (60 s). no_resume (or no now_ms) turns
     * resuming off: POST /api/update/session answers 404 and a dropped upload
     * aborts at once. The ids come from webota_random (webota/crypto.h). */
    uint32_t resume_hold_ms;
    bool no_resume;
    void *ctx;
} webota_api_config_t;

/* One HTTP request as the binding sees it. Strings may be NULL when absent. */
typedef struct webota_api_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* without the query: "/api/update" */
    const char *query;  /* after '?', without it: "force=1" */
    const char *content_type;
    const char *content_encoding; /* "gzip": the body is a gzip-compressed image */
    int64_t content_length; /* -1 when absent */
    bool chunked;           /* Transfer-Encoding: chunked */
    const char *origin;
    const char *host;
    const char *authorization;
    const char *accept;
    const char *expect; /* "100-continue": the binding answers it; informational here */
    const char *client; /* the peer's address as text (failed-login counting; a held upload's owner) */
    const char *upload_offset; /* Upload-Offset header: where a resumed upload continues */
} webota_api_request_t;

/* The answer. Strings are static or point into the api struct. */
typedef struct webota_api_response {
    int status;
    const char *content_type;
    const char *content_encoding; /* NULL or "gzip" */
    const char *cache_control;    /* "no-store" on API answers */
    const char *www_authenticate; /* set on 401 */
    const char *allow;            /* set on 405 */
    const char *upload_id;        /* Upload-Id header: set when an upload id is handed out */
    const char *csp;              /* Content-Security-Policy, on every answer */
    const char *frame_options;    /* X-Frame-Options ("DENY"), on every answer */
    unsigned retry_after;         /* seconds, on 429; 0 = no header */
    const unsigned char *body;
    size_t body_len;
    bool reboot; /* request_reboot was called for this answer */
} webota_api_response_t;

typedef enum {
    WEBOTA_API_RESPOND,   /* resp is ready: send it (discard any request body) */
    WEBOTA_API_READ_BODY, /* feed the body with webota_api_body, then webota_api_end */
} webota_api_action_t;

/* Per-request state the binding keeps with its connection (small; fields
 * private to src/core/api*.c). Zero it (or let begin do it) for each request. */
typedef struct webota_api_conn {
    uint8_t route;
    bool uploading; /* this connection owns the update session */
    bool failed;    /* the body was refused; the rest is discarded */
    bool file_seen; /* multipart: a file part has started */
    bool in_file;   /* multipart: inside the file part */
    bool in_force;  /* multipart: inside a "force" field */
    bool force;
    bool form_json; /* POST /update: answer JSON (Accept prefers it), else HTML */
    bool gzip;      /* the image arrives gzip-compressed (through api->gz) */
    bool sniff;     /* multipart: the file part's first byte decides gzip or plain */
    bool resumable; /* POST /api/update?id=: held, not aborted, if the client goes away */
    char force_val[8];
    uint8_t force_len;
    bool cut;       /* the upload was too slow: close the connection */
    webota_err_t err; /* first error of this request */
} webota_api_conn_t;

typedef struct webota_api_nonce {
    uint8_t nonce[WEBOTA_AUTH_NONCE_LEN];
    uint32_t issued_ms;
    bool live; /* issued, not yet used, not expired */
} webota_api_nonce_t;

typedef struct webota_api_client {
    char addr[WEBOTA_AUTH_CLIENT_MAX + 1];
    uint32_t failures;
    uint32_t blocked_until_ms;
    uint32_t last_ms;
    bool blocked;
} webota_api_client_t;

/* Fields are private to src/core/api*.c. */
typedef struct webota_api {
    webota_api_config_t cfg;
    webota_update_t update;
    webota_gunzip_t gz; /* a compressed upload's gzip parser */
    webota_mp_t mp;
    webota_api_conn_t *upload; /* connection owning the session, NULL when none */
    bool reboot_pending;
    bool session_used; /* webota_update_begin has been called at least once */
    /* resumable uploads: the id handed out (reserved until its upload starts),
     * its client's address, the upload's total length, and whether it is held
     * (its client went away at held_since) */
    char upload_id[33];
    char upload_client[48];
    bool id_reserved;
    bool held;
    bool held_gzip; /* the upload is gzip: its offset is in compressed bytes */
    uint32_t held_since;
    uint32_t upload_total;
    char running_version[33];
    /* upload limits (api_limits.c) */
    uint32_t up_last_ms;  /* last body data */
    uint32_t win_start_ms; /* current rate window */
    uint32_t win_bytes;
    /* password (api_auth.c) */
    webota_auth_verifier_t auth;
    bool auth_on;
    webota_api_nonce_t nonces[WEBOTA_AUTH_NONCES];
    webota_api_client_t clients[WEBOTA_AUTH_CLIENTS];
    /* POST /api/signature, one at a time: the connection doing it, the bytes
     * received, the block being assembled and what each block slot holds */
    webota_api_conn_t *sigcheck;
    uint32_t sig_received;
    uint8_t sig_block[WEBOTA_SIG_BLOCK_LEN];
    webota_sig_block_t sig_found[WEBOTA_SIG_BLOCKS];
    char buf[WEBOTA_API_BODY_MAX];
} webota_api_t;

/* Zeroes the config and sets the slot: webota_update_policy_init's policy
 * (marker required), no chip name, revision unknown (not shown), no password,
 * no page, no hooks, default limits and resume hold (60 s). A zeroed config
 * with the slot set behaves the same: every field's 0 is its default. */
void webota_api_config_init(webota_api_config_t *cfg, webota_slot_t *slot);

/* Errors: ARG (NULL api/config/slot, or a slot without its functions). */
webota_err_t webota_api_init(webota_api_t *api, const webota_api_config_t *cfg);

/* Routes one request. On READ_BODY the connection owns the upload until
 * webota_api_end or webota_api_abort. */
webota_api_action_t webota_api_begin(webota_api_t *api, webota_api_conn_t *conn,
                                     const webota_api_request_t *req,
                                     webota_api_response_t *resp);
/* The next body chunk (any size, 0 allowed). Returns false once the request
 * has failed (bad image, malformed form): the binding may stop reading and
 * call webota_api_end at once or discard the rest of the body first. */
bool webota_api_body(webota_api_t *api, webota_api_conn_t *conn, const void *data, size_t len);
/* The body is complete: finishes the update and builds the answer. */
void webota_api_end(webota_api_t *api, webota_api_conn_t *conn, webota_api_response_t *resp);
/* The client went away before webota_api_end: the update session (if this
 * connection owns it) aborts, leaving the firmware and otadata untouched.
 * Safe to call for any connection, any number of times. */
void webota_api_abort(webota_api_t *api, webota_api_conn_t *conn);

/* Time limits: aborts an upload that is idle or too slow (see
 * WEBOTA_API_UPLOAD_IDLE_MS). Call it periodically (the simulator every 200
 * ms; the ESP port when a receive times out); uploads are also checked at
 * each body chunk and when another upload asks. */
void webota_api_tick(webota_api_t *api);
/* True when the binding should close this connection now (an upload cut for
 * being too slow); the answer, if it can still be sent, is 408. */
bool webota_api_conn_cut(const webota_api_conn_t *conn);

/* Password verifiers (api_auth.c; PBKDF2-HMAC-SHA-256 through the crypto
 * seam). make: from a password and a salt; parse/format: the text form. */
webota_err_t webota_auth_verifier_make(const char *password, size_t len,
                                       const uint8_t salt[WEBOTA_AUTH_SALT_LEN],
                                       uint32_t iterations, webota_auth_verifier_t *v);
webota_err_t webota_auth_verifier_parse(const char *text, webota_auth_verifier_t *v);
/* Writes the text form (NUL-terminated) into out; NO_SPACE if cap is too small. */
webota_err_t webota_auth_verifier_format(const webota_auth_verifier_t *v, char *out, size_t cap);
/* The client's proof: lowercase hex HMAC-SHA-256(key, nonce_hex "\n" method
 * "\n" path ["?" query]) into mac_hex (65 bytes with the NUL). */
webota_err_t webota_auth_mac(const uint8_t key[WEBOTA_AUTH_KEY_LEN], const char *nonce_hex,
                             const char *method, const char *path, const char *query,
                             char mac_hex[2 * WEBOTA_AUTH_KEY_LEN + 1]);

/* True while an upload is in progress (or held for its client's return). */
bool webota_api_busy(const webota_api_t *api);
/* Ends a held upload whose hold time has passed (firmware untouched; the
 * log hook says so). Every request does it too; a binding calls this from a
 * timer (the simulator every 200 ms, the ESP port every second while
 * webota_api_busy) so the updater is free at the hold time even when no
 * request comes. */
void webota_api_poll(webota_api_t *api);
/* The HTTP status an error maps to (e.g. IMG_MAGIC -> 422, UPD_BUSY -> 409). */
int webota_api_http_status(webota_err_t err);

#ifdef __cplusplus
}
#endif

#endif
