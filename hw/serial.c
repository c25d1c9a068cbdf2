/*
 * hw/serial.c — the National Semiconductor NS16550A UART, as the PC's COM ports.
 *
 * Follows the NS16550A datasheet: the register set (RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR,
 * SCR, and the divisor latch under LCR.DLAB), the 16-byte receiver FIFO with its trigger levels
 * (1, 4, 8, 14) and the character timeout indication (no character in or out of the FIFO for
 * four character times while it holds one), the interrupt priorities of Table IV (receiver line
 * status, then received data or timeout, then THR empty, then modem status) and what clears
 * each, overrun (16450 mode: the new character replaces the unread one; FIFO mode: the FIFO
 * keeps its characters), and the loopback mode of MCR bit 4 (the transmitter feeds the
 * receiver; DTR, RTS, OUT1, OUT2 drive DSR, CTS, RI, DCD). On the PC the interrupt reaches the
 * bus only while MCR.OUT2 is set.
 *
 * Transmission takes no virtual time: a character written to THR goes out to the backend at
 * once, so THR and the transmitter are always empty again by the next access (THRE and TEMT
 * read 1). Receiving is paced by the host side: characters come in as fast as the guest takes
 * them. Character times matter only for the receiver timeout, which runs on the virtual clock
 * from the divisor and the line format.
 *
 * Owns: SerialState (registers, receiver FIFO, the timeout timer).
 */
#include <stddef.h>

#include "hw/serial.h"

/* register offsets */
enum { UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5,
       UART_MSR = 6, UART_SCR = 7 };
/* IER */
#define IER_RDA  0x01 /* received data available (and timeout) */
#define IER_THRE 0x02
#define IER_RLS  0x04 /* receiver line status */
#define IER_MS   0x08 /* modem status */
/* IIR */
#define IIR_NONE  0x01
#define IIR_MS    0x00
#define IIR_THRE  0x02
#define IIR_RDA   0x04
#define IIR_RLS   0x06
#define IIR_CTI   0x0c
#define IIR_FIFOS 0xc0
/* FCR */
#define FCR_ENABLE   0x01
#define FCR_RX_RESET 0x02
#define FCR_TX_RESET 0x04
#define FCR_TRIGGER  0xc0
/* LCR */
#define LCR_DLAB 0x80
/* MCR */
#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
/* LSR */
#define LSR_DR     0x01
#define LSR_OE     0x02
#define LSR_ERRORS 0x1e /* OE, PE, FE, BI */
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
/* MSR */
#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80
#define MSR_LINES 0xf0

/* what the cable presents when not in loopback: a connected terminal (CTS, DSR, DCD) */
#define MSR_HOST_LINES (MSR_CTS | MSR_DSR | MSR_DCD)

static const VMStateField serial_fields[] = {
    VMSTATE_FIELD(SerialState, rx_fifo),      VMSTATE_FIELD(SerialState, rx_head),
    VMSTATE_FIELD(SerialState, rx_count),     VMSTATE_FIELD(SerialState, ier),
    VMSTATE_FIELD(SerialState, lcr),          VMSTATE_FIELD(SerialState, mcr),
    VMSTATE_FIELD(SerialState, scr),          VMSTATE_FIELD(SerialState, dll),
    VMSTATE_FIELD(SerialState, dlm),          VMSTATE_FIELD(SerialState, fcr),
    VMSTATE_FIELD(SerialState, lsr_errors),   VMSTATE_FIELD(SerialState, msr),
    VMSTATE_FIELD(SerialState, thre_pending), VMSTATE_FIELD(SerialState, timeout_pending),
    VMSTATE_FIELD(SerialState, irq_level),    VMSTATE_TIMER(SerialState, timeout_timer),
};
const VMStateDescription serial_vmstate = VMSTATE_DESC("ns16550a", 1, SerialState, serial_fields);

static bool fifo_on(const SerialState *s)
{
    return s->fcr & FCR_ENABLE;
}

static unsigned rx_trigger(const SerialState *s)
{
    static const uint8_t level[4] = {1, 4, 8, 14};
    return level[s->fcr >> 6];
}

