/*
 * cpu/helper-prot.c — helpers for the protection and system-management instructions: the task
 * register and LDT (LTR, LLDT), descriptor-table stores (SGDT, SIDT, SLDT, STR), INVLPG, CLTS,
 * LMSW/SMSW, the model-specific registers (RDMSR/WRMSR), and the descriptor inspection
 * instructions (LAR, LSL, VERR, VERW). Intel SDM Vol. 2 for each instruction, Vol. 3A 3.4-3.5
 * (descriptors), 7.2 (TSS), 4.10.4 (INVLPG), Vol. 4 (MSRs).
 */
#include <inttypes.h>
#include <stdio.h>

#include "cpu/cpu-models.h"
#include "cpu/translate.h"
#include "softmmu/machine.h"

static unsigned cpl_of(CPUX86State *env)
{
    return (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
}

/* Privileged instructions: #GP(0) unless CPL = 0 (and #UD in real mode where the SDM says). */
static void require_cpl0(CPUX86State *env)
{
    if ((env->cr[0] & CR0_PE) && cpl_of(env) != 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
}

/* A descriptor from the GDT (selector TI = 0) or the LDT; false if beyond the table's limit. */
static bool fetch_descriptor(CPUX86State *env, uint32_t sel, uint32_t *lo, uint32_t *hi)
{
    uint32_t index = sel & ~7u;
    const SegmentCache *ldt = &env->ldt;
    uint32_t base = (sel & 4) ? ldt->base : env->gdt.base;
    uint32_t limit = (sel & 4) ? ldt->limit : env->gdt.limit;
    if ((sel & 4) && (ldt->selector & ~3u) == 0) {
        return false; /* a null LDT has no entries */
    }
    if (index + 7 > limit) {
        return false;
    }
    *lo = cpu_ld_data(env, base + index, 4);
    *hi = cpu_ld_data(env, base + index + 4, 4);
    return true;
}

/* LTR r/m16 (SDM Vol. 2A LTR): an available TSS descriptor from the GDT; marks it busy. */
static void helper_ltr(CPUX86State *env, uint32_t sel)
{
    if (!(env->cr[0] & CR0_PE)) {
        x86_raise_exception(env, EXCP_UD, 0);
    }
    require_cpl0(env);
    sel &= 0xffff;
    if ((sel & ~3u) == 0 || (sel & 4)) {
        x86_raise_exception(env, EXCP_GP, sel & ~3u);
    }
    uint32_t lo, hi;
    if (!fetch_descriptor(env, sel, &lo, &hi)) {
        x86_raise_exception(env, EXCP_GP, sel & ~3u);
    }
    unsigned type = (hi >> 8) & 0x1f; /* S = 0 and type 1 (16-bit) or 9 (32-bit) available */
    bool lma = env->efer & EFER_LMA;
    if (type != 0x09 && (type != 0x01 || lma)) {
        x86_raise_exception(env, EXCP_GP, sel & ~3u); /* long mode: a 64-bit TSS only */
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, sel & ~3u);
    }
    uint32_t base_hi = 0;
    if (lma) {
        /* a 16-byte system descriptor: base bits 63..32 in the third dword (SDM Vol. 3A
           8.2.3) */
        base_hi = cpu_ld_data(env, (uint32_t)env->gdt.base + (sel & ~7u) + 8, 4);
    }
    hi |= 2u << 8; /* busy */
    cpu_st_data(env, env->gdt.base + (sel & ~7u) + 4, 4, hi);
    x86_seg_cache_load(&env->tr, sel, lo, hi);
    env->tr.base |= (uint64_t)base_hi << 32;
}
IRHelper helper_ltr_desc = {"ltr", (void *)helper_ltr,
                            IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 2,
                            {IR_PTR, IR_I32}, NULL};

/* LLDT r/m16: an LDT descriptor from the GDT, or a null selector (no LDT). */
static void helper_lldt(CPUX86State *env, uint32_t sel)
{
    if (!(env->cr[0] & CR0_PE)) {
        x86_raise_exception(env, EXCP_UD, 0);
    }
    require_cpl0(env);
    sel &= 0xffff;
    if ((sel & ~3u) == 0) {
        env->ldt.selector = sel;
        env->ldt.base = 0;
        env->ldt.limit = 0;
        return;
    }
    uint32_t lo, hi;
    if ((sel & 4) || !fetch_descriptor(env, sel, &lo, &hi)) {
        x86_raise_exception(env, EXCP_GP, sel & ~3u);
    }
    if (((hi >> 8) & 0x1f) != 0x02) {
        x86_raise_exception(env, EXCP_GP, sel & ~3u);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, sel & ~3u);
    }
    x86_seg_cache_load(&env->ldt, sel, lo, hi);
}
IRHelper helper_lldt_desc = {"lldt", (void *)helper_lldt,
                             IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 2,
                             {IR_PTR, IR_I32}, NULL};

