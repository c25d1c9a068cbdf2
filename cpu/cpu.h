/*
 * cpu/cpu.h — the guest x86 CPU: architectural state and the frontend's entry points.
 *
 * CPUX86State begins with the engine's CPUCommon (budget, TLB) so translated code reaches both
 * with fixed offsets from one pointer. General registers are 64-bit slots; 16- and 32-bit code
 * uses their low halves (the i32 IR globals alias them). The arithmetic flags live in lazy form
 * in `cc` (see tcg/ir.h, IRLazyFlags); `eflags` holds every other EFLAGS bit.
 */
#ifndef XLAT_CPU_CPU_H
#define XLAT_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/float80.h"
#include "softmmu/irq.h"
#include "tcg/cpu-common.h"
#include "tcg/ir.h"

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
enum { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS, R_NB_SEGS };

/* EFLAGS bits outside the lazy arithmetic set (Intel SDM Vol. 1 3.4.3) */
enum {
    EFL_FIXED1 = 1 << 1, /* always reads as 1 */
    EFL_TF = 1 << 8,
    EFL_IF = 1 << 9,
    EFL_DF = 1 << 10,
    EFL_IOPL = 3 << 12,
    EFL_NT = 1 << 14,
    EFL_RF = 1 << 16,
    EFL_VM = 1 << 17,
    EFL_AC = 1 << 18,
    EFL_ID = 1 << 21,
};

/* CR0 bits */
enum { CR0_PE = 1 << 0, CR0_MP = 1 << 1, CR0_EM = 1 << 2, CR0_TS = 1 << 3, CR0_ET = 1 << 4,
       CR0_NE = 1 << 5, CR0_WP = 1 << 16, CR0_AM = 1 << 18, CR0_NW = 1 << 29, CR0_CD = 1 << 30,
       CR0_PG = 1u << 31 };

/* CR4 bits */
enum { CR4_VME = 1 << 0, CR4_PVI = 1 << 1, CR4_TSD = 1 << 2, CR4_DE = 1 << 3, CR4_PSE = 1 << 4,
       CR4_PAE = 1 << 5, CR4_MCE = 1 << 6, CR4_PGE = 1 << 7, CR4_PCE = 1 << 8,
       CR4_OSFXSR = 1 << 9, CR4_OSXMMEXCPT = 1 << 10 };
/* EFER (MSR C000_0080) */
enum { EFER_SCE = 1 << 0, EFER_LME = 1 << 8, EFER_LMA = 1 << 10, EFER_NXE = 1 << 11 };

/* hflags: the mode bits that change how code is translated (part of the TB key) */
enum {
    HF_CS32 = 1 << 0,  /* default operand and address size 32 (CS.D) */
    HF_SS32 = 1 << 1,  /* stack size 32 (SS.B) */
    HF_PE = 1 << 2,    /* protected mode */
    HF_CPL_SHIFT = 3,  /* two bits: current privilege level */
    HF_CPL_MASK = 3 << 3,
    HF_LMA = 1 << 5,   /* long mode active: EFER.LMA (SDM Vol. 3A 9.8.5) */
    HF_CS64 = 1 << 6,  /* 64-bit mode: LMA and CS.L (SDM Vol. 3A 5.2.1) */
    HF_PG = 1 << 7,    /* paging: direct jumps chain only within a page */
    /* segment bases known to be zero, so translated code skips adding them */
    HF_ZERO_BASE_SHIFT = 8, /* one bit per segment register, R_ES..R_GS */
    /* segments whose limit or rights can fault (protected mode, not a flat writable 4 GiB
       data segment; real and virtual-8086 mode, a cached limit below 4 GiB): translated
       accesses through them call a check first */
    HF_SEG_CHECK_SHIFT = 16,
    /* EFLAGS.TF: every block is one instruction followed by a single-step #DB (cpu/debug.c) */
    HF_TF = 1 << 24,
    /* an instruction breakpoint is enabled in DR7: each instruction checks DR0-DR3 first */
    HF_BP = 1 << 25,
    /* virtual-8086 mode (EFLAGS.VM with PE): CPL 3, 16-bit, real-mode segments, IOPL-sensitive
       PUSHF/POPF/INT n/IRET (SDM Vol. 3A 20.2) */
    HF_VM = 1 << 26,
    /* real or virtual-8086 mode with a segment whose cached limit is below FFFFh or
       expand-down: every access is checked by the helper (in these modes the HF_SEG_CHECK
       bits otherwise only route the accesses that can cross FFFFh, SDM Vol. 3A 20.1.3, to an
       inline compare) */
    HF_RM_SMALL_LIMIT = 1 << 27,
    /* DR7 enables a data or I/O breakpoint: a REP string instruction stops after the
       iteration that hit one, for its #DB trap (cpu/debug.c) */
    HF_WATCH = 1 << 28,
};

