/*
 * hw/i8042.c — the PC/AT keyboard controller: an Intel 8042 with IBM's firmware, at ports 0x60
 * (data) and 0x64 (status on read, commands on write), with a PS/2 keyboard (IRQ 1) and a PS/2
 * mouse (IRQ 12) behind it.
 *
 * Follows the IBM PS/2 Hardware Interface Technical Reference, "Keyboard/Auxiliary Device
 * Controller" (status register, the command byte and its bits, controller commands 20h-FFh,
 * the output port with the processor reset on bit 0 and the A20 gate on bit 1, translation of
 * scan code set 2 into set 1) and its "Keyboard" and "Pointing Device" chapters (the device
 * commands and their replies: FA acknowledge, FE resend, AA self-test passed, the keyboard ID
 * AB 83, the mouse ID 00, the mouse status bytes and 3-byte stream packets). Also commands DD/DF
 * (A20 off/on), which many later controllers have.
 *
 * One byte at a time goes from the devices to the output buffer, the controller's own replies
 * first, then the keyboard's, then the mouse's; IRQ 1 or 12 is asserted while a byte from that
 * device waits there and its interrupt is enabled in the command byte. Translation (command byte
 * bit 6) is done as the keyboard's bytes enter the output buffer, as the 8042 does it: F0 is
 * swallowed and sets bit 7 of the next byte. Its table here covers every code a key of the
 * 102-key keyboard sends in set 2 (and the F7 oddity 83h -> 41h); the other codes no key sends
 * pass through unchanged.
 *
 * Owns: I8042State (controller, keyboard, mouse). A20 and reset go to the board through IRQ
 * lines (softmmu/machine.c: machine_set_a20, machine_request_reset).
 */
#include <stddef.h>

#include "hw/i8042.h"

/* status register (port 0x64, read) */
#define STAT_OBF    0x01
#define STAT_SYS    0x04 /* system flag: copy of command byte bit 2 */
#define STAT_CMD    0x08 /* the last write was to port 0x64 */
#define STAT_UNLOCK 0x10 /* keyboard not inhibited by the key lock */
#define STAT_AUXOBF 0x20 /* the byte in the output buffer is the mouse's */
/* command byte */
#define CB_KBD_INT  0x01
#define CB_AUX_INT  0x02
#define CB_SYS      0x04
#define CB_KBD_OFF  0x10
#define CB_AUX_OFF  0x20
#define CB_XLATE    0x40
/* output port */
#define OUT_RESET   0x01 /* 0 holds the processor in reset */
#define OUT_A20     0x02
#define OUT_KBD_IRQ 0x10
#define OUT_AUX_IRQ 0x20
/* device replies */
#define PS2_ACK    0xfa
#define PS2_RESEND 0xfe
#define PS2_BAT_OK 0xaa

static const VMStateField i8042_fields[] = {
    VMSTATE_FIELD(I8042State, cmd_byte),      VMSTATE_FIELD(I8042State, last_cmd),
    VMSTATE_FIELD(I8042State, outport),       VMSTATE_FIELD(I8042State, ob),
    VMSTATE_FIELD(I8042State, ob_full),       VMSTATE_FIELD(I8042State, ob_aux),
    VMSTATE_FIELD(I8042State, arg_for),       VMSTATE_FIELD(I8042State, xlat_break),
    VMSTATE_FIELD(I8042State, irq_kbd_level), VMSTATE_FIELD(I8042State, irq_aux_level),
    VMSTATE_FIELD(I8042State, ctl.data),      VMSTATE_FIELD(I8042State, ctl.head),
    VMSTATE_FIELD(I8042State, ctl.count),     VMSTATE_FIELD(I8042State, kbd.q.data),
    VMSTATE_FIELD(I8042State, kbd.q.head),    VMSTATE_FIELD(I8042State, kbd.q.count),
    VMSTATE_FIELD(I8042State, kbd.scanning),  VMSTATE_FIELD(I8042State, kbd.scan_set),
    VMSTATE_FIELD(I8042State, kbd.leds),      VMSTATE_FIELD(I8042State, kbd.typematic),
    VMSTATE_FIELD(I8042State, kbd.arg_for),   VMSTATE_FIELD(I8042State, kbd.last),
    VMSTATE_FIELD(I8042State, mouse.q.data),  VMSTATE_FIELD(I8042State, mouse.q.head),
    VMSTATE_FIELD(I8042State, mouse.q.count), VMSTATE_FIELD(I8042State, mouse.reporting),
    VMSTATE_FIELD(I8042State, mouse.remote),  VMSTATE_FIELD(I8042State, mouse.wrap),
    VMSTATE_FIELD(I8042State, mouse.scaling21), VMSTATE_FIELD(I8042State, mouse.resolution),
    VMSTATE_FIELD(I8042State, mouse.sample_rate), VMSTATE_FIELD(I8042State, mouse.buttons),
    VMSTATE_FIELD(I8042State, mouse.arg_for), VMSTATE_FIELD(I8042State, mouse.last),
    VMSTATE_FIELD(I8042State, mouse.dx),      VMSTATE_FIELD(I8042State, mouse.dy),
};
const VMStateDescription i8042_vmstate = VMSTATE_DESC("i8042", 1, I8042State, i8042_fields);

