/* Host stand-in (tests only) of mbedTLS 3's mbedtls/build_info.h (version and
 * configuration macros) on the host's mbedTLS, which may be 2.28: there the
 * same macros come from version.h and config.h. */
#ifndef IDF_HOST_MBEDTLS_BUILD_INFO_H
#define IDF_HOST_MBEDTLS_BUILD_INFO_H

#include <mbedtls/version.h>
#if MBEDTLS_VERSION_MAJOR < 3
#include <mbedtls/config.h>
#endif

#endif
