/* sim_power_on: bootloader, then slot writer and rules on the booted slot. */
#include "sim/power_on.h"

#include <string.h>

webota_err_t sim_power_on(const webota_flash_t *flash, const sim_boot_config_t *bc, sim_running_t *r,
                          bool *booted)
{
    sim_boot_config_t def;
    if (bc == NULL) {
        sim_boot_config_init(&def);
        bc = &def;
    }
    if (booted != NULL) {
        *booted = false;
    }
    memset(&r->boot, 0, sizeof(r->boot));
    webota_err_t err = sim_boot(flash, bc, &r->boot);
    if (err != WEBOTA_OK) {
        return err;
    }
    if (booted != NULL) {
        *booted = true;
    }
    webota_slot_flash_config_t sc;
    webota_slot_flash_config_init(&sc, flash, r->boot.part.offset);
    sc.table_offset = bc->table_offset;
    sc.rollback = bc->rollback;
    sc.anti_rollback = bc->anti_rollback;
    sc.efuse_secure_version = r->boot.efuse_secure_version;
    sc.chip = bc->chip;
    sc.check_chip_rev = bc->chip_rev >= 0;
    sc.chip_rev = bc->chip_rev;
    err = webota_slot_flash_init(&r->slot, &sc);
    if (err != WEBOTA_OK) {
        return err;
    }
    webota_slot_flash_ops(&r->slot, &r->ops);
    err = webota_slot_init(&r->rules, &r->ops);
    /* the other slots' verdicts are taken now, while the device starts (the
     * slot writer keeps them until it writes a slot): status requests then
     * never hash an image */
    if (err == WEBOTA_OK) {
        (void)webota_slot_rollback_possible(&r->rules);
    }
    return err;
}
