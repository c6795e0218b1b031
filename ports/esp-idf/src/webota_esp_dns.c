/* The captive portal's DNS responder: a small task on UDP port 53 (lwIP
 * sockets) answering every A query with the access point's address
 * (webota_dns_msg.c builds the answers). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "lwip/sockets.h"

#include "webota_dns_msg.h"
#include "webota_esp_internal.h"

static const char *TAG = WEBOTA_ESP_TAG;

#define DNS_PORT 53
#define DNS_TASK_STACK 3072
#define DNS_POLL_MS 500 /* how often the task looks at the stop flag */

typedef struct dns {
    int sock;
    uint8_t ip[4];
    volatile bool stop;
    TaskHandle_t task;
    uint8_t in[WEBOTA_DNS_MSG_MAX];
    uint8_t out[WEBOTA_DNS_MSG_MAX];
} dns_t;

static dns_t *s_dns;

static void dns_task(void *arg)
{
    dns_t *d = arg;
    while (!d->stop) {
        struct sockaddr_in from;
        socklen_t from_len = sizeof(from);
        int n = recvfrom(d->sock, d->in, sizeof(d->in), 0, (struct sockaddr *)&from, &from_len);
        if (n <= 0) {
            continue; /* timeout (stop flag check) or a transient error */
        }
        size_t len = webota_dns_answer(d->in, (size_t)n, d->ip, d->out, sizeof(d->out));
        if (len > 0) {
            sendto(d->sock, d->out, len, 0, (struct sockaddr *)&from, from_len);
        }
    }
    close(d->sock);
    free(d);
    vTaskDelete(NULL);
}

esp_err_t webota_esp_dns_start(const uint8_t ip[4])
{
    if (s_dns != NULL) {
        return ESP_ERR_INVALID_STATE;
    }
    dns_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return ESP_ERR_NO_MEM;
    }
    memcpy(d->ip, ip, 4);
    d->sock = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (d->sock < 0) {
        ESP_LOGE(TAG, "DNS: socket failed (errno %d)", errno);
        free(d);
        return ESP_FAIL;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(DNS_PORT);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    struct timeval tv = {.tv_sec = 0, .tv_usec = DNS_POLL_MS * 1000};
    if (bind(d->sock, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        setsockopt(d->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
        ESP_LOGE(TAG, "DNS: cannot listen on UDP port %d (errno %d)", DNS_PORT, errno);
        close(d->sock);
        free(d);
        return ESP_FAIL;
    }
    if (xTaskCreate(dns_task, "webota_dns", DNS_TASK_STACK, d, tskIDLE_PRIORITY + 4, &d->task) != pdPASS) {
        close(d->sock);
        free(d);
        return ESP_ERR_NO_MEM;
    }
    s_dns = d;
    ESP_LOGI(TAG, "captive portal: every name resolves to %u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
    return ESP_OK;
}

void webota_esp_dns_stop(void)
{
    if (s_dns != NULL) {
        s_dns->stop = true; /* the task closes the socket and frees itself */
        s_dns = NULL;
    }
}
