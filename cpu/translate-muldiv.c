/*
 * cpu/translate-muldiv.c — MUL and IMUL (the one-, two- and three-operand forms), DIV and IDIV.
 *
 * Multiplications are inline IR: 8- and 16-bit products fit an i32 multiply, 32-bit ones use
 * the double-width mulu2/muls2. Their flags are the IR_FL_MUL kind: CF = OF = "the upper half
 * of the result is significant" (SDM MUL, IMUL); SF ZF AF PF are undefined and follow the low
 * half. Divisions call helper_div (cpu/helper-int.c), which raises #DE for a zero divisor or a
 * quotient that does not fit (SDM DIV, IDIV); their flags are all undefined and left as they
 * were.
 */
#include "cpu/translate.h"

/* 1 if the product hi:lo (or the i32 product p for sizes 1 and 2) does not fit the low half */
/* the operand size whose product needs the double-width multiply: the width of the temps */
static bool mul_wide(DisasContext *dc, int size)
{
    return size == (dc->ty == IR_I64 ? 8 : 4);
}

static int gen_mul_overflow(DisasContext *dc, int size, bool sign, int p, int hi)
{
    IRFunc *f = dc->f;
    int nz = gen_temp(dc);
    if (mul_wide(dc, size)) {
        if (sign) {
            int s = gen_temp(dc);
            ir_emit_sar(f, dc->ty, s, p, gen_const(dc, size * 8 - 1));
            ir_emit_setcond(f, dc->ty, IR_COND_NE, nz, hi, s);
        } else {
            ir_emit_setcond(f, dc->ty, IR_COND_NE, nz, hi, gen_const(dc, 0));
        }
    } else if (sign) {
        ir_emit_setcond(f, dc->ty, IR_COND_NE, nz, p, gen_ext(dc, p, size, true));
    } else {
        int h = gen_temp(dc);
        ir_emit_shr(f, dc->ty, h, p, gen_const(dc, size * 8));
        ir_emit_setcond(f, dc->ty, IR_COND_NE, nz, h, gen_const(dc, 0));
    }
    return nz;
}

/*
 * MUL r/m and IMUL r/m: AX = AL * src, DX:AX = AX * src, EDX:EAX = EAX * src.
 * IMUL r, r/m and IMUL r, r/m, imm: r = r * src or src * imm, truncated to the operand size.
 */
bool gen_mul(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    bool sign = in->mnemonic == MN_IMUL;
    int size = in->op[0].size;
    int a, b;
    if (in->nb_ops == 1) {
        b = gen_read_operand(dc, 0);
        a = gen_reg_read(dc, R_EAX, size, false);
    } else if (in->nb_ops == 2) {
        b = gen_read_operand(dc, 1);
        a = gen_read_operand(dc, 0);
    } else {
        a = gen_read_operand(dc, 1);
        b = gen_read_operand(dc, 2);
    }
    int lo = gen_temp(dc), hi = -1;
    if (mul_wide(dc, size)) {
        hi = gen_temp(dc);
        ir_emit_mul2(f, sign ? IR_muls2 : IR_mulu2, dc->ty, lo, hi, a, b);
    } else {
        int xa = gen_ext(dc, a, size, sign), xb = gen_ext(dc, b, size, sign);
        ir_emit_binop(f, IR_mul, dc->ty, lo, xa, xb);
    }
    int nz = gen_mul_overflow(dc, size, sign, lo, hi);
    if (in->nb_ops == 1) {
        if (size == 1) {
            gen_reg_write(dc, R_EAX, 2, false, lo); /* AX = the 16-bit product */
        } else {
            if (!mul_wide(dc, size)) {
                hi = gen_temp(dc);
                ir_emit_shr(f, dc->ty, hi, lo, gen_const(dc, size * 8));
            }
            gen_reg_write(dc, R_EAX, size, false, lo);
            gen_reg_write(dc, R_EDX, size, false, hi);
        }
    } else {
        gen_reg_write(dc, in->op[0].reg, size, false, lo);
    }
    gen_flags(dc, IR_FL_MUL, size, lo, gen_const(dc, 0), nz, gen_const(dc, 0));
    return true;
}

/*
 * DIV r/m and IDIV r/m: AX / src -> AL, AH; DX:AX / src -> AX, DX; EDX:EAX / src -> EAX, EDX.
 * The helper returns quotient | remainder << 32, or raises #DE before anything is written.
 */
bool gen_div(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->op[0].size;
    bool sign = in->mnemonic == MN_IDIV;
    int divisor = gen_read_operand(dc, 0);
    if (size == 8) {
        int args[3] = {f->env, gen_const(dc, sign), divisor};
        gen_call(dc, &helper_div64_desc, -1, args);
        return true;
    }
    int lo = gen_reg_read(dc, R_EAX, size == 1 ? 2 : size, false);
    int hi = size == 1 ? gen_const(dc, 0) : gen_reg_read(dc, R_EDX, size, false);
    int r = ir_temp_new(f, IR_I64);
    int args[5] = {f->env, gen_const(dc, size | (sign ? DIV_SIGNED : 0)), lo, hi, divisor};
    gen_call(dc, &helper_div_desc, r, args);
    int q = ir_temp_new(f, IR_I32), rem = ir_temp_new(f, IR_I32);
    ir_emit_unop(f, IR_extrl_i64_i32, IR_I32, q, r);
    ir_emit_unop(f, IR_extrh_i64_i32, IR_I32, rem, r);
    q = gen_widen32(dc, q);
    rem = gen_widen32(dc, rem);
    if (size == 1) {
        gen_reg_write(dc, R_EAX, 1, false, q);
        gen_reg_write(dc, R_EAX, 1, true, rem);
    } else {
        gen_reg_write(dc, R_EAX, size, false, q);
        gen_reg_write(dc, R_EDX, size, false, rem);
    }
    return true;
}
