/* The simulated NOR flash: NOR rules, bounds, counters, timing model, power
 * cuts (clean and torn, deterministic by seed) and file persistence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/nor_flash.h"
#include "testutil.h"

#define SZ 0x20000u /* 128 KiB */

static bool all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

static void sizes(void **state)
{
    (void)state;
    assert_null(sim_nor_new_ram(0));
    assert_null(sim_nor_new_ram(0x8000));     /* below 64 KiB */
    assert_null(sim_nor_new_ram(0x30000));    /* not a power of two */
    assert_null(sim_nor_new_ram(0x2000000)); /* above 16 MiB */
    sim_nor_t *n = sim_nor_new_ram(SIM_NOR_MIN_SIZE);
    assert_non_null(n);
    assert_int_equal(sim_nor_size(n), SIM_NOR_MIN_SIZE);
    assert_true(all_ff(sim_nor_data(n), SIM_NOR_MIN_SIZE));
    webota_flash_t f = sim_nor_flash(n);
    assert_int_equal(f.size, SIM_NOR_MIN_SIZE);
    sim_nor_close(n);
    sim_nor_close(NULL);
}

static void program_ands(void **state)
{
    (void)state;
    sim_nor_t *n = sim_nor_new_ram(SZ);
    webota_flash_t f = sim_nor_flash(n);
    uint8_t a[4] = {0xF0, 0x0F, 0xAA, 0xFF};
    uint8_t b[4] = {0xCC, 0xCC, 0x55, 0x00};
    uint8_t r[4];
    assert_int_equal(webota_flash_program(&f, 0x1002, a, 4), WEBOTA_OK);
    assert_int_equal(webota_flash_read(&f, 0x1002, r, 4), WEBOTA_OK);
    assert_memory_equal(r, a, 4);
    /* a second program only clears more bits */
    assert_int_equal(webota_flash_program(&f, 0x1002, b, 4), WEBOTA_OK);
    assert_int_equal(webota_flash_read(&f, 0x1002, r, 4), WEBOTA_OK);
    uint8_t want[4] = {0xC0, 0x0C, 0x00, 0x00};
    assert_memory_equal(r, want, 4);
    /* programming 0xFF changes nothing */
    uint8_t ff[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    assert_int_equal(webota_flash_program(&f, 0x1002, ff, 4), WEBOTA_OK);
    assert_memory_equal(sim_nor_data(n) + 0x1002, want, 4);
    /* the neighbours stay erased */
    assert_int_equal(sim_nor_data(n)[0x1001], 0xFF);
    assert_int_equal(sim_nor_data(n)[0x1006], 0xFF);
    /* erase the sector: 0xFF again, the next sector untouched */
    assert_int_equal(webota_flash_program(&f, 0x2000, b, 4), WEBOTA_OK);
    assert_int_equal(webota_flash_erase(&f, 0x1000, 0x1000), WEBOTA_OK);
    assert_true(all_ff(sim_nor_data(n) + 0x1000, 0x1000));
    assert_memory_equal(sim_nor_data(n) + 0x2000, b, 4);
    /* zero-length program/read are no-ops */
    assert_int_equal(webota_flash_program(&f, 0, a, 0), WEBOTA_OK);
    assert_int_equal(webota_flash_read(&f, SZ, r, 0), WEBOTA_OK);
    sim_nor_close(n);
}

static void bounds_and_alignment(void **state)
{
    (void)state;
    sim_nor_t *n = sim_nor_new_ram(SZ);
    webota_flash_t f = sim_nor_flash(n);
    uint8_t buf[16] = {0};
    assert_int_equal(webota_flash_read(&f, SZ - 8, buf, 16), WEBOTA_ERR_FLASH_RANGE);
    assert_int_equal(webota_flash_read(&f, SZ, buf, 1), WEBOTA_ERR_FLASH_RANGE);
    assert_int_equal(webota_flash_read(&f, 0xFFFFFFF0u, buf, 16), WEBOTA_ERR_FLASH_RANGE);
    assert_int_equal(webota_flash_read(&f, SZ - 16, buf, 16), WEBOTA_OK);
    assert_int_equal(webota_flash_program(&f, SZ - 8, buf, 16), WEBOTA_ERR_FLASH_RANGE);
    assert_int_equal(webota_flash_program(&f, 0xFFFFFFFFu, buf, 2), WEBOTA_ERR_FLASH_RANGE);
    assert_int_equal(webota_flash_program(&f, 0, NULL, 4), WEBOTA_ERR_FLASH_RANGE);
    assert_int_equal(webota_flash_erase(&f, 0x800, 0x1000), WEBOTA_ERR_FLASH_ALIGN);
    assert_int_equal(webota_flash_erase(&f, 0x1000, 0x800), WEBOTA_ERR_FLASH_ALIGN);
    assert_int_equal(webota_flash_erase(&f, SZ, 0x1000), WEBOTA_ERR_FLASH_RANGE);
    assert_int_equal(webota_flash_erase(&f, SZ - 0x1000, 0x2000), WEBOTA_ERR_FLASH_RANGE);
    assert_int_equal(webota_flash_erase(&f, 0, SZ), WEBOTA_OK);
    /* nothing was counted or changed by the failures */
    sim_nor_stats_t s = sim_nor_stats(n);
    assert_int_equal(s.programs, 0);
    assert_int_equal(s.erases, 1);
    assert_int_equal(sim_nor_op_count(n), 1);
    assert_true(all_ff(sim_nor_data(n), SZ));
    sim_nor_close(n);
}

static void counters_and_timing(void **state)
{
    (void)state;
    sim_nor_t *n = sim_nor_new_ram(SZ);
    webota_flash_t f = sim_nor_flash(n);
    static uint8_t buf[0x1000];
    memset(buf, 0x12, sizeof buf);
    /* two sectors (2 x 45) then one aligned 64 KiB block (150) */
    assert_int_equal(webota_flash_erase(&f, 0xE000, 0x12000), WEBOTA_OK);
    /* 0x1000 bytes at a page boundary: 16 pages; 2 bytes across a page boundary: 2 pages */
    assert_int_equal(webota_flash_program(&f, 0x10000, buf, 0x1000), WEBOTA_OK);
    assert_int_equal(webota_flash_program(&f, 0x110FF, buf, 2), WEBOTA_OK);
    /* 20000 bytes at 20 MB/s = 1 ms */
    static uint8_t rd[20000];
    assert_int_equal(webota_flash_read(&f, 0, rd, sizeof rd), WEBOTA_OK);
    /* an unaligned erase of 3 sectors starting off-block: 3 x 45 */
    assert_int_equal(webota_flash_erase(&f, 0x1000, 0x3000), WEBOTA_OK);
    sim_nor_stats_t s = sim_nor_stats(n);
    assert_int_equal(s.erases, 2);
    assert_int_equal(s.programs, 2);
    assert_int_equal(s.reads, 1);
    assert_int_equal(s.bytes_erased, 0x15000);
    assert_int_equal(s.bytes_programmed, 0x1002);
    assert_int_equal(s.bytes_read, 20000);
    double want = 150 + 2 * 45 + 16 * 0.7 + 2 * 0.7 + 1.0 + 3 * 45;
    assert_true(s.busy_ms > want - 1e-6 && s.busy_ms < want + 1e-6);
    assert_int_equal(sim_nor_op_count(n), 4);
    sim_nor_reset_stats(n);
    s = sim_nor_stats(n);
    assert_int_equal(s.reads + s.programs + s.erases, 0);
    assert_true(s.busy_ms == 0);
    assert_int_equal(sim_nor_op_count(n), 4); /* cut points are not stats */
    /* configurable */
    sim_nor_timing_t t = {1, 10, 0.5, 1};
    sim_nor_set_timing(n, &t);
    assert_int_equal(webota_flash_erase(&f, 0, 0x10000), WEBOTA_OK);
    assert_int_equal(webota_flash_erase(&f, 0x10000, 0x1000), WEBOTA_OK);
    assert_int_equal(webota_flash_program(&f, 0, buf, 256), WEBOTA_OK);
    assert_int_equal(webota_flash_read(&f, 0, rd, 1000), WEBOTA_OK); /* 1000 B at 1 MB/s = 1 ms */
    s = sim_nor_stats(n);
    want = 10 + 1 + 0.5 + 1;
    assert_true(s.busy_ms > want - 1e-6 && s.busy_ms < want + 1e-6);
    sim_nor_timing_t d = sim_nor_timing_default();
    assert_true(d.sector_erase_ms == 45 && d.block_erase_ms == 150 && d.page_program_ms == 0.7 &&
                d.read_mb_per_s == 20);
    sim_nor_close(n);
}

static void expect_unpowered(sim_nor_t *n)
{
    webota_flash_t f = sim_nor_flash(n);
    uint8_t b[4] = {0};
    assert_false(sim_nor_powered(n));
    assert_int_equal(webota_flash_read(&f, 0, b, 4), WEBOTA_ERR_FLASH_POWER);
    assert_int_equal(webota_flash_program(&f, 0, b, 4), WEBOTA_ERR_FLASH_POWER);
    assert_int_equal(webota_flash_erase(&f, 0, 0x1000), WEBOTA_ERR_FLASH_POWER);
}

static void cut_clean(void **state)
{
    (void)state;
    sim_nor_t *n = sim_nor_new_ram(SZ);
    webota_flash_t f = sim_nor_flash(n);
    uint8_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(webota_flash_program(&f, 0, a, 8), WEBOTA_OK);
    uint64_t before = sim_nor_op_count(n);
    sim_nor_cut_power_at(n, 1, SIM_CUT_CLEAN, 7);
    /* reads are not cut points */
    uint8_t r[8];
    assert_int_equal(webota_flash_read(&f, 0, r, 8), WEBOTA_OK);
    assert_int_equal(webota_flash_program(&f, 0x100, a, 8), WEBOTA_OK); /* op 0 done */
    assert_int_equal(webota_flash_erase(&f, 0, 0x1000), WEBOTA_ERR_FLASH_POWER); /* op 1 cut */
    assert_int_equal(sim_nor_op_count(n), before + 2);
    assert_memory_equal(sim_nor_data(n), a, 8); /* erase not done */
    expect_unpowered(n);
    assert_int_equal(sim_nor_op_count(n), before + 2); /* failed calls are not ops */
    sim_nor_power_on(n);
    assert_true(sim_nor_powered(n));
    assert_int_equal(webota_flash_erase(&f, 0, 0x1000), WEBOTA_OK);
    assert_true(all_ff(sim_nor_data(n), 0x1000));
    /* a clean cut of a program */
    sim_nor_cut_power_at(n, 0, SIM_CUT_CLEAN, 0);
    assert_int_equal(webota_flash_program(&f, 0, a, 8), WEBOTA_ERR_FLASH_POWER);
    assert_true(all_ff(sim_nor_data(n), 0x1000));
    expect_unpowered(n);
    sim_nor_power_on(n);
    /* cancel and power_off */
    sim_nor_cut_power_at(n, 0, SIM_CUT_CLEAN, 0);
    sim_nor_cancel_cut(n);
    assert_int_equal(webota_flash_program(&f, 0, a, 8), WEBOTA_OK);
    sim_nor_power_off(n);
    expect_unpowered(n);
    sim_nor_power_on(n);
    assert_int_equal(webota_flash_read(&f, 0, r, 8), WEBOTA_OK);
    assert_memory_equal(r, a, 8);
    sim_nor_close(n);
}

/* Runs a torn program of 1 KiB over a patterned old content. */
static void torn_program_once(uint32_t seed, uint8_t *out /* 1024 */)
{
    sim_nor_t *n = sim_nor_new_ram(SZ);
    webota_flash_t f = sim_nor_flash(n);
    uint8_t old[1024], data[1024];
    for (unsigned i = 0; i < 1024; i++) {
        old[i] = (uint8_t)(0xF0 | (i & 0x0F));
        data[i] = (uint8_t)(i * 7);
    }
    assert_int_equal(webota_flash_program(&f, 0x3000, old, sizeof old), WEBOTA_OK);
    sim_nor_cut_power_at(n, 0, SIM_CUT_TORN, seed);
    assert_int_equal(webota_flash_program(&f, 0x3000, data, sizeof data), WEBOTA_ERR_FLASH_POWER);
    memcpy(out, sim_nor_data(n) + 0x3000, 1024);
    /* each byte lies between old and old AND data: only bits data clears got cleared */
    for (unsigned i = 0; i < 1024; i++) {
        uint8_t full = old[i] & data[i];
        assert_int_equal(out[i] & old[i], out[i]);
        assert_int_equal(out[i] & full, full);
    }
    assert_true(all_ff(sim_nor_data(n), 0x3000));
    assert_true(all_ff(sim_nor_data(n) + 0x3400, SZ - 0x3400));
    expect_unpowered(n);
    sim_nor_close(n);
}

static void cut_torn_program(void **state)
{
    (void)state;
    uint8_t a[1024], b[1024];
    unsigned partial = 0;
    for (uint32_t seed = 1; seed <= 40; seed++) {
        torn_program_once(seed, a);
        torn_program_once(seed, b);
        assert_memory_equal(a, b, 1024); /* deterministic */
        /* count seeds whose result is neither "nothing" nor "all" */
        unsigned done = 0, untouched = 0;
        for (unsigned i = 0; i < 1024; i++) {
            uint8_t old = (uint8_t)(0xF0 | (i & 0x0F)), full = old & (uint8_t)(i * 7);
            done += a[i] == full;
            untouched += a[i] == old;
        }
        if (done < 1024 && untouched < 1024)
            partial++;
    }
    assert_true(partial >= 30);
    /* different seeds give different results */
    torn_program_once(1, a);
    torn_program_once(2, b);
    assert_memory_not_equal(a, b, 1024);
}

static void torn_erase_once(uint32_t seed, uint8_t *out /* 3 sectors */)
{
    sim_nor_t *n = sim_nor_new_ram(SZ);
    webota_flash_t f = sim_nor_flash(n);
    static uint8_t zero[0x3000];
    assert_int_equal(webota_flash_program(&f, 0x4000, zero, sizeof zero), WEBOTA_OK);
    sim_nor_cut_power_at(n, 0, SIM_CUT_TORN, seed);
    assert_int_equal(webota_flash_erase(&f, 0x4000, 0x3000), WEBOTA_ERR_FLASH_POWER);
    memcpy(out, sim_nor_data(n) + 0x4000, 0x3000);
    /* outside the erase range untouched */
    assert_true(all_ff(sim_nor_data(n), 0x4000));
    assert_true(all_ff(sim_nor_data(n) + 0x7000, SZ - 0x7000));
    expect_unpowered(n);
    sim_nor_close(n);
}

static void cut_torn_erase(void **state)
{
    (void)state;
    static uint8_t a[0x3000], b[0x3000];
    unsigned torn_seen[3] = {0};
    for (uint32_t seed = 1; seed <= 30; seed++) {
        torn_erase_once(seed, a);
        torn_erase_once(seed, b);
        assert_memory_equal(a, b, sizeof a);
        /* exactly one sector is neither all-0xFF nor all-old (zero): the ones
         * before it are erased, the ones after it untouched */
        int torn = -1;
        for (int s = 0; s < 3; s++) {
            const uint8_t *p = a + s * 0x1000;
            bool ff = all_ff(p, 0x1000), z = true;
            for (int i = 0; i < 0x1000; i++)
                z = z && p[i] == 0;
            if (!ff && !z) {
                assert_int_equal(torn, -1);
                torn = s;
                unsigned nff = 0, nold = 0, other = 0;
                for (int i = 0; i < 0x1000; i++) {
                    if (p[i] == 0xFF)
                        nff++;
                    else if (p[i] == 0)
                        nold++;
                    else
                        other++;
                }
                assert_true(nff > 0 && nold > 0 && other > 0); /* arbitrary bits */
            }
        }
        assert_true(torn >= 0);
        torn_seen[torn]++;
        for (int s = 0; s < torn; s++)
            assert_true(all_ff(a + s * 0x1000, 0x1000));
        for (int s = torn + 1; s < 3; s++)
            assert_int_equal(a[s * 0x1000], 0);
    }
    assert_true(torn_seen[0] && torn_seen[1] && torn_seen[2]);
}

static void file_persistence(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/flash.bin", tu_tmpdir());
    remove(path);
    webota_err_t e = WEBOTA_ERR_ARG;
    /* size 0 needs an existing file */
    assert_null(sim_nor_open(path, 0, &e));
    assert_int_equal(e, WEBOTA_ERR_NOT_FOUND);
    assert_null(sim_nor_open(path, 0x30000, &e));
    assert_int_equal(e, WEBOTA_ERR_ARG);
    sim_nor_t *n = sim_nor_open(path, SZ, &e);
    assert_non_null(n);
    assert_int_equal(e, WEBOTA_OK);
    webota_flash_t f = sim_nor_flash(n);
    /* a fresh file is erased and the right size */
    size_t len;
    uint8_t *file = tu_read_file(path, &len);
    assert_int_equal(len, SZ);
    assert_true(all_ff(file, SZ));
    free(file);
    uint8_t a[5] = {0x11, 0x22, 0x33, 0x44, 0x55};
    assert_int_equal(webota_flash_program(&f, 0x5000, a, 5), WEBOTA_OK);
    /* write-through: the file already holds it before close */
    file = tu_read_file(path, &len);
    assert_memory_equal(file + 0x5000, a, 5);
    free(file);
    /* a torn op is written through as well */
    sim_nor_cut_power_at(n, 0, SIM_CUT_TORN, 3);
    assert_int_equal(webota_flash_erase(&f, 0x5000, 0x1000), WEBOTA_ERR_FLASH_POWER);
    file = tu_read_file(path, &len);
    assert_memory_equal(file, sim_nor_data(n), SZ);
    free(file);
    sim_nor_power_on(n);
    assert_int_equal(webota_flash_erase(&f, 0x5000, 0x1000), WEBOTA_OK);
    assert_int_equal(webota_flash_program(&f, 0x5000, a, 5), WEBOTA_OK);
    sim_nor_close(n);
    /* reopen by size 0 and by the right size; a wrong size is refused */
    n = sim_nor_open(path, 0, &e);
    assert_non_null(n);
    assert_int_equal(sim_nor_size(n), SZ);
    assert_memory_equal(sim_nor_data(n) + 0x5000, a, 5);
    assert_true(all_ff(sim_nor_data(n), 0x5000));
    sim_nor_close(n);
    n = sim_nor_open(path, SZ, &e);
    assert_non_null(n);
    sim_nor_close(n);
    assert_null(sim_nor_open(path, SZ * 2, &e));
    assert_int_equal(e, WEBOTA_ERR_ARG);
    /* a file of a bad size is refused */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad.bin", tu_tmpdir());
    tu_write_file(bad, a, 5);
    assert_null(sim_nor_open(bad, 0, &e));
    assert_int_equal(e, WEBOTA_ERR_ARG);
    /* an unwritable place */
    assert_null(sim_nor_open("/nonexistent-dir/x.bin", SZ, &e));
    assert_int_equal(e, WEBOTA_ERR_NOT_FOUND);
    assert_null(sim_nor_open(NULL, SZ, &e));
    assert_int_equal(e, WEBOTA_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes),
        cmocka_unit_test(program_ands),
        cmocka_unit_test(bounds_and_alignment),
        cmocka_unit_test(counters_and_timing),
        cmocka_unit_test(cut_clean),
        cmocka_unit_test(cut_torn_program),
        cmocka_unit_test(cut_torn_erase),
        cmocka_unit_test(file_persistence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
