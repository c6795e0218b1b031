/* Benchmark program (not a test): one 1 MiB ESP32 app image
 *   checker  through the streaming image checker alone, 4 KiB chunks;
 *   session  through a whole update session (checker + policy + slot writer on
 *            a simulated 4 MiB NOR flash in RAM with ESP-IDF's two-OTA table),
 *            begin .. finish (verify from flash, otadata switch).
 * Run it under valgrind (bench/run.sh) to count instructions and heap; it also
 * prints the wall time per run and, for the session, the time the flash
 * operations would take on a real chip (the simulator's timing model).
 *
 *   bench_update checker|session [runs]   */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/flash_image.h"
#include "sim/image_buf.h"
#include "sim/inflate_zlib.h"
#include "webota/api.h"
#include "sim/nor_flash.h"
#include "webota/image.h"
#include "webota/image_make.h"
#include "webota/parttable.h"
#include "webota/slot_flash.h"
#include "webota/update.h"

#define IMAGE_SIZE (1024u * 1024u - 4096u) /* fits a 1 MiB slot with its padding */
#define CHUNK 4096u
#define FLASH_SIZE (4u * 1024u * 1024u)

typedef struct buf {
    uint8_t *data;
    size_t len;
} buf_t;

static int make_image(buf_t *img, uint32_t size, const char *version)
{
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
    o.project = "bench";
    o.version = version;
    o.size = size;
    o.marker = true;
    o.hash = true;
    o.seed = 42;
    webota_err_t err = sim_image_make_alloc(&o, &img->data, &img->len);
    if (err != WEBOTA_OK) {
        fprintf(stderr, "bench: image make: %s\n", webota_strerror(err));
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* noinline: callgrind counts from the entry of these two functions */
__attribute__((noinline)) static int run_checker(const buf_t *img)
{
    webota_image_policy_t pol = {.check_chip = true, .chip = WEBOTA_CHIP_ESP32,
                                 .max_size = 1024u * 1024u};
    webota_image_checker_t c;
    webota_image_init(&c, &pol, NULL);
    for (size_t off = 0; off < img->len; off += CHUNK) {
        size_t n = img->len - off < CHUNK ? img->len - off : CHUNK;
        webota_image_feed(&c, img->data + off, n);
    }
    webota_err_t err = webota_image_finish(&c);
    if (err != WEBOTA_OK || !webota_image_status(&c)->marker) {
        fprintf(stderr, "bench: checker verdict %s\n", webota_err_name(err));
        return -1;
    }
    return 0;
}

__attribute__((noinline)) static int run_session(const buf_t *img, const buf_t *factory, double *flash_ms)
{
    sim_nor_t *nor = sim_nor_new_ram(FLASH_SIZE);
    webota_parttable_t pt;
    char msg[200];
    if (nor == NULL || webota_pt_builtin("two-ota", &pt) != WEBOTA_OK) {
        fprintf(stderr, "bench: flash or table setup failed\n");
        sim_nor_close(nor);
        return -1;
    }
    sim_flash_app_t app = {.label = "factory", .image = factory->data, .len = factory->len};
    webota_err_t err = sim_flash_make(nor, &pt, WEBOTA_PT_OFFSET_DEFAULT, &app, 1, msg, sizeof(msg));
    webota_flash_t flash = sim_nor_flash(nor);
    webota_slot_flash_config_t sc;
    webota_slot_flash_config_init(&sc, &flash, 0x10000);
    sc.rollback = true;
    static webota_slot_flash_t slot; /* large: not on the stack */
    webota_slot_ops_t ops;
    if (err == WEBOTA_OK) {
        err = webota_slot_flash_init(&slot, &sc);
    }
    if (err != WEBOTA_OK) {
        fprintf(stderr, "bench: flash setup: %s %s\n", webota_strerror(err), msg);
        sim_nor_close(nor);
        return -1;
    }
    webota_slot_flash_ops(&slot, &ops);
    webota_slot_t rules;
    (void)webota_slot_init(&rules, &ops);
    sim_nor_reset_stats(nor);

    webota_update_policy_t pol;
    webota_update_policy_init(&pol);
    pol.check_chip = true;
    pol.chip = WEBOTA_CHIP_ESP32;
    static webota_update_t u;
    err = webota_update_begin(&u, &rules, &pol, (uint32_t)img->len, false);
    for (size_t off = 0; err == WEBOTA_OK && off < img->len; off += CHUNK) {
        size_t n = img->len - off < CHUNK ? img->len - off : CHUNK;
        err = webota_update_write(&u, img->data + off, n);
    }
    if (err == WEBOTA_OK) {
        err = webota_update_finish(&u);
    }
    *flash_ms = sim_nor_stats(nor).busy_ms;
    sim_nor_close(nor);
    if (err != WEBOTA_OK || webota_update_state(&u) != WEBOTA_UPDATE_DONE) {
        fprintf(stderr, "bench: update failed: %s (%s)\n", webota_err_name(err), webota_update_message(&u));
        return -1;
    }
    return 0;
}

/* The core's RAM during an update: every struct is caller-owned, so their
 * sizes are the whole of it (the stack is measured by massif). */
static int print_ram(void)
{
    sim_inflate_zlib_t *z = malloc(sizeof(*z));
    const webota_inflate_ops_t *ops = z != NULL ? sim_inflate_zlib_init(z) : NULL;
    printf("webota_api_t (API + update session + gzip parser + multipart) %zu bytes\n", sizeof(webota_api_t));
    printf("  of which webota_update_t %zu, webota_gunzip_t %zu, webota_mp_t %zu, answer buffer %u\n",
           sizeof(webota_update_t), sizeof(webota_gunzip_t), sizeof(webota_mp_t), WEBOTA_API_BODY_MAX);
    printf("webota_slot_flash_t (NOR-flash slot writer; the ESP32 uses esp_ota_ops instead) %zu bytes\n",
           sizeof(webota_slot_flash_t));
    printf("webota_slot_t (the rules) %zu bytes, webota_image_checker_t %zu bytes\n", sizeof(webota_slot_t),
           sizeof(webota_image_checker_t));
    if (ops != NULL) {
        printf("inflater (only for a compressed upload): %s %u bytes (window %u); ESP32 ROM miniz: "
               "32768-byte dictionary + tinfl_decompressor, allocated while it runs\n",
               ops->name, (unsigned)ops->state_bytes, (unsigned)ops->window_bytes);
    }
    free(z);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int runs = argc > 2 ? atoi(argv[2]) : 1;
    if (strcmp(mode, "ram") == 0) {
        return print_ram();
    }
    if ((strcmp(mode, "checker") != 0 && strcmp(mode, "session") != 0) || runs < 1) {
        fprintf(stderr, "usage: bench_update checker|session [runs] | ram\n");
        return 2;
    }
    buf_t img = {0}, factory = {0};
    if (make_image(&img, IMAGE_SIZE, "2.0.0") != 0 || make_image(&factory, 64 * 1024, "1.0.0") != 0) {
        return 1;
    }
    double t0 = now_s(), flash_ms = 0;
    for (int i = 0; i < runs; i++) {
        int rc = strcmp(mode, "checker") == 0 ? run_checker(&img) : run_session(&img, &factory, &flash_ms);
        if (rc != 0) {
            return 1;
        }
    }
    double per_run = (now_s() - t0) / runs;
    printf("%s: %zu-byte image, %d run(s), %.2f ms per run (%.1f MB/s)", mode, img.len, runs, per_run * 1e3,
           (double)img.len / per_run / 1e6);
    if (strcmp(mode, "session") == 0) {
        printf(", flash time on a real chip (timing model): %.0f ms", flash_ms);
    }
    printf("\n");
    free(img.data);
    free(factory.data);
    return 0;
}
