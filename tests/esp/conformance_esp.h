/* The ESP-IDF binding's slot writer (ports/esp-idf/src/webota_esp_slot.c) as
 * an implementation for the seam conformance suite
 * (tests/unit/test_slot_conformance.c, built with WEBOTA_CONFORMANCE_ESP by
 * tests/cmake/esp_host.cmake): a RAM flash with the two-ota layout, powered
 * on through the host device of tests/esp/idf_host (the simulated ESP-IDF
 * bootloader, then esp_partition / esp_ota_ops stand-ins on the booted
 * partition). Whether the binding was compiled with
 * CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE is a build setting: each build runs
 * the cases of its own setting (webota_esp_host in unit.test_slot_conformance,
 * webota_esp_host_norollback in esp.slot_conformance_norollback) and skips the
 * others. One device at a time (ESP-IDF's state is global). Static helpers:
 * included once. */
#ifndef WEBOTA_CONFORMANCE_ESP_H
#define WEBOTA_CONFORMANCE_ESP_H

#include "engine_fixture.h"
#include "idf_host.h"
#include "sdkconfig.h"
#include "webota_esp_internal.h"

#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
#define ESP_BUILT_ROLLBACK true
#else
#define ESP_BUILT_ROLLBACK false
#endif

typedef struct esp_dev {
    fx_t f; /* the flash and its layout (f.run unused) */
    webota_esp_slot_t slot;
    webota_slot_ops_t ops;
} esp_dev_t;

static bool esp_reboot(void *dev)
{
    esp_dev_t *d = dev;
    idf_host_config_t hc = {&d->f.flash, d->f.nor, d->f.rollback, 0, NULL, NULL, NULL};
    idf_host_init(&hc);
    if (idf_host_power_on() != WEBOTA_OK)
        return false;
    webota_esp_slot_init(&d->slot, &d->ops);
    return true;
}

static void *esp_create(const uint8_t *factory, size_t len, bool rollback)
{
    if (rollback != ESP_BUILT_ROLLBACK)
        return NULL;
    esp_dev_t *d = calloc(1, sizeof *d);
    assert_non_null(d);
    fx_new(&d->f, "two-ota", factory, len, rollback);
    assert_true(esp_reboot(d));
    return d;
}

static const webota_slot_ops_t *esp_ops(void *dev)
{
    return &((esp_dev_t *)dev)->ops;
}

static const uint8_t *esp_flash(void *dev)
{
    return sim_nor_data(((esp_dev_t *)dev)->f.nor);
}

static void esp_destroy(void *dev)
{
    esp_dev_t *d = dev;
    idf_host_shutdown();
    fx_free(&d->f);
    free(d);
}

#endif
