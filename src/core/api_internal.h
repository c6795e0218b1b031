/* Internal to src/core: what the HTTP API modules share.
 *
 *   api.c         routing, the upload into an update session
 *   api_respond.c the answers: body buffer, errors, {"ok": true}
 *   api_auth.c    password (HTTP Basic) and the same-origin rule
 *   api_html.c    the form route: Accept negotiation and its HTML pages
 *   api_status.c  GET /api/status
 *   api_signature.c POST /api/signature (the page's pre-check of a signature sector)
 *
 * Every answer is written into api->buf and set with webota_api_set_body. */
#ifndef WEBOTA_CORE_API_INTERNAL_H
#define WEBOTA_CORE_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "webota/api.h"

#include "ascii.h"

#define CT_JSON "application/json"
#define CT_HTML "text/html; charset=utf-8"

/* ---- answers (api_respond.c) ---- */

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

/* ---- who may ask (api_auth.c) ---- */

/* True without a configured password, else when authz is "Basic" with it. */
bool webota_api_auth_ok(const webota_api_t *api, const char *authz);
/* True without an Origin header, else when its host[:port] is the Host header. */
bool webota_api_origin_ok(const webota_api_request_t *req);

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
