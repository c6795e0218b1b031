/* webota error codes: one enum for every module, each with a short stable name
 * (used in JSON "error" fields and CLI messages) and a human sentence.
 *
 * Add a code by adding one X(...) line in the section of its module; never
 * renumber or reuse a name: the names are part of the HTTP API. */
#ifndef WEBOTA_ERR_H
#define WEBOTA_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(ENUM_SUFFIX, "name", "human message") */
#define WEBOTA_ERROR_LIST(X)                                                                    \
    X(OK, "ok", "success")                                                                     \
    /* generic */                                                                               \
    X(ARG, "invalid_argument", "invalid argument")                                             \
    X(STATE, "invalid_state", "operation not allowed in the current state")                   \
    X(NOT_FOUND, "not_found", "not found")                                                     \
    X(NO_SPACE, "no_space", "buffer too small")                                                \
    X(IO, "io_error", "I/O error")                                                             \
    X(UNSUPPORTED, "unsupported", "not supported")                                             \
    X(CRYPTO, "crypto_error", "cryptographic operation failed")                                \
    /* flash seam and simulated NOR flash */                                                    \
    X(FLASH_RANGE, "flash_out_of_range", "flash access outside the chip")                      \
    X(FLASH_ALIGN, "flash_misaligned", "flash erase not aligned to a 4 KiB sector")            \
    X(FLASH_POWER, "flash_power_lost", "flash is unpowered (power was cut)")                   \
    X(FLASH_VERIFY, "flash_verify_failed", "flash read-back differs from what was written")    \
    X(FLASH_READONLY, "flash_readonly", "partition is read-only")                              \
    /* partition table: binary */                                                               \
    X(PT_TRUNCATED, "pt_truncated", "partition table is shorter than its entries")             \
    X(PT_BAD_MAGIC, "pt_bad_magic", "partition table entry has an invalid magic")              \
    X(PT_NO_END, "pt_no_end_marker", "partition table has no end marker")                      \
    X(PT_EMPTY, "pt_empty", "partition table has no entries")                                  \
    X(PT_MD5_MISMATCH, "pt_md5_mismatch", "partition table MD5 does not match its entries")    \
    X(PT_MD5_DUPLICATE, "pt_md5_duplicate", "partition table has a second MD5 entry")          \
    X(PT_MD5_MISSING, "pt_md5_missing", "partition table has no MD5 entry")                    \
    X(PT_OUT_OF_FLASH, "pt_out_of_flash", "partition lies outside the flash chip")             \
    /* partition table: CSV (gen_esp32part rules) */                                            \
    X(CSV_SYNTAX, "csv_syntax", "malformed CSV line")                                          \
    X(CSV_TYPE, "csv_type", "unknown or missing partition type")                               \
    X(CSV_SUBTYPE, "csv_subtype", "unknown or missing partition subtype")                      \
    X(CSV_NUMBER, "csv_number", "invalid number")                                              \
    X(CSV_FLAG, "csv_flag", "unknown partition flag")                                          \
    X(CSV_ENV, "csv_env", "unknown environment variable")                                      \
    X(CSV_ALIGN, "csv_alignment", "partition offset or size is not aligned")                   \
    X(CSV_OVERLAP, "csv_overlap", "partitions overlap")                                        \
    X(CSV_DUP_NAME, "csv_duplicate_name", "partition name is not unique")                      \
    X(CSV_OTADATA, "csv_otadata", "otadata partition rule broken")                             \
    X(CSV_READONLY, "csv_readonly", "readonly flag not allowed here")                          \
    X(CSV_NVS_SIZE, "csv_nvs_size", "nvs partition too small to be writable")                  \
    X(CSV_FLASH_SIZE, "csv_flash_size", "partitions exceed the flash size")                    \
    X(CSV_TOO_MANY, "csv_too_many", "too many partitions for the table")                       \
    X(CSV_SIZE, "csv_size", "invalid or missing partition size")                               \
    /* otadata */                                                                               \
    X(OTA_NO_OTADATA, "no_otadata", "partition table has no otadata partition")                \
    X(OTA_NO_SLOTS, "no_ota_slots", "partition table has no OTA app slots")                    \
    X(OTA_BAD_SLOT, "bad_ota_slot", "not an OTA app slot of this table")                       \
    X(OTA_SEQ_OVERFLOW, "ota_seq_overflow", "no otadata sequence number left for that slot")  \
    /* app image checker */                                                                     \
    X(IMG_MAGIC, "bad_magic", "not an ESP app image (first byte is not 0xE9)")                 \
    X(IMG_CHIP, "wrong_chip", "image is built for another chip")                               \
    X(IMG_CHIP_REV_MIN, "chip_rev_too_low", "chip revision is below the image's minimum")      \
    X(IMG_CHIP_REV_MAX, "chip_rev_too_high", "chip revision is above the image's maximum")     \
    X(IMG_HEADER, "bad_header", "invalid image header field")                                  \
    X(IMG_SEGCOUNT, "bad_segment_count", "segment count is not 1..16")                         \
    X(IMG_SEG_ALIGN, "segment_length_unaligned", "segment length is not a multiple of 4")      \
    X(IMG_SEG_TOO_BIG, "segment_too_big", "segment length is 16 MiB or more")                  \
    X(IMG_SEG0_SHORT, "segment0_too_short", "first segment is too short for an app descriptor") \
    X(IMG_LOAD_ADDR, "bad_load_address", "segment load address is outside the chip's memory")  \
    X(IMG_MAPPED_ALIGN, "mapped_segment_misaligned",                                            \
      "flash-mapped segment is not aligned to its MMU page")                                    \
    X(IMG_APPDESC, "bad_app_descriptor", "app descriptor magic is missing")                    \
    X(IMG_EFUSE_BLK_REV, "efuse_block_rev", "eFuse block revision outside the image's range")  \
    X(IMG_TRUNCATED, "truncated", "image ends before its declared contents")                   \
    X(IMG_CHECKSUM, "bad_checksum", "image checksum does not match")                           \
    X(IMG_HASH, "bad_sha256", "image SHA-256 does not match")                                  \
    X(IMG_TOO_BIG, "too_big", "image is larger than the slot")                                 \
    X(IMG_REFUSED, "refused", "image refused by policy")                                       \
    /* update policy and session */                                                             \
    X(UPD_NO_MARKER, "no_updater",                                                              \
      "image does not contain the webota updater: installing it would lock you out")            \
    X(UPD_SECURE_VERSION, "secure_version_too_low",                                             \
      "image secure_version is below the running firmware's (anti-rollback)")                   \
    X(UPD_PROJECT, "wrong_project", "image is for another project")                            \
    X(UPD_SAME_VERSION, "same_version", "image has the version that is already running")       \
    X(UPD_BUSY, "busy", "another update is in progress")                                       \
    X(UPD_NO_SLOT, "no_update_slot", "no OTA slot to update")                                  \
    X(UPD_RUNNING_SLOT, "slot_conflict", "refusing to write the running slot")                 \
    X(UPD_PENDING_VERIFY, "pending_verify",                                                     \
      "running firmware is not confirmed yet: confirm or roll back first")                     \
    X(UPD_EMPTY, "empty", "no image data received")                                            \
    X(UPD_LENGTH, "length_mismatch", "received length differs from the announced length")     \
    X(UPD_ABORTED, "aborted", "update aborted")                                                \
    X(UPD_ROLLBACK_IMPOSSIBLE, "rollback_impossible", "there is no valid firmware to roll back to") \
    X(UPD_NOT_PENDING, "not_pending", "running firmware has nothing to confirm")               \
    /* multipart and HTTP API */                                                                \
    X(MP_SYNTAX, "bad_multipart", "malformed multipart/form-data body")                        \
    X(MP_NO_FILE, "no_file", "form has no file field")                                         \
    X(HTTP_BAD_REQUEST, "bad_request", "malformed request")                                    \
    X(HTTP_LENGTH_REQUIRED, "length_required", "Content-Length or chunked encoding required")  \
    X(HTTP_MEDIA_TYPE, "unsupported_media_type", "unsupported content type")                   \
    X(HTTP_FORBIDDEN, "forbidden", "cross-origin request refused")                             \
    X(HTTP_UNAUTHORIZED, "unauthorized", "password required")                                  \
    X(HTTP_NOT_FOUND, "not_found_route", "no such page")                                       \
    X(HTTP_METHOD, "method_not_allowed", "method not allowed")                                 \
    X(HTTP_TOO_LARGE, "too_large", "request body is larger than the update slot")              \
    X(HTTP_WRONG_HOST, "wrong_host", "the Host header names none of this device's addresses")  \
    X(HTTP_TOO_SLOW, "too_slow", "the upload was too slow or stalled: the session is closed")   \
    X(HTTP_RATE_LIMITED, "too_many_attempts", "too many failed logins: wait and try again")     \
    X(HTTP_AUTH_STALE, "stale_nonce", "the login challenge is unknown, used or expired")

typedef enum {
#define WEBOTA_X_ENUM(id, name, msg) WEBOTA_ERR_##id,
    WEBOTA_ERROR_LIST(WEBOTA_X_ENUM)
#undef WEBOTA_X_ENUM
        WEBOTA_ERR__COUNT
} webota_err_t;

#define WEBOTA_OK WEBOTA_ERR_OK

/* Human sentence for an error ("image checksum does not match"); never NULL. */
const char *webota_strerror(webota_err_t err);
/* Stable short identifier ("bad_checksum"); never NULL. */
const char *webota_err_name(webota_err_t err);

#ifdef __cplusplus
}
#endif

#endif
