/* `webota release publish|revoke`: a release as static files (docs/fleet.md).
 * DIR/CHANNEL.json (the manifest), DIR/CHANNEL.json.sig (its signature
 * blocks) and DIR/images/PROJECT-VERSION.bin; any HTTP server serves DIR. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/image_sign.h"
#include "cli/sbv2_key.h"
#include "webota/image.h"
#include "webota/pull.h"
#include "webota/release.h"

static void usage(FILE *f)
{
    fputs("usage: webota release publish --key KEY.pem --dir DIR [--channel NAME]\n"
          "                              [--rollout PERCENT] IMAGE\n"
          "       webota release revoke --key KEY.pem --dir DIR [--channel NAME]\n"
          "       webota release show [--key PUB.pem] MANIFEST.json\n"
          "       webota release sign --key KEY.pem [--unchecked] MANIFEST.json\n\n"
          "A release is static files that any HTTP server (nginx, an object store, a CDN)\n"
          "serves: DIR/CHANNEL.json (the manifest), DIR/CHANNEL.json.sig (its signature\n"
          "by KEY, the key types of signed images: rsa3072, ecdsa256, ecdsa384) and\n"
          "DIR/images/PROJECT-VERSION.bin. Devices poll DIR/CHANNEL.json\n"
          "(webota sim --pull URL).\n\n"
          "  publish   writes the image and a signed manifest; running it again for the\n"
          "            same image with another --rollout widens (or narrows) the release.\n"
          "            Devices also check the image's own signature: an unsigned IMAGE is\n"
          "            signed with KEY (as webota image sign does); a signed one must carry\n"
          "            a block by KEY (else refused: webota image sign --append adds one)\n"
          "  revoke    marks the channel's release revoked and signs it again: devices\n"
          "            that have not installed it yet never will\n"
          "  show      prints a manifest; with --key, checks its signature\n"
          "  sign      signs a manifest written by other tools into MANIFEST.json.sig\n"
          "            (refused unless it is a valid manifest; --unchecked signs any bytes,\n"
          "            to test how devices treat a broken manifest)\n\n"
          "  --channel NAME     default 'stable' (letters, digits, '-', '_', '.')\n"
          "  --rollout PERCENT  share of devices that install it, 0..100 (default 100);\n"
          "                     a device is in it when its bucket (SHA-256 of the release\n"
          "                     and its id, docs/fleet.md) is below PERCENT * 100\n",
          f);
}

static bool name_ok(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) >= WEBOTA_RELEASE_NAME_MAX || s[0] == '.') {
        return false;
    }
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.')) {
            return false;
        }
    }
    return true;
}

static char *path_join(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = malloc(n);
    if (p != NULL) {
        snprintf(p, n, "%s/%s%s", dir, name, ext);
    }
    return p;
}

/* Signs the manifest bytes and writes signature then manifest (a device that
 * reads between the two sees a signature that does not match, refuses, and
 * reads both again at its next poll). */
