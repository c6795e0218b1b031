/* The host device (see idf_host.h): power-on through the simulated ESP-IDF
 * bootloader, esp_restart as a jump back to the power-on loop, the log, and
 * the small ESP-IDF calls that only report the chip (esp_chip_info,
 * esp_app_get_description, esp_err_to_name). Tests only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_app_desc.h"
#include "esp_chip_info.h"
#include "esp_err.h"
#include "esp_http_server.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_system.h"
#include "idf_host_internal.h"
#include "webota/app_desc.h"
#include "webota/chip.h"

static idf_host_config_t s_cfg;
static sim_boot_result_t s_boot;
static esp_app_desc_t s_desc;
static bool s_app_running;
static unsigned s_restarts;
static jmp_buf *s_restart_to; /* where esp_restart goes: the innermost guarded call */

#define LOG_MAX (1u << 20)
static char s_log[LOG_MAX];
static size_t s_log_len;

void idf_host_init(const idf_host_config_t *cfg)
{
    s_cfg = *cfg;
    s_app_running = false;
    s_restarts = 0;
    s_log_len = 0;
    s_log[0] = '\0';
    memset(&s_boot, 0, sizeof(s_boot));
}

const webota_flash_t *idf_host_flash(void)
{
    return s_cfg.flash;
}

bool idf_host_rollback(void)
{
    return s_cfg.rollback;
}

uint16_t idf_host_chip_revision(void)
{
    return s_cfg.chip_revision;
}

const sim_boot_result_t *idf_host_boot_result(void)
{
    return &s_boot;
}

unsigned idf_host_restarts(void)
{
    return s_restarts;
}

const char *idf_host_log_text(void)
{
    return s_log;
}

void idf_host_log(esp_log_level_t level, const char *tag, const char *format, ...)
{
    static const char letter[] = "NEWIDV";
    char line[1024];
    int n = snprintf(line, sizeof(line), "%c (%lld) %s: ", letter[level < 6 ? level : 0],
                     (long long)(idf_host_timer_now() / 1000), tag);
    va_list ap;
    va_start(ap, format);
    if (n > 0 && (size_t)n < sizeof(line)) {
        vsnprintf(line + n, sizeof(line) - (size_t)n, format, ap);
    }
    va_end(ap);
    size_t len = strlen(line);
    if (getenv("IDF_HOST_LOG") != NULL) {
        fprintf(stderr, "%s\n", line);
    }
    if (s_log_len + len + 2 > LOG_MAX) {
        s_log_len = 0; /* a long test: keep the recent part */
    }
    memcpy(s_log + s_log_len, line, len);
    s_log_len += len;
    s_log[s_log_len++] = '\n';
    s_log[s_log_len] = '\0';
}

/* ESP-IDF: esp_err_to_name looks the code up in a table generated from every
 * component's headers; unknown codes give "UNKNOWN ERROR". */
const char *esp_err_to_name(esp_err_t code)
{
    static const struct {
        esp_err_t code;
        const char *name;
    } names[] = {
#define N(x) {x, #x}
        N(ESP_OK), N(ESP_FAIL), N(ESP_ERR_NO_MEM), N(ESP_ERR_INVALID_ARG), N(ESP_ERR_INVALID_STATE),
        N(ESP_ERR_INVALID_SIZE), N(ESP_ERR_NOT_FOUND), N(ESP_ERR_NOT_SUPPORTED), N(ESP_ERR_TIMEOUT),
        N(ESP_ERR_NOT_ALLOWED), N(ESP_ERR_FLASH_OP_FAIL), N(ESP_ERR_OTA_PARTITION_CONFLICT),
        N(ESP_ERR_OTA_SELECT_INFO_INVALID), N(ESP_ERR_OTA_VALIDATE_FAILED), N(ESP_ERR_OTA_SMALL_SEC_VER),
        N(ESP_ERR_OTA_ROLLBACK_FAILED), N(ESP_ERR_OTA_ROLLBACK_INVALID_STATE), N(ESP_ERR_HTTPD_HANDLERS_FULL),
        N(ESP_ERR_HTTPD_HANDLER_EXISTS), N(ESP_ERR_HTTPD_INVALID_REQ), N(ESP_ERR_HTTPD_RESULT_TRUNC),
        N(ESP_ERR_HTTPD_RESP_HDR), N(ESP_ERR_HTTPD_RESP_SEND), N(ESP_ERR_HTTPD_ALLOC_MEM), N(ESP_ERR_HTTPD_TASK),
#undef N
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].code == code) {
            return names[i].name;
        }
    }
    return "UNKNOWN ERROR";
}

