/* The captive-portal DNS answer (ports/esp-idf/src/webota_dns_msg.c), checked
 * byte by byte and, independently, with the C library's resolver parser
 * (libresolv ns_initparse/ns_parserr). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include "webota_dns_msg.h"

static const uint8_t AP_IP[4] = {192, 168, 4, 1};

/* Builds a query: header with id, flags byte 2, qdcount, arcount; then the
 * dotted name, qtype, qclass. Returns its length. */
static size_t make_query(uint8_t *buf, uint16_t id, uint8_t flags2, uint16_t qdcount,
                         const char *name, uint16_t qtype, uint16_t qclass)
{
    memset(buf, 0, 12);
    buf[0] = (uint8_t)(id >> 8);
    buf[1] = (uint8_t)id;
    buf[2] = flags2;
    buf[4] = (uint8_t)(qdcount >> 8);
    buf[5] = (uint8_t)qdcount;
    size_t n = 12;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        buf[n++] = (uint8_t)len;
        memcpy(buf + n, p, len);
        n += len;
        p += len;
        if (*p == '.') {
            p++;
        }
    }
    buf[n++] = 0;
    buf[n++] = (uint8_t)(qtype >> 8);
    buf[n++] = (uint8_t)qtype;
    buf[n++] = (uint8_t)(qclass >> 8);
    buf[n++] = (uint8_t)qclass;
    return n;
}

static void test_a_query_answered(void **state)
{
    (void)state;
    uint8_t q[512], a[512];
    size_t qlen = make_query(q, 0xBEEF, 0x01 /* RD */, 1, "connectivitycheck.gstatic.com", 1, 1);
    size_t alen = webota_dns_answer(q, qlen, AP_IP, a, sizeof(a));
    assert_int_equal(alen, qlen + 16);
    assert_int_equal(a[0], 0xBE);
    assert_int_equal(a[1], 0xEF);
    assert_int_equal(a[2], 0x80 | 0x04 | 0x01); /* QR, AA, RD copied */
    assert_int_equal(a[3], 0);                  /* NOERROR */
    assert_int_equal(a[5], 1);                  /* QDCOUNT */
    assert_int_equal(a[7], 1);                  /* ANCOUNT */
    assert_memory_equal(a + 12, q + 12, qlen - 12);
    static const uint8_t rr[16] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 168, 4, 1};
    assert_memory_equal(a + qlen, rr, sizeof(rr));

    /* The resolver library reads the same thing. */
    ns_msg msg;
    ns_rr rec;
    assert_int_equal(ns_initparse(a, (int)alen, &msg), 0);
    assert_int_equal(ns_msg_id(msg), 0xBEEF);
    assert_int_equal(ns_msg_getflag(msg, ns_f_qr), 1);
    assert_int_equal(ns_msg_getflag(msg, ns_f_aa), 1);
    assert_int_equal(ns_msg_getflag(msg, ns_f_rcode), ns_r_noerror);
    assert_int_equal(ns_msg_count(msg, ns_s_an), 1);
    assert_int_equal(ns_parserr(&msg, ns_s_an, 0, &rec), 0);
    assert_string_equal(ns_rr_name(rec), "connectivitycheck.gstatic.com");
    assert_int_equal(ns_rr_type(rec), ns_t_a);
    assert_int_equal(ns_rr_class(rec), ns_c_in);
    assert_int_equal(ns_rr_ttl(rec), WEBOTA_DNS_TTL);
    assert_int_equal(ns_rr_rdlen(rec), 4);
    assert_memory_equal(ns_rr_rdata(rec), AP_IP, 4);
}

static void test_any_type_and_class_answered(void **state)
{
    (void)state;
    uint8_t q[512], a[512];
    size_t qlen = make_query(q, 7, 0, 1, "captive.apple.com", 255, 255);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, sizeof(a)), qlen + 16);
    assert_int_equal(a[7], 1);
    assert_int_equal(a[2], 0x80 | 0x04); /* RD not set in the query */
}

static void test_root_name_answered(void **state)
{
    (void)state;
    uint8_t q[512], a[512];
    size_t qlen = make_query(q, 9, 0, 1, "", 1, 1);
    assert_int_equal(qlen, 12 + 1 + 4);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, sizeof(a)), qlen + 16);
}

static void test_aaaa_gets_nodata(void **state)
{
    (void)state;
    uint8_t q[512], a[512];
    size_t qlen = make_query(q, 0x1234, 0x01, 1, "www.msftconnecttest.com", 28, 1);
    size_t alen = webota_dns_answer(q, qlen, AP_IP, a, sizeof(a));
    assert_int_equal(alen, qlen);
    assert_int_equal(a[3], 0);
    assert_int_equal(a[7], 0);
    ns_msg msg;
    assert_int_equal(ns_initparse(a, (int)alen, &msg), 0);
    assert_int_equal(ns_msg_count(msg, ns_s_qd), 1);
    assert_int_equal(ns_msg_count(msg, ns_s_an), 0);
    assert_int_equal(ns_msg_getflag(msg, ns_f_rcode), ns_r_noerror);
}

static void test_chaos_class_gets_nodata(void **state)
{
    (void)state;
    uint8_t q[512], a[512];
    size_t qlen = make_query(q, 1, 0, 1, "version.bind", 1, 3 /* CH */);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, sizeof(a)), qlen);
    assert_int_equal(a[7], 0);
}

