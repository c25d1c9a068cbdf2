/*
 * tests/guests/kernels/lib/pc.h — PC platform helpers for the timer test kernels (pit.c, rtc.c):
 * the 8259 pair programmed as a PC operating system does, interrupt counting, and the HPET's
 * main counter as the independent clock that interrupt counts are measured against.
 *
 * Facts from: the Intel 8259A datasheet (ICW1-ICW4, OCW2 non-specific EOI) and the IA-PC HPET
 * specification 1.0a (2.3.4 capabilities, 2.3.5 ENABLE_CNF, 2.3.7 main counter at 0xF0).
 * qemu's pc machine and xlat both have the HPET at 0xFED00000 with a 100 MHz counter.
 */
#ifndef PC_H
#define PC_H

#include "libk.h"

#define PIC_VECTOR_BASE 0x20 /* IRQ 0-7: 0x20-0x27; IRQ 8-15: 0x28-0x2F */
#define HPET_BASE 0xfed00000u
#define HPET_TICKS_PER_MS 100000u /* 100 MHz (checked by hpet_start) */

static inline uint32_t mmio_rd(uint32_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_wr(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

/* interrupts counted per IRQ by irq_count_handler */
static volatile int irq_count[16];
/* hpet_now() at the last interrupt of each IRQ */
static volatile uint32_t irq_time[16];
/* a per-IRQ hook run in the handler before the EOI (e.g. reading RTC register C) */
static void (*irq_hook[16])(int irq);

static inline uint32_t hpet_now(void) { return mmio_rd(HPET_BASE + 0xf0); }

static void irq_count_handler(struct excp_frame *f)
{
    int irq = (int)f->vector - PIC_VECTOR_BASE;
    irq_time[irq] = hpet_now();
    irq_count[irq]++;
    if (irq_hook[irq]) {
        irq_hook[irq](irq);
    }
    if (irq >= 8) {
        outb(0xa0, 0x20); /* OCW2: non-specific EOI to the slave, then the master */
    }
    outb(0x20, 0x20);
}

/* ICW1-ICW4 for both 8259s (edge triggered, cascade on IR2, 8086 mode), all IRQs masked but
   `unmask` (bit n: IRQ n; the cascade is opened when a slave IRQ is unmasked); the IDT points
   vectors 0x20-0x2F at irq_count_handler. */
static inline void pic_setup(uint16_t unmask)
{
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, PIC_VECTOR_BASE);
    outb(0xa1, PIC_VECTOR_BASE + 8);
    outb(0x21, 0x04);
    outb(0xa1, 0x02);
    outb(0x21, 0x01);
    outb(0xa1, 0x01);
    if (unmask & 0xff00) {
        unmask |= 1u << 2;
    }
    outb(0x21, (uint8_t)~unmask);
    outb(0xa1, (uint8_t)~(unmask >> 8));
    for (int v = PIC_VECTOR_BASE; v < PIC_VECTOR_BASE + 16; v++) {
        idt_set_gate(v, GATE_INT32, 0, true);
        excp_hook[v] = irq_count_handler;
    }
}

/* The HPET's main counter running, legacy route off (2.3.5); true if it is the 100 MHz one */
static inline bool hpet_start(void)
{
    mmio_wr(HPET_BASE + 0x10, 1);
    return mmio_rd(HPET_BASE + 0x04) == 10000000u; /* 10^7 fs per tick */
}

/* halt with IF = 1 until irq_count[irq] reaches n, or `ms` milliseconds of HPET time have
   passed when an interrupt wakes the CPU (the device under test keeps interrupting, so a
   wrong count ends in a failed check, not a hang); returns irq_count[irq] */
static inline int wait_irqs(int irq, int n, uint32_t ms)
{
    uint32_t t0 = hpet_now();
    while (irq_count[irq] < n && hpet_now() - t0 < ms * HPET_TICKS_PER_MS) {
        asm volatile("sti; hlt; cli" ::: "memory");
    }
    return irq_count[irq];
}

/* IF = 1 for `ms` milliseconds of HPET time */
static inline void run_for(uint32_t ms)
{
    uint32_t t0 = hpet_now();
    asm volatile("sti" ::: "memory");
    while (hpet_now() - t0 < ms * HPET_TICKS_PER_MS) {
    }
    asm volatile("cli" ::: "memory");
}

#endif
