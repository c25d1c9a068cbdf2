/*
 * cpu/translate-mov.c — data movement: MOV (incl. segment registers and moffs), MOVZX MOVSX,
 * CMOVcc, XCHG, LEA, XLAT, CBW/CWDE CWD/CDQ, and the far-pointer loads LES LDS LSS LFS LGS.
 * None of them changes the arithmetic flags (SDM Vol. 2, each "Flags Affected": none).
 */
#include "cpu/translate.h"

static int gen_sreg_selector(DisasContext *dc, int seg)
{
    int v = gen_temp(dc);
    ir_emit_ld(dc->f, dc->ty, v, dc->f->env, IR_MO_16,
               (int32_t)offsetof(CPUX86State, seg[seg].selector));
    return v;
}

/* a segment register load through helper_load_seg (real mode: base = selector << 4) */
static void gen_load_sreg(DisasContext *dc, int seg, int sel)
{
    int args[3] = {dc->f->env, gen_const(dc, seg), sel};
    gen_call(dc, &helper_load_seg_desc, -1, args);
}

bool gen_mov(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    const X86Operand *d = &in->op[0], *s = &in->op[1];
    if (d->kind == OPK_SREG) {
        /* MOV Sreg, r/m16: CS is not a valid destination (#UD, SDM MOV) */
        if (d->reg == R_CS) {
            gen_raise(dc, EXCP_UD);
            return true;
        }
        gen_load_sreg(dc, d->reg, gen_read_operand(dc, 1));
        /* segment bases are part of the block key (hflags): look the next block up anew */
        gen_exit_to_loop(dc, dc->next_eip);
        return true;
    }
    if (s->kind == OPK_SREG) {
        int v = gen_sreg_selector(dc, s->reg);
        /* to a register the selector is zero-extended (P6 and later); to memory 16 bits */
        if (d->kind == OPK_REG) {
            gen_reg_write(dc, d->reg, in->opsize == 4 ? 4 : 2, false, v);
        } else {
            gen_store(dc, gen_mem_addr(dc), 2, v);
        }
        return true;
    }
    gen_write_operand(dc, 0, gen_read_operand(dc, 1));
    return true;
}

bool gen_movx(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    int v = gen_read_operand(dc, 1);
    /* MOVSX and MOVSXD sign-extend */
    gen_write_operand(dc, 0, gen_ext(dc, v, in->op[1].size, in->mnemonic != MN_MOVZX));
    return true;
}

/* CMOVcc r, r/m: the source is read (and may fault) whatever the condition (SDM CMOVcc) */
bool gen_cmov(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    int src = gen_read_operand(dc, 1);
    int dst = gen_read_operand(dc, 0);
    int c = gen_cond(dc, in->cc);
    int r = gen_temp(dc);
    ir_emit_movcond(dc->f, dc->ty, IR_COND_NE, r, c, gen_const(dc, 0), src, dst);
    gen_write_operand(dc, 0, r);
    return true;
}

bool gen_xchg(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    int a = gen_read_operand(dc, 0);
    int b = gen_read_operand(dc, 1);
    /* copy a first: writing operand 0 may overwrite the register a reads */
    int ta = gen_temp(dc), tb = gen_temp(dc);
    ir_emit_mov(dc->f, dc->ty, ta, a);
    ir_emit_mov(dc->f, dc->ty, tb, b);
    if (in->op[0].kind == OPK_MEM) {
        gen_write_operand(dc, 0, tb); /* the store first: it may fault */
        gen_write_operand(dc, 1, ta);
    } else {
        gen_write_operand(dc, 1, ta);
        gen_write_operand(dc, 0, tb);
    }
    return true;
}

bool gen_lea(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    gen_reg_write(dc, in->op[0].reg, in->op[0].size, false, gen_effective_offset(dc));
    return true;
}

/* XLAT: AL = [seg:(E)BX + AL], the sum wrapped to the address size (SDM XLAT) */
bool gen_xlat(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    int al = gen_reg_read(dc, R_EAX, 1, false);
    int off = gen_temp(dc);
    ir_emit_add(dc->f, dc->ty, off, dc->reg[R_EBX], al);
    int v = gen_load(dc, gen_seg_access(dc, gen_default_seg(dc), off, in->addrsize, 1, false), 1);
    gen_reg_write(dc, R_EAX, 1, false, v);
    return true;
}

/* CBW/CWDE: sign-extend AL into AX or AX into EAX; CWD/CDQ: the sign of AX/EAX into DX/EDX */
bool gen_cbw_cwd(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    int size = in->opsize;
    if (in->mnemonic == MN_CBW) {
        int v = gen_reg_read(dc, R_EAX, size / 2, false);
        gen_reg_write(dc, R_EAX, size, false, gen_ext(dc, v, size / 2, true));
        return true;
    }
    int v = gen_ext(dc, gen_reg_read(dc, R_EAX, size, false), size, true);
    int s = gen_temp(dc);
    ir_emit_sar(dc->f, dc->ty, s, v, gen_const(dc, size == 8 ? 63 : 31));
    gen_reg_write(dc, R_EDX, size, false, s);
    return true;
}

static const int8_t far_seg[MN_NB] = {
    [MN_LES] = R_ES, [MN_LDS] = R_DS, [MN_LSS] = R_SS, [MN_LFS] = R_FS, [MN_LGS] = R_GS,
};

/* LDS/LES/LSS/LFS/LGS r, m16:16/m16:32: the offset, then the selector after it */
bool gen_load_far(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->op[0].size;
    int addr = gen_mem_addr(dc);
    int off = gen_load(dc, addr, size);
    int a2 = gen_temp(dc);
    ir_emit_addi(f, dc->ty, a2, addr, size);
    int sel = gen_load(dc, a2, 2);
    int keep = gen_temp(dc);
    ir_emit_mov(f, dc->ty, keep, off);
    gen_load_sreg(dc, far_seg[in->mnemonic], sel);
    gen_reg_write(dc, in->op[0].reg, size, false, keep);
    gen_exit_to_loop(dc, dc->next_eip);
    return true;
}
