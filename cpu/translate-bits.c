/*
 * cpu/translate-bits.c — single bits and bit counts: BT BTS BTR BTC (register and memory forms,
 * with the bit-offset addressing of memory operands), BSF BSR TZCNT LZCNT POPCNT, and BSWAP.
 *
 * Flags (SDM Vol. 2 of each):
 *   BT*      CF = the selected bit; ZF unchanged; OF SF AF PF undefined (left as they were).
 *   BSF BSR  ZF = (source == 0); CF OF SF AF PF undefined (the LOGIC kind of the source).
 *   TZCNT LZCNT  CF = (source == 0), ZF = (result == 0); OF SF AF PF undefined (cleared here).
 *   POPCNT   ZF = (source == 0); OF SF AF CF PF cleared.
 * BSF/BSR leave the destination unchanged for a zero source: the SDM calls it undefined, Intel
 * and AMD processors both keep it (AMD documents it), and software relies on that.
 */
#include "cpu/translate.h"

/* BT/BTS/BTR/BTC r/m, r and r/m, imm8 */
bool gen_bt(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    uint16_t mn = in->mnemonic;
    int size = in->op[0].size;
    int bits = size * 8;
    int bit;
    if (in->op[1].kind == OPK_IMM) {
        /* an immediate offset is taken modulo the operand width */
        bit = gen_const(dc, in->imm & (bits - 1));
    } else {
        int off = gen_read_operand(dc, 1);
        bit = gen_temp(dc);
        ir_emit_andi(f, dc->ty, bit, off, bits - 1);
        if (in->op[0].kind == OPK_MEM) {
            /* a register offset selects any bit relative to the operand's address: the
               operand-sized unit at EA + (offset SAR log2(bits)) * size, the offset signed
               (SDM Vol. 1 3.4.1 "bit base", BT "Operation") */
            int soff = gen_ext(dc, off, size, true);
            int disp = gen_temp(dc), ea = gen_temp(dc);
            ir_emit_sar(f, dc->ty, disp, soff, gen_const(dc, size_log2(size) + 3));
            ir_emit_shl(f, dc->ty, disp, disp, gen_const(dc, size_log2(size)));
            ir_emit_add(f, dc->ty, ea, gen_effective_offset(dc), disp);
            dc->addr = gen_seg_access(dc, in->mem.seg, ea, in->addrsize, size, false);
        }
    }
    int v = gen_read_operand(dc, 0);
    int cf = gen_temp(dc);
    ir_emit_shr(f, dc->ty, cf, v, bit);
    ir_emit_andi(f, dc->ty, cf, cf, 1);
    if (mn != MN_BT) {
        int m = gen_temp(dc), r = gen_temp(dc);
        ir_emit_shl(f, dc->ty, m, gen_const(dc, 1), bit);
        if (mn == MN_BTS) {
            ir_emit_or(f, dc->ty, r, v, m);
        } else if (mn == MN_BTR) {
            ir_emit_binop(f, IR_andc, dc->ty, r, v, m);
        } else {
            ir_emit_xor(f, dc->ty, r, v, m);
        }
        gen_write_operand(dc, 0, r);
    }
    int e = gen_flags_image(dc);
    ir_emit_andi(f, dc->ty, e, e, ~IR_EFL_CF);
    ir_emit_or(f, dc->ty, e, e, cf);
    gen_set_flags_image(dc, e);
    return true;
}

static const uint8_t bitscan_op[MN_NB] = {
    [MN_BSF] = BS_BSF, [MN_BSR] = BS_BSR, [MN_TZCNT] = BS_TZCNT, [MN_LZCNT] = BS_LZCNT,
    [MN_POPCNT] = BS_POPCNT,
};

