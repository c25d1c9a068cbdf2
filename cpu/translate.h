/*
 * cpu/translate.h — shared state of the x86 → IR translator (cpu/translate*.c) and the helper
 * functions translated code calls (cpu/helper.c).
 */
#ifndef XLAT_CPU_TRANSLATE_H
#define XLAT_CPU_TRANSLATE_H

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "tcg/tcg.h"

/* the i32 view of a 64-bit field of the CPU state */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LO32(off) ((int32_t)(off) + 4)
#else
#define LO32(off) ((int32_t)(off))
#endif

/* IR globals over the CPU state, declared once per engine (TCGContext.fe_priv) */
typedef struct X86Globals {
    int reg[8];      /* i32 views of EAX..EDI */
    int eip;         /* i32 */
    int flags;       /* the lazy arithmetic flags (IR_FLAGS, i32 operands) */
    int seg_base[R_NB_SEGS];
    /* 64-bit code: RAX..R15, RIP, flags with i64 operands, the FS and GS bases (i64) */
    int reg64[16];
    int rip;
    int flags64;
    int seg_base64[R_NB_SEGS];
} X86Globals;

/* how a translated instruction ends the block */
enum { DISAS_NEXT, DISAS_JUMPED };

typedef struct DisasContext {
    TCGContext *s;
    IRFunc *f;
    CPUX86State *env;
    TranslationBlock *tb;
    const X86Globals *g;
    X86Insn insn;
    uint64_t cs_base;
    uint64_t eip;       /* offset of the current instruction in CS */
    uint64_t next_eip;
    uint32_t hflags;
    int code_size;      /* 16, 32 or 64 */
    bool ss32;          /* stack width 32 (or 64 in 64-bit code: see sw) */
    int sw;             /* stack width in bytes: 2, 4, 8 */
    bool code64;        /* 64-bit mode (HF_CS64) */
    /* The type of every value temp: i64 in 64-bit code, where registers are 64 bits wide and
       32-bit values are kept zero- or garbage-extended and cut to size when written; i32
       elsewhere, so 16- and 32-bit code is translated exactly as before. */
    IRType ty;
    const int *reg;     /* the register globals of this mode (g->reg or g->reg64) */
    int eipg;           /* the EIP/RIP global of this mode */
    int flags;          /* the flags global of this mode (g->flags or g->flags64) */
    int mmu_idx;
    int state;          /* DISAS_* */
    int addr;           /* linear address of the memory operand (-1: not computed yet) */
} DisasContext;

/* translate.c: operand and control-flow building blocks */
int gen_read_operand(DisasContext *dc, int k);
void gen_write_operand(DisasContext *dc, int k, int val);
int gen_reg_read(DisasContext *dc, int reg, int size, bool hi8);
void gen_reg_write(DisasContext *dc, int reg, int size, bool hi8, int val);
int gen_mem_addr(DisasContext *dc);
int gen_effective_offset(DisasContext *dc);
int gen_linear(DisasContext *dc, int seg, int offset);
int gen_load(DisasContext *dc, int addr, int size);
void gen_store(DisasContext *dc, int addr, int size, int val);
void gen_push(DisasContext *dc, int val, int size);
int gen_pop(DisasContext *dc, int size);
void gen_goto_tb(DisasContext *dc, int slot, uint64_t eip);
void gen_jmp_indirect(DisasContext *dc, int eip_val);
void gen_exit_to_loop(DisasContext *dc, uint64_t next_eip);
/* a helper call whose i32/i64 arguments and result are converted to and from the temps' types
   (zero-extended when widened) */
void gen_call(DisasContext *dc, const IRHelper *h, int ret, const int *args);
int gen_const(DisasContext *dc, int64_t v);
int size_log2(int size);

