/*
 * softmmu/tlb.c — the software TLB and the guest-memory slow paths.
 *
 * Owns: filling TLB entries (linear page -> physical page -> RAM/ROM host pointer or MMIO), the
 * out-of-line load/store paths that translated code calls when its inline probe misses (see
 * softmmu/tlb-defs.h for the entry layout), code-page write tracking for self-modifying code,
 * and the code-fetch pointer the translator reads guest instructions through.
 *
 * Rules followed:
 * - A tag is valid for exactly the access kind that was translated (x86_tlb_translate checks
 *   one access: read, write or fetch), so once paging exists a read fill never opens a fast path
 *   for writes to a read-only page. Tags of the other kinds stay while they map the same page.
 * - An access that crosses a page translates both pages before it has any effect: a fault on
 *   the second page leaves memory untouched (SDM Vol. 3A 4.7 and 6.5: faults are precise).
 * - Pages holding bytes a data breakpoint watches (DR7, SDM Vol. 3A 17.2.4) carry TLB_WATCH in
 *   the read or write tag, so their accesses come here and cpu/debug.c compares them with the
 *   breakpoints; no other page pays anything. MOV to DR0-DR3/DR7 flushes the TLB.
 * - Writes to a page holding translated code invalidate the translated blocks they overlap
 *   before the bytes change; if the running block is one of them, the write is not done and the
 *   instruction re-executes from a fresh one-instruction block (SDM Vol. 3A 11.6: a store to the
 *   code stream takes effect for the instructions after it).
 */
#include <assert.h>
#include <string.h>

#include "cpu/cpu.h"
#include "softmmu/machine.h"
#include "tcg/tcg.h"

/* the access kinds of x86_tlb_translate */
enum { ACCESS_READ = 0, ACCESS_WRITE = 1, ACCESS_FETCH = 2 };

/* Code fetches use their own MMU indexes (2: CPL 0-2, 3: CPL 3), so a fetch fill never opens a
   data fast path and user code is checked with user rights (cpu/cpu.h, x86_tlb_translate). */
static inline unsigned code_mmu_idx(CPUCommon *env)
{
    return 2 + (((x86_env(env)->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT) == 3);
}

#define PAGE_OFFSET_MASK ((uint64_t)TLB_PAGE_SIZE - 1)

static inline unsigned tlb_index(uint64_t addr)
{
    return (unsigned)(addr >> TLB_PAGE_BITS) & (TLB_SIZE - 1);
}

/* Does tag hold the page `page`? Flag bits are ignored; an invalid tag (all ones) never holds a
   page because its bit 0 survives the mask while page addresses have it clear. */
static inline bool tlb_hit(uint64_t tag, uint64_t page)
{
    return (tag & (TLB_PAGE_MASK | TLB_INVALID_MASK)) == page;
}

static inline uint64_t *tlb_tag(TLBEntry *e, int access)
{
    return access == ACCESS_READ    ? &e->addr_read
           : access == ACCESS_WRITE ? &e->addr_write
                                    : &e->addr_code;
}

/* 32-bit addressing wraps at 4 GiB (SDM Vol. 3A 3.3); the memop says which width the address
   operand had. */
static inline uint64_t addr_mask(uint32_t memop)
{
    return (memop & IR_MO_A64) ? ~(uint64_t)0 : 0xffffffffu;
}

void tlb_flush(Machine *m)
{
    /* all ones: every tag is TLB_INVALID, every physical page impossible */
    memset(m->cpu.common.tlb, 0xff, sizeof(m->cpu.common.tlb));
    memset(m->tlb_phys, 0xff, sizeof(m->tlb_phys));
    memset(m->tlb_global, 0, sizeof(m->tlb_global));
    m->tlb_flushes++;
    m->cpu.common.jump_gen++;
}

void tlb_flush_nonglobal(Machine *m)
{
    /* global translations survive (SDM Vol. 3A 4.10.4.1: MOV to CR3 invalidates the non-global
       ones); whatever the entries still map, cached jumps are re-checked */
    for (unsigned mmu = 0; mmu < TLB_NB_MMU; mmu++) {
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            if (!m->tlb_global[mmu][i]) {
                TLBEntry *e = &m->cpu.common.tlb[mmu][i];
                e->addr_read = e->addr_write = e->addr_code = TLB_INVALID;
                m->tlb_phys[mmu][i] = (uint64_t)-1;
            }
        }
    }
    m->tlb_flushes++;
    m->cpu.common.jump_gen++;
}

