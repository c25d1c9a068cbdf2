/*
 * tcg/cpu-common.h — the part of a guest CPU's state that the engine and the backends know.
 *
 * Every guest CPU state struct begins with a CPUCommon, so translated code can reach the
 * instruction budget, the current-instruction marker and the TLB at fixed offsets from the
 * CPU-state pointer without knowing anything of the guest architecture.
 */
#ifndef XLAT_TCG_CPU_COMMON_H
#define XLAT_TCG_CPU_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "softmmu/tlb-defs.h"

struct TranslationBlock;
struct Machine;
struct TCGContext;

typedef struct CPUCommon {
    /* Instructions left in this slice. Every TB subtracts its instruction count at entry and
       exits (undoing the subtraction) if the result is negative (DESIGN.md, time). */
    int64_t budget;
    /* Index within the current TB of the guest instruction that is executing; stored by
       translated code before anything that may raise, so faults are precise. */
    uint32_t insn_index;
    uint32_t pad0;
    /* The TB that is executing: stored together with insn_index on the way to a slow path or a
       helper that may raise (never on the fast path). */
    struct TranslationBlock *cur_tb;
    /* the machine this CPU belongs to (for the softmmu slow paths) */
    struct Machine *machine;
    /* the engine that runs this CPU */
    struct TCGContext *tcg;
    /* nonzero: leave translated code at the next block boundary (set with cpu_exit) */
    uint32_t exit_request;
    uint32_t pad1;
    /* the budget put aside by cpu_exit, restored by the loop */
    int64_t budget_saved;
    /* Bumped by every TLB flush (whole or one page) and every TB invalidation: a jump-cache
       entry or a jump's inline cache made under the same generation still leads to a live
       block translated from the bytes its linear pc maps to now, so a lookup can skip
       translating the pc again (tcg/tb.c tb_lookup_jump, tcg/exec.c tcg_lookup_tb_ic). A guest
       that edits a page-table entry without invalidating may see the old mapping: the SDM
       allows it (Vol. 3A 4.10.4.4). */
    uint64_t jump_gen;
    /* Guest accesses that hit the TLB in translated code's inline probe. Counted only when
       TCGContext.count_tlb_hits (-stats) was set as the code was generated: the backends then
       emit an increment on the fast path; otherwise it stays 0 and costs nothing. */
    uint64_t tlb_hits;
    /* the softmmu TLB, indexed by MMU index then page */
    TLBEntry tlb[TLB_NB_MMU][TLB_SIZE];
} CPUCommon;

#define CPU_OFF_BUDGET offsetof(CPUCommon, budget)
#define CPU_OFF_INSN_INDEX offsetof(CPUCommon, insn_index)
#define CPU_OFF_CUR_TB offsetof(CPUCommon, cur_tb)
#define CPU_OFF_TLB offsetof(CPUCommon, tlb)
#define CPU_OFF_JUMP_GEN offsetof(CPUCommon, jump_gen)
#define CPU_OFF_TLB_HITS offsetof(CPUCommon, tlb_hits)


/* Guest memory slow paths (softmmu/tlb.c), called by translated code when the inline TLB probe
   misses. memop is the gld/gst constant (size, sign, mmu index). Loads return the value extended
   to 64 bits as memop says. They may raise a guest fault (longjmp to the loop): callers store
   cur_tb and insn_index first and keep the guest state in env precise. */
uint64_t softmmu_ld_slow(CPUCommon *env, uint64_t addr, uint32_t memop);
void softmmu_st_slow(CPUCommon *env, uint64_t addr, uint64_t val, uint32_t memop);

/* A page first received translated code: TLB entries that map it must send writes to the slow
   path from now on. */
void softmmu_code_page_added(CPUCommon *env, uint64_t phys_page);

/* Ask the CPU to leave translated code at the next TB entry (budget forced negative). */
void cpu_exit(CPUCommon *env);

#endif
