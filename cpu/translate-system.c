/*
 * cpu/translate-system.c — port I/O (IN, OUT), HLT, the NOP forms (NOP, PAUSE, the 0F 1F
 * multi-byte NOP, WAIT without an FPU), LGDT/LIDT, MOV to and from control registers (CR8 in
 * 64-bit mode), CPUID, RDTSC and RDTSCP. Privilege checks (CPL, IOPL, the I/O bitmap) come
 * with the system issue.
 */
#include "cpu/translate.h"

bool gen_io(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
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
        gen_call(dc, &helper_out_desc, -1, args);
    } else {
        int v = gen_temp(dc);
        int args[3] = {f->env, port, size};
        gen_call(dc, &helper_in_desc, v, args);
        gen_reg_write(dc, R_EAX, data_op->size, false, v);
    }
    gen_goto_tb(dc, 0, dc->next_eip);
    return true;
}

bool gen_hlt(DisasContext *dc)
{
    IRFunc *f = dc->f;
    ir_emit_movi(f, dc->ty, dc->eipg, dc->next_eip);
    int args[1] = {f->env};
    gen_call(dc, &helper_hlt_desc, -1, args);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
    dc->state = DISAS_JUMPED;
    return true;
}

/* NOP, PAUSE (F3 90: a NOP to an emulator), NOP r/m (0F 1F: no memory access), WAIT (no x87
   yet, so nothing to wait for) */
bool gen_nop(DisasContext *dc)
{
    (void)dc;
    return true;
}

bool gen_desc_table(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    int args[4] = {dc->f->env, gen_mem_addr(dc), gen_const(dc, in->opsize),
                   gen_const(dc, in->mnemonic == MN_LIDT)};
    gen_call(dc, &helper_lgdt_desc, -1, args);
    return true;
}

bool gen_mov_cr(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    const X86Operand *d = &in->op[0], *s = &in->op[1];
    int cr = d->kind == OPK_CREG ? d->reg : s->reg;
    /* 64-bit mode moves 64-bit values (SDM Vol. 2B MOV CRn: the operand size is 64) */
    int size = dc->code64 ? 8 : 4;
    if (cr == 8 && dc->code64) {
        /* CR8, the task-priority register, lives in the local APIC (cpu/helper-prot.c); a
           write ends the block, since a lower priority may let an interrupt in */
        bool wr = d->kind == OPK_CREG;
        int v = gen_temp(dc);
        int args[3] = {f->env, gen_const(dc, wr), wr ? gen_reg_read(dc, s->reg, 8, false)
                                                     : gen_const(dc, 0)};
        gen_call(dc, &helper_cr8_desc, v, args);
        if (wr) {
            gen_exit_to_loop(dc, dc->next_eip);
        } else {
            gen_reg_write(dc, d->reg, 8, false, v);
        }
        return true;
    }
    if (cr != 0 && cr != 2 && cr != 3 && cr != 4) {
        return false;
    }
    if (d->kind == OPK_CREG) {
        int v = gen_reg_read(dc, s->reg, size, false);
        int args[3] = {f->env, gen_const(dc, d->reg), v};
        gen_call(dc, &helper_write_cr_desc, -1, args);
        gen_exit_to_loop(dc, dc->next_eip);
    } else {
        int v = gen_temp(dc);
        if (size == 8) {
            ir_emit_ld(f, IR_I64, v, f->env, IR_MO_64, offsetof(CPUX86State, cr[s->reg]));
        } else {
            ir_emit_ld(f, dc->ty, v, f->env, IR_MO_32, LO32(offsetof(CPUX86State, cr[s->reg])));
        }
        gen_reg_write(dc, d->reg, size, false, v);
    }
    return true;
}

/* MOV DRn, r32 / MOV r32, DRn (SDM Vol. 2B; helpers in cpu/debug.c), 64 bits in 64-bit mode
   (the operand size is fixed). A write ends the block: DR7 decides whether instructions check
   breakpoints. */
bool gen_mov_dr(DisasContext *dc)
{
    X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    const X86Operand *d = &in->op[0], *s = &in->op[1];
    if (d->kind == OPK_DREG) {
        int size = dc->code64 ? 8 : 4;
        int args[3] = {f->env, gen_const(dc, d->reg), gen_reg_read(dc, s->reg, size, false)};
        gen_call(dc, &helper_write_dr_desc, -1, args);
        gen_exit_to_loop(dc, dc->next_eip);
    } else {
        int v = gen_temp(dc);
        int args[2] = {f->env, gen_const(dc, s->reg)};
        gen_call(dc, dc->code64 ? &helper_read_dr64_desc : &helper_read_dr_desc, v, args);
        gen_reg_write(dc, d->reg, dc->code64 ? 8 : 4, false, v);
    }
    return true;
}

/* SYSENTER / SYSEXIT (helpers in cpu/sysenter.c): CS, SS, ESP and EIP change, so back to the
   loop with the EIP the helper set */
bool gen_sysenter_sysexit(DisasContext *dc)
{
    IRFunc *f = dc->f;
    if (dc->insn.opsize > 4) {
        return false; /* SYSEXIT to 64-bit mode comes with long mode */
    }
    int args[1] = {f->env};
    gen_call(dc, dc->insn.mnemonic == MN_SYSENTER ? &helper_sysenter_desc
                                                     : &helper_sysexit_desc, -1, args);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
    dc->state = DISAS_JUMPED;
    return true;
}

/* SYSCALL, SYSRET, SWAPGS (cpu/long-mode.c): they change CS, SS or GS.base, so the block ends
   and the loop looks the next one up with the new mode bits */
bool gen_syscall_sysret(DisasContext *dc)
{
    IRFunc *f = dc->f;
    uint16_t mn = dc->insn.mnemonic;
    if (mn == MN_SWAPGS) {
        int args[1] = {f->env};
        gen_call(dc, &helper_swapgs_desc, -1, args);
        gen_exit_to_loop(dc, dc->next_eip);
        return true;
    }
    if (mn == MN_SYSCALL) {
        int args[2] = {f->env, gen_const(dc, (int64_t)dc->next_eip)};
        gen_call(dc, &helper_syscall_desc, -1, args);
    } else {
        int args[2] = {f->env, gen_const(dc, dc->insn.opsize)};
        gen_call(dc, &helper_sysret_desc, -1, args);
    }
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
    dc->state = DISAS_JUMPED;
    return true;
}

/* CPUID: the CPU model of cpu/helper-int.c, from EAX (leaf) and ECX (subleaf) */
bool gen_cpuid(DisasContext *dc)
{
    int args[1] = {dc->f->env};
    gen_call(dc, &helper_cpuid_desc, -1, args);
    return true;
}

/* RDTSC, RDTSCP: EDX:EAX = the time-stamp counter, from the virtual clock; RDTSCP's helper
   (cpu/helper-prot.c) also sets ECX to IA32_TSC_AUX */
bool gen_rdtsc(DisasContext *dc)
{
    IRFunc *f = dc->f;
    int r64 = ir_temp_new(f, IR_I64);
    int args[1] = {f->env};
    gen_call(dc, dc->insn.mnemonic == MN_RDTSCP ? &helper_rdtscp_desc : &helper_rdtsc_desc, r64,
             args);
    int lo = gen_half64(dc, r64, false);
    int hi = gen_half64(dc, r64, true);
    gen_reg_write(dc, R_EAX, 4, false, lo);
    gen_reg_write(dc, R_EDX, 4, false, hi);
    return true;
}
