/* Fuzz the simulated bootloader on damaged flash: a valid 256 KiB flash
 * (factory + ota_0 + ota_1 with real images) is patched by the input in the
 * places a power cut or a bad update can touch (otadata entries, image
 * headers, segment headers, descriptors, trailers), then powered on twice.
 * Invariants: whatever boots is an app partition whose image verifies; a
 * second power-on never boots something the first found unbootable. */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bootloader.h"
#include "sim/flash_image.h"
#include "sim/nor_flash.h"
#include "webota/image.h"
#include "webota/image_make.h"
#include "webota/parttable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLASH_SIZE 0x40000u
#define APP_SIZE 0x10000u

static const char layout[] = "nvs,data,nvs,0x9000,0x4000,\n"
                             "otadata,data,ota,0xd000,0x2000,\n"
                             "factory,app,factory,0x10000,64K,\n"
                             "ota_0,app,ota_0,0x20000,64K,\n"
                             "ota_1,app,ota_1,0x30000,64K,\n";

struct buf {
    uint8_t data[APP_SIZE];
    size_t len;
};

static webota_err_t to_buf(void *ctx, const void *d, size_t n)
{
    struct buf *b = ctx;
    if (b->len + n > sizeof(b->data)) {
        return WEBOTA_ERR_NO_SPACE;
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
    return WEBOTA_OK;
}

static uint8_t base[FLASH_SIZE];

static void make_base(void)
{
    static bool done;
    if (done) {
        return;
    }
    webota_parttable_t pt;
    webota_pt_csv_opts_t opts = {.table_offset = 0x8000, .md5 = true};
    webota_pt_csv_error_t perr;
    assert(webota_pt_from_csv(&pt, layout, sizeof(layout) - 1, &opts, &perr) == WEBOTA_OK);
    static struct buf img[3];
    const char *versions[3] = {"1.0.0", "1.1.0", "1.2.0"};
    sim_flash_app_t apps[3];
    const char *labels[3] = {"factory", "ota_0", "ota_1"};
    for (int i = 0; i < 3; i++) {
        webota_image_make_opts_t o;
        webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
        o.project = "fuzz";
        o.version = versions[i];
        o.seed = (uint32_t)i + 1;
        o.size = 8192;
        assert(webota_image_make(&o, to_buf, &img[i]) == WEBOTA_OK);
        apps[i] = (sim_flash_app_t){labels[i], img[i].data, img[i].len};
    }
    sim_nor_t *n = sim_nor_new_ram(FLASH_SIZE);
    char msg[128];
    assert(sim_flash_make(n, &pt, 0x8000, apps, 3, msg, sizeof(msg)) == WEBOTA_OK);
    memcpy(base, sim_nor_data(n), FLASH_SIZE);
    sim_nor_close(n);
    done = true;
}

/* Regions the input patches: otadata sectors and the first 512 bytes and the
 * last 64 bytes (checksum/SHA) of each image. */
static uint32_t region_addr(uint8_t sel, uint16_t off)
{
    static const uint32_t starts[] = {0xd000, 0xe000, 0x10000, 0x20000, 0x30000};
    uint32_t r = starts[sel % 5];
    if (r < 0x10000) {
        return r + (off % 32u);
    }
    if (sel & 0x80) {
        return r + 0x1f00u + (off % 0x100u); /* around the images' ends (~8 KiB) */
    }
    return r + (off % 512u);
}

static bool verifies(const webota_flash_t *f, uint32_t addr, uint32_t size)
{
    webota_image_checker_t c;
    webota_image_policy_t pol = {.check_chip = true, .chip = WEBOTA_CHIP_ESP32, .max_size = size};
    webota_image_init(&c, &pol, NULL);
    const webota_image_status_t *st = webota_image_status(&c);
    uint8_t chunk[1024];
    for (uint32_t at = 0; at < size; at += sizeof(chunk)) {
        if (webota_flash_read(f, addr + at, chunk, sizeof(chunk)) != WEBOTA_OK ||
            webota_image_feed(&c, chunk, sizeof(chunk)) != WEBOTA_OK) {
            break;
        }
        if (st->length != 0 && st->received >= st->length) {
            break;
        }
    }
    bool ok = webota_image_finish(&c) == WEBOTA_OK;
    webota_image_abort(&c);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_base();
    if (size < 1) {
        return 0;
    }
    sim_nor_t *n = sim_nor_new_ram(FLASH_SIZE);
    webota_flash_t f = sim_nor_flash(n);
    assert(webota_flash_erase(&f, 0, FLASH_SIZE) == WEBOTA_OK);
    assert(webota_flash_program(&f, 0, base, FLASH_SIZE) == WEBOTA_OK);

    /* the first byte picks the bootloader configuration, then patches of
     * 4 bytes: selector, offset (2 bytes), value; a patch overwrites the byte
     * (erase + program of a whole sector copy, as corruption would). */
    static uint8_t work[FLASH_SIZE];
    memcpy(work, base, FLASH_SIZE);
    for (size_t i = 1; i + 4 <= size; i += 4) {
        uint32_t addr = region_addr(data[i], (uint16_t)(data[i + 1] | data[i + 2] << 8));
        work[addr] = data[i + 3];
    }
    assert(webota_flash_erase(&f, 0, FLASH_SIZE) == WEBOTA_OK);
    assert(webota_flash_program(&f, 0, work, FLASH_SIZE) == WEBOTA_OK);

    sim_boot_config_t cfg;
    sim_boot_config_init(&cfg);
    cfg.rollback = data[0] & 1;
    sim_boot_result_t r1, r2;
    webota_err_t e1 = sim_boot(&f, &cfg, &r1);
    if (e1 == WEBOTA_OK) {
        assert(r1.part.type == WEBOTA_PT_TYPE_APP);
        assert(verifies(&f, r1.part.offset, r1.part.size));
    }
    webota_err_t e2 = sim_boot(&f, &cfg, &r2);
    if (e1 != WEBOTA_OK) {
        assert(e2 != WEBOTA_OK);
    } else if (e2 == WEBOTA_OK) {
        assert(verifies(&f, r2.part.offset, r2.part.size));
    }
    sim_nor_close(n);
    return 0;
}
