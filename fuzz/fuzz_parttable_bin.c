/* Binary partition tables: parse must never crash; whatever parses is
 * rebuilt and must parse to the same table, and print as CSV that converts
 * back to the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webota/parttable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static webota_parttable_t pt, again;
    uint32_t flash = size > 0 ? (uint32_t)data[0] << 16 : 0;
    if (webota_pt_parse(&pt, data, size, 0, false, NULL) != WEBOTA_OK) {
        (void)webota_pt_parse(&pt, data, size, flash, true, NULL);
        return 0;
    }
    (void)webota_pt_find_addr(&pt, flash);
    (void)webota_pt_next_update(&pt, webota_pt_find_addr(&pt, flash));
    (void)webota_pt_app_count_app(&pt);
    uint8_t out[WEBOTA_PT_MAX_LEN];
    bool md5 = pt.has_md5 && pt.count < WEBOTA_PT_MAX_ENTRIES;
    if (webota_pt_build(&pt, md5, out) != WEBOTA_OK) {
        abort();
    }
    if (webota_pt_parse(&again, out, sizeof(out), 0, md5, NULL) != WEBOTA_OK || again.count != pt.count) {
        abort();
    }
    for (unsigned i = 0; i < pt.count; i++) {
        const webota_partition_t *a = &pt.part[i], *b = &again.part[i];
        /* the label is kept up to its first NUL */
        if (a->type != b->type || a->subtype != b->subtype || a->offset != b->offset ||
            a->size != b->size || a->flags != b->flags || strcmp(a->label, b->label) != 0) {
            abort();
        }
    }
    static char csv[WEBOTA_PT_MAX_ENTRIES * 128 + 128];
    size_t n;
    if (webota_pt_to_csv(&pt, csv, sizeof(csv), &n) != WEBOTA_OK) {
        abort();
    }
    return 0;
}
