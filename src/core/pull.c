/* Pulling releases: the decisions of a polling device (see webota/pull.h). */
#include "webota/pull.h"

#include <string.h>

#include "webota/chip.h"
#include "webota/ota_state.h"

#include "textbuf.h"

/* ---- record ---- */

static const uint8_t record_magic[4] = {'W', 'P', 'R', '1'};

webota_err_t webota_pull_record_encode(const webota_pull_record_t *r, uint8_t out[WEBOTA_PULL_RECORD_LEN])
{
    if (r == NULL || out == NULL || r->blocked_count > WEBOTA_PULL_BLOCKED_MAX ||
        r->blocked_next >= WEBOTA_PULL_BLOCKED_MAX) {
        return WEBOTA_ERR_ARG;
    }
    memset(out, 0, WEBOTA_PULL_RECORD_LEN);
    size_t o = 0;
    memcpy(out + o, record_magic, 4), o += 4;
    out[o++] = r->attempting ? 1 : 0;
    memcpy(out + o, r->attempt_sha256, WEBOTA_SHA256_LEN), o += WEBOTA_SHA256_LEN;
    memcpy(out + o, r->attempt_version, WEBOTA_RELEASE_NAME_MAX), o += WEBOTA_RELEASE_NAME_MAX;
    out[o++] = r->blocked_count;
    out[o++] = r->blocked_next;
    memcpy(out + o, r->blocked, sizeof(r->blocked)), o += sizeof(r->blocked);
    memcpy(out + o, r->blocked_version, sizeof(r->blocked_version)), o += sizeof(r->blocked_version);
    _Static_assert(4 + 1 + 32 + 32 + 2 + 8 * 32 + 8 * 32 + 32 <= WEBOTA_PULL_RECORD_LEN, "record layout");
    (void)o;
    /* the check: SHA-256 of everything before it */
    return webota_sha256(out, WEBOTA_PULL_RECORD_LEN - WEBOTA_SHA256_LEN,
                         out + WEBOTA_PULL_RECORD_LEN - WEBOTA_SHA256_LEN);
}

webota_err_t webota_pull_record_decode(const uint8_t *in, size_t len, webota_pull_record_t *r)
{
    if (r == NULL) {
        return WEBOTA_ERR_ARG;
    }
    memset(r, 0, sizeof(*r));
    uint8_t check[WEBOTA_SHA256_LEN];
    if (in == NULL || len != WEBOTA_PULL_RECORD_LEN || memcmp(in, record_magic, 4) != 0) {
        return WEBOTA_ERR_REL_MALFORMED;
    }
    if (webota_sha256(in, WEBOTA_PULL_RECORD_LEN - WEBOTA_SHA256_LEN, check) != WEBOTA_OK) {
        return WEBOTA_ERR_CRYPTO;
    }
    if (memcmp(check, in + WEBOTA_PULL_RECORD_LEN - WEBOTA_SHA256_LEN, WEBOTA_SHA256_LEN) != 0) {
        return WEBOTA_ERR_REL_MALFORMED;
    }
    size_t o = 4;
    r->attempting = in[o++] != 0;
    memcpy(r->attempt_sha256, in + o, WEBOTA_SHA256_LEN), o += WEBOTA_SHA256_LEN;
    memcpy(r->attempt_version, in + o, WEBOTA_RELEASE_NAME_MAX), o += WEBOTA_RELEASE_NAME_MAX;
    r->blocked_count = in[o++];
    r->blocked_next = in[o++];
    memcpy(r->blocked, in + o, sizeof(r->blocked)), o += sizeof(r->blocked);
    memcpy(r->blocked_version, in + o, sizeof(r->blocked_version));
    r->attempt_version[WEBOTA_RELEASE_NAME_MAX - 1] = '\0';
    for (size_t i = 0; i < WEBOTA_PULL_BLOCKED_MAX; i++) {
        r->blocked_version[i][WEBOTA_RELEASE_NAME_MAX - 1] = '\0';
    }
    if (r->blocked_count > WEBOTA_PULL_BLOCKED_MAX || r->blocked_next >= WEBOTA_PULL_BLOCKED_MAX) {
        memset(r, 0, sizeof(*r));
        return WEBOTA_ERR_REL_MALFORMED;
    }
    return WEBOTA_OK;
}

