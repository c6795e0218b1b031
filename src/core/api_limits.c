/* Time limits of an upload. Only one upload can run at a time, so a client
 * that sends a byte every few seconds would hold the updater for as long as
 * it likes: an upload that receives nothing for the idle time, or less than
 * the minimum rate over a window, is aborted (the update session closes its
 * slot: firmware and otadata untouched) and its connection is to be closed;
 * a resumable upload is held instead (api_resume.c), as after a drop.
 * The clock is the platform's (config.now_ms); without one there is no limit. */
#include "api_internal.h"

static uint32_t idle_ms(const webota_api_t *api)
{
    return api->cfg.upload_idle_ms != 0 ? api->cfg.upload_idle_ms : WEBOTA_API_UPLOAD_IDLE_MS;
}

static uint32_t window_min_bytes(const webota_api_t *api)
{
    uint32_t rate = api->cfg.upload_min_rate != 0 ? api->cfg.upload_min_rate : WEBOTA_API_MIN_RATE;
    return (uint32_t)((uint64_t)rate * WEBOTA_API_RATE_WINDOW_MS / 1000u);
}

uint32_t webota_api_now(const webota_api_t *api)
{
    return api->cfg.now_ms != NULL ? api->cfg.now_ms(api->cfg.ctx) : 0;
}

void webota_api_limits_start(webota_api_t *api)
{
    uint32_t now = webota_api_now(api);
    api->up_last_ms = now;
    api->win_start_ms = now;
    api->win_bytes = 0;
}

/* Aborts the upload in progress: too slow. */
static void cut(webota_api_t *api, const char *why)
{
    webota_api_conn_t *conn = api->upload;
    conn->cut = true;
    conn->err = WEBOTA_ERR_HTTP_TOO_SLOW;
    /* a resumable upload is held for its client, as if the link had dropped */
    if (webota_api_resume_hold(api, conn)) {
        conn->failed = true;
        webota_api_log(api, "upload ", why, ": connection closed, held for its client to resume");
        return;
    }
    webota_api_resume_done(api, conn);
    if (api->session_used) {
        webota_update_abort(&api->update);
    }
    conn->uploading = false;
    conn->failed = true;
    api->upload = NULL;
    webota_api_log(api, "upload ", why, ": aborted, the updater is free again");
}

/* Judges the upload in progress at `now`; true when it may go on. */
static bool judge(webota_api_t *api, uint32_t now)
{
    if (api->upload == NULL || api->cfg.now_ms == NULL) {
        return true;
    }
    if (now - api->up_last_ms > idle_ms(api)) {
        cut(api, "idle for too long");
        return false;
    }
    if (now - api->win_start_ms >= WEBOTA_API_RATE_WINDOW_MS) {
        if (api->win_bytes < window_min_bytes(api)) {
            cut(api, "too slow");
            return false;
        }
        api->win_start_ms = now;
        api->win_bytes = 0;
    }
    return true;
}

bool webota_api_limits_data(webota_api_t *api, size_t len)
{
    uint32_t now = webota_api_now(api);
    if (!judge(api, now)) {
        return false;
    }
    if (len > 0) {
        api->up_last_ms = now;
        uint64_t b = (uint64_t)api->win_bytes + len;
        api->win_bytes = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
    }
    return true;
}

void webota_api_tick(webota_api_t *api)
{
    if (api != NULL) {
        judge(api, webota_api_now(api));
    }
}

bool webota_api_conn_cut(const webota_api_conn_t *conn)
{
    return conn != NULL && conn->cut;
}
