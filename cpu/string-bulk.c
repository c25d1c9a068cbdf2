/*
 * cpu/string-bulk.c — the bulk path of REP MOVS and REP STOS (DESIGN.md: "Bulk string
 * operations"): whole runs of elements moved with memmove/one fill per TLB check.
 *
 * Translated code (cpu/translate-string.c) calls helper_rep_bulk at the top of a REP MOVS/STOS
 * loop. It moves the longest run that is certain to give what the element-by-element loop
 * would give, and no more:
 * - within one page of the source and one of the destination, each plain RAM for the access
 *   through the TLB (softmmu_ram_probe fills it, and says no for MMIO, a ROM write, a page
 *   holding translated code or a translation that faults) — so no element of the run can
 *   fault, touch a device or modify code;
 * - without rSI/rDI wrapping within the address size, and inside the segments' limits and
 *   rights when the TB key says the segments need checks (SDM Vol. 3A 5.3, 5.7);
 * - at most rCX elements, and at most the instruction budget left: every element costs one
 *   unit, as in the per-element loop, so virtual time and the retired count do not depend on
 *   which path ran;
 * - for MOVS, when source and destination overlap so that a forward (DF=0) copy would read
 *   bytes it has already written (destination above the source) or a backward copy the
 *   reverse, only as many elements as fit in the gap (then the run's ranges are disjoint).
 * Whatever is left — a TLB miss, MMIO, a fault, an element crossing a page — is done by the
 * per-element code, which is exact about faults (SDM Vol. 3A 6.6: the registers say how far
 * the string got). The result is that of the per-element loop in every case; only the host
 * time differs.
 */
#include <string.h>

#include "cpu/translate.h"
#include "softmmu/machine.h"

/* overlapping MOVS: the fewest elements worth a bulk run between per-element stretches */
enum { REP_BULK_MIN_GAP = 16 };

/* offsets available from off (the first element's) up to the end of the address size, in
   whole elements of `size` bytes, without overflow in 64-bit addressing */
static uint64_t elems_up(uint64_t off, uint64_t amask, unsigned size)
{
    uint64_t rem = amask - off; /* bytes after off's first byte */
    return rem / size + (rem % size + 1) / size;
}

/* Whether every byte offset in [lo, hi] of segment seg passes the checks of a data access
   (the predicate form of helper_seg_check, cpu/helper-prot.c) */
static bool seg_run_ok(CPUX86State *env, int seg, uint64_t lo, uint64_t hi, bool write)
{
    if (!(env->hflags & (1u << (HF_SEG_CHECK_SHIFT + seg)))) {
        return true;
    }
    const SegmentCache *s = &env->seg[seg];
    uint32_t type = (s->flags >> 8) & 0x1f;
    bool real = !(env->cr[0] & CR0_PE) || (env->eflags & EFL_VM);
    if (!real) {
        if ((s->selector & ~3u) == 0 || !(s->flags & DESC_P_MASK) || !(type & 0x10)) {
            return false;
        }
        if (write ? (type & 0x18) != 0x10 || !(type & 0x02)
                  : (type & 0x18) == 0x18 && !(type & 0x02)) {
            return false;
        }
    }
    if ((type & 0x1c) == 0x14) { /* expand-down data */
        uint64_t top = (s->flags & DESC_B_MASK) ? 0xffffffffull : 0xffffull;
        return lo > s->limit && hi <= top;
    }
    return hi <= s->limit;
}

/* The run of at most n elements from seg:off stepping by ±size: trims n to what stays in the
   address size, the page and the segment; returns the host pointer of the run's first element
   (NULL: nothing to do in bulk). */
