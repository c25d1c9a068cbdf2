/*
 * cpu/translate-flags.c — instructions about flags: CLC STC CMC, CLD STD, CLI STI, LAHF SAHF,
 * SETcc and SALC. The arithmetic flags are IR flags values (read with fl_cond/fl_get, written
 * with fl_set); DF and IF live in the CPU state's eflags field.
 */
#include "cpu/translate.h"

bool gen_flag_bits(DisasContext *dc)
{
    IRFunc *f = dc->f;
    uint16_t m = dc->insn.mnemonic;
    if (m == MN_CLC || m == MN_STC || m == MN_CMC) {
        int e = gen_flags_image(dc), r = gen_temp(dc);
        if (m == MN_CLC) {
            ir_emit_andi(f, dc->ty, r, e, ~IR_EFL_CF);
        } else if (m == MN_STC) {
            ir_emit_or(f, dc->ty, r, e, gen_const(dc, IR_EFL_CF));
        } else {
            ir_emit_xor(f, dc->ty, r, e, gen_const(dc, IR_EFL_CF));
        }
        gen_set_flags_image(dc, r);
        return true;
    }
    /* CLD/STD/CLI/STI edit EFLAGS in the CPU state; IOPL checks come with protected mode */
    int e = gen_temp(dc), r = gen_temp(dc);
    int32_t off = (int32_t)offsetof(CPUX86State, eflags);
    ir_emit_ld(f, dc->ty, e, f->env, IR_MO_32, off);
    switch (m) {
    case MN_CLD: ir_emit_andi(f, dc->ty, r, e, ~EFL_DF); break;
    case MN_STD: ir_emit_or(f, dc->ty, r, e, gen_const(dc, EFL_DF)); break;
    case MN_CLI: ir_emit_andi(f, dc->ty, r, e, ~EFL_IF); break;
    default: ir_emit_or(f, dc->ty, r, e, gen_const(dc, EFL_IF)); break;
    }
    ir_emit_st(f, dc->ty, r, f->env, IR_MO_32, off);
    if (m == MN_STI) {
        /* STI with IF = 0 holds interrupts off for one more instruction (SDM STI: the
           interrupt shadow, what makes "sti; hlt" safe); then back to the loop, which is where
           pending interrupts are taken */
        int sh = gen_temp(dc);
        ir_emit_andi(f, dc->ty, sh, e, EFL_IF);
        ir_emit_setcond(f, dc->ty, IR_COND_EQ, sh, sh, gen_const(dc, 0));
        ir_emit_st(f, dc->ty, sh, f->env, IR_MO_32, (int32_t)offsetof(CPUX86State, inhibit_irq));
        gen_exit_to_loop(dc, dc->next_eip);
    }
    return true;
}

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF; SAHF: SF ZF AF PF CF from AH, OF kept (SDM LAHF, SAHF) */
bool gen_lahf_sahf(DisasContext *dc)
{
    IRFunc *f = dc->f;
    enum { LOW_FLAGS = IR_EFL_SF | IR_EFL_ZF | IR_EFL_AF | IR_EFL_PF | IR_EFL_CF };
    int e = gen_flags_image(dc);
    int r = gen_temp(dc);
    if (dc->insn.mnemonic == MN_LAHF) {
        ir_emit_andi(f, dc->ty, r, e, LOW_FLAGS);
        ir_emit_or(f, dc->ty, r, r, gen_const(dc, EFL_FIXED1));
        gen_reg_write(dc, R_EAX, 1, true, r);
        return true;
    }
    int ah = gen_reg_read(dc, R_EAX, 1, true);
    ir_emit_andi(f, dc->ty, ah, ah, LOW_FLAGS);
    ir_emit_andi(f, dc->ty, r, e, ~(int64_t)LOW_FLAGS);
    ir_emit_or(f, dc->ty, r, r, ah);
    gen_set_flags_image(dc, r);
    return true;
}

/* SETcc r/m8 = condition; SALC: AL = CF ? FFh : 00h (undocumented, D6; no flags changed) */
bool gen_setcc(DisasContext *dc)
{
    if (dc->insn.mnemonic == MN_SALC) {
        int c = gen_carry(dc), r = gen_temp(dc);
        ir_emit_unop(dc->f, IR_neg, dc->ty, r, c);
        gen_reg_write(dc, R_EAX, 1, false, r);
        return true;
    }
    gen_write_operand(dc, 0, gen_cond(dc, dc->insn.cc));
    return true;
}
