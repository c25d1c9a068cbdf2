/*
 * cpu/translate-int.c — one emitter per instruction family: integer ALU, shifts, moves, the
 * stack, control flow, port I/O and the system instructions of the engine slice.
 *
 * Each emitter returns false, having emitted nothing, when it does not implement the decoded
 * form; the block loop then reports the instruction as unimplemented. Flag semantics follow
 * Intel SDM Vol. 2 "Flags Affected" of each instruction; flags are IR values (fl_def) that the
 * lowering in tcg/flags.c turns into lazy state or direct compares.
 */
#include "cpu/translate.h"

#define F_REG (dc->g->flags)

static int new_temp(DisasContext *dc)
{
    return ir_temp_new(dc->f, IR_I32);
}

static int carry_in(DisasContext *dc)
{
    int c = new_temp(dc);
    ir_emit_fl_cond(dc->f, c, F_REG, 2 /* B: CF */);
    return c;
}

/* ADD OR ADC SBB AND SUB XOR CMP TEST: dst op= src, flags from the result */
static bool gen_alu(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    if (in->nb_ops != 2 || in->op[0].size > 4) {
        return false;
    }
    int size = in->op[0].size, sl = size_log2(size);
    int a = gen_read_operand(dc, 0);
    int b = gen_read_operand(dc, 1);
    int r = new_temp(dc), c = gen_const(dc, 0);
    IRFlagsOp kind;
    switch (in->mnemonic) {
    case MN_ADD: ir_emit_add(f, IR_I32, r, a, b); kind = IR_FL_ADD; break;
    case MN_SUB:
    case MN_CMP: ir_emit_sub(f, IR_I32, r, a, b); kind = IR_FL_SUB; break;
    case MN_ADC:
        c = carry_in(dc);
        ir_emit_add(f, IR_I32, r, a, b);
        ir_emit_add(f, IR_I32, r, r, c);
        kind = IR_FL_ADC;
        break;
    case MN_SBB:
        c = carry_in(dc);
        ir_emit_sub(f, IR_I32, r, a, b);
        ir_emit_sub(f, IR_I32, r, r, c);
        kind = IR_FL_SBB;
        break;
    case MN_AND:
    case MN_TEST: ir_emit_and(f, IR_I32, r, a, b); kind = IR_FL_LOGIC; break;
    case MN_OR: ir_emit_or(f, IR_I32, r, a, b); kind = IR_FL_LOGIC; break;
    default: ir_emit_xor(f, IR_I32, r, a, b); kind = IR_FL_LOGIC; break;
    }
    if (in->mnemonic != MN_CMP && in->mnemonic != MN_TEST) {
        gen_write_operand(dc, 0, r);
    }
    ir_emit_fl_def(f, IR_I32, F_REG, IR_FL_KIND(kind, sl), r, a, b, c);
    return true;
}

/* INC/DEC keep CF (SDM: "The CF flag is not affected") */
static bool gen_incdec(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    if (in->op[0].size > 4) {
        return false;
    }
    bool inc = in->mnemonic == MN_INC;
    int a = gen_read_operand(dc, 0);
    int c = carry_in(dc);
    int r = new_temp(dc);
    ir_emit_addi(f, IR_I32, r, a, inc ? 1 : -1);
    gen_write_operand(dc, 0, r);
    ir_emit_fl_def(f, IR_I32, F_REG,
                   IR_FL_KIND(inc ? IR_FL_INC : IR_FL_DEC, size_log2(in->op[0].size)), r, a,
                   gen_const(dc, 1), c);
    return true;
}

static bool gen_not_neg(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    if (in->op[0].size > 4) {
        return false;
    }
    int a = gen_read_operand(dc, 0);
    int r = new_temp(dc);
    if (in->mnemonic == MN_NOT) {
        ir_emit_unop(f, IR_not, IR_I32, r, a);
        gen_write_operand(dc, 0, r);
        return true;
    }
    /* NEG: flags of 0 - a (SDM: CF = 0 iff the source is 0, which SUB gives) */
    int zero = gen_const(dc, 0);
    ir_emit_sub(f, IR_I32, r, zero, a);
    gen_write_operand(dc, 0, r);
    ir_emit_fl_def(f, IR_I32, F_REG, IR_FL_KIND(IR_FL_SUB, size_log2(in->op[0].size)), r, zero,
                   a, zero);
    return true;
}

