/* esp_http_client stand-in (tests only): GET over a POSIX socket, headers
 * reported through the event handler as ESP-IDF does (HTTP_EVENT_ON_HEADER),
 * the body read with esp_http_client_read. Only what the pull client uses. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "esp_http_client.h"

#define HDRS_MAX 2048
#define IN_MAX 8192

struct esp_http_client {
    esp_http_client_config_t cfg;
    char url[512];
    char extra[HDRS_MAX]; /* request headers set by the caller */
    int fd;
    int status;
    int64_t length; /* Content-Length, -1 unknown */
    int64_t got;    /* body bytes read */
    bool eof;
    char in[HDRS_MAX + IN_MAX]; /* bytes received after the headers, not read yet */
    size_t in_off, in_len;
};

esp_http_client_handle_t esp_http_client_init(const esp_http_client_config_t *config)
{
    if (config == NULL || config->url == NULL || strlen(config->url) >= 512) {
        return NULL;
    }
    esp_http_client_handle_t c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->cfg = *config;
    strcpy(c->url, config->url);
    c->cfg.url = c->url;
    c->fd = -1;
    c->length = -1;
    return c;
}

esp_err_t esp_http_client_set_header(esp_http_client_handle_t c, const char *key, const char *value)
{
    size_t have = strlen(c->extra);
    int n = snprintf(c->extra + have, sizeof(c->extra) - have, "%s: %s\r\n", key, value);
    return n > 0 && (size_t)n < sizeof(c->extra) - have ? ESP_OK : ESP_ERR_NO_MEM;
}

esp_err_t esp_http_client_open(esp_http_client_handle_t c, int write_len)
{
    (void)write_len;
    if (strncmp(c->url, "http://", 7) != 0) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    char host[256], port[8] = "80";
    const char *h = c->url + 7, *path = strchr(h, '/');
    size_t hl = path ? (size_t)(path - h) : strlen(h);
    if (hl == 0 || hl >= sizeof(host)) {
        return ESP_ERR_INVALID_ARG;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *colon = strchr(host, ':');
    if (colon != NULL) {
        snprintf(port, sizeof(port), "%s", colon + 1);
        *colon = '\0';
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0) {
        return ESP_FAIL;
    }
    c->fd = socket(ai->ai_family, ai->ai_socktype, 0);
    struct timeval tv = {c->cfg.timeout_ms / 1000, (c->cfg.timeout_ms % 1000) * 1000};
    if (c->fd >= 0) {
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    bool ok = c->fd >= 0 && connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0;
    freeaddrinfo(ai);
    if (!ok) {
        return ESP_FAIL;
    }
    char req[HDRS_MAX + 1024];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: %s\r\nConnection: close\r\n%s\r\n",
                     path ? path : "/", (int)hl, h, c->cfg.user_agent ? c->cfg.user_agent : "esp-idf", c->extra);
    return n > 0 && (size_t)n < sizeof(req) && send(c->fd, req, (size_t)n, MSG_NOSIGNAL) == n ? ESP_OK : ESP_FAIL;
}

static void header(esp_http_client_handle_t c, char *line)
{
    char *colon = strchr(line, ':');
    if (colon == NULL) {
        return;
    }
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ') {
        v++;
    }
    if (strcasecmp(line, "Content-Length") == 0) {
        c->length = strtoll(v, NULL, 10);
    }
    if (c->cfg.event_handler != NULL) {
        esp_http_client_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.event_id = HTTP_EVENT_ON_HEADER;
        ev.client = c;
        ev.user_data = c->cfg.user_data;
        ev.header_key = line;
        ev.header_value = v;
        c->cfg.event_handler(&ev);
    }
}

int64_t esp_http_client_fetch_headers(esp_http_client_handle_t c)
{
    char buf[HDRS_MAX + IN_MAX];
    size_t len = 0;
    char *end = NULL;
    while (end == NULL) {
        if (len == sizeof(buf) - 1) {
            return -1;
        }
        ssize_t n = recv(c->fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (n <= 0) {
            return -1;
        }
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    *end = '\0';
    size_t body = (size_t)(end + 4 - buf);
    memcpy(c->in, end + 4, len - body);
    c->in_len = len - body;
    char *save = NULL;
    char *line = strtok_r(buf, "\r\n", &save);
    if (line == NULL || sscanf(line, "HTTP/%*d.%*d %d", &c->status) != 1) {
        return -1;
    }
    while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
        header(c, line);
    }
    return c->length >= 0 ? c->length : 0;
}

int esp_http_client_read(esp_http_client_handle_t c, char *buffer, int len)
{
    if (len <= 0 || (c->length >= 0 && c->got >= c->length)) {
        return 0;
    }
    if (c->length >= 0 && c->length - c->got < len) {
        len = (int)(c->length - c->got);
    }
    int n;
    if (c->in_off < c->in_len) {
        n = (int)(c->in_len - c->in_off) < len ? (int)(c->in_len - c->in_off) : len;
        memcpy(buffer, c->in + c->in_off, (size_t)n);
        c->in_off += (size_t)n;
    } else {
        ssize_t r = recv(c->fd, buffer, (size_t)len, 0);
        if (r < 0) {
            return -1;
        }
        if (r == 0) {
            c->eof = true;
            return 0;
        }
        n = (int)r;
    }
    c->got += n;
    return n;
}

int esp_http_client_get_status_code(esp_http_client_handle_t c)
{
    return c->status;
}

bool esp_http_client_is_complete_data_received(esp_http_client_handle_t c)
{
    return c->length >= 0 ? c->got == c->length : c->eof;
}

esp_err_t esp_http_client_close(esp_http_client_handle_t c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    return ESP_OK;
}

esp_err_t esp_http_client_cleanup(esp_http_client_handle_t c)
{
    esp_http_client_close(c);
    free(c);
    return ESP_OK;
}
