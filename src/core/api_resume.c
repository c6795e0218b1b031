/* Resumable uploads (see webota/api.h and docs/http-api.md): a raw upload
 * started with an id from POST /api/update/session is held in RAM when its
 * client goes away, and the same client (same id, same address) continues it
 * at the byte the session reached. The update session's whole state is in the
 * caller-owned api struct, so holding it is just not aborting it; the policy
 * (who may resume, where, for how long) is here; the clock comes from the
 * port (config.now_ms), the ids from the crypto seam (webota_random). */
#include <string.h>

#include "api_internal.h"
#include "textbuf.h"

#include "webota/crypto.h"
#include "webota/json.h"

bool webota_api_resume_on(const webota_api_t *api)
{
    return api->cfg.now_ms != NULL && !api->cfg.no_resume;
}

/* 0 in the config is the default, as for every other field */
uint32_t webota_api_resume_hold_ms(const webota_api_t *api)
{
    return api->cfg.resume_hold_ms != 0 ? api->cfg.resume_hold_ms : WEBOTA_API_RESUME_HOLD_MS;
}

static uint32_t now(const webota_api_t *api)
{
    return api->cfg.now_ms(api->cfg.ctx);
}

static uint32_t hold_left_ms(const webota_api_t *api)
{
    uint32_t gone = now(api) - api->held_since; /* wraps correctly */
    uint32_t hold = webota_api_resume_hold_ms(api);
    return gone >= hold ? 0 : hold - gone;
}

static void forget_id(webota_api_t *api)
{
    api->upload_id[0] = '\0';
    api->upload_client[0] = '\0';
    api->id_reserved = false;
    api->held = false;
    api->held_gzip = false;
    api->upload_total = 0;
}

/* Where the upload is: bytes of the body taken (compressed bytes for gzip). */
static uint32_t offset_reached(webota_api_t *api)
{
    return api->held_gzip ? (uint32_t)webota_gunzip_in(&api->gz)
                          : webota_update_received(&api->update);
}

/* The session ends as for any aborted upload: firmware and otadata untouched. */
static void end_held(webota_api_t *api)
{
    webota_update_abort(&api->update);
    if (api->held_gzip) {
        webota_gunzip_stop(&api->gz);
    }
    forget_id(api);
}

void webota_api_poll(webota_api_t *api)
{
    if (api != NULL && api->held && hold_left_ms(api) == 0) {
        end_held(api);
        webota_api_log(api, "held upload ", "not resumed within its hold time",
                       ": ended (firmware untouched), the updater is free again");
    }
}

bool webota_api_resume_hold(webota_api_t *api, webota_api_conn_t *conn)
{
    if (!conn->resumable || conn->failed || !webota_api_resume_on(api) ||
        webota_update_state(&api->update) != WEBOTA_UPDATE_RECEIVING) {
        return false;
    }
    api->held = true;
    api->held_since = now(api);
    api->upload = NULL;
    conn->uploading = false;
    return true;
}

void webota_api_resume_done(webota_api_t *api, const webota_api_conn_t *conn)
{
    if (conn->resumable) {
        forget_id(api);
    }
}

bool webota_api_query_value(const char *query, const char *key, char *out, size_t cap)
{
    if (query == NULL || cap == 0) {
        return false;
    }
    size_t klen = strlen(key);
    const char *p = query;
    while (*p != '\0') {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t vlen = len - klen - 1;
            if (vlen >= cap) {
                out[0] = '\0'; /* present but too long: matches no id */
                return true;
            }
            memcpy(out, p + klen + 1, vlen);
            out[vlen] = '\0';
            return true;
        }
        p += len;
        if (*p == '&') {
            p++;
        }
    }
    return false;
}

/* A decimal without sign or blanks, below 2^32. */
static bool parse_u32(const char *s, uint32_t *v)
{
    if (s == NULL || *s == '\0') {
        return false;
    }
    uint64_t n = 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        n = n * 10u + (uint64_t)(*s - '0');
        if (n > UINT32_MAX) {
            return false;
        }
    }
    *v = (uint32_t)n;
    return true;
}

