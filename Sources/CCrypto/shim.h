#ifndef QUOTAD_CCRYPTO_SHIM_H
#define QUOTAD_CCRYPTO_SHIM_H
// OpenSSL's libcrypto (Debian's libssl-dev): message digests through the EVP interface.
#include <openssl/evp.h>
#endif
