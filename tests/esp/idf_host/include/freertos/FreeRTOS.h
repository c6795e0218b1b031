/* Host stand-in (tests only) of the FreeRTOS.h ESP-IDF v5.5 ships: the types
 * and constants the webota binding and esp_http_server.h use. */
#ifndef IDF_HOST_FREERTOS_H
#define IDF_HOST_FREERTOS_H

#include <stdint.h>

typedef int BaseType_t;
typedef unsigned int UBaseType_t;

#define pdTRUE ((BaseType_t)1)
#define pdFALSE ((BaseType_t)0)
#define pdPASS (pdTRUE)
#define pdFAIL (pdFALSE)

#endif
