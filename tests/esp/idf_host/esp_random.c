/* Host stand-in (tests only) of ESP-IDF's esp_random/esp_fill_random: the
 * host's getrandom (the upload ids of resumable uploads must be unguessable
 * here too). */
#include <stdlib.h>
#include <sys/random.h>

#include "esp_random.h"

void esp_fill_random(void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom((char *)buf + got, len - got, 0);
        if (n <= 0) {
            abort();
        }
        got += (size_t)n;
    }
}

uint32_t esp_random(void)
{
    uint32_t v;
    esp_fill_random(&v, sizeof(v));
    return v;
}
