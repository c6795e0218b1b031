/* JSON output through the core's writer (see json_out.h). */
#include "cli/json_out.h"

#include <stdlib.h>

bool cli_json_out_init(cli_json_out_t *o)
{
    o->buf = malloc(CLI_JSON_OUT_MAX);
    if (o->buf == NULL) {
        fputs("webota: out of memory\n", stderr);
        webota_json_init(&o->w, NULL, 0);
        return false;
    }
    webota_json_init(&o->w, o->buf, CLI_JSON_OUT_MAX);
    return true;
}

bool cli_json_out_print(cli_json_out_t *o, FILE *f)
{
    size_t len = 0;
    bool ok = o->buf != NULL && webota_json_end(&o->w, &len) == WEBOTA_OK;
    if (ok) {
        fwrite(o->buf, 1, len, f);
        fputc('\n', f);
    } else if (o->buf != NULL) {
        fprintf(stderr, "webota: the JSON output is larger than %u KiB: not printed\n",
                CLI_JSON_OUT_MAX / 1024);
    }
    free(o->buf);
    o->buf = NULL;
    return ok;
}