/* SGDT/SIDT m: limit then base; with a 16-bit operand size the high base byte is stored as is
   on 386 and later (SDM: "the upper 8 bits ... are filled with the base"). */
static void helper_sxdt(CPUX86State *env, uint64_t addr, uint32_t is_idt)
{
    const DescTable *t = is_idt ? &env->idt : &env->gdt;
    /* the operand is written at the CPL: SGDT at CPL 3 cannot store to a supervisor page */
    if (env->hflags & HF_CS64) {
        cpu_st_operand(env, addr, 2, t->limit); /* 64-bit mode: the base is 8 bytes */
        cpu_st_operand(env, addr + 2, 8, t->base);
        return;
    }
    cpu_st_operand(env, (uint32_t)addr, 2, t->limit);
    cpu_st_operand(env, (uint32_t)addr + 2, 4, (uint32_t)t->base);
}
IRHelper helper_sxdt_desc = {"sxdt", (void *)helper_sxdt,
                             IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 3,
                             {IR_PTR, IR_I64, IR_I32}, NULL};

/* SLDT/STR: the selectors (readable at any CPL in protected mode; #UD in real mode). */
static uint32_t helper_read_ldtr_tr(CPUX86State *env, uint32_t is_tr)
{
    if (!(env->cr[0] & CR0_PE)) {
        x86_raise_exception(env, EXCP_UD, 0);
    }
    return is_tr ? env->tr.selector : env->ldt.selector;
}
IRHelper helper_read_ldtr_tr_desc = {"read_ldtr_tr", (void *)helper_read_ldtr_tr,
                                     IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_I32, 2,
                                     {IR_PTR, IR_I32}, NULL};

/* INVLPG m (SDM Vol. 3A 4.10.4.1): drop the translations of one page. */
static void helper_invlpg(CPUX86State *env, uint64_t addr)
{
    require_cpl0(env);
    tlb_flush_page(env->common.machine, addr);
}
IRHelper helper_invlpg_desc = {"invlpg", (void *)helper_invlpg,
                               IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 2,
                               {IR_PTR, IR_I64}, NULL};

/* CLTS, LMSW (only PE, MP, EM, TS; LMSW cannot clear PE), SMSW (the low 16 bits of CR0). */
static void helper_clts(CPUX86State *env)
{
    require_cpl0(env);
    env->cr[0] &= ~(uint64_t)CR0_TS;
}
IRHelper helper_clts_desc = {"clts", (void *)helper_clts,
                             IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 1,
                             {IR_PTR}, NULL};

static void helper_lmsw(CPUX86State *env, uint32_t v)
{
    require_cpl0(env);
    uint32_t mask = CR0_PE | CR0_MP | CR0_EM | CR0_TS;
    uint32_t cr0 = (uint32_t)env->cr[0];
    uint32_t n = (cr0 & ~(mask & ~(uint32_t)CR0_PE)) | (v & mask);
    n |= cr0 & CR0_PE; /* LMSW sets PE but never clears it */
    env->cr[0] = n;
    x86_update_hflags(env);
}
IRHelper helper_lmsw_desc = {"lmsw", (void *)helper_lmsw, IR_CALL_MAY_RAISE, IR_RET_VOID, 2,
                             {IR_PTR, IR_I32}, NULL};

