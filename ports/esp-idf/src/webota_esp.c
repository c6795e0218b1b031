/* webota_esp_start/stop: ties the portable API (webota/api.h) to the ESP-IDF
 * slot writer, web server, Wi-Fi and captive portal, and applies the confirm
 * policy. Reboots (after an update, a rollback or a reboot request) run from
 * an esp_timer one-shot once the answer has been sent, never inside the HTTP
 * handler. While an upload runs or is held, another one-shot re-armed every
 * second runs the api's clock (webota_api_tick, webota_api_poll), so a held
 * upload ends at its hold time even when no request comes. */
#include <stdlib.h>
#include <string.h>

#include "esp_app_desc.h"
#include "esp_chip_info.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "mbedtls/build_info.h"
#include "sdkconfig.h"

#include "webota/api.h"
#include "webota/chip.h"
#include "webota/confirm.h"
#include "webota/page.h"
#include "webota/update.h"
#include "webota_esp_internal.h"

/* ESP-IDF v5's mbedTLS 3.x builds PSA Crypto only when MBEDTLS_PSA_CRYPTO_C is
 * on; from mbedTLS 4 (ESP-IDF v6) PSA is the crypto API and always present. */
#if defined(MBEDTLS_VERSION_MAJOR) && MBEDTLS_VERSION_MAJOR < 4 && !defined(MBEDTLS_PSA_CRYPTO_C)
#error "webota needs mbedTLS's PSA Crypto API: enable MBEDTLS_PSA_CRYPTO_C in menuconfig (Component config > mbedTLS)"
#endif

static const char *TAG = WEBOTA_ESP_TAG;

typedef struct webota_esp {
    webota_esp_config_t cfg;
    char ap_ssid[33];
    char ap_password[64];
    char sta_ssid[33];
    char sta_password[64];
    char prefix[40];
    char verifier[WEBOTA_AUTH_VERIFIER_MAX];
    char host_names[128];
    const char *hosts[4];   /* into host_names */
    size_t hosts_count;
    webota_auth_verifier_t auth;
    char project[33];
    webota_esp_slot_t slot;
    webota_esp_inflate_t inflate; /* compressed uploads (its 43 KiB only while one runs) */
    webota_slot_ops_t ops;
    webota_slot_t rules;       /* the core's rules over ops */
    webota_confirm_t confirm;  /* the core's confirm policy */
    webota_sig_config_t sig;   /* trusted keys (CONFIG_WEBOTA_SIGNED_UPDATES) */
    void *httpd;
    esp_timer_handle_t reboot_timer;
    esp_timer_handle_t confirm_timer;
    esp_timer_handle_t api_timer; /* armed while webota_api_busy */
    bool reboot_requested;
    webota_api_t api;     /* large: last */
} webota_esp_t;

static webota_esp_t *s_esp;
/* Serialises the core between the web server task, the timers and the pull
 * task; created once, never deleted (a stop/start keeps it). */
static SemaphoreHandle_t s_lock;

void webota_esp_lock(void)
{
    if (s_lock != NULL) {
        xSemaphoreTakeRecursive(s_lock, portMAX_DELAY);
    }
}

void webota_esp_unlock(void)
{
    if (s_lock != NULL) {
        xSemaphoreGiveRecursive(s_lock);
    }
}

webota_slot_t *webota_esp_rules(void)
{
    return s_esp != NULL ? &s_esp->rules : NULL;
}

int webota_esp_chip(void)
{
    const webota_chip_info_t *chip = webota_chip_by_name(CONFIG_IDF_TARGET);
    return chip != NULL ? (int)chip->chip : -1;
}

void webota_esp_restart(void)
{
    if (s_esp != NULL) {
        webota_slot_restart(&s_esp->rules);
    }
}

static void status_json(void *ctx, webota_json_t *j)
{
    (void)ctx;
    webota_esp_pull_status_json(j);
}

