#include <string.h>

#include "webota_dns_msg.h"

enum {
    FLAG_QR = 0x80, /* byte 2 */
    FLAG_AA = 0x04, /* byte 2 */
    FLAG_RD = 0x01, /* byte 2 */
    RCODE_FORMERR = 1,
    RCODE_NOTIMP = 4,
    TYPE_A = 1,
    TYPE_ANY = 255,
    CLASS_IN = 1,
    CLASS_ANY = 255,
};

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Length of the question name at q[off], or 0 when it is malformed. */
static size_t name_len(const uint8_t *q, size_t qlen, size_t off)
{
    size_t n = 0;
    for (;;) {
        if (off + n >= qlen) {
            return 0;
        }
        uint8_t label = q[off + n];
        if (label > 63) { /* compression pointer or reserved bits: not in a query */
            return 0;
        }
        n += 1u + label;
        if (n > WEBOTA_DNS_NAME_MAX) {
            return 0;
        }
        if (label == 0) {
            return n;
        }
    }
}

/* Header-only answer carrying an error code. */
static size_t error_answer(const uint8_t *q, uint8_t *out, size_t out_size, unsigned rcode)
{
    if (out_size < WEBOTA_DNS_HEADER_LEN) {
        return 0;
    }
    memset(out, 0, WEBOTA_DNS_HEADER_LEN);
    out[0] = q[0];
    out[1] = q[1];
    out[2] = (uint8_t)(FLAG_QR | (q[2] & 0x78) | (q[2] & FLAG_RD)); /* opcode echoed */
    out[3] = (uint8_t)rcode;
    return WEBOTA_DNS_HEADER_LEN;
}

size_t webota_dns_answer(const uint8_t *q, size_t qlen, const uint8_t ip[4], uint8_t *out,
                         size_t out_size)
{
    if (q == NULL || ip == NULL || out == NULL || qlen < WEBOTA_DNS_HEADER_LEN) {
        return 0;
    }
    if (q[2] & FLAG_QR) { /* a response: never answer it (no loops) */
        return 0;
    }
    if (((q[2] >> 3) & 0x0F) != 0) {
        return error_answer(q, out, out_size, RCODE_NOTIMP);
    }
    if (get16(q + 4) == 0) {
        return error_answer(q, out, out_size, RCODE_FORMERR);
    }
    size_t nlen = name_len(q, qlen, WEBOTA_DNS_HEADER_LEN);
    if (nlen == 0 || WEBOTA_DNS_HEADER_LEN + nlen + 4 > qlen) {
        return error_answer(q, out, out_size, RCODE_FORMERR);
    }
    size_t qend = WEBOTA_DNS_HEADER_LEN + nlen + 4;
    unsigned qtype = get16(q + qend - 4);
    unsigned qclass = get16(q + qend - 2);
    int answer = (qtype == TYPE_A || qtype == TYPE_ANY) && (qclass == CLASS_IN || qclass == CLASS_ANY);
    size_t total = qend + (answer ? 16u : 0u);
    if (total > out_size) {
        return 0;
    }

    memcpy(out, q, qend);
    out[2] = (uint8_t)(FLAG_QR | FLAG_AA | (q[2] & FLAG_RD));
    out[3] = 0; /* RA 0, RCODE NOERROR */
    put16(out + 4, 1);
    put16(out + 6, answer ? 1u : 0u);
    put16(out + 8, 0);
    put16(out + 10, 0);
    if (answer) {
        uint8_t *a = out + qend;
        a[0] = 0xC0; /* pointer to the question name at offset 12 */
        a[1] = WEBOTA_DNS_HEADER_LEN;
        put16(a + 2, TYPE_A);
        put16(a + 4, CLASS_IN);
        a[6] = (uint8_t)(WEBOTA_DNS_TTL >> 24);
        a[7] = (uint8_t)(WEBOTA_DNS_TTL >> 16);
        a[8] = (uint8_t)(WEBOTA_DNS_TTL >> 8);
        a[9] = (uint8_t)WEBOTA_DNS_TTL;
        put16(a + 10, 4);
        memcpy(a + 12, ip, 4);
    }
    return total;
}
