/* Release manifests (see webota/release.h): a strict, bounded JSON reader for
 * the one object a manifest is, its writer, version order, rollout buckets
 * and image URL resolution. */
#include "webota/release.h"

#include <string.h>

#include "webota/json.h"

#include "textbuf.h"

#define SKIP_DEPTH 8 /* nesting allowed inside unknown fields */

typedef struct {
    const char *s;
    size_t len, pos;
    webota_release_error_t *err;
    const char *field;
    bool failed;
} rd_t;

static bool fail(rd_t *r, const char *msg)
{
    if (!r->failed && r->err != NULL) {
        r->err->offset = (uint32_t)r->pos;
        webota_sb_t b;
        webota_sb_init(&b, r->err->field, sizeof(r->err->field));
        webota_sb_s(&b, r->field ? r->field : "");
        webota_sb_init(&b, r->err->message, sizeof(r->err->message));
        webota_sb_s(&b, msg);
    }
    r->failed = true;
    return false;
}

static void ws(rd_t *r)
{
    while (r->pos < r->len) {
        char c = r->s[r->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return;
        }
        r->pos++;
    }
}

static bool peek(rd_t *r, char *c)
{
    ws(r);
    if (r->pos >= r->len) {
        return false;
    }
    *c = r->s[r->pos];
    return true;
}

static bool expect(rd_t *r, char want, const char *msg)
{
    char c;
    if (!peek(r, &c) || c != want) {
        return fail(r, msg);
    }
    r->pos++;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Appends one byte to out (cap includes the NUL); out NULL = skip. */
static bool put(rd_t *r, char *out, size_t cap, size_t *n, char c)
{
    if (out == NULL) {
        return true;
    }
    if (*n + 1 >= cap) {
        return fail(r, "text too long");
    }
    out[(*n)++] = c;
    out[*n] = '\0';
    return true;
}

/* A JSON string into out[cap] (NUL-terminated), or skipped when out is NULL.
 * \u escapes become UTF-8; lone surrogates and U+0000 are refused. */
static bool string(rd_t *r, char *out, size_t cap)
{
    size_t n = 0;
    if (out != NULL) {
        out[0] = '\0';
    }
    if (!expect(r, '"', "a string was expected")) {
        return false;
    }
    while (r->pos < r->len) {
        unsigned char c = (unsigned char)r->s[r->pos++];
        if (c == '"') {
            return true;
        }
        if (c < 0x20) {
            r->pos--;
            return fail(r, "control character in a string");
        }
        if (c != '\\') {
            if (!put(r, out, cap, &n, (char)c)) {
                return false;
            }
            continue;
        }
        if (r->pos >= r->len) {
            break;
        }
        char e = r->s[r->pos++];
        const char *simple = "\"\\/bfnrt";
        const char *map = "\"\\/\b\f\n\r\t";
        const char *hit = strchr(simple, e);
        if (hit != NULL && e != '\0') {
            if (!put(r, out, cap, &n, map[hit - simple])) {
                return false;
            }
            continue;
        }
        if (e != 'u' || r->len - r->pos < 4) {
            r->pos--;
            return fail(r, "invalid escape in a string");
        }
        uint32_t cp = 0;
        for (int i = 0; i < 4; i++) {
            int h = hexval(r->s[r->pos + (size_t)i]);
            if (h < 0) {
                return fail(r, "invalid \\u escape");
            }
            cp = cp * 16u + (uint32_t)h;
        }
        r->pos += 4;
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return fail(r, "\\u0000 or a surrogate in a string");
        }
        char u[3];
        size_t ul;
        if (cp < 0x80) {
            u[0] = (char)cp;
            ul = 1;
        } else if (cp < 0x800) {
            u[0] = (char)(0xC0 | (cp >> 6));
            u[1] = (char)(0x80 | (cp & 0x3F));
            ul = 2;
        } else {
            u[0] = (char)(0xE0 | (cp >> 12));
            u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (char)(0x80 | (cp & 0x3F));
            ul = 3;
        }
        for (size_t i = 0; i < ul; i++) {
            if (!put(r, out, cap, &n, u[i])) {
                return false;
            }
        }
    }
    return fail(r, "unterminated string");
}

