/* gen_esp32part.py (tool v1.5) CSV -> partition table.
 *
 * Parsing follows the tool step by step, because the order of its checks
 * decides which message a broken table gets: decode (BOM), split lines the way
 * Python's str.splitlines does, expand $VAR / ${VAR}, strip, split columns,
 * parse each line (here), then place blank offsets, verify each partition, the
 * whole table, the flash size and the binary length (parttable_rules.c).
 * The other CSV modules are listed in parttable_internal.h. */
#include <string.h>

#include "parttable_internal.h"

void webota_pt_csv_opts_init(webota_pt_csv_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->table_offset = WEBOTA_PT_OFFSET_DEFAULT;
    opts->md5 = true;
}

/* ---- one CSV line -> entry ---- */

static void line_error_prefix(webota_sb_t *msg, uint32_t line_no, field_t name)
{
    webota_sb_s(msg, "Error at line ");
    webota_sb_u(msg, line_no, 10);
    webota_sb_s(msg, " (partition '");
    webota_sb_n(msg, name.s, name.n);
    webota_sb_s(msg, "'): ");
}

#define NO_PRIMARY_BOOTLOADER                                                                      \
    "Primary bootloader offset is not defined. Please use --primary-bootloader-offset"

/* A bootloader line's offset comes from an option (the tool's
 * --primary-/--recovery-bootloader-offset); `missing` says which is not given. */
static webota_err_t option_offset(bool given, uint32_t offset, const char *missing, entry_t *e,
                                  webota_sb_t *msg)
{
    if (!given) {
        webota_sb_s(msg, missing);
        return WEBOTA_ERR_ARG;
    }
    e->offset = offset;
    e->has_offset = true;
    return WEBOTA_OK;
}