void webota_esp_config_default(webota_esp_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
#ifdef CONFIG_WEBOTA_START_WIFI
    cfg->start_wifi = true;
    cfg->ap_ssid = CONFIG_WEBOTA_AP_SSID;
    cfg->ap_password = CONFIG_WEBOTA_AP_PASSWORD;
    cfg->ap_channel = CONFIG_WEBOTA_AP_CHANNEL;
    cfg->ap_max_clients = CONFIG_WEBOTA_AP_MAX_CLIENTS;
    cfg->sta_ssid = CONFIG_WEBOTA_STA_SSID;
    cfg->sta_password = CONFIG_WEBOTA_STA_PASSWORD;
#endif
#ifdef CONFIG_WEBOTA_CAPTIVE_PORTAL
    cfg->captive_portal = true;
#endif
    cfg->confirm = WEBOTA_ESP_CONFIRM_FIRST_REQUEST;
#if defined(CONFIG_WEBOTA_CONFIRM_FIRST_REQUEST)
    cfg->confirm = WEBOTA_ESP_CONFIRM_FIRST_REQUEST;
#elif defined(CONFIG_WEBOTA_CONFIRM_DELAY)
    cfg->confirm = WEBOTA_ESP_CONFIRM_DELAY;
    cfg->confirm_delay_s = CONFIG_WEBOTA_CONFIRM_DELAY_S;
#elif defined(CONFIG_WEBOTA_CONFIRM_MANUAL)
    cfg->confirm = WEBOTA_ESP_CONFIRM_MANUAL;
#elif defined(CONFIG_WEBOTA_CONFIRM_BY_APP)
    cfg->confirm = WEBOTA_ESP_CONFIRM_BY_APP;
#endif
    cfg->http_port = CONFIG_WEBOTA_HTTP_PORT;
    cfg->url_prefix = CONFIG_WEBOTA_URL_PREFIX;
    cfg->auth_verifier = CONFIG_WEBOTA_AUTH_VERIFIER;
    cfg->host_names = CONFIG_WEBOTA_HOST_NAMES;
    cfg->max_per_client = CONFIG_WEBOTA_HTTP_MAX_PER_CLIENT;
#ifdef CONFIG_WEBOTA_REQUIRE_MARKER
    cfg->require_marker = true;
#endif
#ifdef CONFIG_WEBOTA_SAME_PROJECT
    cfg->same_project = true;
#endif
#ifdef CONFIG_WEBOTA_REFUSE_OLDER_VERSION
    cfg->refuse_older_version = true;
#endif
    cfg->httpd_stack_size = CONFIG_WEBOTA_HTTPD_STACK_SIZE;
    cfg->upload_buffer_size = CONFIG_WEBOTA_UPLOAD_BUFFER_SIZE;
    cfg->recv_retries = CONFIG_WEBOTA_RECV_RETRIES;
    cfg->reboot_delay_ms = CONFIG_WEBOTA_REBOOT_DELAY_MS;
}

/* Copies an optional string into a buffer; false when it does not fit. */
static bool copy_str(char *dst, size_t size, const char *src, const char **out)
{
    size_t n = src != NULL ? strlen(src) : 0;
    if (n >= size) {
        return false;
    }
    if (n > 0) {
        memcpy(dst, src, n);
    }
    dst[n] = 0;
    *out = dst;
    return true;
}

static uint32_t api_now_ms(void *ctx)
{
    (void)ctx;
    return (uint32_t)(esp_timer_get_time() / 1000);
}

static void api_log(void *ctx, const char *line)
{
    (void)ctx;
    ESP_LOGW(TAG, "%s", line);
}

static bool own_address(void *ctx, const char *host)
{
    (void)ctx;
    return webota_esp_wifi_own_address(host);
}

