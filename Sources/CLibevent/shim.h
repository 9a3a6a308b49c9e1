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

/* The verified client certificate's subject CN and DNS SANs, each followed by '\n', into out.
 * Returns the number of bytes written, 0 when the connection is not TLS or has no certificate. */
static inline size_t quotad_tls_peer_names(struct bufferevent *bev, char *out, size_t size) {
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    if (ssl == NULL || size == 0) return 0;
    X509 *certificate = SSL_get1_peer_certificate(ssl);
    if (certificate == NULL) return 0;
    size_t used = 0;
    out[0] = 0;
    if (SSL_get_verify_result(ssl) == X509_V_OK) {
        char name[256];
        int length = X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof name);
        if (length > 0 && (size_t)length + 1 < size - used) {
            memcpy(out + used, name, (size_t)length);
            used += (size_t)length;
            out[used++] = '\n';
        }
        GENERAL_NAMES *alternatives = X509_get_ext_d2i(certificate, NID_subject_alt_name, NULL, NULL);
        if (alternatives != NULL) {
            for (int index = 0; index < sk_GENERAL_NAME_num(alternatives); index++) {
                const GENERAL_NAME *entry = sk_GENERAL_NAME_value(alternatives, index);
                if (entry->type != GEN_DNS) continue;
                const unsigned char *text = ASN1_STRING_get0_data(entry->d.dNSName);
                int count = ASN1_STRING_length(entry->d.dNSName);
                if (count <= 0 || (size_t)count + 1 >= size - used || memchr(text, 0, (size_t)count) != NULL) continue;
                memcpy(out + used, text, (size_t)count);
                used += (size_t)count;
                out[used++] = '\n';
            }
            GENERAL_NAMES_free(alternatives);
        }
    }
    X509_free(certificate);
    return used;
}
#endif
