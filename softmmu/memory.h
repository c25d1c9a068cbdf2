/*
 * softmmu/memory.h — the physical address space (RAM, ROM and MMIO regions) and the port I/O
 * space. Devices register (opaque, base, size, read, write) callbacks, as in TinyEMU; nothing else.
 */
#ifndef XLAT_SOFTMMU_MEMORY_H
#define XLAT_SOFTMMU_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t (*IOReadFn)(void *opaque, uint64_t offset, unsigned size);
typedef void (*IOWriteFn)(void *opaque, uint64_t offset, uint64_t val, unsigned size);

typedef enum MemRegionKind { MR_RAM, MR_ROM, MR_MMIO } MemRegionKind;

typedef struct MemRegion {
    uint64_t base, size;
    MemRegionKind kind;
    uint8_t *host;        /* RAM/ROM backing */
    IOReadFn read;        /* MMIO */
    IOWriteFn write;
    void *opaque;
    int priority;         /* higher wins where regions overlap */
    const char *name;
} MemRegion;

#define AS_MAX_REGIONS 64

/* A direct-mapped memo of "which region owns all of this page" (page walks and slow-path
   accesses ask it for every access; a linear scan of the regions each time showed in profiles).
   Not state: it is rebuilt on demand and forgotten whenever a region is added or moved. */
#define AS_PAGE_CACHE_BITS 6
#define AS_PAGE_CACHE_PAGE_BITS 12

typedef struct AsPageCacheEntry {
    uint64_t tag;   /* (address >> AS_PAGE_CACHE_PAGE_BITS) + 1; 0: empty (a zeroed space) */
    int idx;        /* the region owning every byte of that page */
} AsPageCacheEntry;

typedef struct AddressSpace {
    MemRegion regions[AS_MAX_REGIONS];
    int nb;
    AsPageCacheEntry page_cache[1 << AS_PAGE_CACHE_BITS];
} AddressSpace;

int as_add_ram(AddressSpace *as, const char *name, uint64_t base, uint64_t size, uint8_t *host,
               int priority);
int as_add_rom(AddressSpace *as, const char *name, uint64_t base, uint64_t size, uint8_t *host,
               int priority);
int as_add_mmio(AddressSpace *as, const char *name, uint64_t base, uint64_t size, IOReadFn rd,
                IOWriteFn wr, void *opaque, int priority);
/* Move region `idx` (what as_add_* returned) to [base, base + size); size 0 unmaps it, keeping
   its slot. For BARs and chipset decoders; the caller flushes the TLB. -1 if invalid. Every
   change to a region's place or kind goes through here (or as_add_*), which keeps the lookup
   memo honest. */
int as_move_region(AddressSpace *as, int idx, uint64_t base, uint64_t size);
/* the region that owns addr (highest priority), or NULL */
const MemRegion *as_lookup(const AddressSpace *as, uint64_t addr);
/* physical accesses by devices and loaders; unassigned reads give all ones */
uint64_t as_read(const AddressSpace *as, uint64_t addr, unsigned size);
void as_write(const AddressSpace *as, uint64_t addr, uint64_t val, unsigned size);
/* The region owning the page at `page` (page-aligned), and whether it owns the whole page (no
   other region wins over any byte of it): only then may the TLB map the page to host memory. */
const MemRegion *as_lookup_page(const AddressSpace *as, uint64_t page, uint64_t page_size,
                                bool *whole);

/* Little-endian loads and stores of 1..8 bytes at a host pointer, whatever the host's byte
   order (x86 is little-endian: SDM Vol. 1 1.3.1). */
static inline uint64_t mem_ld_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static inline void mem_st_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* all ones in the low `size` bytes (what a read of nothing returns on a PC) */
static inline uint64_t mem_ones(unsigned size)
{
    return size >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * size)) - 1;
}

#define IO_MAX_HANDLERS 64

typedef struct IOHandler {
    uint32_t base, len;
    IOReadFn read;
    IOWriteFn write;
    void *opaque;
    const char *name;
} IOHandler;

typedef struct IOSpace {
    IOHandler handlers[IO_MAX_HANDLERS];
    int nb;
    uint8_t map[65536]; /* port -> handler index + 1, or 0 */
    bool log_unassigned; /* -d unimp: report accesses to ports nobody decodes ... */
    FILE *log;           /* ... here (NULL: stderr) */
} IOSpace;

int io_register(IOSpace *io, const char *name, uint32_t base, uint32_t len, IOReadFn rd,
                IOWriteFn wr, void *opaque);
/* Undo io_register (its return value): the ports become unassigned and the slot reusable. */
void io_unregister(IOSpace *io, int handle);
/* Port reads of unassigned ports return all ones, as on a PC; writes are dropped. */
uint32_t io_read(IOSpace *io, uint32_t port, unsigned size);
void io_write(IOSpace *io, uint32_t port, uint32_t val, unsigned size);

#endif
