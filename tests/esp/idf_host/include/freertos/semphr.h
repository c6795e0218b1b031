/* Host stand-in (tests only) of FreeRTOS's semphr.h as ESP-IDF v5.5 ships it:
 * the recursive mutex the binding's lock uses (webota_esp_lock), on a POSIX
 * recursive mutex (freertos_semphr.c). */
#ifndef IDF_HOST_FREERTOS_SEMPHR_H
#define IDF_HOST_FREERTOS_SEMPHR_H

#include "freertos/FreeRTOS.h"

#ifdef __cplusplus
extern "C" {
#endif

struct QueueDefinition;
typedef struct QueueDefinition *SemaphoreHandle_t;

/* NULL when it cannot be made. */
SemaphoreHandle_t xSemaphoreCreateRecursiveMutex(void);
/* Waits without limit whatever ticks says (the binding passes portMAX_DELAY). */
BaseType_t xSemaphoreTakeRecursive(SemaphoreHandle_t m, TickType_t ticks);
BaseType_t xSemaphoreGiveRecursive(SemaphoreHandle_t m);

#ifdef __cplusplus
}
#endif

#endif
