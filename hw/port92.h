/*
 * hw/port92.h — the PC's System Control Port A at 0x92 ("fast A20" and "fast reset",
 * hw/port92.c) and the POST code port 0x80 (hw/port80.c).
 */
#ifndef XLAT_HW_PORT92_H
#define XLAT_HW_PORT92_H

#include <stdint.h>
#include <stdio.h>

#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

typedef struct Port92State {
    uint8_t value; /* bits 0 (INIT) and 1 (A20) as last written */
    IRQLine a20;   /* wiring: level 1 = this port asks for A20 on */
    IRQLine init;  /* wiring: a pulse (1) resets the processor */
} Port92State;

extern const VMStateDescription port92_vmstate;

int port92_init(Port92State *s, IOSpace *io, IRQLine a20, IRQLine init);
void port92_reset(Port92State *s);

typedef struct Port80State {
    uint8_t last; /* the last POST code written */
    FILE *log;    /* wiring: where -d post writes each code (NULL: not logged) */
} Port80State;

extern const VMStateDescription port80_vmstate;

int port80_init(Port80State *s, IOSpace *io, FILE *log);

#endif
