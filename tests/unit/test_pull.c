/* The pull module (webota/pull.h) on a simulated device (RAM flash, the real
 * bootloader, slot writer and update session), with manifests signed by the
 * real CLI (`webota keygen`, `webota release sign`):
 *   - the manifest signature: trusted P-256 and P-384 keys, an untrusted key,
 *     a changed manifest, a cut or padded signature, two blocks, no keys;
 *   - every manifest verdict (revoked, project, chip, not newer, unordered
 *     version, secure_version, not in rollout, malformed, server errors, 304);
 *   - the download: any chunking, a dropped connection resumed at the right
 *     offset, bytes sent again skipped, a gap, too many bytes, a 404, a hash
 *     that differs from the manifest's, an image the session refuses; every
 *     refusal leaves the flash outside the target slot (otadata included)
 *     untouched;
 *   - the chip revision, as for an upload (refused at the header);
 *   - the image's own signature, as for an upload: unsigned, untrusted key,
 *     mismatching signature refused before activation; a trusted key installs;
 *   - activation, reboot, confirm, and the record: a confirmed release is
 *     settled; one that rolled back is blocked for good (also across a
 *     record saved and read back); the record's own encoding and refusals;
 *   - timing: jittered polls within +-10 %, retries doubling to the interval. */
#include "engine_fixture.h"

#include <stdio.h>

#include "testutil.h"
#include "webota/ota_state.h"
#include "webota/pull.h"
#include "webota/release.h"

#define URL "http://fleet.example/fw/stable.json"
#define INTERVAL 10000u

static char dir[512];
static webota_sig_key_t keys[3]; /* p256 (trusted), p384 (trusted), other (not) */
static webota_sig_config_t trust = {keys, 2, 0, false};

static void key_digest(const char *name, webota_sig_key_t *k, webota_sig_scheme_t scheme)
{
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "'%s' keygen --scheme %s -o '%s/%s.pem' --pub '%s/%s.pub.pem'", WEBOTA_BIN,
                             scheme == WEBOTA_SIG_SCHEME_ECDSA384 ? "ecdsa384" : "ecdsa256", dir, name, dir, name),
                     0);
    const char *hex = strstr(out, "eFuse): ");
    assert_non_null(hex);
    hex += 8;
    k->scheme = (uint8_t)scheme;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        k->digest[i] = (uint8_t)v;
    }
    free(out);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
    key_digest("p256", &keys[0], WEBOTA_SIG_SCHEME_ECDSA256);
    key_digest("p384", &keys[1], WEBOTA_SIG_SCHEME_ECDSA384);
    key_digest("other", &keys[2], WEBOTA_SIG_SCHEME_ECDSA256);
    return 0;
}

/* The signature file `webota release sign` writes for these bytes. */
static uint8_t *sign(const char *json, const char *key, size_t *len)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/m.json", dir);
    tu_write_file(path, json, strlen(json));
    assert_int_equal(tu_runf(NULL, "'%s' release sign --unchecked --key '%s/%s.pem' '%s' >/dev/null", WEBOTA_BIN, dir, key,
                             path),
                     0);
    snprintf(path, sizeof(path), "%s/m.json.sig", dir);
    uint8_t *sig = tu_read_file(path, len);
    assert_non_null(sig);
    assert_int_equal(*len, WEBOTA_SIG_BLOCK_LEN);
    return sig;
}

