/*
 * cpu/decode.c — table-driven x86 decoder (see cpu/decode.h). The tables are built at compile
 * time from cpu/opcodes.def and cpu/mnemonics.def (designated initializers: a cell written twice
 * is a -Woverride-init warning); this file only knows the encoding rules of Intel SDM Vol. 2A
 * chapter 2: prefixes (2.1.1), REX (2.2.1), ModRM/SIB/displacement (2.1.5), immediates, VEX
 * (2.3), EVEX (2.6), the 15-byte limit (2.3.11), and the handful of opcodes whose encoding is
 * special (90, 63 in 64-bit mode, C4/C5/62 as VEX/EVEX or LES/LDS/BOUND, MOV CR/DR).
 *
 * Decoding an instruction is a walk down at most three table levels (map, group, ModRM.rm)
 * followed by one pass over its operand specs; nothing is allocated, nothing is global.
 */
#include "cpu/decode.h"


const X86MnemonicInfo x86_mnemonic_info[MN_NB] = {
#define MN(name, rd, wr, attrs) [MN_##name] = {#name, (rd), (wr), (attrs)},
#include "cpu/mnemonics.def"
#undef MN
};

/* ---- operand specs: addressing method and type (SDM Vol. 2D A.2.1, A.2.2) ---- */

enum {
    AM_NONE,
    AM_E,     /* ModRM r/m: general register or memory */
    AM_G,     /* ModRM.reg: general register */
    AM_M,     /* ModRM r/m: memory only (mod = 11 is #UD) */
    AM_R,     /* ModRM r/m: general register only */
    AM_RCR,   /* ModRM r/m: general register whatever mod says (MOV CR/DR) */
    AM_RM,    /* ModRM r/m: general register of `type` or memory of `mtype` */
    AM_S,     /* ModRM.reg: segment register */
    AM_C,     /* ModRM.reg: control register */
    AM_D,     /* ModRM.reg: debug register */
    AM_P,     /* ModRM.reg: MMX register */
    AM_Q,     /* ModRM r/m: MMX register or memory */
    AM_N,     /* ModRM r/m: MMX register only */
    AM_V,     /* ModRM.reg: XMM register */
    AM_W,     /* ModRM r/m: XMM register or memory */
    AM_U,     /* ModRM r/m: XMM register only */
    AM_UM,    /* ModRM r/m: XMM register or memory of `mtype` (doubled by VEX.L) */
    AM_STI,   /* ModRM r/m: x87 register ST(i) */
    AM_KG,    /* ModRM.reg: opmask register */
    AM_KR,    /* ModRM r/m: opmask register only */
    AM_KE,    /* ModRM r/m: opmask register or memory */
    AM_KH,    /* VEX.vvvv: opmask register */
    AM_H,     /* VEX.vvvv: XMM register (absent from the legacy form) */
    AM_B,     /* VEX.vvvv: general register */
    AM_L,     /* imm8[7:4]: XMM register */
    AM_I,     /* immediate */
    AM_IS,    /* immediate, sign-extended to the operand size */
    AM_IOP,   /* immediate as wide as operand 1 (64-bit: 32 sign-extended) */
    AM_J,     /* relative branch offset */
    AM_A,     /* far pointer */
    AM_O,     /* moffs */
    AM_Z,     /* general register in the opcode's low 3 bits (+ REX.B) */
    AM_FIX,   /* a fixed general register (`reg`) */
    AM_ONE,   /* the constant 1 (shift count) */
    AM_ST0,   /* ST(0) */
    AM_XMM0,  /* XMM0 (implicit) */
    AM_SEG,   /* a fixed segment register (`reg`) */
    AM_X,     /* DS:rSI */
    AM_Y,     /* ES:rDI */
};

enum {
    T_none, T_b, T_w, T_d, T_q, T_dq, T_qq, T_t, T_v, T_z, T_y, T_x, T_ps, T_pd, T_ss, T_sd,
    T_pi, T_a, T_p, T_s, T_e, T_st,
};

typedef struct SpecInfo {
    uint8_t method, type;
    uint8_t mtype; /* AM_RM/AM_UM: the memory form's type */
    uint8_t reg;   /* AM_FIX/AM_SEG */
} SpecInfo;

