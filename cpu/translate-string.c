/*
 * cpu/translate-string.c — the string instructions MOVS CMPS SCAS LODS STOS INS OUTS, alone or
 * with REP / REPE / REPNE, in 16- and 32-bit address sizes (SDM Vol. 1 7.3.9, Vol. 2 each, and
 * "REP/REPE/REPZ/REPNE/REPNZ").
 *
 * Operands: the source is seg:rSI (DS unless overridden), the destination ES:rDI (never
 * overridden); the address size picks SI/DI/CX or ESI/EDI/ECX, and both pointers step by the
 * element size, down when EFLAGS.DF = 1.
 *
 * A REP-prefixed instruction is a loop inside the block: test the count, (every so often,
 * REP MOVS/STOS only) move a run in bulk (cpu/string-bulk.c), charge the iteration to the
 * instruction budget, run one iteration, decrement the count, (REPE/REPNE) test ZF, go round
 * again. Each iteration costs one unit of budget, the first paid by the block's charge at entry,
 * so a REP with n > 0 iterations counts as n instructions and one with rCX = 0 as one. When the
 * budget is spent (a timer deadline, cpu_exit, a replay stamp) the block is left between
 * iterations with EIP at the instruction (helper_rep_suspend refunds the block's instructions
 * after it, which did not run), and running it again resumes the string (SDM Vol. 2B
 * "REP": an interrupt between iterations leaves the registers for the restart). Each iteration
 * does its loads and stores before it updates rSI/rDI/rCX, so a fault in iteration k leaves the
 * registers as the k-1 iterations before it left them and EIP at the instruction: restarting it
 * finishes the job, as on hardware (SDM Vol. 3A 6.6).
 */
#include "cpu/translate.h"

typedef struct StrOp {
    bool src;   /* reads seg:rSI */
    bool dst;   /* touches ES:rDI */
    bool cmp;   /* sets flags: REPE/REPNE test ZF */
} StrOp;

static const StrOp str_ops[MN_NB] = {
    [MN_MOVS] = {true, true, false}, [MN_CMPS] = {true, true, true},
    [MN_SCAS] = {false, true, true}, [MN_LODS] = {true, false, false},
    [MN_STOS] = {false, true, false}, [MN_INS] = {false, true, false},
    [MN_OUTS] = {true, false, false},
};

/* rSI or rDI += delta, within the address size */
static void gen_step(DisasContext *dc, int reg, int delta)
{
    int a = dc->insn.addrsize;
    int t = gen_temp(dc);
    ir_emit_add(dc->f, dc->ty, t, dc->reg[reg], delta);
    gen_reg_write(dc, reg, a, false, t);
}

/* one iteration, with everything that may fault before the register writes */
static void gen_string_once(DisasContext *dc, int size, int delta)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    uint16_t mn = in->mnemonic;
    const StrOp *o = &str_ops[mn];
    int asz = in->addrsize;
    /* both operands checked against their segments' limits and rights before any access
       (SDM Vol. 3A 5.3; real mode 20.1.3) */
    bool dst_write = mn == MN_MOVS || mn == MN_STOS || mn == MN_INS;
    int src_addr =
        o->src ? gen_seg_access(dc, gen_default_seg(dc), dc->reg[R_ESI], asz, size, false) : -1;
    int dst_addr = o->dst ? gen_seg_access(dc, R_ES, dc->reg[R_EDI], asz, size, dst_write) : -1;
    int port = (mn == MN_INS || mn == MN_OUTS) ? gen_reg_read(dc, R_EDX, 2, false) : -1;
    int a = -1, b = -1;

    switch (mn) {
    case MN_MOVS:
        gen_store(dc, dst_addr, size, gen_load(dc, src_addr, size));
        break;
    case MN_CMPS:
        a = gen_load(dc, src_addr, size);
        b = gen_load(dc, dst_addr, size);
        break;
    case MN_SCAS:
        b = gen_load(dc, dst_addr, size);
        a = gen_reg_read(dc, R_EAX, size, false);
        break;
    case MN_LODS:
        a = gen_load(dc, src_addr, size);
        break;
    case MN_STOS:
        gen_store(dc, dst_addr, size, gen_reg_read(dc, R_EAX, size, false));
        break;
    case MN_INS: {
        int v = gen_temp(dc);
        int args[3] = {f->env, port, gen_const(dc, size)};
        gen_call(dc, &helper_in_desc, v, args);
        gen_store(dc, dst_addr, size, v);
        break;
    }
    default: { /* OUTS */
        int v = gen_load(dc, src_addr, size);
        int args[4] = {f->env, port, v, gen_const(dc, size)};
        gen_call(dc, &helper_out_desc, -1, args);
        break;
    }
    }
    if (o->src) {
        gen_step(dc, R_ESI, delta);
    }
    if (o->dst) {
        gen_step(dc, R_EDI, delta);
    }
    if (mn == MN_LODS) {
        gen_reg_write(dc, R_EAX, size, false, a);
    }
    if (o->cmp) {
        int r = gen_temp(dc);
        ir_emit_sub(f, dc->ty, r, a, b);
        gen_flags(dc, IR_FL_SUB, size, r, a, b, gen_const(dc, 0));
    }
}

