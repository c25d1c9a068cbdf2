/*
 * hw/i8259.c — two Intel 8259A programmable interrupt controllers, cascaded as in the PC/AT:
 * the master at ports 0x20/0x21 (IRQ 0-7), the slave at 0xA0/0xA1 (IRQ 8-15) on the master's
 * IR2, and the PIIX edge/level control registers (ELCR) at 0x4D0/0x4D1.
 *
 * Follows the Intel 8259A datasheet (order 231468): initialization command words ICW1-ICW4,
 * operation command words OCW1-OCW3, fully nested and special fully nested modes, automatic and
 * specific rotation, special mask mode, poll command, automatic EOI, edge and level triggered
 * inputs, and the default IR7 when a request goes away before it is acknowledged. The ELCR
 * follows the Intel 82371SB (PIIX3) datasheet: a bit per input selects level triggering; IRQ 0,
 * 1, 2, 8 and 13 are always edge triggered (their bits read 0). A line is level triggered when
 * its ELCR bit or ICW1's LTIM bit says so. Only the 8086 mode matters on a PC: the 8080 mode's
 * CALL sequence, buffered mode and the cascade address lines have nothing to act on here.
 *
 * Owns: PICState (both chips) and the INT output to the CPU.
 */
#include <stddef.h>

#include "hw/i8259.h"

/* ICW1 bits (datasheet, "Initialization Command Words") */
#define ICW1_IC4  0x01 /* ICW4 follows */
#define ICW1_SNGL 0x02 /* single controller: no ICW3 */
#define ICW1_LTIM 0x08 /* level triggered inputs */
#define ICW1_INIT 0x10 /* with A0 = 0: this is ICW1 */
/* ICW4 bits */
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10
/* OCW3 bits (A0 = 0, D4 = 0, D3 = 1) */
#define OCW3_SEL  0x08
#define OCW3_RIS  0x01
#define OCW3_RR   0x02
#define OCW3_P    0x04
#define OCW3_SMM  0x20
#define OCW3_ESMM 0x40

#define CASCADE_IRQ 2 /* the slave's INT on the master's IR2 (PC/AT) */

static const VMStateField pic_fields[] = {
#define PIC_CHIP_FIELDS(n)                                                                         \
    VMSTATE_FIELD(PICState, chip[n].irr), VMSTATE_FIELD(PICState, chip[n].isr),                    \
        VMSTATE_FIELD(PICState, chip[n].imr), VMSTATE_FIELD(PICState, chip[n].pins),               \
        VMSTATE_FIELD(PICState, chip[n].elcr), VMSTATE_FIELD(PICState, chip[n].elcr_mask),         \
        VMSTATE_FIELD(PICState, chip[n].lowest), VMSTATE_FIELD(PICState, chip[n].vector_base),     \
        VMSTATE_FIELD(PICState, chip[n].icw1), VMSTATE_FIELD(PICState, chip[n].icw3),              \
        VMSTATE_FIELD(PICState, chip[n].icw4), VMSTATE_FIELD(PICState, chip[n].init_step),         \
        VMSTATE_FIELD(PICState, chip[n].read_isr), VMSTATE_FIELD(PICState, chip[n].poll),          \
        VMSTATE_FIELD(PICState, chip[n].special_mask),                                             \
        VMSTATE_FIELD(PICState, chip[n].rotate_aeoi)
    PIC_CHIP_FIELDS(0),
    PIC_CHIP_FIELDS(1),
    VMSTATE_FIELD(PICState, int_out),
#undef PIC_CHIP_FIELDS
};
const VMStateDescription pic_vmstate = VMSTATE_DESC("i8259", 1, PICState, pic_fields);

/* the inputs that are level triggered */
static uint8_t level_mask(const PIC8259 *c)
{
    return (c->icw1 & ICW1_LTIM) ? 0xff : c->elcr;
}

/* Priority rank (0 = highest) of the highest-priority bit set in `mask`, or 8 if none. The
   level after `lowest` has the highest priority (datasheet, "Interrupt Priorities": fully
   nested mode is IR0 highest with lowest = 7; rotation moves `lowest`). */
static int highest_rank(const PIC8259 *c, uint8_t mask)
{
    for (int rank = 0; rank < 8; rank++) {
        if (mask & (1u << ((c->lowest + 1 + rank) & 7))) {
            return rank;
        }
    }
    return 8;
}

static int rank_to_level(const PIC8259 *c, int rank)
{
    return (c->lowest + 1 + rank) & 7;
}

/* The level this chip would interrupt the CPU with now, or -1: the highest-priority unmasked
   request, if it outranks everything in service. In special mask mode, levels masked in the
   IMR do not hold off others (datasheet, "Special Mask Mode"); in special fully nested mode the
   master lets a cascaded slave interrupt again while that slave is in service, so a higher
   request on the slave gets through (datasheet, "Special Fully Nested Mode"). */
