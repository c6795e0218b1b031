/* The power-loss proof. Each scenario (update, boot, confirm, rollback steps on
 * a two-OTA device with a factory app) is first run without faults while
 * every flash program and erase is logged. Then, for every one of those
 * operations and each cut mode (clean: the operation is not done; torn: a
 * program leaves only some bytes, an erase leaves arbitrary bits), the
 * scenario is replayed on a fresh device with power cut at that operation,
 * the device is powered on (simulated ESP-IDF bootloader), and:
 *  - a valid image boots;
 *  - it is the firmware that ran before the interrupted update, or the new one
 *    (inside an update step, before activate's otadata write is complete: the
 *    old one, in the slot it ran from);
 *  - slot, version and state equal what an independent statement of the
 *    bootloader rules (docs/formats.md#bootloader-choice) gives for the
 *    otadata on flash and the slot contents the log says were complete at
 *    the cut;
 *  - a cut just before a power-on's first write (activate completed, nothing
 *    of the boot done) boots what that power-on boots in the fault-free run:
 *    the new firmware, PENDING_VERIFY with rollback (each BOOT step states the
 *    version and otadata state it must give, checked in the fault-free run);
 *  - from there, the device still takes a new update, boots it and confirms it.
 * Prints "powerloss: N cut points, N passed, 0 failed".
 *
 * A second proof covers a resumable upload held for its client (the
 * connection dropped part way, webota_api_abort: the session waits in RAM):
 * power is cut at every program and erase of that upload up to the drop
 * (clean and torn) and while it is held (no operation running). After power
 * on, the firmware that ran before boots from its slot in its state, the
 * flash outside the slot being written (otadata included) holds the bytes it
 * held before the upload began, a resume with the old id and offset is
 * refused (404 upload_not_found: the session was RAM state) with nothing
 * written, and the whole upload sent again installs and boots. One exception,
 * ESP-IDF's own: with rollback, when the older otadata entry names the slot
 * being overwritten, the upload's start erases that entry's sector
 * (esp_ota_begin does the same); the entry the running firmware boots by
 * keeps its bytes. */
#include <stdio.h>

#include "engine_fixture.h"
#include "testutil.h"
#include "webota/api.h"

/* The implementation under test powers the device on (bootloader) and fills
 * f->run (boot result, seam, rules) for the booted partition: here the
 * NOR-flash slot writer (fx_power_on); tests/esp/test_esp_powerloss.c
 * includes this file with the ESP-IDF binding's slot writer over the
 * esp_ota_ops stand-in instead. */
#ifndef PL_POWER_ON
#define PL_POWER_ON(f) fx_power_on(f)
#define PL_WHAT ""
#endif

/* ---- a flash that logs every program and erase ---- */

#define MAX_OPS 4096

typedef struct oplog {
    webota_flash_t inner;
    unsigned n;
    struct {
        uint32_t addr;
        bool erase;
    } op[MAX_OPS];
} oplog_t;

static webota_err_t lg_read(void *ctx, uint32_t a, void *b, size_t n)
{
    oplog_t *l = ctx;
    return webota_flash_read(&l->inner, a, b, n);
}

static void lg_note(oplog_t *l, uint32_t a, bool erase)
{
    if (l->n < MAX_OPS) {
        l->op[l->n].addr = a;
        l->op[l->n].erase = erase;
    }
    l->n++;
}

static webota_err_t lg_program(void *ctx, uint32_t a, const void *b, size_t n)
{
    oplog_t *l = ctx;
    lg_note(l, a, false);
    return webota_flash_program(&l->inner, a, b, n);
}

static webota_err_t lg_erase(void *ctx, uint32_t a, size_t n)
{
    oplog_t *l = ctx;
    lg_note(l, a, true);
    return webota_flash_erase(&l->inner, a, n);
}

/* ---- scenarios ---- */

typedef enum { UPDATE, BOOT, CONFIRM, ROLLBACK, END } step_kind_t;

typedef struct step {
    step_kind_t kind;
    const char *version; /* UPDATE: the new firmware; BOOT: the firmware that must boot */
    uint32_t state;      /* BOOT: its otadata state */
} step_t;

typedef struct scenario {
    const char *name;
    bool rollback;
    step_t steps[16];
} scenario_t;

#define PEND WEBOTA_OTA_STATE_PENDING_VERIFY
#define VALID WEBOTA_OTA_STATE_VALID
#define UNDEF WEBOTA_OTA_STATE_UNDEFINED

