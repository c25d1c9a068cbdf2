/*
 * tcg/flags.c — guest flags as IR values: their meaning, and their lowering to plain IR.
 *
 * fl_def makes a flags value from (kind, res, a, b, c); its EFLAGS meaning is ir_flags_compute
 * below (x86-style CF PF AF ZF SF OF, Intel SDM Vol. 1 3.4.3.1 and each instruction's "Flags
 * Affected"). A backend that cannot keep flags in host flags gets them lowered here:
 *   1. a backward pass drops every fl_def that is overwritten before anything can read it
 *      (readers: fl_cond/fl_brcond/fl_get, block ends, ops that may fault or call out, since a
 *      fault delivers EFLAGS);
 *   2. a forward pass turns each remaining fl_def into stores of the lazy form into the flags
 *      global's fields, and each consumer into a direct comparison when the producing kind is
 *      known in the same block (CMP+Jcc becomes one host compare and branch), else into a call
 *      that computes EFLAGS from the lazy form.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "tcg/ir.h"
#include "tcg/tcg.h"

/* Intel SDM Vol. 1 3.4.3.1: PF is set when the low byte of the result has even parity. */
static uint32_t parity_flag(uint64_t res)
{
    return __builtin_parity((unsigned)(res & 0xff)) ? 0 : IR_EFL_PF;
}

uint32_t ir_flags_compute(uint32_t kind, uint64_t res, uint64_t a, uint64_t b, uint64_t c)
{
    unsigned bits = 8u << IR_FL_SIZE(kind);
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t sign = 1ull << (bits - 1);
    bool cf = false, of = false, af = false;

    res &= mask;
    a &= mask;
    b &= mask;
    switch (IR_FL_OP(kind)) {
    case IR_FL_EFLAGS:
        return (uint32_t)res & IR_EFL_ARITH;
    case IR_FL_ADD:
        cf = res < a;
        of = (~(a ^ b) & (a ^ res)) & sign;
        af = (a ^ b ^ res) & 0x10;
        break;
    case IR_FL_ADC:
        cf = (c & 1) ? res <= a : res < a;
        of = (~(a ^ b) & (a ^ res)) & sign;
        af = (a ^ b ^ res) & 0x10;
        break;
    case IR_FL_SUB:
        cf = a < b;
        of = ((a ^ b) & (a ^ res)) & sign;
        af = (a ^ b ^ res) & 0x10;
        break;
    case IR_FL_SBB:
        cf = (c & 1) ? a <= b : a < b;
        of = ((a ^ b) & (a ^ res)) & sign;
        af = (a ^ b ^ res) & 0x10;
        break;
    case IR_FL_LOGIC:
        break;
    case IR_FL_INC:
        cf = c & 1;
        of = res == sign;
        af = (res & 0xf) == 0;
        break;
    case IR_FL_DEC:
        cf = c & 1;
        of = res == sign - 1;
        af = (res & 0xf) == 0xf;
        break;
    case IR_FL_SHL:
        /* CF: the last bit shifted out (undefined by the SDM once count >= width) */
        cf = b >= 1 && b <= bits ? (a >> (bits - b)) & 1 : 0;
        of = ((res & sign) != 0) ^ cf;
        break;
    case IR_FL_SHR:
        cf = b >= 1 && b <= 64 ? (a >> (b - 1)) & 1 : 0;
        /* SDM SHR: OF = the most significant bit of the original operand; written as the sign
           change, which is the same for SHR (the result's top bit is 0) and is the SHRD rule */
        of = ((a ^ res) & sign) != 0;
        break;
    case IR_FL_SAR: {
        int64_t sa = (int64_t)(a << (64 - bits)) >> (64 - bits);
        cf = b >= 1 ? (sa >> (b - 1 < 63 ? b - 1 : 63)) & 1 : 0;
        of = false;
        break;
    }
    case IR_FL_MUL:
        cf = of = b != 0;
        break;
    default:
        break;
    }
    return (cf ? IR_EFL_CF : 0) | parity_flag(res) | (af ? IR_EFL_AF : 0) |
           (res == 0 ? IR_EFL_ZF : 0) | ((res & sign) ? IR_EFL_SF : 0) | (of ? IR_EFL_OF : 0);
}

