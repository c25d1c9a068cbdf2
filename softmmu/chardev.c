/*
 * softmmu/chardev.c — the host end of a UART: the terminal (raw mode, QEMU's Ctrl-A escape), a
 * file, or nothing. See chardev.h.
 *
 * Owns: the host file descriptors and the terminal mode. The terminal's original mode is also
 * kept in one static, so that an exit from anywhere (atexit) gives the user their terminal back;
 * it is host state, not machine state.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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

int chr_open(CharBackend *c, const char *spec)
{
    memset(c, 0, sizeof(*c));
    c->in_fd = -1;
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
    fprintf(stderr, "xlat: unsupported serial backend '%s' (use stdio, file:PATH or none)\n",
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
    c->out = NULL;
    c->in_fd = -1;
    c->raw_tty = false;
}

void chr_write(CharBackend *c, uint8_t byte)
{
    if (c->out) {
        fputc(byte, c->out);
        if (byte == '\n') {
            fflush(c->out);
        }
    }
}

void chr_flush(CharBackend *c)
{
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
    if (c->in_fd < 0) {
        return false;
    }
    if (c->in_len >= sizeof(c->in)) {
        timeout_ns = 0; /* the guest has not taken what came before: just look */
    }
    struct pollfd p = {.fd = c->in_fd, .events = POLLIN};
    struct timespec ts = {(time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000)};
    int r = ppoll(&p, 1, timeout_ns < 0 ? NULL : &ts, NULL);
    if (r <= 0) {
        return r == 0 || errno == EINTR;
    }
    uint8_t buf[256];
    size_t room = sizeof(c->in) - c->in_len;
    ssize_t n = read(c->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
    if (n <= 0) {
        c->in_fd = -1; /* end of input (or an error): nothing more will come */
        return false;
    }
    for (ssize_t i = 0; i < n; i++) {
        chr_input_byte(c, buf[i]);
    }
    return true;
}
