/*
 * tcg/opt.c — the IR optimizer: constant folding, algebraic simplification, copy propagation,
 * branch folding, dead global-store elimination and dead-code elimination.
 *
 * Forward pass (per basic block): every input is replaced by the oldest equivalent temp (a copy
 * or a constant), then an op whose inputs are all constants is folded to a mov of a constant.
 * Backward passes: a store to a global that is overwritten in the same block before anything
 * can observe it is dropped (observers: readers of that global, block ends, ops that may fault
 * or call out); ir_liveness then removes pure ops whose results are never used.
 */
#include <stdlib.h>
#include <string.h>

#include "tcg/ir.h"
#include "tcg/tcg.h"

typedef struct OptState {
    IRFunc *f;
    int *copy_of;  /* temp -> the temp it equals, or -1 */
} OptState;

static uint64_t mask_of(IRType t)
{
    return t == IR_I32 ? 0xffffffffull : ~0ull;
}

static int64_t canon(IRType t, uint64_t v)
{
    return t == IR_I32 ? (int64_t)(int32_t)v : (int64_t)v;
}

/* Fold a unary/binary integer op on constants. Returns false if it cannot. */
static bool fold(IROpcode opc, IRType t, uint64_t a, uint64_t b, IRArg c0, IRArg c1,
                 uint64_t *out)
{
    unsigned bits = t == IR_I32 ? 32 : 64;
    uint64_t m = mask_of(t);
    a &= m;
    b &= m;
    uint64_t r;
    switch (opc) {
    case IR_mov: r = a; break;
    case IR_add: r = a + b; break;
    case IR_sub: r = a - b; break;
    case IR_mul: r = a * b; break;
    case IR_and: r = a & b; break;
    case IR_or: r = a | b; break;
    case IR_xor: r = a ^ b; break;
    case IR_andc: r = a & ~b; break;
    case IR_shl: r = a << (b & (bits - 1)); break;
    case IR_shr: r = a >> (b & (bits - 1)); break;
    case IR_sar: r = (uint64_t)(canon(t, a) >> (b & (bits - 1))); break;
    case IR_rotl: {
        unsigned s = b & (bits - 1);
        r = s ? (a << s) | (a >> (bits - s)) : a;
        break;
    }
    case IR_rotr: {
        unsigned s = b & (bits - 1);
        r = s ? (a >> s) | (a << (bits - s)) : a;
        break;
    }
    case IR_neg: r = -a; break;
    case IR_not: r = ~a; break;
    case IR_ext8s: r = (uint64_t)(int64_t)(int8_t)a; break;
    case IR_ext8u: r = (uint8_t)a; break;
    case IR_ext16s: r = (uint64_t)(int64_t)(int16_t)a; break;
    case IR_ext16u: r = (uint16_t)a; break;
    case IR_ext32s: r = (uint64_t)(int64_t)(int32_t)a; break;
    case IR_ext32u: r = (uint32_t)a; break;
    case IR_ext_i32_i64: r = (uint64_t)(int64_t)(int32_t)a; break;
    case IR_extu_i32_i64: r = (uint32_t)a; break;
    case IR_extrl_i64_i32: r = (uint32_t)a; break;
    case IR_extrh_i64_i32: r = a >> 32; break;
    case IR_extract:
    case IR_sextract: {
        unsigned pos = (unsigned)c0, len = (unsigned)c1;
        uint64_t v = a >> pos;
        if (len < 64) {
            v &= (1ull << len) - 1;
            if (opc == IR_sextract && (v >> (len - 1)) & 1) {
                v |= ~0ull << len;
            }
        }
        r = v;
        break;
    }
    case IR_deposit: {
        unsigned pos = (unsigned)c0, len = (unsigned)c1;
        uint64_t fm = (len < 64 ? (1ull << len) - 1 : ~0ull) << pos;
        r = (a & ~fm) | ((b << pos) & fm);
        break;
    }
    default:
        return false;
    }
    *out = r;
    return true;
}

static IRType out_type(const IROp *op)
{
    switch (op->opc) {
    case IR_ext_i32_i64:
    case IR_extu_i32_i64:
        return IR_I64;
    case IR_extrl_i64_i32:
    case IR_extrh_i64_i32:
        return IR_I32;
    default:
        return (IRType)op->type;
    }
}

static IRType in_type(const IROp *op)
{
    switch (op->opc) {
    case IR_ext_i32_i64:
    case IR_extu_i32_i64:
        return IR_I32;
    case IR_extrl_i64_i32:
    case IR_extrh_i64_i32:
        return IR_I64;
    default:
        return (IRType)op->type;
    }
}

/* forget every equivalence that involves temp t (it is being redefined) */
static void kill_copies(OptState *st, int t)
{
    IRFunc *f = st->f;
    st->copy_of[t] = -1;
    for (int u = 0; u < f->nb_temps; u++) {
        if (st->copy_of[u] == t) {
            st->copy_of[u] = -1;
        }
    }
}

