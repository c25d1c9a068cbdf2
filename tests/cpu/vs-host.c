/*
 * tests/cpu/vs-host.c — differential testing of xlat's integer instructions against the host
 * CPU: random instruction sequences run natively (in tests/cpu/vs-host-child, a -m32 process
 * for 32-bit mode) and in xlat on both backends; every general register, the defined flags and
 * the memory the sequence can touch (a 32 KiB data window and the stack) must agree.
 *
 *   tests/cpu/vs-host --mode 32 --count 40000 --seed 1     (prints "N passed, M failed" last)
 *
 * Sequences come from the decoder's own opcode tables (cpu/opcodes.def): every user-mode
 * integer opcode the host can run, all operand sizes (66h), register and memory forms with
 * every addressing form of both address sizes (67h), segment-override and LOCK prefixes, and
 * the string instructions with REP/REPE/REPNE over the data window. A few instructions need a
 * set-up to be defined and harmless, emitted before them as ordinary instructions of the
 * sequence: base and index registers pointing into the data window, a divisor that cannot fault,
 * a count register for REP, an EBP for LEAVE and ENTER, a value for POPF. The sequence ends with
 * HLT: on the host that faults in user mode and the child reads the registers at that point.
 *
 * 64-bit mode (--mode 64): the child is a native process; xlat's machine enters long mode
 * directly (harness_set_long64: identity-mapped 4-level tables). The generator leaves out the
 * opcodes that are invalid there, adds REX (W for 64-bit operands, R/X/B for R8-R15, and a bare
 * REX for SPL..DIL), uses 64-bit addresses ([base], [base + disp8], [rSP + disp8], [disp32] by
 * SIB, [rip + disp32] patched after layout) and 32-bit ones with 67h, and starts from random
 * 64-bit register values, so the zero-extension of 32-bit results is checked everywhere.
 *
 * Undefined flags. A flag is masked only where the Intel SDM (Vol. 2, the instruction's "Flags
 * Affected") says it is undefined, and the generator tracks them through the sequence: an
 * instruction that would consume an undefined flag (ADC, Jcc, SETcc, PUSHF, ...) gets a CMP
 * before it that defines all six. The masks (see flags_effect):
 *   AND OR XOR TEST          AF                          (SDM AND, OR, XOR, TEST)
 *   MUL IMUL                 SF ZF AF PF                 (SDM MUL, IMUL)
 *   DIV IDIV                 CF OF SF ZF AF PF           (SDM DIV, IDIV)
 *   SHL SHR SAR (count != 0) AF; OF unless count = 1; CF for SHL/SHR if count >= width
 *                                                        (SDM SAL/SAR/SHL/SHR)
 *   ROL ROR RCL RCR          OF unless the masked count = 1 (SDM RCL/RCR/ROL/ROR)
 *   SHLD SHRD (count != 0)   AF; OF unless count = 1     (SDM SHLD, SHRD)
 *   BT BTS BTR BTC           OF SF AF PF                 (SDM BT...)
 *   BSF BSR                  CF OF SF AF PF              (SDM BSF, BSR)
 *   TZCNT LZCNT              OF SF AF PF                 (SDM TZCNT, LZCNT)
 *   DAA DAS                  OF; AAA AAS: OF SF ZF PF; AAM AAD: OF AF CF   (SDM each)
 * Results the SDM leaves undefined are not generated: BSWAP of a 16-bit register, SHLD/SHRD of
 * 16-bit operands by more than 16. BSF/BSR with a zero source keep the destination on every
 * x86 processor in use, and are compared.
 *
 * Control transfers stay inside the sequence: Jcc/JMP/CALL rel, LOOP and JCXZ jump forward
 * over up to three units; JMP/CALL r/m take a register or a pointer in the data window set to
 * a later unit's address; RET pops one PUSHed there, or returns from a CALL within its unit
 * (GK_RET). Divisions get divisors and dividends that cannot raise #DE (faults are not
 * compared: the host child would see SIGFPE, xlat an IDT delivery). BT/BTS/BTR/BTC with a
 * register offset into memory address any bit of the data window (a 16-bit offset: within
 * 4 KiB).
 *
 * Not generated, and why (gen_kind and spec_ok decide):
 *   segment registers (MOV Sreg, PUSH/POP Sreg, LDS/LES/LSS/LFS/LGS, far CALL/JMP/RET, IRET):
 *     the host process's selectors and descriptors are not the harness's flat ones
 *   privileged and system instructions (IN/OUT/INS/OUTS, CLI/STI, HLT but the last, LGDT,
 *     MOV CRn/DRn, ...), INT n/INT3/INTO/UD, and anything that faults: the host child gets a
 *     signal where xlat delivers through the IDT, so the two ends are not comparable
 *   CPUID, RDTSC, RDPMC, RDRAND, XGETBV: values of the machine, not of the instruction
 *   LOCK CMP (see below), BSWAP r16, SHLD/SHRD r16 by more than 16 (undefined results)
 *   x87 (run by --x87), MMX, SSE and AVX (other tests)
 */
/* the project's headers first: <unistd.h> defines F_LOCK (lockf), also an opcode flag */
#include "cpu/decode.h"
#include "harness.h"
#include "vs-host.h"

#include <capstone/capstone.h>
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- random numbers (xorshift64*, seeded) ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
    return n ? (uint32_t)(rnd() % n) : 0;
}

/* random upper halves for registers whose low 16 bits are an address (16-bit address size) */
static uint32_t rnd_hi16(void)
{
    return (uint32_t)rnd() & 0xffff0000u;
}

static bool chance(int percent)
{
    return rnd_below(100) < (uint32_t)percent;
}

/* values near the edges, where flags change */
static uint32_t interesting32(void)
{
    static const uint32_t v[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
                                 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
                                 0x0f, 0x10, 0x09, 0x99, 0x9a, 0x55555555, 0xaaaaaaaa};
    switch (rnd_below(4)) {
    case 0:
        return v[rnd_below(sizeof(v) / sizeof(v[0]))];
    case 1:
        return (uint32_t)rnd() & (0xffu << (8 * rnd_below(4)));
    default:
        return (uint32_t)rnd();
    }
}

/* ---- templates: the decoder's opcode tables ---- */

typedef struct Tmpl {
    uint8_t map;      /* 0: one-byte map, 1: 0F map */
    uint8_t opcode;
    int8_t reg;       /* ModRM.reg of a group member, else -1 */
    uint16_t mn;
    uint8_t ops[3];   /* X86OperandSpec */
    uint32_t flags;   /* F_* */
    uint8_t mandatory; /* a mandatory prefix (F3 0F B8/BC/BD), else 0 */
} Tmpl;

typedef struct RawOp {
    uint8_t map, opcode;
    uint16_t mn;
    uint8_t ops[3];
    uint32_t flags;
} RawOp;

typedef struct RawGrp {
    uint8_t grp, reg;
    uint16_t mn;
    uint8_t ops[3];
    uint32_t flags;
} RawGrp;

static const RawOp raw_ops[] = {
#define O1(byte, mn, a, b, c, f) {0, byte, MN_##mn, {OPS_##a, OPS_##b, OPS_##c}, (f)},
#define O2(byte, mn, a, b, c, f) {1, byte, MN_##mn, {OPS_##a, OPS_##b, OPS_##c}, (f)},
#define GR(g, r, mn, a, b, c, f)
#include "cpu/opcodes.def"
#undef O1
#undef O2
#undef GR
};

static const RawGrp raw_grps[] = {
#define O1(byte, mn, a, b, c, f)
#define O2(byte, mn, a, b, c, f)
#define GR(g, r, mn, a, b, c, f) {GRP_##g, r, MN_##mn, {OPS_##a, OPS_##b, OPS_##c}, (f)},
#include "cpu/opcodes.def"
#undef O1
#undef O2
#undef GR
};

/* how the generator builds an instruction of each mnemonic (0: never generated) */
enum {
    GK_NONE,
    GK_PLAIN,   /* operands from the specs */
    GK_DIV,     /* a divisor that cannot fault and a dividend prepared for it */
    GK_STRING,  /* rSI/rDI in the window, a small count for REP */
    GK_BRANCH,  /* forward over the next few instructions */
    GK_ENTER,
    GK_LEAVE,
    GK_POPF,
    GK_XLAT,
    GK_BOUND,
    GK_AAM,     /* a nonzero immediate */
    GK_INDIRECT, /* JMP/CALL r/m (FF /4, /2): a register or pointer set to a later unit */
    GK_RET,     /* RET, RET imm16: to a pushed later unit, or back from a CALL in the unit */
};

static const uint8_t gen_kind[MN_NB] = {
    [MN_ADD] = GK_PLAIN, [MN_OR] = GK_PLAIN, [MN_ADC] = GK_PLAIN, [MN_SBB] = GK_PLAIN,
    [MN_AND] = GK_PLAIN, [MN_SUB] = GK_PLAIN, [MN_XOR] = GK_PLAIN, [MN_CMP] = GK_PLAIN,
    [MN_TEST] = GK_PLAIN, [MN_INC] = GK_PLAIN, [MN_DEC] = GK_PLAIN, [MN_NEG] = GK_PLAIN,
    [MN_NOT] = GK_PLAIN, [MN_MUL] = GK_PLAIN, [MN_IMUL] = GK_PLAIN, [MN_DIV] = GK_DIV,
    [MN_IDIV] = GK_DIV, [MN_ROL] = GK_PLAIN, [MN_ROR] = GK_PLAIN, [MN_RCL] = GK_PLAIN,
    [MN_RCR] = GK_PLAIN, [MN_SHL] = GK_PLAIN, [MN_SHR] = GK_PLAIN, [MN_SAL] = GK_PLAIN,
    [MN_SAR] = GK_PLAIN, [MN_DAA] = GK_PLAIN, [MN_DAS] = GK_PLAIN, [MN_AAA] = GK_PLAIN,
    [MN_AAS] = GK_PLAIN, [MN_AAM] = GK_AAM, [MN_AAD] = GK_PLAIN,
    [MN_MOV] = GK_PLAIN, [MN_MOVZX] = GK_PLAIN, [MN_MOVSX] = GK_PLAIN, [MN_LEA] = GK_PLAIN,
    [MN_MOVSXD] = GK_PLAIN,
    [MN_XCHG] = GK_PLAIN, [MN_NOP] = GK_PLAIN, [MN_PUSH] = GK_PLAIN, [MN_POP] = GK_PLAIN,
    [MN_PUSHA] = GK_PLAIN, [MN_POPA] = GK_PLAIN, [MN_PUSHF] = GK_PLAIN, [MN_POPF] = GK_POPF,
    [MN_SAHF] = GK_PLAIN, [MN_LAHF] = GK_PLAIN, [MN_CBW] = GK_PLAIN, [MN_CWD] = GK_PLAIN,
    [MN_XLAT] = GK_XLAT, [MN_BOUND] = GK_BOUND, [MN_ENTER] = GK_ENTER, [MN_LEAVE] = GK_LEAVE,
    [MN_SALC] = GK_PLAIN,
    [MN_MOVS] = GK_STRING, [MN_CMPS] = GK_STRING, [MN_STOS] = GK_STRING, [MN_LODS] = GK_STRING,
    [MN_SCAS] = GK_STRING,
    [MN_JMP] = GK_BRANCH, [MN_JCC] = GK_BRANCH, [MN_JCXZ] = GK_BRANCH, [MN_LOOP] = GK_BRANCH,
    [MN_LOOPE] = GK_BRANCH, [MN_LOOPNE] = GK_BRANCH, [MN_CALL] = GK_BRANCH, [MN_RET] = GK_RET,
    [MN_SETCC] = GK_PLAIN, [MN_CMOVCC] = GK_PLAIN,
    [MN_CLC] = GK_PLAIN, [MN_STC] = GK_PLAIN, [MN_CMC] = GK_PLAIN, [MN_CLD] = GK_PLAIN,
    [MN_STD] = GK_PLAIN, [MN_WAIT] = GK_PLAIN,
    [MN_BT] = GK_PLAIN, [MN_BTS] = GK_PLAIN, [MN_BTR] = GK_PLAIN, [MN_BTC] = GK_PLAIN,
    [MN_BSF] = GK_PLAIN, [MN_BSR] = GK_PLAIN, [MN_TZCNT] = GK_PLAIN, [MN_LZCNT] = GK_PLAIN,
    [MN_POPCNT] = GK_PLAIN, [MN_SHLD] = GK_PLAIN, [MN_SHRD] = GK_PLAIN,
    [MN_BSWAP] = GK_PLAIN, [MN_CMPXCHG] = GK_PLAIN, [MN_CMPXCHG8B] = GK_PLAIN,
    [MN_XADD] = GK_PLAIN,
};

typedef struct Gen {
    uint32_t base;       /* layout base: 0 or VSH_HIGH_BASE */
    bool addr16;         /* 16-bit address forms allowed */
    bool mode64;         /* 64-bit mode: REX.W, 64- and 32-bit (67h) addresses */
} Gen;