/* Segment descriptor cache (SDM Vol. 3A 3.4.3): what a segment load leaves behind. */
typedef struct SegmentCache {
    uint32_t selector;
    uint32_t limit;
    uint64_t base;  /* 64 bits for FS and GS in 64-bit mode (SDM Vol. 3A 3.4.4) */
    uint32_t flags; /* descriptor bits 8..23 of the high dword: type, S, DPL, P, AVL, L, D/B, G */
    uint32_t pad;
} SegmentCache;
#define DESC_L_MASK (1u << 21) /* L: 64-bit code segment (SDM Vol. 3A 5.2.1) */
#define DESC_B_MASK (1u << 22) /* D/B, in the high dword of a descriptor */
#define DESC_G_MASK (1u << 23)
#define DESC_P_MASK (1u << 15)

typedef struct DescTable {
    uint64_t base; /* 64 bits in long mode (LGDT/LIDT with a 64-bit operand) */
    uint16_t limit;
    uint16_t pad[3];
} DescTable;

/* exception vectors (SDM Vol. 3A 6.3.1) */
enum { EXCP_DE = 0, EXCP_DB = 1, EXCP_NMI = 2, EXCP_BP = 3, EXCP_UD = 6, EXCP_NM = 7, EXCP_DF = 8,
       EXCP_SS = 12, EXCP_GP = 13, EXCP_PF = 14, EXCP_MF = 16 };

/* The x87 FPU (SDM Vol. 1 8.1; operations in cpu/x87.c). st[] are the physical registers
   R0..R7: ST(i) is st[(TOP + i) & 7], TOP being FSW bits 11-13. ftw is the full tag word
   (2 bits per physical register: 0 valid, 1 zero, 2 special, 3 empty). The last-instruction
   pointers are what FNSTENV/FNSAVE/FXSAVE store: fip/fdp offsets (64 bits in 64-bit mode,
   which only FXSAVE64 stores whole: SDM Vol. 1 8.1.8), fcs/fds selectors, fop the 11-bit
   opcode. ferr: FERR# is asserted (the PC's IRQ 13 path with CR0.NE = 0). */
typedef struct X87State {
    Float80 st[8];
    uint16_t fcw, fsw, ftw, fop;
    uint64_t fip, fdp;
    uint16_t fcs, fds;
    uint32_t mxcsr;
    uint32_t ferr;
} X87State;

typedef struct CPUX86State {
    CPUCommon common; /* must be first */

    uint64_t regs[16];
    uint64_t eip;
    uint32_t eflags; /* everything but the arithmetic flags, which are in cc */
    uint32_t hflags;
    IRLazyFlags cc;

    SegmentCache seg[R_NB_SEGS];
    SegmentCache ldt, tr;
    DescTable gdt, idt;
    uint64_t cr[5];
    /* the last successful x86_tlb_translate found a global translation (cpu/paging.c) */
    bool walk_global;
    uint64_t efer;
    /* model-specific registers that read back what was written (cpu/helper-prot.c) */
    struct {
        uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
        uint64_t misc_enable, pat, apic_base;
        uint64_t bios_sign_id; /* 0x8B: the microcode revision is its high half */
        uint64_t mtrr_def_type, mtrr_fixed[11], mtrr_var[16];
        uint64_t kernel_gs_base; /* C000_0102, exchanged with GS.base by SWAPGS */
        uint64_t star, lstar, cstar, fmask; /* C000_0081-0084: SYSCALL/SYSRET */
        uint64_t tsc_aux; /* C000_0103: what RDTSCP returns in ECX */
    } msr;
    uint64_t tsc_offset; /* what WRMSR to the TSC added to the virtual clock's count */
    /* debug registers DR0-DR7 (SDM Vol. 3A 17.2; DR4/DR5 are not stored: they alias DR6/DR7
       or are #UD), and the single-step trap owed by the instruction running now */
    uint64_t dr[8]; /* DR0-DR3 hold 64-bit linear addresses in long mode (17.2.6) */
    uint32_t ss_pending;
    /* B0-B3 of the data and I/O breakpoints the running instruction hit: a #DB trap after it */
    uint32_t dbp_pending;
    X87State fpu;

    uint32_t halted;
    int32_t exception;   /* pending exception vector, or -1 */
    uint32_t error_code;
    uint8_t exception_soft; /* INT n / INT3 / INTO: gate DPL is checked, no error code */
    int32_t delivering;     /* vector being delivered (for #DF), or -1 */

    /* the INTR pin (level, driven by the interrupt controller) and where to ask for the
       vector when the CPU accepts it (INTA cycle) */
    /* the interrupt shadow after STI, MOV SS, POP SS (one instruction): bit 0 holds off
       interrupts, bit 1 (MOV SS, POP SS only) the single-step trap too */
    uint32_t inhibit_irq;
    uint32_t intr_line;
    /* NMI (SDM Vol. 3A 6.7.1): an edge seen on the pin and not yet taken; NMIs blocked from the
       delivery of one until the next IRET */
    uint32_t nmi_pending;
    uint32_t nmi_blocked;
    int (*intr_ack)(void *opaque);
    void *intr_opaque;
    IRQLine ferr_line; /* FERR#, wired by the board to IRQ 13 (wiring, not state) */
} CPUX86State;

