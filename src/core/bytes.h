/* Little-endian field access for the on-flash formats (partition table,
 * otadata, image header, app descriptor are all little-endian,
 * docs/formats.md). Internal to src/core: byte by byte, so it works on any host
 * endianness and on unaligned fields. */
#ifndef WEBOTA_CORE_BYTES_H
#define WEBOTA_CORE_BYTES_H

#include <stdint.h>

static inline uint16_t webota_le16_get(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t webota_le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void webota_le16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void webota_le32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif
