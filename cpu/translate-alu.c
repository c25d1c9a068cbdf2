/*
 * cpu/translate-alu.c — the integer ALU family: ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC,
 * NOT NEG, and the read-modify-write exchanges CMPXCHG, CMPXCHG8B, XADD.
 *
 * Flags follow each instruction's "Flags Affected" in the Intel SDM Vol. 2 and are IR values
 * (fl_def of the matching kind): the lowering in tcg/flags.c makes them lazy or direct compares.
 * The LOCK prefix needs nothing: one thread runs the guest, so every read-modify-write here is
 * atomic by construction (the decoder rejects LOCK where it is not allowed, SDM Vol. 2A LOCK).
 * Precise faults: every load and store of an instruction comes before its register writes and
 * its fl_def (cpu/translate.c).
 */
#include "cpu/translate.h"

/* the two-operand ALU group as data: IR operation, flags kind, carry-in, result written back */
typedef struct AluOp {
    IROpcode op;
    IRFlagsOp kind;
    bool carry;
    bool store;
} AluOp;

static const AluOp alu_ops[MN_NB] = {
    [MN_ADD] = {IR_add, IR_FL_ADD, false, true},
    [MN_OR] = {IR_or, IR_FL_LOGIC, false, true},
    [MN_ADC] = {IR_add, IR_FL_ADC, true, true},
    [MN_SBB] = {IR_sub, IR_FL_SBB, true, true},
    [MN_AND] = {IR_and, IR_FL_LOGIC, false, true},
    [MN_SUB] = {IR_sub, IR_FL_SUB, false, true},
    [MN_XOR] = {IR_xor, IR_FL_LOGIC, false, true},
    [MN_CMP] = {IR_sub, IR_FL_SUB, false, false},
    [MN_TEST] = {IR_and, IR_FL_LOGIC, false, false},
};

/* dst op= src (ADC/SBB also add/subtract CF); CMP and TEST only set the flags */
bool gen_alu(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    const AluOp *o = &alu_ops[in->mnemonic];
    if (in->nb_ops != 2) {
        return false;
    }
    int size = in->op[0].size;
    int a = gen_read_operand(dc, 0);
    int b = gen_read_operand(dc, 1);
    int c = gen_const(dc, 0);
    int r = gen_temp(dc);
    ir_emit_binop(f, o->op, dc->ty, r, a, b);
    if (o->carry) {
        c = gen_carry(dc);
        ir_emit_binop(f, o->op, dc->ty, r, r, c);
    }
    if (o->store) {
        gen_write_operand(dc, 0, r);
    }
    gen_flags(dc, o->kind, size, r, a, b, c);
    return true;
}

/* INC/DEC: "The CF flag is not affected" (SDM INC, DEC): the kinds carry the old CF in c */
bool gen_incdec(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    bool inc = in->mnemonic == MN_INC;
    int a = gen_read_operand(dc, 0);
    int c = gen_carry(dc);
    int r = gen_temp(dc);
    ir_emit_addi(dc->f, dc->ty, r, a, inc ? 1 : -1);
    gen_write_operand(dc, 0, r);
    gen_flags(dc, inc ? IR_FL_INC : IR_FL_DEC, in->op[0].size, r, a, gen_const(dc, 1), c);
    return true;
}

/* NOT changes no flag; NEG sets them as 0 - src ("CF = 0 if the source is 0", SDM NEG) */
bool gen_not_neg(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int a = gen_read_operand(dc, 0);
    int r = gen_temp(dc);
    if (in->mnemonic == MN_NOT) {
        ir_emit_unop(f, IR_not, dc->ty, r, a);
        gen_write_operand(dc, 0, r);
        return true;
    }
    int zero = gen_const(dc, 0);
    ir_emit_sub(f, dc->ty, r, zero, a);
    gen_write_operand(dc, 0, r);
    gen_flags(dc, IR_FL_SUB, in->op[0].size, r, zero, a, zero);
    return true;
}

/*
 * CMPXCHG r/m, r: compare the accumulator with the destination (flags of CMP acc, dest); if
 * equal, dest = src, else acc = dest. The destination is written either way ("the destination
 * operand is written back if the comparison fails", SDM CMPXCHG), so a memory destination
 * always takes a store, and faults like one.
 */
bool gen_cmpxchg(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    int size = in->op[0].size;
    int d = gen_read_operand(dc, 0);
    int s = gen_read_operand(dc, 1);
    int acc = gen_reg_read(dc, R_EAX, size, false);
    int dv = gen_ext(dc, d, size, false);
    int nd = gen_temp(dc);
    ir_emit_movcond(f, dc->ty, IR_COND_EQ, nd, acc, dv, s, dv); /* dest = equal ? src : dest */
    int r = gen_temp(dc);
    ir_emit_sub(f, dc->ty, r, acc, dv);
    /* 64-bit code, 32-bit operands: only the register that is written is zero-extended, the
       destination when equal, EAX when not; the other keeps its upper half (as processors
       do: the SDM's "written back" does not reach a register's upper half) */
    int wsize = size == 4 && dc->ty == IR_I64 ? 8 : size;
    if (wsize == 8 && size == 4 && in->op[0].kind == OPK_REG) {
        int full = gen_reg_read(dc, in->op[0].reg, 8, false);
        int t = gen_temp(dc);
        ir_emit_movcond(f, IR_I64, IR_COND_EQ, t, acc, dv, gen_ext(dc, s, 4, false), full);
        gen_reg_write(dc, in->op[0].reg, 8, false, t);
    } else {
        gen_write_operand(dc, 0, nd);
    }
    /* acc = equal ? acc (as it is now: the destination may have been the accumulator) : dest */
    int cur = gen_reg_read(dc, R_EAX, wsize, false);
    int na = gen_temp(dc);
    ir_emit_movcond(f, dc->ty, IR_COND_EQ, na, acc, dv, cur, dv);
    gen_reg_write(dc, R_EAX, wsize, false, na);
    gen_flags(dc, IR_FL_SUB, size, r, acc, dv, gen_const(dc, 0));
    return true;
}