/* Set 2 -> set 1, for the keys of the 102-key keyboard (IBM's scan code tables; extended keys
   are E0 followed by the code of the key they duplicate, translated the same way). */
static const uint8_t xlate_set2[0x85] = {
    [0x76] = 0x01, [0x16] = 0x02, [0x1e] = 0x03, [0x26] = 0x04, [0x25] = 0x05, [0x2e] = 0x06,
    [0x36] = 0x07, [0x3d] = 0x08, [0x3e] = 0x09, [0x46] = 0x0a, [0x45] = 0x0b, [0x4e] = 0x0c,
    [0x55] = 0x0d, [0x66] = 0x0e, [0x0d] = 0x0f, [0x15] = 0x10, [0x1d] = 0x11, [0x24] = 0x12,
    [0x2d] = 0x13, [0x2c] = 0x14, [0x35] = 0x15, [0x3c] = 0x16, [0x43] = 0x17, [0x44] = 0x18,
    [0x4d] = 0x19, [0x54] = 0x1a, [0x5b] = 0x1b, [0x5a] = 0x1c, [0x14] = 0x1d, [0x1c] = 0x1e,
    [0x1b] = 0x1f, [0x23] = 0x20, [0x2b] = 0x21, [0x34] = 0x22, [0x33] = 0x23, [0x3b] = 0x24,
    [0x42] = 0x25, [0x4b] = 0x26, [0x4c] = 0x27, [0x52] = 0x28, [0x0e] = 0x29, [0x12] = 0x2a,
    [0x5d] = 0x2b, [0x1a] = 0x2c, [0x22] = 0x2d, [0x21] = 0x2e, [0x2a] = 0x2f, [0x32] = 0x30,
    [0x31] = 0x31, [0x3a] = 0x32, [0x41] = 0x33, [0x49] = 0x34, [0x4a] = 0x35, [0x59] = 0x36,
    [0x7c] = 0x37, [0x11] = 0x38, [0x29] = 0x39, [0x58] = 0x3a, [0x05] = 0x3b, [0x06] = 0x3c,
    [0x04] = 0x3d, [0x0c] = 0x3e, [0x03] = 0x3f, [0x0b] = 0x40, [0x83] = 0x41, [0x0a] = 0x42,
    [0x01] = 0x43, [0x09] = 0x44, [0x77] = 0x45, [0x7e] = 0x46, [0x6c] = 0x47, [0x75] = 0x48,
    [0x7d] = 0x49, [0x7b] = 0x4a, [0x6b] = 0x4b, [0x73] = 0x4c, [0x74] = 0x4d, [0x79] = 0x4e,
    [0x69] = 0x4f, [0x72] = 0x50, [0x7a] = 0x51, [0x70] = 0x52, [0x71] = 0x53, [0x84] = 0x54,
    [0x61] = 0x56, [0x78] = 0x57, [0x07] = 0x58,
};

static uint8_t translate(uint8_t code)
{
    if (code < sizeof(xlate_set2) && xlate_set2[code]) {
        return xlate_set2[code];
    }
    return code;
}

/* ---- queues ----------------------------------------------------------------------------------- */

