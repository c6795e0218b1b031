/* Passwords for the CLI: never from argv (every user of the machine can read
 * a process's arguments with ps), only from a file or the environment. */
#ifndef WEBOTA_CLI_SECRET_H
#define WEBOTA_CLI_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "webota/api.h"

#define CLI_PASSWORD_ENV "WEBOTA_PASSWORD"
#define CLI_PASSWORD_MAX 256

/* The password from `file` (when not NULL: its first line) or else from
 * $WEBOTA_PASSWORD (whose bytes are then wiped from the process's memory, so
 * /proc/PID/environ no longer shows it). *found = false when neither gives
 * one. false (message printed) on an unreadable file or a password longer
 * than CLI_PASSWORD_MAX - 1 bytes. */
bool cli_secret_read(const char *cmd, const char *file, char out[CLI_PASSWORD_MAX], bool *found);

/* A device-side verifier from a secret: the text form
 * "pbkdf2-sha256$..." (webota passwd) is used as it is, anything else is a
 * password, derived with a new random salt. false with a message. */
bool cli_secret_verifier(const char *cmd, const char *secret, webota_auth_verifier_t *v);

/* Overwrites n bytes (not optimised away). */
void cli_secret_wipe(void *p, size_t n);

#endif