static inline CPUX86State *x86_env(CPUCommon *c) { return (CPUX86State *)c; }

struct Machine;
struct TCGFrontend;
extern const struct TCGFrontend x86_frontend;

void x86_cpu_init(CPUX86State *env, struct Machine *m);
/* Power-on/reset state (SDM Vol. 3A 9.1.1): real mode at F000:FFF0, CS base FFFF0000. */
void x86_cpu_reset(CPUX86State *env);
/* EFLAGS as the guest sees it (materializes the lazy flags). */
uint32_t x86_get_eflags(CPUX86State *env);
void x86_set_eflags(CPUX86State *env, uint32_t v, uint32_t update_mask);
/* Recompute hflags after a mode or segment change. */
void x86_update_hflags(CPUX86State *env);
/* Linear -> physical for the softmmu (cpu/paging.c). access: 0 read, 1 write, 2 fetch;
   mmu_idx: 0 kernel data, 1 user data, 2 kernel code, 3 user code. Returns false with the
   fault recorded in env (the caller raises it). On success env->walk_global says whether the
   translation is global (G in the leaf entry with CR4.PGE: SDM Vol. 3A 4.10.2.4). */
bool x86_tlb_translate(CPUX86State *env, uint64_t linear, int access, int mmu_idx,
                       uint64_t *phys);
void x86_dump_state(CPUX86State *env, FILE *out);
/* Drive the INTR pin (hw/: the PIC or the local APIC). Raising it makes the CPU leave
   translated code at the next block boundary; if IF=1 it then acknowledges through intr_ack and
   delivers the vector (SDM Vol. 3A 6.8.1). */
void x86_cpu_set_intr(CPUX86State *env, bool level);
/* An edge on the NMI pin (hw/apic.c): vector 2 is delivered at the next instruction boundary,
   whatever IF says, unless an NMI handler is still running (blocked until its IRET). */
void x86_cpu_nmi(CPUX86State *env);
/* MSR access for RDMSR/WRMSR and for devices that shadow an MSR (cpu/helper-prot.c) */
uint64_t x86_read_msr(CPUX86State *env, uint32_t index, bool *ok);
bool x86_write_msr(CPUX86State *env, uint32_t index, uint64_t v);
/* The time-stamp counter: the virtual clock in ns plus what the guest wrote (SDM Vol. 3B
   17.17: a constant-rate TSC) */
uint64_t x86_read_tsc(CPUX86State *env);
/* Load a descriptor cache from a descriptor's two dwords (cpu/seg.c) */
void x86_seg_cache_load(SegmentCache *s, uint32_t sel, uint32_t lo, uint32_t hi);
/* Protected-mode far transfers (cpu/seg.c) */
void x86_far_call_pm(CPUX86State *env, uint32_t sel, uint32_t off, int opsize,
                     uint32_t next_eip);
