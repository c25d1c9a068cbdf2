/*
 * cpu/task.c — hardware task switching (Intel SDM Vol. 3A chapter 7): JMP and CALL to a TSS
 * descriptor or a task gate, IRET with EFLAGS.NT set (back to the task in the previous-task
 * link), and interrupts or exceptions through a task gate in the IDT. 32-bit and 16-bit TSSs
 * (7.2.1, 7.6).
 *
 * The switch follows 7.3: the checks on the new TSS come first (any fault leaves the old task
 * untouched), then the whole new TSS is read (so a page fault on it also comes first), the old
 * task's dynamic state is saved, the busy bits and the back link are updated, TR, LDTR, CR3,
 * EFLAGS, EIP, the general registers and the segment selectors are loaded, and only then are
 * the new task's segment descriptors checked. A fault there belongs to the new task (7.3 step
 * 14): it is raised with the new task's CS:EIP, as if at the new task's first instruction.
 * The debug trap bit (T) of the new TSS raises #DB (DR6.BT) before its first instruction. A
 * TSS whose EFLAGS image has VM = 1 starts a virtual-8086 task (real-mode segments, 20.2.5).
 */

#include "cpu/translate.h"
#include "softmmu/machine.h"

#define SEL_ERR(s) ((uint32_t)(s) & ~3u)

enum { EXCP_TS = 10, EXCP_NP = 11 };

/* the EFLAGS bits that exist (SDM Vol. 1 3.4.3): the rest of a TSS's image is ignored */
#define EFL_DEFINED 0x003f7fd5u

/* system descriptor types (SDM Vol. 3A Table 3-2) */
enum { SYS_TSS16 = 1, SYS_TSS16_BUSY = 3, SYS_TASK_GATE = 5, SYS_TSS32 = 9, SYS_TSS32_BUSY = 11 };

static unsigned sys_type(uint32_t hi)
{
    return (hi >> 8) & 0x1f; /* S bit and type: system descriptors have S = 0 */
}

static bool is_tss(unsigned t)
{
    return t == SYS_TSS16 || t == SYS_TSS16_BUSY || t == SYS_TSS32 || t == SYS_TSS32_BUSY;
}

static bool is_busy(unsigned t)
{
    return t == SYS_TSS16_BUSY || t == SYS_TSS32_BUSY;
}

/* The state of a task as a TSS holds it (SDM Vol. 3A Figures 7-2 and 7-11). */
typedef struct TaskState {
    uint32_t cr3, eip, eflags, regs[8], segs[R_NB_SEGS], ldt, trap;
} TaskState;

/* field offsets of a 32-bit and a 16-bit TSS */
static const uint8_t off32_regs = 0x28, off32_segs = 0x48;
static const uint8_t off16_regs = 0x12, off16_segs = 0x22;

static void read_tss(CPUX86State *env, uint32_t base, bool t32, TaskState *ts)
{
    if (t32) {
        ts->cr3 = cpu_ld_data(env, base + 0x1c, 4);
        ts->eip = cpu_ld_data(env, base + 0x20, 4);
        ts->eflags = cpu_ld_data(env, base + 0x24, 4);
        for (int i = 0; i < 8; i++) {
            ts->regs[i] = cpu_ld_data(env, base + off32_regs + 4u * (uint32_t)i, 4);
        }
        for (int i = 0; i < R_NB_SEGS; i++) {
            ts->segs[i] = cpu_ld_data(env, base + off32_segs + 4u * (uint32_t)i, 2);
        }
        ts->ldt = cpu_ld_data(env, base + 0x60, 2);
        ts->trap = cpu_ld_data(env, base + 0x64, 2) & 1;
    } else {
        /* a 16-bit TSS has no CR3, FS or GS (SDM Vol. 3A 7.6, Figure 7-11) */
        ts->cr3 = 0;
        ts->eip = cpu_ld_data(env, base + 0x0e, 2);
        ts->eflags = cpu_ld_data(env, base + 0x10, 2);
        for (int i = 0; i < 8; i++) {
            ts->regs[i] = cpu_ld_data(env, base + off16_regs + 2u * (uint32_t)i, 2);
        }
        for (int i = 0; i < 4; i++) {
            ts->segs[i] = cpu_ld_data(env, base + off16_segs + 2u * (uint32_t)i, 2);
        }
        ts->segs[R_FS] = ts->segs[R_GS] = 0;
        ts->ldt = cpu_ld_data(env, base + 0x2a, 2);
        ts->trap = 0;
    }
}

