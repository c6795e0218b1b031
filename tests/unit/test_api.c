/* The transport-free HTTP API over a real slot writer (slot_flash) on a RAM
 * NOR flash holding the two-ota layout and a factory firmware: every route and
 * every status code path, and the flash left untouched by every failure. */
#include "testutil.h"
#include "api_fixture.h"

static void api_fx_configure(dev_t_ *d, webota_api_config_t *ac)
{
    ac->auth = d->auth;
    ac->now_ms = clock_ms;
    ac->log = log_line;
}

/* ---- tests ---- */

/* GET /api/status never hashes an image: the rollback target's verdict is
 * taken at power-on and kept until a slot is written. */
static void test_status_reads_no_image(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    answer_t a;
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 200);
    boot(d); /* ota_0, pending; the factory app is the rollback target */
    for (int i = 0; i < 3; i++) {
        sim_nor_reset_stats(d->nor);
        status_has(d, "\"rollback_possible\":true");
        assert_true(sim_nor_stats(d->nor).bytes_read < 1024); /* otadata and a descriptor */
    }
    free(img);
}


/* A zeroed config with its slot is the default (webota_api_config_init): the
 * same bytes but for chip ("" there, NULL here: the same to webota_api_init);
 * the marker is required (an image without it is refused, nothing touched),
 * the chip revision is unknown and not shown. */
static void test_zeroed_config_is_default(void **state)
{
    dev_t_ *d = *state;
    webota_api_config_t zero, init;
    memset(&zero, 0, sizeof zero);
    zero.slot = &d->run.rules;
    memset(&init, 0xA5, sizeof init);
    webota_api_config_init(&init, &d->run.rules);
    assert_memory_equal(&init.policy, &zero.policy, sizeof zero.policy);
    assert_false(init.chip_rev_known);
    assert_int_equal(init.chip_rev, 0);
    assert_string_equal(init.chip, "");
    assert_null(init.auth);
    assert_int_equal(init.resume_hold_ms, 0); /* 0 = WEBOTA_API_RESUME_HOLD_MS */
    assert_false(init.no_resume);
    zero.chip = init.chip;
    assert_memory_equal(&init, &zero, sizeof zero);
    zero.chip = NULL;
    zero.hosts = device_hosts; /* the address the requests here name (else 421) */
    zero.hosts_count = 2;
    assert_int_equal(webota_api_init(&d->api, &zero), WEBOTA_OK);

    answer_t a;
    webota_api_request_t r = req_of("GET", "/api/status");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"chip\":\"\""));
    assert_null(strstr(a.body, "chip_rev"));
    assert_non_null(strstr(a.body, "\"require_marker\":true"));

    size_t len;
    uint8_t *img = make_image("1.1.0", false, 2, &len);
    uint8_t *before = snapshot(d);
    post_raw(d, NULL, img, len, &a);
    expect_error(&a, 422, "no_updater");
    assert_unchanged(d, before);
    free(img);
}

/* POST /api/update/session: the id (also in resp.upload_id) into id. */
static void new_upload_id(dev_t_ *d, char *id, size_t cap)
{
    answer_t a;
    webota_api_request_t r = req_of("POST", "/api/update/session");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(a.resp.upload_id);
    assert_int_equal(strlen(a.resp.upload_id), 32);
    snprintf(id, cap, "%s", a.resp.upload_id);
}

/* Starts the resumable upload `query` ("id=...") of img, sends `part` bytes,
 * then its client goes away (webota_api_abort). */
static void drop_upload(dev_t_ *d, const char *query, const uint8_t *img, size_t len, size_t part)
{
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    r.query = query;
    webota_api_conn_t conn;
    webota_api_response_t resp;
    assert_int_equal(webota_api_begin(&d->api, &conn, &r, &resp), WEBOTA_API_READ_BODY);
    assert_true(webota_api_body(&d->api, &conn, img, part));
    webota_api_abort(&d->api, &conn);
}

/* The resume hold of a zeroed config (with a clock) is the default, 60 s: a
 * dropped resumable upload is held until then, not a millisecond less, and
 * ends at webota_api_poll when the time has come (logged; firmware and
 * otadata untouched). no_resume turns resuming off: no ids, and a dropped
 * upload aborts at once. */
static void test_resume_hold_default(void **state)
{
    dev_t_ *d = *state;
    webota_api_config_t zero;
    memset(&zero, 0, sizeof zero);
    zero.slot = &d->run.rules;
    zero.hosts = device_hosts;
    zero.hosts_count = 2;
    zero.now_ms = clock_ms;
    zero.log = log_line;
    zero.ctx = d;
    d->now = 5000;
    assert_int_equal(webota_api_init(&d->api, &zero), WEBOTA_OK);
    status_has(d, "\"resume_hold_s\":60,"); /* what the page reads */
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    uint8_t *before = snapshot(d);
    answer_t a;
    webota_api_request_t r = req_of("POST", "/api/update/session");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"hold_s\":60}"));
    char id[40], query[48];
    snprintf(id, sizeof(id), "%s", a.resp.upload_id);
    snprintf(query, sizeof(query), "id=%s", id);
    drop_upload(d, query, img, len, 9000);
    assert_true(webota_api_busy(&d->api));
    d->now += WEBOTA_API_RESUME_HOLD_MS - 1;
    webota_api_poll(&d->api);
    assert_true(webota_api_busy(&d->api));
    assert_null(strstr(d->log, "not resumed within its hold time"));
    d->now += 1;
    webota_api_poll(&d->api); /* no request: the timer's call ends it */
    assert_false(webota_api_busy(&d->api));
    assert_non_null(strstr(d->log, "held upload not resumed within its hold time: ended"));
    status_has(d, "\"held\":false");
    webota_api_request_t g = req_of("GET", "/api/update");
    g.query = query;
    call(d, &g, NULL, 0, 0, &a);
    expect_error(&a, 404, "upload_not_found");
    assert_unchanged(d, before);

    /* resume_hold_ms set: that time, not the default */
    zero.resume_hold_ms = 1500;
    assert_int_equal(webota_api_init(&d->api, &zero), WEBOTA_OK);
    status_has(d, "\"resume_hold_s\":2,"); /* rounded up */
    new_upload_id(d, id, sizeof(id));
    snprintf(query, sizeof(query), "id=%s", id);
    drop_upload(d, query, img, len, 9000);
    d->now += 1499;
    webota_api_poll(&d->api);
    assert_true(webota_api_busy(&d->api));
    d->now += 1;
    webota_api_poll(&d->api);
    assert_false(webota_api_busy(&d->api));

    /* no_resume: no ids, and a dropped upload aborts at once */
    zero.resume_hold_ms = 0;
    zero.no_resume = true;
    assert_int_equal(webota_api_init(&d->api, &zero), WEBOTA_OK);
    status_has(d, "\"resume_hold_s\":0,");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 404, "not_found_route");
    assert_null(a.resp.upload_id);
    post_raw(d, query, img, len, &a);
    expect_error(&a, 404, "upload_not_found");
    drop_upload(d, NULL, img, len, 9000);
    assert_false(webota_api_busy(&d->api));
    status_has(d, "\"held\":false");
    before = snapshot(d);
    post_raw(d, NULL, img, len, &a); /* the updater is free */
    assert_int_equal(a.status, 200);
    free(img);
    free(before);
}

