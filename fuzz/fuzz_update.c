/* Fuzz the update session and the flash slot writer: any byte stream, in any
 * chunking, must end in DONE (and then the slot holds exactly the input) or in
 * FAILED with the factory firmware, the partition table and otadata as they
 * were. Input: byte 0 = chunk size selector, force flag, total known, rollback,
 * signatures required (bit 6: the four test keys trusted; DONE then also needs
 * a verified signature), the rest = image. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/flash_image.h"
#include "sim/nor_flash.h"
#include "webota/image_make.h"
#include "webota/slot_flash.h"
#include "webota/update.h"

#include "test_keys.h"

#define FACTORY 0x10000u
#define OTA0 0x110000u
#define OTADATA 0xD000u

static sim_nor_t *nor;
static webota_flash_t flash;
static uint8_t golden[OTA0]; /* everything before ota_0: table, otadata, factory */

typedef struct buf {
    uint8_t data[65536];
    size_t len;
} buf_t;

static webota_err_t sink(void *ctx, const void *d, size_t n)
{
    buf_t *b = ctx;
    if (b->len + n > sizeof b->data)
        return WEBOTA_ERR_NO_SPACE;
    memcpy(b->data + b->len, d, n);
    b->len += n;
    return WEBOTA_OK;
}

static void setup(void)
{
    static buf_t img;
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
    o.project = "fuzz";
    o.version = "1.0";
    o.size = 8192;
    if (webota_image_make(&o, sink, &img) != WEBOTA_OK)
        abort();
    webota_parttable_t pt;
    nor = sim_nor_new_ram(0x400000);
    if (nor == NULL || webota_pt_builtin("two-ota", &pt) != WEBOTA_OK)
        abort();
    sim_flash_app_t app = {"factory", img.data, img.len};
    if (sim_flash_make(nor, &pt, 0x8000, &app, 1, NULL, 0) != WEBOTA_OK)
        abort();
    flash = sim_nor_flash(nor);
    memcpy(golden, sim_nor_data(nor), sizeof golden);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (nor == NULL)
        setup();
    if (size < 1)
        return 0;
    static const size_t chunks[8] = {1, 3, 16, 255, 256, 4096, 5000, 65536};
    size_t chunk = chunks[data[0] & 7];
    bool force = (data[0] & 8) != 0;
    uint32_t total = (data[0] & 16) ? (uint32_t)(size - 1) : 0;
    data++;
    size--;

    static webota_slot_flash_t slot;
    webota_slot_flash_config_t c = {.flash = &flash, .rollback = (data - 1)[0] & 32, .chip = -1, .running_offset = FACTORY};
    if (webota_slot_flash_init(&slot, &c) != WEBOTA_OK)
        abort();
    webota_slot_ops_t ops;
    webota_slot_flash_ops(&slot, &ops);
    webota_slot_t rules;
    (void)webota_slot_init(&rules, &ops);
    webota_update_policy_t pol;
    webota_update_policy_init(&pol);
    pol.check_chip = true;
    pol.chip = WEBOTA_CHIP_ESP32;
    static webota_sig_key_t keys[NTEST];
    static webota_sig_config_t sig;
    bool signed_only = ((data - 1)[0] & 64) != 0;
    if (signed_only) {
        test_keys_load(keys);
        sig.keys = keys;
        sig.key_count = NTEST;
        pol.signature = &sig;
    }
    static webota_update_t u;
    webota_err_t err = webota_update_begin(&u, &rules, &pol, total, force);
    for (size_t off = 0; err == WEBOTA_OK && off < size; off += chunk)
        err = webota_update_write(&u, data + off, size - off < chunk ? size - off : chunk);
    if (err == WEBOTA_OK)
        err = webota_update_finish(&u);
    if (webota_update_message(&u) == NULL || webota_update_state_name(webota_update_state(&u)) == NULL)
        abort();
    const uint8_t *now = sim_nor_data(nor);
    if (err == WEBOTA_OK) {
        if (webota_update_state(&u) != WEBOTA_UPDATE_DONE || memcmp(now + OTA0, data, size) != 0)
            abort();
        const webota_sig_result_t *r = webota_update_signature(&u);
        if (signed_only && (r == NULL || r->err != WEBOTA_OK || r->block < 0 || r->key < 0))
            abort(); /* installed only with a verified signature */
        /* only otadata may have changed before ota_0: put it back */
        if (memcmp(now, golden, OTADATA) != 0 || memcmp(now + OTADATA + 0x2000, golden + OTADATA + 0x2000,
                                                        sizeof golden - OTADATA - 0x2000) != 0)
            abort();
        if (webota_flash_erase(&flash, OTADATA, 0x2000) != WEBOTA_OK)
            abort();
    } else if (webota_update_state(&u) != WEBOTA_UPDATE_FAILED || webota_update_error(&u) != err ||
               memcmp(now, golden, sizeof golden) != 0) {
        abort();
    }
    return 0;
}