static Gen gen;

static Tmpl *tmpls;
static int nb_tmpls;
static uint64_t coverage[MN_NB]; /* instructions under test generated, per mnemonic */

static bool spec_ok(uint8_t s)
{
    switch (s) {
    case OPS_Sw: case OPS_sES: case OPS_sCS: case OPS_sSS: case OPS_sDS: case OPS_sFS:
    case OPS_sGS: case OPS_Cd: case OPS_Dd: case OPS_Rd: case OPS_Ap: case OPS_Mp:
    case OPS_Ms: case OPS_Ex:
        return false;
    default:
        return true;
    }
}

static void add_tmpl(const Tmpl *t)
{
    if (!gen_kind[t->mn]) {
        return;
    }
    if (gen.mode64 && (t->flags & F_INV64)) {
        return; /* not an instruction in 64-bit mode (the decoder's i64 entries) */
    }
    for (int k = 0; k < 3; k++) {
        if (!spec_ok(t->ops[k])) {
            return;
        }
    }
    tmpls = realloc(tmpls, sizeof(Tmpl) * (size_t)(nb_tmpls + 1));
    tmpls[nb_tmpls++] = *t;
}

static void build_templates(void)
{
    /* the decoder's F3 0F xx entries (cpu/decode.c map_0f_f3) */
    static const Tmpl f3[3] = {
        {1, 0xb8, -1, MN_POPCNT, {OPS_Gv, OPS_Ev, OPS___}, 0, 0xf3},
        {1, 0xbc, -1, MN_TZCNT, {OPS_Gv, OPS_Ev, OPS___}, 0, 0xf3},
        {1, 0xbd, -1, MN_LZCNT, {OPS_Gv, OPS_Ev, OPS___}, 0, 0xf3},
    };
    for (int i = 0; i < 3; i++) {
        add_tmpl(&f3[i]);
    }
    if (gen.mode64) {
        /* what replaces ARPL in 64-bit mode (opcodes.def O64) */
        static const Tmpl movsxd = {0, 0x63, -1, MN_MOVSXD, {OPS_Gv, OPS_Ed, OPS___}, 0, 0};
        add_tmpl(&movsxd);
    }
    for (size_t i = 0; i < sizeof(raw_ops) / sizeof(raw_ops[0]); i++) {
        const RawOp *r = &raw_ops[i];
        if (r->flags & (F_PREFIX | F_ESC)) {
            continue;
        }
        int g = r->flags >> F_GRP_SHIFT;
        if (!g) {
            Tmpl t = {r->map, r->opcode, -1, r->mn, {r->ops[0], r->ops[1], r->ops[2]},
                      r->flags, 0};
            add_tmpl(&t);
            continue;
        }
        for (size_t j = 0; j < sizeof(raw_grps) / sizeof(raw_grps[0]); j++) {
            const RawGrp *gr = &raw_grps[j];
            if (gr->grp != g) {
                continue;
            }
            Tmpl t = {r->map, r->opcode, (int8_t)gr->reg, gr->mn,
                      {r->ops[0], r->ops[1], r->ops[2]},
                      (uint32_t)((r->flags & ~(0xffu << F_GRP_SHIFT)) | gr->flags), 0};
            for (int k = 0; k < 3; k++) {
                if (gr->ops[k] != OPS___) {
                    t.ops[k] = gr->ops[k];
                }
            }
            add_tmpl(&t);
        }
    }
}

/* ---- sequences ---- */

enum { MAX_UNIT_BYTES = 96, MAX_UNITS = 256 };

/* One generated instruction with its set-up instructions: the unit of the sequence. */
typedef struct Unit {
    uint8_t b[MAX_UNIT_BYTES];
    int len;
    int ninsns;          /* instructions in the unit (set-ups included) */
    uint16_t mn;         /* the instruction under test */
    int branch_skip;     /* GK_BRANCH: units skipped when taken, else -1 */
    int rel_pos;         /* offset of the branch's displacement in b[] */
    int rel_size;        /* 1 or 4 */
    uint32_t fl_def, fl_undef, fl_reads;
    bool fl_maybe;       /* the flag update may not happen (count unknown, REP count 0) */
    int abs_pos;         /* offset in b[] of an imm32 to patch with an absolute code address
                            (GK_INDIRECT, GK_RET), or -1 */
    int abs_self;        /* >= 0: that address is b[abs_self] of this unit; else the start of
                            the unit branch_skip units on */
    int riprel_pos;      /* 64-bit mode: offset of a RIP-relative disp32 in b[], or -1 */
    int riprel_end;      /* offset of the end of that instruction in b[] */
    uint32_t riprel_target;
} Unit;

typedef struct Seq {
    Unit u[MAX_UNITS];
    int n;
    uint8_t code[MAX_UNITS * MAX_UNIT_BYTES + 16];
    int code_len;
    uint64_t regs[16];   /* 32-bit mode: the low 8, 32 bits each */
    uint32_t eflags;
    uint32_t undef;      /* flags undefined at the end */
    int insns;
} Seq;


/* the instruction being built */
typedef struct Build {
    Unit *u;
    /* prefix and opcode parts, assembled at the end */
    bool p66, p67, lock;
    uint8_t rex;         /* 64-bit mode: a REX prefix, or 0 */
    int rexr, rexx, rexb; /* its R, X, B bits: 8 added to ModRM.reg, SIB.index, ModRM.rm/base */
    bool riprel;         /* the memory operand is RIP-relative (disp patched after layout) */
    uint32_t riprel_target;
    int seg;             /* segment override prefix byte or 0 */
    int rep;             /* F2/F3 or 0 */
    int opsize, addrsize;
    bool has_modrm, mem;
    int modrm_reg, modrm_rm, mod;
    uint8_t sib;
    bool has_sib;
    int64_t disp;
    int disp_size;
    uint8_t imm[8];
    int imm_len;
    uint8_t setup[64];   /* set-up instructions emitted before the prefixes */
    int setup_len, setup_insns;
    uint32_t used_regs;  /* registers the set-ups and implicit operands claim */
    int count;           /* shift count if known, else -1 */
    int reg_size[3];     /* operand sizes */
} Build;

static void emit_setup(Build *bd, const uint8_t *p, int n)
{
    memcpy(bd->setup + bd->setup_len, p, (size_t)n);
    bd->setup_len += n;
    bd->setup_insns++;
}