static void test_page_status_routes(void **state)
{
    dev_t_ *d = *state;
    answer_t a;
    webota_api_request_t r = req_of("GET", "/");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.resp.content_encoding, "gzip");
    assert_int_equal(a.resp.body_len, sizeof(page));
    assert_ptr_equal(a.resp.body, page);
    assert_int_equal(d->requests[WEBOTA_API_ROUTE_PAGE], 1);

    r = req_of("GET", "/api/status");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.resp.content_type, "application/json");
    assert_string_equal(
        a.body,
        "{\"chip\":\"esp32\",\"chip_rev\":300,\"project\":\"webota-demo\",\"version\":\"1.0.0\","
        "\"idf_ver\":\"v5.5\",\"secure_version\":0,\"security_version\":null,\"running\":{\"label\":\"factory\",\"offset\":65536,"
        "\"size\":1048576,\"index\":-1,\"state\":\"undefined\"},\"next\":{\"label\":\"ota_0\","
        "\"offset\":1114112,\"size\":1048576,\"index\":0},\"rollback_possible\":false,"
        "\"require_marker\":true,\"signed_only\":false,\"trusted_keys\":[],\"gzip\":false,\"resume_hold_s\":60,"
        "\"update\":{\"state\":\"idle\",\"received\":0,\"total\":0,\"held\":false},\"rebooting\":false}");
    assert_int_equal(d->requests[WEBOTA_API_ROUTE_STATUS], 1);

    r = req_of("GET", "/nope");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 404, "not_found_route");
    r = req_of("POST", "/api/status");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 405, "method_not_allowed");
    assert_string_equal(a.resp.allow, "GET");
    r = req_of("GET", "/api/update");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 405, "method_not_allowed");
    assert_string_equal(a.resp.allow, "POST");
    r = req_of(NULL, "/");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 400, "bad_request");

    /* no page configured */
    d->api.cfg.page_gz = NULL;
    r = req_of("GET", "/index.html");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 404, "not_found_route");
}

static void hex_bytes(const char *h, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* What a client does: asks for a challenge, derives the key from the password
 * and the device's salt, and writes the Authorization header for one request. */
static void login_header(dev_t_ *d, const char *password, const char *method, const char *path,
                         const char *query, char *out, size_t cap)
{
    answer_t a;
    webota_api_request_t r = req_of("GET", "/api/auth");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    char nonce[40], salt_hex[40];
    tu_json_str(a.body, "nonce", nonce, sizeof(nonce));
    tu_json_str(a.body, "salt", salt_hex, sizeof(salt_hex));
    assert_non_null(strstr(a.body, "\"required\":true,\"scheme\":\"WebOTA-HMAC\",\"kdf\":\"pbkdf2-sha256\",\"iterations\":1000,"));
    uint8_t salt[16];
    hex_bytes(salt_hex, salt, 16);
    webota_auth_verifier_t mine;
    assert_int_equal(webota_auth_verifier_make(password, strlen(password), salt, 1000, &mine), WEBOTA_OK);
    char mac[65];
    assert_int_equal(webota_auth_mac(mine.key, nonce, method, path, query, mac), WEBOTA_OK);
    snprintf(out, cap, "WebOTA-HMAC nonce=\"%s\", mac=\"%s\"", nonce, mac);
}

static webota_auth_verifier_t s3cret;

static void use_password(dev_t_ *d)
{
    uint8_t salt[16];
    for (int i = 0; i < 16; i++) {
        salt[i] = (uint8_t)(0xa0 + i);
    }
    assert_int_equal(webota_auth_verifier_make("s3cret", 6, salt, 1000, &s3cret), WEBOTA_OK);
    d->auth = &s3cret;
    d->now = 5000;
    boot(d);
}

/* Challenge-response: the page and the challenge are public, everything else
 * needs a mac over a live nonce; a good login works once, its replay and a mac
 * moved to another request are refused; the password never appears. */
static void test_password(void **state)
{
    dev_t_ *d = *state;
    use_password(d);
    answer_t a;
    char authz[200];
    webota_api_request_t r = req_of("GET", "/api/status");
    r.client = "10.0.0.9";
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 401, "unauthorized");
    assert_string_equal(a.resp.www_authenticate, "WebOTA-HMAC realm=\"webota\", challenge=\"api/auth\"");
    r = req_of("GET", "/");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200); /* the page logs in by itself */
    static const char *bad[] = {"Basic dXNlcjpzM2NyZXQ=" /* user:s3cret in clear: not any more */,
                                "WebOTA-HMAC", "WebOTA-HMAC nonce=\"00\", mac=\"00\"",
                                "WebOTA-HMACnonce=\"x\"", "Bearer s3cret"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = req_of("GET", "/api/status");
        r.authorization = bad[i];
        call(d, &r, NULL, 0, 0, &a);
        expect_error(&a, 401, "unauthorized");
    }
    assert_int_equal(d->requests[WEBOTA_API_ROUTE_STATUS], 0); /* refused before the hook */

    /* a good login */
    login_header(d, "s3cret", "GET", "/api/status", NULL, authz, sizeof(authz));
    r = req_of("GET", "/api/status");
    r.authorization = authz;
    r.client = "10.0.0.9";
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"chip\":\"esp32\""));
    /* the same request again (a captured exchange): its nonce is used up */
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 401, "stale_nonce");
    assert_string_equal(a.resp.www_authenticate, "WebOTA-HMAC realm=\"webota\", challenge=\"api/auth\"");
    /* a mac moved to another request (method, path or query) */
    const char *moved[][3] = {{"POST", "/api/reboot", NULL}, {"GET", "/api/status", "x=1"}};
    for (size_t i = 0; i < 2; i++) {
        login_header(d, "s3cret", "GET", "/api/status", NULL, authz, sizeof(authz));
        r = req_of(moved[i][0], moved[i][1]);
        r.query = moved[i][2];
        r.authorization = authz;
        r.content_length = 0;
        call(d, &r, NULL, 0, 0, &a);
        expect_error(&a, 401, "unauthorized");
    }
    assert_int_equal(d->reboots, 0);
    /* an upload with ?force=1 */
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    login_header(d, "s3cret", "POST", "/api/update", "force=1", authz, sizeof(authz));
    r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    r.query = "force=1";
    r.authorization = authz;
    call(d, &r, img, len, 1000, &a);
    assert_int_equal(a.status, 200);
    free(img);
    /* a challenge expires */
    boot(d);
    login_header(d, "s3cret", "GET", "/api/status", NULL, authz, sizeof(authz));
    d->now += WEBOTA_AUTH_NONCE_TTL_MS;
    r = req_of("GET", "/api/status");
    r.authorization = authz;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 401, "stale_nonce");
    /* the table holds WEBOTA_AUTH_NONCES challenges: one more pushes the oldest out */
    login_header(d, "s3cret", "GET", "/api/status", NULL, authz, sizeof(authz));
    for (int i = 0; i < WEBOTA_AUTH_NONCES; i++) {
        d->now += 10;
        char other[200];
        login_header(d, "s3cret", "GET", "/api/status", NULL, other, sizeof(other));
    }
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 401, "stale_nonce");
    assert_null(strstr(d->log, "s3cret"));
    assert_non_null(strstr(d->log, "login: unknown, used or expired challenge from 192.168.4.2"));
}

