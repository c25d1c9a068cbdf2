/*
 * softmmu/chardev.c — the host end of a UART: the terminal (raw mode, QEMU's Ctrl-A escape), a
 * file, a TCP socket, or nothing. See chardev.h.
 *
 * Owns: the host file descriptors and the terminal mode. The terminal's original mode is also
 * kept in one static, so that an exit from anywhere (atexit) gives the user their terminal back;
 * it is host state, not machine state.
 *
 * Sockets are non-blocking once open (send with MSG_NOSIGNAL: a client that went away is an
 * EPIPE here, not a signal that kills xlat). A server's client leaving puts it back to
 * listening; a client's server leaving ends its input for good (no reconnect).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "softmmu/chardev.h"

static struct termios saved_tty;
static bool tty_saved;

static void restore_tty(void)
{
    if (tty_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
        tty_saved = false;
    }
}

/* Raw input as QEMU's stdio backend sets it: no echo, no line editing, no signals (Ctrl-C is
   the guest's; Ctrl-A x quits), 8-bit characters; output processing stays on. */
static void set_raw_tty(CharBackend *c)
{
    struct termios t;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t) < 0) {
        return;
    }
    if (!tty_saved) {
        saved_tty = t;
        tty_saved = true;
        atexit(restore_tty);
    }
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
    c->raw_tty = true;
}

/* ---- TCP ----------------------------------------------------------------------------------- */

static int on_off_item(const char *name, const char *val, bool *out, char *err, size_t n)
{
    if (!*val || strcmp(val, "on") == 0) {
        *out = true; /* a bare "server" is server=on (QEMU's older spelling) */
        return 0;
    }
    if (strcmp(val, "off") == 0) {
        *out = false;
        return 0;
    }
    snprintf(err, n, "tcp: %s must be on or off, not '%s'", name, val);
    return -1;
}

int chr_parse_tcp(const char *s, ChrTcpSpec *t, char *err, size_t n)
{
    memset(t, 0, sizeof(*t));
    size_t addr_len = strcspn(s, ",");
    const char *colon;
    const char *host = s;
    size_t host_len;
    if (*s == '[') {
        /* [IPv6]:PORT */
        const char *close = memchr(s, ']', addr_len);
        if (!close || close[1] != ':') {
            snprintf(err, n, "tcp:%s: expected [ADDRESS]:PORT", s);
            return -1;
        }
        host = s + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = NULL;
        for (const char *q = s; q < s + addr_len; q++) {
            if (*q == ':') {
                colon = q; /* the last colon: HOST:PORT */
            }
        }
        if (!colon) {
            snprintf(err, n, "tcp:%s: expected HOST:PORT (e.g. tcp:127.0.0.1:4444,server=on,"
                     "wait=off)", s);
            return -1;
        }
        host_len = (size_t)(colon - s);
    }
    if (host_len >= sizeof(t->host)) {
        snprintf(err, n, "tcp:%s: host name too long", s);
        return -1;
    }
    memcpy(t->host, host, host_len);
    t->host[host_len] = '\0';
    const char *port = colon + 1;
    size_t port_len = (size_t)(s + addr_len - port);
    unsigned long v = 0;
    bool digits = port_len > 0 && port_len <= 5;
    for (size_t i = 0; digits && i < port_len; i++) {
        digits = port[i] >= '0' && port[i] <= '9';
        v = v * 10 + (unsigned long)(port[i] - '0');
    }
    if (!digits || v == 0 || v > 65535) {
        snprintf(err, n, "tcp:%s: port '%.*s' is out of range (1 to 65535)", s, (int)port_len,
                 port);
        return -1;
    }
    t->port = (uint16_t)v;

    bool wait_given = false, wait = true;
    const char *p = s + addr_len;
    while (*p == ',') {
        p++;
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        char name[32], val[32];
        size_t name_len = eq ? (size_t)(eq - p) : len;
        size_t val_len = eq ? len - name_len - 1 : 0;
        if (name_len >= sizeof(name) || val_len >= sizeof(val)) {
            snprintf(err, n, "tcp:%s: option '%.*s' is not known", s, (int)len, p);
            return -1;
        }
        memcpy(name, p, name_len);
        name[name_len] = '\0';
        memcpy(val, eq ? eq + 1 : p, val_len);
        val[val_len] = '\0';
        bool dummy;
        if (strcmp(name, "server") == 0) {
            if (on_off_item(name, val, &t->server, err, n) < 0) {
                return -1;
            }
        } else if (strcmp(name, "wait") == 0) {
            if (on_off_item(name, val, &wait, err, n) < 0) {
                return -1;
            }
            wait_given = true;
        } else if (strcmp(name, "nowait") == 0 && !eq) {
            wait = false;
            wait_given = true;
        } else if (strcmp(name, "nodelay") == 0) {
            /* always on: a guest's serial line is interactive */
            if (on_off_item(name, val, &dummy, err, n) < 0) {
                return -1;
            }
        } else if (strcmp(name, "telnet") == 0 || strcmp(name, "reconnect") == 0 ||
                   strcmp(name, "websocket") == 0 || strcmp(name, "tls-creds") == 0 ||
                   strcmp(name, "ipv4") == 0 || strcmp(name, "ipv6") == 0 ||
                   strcmp(name, "to") == 0) {
            snprintf(err, n, "tcp:%s: option '%s' is not supported (server, wait, nodelay)", s,
                     name);
            return -1;
        } else {
            snprintf(err, n, "tcp:%s: unknown option '%.*s' (server, wait, nowait, nodelay)", s,
                     (int)len, p);
            return -1;
        }
        p += len;
    }
    if (wait_given && !t->server) {
        snprintf(err, n, "tcp:%s: wait only applies to a server (add server=on)", s);
        return -1;
    }
    t->wait = t->server && wait;
    return 0;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
}

