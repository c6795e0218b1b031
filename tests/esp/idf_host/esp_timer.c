/* esp_timer stand-in (tests only) on a virtual clock (microseconds since the
 * last power-on) that only the tests move (idf_host_advance_us), with
 * ESP-IDF v5.5's rules for arming, stopping and deleting (each function says
 * which). Callbacks run one at a time in expiry order (ties: the order they
 * were armed), as the esp_timer task runs them. Not reproduced: periodic
 * timers, ISR dispatch, light sleep. */
#include <stdlib.h>
#include <string.h>

#include "esp_timer.h"
#include "idf_host_internal.h"

struct esp_timer {
    esp_timer_cb_t callback;
    void *arg;
    const char *name;
    bool armed;
    int64_t alarm;
    uint64_t order; /* arming order, for equal alarms */
    struct esp_timer *next;
};

static struct esp_timer *s_timers;
static int64_t s_now;
static uint64_t s_order;

void idf_host_timer_reset(void)
{
    while (s_timers != NULL) {
        struct esp_timer *t = s_timers;
        s_timers = t->next;
        free(t);
    }
    s_now = 0;
}

int64_t idf_host_timer_now(void)
{
    return s_now;
}

/* ESP-IDF: esp_timer_get_time, time since boot in microseconds. */
int64_t esp_timer_get_time(void)
{
    return s_now;
}

/* ESP-IDF: esp_timer_create (INVALID_ARG without callback or handle). */
esp_err_t esp_timer_create(const esp_timer_create_args_t *create_args, esp_timer_handle_t *out_handle)
{
    if (create_args == NULL || create_args->callback == NULL || out_handle == NULL ||
        create_args->dispatch_method >= ESP_TIMER_MAX) {
        return ESP_ERR_INVALID_ARG;
    }
    struct esp_timer *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return ESP_ERR_NO_MEM;
    }
    t->callback = create_args->callback;
    t->arg = create_args->arg;
    t->name = create_args->name;
    t->next = s_timers;
    s_timers = t;
    *out_handle = t;
    return ESP_OK;
}

/* ESP-IDF: esp_timer_start_once, INVALID_STATE when the timer is armed. */
esp_err_t esp_timer_start_once(esp_timer_handle_t timer, uint64_t timeout_us)
{
    if (timer == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (timer->armed) {
        return ESP_ERR_INVALID_STATE;
    }
    timer->alarm = s_now + (int64_t)timeout_us;
    timer->order = ++s_order;
    timer->armed = true;
    return ESP_OK;
}

/* ESP-IDF: esp_timer_stop, INVALID_STATE when the timer is not armed. */
esp_err_t esp_timer_stop(esp_timer_handle_t timer)
{
    if (timer == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!timer->armed) {
        return ESP_ERR_INVALID_STATE;
    }
    timer->armed = false;
    return ESP_OK;
}

/* ESP-IDF: esp_timer_delete, INVALID_STATE while the timer is armed. */
esp_err_t esp_timer_delete(esp_timer_handle_t timer)
{
    if (timer == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (timer->armed) {
        return ESP_ERR_INVALID_STATE;
    }
    for (struct esp_timer **pp = &s_timers; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == timer) {
            *pp = timer->next;
            free(timer);
            return ESP_OK;
        }
    }
    return ESP_ERR_INVALID_ARG;
}

void idf_host_timer_advance(uint64_t us)
{
    int64_t until = s_now + (int64_t)us;
    for (;;) {
        struct esp_timer *due = NULL;
        for (struct esp_timer *t = s_timers; t != NULL; t = t->next) {
            if (t->armed && t->alarm <= until &&
                (due == NULL || t->alarm < due->alarm || (t->alarm == due->alarm && t->order < due->order))) {
                due = t;
            }
        }
        if (due == NULL) {
            break;
        }
        if (due->alarm > s_now) {
            s_now = due->alarm;
        }
        due->armed = false; /* a one-shot timer is disarmed before its callback runs */
        due->callback(due->arg);
    }
    s_now = until;
}
