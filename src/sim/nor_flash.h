/* A simulated SPI NOR flash for the PC device: RAM or file backed, with the NOR
 * rules (4 KiB erase sectors to 0xFF, program = old AND data), operation
 * counters, a timing model of a typical ESP32 SPI flash, and power-cut
 * injection so that tests can cut power at any program or erase.
 *
 * File backing is write-through: every program/erase writes the touched range
 * to the file before returning, so the file always equals the simulated chip. */
#ifndef WEBOTA_SIM_NOR_FLASH_H
#define WEBOTA_SIM_NOR_FLASH_H

#include <stdbool.h>
#include <stdint.h>

#include "webota/err.h"
#include "webota/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIM_NOR_MIN_SIZE 0x10000u   /* 64 KiB */
#define SIM_NOR_MAX_SIZE 0x1000000u /* 16 MiB */
#define SIM_NOR_BLOCK_SIZE 0x10000u /* 64 KiB block erase */
#define SIM_NOR_PAGE_SIZE 256u      /* program page */

typedef struct sim_nor sim_nor_t;

/* Time a real chip would spend (defaults in sim_nor_timing_default). */
typedef struct sim_nor_timing {
    double sector_erase_ms; /* 45: one 4 KiB sector */
    double block_erase_ms;  /* 150: one aligned 64 KiB block inside an erase */
    double page_program_ms; /* 0.7: per 256-byte page touched */
    double read_mb_per_s;   /* 20 (MB = 1e6 bytes) */
} sim_nor_timing_t;

typedef struct sim_nor_stats {
    uint64_t reads, programs, erases; /* operations */
    uint64_t bytes_read, bytes_programmed, bytes_erased;
    double busy_ms; /* accumulated by the timing model */
} sim_nor_stats_t;

typedef enum {
    SIM_CUT_CLEAN, /* the cut operation is not done at all */
    SIM_CUT_TORN,  /* program: only some bytes programmed; erase: sector left with arbitrary bits */
} sim_cut_mode_t;

/* The defaults above. */
sim_nor_timing_t sim_nor_timing_default(void);

/* Opens a flash file. size 0 = the file's size (the file must exist); otherwise
 * a power of two from 64 KiB to 16 MiB, and an existing file must have exactly
 * that size. A missing file is created erased (0xFF). Errors: ARG (bad size or
 * size mismatch, *err only), IO. */
sim_nor_t *sim_nor_open(const char *path, uint32_t size, webota_err_t *err);
/* In memory, erased; NULL on a bad size or out of memory. */
sim_nor_t *sim_nor_new_ram(uint32_t size);
/* Flushes (fsync for files) and frees; NULL is allowed. */
void sim_nor_close(sim_nor_t *n);

/* The core's flash seam on this chip (valid until close). read/program/erase
 * fail with FLASH_RANGE (outside the chip, or len overflow), FLASH_ALIGN
 * (erase addr/len not sector multiples), FLASH_POWER (after a cut), IO (file). */
webota_flash_t sim_nor_flash(sim_nor_t *n);

uint32_t sim_nor_size(const sim_nor_t *n);
/* Read-only view of the whole contents (does not count as a read). */
const uint8_t *sim_nor_data(const sim_nor_t *n);

void sim_nor_set_timing(sim_nor_t *n, const sim_nor_timing_t *t);
sim_nor_stats_t sim_nor_stats(const sim_nor_t *n);
void sim_nor_reset_stats(sim_nor_t *n);

/* Program + erase operations since open (the cut points); failed calls
 * (range, alignment, power) do not count. */
uint64_t sim_nor_op_count(const sim_nor_t *n);
/* Arms a power cut: op_index counts programs and erases from now, 0 = the next
 * one. The cut op is done as mode says (TORN output is deterministic from seed),
 * then every later operation, reads included, fails with FLASH_POWER until
 * sim_nor_power_on. A second call replaces the armed cut. */
void sim_nor_cut_power_at(sim_nor_t *n, uint64_t op_index, sim_cut_mode_t mode, uint32_t seed);
/* Disarms a pending cut (does not power on). */
void sim_nor_cancel_cut(sim_nor_t *n);
/* Cuts power now (between operations): later operations fail until power on. */
void sim_nor_power_off(sim_nor_t *n);
bool sim_nor_powered(const sim_nor_t *n);
/* After a cut: operations work again (a pending cut stays disarmed). */
void sim_nor_power_on(sim_nor_t *n);

#ifdef __cplusplus
}
#endif

#endif