/* Save the dynamic state of the running task into its TSS (SDM Vol. 3A 7.3 step 8): EIP,
   EFLAGS, the general registers and the segment selectors; not LDTR or CR3. */
static void save_tss(CPUX86State *env, uint32_t eip, uint32_t eflags)
{
    unsigned t = sys_type(env->tr.flags);
    uint32_t base = env->tr.base;
    if (t == SYS_TSS32 || t == SYS_TSS32_BUSY) {
        cpu_st_data(env, base + 0x20, 4, eip);
        cpu_st_data(env, base + 0x24, 4, eflags);
        for (int i = 0; i < 8; i++) {
            cpu_st_data(env, base + off32_regs + 4u * (uint32_t)i, 4, (uint32_t)env->regs[i]);
        }
        for (int i = 0; i < R_NB_SEGS; i++) {
            cpu_st_data(env, base + off32_segs + 4u * (uint32_t)i, 2, env->seg[i].selector);
        }
    } else {
        cpu_st_data(env, base + 0x0e, 2, eip);
        cpu_st_data(env, base + 0x10, 2, eflags);
        for (int i = 0; i < 8; i++) {
            cpu_st_data(env, base + off16_regs + 2u * (uint32_t)i, 2, (uint32_t)env->regs[i]);
        }
        for (int i = 0; i < 4; i++) {
            cpu_st_data(env, base + off16_segs + 2u * (uint32_t)i, 2, env->seg[i].selector);
        }
    }
}

/* A fault after the switch is committed belongs to the new task (SDM Vol. 3A 7.3 step 14):
   EIP stays the new task's, and the instruction that switched has retired. */
static _Noreturn void fault_in_new_task(CPUX86State *env, int vector, uint32_t err)
{
    env->exception = vector;
    env->error_code = err;
    env->exception_soft = 0;
    env->delivering = -1;
    tcg_exit_after_insn(&env->common);
}

/* Read a descriptor of the new task (GDT or its LDT); false if the selector is beyond the
   table. Sets the accessed bit of code and data descriptors (SDM Vol. 3A 3.4.5.1). */
static bool new_task_desc(CPUX86State *env, uint32_t sel, uint32_t *lo, uint32_t *hi)
{
    uint32_t index = sel & ~7u;
    bool local = sel & 4;
    if (local && SEL_ERR(env->ldt.selector) == 0) {
        return false;
    }
    uint32_t base = local ? env->ldt.base : env->gdt.base;
    uint32_t limit = local ? env->ldt.limit : env->gdt.limit;
    if (index + 7 > limit) {
        return false;
    }
    *lo = cpu_ld_data(env, base + index, 4);
    *hi = cpu_ld_data(env, base + index + 4, 4);
    if ((*hi & (1u << 12)) && !(*hi & (1u << 8))) {
        *hi |= 1u << 8;
        cpu_st_data(env, base + index + 4, 4, *hi);
    }
    return true;
}

/* The new task's LDTR and segment registers, checked as SDM Vol. 3A Table 7-1 lists:
   #TS(selector) for an invalid selector or descriptor, #NP (#SS for SS) for a not-present one.
   Selectors are all in place before the first check, so a fault handler sees them. */
