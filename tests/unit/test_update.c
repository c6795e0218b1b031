/* The update session over the flash slot writer: any chunking gives the same
 * result, nothing is erased before the header and app descriptor passed the
 * policy, and every error path (with its message and offset) leaves otadata
 * and the running firmware byte for byte as they were. */
#include <stdio.h>

#include "engine_fixture.h"
#include "testutil.h"

static webota_update_policy_t esp32_policy(void)
{
    webota_update_policy_t p;
    webota_update_policy_init(&p);
    p.check_chip = true;
    p.chip = WEBOTA_CHIP_ESP32;
    p.check_chip_rev = true;
    p.chip_rev = 0;
    return p;
}

static void device(fx_t *f, bool rollback)
{
    size_t flen;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    fx_new(f, "two-ota", fimg, flen, rollback);
    free(fimg);
    assert_int_equal(fx_power_on(f), WEBOTA_OK);
}

static void test_happy_any_chunking(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_image("2.0", 70000, &len);
    static const size_t chunks[] = {1, 7, 255, 4096, 65536, 1 << 20};
    for (unsigned i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        fx_t f;
        device(&f, true);
        webota_update_t u;
        memset(&u, 0, sizeof u);
        assert_int_equal(webota_update_state(&u), WEBOTA_UPDATE_IDLE);
        assert_null(webota_update_desc(&u));
        assert_null(webota_update_slot(&u));
        webota_update_policy_t pol = esp32_policy();
        pol.project = "demo";
        pol.refuse_same_version = true;
        pol.running_version = "1.0";
        pol.expect_version = "2.0"; /* the image's own: accepted */
        assert_int_equal(webota_update_begin(&u, &f.run.rules, &pol, (uint32_t)len, false), WEBOTA_OK);
        assert_int_equal(webota_update_state(&u), WEBOTA_UPDATE_RECEIVING);
        assert_string_equal(webota_update_slot(&u)->label, "ota_0");
        assert_int_equal(webota_update_total(&u), len);
        for (size_t off = 0; off < len; off += chunks[i]) {
            size_t n = len - off < chunks[i] ? len - off : chunks[i];
            assert_int_equal(webota_update_write(&u, img + off, n), WEBOTA_OK);
            assert_int_equal(webota_update_received(&u), off + n);
        }
        assert_non_null(webota_update_desc(&u));
        assert_string_equal(webota_update_desc(&u)->version, "2.0");
        assert_int_equal(webota_update_finish(&u), WEBOTA_OK);
        assert_int_equal(webota_update_state(&u), WEBOTA_UPDATE_DONE);
        assert_int_equal(webota_update_error(&u), WEBOTA_OK);
        assert_string_equal(webota_update_message(&u), "");
        assert_memory_equal(sim_nor_data(f.nor) + 0x110000, img, len);
        assert_int_equal(fx_power_on(&f), WEBOTA_OK);
        assert_int_equal(f.run.boot.index, 0);
        assert_string_equal(f.run.boot.desc.version, "2.0");
        assert_int_equal(f.run.boot.state, WEBOTA_OTA_STATE_PENDING_VERIFY);
        /* after DONE, more data or a second finish is a state error */
        assert_int_equal(webota_update_write(&u, img, 1), WEBOTA_ERR_STATE);
        assert_int_equal(webota_update_finish(&u), WEBOTA_ERR_STATE);
        webota_update_abort(&u); /* no-op */
        assert_int_equal(webota_update_state(&u), WEBOTA_UPDATE_DONE);
        fx_free(&f);
    }
    free(img);
}

/* Unknown total (chunked upload), and the esptool-made vectors without marker
 * installed with force. */
static void test_unknown_total_and_vectors(void **state)
{
    (void)state;
    static const char *const vec[] = {"image/esp32_app.bin", "image/esp32_small.bin"};
    for (unsigned i = 0; i < 2; i++) {
        size_t len;
        uint8_t *img = tu_read_vector(vec[i], &len);
        fx_t f;
        device(&f, false);
        webota_update_t u;
        webota_update_policy_t pol = esp32_policy();
        assert_int_equal(fx_update_with(&f, &u, &pol, img, len, 4096, false), WEBOTA_ERR_UPD_NO_MARKER);
        assert_int_equal(webota_update_begin(&u, &f.run.rules, &pol, 0, true), WEBOTA_OK);
        assert_int_equal(webota_update_write(&u, img, len), WEBOTA_OK);
        assert_int_equal(webota_update_finish(&u), WEBOTA_OK);
        assert_memory_equal(sim_nor_data(f.nor) + 0x110000, img, len);
        assert_int_equal(fx_power_on(&f), WEBOTA_OK);
        assert_int_equal(f.run.boot.index, 0);
        fx_free(&f);
        free(img);
    }
}