static void sha_hex(const uint8_t *img, size_t len, char out[65])
{
    uint8_t d[32];
    assert_int_equal(webota_sha256(img, len, d), WEBOTA_OK);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

/* A manifest for img with the fields given (NULL = the image's own). */
static char *manifest(const uint8_t *img, size_t len, const char *project, const char *version, const char *chip,
                      unsigned secure, unsigned rollout, bool revoked)
{
    char hex[65];
    sha_hex(img, len, hex);
    static char m[1024];
    snprintf(m, sizeof(m),
             "{\"format\":1,\"project\":\"%s\",\"version\":\"%s\",\"secure_version\":%u,\"chip\":\"%s\","
             "\"image\":\"images/x.bin\",\"size\":%zu,\"sha256\":\"%s\",\"rollout\":%u,\"channel\":\"stable\","
             "\"created\":\"2026-12-06T00:00:00Z\",\"revoked\":%s}\n",
             project, version, secure, chip, len, hex, rollout, revoked ? "true" : "false");
    return m;
}

typedef struct {
    fx_t f;
    webota_pull_t p;
    webota_pull_config_t cfg;
    uint8_t *factory;
    size_t factory_len;
    uint64_t now;
} pdev_t;

static void dev_boot(pdev_t *d, const webota_pull_record_t *rec)
{
    assert_int_equal(fx_power_on(&d->f), WEBOTA_OK);
    assert_int_equal(webota_pull_init(&d->p, &d->cfg, &d->f.run.rules, &d->f.run.boot.desc, rec, d->now),
                     WEBOTA_OK);
}

static void dev_new(pdev_t *d, const char *id)
{
    memset(d, 0, sizeof(*d));
    fx_img_opts_t o = fx_img_defaults("1.0.0");
    o.secure_version = 1;
    d->factory = fx_image_opts(&o, &d->factory_len);
    fx_new(&d->f, "two-ota", d->factory, d->factory_len, true);
    d->cfg.device_id = id;
    d->cfg.chip = WEBOTA_CHIP_ESP32;
    d->cfg.interval_ms = INTERVAL;
    d->cfg.trust = &trust;
    d->now = 1000;
    dev_boot(d, NULL);
}

static void dev_free(pdev_t *d)
{
    webota_pull_data(&d->p, 0, NULL, 0); /* harmless outside a download */
    if (webota_pull_state(&d->p) == WEBOTA_PULL_DOWNLOADING) {
        webota_pull_transfer_end(&d->p, 404, d->now);
    }
    fx_free(&d->f);
    free(d->factory);
}

/* Runs time forward to the next due action and returns it. */
static webota_pull_action_t next(pdev_t *d)
{
    uint32_t due = webota_pull_due_in(&d->p, d->now);
    assert_int_not_equal(due, UINT32_MAX);
    d->now += due;
    return webota_pull_next(&d->p, d->now);
}

static webota_err_t offer(pdev_t *d, const char *json, const char *key)
{
    assert_int_equal(next(d), WEBOTA_PULL_FETCH_MANIFEST);
    size_t sl = 0;
    uint8_t *sig = sign(json, key, &sl);
    webota_err_t e = webota_pull_manifest(&d->p, URL, 200, "\"e1\"", json, strlen(json), sig, sl, d->now);
    free(sig);
    return e;
}

/* img signed by `webota image sign --key DIR/<key>.pem` (a new buffer; img freed). */
static uint8_t *sign_image(uint8_t *img, size_t *len, const char *key)
{
    char in[600], out[600];
    snprintf(in, sizeof(in), "%s/img-in.bin", dir);
    snprintf(out, sizeof(out), "%s/img-%s.bin", dir, key);
    tu_write_file(in, img, *len);
    free(img);
    char *o = NULL;
    if (tu_runf(&o, "'%s' image sign --key '%s/%s.pem' '%s' -o '%s' 2>&1", WEBOTA_BIN, dir, key, in, out) != 0) {
        fail_msg("image sign: %s", o);
    }
    free(o);
    img = tu_read_file(out, len);
    assert_non_null(img);
    return img;
}

/* The image a device accepts: signed by the trusted P-256 key. */
static uint8_t *image(const char *version, unsigned secure, size_t *len)
{
    fx_img_opts_t o = fx_img_defaults(version);
    o.secure_version = secure;
    return sign_image(fx_image_opts(&o, len), len, "p256");
}

/* ---- signatures ---- */

static void test_signature(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = image("1.1.0", 1, &len);
    const char *m = manifest(img, len, "demo", "1.1.0", "esp32", 1, 100, false);
    size_t ml = strlen(m), sl;
    uint8_t *s256 = sign(m, "p256", &sl);
    uint8_t *s384 = sign(m, "p384", &sl);
    uint8_t *sother = sign(m, "other", &sl);
    assert_int_equal(webota_release_verify(m, ml, s256, sl, &trust), WEBOTA_OK);
    assert_int_equal(webota_release_verify(m, ml, s384, sl, &trust), WEBOTA_OK);
    assert_int_equal(webota_release_verify(m, ml, sother, sl, &trust), WEBOTA_ERR_REL_SIGNATURE);
    /* the key is trusted alone, and only for its scheme */
    webota_sig_config_t only_other = {&keys[2], 1, 0, false};
    assert_int_equal(webota_release_verify(m, ml, sother, sl, &only_other), WEBOTA_OK);
    webota_sig_key_t wrong_scheme = keys[2];
    wrong_scheme.scheme = WEBOTA_SIG_SCHEME_ECDSA384;
    webota_sig_config_t ws = {&wrong_scheme, 1, 0, false};
    assert_int_equal(webota_release_verify(m, ml, sother, sl, &ws), WEBOTA_ERR_REL_SIGNATURE);
    /* two blocks: an untrusted one first, then a trusted one */
    uint8_t two[2 * WEBOTA_SIG_BLOCK_LEN];
    memcpy(two, sother, WEBOTA_SIG_BLOCK_LEN);
    memcpy(two + WEBOTA_SIG_BLOCK_LEN, s256, WEBOTA_SIG_BLOCK_LEN);
    assert_int_equal(webota_release_verify(m, ml, two, sizeof(two), &trust), WEBOTA_OK);
    /* any changed byte of the manifest */
    char *changed = strdup(m);
    changed[ml / 2] ^= 1;
    assert_int_equal(webota_release_verify(changed, ml, s256, sl, &trust), WEBOTA_ERR_REL_SIGNATURE);
    assert_int_equal(webota_release_verify(changed, ml, s384, sl, &trust), WEBOTA_ERR_REL_SIGNATURE);
    assert_int_equal(webota_release_verify(m, ml - 1, s256, sl, &trust), WEBOTA_ERR_REL_SIGNATURE);
    /* a changed signature byte (r), a broken block CRC */
    uint8_t bad[WEBOTA_SIG_BLOCK_LEN];
    memcpy(bad, s256, sizeof(bad));
    bad[110] ^= 0x40;
    assert_int_equal(webota_release_verify(m, ml, bad, sizeof(bad), &trust), WEBOTA_ERR_REL_SIGNATURE);
    memcpy(bad, s256, sizeof(bad));
    bad[1199] ^= 1;
    assert_int_equal(webota_release_verify(m, ml, bad, sizeof(bad), &trust), WEBOTA_ERR_REL_SIGNATURE);
    /* lengths: empty, cut, padded, four blocks; no keys; NULL */
    assert_int_equal(webota_release_verify(m, ml, s256, 0, &trust), WEBOTA_ERR_REL_SIGNATURE);
    assert_int_equal(webota_release_verify(m, ml, s256, sl - 1, &trust), WEBOTA_ERR_REL_SIGNATURE);
    uint8_t four[4 * WEBOTA_SIG_BLOCK_LEN + 1];
    for (int i = 0; i < 4; i++) {
        memcpy(four + i * WEBOTA_SIG_BLOCK_LEN, s256, WEBOTA_SIG_BLOCK_LEN);
    }
    assert_int_equal(webota_release_verify(m, ml, four, WEBOTA_SIG_BLOCK_LEN + 1, &trust), WEBOTA_ERR_REL_SIGNATURE);
    assert_int_equal(webota_release_verify(m, ml, four, 4 * WEBOTA_SIG_BLOCK_LEN, &trust), WEBOTA_ERR_REL_SIGNATURE);
    assert_int_equal(webota_release_verify(m, ml, four, 3 * WEBOTA_SIG_BLOCK_LEN, &trust), WEBOTA_OK);
    webota_sig_config_t none = {keys, 0, 0, false};
    assert_int_equal(webota_release_verify(m, ml, s256, sl, &none), WEBOTA_ERR_REL_SIGNATURE);
    assert_int_equal(webota_release_verify(m, ml, s256, sl, NULL), WEBOTA_ERR_REL_SIGNATURE);
    assert_int_equal(webota_release_verify(m, ml, NULL, sl, &trust), WEBOTA_ERR_REL_SIGNATURE);
    free(changed);
    free(s256);
    free(s384);
    free(sother);
    free(img);
}

/* ---- manifest verdicts: nothing happens to the flash ---- */

static void test_verdicts(void **state)
{
    (void)state;
    pdev_t d;
    dev_new(&d, "dev-001");
    uint8_t *before = fx_snapshot(&d.f);
    size_t len;
    uint8_t *img = image("1.1.0", 1, &len);
    struct {
        const char *project, *version, *chip;
        unsigned secure, rollout;
        bool revoked;
        webota_err_t want;
        const char *msg;
    } cases[] = {
        {"demo", "1.1.0", "esp32", 1, 100, true, WEBOTA_ERR_REL_REVOKED, "revoked"},
        {"other", "1.1.0", "esp32", 1, 100, false, WEBOTA_ERR_UPD_PROJECT, "project other"},
        {"demo", "1.1.0", "esp32c3", 1, 100, false, WEBOTA_ERR_REL_CHIP, "esp32c3"},
        {"demo", "1.0.0", "esp32", 1, 100, false, WEBOTA_ERR_REL_NOT_NEWER, "running version"},
        {"demo", "0.9.9", "esp32", 1, 100, false, WEBOTA_ERR_REL_NOT_NEWER, "older"},
        {"demo", "1.0.0-rc1", "esp32", 1, 100, false, WEBOTA_ERR_REL_NOT_NEWER, "older"},
        {"demo", "nightly", "esp32", 1, 100, false, WEBOTA_ERR_REL_NOT_NEWER, "cannot be ordered"},
        {"demo", "1.1.0", "esp32", 0, 100, false, WEBOTA_ERR_UPD_SECURE_VERSION, "secure_version"},
        {"demo", "1.1.0", "esp32", 1, 0, false, WEBOTA_ERR_REL_NOT_IN_ROLLOUT, "share of devices"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *m = manifest(img, len, cases[i].project, cases[i].version, cases[i].chip, cases[i].secure,
                                 cases[i].rollout, cases[i].revoked);
        assert_int_equal(offer(&d, m, "p256"), cases[i].want);
        assert_int_equal(webota_pull_verdict(&d.p), cases[i].want);
        assert_non_null(strstr(webota_pull_message(&d.p), cases[i].msg));
        assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_IDLE);
        /* the next poll an interval later (+-10 %), conditional */
        uint32_t due = webota_pull_due_in(&d.p, d.now);
        assert_in_range(due, INTERVAL * 9 / 10, INTERVAL * 11 / 10);
        assert_string_equal(webota_pull_etag(&d.p), "\"e1\"");
    }
    /* unsigned by a trusted key: refused, judged again next time (no ETag kept) */
    const char *good = manifest(img, len, "demo", "1.1.0", "esp32", 1, 100, false);
    assert_int_equal(offer(&d, good, "other"), WEBOTA_ERR_REL_SIGNATURE);
    assert_string_equal(webota_pull_etag(&d.p), "");
    /* malformed but signed */
    const char *bad = "{\"format\":1}";
    assert_int_equal(offer(&d, bad, "p256"), WEBOTA_ERR_REL_MALFORMED);
    assert_non_null(strstr(webota_pull_message(&d.p), "project field"));
    /* server errors: backoff from interval/8, doubling, capped at the interval */
    uint32_t prev = 0;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(next(&d), WEBOTA_PULL_FETCH_MANIFEST);
        webota_err_t e = webota_pull_manifest(&d.p, URL, i % 2 ? 503 : 0, NULL, NULL, 0, NULL, 0, d.now);
        assert_int_equal(e, WEBOTA_ERR_REL_HTTP);
        uint32_t due = webota_pull_due_in(&d.p, d.now);
        uint32_t base = INTERVAL / 8u << i;
        if (base > INTERVAL) {
            base = INTERVAL;
        }
        assert_in_range(due, base * 9 / 10, base * 11 / 10);
        assert_true(due + INTERVAL / 10 >= prev);
        prev = due;
    }
    /* 304 without an ETag sent is not "unchanged" */
    assert_int_equal(next(&d), WEBOTA_PULL_FETCH_MANIFEST);
    assert_int_equal(webota_pull_manifest(&d.p, URL, 304, NULL, NULL, 0, NULL, 0, d.now), WEBOTA_ERR_REL_HTTP);
    /* an answer while downloading or activated is out of order */
    uint8_t *after = fx_snapshot(&d.f);
    assert_memory_equal(before, after, FX_FLASH_SIZE);
    assert_int_equal(webota_pull_received(&d.p), 0);
    free(before);
    free(after);
    free(img);
    dev_free(&d);
}

