/*
 * cpu/seg.c — protected-mode far control transfers: CALL far (to a code segment, or through a
 * call gate to the same or a more privileged level with a stack switch and parameter copy), JMP
 * far through a call gate (to the same level; JMP to a code segment is cpu/helper.c's),
 * RET far (to the same or a less privileged level), and IRET (to the same or a less privileged
 * level, or from ring 0 to virtual-8086 mode, and in virtual-8086 mode); CALL to a TSS or task
 * gate and IRET with NT = 1 are task switches (cpu/task.c). Intel
 * SDM Vol. 2A CALL/RET/IRET "Operation", Vol. 3A 5.8 (privilege level checks for
 * transfers of control), 5.8.6 (call gates), 5.8.5-5.8.6 (stack switching), 6.14 (IRET).
 *
 * Every check runs before any state changes, so a fault leaves the CPU as it was (the stack
 * writes of a CALL go to a stack that is committed only at the end).
 */
#include <inttypes.h>
#include <stdio.h>

#include "cpu/translate.h"
#include "softmmu/machine.h"

#define SEL_ERR(s) ((uint32_t)(s) & ~3u)

static unsigned cpl_of(CPUX86State *env)
{
    return (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
}

/* descriptor of sel (GDT/LDT), #GP(sel) if beyond the table */
static void get_desc(CPUX86State *env, uint32_t sel, uint32_t *lo, uint32_t *hi)
{
    uint32_t index = sel & ~7u;
    uint32_t base = (sel & 4) ? env->ldt.base : env->gdt.base;
    uint32_t limit = (sel & 4) ? env->ldt.limit : env->gdt.limit;
    if (index + 7 > limit) {
        x86_raise_exception(env, EXCP_GP, SEL_ERR(sel));
    }
    *lo = cpu_ld_data(env, base + index, 4);
    *hi = cpu_ld_data(env, base + index + 4, 4);
}

/* The descriptor cache a segment load leaves behind (SDM Vol. 3A 3.4.3, 3.4.5): base, the
   limit scaled by G, and the attribute bits of the high dword. */
void x86_seg_cache_load(SegmentCache *s, uint32_t sel, uint32_t lo, uint32_t hi)
{
    s->selector = sel & 0xffff;
    s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    uint32_t limit = (lo & 0xffff) | (hi & 0xf0000);
    if (hi & DESC_G_MASK) {
        limit = (limit << 12) | 0xfff;
    }
    s->limit = limit;
    s->flags = hi & 0x00f0ff00u;
}

static bool is_code(uint32_t hi) { return (hi & (1u << 12)) && (hi & (1u << 11)); }
static bool is_conforming(uint32_t hi) { return hi & (1u << 10); }
static unsigned dpl_of(uint32_t hi) { return (hi >> 13) & 3; }

typedef struct Stack {
    uint32_t base, sp;
    bool big;
    bool check; /* the current SS: accesses are checked against its limit, #SS(0) */
} Stack;

static Stack stack_of(CPUX86State *env)
{
    Stack st = {env->seg[R_SS].base, (uint32_t)env->regs[R_ESP],
                (env->seg[R_SS].flags & DESC_B_MASK) != 0, true};
    if (!st.big) {
        st.sp &= 0xffff;
    }
    return st;
}

static void st_push(CPUX86State *env, Stack *st, int size, uint32_t v)
{
    st->sp -= (uint32_t)size;
    if (!st->big) {
        st->sp &= 0xffff;
    }
    if (st->check) {
        x86_seg_limit_check(env, R_SS, st->sp, size); /* SDM Vol. 3A 5.3 */
    }
    cpu_st_data(env, st->base + st->sp, size, v);
}

static uint32_t st_pop(CPUX86State *env, Stack *st, int size)
{
    if (st->check) {
        x86_seg_limit_check(env, R_SS, st->sp, size); /* SDM Vol. 3A 5.3 */
    }
    uint32_t v = cpu_ld_data(env, st->base + st->sp, size);
    st->sp += (uint32_t)size;
    if (!st->big) {
        st->sp &= 0xffff;
    }
    return v;
}

static void set_esp(CPUX86State *env, const Stack *st)
{
    if (st->big) {
        env->regs[R_ESP] = st->sp;
    } else {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | st->sp;
    }
}

/* A code segment descriptor that the transfer may use: present, code, privilege per `call`. */
static void check_code(CPUX86State *env, uint32_t sel, uint32_t hi)
{
    if (!is_code(hi)) {
        x86_raise_exception(env, EXCP_GP, SEL_ERR(sel));
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, SEL_ERR(sel));
    }
}

