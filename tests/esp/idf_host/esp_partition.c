/* esp_partition stand-in (tests only) over the host device's flash. ESP-IDF
 * v5.5 loads the partition table once from CONFIG_PARTITION_TABLE_OFFSET
 * (its MD5 required, as with the default CONFIG_PARTITION_TABLE_MD5) and answers look-ups from that list in table order; reads,
 * writes and erases are bounds-checked against the partition and go to the
 * flash chip. Not reproduced: encrypted partitions, external flash chips,
 * mmap, registration of partitions at run time. */
#include <string.h>

#include "esp_log.h"
#include "esp_partition.h"
#include "idf_host_internal.h"
#include "sdkconfig.h"
#include "webota/parttable.h"

#define SECTOR 0x1000u

static esp_partition_t s_parts[WEBOTA_PT_MAX_ENTRIES];
static unsigned s_count;
static const esp_partition_t *s_running;

void idf_host_partition_reset(void)
{
    memset(s_parts, 0, sizeof(s_parts));
    s_count = 0;
    s_running = NULL;
}

webota_err_t idf_host_partition_load(uint32_t running_offset)
{
    static uint8_t raw[WEBOTA_PT_MAX_LEN];
    static webota_parttable_t pt;
    const webota_flash_t *f = idf_host_flash();
    idf_host_partition_reset();
    webota_err_t e = webota_flash_read(f, CONFIG_PARTITION_TABLE_OFFSET, raw, sizeof(raw));
    if (e == WEBOTA_OK) {
        e = webota_pt_parse(&pt, raw, sizeof(raw), f->size, true, NULL);
    }
    if (e != WEBOTA_OK) {
        return e;
    }
    for (unsigned i = 0; i < pt.count; i++) {
        const webota_partition_t *w = &pt.part[i];
        esp_partition_t *p = &s_parts[s_count++];
        p->type = (esp_partition_type_t)w->type;
        p->subtype = (esp_partition_subtype_t)w->subtype;
        p->address = w->offset;
        p->size = w->size;
        p->erase_size = SECTOR;
        memcpy(p->label, w->label, sizeof(p->label));
        p->encrypted = (w->flags & WEBOTA_PT_FLAG_ENCRYPTED) != 0;
        p->readonly = (w->flags & WEBOTA_PT_FLAG_READONLY) != 0;
        if (p->type == ESP_PARTITION_TYPE_APP && running_offset >= p->address &&
            running_offset - p->address < p->size) {
            s_running = p;
        }
    }
    return s_running != NULL ? WEBOTA_OK : WEBOTA_ERR_NOT_FOUND;
}

const esp_partition_t *idf_host_partition_running(void)
{
    return s_running;
}

esp_err_t idf_host_flash_err(webota_err_t e)
{
    if (e == WEBOTA_OK) {
        return ESP_OK;
    }
    idf_host_log(ESP_LOG_ERROR, "spi_flash", "flash operation failed: %s", webota_strerror(e));
    return ESP_ERR_FLASH_OP_FAIL;
}

/* ESP-IDF: esp_partition_find_first, the first match in table order. */
const esp_partition_t *esp_partition_find_first(esp_partition_type_t type, esp_partition_subtype_t subtype,
                                                const char *label)
{
    for (unsigned i = 0; i < s_count; i++) {
        const esp_partition_t *p = &s_parts[i];
        if ((type == ESP_PARTITION_TYPE_ANY || p->type == type) &&
            (subtype == ESP_PARTITION_SUBTYPE_ANY || p->subtype == subtype) &&
            (label == NULL || strcmp(p->label, label) == 0)) {
            return p;
        }
    }
    return NULL;
}

/* ESP-IDF: esp_partition_verify finds the table's record for a copy (same
 * type, subtype, address, size and label). */
const esp_partition_t *esp_partition_verify(const esp_partition_t *partition)
{
    if (partition == NULL) {
        return NULL;
    }
    for (unsigned i = 0; i < s_count; i++) {
        const esp_partition_t *p = &s_parts[i];
        if (p->type == partition->type && p->subtype == partition->subtype && p->address == partition->address &&
            p->size == partition->size && strcmp(p->label, partition->label) == 0) {
            return p;
        }
    }
    return NULL;
}

/* ESP-IDF: offset past the end -> INVALID_ARG, range past the end -> INVALID_SIZE. */
static esp_err_t range_ok(const esp_partition_t *p, size_t offset, size_t size)
{
    if (offset > p->size) {
        return ESP_ERR_INVALID_ARG;
    }
    if (size > p->size - offset) {
        return ESP_ERR_INVALID_SIZE;
    }
    return ESP_OK;
}

/* ESP-IDF: esp_partition_read (not encrypted). */
esp_err_t esp_partition_read(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size)
{
    esp_err_t e = range_ok(partition, src_offset, size);
    if (e != ESP_OK) {
        return e;
    }
    return idf_host_flash_err(
        webota_flash_read(idf_host_flash(), partition->address + (uint32_t)src_offset, dst, size));
}

/* ESP-IDF: esp_partition_write; read-only partitions refuse (NOT_ALLOWED). NOR
 * rules: bits only go from 1 to 0 (no erase is implied). */
esp_err_t esp_partition_write(const esp_partition_t *partition, size_t dst_offset, const void *src,
                              size_t size)
{
    if (partition->readonly) {
        return ESP_ERR_NOT_ALLOWED;
    }
    esp_err_t e = range_ok(partition, dst_offset, size);
    if (e != ESP_OK) {
        return e;
    }
    if (size == 0) {
        return ESP_OK;
    }
    return idf_host_flash_err(
        webota_flash_program(idf_host_flash(), partition->address + (uint32_t)dst_offset, src, size));
}

/* ESP-IDF: esp_partition_erase_range; size and offset sector-aligned (size ->
 * INVALID_SIZE, offset -> INVALID_ARG). */
esp_err_t esp_partition_erase_range(const esp_partition_t *partition, size_t offset, size_t size)
{
    if (partition->readonly) {
        return ESP_ERR_NOT_ALLOWED;
    }
    esp_err_t e = range_ok(partition, offset, size);
    if (e != ESP_OK) {
        return e;
    }
    if (size % SECTOR != 0) {
        return ESP_ERR_INVALID_SIZE;
    }
    if (offset % SECTOR != 0) {
        return ESP_ERR_INVALID_ARG;
    }
    if (size == 0) {
        return ESP_OK;
    }
    return idf_host_flash_err(webota_flash_erase(idf_host_flash(), partition->address + (uint32_t)offset, size));
}
