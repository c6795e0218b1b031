/* The simulated ESP-IDF second-stage bootloader (see bootloader.h). It follows
 * bootloader_utility.c: load the partition table, pick a start index from
 * otadata (webota_ota_boot_select does the pure part), apply the otadata
 * rewrites to flash, then try partitions in load order until one verifies.
 * The log lines mirror the ESP-IDF bootloader's own messages. */
#include "sim/bootloader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "webota/image.h"
#include "webota/otadata.h"
#include "webota/ota_state.h"

#define BOOT_LOG_RESERVE 120 /* room kept for the final verdict line */
#define BOOT_MAX_PART_SIZE 0x1000000u /* esp_image_verify: partitions up to 16 MiB */

/* The bootloader's view of the table (bootloader_utility_load_partition_table):
 * for every kind the last matching entry wins. */
typedef struct boot_state {
    const webota_partition_t *ota[WEBOTA_OTA_MAX_SLOTS];
    unsigned app_count;
    const webota_partition_t *factory, *test, *otadata;
} boot_state_t;

typedef struct boot_ctx {
    const webota_flash_t *flash;
    const sim_boot_config_t *cfg;
    const boot_state_t *bs;
    sim_boot_result_t *out;
    webota_err_t flash_err; /* first flash failure, reported by sim_boot */
} boot_ctx_t;

void sim_boot_config_init(sim_boot_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->table_offset = WEBOTA_PT_OFFSET_DEFAULT;
    cfg->chip = WEBOTA_CHIP_ESP32;
    cfg->chip_rev = -1;
}