/* translate.c: small shared emitters */
int gen_temp(DisasContext *dc);                  /* a new value temp (dc->ty) */
int gen_local(DisasContext *dc);                 /* a new value temp that survives labels */
int gen_ext(DisasContext *dc, int v, int size, bool sign); /* extend the low size bytes */
int gen_cond(DisasContext *dc, int cc);          /* 1 if x86 condition cc holds, else 0 */
int gen_widen32(DisasContext *dc, int t32);     /* an i32 value as a value temp (dc->ty) */
int gen_half64(DisasContext *dc, int v64, bool high); /* a half of an i64, as a value temp */
int gen_carry(DisasContext *dc);                 /* CF as 0/1 */
int gen_flags_image(DisasContext *dc);           /* CF PF AF ZF SF OF at their EFLAGS bits */
void gen_set_flags_image(DisasContext *dc, int img); /* flags from an EFLAGS image */
void gen_flags(DisasContext *dc, IRFlagsOp op, int size, int res, int a, int b, int c);
int gen_seg_linear(DisasContext *dc, int seg, int offset, int addrsize); /* wrap, add base */
/* gen_seg_linear with the segment checks of a size-byte access (a read, or a write) */
int gen_seg_access(DisasContext *dc, int seg, int offset, int addrsize, int size, bool write);
void gen_seg_check(DisasContext *dc, int seg, int offset, int size, int addrsize, bool write);
int gen_default_seg(DisasContext *dc);           /* DS or the segment override */
void gen_raise(DisasContext *dc, int vector);    /* a fault at this instruction */
void gen_trap(DisasContext *dc, int arg);        /* a trap after it: vector | TRAP_SOFT */
void gen_stack_write(DisasContext *dc, int sp);  /* eSP = sp, as wide as the stack */
int gen_stack_ptr(DisasContext *dc);             /* eSP masked to the stack width */

/* one emitter per instruction family (cpu/translate-*.c); each returns false, having emitted
   nothing, for a form it does not implement. The dispatch table is cpu/translate-dispatch.c. */
typedef bool (*X86TranslateFn)(DisasContext *dc);
bool x86_translate_insn(DisasContext *dc);
bool gen_alu(DisasContext *dc);       /* translate-alu.c: ADD..CMP, TEST */
bool gen_incdec(DisasContext *dc);
bool gen_not_neg(DisasContext *dc);
bool gen_cmpxchg(DisasContext *dc);
bool gen_cmpxchg8b(DisasContext *dc);
bool gen_xadd(DisasContext *dc);
bool gen_mul(DisasContext *dc);       /* translate-muldiv.c: MUL, IMUL (all forms) */
bool gen_div(DisasContext *dc);       /* DIV, IDIV */
bool gen_shift(DisasContext *dc);     /* translate-shift.c: SHL SHR SAR ROL ROR RCL RCR */
bool gen_shxd(DisasContext *dc);      /* SHLD, SHRD */
bool gen_bt(DisasContext *dc);        /* translate-bits.c: BT BTS BTR BTC */
bool gen_bitscan(DisasContext *dc);   /* BSF BSR TZCNT LZCNT POPCNT */
bool gen_bswap(DisasContext *dc);
bool gen_bcd(DisasContext *dc);       /* translate-bcd.c: DAA DAS AAA AAS AAM AAD */
bool gen_mov(DisasContext *dc);       /* translate-mov.c */
bool gen_movx(DisasContext *dc);      /* MOVZX, MOVSX */
bool gen_cmov(DisasContext *dc);
bool gen_xchg(DisasContext *dc);
bool gen_lea(DisasContext *dc);
bool gen_xlat(DisasContext *dc);
bool gen_cbw_cwd(DisasContext *dc);   /* CBW/CWDE, CWD/CDQ */
bool gen_load_far(DisasContext *dc);  /* LES LDS LSS LFS LGS */
bool gen_push_pop(DisasContext *dc);  /* translate-stack.c */
bool gen_pusha_popa(DisasContext *dc);
bool gen_pushf_popf(DisasContext *dc);
bool gen_enter_leave(DisasContext *dc);
bool gen_flag_bits(DisasContext *dc); /* translate-flags.c: CLC STC CMC CLD STD CLI STI */
bool gen_lahf_sahf(DisasContext *dc);
bool gen_setcc(DisasContext *dc);     /* SETcc, SALC */
bool gen_string(DisasContext *dc);    /* translate-string.c: MOVS CMPS SCAS LODS STOS INS OUTS */
bool gen_jump(DisasContext *dc);      /* translate-control.c: JMP, Jcc */
bool gen_loop(DisasContext *dc);      /* LOOP LOOPE LOOPNE JCXZ */
bool gen_call_ret(DisasContext *dc);  /* CALL RET */
bool gen_far(DisasContext *dc);       /* JMPF CALLF RETF IRET */
bool gen_int(DisasContext *dc);       /* INT INT3 INTO */
bool gen_bound(DisasContext *dc);
bool gen_ud(DisasContext *dc);        /* UD0 UD1 UD2 */
bool gen_io(DisasContext *dc);        /* translate-system.c: IN OUT */
bool gen_hlt(DisasContext *dc);
bool gen_nop(DisasContext *dc);
bool gen_desc_table(DisasContext *dc); /* LGDT LIDT */
bool gen_mov_cr(DisasContext *dc);
bool gen_mov_dr(DisasContext *dc);
bool gen_sysenter_sysexit(DisasContext *dc);
bool gen_syscall_sysret(DisasContext *dc); /* SYSCALL SYSRET SWAPGS */
bool gen_cpuid(DisasContext *dc);
bool gen_rdtsc(DisasContext *dc);

