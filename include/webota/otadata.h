/* otadata: the two 32-byte "OTA select" entries that tell ESP-IDF's bootloader
 * which app slot to boot (docs/formats.md#otadata). Pure functions over bytes and structs: no
 * flash access. Callers (slot writer, simulated bootloader, CLI) read the
 * 0x2000-byte region, call these, and apply the result: every write is
 * "erase sector S (4 KiB of 0xFF), then program the 32 encoded bytes at
 * region offset S * 0x1000".
 *
 * Slot numbers are OTA indices (ota_N -> N). Two different "N" exist
 * (docs/formats.md#validity-and-selection):
 * the bootloader's app_count (every app subtype 0x10..0x1F) and the app's
 * count of consecutive ota_0, ota_1, ... (they differ only with gaps). */
#ifndef WEBOTA_OTADATA_H
#define WEBOTA_OTADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"
#include "webota/ota_state.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_OTADATA_SIZE 0x2000u   /* whole partition: two sectors */
#define WEBOTA_OTADATA_SECTOR 0x1000u /* entry i is at region offset i * 0x1000 */
#define WEBOTA_OTADATA_ENTRY_SIZE 32u
#define WEBOTA_OTA_SEQ_ERASED 0xFFFFFFFFu
#define WEBOTA_OTA_MAX_SLOTS 16u      /* ota_0 .. ota_15 */
#define WEBOTA_OTA_LOAD_ORDER_MAX 18u /* app_count + factory + test */

/* Load-loop indices besides OTA slots >= 0 (bootloader_utility.c). */
#define WEBOTA_OTA_INDEX_FACTORY (-1)
#define WEBOTA_OTA_INDEX_TEST (-2)

/* esp_ota_select_entry_t: seq u32 | seq_label[20] | state u32 | crc u32 (LE). */
typedef struct webota_ota_entry {
    uint32_t seq;
    uint8_t seq_label[20]; /* unused by IDF; preserved as read */
    uint32_t state;        /* WEBOTA_OTA_STATE_* (any u32 on flash) */
    uint32_t crc;          /* webota_ota_seq_crc(seq) when intact */
} webota_ota_entry_t;

/* crc32_le(0xFFFFFFFF, seq as 4 LE bytes): 1 -> 0x4743989A, 0 -> 0xFFFFFFFF. */
uint32_t webota_ota_seq_crc(uint32_t seq);

void webota_ota_entry_decode(const uint8_t raw[32], webota_ota_entry_t *e);
void webota_ota_entry_encode(const webota_ota_entry_t *e, uint8_t raw[32]);
/* region: WEBOTA_OTADATA_SIZE bytes; e[i] from offset i * 0x1000. */
void webota_ota_region_decode(const uint8_t *region, webota_ota_entry_t e[2]);
/* An erased entry (all 0xFF), as after a sector erase. */
void webota_ota_entry_erased(webota_ota_entry_t *e);
/* True when every byte of the entry is 0xFF (never written since the erase). */
bool webota_ota_entry_is_erased(const webota_ota_entry_t *e);
/* A fresh entry: label 0xFF, given seq/state, correct CRC. */
void webota_ota_entry_make(uint32_t seq, uint32_t state, webota_ota_entry_t *e);

bool webota_ota_crc_ok(const webota_ota_entry_t *e);
/* invalid() (docs/formats.md#validity-and-selection): seq erased or state
 * INVALID/ABORTED (CRC not looked at). */
bool webota_ota_entry_invalid(const webota_ota_entry_t *e);
/* valid(): !invalid && CRC ok. */
bool webota_ota_entry_valid(const webota_ota_entry_t *e);
/* "blank": seq erased or CRC bad (the bootloader's initial-contents test). */
bool webota_ota_entry_blank(const webota_ota_entry_t *e);
/* select(ok, want_max): 0, 1 or -1; ties -> 0. */
int webota_ota_select(const webota_ota_entry_t e[2], const bool ok[2], bool want_max);
/* active = select(valid, max). */
int webota_ota_active(const webota_ota_entry_t e[2]);
/* (seq - 1) % n in u32 arithmetic; n must be > 0. */
unsigned webota_ota_seq_slot(uint32_t seq, unsigned n);

/* ---- Bootloader choice (docs/formats.md#bootloader-choice) ---- */
typedef struct webota_boot_config {
    unsigned app_count; /* bootloader N (all app subtypes 0x10..0x1F), <= 16 */
    bool has_factory;
    bool rollback;      /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    bool anti_rollback; /* CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK */
    uint32_t efuse_secure_version;
    /* anti-rollback only: secure_version of the app in OTA slot i; return false
     * if it cannot be read (the entry then does not count). May be NULL when
     * anti_rollback is false. */
    bool (*slot_secure_version)(void *ctx, unsigned slot, uint32_t *secure_version);
    void *ctx;
} webota_boot_config_t;

typedef struct webota_boot_choice {
    /* Where the load loop starts: >= 0 OTA slot; -1 = factory, or, without a
     * factory, "scan" (the loop skips the missing factory and tries ota_0, ota_1...). */
    int start;
    /* ota_has_initial_contents: after OTA slot i loads, erase sector 0 and
     * write webota_ota_initial_entry(i) (and, with anti-rollback, raise the
     * eFuse to that app's secure_version). */
    bool initial;
    /* Entries the bootloader rewrites before loading, in index order (erase
     * sector i, write entry[i]): PENDING_VERIFY -> ABORTED, NEW -> PENDING_VERIFY. */
    bool rewrite[2];
    webota_ota_entry_t entry[2]; /* the entries after those rewrites */
    /* The same rewrites in the order the bootloader does them (ABORTED ones
     * first, then NEW -> PENDING_VERIFY): entry indices write_order[0..n_writes). */
    unsigned n_writes;
    int write_order[2];
    int active; /* entry index the choice came from, or -1 */
    /* Anti-rollback: the active entry is VALID and its app's secure_version
     * (read through slot_secure_version) exceeds the eFuse: burn up to it.
     * Done before loading, like update_anti_rollback(). */
    bool efuse_raise;
    uint32_t efuse_new_version;
} webota_boot_choice_t;