static void q_put(PS2Queue *q, uint8_t b)
{
    if (q->count < PS2_QUEUE_SIZE) {
        q->data[(q->head + q->count) % PS2_QUEUE_SIZE] = b;
        q->count++;
    } /* else: the device's buffer overflowed; the byte is lost */
}

static uint8_t q_get(PS2Queue *q)
{
    uint8_t b = q->data[q->head];
    q->head = (uint8_t)((q->head + 1) % PS2_QUEUE_SIZE);
    q->count--;
    return b;
}

static void q_clear(PS2Queue *q)
{
    q->head = q->count = 0;
}

/* ---- the controller's output buffer and interrupts -------------------------------------------- */

static void update_irqs(I8042State *s)
{
    int kbd = s->ob_full && !s->ob_aux && (s->cmd_byte & CB_KBD_INT);
    int aux = s->ob_full && s->ob_aux && (s->cmd_byte & CB_AUX_INT);
    if (kbd != s->irq_kbd_level) {
        s->irq_kbd_level = (uint8_t)kbd;
        irq_set(&s->irq_kbd, kbd);
    }
    if (aux != s->irq_aux_level) {
        s->irq_aux_level = (uint8_t)aux;
        irq_set(&s->irq_aux, aux);
    }
}

/* Move the next byte into an empty output buffer, and drive the interrupts. */
static void update(I8042State *s)
{
    while (!s->ob_full) {
        if (s->ctl.count) {
            s->ob = q_get(&s->ctl);
            s->ob_aux = 0;
        } else if (s->kbd.q.count && !(s->cmd_byte & CB_KBD_OFF)) {
            uint8_t b = q_get(&s->kbd.q);
            if (s->cmd_byte & CB_XLATE) {
                if (b == 0xf0) {
                    s->xlat_break = 1; /* the next code is a break: bit 7 set */
                    continue;
                }
                b = translate(b);
                if (s->xlat_break) {
                    b |= 0x80;
                    s->xlat_break = 0;
                }
            }
            s->ob = b;
            s->ob_aux = 0;
        } else if (s->mouse.q.count && !(s->cmd_byte & CB_AUX_OFF)) {
            s->ob = q_get(&s->mouse.q);
            s->ob_aux = 1;
        } else {
            break;
        }
        s->ob_full = 1;
    }
    update_irqs(s);
}

/* the output port, with A20 and the reset line going to the board */
static void set_outport(I8042State *s, uint8_t val)
{
    uint8_t old = s->outport;
    s->outport = val;
    if ((old ^ val) & OUT_A20) {
        irq_set(&s->a20, (val & OUT_A20) != 0);
    }
    if (!(val & OUT_RESET)) {
        /* bit 0 low holds the processor in reset; the firmware lets it go again */
        s->outport |= OUT_RESET;
        irq_set(&s->reset, 1);
    }
}

/* ---- the keyboard ----------------------------------------------------------------------------- */

static void kbd_send(PS2Keyboard *k, uint8_t b)
{
    k->last = b;
    q_put(&k->q, b);
}

static void kbd_defaults(PS2Keyboard *k)
{
    k->scan_set = 2;
    k->typematic = 0x2b; /* 10.9 characters/s after 500 ms */
    k->leds = 0;
}

