/*
 * cpu/cpu.c — the x86 CPU outside translated code: reset state, EFLAGS assembly, mode flags,
 * exception delivery between blocks, state dumps and hashes, and guest disassembly for logs.
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <string.h>

#include "cpu/translate.h"
#include "softmmu/machine.h"

void x86_cpu_init(CPUX86State *env, struct Machine *m)
{
    memset(env, 0, sizeof(*env));
    env->common.machine = m;
    env->common.tcg = &m->tcg;
}

/* SDM Vol. 3A 9.1.1, Table 9-1: the state after RESET. */
void x86_cpu_reset(CPUX86State *env)
{
    CPUCommon common = env->common;
    memset(env, 0, sizeof(*env));
    env->common = common;
    env->common.budget = 0;
    env->eflags = EFL_FIXED1;
    env->cc.kind = IR_FL_KIND(IR_FL_EFLAGS, 2);
    env->cc.res = 0;
    env->eip = 0xfff0;
    env->cr[0] = CR0_ET | CR0_CD | CR0_NW;
    for (int i = 0; i < R_NB_SEGS; i++) {
        env->seg[i].selector = 0;
        env->seg[i].base = 0;
        env->seg[i].limit = 0xffff;
        env->seg[i].flags = DESC_P_MASK | (1u << 12) | (2u << 8); /* present, data, writable */
    }
    env->seg[R_CS].selector = 0xf000;
    env->seg[R_CS].base = 0xffff0000u;
    env->seg[R_CS].flags = DESC_P_MASK | (1u << 12) | (0xbu << 8); /* code, accessed, readable */
    env->gdt.limit = env->idt.limit = 0xffff;
    env->regs[R_EDX] = 0x600; /* family 6 in the reset signature */
    env->exception = -1;
    env->delivering = -1;
    /* MSR reset values (SDM Vol. 4): PAT's power-on value, the APIC enabled at its default
       base as the bootstrap processor, fast strings enabled */
    env->msr.pat = 0x0007040600070406ull;
    env->msr.apic_base = 0xfee00000u | (1u << 11) | (1u << 8);
    env->msr.misc_enable = 1;
    /* the TR and LDTR caches after reset (SDM Table 9-1): base 0, limit FFFF, present */
    env->tr.limit = env->ldt.limit = 0xffff;
    env->tr.flags = DESC_P_MASK | (0xbu << 8);  /* busy 32-bit TSS */
    env->ldt.flags = DESC_P_MASK | (0x2u << 8); /* LDT */
    env->dr[6] = DR6_FIXED1;
    env->dr[7] = DR7_FIXED1;
    x87_reset(env);
    x86_update_hflags(env);
}

uint32_t x86_get_eflags(CPUX86State *env)
{
    IRLazyFlags *c = &env->cc;
    return (env->eflags & ~(uint32_t)IR_EFL_ARITH) | EFL_FIXED1 |
           ir_flags_compute(c->kind, c->res, c->a, c->b, c->c);
}

void x86_set_eflags(CPUX86State *env, uint32_t v, uint32_t mask)
{
    uint32_t cur = x86_get_eflags(env);
    v = (cur & ~mask) | (v & mask);
    env->cc.kind = IR_FL_KIND(IR_FL_EFLAGS, 2);
    env->cc.res = v & IR_EFL_ARITH;
    env->eflags = (v & ~(uint32_t)IR_EFL_ARITH) | EFL_FIXED1;
    if ((cur ^ v) & (EFL_TF | EFL_VM | EFL_RF)) {
        /* single-stepping, v8086 mode, RF (cleared after the next instruction): how blocks
           are made */
        x86_update_hflags(env);
    }
    if ((env->eflags & EFL_IF) && !(cur & EFL_IF) && env->intr_line) {
        cpu_exit(&env->common); /* POPF/IRET enabled a pending interrupt: take it next */
    }
}