static bool is_blocked(const webota_pull_record_t *r, const uint8_t sha[WEBOTA_SHA256_LEN])
{
    for (size_t i = 0; i < r->blocked_count; i++) {
        if (memcmp(r->blocked[i], sha, WEBOTA_SHA256_LEN) == 0) {
            return true;
        }
    }
    return false;
}

static void block(webota_pull_record_t *r, const uint8_t sha[WEBOTA_SHA256_LEN], const char *version)
{
    if (is_blocked(r, sha)) {
        return;
    }
    memcpy(r->blocked[r->blocked_next], sha, WEBOTA_SHA256_LEN);
    memset(r->blocked_version[r->blocked_next], 0, WEBOTA_RELEASE_NAME_MAX);
    webota_sb_t b;
    webota_sb_init(&b, r->blocked_version[r->blocked_next], WEBOTA_RELEASE_NAME_MAX);
    webota_sb_s(&b, version);
    r->blocked_next = (uint8_t)((r->blocked_next + 1u) % WEBOTA_PULL_BLOCKED_MAX);
    if (r->blocked_count < WEBOTA_PULL_BLOCKED_MAX) {
        r->blocked_count++;
    }
}

/* ---- the manifest signature ---- */

webota_err_t webota_release_verify(const void *manifest, size_t len, const void *sig, size_t sig_len,
                                   const webota_sig_config_t *trust)
{
    if (trust == NULL || trust->key_count == 0) {
        return WEBOTA_ERR_REL_SIGNATURE; /* a manifest is never taken on trust */
    }
    if (sig == NULL || sig_len == 0 || sig_len % WEBOTA_SIG_BLOCK_LEN != 0 ||
        sig_len > WEBOTA_SIG_BLOCKS * WEBOTA_SIG_BLOCK_LEN) {
        return WEBOTA_ERR_REL_SIGNATURE;
    }
    uint8_t d256[WEBOTA_SHA256_LEN], d384[WEBOTA_SHA384_LEN];
    bool have384 = false;
    if (webota_sha256(manifest, len, d256) != WEBOTA_OK) {
        return WEBOTA_ERR_CRYPTO;
    }
    for (size_t off = 0; off < sig_len; off += WEBOTA_SIG_BLOCK_LEN) {
        uint8_t blk[WEBOTA_SIG_BLOCK_LEN];
        memcpy(blk, (const uint8_t *)sig + off, sizeof(blk));
        webota_sig_scheme_t scheme;
        uint8_t kd[WEBOTA_SIG_KEY_DIGEST_LEN];
        webota_sig_block_state_t st;
        if (webota_sig_block_parse(blk, &scheme, kd, &st) != WEBOTA_OK ||
            scheme == WEBOTA_SIG_SCHEME_ECDSA192) {
            continue;
        }
        bool trusted = false;
        for (size_t k = 0; k < trust->key_count; k++) {
            trusted |= trust->keys[k].scheme == scheme &&
                       memcmp(trust->keys[k].digest, kd, WEBOTA_SIG_KEY_DIGEST_LEN) == 0;
        }
        if (!trusted) {
            continue;
        }
        const uint8_t *digest = d256;
        if (scheme == WEBOTA_SIG_SCHEME_ECDSA384) {
            if (!have384) {
                webota_hash_t h;
                if (webota_hash_start(&h, WEBOTA_HASH_SHA384) != WEBOTA_OK ||
                    webota_hash_update(&h, manifest, len) != WEBOTA_OK ||
                    webota_hash_finish(&h, d384, sizeof(d384)) != WEBOTA_OK) {
                    webota_hash_abort(&h);
                    return WEBOTA_ERR_CRYPTO;
                }
                have384 = true;
            }
            digest = d384;
        }
        webota_err_t e = webota_sig_block_verify(blk, scheme, digest);
        if (e == WEBOTA_OK) {
            return WEBOTA_OK;
        }
        if (e != WEBOTA_ERR_SIG_MISMATCH) {
            return e;
        }
    }
    return WEBOTA_ERR_REL_SIGNATURE;
}

