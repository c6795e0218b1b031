/* webota on ESP-IDF: the updater page and HTTP API (esp_http_server), the OTA
 * slot writer (esp_ota_ops), a SoftAP with a captive portal (esp_wifi,
 * esp_netif, lwIP) and the confirm policy that cancels the rollback once the
 * new firmware has proved itself.
 *
 *     void app_main(void)
 *     {
 *         ... nvs_flash_init() ...
 *         ESP_ERROR_CHECK(webota_esp_start(NULL)); // menuconfig "webota" settings
 *     }
 *
 * Requires the bootloader's CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE for the
 * automatic rollback, and a partition table with otadata and two OTA slots. */
#ifndef WEBOTA_ESP_H
#define WEBOTA_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    WEBOTA_ESP_CONFIRM_FIRST_REQUEST, /* first GET of the page or /api/status */
    WEBOTA_ESP_CONFIRM_DELAY,         /* confirm_delay_s after webota_esp_start */
    WEBOTA_ESP_CONFIRM_MANUAL,        /* Confirm button / POST /api/confirm only */
    WEBOTA_ESP_CONFIRM_BY_APP,        /* the application calls webota_esp_confirm() */
} webota_esp_confirm_t;

typedef struct webota_esp_config {
    bool start_wifi;          /* init esp_netif, event loop, Wi-Fi, SoftAP (+ station) */
    const char *ap_ssid;      /* 1..32 bytes */
    const char *ap_password;  /* "" or NULL = open network; else 8..63 characters */
    uint8_t ap_channel;       /* 1..13 */
    uint8_t ap_max_clients;   /* 1..10 */
    bool captive_portal;      /* DNS on UDP 53 of the AP + redirect of unknown pages */
    const char *sta_ssid;     /* NULL or "" = no station mode */
    const char *sta_password;
    webota_esp_confirm_t confirm;
    uint32_t confirm_delay_s; /* WEBOTA_ESP_CONFIRM_DELAY */
    uint16_t http_port;
    const char *url_prefix;   /* "" or "/ota" (no trailing '/') */
    /* The password as the device keeps it: a verifier made by `webota passwd`
     * ("pbkdf2-sha256$ITER$SALT$KEY", never the password itself); NULL or
     * "" = no password. Logins are a challenge-response (docs/security.md). */
    const char *auth_verifier;
    /* Host names the page is also reached by, comma separated (e.g.
     * "webota.local"); the device's own addresses, localhost and 127.0.0.1
     * are always allowed, any other Host header is refused (DNS rebinding). */
    const char *host_names;
    unsigned max_per_client;  /* connections one address may hold (0 = no limit) */
    bool require_marker;      /* refuse images without the webota updater unless forced */
    bool same_project;        /* refuse images whose project_name differs */
    bool refuse_older_version; /* refuse images whose app version is older */
    size_t httpd_stack_size;
    size_t upload_buffer_size;
    int recv_retries;         /* receive timeouts tolerated in a row during an upload */
    uint32_t reboot_delay_ms; /* between the answer and the reboot */
} webota_esp_config_t;

/* Fills cfg with the menuconfig ("webota") settings. */
void webota_esp_config_default(webota_esp_config_t *cfg);

/* Starts webota: Wi-Fi (when cfg->start_wifi), the web server with the page
 * and API, the captive portal and the confirm policy. cfg NULL = the
 * menuconfig settings; the strings are copied. NVS must be initialised first
 * (Wi-Fi needs it). Errors: ESP_ERR_INVALID_STATE (already started),
 * ESP_ERR_INVALID_ARG (bad SSID, password or prefix), ESP_ERR_NO_MEM, or the
 * error of the ESP-IDF call that failed (logged). */
esp_err_t webota_esp_start(const webota_esp_config_t *cfg);

/* Stops the web server, the DNS responder and the timers; an upload in
 * progress is aborted (the running firmware and otadata stay untouched). Wi-Fi
 * is left running. */
esp_err_t webota_esp_stop(void);

/* Marks the running firmware valid (cancels the rollback). ESP_OK also when
 * it was already valid; ESP_ERR_INVALID_STATE when there is nothing to confirm
 * (factory firmware, no otadata entry). Usable with any confirm policy and
 * before webota_esp_start. */
esp_err_t webota_esp_confirm(void);

/* True while the running firmware is PENDING_VERIFY (a reset now rolls back). */
bool webota_esp_pending_verify(void);

/* The esp_http_server handle (to register the application's own pages), or
 * NULL when webota is not started. webota registers wildcard handlers under
 * its URL prefix: with the default prefix "" register yours before calling
 * webota_esp_start, or use a prefix. */
void *webota_esp_httpd(void);

#ifdef __cplusplus
}
#endif

#endif