static void sock_connected(CharBackend *c, int fd)
{
    int one = 1;
    set_nonblock(fd);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->sock_fd = fd;
    c->in_fd = fd;
    c->out_len = 0;
}

static void sock_disconnect(CharBackend *c)
{
    if (c->sock_fd >= 0) {
        close(c->sock_fd);
    }
    c->sock_fd = -1;
    c->in_fd = -1;
    c->out_len = 0; /* what the old client did not take is lost with it */
}

/* A server takes one waiting client, if there is one. */
static void sock_accept(CharBackend *c)
{
    int fd = accept(c->listen_fd, NULL, NULL);
    if (fd >= 0) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        sock_connected(c, fd);
    }
}

static int tcp_open(CharBackend *c, const char *spec)
{
    ChrTcpSpec t;
    char err[400];
    if (chr_parse_tcp(spec + 4, &t, err, sizeof(err)) < 0) {
        fprintf(stderr, "xlat: %s\n", err);
        return -1;
    }
    c->is_socket = true;
    c->listen_fd = -1;
    c->sock_fd = -1;
    const char *host = t.host[0] ? t.host : "127.0.0.1";
    snprintf(c->name, sizeof(c->name), "tcp:%s:%u", host, t.port);
    char port[8];
    snprintf(port, sizeof(port), "%u", t.port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = t.server ? AI_PASSIVE : 0};
    struct addrinfo *res;
    int r = getaddrinfo(host, port, &hints, &res);
    if (r != 0) {
        fprintf(stderr, "xlat: %s: cannot resolve '%s': %s\n", c->name, host, gai_strerror(r));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        if (t.server) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1) == 0) {
                break;
            }
        } else if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "xlat: %s: cannot %s: %s\n", c->name,
                t.server ? "listen there" : "connect", strerror(saved));
        return -1;
    }
    if (!t.server) {
        sock_connected(c, fd);
        return 0;
    }
    c->listen_fd = fd;
    set_nonblock(fd);
    if (t.wait) {
        /* QEMU's wait=on: the guest starts once someone is at the other end */
        fprintf(stderr, "xlat: waiting for a connection on %s,server=on\n", c->name);
        while (c->sock_fd < 0) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, -1) < 0 && errno != EINTR) {
                fprintf(stderr, "xlat: %s: %s\n", c->name, strerror(errno));
                return -1;
            }
            sock_accept(c);
        }
    }
    return 0;
}

/* Send what is queued without blocking; a client that went away is disconnected. */
static void sock_send(CharBackend *c)
{
    size_t done = 0;
    while (c->sock_fd >= 0 && done < c->out_len) {
        ssize_t k = send(c->sock_fd, c->out_q + done, c->out_len - done, MSG_NOSIGNAL);
        if (k > 0) {
            done += (size_t)k;
        } else if (k < 0 && errno == EINTR) {
            continue;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            sock_disconnect(c);
            return;
        }
    }
    if (c->sock_fd >= 0 && done) {
        memmove(c->out_q, c->out_q + done, c->out_len - done);
        c->out_len -= done;
    }
}

/* ---- all backends ---------------------------------------------------------------------------- */

bool chr_has_input_source(const CharBackend *c)
{
    return c->in_fd >= 0 || c->listen_fd >= 0;
}

int chr_open(CharBackend *c, const char *spec)
{
    memset(c, 0, sizeof(*c));
    c->in_fd = -1;
    c->listen_fd = -1;
    c->sock_fd = -1;
    c->msg = stderr;
    if (!spec || strcmp(spec, "none") == 0 || strcmp(spec, "null") == 0) {
        return 0;
    }
    if (strcmp(spec, "stdio") == 0) {
        c->out = stdout;
        c->in_fd = STDIN_FILENO;
        set_raw_tty(c);
        return 0;
    }
    if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        c->out = fopen(spec + 5, "w");
        if (!c->out) {
            fprintf(stderr, "xlat: cannot open serial output file '%s': %s\n", spec + 5,
                    strerror(errno));
            return -1;
        }
        c->close_out = true;
        return 0;
    }
    if (strncmp(spec, "tcp:", 4) == 0) {
        if (tcp_open(c, spec) < 0) {
            chr_close(c);
            return -1;
        }
        return 0;
    }
    fprintf(stderr,
            "xlat: unsupported serial backend '%s' (use stdio, file:PATH, tcp:HOST:PORT or "
            "none)\n",
            spec);
    return -1;
}

