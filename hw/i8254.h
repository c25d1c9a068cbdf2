/*
 * hw/i8254.h — the Intel 8254 programmable interval timer (hw/i8254.c) and the PC's system
 * control port B (0x61), which carries the gate of channel 2, the speaker enable and the
 * refresh toggle.
 *
 * Channel 0 drives IRQ 0; channel 1 (DRAM refresh on old PCs) and channel 2 (the speaker,
 * and Linux's TSC calibration) are read by polling. The counters run at 1.193182 MHz of
 * virtual time (softmmu/clock.h): everything is computed from the virtual clock when it is
 * looked at, and the only timer is the one for the next change of channel 0's output.
 */
#ifndef XLAT_HW_I8254_H
#define XLAT_HW_I8254_H

#include <stdint.h>

#include "softmmu/clock.h"
#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

#define PIT_HZ 1193182 /* 14.31818 MHz / 12 */

typedef struct PITChannel {
    uint8_t ctrl;         /* RW1 RW0 M2 M1 M0 BCD as last programmed (status bits 5-0) */
    uint8_t mode;         /* 0-5 */
    uint8_t gate;         /* level of the GATE input */
    uint8_t state;        /* PIT_IDLE, PIT_WAIT_TRIGGER, PIT_WAIT_GATE, PIT_COUNTING */
    uint8_t null_count;   /* a count was written and has not reached the counting element */
    uint8_t write_msb;    /* read/load LSB then MSB: the next write is the MSB */
    uint8_t read_msb;     /* the same for unlatched reads */
    uint8_t lsb;          /* the LSB written, waiting for the MSB */
    uint8_t ol_bytes;     /* bytes of the output latch still to be read (0: not latched) */
    uint8_t status_latched;
    uint8_t status;       /* the latched status byte */
    uint8_t pre_load_out; /* OUT from the count's write (or trigger) to the CLK that loads it */
    uint16_t cr;          /* count register: the last count written (0 = the maximum) */
    uint16_t ol;          /* output latch */
    uint16_t frozen_ce;   /* the counting element while it does not count */
    uint32_t n;           /* the count being counted: 1..65536 (binary) or 1..10000 (BCD) */
    uint32_t next_n;      /* modes 2 and 3: a count that takes over at reload_tick, or 0 */
    int64_t load_tick;    /* the CLK at which the counting element was loaded with n */
    int64_t reload_tick;  /* modes 2 and 3: when next_n takes over ... */
    int64_t next_load_tick; /* ... and its load_tick (mode 3 may switch in mid-period) */
    int64_t null_clear_tick; /* the CLK at which null_count clears (INT64_MAX: not known) */
    int64_t run_base;     /* modes 0 and 4: clocks counted before run_start */
    int64_t run_start;    /* ... and the CLK from which the gate lets it count again */
} PITChannel;

enum { PIT_IDLE, PIT_WAIT_TRIGGER, PIT_WAIT_GATE, PIT_COUNTING };

typedef struct PITState {
    PITChannel ch[3];
    uint8_t port61;   /* system control port B, bits 0-3 as written */
    uint8_t out0;     /* the level driven on IRQ 0 */
    int64_t irq_tick; /* the CLK the timer is armed for */
    Timer irq_timer;  /* the next change of channel 0's OUT */
    VClock *clock;    /* wiring */
    IRQLine irq;
} PITState;

extern const VMStateDescription pit_vmstate;

/* Reset and register ports 0x40-0x43 and 0x61. Returns -1 if a port is taken. */
int pit_init(PITState *s, IOSpace *io, VClock *clock, IRQLine irq0);
void pit_reset(PITState *s);
/* For tests and the speaker: the OUT level of a channel now. */
int pit_get_out(PITState *s, int channel);

#endif
