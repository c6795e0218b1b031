/* Wi-Fi for the updater: a SoftAP through esp_netif's default AP interface
 * (DHCP server, 192.168.4.1) and, when configured, a station joining an
 * existing network, reconnecting every few seconds when it drops. */
#include <stdio.h>
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_timer.h"
#include "esp_wifi.h"

#include "webota_esp_internal.h"

static const char *TAG = WEBOTA_ESP_TAG;

#define STA_RETRY_US (5 * 1000 * 1000)

static esp_netif_t *s_ap;
static esp_timer_handle_t s_sta_retry;

static void sta_retry(void *arg)
{
    (void)arg;
    esp_wifi_connect();
}

static void on_wifi(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)base;
    if (id == WIFI_EVENT_AP_STACONNECTED) {
        const wifi_event_ap_staconnected_t *ev = data;
        ESP_LOGI(TAG, "client %02x:%02x:%02x:%02x:%02x:%02x joined", ev->mac[0], ev->mac[1], ev->mac[2],
                 ev->mac[3], ev->mac[4], ev->mac[5]);
    } else if (id == WIFI_EVENT_STA_START) {
        esp_wifi_connect();
    } else if (id == WIFI_EVENT_STA_DISCONNECTED) {
        const wifi_event_sta_disconnected_t *ev = data;
        ESP_LOGW(TAG, "station: disconnected (reason %d), retrying in %d s", ev->reason,
                 STA_RETRY_US / 1000000);
        if (s_sta_retry != NULL) {
            esp_timer_stop(s_sta_retry);
            esp_timer_start_once(s_sta_retry, STA_RETRY_US);
        }
    }
}

static void on_ip(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)base;
    if (id == IP_EVENT_STA_GOT_IP) {
        const ip_event_got_ip_t *ev = data;
        ESP_LOGI(TAG, "station: page at http://" IPSTR "/", IP2STR(&ev->ip_info.ip));
    }
}

static esp_err_t check(esp_err_t e, const char *what)
{
    if (e != ESP_OK) {
        ESP_LOGE(TAG, "%s: %s", what, esp_err_to_name(e));
    }
    return e;
}

