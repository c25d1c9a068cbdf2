/*
 * cpu/translate-shift.c — shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR, SHLD SHRD.
 *
 * The count is masked to 5 bits ("The count is masked to 5 bits", SDM SAL/SAR/SHL/SHR, ROL/ROR/
 * RCL/RCR, SHLD/SHRD). A masked count of zero changes nothing, flags included, so a count in CL
 * needs a branch around the flag update; an immediate zero count only reads its operand (for
 * its faults). Flags:
 *   SHL SHR SAR  the lazy kinds of tcg/flags.c (CF = last bit out; OF for 1-bit shifts);
 *   SHLD SHRD    the SHL and SHR kinds with a = the destination: CF is its last bit out and
 *                OF = MSB(result) ^ MSB(destination) when the count is 1, as the kinds compute;
 *   ROL ROR      CF and OF only (SDM: "The SF, ZF, AF, and PF flags are not affected"), edited
 *                into the EFLAGS image;
 *   RCL RCR      helper_rotate_carry (cpu/helper-int.c): the rotate through CF is 9, 17 or 33
 *                bits wide, with the count taken modulo 9 and 17 for bytes and words.
 */
#include "cpu/translate.h"

static const IRFlagsOp shift_kind[MN_NB] = {
    [MN_SHL] = IR_FL_SHL, [MN_SAL] = IR_FL_SHL, [MN_SHR] = IR_FL_SHR, [MN_SAR] = IR_FL_SAR,
};
static const IROpcode shift_op[IR_FL_NB] = {
    [IR_FL_SHL] = IR_shl, [IR_FL_SHR] = IR_shr, [IR_FL_SAR] = IR_sar,
};

/* the count operand: an immediate (*imm >= 0, already masked) or CL masked in a local temp;
   64-bit operands mask the count to 6 bits */
static int gen_count(DisasContext *dc, const X86Operand *o, int *imm, int size)
{
    int mask = size == 8 ? 63 : 31;
    if (o->kind == OPK_IMM) {
        *imm = (int)((o->is_imm2 ? dc->insn.imm2 : dc->insn.imm) & mask);
        return gen_const(dc, *imm);
    }
    *imm = -1;
    int n = gen_local(dc);
    ir_emit_andi(dc->f, dc->ty, n, dc->reg[R_ECX], mask);
    return n;
}

/* A count of 0 changes nothing, but in 64-bit code a 32-bit register operand is still written,
   so its upper half is cleared (as the host CPU does) */
static void gen_zero_count_write(DisasContext *dc, int v)
{
    const X86Operand *o = &dc->insn.op[0];
    if (dc->ty == IR_I64 && o->kind == OPK_REG && o->size == 4) {
        gen_write_operand(dc, 0, v);
    }
}

/* a value that survives the zero-count branch */
static int gen_keep(DisasContext *dc, int v, bool branch)
{
    if (!branch) {
        return v;
    }
    int t = gen_local(dc);
    ir_emit_mov(dc->f, dc->ty, t, v);
    return t;
}

/* ROL/ROR: the result of rotating the low `size` bytes of a by n (any n) */
static int gen_rotate(DisasContext *dc, bool left, int a, int n, int size, bool branch)
{
    IRFunc *f = dc->f;
    int r = branch ? gen_local(dc) : gen_temp(dc);
    if (size == 8) {
        ir_emit_binop(f, left ? IR_rotl : IR_rotr, IR_I64, r, a, n);
        return r;
    }
    /* in 32 bits (64-bit code narrows its operands first) */
    int x = a, n32 = n;
    if (dc->ty == IR_I64) {
        x = ir_temp_new(f, IR_I32);
        n32 = ir_temp_new(f, IR_I32);
        ir_emit_unop(f, IR_extrl_i64_i32, IR_I32, x, a);
        ir_emit_unop(f, IR_extrl_i64_i32, IR_I32, n32, n);
    }
    if (size < 4) {
        /* replicate the byte or word across 32 bits: a 32-bit rotate is then right in the low
           bits for every count */
        int y = ir_temp_new(f, IR_I32);
        ir_emit_binop(f, IR_mul, IR_I32, y, x,
                      ir_const(f, IR_I32, size == 1 ? 0x01010101 : 0x00010001));
        x = y;
    }
    if (dc->ty == IR_I64) {
        int r32 = ir_temp_new(f, IR_I32);
        ir_emit_binop(f, left ? IR_rotl : IR_rotr, IR_I32, r32, x, n32);
        ir_emit_unop(f, IR_extu_i32_i64, IR_I64, r, r32);
    } else {
        ir_emit_binop(f, left ? IR_rotl : IR_rotr, IR_I32, r, x, n32);
    }
    return r;
}