void tlb_flush_page(Machine *m, uint64_t addr)
{
    uint64_t page = addr & TLB_PAGE_MASK;
    unsigned idx = tlb_index(page);
    m->cpu.common.jump_gen++;
    for (unsigned mmu = 0; mmu < TLB_NB_MMU; mmu++) {
        TLBEntry *e = &m->cpu.common.tlb[mmu][idx];
        if (tlb_hit(e->addr_read, page) || tlb_hit(e->addr_write, page) ||
            tlb_hit(e->addr_code, page)) {
            e->addr_read = e->addr_write = e->addr_code = TLB_INVALID;
            m->tlb_phys[mmu][idx] = (uint64_t)-1;
            m->tlb_global[mmu][idx] = 0; /* INVLPG removes global ones too (4.10.4.1) */
        }
    }
}

void softmmu_code_page_added(CPUCommon *env, uint64_t phys_page)
{
    Machine *m = env->machine;
    phys_page &= TLB_PAGE_MASK;
    /* Only entries mapping that physical page need their writes diverted; or-ing TLB_CODE into
       an invalid tag leaves it invalid, and an MMIO tag already takes the slow path. */
    for (unsigned mmu = 0; mmu < TLB_NB_MMU; mmu++) {
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            if (m->tlb_phys[mmu][i] == phys_page) {
                env->tlb[mmu][i].addr_write |= TLB_CODE;
            }
        }
    }
}

/* Translate the page of `addr` for `access` and make the entry's tag of that kind hold it.
   Returns false when the access faults (x86_tlb_translate has recorded the fault in env). */
static bool tlb_fill(CPUCommon *env, uint64_t addr, int access, unsigned mmu)
{
    Machine *m = env->machine;
    uint64_t page = addr & TLB_PAGE_MASK;
    uint64_t phys;
    if (!x86_tlb_translate(x86_env(env), addr, access, (int)mmu, &phys)) {
        return false;
    }
    m->tlb_fills++;
    uint64_t phys_page = phys & TLB_PAGE_MASK;
    unsigned idx = tlb_index(addr);
    TLBEntry *e = &env->tlb[mmu][idx];
    bool global = x86_env(env)->walk_global;
    if (m->tlb_phys[mmu][idx] != phys_page || m->tlb_global[mmu][idx] != global ||
        !(tlb_hit(e->addr_read, page) || tlb_hit(e->addr_write, page) ||
          tlb_hit(e->addr_code, page))) {
        /* the entry held another page (or another frame): its other tags are stale */
        e->addr_read = e->addr_write = e->addr_code = TLB_INVALID;
    }
    /* one mark for all three tags: they hold the same page, through the same kind of entry */
    m->tlb_global[mmu][idx] = global;

    bool whole;
    const MemRegion *r = as_lookup_page(&m->mem, phys_page, TLB_PAGE_SIZE, &whole);
    /* host memory backs the page only if one RAM or ROM region owns all of it; anything else
       (MMIO, holes, a page shared by several regions) goes byte-exact through as_read/write */
    bool direct = r && whole && r->kind != MR_MMIO;
    m->tlb_phys[mmu][idx] = phys_page;
    e->addend = direct ? (uintptr_t)(r->host + (phys_page - r->base)) - (uintptr_t)page : 0;

    uint64_t tag;
    switch (access) {
    case ACCESS_READ:
        tag = direct ? page : page | TLB_MMIO;
        break;
    case ACCESS_WRITE:
        if (!direct || r->kind == MR_ROM) {
            tag = page | TLB_MMIO; /* the slow path drops ROM writes in as_write */
        } else {
            tag = page | (tb_page_has_code(&m->tcg, phys_page) ? TLB_CODE : 0);
        }
        break;
    default:
        tag = direct ? page : TLB_INVALID; /* nothing executable: never a code hit */
        break;
    }
    if (access != ACCESS_FETCH && x86_watch_page(x86_env(env), page, access == ACCESS_WRITE)) {
        tag |= TLB_WATCH; /* a data breakpoint watches bytes of this page (cpu/debug.c) */
    }
    *tlb_tag(e, access) = tag;
    return true;
}

/* The entry for `addr`, filled for `access` if its tag misses; a fault leaves translated code
   (the caller stored cur_tb and insn_index, so the state is precise). */
static TLBEntry *tlb_entry_for(CPUCommon *env, uint64_t addr, int access, unsigned mmu)
{
    TLBEntry *e = &env->tlb[mmu][tlb_index(addr)];
    if (!tlb_hit(*tlb_tag(e, access), addr & TLB_PAGE_MASK) && !tlb_fill(env, addr, access, mmu)) {
        tcg_raise(env);
    }
    return e;
}

static inline uint64_t tlb_phys_addr(Machine *m, unsigned mmu, uint64_t addr)
{
    return m->tlb_phys[mmu][tlb_index(addr)] | (addr & PAGE_OFFSET_MASK);
}

static inline bool crosses_page(uint64_t addr, unsigned size)
{
    return (addr & PAGE_OFFSET_MASK) + size > TLB_PAGE_SIZE;
}

