/*
 * tests/unit/test_serial.c — the NS16550A UART (hw/serial.c) through its eight ports, with its
 * output captured from the backend, input given as the host side gives it, the IRQ observed,
 * and the receiver timeout on a virtual clock moved by hand; and the host end's Ctrl-A escape
 * (softmmu/chardev.c).
 *
 * Expected values come from the NS16550A datasheet: the register map and DLAB, Table II (reset
 * values), Table IV (interrupt identification, priorities and what resets each), the FIFO
 * control register (trigger levels 1/4/8/14, FIFO bits in IIR), the character timeout (four
 * character times), overrun in 16450 and FIFO mode, and the loopback mode of MCR bit 4. On the
 * PC the interrupt reaches the bus through MCR.OUT2. The escape keys are QEMU's mux keys.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/serial.h"

#define COM1 0x3f8

static IOSpace io;
static uint64_t icount;
static VClock clk;
static SerialState uart;
static CharBackend chr;
static char *outbuf;
static size_t outlen;
static int irq;

static void irq_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    irq = level;
}

static void setup(void)
{
    memset(&io, 0, sizeof(io));
    icount = 0;
    irq = 0;
    vclock_init(&clk, &icount, NULL, 0);
    ck_assert_int_eq(chr_open(&chr, "none"), 0);
    chr.out = open_memstream(&outbuf, &outlen);
    ck_assert_int_eq(serial_init(&uart, &io, COM1, &clk, irq_line(irq_handler, NULL, 4), &chr), 0);
}

static void teardown(void)
{
    fclose(chr.out);
    free(outbuf);
    outbuf = NULL;
}

static void outb(int reg, uint8_t v)
{
    io_write(&io, (uint32_t)(COM1 + reg), v, 1);
}

static uint8_t inb(int reg)
{
    return (uint8_t)io_read(&io, (uint32_t)(COM1 + reg), 1);
}

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5,
       MSR = 6, SCR = 7 };

START_TEST(test_reset_values)
{
    /* Table II: IER 0, IIR 0x01 (no interrupt), LCR 0, MCR 0, LSR 0x60 (THRE, TEMT) */
    ck_assert_uint_eq(inb(IER), 0x00);
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_uint_eq(inb(LCR), 0x00);
    ck_assert_uint_eq(inb(MCR), 0x00);
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_uint_eq(inb(MSR) & 0x0f, 0x00);
}
END_TEST

START_TEST(test_divisor_and_scratch)
{
    /* LCR.DLAB switches offsets 0 and 1 to the divisor latch; SCR holds anything */
    outb(LCR, 0x83);
    outb(DLL, 0x0c);
    outb(DLM, 0x00);
    ck_assert_uint_eq(inb(DLL), 0x0c);
    ck_assert_uint_eq(inb(DLM), 0x00);
    outb(LCR, 0x03);
    ck_assert_uint_eq(inb(IER), 0x00); /* the divisor did not go to IER */
    ck_assert_uint_eq(inb(LCR), 0x03);
    outb(SCR, 0xa5);
    ck_assert_uint_eq(inb(SCR), 0xa5);
}
END_TEST

START_TEST(test_transmit_and_thre)
{
    outb(THR, 'h');
    outb(THR, 'i');
    fflush(chr.out);
    ck_assert_uint_eq(outlen, 2);
    ck_assert(memcmp(outbuf, "hi", 2) == 0);
    ck_assert_uint_eq(inb(LSR) & 0x60, 0x60);
    /* Table IV: enabling ETBEI with THR empty gives the THRE interrupt (IIR 0x02); on the PC
       it reaches the bus only with OUT2 */
    outb(IER, 0x02);
    ck_assert_int_eq(irq, 0);
    outb(MCR, 0x08);
    ck_assert_int_eq(irq, 1);
    /* reading IIR with THRE the source clears it */
    ck_assert_uint_eq(inb(IIR), 0x02);
    ck_assert_int_eq(irq, 0);
    ck_assert_uint_eq(inb(IIR), 0x01);
    /* writing THR clears it too; the character leaves and THR is empty again: it comes back */
    outb(THR, '!');
    ck_assert_int_eq(irq, 1);
    ck_assert_uint_eq(inb(IIR), 0x02);
}
END_TEST

