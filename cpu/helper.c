/*
 * cpu/helper.c — the C functions translated code calls for what is not worth inlining: port
 * I/O, segment loads, far jumps, descriptor-table and control-register writes, HLT, and the
 * report of an instruction xlat does not implement. Each has an IRHelper next to it saying
 * what it touches, which is what the backends' register allocators trust.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cpu/translate.h"
#include "softmmu/machine.h"

static Machine *machine_of(CPUX86State *env)
{
    return env->common.machine;
}

uint32_t cpu_ld_data(CPUX86State *env, uint32_t addr, int size)
{
    return (uint32_t)softmmu_ld_slow(&env->common, addr, (uint32_t)size_log2(size));
}

void cpu_st_data(CPUX86State *env, uint32_t addr, int size, uint32_t val)
{
    softmmu_st_slow(&env->common, addr, val, (uint32_t)size_log2(size));
}

uint64_t cpu_ld_data64(CPUX86State *env, uint64_t addr, int size)
{
    return softmmu_ld_slow(&env->common, addr, (uint32_t)size_log2(size) | IR_MO_A64);
}

void cpu_st_data64(CPUX86State *env, uint64_t addr, int size, uint64_t val)
{
    softmmu_st_slow(&env->common, addr, val, (uint32_t)size_log2(size) | IR_MO_A64);
}

/* The instruction's own memory operand: a user-mode access at CPL 3 (SDM Vol. 3A 4.6.1), as
   translated code does (DisasContext.mmu_idx). cpu_ld_data/cpu_st_data above are
   supervisor-mode, right only for the implicit accesses to descriptor tables, the TSS and
   inner-ring stacks. */