/* Failed logins are counted per client: after WEBOTA_AUTH_FREE_FAILURES the
 * client is refused (429, Retry-After) even with the right password, for 1 s,
 * then 2 s, ...; other clients are not; a good login resets the count; every
 * failure is logged without the password. */
static void test_login_rate_limit(void **state)
{
    dev_t_ *d = *state;
    use_password(d);
    answer_t a;
    char authz[200];
    webota_api_request_t r;
    for (int i = 0; i < WEBOTA_AUTH_FREE_FAILURES; i++) {
        login_header(d, "guess", "GET", "/api/status", NULL, authz, sizeof(authz));
        r = req_of("GET", "/api/status");
        r.authorization = authz;
        r.client = "10.0.0.66";
        call(d, &r, NULL, 0, 0, &a);
        expect_error(&a, 401, "unauthorized");
    }
    assert_non_null(strstr(d->log, "login: wrong password from 10.0.0.66 (1 failure)\n"));
    assert_non_null(strstr(d->log, "login: wrong password from 10.0.0.66 (5 failures, refused for 1 s)\n"));
    login_header(d, "s3cret", "GET", "/api/status", NULL, authz, sizeof(authz));
    r.authorization = authz;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 429, "too_many_attempts");
    assert_int_equal(a.resp.retry_after, 1);
    /* another client is served */
    r.client = "10.0.0.7";
    call(d, &r, NULL, 0, 0, &a); /* the nonce was not used by the refused attempt */
    assert_int_equal(a.status, 200);
    /* the block ends; the next failure doubles it */
    d->now += 1000;
    login_header(d, "guess", "GET", "/api/status", NULL, authz, sizeof(authz));
    r.authorization = authz;
    r.client = "10.0.0.66";
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 401, "unauthorized");
    assert_non_null(strstr(d->log, "(6 failures, refused for 2 s)"));
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 429, "too_many_attempts");
    assert_int_equal(a.resp.retry_after, 2);
    d->now += 2000;
    login_header(d, "s3cret", "GET", "/api/status", NULL, authz, sizeof(authz));
    r.authorization = authz;
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    /* reset: five more free failures */
    for (int i = 0; i < WEBOTA_AUTH_FREE_FAILURES - 1; i++) {
        login_header(d, "guess", "GET", "/api/status", NULL, authz, sizeof(authz));
        r.authorization = authz;
        call(d, &r, NULL, 0, 0, &a);
        expect_error(&a, 401, "unauthorized");
    }
    assert_null(strstr(d->log, "s3cret"));
    assert_null(strstr(d->log, "guess"));
    /* a blocked period caps at WEBOTA_AUTH_BLOCK_MAX_MS */
    for (int i = 0; i < 20; i++) {
        d->now += WEBOTA_AUTH_BLOCK_MAX_MS;
        login_header(d, "guess", "GET", "/api/status", NULL, authz, sizeof(authz));
        r.authorization = authz;
        call(d, &r, NULL, 0, 0, &a);
        expect_error(&a, 401, "unauthorized");
    }
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 429, "too_many_attempts");
    assert_int_equal(a.resp.retry_after, WEBOTA_AUTH_BLOCK_MAX_MS / 1000);
    /* without a clock a password cannot be configured (blocks would never end) */
    webota_api_config_t c = d->api.cfg;
    c.auth = &s3cret;
    c.now_ms = NULL;
    webota_api_t api2;
    assert_int_equal(webota_api_init(&api2, &c), WEBOTA_ERR_ARG);
}

/* DNS rebinding: a Host that is not the device is refused (421), whatever the
 * method and even with a matching Origin; the device's names pass, with a port,
 * in any case, with a trailing dot. */