/*
 * SHL/SAL/SHR/SAR. The count is masked to 5 bits (SDM: "masked to 5 bits"); a zero count
 * changes nothing, flags included, so a variable count needs a branch around the flag update.
 */
static bool gen_shift(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->op[0].size;
    if (size > 4) {
        return false;
    }
    IRFlagsOp kind = in->mnemonic == MN_SHR ? IR_FL_SHR
                   : in->mnemonic == MN_SAR ? IR_FL_SAR : IR_FL_SHL;
    IROpcode op = kind == IR_FL_SHR ? IR_shr : kind == IR_FL_SAR ? IR_sar : IR_shl;
    int fk = IR_FL_KIND(kind, size_log2(size));
    const X86Operand *cnt_op = &in->op[1];

    if (cnt_op->kind == OPK_IMM) {
        int n = (int)(in->imm & 31);
        if (n == 0) {
            /* still a memory access on real hardware: read the operand for its faults */
            gen_read_operand(dc, 0);
            return true;
        }
        int a = gen_read_operand(dc, 0);
        if (kind == IR_FL_SAR && size < 4) {
            int s = new_temp(dc);
            ir_emit_unop(f, size == 1 ? IR_ext8s : IR_ext16s, IR_I32, s, a);
            a = s;
        }
        int r = new_temp(dc);
        ir_emit_binop(f, op, IR_I32, r, a, gen_const(dc, n));
        gen_write_operand(dc, 0, r);
        ir_emit_fl_def(f, IR_I32, F_REG, fk, r, a, gen_const(dc, n), gen_const(dc, 0));
        return true;
    }
    /* count in CL */
    int a0 = gen_read_operand(dc, 0);
    int a = ir_temp_local(f, IR_I32);
    if (kind == IR_FL_SAR && size < 4) {
        ir_emit_unop(f, size == 1 ? IR_ext8s : IR_ext16s, IR_I32, a, a0);
    } else {
        ir_emit_mov(f, IR_I32, a, a0);
    }
    int n = ir_temp_local(f, IR_I32);
    ir_emit_andi(f, IR_I32, n, dc->g->reg[R_ECX], 31);
    int r = ir_temp_local(f, IR_I32);
    ir_emit_binop(f, op, IR_I32, r, a, n);
    gen_write_operand(dc, 0, r);
    int skip = ir_label_new(f);
    ir_emit_brcond(f, IR_I32, IR_COND_EQ, n, gen_const(dc, 0), skip);
    ir_emit_fl_def(f, IR_I32, F_REG, fk, r, a, n, gen_const(dc, 0));
    ir_emit_label(f, skip);
    return true;
}

