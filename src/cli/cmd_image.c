/* `webota image info|check|make`: the image checker and maker on files. The
 * text of `info` follows `esptool image_info --version 2` line by line, so the
 * two can be compared; webota's own findings follow in a last section. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/json_out.h"
#include "sim/image_buf.h"
#include "webota/image.h"
#include "webota/image_make.h"
#include "webota/sigblock.h"

static const char info_usage[] =
    "usage: webota image info [--json] FILE\n"
    "Shows an ESP-IDF app image as `esptool image_info --version 2` does (header,\n"
    "segments with memory types, checksum, SHA-256, app descriptor), plus the image\n"
    "length, whether it carries the webota updater marker, whether signature blocks\n"
    "follow, and webota's verdict. Exit 0 when valid, 1 when not.\n";
static const char check_usage[] =
    "usage: webota image check [--chip CHIP] [--chip-rev MAJOR.MINOR] [--max-size N] FILE\n"
    "Checks an app image as the device does while it streams in. The chip and the\n"
    "revision are checked only when given; --max-size is the slot size (4096, 0x1000,\n"
    "1700K, 4M). Exit 0 when valid; 1 with 'error: CODE: REASON at offset N'.\n"
    "CHIP: esp32 esp32s2 esp32s3 esp32c2 esp32c3 esp32c5 esp32c6 esp32c61 esp32h2 esp32p4\n";

static const char make_usage[] =
    "usage: webota image make --chip CHIP --project NAME --version VER [--secure-version N]\n"
    "                         [--idf-ver STR] [--size BYTES] [--no-marker] [--no-hash]\n"
    "                         [--seed N] [--fill FILE] -o OUT.bin\n"
    "Makes a deterministic app image laid out as esptool's elf2image does: app\n"
    "descriptor in the first (DROM) segment, RAM segments, padding, IROM segment,\n"
    "checksum and SHA-256. Contents are pseudo-random from --seed (default 1). The\n"
    "image carries the webota marker unless --no-marker (then devices refuse it,\n"
    "since it could not update itself again). --fill FILE: the segments' contents\n"
    "are FILE's bytes, repeated (e.g. real machine code, so that the image\n"
    "compresses as a real firmware does) instead of pseudo-random bytes.\n"
    "CHIP: esp32 esp32s2 esp32s3 esp32c2 esp32c3 esp32c5 esp32c6 esp32c61 esp32h2 esp32p4\n"
    "--size: the image's length in bytes (within a few bytes); at most what the\n"
    "chip's flash-mapped code and data windows hold:\n";

/* The largest --size per chip, from the maker's own layout. */
static void print_size_limits(FILE *f)
{
    static const webota_chip_t chips[] = {
        WEBOTA_CHIP_ESP32,   WEBOTA_CHIP_ESP32S2, WEBOTA_CHIP_ESP32S3,  WEBOTA_CHIP_ESP32C2, WEBOTA_CHIP_ESP32C3,
        WEBOTA_CHIP_ESP32C5, WEBOTA_CHIP_ESP32C6, WEBOTA_CHIP_ESP32C61, WEBOTA_CHIP_ESP32H2, WEBOTA_CHIP_ESP32P4,
    };
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
        fprintf(f, "  %-9s %u\n", webota_chip_info(chips[i])->name,
                (unsigned)webota_image_make_max_size(chips[i]));
    }
}

static bool parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!cli_parse_size(s, &v) || v > 0xFFFFFFFFu) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%02x", p[i]);
    }
}

static void title(const char *t)
{
    size_t n = strlen(t);
    printf("\n%s\n", t);
    for (size_t i = 0; i < n; i++) {
        putchar('=');
    }
    putchar('\n');
}

static void print_verdict_line(FILE *f, const webota_image_status_t *st)
{
    fprintf(f, "error: %s: %s at offset %u\n", webota_err_name(st->err), webota_strerror(st->err),
            (unsigned)st->err_offset);
}

/* The sector's verdict without trusted keys: UNSIGNED and a malformed sector
 * are told; a sector with usable blocks is "untrusted" here, i.e. present. */
static const char *sector_summary(webota_err_t err, const webota_sig_result_t *r, uint32_t file_len)
{
    if (err == WEBOTA_ERR_SIG_UNSIGNED) {
        return NULL;
    }
    if (file_len < r->sector + WEBOTA_SIG_SECTOR_LEN) {
        return "truncated";
    }
    if (file_len > r->sector + WEBOTA_SIG_SECTOR_LEN) {
        return "followed by more data";
    }
    return err == WEBOTA_ERR_SIG_MALFORMED ? "no usable block" : "";
}