/* the shortest count that tries the bulk path first */
enum { REP_BULK_MIN = 16 };

/* budget += n (the i64 CPUCommon.budget) */
static void gen_budget_add(DisasContext *dc, int n)
{
    IRFunc *f = dc->f;
    int b = ir_temp_new(f, IR_I64);
    ir_emit_ld(f, IR_I64, b, f->env, IR_MO_64, (int32_t)CPU_OFF_BUDGET);
    ir_emit_addi(f, IR_I64, b, b, n);
    ir_emit_st(f, IR_I64, b, f->env, IR_MO_64, (int32_t)CPU_OFF_BUDGET);
}

/* Leave the block mid-string with EIP at the instruction: the loop takes what is due (a timer,
   an interrupt, an event, a single-step trap), and running the instruction again resumes it
   (SDM Vol. 2B "REP": the registers then hold the state for the restart). refund: the
   iteration charged but not run. */
static void gen_leave_mid_string(DisasContext *dc, int refund)
{
    if (refund) {
        gen_budget_add(dc, refund);
    }
    if (dc->hflags & HF_BP) {
        /* the restart must not report an execute breakpoint on the instruction again (it was
           checked when the instruction began): EFLAGS.RF, which helper_check_bp consumes
           (SDM Vol. 3B 17.3.1.1) */
        IRFunc *f = dc->f;
        int e = ir_temp_new(f, IR_I32);
        ir_emit_ld(f, IR_I32, e, f->env, IR_MO_32, (int32_t)offsetof(CPUX86State, eflags));
        ir_emit_binop(f, IR_or, IR_I32, e, e, ir_const(f, IR_I32, EFL_RF));
        ir_emit_st(f, IR_I32, e, f->env, IR_MO_32, (int32_t)offsetof(CPUX86State, eflags));
    }
    if (dc->hflags & HF_TF) {
        /* a block of one instruction (single-stepping): leave it as it is */
        ir_emit_movi(dc->f, dc->ty, dc->eipg, (int64_t)dc->eip);
    } else {
        /* the instructions after it in the block did not run: the helper refunds them */
        int args[2] = {dc->f->env, gen_const(dc, (int64_t)dc->eip)};
        gen_call(dc, &helper_rep_suspend_desc, -1, args);
    }
    ir_emit_exit_tb(dc->f, IR_EXIT_NOCHAIN);
}

/* budget -= 1; if that leaves it negative (the slice is spent, or cpu_exit asked), put it
   back and leave with EIP at the instruction, rSI/rDI/rCX as the iterations so far left them */
static void gen_iteration_charge(DisasContext *dc)
{
    IRFunc *f = dc->f;
    int go = ir_label_new(f);
    int b = ir_temp_new(f, IR_I64);
    ir_emit_ld(f, IR_I64, b, f->env, IR_MO_64, (int32_t)CPU_OFF_BUDGET);
    ir_emit_addi(f, IR_I64, b, b, -1);
    ir_emit_st(f, IR_I64, b, f->env, IR_MO_64, (int32_t)CPU_OFF_BUDGET);
    ir_emit_brcond(f, IR_I64, IR_COND_GE, b, ir_const(f, IR_I64, 0), go);
    gen_leave_mid_string(dc, 1);
    ir_emit_label(f, go);
}

