/*
 * tcg/tcg.h — the translator engine's context: code cache, TB table, backend, frontend hooks,
 * logging and statistics. One TCGContext per Machine (no global state).
 */
#ifndef XLAT_TCG_TCG_H
#define XLAT_TCG_TCG_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcg/backend.h"
#include "tcg/cpu-common.h"
#include "tcg/ir.h"
#include "tcg/tb.h"

struct TCGContext;

/* What the guest frontend (cpu/) provides to the engine. */
typedef struct TCGFrontend {
    /* Translate the block at tb->pc (key fields already set) into f; sets tb->icount, tb->size,
       tb->insn_pc and tb->phys_page[]. Returns 0, or -1 if the first instruction cannot even be
       fetched (the frontend has raised the fault in env). */
    int (*translate)(struct TCGContext *s, CPUCommon *env, TranslationBlock *tb, IRFunc *f);
    /* The key of the block the CPU will execute next: linear pc, the physical address its
       bytes come from now, CS base and mode flags. */
    void (*get_tb_key)(CPUCommon *env, uint64_t *pc, uint64_t *phys_pc, uint64_t *cs_base,
                       uint32_t *flags);
    /* The same without the physical address (no TLB lookup): for the jump cache, whose
       entries are valid while the TLB generation is unchanged. */
    void (*get_pc_key)(CPUCommon *env, uint64_t *pc, uint64_t *cs_base, uint32_t *flags);
    /* A fault happened inside tb at instruction index i: make the guest pc point at it. */
    void (*restore_state)(CPUCommon *env, TranslationBlock *tb, int insn_index);
    /* Guest disassembly of tb for -d in_asm. */
    void (*disas)(struct TCGContext *s, CPUCommon *env, TranslationBlock *tb, FILE *out);
    /* Called before every block the loop enters: deliver pending exceptions and interrupts.
       Returns true when the CPU cannot run now (halted, stopped): the loop returns. */
    bool (*exec_pending)(CPUCommon *env);
    /* -d cpu: the guest registers */
    void (*dump_state)(CPUCommon *env, FILE *out);
} TCGFrontend;

/* -d flags */
enum {
    LOG_IN_ASM = 1 << 0,
    LOG_OP = 1 << 1,
    LOG_OP_OPT = 1 << 2,
    LOG_OUT_ASM = 1 << 3,
    LOG_EXEC = 1 << 4,
    LOG_CPU = 1 << 5,
    LOG_INT = 1 << 6,
    LOG_UNIMP = 1 << 7,
    LOG_POST = 1 << 8, /* POST codes written to port 0x80 (hw/port80.c) */
};

typedef struct TCGStats {
    uint64_t tbs_translated;
    uint64_t tb_flushes;
    uint64_t tbs_invalidated;
    uint64_t chained;        /* jumps patched */
    uint64_t jc_lookups, jc_hits;
    uint64_t host_code_bytes; /* total generated, across flushes */
    uint64_t guest_insns_translated;
    uint64_t flags_defs, flags_dropped;
    uint64_t exits_budget;
} TCGStats;

#define TB_JMP_CACHE_BITS 12
#define TB_JMP_CACHE_SIZE (1u << TB_JMP_CACHE_BITS)
#define TB_HASH_BITS 15

typedef struct TCGContext {
    const Backend *backend;
    const TCGFrontend *fe;

    /* code cache: one mapping, bump-allocated, flushed whole when full */
    uint8_t *code_buf;
    size_t code_size;
    size_t code_used;
    size_t code_start;  /* after the backend's fixed code (prologue), kept across flushes */

    /* TB pool, flushed with the code cache */
    TranslationBlock *tbs;
    size_t nb_tbs, max_tbs;
    uint64_t *insn_pcs; /* pool for tb->insn_pc */
    size_t nb_insn_pcs, max_insn_pcs;
    TranslationBlock *hash[1u << TB_HASH_BITS];
    TranslationBlock *jmp_cache[TB_JMP_CACHE_SIZE]; /* one CPU for now */
    uint64_t jmp_cache_gen[TB_JMP_CACHE_SIZE];      /* the CPU's jump_gen when the entry was made */
    uint64_t *jump_gen; /* that CPU's counter (set by tcg_cpu_exec; NULL before it first ran) */

    /* guest physical pages holding TBs: a small open hash, page -> first TB */
    struct TBPageEntry *pages;
    size_t pages_size, pages_used;

    IRFunc ir;
    void *be_priv; /* backend state */
    void *fe_priv; /* frontend state (e.g. its IR global numbers) */

    /* logging */
    unsigned log_mask;
    FILE *log;

    TCGStats stats;
    /* generate code that counts inline TLB hits (CPUCommon.tlb_hits): for -stats only */
    bool count_tlb_hits;

    /* exceptions raised in helpers come back here */
    jmp_buf *exit_jmp;
    /* cflags for the next block only (one-shot partial or restart blocks) */
    uint32_t next_cflags;
} TCGContext;