static void kill_globals(OptState *st)
{
    IRFunc *f = st->f;
    for (int u = 0; u < f->nb_temps; u++) {
        int c = st->copy_of[u];
        if (u < f->nb_globals || (c >= 0 && c < f->nb_globals)) {
            st->copy_of[u] = -1;
        }
    }
}

static void kill_all(OptState *st)
{
    memset(st->copy_of, 0xff, sizeof(int) * st->f->nb_temps);
}

static void make_mov(IRFunc *f, IROp *op, IRType t, int d, int src)
{
    op->opc = IR_mov;
    op->type = t;
    op->nb_oargs = 1;
    op->nb_iargs = 1;
    op->nb_cargs = 0;
    op->args[0] = d;
    op->args[1] = src;
    (void)f;
}

static bool is_const(IRFunc *f, int t, int64_t v)
{
    return f->temps[t].kind == TEMP_CONST && f->temps[t].val == v;
}

/* algebraic identities; returns true if the op became a mov */
static bool simplify(IRFunc *f, IROp *op)
{
    IRType t = (IRType)op->type;
    int d = ir_oarg(op, 0);
    int a, b;
    switch (op->opc) {
    case IR_add:
    case IR_or:
    case IR_xor:
    case IR_mul:
    case IR_and:
        /* commutative: constants to the right, which backends encode as immediates */
        if (ir_is_const(f, ir_iarg(op, 0)) && !ir_is_const(f, ir_iarg(op, 1))) {
            IRArg x = op->args[1];
            op->args[1] = op->args[2];
            op->args[2] = x;
        }
        break;
    default:
        break;
    }
    if (!(ir_def(op)->flags & IR_OPF_INT) || op->nb_iargs != 2 || op->nb_oargs != 1 ||
        op->opc == IR_deposit) {
        return false;
    }
    a = ir_iarg(op, 0);
    b = ir_iarg(op, 1);
    switch (op->opc) {
    case IR_add:
    case IR_sub:
    case IR_or:
    case IR_xor:
    case IR_shl:
    case IR_shr:
    case IR_sar:
    case IR_rotl:
    case IR_rotr:
    case IR_andc:
        if (is_const(f, b, 0)) {
            make_mov(f, op, t, d, a);
            return true;
        }
        if (a == b && (op->opc == IR_sub || op->opc == IR_xor || op->opc == IR_andc)) {
            make_mov(f, op, t, d, ir_const(f, t, 0));
            return true;
        }
        if (a == b && op->opc == IR_or) {
            make_mov(f, op, t, d, a);
            return true;
        }
        break;
    case IR_and:
        if (is_const(f, b, t == IR_I32 ? -1 : -1) || a == b) {
            make_mov(f, op, t, d, a);
            return true;
        }
        if (is_const(f, b, 0)) {
            make_mov(f, op, t, d, b);
            return true;
        }
        break;
    case IR_mul:
        if (is_const(f, b, 1)) {
            make_mov(f, op, t, d, a);
            return true;
        }
        if (is_const(f, b, 0)) {
            make_mov(f, op, t, d, b);
            return true;
        }
        break;
    default:
        break;
    }
    return false;
}