static void test_host_allow_list(void **state)
{
    dev_t_ *d = *state;
    answer_t a;
    uint8_t *before = snapshot(d);
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    static const char *const evil[] = {"evil.example", "evil.example:80", "192.168.4.1.evil",
                                       "192.168.4.10", "localhost.evil", "", ":80",
                                       "192.168.4.1:x", "192.168.4.1:123456", "[::1", "webota.local:"};
    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        webota_api_request_t r = req_of("POST", "/api/update");
        r.host = evil[i];
        char origin[80];
        snprintf(origin, sizeof(origin), "http://%s", evil[i]);
        r.origin = origin; /* same-origin from the browser's point of view */
        r.content_type = "application/octet-stream";
        r.content_length = (int64_t)len;
        r.query = "force=1";
        call(d, &r, img, len, 0, &a);
        expect_error(&a, 421, "wrong_host");
        r = req_of("GET", "/api/status");
        r.host = evil[i];
        call(d, &r, NULL, 0, 0, &a);
        expect_error(&a, 421, "wrong_host");
        r = req_of("GET", "/");
        r.host = evil[i];
        call(d, &r, NULL, 0, 0, &a);
        expect_error(&a, 421, "wrong_host");
    }
    assert_int_equal(d->requests[WEBOTA_API_ROUTE_STATUS], 0);
    assert_unchanged(d, before);
    static const char *const good[] = {"192.168.4.1", "192.168.4.1:80", "WEBOTA.local",
                                       "webota.local.", "localhost:8080", "127.0.0.1", "[::1]:80"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        webota_api_request_t r = req_of("GET", "/api/status");
        r.host = good[i];
        call(d, &r, NULL, 0, 0, &a);
        if (a.status != 200) {
            fail_msg("Host %s: %d %s", good[i], a.status, a.body);
        }
    }
    webota_api_request_t r = req_of("GET", "/api/status");
    r.host = NULL; /* an HTTP/1.0 tool: no browser sends none */
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    free(img);
}

/* Every answer forbids framing; the page's policy is the configured one. */
static void test_security_headers(void **state)
{
    dev_t_ *d = *state;
    answer_t a;
    const char *paths[][2] = {{"GET", "/api/status"}, {"GET", "/nope"}, {"POST", "/update"},
                              {"GET", "/api/auth"}};
    for (size_t i = 0; i < 4; i++) {
        webota_api_request_t r = req_of(paths[i][0], paths[i][1]);
        call(d, &r, NULL, 0, 0, &a);
        assert_string_equal(a.resp.frame_options, "DENY");
        assert_non_null(strstr(a.resp.csp, "frame-ancestors 'none'"));
        assert_non_null(strstr(a.resp.csp, "default-src 'none'"));
    }
    webota_api_request_t r = req_of("GET", "/");
    call(d, &r, NULL, 0, 0, &a);
    assert_string_equal(a.resp.frame_options, "DENY");
    assert_non_null(strstr(a.resp.csp, "frame-ancestors 'none'")); /* no page_csp: the strict one */
    d->api.cfg.page_csp = "default-src 'none'; script-src 'sha256-x'; frame-ancestors 'none'";
    call(d, &r, NULL, 0, 0, &a);
    assert_string_equal(a.resp.csp, d->api.cfg.page_csp);
    r = req_of("GET", "/api/auth");
    call(d, &r, NULL, 0, 0, &a);
    assert_string_equal(a.body, "{\"required\":false}");
}

/* Begins a raw upload of len bytes on conn; READ_BODY expected. */
static void begin_raw(dev_t_ *d, webota_api_conn_t *conn, size_t len)
{
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    webota_api_response_t resp;
    assert_int_equal(webota_api_begin(&d->api, conn, &r, &resp), WEBOTA_API_READ_BODY);
}

/* An upload that stalls (idle) or trickles (below the minimum rate over a
 * window) is aborted: the updater is free, the connection is to be closed
 * (408 if an answer can still be sent), the flash untouched; a normal upload
 * whose clock moves on is not. */
