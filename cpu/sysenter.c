/*
 * cpu/sysenter.c — SYSENTER and SYSEXIT (Intel SDM Vol. 2B SYSENTER, SYSEXIT "Operation"; Vol.
 * 3A 5.8.7): fast calls to ring 0 and back, in legacy (32-bit) mode. No descriptor is read: CS
 * and SS get fixed flat caches, and their selectors come from IA32_SYSENTER_CS (MSR 174H;
 * ESP and EIP for SYSENTER from MSRs 175H and 176H, cpu/helper-prot.c). The GDT is expected to
 * match: ring-0 code, ring-0 stack, ring-3 code, ring-3 stack, in that order.
 */
#include "cpu/translate.h"

/* flat 4 GiB caches (the SDM's "CS.Base <- 0; CS.Limit <- FFFFFH; G <- 1 ...") */
static void flat(SegmentCache *s, uint32_t sel, unsigned dpl, bool code)
{
    s->selector = sel & 0xffff;
    s->base = 0;
    s->limit = 0xffffffffu;
    /* type 11 (code, execute/read, accessed) or 3 (data, read/write, accessed); S; P; D/B; G */
    s->flags = ((code ? 0xbu : 0x3u) << 8) | (1u << 12) | (dpl << 13) | DESC_P_MASK |
               DESC_B_MASK | DESC_G_MASK;
}

/* SYSENTER: #GP(0) in real mode or with a null IA32_SYSENTER_CS; VM, IF and RF clear. */
static void helper_sysenter(CPUX86State *env)
{
    uint32_t cs = (uint32_t)env->msr.sysenter_cs & 0xffff;
    if (!(env->cr[0] & CR0_PE) || (cs & ~3u) == 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    env->eflags &= ~(uint32_t)(EFL_VM | EFL_IF | EFL_RF);
    env->regs[R_ESP] = (uint32_t)env->msr.sysenter_esp;
    env->eip = (uint32_t)env->msr.sysenter_eip;
    flat(&env->seg[R_CS], cs & 0xfffc, 0, true);
    flat(&env->seg[R_SS], (cs & 0xfffc) + 8, 0, false);
    x86_update_hflags(env);
}
IRHelper helper_sysenter_desc = {"sysenter", (void *)helper_sysenter, IR_CALL_MAY_RAISE,
                                 IR_RET_VOID, 1, {IR_PTR}, NULL};

/* SYSEXIT (32-bit operand size): #GP(0) in real mode, at CPL > 0 or with a null
   IA32_SYSENTER_CS; ESP = ECX, EIP = EDX, CS and SS at +16 and +24 with RPL 3. */
static void helper_sysexit(CPUX86State *env)
{
    uint32_t cs = (uint32_t)env->msr.sysenter_cs & 0xffff;
    unsigned cpl = (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
    if (!(env->cr[0] & CR0_PE) || (cs & ~3u) == 0 || cpl != 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    env->regs[R_ESP] = (uint32_t)env->regs[R_ECX];
    env->eip = (uint32_t)env->regs[R_EDX];
    flat(&env->seg[R_CS], ((cs + 16) & 0xffff) | 3, 3, true);
    flat(&env->seg[R_SS], ((cs + 24) & 0xffff) | 3, 3, false);
    x86_update_hflags(env);
}
IRHelper helper_sysexit_desc = {"sysexit", (void *)helper_sysexit, IR_CALL_MAY_RAISE,
                                IR_RET_VOID, 1, {IR_PTR}, NULL};