#define SI(n, m, t) [OPS_##n] = {AM_##m, T_##t, 0, 0},
#define SI_RM(n, m, t, mt) [OPS_##n] = {AM_##m, T_##t, T_##mt, 0},
#define SI_FIX(n, m, t, r) [OPS_##n] = {AM_##m, T_##t, 0, r},
static const SpecInfo spec_info[OPS_NB] = {
    SI(Eb, E, b) SI(Ew, E, w) SI(Ed, E, d) SI(Eq, E, q) SI(Ev, E, v) SI(Ey, E, y) SI(Ez, E, z)
    SI(Ex, E, none)
    SI(Gb, G, b) SI(Gw, G, w) SI(Gd, G, d) SI(Gq, G, q) SI(Gv, G, v) SI(Gy, G, y) SI(Gz, G, z)
    SI(M, M, none) SI(Ma, M, a) SI(Mp, M, p) SI(Ms, M, s) SI(Mb, M, b) SI(Mw, M, w)
    SI(Md, M, d) SI(Mq, M, q) SI(Mdq, M, dq) SI(Mqq, M, qq) SI(Mx, M, x) SI(Mv, M, v)
    SI(My, M, y) SI(Mt, M, t) SI(Me, M, e) SI(Mst, M, st) SI(Mps, M, ps) SI(Mpd, M, pd)
    SI(Rd, RCR, none) SI(Rv, R, v) SI(Ry, R, y)
    SI_RM(RdMb, RM, d, b) SI_RM(RdMw, RM, d, w) SI_RM(RyMb, RM, y, b) SI_RM(RyMw, RM, y, w)
    SI_RM(RvMw, RM, v, w)
    SI(Sw, S, w) SI(Cd, C, none) SI(Dd, D, none)
    SI(Pq, P, q) SI(Pd, P, d) SI(Ppi, P, pi) SI(Qq, Q, q) SI(Qd, Q, d) SI(Qpi, Q, pi)
    SI(Nq, N, q)
    SI(Vx, V, x) SI(Vps, V, ps) SI(Vpd, V, pd) SI(Vss, V, ss) SI(Vsd, V, sd) SI(Vdq, V, dq)
    SI(Vqq, V, qq) SI(Vq, V, q) SI(Vd, V, d) SI(Vy, V, y)
    SI(Wx, W, x) SI(Wps, W, ps) SI(Wpd, W, pd) SI(Wss, W, ss) SI(Wsd, W, sd) SI(Wdq, W, dq)
    SI(Wqq, W, qq) SI(Wq, W, q) SI(Wd, W, d) SI(Ww, W, w) SI(Wb, W, b)
    SI(Ux, U, x) SI(Ups, U, ps) SI(Upd, U, pd) SI(Udq, U, dq) SI(Uq, U, q)
    SI_RM(UdqMd, UM, dq, d) SI_RM(UxMq, UM, x, q) SI_RM(UxMd, UM, x, d)
    SI_RM(UxMw, UM, x, w)
    SI(STi, STI, t) SI(KG, KG, q) SI(KR, KR, q) SI(KEb, KE, b) SI(KEw, KE, w) SI(KEd, KE, d)
    SI(KEq, KE, q) SI(KH, KH, q)
    SI(Hx, H, x) SI(Hps, H, ps) SI(Hpd, H, pd) SI(Hss, H, ss) SI(Hsd, H, sd) SI(Hdq, H, dq)
    SI(Hqq, H, qq) SI(Hq, H, q) SI(By, B, y) SI(Lx, L, x)
    SI(Ib, I, b) SI(Ibs, IS, b) SI(Iw, I, w) SI(Iz, IS, z) SI(Iv, I, v) SI(Iopnd, IOP, none)
    SI(Jb, J, b) SI(Jz, J, z) SI(Ap, A, p) SI(Ob, O, b) SI(Ov, O, v) SI(Zb, Z, b) SI(Zv, Z, v)
    SI_FIX(AL, FIX, b, 0) SI_FIX(AX, FIX, w, 0) SI_FIX(rAX, FIX, v, 0) SI_FIX(eAX, FIX, z, 0)
    SI_FIX(DX, FIX, w, 2) SI_FIX(CL, FIX, b, 1)
    SI(ONE, ONE, b) SI(ST0, ST0, t) SI(XMM0, XMM0, dq)
    SI_FIX(sES, SEG, w, 0) SI_FIX(sCS, SEG, w, 1) SI_FIX(sSS, SEG, w, 2) SI_FIX(sDS, SEG, w, 3)
    SI_FIX(sFS, SEG, w, 4) SI_FIX(sGS, SEG, w, 5)
    SI(Xb, X, b) SI(Xv, X, v) SI(Xz, X, z) SI(Yb, Y, b) SI(Yv, Y, v) SI(Yz, Y, z)
};
#undef SI
#undef SI_RM
#undef SI_FIX

/* ---- the opcode tables ---- */

typedef struct OpEntry {
    uint16_t mnemonic;
    uint8_t ops[4];
    uint8_t info; /* E_* */
    uint32_t flags;
} OpEntry;

enum { E_VALID = 1, E_MODRM = 2 };

/* specs up to OPS_LAST_MODRM take a ModRM byte (OPS___ wraps around to "no") */
#define SPEC_MODRM(s) ((unsigned)OPS_##s - 1u < (unsigned)OPS_LAST_MODRM)
#define E_(mn, a, b, c, d, f)                                                                  \
    {MN_##mn, {OPS_##a, OPS_##b, OPS_##c, OPS_##d},                                            \
     (uint8_t)(E_VALID | (SPEC_MODRM(a) || SPEC_MODRM(b) || SPEC_MODRM(c) || SPEC_MODRM(d) ||   \
                                  ((uint32_t)(f) >> F_GRP_SHIFT) != 0 || ((f) & F_X87)          \
                              ? E_MODRM                                                        \
                              : 0)),                                                           \
     (uint32_t)(f)}

/* mandatory-prefix columns; EACH_pfx(M, ...) expands M once per column the row covers */
enum { COL_NP, COL_66, COL_F3, COL_F2 };
#define EACH_ANY(M, ...) M(COL_NP, __VA_ARGS__) M(COL_66, __VA_ARGS__) M(COL_F3, __VA_ARGS__)   \
                         M(COL_F2, __VA_ARGS__)
#define EACH_NP(M, ...) M(COL_NP, __VA_ARGS__)
#define EACH_66(M, ...) M(COL_66, __VA_ARGS__)
#define EACH_F3(M, ...) M(COL_F3, __VA_ARGS__)
#define EACH_F2(M, ...) M(COL_F2, __VA_ARGS__)
/* VEX.W columns */
#define EACH_WIG(M, ...) M(0, __VA_ARGS__) M(1, __VA_ARGS__)
#define EACH_W0(M, ...) M(0, __VA_ARGS__)
#define EACH_W1(M, ...) M(1, __VA_ARGS__)

/* Table A-2; the rows that replace an i64 opcode in 64-bit mode */
static const OpEntry map_1byte[256] = {
#define O1(byte, mn, a, b, c, f) [byte] = E_(mn, a, b, c, __, f),
#include "cpu/opcodes.def"
};
static const OpEntry map_1byte_64[256] = {
#define O64(byte, mn, a, b, c, f) [byte] = E_(mn, a, b, c, __, f),
#include "cpu/opcodes.def"
};

