/*
 * cpu/translate-control.c — control flow: JMP and Jcc, LOOP LOOPE LOOPNE JCXZ/JECXZ, near CALL
 * and RET, far JMP CALL RET and IRET, INT n INT3 INT1 INTO, BOUND, and UD0 UD1 UD2.
 *
 * Near branches are direct block exits (goto_tb, chained by the engine) or indirect ones
 * (lookup_and_goto); a 16-bit operand size truncates the target to 16 bits (SDM JMP, Jcc).
 * Far transfers change CS, so they go through C helpers (cpu/helper-int.c, cpu/helper.c) and
 * back to the loop. INT n, INT3 and INTO are traps: they retire, and the loop delivers the
 * vector with EIP after the instruction; BOUND and UDn are faults, raised at the instruction.
 */
#include "cpu/translate.h"

static uint64_t branch_target(DisasContext *dc)
{
    uint64_t t = dc->next_eip + (uint64_t)dc->insn.imm;
    /* the target wraps to the operand size (64-bit mode: 64 bits, SDM Vol. 2A JMP) */
    return dc->insn.opsize == 2 ? (t & 0xffff) : dc->insn.opsize == 4 ? (uint32_t)t : t;
}

/* a two-way exit: not taken to the next instruction (slot 0), taken to the target (slot 1) */
static void gen_two_way(DisasContext *dc, int taken)
{
    gen_goto_tb(dc, 0, dc->next_eip);
    ir_emit_label(dc->f, taken);
    gen_goto_tb(dc, 1, branch_target(dc));
}

bool gen_jump(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    if (in->mnemonic == MN_JCC) {
        int taken = ir_label_new(dc->f);
        ir_emit_fl_brcond(dc->f, dc->flags, in->cc, taken);
        gen_two_way(dc, taken);
    } else if (in->op[0].kind == OPK_REL) {
        gen_goto_tb(dc, 0, branch_target(dc));
    } else {
        gen_jmp_indirect(dc, gen_read_operand(dc, 0));
    }
    return true;
}

/* LOOP/LOOPE/LOOPNE: decrement the count register (CX or ECX by address size), branch while it
   is nonzero (and ZF = 1 / ZF = 0); JCXZ/JECXZ: branch if it is zero (SDM LOOPcc, Jcc) */
bool gen_loop(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    uint16_t mn = in->mnemonic;
    int asz = in->addrsize;
    int cx = gen_reg_read(dc, R_ECX, asz, false);
    int taken = ir_label_new(f);
    if (mn == MN_JCXZ) {
        ir_emit_brcond(f, dc->ty, IR_COND_EQ, cx, gen_const(dc, 0), taken);
        gen_two_way(dc, taken);
        return true;
    }
    int n = gen_temp(dc);
    ir_emit_addi(f, dc->ty, n, cx, -1);
    gen_reg_write(dc, R_ECX, asz, false, n);
    n = gen_ext(dc, n, asz, false);
    if (mn == MN_LOOP) {
        ir_emit_brcond(f, dc->ty, IR_COND_NE, n, gen_const(dc, 0), taken);
    } else {
        int not_taken = ir_label_new(f);
        ir_emit_brcond(f, dc->ty, IR_COND_EQ, n, gen_const(dc, 0), not_taken);
        ir_emit_fl_brcond(f, dc->flags, mn == MN_LOOPE ? 4 /* E */ : 5 /* NE */, taken);
        ir_emit_label(f, not_taken);
    }
    gen_two_way(dc, taken);
    return true;
}

bool gen_call_ret(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    if (in->mnemonic == MN_CALL) {
        int t = -1;
        if (in->op[0].kind != OPK_REL) {
            /* the target first: it may be read through eSP, and it may fault */
            t = gen_temp(dc);
            ir_emit_mov(f, dc->ty, t, gen_read_operand(dc, 0));
        }
        gen_push(dc, gen_const(dc, dc->next_eip), in->opsize);
        if (t < 0) {
            gen_goto_tb(dc, 0, branch_target(dc));
        } else {
            gen_jmp_indirect(dc, t);
        }
        return true;
    }
    /* RET [imm16]: pop the return address, then release imm16 bytes of parameters */
    int t = gen_pop(dc, in->opsize);
    if (in->nb_ops == 1) {
        int nsp = gen_temp(dc);
        ir_emit_addi(f, dc->ty, nsp, dc->reg[R_ESP], in->imm & 0xffff);
        gen_stack_write(dc, nsp);
    }
    gen_jmp_indirect(dc, gen_ext(dc, t, in->opsize, false));
    return true;
}

