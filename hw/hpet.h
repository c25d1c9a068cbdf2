/*
 * hw/hpet.h — the High Precision Event Timer (hw/hpet.c) at 0xFED00000: a 100 MHz main counter
 * on the virtual clock and three comparators.
 *
 * Interrupts leave through `legacy[0]` (ISA IRQ 0) and `legacy[1]` (ISA IRQ 8) when the legacy
 * replacement route is on, and otherwise through `ioapic`, whose handler is called with the
 * I/O APIC pin a comparator is routed to. While the legacy route is on, the board keeps the 8254
 * and the RTC off IRQ 0 and IRQ 8 (hpet_legacy_route).
 */
#ifndef XLAT_HW_HPET_H
#define XLAT_HW_HPET_H

#include <stdbool.h>
#include <stdint.h>

#include "softmmu/clock.h"
#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

#define HPET_BASE      0xfed00000u
#define HPET_MMIO_SIZE 0x400u
#define HPET_TIMERS    3
#define HPET_HZ        100000000u /* 100 MHz: 10 ns per tick */

typedef struct HPETComparator {
    uint64_t config;     /* Tn_CONF: the writable configuration bits */
    uint64_t cmp;        /* Tn_COMPARATOR_VAL */
    uint64_t period;     /* the periodic increment (the last value written in periodic mode) */
    Timer timer;
} HPETComparator;

typedef struct HPETState {
    uint64_t config;    /* GEN_CONF: ENABLE_CNF, LEG_RT_CNF */
    uint64_t isr;       /* GINTR_STA: Tn_INT_STS (level-triggered timers) */
    uint64_t counter;   /* the main counter while halted */
    int64_t offset;     /* while running: counter = ticks(virtual now) + offset (mod 2^64) */
    uint32_t out;       /* the level each timer drives now (level-triggered) */
    HPETComparator t[HPET_TIMERS];

    /* wiring */
    VClock *clock;
    IRQLine legacy[2]; /* ISA IRQ 0 and IRQ 8 */
    IRQLine ioapic;    /* called with n = the I/O APIC pin */
    /* a comparator was armed: end the running CPU slice (see APICState.kick) */
    void (*kick)(void *opaque);
    void *kick_opaque;
} HPETState;

extern const VMStateDescription hpet_vmstate;

/* Reset and map at HPET_BASE on `as` (NULL: unmapped, tests). Returns -1 on failure. */
int hpet_init(HPETState *s, AddressSpace *as, VClock *clock, IRQLine irq0, IRQLine irq8,
              IRQLine ioapic);
void hpet_reset(HPETState *s);
/* Is the legacy replacement route on (the 8254 and RTC are then cut off IRQ 0 and 8)? */
bool hpet_legacy_route(const HPETState *s);
uint64_t hpet_mmio_read(void *opaque, uint64_t off, unsigned size);
void hpet_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size);

#endif