/* Pure: no flash access. ARG when cfg is NULL or app_count > 16. A table
 * without otadata is the caller's case: boot factory (start -1). */
webota_err_t webota_ota_boot_select(const webota_ota_entry_t e[2], const webota_boot_config_t *cfg,
                                    webota_boot_choice_t *out);

/* Bootloader choice step 6, the load order: start, then downwards to factory (-1, only if
 * has_factory), then upwards start+1 .. app_count-1, then test (-2) if
 * has_test. start == -2 (test GPIO) gives just the test app. Slots whose
 * partition is missing (gaps) are the caller's to skip. Returns the count
 * written to order[] (<= WEBOTA_OTA_LOAD_ORDER_MAX). */
unsigned webota_ota_load_order(int start, unsigned app_count, bool has_factory, bool has_test,
                               int order[WEBOTA_OTA_LOAD_ORDER_MAX]);

/* The entry the bootloader writes to sector 0 after OTA slot `slot` loaded
 * with choice.initial: seq slot+1, state VALID, label 0xFF. */
void webota_ota_initial_entry(unsigned slot, webota_ota_entry_t *out);

/* ---- App writes ---- */
/* Set boot partition (docs/formats.md#set-boot-partition), rule set:
 *  V6_0    ESP-IDF >= v6.0: re-selecting the active slot rewrites it in place;
 *  V5_5    ESP-IDF <= v5.5: always the inactive sector (equal seq possible);
 *  OTATOOL otatool.py switch_ota_partition: like V5_5, but validity ignores
 *          the state and only seq and crc are patched (state/label kept). */
typedef enum {
    WEBOTA_OTA_RULE_V6_0,
    WEBOTA_OTA_RULE_V5_5,
    WEBOTA_OTA_RULE_OTATOOL
} webota_ota_rule_t;

/* Entry to write for "boot OTA slot `slot` next". n_app = the app's count of
 * consecutive ota_N (ARG if 0 or > 16; OTA_BAD_SLOT if slot >= n_app). On OK:
 * erase *sector, then write *out. State NEW with rollback, else UNDEFINED
 * (OTATOOL keeps the state read). The image in the slot must have been
 * verified by the caller first (step 1 of set boot). Factory is not a slot: to boot
 * factory, erase both sectors. OTA_SEQ_OVERFLOW when no seq can be found
 * without wrapping past 0xFFFFFFFF (ESP-IDF would loop; see docs/otadata.md). */
webota_err_t webota_ota_set_boot(const webota_ota_entry_t cur[2], unsigned slot, unsigned n_app,
                                 bool rollback, webota_ota_rule_t rule, unsigned *sector,
                                 webota_ota_entry_t *out);

/* Image states (docs/formats.md#image-states-and-rollback): mark running
 * firmware VALID (confirm) or INVALID (roll back), as
 * esp_ota_mark_app_valid_cancel_rollback / _invalid_rollback do to the active
 * entry. STATE ("running firmware is factory") when there is no active entry
 * or n_app == 0; ARG for other states or n_app > 16. On OK, *sector is the entry to rewrite
 * in place (erase, write *out), or -1 when nothing changes (already VALID).
 * For INVALID the caller must first check webota_ota_rollback_possible(). */
webota_err_t webota_ota_mark(const webota_ota_entry_t cur[2], unsigned n_app, uint32_t new_state,
                             int *sector, webota_ota_entry_t *out);

/* ---- Queries (docs/formats.md#other-otadata-writes-by-the-application),
 * n_app = the app's count (1..16; 0 or more than 16: NOT_FOUND / -1 / false) ---- */
/* esp_ota_get_state_partition: first entry (0 then 1) whose CRC is good and
 * (seq-1)%n == slot. NOT_FOUND when none or n_app == 0. */
webota_err_t webota_ota_slot_state(const webota_ota_entry_t e[2], unsigned slot, unsigned n_app,
                                   uint32_t *state);
/* esp_ota_get_last_invalid_partition: slot of the lower-seq entry among those
 * with seq != erased, good CRC and state INVALID/ABORTED; -1 if none. The
 * caller returns it only if its image verifies. */
int webota_ota_last_invalid(const webota_ota_entry_t e[2], unsigned n_app);
/* esp_ota_check_rollback_is_possible. factory_verifies: a factory partition
 * exists and its image verifies (pass false with anti-rollback). slot_verifies:
 * the image in OTA slot s verifies (and, with anti-rollback, its
 * secure_version >= eFuse); may be NULL (= never). */
bool webota_ota_rollback_possible(const webota_ota_entry_t e[2], unsigned n_app,
                                  bool factory_verifies,
                                  bool (*slot_verifies)(void *ctx, unsigned slot), void *ctx);
/* esp_ota_invalidate_inactive_ota_data_slot (esp_ota_begin with rollback):
 * the otadata sector to erase, or -1. running_slot: OTA slot running, or -1. */
int webota_ota_inactive_sector_to_erase(const webota_ota_entry_t e[2], unsigned n_app,
                                        int running_slot);
/* esp_ota_get_boot_partition's view: OTA slot of the active entry, or -1
 * (factory / first OTA / test: the caller's default) when both are invalid,
 * n_app == 0 or no entry is active. */
int webota_ota_boot_slot(const webota_ota_entry_t e[2], unsigned n_app);

#ifdef __cplusplus
}
#endif

#endif
