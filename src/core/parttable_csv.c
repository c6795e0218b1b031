/* gen_esp32part.py (tool v1.5) CSV format in both directions.
 *
 * Parsing follows the tool step by step, because the order of its checks
 * decides which message a broken table gets: decode (BOM), split lines the way
 * Python's str.splitlines does, expand $VAR / ${VAR}, strip, split columns,
 * parse each line, place blank offsets, verify each partition, then the
 * whole table, then the flash size, then the binary length. Numbers follow
 * Python's int(x, 0) plus the tool's k/m suffixes. */
#include <string.h>

#include "webota/parttable.h"

#include "bytes.h"

#define LINE_CAP 1024u  /* one expanded CSV line; longer data lines are refused */
#define NAME_CAP 256u   /* environment variable names */
/* Numbers are Python ints in the tool; here they are kept within +-2^61 on
 * input and sums saturate at +-2^62, far beyond anything that can be packed. */
#define VALUE_MAX (INT64_C(1) << 61)
#define SUM_MAX (INT64_C(1) << 62)
#define NO_LINE 0u
#define TABLE_SECTOR 0x1000u

/* ---- keywords (the tool's TYPES and SUBTYPES maps, in their order) ---- */

typedef struct {
    const char *name;
    uint8_t value;
} keyword_t;

static const keyword_t TYPE_KW[] = {
    {"bootloader", WEBOTA_PT_TYPE_BOOTLOADER},
    {"partition_table", WEBOTA_PT_TYPE_PARTITION_TABLE},
    {"app", WEBOTA_PT_TYPE_APP},
    {"data", WEBOTA_PT_TYPE_DATA},
};

static const keyword_t APP_KW[] = {
    {"factory", 0x00}, {"test", 0x20},   {"ota_0", 0x10},  {"ota_1", 0x11},  {"ota_2", 0x12},
    {"ota_3", 0x13},   {"ota_4", 0x14},  {"ota_5", 0x15},  {"ota_6", 0x16},  {"ota_7", 0x17},
    {"ota_8", 0x18},   {"ota_9", 0x19},  {"ota_10", 0x1A}, {"ota_11", 0x1B}, {"ota_12", 0x1C},
    {"ota_13", 0x1D},  {"ota_14", 0x1E}, {"ota_15", 0x1F}, {"tee_0", 0x30},  {"tee_1", 0x31},
};

static const keyword_t DATA_KW[] = {
    {"ota", 0x00},      {"phy", 0x01},       {"nvs", 0x02},      {"coredump", 0x03},
    {"nvs_keys", 0x04}, {"efuse", 0x05},     {"undefined", 0x06}, {"esphttpd", 0x80},
    {"fat", 0x81},      {"spiffs", 0x82},    {"littlefs", 0x83}, {"tee_ota", 0x90},
};

static const keyword_t BOOT_KW[] = {{"primary", 0x00}, {"ota", 0x01}, {"recovery", 0x02}};
static const keyword_t PTAB_KW[] = {{"primary", 0x00}, {"ota", 0x01}};

typedef struct {
    const keyword_t *kw;
    size_t n;
} kwset_t;

#define KWSET(a) ((kwset_t){(a), sizeof(a) / sizeof((a)[0])})

static kwset_t subtype_keywords(int64_t type)
{
    switch (type) {
    case WEBOTA_PT_TYPE_APP:
        return KWSET(APP_KW);
    case WEBOTA_PT_TYPE_DATA:
        return KWSET(DATA_KW);
    case WEBOTA_PT_TYPE_BOOTLOADER:
        return KWSET(BOOT_KW);
    case WEBOTA_PT_TYPE_PARTITION_TABLE:
        return KWSET(PTAB_KW);
    default:
        return (kwset_t){NULL, 0};
    }
}

const char *webota_pt_type_name(uint8_t type)
{
    for (size_t i = 0; i < sizeof(TYPE_KW) / sizeof(TYPE_KW[0]); i++) {
        if (TYPE_KW[i].value == type) {
            return TYPE_KW[i].name;
        }
    }
    return NULL;
}

const char *webota_pt_subtype_name(uint8_t type, uint8_t subtype)
{
    kwset_t ks = subtype_keywords(type);
    for (size_t i = 0; i < ks.n; i++) {
        if (ks.kw[i].value == subtype) {
            return ks.kw[i].name;
        }
    }
    return NULL;
}

void webota_pt_csv_opts_init(webota_pt_csv_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->table_offset = WEBOTA_PT_OFFSET_DEFAULT;
    opts->md5 = true;
}

/* ---- bounded string builder (the core has no stdio) ---- */

typedef struct {
    char *buf;
    size_t cap, len; /* len may exceed cap: the text is truncated, not lost count */
} sb_t;

static void sb_n(sb_t *sb, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, sb->len++) {
        if (sb->len + 1 < sb->cap) {
            sb->buf[sb->len] = s[i];
        }
    }
    if (sb->cap != 0) {
        sb->buf[sb->len < sb->cap ? sb->len : sb->cap - 1] = 0;
    }
}

static void sb_s(sb_t *sb, const char *s)
{
    sb_n(sb, s, strlen(s));
}

static void sb_u(sb_t *sb, uint64_t v, unsigned base)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    while (n > 0) {
        sb_n(sb, &tmp[--n], 1);
    }
}

static void sb_d(sb_t *sb, int64_t v)
{
    if (v < 0) {
        sb_s(sb, "-");
        sb_u(sb, (uint64_t)0 - (uint64_t)v, 10);
    } else {
        sb_u(sb, (uint64_t)v, 10);
    }
}

