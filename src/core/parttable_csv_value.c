/* Column values as the tool reads them: its TYPES and SUBTYPES keyword maps
 * (also the names webota_pt_to_csv writes) and parse_int(), which is Python's
 * int(x, 0) plus k/m suffixes and keywords. */
#include <string.h>

#include "parttable_internal.h"

/* ---- keywords (the tool's TYPES and SUBTYPES maps, in their order) ---- */

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

#define KWSET(a) ((kwset_t){(a), sizeof(a) / sizeof((a)[0])})

kwset_t webota_ptcsv_subtype_keywords(int64_t type)
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

kwset_t webota_ptcsv_type_keywords(void)
{
    return KWSET(TYPE_KW);
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
    kwset_t ks = webota_ptcsv_subtype_keywords(type);
    for (size_t i = 0; i < ks.n; i++) {
        if (ks.kw[i].value == subtype) {
            return ks.kw[i].name;
        }
    }
    return NULL;
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
    webota_ptcsv_strip(s, &b, &e); /* int() ignores surrounding white space */
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
webota_err_t webota_ptcsv_parse_int(const char *s, size_t n, kwset_t kws, int64_t *out,
                                    webota_sb_t *msg)
{
    if (n > 0 && (s[n - 1] == 'k' || s[n - 1] == 'K' || s[n - 1] == 'm' || s[n - 1] == 'M')) {
        int64_t mult = (s[n - 1] | 0x20) == 'k' ? 1024 : 1024 * 1024;
        int64_t v;
        webota_err_t err = webota_ptcsv_parse_int(s, n - 1, kws, &v, msg);
        if (err != WEBOTA_OK) {
            return err;
        }
        if (v > VALUE_MAX / mult || v < -VALUE_MAX / mult) {
            webota_sb_s(msg, "Value '");
            webota_sb_n(msg, s, n);
            webota_sb_s(msg, "' is out of range");
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
        webota_sb_s(msg, "Value '");
        webota_sb_n(msg, s, n);
        webota_sb_s(msg, "' is out of range");
        return WEBOTA_ERR_CSV_NUMBER;
    }
    if (kws.n == 0) {
        webota_sb_s(msg, "Invalid field value ");
        webota_sb_n(msg, s, n);
        return WEBOTA_ERR_CSV_NUMBER;
    }
    for (size_t i = 0; i < kws.n; i++) {
        if (ascii_ieq(s, n, kws.kw[i].name)) {
            *out = kws.kw[i].value;
            return WEBOTA_OK;
        }
    }
    webota_sb_s(msg, "Value '");
    webota_sb_n(msg, s, n);
    webota_sb_s(msg, "' is not valid. Known keywords: ");
    for (size_t i = 0; i < kws.n; i++) {
        webota_sb_s(msg, i ? ", " : "");
        webota_sb_s(msg, kws.kw[i].name);
    }
    return WEBOTA_ERR_CSV_SUBTYPE; /* re-labelled by the caller for types */
}
