/* The flash seam: how the core reaches a NOR flash (a file in the simulator, the
 * SPI flash on a device). NOR rules: erase sets whole 4 KiB sectors to 0xFF;
 * program can only clear bits (new = old AND data). */
#ifndef WEBOTA_FLASH_H
#define WEBOTA_FLASH_H

#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_SECTOR_SIZE 4096u
/* An aligned 64 KiB block: NOR chips erase one with a single command, about
 * three times as fast as its 16 sectors one by one. */
#define WEBOTA_BLOCK_SIZE 0x10000u

typedef struct webota_flash {
    void *ctx;
    uint32_t size; /* bytes */
    webota_err_t (*read)(void *ctx, uint32_t addr, void *buf, size_t len);
    webota_err_t (*program)(void *ctx, uint32_t addr, const void *buf, size_t len);
    /* addr and len are multiples of WEBOTA_SECTOR_SIZE */
    webota_err_t (*erase)(void *ctx, uint32_t addr, size_t len);
} webota_flash_t;

static inline webota_err_t webota_flash_read(const webota_flash_t *f, uint32_t addr, void *buf,
                                             size_t len)
{
    return f->read(f->ctx, addr, buf, len);
}

static inline webota_err_t webota_flash_program(const webota_flash_t *f, uint32_t addr,
                                                const void *buf, size_t len)
{
    return f->program(f->ctx, addr, buf, len);
}

static inline webota_err_t webota_flash_erase(const webota_flash_t *f, uint32_t addr, size_t len)
{
    return f->erase(f->ctx, addr, len);
}

#ifdef __cplusplus
}
#endif

#endif