static const scenario_t scenarios[] = {
    {"a: factory -> ota_0, boot, confirm", true,
     {{UPDATE, "2.0", 0}, {BOOT, "2.0", PEND}, {CONFIRM, 0, 0}, {BOOT, "2.0", VALID}, {END, 0, 0}}},
    {"a': the same without rollback", false,
     {{UPDATE, "2.0", 0}, {BOOT, "2.0", UNDEF}, {CONFIRM, 0, 0}, {BOOT, "2.0", VALID}, {END, 0, 0}}},
    {"b: ota_0 -> ota_1, boot, reset before confirm -> ota_0", true,
     {{UPDATE, "2.0", 0},
      {BOOT, "2.0", PEND},
      {CONFIRM, 0, 0},
      {UPDATE, "3.0", 0},
      {BOOT, "3.0", PEND},
      {BOOT, "2.0", VALID},
      {END, 0, 0}}},
    {"c: three updates alternating slots, each confirmed", true,
     {{UPDATE, "2.0", 0},
      {BOOT, "2.0", PEND},
      {CONFIRM, 0, 0},
      {UPDATE, "3.0", 0},
      {BOOT, "3.0", PEND},
      {CONFIRM, 0, 0},
      {UPDATE, "4.0", 0},
      {BOOT, "4.0", PEND},
      {CONFIRM, 0, 0},
      {BOOT, "4.0", VALID},
      {END, 0, 0}}},
    {"c': three updates without rollback", false,
     {{UPDATE, "2.0", 0},
      {BOOT, "2.0", UNDEF},
      {UPDATE, "3.0", 0},
      {BOOT, "3.0", UNDEF},
      {UPDATE, "4.0", 0},
      {BOOT, "4.0", UNDEF},
      {END, 0, 0}}},
    {"d: mark invalid and reboot", true,
     {{UPDATE, "2.0", 0},
      {BOOT, "2.0", PEND},
      {CONFIRM, 0, 0},
      {UPDATE, "3.0", 0},
      {BOOT, "3.0", PEND},
      {ROLLBACK, 0, 0},
      {BOOT, "2.0", VALID},
      {END, 0, 0}}},
};

#define IMG_SIZE 12000u
#define FACTORY_VERSION "1.0"

typedef struct images {
    const char *version[8];
    uint8_t *img[8];
    size_t len[8];
    unsigned n;
} images_t;

static images_t images;

static const uint8_t *image_of(const char *version, size_t *len)
{
    for (unsigned i = 0; i < images.n; i++)
        if (strcmp(images.version[i], version) == 0) {
            *len = images.len[i];
            return images.img[i];
        }
    assert_true(images.n < 8);
    images.version[images.n] = version;
    images.img[images.n] = fx_image(version, IMG_SIZE, &images.len[images.n]);
    *len = images.len[images.n];
    return images.img[images.n++];
}

/* A device whose flash goes through the log. */
typedef struct dev {
    fx_t f;
    oplog_t log;
} pdev_t;

static void dev_new(pdev_t *d, bool rollback)
{
    size_t flen;
    const uint8_t *fimg = image_of(FACTORY_VERSION, &flen);
    fx_new(&d->f, "two-ota", fimg, flen, rollback);
    d->log.inner = d->f.flash;
    d->log.n = 0;
    d->f.flash = (webota_flash_t){&d->log, d->log.inner.size, lg_read, lg_program, lg_erase};
}

/* Step boundaries and update targets from the fault-free run. */
typedef struct trace {
    unsigned step_start[16], step_end[16]; /* op indices [start, end) */
    int target[16];                        /* UPDATE: OTA slot written */
    const char *running_before[16];        /* version running when the step began */
    int running_index_before[16];
    int boot_index[16]; /* BOOT: the slot it booted */
    unsigned steps, ops;
} trace_t;

