/* Integration: the real `webota sim` on 127.0.0.1 (a free port, a private
 * directory), driven over HTTP by a small socket client (and curl for the
 * multipart and chunked paths): updates into ota_0 then ota_1, refusals of
 * every bad image kind with the flash's otadata unchanged, client abort,
 * concurrent upload, cross-origin, 411/413/415/400, the no-updater image
 * refused then forced and rolled back by the watchdog, confirm/rollback/reboot,
 * the server's limits (header size, connections per client, idle timeout of a
 * stalled upload) and what it tells a first-time user. After every failed or
 * abandoned upload the whole flash outside the slot being written is
 * byte-identical to before. Every wait is bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/device.h"
#include "sim/httpd.h"
#include "testutil.h"
#include "webota/api.h"
#include "webota/chip.h"

static pid_t sim_pid = -1;
static int sim_out = -1; /* the sim's stdout */
static unsigned port;
static char dir[512];
static char simlog[1 << 16];
static size_t simlog_len;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads the sim's output until `needle` appears after position *from (which
 * then moves past it); fails after `timeout` seconds. */
static void wait_log(const char *needle, size_t *from, double timeout)
{
    double end = now_s() + timeout;
    for (;;) {
        simlog[simlog_len] = '\0';
        char *hit = strstr(simlog + *from, needle);
        if (hit != NULL) {
            *from = (size_t)(hit - simlog) + strlen(needle);
            return;
        }
        double left = end - now_s();
        if (left <= 0) {
            fail_msg("the simulator did not print \"%s\" within %.0f s; its output:\n%s", needle,
                     timeout, simlog);
        }
        struct pollfd p = {sim_out, POLLIN, 0};
        if (poll(&p, 1, (int)(left * 1000) + 1) > 0) {
            ssize_t n = read(sim_out, simlog + simlog_len, sizeof(simlog) - 1 - simlog_len);
            if (n <= 0) {
                simlog[simlog_len] = '\0';
                fail_msg("the simulator exited while waiting for \"%s\":\n%s", needle, simlog);
            }
            simlog_len += (size_t)n;
        }
    }
}

static size_t log_pos;

/* Starts `webota sim --port 0 --watchdog 1 --confirm MODE [extra...]` in a
 * folder `sub` of the test's temporary directory (created; a flash already
 * there is used again) with `env` (NULL or "NAME=value") added to its
 * environment, and reads the port it prints. */
static void start_sim_with(const char *sub, const char *confirm, const char *const *extra,
                           const char *env)
{
    snprintf(dir, sizeof(dir), "%s/%s", tu_tmpdir(), sub);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fail_msg("mkdir %s: %s", dir, strerror(errno));
    }
    simlog_len = 0;
    simlog[0] = '\0';
    log_pos = 0;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    sim_pid = fork();
    assert_true(sim_pid >= 0);
    if (sim_pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        if (chdir(dir) != 0) {
            _exit(127);
        }
        if (env != NULL) {
            putenv((char *)(uintptr_t)env);
        }
        const char *args[24] = {WEBOTA_BIN, "sim", "--port", "0", "--watchdog", "1", "--confirm",
                                confirm};
        size_t n = 8;
        for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++) {
            args[n++] = extra[i];
        }
        args[n] = NULL;
        execv(WEBOTA_BIN, (char *const *)(uintptr_t)args);
        _exit(127);
    }
    close(fds[1]);
    sim_out = fds[0];
    wait_log("listening on http://127.0.0.1:", &log_pos, 30);
    port = (unsigned)strtoul(simlog + log_pos, NULL, 10);
    assert_true(port > 0 && port < 65536);
}

static void start_sim(const char *sub, const char *confirm)
{
    start_sim_with(sub, confirm, NULL, NULL);
}

/* Ctrl-C: the simulator stops cleanly (exit 0, "stopped"). */
static void stop_sim(void)
{
    kill(sim_pid, SIGINT);
    int wst = 0;
    double end = now_s() + 20;
    while (waitpid(sim_pid, &wst, WNOHANG) == 0) {
        assert_true(now_s() < end);
        usleep(20000);
    }
    sim_pid = -1;
    assert_true(WIFEXITED(wst));
    assert_int_equal(WEXITSTATUS(wst), 0);
    wait_log("webota sim: stopped", &log_pos, 5);
    close(sim_out);
    sim_out = -1;
}

/* ---- a small HTTP/1.1 client ---- */

typedef struct {
    int status;
    char head[4096];
    char body[8192];
} resp_t;

static int connect_sim(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        fail_msg("connect to 127.0.0.1:%u: %s", port, strerror(errno));
    }
    return s;
}

/* A connection from another loopback address (127.0.0.2, ...: another client). */
static int connect_from(const char *src)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, src, &a.sin_addr), 1);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        fail_msg("bind %s: %s", src, strerror(errno));
    }
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        fail_msg("connect from %s: %s", src, strerror(errno));
    }
    return s;
}

/* True once the server has closed (or reset) the connection. */
static bool closed_by_server(int s)
{
    char b[256];
    for (;;) {
        ssize_t n = recv(s, b, sizeof(b), MSG_DONTWAIT);
        if (n > 0) {
            continue; /* an answer (408): read on to the end */
        }
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
}

static void send_all(int s, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(s, p, len, MSG_NOSIGNAL);
        if (n <= 0) {
            return; /* the server may answer early and close: the answer is read next */
        }
        p += n;
        len -= (size_t)n;
    }
}

static void send_head(int s, const char *method, const char *path, const char *extra)
{
    char h[2048];
    snprintf(h, sizeof(h), "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%s\r\n",
             method, path, port, extra ? extra : "");
    send_all(s, h, strlen(h));
}