static webota_err_t parse_entry(ctx_t *c, uint32_t line_no, const char *s, size_t len)
{
    field_t f[6];
    webota_ptcsv_split_fields(s, len, f);
    unsigned idx = c->total++;
    entry_t scratch;
    webota_partition_t pscratch;
    bool stored = idx < WEBOTA_PT_MAX_ENTRIES;
    if (!stored && c->overflow_line == 0) {
        c->overflow_line = line_no;
    }
    entry_t *e = stored ? &c->e[idx] : &scratch;
    webota_partition_t *p = stored ? &c->pt->part[idx] : &pscratch;
    memset(e, 0, sizeof(*e));
    memset(p, 0, sizeof(*p));
    e->line = line_no;
    e->name_len = (uint32_t)f[0].n;
    size_t ln = 0;
    while (ln < f[0].n && ln < WEBOTA_PT_LABEL_MAX && f[0].s[ln] != 0) {
        ln++;
    }
    memcpy(p->label, f[0].s, ln);

    webota_sb_t msg;
    char tmp[160];
    webota_sb_t inner = {tmp, sizeof(tmp), 0};
    tmp[0] = 0;
    webota_err_t err = WEBOTA_OK;
    const webota_pt_csv_opts_t *o = &c->opts;
    int64_t type = 0, subtype = 0;

    /* type */
    if (f[1].n == 0) {
        webota_sb_s(&inner, "Field 'type' can't be left empty.");
        err = WEBOTA_ERR_CSV_TYPE;
    } else {
        err = webota_ptcsv_parse_int(f[1].s, f[1].n, webota_ptcsv_type_keywords(), &type, &inner);
        if (err == WEBOTA_ERR_CSV_SUBTYPE) {
            err = WEBOTA_ERR_CSV_TYPE;
        }
    }
    /* subtype */
    if (err == WEBOTA_OK) {
        if (f[2].n == 0) {
            if (type == WEBOTA_PT_TYPE_APP) {
                webota_sb_s(&inner, "App partition cannot have an empty subtype");
                err = WEBOTA_ERR_CSV_SUBTYPE;
            } else {
                subtype = WEBOTA_PT_SUBTYPE_DATA_UNDEFINED;
            }
        } else {
            err = webota_ptcsv_parse_int(f[2].s, f[2].n, webota_ptcsv_subtype_keywords(type),
                                         &subtype, &inner);
            if (err == WEBOTA_ERR_CSV_NUMBER && inner.len > 0 && tmp[0] == 'I') {
                err = WEBOTA_ERR_CSV_SUBTYPE; /* "Invalid field value" of a subtype */
            }
        }
    }
    /* offset: the pseudo-entries take theirs from the options */
    if (err == WEBOTA_OK) {
        if (type == WEBOTA_PT_TYPE_BOOTLOADER && subtype == WEBOTA_PT_SUBTYPE_BOOTLOADER_PRIMARY) {
            err = option_offset(o->has_primary_bootloader, o->primary_bootloader_offset,
                                NO_PRIMARY_BOOTLOADER, e, &inner);
        } else if (type == WEBOTA_PT_TYPE_BOOTLOADER &&
                   subtype == WEBOTA_PT_SUBTYPE_BOOTLOADER_RECOVERY) {
            err = option_offset(o->has_recovery_bootloader, o->recovery_bootloader_offset,
                                "Recovery bootloader offset is not defined. Please use "
                                "--recovery-bootloader-offset",
                                e, &inner);
        } else if (type == WEBOTA_PT_TYPE_PARTITION_TABLE &&
                   subtype == WEBOTA_PT_SUBTYPE_PARTITION_TABLE_PRIMARY) {
            e->offset = o->table_offset;
            e->has_offset = true;
        } else if (f[3].n != 0) {
            err = webota_ptcsv_parse_int(f[3].s, f[3].n, (kwset_t){NULL, 0}, &e->offset, &inner);
            e->has_offset = true;
        }
    }
    /* size */
    if (err == WEBOTA_OK) {
        if (type == WEBOTA_PT_TYPE_BOOTLOADER) {
            if (!o->has_primary_bootloader) {
                webota_sb_s(&inner, NO_PRIMARY_BOOTLOADER);
                err = WEBOTA_ERR_ARG;
            } else {
                e->size = (int64_t)o->table_offset - (int64_t)o->primary_bootloader_offset;
            }
        } else if (type == WEBOTA_PT_TYPE_PARTITION_TABLE) {
            e->size = TABLE_SECTOR;
        } else if (f[4].n == 0) {
            webota_sb_s(&inner, "Size field can't be empty");
            err = WEBOTA_ERR_CSV_SIZE;
        } else {
            err = webota_ptcsv_parse_int(f[4].s, f[4].n, (kwset_t){NULL, 0}, &e->size, &inner);
        }
    }
    /* flags: colon-separated, each taken exactly as written */
    if (err == WEBOTA_OK) {
        const char *fs = f[5].s;
        size_t rest = f[5].n;
        for (;;) {
            size_t k = 0;
            while (k < rest && fs[k] != ':') {
                k++;
            }
            field_t flag = {fs, k};
            if (webota_ptcsv_field_is(flag, "encrypted")) {
                p->flags |= WEBOTA_PT_FLAG_ENCRYPTED;
            } else if (webota_ptcsv_field_is(flag, "readonly")) {
                p->flags |= WEBOTA_PT_FLAG_READONLY;
            } else if (k > 0) {
                webota_sb_s(&inner, "CSV flag column contains unknown flag '");
                webota_sb_n(&inner, fs, k);
                webota_sb_s(&inner, "'");
                err = WEBOTA_ERR_CSV_FLAG;
                break;
            }
            if (k == rest) {
                break;
            }
            fs += k + 1;
            rest -= k + 1;
        }
    }
    if (err != WEBOTA_OK) {
        webota_ptcsv_set_error(c, err, line_no, &msg);
        line_error_prefix(&msg, line_no, f[0]);
        webota_sb_s(&msg, tmp);
        return err;
    }
    /* Python ints until the range check before packing. */
    e->type = type;
    e->subtype = subtype;
    p->type = (uint8_t)type;
    p->subtype = (uint8_t)subtype;
    return WEBOTA_OK;
}

