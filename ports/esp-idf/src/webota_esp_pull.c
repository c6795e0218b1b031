/* The release puller on ESP-IDF (docs/fleet.md): a task polls the manifest
 * with esp_http_client (HTTPS verified against ESP-IDF's certificate bundle
 * when the URL is https://) and hands every answer and every image byte to
 * the core's pull module (webota/pull.h), which decides everything. The
 * record of attempted and rolled-back releases is an NVS blob. Core calls
 * are made under the port's lock (webota_esp_lock), as the web server's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_chip_info.h"
#include "esp_crt_bundle.h"
#include "esp_http_client.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "nvs.h"

#include "webota/pull.h"
#include "webota_esp_internal.h"

static const char *TAG = WEBOTA_ESP_TAG;

#define SIG_MAX (WEBOTA_SIG_BLOCKS * WEBOTA_SIG_BLOCK_LEN)
#define NVS_NS "webota"
#define NVS_KEY "pull"

typedef struct pull {
    webota_esp_pull_config_t cfg;
    bool stop;        /* webota_esp_stop ran: the task frees this and ends */
    webota_err_t last; /* last verdict logged */
    char url[WEBOTA_RELEASE_URL_MAX];
    char device_id[33];
    webota_sig_key_t keys[WEBOTA_ESP_PULL_KEYS_MAX];
    webota_sig_config_t trust;
    webota_pull_t pull;
    /* the answer being received */
    char etag[96];
    long range_start;
    uint8_t buf[1024];
    uint8_t body[WEBOTA_RELEASE_MANIFEST_MAX + 1];
    uint8_t sig[SIG_MAX + 1];
} pull_t;

static pull_t *s_pull;

static uint64_t now_ms(void)
{
    return (uint64_t)esp_timer_get_time() / 1000u;
}

static void load_record(webota_pull_record_t *rec, bool *have)
{
    *have = false;
    nvs_handle_t h;
    if (nvs_open(NVS_NS, NVS_READONLY, &h) != ESP_OK) {
        return;
    }
    static uint8_t raw[WEBOTA_PULL_RECORD_LEN];
    size_t len = sizeof(raw);
    if (nvs_get_blob(h, NVS_KEY, raw, &len) == ESP_OK && webota_pull_record_decode(raw, len, rec) == WEBOTA_OK) {
        *have = true;
    }
    nvs_close(h);
}

static void save_record(pull_t *p)
{
    if (!webota_pull_record_dirty(&p->pull)) {
        return;
    }
    static uint8_t raw[WEBOTA_PULL_RECORD_LEN];
    if (webota_pull_record_encode(webota_pull_record(&p->pull), raw) != WEBOTA_OK) {
        return;
    }
    nvs_handle_t h;
    esp_err_t e = nvs_open(NVS_NS, NVS_READWRITE, &h);
    if (e == ESP_OK) {
        e = nvs_set_blob(h, NVS_KEY, raw, sizeof(raw));
        if (e == ESP_OK) {
            e = nvs_commit(h);
        }
        nvs_close(h);
    }
    if (e == ESP_OK) {
        webota_pull_record_saved(&p->pull);
    } else {
        ESP_LOGE(TAG, "pull: cannot save the record in NVS: %s", esp_err_to_name(e));
    }
}

static bool enter(struct pull *p);

static esp_err_t on_event(esp_http_client_event_t *ev)
{
    pull_t *p = ev->user_data;
    if (ev->event_id == HTTP_EVENT_ON_HEADER && ev->header_key != NULL && ev->header_value != NULL) {
        if (strcasecmp(ev->header_key, "ETag") == 0 && strlen(ev->header_value) < sizeof(p->etag)) {
            strcpy(p->etag, ev->header_value);
        } else if (strcasecmp(ev->header_key, "Content-Range") == 0 &&
                   strncmp(ev->header_value, "bytes ", 6) == 0) {
            p->range_start = strtol(ev->header_value + 6, NULL, 10);
        }
    }
    return ESP_OK;
}

/* One GET; the body goes to mem (up to cap bytes, *len) or, when mem is
 * NULL, to the puller at the answer's file position. Returns the HTTP
 * status, 0 when no answer came (or a manifest did not arrive whole). */
