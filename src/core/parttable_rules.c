/* gen_esp32part's rules on the parsed entries, in the tool's order: blank
 * offsets and negative sizes (from_csv), PartitionDefinition.verify() of each
 * entry, PartitionTable.verify(), the flash size, then struct.pack's ranges
 * and the binary length. Messages are the tool's, with line numbers. */
#include <string.h>

#include "parttable_internal.h"

static bool is_pseudo(const entry_t *e)
{
    return (e->type == WEBOTA_PT_TYPE_BOOTLOADER && e->subtype == WEBOTA_PT_SUBTYPE_BOOTLOADER_PRIMARY) ||
           (e->type == WEBOTA_PT_TYPE_PARTITION_TABLE &&
            e->subtype == WEBOTA_PT_SUBTYPE_PARTITION_TABLE_PRIMARY);
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r = a + b; /* |a|, |b| <= 2^62: cannot overflow int64 */
    return r > SUM_MAX ? SUM_MAX : r < -SUM_MAX ? -SUM_MAX : r;
}

/* Python's a % m for m > 0 (never negative). */
static int64_t py_mod(int64_t a, int64_t m)
{
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

static bool names_equal(ctx_t *c, unsigned i, unsigned j)
{
    const char *a = c->pt->part[i].label, *b = c->pt->part[j].label;
    if (c->e[i].name_len != c->e[j].name_len || strcmp(a, b) != 0) {
        return false;
    }
    if (c->e[i].name_len <= WEBOTA_PT_LABEL_MAX && strlen(a) == c->e[i].name_len) {
        return true;
    }
    /* Long names (or names with a NUL): compare the whole CSV text. */
    char na[LINE_CAP], nb[LINE_CAP];
    webota_ptcsv_entry_name(c, i, na, sizeof(na));
    webota_ptcsv_entry_name(c, j, nb, sizeof(nb));
    return c->e[i].name_len < sizeof(na) && memcmp(na, nb, c->e[i].name_len) == 0;
}

/* "Error at line N: Partition NAME invalid: " like the tool's ValidationError. */
static void invalid_prefix(ctx_t *c, webota_sb_t *msg, unsigned i)
{
    char name[64];
    webota_ptcsv_entry_name(c, i, name, sizeof(name));
    webota_sb_s(msg, "Error at line ");
    webota_sb_u(msg, c->e[i].line, 10);
    webota_sb_s(msg, ": Partition ");
    webota_sb_s(msg, name);
    webota_sb_s(msg, " invalid: ");
}

/* The tool's words for a data partition's rule, after invalid_prefix:
 * "'NAME' partition of type 1 and subtype ". */
static void data_rule_prefix(ctx_t *c, webota_sb_t *msg, unsigned i)
{
    char name[64];
    invalid_prefix(c, msg, i);
    webota_ptcsv_entry_name(c, i, name, sizeof(name));
    webota_sb_s(msg, "'");
    webota_sb_s(msg, name);
    webota_sb_s(msg, "' partition of type 1 and subtype ");
}

static void name_at_line(ctx_t *c, webota_sb_t *msg, unsigned i)
{
    char name[64];
    webota_ptcsv_entry_name(c, i, name, sizeof(name));
    webota_sb_s(msg, "'");
    webota_sb_s(msg, name);
    webota_sb_s(msg, "' at line ");
    webota_sb_u(msg, c->e[i].line, 10);
}

static bool equals_first(ctx_t *c, unsigned i)
{
    const entry_t *a = &c->e[0], *b = &c->e[i];
    return i == 0 || (a->type == b->type && a->subtype == b->subtype && a->offset == b->offset &&
                      a->size == b->size && names_equal(c, 0, i));
}

/* Blank offsets and negative sizes, in CSV order (the tool's from_csv). */
static webota_err_t place(ctx_t *c, unsigned n)
{
    webota_sb_t msg;
    int64_t last_end = (int64_t)c->opts.table_offset + TABLE_SECTOR;
    for (unsigned i = 0; i < n; i++) {
        entry_t *e = &c->e[i];
        if (is_pseudo(e)) {
            continue;
        }
        if (e->has_offset && e->offset < last_end) {
            webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_OVERLAP, e->line, &msg);
            webota_sb_s(&msg, "CSV Error at line ");
            webota_sb_u(&msg, e->line, 10);
            webota_sb_s(&msg, ": Partitions overlap. Partition sets offset ");
            webota_sb_hex(&msg, e->offset);
            if (equals_first(c, i)) {
                webota_sb_s(&msg, ". But partition table occupies the whole sector ");
                webota_sb_hex(&msg, c->opts.table_offset);
                webota_sb_s(&msg, ". Use a free offset ");
                webota_sb_hex(&msg, last_end);
                webota_sb_s(&msg, " or higher.");
            } else {
                webota_sb_s(&msg, ". Previous partition ends ");
                webota_sb_hex(&msg, last_end);
            }
            return WEBOTA_ERR_CSV_OVERLAP;
        }
        if (!e->has_offset) {
            int64_t pad = e->type == WEBOTA_PT_TYPE_APP ? 0x10000 : 0x1000;
            int64_t r = py_mod(last_end, pad);
            if (r != 0) {
                last_end = sat_add(last_end, pad - r);
            }
            e->offset = last_end;
        }
        if (e->size < 0) {
            e->size = sat_add(-e->size, -e->offset);
        }
        last_end = sat_add(e->offset, e->size);
    }
    return WEBOTA_OK;
}

