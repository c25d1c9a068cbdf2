/*
 * cpu/excp.c — delivering exceptions and interrupts (Intel SDM Vol. 3A chapter 6).
 *
 * Real mode: through the IVT (20.1.4). Protected mode: through IDT interrupt and trap gates,
 * 16- and 32-bit (6.11-6.12), with the privilege checks of software interrupts, the stack switch
 * through the TSS for a handler at a more privileged level (6.12.1), the room check of the stack
 * the frame goes on (#SS, Vol. 2A INT n), task gates (6.12.2, the switch itself in cpu/task.c),
 * and error codes (6.13). A
 * fault while delivering an exception combines with it as Table 6-5 says: into a double fault,
 * and a fault while delivering a double fault is a triple fault (6.15, interrupt 8), which
 * resets the machine (or stops it with -no-reboot).
 *
 * Delivery runs between blocks (x86_exec_pending); its own memory accesses go through the
 * softmmu and may fault, which longjmps back to the loop with the new exception pending.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cpu/translate.h"
#include "softmmu/machine.h"

/* SDM Vol. 3A Table 6-4/6-5: classes for the double-fault rule */
enum { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PF, CLASS_DF };

static int exception_class(int vector)
{
    switch (vector) {
    case 0: case 10: case 11: case 12: case 13:
        return CLASS_CONTRIBUTORY;
    case 14:
        return CLASS_PF;
    case 8:
        return CLASS_DF;
    default:
        return CLASS_BENIGN;
    }
}

/* The fault-class exceptions (SDM Vol. 3A Table 6-1) other than #DB, whose faults are the
   instruction breakpoint (RF must stay 0 there, 17.3.1.1) and DR7.GD. */
static bool is_fault(int vector)
{
    static const uint32_t faults = 1u << 0 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 10 | 1u << 11 |
                                   1u << 12 | 1u << 13 | 1u << 14 | 1u << 16 | 1u << 17 |
                                   1u << 19 | 1u << 20;
    return vector < 32 && ((faults >> vector) & 1);
}

/* vectors that push an error code (SDM Vol. 3A 6.13, Table 6-1) */
static bool has_error_code(int vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
}

/* Read a descriptor (GDT or LDT by the TI bit); raises #GP(selector) beyond the limit. */
static void read_descriptor(CPUX86State *env, uint16_t sel, uint32_t *lo, uint32_t *hi,
                            int vector_if_bad, uint32_t err_if_bad)
{
    uint32_t index = sel & ~7u;
    uint32_t base, limit;
    if (sel & 4) {
        base = env->ldt.base;
        limit = env->ldt.limit;
    } else {
        base = env->gdt.base;
        limit = env->gdt.limit;
    }
    if (index + 7 > limit) {
        x86_raise_exception(env, vector_if_bad, err_if_bad);
    }
    *lo = cpu_ld_data(env, base + index, 4);
    *hi = cpu_ld_data(env, base + index + 4, 4);
}

