/*
 * cpu/decode.h — the x86 instruction decoder: bytes in, a decoded instruction out, no semantics.
 *
 * Driven by the opcode maps in cpu/opcodes.def (SDM notation) and the mnemonic table in
 * cpu/mnemonics.def. Covers 16-, 32- and 64-bit code (Intel SDM Vol. 2A chapter 2, Vol. 2D
 * appendix A): legacy prefixes with their interaction rules, REX, the one-byte, 0F, 0F38 and
 * 0F3A maps, groups, the x87 escapes, mandatory prefixes of SSE opcodes, VEX (AVX, AVX2, FMA,
 * F16C, BMI1/2) to the instruction, EVEX (AVX-512) to the length, ModRM/SIB/displacement in
 * all address sizes, RIP-relative addressing, immediates, and the 15-byte limit.
 *
 * The decoder models an Intel CPU: AMD-only encodings (3DNow!, SSE4a, XOP, FMA4, TBM, SVM)
 * are invalid. Whether the CPU model has an extension (SSE4.2, AVX, ...) is the translator's
 * question: VEX-encoded instructions carry PFX_VEX and EVEX ones PFX_EVEX (mnemonic EVEX).
 *
 * Usage:
 *     X86Insn d;
 *     int len = x86_decode(&d, bytes, avail, 64);
 *     if (len > 0) { ... d.mnemonic, d.op[0..nb_ops), d.mem, d.imm ... }
 *     else if (len == X86_DECODE_INVALID) { #UD } else if (len == X86_DECODE_TOO_LONG) { #GP }
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
/* mnemonic attributes: changes EIP, ends a translation block, CPL 0 only, port I/O */
enum { MA_BRANCH = 1, MA_END = 2, MA_PRIV = 4, MA_IO = 8 };

typedef struct X86MnemonicInfo {
    const char *name;
    uint16_t flags_read, flags_written;
    uint8_t attrs;
} X86MnemonicInfo;
extern const X86MnemonicInfo x86_mnemonic_info[MN_NB];

/*
 * Operand specifications of opcodes.def: addressing method and operand type of the SDM's
 * opcode map (Vol. 2D A.2.1, A.2.2), e.g. Ev = ModRM r/m of the operand size. The specs that
 * take a ModRM byte come first (the table builder tests "spec <= OPS_LAST_MODRM").
 *
 * Methods: E r/m, G ModRM.reg, M r/m memory only, R r/m register only, S segment register in
 * reg, C/D control/debug register in reg, P/Q/N MMX in reg / r/m / r/m register only,
 * V/W/U XMM in reg / r/m / r/m register only, STi x87 register in r/m, H XMM in VEX.vvvv,
 * B general register in VEX.vvvv, L XMM in imm8[7:4], I immediate, J relative offset, A far
 * pointer, O moffs, Z register in the opcode's low bits, X/Y string operands DS:rSI / ES:rDI.
 * Types: b byte, w word, d dword, q qword, dq 16 bytes, qq 32 bytes, v operand size, z operand
 * size capped at 32 bits, y dword or (REX.W/VEX.W in 64-bit mode) qword, x dq or qq by VEX.L,
 * ps/pd packed single/double (as x), ss/sd scalar, pi MMX qword, a BOUND pair, p far pointer,
 * s pseudo-descriptor (6 or 10 bytes), t 80-bit, e x87 environment, st x87 state.
 * K* are AVX-512 opmask registers: KG in ModRM.reg, KH in VEX.vvvv, KR in r/m (register only),
 * KEb..KEq in r/m, or memory of that size.
 * Combined forms name both (RdMb: Rd as a register, Mb in memory). Ibs is Ib sign-extended;
 * Iopnd an immediate as wide as operand 1 (64-bit sign-extended from 32).
 */
