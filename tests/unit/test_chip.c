/* The chip table: esptool names, image ids (docs/formats.md#image-header), memory types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "webota/chip.h"

static void test_ids_and_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint16_t id;
        const char *display;
    } spec[] = {
        {"esp32", 0x0000, "ESP32"},        {"esp32s2", 0x0002, "ESP32-S2"},   {"esp32c3", 0x0005, "ESP32-C3"},
        {"esp32s3", 0x0009, "ESP32-S3"},   {"esp32c2", 0x000C, "ESP32-C2"},   {"esp32c6", 0x000D, "ESP32-C6"},
        {"esp32h2", 0x0010, "ESP32-H2"},   {"esp32p4", 0x0012, "ESP32-P4"},   {"esp32c61", 0x0014, "ESP32-C61"},
        {"esp32c5", 0x0017, "ESP32-C5"},   {"esp32h21", 0x0019, "ESP32-H21"}, {"esp32h4", 0x001C, "ESP32-H4"},
        {"esp32s31", 0x0020, "ESP32-S31"},
    };
    assert_int_equal(sizeof(spec) / sizeof(spec[0]), WEBOTA_CHIP__COUNT);
    for (unsigned i = 0; i < WEBOTA_CHIP__COUNT; i++) {
        const webota_chip_info_t *c = webota_chip_by_name(spec[i].name);
        assert_non_null(c);
        assert_int_equal(c->image_id, spec[i].id);
        assert_string_equal(c->display, spec[i].display);
        assert_ptr_equal(webota_chip_by_id(spec[i].id), c);
        assert_ptr_equal(webota_chip_info(c->chip), c);
        assert_int_equal(c->mmu_page_default, 0x10000);
        /* the checker needs the windows for the chips it judges */
        assert_int_equal(c->load != NULL, c->chip < WEBOTA_CHIP_ESP32H21);
    }
    assert_null(webota_chip_by_name("esp8266"));
    assert_null(webota_chip_by_name(NULL));
    assert_null(webota_chip_by_id(WEBOTA_CHIP_ID_INVALID));
    assert_null(webota_chip_info(WEBOTA_CHIP__COUNT));
    /* configurable MMU page chips (docs/formats.md#image-verification) */
    assert_true(webota_chip_by_name("esp32c6")->mmu_page_configurable);
    assert_true(webota_chip_by_name("esp32c2")->mmu_page_configurable);
    assert_false(webota_chip_by_name("esp32c3")->mmu_page_configurable);
    assert_false(webota_chip_by_name("esp32")->mmu_page_configurable);
}

static void test_windows(void **state)
{
    (void)state;
    const webota_chip_info_t *esp32 = webota_chip_by_name("esp32");
    assert_true(webota_chip_is_mapped(esp32, 0x3F400020));
    assert_true(webota_chip_is_mapped(esp32, 0x400D0020));
    assert_false(webota_chip_is_mapped(esp32, 0x3FFB0000));
    assert_true(webota_chip_load_types(esp32, 0x3FFB0000, 16) & WEBOTA_MEM_DRAM);
    assert_true(webota_chip_load_types(esp32, 0x40080000, 16) & WEBOTA_MEM_IRAM);
    assert_true(webota_chip_load_types(esp32, 0x50000000, 0x2000) & WEBOTA_MEM_RTC_DATA);
    assert_int_equal(webota_chip_load_types(esp32, 0x50000000, 0x2004), 0);
    assert_int_equal(webota_chip_load_types(esp32, 0x3FF00000, 4), 0);
    assert_int_equal(webota_chip_load_types(esp32, 0xFFFFFFF0, 0x100), 0);
    const webota_chip_info_t *c6 = webota_chip_by_name("esp32c6");
    assert_true(webota_chip_is_mapped(c6, 0x42800020));
    assert_true(webota_chip_load_types(c6, 0x40800000, 0x100) & WEBOTA_MEM_DRAM);
    assert_false(webota_chip_is_mapped(webota_chip_by_name("esp32h4"), 0x42000000));
}

static void test_mem_names(void **state)
{
    (void)state;
    char buf[160];
    const webota_chip_info_t *esp32 = webota_chip_by_name("esp32");
    assert_string_equal(webota_chip_mem_names(esp32, 0x3FFB0000, buf, sizeof buf), "BYTE_ACCESSIBLE, DRAM");
    assert_string_equal(webota_chip_mem_names(esp32, 0, buf, sizeof buf), "PADDING");
    assert_string_equal(webota_chip_mem_names(esp32, 0x60000000, buf, sizeof buf), "");
    assert_string_equal(webota_chip_mem_names(webota_chip_by_name("esp32c6"), 0x40800000, buf, sizeof buf),
                        "DRAM, BYTE_ACCESSIBLE, IRAM");
    assert_string_equal(webota_chip_mem_names(esp32, 0x3FFB0000, buf, 10), "");        /* first name too long */
    assert_string_equal(webota_chip_mem_names(esp32, 0x3FFB0000, buf, 17), "BYTE_ACCESSIBLE"); /* cut at a name */
    assert_string_equal(webota_mem_type_name(WEBOTA_MEM_IROM), "IROM");
    assert_string_equal(webota_mem_type_name(3), "?");
    assert_string_equal(webota_chip_flash_mode_name(2), "DIO");
    assert_string_equal(webota_chip_flash_mode_name(9), "?");
    assert_string_equal(webota_chip_flash_size_name(4), "16MB");
    assert_string_equal(webota_chip_flash_size_name(8), "?");
    assert_string_equal(webota_chip_flash_freq_name(esp32, 0xF), "80m");
    assert_string_equal(webota_chip_flash_freq_name(webota_chip_by_name("esp32c2"), 0xF), "60m");
    assert_string_equal(webota_chip_flash_freq_name(webota_chip_by_name("esp32h2"), 0x0), "24m");
    assert_string_equal(webota_chip_flash_freq_name(esp32, 0x5), "?");
    assert_string_equal(webota_chip_flash_freq_name(NULL, 0), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_and_names),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_mem_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