esp_err_t webota_esp_wifi_start(const webota_esp_config_t *cfg)
{
    size_t ssid_len = cfg->ap_ssid != NULL ? strlen(cfg->ap_ssid) : 0;
    size_t pass_len = cfg->ap_password != NULL ? strlen(cfg->ap_password) : 0;
    size_t sta_len = cfg->sta_ssid != NULL ? strlen(cfg->sta_ssid) : 0;
    size_t sta_pass_len = cfg->sta_password != NULL ? strlen(cfg->sta_password) : 0;
    if (ssid_len == 0 || ssid_len > 32 || (pass_len > 0 && (pass_len < 8 || pass_len > 63)) || sta_len > 32 ||
        sta_pass_len > 63) {
        ESP_LOGE(TAG, "Wi-Fi settings: SSID 1..32 bytes, password empty or 8..63 characters");
        return ESP_ERR_INVALID_ARG;
    }
    esp_err_t e = esp_netif_init();
    if (check(e, "esp_netif_init") != ESP_OK) {
        return e;
    }
    e = esp_event_loop_create_default();
    if (e != ESP_OK && e != ESP_ERR_INVALID_STATE) { /* INVALID_STATE: the application made it */
        return check(e, "esp_event_loop_create_default");
    }
    s_ap = esp_netif_create_default_wifi_ap();
    if (s_ap == NULL) {
        ESP_LOGE(TAG, "esp_netif_create_default_wifi_ap failed");
        return ESP_FAIL;
    }
    if (sta_len > 0 && esp_netif_create_default_wifi_sta() == NULL) {
        ESP_LOGE(TAG, "esp_netif_create_default_wifi_sta failed");
        return ESP_FAIL;
    }
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    if ((e = check(esp_wifi_init(&init), "esp_wifi_init")) != ESP_OK) {
        return e;
    }
    esp_wifi_set_storage(WIFI_STORAGE_RAM); /* the settings come from menuconfig: no NVS writes */
    if ((e = check(esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi, NULL, NULL),
                   "esp_event_handler_instance_register")) != ESP_OK ||
        (e = check(esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_ip, NULL, NULL),
                   "esp_event_handler_instance_register")) != ESP_OK) {
        return e;
    }

    wifi_config_t ap;
    memset(&ap, 0, sizeof(ap));
    memcpy(ap.ap.ssid, cfg->ap_ssid, ssid_len);
    ap.ap.ssid_len = (uint8_t)ssid_len;
    ap.ap.channel = cfg->ap_channel;
    ap.ap.max_connection = cfg->ap_max_clients;
    if (pass_len > 0) {
        memcpy(ap.ap.password, cfg->ap_password, pass_len);
        ap.ap.authmode = WIFI_AUTH_WPA2_PSK;
    } else {
        ap.ap.authmode = WIFI_AUTH_OPEN;
    }
    if ((e = check(esp_wifi_set_mode(sta_len > 0 ? WIFI_MODE_APSTA : WIFI_MODE_AP), "esp_wifi_set_mode")) !=
            ESP_OK ||
        (e = check(esp_wifi_set_config(WIFI_IF_AP, &ap), "esp_wifi_set_config(AP)")) != ESP_OK) {
        return e;
    }
    if (sta_len > 0) {
        wifi_config_t sta;
        memset(&sta, 0, sizeof(sta));
        memcpy(sta.sta.ssid, cfg->sta_ssid, sta_len);
        memcpy(sta.sta.password, cfg->sta_password, sta_pass_len);
        if ((e = check(esp_wifi_set_config(WIFI_IF_STA, &sta), "esp_wifi_set_config(STA)")) != ESP_OK) {
            return e;
        }
        const esp_timer_create_args_t targs = {.callback = sta_retry, .name = "webota_sta"};
        if ((e = check(esp_timer_create(&targs, &s_sta_retry), "esp_timer_create")) != ESP_OK) {
            return e;
        }
    }
    if ((e = check(esp_wifi_start(), "esp_wifi_start")) != ESP_OK) {
        return e;
    }
    uint8_t ip[4] = {0};
    webota_esp_wifi_ap_ip(ip);
    ESP_LOGI(TAG, "Wi-Fi \"%s\" (%s, channel %u): page at http://%u.%u.%u.%u/", cfg->ap_ssid,
             pass_len > 0 ? "WPA2" : "open", (unsigned)cfg->ap_channel, ip[0], ip[1], ip[2], ip[3]);
    if (sta_len > 0) {
        ESP_LOGI(TAG, "station: joining \"%s\"", cfg->sta_ssid);
    }
    return ESP_OK;
}

bool webota_esp_wifi_ap_ip(uint8_t ip[4])
{
    esp_netif_t *ap = s_ap != NULL ? s_ap : esp_netif_get_handle_from_ifkey("WIFI_AP_DEF");
    esp_netif_ip_info_t info;
    if (ap == NULL || esp_netif_get_ip_info(ap, &info) != ESP_OK || info.ip.addr == 0) {
        return false;
    }
    memcpy(ip, &info.ip.addr, 4); /* stored in network order */
    return true;
}

/* The Host allow-list's addresses: the access point's and the station's
 * current IPv4 addresses (DHCP may change the latter), as dotted text. */
bool webota_esp_wifi_own_address(const char *host)
{
    static const char *const keys[] = {"WIFI_AP_DEF", "WIFI_STA_DEF"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        esp_netif_t *n = esp_netif_get_handle_from_ifkey(keys[i]);
        esp_netif_ip_info_t info;
        if (n == NULL || esp_netif_get_ip_info(n, &info) != ESP_OK || info.ip.addr == 0) {
            continue;
        }
        char text[16];
        const uint8_t *b = (const uint8_t *)&info.ip.addr; /* network order */
        snprintf(text, sizeof(text), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
        if (strcmp(text, host) == 0) {
            return true;
        }
    }
    return false;
}
