/*
 * hw/i8042.h — the PC/AT keyboard controller (an Intel 8042 running IBM's firmware) with a PS/2
 * keyboard and a PS/2 mouse behind it (hw/i8042.c): ports 0x60 (data) and 0x64 (status and
 * command), IRQ 1 (keyboard) and IRQ 12 (mouse), and two output-port lines the board wires:
 * A20 and the processor reset.
 *
 * Host input reaches it through ps2_kbd_event and ps2_mouse_event (called between CPU slices
 * by the board, as events; nothing calls them until a display front end exists).
 */
#ifndef XLAT_HW_I8042_H
#define XLAT_HW_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

#define PS2_QUEUE_SIZE 16

typedef struct PS2Queue {
    uint8_t data[PS2_QUEUE_SIZE];
    uint8_t head, count;
} PS2Queue;

typedef struct PS2Keyboard {
    PS2Queue q;
    uint8_t scanning;    /* enabled (F4) or disabled (F5) */
    uint8_t scan_set;    /* 1, 2 or 3 (F0) */
    uint8_t leds;        /* ED */
    uint8_t typematic;   /* F3 */
    uint8_t arg_for;     /* a command waiting for its argument byte, or 0 */
    uint8_t last;        /* the last byte sent (FE: resend) */
} PS2Keyboard;

typedef struct PS2Mouse {
    PS2Queue q;
    uint8_t reporting;   /* data reporting enabled (F4) */
    uint8_t remote;      /* remote mode (F0) rather than stream mode (EA) */
    uint8_t wrap;        /* wrap (echo) mode (EE, EC) */
    uint8_t scaling21;   /* 2:1 scaling (E7) */
    uint8_t resolution;  /* E8: 0-3 */
    uint8_t sample_rate; /* F3 */
    uint8_t buttons;     /* bit 0 left, 1 right, 2 middle */
    uint8_t arg_for;
    uint8_t last;
    int16_t dx, dy;      /* movement not yet reported */
} PS2Mouse;

typedef struct I8042State {
    uint8_t cmd_byte;   /* controller RAM byte 0, "the command byte" */
    uint8_t last_cmd;   /* status bit 3: the last write went to port 0x64 */
    uint8_t outport;    /* output port: bit 0 processor reset (1: running), bit 1 A20 */
    uint8_t ob;         /* output buffer */
    uint8_t ob_full, ob_aux;
    uint8_t arg_for;    /* a controller command waiting for its data byte, or 0 */
    uint8_t xlat_break; /* translation: the keyboard's F0 (break) prefix was seen */
    uint8_t irq_kbd_level, irq_aux_level;
    PS2Queue ctl;       /* the controller's own replies, ahead of the devices' bytes */
    PS2Keyboard kbd;
    PS2Mouse mouse;
    IRQLine irq_kbd, irq_aux; /* wiring: IRQ 1, IRQ 12 */
    IRQLine a20;              /* level 1: A20 on */
    IRQLine reset;            /* a pulse resets the processor */
} I8042State;

extern const VMStateDescription i8042_vmstate;

int i8042_init(I8042State *s, IOSpace *io, IRQLine irq_kbd, IRQLine irq_aux, IRQLine a20,
               IRQLine reset);
void i8042_reset(I8042State *s);
/* A key, as the keyboard sends it in scan code set 2 (make code, or F0 + code for a break;
   E0-prefixed keys as their two or three bytes). Dropped while scanning is disabled. */
void ps2_kbd_event(I8042State *s, const uint8_t *codes, int n);
/* Mouse movement (dy positive is up, as PS/2 reports it) and buttons (bit 0 left, 1 right,
   2 middle). */
void ps2_mouse_event(I8042State *s, int dx, int dy, unsigned buttons);

#endif