/* The inner stack for privilege level `pl` from the current TSS (SDM Vol. 3A 7.2.1). */
static void tss_stack(CPUX86State *env, unsigned pl, uint32_t *ss, uint32_t *esp)
{
    unsigned type = (env->tr.flags >> 8) & 0xf;
    bool tss32 = type == 0x9 || type == 0xb;
    uint32_t off = tss32 ? 4 + 8 * pl : 2 + 4 * pl;
    if (off + (tss32 ? 7 : 3) > env->tr.limit) {
        x86_raise_exception(env, 10, SEL_ERR(env->tr.selector));
    }
    if (tss32) {
        *esp = cpu_ld_data(env, env->tr.base + off, 4);
        *ss = cpu_ld_data(env, env->tr.base + off + 4, 2);
    } else {
        *esp = cpu_ld_data(env, env->tr.base + off, 2);
        *ss = cpu_ld_data(env, env->tr.base + off + 2, 2);
    }
}

/* Load SS for privilege level pl with the checks of a stack switch (#TS on failure). */
static void load_inner_ss(CPUX86State *env, uint32_t ss, unsigned pl, SegmentCache *out)
{
    if (SEL_ERR(ss) == 0 || (ss & 3) != pl) {
        x86_raise_exception(env, 10, SEL_ERR(ss));
    }
    uint32_t lo, hi;
    get_desc(env, ss, &lo, &hi);
    bool writable_data = (hi & (1u << 12)) && !(hi & (1u << 11)) && (hi & (1u << 9));
    if (dpl_of(hi) != pl || !writable_data) {
        x86_raise_exception(env, 10, SEL_ERR(ss));
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 12, SEL_ERR(ss));
    }
    x86_seg_cache_load(out, ss, lo, hi);
}

/* After a return to an outer level: data segment registers the new level may not use are
   nulled (SDM RET/IRET: "if DS/ES/FS/GS ... DPL < CPL and not conforming code, load null"; the
   same in IA-32e mode, where a nulled FS/GS also loses its base, as a null selector load does
   on Intel processors). */
void x86_null_inaccessible_segments(CPUX86State *env, unsigned cpl)
{
    static const int segs[] = {R_ES, R_DS, R_FS, R_GS};
    for (unsigned i = 0; i < 4; i++) {
        SegmentCache *s = &env->seg[segs[i]];
        uint32_t hi = s->flags;
        bool data_or_nc_code = !(hi & (1u << 11)) || !(hi & (1u << 10));
        if (SEL_ERR(s->selector) != 0 && data_or_nc_code && dpl_of(hi) < cpl) {
            s->selector = 0;
            s->flags = 0;
            s->base = 0;
            s->limit = 0;
        }
    }
}

/* A legacy call gate and its target code segment (types 4: 16-bit, 12: 32-bit; SDM Vol. 3A
   5.8.6, Figure 5-11): gate DPL >= CPL and >= RPL, else #GP(gate); not present #NP(gate); a
   null target #GP(0); the target must be code, with DPL <= CPL for CALL (JMP: DPL = CPL unless
   conforming), else #GP(target); not present #NP(target). */
typedef struct Gate {
    uint32_t csel, off, clo, chi;
    unsigned nparams;
    bool gate32;
} Gate;

static void gate_target(CPUX86State *env, uint32_t sel, uint32_t lo, uint32_t hi, bool call,
                        Gate *g)
{
    unsigned cpl = cpl_of(env);
    unsigned type = (hi >> 8) & 0x1f; /* with S = 0 */
    if (type != 4 && type != 12) {
        x86_raise_exception(env, EXCP_GP, SEL_ERR(sel));
    }
    unsigned gdpl = dpl_of(hi);
    if (gdpl < cpl || gdpl < (sel & 3)) {
        x86_raise_exception(env, EXCP_GP, SEL_ERR(sel));
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, SEL_ERR(sel));
    }
    g->gate32 = type == 12;
    g->csel = lo >> 16;
    g->off = (lo & 0xffff) | (g->gate32 ? (hi & 0xffff0000u) : 0);
    g->nparams = hi & 0x1f;
    if (SEL_ERR(g->csel) == 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    get_desc(env, g->csel, &g->clo, &g->chi);
    unsigned dpl = dpl_of(g->chi);
    bool bad_dpl = call ? dpl > cpl : (is_conforming(g->chi) ? dpl > cpl : dpl != cpl);
    if (!is_code(g->chi) || bad_dpl) {
        x86_raise_exception(env, EXCP_GP, SEL_ERR(g->csel));
    }
    if (!(g->chi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, SEL_ERR(g->csel));
    }
}

