/* Partition table binary format, device-side verification and look-ups.
 * The rules are the bootloader's esp_partition_table_verify plus the app's
 * CONFIG_PARTITION_TABLE_MD5 check (docs/formats.md#what-the-device-checks-in-a-table)
 * and esp_ota_ops' slot arithmetic (docs/formats.md#esp_ota_ops-behaviour). */
#include <string.h>

#include "webota/crypto.h"
#include "webota/parttable.h"

#include "bytes.h"

#define PT_SLOTS (WEBOTA_PT_MAX_LEN / WEBOTA_PT_ENTRY_LEN) /* 96 */
#define MAGIC_ENTRY 0x50AAu
#define MAGIC_MD5 0xEBEBu
#define MAGIC_END 0xFFFFu

static webota_err_t fail(int *bad_index, int index, webota_err_t err)
{
    if (bad_index != NULL) {
        *bad_index = index;
    }
    return err;
}

webota_err_t webota_pt_parse(webota_parttable_t *pt, const uint8_t *table, size_t len,
                             uint32_t flash_size, bool require_md5, int *bad_index)
{
    if (bad_index != NULL) {
        *bad_index = -1;
    }
    if (pt == NULL || (table == NULL && len != 0)) {
        return WEBOTA_ERR_ARG;
    }
    memset(pt, 0, sizeof(*pt));
    if (len > WEBOTA_PT_MAX_LEN) {
        len = WEBOTA_PT_MAX_LEN;
    }
    bool md5_seen = false;
    for (unsigned i = 0; i < PT_SLOTS; i++) {
        if ((size_t)(i + 1) * WEBOTA_PT_ENTRY_LEN > len) {
            /* Only possible with a short buffer: 0xC00 bytes hold all 96 slots. */
            return fail(bad_index, (int)i, WEBOTA_ERR_PT_TRUNCATED);
        }
        const uint8_t *e = table + (size_t)i * WEBOTA_PT_ENTRY_LEN;
        unsigned magic = webota_le16_get(e);
        if (magic == MAGIC_ENTRY) {
            uint32_t off = webota_le32_get(e + 4), size = webota_le32_get(e + 8);
            if (flash_size != 0 && (off > flash_size || size > flash_size - off)) {
                return fail(bad_index, (int)i, WEBOTA_ERR_PT_OUT_OF_FLASH);
            }
            if (pt->count >= WEBOTA_PT_MAX_ENTRIES) {
                /* A 96th entry: the last slot cannot hold the end marker. */
                return fail(bad_index, -1, WEBOTA_ERR_PT_NO_END);
            }
            webota_partition_t *p = &pt->part[pt->count++];
            p->type = e[2];
            p->subtype = e[3];
            p->offset = off;
            p->size = size;
            memcpy(p->label, e + 12, WEBOTA_PT_LABEL_MAX);
            p->label[WEBOTA_PT_LABEL_MAX] = 0;
            p->flags = webota_le32_get(e + 28);
        } else if (magic == MAGIC_MD5) {
            if (md5_seen) {
                return fail(bad_index, (int)i, WEBOTA_ERR_PT_MD5_DUPLICATE);
            }
            uint8_t digest[WEBOTA_MD5_LEN];
            webota_err_t err = webota_md5(table, (size_t)i * WEBOTA_PT_ENTRY_LEN, digest);
            if (err != WEBOTA_OK) {
                return fail(bad_index, (int)i, err);
            }
            if (memcmp(digest, e + 16, WEBOTA_MD5_LEN) != 0) {
                return fail(bad_index, (int)i, WEBOTA_ERR_PT_MD5_MISMATCH);
            }
            md5_seen = true;
            pt->has_md5 = true;
        } else if (magic == MAGIC_END && e[2] == 0xFF && e[3] == 0xFF) {
            if (i == 0 || pt->count == 0) {
                return fail(bad_index, (int)i, WEBOTA_ERR_PT_EMPTY);
            }
            if (require_md5 && !md5_seen) {
                return fail(bad_index, (int)i, WEBOTA_ERR_PT_MD5_MISSING);
            }
            return WEBOTA_OK;
        } else {
            return fail(bad_index, (int)i, WEBOTA_ERR_PT_BAD_MAGIC);
        }
    }
    return fail(bad_index, -1, WEBOTA_ERR_PT_NO_END);
}

webota_err_t webota_pt_build(const webota_parttable_t *pt, bool md5, uint8_t out[WEBOTA_PT_MAX_LEN])
{
    if (pt == NULL || out == NULL || pt->count > WEBOTA_PT_MAX_ENTRIES) {
        return WEBOTA_ERR_ARG;
    }
    /* gen_esp32part refuses when entries (+ MD5 row) reach 0xC00: the end
     * marker must fit. */
    if ((pt->count + (md5 ? 1u : 0u)) * WEBOTA_PT_ENTRY_LEN >= WEBOTA_PT_MAX_LEN) {
        return WEBOTA_ERR_CSV_TOO_MANY;
    }
    memset(out, 0xFF, WEBOTA_PT_MAX_LEN);
    uint8_t *e = out;
    for (unsigned i = 0; i < pt->count; i++, e += WEBOTA_PT_ENTRY_LEN) {
        const webota_partition_t *p = &pt->part[i];
        e[0] = 0xAA;
        e[1] = 0x50;
        e[2] = p->type;
        e[3] = p->subtype;
        webota_le32_put(e + 4, p->offset);
        webota_le32_put(e + 8, p->size);
        memset(e + 12, 0, WEBOTA_PT_LABEL_MAX);
        size_t n = 0;
        while (n < WEBOTA_PT_LABEL_MAX && p->label[n] != 0) {
            n++;
        }
        memcpy(e + 12, p->label, n);
        webota_le32_put(e + 28, p->flags);
    }
    if (md5) {
        e[0] = 0xEB;
        e[1] = 0xEB; /* bytes 2..15 stay 0xFF */
        webota_err_t err = webota_md5(out, (size_t)pt->count * WEBOTA_PT_ENTRY_LEN, e + 16);
        if (err != WEBOTA_OK) {
            return err;
        }
    }
    return WEBOTA_OK;
}

