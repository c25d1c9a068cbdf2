/*
 * tcg/x86_64/codegen.c — lowering of IR ops to x86-64 host code, and gen_code, the forward pass
 * over one TB.
 *
 * Each gen_* function loads its inputs through the register allocator (regalloc.c), picks the
 * destination register (a dying input's register when the host instruction is two-address, so
 * `add d, a, b` with a dying is just `add a_reg, b_reg`), emits the instructions — one comment
 * per emitted host instruction — and then frees dead inputs and binds the outputs.
 * Guest memory (gld/gst) and host memory (ld/st) are in memory.c.
 *
 * TB layout:  budget check | body (fast paths inline) | slow paths | budget exit.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcg/x86_64/jit.h"

static bool is64(const IROp *op) { return op->type == IR_I64; }
static IRTemp *irt(X64Ctx *c, int t) { return &c->f->temps[t]; }

static X64Cond host_cond(IRCond cond)
{
    static const X64Cond map[] = {
        [IR_COND_EQ] = X64_CC_E,   [IR_COND_NE] = X64_CC_NE,  [IR_COND_LT] = X64_CC_L,
        [IR_COND_GE] = X64_CC_GE,  [IR_COND_LE] = X64_CC_LE,  [IR_COND_GT] = X64_CC_G,
        [IR_COND_LTU] = X64_CC_B,  [IR_COND_GEU] = X64_CC_AE, [IR_COND_LEU] = X64_CC_BE,
        [IR_COND_GTU] = X64_CC_A,
    };
    assert(cond >= IR_COND_EQ && cond <= IR_COND_GTU);
    return map[cond];
}

static bool prefers_callee(X64Ctx *c, int t)
{
    return irt(c, t)->kind == TEMP_GLOBAL || irt(c, t)->kind == TEMP_LOCAL;
}

/* May the op overwrite input a (input index ka) in place? Yes if a is the output itself, or a
   normal temp that dies here. Interned constants and env are never modified. */
static bool can_clobber(X64Ctx *c, int d, int a, int ka)
{
    IRTemp *ia = irt(c, a);
    if (ia->kind == TEMP_CONST || ia->kind == TEMP_FIXED) {
        return false;
    }
    return a == d || (ia->kind == TEMP_NORMAL && ka >= 0 && x64_ra_dies(c, ka));
}

/* The destination of a two-address instruction whose first source is a: a's register when it
   may be clobbered, else a fresh register holding a copy of a. */
static X64Reg dest_from(X64Ctx *c, int d, int a, int ka, uint16_t allowed)
{
    if (can_clobber(c, d, a, ka)) {
        return x64_ra_load(c, a, allowed);
    }
    X64Reg r = x64_ra_alloc(c, allowed, prefers_callee(c, d));
    x64_ra_copy_to(c, a, r); /* mov r, a */
    return r;
}

/* The destination of an instruction that reads a (already in ra) and writes d anywhere. */
static X64Reg dest_any(X64Ctx *c, int d, int a, int ka, X64Reg ra)
{
    if (can_clobber(c, d, a, ka) && ra != X64_REG_ENV) {
        return ra;
    }
    return x64_ra_alloc(c, X64_ALLOC_REGS, prefers_callee(c, d));
}

/* Common tail: inputs that die are freed, output 0 lives in r. */
static void finish1(X64Ctx *c, X64Reg r)
{
    x64_ra_free_dead_inputs(c);
    x64_ra_bind(c, ir_oarg(c->op, 0), r);
    x64_ra_free_dead_outputs(c);
}

static void finish_const(X64Ctx *c, int64_t v)
{
    x64_ra_free_dead_inputs(c);
    x64_ra_set_const(c, ir_oarg(c->op, 0), v);
    x64_ra_free_dead_outputs(c);
}

/* an immediate operand: the constant fits the instruction's sign-extended imm32 */
static bool imm_operand(X64Ctx *c, int t, bool w, int32_t *imm)
{
    int64_t v;
    if (!x64_ra_is_const(c, t, &v)) {
        return false;
    }
    if (!w) {
        *imm = (int32_t)v; /* 32-bit operations take any 32-bit immediate */
        return true;
    }
    if (!x64_fits_i32(v)) {
        return false;
    }
    *imm = (int32_t)v;
    return true;
}

/* ---- moves ---- */

/* d = a, as the mov op and as the identity cases of other ops (input index ka) */
static void gen_copy(X64Ctx *c, int d, int a, int ka)
{
    int64_t v;
    if (d == a) {
        x64_ra_free_dead_inputs(c);
        return;
    }
    if (x64_ra_is_const(c, a, &v)) {
        finish_const(c, v);
        return;
    }
    X64Temp *as = &c->t[a];
    if (as->val == VAL_REG && can_clobber(c, d, a, ka)) {
        finish1(c, as->reg); /* a dies: d takes over its register, no code */
        return;
    }
    X64Reg r = x64_ra_alloc(c, X64_ALLOC_REGS, prefers_callee(c, d));
    x64_ra_copy_to(c, a, r); /* mov r, a */
    finish1(c, r);
}

/* ---- arithmetic ---- */

static void swap_int(int *a, int *b)
{
    int t = *a;
    *a = *b;
    *b = t;
}