/* CF alone, for the generic path of carry-in chains (INC/DEC/ADC/SBB after a block start):
   the same definitions as ir_flags_compute, without the other five flags. */
static uint32_t flags_carry(uint32_t kind, uint64_t res, uint64_t a, uint64_t b, uint64_t c)
{
    unsigned bits = 8u << IR_FL_SIZE(kind);
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    res &= mask;
    a &= mask;
    b &= mask;
    switch (IR_FL_OP(kind)) {
    case IR_FL_ADD: return res < a;
    case IR_FL_SUB: return a < b;
    case IR_FL_INC:
    case IR_FL_DEC: return c & 1;
    case IR_FL_LOGIC: return 0;
    default: return ir_flags_compute(kind, res, a, b, c) & IR_EFL_CF;
    }
}

bool ir_flags_test_cc(uint32_t e, int cc)
{
    bool cf = e & IR_EFL_CF, zf = e & IR_EFL_ZF, sf = e & IR_EFL_SF, of = e & IR_EFL_OF,
         pf = e & IR_EFL_PF;
    bool r;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || (sf != of); break;
    }
    return (cc & 1) ? !r : r;
}

/* helpers for the generic path; pure */
static uint32_t helper_flags_compute32(uint32_t kind, uint32_t res, uint32_t a, uint32_t b,
                                       uint32_t c)
{
    return ir_flags_compute(kind, res, a, b, c);
}

static uint32_t helper_flags_compute64(uint32_t kind, uint64_t res, uint64_t a, uint64_t b,
                                       uint64_t c)
{
    return ir_flags_compute(kind, res, a, b, c);
}

static uint32_t helper_flags_carry32(uint32_t kind, uint32_t res, uint32_t a, uint32_t b,
                                     uint32_t c)
{
    return flags_carry(kind, res, a, b, c);
}

static uint32_t helper_flags_carry64(uint32_t kind, uint64_t res, uint64_t a, uint64_t b,
                                     uint64_t c)
{
    return flags_carry(kind, res, a, b, c);
}

static IRHelper helper_cf32 = {
    "flags_carry32", (void *)helper_flags_carry32, IR_CALL_PURE, IR_I32, 5,
    {IR_I32, IR_I32, IR_I32, IR_I32, IR_I32}, NULL,
};
static IRHelper helper_cf64 = {
    "flags_carry64", (void *)helper_flags_carry64, IR_CALL_PURE, IR_I32, 5,
    {IR_I32, IR_I64, IR_I64, IR_I64, IR_I64}, NULL,
};

static IRHelper helper_fl32 = {
    "flags_compute32", (void *)helper_flags_compute32, IR_CALL_PURE, IR_I32, 5,
    {IR_I32, IR_I32, IR_I32, IR_I32, IR_I32}, NULL,
};
static IRHelper helper_fl64 = {
    "flags_compute64", (void *)helper_flags_compute64, IR_CALL_PURE, IR_I32, 5,
    {IR_I32, IR_I64, IR_I64, IR_I64, IR_I64}, NULL,
};

/* which operands each kind reads: bit 0 res, 1 a, 2 b, 3 c */
static const uint8_t fl_uses[IR_FL_NB] = {
    [IR_FL_EFLAGS] = 1, [IR_FL_ADD] = 7, [IR_FL_ADC] = 15, [IR_FL_SUB] = 7, [IR_FL_SBB] = 15,
    [IR_FL_LOGIC] = 1,  [IR_FL_INC] = 9, [IR_FL_DEC] = 9,  [IR_FL_SHL] = 7, [IR_FL_SHR] = 7,
    [IR_FL_SAR] = 7,    [IR_FL_MUL] = 5,
};

/* ---- pass 1: drop flag values nobody can observe ---- */

static bool op_reads_flags(IRFunc *f, IROp *op, int F)
{
    switch (op->opc) {
    case IR_fl_cond:
    case IR_fl_get:
        return ir_iarg(op, 0) == F;
    case IR_fl_brcond:
        return true;
    default:
        break;
    }
    const IROpDef *d = ir_def(op);
    if (d->flags & (IR_OPF_BB_END | IR_OPF_READS_GLOBALS)) {
        return true;
    }
    if (op->opc == IR_goto_tb) {
        return true;
    }
    if (op->opc == IR_call && !(ir_call_helper(op)->flags & IR_CALL_NO_READ_GLOBALS)) {
        return true;
    }
    (void)f;
    return false;
}