static void kbd_write(PS2Keyboard *k, uint8_t b)
{
    if (k->arg_for) {
        uint8_t cmd = k->arg_for;
        k->arg_for = 0;
        switch (cmd) {
        case 0xed: /* set LEDs */
            k->leds = b & 7;
            kbd_send(k, PS2_ACK);
            return;
        case 0xf3: /* typematic rate and delay */
            k->typematic = b & 0x7f;
            kbd_send(k, PS2_ACK);
            return;
        case 0xf0: /* select scan code set (0: report it) */
            if (b == 0) {
                kbd_send(k, PS2_ACK);
                kbd_send(k, k->scan_set);
            } else if (b <= 3) {
                k->scan_set = b;
                kbd_send(k, PS2_ACK);
            } else {
                kbd_send(k, PS2_RESEND);
            }
            return;
        default:
            break; /* not an argument after all: a command */
        }
    }
    switch (b) {
    case 0xed:
    case 0xf3:
    case 0xf0:
        k->arg_for = b;
        kbd_send(k, PS2_ACK);
        break;
    case 0xee: /* echo */
        kbd_send(k, 0xee);
        break;
    case 0xf2: /* read ID: AB 83 for the MF2 keyboard */
        kbd_send(k, PS2_ACK);
        kbd_send(k, 0xab);
        kbd_send(k, 0x83);
        break;
    case 0xf4: /* enable: clears its buffer and scans */
        q_clear(&k->q);
        k->scanning = 1;
        kbd_send(k, PS2_ACK);
        break;
    case 0xf5: /* default disable */
        kbd_defaults(k);
        q_clear(&k->q);
        k->scanning = 0;
        kbd_send(k, PS2_ACK);
        break;
    case 0xf6: /* set default */
        kbd_defaults(k);
        q_clear(&k->q);
        k->scanning = 1;
        kbd_send(k, PS2_ACK);
        break;
    case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd:
        kbd_send(k, PS2_ACK); /* set 3 key types: accepted */
        break;
    case 0xfe: /* resend */
        q_put(&k->q, k->last);
        break;
    case 0xff: /* reset: acknowledge, then the basic assurance test passes */
        kbd_defaults(k);
        q_clear(&k->q);
        k->scanning = 1;
        kbd_send(k, PS2_ACK);
        kbd_send(k, PS2_BAT_OK);
        break;
    default:
        kbd_send(k, PS2_RESEND);
        break;
    }
}

void ps2_kbd_event(I8042State *s, const uint8_t *codes, int n)
{
    if (!s->kbd.scanning) {
        return;
    }
    for (int i = 0; i < n; i++) {
        q_put(&s->kbd.q, codes[i]);
    }
    update(s);
}

/* ---- the mouse -------------------------------------------------------------------------------- */

static void mouse_send(PS2Mouse *m, uint8_t b)
{
    m->last = b;
    q_put(&m->q, b);
}

static void mouse_defaults(PS2Mouse *m)
{
    m->sample_rate = 100;
    m->resolution = 2; /* 4 counts/mm */
    m->scaling21 = 0;
    m->reporting = 0;
    m->remote = 0;
    m->dx = m->dy = 0;
}

/* one movement packet (Pointing Device chapter: byte 1 Y overflow, X overflow, Y sign, X sign,
   1, middle, right, left; then X and Y as 9-bit two's complement with the sign in byte 1) */
static void mouse_packet(PS2Mouse *m)
{
    int dx = m->dx, dy = m->dy;
    uint8_t b0 = 0x08 | (m->buttons & 7);
    if (dx > 255 || dx < -256) {
        b0 |= 0x40;
        dx = dx > 0 ? 255 : -256;
    }
    if (dy > 255 || dy < -256) {
        b0 |= 0x80;
        dy = dy > 0 ? 255 : -256;
    }
    if (dx < 0) {
        b0 |= 0x10;
    }
    if (dy < 0) {
        b0 |= 0x20;
    }
    mouse_send(m, b0);
    mouse_send(m, (uint8_t)dx);
    mouse_send(m, (uint8_t)dy);
    m->dx = m->dy = 0;
}

