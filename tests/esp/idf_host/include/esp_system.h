/* Host stand-in (tests only) of ESP-IDF v5.5 esp_system.h: esp_restart. */
#ifndef IDF_HOST_ESP_SYSTEM_H
#define IDF_HOST_ESP_SYSTEM_H

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Restarts the chip: does not return. On the host the simulated device jumps
 * back to its power-on loop (idf_host.c), which runs the simulated ESP-IDF
 * bootloader on the flash and starts the application again. */
void esp_restart(void) __attribute__((__noreturn__));

#ifdef __cplusplus
}
#endif

#endif