static void drop_dead_flags(IRFunc *f)
{
    /* one flags global in practice; handle any number */
    for (int F = 0; F < f->nb_globals; F++) {
        if (f->temps[F].type != IR_FLAGS) {
            continue;
        }
        bool live = true;
        for (int i = f->nb_ops - 1; i >= 0; i--) {
            IROp *op = &f->ops[i];
            if ((op->opc == IR_fl_def || op->opc == IR_fl_set) && ir_oarg(op, 0) == F) {
                if (!live) {
                    ir_op_remove(f, i);
                    f->stat_flags_dropped++;
                }
                live = false;
            } else if (op_reads_flags(f, op, F)) {
                live = true;
            }
        }
    }
}

/* ---- pass 2: lowering ---- */

typedef struct Lower {
    IRFunc *out;     /* ops are re-emitted into the same IRFunc: see tcg_lower_flags */
    int known_kind;  /* kind of the reaching fl_def in this block, or -1 */
} Lower;

/* value of a lazy field, extended as the condition needs */
static int ext_val(IRFunc *f, IRType W, int t, int size, bool sign)
{
    int bits = 8 << size;
    if ((W == IR_I32 && bits == 32) || bits == 64) {
        return t;
    }
    int d = ir_temp_new(f, W);
    static const IROpcode ext[2][3] = {{IR_ext8u, IR_ext16u, IR_ext32u},
                                       {IR_ext8s, IR_ext16s, IR_ext32s}};
    ir_emit_unop(f, ext[sign][size], W, d, t);
    return d;
}

/*
 * Can condition cc on a flags value of kind `kind` be a single comparison x cond y on the lazy
 * fields? Fills *cond, *x, *y. cc is the Jcc nibble: O NO B AE E NE BE A S NS P NP L GE LE G.
 */
static bool direct_cond(IRFunc *f, IRTemp *F, int kind, int cc, IRCond *cond, int *x, int *y)
{
    IRType W = (IRType)F->val;
    int size = IR_FL_SIZE(kind), op = IR_FL_OP(kind);
    bool inv = cc & 1;
    IRCond c;
    int base = cc & ~1;
    int zero = ir_const(f, W, 0);

    switch (op) {
    case IR_FL_SUB:
        switch (base) {
        case 2: c = IR_COND_LTU; goto cmp_u;  /* B: a <u b */
        case 4: c = IR_COND_EQ; goto cmp_u;   /* E */
        case 6: c = IR_COND_LEU; goto cmp_u;  /* BE */
        case 8: goto sign_of_res;             /* S */
        case 12: c = IR_COND_LT; goto cmp_s;  /* L */
        case 14: c = IR_COND_LE; goto cmp_s;  /* LE */
        default: return false;
        }
    cmp_u:
        *x = ext_val(f, W, F->fl_a, size, false);
        *y = ext_val(f, W, F->fl_b, size, false);
        *cond = inv ? ir_cond_invert(c) : c;
        return true;
    cmp_s:
        *x = ext_val(f, W, F->fl_a, size, true);
        *y = ext_val(f, W, F->fl_b, size, true);
        *cond = inv ? ir_cond_invert(c) : c;
        return true;
    case IR_FL_ADD:
        if (base == 2) { /* B: carry out, res <u a */
            *x = ext_val(f, W, F->fl_res, size, false);
            *y = ext_val(f, W, F->fl_a, size, false);
            *cond = inv ? IR_COND_GEU : IR_COND_LTU;
            return true;
        }
        /* fall through */
    case IR_FL_ADC:
    case IR_FL_SBB:
    case IR_FL_INC:
    case IR_FL_DEC:
    case IR_FL_SHL:
    case IR_FL_SHR:
    case IR_FL_SAR:
    case IR_FL_MUL:
        if (base == 4) {
            goto zero_of_res;
        }
        if (base == 8) {
            goto sign_of_res;
        }
        return false;
    case IR_FL_LOGIC:
        switch (base) {
        case 0: /* O: never */
        case 2: /* B: never */
            *x = *y = zero;
            *cond = inv ? IR_COND_ALWAYS : IR_COND_NEVER;
            return true;
        case 4: /* E */
        case 6: /* BE = ZF since CF = 0 */
            goto zero_of_res;
        case 8:  /* S */
        case 12: /* L = SF since OF = 0 */
            goto sign_of_res;
        case 14: /* LE = ZF | SF */
            *x = ext_val(f, W, F->fl_res, size, true);
            *y = zero;
            *cond = inv ? IR_COND_GT : IR_COND_LE;
            return true;
        default:
            return false;
        }
    default:
        return false;
    }
zero_of_res:
    *x = ext_val(f, W, F->fl_res, size, false);
    *y = zero;
    *cond = inv ? IR_COND_NE : IR_COND_EQ;
    return true;
sign_of_res:
    *x = ext_val(f, W, F->fl_res, size, true);
    *y = zero;
    *cond = inv ? IR_COND_GE : IR_COND_LT;
    return true;
}