/* Tables: the rows without a mandatory prefix [map - 1][opcode], and the cells of
   a mandatory prefix [map - 1][opcode][column], which override them */
static const OpEntry map_esc_any[3][256] = {
#define O2(byte, mn, a, b, c, f) [0][byte] = E_(mn, a, b, c, __, f),
#include "cpu/opcodes.def"
};
#define AT_COL(col, map, byte, ...) [map][byte][col] = __VA_ARGS__,
static const OpEntry map_esc[3][256][4] = {
#define P2(byte, pfx, mn, a, b, c, d, f) EACH_##pfx(AT_COL, 0, byte, E_(mn, a, b, c, d, f))
#define P38(byte, pfx, mn, a, b, c, d, f) EACH_##pfx(AT_COL, 1, byte, E_(mn, a, b, c, d, f))
#define P3A(byte, pfx, mn, a, b, c, d, f) EACH_##pfx(AT_COL, 2, byte, E_(mn, a, b, c, d, f))
#include "cpu/opcodes.def"
};
#undef AT_COL

/* VEX-only opcodes: [map - 1][opcode][VEX.pp][VEX.W] */
#define AT_W(w, map, byte, col, ...) [map][byte][col][w] = __VA_ARGS__,
#define AT_VEX(col, map, byte, w, ...) EACH_##w(AT_W, map, byte, col, __VA_ARGS__)
static const OpEntry map_vex[3][256][4][2] = {
#define V1(byte, pfx, w, mn, a, b, c, d, f) EACH_##pfx(AT_VEX, 0, byte, w, E_(mn, a, b, c, d, f))
#define V2(byte, pfx, w, mn, a, b, c, d, f) EACH_##pfx(AT_VEX, 1, byte, w, E_(mn, a, b, c, d, f))
#define V3(byte, pfx, w, mn, a, b, c, d, f) EACH_##pfx(AT_VEX, 2, byte, w, E_(mn, a, b, c, d, f))
#include "cpu/opcodes.def"
};
#undef AT_VEX
#undef AT_W

/* Table A-6: [group][prefix column][mod == 11][ModRM.reg], and the register forms that
   ModRM.rm selects: [group][ModRM.reg][ModRM.rm] */
#define AT_GRP(col, g, regform, reg, ...) [GRP_##g][col][regform][reg] = __VA_ARGS__,
static const OpEntry groups[GRP_NB][4][2][8] = {
#define GR(g, reg, mn, a, b, c, f)                                                             \
    EACH_ANY(AT_GRP, g, 0, reg, E_(mn, a, b, c, __, f))                                        \
    EACH_ANY(AT_GRP, g, 1, reg, E_(mn, a, b, c, __, f))
#define GM(g, pfx, reg, mn, a, b, c, f) EACH_##pfx(AT_GRP, g, 0, reg, E_(mn, a, b, c, __, f))
#define GX(g, pfx, reg, mn, a, b, c, f) EACH_##pfx(AT_GRP, g, 1, reg, E_(mn, a, b, c, __, f))
#include "cpu/opcodes.def"
};
#undef AT_GRP
static const OpEntry groups_rm[GRP_NB][8][8] = {
#define GXR(g, modrm, mn, a, b, c, f) [GRP_##g][((modrm) >> 3) & 7][(modrm) & 7] =           \
    E_(mn, a, b, c, __, f),
#include "cpu/opcodes.def"
};

/* Tables: x87 memory forms [escape][reg], register forms [escape][ModRM & 3F] */
static const OpEntry x87_mem[8][8] = {
#define FM(esc, reg, mn, a, f) [(esc) - 0xd8][reg] = E_(mn, a, __, __, __, f),
#include "cpu/opcodes.def"
};
#define AT_RM(rm, esc, reg, ...) [(esc) - 0xd8][(reg) * 8 + (rm)] = __VA_ARGS__,
#define EACH_RM(M, ...) M(0, __VA_ARGS__) M(1, __VA_ARGS__) M(2, __VA_ARGS__) M(3, __VA_ARGS__) \
                        M(4, __VA_ARGS__) M(5, __VA_ARGS__) M(6, __VA_ARGS__) M(7, __VA_ARGS__)
static const OpEntry x87_reg[8][64] = {
#define FR(esc, reg, mn, a, b, f) EACH_RM(AT_RM, esc, reg, E_(mn, a, b, __, __, f))
#define FX(esc, modrm, mn, a, b, f) [(esc) - 0xd8][(modrm) & 0x3f] = E_(mn, a, b, __, __, f),
#include "cpu/opcodes.def"
};
#undef EACH_RM
#undef AT_RM

/* F3 90 (SDM PAUSE) */
static const OpEntry pause_entry = E_(PAUSE, __, __, __, __, 0);

/* ---- prefixes (SDM Vol. 2A 2.1.1) ---- */

enum { PC_NONE, PC_SEG, PC_66, PC_67, PC_LOCK, PC_REP, PC_REX };
static const uint8_t prefix_class[256] = {
    [0x26] = PC_SEG, [0x2e] = PC_SEG, [0x36] = PC_SEG, [0x3e] = PC_SEG, [0x64] = PC_SEG,
    [0x65] = PC_SEG, [0x66] = PC_66,  [0x67] = PC_67,  [0xf0] = PC_LOCK, [0xf2] = PC_REP,
    [0xf3] = PC_REP, [0x40 ... 0x4f] = PC_REX,
};

/* flags each condition code reads (SDM Vol. 1 Appendix B) */
static const uint16_t cc_flags[16] = {
    FL_O, FL_O, FL_C, FL_C, FL_Z, FL_Z, FL_C | FL_Z, FL_C | FL_Z,
    FL_S, FL_S, FL_P, FL_P, FL_S | FL_O, FL_S | FL_O, FL_Z | FL_S | FL_O, FL_Z | FL_S | FL_O,
};

