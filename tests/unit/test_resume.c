/* Integration: resumable uploads on the real `webota sim` (127.0.0.1, a free
 * port). A small TCP proxy in this test (a thread, 127.0.0.1, a free port)
 * forwards to the simulator and drops a connection (RST both ways) once its
 * client has sent a given number of bytes: an upload cut at several points
 * continues from the offset the device reports and installs the very bytes
 * of the image, from raw HTTP and from `webota push`. A resume with a wrong
 * id, a wrong offset, from another client address (127.0.0.2), after the hold
 * time or after DELETE is refused, and the flash outside the slot being
 * written (table, otadata, the running firmware) stays byte-identical. Every
 * wait is bounded. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>

#include "sim_proc.h"

#define OTA0 0x110000u
#define SLOT_SIZE 0x100000u

/* ---- the proxy ---- */

enum { MAX_CUTS = 8 };
static struct {
    int listen_fd;
    uint16_t port, upstream;
    pthread_t thread;
    volatile int stop;
    pthread_mutex_t lock;
    size_t cuts[MAX_CUTS]; /* per connection: drop once its client sent this many bytes */
    size_t ncuts, next;
    bool at_answer; /* instead: drop when the device answers, once the client sent cut bytes */
    size_t tail;    /* instead: drop an upload (Content-Length > 4096) this short of its end */
    bool swallow;   /* with tail: forward none of that upload (the device never sees it) */
    unsigned dropped;
} px = {.listen_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER};

static void rst_close(int fd)
{
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(fd);
}

static int connect_to(const char *from, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    if (from != NULL) {
        inet_pton(AF_INET, from, &sa.sin_addr);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            close(fd);
            return -1;
        }
    }
    sa.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Tail mode: collects the request's head from the client's first bytes (buf,
 * n of them, after `sent`); once complete, the byte count at which an upload
 * (Content-Length > 4096) is `tail` bytes short of its end, else 0. */
static size_t tail_cut(char *head, size_t *head_n, size_t cap, const char *buf, size_t n, size_t sent,
                       size_t tail)
{
    if (sent != *head_n || *head_n + 1 >= cap) {
        return 0; /* the head was complete before, or too long */
    }
    size_t take = n < cap - 1 - *head_n ? n : cap - 1 - *head_n;
    memcpy(head + *head_n, buf, take);
    *head_n += take;
    head[*head_n] = 0;
    const char *end = strstr(head, "\r\n\r\n");
    if (end == NULL) {
        return 0;
    }
    size_t head_len = (size_t)(end + 4 - head);
    *head_n = cap; /* done */
    for (const char *l = head; l < end; l = strstr(l, "\r\n") + 2) {
        unsigned long long cl = 0;
        if (strncasecmp(l, "Content-Length:", 15) == 0 && sscanf(l + 15, "%llu", &cl) == 1 && cl > 4096) {
            return head_len + (size_t)cl - tail;
        }
    }
    return 0;
}

/* Forwards one connection both ways until either side closes, or drops it
 * (RST to both; in tail mode a plain close toward the device, so that it
 * surely reads what was forwarded) once the client has sent `cut` bytes
 * (0 = never); with
 * at_answer, once the client has sent `cut` bytes the device's final answer
 * (not a 100 Continue) is not forwarded: the connection is dropped when it
 * comes (the answer is lost). */