const webota_partition_t *webota_pt_find_label(const webota_parttable_t *pt, const char *label)
{
    if (pt == NULL || label == NULL) {
        return NULL;
    }
    for (unsigned i = 0; i < pt->count; i++) {
        if (strcmp(pt->part[i].label, label) == 0) {
            return &pt->part[i];
        }
    }
    return NULL;
}

const webota_partition_t *webota_pt_find(const webota_parttable_t *pt, uint8_t type, uint8_t subtype)
{
    if (pt == NULL) {
        return NULL;
    }
    for (unsigned i = 0; i < pt->count; i++) {
        if (pt->part[i].type == type && pt->part[i].subtype == subtype) {
            return &pt->part[i];
        }
    }
    return NULL;
}

const webota_partition_t *webota_pt_find_addr(const webota_parttable_t *pt, uint32_t flash_addr)
{
    if (pt == NULL) {
        return NULL;
    }
    for (unsigned i = 0; i < pt->count; i++) {
        const webota_partition_t *p = &pt->part[i];
        if (p->type == WEBOTA_PT_TYPE_APP && flash_addr >= p->offset &&
            flash_addr - p->offset < p->size) {
            return p;
        }
    }
    return NULL;
}

const webota_partition_t *webota_pt_otadata(const webota_parttable_t *pt)
{
    const webota_partition_t *found = NULL;
    if (pt == NULL) {
        return NULL;
    }
    for (unsigned i = 0; i < pt->count; i++) {
        if (pt->part[i].type == WEBOTA_PT_TYPE_DATA &&
            pt->part[i].subtype == WEBOTA_PT_SUBTYPE_DATA_OTA) {
            found = &pt->part[i];
        }
    }
    return found;
}

const webota_partition_t *webota_pt_factory(const webota_parttable_t *pt)
{
    return webota_pt_find(pt, WEBOTA_PT_TYPE_APP, WEBOTA_PT_SUBTYPE_APP_FACTORY);
}

const webota_partition_t *webota_pt_test(const webota_parttable_t *pt)
{
    return webota_pt_find(pt, WEBOTA_PT_TYPE_APP, WEBOTA_PT_SUBTYPE_APP_TEST);
}

const webota_partition_t *webota_pt_ota_slot(const webota_parttable_t *pt, unsigned index)
{
    if (index >= 16) {
        return NULL;
    }
    return webota_pt_find(pt, WEBOTA_PT_TYPE_APP, (uint8_t)(WEBOTA_PT_SUBTYPE_APP_OTA_MIN + index));
}

unsigned webota_pt_ota_slots(const webota_parttable_t *pt, const webota_partition_t *slots[16])
{
    unsigned n = 0;
    for (unsigned i = 0; i < 16; i++) {
        const webota_partition_t *p = webota_pt_ota_slot(pt, i);
        if (p != NULL) {
            slots[n++] = p;
        }
    }
    return n;
}

unsigned webota_pt_app_count_boot(const webota_parttable_t *pt)
{
    unsigned n = 0;
    if (pt == NULL) {
        return 0;
    }
    for (unsigned i = 0; i < pt->count; i++) {
        if (webota_pt_slot_index(&pt->part[i]) >= 0) {
            n++;
        }
    }
    return n;
}

unsigned webota_pt_app_count_app(const webota_parttable_t *pt)
{
    unsigned n = 0;
    while (n < 16 && webota_pt_ota_slot(pt, n) != NULL) {
        n++;
    }
    return n;
}

static bool same_partition(const webota_partition_t *a, const webota_partition_t *b)
{
    return a == b || (a->type == b->type && a->subtype == b->subtype && a->offset == b->offset &&
                      a->size == b->size);
}

const webota_partition_t *webota_pt_next_update(const webota_parttable_t *pt,
                                                const webota_partition_t *running)
{
    const webota_partition_t *first = NULL;
    bool next_is_result = false;
    for (unsigned i = 0; i < 16; i++) {
        const webota_partition_t *p = webota_pt_ota_slot(pt, i);
        if (p == NULL) {
            continue;
        }
        if (first == NULL) {
            first = p;
        }
        if (next_is_result) {
            return p;
        }
        if (running != NULL && same_partition(p, running)) {
            next_is_result = true;
        }
    }
    return first;
}

int webota_pt_slot_index(const webota_partition_t *p)
{
    if (p == NULL || p->type != WEBOTA_PT_TYPE_APP) {
        return -3;
    }
    if (p->subtype >= WEBOTA_PT_SUBTYPE_APP_OTA_MIN && p->subtype < WEBOTA_PT_SUBTYPE_APP_OTA_MAX) {
        return p->subtype - WEBOTA_PT_SUBTYPE_APP_OTA_MIN;
    }
    if (p->subtype == WEBOTA_PT_SUBTYPE_APP_FACTORY) {
        return -1;
    }
    if (p->subtype == WEBOTA_PT_SUBTYPE_APP_TEST) {
        return -2;
    }
    return -3;
}
