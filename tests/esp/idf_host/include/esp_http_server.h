/* Host stand-in (tests only) of ESP-IDF v5.5 esp_http_server.h: the types,
 * macros and calls the webota binding uses (HTTPD_MAX_URI_LEN is absent, as
 * in v5.5: the URI buffer is CONFIG_HTTPD_MAX_URI_LEN + 1). No socket: the
 * tests issue requests to the registered handlers with idf_host_http() (see
 * idf_host.h) and read what was sent back; esp_http_server.c next to this
 * folder says which behaviour each call reproduces. */
#ifndef IDF_HOST_ESP_HTTP_SERVER_H
#define IDF_HOST_ESP_HTTP_SERVER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "http_parser.h"
#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_HTTPD_DEF_CTRL_PORT (32768)

/* MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT (esp_heap_caps.h) */
#define IDF_HOST_TASK_CAPS ((1u << 11) | (1u << 2))

#define HTTPD_DEFAULT_CONFIG()                                                                             \
    {                                                                                                      \
        .task_priority = tskIDLE_PRIORITY + 5, .stack_size = 4096, .core_id = tskNO_AFFINITY,              \
        .task_caps = IDF_HOST_TASK_CAPS, .max_req_hdr_len = CONFIG_HTTPD_MAX_REQ_HDR_LEN,                  \
        .max_uri_len = CONFIG_HTTPD_MAX_URI_LEN, .server_port = 80, .ctrl_port = ESP_HTTPD_DEF_CTRL_PORT,  \
        .max_open_sockets = 7, .max_uri_handlers = 8, .max_resp_headers = 8, .backlog_conn = 5,            \
        .lru_purge_enable = false, .recv_wait_timeout = 5, .send_wait_timeout = 5,                         \
        .global_user_ctx = NULL, .global_user_ctx_free_fn = NULL, .global_transport_ctx = NULL,            \
        .global_transport_ctx_free_fn = NULL, .enable_so_linger = false, .linger_timeout = 0,              \
        .keep_alive_enable = false, .keep_alive_idle = 0, .keep_alive_interval = 0, .keep_alive_count = 0, \
        .open_fn = NULL, .close_fn = NULL, .uri_match_fn = NULL                                            \
    }

#define ESP_ERR_HTTPD_BASE (0xb000)
#define ESP_ERR_HTTPD_HANDLERS_FULL (ESP_ERR_HTTPD_BASE + 1)
#define ESP_ERR_HTTPD_HANDLER_EXISTS (ESP_ERR_HTTPD_BASE + 2)
#define ESP_ERR_HTTPD_INVALID_REQ (ESP_ERR_HTTPD_BASE + 3)
#define ESP_ERR_HTTPD_RESULT_TRUNC (ESP_ERR_HTTPD_BASE + 4)
#define ESP_ERR_HTTPD_RESP_HDR (ESP_ERR_HTTPD_BASE + 5)
#define ESP_ERR_HTTPD_RESP_SEND (ESP_ERR_HTTPD_BASE + 6)
#define ESP_ERR_HTTPD_ALLOC_MEM (ESP_ERR_HTTPD_BASE + 7)
#define ESP_ERR_HTTPD_TASK (ESP_ERR_HTTPD_BASE + 8)

#define HTTPD_RESP_USE_STRLEN -1

typedef void *httpd_handle_t;
typedef enum http_method httpd_method_t;
#define HTTP_ANY INT_MAX

typedef void (*httpd_free_ctx_fn_t)(void *ctx);
typedef esp_err_t (*httpd_open_func_t)(httpd_handle_t hd, int sockfd);
typedef void (*httpd_close_func_t)(httpd_handle_t hd, int sockfd);
typedef bool (*httpd_uri_match_func_t)(const char *reference_uri, const char *uri_to_match, size_t match_upto);

typedef struct httpd_config {
    unsigned task_priority;
    size_t stack_size;
    BaseType_t core_id;
    uint32_t task_caps;
    size_t max_req_hdr_len;
    size_t max_uri_len;
    uint16_t server_port;
    uint16_t ctrl_port;
    uint16_t max_open_sockets;
    uint16_t max_uri_handlers;
    uint16_t max_resp_headers;
    uint16_t backlog_conn;
    bool lru_purge_enable;
    uint16_t recv_wait_timeout;
    uint16_t send_wait_timeout;
    void *global_user_ctx;
    httpd_free_ctx_fn_t global_user_ctx_free_fn;
    void *global_transport_ctx;
    httpd_free_ctx_fn_t global_transport_ctx_free_fn;
    bool enable_so_linger;
    int linger_timeout;
    bool keep_alive_enable;
    int keep_alive_idle;
    int keep_alive_interval;
    int keep_alive_count;
    httpd_open_func_t open_fn;
    httpd_close_func_t close_fn;
    httpd_uri_match_func_t uri_match_fn;
} httpd_config_t;