static void vlog_line(sim_boot_result_t *out, size_t limit, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void vlog_line(sim_boot_result_t *out, size_t limit, const char *fmt, va_list ap)
{
    size_t len = strlen(out->log);
    if (len + 1 >= limit)
        return;
    char line[256];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t need = strlen(line) + 1; /* + newline */
    if (len + need + 1 > limit) {
        /* full: say so once */
        if (len + 5 <= limit && !(len >= 4 && strcmp(out->log + len - 4, "...\n") == 0))
            memcpy(out->log + len, "...\n", 5);
        return;
    }
    memcpy(out->log + len, line, need - 1);
    out->log[len + need - 1] = '\n';
    out->log[len + need] = 0;
}

/* Lines while the bootloader works: they stop early so that the verdict fits. */
static void blog(sim_boot_result_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void blog(sim_boot_result_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_line(out, SIM_BOOT_LOG_MAX - BOOT_LOG_RESERVE, fmt, ap);
    va_end(ap);
}

/* The verdict line: may use the reserve. */
static void blog_final(sim_boot_result_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void blog_final(sim_boot_result_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_line(out, SIM_BOOT_LOG_MAX, fmt, ap);
    va_end(ap);
}

static void load_boot_state(const webota_parttable_t *pt, boot_state_t *bs)
{
    memset(bs, 0, sizeof *bs);
    for (unsigned i = 0; i < pt->count; i++) {
        const webota_partition_t *p = &pt->part[i];
        if (p->type == WEBOTA_PT_TYPE_APP) {
            if (p->subtype == WEBOTA_PT_SUBTYPE_APP_FACTORY) {
                bs->factory = p;
            } else if ((p->subtype & 0xF0) == WEBOTA_PT_SUBTYPE_APP_OTA_MIN) {
                bs->ota[p->subtype & 0x0F] = p;
                bs->app_count++;
            } else if (p->subtype == WEBOTA_PT_SUBTYPE_APP_TEST) {
                bs->test = p;
            }
        } else if (p->type == WEBOTA_PT_TYPE_DATA && p->subtype == WEBOTA_PT_SUBTYPE_DATA_OTA) {
            bs->otadata = p;
        }
    }
}

static const webota_partition_t *index_to_partition(const boot_state_t *bs, int index)
{
    if (index == WEBOTA_OTA_INDEX_FACTORY)
        return bs->factory;
    if (index == WEBOTA_OTA_INDEX_TEST)
        return bs->test;
    if (index >= 0 && index < (int)WEBOTA_OTA_MAX_SLOTS)
        return bs->ota[index];
    return NULL;
}

static bool read_desc(boot_ctx_t *c, const webota_partition_t *p, webota_app_desc_t *desc)
{
    uint8_t raw[WEBOTA_APP_DESC_SIZE];
    if (p->size < WEBOTA_APP_DESC_OFFSET + WEBOTA_APP_DESC_SIZE)
        return false;
    webota_err_t e = webota_flash_read(c->flash, p->offset + WEBOTA_APP_DESC_OFFSET, raw, sizeof raw);
    if (e != WEBOTA_OK) {
        if (c->flash_err == WEBOTA_OK)
            c->flash_err = e;
        return false;
    }
    return webota_app_desc_decode(raw, desc) == WEBOTA_OK;
}

static bool slot_secure_version(void *ctx, unsigned slot, uint32_t *sv)
{
    boot_ctx_t *c = ctx;
    const webota_partition_t *p = slot < WEBOTA_OTA_MAX_SLOTS ? c->bs->ota[slot] : NULL;
    webota_app_desc_t d;
    if (!p || !read_desc(c, p, &d))
        return false;
    *sv = d.secure_version;
    return true;
}

/* check_anti_rollback(): the descriptor must be readable and its
 * secure_version at least the eFuse one. */
static bool anti_rollback_ok(boot_ctx_t *c, const webota_partition_t *p)
{
    if (!c->cfg->anti_rollback)
        return true;
    webota_app_desc_t d;
    if (!read_desc(c, p, &d)) {
        blog(c->out, "E boot: no app descriptor at 0x%x: anti-rollback check failed", (unsigned)p->offset);
        return false;
    }
    if (d.secure_version < c->out->efuse_secure_version) {
        blog(c->out, "E efuse: app secure_version %u is below the eFuse secure version %u",
             (unsigned)d.secure_version, (unsigned)c->out->efuse_secure_version);
        return false;
    }
    return true;
}

/* bootloader_load_image(): stream the partition through the image checker. */
static bool try_load_partition(boot_ctx_t *c, const webota_partition_t *p)
{
    if (p->size > BOOT_MAX_PART_SIZE) {
        blog(c->out, "E esp_image: partition size 0x%x invalid, larger than 16MB", (unsigned)p->size);
        return false;
    }
    webota_image_policy_t pol;
    webota_image_policy_init(&pol);
    pol.check_chip = true; /* a negative chip: any */
    pol.chip = c->cfg->chip;
    pol.check_chip_rev = c->cfg->chip_rev >= 0;
    pol.chip_rev = c->cfg->chip_rev;
    pol.max_size = p->size;
    webota_image_checker_t chk;
    webota_image_info_t info;
    webota_image_init(&chk, &pol, &info);
    uint8_t buf[4096];
    webota_err_t e = WEBOTA_OK;
    const webota_image_status_t *st = webota_image_status(&chk);
    for (uint32_t off = 0; off < p->size && e == WEBOTA_OK && !st->complete;) {
        uint32_t n = p->size - off < sizeof buf ? p->size - off : (uint32_t)sizeof buf;
        webota_err_t fe = webota_flash_read(c->flash, p->offset + off, buf, n);
        if (fe != WEBOTA_OK) {
            if (c->flash_err == WEBOTA_OK)
                c->flash_err = fe;
            webota_image_abort(&chk);
            return false;
        }
        e = webota_image_feed(&chk, buf, n);
        off += n;
    }
    e = webota_image_finish(&chk);
    if (e != WEBOTA_OK) {
        blog(c->out, "E esp_image: image at 0x%x is corrupt: %s at offset 0x%x", (unsigned)p->offset,
             webota_strerror(e), (unsigned)st->err_offset);
        return false;
    }
    c->out->desc = info.desc;
    c->out->marker = st->marker;
    c->out->image_length = st->length;
    blog(c->out, "I boot: Loaded app from partition at offset 0x%x", (unsigned)p->offset);
    return true;
}

static webota_err_t write_otadata(boot_ctx_t *c, unsigned sector, const webota_ota_entry_t *e)
{
    uint8_t raw[WEBOTA_OTADATA_ENTRY_SIZE];
    webota_ota_entry_encode(e, raw);
    uint32_t addr = c->bs->otadata->offset + sector * WEBOTA_OTADATA_SECTOR;
    webota_err_t err = webota_flash_erase(c->flash, addr, WEBOTA_OTADATA_SECTOR);
    if (err == WEBOTA_OK)
        err = webota_flash_program(c->flash, addr, raw, sizeof raw);
    if (err == WEBOTA_OK)
        c->out->otadata_writes++;
    return err;
}

static void raise_efuse(boot_ctx_t *c, uint32_t version)
{
    if (version > c->out->efuse_secure_version) {
        blog(c->out, "I efuse: Anti-rollback: secure version raised from %u to %u",
             (unsigned)c->out->efuse_secure_version, (unsigned)version);
        c->out->efuse_secure_version = version;
    }
}

static const char *index_name(int index, char *buf, size_t cap)
{
    if (index == WEBOTA_OTA_INDEX_FACTORY)
        return "Factory app partition";
    if (index == WEBOTA_OTA_INDEX_TEST)
        return "Factory test app partition";
    snprintf(buf, cap, "OTA app partition slot %d", index);
    return buf;
}

/* The state the running app sees for its slot: the active entry when it maps
 * to the booted slot, else the first CRC-good entry that maps to it. */
static uint32_t booted_state(const webota_ota_entry_t e[2], unsigned app_count, int index)
{
    if (index < 0 || app_count == 0)
        return WEBOTA_OTA_STATE_UNDEFINED;
    int a = webota_ota_active(e);
    if (a >= 0 && webota_ota_seq_slot(e[a].seq, app_count) == (unsigned)index)
        return e[a].state;
    for (int i = 0; i < 2; i++)
        if (webota_ota_crc_ok(&e[i]) && e[i].seq != WEBOTA_OTA_SEQ_ERASED &&
            webota_ota_seq_slot(e[i].seq, app_count) == (unsigned)index)
            return e[i].state;
    return WEBOTA_OTA_STATE_UNDEFINED;
}

webota_err_t sim_boot(const webota_flash_t *flash, const sim_boot_config_t *cfg, sim_boot_result_t *out)
{
    sim_boot_config_t defaults;
    if (!cfg) {
        sim_boot_config_init(&defaults);
        cfg = &defaults;
    }
    memset(out, 0, sizeof *out);
    out->index = -3;
    out->state = WEBOTA_OTA_STATE_UNDEFINED;
    out->efuse_secure_version = cfg->efuse_secure_version;
    if (!flash)
        return WEBOTA_ERR_ARG;

    uint32_t table_offset = cfg->table_offset ? cfg->table_offset : WEBOTA_PT_OFFSET_DEFAULT;
    static const char *const chip_names[] = {"ESP32", "ESP32-S2", "ESP32-S3", "ESP32-C2", "ESP32-C3",
                                             "ESP32-C5", "ESP32-C6", "ESP32-C61", "ESP32-H2", "ESP32-P4",
                                             "ESP32-H21", "ESP32-H4", "ESP32-S31"};
    const char *chip_name = cfg->chip >= 0 && cfg->chip < (int)(sizeof chip_names / sizeof *chip_names)
                                ? chip_names[cfg->chip]
                                : "any chip";
    blog(out, "I boot: ESP-IDF bootloader (webota simulator), %s, flash %u KiB", chip_name,
         (unsigned)(flash->size / 1024));

    /* 1. partition table */
    uint8_t table[WEBOTA_PT_MAX_LEN];
    webota_err_t err = webota_flash_read(flash, table_offset, table, sizeof table);
    if (err != WEBOTA_OK) {
        blog_final(out, "E boot: cannot read the partition table at 0x%x: %s", (unsigned)table_offset,
                   webota_strerror(err));
        return err;
    }
    webota_parttable_t pt_local;
    int bad = -1;
    err = webota_pt_parse(&pt_local, table, sizeof table, flash->size, true, &bad);
    if (err != WEBOTA_OK) {
        blog(out, "E flash_parts: partition table at 0x%x: %s (entry %d)", (unsigned)table_offset,
             webota_strerror(err), bad);
        blog_final(out, "E boot: Failed to verify partition table");
        return err;
    }
    boot_state_t bs;
    load_boot_state(&pt_local, &bs);
    blog(out, "I boot: Partition table at 0x%x: %u partitions, %u OTA app slot%s%s", (unsigned)table_offset,
         pt_local.count, bs.app_count, bs.app_count == 1 ? "" : "s", bs.factory ? ", factory app" : "");

    boot_ctx_t c = {flash, cfg, &bs, out, WEBOTA_OK};

    /* 2. otadata: the start index */
    webota_ota_entry_t e[2];
    webota_ota_entry_erased(&e[0]);
    webota_ota_entry_erased(&e[1]);
    webota_boot_choice_t choice;
    memset(&choice, 0, sizeof choice);
    choice.start = WEBOTA_OTA_INDEX_FACTORY;
    if (!bs.otadata) {
        blog(out, "I boot: No OTA data partition, booting factory app");
    } else {
        if (bs.otadata->size < WEBOTA_OTADATA_SIZE) {
            blog_final(out, "E boot: ota_info partition size %u is too small (minimum %u bytes)",
                       (unsigned)bs.otadata->size, (unsigned)WEBOTA_OTADATA_SIZE);
            return WEBOTA_ERR_NOT_FOUND;
        }
        uint8_t raw[WEBOTA_OTADATA_ENTRY_SIZE];
        for (unsigned i = 0; i < 2; i++) {
            err = webota_flash_read(flash, bs.otadata->offset + i * WEBOTA_OTADATA_SECTOR, raw, sizeof raw);
            if (err != WEBOTA_OK) {
                blog_final(out, "E boot: cannot read otadata: %s", webota_strerror(err));
                return err;
            }
            webota_ota_entry_decode(raw, &e[i]);
        }
        webota_boot_config_t bc = {
            .app_count = bs.app_count,
            .has_factory = bs.factory != NULL,
            .rollback = cfg->rollback,
            .anti_rollback = cfg->anti_rollback,
            .efuse_secure_version = out->efuse_secure_version,
            .slot_secure_version = slot_secure_version,
            .ctx = &c,
        };
        err = webota_ota_boot_select(e, &bc, &choice);
        if (err != WEBOTA_OK) {
            blog_final(out, "E boot: otadata selection failed: %s", webota_strerror(err));
            return err;
        }
        if (c.flash_err != WEBOTA_OK) {
            blog_final(out, "E boot: flash read failed: %s", webota_strerror(c.flash_err));
            return c.flash_err;
        }
        for (unsigned k = 0; k < choice.n_writes; k++) {
            int i = choice.write_order[k];
            blog(out, "I boot: otadata[%d] state %s -> %s", i, webota_ota_state_name(e[i].state),
                 webota_ota_state_name(choice.entry[i].state));
            err = write_otadata(&c, (unsigned)i, &choice.entry[i]);
            if (err != WEBOTA_OK) {
                blog_final(out, "E boot: otadata write failed: %s", webota_strerror(err));
                return err;
            }
            e[i] = choice.entry[i];
        }
        if (choice.active >= 0) {
            blog(out, "I boot: Active otadata[%d] seq %u -> OTA slot %d", choice.active,
                 (unsigned)e[choice.active].seq, choice.start);
        } else if (choice.initial) {
            blog(out, "I boot: No factory image, trying OTA 0");
        } else if (bs.factory) {
            blog(out, bs.app_count ? "I boot: Defaulting to factory image" : "I boot: Booting factory image");
        } else {
            blog(out, "E boot: ota data partition invalid and no factory, will try all partitions");
        }
        if (choice.efuse_raise)
            raise_efuse(&c, choice.efuse_new_version);
    }

    /* 3. load order: start, down to factory, up to the last slot, test */
    int order[WEBOTA_OTA_LOAD_ORDER_MAX];
    unsigned n = webota_ota_load_order(choice.start, bs.app_count, bs.factory != NULL, bs.test != NULL, order);
    for (unsigned k = 0; k < n; k++) {
        int index = order[k];
        const webota_partition_t *p = index_to_partition(&bs, index);
        if (!p || p->size == 0)
            continue; /* a gap in the OTA slots */
        if (index == WEBOTA_OTA_INDEX_TEST && k > 0)
            blog(out, "W boot: Falling back to test app as only bootable partition");
        bool ok = anti_rollback_ok(&c, p) && try_load_partition(&c, p);
        if (c.flash_err != WEBOTA_OK) {
            blog_final(out, "E boot: flash read failed: %s", webota_strerror(c.flash_err));
            return c.flash_err;
        }
        if (!ok) {
            char nb[40];
            blog(out, "E boot: %s is not bootable", index_name(index, nb, sizeof nb));
            continue;
        }
        /* set_actual_ota_seq() */
        if (index >= 0 && choice.initial) {
            webota_ota_entry_t init;
            webota_ota_initial_entry((unsigned)index, &init);
            err = write_otadata(&c, 0, &init);
            if (err != WEBOTA_OK) {
                blog_final(out, "E boot: otadata write failed: %s", webota_strerror(err));
                return err;
            }
            e[0] = init;
            blog(out, "I boot: Set actual ota_seq=%u in otadata[0]", (unsigned)init.seq);
            if (cfg->anti_rollback)
                raise_efuse(&c, out->desc.secure_version);
        }
        out->part = *p;
        out->index = index;
        out->state = bs.otadata ? booted_state(e, bs.app_count, index) : WEBOTA_OTA_STATE_UNDEFINED;
        blog_final(out, "I boot: Booting %s (%s, %s %s, state %s)", p->label,
                   index >= 0 ? "ota" : index == WEBOTA_OTA_INDEX_FACTORY ? "factory" : "test",
                   out->desc.project_name, out->desc.version, webota_ota_state_name(out->state));
        return WEBOTA_OK;
    }
    blog_final(out, "E boot: No bootable app partitions in the partition table");
    return WEBOTA_ERR_NOT_FOUND;
}
