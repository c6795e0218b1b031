/* The SoftAP web updater: join the open Wi-Fi network "ESP32 OTA Update",
 * open http://192.168.4.1 (phones open it by themselves), pick a .bin, Upload.
 * The device checks the image while it streams, writes the free OTA slot,
 * reboots into it, and rolls back unless the new firmware reaches its own
 * updater page. */
#include <inttypes.h>

#include "esp_app_desc.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "nvs_flash.h"

#include "webota_esp.h"

static const char *TAG = "softap_ota";

/* Wi-Fi keeps calibration data in NVS: a full or outdated NVS partition is
 * erased and initialised again. */
static esp_err_t init_nvs(void)
{
    esp_err_t e = nvs_flash_init();
    if (e == ESP_ERR_NVS_NO_FREE_PAGES || e == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        ESP_LOGW(TAG, "NVS partition unusable (%s): erasing it", esp_err_to_name(e));
        e = nvs_flash_erase();
        if (e == ESP_OK) {
            e = nvs_flash_init();
        }
    }
    return e;
}

void app_main(void)
{
    const esp_app_desc_t *app = esp_app_get_description();
    const esp_partition_t *running = esp_ota_get_running_partition();
    ESP_LOGI(TAG, "%s version %s, running from %s at 0x%08" PRIx32, app->project_name, app->version,
             running != NULL ? running->label : "?", running != NULL ? running->address : 0);

    ESP_ERROR_CHECK(init_nvs());
    /* Wi-Fi SoftAP, captive portal, page and API, confirm policy: menuconfig "webota". */
    ESP_ERROR_CHECK(webota_esp_start(NULL));
#ifdef CONFIG_WEBOTA_PULL
    /* Releases from a server (menuconfig "webota" > "Pull releases"; docs/fleet.md). */
    esp_err_t pe = webota_esp_pull_start(NULL);
    if (pe != ESP_OK) {
        ESP_LOGE(TAG, "release puller not started: %s", esp_err_to_name(pe));
    }
#endif

    if (webota_esp_pending_verify()) {
        ESP_LOGW(TAG, "this firmware is new: open the page to confirm it, or a reset rolls back");
    }
}
