/* FreeRTOS task stand-in (tests only): xTaskCreate runs the task function in
 * a detached POSIX thread; vTaskDelete(NULL) ends it. The device counts its
 * live tasks so that a power cycle or the end of a test waits for them
 * (a real reset simply stops them). */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "freertos/task.h"
#include "idf_host.h"

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static int s_running;

typedef struct start {
    TaskFunction_t fn;
    void *arg;
} start_t;

static void *run(void *p)
{
    start_t st = *(start_t *)p;
    free(p);
    st.fn(st.arg);
    vTaskDelete(NULL); /* a FreeRTOS task must not return */
    return NULL;
}

BaseType_t xTaskCreate(TaskFunction_t fn, const char *name, uint32_t stack_depth, void *arg,
                       UBaseType_t priority, TaskHandle_t *created)
{
    (void)name;
    (void)stack_depth;
    (void)priority;
    start_t *st = malloc(sizeof(*st));
    if (st == NULL) {
        return pdFAIL;
    }
    st->fn = fn;
    st->arg = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    pthread_mutex_lock(&s_lock);
    int rc = pthread_create(&t, &attr, run, st);
    if (rc == 0) {
        s_running++;
    }
    pthread_mutex_unlock(&s_lock);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(st);
        return pdFAIL;
    }
    if (created != NULL) {
        *created = (TaskHandle_t)st; /* opaque, never dereferenced */
    }
    return pdPASS;
}

void vTaskDelete(TaskHandle_t task)
{
    if (task != NULL) {
        abort(); /* deleting another task: not used by the binding */
    }
    pthread_mutex_lock(&s_lock);
    s_running--;
    pthread_mutex_unlock(&s_lock);
    pthread_exit(NULL);
}

int idf_host_tasks_running(void)
{
    pthread_mutex_lock(&s_lock);
    int n = s_running;
    pthread_mutex_unlock(&s_lock);
    return n;
}

bool idf_host_wait_tasks(void)
{
    for (int i = 0; i < 1000; i++) {
        if (idf_host_tasks_running() == 0) {
            return true;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}