/* BSF BSR TZCNT LZCNT POPCNT r, r/m: the count from a pure helper, the flags inline */
bool gen_bitscan(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->op[0].size;
    int op = bitscan_op[in->mnemonic];
    int src = gen_read_operand(dc, 1);
    int old = gen_read_operand(dc, 0);
    int r = gen_temp(dc);
    int args[3] = {gen_const(dc, op << 4 | size), src, old};
    gen_call(dc, size == 8 ? &helper_bitscan64_desc : &helper_bitscan_desc, r, args);
    if ((op == BS_BSF || op == BS_BSR) && size == 4 && dc->ty == IR_I64) {
        /* a zero source leaves the whole 64-bit register alone, upper half included (as the
           host CPU does); otherwise the 32-bit result is zero-extended */
        int full = gen_reg_read(dc, in->op[0].reg, 8, false), t = gen_temp(dc);
        ir_emit_movcond(f, IR_I64, IR_COND_EQ, t, gen_ext(dc, src, 4, false), gen_const(dc, 0),
                        full, gen_ext(dc, r, 4, false));
        gen_reg_write(dc, in->op[0].reg, 8, false, t);
    } else {
        gen_write_operand(dc, 0, r);
    }
    if (op == BS_BSF || op == BS_BSR) {
        int zero = gen_const(dc, 0);
        gen_flags(dc, IR_FL_LOGIC, size, src, zero, zero, zero);
        return true;
    }
    int zf = gen_temp(dc), e = gen_temp(dc);
    if (op == BS_POPCNT) {
        ir_emit_setcond(f, dc->ty, IR_COND_EQ, zf, src, gen_const(dc, 0));
        ir_emit_shl(f, dc->ty, e, zf, gen_const(dc, 6));
    } else {
        int cf = gen_temp(dc);
        ir_emit_setcond(f, dc->ty, IR_COND_EQ, cf, src, gen_const(dc, 0));
        ir_emit_setcond(f, dc->ty, IR_COND_EQ, zf, r, gen_const(dc, 0));
        ir_emit_shl(f, dc->ty, e, zf, gen_const(dc, 6));
        ir_emit_or(f, dc->ty, e, e, cf);
    }
    gen_set_flags_image(dc, e);
    return true;
}

/* BSWAP r32 reverses the bytes. With a 16-bit operand the SDM leaves the result undefined;
   processors clear the register's low word, and so does this. */
bool gen_bswap(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int reg = in->op[0].reg;
    if (in->op[0].size == 2) {
        gen_reg_write(dc, reg, 2, false, gen_const(dc, 0));
        return true;
    }
    int size = in->op[0].size;
    int x = gen_reg_read(dc, reg, size, false);
    int lo = gen_temp(dc), hi = gen_temp(dc), r = gen_temp(dc);
    if (size == 8) {
        /* swap the halves, then the bytes within each half as below */
        int m = ir_const(f, IR_I64, 0x00ff00ff00ff00ffll);
        ir_emit_binop(f, IR_rotl, IR_I64, x, x, gen_const(dc, 32));
        int t = gen_temp(dc);
        ir_emit_shr(f, IR_I64, t, x, gen_const(dc, 8));
        ir_emit_and(f, IR_I64, t, t, m);
        ir_emit_and(f, IR_I64, lo, x, m);
        ir_emit_shl(f, IR_I64, lo, lo, gen_const(dc, 8));
        ir_emit_or(f, IR_I64, x, lo, t);
        int m16 = ir_const(f, IR_I64, 0x0000ffff0000ffffll);
        ir_emit_shr(f, IR_I64, t, x, gen_const(dc, 16));
        ir_emit_and(f, IR_I64, t, t, m16);
        ir_emit_and(f, IR_I64, hi, x, m16);
        ir_emit_shl(f, IR_I64, hi, hi, gen_const(dc, 16));
        ir_emit_or(f, IR_I64, r, hi, t);
        gen_reg_write(dc, reg, 8, false, r);
        return true;
    }
    if (dc->ty == IR_I64) {
        /* the byte rotations below are 32-bit ones */
        int x32 = ir_temp_new(f, IR_I32), lo32 = ir_temp_new(f, IR_I32);
        int hi32 = ir_temp_new(f, IR_I32), r32 = ir_temp_new(f, IR_I32);
        ir_emit_unop(f, IR_extrl_i64_i32, IR_I32, x32, x);
        ir_emit_andi(f, IR_I32, lo32, x32, 0x00ff00ff);
        ir_emit_binop(f, IR_rotr, IR_I32, lo32, lo32, ir_const(f, IR_I32, 8));
        ir_emit_andi(f, IR_I32, hi32, x32, (int32_t)0xff00ff00);
        ir_emit_binop(f, IR_rotl, IR_I32, hi32, hi32, ir_const(f, IR_I32, 8));
        ir_emit_or(f, IR_I32, r32, lo32, hi32);
        gen_reg_write(dc, reg, 4, false, gen_widen32(dc, r32));
        return true;
    }
    ir_emit_andi(f, dc->ty, lo, x, 0x00ff00ff);
    ir_emit_binop(f, IR_rotr, dc->ty, lo, lo, gen_const(dc, 8)); /* bytes 0, 2 -> 3, 1 */
    ir_emit_andi(f, dc->ty, hi, x, (int32_t)0xff00ff00);
    ir_emit_binop(f, IR_rotl, dc->ty, hi, hi, gen_const(dc, 8)); /* bytes 3, 1 -> 0, 2 */
    ir_emit_or(f, dc->ty, r, lo, hi);
    gen_reg_write(dc, reg, 4, false, r);
    return true;
}