/* The interrupt to report (Table IV), or IIR_NONE. */
static uint8_t pending_iir(const SerialState *s)
{
    if ((s->ier & IER_RLS) && (s->lsr_errors & LSR_ERRORS)) {
        return IIR_RLS;
    }
    if ((s->ier & IER_RDA) && s->rx_count >= (fifo_on(s) ? rx_trigger(s) : 1)) {
        return IIR_RDA;
    }
    if ((s->ier & IER_RDA) && s->timeout_pending) {
        return IIR_CTI;
    }
    if ((s->ier & IER_THRE) && s->thre_pending) {
        return IIR_THRE;
    }
    if ((s->ier & IER_MS) && (s->msr & ~MSR_LINES)) {
        return IIR_MS;
    }
    return IIR_NONE;
}

static void update_irq(SerialState *s)
{
    int level = pending_iir(s) != IIR_NONE && (s->mcr & MCR_OUT2);
    if (level != s->irq_level) {
        s->irq_level = (uint8_t)level;
        irq_set(&s->irq, level);
    }
}

/* the time of n characters on the line: start bit, 5-8 data bits, parity, 1, 1.5 or 2 stop
   bits, each bit 16 clocks of UART_CLOCK_HZ / divisor */
static int64_t chars_ns(const SerialState *s, int n)
{
    unsigned data = 5 + (s->lcr & 3);
    unsigned half_bits = 2 * (1 + data + ((s->lcr & 0x08) ? 1 : 0));
    half_bits += (s->lcr & 0x04) ? (data == 5 ? 3 : 4) : 2;
    unsigned divisor = s->dll | s->dlm << 8;
    if (divisor == 0) {
        divisor = 0x10000; /* the datasheet leaves 0 undefined; take the slowest rate */
    }
    return clock_ticks_to_ns((int64_t)n * half_bits * 8 * divisor, UART_CLOCK_HZ);
}

/* FIFO mode: the timeout indication comes when nothing has gone in or out of a non-empty FIFO
   for four character times */
static void restart_timeout(SerialState *s)
{
    if (fifo_on(s) && s->rx_count) {
        timer_mod(&s->timeout_timer, vclock_ns(s->clock) + chars_ns(s, 4));
    } else {
        timer_del(&s->timeout_timer);
    }
}

static void timeout_cb(void *opaque)
{
    SerialState *s = opaque;
    if (fifo_on(s) && s->rx_count) {
        s->timeout_pending = 1;
        update_irq(s);
    }
}

static void rx_clear(SerialState *s)
{
    s->rx_head = s->rx_count = 0;
    s->timeout_pending = 0;
    timer_del(&s->timeout_timer);
}

bool serial_can_receive(const SerialState *s)
{
    /* in loopback the receiver hears only the transmitter */
    return !(s->mcr & MCR_LOOP) && s->rx_count < (fifo_on(s) ? UART_FIFO_SIZE : 1);
}

