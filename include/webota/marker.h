/* The webota marker: a fixed 32-byte constant that every firmware containing
 * the webota updater carries in its read-only data (it is defined next to the
 * image checker, which every such firmware links). The image checker looks for
 * it anywhere in an incoming image: an image without it cannot update itself
 * again, so installing it would lock the user out of web updates.
 *
 * The bytes are part of the on-device contract: never change them. */
#ifndef WEBOTA_MARKER_H
#define WEBOTA_MARKER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_MARKER_LEN 32

/* "WEBOTA-UPDATER-MARKER-v1" followed by 8 fixed random bytes. */
#define WEBOTA_MARKER_BYTES                                                                     \
    {                                                                                           \
        'W', 'E', 'B', 'O', 'T', 'A', '-', 'U', 'P', 'D', 'A', 'T', 'E', 'R', '-', 'M', 'A', 'R', \
            'K', 'E', 'R', '-', 'v', '1', 0x8f, 0x3a, 0xd1, 0x5e, 0x07, 0xc4, 0x92, 0x6b         \
    }

extern const uint8_t webota_marker[WEBOTA_MARKER_LEN];

#ifdef __cplusplus
}
#endif

#endif