static void print_sig_text(webota_err_t err, const webota_sig_result_t *r, uint32_t file_len)
{
    const char *what = sector_summary(err, r, file_len);
    if (what == NULL) {
        printf("Signature sector: none\n");
        return;
    }
    printf("Signature sector: at 0x%x, %u block(s)%s%s\n", (unsigned)r->sector, (unsigned)r->blocks,
           what[0] ? ", " : "", what);
    for (unsigned i = 0; i < WEBOTA_SIG_BLOCKS; i++) {
        const webota_sig_block_t *b = &r->block_info[i];
        if (b->state == WEBOTA_SIG_BLOCK_EMPTY) {
            continue;
        }
        printf("Signature block %u: ", i);
        if (b->scheme == WEBOTA_SIG_SCHEME_NONE) {
            printf("invalid (%s)\n", webota_sig_block_state_text((webota_sig_block_state_t)b->state));
            continue;
        }
        printf("%s, key digest ", webota_sig_scheme_name((webota_sig_scheme_t)b->scheme));
        hex(stdout, b->key_digest, 32);
        printf(", image digest %s\n", b->digest_match == 1 ? "valid" : b->digest_match == 0 ? "invalid" : "unchecked");
    }
}

static void hex_text(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

static void sig_json(webota_json_t *w, webota_err_t err, const webota_sig_result_t *r, uint32_t file_len)
{
    const char *what = sector_summary(err, r, file_len);
    webota_json_key(w, "signature_sector");
    if (what == NULL) {
        webota_json_null(w);
        webota_json_key(w, "signatures");
        webota_json_arr_begin(w);
        webota_json_arr_end(w);
        return;
    }
    webota_json_uint(w, r->sector);
    webota_json_key(w, "signatures");
    webota_json_arr_begin(w);
    for (unsigned i = 0; i < WEBOTA_SIG_BLOCKS; i++) {
        const webota_sig_block_t *b = &r->block_info[i];
        if (b->state == WEBOTA_SIG_BLOCK_EMPTY) {
            continue;
        }
        webota_json_obj_begin(w);
        cli_jkv_uint(w, "block", i);
        cli_jkv_bool(w, "valid", b->scheme != WEBOTA_SIG_SCHEME_NONE);
        if (b->scheme == WEBOTA_SIG_SCHEME_NONE) {
            cli_jkv_str(w, "reason", webota_sig_block_state_text((webota_sig_block_state_t)b->state));
        } else {
            char digest[65];
            hex_text(b->key_digest, 32, digest);
            cli_jkv_str(w, "scheme", webota_sig_scheme_name((webota_sig_scheme_t)b->scheme));
            cli_jkv_str(w, "key_digest", digest);
            cli_jkv_bool(w, "digest_valid", b->digest_match == 1);
        }
        webota_json_obj_end(w);
    }
    webota_json_arr_end(w);
}

static void print_text(const char *path, size_t file_len, const webota_image_status_t *st,
                       const webota_image_info_t *in, webota_err_t sig_err, const webota_sig_result_t *sig)
{
    (void)path;
    printf("File size: %zu (bytes)\n", file_len);
    if (!st->header_seen || in->chip == NULL) {
        if (st->header_seen) {
            printf("Chip ID: %u (unknown)\n", in->chip_id);
        }
    } else {
        const char *d = in->chip->display;
        char t[64];
        printf("Detected image type: %s\n", d);
        snprintf(t, sizeof(t), "%s image header", d);
        title(t);
        printf("Image version: 1\n");
        printf("Entry point: 0x%08x\n", (unsigned)in->entry);
        printf("Segments: %u\n", in->segment_count_hdr);
        printf("Flash size: %s\n", webota_chip_flash_size_name(in->spi_size));
        printf("Flash freq: %s\n", webota_chip_flash_freq_name(in->chip, in->spi_speed));
        printf("Flash mode: %s\n", webota_chip_flash_mode_name(in->spi_mode));
        snprintf(t, sizeof(t), "%s extended image header", d);
        title(t);
        printf("WP pin: 0x%02x%s\n", in->wp_pin, in->wp_pin == 0xEE ? " (disabled)" : "");
        printf("Flash pins drive settings: clk_drv: 0x%x, q_drv: 0x%x, d_drv: 0x%x, cs0_drv: 0x%x, "
               "hd_drv: 0x%x, wp_drv: 0x%x\n",
               in->spi_pin_drv[0] & 0xF, in->spi_pin_drv[0] >> 4, in->spi_pin_drv[1] & 0xF,
               in->spi_pin_drv[1] >> 4, in->spi_pin_drv[2] & 0xF, in->spi_pin_drv[2] >> 4);
        printf("Chip ID: %u (%s)\n", in->chip_id, d);
        printf("Minimal chip revision: v%u.%u, (legacy min_rev = %u)\n", in->min_rev_full / 100,
               in->min_rev_full % 100, in->min_rev);
        printf("Maximal chip revision: v%u.%u\n", in->max_rev_full / 100, in->max_rev_full % 100);

        title("Segments information");
        printf("Segment   Length   Load addr   File offs  Memory types\n");
        printf("-------  -------  ----------  ----------  ------------\n");
        for (unsigned i = 0; i < in->segment_count; i++) {
            const webota_image_segment_t *s = &in->segment[i];
            char types[160];
            webota_chip_mem_names(in->chip, s->load, types, sizeof(types));
            printf("%7u  0x%05x  0x%08x  0x%08x  %s\n", i, (unsigned)s->length, (unsigned)s->load,
                   (unsigned)s->offset, types);
        }
        snprintf(t, sizeof(t), "%s image footer", d);
        title(t);
        if (st->checksum_seen) {
            if (st->checksum_valid) {
                printf("Checksum: 0x%x (valid)\n", in->checksum_stored);
            } else {
                printf("Checksum: 0x%x (invalid - calculated %02x)\n", in->checksum_stored, in->checksum_calc);
            }
        } else {
            printf("Checksum: (missing)\n");
        }
        if (in->hash_appended) {
            uint32_t have = 0;
            if (st->checksum_seen) {
                have = st->hash_seen ? 32 : (st->received > in->checksum_offset + 1 ? st->received - in->checksum_offset - 1 : 0);
            }
            printf("Validation hash: ");
            hex(stdout, in->sha256_stored, have > 32 ? 32 : have);
            printf(" (%s)\n", st->hash_valid ? "valid" : "invalid");
        }
        if (st->desc_seen) {
            const webota_app_desc_t *a = &in->desc;
            title("Application information");
            printf("Project name: %s\n", a->project_name);
            printf("App version: %s\n", a->version);
            printf("Compile time: %s %s\n", a->date, a->time);
            printf("ELF file SHA256: ");
            hex(stdout, a->app_elf_sha256, 32);
            printf("\nESP-IDF: %s\n", a->idf_ver);
            printf("Minimal eFuse block revision: %u.%u\n", a->min_efuse_blk_rev_full / 100,
                   a->min_efuse_blk_rev_full % 100);
            printf("Maximal eFuse block revision: %u.%u\n", a->max_efuse_blk_rev_full / 100,
                   a->max_efuse_blk_rev_full % 100);
            if (a->mmu_page_size != 0 && a->mmu_page_size < 32) {
                printf("MMU page size: %u KB\n", (unsigned)((1u << a->mmu_page_size) / 1024));
            }
            printf("Secure version: %u\n", (unsigned)a->secure_version);
        }
    }
    title("webota");
    if (st->complete) {
        printf("Image length: 0x%x (%u bytes)\n", (unsigned)st->length, (unsigned)st->length);
        printf("Trailing data: %u bytes\n", (unsigned)st->trailing);
        print_sig_text(sig_err, sig, (uint32_t)file_len);
    }
    printf("Updater marker: %s\n", st->marker ? "yes" : "no");
    if (st->header_seen) {
        printf("MMU page used for alignment: %u KB\n", (unsigned)(in->mmu_page / 1024));
    }
    if (st->err == WEBOTA_OK) {
        printf("Verdict: valid\n");
    } else {
        printf("Verdict: invalid: %s: %s at offset %u\n", webota_err_name(st->err), webota_strerror(st->err),
               (unsigned)st->err_offset);
    }
}

static bool print_json(size_t file_len, const webota_image_status_t *st, const webota_image_info_t *in,
                       webota_err_t sig_err, const webota_sig_result_t *sig)
{
    cli_json_out_t o;
    if (!cli_json_out_init(&o)) {
        return false;
    }
    webota_json_t *w = &o.w;
    char hexbuf[65];
    webota_json_obj_begin(w);
    cli_jkv_uint(w, "file_size", file_len);
    cli_jkv_bool(w, "valid", st->err == WEBOTA_OK);
    if (st->err != WEBOTA_OK) {
        cli_jkv_str(w, "error", webota_err_name(st->err));
        cli_jkv_str(w, "message", webota_strerror(st->err));
        cli_jkv_uint(w, "error_offset", st->err_offset);
    }
    if (st->header_seen) {
        cli_jkv_str(w, "chip", in->chip ? in->chip->name : "unknown");
        cli_jkv_uint(w, "chip_id", in->chip_id);
        cli_jkv_uint(w, "entry", in->entry);
        cli_jkv_str(w, "flash_mode", webota_chip_flash_mode_name(in->spi_mode));
        cli_jkv_str(w, "flash_freq", webota_chip_flash_freq_name(in->chip, in->spi_speed));
        cli_jkv_str(w, "flash_size", webota_chip_flash_size_name(in->spi_size));
        cli_jkv_uint(w, "min_rev_full", in->min_rev_full);
        cli_jkv_uint(w, "max_rev_full", in->max_rev_full);
        cli_jkv_bool(w, "hash_appended", in->hash_appended);
        cli_jkv_uint(w, "segment_count", in->segment_count_hdr);
        webota_json_key(w, "segments");
        webota_json_arr_begin(w);
        for (unsigned i = 0; i < in->segment_count; i++) {
            const webota_image_segment_t *s = &in->segment[i];
            char types[160];
            webota_chip_mem_names(in->chip, s->load, types, sizeof(types));
            webota_json_obj_begin(w);
            cli_jkv_uint(w, "load", s->load);
            cli_jkv_uint(w, "length", s->length);
            cli_jkv_uint(w, "offset", s->offset);
            cli_jkv_str(w, "type", types);
            webota_json_obj_end(w);
        }
        webota_json_arr_end(w);
        cli_jkv_uint(w, "mmu_page", in->mmu_page);
    }
    cli_jkv_bool(w, "checksum_valid", st->checksum_valid);
    if (st->checksum_seen) {
        cli_jkv_uint(w, "checksum", in->checksum_stored);
        cli_jkv_uint(w, "checksum_calc", in->checksum_calc);
    }
    cli_jkv_bool(w, "hash_valid", st->hash_valid);
    if (st->hash_seen) {
        hex_text(in->sha256_stored, 32, hexbuf);
        cli_jkv_str(w, "sha256", hexbuf);
    }
    if (st->desc_seen) {
        const webota_app_desc_t *a = &in->desc;
        cli_jkv_str(w, "project", a->project_name);
        cli_jkv_str(w, "version", a->version);
        cli_jkv_uint(w, "secure_version", a->secure_version);
        cli_jkv_str(w, "idf_ver", a->idf_ver);
        cli_jkv_str(w, "date", a->date);
        cli_jkv_str(w, "time", a->time);
        hex_text(a->app_elf_sha256, 32, hexbuf);
        cli_jkv_str(w, "elf_sha256", hexbuf);
        cli_jkv_uint(w, "min_efuse_blk_rev_full", a->min_efuse_blk_rev_full);
        cli_jkv_uint(w, "max_efuse_blk_rev_full", a->max_efuse_blk_rev_full);
        cli_jkv_uint(w, "mmu_page_size", a->mmu_page_size);
    }
    cli_jkv_uint(w, "length", st->length);
    cli_jkv_uint(w, "trailing", st->trailing);
    cli_jkv_bool(w, "marker", st->marker);
    cli_jkv_bool(w, "signature_blocks", st->sig_blocks);
    if (st->complete) {
        sig_json(w, sig_err, sig, (uint32_t)file_len);
    }
    webota_json_obj_end(w);
    return cli_json_out_print(&o, stdout);
}

static int run_check(const char *path, const webota_image_policy_t *pol, webota_image_checker_t *c,
                     webota_image_info_t *info, size_t *len)
{
    uint8_t *data = cli_read_file(path, len);
    if (data == NULL) {
        return CLI_USAGE;
    }
    if (webota_crypto_init() != WEBOTA_OK) {
        free(data);
        fprintf(stderr, "webota image: crypto library failed to start\n");
        return CLI_USAGE;
    }
    webota_image_check_buffer(data, *len, pol, info, c);
    free(data);
    return CLI_OK;
}

static int cmd_info(int argc, char **argv)
{
    bool json = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(info_usage, stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (argv[i][0] == '-' || path != NULL) {
            fputs(info_usage, stderr);
            return CLI_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        fputs(info_usage, stderr);
        return CLI_USAGE;
    }
    webota_image_checker_t c;
    webota_image_info_t in;
    static webota_sig_verifier_t v;
    webota_sig_config_t cfg = {.all_digests = true}; /* no trusted key: show every block */
    size_t len = 0;
    uint8_t *data = cli_read_file(path, &len);
    if (data == NULL) {
        return CLI_USAGE;
    }
    if (webota_crypto_init() != WEBOTA_OK) {
        free(data);
        fprintf(stderr, "webota image: crypto library failed to start\n");
        return CLI_USAGE;
    }
    webota_image_init(&c, NULL, &in);
    webota_sig_init(&v, &cfg, &c);
    webota_image_feed(&c, data, len);
    webota_sig_feed(&v, data, len);
    webota_image_finish(&c);
    webota_err_t sig_err = webota_sig_finish(&v);
    free(data);
    const webota_image_status_t *st = webota_image_status(&c);
    if (json) {
        if (!print_json(len, st, &in, sig_err, webota_sig_result(&v))) {
            return CLI_INVALID;
        }
    } else {
        print_text(path, len, st, &in, sig_err, webota_sig_result(&v));
    }
    return st->err == WEBOTA_OK ? CLI_OK : CLI_INVALID;
}

static int cmd_check(int argc, char **argv)
{
    webota_image_policy_t pol;
    webota_image_policy_init(&pol);
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            fputs(check_usage, stdout);
            return CLI_OK;
        } else if (strcmp(a, "--chip") == 0 && v) {
            const webota_chip_info_t *chip = cli_chip(v);
            if (chip == NULL) {
                cli_error("image check", "unknown chip '%s'", v);
                return CLI_USAGE;
            }
            pol.check_chip = true;
            pol.chip = (int)chip->chip;
            i++;
        } else if (strcmp(a, "--chip-rev") == 0 && v) {
            unsigned major, minor;
            char extra;
            if (sscanf(v, "%u.%u%c", &major, &minor, &extra) != 2 || major > 655 || minor > 99) {
                cli_error("image check", "bad --chip-rev '%s' (expected MAJOR.MINOR, e.g. 0.4)", v);
                return CLI_USAGE;
            }
            pol.check_chip_rev = true;
            pol.chip_rev = (int)(major * 100 + minor);
            i++;
        } else if (strcmp(a, "--max-size") == 0 && v) {
            if (!parse_u32(v, &pol.max_size)) {
                cli_error("image check", "bad --max-size '%s'", v);
                return CLI_USAGE;
            }
            i++;
        } else if (a[0] == '-' || path != NULL) {
            fputs(check_usage, stderr);
            return CLI_USAGE;
        } else {
            path = a;
        }
    }
    if (path == NULL) {
        fputs(check_usage, stderr);
        return CLI_USAGE;
    }
    webota_image_checker_t c;
    webota_image_info_t info;
    size_t len = 0;
    int rc = run_check(path, &pol, &c, &info, &len);
    if (rc != CLI_OK) {
        return rc;
    }
    const webota_image_status_t *st = webota_image_status(&c);
    const webota_image_info_t *in = &info;
    if (st->err != WEBOTA_OK) {
        print_verdict_line(stderr, st);
        return CLI_INVALID;
    }
    printf("%s: valid %s app image, %u bytes, project \"%s\" version \"%s\", secure_version %u, updater marker %s\n",
           path, in->chip->display, (unsigned)st->length, in->desc.project_name, in->desc.version,
           (unsigned)in->desc.secure_version, st->marker ? "present" : "absent");
    return CLI_OK;
}