/* ---- byte reader ---- */

typedef struct Reader {
    const uint8_t *p;
    int pos, lim;
    bool short_read; /* tried to read past lim */
} Reader;

static inline uint64_t take(Reader *r, int n)
{
    uint64_t v = 0;
    if (r->pos + n > r->lim) {
        r->short_read = true;
        r->pos += n;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        v |= (uint64_t)r->p[r->pos + i] << (8 * i);
    }
    r->pos += n;
    return v;
}

static inline int64_t take_signed(Reader *r, int n)
{
    uint64_t v = take(r, n);
    int sh = 64 - 8 * n;
    return (int64_t)(v << sh) >> sh;
}

/* ---- memory operands (SDM Vol. 2A 2.1.5, Tables 2-1 to 2-3; 2.2.1.6 RIP-relative) ---- */

/* 16-bit ModRM addressing (Table 2-1) */
static const int8_t modrm16_base[8] = {3, 3, 5, 5, 6, 7, 5, 3}; /* BX BX BP BP SI DI BP BX */
static const int8_t modrm16_index[8] = {6, 7, 6, 7, -1, -1, -1, -1};

/* rex: REX-form R X B bits (VEX/EVEX ones folded in); vsib: the index is a vector register */
static void decode_mem(X86Insn *d, Reader *r, int mode, bool vsib)
{
    uint8_t mod = d->modrm >> 6, rm = d->modrm & 7;
    X86MemOperand *m = &d->mem;
    m->base = m->index = -1;
    m->scale = 1;
    m->seg = 3; /* DS */
    if (d->addrsize == 2) {
        if (mod == 0 && rm == 6) {
            m->disp = take_signed(r, 2);
        } else {
            m->base = modrm16_base[rm];
            m->index = modrm16_index[rm];
            if (rm == 2 || rm == 3 || rm == 6) {
                m->seg = 2; /* BP-based: SS */
            }
            m->disp = mod == 1 ? take_signed(r, 1) : mod == 2 ? take_signed(r, 2) : 0;
        }
    } else {
        uint8_t rex = d->rex;
        if (rm == 4) {
            uint8_t sib = (uint8_t)take(r, 1);
            d->has_sib = true;
            d->sib = sib;
            int idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
            int base = (sib & 7) | ((rex & 1) << 3);
            m->scale = (uint8_t)(1 << (sib >> 6));
            /* index 100 means "none", but not with REX.X (r12) and not in a VSIB */
            m->index = (idx == 4 && !vsib) ? -1 : (int8_t)idx;
            m->vsib = vsib;
            if ((sib & 7) == 5 && mod == 0) {
                m->disp = take_signed(r, 4);
            } else {
                m->base = (int8_t)base;
            }
        } else if (rm == 5 && mod == 0) {
            m->disp = take_signed(r, 4);
            m->rip_rel = mode == 64;
        } else {
            m->base = (int8_t)(rm | ((rex & 1) << 3));
        }
        if (mod == 1) {
            m->disp = take_signed(r, 1);
        } else if (mod == 2) {
            m->disp = take_signed(r, 4);
        }
        if (m->base == 4 || m->base == 5) {
            m->seg = 2; /* rSP/rBP-based: SS */
        }
    }
    if (d->seg_override >= 0) {
        m->seg = d->seg_override;
    }
}

/* ---- operand sizes ---- */

static inline int type_size(uint8_t t, const X86Insn *d, int mode)
{
    static const uint8_t fixed[T_st + 1] = {
        [T_b] = 1, [T_w] = 2, [T_d] = 4, [T_q] = 8, [T_dq] = 16, [T_qq] = 32, [T_t] = 10,
        [T_ss] = 4, [T_sd] = 8, [T_pi] = 8,
    };
    if (fixed[t]) {
        return fixed[t];
    }
    switch (t) {
    case T_v: return d->opsize;
    case T_z: return d->opsize == 2 ? 2 : 4;
    case T_y: return d->opsize == 8 ? 8 : 4;
    case T_x: case T_ps: case T_pd: return 16 << d->vex_l;
    case T_a: return 2 * d->opsize;
    case T_p: return d->opsize + 2;
    case T_s: return mode == 64 ? 10 : 6;
    case T_e: return d->opsize == 2 ? 14 : 28;
    case T_st: return d->opsize == 2 ? 94 : 108;
    default: return 0;
    }
}

/* ---- the decoder ---- */

/* vex: 0 legacy, 1 VEX; from_vex: the opcode came from the VEX-only table */
typedef struct DecodeState {
    Reader r;
    int mode;
    int col;       /* mandatory-prefix column / VEX.pp */
    int vex;       /* 0 legacy, 1 VEX, 2 EVEX */
    bool vex_only; /* the entry is from map_vex */
    bool pfx66;
    uint8_t vvvv;  /* VEX.vvvv, decoded */
} DecodeState;

static int finish_length(const DecodeState *s, int avail)
{
    if (s->r.short_read) {
        return (avail >= 15 || s->r.pos > 15) ? X86_DECODE_TOO_LONG : X86_DECODE_TRUNCATED;
    }
    if (s->r.pos > 15) {
        return X86_DECODE_TOO_LONG;
    }
    return s->r.pos;
}

/* EVEX (SDM Vol. 2A 2.6): decoded far enough to know the length and the fields; the model
   has no AVX-512, so the translator raises #UD for MN_EVEX. */
