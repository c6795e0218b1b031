/* The ESP ROM CRC-32 (esp_rom_crc32_le), used by otadata entries. */
#ifndef WEBOTA_CRC32_H
#define WEBOTA_CRC32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* esp_rom_crc32_le(seed, buf, len): r = ~seed; reflected table for poly
 * 0xEDB88320; return ~r. Equal to zlib crc32(buf, seed); chain calls by
 * passing the previous result as seed. The otadata CRC uses seed 0xFFFFFFFF
 * (register starts at 0): "123456789" -> 0xD202D277. */
uint32_t webota_crc32_le(uint32_t seed, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