static void load_new_task_segments(CPUX86State *env, const TaskState *ts)
{
    bool vm = env->eflags & EFL_VM; /* a virtual-8086 task: real-mode segments (20.2.5) */
    for (int i = 0; i < R_NB_SEGS; i++) {
        if (vm) {
            x86_load_seg_real(env, i, (uint16_t)ts->segs[i]);
            continue;
        }
        env->seg[i].selector = ts->segs[i];
        if (i != R_CS) {
            env->seg[i].flags = 0;
            env->seg[i].base = 0;
            env->seg[i].limit = 0;
        }
    }
    /* LDTR: null, or an LDT descriptor in the GDT */
    uint32_t ldt = ts->ldt;
    env->ldt.selector = ldt;
    env->ldt.base = env->ldt.limit = env->ldt.flags = 0;
    if (SEL_ERR(ldt) != 0) {
        uint32_t lo, hi;
        if ((ldt & 4) || (ldt & ~7u) + 7 > env->gdt.limit) {
            fault_in_new_task(env, EXCP_TS, SEL_ERR(ldt));
        }
        lo = cpu_ld_data(env, env->gdt.base + (ldt & ~7u), 4);
        hi = cpu_ld_data(env, env->gdt.base + (ldt & ~7u) + 4, 4);
        if (sys_type(hi) != 2 || !(hi & DESC_P_MASK)) {
            fault_in_new_task(env, EXCP_TS, SEL_ERR(ldt));
        }
        x86_seg_cache_load(&env->ldt, ldt, lo, hi);
    }
    if (vm) {
        x86_update_hflags(env);
        return;
    }
    /* CS: a code segment; non-conforming with DPL = RPL, conforming with DPL <= RPL. The new
       CPL is the RPL of the CS selector. */
    uint32_t cs = ts->segs[R_CS];
    unsigned cpl = cs & 3;
    uint32_t lo, hi;
    if (SEL_ERR(cs) == 0 || !new_task_desc(env, cs, &lo, &hi)) {
        fault_in_new_task(env, EXCP_TS, SEL_ERR(cs));
    }
    {
        bool code = (hi & (1u << 12)) && (hi & (1u << 11));
        unsigned dpl = (hi >> 13) & 3;
        bool conforming = hi & (1u << 10);
        if (!code || (conforming ? dpl > cpl : dpl != cpl)) {
            fault_in_new_task(env, EXCP_TS, SEL_ERR(cs));
        }
        if (!(hi & DESC_P_MASK)) {
            fault_in_new_task(env, EXCP_NP, SEL_ERR(cs));
        }
        x86_seg_cache_load(&env->seg[R_CS], cs, lo, hi);
        x86_update_hflags(env);
    }
    /* SS: writable data with DPL = RPL = CPL */
    uint32_t ss = ts->segs[R_SS];
    if (SEL_ERR(ss) == 0 || !new_task_desc(env, ss, &lo, &hi)) {
        fault_in_new_task(env, EXCP_TS, SEL_ERR(ss));
    }
    {
        bool writable = (hi & (1u << 12)) && !(hi & (1u << 11)) && (hi & (1u << 9));
        if (!writable || ((hi >> 13) & 3) != cpl || (ss & 3) != cpl) {
            fault_in_new_task(env, EXCP_TS, SEL_ERR(ss));
        }
        if (!(hi & DESC_P_MASK)) {
            fault_in_new_task(env, EXCP_SS, SEL_ERR(ss));
        }
        x86_seg_cache_load(&env->seg[R_SS], ss, lo, hi);
    }
    /* DS, ES, FS, GS: null, or data or readable code the new CPL may use */
    static const int data_segs[] = {R_ES, R_DS, R_FS, R_GS};
    for (unsigned i = 0; i < 4; i++) {
        int r = data_segs[i];
        uint32_t sel = ts->segs[r];
        if (SEL_ERR(sel) == 0) {
            continue;
        }
        if (!new_task_desc(env, sel, &lo, &hi)) {
            fault_in_new_task(env, EXCP_TS, SEL_ERR(sel));
        }
        bool s = hi & (1u << 12), code = hi & (1u << 11), conforming = hi & (1u << 10),
             rw = hi & (1u << 9);
        unsigned dpl = (hi >> 13) & 3;
        if (!s || (code && !rw) ||
            ((!code || !conforming) && (dpl < cpl || dpl < (sel & 3)))) {
            fault_in_new_task(env, EXCP_TS, SEL_ERR(sel));
        }
        if (!(hi & DESC_P_MASK)) {
            fault_in_new_task(env, EXCP_NP, SEL_ERR(sel));
        }
        x86_seg_cache_load(&env->seg[r], sel, lo, hi);
    }
    x86_update_hflags(env);
}

