/* The crypto port's key-store lock on a pthread mutex (sim/crypto_lock.h). */
#include <pthread.h>
#include <stdbool.h>

#include "sim/crypto_lock.h"
#include "webota/crypto.h"

static pthread_mutex_t s_mutex = PTHREAD_MUTEX_INITIALIZER;

static void lock(void *ctx)
{
    pthread_mutex_lock(ctx);
}

static void unlock(void *ctx)
{
    pthread_mutex_unlock(ctx);
}

bool sim_crypto_threads(void)
{
    if (webota_crypto_init() != WEBOTA_OK) {
        return false;
    }
    webota_crypto_lock_t l = {lock, unlock, &s_mutex};
    webota_crypto_set_lock(&l);
    return true;
}