static void read_resp(int s, resp_t *r)
{
    static char buf[1 << 16];
    size_t len = 0;
    double end = now_s() + 30;
    for (;;) {
        struct pollfd p = {s, POLLIN, 0};
        int left = (int)((end - now_s()) * 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            fail_msg("no complete answer within 30 s");
        }
        ssize_t n = recv(s, buf + len, sizeof(buf) - 1 - len, 0);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    close(s);
    buf[len] = '\0';
    memset(r, 0, sizeof(*r));
    char *sep = strstr(buf, "\r\n\r\n");
    if (sep == NULL || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        fail_msg("malformed answer: %s", buf);
    }
    size_t hl = (size_t)(sep - buf);
    memcpy(r->head, buf, hl < sizeof(r->head) - 1 ? hl : sizeof(r->head) - 1);
    snprintf(r->body, sizeof(r->body), "%s", sep + 4);
}

static void request(const char *method, const char *path, const char *extra, const void *body,
                    size_t len, resp_t *r)
{
    int s = connect_sim();
    send_head(s, method, path, extra);
    if (len > 0) {
        send_all(s, body, len);
    }
    read_resp(s, r);
}

static void upload(const char *path, const void *img, size_t len, resp_t *r)
{
    char extra[200];
    snprintf(extra, sizeof(extra), "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n",
             len);
    request("POST", path, extra, img, len, r);
}

static void expect(const resp_t *r, int status, const char *needle)
{
    if (r->status != status || (needle != NULL && strstr(r->body, needle) == NULL)) {
        fail_msg("want %d with %s, got %d: %s", status, needle ? needle : "-", r->status, r->body);
    }
}

static void status_expect(const char *needle)
{
    resp_t r;
    request("GET", "/api/status", NULL, NULL, 0, &r);
    expect(&r, 200, needle);
}

static uint8_t *read_in_dir(const char *name, size_t *len)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    uint8_t *d = tu_read_file(p, len);
    assert_non_null(d);
    return d;
}

/* The flash file (two-ota layout, 4 MiB). */
static uint8_t *flash_now(void)
{
    size_t len;
    uint8_t *f = read_in_dir("webota-flash.bin", &len);
    assert_int_equal(len, 0x400000);
    return f;
}

#define OTADATA 0xd000u
#define OTADATA_SIZE 0x2000u

/* Everything outside [slot, slot + size) is as in `before`: the table, the
 * running firmware and the other slot were not touched; otadata too unless
 * `otadata_may_drop` (see check_stalled_upload). */
static void flash_same_outside(const uint8_t *before, uint32_t slot, uint32_t size,
                               bool otadata_may_drop)
{
    uint8_t *now = flash_now();
    for (uint32_t i = 0; i < 0x400000; i++) {
        bool in_otadata = i >= OTADATA && i < OTADATA + OTADATA_SIZE;
        if (in_otadata && otadata_may_drop) {
            continue;
        }
        if ((i < slot || i >= slot + size) && now[i] != before[i]) {
            fail_msg("flash changed at 0x%x (outside the slot 0x%x..0x%x): %02x -> %02x", i, slot,
                     slot + size, before[i], now[i]);
        }
    }
    free(now);
}

/* Polls GET /api/status until its body contains `needle`, for at most
 * `timeout` seconds. */
static void wait_status_within(const char *needle, double timeout)
{
    double end = now_s() + timeout;
    for (;;) {
        resp_t st;
        request("GET", "/api/status", NULL, NULL, 0, &st);
        if (strstr(st.body, needle) != NULL) {
            return;
        }
        if (now_s() >= end) {
            fail_msg("status never showed %s; last: %s", needle, st.body);
        }
        usleep(20000);
    }
}

static void wait_status(const char *needle)
{
    wait_status_within(needle, 20);
}

/* The server answers a request on a fresh connection (used after limits). */
static void still_serves(void)
{
    status_expect("\"chip\":\"esp32\"");
}

/* Limits of src/sim/httpd.h: a header block larger than a connection's
 * memory gets 431; the ninth connection from one client is dropped while
 * eight are open; the server serves normally afterwards. */
static void check_limits(void)
{
    resp_t r;
    size_t big = SIM_HTTPD_CONN_MEMORY + 1024;
    char *extra = malloc(big + 32);
    memcpy(extra, "X-Big: ", 7);
    memset(extra + 7, 'a', big);
    memcpy(extra + 7 + big, "\r\n", 3);
    int s = connect_sim();
    char h[256];
    snprintf(h, sizeof(h), "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n", port);
    send_all(s, h, strlen(h));
    send_all(s, extra, strlen(extra));
    send_all(s, "\r\n", 2);
    free(extra);
    read_resp(s, &r);
    if (r.status != 431 && r.status != 413) {
        fail_msg("an oversized header block got %d, want 431", r.status);
    }
    still_serves();

    int held[SIM_HTTPD_MAX_PER_IP];
    for (int i = 0; i < SIM_HTTPD_MAX_PER_IP; i++) {
        held[i] = connect_sim();
    }
    s = connect_sim(); /* the kernel accepts it; the server closes it at once */
    send_head(s, "GET", "/api/status", NULL);
    char buf[64];
    struct pollfd p = {s, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 10000), 1);
    ssize_t n = recv(s, buf, sizeof(buf), 0);
    if (n > 0) {
        fail_msg("connection %d from one client was served (limit %d)", SIM_HTTPD_MAX_PER_IP + 1,
                 SIM_HTTPD_MAX_PER_IP);
    }
    close(s);
    for (int i = 0; i < SIM_HTTPD_MAX_PER_IP; i++) {
        close(held[i]);
    }
    /* the server notices the closes asynchronously: until it has, a new
     * connection may still be over the limit and be dropped (bounded retry) */
    double end = now_s() + 10;
    for (;;) {
        s = connect_sim();
        send_head(s, "GET", "/api/status", NULL);
        p.fd = s;
        if (poll(&p, 1, 5000) == 1 && recv(s, buf, 12, MSG_PEEK) > 0) {
            read_resp(s, &r);
            expect(&r, 200, "\"chip\":\"esp32\"");
            break;
        }
        close(s);
        assert_true(now_s() < end);
        usleep(50000);
    }
}

