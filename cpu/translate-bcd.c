/*
 * cpu/translate-bcd.c — the decimal-arithmetic adjustments DAA DAS AAA AAS AAM AAD.
 *
 * Rare in new code, common in old (legacy software prints numbers with them), and each is a
 * little algorithm of the SDM's "Operation" section: one C helper (helper_bcd in
 * cpu/helper-int.c) computes the new AX and the new flags image from AX, the flags and the
 * immediate (AAM, AAD). AAM with a zero immediate raises #DE.
 */
#include "cpu/translate.h"

static const uint8_t bcd_op[MN_NB] = {
    [MN_DAA] = BCD_DAA, [MN_DAS] = BCD_DAS, [MN_AAA] = BCD_AAA,
    [MN_AAS] = BCD_AAS, [MN_AAM] = BCD_AAM, [MN_AAD] = BCD_AAD,
};

bool gen_bcd(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int ax = gen_reg_read(dc, R_EAX, 2, false);
    int e = gen_flags_image(dc);
    int imm = gen_const(dc, in->nb_ops ? (in->imm & 0xff) : 10);
    int r64 = ir_temp_new(f, IR_I64);
    int args[5] = {f->env, gen_const(dc, bcd_op[in->mnemonic]), ax, e, imm};
    gen_call(dc, &helper_bcd_desc, r64, args);
    int nax = gen_half64(dc, r64, false);
    int fl = gen_half64(dc, r64, true);
    gen_reg_write(dc, R_EAX, 2, false, nax);
    gen_set_flags_image(dc, fl);
    return true;
}