/* ESP-IDF: the model of the chip built for, its features and its revision
 * (major * 100 + minor, v5 and later). */
void esp_chip_info(esp_chip_info_t *out_info)
{
    memset(out_info, 0, sizeof(*out_info));
    out_info->model = CHIP_ESP32;
    out_info->features = CHIP_FEATURE_WIFI_BGN | CHIP_FEATURE_BLE;
    out_info->revision = s_cfg.chip_revision;
    out_info->cores = 2;
}

/* ESP-IDF: the descriptor linked into the running firmware. */
const esp_app_desc_t *esp_app_get_description(void)
{
    return &s_desc;
}

/* ---- power and restarts ---- */

/* ESP-IDF: esp_restart resets the chip; nothing after it runs. Here: back to
 * the innermost guarded entry into device code, which powers on again. */
void esp_restart(void)
{
    s_restarts++;
    idf_host_log(ESP_LOG_INFO, "idf_host", "esp_restart");
    if (s_restart_to == NULL) {
        fprintf(stderr, "idf_host: esp_restart outside device code\n");
        abort();
    }
    longjmp(*s_restart_to, 1);
}

/* fn(arg); true when it called esp_restart. */
static bool guarded(void (*fn)(void *), void *arg)
{
    jmp_buf here;
    jmp_buf *volatile outer = s_restart_to;
    s_restart_to = &here;
    if (setjmp(here) != 0) {
        s_restart_to = outer;
        return true;
    }
    fn(arg);
    s_restart_to = outer;
    return false;
}

/* The RAM is lost: the application's allocations (app_stop) and the
 * stand-in's state. */
static void wipe(void)
{
    if (s_app_running && s_cfg.app_stop != NULL) {
        s_cfg.app_stop(s_cfg.ctx);
    }
    s_app_running = false;
    idf_host_wait_tasks();
    idf_host_httpd_reset();
    idf_host_timer_reset();
    idf_host_ota_reset();
    idf_host_partition_reset();
    idf_host_wifi_reset();
    memset(&s_desc, 0, sizeof(s_desc));
}

static webota_err_t boot(void)
{
    if (s_cfg.nor != NULL) {
        sim_nor_power_on(s_cfg.nor);
    }
    sim_boot_config_t bc;
    sim_boot_config_init(&bc);
    bc.rollback = s_cfg.rollback;
    bc.chip = WEBOTA_CHIP_ESP32;
    bc.chip_rev = s_cfg.chip_revision;
    webota_err_t e = sim_boot(s_cfg.flash, &bc, &s_boot);
    if (e != WEBOTA_OK) {
        idf_host_log(ESP_LOG_ERROR, "boot", "nothing to boot: %s", webota_strerror(e));
        return e;
    }
    idf_host_log(ESP_LOG_INFO, "boot", "booted %s (%s %s)", s_boot.part.label, s_boot.desc.project_name,
                 s_boot.desc.version);
    e = idf_host_partition_load(s_boot.part.offset);
    if (e == WEBOTA_OK) {
        e = webota_flash_read(s_cfg.flash, s_boot.part.offset + WEBOTA_APP_DESC_OFFSET, &s_desc,
                              sizeof(s_desc));
    }
    return e;
}

static void call_app_main(void *arg)
{
    (void)arg;
    s_app_running = true;
    s_cfg.app_main(s_cfg.ctx);
}

webota_err_t idf_host_power_on(void)
{
    for (unsigned i = 0; i < 16; i++) {
        wipe();
        webota_err_t e = boot();
        if (e != WEBOTA_OK || !s_boot.marker || s_cfg.app_main == NULL) {
            return e;
        }
        if (!guarded(call_app_main, NULL)) {
            return WEBOTA_OK;
        }
    }
    return WEBOTA_ERR_STATE; /* restarting in a loop */
}

void idf_host_shutdown(void)
{
    wipe();
}

bool idf_host_run(void (*fn)(void *arg), void *arg)
{
    if (guarded(fn, arg)) {
        idf_host_power_on();
        return true;
    }
    return false;
}

static void advance(void *arg)
{
    idf_host_timer_advance(*(const uint64_t *)arg);
}

bool idf_host_advance_us(uint64_t us)
{
    return idf_host_run(advance, &us);
}

int64_t idf_host_now_us(void)
{
    return idf_host_timer_now();
}