static void gen_alu(X64Ctx *c, const IROp *op, X64Alu alu)
{
    bool w = is64(op);
    int d = ir_oarg(op, 0), a = ir_iarg(op, 0), b = ir_iarg(op, 1);
    int ka = 0, kb = 1;
    int64_t av, bv;
    int32_t imm;
    bool commutative = alu != X64_SUB;
    if (commutative && (x64_ra_is_const(c, a, &av) ||
                        (!can_clobber(c, d, a, ka) && can_clobber(c, d, b, kb) &&
                         !x64_ra_is_const(c, b, &bv)))) {
        swap_int(&a, &b);
        swap_int(&ka, &kb);
    }
    if (imm_operand(c, b, w, &imm)) {
        x64_ra_is_const(c, b, &bv);
        bool identity = (alu != X64_AND && imm == 0) ||
                        (alu == X64_AND && (w ? bv == -1 : (uint32_t)bv == UINT32_MAX));
        if (identity) {
            gen_copy(c, d, a, ka);
            return;
        }
        if (alu == X64_AND && imm == 0) {
            finish_const(c, 0);
            return;
        }
        if (!x64_ra_is_const(c, a, &av) && !can_clobber(c, d, a, ka)) {
            /* three-operand forms avoid the copy */
            if ((alu == X64_ADD || (alu == X64_SUB && imm != INT32_MIN))) {
                X64Reg ra = x64_ra_load(c, a, X64_ALLOC_REGS);
                X64Reg r = x64_ra_alloc(c, X64_ALLOC_REGS, prefers_callee(c, d));
                /* lea r, [a + imm] */
                x64_lea(&c->b, r, x64_mem(ra, alu == X64_ADD ? imm : -imm), w);
                finish1(c, r);
                return;
            }
            if (alu == X64_AND && (bv == 0xff || bv == 0xffff)) {
                X64Reg ra = x64_ra_load(c, a, X64_ALLOC_REGS);
                X64Reg r = x64_ra_alloc(c, X64_ALLOC_REGS, prefers_callee(c, d));
                if (bv == 0xff) {
                    x64_movzx8(&c->b, r, ra); /* movzx r32, a8 */
                } else {
                    x64_movzx16(&c->b, r, ra); /* movzx r32, a16 */
                }
                finish1(c, r);
                return;
            }
        }
        X64Reg r = dest_from(c, d, a, ka, X64_ALLOC_REGS);
        x64_alu_ri(&c->b, alu, r, imm, w); /* op r, imm */
        finish1(c, r);
        return;
    }
    if (alu == X64_AND && w && x64_ra_is_const(c, b, &bv) && bv == 0xffffffff) {
        X64Reg ra = x64_ra_load(c, a, X64_ALLOC_REGS);
        X64Reg r = dest_any(c, d, a, ka, ra);
        x64_mov_rr(&c->b, r, ra, false); /* mov r32, a32 (zero-extends) */
        finish1(c, r);
        return;
    }
    if (alu == X64_ADD && !can_clobber(c, d, a, ka) && !x64_ra_is_const(c, a, &av) &&
        !x64_ra_is_const(c, b, &bv)) {
        X64Reg ra = x64_ra_load(c, a, X64_ALLOC_REGS);
        X64Reg rb = x64_ra_load(c, b, X64_ALLOC_REGS);
        X64Reg r = x64_ra_alloc(c, X64_ALLOC_REGS, prefers_callee(c, d));
        x64_lea(&c->b, r, x64_mem_idx(ra, rb, 0, 0), w); /* lea r, [a + b] */
        finish1(c, r);
        return;
    }
    X64Reg r = dest_from(c, d, a, ka, X64_ALLOC_REGS);
    X64Reg rb = x64_ra_load(c, b, X64_ALLOC_REGS);
    x64_alu_rr(&c->b, alu, r, rb, w); /* op r, b */
    finish1(c, r);
}

static void gen_mul(X64Ctx *c, const IROp *op)
{
    bool w = is64(op);
    int d = ir_oarg(op, 0), a = ir_iarg(op, 0), b = ir_iarg(op, 1);
    int ka = 0, kb = 1;
    int64_t v;
    int32_t imm;
    if (x64_ra_is_const(c, a, &v) || (!can_clobber(c, d, a, ka) && can_clobber(c, d, b, kb))) {
        swap_int(&a, &b);
        swap_int(&ka, &kb);
    }
    if (imm_operand(c, b, w, &imm) && !x64_ra_is_const(c, a, &v)) {
        X64Reg ra = x64_ra_load(c, a, X64_ALLOC_REGS);
        X64Reg r = dest_any(c, d, a, ka, ra);
        x64_imul_rri(&c->b, r, ra, imm, w); /* imul r, a, imm */
        finish1(c, r);
        return;
    }
    X64Reg r = dest_from(c, d, a, ka, X64_ALLOC_REGS);
    X64Reg rb = x64_ra_load(c, b, X64_ALLOC_REGS);
    x64_imul_rr(&c->b, r, rb, w); /* imul r, b */
    finish1(c, r);
}

/* d = a & ~b */
static void gen_andc(X64Ctx *c, const IROp *op)
{
    bool w = is64(op);
    int d = ir_oarg(op, 0), a = ir_iarg(op, 0), b = ir_iarg(op, 1);
    int64_t bv;
    if (a == b) {
        finish_const(c, 0);
        return;
    }
    if (x64_ra_is_const(c, b, &bv) && (!w || x64_fits_i32(~bv))) {
        X64Reg r = dest_from(c, d, a, 0, X64_ALLOC_REGS);
        x64_alu_ri(&c->b, X64_AND, r, (int32_t)~bv, w); /* and r, ~b */
        finish1(c, r);
        return;
    }
    X64Reg r = dest_from(c, d, b, 1, X64_ALLOC_REGS);
    x64_not(&c->b, r, w); /* not r (r = ~b) */
    X64Reg ra = x64_ra_load(c, a, X64_ALLOC_REGS);
    x64_alu_rr(&c->b, X64_AND, r, ra, w); /* and r, a */
    finish1(c, r);
}

