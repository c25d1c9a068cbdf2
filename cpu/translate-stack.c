/*
 * cpu/translate-stack.c — the stack family: PUSH POP (registers, memory, immediates, segment
 * registers), PUSHA POPA, PUSHF POPF, ENTER LEAVE.
 *
 * The stack is SS:eSP with SS.B choosing 16- or 32-bit stack pointer arithmetic (SDM Vol. 1
 * 6.2.3); the operand size chooses 2- or 4-byte slots. Every stack store and load of an
 * instruction comes before its register writes, ESP included, so a fault leaves the registers
 * as they were (SDM Vol. 3A 6.6: faults are restartable).
 */
#include "cpu/translate.h"

/* SS:(sp - k * size), the offset wrapped to the stack width and checked against SS's limit
   for a size-byte access (SDM Vol. 3A 6.12.1 #SS; real mode 20.1.3) */
static int gen_slot(DisasContext *dc, int sp, int k, int size, bool write)
{
    int t = gen_temp(dc);
    ir_emit_addi(dc->f, dc->ty, t, sp, -(int64_t)k * size);
    return gen_seg_access(dc, R_SS, t, dc->sw, size, write);
}

bool gen_push_pop(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->opsize;
    const X86Operand *o = &in->op[0];
    if (in->mnemonic == MN_PUSH) {
        int v;
        if (o->kind == OPK_SREG) {
            /* a 32-bit push of a segment register pushes the selector zero-extended */
            v = gen_temp(dc);
            ir_emit_ld(f, dc->ty, v, f->env, IR_MO_16,
                       (int32_t)offsetof(CPUX86State, seg[o->reg].selector));
        } else {
            /* PUSH eSP pushes the value before the decrement: operands are snapshots */
            v = gen_read_operand(dc, 0);
        }
        gen_push(dc, v, size);
        return true;
    }
    /* POP */
    if (o->kind == OPK_SREG) {
        if (o->reg == R_CS) {
            gen_raise(dc, EXCP_UD);
            return true;
        }
        int v = gen_pop(dc, size);
        int args[3] = {f->env, gen_const(dc, o->reg), v};
        gen_call(dc, &helper_load_seg_desc, -1, args);
        gen_exit_to_loop(dc, dc->next_eip);
        return true;
    }
    if (o->kind == OPK_MEM) {
        /* load, store, then commit eSP: a faulting store leaves eSP untouched. An eSP-based
           destination address uses eSP after the increment (SDM POP). */
        int sp = gen_stack_ptr(dc);
        int v = gen_load(dc, gen_seg_access(dc, R_SS, sp, dc->sw, size, false), size);
        int nsp = gen_temp(dc);
        ir_emit_addi(f, dc->ty, nsp, sp, size);
        if (in->mem.base == R_ESP) {
            int ea = gen_temp(dc);
            ir_emit_addi(f, dc->ty, ea, gen_effective_offset(dc), size);
            dc->addr = gen_seg_access(dc, in->mem.seg, ea, in->addrsize, size, false);
        }
        gen_write_operand(dc, 0, v);
        gen_stack_write(dc, nsp);
        return true;
    }
    int v = gen_pop(dc, size);
    gen_write_operand(dc, 0, v); /* after eSP: POP eSP leaves the popped value */
    return true;
}

/* PUSHA: EAX ECX EDX EBX (original) ESP EBP ESI EDI; POPA: the reverse, skipping eSP */
bool gen_pusha_popa(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->opsize;
    int sp = gen_stack_ptr(dc);
    int nsp = gen_temp(dc);
    if (in->mnemonic == MN_PUSHA) {
        int v[8];
        for (int r = 0; r < 8; r++) {
            v[r] = gen_reg_read(dc, r, size, false);
        }
        for (int r = 0; r < 8; r++) {
            gen_store(dc, gen_slot(dc, sp, r + 1, size, true), size, v[r]);
        }
        ir_emit_addi(f, dc->ty, nsp, sp, -8 * size);
    } else {
        int v[8];
        for (int r = 7; r >= 0; r--) {
            if (r != R_ESP) {
                v[r] = gen_load(dc, gen_slot(dc, sp, -(7 - r), size, false), size);
            }
        }
        for (int r = 0; r < 8; r++) {
            if (r != R_ESP) {
                gen_reg_write(dc, r, size, false, v[r]);
            }
        }
        ir_emit_addi(f, dc->ty, nsp, sp, 8 * size);
    }
    gen_stack_write(dc, nsp);
    return true;
}

