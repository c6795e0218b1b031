/* The peer in `make bench`: an OTA upload server on Mongoose 7.22 (its
 * mongoose.c is taken from a local mirror by bench/run.sh, never committed),
 * doing per byte what its OTA path does on a device: CRC-32 (mg_crc32) of
 * the stream, and with "sha" also SHA-256 (mg_sha256, the digest a signed
 * update verifies; the one ECDSA verification at the end is not per byte and
 * is left out), the bytes copied into a RAM "flash". Like webota's
 * simulator, the body is streamed (never buffered whole), one upload at a time.
 *
 *   mongoose_ota PORT crc|sha      POST /api/update, answers {"ok":true,...} */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mongoose.h"

#define FLASH_SIZE (4u * 1024u * 1024u)

static uint8_t *s_flash;
static bool s_sha;
static int s_signo;

typedef struct {
    size_t expected, received;
    uint32_t crc;
    mg_sha256_ctx sha;
} upload_t;

static upload_t s_upload;
static struct mg_connection *s_owner;

static void on_signal(int signo)
{
    s_signo = signo;
}

/* noinline: callgrind counts from the entry of this function */
__attribute__((noinline)) static void take_body(struct mg_connection *c, upload_t *u)
{
    size_t n = c->recv.len;
    if (n > u->expected - u->received) {
        n = u->expected - u->received;
    }
    u->crc = mg_crc32(u->crc, (const char *) c->recv.buf, n);
    if (s_sha) {
        mg_sha256_update(&u->sha, c->recv.buf, n);
    }
    if (u->received + n <= FLASH_SIZE) {
        memcpy(s_flash + u->received, c->recv.buf, n); /* "program" */
    }
    u->received += n;
    c->recv.len = 0;
    if (u->received >= u->expected) {
        unsigned char digest[32];
        if (s_sha) {
            mg_sha256_final(digest, &u->sha);
        }
        mg_http_reply(c, 200, "Content-Type: application/json\r\n", "{\"ok\":true,\"size\":%lu,\"crc\":%lu}\n",
                      (unsigned long) u->received, (unsigned long) u->crc);
        memset(u, 0, sizeof(*u));
        s_owner = NULL;
        c->is_draining = 1;
    }
}

static void handler(struct mg_connection *c, int ev, void *ev_data)
{
    upload_t *u = &s_upload; /* one upload at a time: the connection that owns it */
    if (s_owner != c && ev != MG_EV_HTTP_HDRS) {
        if (ev == MG_EV_HTTP_MSG && c->pfn != NULL) {
            mg_http_reply(c, 200, "Content-Type: application/json\r\n", "{\"ok\":true}\n");
        }
        return;
    }
    if (ev == MG_EV_HTTP_HDRS) {
        struct mg_http_message *hm = (struct mg_http_message *) ev_data;
        if (mg_match(hm->uri, mg_str("/api/update"), NULL)) {
            c->pfn = NULL; /* take the body over from the HTTP handler */
            if (hm->body.len == 0 || hm->body.len > FLASH_SIZE) {
                mg_http_reply(c, 413, "", "{\"error\":\"too_large\"}\n");
                c->is_draining = 1;
                return;
            }
            memset(u, 0, sizeof(*u));
            s_owner = c;
            u->expected = hm->body.len;
            if (s_sha) {
                mg_sha256_init(&u->sha);
            }
            mg_iobuf_del(&c->recv, 0, hm->head.len);
        }
    }
    if (ev == MG_EV_CLOSE && s_owner == c) {
        s_owner = NULL;
        memset(u, 0, sizeof(*u));
    } else if ((ev == MG_EV_READ || ev == MG_EV_HTTP_HDRS) && s_owner == c && u->expected > 0 &&
               c->recv.len > 0) {
        take_body(c, u);
    } else if (ev == MG_EV_HTTP_MSG && c->pfn != NULL) {
        mg_http_reply(c, 200, "Content-Type: application/json\r\n", "{\"ok\":true}\n");
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mongoose_ota PORT crc|sha\n");
        return 2;
    }
    s_sha = strcmp(argv[2], "sha") == 0;
    s_flash = malloc(FLASH_SIZE);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%s", argv[1]);
    struct mg_mgr mgr;
    mg_log_set(MG_LL_ERROR);
    mg_mgr_init(&mgr);
    if (s_flash == NULL || mg_http_listen(&mgr, url, handler, NULL) == NULL) {
        fprintf(stderr, "mongoose_ota: cannot listen on %s\n", url);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("mongoose_ota: listening on %s/ (%s)\n", url, s_sha ? "CRC-32 + SHA-256" : "CRC-32");
    fflush(stdout);
    while (s_signo == 0) {
        mg_mgr_poll(&mgr, 50);
    }
    mg_mgr_free(&mgr);
    free(s_flash);
    return 0;
}
