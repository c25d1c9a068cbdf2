/*
 * tcg/interp/interp.h — internal to the portable IR interpreter (tcg/interp/): the layout of a
 * pre-decoded program and the entry points shared by its files.
 *
 * gen_code (gen.c) turns an optimized IRFunc into a program placed in the code cache:
 *
 *     InterpProg header | code: uint16_t units | padding to 8 | frame: uint64_t slots
 *
 * An instruction is an opcode unit followed by operand units (interp-ops.def). Operands are
 * frame-slot numbers, small immediates, or 32-bit values split over two units. Every temp the
 * block uses lives in a slot of the frame:
 *   slot 0                      env (the CPU-state pointer), stored at every block entry
 *   slots 1 .. nb_consts        constants (canonical values) and helper pointers, written once
 *                               by gen_code: operands need no immediate forms
 *   the rest                    globals (cached per basic block, see gen.c), locals, and
 *                               normal temps (slots reused once a temp is dead)
 * i32 values are kept canonical in their slots (upper 32 bits zero).
 *
 * The frame belongs to the TB and lies in the code cache next to its code: entering a block
 * costs one store (env) and no constant set-up. This relies on the engine running one CPU at a
 * time on one thread and never re-entering a TB's program while it runs (DESIGN.md).
 *
 * call layout: [call] [nargs] [helper slot] [ret slot | INTERP_NO_SLOT]
 *              [insn index | INTERP_NO_INSN] [arg slot] x nargs
 * The insn index is present for helpers flagged IR_CALL_MAY_RAISE: cur_tb and insn_index are
 * stored in env before the call so a fault is precise.
 */
#ifndef XLAT_TCG_INTERP_INTERP_H
#define XLAT_TCG_INTERP_INTERP_H

#include <stdint.h>
#include <stdio.h>

#include "tcg/tcg.h"

typedef enum InterpOpcode {
#define INTERP_OP(name, units, operands) INTERP_##name,
#include "tcg/interp/interp-ops.def"
#undef INTERP_OP
    INTERP_NB_OPS
} InterpOpcode;

/* INTERP_LEN_add_i32 == 4: fixed instruction lengths, used by the run loop to step */
enum {
#define INTERP_OP(name, units, operands) INTERP_LEN_##name = units,
#include "tcg/interp/interp-ops.def"
#undef INTERP_OP
};

typedef struct InterpOpDef {
    const char *name;
    uint8_t units;
    const char *operands;
} InterpOpDef;

extern const InterpOpDef interp_op_defs[INTERP_NB_OPS];

enum {
    INTERP_NO_SLOT = 0xffff, /* call without a result */
    INTERP_NO_INSN = 0xffff, /* call that cannot raise */
    INTERP_MAX_SLOTS = 0xffff,
    INTERP_SLOT_ENV = 0,
};

typedef struct InterpProg {
    uint32_t nb_units;  /* length of the code in 16-bit units, the final trap included */
    uint32_t nb_slots;  /* frame slots */
    uint32_t nb_consts; /* slots [1, 1 + nb_consts) hold constants */
    uint32_t frame_off; /* byte offset of the frame from the start of the program */
} InterpProg;

static inline const uint16_t *interp_code(const InterpProg *p)
{
    return (const uint16_t *)(p + 1);
}

static inline uint64_t *interp_frame(const InterpProg *p)
{
    /* the frame is scratch memory of the program, written while it runs */
    return (uint64_t *)((uintptr_t)p + p->frame_off);
}

/* a 32-bit operand split over two units, low half first */
static inline uint32_t interp_u32(const uint16_t *u)
{
    return (uint32_t)u[0] | (uint32_t)u[1] << 16;
}

/* units of an instruction (call included) */
unsigned interp_insn_units(const uint16_t *insn);

int interp_gen_code(TCGContext *s, IRFunc *f, TranslationBlock *tb);
uintptr_t interp_exec(TCGContext *s, void *env, TranslationBlock *tb);
void interp_disas(TCGContext *s, TranslationBlock *tb, FILE *out);

/* Helper calls through libffi (call.c). prepare builds and caches the call interface of h in
   h->backend_data (once per helper); call runs it with the arguments read from frame slots and
   writes the result to slot ret (unless INTERP_NO_SLOT). */
int interp_helper_prepare(const IRHelper *h);
void interp_helper_call(const IRHelper *h, uint64_t *frame, const uint16_t *arg_slots,
                        unsigned ret);

#endif
