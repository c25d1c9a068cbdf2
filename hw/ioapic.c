/*
 * hw/ioapic.c — the Intel 82093AA I/O Advanced Programmable Interrupt Controller, following its
 * datasheet (order 290566): the indirect register window (3.0: IOREGSEL at offset 0x00, IOWIN
 * at 0x10), IOAPICID (3.2.1), IOAPICVER (3.2.2: version 0x11, maximum redirection entry 23),
 * IOAPICARB (3.2.3) and the 24 redirection table entries (3.2.4): vector, delivery mode (fixed,
 * lowest priority, SMI, NMI, INIT, ExtINT), destination mode and destination, delivery status,
 * pin polarity, remote IRR, trigger mode and mask.
 *
 * Edge-triggered pins send a message on each inactive-to-active transition of an unmasked pin;
 * level-triggered pins send one while the pin is active and remote IRR is clear, set remote IRR,
 * and wait for the local APIC's EOI of that vector to clear it (and send again if the pin is
 * still active). Messages are delivered at once, so delivery status always reads idle.
 *
 * Owns: IOAPICState.
 */
#include "hw/ioapic.h"

#define IOAPIC_VERSION 0x00170011u /* 3.2.2: max redirection entry 0x17, version 0x11 */

/* redirection entry bits (3.2.4) */
#define RTE_VECTOR     0xffull
#define RTE_DELMODE(e) ((int)(((e) >> 8) & 7))
#define RTE_LOGICAL    (1ull << 11)
#define RTE_DELIVS     (1ull << 12)
#define RTE_POLARITY   (1ull << 13) /* 1: active low */
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL      (1ull << 15)
#define RTE_MASKED     (1ull << 16)
#define RTE_DEST(e)    ((uint32_t)((e) >> 56))
/* what software may write: everything but delivery status and remote IRR */
#define RTE_WRITABLE   (~(RTE_DELIVS | RTE_REMOTE_IRR) & 0xff0000000001ffffull)

static const VMStateField ioapic_fields[] = {
    VMSTATE_FIELD(IOAPICState, ioregsel),
    VMSTATE_FIELD(IOAPICState, id),
    VMSTATE_FIELD(IOAPICState, redir),
    VMSTATE_FIELD(IOAPICState, pins),
};
const VMStateDescription ioapic_vmstate = VMSTATE_DESC("ioapic", 1, IOAPICState, ioapic_fields);

/* Is pin n asserted, after its polarity? The IRQ line carries "asserted" as 1 for the ISA
   devices, which are active high; an active-low programmed pin sees the inverse. */
static bool pin_active(const IOAPICState *s, int n)
{
    bool level = (s->pins >> n) & 1;
    return (s->redir[n] & RTE_POLARITY) ? !level : level;
}

static void send(IOAPICState *s, int n)
{
    uint64_t e = s->redir[n];
    if (s->deliver) {
        s->deliver(s->deliver_opaque, RTE_DEST(e), (e & RTE_LOGICAL) != 0, RTE_DELMODE(e),
                   (int)(e & RTE_VECTOR), (e & RTE_LEVEL) != 0);
    }
}

/* A level-triggered pin that is active, unmasked and not waiting for an EOI sends. */
static void service_level(IOAPICState *s, int n)
{
    uint64_t e = s->redir[n];
    if ((e & RTE_LEVEL) && !(e & RTE_MASKED) && !(e & RTE_REMOTE_IRR) && pin_active(s, n)) {
        /* 3.2.4: remote IRR is set when the local APIC accepts the level interrupt; ExtINT,
           NMI, SMI and INIT are edge by nature and leave it clear */
        int mode = RTE_DELMODE(e);
        if (mode == 0 || mode == 1) {
            s->redir[n] |= RTE_REMOTE_IRR;
        }
        send(s, n);
    }
}

