/* Pulling releases (docs/fleet.md): what a device decides when it polls a
 * release server, written once for every platform. The port moves bytes
 * (libcurl in the simulator, esp_http_client on ESP-IDF) and persists a
 * small record; this module decides everything else:
 *
 *   - when to poll: every interval, jittered by up to +-10 % (a per-device
 *     sequence, so that a fleet does not poll in step); after a failed
 *     transfer, retry_ms doubling up to the interval;
 *   - conditional requests: the port sends webota_pull_etag() as
 *     If-None-Match; a 304 costs nothing more;
 *   - the manifest verdict, in this order: signature by a trusted key,
 *     parse, revoked, project, chip, newer version, secure_version, rolled
 *     back here before, rollout membership (webota/release.h);
 *   - the download: every byte goes through the SAME update session as an
 *     upload (image checks, project, secure_version, marker, and the image's
 *     own Secure Boot V2 signature by a trusted key: webota/update.h) and a
 *     SHA-256 of the file; a dropped connection keeps the session open and
 *     the next attempt asks for the rest (HTTP Range from
 *     webota_pull_offset()); bytes the server sends again are skipped;
 *   - the end: size and SHA-256 against the manifest BEFORE activation
 *     (a mismatch aborts the session: otadata untouched), then finish and
 *     activate; the release is recorded as "attempted" and the port reboots;
 *   - after the reboot: the running firmware is judged against the record:
 *     the attempted version running and confirmed clears the attempt; any
 *     other firmware running means the new one rolled back (it never became
 *     healthy), and the release is blocked for good on this device.
 * While the running firmware is unconfirmed (PENDING_VERIFY) nothing is
 * polled: the confirm policy (webota/confirm.h) decides first.
 *
 * No malloc, no OS call: time comes in as a millisecond tick. Not
 * thread-safe: the port serialises calls (the simulator holds its device
 * lock). */
#ifndef WEBOTA_PULL_H
#define WEBOTA_PULL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/app_desc.h"
#include "webota/crypto.h"
#include "webota/err.h"
#include "webota/json.h"
#include "webota/release.h"
#include "webota/sigblock.h"
#include "webota/slot.h"
#include "webota/update.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the persisted record ---- */

#define WEBOTA_PULL_BLOCKED_MAX 8u
#define WEBOTA_PULL_RECORD_LEN 640u /* encoded size */

typedef struct webota_pull_record {
    bool attempting;                        /* a release was activated; not yet judged */
    uint8_t attempt_sha256[WEBOTA_SHA256_LEN];
    char attempt_version[WEBOTA_RELEASE_NAME_MAX];
    uint8_t blocked_count;                  /* entries in blocked (a ring, newest last) */
    uint8_t blocked_next;
    uint8_t blocked[WEBOTA_PULL_BLOCKED_MAX][WEBOTA_SHA256_LEN]; /* image SHA-256s */
    char blocked_version[WEBOTA_PULL_BLOCKED_MAX][WEBOTA_RELEASE_NAME_MAX];
} webota_pull_record_t;

/* Fixed layout with a magic and a SHA-256 check (so a torn or foreign file
 * reads as "no record" instead of garbage). */
webota_err_t webota_pull_record_encode(const webota_pull_record_t *r, uint8_t out[WEBOTA_PULL_RECORD_LEN]);
/* REL_MALFORMED for a wrong length, magic or check: start with a zeroed record. */
webota_err_t webota_pull_record_decode(const uint8_t *in, size_t len, webota_pull_record_t *r);

/* ---- the manifest's signature ---- */

/* The detached signature (the file next to the manifest, MANIFEST.sig): one
 * to three Secure Boot V2 signature blocks (1216 bytes each, the layout of
 * docs/signing.md) whose digest field is the SHA-256 of the manifest's bytes
 * (SHA-384 for P-384 keys). OK when a block by a trusted key verifies;
 * REL_SIGNATURE when there are no trusted keys, the length is not a whole
 * number of blocks, no block is by a trusted key, or its signature or
 * digest does not match; CRYPTO when the library fails. */
webota_err_t webota_release_verify(const void *manifest, size_t len, const void *sig, size_t sig_len,
                                   const webota_sig_config_t *trust);

/* ---- the puller ---- */

typedef struct webota_pull_config {
    const char *device_id;   /* rollout membership; must outlive the puller */
    int chip;                /* webota_chip_t of the device */
    uint32_t interval_ms;    /* between manifest polls (before jitter) */
    uint32_t retry_ms;       /* first retry after a failed transfer; 0 = interval / 8 */
    /* Trusted keys: manifests must carry a signature block by one of them,
     * and so must the image itself (its signature sector, checked by the
     * update session exactly as for an upload: SIG_UNSIGNED,
     * SIG_UNTRUSTED, SIG_MISMATCH, SIG_MALFORMED refuse it before
     * activation). Must outlive the puller. */
    const webota_sig_config_t *trust;
    /* The chip revision (major * 100 + minor), as an upload's policy has
     * it: with check_chip_rev an image whose revision range excludes
     * chip_rev is refused at its header, nothing erased. false: not
     * checked (the simulator, whose chip has no revision). */
    bool check_chip_rev;
    int chip_rev;
} webota_pull_config_t;

typedef enum {
    WEBOTA_PULL_IDLE,        /* waiting for the next poll */
    WEBOTA_PULL_UNCONFIRMED, /* the running firmware is PENDING_VERIFY: no polling */
    WEBOTA_PULL_DOWNLOADING, /* a release is streaming into the update session */
    WEBOTA_PULL_ACTIVATED,   /* verified and activated: reboot now */
} webota_pull_state_t;

