/* libcurl transport of the simulator's puller (see pull_client.h). */
#include "sim/pull_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define SIG_MAX (WEBOTA_SIG_BLOCKS * WEBOTA_SIG_BLOCK_LEN)

/* Every simulated device of a process shares one PSA Crypto key store (a few
 * dozen key slots, not thread-safe in mbedTLS 2.28): signature checks, which
 * import the signer's key, take turns. A real device has its own. */
static pthread_mutex_t verify_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t sim_pull_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void lock(sim_pull_t *sp)
{
    if (sp->lock != NULL) {
        pthread_mutex_lock(sp->lock);
    }
}

static void unlock(sim_pull_t *sp)
{
    if (sp->lock != NULL) {
        pthread_mutex_unlock(sp->lock);
    }
}

static void record_path(const sim_pull_t *sp, char *out, size_t cap)
{
    snprintf(out, cap, "%s.pull", sp->cfg.flash_path);
}

/* Written through a temporary file and renamed: never half a record. */
static void save_record(sim_pull_t *sp)
{
    if (!webota_pull_record_dirty(&sp->pull)) {
        return;
    }
    uint8_t buf[WEBOTA_PULL_RECORD_LEN];
    if (webota_pull_record_encode(webota_pull_record(&sp->pull), buf) != WEBOTA_OK) {
        return;
    }
    char path[4200], tmp[4300];
    record_path(sp, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f != NULL && fwrite(buf, 1, sizeof(buf), f) == sizeof(buf);
    if (f != NULL) {
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
        ok = fclose(f) == 0 && ok;
    }
    if (ok && rename(tmp, path) == 0) {
        webota_pull_record_saved(&sp->pull);
    } else {
        unlink(tmp);
        if (sp->cfg.log != NULL) {
            fprintf(sp->cfg.log, "%s: pull: cannot save %s: %s\n", sp->cfg.name, path, strerror(errno));
        }
    }
}

static void log_verdict(sim_pull_t *sp)
{
    webota_err_t v = webota_pull_verdict(&sp->pull);
    const char *m = webota_pull_message(&sp->pull);
    if (sp->cfg.log == NULL || (v == sp->logged && strcmp(m, sp->logged_msg) == 0)) {
        return;
    }
    sp->logged = v;
    snprintf(sp->logged_msg, sizeof(sp->logged_msg), "%s", m);
    fprintf(sp->cfg.log, "%s: pull: %s: %s\n", sp->cfg.name, webota_err_name(v), m);
    fflush(sp->cfg.log);
}

bool sim_pull_start(sim_pull_t *sp, const sim_pull_config_t *cfg, sim_running_t *run,
                    pthread_mutex_t *lk, char *err, size_t errcap)
{
    memset(sp, 0, sizeof(*sp));
    sp->cfg = *cfg;
    sp->lock = lk;
    sp->logged = WEBOTA_OK;
    webota_pull_record_t rec, *have = NULL;
    char path[4200];
    record_path(sp, path, sizeof(path));
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        uint8_t buf[WEBOTA_PULL_RECORD_LEN + 1];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        if (webota_pull_record_decode(buf, n, &rec) == WEBOTA_OK) {
            have = &rec;
        } else if (cfg->log != NULL) {
            fprintf(cfg->log, "%s: pull: %s is not a pull record: starting afresh\n", cfg->name, path);
        }
    }
    /* the simulated chip has no revision (its uploads do not check one either) */
    webota_pull_config_t pc = {cfg->device_id, cfg->chip, cfg->interval_ms, cfg->retry_ms, cfg->trust, false, 0};
    webota_app_desc_t running = run->boot.desc;
    lock(sp);
    webota_err_t e = webota_pull_init(&sp->pull, &pc, &run->rules, &running, have, sim_pull_now_ms());
    unlock(sp);
    if (e != WEBOTA_OK) {
        snprintf(err, errcap, "cannot start the puller: %s", webota_strerror(e));
        return false;
    }
    save_record(sp);
    if (webota_pull_verdict(&sp->pull) != WEBOTA_OK || webota_pull_message(&sp->pull)[0] != '\0') {
        if (webota_pull_verdict(&sp->pull) != WEBOTA_OK) {
            log_verdict(sp);
        }
    }
    sp->curl = curl_easy_init();
    if (sp->curl == NULL) {
        snprintf(err, errcap, "cannot start libcurl");
        return false;
    }
    return true;
}

void sim_pull_stop(sim_pull_t *sp)
{
    if (sp->curl != NULL) {
        curl_easy_cleanup(sp->curl);
        sp->curl = NULL;
    }
}

uint32_t sim_pull_due_in(sim_pull_t *sp)
{
    lock(sp);
    uint32_t d = webota_pull_due_in(&sp->pull, sim_pull_now_ms());
    unlock(sp);
    return d;
}

/* ---- transfers ---- */

typedef struct {
    uint8_t *buf;
    size_t cap, len;
    bool over;
} mem_t;