static void test_additional_records_and_extra_questions_dropped(void **state)
{
    (void)state;
    uint8_t q[512], a[512];
    size_t qlen = make_query(q, 2, 0x01, 2, "example.com", 1, 1);
    q[11] = 1; /* ARCOUNT 1: an EDNS OPT record follows */
    static const uint8_t opt[11] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
    memcpy(q + qlen, opt, sizeof(opt));
    size_t alen = webota_dns_answer(q, qlen + sizeof(opt), AP_IP, a, sizeof(a));
    assert_int_equal(alen, qlen + 16);
    assert_int_equal(a[5], 1);  /* QDCOUNT 1 */
    assert_int_equal(a[9], 0);  /* NSCOUNT */
    assert_int_equal(a[11], 0); /* ARCOUNT */
    ns_msg msg;
    assert_int_equal(ns_initparse(a, (int)alen, &msg), 0);
}

static void test_responses_and_short_messages_ignored(void **state)
{
    (void)state;
    uint8_t q[512], a[512];
    size_t qlen = make_query(q, 3, 0x80 /* QR */, 1, "example.com", 1, 1);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, sizeof(a)), 0);
    qlen = make_query(q, 3, 0, 1, "example.com", 1, 1);
    assert_int_equal(webota_dns_answer(q, 11, AP_IP, a, sizeof(a)), 0);
    assert_int_equal(webota_dns_answer(NULL, qlen, AP_IP, a, sizeof(a)), 0);
    assert_int_equal(webota_dns_answer(q, qlen, NULL, a, sizeof(a)), 0);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, NULL, sizeof(a)), 0);
}

static void test_other_opcode_gets_notimp(void **state)
{
    (void)state;
    uint8_t q[512], a[512];
    size_t qlen = make_query(q, 0xABCD, (uint8_t)(2 << 3) | 0x01 /* STATUS, RD */, 1, "x", 1, 1);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, sizeof(a)), 12);
    assert_int_equal(a[0], 0xAB);
    assert_int_equal(a[1], 0xCD);
    assert_int_equal(a[2], 0x80 | (2 << 3) | 0x01);
    assert_int_equal(a[3], 4); /* NOTIMP */
    assert_int_equal(a[5], 0);
    assert_int_equal(a[7], 0);
}

static void assert_formerr(const uint8_t *q, size_t qlen)
{
    uint8_t a[512];
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, sizeof(a)), 12);
    assert_int_equal(a[0], q[0]);
    assert_int_equal(a[1], q[1]);
    assert_int_equal(a[3], 1); /* FORMERR */
    assert_int_equal(a[7], 0);
}

static void test_malformed_questions_get_formerr(void **state)
{
    (void)state;
    uint8_t q[600];
    size_t qlen = make_query(q, 4, 0, 0 /* QDCOUNT 0 */, "example.com", 1, 1);
    assert_formerr(q, qlen);

    qlen = make_query(q, 5, 0, 1, "example.com", 1, 1);
    assert_formerr(q, qlen - 1); /* QCLASS cut */
    assert_formerr(q, 12 + 5);   /* name cut */

    qlen = make_query(q, 6, 0, 1, "example.com", 1, 1);
    q[12] = 0xC0; /* compression pointer in the question */
    q[13] = 0x0C;
    assert_formerr(q, qlen);

    qlen = make_query(q, 7, 0, 1, "example.com", 1, 1);
    q[12] = 0x47; /* label length 71 (> 63) */
    assert_formerr(q, qlen);
}

static void test_name_length_limit(void **state)
{
    (void)state;
    uint8_t q[600], a[600];
    /* 4 labels of 63 bytes: 4*64 + 1 = 257 octets, over the limit. */
    char name[300];
    size_t n = 0;
    for (int l = 0; l < 4; l++) {
        memset(name + n, 'a', 63);
        n += 63;
        name[n++] = '.';
    }
    name[n - 1] = 0;
    size_t qlen = make_query(q, 8, 0, 1, name, 1, 1);
    assert_formerr(q, qlen);
    /* 3 labels of 63 + one of 61: 3*64 + 62 + 1 = 255 octets, the maximum. */
    name[3 * 64 + 61] = 0;
    qlen = make_query(q, 8, 0, 1, name, 1, 1);
    assert_int_equal(qlen, 12 + 255 + 4);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, sizeof(a)), qlen + 16);
}

static void test_output_buffer_bounds(void **state)
{
    (void)state;
    uint8_t q[512], a[512];
    size_t qlen = make_query(q, 9, 0, 1, "example.com", 1, 1);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, qlen + 15), 0);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, qlen + 16), qlen + 16);
    qlen = make_query(q, 9, 0, 0, "example.com", 1, 1);
    assert_int_equal(webota_dns_answer(q, qlen, AP_IP, a, 11), 0); /* error header does not fit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_query_answered),
        cmocka_unit_test(test_any_type_and_class_answered),
        cmocka_unit_test(test_root_name_answered),
        cmocka_unit_test(test_aaaa_gets_nodata),
        cmocka_unit_test(test_chaos_class_gets_nodata),
        cmocka_unit_test(test_additional_records_and_extra_questions_dropped),
        cmocka_unit_test(test_responses_and_short_messages_ignored),
        cmocka_unit_test(test_other_opcode_gets_notimp),
        cmocka_unit_test(test_malformed_questions_get_formerr),
        cmocka_unit_test(test_name_length_limit),
        cmocka_unit_test(test_output_buffer_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