/* PartitionDefinition.verify() for each entry. */
static webota_err_t verify_entries(ctx_t *c, unsigned n)
{
    webota_sb_t msg;
    for (unsigned i = 0; i < n; i++) {
        const entry_t *e = &c->e[i];
        bool readonly = (c->pt->part[i].flags & WEBOTA_PT_FLAG_READONLY) != 0;
        int64_t align = e->type == WEBOTA_PT_TYPE_APP ? 0x10000 : 0x1000;
        if (py_mod(e->offset, align) != 0) {
            webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_ALIGN, e->line, &msg);
            invalid_prefix(c, &msg, i);
            webota_sb_s(&msg, "Offset ");
            webota_sb_hex(&msg, e->offset);
            webota_sb_s(&msg, " is not aligned to ");
            webota_sb_hex(&msg, align);
            return WEBOTA_ERR_CSV_ALIGN;
        }
        if (e->type == WEBOTA_PT_TYPE_APP) {
            int64_t size_align = c->opts.secure == 1 ? 0x10000 : 0x1000;
            if (py_mod(e->size, size_align) != 0) {
                webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_ALIGN, e->line, &msg);
                invalid_prefix(c, &msg, i);
                webota_sb_s(&msg, "Size ");
                webota_sb_hex(&msg, e->size);
                webota_sb_s(&msg, " is not aligned to ");
                webota_sb_hex(&msg, size_align);
                return WEBOTA_ERR_CSV_ALIGN;
            }
        }
        if (e->type == WEBOTA_PT_TYPE_DATA && readonly &&
            (e->subtype == WEBOTA_PT_SUBTYPE_DATA_OTA || e->subtype == WEBOTA_PT_SUBTYPE_DATA_COREDUMP)) {
            webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_READONLY, e->line, &msg);
            data_rule_prefix(c, &msg, i);
            webota_sb_d(&msg, e->subtype);
            webota_sb_s(&msg, " is always read-write and cannot be read-only");
            return WEBOTA_ERR_CSV_READONLY;
        }
        if (e->type == WEBOTA_PT_TYPE_DATA && e->subtype == WEBOTA_PT_SUBTYPE_DATA_NVS &&
            e->size < 0x3000 && !readonly) {
            webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_NVS_SIZE, e->line, &msg);
            data_rule_prefix(c, &msg, i);
            webota_sb_s(&msg, "2 of this size (");
            webota_sb_hex(&msg, e->size);
            webota_sb_s(&msg, ") must be flagged as 'readonly' (the size of read/write NVS has to be at least 0x3000)");
            return WEBOTA_ERR_CSV_NVS_SIZE;
        }
    }
    return WEBOTA_OK;
}

static webota_err_t verify_otadata(ctx_t *c, unsigned n, uint8_t subtype, const char *multiple,
                                   const char *size_msg)
{
    webota_sb_t msg;
    unsigned count = 0, first = 0;
    for (unsigned i = 0; i < n; i++) {
        if (c->e[i].type != WEBOTA_PT_TYPE_DATA || c->e[i].subtype != subtype) {
            continue;
        }
        if (count++ == 0) {
            first = i;
            continue;
        }
        webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_OTADATA, c->e[i].line, &msg);
        webota_sb_s(&msg, "Error at line ");
        webota_sb_u(&msg, c->e[i].line, 10);
        webota_sb_s(&msg, ": ");
        webota_sb_s(&msg, multiple);
        webota_sb_s(&msg, " (");
        name_at_line(c, &msg, first);
        webota_sb_s(&msg, ", ");
        name_at_line(c, &msg, i);
        webota_sb_s(&msg, ")");
        return WEBOTA_ERR_CSV_OTADATA;
    }
    if (count == 1 && c->e[first].size != 0x2000) {
        webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_OTADATA, c->e[first].line, &msg);
        invalid_prefix(c, &msg, first);
        webota_sb_s(&msg, size_msg);
        webota_sb_s(&msg, " (it is ");
        webota_sb_hex(&msg, c->e[first].size);
        webota_sb_s(&msg, ")");
        return WEBOTA_ERR_CSV_OTADATA;
    }
    return WEBOTA_OK;
}

