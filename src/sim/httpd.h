/* The simulator's HTTP server: libmicrohttpd bound to the transport-free API
 * (webota/api.h). One internal polling thread serves every connection; each
 * call into the api happens under the caller's mutex, so the device's own
 * thread may use the api and the slot ops under the same lock.
 *
 * Limits: SIM_HTTPD_MAX_CONN connections (SIM_HTTPD_MAX_PER_IP per client,
 * so that a few clients holding connections leave room for others),
 * SIM_HTTPD_CONN_MEMORY bytes per connection (the request line and headers
 * must fit: that is the header-size limit, 431/413 from MHD beyond it),
 * SIM_HTTPD_HEADER_TIMEOUT_S to send a request's headers (slow senders are
 * cut), SIM_HTTPD_TIMEOUT_S seconds of idleness before a connection is
 * closed. The api's upload limits (webota_api_tick, every 200 ms) close an
 * upload that is idle or too slow, and end a held resumable upload at its hold
 * time (webota_api_poll, same timer). A client that goes away mid-upload
 * aborts the update, or has it held when resumable (webota_api_abort). The port is refused when another process
 * listens on it (no SO_REUSEPORT). */
#ifndef WEBOTA_SIM_HTTPD_H
#define WEBOTA_SIM_HTTPD_H

#include <pthread.h>
#include <stdint.h>

#include "webota/api.h"

#define SIM_HTTPD_MAX_CONN 32
#define SIM_HTTPD_MAX_PER_IP 6 /* a browser opens up to 6 per host */
#define SIM_HTTPD_HEADER_TIMEOUT_S 10
#define SIM_HTTPD_CONN_MEMORY (128 * 1024) /* also how much body MHD reads at once: 32 KiB cost uploads 4-5 % */
#define SIM_HTTPD_TIMEOUT_S 20

typedef struct sim_httpd sim_httpd_t;

typedef struct sim_httpd_config {
    const char *bind; /* IPv4 address, NULL = 127.0.0.1 */
    uint16_t port;    /* 0 = any free port */
    webota_api_t *api;
    pthread_mutex_t *lock; /* held around every api call */
    /* A response that asked for a reboot (resp.reboot) has been delivered (or
     * its client went away): called from the server thread, without the lock. */
    void (*rebooting)(void *ctx);
    void *ctx;
} sim_httpd_config_t;

/* Starts serving; NULL with a message in err on failure (address in use...). */
sim_httpd_t *sim_httpd_start(const sim_httpd_config_t *cfg, char *err, size_t errcap);
/* The port actually bound. */
uint16_t sim_httpd_port(const sim_httpd_t *h);
/* Stops accepting, closes every connection (aborting an upload in progress)
 * and frees. NULL is allowed. */
void sim_httpd_stop(sim_httpd_t *h);

#endif
