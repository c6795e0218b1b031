/* A made app image in one heap buffer: webota_image_make streams through a
 * sink because the core may not allocate; the simulator, the CLI and the
 * benchmark want the whole image in memory. */
#ifndef WEBOTA_SIM_IMAGE_BUF_H
#define WEBOTA_SIM_IMAGE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"
#include "webota/image_make.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Makes the image of o into one malloc'd buffer of exactly
 * webota_image_make_length(o) bytes (allocated once). On WEBOTA_OK *out (free
 * it) and *len are set; on an error *out is NULL and *len 0. Errors: ARG (out
 * or len NULL, or options that make no image: length 0), NO_SPACE (out of
 * memory), STATE (the image came out another length than announced), or
 * webota_image_make's own error (e.g. CRYPTO). */
webota_err_t sim_image_make_alloc(const webota_image_make_opts_t *o, uint8_t **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