/* PartitionTable.verify(): names, overlaps (sorted by offset), otadata. */
static webota_err_t verify_table(ctx_t *c, unsigned n)
{
    webota_sb_t msg;
    for (unsigned j = 1; j < n; j++) {
        for (unsigned i = 0; i < j; i++) {
            if (names_equal(c, i, j)) {
                webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_DUP_NAME, c->e[j].line, &msg);
                webota_sb_s(&msg, "Error at line ");
                webota_sb_u(&msg, c->e[j].line, 10);
                webota_sb_s(&msg, ": Partition names must be unique: ");
                name_at_line(c, &msg, i);
                webota_sb_s(&msg, " is used again at line ");
                webota_sb_u(&msg, c->e[j].line, 10);
                return WEBOTA_ERR_CSV_DUP_NAME;
            }
        }
    }
    /* Stable insertion sort of indices by offset, as Python's sorted(). */
    uint8_t order[WEBOTA_PT_MAX_ENTRIES];
    for (unsigned k = 0; k < n; k++) {
        unsigned m = k;
        while (m > 0 && c->e[order[m - 1]].offset > c->e[k].offset) {
            order[m] = order[m - 1];
            m--;
        }
        order[m] = (uint8_t)k;
    }
    int64_t floor = (int64_t)c->opts.table_offset + TABLE_SECTOR;
    for (unsigned k = 0; k < n; k++) {
        const entry_t *p = &c->e[order[k]];
        if (p->offset < floor && !is_pseudo(p)) {
            webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_OVERLAP, p->line, &msg);
            webota_sb_s(&msg, "Error at line ");
            webota_sb_u(&msg, p->line, 10);
            webota_sb_s(&msg, ": Partition offset ");
            webota_sb_hex(&msg, p->offset);
            webota_sb_s(&msg, " is below ");
            webota_sb_hex(&msg, floor);
            webota_sb_s(&msg, " (partition ");
            name_at_line(c, &msg, order[k]);
            webota_sb_s(&msg, ")");
            return WEBOTA_ERR_CSV_OVERLAP;
        }
        if (k > 0) {
            const entry_t *last = &c->e[order[k - 1]];
            if (p->offset < sat_add(last->offset, last->size)) {
                webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_OVERLAP, p->line, &msg);
                webota_sb_s(&msg, "Error at line ");
                webota_sb_u(&msg, p->line, 10);
                webota_sb_s(&msg, ": Partition at ");
                webota_sb_hex(&msg, p->offset);
                webota_sb_s(&msg, " overlaps ");
                webota_sb_hex(&msg, last->offset);
                webota_sb_s(&msg, "-");
                webota_sb_hex(&msg, sat_add(last->offset, last->size - 1));
                webota_sb_s(&msg, " (");
                name_at_line(c, &msg, order[k]);
                webota_sb_s(&msg, " overlaps ");
                name_at_line(c, &msg, order[k - 1]);
                webota_sb_s(&msg, ")");
                return WEBOTA_ERR_CSV_OVERLAP;
            }
        }
    }
    webota_err_t err = verify_otadata(
        c, n, WEBOTA_PT_SUBTYPE_DATA_OTA,
        "Found multiple otadata partitions. Only one partition can be defined with type=\"data\"(1) and subtype=\"ota\"(0).",
        "otadata partition must have size = 0x2000");
    if (err == WEBOTA_OK) {
        err = verify_otadata(
            c, n, WEBOTA_PT_SUBTYPE_DATA_TEE_OTA,
            "Found multiple TEE otadata partitions. Only one partition can be defined with type=\"data\"(1) and subtype=\"tee_ota\"(0x90).",
            "TEE otadata partition must have size = 0x2000");
    }
    return err;
}

/* Python's '%.1f' of v / 2^20 (exact binary value, round half to even). */
static void sb_mb1(webota_sb_t *sb, int64_t v)
{
    const int64_t mb = 1024 * 1024;
    bool neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t q = u / (uint64_t)mb, r = u % (uint64_t)mb;
    uint64_t tenths = q * 10 + (r * 10) / (uint64_t)mb, rem = (r * 10) % (uint64_t)mb;
    if (rem * 2 > (uint64_t)mb || (rem * 2 == (uint64_t)mb && (tenths & 1) != 0)) {
        tenths++;
    }
    if (neg && tenths != 0) {
        webota_sb_s(sb, "-");
    }
    webota_sb_u(sb, tenths / 10, 10);
    webota_sb_s(sb, ".");
    webota_sb_u(sb, tenths % 10, 10);
}

