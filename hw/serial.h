/*
 * hw/serial.h — the NS16550A UART (hw/serial.c), four of them on the PC: COM1 0x3F8 and COM3
 * 0x3E8 on IRQ 4, COM2 0x2F8 and COM4 0x2E8 on IRQ 3.
 *
 * The device talks to the host only through a CharBackend (softmmu/chardev.h): bytes it sends
 * go out at once; bytes from the host are handed to it with serial_receive, between CPU slices,
 * as long as serial_can_receive says it has room.
 */
#ifndef XLAT_HW_SERIAL_H
#define XLAT_HW_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "softmmu/chardev.h"
#include "softmmu/clock.h"
#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

#define UART_FIFO_SIZE 16
#define UART_CLOCK_HZ  1843200 /* the PC's UART crystal: 115200 baud with divisor 1 */

typedef struct SerialState {
    uint8_t rx_fifo[UART_FIFO_SIZE]; /* received characters (one deep in 16450 mode) */
    uint8_t rx_head, rx_count;
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    uint8_t fcr;            /* FIFO enable (bit 0) and receiver trigger (bits 7-6) in force */
    uint8_t lsr_errors;     /* OE, PE, FE, BI: set until LSR is read */
    uint8_t msr;            /* modem status: lines in bits 7-4, their changes in bits 3-0 */
    uint8_t thre_pending;   /* the THR-empty interrupt is armed (datasheet, IIR) */
    uint8_t timeout_pending; /* character timeout indication (FIFO mode) */
    uint8_t irq_level;      /* what is driven on the IRQ line (INTRPT gated by OUT2) */
    Timer timeout_timer;    /* four character times after the last receive or read */
    VClock *clock;          /* wiring */
    IRQLine irq;
    CharBackend *chr;
} SerialState;

extern const VMStateDescription serial_vmstate;

/* Register the eight ports at `base`; `chr` may be NULL (nothing attached). */
int serial_init(SerialState *s, IOSpace *io, uint16_t base, VClock *clock, IRQLine irq,
                CharBackend *chr);
void serial_reset(SerialState *s);
/* Input from the host side of the cable. */
bool serial_can_receive(const SerialState *s);
void serial_receive(SerialState *s, uint8_t byte);

#endif
