/* Host replacement (tests only) of ports/esp-idf/src/webota_esp_wifi.c, the
 * Wi-Fi and esp_netif bring-up, which the host build leaves out: starting
 * "Wi-Fi" checks the settings as the real one does and brings up an access
 * point whose address is 192.168.4.1 (esp_netif's default AP address), so
 * that the captive-portal paths of the binding run. */
#include <string.h>

#include "esp_log.h"
#include "idf_host_internal.h"
#include "webota_esp_internal.h"

static bool s_ap_up;

void idf_host_wifi_reset(void)
{
    s_ap_up = false;
}

esp_err_t webota_esp_wifi_start(const webota_esp_config_t *cfg)
{
    size_t ssid_len = cfg->ap_ssid != NULL ? strlen(cfg->ap_ssid) : 0;
    size_t pass_len = cfg->ap_password != NULL ? strlen(cfg->ap_password) : 0;
    if (ssid_len == 0 || ssid_len > 32 || (pass_len > 0 && (pass_len < 8 || pass_len > 63))) {
        return ESP_ERR_INVALID_ARG;
    }
    s_ap_up = true;
    ESP_LOGI("webota", "host Wi-Fi: access point \"%s\" up at 192.168.4.1", cfg->ap_ssid);
    return ESP_OK;
}

bool webota_esp_wifi_ap_ip(uint8_t ip[4])
{
    if (!s_ap_up) {
        return false;
    }
    static const uint8_t ap[4] = {192, 168, 4, 1};
    memcpy(ip, ap, 4);
    return true;
}

/* The Host allow-list's addresses: the access point's, as the real one asks esp_netif. */
bool webota_esp_wifi_own_address(const char *host)
{
    return s_ap_up && strcmp(host, "192.168.4.1") == 0;
}
