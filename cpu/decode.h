/*
 * cpu/decode.h — the x86 instruction decoder: bytes in, a decoded instruction out, no semantics.
 *
 * Driven by the opcode maps in cpu/opcodes.def (SDM notation) and the mnemonic table in
 * cpu/mnemonics.def. Handles legacy prefixes (last segment override wins, 66/67, F0/F2/F3), REX
 * in 64-bit mode (only when it immediately precedes the opcode), ModRM/SIB/displacement in 16-,
 * 32- and 64-bit addressing, immediates, and the 15-byte limit.
 */
#ifndef XLAT_CPU_DECODE_H
#define XLAT_CPU_DECODE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum X86Mnemonic {
#define MN(name, rd, wr, attrs) MN_##name,
#include "cpu/mnemonics.def"
#undef MN
    MN_NB
} X86Mnemonic;

/* arithmetic flags, at their EFLAGS positions */
enum {
    FL_C = 1 << 0,
    FL_P = 1 << 2,
    FL_A = 1 << 4,
    FL_Z = 1 << 6,
    FL_S = 1 << 7,
    FL_O = 1 << 11,
    FL_ALL = FL_C | FL_P | FL_A | FL_Z | FL_S | FL_O,
};
enum { MA_BRANCH = 1, MA_END = 2, MA_PRIV = 4, MA_IO = 8 };

typedef struct X86MnemonicInfo {
    const char *name;
    uint16_t flags_read, flags_written;
    uint8_t attrs;
} X86MnemonicInfo;
extern const X86MnemonicInfo x86_mnemonic_info[MN_NB];

/* operand specifications of opcodes.def */
typedef enum X86OperandSpec {
    OPS___,
    OPS_Eb, OPS_Ew, OPS_Ed, OPS_Ev, OPS_Ex,
    OPS_Gb, OPS_Gw, OPS_Gv, OPS_Gz,
    OPS_Ib, OPS_Ibs, OPS_Iw, OPS_Iz, OPS_Iv, OPS_Iopnd,
    OPS_Jb, OPS_Jz,
    OPS_Ap,
    OPS_Sw,
    OPS_M, OPS_Ma, OPS_Mp, OPS_Ms, OPS_Mb,
    OPS_Ob, OPS_Ov,
    OPS_Zb, OPS_Zv,
    OPS_AL, OPS_rAX, OPS_eAX, OPS_DX, OPS_CL, OPS_ONE,
    OPS_Cd, OPS_Dd, OPS_Rd,
    OPS_sES, OPS_sCS, OPS_sSS, OPS_sDS, OPS_sFS, OPS_sGS,
    OPS_Xb, OPS_Xv, OPS_Xz, OPS_Yb, OPS_Yv, OPS_Yz,
} X86OperandSpec;

/* groups (opcodes.def F_GRP) */
enum { GRP_none, GRP_1, GRP_1a, GRP_2, GRP_3, GRP_4, GRP_5, GRP_6, GRP_7, GRP_8, GRP_9, GRP_11,
       GRP_NB };

/* opcode entry flags */
enum {
    F_LOCK = 1 << 0,
    F_INV64 = 1 << 1,
    F_DEF64 = 1 << 2,
    F_PREFIX = 1 << 3,
    F_ESC = 1 << 4,
    F_CC = 1 << 5,
    F_STRING = 1 << 6,
    F_INDIRECT = 1 << 7,
    F_GRP_SHIFT = 8,
};
#define F_GRP(n) (GRP_##n << F_GRP_SHIFT)

typedef enum X86OperandKind {
    OPK_NONE,
    OPK_REG,   /* general register */
    OPK_MEM,   /* memory operand described by X86Insn.mem */
    OPK_IMM,   /* immediate (value in X86Insn.imm, or imm2 for the second immediate) */
    OPK_REL,   /* relative branch target: displacement in X86Insn.imm */
    OPK_FAR,   /* far pointer: offset imm, selector imm2 */
    OPK_SREG,  /* segment register */
    OPK_CREG,  /* control register */
    OPK_DREG,  /* debug register */
} X86OperandKind;

typedef struct X86Operand {
    uint8_t kind;  /* X86OperandKind */
    uint8_t size;  /* bytes (0 when the size is not meaningful) */
    uint8_t reg;   /* register number */
    bool hi8;      /* AH, CH, DH, BH */
    bool is_imm2;  /* OPK_IMM: the value is imm2 */
} X86Operand;

typedef struct X86MemOperand {
    int8_t seg;    /* effective segment (override or default) */
    int8_t base;   /* register or -1 */
    int8_t index;  /* register or -1 */
    uint8_t scale; /* 1, 2, 4, 8 */
    bool rip_rel;
    int64_t disp;
} X86MemOperand;

enum {
    PFX_LOCK = 1 << 0,
    PFX_REP = 1 << 1,   /* F3 */
    PFX_REPNE = 1 << 2, /* F2 */
    PFX_OPSIZE = 1 << 3,
    PFX_ADDRSIZE = 1 << 4,
    PFX_SEG = 1 << 5,
    PFX_REX = 1 << 6,
};

typedef struct X86Insn {
    uint8_t len;
    uint8_t map;       /* 0: one-byte, 1: 0F */
    uint8_t opcode;
    uint16_t mnemonic; /* X86Mnemonic */
    uint8_t cc;        /* condition code for Jcc/SETcc/CMOVcc */
    uint8_t opsize;    /* 2, 4, 8 */
    uint8_t addrsize;  /* 2, 4, 8 */
    uint8_t prefixes;  /* PFX_* */
    int8_t seg_override;
    uint8_t rex;
    bool has_modrm;
    uint8_t modrm;
    uint16_t entry_flags; /* F_* of the opcode entry */
    uint8_t nb_ops;
    X86Operand op[3];
    X86MemOperand mem;
    int64_t imm, imm2;
} X86Insn;

enum {
    X86_DECODE_INVALID = -1,   /* #UD */
    X86_DECODE_TOO_LONG = -2,  /* over 15 bytes: #GP */
    X86_DECODE_TRUNCATED = -3, /* needs more bytes than were given */
};

/* Decode one instruction of `mode` (16, 32 or 64) from p[0..avail). Returns its length, or a
   negative X86_DECODE_* code. */
int x86_decode(X86Insn *d, const uint8_t *p, int avail, int mode);

#endif
