/* The platform's lock around PSA key operations (webota_crypto_set_lock in
 * webota/crypto.h), for the files of the PSA port. */
#ifndef WEBOTA_CRYPTO_LOCK_H
#define WEBOTA_CRYPTO_LOCK_H

void webota_crypto_key_lock(void);
void webota_crypto_key_unlock(void);

#endif