static int chip_pending(const PIC8259 *c, bool master)
{
    uint8_t req = c->irr & ~c->imr;
    int r = highest_rank(c, req);
    if (r == 8) {
        return -1;
    }
    uint8_t in = c->isr;
    if (c->special_mask) {
        in &= ~c->imr;
    }
    if (master && (c->icw4 & ICW4_SFNM)) {
        in &= ~(1u << CASCADE_IRQ);
    }
    return r < highest_rank(c, in) ? rank_to_level(c, r) : -1;
}

/* A new level on one input (datasheet, "Edge and Level Triggered Modes"). Edge: a low-to-high
   transition sets the IRR bit; the input must then stay high until it is acknowledged, so it
   going low withdraws the request. Level: the IRR bit follows the input. */
static void chip_set_input(PIC8259 *c, int n, int level)
{
    uint8_t bit = (uint8_t)(1u << n);
    if (level_mask(c) & bit) {
        c->irr = level ? c->irr | bit : c->irr & ~bit;
    } else if (level && !(c->pins & bit)) {
        c->irr |= bit;
    } else if (!level) {
        c->irr &= ~bit;
    }
    c->pins = level ? c->pins | bit : c->pins & ~bit;
}

/* Propagate: the slave's INT to the master's IR2, the master's INT to the CPU. */
static void pic_update(PICState *s)
{
    chip_set_input(&s->chip[0], CASCADE_IRQ, chip_pending(&s->chip[1], false) >= 0);
    int level = chip_pending(&s->chip[0], true) >= 0;
    if (level != s->int_out) {
        s->int_out = (uint8_t)level;
        irq_set(&s->intr, level);
    }
}

void pic_set_irq(void *opaque, int irq, int level)
{
    PICState *s = opaque;
    if (irq < 0 || irq > 15) {
        return;
    }
    chip_set_input(&s->chip[irq >> 3], irq & 7, level != 0);
    pic_update(s);
}

/* The first INTA pulse for `level` (datasheet, "Interrupt Sequence"): the ISR bit is set and an
   edge request is consumed (a level request stays as long as the input is high). In automatic
   EOI mode the ISR bit is reset again at the end of the sequence, and with rotate-in-AEOI the
   level becomes the lowest priority (datasheet, "Automatic Rotation"). */
static void chip_ack(PIC8259 *c, int level)
{
    uint8_t bit = (uint8_t)(1u << level);
    if (!(level_mask(c) & bit)) {
        c->irr &= ~bit;
    }
    if (c->icw4 & ICW4_AEOI) {
        if (c->rotate_aeoi) {
            c->lowest = (uint8_t)level;
        }
    } else {
        c->isr |= bit;
    }
}

int pic_intack(void *opaque)
{
    PICState *s = opaque;
    PIC8259 *m = &s->chip[0], *sl = &s->chip[1];
    int vector;
    int irq = chip_pending(m, true);
    if (irq < 0) {
        /* the request went away before INTA: the master answers with IR7 and sets no ISR bit
           (datasheet, "Interrupt Sequence": the default IR7) */
        vector = m->vector_base | 7;
    } else {
        chip_ack(m, irq);
        if (irq == CASCADE_IRQ) {
            /* the slave puts the vector on the bus; it defaults to its own IR7 just the same,
               after the master has set its IR2 in service */
            int irq2 = chip_pending(sl, false);
            if (irq2 < 0) {
                vector = sl->vector_base | 7;
            } else {
                chip_ack(sl, irq2);
                vector = sl->vector_base | irq2;
            }
        } else {
            vector = m->vector_base | irq;
        }
    }
    pic_update(s);
    return vector;
}

/* OCW2 (datasheet, "Operation Command Words", Figure 8 and "End of Interrupt"). */
static void chip_ocw2(PIC8259 *c, uint8_t val)
{
    int l = val & 7;
    switch (val >> 5) {
    case 0: /* 000: rotate in automatic EOI mode (clear) */
        c->rotate_aeoi = 0;
        break;
    case 4: /* 100: rotate in automatic EOI mode (set) */
        c->rotate_aeoi = 1;
        break;
    case 1: /* 001: non-specific EOI: the highest-priority level in service */
    case 5: /* 101: rotate on non-specific EOI: and it becomes the lowest priority */
    {
        int r = highest_rank(c, c->isr);
        if (r < 8) {
            int level = rank_to_level(c, r);
            c->isr &= (uint8_t)~(1u << level);
            if (val >> 5 == 5) {
                c->lowest = (uint8_t)level;
            }
        }
        break;
    }
    case 3: /* 011: specific EOI */
        c->isr &= (uint8_t)~(1u << l);
        break;
    case 7: /* 111: rotate on specific EOI */
        c->isr &= (uint8_t)~(1u << l);
        c->lowest = (uint8_t)l;
        break;
    case 6: /* 110: set priority: L becomes the lowest */
        c->lowest = (uint8_t)l;
        break;
    default: /* 010: no operation */
        break;
    }
}

/* ICW1 (datasheet, "Initialization Command Words"): the edge sense circuit is reset (an input
   must go low-to-high again to request), the IMR is cleared, IR7 gets the lowest priority,
   special mask mode is cleared and reads return the IRR; without IC4 the ICW4 functions are
   all zero. Nothing is in service after initialization either. */