/* d:i32 = EFLAGS image of F */
static void emit_eflags(IRFunc *f, IRTemp *F, int known_kind, int d)
{
    IRType W = (IRType)F->val;
    if (known_kind >= 0 && IR_FL_OP(known_kind) == IR_FL_EFLAGS) {
        if (W == IR_I32) {
            ir_emit_andi(f, IR_I32, d, F->fl_res, IR_EFL_ARITH);
        } else {
            int t = ir_temp_new(f, IR_I32);
            ir_emit_unop(f, IR_extrl_i64_i32, IR_I32, t, F->fl_res);
            ir_emit_andi(f, IR_I32, d, t, IR_EFL_ARITH);
        }
        return;
    }
    int args[5] = {known_kind >= 0 ? ir_const(f, IR_I32, known_kind) : F->fl_kind, F->fl_res,
                   F->fl_a, F->fl_b, F->fl_c};
    ir_emit_call(f, W == IR_I32 ? &helper_fl32 : &helper_fl64, d, args);
}

/* d:i32 = 1 if cc holds in EFLAGS image e */
static void emit_cc_from_eflags(IRFunc *f, int d, int e, int cc)
{
    static const uint8_t shift[] = {11, 0, 6, 0, 7, 2, 0, 0};
    int base = cc >> 1;
    IRType T = IR_I32;
    int t;
    switch (base) {
    case 3: /* BE: CF | ZF */
        t = ir_temp_new(f, T);
        ir_emit_andi(f, T, t, e, IR_EFL_CF | IR_EFL_ZF);
        ir_emit_setcond(f, T, IR_COND_NE, d, t, ir_const(f, T, 0));
        break;
    case 6: /* L: SF != OF */
    case 7: /* LE: ZF | (SF != OF) */
        t = ir_temp_new(f, T);
        ir_emit_shr(f, T, t, e, ir_const(f, T, 4)); /* OF (bit 11) down to bit 7 */
        ir_emit_xor(f, T, t, t, e);
        ir_emit_andi(f, T, t, t, IR_EFL_SF);        /* SF ^ OF at bit 7 */
        if (base == 7) {
            int z = ir_temp_new(f, T);
            ir_emit_andi(f, T, z, e, IR_EFL_ZF);
            ir_emit_or(f, T, t, t, z);
        }
        ir_emit_setcond(f, T, IR_COND_NE, d, t, ir_const(f, T, 0));
        break;
    default:
        t = ir_temp_new(f, T);
        ir_emit_shr(f, T, t, e, ir_const(f, T, shift[base]));
        ir_emit_andi(f, T, d, t, 1);
        break;
    }
    if (cc & 1) {
        ir_emit_xor(f, T, d, d, ir_const(f, T, 1));
    }
}

/*
 * The carry of a known kind as an inline 0/1 value of type W (no helper call): INC/DEC carry-in
 * chains and ADC/SBB sequences need CF after kinds that direct_cond cannot turn into one compare.
 */
