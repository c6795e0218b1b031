/* The inflater seam (webota/inflate.h) on the PC: zlib's raw inflate (Debian's
 * zlib1g). Everything zlib asks for comes out of a fixed arena inside this
 * struct, so the RAM it holds is bounded and reported exactly, and nothing is
 * allocated per upload. */
#ifndef WEBOTA_SIM_INFLATE_ZLIB_H
#define WEBOTA_SIM_INFLATE_ZLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "webota/inflate.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIM_INFLATE_ARENA 49152u /* zlib's inflate state (~7 KiB) and 32 KiB window */
#define SIM_INFLATE_OUT 4096u    /* output piece handed to the update session */

typedef struct sim_inflate_zlib {
    z_stream zs;
    bool inited;
    size_t arena_used, arena_peak;
    webota_inflate_ops_t ops;
    _Alignas(16) uint8_t arena[SIM_INFLATE_ARENA];
    uint8_t out[SIM_INFLATE_OUT];
} sim_inflate_zlib_t;

/* Ready to use; returns z->ops (points into z: do not move z). */
const webota_inflate_ops_t *sim_inflate_zlib_init(sim_inflate_zlib_t *z);
/* Releases zlib's state (nothing leaks either way: the arena is inside z). */
void sim_inflate_zlib_close(sim_inflate_zlib_t *z);

#ifdef __cplusplus
}
#endif

#endif
