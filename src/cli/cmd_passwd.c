/* `webota passwd`: the password verifier a device keeps instead of the
 * password (ESP-IDF: CONFIG_WEBOTA_AUTH_VERIFIER; the simulator:
 * --password-file with the verifier in it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/secret.h"
#include "webota/crypto.h"

static void usage(FILE *f)
{
    fputs("usage: webota passwd [--iterations N] [--password-file F]\n\n"
          "Prints the verifier of a password: pbkdf2-sha256$ITERATIONS$SALT$KEY, a\n"
          "salted PBKDF2-HMAC-SHA-256 key with a new random salt. A device keeps it\n"
          "instead of the password (menuconfig: webota > Password verifier; or the\n"
          "file given to `webota sim --password-file`), and checks logins against it\n"
          "with a challenge-response: the password never crosses the network.\n\n"
          "The password is read from F (its first line), else $WEBOTA_PASSWORD, else\n"
          "the first line of the standard input (not echoed on a terminal); never\n"
          "from the command line.\n\n"
          "  --iterations N   PBKDF2 iterations (default 10000, up to 1000000): more\n"
          "                   slows offline guessing and the page's login alike\n",
          f);
}

/* The first line of stdin, without echo when it is a terminal. */
static bool read_stdin(char out[CLI_PASSWORD_MAX])
{
    struct termios old, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fputs("password: ", stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    bool ok = fgets(out, CLI_PASSWORD_MAX, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!ok) {
        return false;
    }
    out[strcspn(out, "\r\n")] = '\0';
    return true;
}

int cmd_passwd(int argc, char **argv)
{
    const char *file = NULL;
    unsigned long iterations = WEBOTA_AUTH_ITERATIONS;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            char *end = NULL;
            iterations = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || iterations == 0 || iterations > WEBOTA_AUTH_ITERATIONS_MAX) {
                cli_error("passwd", "--iterations %s: want 1..%u", argv[i],
                          (unsigned)WEBOTA_AUTH_ITERATIONS_MAX);
                return CLI_USAGE;
            }
        } else {
            cli_error("passwd", "unknown option %s", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        }
    }
    char pw[CLI_PASSWORD_MAX];
    bool found = false;
    if (!cli_secret_read("passwd", file, pw, &found)) {
        return CLI_USAGE;
    }
    if (!found && !read_stdin(pw)) {
        cli_error("passwd", "no password given (file, $" CLI_PASSWORD_ENV " or standard input)");
        return CLI_USAGE;
    }
    if (pw[0] == '\0') {
        cli_error("passwd", "the password is empty");
        return CLI_USAGE;
    }
    if (strncmp(pw, "pbkdf2-sha256$", 14) == 0) {
        cli_error("passwd", "that is a verifier already, not a password");
        cli_secret_wipe(pw, sizeof(pw));
        return CLI_USAGE;
    }
    uint8_t salt[WEBOTA_AUTH_SALT_LEN];
    webota_auth_verifier_t v;
    char text[WEBOTA_AUTH_VERIFIER_MAX];
    webota_err_t e = webota_random(salt, sizeof(salt));
    if (e == WEBOTA_OK) {
        e = webota_auth_verifier_make(pw, strlen(pw), salt, (uint32_t)iterations, &v);
    }
    cli_secret_wipe(pw, sizeof(pw));
    if (e == WEBOTA_OK) {
        e = webota_auth_verifier_format(&v, text, sizeof(text));
    }
    if (e != WEBOTA_OK) {
        cli_error("passwd", "%s", webota_strerror(e));
        return CLI_INVALID;
    }
    puts(text);
    return CLI_OK;
}