static void gen_rep_loop(DisasContext *dc, int size, int delta)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    uint16_t mn = in->mnemonic;
    const StrOp *o = &str_ops[mn];
    bool bulk = mn == MN_MOVS || mn == MN_STOS;
    bool step = dc->hflags & HF_TF;
    int top = ir_label_new(f), done = ir_label_new(f);

    int cx = gen_reg_read(dc, R_ECX, in->addrsize, false);
    ir_emit_brcond(f, dc->ty, IR_COND_EQ, cx, gen_const(dc, 0), done);
    /* the block's charge at entry pays for the first iteration; each one pays here */
    gen_budget_add(dc, 1);
    int skip = -1;
    if (bulk && !step) {
        /* short strings go element by element: a helper call (which spills and reloads the
           guest registers) costs more than it saves below a few elements */
        skip = gen_local(dc);
        int n = gen_reg_read(dc, R_ECX, in->addrsize, false);
        ir_emit_movcond(f, dc->ty, IR_COND_LTU, skip, n, gen_const(dc, REP_BULK_MIN), n,
                        gen_const(dc, 0));
    }
    ir_emit_label(f, top);
    if (dc->hflags & HF_WATCH) {
        /* the last iteration hit a data or I/O breakpoint: stop after it, at this instruction,
           for the #DB trap (SDM Vol. 3A 17.3.1.2: the trap follows the iteration); the rest of
           the count runs when the handler returns */
        int go = ir_label_new(f);
        int hit = gen_temp(dc);
        ir_emit_ld(f, dc->ty, hit, f->env, IR_MO_32, (int32_t)offsetof(CPUX86State, dbp_pending));
        ir_emit_brcond(f, dc->ty, IR_COND_EQ, hit, gen_const(dc, 0), go);
        gen_leave_mid_string(dc, 0);
        ir_emit_label(f, go);
    }
    if (skip >= 0) {
        /* every so often (the helper says when), a run in bulk (cpu/string-bulk.c) */
        int one = ir_label_new(f);
        ir_emit_brcond(f, dc->ty, IR_COND_NE, skip, gen_const(dc, 0), one);
        uint32_t ctl = (uint32_t)size | (uint32_t)in->addrsize << 4 |
                       (mn == MN_STOS ? REP_BULK_STOS : 0) | (uint32_t)gen_default_seg(dc) << 12;
        int args[2] = {f->env, gen_const(dc, ctl)};
        gen_call(dc, &helper_rep_bulk_desc, skip, args);
        int ncx = gen_reg_read(dc, R_ECX, in->addrsize, false);
        ir_emit_brcond(f, dc->ty, IR_COND_EQ, ncx, gen_const(dc, 0), done);
        ir_emit_label(f, one);
        ir_emit_addi(f, dc->ty, skip, skip, -1);
    }
    gen_iteration_charge(dc);
    gen_string_once(dc, size, delta);
    /* rCX again: the branches above ended the IR basic block, and cx with it */
    int ncx = gen_temp(dc);
    ir_emit_addi(f, dc->ty, ncx, dc->reg[R_ECX], -1);
    gen_reg_write(dc, R_ECX, in->addrsize, false, ncx);
    if (o->cmp) {
        /* REPE/REPZ (F3) stops when ZF = 0, REPNE/REPNZ (F2) when ZF = 1 */
        bool repe = in->prefixes & PFX_REP;
        ir_emit_fl_brcond(f, dc->flags, repe ? 5 /* NE */ : 4 /* E */, done);
    }
    int left = gen_reg_read(dc, R_ECX, in->addrsize, false);
    if (step) {
        /* single-stepping: the trap comes after each iteration, with EIP at the instruction
           while rCX is not 0 (SDM Vol. 3B 17.3.1.4; Vol. 2B REP: an iteration is where a
           repeated string instruction can be suspended) */
        ir_emit_brcond(f, dc->ty, IR_COND_EQ, left, gen_const(dc, 0), done);
        gen_leave_mid_string(dc, 0);
    } else {
        ir_emit_brcond(f, dc->ty, IR_COND_NE, left, gen_const(dc, 0), top);
    }
    ir_emit_label(f, done);
}

bool gen_string(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    uint16_t mn = in->mnemonic;
    int size = mn == MN_OUTS ? in->op[1].size : in->op[0].size;
    bool rep = in->prefixes & (PFX_REP | PFX_REPNE);

    /* delta = DF ? -size : size */
    int df = gen_temp(dc);
    ir_emit_ld(f, dc->ty, df, f->env, IR_MO_32, (int32_t)offsetof(CPUX86State, eflags));
    ir_emit_extract(f, dc->ty, df, df, 10, 1, false); /* DF is EFLAGS bit 10 */
    int delta = rep ? gen_local(dc) : gen_temp(dc);
    ir_emit_binop(f, IR_mul, dc->ty, delta, df, gen_const(dc, -2 * size));
    ir_emit_addi(f, dc->ty, delta, delta, size);

    if (!rep) {
        gen_string_once(dc, size, delta);
    } else {
        gen_rep_loop(dc, size, delta);
    }
    if (mn == MN_INS || mn == MN_OUTS) {
        /* port I/O ends the block, as IN and OUT do */
        gen_goto_tb(dc, 0, dc->next_eip);
    }
    return true;
}