static void test_rollout_widening(void **state)
{
    (void)state;
    /* 40 devices: who installs at 10 %, 50 %, 100 % follows the buckets */
    size_t len;
    uint8_t *img = image("1.1.0", 1, &len);
    unsigned in10 = 0, in50 = 0;
    for (unsigned i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof(id), "dev-%03u", i);
        uint32_t bucket;
        assert_int_equal(webota_release_bucket(id, "demo", "1.1.0", &bucket), WEBOTA_OK);
        pdev_t d;
        dev_new(&d, id);
        unsigned pct[] = {10, 50, 100};
        bool joined = false;
        for (int k = 0; k < 3 && !joined; k++) {
            const char *m = manifest(img, len, "demo", "1.1.0", "esp32", 1, pct[k], false);
            webota_err_t e = offer(&d, m, "p384");
            bool member = bucket < pct[k] * 100u;
            assert_int_equal(e, member ? WEBOTA_OK : WEBOTA_ERR_REL_NOT_IN_ROLLOUT);
            if (member) {
                joined = true;
                assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_DOWNLOADING);
                in10 += k == 0;
                in50 += k <= 1;
            }
        }
        assert_true(joined);
        dev_free(&d);
    }
    assert_true(in10 <= in50);
    free(img);
}

/* ---- downloads ---- */

