/* Who may use the API: the password check (a challenge-response that never
 * sends the password), failed-login counting per client, and the same-origin
 * rule for state-changing requests.
 *
 * The device keeps a verifier: salt, iteration count and
 * key = PBKDF2-HMAC-SHA-256(password, salt, iterations). GET /api/auth hands
 * out the salt, the count and a fresh single-use nonce; the client derives the
 * key from the password and answers with
 *     Authorization: WebOTA-HMAC nonce="<hex>", mac="<hex HMAC-SHA-256(key,
 *                    nonce "\n" METHOD "\n" path["?" query])>"
 * The nonce is consumed by its first use (right or wrong) and expires after
 * WEBOTA_AUTH_NONCE_TTL_MS, so a captured request cannot be played again, and
 * the mac binds method and path, so it cannot be moved to another request.
 * Crypto only through webota/crypto.h (PSA). */
#include <string.h>

#include "api_internal.h"

#include "webota/crypto.h"
#include "webota/json.h"

#define SCHEME "WebOTA-HMAC"
#define KDF "pbkdf2-sha256"

/* ---- hex ---- */

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = ascii_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly 2n hex digits at s (not NUL-terminated necessarily). */
static bool from_hex(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* ---- verifiers ---- */

webota_err_t webota_auth_verifier_make(const char *password, size_t len,
                                       const uint8_t salt[WEBOTA_AUTH_SALT_LEN],
                                       uint32_t iterations, webota_auth_verifier_t *v)
{
    if (password == NULL || len == 0 || salt == NULL || v == NULL || iterations == 0 ||
        iterations > WEBOTA_AUTH_ITERATIONS_MAX) {
        return WEBOTA_ERR_ARG;
    }
    memcpy(v->salt, salt, WEBOTA_AUTH_SALT_LEN);
    v->iterations = iterations;
    return webota_pbkdf2_sha256(password, len, v->salt, WEBOTA_AUTH_SALT_LEN, iterations, v->key);
}

webota_err_t webota_auth_verifier_parse(const char *text, webota_auth_verifier_t *v)
{
    if (text == NULL || v == NULL) {
        return WEBOTA_ERR_ARG;
    }
    const size_t kl = sizeof(KDF) - 1;
    if (strncmp(text, KDF "$", kl + 1) != 0) {
        return WEBOTA_ERR_ARG;
    }
    const char *p = text + kl + 1;
    uint32_t it = 0;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits >= 7) {
            return WEBOTA_ERR_ARG;
        }
        it = it * 10u + (uint32_t)(*p - '0');
    }
    if (digits == 0 || *p != '$' || it == 0 || it > WEBOTA_AUTH_ITERATIONS_MAX) {
        return WEBOTA_ERR_ARG;
    }
    const char *salt = p + 1;
    const char *dollar = strchr(salt, '$');
    if (dollar == NULL) {
        return WEBOTA_ERR_ARG;
    }
    const char *key = dollar + 1;
    size_t klen = strlen(key);
    while (klen > 0 && (key[klen - 1] == '\n' || key[klen - 1] == '\r' || ascii_is_ws(key[klen - 1]))) {
        klen--; /* a verifier read from a file may end with a newline */
    }
    webota_auth_verifier_t out;
    if (!from_hex(salt, (size_t)(dollar - salt), out.salt, sizeof(out.salt)) ||
        !from_hex(key, klen, out.key, sizeof(out.key))) {
        return WEBOTA_ERR_ARG;
    }
    out.iterations = it;
    *v = out;
    return WEBOTA_OK;
}

webota_err_t webota_auth_verifier_format(const webota_auth_verifier_t *v, char *out, size_t cap)
{
    if (v == NULL || out == NULL) {
        return WEBOTA_ERR_ARG;
    }
    char salt[2 * WEBOTA_AUTH_SALT_LEN + 1], key[2 * WEBOTA_AUTH_KEY_LEN + 1];
    to_hex(v->salt, sizeof(v->salt), salt);
    to_hex(v->key, sizeof(v->key), key);
    webota_sb_t sb;
    webota_sb_init(&sb, out, cap);
    webota_sb_s(&sb, KDF "$");
    webota_sb_u(&sb, v->iterations, 10);
    webota_sb_s(&sb, "$");
    webota_sb_s(&sb, salt);
    webota_sb_s(&sb, "$");
    webota_sb_s(&sb, key);
    return sb.len < cap ? WEBOTA_OK : WEBOTA_ERR_NO_SPACE;
}

