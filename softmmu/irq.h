/*
 * softmmu/irq.h — an interrupt request line: how a device signals an interrupt controller
 * (DESIGN.md, house rules: devices talk to the rest through IRQ lines).
 *
 * A device holds an IRQLine and drives it with irq_set(line, level); the board fills the line in
 * (for the ISA interrupts: pic_irq_line(&m->pic, n), hw/i8259.h). The line is wiring, not state:
 * it is not in the device's snapshot table. An unconnected line (all zero) drops the signal, so
 * a device can be unit-tested alone, or with a test's own handler on the line.
 */
#ifndef XLAT_SOFTMMU_IRQ_H
#define XLAT_SOFTMMU_IRQ_H

typedef void (*IRQHandler)(void *opaque, int n, int level);

typedef struct IRQLine {
    IRQHandler handler;
    void *opaque;
    int n; /* which input of the receiver */
} IRQLine;

static inline IRQLine irq_line(IRQHandler handler, void *opaque, int n)
{
    IRQLine l = {handler, opaque, n};
    return l;
}

/* Drive the line: level 1 (asserted) or 0. Receivers see every call, also repeated levels. */
static inline void irq_set(const IRQLine *l, int level)
{
    if (l->handler) {
        l->handler(l->opaque, l->n, level);
    }
}

#endif