/* Nothing touches the flash until 0x120 bytes have passed the policy. */
static void test_nothing_erased_before_descriptor(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_image("2.0", 30000, &len);
    fx_t f;
    device(&f, true);
    uint64_t ops = sim_nor_op_count(f.nor);
    webota_update_t u;
    webota_update_policy_t pol = esp32_policy();
    assert_int_equal(webota_update_begin(&u, &f.run.rules, &pol, (uint32_t)len, false), WEBOTA_OK);
    assert_int_equal(webota_update_write(&u, img, 0x11F), WEBOTA_OK);
    assert_int_equal(sim_nor_op_count(f.nor), ops);
    assert_int_equal(webota_update_write(&u, img + 0x11F, 1), WEBOTA_OK);
    assert_int_equal(sim_nor_op_count(f.nor), ops + 2); /* the first block: erase + program */
    webota_update_abort(&u);
    assert_int_equal(webota_update_state(&u), WEBOTA_UPDATE_FAILED);
    assert_int_equal(webota_update_error(&u), WEBOTA_ERR_UPD_ABORTED);
    assert_string_equal(webota_update_message(&u), "update aborted (the upload stopped) at offset 288");
    assert_int_equal(webota_update_write(&u, img, 1), WEBOTA_ERR_UPD_ABORTED);
    assert_int_equal(webota_update_finish(&u), WEBOTA_ERR_UPD_ABORTED);
    /* the slot writer was closed: a new session can open it */
    assert_int_equal(fx_update(&f, img, len, 5000), WEBOTA_OK);
    fx_free(&f);
    free(img);
}

/* ---- error paths ---- */

typedef enum { BEFORE_ERASE, AFTER_ERASE } when_t;

typedef struct err_case {
    const char *name;
    webota_err_t want;
    uint32_t offset;
    const char *message; /* NULL = not checked */
    when_t when;         /* BEFORE_ERASE: no flash operation at all */
} err_case_t;

/* Runs one failing session and checks the verdict and that everything but
 * the target slot (ota_0) is unchanged, and the error is sticky. */
static void check_failure(fx_t *f, webota_update_t *u, webota_err_t got, const err_case_t *c, const uint8_t *before,
                          uint64_t ops_before)
{
    if (got != c->want || (c->message != NULL && strcmp(webota_update_message(u), c->message) != 0)) {
        print_error("%s: got %s \"%s\"\n", c->name, webota_err_name(got), webota_update_message(u));
        fail();
    }
    assert_int_equal(webota_update_state(u), WEBOTA_UPDATE_FAILED);
    assert_int_equal(webota_update_error(u), c->want);
    if (c->offset != UINT32_MAX)
        assert_int_equal(webota_update_error_offset(u), c->offset);
    assert_int_not_equal(webota_update_message(u)[0], 0);
    if (c->when == BEFORE_ERASE && sim_nor_op_count(f->nor) != ops_before) {
        print_error("%s: the flash was written before the refusal\n", c->name);
        fail();
    }
    sim_nor_power_on(f->nor);
    const webota_partition_t *ota0 = webota_pt_find_label(&f->pt, "ota_0");
    assert_true(fx_same_outside(before, sim_nor_data(f->nor), ota0->offset, ota0->size));
    assert_int_equal(webota_update_write(u, before, 1), c->want);
    assert_int_equal(webota_update_finish(u), c->want);
    /* the device still boots the factory firmware */
    assert_int_equal(fx_power_on(f), WEBOTA_OK);
    assert_int_equal(f->run.boot.index, -1);
    assert_string_equal(f->run.boot.desc.version, "1.0");
}

