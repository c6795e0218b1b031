/* The HTTP API without a transport (see webota/api.h and docs/http-api.md).
 * Everything a request needs is decided from its method, path, a few headers
 * and the body chunks; the answer is written into api->buf. */
#include "webota/api.h"

#include <string.h>

#include "webota/json.h"

#define CT_JSON "application/json"
#define CT_HTML "text/html; charset=utf-8"

/* ---- small string helpers (the core has no ctype/strcasecmp) ---- */

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool eq_ci_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Media type of a Content-Type value equals `type` (parameters ignored). */
static bool media_type_is(const char *ct, const char *type)
{
    while (is_ws(*ct)) {
        ct++;
    }
    size_t n = strlen(type);
    if (strlen(ct) < n || !eq_ci_n(ct, type, n)) {
        return false;
    }
    ct += n;
    while (is_ws(*ct)) {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

static bool true_word(const char *v, size_t len)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (len == strlen(yes[i]) && eq_ci_n(v, yes[i], len)) {
            return true;
        }
    }
    return false;
}

/* True when the query string has key=value with a true value (1, true, yes, on). */
static bool query_flag(const char *query, const char *key)
{
    if (query == NULL) {
        return false;
    }
    size_t klen = strlen(key);
    const char *p = query;
    while (*p != '\0') {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            if (true_word(p + klen + 1, len - klen - 1)) {
                return true;
            }
        }
        p += len;
        if (*p == '&') {
            p++;
        }
    }
    return false;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

/* "Basic base64(user:password)" with the configured password (any user). The
 * comparison takes the same time wherever the first difference is. */
static bool auth_ok(const webota_api_t *api, const char *authz)
{
    const char *pw = api->cfg.password;
    if (pw == NULL || pw[0] == '\0') {
        return true;
    }
    if (authz == NULL) {
        return false;
    }
    while (is_ws(*authz)) {
        authz++;
    }
    if (strlen(authz) < 6 || !eq_ci_n(authz, "basic ", 6)) {
        return false;
    }
    authz += 6;
    while (is_ws(*authz)) {
        authz++;
    }
    unsigned char dec[192];
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; *authz != '\0' && *authz != '=' && !is_ws(*authz); authz++) {
        int v = b64_value(*authz);
        if (v < 0) {
            return false;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= sizeof(dec)) {
                return false;
            }
            dec[n++] = (unsigned char)(acc >> bits);
        }
    }
    const unsigned char *colon = memchr(dec, ':', n);
    if (colon == NULL) {
        return false;
    }
    size_t off = (size_t)(colon - dec) + 1;
    size_t got = n - off;
    size_t want = strlen(pw);
    unsigned diff = (unsigned)(got != want);
    for (size_t i = 0; i < want; i++) {
        unsigned char g = i < got ? dec[off + i] : 0;
        diff |= (unsigned)(g ^ (unsigned char)pw[i]);
    }
    return diff == 0;
}

/* Same-origin rule for state-changing requests: no Origin (curl, older
 * browsers' same-origin posts) passes; otherwise its host[:port] must be the
 * Host header. */
static bool origin_ok(const webota_api_request_t *req)
{
    const char *o = req->origin;
    if (o == NULL) {
        return true;
    }
    if (req->host == NULL || req->host[0] == '\0') {
        return false;
    }
    if (strlen(o) > 7 && eq_ci_n(o, "http://", 7)) {
        o += 7;
    } else if (strlen(o) > 8 && eq_ci_n(o, "https://", 8)) {
        o += 8;
    } else {
        return false; /* "null" and other schemes */
    }
    size_t olen = strlen(o);
    if (olen > 0 && o[olen - 1] == '/') {
        olen--;
    }
    return olen == strlen(req->host) && eq_ci_n(o, req->host, olen);
}