/* "a.local, b.lan" -> hosts[] pointing into the (modified) copy. */
static void split_hosts(webota_esp_t *esp)
{
    char *p = esp->host_names;
    while (*p != 0 && esp->hosts_count < sizeof(esp->hosts) / sizeof(esp->hosts[0])) {
        while (*p == ',' || *p == ' ') {
            *p++ = 0;
        }
        if (*p == 0) {
            break;
        }
        esp->hosts[esp->hosts_count++] = p;
        while (*p != 0 && *p != ',' && *p != ' ') {
            p++;
        }
    }
    if (*p != 0) {
        ESP_LOGW(TAG, "host names: only the first %u are used",
                 (unsigned)(sizeof(esp->hosts) / sizeof(esp->hosts[0])));
    }
    while (*p != 0) {
        if (*p == ',' || *p == ' ') {
            *p = 0;
        }
        p++;
    }
}

static void reboot_cb(void *arg)
{
    webota_esp_t *esp = arg;
    ESP_LOGW(TAG, "rebooting");
    webota_slot_restart(&esp->rules);
}

static void request_reboot(void *ctx)
{
    webota_esp_t *esp = ctx;
    esp->reboot_requested = true;
}

#define API_TIMER_US (1000u * 1000u)

/* Arms the api timer while an upload runs or is held (ESP_ERR_INVALID_STATE:
 * already armed, fine); unarmed, an idle device has no periodic wake-up.
 * Under the lock, as webota_esp_stop's destroy: a callback that waited for
 * the lock while the port stopped finds s_esp changed and touches nothing. */
static void api_timer_watch(webota_esp_t *esp, bool run_clock)
{
    webota_esp_lock();
    if (s_esp == esp) {
        if (run_clock) {
            webota_api_tick(&esp->api); /* an upload idle or too slow: cut (or held) */
            webota_api_poll(&esp->api); /* a held upload past its hold time: ended */
        }
        if (webota_api_busy(&esp->api)) {
            esp_timer_start_once(esp->api_timer, API_TIMER_US);
        }
    }
    webota_esp_unlock();
}

static void api_timer_cb(void *arg)
{
    api_timer_watch(arg, true);
}

static void after_response(bool reboot)
{
    webota_esp_t *esp = s_esp;
    if (esp == NULL) {
        return;
    }
    api_timer_watch(esp, false);
    if (!(reboot || esp->reboot_requested)) {
        return;
    }
    esp->reboot_requested = false;
    esp_timer_stop(esp->reboot_timer); /* ESP_ERR_INVALID_STATE when not armed: fine */
    esp_timer_start_once(esp->reboot_timer, (uint64_t)esp->cfg.reboot_delay_ms * 1000u);
}

static uint64_t now_ms(void)
{
    return (uint64_t)esp_timer_get_time() / 1000u;
}

static void log_confirm(const webota_esp_t *esp, webota_confirm_result_t r, const char *why)
{
    if (r == WEBOTA_CONFIRM_CONFIRMED) {
        ESP_LOGI(TAG, "%s: new firmware confirmed", why);
    } else if (r == WEBOTA_CONFIRM_FAILED) {
        ESP_LOGW(TAG, "%s: confirming failed (%s), trying again on the next request", why,
                 webota_strerror(webota_confirm_error(&esp->confirm)));
    }
}

static void on_request(void *ctx, webota_api_route_t route)
{
    webota_esp_t *esp = ctx;
    log_confirm(esp, webota_confirm_on_request(&esp->confirm, route, now_ms()),
                "the updater was reached");
}

static void confirm_cb(void *arg)
{
    webota_esp_t *esp = arg;
    webota_esp_lock();
    log_confirm(esp, webota_confirm_poll(&esp->confirm, now_ms()), "confirm delay elapsed");
    webota_esp_unlock();
}

static esp_err_t confirm_err(webota_err_t e)
{
    switch (e) {
    case WEBOTA_OK:
        return ESP_OK;
    case WEBOTA_ERR_UPD_NOT_PENDING:
        return ESP_ERR_INVALID_STATE;
    default:
        return ESP_FAIL;
    }
}

