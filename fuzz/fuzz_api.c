/* libFuzzer target for the HTTP API: random request sequences (routes,
 * methods, content types, lengths, origins, passwords) with random bodies in
 * random chunks, against a device on a RAM flash (slot_flash over a small
 * NOR-rule flash: factory + ota_0 + ota_1 of 64 KiB). Checks: every answer
 * has a known status and a body, JSON answers are objects, the api is never
 * left busy after end/abort (unless a resumable upload is held), and the
 * firmware being run is never touched.
 *
 * Input: per request a 4-byte header [route|method, ctype|length mode,
 * origin|auth|force|abort, chunk], a 2-byte body length (little endian) and a
 * resume byte (bit 0: ?id= the id handed out, bit 1: a wrong one instead;
 * bit 2: Upload-Offset = the offset reached + (bits 4-7) - 8; the clock
 * advances 0.5 s per request besides the moves below, the hold time is 5 s),
 * then the body; a body starting with 'G' is the good image with the rest of
 * the body XORed over it (so that the fuzzer reaches deep into the checker).
 * Bits 6-7 of the second header byte: 3 = the body's first line is the Accept
 * header (the form route's HTML/JSON choice; HTML answers must be whole
 * documents within the answer buffer), 2 = the Host header (the allow-list's
 * parser), 1 = the Authorization header (the login parser). With a password
 * (size & 2), auth choice 1 is a valid answer to the newest challenge, so that
 * requests get past the login; bits 6-7 of the third byte move the clock
 * (upload time limits, challenge expiry, failed-login blocks). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webota/api.h"
#include "webota/image_make.h"
#include "webota/parttable.h"
#include "webota/slot_flash.h"

#define FLASH_SIZE (512u * 1024u)
#define SECTORS (FLASH_SIZE / WEBOTA_SECTOR_SIZE)
#define FACTORY 0x20000u

static uint8_t mem[FLASH_SIZE], pristine[FLASH_SIZE];
static uint8_t dirty[SECTORS];
static uint8_t good[80 * 1024];
static size_t good_len;

static webota_err_t f_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    (void)ctx;
    if (addr > FLASH_SIZE || len > FLASH_SIZE - addr) {
        return WEBOTA_ERR_FLASH_RANGE;
    }
    memcpy(buf, mem + addr, len);
    return WEBOTA_OK;
}

static webota_err_t f_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    (void)ctx;
    if (addr > FLASH_SIZE || len > FLASH_SIZE - addr) {
        return WEBOTA_ERR_FLASH_RANGE;
    }
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++) {
        mem[addr + i] &= b[i];
        dirty[(addr + i) / WEBOTA_SECTOR_SIZE] = 1;
    }
    return WEBOTA_OK;
}

static webota_err_t f_erase(void *ctx, uint32_t addr, size_t len)
{
    (void)ctx;
    if (addr % WEBOTA_SECTOR_SIZE || len % WEBOTA_SECTOR_SIZE) {
        return WEBOTA_ERR_FLASH_ALIGN;
    }
    if (addr > FLASH_SIZE || len > FLASH_SIZE - addr) {
        return WEBOTA_ERR_FLASH_RANGE;
    }
    memset(mem + addr, 0xFF, len);
    for (size_t s = addr / WEBOTA_SECTOR_SIZE; s < (addr + len) / WEBOTA_SECTOR_SIZE; s++) {
        dirty[s] = 1;
    }
    return WEBOTA_OK;
}

static const webota_flash_t flash = {NULL, FLASH_SIZE, f_read, f_program, f_erase};

static webota_err_t img_sink(void *ctx, const void *d, size_t n)
{
    size_t *len = ctx;
    if (*len + n > sizeof(good)) {
        abort();
    }
    memcpy(good + *len, d, n);
    *len += n;
    return WEBOTA_OK;
}

static void make_flash(void)
{
    static const char csv[] = "nvs,data,nvs,0x9000,0x4000,\n"
                              "otadata,data,ota,0xd000,0x2000,\n"
                              "phy_init,data,phy,0xf000,0x1000,\n"
                              "factory,app,factory,0x20000,0x10000,\n"
                              "ota_0,app,ota_0,0x30000,0x10000,\n"
                              "ota_1,app,ota_1,0x40000,0x10000,\n";
    webota_parttable_t pt;
    webota_pt_csv_opts_t o;
    webota_pt_csv_opts_init(&o);
    if (webota_pt_from_csv(&pt, csv, strlen(csv), &o, NULL) != WEBOTA_OK) {
        abort();
    }
    memset(pristine, 0xFF, sizeof(pristine));
    if (webota_pt_build(&pt, true, pristine + WEBOTA_PT_OFFSET_DEFAULT) != WEBOTA_OK) {
        abort();
    }
    webota_image_make_opts_t io;
    webota_image_make_defaults(&io, WEBOTA_CHIP_ESP32);
    io.project = "fuzz";
    io.version = "1.0.0";
    good_len = 0;
    if (webota_image_make(&io, img_sink, &good_len) != WEBOTA_OK || good_len > 0x10000) {
        abort();
    }
    memcpy(pristine + FACTORY, good, good_len);
    /* the image offered for updates: another version */
    io.version = "2.0.0";
    good_len = 0;
    webota_image_make(&io, img_sink, &good_len);
    memcpy(mem, pristine, sizeof(mem));
}