static webota_err_t verify_flash_size(ctx_t *c, unsigned n)
{
    if (c->opts.flash_size == 0 || n == 0) {
        return WEBOTA_OK;
    }
    unsigned last = 0; /* highest offset, first among equals */
    for (unsigned i = 1; i < n; i++) {
        if (c->e[i].offset > c->e[last].offset) {
            last = i;
        }
    }
    int64_t end = sat_add(c->e[last].offset, c->e[last].size);
    if ((int64_t)c->opts.flash_size >= end) {
        return WEBOTA_OK;
    }
    webota_sb_t msg;
    webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_FLASH_SIZE, c->e[last].line, &msg);
    webota_sb_s(&msg, "Partitions tables occupies ");
    sb_mb1(&msg, end);
    webota_sb_s(&msg, "MB of flash (");
    webota_sb_d(&msg, end);
    webota_sb_s(&msg, " bytes) which does not fit in configured flash size ");
    webota_sb_u(&msg, c->opts.flash_size / (1024u * 1024u), 10);
    webota_sb_s(&msg, "MB (last partition ");
    name_at_line(c, &msg, last);
    webota_sb_s(&msg, ")");
    return WEBOTA_ERR_CSV_FLASH_SIZE;
}

/* struct.pack's ranges (the tool fails here with a traceback), then the
 * binary length. */
static webota_err_t check_pack(ctx_t *c, unsigned n)
{
    webota_sb_t msg;
    for (unsigned i = 0; i < n; i++) {
        const entry_t *e = &c->e[i];
        const char *what = NULL, *why = " does not fit in 32 bits";
        int64_t v = 0;
        if (e->type < 0 || e->type > 255) {
            what = "type ", v = e->type, why = " does not fit in a byte";
        } else if (e->subtype < 0 || e->subtype > 255) {
            what = "subtype ", v = e->subtype, why = " does not fit in a byte";
        } else if (e->offset < 0 || e->offset > (int64_t)UINT32_MAX) {
            what = "offset ", v = e->offset;
        } else if (e->size < 0 || e->size > (int64_t)UINT32_MAX) {
            what = "size ", v = e->size;
        }
        if (what != NULL) {
            webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_NUMBER, e->line, &msg);
            invalid_prefix(c, &msg, i);
            webota_sb_s(&msg, what);
            webota_sb_hex(&msg, v);
            webota_sb_s(&msg, why);
            return WEBOTA_ERR_CSV_NUMBER;
        }
    }
    unsigned rows = c->total + (c->opts.md5 ? 1u : 0u);
    if ((uint64_t)rows * WEBOTA_PT_ENTRY_LEN >= WEBOTA_PT_MAX_LEN) {
        webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_TOO_MANY,
                               c->total > n ? c->overflow_line : c->e[n - 1].line, &msg);
        webota_sb_s(&msg, "Binary partition table length (");
        webota_sb_u(&msg, (uint64_t)rows * WEBOTA_PT_ENTRY_LEN, 10);
        webota_sb_s(&msg, ") longer than max (");
        webota_sb_u(&msg, c->total, 10);
        webota_sb_s(&msg, c->opts.md5 ? " partitions; at most 94 fit with the MD5 entry)"
                               : " partitions; at most 95 fit without the MD5 entry)");
        return WEBOTA_ERR_CSV_TOO_MANY;
    }
    return WEBOTA_OK;
}

webota_err_t webota_ptcsv_place_and_verify(ctx_t *c)
{
    unsigned n = c->total < WEBOTA_PT_MAX_ENTRIES ? c->total : WEBOTA_PT_MAX_ENTRIES;
    webota_err_t e = WEBOTA_OK;
    if (c->total > n) {
        e = check_pack(c, 0); /* too many: nothing else can be judged */
    }
    if (e == WEBOTA_OK) {
        e = place(c, n);
    }
    if (e == WEBOTA_OK) {
        e = verify_entries(c, n);
    }
    if (e == WEBOTA_OK) {
        e = verify_table(c, n);
    }
    if (e == WEBOTA_OK) {
        e = verify_flash_size(c, n);
    }
    if (e == WEBOTA_OK) {
        e = check_pack(c, n);
    }
    return e;
}