static int get(pull_t *p, const char *url, const char *if_none_match, uint32_t from, uint8_t *mem, size_t cap,
               size_t *len)
{
    esp_http_client_config_t c = {
        .url = url,
        .timeout_ms = 15000,
        .event_handler = on_event,
        .user_data = p,
        .buffer_size = 1536,
        .user_agent = "webota",
    };
    if (strncmp(url, "https://", 8) == 0) {
        c.crt_bundle_attach = esp_crt_bundle_attach; /* verify the server, as a browser would */
    }
    esp_http_client_handle_t h = esp_http_client_init(&c);
    if (h == NULL) {
        return 0;
    }
    p->etag[0] = '\0';
    p->range_start = -1;
    char hdr[32];
    if (if_none_match != NULL && if_none_match[0] != '\0') {
        esp_http_client_set_header(h, "If-None-Match", if_none_match);
    }
    if (from > 0) {
        snprintf(hdr, sizeof(hdr), "bytes=%u-", (unsigned)from);
        esp_http_client_set_header(h, "Range", hdr);
    }
    int status = 0;
    bool whole = false;
    if (esp_http_client_open(h, 0) == ESP_OK && esp_http_client_fetch_headers(h) >= 0) {
        status = esp_http_client_get_status_code(h);
        uint32_t pos = status == 206 && p->range_start >= 0 ? (uint32_t)p->range_start : 0;
        if (len != NULL) {
            *len = 0;
        }
        for (;;) {
            uint8_t *dst = mem != NULL ? mem + *len : p->buf;
            size_t room = mem != NULL ? cap - *len : sizeof(p->buf);
            if (room == 0) {
                break; /* a manifest larger than allowed: refused by its parser */
            }
            int n = esp_http_client_read(h, (char *)dst, (int)room);
            if (n <= 0) {
                whole = n == 0 && esp_http_client_is_complete_data_received(h);
                break;
            }
            if (mem != NULL) {
                *len += (size_t)n;
            } else if (status == 200 || status == 206) {
                if (!enter(p)) {
                    break;
                }
                webota_err_t e = webota_pull_data(&p->pull, pos, dst, (size_t)n);
                webota_esp_unlock();
                if (e != WEBOTA_OK) {
                    break;
                }
                pos += (uint32_t)n;
            }
        }
    }
    esp_http_client_close(h);
    esp_http_client_cleanup(h);
    if (mem != NULL && status == 200 && !whole) {
        return 0; /* a manifest is all or nothing */
    }
    return status;
}

static void log_verdict(pull_t *p)
{
    webota_err_t v = webota_pull_verdict(&p->pull);
    if (v != p->last || v == WEBOTA_OK) {
        ESP_LOGI(TAG, "pull: %s: %s", webota_err_name(v), webota_pull_message(&p->pull));
        p->last = v;
    }
}

/* Takes the lock unless the port was stopped meanwhile (then the core's
 * state is gone: nothing more is done). */
static bool enter(struct pull *p)
{
    webota_esp_lock();
    if (p->stop) {
        webota_esp_unlock();
        return false;
    }
    return true;
}

/* One poll or one image transfer when due; restarts after an activation.
 * Returns the milliseconds until the next thing is due. */
