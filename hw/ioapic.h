/*
 * hw/ioapic.h — the I/O APIC (hw/ioapic.c): 24 interrupt inputs at 0xFEC00000, each routed by
 * its redirection table entry as a message to the local APIC.
 *
 * Devices drive a pin through an IRQLine from ioapic_irq_line (the board sends ISA IRQ n to pin
 * n as well as to the 8259, IRQ 0 to pin 2); messages leave through `deliver` (the board points
 * it at apic_deliver), and the local APIC's EOI broadcast comes back in ioapic_eoi.
 */
#ifndef XLAT_HW_IOAPIC_H
#define XLAT_HW_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

#define IOAPIC_BASE     0xfec00000u
#define IOAPIC_MMIO_SIZE 0x1000u /* the chip decodes IOREGSEL at +0 and IOWIN at +0x10 */
#define IOAPIC_PINS     24

/* A message to the local APICs: destination, logical mode, delivery mode, vector, level. */
typedef void (*IOAPICDeliverFn)(void *opaque, uint32_t dest, bool logical, int mode, int vector,
                                bool level);

typedef struct IOAPICState {
    uint32_t ioregsel;
    uint32_t id;               /* IOAPICID bits 27:24 */
    uint64_t redir[IOAPIC_PINS]; /* redirection table (delivery status and remote IRR inside) */
    uint32_t pins;             /* input levels, bit n = pin n asserted */

    /* wiring */
    IOAPICDeliverFn deliver;
    void *deliver_opaque;
} IOAPICState;

extern const VMStateDescription ioapic_vmstate;

/* Reset and map at IOAPIC_BASE on `as` (NULL: not mapped, for tests). Returns -1 on failure. */
int ioapic_init(IOAPICState *s, AddressSpace *as, IOAPICDeliverFn deliver, void *opaque);
void ioapic_reset(IOAPICState *s);
/* Drive input pin n (0-23); an IRQHandler. */
void ioapic_set_irq(void *opaque, int n, int level);
static inline IRQLine ioapic_irq_line(IOAPICState *s, int n)
{
    return irq_line(ioapic_set_irq, s, n);
}
/* The local APIC's EOI for a level-triggered vector (82093AA 3.2.4, remote IRR). */
void ioapic_eoi(void *opaque, int vector);
uint64_t ioapic_mmio_read(void *opaque, uint64_t off, unsigned size);
void ioapic_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size);

#endif