/* A qvalue ("1", "0.5", "0.125") in thousandths; -1 when malformed. */
static int parse_q(const char *v, size_t len)
{
    if (len == 0 || (v[0] != '0' && v[0] != '1')) {
        return -1;
    }
    int q = (v[0] - '0') * 1000;
    if (len == 1) {
        return q;
    }
    if (v[1] != '.' || len > 5) {
        return -1;
    }
    int scale = 100;
    for (size_t i = 2; i < len; i++, scale /= 10) {
        if (v[i] < '0' || v[i] > '9') {
            return -1;
        }
        q += (v[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

/* The q of one Accept element's parameters ("; level=1; q=0.5"); 1000 without one. */
static int element_q(const char *p, const char *end)
{
    int q = 1000;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *pend = semi != NULL ? semi : end;
        while (p < pend && is_ws(*p)) {
            p++;
        }
        const char *vend = pend;
        while (vend > p && is_ws(vend[-1])) {
            vend--;
        }
        if (vend - p >= 2 && lower(p[0]) == 'q' && p[1] == '=') {
            q = parse_q(p + 2, (size_t)(vend - p - 2));
        }
        p = semi != NULL ? semi + 1 : end;
    }
    return q;
}

/* Does the Accept header prefer JSON to HTML? Only when it names
 * application/json itself with a q above 0 and not below what text/html gets
 * (the most specific of text/html, text/any, any/any ranges). No header,
 * a lone wildcard or a browser's navigation Accept: HTML. */
static bool accept_wants_json(const char *accept)
{
    if (accept == NULL) {
        return false;
    }
    int json_q = -1, html_q = 0, html_level = 0;
    const char *p = accept;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        const char *end = comma != NULL ? comma : p + strlen(p);
        while (p < end && is_ws(*p)) {
            p++;
        }
        /* a loop, not memchr: gcc -O2 cannot see p <= end and warns */
        const char *semi = p;
        while (semi < end && *semi != ';') {
            semi++;
        }
        const char *mend = semi;
        if (semi == end) {
            semi = NULL;
        }
        while (mend > p && is_ws(mend[-1])) {
            mend--;
        }
        size_t mlen = (size_t)(mend - p);
        int q = semi != NULL ? element_q(semi + 1, end) : 1000;
        int level = 0;
        if (mlen == 16 && eq_ci_n(p, "application/json", 16)) {
            json_q = q;
        } else if (mlen == 9 && eq_ci_n(p, "text/html", 9)) {
            level = 3;
        } else if (mlen == 6 && eq_ci_n(p, "text/*", 6)) {
            level = 2;
        } else if (mlen == 3 && eq_ci_n(p, "*/*", 3)) {
            level = 1;
        }
        if (level > html_level) {
            html_level = level;
            html_q = q < 0 ? 0 : q;
        }
        p = comma != NULL ? comma + 1 : end;
    }
    return json_q > 0 && json_q >= html_q;
}

/* ---- HTML answers of the form route (bounded writes into api->buf) ---- */

/* Appends s whole, or as much of it as fits, always NUL-terminated. */
static void append(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n >= cap) {
        n = cap - 1 - *len;
    }
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* Appends s HTML-escaped; stops before an entity that would not fit whole. */
static void append_escaped(char *buf, size_t cap, size_t *len, const char *s)
{
    for (; *s != '\0'; s++) {
        const char *rep;
        char one[2] = {*s, '\0'};
        switch (*s) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: rep = one; break;
        }
        size_t r = strlen(rep);
        if (*len + r >= cap) {
            break;
        }
        memcpy(buf + *len, rep, r);
        *len += r;
    }
    buf[*len] = '\0';
}

static void append_uint(char *buf, size_t cap, size_t *len, uint32_t v)
{
    char digits[11];
    size_t n = sizeof(digits) - 1;
    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    append(buf, cap, len, digits + n);
}

#define HTML_HEAD                                                                                  \
    "<!doctype html><html><head><meta charset=\"utf-8\">"                                          \
    "<meta name=\"viewport\" content=\"width=device-width\">"

/* The longest error page: the fixed text (under 400 bytes) plus a full update
 * message with every byte escaped to 6 ("&quot;") must fit the buffer. */
_Static_assert(400 + 6 * WEBOTA_UPDATE_MESSAGE_MAX <= WEBOTA_API_BODY_MAX,
               "an escaped update message must fit the answer buffer");

/* ---- answers ---- */

int webota_api_http_status(webota_err_t err)
{
    switch (err) {
    case WEBOTA_OK:
        return 200;
    case WEBOTA_ERR_ARG:
    case WEBOTA_ERR_HTTP_BAD_REQUEST:
    case WEBOTA_ERR_MP_SYNTAX:
    case WEBOTA_ERR_MP_NO_FILE:
    case WEBOTA_ERR_UPD_EMPTY:
    case WEBOTA_ERR_UPD_LENGTH:
    case WEBOTA_ERR_UPD_ABORTED:
        return 400;
    case WEBOTA_ERR_HTTP_UNAUTHORIZED:
        return 401;
    case WEBOTA_ERR_HTTP_FORBIDDEN:
        return 403;
    case WEBOTA_ERR_HTTP_NOT_FOUND:
    case WEBOTA_ERR_NOT_FOUND:
        return 404;
    case WEBOTA_ERR_HTTP_METHOD:
        return 405;
    case WEBOTA_ERR_STATE:
    case WEBOTA_ERR_UPD_BUSY:
    case WEBOTA_ERR_UPD_RUNNING_SLOT:
    case WEBOTA_ERR_UPD_PENDING_VERIFY:
    case WEBOTA_ERR_UPD_ROLLBACK_IMPOSSIBLE:
    case WEBOTA_ERR_UPD_NOT_PENDING:
        return 409;
    case WEBOTA_ERR_HTTP_LENGTH_REQUIRED:
        return 411;
    case WEBOTA_ERR_HTTP_TOO_LARGE:
    case WEBOTA_ERR_IMG_TOO_BIG:
        return 413;
    case WEBOTA_ERR_HTTP_MEDIA_TYPE:
        return 415;
    case WEBOTA_ERR_UPD_NO_MARKER:
    case WEBOTA_ERR_UPD_SECURE_VERSION:
    case WEBOTA_ERR_UPD_PROJECT:
    case WEBOTA_ERR_UPD_SAME_VERSION:
        return 422;
    default:
        /* every image-checker verdict is "the image is not acceptable" */
        if (err >= WEBOTA_ERR_IMG_MAGIC && err <= WEBOTA_ERR_IMG_REFUSED) {
            return 422;
        }
        return 500;
    }
}

static void set_body(webota_api_t *api, webota_api_response_t *resp, const char *ct, size_t len)
{
    resp->content_type = ct;
    resp->body = (const unsigned char *)api->buf;
    resp->body_len = len;
}

/* The error page of the form route: a browser without JavaScript shows it
 * as the result of its upload. Links are relative: the form is at
 * <prefix>/update, the page at <prefix>/. */
static size_t error_html(webota_api_t *api, int status, webota_err_t err, const char *message)
{
    char *b = api->buf;
    size_t cap = sizeof(api->buf), len = 0;
    const char *title = status >= 500 ? "Update failed" : "Update refused";
    b[0] = '\0';
    append(b, cap, &len, HTML_HEAD "<title>");
    append(b, cap, &len, title);
    append(b, cap, &len, "</title></head><body><h1>");
    append(b, cap, &len, title);
    append(b, cap, &len, "</h1><p>");
    append_escaped(b, cap, &len, message);
    append(b, cap, &len, "</p><p>Error <code>");
    append_escaped(b, cap, &len, webota_err_name(err));
    append(b, cap, &len, "</code> (HTTP ");
    append_uint(b, cap, &len, (uint32_t)status);
    append(b, cap, &len, "). The running firmware is unchanged.</p>"
                         "<p><a href=\"./\">Back to the updater</a></p></body></html>");
    return len;
}

/* An error answer: JSON, or for POST /update an HTML page unless the request's
 * Accept prefers JSON (conn->form_json). conn may be NULL (JSON). */
static void respond_error_msg(webota_api_t *api, const webota_api_conn_t *conn,
                              webota_api_response_t *resp, webota_err_t err, const char *message)
{
    if (message == NULL || message[0] == '\0') {
        message = webota_strerror(err);
    }
    resp->status = webota_api_http_status(err);
    resp->cache_control = "no-store";
    if (err == WEBOTA_ERR_HTTP_UNAUTHORIZED) {
        resp->www_authenticate = "Basic realm=\"webota\", charset=\"UTF-8\"";
    }
    if (conn != NULL && conn->route == WEBOTA_API_ROUTE_FORM && !conn->form_json) {
        set_body(api, resp, CT_HTML, error_html(api, resp->status, err, message));
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
    set_body(api, resp, CT_JSON, len);
}

static void respond_error(webota_api_t *api, const webota_api_conn_t *conn,
                          webota_api_response_t *resp, webota_err_t err)
{
    respond_error_msg(api, conn, resp, err, NULL);
}

static void respond_ok(webota_api_t *api, webota_api_response_t *resp, const char *state,
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
    set_body(api, resp, CT_JSON, len);
}

static void reboot_now(webota_api_t *api, webota_api_response_t *resp)
{
    api->reboot_pending = true;
    resp->reboot = true;
    if (api->cfg.request_reboot != NULL) {
        api->cfg.request_reboot(api->cfg.ctx);
    }
}

static void slot_json(webota_json_t *j, const webota_slot_info_t *s, bool with_state)
{
    webota_json_obj_begin(j);
    webota_json_key(j, "label");
    webota_json_str(j, s->label);
    webota_json_key(j, "offset");
    webota_json_uint(j, s->offset);
    webota_json_key(j, "size");
    webota_json_uint(j, s->size);
    webota_json_key(j, "index");
    webota_json_int(j, s->index);
    if (with_state) {
        webota_json_key(j, "state");
        webota_json_str(j, webota_ota_state_name(s->state));
    }
    webota_json_obj_end(j);
}

static void respond_status(webota_api_t *api, webota_api_response_t *resp)
{
    const webota_slot_ops_t *ops = api->cfg.slot;
    webota_app_desc_t desc;
    bool have_desc = ops->running_desc != NULL && ops->running_desc(ops->ctx, &desc) == WEBOTA_OK;
    webota_slot_info_t run, next;
    bool have_run = ops->running(ops->ctx, &run) == WEBOTA_OK;
    bool have_next = ops->next(ops->ctx, &next) == WEBOTA_OK;

    webota_json_t j;
    webota_json_init(&j, api->buf, sizeof(api->buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "chip");
    webota_json_str(&j, api->cfg.chip);
    if (api->cfg.chip_rev >= 0) {
        webota_json_key(&j, "chip_rev");
        webota_json_int(&j, api->cfg.chip_rev);
    }
    webota_json_key(&j, "project");
    webota_json_str(&j, have_desc ? desc.project_name : NULL);
    webota_json_key(&j, "version");
    webota_json_str(&j, have_desc ? desc.version : NULL);
    webota_json_key(&j, "idf_ver");
    webota_json_str(&j, have_desc ? desc.idf_ver : NULL);
    webota_json_key(&j, "secure_version");
    if (have_desc) {
        webota_json_uint(&j, desc.secure_version);
    } else {
        webota_json_null(&j);
    }
    webota_json_key(&j, "running");
    if (have_run) {
        slot_json(&j, &run, true);
    } else {
        webota_json_null(&j);
    }
    webota_json_key(&j, "next");
    if (have_next) {
        slot_json(&j, &next, false);
    } else {
        webota_json_null(&j);
    }
    webota_json_key(&j, "rollback_possible");
    webota_json_bool(&j, ops->rollback_possible != NULL && ops->rollback_possible(ops->ctx));
    webota_json_key(&j, "require_marker");
    webota_json_bool(&j, api->cfg.policy.require_marker);
    webota_json_key(&j, "update");
    webota_json_obj_begin(&j);
    webota_update_state_t st = api->session_used ? webota_update_state(&api->update)
                                                 : WEBOTA_UPDATE_IDLE;
    webota_json_key(&j, "state");
    webota_json_str(&j, webota_update_state_name(st));
    webota_json_key(&j, "received");
    webota_json_uint(&j, api->session_used ? webota_update_received(&api->update) : 0);
    webota_json_key(&j, "total");
    webota_json_uint(&j, api->session_used ? webota_update_total(&api->update) : 0);
    if (st == WEBOTA_UPDATE_FAILED) {
        webota_json_key(&j, "error");
        webota_json_str(&j, webota_err_name(webota_update_error(&api->update)));
        webota_json_key(&j, "message");
        webota_json_str(&j, webota_update_message(&api->update));
    }
    webota_json_obj_end(&j);
    webota_json_key(&j, "rebooting");
    webota_json_bool(&j, api->reboot_pending);
    webota_json_obj_end(&j);
    size_t len = 0;
    if (webota_json_end(&j, &len) != WEBOTA_OK) {
        respond_error(api, NULL, resp, WEBOTA_ERR_NO_SPACE);
        return;
    }
    resp->status = 200;
    resp->cache_control = "no-store";
    set_body(api, resp, CT_JSON, len);
}

/* ---- update sessions ---- */

static webota_err_t session_begin(webota_api_t *api, uint32_t total, bool force)
{
    const webota_slot_ops_t *ops = api->cfg.slot;
    webota_update_policy_t policy = api->cfg.policy;
    webota_app_desc_t desc;
    if (ops->running_desc != NULL && ops->running_desc(ops->ctx, &desc) == WEBOTA_OK) {
        policy.running_secure_version = desc.secure_version;
        memcpy(api->running_version, desc.version, sizeof(api->running_version));
        api->running_version[sizeof(api->running_version) - 1] = '\0';
        policy.running_version = api->running_version;
    } else {
        policy.running_version = NULL;
        policy.refuse_same_version = false;
    }
    api->session_used = true;
    return webota_update_begin(&api->update, ops, &policy, total, force);
}

static webota_err_t mp_part_begin(void *ctx, const char *name, const char *filename,
                                  bool has_filename)
{
    (void)filename;
    webota_api_t *api = ctx;
    webota_api_conn_t *conn = api->upload;
    conn->in_force = false;
    conn->in_file = false;
    if (!conn->file_seen && (has_filename || strcmp(name, "file") == 0 ||
                             strcmp(name, "firmware") == 0)) {
        conn->file_seen = true;
        conn->in_file = true;
        return session_begin(api, 0, conn->force);
    }
    if (strcmp(name, "force") == 0) {
        conn->in_force = true;
        conn->force_len = 0;
    }
    return WEBOTA_OK;
}

static webota_err_t mp_part_data(void *ctx, const void *data, size_t len)
{
    webota_api_t *api = ctx;
    webota_api_conn_t *conn = api->upload;
    if (conn->in_file) {
        return webota_update_write(&api->update, data, len);
    }
    if (conn->in_force) {
        size_t room = sizeof(conn->force_val) - conn->force_len;
        size_t n = len < room ? len : room;
        memcpy(conn->force_val + conn->force_len, data, n);
        conn->force_len = (uint8_t)(conn->force_len + n);
    }
    return WEBOTA_OK;
}

static webota_err_t mp_part_end(void *ctx)
{
    webota_api_t *api = ctx;
    webota_api_conn_t *conn = api->upload;
    if (conn->in_force) {
        /* a checkbox before the file part: force only when it says so */
        conn->force = conn->force || (conn->force_len < sizeof(conn->force_val) &&
                                      true_word(conn->force_val, conn->force_len));
    }
    conn->in_file = false;
    conn->in_force = false;
    return WEBOTA_OK;
}

static webota_api_action_t begin_upload(webota_api_t *api, webota_api_conn_t *conn,
                                        const webota_api_request_t *req,
                                        webota_api_response_t *resp, bool form)
{
    char boundary[WEBOTA_MP_BOUNDARY_MAX + 1];
    webota_err_t err;
    if (form) {
        err = webota_mp_boundary(req->content_type, boundary, sizeof(boundary));
        if (err != WEBOTA_OK) {
            respond_error(api, conn, resp, err);
            return WEBOTA_API_RESPOND;
        }
    } else if (req->content_type != NULL &&
               !media_type_is(req->content_type, "application/octet-stream")) {
        respond_error_msg(api, conn, resp, WEBOTA_ERR_HTTP_MEDIA_TYPE,
                          "send the image as application/octet-stream (or as a multipart form to /update)");
        return WEBOTA_API_RESPOND;
    }
    if (req->content_length < 0 && !req->chunked) {
        respond_error(api, conn, resp, WEBOTA_ERR_HTTP_LENGTH_REQUIRED);
        return WEBOTA_API_RESPOND;
    }
    if (api->upload != NULL || api->reboot_pending) {
        respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_BUSY,
                          api->reboot_pending ? "the device is rebooting" : NULL);
        return WEBOTA_API_RESPOND;
    }
    webota_slot_info_t next;
    err = api->cfg.slot->next(api->cfg.slot->ctx, &next);
    if (err != WEBOTA_OK) {
        respond_error(api, conn, resp, WEBOTA_ERR_UPD_NO_SLOT);
        return WEBOTA_API_RESPOND;
    }
    uint64_t limit = (uint64_t)next.size + (form ? WEBOTA_API_FORM_OVERHEAD : 0u);
    if (req->content_length > 0 && (uint64_t)req->content_length > limit) {
        respond_error(api, conn, resp, WEBOTA_ERR_HTTP_TOO_LARGE);
        return WEBOTA_API_RESPOND;
    }
    bool force = query_flag(req->query, "force");
    if (form) {
        webota_mp_callbacks_t cb = {api, mp_part_begin, mp_part_data, mp_part_end};
        err = webota_mp_init(&api->mp, boundary, &cb);
        conn->force = force;
    } else {
        uint32_t total = req->content_length > 0 ? (uint32_t)req->content_length : 0;
        err = session_begin(api, total, force);
    }
    if (err != WEBOTA_OK) {
        respond_error_msg(api, conn, resp, err, form ? NULL : webota_update_message(&api->update));
        return WEBOTA_API_RESPOND;
    }
    conn->uploading = true;
    api->upload = conn;
    return WEBOTA_API_READ_BODY;
}

/* ---- routing ---- */

static webota_api_route_t route_of(const char *path)
{
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
        return WEBOTA_API_ROUTE_PAGE;
    }
    if (strcmp(path, "/api/status") == 0) {
        return WEBOTA_API_ROUTE_STATUS;
    }
    if (strcmp(path, "/api/update") == 0) {
        return WEBOTA_API_ROUTE_UPDATE;
    }
    if (strcmp(path, "/update") == 0) {
        return WEBOTA_API_ROUTE_FORM;
    }
    if (strcmp(path, "/api/confirm") == 0) {
        return WEBOTA_API_ROUTE_CONFIRM;
    }
    if (strcmp(path, "/api/rollback") == 0) {
        return WEBOTA_API_ROUTE_ROLLBACK;
    }
    if (strcmp(path, "/api/reboot") == 0) {
        return WEBOTA_API_ROUTE_REBOOT;
    }
    return WEBOTA_API_ROUTE_NONE;
}

webota_err_t webota_api_init(webota_api_t *api, const webota_api_config_t *cfg)
{
    if (api == NULL || cfg == NULL || cfg->slot == NULL) {
        return WEBOTA_ERR_ARG;
    }
    const webota_slot_ops_t *o = cfg->slot;
    if (o->running == NULL || o->next == NULL || o->begin == NULL || o->write == NULL ||
        o->finish == NULL || o->abort == NULL || o->activate == NULL || o->confirm == NULL ||
        o->rollback == NULL) {
        return WEBOTA_ERR_ARG;
    }
    memset(api, 0, sizeof(*api));
    api->cfg = *cfg;
    if (api->cfg.chip == NULL) {
        api->cfg.chip = "";
    }
    return WEBOTA_OK;
}

webota_api_action_t webota_api_begin(webota_api_t *api, webota_api_conn_t *conn,
                                     const webota_api_request_t *req,
                                     webota_api_response_t *resp)
{
    memset(conn, 0, sizeof(*conn));
    memset(resp, 0, sizeof(*resp));
    resp->cache_control = "no-store";
    if (req->method == NULL || req->path == NULL) {
        respond_error(api, conn, resp, WEBOTA_ERR_HTTP_BAD_REQUEST);
        return WEBOTA_API_RESPOND;
    }
    webota_api_route_t route = route_of(req->path);
    conn->route = (uint8_t)route;
    /* decided first: every answer of the form route, errors included, follows it */
    conn->form_json = route == WEBOTA_API_ROUTE_FORM && accept_wants_json(req->accept);
    if (route == WEBOTA_API_ROUTE_NONE) {
        respond_error(api, conn, resp, WEBOTA_ERR_HTTP_NOT_FOUND);
        return WEBOTA_API_RESPOND;
    }
    bool is_get = route == WEBOTA_API_ROUTE_PAGE || route == WEBOTA_API_ROUTE_STATUS;
    if (strcmp(req->method, is_get ? "GET" : "POST") != 0) {
        respond_error(api, conn, resp, WEBOTA_ERR_HTTP_METHOD);
        resp->allow = is_get ? "GET" : "POST";
        return WEBOTA_API_RESPOND;
    }
    if (!auth_ok(api, req->authorization)) {
        respond_error(api, conn, resp, WEBOTA_ERR_HTTP_UNAUTHORIZED);
        return WEBOTA_API_RESPOND;
    }
    if (!is_get && !origin_ok(req)) {
        respond_error(api, conn, resp, WEBOTA_ERR_HTTP_FORBIDDEN);
        return WEBOTA_API_RESPOND;
    }
    if (api->cfg.on_request != NULL) {
        api->cfg.on_request(api->cfg.ctx, route);
    }
    const webota_slot_ops_t *ops = api->cfg.slot;
    webota_err_t err;
    switch (route) {
    case WEBOTA_API_ROUTE_PAGE:
        if (api->cfg.page_gz == NULL) {
            respond_error(api, conn, resp, WEBOTA_ERR_HTTP_NOT_FOUND);
            break;
        }
        resp->status = 200;
        resp->content_type = CT_HTML;
        resp->content_encoding = "gzip";
        resp->cache_control = "no-cache";
        resp->body = api->cfg.page_gz;
        resp->body_len = api->cfg.page_gz_len;
        break;
    case WEBOTA_API_ROUTE_STATUS:
        respond_status(api, resp);
        break;
    case WEBOTA_API_ROUTE_UPDATE:
    case WEBOTA_API_ROUTE_FORM:
        return begin_upload(api, conn, req, resp, route == WEBOTA_API_ROUTE_FORM);
    case WEBOTA_API_ROUTE_CONFIRM:
        if (api->upload != NULL) {
            respond_error(api, conn, resp, WEBOTA_ERR_UPD_BUSY);
            break;
        }
        err = ops->confirm(ops->ctx);
        if (err != WEBOTA_OK) {
            respond_error(api, conn, resp, err);
        } else {
            respond_ok(api, resp, "valid", false);
        }
        break;
    case WEBOTA_API_ROUTE_ROLLBACK:
        if (api->upload != NULL || api->reboot_pending) {
            respond_error(api, conn, resp, WEBOTA_ERR_UPD_BUSY);
            break;
        }
        err = ops->rollback(ops->ctx);
        if (err != WEBOTA_OK) {
            respond_error(api, conn, resp, err);
            break;
        }
        respond_ok(api, resp, "invalid", true);
        reboot_now(api, resp);
        break;
    case WEBOTA_API_ROUTE_REBOOT:
        if (api->upload != NULL) {
            respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_BUSY,
                              "an update is in progress: reboot after it");
            break;
        }
        respond_ok(api, resp, NULL, true);
        reboot_now(api, resp);
        break;
    default:
        respond_error(api, conn, resp, WEBOTA_ERR_HTTP_NOT_FOUND);
        break;
    }
    return WEBOTA_API_RESPOND;
}

