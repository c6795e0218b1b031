/* The HTTP API without a transport (see webota/api.h and docs/http-api.md):
 * routing, the upload streamed into an update session, and the JSON answers.
 * Everything a request needs is decided from its method, path, a few headers
 * and the body chunks; the answer is written into api->buf. Who may ask is in
 * api_auth.c, the form route's HTML and Accept negotiation in api_html.c, the
 * status JSON in api_status.c. */
#include <string.h>

#include "api_internal.h"
#include "textbuf.h"

#include "webota/json.h"

/* ---- request helpers ---- */

/* Media type of a Content-Type value equals `type` (parameters ignored). */
static bool media_type_is(const char *ct, const char *type)
{
    while (ascii_is_ws(*ct)) {
        ct++;
    }
    size_t n = strlen(type);
    if (strlen(ct) < n || !ascii_eq_ci_n(ct, type, n)) {
        return false;
    }
    ct += n;
    while (ascii_is_ws(*ct)) {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

/* A header value equals one token (case-insensitive, blanks around it ignored). */
static bool token_is(const char *v, const char *token)
{
    while (ascii_is_ws(*v)) {
        v++;
    }
    size_t n = strlen(token);
    if (strlen(v) < n || !ascii_eq_ci_n(v, token, n)) {
        return false;
    }
    v += n;
    while (ascii_is_ws(*v)) {
        v++;
    }
    return *v == '\0';
}

static bool true_word(const char *v, size_t len)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (len == strlen(yes[i]) && ascii_eq_ci_n(v, yes[i], len)) {
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

static void reboot_now(webota_api_t *api, webota_api_response_t *resp)
{
    api->reboot_pending = true;
    resp->reboot = true;
    if (api->cfg.request_reboot != NULL) {
        api->cfg.request_reboot(api->cfg.ctx);
    }
}

/* ---- update sessions ---- */

static webota_err_t session_begin(webota_api_t *api, uint32_t total, bool force)
{
    webota_update_policy_t policy = api->cfg.policy;
    webota_app_desc_t desc;
    if (webota_slot_running_desc(api->cfg.slot, &desc) == WEBOTA_OK) {
        policy.running_secure_version = desc.secure_version;
        memcpy(api->running_version, desc.version, sizeof(api->running_version));
        api->running_version[sizeof(api->running_version) - 1] = '\0';
        policy.running_version = api->running_version;
    } else {
        policy.running_version = NULL;
        policy.refuse_same_version = false;
        policy.refuse_older_version = false;
    }
    uint32_t sv;
    if (webota_slot_security_version(api->cfg.slot, &sv) == WEBOTA_OK) {
        policy.anti_rollback = true; /* the eFuse counter: an image below it would not boot */
        policy.security_version = sv;
    }
    api->session_used = true;
    return webota_update_begin(&api->update, api->cfg.slot, &policy, total, force);
}

/* ---- compressed uploads: gzip in front of the session ---- */

static webota_err_t gz_sink(void *ctx, const void *data, size_t len)
{
    webota_api_t *api = ctx;
    return webota_update_write(&api->update, data, len);
}

/* The session has begun: what inflates goes into it, up to its slot's size. */
static webota_err_t gzip_begin(webota_api_t *api, webota_api_conn_t *conn)
{
    if (api->cfg.inflate == NULL) {
        return WEBOTA_ERR_GZ_UNSUPPORTED;
    }
    const webota_slot_info_t *slot = webota_update_slot(&api->update);
    conn->gzip = true;
    return webota_gunzip_init(&api->gz, api->cfg.inflate, slot != NULL ? slot->size : 0, gz_sink,
                              api);
}

/* Image bytes of the upload: to the session, or through the gzip parser. */
static webota_err_t upload_write(webota_api_t *api, webota_api_conn_t *conn, const void *data,
                                 size_t len)
{
    if (conn->sniff && len > 0) {
        conn->sniff = false; /* an app image starts with 0xE9, a gzip stream with 0x1F */
        if (webota_gunzip_sniff(data, 1)) {
            webota_err_t err = gzip_begin(api, conn);
            if (err != WEBOTA_OK) {
                return err;
            }
        }
    }
    if (conn->gzip) {
        return webota_gunzip_feed(&api->gz, data, len);
    }
    return webota_update_write(&api->update, data, len);
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
        conn->sniff = true;
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
        return upload_write(api, conn, data, len);
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
            webota_api_respond_error(api, conn, resp, err);
            return WEBOTA_API_RESPOND;
        }
    } else if (req->content_type != NULL &&
               !media_type_is(req->content_type, "application/octet-stream")) {
        webota_api_respond_error_msg(
            api, conn, resp, WEBOTA_ERR_HTTP_MEDIA_TYPE,
            "send the image as application/octet-stream (or as a multipart form to /update)");
        return WEBOTA_API_RESPOND;
    }
    bool gz = false;
    if (req->content_encoding != NULL && !token_is(req->content_encoding, "identity")) {
        gz = !form && (token_is(req->content_encoding, "gzip") ||
                       token_is(req->content_encoding, "x-gzip"));
        if (!gz) {
            webota_api_respond_error_msg(
                api, conn, resp, WEBOTA_ERR_HTTP_MEDIA_TYPE,
                form ? "send the form without Content-Encoding (a .gz file in it is accepted)"
                     : "Content-Encoding must be gzip (or none)");
            return WEBOTA_API_RESPOND;
        }
        if (api->cfg.inflate == NULL) {
            webota_api_respond_error(api, conn, resp, WEBOTA_ERR_GZ_UNSUPPORTED);
            return WEBOTA_API_RESPOND;
        }
    }
    if (req->content_length < 0 && !req->chunked) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_LENGTH_REQUIRED);
        return WEBOTA_API_RESPOND;
    }
    webota_api_tick(api); /* a stalled upload gives way */
    char id[40];
    bool resumable = !form && webota_api_query_value(req->query, "id", id, sizeof(id));
    if (resumable && !api->reboot_pending) {
        int claim = webota_api_resume_claim(api, conn, req, resp, id, gz);
        if (claim == WEBOTA_API_RESUME_REFUSED) {
            return WEBOTA_API_RESPOND;
        }
        if (claim == WEBOTA_API_RESUME_CONTINUE) {
            webota_api_limits_start(api); /* the stall limits start again */
            return WEBOTA_API_READ_BODY;
        }
    } else if (api->upload != NULL || api->held || api->reboot_pending) {
        char msg[160];
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_BUSY,
                                     api->reboot_pending
                                         ? "the device is rebooting"
                                         : webota_api_resume_busy_msg(api, msg, sizeof(msg)));
        return WEBOTA_API_RESPOND;
    }
    /* the device's state refusals (pending_verify, ...), which the session
     * would only meet after the first bytes, made from the headers: with
     * Expect: 100-continue no body is sent in vain */
    err = webota_slot_check(api->cfg.slot, 0);
    if (err == WEBOTA_ERR_UPD_PENDING_VERIFY || err == WEBOTA_ERR_UPD_RUNNING_SLOT ||
        err == WEBOTA_ERR_UPD_BUSY) {
        webota_api_respond_error(api, conn, resp, err);
        return WEBOTA_API_RESPOND;
    }
    webota_slot_info_t next;
    err = webota_slot_next(api->cfg.slot, &next);
    if (err != WEBOTA_OK) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_UPD_NO_SLOT);
        return WEBOTA_API_RESPOND;
    }
    uint64_t limit = (uint64_t)next.size + (form ? WEBOTA_API_FORM_OVERHEAD : 0u);
    if (req->content_length > 0 && (uint64_t)req->content_length > limit) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_TOO_LARGE);
        return WEBOTA_API_RESPOND;
    }
    bool force = query_flag(req->query, "force");
    if (form) {
        webota_mp_callbacks_t cb = {api, mp_part_begin, mp_part_data, mp_part_end};
        err = webota_mp_init(&api->mp, boundary, &cb);
        conn->force = force;
    } else {
        /* a compressed body's length says nothing about the image's */
        uint32_t total = req->content_length > 0 && !gz ? (uint32_t)req->content_length : 0;
        err = session_begin(api, total, force);
        if (err == WEBOTA_OK && gz) {
            err = gzip_begin(api, conn);
        }
    }
    if (err != WEBOTA_OK) {
        webota_api_respond_error_msg(api, conn, resp, err,
                                     form ? NULL : webota_update_message(&api->update));
        return WEBOTA_API_RESPOND;
    }
    if (resumable) {
        webota_api_resume_started(api, conn, (uint32_t)req->content_length);
    }
    conn->uploading = true;
    api->upload = conn;
    webota_api_limits_start(api);
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
    if (strcmp(path, "/api/update/session") == 0) {
        return WEBOTA_API_ROUTE_UPLOAD_SESSION;
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
    if (strcmp(path, "/api/auth") == 0) {
        return WEBOTA_API_ROUTE_AUTH;
    }
    if (strcmp(path, "/api/signature") == 0) {
        return WEBOTA_API_ROUTE_SIGNATURE;
    }
    return WEBOTA_API_ROUTE_NONE;
}