/* ---- timing ---- */

static uint32_t next_rand(webota_pull_t *p)
{
    uint32_t x = p->rng ? p->rng : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p->rng = x;
    return x;
}

/* base +- 10 %, from the device's own sequence */
static uint64_t jitter(webota_pull_t *p, uint32_t base)
{
    uint32_t span = base / 5u;
    if (span == 0) {
        return base;
    }
    return (uint64_t)base - span / 2u + next_rand(p) % (span + 1u);
}

static void schedule_poll(webota_pull_t *p, uint64_t now_ms)
{
    p->next_ms = now_ms + jitter(p, p->cfg.interval_ms);
}

static void schedule_retry(webota_pull_t *p, uint64_t now_ms)
{
    uint32_t base = p->cfg.retry_ms ? p->cfg.retry_ms : p->cfg.interval_ms / 8u;
    if (base == 0) {
        base = 1;
    }
    uint32_t shift = p->failures > 0 ? p->failures - 1u : 0u;
    uint64_t d = shift >= 16 ? p->cfg.interval_ms : (uint64_t)base << shift;
    if (d > p->cfg.interval_ms) {
        d = p->cfg.interval_ms;
    }
    p->next_ms = now_ms + jitter(p, (uint32_t)d);
}

/* ---- verdicts ---- */

static webota_err_t verdict(webota_pull_t *p, webota_err_t e, const char *a, const char *b, const char *c)
{
    p->verdict = e;
    webota_sb_t sb;
    webota_sb_init(&sb, p->message, sizeof(p->message));
    if (e == WEBOTA_OK && a == NULL) {
        return e;
    }
    webota_sb_s(&sb, a != NULL ? a : webota_strerror(e));
    if (b != NULL) {
        webota_sb_s(&sb, b);
    }
    if (c != NULL) {
        webota_sb_s(&sb, c);
    }
    return e;
}

static bool running_unconfirmed(webota_pull_t *p)
{
    webota_slot_info_t info;
    return webota_slot_running(p->slot, &info) == WEBOTA_OK &&
           info.state == WEBOTA_OTA_STATE_PENDING_VERIFY;
}

/* The record against the firmware that runs now. */
static void judge_record(webota_pull_t *p)
{
    webota_pull_record_t *r = &p->record;
    if (!r->attempting) {
        return;
    }
    if (strcmp(p->running.version, r->attempt_version) == 0) {
        if (running_unconfirmed(p)) {
            return; /* judged once the confirm policy has decided */
        }
        r->attempting = false; /* installed and healthy */
        p->record_dirty = true;
        verdict(p, WEBOTA_OK, "installed ", r->attempt_version, NULL);
        return;
    }
    /* another firmware runs: the new one never became healthy */
    block(r, r->attempt_sha256, r->attempt_version);
    r->attempting = false;
    p->record_dirty = true;
    verdict(p, WEBOTA_ERR_REL_ROLLED_BACK, "release ", r->attempt_version,
            " rolled back (it never became healthy): it is not retried");
}