static void test_error_paths(void **state)
{
    (void)state;
    size_t len;
    uint8_t *good = fx_image("2.0", 30000, &len);
    unsigned cases = 0;

    /* each case: an image variant, a policy, how it is sent */
    for (int k = 0;; k++) {
        fx_t f;
        device(&f, false);
        webota_update_policy_t pol = esp32_policy();
        uint8_t *img = malloc(len + 0x100000);
        memcpy(img, good, len);
        size_t ilen = len;
        uint32_t total = (uint32_t)len;
        size_t send = len;
        bool force = false, do_abort = false;
        int cut = -1;
        err_case_t c = {NULL, WEBOTA_OK, UINT32_MAX, NULL, AFTER_ERASE};
        char msg[WEBOTA_UPDATE_MESSAGE_MAX];
        fx_img_opts_t o;
        uint8_t *tmp;
        switch (k) {
        case 0:
            c = (err_case_t){"wrong chip", WEBOTA_ERR_IMG_CHIP, 12,
                             "image is built for another chip (ESP32-C3, this device is ESP32) at offset 12",
                             BEFORE_ERASE};
            o = fx_img_defaults("2.0");
            o.chip = WEBOTA_CHIP_ESP32C3;
            tmp = fx_image_opts(&o, &ilen);
            memcpy(img, tmp, ilen);
            free(tmp);
            total = (uint32_t)ilen;
            send = ilen;
            break;
        case 1:
            c = (err_case_t){"bad magic", WEBOTA_ERR_IMG_MAGIC, 0, NULL, BEFORE_ERASE};
            img[0] = 0xE8;
            break;
        case 2:
            c = (err_case_t){"announced size too big", WEBOTA_ERR_IMG_TOO_BIG, 0,
                             "image is larger than the slot (announced 1048577 bytes, slot ota_0 holds "
                             "1048576) at offset 0",
                             BEFORE_ERASE};
            total = 0x100001;
            break;
        case 3:
            /* unknown total: judged at the segment header that ends past the slot */
            c = (err_case_t){"image too big for the slot", WEBOTA_ERR_IMG_TOO_BIG, UINT32_MAX, NULL, AFTER_ERASE};
            o = fx_img_defaults("2.0");
            o.size = 0x100000 + 50000;
            free(img);
            img = fx_image_opts(&o, &ilen);
            total = 0;
            send = ilen;
            break;
        case 4:
            o = fx_img_defaults("2.0");
            o.marker = false;
            free(img);
            img = fx_image_opts(&o, &ilen);
            total = (uint32_t)ilen;
            send = ilen;
            /* judged once the whole image is in: reported where it ended */
            c = (err_case_t){"no marker", WEBOTA_ERR_UPD_NO_MARKER, (uint32_t)ilen, NULL, AFTER_ERASE};
            /* the message names the way to install it anyway */
            snprintf(msg, sizeof msg,
                     "image does not contain the webota updater: installing it would lock you out (to "
                     "install it anyway: \"Upload anyway\" on the page or webota push --force) at offset %u",
                     (unsigned)ilen);
            c.message = msg;
            break;
        case 5:
            c = (err_case_t){"secure_version too low", WEBOTA_ERR_UPD_SECURE_VERSION, 0x20,
                             "image secure_version is below the running firmware's (anti-rollback) (image 0, "
                             "running firmware 3) at offset 32",
                             BEFORE_ERASE};
            pol.running_secure_version = 3;
            break;
        case 6:
            c = (err_case_t){"wrong project", WEBOTA_ERR_UPD_PROJECT, 0x20,
                             "image is for another project (image is \"demo\", this device runs \"other\") at "
                             "offset 32",
                             BEFORE_ERASE};
            pol.project = "other";
            break;
        case 7:
            c = (err_case_t){"same version", WEBOTA_ERR_UPD_SAME_VERSION, 0x20, NULL, BEFORE_ERASE};
            pol.refuse_same_version = true;
            pol.running_version = "2.0";
            break;
        case 8:
            c = (err_case_t){"truncated", WEBOTA_ERR_IMG_TRUNCATED, (uint32_t)len - 100, NULL, AFTER_ERASE};
            total = 0;
            send = len - 100;
            break;
        case 9:
            c = (err_case_t){"shorter than announced", WEBOTA_ERR_UPD_LENGTH, UINT32_MAX, NULL, AFTER_ERASE};
            total = (uint32_t)len + 10;
            break;
        case 10:
            c = (err_case_t){"longer than announced", WEBOTA_ERR_UPD_LENGTH, (uint32_t)len - 10, NULL, AFTER_ERASE};
            total = (uint32_t)len - 10;
            break;
        case 11:
            c = (err_case_t){"bad checksum", WEBOTA_ERR_IMG_CHECKSUM, UINT32_MAX, NULL, AFTER_ERASE};
            img[len - 33 - 1 - 40] ^= 0x01; /* segment data before the checksum */
            break;
        case 12:
            c = (err_case_t){"bad SHA-256", WEBOTA_ERR_IMG_HASH, (uint32_t)len - 32, NULL, AFTER_ERASE};
            img[len - 1] ^= 0x80;
            break;
        case 13:
            c = (err_case_t){"flash failure", WEBOTA_ERR_FLASH_POWER, UINT32_MAX, NULL, AFTER_ERASE};
            cut = 3;
            break;
        case 14:
            c = (err_case_t){"client abort", WEBOTA_ERR_UPD_ABORTED, 8192, NULL, AFTER_ERASE};
            send = 8192;
            do_abort = true;
            break;
        case 15:
            c = (err_case_t){"empty", WEBOTA_ERR_UPD_EMPTY, 0, NULL, BEFORE_ERASE};
            total = 0;
            send = 0;
            break;
        case 16:
            c = (err_case_t){"garbage shorter than a descriptor", WEBOTA_ERR_IMG_TRUNCATED, 100, NULL, BEFORE_ERASE};
            total = 0;
            send = 100;
            break;
        case 17:
            c = (err_case_t){"older version", WEBOTA_ERR_UPD_OLDER_VERSION, 0x20,
                             "image has an older version than the running firmware (image \"2.0\", running "
                             "firmware \"v2.0.1\") at offset 32",
                             BEFORE_ERASE};
            pol.refuse_older_version = true;
            pol.running_version = "v2.0.1";
            break;
        case 18:
            c = (err_case_t){"another version than expected", WEBOTA_ERR_REL_VERSION, 0x20,
                             "image's version differs from the release manifest's (image \"2.0\", expected "
                             "\"2.1\") at offset 32",
                             BEFORE_ERASE};
            pol.expect_version = "2.1";
            break;
        default:
            break;
        }
        if (c.name == NULL) {
            free(img);
            fx_free(&f);
            break;
        }
        uint8_t *before = fx_snapshot(&f);
        uint64_t ops_before = sim_nor_op_count(f.nor);
        webota_update_t u;
        webota_err_t err = webota_update_begin(&u, &f.run.rules, &pol, total, force);
        if (cut >= 0)
            sim_nor_cut_power_at(f.nor, (uint64_t)cut, SIM_CUT_CLEAN, 7);
        for (size_t off = 0; err == WEBOTA_OK && off < send; off += 1000)
            err = webota_update_write(&u, img + off, send - off < 1000 ? send - off : 1000);
        if (err == WEBOTA_OK) {
            if (do_abort) {
                webota_update_abort(&u);
                err = webota_update_error(&u);
            } else {
                err = webota_update_finish(&u);
            }
        }
        check_failure(&f, &u, err, &c, before, ops_before);
        cases++;
        free(before);
        free(img);
        fx_free(&f);
    }
    printf("update error paths: %u cases, otadata and running firmware unchanged in each\n", cases);
    assert_int_equal(cases, 19);
    free(good);
}