static int reboots;
static void on_reboot(void *ctx)
{
    (void)ctx;
    reboots++;
}

static const char *const paths[] = {"/", "/api/status", "/api/update", "/update", "/api/confirm",
                                    "/api/rollback", "/api/reboot", "/index.html", "/x", "",
                                    "/api/auth", "/api/signature", "/api/update/session"};
static const char *const ctypes[] = {NULL, "application/octet-stream", "multipart/form-data; boundary=fz",
                                     "text/plain", "multipart/form-data", "Application/Octet-Stream ; x=1"};
static const char *const origins[] = {NULL, "http://dev", "http://evil", "null"};
static const char *const auths[] = {NULL, "(valid)", "Basic dTpwdw==" /* u:pw in clear */,
                                    "WebOTA-HMAC nonce=\"00000000000000000000000000000000\", mac=\"00\""};
static const char *const hosts[] = {"dev"};
static uint32_t now;

static uint32_t clock_ms(void *ctx)
{
    (void)ctx;
    return now;
}

/* A valid login for method + path + query: the newest live challenge. */
static const char *valid_login(const webota_api_t *api, const webota_api_request_t *req)
{
    static char line[200];
    const webota_api_nonce_t *n = NULL;
    for (size_t i = 0; i < WEBOTA_AUTH_NONCES; i++) {
        if (api->nonces[i].live && (n == NULL || api->nonces[i].issued_ms - n->issued_ms < 0x80000000u)) {
            n = &api->nonces[i];
        }
    }
    if (n == NULL) {
        return NULL;
    }
    char nonce[2 * WEBOTA_AUTH_NONCE_LEN + 1], mac[2 * WEBOTA_AUTH_KEY_LEN + 1];
    for (size_t i = 0; i < WEBOTA_AUTH_NONCE_LEN; i++) {
        snprintf(nonce + 2 * i, 3, "%02x", n->nonce[i]);
    }
    if (webota_auth_mac(api->auth.key, nonce, req->method, req->path, req->query, mac) != WEBOTA_OK) {
        abort();
    }
    snprintf(line, sizeof(line), "WebOTA-HMAC nonce=\"%s\", mac=\"%s\"", nonce, mac);
    return line;
}