static int emit_carry(IRFunc *f, IRTemp *F, int kind)
{
    IRType W = (IRType)F->val;
    int size = IR_FL_SIZE(kind), bits = 8 << size;
    int one = ir_const(f, W, 1);
    int cf = ir_temp_new(f, W);
    switch (IR_FL_OP(kind)) {
    case IR_FL_ADC:
    case IR_FL_SBB: {
        /* ADC: CF = res <u a | (c & res == a); SBB: CF = a <u b | (c & a == b) */
        bool adc = IR_FL_OP(kind) == IR_FL_ADC;
        int x = ext_val(f, W, adc ? F->fl_res : F->fl_a, size, false);
        int y = ext_val(f, W, adc ? F->fl_a : F->fl_b, size, false);
        int eq = ir_temp_new(f, W), c = ir_temp_new(f, W);
        ir_emit_setcond(f, W, IR_COND_LTU, cf, x, y);
        ir_emit_setcond(f, W, IR_COND_EQ, eq, x, y);
        ir_emit_and(f, W, c, F->fl_c, one);
        ir_emit_and(f, W, eq, eq, c);
        ir_emit_or(f, W, cf, cf, eq);
        return cf;
    }
    case IR_FL_LOGIC:
        ir_emit_movi(f, W, cf, 0);
        return cf;
    case IR_FL_INC:
    case IR_FL_DEC:
        ir_emit_and(f, W, cf, F->fl_c, one);
        return cf;
    case IR_FL_SHL: {
        /* the last bit out: bit (bits - count) of a, 0 once count > bits */
        int a = ext_val(f, W, F->fl_a, size, false);
        int n = ir_temp_new(f, W);
        ir_emit_sub(f, W, n, F->fl_b, one);
        ir_emit_shl(f, W, cf, a, n);
        ir_emit_shr(f, W, cf, cf, ir_const(f, W, bits - 1));
        ir_emit_and(f, W, cf, cf, one);
        return cf;
    }
    case IR_FL_SHR:
    case IR_FL_SAR: {
        int a = ext_val(f, W, F->fl_a, size, IR_FL_OP(kind) == IR_FL_SAR);
        int n = ir_temp_new(f, W);
        ir_emit_sub(f, W, n, F->fl_b, one);
        ir_emit_binop(f, IR_FL_OP(kind) == IR_FL_SAR ? IR_sar : IR_shr, W, cf, a, n);
        ir_emit_and(f, W, cf, cf, one);
        return cf;
    }
    case IR_FL_MUL:
        ir_emit_setcond(f, W, IR_COND_NE, cf, F->fl_b, ir_const(f, W, 0));
        return cf;
    case IR_FL_EFLAGS:
        ir_emit_and(f, W, cf, F->fl_res, one);
        return cf;
    default:
        return -1; /* ADD and SUB are direct compares */
    }
}

static void lower_cond(IRFunc *f, IRTemp *F, int known_kind, int cc, int d, int label)
{
    IRCond c;
    int x, y;
    IRType W = (IRType)F->val;
    if (known_kind >= 0 && (cc >> 1) == 1 && !direct_cond(f, F, known_kind, cc, &c, &x, &y)) {
        int cf = emit_carry(f, F, known_kind);
        if (cf >= 0) {
            x = cf;
            y = ir_const(f, W, 0);
            c = (cc & 1) ? IR_COND_EQ : IR_COND_NE;
            goto have_cond;
        }
    }
    if (known_kind >= 0 && direct_cond(f, F, known_kind, cc, &c, &x, &y)) {
    have_cond:
        if (label >= 0) {
            ir_emit_brcond(f, W, c, x, y, label);
        } else if (W == IR_I32) {
            ir_emit_setcond(f, W, c, d, x, y);
        } else {
            int t = ir_temp_new(f, W);
            ir_emit_setcond(f, W, c, t, x, y);
            ir_emit_unop(f, IR_extrl_i64_i32, IR_I32, d, t);
        }
        return;
    }
    int v = label >= 0 ? ir_temp_new(f, IR_I32) : d;
    if ((cc >> 1) == 1 && known_kind < 0) {
        /* CF of an unknown kind: the carry-only helper (a block's first INC/DEC/ADC/SBB) */
        int args[5] = {F->fl_kind, F->fl_res, F->fl_a, F->fl_b, F->fl_c};
        ir_emit_call(f, W == IR_I32 ? &helper_cf32 : &helper_cf64, v, args);
        if (cc & 1) {
            ir_emit_xor(f, IR_I32, v, v, ir_const(f, IR_I32, 1));
        }
    } else {
        int e = ir_temp_new(f, IR_I32);
        emit_eflags(f, F, known_kind, e);
        emit_cc_from_eflags(f, v, e, cc);
    }
    if (label >= 0) {
        ir_emit_brcond(f, IR_I32, IR_COND_NE, v, ir_const(f, IR_I32, 0), label);
    }
}

