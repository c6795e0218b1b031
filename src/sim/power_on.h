/* Powering a simulated device on: the bootloader picks and verifies a
 * firmware, then the slot writer opens on the partition it booted, with the
 * core's rules over it. Written once for the simulator, `webota flash update`
 * and the tests. */
#ifndef WEBOTA_SIM_POWER_ON_H
#define WEBOTA_SIM_POWER_ON_H

#include <stdbool.h>

#include "sim/bootloader.h"
#include "webota/slot.h"
#include "webota/slot_flash.h"

typedef struct sim_running {
    sim_boot_result_t boot;   /* what the bootloader did */
    webota_slot_flash_t slot; /* the slot writer on the booted partition */
    webota_slot_ops_t ops;    /* its seam */
    webota_slot_t rules;      /* the core's rules over ops */
} sim_running_t;

/* Runs sim_boot(flash, bc) and opens the slot writer with the same rollback,
 * anti-rollback, eFuse (after the boot's raise), chip and table settings. The
 * struct holds pointers into itself: do not move it. *booted (may be NULL)
 * says whether the bootloader found a firmware; the error is sim_boot's when
 * it did not, else webota_slot_flash_init's. The rollback targets are
 * verified here once (the slot writer remembers the verdicts). */
webota_err_t sim_power_on(const webota_flash_t *flash, const sim_boot_config_t *bc, sim_running_t *r,
                          bool *booted);

#endif
