/* The benchmark's null server (issue 8): libevent's evhttp on one loop, like quotad, that reads
 * each request's body and answers a fixed JSON-RPC result. Its requests/s is the limit of this
 * stack (loopback, libevent HTTP, the load client) on this machine.
 * Build: cc -O2 -o null-server null-server.c $(pkg-config --cflags --libs libevent)
 * Run:   null-server PORT   (prints "listening on http://127.0.0.1:PORT " once bound; 0 picks a port) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static const char answer[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}";

static void handle(struct evhttp_request *request, void *unused) {
    (void)unused;
    struct evbuffer *body = evhttp_request_get_input_buffer(request);
    evbuffer_drain(body, evbuffer_get_length(body)); /* read the body, as a server must */
    struct evbuffer *reply = evbuffer_new();
    evbuffer_add(reply, answer, sizeof answer - 1);
    evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Type", "application/json");
    evhttp_send_reply(request, 200, "OK", reply);
    evbuffer_free(reply);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    /* A blocked-signal mask is inherited across exec (test runners block SIGTERM): unblock it. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_gencb(http, handle, NULL);
    struct evhttp_bound_socket *socket = evhttp_bind_socket_with_handle(http, "127.0.0.1", argc > 1 ? atoi(argv[1]) : 0);
    if (!socket) { fprintf(stderr, "null-server: cannot bind\n"); return 1; }
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    getsockname(evhttp_bound_socket_get_fd(socket), (struct sockaddr *)&address, &length);
    printf("listening on http://127.0.0.1:%d \n", ntohs(address.sin_port));
    fflush(stdout);
    return event_base_dispatch(base);
}