static webota_err_t read_lines(ctx_t *c)
{
    webota_sb_t msg;
    reader_t r = {c->bom_len, 0};
    size_t ls, le;
    while (webota_ptcsv_next_line(&c->src, &r, &ls, &le)) {
        int32_t fv = webota_ptcsv_first_visible(&c->src, ls, le);
        if (fv == CP_END || fv == '#') {
            continue; /* blank or comment: expansion cannot change that */
        }
        if (!webota_ptcsv_expand_line(c, ls, le)) {
            webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_SYNTAX, r.line_no, &msg);
            webota_sb_s(&msg, "Error at line ");
            webota_sb_u(&msg, r.line_no, 10);
            webota_sb_s(&msg, ": line is longer than 1024 bytes (after $VAR expansion)");
            return WEBOTA_ERR_CSV_SYNTAX;
        }
        /* The tool refuses a line that still starts with $NAME. */
        if (c->line_len >= 2 && c->line[0] == '$' &&
            ((c->line[1] | 0x20) >= 'a' && (c->line[1] | 0x20) <= 'z' ? true : c->line[1] == '_')) {
            size_t k = 1;
            while (k < c->line_len && (webota_ptcsv_is_word((unsigned char)c->line[k]) &&
                                       (unsigned char)c->line[k] < 0x80)) {
                k++;
            }
            webota_ptcsv_set_error(c, WEBOTA_ERR_CSV_ENV, r.line_no, &msg);
            webota_sb_s(&msg, "Error at line ");
            webota_sb_u(&msg, r.line_no, 10);
            webota_sb_s(&msg, ": unknown variable '");
            webota_sb_n(&msg, c->line + 1, k - 1);
            webota_sb_s(&msg, "'");
            return WEBOTA_ERR_CSV_ENV;
        }
        size_t b = 0, e = c->line_len;
        webota_ptcsv_strip(c->line, &b, &e);
        if (b == e || c->line[b] == '#') {
            continue;
        }
        webota_err_t err = parse_entry(c, r.line_no, c->line + b, e - b);
        if (err != WEBOTA_OK) {
            return err;
        }
    }
    return WEBOTA_OK;
}

webota_err_t webota_pt_from_csv(webota_parttable_t *pt, const char *csv, size_t len,
                                const webota_pt_csv_opts_t *opts, webota_pt_csv_error_t *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
    if (pt == NULL || (csv == NULL && len != 0)) {
        return WEBOTA_ERR_ARG;
    }
    ctx_t c;
    memset(&c, 0, sizeof(c));
    memset(pt, 0, sizeof(*pt));
    c.pt = pt;
    c.err = err;
    if (opts != NULL) {
        c.opts = *opts;
    } else {
        webota_pt_csv_opts_init(&c.opts);
    }
    webota_sb_t msg;
    if (c.opts.has_primary_bootloader && c.opts.primary_bootloader_offset >= c.opts.table_offset) {
        webota_ptcsv_set_error(&c, WEBOTA_ERR_ARG, NO_LINE, &msg);
        webota_sb_s(&msg, "Unsupported configuration. Primary bootloader must be below partition table. "
                          "Check --primary-bootloader-offset=");
        webota_sb_hex(&msg, c.opts.primary_bootloader_offset);
        webota_sb_s(&msg, " and --offset=");
        webota_sb_hex(&msg, c.opts.table_offset);
        return WEBOTA_ERR_ARG;
    }
    c.src.d = (const uint8_t *)csv;
    c.src.len = len;
    c.bom_len = webota_ptcsv_detect_bom(c.src.d, len, &c.src.enc);
    /* Python decodes the whole file before reading a line. */
    for (size_t p = c.bom_len;;) {
        size_t at = p;
        int32_t cp = webota_ptcsv_next_cp(&c.src, &p);
        if (cp == CP_END) {
            break;
        }
        if (cp == CP_BAD) {
            static const char *const names[] = {"UTF-8", "UTF-16", "UTF-16", "UTF-32", "UTF-32"};
            webota_ptcsv_set_error(&c, WEBOTA_ERR_CSV_SYNTAX, NO_LINE, &msg);
            webota_sb_s(&msg, "CSV is not valid ");
            webota_sb_s(&msg, names[c.src.enc]);
            webota_sb_s(&msg, " (byte offset ");
            webota_sb_u(&msg, at, 10);
            webota_sb_s(&msg, ")");
            return WEBOTA_ERR_CSV_SYNTAX;
        }
    }
    webota_err_t e = read_lines(&c);
    if (e == WEBOTA_OK) {
        e = webota_ptcsv_place_and_verify(&c);
    }
    if (e != WEBOTA_OK) {
        memset(pt, 0, sizeof(*pt));
        return e;
    }
    unsigned n = c.total < WEBOTA_PT_MAX_ENTRIES ? c.total : WEBOTA_PT_MAX_ENTRIES;
    for (unsigned i = 0; i < n; i++) {
        pt->part[i].offset = (uint32_t)c.e[i].offset;
        pt->part[i].size = (uint32_t)c.e[i].size;
    }
    pt->count = n;
    pt->has_md5 = c.opts.md5;
    return WEBOTA_OK;
}