typedef struct {
    sim_pull_t *sp;
    char etag[96];
    long range_start; /* Content-Range start of a 206, -1 none */
    uint32_t pos;     /* file position of the next body byte */
    bool started, failed;
    mem_t *mem;       /* NULL = image bytes into the puller */
} xfer_t;

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    xfer_t *x = user;
    size_t len = size * n;
    char line[256];
    size_t l = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
    memcpy(line, p, l);
    line[l] = '\0';
    while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == '\n')) {
        line[--l] = '\0';
    }
    if (strncasecmp(line, "HTTP/", 5) == 0) {
        x->etag[0] = '\0'; /* a new answer (after a redirect or 100) */
        x->range_start = -1;
    } else if (strncasecmp(line, "etag:", 5) == 0) {
        const char *v = line + 5;
        while (*v == ' ') {
            v++;
        }
        size_t vl = strlen(v);
        if (vl < sizeof(x->etag)) { /* a longer one is not kept: no conditional request */
            memcpy(x->etag, v, vl + 1);
        }
    } else if (strncasecmp(line, "content-range:", 14) == 0) {
        const char *v = strstr(line, "bytes ");
        if (v != NULL) {
            x->range_start = strtol(v + 6, NULL, 10);
        }
    }
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    xfer_t *x = user;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(x->sp->curl, CURLINFO_RESPONSE_CODE, &status);
    x->sp->bytes += len;
    if (x->mem != NULL) {
        if (x->mem->len + len > x->mem->cap) {
            x->mem->over = true;
            return 0;
        }
        memcpy(x->mem->buf + x->mem->len, p, len);
        x->mem->len += len;
        return len;
    }
    if (status != 200 && status != 206) {
        return len; /* an error page: judged by its status */
    }
    if (!x->started) {
        x->started = true;
        x->pos = status == 206 && x->range_start >= 0 ? (uint32_t)x->range_start : 0;
    }
    lock(x->sp);
    webota_err_t e = webota_pull_data(&x->sp->pull, x->pos, p, len);
    unlock(x->sp);
    if (e != WEBOTA_OK) {
        x->failed = true;
        return 0; /* stops the transfer */
    }
    x->pos += (uint32_t)len;
    return len;
}

static long get(sim_pull_t *sp, const char *url, const char *if_none_match, uint32_t from, xfer_t *x)
{
    CURL *c = sp->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    /* a server that sends nothing for 10 s has dropped us: resume later */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 10L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "webota-sim");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    struct curl_slist *h = NULL;
    char hdr[160];
    if (if_none_match != NULL && if_none_match[0] != '\0') {
        snprintf(hdr, sizeof(hdr), "If-None-Match: %s", if_none_match);
        h = curl_slist_append(h, hdr);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    char range[32];
    if (from > 0) {
        snprintf(range, sizeof(range), "%u-", (unsigned)from);
        curl_easy_setopt(c, CURLOPT_RANGE, range);
    }
    x->range_start = -1;
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    if (rc != CURLE_OK && x->mem != NULL) {
        return 0; /* a manifest is all or nothing */
    }
    return status;
}

static bool poll_manifest(sim_pull_t *sp)
{
    static __thread uint8_t body[WEBOTA_RELEASE_MANIFEST_MAX + 1], sig[SIG_MAX + 1];
    mem_t mb = {body, sizeof(body), 0, false}, ms = {sig, sizeof(sig), 0, false};
    xfer_t x;
    memset(&x, 0, sizeof(x));
    x.sp = sp;
    x.mem = &mb;
    char etag[96];
    lock(sp);
    snprintf(etag, sizeof(etag), "%s", webota_pull_etag(&sp->pull));
    unlock(sp);
    long status = get(sp, sp->cfg.url, etag, 0, &x);
    char got_etag[96];
    snprintf(got_etag, sizeof(got_etag), "%s", x.etag);
    if (status == 200) {
        size_t urlen = strlen(sp->cfg.url);
        char *sig_url = malloc(urlen + 5);
        if (sig_url == NULL) {
            status = 0;
        } else {
            snprintf(sig_url, urlen + 5, "%s.sig", sp->cfg.url);
            xfer_t xs;
            memset(&xs, 0, sizeof(xs));
            xs.sp = sp;
            xs.mem = &ms;
            long s2 = get(sp, sig_url, NULL, 0, &xs);
            free(sig_url);
            if (s2 != 200 && s2 != 404) {
                status = s2 == 0 ? 0 : 502; /* the pair could not be fetched: try again */
            }
            if (s2 == 404) {
                ms.len = 0; /* no signature: refused as unsigned */
            }
        }
    }
    pthread_mutex_lock(&verify_lock);
    lock(sp);
    webota_pull_manifest(&sp->pull, sp->cfg.url, (int)status, got_etag, body, mb.len, sig, ms.len,
                         sim_pull_now_ms());
    bool downloading = webota_pull_state(&sp->pull) == WEBOTA_PULL_DOWNLOADING;
    unlock(sp);
    pthread_mutex_unlock(&verify_lock);
    log_verdict(sp);
    return downloading;
}

static bool fetch_image(sim_pull_t *sp)
{
    char url[WEBOTA_RELEASE_URL_MAX];
    lock(sp);
    snprintf(url, sizeof(url), "%s", webota_pull_image_url(&sp->pull));
    uint32_t from = webota_pull_offset(&sp->pull);
    unlock(sp);
    xfer_t x;
    memset(&x, 0, sizeof(x));
    x.sp = sp;
    long status = get(sp, url, NULL, from, &x);
    lock(sp);
    if (!x.failed && webota_pull_state(&sp->pull) == WEBOTA_PULL_DOWNLOADING) {
        webota_pull_transfer_end(&sp->pull, (int)status, sim_pull_now_ms());
    }
    bool activated = webota_pull_state(&sp->pull) == WEBOTA_PULL_ACTIVATED;
    unlock(sp);
    save_record(sp);
    log_verdict(sp);
    return activated;
}

bool sim_pull_step(sim_pull_t *sp)
{
    lock(sp);
    webota_pull_action_t a = webota_pull_next(&sp->pull, sim_pull_now_ms());
    unlock(sp);
    save_record(sp); /* next() may settle an attempt once confirmed */
    if (a == WEBOTA_PULL_FETCH_MANIFEST) {
        if (!poll_manifest(sp)) {
            return false;
        }
        a = WEBOTA_PULL_FETCH_IMAGE;
    }
    if (a == WEBOTA_PULL_FETCH_IMAGE) {
        return fetch_image(sp);
    }
    return false;
}