static void test_upload_time_limits(void **state)
{
    dev_t_ *d = *state;
    d->now = 1000;
    boot(d);
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    uint8_t *before = snapshot(d);
    webota_api_conn_t c1, c2;
    webota_api_response_t resp;

    /* idle: no byte for longer than the idle limit */
    begin_raw(d, &c1, len);
    assert_true(webota_api_body(&d->api, &c1, img, 12288)); /* above the window's minimum */
    d->now += WEBOTA_API_UPLOAD_IDLE_MS;
    webota_api_tick(&d->api);
    assert_true(webota_api_busy(&d->api)); /* not yet: more than the limit */
    d->now += 1;
    webota_api_tick(&d->api);
    assert_false(webota_api_busy(&d->api));
    assert_true(webota_api_conn_cut(&c1));
    assert_false(webota_api_body(&d->api, &c1, img + 12288, 100));
    webota_api_end(&d->api, &c1, &resp);
    assert_int_equal(resp.status, 408);
    webota_api_abort(&d->api, &c1); /* the binding closes: nothing more happens */
    assert_non_null(strstr(d->log, "upload idle for too long: aborted, the updater is free again"));
    status_has(d, "\"error\":\"aborted\"");

    /* a trickle: 100 bytes a second, below WEBOTA_API_MIN_RATE over a window;
     * checked when data arrives */
    begin_raw(d, &c1, len);
    size_t off = 0;
    bool alive = true;
    for (int i = 0; i < 20 && alive; i++) {
        d->now += 1000;
        alive = webota_api_body(&d->api, &c1, img + off, 100);
        off += 100;
    }
    assert_false(alive);
    assert_true(webota_api_conn_cut(&c1));
    assert_int_equal(off, 1000); /* the tenth chunk comes as the first 10 s window ends: cut */
    assert_non_null(strstr(d->log, "upload too slow: aborted"));

    /* ... and by the tick when nothing else happens */
    begin_raw(d, &c1, len);
    for (int i = 0; i < 9; i++) {
        d->now += 1000;
        assert_true(webota_api_body(&d->api, &c1, img + i * 10, 10));
    }
    d->now += 1000;
    webota_api_tick(&d->api);
    assert_false(webota_api_busy(&d->api));

    /* a stalled upload gives way to the next client at once */
    begin_raw(d, &c1, len);
    assert_true(webota_api_body(&d->api, &c1, img, 100));
    d->now += WEBOTA_API_UPLOAD_IDLE_MS / 2;
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    assert_int_equal(webota_api_begin(&d->api, &c2, &r, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409); /* still within the limit: busy */
    d->now += WEBOTA_API_UPLOAD_IDLE_MS;
    assert_int_equal(webota_api_begin(&d->api, &c2, &r, &resp), WEBOTA_API_READ_BODY);
    assert_true(webota_api_conn_cut(&c1));
    webota_api_abort(&d->api, &c1);
    assert_true(webota_api_busy(&d->api)); /* c1's abort does not touch c2's session */
    webota_api_abort(&d->api, &c2);
    assert_unchanged(d, before);

    /* a good upload at 8 KiB per second passes every window */
    before = snapshot(d);
    begin_raw(d, &c1, len);
    for (off = 0; off < len; off += 8192) {
        d->now += 1000;
        size_t n = len - off < 8192 ? len - off : 8192;
        assert_true(webota_api_body(&d->api, &c1, img + off, n));
        webota_api_tick(&d->api);
    }
    webota_api_end(&d->api, &c1, &resp);
    assert_int_equal(resp.status, 200);
    free(before);
    free(img);
}

/* Refusals that depend on the device's state, not on the image, are answered
 * from the headers (so that a client sending Expect: 100-continue sends no body
 * in vain): pending_verify on both upload routes, busy, a missing login. */
static void test_state_refusals_before_body(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    answer_t a;
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 200);
    boot(d); /* 1.1.0 pending_verify */
    uint8_t *before = snapshot(d);
    webota_api_conn_t c;
    webota_api_response_t resp;
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    r.expect = "100-continue";
    assert_int_equal(webota_api_begin(&d->api, &c, &r, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    assert_non_null(strstr((const char *)resp.body, "\"error\":\"pending_verify\""));
    r = req_of("POST", "/update");
    r.content_type = "multipart/form-data; boundary=x";
    r.content_length = (int64_t)len + 200;
    r.accept = "application/json";
    r.expect = "100-continue";
    assert_int_equal(webota_api_begin(&d->api, &c, &r, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    assert_non_null(strstr((const char *)resp.body, "\"error\":\"pending_verify\""));
    assert_unchanged(d, before);
    r = req_of("POST", "/api/confirm");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    /* with a password, a missing login */
    use_password(d);
    r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    r.expect = "100-continue";
    assert_int_equal(webota_api_begin(&d->api, &c, &r, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 401);
    free(img);
}

static void test_cross_origin(void **state)
{
    dev_t_ *d = *state;
    answer_t a;
    uint8_t *before = snapshot(d);
    static const char *bad[] = {"http://evil.example", "null", "http://192.168.4.1.evil",
                                "ftp://192.168.4.1", "http://192.168.4.1:81"};
    static const char *paths[] = {"/api/update", "/update", "/api/confirm", "/api/rollback",
                                  "/api/reboot"};
    for (size_t p = 0; p < 5; p++) {
        for (size_t i = 0; i < 5; i++) {
            webota_api_request_t r = req_of("POST", paths[p]);
            r.origin = bad[i];
            r.content_length = 0;
            call(d, &r, NULL, 0, 0, &a);
            if (p == 1) {
                expect_html_error(&a, 403, "forbidden"); /* the no-JavaScript form's answer */
            } else {
                expect_error(&a, 403, "forbidden");
            }
        }
    }
    webota_api_request_t r = req_of("POST", "/api/reboot");
    r.origin = "http://192.168.4.1";
    r.host = NULL;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 403, "forbidden");
    assert_int_equal(d->reboots, 0);
    /* a GET from anywhere is fine (it changes nothing) */
    r = req_of("GET", "/api/status");
    r.origin = "http://evil.example";
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    /* same origin passes */
    r = req_of("POST", "/api/reboot");
    r.origin = "HTTP://192.168.4.1/";
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"ok\":true,\"rebooting\":true}");
    assert_true(a.resp.reboot);
    assert_int_equal(d->reboots, 1);
    assert_unchanged(d, before);
}

static void test_update_ok_then_busy_then_boot(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    answer_t a;
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 200);
    char want[200];
    snprintf(want, sizeof(want),
             "{\"ok\":true,\"project\":\"webota-demo\",\"version\":\"1.1.0\",\"slot\":\"ota_0\","
             "\"size\":%zu,\"rebooting\":true}",
             len);
    assert_string_equal(a.body, want);
    assert_int_equal(d->reboots, 1);
    assert_true(a.resp.reboot);
    status_has(d, "\"update\":{\"state\":\"done\"");
    status_has(d, "\"rebooting\":true");
    /* nothing more until the reboot */
    post_raw(d, NULL, img, len, &a);
    expect_error(&a, 409, "busy");
    webota_api_request_t r = req_of("POST", "/api/rollback");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 409, "busy");

    boot(d);
    status_has(d, "\"version\":\"1.1.0\",");
    status_has(d, "\"running\":{\"label\":\"ota_0\",\"offset\":1114112,\"size\":1048576,\"index\":0,"
                  "\"state\":\"pending_verify\"}");
    status_has(d, "\"rollback_possible\":true");
    /* pending: a new update is refused until confirmed */
    uint8_t *img2 = make_image("1.2.0", true, 3, &len);
    post_raw(d, NULL, img2, len, &a);
    expect_error(&a, 409, "pending_verify");
    r = req_of("POST", "/api/confirm");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"ok\":true,\"state\":\"valid\",\"rebooting\":false}");
    call(d, &r, NULL, 0, 0, &a); /* already valid: fine, as esp_ota_mark_app_valid_cancel_rollback */
    assert_int_equal(a.status, 200);
    post_raw(d, NULL, img2, len, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"slot\":\"ota_1\""));
    boot(d);
    status_has(d, "\"version\":\"1.2.0\",");
    /* roll back to 1.1.0 */
    r = req_of("POST", "/api/rollback");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"ok\":true,\"state\":\"invalid\",\"rebooting\":true}");
    boot(d);
    status_has(d, "\"version\":\"1.1.0\",");
    free(img);
    free(img2);
}

static void test_rollback_impossible(void **state)
{
    dev_t_ *d = *state;
    answer_t a;
    uint8_t *before = snapshot(d);
    webota_api_request_t r = req_of("POST", "/api/rollback");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 409, "rollback_impossible");
    r = req_of("POST", "/api/confirm");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 409, "not_pending");
    assert_int_equal(d->reboots, 0);
    assert_unchanged(d, before);
}

