#ifndef QUOTAD_CLIBEVENT_SHIM_H
#define QUOTAD_CLIBEVENT_SHIM_H
/* libevent's event2/event-config.h defines _GNU_SOURCE before including system
 * headers. If glibc's <features.h> is first processed there, the glibc types that end
 * up in this module (fd_set, ...) differ from Swift's Glibc module ("fds_bits ... is
 * not present in definition of 'fd_set' in module 'SwiftGlibc'"), and builds fail
 * depending on module build order. Including the system headers first, with the
 * default feature set, keeps the definitions identical. */
#include <sys/types.h>
#include <sys/time.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <event2/bufferevent_ssl.h>

/* TLS through libevent's OpenSSL bufferevents (libevent_openssl, libssl-dev). Small C glue for
 * what Swift cannot call directly: OpenSSL's macros and variadic or stack-typed APIs. */
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* A server SSL_CTX: TLS 1.2 and later only, the certificate chain and key from PEM files, and,
 * when client_ca is not NULL, client certificates required and verified against it (mutual TLS).
 * On failure returns NULL and writes OpenSSL's reason into error. */
static inline SSL_CTX *quotad_tls_server_context(const char *certificate, const char *key, const char *client_ca,
                                                 char *error, size_t error_size) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    const char *step = "SSL_CTX_new";
    if (ctx == NULL) goto fail;
    step = "minimum protocol TLS 1.2";
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) goto fail;
    step = "certificate file";
    if (SSL_CTX_use_certificate_chain_file(ctx, certificate) != 1) goto fail;
    step = "key file";
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) goto fail;
    step = "key does not match the certificate";
    if (SSL_CTX_check_private_key(ctx) != 1) goto fail;
    if (client_ca != NULL) {
        step = "client CA file";
        if (SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1) goto fail;
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca);
        if (names != NULL) SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx;
fail:
    {
        unsigned long code = ERR_get_error();
        char reason[256] = "unknown error";
        if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
        snprintf(error, error_size, "%s: %s", step, reason);
        ERR_clear_error();
    }
    if (ctx != NULL) SSL_CTX_free(ctx);
    return NULL;
}

/* A bufferevent that accepts a TLS connection for evhttp_set_bevcb (libevent's https-server sample). */
static inline struct bufferevent *quotad_tls_bufferevent(struct event_base *base, SSL_CTX *ctx) {
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL) return NULL;
    struct bufferevent *bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) SSL_free(ssl);
    return bev;
}

/* True when bytes[0..<count] may be a principal's name: no NUL, no control character (C0 or DEL).
 * A name with a newline could otherwise forge a second name in the list below. */
static inline int quotad_tls_is_clean_name(const unsigned char *bytes, size_t count) {
    if (count == 0) return 0;
    for (size_t index = 0; index < count; index++) {
        if (bytes[index] < 0x20 || bytes[index] == 0x7f) return 0;
    }
    return 1;
}

/* Appends one name and a '\n' to out when it is clean and fits. */
static inline void quotad_tls_append_name(char *out, size_t size, size_t *used, const unsigned char *bytes, size_t count) {
    if (!quotad_tls_is_clean_name(bytes, count) || count + 1 >= size - *used) return;
    memcpy(out + *used, bytes, count);
    *used += count;
    out[(*used)++] = '\n';
}

/* The verified client certificate's subject CNs (as UTF-8, whatever their ASN.1 string type) and
 * DNS SANs, each followed by '\n', into out; names holding a control character are skipped.
 * Returns the number of bytes written, 0 when the connection is not TLS or has no certificate. */
static inline size_t quotad_tls_peer_names(struct bufferevent *bev, char *out, size_t size) {
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    if (ssl == NULL || size == 0) return 0;
    X509 *certificate = SSL_get1_peer_certificate(ssl);
    if (certificate == NULL) return 0;
    size_t used = 0;
    out[0] = 0;
    if (SSL_get_verify_result(ssl) == X509_V_OK) {
        X509_NAME *subject = X509_get_subject_name(certificate);
        for (int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); index >= 0;
             index = X509_NAME_get_index_by_NID(subject, NID_commonName, index)) {
            unsigned char *utf8 = NULL;
            int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
            if (length > 0) quotad_tls_append_name(out, size, &used, utf8, (size_t)length);
            OPENSSL_free(utf8);
        }
        GENERAL_NAMES *alternatives = X509_get_ext_d2i(certificate, NID_subject_alt_name, NULL, NULL);
        if (alternatives != NULL) {
            for (int index = 0; index < sk_GENERAL_NAME_num(alternatives); index++) {
                const GENERAL_NAME *entry = sk_GENERAL_NAME_value(alternatives, index);
                if (entry->type != GEN_DNS) continue;
                int count = ASN1_STRING_length(entry->d.dNSName);
                if (count > 0) quotad_tls_append_name(out, size, &used, ASN1_STRING_get0_data(entry->d.dNSName), (size_t)count);
            }
            GENERAL_NAMES_free(alternatives);
        }
    }
    X509_free(certificate);
    return used;
}
#endif
