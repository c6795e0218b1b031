/* Internal to src/core: what the gen_esp32part CSV modules share.
 *
 *   parttable_csv.c        CSV lines -> entries, and webota_pt_from_csv, which
 *                          runs the steps in the tool's order
 *   parttable_csv_lines.c  the text level below parsing and rules: errors,
 *                          lines, $VAR expansion, columns, entry names
 *   parttable_csv_decode.c the bytes as Python's str (BOM, UTF-8/16/32, white
 *                          space, line breaks, strip)
 *   parttable_csv_value.c  column values: numbers with k/M suffixes, the type
 *                          and subtype keywords
 *   parttable_rules.c      blank offsets, then every verify rule of the tool
 *   parttable_csv_emit.c   table -> the tool's CSV text
 *   textbuf.c              bounded text builder (the core has no stdio)
 *
 * Split this way because the order of the tool's checks decides which message
 * a broken table gets; each step is a module that can be read alone. */
#ifndef WEBOTA_CORE_PARTTABLE_INTERNAL_H
#define WEBOTA_CORE_PARTTABLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/parttable.h"

#include "textbuf.h"

#define LINE_CAP 1024u /* one expanded CSV line; longer data lines are refused */
/* Numbers are Python ints in the tool; here they are kept within +-2^61 on
 * input and sums saturate at +-2^62, far beyond anything that can be packed. */
#define VALUE_MAX (INT64_C(1) << 61)
#define SUM_MAX (INT64_C(1) << 62)
#define NO_LINE 0u
#define TABLE_SECTOR 0x1000u

/* ---- decoding (parttable_csv_decode.c) ---- */

enum { ENC_UTF8, ENC_UTF16LE, ENC_UTF16BE, ENC_UTF32LE, ENC_UTF32BE };

typedef struct {
    const uint8_t *d;
    size_t len;
    int enc;
} src_t;

#define CP_END (-1)
#define CP_BAD (-2)

/* The code point at *pos (advanced past it), CP_END at the end, CP_BAD on a
 * malformed sequence. */
int32_t webota_ptcsv_next_cp(const src_t *s, size_t *pos);
/* Length of the byte order mark and the encoding it names (UTF-8 without one). */
size_t webota_ptcsv_detect_bom(const uint8_t *d, size_t len, int *enc);
bool webota_ptcsv_is_space(int32_t c);
bool webota_ptcsv_is_linebreak(int32_t c);
bool webota_ptcsv_is_word(int32_t c);
/* Writes c as 1-4 UTF-8 bytes; returns how many. */
size_t webota_ptcsv_utf8_put(char *out, int32_t c);
void webota_ptcsv_strip(const char *s, size_t *b, size_t *e);

/* ---- column values (parttable_csv_value.c) ---- */

typedef struct {
    const char *name;
    uint8_t value;
} keyword_t;

typedef struct {
    const keyword_t *kw;
    size_t n;
} kwset_t;

kwset_t webota_ptcsv_type_keywords(void);
kwset_t webota_ptcsv_subtype_keywords(int64_t type);
webota_err_t webota_ptcsv_parse_int(const char *s, size_t n, kwset_t kws, int64_t *out,
                                    webota_sb_t *msg);

/* ---- parser state (parttable_csv.c) ---- */

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

/* ---- text level (parttable_csv_lines.c) ---- */

typedef struct {
    size_t pos;
    uint32_t line_no;
} reader_t;

typedef struct {
    const char *s;
    size_t n;
} field_t;

/* Records the error (code, line, empty message) and points *msg_out at the
 * message buffer; returns code. */
webota_err_t webota_ptcsv_set_error(ctx_t *c, webota_err_t code, unsigned line,
                                    webota_sb_t *msg_out);
/* Next raw line [*start, *end) in source bytes; false at end of input. */
bool webota_ptcsv_next_line(const src_t *s, reader_t *r, size_t *start, size_t *end);
/* First code point of the line that is not white space (CP_END if none). */
int32_t webota_ptcsv_first_visible(const src_t *s, size_t start, size_t end);
/* The line with $VAR / ${VAR} expanded into c->line; false when too long. */
bool webota_ptcsv_expand_line(ctx_t *c, size_t start, size_t end);
/* Splits the stripped line into the 6 columns (missing ones empty, extra
 * ones ignored), each stripped. */
void webota_ptcsv_split_fields(const char *s, size_t len, field_t f[6]);
bool webota_ptcsv_field_is(field_t f, const char *word);
/* The full CSV name of entry i into out (NUL-terminated, truncated to cap). */
size_t webota_ptcsv_entry_name(ctx_t *c, unsigned i, char *out, size_t cap);

/* ---- rules (parttable_rules.c) ---- */

/* After every line is parsed: places blank offsets, then runs the tool's
 * verify steps in its order; the first failure is the answer. */
webota_err_t webota_ptcsv_place_and_verify(ctx_t *c);

#endif
