/* The form route's side of the API: whether a POST /update wants JSON
 * (Accept negotiation) and, when it does not, its answers as small HTML pages
 * for a browser without JavaScript (bounded writes into api->buf). */
#include <string.h>

#include "api_internal.h"

/* ---- Accept negotiation ---- */

/* A qvalue ("1", "0.5", "0.125") in thousandths; -1 when malformed. */
static int parse_q(const char *v, size_t len)
{
    if (len == 0 || (v[0] != '0' && v[0] != '1')) {
        return -1;
    }
    int q = (v[0] - '0') * 1000;
    if (len == 1) {
        return q;
    }
    if (v[1] != '.' || len > 5) {
        return -1;
    }
    int scale = 100;
    for (size_t i = 2; i < len; i++, scale /= 10) {
        if (v[i] < '0' || v[i] > '9') {
            return -1;
        }
        q += (v[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

/* The q of one Accept element's parameters ("; level=1; q=0.5"); 1000 without one. */
static int element_q(const char *p, const char *end)
{
    int q = 1000;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *pend = semi != NULL ? semi : end;
        while (p < pend && ascii_is_ws(*p)) {
            p++;
        }
        const char *vend = pend;
        while (vend > p && ascii_is_ws(vend[-1])) {
            vend--;
        }
        if (vend - p >= 2 && ascii_lower(p[0]) == 'q' && p[1] == '=') {
            q = parse_q(p + 2, (size_t)(vend - p - 2));
        }
        p = semi != NULL ? semi + 1 : end;
    }
    return q;
}

/* Does the Accept header prefer JSON to HTML? Only when it names
 * application/json itself with a q above 0 and not below what text/html gets
 * (the most specific of text/html, text/any, any/any ranges). No header,
 * a lone wildcard or a browser's navigation Accept: HTML. */
bool webota_api_accept_wants_json(const char *accept)
{
    if (accept == NULL) {
        return false;
    }
    int json_q = -1, html_q = 0, html_level = 0;
    const char *p = accept;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        const char *end = comma != NULL ? comma : p + strlen(p);
        while (p < end && ascii_is_ws(*p)) {
            p++;
        }
        /* a loop, not memchr: gcc -O2 cannot see p <= end and warns */
        const char *semi = p;
        while (semi < end && *semi != ';') {
            semi++;
        }
        const char *mend = semi;
        if (semi == end) {
            semi = NULL;
        }
        while (mend > p && ascii_is_ws(mend[-1])) {
            mend--;
        }
        size_t mlen = (size_t)(mend - p);
        int q = semi != NULL ? element_q(semi + 1, end) : 1000;
        int level = 0;
        if (mlen == 16 && ascii_eq_ci_n(p, "application/json", 16)) {
            json_q = q;
        } else if (mlen == 9 && ascii_eq_ci_n(p, "text/html", 9)) {
            level = 3;
        } else if (mlen == 6 && ascii_eq_ci_n(p, "text/*", 6)) {
            level = 2;
        } else if (mlen == 3 && ascii_eq_ci_n(p, "*/*", 3)) {
            level = 1;
        }
        if (level > html_level) {
            html_level = level;
            html_q = q < 0 ? 0 : q;
        }
        p = comma != NULL ? comma + 1 : end;
    }
    return json_q > 0 && json_q >= html_q;
}

/* ---- HTML pages ---- */

/* Appends s whole, or as much of it as fits, always NUL-terminated. */
static void append(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n >= cap) {
        n = cap - 1 - *len;
    }
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* Appends s HTML-escaped; stops before an entity that would not fit whole. */
static void append_escaped(char *buf, size_t cap, size_t *len, const char *s)
{
    for (; *s != '\0'; s++) {
        const char *rep;
        char one[2] = {*s, '\0'};
        switch (*s) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: rep = one; break;
        }
        size_t r = strlen(rep);
        if (*len + r >= cap) {
            break;
        }
        memcpy(buf + *len, rep, r);
        *len += r;
    }
    buf[*len] = '\0';
}

static void append_uint(char *buf, size_t cap, size_t *len, uint32_t v)
{
    char digits[11];
    size_t n = sizeof(digits) - 1;
    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    append(buf, cap, len, digits + n);
}

#define HTML_HEAD                                                                                  \
    "<!doctype html><html><head><meta charset=\"utf-8\">"                                          \
    "<meta name=\"viewport\" content=\"width=device-width\">"

/* The longest error page: the fixed text (under 400 bytes) plus a full update
 * message with every byte escaped to 6 ("&quot;") must fit the buffer. */
_Static_assert(400 + 6 * WEBOTA_UPDATE_MESSAGE_MAX <= WEBOTA_API_BODY_MAX,
               "an escaped update message must fit the answer buffer");

/* The error page of the form route: a browser without JavaScript shows it
 * as the result of its upload. Links are relative: the form is at
 * <prefix>/update, the page at <prefix>/. */
size_t webota_api_error_html(webota_api_t *api, int status, webota_err_t err, const char *message)
{
    char *b = api->buf;
    size_t cap = sizeof(api->buf), len = 0;
    const char *title = status >= 500 ? "Update failed" : "Update refused";
    b[0] = '\0';
    append(b, cap, &len, HTML_HEAD "<title>");
    append(b, cap, &len, title);
    append(b, cap, &len, "</title></head><body><h1>");
    append(b, cap, &len, title);
    append(b, cap, &len, "</h1><p>");
    append_escaped(b, cap, &len, message);
    append(b, cap, &len, "</p><p>Error <code>");
    append_escaped(b, cap, &len, webota_err_name(err));
    append(b, cap, &len, "</code> (HTTP ");
    append_uint(b, cap, &len, (uint32_t)status);
    append(b, cap, &len, "). The running firmware is unchanged.</p>"
                         "<p><a href=\"./\">Back to the updater</a></p></body></html>");
    return len;
}

/* The success page of the form route; the device reboots after sending it. */
size_t webota_api_installed_html(webota_api_t *api, const char *project, const char *version,
                                 const char *slot)
{
    char *b = api->buf;
    size_t cap = sizeof(api->buf), len = 0;
    b[0] = '\0';
    append(b, cap, &len,
           HTML_HEAD
           /* relative: the form is at <prefix>/update, the page at <prefix>/ */
           "<meta http-equiv=\"refresh\" content=\"15;url=./\">"
           "<title>Firmware installed</title></head><body><h1>Firmware installed</h1><p>");
    append_escaped(b, cap, &len, project);
    append(b, cap, &len, " ");
    append_escaped(b, cap, &len, version);
    append(b, cap, &len, " was written to ");
    append_escaped(b, cap, &len, slot);
    append(b, cap, &len,
           ". The device is rebooting into it.</p><p><a href=\"./\">Back to the updater</a> "
           "(this page returns there in 15 seconds).</p></body></html>");
    return len;
}