webota_err_t webota_pull_init(webota_pull_t *p, const webota_pull_config_t *cfg, webota_slot_t *slot,
                              const webota_app_desc_t *running, const webota_pull_record_t *record,
                              uint64_t now_ms)
{
    if (p == NULL || cfg == NULL || slot == NULL || running == NULL || cfg->device_id == NULL ||
        cfg->interval_ms == 0) {
        return WEBOTA_ERR_ARG;
    }
    memset(p, 0, sizeof(*p));
    p->cfg = *cfg;
    p->slot = slot;
    p->running = *running;
    if (record != NULL) {
        p->record = *record;
    }
    /* per-device sequence for the jitter: FNV-1a of the id */
    uint32_t h = 2166136261u;
    for (const char *s = cfg->device_id; *s; s++) {
        h = (h ^ (uint8_t)*s) * 16777619u;
    }
    p->rng = h ? h : 1u;
    p->state = WEBOTA_PULL_IDLE;
    judge_record(p);
    /* the first poll within the first tenth of the interval */
    uint32_t first = cfg->interval_ms / 10u;
    p->next_ms = now_ms + (first ? next_rand(p) % first : 0);
    return WEBOTA_OK;
}

uint32_t webota_pull_due_in(webota_pull_t *p, uint64_t now_ms)
{
    if (p->state == WEBOTA_PULL_ACTIVATED) {
        return UINT32_MAX;
    }
    if (p->next_ms <= now_ms) {
        return 0;
    }
    uint64_t d = p->next_ms - now_ms;
    return d >= UINT32_MAX ? UINT32_MAX - 1u : (uint32_t)d;
}

webota_pull_action_t webota_pull_next(webota_pull_t *p, uint64_t now_ms)
{
    if (p->state == WEBOTA_PULL_ACTIVATED || now_ms < p->next_ms) {
        return WEBOTA_PULL_NOTHING;
    }
    if (p->state == WEBOTA_PULL_DOWNLOADING) {
        return WEBOTA_PULL_FETCH_IMAGE;
    }
    if (running_unconfirmed(p)) {
        p->state = WEBOTA_PULL_UNCONFIRMED;
        schedule_poll(p, now_ms);
        return WEBOTA_PULL_NOTHING;
    }
    p->state = WEBOTA_PULL_IDLE;
    judge_record(p); /* confirmed since boot: the attempt is settled */
    return WEBOTA_PULL_FETCH_MANIFEST;
}

webota_pull_state_t webota_pull_state(const webota_pull_t *p)
{
    return p->state;
}

const char *webota_pull_state_name(webota_pull_state_t s)
{
    switch (s) {
    case WEBOTA_PULL_IDLE:
        return "idle";
    case WEBOTA_PULL_UNCONFIRMED:
        return "unconfirmed";
    case WEBOTA_PULL_DOWNLOADING:
        return "downloading";
    case WEBOTA_PULL_ACTIVATED:
        return "activated";
    }
    return "?";
}

const char *webota_pull_etag(const webota_pull_t *p)
{
    return p->etag;
}

static webota_err_t judge_manifest(webota_pull_t *p, const webota_release_t *m)
{
    const webota_chip_info_t *ci = webota_chip_info((webota_chip_t)p->cfg.chip);
    if (m->revoked) {
        return verdict(p, WEBOTA_ERR_REL_REVOKED, "release ", m->version, " has been revoked");
    }
    if (strcmp(m->project, p->running.project_name) != 0) {
        return verdict(p, WEBOTA_ERR_UPD_PROJECT, "release is for project ", m->project, "");
    }
    if (ci == NULL || strcmp(m->chip, ci->name) != 0) {
        return verdict(p, WEBOTA_ERR_REL_CHIP, "release is built for ", m->chip, "");
    }
    bool comparable = false;
    int c = webota_version_cmp(m->version, p->running.version, &comparable);
    if (!comparable) {
        return verdict(p, WEBOTA_ERR_REL_NOT_NEWER, "versions cannot be ordered: release ", m->version,
                       " (see docs/fleet.md for the version form)");
    }
    if (c <= 0) {
        return verdict(p, WEBOTA_ERR_REL_NOT_NEWER, "release ", m->version,
                       c == 0 ? " is the running version" : " is older than the running firmware");
    }
    if (m->secure_version < p->running.secure_version) {
        return verdict(p, WEBOTA_ERR_UPD_SECURE_VERSION, "release ", m->version,
                       " has a lower secure_version than the running firmware");
    }
    if (is_blocked(&p->record, m->sha256)) {
        return verdict(p, WEBOTA_ERR_REL_ROLLED_BACK, "release ", m->version,
                       " rolled back on this device before: it is not retried");
    }
    uint32_t bucket = 0;
    if (webota_release_bucket(p->cfg.device_id, m->project, m->version, &bucket) != WEBOTA_OK) {
        return verdict(p, WEBOTA_ERR_CRYPTO, NULL, NULL, NULL);
    }
    if (!webota_release_in_rollout(bucket, m->rollout)) {
        return verdict(p, WEBOTA_ERR_REL_NOT_IN_ROLLOUT, "release ", m->version,
                       " is rolled out to a share of devices that does not include this one yet");
    }
    return WEBOTA_OK;
}