static void store_field(IRFunc *f, IRType W, IRType t, int field, int val)
{
    if (t == W) {
        ir_emit_mov(f, W, field, val);
    } else if (W == IR_I64) {
        ir_emit_unop(f, IR_extu_i32_i64, IR_I64, field, val);
    } else {
        ir_emit_unop(f, IR_extrl_i64_i32, IR_I32, field, val);
    }
}

void tcg_lower_flags(IRFunc *f)
{
    bool any = false;
    for (int i = 0; i < f->nb_ops && !any; i++) {
        any = ir_def(&f->ops[i])->flags & IR_OPF_FLAGS;
    }
    if (!any) {
        return;
    }
    drop_dead_flags(f);

    /* re-emit into the same IRFunc from a copy of the old op array */
    int n = f->nb_ops;
    IROp *old = malloc(sizeof(IROp) * n);
    if (!old) {
        abort();
    }
    memcpy(old, f->ops, sizeof(IROp) * n);
    f->nb_ops = 0;
    int known[8];
    for (int k = 0; k < 8; k++) {
        known[k] = -1;
    }
    /* known kind per flags global (index into a small map by temp number) */
#define KNOWN(F) known[(F) & 7]
    for (int i = 0; i < n; i++) {
        IROp *op = &old[i];
        const IROpDef *d = ir_def(op);
        switch (op->opc) {
        case IR_fl_def: {
            int F = ir_oarg(op, 0);
            /* a copy: emitting ops may grow (move) the temp array */
            IRTemp fv = f->temps[F], *fp = &fv;
            IRType W = (IRType)fp->val;
            int kind = (int)ir_carg(op, 0);
            uint8_t uses = fl_uses[IR_FL_OP(kind)];
            const int fields[4] = {fp->fl_res, fp->fl_a, fp->fl_b, fp->fl_c};
            ir_emit_movi(f, IR_I32, fp->fl_kind, kind);
            for (int k = 0; k < 4; k++) {
                if (uses & (1 << k)) {
                    store_field(f, W, (IRType)op->type, fields[k], ir_iarg(op, k));
                }
            }
            KNOWN(F) = kind;
            break;
        }
        case IR_fl_set: {
            int F = ir_oarg(op, 0);
            IRTemp fv = f->temps[F], *fp = &fv;
            IRType W = (IRType)fp->val;
            int kind = IR_FL_KIND(IR_FL_EFLAGS, W == IR_I64 ? 3 : 2);
            ir_emit_movi(f, IR_I32, fp->fl_kind, kind);
            store_field(f, W, IR_I32, fp->fl_res, ir_iarg(op, 0));
            KNOWN(F) = kind;
            break;
        }
        case IR_fl_cond: {
            int F = ir_iarg(op, 0);
            IRTemp fv = f->temps[F];
            lower_cond(f, &fv, KNOWN(F), (int)ir_carg(op, 0), ir_oarg(op, 0), -1);
            break;
        }
        case IR_fl_brcond: {
            int F = ir_iarg(op, 0);
            IRTemp fv = f->temps[F];
            lower_cond(f, &fv, KNOWN(F), (int)ir_carg(op, 0), -1, (int)ir_carg(op, 1));
            for (int k = 0; k < 8; k++) {
                known[k] = -1;
            }
            break;
        }
        case IR_fl_get: {
            int F = ir_iarg(op, 0);
            IRTemp fv = f->temps[F];
            emit_eflags(f, &fv, KNOWN(F), ir_oarg(op, 0));
            break;
        }
        case IR_nop:
            break;
        default: {
            ir_append_op(f, op);
            bool clobbers = (d->flags & IR_OPF_BB_END) ||
                            (op->opc == IR_call &&
                             !(ir_call_helper(op)->flags & IR_CALL_NO_WRITE_GLOBALS));
            if (clobbers) {
                for (int k = 0; k < 8; k++) {
                    known[k] = -1;
                }
            }
            break;
        }
        }
    }
#undef KNOWN
    free(old);
}