webota_err_t webota_auth_mac(const uint8_t key[WEBOTA_AUTH_KEY_LEN], const char *nonce_hex,
                             const char *method, const char *path, const char *query,
                             char mac_hex[2 * WEBOTA_AUTH_KEY_LEN + 1])
{
    if (key == NULL || nonce_hex == NULL || method == NULL || path == NULL || mac_hex == NULL) {
        return WEBOTA_ERR_ARG;
    }
    char msg[WEBOTA_API_AUTH_MSG_MAX];
    webota_sb_t sb;
    webota_sb_init(&sb, msg, sizeof(msg));
    webota_sb_s(&sb, nonce_hex);
    webota_sb_s(&sb, "\n");
    webota_sb_s(&sb, method);
    webota_sb_s(&sb, "\n");
    webota_sb_s(&sb, path);
    if (query != NULL && query[0] != '\0') {
        webota_sb_s(&sb, "?");
        webota_sb_s(&sb, query);
    }
    if (sb.len >= sizeof(msg)) {
        return WEBOTA_ERR_NO_SPACE;
    }
    uint8_t mac[WEBOTA_SHA256_LEN];
    webota_err_t err = webota_hmac_sha256(key, WEBOTA_AUTH_KEY_LEN, msg, sb.len, mac);
    if (err == WEBOTA_OK) {
        to_hex(mac, sizeof(mac), mac_hex);
    }
    return err;
}

/* ---- the device side ---- */

webota_err_t webota_api_auth_init(webota_api_t *api)
{
    if (api->cfg.auth == NULL) {
        api->auth_on = false;
        return WEBOTA_OK;
    }
    if (api->cfg.now_ms == NULL || api->cfg.auth->iterations == 0) {
        return WEBOTA_ERR_ARG; /* challenges must expire, blocks must end */
    }
    api->auth = *api->cfg.auth;
    api->auth_on = true;
    api->cfg.auth = NULL; /* the copy is the one used */
    return WEBOTA_OK;
}

static bool expired(const webota_api_nonce_t *n, uint32_t now)
{
    return now - n->issued_ms >= WEBOTA_AUTH_NONCE_TTL_MS;
}