void x86_update_hflags(CPUX86State *env)
{
    uint32_t h = 0;
    if (env->cr[0] & CR0_PG) {
        h |= HF_PG;
    }
    if (env->cr[0] & CR0_PE) {
        h |= HF_PE;
        if (env->eflags & EFL_VM) {
            h |= HF_VM | (3u << HF_CPL_SHIFT); /* 16-bit code at CPL 3 (SDM Vol. 3A 20.2.1) */
        } else {
            if (env->seg[R_CS].flags & DESC_B_MASK) {
                h |= HF_CS32;
            }
            if (env->seg[R_SS].flags & DESC_B_MASK) {
                h |= HF_SS32;
            }
            h |= (env->seg[R_CS].selector & 3) << HF_CPL_SHIFT;
        }
    }
    if (env->efer & EFER_LMA) {
        h |= HF_LMA;
        /* CS.L selects 64-bit mode, else compatibility mode (SDM Vol. 3A 5.2.1) */
        if (env->seg[R_CS].flags & DESC_L_MASK) {
            h = (h & ~(uint32_t)(HF_CS32 | HF_SS32)) | HF_CS64;
        }
    }
    if (!(h & HF_CS64) && IR_FL_SIZE(env->cc.kind) == 3) {
        /* 64-bit flags left lazy for code that keeps i32 operands: materialize them */
        uint32_t e = ir_flags_compute(env->cc.kind, env->cc.res, env->cc.a, env->cc.b,
                                      env->cc.c);
        env->cc.kind = IR_FL_KIND(IR_FL_EFLAGS, 2);
        env->cc.res = e;
    }
    for (int i = 0; i < R_NB_SEGS; i++) {
        const SegmentCache *sc = &env->seg[i];
        if (h & HF_CS64) {
            /* 64-bit mode: no base but FS's and GS's, no limit checks (SDM Vol. 3A 3.2.4) */
            if (sc->base == 0 || (i != R_FS && i != R_GS)) {
                h |= 1u << (HF_ZERO_BASE_SHIFT + i);
            }
            continue;
        }
        if (sc->base == 0) {
            h |= 1u << (HF_ZERO_BASE_SHIFT + i);
        }
        /* a flat, present, writable, expand-up data segment can never fault a data access */
        uint32_t type = (sc->flags >> 8) & 0x1f; /* S and the four type bits */
        bool flat_rw = (sc->flags & DESC_P_MASK) && (type & 0x1a) == 0x12 && !(type & 0x04) &&
                       sc->limit == 0xffffffffu;
        if ((env->cr[0] & CR0_PE) && !(env->eflags & EFL_VM)) {
            if (i != R_CS && !flat_rw) {
                h |= 1u << (HF_SEG_CHECK_SHIFT + i);
            }
        } else if (i != R_CS && sc->limit != 0xffffffffu) {
            /* real and virtual-8086 mode check the cached limit too (SDM Vol. 3A 20.1.3):
               a word at offset FFFFh faults; "unreal" 4 GiB limits never do */
            h |= 1u << (HF_SEG_CHECK_SHIFT + i);
            if (sc->limit < 0xffff || ((sc->flags >> 8) & 0x1c) == 0x14) {
                h |= HF_RM_SMALL_LIMIT; /* a small or an expand-down cached limit */
            }
        }
    }
    if (env->eflags & EFL_TF) {
        h |= HF_TF;
    }
    if (x86_exec_breakpoints(env) || (env->eflags & EFL_RF)) {
        h |= HF_BP; /* helper_check_bp also clears RF after one instruction (cpu/debug.c) */
    }
    if (x86_watch_enabled(env)) {
        h |= HF_WATCH;
    }
    env->hflags = h;
}

void x86_cpu_set_intr(CPUX86State *env, bool level)
{
    env->intr_line = level;
    if (level) {
        cpu_exit(&env->common);
    }
}

