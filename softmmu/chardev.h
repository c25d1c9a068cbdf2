/*
 * softmmu/chardev.h — the host end of a character device (a UART's "cable"): the terminal, a
 * file, a TCP socket (server or client), or nothing (softmmu/chardev.c).
 *
 * Output goes straight to the host. Input is read only between CPU slices, by
 * machine_poll_host_input, into a small buffer the guest's device takes bytes from when it has
 * room: the device never touches the host itself (DESIGN.md: devices get input as events).
 * On the terminal, stdin is put in raw mode and QEMU's escape character works: Ctrl-A x quits,
 * Ctrl-A h lists the keys, Ctrl-A Ctrl-A sends a Ctrl-A.
 *
 * A TCP socket never blocks the guest: a server accepts one client at a time between slices
 * (others wait in the backlog until it leaves), output is queued and sent without blocking, and
 * what the guest sends while no client is connected (or faster than the client reads, beyond
 * the queue) is dropped, as QEMU does with wait=off. Only wait=on blocks, once, at start-up.
 */
#ifndef XLAT_SOFTMMU_CHARDEV_H
#define XLAT_SOFTMMU_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CHR_ESCAPE 0x01 /* Ctrl-A */

/* A TCP backend as QEMU spells it after "tcp:": HOST:PORT[,server[=on|off]][,wait=on|off]
   [,nowait][,nodelay[=on|off]]. */
typedef struct ChrTcpSpec {
    char host[256]; /* empty in the spec: the loopback address */
    uint16_t port;
    bool server;
    bool wait; /* server: block at start-up until a client connects (QEMU's default) */
} ChrTcpSpec;

typedef struct CharBackend {
    FILE *out;        /* NULL: output discarded */
    bool close_out;
    int in_fd;        /* -1: no input */
    bool raw_tty;     /* stdin was put in raw mode (restored by chr_close and at exit) */
    bool escape;      /* Ctrl-A seen, waiting for the command key */
    bool quit;        /* Ctrl-A x */
    FILE *msg;        /* where Ctrl-A h and the quit note go (stderr) */
    uint8_t in[4096]; /* bytes from the host the guest has not taken yet */
    size_t in_len;
    /* TCP */
    bool is_socket;
    int listen_fd;      /* server: the listening socket; -1 otherwise */
    int sock_fd;        /* the connection; -1 while there is none */
    char name[300];     /* "tcp:HOST:PORT", for messages */
    uint8_t out_q[65536]; /* output not yet taken by the socket */
    size_t out_len;
    uint64_t dropped;   /* bytes dropped: no client, or the queue was full */
} CharBackend;

/* "stdio" | "file:PATH" | "tcp:HOST:PORT[,...]" | "none" (or NULL). Returns -1 after a clear
   error message. A TCP server with wait=on returns once a client has connected; a client
   connects here and fails if it cannot. */
int chr_open(CharBackend *c, const char *spec);
/* Parse what follows "tcp:"; returns -1 with a one-line reason in err. */
int chr_parse_tcp(const char *s, ChrTcpSpec *t, char *err, size_t n);
/* There is, or may later be, input (an open input, or a server waiting for clients). */
bool chr_has_input_source(const CharBackend *c);
void chr_close(CharBackend *c);
void chr_write(CharBackend *c, uint8_t byte);
void chr_flush(CharBackend *c);
/* Wait up to timeout_ns (0: just look; -1: until input comes) for host input and take what is
   there into c->in. Returns false when there is no input source (or it has ended). */
bool chr_poll(CharBackend *c, int64_t timeout_ns);
/* One byte typed on the host, through the Ctrl-A escape: appended to c->in, or acted on. */
void chr_input_byte(CharBackend *c, uint8_t byte);
/* The guest took n bytes from the front of c->in. */
void chr_consume(CharBackend *c, size_t n);

#endif
