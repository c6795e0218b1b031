/* The power-loss proof of tests/unit/test_powerloss.c on the ESP-IDF
 * binding: the same scenarios, with every update, confirm and rollback going
 * through the binding's slot writer (ports/esp-idf/src/webota_esp_slot.c) and
 * the esp_ota_ops / esp_partition stand-in (tests/esp/idf_host) to the logged
 * NOR flash, and every power-on through the host device (the simulated ESP-IDF
 * bootloader, then the running partition and descriptor for esp_ota_ops).
 * Power is cut at every program and erase of the fault-free run, clean and
 * torn; the device must boot the old or the new valid firmware, as the
 * reference statement of the bootloader rules predicts. */
#include "engine_fixture.h"
#include "idf_host.h"
#include "webota_esp_internal.h"

static webota_err_t esp_power_on(fx_t *f);
#define PL_POWER_ON(f) esp_power_on(f)
#define PL_WHAT " (ESP-IDF binding)"

#include "test_powerloss.c"

static webota_esp_slot_t s_slot;

static webota_err_t esp_power_on(fx_t *f)
{
    idf_host_config_t hc = {&f->flash, f->nor, f->rollback, 0, NULL, NULL, NULL};
    idf_host_init(&hc);
    webota_err_t e = idf_host_power_on();
    f->run.boot = *idf_host_boot_result();
    if (e != WEBOTA_OK) {
        return e;
    }
    webota_esp_slot_init(&s_slot, &f->run.ops);
    /* the firmware's CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE follows the
     * device's (the stand-in's sdkconfig.h has it on) */
    f->run.ops.rollback_enabled = f->rollback;
    return webota_slot_init(&f->run.rules, &f->run.ops);
}