START_TEST(test_receive_16450_mode)
{
    outb(MCR, 0x08);
    outb(IER, 0x01);
    ck_assert(serial_can_receive(&uart));
    serial_receive(&uart, 'a');
    ck_assert(!serial_can_receive(&uart));
    ck_assert_int_eq(irq, 1);
    ck_assert_uint_eq(inb(IIR), 0x04); /* received data available */
    ck_assert_uint_eq(inb(LSR) & 0x01, 0x01);
    ck_assert_uint_eq(inb(RBR), 'a');
    ck_assert_int_eq(irq, 0);
    ck_assert_uint_eq(inb(LSR) & 0x01, 0x00);
    /* overrun: a character comes before the last was read; it replaces it, OE is set, and
       with ELSI the line status interrupt outranks received data */
    outb(IER, 0x05);
    serial_receive(&uart, 'b');
    serial_receive(&uart, 'c');
    ck_assert_uint_eq(inb(IIR), 0x06);
    ck_assert_uint_eq(inb(LSR), 0x60 | 0x02 | 0x01);
    ck_assert_uint_eq(inb(LSR), 0x60 | 0x01); /* reading LSR cleared OE */
    ck_assert_uint_eq(inb(IIR), 0x04);
    ck_assert_uint_eq(inb(RBR), 'c');
}
END_TEST