void x86_far_ret_pm(CPUX86State *env, int opsize, uint32_t imm);
/* After a return to outer level cpl: null DS/ES/FS/GS that level may not use (cpu/seg.c) */
void x86_null_inaccessible_segments(CPUX86State *env, unsigned cpl);
/* JMP far through a call gate (sel's descriptor lo:hi, a system descriptor) */
void x86_far_jmp_gate(CPUX86State *env, uint32_t sel, uint32_t lo, uint32_t hi);
/* cpu/helper-prot.c: a size-byte access at seg:off against the cached limit, else #GP/#SS(0) */
void x86_seg_limit_check(CPUX86State *env, int seg, uint32_t off, int size);
/* ... and whether n bytes pushed from sp onto the stack segment s stay within its limit */
bool x86_stack_fits(const SegmentCache *s, uint32_t sp, uint32_t n);
void x86_iret_pm(CPUX86State *env, int opsize);
/* IA-32e mode (cpu/long-mode.c): delivery through the 64-bit IDT, IRET in 64-bit mode */
void x86_deliver_long(CPUX86State *env, int vector, bool soft, bool ext, bool push_err,
                      uint32_t err);
void x86_iret_long(CPUX86State *env, int opsize);
void x86_far_ret_long(CPUX86State *env, int opsize, uint32_t imm);
void x86_far_call_long(CPUX86State *env, uint32_t sel, uint64_t off, int opsize,
                       uint64_t next_rip);
/* far CALL (call = true) or JMP through the 16-byte call gate sel, whose first 8 bytes are
   lo:hi (IA-32e mode, from 64-bit or compatibility mode) */
void x86_call_gate_long(CPUX86State *env, uint32_t sel, uint32_t lo, uint32_t hi, bool call,
                        uint64_t next_rip);
/* Hardware task switches (cpu/task.c, SDM Vol. 3A chapter 7). x86_task_jmp_call takes the
   descriptor a far JMP/CALL selected and returns false unless it is a TSS or a task gate. */
enum { X86_TASK_JMP, X86_TASK_CALL, X86_TASK_IRET, X86_TASK_INT };
bool x86_task_jmp_call(CPUX86State *env, uint32_t sel, uint32_t lo, uint32_t hi, bool call,
                       uint32_t next_eip);
void x86_task_iret(CPUX86State *env, uint32_t next_eip);
void x86_task_gate_event(CPUX86State *env, uint32_t gate_lo, bool ext, bool push_err,
                         uint32_t err);
/* Debug (cpu/debug.c, SDM Vol. 3A chapter 17): the bits of DR6/DR7 that read as 1, whether
   DR7 enables an instruction breakpoint, and the single-step #DB owed after an instruction
   (delivered between blocks; returns true if it delivered one). */
#define DR6_FIXED1 0xffff0ff0u
#define DR7_FIXED1 0x00000400u
enum { DR6_BD = 1 << 13, DR6_BS = 1 << 14 };
#define DR7_GD (1u << 13)
bool x86_exec_breakpoints(const CPUX86State *env);
bool x86_single_step_trap(CPUX86State *env);
/* Data and I/O breakpoints: does DR7 enable any; does one watch the linear page `page` for
   writes (write) or reads; the slow-path check of an access to a watched page; the check after
   IN/OUT/INS/OUTS. */
bool x86_watch_enabled(const CPUX86State *env);
bool x86_watch_page(const CPUX86State *env, uint64_t page, bool write);
void x86_watch_access(CPUX86State *env, uint64_t addr, unsigned size, bool write);
void x86_io_breakpoint(CPUX86State *env, uint32_t port, uint32_t size);
/* Deliver vector now (cpu/excp.c): soft for INT n/INT3/INTO, ext for external interrupts; the
   error code, if the vector has one, is env->error_code. Faults during delivery longjmp to the
   loop (double and triple faults are handled there). */
bool x86_deliver_event(CPUX86State *env, int vector, bool soft, bool ext);
void x86_cpu_set_intr_ack(CPUX86State *env, int (*ack)(void *opaque), void *opaque);
/* The x87 (cpu/x87.c): the state after RESET (FCW 0x0040, registers +0.0: SDM Vol. 3A
   Table 9-1), the FERR# wiring, the IGNNE# write of port 0xF0 (clears FERR#), the snapshot
   field table, the state hash and dump. */
void x87_reset(CPUX86State *env);
void x86_cpu_set_ferr(CPUX86State *env, IRQLine line);
void x87_clear_ferr(CPUX86State *env);
uint64_t x87_state_hash(const CPUX86State *env, uint64_t h);
extern const struct VMStateDescription x87_vmstate; /* the fields of X87State */
void x87_dump_state(const CPUX86State *env, FILE *out);
/* A hash of the architectural state (registers, flags, segments, control registers). */
uint64_t x86_state_hash(CPUX86State *env, uint64_t seed);

#endif
