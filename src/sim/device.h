/* The simulated device's life: a flash file, the bootloader, the firmware that
 * "runs" and, when that firmware carries the webota updater, its web server.
 *
 *   power on -> sim_boot picks and verifies a slot -> the firmware starts:
 *     marker:    the HTTP API serves (PENDING_VERIFY until confirmed, per the
 *                confirm mode); a reboot request restarts the cycle once its
 *                answer has been delivered;
 *     no marker: no web server; after watchdog_s the chip resets (with
 *                rollback, the bootloader then goes back to the old firmware).
 *
 * A missing flash file is created: 4 MiB, the layout, a factory firmware
 * "webota-demo" 1.0.0 with the marker, and two demo images next to it
 * (webota-demo-1.1.0.bin, webota-demo-1.2.0-no-updater.bin). */
#ifndef WEBOTA_SIM_DEVICE_H
#define WEBOTA_SIM_DEVICE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "webota/api.h"
#include "webota/err.h"
#include "webota/confirm.h"

/* The confirm modes are the core's (webota/confirm.h); the simulator offers
 * all but BY_APP (it runs no application). */
typedef webota_confirm_mode_t sim_confirm_t;
#define SIM_CONFIRM_FIRST_REQUEST WEBOTA_CONFIRM_FIRST_REQUEST /* the first GET / or /api/status */
#define SIM_CONFIRM_DELAY WEBOTA_CONFIRM_DELAY                 /* confirm_delay_s after the start */
#define SIM_CONFIRM_MANUAL WEBOTA_CONFIRM_MANUAL               /* only POST /api/confirm */

#define SIM_DEVICE_FLASH_SIZE 0x400000u /* a new flash file: 4 MiB */
#define SIM_DEMO_PROJECT "webota-demo"

typedef struct sim_device_config {
    const char *flash_path; /* required */
    const char *layout;     /* new flash only: built-in name or CSV file; NULL = "two-ota" */
    int chip;               /* webota_chip_t */
    bool rollback;
    sim_confirm_t confirm;
    unsigned confirm_delay_s;
    unsigned watchdog_s;
    unsigned resume_hold_s; /* a dropped resumable upload is held this long; 0 = 60 s */
    bool no_resume;         /* a dropped upload aborts at once (no resumable uploads) */
    const char *bind; /* NULL = 127.0.0.1 */
    uint16_t port;    /* 0 = a free port (kept across reboots) */
    /* NULL = no password; else the verifier (webota/api.h) the API checks
     * logins against: the simulator never keeps the password itself */
    const webota_auth_verifier_t *auth;
    /* CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK: the emulated eFuse SECURE_VERSION
     * lives in FLASH.efuse next to the flash file (one line
     * "secure_version N"), raised when a confirmed firmware has a higher
     * secure_version; images below it are refused and never booted. */
    bool anti_rollback;
    /* Trusted Secure Boot V2 keys: only images signed by one of them are
     * installed. NULL or no keys: unsigned images are accepted. */
    const struct webota_sig_config *signature;
    /* refuse images whose app version is older than the running one */
    bool refuse_older;
    FILE *out;            /* progress lines; NULL = stdout */
    /* Pulling releases (docs/fleet.md): the manifest URL (NULL = no pulls),
     * the poll interval, the device id for rollouts (NULL = the flash file's
     * name). The manifest must be signed by one of the keys in signature. */
    const char *pull_url;
    uint32_t pull_interval_ms;
    const char *device_id;
} sim_device_config_t;

typedef struct sim_device sim_device_t;

/* Opens (or creates, see above) the flash file. NULL with a message in err. */
sim_device_t *sim_device_open(const sim_device_config_t *cfg, char *err, size_t errcap);
/* Power on, serve, reboot, ... until *stop becomes non-zero (a signal
 * handler sets it). Returns 0 after a clean stop, 1 on a fatal error (the
 * message printed), e.g. nothing bootable. */
int sim_device_run(sim_device_t *d, volatile sig_atomic_t *stop);
/* Flushes and closes the flash file. NULL is allowed. */
void sim_device_close(sim_device_t *d);

/* Writes the demo firmware to path (chip, version, marker; deterministic
 * contents from seed). false with a message in err. */
bool sim_device_write_demo(const char *path, int chip, const char *version, bool marker,
                           uint32_t seed, char *err, size_t errcap);

#endif
