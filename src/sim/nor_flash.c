/* Simulated SPI NOR flash (see nor_flash.h). The contents live in RAM; a file,
 * when there is one, is written through on every program and erase so that a
 * crash of the simulator itself never leaves the file behind the chip. */
#include "sim/nor_flash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sim_nor {
    uint8_t *mem;
    uint32_t size;
    int fd; /* -1 for RAM */
    sim_nor_timing_t timing;
    sim_nor_stats_t stats;
    uint64_t ops; /* programs + erases done (including a cut one) */
    bool powered;
    bool cut_armed;
    uint64_t cut_at; /* absolute op number that is cut */
    sim_cut_mode_t cut_mode;
    uint32_t cut_seed;
};

sim_nor_timing_t sim_nor_timing_default(void)
{
    sim_nor_timing_t t = {45.0, 150.0, 0.7, 20.0};
    return t;
}

static bool size_ok(uint32_t size)
{
    return size >= SIM_NOR_MIN_SIZE && size <= SIM_NOR_MAX_SIZE && (size & (size - 1)) == 0;
}

static sim_nor_t *alloc_nor(uint32_t size)
{
    sim_nor_t *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->mem = malloc(size);
    if (!n->mem) {
        free(n);
        return NULL;
    }
    memset(n->mem, 0xFF, size);
    n->size = size;
    n->fd = -1;
    n->timing = sim_nor_timing_default();
    n->powered = true;
    return n;
}

sim_nor_t *sim_nor_new_ram(uint32_t size)
{
    return size_ok(size) ? alloc_nor(size) : NULL;
}

static bool write_all(int fd, const uint8_t *p, size_t len, off_t off)
{
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        len -= (size_t)w;
        off += w;
    }
    return true;
}

static bool read_all(int fd, uint8_t *p, size_t len)
{
    off_t off = 0;
    while (len > 0) {
        ssize_t r = pread(fd, p, len, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        len -= (size_t)r;
        off += r;
    }
    return true;
}

sim_nor_t *sim_nor_open(const char *path, uint32_t size, webota_err_t *err)
{
    webota_err_t e = WEBOTA_OK;
    sim_nor_t *n = NULL;
    int fd = -1;
    if (!path || (size != 0 && !size_ok(size))) {
        e = WEBOTA_ERR_ARG;
        goto fail;
    }
    fd = open(path, size ? O_RDWR | O_CREAT : O_RDWR, 0644);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        e = errno == ENOENT ? WEBOTA_ERR_NOT_FOUND : WEBOTA_ERR_IO;
        goto fail;
    }
    bool fresh = st.st_size == 0 && size != 0;
    if (!fresh) {
        if (st.st_size < 0 || (uint64_t)st.st_size > SIM_NOR_MAX_SIZE ||
            !size_ok((uint32_t)st.st_size) || (size != 0 && (uint32_t)st.st_size != size)) {
            e = WEBOTA_ERR_ARG;
            goto fail;
        }
        size = (uint32_t)st.st_size;
    }
    n = alloc_nor(size);
    if (!n) {
        e = WEBOTA_ERR_IO;
        goto fail;
    }
    if (fresh ? !write_all(fd, n->mem, size, 0) : !read_all(fd, n->mem, size)) {
        e = WEBOTA_ERR_IO;
        goto fail;
    }
    n->fd = fd;
    if (err)
        *err = WEBOTA_OK;
    return n;
fail:
    if (n) {
        free(n->mem);
        free(n);
    }
    if (fd >= 0)
        close(fd);
    if (err)
        *err = e;
    return NULL;
}

void sim_nor_close(sim_nor_t *n)
{
    if (!n)
        return;
    if (n->fd >= 0) {
        fsync(n->fd);
        close(n->fd);
    }
    free(n->mem);
    free(n);
}

uint32_t sim_nor_size(const sim_nor_t *n)
{
    return n->size;
}

const uint8_t *sim_nor_data(const sim_nor_t *n)
{
    return n->mem;
}

void sim_nor_set_timing(sim_nor_t *n, const sim_nor_timing_t *t)
{
    n->timing = *t;
}

sim_nor_stats_t sim_nor_stats(const sim_nor_t *n)
{
    return n->stats;
}

void sim_nor_reset_stats(sim_nor_t *n)
{
    memset(&n->stats, 0, sizeof n->stats);
}

uint64_t sim_nor_op_count(const sim_nor_t *n)
{
    return n->ops;
}

void sim_nor_cut_power_at(sim_nor_t *n, uint64_t op_index, sim_cut_mode_t mode, uint32_t seed)
{
    n->cut_armed = true;
    n->cut_at = n->ops + op_index;
    n->cut_mode = mode;
    n->cut_seed = seed;
}

void sim_nor_cancel_cut(sim_nor_t *n)
{
    n->cut_armed = false;
}

void sim_nor_power_off(sim_nor_t *n)
{
    n->powered = false;
}

bool sim_nor_powered(const sim_nor_t *n)
{
    return n->powered;
}

void sim_nor_power_on(sim_nor_t *n)
{
    n->powered = true;
}