/* ROL: CF = LSB(result), OF = MSB(result) ^ CF; ROR: CF = MSB(result), OF = the two top bits
   of the result differing (SDM ROL/ROR "Operation") */
static void gen_rotate_flags(DisasContext *dc, bool left, int r, int size)
{
    IRFunc *f = dc->f;
    int w = size * 8;
    int cf = gen_temp(dc), of = gen_temp(dc), t = gen_temp(dc);
    if (left) {
        ir_emit_andi(f, dc->ty, cf, r, 1);
        ir_emit_shr(f, dc->ty, of, r, gen_const(dc, w - 1));
        ir_emit_xor(f, dc->ty, of, of, r);
    } else {
        ir_emit_extract(f, dc->ty, cf, r, w - 1, 1, false);
        ir_emit_shr(f, dc->ty, t, r, gen_const(dc, 1));
        ir_emit_xor(f, dc->ty, of, r, t);
        ir_emit_shr(f, dc->ty, of, of, gen_const(dc, w - 2));
    }
    ir_emit_andi(f, dc->ty, of, of, 1);
    ir_emit_shl(f, dc->ty, of, of, gen_const(dc, 11)); /* OF is EFLAGS bit 11 */
    int e = gen_flags_image(dc);
    ir_emit_andi(f, dc->ty, e, e, ~(IR_EFL_CF | IR_EFL_OF));
    ir_emit_or(f, dc->ty, e, e, cf);
    ir_emit_or(f, dc->ty, e, e, of);
    gen_set_flags_image(dc, e);
}

bool gen_shift(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    uint16_t mn = in->mnemonic;
    int size = in->op[0].size;
    int imm;
    int n = gen_count(dc, &in->op[1], &imm, size);
    if (imm == 0) {
        int v = gen_read_operand(dc, 0); /* still a memory access on hardware: its faults */
        gen_zero_count_write(dc, v);
        return true;
    }
    bool branch = imm < 0;
    int a0 = gen_read_operand(dc, 0);

    if ((mn == MN_RCL || mn == MN_RCR) && size == 8) {
        int e = gen_flags_image(dc);
        int op = (mn == MN_RCL ? ROT_RCL : ROT_RCR) << 4 | size;
        int r = gen_temp(dc), fl = gen_temp(dc);
        int args[4] = {gen_const(dc, op), a0, n, e};
        gen_call(dc, &helper_rotate_carry64_desc, r, args);
        args[0] = gen_const(dc, op | ROT_FLAGS);
        gen_call(dc, &helper_rotate_carry64_desc, fl, args);
        gen_write_operand(dc, 0, r);
        gen_set_flags_image(dc, fl);
        return true;
    }
    if (mn == MN_RCL || mn == MN_RCR) {
        /* no branch: the helper leaves value and flags alone for a zero count */
        int e = gen_flags_image(dc);
        int r64 = ir_temp_new(f, IR_I64);
        int kind = gen_const(dc, (mn == MN_RCL ? ROT_RCL : ROT_RCR) << 4 | size);
        int args[4] = {kind, a0, n, e};
        gen_call(dc, &helper_rotate_carry_desc, r64, args);
        int r = ir_temp_new(f, IR_I32), fl = ir_temp_new(f, IR_I32);
        ir_emit_unop(f, IR_extrl_i64_i32, IR_I32, r, r64);
        ir_emit_unop(f, IR_extrh_i64_i32, IR_I32, fl, r64);
        gen_write_operand(dc, 0, gen_widen32(dc, r));
        gen_set_flags_image(dc, fl);
        return true;
    }
    if (mn == MN_ROL || mn == MN_ROR) {
        int r = gen_rotate(dc, mn == MN_ROL, a0, n, size, branch);
        gen_write_operand(dc, 0, r);
        int skip = ir_label_new(f);
        if (branch) {
            ir_emit_brcond(f, dc->ty, IR_COND_EQ, n, gen_const(dc, 0), skip);
        }
        gen_rotate_flags(dc, mn == MN_ROL, r, size);
        if (branch) {
            ir_emit_label(f, skip);
        }
        return true;
    }

    IRFlagsOp kind = shift_kind[mn];
    int a = kind == IR_FL_SAR ? gen_ext(dc, a0, size, true) : a0;
    a = gen_keep(dc, a, branch);
    int r = branch ? gen_local(dc) : gen_temp(dc);
    ir_emit_binop(f, shift_op[kind], dc->ty, r, a, n);
    gen_write_operand(dc, 0, r);
    int skip = ir_label_new(f);
    if (branch) {
        ir_emit_brcond(f, dc->ty, IR_COND_EQ, n, gen_const(dc, 0), skip);
    }
    gen_flags(dc, kind, size, r, a, n, gen_const(dc, 0));
    if (branch) {
        ir_emit_label(f, skip);
    }
    return true;
}

