/*
 * cpu/translate-dispatch.c — which emitter translates which instruction: one table, indexed by
 * the decoder's mnemonic (cpu/mnemonics.def), pointing at the family emitters of
 * cpu/translate-*.c. A mnemonic without an entry is reported as unimplemented.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cpu/translate.h"

/* RDPMC: at CPL > 0 with CR4.PCE = 0 it is #GP(0), and the model has no performance counters,
   so every ECX names an invalid one: #GP(0) as well (SDM Vol. 2B RDPMC) */
static bool gen_rdpmc(DisasContext *dc)
{
    gen_raise(dc, EXCP_GP);
    return true;
}

static const X86TranslateFn translate_fn[MN_NB] = {
    /* integer ALU (translate-alu.c) */
    [MN_ADD] = gen_alu, [MN_OR] = gen_alu, [MN_ADC] = gen_alu, [MN_SBB] = gen_alu,
    [MN_AND] = gen_alu, [MN_SUB] = gen_alu, [MN_XOR] = gen_alu, [MN_CMP] = gen_alu,
    [MN_TEST] = gen_alu,
    [MN_INC] = gen_incdec, [MN_DEC] = gen_incdec,
    [MN_NOT] = gen_not_neg, [MN_NEG] = gen_not_neg,
    [MN_CMPXCHG] = gen_cmpxchg,
    [MN_CMPXCHG8B] = gen_cmpxchg8b, [MN_CMPXCHG16B] = gen_cmpxchg8b,
    [MN_XADD] = gen_xadd,
    /* multiply and divide (translate-muldiv.c) */
    [MN_MUL] = gen_mul, [MN_IMUL] = gen_mul,
    [MN_DIV] = gen_div, [MN_IDIV] = gen_div,
    /* shifts and rotates (translate-shift.c) */
    [MN_SHL] = gen_shift, [MN_SAL] = gen_shift, [MN_SHR] = gen_shift, [MN_SAR] = gen_shift,
    [MN_ROL] = gen_shift, [MN_ROR] = gen_shift, [MN_RCL] = gen_shift, [MN_RCR] = gen_shift,
    [MN_SHLD] = gen_shxd, [MN_SHRD] = gen_shxd,
    /* bits (translate-bits.c) */
    [MN_BT] = gen_bt, [MN_BTS] = gen_bt, [MN_BTR] = gen_bt, [MN_BTC] = gen_bt,
    [MN_BSF] = gen_bitscan, [MN_BSR] = gen_bitscan, [MN_TZCNT] = gen_bitscan,
    [MN_LZCNT] = gen_bitscan, [MN_POPCNT] = gen_bitscan,
    [MN_BSWAP] = gen_bswap,
    /* decimal arithmetic (translate-bcd.c) */
    [MN_DAA] = gen_bcd, [MN_DAS] = gen_bcd, [MN_AAA] = gen_bcd, [MN_AAS] = gen_bcd,
    [MN_AAM] = gen_bcd, [MN_AAD] = gen_bcd,
    /* data movement (translate-mov.c) */
    [MN_MOV] = gen_mov,
    [MN_MOVZX] = gen_movx, [MN_MOVSX] = gen_movx, [MN_MOVSXD] = gen_movx,
    [MN_CMOVCC] = gen_cmov,
    [MN_XCHG] = gen_xchg,
    [MN_LEA] = gen_lea,
    [MN_XLAT] = gen_xlat,
    [MN_CBW] = gen_cbw_cwd, [MN_CWD] = gen_cbw_cwd,
    [MN_LES] = gen_load_far, [MN_LDS] = gen_load_far, [MN_LSS] = gen_load_far,
    [MN_LFS] = gen_load_far, [MN_LGS] = gen_load_far,
    /* the stack (translate-stack.c) */
    [MN_PUSH] = gen_push_pop, [MN_POP] = gen_push_pop,
    [MN_PUSHA] = gen_pusha_popa, [MN_POPA] = gen_pusha_popa,
    [MN_PUSHF] = gen_pushf_popf, [MN_POPF] = gen_pushf_popf,
    [MN_ENTER] = gen_enter_leave, [MN_LEAVE] = gen_enter_leave,
    /* flags (translate-flags.c) */
    [MN_CLC] = gen_flag_bits, [MN_STC] = gen_flag_bits, [MN_CMC] = gen_flag_bits,
    [MN_CLD] = gen_flag_bits, [MN_STD] = gen_flag_bits, [MN_CLI] = gen_flag_bits,
    [MN_STI] = gen_flag_bits,
    [MN_LAHF] = gen_lahf_sahf, [MN_SAHF] = gen_lahf_sahf,
    [MN_SETCC] = gen_setcc, [MN_SALC] = gen_setcc,
    /* strings (translate-string.c) */
    [MN_MOVS] = gen_string, [MN_CMPS] = gen_string, [MN_SCAS] = gen_string,
    [MN_LODS] = gen_string, [MN_STOS] = gen_string, [MN_INS] = gen_string,
    [MN_OUTS] = gen_string,
    /* control flow (translate-control.c) */
    [MN_JMP] = gen_jump, [MN_JCC] = gen_jump,
    [MN_LOOP] = gen_loop, [MN_LOOPE] = gen_loop, [MN_LOOPNE] = gen_loop, [MN_JCXZ] = gen_loop,
    [MN_CALL] = gen_call_ret, [MN_RET] = gen_call_ret,
    [MN_JMPF] = gen_far, [MN_CALLF] = gen_far, [MN_RETF] = gen_far, [MN_IRET] = gen_far,
    [MN_INT] = gen_int, [MN_INT3] = gen_int, [MN_INTO] = gen_int,
    [MN_BOUND] = gen_bound,
    [MN_UD0] = gen_ud, [MN_UD1] = gen_ud, [MN_UD2] = gen_ud,
    /* system (translate-system.c) */
    [MN_IN] = gen_io, [MN_OUT] = gen_io,
    [MN_HLT] = gen_hlt,
    [MN_NOP] = gen_nop, [MN_INVD] = gen_nop, [MN_WBINVD] = gen_nop, /* no caches to write back */ [MN_PAUSE] = gen_nop,
    /* hints: ENDBR is a NOP while CET is off (SDM Vol. 2A ENDBR32), a prefetch never faults
       (Vol. 2B PREFETCHh, PREFETCHW) */
    [MN_ENDBR32] = gen_nop, [MN_ENDBR64] = gen_nop, [MN_PREFETCHW] = gen_nop,
    [MN_PREFETCHNTA] = gen_nop, [MN_PREFETCHT0] = gen_nop, [MN_PREFETCHT1] = gen_nop,
    [MN_PREFETCHT2] = gen_nop, [MN_RDPMC] = gen_rdpmc,
    [MN_LGDT] = gen_desc_table, [MN_LIDT] = gen_desc_table,
    [MN_MOVCR] = gen_mov_cr,
    [MN_MOVDR] = gen_mov_dr,
    [MN_SYSENTER] = gen_sysenter_sysexit, [MN_SYSEXIT] = gen_sysenter_sysexit,
    [MN_SYSCALL] = gen_syscall_sysret, [MN_SYSRET] = gen_syscall_sysret,
    [MN_SWAPGS] = gen_syscall_sysret,
    [MN_CPUID] = gen_cpuid,
    [MN_RDTSC] = gen_rdtsc, [MN_RDTSCP] = gen_rdtsc,
    /* x87 (translate-x87.c) */
    [MN_F2XM1] = gen_x87, [MN_FABS] = gen_x87, [MN_FADD] = gen_x87, [MN_FADDP] = gen_x87,
    [MN_FBLD] = gen_x87, [MN_FBSTP] = gen_x87, [MN_FCHS] = gen_x87, [MN_FCMOVB] = gen_x87,
    [MN_FCMOVBE] = gen_x87, [MN_FCMOVE] = gen_x87, [MN_FCMOVNB] = gen_x87,
    [MN_FCMOVNBE] = gen_x87, [MN_FCMOVNE] = gen_x87, [MN_FCMOVNU] = gen_x87,
    [MN_FCMOVU] = gen_x87, [MN_FCOM] = gen_x87, [MN_FCOMI] = gen_x87, [MN_FCOMIP] = gen_x87,
    [MN_FCOMP] = gen_x87, [MN_FCOMPP] = gen_x87, [MN_FCOS] = gen_x87, [MN_FDECSTP] = gen_x87,
    [MN_FDIV] = gen_x87, [MN_FDIVP] = gen_x87, [MN_FDIVR] = gen_x87, [MN_FDIVRP] = gen_x87,
    [MN_FFREE] = gen_x87, [MN_FFREEP] = gen_x87, [MN_FIADD] = gen_x87, [MN_FICOM] = gen_x87,
    [MN_FICOMP] = gen_x87, [MN_FIDIV] = gen_x87, [MN_FIDIVR] = gen_x87, [MN_FILD] = gen_x87,
    [MN_FIMUL] = gen_x87, [MN_FINCSTP] = gen_x87, [MN_FIST] = gen_x87, [MN_FISTP] = gen_x87,
    [MN_FISTTP] = gen_x87, [MN_FISUB] = gen_x87, [MN_FISUBR] = gen_x87, [MN_FLD] = gen_x87,
    [MN_FLD1] = gen_x87, [MN_FLDCW] = gen_x87, [MN_FLDENV] = gen_x87, [MN_FLDL2E] = gen_x87,
    [MN_FLDL2T] = gen_x87, [MN_FLDLG2] = gen_x87, [MN_FLDLN2] = gen_x87, [MN_FLDPI] = gen_x87,
    [MN_FLDZ] = gen_x87, [MN_FMUL] = gen_x87, [MN_FMULP] = gen_x87, [MN_FNCLEX] = gen_x87,
    [MN_FNINIT] = gen_x87, [MN_FNOP] = gen_x87, [MN_FNSAVE] = gen_x87, [MN_FNSTCW] = gen_x87,
    [MN_FNSTENV] = gen_x87, [MN_FNSTSW] = gen_x87, [MN_FPATAN] = gen_x87, [MN_FPREM] = gen_x87,
    [MN_FPREM1] = gen_x87, [MN_FPTAN] = gen_x87, [MN_FRNDINT] = gen_x87, [MN_FRSTOR] = gen_x87,
    [MN_FSCALE] = gen_x87, [MN_FSIN] = gen_x87, [MN_FSINCOS] = gen_x87, [MN_FSQRT] = gen_x87,
    [MN_FST] = gen_x87, [MN_FSTP] = gen_x87, [MN_FSUB] = gen_x87, [MN_FSUBP] = gen_x87,
    [MN_FSUBR] = gen_x87, [MN_FSUBRP] = gen_x87, [MN_FTST] = gen_x87, [MN_FUCOM] = gen_x87,
    [MN_FUCOMI] = gen_x87, [MN_FUCOMIP] = gen_x87, [MN_FUCOMP] = gen_x87,
    [MN_FUCOMPP] = gen_x87, [MN_FXAM] = gen_x87, [MN_FXCH] = gen_x87, [MN_FXTRACT] = gen_x87,
    [MN_FYL2X] = gen_x87, [MN_FYL2XP1] = gen_x87,
    [MN_WAIT] = gen_x87, [MN_FXSAVE] = gen_x87, [MN_FXRSTOR] = gen_x87,
    /* protection and system management (translate-prot.c) */
    [MN_LTR] = gen_ltr_lldt, [MN_LLDT] = gen_ltr_lldt,
    [MN_SGDT] = gen_sxdt, [MN_SIDT] = gen_sxdt,
    [MN_SLDT] = gen_sldt_str, [MN_STR] = gen_sldt_str,
    [MN_SMSW] = gen_smsw, [MN_LMSW] = gen_lmsw, [MN_CLTS] = gen_clts,
    [MN_INVLPG] = gen_invlpg,
    [MN_RDMSR] = gen_msr, [MN_WRMSR] = gen_msr,
    [MN_LAR] = gen_desc_check, [MN_LSL] = gen_desc_check,
    [MN_VERR] = gen_desc_check, [MN_VERW] = gen_desc_check,
    [MN_ARPL] = gen_arpl,
};

