/* The rules of an update over the slot seam (webota/slot.h), written once so
 * that the NOR-flash slot writer and the ESP-IDF binding behave alike. Where
 * the two differed, ESP-IDF's behaviour is the rule (docs/engine.md). */
#include <string.h>

#include "webota/slot.h"

webota_err_t webota_slot_init(webota_slot_t *s, const webota_slot_ops_t *o)
{
    if (s == NULL)
        return WEBOTA_ERR_ARG;
    memset(s, 0, sizeof *s);
    if (o == NULL || o->running == NULL || o->next == NULL || o->open == NULL || o->write == NULL ||
        o->read == NULL || o->finish == NULL || o->abort == NULL || o->activate == NULL ||
        o->mark_valid == NULL || o->mark_invalid == NULL || o->rollback_possible == NULL ||
        o->running_desc == NULL)
        return WEBOTA_ERR_ARG;
    s->ops = o;
    return WEBOTA_OK;
}

webota_err_t webota_slot_running(const webota_slot_t *s, webota_slot_info_t *out)
{
    return s->ops->running(s->ops->ctx, out);
}

webota_err_t webota_slot_next(const webota_slot_t *s, webota_slot_info_t *out)
{
    return s->ops->next(s->ops->ctx, out);
}

webota_err_t webota_slot_running_desc(const webota_slot_t *s, webota_app_desc_t *out)
{
    return s->ops->running_desc(s->ops->ctx, out);
}

webota_err_t webota_slot_security_version(const webota_slot_t *s, uint32_t *out)
{
    if (s->ops->security_version == NULL)
        return WEBOTA_ERR_UNSUPPORTED;
    return s->ops->security_version(s->ops->ctx, out);
}

bool webota_slot_rollback_possible(const webota_slot_t *s)
{
    return s->ops->rollback_possible(s->ops->ctx);
}

bool webota_slot_rollback_enabled(const webota_slot_t *s)
{
    return s->ops->rollback_enabled;
}

bool webota_slot_busy(const webota_slot_t *s)
{
    return s->open;
}

/* Every refusal of begin, judged without opening anything; next gets the slot. */
static webota_err_t check(const webota_slot_t *s, uint32_t image_size, webota_slot_info_t *next)
{
    /* Settled: ESP-IDF would open a second handle; webota refuses so that a
     * second client can never abort the first one's upload. */
    if (s->open)
        return WEBOTA_ERR_UPD_BUSY;
    webota_slot_info_t run;
    if (s->ops->next(s->ops->ctx, next) != WEBOTA_OK)
        return WEBOTA_ERR_UPD_NO_SLOT;
    bool have_run = s->ops->running(s->ops->ctx, &run) == WEBOTA_OK;
    if (have_run && run.offset == next->offset)
        return WEBOTA_ERR_UPD_RUNNING_SLOT;
    if (image_size > next->size)
        return WEBOTA_ERR_IMG_TOO_BIG;
    /* esp_ota_begin's rule: only with rollback enabled (without it nothing
     * would ever confirm the firmware, and no update could follow). */
    if (s->ops->rollback_enabled && have_run && run.state == WEBOTA_OTA_STATE_PENDING_VERIFY)
        return WEBOTA_ERR_UPD_PENDING_VERIFY;
    return WEBOTA_OK;
}

webota_err_t webota_slot_check(const webota_slot_t *s, uint32_t image_size)
{
    webota_slot_info_t next;
    return check(s, image_size, &next);
}

webota_err_t webota_slot_begin(webota_slot_t *s, uint32_t image_size, webota_slot_info_t *target)
{
    webota_slot_info_t next;
    webota_err_t err = check(s, image_size, &next);
    if (err != WEBOTA_OK)
        return err;
    err = s->ops->open(s->ops->ctx, image_size);
    if (err != WEBOTA_OK)
        return err;
    s->open = true;
    s->finished = false;
    s->target = next;
    if (target != NULL)
        *target = next;
    return WEBOTA_OK;
}

webota_err_t webota_slot_write(webota_slot_t *s, const void *data, size_t len)
{
    if (!s->open)
        return WEBOTA_ERR_STATE;
    return s->ops->write(s->ops->ctx, data, len);
}

webota_err_t webota_slot_finish(webota_slot_t *s)
{
    if (!s->open)
        return WEBOTA_ERR_STATE;
    s->open = false; /* finish closes the slot whatever its verdict */
    webota_err_t err = s->ops->finish(s->ops->ctx);
    s->finished = err == WEBOTA_OK;
    return err;
}

void webota_slot_abort(webota_slot_t *s)
{
    if (s->open)
        s->ops->abort(s->ops->ctx);
    s->open = false;
    s->finished = false;
}

webota_err_t webota_slot_activate(webota_slot_t *s)
{
    if (!s->finished)
        return WEBOTA_ERR_STATE;
    s->finished = false;
    return s->ops->activate(s->ops->ctx);
}

webota_err_t webota_slot_confirm(webota_slot_t *s)
{
    webota_slot_info_t run;
    webota_err_t err = s->ops->running(s->ops->ctx, &run);
    if (err != WEBOTA_OK)
        return err;
    if (run.state == WEBOTA_OTA_STATE_VALID)
        return WEBOTA_OK; /* as esp_ota_mark_app_valid_cancel_rollback: nothing to write */
    /* UNDEFINED included: an update made without rollback has an active entry
     * in that state, and ESP-IDF marks it VALID; the port answers
     * UPD_NOT_PENDING when there is no active entry (factory app) */
    return s->ops->mark_valid(s->ops->ctx);
}

webota_err_t webota_slot_rollback(webota_slot_t *s)
{
    if (!s->ops->rollback_possible(s->ops->ctx))
        return WEBOTA_ERR_UPD_ROLLBACK_IMPOSSIBLE;
    return s->ops->mark_invalid(s->ops->ctx);
}

void webota_slot_restart(webota_slot_t *s)
{
    if (s->ops->restart != NULL)
        s->ops->restart(s->ops->ctx);
}
