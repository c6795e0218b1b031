/* Host stand-in (tests only) of ESP-IDF v5.5 esp_random.h: the host's
 * getrandom instead of the hardware RNG. */
#ifndef IDF_HOST_ESP_RANDOM_H
#define IDF_HOST_ESP_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint32_t esp_random(void);
void esp_fill_random(void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
