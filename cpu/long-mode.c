/*
 * cpu/long-mode.c — what IA-32e mode changes in events and returns: delivery through the 64-bit
 * IDT (Intel SDM Vol. 3A 6.14), IRET and RET far in 64-bit mode (Vol. 2A IRET, "IA-32e-MODE";
 * Vol. 2B RET), SWAPGS and
 * SYSCALL/SYSRET (Vol. 2B), with the MSRs they use (STAR, LSTAR, CSTAR, FMASK, KernelGSbase).
 *
 * 64-bit call gates for far CALL and JMP from 64-bit and compatibility mode (Vol. 3A 5.8.3.1),
 * and IRET in compatibility mode under the same IA-32e rules.
 *
 * A non-canonical stack reference in 64-bit mode is #SS(0), not #GP(0) (Vol. 3A 6.15 interrupt 12,
 * Vol. 1 3.3.7.1): the softmmu reports every non-canonical address as #GP(0), and delivery tells
 * the stack's apart by decoding the faulting instruction (stack_fault below). (Task gates do not
 * exist in IA-32e mode.)
 */
#include "cpu/decode.h"
#include "cpu/translate.h"
#include "softmmu/machine.h"

static unsigned cpl_of(CPUX86State *env)
{
    return (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
}

/* A code or data descriptor from the GDT or LDT; #GP(selector) beyond the table's limit. */
static void read_desc(CPUX86State *env, uint16_t sel, uint32_t *lo, uint32_t *hi, uint32_t err)
{
    const DescTable *t = &env->gdt;
    uint64_t base = env->gdt.base;
    uint32_t limit = t->limit;
    if (sel & 4) {
        base = env->ldt.base;
        limit = env->ldt.limit;
    }
    if ((sel & ~7u) + 7 > limit) {
        x86_raise_exception(env, EXCP_GP, err);
    }
    *lo = (uint32_t)cpu_ld_data64(env, base + (sel & ~7u), 4);
    *hi = (uint32_t)cpu_ld_data64(env, base + (sel & ~7u) + 4, 4);
}

/* SS holding a null selector, which 64-bit code may run with (SDM Vol. 3A 5.4.1.1): base 0,
   a writable data segment of the given privilege for the caches' sake */
static void null_ss(CPUX86State *env, unsigned rpl)
{
    SegmentCache *s = &env->seg[R_SS];
    s->selector = rpl;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->flags = DESC_P_MASK | (1u << 12) | (3u << 8) | (rpl << 13) | DESC_B_MASK | DESC_G_MASK;
}

/* The linear address of a size-byte stack access at offset sp: 64-bit mode uses RSP as is;
   compatibility mode goes through SS (base, a 32- or 16-bit offset by its B bit, and its
   limit: #SS(0), SDM Vol. 3A 5.2.1, 5.3). */
static uint64_t stack_linear(CPUX86State *env, uint64_t sp, int size)
{
    if (env->hflags & HF_CS64) {
        return sp;
    }
    const SegmentCache *s = &env->seg[R_SS];
    uint32_t off = (s->flags & DESC_B_MASK) ? (uint32_t)sp : (uint16_t)sp;
    x86_seg_limit_check(env, R_SS, off, size);
    return s->base + off;
}

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Was the #GP(0) just raised in 64-bit mode a non-canonical stack reference, which the SDM
   makes #SS(0) (Vol. 3A 6.15, interrupt 12: "a non-canonical address is referenced through
   the stack segment"; Vol. 1 3.3.7.1)? The softmmu does not know which segment an access used,
   so this decodes the faulting instruction (at RIP: faults are precise) and checks its stack
   references: the implicit ones of PUSH, POP, CALL, RET, ENTER, LEAVE, ... around RSP (RBP
   for LEAVE), and a memory operand through SS (based on RSP or RBP, or an SS override). Runs
   only on that fault, so translated code pays nothing for it. */
static bool stack_fault(CPUX86State *env)
{
    if (!(env->hflags & HF_CS64)) {
        return false; /* compatibility mode: 32-bit offsets are always canonical */
    }
    /* fetch one byte at a time until the instruction decodes, so that no byte past its end is
       fetched (a page there might not be mapped) */
    uint8_t buf[15];
    X86Insn d;
    int len = X86_DECODE_TRUNCATED;
    for (int n = 0; n < 15 && len == X86_DECODE_TRUNCATED; n++) {
        uint64_t phys;
        const uint8_t *p = softmmu_code_ptr(&env->common, env->eip + (uint64_t)n, &phys);
        if (!p) {
            return false;
        }
        buf[n] = *p;
        len = x86_decode(&d, buf, n + 1, 64);
    }
    if (len <= 0) {
        return false;
    }
    for (int k = 0; k < d.nb_ops; k++) {
        if (d.op[k].kind == OPK_MEM && d.mem.seg == R_SS && !d.mem.rip_rel && d.addrsize == 8) {
            uint64_t ea = (uint64_t)d.mem.disp;
            if (d.mem.base >= 0) {
                ea += env->regs[d.mem.base];
            }
            if (d.mem.index >= 0) {
                ea += env->regs[d.mem.index] * d.mem.scale;
            }
            if (!canonical(ea) || !canonical(ea + d.op[k].size - 1)) {
                return true;
            }
        }
    }
    static const uint16_t implicit[] = {MN_PUSH, MN_POP, MN_PUSHF, MN_POPF, MN_ENTER,
                                        MN_CALL, MN_CALLF, MN_RET, MN_RETF, MN_IRET};
    uint64_t sp = env->regs[R_ESP];
    if (d.mnemonic == MN_LEAVE) {
        sp = env->regs[R_EBP];
    } else {
        bool uses = false;
        for (size_t i = 0; i < sizeof(implicit) / sizeof(implicit[0]); i++) {
            uses |= d.mnemonic == implicit[i];
        }
        if (!uses) {
            return false;
        }
    }
    /* the slots just below and above the stack pointer */
    return !canonical(sp) || !canonical(sp - 8) || !canonical(sp + 7);
}

/* Delivery in IA-32e mode (SDM Vol. 3A 6.14): 16-byte interrupt and trap gates to 64-bit code
   segments; the stack is switched on a privilege change (RSPn of the 64-bit TSS) or always
   with an IST index, aligned to 16 bytes, and SS:RSP, RFLAGS, CS:RIP and an error code are
   pushed as 8-byte values. */
void x86_deliver_long(CPUX86State *env, int vector, bool soft, bool ext, bool push_err,
                      uint32_t err)
{
    if (vector == EXCP_GP && !soft && err == 0 && stack_fault(env)) {
        vector = EXCP_SS;
    }
    uint32_t ext_bit = ext ? 1 : 0;
    uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext_bit;
    if ((uint32_t)vector * 16 + 15 > env->idt.limit) {
        x86_raise_exception(env, EXCP_GP, idt_err);
    }
    uint64_t ga = env->idt.base + (uint64_t)vector * 16;
    uint32_t w0 = (uint32_t)cpu_ld_data64(env, ga, 4);
    uint32_t w1 = (uint32_t)cpu_ld_data64(env, ga + 4, 4);
    uint32_t w2 = (uint32_t)cpu_ld_data64(env, ga + 8, 4);
    unsigned type = (w1 >> 8) & 0x1f;
    if (type != 0x0e && type != 0x0f) {
        x86_raise_exception(env, EXCP_GP, idt_err); /* only 64-bit interrupt and trap gates */
    }
    unsigned cpl = cpl_of(env);
    if (soft && ((w1 >> 13) & 3) < cpl) {
        x86_raise_exception(env, EXCP_GP, idt_err);
    }
    if (!(w1 & DESC_P_MASK)) {
        x86_raise_exception(env, 11, idt_err);
    }
    uint16_t sel = (uint16_t)(w0 >> 16);
    uint64_t offset = (w0 & 0xffff) | (w1 & 0xffff0000u) | (uint64_t)w2 << 32;
    unsigned ist = w1 & 7;
    if ((sel & ~3u) == 0) {
        x86_raise_exception(env, EXCP_GP, ext_bit);
    }
    uint32_t clo, chi;
    read_desc(env, sel, &clo, &chi, (sel & ~3u) + ext_bit);
    unsigned dpl = (chi >> 13) & 3;
    bool code = (chi & (1u << 12)) && (chi & (1u << 11));
    bool conforming = chi & (1u << 10);
    /* the target must be a 64-bit code segment (L = 1, D = 0) no less privileged */
    if (!code || dpl > cpl || !(chi & DESC_L_MASK) || (chi & DESC_B_MASK)) {
        x86_raise_exception(env, EXCP_GP, (sel & ~3u) + ext_bit);
    }
    if (!(chi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, (sel & ~3u) + ext_bit);
    }
    unsigned new_cpl = conforming ? cpl : dpl;
    bool switch_stack = new_cpl < cpl;
    uint64_t rsp = env->regs[R_ESP];
    if (!(env->hflags & HF_CS64)) {
        rsp = (uint32_t)rsp; /* from compatibility mode */
    }
    if (ist || switch_stack) {
        /* 64-bit TSS (SDM Vol. 3A 8.7): RSP0-2 at 4, IST1-7 at 0x24 */
        uint32_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * new_cpl;
        if (off + 7 > env->tr.limit) {
            x86_raise_exception(env, 10, (env->tr.selector & ~3u) + ext_bit);
        }
        rsp = cpu_ld_data64(env, env->tr.base + off, 8);
    }
    rsp &= ~(uint64_t)15;
    uint64_t frame[6] = {env->seg[R_SS].selector, env->regs[R_ESP], x86_get_eflags(env),
                         env->seg[R_CS].selector, env->eip, err};
    int n = push_err ? 6 : 5;
    for (int i = 0; i < n; i++) {
        rsp -= 8;
        cpu_st_data64(env, rsp, 8, frame[i]);
    }
    /* commit: nothing below can fault */
    if (switch_stack) {
        null_ss(env, new_cpl);
    }
    env->regs[R_ESP] = rsp;
    x86_seg_cache_load(&env->seg[R_CS], (uint16_t)((sel & ~3u) | new_cpl), clo, chi);
    env->eip = offset;
    env->eflags &= ~(uint32_t)(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
    if (!(type & 1)) {
        env->eflags &= ~(uint32_t)EFL_IF;
    }
    x86_update_hflags(env);
}

/* The return CS of IRET and RET far in IA-32e mode (SDM Vol. 2A IRET, Vol. 2B RET): not null,
   RPL >= CPL, a code segment whose DPL is RPL (conforming: <= RPL), present; a 64-bit target
   needs a canonical RIP. Returns whether the target is 64-bit code. */
static bool return_cs_check(CPUX86State *env, uint16_t cs, uint64_t rip, uint32_t *clo,
                            uint32_t *chi)
{
    unsigned cpl = cpl_of(env), rpl = cs & 3;
    if ((cs & ~3u) == 0 || rpl < cpl) {
        x86_raise_exception(env, EXCP_GP, cs & ~3u);
    }
    read_desc(env, cs, clo, chi, cs & ~3u);
    unsigned dpl = (*chi >> 13) & 3;
    bool code = (*chi & (1u << 12)) && (*chi & (1u << 11));
    bool conforming = *chi & (1u << 10);
    if (!code || (conforming ? dpl > rpl : dpl != rpl)) {
        x86_raise_exception(env, EXCP_GP, cs & ~3u);
    }
    if (!(*chi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, cs & ~3u);
    }
    bool to64 = *chi & DESC_L_MASK;
    if (to64 && !canonical(rip)) {
        x86_raise_exception(env, EXCP_GP, 0); /* a non-canonical return RIP (SDM IRET, RET) */
    }
    return to64;
}

/* The return SS for level rpl: null only for 64-bit code below ring 3, else RPL = rpl and a
   writable data segment of DPL rpl (#GP(SS)), present (#SS(SS)). Returns whether it is null. */
static bool return_ss_check(CPUX86State *env, uint16_t ss, unsigned rpl, bool to64,
                            uint32_t *slo, uint32_t *shi)
{
    if ((ss & ~3u) == 0) {
        if (!to64 || rpl == 3) {
            x86_raise_exception(env, EXCP_GP, 0);
        }
        return true;
    }
    if ((ss & 3) != rpl) {
        x86_raise_exception(env, EXCP_GP, ss & ~3u);
    }
    read_desc(env, ss, slo, shi, ss & ~3u);
    bool writable = (*shi & (1u << 12)) && !(*shi & (1u << 11)) && (*shi & (1u << 9));
    if (!writable || ((*shi >> 13) & 3) != rpl) {
        x86_raise_exception(env, EXCP_GP, ss & ~3u);
    }
    if (!(*shi & DESC_P_MASK)) {
        x86_raise_exception(env, EXCP_SS, ss & ~3u);
    }
    return false;
}

/* IRET in IA-32e mode (SDM Vol. 2A IRET, "IA-32e-MODE"), from 64-bit or compatibility mode
   (cpu/seg.c sends the latter here): pops RIP, CS, RFLAGS, RSP and SS (each opsize bytes)
   whatever the privilege levels, so an IRETD at the same level pops SS:ESP too; the return
   may go to 64-bit or compatibility-mode code at the same or an outer level. Task returns
   (NT) are #GP(0). */
void x86_iret_long(CPUX86State *env, int opsize)
{
    if (env->eflags & EFL_NT) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint64_t sp = env->regs[R_ESP];
    uint64_t v[5];
    for (int i = 0; i < 5; i++) {
        v[i] = cpu_ld_data64(env, stack_linear(env, sp + (uint64_t)(i * opsize), opsize), opsize);
    }
    uint64_t rip = v[0], rsp = v[3];
    uint16_t cs = (uint16_t)v[1], ss = (uint16_t)v[4];
    uint32_t fl = (uint32_t)v[2];
    unsigned cpl = cpl_of(env), rpl = cs & 3;
    uint32_t clo, chi, slo = 0, shi = 0;
    bool to64 = return_cs_check(env, cs, rip, &clo, &chi);
    bool ss_null = return_ss_check(env, ss, rpl, to64, &slo, &shi);
    /* commit; the flags IRET may write depend on the old CPL and IOPL (SDM IRET) */
    unsigned iopl = (env->eflags & EFL_IOPL) >> 12;
    uint32_t mask = IR_EFL_ARITH | EFL_TF | EFL_DF | EFL_NT | EFL_RF | EFL_AC | EFL_ID;
    if (cpl == 0) {
        mask |= EFL_IOPL;
    }
    if (cpl <= iopl) {
        mask |= EFL_IF;
    }
    if (opsize == 2) {
        mask &= 0xffff;
    }
    x86_seg_cache_load(&env->seg[R_CS], cs, clo, chi);
    if (ss_null) {
        null_ss(env, rpl);
    } else {
        x86_seg_cache_load(&env->seg[R_SS], ss, slo, shi);
    }
    env->regs[R_ESP] = opsize == 8 ? rsp : (uint32_t)rsp;
    env->eip = to64 ? rip : (uint32_t)rip;
    x86_set_eflags(env, fl, mask);
    if (rpl > cpl) {
        x86_null_inaccessible_segments(env, rpl); /* SDM Vol. 2A IRET, IA-32e mode */
    }
    x86_update_hflags(env);
}

/* RET far in 64-bit mode (SDM Vol. 2B RET, "IA-32e mode"): pops RIP and CS (opsize each, 8
   with REX.W), releases imm bytes; to an outer level also pops RSP and SS. */
void x86_far_ret_long(CPUX86State *env, int opsize, uint32_t imm)
{
    uint64_t sp = env->regs[R_ESP];
    uint64_t rip = cpu_ld_data64(env, sp, opsize);
    uint16_t cs = (uint16_t)cpu_ld_data64(env, sp + (uint64_t)opsize, opsize);
    unsigned cpl = cpl_of(env), rpl = cs & 3;
    uint32_t clo, chi;
    bool to64 = return_cs_check(env, cs, rip, &clo, &chi);
    uint64_t nsp = sp + 2 * (uint64_t)opsize + imm;
    if (rpl > cpl) {
        /* to an outer level: SS:RSP follow the parameters */
        uint64_t rsp = cpu_ld_data64(env, nsp, opsize);
        uint16_t ss = (uint16_t)cpu_ld_data64(env, nsp + (uint64_t)opsize, opsize);
        uint32_t slo = 0, shi = 0;
        bool ss_null = return_ss_check(env, ss, rpl, to64, &slo, &shi);
        if (ss_null) {
            null_ss(env, rpl);
        } else {
            x86_seg_cache_load(&env->seg[R_SS], ss, slo, shi);
        }
        nsp = rsp + imm;
        x86_null_inaccessible_segments(env, rpl); /* SDM Vol. 2B RET, IA-32e mode */
    }
    x86_seg_cache_load(&env->seg[R_CS], cs, clo, chi);
    env->regs[R_ESP] = nsp;
    env->eip = to64 ? rip : (uint32_t)rip;
    x86_update_hflags(env);
}

/* CALL far from 64-bit mode to a code segment at the same level (SDM Vol. 2A CALL, "IA-32e
   mode"): CS and RIP pushed as opsize values on the 64-bit stack; or through a call gate. */
void x86_far_call_long(CPUX86State *env, uint32_t sel, uint64_t off, int opsize,
                       uint64_t next_rip)
{
    sel &= 0xffff;
    unsigned cpl = cpl_of(env);
    if ((sel & ~3u) == 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint32_t lo, hi;
    read_desc(env, (uint16_t)sel, &lo, &hi, sel & ~3u);
    if (!(hi & (1u << 12))) {
        x86_call_gate_long(env, sel, lo, hi, true, next_rip);
        return;
    }
    unsigned dpl = (hi >> 13) & 3, rpl = sel & 3;
    bool code = (hi & (1u << 12)) && (hi & (1u << 11));
    bool conforming = hi & (1u << 10);
    if (!code || (conforming ? dpl > cpl : (rpl > cpl || dpl != cpl))) {
        x86_raise_exception(env, EXCP_GP, sel & ~3u);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, sel & ~3u);
    }
    uint64_t sp = env->regs[R_ESP];
    cpu_st_data64(env, sp - (uint64_t)opsize, opsize, env->seg[R_CS].selector);
    cpu_st_data64(env, sp - 2 * (uint64_t)opsize, opsize, next_rip);
    env->regs[R_ESP] = sp - 2 * (uint64_t)opsize;
    x86_seg_cache_load(&env->seg[R_CS], (uint16_t)((sel & ~3u) | cpl), lo, hi);
    bool to64 = hi & DESC_L_MASK;
    env->eip = to64 ? off : opsize == 2 ? (off & 0xffff) : (uint32_t)off;
    x86_update_hflags(env);
}

/* Far CALL or JMP through a call gate in IA-32e mode (SDM Vol. 3A 5.8.3.1, Vol. 2A CALL and
   JMP "IA-32e mode"). Only 64-bit call gates exist (type 12, 16 bytes: offset bits 63..32 in
   the third dword, and the type field of the fourth must be 0); a 16-bit gate (type 4) or any
   other system type is #GP(sel). The target must be a 64-bit code segment (L = 1, D = 0).
   Checks as for legacy gates: gate DPL >= CPL and >= RPL, else #GP(gate); not present
   #NP(gate); a null target #GP(0); CALL: target DPL <= CPL, JMP: DPL = CPL unless conforming,
   else #GP(target); not present #NP(target). A CALL to a more privileged non-conforming
   segment takes RSPn from the 64-bit TSS, loads SS with a null selector whose RPL is the new
   CPL, and pushes the old SS and RSP; no parameters are copied. CS and RIP are pushed as 8-byte
   values in either case. */
void x86_call_gate_long(CPUX86State *env, uint32_t sel, uint32_t lo, uint32_t hi, bool call,
                        uint64_t next_rip)
{
    sel &= 0xffff;
    unsigned cpl = cpl_of(env);
    unsigned gdpl = (hi >> 13) & 3;
    if (((hi >> 8) & 0x1f) != 0x0c || gdpl < cpl || gdpl < (sel & 3)) {
        x86_raise_exception(env, EXCP_GP, sel & ~3u);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, sel & ~3u);
    }
    uint32_t w2, w3;
    read_desc(env, (uint16_t)((sel & ~7u) + 8 + (sel & 4)), &w2, &w3, sel & ~3u);
    if ((w3 >> 8) & 0x1f) {
        x86_raise_exception(env, EXCP_GP, sel & ~3u);
    }
    uint16_t csel = (uint16_t)(lo >> 16);
    uint64_t off = (lo & 0xffff) | (hi & 0xffff0000u) | (uint64_t)w2 << 32;
    if ((csel & ~3u) == 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint32_t clo, chi;
    read_desc(env, csel, &clo, &chi, csel & ~3u);
    unsigned dpl = (chi >> 13) & 3;
    bool code = (chi & (1u << 12)) && (chi & (1u << 11));
    bool conforming = chi & (1u << 10);
    bool bad_dpl = call ? dpl > cpl : (conforming ? dpl > cpl : dpl != cpl);
    if (!code || bad_dpl || !(chi & DESC_L_MASK) || (chi & DESC_B_MASK)) {
        x86_raise_exception(env, EXCP_GP, csel & ~3u);
    }
    if (!(chi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, csel & ~3u);
    }
    if (!canonical(off)) {
        x86_raise_exception(env, EXCP_GP, 0); /* SDM Vol. 2A CALL/JMP: a non-canonical target */
    }
    unsigned new_cpl = cpl;
    if (call) {
        uint64_t rsp = env->regs[R_ESP];
        uint64_t old_rsp = rsp;
        bool inner = !conforming && dpl < cpl;
        if (inner) {
            /* RSPn of the 64-bit TSS at 4 + 8n (SDM Vol. 3A 8.7), else #TS(TSS) */
            uint32_t toff = 4 + 8 * dpl;
            if (toff + 7 > env->tr.limit) {
                x86_raise_exception(env, 10, env->tr.selector & ~3u);
            }
            rsp = cpu_ld_data64(env, env->tr.base + toff, 8);
            new_cpl = dpl;
            uint64_t frame[4] = {env->seg[R_SS].selector, old_rsp, env->seg[R_CS].selector,
                                 next_rip};
            for (int i = 0; i < 4; i++) {
                rsp -= 8;
                cpu_st_data64(env, rsp, 8, frame[i]);
            }
            null_ss(env, new_cpl);
        } else {
            /* the current stack: through SS in compatibility mode */
            rsp -= 8;
            cpu_st_data64(env, stack_linear(env, rsp, 8), 8, env->seg[R_CS].selector);
            rsp -= 8;
            cpu_st_data64(env, stack_linear(env, rsp, 8), 8, next_rip);
            if (!(env->hflags & HF_CS64)) {
                rsp = (env->seg[R_SS].flags & DESC_B_MASK)
                          ? (uint32_t)rsp
                          : (old_rsp & ~0xffffull) | (uint16_t)rsp;
            }
        }
        env->regs[R_ESP] = rsp;
    }
    x86_seg_cache_load(&env->seg[R_CS], (uint16_t)((csel & ~3u) | new_cpl), clo, chi);
    env->eip = off;
    x86_update_hflags(env);
}

/* SWAPGS (SDM Vol. 2B): GS.base <-> IA32_KERNEL_GS_BASE; 64-bit mode, CPL 0 */
static void helper_swapgs(CPUX86State *env)
{
    if (!(env->hflags & HF_CS64)) {
        x86_raise_exception(env, EXCP_UD, 0);
    }
    if (cpl_of(env) != 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint64_t t = env->seg[R_GS].base;
    env->seg[R_GS].base = env->msr.kernel_gs_base;
    env->msr.kernel_gs_base = t;
    x86_update_hflags(env);
}
IRHelper helper_swapgs_desc = {"swapgs", (void *)helper_swapgs, IR_CALL_MAY_RAISE, IR_RET_VOID,
                               1, {IR_PTR}, NULL};

/* flat segment caches of SYSCALL/SYSRET (SDM Vol. 2B: the descriptors are not read) */
static void flat_seg(SegmentCache *s, uint16_t sel, bool code, bool l64, unsigned dpl)
{
    s->selector = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->flags = DESC_P_MASK | (1u << 12) | ((code ? 0xbu : 0x3u) << 8) | (dpl << 13) |
               DESC_G_MASK | (l64 ? DESC_L_MASK : DESC_B_MASK);
}

/* SYSCALL (SDM Vol. 2B), from 64-bit mode: RCX = the next RIP, R11 = RFLAGS, CS and SS from
   STAR[47:32], RIP = LSTAR, RFLAGS &= ~FMASK. #UD without EFER.SCE or outside 64-bit mode:
   the SDM's pseudocode tests CS.L, so on Intel processors (xlat's CPUID vendor) SYSCALL from
   compatibility mode is #UD and IA32_CSTAR only reads back (AMD processors, and QEMU, jump to
   CSTAR instead). */
static void helper_syscall(CPUX86State *env, uint64_t next_rip)
{
    if (!(env->efer & EFER_SCE) || !(env->hflags & HF_CS64)) {
        x86_raise_exception(env, EXCP_UD, 0);
    }
    env->regs[R_ECX] = next_rip;
    env->regs[11] = x86_get_eflags(env) & ~(uint32_t)EFL_RF;
    uint16_t sel = (uint16_t)(env->msr.star >> 32);
    flat_seg(&env->seg[R_CS], sel & ~3u, true, true, 0);
    flat_seg(&env->seg[R_SS], (uint16_t)((sel + 8) & ~3u), false, false, 0);
    x86_set_eflags(env, x86_get_eflags(env) & ~((uint32_t)env->msr.fmask | EFL_RF), ~0u);
    env->eip = env->msr.lstar;
    x86_update_hflags(env);
}
IRHelper helper_syscall_desc = {"syscall", (void *)helper_syscall, IR_CALL_MAY_RAISE,
                                IR_RET_VOID, 2, {IR_PTR, IR_I64}, NULL};

/* SYSRET (SDM Vol. 2B): to CPL 3, RIP = RCX (64-bit with REX.W, else ECX into compatibility
   mode), RFLAGS from R11, CS and SS from STAR[63:48]. #GP at CPL > 0 or for a non-canonical
   RCX (Intel raises it before leaving ring 0). */
static void helper_sysret(CPUX86State *env, uint32_t opsize)
{
    if (!(env->efer & EFER_SCE) || !(env->hflags & HF_CS64)) {
        x86_raise_exception(env, EXCP_UD, 0);
    }
    uint64_t rip = env->regs[R_ECX];
    if (cpl_of(env) != 0 || (opsize == 8 && (uint64_t)((int64_t)(rip << 16) >> 16) != rip)) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint16_t sel = (uint16_t)(env->msr.star >> 48);
    if (opsize == 8) {
        flat_seg(&env->seg[R_CS], (uint16_t)((sel + 16) | 3), true, true, 3);
        env->eip = rip;
    } else {
        flat_seg(&env->seg[R_CS], (uint16_t)(sel | 3), true, false, 3);
        env->eip = (uint32_t)rip;
    }
    flat_seg(&env->seg[R_SS], (uint16_t)((sel + 8) | 3), false, false, 3);
    x86_set_eflags(env, ((uint32_t)env->regs[11] & 0x3c7fd7u) | EFL_FIXED1, ~(uint32_t)EFL_VM);
    x86_update_hflags(env);
}
IRHelper helper_sysret_desc = {"sysret", (void *)helper_sysret, IR_CALL_MAY_RAISE, IR_RET_VOID,
                               2, {IR_PTR, IR_I32}, NULL};