esp_err_t httpd_start(httpd_handle_t *handle, const httpd_config_t *config);
esp_err_t httpd_stop(httpd_handle_t handle);

typedef struct httpd_req {
    httpd_handle_t handle;
    int method;
    const char uri[CONFIG_HTTPD_MAX_URI_LEN + 1];
    size_t content_len;
    void *aux;
    void *user_ctx;
    void *sess_ctx;
    httpd_free_ctx_fn_t free_ctx;
    bool ignore_sess_ctx_changes;
} httpd_req_t;

typedef struct httpd_uri {
    const char *uri;
    httpd_method_t method;
    esp_err_t (*handler)(httpd_req_t *r);
    void *user_ctx;
} httpd_uri_t;

esp_err_t httpd_register_uri_handler(httpd_handle_t handle, const httpd_uri_t *uri_handler);

typedef enum {
    HTTPD_500_INTERNAL_SERVER_ERROR = 0,
    HTTPD_501_METHOD_NOT_IMPLEMENTED,
    HTTPD_505_VERSION_NOT_SUPPORTED,
    HTTPD_400_BAD_REQUEST,
    HTTPD_401_UNAUTHORIZED,
    HTTPD_403_FORBIDDEN,
    HTTPD_404_NOT_FOUND,
    HTTPD_405_METHOD_NOT_ALLOWED,
    HTTPD_408_REQ_TIMEOUT,
    HTTPD_411_LENGTH_REQUIRED,
    HTTPD_413_CONTENT_TOO_LARGE,
    HTTPD_414_URI_TOO_LONG,
    HTTPD_431_REQ_HDR_FIELDS_TOO_LARGE,
    HTTPD_ERR_CODE_MAX
} httpd_err_code_t;

typedef esp_err_t (*httpd_err_handler_func_t)(httpd_req_t *req, httpd_err_code_t error);
esp_err_t httpd_register_err_handler(httpd_handle_t handle, httpd_err_code_t error,
                                     httpd_err_handler_func_t handler_fn);

#define HTTPD_SOCK_ERR_FAIL -1
#define HTTPD_SOCK_ERR_INVALID -2
#define HTTPD_SOCK_ERR_TIMEOUT -3

int httpd_req_to_sockfd(httpd_req_t *r);
/* ESP-IDF: the open sockets' descriptors (in: room in client_fds, out: how
 * many). The stand-in has no sockets: always 0 clients. */
esp_err_t httpd_get_client_list(httpd_handle_t handle, size_t *fds, int *client_fds);
int httpd_req_recv(httpd_req_t *r, char *buf, size_t buf_len);
size_t httpd_req_get_hdr_value_len(httpd_req_t *r, const char *field);
esp_err_t httpd_req_get_hdr_value_str(httpd_req_t *r, const char *field, char *val, size_t val_size);
bool httpd_uri_match_wildcard(const char *uri_template, const char *uri_to_match, size_t match_upto);
esp_err_t httpd_resp_send(httpd_req_t *r, const char *buf, ssize_t buf_len);
esp_err_t httpd_resp_set_status(httpd_req_t *r, const char *status);
esp_err_t httpd_resp_set_type(httpd_req_t *r, const char *type);
esp_err_t httpd_resp_set_hdr(httpd_req_t *r, const char *field, const char *value);
esp_err_t httpd_resp_send_err(httpd_req_t *req, httpd_err_code_t error, const char *msg);
static inline esp_err_t httpd_resp_send_404(httpd_req_t *r)
{
    return httpd_resp_send_err(r, HTTPD_404_NOT_FOUND, NULL);
}
int httpd_send(httpd_req_t *r, const char *buf, size_t buf_len);
esp_err_t httpd_sess_update_lru_counter(httpd_handle_t handle, int sockfd);

#ifdef __cplusplus
}
#endif

#endif