static void proxy_one(int cfd)
{
    int ufd = connect_to(NULL, px.upstream);
    if (ufd < 0) {
        close(cfd);
        return;
    }
    size_t cut = 0, tail = 0;
    bool tail_mode = false, swallowing = false;
    pthread_mutex_lock(&px.lock);
    if (px.next < px.ncuts) {
        cut = px.cuts[px.next];
        tail = px.tail;
        tail_mode = tail > 0 || px.swallow;
    }
    pthread_mutex_unlock(&px.lock);
    size_t sent = 0;
    char buf[4096], head[2048];
    size_t head_n = 0;
    while (!px.stop) {
        struct pollfd p[2] = {{cfd, POLLIN, 0}, {ufd, POLLIN, 0}};
        if (poll(p, 2, 200) <= 0) {
            continue;
        }
        if (p[0].revents) {
            size_t room = sizeof(buf);
            if (cut > 0 && !px.at_answer && cut - sent < room) {
                room = cut - sent;
            }
            ssize_t n = read(cfd, buf, room);
            if (n <= 0) {
                break;
            }
            if (tail_mode && cut == 0) {
                cut = tail_cut(head, &head_n, sizeof(head), buf, (size_t)n, sent, tail);
                swallowing = cut > 0 && px.swallow;
            }
            if (!swallowing && send(ufd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
                break;
            }
            sent += (size_t)n;
            if (cut > 0 && sent >= cut && !px.at_answer) {
                pthread_mutex_lock(&px.lock);
                px.next++;
                px.dropped++;
                pthread_mutex_unlock(&px.lock);
                break; /* the drop */
            }
        }
        if (p[1].revents) {
            ssize_t n = read(ufd, buf, sizeof(buf));
            bool interim = n >= 10 && memcmp(buf, "HTTP/1.1 1", 10) == 0; /* 100 Continue */
            if (n > 0 && cut > 0 && sent >= cut && px.at_answer && !interim) {
                pthread_mutex_lock(&px.lock);
                px.next++;
                px.dropped++;
                pthread_mutex_unlock(&px.lock);
                break; /* the answer is lost */
            }
            if (n <= 0 || send(cfd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
                break;
            }
        }
    }
    rst_close(cfd);
    if (tail_mode) {
        close(ufd); /* the device reads every byte forwarded, then the end */
    } else {
        rst_close(ufd);
    }
}

static void *proxy_main(void *arg)
{
    (void)arg;
    while (!px.stop) {
        struct pollfd p = {px.listen_fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) {
            continue;
        }
        int cfd = accept(px.listen_fd, NULL, NULL);
        if (cfd >= 0) {
            proxy_one(cfd); /* one at a time: a client reconnects only after its drop */
        }
    }
    return NULL;
}

static void proxy_start_mode(uint16_t upstream, const size_t *cuts, size_t ncuts, bool at_answer,
                             size_t tail, bool swallow);

static void proxy_start(uint16_t upstream, const size_t *cuts, size_t ncuts)
{
    proxy_start_mode(upstream, cuts, ncuts, false, 0, false);
}

static void proxy_start_mode(uint16_t upstream, const size_t *cuts, size_t ncuts, bool at_answer,
                             size_t tail, bool swallow)
{
    assert_true(ncuts <= MAX_CUTS);
    memcpy(px.cuts, cuts, ncuts * sizeof(cuts[0]));
    px.ncuts = ncuts;
    px.next = 0;
    px.dropped = 0;
    px.at_answer = at_answer;
    px.tail = tail;
    px.swallow = swallow;
    px.stop = 0;
    px.upstream = upstream;
    px.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(px.listen_fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(bind(px.listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(px.listen_fd, 8), 0);
    socklen_t sl = sizeof(sa);
    assert_int_equal(getsockname(px.listen_fd, (struct sockaddr *)&sa, &sl), 0);
    px.port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&px.thread, NULL, proxy_main, NULL), 0);
}

static void proxy_stop(void)
{
    px.stop = 1;
    pthread_join(px.thread, NULL);
    close(px.listen_fd);
    px.listen_fd = -1;
}

/* ---- a raw HTTP client ---- */

static uint16_t sim_port(void)
{
    unsigned p = 0;
    assert_int_equal(sscanf(url, "http://127.0.0.1:%u", &p), 1);
    return (uint16_t)p;
}

typedef struct {
    int status; /* 0: the connection dropped before an answer */
    char text[4096]; /* headers and body */
} answer_t;

/* Sends METHOD PATH with extra header lines (each ending in \r\n) and body
 * from address `from` (NULL: any) to `port`; reads the whole answer. */
static void http(answer_t *a, const char *from, uint16_t port, const char *method,
                 const char *path, const char *headers, const uint8_t *body, size_t len)
{
    memset(a, 0, sizeof(*a));
    int fd = connect_to(from, port);
    assert_true(fd >= 0);
    char head[1024];
    int hn = snprintf(head, sizeof(head),
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      "Content-Length: %zu\r\n%s\r\n",
                      method, path, len, headers ? headers : "");
    if (send(fd, head, (size_t)hn, MSG_NOSIGNAL) == hn) {
        size_t off = 0;
        while (off < len) {
            ssize_t n = send(fd, body + off, len - off, MSG_NOSIGNAL);
            if (n <= 0) {
                break;
            }
            off += (size_t)n;
        }
    }
    size_t got = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20000) <= 0) {
            break;
        }
        ssize_t n = read(fd, a->text + got, sizeof(a->text) - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    a->text[got] = 0;
    if (sscanf(a->text, "HTTP/1.1 %d", &a->status) != 1) {
        a->status = 0;
    }
}

/* A JSON number or string field of an answer (naive: the names are unique). */
static long json_num(const answer_t *a, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(a->text, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static void json_str(const answer_t *a, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = strstr(a->text, pat);
    out[0] = 0;
    if (p != NULL) {
        p += strlen(pat);
        size_t n = strcspn(p, "\"");
        snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    }
}

static void new_id(char *id, size_t cap)
{
    answer_t a;
    http(&a, NULL, sim_port(), "POST", "/api/update/session", NULL, NULL, 0);
    assert_int_equal(a.status, 200);
    json_str(&a, "id", id, cap);
    assert_int_equal(strlen(id), 32);
    assert_non_null(strstr(a.text, "Upload-Id: "));
}

/* Asks (directly) for the offset reached, waiting until the device has seen
 * the drop: "held" at an offset, or "new" when the drop took the request's
 * headers with it (the upload never started: offset 0); bounded. */
static long resume_offset(const char *id, bool held_only)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/update?id=%s", id);
    for (int i = 0; i < 200; i++) {
        answer_t a;
        http(&a, NULL, sim_port(), "GET", path, NULL, NULL, 0);
        assert_int_equal(a.status, 200);
        if (strstr(a.text, "\"state\":\"held\"") != NULL ||
            (!held_only && strstr(a.text, "\"state\":\"new\"") != NULL)) {
            return json_num(&a, "offset");
        }
        sleep_ms(50);
    }
    answer_t last;
    http(&last, NULL, sim_port(), "GET", path, NULL, NULL, 0);
    fail_msg("the device did not hold the dropped upload within 10 s:\n%s", last.text);
    return -1;
}

static uint8_t *read_flash(size_t *n)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/flash.bin", dir);
    uint8_t *f = tu_read_file(path, n);
    assert_non_null(f);
    return f;
}

static void flash_same_outside(const uint8_t *before, size_t n, uint32_t slot, uint32_t size)
{
    size_t m = 0;
    uint8_t *now = read_flash(&m);
    assert_int_equal(m, n);
    for (size_t i = 0; i < n; i++) {
        if ((i < slot || i >= slot + size) && before[i] != now[i]) {
            fail_msg("flash changed at 0x%zx (outside the slot being written)", i);
        }
    }
    free(now);
}

static uint8_t *image(const char *path, size_t *n)
{
    uint8_t *img = tu_read_file(path, n);
    assert_non_null(img);
    assert_true(*n > 8192);
    return img;
}

static void assert_installed(const uint8_t *img, size_t n)
{
    wait_for("\"version\":\"1.1.0\"");
    size_t fn = 0;
    uint8_t *f = read_flash(&fn);
    assert_true(fn >= OTA0 + n);
    assert_memory_equal(f + OTA0, img, n);
    free(f);
}

/* The image is in one of the OTA slots (the device alternates them). */
static void assert_installed_somewhere(const uint8_t *img, size_t n)
{
    size_t fn = 0;
    uint8_t *f = read_flash(&fn);
    assert_true(fn >= OTA0 + SLOT_SIZE + n);
    assert_true(memcmp(f + OTA0, img, n) == 0 || memcmp(f + OTA0 + SLOT_SIZE, img, n) == 0);
    free(f);
}

/* Starts a resumable upload of img on its own connection, sends `part`
 * bytes, waits until the device has them (GET: "receiving" at that offset),
 * then resets the connection and waits until the upload is held there. */
static long drop_after(const char *path, const uint8_t *img, size_t n, size_t part)
{
    int fd = connect_to(NULL, sim_port());
    assert_true(fd >= 0);
    char head[512];
    int hn = snprintf(head, sizeof(head),
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n",
                      path, n);
    assert_int_equal(send(fd, head, (size_t)hn, MSG_NOSIGNAL), hn);
    assert_int_equal(send(fd, img, part, MSG_NOSIGNAL), (ssize_t)part);
    char want[64];
    snprintf(want, sizeof(want), "\"offset\":%zu,", part);
    bool seen = false;
    for (int i = 0; i < 200 && !seen; i++) {
        answer_t a;
        http(&a, NULL, sim_port(), "GET", path, NULL, NULL, 0);
        seen = strstr(a.text, "\"state\":\"receiving\"") != NULL && strstr(a.text, want) != NULL;
        if (!seen) {
            sleep_ms(50);
        }
    }
    assert_true(seen);
    rst_close(fd);
    long off = resume_offset(strstr(path, "id=") + 3, true);
    assert_int_equal(off, (long)part);
    return off;
}

/* ---- tests ---- */

static int start(void **state)
{
    (void)state;
    static const char *const args[] = {"--resume-hold", "2", NULL};
    return sim_start_args(args) == 0 ? (find_demo_images(), 0) : -1;
}

/* Raw HTTP through the proxy, cut three times; each resume continues at the
 * offset the device reports, and the device installs the image's bytes. */
static void test_raw_resume_through_proxy(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *img = image(good, &n);
    size_t cuts[] = {700, n / 3, n / 2};
    proxy_start(sim_port(), cuts, 3);
    char id[64], path[128];
    new_id(id, sizeof(id));
    snprintf(path, sizeof(path), "/api/update?id=%s", id);
    long off = 0;
    answer_t a;
    for (int tries = 0;; tries++) {
        char hdr[96];
        snprintf(hdr, sizeof(hdr), "Content-Type: application/octet-stream\r\nUpload-Offset: %ld\r\n",
                 off);
        http(&a, NULL, px.port, "POST", path, hdr, img + off, n - (size_t)off);
        if (a.status == 200) {
            break;
        }
        /* dropped, or the device had not yet seen the drop of the one before */
        if (a.status != 0 && a.status != 409 && a.status != 416) {
            fail_msg("resume answered %d:\n%s", a.status, a.text);
        }
        assert_true(tries < 20);
        off = resume_offset(id, false);
        assert_true(off >= 0 && off < (long)n);
    }
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.text, "\"ok\":true"));
    assert_int_equal(px.dropped, 3);
    proxy_stop();
    assert_installed(img, n);
    free(img);
}