/*
 * PUSHF: the EFLAGS image (VM and RF read as 0 in the pushed copy, SDM PUSHF). POPF: the
 * arithmetic flags as a flags value, the rest through helper_write_eflags, which applies the
 * CPL/IOPL rules (SDM POPF); then back to the loop, since IF or TF may have changed.
 */
bool gen_pushf_popf(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->opsize;
    if (in->mnemonic == MN_PUSHF) {
        int sys = gen_temp(dc), img = gen_temp(dc);
        ir_emit_ld(f, dc->ty, sys, f->env, IR_MO_32, (int32_t)offsetof(CPUX86State, eflags));
        ir_emit_andi(f, dc->ty, sys, sys, ~(int64_t)(IR_EFL_ARITH | EFL_VM | EFL_RF));
        ir_emit_or(f, dc->ty, img, sys, gen_flags_image(dc));
        ir_emit_or(f, dc->ty, img, img, gen_const(dc, EFL_FIXED1));
        gen_push(dc, img, size);
        return true;
    }
    int v = gen_pop(dc, size);
    int args[3] = {f->env, v, gen_const(dc, size)};
    gen_call(dc, &helper_write_eflags_desc, -1, args);
    int a = gen_temp(dc);
    ir_emit_andi(f, dc->ty, a, v, IR_EFL_ARITH);
    gen_set_flags_image(dc, a);
    gen_exit_to_loop(dc, dc->next_eip);
    return true;
}

/*
 * ENTER size, level (SDM ENTER "Operation"): push eBP; for nesting levels, copy level-1 frame
 * pointers from the old frame and push the new one; eBP = the frame; eSP -= size. The level
 * is taken modulo 32. All the stores first, then eBP and eSP.
 */
static void gen_enter(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->opsize, sw = dc->sw;
    int alloc = (int)(in->imm & 0xffff);
    int level = (int)(in->imm2 & 31);
    int sp = gen_stack_ptr(dc);
    int ebp = gen_reg_read(dc, R_EBP, sw, false);
    gen_store(dc, gen_slot(dc, sp, 1, size, true), size, gen_reg_read(dc, R_EBP, size, false));
    int frame = gen_temp(dc);
    ir_emit_addi(f, dc->ty, frame, sp, -size);
    int k = 1;
    if (level > 0) {
        for (int i = 1; i < level; i++) {
            int v = gen_load(dc, gen_slot(dc, ebp, i, size, false), size);
            gen_store(dc, gen_slot(dc, sp, ++k, size, true), size, v);
        }
        gen_store(dc, gen_slot(dc, sp, ++k, size, true), size, frame);
    }
    int nsp = gen_temp(dc);
    ir_emit_addi(f, dc->ty, nsp, sp, -(int64_t)k * size - alloc);
    gen_reg_write(dc, R_EBP, sw, false, frame);
    gen_stack_write(dc, nsp);
}

/* LEAVE: eSP = eBP, then eBP = pop (SDM LEAVE) */
static void gen_leave(DisasContext *dc)
{
    int size = dc->insn.opsize, sw = dc->sw;
    int sp = gen_reg_read(dc, R_EBP, sw, false);
    int v = gen_load(dc, gen_seg_access(dc, R_SS, sp, sw, size, false), size);
    int nsp = gen_temp(dc);
    ir_emit_addi(dc->f, dc->ty, nsp, sp, size);
    gen_stack_write(dc, nsp);
    gen_reg_write(dc, R_EBP, size, false, v);
}

bool gen_enter_leave(DisasContext *dc)
{
    if (dc->insn.mnemonic == MN_ENTER) {
        gen_enter(dc);
    } else {
        gen_leave(dc);
    }
    return true;
}
