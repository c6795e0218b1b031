/* Placeholder until `webota flash update` lands (owned by its issue). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_flash_update(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "webota flash %s: not built yet\n", argv[0]);
    return CLI_USAGE;
}