/* A client that sends part of an upload and then nothing: after the idle
 * timeout the server closes the connection and the session is aborted. */
static void check_stalled_upload(const uint8_t *img, size_t len, const char *running)
{
    uint8_t *before = flash_now();
    char extra[200];
    snprintf(extra, sizeof(extra), "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n", len);
    int s = connect_sim();
    send_head(s, "POST", "/api/update", extra);
    send_all(s, img, len / 3);
    struct pollfd p = {s, POLLIN, 0};
    /* bounded well above SIM_HTTPD_TIMEOUT_S; not a timing assertion */
    assert_int_equal(poll(&p, 1, (SIM_HTTPD_TIMEOUT_S + 30) * 1000), 1);
    char buf[64];
    assert_true(recv(s, buf, sizeof(buf), 0) <= 0); /* closed without an answer */
    close(s);
    wait_status_within("\"error\":\"aborted\"", 30);
    resp_t st;
    request("GET", "/api/status", NULL, NULL, 0, &st);
    uint32_t slot = 0;
    const char *next = strstr(st.body, "\"next\":{\"label\":");
    assert_non_null(next);
    assert_int_equal(sscanf(strstr(next, "\"offset\":"), "\"offset\":%u", &slot), 1);
    /* Opening a slot that an otadata entry still points at erases that entry
     * (as esp_ota_begin does: a half-written slot must never be a rollback
     * target); the running firmware's entry and state stay. */
    flash_same_outside(before, slot, 0x100000, true);
    assert_non_null(strstr(st.body, running));
    uint8_t *now = flash_now();
    size_t kept = 0;
    for (uint32_t sec = OTADATA; sec < OTADATA + OTADATA_SIZE; sec += 0x1000) {
        kept += memcmp(now + sec, before + sec, 32) == 0 && before[sec] != 0xff;
    }
    assert_int_equal(kept, 1); /* the running slot's entry, byte for byte */
    free(now);
    free(before);
}

/* Sends the head and the first `part` bytes of body, then half-closes (the
 * client's side only: it still reads) and reads the answer. */
static void half_closed(const char *extra, const void *body, size_t part, resp_t *r)
{
    int s = connect_sim();
    send_head(s, "POST", "/api/update", extra);
    send_all(s, body, part);
    assert_int_equal(shutdown(s, SHUT_WR), 0);
    read_resp(s, r);
}

/* A body shorter than its Content-Length (or a chunked body without its last
 * chunk) whose client half-closes gets an answer: 400 length_mismatch naming
 * the byte counts, or the refusal already found in the body; the session ends
 * as for any client that left; nothing outside the slot changes. */
static void check_half_closed_bodies(const uint8_t *good, size_t glen)
{
    uint8_t *before = flash_now();
    char extra[200], want[160];
    resp_t r;
    snprintf(extra, sizeof(extra), "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n",
             glen);
    half_closed(extra, good, glen / 2, &r);
    snprintf(want, sizeof(want), "the body ended after %zu of the %zu bytes announced by Content-Length",
             glen / 2, glen);
    expect(&r, 400, "\"error\":\"length_mismatch\"");
    expect(&r, 400, want);
    expect(&r, 400, "send the whole image");
    assert_non_null(strstr(r.head, "Connection: close"));
    assert_non_null(strstr(r.head, "Content-Type: application/json"));
    wait_status_within("\"error\":\"aborted\"", 10);

    /* headers only, no body byte at all */
    half_closed(extra, good, 0, &r);
    snprintf(want, sizeof(want), "the body ended after 0 of the %zu bytes", glen);
    expect(&r, 400, want);

    /* a body already refused (not an image): the refusal is the answer */
    uint8_t *bad = malloc(glen);
    assert_non_null(bad);
    memcpy(bad, good, glen);
    bad[0] ^= 0x01;
    half_closed(extra, bad, glen / 2, &r);
    expect(&r, 422, "\"error\":\"bad_magic\"");
    free(bad);

    /* chunked, cut inside the data: one 4 KiB chunk, then the client stops */
    int s = connect_sim();
    send_head(s, "POST", "/api/update",
              "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n");
    send_all(s, "1000\r\n", 6);
    send_all(s, good, 0x1000);
    send_all(s, "\r\n", 2);
    assert_int_equal(shutdown(s, SHUT_WR), 0);
    read_resp(s, &r);
    expect(&r, 400, "the chunked body ended after 4096 bytes, before its last chunk");

    /* the server still serves, and nothing outside the slot changed */
    still_serves();
    flash_same_outside(before, 0x110000, 0x100000, false);
    free(before);
}