static uint32_t step(pull_t *p)
{
    if (!enter(p)) {
        return UINT32_MAX;
    }
    uint64_t now = now_ms();
    webota_pull_action_t a = webota_pull_next(&p->pull, now);
    char etag[96];
    snprintf(etag, sizeof(etag), "%s", webota_pull_etag(&p->pull));
    save_record(p);
    webota_esp_unlock();
    if (a == WEBOTA_PULL_FETCH_MANIFEST) {
        size_t blen = 0, slen = 0;
        int st = get(p, p->url, etag, 0, p->body, sizeof(p->body), &blen);
        char got[96];
        snprintf(got, sizeof(got), "%s", p->etag);
        if (st == 200) {
            char sig_url[WEBOTA_RELEASE_URL_MAX + 8];
            snprintf(sig_url, sizeof(sig_url), "%s.sig", p->url);
            int s2 = get(p, sig_url, NULL, 0, p->sig, sizeof(p->sig), &slen);
            if (s2 == 404) {
                slen = 0; /* unsigned: refused */
            } else if (s2 != 200) {
                st = s2 == 0 ? 0 : 502;
            }
        }
        if (!enter(p)) {
            return UINT32_MAX;
        }
        webota_pull_manifest(&p->pull, p->url, st, got, p->body, blen, p->sig, slen, now_ms());
        a = webota_pull_state(&p->pull) == WEBOTA_PULL_DOWNLOADING ? WEBOTA_PULL_FETCH_IMAGE : WEBOTA_PULL_NOTHING;
        log_verdict(p);
        webota_esp_unlock();
    }
    if (a == WEBOTA_PULL_FETCH_IMAGE) {
        if (!enter(p)) {
            return UINT32_MAX;
        }
        char url[WEBOTA_RELEASE_URL_MAX];
        snprintf(url, sizeof(url), "%s", webota_pull_image_url(&p->pull));
        uint32_t from = webota_pull_offset(&p->pull);
        webota_esp_unlock();
        int st = get(p, url, NULL, from, NULL, 0, NULL);
        if (!enter(p)) {
            return UINT32_MAX;
        }
        if (webota_pull_state(&p->pull) == WEBOTA_PULL_DOWNLOADING) {
            webota_pull_transfer_end(&p->pull, st, now_ms());
        }
        bool activated = webota_pull_state(&p->pull) == WEBOTA_PULL_ACTIVATED;
        save_record(p);
        log_verdict(p);
        if (activated) {
            if (webota_pull_record_dirty(&p->pull)) {
                ESP_LOGW(TAG, "pull: record not saved: a rollback of this release may be retried");
            }
            ESP_LOGI(TAG, "pull: restarting into the new firmware");
            webota_esp_unlock();
            webota_esp_restart();
            return UINT32_MAX;
        }
        webota_esp_unlock();
    }
    if (!enter(p)) {
        return UINT32_MAX;
    }
    uint32_t due = webota_pull_due_in(&p->pull, now_ms());
    webota_esp_unlock();
    return due;
}

static void pull_task(void *arg)
{
    pull_t *p = arg;
    for (;;) {
        uint32_t due = step(p);
        webota_esp_lock();
        bool stop = p->stop;
        webota_esp_unlock();
        if (stop) {
            free(p);
            vTaskDelete(NULL);
            return;
        }
        uint32_t wait = due > 1000u ? 1000u : (due == 0 ? 10u : due);
        vTaskDelay(pdMS_TO_TICKS(wait) ? pdMS_TO_TICKS(wait) : 1);
    }
}

uint32_t webota_esp_pull_step(void)
{
    webota_esp_lock();
    pull_t *p = s_pull;
    bool task = p != NULL && p->cfg.stack_size > 0;
    webota_esp_unlock();
    return p == NULL || task ? UINT32_MAX : step(p);
}

void webota_esp_pull_stop(void)
{
    webota_esp_lock();
    pull_t *p = s_pull;
    s_pull = NULL;
    if (p != NULL) {
        if (p->cfg.stack_size > 0) {
            p->stop = true; /* the task frees it */
        } else {
            free(p);
        }
    }
    webota_esp_unlock();
}

static bool parse_digest(const char *hex, uint8_t out[WEBOTA_SIG_KEY_DIGEST_LEN])
{
    if (hex == NULL || strlen(hex) != 2 * WEBOTA_SIG_KEY_DIGEST_LEN) {
        return false;
    }
    for (size_t i = 0; i < WEBOTA_SIG_KEY_DIGEST_LEN; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            return false;
        }
        out[i] = (uint8_t)v;
    }
    return true;
}

void webota_esp_pull_config_default(webota_esp_pull_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
#ifdef CONFIG_WEBOTA_PULL
    cfg->manifest_url = CONFIG_WEBOTA_PULL_URL;
    cfg->interval_s = CONFIG_WEBOTA_PULL_INTERVAL_S;
    cfg->key_scheme[0] = CONFIG_WEBOTA_PULL_KEY_SCHEME;
    cfg->key_digest[0] = CONFIG_WEBOTA_PULL_KEY_DIGEST;
    cfg->key_count = 1;
#else
    cfg->interval_s = 3600;
#endif
    cfg->stack_size = 6144;
}