static int decode_evex(X86Insn *d, DecodeState *s, int avail)
{
    Reader *r = &s->r;
    uint8_t p0 = (uint8_t)take(r, 1), p1 = (uint8_t)take(r, 1), p2 = (uint8_t)take(r, 1);
    uint8_t op = (uint8_t)take(r, 1);
    d->modrm = (uint8_t)take(r, 1);
    d->has_modrm = true;
    if (r->short_read) {
        return finish_length(s, avail);
    }
    /* P0[3:2] and P1[2] are fixed (0 and 1); mm = 0 is reserved */
    if ((p0 & 0x0c) != 0 || !(p1 & 0x04) || (p0 & 3) == 0) {
        return X86_DECODE_INVALID;
    }
    d->prefixes |= PFX_EVEX;
    d->map = p0 & 3;
    d->opcode = op;
    d->mnemonic = MN_EVEX;
    d->mandatory = p1 & 3;
    d->vex_l = (p2 >> 5) & 3;
    d->evex_z = p2 >> 7;
    d->evex_b = (p2 >> 4) & 1;
    d->evex_aaa = p2 & 7;
    d->vex_v = (uint8_t)(((~p1 >> 3) & 15) | (!(p2 & 8) << 4));
    if (s->mode == 64) {
        d->rex = (uint8_t)(0x40 | ((p1 >> 4) & 8) | (!(p0 & 0x80) << 2) | (!(p0 & 0x40) << 1) |
                           !(p0 & 0x20));
    }
    d->opsize = s->mode == 16 ? 2 : 4;
    d->addrsize = s->mode == 64 ? 8 : s->mode == 32 ? 4 : 2;
    if (d->prefixes & PFX_ADDRSIZE) {
        d->addrsize = s->mode == 32 ? 2 : 4;
    }
    if (d->modrm < 0xc0) {
        decode_mem(d, r, s->mode, false);
    }
    /* an imm8 follows in map 0F3A and in the 0F opcodes that take one in their VEX forms */
    if (d->map == 3 || (d->map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 ||
                                        (op >= 0xc4 && op <= 0xc6)))) {
        d->imm = (int64_t)take(r, 1);
    }
    int len = finish_length(s, avail);
    if (len > 0) {
        d->len = (uint8_t)len;
    }
    return len;
}

/* Clear *d with plain stores: memset, struct assignment and a word loop all become a rep stos,
   whose start-up cost was a sixth of the decoding time. */
typedef uint64_t u64_alias __attribute__((may_alias));
_Static_assert(sizeof(X86Insn) == 96 && _Alignof(X86Insn) >= 8, "blank_insn clears 12 words");
static inline void blank_insn(X86Insn *d)
{
    u64_alias *q = (u64_alias *)d;
    q[0] = 0, q[1] = 0, q[2] = 0, q[3] = 0, q[4] = 0, q[5] = 0;
    q[6] = 0, q[7] = 0, q[8] = 0, q[9] = 0, q[10] = 0, q[11] = 0;
    d->seg_override = -1;
}