typedef struct webota_pull {
    webota_pull_config_t cfg;
    webota_slot_t *slot;
    webota_app_desc_t running;
    webota_pull_record_t record;
    bool record_dirty;
    webota_pull_state_t state;
    webota_release_t release;         /* the release being (or last) judged */
    char image_url[WEBOTA_RELEASE_URL_MAX];
    char etag[96];
    uint64_t next_ms;
    uint32_t failures, resumes, rng, polls;
    webota_err_t verdict;             /* the last manifest or download verdict */
    char message[WEBOTA_UPDATE_MESSAGE_MAX];
    bool have_manifest;
    webota_hash_t sha;
    webota_update_policy_t policy;
    webota_update_t session;
} webota_pull_t;

/* At each boot, once the slot rules are ready. running: the running
 * firmware's descriptor; record: what the port read back (NULL = none). The
 * record is judged here (see above): webota_pull_record_dirty() then says
 * whether it must be saved. The first poll is due after a jittered
 * fraction of the interval. Keeps pointers to cfg's strings and slot. */
webota_err_t webota_pull_init(webota_pull_t *p, const webota_pull_config_t *cfg, webota_slot_t *slot,
                              const webota_app_desc_t *running, const webota_pull_record_t *record,
                              uint64_t now_ms);

typedef enum {
    WEBOTA_PULL_NOTHING,        /* nothing due now */
    WEBOTA_PULL_FETCH_MANIFEST, /* GET the manifest (If-None-Match: etag) and, on 200, its .sig */
    WEBOTA_PULL_FETCH_IMAGE,    /* GET webota_pull_image_url() from webota_pull_offset() */
} webota_pull_action_t;

/* What the port does now. While the running firmware is unconfirmed it
 * answers NOTHING (state UNCONFIRMED) and looks again an interval later. */
webota_pull_action_t webota_pull_next(webota_pull_t *p, uint64_t now_ms);

/* Milliseconds until something is due (0 = now); UINT32_MAX when nothing
 * will be (ACTIVATED: the port reboots). UNCONFIRMED re-checks every
 * interval. */
uint32_t webota_pull_due_in(webota_pull_t *p, uint64_t now_ms);
webota_pull_state_t webota_pull_state(const webota_pull_t *p);
/* "idle", "unconfirmed", "downloading", "activated". */
const char *webota_pull_state_name(webota_pull_state_t s);

/* The manifest poll. status: the HTTP status (0 when no answer came);
 * etag: the answer's ETag (NULL = none); body, sig: the manifest and its
 * signature file (fetched when status is 200). manifest_url resolves the
 * image URL. Returns the verdict: OK when a download starts (state
 * DOWNLOADING), OK with state IDLE for 304, else the reason nothing is
 * installed (also in webota_pull_verdict/message), the next poll
 * scheduled. */
webota_err_t webota_pull_manifest(webota_pull_t *p, const char *manifest_url, int status,
                                  const char *etag, const void *body, size_t body_len, const void *sig,
                                  size_t sig_len, uint64_t now_ms);
const char *webota_pull_etag(const webota_pull_t *p);

/* DOWNLOADING: the URL to GET and the byte to start from (Range:
 * bytes=OFFSET- when not 0). */
const char *webota_pull_image_url(const webota_pull_t *p);
uint32_t webota_pull_offset(const webota_pull_t *p);
/* Image bytes that start at file position pos (0 for a 200 answer, the
 * Content-Range start for a 206). Bytes already received are skipped; a gap
 * or bytes past the manifest's size fail. A failure ends the download
 * (state IDLE, the session aborted, otadata untouched): stop the transfer. */
webota_err_t webota_pull_data(webota_pull_t *p, uint32_t pos, const void *data, size_t len);
/* The transfer ended (complete or not; status the HTTP status, 0 when none
 * came). A 4xx answer ends the download (the file is not there: the next
 * poll judges the manifest again). All bytes there: size and SHA-256
 * against the manifest, then the session's finish (verify, activate):
 * ACTIVATED on success, and the record (attempted release) is dirty; the
 * port saves it, then reboots. Not all there: a retry is scheduled with
 * backoff and the session stays open (the next transfer resumes). */
webota_err_t webota_pull_transfer_end(webota_pull_t *p, int status, uint64_t now_ms);

/* The verdict of the last poll or download, and its sentence. */
webota_err_t webota_pull_verdict(const webota_pull_t *p);
const char *webota_pull_message(const webota_pull_t *p);
/* Bytes of the current release received, dropped connections resumed. */
uint32_t webota_pull_received(const webota_pull_t *p);
uint32_t webota_pull_resumes(const webota_pull_t *p);
/* Manifest answers (200 or 304) since init. */
uint32_t webota_pull_polls(const webota_pull_t *p);

/* The record to persist when dirty; webota_pull_record_saved clears the flag. */
bool webota_pull_record_dirty(const webota_pull_t *p);
const webota_pull_record_t *webota_pull_record(const webota_pull_t *p);
void webota_pull_record_saved(webota_pull_t *p);

/* Writes the "pull" object of /api/status: state, verdict (code and
 * message), the manifest's version and rollout, received/total, resumes,
 * next poll in seconds, blocked releases. */
void webota_pull_status_json(const webota_pull_t *p, webota_json_t *j, uint64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