static void gen_unary(X64Ctx *c, const IROp *op, bool neg)
{
    bool w = is64(op);
    int d = ir_oarg(op, 0), a = ir_iarg(op, 0);
    X64Reg r = dest_from(c, d, a, 0, X64_ALLOC_REGS);
    if (neg) {
        x64_neg(&c->b, r, w); /* neg r */
    } else {
        x64_not(&c->b, r, w); /* not r */
    }
    finish1(c, r);
}

static void gen_shift(X64Ctx *c, const IROp *op, X64Shift sh)
{
    bool w = is64(op);
    int d = ir_oarg(op, 0), a = ir_iarg(op, 0), b = ir_iarg(op, 1);
    int64_t n;
    if (x64_ra_is_const(c, b, &n)) {
        /* the IR takes counts modulo the width, like the hardware */
        unsigned cnt = (unsigned)n & (w ? 63 : 31);
        if (cnt == 0) {
            gen_copy(c, d, a, 0);
            return;
        }
        X64Reg r = dest_from(c, d, a, 0, X64_ALLOC_REGS);
        x64_shift_ri(&c->b, sh, r, cnt, w); /* shift r, cnt */
        finish1(c, r);
        return;
    }
    x64_ra_load_fixed(c, b, X64_RCX, false); /* mov ecx, b (the count must be in cl) */
    X64Reg r = dest_from(c, d, a, 0, (uint16_t)(X64_ALLOC_REGS & ~R(X64_RCX)));
    x64_shift_cl(&c->b, sh, r, w); /* shift r, cl */
    finish1(c, r);
}

/* (lo, hi) = a * b, double width, in rdx:rax */
static void gen_mul2(X64Ctx *c, const IROp *op, bool is_signed)
{
    bool w = is64(op);
    int lo = ir_oarg(op, 0), hi = ir_oarg(op, 1), a = ir_iarg(op, 0), b = ir_iarg(op, 1);
    x64_ra_load_fixed(c, a, X64_RAX, true); /* mov rax, a */
    x64_ra_evict_reg(c, X64_RDX);
    c->locked |= R(X64_RDX);
    X64Reg rb = x64_ra_load(c, b, (uint16_t)(X64_ALLOC_REGS & ~(R(X64_RAX) | R(X64_RDX))));
    x64_mul1(&c->b, rb, is_signed, w); /* mul/imul b: rdx:rax = rax * b */
    x64_ra_free_dead_inputs(c);
    x64_ra_bind(c, lo, X64_RAX);
    x64_ra_bind(c, hi, X64_RDX);
    x64_ra_free_dead_outputs(c);
}

/* ---- extensions ---- */

static void gen_ext(X64Ctx *c, const IROp *op)
{
    int d = ir_oarg(op, 0), a = ir_iarg(op, 0);
    bool w = is64(op);
    X64Reg ra = x64_ra_load(c, a, X64_ALLOC_REGS);
    X64Reg r;
    if (op->opc == IR_extu_i32_i64 && can_clobber(c, d, a, 0)) {
        /* the upper half of an i32 register is already clear (jit.h): nothing to do */
        finish1(c, ra);
        return;
    }
    if (op->opc == IR_extrh_i64_i32) {
        r = dest_from(c, d, a, 0, X64_ALLOC_REGS);
        x64_shift_ri(&c->b, X64_SHR, r, 32, true); /* shr r, 32 */
        finish1(c, r);
        return;
    }
    r = dest_any(c, d, a, 0, ra);
    switch (op->opc) {
    case IR_ext8s:
        x64_movsx8(&c->b, r, ra, w); /* movsx r, a8 */
        break;
    case IR_ext8u:
        x64_movzx8(&c->b, r, ra); /* movzx r32, a8 */
        break;
    case IR_ext16s:
        x64_movsx16(&c->b, r, ra, w); /* movsx r, a16 */
        break;
    case IR_ext16u:
        x64_movzx16(&c->b, r, ra); /* movzx r32, a16 */
        break;
    case IR_ext32s:
    case IR_ext_i32_i64:
        x64_movsxd(&c->b, r, ra); /* movsxd r64, a32 */
        break;
    default: /* ext32u, extu_i32_i64, extrl_i64_i32 */
        x64_mov_rr(&c->b, r, ra, false); /* mov r32, a32 (zero-extends) */
        break;
    }
    finish1(c, r);
}

/* ---- bit fields ---- */

static uint64_t width_mask(bool w) { return w ? ~0ull : 0xffffffffull; }

/* r op= v for any v: an immediate when it fits, else through a scratch register */
static void alu_const(X64Ctx *c, X64Alu alu, X64Reg r, uint64_t v, bool w)
{
    if (!w || x64_fits_i32((int64_t)v)) {
        x64_alu_ri(&c->b, alu, r, (int32_t)v, w); /* op r, imm */
        return;
    }
    X64Reg t = x64_ra_alloc(c, X64_ALLOC_REGS, false);
    x64_mov_ri(&c->b, t, v, true);     /* mov t, imm64 */
    x64_alu_rr(&c->b, alu, r, t, true); /* op r, t */
}

