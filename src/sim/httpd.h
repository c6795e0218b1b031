/* The simulator's HTTP server: libmicrohttpd bound to the transport-free API
 * (webota/api.h). One internal polling thread serves every connection; each
 * call into the api happens under the caller's mutex, so the device's own
 * thread may use the api and the slot ops under the same lock.
 *
 * Limits: SIM_HTTPD_MAX_CONN connections (SIM_HTTPD_MAX_PER_IP per client),
 * SIM_HTTPD_CONN_MEMORY bytes per connection (the request line and headers
 * must fit: that is the header-size limit, 431/413 from MHD beyond it),
 * SIM_HTTPD_TIMEOUT_S seconds of idleness before a connection is closed. A
 * client that goes away mid-upload aborts the update (webota_api_abort). */
#ifndef WEBOTA_SIM_HTTPD_H
#define WEBOTA_SIM_HTTPD_H

#include <pthread.h>
#include <stdint.h>

#include "webota/api.h"

#define SIM_HTTPD_MAX_CONN 16
#define SIM_HTTPD_MAX_PER_IP 8
#define SIM_HTTPD_CONN_MEMORY (32 * 1024)
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