/* Feeds img[from..to) in chunk-byte pieces at their file positions. */
static webota_err_t feed(pdev_t *d, const uint8_t *img, size_t from, size_t to, size_t chunk)
{
    webota_err_t e = WEBOTA_OK;
    for (size_t off = from; e == WEBOTA_OK && off < to; off += chunk) {
        size_t n = to - off < chunk ? to - off : chunk;
        e = webota_pull_data(&d->p, (uint32_t)off, img + off, n);
    }
    return e;
}

static void start_download(pdev_t *d, const uint8_t *img, size_t len, const char *version)
{
    const char *m = manifest(img, len, "demo", version, "esp32", 1, 100, false);
    assert_int_equal(offer(d, m, "p256"), WEBOTA_OK);
    assert_int_equal(webota_pull_state(&d->p), WEBOTA_PULL_DOWNLOADING);
    assert_string_equal(webota_pull_image_url(&d->p), "http://fleet.example/fw/images/x.bin");
    assert_int_equal(webota_pull_offset(&d->p), 0);
}

static void test_download_resume_activate_confirm(void **state)
{
    (void)state;
    size_t chunks[] = {1, 7, 4096, 65536};
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        pdev_t d;
        dev_new(&d, "dev-002");
        size_t len;
        uint8_t *img = image("1.1.0", 1, &len);
        start_download(&d, img, len, "1.1.0");
        /* the connection drops after a third: a retry later, from there */
        size_t cut = len / 3;
        assert_int_equal(feed(&d, img, 0, cut, chunks[c]), WEBOTA_OK);
        assert_int_equal(webota_pull_transfer_end(&d.p, 200, d.now), WEBOTA_ERR_REL_HTTP);
        assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_DOWNLOADING);
        assert_int_equal(webota_pull_offset(&d.p), cut);
        assert_int_equal(webota_pull_resumes(&d.p), 1);
        assert_true(webota_pull_due_in(&d.p, d.now) > 0);
        assert_int_equal(next(&d), WEBOTA_PULL_FETCH_IMAGE);
        /* a server that ignores Range sends everything again: the known part is skipped */
        assert_int_equal(feed(&d, img, 0, 2 * len / 3, chunks[c]), WEBOTA_OK);
        assert_int_equal(webota_pull_offset(&d.p), 2 * len / 3);
        assert_int_equal(webota_pull_transfer_end(&d.p, 0, d.now), WEBOTA_ERR_REL_HTTP);
        assert_int_equal(next(&d), WEBOTA_PULL_FETCH_IMAGE);
        /* a 206 from the offset */
        assert_int_equal(feed(&d, img, 2 * len / 3, len, chunks[c]), WEBOTA_OK);
        assert_int_equal(webota_pull_transfer_end(&d.p, 206, d.now), WEBOTA_OK);
        assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_ACTIVATED);
        assert_int_equal(webota_pull_due_in(&d.p, d.now), UINT32_MAX);
        assert_int_equal(webota_pull_next(&d.p, d.now), WEBOTA_PULL_NOTHING);
        assert_true(webota_pull_record_dirty(&d.p));
        webota_pull_record_t rec = *webota_pull_record(&d.p);
        assert_true(rec.attempting);
        assert_string_equal(rec.attempt_version, "1.1.0");
        /* reboot: the new firmware is on trial; nothing is polled meanwhile */
        dev_boot(&d, &rec);
        assert_string_equal(d.f.run.boot.desc.version, "1.1.0");
        assert_int_equal(d.f.run.boot.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
        assert_false(webota_pull_record_dirty(&d.p));
        assert_int_equal(next(&d), WEBOTA_PULL_NOTHING);
        assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_UNCONFIRMED);
        /* confirmed: the next poll settles the attempt */
        assert_int_equal(webota_slot_confirm(&d.f.run.rules), WEBOTA_OK);
        assert_int_equal(next(&d), WEBOTA_PULL_FETCH_MANIFEST);
        assert_true(webota_pull_record_dirty(&d.p));
        assert_false(webota_pull_record(&d.p)->attempting);
        assert_int_equal(webota_pull_record(&d.p)->blocked_count, 0);
        free(img);
        dev_free(&d);
    }
}