static webota_err_t run_step(pdev_t *d, const step_t *s, int *target)
{
    switch (s->kind) {
    case UPDATE: {
        size_t len;
        const uint8_t *img = image_of(s->version, &len);
        static webota_update_t u;
        webota_update_policy_t pol;
        webota_update_policy_init(&pol);
        pol.check_chip = true;
        pol.chip = WEBOTA_CHIP_ESP32;
        webota_slot_info_t next;
        webota_err_t err = webota_slot_next(&d->f.run.rules, &next);
        if (err != WEBOTA_OK)
            return err;
        *target = next.index;
        return fx_update_with(&d->f, &u, &pol, img, len, 4096, false);
    }
    case BOOT:
        return PL_POWER_ON(&d->f);
    case CONFIRM:
        return webota_slot_confirm(&d->f.run.rules);
    case ROLLBACK:
        return webota_slot_rollback(&d->f.run.rules);
    case END:
        break;
    }
    return WEBOTA_ERR_ARG;
}

/* ---- the reference: slot contents at the cut and the bootloader choice ---- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct ref_entry {
    uint32_t seq, state, crc;
} ref_entry_t;

static bool ref_valid(const ref_entry_t *e)
{
    return e->seq != 0xFFFFFFFFu && e->state != WEBOTA_OTA_STATE_INVALID && e->state != WEBOTA_OTA_STATE_ABORTED &&
           e->crc == webota_ota_seq_crc(e->seq);
}

/* content[0] factory, [1] ota_0, [2] ota_1: the version held, NULL = none/broken. */
static void ref_boot(const uint8_t *region, const char *content[3], bool rollback, int *index, const char **ver,
                     uint32_t *state)
{
    ref_entry_t e[2];
    for (int i = 0; i < 2; i++) {
        const uint8_t *r = region + i * 0x1000;
        e[i] = (ref_entry_t){le32(r), le32(r + 24), le32(r + 28)};
        if (rollback && e[i].state == WEBOTA_OTA_STATE_PENDING_VERIFY)
            e[i].state = WEBOTA_OTA_STATE_ABORTED;
    }
    bool ok0 = ref_valid(&e[0]), ok1 = ref_valid(&e[1]);
    int active = ok0 && ok1 ? (e[1].seq > e[0].seq ? 1 : 0) : ok0 ? 0 : ok1 ? 1 : -1;
    int start = -1;
    if (active >= 0) {
        start = (int)((e[active].seq - 1) % 2);
        if (rollback && e[active].state == WEBOTA_OTA_STATE_NEW)
            e[active].state = WEBOTA_OTA_STATE_PENDING_VERIFY;
    }
    int order[4], n = 0;
    for (int i = start; i >= -1; i--)
        order[n++] = i;
    for (int i = start + 1; i < 2; i++)
        order[n++] = i;
    *index = -3;
    *ver = NULL;
    for (int i = 0; i < n; i++)
        if (content[order[i] + 1] != NULL) {
            *index = order[i];
            *ver = content[order[i] + 1];
            break;
        }
    *state = WEBOTA_OTA_STATE_UNDEFINED;
    if (*index >= 0) {
        if (active >= 0 && start == *index) {
            *state = e[active].state;
        } else {
            for (int i = 0; i < 2; i++)
                if (e[i].seq != 0xFFFFFFFFu && e[i].crc == webota_ota_seq_crc(e[i].seq) &&
                    (int)((e[i].seq - 1) % 2) == *index) {
                    *state = e[i].state;
                    break;
                }
        }
    }
}

/* Which partition an op touched: 0 factory, 1 ota_0, 2 ota_1, -1 other. */
static int op_part(const webota_parttable_t *pt, uint32_t addr)
{
    const webota_partition_t *p = webota_pt_find_addr(pt, addr);
    if (p == NULL)
        return -1;
    return webota_pt_slot_index(p) + 1;
}

/* ---- one cut ---- */

typedef struct tally {
    unsigned points, passed, failed;
    unsigned before_boot; /* clean cuts right before a power-on's first write */
} tally_t;