/* Switch to the task whose TSS descriptor is `sel` (SDM Vol. 3A 7.3). The caller has made the
   privilege checks of its source (gate DPL, TSS DPL). eip is where the old task resumes; ext is
   the EXT bit of error codes (an external event or a hardware exception). Returns the T bit of
   the new TSS (the caller raises the debug trap once the switch is complete). */
static bool task_switch(CPUX86State *env, uint32_t sel, int source, uint32_t eip, uint32_t ext)
{
    Machine *m = env->common.machine;
    /* the TSS descriptor: in the GDT only (7.2.2); an IRET's back link that is not a busy TSS
       is #TS, anything else #GP */
    int bad = source == X86_TASK_IRET ? EXCP_TS : EXCP_GP;
    if ((sel & 4) || (sel & ~7u) + 7 > env->gdt.limit) {
        x86_raise_exception(env, bad, SEL_ERR(sel) + ext);
    }
    uint32_t desc_addr = env->gdt.base + (sel & ~7u);
    uint32_t lo = cpu_ld_data(env, desc_addr, 4);
    uint32_t hi = cpu_ld_data(env, desc_addr + 4, 4);
    unsigned type = sys_type(hi);
    if (!is_tss(type) || is_busy(type) != (source == X86_TASK_IRET)) {
        x86_raise_exception(env, bad, SEL_ERR(sel) + ext);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, EXCP_NP, SEL_ERR(sel) + ext);
    }
    bool new32 = (type & 8) != 0;
    SegmentCache new_tr;
    x86_seg_cache_load(&new_tr, sel, lo, hi);
    if (new_tr.limit < (new32 ? 0x67u : 0x2bu)) {
        x86_raise_exception(env, EXCP_TS, SEL_ERR(sel) + ext);
    }
    /* everything the new task needs, before anything changes (7.3 step 5) */
    TaskState ts;
    read_tss(env, new_tr.base, new32, &ts);

    /* the old task: save its state, its busy bit clears unless it nests (steps 6-8) */
    uint32_t old_flags = x86_get_eflags(env);
    if (source == X86_TASK_IRET) {
        old_flags &= ~(uint32_t)EFL_NT;
    }
    save_tss(env, eip, old_flags);
    if (source == X86_TASK_JMP || source == X86_TASK_IRET) {
        uint32_t a = env->gdt.base + (env->tr.selector & ~7u) + 4;
        cpu_st_data(env, a, 4, cpu_ld_data(env, a, 4) & ~(2u << 8));
    }
    /* the new task: back link and NT when it nests, busy unless it is an IRET's (9-11) */
    uint32_t new_flags = ts.eflags;
    if (source == X86_TASK_CALL || source == X86_TASK_INT) {
        cpu_st_data(env, new_tr.base, 2, env->tr.selector);
        new_flags |= EFL_NT;
    }
    if (source != X86_TASK_IRET) {
        hi |= 2u << 8;
        cpu_st_data(env, desc_addr + 4, 4, hi);
        new_tr.flags |= 2u << 8;
    }

    /* load the new task (steps 12-13) */
    env->tr = new_tr;
    env->cr[0] |= CR0_TS; /* 2.5: set on every task switch */
    env->dr[7] &= ~0x55u; /* and the local breakpoint enables L0-L3 clear (17.2.4) */
    if (new32 && (env->cr[0] & CR0_PG)) {
        env->cr[3] = ts.cr3;
        tlb_flush_nonglobal(m); /* a CR3 load (SDM Vol. 3A 4.10.4.1) */
    }
    if (new32) {
        env->eip = ts.eip;
        x86_set_eflags(env, new_flags, EFL_DEFINED);
        for (int i = 0; i < 8; i++) {
            env->regs[i] = ts.regs[i];
        }
    } else {
        /* a 16-bit TSS holds the low halves; the high halves of the registers are kept */
        env->eip = ts.eip & 0xffff;
        x86_set_eflags(env, new_flags & 0xffff, EFL_DEFINED);
        for (int i = 0; i < 8; i++) {
            env->regs[i] = (env->regs[i] & ~0xffffull) | (ts.regs[i] & 0xffff);
        }
    }
    load_new_task_segments(env, &ts);
    return ts.trap;
}

