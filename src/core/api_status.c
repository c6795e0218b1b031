/* GET /api/status: the running and next slots, the running app, the update
 * session and whether the device is about to reboot, as one JSON object. */
#include <string.h>

#include "api_internal.h"

#include "webota/json.h"
#include "webota/sigblock.h"

/* "ecdsa256:8efe...": a trusted key as the status names it. */
static void key_json(webota_json_t *j, const webota_sig_key_t *k)
{
    static const char digits[] = "0123456789abcdef";
    char text[16 + 1 + 2 * WEBOTA_SIG_KEY_DIGEST_LEN + 1];
    const char *name = webota_sig_scheme_name((webota_sig_scheme_t)k->scheme);
    size_t n = strlen(name);
    memcpy(text, name, n);
    text[n++] = ':';
    for (size_t i = 0; i < WEBOTA_SIG_KEY_DIGEST_LEN; i++) {
        text[n++] = digits[k->digest[i] >> 4];
        text[n++] = digits[k->digest[i] & 15];
    }
    text[n] = '\0';
    webota_json_str(j, text);
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

void webota_api_respond_status(webota_api_t *api, webota_api_response_t *resp)
{
    const webota_slot_t *slot = api->cfg.slot;
    webota_app_desc_t desc;
    bool have_desc = webota_slot_running_desc(slot, &desc) == WEBOTA_OK;
    webota_slot_info_t run, next;
    bool have_run = webota_slot_running(slot, &run) == WEBOTA_OK;
    bool have_next = webota_slot_next(slot, &next) == WEBOTA_OK;

    webota_json_t j;
    webota_json_init(&j, api->buf, sizeof(api->buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "chip");
    webota_json_str(&j, api->cfg.chip);
    if (api->cfg.chip_rev_known) {
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
    uint32_t security_version;
    webota_json_key(&j, "security_version"); /* the anti-rollback eFuse counter, null without */
    if (webota_slot_security_version(slot, &security_version) == WEBOTA_OK) {
        webota_json_uint(&j, security_version);
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
    webota_json_bool(&j, webota_slot_rollback_possible(slot));
    webota_json_key(&j, "require_marker");
    webota_json_bool(&j, !api->cfg.policy.allow_no_marker);
    /* signed images only: which keys (scheme and SBv2 key digest) */
    const webota_sig_config_t *sig = api->cfg.policy.signature;
    size_t nkeys = sig != NULL && sig->keys != NULL ? sig->key_count : 0;
    webota_json_key(&j, "signed_only");
    webota_json_bool(&j, nkeys > 0);
    webota_json_key(&j, "trusted_keys");
    webota_json_arr_begin(&j);
    for (size_t i = 0; i < nkeys && i < 8; i++) {
        key_json(&j, &sig->keys[i]);
    }
    webota_json_arr_end(&j);
    /* compressed uploads: accepted, and the RAM the inflater holds for them */
    webota_json_key(&j, "gzip");
    webota_json_bool(&j, api->cfg.inflate != NULL);
    if (api->cfg.inflate != NULL) {
        webota_json_key(&j, "inflate");
        webota_json_obj_begin(&j);
        webota_json_key(&j, "name");
        webota_json_str(&j, api->cfg.inflate->name != NULL ? api->cfg.inflate->name : "");
        webota_json_key(&j, "window");
        webota_json_uint(&j, api->cfg.inflate->window_bytes);
        webota_json_key(&j, "ram");
        webota_json_uint(&j, api->cfg.inflate->state_bytes);
        webota_json_obj_end(&j);
    }
    /* resumable uploads: how long a dropped one is held (0: not held) */
    webota_json_key(&j, "resume_hold_s");
    webota_json_uint(&j, webota_api_resume_on(api) ? (webota_api_resume_hold_ms(api) + 999u) / 1000u : 0);
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
    webota_json_key(&j, "held"); /* a dropped resumable upload waits for its client */
    webota_json_bool(&j, api->held);
    webota_json_obj_end(&j);
    webota_json_key(&j, "rebooting");
    webota_json_bool(&j, api->reboot_pending);
    if (api->cfg.status_fields != NULL) {
        api->cfg.status_fields(api->cfg.ctx, &j);
    }
    webota_json_obj_end(&j);
    size_t len = 0;
    if (webota_json_end(&j, &len) != WEBOTA_OK) {
        webota_api_respond_error(api, NULL, resp, WEBOTA_ERR_NO_SPACE);
        return;
    }
    resp->status = 200;
    resp->cache_control = "no-store";
    webota_api_set_body(api, resp, CT_JSON, len);
}