void webota_api_config_init(webota_api_config_t *cfg, webota_slot_t *slot)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->slot = slot;
    webota_update_policy_init(&cfg->policy);
    cfg->chip = ""; /* NULL means the same (webota_api_init) */
}

webota_err_t webota_api_init(webota_api_t *api, const webota_api_config_t *cfg)
{
    if (api == NULL || cfg == NULL || cfg->slot == NULL || cfg->slot->ops == NULL) {
        return WEBOTA_ERR_ARG;
    }
    memset(api, 0, sizeof(*api));
    api->cfg = *cfg;
    if (api->cfg.chip == NULL) {
        api->cfg.chip = "";
    }
    return webota_api_auth_init(api);
}

webota_api_action_t webota_api_begin(webota_api_t *api, webota_api_conn_t *conn,
                                     const webota_api_request_t *req,
                                     webota_api_response_t *resp)
{
    memset(conn, 0, sizeof(*conn));
    memset(resp, 0, sizeof(*resp));
    resp->cache_control = "no-store";
    webota_api_poll(api);
    webota_api_secure_headers(resp);
    if (req->method == NULL || req->path == NULL) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_BAD_REQUEST);
        return WEBOTA_API_RESPOND;
    }
    webota_api_route_t route = route_of(req->path);
    conn->route = (uint8_t)route;
    /* decided first: every answer of the form route, errors included, follows it */
    conn->form_json = route == WEBOTA_API_ROUTE_FORM && webota_api_accept_wants_json(req->accept);
    if (!webota_api_host_ok(api, req->host)) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_WRONG_HOST);
        return WEBOTA_API_RESPOND;
    }
    if (route == WEBOTA_API_ROUTE_NONE) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_NOT_FOUND);
        return WEBOTA_API_RESPOND;
    }
    bool is_get = route == WEBOTA_API_ROUTE_PAGE || route == WEBOTA_API_ROUTE_STATUS ||
                  route == WEBOTA_API_ROUTE_AUTH;
    /* /api/update?id=ID also answers GET (a resumable upload's offset) and
     * DELETE (its end) */
    char id[4];
    bool update_extra = route == WEBOTA_API_ROUTE_UPDATE &&
                        (strcmp(req->method, "GET") == 0 || strcmp(req->method, "DELETE") == 0) &&
                        webota_api_query_value(req->query, "id", id, sizeof(id));
    if (strcmp(req->method, is_get ? "GET" : "POST") != 0 && !update_extra) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_METHOD);
        resp->allow = is_get ? "GET" : "POST";
        return WEBOTA_API_RESPOND;
    }
    if (strcmp(req->method, "GET") == 0 && !is_get) {
        is_get = true; /* GET /api/update changes nothing: no origin check */
    }
    /* the page and the challenge are public: the page logs in by itself */
    if (route != WEBOTA_API_ROUTE_PAGE && route != WEBOTA_API_ROUTE_AUTH) {
        webota_err_t aerr = webota_api_auth_check(api, req, &resp->retry_after);
        if (aerr != WEBOTA_OK) {
            webota_api_respond_error(api, conn, resp, aerr);
            return WEBOTA_API_RESPOND;
        }
    }
    if (!is_get && !webota_api_origin_ok(req)) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_FORBIDDEN);
        return WEBOTA_API_RESPOND;
    }
    if (api->cfg.on_request != NULL) {
        api->cfg.on_request(api->cfg.ctx, route);
    }
    webota_err_t err;
    switch (route) {
    case WEBOTA_API_ROUTE_PAGE:
        if (api->cfg.page_gz == NULL) {
            webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_NOT_FOUND);
            break;
        }
        resp->status = 200;
        resp->content_type = CT_HTML;
        resp->content_encoding = "gzip";
        resp->cache_control = "no-cache";
        resp->csp = api->cfg.page_csp != NULL ? api->cfg.page_csp : WEBOTA_API_CSP;
        resp->body = api->cfg.page_gz;
        resp->body_len = api->cfg.page_gz_len;
        break;
    case WEBOTA_API_ROUTE_STATUS:
        webota_api_respond_status(api, resp);
        break;
    case WEBOTA_API_ROUTE_AUTH:
        webota_api_respond_challenge(api, conn, resp);
        break;
    case WEBOTA_API_ROUTE_UPDATE:
        if (update_extra) {
            webota_api_resume_query(api, conn, req, resp, strcmp(req->method, "DELETE") == 0);
            break;
        }
        return begin_upload(api, conn, req, resp, false);
    case WEBOTA_API_ROUTE_UPLOAD_SESSION:
        webota_api_resume_new(api, conn, req, resp);
        break;
    case WEBOTA_API_ROUTE_FORM:
        return begin_upload(api, conn, req, resp, route == WEBOTA_API_ROUTE_FORM);
    case WEBOTA_API_ROUTE_SIGNATURE:
        return webota_api_sig_begin(api, conn, req, resp);
    case WEBOTA_API_ROUTE_CONFIRM:
        if (api->upload != NULL || api->held) {
            webota_api_respond_error(api, conn, resp, WEBOTA_ERR_UPD_BUSY);
            break;
        }
        err = webota_slot_confirm(api->cfg.slot);
        if (err != WEBOTA_OK) {
            webota_api_respond_error(api, conn, resp, err);
        } else {
            webota_api_respond_ok(api, resp, "valid", false);
        }
        break;
    case WEBOTA_API_ROUTE_ROLLBACK:
        if (api->upload != NULL || api->held || api->reboot_pending) {
            webota_api_respond_error(api, conn, resp, WEBOTA_ERR_UPD_BUSY);
            break;
        }
        err = webota_slot_rollback(api->cfg.slot);
        if (err != WEBOTA_OK) {
            webota_api_respond_error(api, conn, resp, err);
            break;
        }
        webota_api_respond_ok(api, resp, "invalid", true);
        reboot_now(api, resp);
        break;
    case WEBOTA_API_ROUTE_REBOOT:
        if (api->upload != NULL || api->held) {
            webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_BUSY,
                                         "an update is in progress: reboot after it");
            break;
        }
        webota_api_respond_ok(api, resp, NULL, true);
        reboot_now(api, resp);
        break;
    default:
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_NOT_FOUND);
        break;
    }
    return WEBOTA_API_RESPOND;
}