static void mouse_write(PS2Mouse *m, uint8_t b)
{
    if (m->arg_for) {
        uint8_t cmd = m->arg_for;
        m->arg_for = 0;
        if (cmd == 0xf3) {
            m->sample_rate = b;
        } else {
            m->resolution = b & 3; /* E8 */
        }
        mouse_send(m, PS2_ACK);
        return;
    }
    if (m->wrap && b != 0xec && b != 0xff) {
        mouse_send(m, b); /* wrap mode echoes everything but its way out */
        return;
    }
    switch (b) {
    case 0xe6: /* scaling 1:1 */
        m->scaling21 = 0;
        mouse_send(m, PS2_ACK);
        break;
    case 0xe7: /* scaling 2:1 */
        m->scaling21 = 1;
        mouse_send(m, PS2_ACK);
        break;
    case 0xe8: /* set resolution */
    case 0xf3: /* set sample rate */
        m->arg_for = b;
        mouse_send(m, PS2_ACK);
        break;
    case 0xe9: /* status request */
        mouse_send(m, PS2_ACK);
        mouse_send(m, (uint8_t)((m->remote ? 0x40 : 0) | (m->reporting ? 0x20 : 0) |
                                (m->scaling21 ? 0x10 : 0) | ((m->buttons & 1) ? 0x04 : 0) |
                                ((m->buttons & 4) ? 0x02 : 0) | ((m->buttons & 2) ? 0x01 : 0)));
        mouse_send(m, m->resolution);
        mouse_send(m, m->sample_rate);
        break;
    case 0xea: /* stream mode */
        m->remote = 0;
        mouse_send(m, PS2_ACK);
        break;
    case 0xeb: /* read data */
        mouse_send(m, PS2_ACK);
        mouse_packet(m);
        break;
    case 0xec: /* reset wrap mode */
        m->wrap = 0;
        mouse_send(m, PS2_ACK);
        break;
    case 0xee: /* wrap mode */
        m->wrap = 1;
        mouse_send(m, PS2_ACK);
        break;
    case 0xf0: /* remote mode */
        m->remote = 1;
        mouse_send(m, PS2_ACK);
        break;
    case 0xf2: /* read device type: 00, a standard mouse */
        mouse_send(m, PS2_ACK);
        mouse_send(m, 0x00);
        break;
    case 0xf4: /* enable data reporting */
        m->reporting = 1;
        mouse_send(m, PS2_ACK);
        break;
    case 0xf5: /* disable data reporting */
        m->reporting = 0;
        mouse_send(m, PS2_ACK);
        break;
    case 0xf6: /* set defaults */
        mouse_defaults(m);
        mouse_send(m, PS2_ACK);
        break;
    case 0xfe: /* resend */
        q_put(&m->q, m->last);
        break;
    case 0xff: /* reset: acknowledge, test passed, device type */
        mouse_defaults(m);
        m->wrap = 0;
        q_clear(&m->q);
        mouse_send(m, PS2_ACK);
        mouse_send(m, PS2_BAT_OK);
        mouse_send(m, 0x00);
        break;
    default:
        mouse_send(m, PS2_RESEND);
        break;
    }
}

void ps2_mouse_event(I8042State *s, int dx, int dy, unsigned buttons)
{
    PS2Mouse *m = &s->mouse;
    bool changed = (buttons & 7) != m->buttons;
    m->buttons = (uint8_t)(buttons & 7);
    m->dx = (int16_t)(m->dx + dx);
    m->dy = (int16_t)(m->dy + dy);
    if (m->reporting && !m->remote && (dx || dy || changed)) {
        mouse_packet(m);
        update(s);
    }
}

/* ---- ports ------------------------------------------------------------------------------------ */

static void ctl_reply(I8042State *s, uint8_t b)
{
    q_put(&s->ctl, b);
}

static void controller_command(I8042State *s, uint8_t cmd)
{
    switch (cmd) {
    case 0x20: /* read the command byte */
        ctl_reply(s, s->cmd_byte);
        break;
    case 0x60: /* write the command byte */
    case 0xd1: /* write the output port */
    case 0xd2: /* write the keyboard output buffer */
    case 0xd3: /* write the mouse output buffer */
    case 0xd4: /* write to the mouse */
        s->arg_for = cmd;
        break;
    case 0xa7: /* disable the mouse interface */
        s->cmd_byte |= CB_AUX_OFF;
        break;
    case 0xa8: /* enable the mouse interface */
        s->cmd_byte &= ~CB_AUX_OFF;
        break;
    case 0xa9: /* test the mouse interface: 00, no error */
    case 0xab: /* test the keyboard interface */
        ctl_reply(s, 0x00);
        break;
    case 0xaa: /* self-test: 55 */
        ctl_reply(s, 0x55);
        break;
    case 0xad: /* disable the keyboard interface */
        s->cmd_byte |= CB_KBD_OFF;
        break;
    case 0xae: /* enable the keyboard interface */
        s->cmd_byte &= ~CB_KBD_OFF;
        break;
    case 0xc0: /* read the input port: bit 7, keyboard not inhibited */
        ctl_reply(s, 0x80);
        break;
    case 0xd0: /* read the output port, with the interrupt lines as they are */
        ctl_reply(s, (uint8_t)((s->outport & ~(OUT_KBD_IRQ | OUT_AUX_IRQ)) |
                               (s->irq_kbd_level ? OUT_KBD_IRQ : 0) |
                               (s->irq_aux_level ? OUT_AUX_IRQ : 0)));
        break;
    case 0xdd: /* A20 off */
        set_outport(s, s->outport & ~OUT_A20);
        break;
    case 0xdf: /* A20 on */
        set_outport(s, s->outport | OUT_A20);
        break;
    case 0xe0: /* read test inputs */
        ctl_reply(s, 0x00);
        break;
    default:
        if (cmd >= 0xf0) {
            /* pulse the output port bits whose command bits 3-0 are 0: bit 0 is the reset */
            if (!(cmd & 1)) {
                set_outport(s, s->outport & ~OUT_RESET);
            }
        }
        break; /* other commands: nothing */
    }
}