static bool same_client(const webota_api_t *api, const webota_api_request_t *req)
{
    const char *remote = req->client != NULL ? req->client : "";
    return strcmp(api->upload_client, remote) == 0;
}

/* The id is the one handed out (compared in full, whatever its length) and
 * the request comes from the address it was handed to. */
static bool owns(const webota_api_t *api, const webota_api_request_t *req, const char *id)
{
    return api->upload_id[0] != '\0' && strcmp(api->upload_id, id) == 0 && same_client(api, req);
}

const char *webota_api_resume_busy_msg(webota_api_t *api, char *buf, size_t cap)
{
    if (!api->held) {
        return NULL;
    }
    webota_sb_t b;
    webota_sb_init(&b, buf, cap);
    webota_sb_s(&b, "an interrupted upload is held for its client for ");
    webota_sb_u(&b, (hold_left_ms(api) + 999u) / 1000u, 10);
    webota_sb_s(&b, " s more; only that client can resume or cancel it");
    return buf;
}

void webota_api_resume_new(webota_api_t *api, webota_api_conn_t *conn,
                           const webota_api_request_t *req, webota_api_response_t *resp)
{
    char msg[160];
    if (!webota_api_resume_on(api)) {
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_HTTP_NOT_FOUND,
                                     "this device does not hold interrupted uploads");
        return;
    }
    if (api->upload != NULL || api->held || api->reboot_pending) {
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_BUSY,
                                     webota_api_resume_busy_msg(api, msg, sizeof(msg)));
        return;
    }
    /* a new id replaces one handed out but not used yet */
    uint8_t rnd[16];
    if (webota_random(rnd, sizeof(rnd)) != WEBOTA_OK) {
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_CRYPTO,
                                     "no random source: cannot make an upload id");
        return;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(rnd); i++) {
        api->upload_id[2 * i] = hex[rnd[i] >> 4];
        api->upload_id[2 * i + 1] = hex[rnd[i] & 15u];
    }
    api->upload_id[2 * sizeof(rnd)] = '\0';
    memset(rnd, 0, sizeof(rnd));
    const char *remote = req->client != NULL ? req->client : "";
    size_t n = strlen(remote);
    if (n >= sizeof(api->upload_client)) {
        n = sizeof(api->upload_client) - 1;
    }
    memcpy(api->upload_client, remote, n);
    api->upload_client[n] = '\0';
    api->id_reserved = true;
    api->held = false;

    webota_json_t j;
    webota_json_init(&j, api->buf, sizeof(api->buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "ok");
    webota_json_bool(&j, true);
    webota_json_key(&j, "id");
    webota_json_str(&j, api->upload_id);
    webota_json_key(&j, "hold_s");
    webota_json_uint(&j, webota_api_resume_hold_ms(api) / 1000u);
    webota_json_obj_end(&j);
    size_t len = 0;
    webota_json_end(&j, &len);
    webota_api_set_body(api, resp, CT_JSON, len);
    resp->status = 200;
    resp->upload_id = api->upload_id;
}

