#include <string.h>

#include "webota/app_desc.h"

#include "bytes.h"

/* The fields are fixed-size char arrays that need not be NUL-terminated. */
static void get_str(char *dst, const uint8_t *src, size_t n)
{
    size_t len = 0;
    while (len < n && src[len] != 0) {
        len++;
    }
    memcpy(dst, src, len);
    dst[len] = 0;
}

static void put_str(uint8_t *dst, const char *src, size_t n)
{
    size_t len = strlen(src);
    memcpy(dst, src, len < n ? len : n);
}

webota_err_t webota_app_desc_decode(const uint8_t raw[WEBOTA_APP_DESC_SIZE], webota_app_desc_t *out)
{
    memset(out, 0, sizeof(*out));
    out->magic_word = webota_le32_get(raw);
    out->secure_version = webota_le32_get(raw + 4);
    get_str(out->version, raw + 16, 32);
    get_str(out->project_name, raw + 48, 32);
    get_str(out->time, raw + 80, 16);
    get_str(out->date, raw + 96, 16);
    get_str(out->idf_ver, raw + 112, 32);
    memcpy(out->app_elf_sha256, raw + 144, 32);
    out->min_efuse_blk_rev_full = webota_le16_get(raw + 176);
    out->max_efuse_blk_rev_full = webota_le16_get(raw + 178);
    out->mmu_page_size = raw[180];
    return out->magic_word == WEBOTA_APP_DESC_MAGIC ? WEBOTA_OK : WEBOTA_ERR_IMG_APPDESC;
}

void webota_app_desc_encode(const webota_app_desc_t *desc, uint8_t raw[WEBOTA_APP_DESC_SIZE])
{
    memset(raw, 0, WEBOTA_APP_DESC_SIZE);
    webota_le32_put(raw, desc->magic_word);
    webota_le32_put(raw + 4, desc->secure_version);
    put_str(raw + 16, desc->version, 32);
    put_str(raw + 48, desc->project_name, 32);
    put_str(raw + 80, desc->time, 16);
    put_str(raw + 96, desc->date, 16);
    put_str(raw + 112, desc->idf_ver, 32);
    memcpy(raw + 144, desc->app_elf_sha256, 32);
    webota_le16_put(raw + 176, desc->min_efuse_blk_rev_full);
    webota_le16_put(raw + 178, desc->max_efuse_blk_rev_full);
    raw[180] = desc->mmu_page_size;
}

/* One version split into its numbers and its pre-release tag. At most 8
 * numbers of up to 9 digits: longer is not a version this orders. */
typedef struct {
    uint32_t num[8];
    unsigned count;
    const char *pre; /* after '-', NULL if none */
} version_t;

static bool version_parse(const char *s, version_t *v)
{
    memset(v, 0, sizeof *v);
    if (*s == 'v' || *s == 'V')
        s++;
    for (;;) {
        unsigned digits = 0;
        uint32_t n = 0;
        while (*s >= '0' && *s <= '9') {
            if (++digits > 9)
                return false;
            n = n * 10u + (uint32_t)(*s - '0');
            s++;
        }
        if (digits == 0 || v->count == 8)
            return false;
        v->num[v->count++] = n;
        if (*s == '.') {
            s++;
            continue;
        }
        if (*s == '\0')
            return true;
        /* a tag starting with a digit is git describe's "-N-gHASH" (N commits
         * after the tag: newer, not a pre-release): not ordered */
        if (*s == '-' && s[1] != '\0' && !(s[1] >= '0' && s[1] <= '9')) {
            v->pre = s + 1;
            return true;
        }
        return false;
    }
}

bool webota_version_compare(const char *a, const char *b, int *cmp)
{
    *cmp = 0;
    version_t va, vb;
    if (a == NULL || b == NULL || !version_parse(a, &va) || !version_parse(b, &vb))
        return false;
    for (unsigned i = 0; i < 8; i++) {
        if (va.num[i] != vb.num[i]) {
            *cmp = va.num[i] < vb.num[i] ? -1 : 1;
            return true;
        }
    }
    if (va.pre == NULL || vb.pre == NULL)
        *cmp = (va.pre == NULL) - (vb.pre == NULL);
    else {
        int c = strcmp(va.pre, vb.pre);
        *cmp = (c > 0) - (c < 0);
    }
    return true;
}