/* Seed scrambler (a 32-bit integer hash) so that neighbouring seeds differ. */
static uint32_t rnd_seed(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

/* xorshift32: deterministic torn contents from the seed */
static uint32_t rnd_next(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static bool in_range(const sim_nor_t *n, uint32_t addr, size_t len)
{
    return addr <= n->size && len <= (size_t)(n->size - addr);
}

/* Commits new contents of [addr, addr+len) to the file, then to RAM. */
static webota_err_t commit(sim_nor_t *n, uint32_t addr, const uint8_t *bytes, size_t len)
{
    if (n->fd >= 0 && !write_all(n->fd, bytes, len, (off_t)addr))
        return WEBOTA_ERR_IO;
    memcpy(n->mem + addr, bytes, len);
    return WEBOTA_OK;
}

/* True when this operation is the armed cut one (it is then counted). */
static bool take_cut(sim_nor_t *n)
{
    bool cut = n->cut_armed && n->ops == n->cut_at;
    n->ops++;
    if (cut) {
        n->cut_armed = false;
        n->powered = false;
    }
    return cut;
}

static webota_err_t nor_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    sim_nor_t *n = ctx;
    if (!n->powered)
        return WEBOTA_ERR_FLASH_POWER;
    if (!in_range(n, addr, len) || (len > 0 && !buf))
        return WEBOTA_ERR_FLASH_RANGE;
    if (len)
        memcpy(buf, n->mem + addr, len);
    n->stats.reads++;
    n->stats.bytes_read += len;
    if (n->timing.read_mb_per_s > 0)
        n->stats.busy_ms += (double)len / (n->timing.read_mb_per_s * 1e6) * 1e3;
    return WEBOTA_OK;
}

static webota_err_t nor_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    sim_nor_t *n = ctx;
    if (!n->powered)
        return WEBOTA_ERR_FLASH_POWER;
    if (!in_range(n, addr, len) || (len > 0 && !buf))
        return WEBOTA_ERR_FLASH_RANGE;
    if (len == 0)
        return WEBOTA_OK;
    const uint8_t *data = buf;
    uint8_t *out = malloc(len);
    if (!out)
        return WEBOTA_ERR_IO;
    /* the bits a complete program would clear */
    for (size_t i = 0; i < len; i++)
        out[i] = n->mem[addr + i] & data[i];
    bool cut = take_cut(n);
    if (cut && n->cut_mode == SIM_CUT_CLEAN) {
        free(out);
        return WEBOTA_ERR_FLASH_POWER;
    }
    if (cut) {
        /* Torn: a prefix, a prefix with one half-programmed byte, or a
         * scattered subset; only bits the data clears can be cleared. */
        uint32_t s = rnd_seed(n->cut_seed ^ 0xA5A5A5A5u);
        uint32_t kind = rnd_next(&s) % 3;
        size_t k = rnd_next(&s) % len; /* bytes fully programmed in a prefix */
        for (size_t i = 0; i < len; i++) {
            uint8_t old = n->mem[addr + i];
            bool done;
            if (kind == 2)
                done = rnd_next(&s) & 1;
            else
                done = i < k;
            if (!done)
                out[i] = (kind == 1 && i == k) ? (uint8_t)(old & (data[i] | (uint8_t)rnd_next(&s)))
                                               : old;
        }
    }
    webota_err_t e = commit(n, addr, out, len);
    free(out);
    n->stats.programs++;
    n->stats.bytes_programmed += len;
    size_t pages = (addr + len - 1) / SIM_NOR_PAGE_SIZE - addr / SIM_NOR_PAGE_SIZE + 1;
    n->stats.busy_ms += (double)pages * n->timing.page_program_ms;
    if (cut)
        return WEBOTA_ERR_FLASH_POWER;
    return e;
}

static webota_err_t nor_erase(void *ctx, uint32_t addr, size_t len)
{
    sim_nor_t *n = ctx;
    if (!n->powered)
        return WEBOTA_ERR_FLASH_POWER;
    if (addr % WEBOTA_SECTOR_SIZE || len % WEBOTA_SECTOR_SIZE)
        return WEBOTA_ERR_FLASH_ALIGN;
    if (!in_range(n, addr, len))
        return WEBOTA_ERR_FLASH_RANGE;
    if (len == 0)
        return WEBOTA_OK;
    uint8_t *out = malloc(len);
    if (!out)
        return WEBOTA_ERR_IO;
    memset(out, 0xFF, len);
    bool cut = take_cut(n);
    if (cut && n->cut_mode == SIM_CUT_CLEAN) {
        free(out);
        return WEBOTA_ERR_FLASH_POWER;
    }
    if (cut) {
        /* Torn: the sectors before a random one erased, that one left with
         * arbitrary bits (erased, old or random bytes), the rest untouched. */
        uint32_t s = rnd_seed(n->cut_seed ^ 0x5A5A5A5Au);
        size_t sectors = len / WEBOTA_SECTOR_SIZE;
        size_t torn = rnd_next(&s) % sectors;
        size_t from = torn * WEBOTA_SECTOR_SIZE;
        for (size_t i = from; i < len; i++) {
            uint8_t old = n->mem[addr + i];
            if (i >= from + WEBOTA_SECTOR_SIZE) {
                out[i] = old;
                continue;
            }
            uint32_t r = rnd_next(&s);
            switch (r % 3) {
            case 0:
                out[i] = 0xFF;
                break;
            case 1:
                out[i] = old;
                break;
            default:
                out[i] = (uint8_t)(r >> 8);
                break;
            }
        }
    }
    webota_err_t e = commit(n, addr, out, len);
    free(out);
    n->stats.erases++;
    n->stats.bytes_erased += len;
    for (size_t off = 0; off < len;) {
        uint32_t a = addr + (uint32_t)off;
        if (a % SIM_NOR_BLOCK_SIZE == 0 && len - off >= SIM_NOR_BLOCK_SIZE) {
            n->stats.busy_ms += n->timing.block_erase_ms;
            off += SIM_NOR_BLOCK_SIZE;
        } else {
            n->stats.busy_ms += n->timing.sector_erase_ms;
            off += WEBOTA_SECTOR_SIZE;
        }
    }
    if (cut)
        return WEBOTA_ERR_FLASH_POWER;
    return e;
}

webota_flash_t sim_nor_flash(sim_nor_t *n)
{
    webota_flash_t f = {n, n->size, nor_read, nor_program, nor_erase};
    return f;
}
