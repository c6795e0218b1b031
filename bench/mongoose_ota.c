/* The peer in `make bench`: Mongoose 7.22's own push OTA server (its
 * mongoose.c is taken from a local mirror by bench/run.sh, never committed).
 * POST /api/update is handed to mg_http_start_ota, Mongoose's upload handler,
 * which streams the body into the mg_ota_* port in 512-byte-aligned pieces.
 * This file is that port (MG_OTA_CUSTOM), doing per byte what a device port
 * does: CRC-32 (mg_crc32) of the stream, with "sha" also SHA-256
 * (mg_sha256, the digest a signed update verifies; the one ECDSA check at the
 * end is not per byte and is left out), the bytes copied into a RAM "flash".
 *
 *   mongoose_ota PORT crc|sha      answers 200 "ok" like Mongoose's default */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mongoose.h"

#define FLASH_SIZE (4u * 1024u * 1024u)

static uint8_t *s_flash;
static bool s_sha;
static int s_signo;
static struct {
    size_t expected, received;
    uint32_t crc;
    mg_sha256_ctx sha;
} s_ota;

static void on_signal(int signo)
{
    s_signo = signo;
}

bool mg_ota_begin(size_t new_firmware_size)
{
    if (new_firmware_size == 0 || new_firmware_size > FLASH_SIZE)
        return false;
    memset(&s_ota, 0, sizeof s_ota);
    s_ota.expected = new_firmware_size;
    if (s_sha)
        mg_sha256_init(&s_ota.sha);
    return true;
}

bool mg_ota_write(const void *buf, size_t len)
{
    if (len > s_ota.expected - s_ota.received)
        return false;
    s_ota.crc = mg_crc32(s_ota.crc, (const char *) buf, len);
    if (s_sha)
        mg_sha256_update(&s_ota.sha, buf, len);
    memcpy(s_flash + s_ota.received, buf, len); /* "program" */
    s_ota.received += len;
    return true;
}

bool mg_ota_end(void)
{
    unsigned char digest[32];
    bool ok = s_ota.expected > 0 && s_ota.received == s_ota.expected;
    if (s_sha)
        mg_sha256_final(digest, &s_ota.sha);
    memset(&s_ota, 0, sizeof s_ota);
    return ok;
}

static void handler(struct mg_connection *c, int ev, void *ev_data)
{
    if (ev == MG_EV_HTTP_HDRS) {
        struct mg_http_message *hm = (struct mg_http_message *) ev_data;
        if (mg_match(hm->uri, mg_str("/api/update"), NULL))
            mg_http_start_ota(c, hm, NULL); /* Mongoose's own OTA upload path */
    } else if (ev == MG_EV_HTTP_MSG) {
        mg_http_reply(c, 404, "", "not found\n");
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