void chr_close(CharBackend *c)
{
    if (c->out) {
        if (c->close_out) {
            fclose(c->out);
        } else {
            fflush(c->out);
        }
    }
    if (c->raw_tty) {
        restore_tty();
    }
    if (c->sock_fd >= 0) {
        /* the guest's last words: give the client a moment to take them */
        for (int tries = 0; c->out_len && c->sock_fd >= 0 && tries < 100; tries++) {
            struct pollfd p = {.fd = c->sock_fd, .events = POLLOUT};
            poll(&p, 1, 10);
            sock_send(c);
        }
        sock_disconnect(c);
    }
    if (c->listen_fd >= 0) {
        close(c->listen_fd);
        c->listen_fd = -1;
    }
    c->out = NULL;
    c->in_fd = -1;
    c->raw_tty = false;
}

void chr_write(CharBackend *c, uint8_t byte)
{
    if (c->is_socket) {
        if (c->sock_fd >= 0 && c->out_len == sizeof(c->out_q)) {
            sock_send(c);
        }
        if (c->sock_fd >= 0 && c->out_len < sizeof(c->out_q)) {
            c->out_q[c->out_len++] = byte;
        } else {
            c->dropped++; /* no client, or it does not keep up: as QEMU with wait=off */
        }
        return;
    }
    if (c->out) {
        fputc(byte, c->out);
        if (byte == '\n') {
            fflush(c->out);
        }
    }
}

void chr_flush(CharBackend *c)
{
    if (c->is_socket) {
        sock_send(c);
        return;
    }
    if (c->out) {
        fflush(c->out);
    }
}

void chr_input_byte(CharBackend *c, uint8_t byte)
{
    if (c->escape) {
        c->escape = false;
        switch (byte) {
        case 'x':
            /* the terminal keeps output processing: \n is enough */
            fprintf(c->msg, "\nxlat: terminated (Ctrl-A x)\n");
            c->quit = true;
            return;
        case 'h':
        case '?':
            fprintf(c->msg, "\nC-a h    print this help\n"
                            "C-a x    exit xlat\n"
                            "C-a C-a  send C-a\n");
            return;
        case CHR_ESCAPE:
            break; /* a literal Ctrl-A for the guest */
        default:
            return; /* unknown command keys are dropped, as QEMU does */
        }
    } else if (byte == CHR_ESCAPE && c->raw_tty) {
        c->escape = true;
        return;
    }
    if (c->in_len < sizeof(c->in)) {
        c->in[c->in_len++] = byte;
    }
}

void chr_consume(CharBackend *c, size_t n)
{
    if (n >= c->in_len) {
        c->in_len = 0;
        return;
    }
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

bool chr_poll(CharBackend *c, int64_t timeout_ns)
{
    struct pollfd p[2];
    int np = 0, in_i = -1, listen_i = -1;
    /* input only while there is room for it: what is not read stays with the host */
    if (c->in_fd >= 0 && c->in_len < sizeof(c->in)) {
        in_i = np;
        p[np++] = (struct pollfd){.fd = c->in_fd, .events = POLLIN};
    }
    if (c->listen_fd >= 0 && c->sock_fd < 0) {
        listen_i = np;
        p[np++] = (struct pollfd){.fd = c->listen_fd, .events = POLLIN};
    }
    if (np == 0) {
        return chr_has_input_source(c);
    }
    struct timespec ts = {(time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000)};
    int r = ppoll(p, (nfds_t)np, timeout_ns < 0 ? NULL : &ts, NULL);
    if (r <= 0) {
        return r == 0 || errno == EINTR;
    }
    if (listen_i >= 0 && p[listen_i].revents) {
        sock_accept(c);
    }
    if (in_i < 0 || !p[in_i].revents) {
        return true;
    }
    uint8_t buf[256];
    size_t room = sizeof(c->in) - c->in_len;
    ssize_t n = read(c->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return true;
    }
    if (n <= 0) {
        /* end of input (or an error): a server's client left, and the server listens again;
           otherwise nothing more will come */
        if (c->is_socket) {
            sock_disconnect(c);
        } else {
            c->in_fd = -1;
        }
        return chr_has_input_source(c);
    }
    for (ssize_t i = 0; i < n; i++) {
        chr_input_byte(c, buf[i]);
    }
    return true;
}
