/*
 * cpu/debug.c — debug exceptions (Intel SDM Vol. 3A chapter 17): the debug registers DR0-DR7
 * (17.2), instruction breakpoints (17.3.1.1), data and I/O breakpoints (17.3.1.2) and
 * single-stepping with EFLAGS.TF (17.3.1.4).
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
 * runs: the handler sets RF in the frame it IRETs through to step over the breakpoint). RF = 1
 * also sets HF_BP, so RF lasts exactly one instruction even with no breakpoint enabled.
 *
 * Data and I/O breakpoints (HF_WATCH while DR7 enables one): the TLB marks pages holding
 * watched bytes (TLB_WATCH, softmmu/tlb.c), whose accesses take the slow path and come to
 * x86_watch_access; the IN/OUT helpers call x86_io_breakpoint. A hit leaves B0-B3 in
 * `dbp_pending`, delivered by the loop with the single-step trap as one #DB after the
 * instruction (see watch_hit for how the instruction is made the last of its block).
 *
 * DR7.GD (general detect, 17.2.4): a MOV to or from any debug register is a #DB fault with
 * DR6.BD, and GD is cleared so the handler can use them. In 64-bit mode DR0-DR3 are 64-bit
 * linear addresses and MOV DRn moves 64 bits (17.2.6).
 */
#include "cpu/translate.h"
#include "softmmu/machine.h"

/* DR7 (SDM Vol. 3A 17.2.4): L0/G0 at bits 0-1 (two per breakpoint), R/W0 at bits 16-17 and
   LEN0 at bits 18-19 (four per breakpoint). What each R/W value breaks on: 00 execution, 01
   data writes, 11 data reads and writes, 10 I/O with CR4.DE = 1 (undefined with DE = 0: no
   breakpoint here). */
enum { BP_EXEC = 1, BP_WRITE = 2, BP_READ = 4, BP_IO = 8 };
static const uint8_t rw_kinds[4] = {BP_EXEC, BP_WRITE, BP_IO, BP_WRITE | BP_READ};
/* LEN: 00 one byte, 01 two, 11 four, 10 eight (17.2.5; eight where the processor has it) */
static const uint8_t len_bytes[4] = {1, 2, 8, 4};

/* The enabled breakpoints of one kind, as a B0-B3 mask. */
static uint32_t bp_mask(const CPUX86State *env, unsigned kind)
{
    uint32_t dr7 = (uint32_t)env->dr[7], m = 0;
    for (int i = 0; i < 4; i++) {
        unsigned k = rw_kinds[(dr7 >> (16 + 4 * i)) & 3];
        if (k == BP_IO && !(env->cr[4] & CR4_DE)) {
            continue;
        }
        if (((dr7 >> (2 * i)) & 3) && (k & kind)) {
            m |= 1u << i;
        }
    }
    return m;
}

static unsigned bp_len(const CPUX86State *env, int i)
{
    return len_bytes[(env->dr[7] >> (18 + 4 * i)) & 3];
}

/* The linear address in DRi: 64 bits in IA-32e mode, the low 32 outside it (17.2.6). */
static uint64_t bp_addr(const CPUX86State *env, int i)
{
    return (env->hflags & HF_LMA) ? env->dr[i] : (uint32_t)env->dr[i];
}

static uint32_t exec_bp_mask(const CPUX86State *env)
{
    return bp_mask(env, BP_EXEC);
}

/* The first byte breakpoint i covers: the processor masks the low address bits with LEN, so
   a range never straddles its alignment (17.2.5). */
static uint64_t bp_base(const CPUX86State *env, int i)
{
    return bp_addr(env, i) & ~(uint64_t)(bp_len(env, i) - 1);
}

/* Which of the breakpoints in `mask` cover a byte of [addr, addr + size). */
static uint32_t bp_hits(const CPUX86State *env, uint32_t mask, uint64_t addr, unsigned size)
{
    uint32_t hit = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t base = bp_base(env, i);
        if ((mask & (1u << i)) && addr < base + bp_len(env, i) && base < addr + size) {
            hit |= 1u << i;
        }
    }
    return hit;
}