void x86_cpu_nmi(CPUX86State *env)
{
    env->nmi_pending = 1; /* edge-triggered: several edges before delivery make one NMI */
    cpu_exit(&env->common);
}

void x86_cpu_set_intr_ack(CPUX86State *env, int (*ack)(void *opaque), void *opaque)
{
    env->intr_ack = ack;
    env->intr_opaque = opaque;
}

bool x86_exec_pending(CPUCommon *c)
{
    CPUX86State *env = x86_env(c);
    Machine *m = env->common.machine;
    if (env->exception >= 0) {
        int vector = env->exception;
        bool soft = env->exception_soft;
        env->exception = -1;
        env->exception_soft = 0;
        x86_deliver_event(env, vector, soft, false);
        if (m->exit_requested) {
            return true;
        }
    }
    /* the single-step and data/I/O breakpoint traps of the instruction that just retired
       (cpu/debug.c) */
    if ((env->ss_pending || env->dbp_pending) && x86_single_step_trap(env) && m->exit_requested) {
        return true;
    }
    bool nmi = env->nmi_pending && !env->nmi_blocked;
    bool want = nmi || (env->intr_line && (env->eflags & EFL_IF) && env->intr_ack);
    if (env->inhibit_irq) {
        /* the shadow covers exactly the next instruction: run it alone, then look again */
        env->inhibit_irq = 0;
        if (want) {
            env->common.tcg->next_cflags = 1 | CF_NOCACHE;
        }
        return env->halted != 0;
    }
    /* an NMI comes before maskable interrupts (SDM Vol. 3A 6.9, Table 6-2) and blocks further
       NMIs until the next IRET (6.7.1) */
    if (nmi) {
        env->nmi_pending = 0;
        env->nmi_blocked = 1;
        env->halted = 0;
        x86_deliver_event(env, EXCP_NMI, false, true);
        return m->exit_requested || env->halted != 0;
    }
    /* external interrupts are taken between instructions when IF = 1 (SDM Vol. 3A 6.8.1);
       the acknowledge tells the controller the CPU took it */
    if (want) {
        int vector = env->intr_ack(env->intr_opaque);
        if (vector >= 0) {
            env->halted = 0;
            x86_deliver_event(env, vector, false, true);
            if (m->exit_requested) {
                return true;
            }
        }
    }
    return env->halted != 0;
}

void x86_dump_state(CPUX86State *env, FILE *out)
{
    if (env->hflags & HF_LMA) {
        /* long mode: the 64-bit registers first */
        static const char *const n64[16] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI",
                                            "RDI", "R8 ", "R9 ", "R10", "R11", "R12", "R13",
                                            "R14", "R15"};
        for (int i = 0; i < 16; i++) {
            fprintf(out, "%s=%016" PRIx64 "%s", n64[i], env->regs[i], i % 4 == 3 ? "\n" : " ");
        }
        fprintf(out, "RIP=%016" PRIx64 " EFER=%08" PRIx64 " CR3=%016" PRIx64 "\n", env->eip,
                env->efer, env->cr[3]);
    }
    static const char *const names[8] = {"EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP"};
    static const int order[8] = {R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP};
    for (int i = 0; i < 8; i++) {
        fprintf(out, "%s=%08" PRIx32 "%s", names[i], (uint32_t)env->regs[order[i]],
                i % 4 == 3 ? "\n" : " ");
    }
    fprintf(out, "EIP=%08" PRIx32 " EFL=%08" PRIx32 " CR0=%08" PRIx32 " HF=%08" PRIx32 "\n",
            (uint32_t)env->eip, x86_get_eflags(env), (uint32_t)env->cr[0], env->hflags);
    static const char *const segs[R_NB_SEGS] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    for (int i = 0; i < R_NB_SEGS; i++) {
        fprintf(out, "%s =%04" PRIx32 " %08" PRIx64 " %08" PRIx32 " %08" PRIx32 "\n", segs[i],
                env->seg[i].selector, env->seg[i].base, env->seg[i].limit, env->seg[i].flags);
    }
    fprintf(out, "GDT=     %08" PRIx64 " %08x\n", env->gdt.base, env->gdt.limit);
    x87_dump_state(env, out);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 0x100000001b3ull;
    }
    return h;
}