static void set_etag(webota_pull_t *p, const char *etag)
{
    p->etag[0] = '\0';
    if (etag != NULL && strlen(etag) < sizeof(p->etag)) {
        memcpy(p->etag, etag, strlen(etag) + 1);
    }
}

webota_err_t webota_pull_manifest(webota_pull_t *p, const char *manifest_url, int status,
                                  const char *etag, const void *body, size_t body_len, const void *sig,
                                  size_t sig_len, uint64_t now_ms)
{
    if (p->state == WEBOTA_PULL_DOWNLOADING || p->state == WEBOTA_PULL_ACTIVATED) {
        return WEBOTA_ERR_STATE;
    }
    if (running_unconfirmed(p)) {
        p->state = WEBOTA_PULL_UNCONFIRMED;
        schedule_poll(p, now_ms);
        return verdict(p, WEBOTA_ERR_UPD_PENDING_VERIFY, NULL, NULL, NULL);
    }
    p->state = WEBOTA_PULL_IDLE;
    judge_record(p); /* the firmware may have been confirmed since boot */
    if (status == 304 && p->etag[0] != '\0') {
        p->polls++;
        p->failures = 0;
        schedule_poll(p, now_ms);
        return WEBOTA_OK; /* unchanged: the last verdict stands */
    }
    if (status != 200) {
        p->failures++;
        schedule_retry(p, now_ms);
        p->etag[0] = '\0';
        return verdict(p, WEBOTA_ERR_REL_HTTP,
                       status == 0 ? "the release server did not answer" : "the manifest request failed",
                       NULL, NULL);
    }
    p->polls++;
    p->failures = 0;
    schedule_poll(p, now_ms);
    set_etag(p, etag); /* an unchanged manifest is not judged again */
    webota_err_t e = webota_release_verify(body, body_len, sig, sig_len, p->cfg.trust);
    if (e == WEBOTA_ERR_CRYPTO) {
        p->etag[0] = '\0';
        return verdict(p, e, NULL, NULL, NULL);
    }
    if (e != WEBOTA_OK) {
        /* judged again at the next poll: a publisher may be between writing
         * the signature and the manifest */
        p->etag[0] = '\0';
        return verdict(p, WEBOTA_ERR_REL_SIGNATURE, NULL, NULL, NULL);
    }
    webota_release_error_t perr;
    webota_release_t m;
    if (webota_release_parse(body, body_len, &m, &perr) != WEBOTA_OK) {
        return verdict(p, WEBOTA_ERR_REL_MALFORMED, "release manifest is malformed: ",
                       perr.field[0] ? perr.field : "document", perr.field[0] ? " field" : "");
    }
    p->release = m;
    p->have_manifest = true;
    e = judge_manifest(p, &m);
    if (e != WEBOTA_OK) {
        return e;
    }
    if (webota_release_image_url(manifest_url, m.image, p->image_url, sizeof(p->image_url)) !=
        WEBOTA_OK) {
        return verdict(p, WEBOTA_ERR_REL_MALFORMED, "the image URL does not fit or the manifest URL "
                                                    "is not http(s)", NULL, NULL);
    }
    /* the SAME session as an upload: chip, project, secure_version, marker,
     * and the image's own signature by a trusted key (as an upload on a
     * device with trusted keys: the manifest's SHA-256 alone would make the
     * release server's key the only defence); nothing erased before the
     * header passes */
    webota_update_policy_init(&p->policy);
    p->policy.signature = p->cfg.trust;
    p->policy.check_chip = true;
    p->policy.chip = p->cfg.chip;
    p->policy.check_chip_rev = p->cfg.check_chip_rev;
    p->policy.chip_rev = p->cfg.chip_rev;
    p->policy.allow_no_marker = false;
    p->policy.running_secure_version = p->running.secure_version;
    p->policy.project = p->running.project_name;
    p->policy.refuse_same_version = true;
    p->policy.running_version = p->running.version;
    e = webota_update_begin(&p->session, p->slot, &p->policy, m.size, false);
    if (e != WEBOTA_OK) {
        p->etag[0] = '\0'; /* e.g. busy with an upload: judge again next time */
        return verdict(p, e, webota_update_message(&p->session), NULL, NULL);
    }
    if (webota_hash_start(&p->sha, WEBOTA_HASH_SHA256) != WEBOTA_OK) {
        webota_update_abort(&p->session);
        p->etag[0] = '\0';
        return verdict(p, WEBOTA_ERR_CRYPTO, NULL, NULL, NULL);
    }
    p->resumes = 0;
    p->state = WEBOTA_PULL_DOWNLOADING;
    p->next_ms = now_ms;
    return verdict(p, WEBOTA_OK, "downloading ", m.version, NULL);
}