static void data_write(I8042State *s, uint8_t b)
{
    uint8_t cmd = s->arg_for;
    s->arg_for = 0;
    switch (cmd) {
    case 0x60:
        s->cmd_byte = b & 0x7f;
        break;
    case 0xd1:
        set_outport(s, b);
        break;
    case 0xd2:
        q_put(&s->kbd.q, b); /* as if the keyboard had sent it */
        break;
    case 0xd3:
        q_put(&s->mouse.q, b);
        break;
    case 0xd4:
        mouse_write(&s->mouse, b);
        break;
    default:
        /* to the keyboard; sending to it enables its interface again */
        s->cmd_byte &= ~CB_KBD_OFF;
        kbd_write(&s->kbd, b);
        break;
    }
}

static uint64_t data_port_read(void *opaque, uint64_t off, unsigned size)
{
    I8042State *s = opaque;
    (void)off;
    (void)size;
    uint8_t b = s->ob; /* reading with nothing new gives the last byte again */
    s->ob_full = 0;
    /* the interrupt goes away with the byte; the next one, if any, raises it again: an edge
       for the (edge-triggered) 8259 */
    update_irqs(s);
    update(s);
    return b;
}

static void data_port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    I8042State *s = opaque;
    (void)off;
    (void)size;
    s->last_cmd = 0;
    data_write(s, (uint8_t)val);
    update(s);
}

static uint64_t status_port_read(void *opaque, uint64_t off, unsigned size)
{
    I8042State *s = opaque;
    (void)off;
    (void)size;
    /* the input buffer is never full: the controller takes each byte at once */
    return (s->ob_full ? STAT_OBF : 0) | (s->cmd_byte & CB_SYS) | (s->last_cmd ? STAT_CMD : 0) |
           STAT_UNLOCK | (s->ob_full && s->ob_aux ? STAT_AUXOBF : 0);
}

static void command_port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    I8042State *s = opaque;
    (void)off;
    (void)size;
    s->last_cmd = 1;
    controller_command(s, (uint8_t)val);
    update(s);
}

void i8042_reset(I8042State *s)
{
    /* after the controller's reset: interrupts off, both interfaces on, translation off (a
       BIOS writes the command byte it wants); output port with the processor running and A20
       on; the devices reset */
    s->cmd_byte = 0;
    s->last_cmd = 0;
    s->ob = 0;
    s->ob_full = s->ob_aux = 0;
    s->arg_for = 0;
    s->xlat_break = 0;
    q_clear(&s->ctl);
    s->kbd = (PS2Keyboard){.scanning = 1};
    kbd_defaults(&s->kbd);
    s->mouse = (PS2Mouse){0};
    mouse_defaults(&s->mouse);
    set_outport(s, 0xcf); /* reset line high, A20 on, bits 2-3 high, no interrupts */
    update(s);
}

int i8042_init(I8042State *s, IOSpace *io, IRQLine irq_kbd, IRQLine irq_aux, IRQLine a20,
               IRQLine reset)
{
    *s = (I8042State){.irq_kbd = irq_kbd, .irq_aux = irq_aux, .a20 = a20, .reset = reset};
    i8042_reset(s);
    if (io_register(io, "i8042-data", 0x60, 1, data_port_read, data_port_write, s) < 0 ||
        io_register(io, "i8042-cmd", 0x64, 1, status_port_read, command_port_write, s) < 0) {
        return -1;
    }
    return 0;
}