static void test_update_refusals(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *good = make_image("1.1.0", true, 2, &len);
    uint8_t *bad = malloc(len);
    answer_t a;
    uint8_t *before = snapshot(d);

    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "text/plain";
    r.content_length = (int64_t)len;
    call(d, &r, good, len, 0, &a);
    expect_error(&a, 415, "unsupported_media_type");
    r.content_type = "application/octet-stream";
    r.content_length = -1;
    call(d, &r, good, len, 0, &a);
    expect_error(&a, 411, "length_required");
    r.content_length = 0x100001;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 413, "too_large");

    /* a body in pieces that ends early: the announced length is not reached */
    r.content_length = (int64_t)len;
    call(d, &r, good, len - 1000, 0, &a);
    assert_true(a.status == 400 || a.status == 422);

    struct {
        size_t off;
        uint8_t val;
        const char *code;
    } cases[] = {
        {0, 0xE8, "bad_magic"},
        {12, 5, "wrong_chip"},
        {len / 2, 0, "bad_checksum"}, /* patched below: flip */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(bad, good, len);
        if (i == 2) {
            bad[cases[i].off] ^= 0x55;
        } else {
            bad[cases[i].off] = cases[i].val;
        }
        post_raw(d, NULL, bad, len, &a);
        if (i == 2) {
            assert_int_equal(a.status, 422);
            assert_true(strstr(a.body, "bad_checksum") || strstr(a.body, "bad_sha256"));
        } else {
            expect_error(&a, 422, cases[i].code);
        }
        status_has(d, "\"update\":{\"state\":\"failed\"");
    }
    /* truncated: the whole (short) body arrives, the image is incomplete */
    post_raw(d, NULL, good, len / 2, &a);
    expect_error(&a, 422, "truncated");
    /* no marker, unless forced */
    uint8_t *nomark = make_image("1.2.0", false, 4, &len);
    post_raw(d, NULL, nomark, len, &a);
    expect_error(&a, 422, "no_updater");
    post_raw(d, "force=0", nomark, len, &a);
    expect_error(&a, 422, "no_updater");
    /* an empty body */
    post_raw(d, NULL, good, 0, &a);
    expect_error(&a, 400, "empty");
    /* chunked with no length: too big is caught while it streams */
    r = req_of("POST", "/api/update");
    r.chunked = true;
    size_t biglen = 0x100000 + 4096;
    uint8_t *big = calloc(1, biglen);
    memcpy(big, good, 4096 < len ? 4096 : len);
    call(d, &r, big, biglen, 4096, &a);
    assert_int_equal(a.status, 422); /* its checksum/layout fails before the slot overflows */
    assert_int_equal(d->reboots, 0);
    assert_unchanged(d, before);

    post_raw(d, "x=1&force=1", nomark, len, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"version\":\"1.2.0\""));
    free(big);
    free(good);
    free(bad);
    free(nomark);
}

