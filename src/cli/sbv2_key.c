/* Secure Boot V2 keys on mbedTLS (pk, bignum, ctr_drbg): loading, the block
 * form of a public key, signing and generation. The block form and the
 * signature layout follow what espsecure writes (docs/signing.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "cli/cli.h"
#include "cli/sbv2_key.h"
#include "webota/crc32.h"

void cli_hex(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%02x", p[i]);
    }
}

webota_sig_scheme_t cli_sbv2_scheme(const char *name)
{
    if (strcmp(name, "rsa3072") == 0) {
        return WEBOTA_SIG_SCHEME_RSA3072;
    }
    if (strcmp(name, "ecdsa256") == 0) {
        return WEBOTA_SIG_SCHEME_ECDSA256;
    }
    if (strcmp(name, "ecdsa384") == 0) {
        return WEBOTA_SIG_SCHEME_ECDSA384;
    }
    return WEBOTA_SIG_SCHEME_NONE;
}

/* A seeded DRBG (signing nonces, PSS salt, key generation). */
typedef struct {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} rng_t;

static bool rng_start(rng_t *r)
{
    static const char pers[] = "webota-sbv2";
    mbedtls_entropy_init(&r->entropy);
    mbedtls_ctr_drbg_init(&r->drbg);
    return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy, (const unsigned char *)pers,
                                 sizeof pers - 1) == 0;
}

static void rng_free(rng_t *r)
{
    mbedtls_ctr_drbg_free(&r->drbg);
    mbedtls_entropy_free(&r->entropy);
}

/* RSA block key: n, e, R^2 mod n (R = 2^3072, for the hardware's Montgomery
 * multiplication) and -1/n mod 2^32, all little-endian. */
static bool rsa_block_key(mbedtls_rsa_context *rsa, uint8_t *out)
{
    mbedtls_mpi n, e, rr, inv, m32;
    mbedtls_mpi_init(&n), mbedtls_mpi_init(&e), mbedtls_mpi_init(&rr), mbedtls_mpi_init(&inv);
    mbedtls_mpi_init(&m32);
    bool ok = mbedtls_rsa_export(rsa, &n, NULL, NULL, NULL, &e) == 0 && mbedtls_mpi_bitlen(&e) <= 32 &&
              mbedtls_mpi_lset(&rr, 1) == 0 && mbedtls_mpi_shift_l(&rr, 2 * 3072) == 0 &&
              mbedtls_mpi_mod_mpi(&rr, &rr, &n) == 0 && mbedtls_mpi_lset(&m32, 1) == 0 &&
              mbedtls_mpi_shift_l(&m32, 32) == 0 && mbedtls_mpi_inv_mod(&inv, &n, &m32) == 0 &&
              mbedtls_mpi_write_binary_le(&n, out, 384) == 0 && mbedtls_mpi_write_binary_le(&e, out + 384, 4) == 0 &&
              mbedtls_mpi_write_binary_le(&rr, out + 388, 384) == 0;
    if (ok) {
        uint8_t le[4];
        ok = mbedtls_mpi_write_binary_le(&inv, le, 4) == 0;
        uint32_t v = (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 | (uint32_t)le[3] << 24;
        v = 0u - v; /* -n^-1 mod 2^32 */
        out[772] = (uint8_t)v, out[773] = (uint8_t)(v >> 8), out[774] = (uint8_t)(v >> 16);
        out[775] = (uint8_t)(v >> 24);
    }
    mbedtls_mpi_free(&n), mbedtls_mpi_free(&e), mbedtls_mpi_free(&rr), mbedtls_mpi_free(&inv);
    mbedtls_mpi_free(&m32);
    return ok;
}

/* ECDSA block key: curve id, then X and Y little-endian. */
static bool ec_block_key(mbedtls_ecp_keypair *ec, size_t l, uint8_t curve, uint8_t *out)
{
    out[0] = curve;
    return mbedtls_mpi_write_binary_le(&ec->Q.X, out + 1, l) == 0 &&
           mbedtls_mpi_write_binary_le(&ec->Q.Y, out + 1 + l, l) == 0;
}

/* Scheme and block form of a parsed key. */
static bool describe(const char *cmd, const char *path, cli_sbv2_key_t *k)
{
    mbedtls_pk_type_t t = mbedtls_pk_get_type(&k->pk);
    if (t == MBEDTLS_PK_RSA) {
        if (mbedtls_pk_get_bitlen(&k->pk) != 3072) {
            cli_error(cmd, "%s: an RSA key of %u bits; Secure Boot V2 takes RSA-3072 only", path,
                      (unsigned)mbedtls_pk_get_bitlen(&k->pk));
            return false;
        }
        k->scheme = WEBOTA_SIG_SCHEME_RSA3072;
        k->block_key_len = WEBOTA_SIG_RSA_KEY_LEN;
        if (!rsa_block_key(mbedtls_pk_rsa(k->pk), k->block_key)) {
            cli_error(cmd, "%s: unusable RSA key", path);
            return false;
        }
    } else if (t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECKEY_DH || t == MBEDTLS_PK_ECDSA) {
        mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
        if (ec->grp.id == MBEDTLS_ECP_DP_SECP256R1) {
            k->scheme = WEBOTA_SIG_SCHEME_ECDSA256;
            k->block_key_len = 65;
            if (!ec_block_key(ec, 32, 2, k->block_key)) {
                return false;
            }
        } else if (ec->grp.id == MBEDTLS_ECP_DP_SECP384R1) {
            k->scheme = WEBOTA_SIG_SCHEME_ECDSA384;
            k->block_key_len = 97;
            if (!ec_block_key(ec, 48, 3, k->block_key)) {
                return false;
            }
        } else {
            cli_error(cmd, "%s: an ECDSA key on a curve webota does not accept (P-256 and P-384 only)", path);
            return false;
        }
    } else {
        cli_error(cmd, "%s: not an RSA or ECDSA key", path);
        return false;
    }
    k->trusted.scheme = (uint8_t)k->scheme;
    return webota_sha256(k->block_key, k->block_key_len, k->trusted.digest) == WEBOTA_OK;
}

bool cli_sbv2_key_load(const char *cmd, const char *path, bool need_private, cli_sbv2_key_t *k)
{
    memset(k, 0, sizeof *k);
    mbedtls_pk_init(&k->pk);
    if (webota_crypto_init() != WEBOTA_OK) {
        cli_error(cmd, "crypto library failed to start");
        return false;
    }
    size_t len;
    uint8_t *raw = cli_read_file(path, &len);
    if (raw == NULL) {
        return false;
    }
    /* PEM parsing wants the terminating NUL counted in the length */
    uint8_t *buf = calloc(1, len + 1);
    if (buf == NULL) {
        mbedtls_platform_zeroize(raw, len);
        free(raw);
        cli_error(cmd, "out of memory");
        return false;
    }
    memcpy(buf, raw, len);
    mbedtls_platform_zeroize(raw, len);
    free(raw);
    int rc = mbedtls_pk_parse_key(&k->pk, buf, len + 1, NULL, 0);
    if (rc == 0) {
        k->has_private = true;
    } else if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
        cli_error(cmd, "%s: an encrypted key (give an unencrypted PEM key file)", path);
    } else if (!need_private) {
        mbedtls_pk_free(&k->pk);
        mbedtls_pk_init(&k->pk);
        rc = mbedtls_pk_parse_public_key(&k->pk, buf, len + 1);
    }
    mbedtls_platform_zeroize(buf, len + 1);
    free(buf);
    if (rc != 0) {
        if (rc != MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
            cli_error(cmd, "%s: not a %s key in PEM or DER form", path, need_private ? "private" : "private or public");
        }
        cli_sbv2_key_free(k);
        return false;
    }
    if (!describe(cmd, path, k)) {
        cli_sbv2_key_free(k);
        return false;
    }
    return true;
}

