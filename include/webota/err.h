/* webota error codes: one enum for every module, each with a stable number, the
 * HTTP status the API answers it with, a short stable name (used in JSON
 * "error" fields and CLI messages) and a human sentence.
 *
 * Add a code by adding one X(...) line in the section of its module with the
 * next unused number (the highest in the list + 1, wherever the line goes);
 * never renumber, reuse a number or rename: numbers and names are part of the
 * API (the build refuses a number used twice: duplicate case in err.c). */
#ifndef WEBOTA_ERR_H
#define WEBOTA_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(ENUM_SUFFIX, number, HTTP status, "name", "human message") */
#define WEBOTA_ERROR_LIST(X)                                                                        \
    X(OK, 0, 200, "ok", "success")                                                                  \
    /* generic */                                                                                   \
    X(ARG, 1, 400, "invalid_argument", "invalid argument")                                          \
    X(STATE, 2, 409, "invalid_state", "operation not allowed in the current state")                 \
    X(NOT_FOUND, 3, 404, "not_found", "not found")                                                  \
    X(NO_SPACE, 4, 500, "no_space", "buffer too small")                                             \
    X(IO, 5, 500, "io_error", "I/O error")                                                          \
    X(UNSUPPORTED, 6, 500, "unsupported", "not supported")                                          \
    X(CRYPTO, 7, 500, "crypto_error", "cryptographic operation failed")                             \
    /* flash seam and simulated NOR flash */                                                        \
    X(FLASH_RANGE, 8, 500, "flash_out_of_range", "flash access outside the chip")                   \
    X(FLASH_ALIGN, 9, 500, "flash_misaligned", "flash erase not aligned to a 4 KiB sector")         \
    X(FLASH_POWER, 10, 500, "flash_power_lost", "flash is unpowered (power was cut)")               \
    X(FLASH_VERIFY, 11, 500, "flash_verify_failed", "flash read-back differs from what was written") \
    X(FLASH_READONLY, 12, 500, "flash_readonly", "partition is read-only")                          \
    /* partition table: binary */                                                                   \
    X(PT_TRUNCATED, 13, 500, "pt_truncated", "partition table is shorter than its entries")         \
    X(PT_BAD_MAGIC, 14, 500, "pt_bad_magic", "partition table entry has an invalid magic")          \
    X(PT_NO_END, 15, 500, "pt_no_end_marker", "partition table has no end marker")                  \
    X(PT_EMPTY, 16, 500, "pt_empty", "partition table has no entries")                              \
    X(PT_MD5_MISMATCH, 17, 500, "pt_md5_mismatch", "partition table MD5 does not match its entries") \
    X(PT_MD5_DUPLICATE, 18, 500, "pt_md5_duplicate", "partition table has a second MD5 entry")      \
    X(PT_MD5_MISSING, 19, 500, "pt_md5_missing", "partition table has no MD5 entry")                \
    X(PT_OUT_OF_FLASH, 20, 500, "pt_out_of_flash", "partition lies outside the flash chip")         \
    /* partition table: CSV (gen_esp32part rules) */                                                \
    X(CSV_SYNTAX, 21, 500, "csv_syntax", "malformed CSV line")                                      \
    X(CSV_TYPE, 22, 500, "csv_type", "unknown or missing partition type")                           \
    X(CSV_SUBTYPE, 23, 500, "csv_subtype", "unknown or missing partition subtype")                  \
    X(CSV_NUMBER, 24, 500, "csv_number", "invalid number")                                          \
    X(CSV_FLAG, 25, 500, "csv_flag", "unknown partition flag")                                      \
    X(CSV_ENV, 26, 500, "csv_env", "unknown environment variable")                                  \
    X(CSV_ALIGN, 27, 500, "csv_alignment", "partition offset or size is not aligned")               \
    X(CSV_OVERLAP, 28, 500, "csv_overlap", "partitions overlap")                                    \
    X(CSV_DUP_NAME, 29, 500, "csv_duplicate_name", "partition name is not unique")                  \
    X(CSV_OTADATA, 30, 500, "csv_otadata", "otadata partition rule broken")                         \
    X(CSV_READONLY, 31, 500, "csv_readonly", "readonly flag not allowed here")                      \
    X(CSV_NVS_SIZE, 32, 500, "csv_nvs_size", "nvs partition too small to be writable")              \
    X(CSV_FLASH_SIZE, 33, 500, "csv_flash_size", "partitions exceed the flash size")                \
    X(CSV_TOO_MANY, 34, 500, "csv_too_many", "too many partitions for the table")                   \
    X(CSV_SIZE, 35, 500, "csv_size", "invalid or missing partition size")                           \
    /* otadata */                                                                                   \
    X(OTA_NO_OTADATA, 36, 500, "no_otadata", "partition table has no otadata partition")            \
    X(OTA_NO_SLOTS, 37, 500, "no_ota_slots", "partition table has no OTA app slots")                \
    X(OTA_BAD_SLOT, 38, 500, "bad_ota_slot", "not an OTA app slot of this table")                   \
    X(OTA_SEQ_OVERFLOW, 39, 500, "ota_seq_overflow", "no otadata sequence number left for that slot") \
    /* app image checker */                                                                         \
    X(IMG_MAGIC, 40, 422, "bad_magic", "not an ESP app image (first byte is not 0xE9)")             \
    X(IMG_CHIP, 41, 422, "wrong_chip", "image is built for another chip")                           \
    X(IMG_CHIP_REV_MIN, 42, 422, "chip_rev_too_low", "chip revision is below the image's minimum")  \
    X(IMG_CHIP_REV_MAX, 43, 422, "chip_rev_too_high", "chip revision is above the image's maximum") \
    X(IMG_HEADER, 44, 422, "bad_header", "invalid image header field")                              \
    X(IMG_SEGCOUNT, 45, 422, "bad_segment_count", "segment count is not 1..16")                     \
    X(IMG_SEG_ALIGN, 46, 422, "segment_length_unaligned", "segment length is not a multiple of 4")  \
    X(IMG_SEG_TOO_BIG, 47, 422, "segment_too_big", "segment length is 16 MiB or more")              \
    X(IMG_SEG0_SHORT, 48, 422, "segment0_too_short", "first segment is too short for an app descriptor") \
    X(IMG_LOAD_ADDR, 49, 422, "bad_load_address", "segment load address is outside the chip's memory") \
    X(IMG_MAPPED_ALIGN, 50, 422, "mapped_segment_misaligned",                                       \
      "flash-mapped segment is not aligned to its MMU page")                                        \
    X(IMG_APPDESC, 51, 422, "bad_app_descriptor", "app descriptor magic is missing")                \
    X(IMG_EFUSE_BLK_REV, 52, 422, "efuse_block_rev", "eFuse block revision outside the image's range") \
    X(IMG_TRUNCATED, 53, 422, "truncated", "image ends before its declared contents")               \
    X(IMG_CHECKSUM, 54, 422, "bad_checksum", "image checksum does not match")                       \
    X(IMG_HASH, 55, 422, "bad_sha256", "image SHA-256 does not match")                              \
    X(IMG_TOO_BIG, 56, 413, "too_big", "image is larger than the slot")                             \
    X(IMG_REFUSED, 57, 422, "refused", "image refused by policy")                                   \
    /* update policy and session */                                                                 \
    X(UPD_NO_MARKER, 58, 422, "no_updater",                                                         \
      "image does not contain the webota updater: installing it would lock you out")                \
    X(UPD_SECURE_VERSION, 59, 422, "secure_version_too_low",                                        \
      "image secure_version is below the running firmware's (anti-rollback)")                       \
    X(UPD_PROJECT, 60, 422, "wrong_project", "image is for another project")                        \
    X(UPD_SAME_VERSION, 61, 422, "same_version", "image has the version that is already running")   \
    X(UPD_BUSY, 62, 409, "busy", "another update is in progress")                                   \
    X(UPD_NO_SLOT, 63, 500, "no_update_slot", "no OTA slot to update")                              \
    X(UPD_RUNNING_SLOT, 64, 409, "slot_conflict", "refusing to write the running slot")             \
    X(UPD_PENDING_VERIFY, 65, 409, "pending_verify",                                                \
      "running firmware is not confirmed yet: confirm or roll back first")                          \
    X(UPD_EMPTY, 66, 400, "empty", "no image data received")                                        \
    X(UPD_LENGTH, 67, 400, "length_mismatch", "received length differs from the announced length")  \
    X(UPD_ABORTED, 68, 400, "aborted", "update aborted")                                            \
    X(UPD_ROLLBACK_IMPOSSIBLE, 69, 409, "rollback_impossible", "there is no valid firmware to roll back to") \
    X(UPD_NOT_PENDING, 70, 409, "not_pending", "running firmware has nothing to confirm")           \
    /* update: signature (Secure Boot V2 signature sector after the image) */                      \
    X(SIG_UNSIGNED, 81, 422, "unsigned", "image is not signed and this device requires a signature") \
    X(SIG_MALFORMED, 82, 422, "bad_signature_sector", "signature sector is malformed")                \
    X(SIG_UNTRUSTED, 83, 422, "untrusted_key", "image is not signed by a key this device trusts")     \
    X(SIG_MISMATCH, 84, 422, "bad_signature", "signature does not match the image")                   \
    /* compressed uploads (gzip member parser and the inflater seam) */                             \
    X(GZ_HEADER, 85, 422, "bad_gzip_header", "not a gzip stream, or a gzip header field this device does not accept") \
    X(GZ_DATA, 86, 422, "bad_gzip_data", "compressed data is corrupt (deflate stream)")             \
    X(GZ_TRUNCATED, 87, 422, "gzip_truncated", "compressed upload ends before its gzip trailer")   \
    X(GZ_CRC, 88, 422, "bad_gzip_crc", "CRC-32 of the inflated image does not match the gzip trailer") \
    X(GZ_SIZE, 89, 422, "bad_gzip_size", "inflated length does not match the gzip trailer (ISIZE)") \
    X(GZ_TRAILING, 90, 422, "gzip_trailing_data", "data after the end of the gzip stream (one member only)") \
    X(GZ_TOO_BIG, 91, 413, "gzip_too_big", "compressed upload inflates past the update slot")      \
    X(GZ_UNSUPPORTED, 92, 415, "gzip_unsupported", "this device does not accept compressed uploads") \
    /* multipart and HTTP API */                                                                    \
    X(MP_SYNTAX, 71, 400, "bad_multipart", "malformed multipart/form-data body")                    \
    X(MP_NO_FILE, 72, 400, "no_file", "form has no file field")                                     \
    X(HTTP_BAD_REQUEST, 73, 400, "bad_request", "malformed request")                                \
    X(HTTP_LENGTH_REQUIRED, 74, 411, "length_required", "Content-Length or chunked encoding required") \
    X(HTTP_MEDIA_TYPE, 75, 415, "unsupported_media_type", "unsupported content type")               \
    X(HTTP_FORBIDDEN, 76, 403, "forbidden", "cross-origin request refused")                         \
    X(HTTP_UNAUTHORIZED, 77, 401, "unauthorized", "password required")                              \
    X(HTTP_NOT_FOUND, 78, 404, "not_found_route", "no such page")                                   \
    X(HTTP_METHOD, 79, 405, "method_not_allowed", "method not allowed")                             \
    X(HTTP_TOO_LARGE, 80, 413, "too_large", "request body is larger than the update slot")       \
    X(HTTP_WRONG_HOST, 93, 421, "wrong_host", "the Host header names none of this device's addresses") \
    X(HTTP_TOO_SLOW, 94, 408, "too_slow", "the upload was too slow or stalled: the session is closed") \
    X(HTTP_RATE_LIMITED, 95, 429, "too_many_attempts", "too many failed logins: wait and try again") \
    X(HTTP_AUTH_STALE, 96, 401, "stale_nonce", "the login challenge is unknown, used or expired") \
    X(UPD_OLDER_VERSION, 97, 422, "older_version", "image has an older version than the running firmware")         \
    /* resumable uploads */                                                                         \
    X(UPD_RESUME_ID, 98, 404, "upload_not_found",                                                   \
      "no interrupted upload with this id from this client (it ended, or the hold time passed)")   \
    X(UPD_RESUME_OFFSET, 99, 416, "bad_offset",                                                     \
      "resume offset or length does not match the bytes the device has received")   \
    /* releases and pulls (docs/fleet.md); numbered from 120 so that codes added on other       \
       branches at the same time cannot collide */                                              \
    X(REL_MALFORMED, 120, 422, "bad_manifest", "release manifest is malformed")                     \
    X(REL_SIGNATURE, 121, 422, "bad_manifest_signature",                                            \
      "release manifest signature does not verify with a trusted key")                             \
    X(REL_CHIP, 122, 422, "other_chip", "release is built for another chip")                        \
    X(REL_NOT_NEWER, 123, 409, "not_newer", "release is not newer than the running firmware")       \
    X(REL_REVOKED, 124, 409, "revoked", "release has been revoked")                                 \
    X(REL_NOT_IN_ROLLOUT, 125, 409, "not_in_rollout",                                               \
      "this device is not in the release's rollout yet")                                           \
    X(REL_ROLLED_BACK, 126, 409, "rolled_back_before",                                              \
      "this release rolled back on this device before: it is not retried")                         \
    X(REL_HASH, 127, 422, "hash_mismatch", "image does not match the manifest's SHA-256")           \
    X(REL_SIZE, 128, 422, "size_mismatch", "image size differs from the manifest's")                \
    X(REL_HTTP, 129, 502, "download_failed", "the release server did not deliver the file")          \
    X(REL_VERSION, 130, 422, "version_mismatch", "image's version differs from the release manifest's")

typedef enum {
#define WEBOTA_X_ENUM(id, num, http, name, msg) WEBOTA_ERR_##id = num,
    WEBOTA_ERROR_LIST(WEBOTA_X_ENUM)
#undef WEBOTA_X_ENUM
} webota_err_t;

#define WEBOTA_OK WEBOTA_ERR_OK

/* Human sentence for an error ("image checksum does not match"); never NULL. */
const char *webota_strerror(webota_err_t err);
/* Stable short identifier ("bad_checksum"); never NULL. */
const char *webota_err_name(webota_err_t err);
/* The HTTP status the API answers an error with (200 for OK, 500 for
 * device-side failures and unknown codes). */
int webota_err_http_status(webota_err_t err);

#ifdef __cplusplus
}
#endif

#endif