/* JMPF CALLF RETF IRET: helpers that load CS (real mode, or protected mode at the same
   privilege level until the system issue brings gates and privilege changes) */
bool gen_far(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->opsize;
    uint16_t mn = in->mnemonic;
    if (mn == MN_RETF || mn == MN_IRET) {
        int imm = gen_const(dc, in->nb_ops ? in->imm & 0xffff : 0);
        int args[3] = {f->env, gen_const(dc, size), imm};
        /* EIP after the instruction, for the helpers that save it in a TSS (task switches); a
           fault restores it from the block */
        ir_emit_movi(f, dc->ty, dc->eipg, dc->next_eip);
        gen_call(dc, mn == MN_RETF ? &helper_far_ret_desc : &helper_iret_desc, -1, args);
        ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
        dc->state = DISAS_JUMPED;
        return true;
    }
    int sel, off;
    if (in->op[0].kind == OPK_FAR) {
        sel = gen_const(dc, in->imm2 & 0xffff);
        off = gen_const(dc, in->imm);
    } else {
        int addr = gen_mem_addr(dc);
        off = gen_load(dc, addr, size);
        int a2 = gen_temp(dc);
        ir_emit_addi(f, dc->ty, a2, addr, size);
        sel = gen_load(dc, a2, 2);
    }
    if (mn == MN_JMPF) {
        int args[3] = {f->env, sel, off};
        ir_emit_movi(f, dc->ty, dc->eipg, dc->next_eip); /* as for IRET above */
        gen_call(dc, &helper_ljmp_desc, -1, args);
    } else {
        int args[5] = {f->env, sel, off, gen_const(dc, size), gen_const(dc, dc->next_eip)};
        gen_call(dc, &helper_far_call_desc, -1, args);
    }
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
    dc->state = DISAS_JUMPED;
    return true;
}

/* INT n (CD ib), INT3 (CC, vector 3), INT1 (F1, vector 1), INTO (CE: vector 4 if OF = 1) */
bool gen_int(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    switch (in->mnemonic) {
    case MN_INT3:
        gen_trap(dc, EXCP_BP | TRAP_SOFT);
        return true;
    case MN_INTO: {
        int no = ir_label_new(f);
        ir_emit_fl_brcond(f, dc->flags, 1 /* NO */, no);
        gen_trap(dc, 4 /* #OF */ | TRAP_SOFT);
        ir_emit_label(f, no);
        gen_goto_tb(dc, 0, dc->next_eip);
        return true;
    }
    default:
        /* INT n is a software interrupt; INT1 (ICEBP, F1) a debug trap */
        gen_trap(dc, in->nb_ops ? (int)(in->imm & 0xff) | TRAP_SOFT : EXCP_DB);
        return true;
    }
}

/* BOUND r, m16&16 / m32&32: #BR (vector 5) unless lower <= r <= upper, signed (SDM BOUND) */
bool gen_bound(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->op[0].size;
    int addr = gen_mem_addr(dc);
    int a2 = gen_temp(dc);
    ir_emit_addi(f, dc->ty, a2, addr, size);
    int lo = gen_ext(dc, gen_load(dc, addr, size), size, true);
    int hi = gen_ext(dc, gen_load(dc, a2, size), size, true);
    int ix = gen_ext(dc, gen_read_operand(dc, 0), size, true);
    int below = gen_temp(dc), above = gen_temp(dc);
    ir_emit_setcond(f, dc->ty, IR_COND_LT, below, ix, lo);
    ir_emit_setcond(f, dc->ty, IR_COND_GT, above, ix, hi);
    ir_emit_or(f, dc->ty, below, below, above);
    int ok = ir_label_new(f);
    ir_emit_brcond(f, dc->ty, IR_COND_EQ, below, gen_const(dc, 0), ok);
    int args[2] = {f->env, gen_const(dc, 5 /* #BR */)};
    gen_call(dc, &helper_raise_desc, -1, args);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN); /* not reached */
    ir_emit_label(f, ok);
    return true;
}

/* UD0 UD1 UD2: "Generates an invalid opcode exception" (SDM UD) */
bool gen_ud(DisasContext *dc)
{
    gen_raise(dc, EXCP_UD);
    return true;
}