/* A device reached through MMIO reads the clock at the end of the accessing instruction: the
   running block charged all its instructions at entry, and the slow path recorded which one is
   executing (cur_tb, insn_index), so the rest of the block is taken off until the access ends. */
static void mmio_clock_begin(CPUCommon *env)
{
    const TranslationBlock *tb = env->cur_tb;
    env->machine->clock.block_rest = tb ? (int64_t)tb->icount - env->insn_index - 1 : 0;
}

/* ---- loads ---------------------------------------------------------------------------------- */

/* A load of size bytes that stays within one page. */
static uint64_t ld_page(CPUCommon *env, uint64_t addr, unsigned size, unsigned mmu)
{
    TLBEntry *e = tlb_entry_for(env, addr, ACCESS_READ, mmu);
    if (e->addr_read & TLB_WATCH) {
        x86_watch_access(x86_env(env), addr, size, false); /* before a device sees the read */
    }
    if (e->addr_read & TLB_MMIO) {
        Machine *m = env->machine;
        mmio_clock_begin(env);
        uint64_t v = as_read(&m->mem, tlb_phys_addr(m, mmu, addr), size);
        m->clock.block_rest = 0;
        return v;
    }
    return mem_ld_le((const uint8_t *)(uintptr_t)(addr + e->addend), size);
}

uint64_t softmmu_ld_slow(CPUCommon *env, uint64_t addr, uint32_t memop)
{
    Machine *m = env->machine;
    unsigned size = 1u << (memop & IR_MO_SIZE);
    unsigned mmu = memop >> IR_MEMOP_MMU_SHIFT;
    uint64_t amask = addr_mask(memop);
    uint64_t v;

    assert(mmu < TLB_NB_MMU); /* a translator constant, never a guest value */
    m->slow_loads++;
    addr &= amask;
    if (!crosses_page(addr, size)) {
        v = ld_page(env, addr, size, mmu);
    } else {
        /* both pages translate before any device sees a read */
        tlb_entry_for(env, addr, ACCESS_READ, mmu);
        /* the second page from its first byte: that is where a fault is (CR2, SDM 4.7) */
        tlb_entry_for(env, ((addr | PAGE_OFFSET_MASK) + 1) & amask, ACCESS_READ, mmu);
        v = 0;
        for (unsigned i = 0; i < size; i++) {
            v |= ld_page(env, (addr + i) & amask, 1, mmu) << (8 * i);
        }
    }
    if ((memop & IR_MO_SIGN) && size < 8) {
        unsigned shift = 64 - 8 * size;
        v = (uint64_t)((int64_t)(v << shift) >> shift);
    }
    return v;
}

/* ---- stores --------------------------------------------------------------------------------- */

/* Where the bytes of a store within one page go, decided before any of them is written. */
typedef struct StoreTarget {
    uint8_t *host; /* RAM, or NULL: through as_write at phys (MMIO, ROM, holes) */
    uint64_t phys;
} StoreTarget;

/* A write is about to change [phys, phys + size) on a page holding translated code. */
static void code_write(CPUCommon *env, TLBEntry *e, uint64_t phys, unsigned size)
{
    Machine *m = env->machine;
    if (tb_invalidate_phys_range(&m->tcg, phys, phys + size) > 0) {
        m->smc_invalidations++;
        if (env->cur_tb && env->cur_tb->invalid) {
            /* The running block holds stale copies of the bytes about to change, maybe of the
               instructions after this one. Nothing was written: re-execute this instruction
               alone in an unregistered block, which no write can invalidate, so the second
               attempt completes and the next block is translated from the new bytes. */
            tcg_restart_insn(env);
        }
    }
    if (!tb_page_has_code(&m->tcg, phys & TLB_PAGE_MASK)) {
        e->addr_write &= ~(uint64_t)TLB_CODE; /* back to the fast path */
    }
}

/* Translate, and deal with translated code, for a store of size bytes within one page. */
static void st_prepare(CPUCommon *env, uint64_t addr, unsigned size, unsigned mmu, StoreTarget *t)
{
    Machine *m = env->machine;
    TLBEntry *e = tlb_entry_for(env, addr, ACCESS_WRITE, mmu);
    if (e->addr_write & TLB_WATCH) {
        /* before any byte changes: the check may re-execute the instruction alone */
        x86_watch_access(x86_env(env), addr, size, true);
    }
    t->phys = tlb_phys_addr(m, mmu, addr);
    if (e->addr_write & TLB_MMIO) {
        t->host = NULL;
        return;
    }
    if (e->addr_write & TLB_CODE) {
        code_write(env, e, t->phys, size);
    }
    t->host = (uint8_t *)(uintptr_t)(addr + e->addend);
}