static void forward_pass(OptState *st)
{
    IRFunc *f = st->f;
    kill_all(st);
    for (int i = 0; i < f->nb_ops; i++) {
        IROp *op = &f->ops[i];
        const IROpDef *d = ir_def(op);
        if (op->opc == IR_nop) {
            continue;
        }
        if (op->opc == IR_set_label) {
            kill_all(st);
            continue;
        }
        /* propagate copies into the inputs */
        for (int k = 0; k < op->nb_iargs; k++) {
            int t = ir_iarg(op, k);
            if (st->copy_of[t] >= 0) {
                op->args[op->nb_oargs + k] = st->copy_of[t];
            }
        }
        /* fold */
        if ((d->flags & IR_OPF_INT || op->opc == IR_ext32s || op->opc == IR_ext32u ||
             op->opc == IR_ext_i32_i64 || op->opc == IR_extu_i32_i64 ||
             op->opc == IR_extrl_i64_i32 || op->opc == IR_extrh_i64_i32) &&
            op->nb_oargs == 1 && op->nb_iargs >= 1 && op->nb_iargs <= 2 &&
            !(d->flags & (IR_OPF_SIDE_EFFECTS | IR_OPF_BB_END)) && op->opc != IR_ld &&
            op->opc != IR_setcond) {
            bool all_const = true;
            for (int k = 0; k < op->nb_iargs; k++) {
                all_const &= ir_is_const(f, ir_iarg(op, k));
            }
            uint64_t r;
            if (all_const && op->opc != IR_mov) {
                uint64_t a = (uint64_t)f->temps[ir_iarg(op, 0)].val;
                uint64_t b = op->nb_iargs > 1 ? (uint64_t)f->temps[ir_iarg(op, 1)].val : 0;
                IRArg c0 = op->nb_cargs > 0 ? ir_carg(op, 0) : 0;
                IRArg c1 = op->nb_cargs > 1 ? ir_carg(op, 1) : 0;
                if (fold((IROpcode)op->opc, in_type(op), a, b, c0, c1, &r)) {
                    IRType ot = out_type(op);
                    make_mov(f, op, ot, ir_oarg(op, 0), ir_const(f, ot, canon(ot, r)));
                }
            } else if (!all_const) {
                simplify(f, op);
            }
        } else if (op->opc == IR_setcond && ir_is_const(f, ir_iarg(op, 0)) &&
                   ir_is_const(f, ir_iarg(op, 1))) {
            IRType t = (IRType)op->type;
            bool v = ir_cond_eval((IRCond)ir_carg(op, 0), t, f->temps[ir_iarg(op, 0)].val,
                                  f->temps[ir_iarg(op, 1)].val);
            make_mov(f, op, t, ir_oarg(op, 0), ir_const(f, t, v));
        } else if (op->opc == IR_brcond) {
            IRCond c = (IRCond)ir_carg(op, 0);
            int a = ir_iarg(op, 0), b = ir_iarg(op, 1);
            int known = -1;
            if (c == IR_COND_ALWAYS || c == IR_COND_NEVER) {
                known = c == IR_COND_ALWAYS;
            } else if (ir_is_const(f, a) && ir_is_const(f, b)) {
                known = ir_cond_eval(c, (IRType)op->type, f->temps[a].val, f->temps[b].val);
            }
            if (known == 1) {
                IRArg label = ir_carg(op, 1);
                op->opc = IR_br;
                op->nb_iargs = 0;
                op->nb_cargs = 1;
                op->args[0] = label;
            } else if (known == 0) {
                ir_op_remove(f, i);
                continue;
            }
        }

        /* outputs invalidate what they overwrite */
        if (d->flags & IR_OPF_BB_END) {
            kill_all(st);
            continue;
        }
        if (op->opc == IR_call && !(ir_call_helper(op)->flags & IR_CALL_NO_WRITE_GLOBALS)) {
            kill_globals(st);
        }
        for (int k = 0; k < op->nb_oargs; k++) {
            kill_copies(st, ir_oarg(op, k));
        }
        if (op->opc == IR_mov) {
            int dst = ir_oarg(op, 0), src = ir_iarg(op, 0);
            if (dst == src) {
                ir_op_remove(f, i);
                continue;
            }
            /* record dst == src; a normal temp never stands in for a global beyond its block,
               and blocks end the tracking anyway */
            if (f->temps[dst].kind != TEMP_FIXED && f->temps[src].type == f->temps[dst].type) {
                st->copy_of[dst] = st->copy_of[src] >= 0 ? st->copy_of[src] : src;
            }
        }
    }
}

/* Backward: drop writes to globals that are overwritten before they can be observed. */
static void dead_global_stores(IRFunc *f)
{
    int ng = f->nb_globals;
    uint8_t *over = calloc(ng ? ng : 1, 1);
    if (!over) {
        abort();
    }
    for (int i = f->nb_ops - 1; i >= 0; i--) {
        IROp *op = &f->ops[i];
        const IROpDef *d = ir_def(op);
        if (op->opc == IR_nop) {
            continue;
        }
        bool barrier = (d->flags & (IR_OPF_BB_END | IR_OPF_READS_GLOBALS)) ||
                       op->opc == IR_goto_tb ||
                       (op->opc == IR_call &&
                        !(ir_call_helper(op)->flags & IR_CALL_NO_READ_GLOBALS));
        if (barrier) {
            memset(over, 0, ng);
        }
        bool side = (d->flags & IR_OPF_SIDE_EFFECTS) ||
                    (op->opc == IR_call &&
                     !(ir_call_helper(op)->flags & IR_CALL_NO_SIDE_EFFECTS));
        if (!side && op->nb_oargs == 1) {
            int t = ir_oarg(op, 0);
            if (t < ng && over[t]) {
                ir_op_remove(f, i);
                continue;
            }
        }
        for (int k = 0; k < op->nb_oargs; k++) {
            int t = ir_oarg(op, k);
            if (t < ng) {
                over[t] = 1;
            }
        }
        for (int k = 0; k < op->nb_iargs; k++) {
            int t = ir_iarg(op, k);
            if (t < ng) {
                over[t] = 0;
            }
        }
    }
    free(over);
}

void tcg_optimize(IRFunc *f)
{
    /* folding creates constants as it goes: room for two per op */
    size_t cap = (size_t)f->nb_temps + 2 * (size_t)f->nb_ops + 16;
    OptState st = {f, malloc(sizeof(int) * cap)};
    if (!st.copy_of) {
        abort();
    }
    memset(st.copy_of, 0xff, sizeof(int) * cap);
    forward_pass(&st);
    free(st.copy_of);
    dead_global_stores(f);
    ir_liveness(f);
    ir_func_compact(f);
}