static void chip_icw1(PIC8259 *c, uint8_t val)
{
    c->icw1 = val;
    c->imr = 0;
    c->isr = 0;
    c->irr = c->pins & level_mask(c);
    c->lowest = 7;
    c->special_mask = 0;
    c->read_isr = 0;
    c->poll = 0;
    c->rotate_aeoi = 0;
    if (!(val & ICW1_IC4)) {
        c->icw4 = 0;
    }
    c->init_step = 2;
}

static void chip_write(PICState *s, PIC8259 *c, unsigned a0, uint8_t val)
{
    if (a0 == 0) {
        if (val & ICW1_INIT) {
            chip_icw1(c, val);
        } else if (val & OCW3_SEL) {
            if (val & OCW3_P) {
                c->poll = 1;
            }
            if (val & OCW3_RR) {
                c->read_isr = val & OCW3_RIS;
            }
            if (val & OCW3_ESMM) {
                c->special_mask = (val & OCW3_SMM) != 0;
            }
        } else {
            chip_ocw2(c, val);
        }
    } else {
        switch (c->init_step) {
        case 2: /* ICW2: the vector's T7-T3 (8086 mode) */
            c->vector_base = val & 0xf8;
            c->init_step = !(c->icw1 & ICW1_SNGL) ? 3 : (c->icw1 & ICW1_IC4) ? 4 : 0;
            break;
        case 3: /* ICW3: slaves on a master, the slave's ID on a slave (the wiring is fixed) */
            c->icw3 = val;
            c->init_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
            break;
        case 4:
            c->icw4 = val;
            c->init_step = 0;
            break;
        default: /* OCW1 */
            c->imr = val;
            break;
        }
    }
    pic_update(s);
}

/* Poll command (datasheet, "The Poll Command"): the read is taken as an interrupt
   acknowledge; bit 7 says whether a request was there, bits 2-0 give its level. */
static uint8_t chip_poll(PICState *s, PIC8259 *c, bool master)
{
    c->poll = 0;
    int level = chip_pending(c, master);
    if (level < 0) {
        return 0;
    }
    chip_ack(c, level);
    pic_update(s);
    return (uint8_t)(0x80 | level);
}

static uint8_t chip_read(PICState *s, PIC8259 *c, unsigned a0, bool master)
{
    if (a0) {
        return c->imr; /* OCW1 reads back at A0 = 1 */
    }
    if (c->poll) {
        return chip_poll(s, c, master);
    }
    return c->read_isr ? c->isr : c->irr; /* datasheet, "Reading the 8259A Status" */
}

static uint64_t master_read(void *opaque, uint64_t off, unsigned size)
{
    PICState *s = opaque;
    (void)size;
    return chip_read(s, &s->chip[0], off & 1, true);
}

static void master_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PICState *s = opaque;
    (void)size;
    chip_write(s, &s->chip[0], off & 1, (uint8_t)val);
}

static uint64_t slave_read(void *opaque, uint64_t off, unsigned size)
{
    PICState *s = opaque;
    (void)size;
    return chip_read(s, &s->chip[1], off & 1, false);
}

static void slave_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PICState *s = opaque;
    (void)size;
    chip_write(s, &s->chip[1], off & 1, (uint8_t)val);
}

/* ELCR1 (0x4D0) and ELCR2 (0x4D1); a 16-bit access covers both (PIIX3 datasheet 2.3.x) */
static uint64_t elcr_read(void *opaque, uint64_t off, unsigned size)
{
    PICState *s = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && off + i < 2; i++) {
        v |= (uint64_t)s->chip[off + i].elcr << (8 * i);
    }
    return v;
}

static void elcr_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PICState *s = opaque;
    for (unsigned i = 0; i < size && off + i < 2; i++) {
        PIC8259 *c = &s->chip[off + i];
        c->elcr = (uint8_t)(val >> (8 * i)) & c->elcr_mask;
        /* inputs now level triggered request as long as they are high */
        uint8_t lvl = level_mask(c);
        c->irr = (uint8_t)((c->irr & ~lvl) | (c->pins & lvl));
    }
    pic_update(s);
}

void pic_reset(PICState *s)
{
    for (int i = 0; i < 2; i++) {
        PIC8259 *c = &s->chip[i];
        uint8_t pins = c->pins; /* the inputs are wires: a reset does not change them */
        *c = (PIC8259){.pins = pins, .lowest = 7};
    }
    /* PIIX3: IRQ 0, 1, 2 and 8, 13 are edge triggered only */
    s->chip[0].elcr_mask = 0xf8;
    s->chip[1].elcr_mask = 0xde;
    if (s->int_out) {
        s->int_out = 0;
        irq_set(&s->intr, 0);
    }
}

int pic_init(PICState *s, IOSpace *io, IRQLine intr)
{
    *s = (PICState){.intr = intr};
    pic_reset(s);
    if (io_register(io, "i8259-master", 0x20, 2, master_read, master_write, s) < 0 ||
        io_register(io, "i8259-slave", 0xa0, 2, slave_read, slave_write, s) < 0 ||
        io_register(io, "elcr", 0x4d0, 2, elcr_read, elcr_write, s) < 0) {
        return -1;
    }
    return 0;
}