const char *webota_pull_image_url(const webota_pull_t *p)
{
    return p->image_url;
}

uint32_t webota_pull_offset(const webota_pull_t *p)
{
    return p->state == WEBOTA_PULL_DOWNLOADING ? webota_update_received(&p->session) : 0;
}

/* The download ends without an activation: session aborted, hash released. */
static webota_err_t download_failed(webota_pull_t *p, webota_err_t e, const char *msg)
{
    webota_update_abort(&p->session);
    webota_hash_abort(&p->sha);
    p->state = WEBOTA_PULL_IDLE;
    return verdict(p, e, msg, NULL, NULL);
}

webota_err_t webota_pull_data(webota_pull_t *p, uint32_t pos, const void *data, size_t len)
{
    if (p->state != WEBOTA_PULL_DOWNLOADING) {
        return WEBOTA_ERR_STATE;
    }
    uint32_t have = webota_update_received(&p->session);
    const uint8_t *d = data;
    if (pos > have) {
        return download_failed(p, WEBOTA_ERR_REL_HTTP, "the server skipped bytes of the image");
    }
    if ((uint64_t)pos + len <= have) {
        return WEBOTA_OK; /* sent again: already here */
    }
    size_t skip = have - pos;
    d += skip;
    len -= skip;
    if ((uint64_t)have + len > p->release.size) {
        return download_failed(p, WEBOTA_ERR_REL_SIZE,
                               "the server sent more bytes than the manifest's size");
    }
    if (webota_hash_update(&p->sha, d, len) != WEBOTA_OK) {
        return download_failed(p, WEBOTA_ERR_CRYPTO, NULL);
    }
    webota_err_t e = webota_update_write(&p->session, d, len);
    if (e != WEBOTA_OK) {
        return download_failed(p, e, webota_update_message(&p->session));
    }
    return WEBOTA_OK;
}

