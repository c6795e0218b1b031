/* The CLI's JSON reader on arbitrary device answers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json_get.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy so that any read past size is caught by ASan */
    char *j = malloc(size ? size : 1);
    if (j == NULL) {
        return 0;
    }
    memcpy(j, data, size);
    static const char *paths[] = {"chip",  "running.state", "next.size", "update.total",
                                  "error", "a.b.c",         ""};
    char out[64];
    bool b;
    unsigned long long u;
    const char *v;
    size_t vl;
    (void)cli_json_valid(j, size);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        (void)cli_json_text(j, size, paths[i], out, sizeof(out));
        (void)cli_json_bool(j, size, paths[i], &b);
        (void)cli_json_uint(j, size, paths[i], &u);
        if (cli_json_find(j, size, paths[i], &v, &vl) && (v < j || v + vl > j + size)) {
            abort();
        }
    }
    free(j);
    return 0;
}