static bool check_cut(const scenario_t *sc, const trace_t *t, const oplog_t *ref_log, unsigned k, sim_cut_mode_t mode,
                      tally_t *tl)
{
    pdev_t *d = calloc(1, sizeof *d);
    dev_new(d, sc->rollback);
    bool ok = PL_POWER_ON(&d->f) == WEBOTA_OK;
    d->log.n = 0;
    sim_nor_cut_power_at(d->f.nor, k, mode, k * 2654435761u + (unsigned)mode);
    unsigned s = 0;
    for (; ok && sc->steps[s].kind != END; s++) {
        int target;
        webota_err_t err = run_step(d, &sc->steps[s], &target);
        if (!sim_nor_powered(d->f.nor))
            break; /* the cut: the device stops here (whatever error the step reported) */
        if (err != WEBOTA_OK)
            ok = false;
    }
    /* the cut happened in step s, at op k of the fault-free run */
    ok = ok && sc->steps[s].kind != END && k >= t->step_start[s] && k < t->step_end[s] && !sim_nor_powered(d->f.nor);
    /* the same operations as the fault-free run up to the cut (esp_ota_begin
     * ignores a failed otadata erase, so one more failing call may follow) */
    ok = ok && d->log.n >= k + 1 && d->log.op[k].addr == ref_log->op[k].addr &&
         d->log.op[k].erase == ref_log->op[k].erase;

    /* slot contents at the cut, from the log */
    const char *content[3] = {FACTORY_VERSION, NULL, NULL};
    for (unsigned i = 0; ok && i <= s; i++) {
        if (sc->steps[i].kind != UPDATE)
            continue;
        int tp = t->target[i] + 1;
        int first = -1, last = -1;
        for (unsigned j = t->step_start[i]; j < t->step_end[i]; j++)
            if (op_part(&d->f.pt, ref_log->op[j].addr) == tp) {
                if (first < 0)
                    first = (int)j;
                last = (int)j;
            }
        if (last < 0)
            ok = false;
        else if (k > (unsigned)last)
            content[tp] = sc->steps[i].version;
        else if (k > (unsigned)first || (k == (unsigned)first && mode == SIM_CUT_TORN))
            content[tp] = NULL;
    }

    /* power on */
    sim_nor_power_on(d->f.nor);
    const webota_partition_t *od = webota_pt_otadata(&d->f.pt);
    uint8_t region[WEBOTA_OTADATA_SIZE];
    memcpy(region, sim_nor_data(d->f.nor) + od->offset, sizeof region);
    webota_err_t berr = PL_POWER_ON(&d->f);
    ok = ok && berr == WEBOTA_OK; /* a valid image boots */
    int ridx = -3;
    const char *rver = NULL;
    uint32_t rstate = 0;
    ref_boot(region, content, sc->rollback, &ridx, &rver, &rstate);
    const char *old = t->running_before[s];
    const char *newv = NULL;
    for (unsigned i = 0; i <= s; i++)
        if (sc->steps[i].kind == UPDATE) {
            old = t->running_before[i];
            newv = sc->steps[i].version;
        }
    if (ok) {
        const char *got = d->f.run.boot.desc.version;
        /* old or new firmware */
        ok = strcmp(got, old) == 0 || (newv != NULL && strcmp(got, newv) == 0) ||
             strcmp(got, t->running_before[s]) == 0;
        /* inside an update: always the old one, in its slot */
        if (sc->steps[s].kind == UPDATE)
            ok = ok && strcmp(got, t->running_before[s]) == 0 && d->f.run.boot.index == t->running_index_before[s];
        /* activate (and any earlier step) complete, the power-on's first write
         * not done: the same boot as the fault-free run (new, PENDING_VERIFY) */
        if (sc->steps[s].kind == BOOT && mode == SIM_CUT_CLEAN && k == t->step_start[s] && ++tl->before_boot)
            ok = ok && strcmp(got, sc->steps[s].version) == 0 && d->f.run.boot.state == sc->steps[s].state &&
                 d->f.run.boot.index == t->boot_index[s];
        /* the reference agrees on slot, version, state */
        ok = ok && rver != NULL && d->f.run.boot.index == ridx && strcmp(got, rver) == 0 && d->f.run.boot.state == rstate;
        if (!ok)
            print_error("%s: op %u (%s %s 0x%x, step %u) %s: booted %s %s (%s), reference %d %s (%s)\n", sc->name, k,
                        mode == SIM_CUT_CLEAN ? "clean" : "torn", ref_log->op[k].erase ? "erase" : "program",
                        (unsigned)ref_log->op[k].addr, s, sc->steps[s].kind == UPDATE ? "update" : "after update",
                        d->f.run.boot.part.label, got, webota_ota_state_name(d->f.run.boot.state), ridx,
                        rver ? rver : "-", webota_ota_state_name(rstate));
    } else {
        print_error("%s: op %u %s: no boot (%s) or trace mismatch\n", sc->name, k,
                    mode == SIM_CUT_CLEAN ? "clean" : "torn", webota_err_name(berr));
    }

    /* the rest still works: confirm what is pending, update, boot, confirm */
    if (ok) {
        webota_slot_info_t run;
        ok = webota_slot_running(&d->f.run.rules, &run) == WEBOTA_OK;
        if (ok && run.state == WEBOTA_OTA_STATE_PENDING_VERIFY)
            ok = webota_slot_confirm(&d->f.run.rules) == WEBOTA_OK;
        webota_slot_info_t next;
        ok = ok && webota_slot_next(&d->f.run.rules, &next) == WEBOTA_OK;
        size_t len;
        const uint8_t *img = image_of("9.9", &len);
        ok = ok && fx_update(&d->f, img, len, 3000) == WEBOTA_OK;
        ok = ok && PL_POWER_ON(&d->f) == WEBOTA_OK && d->f.run.boot.index == next.index &&
             strcmp(d->f.run.boot.desc.version, "9.9") == 0;
        ok = ok && webota_slot_confirm(&d->f.run.rules) == WEBOTA_OK;
        ok = ok && PL_POWER_ON(&d->f) == WEBOTA_OK && strcmp(d->f.run.boot.desc.version, "9.9") == 0 &&
             d->f.run.boot.state == WEBOTA_OTA_STATE_VALID;
        if (!ok)
            print_error("%s: op %u %s: the update after the cut failed\n", sc->name, k,
                        mode == SIM_CUT_CLEAN ? "clean" : "torn");
    }
    tl->points++;
    if (ok)
        tl->passed++;
    else
        tl->failed++;
    fx_free(&d->f);
    free(d);
    return ok;
}