/* Refusals while an upload is held, each leaving the flash outside the slot
 * untouched; then the hold time passes and the session is gone. */
static void test_refusals(void **state)
{
    (void)state;
    size_t n = 0, fn = 0;
    /* the device runs 1.1.0 (first test) from ota_0, so this goes to ota_1;
     * an image without the updater is refused only at its end */
    uint8_t *img = image(nomarker, &n);
    uint8_t *before = read_flash(&fn);
    uint32_t slot = OTA0 + SLOT_SIZE;
    char id[64], path[160], hdr[160];
    new_id(id, sizeof(id));
    snprintf(path, sizeof(path), "/api/update?id=%s", id);
    answer_t a;
    long off = drop_after(path, img, n, 3000);

    /* another upload: busy, naming the hold time left */
    http(&a, NULL, sim_port(), "POST", "/api/update", "Content-Type: application/octet-stream\r\n",
         img, n);
    assert_int_equal(a.status, 409);
    assert_non_null(strstr(a.text, "held for its client for "));
    /* a wrong id */
    http(&a, NULL, sim_port(), "POST", "/api/update?id=00000000000000000000000000000000",
         "Upload-Offset: 0\r\n", img, n);
    assert_int_equal(a.status, 409);
    /* the right id from another address */
    snprintf(hdr, sizeof(hdr), "Upload-Offset: %ld\r\n", off);
    http(&a, "127.0.0.2", sim_port(), "POST", path, hdr, img + off, n - (size_t)off);
    assert_int_equal(a.status, 409);
    http(&a, "127.0.0.2", sim_port(), "GET", path, NULL, NULL, 0);
    assert_int_equal(a.status, 404);
    http(&a, "127.0.0.2", sim_port(), "DELETE", path, NULL, NULL, 0);
    assert_int_equal(a.status, 404);
    /* a wrong offset (behind, ahead, absent) */
    long wrong[] = {off + 1, off - 1};
    for (size_t i = 0; i < (off > 0 ? 2u : 1u); i++) {
        snprintf(hdr, sizeof(hdr), "Upload-Offset: %ld\r\n", wrong[i]);
        http(&a, NULL, sim_port(), "POST", path, hdr, img + wrong[i], n - (size_t)wrong[i]);
        assert_int_equal(a.status, 416);
        assert_non_null(strstr(a.text, "bad_offset"));
    }
    http(&a, NULL, sim_port(), "POST", path, NULL, img + off, n - (size_t)off);
    assert_int_equal(a.status, 416);
    /* the right offset with a length that does not end at the total */
    snprintf(hdr, sizeof(hdr), "Upload-Offset: %ld\r\n", off);
    http(&a, NULL, sim_port(), "POST", path, hdr, img + off, n - (size_t)off - 1);
    assert_int_equal(a.status, 416);
    /* still held at the same offset: nothing was written by the refusals */
    assert_int_equal(resume_offset(id, true), off);
    flash_same_outside(before, fn, slot, SLOT_SIZE);

    /* the hold time (2 s) passes with no request: the simulator's timer ends
     * the session (its log says so before anyone asks), the updater is free */
    wait_for_log("held upload not resumed within its hold time: ended");
    http(&a, NULL, sim_port(), "GET", "/api/status", NULL, NULL, 0);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.text, "\"held\":false"));
    assert_null(strstr(a.text, "\"state\":\"receiving\""));
    http(&a, NULL, sim_port(), "GET", path, NULL, NULL, 0);
    assert_int_equal(a.status, 404);
    http(&a, NULL, sim_port(), "POST", path, hdr, img + off, n - (size_t)off);
    assert_int_equal(a.status, 404);
    assert_non_null(strstr(a.text, "upload_not_found"));
    flash_same_outside(before, fn, slot, SLOT_SIZE);

    /* DELETE ends a held upload at once */
    new_id(id, sizeof(id));
    snprintf(path, sizeof(path), "/api/update?id=%s", id);
    (void)drop_after(path, img, n, 1000);
    http(&a, NULL, sim_port(), "DELETE", path, NULL, NULL, 0);
    assert_int_equal(a.status, 200);
    http(&a, NULL, sim_port(), "GET", path, NULL, NULL, 0);
    assert_int_equal(a.status, 404);
    flash_same_outside(before, fn, slot, SLOT_SIZE);
    /* and a plain upload is no longer busy: it reaches the image checks */
    http(&a, NULL, sim_port(), "POST", "/api/update", "Content-Type: application/octet-stream\r\n",
         img, n);
    assert_int_equal(a.status, 422);
    assert_non_null(strstr(a.text, "no_updater"));
    flash_same_outside(before, fn, slot, SLOT_SIZE);
    free(before);
    free(img);
}

