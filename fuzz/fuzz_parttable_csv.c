/* CSV partition tables: parsing must never crash; a table that parses must
 * build, parse back as a binary to the same entries, and its CSV output must
 * convert back to the same entries too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webota/parttable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_env(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "A") == 0 ? "app" : strcmp(name, "S") == 0 ? "0x4000" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static webota_parttable_t pt, again;
    webota_pt_csv_opts_t opts;
    webota_pt_csv_opts_init(&opts);
    opts.getenv = fuzz_env;
    if (size > 0) { /* first byte picks options */
        opts.md5 = (data[0] & 1) != 0;
        opts.secure = (data[0] >> 1) % 3;
        opts.flash_size = (data[0] & 8) ? 4u << 20 : 0;
        opts.table_offset = (data[0] & 16) ? 0x9000 : 0x8000;
        opts.has_primary_bootloader = (data[0] & 32) != 0;
        opts.primary_bootloader_offset = 0x1000;
    }
    webota_pt_csv_error_t err;
    if (webota_pt_from_csv(&pt, (const char *)data, size, &opts, &err) != WEBOTA_OK) {
        if (err.err == WEBOTA_OK || memchr(err.message, 0, sizeof(err.message)) == NULL) {
            abort();
        }
        return 0;
    }
    uint8_t out[WEBOTA_PT_MAX_LEN];
    if (webota_pt_build(&pt, opts.md5, out) != WEBOTA_OK) {
        abort();
    }
    if (pt.count > 0) {
        if (webota_pt_parse(&again, out, sizeof(out), 0, opts.md5, NULL) != WEBOTA_OK ||
            again.count != pt.count) {
            abort();
        }
        for (unsigned i = 0; i < pt.count; i++) {
            const webota_partition_t *a = &pt.part[i], *b = &again.part[i];
            if (a->type != b->type || a->subtype != b->subtype || a->offset != b->offset ||
                a->size != b->size || a->flags != b->flags || strcmp(a->label, b->label) != 0) {
                abort();
            }
        }
    }
    return 0;
}
