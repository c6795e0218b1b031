/* The confirm policy: when a new firmware (PENDING_VERIFY after its first
 * boot with rollback enabled) is marked valid, cancelling the rollback. One
 * module for every platform (the simulator and the ESP-IDF port use it; both
 * expose these modes under their own flag / Kconfig names).
 *
 *   FIRST_REQUEST  the first GET of the page or /api/status: the new
 *                  firmware has proven it serves the updater (default, 0)
 *   DELAY          delay_ms after webota_confirm_start
 *   MANUAL         only POST /api/confirm (the page's Confirm button)
 *   BY_APP         only the application (webota_confirm_now)
 *
 * A failed confirm is retried on the next request to the page or
 * /api/status (FIRST_REQUEST; DELAY once the delay has elapsed). Time comes
 * from the caller as a millisecond tick (any origin, monotonic); the module
 * makes no OS call. Not thread-safe: calls from two tasks may at worst mark
 * an already-valid firmware valid again, which is a no-op. */
#ifndef WEBOTA_CONFIRM_H
#define WEBOTA_CONFIRM_H

#include <stdbool.h>
#include <stdint.h>

#include "webota/api.h"
#include "webota/err.h"
#include "webota/slot.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    WEBOTA_CONFIRM_FIRST_REQUEST = 0,
    WEBOTA_CONFIRM_DELAY,
    WEBOTA_CONFIRM_MANUAL,
    WEBOTA_CONFIRM_BY_APP,
} webota_confirm_mode_t;

typedef struct webota_confirm_config {
    webota_confirm_mode_t mode;
    uint32_t delay_ms; /* DELAY; 0 = confirm at the first poll */
} webota_confirm_config_t;

/* FIRST_REQUEST, delay 0 (a zeroed config is the same). */
void webota_confirm_config_init(webota_confirm_config_t *cfg);

typedef enum {
    WEBOTA_CONFIRM_NOTHING,   /* not pending, not due, or not this mode's event */
    WEBOTA_CONFIRM_CONFIRMED, /* the firmware was pending and is now valid */
    WEBOTA_CONFIRM_FAILED,    /* marking valid failed: retried later (see error) */
} webota_confirm_result_t;

/* Fields private to src/core/confirm.c. */
typedef struct webota_confirm {
    webota_confirm_config_t cfg;
    webota_slot_t *slot;
    uint64_t start_ms;
    bool settled;     /* confirmed, or nothing was pending: nothing more to do */
    bool delay_tried; /* DELAY: the timed attempt has been made */
    webota_err_t err; /* last failure */
} webota_confirm_t;

/* At each boot, once the slot rules are ready. cfg NULL = defaults. */
void webota_confirm_start(webota_confirm_t *c, const webota_confirm_config_t *cfg, webota_slot_t *slot,
                          uint64_t now_ms);
/* From the API's on_request hook: FIRST_REQUEST confirms on a page or status
 * request; DELAY retries there once due. */
webota_confirm_result_t webota_confirm_on_request(webota_confirm_t *c, webota_api_route_t route,
                                                  uint64_t now_ms);
/* Milliseconds until the DELAY attempt is due (0 = now), UINT32_MAX when no
 * timed attempt is needed (other modes, settled, already tried). */
uint32_t webota_confirm_due_in(const webota_confirm_t *c, uint64_t now_ms);
/* The timed DELAY attempt, when due (call when webota_confirm_due_in says 0). */
webota_confirm_result_t webota_confirm_poll(webota_confirm_t *c, uint64_t now_ms);
/* Confirms now whatever the mode (the application's call, BY_APP). */
webota_confirm_result_t webota_confirm_now(webota_confirm_t *c);
/* The error of the last FAILED result. */
webota_err_t webota_confirm_error(const webota_confirm_t *c);

#ifdef __cplusplus
}
#endif

#endif
