/*
 * hw/debugcon.c — the Bochs/QEMU debug console (isa-debugcon): a byte written to its port
 * (0xE9 by convention) appears on the host; a read returns 0xE9, so a guest can probe for it
 * (the "readback" value of QEMU's isa-debugcon).
 *
 * Owns: the output stream chosen with -debugcon (file:PATH, stdio, none). Flushed at every
 * newline so a guest's log is readable while it runs, and at exit.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "softmmu/machine.h"

#define DEBUGCON_READBACK 0xe9

int debugcon_open(DebugCon *d, const char *spec)
{
    d->out = NULL;
    d->close_out = false;
    if (!spec || strcmp(spec, "stdio") == 0) {
        d->out = stdout;
    } else if (strcmp(spec, "none") == 0 || strcmp(spec, "null") == 0) {
        /* discard */
    } else if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        d->out = fopen(spec + 5, "w");
        if (!d->out) {
            fprintf(stderr, "xlat: cannot open debug console file '%s': %s\n", spec + 5,
                    strerror(errno));
            return -1;
        }
        d->close_out = true;
    } else {
        fprintf(stderr, "xlat: unsupported -debugcon '%s' (use file:PATH, stdio or none)\n", spec);
        return -1;
    }
    return 0;
}

void debugcon_close(DebugCon *d)
{
    if (d->out) {
        if (d->close_out) {
            fclose(d->out);
        } else {
            fflush(d->out);
        }
    }
    d->out = NULL;
    d->close_out = false;
}

static uint64_t debugcon_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)size;
    return DEBUGCON_READBACK;
}

static void debugcon_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    DebugCon *d = opaque;
    (void)offset;
    (void)size;
    /* one character per write, whatever the width (the low byte), as the Bochs port does */
    if (d->out) {
        int ch = (int)(val & 0xff);
        fputc(ch, d->out);
        if (ch == '\n') {
            fflush(d->out);
        }
    }
}

void debugcon_init(Machine *m, uint16_t port)
{
    int r = io_register(&m->io, "debugcon", port, 1, debugcon_read, debugcon_write, &m->debugcon);
    /* the board registers it first, on a free port */
    assert(r >= 0);
    (void)r;
}
