/* A fleet of simulated devices in one process (`webota fleet sim`): each
 * device has its own flash file, bootloader run, slot rules, update engine,
 * confirm policy and puller (sim/pull_client.h), on its own thread, as if
 * it were a separate board polling the same release server. They have no
 * web server: a new firmware is confirmed by the delay policy, and a
 * firmware that carries the simulator's crash flag (webota image make
 * --sim-crash) resets before that, so the bootloader rolls it back. */
#ifndef WEBOTA_SIM_FLEET_H
#define WEBOTA_SIM_FLEET_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "webota/sigblock.h"

typedef struct sim_fleet_config {
    const char *dir;        /* flash files DIR/dev-NNN.bin (created from a factory image) */
    unsigned devices;
    const char *url;        /* the manifest */
    int chip;
    uint32_t interval_ms, retry_ms;
    uint32_t confirm_ms;    /* a new firmware that runs this long is confirmed */
    const webota_sig_config_t *trust;
    bool until_settled;     /* return once every device has judged the manifest and is idle */
    uint32_t timeout_s;     /* 0 = none */
    bool verbose;           /* every device's pull lines */
    FILE *out;
} sim_fleet_config_t;

/* The 16-byte flag the simulator reads in a firmware image: a firmware with
 * it "crashes" at every boot, before any confirm. */
#define SIM_CRASH_FLAG_LEN 16
extern const unsigned char sim_crash_flag[SIM_CRASH_FLAG_LEN];
/* Whether the image at flash offset off (len bytes) carries the flag. */
bool sim_image_crashes(const unsigned char *flash, uint32_t flash_size, uint32_t off, uint32_t len);

/* Runs until *stop, or until settled / the timeout. Prints one line per
 * device and the summary. Returns 0 when every device settled without a
 * failure of its own (refusals by policy are not failures), 1 otherwise. */
int sim_fleet_run(const sim_fleet_config_t *cfg, volatile sig_atomic_t *stop);

#endif