/* Errors of the slot writer reach the session with the slot's name. */
static void test_slot_errors(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_image("2.0", 30000, &len);
    uint8_t *img3 = fx_image("3.0", 30000, &len);
    fx_t f;
    device(&f, true);
    assert_int_equal(fx_update(&f, img, len, 4096), WEBOTA_OK);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK); /* ota_0 PENDING_VERIFY */
    uint8_t *before = fx_snapshot(&f);
    webota_update_t u;
    webota_update_policy_t pol = esp32_policy();
    webota_err_t err = fx_update_with(&f, &u, &pol, img3, len, 4096, false);
    assert_int_equal(err, WEBOTA_ERR_UPD_PENDING_VERIFY);
    assert_string_equal(webota_update_message(&u), "running firmware is not confirmed yet: confirm or roll back "
                                                   "first (opening slot ota_1) at offset 0");
    assert_memory_equal(before, sim_nor_data(f.nor), FX_FLASH_SIZE);
    free(before);

    /* bad arguments and no slot */
    assert_int_equal(webota_update_begin(NULL, &f.run.rules, &pol, 0, false), WEBOTA_ERR_ARG);
    assert_int_equal(webota_update_begin(&u, NULL, &pol, 0, false), WEBOTA_ERR_ARG);
    assert_int_equal(webota_update_write(NULL, img, 1), WEBOTA_ERR_ARG);
    assert_int_equal(webota_update_finish(NULL), WEBOTA_ERR_ARG);
    webota_update_abort(NULL);
    assert_int_equal(webota_update_begin(&u, &f.run.rules, NULL, 0, false), WEBOTA_OK); /* default policy */
    assert_int_equal(webota_update_write(&u, NULL, 5), WEBOTA_ERR_ARG);
    fx_free(&f);

    size_t flen;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    fx_new(&f, "singleapp", fimg, flen, false);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    assert_int_equal(webota_update_begin(&u, &f.run.rules, &pol, 0, false), WEBOTA_ERR_UPD_NO_SLOT);
    assert_string_equal(webota_update_message(&u), "no OTA slot to update at offset 0");
    assert_null(webota_update_slot(&u));
    fx_free(&f);
    free(fimg);
    free(img);
    free(img3);
}