webota_err_t webota_pull_transfer_end(webota_pull_t *p, int status, uint64_t now_ms)
{
    if (p->state != WEBOTA_PULL_DOWNLOADING) {
        return WEBOTA_ERR_STATE;
    }
    if (status >= 400 && status < 500) {
        p->etag[0] = '\0'; /* judge the manifest again at the next poll */
        schedule_poll(p, now_ms);
        return download_failed(p, WEBOTA_ERR_REL_HTTP, "the image request was refused (HTTP 4xx)");
    }
    uint32_t have = webota_update_received(&p->session);
    if (have < p->release.size) {
        p->failures++;
        p->resumes++;
        schedule_retry(p, now_ms);
        return verdict(p, WEBOTA_ERR_REL_HTTP, "the download stopped; it resumes where it stopped",
                       NULL, NULL);
    }
    uint8_t got[WEBOTA_SHA256_LEN];
    if (webota_hash_finish(&p->sha, got, sizeof(got)) != WEBOTA_OK) {
        return download_failed(p, WEBOTA_ERR_CRYPTO, NULL);
    }
    if (memcmp(got, p->release.sha256, sizeof(got)) != 0) {
        webota_update_abort(&p->session);
        p->state = WEBOTA_PULL_IDLE;
        return verdict(p, WEBOTA_ERR_REL_HASH, NULL, NULL, NULL);
    }
    webota_err_t e = webota_update_finish(&p->session);
    if (e != WEBOTA_OK) {
        p->state = WEBOTA_PULL_IDLE;
        return verdict(p, e, webota_update_message(&p->session), NULL, NULL);
    }
    webota_pull_record_t *r = &p->record;
    r->attempting = true;
    memcpy(r->attempt_sha256, p->release.sha256, WEBOTA_SHA256_LEN);
    memset(r->attempt_version, 0, sizeof(r->attempt_version));
    memcpy(r->attempt_version, p->release.version, strlen(p->release.version) + 1);
    p->record_dirty = true;
    p->failures = 0;
    p->state = WEBOTA_PULL_ACTIVATED;
    return verdict(p, WEBOTA_OK, "activated ", p->release.version, ": rebooting into it");
}

webota_err_t webota_pull_verdict(const webota_pull_t *p)
{
    return p->verdict;
}

const char *webota_pull_message(const webota_pull_t *p)
{
    return p->message[0] ? p->message : webota_strerror(p->verdict);
}

uint32_t webota_pull_received(const webota_pull_t *p)
{
    return p->state == WEBOTA_PULL_DOWNLOADING || p->state == WEBOTA_PULL_ACTIVATED
               ? webota_update_received(&p->session)
               : 0;
}

uint32_t webota_pull_polls(const webota_pull_t *p)
{
    return p->polls;
}

uint32_t webota_pull_resumes(const webota_pull_t *p)
{
    return p->resumes;
}

bool webota_pull_record_dirty(const webota_pull_t *p)
{
    return p->record_dirty;
}

const webota_pull_record_t *webota_pull_record(const webota_pull_t *p)
{
    return &p->record;
}

void webota_pull_record_saved(webota_pull_t *p)
{
    p->record_dirty = false;
}

void webota_pull_status_json(const webota_pull_t *p, webota_json_t *j, uint64_t now_ms)
{
    webota_json_obj_begin(j);
    webota_json_key(j, "state");
    webota_json_str(j, webota_pull_state_name(p->state));
    webota_json_key(j, "verdict");
    webota_json_str(j, webota_err_name(p->verdict));
    webota_json_key(j, "message");
    webota_json_str(j, webota_pull_message(p));
    webota_json_key(j, "release");
    if (p->have_manifest) {
        webota_json_obj_begin(j);
        webota_json_key(j, "version");
        webota_json_str(j, p->release.version);
        webota_json_key(j, "rollout");
        webota_json_uint(j, p->release.rollout);
        webota_json_key(j, "channel");
        webota_json_str(j, p->release.channel);
        webota_json_key(j, "size");
        webota_json_uint(j, p->release.size);
        webota_json_obj_end(j);
    } else {
        webota_json_null(j);
    }
    webota_json_key(j, "received");
    webota_json_uint(j, webota_pull_received(p));
    webota_json_key(j, "resumes");
    webota_json_uint(j, p->resumes);
    webota_json_key(j, "next_poll_s");
    webota_json_uint(j, p->next_ms > now_ms ? (p->next_ms - now_ms + 999u) / 1000u : 0u);
    webota_json_key(j, "blocked");
    webota_json_uint(j, p->record.blocked_count);
    webota_json_obj_end(j);
}