esp_err_t webota_esp_confirm(void)
{
    if (s_esp != NULL) {
        webota_esp_lock();
        webota_err_t ce = webota_slot_confirm(&s_esp->rules);
        webota_esp_unlock();
        return confirm_err(ce);
    }
    /* before webota_esp_start: the same rule over a seam of its own (the
     * calls it makes need no open slot) */
    webota_esp_slot_t slot;
    webota_slot_ops_t ops;
    webota_slot_t rules;
    webota_esp_slot_init(&slot, &ops);
    webota_err_t e = webota_slot_init(&rules, &ops);
    return confirm_err(e == WEBOTA_OK ? webota_slot_confirm(&rules) : e);
}

bool webota_esp_pending_verify(void)
{
    return webota_esp_running_state() == ESP_OTA_IMG_PENDING_VERIFY;
}

void *webota_esp_httpd(void)
{
    return s_esp != NULL ? s_esp->httpd : NULL;
}

/* The Kconfig / webota_esp_config_t names of the core's modes. */
static webota_confirm_mode_t confirm_mode(webota_esp_confirm_t c)
{
    switch (c) {
    case WEBOTA_ESP_CONFIRM_DELAY:
        return WEBOTA_CONFIRM_DELAY;
    case WEBOTA_ESP_CONFIRM_MANUAL:
        return WEBOTA_CONFIRM_MANUAL;
    case WEBOTA_ESP_CONFIRM_BY_APP:
        return WEBOTA_CONFIRM_BY_APP;
    case WEBOTA_ESP_CONFIRM_FIRST_REQUEST:
    default:
        return WEBOTA_CONFIRM_FIRST_REQUEST;
    }
}

static const char *confirm_name(webota_esp_confirm_t c)
{
    switch (c) {
    case WEBOTA_ESP_CONFIRM_FIRST_REQUEST:
        return "on the first request to the updater";
    case WEBOTA_ESP_CONFIRM_DELAY:
        return "after the confirm delay";
    case WEBOTA_ESP_CONFIRM_MANUAL:
        return "with the Confirm button";
    case WEBOTA_ESP_CONFIRM_BY_APP:
        return "by the application";
    }
    return "?";
}

static void log_firmware(const webota_esp_t *esp)
{
    const esp_partition_t *run = esp_ota_get_running_partition();
    const esp_app_desc_t *d = esp_app_get_description();
    esp_ota_img_states_t st = webota_esp_running_state();
    ESP_LOGI(TAG, "running %.32s %.32s from %s (%s), ESP-IDF %.32s", d->project_name, d->version,
             run != NULL ? run->label : "?", webota_ota_state_name((uint32_t)st), d->idf_ver);
    const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
    esp_app_desc_t other;
    if (next != NULL && esp_ota_get_partition_description(next, &other) == ESP_OK) {
        ESP_LOGI(TAG, "next update goes to %s (holds %.32s %.32s)", next->label, other.project_name,
                 other.version);
    } else if (next != NULL) {
        ESP_LOGI(TAG, "next update goes to %s (empty)", next->label);
    } else {
        ESP_LOGW(TAG, "no OTA slot in the partition table: updates are impossible");
    }
    if (st == ESP_OTA_IMG_PENDING_VERIFY) {
        ESP_LOGW(TAG, "new firmware not confirmed yet: a reset now rolls back; confirmed %s",
                 confirm_name(esp->cfg.confirm));
    }
}

static void destroy(webota_esp_t *esp)
{
    if (esp->reboot_timer != NULL) {
        esp_timer_stop(esp->reboot_timer);
        esp_timer_delete(esp->reboot_timer);
    }
    if (esp->confirm_timer != NULL) {
        esp_timer_stop(esp->confirm_timer);
        esp_timer_delete(esp->confirm_timer);
    }
    if (esp->api_timer != NULL) {
        esp_timer_stop(esp->api_timer);
        esp_timer_delete(esp->api_timer);
    }
    free(esp);
}