/* A JSON number; *v set when it is a non-negative integer below 2^32
 * (integral says so). Fractions and exponents are valid JSON but not
 * integers. */
static bool number(rd_t *r, uint32_t *v, bool *integral)
{
    ws(r);
    size_t start = r->pos;
    uint64_t acc = 0;
    bool big = false, neg = false, frac = false;
    if (r->pos < r->len && r->s[r->pos] == '-') {
        neg = true;
        r->pos++;
    }
    size_t digits = r->pos;
    while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
        acc = acc * 10u + (uint64_t)(r->s[r->pos] - '0');
        if (acc > 0xFFFFFFFFu) {
            big = true;
            acc = 0xFFFFFFFFu + 1u;
        }
        r->pos++;
    }
    size_t nd = r->pos - digits;
    if (nd == 0 || (nd > 1 && r->s[digits] == '0')) {
        r->pos = start;
        return fail(r, "invalid number");
    }
    if (r->pos < r->len && r->s[r->pos] == '.') {
        frac = true;
        r->pos++;
        size_t f = r->pos;
        while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
            r->pos++;
        }
        if (r->pos == f) {
            return fail(r, "invalid number");
        }
    }
    if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
        frac = true;
        r->pos++;
        if (r->pos < r->len && (r->s[r->pos] == '+' || r->s[r->pos] == '-')) {
            r->pos++;
        }
        size_t f = r->pos;
        while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
            r->pos++;
        }
        if (r->pos == f) {
            return fail(r, "invalid number");
        }
    }
    *integral = !neg && !frac && !big;
    *v = *integral ? (uint32_t)acc : 0;
    return true;
}

static bool literal(rd_t *r, const char *word)
{
    size_t n = strlen(word);
    ws(r);
    if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0) {
        return fail(r, "invalid value");
    }
    r->pos += n;
    return true;
}

static bool skip_value(rd_t *r, unsigned depth);

static bool skip_container(rd_t *r, unsigned depth, char open)
{
    char close = open == '{' ? '}' : ']';
    char c;
    if (depth >= SKIP_DEPTH) {
        return fail(r, "nested too deeply");
    }
    r->pos++;
    if (peek(r, &c) && c == close) {
        r->pos++;
        return true;
    }
    for (;;) {
        if (open == '{') {
            if (!string(r, NULL, 0) || !expect(r, ':', "':' expected")) {
                return false;
            }
        }
        if (!skip_value(r, depth + 1)) {
            return false;
        }
        if (!peek(r, &c)) {
            return fail(r, "unterminated object or array");
        }
        r->pos++;
        if (c == close) {
            return true;
        }
        if (c != ',') {
            r->pos--;
            return fail(r, "',' or end expected");
        }
    }
}

static bool skip_value(rd_t *r, unsigned depth)
{
    char c;
    if (!peek(r, &c)) {
        return fail(r, "value expected");
    }
    uint32_t v;
    bool integral;
    switch (c) {
    case '"':
        return string(r, NULL, 0);
    case '{':
    case '[':
        return skip_container(r, depth, c);
    case 't':
        return literal(r, "true");
    case 'f':
        return literal(r, "false");
    case 'n':
        return literal(r, "null");
    default:
        return number(r, &v, &integral);
    }
}

static bool text_field(rd_t *r, char *out, size_t cap, bool nonempty)
{
    if (!string(r, out, cap)) {
        return false;
    }
    if (nonempty && out[0] == '\0') {
        return fail(r, "must not be empty");
    }
    return true;
}

static bool uint_field(rd_t *r, uint32_t *v, uint32_t max)
{
    bool integral = false;
    if (!number(r, v, &integral)) {
        return false;
    }
    if (!integral || *v > max) {
        return fail(r, max == 0xFFFFFFFFu ? "must be an integer 0..4294967295"
                                          : "must be an integer 0..100");
    }
    return true;
}