/* MOV r32, imm32 */
static void setup_mov32(Build *bd, int reg, uint32_t v)
{
    if (reg >= 8) { /* R8D..R15D: REX.B */
        uint8_t p[6] = {0x41, (uint8_t)(0xb8 + reg - 8), (uint8_t)v, (uint8_t)(v >> 8),
                        (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
        emit_setup(bd, p, 6);
        bd->used_regs |= 1u << reg;
        return;
    }
    uint8_t p[5] = {(uint8_t)(0xb8 + reg), (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    emit_setup(bd, p, 5);
    bd->used_regs |= 1u << reg;
}

/* MOV r64, simm32 (REX.W C7 /0): the value sign-extended to 64 bits */
static void setup_movsx64(Build *bd, int reg, int32_t v)
{
    uint8_t p[7] = {(uint8_t)(0x48 | (reg >= 8)), 0xc7, (uint8_t)(0xc0 | (reg & 7)), (uint8_t)v,
                    (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)((uint32_t)v >> 24)};
    emit_setup(bd, p, 7);
    bd->used_regs |= 1u << reg;
}

/* MOV dword/qword [addr32], imm32 (the SIB form without base or index in 64-bit mode, where
   mod 00 rm 101 is RIP-relative): a code pointer for JMP/CALL [mem], patched after layout;
   returns the offset of the imm32 in the set-ups */
static int setup_store_ptr(Build *bd, uint32_t addr)
{
    uint8_t p[12];
    int n = 0;
    if (gen.mode64) {
        p[n++] = 0x48;
        p[n++] = 0xc7;
        p[n++] = 0x04;
        p[n++] = 0x25;
    } else {
        p[n++] = 0xc7;
        p[n++] = 0x05;
    }
    for (int i = 0; i < 4; i++) {
        p[n++] = (uint8_t)(addr >> (8 * i));
    }
    memset(p + n, 0, 4);
    n += 4;
    emit_setup(bd, p, n);
    return bd->setup_len - 4;
}

static int opsize_of_spec(const Build *bd, uint8_t s)
{
    switch (s) {
    case OPS_Eb: case OPS_Gb: case OPS_Zb: case OPS_AL: case OPS_Ib: case OPS_Ob: case OPS_Xb:
    case OPS_Yb: case OPS_CL: case OPS_Mb:
        return 1;
    case OPS_Ew: case OPS_Gw: case OPS_Iw: case OPS_DX:
        return 2;
    case OPS_Ed:
        return 4;
    case OPS_Gz: case OPS_Iz: case OPS_Xz: case OPS_Yz: case OPS_eAX:
        return bd->opsize > 4 ? 4 : bd->opsize;
    default:
        return bd->opsize;
    }
}

/* a register for an operand of `size` bytes other than ESP (and, for set-ups, not claimed) */
static int pick_reg(int size, uint32_t avoid)
{
    for (;;) {
        int r = (int)rnd_below(8);
        if (size >= 2 && r == 4) {
            continue;
        }
        if (avoid & (1u << r)) {
            continue;
        }
        return r;
    }
}

/* a target address in the data window with `room` bytes around it */
static uint32_t pick_target(int room)
{
    uint32_t lo = VSH_DATA + (uint32_t)room, hi = VSH_DATA_END - (uint32_t)room - 16;
    return gen.base + lo + rnd_below(hi - lo);
}

/* SIB.index 100 is "no index" only without REX.X (with it, R12): forms that mean no index */
static void no_rex_x(Build *bd)
{
    bd->rexx = 0;
    bd->rex &= (uint8_t)~2u;
}

/* The memory operand: an addressing form of the address size, with the set-ups that make it
   point at `target`. `avoid`: registers the form must not use as base or index. */
static void build_mem(Build *bd, uint32_t target, uint32_t avoid)
{
    bd->mem = true;
    if (bd->addrsize == 2) {
        static const int8_t base16[8] = {3, 3, 5, 5, 6, 7, 5, 3};
        static const int8_t index16[8] = {6, 7, 6, 7, -1, -1, -1, -1};
        for (int tries = 0; tries < 64; tries++) {
            int rm = (int)rnd_below(8);
            int mod = (int)rnd_below(3);
            bool abs16 = mod == 0 && rm == 6;
            int b = abs16 ? -1 : base16[rm], x = abs16 ? -1 : index16[rm];
            if ((b >= 0 && (avoid & (1u << b))) || (x >= 0 && (avoid & (1u << x)))) {
                continue;
            }
            int64_t disp = abs16 ? (int64_t)(target & 0xffff)
                         : mod == 1 ? (int64_t)(int8_t)rnd() : mod == 2 ? (int64_t)(int16_t)rnd()
                                                                   : 0;
            uint32_t rest = (uint32_t)(target - (uint32_t)disp) & 0xffff;
            if (x >= 0) {
                uint32_t xv = (uint32_t)rnd() & 0xffff;
                setup_mov32(bd, x, ((uint32_t)rnd() & 0xffff0000u) | xv);
                rest = (rest - xv) & 0xffff;
            }
            if (b >= 0) {
                setup_mov32(bd, b, ((uint32_t)rnd() & 0xffff0000u) | rest);
            }
            bd->mod = mod;
            bd->modrm_rm = rm;
            bd->disp = disp;
            bd->disp_size = abs16 || mod == 2 ? 2 : mod == 1 ? 1 : 0;
            return;
        }
        /* every form clashed: absolute */
        bd->mod = 0;
        bd->modrm_rm = 6;
        bd->disp = target & 0xffff;
        bd->disp_size = 2;
        return;
    }
    avoid |= 1u << 4; /* ESP is never a set-up register */
    int form = (int)rnd_below(10);
    if (gen.mode64 && bd->addrsize == 8) {
        /* 64-bit addresses from registers set with MOV r32 (zero-extended): the forms whose
           sum cannot wrap at 4 GiB, i.e. [rSP + disp8], [base], [base + disp8], [disp32] */
        form = (int)rnd_below(5);
    }
    if (form == 0 && gen.mode64 && bd->addrsize == 8 && gen_kind[bd->u->mn] != GK_DIV &&
        chance(50)) {
        /* [rip + disp32] (SDM Vol. 2A 2.2.1.6): the displacement is patched once the code is
           laid out */
        bd->mod = 0;
        bd->modrm_rm = 5;
        bd->disp = 0;
        bd->disp_size = 4;
        bd->riprel = true;
        bd->riprel_target = target;
        return;
    }
    if (form == 0 && gen.mode64) {
        /* [disp32] is RIP-relative in 64-bit mode: the SIB form without base or index */
        no_rex_x(bd);
        bd->mod = 0;
        bd->modrm_rm = 4;
        bd->has_sib = true;
        bd->sib = (uint8_t)(0 << 6 | 4 << 3 | 5);
        bd->disp = target;
        bd->disp_size = 4;
        return;
    }
    if (form == 0) { /* [disp32] */
        bd->mod = 0;
        bd->modrm_rm = 5;
        bd->disp = target;
        bd->disp_size = 4;
        return;
    }
    if (form == 1) { /* [ESP + disp8]: the stack */
        no_rex_x(bd);
        bd->mod = 1;
        bd->modrm_rm = 4;
        bd->has_sib = true;
        bd->sib = (uint8_t)(0 << 6 | 4 << 3 | 4);
        bd->disp = (int8_t)(rnd_below(64) * 1) - 32;
        bd->disp_size = 1;
        if (bd->rexb) {
            setup_mov32(bd, 12, target - (uint32_t)bd->disp); /* REX.B: the base is R12 */
        }
        return;
    }
    int mod = (int)rnd_below(gen.mode64 && bd->addrsize == 8 ? 2 : 3);
    int64_t disp = mod == 1 ? (int64_t)(int8_t)rnd() : mod == 2 ? (int64_t)(int32_t)rnd() : 0;
    int b = pick_reg(4, avoid);
    if (form <= 4) { /* [base + disp] */
        if (mod == 0 && b == 5) {
            mod = 1;
            disp = (int8_t)rnd();
        }
        setup_mov32(bd, b + 8 * bd->rexb, target - (uint32_t)disp);
        bd->mod = mod;
        bd->modrm_rm = b;
        bd->disp = disp;
        bd->disp_size = mod == 1 ? 1 : mod == 2 ? 4 : 0;
        return;
    }
    /* [base + index * scale + disp], or [index * scale + disp32] without a base */
    int x = pick_reg(4, avoid | (1u << b));
    int scale = (int)rnd_below(4);
    uint32_t xv = chance(50) ? interesting32() : (uint32_t)rnd_below(256) - 128;
    bool no_base = form == 9;
    if (no_base) {
        mod = 0;
        disp = (int32_t)(target - (xv << scale));
        setup_mov32(bd, x + 8 * bd->rexx, xv);
        bd->disp_size = 4;
        b = 5;
    } else {
        if (mod == 0 && b == 5) {
            mod = 1;
            disp = (int8_t)rnd();
        }
        setup_mov32(bd, x + 8 * bd->rexx, xv);
        setup_mov32(bd, b + 8 * bd->rexb, target - (uint32_t)disp - (xv << scale));
        bd->disp_size = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    }
    bd->mod = mod;
    bd->modrm_rm = 4;
    bd->has_sib = true;
    bd->sib = (uint8_t)(scale << 6 | x << 3 | b);
    bd->disp = disp;
}

/* build_mem for an operand that must be at `target` itself: not the [rSP + disp8] form, whose
   address is wherever the stack is */
static bool build_mem_at(Build *bd, uint32_t target, uint32_t avoid)
{
    for (int tries = 0; tries < 16; tries++) {
        Build save = *bd;
        build_mem(bd, target, avoid);
        bool on_stack = bd->addrsize != 2 && bd->has_sib && (bd->sib & 7) == 4 && !bd->rexb;
        if (!on_stack) {
            return true;
        }
        *bd = save;
    }
    return false;
}

/* the bytes of the instruction after the set-ups: prefixes, opcode, ModRM, SIB, disp, imm */
static int encode(const Build *bd, const Tmpl *t, int reg_override, uint8_t *out,
                  const uint8_t *imm, int imm_len)
{
    int n = 0;
    if (bd->seg) {
        out[n++] = (uint8_t)bd->seg;
    }
    if (bd->lock) {
        out[n++] = 0xf0;
    }
    if (bd->rep) {
        out[n++] = (uint8_t)bd->rep;
    }
    if (bd->p66) {
        out[n++] = 0x66;
    }
    if (bd->p67) {
        out[n++] = 0x67;
    }
    if (bd->rex) {
        out[n++] = bd->rex; /* REX comes last, right before the opcode (SDM Vol. 2A 2.2.1) */
    }
    if (t->map == 1) {
        out[n++] = 0x0f;
    }
    out[n++] = t->opcode;
    if (bd->has_modrm) {
        int reg = reg_override >= 0 ? reg_override : bd->modrm_reg;
        out[n++] = (uint8_t)(bd->mod << 6 | reg << 3 | bd->modrm_rm);
        if (bd->has_sib) {
            out[n++] = bd->sib;
        }
        for (int i = 0; i < bd->disp_size; i++) {
            out[n++] = (uint8_t)((uint64_t)bd->disp >> (8 * i));
        }
    }
    memcpy(out + n, imm, (size_t)imm_len);
    return n + imm_len;
}

/* ---- flags: what each generated instruction does to them ---- */

/* flags read by condition code cc (Jcc/SETcc/CMOVcc low nibble) */
static uint32_t cc_reads(int cc)
{
    static const uint32_t r[8] = {FL_O, FL_C, FL_Z, FL_C | FL_Z, FL_S, FL_P, FL_S | FL_O,
                                  FL_S | FL_O | FL_Z};
    return r[(cc >> 1) & 7];
}

/* Fill u->fl_* for the instruction (SDM Vol. 2 "Flags Affected"; the header comment lists the
   undefined ones). count: a known shift/rotate count, or -1. */
static void flags_effect(Unit *u, const Build *bd, int cc, int size)
{
    uint16_t mn = u->mn;
    int width = size * 8;
    int cmask = size == 8 ? 63 : 31; /* the count mask: 6 bits for 64-bit operands */
    int n = bd->count;
    uint32_t def = 0, undef = 0, reads = 0;
    bool maybe = false;
    switch (mn) {
    case MN_ADD: case MN_SUB: case MN_CMP: case MN_NEG: case MN_CMPXCHG: case MN_XADD:
        def = FL_ALL;
        break;
    case MN_ADC: case MN_SBB:
        def = FL_ALL;
        reads = FL_C;
        break;
    case MN_INC: case MN_DEC:
        def = FL_ALL & ~FL_C;
        break;
    case MN_AND: case MN_OR: case MN_XOR: case MN_TEST:
        def = FL_ALL & ~FL_A;
        undef = FL_A;
        break;
    case MN_MUL: case MN_IMUL:
        def = FL_C | FL_O;
        undef = FL_S | FL_Z | FL_A | FL_P;
        break;
    case MN_DIV: case MN_IDIV:
        undef = FL_ALL;
        break;
    case MN_SHL: case MN_SAL: case MN_SHR: case MN_SAR:
        if (n < 0) {
            maybe = true;
            def = FL_ALL;
            undef = FL_A | FL_O | (mn != MN_SAR && width < 32 ? FL_C : 0);
        } else if ((n & cmask) != 0) {
            n &= cmask;
            undef = FL_A;
            if (n != 1) {
                undef |= FL_O;
            }
            if (mn != MN_SAR && n >= width) {
                undef |= FL_C;
            }
        }
        def = (n < 0 || (n & cmask)) ? FL_ALL & ~undef : 0;
        break;
    case MN_ROL: case MN_ROR: case MN_RCL: case MN_RCR:
        if (mn == MN_RCL || mn == MN_RCR) {
            reads = FL_C;
        }
        if (n < 0) {
            maybe = true;
            def = FL_C;
            undef = FL_O;
        } else if ((n & cmask) != 0) {
            def = FL_C | ((n & cmask) == 1 ? FL_O : 0);
            undef = (n & cmask) == 1 ? 0 : FL_O;
        } else {
            reads = 0;
        }
        break;
    case MN_SHLD: case MN_SHRD:
        if (n < 0) {
            maybe = true;
            undef = FL_A | FL_O;
            def = FL_ALL & ~undef;
        } else if ((n & cmask) != 0) {
            undef = FL_A | ((n & cmask) != 1 ? FL_O : 0);
            def = FL_ALL & ~undef;
        }
        break;
    case MN_BT: case MN_BTS: case MN_BTR: case MN_BTC:
        def = FL_C;
        undef = FL_O | FL_S | FL_A | FL_P;
        break;
    case MN_BSF: case MN_BSR:
        def = FL_Z;
        undef = FL_ALL & ~FL_Z;
        break;
    case MN_TZCNT: case MN_LZCNT:
        def = FL_C | FL_Z;
        undef = FL_O | FL_S | FL_A | FL_P;
        break;
    case MN_POPCNT:
        def = FL_ALL;
        break;
    case MN_DAA: case MN_DAS:
        reads = FL_C | FL_A;
        def = FL_ALL & ~FL_O;
        undef = FL_O;
        break;
    case MN_AAA: case MN_AAS:
        reads = FL_A;
        def = FL_A | FL_C;
        undef = FL_O | FL_S | FL_Z | FL_P;
        break;
    case MN_AAM: case MN_AAD:
        def = FL_S | FL_Z | FL_P;
        undef = FL_O | FL_A | FL_C;
        break;
    case MN_SAHF:
        def = FL_ALL & ~FL_O;
        break;
    case MN_LAHF:
        reads = FL_ALL & ~FL_O;
        break;
    case MN_POPF:
        def = FL_ALL;
        break;
    case MN_PUSHF:
        reads = FL_ALL;
        break;
    case MN_CLC: case MN_STC:
        def = FL_C;
        break;
    case MN_CMC:
        reads = FL_C;
        def = FL_C;
        break;
    case MN_SALC:
        reads = FL_C;
        break;
    case MN_CMPXCHG8B: case MN_CMPXCHG16B:
        def = FL_Z;
        break;
    case MN_CMPS: case MN_SCAS:
        def = FL_ALL;
        maybe = bd->rep != 0 && bd->count <= 0;
        break;
    case MN_JCC: case MN_SETCC: case MN_CMOVCC:
        reads = cc_reads(cc);
        break;
    case MN_LOOPE: case MN_LOOPNE:
        reads = FL_Z;
        break;
    default:
        break;
    }
    u->fl_def = def & ~undef;
    u->fl_undef = undef;
    u->fl_reads = reads;
    u->fl_maybe = maybe;
}

/* ---- building one unit ---- */

static int spec_index(const Tmpl *t, uint8_t s1, uint8_t s2, uint8_t s3)
{
    for (int k = 0; k < 3; k++) {
        uint8_t s = t->ops[k];
        if (s != OPS___ && (s == s1 || s == s2 || s == s3)) {
            return k;
        }
    }
    return -1;
}

static bool is_e(uint8_t s)
{
    return s == OPS_Eb || s == OPS_Ew || s == OPS_Ed || s == OPS_Ev || s == OPS_M ||
           s == OPS_Ma || s == OPS_Mb || s == OPS_Mq;
}

static bool is_g(uint8_t s)
{
    return s == OPS_Gb || s == OPS_Gw || s == OPS_Gv || s == OPS_Gz;
}

static bool is_v(uint8_t s)
{
    switch (s) {
    case OPS_Ev: case OPS_Gv: case OPS_Gz: case OPS_Iz: case OPS_Iv: case OPS_Zv: case OPS_rAX:
    case OPS_eAX: case OPS_Xv: case OPS_Xz: case OPS_Yv: case OPS_Yz: case OPS_Ibs:
    case OPS_Ma: case OPS_Ov: case OPS_Iopnd:
        return true;
    default:
        return false;
    }
}

static void put_imm(Build *bd, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        bd->imm[bd->imm_len++] = (uint8_t)(v >> (8 * i));
    }
}

/* registers an instruction reads or writes implicitly: never a set-up's base or index */
static uint32_t implicit_regs(uint16_t mn)
{
    switch (mn) {
    case MN_MUL: case MN_IMUL: case MN_DIV: case MN_IDIV: case MN_CBW: case MN_CWD:
    case MN_CMPXCHG:
        return 1u << 0 | 1u << 2;
    case MN_CMPXCHG8B:
        return 0xf;
    case MN_XLAT:
        return 1u << 0 | 1u << 3;
    case MN_DAA: case MN_DAS: case MN_AAA: case MN_AAS: case MN_AAM: case MN_AAD:
    case MN_LAHF: case MN_SAHF: case MN_SALC:
        return 1u << 0;
    case MN_ROL: case MN_ROR: case MN_RCL: case MN_RCR: case MN_SHL: case MN_SHR: case MN_SAL:
    case MN_SAR: case MN_SHLD: case MN_SHRD:
        return 1u << 1;
    case MN_ENTER: case MN_LEAVE:
        return 1u << 5;
    default:
        return 0;
    }
}

/* the modifying forms that a given fix-up needs for DIV/IDIV: OR/AND r/m, imm8 (80/83 /1, /4) */
static int div_fixup(Build *bd, const Tmpl *t, int size, int grp_reg, uint8_t imm8, uint8_t *out)
{
    Tmpl fix = *t;
    fix.map = 0;
    fix.opcode = size == 1 ? 0x80 : 0x83;
    Build b2 = *bd;
    b2.lock = false;
    return encode(&b2, &fix, grp_reg, out, &imm8, 1);
}

/* RET (C3) or RET imm16 (C2 iw, imm16 more bytes released: SDM Vol. 2B RET), either
     PUSH imm32 (the start of a later unit); RET          a forward skip, like a JMP
   or the unit calls its own RET and comes back:
     CALL L (E8 rel32, or MOV r, L; CALL r); JMP over; L: RET
   so that a matched CALL/RET pair (a return-address predictor's case) runs too. No 66h: a
   16-bit return address would leave the code. */
static bool build_ret(Unit *u, const Tmpl *t)
{
    uint8_t ret[3] = {t->opcode, 0, 0};
    int rlen = 1;
    if (t->opcode == 0xc2) {
        uint16_t imm = chance(50) ? 0 : (uint16_t)rnd_below(17);
        ret[1] = (uint8_t)imm;
        ret[2] = (uint8_t)(imm >> 8);
        rlen = 3;
    }
    uint8_t *b = u->b;
    int n = 0;
    if (chance(40)) {
        b[n++] = 0x68; /* PUSH imm32 (sign-extended to 64 bits in 64-bit mode) */
        u->abs_pos = n;
        memset(b + n, 0, 4);
        n += 4;
        u->branch_skip = (int)rnd_below(4);
        u->ninsns = 2;
    } else {
        if (chance(50)) {
            b[n++] = 0xe8; /* CALL rel32 over the JMP below */
            b[n++] = 2;
            memset(b + n, 0, 3);
            n += 3;
            u->ninsns = 3;
        } else {
            int r = pick_reg(4, 0) + (gen.mode64 && chance(30) ? 8 : 0);
            if (r >= 8) {
                b[n++] = 0x41;
            }
            b[n++] = (uint8_t)(0xb8 + (r & 7)); /* MOV r32, L */
            u->abs_pos = n;
            memset(b + n, 0, 4);
            n += 4;
            if (r >= 8) {
                b[n++] = 0x41;
            }
            b[n++] = 0xff; /* CALL r (FF /2) */
            b[n++] = (uint8_t)(0xd0 | (r & 7));
            u->abs_self = n + 2;
            u->ninsns = 4;
        }
        b[n++] = 0xeb; /* JMP over the RET, where the RET comes back to */
        b[n++] = (uint8_t)rlen;
    }
    memcpy(b + n, ret, (size_t)rlen);
    u->len = n + rlen;
    u->riprel_pos = -1;
    return true;
}

static bool build_unit(Unit *u, const Tmpl *t)
{
    Build bd;
    memset(&bd, 0, sizeof(bd));
    bd.u = u;
    bd.count = -1;
    memset(u, 0, sizeof(*u));
    u->mn = t->mn;
    u->branch_skip = -1;
    u->abs_pos = -1;
    u->abs_self = -1;
    int kind = gen_kind[t->mn];
    if (kind == GK_BRANCH && t->map == 0 && t->opcode == 0xff) {
        kind = GK_INDIRECT; /* JMP/CALL r/m (FF /4, /2) */
    }
    if (kind == GK_BRANCH && t->ops[0] != OPS_Jb && t->ops[0] != OPS_Jz) {
        return false;
    }
    if (kind == GK_RET) {
        return build_ret(u, t);
    }
    bool any_v = false, any_e = false;
    for (int k = 0; k < 3; k++) {
        any_v |= is_v(t->ops[k]);
        any_e |= is_e(t->ops[k]);
    }
    /* operand size: 66h flips it for v-sized operands; branches stay 32-bit (a 16-bit EIP
       would leave the code) and BSWAP 16 is undefined */
    bd.opsize = 4;
    bool no66 = kind == GK_BRANCH || kind == GK_INDIRECT || t->mn == MN_BSWAP;
    if (any_v && !no66 && chance(30)) {
        bd.p66 = true;
        bd.opsize = 2;
    }
    bd.addrsize = 4;
    bool mem_possible = any_e || kind == GK_STRING || kind == GK_XLAT ||
                        spec_index(t, OPS_Ob, OPS_Ov, OPS___) >= 0;
    bool cx16 = false; /* CMPXCHG16B */
    bool wants_addr = kind == GK_BRANCH && (t->mn == MN_JCXZ || t->mn == MN_LOOP ||
                                             t->mn == MN_LOOPE || t->mn == MN_LOOPNE);
    if (gen.mode64) {
        /* REX.W: 64-bit operands; with 0F C7 /1 it makes CMPXCHG16B, whose m128 is set up
           16-byte aligned (SDM Vol. 2A CMPXCHG8B/CMPXCHG16B: #GP otherwise) */
        if (any_v && !bd.p66 && kind != GK_BRANCH && chance(45)) {
            bd.rex = 0x48;
            bd.opsize = 8;
        }
        if (t->mn == MN_CMPXCHG8B && chance(40)) {
            bd.rex = 0x48;
            cx16 = true;
        }
        if (kind == GK_INDIRECT) {
            bd.opsize = 8; /* near branches are 64-bit in 64-bit mode (SDM JMP, CALL) */
        }
        /* REX.R/X/B on plain forms and indirect branches: R8-R15 (and SPL BPL SIL DIL with
           any REX) */
        if (kind == GK_PLAIN || kind == GK_INDIRECT) {
            bd.rexr = kind == GK_PLAIN && chance(30);
            bd.rexx = chance(30);
            bd.rexb = chance(30);
            bd.rex |= (uint8_t)(bd.rexr << 2 | bd.rexx << 1 | bd.rexb);
            if (bd.rex || chance(10)) {
                bd.rex |= 0x40;
            }
        }
        /* addresses are 64-bit, or 32-bit with 67h */
        bd.addrsize = 8;
        if ((mem_possible || wants_addr) && chance(35)) {
            bd.p67 = true;
            bd.addrsize = 4;
        }
    } else if ((mem_possible || wants_addr) && gen.addr16 && chance(25)) {
        bd.p67 = true;
        bd.addrsize = 2;
    }
    uint32_t implicit = implicit_regs(t->mn);
    int ie = -1;
    for (int k = 0; k < 3; k++) {
        if (is_e(t->ops[k])) {
            ie = k;
        }
    }
    int ig = -1;
    for (int k = 0; k < 3; k++) {
        if (is_g(t->ops[k])) {
            ig = k;
        }
    }
    int esize = ie >= 0 ? opsize_of_spec(&bd, t->ops[ie]) : 0;
    int gsize = ig >= 0 ? opsize_of_spec(&bd, t->ops[ig]) : 0;

    /* ModRM */
    bool modrm = ie >= 0 || ig >= 0 || t->reg >= 0;
    bd.has_modrm = modrm;
    bool mem_only = ie >= 0 && (t->ops[ie] == OPS_M || t->ops[ie] == OPS_Ma ||
                                t->ops[ie] == OPS_Mq || t->ops[ie] == OPS_Mb);
    bool use_mem = ie >= 0 && (mem_only || chance(45));
    if (t->mn == MN_CMPXCHG8B) {
        use_mem = true;
    }
    int size = ie >= 0 ? esize : gsize;
    for (int k = 0; k < 3 && size == 0; k++) {
        if (t->ops[k] != OPS___) {
            size = opsize_of_spec(&bd, t->ops[k]);
        }
    }
    if (t->mn == MN_MOVZX || t->mn == MN_MOVSX || t->mn == MN_BSWAP) {
        size = gsize ? gsize : bd.opsize;
    }

    /* the G register (BT with a register offset into memory: a small offset) */
    if (ig >= 0) {
        /* with a REX prefix byte register 4 is SPL: not written either */
        bd.modrm_reg = pick_reg(bd.rex && gsize < 2 ? 2 : gsize, 0);
    } else if (t->reg >= 0) {
        bd.modrm_reg = t->reg;
    }
    if (t->mn == MN_DIV || t->mn == MN_IDIV) {
        /* the high half of the dividend cannot be the divisor: it would always overflow */
        implicit |= 1u << 0 | 1u << 2;
    }
    if (use_mem) {
        uint32_t avoid = implicit;
        if ((t->mn == MN_BT || t->mn == MN_BTS || t->mn == MN_BTR || t->mn == MN_BTC) &&
            ig >= 0) {
            /* A register bit offset is signed and of the operand size, and addresses the
               operand-sized word at base + (offset SAR log2(width)) * size (SDM Vol. 2A BT,
               "bit base, bit offset"): the bit is placed anywhere in the data window, which
               a 16-bit offset reaches only within 4 KiB of the operand. */
            uint32_t opaddr = pick_target(64), bit = pick_target(16);
            if (bd.opsize == 2) {
                uint32_t lo = gen.base + VSH_DATA + 16, hi = gen.base + VSH_DATA_END - 32;
                lo = opaddr - 4000 > lo ? opaddr - 4000 : lo;
                hi = opaddr + 4000 < hi ? opaddr + 4000 : hi;
                bit = lo + rnd_below(hi - lo);
            }
            int32_t off = (int32_t)(bit - opaddr) * 8 + (int32_t)rnd_below(8);
            int r = bd.modrm_reg + 8 * bd.rexr;
            if (bd.opsize == 8) {
                setup_movsx64(&bd, r, off); /* negative offsets are negative 64-bit values */
            } else if (bd.opsize == 2) {
                setup_mov32(&bd, r, ((uint32_t)rnd() & 0xffff0000u) | ((uint32_t)off & 0xffff));
            } else {
                setup_mov32(&bd, r, (uint32_t)off);
            }
            avoid |= 1u << bd.modrm_reg;
            if (!build_mem_at(&bd, opaddr, avoid)) {
                return false;
            }
        } else if (kind == GK_BOUND) {
            bd.mod = 0;
            bd.modrm_rm = bd.addrsize == 2 ? 6 : 5;
            uint32_t tgt = pick_target(64);
            bd.disp = bd.addrsize == 2 ? (tgt & 0xffff) : tgt;
            bd.disp_size = bd.addrsize;
            bd.mem = true;
            /* MOV [t], lowest; MOV [t + size], highest: BOUND never faults */
            int s = bd.opsize;
            for (int half = 0; half < 2; half++) {
                uint8_t p[16];
                int n = 0;
                if (s == 2) {
                    p[n++] = 0x66;
                }
                p[n++] = 0xc7;
                p[n++] = 0x05;
                uint32_t a = tgt + (uint32_t)(half * s);
                for (int i = 0; i < 4; i++) {
                    p[n++] = (uint8_t)(a >> (8 * i));
                }
                uint32_t v = half == 0 ? (s == 2 ? 0x8000u : 0x80000000u)
                                       : (s == 2 ? 0x7fffu : 0x7fffffffu);
                for (int i = 0; i < s; i++) {
                    p[n++] = (uint8_t)(v >> (8 * i));
                }
                emit_setup(&bd, p, n);
            }
        } else if (kind == GK_INDIRECT) {
            /* JMP/CALL [mem]: a pointer to a later unit stored there first */
            uint32_t ptr = pick_target(64);
            u->abs_pos = setup_store_ptr(&bd, ptr);
            if (!build_mem_at(&bd, ptr, avoid)) {
                return false;
            }
        } else if (cx16) {
            if (!build_mem_at(&bd, pick_target(64) & ~15u, avoid)) {
                return false;
            }
        } else {
            build_mem(&bd, pick_target(64), avoid);
        }
    } else if (kind == GK_INDIRECT) {
        /* JMP/CALL reg: the register holds the target (MOV r32 zero-extends in 64-bit mode;
           the code lies below 4 GiB) */
        bd.mod = 3;
        bd.modrm_rm = pick_reg(4, 0);
        setup_mov32(&bd, bd.modrm_rm + 8 * bd.rexb, 0);
        u->abs_pos = bd.setup_len - 4;
    } else if (ie >= 0) {
        bd.mod = 3;
        bd.modrm_rm = pick_reg(bd.rex && esize < 2 ? 2 : esize, 0);
        if ((t->mn == MN_DIV || t->mn == MN_IDIV)) {
            /* not AH (byte) or eDX (the high half of the dividend) */
            while (bd.modrm_rm == (esize == 1 ? 4 : 2)) {
                bd.modrm_rm = pick_reg(esize, 0);
            }
        }
    }
    if (t->mn == MN_LEA && !use_mem) {
        return false;
    }

    /* the Z (opcode) register may not be ESP, except for PUSH */
    if (spec_index(t, OPS_Zv, OPS___, OPS___) >= 0 && (t->opcode & 7) == 4 && !bd.rexb &&
        t->mn != MN_PUSH) {
        return false;
    }
    /* nor, with a REX prefix, SPL */
    if (spec_index(t, OPS_Zb, OPS___, OPS___) >= 0 && (t->opcode & 7) == 4 && bd.rex &&
        !bd.rexb) {
        return false;
    }

    /* immediates and counts */
    int cc = t->opcode & 15;
    for (int k = 0; k < 3; k++) {
        uint8_t s = t->ops[k];
        switch (s) {
        case OPS_Ib: {
            uint32_t v = interesting32() & 0xff;
            if (kind == GK_AAM && v == 0) {
                v = 10;
            }
            if (t->mn == MN_ENTER) {
                v = rnd_below(4); /* nesting level */
            }
            if (t->mn == MN_SHLD || t->mn == MN_SHRD || t->mn == MN_ROL || t->mn == MN_ROR ||
                t->mn == MN_RCL || t->mn == MN_RCR || t->mn == MN_SHL || t->mn == MN_SAL ||
                t->mn == MN_SHR || t->mn == MN_SAR) {
                v = chance(70) ? rnd_below(34) : (uint32_t)rnd() & 0xff;
                if ((t->mn == MN_SHLD || t->mn == MN_SHRD) && bd.opsize == 2 && (v & 31) > 16) {
                    v = v & 15;
                }
                bd.count = (int)v;
            }
            put_imm(&bd, v, 1);
            break;
        }
        case OPS_Ibs:
            put_imm(&bd, interesting32() & 0xff, 1);
            break;
        case OPS_Iw:
            put_imm(&bd, t->mn == MN_ENTER ? rnd_below(17) * 4 : interesting32(), 2);
            break;
        case OPS_Iz:
            put_imm(&bd, interesting32(), bd.opsize == 2 ? 2 : 4);
            break;
        case OPS_Iv:
            put_imm(&bd, bd.opsize == 8 ? rnd() : interesting32(), bd.opsize);
            break;
        case OPS_Iopnd:
            put_imm(&bd, interesting32(), size == 1 ? 1 : bd.opsize == 2 ? 2 : 4);
            break;
        case OPS_ONE:
            bd.count = 1;
            break;
        case OPS_CL:
            if (t->mn == MN_SHLD || t->mn == MN_SHRD || t->mn == MN_ROL || t->mn == MN_ROR ||
                t->mn == MN_RCL || t->mn == MN_RCR || t->mn == MN_SHL || t->mn == MN_SAL ||
                t->mn == MN_SHR || t->mn == MN_SAR) {
                bool need = (t->mn == MN_SHLD || t->mn == MN_SHRD) && bd.opsize == 2;
                if (need || chance(75)) {
                    uint32_t c = chance(70) ? rnd_below(34) : (uint32_t)rnd() & 0xff;
                    if (need && (c & 31) > 16) {
                        c &= 15;
                    }
                    uint8_t p[2] = {0xb1, (uint8_t)c}; /* MOV CL, imm8 */
                    emit_setup(&bd, p, 2);
                    bd.count = (int)c;
                }
            }
            break;
        case OPS_Ob: case OPS_Ov: {
            uint32_t tgt = pick_target(16);
            bd.disp = bd.addrsize == 2 ? (tgt & 0xffff) : tgt;
            put_imm(&bd, (uint32_t)bd.disp, bd.addrsize);
            break;
        }
        default:
            break;
        }
    }

    /* kind-specific set-ups */
    uint8_t p[16];
    switch (kind) {
    case GK_STRING: {
        bool src = t->mn == MN_MOVS || t->mn == MN_CMPS || t->mn == MN_LODS;
        bool dst = t->mn != MN_LODS;
        if (chance(60)) {
            bd.rep = chance(50) ? 0xf3 : 0xf2;
        }
        if (src && chance(30)) {
            static const uint8_t segs[3] = {0x26, 0x36, 0x3e};
            bd.seg = segs[rnd_below(3)];
        }
        uint32_t hi_s = bd.addrsize == 2 ? ((uint32_t)rnd() & 0xffff0000u) : 0;
        /* REP MOVS/STOS: sometimes a long run for the bulk path (cpu/string-bulk.c), up to
           12 KiB from near the window's middle, so it crosses pages whichever way DF points;
           half the time the source is within an element or so of the destination, an overlap
           an element-by-element copy sees */
        int esize = opsize_of_spec(&bd, t->ops[0]);
        bool lng = bd.rep && (t->mn == MN_MOVS || t->mn == MN_STOS) && chance(30);
        uint32_t mid = gen.base + VSH_DATA + (VSH_DATA_END - VSH_DATA) / 2;
        uint32_t ld = mid - 2048 + rnd_below(4096);
        uint32_t ls = chance(50) ? ld - (uint32_t)esize - 1 + rnd_below(2 * (uint32_t)esize + 3)
                                 : mid - 2048 + rnd_below(4096);
        if (src) {
            uint32_t a = lng ? ls : pick_target(128);
            setup_mov32(&bd, 6, bd.addrsize == 2 ? (hi_s | (a & 0xffff)) : a);
        }
        if (dst) {
            uint32_t a = lng ? ld : pick_target(128);
            setup_mov32(&bd, 7, bd.addrsize == 2 ? rnd_hi16() | (a & 0xffff) : a);
        }
        if (bd.rep) {
            uint32_t c = lng ? 1 + rnd_below(12288 / (uint32_t)esize) : rnd_below(17);
            if (chance(90)) {
                setup_mov32(&bd, 1, bd.addrsize == 2 ? (((uint32_t)rnd() & 0xffff0000u) | c) : c);
                bd.count = (int)c;
            } else {
                /* ECX = 0 through the upper half only, in 16-bit addressing: CX counts */
                setup_mov32(&bd, 1, bd.addrsize == 2 ? ((uint32_t)rnd() & 0xffff0000u) : 0);
                bd.count = 0;
            }
        }
        break;
    }
    case GK_XLAT: {
        uint32_t a = pick_target(300);
        setup_mov32(&bd, 3, bd.addrsize == 2 ? rnd_hi16() | (a & 0xffff) : a);
        if (chance(30)) {
            static const uint8_t segs[3] = {0x26, 0x36, 0x3e};
            bd.seg = segs[rnd_below(3)];
        }
        break;
    }
    case GK_ENTER:
        p[0] = 0x89; /* MOV EBP, ESP */
        p[1] = 0xe5;
        emit_setup(&bd, p, 2);
        break;
    case GK_LEAVE:
        p[0] = 0x8d; /* LEA EBP, [ESP + disp8] */
        p[1] = 0x6c;
        p[2] = 0x24;
        p[3] = (uint8_t)(rnd_below(33) * 2);
        emit_setup(&bd, p, 4);
        break;
    case GK_POPF: {
        uint32_t v = (interesting32() & 0x8d5) | 0x202 | (chance(50) ? 0x400 : 0) |
                     (chance(50) ? 0x200000 : 0);
        int n = 0;
        if (bd.opsize == 2) {
            p[n++] = 0x66;
        }
        p[n++] = 0x68; /* PUSH imm16/32 */
        for (int i = 0; i < bd.opsize; i++) {
            p[n++] = (uint8_t)(v >> (8 * i));
        }
        emit_setup(&bd, p, n);
        break;
    }
    default:
        break;
    }

    if (t->mandatory) {
        bd.rep = t->mandatory;
    }
    /* prefixes: a segment override on memory forms, LOCK on lockable memory forms */
    if (use_mem && !bd.seg && chance(20)) {
        static const uint8_t segs[3] = {0x26, 0x36, 0x3e};
        bd.seg = segs[rnd_below(3)];
    }
    /* (opcodes.def marks the CMP row 38-39 lockable with the rest of the ALU rows; the SDM's
       LOCK list has no CMP, and the host raises #UD: not generated until the decoder agrees) */
    if (use_mem && (t->flags & F_LOCK) && t->mn != MN_CMP && chance(30)) {
        bd.lock = true;
    }

    /* DIV/IDIV: make the divisor safe, then prepare the dividend */
    if (kind == GK_DIV) {
        bool sign = t->mn == MN_IDIV;
        uint8_t q[32];
        int n = div_fixup(&bd, t, esize, 1, sign ? 2 : 1, q); /* OR r/m, 1 or 2 */
        emit_setup(&bd, q, n);
        if (sign) {
            n = div_fixup(&bd, t, esize, 4, 0xfe, q); /* AND r/m, ~1: |divisor| >= 2 */
            emit_setup(&bd, q, n);
        }
        if (sign) {
            /* CBW / CWD / CDQ / CQO: the dividend is the sign-extended low half */
            n = 0;
            if (esize != 4) {
                q[n++] = esize == 8 ? 0x48 : 0x66;
            }
            q[n++] = esize == 1 ? 0x98 : 0x99;
        } else {
            /* the high half is 0 */
            n = 0;
            if (esize == 1) {
                q[n++] = 0xb4; /* MOV AH, 0 */
                q[n++] = 0;
            } else {
                if (esize == 2) {
                    q[n++] = 0x66;
                }
                q[n++] = 0xba; /* MOV eDX, 0 (MOV EDX zero-extends into RDX) */
                for (int i = 0; i < (esize == 8 ? 4 : esize); i++) {
                    q[n++] = 0;
                }
            }
        }
        emit_setup(&bd, q, n);
    }

    /* assemble */
    uint8_t insn[32];
    int ilen = encode(&bd, t, -1, insn, bd.imm, bd.imm_len);
    if (kind == GK_BRANCH) {
        /* the displacement bytes are the last ones */
        int rs = t->ops[0] == OPS_Jb ? 1 : 4;
        memset(insn + ilen, 0, (size_t)rs);
        u->rel_pos = bd.setup_len + ilen;
        u->rel_size = rs;
        ilen += rs;
        u->branch_skip = (int)rnd_below(4);
    }
    if (kind == GK_INDIRECT) {
        u->branch_skip = (int)rnd_below(4); /* the target: patched at u->abs_pos */
    }
    memcpy(u->b, bd.setup, (size_t)bd.setup_len);
    memcpy(u->b + bd.setup_len, insn, (size_t)ilen);
    u->len = bd.setup_len + ilen;
    u->riprel_pos = -1;
    if (bd.riprel) {
        /* the disp32 follows ModRM: find it from the end (the immediate comes after it) */
        u->riprel_pos = bd.setup_len + ilen - bd.imm_len - 4;
        u->riprel_end = bd.setup_len + ilen;
        u->riprel_target = bd.riprel_target;
    }
    u->ninsns = bd.setup_insns + 1;

    /* the decoder must agree on the length: the template came from its tables */
    X86Insn d;
    int dl = x86_decode(&d, insn, ilen, gen.mode64 ? 64 : 32);
    if (dl != ilen || d.mnemonic != (cx16 ? MN_CMPXCHG16B : t->mn)) {
        return false;
    }
    u->mn = d.mnemonic;
    if (kind == GK_STRING) {
        bd.count = bd.rep ? bd.count : 1;
    }
    flags_effect(u, &bd, (t->map == 0 && t->opcode >= 0x70 && t->opcode <= 0x7f) ||
                             (t->map == 1 && t->opcode >= 0x80 && t->opcode <= 0x9f) ||
                             (t->map == 1 && t->opcode >= 0x40 && t->opcode <= 0x4f)
                         ? cc
                         : 0,
                 size);
    return true;
}

/* CMP r32, r32 at the start of the unit: it defines all six flags for a reader of an undefined
   one. Inside the unit, so no branch can skip it without skipping the reader too. */
static void prepend_definer(Unit *u)
{
    memmove(u->b + 2, u->b, (size_t)u->len);
    u->b[0] = 0x39;
    u->b[1] = (uint8_t)(0xc0 | rnd_below(8) << 3 | rnd_below(8));
    u->len += 2;
    u->rel_pos += 2;
    if (u->abs_pos >= 0) {
        u->abs_pos += 2;
    }
    if (u->abs_self >= 0) {
        u->abs_self += 2;
    }
    if (u->riprel_pos >= 0) {
        u->riprel_pos += 2;
        u->riprel_end += 2;
    }
    u->ninsns++;
}

static void gen_sequence(Seq *s, int max_units)
{
    s->n = 0;
    s->insns = 0;
    s->code_len = 0;
    int want = 1 + (int)rnd_below((uint32_t)max_units);
    uint32_t undef = 0;
    int skip_until = -1; /* units up to this index may be skipped by a branch */
    while (s->n < want && s->n < MAX_UNITS - 2) {
        Unit u;
        const Tmpl *t = &tmpls[rnd_below((uint32_t)nb_tmpls)];
        if (!build_unit(&u, t)) {
            continue;
        }
        if (u.fl_reads & undef) {
            prepend_definer(&u);
            if (s->n > skip_until) {
                undef &= ~(uint32_t)FL_ALL; /* (a skipped unit defines nothing after it) */
            }
        }
        bool maybe = u.fl_maybe || s->n <= skip_until;
        if (!maybe) {
            undef &= ~u.fl_def;
        }
        undef |= u.fl_undef;
        if (u.branch_skip >= 0) {
            int last = s->n + u.branch_skip;
            if (last > skip_until) {
                skip_until = last;
            }
        }
        coverage[u.mn]++;
        s->u[s->n++] = u;
    }
    s->undef = undef;
    /* lay out the code, patch the branches, end with HLT */
    int pos = 0;
    int start[MAX_UNITS + 1];
    for (int i = 0; i < s->n; i++) {
        start[i] = pos;
        memcpy(s->code + pos, s->u[i].b, (size_t)s->u[i].len);
        pos += s->u[i].len;
        s->insns += s->u[i].ninsns;
    }
    start[s->n] = pos;
    s->code[pos++] = 0xf4; /* HLT */
    s->code_len = pos;
    for (int i = 0; i < s->n; i++) {
        Unit *u = &s->u[i];
        if (u->riprel_pos >= 0) {
            uint32_t next = gen.base + VSH_CODE + (uint32_t)(start[i] + u->riprel_end);
            uint32_t d = u->riprel_target - next;
            for (int k = 0; k < 4; k++) {
                s->code[start[i] + u->riprel_pos + k] = (uint8_t)(d >> (8 * k));
            }
        }
        if (u->abs_pos >= 0) {
            /* an absolute code address: a label in the unit, or the target unit's start */
            int to = i + 1 + u->branch_skip;
            uint32_t a = gen.base + VSH_CODE +
                         (uint32_t)(u->abs_self >= 0 ? start[i] + u->abs_self
                                                     : start[to > s->n ? s->n : to]);
            for (int k = 0; k < 4; k++) {
                s->code[start[i] + u->abs_pos + k] = (uint8_t)(a >> (8 * k));
            }
        }
        if (u->branch_skip < 0 || u->rel_size == 0) {
            continue;
        }
        int to = i + 1 + u->branch_skip;
        if (to > s->n) {
            to = s->n;
        }
        int from = start[i] + u->len;
        int rel = start[to] - from;
        if (u->rel_size == 1 && rel > 127) {
            rel = 0; /* too far for rel8: fall through */
        }
        for (int k = 0; k < u->rel_size; k++) {
            s->code[start[i] + u->rel_pos + k] = (uint8_t)((uint32_t)rel >> (8 * k));
        }
    }
    for (int r = 0; r < 16; r++) {
        s->regs[r] = gen.mode64 ? (chance(50) ? rnd() : interesting32()) : interesting32();
    }
    if (!gen.mode64) {
        for (int r = 8; r < 16; r++) {
            s->regs[r] = 0;
        }
    }
    s->regs[4] = gen.base + VSH_ESP0;
    s->eflags = 0x202 | (interesting32() & 0x8d5) | (chance(20) ? 0x400 : 0);
}

/* ---- x87 sequences (--x87) ----
 *
 * FNINIT, FLDCW of a random control word (every exception masked, random rounding and
 * precision control), then random x87 instructions over operands in the data window, and at the
 * end FNSAVE to the data window: the whole FPU state (control, status and tag words, the
 * last-instruction pointer and opcode, the operand pointer, the eight registers) is then part
 * of the compared memory. MOVs after it zero the selectors FCS and FDS in the image (the host
 * process's and the harness's differ), and the operand pointer on hosts that update it only on
 * exceptions (CPUID.(EAX=7,ECX=0):EBX[6] FDP_EXCPTN_ONLY). FCOMI/FUCOMI define ZF PF CF (and clear OF SF AF), and
 * FNSTSW AX writes AX: registers and flags are compared as in the integer mode.
 *
 * Operands come from slots of the data window that x87_fill writes with values chosen to be
 * interesting (zeros, ones, values of similar and of distant magnitudes, denormals, infinities,
 * NaNs), by format: X87_SLOTS slots of each of m32fp, m64fp, m80fp and integers. The operation
 * groups follow what cpu/float80.c implements (x87_groups); transcendental instructions are
 * never generated (their last bit is not the same on every x87).
 */
enum {
    X87_SLOTS = 8,
    X87_SLOT_F32 = 0x100, X87_SLOT_F64 = 0x180, X87_SLOT_F80 = 0x200, X87_SLOT_INT = 0x300,
    X87_STORE = 0x400,   /* stores go here: 16 slots of 16 bytes */
    X87_CW = 0x500,      /* the control word FLDCW loads */
    X87_SAVE = 0x600,    /* the FNSAVE image */
    /* the FXSAVE image: 16-byte aligned, its first 160 bytes (the x87 part) at the top of the
       compared stack area, the XMM registers and the rest above it, not compared */
    X87_FXSAVE = VSH_STACK_END - 160 - VSH_DATA,
};
enum {
    X87G_STACK = 1 << 0,  /* moves, exchanges, tags, sign operations, FXAM, FCMOVcc, FNSTSW */
    X87G_CONV = 1 << 1,   /* FLD/FST m32/m64, FILD/FIST/FISTP/FISTTP */
    X87G_ARITH = 1 << 2,  /* FADD FSUB FSUBR FMUL FDIV FDIVR, all forms */
    X87G_CMP = 1 << 3,    /* FCOM FUCOM FICOM FTST FCOMI FUCOMI */
    X87G_CONST = 1 << 4,  /* FLD1 FLDZ FLDPI ... */
    X87G_MISC = 1 << 5,   /* FSQRT FRNDINT FSCALE FXTRACT FPREM FPREM1 */
    X87G_BCD = 1 << 6,    /* FBLD FBSTP */
};
static bool x87_mode;
/* CPUID.(EAX=7,ECX=0):EBX[6]: the host updates the x87 operand pointer only on exceptions */
static bool x87_host_fdp_excptn_only;
static bool x87_host_amd; /* CPUID vendor AuthenticAMD */
static uint32_t x87_groups = 0x7f; /* all of them: cpu/float80.c implements them */

static void x87_b(Seq *s, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        s->code[s->code_len++] = (uint8_t)va_arg(ap, int);
    }
    va_end(ap);
    s->insns++;
}

/* opcode, ModRM /reg with a disp32 absolute address in the data window; in 64-bit mode the
   SIB form without base or index (mod 00 r/m 101 is RIP-relative there), and now and then a
   REX.W, which x87 memory operands ignore (SDM Vol. 2A 2.2.1.2) */
static void x87_mem(Seq *s, uint8_t opcode, int reg, uint32_t off)
{
    uint32_t a = gen.base + VSH_DATA + off;
    if (gen.mode64) {
        if (chance(20)) {
            s->code[s->code_len++] = 0x48;
        }
        x87_b(s, 7, opcode, reg << 3 | 4, 0x25, a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff,
              a >> 24);
        return;
    }
    x87_b(s, 6, opcode, reg << 3 | 5, a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff, a >> 24);
}

/* MOV word [a], 0 (the absolute forms of x87_mem) */
static void x87_zero16(Seq *s, uint32_t off)
{
    uint32_t a = gen.base + VSH_DATA + off;
    int n = 0;
    uint8_t mov[10];
    mov[n++] = 0x66;
    mov[n++] = 0xc7;
    if (gen.mode64) {
        mov[n++] = 0x04;
        mov[n++] = 0x25;
    } else {
        mov[n++] = 0x05;
    }
    for (int i = 0; i < 4; i++) {
        mov[n++] = (uint8_t)(a >> (8 * i));
    }
    mov[n++] = 0;
    mov[n++] = 0;
    memcpy(s->code + s->code_len, mov, (size_t)n);
    s->code_len += n;
    s->insns++;
}

static uint32_t x87_slot(uint32_t base)
{
    return base + 16 * rnd_below(X87_SLOTS);
}

static void x87_insn(Seq *s)
{
    int i = (int)rnd_below(8);
    for (;;) {
        switch (rnd_below(40)) {
        /* stack, registers, tags */
        case 0: case 1: case 2:
            if (!(x87_groups & X87G_STACK)) break;
            x87_mem(s, 0xdb, 5, x87_slot(X87_SLOT_F80)); /* FLD m80 */
            return;
        case 3:
            if (!(x87_groups & X87G_STACK)) break;
            x87_mem(s, 0xdb, 7, X87_STORE + 16 * rnd_below(16)); /* FSTP m80 */
            return;
        case 4:
            if (!(x87_groups & X87G_STACK)) break;
            x87_b(s, 2, 0xd9, 0xc0 + i); /* FLD ST(i) */
            return;
        case 5:
            if (!(x87_groups & X87G_STACK)) break;
            x87_b(s, 2, 0xdd, (chance(50) ? 0xd0 : 0xd8) + i); /* FST/FSTP ST(i) */
            return;
        case 6:
            if (!(x87_groups & X87G_STACK)) break;
            x87_b(s, 2, 0xd9, 0xc8 + i); /* FXCH */
            return;
        case 7: {
            if (!(x87_groups & X87G_STACK)) break;
            static const uint8_t one[] = {0xe0, 0xe1, 0xe5, 0xd0, 0xf6, 0xf7}; /* FCHS FABS FXAM
                                                                FNOP FDECSTP FINCSTP */
            x87_b(s, 2, 0xd9, one[rnd_below(sizeof(one))]);
            return;
        }
        case 8:
            if (!(x87_groups & X87G_STACK)) break;
            x87_b(s, 2, chance(50) ? 0xdd : 0xdf, 0xc0 + i); /* FFREE, FFREEP */
            return;
        case 9:
            if (!(x87_groups & X87G_STACK)) break;
            x87_b(s, 2, chance(50) ? 0xda : 0xdb, 0xc0 + 8 * rnd_below(4) + i); /* FCMOVcc */
            return;
        case 10:
            if (!(x87_groups & X87G_STACK)) break;
            x87_b(s, 2, 0xdf, 0xe0); /* FNSTSW AX */
            return;
        /* conversions */
        case 11: case 12: {
            if (!(x87_groups & X87G_CONV)) break;
            switch (rnd_below(5)) {
            case 0: x87_mem(s, 0xd9, 0, x87_slot(X87_SLOT_F32)); break;  /* FLD m32 */
            case 1: x87_mem(s, 0xdd, 0, x87_slot(X87_SLOT_F64)); break;  /* FLD m64 */
            case 2: x87_mem(s, 0xdf, 0, x87_slot(X87_SLOT_INT)); break;  /* FILD m16 */
            case 3: x87_mem(s, 0xdb, 0, x87_slot(X87_SLOT_INT)); break;  /* FILD m32 */
            default: x87_mem(s, 0xdf, 5, x87_slot(X87_SLOT_INT)); break; /* FILD m64 */
            }
            return;
        }
        case 13: {
            if (!(x87_groups & X87G_CONV)) break;
            static const uint8_t st[][2] = {{0xd9, 2}, {0xd9, 3}, {0xdd, 2}, {0xdd, 3},
                                            {0xdf, 2}, {0xdf, 3}, {0xdb, 2}, {0xdb, 3},
                                            {0xdf, 7}, {0xdf, 1}, {0xdb, 1}, {0xdd, 1}};
            int k = (int)rnd_below(sizeof(st) / sizeof(st[0]));
            x87_mem(s, st[k][0], st[k][1], X87_STORE + 16 * rnd_below(16));
            return;
        }
        /* arithmetic */
        case 14: case 15: case 16: case 17: case 18: case 19: {
            if (!(x87_groups & X87G_ARITH)) break;
            static const int aops[6] = {0, 1, 4, 5, 6, 7}; /* ADD MUL SUB SUBR DIV DIVR */
            int op = aops[rnd_below(6)];
            switch (rnd_below(7)) {
            case 0: x87_b(s, 2, 0xd8, 0xc0 + 8 * op + i); break;           /* ST0, STi */
            case 1: x87_b(s, 2, 0xdc, 0xc0 + 8 * op + i); break;           /* STi, ST0 */
            case 2: x87_b(s, 2, 0xde, 0xc0 + 8 * op + i); break;           /* P forms */
            case 3: x87_mem(s, 0xd8, op, x87_slot(X87_SLOT_F32)); break;
            case 4: x87_mem(s, 0xdc, op, x87_slot(X87_SLOT_F64)); break;
            case 5: x87_mem(s, 0xda, op, x87_slot(X87_SLOT_INT)); break;
            default: x87_mem(s, 0xde, op, x87_slot(X87_SLOT_INT)); break;
            }
            return;
        }
        /* compares */
        case 20: case 21: case 22: {
            if (!(x87_groups & X87G_CMP)) break;
            switch (rnd_below(10)) {
            case 0: x87_b(s, 2, 0xd8, 0xd0 + 8 * rnd_below(2) + i); break; /* FCOM(P) STi */
            case 1: x87_b(s, 2, 0xdd, 0xe0 + 8 * rnd_below(2) + i); break; /* FUCOM(P) STi */
            case 2: x87_b(s, 2, 0xde, 0xd9); break;                         /* FCOMPP */
            case 3: x87_b(s, 2, 0xda, 0xe9); break;                         /* FUCOMPP */
            case 4: x87_b(s, 2, 0xd9, 0xe4); break;                         /* FTST */
            case 5: x87_b(s, 2, 0xdb, 0xe8 + 8 * rnd_below(2) + i); break; /* FUCOMI, FCOMI */
            case 6: x87_b(s, 2, 0xdf, 0xe8 + 8 * rnd_below(2) + i); break; /* ... P */
            case 7: x87_mem(s, 0xd8, 2 + (int)rnd_below(2), x87_slot(X87_SLOT_F32)); break;
            case 8: x87_mem(s, 0xdc, 2 + (int)rnd_below(2), x87_slot(X87_SLOT_F64)); break;
            default: x87_mem(s, chance(50) ? 0xda : 0xde, 2 + (int)rnd_below(2),
                             x87_slot(X87_SLOT_INT)); break;
            }
            return;
        }
        case 23:
            if (!(x87_groups & X87G_CONST)) break;
            x87_b(s, 2, 0xd9, 0xe8 + rnd_below(7)); /* FLD1 .. FLDZ */
            return;
        case 24: case 25: {
            if (!(x87_groups & X87G_MISC)) break;
            static const uint8_t misc[] = {0xfa, 0xfc, 0xfd, 0xf4, 0xf8, 0xf5}; /* FSQRT FRNDINT
                                                          FSCALE FXTRACT FPREM FPREM1 */
            x87_b(s, 2, 0xd9, misc[rnd_below(sizeof(misc))]);
            return;
        }
        case 26:
            if (!(x87_groups & X87G_BCD)) break;
            if (chance(50)) {
                x87_mem(s, 0xdf, 4, x87_slot(X87_SLOT_INT)); /* FBLD */
            } else {
                x87_mem(s, 0xdf, 6, X87_STORE + 16 * rnd_below(16)); /* FBSTP */
            }
            return;
        default:
            break;
        }
    }
}

static void gen_sequence_x87(Seq *s, int max_units)
{
    s->n = 0;
    s->insns = 0;
    s->code_len = 0;
    s->undef = 0; /* only FCOMI and friends write flags, and they define them */
    x87_b(s, 2, 0xdb, 0xe3); /* FNINIT */
    x87_mem(s, 0xd9, 5, X87_CW); /* FLDCW (x87_fill writes the word) */
    int want = 1 + (int)rnd_below((uint32_t)max_units);
    for (int k = 0; k < want; k++) {
        x87_insn(s);
        coverage[MN_FPU]++;
    }
    /* FXSAVE (0F AE /0), in 64-bit mode also FXSAVE64 (REX.W: FIP and FDP as 64-bit offsets,
       SDM Vol. 2A FXSAVE); then the fields that are the host's own: FCS and FDS (or the high
       halves of FIP and FDP: 0 on both sides here), FDP where the host updates it only on
       exceptions, MXCSR_MASK (the host's SSE features) */
    bool w64 = gen.mode64 && chance(50);
    if (w64) {
        s->code[s->code_len++] = 0x48;
    }
    if (gen.mode64) {
        x87_b(s, 4, 0x0f, 0xae, 0 << 3 | 4, 0x25);
    } else {
        x87_b(s, 3, 0x0f, 0xae, 0 << 3 | 5);
    }
    uint32_t fx = gen.base + VSH_DATA + X87_FXSAVE;
    for (int i = 0; i < 4; i++) {
        s->code[s->code_len++] = (uint8_t)(fx >> (8 * i));
    }
    static const uint8_t fx_offs[] = {12, 14, 20, 22, 28, 30, 16, 18};
    for (int k = 0; k < (x87_host_fdp_excptn_only ? 8 : 6); k++) {
        x87_zero16(s, X87_FXSAVE + fx_offs[k]);
    }
    if (x87_host_amd) {
        /* AMD's FXSAVE stores FOP, FIP and FDP only when FSW.ES is set (AMD APM Vol. 4
           FXSAVE), never here (every exception is masked): FIP and FDP are compared through
           FNSAVE only, and FXSAVE64's layout by tests/unit/test_x87_64 */
        for (int k = 6; k < 24; k += 2) {
            x87_zero16(s, X87_FXSAVE + (uint32_t)k);
        }
    }
    x87_mem(s, 0xdd, 6, X87_SAVE); /* FNSAVE (REX.W does not change its format) */
    /* the selectors FCS (offset 16) and FDS (24) are the host's and the harness's; the operand
       pointer (20) only where the host updates it for every instruction */
    static const uint8_t sel_offs[] = {16, 24, 20, 22};
    for (int k = 0; k < (x87_host_fdp_excptn_only ? 4 : 2); k++) {
        x87_zero16(s, X87_SAVE + sel_offs[k]);
    }
    s->code[s->code_len++] = 0xf4; /* HLT */
    for (int r = 0; r < 8; r++) {
        s->regs[r] = interesting32();
    }
    s->regs[4] = gen.base + VSH_ESP0;
    s->eflags = 0x202 | (interesting32() & 0x8d5) | (chance(20) ? 0x400 : 0);
}

/* a random value of the 80-bit format: mostly normal numbers near 1 (so that arithmetic
   results stay representable), some far away, and the special classes */
static void x87_rand_f80(uint8_t *p)
{
    uint64_t mant = rnd() | 1ull << 63;
    unsigned exp = 16383 - 8 + rnd_below(17);
    switch (rnd_below(16)) {
    case 0: mant = 0; exp = 0; break;                               /* zero */
    case 1: mant = 1ull << 63; exp = 16383; break;                  /* 1.0 */
    case 2: mant = 1ull << 63; exp = 0x7fff; break;                 /* infinity */
    case 3: mant = 3ull << 62 | (rnd() >> 2); exp = 0x7fff; break;  /* QNaN */
    case 4: exp = 1 + rnd_below(0x7ffe); break;                     /* any magnitude */
    case 5: mant = rnd() & ~(1ull << 63); exp = 0; break;           /* denormal */
    case 6: mant &= ~0xffffffffull; break;                          /* short significand */
    case 7: mant &= 0xffffffffff000000ull; exp = 16383 + 20 + rnd_below(50); break; /* ints */
    default: break;
    }
    for (int k = 0; k < 8; k++) {
        p[k] = (uint8_t)(mant >> (8 * k));
    }
    uint16_t se = (uint16_t)(exp | (chance(50) ? 0x8000 : 0));
    p[8] = (uint8_t)se;
    p[9] = (uint8_t)(se >> 8);
}

static void x87_fill(uint8_t *img)
{
    for (int k = 0; k < X87_SLOTS; k++) {
        uint32_t f32;
        switch (rnd_below(8)) {
        case 0: f32 = 0; break;
        case 1: f32 = 0x3f800000u; break;                                 /* 1.0 */
        case 2: f32 = 0x7f800000u; break;                                 /* infinity */
        case 3: f32 = 0x7fc00000u | ((uint32_t)rnd() & 0x3fffff); break;  /* QNaN */
        case 4: f32 = (uint32_t)rnd() & 0x7fffff; break;                  /* denormal */
        default: f32 = (uint32_t)(127 - 8 + rnd_below(17)) << 23 | ((uint32_t)rnd() & 0x7fffff);
        }
        f32 |= chance(50) ? 0x80000000u : 0;
        memcpy(img + X87_SLOT_F32 + 16 * k, &f32, 4);
        uint64_t f64;
        switch (rnd_below(8)) {
        case 0: f64 = 0; break;
        case 1: f64 = 0x3ff0000000000000ull; break;
        case 2: f64 = 0x7ff0000000000000ull; break;
        case 3: f64 = 0x7ff8000000000000ull | (rnd() & 0x7ffffffffffffull); break;
        case 4: f64 = rnd() & 0xfffffffffffffull; break;
        default: f64 = (uint64_t)(1023 - 8 + rnd_below(17)) << 52 | (rnd() & 0xfffffffffffffull);
        }
        f64 |= chance(50) ? 0x8000000000000000ull : 0;
        memcpy(img + X87_SLOT_F64 + 16 * k, &f64, 8);
        x87_rand_f80(img + X87_SLOT_F80 + 16 * k);
        int64_t v = (int64_t)interesting32();
        if (chance(30)) {
            v = (int64_t)(int16_t)v;
        } else if (chance(20)) {
            v = (int64_t)rnd();
        }
        memcpy(img + X87_SLOT_INT + 16 * k, &v, 8);
    }
    /* all exceptions masked, random precision and rounding, and random reserved bits (6 and
       13-15) and IC (12), which FLDCW must treat as the x87 does */
    uint16_t cw = (uint16_t)(0x3f | rnd_below(4) << 8 | rnd_below(4) << 10 |
                             ((uint32_t)rnd() & 0xf040));
    if (chance(50)) {
        cw = 0x037f;
    }
    memcpy(img + X87_CW, &cw, 2);
}

/* ---- memory images ---- */

enum { IMG_SIZE = VSH_STACK_END - VSH_DATA };

static void fill_memory(uint8_t *img)
{
    for (int i = 0; i < IMG_SIZE;) {
        int run = 16 + (int)rnd_below(512);
        if (run > IMG_SIZE - i) {
            run = IMG_SIZE - i;
        }
        if (chance(30)) {
            memset(img + i, chance(50) ? 0 : (int)(rnd() & 0xff), (size_t)run);
        } else {
            for (int k = 0; k < run; k++) {
                img[i + k] = (uint8_t)rnd();
            }
        }
        i += run;
    }
}

/* ---- the host side ---- */

typedef struct Host {
    pid_t pid;
    int cmd_fd, reply_fd;
    uint8_t *shm;       /* the shared mapping, as seen by the parent (offset 0 = VSH_BASE) */
    VshCtrl *ctrl;
    const char *child_path;
    int memfd;
} Host;

static bool host_start(Host *h)
{
    int cmd[2], reply[2];
    if (pipe(cmd) < 0 || pipe(reply) < 0) {
        return false;
    }
    char a1[16], a2[16], a3[16], a4[32];
    snprintf(a1, sizeof(a1), "%d", cmd[0]);
    snprintf(a2, sizeof(a2), "%d", reply[1]);
    snprintf(a3, sizeof(a3), "%d", h->memfd);
    snprintf(a4, sizeof(a4), "%#x", gen.base);
    pid_t pid = fork();
    if (pid < 0) {
        return false;
    }
    if (pid == 0) {
        close(cmd[1]);
        close(reply[0]);
        execl(h->child_path, h->child_path, a1, a2, a3, a4, (char *)NULL);
        fprintf(stderr, "vs-host: cannot run %s: %s\n", h->child_path, strerror(errno));
        _exit(127);
    }
    close(cmd[0]);
    close(reply[1]);
    h->pid = pid;
    h->cmd_fd = cmd[1];
    h->reply_fd = reply[0];
    char c;
    return read(h->reply_fd, &c, 1) == 1 && c == VSH_REPLY_DONE;
}

static void host_stop(Host *h)
{
    if (h->pid > 0) {
        char c = VSH_CMD_QUIT;
        if (write(h->cmd_fd, &c, 1) != 1) {
            kill(h->pid, SIGKILL);
        }
        waitpid(h->pid, NULL, 0);
        close(h->cmd_fd);
        close(h->reply_fd);
        h->pid = 0;
    }
}

typedef struct State {
    uint64_t regs[16];
    uint32_t eflags;
    uint64_t eip;
    bool ok;
    char why[96];
    uint8_t mem[IMG_SIZE];
} State;

static void host_run(Host *h, const Seq *s, const uint8_t *img, State *out)
{
    memcpy(h->shm + (VSH_DATA - VSH_BASE), img, IMG_SIZE);
    memcpy(h->shm + (VSH_CODE - VSH_BASE), s->code, (size_t)s->code_len);
    VshCtrl *c = h->ctrl;
    memset(c, 0, sizeof(*c));
    c->jump_target = gen.base + VSH_CODE;
    for (int r = 0; r < 16; r++) {
        c->regs_in[r] = s->regs[r];
    }
    c->eflags_in = s->eflags;
    char cmd = VSH_CMD_RUN, reply = 0;
    out->ok = false;
    if (write(h->cmd_fd, &cmd, 1) != 1 || read(h->reply_fd, &reply, 1) != 1) {
        snprintf(out->why, sizeof(out->why), "the host child died");
        host_stop(h);
        host_start(h);
        return;
    }
    for (int r = 0; r < 16; r++) {
        out->regs[r] = gen.mode64 ? c->regs_out[r] : (uint32_t)c->regs_out[r];
    }
    out->eflags = (uint32_t)c->eflags_out;
    out->eip = gen.mode64 ? c->rip_out : (uint32_t)c->rip_out;
    memcpy(out->mem, h->shm + (VSH_DATA - VSH_BASE), IMG_SIZE);
    uint32_t hlt = gen.base + VSH_CODE + (uint32_t)s->code_len - 1;
    if (c->signo == SIGSEGV && out->eip == hlt) {
        out->ok = true;
    } else {
        snprintf(out->why, sizeof(out->why), "host: signal %d at eip %#" PRIx64 " (HLT at %#x)",
                 c->signo, out->eip, hlt);
    }
}

/* ---- the xlat side ---- */

static void xlat_run(Machine *m, const Seq *s, const uint8_t *img, State *out)
{
    harness_write(m, gen.base + VSH_DATA, img, IMG_SIZE);
    harness_write(m, gen.base + VSH_CODE, s->code, (size_t)s->code_len);
    if (gen.mode64) {
        harness_set_long64(m, gen.base + VSH_END);
    } else {
        harness_set_flat32(m);
    }
    CPUX86State *c = &m->cpu;
    for (int r = 0; r < 16; r++) {
        c->regs[r] = s->regs[r];
    }
    c->eip = gen.base + VSH_CODE;
    x86_set_eflags(c, s->eflags, ~0u);
    /* the host child enters every sequence with the FPU's initial state (Linux gives a signal
       handler a fresh FPU, and the child leaves the handler by siglongjmp): registers +0.0 */
    x87_reset(c);
    int r = harness_run(m, 1000000);
    for (int i = 0; i < 16; i++) {
        out->regs[i] = gen.mode64 ? c->regs[i] : (uint32_t)c->regs[i];
    }
    out->eflags = x86_get_eflags(c);
    out->eip = gen.mode64 ? c->eip : (uint32_t)c->eip;
    harness_read(m, gen.base + VSH_DATA, out->mem, IMG_SIZE);
    uint32_t after_hlt = gen.base + VSH_CODE + (uint32_t)s->code_len;
    out->ok = r == HARNESS_HALTED && out->eip == after_hlt;
    if (!out->ok) {
        snprintf(out->why, sizeof(out->why), "xlat: %s at eip %#" PRIx64 " (HLT ends at %#x)",
                 r == HARNESS_HALTED ? "halted" : r == HARNESS_LIMIT ? "instruction limit"
                                                                     : "stopped",
                 out->eip, after_hlt);
    }
}

/* ---- comparison and reports ---- */

static const char *const reg_names[16] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                          "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

/* the EFLAGS bits compared: the defined arithmetic flags, DF, ID */
static uint32_t flags_mask(const Seq *s)
{
    return ((uint32_t)FL_ALL & ~s->undef) | 0x400 | 0x200000;
}

static int diff_states(const Seq *s, const State *a, const State *b, char *buf, size_t n)
{
    int diffs = 0;
    size_t len = 0;
#define OUT(...) (len += (size_t)snprintf(buf + len, len < n ? n - len : 0, __VA_ARGS__))
    for (int r = 0; r < (gen.mode64 ? 16 : 8); r++) {
        if (a->regs[r] != b->regs[r]) {
            OUT(" %s host %08" PRIx64 " xlat %08" PRIx64 ";", reg_names[r], a->regs[r],
                b->regs[r]);
            diffs++;
        }
    }
    uint32_t m = flags_mask(s);
    if ((a->eflags & m) != (b->eflags & m)) {
        OUT(" eflags host %08x xlat %08x (compared bits %08x);", a->eflags & m, b->eflags & m, m);
        diffs++;
    }
    for (int i = 0; i < IMG_SIZE; i++) {
        if (a->mem[i] != b->mem[i]) {
            if (diffs < 12) {
                OUT(" mem[%#x] host %02x xlat %02x;", gen.base + VSH_DATA + (unsigned)i, a->mem[i],
                    b->mem[i]);
            }
            diffs++;
        }
    }
#undef OUT
    return diffs;
}

static void disassemble(const Seq *s, FILE *out)
{
    csh cs;
    if (cs_open(CS_ARCH_X86, gen.mode64 ? CS_MODE_64 : CS_MODE_32, &cs) != CS_ERR_OK) {
        return;
    }
    cs_option(cs, CS_OPT_SKIPDATA, CS_OPT_ON); /* go on past what Capstone cannot decode */
    cs_insn *insn;
    size_t cnt = cs_disasm(cs, s->code, (size_t)s->code_len, gen.base + VSH_CODE, 0, &insn);
    for (size_t i = 0; i < cnt; i++) {
        fprintf(out, "    %08" PRIx64 ":  ", insn[i].address);
        for (int k = 0; k < 10; k++) {
            if (k < insn[i].size) {
                fprintf(out, "%02x", insn[i].bytes[k]);
            } else {
                fputs("  ", out);
            }
        }
        fprintf(out, "  %s %s\n", insn[i].mnemonic, insn[i].op_str);
    }
    if (cnt) {
        cs_free(insn, cnt);
    }
    cs_close(&cs);
}

/* ---- main ---- */

static void usage(void)
{
    fprintf(stderr, "usage: vs-host --mode 32|64 --count N [--seed S] [--length UNITS] "
                    "[--backend jit|interp|both] [--show N] [--verbose] [--x87] [--x87-groups MASK]\n");
    exit(2);
}

static char *child_path(const char *self, int mode)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        snprintf(exe, sizeof(exe), "%s", self);
        n = (ssize_t)strlen(exe);
    }
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) {
        slash[1] = 0;
    } else {
        exe[0] = 0;
    }
    char *p = malloc(strlen(exe) + 32);
    sprintf(p, "%svs-host-child%d", exe, mode);
    return p;
}