static bool gen_mov(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    const X86Operand *d = &in->op[0], *s = &in->op[1];
    if (d->size > 4 && d->kind != OPK_SREG) {
        return false;
    }
    if (d->kind == OPK_SREG) {
        /* MOV Sreg, r/m16: a segment load; CS is not a valid destination (#UD) */
        if (d->reg == R_CS) {
            return false;
        }
        int v = gen_read_operand(dc, 1);
        int args[3] = {f->env, gen_const(dc, d->reg), v};
        ir_emit_call(f, &helper_load_seg_desc, -1, args);
        gen_exit_to_loop(dc, dc->next_eip);
        return true;
    }
    if (s->kind == OPK_SREG) {
        int v = new_temp(dc);
        ir_emit_ld(f, IR_I32, v, f->env, IR_MO_16,
                   (int32_t)offsetof(CPUX86State, seg[s->reg].selector));
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

static bool gen_movx(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    if (in->op[0].size > 4) {
        return false;
    }
    int v = gen_read_operand(dc, 1);
    int t = new_temp(dc);
    bool sx = in->mnemonic == MN_MOVSX;
    static const IROpcode ext[2][2] = {{IR_ext8u, IR_ext16u}, {IR_ext8s, IR_ext16s}};
    ir_emit_unop(dc->f, ext[sx][in->op[1].size == 2], IR_I32, t, v);
    gen_write_operand(dc, 0, t);
    return true;
}

static bool gen_xchg(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    if (in->op[0].size > 4) {
        return false;
    }
    int a = gen_read_operand(dc, 0);
    int b = gen_read_operand(dc, 1);
    /* copy a first: writing operand 0 may overwrite the register a reads */
    int ta = new_temp(dc), tb = new_temp(dc);
    ir_emit_mov(dc->f, IR_I32, ta, a);
    ir_emit_mov(dc->f, IR_I32, tb, b);
    if (in->op[0].kind == OPK_MEM) {
        gen_write_operand(dc, 0, tb);
        gen_write_operand(dc, 1, ta);
    } else {
        gen_write_operand(dc, 1, ta);
        gen_write_operand(dc, 0, tb);
    }
    return true;
}

static bool gen_lea(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    if (in->op[0].size > 4) {
        return false;
    }
    int off = gen_effective_offset(dc);
    gen_reg_write(dc, in->op[0].reg, in->op[0].size, false, off);
    return true;
}

static bool gen_push_pop(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->opsize;
    if (size > 4) {
        return false;
    }
    const X86Operand *o = &in->op[0];
    if (in->mnemonic == MN_PUSH) {
        int v;
        if (o->kind == OPK_SREG) {
            v = new_temp(dc);
            ir_emit_ld(f, IR_I32, v, f->env, IR_MO_16,
                       (int32_t)offsetof(CPUX86State, seg[o->reg].selector));
        } else if (o->kind == OPK_REG && o->reg == R_ESP) {
            /* PUSH eSP pushes the value before the decrement */
            v = new_temp(dc);
            ir_emit_mov(f, IR_I32, v, gen_read_operand(dc, 0));
        } else {
            v = gen_read_operand(dc, 0);
        }
        gen_push(dc, v, size);
        return true;
    }
    /* POP */
    if (o->kind == OPK_SREG) {
        if (o->reg == R_CS) {
            return false;
        }
        int v = gen_pop(dc, size);
        int args[3] = {f->env, gen_const(dc, o->reg), v};
        ir_emit_call(f, &helper_load_seg_desc, -1, args);
        gen_exit_to_loop(dc, dc->next_eip);
        return true;
    }
    if (o->kind == OPK_MEM) {
        /* load first, store, then commit ESP: a faulting store leaves ESP untouched */
        int esp = dc->g->reg[R_ESP];
        int sp = esp;
        if (!dc->ss32) {
            sp = new_temp(dc);
            ir_emit_unop(f, IR_ext16u, IR_I32, sp, esp);
        }
        int v = gen_load(dc, gen_linear(dc, R_SS, sp), size);
        int nsp = new_temp(dc);
        ir_emit_addi(f, IR_I32, nsp, sp, size);
        gen_write_operand(dc, 0, v);
        gen_reg_write(dc, R_ESP, dc->ss32 ? 4 : 2, false, nsp);
        return true;
    }
    int v = gen_pop(dc, size);
    gen_write_operand(dc, 0, v);
    return true;
}

static bool gen_flag_bits(DisasContext *dc)
{
    IRFunc *f = dc->f;
    uint32_t m = dc->insn.mnemonic;
    if (m == MN_CLC || m == MN_STC || m == MN_CMC) {
        int e = new_temp(dc), r = new_temp(dc);
        ir_emit_fl_get(f, e, F_REG);
        if (m == MN_CLC) {
            ir_emit_andi(f, IR_I32, r, e, ~IR_EFL_CF);
        } else if (m == MN_STC) {
            ir_emit_or(f, IR_I32, r, e, gen_const(dc, IR_EFL_CF));
        } else {
            ir_emit_xor(f, IR_I32, r, e, gen_const(dc, IR_EFL_CF));
        }
        ir_emit_fl_set(f, F_REG, r);
        return true;
    }
    /* CLD/STD/CLI/STI edit EFLAGS in the CPU state; IOPL checks come with protected mode */
    int e = new_temp(dc), r = new_temp(dc);
    int32_t off = (int32_t)offsetof(CPUX86State, eflags);
    ir_emit_ld(f, IR_I32, e, f->env, IR_MO_32, off);
    switch (m) {
    case MN_CLD: ir_emit_andi(f, IR_I32, r, e, ~EFL_DF); break;
    case MN_STD: ir_emit_or(f, IR_I32, r, e, gen_const(dc, EFL_DF)); break;
    case MN_CLI: ir_emit_andi(f, IR_I32, r, e, ~EFL_IF); break;
    default: ir_emit_or(f, IR_I32, r, e, gen_const(dc, EFL_IF)); break;
    }
    ir_emit_st(f, IR_I32, r, f->env, IR_MO_32, off);
    if (m == MN_STI) {
        /* pending interrupts are looked at between blocks */
        gen_goto_tb(dc, 0, dc->next_eip);
    }
    return true;
}

bool translate_integer(DisasContext *dc)
{
    switch (dc->insn.mnemonic) {
    case MN_ADD: case MN_OR: case MN_ADC: case MN_SBB: case MN_AND: case MN_SUB: case MN_XOR:
    case MN_CMP: case MN_TEST:
        return gen_alu(dc);
    case MN_INC: case MN_DEC:
        return gen_incdec(dc);
    case MN_NOT: case MN_NEG:
        return gen_not_neg(dc);
    case MN_SHL: case MN_SAL: case MN_SHR: case MN_SAR:
        return gen_shift(dc);
    case MN_MOV:
        return gen_mov(dc);
    case MN_MOVZX: case MN_MOVSX:
        return gen_movx(dc);
    case MN_XCHG:
        return gen_xchg(dc);
    case MN_LEA:
        return gen_lea(dc);
    case MN_PUSH: case MN_POP:
        return gen_push_pop(dc);
    case MN_NOP:
        return dc->insn.prefixes & (PFX_LOCK) ? false : true;
    case MN_CLC: case MN_STC: case MN_CMC: case MN_CLD: case MN_STD: case MN_CLI: case MN_STI:
        return gen_flag_bits(dc);
    default:
        return false;
    }
}

/* ---- control flow ---- */

static uint32_t branch_target(DisasContext *dc)
{
    uint32_t t = dc->next_eip + (uint32_t)dc->insn.imm;
    return dc->insn.opsize == 2 ? (t & 0xffff) : t;
}

bool translate_control(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    if (in->opsize > 4) {
        return false;
    }
    switch (in->mnemonic) {
    case MN_JMP:
        if (in->op[0].kind == OPK_REL) {
            gen_goto_tb(dc, 0, branch_target(dc));
        } else {
            int t = gen_read_operand(dc, 0);
            gen_jmp_indirect(dc, t);
        }
        return true;
    case MN_JCC: {
        int taken = ir_label_new(f);
        ir_emit_fl_brcond(f, F_REG, in->cc, taken);
        gen_goto_tb(dc, 0, dc->next_eip);
        ir_emit_label(f, taken);
        gen_goto_tb(dc, 1, branch_target(dc));
        return true;
    }
    case MN_LOOP:
    case MN_JCXZ: {
        /* the counter is CX or ECX by address size (SDM LOOP: "count register") */
        int cx = gen_reg_read(dc, R_ECX, in->addrsize, false);
        int taken = ir_label_new(f);
        if (in->mnemonic == MN_LOOP) {
            int n = new_temp(dc);
            ir_emit_addi(f, IR_I32, n, cx, -1);
            gen_reg_write(dc, R_ECX, in->addrsize, false, n);
            int n2 = n;
            if (in->addrsize == 2) {
                n2 = new_temp(dc);
                ir_emit_unop(f, IR_ext16u, IR_I32, n2, n);
            }
            ir_emit_brcond(f, IR_I32, IR_COND_NE, n2, gen_const(dc, 0), taken);
        } else {
            ir_emit_brcond(f, IR_I32, IR_COND_EQ, cx, gen_const(dc, 0), taken);
        }
        gen_goto_tb(dc, 0, dc->next_eip);
        ir_emit_label(f, taken);
        gen_goto_tb(dc, 1, branch_target(dc));
        return true;
    }
    case MN_CALL: {
        int t = -1;
        if (in->op[0].kind != OPK_REL) {
            /* read the target before the push changes eSP */
            int v = gen_read_operand(dc, 0);
            t = new_temp(dc);
            ir_emit_mov(f, IR_I32, t, v);
        }
        gen_push(dc, gen_const(dc, dc->next_eip), in->opsize);
        if (t < 0) {
            gen_goto_tb(dc, 0, branch_target(dc));
        } else {
            gen_jmp_indirect(dc, t);
        }
        return true;
    }
    case MN_RET: {
        int t = gen_pop(dc, in->opsize);
        if (in->nb_ops == 1) {
            /* RET imm16: release parameters */
            int esp = dc->g->reg[R_ESP];
            int nsp = new_temp(dc);
            ir_emit_addi(f, IR_I32, nsp, esp, in->imm & 0xffff);
            gen_reg_write(dc, R_ESP, dc->ss32 ? 4 : 2, false, nsp);
        }
        if (in->opsize == 2) {
            int w = new_temp(dc);
            ir_emit_unop(f, IR_ext16u, IR_I32, w, t);
            t = w;
        }
        gen_jmp_indirect(dc, t);
        return true;
    }
    case MN_JMPF: {
        int sel, off;
        if (in->op[0].kind == OPK_FAR) {
            sel = gen_const(dc, in->imm2 & 0xffff);
            off = gen_const(dc, in->imm);
        } else {
            int addr = gen_mem_addr(dc);
            off = gen_load(dc, addr, in->opsize);
            int a2 = new_temp(dc);
            ir_emit_addi(f, IR_I32, a2, addr, in->opsize);
            sel = gen_load(dc, a2, 2);
        }
        int args[3] = {f->env, sel, off};
        ir_emit_call(f, &helper_ljmp_desc, -1, args);
        ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
        dc->state = DISAS_JUMPED;
        return true;
    }
    default:
        return false;
    }
}

/* ---- system: port I/O, HLT, descriptor tables, control registers ---- */

bool translate_system(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    switch (in->mnemonic) {
    case MN_IN:
    case MN_OUT: {
        /* port I/O ends the block: a device may have changed what the CPU must do next */
        bool out = in->mnemonic == MN_OUT;
        const X86Operand *port_op = &in->op[out ? 0 : 1];
        const X86Operand *data_op = &in->op[out ? 1 : 0];
        int port = port_op->kind == OPK_IMM ? gen_const(dc, in->imm & 0xff)
                                            : gen_reg_read(dc, R_EDX, 2, false);
        int size = gen_const(dc, data_op->size);
        if (out) {
            int v = gen_reg_read(dc, R_EAX, data_op->size, false);
            int args[4] = {f->env, port, v, size};
            ir_emit_call(f, &helper_out_desc, -1, args);
        } else {
            int v = new_temp(dc);
            int args[3] = {f->env, port, size};
            ir_emit_call(f, &helper_in_desc, v, args);
            gen_reg_write(dc, R_EAX, data_op->size, false, v);
        }
        gen_goto_tb(dc, 0, dc->next_eip);
        return true;
    }
    case MN_HLT: {
        ir_emit_movi(f, IR_I32, dc->g->eip, dc->next_eip);
        int args[1] = {f->env};
        ir_emit_call(f, &helper_hlt_desc, -1, args);
        ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
        dc->state = DISAS_JUMPED;
        return true;
    }
    case MN_LGDT:
    case MN_LIDT: {
        int args[4] = {f->env, gen_mem_addr(dc), gen_const(dc, in->opsize),
                       gen_const(dc, in->mnemonic == MN_LIDT)};
        ir_emit_call(f, &helper_lgdt_desc, -1, args);
        return true;
    }
    case MN_MOVCR: {
        const X86Operand *d = &in->op[0], *s = &in->op[1];
        if (d->kind == OPK_CREG) {
            if (d->reg != 0 && d->reg != 2 && d->reg != 3 && d->reg != 4) {
                return false;
            }
            int v = gen_reg_read(dc, s->reg, 4, false);
            int args[3] = {f->env, gen_const(dc, d->reg), v};
            ir_emit_call(f, &helper_write_cr_desc, -1, args);
            gen_exit_to_loop(dc, dc->next_eip);
        } else {
            if (s->reg != 0 && s->reg != 2 && s->reg != 3 && s->reg != 4) {
                return false;
            }
            int v = new_temp(dc);
            ir_emit_ld(f, IR_I32, v, f->env, IR_MO_32, LO32(offsetof(CPUX86State, cr[s->reg])));
            gen_reg_write(dc, d->reg, 4, false, v);
        }
        return true;
    }
    default:
        return false;
    }
}