static void test_concurrent_and_abort(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    uint8_t *before = snapshot(d);
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    webota_api_conn_t c1, c2;
    webota_api_response_t resp;
    assert_int_equal(webota_api_begin(&d->api, &c1, &r, &resp), WEBOTA_API_READ_BODY);
    assert_true(webota_api_busy(&d->api));
    assert_true(webota_api_body(&d->api, &c1, img, len / 2));
    status_has(d, "\"update\":{\"state\":\"receiving\"");
    /* a second upload, a form upload, confirm and reboot: 409 */
    assert_int_equal(webota_api_begin(&d->api, &c2, &r, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    webota_api_request_t f = req_of("POST", "/update");
    f.content_type = "multipart/form-data; boundary=x";
    f.content_length = 100;
    assert_int_equal(webota_api_begin(&d->api, &c2, &f, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    webota_api_request_t rb = req_of("POST", "/api/reboot");
    assert_int_equal(webota_api_begin(&d->api, &c2, &rb, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    rb = req_of("POST", "/api/confirm");
    assert_int_equal(webota_api_begin(&d->api, &c2, &rb, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    /* a stranger's body or end does nothing to c1's session */
    assert_false(webota_api_body(&d->api, &c2, img, 10));
    webota_api_end(&d->api, &c2, &resp);
    assert_int_equal(resp.status, 409);
    webota_api_abort(&d->api, &c2);
    assert_true(webota_api_busy(&d->api));
    /* the client leaves */
    webota_api_abort(&d->api, &c1);
    webota_api_abort(&d->api, &c1);
    assert_false(webota_api_busy(&d->api));
    status_has(d, "\"update\":{\"state\":\"failed\"");
    status_has(d, "\"error\":\"aborted\"");
    assert_unchanged(d, before);
    /* the next upload works */
    answer_t a;
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 200);
    free(img);
}

static void test_form(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    uint8_t *nomark = make_image("1.2.0", false, 4, &len);
    char *body = malloc(len + 1024);
    answer_t a;
    uint8_t *before = snapshot(d);

    /* refusals known from the headers, as the no-JavaScript form's HTML page,
     * and as JSON when Accept prefers it (curl -F -H 'Accept: application/json') */
    static const char *const accepts[] = {NULL, "application/json"};
    for (size_t i = 0; i < 2; i++) {
        void (*want)(const answer_t *, int, const char *) = i == 0 ? expect_html_error : expect_error;
        webota_api_request_t r = req_of("POST", "/update");
        r.accept = accepts[i];
        r.content_type = "application/octet-stream";
        r.content_length = 10;
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 415, "unsupported_media_type");
        r.content_type = "multipart/form-data";
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 400, "bad_multipart");
        r.content_type = "multipart/form-data; boundary=BoUnD";
        r.content_length = -1;
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 411, "length_required");
        r.content_length = 0x100000 + WEBOTA_API_FORM_OVERHEAD + 1;
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 413, "too_large");
        r = req_of("GET", "/update");
        r.accept = accepts[i];
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 405, "method_not_allowed");
        assert_string_equal(a.resp.allow, "POST");
    }

    const char *nofile = "--BoUnD\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--BoUnD--";
    post_form(d, NULL, nofile, strlen(nofile), 0, &a);
    expect_html_error(&a, 400, "no_file");
    post_form(d, "application/json", nofile, strlen(nofile), 0, &a);
    expect_error(&a, 400, "no_file");
    size_t n = form_body(body, nomark, len, NULL);
    post_form(d, NULL, body, n, 777, &a);
    expect_html_error(&a, 422, "no_updater");
    /* the update session's own message, with its details */
    assert_non_null(strstr(a.body, "<h1>Update refused</h1><p>image does not contain the webota updater"));
    post_form(d, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", body, n, 777,
              &a);
    expect_html_error(&a, 422, "no_updater");
    post_form(d, "application/json", body, n, 777, &a);
    expect_error(&a, 422, "no_updater");
    n = form_body(body, nomark, len, "0");
    post_form(d, NULL, body, n, 777, &a);
    expect_html_error(&a, 422, "no_updater");
    /* a bad image */
    nomark[0] = 0x12; /* the magic byte */
    n = form_body(body, nomark, len, NULL);
    nomark[0] = 0xe9;
    post_form(d, "text/html", body, n, 777, &a);
    expect_html_error(&a, 422, "bad_magic");
    assert_non_null(strstr(a.body, "not an ESP app image (first byte is not 0xE9) at offset 0"));
    /* malformed: the closing boundary never comes */
    n = form_body(body, img, len, NULL);
    post_form(d, NULL, body, n - 12, 1000, &a);
    expect_html_error(&a, 400, "bad_multipart");
    post_form(d, "application/json", body, n - 12, 1000, &a);
    expect_error(&a, 400, "bad_multipart");
    /* malformed in the middle of the file */
    n = form_body(body, img, len, NULL);
    memcpy(body + 3000, "\r\n--BoUnDx", 10);
    post_form(d, NULL, body, n, 1000, &a);
    expect_html_error(&a, 400, "bad_multipart");
    assert_unchanged(d, before);
    assert_int_equal(d->reboots, 0);

    /* HTML answer for a browser form */
    n = form_body(body, img, len, NULL);
    post_form(d, "text/html,*/*", body, n, 1, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.resp.content_type, "text/html; charset=utf-8");
    assert_non_null(strstr(a.body, "webota-demo 1.1.0 was written to ota_0"));
    /* links back to the page are relative, so they work under a URL prefix */
    assert_non_null(strstr(a.body, "url=./\""));
    assert_non_null(strstr(a.body, "<a href=\"./\">"));
    assert_null(strstr(a.body, "\"/\""));
    assert_int_equal(d->reboots, 1);
    boot(d);
    status_has(d, "\"version\":\"1.1.0\"");
    webota_api_request_t c = req_of("POST", "/api/confirm");
    call(d, &c, NULL, 0, 0, &a);
    /* JSON when asked, and the force checkbox */
    n = form_body(body, nomark, len, "on");
    post_form(d, "application/json", body, n, 4096, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"version\":\"1.2.0\",\"slot\":\"ota_1\""));
    free(body);
    free(img);
    free(nomark);
}

/* Which Accept headers get JSON from POST /update: only those naming
 * application/json with a q above 0 and not below text/html's. The other
 * routes answer JSON whatever Accept says. */
static void test_form_accept(void **state)
{
    dev_t_ *d = *state;
    static const struct {
        const char *accept;
        bool json;
    } cases[] = {
        {NULL, false},
        {"", false},
        {"*/*", false},
        {"text/html", false},
        {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8", false},
        {"application/json", true},
        {"  Application/JSON ; charset=utf-8 ", true},
        {"application/json, text/html", true},
        {"text/html, application/json", true},
        {"application/json, text/plain, */*", true},
        {"text/html, application/json;q=0.9", false},
        {"text/html;q=0.5, application/json;q=0.8", true},
        {"application/json;q=0.9, text/*;q=0.5", true},
        {"application/json;q=0.5, text/*", false},
        {"application/json;q=0.5, */*", false},
        {"application/json;q=0.5, */*;q=0.4", true},
        {"text/html;level=1;q=0.2, application/json;q=0.3", true},
        {"application/json;q=0", false},
        {"application/json;q=0.000", false},
        {"application/json;q=1.000", true},
        {"application/json;q=1.5", false},
        {"application/json;q=bogus", false},
        {"application/json;q=0.1234", false},
        {"application/jsonx", false},
        {"application/*", false},
        {"application/json-seq", false},
    };
    answer_t a;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        webota_api_request_t r = req_of("POST", "/update");
        r.accept = cases[i].accept;
        r.content_type = "text/plain";
        r.content_length = 10;
        call(d, &r, NULL, 0, 0, &a);
        bool json = strcmp(a.resp.content_type, "application/json") == 0;
        if (json != cases[i].json) {
            fail_msg("Accept: %s answered %s", cases[i].accept ? cases[i].accept : "(none)",
                     a.resp.content_type);
        }
        if (json) {
            expect_error(&a, 415, "unsupported_media_type");
        } else {
            expect_html_error(&a, 415, "unsupported_media_type");
        }
    }
    /* the API routes stay JSON for a browser's Accept */
    static const char *const nav = "text/html,application/xhtml+xml,*/*;q=0.8";
    webota_api_request_t r = req_of("POST", "/api/update");
    r.accept = nav;
    r.content_type = "text/plain";
    r.content_length = 10;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 415, "unsupported_media_type");
    r = req_of("GET", "/api/update");
    r.accept = nav;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 405, "method_not_allowed");
    r = req_of("GET", "/nowhere");
    r.accept = nav;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 404, "not_found_route");
    r = req_of("POST", "/api/confirm");
    r.accept = nav;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 409, "not_pending");
}

/* Whatever the image or the request brings is escaped in the HTML pages;
 * the longest message still makes a whole page. */