static uint8_t *run_start(CPUX86State *env, int seg, uint64_t off, uint64_t amask, unsigned size,
                          bool down, bool write, uint64_t *n)
{
    bool code64 = env->hflags & HF_CS64;
    uint64_t base = (env->hflags & (1u << (HF_ZERO_BASE_SHIFT + seg))) ? 0 : env->seg[seg].base;
    uint64_t lin = off + base;
    if (!code64) {
        lin = (uint32_t)lin; /* linear addresses wrap at 4 GiB outside 64-bit mode (3A 3.3) */
    }
    uint64_t in_page = lin & (TLB_PAGE_SIZE - 1);
    uint64_t k;
    if (!down) {
        k = elems_up(off, amask, size);
        uint64_t pk = (TLB_PAGE_SIZE - in_page) / size;
        k = pk < k ? pk : k;
    } else {
        if (off + size - 1 > amask || in_page + size > TLB_PAGE_SIZE) {
            return NULL; /* the first element wraps or crosses the page: per element */
        }
        k = off / size + 1;
        uint64_t pk = in_page / size + 1;
        k = pk < k ? pk : k;
    }
    k = k < *n ? k : *n;
    if (k == 0) {
        return NULL;
    }
    uint64_t lo = down ? off - (k - 1) * size : off;
    if (!seg_run_ok(env, seg, lo, lo + k * size - 1, write)) {
        return NULL;
    }
    unsigned mmu = ((env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT) == 3 ? 1 : 0;
    uint8_t *h = softmmu_ram_probe(&env->common, lin, write, mmu);
    *n = k;
    return h;
}

/* reg = reg + delta within an address size of asz bytes, as the per-element code writes it:
   a 16-bit size replaces the low word; 32 bits zero-extend into RxX in 64-bit mode (SDM
   Vol. 1 3.4.1.1) and replace the low half outside it, where the i32 globals are its view */
static void reg_add(CPUX86State *env, int r, int64_t delta, unsigned asz)
{
    uint64_t v = env->regs[r] + (uint64_t)delta;
    if (asz == 2) {
        env->regs[r] = (env->regs[r] & ~0xffffull) | (v & 0xffff);
    } else if (asz == 4) {
        env->regs[r] = (env->hflags & HF_CS64) ? (uint32_t)v
                                               : (env->regs[r] & ~0xffffffffull) | (uint32_t)v;
    } else {
        env->regs[r] = v;
    }
}

/* ctl = element size | address size << 4 | REP_BULK_STOS | source segment << 12. Returns how
   many elements the caller should do one by one before calling again (at least 1). */
static uint32_t helper_rep_bulk(CPUX86State *env, uint32_t ctl)
{
    unsigned size = ctl & 0xf, asz = (ctl >> 4) & 0xf;
    bool stos = ctl & REP_BULK_STOS;
    int sseg = (int)(ctl >> 12) & 7;
    uint64_t amask = asz == 2 ? 0xffff : asz == 4 ? 0xffffffffull : ~0ull;
    bool down = env->eflags & EFL_DF;
    int64_t budget = env->common.budget;
    uint64_t n = env->regs[R_ECX] & amask;
    if (budget <= 0 || n == 0) {
        return 1;
    }
    n = (uint64_t)budget < n ? (uint64_t)budget : n;
    /* the source first: the per-element code reads it before it writes the destination, so a
       translation (which sets accessed and dirty bits) happens in the same order */
    uint8_t *hs = NULL, *hd;
    if (!stos) {
        hs = run_start(env, sseg, env->regs[R_ESI] & amask, amask, size, down, false, &n);
        if (!hs) {
            return 1;
        }
    }
    /* n may shrink here: the source's run only gets shorter, so it stays valid */
    hd = run_start(env, R_ES, env->regs[R_EDI] & amask, amask, size, down, true, &n);
    if (!hd) {
        /* not plain RAM, a fault, or an element across the page: the next element one by
           one (it takes the slow path, raises, or crosses), then try again */
        return 1;
    }
    if (!stos) {
        /* an overlap the element order would see (see the header): the gap's worth */
        uint64_t run = n;
        uint64_t gap = !down && hd > hs ? (uint64_t)(hd - hs) / size
                       : down && hd < hs ? (uint64_t)(hs - hd) / size
                                         : n;
        if (gap < n) {
            if (gap < REP_BULK_MIN_GAP) {
                /* too close for runs worth a call (MOVSB with EDI = ESI + 1 replicates a
                   byte): the rest of this page one by one */
                return (uint32_t)run;
            }
            n = gap;
        }
    }
    uint64_t bytes = n * size;
    uint8_t *dlo = down ? hd - (bytes - size) : hd;
    if (stos) {
        /* the element in guest (little-endian) byte order, then doubled */
        uint64_t v = env->regs[R_EAX];
        for (unsigned i = 0; i < size; i++) {
            dlo[i] = (uint8_t)(v >> (8 * i));
        }
        if (size == 1) {
            memset(dlo, dlo[0], bytes);
        } else {
            for (uint64_t done = size; done < bytes;) {
                uint64_t c = done < bytes - done ? done : bytes - done;
                memcpy(dlo + done, dlo, c);
                done += c;
            }
        }
    } else {
        memmove(dlo, down ? hs - (bytes - size) : hs, bytes);
        reg_add(env, R_ESI, down ? -(int64_t)bytes : (int64_t)bytes, asz);
    }
    reg_add(env, R_EDI, down ? -(int64_t)bytes : (int64_t)bytes, asz);
    reg_add(env, R_ECX, -(int64_t)n, asz);
    env->common.budget -= (int64_t)n;
    Machine *m = env->common.machine;
    m->rep_bulk_runs++;
    m->rep_bulk_elems += n;
    /* the run ended at a page boundary, the count or the budget: the next element goes the
       per-element way (which crosses the page, fills the TLB, or leaves for the budget) */
    return 1;
}
IRHelper helper_rep_bulk_desc = {"rep_bulk", (void *)helper_rep_bulk, 0, IR_I32, 2,
                                 {IR_PTR, IR_I32}, NULL};

/* Leave translated code between iterations of a REP instruction (cpu/translate-string.c):
   EIP at the instruction, which keeps its charge (it paid for its first iteration); the
   instructions after it in the block did not run and are refunded. */
static void helper_rep_suspend(CPUX86State *env, uint64_t eip)
{
    env->eip = eip;
    tcg_exit_after_insn(&env->common);
}
IRHelper helper_rep_suspend_desc = {"rep_suspend", (void *)helper_rep_suspend, IR_CALL_MAY_RAISE,
                                    IR_RET_VOID, 2, {IR_PTR, IR_I64}, NULL};
