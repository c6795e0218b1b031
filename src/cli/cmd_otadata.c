/* Placeholder until the otadata subcommand lands (owned by its issue). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_otadata(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "webota %s: not built yet\n", argv[0]);
    return CLI_USAGE;
}
