/* A release published as static files (docs/fleet.md): a JSON manifest, its
 * detached signature and the image, served by any HTTP server. This module
 * reads and writes the manifest, compares versions and decides rollout
 * membership; no malloc, no I/O. The manifest's signature is checked by the
 * pull module (webota/pull.h) on the crypto seam.
 *
 * Manifest (one JSON object, at most WEBOTA_RELEASE_MANIFEST_MAX bytes):
 *   format          1
 *   project         app descriptor project_name (<= 31 bytes)
 *   version         app descriptor version (<= 31 bytes)
 *   secure_version  app descriptor secure_version
 *   chip            esptool chip name ("esp32", "esp32c3", ...)
 *   image           URL of the image, relative to the manifest's (<= 191 bytes)
 *   size            image length in bytes
 *   sha256          SHA-256 of the image file, 64 lower- or upper-case hex digits
 *   rollout         percentage of devices that install it, 0..100
 *   channel         name of the channel (<= 31 bytes)
 *   created         UTC time of publication, ISO 8601 (<= 31 bytes)
 *   revoked         true when withdrawn (optional, default false)
 * Every field but revoked is required, none may repeat; unknown fields are
 * skipped (a newer publisher may add some). Strings are JSON strings
 * (escapes included, control characters refused). */
#ifndef WEBOTA_RELEASE_H
#define WEBOTA_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/crypto.h"
#include "webota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_RELEASE_FORMAT 1u
#define WEBOTA_RELEASE_MANIFEST_MAX 4096u
#define WEBOTA_RELEASE_NAME_MAX 32u  /* project, version, channel, created (NUL included) */
#define WEBOTA_RELEASE_CHIP_MAX 16u
#define WEBOTA_RELEASE_URL_MAX 192u

typedef struct webota_release {
    uint32_t format;
    char project[WEBOTA_RELEASE_NAME_MAX];
    char version[WEBOTA_RELEASE_NAME_MAX];
    uint32_t secure_version;
    char chip[WEBOTA_RELEASE_CHIP_MAX];
    char image[WEBOTA_RELEASE_URL_MAX];
    uint32_t size;
    uint8_t sha256[WEBOTA_SHA256_LEN];
    uint8_t rollout; /* percent */
    char channel[WEBOTA_RELEASE_NAME_MAX];
    char created[WEBOTA_RELEASE_NAME_MAX];
    bool revoked;
} webota_release_t;

/* Why a manifest was refused: the field (or "" for the document) and the
 * byte offset where the parser stopped. */
typedef struct webota_release_error {
    uint32_t offset;
    char field[WEBOTA_RELEASE_NAME_MAX];
    char message[96];
} webota_release_error_t;

/* Parses json[0..len) into *out. OK, or REL_MALFORMED with *err (may be
 * NULL) saying where and why. *out is zeroed first. */
webota_err_t webota_release_parse(const char *json, size_t len, webota_release_t *out,
                                  webota_release_error_t *err);

/* Writes the manifest (every field, in the order above, one line and a
 * newline) into buf[cap]; *len without the NUL. NO_SPACE when it does not
 * fit, ARG for a rollout above 100 or a format other than 1. */
webota_err_t webota_release_write(const webota_release_t *r, char *buf, size_t cap, size_t *len);

/* Orders two versions: an optional 'v', one to four dot-separated decimal
 * numbers (each < 2^32), then optionally '-' and a pre-release text that
 * sorts before the same numbers without one (1.2.0-rc1 < 1.2.0), pre-release
 * texts compared byte by byte. Missing numbers are 0 (1.2 == 1.2.0).
 * Returns -1, 0, 1; false in *comparable (result 0) when either version
 * does not have this form. */
int webota_version_cmp(const char *a, const char *b, bool *comparable);

/* The device's place in a release's rollout: 0..9999, from the first four
 * bytes (big-endian) of SHA-256("webota-rollout-v1\n" project "\n" version
 * "\n" device_id) modulo 10000. It depends only on the device and the release
 * (not on the percentage), so widening a rollout keeps every device already
 * in it. CRYPTO when the hash fails. */
webota_err_t webota_release_bucket(const char *device_id, const char *project, const char *version,
                                   uint32_t *bucket);
/* bucket < rollout * 100. */
bool webota_release_in_rollout(uint32_t bucket, uint8_t rollout);

/* Resolves the manifest's image reference against the manifest URL as a
 * browser does for the common cases: an absolute http(s):// URL is taken as
 * it is, "/path" keeps the scheme and host, anything else replaces the last
 * path segment of the manifest URL. Query and fragment of the manifest URL
 * are dropped. NO_SPACE when it does not fit, ARG for a manifest URL that is
 * not http(s)://host/... */
webota_err_t webota_release_image_url(const char *manifest_url, const char *image, char *out,
                                      size_t cap);

#ifdef __cplusplus
}
#endif

#endif