esp_err_t webota_esp_pull_start(const webota_esp_pull_config_t *cfg_in)
{
    if (s_pull != NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    webota_slot_t *rules = webota_esp_rules();
    if (rules == NULL) {
        ESP_LOGE(TAG, "pull: start webota (webota_esp_start) first");
        return ESP_ERR_INVALID_STATE;
    }
    webota_esp_pull_config_t defaults;
    if (cfg_in == NULL) {
        webota_esp_pull_config_default(&defaults);
        cfg_in = &defaults;
    }
    pull_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return ESP_ERR_NO_MEM;
    }
    p->cfg = *cfg_in;
    const char *u = cfg_in->manifest_url;
    if (u == NULL || strlen(u) >= sizeof(p->url) ||
        (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) || cfg_in->interval_s == 0 ||
        cfg_in->key_count == 0 || cfg_in->key_count > WEBOTA_ESP_PULL_KEYS_MAX) {
        ESP_LOGE(TAG, "pull: a manifest URL (http:// or https://), an interval and 1..%d trusted keys are needed",
                 WEBOTA_ESP_PULL_KEYS_MAX);
        free(p);
        return ESP_ERR_INVALID_ARG;
    }
    strcpy(p->url, u);
    for (size_t i = 0; i < cfg_in->key_count; i++) {
        p->keys[i].scheme = (uint8_t)cfg_in->key_scheme[i];
        if (!parse_digest(cfg_in->key_digest[i], p->keys[i].digest) ||
            (cfg_in->key_scheme[i] != WEBOTA_SIG_SCHEME_RSA3072 && cfg_in->key_scheme[i] != WEBOTA_SIG_SCHEME_ECDSA256 &&
             cfg_in->key_scheme[i] != WEBOTA_SIG_SCHEME_ECDSA384)) {
            ESP_LOGE(TAG, "pull: trusted key %u: want a scheme and 64 hex digits (webota keygen prints them)",
                     (unsigned)i);
            free(p);
            return ESP_ERR_INVALID_ARG;
        }
    }
    p->trust.keys = p->keys;
    p->trust.key_count = cfg_in->key_count;
    if (cfg_in->device_id != NULL && cfg_in->device_id[0] != '\0') {
        snprintf(p->device_id, sizeof(p->device_id), "%s", cfg_in->device_id);
    } else {
        uint8_t mac[6] = {0};
        esp_read_mac(mac, ESP_MAC_WIFI_STA); /* stable and unique per chip */
        snprintf(p->device_id, sizeof(p->device_id), "%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3],
                 mac[4], mac[5]);
    }
    webota_pull_record_t rec;
    bool have = false;
    load_record(&rec, &have);
    webota_app_desc_t running;
    esp_chip_info_t ci;
    esp_chip_info(&ci); /* the revision, checked as for an upload */
    webota_pull_config_t pc = {p->device_id, webota_esp_chip(), cfg_in->interval_s * 1000u, 0, &p->trust,
                               true, (int)ci.revision};
    webota_esp_lock();
    webota_err_t e = webota_slot_running_desc(rules, &running);
    if (e == WEBOTA_OK) {
        e = webota_pull_init(&p->pull, &pc, rules, &running, have ? &rec : NULL, now_ms());
    }
    webota_esp_unlock();
    if (e != WEBOTA_OK) {
        ESP_LOGE(TAG, "pull: %s", webota_strerror(e));
        free(p);
        return ESP_FAIL;
    }
    save_record(p);
    s_pull = p;
    if (p->cfg.stack_size > 0 && xTaskCreate(pull_task, "webota_pull", p->cfg.stack_size, p, 4, NULL) != pdPASS) {
        s_pull = NULL;
        free(p);
        return ESP_ERR_NO_MEM;
    }
    ESP_LOGI(TAG, "pull: polling %s every %u s (device id %s)", p->url, (unsigned)cfg_in->interval_s, p->device_id);
    return ESP_OK;
}

void webota_esp_pull_status_json(webota_json_t *j)
{
    if (s_pull != NULL) {
        webota_json_key(j, "pull");
        webota_pull_status_json(&s_pull->pull, j, now_ms());
    }
}