static void rx_push(SerialState *s, uint8_t byte)
{
    unsigned size = fifo_on(s) ? UART_FIFO_SIZE : 1;
    if (s->rx_count >= size) {
        s->lsr_errors |= LSR_OE;
        if (!fifo_on(s)) {
            s->rx_fifo[s->rx_head] = byte; /* 16450 mode: the unread character is lost */
        }
    } else {
        s->rx_fifo[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
        s->rx_count++;
    }
    s->timeout_pending = 0;
    restart_timeout(s);
    update_irq(s);
}

void serial_receive(SerialState *s, uint8_t byte)
{
    if (!(s->mcr & MCR_LOOP)) {
        rx_push(s, byte);
    }
}

/* MSR lines from MCR in loopback (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD), else the cable's;
   the delta bits record changes, TERI only RI's trailing edge */
static void update_msr(SerialState *s)
{
    uint8_t lines = MSR_HOST_LINES;
    if (s->mcr & MCR_LOOP) {
        lines = (uint8_t)(((s->mcr & MCR_DTR) ? MSR_DSR : 0) | ((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
                          ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0));
    }
    uint8_t old = s->msr & MSR_LINES, changed = old ^ lines;
    uint8_t delta = s->msr & ~MSR_LINES;
    if (changed & MSR_CTS) {
        delta |= MSR_DCTS;
    }
    if (changed & MSR_DSR) {
        delta |= MSR_DDSR;
    }
    if ((old & MSR_RI) && !(lines & MSR_RI)) {
        delta |= MSR_TERI;
    }
    if (changed & MSR_DCD) {
        delta |= MSR_DDCD;
    }
    s->msr = lines | delta;
}

static uint64_t serial_read(void *opaque, uint64_t off, unsigned size)
{
    SerialState *s = opaque;
    (void)size;
    uint8_t v;
    switch (off) {
    case UART_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            return s->dll;
        }
        v = s->rx_fifo[s->rx_head];
        if (s->rx_count) {
            s->rx_head = (uint8_t)((s->rx_head + 1) % UART_FIFO_SIZE);
            s->rx_count--;
        }
        s->timeout_pending = 0;
        restart_timeout(s);
        update_irq(s);
        return v;
    case UART_IER:
        return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
    case UART_IIR_FCR:
        v = pending_iir(s);
        if (v == IIR_THRE) {
            s->thre_pending = 0; /* reading IIR with THRE the source clears it */
            update_irq(s);
        }
        return v | (fifo_on(s) ? IIR_FIFOS : 0);
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR:
        v = (uint8_t)((s->rx_count ? LSR_DR : 0) | s->lsr_errors | LSR_THRE | LSR_TEMT);
        s->lsr_errors = 0;
        update_irq(s);
        return v;
    case UART_MSR:
        v = s->msr;
        s->msr &= MSR_LINES;
        update_irq(s);
        return v;
    default:
        return s->scr;
    }
}

static void transmit(SerialState *s, uint8_t byte)
{
    if (s->mcr & MCR_LOOP) {
        rx_push(s, byte); /* loopback: the serial output is the serial input */
    } else if (s->chr) {
        chr_write(s->chr, byte);
    }
}

static void serial_write(void *opaque, uint64_t off, uint64_t val64, unsigned size)
{
    SerialState *s = opaque;
    uint8_t val = (uint8_t)val64;
    (void)size;
    switch (off) {
    case UART_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            s->dll = val;
            return;
        }
        s->thre_pending = 0; /* writing THR clears the THRE interrupt... */
        transmit(s, val);
        s->thre_pending = 1; /* ...and the character is gone at once: THR is empty again */
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            s->dlm = val;
            return;
        }
        /* enabling the THRE interrupt while THR is empty raises it */
        if ((val & IER_THRE) && !(s->ier & IER_THRE)) {
            s->thre_pending = 1;
        }
        s->ier = val & 0x0f;
        break;
    case UART_IIR_FCR:
        if ((val ^ s->fcr) & FCR_ENABLE) {
            rx_clear(s); /* changing the FIFO enable clears the FIFOs */
        }
        if (val & FCR_RX_RESET) {
            rx_clear(s);
        }
        /* FCR_TX_RESET: the transmitter is always empty here */
        s->fcr = (val & FCR_ENABLE) ? (uint8_t)(val & (FCR_ENABLE | FCR_TRIGGER)) : 0;
        restart_timeout(s);
        break;
    case UART_LCR:
        s->lcr = val;
        break;
    case UART_MCR:
        s->mcr = val & 0x1f;
        update_msr(s);
        break;
    case UART_LSR:
    case UART_MSR:
        return; /* the datasheet makes them read-only for software's purposes */
    default:
        s->scr = val;
        return;
    }
    update_irq(s);
}

void serial_reset(SerialState *s)
{
    /* Table V, after MASTER RESET: IER, IIR (no interrupt), FCR, LCR, MCR, LSR (but THRE and
       TEMT set) and the MSR deltas cleared; RBR, THR, SCR, the divisor are not reset */
    s->ier = s->lcr = s->mcr = s->fcr = 0;
    s->lsr_errors = 0;
    s->thre_pending = 0;
    rx_clear(s);
    s->msr = 0;
    update_msr(s);
    s->msr &= MSR_LINES;
    update_irq(s);
}

int serial_init(SerialState *s, IOSpace *io, uint16_t base, VClock *clock, IRQLine irq,
                CharBackend *chr)
{
    *s = (SerialState){.clock = clock, .irq = irq, .chr = chr};
    timer_init(&s->timeout_timer, clock, "ns16550a", timeout_cb, s);
    serial_reset(s);
    return io_register(io, "ns16550a", base, 8, serial_read, serial_write, s) < 0 ? -1 : 0;
}
