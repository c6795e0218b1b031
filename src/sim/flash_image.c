/* Whole flash images (see flash_image.h). */
#include "sim/flash_image.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static webota_err_t fail(webota_err_t e, char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static webota_err_t fail(webota_err_t e, char *msg, size_t cap, const char *fmt, ...)
{
    if (msg && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
    }
    return e;
}

webota_err_t sim_flash_make(sim_nor_t *n, const webota_parttable_t *pt, uint32_t table_offset,
                            const sim_flash_app_t *apps, unsigned napps, char *errmsg, size_t errcap)
{
    if (errmsg && errcap)
        errmsg[0] = 0;
    if (!n || !pt || (napps && !apps))
        return fail(WEBOTA_ERR_ARG, errmsg, errcap, "missing flash, table or apps");
    uint32_t size = sim_nor_size(n);
    if (table_offset % WEBOTA_SECTOR_SIZE || table_offset > size - WEBOTA_SECTOR_SIZE)
        return fail(WEBOTA_ERR_ARG, errmsg, errcap,
                    "partition table offset 0x%x is not a sector inside the %u KiB flash",
                    (unsigned)table_offset, (unsigned)(size / 1024));
    for (unsigned i = 0; i < pt->count; i++) {
        const webota_partition_t *p = &pt->part[i];
        if (p->offset > size || p->size > size - p->offset)
            return fail(WEBOTA_ERR_PT_OUT_OF_FLASH, errmsg, errcap,
                        "partition %s (0x%x, 0x%x bytes) does not fit in the %u KiB flash", p->label,
                        (unsigned)p->offset, (unsigned)p->size, (unsigned)(size / 1024));
    }
    /* judge every app before anything is written */
    for (unsigned a = 0; a < napps; a++) {
        const webota_partition_t *p = apps[a].label ? webota_pt_find_label(pt, apps[a].label) : NULL;
        if (!p)
            return fail(WEBOTA_ERR_NOT_FOUND, errmsg, errcap, "no partition labelled '%s'",
                        apps[a].label ? apps[a].label : "(null)");
        if (p->type != WEBOTA_PT_TYPE_APP)
            return fail(WEBOTA_ERR_ARG, errmsg, errcap, "partition '%s' is not an app partition", p->label);
        if (apps[a].len > p->size)
            return fail(WEBOTA_ERR_IMG_TOO_BIG, errmsg, errcap,
                        "image for '%s' is %zu bytes, larger than the partition (%u bytes)", p->label,
                        apps[a].len, (unsigned)p->size);
        if (apps[a].len && !apps[a].image)
            return fail(WEBOTA_ERR_ARG, errmsg, errcap, "image for '%s' has no data", p->label);
    }
    uint8_t table[WEBOTA_PT_MAX_LEN];
    webota_err_t e = webota_pt_build(pt, true, table);
    if (e != WEBOTA_OK)
        return fail(e, errmsg, errcap, "cannot build the partition table: %s", webota_strerror(e));

    webota_flash_t f = sim_nor_flash(n);
    e = webota_flash_erase(&f, 0, size);
    if (e == WEBOTA_OK)
        e = webota_flash_program(&f, table_offset, table, sizeof table);
    for (unsigned a = 0; a < napps && e == WEBOTA_OK; a++) {
        const webota_partition_t *p = webota_pt_find_label(pt, apps[a].label);
        e = webota_flash_program(&f, p->offset, apps[a].image, apps[a].len);
    }
    if (e != WEBOTA_OK)
        return fail(e, errmsg, errcap, "flash write failed: %s", webota_strerror(e));
    return WEBOTA_OK;
}

webota_err_t sim_flash_load_table(const webota_flash_t *flash, uint32_t table_offset, webota_parttable_t *pt,
                                  int *bad_index)
{
    uint8_t table[WEBOTA_PT_MAX_LEN];
    if (bad_index)
        *bad_index = -1;
    webota_err_t e = webota_flash_read(flash, table_offset, table, sizeof table);
    if (e != WEBOTA_OK)
        return e;
    return webota_pt_parse(pt, table, sizeof table, flash->size, true, bad_index);
}