static unsigned cpl_of(CPUX86State *env)
{
    return (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
}

/* push onto the stack described by (ss_base, sp, 32-bit?) */
typedef struct Stack {
    uint32_t base, sp;
    bool big;
} Stack;

static void push(CPUX86State *env, Stack *st, int size, uint32_t v)
{
    st->sp -= (uint32_t)size;
    if (!st->big) {
        st->sp &= 0xffff;
    }
    cpu_st_data(env, st->base + st->sp, size, v);
}

/* Real-address-mode delivery (SDM Vol. 3A 20.1.4). */
static void deliver_real(CPUX86State *env, int vector)
{
    Stack st = {env->seg[R_SS].base, (uint32_t)env->regs[R_ESP] & 0xffff, false};
    uint32_t ip = cpu_ld_data(env, env->idt.base + (uint32_t)vector * 4, 2);
    uint32_t cs = cpu_ld_data(env, env->idt.base + (uint32_t)vector * 4 + 2, 2);
    push(env, &st, 2, x86_get_eflags(env));
    push(env, &st, 2, env->seg[R_CS].selector);
    push(env, &st, 2, (uint32_t)env->eip);
    env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | st.sp;
    env->eflags &= ~(uint32_t)(EFL_IF | EFL_TF | EFL_AC | EFL_RF);
    x86_load_seg_real(env, R_CS, (uint16_t)cs);
    env->eip = ip;
}

/* Protected-mode delivery through an interrupt or trap gate (SDM Vol. 3A 6.12.1). */
static void deliver_protected(CPUX86State *env, int vector, bool soft, bool ext, bool push_err,
                              uint32_t err)
{
    uint32_t idt_err = (uint32_t)vector * 8 + 2 + (ext ? 1 : 0);
    if ((uint32_t)vector * 8 + 7 > env->idt.limit) {
        x86_raise_exception(env, EXCP_GP, idt_err);
    }
    uint32_t lo = cpu_ld_data(env, env->idt.base + (uint32_t)vector * 8, 4);
    uint32_t hi = cpu_ld_data(env, env->idt.base + (uint32_t)vector * 8 + 4, 4);
    unsigned type = (hi >> 8) & 0x1f; /* S bit and type */
    unsigned gate_dpl = (hi >> 13) & 3;
    bool gate32;
    switch (type) {
    case 0x06: case 0x07: gate32 = false; break; /* 16-bit interrupt / trap gate */
    case 0x0e: case 0x0f: gate32 = true; break;  /* 32-bit interrupt / trap gate */
    case 0x05: /* task gate (SDM 6.12.2): the handler is a task */
        if (soft && ((hi >> 13) & 3) < cpl_of(env)) {
            x86_raise_exception(env, EXCP_GP, idt_err); /* SDM 6.12.1.1 */
        }
        if (!(hi & DESC_P_MASK)) {
            x86_raise_exception(env, 11, idt_err);
        }
        x86_task_gate_event(env, lo, ext || !soft, push_err, err);
        return;
    default:
        x86_raise_exception(env, EXCP_GP, idt_err);
    }
    unsigned cpl = cpl_of(env);
    if (soft && gate_dpl < cpl) {
        x86_raise_exception(env, EXCP_GP, idt_err); /* SDM 6.12.1.1 */
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, idt_err); /* #NP */
    }
    uint16_t sel = (uint16_t)(lo >> 16);
    uint32_t offset = (lo & 0xffff) | (gate32 ? (hi & 0xffff0000u) : 0);
    uint32_t ext_bit = ext ? 1 : 0;
    if ((sel & ~3u) == 0) {
        x86_raise_exception(env, EXCP_GP, ext_bit);
    }
    uint32_t clo, chi;
    read_descriptor(env, sel, &clo, &chi, EXCP_GP, (sel & ~3u) + ext_bit);
    unsigned dpl = (chi >> 13) & 3;
    bool code = (chi & (1u << 12)) && (chi & (1u << 11));
    bool conforming = chi & (1u << 10);
    if (!code || dpl > cpl) {
        x86_raise_exception(env, EXCP_GP, (sel & ~3u) + ext_bit);
    }
    if (!(chi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, (sel & ~3u) + ext_bit);
    }
    bool vm = env->eflags & EFL_VM;
    if (vm && (conforming || dpl != 0)) {
        /* from virtual-8086 mode only to ring 0 (SDM Vol. 3A 20.3.1.1, INT n "INTERRUPT-FROM-
           VIRTUAL-8086-MODE") */
        x86_raise_exception(env, EXCP_GP, (sel & ~3u) + ext_bit);
    }
    unsigned new_cpl = conforming ? cpl : dpl;
    int size = gate32 ? 4 : 2;
    uint32_t old_ss = env->seg[R_SS].selector, old_esp = (uint32_t)env->regs[R_ESP];
    Stack st;
    SegmentCache new_ss = env->seg[R_SS];
    bool switch_stack = new_cpl < cpl;
    if (switch_stack) {
        /* the inner stack from the TSS (SDM 7.2.1): 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n;
           16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n */
        bool tss32 = ((env->tr.flags >> 8) & 0xf) == 0x9 || ((env->tr.flags >> 8) & 0xf) == 0xb;
        uint32_t ss_sel, esp;
        uint32_t off = tss32 ? 4 + 8 * new_cpl : 2 + 4 * new_cpl;
        if (off + (tss32 ? 7 : 3) > env->tr.limit) {
            x86_raise_exception(env, 10, env->tr.selector & ~3u); /* #TS */
        }
        if (tss32) {
            esp = cpu_ld_data(env, env->tr.base + off, 4);
            ss_sel = cpu_ld_data(env, env->tr.base + off + 4, 2);
        } else {
            esp = cpu_ld_data(env, env->tr.base + off, 2);
            ss_sel = cpu_ld_data(env, env->tr.base + off + 2, 2);
        }
        if ((ss_sel & ~3u) == 0 || (ss_sel & 3) != new_cpl) {
            x86_raise_exception(env, 10, (ss_sel & ~3u) + ext_bit);
        }
        uint32_t slo, shi;
        read_descriptor(env, (uint16_t)ss_sel, &slo, &shi, 10, (ss_sel & ~3u) + ext_bit);
        bool writable_data = (shi & (1u << 12)) && !(shi & (1u << 11)) && (shi & (1u << 9));
        if (((shi >> 13) & 3) != new_cpl || !writable_data) {
            x86_raise_exception(env, 10, (ss_sel & ~3u) + ext_bit);
        }
        if (!(shi & DESC_P_MASK)) {
            x86_raise_exception(env, 12, (ss_sel & ~3u) + ext_bit); /* #SS */
        }
        x86_seg_cache_load(&new_ss, (uint16_t)ss_sel, slo, shi);
        st = (Stack){new_ss.base, esp, (new_ss.flags & DESC_B_MASK) != 0};
        if (!st.big) {
            st.sp &= 0xffff;
        }
        /* room on the new stack for the whole frame, else #SS(new SS + EXT) (SDM Vol. 2A INT
           n, "INTER-PRIVILEGE-LEVEL-INTERRUPT" and "INTERRUPT-FROM-VIRTUAL-8086-MODE") */
        uint32_t words = 5 + (push_err ? 1 : 0) + (vm ? 4 : 0);
        if (!x86_stack_fits(&new_ss, st.sp, words * (uint32_t)size)) {
            x86_raise_exception(env, 12, (ss_sel & ~3u) + ext_bit);
        }
        if (vm) {
            /* the v8086 data segment registers go on the ring-0 stack first (Figure 20-4) */
            push(env, &st, size, env->seg[R_GS].selector);
            push(env, &st, size, env->seg[R_FS].selector);
            push(env, &st, size, env->seg[R_DS].selector);
            push(env, &st, size, env->seg[R_ES].selector);
        }
        push(env, &st, size, old_ss);
        push(env, &st, size, old_esp);
    } else {
        st = (Stack){env->seg[R_SS].base, old_esp,
                     (env->seg[R_SS].flags & DESC_B_MASK) != 0};
        if (!st.big) {
            st.sp &= 0xffff;
        }
        /* room on the current stack, else #SS(EXT) (SDM Vol. 2A INT n,
           "INTRA-PRIVILEGE-LEVEL-INTERRUPT") */
        if (!x86_stack_fits(&env->seg[R_SS], st.sp, (3u + (push_err ? 1 : 0)) * (uint32_t)size)) {
            x86_raise_exception(env, 12, ext_bit);
        }
    }
    push(env, &st, size, x86_get_eflags(env));
    push(env, &st, size, env->seg[R_CS].selector);
    push(env, &st, size, (uint32_t)env->eip);
    if (push_err) {
        push(env, &st, size, err);
    }
    /* commit: nothing below can fault */
    if (switch_stack) {
        env->seg[R_SS] = new_ss;
    }
    if (vm) {
        /* and are loaded with null selectors: ring 0 cannot use real-mode values */
        static const int data_segs[] = {R_ES, R_DS, R_FS, R_GS};
        for (unsigned i = 0; i < 4; i++) {
            env->seg[data_segs[i]] = (SegmentCache){0};
        }
    }
    if (st.big) {
        env->regs[R_ESP] = st.sp;
    } else {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | st.sp;
    }
    x86_seg_cache_load(&env->seg[R_CS], (uint16_t)((sel & ~3u) | new_cpl), clo, chi);
    env->eip = gate32 ? offset : (offset & 0xffff);
    env->eflags &= ~(uint32_t)(EFL_TF | EFL_NT | EFL_RF | EFL_VM);
    if (!(type & 1)) {
        env->eflags &= ~(uint32_t)EFL_IF; /* interrupt gates, not trap gates */
    }
    x86_update_hflags(env);
}

