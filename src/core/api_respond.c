/* The answers every route builds (see api_internal.h): the body buffer, error
 * answers (JSON, or the form route's HTML page) and {"ok": true} answers. The
 * lowest level of the API modules: it calls none of the others but api_html.c's
 * page builder. */
#include "api_internal.h"

#include "webota/json.h"

int webota_api_http_status(webota_err_t err)
{
    return webota_err_http_status(err); /* a column of the error list (webota/err.h) */
}

void webota_api_set_body(webota_api_t *api, webota_api_response_t *resp, const char *ct,
                         size_t len)
{
    resp->content_type = ct;
    resp->body = (const unsigned char *)api->buf;
    resp->body_len = len;
}

/* An error answer: JSON, or for POST /update an HTML page unless the request's
 * Accept prefers JSON (conn->form_json). conn may be NULL (JSON). */
void webota_api_respond_error_msg(webota_api_t *api, const webota_api_conn_t *conn,
                                  webota_api_response_t *resp, webota_err_t err,
                                  const char *message)
{
    if (message == NULL || message[0] == '\0') {
        message = webota_strerror(err);
    }
    resp->status = webota_api_http_status(err);
    resp->cache_control = "no-store";
    if (err == WEBOTA_ERR_HTTP_UNAUTHORIZED || err == WEBOTA_ERR_HTTP_AUTH_STALE) {
        /* not Basic: a browser must not offer to send the password in clear */
        resp->www_authenticate = WEBOTA_API_WWW_AUTHENTICATE;
    }
    if (conn != NULL && conn->route == WEBOTA_API_ROUTE_FORM && !conn->form_json) {
        webota_api_set_body(api, resp, CT_HTML,
                            webota_api_error_html(api, resp->status, err, message));
        return;
    }
    webota_json_t j;
    webota_json_init(&j, api->buf, sizeof(api->buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "error");
    webota_json_str(&j, webota_err_name(err));
    webota_json_key(&j, "message");
    webota_json_str(&j, message);
    webota_json_obj_end(&j);
    size_t len = 0;
    webota_json_end(&j, &len); /* fits: names and messages are bounded (200 B) */
    webota_api_set_body(api, resp, CT_JSON, len);
}

void webota_api_respond_error(webota_api_t *api, const webota_api_conn_t *conn,
                              webota_api_response_t *resp, webota_err_t err)
{
    webota_api_respond_error_msg(api, conn, resp, err, NULL);
}

void webota_api_respond_ok(webota_api_t *api, webota_api_response_t *resp, const char *state,
                           bool rebooting)
{
    webota_json_t j;
    webota_json_init(&j, api->buf, sizeof(api->buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "ok");
    webota_json_bool(&j, true);
    if (state != NULL) {
        webota_json_key(&j, "state");
        webota_json_str(&j, state);
    }
    webota_json_key(&j, "rebooting");
    webota_json_bool(&j, rebooting);
    webota_json_obj_end(&j);
    size_t len = 0;
    webota_json_end(&j, &len);
    resp->status = 200;
    resp->cache_control = "no-store";
    webota_api_set_body(api, resp, CT_JSON, len);
}


void webota_api_secure_headers(webota_api_response_t *resp)
{
    resp->csp = WEBOTA_API_CSP;
    resp->frame_options = "DENY";
}

void webota_api_log(webota_api_t *api, const char *a, const char *b, const char *c)
{
    if (api->cfg.log == NULL) {
        return;
    }
    char line[200];
    webota_sb_t sb;
    webota_sb_init(&sb, line, sizeof(line));
    webota_sb_s(&sb, a != NULL ? a : "");
    webota_sb_s(&sb, b != NULL ? b : "");
    webota_sb_s(&sb, c != NULL ? c : "");
    api->cfg.log(api->cfg.ctx, line);
}