esp_err_t webota_esp_start(const webota_esp_config_t *cfg_in)
{
    if (s_esp != NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    webota_esp_config_t defaults;
    if (cfg_in == NULL) {
        webota_esp_config_default(&defaults);
        cfg_in = &defaults;
    }
    if (s_lock == NULL && (s_lock = xSemaphoreCreateRecursiveMutex()) == NULL) {
        return ESP_ERR_NO_MEM;
    }
    webota_esp_t *esp = calloc(1, sizeof(*esp));
    if (esp == NULL) {
        return ESP_ERR_NO_MEM;
    }
    esp->cfg = *cfg_in;
    webota_esp_config_t *cfg = &esp->cfg;
    if (!copy_str(esp->ap_ssid, sizeof(esp->ap_ssid), cfg_in->ap_ssid, &cfg->ap_ssid) ||
        !copy_str(esp->ap_password, sizeof(esp->ap_password), cfg_in->ap_password, &cfg->ap_password) ||
        !copy_str(esp->sta_ssid, sizeof(esp->sta_ssid), cfg_in->sta_ssid, &cfg->sta_ssid) ||
        !copy_str(esp->sta_password, sizeof(esp->sta_password), cfg_in->sta_password, &cfg->sta_password) ||
        !copy_str(esp->prefix, sizeof(esp->prefix), cfg_in->url_prefix, &cfg->url_prefix) ||
        !copy_str(esp->verifier, sizeof(esp->verifier), cfg_in->auth_verifier, &cfg->auth_verifier) ||
        !copy_str(esp->host_names, sizeof(esp->host_names), cfg_in->host_names, &cfg->host_names) ||
        cfg->upload_buffer_size < 512 || cfg->recv_retries < 0) {
        ESP_LOGE(TAG, "configuration: a string is too long or a size is invalid");
        free(esp);
        return ESP_ERR_INVALID_ARG;
    }

    const esp_timer_create_args_t reboot_args = {.callback = reboot_cb, .arg = esp, .name = "webota_reboot"};
    const esp_timer_create_args_t confirm_args = {.callback = confirm_cb, .arg = esp, .name = "webota_confirm"};
    const esp_timer_create_args_t api_args = {.callback = api_timer_cb, .arg = esp, .name = "webota_api"};
    esp_err_t e = esp_timer_create(&reboot_args, &esp->reboot_timer);
    if (e == ESP_OK) {
        e = esp_timer_create(&confirm_args, &esp->confirm_timer);
    }
    if (e == ESP_OK) {
        e = esp_timer_create(&api_args, &esp->api_timer);
    }
    if (e != ESP_OK) {
        ESP_LOGE(TAG, "esp_timer_create: %s", esp_err_to_name(e));
        destroy(esp);
        return e;
    }

    webota_esp_slot_init(&esp->slot, &esp->ops);
    (void)webota_slot_init(&esp->rules, &esp->ops); /* all functions are set */
    webota_confirm_config_t cc;
    webota_confirm_config_init(&cc);
    cc.mode = confirm_mode(cfg->confirm);
    cc.delay_ms = cfg->confirm_delay_s * 1000u;
    webota_confirm_start(&esp->confirm, &cc, &esp->rules, now_ms());
    webota_api_config_t ac;
    webota_api_config_init(&ac, &esp->rules);
    const webota_chip_info_t *chip = webota_chip_by_name(CONFIG_IDF_TARGET);
    esp_chip_info_t ci;
    esp_chip_info(&ci);
    ac.policy.check_chip = chip != NULL;
    ac.policy.chip = chip != NULL ? (int)chip->chip : -1;
    ac.policy.check_chip_rev = true;
    ac.policy.chip_rev = (int)ci.revision; /* major * 100 + minor */
    ac.policy.allow_no_marker = !cfg->require_marker;
    if (cfg->same_project) {
        const esp_app_desc_t *d = esp_app_get_description();
        memcpy(esp->project, d->project_name, sizeof(d->project_name));
        esp->project[sizeof(esp->project) - 1] = 0;
        ac.policy.project = esp->project;
    }
    ac.policy.refuse_older_version = cfg->refuse_older_version;
#ifdef CONFIG_WEBOTA_SIGNED_UPDATES
    esp->sig.keys = webota_esp_trusted_keys;
    esp->sig.key_count = webota_esp_trusted_key_count;
#ifdef CONFIG_IDF_TARGET_ESP32
    esp->sig.max_blocks = 1; /* ESP32 (rev 3) Secure Boot V2 uses the first block only */
#endif
    ac.policy.signature = &esp->sig;
#endif
    ac.chip = CONFIG_IDF_TARGET;
    ac.chip_rev_known = true;
    ac.chip_rev = (int)ci.revision;
    if (cfg->auth_verifier[0] != 0) {
        if (webota_auth_verifier_parse(cfg->auth_verifier, &esp->auth) != WEBOTA_OK) {
            ESP_LOGE(TAG, "password verifier: want pbkdf2-sha256$ITER$SALT$KEY (webota passwd)");
            destroy(esp);
            return ESP_ERR_INVALID_ARG;
        }
        ac.auth = &esp->auth;
    }
    split_hosts(esp);
    ac.hosts = esp->hosts;
    ac.hosts_count = esp->hosts_count;
    ac.host_ok = own_address;
    ac.now_ms = api_now_ms;
    ac.log = api_log;
    ac.page_csp = webota_page_csp;
    ac.page_gz = webota_page_gz;
    ac.page_gz_len = (size_t)webota_page_gz_len;
#ifdef CONFIG_WEBOTA_GZIP_UPLOADS
    ac.inflate = webota_esp_inflate_init(&esp->inflate);
#endif
    ac.request_reboot = request_reboot;
    ac.on_request = on_request;
    ac.status_fields = status_json;
    ac.ctx = esp;
    webota_err_t we = webota_api_init(&esp->api, &ac);
    if (we != WEBOTA_OK) {
        ESP_LOGE(TAG, "webota_api_init: %s", webota_strerror(we));
        destroy(esp);
        return ESP_FAIL;
    }

    if (cfg->start_wifi && (e = webota_esp_wifi_start(cfg)) != ESP_OK) {
        destroy(esp);
        return e;
    }
    s_esp = esp; /* after_response looks it up */
    webota_esp_http_cfg_t hc = {
        .api = &esp->api,
        .port = cfg->http_port,
        .prefix = cfg->url_prefix,
        .captive_portal = cfg->captive_portal,
        .stack_size = cfg->httpd_stack_size,
        .buffer_size = cfg->upload_buffer_size,
        .recv_retries = cfg->recv_retries,
        .max_per_client = cfg->max_per_client,
        .after_response = after_response,
    };
    if ((e = webota_esp_http_start(&hc, &esp->httpd)) != ESP_OK) {
        s_esp = NULL;
        destroy(esp);
        return e;
    }
    uint8_t ip[4];
    if (cfg->captive_portal) {
        if (!webota_esp_wifi_ap_ip(ip)) {
            ESP_LOGW(TAG, "captive portal: no access point address, DNS responder not started");
        } else if (webota_esp_dns_start(ip) != ESP_OK) {
            ESP_LOGW(TAG, "captive portal: DNS responder not started (the page is still at the address)");
        }
    }
    log_firmware(esp);
    uint32_t due = webota_confirm_due_in(&esp->confirm, now_ms());
    if (due != UINT32_MAX && webota_esp_pending_verify()) {
        esp_timer_start_once(esp->confirm_timer, (uint64_t)due * 1000u);
    }
    return ESP_OK;
}

esp_err_t webota_esp_stop(void)
{
    webota_esp_t *esp = s_esp;
    if (esp == NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    webota_esp_dns_stop();
    webota_esp_http_stop(); /* a handler in progress ends (and aborts its upload) first */
    webota_esp_pull_stop();
    webota_esp_lock(); /* the api timer's callback checks s_esp under it */
    s_esp = NULL;
    destroy(esp);
    webota_esp_unlock();
    return ESP_OK;
}