static void test_sim_over_http(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    start_sim("first-request", "first-request");
    resp_t r;
    size_t glen, nlen;
    uint8_t *good = read_in_dir("webota-demo-1.1.0.bin", &glen);
    uint8_t *nomark = read_in_dir("webota-demo-1.2.0-no-updater.bin", &nlen);

    /* the page, the status of the factory firmware (confirmed on first request: nothing to do) */
    request("GET", "/", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Encoding: gzip"));
    assert_null(strstr(r.head, "Access-Control-Allow"));
    status_expect("\"project\":\"webota-demo\",\"version\":\"1.0.0\"");
    status_expect("\"running\":{\"label\":\"factory\"");
    /* a first-time user is told where to go and how to upload the demo image */
    size_t hint = 0;
    wait_log("open http://127.0.0.1:", &hint, 5);
    wait_log("webota push http://127.0.0.1:", &hint, 5);
    wait_log("webota-demo-1.1.0.bin", &hint, 5);
    uint8_t *before = flash_now();
    check_limits();

    /* request-level refusals */
    request("POST", "/api/update", "Content-Type: application/octet-stream\r\n", NULL, 0, &r);
    expect(&r, 411, "\"error\":\"length_required\"");
    request("POST", "/api/update", "Content-Type: text/plain\r\nContent-Length: 5\r\n", "hello", 5, &r);
    expect(&r, 415, "\"error\":\"unsupported_media_type\"");
    /* the form route answers a browser without JavaScript with an HTML page, curl with JSON */
    request("POST", "/update", "Content-Type: multipart/form-data\r\nContent-Length: 5\r\n", "hello", 5,
            &r);
    expect(&r, 400, "<p>Error <code>bad_multipart</code> (HTTP 400).");
    expect(&r, 400, "<a href=\"./\">Back to the updater</a>");
    if (strstr(r.head, "Content-Type: text/html; charset=utf-8\r\n") == NULL) {
        fail_msg("the form's error page is not text/html: %s", r.head);
    }
    request("POST", "/update",
            "Accept: application/json\r\nContent-Type: multipart/form-data\r\nContent-Length: 5\r\n",
            "hello", 5, &r);
    expect(&r, 400, "\"error\":\"bad_multipart\"");
    request("POST", "/api/update",
            "Content-Type: application/octet-stream\r\nContent-Length: 5000000\r\n", NULL, 0, &r);
    expect(&r, 413, "\"error\":\"too_large\"");
    request("POST", "/api/reboot", "Origin: http://evil.example\r\nContent-Length: 0\r\n", NULL, 0, &r);
    expect(&r, 403, "\"error\":\"forbidden\"");
    char extra[256];
    snprintf(extra, sizeof(extra), "Origin: http://attacker.test\r\nContent-Type: application/octet-stream\r\nContent-Length: %zu\r\n", glen);
    request("POST", "/api/update", extra, good, glen, &r);
    expect(&r, 403, "\"error\":\"forbidden\"");
    request("POST", "/api/confirm", "Content-Length: 0\r\n", NULL, 0, &r);
    expect(&r, 409, "\"error\":\"not_pending\"");
    request("POST", "/api/rollback", "Content-Length: 0\r\n", NULL, 0, &r);
    expect(&r, 409, "\"error\":\"rollback_impossible\"");
    request("GET", "/nothing", NULL, NULL, 0, &r);
    expect(&r, 404, "\"error\":\"not_found_route\"");

    /* every bad image kind */
    uint8_t *bad = malloc(glen + 0x100000);
    struct {
        const char *what;
        size_t off;
        uint8_t x;
        size_t len;
        int status;
        const char *code;
    } kinds[] = {
        {"bad magic", 0, 0x01, glen, 422, "bad_magic"},
        {"wrong chip", 12, 0x05, glen, 422, "wrong_chip"},
        {"truncated", 0, 0, glen - 1000, 422, "truncated"},
        {"bad checksum", glen - 33, 0x5a, glen, 422, "bad_checksum"},
        {"too big", 0, 0, glen + 0x100000, 413, "too_large"},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        memset(bad, 0, glen + 0x100000);
        memcpy(bad, good, glen);
        bad[kinds[i].off] ^= kinds[i].x;
        upload("/api/update", bad, kinds[i].len, &r);
        if (r.status != kinds[i].status || strstr(r.body, kinds[i].code) == NULL) {
            fail_msg("%s: want %d %s, got %d %s", kinds[i].what, kinds[i].status, kinds[i].code,
                     r.status, r.body);
        }
    }
    /* no updater: refused */
    upload("/api/update", nomark, nlen, &r);
    expect(&r, 422, "\"error\":\"no_updater\"");
    /* the message names both ways to force it */
    expect(&r, 422, "to install it anyway: \\\"Upload anyway\\\" on the page or webota push --force");
    status_expect("\"version\":\"1.0.0\"");

    /* client abort mid-upload, then a concurrent pair */
    int s = connect_sim();
    snprintf(extra, sizeof(extra), "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n", glen);
    send_head(s, "POST", "/api/update", extra);
    send_all(s, good, glen / 2);
    wait_status("\"state\":\"receiving\""); /* the server has taken some of it */
    upload("/api/update", good, glen, &r);
    expect(&r, 409, "\"error\":\"busy\"");
    close(s); /* the client goes away */
    /* noticed from the closed connection itself, not by the idle timeout
     * (SIM_HTTPD_TIMEOUT_S) that ends stalled uploads: the bound is below it */
    wait_status_within("\"error\":\"aborted\"", SIM_HTTPD_TIMEOUT_S / 2.0);
    /* nothing outside ota_0 changed by any failure: table, otadata, factory, ota_1 */
    flash_same_outside(before, 0x110000, 0x100000, false);
    still_serves();
    check_half_closed_bodies(good, glen);

    /* a good image (with Expect: 100-continue) -> ota_0 */
    snprintf(extra, sizeof(extra),
             "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\nExpect: 100-continue\r\n", glen);
    s = connect_sim();
    send_head(s, "POST", "/api/update", extra);
    {
        char cont[64] = "";
        struct pollfd p = {s, POLLIN, 0};
        assert_true(poll(&p, 1, 10000) == 1);
        ssize_t n = recv(s, cont, sizeof(cont) - 1, 0);
        assert_true(n > 0);
        assert_non_null(strstr(cont, "100 Continue"));
    }
    send_all(s, good, glen);
    read_resp(s, &r);
    expect(&r, 200, "\"version\":\"1.1.0\",\"slot\":\"ota_0\"");
    assert_non_null(strstr(r.body, "\"rebooting\":true"));
    wait_log("webota sim: rebooting", &log_pos, 20);
    wait_log("running webota-demo 1.1.0 from ota_0 (pending_verify)", &log_pos, 20);
    wait_log("listening on", &log_pos, 20);
    wait_log("this firmware is new (pending_verify)", &log_pos, 5);
    status_expect("\"version\":\"1.1.0\"");
    wait_log("first request reached the updater: firmware confirmed (valid)", &log_pos, 5);
    status_expect("\"running\":{\"label\":\"ota_0\",\"offset\":1114112,\"size\":1048576,\"index\":0,\"state\":\"valid\"}");

    /* the multipart path with curl -F -> ota_1 */
    char path[1024], cmd[2048];
    snprintf(path, sizeof(path), "%s/next-1.3.0.bin", dir);
    char err[200];
    assert_true(sim_device_write_demo(path, WEBOTA_CHIP_ESP32, "1.3.0", true, 130, err, sizeof(err)));
    snprintf(cmd, sizeof(cmd),
             "curl -sS --max-time 30 -H 'Accept: application/json' -F 'firmware=@%s' "
             "http://127.0.0.1:%u/update",
             path, port);
    char *out = NULL;
    assert_int_equal(tu_run(cmd, &out), 0);
    if (strstr(out, "\"version\":\"1.3.0\",\"slot\":\"ota_1\"") == NULL) {
        fail_msg("curl -F: %s", out);
    }
    free(out);
    wait_log("listening on", &log_pos, 20);
    status_expect("\"version\":\"1.3.0\"");
    status_expect("\"running\":{\"label\":\"ota_1\"");

    /* the no-updater image, forced (chunked by curl): the watchdog resets, the bootloader rolls back */
    snprintf(path, sizeof(path), "%s/webota-demo-1.2.0-no-updater.bin", dir);
    snprintf(cmd, sizeof(cmd),
             "curl -sS --max-time 30 -H 'Transfer-Encoding: chunked' -H 'Content-Type: "
             "application/octet-stream' --data-binary '@%s' 'http://127.0.0.1:%u/api/update?force=1'",
             path, port);
    assert_int_equal(tu_run(cmd, &out), 0);
    if (strstr(out, "\"version\":\"1.2.0\",\"slot\":\"ota_0\"") == NULL) {
        fail_msg("forced upload: %s", out);
    }
    free(out);
    wait_log("running webota-demo 1.2.0 from ota_0 (pending_verify) WITHOUT the webota updater",
             &log_pos, 20);
    wait_log("watchdog reset", &log_pos, 20);
    wait_log("running webota-demo 1.3.0 from ota_1 (valid)", &log_pos, 20);
    wait_log("listening on", &log_pos, 20);
    status_expect("\"version\":\"1.3.0\"");

    /* reboot: the same firmware comes back */
    request("POST", "/api/reboot", "Content-Length: 0\r\n", NULL, 0, &r);
    expect(&r, 200, "\"rebooting\":true");
    wait_log("listening on", &log_pos, 20);
    status_expect("\"version\":\"1.3.0\"");

    /* an upload that stalls: the idle timeout closes it, the session aborts */
    check_stalled_upload(good, glen,
                         "\"running\":{\"label\":\"ota_1\",\"offset\":2162688,\"size\":1048576,"
                         "\"index\":1,\"state\":\"valid\"}");

    /* roll back by hand: ota_0 holds the aborted 1.2.0, so (as ESP-IDF's
     * esp_ota_check_rollback_is_possible) the valid factory app is the way back */
    status_expect("\"rollback_possible\":true");
    request("POST", "/api/rollback", "Content-Length: 0\r\n", NULL, 0, &r);
    expect(&r, 200, "\"state\":\"invalid\",\"rebooting\":true");
    wait_log("running webota-demo 1.0.0 from factory", &log_pos, 20);
    wait_log("listening on", &log_pos, 20);
    status_expect("\"version\":\"1.0.0\"");
    status_expect("\"rollback_possible\":false");
    request("POST", "/api/rollback", "Content-Length: 0\r\n", NULL, 0, &r);
    expect(&r, 409, "\"error\":\"rollback_impossible\"");

    stop_sim();
    free(bad);
    free(good);
    free(nomark);
    free(before);
}

/* The rows of the attacker's table (issue 10), against the real simulator:
 * DNS rebinding refused by the Host allow-list; the page and every answer
 * forbid framing; an upload trickling one byte a second is cut and frees the
 * updater; slow-header connections from two addresses are cut and do not keep
 * a third client from being served; a second simulator on the same port or
 * the same flash file refuses to start. Bounded: about 15 s. */
static void test_hardened_surface(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    start_sim("harden", "first-request");
    resp_t r;
    size_t glen, nlen;
    uint8_t *good = read_in_dir("webota-demo-1.1.0.bin", &glen);
    uint8_t *nomark = read_in_dir("webota-demo-1.2.0-no-updater.bin", &nlen);
    uint8_t *before = flash_now();

    /* DNS rebinding: Host and Origin agree, but name none of the device's addresses */
    char h[512];
    int s = connect_sim();
    snprintf(h, sizeof(h),
             "POST /api/update?force=1 HTTP/1.1\r\nHost: evil.example\r\nOrigin: "
             "http://evil.example\r\nContent-Type: application/octet-stream\r\nContent-Length: "
             "%zu\r\nConnection: close\r\n\r\n",
             nlen);
    send_all(s, h, strlen(h));
    send_all(s, nomark, nlen);
    read_resp(s, &r);
    expect(&r, 421, "\"error\":\"wrong_host\"");
    s = connect_sim();
    const char *get = "GET /api/status HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: close\r\n\r\n";
    send_all(s, get, strlen(get));
    read_resp(s, &r);
    expect(&r, 421, "\"error\":\"wrong_host\"");
    s = connect_sim();
    get = "GET /api/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    send_all(s, get, strlen(get));
    read_resp(s, &r);
    expect(&r, 200, "\"version\":\"1.0.0\"");

    /* framing: the page and the API answers */
    request("GET", "/", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    if (strstr(r.head, "X-Frame-Options: DENY") == NULL ||
        strstr(r.head, "Content-Security-Policy: default-src 'none'; script-src 'sha256-") == NULL ||
        strstr(r.head, "frame-ancestors 'none'") == NULL ||
        strstr(r.head, "X-Content-Type-Options: nosniff") == NULL) {
        fail_msg("the page's security headers are missing: %s", r.head);
    }
    request("GET", "/api/status", NULL, NULL, 0, &r);
    assert_non_null(strstr(r.head, "X-Frame-Options: DENY"));
    assert_non_null(strstr(r.head, "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'"));

    /* a trickling upload and slow-header connections from two other clients */
    int slow = connect_sim();
    snprintf(h, sizeof(h), "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n", glen);
    send_head(slow, "POST", "/api/update", h);
    send_all(slow, good, 1);
    enum { HELD = 16 };
    int held[HELD];
    for (int i = 0; i < HELD; i++) {
        held[i] = connect_from(i % 2 ? "127.0.0.2" : "127.0.0.3");
        send_all(held[i], "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n", 44);
    }
    still_serves(); /* a third client is served while they hold on */
    wait_status("\"state\":\"receiving\"");
    upload("/api/update", good, glen, &r);
    expect(&r, 409, "\"error\":\"busy\"");
    /* one byte a second each: the trickle goes below the minimum rate, the
     * header senders over the header time; both are cut (bound: 40 s) */
    size_t sent = 1;
    bool slow_open = true;
    int open_held = HELD;
    double end = now_s() + 40;
    while ((slow_open || open_held > 0) && now_s() < end) {
        sleep(1);
        if (slow_open) {
            send_all(slow, good + sent++, 1);
            slow_open = !closed_by_server(slow);
        }
        open_held = 0;
        for (int i = 0; i < HELD; i++) {
            if (held[i] >= 0) {
                send_all(held[i], "X", 1);
                if (closed_by_server(held[i])) {
                    close(held[i]);
                    held[i] = -1;
                } else {
                    open_held++;
                }
            }
        }
    }
    if (slow_open || open_held > 0) {
        fail_msg("still open after 40 s: the trickling upload %s, %d slow-header connections",
                 slow_open ? "yes" : "no", open_held);
    }
    close(slow);
    size_t at = 0;
    wait_log("upload too slow: aborted, the updater is free again", &at, 5);
    status_expect("\"error\":\"aborted\"");
    flash_same_outside(before, 0x110000, 0x100000, false);

    /* a second simulator: same port, then same flash file */
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "cd '%s' && '%s' sim --port %u --flash other.bin 2>&1", dir,
                             WEBOTA_BIN, port),
                     1);
    if (strstr(out, "Address already in use") == NULL) {
        fail_msg("second simulator on port %u: %s", port, out);
    }
    free(out);
    assert_int_equal(tu_runf(&out, "cd '%s' && '%s' sim --port 0 2>&1", dir, WEBOTA_BIN), 1);
    if (strstr(out, "webota-flash.bin is in use by another webota sim") == NULL) {
        fail_msg("second simulator on the same flash: %s", out);
    }
    free(out);

    /* the updater is free: the good image installs */
    upload("/api/update", good, glen, &r);
    expect(&r, 200, "\"slot\":\"ota_0\"");
    wait_log("listening on", &log_pos, 20);
    status_expect("\"version\":\"1.1.0\"");
    stop_sim();
    free(before);
    free(good);
    free(nomark);
}

