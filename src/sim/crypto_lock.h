/* A pthread mutex as the crypto port's key-store lock (webota_crypto_set_lock
 * in webota/crypto.h): for programs that run several devices, one thread
 * each, in one process. */
#ifndef WEBOTA_SIM_CRYPTO_LOCK_H
#define WEBOTA_SIM_CRYPTO_LOCK_H

#include <stdbool.h>

/* Starts the crypto library and installs the lock; call before the threads
 * start. False when the library does not start. */
bool sim_crypto_threads(void);

#endif