/* code cache */
int tcg_init(TCGContext *s, const Backend *be, const TCGFrontend *fe, size_t cache_size);
void tcg_free(TCGContext *s);
static inline uint8_t *tcg_cache_ptr(TCGContext *s) { return s->code_buf + s->code_used; }
static inline size_t tcg_cache_avail(TCGContext *s) { return s->code_size - s->code_used; }
void tcg_cache_commit(TCGContext *s, size_t bytes);
void tcg_flush(TCGContext *s);

/* TBs */
TranslationBlock *tb_lookup(TCGContext *s, CPUCommon *env, uint64_t pc, uint64_t phys_pc,
                            uint64_t cs_base, uint32_t flags, uint32_t cflags);
/* The jump cache alone, for a pc whose physical address was not computed: a hit needs the
   entry to come from the current TLB generation (CPUCommon.jump_gen). */
TranslationBlock *tb_lookup_jump(TCGContext *s, CPUCommon *env, uint64_t pc, uint64_t cs_base,
                                 uint32_t flags);
TranslationBlock *tb_find_or_translate(TCGContext *s, CPUCommon *env, uint32_t cflags);
void tb_link(TCGContext *s, TranslationBlock *from, int slot, TranslationBlock *to);
/* Invalidate every TB whose guest bytes overlap physical [start, end) (within one page), or
   every TB on a page. Returns how many. */
int tb_invalidate_phys_range(TCGContext *s, uint64_t start, uint64_t end);
int tb_invalidate_phys_page(TCGContext *s, uint64_t page);
bool tb_page_has_code(TCGContext *s, uint64_t page);
/* TB pool (tcg/tb.c), used by the translation driver */
TranslationBlock *tb_alloc(TCGContext *s, size_t max_insns);
void tb_alloc_trim(TCGContext *s, TranslationBlock *tb);
void tb_alloc_undo(TCGContext *s, TranslationBlock *tb);
bool tb_register(TCGContext *s, TranslationBlock *tb, bool *new_code_page);

/* Called from translated code (lookup_and_goto): the next TB if it exists and may be entered
   directly, else NULL (then the code exits to the loop). */
TranslationBlock *tcg_lookup_tb_for_jump(CPUCommon *env);
/* The same, from a JIT exit with an inline cache: fills jc when the target may be cached. */
TranslationBlock *tcg_lookup_tb_ic(CPUCommon *env, TBJumpCache *jc, uint64_t key);

/* The execution loop: run until the budget is spent or the frontend stops. Returns the reason. */
enum {
    TCG_EXIT_BUDGET = 1, /* budget is 0: time to run timers/events */
    TCG_EXIT_EXCEPTION,  /* a guest exception is pending in env (delivered by the frontend) */
    TCG_EXIT_STOP,       /* the frontend asked to stop (halt, I/O exit, request) */
};
int tcg_cpu_exec(TCGContext *s, CPUCommon *env);

/* Called by helpers: leave translated code now, with env's state precise at the current
   instruction (which does not retire). Does not return. */
_Noreturn void tcg_raise(CPUCommon *env);
/* Leave translated code after the current instruction retires; env holds the next pc. */
_Noreturn void tcg_exit_after_insn(CPUCommon *env);
/* The current instruction must run again from a fresh one-instruction block (it wrote to its
   own translated code). Like tcg_raise, but no exception is pending. */
_Noreturn void tcg_restart_insn(CPUCommon *env);

/* IR passes */
void tcg_lower_flags(IRFunc *f);  /* tcg/flags.c */
void tcg_optimize(IRFunc *f);     /* tcg/opt.c */

/* the TCGContext of a CPU (one per machine; set up by the machine) */
static inline TCGContext *tcg_ctx_of(CPUCommon *env) { return env->tcg; }

#endif
