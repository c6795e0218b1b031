/* Host stand-in (tests only) of ESP-IDF v5.5 esp_err.h: the error type and
 * the codes the webota binding and the stand-in use, with ESP-IDF's values. */
#ifndef IDF_HOST_ESP_ERR_H
#define IDF_HOST_ESP_ERR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int esp_err_t;

#define ESP_OK 0
#define ESP_FAIL -1

#define ESP_ERR_NO_MEM 0x101
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_STATE 0x103
#define ESP_ERR_INVALID_SIZE 0x104
#define ESP_ERR_NOT_FOUND 0x105
#define ESP_ERR_NOT_SUPPORTED 0x106
#define ESP_ERR_TIMEOUT 0x107
#define ESP_ERR_NOT_ALLOWED 0x10D

/* esp_flash_err.h: a flash operation failed (here: the simulated chip lost power). */
#define ESP_ERR_FLASH_BASE 0x6000
#define ESP_ERR_FLASH_OP_FAIL (ESP_ERR_FLASH_BASE + 1)

/* The name of a code ("ESP_ERR_NO_MEM"), or "UNKNOWN ERROR" as ESP-IDF's
 * table lookup answers for codes it does not know. */
const char *esp_err_to_name(esp_err_t code);

#ifdef __cplusplus
}
#endif

#endif
