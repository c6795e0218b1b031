/* POST /api/signature: the page sends the 4096-byte Secure Boot V2 sector of
 * the image it is about to upload, and learns, before sending the image, what
 * the device will find there: each block's scheme and key digest and whether
 * this device trusts that key (a browser on http:// has no SHA-256 to compute
 * a key digest itself). The signature proper is checked during the upload;
 * this only reads the blocks (webota_sig_block_parse). One check at a time. */
#include <string.h>

#include "api_internal.h"

#include "webota/json.h"

static int trusted_key(const webota_api_t *api, webota_sig_scheme_t scheme, const uint8_t *digest)
{
    const webota_sig_config_t *sig = api->cfg.policy.signature;
    if (sig == NULL || sig->keys == NULL || scheme == WEBOTA_SIG_SCHEME_ECDSA192) {
        return -1;
    }
    for (size_t i = 0; i < sig->key_count && i < 127; i++) {
        if (sig->keys[i].scheme == scheme && memcmp(sig->keys[i].digest, digest, WEBOTA_SIG_KEY_DIGEST_LEN) == 0) {
            return (int)i;
        }
    }
    return -1;
}

webota_api_action_t webota_api_sig_begin(webota_api_t *api, webota_api_conn_t *conn,
                                         const webota_api_request_t *req, webota_api_response_t *resp)
{
    if (req->content_length < 0 && !req->chunked) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_HTTP_LENGTH_REQUIRED);
        return WEBOTA_API_RESPOND;
    }
    if (req->content_length > (int64_t)WEBOTA_SIG_SECTOR_LEN) {
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_HTTP_TOO_LARGE,
                                     "send the 4096-byte signature sector only");
        return WEBOTA_API_RESPOND;
    }
    if (api->sigcheck != NULL) {
        webota_api_respond_error_msg(api, conn, resp, WEBOTA_ERR_UPD_BUSY,
                                     "another signature check is in progress");
        return WEBOTA_API_RESPOND;
    }
    api->sigcheck = conn;
    api->sig_received = 0;
    memset(api->sig_found, 0, sizeof(api->sig_found));
    for (unsigned i = 0; i < WEBOTA_SIG_BLOCKS; i++) {
        api->sig_found[i].trusted_key = -1;
        api->sig_found[i].digest_match = -1;
    }
    return WEBOTA_API_READ_BODY;
}

/* Block slot i is complete in api->sig_block. */
static void judge(webota_api_t *api, unsigned i)
{
    webota_sig_block_t *f = &api->sig_found[i];
    webota_sig_scheme_t scheme;
    webota_sig_block_state_t state;
    f->version = api->sig_block[1];
    if (webota_sig_block_parse(api->sig_block, &scheme, f->key_digest, &state) == WEBOTA_OK) {
        f->scheme = (uint8_t)scheme;
        f->trusted_key = (int8_t)trusted_key(api, scheme, f->key_digest);
    }
    f->state = (uint8_t)state;
}

bool webota_api_sig_body(webota_api_t *api, webota_api_conn_t *conn, const void *data, size_t len)
{
    if (api->sigcheck != conn || conn->failed) {
        return false;
    }
    if (len > WEBOTA_SIG_SECTOR_LEN - api->sig_received) {
        conn->failed = true;
        conn->err = WEBOTA_ERR_HTTP_TOO_LARGE;
        return false;
    }
    const uint8_t *p = data;
    while (len > 0) {
        uint32_t at = api->sig_received;
        size_t take = len;
        if (at < WEBOTA_SIG_BLOCKS * WEBOTA_SIG_BLOCK_LEN) {
            uint32_t in = at % WEBOTA_SIG_BLOCK_LEN;
            take = WEBOTA_SIG_BLOCK_LEN - in < len ? WEBOTA_SIG_BLOCK_LEN - in : len;
            memcpy(api->sig_block + in, p, take);
            if (in + take == WEBOTA_SIG_BLOCK_LEN) {
                judge(api, at / WEBOTA_SIG_BLOCK_LEN);
            }
        }
        api->sig_received += (uint32_t)take;
        p += take;
        len -= take;
    }
    return true;
}

void webota_api_sig_end(webota_api_t *api, webota_api_conn_t *conn, webota_api_response_t *resp)
{
    if (api->sigcheck != conn) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_STATE);
        return;
    }
    api->sigcheck = NULL;
    if (conn->failed) {
        webota_api_respond_error(api, conn, resp, conn->err);
        return;
    }
    const webota_sig_config_t *sig = api->cfg.policy.signature;
    webota_json_t j;
    webota_json_init(&j, api->buf, sizeof(api->buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "signed_only");
    webota_json_bool(&j, sig != NULL && sig->keys != NULL && sig->key_count > 0);
    webota_json_key(&j, "blocks");
    webota_json_arr_begin(&j);
    for (unsigned i = 0; i < WEBOTA_SIG_BLOCKS; i++) {
        const webota_sig_block_t *f = &api->sig_found[i];
        if ((i + 1) * WEBOTA_SIG_BLOCK_LEN > api->sig_received || f->state == WEBOTA_SIG_BLOCK_EMPTY) {
            continue;
        }
        webota_json_obj_begin(&j);
        webota_json_key(&j, "block");
        webota_json_uint(&j, i);
        webota_json_key(&j, "valid");
        webota_json_bool(&j, f->scheme != WEBOTA_SIG_SCHEME_NONE);
        if (f->scheme == WEBOTA_SIG_SCHEME_NONE) {
            webota_json_key(&j, "reason");
            webota_json_str(&j, webota_sig_block_state_text((webota_sig_block_state_t)f->state));
        } else {
            static const char digits[] = "0123456789abcdef";
            char hex[2 * WEBOTA_SIG_KEY_DIGEST_LEN + 1];
            for (unsigned k = 0; k < WEBOTA_SIG_KEY_DIGEST_LEN; k++) {
                hex[2 * k] = digits[f->key_digest[k] >> 4];
                hex[2 * k + 1] = digits[f->key_digest[k] & 15];
            }
            hex[sizeof(hex) - 1] = '\0';
            webota_json_key(&j, "scheme");
            webota_json_str(&j, webota_sig_scheme_name((webota_sig_scheme_t)f->scheme));
            webota_json_key(&j, "key_digest");
            webota_json_str(&j, hex);
            webota_json_key(&j, "trusted");
            webota_json_bool(&j, f->trusted_key >= 0);
        }
        webota_json_obj_end(&j);
    }
    webota_json_arr_end(&j);
    webota_json_obj_end(&j);
    size_t n = 0;
    if (webota_json_end(&j, &n) != WEBOTA_OK) {
        webota_api_respond_error(api, conn, resp, WEBOTA_ERR_NO_SPACE);
        return;
    }
    resp->status = 200;
    resp->cache_control = "no-store";
    webota_api_set_body(api, resp, CT_JSON, n);
}

void webota_api_sig_abort(webota_api_t *api, webota_api_conn_t *conn)
{
    if (api->sigcheck == conn) {
        api->sigcheck = NULL;
    }
}