int x86_decode(X86Insn *d, const uint8_t *p, int avail, int mode)
{
    blank_insn(d);
    DecodeState s = {.r = {p, 0, avail < 15 ? avail : 15, false}, .mode = mode};
    Reader *r = &s.r;
    uint8_t rex = 0, rep = 0;

    /* prefixes: any number, any order; the last segment override and the last of F2/F3 win;
       REX counts only right before the opcode (SDM 2.2.1: otherwise it is ignored) */
    for (;;) {
        if (r->pos >= r->lim) {
            return avail < 15 ? X86_DECODE_TRUNCATED : X86_DECODE_TOO_LONG;
        }
        uint8_t b = p[r->pos];
        uint8_t pc = prefix_class[b];
        if (pc == PC_NONE || (pc == PC_REX && mode != 64)) {
            break;
        }
        switch (pc) {
        case PC_SEG: {
            int seg = b >= 0x64 ? b - 0x60 : (b >> 3) & 3; /* 26 2E 36 3E 64 65: ES..GS */
            /* 64-bit mode ignores ES, CS, SS and DS overrides (SDM Vol. 1 3.3.7.1) */
            if (mode != 64 || seg >= 4) {
                d->seg_override = (int8_t)seg;
                d->prefixes |= PFX_SEG;
            }
            break;
        }
        case PC_66: s.pfx66 = true; d->prefixes |= PFX_OPSIZE; break;
        case PC_67: d->prefixes |= PFX_ADDRSIZE; break;
        case PC_LOCK: d->prefixes |= PFX_LOCK; break;
        case PC_REP:
            rep = b;
            d->prefixes = (uint16_t)((d->prefixes & ~(PFX_REP | PFX_REPNE)) |
                                     (b == 0xf3 ? PFX_REP : PFX_REPNE));
            break;
        }
        rex = pc == PC_REX ? b : 0;
        r->pos++;
    }
    if (rex) {
        d->rex = rex;
        d->prefixes |= PFX_REX;
    }
    /* the mandatory-prefix column: F2/F3 (the last of them) before 66 (SDM 2.1.2; e.g.
       "66 F2 0F 38 F1: CRC32 r32, r/m16") */
    s.col = rep == 0xf3 ? COL_F3 : rep == 0xf2 ? COL_F2 : s.pfx66 ? COL_66 : COL_NP;

    const OpEntry *e;
    uint8_t op = (uint8_t)take(r, 1);
    if (op == 0x0f) {
        uint8_t op2 = (uint8_t)take(r, 1);
        d->map = 1;
        if (op2 == 0x38 || op2 == 0x3a) {
            d->map = op2 == 0x38 ? 2 : 3;
            op2 = (uint8_t)take(r, 1);
        }
        if (r->short_read) {
            return finish_length(&s, avail);
        }
        op = op2;
        e = &map_esc[d->map - 1][op][s.col];
        if (e->info & E_VALID) {
            d->mandatory = (uint8_t)s.col;
        } else {
            e = &map_esc_any[d->map - 1][op];
        }
    } else if (op == 0xc4 || op == 0xc5 || op == 0x62) {
        /* VEX/EVEX in 64-bit mode; elsewhere only when the next byte would be a register-form
           ModRM, which LES/LDS/BOUND cannot take (SDM Vol. 2A 2.3, VEX; 2.6, EVEX) */
        if (r->pos >= r->lim) {
            r->short_read = true;
            return finish_length(&s, avail);
        }
        if (mode == 64 || p[r->pos] >= 0xc0) {
            /* a VEX/EVEX instruction with 66, F2, F3, LOCK or REX before it is #UD (SDM Vol. 2A
               2.3.2-2.3.4) */
            if (s.pfx66 || rep || (d->prefixes & PFX_LOCK) || rex) {
                return X86_DECODE_INVALID;
            }
            if (op == 0x62) {
                return decode_evex(d, &s, avail);
            }
            /* C4: R X B mmmmm, W vvvv L pp; C5: R vvvv L pp with X = B = 0 (inverted: 1),
               map 0F and W = 0 */
            uint8_t rxb_map, wvlpp;
            if (op == 0xc4) {
                rxb_map = (uint8_t)take(r, 1);
                wvlpp = (uint8_t)take(r, 1);
            } else {
                uint8_t b = (uint8_t)take(r, 1);
                rxb_map = (uint8_t)((b & 0x80) | 0x61);
                wvlpp = b & 0x7f;
            }
            uint8_t vop = (uint8_t)take(r, 1);
            if (r->short_read) {
                return finish_length(&s, avail);
            }
            int vmap = rxb_map & 0x1f;
            if (vmap < 1 || vmap > 3) {
                return X86_DECODE_INVALID;
            }
            int w = wvlpp >> 7;
            s.vex = 1;
            s.col = wvlpp & 3;
            s.vvvv = (uint8_t)((~wvlpp >> 3) & 15);
            d->vex_l = (wvlpp >> 2) & 1;
            uint8_t vrex = (uint8_t)(0x40 | (w << 3));
            if (mode == 64) {
                vrex |= (uint8_t)((~rxb_map >> 5) & 7); /* R X B */
            } else {
                s.vvvv &= 7; /* outside 64-bit mode vvvv[3] is ignored (SDM 2.3, VEX.vvvv) */
            }
            rex = vrex;
            d->rex = vrex;
            d->prefixes |= PFX_VEX;
            d->map = (uint8_t)vmap;
            d->mandatory = (uint8_t)s.col;
            op = vop;
            e = &map_vex[vmap - 1][op][s.col][w];
            if (e->info & E_VALID) {
                s.vex_only = true;
            } else {
                e = &map_esc[vmap - 1][op][s.col];
                if (!(e->info & E_VALID)) {
                    e = &map_esc_any[vmap - 1][op];
                }
                if (!(e->flags & F_VEX)) {
                    return X86_DECODE_INVALID;
                }
            }
        } else {
            e = &map_1byte[op];
        }
    } else {
        e = &map_1byte[op];
        if (mode == 64 && (e->flags & F_INV64) && (map_1byte_64[op].info & E_VALID)) {
            e = &map_1byte_64[op];
        }
        if (op == 0x90) {
            /* 90 is XCHG rAX, rAX: with REX.B it exchanges r8 (the 91-97 row form), with F3
               it is PAUSE */
            if (rex & 1) {
                e = &map_1byte[0x91];
            } else if (rep == 0xf3) {
                e = &pause_entry;
            }
        }
    }
    if (r->short_read) {
        return finish_length(&s, avail);
    }
    d->opcode = op;
    if (!(e->info & E_VALID) || (e->flags & (F_PREFIX | F_ESC))) {
        return X86_DECODE_INVALID;
    }

    OpEntry ent = *e;
    if (ent.info & E_MODRM) {
        d->has_modrm = true;
        d->modrm = (uint8_t)take(r, 1);
        if (r->short_read) {
            return finish_length(&s, avail);
        }
        uint8_t mod = d->modrm >> 6, reg = (d->modrm >> 3) & 7, rm = d->modrm & 7;
        int g = (int)(ent.flags >> F_GRP_SHIFT);
        if (g) {
            const OpEntry *ge = &groups[g][s.col][mod == 3][reg];
            bool full = false;
            if (ge->flags & F_BYRM) {
                ge = &groups_rm[g][reg][rm];
                full = true;
            }
            if (!(ge->info & E_VALID) || (s.vex && !s.vex_only && !(ge->flags & F_VEX))) {
                return X86_DECODE_INVALID;
            }
            ent.mnemonic = ge->mnemonic;
            for (int k = 0; k < 4; k++) {
                if (full || ge->ops[k] != OPS___) {
                    ent.ops[k] = ge->ops[k];
                }
            }
            ent.flags = (ent.flags & ~(0xffu << F_GRP_SHIFT)) | ge->flags;
        } else if (ent.flags & F_X87) {
            const OpEntry *fe = mod == 3 ? &x87_reg[op - 0xd8][d->modrm & 0x3f]
                                         : &x87_mem[op - 0xd8][reg];
            if (!(fe->info & E_VALID)) {
                return X86_DECODE_INVALID;
            }
            ent = *fe;
        }
    }
    if (mode == 64 ? (ent.flags & F_INV64) : (ent.flags & F_ONLY64)) {
        return X86_DECODE_INVALID;
    }
    if (s.vex && (((ent.flags & F_L0) && d->vex_l) || ((ent.flags & F_L1) && !d->vex_l))) {
        return X86_DECODE_INVALID;
    }
    d->mnemonic = ent.mnemonic;
    d->entry_flags = ent.flags;
    if (ent.flags & F_CC) {
        d->cc = op & 15;
    }

    /* operand and address size (SDM Vol. 1 3.6, Vol. 2A 2.2.1.2) */
    if (mode == 64) {
        if (rex & 8) {
            d->opsize = 8;
        } else if (s.pfx66 && !(ent.flags & F_F64)) {
            d->opsize = 2;
        } else {
            d->opsize = (ent.flags & (F_DEF64 | F_F64)) ? 8 : 4;
        }
        d->addrsize = (d->prefixes & PFX_ADDRSIZE) ? 4 : 8;
    } else {
        int def = mode == 32 ? 4 : 2;
        d->opsize = (uint8_t)(s.pfx66 ? 6 - def : def);
        d->addrsize = (uint8_t)((d->prefixes & PFX_ADDRSIZE) ? 6 - def : def);
    }

    uint8_t mod = d->modrm >> 6;
    bool mem_form = d->has_modrm && mod != 3;
    /* LOCK: only the listed read-modify-write forms, with a memory destination (SDM LOCK) */
    if ((d->prefixes & PFX_LOCK) && (!(ent.flags & F_LOCK) || !mem_form)) {
        return X86_DECODE_INVALID;
    }
    if (ent.flags & F_VSIB) {
        /* VSIB needs a SIB byte (SDM 2.3.12): no register form, no 16-bit addressing */
        if (!mem_form || (d->modrm & 7) != 4 || d->addrsize == 2) {
            return X86_DECODE_INVALID;
        }
    }
    bool hreg_only = (ent.flags & F_HREG) && mem_form;
    bool mem_decoded = false;

    uint8_t reg = ((d->modrm >> 3) & 7) | ((rex & 4) << 1);
    uint8_t rmreg = (d->modrm & 7) | ((rex & 1) << 3);
    uint8_t opreg = (op & 7) | ((rex & 1) << 3);
    bool used_vvvv = false, rcr = false;
    int nimm = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t sp = ent.ops[k];
        if (sp == OPS___) {
            break;
        }
        const SpecInfo *si = &spec_info[sp];
        uint8_t am = si->method;
        /* the legacy forms have no VEX.vvvv operand; nor do VMOVSS/VMOVSD from memory */
        if (am == AM_H && (!s.vex || hreg_only)) {
            continue;
        }
        X86Operand *o = &d->op[d->nb_ops++];
        o->size = (uint8_t)type_size(si->type, d, mode);
        switch (am) {
        case AM_E: case AM_Q: case AM_W: case AM_RM: case AM_UM:
        case AM_M: case AM_R: case AM_N: case AM_U: case AM_KR: case AM_KE:
            if (mem_form) {
                if (am == AM_R || am == AM_N || am == AM_U || am == AM_KR) {
                    return X86_DECODE_INVALID;
                }
                o->kind = OPK_MEM;
                if (am == AM_RM) {
                    o->size = (uint8_t)type_size(si->mtype, d, mode);
                } else if (am == AM_UM) {
                    o->size = (uint8_t)(type_size(si->mtype, d, mode) << d->vex_l);
                }
                if (!mem_decoded) {
                    decode_mem(d, r, mode, (ent.flags & F_VSIB) != 0);
                    mem_decoded = true;
                }
            } else if (am == AM_M) {
                return X86_DECODE_INVALID;
            } else if (am == AM_Q || am == AM_N) {
                o->kind = OPK_MMX;
                o->reg = d->modrm & 7;
                o->size = 8;
            } else if (am == AM_W || am == AM_U || am == AM_UM) {
                o->kind = OPK_XMM;
                o->reg = rmreg;
                if (am == AM_UM) {
                    o->size = 16; /* the narrow source (or destination) is an XMM register */
                }
            } else if (am == AM_KR || am == AM_KE) {
                /* eight opmask registers: VEX.B set is #UD */
                o->kind = OPK_KREG;
                o->reg = rmreg;
                o->size = 8;
                if (rmreg > 7) {
                    return X86_DECODE_INVALID;
                }
            } else {
                o->kind = OPK_REG;
                o->reg = rmreg;
            }
            break;
        case AM_G: o->kind = OPK_REG; o->reg = reg; break;
        case AM_P: o->kind = OPK_MMX; o->reg = reg & 7; break;
        case AM_V: o->kind = OPK_XMM; o->reg = reg; break;
        case AM_H: o->kind = OPK_XMM; o->reg = s.vvvv; used_vvvv = true; break;
        case AM_B: o->kind = OPK_REG; o->reg = s.vvvv; used_vvvv = true; break;
        case AM_KG: case AM_KH:
            /* eight opmask registers: VEX.R or vvvv[3] set is #UD (SDM "VEX.1vvv") */
            o->kind = OPK_KREG;
            o->reg = am == AM_KG ? reg : s.vvvv;
            used_vvvv |= am == AM_KH;
            if (o->reg > 7) {
                return X86_DECODE_INVALID;
            }
            break;
        case AM_STI: o->kind = OPK_ST; o->reg = d->modrm & 7; break;
        case AM_ST0: o->kind = OPK_ST; o->reg = 0; break;
        case AM_XMM0: o->kind = OPK_XMM; o->reg = 0; break;
        case AM_RCR:
            /* MOV CR/DR: r/m is a general register whatever mod says */
            o->kind = OPK_REG;
            o->size = mode == 64 ? 8 : 4;
            o->reg = rmreg;
            rcr = true;
            break;
        case AM_S:
            o->kind = OPK_SREG;
            o->reg = (d->modrm >> 3) & 7;
            /* six segment registers; MOV to CS is #UD (SDM MOV) */
            if (o->reg > 5 || (k == 0 && o->reg == 1)) {
                return X86_DECODE_INVALID;
            }
            break;
        case AM_C:
            o->kind = OPK_CREG;
            o->size = mode == 64 ? 8 : 4;
            o->reg = reg;
            /* CR1, CR5-CR7 and CR9-CR15 are #UD (SDM MOV-to/from-CR); CR8 needs REX.R */
            if (reg == 1 || (reg >= 5 && reg != 8)) {
                return X86_DECODE_INVALID;
            }
            break;
        case AM_D:
            o->kind = OPK_DREG;
            o->size = mode == 64 ? 8 : 4;
            o->reg = reg;
            if (reg > 7) { /* DR8-DR15 with REX.R are #UD (SDM MOV-to/from-DR) */
                return X86_DECODE_INVALID;
            }
            break;
        case AM_Z: o->kind = OPK_REG; o->reg = opreg; break;
        case AM_FIX: o->kind = OPK_REG; o->reg = si->reg; break;
        case AM_SEG: o->kind = OPK_SREG; o->reg = si->reg; break;
        case AM_ONE: o->kind = OPK_IMM; d->imm = 1; nimm++; break;
        case AM_I: case AM_IS: case AM_IOP: case AM_L: {
            if (mem_form && !mem_decoded) {
                decode_mem(d, r, mode, false);
                mem_decoded = true;
            }
            int n = o->size;
            if (am == AM_IOP) {
                /* as wide as operand 1; 64-bit operands take a sign-extended imm32 */
                o->size = d->op[0].size;
                n = o->size == 8 ? 4 : o->size;
            } else if (am == AM_IS) {
                o->size = d->opsize;
            } else if (am == AM_L) {
                n = 1;
            }
            int64_t v = am == AM_I || am == AM_L ? (int64_t)take(r, n) : take_signed(r, n);
            if (am == AM_L) {
                /* the register is imm8[7:4] (bit 7 ignored outside 64-bit mode) */
                o->kind = OPK_XMM;
                o->reg = (uint8_t)((v >> 4) & (mode == 64 ? 15 : 7));
            } else {
                o->kind = OPK_IMM;
            }
            if (nimm++ == 0) {
                d->imm = v;
            } else {
                d->imm2 = v;
                o->is_imm2 = true;
            }
            break;
        }
        case AM_J:
            o->kind = OPK_REL;
            o->size = d->opsize;
            d->imm = take_signed(r, si->type == T_b ? 1 : (d->opsize == 2 ? 2 : 4));
            nimm++;
            break;
        case AM_A:
            o->kind = OPK_FAR;
            o->size = d->opsize;
            d->imm = (int64_t)take(r, d->opsize == 2 ? 2 : 4);
            d->imm2 = (int64_t)take(r, 2);
            nimm += 2;
            break;
        case AM_O:
            o->kind = OPK_MEM;
            d->mem.base = d->mem.index = -1;
            d->mem.scale = 1;
            d->mem.seg = d->seg_override >= 0 ? d->seg_override : 3;
            d->mem.disp = (int64_t)take(r, d->addrsize);
            break;
        case AM_X: case AM_Y:
            /* string operands: DS:rSI (overridable) and ES:rDI */
            o->kind = OPK_MEM;
            break;
        default:
            return X86_DECODE_INVALID;
        }
    }
    /* a memory form whose operand list names no r/m operand still has its address bytes */
    if (mem_form && !mem_decoded && !rcr) {
        decode_mem(d, r, mode, false);
    }
    if (r->short_read || r->pos > 15) {
        return finish_length(&s, avail);
    }
    if (s.vex) {
        /* an unused VEX.vvvv must be 1111b (SDM 2.3.6) */
        if (!used_vvvv && s.vvvv != 0) {
            return X86_DECODE_INVALID;
        }
        if (d->mnemonic == MN_VZEROUPPER && d->vex_l) {
            d->mnemonic = MN_VZEROALL;
        }
        d->vex_v = s.vvvv;
    }
    if (d->mnemonic == MN_CMPXCHG8B && (rex & 8) && mode == 64) {
        d->mnemonic = MN_CMPXCHG16B; /* REX.W 0F C7 /1 */
        d->op[0].size = 16;
    }
    /* without REX, byte registers 4-7 are AH CH DH BH (SDM Vol. 2A 2.1.5, Table 2-2) */
    if (!(d->prefixes & PFX_REX)) {
        for (int k = 0; k < d->nb_ops; k++) {
            X86Operand *o = &d->op[k];
            if (o->kind == OPK_REG && o->size == 1 && o->reg >= 4 && o->reg < 8) {
                o->hi8 = true;
                o->reg -= 4;
            }
        }
    }

    /* flags and attributes; conditions read only the flags they test, and a shift by a
       non-zero constant does not read the flags (a zero count leaves them) */
    const X86MnemonicInfo *mi = &x86_mnemonic_info[d->mnemonic];
    d->flags_read = mi->flags_read;
    d->flags_written = mi->flags_written;
    d->attrs = mi->attrs;
    if (ent.flags & F_CC) {
        d->flags_read = cc_flags[d->cc];
    }
    switch (d->mnemonic) {
    case MN_ROL: case MN_ROR: case MN_RCL: case MN_RCR:
    case MN_SHL: case MN_SHR: case MN_SAL: case MN_SAR: case MN_SHLD: case MN_SHRD: {
        const X86Operand *cnt = &d->op[d->nb_ops - 1];
        if (cnt->kind == OPK_IMM && (d->imm & (d->opsize == 8 ? 63 : 31)) != 0) {
            /* RCL/RCR still read CF (SDM: the rotate goes through it) */
            d->flags_read = (d->mnemonic == MN_RCL || d->mnemonic == MN_RCR) ? FL_C : 0;
        }
        break;
    }
    default:
        break;
    }
    d->len = (uint8_t)r->pos;
    return d->len;
}