#define X86_OPERAND_SPECS(X)                                                                   \
    /* with ModRM */                                                                           \
    X(Eb) X(Ew) X(Ed) X(Eq) X(Ev) X(Ey) X(Ez) X(Ex)                                            \
    X(Gb) X(Gw) X(Gd) X(Gq) X(Gv) X(Gy) X(Gz)                                                  \
    X(M) X(Ma) X(Mp) X(Ms) X(Mb) X(Mw) X(Md) X(Mq) X(Mdq) X(Mqq) X(Mx) X(Mv) X(My) X(Mt)       \
    X(Me) X(Mst) X(Mps) X(Mpd)                                                                 \
    X(Rd) X(Rv) X(Ry) X(RdMb) X(RdMw) X(RyMb) X(RyMw) X(RvMw)                                  \
    X(Sw) X(Cd) X(Dd)                                                                          \
    X(Pq) X(Pd) X(Ppi) X(Qq) X(Qd) X(Qpi) X(Nq)                                                \
    X(Vx) X(Vps) X(Vpd) X(Vss) X(Vsd) X(Vdq) X(Vqq) X(Vq) X(Vd) X(Vy)                          \
    X(Wx) X(Wps) X(Wpd) X(Wss) X(Wsd) X(Wdq) X(Wqq) X(Wq) X(Wd) X(Ww) X(Wb)                    \
    X(Ux) X(Ups) X(Upd) X(Udq) X(Uq)                                                           \
    X(UdqMd) X(UxMq) X(UxMd) X(UxMw)                                                           \
    X(STi) X(KG) X(KR) X(KEb) X(KEw) X(KEd) X(KEq)                                             \
    /* without ModRM */                                                                        \
    X(Hx) X(Hps) X(Hpd) X(Hss) X(Hsd) X(Hdq) X(Hqq) X(Hq) X(By) X(Lx) X(KH)                        \
    X(Ib) X(Ibs) X(Iw) X(Iz) X(Iv) X(Iopnd)                                                    \
    X(Jb) X(Jz) X(Ap) X(Ob) X(Ov) X(Zb) X(Zv)                                                  \
    X(AL) X(AX) X(rAX) X(eAX) X(DX) X(CL) X(ONE) X(ST0) X(XMM0)                                \
    X(sES) X(sCS) X(sSS) X(sDS) X(sFS) X(sGS)                                                  \
    X(Xb) X(Xv) X(Xz) X(Yb) X(Yv) X(Yz)

typedef enum X86OperandSpec {
    OPS___,
#define X86_SPEC_ENUM(n) OPS_##n,
    X86_OPERAND_SPECS(X86_SPEC_ENUM)
#undef X86_SPEC_ENUM
    OPS_NB,
    OPS_LAST_MODRM = OPS_KEq,
} X86OperandSpec;

/* groups (opcodes.def F_GRP): SDM Table A-6, plus a few maps the SDM splits by ModRM.mod */
enum {
    GRP_none, GRP_1, GRP_1a, GRP_2, GRP_3, GRP_4, GRP_5, GRP_6, GRP_7, GRP_8, GRP_9, GRP_10,
    GRP_11, GRP_11v, GRP_12, GRP_13, GRP_14, GRP_15, GRP_16, GRP_17, GRP_P, GRP_0F12, GRP_0F16,
    GRP_0F1E,
    GRP_NB
};

/* opcode entry flags (X86Insn.entry_flags); the group number sits in the top byte */
enum {
    F_LOCK = 1 << 0,     /* may take LOCK (with a memory destination) */
    F_INV64 = 1 << 1,    /* invalid in 64-bit mode (i64) */
    F_DEF64 = 1 << 2,    /* 64-bit default operand size in 64-bit mode (d64) */
    F_PREFIX = 1 << 3,   /* a prefix byte (handled by the decoder) */
    F_ESC = 1 << 4,      /* an escape to another map */
    F_CC = 1 << 5,       /* the low nibble of the opcode is a condition code */
    F_STRING = 1 << 6,   /* string instruction (REP applies) */
    F_INDIRECT = 1 << 7, /* indirect branch */
    F_F64 = 1 << 8,      /* operand size forced to 64 bits in 64-bit mode (f64): 66 ignored */
    F_ONLY64 = 1 << 9,   /* valid in 64-bit mode only (o64) */
    F_X87 = 1 << 10,     /* x87 escape: ModRM selects the instruction */
    F_BYRM = 1 << 11,    /* group register form: ModRM.rm selects the instruction */
    F_L0 = 1 << 12,      /* VEX.L must be 0 (VEX.128 / LZ) */
    F_L1 = 1 << 13,      /* VEX.L must be 1 (VEX.256) */
    F_VSIB = 1 << 14,    /* memory operand with a vector index (SIB required) */
    F_VEX = 1 << 15,     /* SSE row with a VEX form (SDM "v" prefix) */
    F_HREG = 1 << 16,    /* the VEX form's H operand exists in the register form only */
    F_GRP_SHIFT = 24,
};
#define F_GRP(n) ((uint32_t)GRP_##n << F_GRP_SHIFT)

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
    OPK_XMM,   /* XMM register (YMM when size is 32) */
    OPK_MMX,   /* MMX register */
    OPK_ST,    /* x87 register ST(reg) */
    OPK_KREG,  /* AVX-512 opmask register */
} X86OperandKind;

