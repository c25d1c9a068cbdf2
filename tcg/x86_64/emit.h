/*
 * tcg/x86_64/emit.h — an x86-64 instruction encoder for the JIT backend.
 *
 * One typed function per host instruction form: `x64_alu_rr(b, X64_ADD, dst, src, is64)` writes
 * exactly one instruction (REX prefix, opcode, ModRM/SIB, displacement, immediate) at b->ptr.
 * Nothing here knows the IR; tcg/x86_64/codegen.c decides what to emit and comments each call
 * with the instruction it produces.
 *
 * Encoding rules follow the Intel SDM Vol. 2, chapter 2 (REX prefixes 2.2.1, ModRM/SIB tables
 * 2-2 and 2-3): rsp/r12 as a base need a SIB byte, rbp/r13 as a base with no displacement need
 * an explicit disp8 of 0, and byte registers 4..7 mean spl/bpl/sil/dil only with a REX prefix.
 *
 * The buffer is not bounds-checked per byte: callers make sure enough room remains before each
 * IR op (X64_MAX_OP_BYTES in codegen.c), which keeps the encoders branch-free.
 */
#ifndef XLAT_TCG_X86_64_EMIT_H
#define XLAT_TCG_X86_64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum X64Reg {
    X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP, X64_RSI, X64_RDI,
    X64_R8, X64_R9, X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_R15,
    X64_NB_REGS,
    X64_NOREG = -1,
} X64Reg;

/* condition codes, the low nibble of Jcc/SETcc/CMOVcc (SDM Vol. 1 B.1) */
typedef enum X64Cond {
    X64_CC_O, X64_CC_NO, X64_CC_B, X64_CC_AE, X64_CC_E, X64_CC_NE, X64_CC_BE, X64_CC_A,
    X64_CC_S, X64_CC_NS, X64_CC_P, X64_CC_NP, X64_CC_L, X64_CC_GE, X64_CC_LE, X64_CC_G,
} X64Cond;

/* the eight classic ALU operations, in their /digit order (opcode group 1) */
typedef enum X64Alu {
    X64_ADD, X64_OR, X64_ADC, X64_SBB, X64_AND, X64_SUB, X64_XOR, X64_CMP,
} X64Alu;

/* shift/rotate group 2 /digit */
typedef enum X64Shift {
    X64_ROL = 0, X64_ROR = 1, X64_SHL = 4, X64_SHR = 5, X64_SAR = 7,
} X64Shift;

/* A memory operand [base + index * (1 << scale) + disp]; base or index may be X64_NOREG. */
typedef struct X64Mem {
    int8_t base;
    int8_t index;
    uint8_t scale;
    int32_t disp;
} X64Mem;

static inline X64Mem x64_mem(X64Reg base, int32_t disp)
{
    return (X64Mem){.base = (int8_t)base, .index = X64_NOREG, .scale = 0, .disp = disp};
}

static inline X64Mem x64_mem_idx(X64Reg base, X64Reg index, int scale, int32_t disp)
{
    return (X64Mem){.base = (int8_t)base, .index = (int8_t)index, .scale = (uint8_t)scale,
                    .disp = disp};
}

typedef struct X64Buf {
    uint8_t *start; /* where the current TB (or the prologue) begins */
    uint8_t *ptr;   /* next byte to write */
    uint8_t *end;   /* hard limit of the code cache */
} X64Buf;

static inline size_t x64_offset(const X64Buf *b) { return (size_t)(b->ptr - b->start); }
static inline bool x64_fits_i32(int64_t v) { return v == (int32_t)v; }
static inline bool x64_fits_i8(int64_t v) { return v == (int8_t)v; }

/* raw bytes */
void x64_byte(X64Buf *b, uint8_t v);
void x64_u32(X64Buf *b, uint32_t v);
void x64_u64(X64Buf *b, uint64_t v);

/* moves */
void x64_mov_rr(X64Buf *b, X64Reg dst, X64Reg src, bool is64);
/* dst = imm: picks the shortest form (mov r32, imm32 zero-extends; mov r64, simm32; movabs).
   Never touches the flags (no xor), so it may sit between a compare and its user. */
