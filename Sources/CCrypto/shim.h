#ifndef QUOTAD_CCRYPTO_SHIM_H
#define QUOTAD_CCRYPTO_SHIM_H
// OpenSSL's libcrypto (Debian's libssl-dev): message digests through the EVP interface, and
// CRYPTO_memcmp for comparisons in constant time.
#include <openssl/evp.h>
#include <openssl/crypto.h>
#endif