static void gen_deposit(X64Ctx *c, const IROp *op)
{
    bool w = is64(op);
    unsigned width = w ? 64 : 32;
    int d = ir_oarg(op, 0), a = ir_iarg(op, 0), b = ir_iarg(op, 1);
    unsigned pos = (unsigned)ir_carg(op, 0), len = (unsigned)ir_carg(op, 1);
    assert(len >= 1 && pos + len <= width);
    if (len == width) {
        gen_copy(c, d, b, 1);
        return;
    }
    uint64_t field = ((len == 64 ? 0 : 1ull << len) - 1);
    uint64_t mask = (field << pos) & width_mask(w);
    int64_t bv;
    if (x64_ra_is_const(c, b, &bv)) {
        X64Reg r = dest_from(c, d, a, 0, X64_ALLOC_REGS);
        alu_const(c, X64_AND, r, ~mask & width_mask(w), w); /* and r, ~mask */
        uint64_t bits = ((uint64_t)bv << pos) & mask;
        if (bits) {
            alu_const(c, X64_OR, r, bits, w); /* or r, b << pos */
        }
        finish1(c, r);
        return;
    }
    if (pos == 0 && (len == 8 || len == 16)) {
        X64Reg rb = x64_ra_load(c, b, X64_ALLOC_REGS);
        X64Reg r = dest_from(c, d, a, 0, X64_ALLOC_REGS);
        if (len == 8) {
            x64_mov8_rr(&c->b, r, rb); /* mov r8, b8 */
        } else {
            x64_mov16_rr(&c->b, r, rb); /* mov r16, b16 */
        }
        finish1(c, r);
        return;
    }
    /* t = (b & field) << pos, then r = (a & ~mask) | t */
    X64Reg rb = x64_ra_load(c, b, X64_ALLOC_REGS);
    X64Reg t;
    if (b != a && b != d && can_clobber(c, d, b, 1)) {
        t = rb;
    } else {
        t = x64_ra_alloc(c, X64_ALLOC_REGS, false);
        x64_mov_rr(&c->b, t, rb, w); /* mov t, b */
    }
    if (pos + len == width) {
        if (pos) {
            x64_shift_ri(&c->b, X64_SHL, t, pos, w); /* shl t, pos (the top bits fall off) */
        }
    } else {
        x64_shift_ri(&c->b, X64_SHL, t, width - len, w);       /* shl t, width - len */
        x64_shift_ri(&c->b, X64_SHR, t, width - len - pos, w); /* shr t, width - len - pos */
    }
    X64Reg r = dest_from(c, d, a, 0, X64_ALLOC_REGS);
    alu_const(c, X64_AND, r, ~mask & width_mask(w), w); /* and r, ~mask */
    x64_alu_rr(&c->b, X64_OR, r, t, w);                 /* or r, t */
    finish1(c, r);
}

static void gen_extract(X64Ctx *c, const IROp *op, bool sign)
{
    bool w = is64(op);
    unsigned width = w ? 64 : 32;
    int d = ir_oarg(op, 0), a = ir_iarg(op, 0);
    unsigned pos = (unsigned)ir_carg(op, 0), len = (unsigned)ir_carg(op, 1);
    assert(len >= 1 && pos + len <= width);
    if (len == width) {
        gen_copy(c, d, a, 0);
        return;
    }
    if (pos == 0 && (len == 8 || len == 16 || len == 32)) {
        X64Reg ra = x64_ra_load(c, a, X64_ALLOC_REGS);
        X64Reg r = dest_any(c, d, a, 0, ra);
        if (len == 8) {
            if (sign) {
                x64_movsx8(&c->b, r, ra, w); /* movsx r, a8 */
            } else {
                x64_movzx8(&c->b, r, ra); /* movzx r32, a8 */
            }
        } else if (len == 16) {
            if (sign) {
                x64_movsx16(&c->b, r, ra, w); /* movsx r, a16 */
            } else {
                x64_movzx16(&c->b, r, ra); /* movzx r32, a16 */
            }
        } else if (sign) {
            x64_movsxd(&c->b, r, ra); /* movsxd r, a32 */
        } else {
            x64_mov_rr(&c->b, r, ra, false); /* mov r32, a32 */
        }
        finish1(c, r);
        return;
    }
    X64Reg r = dest_from(c, d, a, 0, X64_ALLOC_REGS);
    if (pos + len == width) {
        x64_shift_ri(&c->b, sign ? X64_SAR : X64_SHR, r, pos, w); /* shr/sar r, pos */
    } else if (!sign && (len == 8 || len == 16)) {
        x64_shift_ri(&c->b, X64_SHR, r, pos, w); /* shr r, pos */
        if (len == 8) {
            x64_movzx8(&c->b, r, r); /* movzx r32, r8 */
        } else {
            x64_movzx16(&c->b, r, r); /* movzx r32, r16 */
        }
    } else if (!sign && len < 32) {
        if (pos) {
            x64_shift_ri(&c->b, X64_SHR, r, pos, w); /* shr r, pos */
        }
        x64_alu_ri(&c->b, X64_AND, r, (int32_t)((1u << len) - 1), false); /* and r32, mask */
    } else {
        if (width - pos - len) {
            x64_shift_ri(&c->b, X64_SHL, r, width - pos - len, w); /* shl r, width-pos-len */
        }
        x64_shift_ri(&c->b, sign ? X64_SAR : X64_SHR, r, width - len, w); /* shr/sar r, width-len */
    }
    finish1(c, r);
}

/* ---- comparisons ---- */

typedef struct CmpOps {
    X64Reg ra, rb;
    int32_t imm;
    bool use_imm;
    bool w;
    IRCond cond;
} CmpOps;

/* Load the operands of `a cond b` (no code that touches the flags). */
static void cmp_prepare(X64Ctx *c, bool w, int a, int b, IRCond cond, CmpOps *k)
{
    int64_t v;
    if (x64_ra_is_const(c, a, &v) && !x64_ra_is_const(c, b, &v)) {
        swap_int(&a, &b);
        cond = ir_cond_swap(cond);
    }
    k->w = w;
    k->cond = cond;
    k->ra = x64_ra_load(c, a, X64_ALLOC_REGS);
    k->use_imm = imm_operand(c, b, w, &k->imm);
    k->rb = k->use_imm ? X64_NOREG : x64_ra_load(c, b, X64_ALLOC_REGS);
}

