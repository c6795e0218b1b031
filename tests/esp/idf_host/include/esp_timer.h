/* Host stand-in (tests only) of ESP-IDF v5.5 esp_timer.h, on a virtual clock
 * that the tests advance (idf_host_advance_us): callbacks run in the test's
 * thread from there, in expiry order, as the esp_timer task would run them. */
#ifndef IDF_HOST_ESP_TIMER_H
#define IDF_HOST_ESP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct esp_timer *esp_timer_handle_t;
typedef void (*esp_timer_cb_t)(void *arg);

typedef enum {
    ESP_TIMER_TASK,
    ESP_TIMER_MAX,
} esp_timer_dispatch_t;

typedef struct {
    esp_timer_cb_t callback;
    void *arg;
    esp_timer_dispatch_t dispatch_method;
    const char *name;
    bool skip_unhandled_events;
} esp_timer_create_args_t;

esp_err_t esp_timer_create(const esp_timer_create_args_t *create_args, esp_timer_handle_t *out_handle);
esp_err_t esp_timer_start_once(esp_timer_handle_t timer, uint64_t timeout_us);
esp_err_t esp_timer_stop(esp_timer_handle_t timer);
esp_err_t esp_timer_delete(esp_timer_handle_t timer);
/* Microseconds since the chip started (the virtual clock since the last power-on). */
int64_t esp_timer_get_time(void);

#ifdef __cplusplus
}
#endif

#endif