bool webota_api_body(webota_api_t *api, webota_api_conn_t *conn, const void *data, size_t len)
{
    if (conn->route == WEBOTA_API_ROUTE_SIGNATURE) {
        return webota_api_sig_body(api, conn, data, len);
    }
    if (api->upload != conn || !conn->uploading || conn->failed) {
        return false;
    }
    if (!webota_api_limits_data(api, len)) {
        return false; /* cut: conn->cut */
    }
    webota_err_t err;
    if (conn->route == WEBOTA_API_ROUTE_FORM) {
        err = webota_mp_feed(&api->mp, data, len);
    } else {
        err = upload_write(api, conn, data, len);
    }
    if (err != WEBOTA_OK) {
        conn->failed = true;
        conn->err = err;
        return false;
    }
    return true;
}

/* "<reason> at byte N of the compressed upload" for the gzip parser's own
 * errors; NULL (the plain reason) for the others. */
static const char *gzip_message(webota_api_t *api, const webota_api_conn_t *conn, webota_err_t err,
                                char *buf, size_t size)
{
    if (!conn->gzip || webota_gunzip_error(&api->gz) != err || err == WEBOTA_ERR_UPD_ABORTED) {
        return NULL;
    }
    webota_sb_t b;
    webota_sb_init(&b, buf, size);
    webota_sb_s(&b, webota_strerror(err));
    webota_sb_s(&b, " at byte ");
    webota_sb_u(&b, webota_gunzip_error_offset(&api->gz), 10);
    webota_sb_s(&b, " of the compressed upload");
    if (err == WEBOTA_ERR_GZ_TOO_BIG) {
        webota_sb_s(&b, " (slot holds ");
        webota_sb_u(&b, api->gz.limit, 10);
        webota_sb_s(&b, " bytes)");
    }
    return buf;
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
        webota_api_set_body(api, resp, CT_HTML,
                            webota_api_installed_html(api, project, version, slot));
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
    if (conn->gzip) {
        webota_json_key(&j, "compressed_size");
        webota_json_uint(&j, webota_gunzip_in(&api->gz));
    }
    webota_json_key(&j, "rebooting");
    webota_json_bool(&j, true);
    webota_json_obj_end(&j);
    size_t len = 0;
    webota_json_end(&j, &len);
    webota_api_set_body(api, resp, CT_JSON, len);
}

