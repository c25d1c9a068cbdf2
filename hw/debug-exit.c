/*
 * hw/debug-exit.c — QEMU's isa-debug-exit: writing a value V to any of its ports ends the
 * machine with exit status (V << 1) | 1, so a test ROM can report success or failure without
 * being confused with a normal exit of the emulator (status 0).
 *
 * Owns: nothing but its port range (-device isa-debug-exit,iobase=0xf4,iosize=0x04).
 */
#include <assert.h>

#include "softmmu/machine.h"

static uint64_t debugexit_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)size;
    return 0; /* as QEMU's device: reads have no effect and return 0 */
}

static void debugexit_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    Machine *m = opaque;
    (void)offset;
    (void)size;
    /* a process exit status keeps the low 8 bits; keep exactly those so machine_run returns
       what the shell will see */
    machine_request_exit(m, (int)(((val << 1) | 1) & 0xff));
}

void debugexit_init(Machine *m, uint16_t iobase, uint16_t iosize)
{
    m->debugexit.iobase = iobase;
    m->debugexit.iosize = iosize;
    int r =
        io_register(&m->io, "isa-debug-exit", iobase, iosize, debugexit_read, debugexit_write, m);
    /* machine_create checks the range is free and inside the port space */
    assert(r >= 0);
    (void)r;
}