uint64_t x86_read_tsc(CPUX86State *env)
{
    Machine *m = env->common.machine;
    return (x86_icount_now(env) << m->clock.shift) + (uint64_t)m->clock.idle_ns + env->tsc_offset;
}

/* ---- model-specific registers (SDM Vol. 4 Table 2-2; only what xlat implements) ---- */

enum {
    MSR_IA32_TSC = 0x10,
    MSR_IA32_APIC_BASE = 0x1b,
    MSR_IA32_BIOS_SIGN_ID = 0x8b,
    MSR_IA32_MTRRCAP = 0xfe,
    MSR_IA32_SYSENTER_CS = 0x174,
    MSR_IA32_SYSENTER_ESP = 0x175,
    MSR_IA32_SYSENTER_EIP = 0x176,
    MSR_IA32_MISC_ENABLE = 0x1a0,
    MSR_IA32_PAT = 0x277,
    MSR_MTRR_PHYSBASE0 = 0x200, /* ..0x20f: 8 variable ranges */
    MSR_MTRR_FIX64K = 0x250,
    MSR_MTRR_FIX16K_80000 = 0x258,
    MSR_MTRR_FIX16K_A0000 = 0x259,
    MSR_MTRR_FIX4K_C0000 = 0x268, /* ..0x26f */
    MSR_MTRR_DEF_TYPE = 0x2ff,
    MSR_EFER = 0xc0000080,
    MSR_STAR = 0xc0000081,
    MSR_LSTAR = 0xc0000082,
    MSR_CSTAR = 0xc0000083,
    MSR_FMASK = 0xc0000084,
    MSR_FS_BASE = 0xc0000100,
    MSR_GS_BASE = 0xc0000101,
    MSR_KERNEL_GS_BASE = 0xc0000102,
    MSR_TSC_AUX = 0xc0000103,
};

/* Does CPUID report RDTSCP (80000001H EDX bit 27)? It and IA32_TSC_AUX exist only then. */
static bool has_rdtscp(CPUX86State *env)
{
    const X86CPUChoice *c = &env->common.machine->opt.cpu_model;
    uint32_t edx = c->model ? c->features[FEAT_8001_EDX] : x86_cpu_implemented(FEAT_8001_EDX);
    return edx & (1u << 27);
}

/* A 64-bit linear address is canonical when bits 63..47 are all equal (SDM Vol. 1 3.3.7.1). */
static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Where a plain read-back MSR lives; NULL if the index is not one. */
static uint64_t *msr_slot(CPUX86State *env, uint32_t index)
{
    switch (index) {
    case MSR_IA32_SYSENTER_CS: return &env->msr.sysenter_cs;
    case MSR_IA32_SYSENTER_ESP: return &env->msr.sysenter_esp;
    case MSR_IA32_SYSENTER_EIP: return &env->msr.sysenter_eip;
    case MSR_IA32_MISC_ENABLE: return &env->msr.misc_enable;
    /* Software writes 0, runs CPUID and reads the loaded microcode's revision from the high
       half (SDM Vol. 3A 10.11.7.1): xlat has no microcode, so the revision reads as 0. */
    case MSR_IA32_BIOS_SIGN_ID: return &env->msr.bios_sign_id;
    case MSR_IA32_PAT: return &env->msr.pat;
    case MSR_MTRR_DEF_TYPE: return &env->msr.mtrr_def_type;
    case MSR_STAR: return &env->msr.star;
    case MSR_FMASK: return &env->msr.fmask;
    case MSR_MTRR_FIX64K: return &env->msr.mtrr_fixed[0];
    case MSR_MTRR_FIX16K_80000: return &env->msr.mtrr_fixed[1];
    case MSR_MTRR_FIX16K_A0000: return &env->msr.mtrr_fixed[2];
    default:
        if (index >= MSR_MTRR_FIX4K_C0000 && index <= MSR_MTRR_FIX4K_C0000 + 7) {
            return &env->msr.mtrr_fixed[3 + index - MSR_MTRR_FIX4K_C0000];
        }
        if (index >= MSR_MTRR_PHYSBASE0 && index < MSR_MTRR_PHYSBASE0 + 16) {
            return &env->msr.mtrr_var[index - MSR_MTRR_PHYSBASE0];
        }
        return NULL;
    }
}