/* A client's login for one request: challenge, key from the password and the
 * device's salt, mac; the Authorization header line into out. */
static void login_line(const char *password, const char *method, const char *path,
                       const char *query, char *out, size_t cap)
{
    resp_t r;
    request("GET", "/api/auth", NULL, NULL, 0, &r);
    expect(&r, 200, "\"required\":true");
    char nonce[40], salt_hex[40];
    tu_json_str(r.body, "nonce", nonce, sizeof(nonce));
    tu_json_str(r.body, "salt", salt_hex, sizeof(salt_hex));
    unsigned long iterations = strtoul(strstr(r.body, "\"iterations\":") + 13, NULL, 10);
    uint8_t salt[16];
    for (int i = 0; i < 16; i++) {
        unsigned v;
        assert_int_equal(sscanf(salt_hex + 2 * i, "%2x", &v), 1);
        salt[i] = (uint8_t)v;
    }
    webota_auth_verifier_t k;
    assert_int_equal(webota_auth_verifier_make(password, strlen(password), salt,
                                               (uint32_t)iterations, &k),
                     WEBOTA_OK);
    char mac[65];
    assert_int_equal(webota_auth_mac(k.key, nonce, method, path, query, mac), WEBOTA_OK);
    snprintf(out, cap, "Authorization: WebOTA-HMAC nonce=\"%s\", mac=\"%s\"\r\n", nonce, mac);
}

