/* The captive portal's DNS answer: every A question gets the access point's
 * address, so that a phone joining the network finds the updater page by
 * itself. Pure message building (no sockets), so that it is tested and fuzzed
 * on the PC; webota_esp_dns.c does the UDP part on the device. */
#ifndef WEBOTA_DNS_MSG_H
#define WEBOTA_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_DNS_HEADER_LEN 12u
#define WEBOTA_DNS_NAME_MAX 255u /* RFC 1035 §2.3.4, length octets included */
#define WEBOTA_DNS_MSG_MAX 512u  /* classic UDP message limit */
#define WEBOTA_DNS_TTL 60u       /* seconds; short, the portal is temporary */

/* Builds the answer to the query q[0..qlen) into out (out_size bytes, at least
 * WEBOTA_DNS_MSG_MAX is always enough) and returns its length, or 0 when
 * nothing must be sent (a response, a message shorter than a header, or an
 * answer that would not fit).
 *  - Standard query, first question A (or ANY) in class IN (or ANY): one A
 *    record with ip (network order), TTL WEBOTA_DNS_TTL.
 *  - Other types (AAAA, HTTPS, ...): no record, no error (NODATA), so that the
 *    client falls back to IPv4.
 *  - Other opcodes: NOTIMP. A malformed question (bad label, compression
 *    pointer, name over 255 bytes, truncated): FORMERR.
 * Only the first question is answered; extra questions and additional
 * records (EDNS) are dropped. */
size_t webota_dns_answer(const uint8_t *q, size_t qlen, const uint8_t ip[4], uint8_t *out,
                         size_t out_size);

#ifdef __cplusplus
}
#endif

#endif
