/* Pieces of the ESP-IDF port shared between its source files. */
#ifndef WEBOTA_ESP_INTERNAL_H
#define WEBOTA_ESP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "sdkconfig.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"

#include "webota/api.h"
#include "webota/json.h"
#include "webota/inflate.h"
#include "webota/sigblock.h"
#include "webota/slot.h"
#include "webota_esp.h"

#define WEBOTA_ESP_TAG "webota"

/* ---- slot writer over esp_ota_ops (webota_esp_slot.c) ---- */

typedef struct webota_esp_slot {
    esp_ota_handle_t handle;
    bool open;                      /* esp_ota_begin done, not ended/aborted */
    bool finished;                  /* esp_ota_end succeeded, not yet activated */
    const esp_partition_t *target;  /* the slot being (or last) written */
    uint32_t written;               /* bytes written since open */
    uint32_t erased_to;             /* slot bytes [0, erased_to) are erased for this session */
    bool rollback_at_reboot;        /* IDF < 5.5: the restart marks the firmware invalid */
    bool rb_known, rb_possible;     /* esp_ota_check_rollback_is_possible, kept until a write */
} webota_esp_slot_t;

/* Fills ops with the seam over esp_ota_ops working on s (rollback_enabled
 * from CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE; restart = esp_restart, under
 * IDF < 5.5 after an accepted rollback request
 * esp_ota_mark_app_invalid_rollback_and_reboot). */
void webota_esp_slot_init(webota_esp_slot_t *s, webota_slot_ops_t *ops);
/* State of the running firmware (ESP_OTA_IMG_UNDEFINED when unknown). */
esp_ota_img_states_t webota_esp_running_state(void);

/* ---- inflater for compressed uploads (webota_esp_inflate.c) ---- */

typedef struct webota_esp_inflate {
    webota_inflate_ops_t ops;
    void *state;     /* tinfl's decompressor and dictionary, while inflating */
    size_t dict_ofs; /* where tinfl writes next in its wrapping dictionary */
} webota_esp_inflate_t;

/* The seam over the ROM's tinfl_decompress; returns z->ops (do not move z). */
const webota_inflate_ops_t *webota_esp_inflate_init(webota_esp_inflate_t *z);

/* ---- web server (webota_esp_http.c) ---- */

typedef struct webota_esp_http_cfg {
    webota_api_t *api;
    uint16_t port;
    const char *prefix;       /* "" or "/ota" */
    bool captive_portal;      /* redirect unknown GETs to the page */
    size_t stack_size;
    size_t buffer_size;
    int recv_retries;
    unsigned max_per_client;  /* connections from one address */
    /* Called after each request: once its answer has been sent (reboot = the
     * api asked for one), or when its client went away mid-upload (false). */
    void (*after_response)(bool reboot);
} webota_esp_http_cfg_t;

esp_err_t webota_esp_http_start(const webota_esp_http_cfg_t *cfg, void **out_handle);
void webota_esp_http_stop(void);

/* ---- shared state (webota_esp.c) ---- */

/* The port's lock: every call into the core's api, slot rules, confirm
 * policy and puller is made under it (the web server task, the timers and
 * the pull task). Recursive; a no-op before webota_esp_start. */
void webota_esp_lock(void);
void webota_esp_unlock(void);
/* The core's slot rules of the started port, NULL before webota_esp_start. */
webota_slot_t *webota_esp_rules(void);
/* webota_chip_t of CONFIG_IDF_TARGET, -1 unknown. */
int webota_esp_chip(void);
/* Restarts now through the slot rules (esp_restart). */
void webota_esp_restart(void);

/* ---- pulling releases (webota_esp_pull.c) ---- */

/* Adds the puller's "pull" object to /api/status (called under the lock). */
void webota_esp_pull_status_json(webota_json_t *j);
/* From webota_esp_stop: the puller lets go of the core (its task ends). */
void webota_esp_pull_stop(void);

/* ---- Wi-Fi (webota_esp_wifi.c) ---- */

esp_err_t webota_esp_wifi_start(const webota_esp_config_t *cfg);
/* Address of the access point (network order bytes); false when there is none. */
bool webota_esp_wifi_ap_ip(uint8_t ip[4]);
/* True when host ("a.b.c.d") is the access point's or the station's address. */
bool webota_esp_wifi_own_address(const char *host);

/* ---- captive-portal DNS (webota_esp_dns.c) ---- */

esp_err_t webota_esp_dns_start(const uint8_t ip[4]);
void webota_esp_dns_stop(void);

#ifdef CONFIG_WEBOTA_SIGNED_UPDATES
/* The trusted keys (scheme and SBv2 digest) of CONFIG_WEBOTA_TRUSTED_KEYS,
 * generated at build time by tools/sbv2_trusted_keys.py. */
extern const webota_sig_key_t webota_esp_trusted_keys[];
extern const size_t webota_esp_trusted_key_count;
#endif

#endif