static X64Cond cmp_emit(X64Ctx *c, const CmpOps *k)
{
    if (k->use_imm && k->imm == 0) {
        x64_test_rr(&c->b, k->ra, k->ra, k->w); /* test a, a (CF = OF = 0 like cmp a, 0) */
    } else if (k->use_imm) {
        x64_alu_ri(&c->b, X64_CMP, k->ra, k->imm, k->w); /* cmp a, imm */
    } else {
        x64_alu_rr(&c->b, X64_CMP, k->ra, k->rb, k->w); /* cmp a, b */
    }
    return host_cond(k->cond);
}

/* both constant, or a trivial condition: decided now */
static bool cond_static(X64Ctx *c, const IROp *op, int a, int b, IRCond cond, bool *taken)
{
    int64_t av, bv;
    if (cond == IR_COND_ALWAYS || cond == IR_COND_NEVER) {
        *taken = cond == IR_COND_ALWAYS;
        return true;
    }
    if (x64_ra_is_const(c, a, &av) && x64_ra_is_const(c, b, &bv)) {
        *taken = ir_cond_eval(cond, (IRType)op->type, (uint64_t)av, (uint64_t)bv);
        return true;
    }
    if (a == b) {
        *taken = cond == IR_COND_EQ || cond == IR_COND_GE || cond == IR_COND_LE ||
                 cond == IR_COND_GEU || cond == IR_COND_LEU;
        return true;
    }
    return false;
}

static void gen_setcond(X64Ctx *c, const IROp *op)
{
    bool w = is64(op);
    int d = ir_oarg(op, 0), a = ir_iarg(op, 0), b = ir_iarg(op, 1);
    IRCond cond = (IRCond)ir_carg(op, 0);
    bool taken;
    if (cond_static(c, op, a, b, cond, &taken)) {
        finish_const(c, taken);
        return;
    }
    CmpOps k;
    cmp_prepare(c, w, a, b, cond, &k);
    X64Reg r;
    if (can_clobber(c, d, a, 0) && c->t[a].val == VAL_REG) {
        r = c->t[a].reg;
    } else if (can_clobber(c, d, b, 1) && c->t[b].val == VAL_REG) {
        r = c->t[b].reg;
    } else {
        /* a fresh register can be cleared before the compare: no movzx afterwards */
        r = x64_ra_alloc(c, X64_ALLOC_REGS, prefers_callee(c, d));
        x64_xor_zero(&c->b, r);               /* xor r32, r32 */
        x64_setcc(&c->b, cmp_emit(c, &k), r); /* setcc r8 (after the cmp/test) */
        finish1(c, r);
        return;
    }
    x64_setcc(&c->b, cmp_emit(c, &k), r); /* setcc r8 (after the cmp/test) */
    x64_movzx8(&c->b, r, r);              /* movzx r32, r8 */
    finish1(c, r);
}

static void gen_movcond(X64Ctx *c, const IROp *op)
{
    bool w = is64(op);
    int d = ir_oarg(op, 0);
    int c1 = ir_iarg(op, 0), c2 = ir_iarg(op, 1), v1 = ir_iarg(op, 2), v2 = ir_iarg(op, 3);
    IRCond cond = (IRCond)ir_carg(op, 0);
    bool taken = false;
    if (v1 == v2 || cond_static(c, op, c1, c2, cond, &taken)) {
        bool first = v1 == v2 || taken;
        gen_copy(c, d, first ? v1 : v2, first ? 2 : 3);
        return;
    }
    /* r starts as one value and cmov brings in the other */
    X64Reg r, src;
    bool invert = false;
    if (!can_clobber(c, d, v2, 3) && can_clobber(c, d, v1, 2)) {
        r = dest_from(c, d, v1, 2, X64_ALLOC_REGS);
        src = x64_ra_load(c, v2, X64_ALLOC_REGS);
        invert = true;
    } else {
        r = dest_from(c, d, v2, 3, X64_ALLOC_REGS);
        src = x64_ra_load(c, v1, X64_ALLOC_REGS);
    }
    CmpOps k;
    cmp_prepare(c, w, c1, c2, invert ? ir_cond_invert(cond) : cond, &k);
    x64_cmov(&c->b, cmp_emit(c, &k), r, src, w); /* cmovcc r, src (after the cmp/test) */
    finish1(c, r);
}

/* ---- control flow ---- */

/* jmp (cc < 0) or jcc to a label, now or when it is placed */
static void jump_to_label(X64Ctx *c, int cc, int label)
{
    uint8_t *target = c->p->labels[label];
    if (target) {
        if (cc < 0) {
            x64_jmp_to(&c->b, target); /* jmp label (backward) */
        } else {
            x64_jcc_to(&c->b, (X64Cond)cc, target); /* jcc label (backward) */
        }
        return;
    }
    X64Priv *p = c->p;
    assert(p->nb_fixups < p->cap_fixups);
    uint8_t *field = cc < 0 ? x64_jmp32(&c->b) /* jmp label (forward) */
                            : x64_jcc32(&c->b, (X64Cond)cc); /* jcc label (forward) */
    p->fixups[p->nb_fixups++] = (X64Fixup){label, field};
}

static void place_label(X64Ctx *c, int label)
{
    X64Priv *p = c->p;
    p->labels[label] = c->b.ptr;
    for (int i = 0; i < p->nb_fixups;) {
        if (p->fixups[i].label == label) {
            x64_patch_rel32(p->fixups[i].field, c->b.ptr);
            p->fixups[i] = p->fixups[--p->nb_fixups];
        } else {
            i++;
        }
    }
}

static void gen_brcond(X64Ctx *c, const IROp *op)
{
    int a = ir_iarg(op, 0), b = ir_iarg(op, 1);
    IRCond cond = (IRCond)ir_carg(op, 0);
    int label = (int)ir_carg(op, 1);
    bool taken;
    if (cond_static(c, op, a, b, cond, &taken)) {
        x64_ra_bb_end(c, false);
        if (taken) {
            jump_to_label(c, -1, label);
        }
        x64_ra_kill_normals(c);
        return;
    }
    CmpOps k;
    cmp_prepare(c, is64(op), a, b, cond, &k);
    /* both edges must see memory-consistent globals and locals (stores keep the flags) */
    x64_ra_bb_end(c, false);
    jump_to_label(c, cmp_emit(c, &k), label);
    x64_ra_kill_normals(c);
}

