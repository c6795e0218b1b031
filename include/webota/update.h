/* An update session: the streaming image checker, the update policy and a slot
 * writer (webota/slot.h) tied together, so that a firmware arriving in chunks
 * of any size (an HTTP body, a file) is judged as early as possible and
 * written only once it can be.
 *
 * Order of events:
 *  - begin: picks the target slot (webota_slot_next); nothing is erased.
 *  - write: the first 0x120 bytes (image header, segment 0 header, app
 *    descriptor) are kept in the session until the header and descriptor have
 *    passed the policy (magic, chip, chip revision, size against the slot,
 *    secure_version, project, same version); only then is the slot opened
 *    (webota_slot_begin, with its rules) and written. The rest streams straight through the checker
 *    into the slot.
 *  - finish: the checker's verdict (checksum, SHA-256, truncation), the marker
 *    requirement (the marker may sit anywhere in the image, so it is judged
 *    here), the signature when the policy trusts keys (the padding and the
 *    signature sector after the image are written with it; the digest is
 *    computed while it streams), the slot's proof that the flash holds the
 *    bytes written, then activation (webota_slot_activate).
 *  - any error (and abort) closes the slot with webota_slot_abort: otadata and the
 *    running firmware are never touched by a failed session.
 *
 * No allocation: webota_update_t is caller-owned storage of
 * WEBOTA_UPDATE_STORAGE_SIZE bytes (static assertion in update.c). The
 * policy's strings and the ops must outlive the session. */
#ifndef WEBOTA_UPDATE_H
#define WEBOTA_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/app_desc.h"
#include "webota/err.h"
#include "webota/slot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A zeroed policy is the default (webota_update_policy_init): every field's
 * zero is the safe or neutral choice (marker required, no downgrade, chip and
 * revision not checked until their check_* flag is set). */
typedef struct webota_update_policy {
    bool check_chip;             /* refuse images for another chip than `chip` */
    int chip;                    /* webota_chip_t the device is, with check_chip */
    bool check_chip_rev;         /* refuse images whose revision range excludes chip_rev */
    int chip_rev;                /* major*100+minor, with check_chip_rev */
    bool allow_no_marker;        /* accept images without the webota marker (false: refused unless forced) */
    bool allow_secure_downgrade; /* false: new secure_version must be >= running_secure_version */
    uint32_t running_secure_version;
    /* Anti-rollback (the bootloader's CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK):
     * an image whose secure_version is below the device's security version
     * (eFuse) would never boot, so it is refused at its descriptor, before
     * anything is erased, whatever allow_secure_downgrade says. The API fills
     * these from webota_slot_security_version. */
    bool anti_rollback;
    uint32_t security_version;
    const char *project;     /* NULL = any project; else must equal the image's project_name */
    bool refuse_same_version; /* refuse an image whose version equals running_version */
    const char *running_version;
    /* Refuse an image whose version is older than running_version
     * (webota_version_compare). Versions it cannot order are accepted. */
    bool refuse_older_version;
    /* NULL = any; else the image's version must equal it (a pulled release:
     * the version its manifest names, which the device judged), refused
     * at the descriptor (REL_VERSION), nothing erased. */
    const char *expect_version;
    /* Signed images (Secure Boot V2 sector, webota/sigblock.h): with trusted
     * keys, an image is activated only when a block signed by one of them
     * verifies; unsigned, untrusted, mismatching and malformed are refused
     * (SIG_*), the slot aborted, otadata untouched. NULL or no keys:
     * signatures are not checked (unsigned images accepted). Must outlive
     * the session. */
    const struct webota_sig_config *signature;
} webota_update_policy_t;

/* Zeroes the policy: chip and revision not checked, marker required, no
 * downgrade, running secure version 0, any project, same and older versions allowed,
 * signatures not checked. */
void webota_update_policy_init(webota_update_policy_t *policy);

typedef enum {
    WEBOTA_UPDATE_IDLE,      /* before begin */
    WEBOTA_UPDATE_RECEIVING, /* begin done, taking data */
    WEBOTA_UPDATE_VERIFYING, /* inside finish */
    WEBOTA_UPDATE_DONE,      /* verified and activated: reboot to run it */
    WEBOTA_UPDATE_FAILED,    /* error/abort; see webota_update_error/message */
} webota_update_state_t;

/* 1.5 KiB of session and checker, 2 KiB of signature verifier (hash
 * operations and one signature block). */
#define WEBOTA_UPDATE_STORAGE_SIZE 4096u
#define WEBOTA_UPDATE_MESSAGE_MAX 200u /* message buffer, NUL included */

typedef struct webota_update {
    union {
        unsigned char bytes[WEBOTA_UPDATE_STORAGE_SIZE];
        long long align_ll;
        void *align_p;
        double align_d;
    } opaque;
} webota_update_t;

/* Starts a session on the slot webota_slot_next names (slot: the rules over
 * the platform's seam, webota/slot.h; it must outlive the session). total = announced length in
 * bytes (0 = unknown). force = accept an image without the webota marker.
 * The policy is copied (its strings are not). Errors (the session is then
 * FAILED): ARG, UPD_BUSY (another session holds the slot open), UPD_NO_SLOT, IMG_TOO_BIG (total larger than
 * the slot). begin overwrites the whole session: abort one that is still
 * receiving first. Before begin (e.g. a zeroed struct) the state is IDLE. */
webota_err_t webota_update_begin(webota_update_t *u, webota_slot_t *slot,
                                 const webota_update_policy_t *policy, uint32_t total,
                                 bool force);
/* Feeds the next len bytes (any chunking, len 0 allowed). On error the session
 * is FAILED, the slot aborted, and every later call returns the same error. */
webota_err_t webota_update_write(webota_update_t *u, const void *data, size_t len);
/* Checker verdict, marker, length, slot finish (the flash holds what was written), activate.
 * DONE on success. */
webota_err_t webota_update_finish(webota_update_t *u);
/* The client went away: closes the slot (otadata and the running firmware
 * untouched); state FAILED with UPD_ABORTED. No-op when DONE/FAILED/IDLE. */
void webota_update_abort(webota_update_t *u);

webota_update_state_t webota_update_state(const webota_update_t *u);
uint32_t webota_update_received(const webota_update_t *u);
uint32_t webota_update_total(const webota_update_t *u); /* announced, 0 = unknown */
webota_err_t webota_update_error(const webota_update_t *u); /* OK unless FAILED */
/* Image offset the error refers to (the byte where it was detected). */
uint32_t webota_update_error_offset(const webota_update_t *u);
/* Human sentence with details, e.g. "image is built for another chip
 * (ESP32-C3, this device is ESP32) at offset 12"; "" when there is no error. */
const char *webota_update_message(const webota_update_t *u);
/* The new image's descriptor once it has been received, else NULL. */
const webota_app_desc_t *webota_update_desc(const webota_update_t *u);
/* The target slot (valid after a successful begin), else NULL. */
const webota_slot_info_t *webota_update_slot(const webota_update_t *u);
/* The signature verdict and findings (after finish; NULL when the policy
 * checks no signature or the image never completed). */
const struct webota_sig_result *webota_update_signature(const webota_update_t *u);
/* "idle", "receiving", "verifying", "done", "failed". */
const char *webota_update_state_name(webota_update_state_t s);

#ifdef __cplusplus
}
#endif

#endif