void cli_sbv2_key_free(cli_sbv2_key_t *k)
{
    mbedtls_pk_free(&k->pk);
    mbedtls_platform_zeroize(k, sizeof *k);
}

static bool digest_of(webota_sig_scheme_t scheme, const uint8_t *data, size_t len, uint8_t *out)
{
    webota_hash_t h;
    if (webota_hash_start(&h, scheme == WEBOTA_SIG_SCHEME_ECDSA384 ? WEBOTA_HASH_SHA384 : WEBOTA_HASH_SHA256) !=
        WEBOTA_OK) {
        return false;
    }
    if (webota_hash_update(&h, data, len) != WEBOTA_OK) {
        webota_hash_abort(&h);
        return false;
    }
    return webota_hash_finish(&h, out, 48) == WEBOTA_OK;
}

static void reverse_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[n - 1 - i];
    }
}

bool cli_sbv2_sign_block(const char *cmd, cli_sbv2_key_t *k, const uint8_t *data, size_t len,
                         uint8_t block[WEBOTA_SIG_BLOCK_LEN])
{
    if (!k->has_private) {
        cli_error(cmd, "signing needs the private key");
        return false;
    }
    uint8_t digest[48];
    if (!digest_of(k->scheme, data, len, digest)) {
        cli_error(cmd, "hashing failed");
        return false;
    }
    rng_t rng;
    if (!rng_start(&rng)) {
        rng_free(&rng);
        cli_error(cmd, "random generator failed to start");
        return false;
    }
    memset(block, 0, WEBOTA_SIG_BLOCK_LEN);
    block[0] = WEBOTA_SIG_MAGIC;
    bool ok = false;
    if (k->scheme == WEBOTA_SIG_SCHEME_RSA3072) {
        uint8_t sig[384];
        mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
        /* PSS, MGF1-SHA-256, salt 32 bytes: what the ROM and espsecure use */
        ok = mbedtls_rsa_rsassa_pss_sign_ext(rsa, mbedtls_ctr_drbg_random, &rng.drbg, MBEDTLS_MD_SHA256, 32, digest,
                                             32, sig) == 0;
        block[1] = WEBOTA_SIG_VERSION_RSA;
        memcpy(block + 4, digest, 32);
        memcpy(block + 36, k->block_key, WEBOTA_SIG_RSA_KEY_LEN);
        reverse_copy(block + 812, sig, 384);
    } else {
        bool big = k->scheme == WEBOTA_SIG_SCHEME_ECDSA384;
        size_t l = big ? 48 : 32, at = big ? 52 : 36;
        mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
        mbedtls_mpi r, s;
        mbedtls_mpi_init(&r), mbedtls_mpi_init(&s);
        /* deterministic ECDSA (RFC 6979): the same image and key sign the same */
        ok = mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, digest, l, big ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256,
                                        mbedtls_ctr_drbg_random, &rng.drbg) == 0 &&
             mbedtls_mpi_write_binary_le(&r, block + at + k->block_key_len, l) == 0 &&
             mbedtls_mpi_write_binary_le(&s, block + at + k->block_key_len + l, l) == 0;
        mbedtls_mpi_free(&r), mbedtls_mpi_free(&s);
        block[1] = WEBOTA_SIG_VERSION_ECDSA;
        block[2] = big ? 1 : 0; /* which digest: SHA-384 or SHA-256 */
        memcpy(block + 4, digest, l);
        memcpy(block + at, k->block_key, k->block_key_len);
    }
    rng_free(&rng);
    if (!ok) {
        cli_error(cmd, "signing failed");
        return false;
    }
    uint32_t crc = webota_crc32_le(0, block, WEBOTA_SIG_CRC_OFFSET);
    block[1196] = (uint8_t)crc, block[1197] = (uint8_t)(crc >> 8);
    block[1198] = (uint8_t)(crc >> 16), block[1199] = (uint8_t)(crc >> 24);
    return true;
}

