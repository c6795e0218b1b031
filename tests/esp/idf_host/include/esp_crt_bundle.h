/* Host stand-in (tests only) of esp_crt_bundle.h (ESP-IDF v5.5): the
 * certificate bundle attach function the pull client names for https://
 * URLs. The host esp_http_client speaks plain http:// only. */
#ifndef IDF_HOST_ESP_CRT_BUNDLE_H
#define IDF_HOST_ESP_CRT_BUNDLE_H

#include "esp_err.h"

esp_err_t esp_crt_bundle_attach(void *conf);

#endif