/* `webota push` through the proxy: --no-resume gives up at the drop (and
 * the device's session ends as before); by default push continues after each
 * of three drops, saying so, and the device installs the image's bytes (the
 * default push compresses: the offsets are compressed bytes). */
static void test_push_resumes(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *img = image(good, &n);
    size_t one[] = {20000};
    proxy_start(sim_port(), one, 1);
    char purl[64], *out = NULL, *err = NULL;
    snprintf(purl, sizeof(purl), "http://127.0.0.1:%u", (unsigned)px.port);
    int rc = run(&out, &err, "push --no-resume %s '%s'", purl, good);
    assert_int_not_equal(rc, 0);
    assert_null(strstr(err, "resuming"));
    assert_int_equal(px.dropped, 1);
    free(out);
    free(err);
    proxy_stop();
    /* the session ended (or, when the drop took the request's headers with
     * it, never began): the device is no longer receiving */
    bool idle = false;
    for (int i = 0; i < 150 && !idle; i++) {
        char *st = NULL;
        idle = run(&st, NULL, "status --json %s", url) == 0 &&
               strstr(st, "\"state\":\"receiving\"") == NULL && strstr(st, "\"held\":false") != NULL;
        free(st);
        if (!idle) {
            sleep_ms(200);
        }
    }
    assert_true(idle);

    size_t cuts[] = {5000, 40000, 40000};
    proxy_start(sim_port(), cuts, 3);
    snprintf(purl, sizeof(purl), "http://127.0.0.1:%u", (unsigned)px.port);
    rc = run(&out, &err, "push %s '%s'", purl, good);
    if (rc != 0) {
        fail_msg("push failed (%d):\n%s\n%s", rc, out, err);
    }
    assert_int_equal(px.dropped, 3);
    assert_contains(err, "connection lost, resuming…");
    assert_contains(err, "resuming at byte");
    assert_contains(err, "compressed "); /* the resumed upload is the gzip stream */
    assert_contains(out, "installed 1.1.0 into ota_0");
    free(out);
    free(err);
    proxy_stop();
    assert_installed(img, n);
    free(img);
}

