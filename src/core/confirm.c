/* The confirm policy (webota/confirm.h), once for every platform: which event
 * confirms a PENDING_VERIFY firmware, and the retry after a failed confirm. */
#include <string.h>

#include "webota/confirm.h"

void webota_confirm_config_init(webota_confirm_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = WEBOTA_CONFIRM_FIRST_REQUEST;
}

void webota_confirm_start(webota_confirm_t *c, const webota_confirm_config_t *cfg, webota_slot_t *slot,
                          uint64_t now_ms)
{
    memset(c, 0, sizeof *c);
    if (cfg != NULL)
        c->cfg = *cfg;
    else
        webota_confirm_config_init(&c->cfg);
    c->slot = slot;
    c->start_ms = now_ms;
    c->err = WEBOTA_OK;
}

/* One attempt: nothing when the running firmware is not PENDING_VERIFY
 * (then there is nothing more to do this boot). */
static webota_confirm_result_t attempt(webota_confirm_t *c)
{
    webota_slot_info_t run;
    if (c->slot == NULL || webota_slot_running(c->slot, &run) != WEBOTA_OK ||
        run.state != WEBOTA_OTA_STATE_PENDING_VERIFY) {
        c->settled = true;
        return WEBOTA_CONFIRM_NOTHING;
    }
    webota_err_t err = webota_slot_confirm(c->slot);
    if (err != WEBOTA_OK) {
        c->err = err; /* not settled: the next request tries again */
        return WEBOTA_CONFIRM_FAILED;
    }
    c->settled = true;
    return WEBOTA_CONFIRM_CONFIRMED;
}

static bool due(const webota_confirm_t *c, uint64_t now_ms)
{
    return now_ms >= c->start_ms && now_ms - c->start_ms >= c->cfg.delay_ms;
}

webota_confirm_result_t webota_confirm_on_request(webota_confirm_t *c, webota_api_route_t route,
                                                  uint64_t now_ms)
{
    if (c->settled || (route != WEBOTA_API_ROUTE_PAGE && route != WEBOTA_API_ROUTE_STATUS))
        return WEBOTA_CONFIRM_NOTHING;
    if (c->cfg.mode == WEBOTA_CONFIRM_FIRST_REQUEST ||
        (c->cfg.mode == WEBOTA_CONFIRM_DELAY && due(c, now_ms)))
        return attempt(c);
    return WEBOTA_CONFIRM_NOTHING;
}

uint32_t webota_confirm_due_in(const webota_confirm_t *c, uint64_t now_ms)
{
    if (c->settled || c->delay_tried || c->cfg.mode != WEBOTA_CONFIRM_DELAY)
        return UINT32_MAX;
    if (due(c, now_ms))
        return 0;
    uint64_t passed = now_ms >= c->start_ms ? now_ms - c->start_ms : 0;
    return (uint32_t)(c->cfg.delay_ms - passed);
}

webota_confirm_result_t webota_confirm_poll(webota_confirm_t *c, uint64_t now_ms)
{
    if (webota_confirm_due_in(c, now_ms) != 0)
        return WEBOTA_CONFIRM_NOTHING;
    c->delay_tried = true; /* a failure is retried on the next request */
    return attempt(c);
}

webota_confirm_result_t webota_confirm_now(webota_confirm_t *c)
{
    return attempt(c);
}

webota_err_t webota_confirm_error(const webota_confirm_t *c)
{
    return c->err;
}

