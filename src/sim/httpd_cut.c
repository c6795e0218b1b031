/* Answers to half-closed short bodies (see httpd_cut.h). */
#include "sim/httpd_cut.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "webota/json.h"

void sim_httpd_cut_answer(webota_api_response_t *resp, char *buf, size_t cap, uint64_t received,
                          int64_t announced)
{
    char msg[200];
    if (announced >= 0) {
        snprintf(msg, sizeof(msg),
                 "the body ended after %llu of the %lld bytes announced by Content-Length (the "
                 "client closed its side): nothing was installed; send the whole image",
                 (unsigned long long)received, (long long)announced);
    } else {
        snprintf(msg, sizeof(msg),
                 "the chunked body ended after %llu bytes, before its last chunk (the client "
                 "closed its side): nothing was installed; send the whole image",
                 (unsigned long long)received);
    }
    webota_json_t j;
    webota_json_init(&j, buf, cap);
    webota_json_obj_begin(&j);
    webota_json_key(&j, "error");
    webota_json_str(&j, webota_err_name(WEBOTA_ERR_UPD_LENGTH));
    webota_json_key(&j, "message");
    webota_json_str(&j, msg);
    webota_json_obj_end(&j);
    size_t len = 0;
    (void)webota_json_end(&j, &len); /* cap is the api's answer size: it fits */
    memset(resp, 0, sizeof(*resp));
    resp->status = 400;
    resp->content_type = "application/json";
    resp->cache_control = "no-store";
    resp->body = (const unsigned char *)buf;
    resp->body_len = len;
}

static bool send_text(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool sim_httpd_cut_send(int fd, const webota_api_response_t *resp)
{
    char head[1024];
    const char *reason = MHD_get_reason_phrase_for((unsigned)resp->status);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: %zu\r\n"
                     "X-Content-Type-Options: nosniff\r\n",
                     resp->status, reason != NULL && *reason ? reason : "Error", resp->body_len);
    const char *names[] = {"Content-Type", "Content-Encoding", "Cache-Control", "WWW-Authenticate",
                           "Allow"};
    const char *values[] = {resp->content_type, resp->content_encoding, resp->cache_control,
                            resp->www_authenticate, resp->allow};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (values[i] != NULL && n > 0 && (size_t)n < sizeof(head)) {
            n += snprintf(head + n, sizeof(head) - (size_t)n, "%s: %s\r\n", names[i], values[i]);
        }
    }
    if (n <= 0 || (size_t)n + 2 >= sizeof(head)) {
        return false;
    }
    memcpy(head + n, "\r\n", 3);
    return send_text(fd, head, (size_t)n + 2) && send_text(fd, resp->body, resp->body_len);
}