static uint32_t operand_memop(const CPUX86State *env, int size)
{
    bool user = ((env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT) == 3;
    return (uint32_t)size_log2(size) | ((env->hflags & HF_CS64) ? IR_MO_A64 : 0) |
           (user ? 1u << IR_MEMOP_MMU_SHIFT : 0);
}

uint64_t cpu_ld_operand(CPUX86State *env, uint64_t addr, int size)
{
    if (!(env->hflags & HF_CS64)) {
        addr = (uint32_t)addr;
    }
    return softmmu_ld_slow(&env->common, addr, operand_memop(env, size));
}

void cpu_st_operand(CPUX86State *env, uint64_t addr, int size, uint64_t val)
{
    if (!(env->hflags & HF_CS64)) {
        addr = (uint32_t)addr;
    }
    softmmu_st_slow(&env->common, addr, val, operand_memop(env, size));
}

_Noreturn void x86_raise_exception(CPUX86State *env, int vector, uint32_t error_code)
{
    env->exception = vector;
    env->error_code = error_code;
    env->exception_soft = 0;
    tcg_raise(&env->common);
}

/* ---- port I/O ---- */

static uint32_t helper_in(CPUX86State *env, uint32_t port, uint32_t size)
{
    vclock_io_cycle(&machine_of(env)->clock);
    uint32_t v = io_read(&machine_of(env)->io, port & 0xffff, size);
    x86_io_breakpoint(env, port & 0xffff, size); /* a trap after the instruction */
    return v;
}
IRHelper helper_in_desc = {"in", (void *)helper_in,
                           IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS, IR_I32, 3,
                           {IR_PTR, IR_I32, IR_I32}, NULL};

static void helper_out(CPUX86State *env, uint32_t port, uint32_t val, uint32_t size)
{
    vclock_io_cycle(&machine_of(env)->clock);
    io_write(&machine_of(env)->io, port & 0xffff, val, size);
    x86_io_breakpoint(env, port & 0xffff, size);
}
IRHelper helper_out_desc = {"out", (void *)helper_out,
                            IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 4,
                            {IR_PTR, IR_I32, IR_I32, IR_I32}, NULL};

/* ---- HLT ---- */

static void helper_hlt(CPUX86State *env)
{
    env->halted = 1;
}
IRHelper helper_hlt_desc = {"hlt", (void *)helper_hlt,
                            IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 1,
                            {IR_PTR}, NULL};

/* ---- an instruction xlat does not know ---- */

static void helper_unimplemented(CPUX86State *env, uint32_t eip)
{
    Machine *m = machine_of(env);
    uint64_t pc = (uint32_t)(env->seg[R_CS].base + eip);
    fprintf(stderr, "xlat: unimplemented instruction at %04x:%08" PRIx32 " (bytes",
            env->seg[R_CS].selector, eip);
    for (int i = 0; i < 15; i++) {
        uint64_t phys;
        const uint8_t *p = softmmu_code_ptr(&env->common, pc + i, &phys);
        if (!p) {
            if (i == 0) {
                fprintf(stderr, " none: no memory to fetch from");
            }
            break;
        }
        fprintf(stderr, " %02x", *p);
        if (i >= 7) {
            break; /* enough to recognise it */
        }
    }
    fprintf(stderr, ")\n");
    machine_request_exit(m, XLAT_EXIT_GUEST_ERROR);
    tcg_raise(&env->common);
}
IRHelper helper_unimplemented_desc = {"unimplemented", (void *)helper_unimplemented,
                                      IR_CALL_MAY_RAISE, IR_RET_VOID, 2, {IR_PTR, IR_I32}, NULL};

/* ---- segments ---- */

void x86_load_seg_real(CPUX86State *env, int seg, uint16_t selector)
{
    SegmentCache *s = &env->seg[seg];
    s->selector = selector;
    s->base = (uint32_t)selector << 4;
    /* real mode keeps the limit and attributes of the cache (the "unreal mode" behaviour);
       virtual-8086 mode sets them: 64 KiB, present read/write data at DPL 3 (SDM Vol. 3A
       20.1.1, 20.2.1) */
    if (env->eflags & EFL_VM) {
        s->limit = 0xffff;
        s->flags = DESC_P_MASK | (3u << 13) | (1u << 12) | (3u << 8);
    }
    x86_update_hflags(env);
}

/* Read the descriptor for selector from the GDT or the LDT (TI); #GP(selector) beyond the
   table's limit. */
static void load_descriptor(CPUX86State *env, uint16_t selector, uint32_t *lo, uint32_t *hi)
{
    uint32_t index = selector & ~7u;
    uint32_t base = (selector & 4) ? env->ldt.base : env->gdt.base;
    uint32_t limit = (selector & 4) ? env->ldt.limit : env->gdt.limit;
    if (((selector & 4) && (env->ldt.selector & ~3u) == 0) || index + 7 > limit) {
        x86_raise_exception(env, EXCP_GP, selector & ~3u);
    }
    *lo = cpu_ld_data(env, base + index, 4);
    *hi = cpu_ld_data(env, base + index + 4, 4);
    if (!(*hi & (1u << 8)) && (*hi & (1u << 12))) {
        /* mark the segment accessed (SDM Vol. 3A 3.4.5.1: the processor sets it on a load) */
        *hi |= 1u << 8;
        cpu_st_data(env, base + index + 4, 4, *hi);
    }
}

/* MOV/POP to a data or stack segment register (SDM Vol. 2B MOV "Operation", Vol. 3A 5.5-5.7):
   SS takes a writable data segment with RPL = DPL = CPL; DS/ES/FS/GS take data or readable code,
   with max(CPL, RPL) <= DPL unless the code is conforming; a null selector is fine except in SS.
   Loading SS also opens the one-instruction interrupt shadow. */
static void helper_load_seg(CPUX86State *env, uint32_t seg, uint32_t selector)
{
    selector &= 0xffff;
    if (seg == R_SS) {
        env->inhibit_irq = 3; /* interrupts and debug traps too (SDM Vol. 3A 6.8.3) */
    }
    if (!(env->cr[0] & CR0_PE) || (env->eflags & EFL_VM)) {
        x86_load_seg_real(env, (int)seg, (uint16_t)selector);
        return;
    }
    unsigned cpl = (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
    unsigned rpl = selector & 3;
    if ((selector & ~3u) == 0) {
        if (seg == R_SS) {
            x86_raise_exception(env, EXCP_GP, 0);
        }
        env->seg[seg].selector = selector;
        env->seg[seg].base = 0;
        env->seg[seg].limit = 0;
        env->seg[seg].flags = 0;
        x86_update_hflags(env);
        return;
    }
    uint32_t lo, hi;
    load_descriptor(env, (uint16_t)selector, &lo, &hi);
    unsigned dpl = (hi >> 13) & 3;
    bool s_bit = hi & (1u << 12), code = hi & (1u << 11), conforming = hi & (1u << 10),
         rw = hi & (1u << 9);
    if (seg == R_SS) {
        if (rpl != cpl || dpl != cpl || !s_bit || code || !rw) {
            x86_raise_exception(env, EXCP_GP, selector & ~3u);
        }
        if (!(hi & DESC_P_MASK)) {
            x86_raise_exception(env, 12, selector & ~3u); /* #SS */
        }
    } else {
        if (!s_bit || (code && !rw)) {
            x86_raise_exception(env, EXCP_GP, selector & ~3u);
        }
        if ((!code || !conforming) && (rpl > dpl || cpl > dpl)) {
            x86_raise_exception(env, EXCP_GP, selector & ~3u);
        }
        if (!(hi & DESC_P_MASK)) {
            x86_raise_exception(env, 11, selector & ~3u); /* #NP */
        }
    }
    x86_seg_cache_load(&env->seg[seg], (uint16_t)selector, lo, hi);
    x86_update_hflags(env);
}
IRHelper helper_load_seg_desc = {"load_seg", (void *)helper_load_seg, IR_CALL_MAY_RAISE,
                                 IR_RET_VOID, 3, {IR_PTR, IR_I32, IR_I32}, NULL};

/* JMP ptr16:16/32 and JMP m16:16/32 (SDM Vol. 2A JMP, far jumps to conforming or
   non-conforming code segments at the same privilege; call gates in cpu/seg.c). */
static void helper_ljmp(CPUX86State *env, uint32_t selector, uint64_t offset64)
{
    uint32_t offset = (uint32_t)offset64;
    selector &= 0xffff;
    if (!(env->cr[0] & CR0_PE) || (env->eflags & EFL_VM)) {
        x86_load_seg_real(env, R_CS, (uint16_t)selector);
        env->eip = offset & 0xffff;
        x86_update_hflags(env);
        return;
    }
    if ((selector & ~3u) == 0) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    uint32_t lo, hi;
    load_descriptor(env, (uint16_t)selector, &lo, &hi);
    /* a TSS or a task gate: a task switch; the translator left EIP after the JMP in env->eip
       (cpu/task.c, SDM Vol. 3A 7.3) */
    if (!(hi & (1u << 12))) {
        if (!(env->efer & EFER_LMA) &&
            x86_task_jmp_call(env, selector, lo, hi, false, (uint32_t)env->eip)) {
            return;
        }
        x86_far_jmp_gate(env, selector, lo, hi); /* a call gate (cpu/seg.c), or #GP */
        return;
    }
    /* must be a code segment (S = 1, type bit 3 = 1) */
    if ((hi & (1u << 12)) == 0 || (hi & (1u << 11)) == 0) {
        x86_raise_exception(env, EXCP_GP, selector & ~3u);
    }
    /* privilege, before presence (SDM Vol. 2A JMP): a conforming segment needs DPL <= CPL, a
       nonconforming one RPL <= CPL and DPL = CPL; the CPL never changes */
    unsigned cpl = (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
    unsigned dpl = (hi >> 13) & 3, rpl = selector & 3;
    if ((hi & (1u << 10)) ? dpl > cpl : (rpl > cpl || dpl != cpl)) {
        x86_raise_exception(env, EXCP_GP, selector & ~3u);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise_exception(env, 11, selector & ~3u);
    }
    x86_seg_cache_load(&env->seg[R_CS], (uint16_t)((selector & ~3u) | cpl), lo, hi);
    /* the offset is as wide as the new code segment: 64-bit code (L = 1 in long mode, SDM
       Vol. 3A 5.2.1) takes it whole */
    bool wide = (env->seg[R_CS].flags & DESC_B_MASK) ||
                ((env->efer & EFER_LMA) && (env->seg[R_CS].flags & DESC_L_MASK));
    env->eip = wide ? offset : (offset & 0xffff);
    if ((env->efer & EFER_LMA) && (env->seg[R_CS].flags & DESC_L_MASK)) {
        env->eip = offset64; /* JMP m16:64 (REX.W) from 64-bit code */
    }
    x86_update_hflags(env);
}
IRHelper helper_ljmp_desc = {"ljmp", (void *)helper_ljmp, IR_CALL_MAY_RAISE, IR_RET_VOID, 3,
                             {IR_PTR, IR_I32, IR_I64}, NULL};

/* LGDT/LIDT m16&32: a 16-bit limit then the base; with a 16-bit operand size only 24 bits of the
   base are used (SDM Vol. 2A LGDT/LIDT). */
static void helper_lgdt(CPUX86State *env, uint64_t addr, uint32_t opsize, uint32_t is_idt)
{
    uint32_t limit, base32;
    uint64_t base;
    if (env->hflags & HF_CS64) {
        /* 64-bit mode: a 10-byte operand, the base 64 bits (SDM Vol. 2A LGDT/LIDT) */
        limit = (uint32_t)cpu_ld_data64(env, addr, 2);
        base = cpu_ld_data64(env, addr + 2, 8);
    } else {
        limit = cpu_ld_data(env, (uint32_t)addr, 2);
        base32 = cpu_ld_data(env, (uint32_t)addr + 2, 4);
        if (opsize == 2) {
            base32 &= 0xffffff;
        }
        base = base32;
    }
    DescTable *t = is_idt ? &env->idt : &env->gdt;
    t->base = base;
    t->limit = (uint16_t)limit;
}
IRHelper helper_lgdt_desc = {"lgdt", (void *)helper_lgdt,
                             IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 4,
                             {IR_PTR, IR_I64, IR_I32, IR_I32}, NULL};

/* MOV CRn, r32 (SDM Vol. 2B MOV, Vol. 3A 2.5 and 4.10.4): reserved bits set and PG without PE
   are #GP(0); a change to how addresses translate flushes the TLB. CR3 loads keep global
   translations; changing CR0.PG or CR4.PGE/PAE/PSE drops them too (4.10.4.1). */
static void helper_write_cr(CPUX86State *env, uint32_t n, uint64_t val64)
{
    Machine *m = machine_of(env);
    uint32_t val = (uint32_t)val64;
    if (n != 3 && (val64 >> 32)) {
        x86_raise_exception(env, EXCP_GP, 0); /* reserved upper halves (SDM Vol. 3A 2.5) */
    }
    switch (n) {
    case 0: {
        if ((val & CR0_PG) && !(val & CR0_PE)) {
            x86_raise_exception(env, EXCP_GP, 0);
        }
        if ((val & CR0_NW) && !(val & CR0_CD)) {
            x86_raise_exception(env, EXCP_GP, 0);
        }
        uint32_t old = (uint32_t)env->cr[0];
        /* IA-32e mode activation (SDM Vol. 3A 9.8.5): setting PG with EFER.LME needs CR4.PAE
           and sets EFER.LMA; 64-bit code cannot turn paging off, and clearing PG in
           compatibility mode leaves long mode */
        if ((val & CR0_PG) && !(old & CR0_PG) && (env->efer & EFER_LME)) {
            if (!(env->cr[4] & CR4_PAE)) {
                x86_raise_exception(env, EXCP_GP, 0);
            }
            env->efer |= EFER_LMA;
        } else if (!(val & CR0_PG) && (old & CR0_PG) && (env->efer & EFER_LMA)) {
            if (env->hflags & HF_CS64) {
                x86_raise_exception(env, EXCP_GP, 0);
            }
            env->efer &= ~(uint64_t)EFER_LMA;
        }
        env->cr[0] = val | CR0_ET;
        if ((old ^ (uint32_t)env->cr[0]) & (CR0_PG | CR0_WP | CR0_PE)) {
            tlb_flush(m);
        }
        x86_update_hflags(env);
        break;
    }
    case 2:
        env->cr[2] = val;
        break;
    case 3:
        env->cr[3] = (env->efer & EFER_LMA) ? val64 : val;
        tlb_flush_nonglobal(m); /* SDM Vol. 3A 4.10.4.1 */
        break;
    case 4: {
        /* bits xlat implements: VME is not, so the guest may not set it (CPUID says so) */
        uint32_t known = CR4_PSE | CR4_PAE | CR4_PGE | CR4_TSD | CR4_DE | CR4_MCE | CR4_PCE |
                         CR4_OSFXSR | CR4_OSXMMEXCPT;
        if (val & ~known) {
            x86_raise_exception(env, EXCP_GP, 0);
        }
        if ((env->efer & EFER_LMA) && !(val & CR4_PAE)) {
            x86_raise_exception(env, EXCP_GP, 0); /* SDM Vol. 3A 9.8.5 */
        }
        uint32_t old = (uint32_t)env->cr[4];
        env->cr[4] = val;
        if ((old ^ val) & (CR4_PSE | CR4_PAE | CR4_PGE)) {
            tlb_flush(m);
        }
        break;
    }
    default:
        x86_raise_exception(env, EXCP_UD, 0);
    }
}
IRHelper helper_write_cr_desc = {"write_cr", (void *)helper_write_cr, IR_CALL_MAY_RAISE,
                                 IR_RET_VOID, 3, {IR_PTR, IR_I32, IR_I64}, NULL};