/* The end of a switch: EIP must be within the new CS (#GP with the EXT bit `ext`), then the T
   bit's debug trap, before the new task's first instruction (SDM Vol. 3A 7.2.1, 17.3.1.5). */
static void finish_switch(CPUX86State *env, bool trap, uint32_t ext)
{
    if (env->eip > env->seg[R_CS].limit) {
        fault_in_new_task(env, EXCP_GP, ext);
    }
    if (trap) {
        env->dr[6] |= 1u << 15; /* BT */
        fault_in_new_task(env, EXCP_DB, 0);
    }
}

/* JMP or CALL far to a system descriptor (SDM Vol. 2A JMP/CALL "TASK-GATE" and
   "TASK-STATE-SEGMENT"): a task gate or a TSS. Returns false for any other type. */
bool x86_task_jmp_call(CPUX86State *env, uint32_t sel, uint32_t lo, uint32_t hi, bool call,
                       uint32_t next_eip)
{
    unsigned type = sys_type(hi);
    unsigned cpl = (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
    unsigned dpl = (hi >> 13) & 3;
    int source = call ? X86_TASK_CALL : X86_TASK_JMP;
    if (type == SYS_TASK_GATE) {
        if (dpl < cpl || dpl < (sel & 3)) {
            x86_raise_exception(env, EXCP_GP, SEL_ERR(sel));
        }
        if (!(hi & DESC_P_MASK)) {
            x86_raise_exception(env, EXCP_NP, SEL_ERR(sel));
        }
        finish_switch(env, task_switch(env, (lo >> 16) & 0xffff, source, next_eip, 0), 0);
    } else if (is_tss(type)) {
        if (dpl < cpl || dpl < (sel & 3)) {
            x86_raise_exception(env, EXCP_GP, SEL_ERR(sel));
        }
        finish_switch(env, task_switch(env, sel, source, next_eip, 0), 0);
    } else {
        return false;
    }
    return true;
}

/* IRET with NT = 1: back to the task in the previous-task link (SDM Vol. 2A IRET
   "TASK-RETURN"); next_eip is where this task resumes when it runs again. */
void x86_task_iret(CPUX86State *env, uint32_t next_eip)
{
    uint32_t link = cpu_ld_data(env, env->tr.base, 2);
    finish_switch(env, task_switch(env, link, X86_TASK_IRET, next_eip, 0), 0);
}

/* An interrupt or exception through a task gate in the IDT (SDM Vol. 3A 6.12.2, Vol. 2A INT n
   "TASK-GATE"): the switch nests, and an error code is pushed on the new task's stack, a
   doubleword for a 32-bit TSS, a word for a 16-bit one. */
void x86_task_gate_event(CPUX86State *env, uint32_t gate_lo, bool ext, bool push_err,
                         uint32_t err)
{
    uint32_t e = ext ? 1 : 0;
    bool trap = task_switch(env, (gate_lo >> 16) & 0xffff, X86_TASK_INT, (uint32_t)env->eip, e);
    if (push_err) {
        unsigned t = sys_type(env->tr.flags);
        int size = (t == SYS_TSS32 || t == SYS_TSS32_BUSY) ? 4 : 2;
        bool big = env->seg[R_SS].flags & DESC_B_MASK;
        uint32_t sp = (uint32_t)env->regs[R_ESP] - (uint32_t)size;
        if (!big) {
            sp &= 0xffff;
        }
        /* (the new stack's limit is not checked: segment limits are not checked on data
           accesses yet, as elsewhere) */
        cpu_st_data(env, env->seg[R_SS].base + sp, size, err);
        if (big) {
            env->regs[R_ESP] = sp;
        } else {
            env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | sp;
        }
    }
    finish_switch(env, trap, e);
}