START_TEST(test_fifo_trigger_and_timeout)
{
    /* 115200 8N1: one character is 10 bits of 16 clocks at 1.8432 MHz = 86806 ns; the timeout
       comes after four (347223 ns) */
    outb(LCR, 0x83);
    outb(DLL, 1);
    outb(DLM, 0);
    outb(LCR, 0x03);
    outb(FCR, 0x41); /* FIFOs on, trigger level 4 */
    ck_assert_uint_eq(inb(IIR), 0xc1);
    outb(MCR, 0x08);
    outb(IER, 0x01);
    for (int i = 0; i < 3; i++) {
        serial_receive(&uart, (uint8_t)('0' + i));
    }
    ck_assert_int_eq(irq, 0); /* below the trigger level */
    vclock_warp(&clk, 347222);
    ck_assert_int_eq(irq, 0);
    vclock_warp(&clk, 347223);
    ck_assert_int_eq(irq, 1);
    ck_assert_uint_eq(inb(IIR), 0xcc); /* character timeout */
    ck_assert_uint_eq(inb(RBR), '0'); /* a read clears it and restarts the timer */
    ck_assert_int_eq(irq, 0);
    vclock_warp(&clk, 347223 + 347222);
    ck_assert_int_eq(irq, 0);
    /* at the trigger level: received data available */
    serial_receive(&uart, '3');
    serial_receive(&uart, '4');
    ck_assert_int_eq(irq, 1);
    ck_assert_uint_eq(inb(IIR), 0xc4);
    static const char want[] = "1234";
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(inb(RBR), (uint8_t)want[i]);
    }
    ck_assert_int_eq(irq, 0);
    ck_assert_uint_eq(inb(LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_fifo_overrun_and_reset)
{
    outb(FCR, 0xc1); /* trigger level 14 */
    for (int i = 0; i < 17; i++) {
        serial_receive(&uart, (uint8_t)i);
    }
    /* the FIFO keeps its 16; the 17th is lost with OE */
    ck_assert_uint_eq(inb(LSR) & 0x03, 0x03);
    for (int i = 0; i < 16; i++) {
        ck_assert_uint_eq(inb(RBR), (uint8_t)i);
    }
    ck_assert_uint_eq(inb(LSR) & 0x03, 0x00);
    /* FCR bit 1 clears the receiver FIFO */
    serial_receive(&uart, 'x');
    outb(FCR, 0xc3);
    ck_assert_uint_eq(inb(LSR) & 0x01, 0x00);
    /* turning the FIFOs off clears them as well, and IIR loses its FIFO bits */
    serial_receive(&uart, 'y');
    outb(FCR, 0x00);
    ck_assert_uint_eq(inb(LSR) & 0x01, 0x00);
    ck_assert_uint_eq(inb(IIR) & 0xc0, 0x00);
}
END_TEST

START_TEST(test_loopback)
{
    /* MCR bit 4: what is transmitted is received, nothing reaches the cable, and DTR, RTS,
       OUT1, OUT2 appear as DSR, CTS, RI, DCD */
    outb(MCR, 0x10);
    ck_assert_uint_eq(inb(MSR) & 0xf0, 0x00);
    outb(THR, 'L');
    fflush(chr.out);
    ck_assert_uint_eq(outlen, 0);
    ck_assert_uint_eq(inb(LSR) & 0x01, 0x01);
    ck_assert_uint_eq(inb(RBR), 'L');
    ck_assert(!serial_can_receive(&uart)); /* the cable is disconnected */
    outb(MCR, 0x10 | 0x0f);
    ck_assert_uint_eq(inb(MSR), 0xf0 | 0x0b); /* lines up; DCTS, DDSR, DDCD (TERI is RI's fall) */
    ck_assert_uint_eq(inb(MSR), 0xf0);        /* reading MSR clears the deltas */
    /* modem status interrupt (IIR 0x00, the lowest priority): RI going away sets TERI */
    outb(IER, 0x08);
    outb(MCR, 0x10 | 0x08 | 0x03); /* OUT1 off: RI falls; OUT2 stays on for the IRQ */
    ck_assert_int_eq(irq, 1);
    ck_assert_uint_eq(inb(IIR), 0x00);
    ck_assert_uint_eq(inb(MSR), 0xb0 | 0x04);
    ck_assert_int_eq(irq, 0);
}
END_TEST

START_TEST(test_priorities)
{
    /* Table IV order: line status, received data, THR empty, modem status */
    outb(MCR, 0x10 | 0x08);
    outb(IER, 0x0f);
    ck_assert_uint_eq(inb(IIR), 0x02); /* THRE (enabled with THR empty) */
    outb(MCR, 0x10 | 0x08 | 0x01); /* DSR changes: modem status behind THRE */
    outb(THR, 'a');
    outb(THR, 'b'); /* overrun in 16450 mode */
    ck_assert_uint_eq(inb(IIR), 0x06);
    inb(LSR);
    ck_assert_uint_eq(inb(IIR), 0x04);
    inb(RBR);
    ck_assert_uint_eq(inb(IIR), 0x02);
    ck_assert_uint_eq(inb(IIR), 0x00);
    inb(MSR);
    ck_assert_uint_eq(inb(IIR), 0x01);
}
END_TEST

START_TEST(test_escape_keys)
{
    /* QEMU's mux escape on the terminal: Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A,
       other bytes pass */
    CharBackend c;
    ck_assert_int_eq(chr_open(&c, "none"), 0);
    c.raw_tty = true; /* as on a terminal */
    c.msg = fopen("/dev/null", "w");
    chr_input_byte(&c, 'a');
    chr_input_byte(&c, 0x01);
    chr_input_byte(&c, 0x01);
    chr_input_byte(&c, 'b');
    ck_assert_uint_eq(c.in_len, 3);
    ck_assert(memcmp(c.in, "a\001b", 3) == 0);
    chr_consume(&c, 2);
    ck_assert_uint_eq(c.in_len, 1);
    ck_assert_uint_eq(c.in[0], 'b');
    ck_assert(!c.quit);
    chr_input_byte(&c, 0x01);
    chr_input_byte(&c, 'x');
    ck_assert(c.quit);
    ck_assert_uint_eq(c.in_len, 1);
    fclose(c.msg);
    /* from a pipe (not a terminal) Ctrl-A is just a byte */
    ck_assert_int_eq(chr_open(&c, "none"), 0);
    chr_input_byte(&c, 0x01);
    ck_assert_uint_eq(c.in_len, 1);
}
END_TEST

/* qemu's spellings of a TCP backend (qemu-system's -serial tcp: and -chardev socket) */
START_TEST(test_tcp_spec)
{
    ChrTcpSpec t;
    char err[300];
    ck_assert_int_eq(chr_parse_tcp("127.0.0.1:4444,server=on,wait=off", &t, err, sizeof(err)), 0);
    ck_assert_str_eq(t.host, "127.0.0.1");
    ck_assert_uint_eq(t.port, 4444);
    ck_assert(t.server && !t.wait);
    ck_assert_int_eq(chr_parse_tcp("localhost:23,server,nowait", &t, err, sizeof(err)), 0);
    ck_assert(t.server && !t.wait);
    ck_assert_int_eq(chr_parse_tcp(":5555,server", &t, err, sizeof(err)), 0);
    ck_assert_str_eq(t.host, ""); /* the loopback address */
    ck_assert(t.server && t.wait); /* a server waits for its first client unless told not to */
    ck_assert_int_eq(chr_parse_tcp("[::1]:65535", &t, err, sizeof(err)), 0);
    ck_assert_str_eq(t.host, "::1");
    ck_assert(!t.server && !t.wait);
    static const char *const bad[] = {"127.0.0.1:65536,server=on", "127.0.0.1:0", "127.0.0.1:",
                                      "127.0.0.1:-1", "127.0.0.1", "127.0.0.1:4444,wait=off",
                                      "127.0.0.1:4444,server=maybe", "127.0.0.1:4444,bogus",
                                      "[::1:4444", "127.0.0.1:4444,telnet=on"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        ck_assert_msg(chr_parse_tcp(bad[i], &t, err, sizeof(err)) < 0, "%s accepted", bad[i]);
        ck_assert_msg(err[0] != 0, "%s: no message", bad[i]);
    }
}
END_TEST

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* a TCP server backend: input from a client, output to it, dropped while nobody is there,
   and a second client after the first leaves; nothing blocks */
START_TEST(test_tcp_server)
{
    char spec[64];
    uint16_t port = free_port();
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u,server=on,wait=off", port);
    CharBackend c;
    ck_assert_int_eq(chr_open(&c, spec), 0);
    ck_assert(chr_has_input_source(&c));
    chr_write(&c, 'z'); /* no client yet: dropped */
    ck_assert_uint_eq(c.dropped, 1);

    int cl = connect_to(port);
    ck_assert(chr_poll(&c, 1000000000)); /* accepts */
    ck_assert_int_ge(c.sock_fd, 0);
    ck_assert_int_eq(write(cl, "hi", 2), 2);
    for (int i = 0; i < 100 && c.in_len < 2; i++) {
        chr_poll(&c, 10000000);
    }
    ck_assert_uint_eq(c.in_len, 2);
    ck_assert(memcmp(c.in, "hi", 2) == 0);
    chr_write(&c, 'o');
    chr_write(&c, 'k');
    chr_flush(&c);
    char buf[8];
    ck_assert_int_eq(read(cl, buf, sizeof(buf)), 2);
    ck_assert(memcmp(buf, "ok", 2) == 0);

    close(cl); /* the client leaves: the server listens again */
    for (int i = 0; i < 100 && c.sock_fd >= 0; i++) {
        chr_poll(&c, 10000000);
    }
    ck_assert_int_lt(c.sock_fd, 0);
    ck_assert(chr_has_input_source(&c));
    chr_write(&c, 'x');
    chr_flush(&c);
    ck_assert_uint_eq(c.dropped, 2);

    cl = connect_to(port);
    for (int i = 0; i < 100 && c.sock_fd < 0; i++) {
        chr_poll(&c, 10000000);
    }
    ck_assert_int_ge(c.sock_fd, 0);
    chr_write(&c, '!');
    chr_flush(&c);
    ck_assert_int_eq(read(cl, buf, sizeof(buf)), 1);
    ck_assert_uint_eq(buf[0], '!');
    close(cl);
    chr_close(&c);
}
END_TEST

/* input the guest has not taken fills the buffer: more host input waits on the host side, and
   is not mistaken for the end of input */
START_TEST(test_full_input_buffer)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    CharBackend c;
    ck_assert_int_eq(chr_open(&c, "none"), 0);
    c.in_fd = p[0];
    c.in_len = sizeof(c.in);
    ck_assert_int_eq(write(p[1], "more", 4), 4);
    ck_assert(chr_poll(&c, 0));
    ck_assert_int_eq(c.in_fd, p[0]);
    chr_consume(&c, sizeof(c.in));
    ck_assert(chr_poll(&c, 0));
    ck_assert_uint_eq(c.in_len, 4);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(test_snapshot_fields)
{
    ck_assert_uint_eq(serial_vmstate.nb_fields, 16);
    uint64_t h = vmstate_hash(&serial_vmstate, &uart, 0);
    outb(SCR, 1);
    ck_assert_uint_ne(vmstate_hash(&serial_vmstate, &uart, 0), h);
}
END_TEST

static Suite *serial_suite(void)
{
    Suite *s = suite_create("serial");
    TCase *tc = tcase_create("ns16550a");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_values);
    tcase_add_test(tc, test_divisor_and_scratch);
    tcase_add_test(tc, test_transmit_and_thre);
    tcase_add_test(tc, test_receive_16450_mode);
    tcase_add_test(tc, test_fifo_trigger_and_timeout);
    tcase_add_test(tc, test_fifo_overrun_and_reset);
    tcase_add_test(tc, test_loopback);
    tcase_add_test(tc, test_priorities);
    tcase_add_test(tc, test_escape_keys);
    tcase_add_test(tc, test_tcp_spec);
    tcase_add_test(tc, test_tcp_server);
    tcase_add_test(tc, test_full_input_buffer);
    tcase_add_test(tc, test_snapshot_fields);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(serial_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
