/* The `webota` command: subcommand entry points and shared helpers. */
#ifndef WEBOTA_CLI_H
#define WEBOTA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "webota/chip.h"

/* Exit statuses shared by every subcommand. */
enum { CLI_OK = 0, CLI_INVALID = 1, CLI_USAGE = 2 };

/* Subcommands: argv[0] is the subcommand name; return an exit status. */
int cmd_parttable(int argc, char **argv);
int cmd_otadata(int argc, char **argv);
int cmd_image(int argc, char **argv);
/* `webota image sign|verify` and `webota keygen` (src/cli/cmd_sign.c). */
int cmd_image_sign(int argc, char **argv);
int cmd_image_verify(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_flash(int argc, char **argv);
/* `webota flash update` (src/cli/cmd_flash_update.c), dispatched by cmd_flash. */
int cmd_flash_update(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_passwd(int argc, char **argv);
/* `webota confirm|rollback|reboot` (src/cli/cmd_device.c). */
int cmd_confirm(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_reboot(int argc, char **argv);

/* Whole-file I/O (the CLI may allocate; the core may not). read_file returns a
 * malloc'd buffer or NULL with a message printed to stderr. */
uint8_t *cli_read_file(const char *path, size_t *len);
/* Writes atomically (temporary file + rename); prints a message on failure. */
bool cli_write_file(const char *path, const void *data, size_t len);

/* Parses "4096", "0x1000", "64K", "4M", "4MB", "1700K"; false on garbage. */
bool cli_parse_size(const char *s, uint64_t *out);

/* "--help" or "-h". */
bool cli_is_help(const char *arg);

/* An argument that is none of cmd's own options: --help prints the usage to
 * stdout (CLI_OK); another word starting with '-' is an unknown option and a
 * word beyond the n positional slots an unexpected argument (both name it and
 * print the usage to stderr: CLI_USAGE). Otherwise the word fills the first
 * NULL slot of pos and the result is -1. */
int cli_other_arg(const char *cmd, const char *arg, const char **pos, size_t n,
                  void (*usage)(FILE *f));

/* A chip by esptool name (esp32, esp32c3, ...) that the image checker can
 * judge; NULL for unknown names, NULL and id-only chips. */
const webota_chip_info_t *cli_chip(const char *name);

/* Prints "webota <cmd>: <msg>" to stderr (printf-style). */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
