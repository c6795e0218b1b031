/* The simulator's release puller: moves bytes with libcurl for the core's
 * pull module (webota/pull.h), which decides everything. One per simulated
 * device: `webota sim --pull` runs one next to its web server, `webota fleet
 * sim` one per device thread. The record (attempted and rolled-back
 * releases) lives next to the flash file, in FLASH.pull. */
#ifndef WEBOTA_SIM_PULL_CLIENT_H
#define WEBOTA_SIM_PULL_CLIENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/power_on.h"
#include "webota/pull.h"

typedef struct sim_pull_config {
    const char *url;        /* the manifest's URL */
    const char *device_id;
    const char *flash_path; /* the record is flash_path + ".pull" */
    int chip;
    uint32_t interval_ms, retry_ms;
    const webota_sig_config_t *trust;
    FILE *log;              /* one line per verdict change; NULL = silent */
    const char *name;       /* log prefix, e.g. "webota sim" */
} sim_pull_config_t;

typedef struct sim_pull {
    sim_pull_config_t cfg;
    webota_pull_t pull;
    void *curl;               /* CURL * */
    pthread_mutex_t *lock;    /* held around every call into the core; NULL = none */
    uint64_t bytes;           /* body bytes received (manifests, signatures, images) */
    webota_err_t logged;      /* last verdict logged */
    char logged_msg[WEBOTA_UPDATE_MESSAGE_MAX];
} sim_pull_t;

/* After each boot (the lock, if any, NOT held): reads the record, starts the
 * core's puller over run's rules, saves the record when the boot settled an
 * attempt. false with a message in err. */
bool sim_pull_start(sim_pull_t *sp, const sim_pull_config_t *cfg, sim_running_t *run,
                    pthread_mutex_t *lock, char *err, size_t errcap);
/* Does what is due now (a manifest poll or one image transfer; blocking,
 * the lock taken only around the core's calls). Returns true when a release
 * was activated: reboot. */
bool sim_pull_step(sim_pull_t *sp);
/* Milliseconds until something is due (UINT32_MAX: nothing, reboot). */
uint32_t sim_pull_due_in(sim_pull_t *sp);
void sim_pull_stop(sim_pull_t *sp);

/* Monotonic milliseconds (the clock the puller runs on). */
uint64_t sim_pull_now_ms(void);

#endif
