/* lwip_bind stand-in (tests only, see lwip/sockets.h): the loopback address
 * and a free port instead of the one asked for; the port is recorded. */
#include <string.h>

#include "idf_host.h"
#include "lwip/sockets.h"

#undef bind

static uint16_t s_port;

int lwip_bind(int s, const struct sockaddr *name, socklen_t namelen)
{
    (void)name;
    (void)namelen;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(s, (const struct sockaddr *)&a, sizeof(a)) != 0) {
        return -1;
    }
    socklen_t len = sizeof(a);
    if (getsockname(s, (struct sockaddr *)&a, &len) == 0) {
        s_port = ntohs(a.sin_port);
    }
    return 0;
}

uint16_t idf_host_udp_port(void)
{
    return s_port;
}