bool webota_api_body(webota_api_t *api, webota_api_conn_t *conn, const void *data, size_t len)
{
    if (api->upload != conn || !conn->uploading || conn->failed) {
        return false;
    }
    webota_err_t err;
    if (conn->route == WEBOTA_API_ROUTE_FORM) {
        err = webota_mp_feed(&api->mp, data, len);
    } else {
        err = webota_update_write(&api->update, data, len);
    }
    if (err != WEBOTA_OK) {
        conn->failed = true;
        conn->err = err;
        return false;
    }
    return true;
}

static void respond_installed(webota_api_t *api, webota_api_conn_t *conn,
                              webota_api_response_t *resp)
{
    const webota_app_desc_t *d = webota_update_desc(&api->update);
    const webota_slot_info_t *s = webota_update_slot(&api->update);
    const char *version = d ? d->version : "";
    const char *project = d ? d->project_name : "";
    const char *slot = s ? s->label : "";
    resp->status = 200;
    resp->cache_control = "no-store";
    if (conn->route == WEBOTA_API_ROUTE_FORM && !conn->form_json) {
        char *b = api->buf;
        size_t cap = sizeof(api->buf), len = 0;
        b[0] = '\0';
        append(b, cap, &len,
               HTML_HEAD
               /* relative: the form is at <prefix>/update, the page at <prefix>/ */
               "<meta http-equiv=\"refresh\" content=\"15;url=./\">"
               "<title>Firmware installed</title></head><body><h1>Firmware installed</h1><p>");
        append_escaped(b, cap, &len, project);
        append(b, cap, &len, " ");
        append_escaped(b, cap, &len, version);
        append(b, cap, &len, " was written to ");
        append_escaped(b, cap, &len, slot);
        append(b, cap, &len,
               ". The device is rebooting into it.</p><p><a href=\"./\">Back to the updater</a> "
               "(this page returns there in 15 seconds).</p></body></html>");
        set_body(api, resp, CT_HTML, len);
        return;
    }
    webota_json_t j;
    webota_json_init(&j, api->buf, sizeof(api->buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "ok");
    webota_json_bool(&j, true);
    webota_json_key(&j, "project");
    webota_json_str(&j, project);
    webota_json_key(&j, "version");
    webota_json_str(&j, version);
    webota_json_key(&j, "slot");
    webota_json_str(&j, slot);
    webota_json_key(&j, "size");
    webota_json_uint(&j, webota_update_received(&api->update));
    webota_json_key(&j, "rebooting");
    webota_json_bool(&j, true);
    webota_json_obj_end(&j);
    size_t len = 0;
    webota_json_end(&j, &len);
    set_body(api, resp, CT_JSON, len);
}

void webota_api_end(webota_api_t *api, webota_api_conn_t *conn, webota_api_response_t *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->cache_control = "no-store";
    if (api->upload != conn || !conn->uploading) {
        respond_error(api, conn, resp, WEBOTA_ERR_STATE);
        return;
    }
    webota_err_t err = conn->err;
    if (!conn->failed && conn->route == WEBOTA_API_ROUTE_FORM) {
        err = webota_mp_finish(&api->mp);
        if (err == WEBOTA_OK && !conn->file_seen) {
            err = WEBOTA_ERR_MP_NO_FILE;
        }
    }
    if (!conn->failed && err == WEBOTA_OK) {
        err = webota_update_finish(&api->update);
    }
    api->upload = NULL;
    conn->uploading = false;
    if (err != WEBOTA_OK) {
        /* the session closed its slot on error; a form error outside the file
         * part (syntax, no file) must close it too */
        if (api->session_used) {
            webota_update_abort(&api->update);
        }
        bool from_session = api->session_used &&
                            webota_update_state(&api->update) == WEBOTA_UPDATE_FAILED &&
                            webota_update_error(&api->update) == err;
        respond_error_msg(api, conn, resp, err, from_session ? webota_update_message(&api->update) : NULL);
        return;
    }
    respond_installed(api, conn, resp);
    reboot_now(api, resp);
}

void webota_api_abort(webota_api_t *api, webota_api_conn_t *conn)
{
    if (api == NULL || conn == NULL || api->upload != conn) {
        return;
    }
    if (api->session_used) {
        webota_update_abort(&api->update);
    }
    api->upload = NULL;
    conn->uploading = false;
}

bool webota_api_busy(const webota_api_t *api)
{
    return api->upload != NULL;
}

const webota_update_t *webota_api_update(const webota_api_t *api)
{
    return &api->update;
}