/* helpers called from translated code (cpu/helper.c) */
extern IRHelper helper_in_desc, helper_out_desc, helper_hlt_desc, helper_unimplemented_desc,
    helper_load_seg_desc, helper_ljmp_desc, helper_lgdt_desc, helper_write_cr_desc;
/* cpu/debug.c */
extern IRHelper helper_check_bp_desc, helper_read_dr_desc, helper_read_dr64_desc,
    helper_write_dr_desc;
/* cpu/sysenter.c */
extern IRHelper helper_sysenter_desc, helper_sysexit_desc;
/* cpu/long-mode.c */
extern IRHelper helper_swapgs_desc, helper_syscall_desc, helper_sysret_desc;
/* cpu/helper-prot.c */
extern IRHelper helper_rdtscp_desc, helper_cr8_desc;
/* cpu/helper-int.c */
extern IRHelper helper_div_desc, helper_rotate_carry_desc, helper_bitscan_desc, helper_bcd_desc,
    helper_cpuid_desc, helper_rdtsc_desc, helper_write_eflags_desc, helper_raise_desc,
    helper_trap_desc, helper_far_call_desc, helper_far_ret_desc, helper_iret_desc,
    helper_div64_desc, helper_bitscan64_desc, helper_rotate_carry64_desc;
/* cpu/string-bulk.c: helper_rep_bulk(env, size | addrsize << 4 | REP_BULK_STOS | seg << 12),
   helper_rep_suspend(env, eip) */
extern IRHelper helper_rep_bulk_desc, helper_rep_suspend_desc;
enum { REP_BULK_STOS = 0x100 };
/* operation codes of the multi-purpose helpers */
enum { DIV_SIGNED = 8 };                          /* helper_div: size | DIV_SIGNED */
enum { TRAP_SOFT = 0x100 };                       /* helper_trap: INT n, INT3, INTO */
enum { ROT_RCL, ROT_RCR };                        /* helper_rotate_carry: op << 4 | size */
enum { ROT_FLAGS = 0x100 };                       /* helper_rotate_carry64: the flags result */
enum { BS_BSF, BS_BSR, BS_TZCNT, BS_LZCNT, BS_POPCNT }; /* helper_bitscan */
enum { BCD_DAA, BCD_DAS, BCD_AAA, BCD_AAS, BCD_AAM, BCD_AAD }; /* helper_bcd */
/* The retired-instruction count at the instruction executing now (RDTSC's clock). */
uint64_t x86_icount_now(CPUX86State *env);

/* translate-x87.c: every x87 instruction, WAIT/FWAIT, FXSAVE/FXRSTOR; all through one helper
   (cpu/x87.c): helper_x87(env, ctl, arg, eip) */
bool gen_x87(DisasContext *dc);
extern IRHelper helper_x87_desc;
extern IRHelper helper_x87_64_desc; /* 64-bit code: arg and eip are i64 */
enum {
    X87_ADD, X87_MUL, X87_SUB, X87_SUBR, X87_DIV, X87_DIVR,     /* dst = dst op src */
    X87_COM, X87_UCOM, X87_COMI, X87_UCOMI, X87_TST,             /* compares */
    X87_LD, X87_ST, X87_ISTT, X87_XCH, X87_FREE, X87_INCSTP, X87_DECSTP,
    X87_CHS, X87_ABS, X87_XAM, X87_CONST, X87_CMOV, X87_NOP,
    X87_SQRT, X87_RNDINT, X87_2XM1, X87_SIN, X87_COS,            /* ST(0) = f(ST(0)) */
    X87_SCALE, X87_PREM, X87_PREM1, X87_PATAN, X87_YL2X, X87_YL2XP1, /* ST(0), ST(1) */
    X87_XTRACT, X87_PTAN, X87_SINCOS,                            /* replace and push */
    X87_INIT, X87_CLEX, X87_LDCW, X87_STCW, X87_STSW, X87_STSW_AX, /* control */
    X87_LDENV, X87_STENV, X87_SAVE, X87_RSTOR, X87_WAIT, X87_FXSAVE, X87_FXRSTOR,
};
/* memory operand formats */
enum { X87_MF_NONE, X87_MF_F32, X87_MF_F64, X87_MF_F80, X87_MF_I16, X87_MF_I32, X87_MF_I64,
       X87_MF_BCD };
