/* FreeRTOS recursive mutex stand-in (tests only): a POSIX recursive mutex. */
#include <pthread.h>
#include <stdlib.h>

#include "freertos/semphr.h"

SemaphoreHandle_t xSemaphoreCreateRecursiveMutex(void)
{
    pthread_mutex_t *m = malloc(sizeof(*m));
    pthread_mutexattr_t a;
    if (m == NULL) {
        return NULL;
    }
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return (SemaphoreHandle_t)m;
}

BaseType_t xSemaphoreTakeRecursive(SemaphoreHandle_t m, TickType_t ticks)
{
    (void)ticks;
    return pthread_mutex_lock((pthread_mutex_t *)m) == 0 ? pdTRUE : pdFALSE;
}

BaseType_t xSemaphoreGiveRecursive(SemaphoreHandle_t m)
{
    return pthread_mutex_unlock((pthread_mutex_t *)m) == 0 ? pdTRUE : pdFALSE;
}
