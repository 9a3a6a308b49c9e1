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
#endif
