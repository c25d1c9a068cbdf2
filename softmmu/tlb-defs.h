/*
 * softmmu/tlb-defs.h — the layout of the software TLB, shared by the softmmu (which fills it)
 * and the backends (whose inline probe reads it). Nothing here knows x86.
 *
 * One direct-mapped table per MMU index (e.g. kernel data, user data, code). An entry caches a
 * guest linear page: the tag fields hold the page address for reads, writes and fetches, or
 * TLB_INVALID. Any of the low flag bits set in a tag makes the inline compare fail, which sends
 * the access to the out-of-line slow path (MMIO, ROM writes, pages holding translated code,
 * pages a data breakpoint watches).
 * On a hit, the host address is guest address + addend.
 */
#ifndef XLAT_SOFTMMU_TLB_DEFS_H
#define XLAT_SOFTMMU_TLB_DEFS_H

#include <stdint.h>

#define TLB_PAGE_BITS 12
#define TLB_PAGE_SIZE (1u << TLB_PAGE_BITS)
#define TLB_PAGE_MASK (~(uint64_t)(TLB_PAGE_SIZE - 1))
#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_NB_MMU 4

/* flag bits in the low bits of a tag: a set bit never matches a page-aligned address */
#define TLB_INVALID_MASK (1u << 0)  /* no translation */
#define TLB_MMIO (1u << 1)          /* device or ROM-write: always the slow path */
#define TLB_CODE (1u << 2)          /* page holds translated code: writes invalidate it */
#define TLB_WATCH (1u << 3)         /* a data breakpoint watches the page: the slow path checks */
#define TLB_INVALID ((uint64_t)-1)

typedef struct TLBEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend; /* host pointer - guest linear address, for RAM-backed pages */
} TLBEntry;

#define TLB_ENTRY_BITS 5 /* sizeof(TLBEntry) == 32 on 64-bit hosts */

#endif