int main(int argc, char **argv)
{
    int mode = 32;
    long count = 1000, max_units = 24, show = 5;
    uint64_t seed = 0;
    bool seed_given = false, verbose = false;
    const char *backend = "both";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            mode = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
            count = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
            seed_given = true;
        } else if (!strcmp(argv[i], "--length") && i + 1 < argc) {
            max_units = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
            backend = argv[++i];
        } else if (!strcmp(argv[i], "--show") && i + 1 < argc) {
            show = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--verbose")) {
            verbose = true;
        } else if (!strcmp(argv[i], "--x87")) {
            x87_mode = true;
        } else if (!strcmp(argv[i], "--x87-groups") && i + 1 < argc) {
            x87_mode = true;
            x87_groups = (uint32_t)strtoul(argv[++i], NULL, 0);
            if (!(x87_groups & 0x7f)) {
                usage();
            }
        } else {
            usage();
        }
    }
    if ((mode != 32 && mode != 64) || count < 0 || max_units < 1 || max_units > MAX_UNITS - 8) {
        usage();
    }
    gen.mode64 = mode == 64;
    if (!seed_given) {
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    }
    printf("vs-host: mode %d%s, %ld sequences, seed %" PRIu64 "\n", mode,
           x87_mode ? " x87" : "", count, seed);
    rng = seed * 0x9e3779b97f4a7c15ull + 1;

    /* the low layout needs the host to allow mappings at VSH_BASE */
    gen.base = 0;
    gen.addr16 = true;
    FILE *mm = fopen("/proc/sys/vm/mmap_min_addr", "r");
    unsigned long min_addr = 0;
    if (mm) {
        if (fscanf(mm, "%lu", &min_addr) != 1) {
            min_addr = 0;
        }
        fclose(mm);
    }
    if (min_addr > VSH_BASE) {
        gen.base = VSH_HIGH_BASE;
        gen.addr16 = false;
        printf("vs-host: vm.mmap_min_addr is %lu: the data window moves up and 16-bit address "
               "forms are left out\n", min_addr);
    }

    unsigned c7a, c7b = 0, c7c, c7d;
    if (__get_cpuid_count(7, 0, &c7a, &c7b, &c7c, &c7d)) {
        x87_host_fdp_excptn_only = c7b & (1u << 6);
    }
    unsigned v0, vb, vc, vd;
    if (__get_cpuid(0, &v0, &vb, &vc, &vd)) {
        x87_host_amd = vb == 0x68747541u && vd == 0x69746e65u && vc == 0x444d4163u;
    }
    build_templates();
    if (nb_tmpls == 0) {
        fprintf(stderr, "vs-host: no instruction templates\n");
        return 2;
    }

    Host host = {0};
    host.child_path = child_path(argv[0], mode);
    host.memfd = memfd_create("vs-host", 0);
    if (host.memfd < 0 || ftruncate(host.memfd, VSH_END - VSH_BASE) < 0) {
        perror("vs-host: memfd");
        return 2;
    }
    host.shm = mmap(NULL, VSH_END - VSH_BASE, PROT_READ | PROT_WRITE, MAP_SHARED, host.memfd, 0);
    if (host.shm == MAP_FAILED) {
        perror("vs-host: mmap");
        return 2;
    }
    host.ctrl = (VshCtrl *)(host.shm + (VSH_CTRL - VSH_BASE));
    if (!host_start(&host)) {
        fprintf(stderr, "vs-host: the host child (%s) did not start\n", host.child_path);
        printf("0 passed, 1 failed\n");
        return 1;
    }

    const char *accels[2] = {"jit", "interp"};
    Machine *mach[2] = {NULL, NULL};
    bool use[2] = {strcmp(backend, "interp") != 0, strcmp(backend, "jit") != 0};
    for (int b = 0; b < 2; b++) {
        if (use[b]) {
            /* (64-bit mode: the page tables sit at VSH_END) */
            mach[b] = harness_create(accels[b], gen.base + VSH_END + 0x10000);
            if (!mach[b]) {
                fprintf(stderr, "vs-host: cannot create the %s machine\n", accels[b]);
                return 2;
            }
        }
    }

    static Seq seq;
    static uint8_t img[IMG_SIZE];
    static State hs, xs;
    long passed = 0, failed = 0, shown = 0, host_reruns = 0;
    uint64_t insns = 0;
    for (long i = 0; i < count; i++) {
        if (x87_mode) {
            gen_sequence_x87(&seq, (int)max_units);
            fill_memory(img);
            x87_fill(img);
        } else {
            gen_sequence(&seq, (int)max_units);
            fill_memory(img);
        }
        insns += (uint64_t)seq.insns;
        if (getenv("VS_HOST_TRACE")) {
            printf("sequence %ld:\n", i);
            disassemble(&seq, stdout);
            fflush(stdout);
        }
        host_run(&host, &seq, img, &hs);
        bool ok = hs.ok;
        char why[2048] = "";
        if (!hs.ok) {
            snprintf(why, sizeof(why), "%s", hs.why);
        }
        for (int b = 0; b < 2 && ok; b++) {
            if (!mach[b]) {
                continue;
            }
            xlat_run(mach[b], &seq, img, &xs);
            if (!xs.ok) {
                snprintf(why, sizeof(why), "[%s] %s", accels[b], xs.why);
                ok = false;
                break;
            }
            char d[1800];
            bool differ = diff_states(&seq, &hs, &xs, d, sizeof(d));
            /* The host's x87 pointers (FIP, FDP, FOP) do not survive a context switch between
               the sequence's last x87 instruction and its FNSAVE on every host: Linux's AMD
               FXRSTOR work-around leaves other values there. xlat is deterministic, so a
               difference that goes away when the host runs the sequence again was the host's
               (it happened in 1 of ~8,000 sequences on a loaded machine). */
            for (int again = 0; differ && x87_mode && again < 2; again++) {
                State hs2;
                host_run(&host, &seq, img, &hs2);
                if (hs2.ok && !diff_states(&seq, &hs2, &xs, d, sizeof(d))) {
                    differ = false;
                    host_reruns++;
                    hs = hs2; /* the other backend is compared with this run too */
                }
            }
            if (differ) {
                snprintf(why, sizeof(why), "[%s]%s", accels[b], d);
                ok = false;
            }
        }
        if (ok) {
            passed++;
        } else {
            failed++;
            if (shown++ < show) {
                printf("FAIL sequence %ld (seed %" PRIu64 "): %s\n", i, seed, why);
                printf("  initial:");
                for (int r = 0; r < (gen.mode64 ? 16 : 8); r++) {
                    printf(" %s=%08" PRIx64, reg_names[r], seq.regs[r]);
                }
                printf(" eflags=%08x\n", seq.eflags);
                disassemble(&seq, stdout);
            }
        }
        if (verbose && (i + 1) % 1000 == 0) {
            printf("  %ld sequences, %" PRIu64 " instructions\n", i + 1, insns);
        }
    }
    host_stop(&host);
    if (host_reruns) {
        printf("vs-host: %ld sequences matched only when the host ran them again (x87 pointers "
               "lost in a host context switch)\n", host_reruns);
    }
    for (int b = 0; b < 2; b++) {
        if (mach[b]) {
            /* REP MOVS/STOS runs moved in bulk (cpu/string-bulk.c): the long cases reach it */
            printf("vs-host: %s: %" PRIu64 " REP runs in bulk (%" PRIu64 " elements)\n",
                   accels[b], mach[b]->rep_bulk_runs, mach[b]->rep_bulk_elems);
            machine_destroy(mach[b]);
        }
    }
    if (verbose) {
        printf("vs-host: instructions under test, by mnemonic:");
        for (int mn = 0; mn < MN_NB; mn++) {
            if (coverage[mn]) {
                printf(" %s %" PRIu64, x86_mnemonic_info[mn].name, coverage[mn]);
            }
        }
        printf("\n");
    }
    uint64_t under_test = 0;
    for (int mn = 0; mn < MN_NB; mn++) {
        under_test += coverage[mn];
    }
    printf("vs-host: %" PRIu64 " instructions generated: %" PRIu64 " under test, %" PRIu64
           " set-ups; seed %" PRIu64 "\n",
           insns, under_test, insns - under_test, seed);
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