/* A triple fault: the processor shuts down and the chipset resets it (SDM 6.15, vector 8). */
static void triple_fault(CPUX86State *env)
{
    Machine *m = env->common.machine;
    fprintf(stderr, "xlat: triple fault at %04x:%08" PRIx64 "%s\n", env->seg[R_CS].selector,
            env->eip, m->opt.no_reboot ? "" : "; resetting");
    if (m->opt.no_reboot) {
        machine_request_exit(m, XLAT_EXIT_GUEST_ERROR);
        return;
    }
    /* the whole board resets (devices, A20, the interrupt wiring), between slices */
    machine_request_reset(m);
}

bool x86_deliver_event(CPUX86State *env, int vector, bool soft, bool ext)
{
    bool push_err = !soft && has_error_code(vector) && (env->cr[0] & CR0_PE);
    uint32_t err = env->error_code;
    /* an event ends the instruction some other way than retiring into the next one: no
       single-step trap for it (a fault restarts it; INT n clears TF, SDM Vol. 3A 17.3.1.4) */
    env->ss_pending = 0;
    env->dbp_pending = 0; /* nor a data breakpoint trap (SDM Vol. 3A 17.3.1.2) */
    if (env->delivering >= 0 && !soft) {
        /* this exception happened while delivering another one (SDM Table 6-5) */
        int first = exception_class(env->delivering), second = exception_class(vector);
        env->delivering = -1;
        if (first == CLASS_DF) {
            triple_fault(env);
            return false;
        }
        if ((first == CLASS_CONTRIBUTORY && second == CLASS_CONTRIBUTORY) ||
            (first == CLASS_PF && second != CLASS_BENIGN)) {
            vector = EXCP_DF;
            push_err = true;
            err = 0;
        }
    }
    env->delivering = soft ? -1 : vector;
    if (!soft && !ext && is_fault(vector)) {
        /* the EFLAGS image of a fault has RF = 1, so the IRET that restarts the instruction
           does not stop again at an instruction breakpoint on it (SDM Vol. 3A 17.3.1.1); the
           delivery paths clear RF in EFLAGS once the image is saved */
        env->eflags |= EFL_RF;
    }
    if (env->common.tcg->log_mask & LOG_INT) {
        fprintf(env->common.tcg->log,
                "int: vector %d%s at %04x:%08" PRIx64 " error %#x cr2 %#" PRIx64 "\n", vector,
                soft ? " (software)" : ext ? " (external)" : "", env->seg[R_CS].selector,
                env->eip, push_err ? err : 0, env->cr[2]);
    }
    /* EXT in the error code of a fault raised while delivering this event: set for every
       event but INT n, INT3 and INTO — interrupts, NMI, exceptions, INT1 (SDM Vol. 3A 6.13) */
    bool ext_bit = ext || !soft;
    if (env->efer & EFER_LMA) {
        x86_deliver_long(env, vector, soft, ext_bit, push_err, err); /* cpu/long-mode.c */
    } else if (env->cr[0] & CR0_PE) {
        deliver_protected(env, vector, soft, ext_bit, push_err, err);
    } else {
        deliver_real(env, vector);
    }
    env->delivering = -1;
    return true;
}
