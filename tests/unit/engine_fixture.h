/* A simulated device for the engine tests (test_slot_flash, test_update,
 * test_powerloss): a RAM NOR flash with a stock layout and a factory app,
 * images from the image maker, power-on through the simulated bootloader and
 * a slot writer on the booted partition. Static helpers: each test program
 * includes this once. */
#ifndef WEBOTA_ENGINE_FIXTURE_H
#define WEBOTA_ENGINE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/bootloader.h"
#include "sim/flash_image.h"
#include "sim/nor_flash.h"
#include "sim/power_on.h"
#include "webota/image_make.h"
#include "webota/otadata.h"
#include "webota/slot_flash.h"
#include "webota/update.h"

#define FX_FLASH_SIZE 0x400000u

typedef struct fx_buf {
    uint8_t *p;
    size_t len, cap;
} fx_buf_t;

static inline webota_err_t fx_sink(void *ctx, const void *data, size_t len)
{
    fx_buf_t *b = ctx;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (p == NULL)
            return WEBOTA_ERR_NO_SPACE;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return WEBOTA_OK;
}

typedef struct fx_img_opts {
    webota_chip_t chip;
    const char *project, *version;
    uint32_t secure_version, size, seed;
    bool marker, hash;
} fx_img_opts_t;

static inline fx_img_opts_t fx_img_defaults(const char *version)
{
    fx_img_opts_t o = {WEBOTA_CHIP_ESP32, "demo", version, 0, 16384, 1, true, true};
    o.seed = 1;
    for (const char *c = version; *c; c++)
        o.seed = o.seed * 31u + (uint8_t)*c;
    return o;
}

/* A malloc'd image; *len its length. */
static inline uint8_t *fx_image_opts(const fx_img_opts_t *io, size_t *len)
{
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, io->chip);
    o.project = io->project;
    o.version = io->version;
    o.secure_version = io->secure_version;
    o.size = io->size;
    o.seed = io->seed;
    o.marker = io->marker;
    o.hash = io->hash;
    fx_buf_t b = {0};
    assert_int_equal(webota_image_make(&o, fx_sink, &b), WEBOTA_OK);
    *len = b.len;
    return b.p;
}

static inline uint8_t *fx_image(const char *version, uint32_t size, size_t *len)
{
    fx_img_opts_t o = fx_img_defaults(version);
    o.size = size;
    return fx_image_opts(&o, len);
}

typedef struct fx {
    sim_nor_t *nor;
    webota_flash_t flash;
    webota_parttable_t pt;
    bool rollback;
    sim_running_t run; /* last power-on: boot result, slot writer, seam, rules */
} fx_t;

/* A fresh device: layout ("two-ota", ...), factory (or ota_0 without factory)
 * holding `factory_img`. The caller frees with fx_free. */
static inline void fx_new(fx_t *f, const char *layout, const uint8_t *factory_img, size_t factory_len, bool rollback)
{
    memset(f, 0, sizeof *f);
    f->rollback = rollback;
    assert_int_equal(webota_pt_builtin(layout, &f->pt), WEBOTA_OK);
    f->nor = sim_nor_new_ram(FX_FLASH_SIZE);
    assert_non_null(f->nor);
    f->flash = sim_nor_flash(f->nor);
    const webota_partition_t *first = webota_pt_factory(&f->pt);
    if (first == NULL)
        first = webota_pt_ota_slot(&f->pt, 0);
    sim_flash_app_t app = {first->label, factory_img, factory_len};
    assert_int_equal(sim_flash_make(f->nor, &f->pt, WEBOTA_PT_OFFSET_DEFAULT, &app, 1, NULL, 0), WEBOTA_OK);
}

static inline void fx_free(fx_t *f)
{
    sim_nor_close(f->nor);
    f->nor = NULL;
}

static inline void fx_boot_config(const fx_t *f, sim_boot_config_t *bc)
{
    sim_boot_config_init(bc);
    bc->rollback = f->rollback;
}

/* Powers on (bootloader) and opens a slot writer on the booted partition. */
static inline webota_err_t fx_power_on(fx_t *f)
{
    sim_nor_power_on(f->nor);
    sim_boot_config_t bc;
    fx_boot_config(f, &bc);
    return sim_power_on(&f->flash, &bc, &f->run, NULL);
}

/* A whole session from a buffer in `chunk`-byte pieces; returns the session's
 * error. The session is left in *u for inspection. */
static inline webota_err_t fx_update_with(fx_t *f, webota_update_t *u, const webota_update_policy_t *pol, const uint8_t *img,
                                   size_t len, size_t chunk, bool force)
{
    webota_err_t err = webota_update_begin(u, &f->run.rules, pol, (uint32_t)len, force);
    for (size_t off = 0; err == WEBOTA_OK && off < len; off += chunk)
        err = webota_update_write(u, img + off, len - off < chunk ? len - off : chunk);
    if (err == WEBOTA_OK)
        err = webota_update_finish(u);
    return err;
}

static inline webota_err_t fx_update(fx_t *f, const uint8_t *img, size_t len, size_t chunk)
{
    static webota_update_t u;
    webota_update_policy_t pol;
    webota_update_policy_init(&pol);
    pol.check_chip = true;
    pol.chip = WEBOTA_CHIP_ESP32;
    pol.check_chip_rev = true;
    pol.chip_rev = 0;
    return fx_update_with(f, &u, &pol, img, len, chunk, false);
}

/* Copies the whole flash (malloc'd) for before/after comparisons. */
static inline uint8_t *fx_snapshot(const fx_t *f)
{
    uint8_t *p = malloc(FX_FLASH_SIZE);
    assert_non_null(p);
    memcpy(p, sim_nor_data(f->nor), FX_FLASH_SIZE);
    return p;
}

/* Bytes outside [skip_off, skip_off+skip_len) are equal. */
static inline bool fx_same_outside(const uint8_t *a, const uint8_t *b, uint32_t skip_off, uint32_t skip_len)
{
    return memcmp(a, b, skip_off) == 0 &&
           memcmp(a + skip_off + skip_len, b + skip_off + skip_len, FX_FLASH_SIZE - skip_off - skip_len) == 0;
}

#endif
