/*
 * tcg/backend.h — what a code generator provides to the engine.
 *
 * A backend turns an optimized IRFunc (after tcg/flags.c lowering, unless it says it handles
 * flag ops itself) into something the execution loop can run, and knows how to chain one TB to
 * another. It knows the IR and its host; it knows nothing of the x86 guest.
 */
#ifndef XLAT_TCG_BACKEND_H
#define XLAT_TCG_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tcg/ir.h"
#include "tcg/tb.h"

struct TCGContext;

typedef struct Backend {
    const char *name;
    bool native_flags; /* true: gen_code accepts fl_* ops (else they are lowered first) */
    /* once per TCGContext, after the code cache exists */
    int (*init)(struct TCGContext *s);
    /* Translate f for tb into the code cache (tcg_cache_alloc); 0 on success, -1 if the cache
       is full (the engine flushes and retries). Sets tb->code, tb->code_size, jmp_insn_offset. */
    int (*gen_code)(struct TCGContext *s, IRFunc *f, TranslationBlock *tb);
    /* Run from tb until translated code exits; returns the last TB | IR_EXIT_* code. */
    uintptr_t (*exec)(struct TCGContext *s, void *env, TranslationBlock *tb);
    /* Point jump slot n of tb at dest's code, or back at its exit when dest is NULL. */
    void (*set_jump)(struct TCGContext *s, TranslationBlock *tb, int slot, TranslationBlock *dest);
    /* Write a disassembly of tb's host code to out (-d out_asm). */
    void (*disas)(struct TCGContext *s, TranslationBlock *tb, FILE *out);
} Backend;

extern const Backend backend_x86_64;
extern const Backend backend_interp;

#endif