static bool write_signed(const char *cmd, cli_sbv2_key_t *key, const char *dir, const char *channel,
                         const webota_release_t *r)
{
    char json[WEBOTA_RELEASE_MANIFEST_MAX];
    size_t n = 0;
    if (webota_release_write(r, json, sizeof(json), &n) != WEBOTA_OK) {
        cli_error(cmd, "the manifest does not fit in %u bytes", WEBOTA_RELEASE_MANIFEST_MAX);
        return false;
    }
    uint8_t block[WEBOTA_SIG_BLOCK_LEN];
    if (!cli_sbv2_sign_block(cmd, key, (const uint8_t *)json, n, block)) {
        return false;
    }
    /* the device's own check, before anything is written */
    webota_sig_config_t trust = {&key->trusted, 1, 0, false};
    if (webota_release_verify(json, n, block, sizeof(block), &trust) != WEBOTA_OK) {
        cli_error(cmd, "the new signature does not verify: nothing written");
        return false;
    }
    char *mpath = path_join(dir, channel, ".json");
    char *spath = path_join(dir, channel, ".json.sig");
    /* nginx's ETag is the file's mtime (seconds) and size: a manifest
     * rewritten within the same second with the same length would keep the
     * old ETag and devices would be told "304 unchanged". Wait for the next
     * second when the old manifest is that recent. */
    struct stat st;
    if (mpath != NULL && stat(mpath, &st) == 0) {
        while (time(NULL) <= st.st_mtime) {
            struct timespec nap = {0, 50 * 1000 * 1000};
            nanosleep(&nap, NULL);
        }
    }
    bool ok = mpath != NULL && spath != NULL && cli_write_file(spath, block, sizeof(block)) &&
              cli_write_file(mpath, json, n);
    if (ok) {
        printf("%s: %s %s for %s, channel %s, rollout %u%%%s\n", mpath, r->project, r->version, r->chip,
               r->channel, r->rollout, r->revoked ? ", REVOKED" : "");
        printf("%s: signed by %s key ", spath, webota_sig_scheme_name(key->scheme));
        cli_hex(stdout, key->trusted.digest, WEBOTA_SIG_KEY_DIGEST_LEN);
        printf("\n");
    }
    free(mpath);
    free(spath);
    return ok;
}

/* mkdir -p */
static bool make_dirs(const char *cmd, const char *dir)
{
    char *p = strdup(dir);
    bool ok = p != NULL;
    for (char *s = p ? p + 1 : NULL; ok && s != NULL && *s; s++) {
        if (*s == '/') {
            *s = '\0';
            ok = mkdir(p, 0755) == 0 || errno == EEXIST;
            *s = '/';
        }
    }
    ok = ok && (mkdir(p, 0755) == 0 || errno == EEXIST);
    if (!ok) {
        cli_error(cmd, "cannot create %s: %s", dir, strerror(errno));
    }
    free(p);
    return ok;
}

static void now_iso(char *out, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct {
    const char *key, *dir, *channel, *rollout, *pos[1];
    bool unchecked;
} opts_t;

static int parse(const char *cmd, int argc, char **argv, opts_t *o, size_t npos)
{
    memset(o, 0, sizeof(*o));
    o->channel = "stable";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--unchecked") == 0 && strcmp(argv[1], "sign") == 0) {
            o->unchecked = true;
            continue;
        }
        const char **slot = strcmp(a, "--key") == 0       ? &o->key
                            : strcmp(a, "--dir") == 0     ? &o->dir
                            : strcmp(a, "--channel") == 0 ? &o->channel
                            : strcmp(a, "--rollout") == 0 ? &o->rollout
                                                          : NULL;
        if (slot != NULL) {
            if (i + 1 >= argc) {
                cli_error(cmd, "%s needs a value", a);
                return CLI_USAGE;
            }
            *slot = argv[++i];
            continue;
        }
        int r = cli_other_arg(cmd, a, o->pos, npos, usage);
        if (r >= 0) {
            return r;
        }
    }
    if (!name_ok(o->channel)) {
        cli_error(cmd, "--channel %s: letters, digits, '-', '_' and '.' (not first), at most 31", o->channel);
        return CLI_USAGE;
    }
    return -1;
}

