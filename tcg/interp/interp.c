/*
 * tcg/interp/interp.c — the portable IR interpreter backend: its Backend description, its
 * instruction table and chaining.
 *
 * The interpreter runs the same optimized IR as the JIT on any host: gen_code pre-decodes the
 * IR into a compact program (gen.c, format in interp.h), exec runs it (run.c), helper calls go
 * through libffi (call.c), disas prints a program (disas.c). Chaining needs no code patching:
 * a goto_tb slot is chained when tb->jmp_dest[slot] is set, which the run loop reads.
 */
#include "tcg/interp/interp.h"

#include <assert.h>

const InterpOpDef interp_op_defs[INTERP_NB_OPS] = {
#define INTERP_OP(name, units, operands) [INTERP_##name] = {#name, units, operands},
#include "tcg/interp/interp-ops.def"
#undef INTERP_OP
};

/* The length an operand string implies: 'o' and 'L' take two units, every other letter one. */
static unsigned operand_units(const char *operands)
{
    unsigned n = 1;
    for (const char *p = operands; *p; p++) {
        n += (*p == 'o' || *p == 'L') ? 2 : 1;
    }
    return n;
}

unsigned interp_insn_units(const uint16_t *insn)
{
    if (insn[0] == INTERP_call) {
        return INTERP_LEN_call + insn[1];
    }
    return interp_op_defs[insn[0]].units;
}

static int interp_init(TCGContext *s)
{
    (void)s;
    /* the run loop steps by the lengths written in interp-ops.def: check them once */
    for (int i = 0; i < INTERP_NB_OPS; i++) {
        if (operand_units(interp_op_defs[i].operands) != interp_op_defs[i].units) {
            fprintf(stderr, "xlat: interp: bad length for %s in interp-ops.def\n",
                    interp_op_defs[i].name);
            return -1;
        }
    }
    /* the scratch memory of the pre-decoder is allocated on first use (gen.c) */
    return 0;
}

/* The run loop follows tb->jmp_dest at goto_tb: setting it is all chaining takes. tb_link and
   the invalidation path also set it themselves; doing it here too keeps the backend usable
   without them. */
static void interp_set_jump(TCGContext *s, TranslationBlock *tb, int slot,
                            TranslationBlock *dest)
{
    (void)s;
    assert(slot == 0 || slot == 1);
    tb->jmp_dest[slot] = dest;
}

const Backend backend_interp = {
    .name = "interp",
    .native_flags = false,
    .init = interp_init,
    .gen_code = interp_gen_code,
    .exec = interp_exec,
    .set_jump = interp_set_jump,
    .disas = interp_disas,
};
