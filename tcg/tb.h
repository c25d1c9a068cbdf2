/*
 * tcg/tb.h — translation blocks and the cache that finds them.
 *
 * A TB is keyed by (linear pc, CS base, mode flags, cflags). Lookup goes through a per-CPU
 * direct-mapped jump cache, then a hash table. Direct jumps out of a TB (goto_tb slots 0/1) are
 * chained by the backend patching its host code (or the interpreter's pointer); every TB keeps
 * the list of incoming chained jumps so invalidation can unchain them. TBs are also listed per
 * guest physical page they cover, so a write to that page invalidates exactly them.
 */
#ifndef XLAT_TCG_TB_H
#define XLAT_TCG_TB_H

#include <stdbool.h>
#include <stdint.h>

/* cflags */
enum {
    CF_COUNT_MASK = 0xffff, /* if nonzero, translate at most this many instructions */
    CF_NOCACHE = 1 << 16,   /* one-shot TB: not entered in the hash table */
};

/* The inline cache of one lookup_and_goto in a block (the JIT's fast path): the last target
   key (the value the frontend gave the op: for x86, EIP, or RIP in 64-bit code) with the block
   it led to, valid while CPUCommon.jump_gen is `gen`. A block's code runs only in the mode and
   CS base of its key and ends where those change, so the same key at the same exit means the
   same target key. An I32 exit compares the low 32 bits of `key` only (its high half is then
   whatever the caller's register held), an I64 exit all 64. */
typedef struct TBJumpCache {
    uint64_t gen_not; /* ~gen: 0 (empty) never matches a generation */
    struct TranslationBlock *tb;
    struct TranslationBlock *owner; /* set by the backend that generated the exit */
    uint64_t key;
} TBJumpCache;
#define TB_NB_JUMP_CACHES 2

typedef struct TranslationBlock {
    uint64_t pc;      /* linear address of the first instruction */
    uint64_t cs_base;
    uint32_t flags;   /* guest mode flags (part of the key) */
    uint32_t cflags;
    uint32_t icount;  /* guest instructions in the block */
    uint32_t size;    /* guest bytes */
    uint64_t phys_pc;      /* guest physical address of the first byte */
    uint64_t phys_page[2]; /* guest physical pages covered (-1 if none) */

    void *code;       /* host code (JIT) or pre-decoded program (interp) */
    uint32_t code_size;

    /* chaining: backend-specific location of the patchable jump of each slot */
    uintptr_t jmp_insn_offset[2];
    struct TranslationBlock *jmp_dest[2]; /* where slot n is chained to, or NULL */
    /* incoming jumps: a list of (tb, slot) encoded as tb pointer | slot */
    uintptr_t jmp_list_head;
    uintptr_t jmp_list_next[2];

    struct TranslationBlock *hash_next;
    struct TranslationBlock *page_next[2];

    uint64_t *insn_pc; /* guest pc of each instruction, for precise faults */
    TBJumpCache jc[TB_NB_JUMP_CACHES]; /* for the first lookup_and_goto exits */
    bool invalid;
} TranslationBlock;

#endif