uint64_t x86_read_msr(CPUX86State *env, uint32_t index, bool *ok)
{
    *ok = true;
    if (apic_msr_owns(index)) {
        /* IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC registers: the local APIC's */
        uint64_t v = 0;
        *ok = apic_read_msr(&env->common.machine->apic, index, &v);
        return v;
    }
    uint64_t *slot = msr_slot(env, index);
    if (slot) {
        return *slot;
    }
    switch (index) {
    case MSR_IA32_TSC:
        return x86_read_tsc(env);
    case MSR_IA32_MTRRCAP:
        return 0x508; /* 8 variable ranges, fixed ranges, write-combining */
    case MSR_EFER:
        return env->efer;
    case MSR_FS_BASE:
        return env->seg[R_FS].base;
    case MSR_GS_BASE:
        return env->seg[R_GS].base;
    case MSR_KERNEL_GS_BASE:
        return env->msr.kernel_gs_base;
    case MSR_LSTAR:
        return env->msr.lstar;
    case MSR_CSTAR:
        return env->msr.cstar;
    case MSR_TSC_AUX:
        *ok = has_rdtscp(env);
        return env->msr.tsc_aux;
    default:
        *ok = false;
        return 0;
    }
}

bool x86_write_msr(CPUX86State *env, uint32_t index, uint64_t v)
{
    if (apic_msr_owns(index)) {
        return apic_write_msr(&env->common.machine->apic, index, v);
    }
    uint64_t *slot = msr_slot(env, index);
    if (slot) {
        *slot = v;
        return true;
    }
    switch (index) {
    case MSR_IA32_TSC:
        env->tsc_offset = v - (x86_read_tsc(env) - env->tsc_offset);
        return true;
    case MSR_EFER: {
        /* SCE, LME and NXE are implemented: reserved bits are #GP, and so is changing LME
           while paging is on (SDM Vol. 3A 9.8.5). LMA is read-only: CR0.PG sets and clears
           it. */
        if (v & ~(uint64_t)(EFER_SCE | EFER_NXE | EFER_LME | EFER_LMA)) {
            return false;
        }
        if (((v ^ env->efer) & EFER_LME) && (env->cr[0] & CR0_PG)) {
            return false;
        }
        v = (v & ~(uint64_t)EFER_LMA) | (env->efer & EFER_LMA);
        if ((v ^ env->efer) & EFER_NXE) {
            tlb_flush(env->common.machine);
        }
        env->efer = v;
        return true;
    }
    case MSR_FS_BASE:
    case MSR_GS_BASE:
        if (!canonical(v)) {
            return false;
        }
        env->seg[index == MSR_FS_BASE ? R_FS : R_GS].base = v;
        x86_update_hflags(env); /* the zero-base bits of the TB key */
        return true;
    case MSR_TSC_AUX:
        /* bits 63..32 are reserved (SDM Vol. 4 Table 2-2, IA32_TSC_AUX) */
        if (!has_rdtscp(env) || (v >> 32)) {
            return false;
        }
        env->msr.tsc_aux = v;
        return true;
    case MSR_KERNEL_GS_BASE:
    case MSR_LSTAR:
    case MSR_CSTAR:
        if (!canonical(v)) {
            return false;
        }
        *(index == MSR_LSTAR ? &env->msr.lstar : index == MSR_CSTAR ? &env->msr.cstar
                                                                    : &env->msr.kernel_gs_base) = v;
        return true;
    default:
        return false;
    }
}