/* ---- `webota flash update` through the built CLI ---- */

static void test_cli(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir();
    const char *bin = WEBOTA_BIN;
    char flash[512], fimg[512], nimg[512], nomark[512], c3[512];
    snprintf(flash, sizeof flash, "%s/flash.bin", dir);
    snprintf(fimg, sizeof fimg, "%s/f.bin", dir);
    snprintf(nimg, sizeof nimg, "%s/n.bin", dir);
    snprintf(nomark, sizeof nomark, "%s/nm.bin", dir);
    snprintf(c3, sizeof c3, "%s/c3.bin", dir);
    size_t len;
    uint8_t *img = fx_image("1.0", 20000, &len);
    tu_write_file(fimg, img, len);
    free(img);
    img = fx_image("2.0", 50000, &len);
    tu_write_file(nimg, img, len);
    fx_img_opts_t o = fx_img_defaults("3.0");
    o.marker = false;
    size_t nlen;
    uint8_t *nm = fx_image_opts(&o, &nlen);
    tu_write_file(nomark, nm, nlen);
    o = fx_img_defaults("3.0");
    o.chip = WEBOTA_CHIP_ESP32C3;
    size_t clen;
    uint8_t *ci = fx_image_opts(&o, &clen);
    tu_write_file(c3, ci, clen);
    char *out = NULL;
    assert_int_equal(tu_runf(NULL, "%s flash make -o %s --app factory=%s >/dev/null 2>&1", bin, flash, fimg), 0);

    /* help and usage errors */
    assert_int_equal(tu_runf(&out, "%s flash update --help", bin), 0);
    assert_non_null(strstr(out, "usage: webota flash update"));
    free(out);
    assert_int_equal(tu_runf(NULL, "%s flash update %s 2>/dev/null", bin, flash), 2);
    assert_int_equal(tu_runf(NULL, "%s flash update --bogus %s %s 2>/dev/null", bin, flash, nimg), 2);
    assert_int_equal(tu_runf(NULL, "%s flash update --chip esp99 %s %s 2>/dev/null", bin, flash, nimg), 2);
    assert_int_equal(tu_runf(NULL, "%s flash update %s/missing.bin %s 2>/dev/null", bin, dir, nimg), 1);
    assert_int_equal(tu_runf(NULL, "%s flash update %s %s/missing.bin 2>/dev/null", bin, flash, dir), 1);

    /* refusals leave the file as it was (this power-on rewrites nothing without rollback) */
    size_t before_len, after_len;
    uint8_t *before = tu_read_file(flash, &before_len);
    assert_int_equal(tu_runf(&out, "%s flash update %s %s 2>&1", bin, flash, c3), 1);
    assert_non_null(strstr(out, "wrong_chip: image is built for another chip (ESP32-C3, this device is ESP32) "
                                "at offset 12"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s flash update --json %s %s", bin, flash, nomark), 1);
    assert_non_null(strstr(out, "\"ok\":false,\"error\":\"no_updater\""));
    free(out);
    uint8_t *after = tu_read_file(flash, &after_len);
    assert_int_equal(before_len, after_len);
    assert_true(fx_same_outside(before, after, 0x110000, 0x100000));
    free(before);
    free(after);

    /* an update, then the device boots it */
    assert_int_equal(tu_runf(&out, "%s flash update --rollback %s %s", bin, flash, nimg), 0);
    assert_non_null(strstr(out, "updated ota_0 at 0x110000: demo 2.0 (50000 bytes"));
    assert_non_null(strstr(out, "otadata: ota_0 boots next, state new"));
    assert_non_null(strstr(out, "flash: 2 erases (68 KiB)")); /* one 64 KiB slot block + otadata */
    free(out);
    after = tu_read_file(flash, &after_len);
    assert_memory_equal(after + 0x110000, img, len);
    free(after);
    assert_int_equal(tu_runf(&out, "%s flash boot --rollback --json %s", bin, flash), 0);
    assert_non_null(strstr(out, "\"boot\":\"ota_0\""));
    assert_non_null(strstr(out, "\"state\":\"pending_verify\""));
    free(out);
    /* forced install of the image without marker, into ota_1 (no rollback: ota_0 keeps running) */
    assert_int_equal(tu_runf(&out, "%s flash update --force --json %s %s", bin, flash, nomark), 0);
    assert_non_null(strstr(out, "\"ok\":true,\"running\":\"ota_0\",\"slot\":\"ota_1\""));
    assert_non_null(strstr(out, "\"version\":\"3.0\""));
    free(out);
    free(img);
    free(nm);
    free(ci);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(webota_update_state_name(WEBOTA_UPDATE_IDLE), "idle");
    assert_string_equal(webota_update_state_name(WEBOTA_UPDATE_RECEIVING), "receiving");
    assert_string_equal(webota_update_state_name(WEBOTA_UPDATE_VERIFYING), "verifying");
    assert_string_equal(webota_update_state_name(WEBOTA_UPDATE_DONE), "done");
    assert_string_equal(webota_update_state_name(WEBOTA_UPDATE_FAILED), "failed");
    assert_string_equal(webota_update_state_name((webota_update_state_t)99), "unknown");
    webota_update_policy_t p;
    webota_update_policy_init(&p);
    assert_false(p.check_chip);
    assert_false(p.check_chip_rev);
    assert_false(p.allow_no_marker);
    assert_false(p.allow_secure_downgrade);
}

/* A zeroed policy is the default (webota_update_policy_init): the marker is
 * required (an image without it is refused, with force it goes in). */
static void test_zeroed_policy_is_default(void **state)
{
    (void)state;
    webota_update_policy_t zero, init;
    memset(&zero, 0, sizeof zero);
    memset(&init, 0xA5, sizeof init);
    webota_update_policy_init(&init);
    assert_memory_equal(&init, &zero, sizeof zero);

    fx_img_opts_t o = fx_img_defaults("2.0");
    o.marker = false;
    size_t len;
    uint8_t *img = fx_image_opts(&o, &len);
    fx_t f;
    device(&f, false);
    uint8_t *before = fx_snapshot(&f);
    webota_update_t u;
    assert_int_equal(fx_update_with(&f, &u, &zero, img, len, 4096, false), WEBOTA_ERR_UPD_NO_MARKER);
    uint8_t *after = fx_snapshot(&f);
    assert_true(fx_same_outside(before, after, 0x110000, 0x100000)); /* only the target slot written */
    free(after);
    assert_int_equal(fx_update_with(&f, &u, &zero, img, len, 4096, true), WEBOTA_OK);
    free(img);
    free(before);
    fx_free(&f);

    /* with the marker it goes in without force */
    img = fx_image("2.0", 16384, &len);
    device(&f, false);
    assert_int_equal(fx_update_with(&f, &u, &zero, img, len, 4096, false), WEBOTA_OK);
    fx_free(&f);
    free(img);
}

/* The image is hashed once, while it streams: the slot is read back once
 * (each programmed piece compared with the data), never read or verified
 * again before otadata is switched. Reading the slot is the only way to hash
 * it, so the bytes read bound the passes. */
static void test_one_pass_over_the_slot(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_image("2.0", 300000, &len);
    fx_t f;
    device(&f, true);
    sim_nor_reset_stats(f.nor);
    assert_int_equal(fx_update(&f, img, len, 4096), WEBOTA_OK);
    uint64_t read = sim_nor_stats(f.nor).bytes_read;
    assert_true(read >= len);
    assert_true(read < len + 4096); /* + otadata entries; a second pass would be 2 * len */
    free(img);
    fx_free(&f);
}

/* One open slot: a second session on the same slot rules is refused with
 * UPD_BUSY, whether it starts while the first holds the slot or reaches the
 * slot second, and the first session goes on untouched (the ESP-IDF binding
 * used to abort it). */
static void test_second_session_is_busy(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fx_image("2.0", 30000, &len);
    fx_t f;
    device(&f, false);
    webota_update_policy_t pol = esp32_policy();
    static webota_update_t a, b;
    /* b begins while a holds the slot open */
    assert_int_equal(webota_update_begin(&a, &f.run.rules, &pol, (uint32_t)len, false), WEBOTA_OK);
    assert_int_equal(webota_update_write(&a, img, 0x1000), WEBOTA_OK); /* slot opened */
    assert_true(webota_slot_busy(&f.run.rules));
    assert_int_equal(webota_update_begin(&b, &f.run.rules, &pol, (uint32_t)len, false), WEBOTA_ERR_UPD_BUSY);
    assert_int_equal(webota_update_error(&b), WEBOTA_ERR_UPD_BUSY);
    assert_true(webota_slot_busy(&f.run.rules));
    assert_int_equal(webota_update_write(&a, img + 0x1000, len - 0x1000), WEBOTA_OK);
    assert_int_equal(webota_update_finish(&a), WEBOTA_OK);
    assert_false(webota_slot_busy(&f.run.rules));
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    assert_string_equal(f.run.boot.desc.version, "2.0");

    /* both begun, b reaches the slot first: a is refused when it gets there */
    uint8_t *img3 = fx_image("3.0", 30000, &len);
    assert_int_equal(webota_update_begin(&a, &f.run.rules, &pol, (uint32_t)len, false), WEBOTA_OK);
    assert_int_equal(webota_update_begin(&b, &f.run.rules, &pol, (uint32_t)len, false), WEBOTA_OK);
    assert_int_equal(webota_update_write(&b, img3, 0x1000), WEBOTA_OK);
    assert_int_equal(webota_update_write(&a, img3, 0x1000), WEBOTA_ERR_UPD_BUSY);
    assert_int_equal(webota_update_write(&b, img3 + 0x1000, len - 0x1000), WEBOTA_OK);
    assert_int_equal(webota_update_finish(&b), WEBOTA_OK);
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    assert_string_equal(f.run.boot.desc.version, "3.0");
    free(img);
    free(img3);
    fx_free(&f);
}

/* webota_version_compare: dotted numbers, optional 'v', pre-release older
 * than its release; anything else is not ordered. */
static void test_version_compare(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        bool ok;
        int cmp;
    } t[] = {
        {"1.0", "1.0", true, 0},         {"1.0", "1.0.0", true, 0},       {"v1.2.3", "1.2.3", true, 0},
        {"V2", "2.0.0", true, 0},        {"1.0", "2.0", true, -1},        {"2.0", "1.9.9", true, 1},
        {"1.10", "1.9", true, 1},        {"1.2.3", "1.2.4", true, -1},    {"0.9", "1", true, -1},
        {"1.0.0-rc1", "1.0.0", true, -1}, {"1.0.0", "1.0.0-rc1", true, 1}, {"1.0-rc2", "1.0-rc10", true, 1},
        {"1.0-beta", "1.0-alpha", true, 1}, {"1.1-rc1", "1.0", true, 1}, {"1.0-rc1", "1.0-rc1", true, 0},
        {"999999999", "1", true, 1},
        /* not ordered: *cmp stays 0 */
        {"", "1.0", false, 0},           {"1.0", "", false, 0},           {"abc", "1.0", false, 0},
        {"1.0", "g1a2b3c", false, 0},    {"1..0", "1.0", false, 0},       {"1.0.", "1.0", false, 0},
        {".1", "1", false, 0},           {"1.0-", "1.0", false, 0},       {"1.0 ", "1.0", false, 0},
        {"1.0+build", "1.0", false, 0},  {"1234567890", "1", false, 0},   {"1.2.3.4.5.6.7.8.9", "1", false, 0},
        {"vv1", "1", false, 0},          {"v1.2-3-g1a2b3c", "1.2", false, 0}, {"1.2", "1.2-3-gabc-dirty", false, 0},          {NULL, "1", false, 0},
    };
    for (unsigned i = 0; i < sizeof t / sizeof *t; i++) {
        int cmp = 42;
        bool ok = webota_version_compare(t[i].a, t[i].b, &cmp);
        if (ok != t[i].ok || cmp != t[i].cmp)
            fail_msg("compare(%s, %s): ok %d cmp %d, want ok %d cmp %d", t[i].a ? t[i].a : "NULL", t[i].b,
                     ok, cmp, t[i].ok, t[i].cmp);
        if (t[i].ok && t[i].a != NULL) { /* antisymmetric */
            int back = 42;
            assert_true(webota_version_compare(t[i].b, t[i].a, &back));
            assert_int_equal(back, -t[i].cmp);
        }
    }
    assert_true(webota_version_compare("1.2.3.4.5.6.7.8", "1.2.3.4.5.6.7.9", &(int){0}));
}

/* One whole update of an image of version img_ver under pol; returns the
 * session's result, and the running version after a power-on. */
static webota_err_t update_with(const webota_update_policy_t *pol, const char *img_ver, char *booted,
                                size_t booted_size)
{
    size_t len;
    uint8_t *img = fx_image(img_ver, 30000, &len);
    fx_t f;
    device(&f, false);
    uint8_t *before = fx_snapshot(&f);
    uint64_t ops_before = sim_nor_op_count(f.nor);
    webota_update_t u;
    webota_err_t err = webota_update_begin(&u, &f.run.rules, pol, (uint32_t)len, false);
    if (err == WEBOTA_OK)
        err = webota_update_write(&u, img, len);
    if (err == WEBOTA_OK)
        err = webota_update_finish(&u);
    if (err != WEBOTA_OK) { /* refused at the descriptor: no flash operation, every byte as it was */
        assert_int_equal(sim_nor_op_count(f.nor), ops_before);
        assert_memory_equal(before, sim_nor_data(f.nor), FX_FLASH_SIZE);
    }
    assert_int_equal(fx_power_on(&f), WEBOTA_OK);
    snprintf(booted, booted_size, "%s", f.run.boot.desc.version);
    free(before);
    free(img);
    fx_free(&f);
    return err;
}

/* refuse_older_version: older refused before anything is erased; same and
 * newer accepted; unordered versions accepted; off (also in a zero-filled
 * policy) accepts older. The device runs "1.0". */
static void test_refuse_older_version(void **state)
{
    (void)state;
    char booted[40];
    webota_update_policy_t pol = esp32_policy();
    assert_false(pol.refuse_older_version); /* off by default */
    pol.refuse_older_version = true;
    pol.running_version = "1.0";
    assert_int_equal(update_with(&pol, "0.9", booted, sizeof booted), WEBOTA_ERR_UPD_OLDER_VERSION);
    assert_string_equal(booted, "1.0");
    assert_int_equal(update_with(&pol, "1.0-rc1", booted, sizeof booted), WEBOTA_ERR_UPD_OLDER_VERSION);
    assert_string_equal(booted, "1.0");
    static const char *const accepted[] = {"1.0", "v1.0.0", "1.0.1", "2.0", "1.1-rc1", "g1a2b3c",
                                           "0.9-2-gabc"};
    for (unsigned i = 0; i < sizeof accepted / sizeof *accepted; i++) {
        assert_int_equal(update_with(&pol, accepted[i], booted, sizeof booted), WEBOTA_OK);
        assert_string_equal(booted, accepted[i]);
    }
    /* running firmware of no orderable version: nothing is refused */
    pol.running_version = "dev-build";
    assert_int_equal(update_with(&pol, "0.1", booted, sizeof booted), WEBOTA_OK);
    assert_string_equal(booted, "0.1");
    /* off: older accepted */
    pol.refuse_older_version = false;
    pol.running_version = "1.0";
    assert_int_equal(update_with(&pol, "0.9", booted, sizeof booted), WEBOTA_OK);
    assert_string_equal(booted, "0.9");
    /* a zero-filled policy is off too */
    webota_update_policy_t zero;
    memset(&zero, 0, sizeof zero);
    zero.running_version = "1.0";
    assert_int_equal(update_with(&zero, "0.9", booted, sizeof booted), WEBOTA_OK);
    assert_string_equal(booted, "0.9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_any_chunking), cmocka_unit_test(test_unknown_total_and_vectors),
        cmocka_unit_test(test_nothing_erased_before_descriptor), cmocka_unit_test(test_error_paths),
        cmocka_unit_test(test_slot_errors), cmocka_unit_test(test_cli),
        cmocka_unit_test(test_names), cmocka_unit_test(test_one_pass_over_the_slot),
        cmocka_unit_test(test_second_session_is_busy), cmocka_unit_test(test_zeroed_policy_is_default),
        cmocka_unit_test(test_version_compare), cmocka_unit_test(test_refuse_older_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