static int publish(int argc, char **argv)
{
    const char *cmd = "release publish";
    opts_t o;
    int r = parse(cmd, argc, argv, &o, 1);
    if (r >= 0) {
        return r;
    }
    if (o.key == NULL || o.dir == NULL || o.pos[0] == NULL) {
        cli_error(cmd, "--key, --dir and IMAGE are required");
        usage(stderr);
        return CLI_USAGE;
    }
    unsigned long rollout = 100;
    if (o.rollout != NULL) {
        char *end = NULL;
        rollout = strtoul(o.rollout, &end, 10);
        if (*o.rollout == '\0' || *end != '\0' || rollout > 100 || o.rollout[0] == '-') {
            cli_error(cmd, "--rollout %s: want 0..100", o.rollout);
            return CLI_USAGE;
        }
    }
    size_t len = 0;
    uint8_t *img = cli_read_file(o.pos[0], &len);
    if (img == NULL) {
        return CLI_INVALID;
    }
    webota_image_checker_t c;
    webota_image_info_t info;
    webota_err_t e = webota_image_check_buffer(img, len, NULL, &info, &c);
    const webota_image_status_t *st = webota_image_status(&c);
    if (e != WEBOTA_OK || !st->desc_seen || info.chip == NULL) {
        cli_error(cmd, "%s is not a valid app image: %s at offset %u", o.pos[0], webota_strerror(e),
                  (unsigned)st->err_offset);
        free(img);
        return CLI_INVALID;
    }
    if (!st->marker) {
        cli_error(cmd, "%s has no webota updater (marker): devices would refuse it, and could not "
                       "update again if they took it",
                  o.pos[0]);
        free(img);
        return CLI_INVALID;
    }
    cli_sbv2_key_t key;
    if (!cli_sbv2_key_load(cmd, o.key, true, &key)) {
        free(img);
        return CLI_INVALID;
    }
    /* devices check the image's own signature against the keys they trust
     * (the same keys as the manifest's): an unsigned image is signed here
     * with the release key; one signed by other keys only is refused */
    uint32_t sector = 0;
    bool signed_here = false;
    e = cli_image_signed_by(img, len, &key.trusted, &sector);
    if (e == WEBOTA_ERR_SIG_UNSIGNED) {
        cli_signed_t sg;
        if (cli_image_sign(cmd, o.pos[0], img, len, &key, 1, false, &sg)) {
            free(img);
            img = sg.data;
            len = sg.len;
            sector = sg.sector;
            signed_here = true;
            e = WEBOTA_OK;
        }
    } else if (e == WEBOTA_ERR_SIG_MALFORMED) {
        cli_error(cmd,
                  "%s has bytes after the image that are not a valid signature sector (%s): publish the image "
                  "as built, without them (publish signs it with %s). Nothing written.",
                  o.pos[0], webota_err_name(e), o.key);
    } else if (e != WEBOTA_OK) {
        cli_error(cmd,
                  "%s is signed, but no signature block verifies with %s (%s: %s): devices that trust this key "
                  "would refuse it. Add a block by this key: webota image sign --append --key %s %s -o SIGNED.bin, "
                  "then publish SIGNED.bin (or publish the unsigned image: publish signs it). Nothing written.",
                  o.pos[0], o.key, webota_err_name(e), webota_strerror(e), o.key, o.pos[0]);
    }
    if (e != WEBOTA_OK) {
        cli_sbv2_key_free(&key);
        free(img);
        return CLI_INVALID;
    }
    webota_release_t rel;
    memset(&rel, 0, sizeof(rel));
    rel.format = WEBOTA_RELEASE_FORMAT;
    snprintf(rel.project, sizeof(rel.project), "%.31s", info.desc.project_name);
    snprintf(rel.version, sizeof(rel.version), "%.31s", info.desc.version);
    rel.secure_version = info.desc.secure_version;
    snprintf(rel.chip, sizeof(rel.chip), "%s", info.chip->name);
    rel.size = (uint32_t)len;
    rel.rollout = (uint8_t)rollout;
    snprintf(rel.channel, sizeof(rel.channel), "%s", o.channel);
    now_iso(rel.created, sizeof(rel.created));
    bool ok = true;
    char fname[WEBOTA_RELEASE_NAME_MAX * 2 + 8];
    snprintf(fname, sizeof(fname), "%s-%s.bin", rel.project, rel.version);
    if (!name_ok(rel.project) || !name_ok(rel.version)) {
        cli_error(cmd, "project '%s' or version '%s' cannot be a file name (letters, digits, '-', '_', '.')",
                  rel.project, rel.version);
        ok = false;
    }
    snprintf(rel.image, sizeof(rel.image), "images/%s", fname);
    char *idir = path_join(o.dir, "images", "");
    char *ipath = path_join(o.dir, "images/", fname);
    if (ok && (idir == NULL || ipath == NULL)) {
        ok = false;
    }
    ok = ok && make_dirs(cmd, idir);
    if (ok) {
        /* a published version is immutable: same name, same bytes */
        size_t have_len = 0;
        FILE *f = fopen(ipath, "rb");
        if (f != NULL) {
            fclose(f);
            uint8_t *have = cli_read_file(ipath, &have_len);
            /* the same bytes, or the same image already signed by this key
             * (an RSA-PSS signature differs each time it is made) */
            uint32_t have_sector = 0;
            bool same = have != NULL && have_len == len && memcmp(have, img, len) == 0;
            bool same_signed = have != NULL && !same && have_len == len &&
                               memcmp(have, img, sector) == 0 &&
                               cli_image_signed_by(have, have_len, &key.trusted, &have_sector) == WEBOTA_OK &&
                               have_sector == sector;
            if (same_signed) {
                memcpy(img, have, len); /* the manifest names the published file */
                printf("%s: the same image, signed by this key already\n", ipath);
            } else if (!same) {
                cli_error(cmd, "%s exists with other contents: a published version never changes "
                               "(build a new version)",
                          ipath);
                ok = false;
            }
            free(have);
        } else {
            ok = cli_write_file(ipath, img, len);
            if (ok) {
                printf("%s: %u bytes\n", ipath, (unsigned)len);
            }
        }
        if (ok && signed_here) {
            printf("%s had no signature: signed with %s key ", o.pos[0], webota_sig_scheme_name(key.scheme));
            cli_hex(stdout, key.trusted.digest, WEBOTA_SIG_KEY_DIGEST_LEN);
            printf(" (devices require it; the manifest's size and sha256 are of the signed image)\n");
        }
    }
    /* of the published file: signed here, or the copy signed before */
    ok = ok && webota_sha256(img, len, rel.sha256) == WEBOTA_OK;
    ok = ok && write_signed(cmd, &key, o.dir, o.channel, &rel);
    cli_sbv2_key_free(&key);
    free(img);
    free(idir);
    free(ipath);
    return ok ? CLI_OK : CLI_INVALID;
}