uint64_t x86_state_hash(CPUX86State *env, uint64_t h)
{
    uint64_t v[16 + 13];
    for (int i = 0; i < 16; i++) {
        v[i] = env->regs[i];
    }
    v[16] = env->eip;
    v[17] = x86_get_eflags(env);
    v[18] = env->cr[0];
    v[19] = env->cr[3];
    v[20] = env->cr[4];
    v[21] = env->efer;
    v[22] = env->msr.kernel_gs_base;
    v[23] = env->hflags;
    v[24] = env->cr[2];
    v[25] = env->msr.star;
    v[26] = env->msr.lstar;
    v[27] = env->msr.cstar;
    v[28] = env->msr.fmask;
    h = fnv(h, v, sizeof(v));
    h = fnv(h, env->seg, sizeof(env->seg));
    h = fnv(h, &env->gdt, sizeof(env->gdt));
    h = fnv(h, &env->idt, sizeof(env->idt));
    return x87_state_hash(env, h);
}

/* -d in_asm: Capstone's text for each instruction, at the boundaries xlat's decoder found. */
void x86_disas_tb(TCGContext *s, CPUCommon *c, TranslationBlock *tb, FILE *out)
{
    (void)s;
    csh cs;
    int mode = (tb->flags & HF_CS64)   ? CS_MODE_64
               : (tb->flags & HF_CS32) ? CS_MODE_32
                                       : CS_MODE_16;
    if (cs_open(CS_ARCH_X86, mode, &cs) != CS_ERR_OK) {
        return;
    }
    /* Logging must not change what the guest sees: read exactly the bytes the translation
       fetched (each instruction's own, up to the next one or the block's end), never the bytes
       after them, whose fetch could walk the page tables (setting Accessed bits) or record a
       fault; and keep the fault state as it was in case a TLB refill records one anyway. */
    CPUX86State *env = x86_env(c);
    uint64_t cr2 = env->cr[2];
    int exception = env->exception;
    uint32_t error_code = env->error_code;
    for (uint32_t i = 0; i < tb->icount; i++) {
        uint64_t pc = tb->insn_pc[i], phys;
        uint64_t end = i + 1 < tb->icount ? tb->insn_pc[i + 1] : tb->pc + tb->size;
        int want = end > pc && end - pc <= 15 ? (int)(end - pc) : 15;
        uint8_t buf[16];
        int n = 0;
        for (; n < want; n++) {
            const uint8_t *p = softmmu_code_ptr(c, pc + n, &phys);
            if (!p) {
                break;
            }
            buf[n] = *p;
        }
        X86Insn d;
        int len = x86_decode(&d, buf, n,
                             (tb->flags & HF_CS64) ? 64 : (tb->flags & HF_CS32) ? 32 : 16);
        cs_insn *insn;
        size_t cnt = len > 0 ? cs_disasm(cs, buf, (size_t)len, pc - tb->cs_base, 1, &insn) : 0;
        fprintf(out, "0x%08" PRIx64 ":  ", pc);
        for (int k = 0; k < 8; k++) {
            if (k < len) {
                fprintf(out, "%02x", buf[k]);
            } else {
                fputs("  ", out);
            }
        }
        if (cnt) {
            fprintf(out, "  %s %s\n", insn[0].mnemonic, insn[0].op_str);
            cs_free(insn, cnt);
        } else {
            fprintf(out, "  (%s)\n", len > 0 ? x86_mnemonic_info[d.mnemonic].name : "invalid");
        }
    }
    env->cr[2] = cr2;
    env->exception = exception;
    env->error_code = error_code;
    cs_close(&cs);
}