/* A file's whole contents as text (NUL bytes become spaces: /proc/PID/cmdline). */
static char *proc_text(const char *path)
{
    size_t len = 0;
    uint8_t *d = tu_read_file(path, &len);
    assert_non_null(d);
    char *t = malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        t[i] = d[i] ? (char)d[i] : ' ';
    }
    t[len] = '\0';
    free(d);
    return t;
}

#define PW "correct horse battery staple"

/* The password over the network: from the environment (wiped from the
 * process), never in argv, logs or answers; the challenge-response from a
 * client (here and through `webota status/push`), its replay refused, wrong
 * passwords counted and logged, then refused for a while (429) while another
 * client still gets in; a verifier in --password-file works the same; the
 * old --password is refused. */
static void test_password_over_http(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    start_sim_with("password", "first-request", NULL, "WEBOTA_PASSWORD=" PW);
    resp_t r;
    char authz[300], path[600];
    size_t glen;
    uint8_t *good = read_in_dir("webota-demo-1.1.0.bin", &glen);
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)sim_pid);
    char *t = proc_text(path);
    assert_null(strstr(t, PW));
    free(t);
    snprintf(path, sizeof(path), "/proc/%d/environ", (int)sim_pid);
    t = proc_text(path);
    assert_null(strstr(t, PW)); /* read, then wiped in place */
    free(t);

    request("GET", "/api/status", NULL, NULL, 0, &r);
    expect(&r, 401, "\"error\":\"unauthorized\"");
    assert_non_null(strstr(r.head, "WWW-Authenticate: WebOTA-HMAC realm=\"webota\""));
    assert_null(strstr(r.head, "Basic"));
    request("GET", "/", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200); /* the page logs in by itself */

    /* a good login, then the same request played again */
    login_line(PW, "GET", "/api/status", NULL, authz, sizeof(authz));
    request("GET", "/api/status", authz, NULL, 0, &r);
    expect(&r, 200, "\"version\":\"1.0.0\"");
    request("GET", "/api/status", authz, NULL, 0, &r);
    expect(&r, 401, "\"error\":\"stale_nonce\"");
    /* the CLI, password from the environment or a file */
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "WEBOTA_PASSWORD='" PW "' '%s' status http://127.0.0.1:%u 2>&1",
                             WEBOTA_BIN, port),
                     0);
    assert_non_null(strstr(out, "version:   1.0.0"));
    free(out);
    assert_int_equal(tu_runf(&out, "'%s' status http://127.0.0.1:%u 2>&1", WEBOTA_BIN, port), 1);
    assert_non_null(strstr(out, "asks for a password: put it in the environment variable WEBOTA_PASSWORD"));
    free(out);

    /* wrong passwords from this client: counted, logged, then refused for a while */
    for (int i = 0; i < WEBOTA_AUTH_FREE_FAILURES; i++) {
        login_line("Tr0ub4dor&3", "GET", "/api/status", NULL, authz, sizeof(authz));
        request("GET", "/api/status", authz, NULL, 0, &r);
        expect(&r, 401, "\"error\":\"unauthorized\"");
    }
    size_t at = 0;
    wait_log("login: wrong password from 127.0.0.1 (5 failures, refused for 1 s)", &at, 5);
    login_line(PW, "GET", "/api/status", NULL, authz, sizeof(authz));
    request("GET", "/api/status", authz, NULL, 0, &r);
    expect(&r, 429, "\"error\":\"too_many_attempts\"");
    assert_non_null(strstr(r.head, "Retry-After: 1"));
    /* another client (127.0.0.2) is not blocked: the same unused answer */
    int s = connect_from("127.0.0.2");
    char head[512];
    snprintf(head, sizeof(head), "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%s\r\n",
             port, authz);
    send_all(s, head, strlen(head));
    read_resp(s, &r);
    expect(&r, 200, "\"version\":\"1.0.0\"");

    /* push through the CLI once the block is over (bounded wait) */
    snprintf(path, sizeof(path), "%s/pw.txt", dir);
    tu_write_file(path, PW "\n", strlen(PW) + 1);
    double end = now_s() + 10;
    int rc;
    do {
        usleep(300000);
        rc = tu_runf(&out, "'%s' push --password-file '%s' http://127.0.0.1:%u '%s/webota-demo-1.1.0.bin' 2>&1",
                     WEBOTA_BIN, path, port, dir);
        if (rc != 0) {
            free(out);
        }
    } while (rc != 0 && now_s() < end);
    if (rc != 0) {
        fail_msg("push with the password never went through");
    }
    assert_non_null(strstr(out, "installed 1.1.0 into ota_0"));
    free(out);
    wait_log("listening on", &log_pos, 20);
    login_line(PW, "GET", "/api/status", NULL, authz, sizeof(authz));
    request("GET", "/api/status", authz, NULL, 0, &r); /* confirms 1.1.0 (first request) */
    expect(&r, 200, "\"version\":\"1.1.0\"");
    /* nothing of the password in what the simulator printed */
    simlog[simlog_len] = '\0';
    assert_null(strstr(simlog, PW));
    assert_null(strstr(simlog, "Tr0ub4dor"));
    stop_sim();

    /* the same device with a verifier in --password-file, made by webota passwd */
    char vpath[600];
    snprintf(vpath, sizeof(vpath), "%s/verifier.txt", dir);
    assert_int_equal(tu_runf(NULL, "'%s' passwd --iterations 2000 --password-file '%s' > '%s'",
                             WEBOTA_BIN, path, vpath),
                     0);
    size_t vlen = 0;
    char *v = (char *)tu_read_file(vpath, &vlen);
    assert_true(vlen > 20 && strncmp(v, "pbkdf2-sha256$2000$", 19) == 0);
    assert_null(strstr(v, PW));
    free(v);
    const char *extra[] = {"--password-file", vpath, NULL};
    start_sim_with("password", "first-request", extra, NULL);
    request("GET", "/api/auth", NULL, NULL, 0, &r);
    expect(&r, 200, "\"iterations\":2000");
    login_line(PW, "GET", "/api/status", NULL, authz, sizeof(authz));
    request("GET", "/api/status", authz, NULL, 0, &r);
    expect(&r, 200, "\"version\":\"1.1.0\"");
    stop_sim();
    /* --password on the command line is refused */
    assert_int_equal(tu_runf(&out, "cd '%s' && '%s' sim --port 0 --password " PW " 2>&1", dir, WEBOTA_BIN), 2);
    assert_non_null(strstr(out, "--password is not accepted"));
    free(out);
    free(good);
}

