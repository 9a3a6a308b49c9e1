#ifndef QUOTAD_CCURL_SHIM_H
#define QUOTAD_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call; these wrappers
   fix one argument type each. */

/// Write callback type: (data, size, count, userdata) -> bytes taken.
typedef size_t (*quotad_curl_write_callback)(char *, size_t, size_t, void *);

static inline CURLcode quotad_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode quotad_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode quotad_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode quotad_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode quotad_curl_setopt_write_function(CURL *handle, quotad_curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

/* Bearer authentication (CURLAUTH_BEARER is a macro Swift does not import). */
static inline CURLcode quotad_curl_set_bearer(CURL *handle, const char *token) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_XOAUTH2_BEARER, token);
}

static inline CURLcode quotad_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
#endif