static bool sha_field(rd_t *r, uint8_t out[WEBOTA_SHA256_LEN])
{
    char hex[2 * WEBOTA_SHA256_LEN + 2];
    if (!string(r, hex, sizeof(hex))) {
        return false;
    }
    if (strlen(hex) != 2 * WEBOTA_SHA256_LEN) {
        return fail(r, "must be 64 hex digits");
    }
    for (size_t i = 0; i < WEBOTA_SHA256_LEN; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return fail(r, "must be 64 hex digits");
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return true;
}

enum {
    F_FORMAT,
    F_PROJECT,
    F_VERSION,
    F_SECURE,
    F_CHIP,
    F_IMAGE,
    F_SIZE,
    F_SHA,
    F_ROLLOUT,
    F_CHANNEL,
    F_CREATED,
    F_REVOKED,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "format", "project", "version", "secure_version", "chip", "image",
    "size", "sha256", "rollout", "channel", "created", "revoked",
};

static bool field(rd_t *r, int f, webota_release_t *o)
{
    uint32_t v = 0;
    switch (f) {
    case F_FORMAT:
        if (!uint_field(r, &o->format, 0xFFFFFFFFu)) {
            return false;
        }
        return o->format == WEBOTA_RELEASE_FORMAT ? true : fail(r, "unknown format (this reader knows 1)");
    case F_PROJECT:
        return text_field(r, o->project, sizeof(o->project), true);
    case F_VERSION:
        return text_field(r, o->version, sizeof(o->version), true);
    case F_SECURE:
        return uint_field(r, &o->secure_version, 0xFFFFFFFFu);
    case F_CHIP:
        return text_field(r, o->chip, sizeof(o->chip), true);
    case F_IMAGE:
        return text_field(r, o->image, sizeof(o->image), true);
    case F_SIZE:
        if (!uint_field(r, &o->size, 0xFFFFFFFFu)) {
            return false;
        }
        return o->size > 0 ? true : fail(r, "must not be 0");
    case F_SHA:
        return sha_field(r, o->sha256);
    case F_ROLLOUT:
        if (!uint_field(r, &v, 100)) {
            return false;
        }
        o->rollout = (uint8_t)v;
        return true;
    case F_CHANNEL:
        return text_field(r, o->channel, sizeof(o->channel), true);
    case F_CREATED:
        return text_field(r, o->created, sizeof(o->created), false);
    default: {
        char c = 0;
        if (!peek(r, &c) || (c != 't' && c != 'f')) {
            return fail(r, "must be true or false");
        }
        o->revoked = c == 't';
        return literal(r, c == 't' ? "true" : "false");
    }
    }
}

webota_err_t webota_release_parse(const char *json, size_t len, webota_release_t *out,
                                  webota_release_error_t *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
    if (out == NULL || (json == NULL && len > 0)) {
        return WEBOTA_ERR_ARG;
    }
    memset(out, 0, sizeof(*out));
    rd_t r = {json, len, 0, err, NULL, false};
    if (len > WEBOTA_RELEASE_MANIFEST_MAX) {
        fail(&r, "manifest larger than 4096 bytes");
        return WEBOTA_ERR_REL_MALFORMED;
    }
    uint32_t seen = 0;
    char key[WEBOTA_RELEASE_NAME_MAX];
    char c;
    if (!expect(&r, '{', "a manifest is one JSON object")) {
        return WEBOTA_ERR_REL_MALFORMED;
    }
    bool empty = peek(&r, &c) && c == '}';
    if (empty) {
        r.pos++;
    }
    while (!empty) {
        size_t kpos;
        ws(&r);
        kpos = r.pos;
        /* keys longer than any known one are skipped as unknown */
        rd_t probe = r;
        probe.err = NULL;
        bool known_len = string(&probe, key, sizeof(key));
        int f = -1;
        if (known_len) {
            r = probe;
            r.err = err;
            for (int i = 0; i < F_COUNT; i++) {
                if (strcmp(key, field_names[i]) == 0) {
                    f = i;
                }
            }
        } else {
            r.pos = kpos;
            if (!string(&r, NULL, 0)) {
                return WEBOTA_ERR_REL_MALFORMED;
            }
        }
        if (!expect(&r, ':', "':' expected after a key")) {
            return WEBOTA_ERR_REL_MALFORMED;
        }
        if (f >= 0) {
            r.field = field_names[f];
            if (seen & (1u << f)) {
                fail(&r, "appears twice");
                return WEBOTA_ERR_REL_MALFORMED;
            }
            seen |= 1u << f;
            if (!field(&r, f, out)) {
                return WEBOTA_ERR_REL_MALFORMED;
            }
            r.field = NULL;
        } else if (!skip_value(&r, 1)) {
            return WEBOTA_ERR_REL_MALFORMED;
        }
        if (!peek(&r, &c)) {
            fail(&r, "unterminated object");
            return WEBOTA_ERR_REL_MALFORMED;
        }
        r.pos++;
        if (c == '}') {
            break;
        }
        if (c != ',') {
            r.pos--;
            fail(&r, "',' or '}' expected");
            return WEBOTA_ERR_REL_MALFORMED;
        }
    }
    ws(&r);
    if (r.pos != len) {
        fail(&r, "text after the manifest object");
        return WEBOTA_ERR_REL_MALFORMED;
    }
    for (int i = 0; i < F_COUNT; i++) {
        if (i != F_REVOKED && !(seen & (1u << i))) {
            r.field = field_names[i];
            fail(&r, "required field missing");
            return WEBOTA_ERR_REL_MALFORMED;
        }
    }
    return WEBOTA_OK;
}

webota_err_t webota_release_write(const webota_release_t *r, char *buf, size_t cap, size_t *len)
{
    if (r == NULL || r->rollout > 100 || r->format != WEBOTA_RELEASE_FORMAT) {
        return WEBOTA_ERR_ARG;
    }
    static const char digits[] = "0123456789abcdef";
    char hex[2 * WEBOTA_SHA256_LEN + 1];
    for (size_t i = 0; i < WEBOTA_SHA256_LEN; i++) {
        hex[2 * i] = digits[r->sha256[i] >> 4];
        hex[2 * i + 1] = digits[r->sha256[i] & 15];
    }
    hex[2 * WEBOTA_SHA256_LEN] = '\0';
    webota_json_t j;
    webota_json_init(&j, buf, cap > 0 ? cap - 1 : 0); /* room for the newline */
    webota_json_obj_begin(&j);
    webota_json_key(&j, "format");
    webota_json_uint(&j, r->format);
    webota_json_key(&j, "project");
    webota_json_str(&j, r->project);
    webota_json_key(&j, "version");
    webota_json_str(&j, r->version);
    webota_json_key(&j, "secure_version");
    webota_json_uint(&j, r->secure_version);
    webota_json_key(&j, "chip");
    webota_json_str(&j, r->chip);
    webota_json_key(&j, "image");
    webota_json_str(&j, r->image);
    webota_json_key(&j, "size");
    webota_json_uint(&j, r->size);
    webota_json_key(&j, "sha256");
    webota_json_str(&j, hex);
    webota_json_key(&j, "rollout");
    webota_json_uint(&j, r->rollout);
    webota_json_key(&j, "channel");
    webota_json_str(&j, r->channel);
    webota_json_key(&j, "created");
    webota_json_str(&j, r->created);
    webota_json_key(&j, "revoked");
    webota_json_bool(&j, r->revoked);
    webota_json_obj_end(&j);
    size_t n = 0;
    webota_err_t e = webota_json_end(&j, &n);
    if (e != WEBOTA_OK) {
        return e;
    }
    buf[n++] = '\n';
    buf[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return WEBOTA_OK;
}

/* ---- versions ---- */

typedef struct {
    uint32_t num[4];
    const char *pre; /* after '-', or NULL */
} ver_t;

static bool parse_version(const char *s, ver_t *v)
{
    memset(v, 0, sizeof(*v));
    if (s == NULL) {
        return false;
    }
    if (*s == 'v' || *s == 'V') {
        s++;
    }
    for (int i = 0; i < 4; i++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        uint64_t acc = 0;
        while (*s >= '0' && *s <= '9') {
            acc = acc * 10u + (uint64_t)(*s++ - '0');
            if (acc > 0xFFFFFFFFu) {
                return false;
            }
        }
        v->num[i] = (uint32_t)acc;
        if (*s == '.' && i < 3) {
            s++;
            continue;
        }
        break;
    }
    if (*s == '-' && s[1] != '\0') {
        v->pre = s + 1;
        return true;
    }
    return *s == '\0';
}

int webota_version_cmp(const char *a, const char *b, bool *comparable)
{
    ver_t va, vb;
    bool ok = parse_version(a, &va) && parse_version(b, &vb);
    if (comparable != NULL) {
        *comparable = ok;
    }
    if (!ok) {
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        if (va.num[i] != vb.num[i]) {
            return va.num[i] < vb.num[i] ? -1 : 1;
        }
    }
    if (va.pre == NULL || vb.pre == NULL) {
        return va.pre == vb.pre ? 0 : (va.pre == NULL ? 1 : -1);
    }
    int c = strcmp(va.pre, vb.pre);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

/* ---- rollout ---- */

webota_err_t webota_release_bucket(const char *device_id, const char *project, const char *version,
                                   uint32_t *bucket)
{
    if (device_id == NULL || project == NULL || version == NULL || bucket == NULL) {
        return WEBOTA_ERR_ARG;
    }
    static const char tag[] = "webota-rollout-v1\n";
    webota_hash_t h;
    uint8_t d[WEBOTA_SHA256_LEN];
    webota_err_t e = webota_hash_start(&h, WEBOTA_HASH_SHA256);
    const char *parts[] = {tag, project, "\n", version, "\n", device_id};
    for (size_t i = 0; e == WEBOTA_OK && i < sizeof(parts) / sizeof(parts[0]); i++) {
        e = webota_hash_update(&h, parts[i], strlen(parts[i]));
    }
    if (e == WEBOTA_OK) {
        e = webota_hash_finish(&h, d, sizeof(d));
    } else {
        webota_hash_abort(&h);
    }
    if (e != WEBOTA_OK) {
        return WEBOTA_ERR_CRYPTO;
    }
    uint32_t v = ((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) | ((uint32_t)d[2] << 8) | d[3];
    *bucket = v % 10000u;
    return WEBOTA_OK;
}

bool webota_release_in_rollout(uint32_t bucket, uint8_t rollout)
{
    return bucket < (uint32_t)rollout * 100u;
}

/* ---- image URL ---- */

webota_err_t webota_release_image_url(const char *manifest_url, const char *image, char *out,
                                      size_t cap)
{
    if (manifest_url == NULL || image == NULL || out == NULL || cap == 0) {
        return WEBOTA_ERR_ARG;
    }
    out[0] = '\0';
    webota_sb_t b;
    webota_sb_init(&b, out, cap);
    if (strncmp(image, "http://", 7) == 0 || strncmp(image, "https://", 8) == 0) {
        webota_sb_s(&b, image);
        return b.len < cap ? WEBOTA_OK : WEBOTA_ERR_NO_SPACE;
    }
    const char *host = NULL;
    if (strncmp(manifest_url, "http://", 7) == 0) {
        host = manifest_url + 7;
    } else if (strncmp(manifest_url, "https://", 8) == 0) {
        host = manifest_url + 8;
    }
    if (host == NULL || *host == '\0' || *host == '/') {
        return WEBOTA_ERR_ARG;
    }
    size_t end = strcspn(manifest_url, "?#"); /* query and fragment dropped */
    size_t path = (size_t)(host - manifest_url) + strcspn(host, "/?#");
    if (path >= end) {
        /* no path: the manifest sits at the root */
        webota_sb_n(&b, manifest_url, end);
        webota_sb_s(&b, "/");
    } else if (image[0] == '/') {
        webota_sb_n(&b, manifest_url, path);
    } else {
        size_t last = path;
        for (size_t i = path; i < end; i++) {
            if (manifest_url[i] == '/') {
                last = i;
            }
        }
        webota_sb_n(&b, manifest_url, last + 1);
    }
    if (image[0] == '/' && path >= end) {
        image++; /* the root's slash is already there */
    }
    webota_sb_s(&b, image);
    return b.len < cap ? WEBOTA_OK : WEBOTA_ERR_NO_SPACE;
}