/* --confirm manual: a new firmware stays pending_verify whatever is
 * requested, updates are refused, a reboot makes the bootloader roll back;
 * POST /api/confirm makes it valid. --confirm delay:1 on the same flash: the
 * simulator confirms by itself once the delay has passed. */
static void test_confirm_modes(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    start_sim("manual", "manual");
    resp_t r;
    size_t glen;
    uint8_t *good = read_in_dir("webota-demo-1.1.0.bin", &glen);
    const char *pending = "\"running\":{\"label\":\"ota_0\",\"offset\":1114112,\"size\":1048576,"
                          "\"index\":0,\"state\":\"pending_verify\"}";

    upload("/api/update", good, glen, &r);
    expect(&r, 200, "\"slot\":\"ota_0\"");
    wait_log("running webota-demo 1.1.0 from ota_0 (pending_verify)", &log_pos, 20);
    wait_log("listening on", &log_pos, 20);
    wait_log("confirmed by POST /api/confirm", &log_pos, 5);
    request("GET", "/", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    status_expect(pending);
    status_expect(pending); /* requests do not confirm in this mode */
    upload("/api/update", good, glen, &r);
    expect(&r, 409, "\"error\":\"pending_verify\"");
    /* with Expect: 100-continue the refusal comes instead of "100 Continue":
     * no body is sent */
    {
        char extra[200];
        snprintf(extra, sizeof(extra),
                 "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\nExpect: "
                 "100-continue\r\n",
                 glen);
        int s = connect_sim();
        send_head(s, "POST", "/api/update", extra);
        read_resp(s, &r);
        expect(&r, 409, "\"error\":\"pending_verify\"");
        assert_null(strstr(r.head, "100 Continue"));
    }
    request("POST", "/api/reboot", "Content-Length: 0\r\n", NULL, 0, &r);
    expect(&r, 200, "\"rebooting\":true");
    wait_log("pending_verify -> aborted", &log_pos, 20); /* the bootloader rolls back */
    wait_log("running webota-demo 1.0.0 from factory", &log_pos, 20);
    wait_log("listening on", &log_pos, 20);
    status_expect("\"running\":{\"label\":\"factory\"");

    upload("/api/update", good, glen, &r);
    expect(&r, 200, "\"slot\":\"ota_0\"");
    wait_log("running webota-demo 1.1.0 from ota_0 (pending_verify)", &log_pos, 20);
    wait_log("listening on", &log_pos, 20);
    request("POST", "/api/confirm", "Content-Length: 0\r\n", NULL, 0, &r);
    expect(&r, 200, "\"state\":\"valid\"");
    request("POST", "/api/reboot", "Content-Length: 0\r\n", NULL, 0, &r);
    expect(&r, 200, "\"rebooting\":true");
    wait_log("running webota-demo 1.1.0 from ota_0 (valid)", &log_pos, 20);
    wait_log("listening on", &log_pos, 20);
    stop_sim();

    start_sim("manual", "delay:1");
    size_t boot_line = 0; /* printed before the port line start_sim waited for */
    wait_log("running webota-demo 1.1.0 from ota_0 (valid)", &boot_line, 5);
    char path[1024], err[200];
    snprintf(path, sizeof(path), "%s/next-1.3.0.bin", dir);
    assert_true(sim_device_write_demo(path, WEBOTA_CHIP_ESP32, "1.3.0", true, 130, err, sizeof(err)));
    size_t nlen;
    uint8_t *next = read_in_dir("next-1.3.0.bin", &nlen);
    upload("/api/update", next, nlen, &r);
    expect(&r, 200, "\"slot\":\"ota_1\"");
    wait_log("running webota-demo 1.3.0 from ota_1 (pending_verify)", &log_pos, 20);
    wait_log("confirmed after the --confirm delay", &log_pos, 5);
    wait_log("confirm delay elapsed: firmware confirmed (valid)", &log_pos, 20);
    status_expect("\"running\":{\"label\":\"ota_1\",\"offset\":2162688,\"size\":1048576,"
                  "\"index\":1,\"state\":\"valid\"}");
    stop_sim();
    free(next);
    free(good);
}

/* --refuse-older: an older image is refused 422 older_version before
 * anything is written (the whole flash file unchanged, 1.0.0 still runs);
 * a newer one is installed. */
static void test_refuse_older(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    static const char *const extra[] = {"--refuse-older", NULL};
    start_sim_with("older", "first-request", extra, NULL);
    status_expect("\"version\":\"1.0.0\"");
    char path[1024], err[200];
    snprintf(path, sizeof(path), "%s/old-0.9.2.bin", dir);
    assert_true(sim_device_write_demo(path, WEBOTA_CHIP_ESP32, "0.9.2", true, 130, err, sizeof(err)));
    size_t olen, glen;
    uint8_t *old = read_in_dir("old-0.9.2.bin", &olen);
    uint8_t *good = read_in_dir("webota-demo-1.1.0.bin", &glen);
    uint8_t *before = flash_now();
    resp_t r;
    upload("/api/update", old, olen, &r);
    expect(&r, 422, "\"error\":\"older_version\"");
    if (strstr(r.body, "image \\\"0.9.2\\\", running firmware \\\"1.0.0\\\"") == NULL)
        fail_msg("versions not named: %s", r.body);
    flash_same_outside(before, 0, 0, false); /* every byte */
    status_expect("\"version\":\"1.0.0\"");
    upload("/api/update", good, glen, &r);
    expect(&r, 200, "\"version\":\"1.1.0\",\"slot\":\"ota_0\"");
    wait_log("running webota-demo 1.1.0 from ota_0", &log_pos, 20);
    wait_log("listening on", &log_pos, 20);
    status_expect("\"version\":\"1.1.0\"");
    free(before);
    free(good);
    free(old);
    stop_sim();
}

static int cleanup(void **state)
{
    (void)state;
    if (sim_pid > 0) {
        kill(sim_pid, SIGKILL);
        waitpid(sim_pid, NULL, 0);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sim_over_http, cleanup),
        cmocka_unit_test_teardown(test_confirm_modes, cleanup),
        cmocka_unit_test_teardown(test_hardened_surface, cleanup),
        cmocka_unit_test_teardown(test_password_over_http, cleanup),
        cmocka_unit_test_teardown(test_refuse_older, cleanup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