/* mov rax, tb | code; jmp epilogue */
static void gen_exit(X64Ctx *c, uintptr_t code)
{
    x64_mov_ri(&c->b, X64_RAX, (uintptr_t)c->tb | code, true); /* mov rax, tb | code */
    x64_jmp_to(&c->b, c->p->epilogue);                         /* jmp epilogue */
}

static void gen_goto_tb(X64Ctx *c, const IROp *op)
{
    int slot = (int)ir_carg(op, 0);
    assert(slot == 0 || slot == 1);
    x64_ra_bb_end(c, true);
    /* the rel32 must be 4-byte aligned so set_jump can patch it with one atomic store */
    unsigned pad = (unsigned)(-(uintptr_t)(c->b.ptr + 1) & 3);
    x64_nops(&c->b, pad);                /* nop (align the rel32) */
    uint8_t *field = x64_jmp32(&c->b);   /* jmp next (or the chained TB) */
    c->tb->jmp_insn_offset[slot] = (uintptr_t)(field - c->b.start);
}

/* Indirect jump (and, under paging, a jump to another page): the block's inline cache for this
   exit first (same key, same jump generation: jump to the block it found last time), else C
   looks the block up (tcg_lookup_tb_ic, which refills the cache). */
static void gen_lookup_and_goto(X64Ctx *c, const IROp *op)
{
    int idx = c->nb_jump_caches++;
    bool k64 = op->type == IR_I64;                        /* a 64-bit pc: compare all of it */
    x64_ra_load_fixed(c, ir_iarg(op, 0), X64_RDX, false); /* rdx/edx = key (3rd argument) */
    x64_ra_bb_end(c, true);
    if (idx < TB_NB_JUMP_CACHES) {
        TBJumpCache *jc = &c->tb->jc[idx];
        *jc = (TBJumpCache){.owner = c->tb}; /* empty */
        x64_mov_ri(&c->b, X64_RSI, (uintptr_t)jc, true);                 /* mov rsi, &jc */
        x64_alu_rm(&c->b, X64_CMP, X64_RDX,                     /* cmp rdx/edx, [rsi.key] */
                   x64_mem(X64_RSI, (int32_t)offsetof(TBJumpCache, key)), k64);
        uint8_t *miss_key = x64_jcc32(&c->b, X64_CC_NE);                 /* jne .miss */
        x64_load(&c->b, X64_RAX, x64_mem(X64_REG_ENV, (int32_t)CPU_OFF_JUMP_GEN), 3, false,
                 true);                                                  /* mov rax, [rbp.gen] */
        x64_not(&c->b, X64_RAX, true);                                   /* not rax */
        x64_alu_rm(&c->b, X64_CMP, X64_RAX,                              /* cmp rax, [rsi.gen_not] */
                   x64_mem(X64_RSI, (int32_t)offsetof(TBJumpCache, gen_not)), true);
        uint8_t *miss_gen = x64_jcc32(&c->b, X64_CC_NE);                 /* jne .miss */
        x64_load(&c->b, X64_RAX, x64_mem(X64_RSI, (int32_t)offsetof(TBJumpCache, tb)), 3,
                 false, true);                                           /* mov rax, [rsi.tb] */
        x64_jmp_m(&c->b, x64_mem(X64_RAX, (int32_t)offsetof(TranslationBlock, code)));
        x64_patch_rel32(miss_key, c->b.ptr);                             /* .miss: */
        x64_patch_rel32(miss_gen, c->b.ptr);
        x64_mov_rr(&c->b, X64_RDI, X64_REG_ENV, true);                   /* mov rdi, rbp */
        x64_call_abs(&c->b, (void *)tcg_lookup_tb_ic, X64_RAX);          /* call tcg_lookup_tb_ic */
    } else {
        x64_mov_rr(&c->b, X64_RDI, X64_REG_ENV, true);                   /* mov rdi, rbp */
        x64_call_abs(&c->b, (void *)tcg_lookup_tb_for_jump, X64_RAX);
    }
    x64_test_rr(&c->b, X64_RAX, X64_RAX, true);              /* test rax, rax */
    x64_byte(&c->b, 0x70 + X64_CC_E);                        /* je .nochain (rel8 below) */
    uint8_t *rel8 = c->b.ptr;
    x64_byte(&c->b, 0);
    /* jmp [rax + code] */
    x64_jmp_m(&c->b, x64_mem(X64_RAX, (int32_t)offsetof(TranslationBlock, code)));
    *rel8 = (uint8_t)(c->b.ptr - (rel8 + 1));
    gen_exit(c, IR_EXIT_NOCHAIN); /* .nochain: mov rax, tb | NOCHAIN; jmp epilogue */
}

/* ---- helper calls ---- */

static const X64Reg call_arg_regs[6] = {X64_RDI, X64_RSI, X64_RDX, X64_RCX, X64_R8, X64_R9};