/*
 * Protection checks that depend only on the instruction and the block's CPL, stated once here
 * from the mnemonic table's attributes instead of in every emitter:
 *  - MA_PRIV instructions outside ring 0 are #GP(0) (SDM Vol. 3A 5.9, "privileged
 *    instructions");
 *  - CLI/STI and port I/O outside ring 0 depend on IOPL (and for I/O the TSS permission
 *    bitmap, SDM Vol. 1 18.3), which is dynamic: a helper checks it before the instruction;
 *    so do PUSHF/POPF/INT n/IRET in virtual-8086 mode.
 * Returns true if the instruction was fully handled (it faults unconditionally).
 */
static bool gen_protection_checks(DisasContext *dc)
{
    const X86Insn *in = &dc->insn;
    unsigned cpl = (dc->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
    if (!(dc->hflags & HF_PE) || cpl == 0) {
        return false;
    }
    uint8_t attrs = x86_mnemonic_info[in->mnemonic].attrs;
    if (dc->hflags & HF_VM) {
        /* "not recognized in virtual-8086 mode" (SDM Vol. 2 LLDT, LTR, SLDT, STR, LAR, LSL,
           VERR, VERW, ARPL): #UD before any privilege check */
        switch (in->mnemonic) {
        case MN_LLDT: case MN_LTR: case MN_SLDT: case MN_STR: case MN_LAR: case MN_LSL:
        case MN_VERR: case MN_VERW: case MN_ARPL:
            gen_raise(dc, EXCP_UD);
            return true;
        default:
            break;
        }
    }
    if (attrs & MA_PRIV) {
        gen_raise(dc, EXCP_GP);
        return true;
    }
    bool io = attrs & MA_IO;
    /* virtual-8086 mode: PUSHF, POPF, INT n and IRET are IOPL-sensitive too (SDM Vol. 3A
       20.2.7; without VME) */
    bool vm_iopl = (dc->hflags & HF_VM) &&
                   (in->mnemonic == MN_PUSHF || in->mnemonic == MN_POPF ||
                    in->mnemonic == MN_IRET || (in->mnemonic == MN_INT && in->nb_ops));
    if (io || vm_iopl || in->mnemonic == MN_CLI || in->mnemonic == MN_STI) {
        int port = gen_const(dc, -1), size = gen_const(dc, 0);
        if (io) {
            bool imm_port = in->map == 0 && (in->opcode & 0xf4) == 0xe4; /* E4-E7 */
            port = imm_port ? gen_const(dc, in->imm & 0xff) : gen_reg_read(dc, R_EDX, 2, false);
            size = gen_const(dc, (in->opcode & 1) ? (in->opsize == 2 ? 2 : 4) : 1);
        }
        int args[3] = {dc->f->env, port, size};
        gen_call(dc, &helper_check_io_desc, -1, args);
    }
    return false;
}

/* Instructions of features this CPU model does not have: CPUID does not report them, or the
   CR4 bit that enables them (OSXSAVE, VMXE, SMXE, FSGSBASE) cannot be set, and each one's
   exception list in SDM Vol. 2 makes that #UD (XSAVE family: CR4.OSXSAVE = 0; VMX: outside VMX
   operation; GETSEC: CR4.SMXE = 0; ENCLS/ENCLU: SGX off; RTM: CPUID.07H:EBX.RTM = 0; RD/WR
   FS/GS BASE: CR4.FSGSBASE = 0; RDPID, RDRAND, RDSEED, MONITOR/MWAIT, CLAC/STAC, INVPCID: their
   CPUID bit is 0). #UD comes before the CPL check, so these skip gen_protection_checks. */
static const bool absent_feature[MN_NB] = {
    [MN_XSAVE] = true, [MN_XRSTOR] = true, [MN_XSAVEOPT] = true, [MN_XSAVEC] = true,
    [MN_XSAVES] = true, [MN_XRSTORS] = true, [MN_XGETBV] = true, [MN_XSETBV] = true,
    [MN_VMCALL] = true, [MN_VMLAUNCH] = true, [MN_VMRESUME] = true, [MN_VMXOFF] = true,
    [MN_VMXON] = true, [MN_VMPTRLD] = true, [MN_VMPTRST] = true, [MN_VMCLEAR] = true,
    [MN_VMREAD] = true, [MN_VMWRITE] = true, [MN_VMFUNC] = true, [MN_INVEPT] = true,
    [MN_INVVPID] = true, [MN_GETSEC] = true, [MN_ENCLS] = true, [MN_ENCLU] = true,
    [MN_XBEGIN] = true, [MN_XABORT] = true, [MN_XEND] = true, [MN_XTEST] = true,
    [MN_RDFSBASE] = true, [MN_RDGSBASE] = true, [MN_WRFSBASE] = true, [MN_WRGSBASE] = true,
    [MN_RDPID] = true, [MN_RDRAND] = true, [MN_RDSEED] = true, [MN_MONITOR] = true,
    [MN_MWAIT] = true, [MN_CLAC] = true, [MN_STAC] = true, [MN_INVPCID] = true,
    [MN_LFENCE] = true, [MN_MFENCE] = true, [MN_SFENCE] = true, /* CPUID: no SSE, SSE2 */
    [MN_CLFLUSH] = true, [MN_CLFLUSHOPT] = true, [MN_CLWB] = true, /* nor CLFSH & co. */
    [MN_RSM] = true, /* no SMM, and RSM outside SMM is #UD (Vol. 2B RSM) */
};

bool x86_translate_insn(DisasContext *dc)
{
    if (dc->insn.prefixes & (PFX_VEX | PFX_EVEX)) {
        /* VEX and EVEX are not recognized in real and virtual-8086 mode: C4/C5 are LES/LDS
           and 62 is BOUND there (SDM Vol. 2A 2.3.1, Vol. 2 LES, BOUND), and the forms the
           decoder took for prefixes have a register operand: #UD. Elsewhere every VEX and
           EVEX instruction is #UD while CR4.OSXSAVE = 0 (SDM Vol. 2A 2.8, the #UD row of each
           exception class), and the model has no XSAVE: a CR4 write refuses OSXSAVE. */
        gen_raise(dc, EXCP_UD);
        return true;
    }
    uint16_t mn = dc->insn.mnemonic;
    X86TranslateFn fn = translate_fn[mn];
    /* MMX, SSE..SSE4.2, AES, SHA, and BMI1/BMI2/ADX/MOVBE/CRC32: CPUID reports none of them,
       and on a processor without the feature each is #UD (SDM Vol. 2, each instruction's
       "#UD If CPUID.01H:EDX.SSE[bit 25] = 0" and the like; pre-MMX processors had no such
       opcodes). A guest that tries one anyway gets what such a CPU gives it; -d unimp names it,
       for whoever is deciding what to implement next. */
    bool simd = (mn >= MN_ADDPD && mn <= MN_XORPS) || (mn >= MN_ADCX && mn <= MN_CRC32);
    if (absent_feature[mn] || (simd && !fn)) {
        if (!absent_feature[mn] && (dc->s->log_mask & LOG_UNIMP)) {
            fprintf(dc->s->log, "unimp: %s at %04x:%08" PRIx64 " is #UD: the CPU model does not "
                    "report its feature\n", x86_mnemonic_info[mn].name,
                    dc->env->seg[R_CS].selector, dc->eip);
        }
        gen_raise(dc, EXCP_UD);
        return true;
    }
    if (!fn) {
        return false;
    }
    if (gen_protection_checks(dc)) {
        return true;
    }
    return fn(dc);
}
