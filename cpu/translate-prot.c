/*
 * cpu/translate-prot.c — emitters for the protection and system-management instructions: LTR,
 * LLDT, SGDT/SIDT, SLDT/STR, INVLPG, CLTS, LMSW/SMSW, RDMSR/WRMSR, LAR/LSL/VERR/VERW and ARPL.
 * The checks live in the helpers (cpu/helper-prot.c); these only move operands. Instructions
 * that can change how code translates (LMSW, INVLPG, WRMSR to EFER) end the block.
 */
#include "cpu/translate.h"

static int call1(DisasContext *dc, IRHelper *h, int ret, int a)
{
    int args[2] = {dc->f->env, a};
    gen_call(dc, h, ret, args);
    return ret;
}

bool gen_ltr_lldt(DisasContext *dc)
{
    int v = gen_read_operand(dc, 0);
    call1(dc, dc->insn.mnemonic == MN_LTR ? &helper_ltr_desc : &helper_lldt_desc, -1, v);
    return true;
}

bool gen_sxdt(DisasContext *dc)
{
    int args[3] = {dc->f->env, gen_mem_addr(dc), gen_const(dc, dc->insn.mnemonic == MN_SIDT)};
    gen_call(dc, &helper_sxdt_desc, -1, args);
    return true;
}

/* SLDT/STR/SMSW: a 16-bit value; a register destination takes the operand size (zero-extended,
   SDM: "the upper 16 bits are cleared" on P6 and later), memory takes 16 bits. */
static void write_selector_like(DisasContext *dc, int v)
{
    const X86Operand *o = &dc->insn.op[0];
    if (o->kind == OPK_REG) {
        gen_reg_write(dc, o->reg, dc->insn.opsize == 4 ? 4 : 2, false, v);
    } else {
        gen_store(dc, gen_mem_addr(dc), 2, v);
    }
}

bool gen_sldt_str(DisasContext *dc)
{
    int v = ir_temp_new(dc->f, dc->ty);
    call1(dc, &helper_read_ldtr_tr_desc, v, gen_const(dc, dc->insn.mnemonic == MN_STR));
    write_selector_like(dc, v);
    return true;
}

bool gen_smsw(DisasContext *dc)
{
    int v = ir_temp_new(dc->f, dc->ty);
    ir_emit_ld(dc->f, dc->ty, v, dc->f->env, IR_MO_16, LO32(offsetof(CPUX86State, cr[0])));
    write_selector_like(dc, v);
    return true;
}

bool gen_lmsw(DisasContext *dc)
{
    call1(dc, &helper_lmsw_desc, -1, gen_read_operand(dc, 0));
    gen_exit_to_loop(dc, dc->next_eip);
    return true;
}

bool gen_clts(DisasContext *dc)
{
    int args[1] = {dc->f->env};
    gen_call(dc, &helper_clts_desc, -1, args);
    return true;
}

bool gen_invlpg(DisasContext *dc)
{
    call1(dc, &helper_invlpg_desc, -1, gen_mem_addr(dc));
    /* the mapping of this very code may have changed */
    gen_exit_to_loop(dc, dc->next_eip);
    return true;
}

bool gen_msr(DisasContext *dc)
{
    int args[1] = {dc->f->env};
    bool wr = dc->insn.mnemonic == MN_WRMSR;
    gen_call(dc, wr ? &helper_wrmsr_desc : &helper_rdmsr_desc, -1, args);
    if (wr) {
        gen_exit_to_loop(dc, dc->next_eip); /* EFER.NXE changes what pages may run */
    }
    return true;
}

/* ZF := ok, the other flags unchanged (SDM LAR/LSL/VERR/VERW/ARPL: "only ZF is affected") */
static void set_zf(DisasContext *dc, int ok)
{
    IRFunc *f = dc->f;
    int e = gen_flags_image(dc);
    int z = ir_temp_new(f, dc->ty), r = ir_temp_new(f, dc->ty);
    ir_emit_shl(f, dc->ty, z, ok, gen_const(dc, 6));
    ir_emit_andi(f, dc->ty, r, e, ~(int64_t)IR_EFL_ZF);
    ir_emit_or(f, dc->ty, r, r, z);
    gen_set_flags_image(dc, r);
}

bool gen_desc_check(DisasContext *dc)
{
    IRFunc *f = dc->f;
    static const uint8_t op_of[MN_NB] = {[MN_LAR] = 0, [MN_LSL] = 1, [MN_VERR] = 2, [MN_VERW] = 3};
    uint32_t m = dc->insn.mnemonic;
    int sel = gen_read_operand(dc, (m == MN_LAR || m == MN_LSL) ? 1 : 0);
    int r64 = ir_temp_new(f, IR_I64);
    int args[3] = {f->env, sel, gen_const(dc, op_of[m])};
    gen_call(dc, &helper_desc_check_desc, r64, args);
    int ok = gen_half64(dc, r64, true);
    int v = gen_half64(dc, r64, false);
    if (m == MN_LAR || m == MN_LSL) {
        /* the destination is written only when the check passes */
        const X86Operand *d = &dc->insn.op[0];
        int old = gen_reg_read(dc, d->reg, d->size, false);
        int nv = ir_temp_new(f, dc->ty);
        ir_emit_movcond(f, dc->ty, IR_COND_NE, nv, ok, gen_const(dc, 0), v, old);
        gen_reg_write(dc, d->reg, d->size, false, nv);
    }
    set_zf(dc, ok);
    return true;
}

/* ARPL r/m16, r16 (protected mode only): raise the destination's RPL to the source's. */
bool gen_arpl(DisasContext *dc)
{
    IRFunc *f = dc->f;
    if (!(dc->hflags & HF_PE)) {
        return false; /* #UD in real mode: reported as unimplemented until then */
    }
    int d = gen_read_operand(dc, 0), s = gen_read_operand(dc, 1);
    int drpl = ir_temp_new(f, dc->ty), srpl = ir_temp_new(f, dc->ty);
    ir_emit_andi(f, dc->ty, drpl, d, 3);
    ir_emit_andi(f, dc->ty, srpl, s, 3);
    int adj = ir_temp_new(f, dc->ty);
    ir_emit_setcond(f, dc->ty, IR_COND_LTU, adj, drpl, srpl);
    int nd = ir_temp_new(f, dc->ty);
    ir_emit_deposit(f, dc->ty, nd, d, srpl, 0, 2);
    int out = ir_temp_new(f, dc->ty);
    ir_emit_movcond(f, dc->ty, IR_COND_NE, out, adj, gen_const(dc, 0), nd, d);
    gen_write_operand(dc, 0, out);
    set_zf(dc, adj);
    return true;
}