/* `webota push OPTS PROXY FILE` through the proxy in one of its modes (one
 * drop at most), stopped afterwards (px.dropped stays); push's exit status,
 * its output in *out and *err. */
static int push_via_proxy(bool at_answer, size_t cut, size_t tail, bool swallow, const char *opts,
                          const char *file, char **out, char **err)
{
    size_t cuts[] = {cut};
    proxy_start_mode(sim_port(), cuts, 1, at_answer, tail, swallow);
    char purl[64];
    snprintf(purl, sizeof(purl), "http://127.0.0.1:%u", (unsigned)px.port);
    int rc = run(out, err, "push %s%s '%s'", opts, purl, file);
    proxy_stop();
    return rc;
}

/* The answer to the upload is lost (the proxy drops the connection when the
 * device answers, after the whole image arrived): the device installed the
 * image and reboots; push asks its status instead of failing, and reports
 * what runs (exit 0), with --no-resume too. The device runs it. */
static void test_push_answer_lost(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *img = image(good, &n);
    const char *modes[] = {"", "--no-resume "};
    for (int i = 0; i < 2; i++) {
        char *out = NULL, *err = NULL;
        /* 4096: more than the status and session requests send */
        int rc = push_via_proxy(true, 4096, 0, false, modes[i], good, &out, &err);
        if (rc != 0) {
            fail_msg("push %sfailed (%d):\n%s\n%s", modes[i], rc, out, err);
        }
        assert_int_equal(px.dropped, 1);
        assert_contains(err, "the connection was lost after the whole image was sent; asking the device");
        assert_null(strstr(err, "resuming at byte"));
        assert_contains(out, "installed 1.1.0 into ota_");
        assert_contains(out, "the device is back: webota-demo 1.1.0 runs from ota_");
        free(out);
        free(err);
        assert_installed_somewhere(img, n);
    }
    free(img);
}