static void gen_call(X64Ctx *c, const IROp *op)
{
    const IRHelper *h = ir_call_helper(op);
    bool no_read = h->flags & IR_CALL_NO_READ_GLOBALS;
    bool no_write = h->flags & IR_CALL_NO_WRITE_GLOBALS;
    bool may_raise = h->flags & IR_CALL_MAY_RAISE;
    assert(op->nb_iargs <= 6);
    if (!no_read || !no_write || may_raise) {
        /* the helper (or a fault it raises) sees the guest state in env */
        x64_ra_sync_globals(c, false);
    }
    for (int i = 0; i < op->nb_iargs; i++) {
        x64_ra_load_fixed(c, ir_iarg(op, i), call_arg_regs[i], true); /* mov argN, value */
    }
    x64_ra_free_dead_inputs(c);
    x64_ra_evacuate_caller_saved(c, no_write);
    if (!no_write) {
        x64_ra_forget_globals(c);
    }
    if (may_raise) {
        x64_gen_store_precise_state(c, c->insn_index, X64_RAX);
    }
    x64_call_abs(&c->b, h->func, X64_RAX); /* call helper */
    if (op->nb_oargs) {
        if (h->ret == IR_I32) {
            /* mov eax, eax (ABI leaves bits 32+ undefined) */
            x64_mov_rr(&c->b, X64_RAX, X64_RAX, false);
        }
        x64_ra_bind(c, ir_oarg(op, 0), X64_RAX);
        x64_ra_free_dead_outputs(c);
    }
}

/* ---- the pass ---- */

/* Backward scan: which outputs are never read (normal temps only; dead at block ends). */
static void compute_dead_outputs(IRFunc *f, uint8_t *flags, uint32_t *live)
{
    uint32_t epoch = 1;
    memset(live, 0, sizeof(uint32_t) * (size_t)f->nb_temps);
    for (int i = f->nb_ops - 1; i >= 0; i--) {
        IROp *op = &f->ops[i];
        flags[i] = 0;
        if (op->opc == IR_nop) {
            continue;
        }
        if (ir_def(op)->flags & IR_OPF_BB_END) {
            epoch++; /* every normal temp is dead after a block end */
        }
        for (int k = 0; k < op->nb_oargs; k++) {
            int t = ir_oarg(op, k);
            if (f->temps[t].kind == TEMP_NORMAL) {
                if (live[t] != epoch && k < 2) {
                    flags[i] |= (uint8_t)(1u << k);
                }
                live[t] = 0;
            }
        }
        for (int k = 0; k < op->nb_iargs; k++) {
            int t = ir_iarg(op, k);
            if (f->temps[t].kind == TEMP_NORMAL) {
                live[t] = epoch;
            }
        }
    }
}

static void gen_op(X64Ctx *c, const IROp *op)
{
    switch ((IROpcode)op->opc) {
    case IR_nop:
        break;
    case IR_insn_start:
        c->insn_index++;
        break;
    case IR_set_label:
        x64_ra_bb_end(c, true); /* the fall-through edge; all edges meet with empty registers */
        place_label(c, (int)ir_carg(op, 0));
        break;
    case IR_br:
        x64_ra_bb_end(c, true);
        jump_to_label(c, -1, (int)ir_carg(op, 0));
        break;
    case IR_brcond:
        gen_brcond(c, op);
        break;
    case IR_mov:
        gen_copy(c, ir_oarg(op, 0), ir_iarg(op, 0), 0);
        break;
    case IR_add:
        gen_alu(c, op, X64_ADD);
        break;
    case IR_sub:
        gen_alu(c, op, X64_SUB);
        break;
    case IR_and:
        gen_alu(c, op, X64_AND);
        break;
    case IR_or:
        gen_alu(c, op, X64_OR);
        break;
    case IR_xor:
        gen_alu(c, op, X64_XOR);
        break;
    case IR_mul:
        gen_mul(c, op);
        break;
    case IR_andc:
        gen_andc(c, op);
        break;
    case IR_shl:
        gen_shift(c, op, X64_SHL);
        break;
    case IR_shr:
        gen_shift(c, op, X64_SHR);
        break;
    case IR_sar:
        gen_shift(c, op, X64_SAR);
        break;
    case IR_rotl:
        gen_shift(c, op, X64_ROL);
        break;
    case IR_rotr:
        gen_shift(c, op, X64_ROR);
        break;
    case IR_neg:
        gen_unary(c, op, true);
        break;
    case IR_not:
        gen_unary(c, op, false);
        break;
    case IR_mulu2:
        gen_mul2(c, op, false);
        break;
    case IR_muls2:
        gen_mul2(c, op, true);
        break;
    case IR_ext8s:
    case IR_ext8u:
    case IR_ext16s:
    case IR_ext16u:
    case IR_ext32s:
    case IR_ext32u:
    case IR_ext_i32_i64:
    case IR_extu_i32_i64:
    case IR_extrl_i64_i32:
    case IR_extrh_i64_i32:
        gen_ext(c, op);
        break;
    case IR_deposit:
        gen_deposit(c, op);
        break;
    case IR_extract:
        gen_extract(c, op, false);
        break;
    case IR_sextract:
        gen_extract(c, op, true);
        break;
    case IR_setcond:
        gen_setcond(c, op);
        break;
    case IR_movcond:
        gen_movcond(c, op);
        break;
    case IR_ld:
        x64_gen_ld(c, op);
        break;
    case IR_st:
        x64_gen_st(c, op);
        break;
    case IR_gld:
        x64_gen_gld(c, op);
        break;
    case IR_gst:
        x64_gen_gst(c, op);
        break;
    case IR_chk_gtu:
        x64_gen_chk_gtu(c, op);
        break;
    case IR_call:
        gen_call(c, op);
        break;
    case IR_goto_tb:
        gen_goto_tb(c, op);
        break;
    case IR_exit_tb:
        x64_ra_bb_end(c, true);
        gen_exit(c, (uintptr_t)ir_carg(op, 0));
        break;
    case IR_lookup_and_goto:
        gen_lookup_and_goto(c, op);
        break;
    default:
        /* fl_* ops are lowered by tcg/flags.c before a backend without native flags */
        fprintf(stderr, "xlat: x86_64 backend: unexpected op %s\n", ir_def(op)->name);
        abort();
    }
}