static void test_form_html_escaping(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    answer_t a;
    d->project = "webota-demo";
    boot(d);
    uint8_t *before = snapshot(d);
    uint8_t *evil = make_image_of("<script>x</script>", "1.1.0", true, 2, &len);
    char *body = malloc(len + 1024);
    size_t n = form_body(body, evil, len, NULL);
    post_form(d, NULL, body, n, 1000, &a);
    expect_html_error(&a, 422, "wrong_project");
    if (strstr(a.body, "image is &quot;&lt;script&gt;x&lt;/script&gt;&quot;, this device runs "
                       "&quot;webota-demo&quot;") == NULL) {
        fail_msg("project not escaped: %s", a.body);
    }
    assert_null(strstr(a.body, "<script"));
    assert_null(strstr(a.body, "\"<"));
    /* the same refusal as JSON keeps the raw name (JSON-escaped) */
    post_form(d, "application/json", body, n, 1000, &a);
    expect_error(&a, 422, "wrong_project");
    assert_non_null(strstr(a.body, "<script>x</script>"));
    free(evil);
    free(body);

    /* the longest names: every byte of both is escaped to 5 or 6 */
    static const char quotes[] = "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"";
    d->project = "&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&";
    boot(d);
    assert_int_equal(strlen(quotes), 31);
    evil = make_image_of(quotes, "1.1.0", true, 2, &len);
    body = malloc(len + 1024);
    n = form_body(body, evil, len, NULL);
    post_form(d, NULL, body, n, 1000, &a);
    expect_html_error(&a, 422, "wrong_project");
    assert_non_null(strstr(a.body, "&quot;&quot;&quot;&quot;&quot;&quot;&quot;&quot;"));
    assert_non_null(strstr(a.body, "&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;"));
    assert_null(strstr(a.body, "\"\""));
    free(evil);
    free(body);
    assert_unchanged(d, before);

    /* the success page escapes the installed image's project too */
    d->project = NULL;
    boot(d);
    evil = make_image_of("<i>'a'&\"b\"</i>", "1.1.0", true, 2, &len);
    body = malloc(len + 1024);
    n = form_body(body, evil, len, NULL);
    post_form(d, NULL, body, n, 1000, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.resp.content_type, "text/html; charset=utf-8");
    if (strstr(a.body, "<p>&lt;i&gt;&#39;a&#39;&amp;&quot;b&quot;&lt;/i&gt; 1.1.0 was written to "
                       "ota_0.") == NULL) {
        fail_msg("success page not escaped: %s", a.body);
    }
    assert_null(strstr(a.body, "<i>"));
    assert_int_equal(d->reboots, 1);
    free(evil);
    free(body);
}

static void test_http_status_map(void **state)
{
    (void)state;
    assert_int_equal(webota_api_http_status(WEBOTA_OK), 200);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_IMG_HASH), 422);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_IMG_TOO_BIG), 413);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_UPD_NO_MARKER), 422);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_UPD_BUSY), 409);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_FLASH_POWER), 500);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_HTTP_LENGTH_REQUIRED), 411);
    webota_api_t api;
    webota_api_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(webota_api_init(&api, &cfg), WEBOTA_ERR_ARG);
    webota_slot_ops_t ops;
    memset(&ops, 0, sizeof(ops));
    webota_slot_t rules;
    assert_int_equal(webota_slot_init(&rules, &ops), WEBOTA_ERR_ARG); /* functions missing */
    cfg.slot = &rules;
    assert_int_equal(webota_api_init(&api, &cfg), WEBOTA_ERR_ARG);
    assert_int_equal(webota_api_init(NULL, &cfg), WEBOTA_ERR_ARG);
}

static void test_flash_failure_is_500(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    answer_t a;
    sim_nor_cut_power_at(d->nor, 3, SIM_CUT_CLEAN, 1);
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 500);
    assert_non_null(strstr(a.body, "\"error\":\"flash_power_lost\""));
    sim_nor_power_on(d->nor);
    free(img);
}

/* Every corrupted ESP32 image of the conformance vectors (made from ESP-IDF's
 * own tools' output, tests/vectors/manifest.tsv) sent as an upload: refused
 * with 422 or 413 and an image-checker code (never a device error), and the
 * otadata and the factory app untouched. The ones the manifest calls valid
 * pass the checker and stop only at the missing webota marker. A good upload
 * works afterwards. */
static void test_vector_images(void **state)
{
    dev_t_ *d = *state;
    size_t mlen;
    uint8_t *raw = tu_read_vector("manifest.tsv", &mlen);
    char *manifest = malloc(mlen + 1);
    memcpy(manifest, raw, mlen);
    manifest[mlen] = '\0';
    free(raw);
    uint8_t *before = snapshot(d);
    int invalid = 0, valid = 0;
    static const char prefix[] = "image/corrupt/esp32_small.";
    for (char *line = strtok(manifest, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char path[256], kind[64], expected[64];
        if (sscanf(line, "%255[^\t]\t%63[^\t]\t%63[^\t]", path, kind, expected) != 3 ||
            strcmp(kind, "image.corrupt") != 0 || strncmp(path, prefix, sizeof(prefix) - 1) != 0) {
            continue;
        }
        size_t n;
        uint8_t *img = tu_read_vector(path, &n);
        answer_t a;
        post_raw(d, NULL, img, n, &a);
        free(img);
        if (strncmp(expected, "valid", 5) == 0) {
            expect_error(&a, 422, "no_updater");
            valid++;
            continue;
        }
        if ((a.status != 422 && a.status != 413) || strncmp(a.body, "{\"error\":\"", 10) != 0 ||
            strstr(a.body, "\"message\":\"\"") != NULL) {
            fail_msg("%s (%s): want an image refusal (422/413 with a reason), got %d %s", path,
                     expected, a.status, a.body);
        }
        invalid++;
    }
    free(manifest);
    assert_unchanged(d, before);
    assert_int_equal(invalid, 19); /* every ESP32 kind in the manifest, none skipped */
    assert_int_equal(valid, 2);
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    answer_t a;
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 200);
    free(img);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_status_reads_no_image), T(test_zeroed_config_is_default), T(test_resume_hold_default), T(test_page_status_routes),  T(test_password),         T(test_cross_origin),
        T(test_login_rate_limit),    T(test_host_allow_list),  T(test_security_headers),
        T(test_upload_time_limits),  T(test_state_refusals_before_body),
        T(test_update_ok_then_busy_then_boot), T(test_rollback_impossible), T(test_update_refusals),
        T(test_concurrent_and_abort), T(test_form),            T(test_form_accept),
        T(test_form_html_escaping),            T(test_http_status_map),
        T(test_flash_failure_is_500), T(test_vector_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
