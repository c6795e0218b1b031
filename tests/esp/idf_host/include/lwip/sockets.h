/* Host stand-in (tests only) of lwIP's lwip/sockets.h as ESP-IDF v5.5 ships
 * it: lwIP offers the BSD socket calls (LWIP_COMPAT_SOCKETS maps bind() to
 * lwip_bind()), here the host's sockets. One difference, for the tests'
 * sake: lwip_bind() binds the loopback address and a free port instead of
 * the address asked for (the captive portal asks for every address, port 53),
 * and records the port (idf_host_udp_port) so that a test can send DNS queries
 * to 127.0.0.1 only. */
#ifndef IDF_HOST_LWIP_SOCKETS_H
#define IDF_HOST_LWIP_SOCKETS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

int lwip_bind(int s, const struct sockaddr *name, socklen_t namelen);
#define bind(s, name, namelen) lwip_bind(s, name, namelen)

#ifdef __cplusplus
}
#endif

#endif