/* A push through the proxy in tail or swallow mode that the device takes
 * after one resume from `resumed_at` ("resuming at byte ..."): exit 0, one
 * drop, the image in a slot. */
static void push_resumes_through(size_t tail, bool swallow, const char *resumed_at, const uint8_t *img,
                                 size_t n)
{
    char *out = NULL, *err = NULL;
    int rc = push_via_proxy(false, 0, tail, swallow, "", good, &out, &err);
    if (rc != 0) {
        fail_msg("push failed (%d):\n%s\n%s", rc, out, err);
    }
    assert_int_equal(px.dropped, 1);
    assert_contains(err, "connection lost, resuming…");
    assert_contains(err, resumed_at);
    assert_contains(out, "installed 1.1.0 into ota_");
    free(out);
    free(err);
    assert_installed_somewhere(img, n);
}

/* Two `status --json` answers name the same running firmware and state. */
static void assert_same_running(const char *st0, const char *st1)
{
    const char *r0 = strstr(st0, "\"running\":"), *r1 = strstr(st1, "\"running\":");
    assert_non_null(r0);
    assert_non_null(r1);
    assert_int_equal(strncmp(r0, r1, (size_t)(strstr(r0, "}") - r0)), 0);
}

/* Every byte left push but the last few never reached the device (the proxy
 * drops the upload 16 bytes short of its end, after push has written them
 * all): by default push finds the upload held there and sends the rest
 * (exit 0); with --no-resume the device ended the upload, and push reports
 * that from its status (aborted, firmware untouched: exit 1). */
static void test_push_all_sent_not_received(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *img = image(good, &n);
    push_resumes_through(16, false, "resuming at byte", img, n);

    size_t fn = 0;
    uint8_t *before = read_flash(&fn);
    char *st0 = NULL;
    assert_int_equal(run(&st0, NULL, "status --json %s", url), 0);
    unsigned long next = 0;
    const char *nx = strstr(st0, "\"next\":{\"label\":\"");
    assert_non_null(nx);
    assert_int_equal(sscanf(strstr(nx, "\"offset\":"), "\"offset\":%lu", &next), 1);
    char *out = NULL, *err = NULL;
    int rc = push_via_proxy(false, 0, 16, false, "--no-resume ", good, &out, &err);
    assert_int_equal(rc, 1);
    assert_int_equal(px.dropped, 1);
    assert_contains(err, "the connection was lost after the whole image was sent; asking the device");
    assert_contains(err, "error: aborted: the connection was lost before the device had the whole image");
    free(out);
    free(err);
    /* nothing switched: the same firmware runs, the flash outside the slot
     * written and otadata (whose older entry the upload's start may erase,
     * as esp_ota_begin does) is as before */
    char *st1 = NULL;
    assert_int_equal(run(&st1, NULL, "status --json %s", url), 0);
    assert_same_running(st0, st1);
    assert_non_null(strstr(st1, "\"error\":\"aborted\""));
    size_t now_n = 0;
    uint8_t *now = read_flash(&now_n);
    assert_int_equal(now_n, fn);
    memcpy(now + next, before + next, SLOT_SIZE);
    memcpy(now + 0xd000, before + 0xd000, 0x2000);
    assert_memory_equal(before, now, fn);
    free(now);
    free(before);
    free(st0);
    free(st1);
    free(img);
}