static bool read_manifest(const char *cmd, const char *path, webota_release_t *rel, uint8_t **raw, size_t *len)
{
    *raw = cli_read_file(path, len);
    if (*raw == NULL) {
        return false;
    }
    webota_release_error_t pe;
    if (webota_release_parse((const char *)*raw, *len, rel, &pe) != WEBOTA_OK) {
        cli_error(cmd, "%s: malformed manifest: %s%s%s at byte %u", path, pe.field, pe.field[0] ? ": " : "",
                  pe.message, (unsigned)pe.offset);
        free(*raw);
        *raw = NULL;
        return false;
    }
    return true;
}

static int revoke(int argc, char **argv)
{
    const char *cmd = "release revoke";
    opts_t o;
    int r = parse(cmd, argc, argv, &o, 0);
    if (r >= 0) {
        return r;
    }
    if (o.key == NULL || o.dir == NULL) {
        cli_error(cmd, "--key and --dir are required");
        usage(stderr);
        return CLI_USAGE;
    }
    char *mpath = path_join(o.dir, o.channel, ".json");
    webota_release_t rel;
    uint8_t *raw = NULL;
    size_t len = 0;
    bool ok = mpath != NULL && read_manifest(cmd, mpath, &rel, &raw, &len);
    free(raw);
    free(mpath);
    if (!ok) {
        return CLI_INVALID;
    }
    cli_sbv2_key_t key;
    if (!cli_sbv2_key_load(cmd, o.key, true, &key)) {
        return CLI_INVALID;
    }
    rel.revoked = true;
    ok = write_signed(cmd, &key, o.dir, o.channel, &rel);
    cli_sbv2_key_free(&key);
    return ok ? CLI_OK : CLI_INVALID;
}