static void test_download_refusals(void **state)
{
    (void)state;
    enum { GAP, TOO_MANY, NOT_FOUND, HASH, CHECKER, WRONG_PROJECT_IMAGE, N };
    for (int k = 0; k < N; k++) {
        pdev_t d;
        dev_new(&d, "dev-003");
        uint8_t *before = fx_snapshot(&d.f);
        webota_slot_info_t target;
        assert_int_equal(webota_slot_next(&d.f.run.rules, &target), WEBOTA_OK);
        size_t len;
        uint8_t *img = image("1.1.0", 1, &len);
        webota_err_t want;
        const char *m;
        webota_err_t e;
        switch (k) {
        case GAP:
            start_download(&d, img, len, "1.1.0");
            assert_int_equal(feed(&d, img, 0, 1000, 100), WEBOTA_OK);
            e = webota_pull_data(&d.p, 2000, img + 2000, 100);
            want = WEBOTA_ERR_REL_HTTP;
            break;
        case TOO_MANY: {
            start_download(&d, img, len, "1.1.0");
            assert_int_equal(feed(&d, img, 0, len, 4096), WEBOTA_OK);
            uint8_t extra = 0xFF;
            e = webota_pull_data(&d.p, (uint32_t)len, &extra, 1);
            want = WEBOTA_ERR_REL_SIZE;
            break;
        }
        case NOT_FOUND:
            start_download(&d, img, len, "1.1.0");
            assert_int_equal(feed(&d, img, 0, 1000, 100), WEBOTA_OK);
            e = webota_pull_transfer_end(&d.p, 404, d.now);
            want = WEBOTA_ERR_REL_HTTP;
            assert_string_equal(webota_pull_etag(&d.p), ""); /* judged again */
            break;
        case HASH: {
            /* the manifest names another build of the same version */
            fx_img_opts_t o = fx_img_defaults("1.1.0");
            o.secure_version = 1;
            o.seed = 777;
            size_t l2;
            uint8_t *other = fx_image_opts(&o, &l2);
            other = sign_image(other, &l2, "p256");
            assert_int_equal(l2, len);
            m = manifest(other, l2, "demo", "1.1.0", "esp32", 1, 100, false);
            assert_int_equal(offer(&d, m, "p256"), WEBOTA_OK);
            free(other);
            assert_int_equal(feed(&d, img, 0, len, 4096), WEBOTA_OK);
            e = webota_pull_transfer_end(&d.p, 200, d.now);
            want = WEBOTA_ERR_REL_HASH;
            break;
        }
        case CHECKER: {
            /* a manifest that vouches for a damaged image: the session refuses it */
            img[len / 2] ^= 0x55; /* segment data: inside the signed part */
            start_download(&d, img, len, "1.1.0");
            e = feed(&d, img, 0, len, 4096);
            if (e == WEBOTA_OK) {
                e = webota_pull_transfer_end(&d.p, 200, d.now);
            }
            want = WEBOTA_ERR_IMG_CHECKSUM;
            break;
        }
        default: {
            /* the manifest says project demo, the image is another project */
            fx_img_opts_t o = fx_img_defaults("1.1.0");
            o.secure_version = 1;
            o.project = "intruder";
            free(img);
            img = sign_image(fx_image_opts(&o, &len), &len, "p256");
            start_download(&d, img, len, "1.1.0");
            e = feed(&d, img, 0, len, 4096);
            want = WEBOTA_ERR_UPD_PROJECT;
            break;
        }
        }
        if (e != want) {
            print_error("case %d: %s, want %s (%s)\n", k, webota_err_name(e), webota_err_name(want),
                        webota_pull_message(&d.p));
        }
        assert_int_equal(e, want);
        assert_int_equal(webota_pull_verdict(&d.p), want);
        assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_IDLE);
        assert_false(webota_pull_record_dirty(&d.p));
        uint8_t *after = fx_snapshot(&d.f);
        assert_true(fx_same_outside(before, after, target.offset, target.size));
        /* and the device still boots its old firmware */
        assert_int_equal(fx_power_on(&d.f), WEBOTA_OK);
        assert_string_equal(d.f.run.boot.desc.version, "1.0.0");
        free(after);
        free(before);
        free(img);
        dev_free(&d);
    }
}