/* control does not fall through past this op */
static bool ends_flow(const IROp *op)
{
    return op->opc == IR_br || op->opc == IR_exit_tb || op->opc == IR_lookup_and_goto;
}

static size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Size the arena for f (every array's worst case) and lay the arrays out in it. Returns the
   (possibly moved) X64Priv, or NULL when out of memory. */
static X64Priv *priv_reserve(TCGContext *s, IRFunc *f)
{
    size_t branches = 0, mem_ops = 0, globals = 0;
    for (int i = 0; i < f->nb_ops; i++) {
        int opc = f->ops[i].opc;
        branches += opc == IR_br || opc == IR_brcond;
        mem_ops += opc == IR_gld || opc == IR_gst || opc == IR_chk_gtu;
    }
    for (int t = 0; t < f->nb_globals; t++) {
        globals += f->temps[t].kind == TEMP_GLOBAL;
    }
    size_t nt = (size_t)f->nb_temps, nl = (size_t)f->nb_labels + 1, no = (size_t)f->nb_ops + 1;
    size_t sz[7] = {
        align16(nt * sizeof(X64Temp)),       align16(nl * sizeof(uint8_t *)),
        align16(no),                         align16(nt * sizeof(uint32_t)),
        align16(branches * sizeof(X64Fixup)), align16(mem_ops * sizeof(X64SlowPath)),
        align16(mem_ops * globals * sizeof(X64WriteBack)),
    };
    size_t need = 0;
    for (int i = 0; i < 7; i++) {
        need += sz[i];
    }
    X64Priv *p = s->be_priv;
    if (need > p->arena_size) {
        size_t size = need * 2 > 64 * 1024 ? need * 2 : 64 * 1024;
        p = realloc(p, sizeof(X64Priv) + size);
        if (!p) {
            return NULL;
        }
        p->arena_size = size;
        s->be_priv = p;
    }
    uint8_t *a = p->arena;
    p->temps = (X64Temp *)(void *)a;
    a += sz[0];
    p->labels = (uint8_t **)(void *)a;
    a += sz[1];
    p->op_flags = a;
    a += sz[2];
    p->live = (uint32_t *)(void *)a;
    a += sz[3];
    p->fixups = (X64Fixup *)(void *)a;
    a += sz[4];
    p->slow = (X64SlowPath *)(void *)a;
    a += sz[5];
    p->wb = (X64WriteBack *)(void *)a;
    p->cap_fixups = (int)branches;
    p->cap_slow = (int)mem_ops;
    p->cap_wb = (int)(mem_ops * globals);
    p->nb_fixups = p->nb_slow = p->nb_wb = 0;
    memset(p->labels, 0, sizeof(uint8_t *) * nl);
    return p;
}

int x64_gen_code(TCGContext *s, IRFunc *f, TranslationBlock *tb)
{
    if (tcg_cache_avail(s) < X64_MIN_CACHE_AVAIL) {
        return -1;
    }
    ir_liveness(f);
    X64Priv *p = priv_reserve(s, f);
    if (!p) {
        fprintf(stderr, "xlat: out of memory\n");
        abort();
    }
    compute_dead_outputs(f, p->op_flags, p->live);

    X64Ctx ctx = {.s = s, .f = f, .tb = tb, .p = p, .t = p->temps, .insn_index = -1};
    X64Ctx *c = &ctx;
    uint8_t *base = tcg_cache_ptr(s);
    unsigned pad = (unsigned)(-(uintptr_t)base & 15); /* TBs start 16-byte aligned */
    memset(base, 0xcc, pad);
    c->b.start = c->b.ptr = base + pad;
    c->b.end = s->code_buf + s->code_size;
    c->limit = c->b.end - X64_MAX_OP_BYTES;
    tb->jmp_insn_offset[0] = tb->jmp_insn_offset[1] = 0;
    x64_ra_begin(c);

    /* entry: charge the instruction budget; a negative result exits before the block runs */
    /* sub qword [rbp + budget], icount */
    x64_alu_mi(&c->b, X64_SUB, x64_mem(X64_REG_ENV, CPU_OFF_BUDGET), (int32_t)tb->icount, true);
    c->budget_jl = x64_jcc32(&c->b, X64_CC_L); /* jl budget_exit */

    const IROp *last = NULL;
    for (int i = 0; i < f->nb_ops; i++) {
        const IROp *op = &f->ops[i];
        if (op->opc == IR_nop) {
            continue;
        }
        if (c->b.ptr > c->limit) {
            return -1;
        }
        c->op = op;
        c->op_index = i;
        c->locked = 0;
        x64_ra_lock_inputs(c);
        gen_op(c, op);
        last = op;
    }
    c->locked = 0;
    if (!last || !ends_flow(last)) {
        /* a block that falls off its end (only hand-built IR does) leaves to the loop */
        x64_ra_bb_end(c, true);
        gen_exit(c, IR_EXIT_NOCHAIN);
    }
    assert(p->nb_fixups == 0 && "branch to a label that was never placed");

    if (!x64_gen_slow_paths(c) || c->b.end - c->b.ptr < 64) {
        return -1;
    }
    /* budget_exit: undo the charge and report it */
    x64_patch_rel32(c->budget_jl, c->b.ptr);
    /* add qword [rbp + budget], icount */
    x64_alu_mi(&c->b, X64_ADD, x64_mem(X64_REG_ENV, CPU_OFF_BUDGET), (int32_t)tb->icount, true);
    gen_exit(c, IR_EXIT_BUDGET); /* mov rax, tb | BUDGET; jmp epilogue */

    tb->code = c->b.start;
    tb->code_size = (uint32_t)(c->b.ptr - c->b.start);
    tcg_cache_commit(s, (size_t)(c->b.ptr - base));
    return 0;
}