/*
 * CMPXCHG8B m64: compare EDX:EAX with m64; if equal ZF = 1 and m64 = ECX:EBX, else ZF = 0 and
 * EDX:EAX = m64. The other flags are unchanged (SDM CMPXCHG8B). The memory is written either
 * way, as for CMPXCHG. A register operand is #UD (the decoder's M operand). CMPXCHG16B (REX.W,
 * 64-bit mode) does the same with RDX:RAX, RCX:RBX and m128, which must be 16-byte aligned
 * (#GP(0) otherwise).
 */
bool gen_cmpxchg8b(DisasContext *dc)
{
    IRFunc *f = dc->f;
    if (dc->insn.op[0].kind != OPK_MEM) {
        return false;
    }
    int h = dc->insn.mnemonic == MN_CMPXCHG16B ? 8 : 4;
    int addr = gen_mem_addr(dc);
    if (h == 8) {
        /* the alignment check branches: the address must survive the label */
        int a = gen_local(dc), t = gen_temp(dc), ok = ir_label_new(f);
        ir_emit_mov(f, dc->ty, a, addr);
        ir_emit_andi(f, dc->ty, t, a, 15);
        ir_emit_brcond(f, dc->ty, IR_COND_EQ, t, gen_const(dc, 0), ok);
        int args[2] = {f->env, gen_const(dc, EXCP_GP)};
        gen_call(dc, &helper_raise_desc, -1, args);
        ir_emit_exit_tb(f, IR_EXIT_NOCHAIN); /* not reached */
        ir_emit_label(f, ok);
        addr = a;
    }
    int addr_hi = gen_temp(dc);
    ir_emit_addi(f, dc->ty, addr_hi, addr, h);
    int lo = gen_load(dc, addr, h);
    int hi = gen_load(dc, addr_hi, h);
    /* eq = (lo == eAX) & (hi == eDX) */
    int x = gen_temp(dc), y = gen_temp(dc), eq = gen_temp(dc);
    int rax = gen_reg_read(dc, R_EAX, h, false), rdx = gen_reg_read(dc, R_EDX, h, false);
    ir_emit_xor(f, dc->ty, x, lo, rax);
    ir_emit_xor(f, dc->ty, y, hi, rdx);
    ir_emit_or(f, dc->ty, x, x, y);
    ir_emit_setcond(f, dc->ty, IR_COND_EQ, eq, x, gen_const(dc, 0));
    int zero = gen_const(dc, 0);
    int nlo = gen_temp(dc), nhi = gen_temp(dc);
    ir_emit_movcond(f, dc->ty, IR_COND_NE, nlo, eq, zero, gen_reg_read(dc, R_EBX, h, false), lo);
    ir_emit_movcond(f, dc->ty, IR_COND_NE, nhi, eq, zero, gen_reg_read(dc, R_ECX, h, false), hi);
    gen_store(dc, addr, h, nlo);
    gen_store(dc, addr_hi, h, nhi);
    if (dc->ty == IR_I64) {
        /* eDX:eAX = memory only when they differed: when equal, RAX and RDX are not written
           (their upper halves stay, SDM "ELSE EDX:EAX <- TEMP64") */
        int full_a = gen_reg_read(dc, R_EAX, 8, false), full_d = gen_reg_read(dc, R_EDX, 8, false);
        int na = gen_temp(dc), nd = gen_temp(dc);
        ir_emit_movcond(f, IR_I64, IR_COND_NE, na, eq, zero, full_a, lo);
        ir_emit_movcond(f, IR_I64, IR_COND_NE, nd, eq, zero, full_d, hi);
        gen_reg_write(dc, R_EAX, 8, false, na);
        gen_reg_write(dc, R_EDX, 8, false, nd);
    } else {
        /* EDX:EAX = m64 when they differed (equal: they already hold it) */
        gen_reg_write(dc, R_EAX, 4, false, lo);
        gen_reg_write(dc, R_EDX, 4, false, hi);
    }
    int e = gen_flags_image(dc), z = gen_temp(dc);
    ir_emit_andi(f, dc->ty, e, e, ~IR_EFL_ZF);
    ir_emit_shl(f, dc->ty, z, eq, gen_const(dc, 6)); /* ZF is EFLAGS bit 6 */
    ir_emit_or(f, dc->ty, e, e, z);
    gen_set_flags_image(dc, e);
    return true;
}

/* XADD r/m, r: temp = dest + src; src = dest; dest = temp; flags of the addition */
bool gen_xadd(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    int size = in->op[0].size;
    int d = gen_read_operand(dc, 0);
    int s = gen_read_operand(dc, 1);
    int r = gen_temp(dc);
    ir_emit_add(dc->f, dc->ty, r, d, s);
    if (in->op[0].kind == OPK_MEM) {
        gen_write_operand(dc, 0, r);
        gen_write_operand(dc, 1, d);
    } else {
        /* the destination last: XADD r, r leaves the sum (SDM XADD operation order) */
        gen_write_operand(dc, 1, d);
        gen_write_operand(dc, 0, r);
    }
    gen_flags(dc, IR_FL_ADD, size, r, d, s, gen_const(dc, 0));
    return true;
}
