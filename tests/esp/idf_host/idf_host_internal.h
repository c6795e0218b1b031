/* Shared between the stand-in's files (tests only). */
#ifndef IDF_HOST_INTERNAL_H
#define IDF_HOST_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "esp_partition.h"
#include "idf_host.h"
#include "webota/err.h"
#include "webota/flash.h"

const webota_flash_t *idf_host_flash(void);
bool idf_host_rollback(void);
uint16_t idf_host_chip_revision(void);

/* esp_partition: the table read at power-on and the partition booted. */
webota_err_t idf_host_partition_load(uint32_t running_offset);
const esp_partition_t *idf_host_partition_running(void);
/* esp_flash-like error for a failed flash call. */
esp_err_t idf_host_flash_err(webota_err_t e);

/* What a restart wipes, per module. */
void idf_host_partition_reset(void);
void idf_host_ota_reset(void);
void idf_host_timer_reset(void);
void idf_host_httpd_reset(void);
void idf_host_wifi_reset(void);
/* Runs the timers due up to now + us (esp_timer.c). */
void idf_host_timer_advance(uint64_t us);
int64_t idf_host_timer_now(void);

#endif