static void check(const webota_api_response_t *r)
{
    static const int ok[] = {200, 400, 401, 403, 404, 405, 408, 409, 411, 413, 415, 416, 421, 422, 429, 500};
    bool known = false;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        known = known || r->status == ok[i];
    }
    if (!known || r->body == NULL || r->body_len == 0 || r->content_type == NULL) {
        abort();
    }
    if (strcmp(r->content_type, "application/json") == 0 &&
        (r->body[0] != '{' || r->body[r->body_len - 1] != '}')) {
        abort();
    }
    /* the form route's pages (not the gzipped page) are whole documents */
    static const char head[] = "<!doctype html><html>", tail[] = "</body></html>";
    if (strncmp(r->content_type, "text/html", 9) == 0 && r->content_encoding == NULL &&
        (r->body_len < sizeof(head) + sizeof(tail) ||
         memcmp(r->body, head, sizeof(head) - 1) != 0 ||
         memcmp(r->body + r->body_len - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0 ||
         r->body_len >= WEBOTA_API_BODY_MAX)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        make_flash();
        init = true;
    }
    for (size_t s = 0; s < SECTORS; s++) {
        if (dirty[s]) {
            memcpy(mem + s * WEBOTA_SECTOR_SIZE, pristine + s * WEBOTA_SECTOR_SIZE, WEBOTA_SECTOR_SIZE);
            dirty[s] = 0;
        }
    }
    static webota_slot_flash_t slot;
    webota_slot_flash_config_t sc;
    webota_slot_flash_config_init(&sc, &flash, FACTORY);
    sc.rollback = (size & 1) != 0;
    if (webota_slot_flash_init(&slot, &sc) != WEBOTA_OK) {
        abort();
    }
    static webota_slot_ops_t ops;
    webota_slot_flash_ops(&slot, &ops);
    static webota_slot_t rules;
    (void)webota_slot_init(&rules, &ops);
    static webota_api_t api;
    webota_api_config_t ac;
    webota_api_config_init(&ac, &rules);
    ac.policy.check_chip = true;
    ac.policy.chip = WEBOTA_CHIP_ESP32;
    ac.chip = "esp32";
    ac.chip_rev = -1;
    static webota_auth_verifier_t verifier;
    static bool have_verifier;
    if (!have_verifier) {
        static const uint8_t salt[WEBOTA_AUTH_SALT_LEN] = {1, 2, 3};
        if (webota_auth_verifier_make("pw", 2, salt, 1, &verifier) != WEBOTA_OK) {
            abort();
        }
        have_verifier = true;
    }
    ac.auth = (size & 2) ? &verifier : NULL;
    ac.hosts = hosts;
    ac.hosts_count = 1;
    ac.now_ms = clock_ms;
    static const unsigned char page[] = {0x1f, 0x8b};
    ac.page_gz = page;
    ac.page_gz_len = sizeof(page);
    ac.request_reboot = on_reboot;
    ac.resume_hold_ms = 5000;
    if (webota_api_init(&api, &ac) != WEBOTA_OK) {
        abort();
    }
    static uint8_t body[70 * 1024];
    size_t pos = 0;
    now = 1000; /* each input replays the same way */
    while (pos + 7 <= size) {
        const uint8_t *h = data + pos;
        pos += 7;
        now += 500;
        size_t blen = (size_t)h[4] | ((size_t)h[5] << 8);
        if (blen > size - pos) {
            blen = size - pos;
        }
        const uint8_t *b = data + pos;
        pos += blen;
        /* h[1] bits 6-7: the body's first line is a header (3 Accept, 2 Host, 1 Authorization) */
        static char accept[256];
        int own = h[1] >> 6;
        bool own_accept = own == 3;
        if (own != 0) {
            const uint8_t *nl = memchr(b, '\n', blen < sizeof(accept) ? blen : sizeof(accept) - 1);
            size_t alen = nl != NULL ? (size_t)(nl - b) : (blen < sizeof(accept) ? blen : sizeof(accept) - 1);
            memcpy(accept, b, alen);
            accept[alen] = '\0';
            size_t skip = nl != NULL ? alen + 1 : alen;
            b += skip;
            blen -= skip;
        }
        size_t n = blen;
        if (blen > 0 && b[0] == 'G') {
            memcpy(body, good, good_len);
            for (size_t i = 1; i < blen && i - 1 < good_len; i++) {
                body[(i - 1) * 7919 % good_len] ^= b[i];
            }
            n = good_len - (blen > 1 ? b[1] % 4 : 0) * 100;
        } else {
            memcpy(body, b, blen);
        }
        webota_api_request_t req;
        memset(&req, 0, sizeof(req));
        req.method = (h[0] & 0xc0) == 0xc0 ? "DELETE"
                     : (h[0] & 0x80)       ? "GET"
                     : (h[0] & 0x40)       ? "PUT"
                                           : "POST";
        req.path = paths[(h[0] & 0x3f) % 13];
        static char query[96], offset[24];
        snprintf(query, sizeof(query), "%s%s%s", (h[2] & 0x20) ? "force=1&" : "",
                 (h[6] & 1) ? "id=" : "",
                 (h[6] & 1) ? ((h[6] & 2) ? "0123456789abcdef0123456789abcdef" : api.upload_id) : "");
        req.query = query;
        if (h[6] & 4) {
            uint32_t at = api.held_gzip ? webota_gunzip_in(&api.gz) : webota_update_received(&api.update);
            snprintf(offset, sizeof(offset), "%ld", (long)at + (long)(h[6] >> 4) - 8);
            req.upload_offset = offset;
        }
        req.content_type = ctypes[(h[1] & 0x0f) % 6];
        int lm = (h[1] >> 4) % 4;
        req.content_length = lm == 0 ? (int64_t)n : lm == 1 ? -1 : lm == 2 ? (int64_t)n + 7 : (int64_t)0x7fffffff;
        req.chunked = lm == 1 && (h[2] & 0x40);
        req.host = own == 2 ? accept : "dev";
        req.origin = origins[h[2] & 3];
        req.authorization = own == 1 ? accept : auths[(h[2] >> 2) & 3];
        if (own != 1 && ((h[2] >> 2) & 3) == 1) {
            req.authorization = valid_login(&api, &req);
        }
        req.client = (h[3] & 1) ? "10.0.0.1" : "10.0.0.2"; /* also a held upload's owner */
        req.accept = own_accept ? accept : (h[2] & 0x10) ? "application/json" : "text/html";
        now += (uint32_t)(h[2] >> 6) * 4000u;
        webota_api_conn_t conn;
        webota_api_response_t resp;
        webota_api_tick(&api);
        if (webota_api_begin(&api, &conn, &req, &resp) == WEBOTA_API_READ_BODY) {
            size_t step = (size_t)h[3] * 17 + 1;
            bool aborted = false;
            for (size_t off = 0; off < n; off += step) {
                size_t k = n - off < step ? n - off : step;
                if (!webota_api_body(&api, &conn, body + off, k)) {
                    break;
                }
                if ((h[2] & 0x80) && off > n / 2) {
                    webota_api_abort(&api, &conn);
                    aborted = true;
                    break;
                }
            }
            if (aborted) {
                if (webota_api_busy(&api) && !api.held) {
                    abort();
                }
                continue;
            }
            webota_api_end(&api, &conn, &resp);
            if (webota_api_busy(&api)) {
                abort();
            }
        }
        check(&resp);
    }
    /* the running firmware is never written */
    if (memcmp(mem + FACTORY, pristine + FACTORY, 0x10000) != 0) {
        abort();
    }
    return 0;
}
