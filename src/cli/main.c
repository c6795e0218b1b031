/* webota: ESP32 web OTA updater, device simulator and ESP-IDF format tools. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"sim", cmd_sim, "run the device simulator: flash file, bootloader, web page and HTTP API"},
    {"push", cmd_push, "upload a firmware image to a device (or the simulator)"},
    {"status", cmd_status, "show a device's firmware, slots and update state"},
    {"confirm", cmd_confirm, "keep the firmware a device runs on trial (mark it valid)"},
    {"rollback", cmd_rollback, "make a device go back to its previous firmware"},
    {"reboot", cmd_reboot, "reboot a device and wait until it answers again"},
    {"passwd", cmd_passwd, "make the password verifier a device keeps instead of its password"},
    {"image", cmd_image, "inspect, check, make, sign and verify ESP-IDF app images"},
    {"keygen", cmd_keygen, "generate a Secure Boot V2 signing key (RSA-3072, ECDSA P-256/P-384)"},
    {"parttable", cmd_parttable, "generate and dump ESP-IDF partition tables"},
    {"otadata", cmd_otadata, "dump otadata and switch the boot slot"},
    {"flash", cmd_flash, "make whole flash images, boot and update them offline"},
};

static void usage(FILE *f)
{
    fputs("usage: webota <command> [options] ...\n\n"
          "Update ESP32 firmware from a web browser, simulate the device on a PC,\n"
          "and work with ESP-IDF's on-flash formats.\n\ncommands:\n",
          f);
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    }
    fputs("\n'webota <command> --help' describes a command.\n", f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        puts("webota " WEBOTA_VERSION_STRING);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        if (strcmp(argv[1], subcommands[i].name) == 0) {
            return subcommands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "webota: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
