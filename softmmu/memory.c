/*
 * softmmu/memory.c — the physical address space and the port I/O space.
 *
 * Owns: the list of physical regions (RAM, ROM, MMIO) with their priorities, the lookup that
 * decides which region answers an address, byte-exact physical reads and writes for devices,
 * loaders and the TLB slow path, and the 64 KiB port map with its dispatch.
 *
 * PC conventions followed: reads of addresses or ports nobody decodes return all ones (the data
 * bus floats high), writes to them and to ROM vanish. x86 is little-endian (SDM Vol. 1 1.3.1).
 * Every address, port and size here can be chosen by the guest, so nothing may index outside a
 * buffer whatever the values: the checks below are not assertions.
 */
#include "softmmu/memory.h"

#include <stdio.h>
#include <string.h>

/* ---- physical address space ---------------------------------------------------------------- */

static void as_page_cache_clear(AddressSpace *as)
{
    memset(as->page_cache, 0, sizeof(as->page_cache));
}

static int as_add(AddressSpace *as, const MemRegion *r)
{
    /* an empty region or one that wraps past 2^64 describes nothing sensible */
    if (as->nb >= AS_MAX_REGIONS || r->size == 0 || r->base + r->size - 1 < r->base) {
        return -1;
    }
    as->regions[as->nb] = *r;
    as_page_cache_clear(as);
    return as->nb++;
}

int as_add_ram(AddressSpace *as, const char *name, uint64_t base, uint64_t size, uint8_t *host,
               int priority)
{
    MemRegion r = {.base = base,
                   .size = size,
                   .kind = MR_RAM,
                   .host = host,
                   .priority = priority,
                   .name = name};
    return host ? as_add(as, &r) : -1;
}

int as_add_rom(AddressSpace *as, const char *name, uint64_t base, uint64_t size, uint8_t *host,
               int priority)
{
    MemRegion r = {.base = base,
                   .size = size,
                   .kind = MR_ROM,
                   .host = host,
                   .priority = priority,
                   .name = name};
    return host ? as_add(as, &r) : -1;
}

int as_add_mmio(AddressSpace *as, const char *name, uint64_t base, uint64_t size, IOReadFn rd,
                IOWriteFn wr, void *opaque, int priority)
{
    MemRegion r = {.base = base,
                   .size = size,
                   .kind = MR_MMIO,
                   .read = rd,
                   .write = wr,
                   .opaque = opaque,
                   .priority = priority,
                   .name = name};
    return as_add(as, &r);
}

static bool region_contains(const MemRegion *r, uint64_t addr)
{
    return addr - r->base < r->size; /* unsigned: also false below base */
}

/* Does region i win over region j? Higher priority wins; of equal priorities the one added
   later, so a board can overlay a region without inventing a priority. */
static bool region_beats(const AddressSpace *as, int i, int j)
{
    const MemRegion *a = &as->regions[i], *b = &as->regions[j];
    return a->priority > b->priority || (a->priority == b->priority && i > j);
}

static int as_find(const AddressSpace *as, uint64_t addr)
{
    int best = -1;
    for (int i = 0; i < as->nb; i++) {
        if (region_contains(&as->regions[i], addr) && (best < 0 || region_beats(as, i, best))) {
            best = i;
        }
    }
    return best;
}

int as_move_region(AddressSpace *as, int idx, uint64_t base, uint64_t size)
{
    if (idx < 0 || idx >= as->nb || (size && base + size - 1 < base)) {
        return -1;
    }
    /* size 0: the region stays in its slot (and keeps its place in the overlay order) but
       contains no address */
    as->regions[idx].base = base;
    as->regions[idx].size = size;
    as_page_cache_clear(as);
    return 0;
}

const MemRegion *as_lookup(const AddressSpace *as, uint64_t addr)
{
    int i = as_find(as, addr);
    return i < 0 ? NULL : &as->regions[i];
}

/* The region owning byte `first`, or -1; *whole tells whether it owns every byte up to `last`
   too, i.e. it covers them and no region that beats it overlaps them. */
static int as_find_range_scan(const AddressSpace *as, uint64_t first, uint64_t last, bool *whole)
{
    int w = as_find(as, first);
    *whole = false;
    if (w < 0 || last < first || !region_contains(&as->regions[w], last)) {
        return w;
    }
    for (int i = 0; i < as->nb; i++) {
        const MemRegion *q = &as->regions[i];
        if (i != w && q->size && q->base <= last && first <= q->base + q->size - 1 &&
            region_beats(as, i, w)) {
            return w;
        }
    }
    *whole = true;
    return w;
}

/* as_find_range_scan, answered from the page memo when [first, last] lies in one page that a
   single region owns whole (the memo remembers only such pages; the rest take the scan). */
static int as_find_range(const AddressSpace *as, uint64_t first, uint64_t last, bool *whole)
{
    uint64_t page = first >> AS_PAGE_CACHE_PAGE_BITS;
    if (last < first || last >> AS_PAGE_CACHE_PAGE_BITS != page) {
        return as_find_range_scan(as, first, last, whole);
    }
    /* a memo, not state: lookups stay logically const */
    AsPageCacheEntry *e =
        &((AddressSpace *)as)->page_cache[page & ((1u << AS_PAGE_CACHE_BITS) - 1)];
    if (e->tag == page + 1) {
        *whole = true;
        return e->idx;
    }
    uint64_t base = page << AS_PAGE_CACHE_PAGE_BITS;
    bool page_whole;
    int w = as_find_range_scan(as, base, base + ((1u << AS_PAGE_CACHE_PAGE_BITS) - 1), &page_whole);
    if (page_whole) {
        e->tag = page + 1;
        e->idx = w;
        *whole = true;
        return w;
    }
    return as_find_range_scan(as, first, last, whole);
}