bool x86_exec_breakpoints(const CPUX86State *env)
{
    return exec_bp_mask(env) != 0;
}

/* Any enabled breakpoint with R/W != 00, whatever CR4.DE says, so that a later MOV to CR4
   need not recompute hflags: the checks themselves look at DE. */
bool x86_watch_enabled(const CPUX86State *env)
{
    for (int i = 0; i < 4; i++) {
        if (((env->dr[7] >> (2 * i)) & 3) && ((env->dr[7] >> (16 + 4 * i)) & 3)) {
            return true;
        }
    }
    return false;
}

bool x86_watch_page(const CPUX86State *env, uint64_t page, bool write)
{
    if (!(env->hflags & HF_WATCH)) {
        return false; /* the common case: one test per TLB fill */
    }
    uint32_t mask = bp_mask(env, write ? BP_WRITE : BP_READ);
    for (int i = 0; i < 4; i++) {
        if ((mask & (1u << i)) && (bp_base(env, i) & TLB_PAGE_MASK) == page) {
            return true;
        }
    }
    return false;
}

/* A data breakpoint hit by the instruction running now: a trap after it (17.3.1.2).
   Translated code reaches the loop only at the end of its block, so the hit must be in the
   block's last instruction: if it is not, the instruction runs again alone, and this time it
   is the last. That restart is as safe as a fault: stores are checked before their first byte
   is written, and every instruction does its memory accesses before its register writes (only
   an MMIO read earlier in the same instruction would be repeated). A REP string instruction
   stops after the iteration that hit (translate-string.c); cpu_exit makes the block's
   successor return to the loop instead of running. */
static void watch_hit(CPUX86State *env, uint32_t hit)
{
    CPUCommon *c = &env->common;
    if (c->cur_tb && c->insn_index + 1 < c->cur_tb->icount) {
        tcg_restart_insn(c);
    }
    env->dbp_pending |= hit;
    cpu_exit(c);
}

void x86_watch_access(CPUX86State *env, uint64_t addr, unsigned size, bool write)
{
    /* Only accesses made by instructions count: the pushes of an event being delivered
       (outside translated code, cur_tb NULL) are not checked. */
    if (!(env->hflags & HF_WATCH) || !env->common.cur_tb) {
        return;
    }
    uint32_t hit = bp_hits(env, bp_mask(env, write ? BP_WRITE : BP_READ), addr, size);
    if (hit) {
        watch_hit(env, hit);
    }
}

void x86_io_breakpoint(CPUX86State *env, uint32_t port, uint32_t size)
{
    if (!(env->hflags & HF_WATCH)) {
        return;
    }
    uint32_t hit = bp_hits(env, bp_mask(env, BP_IO), port, size);
    if (hit) {
        /* IN, OUT, INS and OUTS end their block: the trap comes right after them, for REP
           INS/OUTS after the iteration (17.3.1.2) */
        env->dbp_pending |= hit;
        cpu_exit(&env->common);
    }
}

/* The single-step and data/I/O breakpoint traps owed by the instruction that just retired:
   one #DB reporting both (DR6.BS and B0-B3, 17.2.3). */
bool x86_single_step_trap(CPUX86State *env)
{
    bool ss = env->ss_pending;
    env->ss_pending = 0;
    if (env->inhibit_irq & 2) {
        /* after MOV SS/POP SS debug traps wait one instruction (SDM Vol. 3A 6.8.3); that
           instruction's block marks the trap again; STI's shadow (bit 0 only) holds off
           interrupts, not this trap: SDM Vol. 3A 6.8.3 names MOV SS and POP SS. A breakpoint
           hit stays owed: that instruction runs alone, and the loop delivers it after. */
        if (env->dbp_pending) {
            env->common.tcg->next_cflags = 1 | CF_NOCACHE;
        }
        return false;
    }
    uint32_t hit = env->dbp_pending;
    env->dbp_pending = 0;
    if (ss) {
        env->dr[6] |= DR6_BS;
    }
    if (hit) {
        env->dr[6] = (env->dr[6] & ~0xfu) | hit;
    }
    env->error_code = 0;
    env->halted = 0;
    x86_deliver_event(env, EXCP_DB, false, false);
    return true;
}