/* helper_x87's ctl: op | ST(i) << 8 | memory format << 11 | segment << 14 | X87_CTL_DST_STI
   | pops << 18 | X87_CTL_O32 | opcode << 21 */
#define X87_CTL(op, sti, mf, seg, pops, fop)                                                    \
    ((uint32_t)(op) | (uint32_t)(sti) << 8 | (uint32_t)(mf) << 11 | (uint32_t)(seg) << 14 |     \
     (uint32_t)(pops) << 18 | (uint32_t)(fop) << 21)
#define X87_CTL_DST_STI (1u << 17) /* the DC/DE forms: ST(i) = ST(i) op ST(0) */
#define X87_CTL_O32 (1u << 20)     /* 32-bit environment format */
/* FXSAVE64/FXRSTOR64 (REX.W): the 64-bit FIP/FDP layout; in the opcode's place, which they
   do not have (SDM Vol. 1 8.1.10: FOP is for x87 instructions only) */
#define X87_CTL_REXW (1u << 21)
#define X87_CTL_STI(c) (((c) >> 8) & 7)
#define X87_CTL_MF(c) (((c) >> 11) & 7)
#define X87_CTL_SEG(c) (((c) >> 14) & 7)
#define X87_CTL_POPS(c) (((c) >> 18) & 3)
#define X87_CTL_FOP(c) (((c) >> 21) & 0x7ff)

/* guest memory from C (through the softmmu, may raise), supervisor-mode accesses */
uint32_t cpu_ld_data(CPUX86State *env, uint32_t addr, int size);
void cpu_st_data(CPUX86State *env, uint32_t addr, int size, uint32_t val);
/* the same with 64-bit linear addresses and values (long mode) */
uint64_t cpu_ld_data64(CPUX86State *env, uint64_t addr, int size);
void cpu_st_data64(CPUX86State *env, uint64_t addr, int size, uint64_t val);
/* an instruction's explicit memory operand: user-mode at CPL 3 (the above are supervisor-mode,
   for implicit accesses); 64-bit addresses in 64-bit mode, else wrapping at 4 GiB */
uint64_t cpu_ld_operand(CPUX86State *env, uint64_t addr, int size);
void cpu_st_operand(CPUX86State *env, uint64_t addr, int size, uint64_t val);
_Noreturn void x86_raise_exception(CPUX86State *env, int vector, uint32_t error_code);
void x86_load_seg_real(CPUX86State *env, int seg, uint16_t selector);

/* translate-prot.c: protection and system management (helpers in cpu/helper-prot.c) */
bool gen_ltr_lldt(DisasContext *dc);
bool gen_sxdt(DisasContext *dc);
bool gen_sldt_str(DisasContext *dc);
bool gen_smsw(DisasContext *dc);
bool gen_lmsw(DisasContext *dc);
bool gen_clts(DisasContext *dc);
bool gen_invlpg(DisasContext *dc);
bool gen_msr(DisasContext *dc);
bool gen_desc_check(DisasContext *dc);
bool gen_arpl(DisasContext *dc);
extern IRHelper helper_ltr_desc, helper_lldt_desc, helper_sxdt_desc, helper_read_ldtr_tr_desc,
    helper_invlpg_desc, helper_clts_desc, helper_lmsw_desc, helper_rdmsr_desc, helper_wrmsr_desc,
    helper_desc_check_desc, helper_check_io_desc, helper_seg_check_desc;
/* helper_seg_check(env, seg | size << 8 [| SEG_CHECK_WRITE], offset) */
#define SEG_CHECK_WRITE (1u << 16)

#endif