void ioapic_set_irq(void *opaque, int n, int level)
{
    IOAPICState *s = opaque;
    if (n < 0 || n >= IOAPIC_PINS) {
        return;
    }
    bool was = pin_active(s, n);
    s->pins = level ? s->pins | (1u << n) : s->pins & ~(1u << n);
    bool now = pin_active(s, n);
    uint64_t e = s->redir[n];
    if (e & RTE_LEVEL) {
        service_level(s, n);
    } else if (now && !was && !(e & RTE_MASKED)) {
        send(s, n); /* edge: the inactive-to-active transition */
    }
}

void ioapic_eoi(void *opaque, int vector)
{
    IOAPICState *s = opaque;
    for (int n = 0; n < IOAPIC_PINS; n++) {
        uint64_t e = s->redir[n];
        if ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR) && (int)(e & RTE_VECTOR) == vector) {
            s->redir[n] &= ~RTE_REMOTE_IRR;
            service_level(s, n); /* still active: it interrupts again */
        }
    }
}

static uint32_t reg_read(IOAPICState *s, uint32_t idx)
{
    switch (idx) {
    case 0x00: return s->id << 24;
    case 0x01: return IOAPIC_VERSION;
    case 0x02: return s->id << 24; /* 3.2.3: the arbitration ID is loaded from the ID */
    default:
        if (idx >= 0x10 && idx < 0x10 + 2 * IOAPIC_PINS) {
            uint64_t e = s->redir[(idx - 0x10) >> 1];
            return (idx & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
        }
        return 0xffffffffu; /* nothing there: reads as an unassigned bus */
    }
}

static void reg_write(IOAPICState *s, uint32_t idx, uint32_t v)
{
    if (idx == 0x00) {
        s->id = (v >> 24) & 0xf;
        return;
    }
    if (idx < 0x10 || idx >= 0x10 + 2 * IOAPIC_PINS) {
        return; /* version and arbitration are read-only */
    }
    int n = (int)(idx - 0x10) >> 1;
    uint64_t e = s->redir[n];
    uint64_t nv = (idx & 1) ? (e & 0xffffffffull) | ((uint64_t)v << 32)
                            : (e & ~0xffffffffull) | v;
    s->redir[n] = (e & ~RTE_WRITABLE) | (nv & RTE_WRITABLE);
    if (!(s->redir[n] & RTE_LEVEL)) {
        s->redir[n] &= ~RTE_REMOTE_IRR; /* meaningless for edge-triggered pins */
    }
    /* unmasking a level pin that is active delivers it now */
    service_level(s, n);
}

uint64_t ioapic_mmio_read(void *opaque, uint64_t off, unsigned size)
{
    IOAPICState *s = opaque;
    uint64_t v;
    switch (off & ~3ull) {
    case 0x00: v = s->ioregsel; break;
    case 0x10: v = reg_read(s, s->ioregsel & 0xff); break;
    default: return mem_ones(size);
    }
    return (v >> (8 * (off & 3))) & mem_ones(size < 4 ? size : 4);
}

void ioapic_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    IOAPICState *s = opaque;
    /* 3.0: the registers are accessed as 32-bit quantities (IOREGSEL's low byte counts) */
    if (off == 0x00) {
        s->ioregsel = (uint32_t)val & 0xff;
    } else if (off == 0x10 && size >= 4) {
        reg_write(s, s->ioregsel & 0xff, (uint32_t)val);
    }
}

void ioapic_reset(IOAPICState *s)
{
    /* 3.2.4: every entry masked after reset; ID 0 */
    s->ioregsel = 0;
    s->id = 0;
    for (int n = 0; n < IOAPIC_PINS; n++) {
        s->redir[n] = RTE_MASKED;
    }
}

int ioapic_init(IOAPICState *s, AddressSpace *as, IOAPICDeliverFn deliver, void *opaque)
{
    s->deliver = deliver;
    s->deliver_opaque = opaque;
    s->pins = 0;
    ioapic_reset(s);
    if (as && as_add_mmio(as, "ioapic", IOAPIC_BASE, IOAPIC_MMIO_SIZE, ioapic_mmio_read,
                          ioapic_mmio_write, s, 2) < 0) {
        return -1;
    }
    return 0;
}
