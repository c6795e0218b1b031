/* The host device under the ESP-IDF stand-in (tests only): a simulated ESP32
 * whose flash is a sim_nor chip with ESP-IDF's layout, powered on through the
 * simulated ESP-IDF bootloader (src/sim/bootloader.c), running an application
 * (the test's app_main) against the stand-in ESP-IDF APIs of this folder.
 *
 *  - Power-on: the bootloader chooses and verifies a partition (and rewrites
 *    otadata as ESP-IDF's does); the stand-in then loads the partition table
 *    (esp_partition), sets the running partition (esp_ota_get_running_partition)
 *    and the running descriptor (esp_app_get_description), and calls app_main
 *    when the booted image carries the webota updater (a firmware without it
 *    serves nothing: the test resets it, as a watchdog would).
 *  - esp_restart() does not return: it jumps back here, "RAM" is wiped
 *    (app_stop frees what the application allocated, the stand-in drops its
 *    timers, OTA handles and servers), and the device powers on again.
 *  - Time is virtual: idf_host_advance_us runs the esp_timer callbacks due.
 *  - HTTP: idf_host_http issues one request to the esp_http_server stand-in's
 *    registered handlers, with the body delivered in chosen pieces, receive
 *    timeouts or a client that goes away, and captures what was sent back.
 *
 * One device per process (ESP-IDF's state is global too). */
#ifndef IDF_HOST_H
#define IDF_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/bootloader.h"
#include "sim/nor_flash.h"
#include "webota/err.h"
#include "webota/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct idf_host_config {
    const webota_flash_t *flash; /* the flash (partition table at 0x8000); the caller owns it */
    sim_nor_t *nor;              /* its chip, powered on again at each power-on (NULL: none) */
    bool rollback;           /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE (bootloader and app) */
    uint16_t chip_revision;  /* esp_chip_info().revision, major * 100 + minor */
    /* The application: called after each power-on that booted a firmware
     * with the updater; app_stop when its RAM is lost (before a power-on). */
    void (*app_main)(void *ctx);
    void (*app_stop)(void *ctx);
    void *ctx;
} idf_host_config_t;

/* Sets the device up (nothing runs until idf_host_power_on). */
void idf_host_init(const idf_host_config_t *cfg);
/* Wipes RAM (app_stop, stand-in state) and frees what the stand-in holds. */
void idf_host_shutdown(void);

/* Powers on (power restored to the flash if it was cut): bootloader, then
 * app_main. Returns the bootloader's error (nothing bootable: NOT_FOUND...). */
webota_err_t idf_host_power_on(void);
/* What the last power-on booted. */
const sim_boot_result_t *idf_host_boot_result(void);
/* esp_restart() calls since init. */
unsigned idf_host_restarts(void);

/* Advances the virtual clock, running each timer callback when its time
 * comes. Returns true when a callback restarted the device (esp_restart: the
 * device has powered on again and the rest of the interval is dropped). */
bool idf_host_advance_us(uint64_t us);
int64_t idf_host_now_us(void);
/* Runs fn(arg) as application code (e.g. webota_esp_confirm): true when it
 * restarted the device. */
bool idf_host_run(void (*fn)(void *arg), void *arg);

/* ---- HTTP ---- */

#define IDF_HOST_HTTP_MAX_HEADERS 16
#define IDF_HOST_HTTP_MAX_RECV_PLAN 8

typedef struct idf_host_http_req {
    const char *method;  /* "GET", "POST", ... */
    const char *uri;     /* as on the request line, e.g. "/api/update?force=1" */
    const char *headers[IDF_HOST_HTTP_MAX_HEADERS]; /* "Name: value" lines, NULL-terminated */
    const uint8_t *body; /* the bytes the client sends (Content-Length is a header above) */
    size_t body_len;
    /* How recv delivers the body: each call returns at most chunk[i] bytes
     * (i cycling; all 0 = whatever the handler asks for). */
    size_t chunk[IDF_HOST_HTTP_MAX_RECV_PLAN];
    /* timeouts[i] receive timeouts (HTTPD_SOCK_ERR_TIMEOUT) happen when the
     * client has sent timeout_at[i] bytes of the body, before the next bytes. */
    size_t timeout_at[IDF_HOST_HTTP_MAX_RECV_PLAN];
    unsigned timeouts[IDF_HOST_HTTP_MAX_RECV_PLAN];
    /* The client closes the connection after sending body_len bytes (a
     * Content-Length larger than body_len = it went away mid-upload); later
     * receives return 0 and sends fail. */
    bool client_closes;
} idf_host_http_req_t;

#define IDF_HOST_HTTP_BODY_MAX (256 * 1024)

typedef struct idf_host_http_resp {
    int status;             /* from the first status line sent; 0 = nothing sent */
    char status_line[64];   /* "200 OK" */
    char head[4096];        /* everything sent before the first body byte, interim answers included */
    uint8_t body[IDF_HOST_HTTP_BODY_MAX + 1]; /* NUL-terminated */
    size_t body_len;
    unsigned responses;     /* httpd_resp_send* calls that sent a whole answer */
    bool closed;            /* the server closed the connection (handler error, purge failure) */
    size_t body_read;       /* body bytes the server received (handler and purge) */
    unsigned recv_calls, timeouts_returned, lru_updates;
    bool restarted;         /* esp_restart ran during the request */
} idf_host_http_resp_t;

/* Issues req to the running server (ESP_ERR_INVALID_STATE: none started).
 * resp is filled (it is large: allocate it). */
int idf_host_http(const idf_host_http_req_t *req, idf_host_http_resp_t *resp);
/* A header of the last answer's head ("Location"), NULL when absent; static buffer. */
const char *idf_host_http_header(const idf_host_http_resp_t *resp, const char *name);

/* ---- what the stand-in saw ---- */

/* The ESP-IDF log since init (all levels), NUL-terminated. */
const char *idf_host_log_text(void);
/* Sockets bound through lwip_bind (the captive-portal DNS): its port, 0 if none. */
uint16_t idf_host_udp_port(void);
/* Tasks started with xTaskCreate that have not ended. */
int idf_host_tasks_running(void);
/* Waits (bounded, 10 s) until every task has ended; false on timeout. */
bool idf_host_wait_tasks(void);
/* esp_ota handles open (begun, not ended or aborted). */
unsigned idf_host_ota_open_handles(void);

#ifdef __cplusplus
}
#endif

#endif