/* Python's '0x%x' % v, which writes negative numbers as 0x-1000. */
static void sb_hex(sb_t *sb, int64_t v)
{
    sb_s(sb, "0x");
    if (v < 0) {
        sb_s(sb, "-");
        sb_u(sb, (uint64_t)0 - (uint64_t)v, 16);
    } else {
        sb_u(sb, (uint64_t)v, 16);
    }
}

/* ---- decoding: UTF-8 (optional BOM), UTF-16 and UTF-32 with a BOM ---- */

enum { ENC_UTF8, ENC_UTF16LE, ENC_UTF16BE, ENC_UTF32LE, ENC_UTF32BE };

typedef struct {
    const uint8_t *d;
    size_t len;
    int enc;
} src_t;

#define CP_END (-1)
#define CP_BAD (-2)

static int32_t utf8_next(const uint8_t *d, size_t len, size_t *pos)
{
    size_t p = *pos;
    uint8_t c = d[p];
    if (c < 0x80) {
        *pos = p + 1;
        return c;
    }
    int n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1, cp = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2, cp = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3, cp = c & 0x07u, min = 0x10000;
    } else {
        return CP_BAD;
    }
    if (len - p <= (size_t)n) {
        return CP_BAD;
    }
    for (int i = 1; i <= n; i++) {
        if ((d[p + (size_t)i] & 0xC0) != 0x80) {
            return CP_BAD;
        }
        cp = cp << 6 | (d[p + (size_t)i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return CP_BAD;
    }
    *pos = p + (size_t)n + 1;
    return (int32_t)cp;
}

static uint32_t unit16(const src_t *s, size_t p)
{
    return s->enc == ENC_UTF16LE ? webota_le16_get(s->d + p) : (uint32_t)(s->d[p] << 8 | s->d[p + 1]);
}

static int32_t next_cp(const src_t *s, size_t *pos)
{
    size_t p = *pos;
    if (p >= s->len) {
        return CP_END;
    }
    switch (s->enc) {
    case ENC_UTF8:
        return utf8_next(s->d, s->len, pos);
    case ENC_UTF16LE:
    case ENC_UTF16BE: {
        if (s->len - p < 2) {
            return CP_BAD;
        }
        uint32_t u = unit16(s, p);
        if (u >= 0xDC00 && u <= 0xDFFF) {
            return CP_BAD;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (s->len - p < 4) {
                return CP_BAD;
            }
            uint32_t lo = unit16(s, p + 2);
            if (lo < 0xDC00 || lo > 0xDFFF) {
                return CP_BAD;
            }
            *pos = p + 4;
            return (int32_t)(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        }
        *pos = p + 2;
        return (int32_t)u;
    }
    default: {
        if (s->len - p < 4) {
            return CP_BAD;
        }
        const uint8_t *b = s->d + p;
        uint32_t u = s->enc == ENC_UTF32LE
                         ? webota_le32_get(b)
                         : ((uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24);
        if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF)) {
            return CP_BAD;
        }
        *pos = p + 4;
        return (int32_t)u;
    }
    }
}

/* Python's str.isspace(). */
static bool is_space(int32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Python's str.splitlines() boundaries (\r\n counts once). */
static bool is_linebreak(int32_t c)
{
    return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
           c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* Approximates \w of Python's re for str: ASCII letters, digits, '_' and
 * every non-ASCII code point that is not white space. */
static bool is_word(int32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || (c >= 0x80 && !is_space(c));
}

static size_t utf8_put(char *out, int32_t c)
{
    uint32_t u = (uint32_t)c;
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xC0 | u >> 6);
        out[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (char)(0xE0 | u >> 12);
        out[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        out[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | u >> 18);
    out[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((u >> 6) & 0x3F));
    out[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

/* ---- parser state ---- */

typedef struct {
    int64_t type, subtype, offset, size; /* Python ints until the range check */
    uint32_t line;
    uint32_t name_len; /* bytes of the full UTF-8 name */
    bool has_offset;
} entry_t;

typedef struct {
    src_t src;
    size_t bom_len;
    webota_pt_csv_opts_t opts;
    webota_parttable_t *pt;
    webota_pt_csv_error_t *err;
    entry_t e[WEBOTA_PT_MAX_ENTRIES];
    unsigned total;         /* entries in the CSV, even beyond the table's capacity */
    uint32_t overflow_line; /* line of the first entry beyond the capacity */
    char line[LINE_CAP];
    size_t line_len;
} ctx_t;

typedef struct {
    size_t pos;
    uint32_t line_no;
} reader_t;

static webota_err_t set_error(ctx_t *c, webota_err_t code, unsigned line, sb_t *msg_out)
{
    if (c->err != NULL) {
        c->err->err = code;
        c->err->line = line;
        c->err->message[0] = 0;
    }
    if (msg_out != NULL) {
        msg_out->buf = c->err != NULL ? c->err->message : NULL;
        msg_out->cap = c->err != NULL ? sizeof(c->err->message) : 0;
        msg_out->len = 0;
    }
    return code;
}

/* Next raw line [*start, *end) in source bytes; false at end of input. */
static bool next_line(const src_t *s, reader_t *r, size_t *start, size_t *end)
{
    if (r->pos >= s->len) {
        return false;
    }
    *start = r->pos;
    size_t p = r->pos;
    for (;;) {
        size_t before = p;
        int32_t c = next_cp(s, &p);
        if (c < 0) {
            *end = before;
            r->pos = s->len;
            break;
        }
        if (is_linebreak(c)) {
            *end = before;
            if (c == '\r') {
                size_t q = p;
                if (next_cp(s, &q) == '\n') {
                    p = q;
                }
            }
            r->pos = p;
            break;
        }
    }
    r->line_no++;
    return true;
}

/* First non-space code point of the raw line, or CP_END. */
static int32_t first_visible(const src_t *s, size_t start, size_t end)
{
    size_t p = start;
    while (p < end) {
        int32_t c = next_cp(s, &p);
        if (!is_space(c)) {
            return c;
        }
    }
    return CP_END;
}

static bool line_put(ctx_t *c, const char *bytes, size_t n)
{
    if (n > LINE_CAP - c->line_len) {
        return false;
    }
    memcpy(c->line + c->line_len, bytes, n);
    c->line_len += n;
    return true;
}

static bool line_put_cps(ctx_t *c, size_t from, size_t to)
{
    char u[4];
    while (from < to) {
        int32_t cp = next_cp(&c->src, &from);
        if (!line_put(c, u, utf8_put(u, cp))) {
            return false;
        }
    }
    return true;
}

/* Looks a variable up; name is the source range [from, to). */
static const char *lookup_var(ctx_t *c, size_t from, size_t to)
{
    char name[NAME_CAP];
    size_t n = 0;
    char u[4];
    while (from < to) {
        int32_t cp = next_cp(&c->src, &from);
        size_t k = utf8_put(u, cp);
        if (k > sizeof(name) - 1 - n) {
            return NULL; /* longer than any name we look up */
        }
        memcpy(name + n, u, k);
        n += k;
    }
    name[n] = 0;
    if (c->opts.getenv == NULL || memchr(name, 0, n) != NULL) {
        return NULL;
    }
    return c->opts.getenv(c->opts.env_ctx, name);
}

/* os.path.expandvars of the raw line into c->line: known $NAME and ${NAME}
 * are replaced, unknown ones stay as written. */
static bool expand_line(ctx_t *c, size_t start, size_t end)
{
    c->line_len = 0;
    size_t p = start;
    while (p < end) {
        size_t at = p;
        int32_t cp = next_cp(&c->src, &p);
        if (cp != '$' || p >= end) {
            if (!line_put_cps(c, at, p)) {
                return false;
            }
            continue;
        }
        size_t q = p;
        int32_t nx = next_cp(&c->src, &q);
        size_t name_from, name_to, after;
        if (nx == '{') {
            size_t r = q;
            bool closed = false;
            while (r < end) {
                size_t before = r;
                if (next_cp(&c->src, &r) == '}') {
                    closed = true;
                    name_to = before;
                    break;
                }
            }
            if (!closed) {
                if (!line_put(c, "$", 1)) {
                    return false;
                }
                continue;
            }
            name_from = q;
            after = r;
        } else if (is_word(nx)) {
            name_from = p;
            size_t r = p;
            for (;;) {
                size_t before = r;
                if (r >= end || !is_word(next_cp(&c->src, &r))) {
                    name_to = before;
                    break;
                }
            }
            after = name_to;
        } else {
            if (!line_put(c, "$", 1)) {
                return false;
            }
            continue;
        }
        const char *value = lookup_var(c, name_from, name_to);
        if (value != NULL) {
            if (!line_put(c, value, strlen(value))) {
                return false;
            }
        } else if (!line_put_cps(c, at, after)) {
            return false;
        }
        p = after;
    }
    return true;
}

/* ---- UTF-8 helpers on the expanded line ---- */

static int32_t u8_at(const char *s, size_t len, size_t *pos)
{
    return utf8_next((const uint8_t *)s, len, pos);
}

/* str.strip() on [*b, *e) of valid UTF-8. */
static void strip(const char *s, size_t *b, size_t *e)
{
    while (*b < *e) {
        size_t p = *b;
        if (!is_space(u8_at(s, *e, &p))) {
            break;
        }
        *b = p;
    }
    while (*e > *b) {
        size_t p = *e - 1;
        while (p > *b && ((uint8_t)s[p] & 0xC0) == 0x80) {
            p--;
        }
        size_t q = p;
        if (!is_space(u8_at(s, *e, &q))) {
            break;
        }
        *e = p;
    }
}

typedef struct {
    const char *s;
    size_t n;
} field_t;

/* Splits the stripped line into the 6 columns (missing ones empty, extra
 * ones ignored), each stripped. */
static void split_fields(const char *s, size_t len, field_t f[6])
{
    size_t b = 0;
    for (int i = 0; i < 6; i++) {
        size_t e = b;
        while (e < len && s[e] != ',') {
            e++;
        }
        size_t fb = b, fe = e;
        strip(s, &fb, &fe);
        f[i].s = s + fb;
        f[i].n = fe - fb;
        b = e < len ? e + 1 : len;
    }
}

static bool field_is(field_t f, const char *word)
{
    return f.n == strlen(word) && memcmp(f.s, word, f.n) == 0;
}

/* ---- numbers: Python int(x, 0) with the tool's k/m suffixes ---- */

static int digit_value(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A' + 10;
    }
    return 99;
}

typedef enum { INT_OK, INT_SYNTAX, INT_RANGE } int_result_t;

static int_result_t python_int(const char *s, size_t n, int64_t *out)
{
    size_t b = 0, e = n;
    strip(s, &b, &e); /* int() ignores surrounding white space */
    s += b;
    n = e - b;
    bool neg = false;
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    unsigned base = 10;
    bool prefixed = false;
    if (n - i >= 2 && s[i] == '0') {
        char p = (char)(s[i + 1] | 0x20);
        base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
        if (base != 10) {
            i += 2;
            prefixed = true;
        }
    }
    if (i >= n) {
        return INT_SYNTAX;
    }
    bool leading_zero = !prefixed && s[i] == '0';
    bool nonzero = false, need_digit = !prefixed;
    uint64_t v = 0;
    bool range = false;
    for (; i < n; i++) {
        if (s[i] == '_') {
            if (need_digit) {
                return INT_SYNTAX;
            }
            need_digit = true;
            continue;
        }
        int d = digit_value(s[i]);
        if (d >= (int)base) {
            return INT_SYNTAX;
        }
        need_digit = false;
        if (d != 0) {
            nonzero = true;
        }
        if (v > ((uint64_t)VALUE_MAX - (uint64_t)d) / base) {
            range = true;
        } else {
            v = v * base + (uint64_t)d;
        }
    }
    if (need_digit || (leading_zero && nonzero)) {
        return INT_SYNTAX; /* "0x", "5_", "007" */
    }
    if (range) {
        return INT_RANGE;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return INT_OK;
}

static bool ascii_ieq(const char *a, size_t n, const char *kw)
{
    if (strlen(kw) != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = a[i];
        if (ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch - 'A' + 'a');
        }
        if (ch != kw[i]) {
            return false;
        }
    }
    return true;
}

/* The tool's parse_int(): "k"/"m" suffixes (recursively), int(x, 0), then
 * a case-insensitive keyword. On failure writes the tool's message. */
static webota_err_t parse_int(const char *s, size_t n, kwset_t kws, int64_t *out, sb_t *msg)
{
    if (n > 0 && (s[n - 1] == 'k' || s[n - 1] == 'K' || s[n - 1] == 'm' || s[n - 1] == 'M')) {
        int64_t mult = (s[n - 1] | 0x20) == 'k' ? 1024 : 1024 * 1024;
        int64_t v;
        webota_err_t err = parse_int(s, n - 1, kws, &v, msg);
        if (err != WEBOTA_OK) {
            return err;
        }
        if (v > VALUE_MAX / mult || v < -VALUE_MAX / mult) {
            sb_s(msg, "Value '");
            sb_n(msg, s, n);
            sb_s(msg, "' is out of range");
            return WEBOTA_ERR_CSV_NUMBER;
        }
        *out = v * mult;
        return WEBOTA_OK;
    }
    int_result_t r = python_int(s, n, out);
    if (r == INT_OK) {
        return WEBOTA_OK;
    }
    if (r == INT_RANGE) {
        sb_s(msg, "Value '");
        sb_n(msg, s, n);
        sb_s(msg, "' is out of range");
        return WEBOTA_ERR_CSV_NUMBER;
    }
    if (kws.n == 0) {
        sb_s(msg, "Invalid field value ");
        sb_n(msg, s, n);
        return WEBOTA_ERR_CSV_NUMBER;
    }
    for (size_t i = 0; i < kws.n; i++) {
        if (ascii_ieq(s, n, kws.kw[i].name)) {
            *out = kws.kw[i].value;
            return WEBOTA_OK;
        }
    }
    sb_s(msg, "Value '");
    sb_n(msg, s, n);
    sb_s(msg, "' is not valid. Known keywords: ");
    for (size_t i = 0; i < kws.n; i++) {
        sb_s(msg, i ? ", " : "");
        sb_s(msg, kws.kw[i].name);
    }
    return WEBOTA_ERR_CSV_SUBTYPE; /* re-labelled by the caller for types */
}

/* ---- one CSV line -> entry ---- */

static void line_error_prefix(sb_t *msg, uint32_t line_no, field_t name)
{
    sb_s(msg, "Error at line ");
    sb_u(msg, line_no, 10);
    sb_s(msg, " (partition '");
    sb_n(msg, name.s, name.n);
    sb_s(msg, "'): ");
}

static webota_err_t parse_entry(ctx_t *c, uint32_t line_no, const char *s, size_t len)
{
    field_t f[6];
    split_fields(s, len, f);
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

    sb_t msg;
    char tmp[160];
    sb_t inner = {tmp, sizeof(tmp), 0};
    tmp[0] = 0;
    webota_err_t err = WEBOTA_OK;
    const webota_pt_csv_opts_t *o = &c->opts;
    int64_t type = 0, subtype = 0;

    /* type */
    if (f[1].n == 0) {
        sb_s(&inner, "Field 'type' can't be left empty.");
        err = WEBOTA_ERR_CSV_TYPE;
    } else {
        err = parse_int(f[1].s, f[1].n, KWSET(TYPE_KW), &type, &inner);
        if (err == WEBOTA_ERR_CSV_SUBTYPE) {
            err = WEBOTA_ERR_CSV_TYPE;
        }
    }
    /* subtype */
    if (err == WEBOTA_OK) {
        if (f[2].n == 0) {
            if (type == WEBOTA_PT_TYPE_APP) {
                sb_s(&inner, "App partition cannot have an empty subtype");
                err = WEBOTA_ERR_CSV_SUBTYPE;
            } else {
                subtype = WEBOTA_PT_SUBTYPE_DATA_UNDEFINED;
            }
        } else {
            err = parse_int(f[2].s, f[2].n, subtype_keywords(type), &subtype, &inner);
            if (err == WEBOTA_ERR_CSV_NUMBER && inner.len > 0 && tmp[0] == 'I') {
                err = WEBOTA_ERR_CSV_SUBTYPE; /* "Invalid field value" of a subtype */
            }
        }
    }
    /* offset: the pseudo-entries take theirs from the options */
    if (err == WEBOTA_OK) {
        if (type == WEBOTA_PT_TYPE_BOOTLOADER && subtype == WEBOTA_PT_SUBTYPE_BOOTLOADER_PRIMARY) {
            if (!o->has_primary_bootloader) {
                sb_s(&inner, "Primary bootloader offset is not defined. Please use --primary-bootloader-offset");
                err = WEBOTA_ERR_ARG;
            } else {
                e->offset = o->primary_bootloader_offset;
                e->has_offset = true;
            }
        } else if (type == WEBOTA_PT_TYPE_BOOTLOADER &&
                   subtype == WEBOTA_PT_SUBTYPE_BOOTLOADER_RECOVERY) {
            if (!o->has_recovery_bootloader) {
                sb_s(&inner, "Recovery bootloader offset is not defined. Please use --recovery-bootloader-offset");
                err = WEBOTA_ERR_ARG;
            } else {
                e->offset = o->recovery_bootloader_offset;
                e->has_offset = true;
            }
        } else if (type == WEBOTA_PT_TYPE_PARTITION_TABLE &&
                   subtype == WEBOTA_PT_SUBTYPE_PARTITION_TABLE_PRIMARY) {
            e->offset = o->table_offset;
            e->has_offset = true;
        } else if (f[3].n != 0) {
            err = parse_int(f[3].s, f[3].n, (kwset_t){NULL, 0}, &e->offset, &inner);
            e->has_offset = true;
        }
    }
    /* size */
    if (err == WEBOTA_OK) {
        if (type == WEBOTA_PT_TYPE_BOOTLOADER) {
            if (!o->has_primary_bootloader) {
                sb_s(&inner, "Primary bootloader offset is not defined. Please use --primary-bootloader-offset");
                err = WEBOTA_ERR_ARG;
            } else {
                e->size = (int64_t)o->table_offset - (int64_t)o->primary_bootloader_offset;
            }
        } else if (type == WEBOTA_PT_TYPE_PARTITION_TABLE) {
            e->size = TABLE_SECTOR;
        } else if (f[4].n == 0) {
            sb_s(&inner, "Size field can't be empty");
            err = WEBOTA_ERR_CSV_SIZE;
        } else {
            err = parse_int(f[4].s, f[4].n, (kwset_t){NULL, 0}, &e->size, &inner);
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
            if (field_is(flag, "encrypted")) {
                p->flags |= WEBOTA_PT_FLAG_ENCRYPTED;
            } else if (field_is(flag, "readonly")) {
                p->flags |= WEBOTA_PT_FLAG_READONLY;
            } else if (k > 0) {
                sb_s(&inner, "CSV flag column contains unknown flag '");
                sb_n(&inner, fs, k);
                sb_s(&inner, "'");
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
        set_error(c, err, line_no, &msg);
        line_error_prefix(&msg, line_no, f[0]);
        sb_s(&msg, tmp);
        return err;
    }
    /* Python ints until the range check before packing. */
    e->type = type;
    e->subtype = subtype;
    p->type = (uint8_t)type;
    p->subtype = (uint8_t)subtype;
    return WEBOTA_OK;
}

/* ---- whole-table passes ---- */

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

/* The full CSV name of entry i into out (NUL-terminated, truncated to cap). */
static size_t entry_name(ctx_t *c, unsigned i, char *out, size_t cap)
{
    reader_t r = {c->bom_len, 0};
    size_t ls, le;
    while (next_line(&c->src, &r, &ls, &le)) {
        if (r.line_no != c->e[i].line) {
            continue;
        }
        size_t n = 0;
        if (expand_line(c, ls, le)) {
            size_t b = 0, e = c->line_len;
            strip(c->line, &b, &e);
            field_t f[6];
            split_fields(c->line + b, e - b, f);
            n = f[0].n < cap - 1 ? f[0].n : cap - 1;
            memcpy(out, f[0].s, n);
        }
        out[n] = 0;
        return c->e[i].name_len;
    }
    out[0] = 0;
    return 0;
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
    entry_name(c, i, na, sizeof(na));
    entry_name(c, j, nb, sizeof(nb));
    return c->e[i].name_len < sizeof(na) && memcmp(na, nb, c->e[i].name_len) == 0;
}

/* "Error at line N: Partition NAME invalid: " like the tool's ValidationError. */
static void invalid_prefix(ctx_t *c, sb_t *msg, unsigned i)
{
    char name[64];
    entry_name(c, i, name, sizeof(name));
    sb_s(msg, "Error at line ");
    sb_u(msg, c->e[i].line, 10);
    sb_s(msg, ": Partition ");
    sb_s(msg, name);
    sb_s(msg, " invalid: ");
}

static void name_at_line(ctx_t *c, sb_t *msg, unsigned i)
{
    char name[64];
    entry_name(c, i, name, sizeof(name));
    sb_s(msg, "'");
    sb_s(msg, name);
    sb_s(msg, "' at line ");
    sb_u(msg, c->e[i].line, 10);
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
    sb_t msg;
    int64_t last_end = (int64_t)c->opts.table_offset + TABLE_SECTOR;
    for (unsigned i = 0; i < n; i++) {
        entry_t *e = &c->e[i];
        if (is_pseudo(e)) {
            continue;
        }
        if (e->has_offset && e->offset < last_end) {
            set_error(c, WEBOTA_ERR_CSV_OVERLAP, e->line, &msg);
            sb_s(&msg, "CSV Error at line ");
            sb_u(&msg, e->line, 10);
            sb_s(&msg, ": Partitions overlap. Partition sets offset ");
            sb_hex(&msg, e->offset);
            if (equals_first(c, i)) {
                sb_s(&msg, ". But partition table occupies the whole sector ");
                sb_hex(&msg, c->opts.table_offset);
                sb_s(&msg, ". Use a free offset ");
                sb_hex(&msg, last_end);
                sb_s(&msg, " or higher.");
            } else {
                sb_s(&msg, ". Previous partition ends ");
                sb_hex(&msg, last_end);
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
    sb_t msg;
    for (unsigned i = 0; i < n; i++) {
        const entry_t *e = &c->e[i];
        bool readonly = (c->pt->part[i].flags & WEBOTA_PT_FLAG_READONLY) != 0;
        int64_t align = e->type == WEBOTA_PT_TYPE_APP ? 0x10000 : 0x1000;
        if (py_mod(e->offset, align) != 0) {
            set_error(c, WEBOTA_ERR_CSV_ALIGN, e->line, &msg);
            invalid_prefix(c, &msg, i);
            sb_s(&msg, "Offset ");
            sb_hex(&msg, e->offset);
            sb_s(&msg, " is not aligned to ");
            sb_hex(&msg, align);
            return WEBOTA_ERR_CSV_ALIGN;
        }
        if (e->type == WEBOTA_PT_TYPE_APP) {
            int64_t size_align = c->opts.secure == 1 ? 0x10000 : 0x1000;
            if (py_mod(e->size, size_align) != 0) {
                set_error(c, WEBOTA_ERR_CSV_ALIGN, e->line, &msg);
                invalid_prefix(c, &msg, i);
                sb_s(&msg, "Size ");
                sb_hex(&msg, e->size);
                sb_s(&msg, " is not aligned to ");
                sb_hex(&msg, size_align);
                return WEBOTA_ERR_CSV_ALIGN;
            }
        }
        if (e->type == WEBOTA_PT_TYPE_DATA && readonly &&
            (e->subtype == WEBOTA_PT_SUBTYPE_DATA_OTA || e->subtype == WEBOTA_PT_SUBTYPE_DATA_COREDUMP)) {
            char name[64];
            set_error(c, WEBOTA_ERR_CSV_READONLY, e->line, &msg);
            invalid_prefix(c, &msg, i);
            entry_name(c, i, name, sizeof(name));
            sb_s(&msg, "'");
            sb_s(&msg, name);
            sb_s(&msg, "' partition of type 1 and subtype ");
            sb_d(&msg, e->subtype);
            sb_s(&msg, " is always read-write and cannot be read-only");
            return WEBOTA_ERR_CSV_READONLY;
        }
        if (e->type == WEBOTA_PT_TYPE_DATA && e->subtype == WEBOTA_PT_SUBTYPE_DATA_NVS &&
            e->size < 0x3000 && !readonly) {
            char name[64];
            set_error(c, WEBOTA_ERR_CSV_NVS_SIZE, e->line, &msg);
            invalid_prefix(c, &msg, i);
            entry_name(c, i, name, sizeof(name));
            sb_s(&msg, "'");
            sb_s(&msg, name);
            sb_s(&msg, "' partition of type 1 and subtype 2 of this size (");
            sb_hex(&msg, e->size);
            sb_s(&msg, ") must be flagged as 'readonly' (the size of read/write NVS has to be at least 0x3000)");
            return WEBOTA_ERR_CSV_NVS_SIZE;
        }
    }
    return WEBOTA_OK;
}

static webota_err_t verify_otadata(ctx_t *c, unsigned n, uint8_t subtype, const char *multiple,
                                   const char *size_msg)
{
    sb_t msg;
    unsigned count = 0, first = 0;
    for (unsigned i = 0; i < n; i++) {
        if (c->e[i].type != WEBOTA_PT_TYPE_DATA || c->e[i].subtype != subtype) {
            continue;
        }
        if (count++ == 0) {
            first = i;
            continue;
        }
        set_error(c, WEBOTA_ERR_CSV_OTADATA, c->e[i].line, &msg);
        sb_s(&msg, "Error at line ");
        sb_u(&msg, c->e[i].line, 10);
        sb_s(&msg, ": ");
        sb_s(&msg, multiple);
        sb_s(&msg, " (");
        name_at_line(c, &msg, first);
        sb_s(&msg, ", ");
        name_at_line(c, &msg, i);
        sb_s(&msg, ")");
        return WEBOTA_ERR_CSV_OTADATA;
    }
    if (count == 1 && c->e[first].size != 0x2000) {
        set_error(c, WEBOTA_ERR_CSV_OTADATA, c->e[first].line, &msg);
        invalid_prefix(c, &msg, first);
        sb_s(&msg, size_msg);
        sb_s(&msg, " (it is ");
        sb_hex(&msg, c->e[first].size);
        sb_s(&msg, ")");
        return WEBOTA_ERR_CSV_OTADATA;
    }
    return WEBOTA_OK;
}

/* PartitionTable.verify(): names, overlaps (sorted by offset), otadata. */
static webota_err_t verify_table(ctx_t *c, unsigned n)
{
    sb_t msg;
    for (unsigned j = 1; j < n; j++) {
        for (unsigned i = 0; i < j; i++) {
            if (names_equal(c, i, j)) {
                set_error(c, WEBOTA_ERR_CSV_DUP_NAME, c->e[j].line, &msg);
                sb_s(&msg, "Error at line ");
                sb_u(&msg, c->e[j].line, 10);
                sb_s(&msg, ": Partition names must be unique: ");
                name_at_line(c, &msg, i);
                sb_s(&msg, " is used again at line ");
                sb_u(&msg, c->e[j].line, 10);
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
            set_error(c, WEBOTA_ERR_CSV_OVERLAP, p->line, &msg);
            sb_s(&msg, "Error at line ");
            sb_u(&msg, p->line, 10);
            sb_s(&msg, ": Partition offset ");
            sb_hex(&msg, p->offset);
            sb_s(&msg, " is below ");
            sb_hex(&msg, floor);
            sb_s(&msg, " (partition ");
            name_at_line(c, &msg, order[k]);
            sb_s(&msg, ")");
            return WEBOTA_ERR_CSV_OVERLAP;
        }
        if (k > 0) {
            const entry_t *last = &c->e[order[k - 1]];
            if (p->offset < sat_add(last->offset, last->size)) {
                set_error(c, WEBOTA_ERR_CSV_OVERLAP, p->line, &msg);
                sb_s(&msg, "Error at line ");
                sb_u(&msg, p->line, 10);
                sb_s(&msg, ": Partition at ");
                sb_hex(&msg, p->offset);
                sb_s(&msg, " overlaps ");
                sb_hex(&msg, last->offset);
                sb_s(&msg, "-");
                sb_hex(&msg, sat_add(last->offset, last->size - 1));
                sb_s(&msg, " (");
                name_at_line(c, &msg, order[k]);
                sb_s(&msg, " overlaps ");
                name_at_line(c, &msg, order[k - 1]);
                sb_s(&msg, ")");
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
static void sb_mb1(sb_t *sb, int64_t v)
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
        sb_s(sb, "-");
    }
    sb_u(sb, tenths / 10, 10);
    sb_s(sb, ".");
    sb_u(sb, tenths % 10, 10);
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
    sb_t msg;
    set_error(c, WEBOTA_ERR_CSV_FLASH_SIZE, c->e[last].line, &msg);
    sb_s(&msg, "Partitions tables occupies ");
    sb_mb1(&msg, end);
    sb_s(&msg, "MB of flash (");
    sb_d(&msg, end);
    sb_s(&msg, " bytes) which does not fit in configured flash size ");
    sb_u(&msg, c->opts.flash_size / (1024u * 1024u), 10);
    sb_s(&msg, "MB (last partition ");
    name_at_line(c, &msg, last);
    sb_s(&msg, ")");
    return WEBOTA_ERR_CSV_FLASH_SIZE;
}

/* struct.pack's ranges (the tool fails here with a traceback), then the
 * binary length. */
static webota_err_t check_pack(ctx_t *c, unsigned n)
{
    sb_t msg;
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
            set_error(c, WEBOTA_ERR_CSV_NUMBER, e->line, &msg);
            invalid_prefix(c, &msg, i);
            sb_s(&msg, what);
            sb_hex(&msg, v);
            sb_s(&msg, why);
            return WEBOTA_ERR_CSV_NUMBER;
        }
    }
    unsigned rows = c->total + (c->opts.md5 ? 1u : 0u);
    if ((uint64_t)rows * WEBOTA_PT_ENTRY_LEN >= WEBOTA_PT_MAX_LEN) {
        set_error(c, WEBOTA_ERR_CSV_TOO_MANY, c->total > n ? c->overflow_line : c->e[n - 1].line, &msg);
        sb_s(&msg, "Binary partition table length (");
        sb_u(&msg, (uint64_t)rows * WEBOTA_PT_ENTRY_LEN, 10);
        sb_s(&msg, ") longer than max (");
        sb_u(&msg, c->total, 10);
        sb_s(&msg, c->opts.md5 ? " partitions; at most 94 fit with the MD5 entry)"
                               : " partitions; at most 95 fit without the MD5 entry)");
        return WEBOTA_ERR_CSV_TOO_MANY;
    }
    return WEBOTA_OK;
}

static size_t detect_bom(const uint8_t *d, size_t len, int *enc)
{
    if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
        *enc = ENC_UTF8;
        return 3;
    }
    if (len >= 4 && d[0] == 0xFF && d[1] == 0xFE && d[2] == 0 && d[3] == 0) {
        *enc = ENC_UTF32LE;
        return 4;
    }
    if (len >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0xFE && d[3] == 0xFF) {
        *enc = ENC_UTF32BE;
        return 4;
    }
    if (len >= 2 && d[0] == 0xFF && d[1] == 0xFE) {
        *enc = ENC_UTF16LE;
        return 2;
    }
    if (len >= 2 && d[0] == 0xFE && d[1] == 0xFF) {
        *enc = ENC_UTF16BE;
        return 2;
    }
    *enc = ENC_UTF8;
    return 0;
}

static webota_err_t read_lines(ctx_t *c)
{
    sb_t msg;
    reader_t r = {c->bom_len, 0};
    size_t ls, le;
    while (next_line(&c->src, &r, &ls, &le)) {
        int32_t fv = first_visible(&c->src, ls, le);
        if (fv == CP_END || fv == '#') {
            continue; /* blank or comment: expansion cannot change that */
        }
        if (!expand_line(c, ls, le)) {
            set_error(c, WEBOTA_ERR_CSV_SYNTAX, r.line_no, &msg);
            sb_s(&msg, "Error at line ");
            sb_u(&msg, r.line_no, 10);
            sb_s(&msg, ": line is longer than 1024 bytes (after $VAR expansion)");
            return WEBOTA_ERR_CSV_SYNTAX;
        }
        /* The tool refuses a line that still starts with $NAME. */
        if (c->line_len >= 2 && c->line[0] == '$' &&
            ((c->line[1] | 0x20) >= 'a' && (c->line[1] | 0x20) <= 'z' ? true : c->line[1] == '_')) {
            size_t k = 1;
            while (k < c->line_len && (is_word((unsigned char)c->line[k]) && (unsigned char)c->line[k] < 0x80)) {
                k++;
            }
            set_error(c, WEBOTA_ERR_CSV_ENV, r.line_no, &msg);
            sb_s(&msg, "Error at line ");
            sb_u(&msg, r.line_no, 10);
            sb_s(&msg, ": unknown variable '");
            sb_n(&msg, c->line + 1, k - 1);
            sb_s(&msg, "'");
            return WEBOTA_ERR_CSV_ENV;
        }
        size_t b = 0, e = c->line_len;
        strip(c->line, &b, &e);
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
    sb_t msg;
    if (c.opts.has_primary_bootloader && c.opts.primary_bootloader_offset >= c.opts.table_offset) {
        set_error(&c, WEBOTA_ERR_ARG, NO_LINE, &msg);
        sb_s(&msg, "Unsupported configuration. Primary bootloader must be below partition table. "
                   "Check --primary-bootloader-offset=");
        sb_hex(&msg, c.opts.primary_bootloader_offset);
        sb_s(&msg, " and --offset=");
        sb_hex(&msg, c.opts.table_offset);
        return WEBOTA_ERR_ARG;
    }
    c.src.d = (const uint8_t *)csv;
    c.src.len = len;
    c.bom_len = detect_bom(c.src.d, len, &c.src.enc);
    /* Python decodes the whole file before reading a line. */
    for (size_t p = c.bom_len;;) {
        size_t at = p;
        int32_t cp = next_cp(&c.src, &p);
        if (cp == CP_END) {
            break;
        }
        if (cp == CP_BAD) {
            static const char *const names[] = {"UTF-8", "UTF-16", "UTF-16", "UTF-32", "UTF-32"};
            set_error(&c, WEBOTA_ERR_CSV_SYNTAX, NO_LINE, &msg);
            sb_s(&msg, "CSV is not valid ");
            sb_s(&msg, names[c.src.enc]);
            sb_s(&msg, " (byte offset ");
            sb_u(&msg, at, 10);
            sb_s(&msg, ")");
            return WEBOTA_ERR_CSV_SYNTAX;
        }
    }
    webota_err_t e = read_lines(&c);
    unsigned n = c.total < WEBOTA_PT_MAX_ENTRIES ? c.total : WEBOTA_PT_MAX_ENTRIES;
    if (e == WEBOTA_OK && c.total > n) {
        e = check_pack(&c, 0); /* too many: nothing else can be judged */
    }
    if (e == WEBOTA_OK) {
        e = place(&c, n);
    }
    if (e == WEBOTA_OK) {
        e = verify_entries(&c, n);
    }
    if (e == WEBOTA_OK) {
        e = verify_table(&c, n);
    }
    if (e == WEBOTA_OK) {
        e = verify_flash_size(&c, n);
    }
    if (e == WEBOTA_OK) {
        e = check_pack(&c, n);
    }
    if (e != WEBOTA_OK) {
        memset(pt, 0, sizeof(*pt));
        return e;
    }
    for (unsigned i = 0; i < n; i++) {
        pt->part[i].offset = (uint32_t)c.e[i].offset;
        pt->part[i].size = (uint32_t)c.e[i].size;
    }
    pt->count = n;
    pt->has_md5 = c.opts.md5;
    return WEBOTA_OK;
}

/* ---- binary -> CSV (the tool's to_csv) ---- */

webota_err_t webota_pt_to_csv(const webota_parttable_t *pt, char *out, size_t cap, size_t *len)
{
    if (pt == NULL || (out == NULL && cap != 0) || pt->count > WEBOTA_PT_MAX_ENTRIES) {
        return WEBOTA_ERR_ARG;
    }
    sb_t sb = {out, cap, 0};
    if (cap != 0) {
        out[0] = 0;
    }
    sb_s(&sb, "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n");
    for (unsigned i = 0; i < pt->count; i++) {
        const webota_partition_t *p = &pt->part[i];
        size_t ln = 0;
        while (ln < WEBOTA_PT_LABEL_MAX && p->label[ln] != 0) {
            ln++;
        }
        sb_n(&sb, p->label, ln);
        sb_s(&sb, ",");
        const char *t = webota_pt_type_name(p->type);
        if (t != NULL) {
            sb_s(&sb, t);
        } else {
            sb_u(&sb, p->type, 10);
        }
        sb_s(&sb, ",");
        const char *st = webota_pt_subtype_name(p->type, p->subtype);
        if (st != NULL) {
            sb_s(&sb, st);
        } else {
            sb_u(&sb, p->subtype, 10);
        }
        sb_s(&sb, ",");
        sb_hex(&sb, p->offset);
        sb_s(&sb, ",");
        if (p->size % 0x100000u == 0) {
            sb_u(&sb, p->size / 0x100000u, 10);
            sb_s(&sb, "M");
        } else if (p->size % 0x400u == 0) {
            sb_u(&sb, p->size / 0x400u, 10);
            sb_s(&sb, "K");
        } else {
            sb_hex(&sb, p->size);
        }
        sb_s(&sb, ",");
        if (p->flags & WEBOTA_PT_FLAG_ENCRYPTED) {
            sb_s(&sb, "encrypted");
        }
        if (p->flags & WEBOTA_PT_FLAG_READONLY) {
            sb_s(&sb, (p->flags & WEBOTA_PT_FLAG_ENCRYPTED) ? ":readonly" : "readonly");
        }
        sb_s(&sb, "\n");
    }
    if (len != NULL) {
        *len = sb.len;
    }
    return sb.len < cap ? WEBOTA_OK : WEBOTA_ERR_NO_SPACE;
}