/* RDTSCP (SDM Vol. 2B): the TSC as RDTSC (returned: EDX:EAX), and ECX = IA32_TSC_AUX[31:0]
   (zero-extended into RCX). #UD unless CPUID reports it; CR4.TSD makes it privileged. */
static uint64_t helper_rdtscp(CPUX86State *env)
{
    if (!has_rdtscp(env)) {
        x86_raise_exception(env, EXCP_UD, 0);
    }
    if ((env->cr[4] & (1u << 2)) && cpl_of(env) != 0 && (env->cr[0] & CR0_PE)) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    env->regs[R_ECX] = (uint32_t)env->msr.tsc_aux;
    return x86_read_tsc(env);
}
IRHelper helper_rdtscp_desc = {"rdtscp", (void *)helper_rdtscp, IR_CALL_MAY_RAISE, IR_I64, 1,
                               {IR_PTR}, NULL};

/* MOV to and from CR8 in 64-bit mode (SDM Vol. 3A 10.8.6.1): CR8[3:0] is TPR[7:4] of the
   local APIC, which keeps the one copy (its x2APIC MSR 808H, else the xAPIC register at 80H,
   the interfaces it offers the CPU for RDMSR and memory accesses); TPR[3:0] reads as 0 after a
   CR8 write. Setting bits 63..4 is #GP(0) (SDM Vol. 2B MOV CRn). Returns the value read. */
static uint64_t helper_cr8(CPUX86State *env, uint32_t write, uint64_t v)
{
    APICState *apic = &env->common.machine->apic;
    enum { X2APIC_TPR = 0x808, XAPIC_TPR = 0x80 };
    if (write) {
        if (v >> 4) {
            x86_raise_exception(env, EXCP_GP, 0);
        }
        if (!apic_write_msr(apic, X2APIC_TPR, v << 4)) {
            apic_mmio_write(apic, XAPIC_TPR, v << 4, 4);
        }
        return 0;
    }
    uint64_t tpr;
    if (!apic_read_msr(apic, X2APIC_TPR, &tpr)) {
        tpr = apic_mmio_read(apic, XAPIC_TPR, 4);
    }
    return (tpr >> 4) & 0xf;
}
IRHelper helper_cr8_desc = {"cr8", (void *)helper_cr8,
                            IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_I64, 3,
                            {IR_PTR, IR_I32, IR_I64}, NULL};

/* RDMSR/WRMSR: ECX selects; EDX:EAX is the value; unknown MSRs are #GP(0). */
static void helper_rdmsr(CPUX86State *env)
{
    require_cpl0(env);
    bool ok;
    uint64_t v = x86_read_msr(env, (uint32_t)env->regs[R_ECX], &ok);
    if (!ok) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = (uint32_t)(v >> 32);
}
IRHelper helper_rdmsr_desc = {"rdmsr", (void *)helper_rdmsr, IR_CALL_MAY_RAISE, IR_RET_VOID, 1,
                              {IR_PTR}, NULL};

static void helper_wrmsr(CPUX86State *env)
{
    require_cpl0(env);
    uint64_t v = (uint32_t)env->regs[R_EAX] | (uint64_t)(uint32_t)env->regs[R_EDX] << 32;
    if (!x86_write_msr(env, (uint32_t)env->regs[R_ECX], v)) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
}
IRHelper helper_wrmsr_desc = {"wrmsr", (void *)helper_wrmsr, IR_CALL_MAY_RAISE, IR_RET_VOID, 1,
                              {IR_PTR}, NULL};

/* ---- LAR, LSL, VERR, VERW (SDM Vol. 2A): ZF says whether the selector passed ---- */