static int cmd_make(int argc, char **argv)
{
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
    o.project = NULL;
    o.version = NULL;
    const char *out = NULL, *fill = NULL;
    bool have_chip = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            fputs(make_usage, stdout);
            print_size_limits(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--no-marker") == 0) {
            o.marker = false;
        } else if (strcmp(a, "--no-hash") == 0) {
            o.hash = false;
        } else if (v == NULL) {
            fputs(make_usage, stderr);
            return CLI_USAGE;
        } else if (strcmp(a, "--chip") == 0) {
            const webota_chip_info_t *chip = cli_chip(v);
            if (chip == NULL) {
                cli_error("image make", "unknown chip '%s'", v);
                return CLI_USAGE;
            }
            o.chip = chip->chip;
            have_chip = true;
            i++;
        } else if (strcmp(a, "--project") == 0) {
            o.project = v, i++;
        } else if (strcmp(a, "--version") == 0) {
            o.version = v, i++;
        } else if (strcmp(a, "--idf-ver") == 0) {
            o.idf_ver = v, i++;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out = v, i++;
        } else if (strcmp(a, "--fill") == 0) {
            fill = v, i++;
        } else if (strcmp(a, "--secure-version") == 0 || strcmp(a, "--size") == 0 || strcmp(a, "--seed") == 0) {
            uint32_t n;
            if (!parse_u32(v, &n)) {
                cli_error("image make", "bad number for %s: '%s'", a, v);
                return CLI_USAGE;
            }
            if (a[2] == 's' && a[3] == 'e' && a[4] == 'c') {
                o.secure_version = n;
            } else if (a[2] == 's' && a[3] == 'i') {
                o.size = n;
            } else {
                o.seed = n;
            }
            i++;
        } else {
            fputs(make_usage, stderr);
            return CLI_USAGE;
        }
    }
    if (!have_chip || o.project == NULL || o.version == NULL || out == NULL) {
        fputs(make_usage, stderr);
        return CLI_USAGE;
    }
    if (strlen(o.project) > 31 || strlen(o.version) > 31 || (o.idf_ver && strlen(o.idf_ver) > 31)) {
        cli_error("image make", "project, version and idf-ver are at most 31 characters");
        return CLI_USAGE;
    }
    uint32_t len = webota_image_make_length(&o);
    if (len == 0) {
        cli_error("image make",
                  "size %u is too large for one %s image: its flash-mapped code and data "
                  "windows hold at most %u bytes",
                  (unsigned)o.size, webota_chip_info(o.chip)->display,
                  (unsigned)webota_image_make_max_size(o.chip));
        return CLI_USAGE;
    }
    if (webota_crypto_init() != WEBOTA_OK) {
        fprintf(stderr, "webota image: crypto library failed to start\n");
        return CLI_INVALID;
    }
    uint8_t *fill_data = NULL;
    if (fill != NULL) {
        fill_data = cli_read_file(fill, &o.fill_len);
        if (fill_data == NULL || o.fill_len == 0) {
            cli_error("image make", "--fill %s: %s", fill, fill_data == NULL ? "cannot read it" : "empty file");
            free(fill_data);
            return CLI_INVALID;
        }
        o.fill = fill_data;
    }
    uint8_t *img;
    size_t img_len;
    webota_err_t err = sim_image_make_alloc(&o, &img, &img_len);
    free(fill_data);
    if (err == WEBOTA_ERR_NO_SPACE) {
        cli_error("image make", "out of memory");
        return CLI_INVALID;
    }
    if (err != WEBOTA_OK) {
        cli_error("image make", "%s", webota_strerror(err));
        return CLI_INVALID;
    }
    bool ok = cli_write_file(out, img, img_len);
    free(img);
    if (!ok) {
        return CLI_INVALID;
    }
    printf("%s: %s app image, %u bytes, project \"%s\" version \"%s\"%s\n", out,
           webota_chip_info(o.chip)->display, (unsigned)len, o.project, o.version,
           o.marker ? "" : ", without the updater marker");
    return CLI_OK;
}

int cmd_image(int argc, char **argv)
{
    static const char usage[] = "usage: webota image <info|check|make|sign|verify> [options] FILE\n"
                                "  info    show an app image as esptool image_info does, plus webota's verdict\n"
                                "  check   check an app image as the device does (exit 0 valid, 1 invalid)\n"
                                "  make    make a deterministic test image for a chip\n"
                                "  sign    append Secure Boot V2 signature blocks (espsecure's format)\n"
                                "  verify  verify the Secure Boot V2 signature with given public keys\n";
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1])) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "info") == 0) {
        return cmd_info(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "check") == 0) {
        return cmd_check(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "make") == 0) {
        return cmd_make(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "sign") == 0) {
        return cmd_image_sign(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "verify") == 0) {
        return cmd_image_verify(argc - 1, argv + 1);
    }
    cli_error("image", "unknown subcommand '%s'", argv[1]);
    fputs(usage, stderr);
    return CLI_USAGE;
}