static void test_powerloss(void **state)
{
    (void)state;
    tally_t tl = {0, 0, 0, 0};
    static oplog_t ref_log;
    for (unsigned i = 0; i < sizeof scenarios / sizeof *scenarios; i++) {
        const scenario_t *sc = &scenarios[i];
        trace_t t;
        /* fault-free run, keeping its log */
        pdev_t *d = calloc(1, sizeof *d);
        dev_new(d, sc->rollback);
        assert_int_equal(PL_POWER_ON(&d->f), WEBOTA_OK);
        d->log.n = 0;
        memset(&t, 0, sizeof t);
        for (unsigned s = 0; sc->steps[s].kind != END; s++) {
            t.running_index_before[s] = d->f.run.boot.index;
            t.running_before[s] = strdup(d->f.run.boot.desc.version);
            t.step_start[s] = d->log.n;
            t.target[s] = -3;
            assert_int_equal(run_step(d, &sc->steps[s], &t.target[s]), WEBOTA_OK);
            t.step_end[s] = d->log.n;
            if (sc->steps[s].kind == BOOT) {
                /* the scenario's own statement of what this power-on boots */
                assert_string_equal(d->f.run.boot.desc.version, sc->steps[s].version);
                assert_int_equal(d->f.run.boot.state, sc->steps[s].state);
                if (s > 0 && sc->steps[s - 1].kind == UPDATE)
                    assert_int_equal(d->f.run.boot.index, t.target[s - 1]);
                t.boot_index[s] = d->f.run.boot.index;
            }
            t.steps = s + 1;
        }
        t.ops = d->log.n;
        assert_true(t.ops <= MAX_OPS);
        ref_log = d->log;
        fx_free(&d->f);
        free(d);

        unsigned before = tl.failed, pts = tl.points;
        for (unsigned k = 0; k < t.ops; k++) {
            check_cut(sc, &t, &ref_log, k, SIM_CUT_CLEAN, &tl);
            check_cut(sc, &t, &ref_log, k, SIM_CUT_TORN, &tl);
        }
        printf("powerloss: scenario %s: %u operations, %u cut points, %u failed\n", sc->name, t.ops,
               tl.points - pts, tl.failed - before);
        for (unsigned s = 0; s < t.steps; s++)
            free((void *)t.running_before[s]);
    }
    printf("powerloss: %u cut points, %u passed, %u failed (%u just before a power-on's first write)%s\n", tl.points,
           tl.passed, tl.failed, tl.before_boot, PL_WHAT);
    assert_int_equal(tl.failed, 0);
    assert_true(tl.before_boot >= 8);
    assert_true(tl.points > 200);
}

/* ---- a held upload when power is lost ---- */

static uint32_t held_clock(void *ctx)
{
    return *(const uint32_t *)ctx;
}

static const char *const held_hosts[] = {"192.168.4.1"};
static uint32_t held_now;
static webota_api_t held_api; /* RAM: set up again at each power-on */