/* Is the descriptor visible at the current CPL for these instructions? */
static bool desc_accessible(CPUX86State *env, uint32_t sel, uint32_t hi)
{
    unsigned dpl = (hi >> 13) & 3, rpl = sel & 3, cpl = cpl_of(env);
    bool conforming_code = (hi & (1u << 12)) && (hi & (1u << 11)) && (hi & (1u << 10));
    return conforming_code || (dpl >= cpl && dpl >= rpl);
}

/* returns (ok << 32) | value; op 0 LAR, 1 LSL, 2 VERR, 3 VERW */
static uint64_t helper_desc_check(CPUX86State *env, uint32_t sel, uint32_t op)
{
    if (!(env->cr[0] & CR0_PE)) {
        x86_raise_exception(env, EXCP_UD, 0);
    }
    sel &= 0xffff;
    uint32_t lo, hi;
    if ((sel & ~3u) == 0 || !fetch_descriptor(env, sel, &lo, &hi)) {
        return 0;
    }
    bool s = hi & (1u << 12);
    unsigned type = (hi >> 8) & 0xf;
    if (op <= 1 && !s) {
        /* system descriptors LAR/LSL accept: TSS (1, 3, 9, 11), LDT (2); LAR also gates */
        static const uint16_t lar_ok = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 9 |
                                       1 << 11 | 1 << 12 | 1 << 14 | 1 << 15;
        static const uint16_t lsl_ok = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 9 | 1 << 11;
        if (!((op == 0 ? lar_ok : lsl_ok) & (1u << type))) {
            return 0;
        }
    } else if (op >= 2 && !s) {
        return 0;
    }
    if (!desc_accessible(env, sel, hi)) {
        return 0;
    }
    uint32_t v = 0;
    switch (op) {
    case 0:
        v = hi & 0x00f0ff00u;
        break;
    case 1:
        v = (lo & 0xffff) | (hi & 0xf0000);
        if (hi & DESC_G_MASK) {
            v = (v << 12) | 0xfff;
        }
        break;
    case 2: /* readable: any data segment, or code with the readable bit */
        if ((type & 8) && !(type & 2)) {
            return 0;
        }
        break;
    default: /* writable data only */
        if ((type & 8) || !(type & 2)) {
            return 0;
        }
        break;
    }
    return (1ull << 32) | v;
}
IRHelper helper_desc_check_desc = {"desc_check", (void *)helper_desc_check,
                                   IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_I64, 3,
                                   {IR_PTR, IR_I32, IR_I32}, NULL};

/* IOPL-sensitive instructions outside ring 0 (called only when CPL > 0 in protected mode).
   port < 0: CLI/STI, #GP(0) when CPL > IOPL (SDM CLI/STI, without VME/PVI). Otherwise port I/O
   of `size` bytes: allowed when CPL <= IOPL, else every bit of the TSS I/O permission bitmap
   for those ports must be 0 (SDM Vol. 1 18.3.2); a 16-bit TSS has no bitmap. */