/* Write the bytes. A part of a page-crossing store reaches devices byte by byte, like the
   bytes of a page-crossing load. */
static void st_commit(Machine *m, const StoreTarget *t, uint64_t val, unsigned size, bool part)
{
    if (t->host) {
        mem_st_le(t->host, val, size);
        return;
    }
    mmio_clock_begin(&m->cpu.common);
    if (!part) {
        as_write(&m->mem, t->phys, val, size);
    } else {
        for (unsigned i = 0; i < size; i++) {
            as_write(&m->mem, t->phys + i, (val >> (8 * i)) & 0xff, 1);
        }
    }
    m->clock.block_rest = 0;
}

void softmmu_st_slow(CPUCommon *env, uint64_t addr, uint64_t val, uint32_t memop)
{
    Machine *m = env->machine;
    unsigned size = 1u << (memop & IR_MO_SIZE);
    unsigned mmu = memop >> IR_MEMOP_MMU_SHIFT;
    uint64_t amask = addr_mask(memop);
    StoreTarget t0, t1;

    assert(mmu < TLB_NB_MMU);
    m->slow_stores++;
    addr &= amask;
    if (!crosses_page(addr, size)) {
        st_prepare(env, addr, size, mmu, &t0);
        st_commit(m, &t0, val, size, false);
        return;
    }
    /* A store that crosses a page: both halves are translated (and code on them invalidated)
       before the first byte is written, so a fault on the second page is precise. */
    unsigned n0 = TLB_PAGE_SIZE - (unsigned)(addr & PAGE_OFFSET_MASK);
    st_prepare(env, addr, n0, mmu, &t0);
    st_prepare(env, (addr + n0) & amask, size - n0, mmu, &t1);
    st_commit(m, &t0, val, n0, true);
    st_commit(m, &t1, val >> (8 * n0), size - n0, true);
}

/* ---- code fetch ----------------------------------------------------------------------------- */

const uint8_t *softmmu_code_ptr(CPUCommon *env, uint64_t addr, uint64_t *phys)
{
    Machine *m = env->machine;
    TLBEntry *e = &env->tlb[code_mmu_idx(env)][tlb_index(addr)];
    uint64_t page = addr & TLB_PAGE_MASK;
    /* no tcg_raise here: the translator is not running guest code, it decides what a failed
       fetch means (end the block, or report the fault of the first instruction) */
    if (!tlb_hit(e->addr_code, page) &&
        (!tlb_fill(env, addr, ACCESS_FETCH, code_mmu_idx(env)) || !tlb_hit(e->addr_code, page))) {
        return NULL;
    }
    *phys = tlb_phys_addr(m, code_mmu_idx(env), addr);
    return (const uint8_t *)(uintptr_t)(addr + e->addend);
}

/* ---- bulk access ----------------------------------------------------------------------------- */

void *softmmu_ram_probe(CPUCommon *env, uint64_t addr, bool write, unsigned mmu)
{
    TLBEntry *e = &env->tlb[mmu][tlb_index(addr)];
    uint64_t page = addr & TLB_PAGE_MASK;
    int access = write ? ACCESS_WRITE : ACCESS_READ;
    if (!tlb_hit(*tlb_tag(e, access), page)) {
        /* a fill, as the access itself would do first; a translation that faults leaves the
           fault to the caller's precise path, so undo what recording it changed */
        CPUX86State *x = x86_env(env);
        uint64_t cr2 = x->cr[2];
        int exception = x->exception;
        uint32_t error_code = x->error_code;
        if (!tlb_fill(env, addr, access, mmu)) {
            x->cr[2] = cr2;
            x->exception = exception;
            x->error_code = error_code;
            return NULL;
        }
    }
    /* the inline probe's test: any flag bit (MMIO, ROM write, code page) fails it */
    if (*tlb_tag(e, access) != page) {
        return NULL;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

/* ---- physical accessors --------------------------------------------------------------------- */

uint64_t softmmu_read_phys(Machine *m, uint64_t addr, unsigned size)
{
    return as_read(&m->mem, addr, size);
}

void softmmu_write_phys(Machine *m, uint64_t addr, uint64_t val, unsigned size)
{
    /* a CPU-side write (descriptor accessed bits, later page-table bits) may hit translated
       code too; the current block is not restarted: such writes come from helpers that finish
       their instruction */
    for (unsigned done = 0; done < size;) {
        uint64_t a = addr + done;
        unsigned n = TLB_PAGE_SIZE - (unsigned)(a & PAGE_OFFSET_MASK);
        if (n > size - done) {
            n = size - done;
        }
        if (tb_page_has_code(&m->tcg, a) && tb_invalidate_phys_range(&m->tcg, a, a + n) > 0) {
            m->smc_invalidations++;
        }
        done += n;
    }
    as_write(&m->mem, addr, val, size);
}