/* The image's own signature, judged by the update session as for an upload
 * (the manifest is signed by a trusted key and vouches for these exact
 * bytes in every case): unsigned, signed by a key the device does not trust,
 * a signature that does not match the image are refused before activation
 * with the signature's code and a sentence; otadata and the running firmware
 * untouched. Signed by the other trusted key (P-384): installed. */
static void test_image_signature(void **state)
{
    (void)state;
    struct {
        const char *key; /* NULL: unsigned */
        bool damage_padding;
        webota_err_t want;
        const char *msg;
    } cases[] = {
        {NULL, false, WEBOTA_ERR_SIG_UNSIGNED, "image is not signed and this device requires a signature"},
        {"other", false, WEBOTA_ERR_SIG_UNTRUSTED, "not signed by a key this device trusts (block 0: key not trusted"},
        {"p256", true, WEBOTA_ERR_SIG_MISMATCH, "signature does not match the image"},
        {"p384", false, WEBOTA_OK, "activated 1.1.0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pdev_t d;
        dev_new(&d, "dev-008");
        uint8_t *before = fx_snapshot(&d.f);
        webota_slot_info_t target;
        assert_int_equal(webota_slot_next(&d.f.run.rules, &target), WEBOTA_OK);
        fx_img_opts_t o = fx_img_defaults("1.1.0");
        o.secure_version = 1;
        o.size = 16000; /* not a multiple of 4096: signing pads it */
        size_t len;
        uint8_t *img = fx_image_opts(&o, &len);
        size_t raw_len = len;
        if (cases[i].key != NULL) {
            img = sign_image(img, &len, cases[i].key);
        }
        if (cases[i].damage_padding) {
            assert_int_equal(img[raw_len], 0xFF); /* the 0xFF padding the signature covers */
            img[raw_len] = 0x00;
        }
        start_download(&d, img, len, "1.1.0");
        assert_int_equal(feed(&d, img, 0, len, 4096), WEBOTA_OK);
        webota_err_t e = webota_pull_transfer_end(&d.p, 200, d.now);
        if (e != cases[i].want || strstr(webota_pull_message(&d.p), cases[i].msg) == NULL) {
            print_error("case %zu: %s (%s), want %s\n", i, webota_err_name(e), webota_pull_message(&d.p),
                        webota_err_name(cases[i].want));
        }
        assert_int_equal(e, cases[i].want);
        assert_int_equal(webota_pull_verdict(&d.p), cases[i].want);
        assert_non_null(strstr(webota_pull_message(&d.p), cases[i].msg));
        /* what /api/status says */
        char buf[1024];
        webota_json_t j;
        webota_json_init(&j, buf, sizeof(buf));
        webota_pull_status_json(&d.p, &j, d.now);
        assert_int_equal(webota_json_end(&j, NULL), WEBOTA_OK);
        char want_verdict[64];
        snprintf(want_verdict, sizeof(want_verdict), "\"verdict\":\"%s\"", webota_err_name(cases[i].want));
        assert_non_null(strstr(buf, want_verdict));
        if (cases[i].want == WEBOTA_OK) {
            assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_ACTIVATED);
            dev_boot(&d, webota_pull_record(&d.p));
            assert_string_equal(d.f.run.boot.desc.version, "1.1.0");
        } else {
            assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_IDLE);
            assert_false(webota_pull_record_dirty(&d.p));
            assert_non_null(strstr(buf, "\"state\":\"idle\""));
            uint8_t *after = fx_snapshot(&d.f);
            assert_true(fx_same_outside(before, after, target.offset, target.size));
            free(after);
            /* the unchanged manifest is not fetched again (304), nor the image */
            assert_string_equal(webota_pull_etag(&d.p), "\"e1\"");
            assert_int_equal(next(&d), WEBOTA_PULL_FETCH_MANIFEST);
            assert_int_equal(webota_pull_manifest(&d.p, URL, 304, NULL, NULL, 0, NULL, 0, d.now), WEBOTA_OK);
            assert_int_equal(webota_pull_verdict(&d.p), cases[i].want);
            assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_IDLE);
            assert_int_equal(fx_power_on(&d.f), WEBOTA_OK);
            assert_string_equal(d.f.run.boot.desc.version, "1.0.0");
        }
        free(before);
        free(img);
        dev_free(&d);
    }
}