int webota_api_resume_claim(webota_api_t *api, webota_api_conn_t *conn,
                            const webota_api_request_t *req, webota_api_response_t *resp,
                            const char *id, bool gz)
{
    char msg[200];
    if (!webota_api_resume_on(api) || !owns(api, req, id)) {
        if (api->upload != NULL || api->held) {
            webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_BUSY,
                                         webota_api_resume_busy_msg(api, msg, sizeof(msg)));
        } else {
            webota_api_respond_error(api, conn, resp, WEBOTA_ERR_UPD_RESUME_ID);
        }
        return WEBOTA_API_RESUME_REFUSED;
    }
    if (req->chunked || req->content_length < 0) {
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_HTTP_LENGTH_REQUIRED,
                                     "a resumable upload is sent with Content-Length");
        return WEBOTA_API_RESUME_REFUSED;
    }
    if (api->upload != NULL) {
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_BUSY,
                                     "this upload is still receiving on its earlier connection: "
                                     "retry once that connection has closed");
        return WEBOTA_API_RESUME_REFUSED;
    }
    uint32_t offset = 0;
    bool has_offset = req->upload_offset != NULL;
    if (has_offset && !parse_u32(req->upload_offset, &offset)) {
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_RESUME_OFFSET,
                                     "Upload-Offset must be a decimal byte count");
        return WEBOTA_API_RESUME_REFUSED;
    }
    if (api->id_reserved) {
        if (offset != 0 || req->content_length == 0) {
            webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_RESUME_OFFSET,
                                         "this upload has not started: send the whole image "
                                         "from byte 0");
            return WEBOTA_API_RESUME_REFUSED;
        }
        return WEBOTA_API_RESUME_START;
    }
    if (gz != api->held_gzip) {
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_HTTP_MEDIA_TYPE,
                                     api->held_gzip ? "this upload continues with Content-Encoding: gzip"
                                                    : "this upload continues uncompressed");
        return WEBOTA_API_RESUME_REFUSED;
    }
    /* held: continue exactly where the session is; nothing is written twice */
    uint32_t received = offset_reached(api);
    if (!has_offset || offset != received ||
        (uint64_t)offset + (uint64_t)req->content_length != api->upload_total) {
        webota_sb_t b;
        webota_sb_init(&b, msg, sizeof(msg));
        webota_sb_s(&b, "the device has received ");
        webota_sb_u(&b, received, 10);
        webota_sb_s(&b, " of ");
        webota_sb_u(&b, api->upload_total, 10);
        webota_sb_s(&b, " bytes: send Upload-Offset: ");
        webota_sb_u(&b, received, 10);
        webota_sb_s(&b, " and the remaining ");
        webota_sb_u(&b, api->upload_total - received, 10);
        webota_sb_s(&b, " bytes");
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_RESUME_OFFSET, msg);
        return WEBOTA_API_RESUME_REFUSED;
    }
    api->held = false;
    api->upload = conn;
    conn->uploading = true;
    conn->resumable = true;
    conn->gzip = api->held_gzip; /* the gzip parser and the inflater kept their state */
    return WEBOTA_API_RESUME_CONTINUE;
}

void webota_api_resume_started(webota_api_t *api, webota_api_conn_t *conn, uint32_t total)
{
    api->id_reserved = false;
    api->upload_total = total;
    api->held_gzip = conn->gzip;
    conn->resumable = true;
}

void webota_api_resume_query(webota_api_t *api, webota_api_conn_t *conn,
                             const webota_api_request_t *req, webota_api_response_t *resp,
                             bool cancel)
{
    char id[40];
    if (!webota_api_query_value(req->query, "id", id, sizeof(id)) || !owns(api, req, id)) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_UPD_RESUME_ID);
        return;
    }
    if (cancel) {
        if (api->upload != NULL) {
            webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_BUSY,
                                         "this upload is still receiving on a connection");
            return;
        }
        if (api->held) {
            end_held(api);
        } else {
            forget_id(api);
        }
        webota_api_respond_ok(api, resp, "aborted", false);
        return;
    }
    webota_json_t j;
    webota_json_init(&j, api->buf, sizeof(api->buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "id");
    webota_json_str(&j, api->upload_id);
    webota_json_key(&j, "state");
    webota_json_str(&j, api->id_reserved ? "new" : api->held ? "held" : "receiving");
    webota_json_key(&j, "offset");
    webota_json_uint(&j, api->id_reserved ? 0 : offset_reached(api));
    webota_json_key(&j, "total");
    webota_json_uint(&j, api->upload_total);
    if (api->held) {
        webota_json_key(&j, "hold_left_s");
        webota_json_uint(&j, (hold_left_ms(api) + 999u) / 1000u);
    }
    webota_json_obj_end(&j);
    size_t len = 0;
    webota_json_end(&j, &len);
    webota_api_set_body(api, resp, CT_JSON, len);
    resp->status = 200;
}