/* The device's api after a power-on: a fresh struct over the booted slot rules. */
static void held_api_start(pdev_t *d)
{
    webota_api_config_t ac;
    webota_api_config_init(&ac, &d->f.run.rules);
    ac.policy.check_chip = true;
    ac.policy.chip = WEBOTA_CHIP_ESP32;
    ac.hosts = held_hosts;
    ac.hosts_count = 1;
    ac.now_ms = held_clock;
    ac.ctx = &held_now;
    assert_int_equal(webota_api_init(&held_api, &ac), WEBOTA_OK);
}

static webota_api_request_t held_req(const char *method, const char *path, const char *query)
{
    return (webota_api_request_t){
        .method = method, .path = path, .query = query, .content_length = -1, .host = "192.168.4.1",
        .client = "192.168.4.2"};
}

/* One request, its body sent whole; the answer's status, its body in out. */
static int held_call(const webota_api_request_t *r, const void *body, size_t len, char *out, size_t cap)
{
    webota_api_conn_t conn;
    webota_api_response_t resp;
    if (webota_api_begin(&held_api, &conn, r, &resp) == WEBOTA_API_READ_BODY) {
        if (len > 0)
            (void)webota_api_body(&held_api, &conn, body, len);
        webota_api_end(&held_api, &conn, &resp);
    }
    snprintf(out, cap, "%.*s", (int)resp.body_len, (const char *)resp.body);
    return resp.status;
}

#define HELD_PART 8000u /* of IMG_SIZE: the bytes that arrive before the drop */
#define HELD_CHUNK 1000u

/* POST /api/update/session, then POST /api/update?id=ID with the image, of
 * which HELD_PART bytes arrive before the client goes away: the upload is
 * held. Stops where a flash operation fails (the power cut): false then.
 * query gets "id=ID". */
static bool held_upload(const uint8_t *img, size_t len, char *query, size_t qcap)
{
    char body[512];
    webota_api_request_t r = held_req("POST", "/api/update/session", NULL);
    assert_int_equal(held_call(&r, NULL, 0, body, sizeof body), 200);
    const char *id = strstr(body, "\"id\":\"");
    assert_non_null(id);
    snprintf(query, qcap, "id=%.32s", id + 6);
    r = held_req("POST", "/api/update", query);
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    webota_api_conn_t conn;
    webota_api_response_t resp;
    assert_int_equal(webota_api_begin(&held_api, &conn, &r, &resp), WEBOTA_API_READ_BODY);
    for (size_t off = 0; off < HELD_PART; off += HELD_CHUNK)
        if (!webota_api_body(&held_api, &conn, img + off, HELD_CHUNK))
            return false;
    webota_api_abort(&held_api, &conn); /* the client is gone: held */
    held_now += 1000;
    return true;
}

/* How the device stands before the held upload. */
typedef struct held_variant {
    const char *name;
    bool rollback;
    const char *updates[3]; /* installed (and confirmed) in turn; none: the factory app */
} held_variant_t;

static const held_variant_t held_variants[] = {
    {"factory, rollback", true, {NULL}},
    {"ota_0 confirmed, rollback", true, {"2.0", NULL}},
    {"ota_0, no rollback", false, {"2.0", NULL}},
    /* the upload goes to ota_0, which the older otadata entry names: its
     * sector is erased when the upload begins (ESP-IDF's esp_ota_begin does
     * the same with rollback on: the bootloader must not fall back into a
     * slot being overwritten) */
    {"ota_1 confirmed after ota_0, rollback", true, {"2.0", "4.0", NULL}},
};

/* What the fault-free run of a variant did besides writing the slot. */
typedef struct held_trace {
    unsigned ops;  /* programs and erases up to the drop */
    int inval_op;  /* the erase of the older otadata entry's sector, -1 none */
    uint32_t inval_addr;
} held_trace_t;

#define HELD_VERSION "3.0"