/* Before an instruction while an execute breakpoint is enabled (SDM Vol. 3A 17.3.1.1). */
static void helper_check_bp(CPUX86State *env, uint64_t eip)
{
    if (env->eflags & EFL_RF) {
        /* RF (set by an IRET or a task switch) lasts one instruction: this one (2.3) */
        env->eflags &= ~(uint32_t)EFL_RF;
        x86_update_hflags(env);
        return;
    }
    /* 64-bit mode: RIP is the linear address (SDM Vol. 3A 3.4.4) */
    uint64_t linear =
        (env->hflags & HF_CS64) ? eip : (uint32_t)(env->seg[R_CS].base + (uint32_t)eip);
    uint32_t enabled = exec_bp_mask(env), hit = 0;
    for (int i = 0; i < 4; i++) {
        if ((enabled & (1u << i)) && bp_addr(env, i) == linear) {
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
                                 IR_RET_VOID, 2, {IR_PTR, IR_I64}, NULL};

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
        /* a fault-class #DB that is not an instruction breakpoint: RF = 1 in the frame
           (17.3.1.1); delivery clears it in EFLAGS once the frame is saved */
        env->eflags |= EFL_RF;
        x86_raise_exception(env, EXCP_DB, 0);
    }
}

/* MOV r32, DRn (SDM Vol. 2B MOV—Move to/from Debug Registers); MOV r64, DRn in 64-bit mode */
static uint64_t read_dr(CPUX86State *env, uint32_t n)
{
    unsigned i = dr_index(env, n & 7);
    check_general_detect(env);
    return env->dr[i];
}

static uint32_t helper_read_dr(CPUX86State *env, uint32_t n)
{
    return (uint32_t)read_dr(env, n);
}
IRHelper helper_read_dr_desc = {"read_dr", (void *)helper_read_dr,
                                IR_CALL_MAY_RAISE | IR_CALL_NO_READ_GLOBALS |
                                    IR_CALL_NO_WRITE_GLOBALS,
                                IR_I32, 2, {IR_PTR, IR_I32}, NULL};

static uint64_t helper_read_dr64(CPUX86State *env, uint32_t n)
{
    return read_dr(env, n);
}
IRHelper helper_read_dr64_desc = {"read_dr64", (void *)helper_read_dr64,
                                  IR_CALL_MAY_RAISE | IR_CALL_NO_READ_GLOBALS |
                                      IR_CALL_NO_WRITE_GLOBALS,
                                  IR_I64, 2, {IR_PTR, IR_I32}, NULL};

/* MOV DRn, r32: DR6 and DR7 keep their fixed bits (17.2.3, 17.2.4); a DR7 write may turn
   breakpoint checks on or off, so the translator ends the block after it. */
static void helper_write_dr(CPUX86State *env, uint32_t n, uint64_t v)
{
    unsigned i = dr_index(env, n & 7);
    check_general_detect(env);
    if (i >= 6 && (v >> 32)) {
        /* 64-bit mode: the upper halves of DR6 and DR7 are reserved (17.2.6); elsewhere the
           value is 32 bits */
        x86_raise_exception(env, EXCP_GP, 0);
    }
    if (i == 6) {
        v = (v & 0x0000e00fu) | DR6_FIXED1;
    } else if (i == 7) {
        v = (v & ~0x0000d800u) | DR7_FIXED1; /* bits 11, 12, 14, 15 read as 0 */
    }
    bool watched = x86_watch_enabled(env);
    env->dr[i] = v;
    x86_update_hflags(env);
    if ((i < 4 || i == 7) && (watched || x86_watch_enabled(env))) {
        /* the TLB_WATCH marks follow DR0-DR3 and DR7 (softmmu/tlb.c) */
        tlb_flush(env->common.machine);
    }
}
IRHelper helper_write_dr_desc = {"write_dr", (void *)helper_write_dr,
                                 IR_CALL_MAY_RAISE | IR_CALL_NO_READ_GLOBALS |
                                     IR_CALL_NO_WRITE_GLOBALS,
                                 IR_RET_VOID, 3, {IR_PTR, IR_I32, IR_I64}, NULL};
