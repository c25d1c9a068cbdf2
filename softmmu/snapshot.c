/*
 * softmmu/snapshot.c — walking the device state tables of softmmu/snapshot.h. Today: the hash
 * that -stats prints covers every described field; saving and loading will walk the same tables.
 */
#include <string.h>

#include "softmmu/clock.h"
#include "softmmu/snapshot.h"

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 0x100000001b3ull; /* 64-bit FNV-1a prime */
    }
    return h;
}

uint64_t vmstate_hash(const VMStateDescription *d, const void *opaque, uint64_t h)
{
    const uint8_t *base = opaque;
    for (size_t i = 0; i < d->nb_fields; i++) {
        const VMStateField *f = &d->fields[i];
        if (f->kind == VMS_TIMER) {
            const Timer *t = (const Timer *)(base + f->offset);
            h = fnv_bytes(h, &t->expire, sizeof(t->expire));
        } else {
            h = fnv_bytes(h, base + f->offset, f->size);
        }
    }
    return h;
}
