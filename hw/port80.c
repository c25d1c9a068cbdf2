/*
 * hw/port80.c — the POST code port 0x80. A PC BIOS writes a byte there at each step of its
 * power-on self test, for a diagnostic card on the bus to display; operating systems write to
 * it as a short I/O delay. With `-d post` each code is logged ("POST: 0xNN"). Nothing answers
 * reads on a PC, so they float to all ones, like any port nobody decodes; unlike one, it is not
 * reported by `-d unimp`.
 *
 * Owns: Port80State (the last code, kept for the monitor later).
 */
#include <inttypes.h>

#include "hw/port92.h"

static const VMStateField port80_fields[] = {
    VMSTATE_FIELD(Port80State, last),
};
const VMStateDescription port80_vmstate =
    VMSTATE_DESC("port80", 1, Port80State, port80_fields);

static uint64_t port80_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    (void)off;
    return mem_ones(size);
}

static void port80_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Port80State *s = opaque;
    (void)off;
    (void)size;
    s->last = (uint8_t)val;
    if (s->log) {
        fprintf(s->log, "POST: 0x%02x\n", s->last);
    }
}

int port80_init(Port80State *s, IOSpace *io, FILE *log)
{
    *s = (Port80State){.log = log};
    return io_register(io, "post", 0x80, 1, port80_read, port80_write, s) < 0 ? -1 : 0;
}