/* A fresh device in the variant's state, powered on, its api started. */
static pdev_t *held_device(const held_variant_t *v)
{
    pdev_t *d = calloc(1, sizeof *d);
    dev_new(d, v->rollback);
    assert_int_equal(PL_POWER_ON(&d->f), WEBOTA_OK);
    for (unsigned i = 0; i < 3 && v->updates[i] != NULL; i++) {
        size_t len;
        const uint8_t *img = image_of(v->updates[i], &len);
        assert_int_equal(fx_update(&d->f, img, len, 4096), WEBOTA_OK);
        assert_int_equal(PL_POWER_ON(&d->f), WEBOTA_OK);
        assert_string_equal(d->f.run.boot.desc.version, v->updates[i]);
        if (v->rollback)
            assert_int_equal(webota_slot_confirm(&d->f.run.rules), WEBOTA_OK);
        assert_int_equal(PL_POWER_ON(&d->f), WEBOTA_OK);
    }
    held_now = 1000;
    held_api_start(d);
    d->log.n = 0;
    return d;
}

/* The flash now against before: equal outside the slot being written, but for
 * the older otadata entry's sector when the upload's start erased it (t):
 * that one may hold its old bytes (the cut came before its erase, or the
 * erase was cut clean), be erased, or anything at a torn cut of its erase. */
static bool held_same_outside(const uint8_t *before, const pdev_t *d, const webota_slot_info_t *next,
                              const held_trace_t *t, unsigned k, sim_cut_mode_t mode)
{
    uint8_t *now = fx_snapshot(&d->f);
    memcpy(now + next->offset, before + next->offset, next->size);
    bool ok = true;
    if (t->inval_op >= 0) {
        uint8_t *sec = now + t->inval_addr;
        bool same = memcmp(sec, before + t->inval_addr, WEBOTA_OTADATA_SECTOR) == 0;
        bool erased = true;
        for (unsigned i = 0; i < WEBOTA_OTADATA_SECTOR; i++)
            erased = erased && sec[i] == 0xFF;
        bool torn_here = (int)k == t->inval_op && mode == SIM_CUT_TORN && k < t->ops;
        ok = same || erased || torn_here;
        memcpy(sec, before + t->inval_addr, WEBOTA_OTADATA_SECTOR);
    }
    ok = ok && memcmp(before, now, FX_FLASH_SIZE) == 0;
    free(now);
    return ok;
}

/* One cut: at op k of the held upload (mode), or k == ops: while it is held. */
static bool held_cut(const held_variant_t *v, const held_trace_t *t, unsigned k, sim_cut_mode_t mode)
{
    unsigned ops = t->ops;
    pdev_t *d = held_device(v);
    int old_index = d->f.run.boot.index;
    uint32_t old_state = d->f.run.boot.state;
    char old_version[sizeof d->f.run.boot.desc.version];
    snprintf(old_version, sizeof old_version, "%s", d->f.run.boot.desc.version);
    webota_slot_info_t next;
    assert_int_equal(webota_slot_next(&d->f.run.rules, &next), WEBOTA_OK);
    uint8_t *before = fx_snapshot(&d->f);
    size_t len;
    const uint8_t *img = image_of(HELD_VERSION, &len);
    char query[48], body[WEBOTA_API_BODY_MAX + 1];
    bool ok = true;
    if (k < ops) {
        sim_nor_cut_power_at(d->f.nor, k, mode, k * 2654435761u + (unsigned)mode);
        ok = !held_upload(img, len, query, sizeof query) && !sim_nor_powered(d->f.nor);
    } else {
        ok = held_upload(img, len, query, sizeof query) && webota_api_busy(&held_api);
        webota_api_request_t g = held_req("GET", "/api/update", query);
        ok = ok && held_call(&g, NULL, 0, body, sizeof body) == 200 && strstr(body, "\"state\":\"held\"") != NULL;
        sim_nor_power_off(d->f.nor); /* power goes while the upload is held */
    }
    /* power on: the firmware that ran before, from its slot, in its state */
    sim_nor_power_on(d->f.nor);
    webota_err_t berr = PL_POWER_ON(&d->f);
    ok = ok && berr == WEBOTA_OK && strcmp(d->f.run.boot.desc.version, old_version) == 0 &&
         d->f.run.boot.index == old_index && d->f.run.boot.state == old_state;
    /* everything outside the slot being written, otadata included, as before
     * (but for the older entry's invalidation, see held_same_outside) */
    ok = ok && held_same_outside(before, d, &next, t, k, mode);
    /* the session was RAM: a resume with the old id and offset is refused */
    if (ok) {
        held_api_start(d);
        char off[32];
        snprintf(off, sizeof off, "%u", HELD_PART);
        webota_api_request_t r = held_req("POST", "/api/update", query);
        r.content_type = "application/octet-stream";
        r.content_length = (int64_t)(len - HELD_PART);
        r.upload_offset = off;
        ok = held_call(&r, img + HELD_PART, len - HELD_PART, body, sizeof body) == 404 &&
             strstr(body, "\"upload_not_found\"") != NULL;
        webota_api_request_t g = held_req("GET", "/api/update", query);
        ok = ok && held_call(&g, NULL, 0, body, sizeof body) == 404;
        ok = ok && !webota_api_busy(&held_api);
        ok = ok && held_same_outside(before, d, &next, t, k, mode);
        /* the whole upload again (a new id) installs and boots */
        ok = ok && held_upload(img, len, query, sizeof query);
        char at[32];
        snprintf(at, sizeof at, "%u", HELD_PART);
        r = held_req("POST", "/api/update", query);
        r.content_type = "application/octet-stream";
        r.content_length = (int64_t)(len - HELD_PART);
        r.upload_offset = at;
        ok = ok && held_call(&r, img + HELD_PART, len - HELD_PART, body, sizeof body) == 200;
        ok = ok && PL_POWER_ON(&d->f) == WEBOTA_OK && d->f.run.boot.index == next.index &&
             strcmp(d->f.run.boot.desc.version, HELD_VERSION) == 0;
        ok = ok && memcmp(sim_nor_data(d->f.nor) + next.offset, img, len) == 0;
    }
    if (!ok)
        print_error("held upload (%s): cut at op %u of %u (%s): booted %s %s (%s), old %s, body %s\n", v->name, k,
                    ops, k == ops ? "while held" : mode == SIM_CUT_CLEAN ? "clean" : "torn",
                    d->f.run.boot.part.label, d->f.run.boot.desc.version,
                    webota_ota_state_name(d->f.run.boot.state), old_version, body);
    free(before);
    fx_free(&d->f);
    free(d);
    return ok;
}

