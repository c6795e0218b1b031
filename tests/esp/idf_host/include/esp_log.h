/* Host stand-in (tests only) of ESP-IDF v5.5 esp_log.h: ESP_LOGE/W/I/D/V(tag,
 * format, ...) with printf checking of the format, as ESP-IDF's own
 * esp_log_write is declared. Lines go to a buffer the tests read
 * (idf_host_log_text) and, with IDF_HOST_LOG=1 in the environment, to stderr. */
#ifndef IDF_HOST_ESP_LOG_H
#define IDF_HOST_ESP_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ESP_LOG_NONE,
    ESP_LOG_ERROR,
    ESP_LOG_WARN,
    ESP_LOG_INFO,
    ESP_LOG_DEBUG,
    ESP_LOG_VERBOSE,
} esp_log_level_t;

void idf_host_log(esp_log_level_t level, const char *tag, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#define ESP_LOGE(tag, format, ...) idf_host_log(ESP_LOG_ERROR, tag, format, ##__VA_ARGS__)
#define ESP_LOGW(tag, format, ...) idf_host_log(ESP_LOG_WARN, tag, format, ##__VA_ARGS__)
#define ESP_LOGI(tag, format, ...) idf_host_log(ESP_LOG_INFO, tag, format, ##__VA_ARGS__)
#define ESP_LOGD(tag, format, ...) idf_host_log(ESP_LOG_DEBUG, tag, format, ##__VA_ARGS__)
#define ESP_LOGV(tag, format, ...) idf_host_log(ESP_LOG_VERBOSE, tag, format, ##__VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif
