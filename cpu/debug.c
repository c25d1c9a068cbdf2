/*
 * cpu/debug.c — debug exceptions (Intel SDM Vol. 3A chapter 17): the debug registers DR0-DR7
 * (17.2), instruction breakpoints (17.3.1.1) and single-stepping with EFLAGS.TF (17.3.1.4).
 *
 * Single-step: a block made while TF = 1 (hflags HF_TF) holds one instruction and marks
 * `ss_pending` when it starts; its exits all go back to the loop, which then delivers #DB as
 * a trap (EIP after the instruction, DR6.BS set) before any external interrupt (SDM Table
 * 6-2). An event delivered for the instruction (a fault, INT n) clears the mark instead. An
 * instruction that sets TF (POPF, IRET) was made without HF_TF, so the first trap comes after
 * the next instruction; one that clears it still traps, as the SDM says.
 *
 * Instruction breakpoints: while DR7 enables one (hflags HF_BP), every instruction first calls
 * helper_check_bp, which raises #DB as a fault at the instruction if its linear address is in
 * an enabled execute breakpoint, unless EFLAGS.RF = 1 (then RF is cleared and the instruction
 * runs: the handler sets RF in the frame it IRETs through to step over the breakpoint).
 *
 * DR7.GD (general detect, 17.2.4): a MOV to or from any debug register is a #DB fault with
 * DR6.BD, and GD is cleared so the handler can use them. Data breakpoints and the TSS T bit are
 * not implemented.
 */
#include "cpu/translate.h"
#include "softmmu/machine.h"

/* DR7: L0/G0 at bits 0-1 (two per breakpoint), R/W0 at bits 16-17 (four per breakpoint) */
static uint32_t exec_bp_mask(const CPUX86State *env)
{
    uint32_t dr7 = env->dr[7], m = 0;
    for (int i = 0; i < 4; i++) {
        if (((dr7 >> (2 * i)) & 3) && ((dr7 >> (16 + 4 * i)) & 3) == 0) {
            m |= 1u << i;
        }
    }
    return m;
}

bool x86_exec_breakpoints(const CPUX86State *env)
{
    return exec_bp_mask(env) != 0;
}

bool x86_single_step_trap(CPUX86State *env)
{
    env->ss_pending = 0;
    if (env->inhibit_irq & 2) {
        /* after MOV SS/POP SS debug traps wait one instruction (SDM Vol. 3A 6.8.3); that
           instruction's block marks the trap again; STI's shadow (bit 0 only) holds off
           interrupts, not this trap: SDM Vol. 3A 6.8.3 names MOV SS and POP SS */
        return false;
    }
    env->dr[6] |= DR6_BS;
    env->error_code = 0;
    env->halted = 0;
    x86_deliver_event(env, EXCP_DB, false, false);
    return true;
}

/* Before an instruction while an execute breakpoint is enabled (SDM Vol. 3A 17.3.1.1). */
static void helper_check_bp(CPUX86State *env, uint32_t eip)
{
    if (env->eflags & EFL_RF) {
        env->eflags &= ~(uint32_t)EFL_RF;
        return;
    }
    uint32_t linear = env->seg[R_CS].base + eip;
    uint32_t enabled = exec_bp_mask(env), hit = 0;
    for (int i = 0; i < 4; i++) {
        if ((enabled & (1u << i)) && env->dr[i] == linear) {
            hit |= 1u << i;
        }
    }
    if (hit) {
        /* B0-B3 report the breakpoints that matched (17.2.3) */
        env->dr[6] = (env->dr[6] & ~0xfu) | hit;
        x86_raise_exception(env, EXCP_DB, 0);
    }
}
IRHelper helper_check_bp_desc = {"check_bp", (void *)helper_check_bp,
                                 IR_CALL_MAY_RAISE | IR_CALL_NO_READ_GLOBALS |
                                     IR_CALL_NO_WRITE_GLOBALS,
                                 IR_RET_VOID, 2, {IR_PTR, IR_I32}, NULL};

/* DR4 and DR5: #UD with CR4.DE = 1, else aliases of DR6 and DR7 (SDM Vol. 3A 17.2.2) */
static unsigned dr_index(CPUX86State *env, uint32_t n)
{
    if (n == 4 || n == 5) {
        if (env->cr[4] & CR4_DE) {
            x86_raise_exception(env, EXCP_UD, 0);
        }
        return n + 2;
    }
    return n;
}

/* DR7.GD: the access faults before it happens (SDM Vol. 3A 17.2.4: GD is cleared on entering
   the handler; 17.2.3: BD says why). After the #UD of DR4/DR5, as the SDM lists them. */
static void check_general_detect(CPUX86State *env)
{
    if (env->dr[7] & DR7_GD) {
        env->dr[6] |= DR6_BD;
        env->dr[7] &= ~(uint32_t)DR7_GD;
        x86_raise_exception(env, EXCP_DB, 0);
    }
}

/* MOV r32, DRn (SDM Vol. 2B MOV—Move to/from Debug Registers) */
static uint32_t helper_read_dr(CPUX86State *env, uint32_t n)
{
    unsigned i = dr_index(env, n & 7);
    check_general_detect(env);
    return env->dr[i];
}
IRHelper helper_read_dr_desc = {"read_dr", (void *)helper_read_dr,
                                IR_CALL_MAY_RAISE | IR_CALL_NO_READ_GLOBALS |
                                    IR_CALL_NO_WRITE_GLOBALS,
                                IR_I32, 2, {IR_PTR, IR_I32}, NULL};

/* MOV DRn, r32: DR6 and DR7 keep their fixed bits (17.2.3, 17.2.4); a DR7 write may turn
   breakpoint checks on or off, so the translator ends the block after it. */
static void helper_write_dr(CPUX86State *env, uint32_t n, uint32_t v)
{
    unsigned i = dr_index(env, n & 7);
    check_general_detect(env);
    if (i == 6) {
        v = (v & 0x0000e00fu) | DR6_FIXED1;
    } else if (i == 7) {
        v = (v & ~0x0000d800u) | DR7_FIXED1; /* bits 11, 12, 14, 15 read as 0 */
    }
    env->dr[i] = v;
    x86_update_hflags(env);
}
IRHelper helper_write_dr_desc = {"write_dr", (void *)helper_write_dr,
                                 IR_CALL_MAY_RAISE | IR_CALL_NO_READ_GLOBALS |
                                     IR_CALL_NO_WRITE_GLOBALS,
                                 IR_RET_VOID, 3, {IR_PTR, IR_I32, IR_I32}, NULL};