static void test_powerloss_held(void **state)
{
    (void)state;
    unsigned points = 0, failed = 0;
    for (unsigned i = 0; i < sizeof held_variants / sizeof *held_variants; i++) {
        const held_variant_t *v = &held_variants[i];
        /* the fault-free run: the operations of the upload up to the drop,
         * all inside the slot being written but for one erase of the older
         * otadata entry's sector as it begins (with rollback, when there is one) */
        pdev_t *d = held_device(v);
        webota_slot_info_t next;
        assert_int_equal(webota_slot_next(&d->f.run.rules, &next), WEBOTA_OK);
        size_t len;
        const uint8_t *img = image_of(HELD_VERSION, &len);
        assert_true(len > HELD_PART);
        char query[48];
        assert_true(held_upload(img, len, query, sizeof query));
        assert_true(webota_api_busy(&held_api));
        held_trace_t t = {d->log.n, -1, 0};
        unsigned ops = t.ops;
        assert_true(ops >= 3 && ops <= MAX_OPS);
        const webota_partition_t *od = webota_pt_otadata(&d->f.pt);
        for (unsigned j = 0; j < ops; j++) {
            uint32_t a = d->log.op[j].addr;
            if (t.inval_op < 0 && d->log.op[j].erase && a >= od->offset && a < od->offset + od->size) {
                t.inval_op = (int)j;
                t.inval_addr = a;
                continue;
            }
            assert_true(a >= next.offset && a < next.offset + next.size);
        }
        /* exactly the variant with an older entry erases it */
        assert_int_equal(t.inval_op >= 0, v->rollback && v->updates[0] != NULL && v->updates[1] != NULL);
        fx_free(&d->f);
        free(d);

        unsigned before = failed, pts = points;
        for (unsigned k = 0; k <= ops; k++) {
            failed += !held_cut(v, &t, k, SIM_CUT_CLEAN);
            points++;
            if (k < ops) {
                failed += !held_cut(v, &t, k, SIM_CUT_TORN);
                points++;
            }
        }
        printf("powerloss: held upload, %s: %u operations before the drop, %u cut points, %u failed\n", v->name,
               ops, points - pts, failed - before);
    }
    printf("powerloss: held upload: %u cut points, %u passed, %u failed%s\n", points, points - failed, failed,
           PL_WHAT);
    assert_int_equal(failed, 0);
    assert_true(points > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_powerloss),
        cmocka_unit_test(test_powerloss_held),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    for (unsigned i = 0; i < images.n; i++)
        free(images.img[i]);
    return failed;
}