/*
 * SHLD r/m, r, count: dest = high half of (dest:src) << count; SHRD: dest = low half of
 * (src:dest) >> count. Done in 64 bits. For 16-bit operands with a count above 16 the SDM
 * leaves the result undefined; this computes it from dest:src:dest, as Intel processors do.
 */
bool gen_shxd(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    bool left = in->mnemonic == MN_SHLD;
    int size = in->op[0].size;
    int imm;
    int n = gen_count(dc, &in->op[2], &imm, size);
    if (imm == 0) {
        gen_zero_count_write(dc, gen_read_operand(dc, 0));
        return true;
    }
    bool branch = imm < 0;
    int d = gen_keep(dc, gen_read_operand(dc, 0), branch);
    int s = gen_read_operand(dc, 1);

    if (size == 8) {
        /* SHLD = d << n | s >> (64 - n), SHRD = d >> n | s << (64 - n); the second shift in
           two steps, so a count of 0 (CL, written before the branch) shifts s out entirely */
        int r = branch ? gen_local(dc) : gen_temp(dc);
        int t = gen_temp(dc), m = gen_temp(dc);
        ir_emit_sub(f, IR_I64, m, gen_const(dc, 63), n);
        ir_emit_binop(f, left ? IR_shl : IR_shr, IR_I64, r, d, n);
        ir_emit_binop(f, left ? IR_shr : IR_shl, IR_I64, t, s, gen_const(dc, 1));
        ir_emit_binop(f, left ? IR_shr : IR_shl, IR_I64, t, t, m);
        ir_emit_or(f, IR_I64, r, r, t);
        gen_write_operand(dc, 0, r);
        int skip = ir_label_new(f);
        if (branch) {
            ir_emit_brcond(f, IR_I64, IR_COND_EQ, n, gen_const(dc, 0), skip);
        }
        gen_flags(dc, left ? IR_FL_SHL : IR_FL_SHR, size, r, d, n, gen_const(dc, 0));
        if (branch) {
            ir_emit_label(f, skip);
        }
        return true;
    }
    int d64 = ir_temp_new(f, IR_I64), s64 = ir_temp_new(f, IR_I64);
    int v = ir_temp_new(f, IR_I64), n64 = ir_temp_new(f, IR_I64);
    IROpcode widen = dc->ty == IR_I64 ? IR_mov : IR_extu_i32_i64;
    ir_emit_unop(f, widen, IR_I64, d64, gen_ext(dc, d, size, false));
    ir_emit_unop(f, widen, IR_I64, s64, gen_ext(dc, s, size, false));
    ir_emit_unop(f, widen, IR_I64, n64, n);
    int c32 = ir_const(f, IR_I64, 32), c16 = ir_const(f, IR_I64, 16);
    if (size == 4) {
        /* SHLD: dest:src, SHRD: src:dest */
        ir_emit_shl(f, IR_I64, v, left ? d64 : s64, c32);
        ir_emit_or(f, IR_I64, v, v, left ? s64 : d64);
    } else {
        /* dest:src:dest */
        int t = ir_temp_new(f, IR_I64);
        ir_emit_shl(f, IR_I64, v, d64, c32);
        ir_emit_shl(f, IR_I64, t, s64, c16);
        ir_emit_or(f, IR_I64, v, v, t);
        ir_emit_or(f, IR_I64, v, v, d64);
    }
    ir_emit_binop(f, left ? IR_shl : IR_shr, IR_I64, v, v, n64);
    int r = branch ? gen_local(dc) : gen_temp(dc);
    if (dc->ty == IR_I64) {
        if (left) {
            ir_emit_shr(f, IR_I64, r, v, c32);
        } else {
            ir_emit_unop(f, IR_ext32u, IR_I64, r, v);
        }
    } else {
        ir_emit_unop(f, left ? IR_extrh_i64_i32 : IR_extrl_i64_i32, IR_I32, r, v);
    }
    gen_write_operand(dc, 0, r);
    int skip = ir_label_new(f);
    if (branch) {
        ir_emit_brcond(f, dc->ty, IR_COND_EQ, n, gen_const(dc, 0), skip);
    }
    gen_flags(dc, left ? IR_FL_SHL : IR_FL_SHR, size, r, d, n, gen_const(dc, 0));
    if (branch) {
        ir_emit_label(f, skip);
    }
    return true;
}