/* Every byte left push but none of the upload reached the device (the proxy
 * takes the whole request and forwards nothing of it): by default push finds
 * the id unused ("new", offset 0) and sends the image again (exit 0); with
 * --no-resume the status shows the device never began it, and push says the
 * image was not installed (exit 1). */
static void test_push_all_sent_none_received(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *img = image(good, &n);
    push_resumes_through(0, true, "resuming at byte 0 of", img, n);

    char *st0 = NULL, *out = NULL, *err = NULL;
    assert_int_equal(run(&st0, NULL, "status --json %s", url), 0);
    int rc = push_via_proxy(false, 0, 0, true, "--no-resume ", good, &out, &err);
    assert_int_equal(rc, 1);
    assert_int_equal(px.dropped, 1);
    assert_contains(err, "the connection was lost after the whole image was sent; asking the device");
    assert_contains(err, "error: not_installed: the whole image was sent but the answer was lost, and "
                         "the device still runs webota-demo 1.1.0 from ota_");
    assert_contains(err, "(update idle): webota-demo 1.1.0 was not installed; push it again");
    free(out);
    free(err);
    char *st1 = NULL;
    assert_int_equal(run(&st1, NULL, "status --json %s", url), 0);
    assert_same_running(st0, st1);
    free(st0);
    free(st1);
    free(img);
}

/* The same with an image that has no updater (--force): its outcome cannot
 * be asked of the firmware that now runs: push says so and fails (1). */
static void test_push_answer_lost_no_updater(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = push_via_proxy(true, 4096, 0, false, "--force --json ", nomarker, &out, &err);
    assert_int_equal(rc, 1);
    assert_int_equal(px.dropped, 1);
    assert_contains(err, "error: answer_lost: the whole image was sent but the device's answer was lost");
    assert_contains(out, "\"ok\":false,\"error\":\"answer_lost\"");
    free(out);
    free(err);
}

/* A device that requires signed images refuses an unsigned one at its end
 * (the signature follows the image); the answer is lost: push reads the
 * refusal from the status (its code and message, exit 1), and the device
 * still runs what it ran. */
static void test_push_answer_lost_refused(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"running\":{\"label\":\"factory\"");
    free(out);
    int rc = push_via_proxy(true, 4096, 0, false, "", good, &out, &err);
    assert_int_equal(rc, 1);
    assert_int_equal(px.dropped, 1);
    assert_contains(err, "error: unsigned: the device refused the image at its end (its answer was lost): ");
    free(out);
    free(err);
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"running\":{\"label\":\"factory\"");
    free(out);
}

static int start_signed(void **state)
{
    (void)state;
    static const char *const args[] = {"--trusted-key", WEBOTA_VECTORS "/sbv2/keys/p256_a.pub.pem", NULL};
    return sim_start_args(args) == 0 ? (find_demo_images(), 0) : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_resume_through_proxy),
        cmocka_unit_test(test_refusals),
    };
    const struct CMUnitTest push_tests[] = {
        cmocka_unit_test(test_push_resumes),
        cmocka_unit_test(test_push_answer_lost),
        cmocka_unit_test(test_push_all_sent_not_received),
        cmocka_unit_test(test_push_all_sent_none_received),
        cmocka_unit_test(test_push_answer_lost_no_updater),
    };
    const struct CMUnitTest signed_tests[] = {
        cmocka_unit_test(test_push_answer_lost_refused),
    };
    int failed = cmocka_run_group_tests_name("resume", tests, start, sim_stop);
    failed += cmocka_run_group_tests_name("push", push_tests, start, sim_stop);
    return failed + cmocka_run_group_tests_name("answer lost, signed only", signed_tests, start_signed, sim_stop);
}