/* Writes text to a new file (O_EXCL) with the given mode. */
static bool write_new(const char *cmd, const char *path, const unsigned char *text, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        cli_error(cmd, "cannot create %s: %s", path, errno == EEXIST ? "it exists already (not overwritten)"
                                                                      : strerror(errno));
        return false;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n <= 0) {
            break;
        }
        done += (size_t)n;
    }
    bool ok = done == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        cli_error(cmd, "cannot write %s", path);
        unlink(path);
    }
    return ok;
}

bool cli_sbv2_keygen(const char *cmd, webota_sig_scheme_t scheme, const char *path, const char *pub_path,
                     webota_sig_key_t *digest)
{
    if (access(path, F_OK) == 0 || (pub_path != NULL && access(pub_path, F_OK) == 0)) {
        cli_error(cmd, "%s exists already (not overwritten)", access(path, F_OK) == 0 ? path : pub_path);
        return false;
    }
    rng_t rng;
    cli_sbv2_key_t k;
    memset(&k, 0, sizeof k);
    mbedtls_pk_init(&k.pk);
    bool ok = rng_start(&rng);
    if (ok && scheme == WEBOTA_SIG_SCHEME_RSA3072) {
        ok = mbedtls_pk_setup(&k.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) == 0 &&
             mbedtls_rsa_gen_key(mbedtls_pk_rsa(k.pk), mbedtls_ctr_drbg_random, &rng.drbg, 3072, 65537) == 0;
    } else if (ok) {
        ok = mbedtls_pk_setup(&k.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
             mbedtls_ecp_gen_key(scheme == WEBOTA_SIG_SCHEME_ECDSA384 ? MBEDTLS_ECP_DP_SECP384R1
                                                                      : MBEDTLS_ECP_DP_SECP256R1,
                                 mbedtls_pk_ec(k.pk), mbedtls_ctr_drbg_random, &rng.drbg) == 0;
    }
    rng_free(&rng);
    if (!ok) {
        cli_error(cmd, "key generation failed");
        cli_sbv2_key_free(&k);
        return false;
    }
    k.has_private = true;
    static unsigned char pem[16000];
    ok = describe(cmd, path, &k) && mbedtls_pk_write_key_pem(&k.pk, pem, sizeof pem) == 0 &&
         write_new(cmd, path, pem, strlen((char *)pem), 0600);
    mbedtls_platform_zeroize(pem, sizeof pem);
    if (ok && pub_path != NULL) {
        ok = mbedtls_pk_write_pubkey_pem(&k.pk, pem, sizeof pem) == 0 &&
             write_new(cmd, pub_path, pem, strlen((char *)pem), 0644);
    }
    if (ok) {
        *digest = k.trusted;
    }
    cli_sbv2_key_free(&k);
    return ok;
}