/* The chip revision, as for an upload: an image that needs a later revision
 * than the device's is refused at its header, before anything is erased
 * (the whole flash unchanged); the same device takes an image whose range
 * includes it. */
static void test_chip_revision(void **state)
{
    (void)state;
    int min_rev[] = {300, 100};
    for (int i = 0; i < 2; i++) {
        pdev_t d;
        dev_new(&d, "dev-009");
        d.cfg.check_chip_rev = true;
        d.cfg.chip_rev = 101; /* v1.1 */
        dev_boot(&d, NULL);
        uint8_t *before = fx_snapshot(&d.f);
        webota_image_make_opts_t o;
        webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
        o.project = "demo";
        o.version = "1.1.0";
        o.secure_version = 1;
        o.size = 16384;
        o.min_rev_full = min_rev[i];
        fx_buf_t b = {0};
        assert_int_equal(webota_image_make(&o, fx_sink, &b), WEBOTA_OK);
        size_t len = b.len;
        uint8_t *img = sign_image(b.p, &len, "p256");
        start_download(&d, img, len, "1.1.0");
        webota_err_t e = feed(&d, img, 0, len, 4096);
        if (i == 0) {
            assert_int_equal(e, WEBOTA_ERR_IMG_CHIP_REV_MIN);
            assert_int_equal(webota_pull_verdict(&d.p), WEBOTA_ERR_IMG_CHIP_REV_MIN);
            assert_non_null(strstr(webota_pull_message(&d.p), "v3.0"));
            assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_IDLE);
            uint8_t *after = fx_snapshot(&d.f);
            assert_memory_equal(before, after, FX_FLASH_SIZE);
            free(after);
        } else {
            assert_int_equal(e, WEBOTA_OK);
            assert_int_equal(webota_pull_transfer_end(&d.p, 200, d.now), WEBOTA_OK);
            assert_int_equal(webota_pull_state(&d.p), WEBOTA_PULL_ACTIVATED);
        }
        free(before);
        free(img);
        dev_free(&d);
    }
}