void x64_mov_ri(X64Buf *b, X64Reg dst, uint64_t imm, bool is64);
void x64_xor_zero(X64Buf *b, X64Reg r); /* xor r32, r32: shorter, but clobbers the flags */
void x64_mov8_rr(X64Buf *b, X64Reg dst, X64Reg src);   /* mov dst8, src8 */
void x64_mov16_rr(X64Buf *b, X64Reg dst, X64Reg src);  /* mov dst16, src16 */
void x64_xchg_rr(X64Buf *b, X64Reg a, X64Reg c);        /* xchg a, c (64-bit) */
void x64_movzx8(X64Buf *b, X64Reg dst, X64Reg src);    /* movzx dst32, src8 */
void x64_movzx16(X64Buf *b, X64Reg dst, X64Reg src);   /* movzx dst32, src16 */
void x64_movsx8(X64Buf *b, X64Reg dst, X64Reg src, bool is64);
void x64_movsx16(X64Buf *b, X64Reg dst, X64Reg src, bool is64);
void x64_movsxd(X64Buf *b, X64Reg dst, X64Reg src);    /* movsxd dst64, src32 */

/* memory: size is log2 of the access width in bytes */
void x64_load(X64Buf *b, X64Reg dst, X64Mem m, unsigned size, bool sign, bool dst64);
void x64_store(X64Buf *b, X64Reg src, X64Mem m, unsigned size);
void x64_store_imm(X64Buf *b, X64Mem m, int32_t imm, unsigned size); /* sign-extended at 64 */
void x64_lea(X64Buf *b, X64Reg dst, X64Mem m, bool is64);

/* arithmetic and logic */
void x64_alu_rr(X64Buf *b, X64Alu op, X64Reg dst, X64Reg src, bool is64);
void x64_alu_ri(X64Buf *b, X64Alu op, X64Reg dst, int32_t imm, bool is64);
void x64_alu_rm(X64Buf *b, X64Alu op, X64Reg dst, X64Mem m, bool is64);  /* dst op= [m] */
void x64_alu_mr(X64Buf *b, X64Alu op, X64Mem m, X64Reg src, bool is64);  /* [m] op= src */
void x64_alu_mi(X64Buf *b, X64Alu op, X64Mem m, int32_t imm, bool is64); /* [m] op= imm */
void x64_test_rr(X64Buf *b, X64Reg a, X64Reg c, bool is64);
void x64_shift_ri(X64Buf *b, X64Shift op, X64Reg dst, unsigned count, bool is64);
void x64_shift_cl(X64Buf *b, X64Shift op, X64Reg dst, bool is64);
void x64_imul_rr(X64Buf *b, X64Reg dst, X64Reg src, bool is64);
void x64_imul_rri(X64Buf *b, X64Reg dst, X64Reg src, int32_t imm, bool is64);
void x64_mul1(X64Buf *b, X64Reg src, bool is_signed, bool is64); /* rdx:rax = rax * src */
void x64_neg(X64Buf *b, X64Reg r, bool is64);
void x64_not(X64Buf *b, X64Reg r, bool is64);

/* conditions */
void x64_setcc(X64Buf *b, X64Cond cc, X64Reg dst8);
void x64_cmov(X64Buf *b, X64Cond cc, X64Reg dst, X64Reg src, bool is64);

/* control flow. The rel32 forms return the address of their rel32 field (to patch later);
   the field initially points at the next instruction. */
uint8_t *x64_jcc32(X64Buf *b, X64Cond cc);
uint8_t *x64_jmp32(X64Buf *b);
void x64_jcc_to(X64Buf *b, X64Cond cc, const uint8_t *target); /* rel8 when it fits */
void x64_jmp_to(X64Buf *b, const uint8_t *target);
void x64_patch_rel32(uint8_t *field, const uint8_t *target);
void x64_jmp_r(X64Buf *b, X64Reg r);
void x64_jmp_m(X64Buf *b, X64Mem m);
void x64_call_r(X64Buf *b, X64Reg r);
/* call fn: rel32 when in reach of the code cache, else movabs scratch, fn; call scratch */
void x64_call_abs(X64Buf *b, const void *fn, X64Reg scratch);
void x64_push(X64Buf *b, X64Reg r);
void x64_pop(X64Buf *b, X64Reg r);
void x64_ret(X64Buf *b);
void x64_int3(X64Buf *b);
/* n bytes of recommended multi-byte nops (SDM Vol. 2B, NOP, table 4-12) */
void x64_nops(X64Buf *b, unsigned n);

#endif
