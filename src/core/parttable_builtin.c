/* ESP-IDF's stock partition tables (components/partition_table/partitions_*.csv), kept
 * as CSV text and run through the same CSV rules, so a built-in layout is
 * exactly what gen_esp32part makes of the file. */
#include <string.h>

#include "webota/parttable.h"

typedef struct {
    const char *name;
    const char *csv;
} builtin_t;

static const builtin_t BUILTINS[] = {
    {"singleapp", /* "Single factory app, no OTA" */
     "# Name,   Type, SubType, Offset,  Size, Flags\n"
     "nvs,      data, nvs,     ,        0x6000,\n"
     "phy_init, data, phy,     ,        0x1000,\n"
     "factory,  app,  factory, ,        1M,\n"},
    {"two-ota", /* "Factory app, two OTA definitions" */
     "# Name,   Type, SubType, Offset,   Size, Flags\n"
     "nvs,      data, nvs,     ,        0x4000,\n"
     "otadata,  data, ota,     ,        0x2000,\n"
     "phy_init, data, phy,     ,        0x1000,\n"
     "factory,  app,  factory, ,        1M,\n"
     "ota_0,    app,  ota_0,   ,        1M,\n"
     "ota_1,    app,  ota_1,   ,        1M,\n"},
    {"two-ota-large", /* "Two large size OTA partitions" (no factory) */
     "# Name,   Type, SubType, Offset,   Size, Flags\n"
     "nvs,      data, nvs,     ,        0x6000,\n"
     "otadata,  data, ota,     ,        0x2000,\n"
     "phy_init, data, phy,     ,        0x1000,\n"
     "ota_0,    app,  ota_0,   ,        1700K,\n"
     "ota_1,    app,  ota_1,   ,        1700K,\n"},
};

const char *webota_pt_builtin_csv(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(BUILTINS) / sizeof(BUILTINS[0]); i++) {
        if (strcmp(BUILTINS[i].name, name) == 0) {
            return BUILTINS[i].csv;
        }
    }
    return NULL;
}

webota_err_t webota_pt_builtin(const char *name, webota_parttable_t *pt)
{
    const char *csv = webota_pt_builtin_csv(name);
    if (pt == NULL) {
        return WEBOTA_ERR_ARG;
    }
    if (csv == NULL) {
        return WEBOTA_ERR_NOT_FOUND;
    }
    webota_pt_csv_opts_t opts;
    webota_pt_csv_opts_init(&opts);
    return webota_pt_from_csv(pt, csv, strlen(csv), &opts, NULL);
}