/* GET /api/auth: {"required":false}, or the salt, iterations and a new nonce. */
void webota_api_respond_challenge(webota_api_t *api, const webota_api_conn_t *conn,
                                  webota_api_response_t *resp)
{
    webota_json_t j;
    webota_json_init(&j, api->buf, sizeof(api->buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "required");
    webota_json_bool(&j, api->auth_on);
    if (api->auth_on) {
        uint32_t now = webota_api_now(api);
        /* a free or expired slot, else the oldest challenge makes room */
        webota_api_nonce_t *slot = &api->nonces[0];
        for (size_t i = 0; i < WEBOTA_AUTH_NONCES; i++) {
            webota_api_nonce_t *n = &api->nonces[i];
            if (!n->live || expired(n, now)) {
                slot = n;
                break;
            }
            if (now - n->issued_ms > now - slot->issued_ms) {
                slot = n;
            }
        }
        if (webota_random(slot->nonce, sizeof(slot->nonce)) != WEBOTA_OK) {
            slot->live = false;
            webota_api_respond_error(api, conn, resp, WEBOTA_ERR_CRYPTO);
            return;
        }
        slot->issued_ms = now;
        slot->live = true;
        char hex[2 * WEBOTA_AUTH_SALT_LEN + 1];
        webota_json_key(&j, "scheme");
        webota_json_str(&j, SCHEME);
        webota_json_key(&j, "kdf");
        webota_json_str(&j, KDF);
        webota_json_key(&j, "iterations");
        webota_json_uint(&j, api->auth.iterations);
        to_hex(api->auth.salt, sizeof(api->auth.salt), hex);
        webota_json_key(&j, "salt");
        webota_json_str(&j, hex);
        to_hex(slot->nonce, sizeof(slot->nonce), hex);
        webota_json_key(&j, "nonce");
        webota_json_str(&j, hex);
        webota_json_key(&j, "expires_in");
        webota_json_uint(&j, WEBOTA_AUTH_NONCE_TTL_MS / 1000u);
    }
    webota_json_obj_end(&j);
    size_t len = 0;
    webota_json_end(&j, &len);
    resp->status = 200;
    resp->cache_control = "no-store";
    webota_api_set_body(api, resp, CT_JSON, len);
}

/* The value of param `name` in an Authorization header's parameter list
 * (name=value or name="value", comma separated); false when absent. */
static bool auth_param(const char *p, const char *name, const char **val, size_t *len)
{
    size_t nl = strlen(name);
    while (*p != '\0') {
        while (ascii_is_ws(*p) || *p == ',') {
            p++;
        }
        const char *key = p;
        while (*p != '\0' && *p != '=' && *p != ',' && !ascii_is_ws(*p)) {
            p++;
        }
        size_t klen = (size_t)(p - key);
        while (ascii_is_ws(*p)) {
            p++;
        }
        if (*p != '=') {
            continue;
        }
        p++;
        while (ascii_is_ws(*p)) {
            p++;
        }
        const char *v = p;
        if (*p == '"') {
            v = ++p;
            while (*p != '\0' && *p != '"') {
                p++;
            }
        } else {
            while (*p != '\0' && *p != ',' && !ascii_is_ws(*p)) {
                p++;
            }
        }
        size_t vlen = (size_t)(p - v);
        if (*p == '"') {
            p++;
        }
        if (klen == nl && ascii_eq_ci_n(key, name, nl)) {
            *val = v;
            *len = vlen;
            return true;
        }
    }
    return false;
}

static webota_api_client_t *client_of(webota_api_t *api, const char *addr, bool create,
                                      uint32_t now)
{
    char key[WEBOTA_AUTH_CLIENT_MAX + 1];
    size_t n = addr != NULL ? strlen(addr) : 0;
    if (n > WEBOTA_AUTH_CLIENT_MAX) {
        n = WEBOTA_AUTH_CLIENT_MAX;
    }
    if (n > 0) {
        memcpy(key, addr, n);
    }
    key[n] = '\0';
    webota_api_client_t *victim = NULL;
    for (size_t i = 0; i < WEBOTA_AUTH_CLIENTS; i++) {
        webota_api_client_t *c = &api->clients[i];
        if (c->failures > 0 && strcmp(c->addr, key) == 0) {
            return c;
        }
        /* room: an unused entry, else the one that failed longest ago */
        if (c->failures == 0) {
            if (victim == NULL || victim->failures != 0) {
                victim = c;
            }
        } else if (victim == NULL ||
                   (victim->failures != 0 && now - c->last_ms > now - victim->last_ms)) {
            victim = c;
        }
    }
    if (!create) {
        return NULL;
    }
    memset(victim, 0, sizeof(*victim));
    memcpy(victim->addr, key, n + 1);
    return victim;
}

static void log_client(webota_api_t *api, const char *what, const char *addr,
                       const webota_api_client_t *c, uint32_t block_ms)
{
    char line[160];
    webota_sb_t sb;
    webota_sb_init(&sb, line, sizeof(line));
    webota_sb_s(&sb, "login: ");
    webota_sb_s(&sb, what);
    webota_sb_s(&sb, " from ");
    webota_sb_s(&sb, addr != NULL && addr[0] != '\0' ? addr : "?");
    if (c != NULL) {
        webota_sb_s(&sb, " (");
        webota_sb_u(&sb, c->failures, 10);
        webota_sb_s(&sb, c->failures == 1 ? " failure" : " failures");
        if (block_ms > 0) {
            webota_sb_s(&sb, ", refused for ");
            webota_sb_u(&sb, (block_ms + 999u) / 1000u, 10);
            webota_sb_s(&sb, " s");
        }
        webota_sb_s(&sb, ")");
    }
    webota_api_log(api, line, NULL, NULL);
}

webota_err_t webota_api_auth_check(webota_api_t *api, const webota_api_request_t *req,
                                   unsigned *retry_after)
{
    *retry_after = 0;
    if (!api->auth_on) {
        return WEBOTA_OK;
    }
    uint32_t now = webota_api_now(api);
    webota_api_client_t *c = client_of(api, req->client, false, now);
    if (c != NULL && c->blocked && (int32_t)(c->blocked_until_ms - now) > 0) {
        *retry_after = (c->blocked_until_ms - now + 999u) / 1000u;
        return WEBOTA_ERR_HTTP_RATE_LIMITED;
    }
    const char *a = req->authorization;
    if (a == NULL) {
        return WEBOTA_ERR_HTTP_UNAUTHORIZED;
    }
    while (ascii_is_ws(*a)) {
        a++;
    }
    const size_t sl = sizeof(SCHEME) - 1;
    if (strlen(a) <= sl || !ascii_eq_ci_n(a, SCHEME, sl) || !ascii_is_ws(a[sl])) {
        return WEBOTA_ERR_HTTP_UNAUTHORIZED;
    }
    a += sl;
    const char *nv = NULL, *mv = NULL;
    size_t nlen = 0, mlen = 0;
    uint8_t nonce[WEBOTA_AUTH_NONCE_LEN], mac[WEBOTA_SHA256_LEN];
    if (!auth_param(a, "nonce", &nv, &nlen) || !auth_param(a, "mac", &mv, &mlen) ||
        !from_hex(nv, nlen, nonce, sizeof(nonce)) || !from_hex(mv, mlen, mac, sizeof(mac))) {
        return WEBOTA_ERR_HTTP_UNAUTHORIZED;
    }
    /* the nonce: issued here, not used, not expired; used up now */
    webota_api_nonce_t *n = NULL;
    for (size_t i = 0; i < WEBOTA_AUTH_NONCES; i++) {
        if (api->nonces[i].live && memcmp(api->nonces[i].nonce, nonce, sizeof(nonce)) == 0) {
            n = &api->nonces[i];
            break;
        }
    }
    if (n == NULL || expired(n, now)) {
        if (n != NULL) {
            n->live = false;
        }
        log_client(api, "unknown, used or expired challenge", req->client, NULL, 0);
        return WEBOTA_ERR_HTTP_AUTH_STALE;
    }
    n->live = false;
    char nonce_hex[2 * WEBOTA_AUTH_NONCE_LEN + 1], want_hex[2 * WEBOTA_SHA256_LEN + 1];
    to_hex(nonce, sizeof(nonce), nonce_hex);
    if (webota_auth_mac(api->auth.key, nonce_hex, req->method, req->path, req->query, want_hex) !=
        WEBOTA_OK) {
        return WEBOTA_ERR_HTTP_UNAUTHORIZED;
    }
    uint8_t want[WEBOTA_SHA256_LEN];
    from_hex(want_hex, 2 * sizeof(want), want, sizeof(want));
    unsigned diff = 0;
    for (size_t i = 0; i < sizeof(mac); i++) {
        diff |= (unsigned)(mac[i] ^ want[i]); /* constant time */
    }
    if (diff == 0) {
        if (c != NULL) {
            memset(c, 0, sizeof(*c));
        }
        return WEBOTA_OK;
    }
    c = client_of(api, req->client, true, now);
    c->failures++;
    c->last_ms = now;
    uint32_t block = 0;
    if (c->failures >= WEBOTA_AUTH_FREE_FAILURES) {
        uint32_t shift = c->failures - WEBOTA_AUTH_FREE_FAILURES;
        block = shift >= 16 ? WEBOTA_AUTH_BLOCK_MAX_MS : 1000u << shift;
        if (block > WEBOTA_AUTH_BLOCK_MAX_MS) {
            block = WEBOTA_AUTH_BLOCK_MAX_MS;
        }
        c->blocked = true;
        c->blocked_until_ms = now + block;
    }
    log_client(api, "wrong password", req->client, c, block);
    return WEBOTA_ERR_HTTP_UNAUTHORIZED;
}

/* Same-origin rule for state-changing requests: no Origin (curl, older
 * browsers' same-origin posts) passes; otherwise its host[:port] must be the
 * Host header. */
bool webota_api_origin_ok(const webota_api_request_t *req)
{
    const char *o = req->origin;
    if (o == NULL) {
        return true;
    }
    if (req->host == NULL || req->host[0] == '\0') {
        return false;
    }
    if (strlen(o) > 7 && ascii_eq_ci_n(o, "http://", 7)) {
        o += 7;
    } else if (strlen(o) > 8 && ascii_eq_ci_n(o, "https://", 8)) {
        o += 8;
    } else {
        return false; /* "null" and other schemes */
    }
    size_t olen = strlen(o);
    if (olen > 0 && o[olen - 1] == '/') {
        olen--;
    }
    return olen == strlen(req->host) && ascii_eq_ci_n(o, req->host, olen);
}
