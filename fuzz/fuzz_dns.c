/* libFuzzer target for the captive-portal DNS answer builder
 * (ports/esp-idf/src/webota_dns_msg.c, compiled into this harness because
 * the ESP-IDF port is not part of webota_core). Checks that every answer fits
 * the buffer, echoes the query id and is never produced for a response. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../ports/esp-idf/src/webota_dns_msg.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t ip[4] = {192, 168, 4, 1};
    uint8_t out[WEBOTA_DNS_MSG_MAX];
    size_t out_size = size % 2 ? sizeof(out) : (size / 2) % (sizeof(out) + 1);
    size_t n = webota_dns_answer(data, size, ip, out, out_size);
    if (n > out_size) {
        abort();
    }
    if (n != 0) {
        if (size < WEBOTA_DNS_HEADER_LEN || (data[2] & 0x80) || n < WEBOTA_DNS_HEADER_LEN ||
            memcmp(out, data, 2) != 0 || !(out[2] & 0x80)) {
            abort();
        }
    }
    return 0;
}