static void test_rolled_back_never_retried(void **state)
{
    (void)state;
    pdev_t d;
    dev_new(&d, "dev-004");
    size_t len;
    uint8_t *img = image("1.1.0", 1, &len);
    start_download(&d, img, len, "1.1.0");
    assert_int_equal(feed(&d, img, 0, len, 4096), WEBOTA_OK);
    assert_int_equal(webota_pull_transfer_end(&d.p, 200, d.now), WEBOTA_OK);
    /* the record goes through its encoding, as a port saves it */
    uint8_t raw[WEBOTA_PULL_RECORD_LEN];
    assert_int_equal(webota_pull_record_encode(webota_pull_record(&d.p), raw), WEBOTA_OK);
    webota_pull_record_t rec;
    assert_int_equal(webota_pull_record_decode(raw, sizeof(raw), &rec), WEBOTA_OK);
    /* the new firmware boots, never confirms, resets: the bootloader rolls back */
    dev_boot(&d, &rec);
    assert_int_equal(d.f.run.boot.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
    dev_boot(&d, &rec);
    assert_string_equal(d.f.run.boot.desc.version, "1.0.0");
    assert_int_equal(webota_pull_verdict(&d.p), WEBOTA_ERR_REL_ROLLED_BACK);
    assert_true(webota_pull_record_dirty(&d.p));
    const webota_pull_record_t *r = webota_pull_record(&d.p);
    assert_false(r->attempting);
    assert_int_equal(r->blocked_count, 1);
    assert_string_equal(r->blocked_version[0], "1.1.0");
    assert_int_equal(webota_pull_record_encode(r, raw), WEBOTA_OK);
    assert_int_equal(webota_pull_record_decode(raw, sizeof(raw), &rec), WEBOTA_OK);
    /* a later boot with the saved record: the same release is refused, a new one is not */
    dev_boot(&d, &rec);
    const char *m = manifest(img, len, "demo", "1.1.0", "esp32", 1, 100, false);
    assert_int_equal(offer(&d, m, "p256"), WEBOTA_ERR_REL_ROLLED_BACK);
    assert_non_null(strstr(webota_pull_message(&d.p), "not retried"));
    size_t l2;
    uint8_t *img2 = image("1.1.1", 1, &l2);
    start_download(&d, img2, l2, "1.1.1");
    free(img2);
    free(img);
    dev_free(&d);
}

static void test_record(void **state)
{
    (void)state;
    webota_pull_record_t r, back;
    memset(&r, 0, sizeof(r));
    /* more rolled-back releases than the ring holds: the oldest go */
    for (int i = 0; i < 11; i++) {
        uint8_t sha[32];
        memset(sha, i + 1, sizeof(sha));
        memcpy(r.blocked[r.blocked_next], sha, 32);
        snprintf(r.blocked_version[r.blocked_next], WEBOTA_RELEASE_NAME_MAX, "1.%d", i);
        r.blocked_next = (uint8_t)((r.blocked_next + 1) % WEBOTA_PULL_BLOCKED_MAX);
        if (r.blocked_count < WEBOTA_PULL_BLOCKED_MAX) {
            r.blocked_count++;
        }
    }
    r.attempting = true;
    strcpy(r.attempt_version, "2.0");
    uint8_t raw[WEBOTA_PULL_RECORD_LEN];
    assert_int_equal(webota_pull_record_encode(&r, raw), WEBOTA_OK);
    assert_int_equal(webota_pull_record_decode(raw, sizeof(raw), &back), WEBOTA_OK);
    assert_memory_equal(&r, &back, sizeof(r));
    /* every single flipped byte is noticed */
    for (size_t i = 0; i < sizeof(raw); i++) {
        raw[i] ^= 0x01;
        assert_int_equal(webota_pull_record_decode(raw, sizeof(raw), &back), WEBOTA_ERR_REL_MALFORMED);
        assert_false(back.attempting);
        raw[i] ^= 0x01;
    }
    assert_int_equal(webota_pull_record_decode(raw, sizeof(raw) - 1, &back), WEBOTA_ERR_REL_MALFORMED);
    assert_int_equal(webota_pull_record_decode(NULL, sizeof(raw), &back), WEBOTA_ERR_REL_MALFORMED);
    assert_int_equal(webota_pull_record_decode(raw, sizeof(raw), NULL), WEBOTA_ERR_ARG);
    r.blocked_count = WEBOTA_PULL_BLOCKED_MAX + 1;
    assert_int_equal(webota_pull_record_encode(&r, raw), WEBOTA_ERR_ARG);
}

static void test_status_json(void **state)
{
    (void)state;
    pdev_t d;
    dev_new(&d, "dev-005");
    size_t len;
    uint8_t *img = image("1.1.0", 1, &len);
    start_download(&d, img, len, "1.1.0");
    assert_int_equal(feed(&d, img, 0, 5000, 1000), WEBOTA_OK);
    char buf[1024];
    webota_json_t j;
    webota_json_init(&j, buf, sizeof(buf));
    webota_pull_status_json(&d.p, &j, d.now);
    assert_int_equal(webota_json_end(&j, NULL), WEBOTA_OK);
    assert_non_null(strstr(buf, "\"state\":\"downloading\""));
    assert_non_null(strstr(buf, "\"received\":5000"));
    assert_non_null(strstr(buf, "\"version\":\"1.1.0\""));
    assert_non_null(strstr(buf, "\"message\":\"downloading 1.1.0\""));
    free(img);
    dev_free(&d);
}

static void test_misuse(void **state)
{
    (void)state;
    pdev_t d;
    dev_new(&d, "dev-006");
    webota_pull_t p;
    webota_pull_config_t bad = d.cfg;
    bad.interval_ms = 0;
    assert_int_equal(webota_pull_init(&p, &bad, &d.f.run.rules, &d.f.run.boot.desc, NULL, 0), WEBOTA_ERR_ARG);
    bad = d.cfg;
    bad.device_id = NULL;
    assert_int_equal(webota_pull_init(&p, &bad, &d.f.run.rules, &d.f.run.boot.desc, NULL, 0), WEBOTA_ERR_ARG);
    assert_int_equal(webota_pull_init(NULL, &d.cfg, &d.f.run.rules, &d.f.run.boot.desc, NULL, 0), WEBOTA_ERR_ARG);
    /* data and transfer ends outside a download */
    assert_int_equal(webota_pull_data(&d.p, 0, "x", 1), WEBOTA_ERR_STATE);
    assert_int_equal(webota_pull_transfer_end(&d.p, 200, d.now), WEBOTA_ERR_STATE);
    assert_int_equal(webota_pull_offset(&d.p), 0);
    /* a manifest while downloading */
    size_t len;
    uint8_t *img = image("1.1.0", 1, &len);
    start_download(&d, img, len, "1.1.0");
    assert_int_equal(webota_pull_manifest(&d.p, URL, 304, NULL, NULL, 0, NULL, 0, d.now), WEBOTA_ERR_STATE);
    /* an upload holds the slot: a pull cannot begin (busy), judged again later */
    free(img);
    dev_free(&d);
    dev_new(&d, "dev-007");
    img = image("1.1.0", 1, &len);
    webota_update_t up;
    webota_update_policy_t pol;
    webota_update_policy_init(&pol);
    assert_int_equal(webota_update_begin(&up, &d.f.run.rules, &pol, 0, false), WEBOTA_OK);
    assert_int_equal(webota_update_write(&up, img, 4096), WEBOTA_OK);
    const char *m = manifest(img, len, "demo", "1.1.0", "esp32", 1, 100, false);
    assert_int_equal(offer(&d, m, "p256"), WEBOTA_ERR_UPD_BUSY);
    assert_string_equal(webota_pull_etag(&d.p), "");
    webota_update_abort(&up);
    assert_int_equal(webota_pull_state_name(WEBOTA_PULL_ACTIVATED)[0], 'a');
    free(img);
    dev_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_rollout_widening),
        cmocka_unit_test(test_download_resume_activate_confirm),
        cmocka_unit_test(test_download_refusals),
        cmocka_unit_test(test_image_signature),
        cmocka_unit_test(test_chip_revision),
        cmocka_unit_test(test_rolled_back_never_retried),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_status_json),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