static int show(int argc, char **argv)
{
    const char *cmd = "release show";
    opts_t o;
    int r = parse(cmd, argc, argv, &o, 1);
    if (r >= 0) {
        return r;
    }
    if (o.pos[0] == NULL) {
        cli_error(cmd, "MANIFEST.json is required");
        return CLI_USAGE;
    }
    webota_release_t rel;
    uint8_t *raw = NULL;
    size_t len = 0;
    if (!read_manifest(cmd, o.pos[0], &rel, &raw, &len)) {
        return CLI_INVALID;
    }
    printf("project %s\nversion %s\nsecure_version %u\nchip %s\nimage %s\nsize %u\nsha256 ", rel.project,
           rel.version, (unsigned)rel.secure_version, rel.chip, rel.image, (unsigned)rel.size);
    cli_hex(stdout, rel.sha256, sizeof(rel.sha256));
    printf("\nrollout %u%%\nchannel %s\ncreated %s\nrevoked %s\n", rel.rollout, rel.channel, rel.created,
           rel.revoked ? "yes" : "no");
    int rc = CLI_OK;
    if (o.key != NULL) {
        cli_sbv2_key_t key;
        if (!cli_sbv2_key_load(cmd, o.key, false, &key)) {
            free(raw);
            return CLI_INVALID;
        }
        size_t slen = 0;
        size_t pl = strlen(o.pos[0]) + 5;
        char *spath = malloc(pl);
        if (spath != NULL) {
            snprintf(spath, pl, "%s.sig", o.pos[0]);
        }
        uint8_t *sig = spath ? cli_read_file(spath, &slen) : NULL;
        webota_sig_config_t trust = {&key.trusted, 1, 0, false};
        webota_err_t e = sig ? webota_release_verify(raw, len, sig, slen, &trust) : WEBOTA_ERR_REL_SIGNATURE;
        printf("signature %s\n", e == WEBOTA_OK ? "verified" : webota_err_name(e));
        rc = e == WEBOTA_OK ? CLI_OK : CLI_INVALID;
        free(sig);
        free(spath);
        cli_sbv2_key_free(&key);
    }
    free(raw);
    return rc;
}

static int sign(int argc, char **argv)
{
    const char *cmd = "release sign";
    opts_t o;
    int r = parse(cmd, argc, argv, &o, 1);
    if (r >= 0) {
        return r;
    }
    if (o.key == NULL || o.pos[0] == NULL) {
        cli_error(cmd, "--key and MANIFEST.json are required");
        return CLI_USAGE;
    }
    webota_release_t rel;
    uint8_t *raw = NULL;
    size_t len = 0;
    if (o.unchecked) {
        raw = cli_read_file(o.pos[0], &len);
        if (raw == NULL) {
            return CLI_INVALID;
        }
    } else if (!read_manifest(cmd, o.pos[0], &rel, &raw, &len)) {
        return CLI_INVALID;
    }
    cli_sbv2_key_t key;
    bool loaded = cli_sbv2_key_load(cmd, o.key, true, &key);
    bool ok = loaded;
    uint8_t block[WEBOTA_SIG_BLOCK_LEN];
    ok = ok && cli_sbv2_sign_block(cmd, &key, raw, len, block);
    size_t pl = strlen(o.pos[0]) + 5;
    char *spath = malloc(pl);
    if (ok && spath != NULL) {
        snprintf(spath, pl, "%s.sig", o.pos[0]);
        ok = cli_write_file(spath, block, sizeof(block));
        if (ok) {
            printf("%s: signed by %s key ", spath, webota_sig_scheme_name(key.scheme));
            cli_hex(stdout, key.trusted.digest, WEBOTA_SIG_KEY_DIGEST_LEN);
            printf("\n");
        }
    }
    if (loaded) {
        cli_sbv2_key_free(&key);
    }
    free(spath);
    free(raw);
    return ok ? CLI_OK : CLI_INVALID;
}

int cmd_release(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "publish") == 0) {
        return publish(argc, argv);
    }
    if (strcmp(argv[1], "revoke") == 0) {
        return revoke(argc, argv);
    }
    if (strcmp(argv[1], "show") == 0) {
        return show(argc, argv);
    }
    if (strcmp(argv[1], "sign") == 0) {
        return sign(argc, argv);
    }
    cli_error("release", "unknown subcommand '%s'", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
