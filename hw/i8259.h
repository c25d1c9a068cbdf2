/*
 * hw/i8259.h — the PC's pair of Intel 8259A programmable interrupt controllers (hw/i8259.c).
 *
 * Devices raise ISA interrupts 0-15 through an IRQLine from pic_irq_line (IRQ 0-7 on the master
 * at ports 0x20/0x21, 8-15 on the slave at 0xA0/0xA1, cascaded on the master's IR2). The
 * master's INT output drives `intr` (the board connects it to the CPU's INTR pin) and the CPU's
 * interrupt acknowledge cycle calls pic_intack for the vector.
 */
#ifndef XLAT_HW_I8259_H
#define XLAT_HW_I8259_H

#include <stdint.h>

#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

/* one 8259A (every field is state) */
typedef struct PIC8259 {
    uint8_t irr;          /* interrupt request register */
    uint8_t isr;          /* in-service register */
    uint8_t imr;          /* interrupt mask register (OCW1) */
    uint8_t pins;         /* levels of the IR0-IR7 inputs */
    uint8_t elcr;         /* edge/level control register (1: level) */
    uint8_t elcr_mask;    /* the ELCR bits that exist on this chip */
    uint8_t lowest;       /* the level with the lowest priority (rotation) */
    uint8_t vector_base;  /* ICW2: T7-T3 */
    uint8_t icw1, icw3, icw4;
    uint8_t init_step;    /* 0: operational; 2, 3, 4: the ICW expected next */
    uint8_t read_isr;     /* OCW3 RIS: a read of the even port returns the ISR, else the IRR */
    uint8_t poll;         /* OCW3 P: the next read of the even port is a poll */
    uint8_t special_mask; /* OCW3 SMM */
    uint8_t rotate_aeoi;  /* OCW2: rotate in automatic EOI mode */
} PIC8259;

typedef struct PICState {
    PIC8259 chip[2]; /* [0] master, [1] slave */
    uint8_t int_out; /* the level last driven on intr */
    IRQLine intr;    /* wiring: the master's INT output */
} PICState;

extern const VMStateDescription pic_vmstate;

/* Reset both chips and register their ports (0x20, 0x21, 0xA0, 0xA1) and the ELCR (0x4D0,
   0x4D1) on `io`. Returns -1 if a port is taken. */
int pic_init(PICState *s, IOSpace *io, IRQLine intr);
void pic_reset(PICState *s);
/* Drive ISA interrupt input `irq` (0-15); an IRQHandler, so IRQLines can point at it. */
void pic_set_irq(void *opaque, int irq, int level);
static inline IRQLine pic_irq_line(PICState *s, int irq)
{
    return irq_line(pic_set_irq, s, irq);
}
/* The CPU's INTA cycle: the vector of the highest-priority request, which goes in service.
   Has the signature x86_cpu_set_intr_ack wants. */
int pic_intack(void *opaque);

#endif
