/* Internal to src/core: what the HTTP API modules share.
 *
 *   api.c         routing, the upload into an update session
 *   api_respond.c the answers: body buffer, errors, {"ok": true}
 *   api_auth.c    password (challenge-response), failed logins, same-origin rule
 *   api_host.c    the Host allow-list (DNS rebinding)
 *   api_limits.c  time limits of an upload
 *   api_html.c    the form route: Accept negotiation and its HTML pages
 *   api_status.c  GET /api/status
 *   api_signature.c POST /api/signature (the page's pre-check of a signature sector)
 *
 * Every answer is written into api->buf and set with webota_api_set_body. */
#ifndef WEBOTA_CORE_API_INTERNAL_H
#define WEBOTA_CORE_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "textbuf.h"
#include "webota/api.h"

#include "ascii.h"

#define CT_JSON "application/json"
#define CT_HTML "text/html; charset=utf-8"

/* Every answer but the page: nothing may run, load or frame it. The HTML
 * pages of the form route need no more (no script, no style, a meta refresh
 * and a relative link). */
#define WEBOTA_API_CSP "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
#define WEBOTA_API_WWW_AUTHENTICATE "WebOTA-HMAC realm=\"webota\", challenge=\"api/auth\""

/* ---- answers (api_respond.c) ---- */

/* Content-Security-Policy and X-Frame-Options of an API answer. */
void webota_api_secure_headers(webota_api_response_t *resp);

void webota_api_set_body(webota_api_t *api, webota_api_response_t *resp, const char *ct,
                         size_t len);
/* An error answer: JSON, or for POST /update an HTML page unless the request's
 * Accept prefers JSON (conn->form_json). conn may be NULL (JSON). A NULL or
 * empty message is webota_strerror(err). */
void webota_api_respond_error_msg(webota_api_t *api, const webota_api_conn_t *conn,
                                  webota_api_response_t *resp, webota_err_t err,
                                  const char *message);
void webota_api_respond_error(webota_api_t *api, const webota_api_conn_t *conn,
                              webota_api_response_t *resp, webota_err_t err);
/* {"ok": true, "state": state (omitted when NULL), "rebooting": ...}, 200. */
void webota_api_respond_ok(webota_api_t *api, webota_api_response_t *resp, const char *state,
                           bool rebooting);

/* One line for config.log: a, b and c (NULL = nothing) joined. */
void webota_api_log(webota_api_t *api, const char *a, const char *b, const char *c);

/* ---- who may ask (api_auth.c, api_host.c) ---- */

/* The message a login mac covers: nonce, method, path and query. */
#define WEBOTA_API_AUTH_MSG_MAX 320

/* Copies the verifier of the config; ARG when auth is set without a clock. */
webota_err_t webota_api_auth_init(webota_api_t *api);
/* OK without a password, else when the request carries a valid answer to a
 * live challenge: UNAUTHORIZED, AUTH_STALE or RATE_LIMITED (*retry_after in
 * seconds) otherwise. Counts and logs failures per client. */
webota_err_t webota_api_auth_check(webota_api_t *api, const webota_api_request_t *req,
                                   unsigned *retry_after);
/* GET /api/auth. */
void webota_api_respond_challenge(webota_api_t *api, const webota_api_conn_t *conn,
                                  webota_api_response_t *resp);
/* True without an Origin header, else when its host[:port] is the Host header. */
bool webota_api_origin_ok(const webota_api_request_t *req);
/* True when the Host header names the device (see api_host.c). */
bool webota_api_host_ok(const webota_api_t *api, const char *host);

/* ---- upload time limits (api_limits.c) ---- */

uint32_t webota_api_now(const webota_api_t *api);
/* An upload starts now. */
void webota_api_limits_start(webota_api_t *api);
/* len bytes arrive for the upload in progress; false when it has just been
 * cut for being idle or too slow (api->upload is then NULL). */
bool webota_api_limits_data(webota_api_t *api, size_t len);

/* ---- the form route (api_html.c) ---- */

bool webota_api_accept_wants_json(const char *accept);
/* The pages into api->buf; return their length. */
size_t webota_api_error_html(webota_api_t *api, int status, webota_err_t err,
                             const char *message);
size_t webota_api_installed_html(webota_api_t *api, const char *project, const char *version,
                                 const char *slot);

/* ---- GET /api/status (api_status.c) ---- */

void webota_api_respond_status(webota_api_t *api, webota_api_response_t *resp);

/* ---- POST /api/signature (api_signature.c): begin/body/end/abort of that route ---- */

webota_api_action_t webota_api_sig_begin(webota_api_t *api, webota_api_conn_t *conn,
                                         const webota_api_request_t *req, webota_api_response_t *resp);
bool webota_api_sig_body(webota_api_t *api, webota_api_conn_t *conn, const void *data, size_t len);
void webota_api_sig_end(webota_api_t *api, webota_api_conn_t *conn, webota_api_response_t *resp);
void webota_api_sig_abort(webota_api_t *api, webota_api_conn_t *conn);

/* ---- resumable uploads (api_resume.c) ---- */

enum { WEBOTA_API_RESUME_REFUSED, WEBOTA_API_RESUME_START, WEBOTA_API_RESUME_CONTINUE };

bool webota_api_resume_on(const webota_api_t *api);
/* How long a dropped upload is held: the config's, or the default for 0. */
uint32_t webota_api_resume_hold_ms(const webota_api_t *api);
/* key=value from a query string into out (NUL-terminated; "" when too long);
 * false when absent. */
bool webota_api_query_value(const char *query, const char *key, char *out, size_t cap);
/* "an interrupted upload is held ... N s more" while one is held, else NULL. */
const char *webota_api_resume_busy_msg(webota_api_t *api, char *buf, size_t cap);
/* POST /api/update/session: hands out a new upload id. */
void webota_api_resume_new(webota_api_t *api, webota_api_conn_t *conn,
                           const webota_api_request_t *req, webota_api_response_t *resp);
/* POST /api/update?id=: REFUSED (resp set), START (begin the session, then
 * webota_api_resume_started) or CONTINUE (conn owns the held session again). */
int webota_api_resume_claim(webota_api_t *api, webota_api_conn_t *conn,
                            const webota_api_request_t *req, webota_api_response_t *resp,
                            const char *id, bool gz);
void webota_api_resume_started(webota_api_t *api, webota_api_conn_t *conn, uint32_t total);
/* The client went away: true when the session is now held instead of aborted. */
bool webota_api_resume_hold(webota_api_t *api, webota_api_conn_t *conn);
/* The upload ended (installed or refused): its id is forgotten. */
void webota_api_resume_done(webota_api_t *api, const webota_api_conn_t *conn);
/* GET /api/update?id= (offset reached) or DELETE (cancel). */
void webota_api_resume_query(webota_api_t *api, webota_api_conn_t *conn,
                             const webota_api_request_t *req, webota_api_response_t *resp,
                             bool cancel);

#endif