void x86_far_call_pm(CPUX86State *env, uint32_t sel, uint32_t off, int opsize,
                     uint32_t next_eip)
{
    sel &= 0xffff;
    unsigned cpl = cpl_of(env);
    if (SEL_ERR(sel) == 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint32_t lo, hi;
    get_desc(env, sel, &lo, &hi);
    if (hi & (1u << 12)) {
        /* a code segment: no privilege change (SDM 5.8.2) */
        check_code(env, sel, hi);
        unsigned dpl = dpl_of(hi), rpl = sel & 3;
        if (is_conforming(hi) ? dpl > cpl : (rpl > cpl || dpl != cpl)) {
            x86_raise_exception(env, EXCP_GP, SEL_ERR(sel));
        }
        Stack st = stack_of(env);
        st_push(env, &st, opsize, env->seg[R_CS].selector);
        st_push(env, &st, opsize, next_eip);
        set_esp(env, &st);
        x86_seg_cache_load(&env->seg[R_CS], (sel & ~3u) | cpl, lo, hi);
        env->eip = opsize == 2 ? (off & 0xffff) : off;
        x86_update_hflags(env);
        return;
    }
    /* a TSS or a task gate: a task switch (cpu/task.c, SDM Vol. 3A 7.3); IA-32e mode has
       neither, and its call gates are 16 bytes (5.8.3.1, cpu/long-mode.c) */
    if (env->efer & EFER_LMA) {
        x86_call_gate_long(env, sel, lo, hi, true, next_eip);
        return;
    }
    if (x86_task_jmp_call(env, sel, lo, hi, true, next_eip)) {
        return;
    }
    Gate g;
    gate_target(env, sel, lo, hi, true, &g);
    int size = g.gate32 ? 4 : 2;
    unsigned dpl = dpl_of(g.chi);
    if (!is_conforming(g.chi) && dpl < cpl) {
        /* more privileged: new stack from the TSS, copy the parameters (SDM Figure 5-13) */
        uint32_t ss, esp;
        tss_stack(env, dpl, &ss, &esp);
        SegmentCache new_ss;
        load_inner_ss(env, ss, dpl, &new_ss);
        /* the new stack must hold SS, ESP, the parameters, CS and EIP: else #SS(new SS) (SDM
           Vol. 2A CALL, "CALL-GATE-TO-MORE-PRIVILEGE": "IF stack limit does not allow push
           of parameters and return address THEN #SS(SS selector)") */
        if (!x86_stack_fits(&new_ss, esp, (uint32_t)size * (4 + g.nparams))) {
            x86_raise_exception(env, 12, SEL_ERR(ss));
        }
        Stack old = stack_of(env);
        Stack st = {new_ss.base, esp, (new_ss.flags & DESC_B_MASK) != 0, false};
        if (!st.big) {
            st.sp &= 0xffff;
        }
        st_push(env, &st, size, env->seg[R_SS].selector);
        st_push(env, &st, size, (uint32_t)env->regs[R_ESP]);
        for (int i = (int)g.nparams - 1; i >= 0; i--) {
            uint32_t a = old.sp + (uint32_t)(i * size);
            if (!old.big) {
                a &= 0xffff;
            }
            st_push(env, &st, size, cpu_ld_data(env, old.base + a, size));
        }
        st_push(env, &st, size, env->seg[R_CS].selector);
        st_push(env, &st, size, next_eip);
        env->seg[R_SS] = new_ss;
        set_esp(env, &st);
        x86_seg_cache_load(&env->seg[R_CS], (g.csel & ~3u) | dpl, g.clo, g.chi);
    } else {
        Stack st = stack_of(env);
        st_push(env, &st, size, env->seg[R_CS].selector);
        st_push(env, &st, size, next_eip);
        set_esp(env, &st);
        x86_seg_cache_load(&env->seg[R_CS], (g.csel & ~3u) | cpl, g.clo, g.chi);
    }
    env->eip = g.gate32 ? g.off : (g.off & 0xffff);
    x86_update_hflags(env);
}

/* JMP far through a call gate (SDM Vol. 2A JMP, "far jump to call gate"; Vol. 3A 5.8.6): the
   gate's privilege is checked as for CALL, but the target must be a conforming segment at
   DPL <= CPL or a non-conforming one at DPL = CPL: a JMP never changes the privilege level,
   and nothing is pushed. Called by the far JMP helper (cpu/helper.c) for system descriptors
   that are not a TSS or a task gate. */
void x86_far_jmp_gate(CPUX86State *env, uint32_t sel, uint32_t lo, uint32_t hi)
{
    sel &= 0xffff;
    if (env->efer & EFER_LMA) {
        x86_call_gate_long(env, sel, lo, hi, false, 0);
        return;
    }
    Gate g;
    gate_target(env, sel, lo, hi, false, &g);
    x86_seg_cache_load(&env->seg[R_CS], (g.csel & ~3u) | cpl_of(env), g.clo, g.chi);
    env->eip = g.gate32 ? g.off : (g.off & 0xffff);
    x86_update_hflags(env);
}

/* Pop CS:EIP (and, to an outer level, SS:ESP); shared by RET far and IRET. `extra` bytes of
   parameters are released on both stacks (RET imm16). Returns the new CPL. */
static void far_return(CPUX86State *env, Stack *st, int opsize, uint32_t extra, uint32_t eip,
                       uint32_t cs, bool iret, uint32_t eflags)
{
    unsigned cpl = cpl_of(env);
    unsigned rpl = cs & 3;
    if (SEL_ERR(cs) == 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint32_t lo, hi;
    get_desc(env, cs, &lo, &hi);
    if (!is_code(hi) || rpl < cpl) {
        x86_raise_exception(env, EXCP_GP, SEL_ERR(cs));
    }
    if (is_conforming(hi) ? dpl_of(hi) > rpl : dpl_of(hi) != rpl) {
        x86_raise_exception(env, EXCP_GP, SEL_ERR(cs));
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, SEL_ERR(cs));
    }
    st->sp += extra;
    if (!st->big) {
        st->sp &= 0xffff;
    }
    SegmentCache new_ss = env->seg[R_SS];
    bool outer = rpl > cpl;
    uint32_t new_esp = 0;
    if (outer) {
        new_esp = st_pop(env, st, opsize);
        uint32_t ss = st_pop(env, st, opsize) & 0xffff;
        if (SEL_ERR(ss) == 0 || (ss & 3) != rpl) {
            x86_raise_exception(env, EXCP_GP, SEL_ERR(ss));
        }
        uint32_t slo, shi;
        get_desc(env, ss, &slo, &shi);
        bool writable_data = (shi & (1u << 12)) && !(shi & (1u << 11)) && (shi & (1u << 9));
        if (!writable_data || dpl_of(shi) != rpl) {
            x86_raise_exception(env, EXCP_GP, SEL_ERR(ss));
        }
        if (!(shi & DESC_P_MASK)) {
            x86_raise_exception(env, 12, SEL_ERR(ss));
        }
        x86_seg_cache_load(&new_ss, ss, slo, shi);
    }
    /* commit */
    if (iret) {
        /* SDM IRET: IOPL changes only at CPL 0, IF only when CPL <= IOPL; VM/VIP/VIF stay */
        uint32_t mask = EFL_TF | EFL_DF | EFL_NT | EFL_RF | EFL_AC | EFL_ID | IR_EFL_ARITH;
        unsigned iopl = (env->eflags >> 12) & 3;
        if (cpl == 0) {
            mask |= EFL_IOPL;
        }
        if (cpl <= iopl) {
            mask |= EFL_IF;
        }
        if (opsize == 2) {
            mask &= 0xffff;
        }
        x86_set_eflags(env, eflags, mask);
    }
    x86_seg_cache_load(&env->seg[R_CS], cs, lo, hi);
    env->eip = opsize == 2 ? (eip & 0xffff) : eip;
    if (outer) {
        env->seg[R_SS] = new_ss;
        Stack ns = {new_ss.base, new_esp + (iret ? 0 : extra),
                    (new_ss.flags & DESC_B_MASK) != 0, false};
        if (!ns.big) {
            ns.sp &= 0xffff;
        }
        set_esp(env, &ns);
        x86_null_inaccessible_segments(env, rpl);
    } else {
        set_esp(env, st);
    }
    x86_update_hflags(env);
}

void x86_far_ret_pm(CPUX86State *env, int opsize, uint32_t imm)
{
    Stack st = stack_of(env);
    uint32_t eip = st_pop(env, &st, opsize);
    uint32_t cs = st_pop(env, &st, opsize) & 0xffff;
    far_return(env, &st, opsize, imm, eip, cs, false, 0);
}

/* IRET in virtual-8086 mode (SDM Vol. 2A IRET, "IF VM = 1"): with IOPL = 3 as in real mode,
   except that IOPL (and VM) keep their values; otherwise #GP(0) (the translator checks IOPL
   first, cpu/translate-dispatch.c). */
static void iret_in_vm86(CPUX86State *env, int opsize)
{
    if (((env->eflags >> 12) & 3) != 3) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    Stack st = stack_of(env);
    uint32_t eip = st_pop(env, &st, opsize);
    uint32_t cs = st_pop(env, &st, opsize) & 0xffff;
    uint32_t fl = st_pop(env, &st, opsize);
    uint32_t mask = 0x257fd5u & ~(uint32_t)EFL_IOPL; /* ID AC RF NT DF IF TF and arithmetic */
    if (opsize == 2) {
        mask &= 0xffff;
    }
    set_esp(env, &st);
    x86_load_seg_real(env, R_CS, (uint16_t)cs);
    env->eip = opsize == 2 ? (eip & 0xffff) : eip;
    x86_set_eflags(env, fl, mask);
}

/* IRET at CPL 0 to an EFLAGS image with VM = 1 (SDM Vol. 2A IRET "RETURN-TO-VIRTUAL-8086-MODE",
   Vol. 3A 20.2.5): after EIP, CS and EFLAGS, pop ESP, SS, ES, DS, FS, GS (doublewords, high
   halves ignored) and load them all as real-mode segments; CPL becomes 3. */
static void iret_to_vm86(CPUX86State *env, Stack *st, uint32_t eip, uint32_t cs, uint32_t fl)
{
    uint32_t esp = st_pop(env, st, 4);
    uint32_t ss = st_pop(env, st, 4) & 0xffff;
    uint32_t segs[4]; /* ES DS FS GS */
    for (int i = 0; i < 4; i++) {
        segs[i] = st_pop(env, st, 4) & 0xffff;
    }
    /* commit: the whole EFLAGS image (CPL 0 may change IOPL, and VM is what this is about) */
    x86_set_eflags(env, fl, 0x003f7fd5u);
    x86_load_seg_real(env, R_CS, (uint16_t)cs);
    x86_load_seg_real(env, R_SS, (uint16_t)ss);
    x86_load_seg_real(env, R_ES, (uint16_t)segs[0]);
    x86_load_seg_real(env, R_DS, (uint16_t)segs[1]);
    x86_load_seg_real(env, R_FS, (uint16_t)segs[2]);
    x86_load_seg_real(env, R_GS, (uint16_t)segs[3]);
    env->regs[R_ESP] = esp;
    env->eip = eip & 0xffff;
    x86_update_hflags(env);
}

void x86_iret_pm(CPUX86State *env, int opsize)
{
    if (env->efer & EFER_LMA) {
        /* compatibility mode: IRET follows the IA-32e rules (SDM Vol. 2A IRET, "IA-32e-MODE") */
        x86_iret_long(env, opsize);
        return;
    }
    if (env->eflags & EFL_VM) {
        iret_in_vm86(env, opsize);
        return;
    }
    if (env->eflags & EFL_NT) {
        /* a return to the task in the back link (SDM IRET "TASK-RETURN"); the translator left
           EIP after the IRET in env->eip */
        x86_task_iret(env, (uint32_t)env->eip);
        return;
    }
    Stack st = stack_of(env);
    uint32_t eip = st_pop(env, &st, opsize);
    uint32_t cs = st_pop(env, &st, opsize) & 0xffff;
    uint32_t fl = st_pop(env, &st, opsize);
    if (opsize == 4 && (fl & EFL_VM) && cpl_of(env) == 0) {
        iret_to_vm86(env, &st, eip, cs, fl);
        return;
    }
    far_return(env, &st, opsize, 0, eip, cs, true, fl);
}
