/* NVS (one blob per namespace and key, in memory) and esp_read_mac stand-ins
 * (tests only). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "esp_crt_bundle.h"
#include "esp_mac.h"
#include "nvs.h"

#define ENTRIES 8

static struct {
    char ns[16], key[16];
    uint8_t *data;
    size_t len;
} s_blobs[ENTRIES];
static char s_open_ns[4][16];
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

esp_err_t nvs_open(const char *name, nvs_open_mode_t mode, nvs_handle_t *out)
{
    (void)mode;
    if (name == NULL || strlen(name) >= 16 || out == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    for (uint32_t i = 0; i < 4; i++) {
        if (s_open_ns[i][0] == '\0' || strcmp(s_open_ns[i], name) == 0) {
            strcpy(s_open_ns[i], name);
            *out = i + 1;
            pthread_mutex_unlock(&s_lock);
            return ESP_OK;
        }
    }
    pthread_mutex_unlock(&s_lock);
    return ESP_ERR_NO_MEM;
}

static int find(nvs_handle_t h, const char *key)
{
    for (int i = 0; i < ENTRIES; i++) {
        if (s_blobs[i].data != NULL && strcmp(s_blobs[i].ns, s_open_ns[h - 1]) == 0 &&
            strcmp(s_blobs[i].key, key) == 0) {
            return i;
        }
    }
    return -1;
}

esp_err_t nvs_get_blob(nvs_handle_t h, const char *key, void *out, size_t *len)
{
    if (h == 0 || h > 4 || key == NULL || len == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&s_lock);
    int i = find(h, key);
    esp_err_t e = ESP_OK;
    if (i < 0) {
        e = ESP_ERR_NVS_NOT_FOUND;
    } else if (out == NULL) {
        *len = s_blobs[i].len;
    } else if (*len < s_blobs[i].len) {
        e = ESP_ERR_NVS_INVALID_LENGTH;
    } else {
        memcpy(out, s_blobs[i].data, s_blobs[i].len);
        *len = s_blobs[i].len;
    }
    pthread_mutex_unlock(&s_lock);
    return e;
}

esp_err_t nvs_set_blob(nvs_handle_t h, const char *key, const void *value, size_t len)
{
    if (h == 0 || h > 4 || key == NULL || strlen(key) >= 16 || (value == NULL && len > 0)) {
        return ESP_ERR_INVALID_ARG;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) {
        return ESP_ERR_NO_MEM;
    }
    memcpy(copy, value, len);
    pthread_mutex_lock(&s_lock);
    int i = find(h, key);
    for (int k = 0; i < 0 && k < ENTRIES; k++) {
        if (s_blobs[k].data == NULL) {
            i = k;
            strcpy(s_blobs[k].ns, s_open_ns[h - 1]);
            strcpy(s_blobs[k].key, key);
        }
    }
    esp_err_t e = ESP_OK;
    if (i < 0) {
        free(copy);
        e = ESP_ERR_NO_MEM;
    } else {
        free(s_blobs[i].data);
        s_blobs[i].data = copy;
        s_blobs[i].len = len;
    }
    pthread_mutex_unlock(&s_lock);
    return e;
}

esp_err_t nvs_commit(nvs_handle_t h)
{
    return h == 0 || h > 4 ? ESP_ERR_INVALID_ARG : ESP_OK;
}

void nvs_close(nvs_handle_t h)
{
    (void)h;
}

esp_err_t esp_read_mac(uint8_t *mac, esp_mac_type_t type)
{
    static const uint8_t sta[6] = {0x24, 0x0a, 0xc4, 0x00, 0x00, 0x01};
    if (mac == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    memcpy(mac, sta, 6);
    mac[5] = (uint8_t)(mac[5] + (type == ESP_MAC_WIFI_SOFTAP ? 1 : 0));
    return ESP_OK;
}

esp_err_t esp_crt_bundle_attach(void *conf)
{
    (void)conf;
    return ESP_ERR_NOT_SUPPORTED; /* the host client speaks http:// only */
}
