/*
 * hw/port92.c — System Control Port A at 0x92, the "fast A20 and fast reset" port PS/2 machines
 * introduced and every PC chipset since keeps.
 *
 * Follows the Intel 82371SB (PIIX3) datasheet, "Port 92h": bit 1 FAST_A20 (R/W) gates address
 * line 20 together with the keyboard controller's A20 output (either one turns A20 on); bit 0
 * FAST_INIT (R/W): writing it from 0 to 1 pulses INIT to the processor; bits 7-2 are reserved
 * and read 0. Bit 0 reads back as written, so a guest must clear it before the next reset.
 *
 * Owns: Port92State. The A20 and INIT signals go to the board through IRQ lines
 * (softmmu/machine.c: machine_set_a20, machine_request_reset).
 */
#include "hw/port92.h"

#define P92_INIT 0x01
#define P92_A20  0x02

static const VMStateField port92_fields[] = {
    VMSTATE_FIELD(Port92State, value),
};
const VMStateDescription port92_vmstate =
    VMSTATE_DESC("port92", 1, Port92State, port92_fields);

static uint64_t port92_read(void *opaque, uint64_t off, unsigned size)
{
    Port92State *s = opaque;
    (void)off;
    (void)size;
    return s->value;
}

static void port92_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Port92State *s = opaque;
    (void)off;
    (void)size;
    uint8_t old = s->value;
    s->value = (uint8_t)val & (P92_INIT | P92_A20);
    if ((old ^ s->value) & P92_A20) {
        irq_set(&s->a20, (s->value & P92_A20) != 0);
    }
    if (!(old & P92_INIT) && (s->value & P92_INIT)) {
        irq_set(&s->init, 1); /* a pulse: the board resets the processor */
    }
}

void port92_reset(Port92State *s)
{
    /* PIIX3: both bits are 0 after reset */
    if (s->value & P92_A20) {
        irq_set(&s->a20, 0);
    }
    s->value = 0;
}

int port92_init(Port92State *s, IOSpace *io, IRQLine a20, IRQLine init)
{
    *s = (Port92State){.a20 = a20, .init = init};
    return io_register(io, "port92", 0x92, 1, port92_read, port92_write, s) < 0 ? -1 : 0;
}