typedef struct X86Operand {
    uint8_t kind;  /* X86OperandKind */
    uint8_t size;  /* bytes (0 when the size is not meaningful, e.g. FXSAVE's 512) */
    uint8_t reg;   /* register number */
    bool hi8;      /* AH, CH, DH, BH */
    bool is_imm2;  /* OPK_IMM: the value is imm2 */
} X86Operand;

typedef struct X86MemOperand {
    int8_t seg;    /* effective segment (override or default) */
    int8_t base;   /* register or -1 */
    int8_t index;  /* register or -1 (an XMM/YMM register when vsib) */
    uint8_t scale; /* 1, 2, 4, 8 */
    bool rip_rel;  /* disp is relative to the next instruction's address */
    bool vsib;     /* AVX2 gathers: index is a vector register */
    int64_t disp;  /* (EVEX: the raw disp8, not yet scaled by N) */
} X86MemOperand;

enum {
    PFX_LOCK = 1 << 0,
    PFX_REP = 1 << 1,   /* F3 (the last of F2/F3) */
    PFX_REPNE = 1 << 2, /* F2 (the last of F2/F3) */
    PFX_OPSIZE = 1 << 3,
    PFX_ADDRSIZE = 1 << 4,
    PFX_SEG = 1 << 5,
    PFX_REX = 1 << 6,
    PFX_VEX = 1 << 7,   /* VEX-encoded (C4/C5) */
    PFX_EVEX = 1 << 8,  /* EVEX-encoded (62): AVX-512, decoded to the length only */
};

/* X86Insn.mandatory: the prefix that selected an SSE/VEX opcode (SDM Vol. 2A 2.1.2) */
enum { MP_NONE, MP_66, MP_F3, MP_F2 };

typedef struct X86Insn {
    uint8_t len;
    uint8_t map;       /* 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A (VEX/EVEX: their map field) */
    uint8_t opcode;
    uint16_t mnemonic; /* X86Mnemonic */
    uint8_t cc;        /* condition code for Jcc/SETcc/CMOVcc */
    uint8_t opsize;    /* 2, 4, 8 */
    uint8_t addrsize;  /* 2, 4, 8 */
    uint16_t prefixes; /* PFX_* */
    int8_t seg_override;
    uint8_t rex;       /* the REX byte (VEX/EVEX: their R X B W bits in REX form) */
    bool has_modrm;
    uint8_t modrm;
    uint32_t entry_flags; /* F_* of the opcode entry */
    uint8_t nb_ops;
    X86Operand op[4];
    X86MemOperand mem;
    int64_t imm, imm2;
    /* added by the full decoder */
    bool has_sib;
    uint8_t sib;
    uint8_t mandatory;     /* MP_*: the mandatory prefix (or VEX.pp) that selected the entry */
    uint8_t vex_l;         /* VEX.L / EVEX.L'L: 0 (128), 1 (256), 2 (512) */
    uint8_t vex_v;         /* register in VEX.vvvv (decoded, not inverted) */
    uint8_t evex_aaa;      /* EVEX opmask register */
    bool evex_z, evex_b;   /* EVEX zeroing, broadcast/rounding */
    uint16_t flags_read;   /* FL_* the instruction reads (x86_mnemonic_info, refined by cc) */
    uint16_t flags_written;
    uint8_t attrs;         /* MA_* */
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