static void helper_check_io(CPUX86State *env, uint32_t port, uint32_t size)
{
    unsigned cpl = cpl_of(env), iopl = (env->eflags >> 12) & 3;
    /* in virtual-8086 mode port I/O always goes by the bitmap, whatever IOPL says (SDM Vol. 3A
       20.2.8.1); port < 0 is then also PUSHF/POPF/INT n/IRET, IOPL-sensitive there (20.2.7) */
    if (cpl <= iopl && !((env->eflags & EFL_VM) && (int32_t)port >= 0)) {
        return;
    }
    if ((int32_t)port < 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    unsigned type = (env->tr.flags >> 8) & 0xf;
    if ((type != 0x9 && type != 0xb) || env->tr.limit < 0x67) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint32_t map = cpu_ld_data(env, env->tr.base + 0x66, 2);
    uint32_t byte = map + (port >> 3);
    if (byte + 1 > env->tr.limit) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint32_t bits = cpu_ld_data(env, env->tr.base + byte, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
}
IRHelper helper_check_io_desc = {"check_io", (void *)helper_check_io,
                                 IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 3,
                                 {IR_PTR, IR_I32, IR_I32}, NULL};

/* The limit check of a size-byte access at seg:off against the cached limit (SDM Vol. 3A 5.3):
   #GP(0), or #SS(0) through SS. Expand-down segments hold the offsets above the limit, up to
   64 KiB or 4 GiB by the B bit. Real and virtual-8086 mode check the cached limit the same way
   (SDM Vol. 3A 20.1.3: an access that would wrap past FFFFh faults). */
void x86_seg_limit_check(CPUX86State *env, int seg, uint32_t off, int size)
{
    const SegmentCache *s = &env->seg[seg];
    int vector = seg == R_SS ? 12 : EXCP_GP;
    uint64_t last = (uint64_t)off + (uint32_t)size - 1;
    if (((s->flags >> 8) & 0x1c) == 0x14) {
        uint64_t top = (s->flags & DESC_B_MASK) ? 0xffffffffull : 0xffffull;
        if (off <= s->limit || last > top) {
            x86_raise_exception(env, vector, 0);
        }
    } else if (last > s->limit) {
        x86_raise_exception(env, vector, 0);
    }
}

/* Whether n bytes pushed below sp stay within the stack segment s (SDM Vol. 3A 5.3; the room
   checks of Vol. 2A CALL, INT n and 6.12.1): offsets sp - n .. sp - 1, wrapping at 64 KiB or
   4 GiB by the B bit; an expand-down segment holds the offsets above its limit. */
bool x86_stack_fits(const SegmentCache *s, uint32_t sp, uint32_t n)
{
    uint64_t top = (s->flags & DESC_B_MASK) ? 0xffffffffull : 0xffffull;
    uint64_t end = sp & top;
    bool down = ((s->flags >> 8) & 0x1c) == 0x14;
    if (end == 0) {
        end = top + 1; /* SP 0: the first push goes to the top of the segment */
    }
    if (n > end) {
        /* wraps: the part below 0 lands at the top, offset 0 is in the low part */
        return !down && s->limit >= top;
    }
    return down ? end - n > s->limit : end - 1 <= s->limit;
}

/* A data access through a segment that may fault (SDM Vol. 3A 5.3 limit checking, 5.7 rights):
   a null selector, a not-present or system segment, or the wrong rights are #GP(0), or #SS(0)
   through SS; with SEG_CHECK_WRITE, the segment must be writable data; size 0 checks rights
   only. Real and virtual-8086 mode have no null selectors and no rights checks, only the
   cached limit (SDM Vol. 3A 20.1.3, 20.2.1). */
static void helper_seg_check(CPUX86State *env, uint32_t arg, uint32_t off)
{
    int seg = (int)(arg & 0xff);
    int vector = seg == R_SS ? 12 : EXCP_GP;
    const SegmentCache *s = &env->seg[seg];
    uint32_t type = (s->flags >> 8) & 0x1f;
    uint32_t size = (arg >> 8) & 0xff;
    bool real = !(env->cr[0] & CR0_PE) || (env->eflags & EFL_VM);
    if (!real) {
        if ((s->selector & ~3u) == 0 || !(s->flags & DESC_P_MASK) || !(type & 0x10)) {
            x86_raise_exception(env, vector, 0);
        }
        if (arg & SEG_CHECK_WRITE) {
            if ((type & 0x18) != 0x10 || !(type & 0x02)) {
                x86_raise_exception(env, vector, 0); /* code, or read-only data */
            }
        } else if ((type & 0x18) == 0x18 && !(type & 0x02)) {
            x86_raise_exception(env, vector, 0); /* execute-only code */
        }
    }
    if (size != 0) {
        x86_seg_limit_check(env, seg, off, (int)size);
    }
}
IRHelper helper_seg_check_desc = {"seg_check", (void *)helper_seg_check,
                                  IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 3,
                                  {IR_PTR, IR_I32, IR_I32}, NULL};