const MemRegion *as_lookup_page(const AddressSpace *as, uint64_t page, uint64_t page_size,
                                bool *whole)
{
    int w = as_find_range(as, page, page + page_size - 1, whole);
    return w < 0 ? NULL : &as->regions[w];
}

static bool valid_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

uint64_t as_read(const AddressSpace *as, uint64_t addr, unsigned size)
{
    if (!valid_size(size)) {
        return ~(uint64_t)0;
    }
    bool whole;
    int i = as_find_range(as, addr, addr + size - 1, &whole);
    if (whole) {
        /* the common case: one region answers every byte */
        const MemRegion *r = &as->regions[i];
        uint64_t off = addr - r->base;
        if (r->kind != MR_MMIO) {
            return mem_ld_le(r->host + off, size);
        }
        return r->read ? r->read(r->opaque, off, size) & mem_ones(size) : mem_ones(size);
    }
    if (i < 0 && size == 1) {
        return 0xff;
    }
    /* The access straddles regions (or a region's end, or the top of the address space):
       each byte comes from whoever owns it, as the bus would deliver it. */
    uint64_t v = 0;
    for (unsigned n = 0; n < size; n++) {
        v |= as_read(as, addr + n, 1) << (8 * n);
    }
    return v;
}

void as_write(const AddressSpace *as, uint64_t addr, uint64_t val, unsigned size)
{
    if (!valid_size(size)) {
        return;
    }
    bool whole;
    int i = as_find_range(as, addr, addr + size - 1, &whole);
    if (whole) {
        const MemRegion *r = &as->regions[i];
        uint64_t off = addr - r->base;
        if (r->kind == MR_RAM) {
            mem_st_le(r->host + off, val, size);
        } else if (r->kind == MR_MMIO && r->write) {
            r->write(r->opaque, off, val & mem_ones(size), size);
        }
        /* ROM: the write is dropped */
        return;
    }
    if (i < 0 && size == 1) {
        return;
    }
    for (unsigned n = 0; n < size; n++) {
        as_write(as, addr + n, (val >> (8 * n)) & 0xff, 1);
    }
}

/* ---- port I/O space ------------------------------------------------------------------------- */

int io_register(IOSpace *io, const char *name, uint32_t base, uint32_t len, IOReadFn rd,
                IOWriteFn wr, void *opaque)
{
    /* the x86 I/O space is 64 KiB of byte ports (SDM Vol. 1 18.2) */
    if (len == 0 || base > 0xffff || len > 0x10000 - base) {
        return -1;
    }
    for (uint32_t p = base; p < base + len; p++) {
        if (io->map[p]) {
            return -1; /* two devices decoding one port is a wiring bug, not an overlay */
        }
    }
    /* a slot freed by io_unregister first (BARs move), else a new one */
    int idx = 0;
    while (idx < io->nb && io->handlers[idx].len) {
        idx++;
    }
    if (idx >= IO_MAX_HANDLERS) {
        return -1;
    }
    IOHandler *h = &io->handlers[idx];
    h->base = base;
    h->len = len;
    h->read = rd;
    h->write = wr;
    h->opaque = opaque;
    h->name = name;
    if (idx == io->nb) {
        io->nb++;
    }
    memset(&io->map[base], idx + 1, len); /* index + 1; IO_MAX_HANDLERS fits in a byte */
    return idx;
}

void io_unregister(IOSpace *io, int handle)
{
    if (handle < 0 || handle >= io->nb || !io->handlers[handle].len) {
        return;
    }
    IOHandler *h = &io->handlers[handle];
    memset(&io->map[h->base], 0, h->len);
    *h = (IOHandler){0};
}

static const IOHandler *io_handler(const IOSpace *io, uint32_t port)
{
    if (port > 0xffff || !io->map[port]) {
        return NULL;
    }
    return &io->handlers[io->map[port] - 1];
}

uint32_t io_read(IOSpace *io, uint32_t port, unsigned size)
{
    if (size != 1 && size != 2 && size != 4) {
        return 0xffffffff;
    }
    uint32_t ones = (uint32_t)mem_ones(size);
    const IOHandler *h = io_handler(io, port);
    if (!h || !h->read) {
        if (io->log_unassigned) {
            fprintf(io->log ? io->log : stderr, "xlat: read of unassigned port 0x%04x (size %u)\n",
                    port, size);
        }
        return ones;
    }
    return (uint32_t)h->read(h->opaque, port - h->base, size) & ones;
}

void io_write(IOSpace *io, uint32_t port, uint32_t val, unsigned size)
{
    if (size != 1 && size != 2 && size != 4) {
        return;
    }
    const IOHandler *h = io_handler(io, port);
    if (!h || !h->write) {
        if (io->log_unassigned) {
            fprintf(io->log ? io->log : stderr,
                    "xlat: write of 0x%x to unassigned port 0x%04x (size %u)\n", val, port, size);
        }
        return;
    }
    h->write(h->opaque, port - h->base, val & (uint32_t)mem_ones(size), size);
}
