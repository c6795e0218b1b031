/* Host stand-in (tests only) of FreeRTOS's task.h as ESP-IDF v5.5 ships it:
 * tasks are POSIX threads (idf_host_task.c). */
#ifndef IDF_HOST_FREERTOS_TASK_H
#define IDF_HOST_FREERTOS_TASK_H

#include <stdint.h>

#include "freertos/FreeRTOS.h"

#ifdef __cplusplus
extern "C" {
#endif

#define tskIDLE_PRIORITY ((UBaseType_t)0U)
#define tskNO_AFFINITY ((BaseType_t)0x7FFFFFFF)

struct tskTaskControlBlock;
typedef struct tskTaskControlBlock *TaskHandle_t;
typedef void (*TaskFunction_t)(void *arg);

/* Starts fn(arg) in its own thread; pdPASS, or pdFAIL when it cannot. */
BaseType_t xTaskCreate(TaskFunction_t fn, const char *name, uint32_t stack_depth, void *arg,
                       UBaseType_t priority, TaskHandle_t *created);
/* NULL: ends the calling task (does not return). Other tasks: not supported. */
void vTaskDelete(TaskHandle_t task);

#ifdef __cplusplus
}
#endif

#endif