void webota_api_end(webota_api_t *api, webota_api_conn_t *conn, webota_api_response_t *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->cache_control = "no-store";
    webota_api_secure_headers(resp);
    if (conn->cut) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_TOO_SLOW);
        return;
    }
    if (conn->route == WEBOTA_API_ROUTE_SIGNATURE) {
        webota_api_sig_end(api, conn, resp);
        return;
    }
    if (api->upload != conn || !conn->uploading) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_STATE);
        return;
    }
    webota_err_t err = conn->err;
    if (!conn->failed && conn->route == WEBOTA_API_ROUTE_FORM) {
        err = webota_mp_finish(&api->mp);
        if (err == WEBOTA_OK && !conn->file_seen) {
            err = WEBOTA_ERR_MP_NO_FILE;
        }
    }
    if (!conn->failed && err == WEBOTA_OK && conn->gzip) {
        err = webota_gunzip_finish(&api->gz); /* the trailer, before anything is activated */
    }
    if (!conn->failed && err == WEBOTA_OK) {
        err = webota_update_finish(&api->update);
    }
    if (conn->gzip) {
        webota_gunzip_stop(&api->gz);
    }
    api->upload = NULL;
    conn->uploading = false;
    webota_api_resume_done(api, conn);
    if (err != WEBOTA_OK) {
        /* the session closed its slot on error; a form error outside the file
         * part (syntax, no file) must close it too */
        if (api->session_used) {
            webota_update_abort(&api->update);
        }
        bool from_session = api->session_used &&
                            webota_update_state(&api->update) == WEBOTA_UPDATE_FAILED &&
                            webota_update_error(&api->update) == err;
        char gz_msg[160];
        const char *msg = from_session ? webota_update_message(&api->update)
                                       : gzip_message(api, conn, err, gz_msg, sizeof(gz_msg));
        webota_api_respond_error_msg(api, conn, resp, err, msg);
        return;
    }
    respond_installed(api, conn, resp);
    reboot_now(api, resp);
}

void webota_api_abort(webota_api_t *api, webota_api_conn_t *conn)
{
    if (api != NULL && conn != NULL && conn->route == WEBOTA_API_ROUTE_SIGNATURE) {
        webota_api_sig_abort(api, conn);
        return;
    }
    if (api == NULL || conn == NULL || api->upload != conn) {
        return;
    }
    if (webota_api_resume_hold(api, conn)) {
        return; /* held for its client's return (api_resume.c) */
    }
    webota_api_resume_done(api, conn);
    if (api->session_used) {
        webota_update_abort(&api->update);
    }
    if (conn->gzip) {
        webota_gunzip_stop(&api->gz);
    }
    api->upload = NULL;
    conn->uploading = false;
}

bool webota_api_busy(const webota_api_t *api)
{
    return api->upload != NULL || api->held;
}
