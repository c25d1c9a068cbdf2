/*
 * cpu/x87.c — the x87 FPU: the register stack with its tags, the status and control words,
 * the last-instruction pointers, exceptions (#NM, #MF, the FERR# line), and the C helper that
 * translated code calls for every x87 instruction and for FXSAVE/FXRSTOR.
 *
 * Values are computed by cpu/float80.c (software 80-bit arithmetic, the same bits on every
 * host); this file is the x87's machine around it. Sources: Intel SDM Vol. 1 chapter 8 (8.1
 * state, 8.1.10 the environment and state images, 8.5 exceptions and masked responses, 8.6 and
 * 8.7 #MF and FERR#), Vol. 2 (each instruction's "Operation" and "FPU Flags Affected"), Vol. 3A
 * 2.5 (CR0.MP/EM/TS/NE), Table 9-1 (reset state), FXSAVE/FXRSTOR (the 512-byte area).
 *
 * One helper, helper_x87(env, ctl, arg, eip) (helper_x87_64 in 64-bit code, where the address
 * and the instruction pointer are 64 bits): ctl (built by cpu/translate-x87.c) names the
 * operation, the ST(i) operand, the memory format and segment, the pop count, the operand size
 * and the 11-bit opcode; arg is the linear address of the memory operand, or a value (the
 * condition of FCMOVcc, the EFLAGS image FCOMI keeps when it does not write it); eip is the
 * instruction's offset (the last-instruction pointer). It returns the FSTSW AX value or the
 * FCOMI flags. Guest memory goes through cpu_ld_operand/cpu_st_operand (at the CPL) in pieces
 * of at most 4 bytes, every load before any state change and, for stores, a write probe of every
 * page first, so a #PF leaves the FPU and memory as they were.
 */
#include <inttypes.h>
#include <string.h>

#include "cpu/cpu-models.h"
#include "cpu/translate.h"
#include "softmmu/machine.h"
#include "softmmu/snapshot.h"

/* status word bits (SDM Vol. 1 Figure 8-4) */
enum {
    FSW_IE = 1 << 0, FSW_DE = 1 << 1, FSW_ZE = 1 << 2, FSW_OE = 1 << 3, FSW_UE = 1 << 4,
    FSW_PE = 1 << 5, FSW_SF = 1 << 6, FSW_ES = 1 << 7, FSW_C0 = 1 << 8, FSW_C1 = 1 << 9,
    FSW_C2 = 1 << 10, FSW_TOP_SHIFT = 11, FSW_TOP = 7 << 11, FSW_C3 = 1 << 14, FSW_B = 1 << 15,
    FSW_CC = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3,
    FSW_EXC = 0x3f,
};
enum { TAG_VALID, TAG_ZERO, TAG_SPECIAL, TAG_EMPTY };

static const Float80 f80_zero = {0, 0};
static const Float80 f80_one = {0x8000000000000000ull, 0x3fff};

/* ---- the register stack ---- */

static int x87_top(const X87State *f)
{
    return (f->fsw >> FSW_TOP_SHIFT) & 7;
}

static void set_top(X87State *f, int top)
{
    f->fsw = (uint16_t)((f->fsw & ~FSW_TOP) | (top & 7) << FSW_TOP_SHIFT);
}

static int phys_reg(const X87State *f, int i)
{
    return (x87_top(f) + i) & 7;
}

static unsigned tag_get(const X87State *f, int p)
{
    return (f->ftw >> (2 * p)) & 3;
}

static void tag_set(X87State *f, int p, unsigned tag)
{
    f->ftw = (uint16_t)((f->ftw & ~(3u << (2 * p))) | tag << (2 * p));
}

/* the tag a value gets (SDM Vol. 1 8.1.7) */
static unsigned tag_of(Float80 v)
{
    switch (f80_classify(v)) {
    case F80_CLASS_NORMAL:
        return TAG_VALID;
    case F80_CLASS_ZERO:
        return TAG_ZERO;
    default:
        return TAG_SPECIAL;
    }
}

static bool st_empty(const X87State *f, int i)
{
    return tag_get(f, phys_reg(f, i)) == TAG_EMPTY;
}

static Float80 st_get(const X87State *f, int i)
{
    return f->st[phys_reg(f, i)];
}

static void st_set(X87State *f, int i, Float80 v)
{
    int p = phys_reg(f, i);
    f->st[p] = v;
    tag_set(f, p, tag_of(v));
}

static void x87_pop(X87State *f)
{
    tag_set(f, x87_top(f), TAG_EMPTY);
    set_top(f, x87_top(f) + 1);
}

/* ---- exceptions ---- */

static void set_cc(X87State *f, unsigned cc)
{
    f->fsw = (uint16_t)((f->fsw & ~FSW_CC) | cc);
}

/* An unmasked exception is pending: ES and B, and with CR0.NE = 0 the FERR# output (the PC
   turns it into IRQ 13; SDM Vol. 1 8.7). xlat does not freeze the next waiting instruction
   as a CPU without IGNNE# would: the interrupt is taken at the next block boundary. */
static void x87_set_es(CPUX86State *env)
{
    X87State *f = &env->fpu;
    f->fsw |= FSW_ES | FSW_B;
    if (!(env->cr[0] & CR0_NE) && !f->ferr) {
        f->ferr = 1;
        irq_set(&env->ferr_line, 1);
    }
}

void x87_clear_ferr(CPUX86State *env)
{
    if (env->fpu.ferr) {
        env->fpu.ferr = 0;
        irq_set(&env->ferr_line, 0);
    }
}

void x86_cpu_set_ferr(CPUX86State *env, IRQLine line)
{
    env->ferr_line = line;
}

/* ES and B follow the flags and masks (after FLDCW, FLDENV, FRSTOR, FXRSTOR) */
static void x87_update_es(CPUX86State *env)
{
    X87State *f = &env->fpu;
    if (f->fsw & ~f->fcw & FSW_EXC) {
        x87_set_es(env);
    } else {
        f->fsw &= (uint16_t)~(FSW_ES | FSW_B);
    }
}

/* Merge the exceptions of one operation. Returns false when an unmasked IE, DE or ZE means
   the result must not be written (SDM Vol. 1 8.5: the operands stay as they were). C1 is the
   round-up indicator. */
static bool x87_exceptions(CPUX86State *env, const F80Env *e)
{
    X87State *f = &env->fpu;
    f->fsw = (uint16_t)((f->fsw & ~FSW_C1) | (e->c1 ? FSW_C1 : 0) | e->flags);
    unsigned unmasked = e->flags & ~f->fcw & FSW_EXC;
    if (unmasked) {
        x87_set_es(env);
    }
    return !(unmasked & (FSW_IE | FSW_DE | FSW_ZE));
}

/* SDM Vol. 1 4.9.2, exception priority: an SNaN's or another invalid operation, a QNaN operand
   and a zero divide all take precedence over the denormal-operand exception (which the
   conversion of an m32fp/m64fp source may have raised before the operation saw the other
   operand) */
static void denormal_priority(F80Env *e, Float80 a, Float80 b)
{
    if ((e->flags & (F80_IE | F80_ZE)) || f80_classify(a) == F80_CLASS_NAN ||
        f80_classify(b) == F80_CLASS_NAN) {
        e->flags &= (uint8_t)~F80_DE;
    }
}

/* Stack underflow or overflow (SDM Vol. 1 8.5.1.1): IE with SF, C1 = 0 for underflow and 1
   for overflow. Returns true if IE is masked (the instruction goes on with QNaN indefinite). */
static bool stack_fault(CPUX86State *env, bool overflow)
{
    X87State *f = &env->fpu;
    f->fsw = (uint16_t)((f->fsw & ~FSW_C1) | FSW_IE | FSW_SF | (overflow ? FSW_C1 : 0));
    if (!(f->fcw & FSW_IE)) {
        x87_set_es(env);
        return false;
    }
    return true;
}

/* A control word as loaded (FLDCW, FLDENV, FRSTOR, FXRSTOR): the reserved bits 13-15 read as
   0 and bit 6 as 1 (SDM Vol. 1 Figure 8-6; the RESET value 0x0040 shows bit 6; the host x87
   of tests/cpu/vs-host does the same) */
static uint16_t fcw_value(uint32_t v)
{
    return (uint16_t)((v & 0x1f3f) | 0x0040);
}

static F80Env env_of(const X87State *f)
{
    F80Env e = {.rc = (f->fcw >> 10) & 3, .pc = (f->fcw >> 8) & 3, .masks = f->fcw & FSW_EXC};
    return e;
}

/* Push v (SDM Vol. 1 8.1.2): a full stack is an overflow. Returns false if nothing was
   pushed (unmasked overflow). */
static bool x87_push(CPUX86State *env, Float80 v)
{
    X87State *f = &env->fpu;
    if (tag_get(f, (x87_top(f) - 1) & 7) != TAG_EMPTY) {
        if (!stack_fault(env, true)) {
            return false;
        }
        v = F80_INDEFINITE;
    }
    set_top(f, x87_top(f) - 1);
    st_set(f, 0, v);
    return true;
}

/* ---- the helper's control word ---- */


static int mf_size(unsigned mf)
{
    static const int size[8] = {0, 4, 8, 10, 2, 4, 8, 10};
    return size[mf];
}

/* ---- guest memory ---- */

static bool paging_on(const CPUX86State *env)
{
    return env->cr[0] & CR0_PG;
}

/* Linear addresses are 64 bits in 64-bit mode; elsewhere they wrap at 4 GiB (SDM Vol. 3A 3.3.6,
   3.3.7.1): addr + i in the helpers below is taken in the mode's width. */
static bool code64(const CPUX86State *env)
{
    return env->hflags & HF_CS64;
}

/* operands at the CPL: a ring-3 FST to a supervisor page is #PF (SDM Vol. 3A 4.6) */
static uint32_t x87_ld(CPUX86State *env, uint64_t addr, int size)
{
    return (uint32_t)cpu_ld_operand(env, addr, size);
}

static void x87_st(CPUX86State *env, uint64_t addr, int size, uint32_t v)
{
    cpu_st_operand(env, addr, size, v);
}

/* Fault now if any page of [addr, addr + len) cannot be written, before anything is. */
static void probe_write(CPUX86State *env, uint64_t addr, uint32_t len)
{
    if (!paging_on(env) || ((addr & 0xfff) + len <= 0x1000)) {
        return; /* one page: the first store faults before anything changes */
    }
    int mmu = ((env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT) == 3 ? 1 : 0;
    uint64_t mask = code64(env) ? ~0ull : 0xffffffffull;
    for (uint64_t k = 0; k < (addr & 0xfff) + len; k += 0x1000) {
        uint64_t phys, a = k ? ((addr & ~0xfffull) + k) & mask : addr;
        if (!x86_tlb_translate(env, a, 1, mmu, &phys)) {
            tcg_raise(&env->common);
        }
    }
}

static void ld_bytes(CPUX86State *env, uint64_t addr, uint8_t *buf, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = x87_ld(env, addr + (uint64_t)i, 4);
        memcpy(buf + i, &v, 4); /* a little-endian host (tcg/x86_64, the interp on x86) */
    }
    for (; i < n; i++) {
        buf[i] = (uint8_t)x87_ld(env, addr + (uint64_t)i, 1);
    }
}

static void st_bytes(CPUX86State *env, uint64_t addr, const uint8_t *buf, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v;
        memcpy(&v, buf + i, 4);
        x87_st(env, addr + (uint64_t)i, 4, v);
    }
    for (; i < n; i++) {
        x87_st(env, addr + (uint64_t)i, 1, buf[i]);
    }
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void put_f80(uint8_t *p, Float80 v)
{
    put_le(p, v.mant, 8);
    put_le(p + 8, v.se, 2);
}

static Float80 get_f80(const uint8_t *p)
{
    Float80 v = {get_le(p, 8), (uint16_t)get_le(p + 8, 2)};
    return v;
}

/* A memory operand of format mf, as a Float80 (FLD, FILD, FBLD and the arithmetic forms). */
static Float80 load_operand(CPUX86State *env, unsigned mf, uint64_t addr, F80Env *e)
{
    uint8_t b[10];
    ld_bytes(env, addr, b, mf_size(mf));
    switch (mf) {
    case X87_MF_F32:
        return f80_from_f32(e, (uint32_t)get_le(b, 4));
    case X87_MF_F64:
        return f80_from_f64(e, get_le(b, 8));
    case X87_MF_F80:
        return get_f80(b);
    case X87_MF_I16:
        return f80_from_int((int16_t)get_le(b, 2));
    case X87_MF_I32:
        return f80_from_int((int32_t)get_le(b, 4));
    case X87_MF_I64:
        return f80_from_int((int64_t)get_le(b, 8));
    default:
        return f80_from_bcd(b);
    }
}

/* ---- instruction groups ---- */

/* FADD FMUL FSUB FSUBR FDIV FDIVR (and the P and I forms): dst = dst op src */
static void x87_arith(CPUX86State *env, unsigned op, int dst, Float80 src, bool src_empty,
                      int pops, uint8_t src_flags)
{
    X87State *f = &env->fpu;
    F80Env e = env_of(f);
    e.flags = src_flags;
    Float80 r;
    if (src_empty || st_empty(f, dst)) {
        if (!stack_fault(env, false)) {
            return;
        }
        r = F80_INDEFINITE;
    } else {
        Float80 a = st_get(f, dst);
        switch (op) {
        case X87_ADD:
            r = f80_add(&e, a, src);
            break;
        case X87_MUL:
            r = f80_mul(&e, a, src);
            break;
        case X87_SUB:
            r = f80_sub(&e, a, src);
            break;
        case X87_SUBR:
            r = f80_sub(&e, src, a);
            break;
        case X87_DIV:
            r = f80_div(&e, a, src);
            break;
        default:
            r = f80_div(&e, src, a);
            break;
        }
        denormal_priority(&e, a, src);
        if (!x87_exceptions(env, &e)) {
            return;
        }
    }
    st_set(f, dst, r);
    while (pops--) {
        x87_pop(f);
    }
}

/* condition codes of a comparison (SDM FCOM: C3 C2 C0) */
static unsigned relation_cc(F80Relation r)
{
    switch (r) {
    case F80_GT:
        return 0;
    case F80_LT:
        return FSW_C0;
    case F80_EQ:
        return FSW_C3;
    default:
        return FSW_C3 | FSW_C2 | FSW_C0;
    }
}

/* the EFLAGS of FCOMI (SDM FCOMI: ZF PF CF; OF SF AF cleared) */
static uint32_t relation_eflags(F80Relation r)
{
    switch (r) {
    case F80_GT:
        return 0;
    case F80_LT:
        return IR_EFL_CF;
    case F80_EQ:
        return IR_EFL_ZF;
    default:
        return IR_EFL_ZF | IR_EFL_PF | IR_EFL_CF;
    }
}

/* FCOM FCOMP FCOMPP FUCOM* FICOM* FTST, and with eflags FCOMI FCOMIP FUCOMI FUCOMIP. Returns
   the new EFLAGS image for the I forms (old when an unmasked IE leaves them alone). */
static uint32_t x87_compare(CPUX86State *env, F80Env e, Float80 b, bool b_empty, bool quiet,
                            int pops, bool to_eflags, uint32_t old_eflags)
{
    X87State *f = &env->fpu;
    F80Relation r = F80_UNORDERED;
    if (b_empty || st_empty(f, 0)) {
        if (!stack_fault(env, false)) {
            return old_eflags;
        }
    } else {
        r = f80_compare(&e, st_get(f, 0), b, quiet);
        denormal_priority(&e, st_get(f, 0), b);
        /* FCOM clears C1; FCOMI leaves it (as the vs-host reference does) */
        e.c1 = to_eflags && (f->fsw & FSW_C1);
        if (!x87_exceptions(env, &e)) {
            return old_eflags;
        }
    }
    uint32_t fl = old_eflags;
    if (to_eflags) {
        fl = relation_eflags(r); /* C1 as it was (as the vs-host reference leaves it) */
    } else {
        set_cc(f, relation_cc(r));
    }
    while (pops--) {
        x87_pop(f);
    }
    return fl;
}

/* FST FSTP FIST FISTP FISTTP FBSTP to memory */
static void x87_store(CPUX86State *env, unsigned mf, uint64_t addr, bool truncate, int pops)
{
    X87State *f = &env->fpu;
    F80Env e = env_of(f);
    uint8_t b[10] = {0};
    int n = mf_size(mf);
    bool empty = st_empty(f, 0);
    Float80 v = st_get(f, 0);
    if (empty) {
        if (!stack_fault(env, false)) {
            return;
        }
        e.flags = 0;
    }
    switch (mf) {
    case X87_MF_F32:
        put_le(b, empty ? 0xffc00000u : f80_to_f32(&e, v), 4);
        break;
    case X87_MF_F64:
        put_le(b, empty ? 0xfff8000000000000ull : f80_to_f64(&e, v), 8);
        break;
    case X87_MF_F80:
        put_f80(b, empty ? F80_INDEFINITE : v);
        break;
    case X87_MF_I16:
    case X87_MF_I32:
    case X87_MF_I64: {
        int bits = n * 8;
        int64_t i = empty ? F80_INT_INDEFINITE(bits) : f80_to_int(&e, v, bits, truncate);
        put_le(b, (uint64_t)i, n);
        break;
    }
    default:
        if (empty) {
            b[9] = b[8] = 0xff;
            b[7] = 0xc0; /* the packed BCD indefinite (SDM Vol. 1 Table 4-3) */
        } else {
            f80_to_bcd(&e, v, b);
        }
        break;
    }
    /* stores do not report denormal operands (SDM FST, FIST, FISTTP, FBSTP list no #D) */
    e.flags &= (uint8_t)~F80_DE;
    /* an unmasked exception other than PE stores nothing (SDM Vol. 1 8.5.4, 8.5.5) */
    unsigned unmasked = e.flags & ~f->fcw & FSW_EXC;
    if (unmasked & ~FSW_PE) {
        x87_exceptions(env, &e);
        return;
    }
    probe_write(env, addr, (uint32_t)n);
    st_bytes(env, addr, b, n);
    if (!empty) {
        x87_exceptions(env, &e);
    }
    while (pops--) {
        x87_pop(f);
    }
}

/* the FXAM classes (C3 C2 C0; SDM FXAM) */
static unsigned fxam_cc(const X87State *f)
{
    if (st_empty(f, 0)) {
        return FSW_C3 | FSW_C0;
    }
    switch (f80_classify(st_get(f, 0))) {
    case F80_CLASS_NAN:
        return FSW_C0;
    case F80_CLASS_NORMAL:
        return FSW_C2;
    case F80_CLASS_INF:
        return FSW_C2 | FSW_C0;
    case F80_CLASS_ZERO:
        return FSW_C3;
    case F80_CLASS_DENORMAL:
        return FSW_C3 | FSW_C2;
    default:
        return 0;
    }
}

/* one-operand operations on ST(0) that replace it */
static void x87_unary(CPUX86State *env, unsigned op)
{
    X87State *f = &env->fpu;
    F80Env e = env_of(f);
    if (st_empty(f, 0)) {
        if (stack_fault(env, false)) {
            st_set(f, 0, F80_INDEFINITE);
        }
        return;
    }
    Float80 a = st_get(f, 0), r;
    bool c2 = false;
    switch (op) {
    case X87_SQRT:
        r = f80_sqrt(&e, a);
        break;
    case X87_RNDINT:
        r = f80_round_to_int(&e, a);
        break;
    case X87_2XM1:
        r = f80_2xm1(&e, a);
        break;
    case X87_SIN:
        r = f80_sin(&e, a, &c2);
        break;
    default:
        r = f80_cos(&e, a, &c2);
        break;
    }
    if (op == X87_SIN || op == X87_COS) {
        f->fsw = (uint16_t)((f->fsw & ~FSW_C2) | (c2 ? FSW_C2 : 0));
        if (c2) {
            return; /* out of range: ST(0) unchanged */
        }
    }
    if (x87_exceptions(env, &e)) {
        st_set(f, 0, r);
    }
}

/* two-operand operations on ST(0) and ST(1) */
static void x87_binary(CPUX86State *env, unsigned op)
{
    X87State *f = &env->fpu;
    F80Env e = env_of(f);
    bool pop = op == X87_PATAN || op == X87_YL2X || op == X87_YL2XP1;
    if (st_empty(f, 0) || st_empty(f, 1)) {
        if (op == X87_PREM || op == X87_PREM1) {
            f->fsw &= (uint16_t)~FSW_C2; /* no partial remainder (as the reference does) */
        }
        if (!stack_fault(env, false)) {
            return;
        }
        st_set(f, pop ? 1 : 0, F80_INDEFINITE);
        if (pop) {
            x87_pop(f);
        }
        return;
    }
    Float80 a = st_get(f, 0), b = st_get(f, 1), r;
    switch (op) {
    case X87_SCALE:
        r = f80_scale(&e, a, b);
        break;
    case X87_PREM:
    case X87_PREM1: {
        bool partial = false;
        unsigned q = 0;
        r = f80_rem(&e, a, b, op == X87_PREM1, &partial, &q);
        if (!x87_exceptions(env, &e)) {
            return;
        }
        if (f80_classify(r) == F80_CLASS_NAN) {
            /* no quotient: C2 and C1 cleared, C0 and C3 kept (as the vs-host reference does) */
            f->fsw &= (uint16_t)~(FSW_C2 | FSW_C1);
        } else {
            unsigned cc = partial ? FSW_C2
                                  : ((q & 4) ? FSW_C0 : 0) | ((q & 2) ? FSW_C3 : 0) |
                                        ((q & 1) ? FSW_C1 : 0);
            set_cc(f, cc);
        }
        st_set(f, 0, r);
        return;
    }
    case X87_PATAN:
        r = f80_atan2(&e, b, a);
        break;
    case X87_YL2X:
        r = f80_yl2x(&e, b, a);
        break;
    default:
        r = f80_yl2xp1(&e, b, a);
        break;
    }
    if (x87_exceptions(env, &e)) {
        st_set(f, pop ? 1 : 0, r);
        if (pop) {
            x87_pop(f);
        }
    }
}

/* FXTRACT, FPTAN, FSINCOS: replace ST(0), then push a second result */
static void x87_replace_push(CPUX86State *env, unsigned op)
{
    X87State *f = &env->fpu;
    F80Env e = env_of(f);
    if (st_empty(f, 0)) {
        /* underflow wins over a full stack (C1 = 0): both results are the indefinite */
        if (stack_fault(env, false)) {
            st_set(f, 0, F80_INDEFINITE);
            set_top(f, x87_top(f) - 1);
            st_set(f, 0, F80_INDEFINITE);
        }
        return;
    }
    if (!st_empty(f, 7)) {
        if (stack_fault(env, true)) {
            st_set(f, 0, F80_INDEFINITE);
            x87_push(env, F80_INDEFINITE);
        }
        return;
    }
    Float80 a = st_get(f, 0), r0, r1;
    bool c2 = false;
    switch (op) {
    case X87_XTRACT: {
        Float80 ex;
        r1 = f80_xtract(&e, a, &ex); /* the significand is pushed over the exponent */
        r0 = ex;
        break;
    }
    case X87_PTAN:
        r0 = f80_tan(&e, a, &c2);
        r1 = f80_one;
        break;
    default: {
        bool c2b = false;
        r0 = f80_sin(&e, a, &c2);
        r1 = f80_cos(&e, a, &c2b);
        break;
    }
    }
    if (op != X87_XTRACT) {
        f->fsw = (uint16_t)((f->fsw & ~FSW_C2) | (c2 ? FSW_C2 : 0));
        if (c2) {
            return;
        }
    }
    if (x87_exceptions(env, &e)) {
        st_set(f, 0, r0);
        x87_push(env, r1);
    }
}

/* ---- environment and state images (SDM Vol. 1 8.1.10, Figures 8-9 to 8-12) ---- */

/* the tag word as FNSTENV/FNSAVE store it: recomputed from the contents of each non-empty
   register */
static uint16_t full_tags(const X87State *f)
{
    uint16_t t = 0;
    for (int p = 0; p < 8; p++) {
        unsigned tag = tag_get(f, p) == TAG_EMPTY ? TAG_EMPTY : tag_of(f->st[p]);
        t |= (uint16_t)(tag << (2 * p));
    }
    return t;
}

static bool real_format(const CPUX86State *env)
{
    return !(env->cr[0] & CR0_PE) || (env->eflags & EFL_VM);
}

static int env_size(bool o32)
{
    return o32 ? 28 : 14;
}

static void env_image(const CPUX86State *env, bool o32, uint8_t *b)
{
    const X87State *f = &env->fpu;
    uint16_t tw = full_tags(f);
    if (real_format(env)) {
        uint32_t ip = ((uint32_t)f->fcs << 4) + (uint32_t)f->fip;
        uint32_t dp = ((uint32_t)f->fds << 4) + (uint32_t)f->fdp;
        if (o32) {
            put_le(b, 0xffff0000u | f->fcw, 4);
            put_le(b + 4, 0xffff0000u | f->fsw, 4);
            put_le(b + 8, 0xffff0000u | tw, 4);
            put_le(b + 12, 0xffff0000u | (ip & 0xffff), 4);
            put_le(b + 16, (ip >> 16) << 12 | (f->fop & 0x7ff), 4);
            put_le(b + 20, 0xffff0000u | (dp & 0xffff), 4);
            put_le(b + 24, (dp >> 16) << 12, 4);
        } else {
            put_le(b, f->fcw, 2);
            put_le(b + 2, f->fsw, 2);
            put_le(b + 4, tw, 2);
            put_le(b + 6, ip & 0xffff, 2);
            put_le(b + 8, ((ip >> 16) & 0xf) << 12 | (f->fop & 0x7ff), 2);
            put_le(b + 10, dp & 0xffff, 2);
            put_le(b + 12, ((dp >> 16) & 0xf) << 12, 2);
        }
    } else if (o32) {
        put_le(b, 0xffff0000u | f->fcw, 4);
        put_le(b + 4, 0xffff0000u | f->fsw, 4);
        put_le(b + 8, 0xffff0000u | tw, 4);
        put_le(b + 12, f->fip, 4);
        put_le(b + 16, f->fcs | (uint32_t)(f->fop & 0x7ff) << 16, 4);
        put_le(b + 20, f->fdp, 4);
        put_le(b + 24, 0xffff0000u | f->fds, 4);
    } else {
        put_le(b, f->fcw, 2);
        put_le(b + 2, f->fsw, 2);
        put_le(b + 4, tw, 2);
        put_le(b + 6, f->fip & 0xffff, 2);
        put_le(b + 8, f->fcs, 2);
        put_le(b + 10, f->fdp & 0xffff, 2);
        put_le(b + 12, f->fds, 2);
    }
}

/* FLDENV/FRSTOR: the tag word only says empty or not; the others are recomputed */
static void load_tags(X87State *f, uint16_t tw)
{
    for (int p = 0; p < 8; p++) {
        tag_set(f, p, ((tw >> (2 * p)) & 3) == TAG_EMPTY ? TAG_EMPTY : tag_of(f->st[p]));
    }
}

static void env_load(CPUX86State *env, bool o32, const uint8_t *b, uint16_t *tw)
{
    X87State *f = &env->fpu;
    f->fcw = fcw_value((uint32_t)get_le(b, 2));
    if (o32) {
        f->fsw = (uint16_t)get_le(b + 4, 2);
        *tw = (uint16_t)get_le(b + 8, 2);
        if (real_format(env)) {
            uint32_t ip = (uint32_t)get_le(b + 12, 2) | (uint32_t)(get_le(b + 16, 4) >> 12) << 16;
            uint32_t dp = (uint32_t)get_le(b + 20, 2) | (uint32_t)(get_le(b + 24, 4) >> 12) << 16;
            f->fop = (uint16_t)(get_le(b + 16, 2) & 0x7ff);
            f->fip = ip;
            f->fdp = dp;
            f->fcs = f->fds = 0;
        } else {
            f->fip = (uint32_t)get_le(b + 12, 4);
            f->fcs = (uint16_t)get_le(b + 16, 2);
            f->fop = (uint16_t)(get_le(b + 18, 2) & 0x7ff);
            f->fdp = (uint32_t)get_le(b + 20, 4);
            f->fds = (uint16_t)get_le(b + 24, 2);
        }
    } else {
        f->fsw = (uint16_t)get_le(b + 2, 2);
        *tw = (uint16_t)get_le(b + 4, 2);
        if (real_format(env)) {
            f->fip = (uint32_t)get_le(b + 6, 2) | (uint32_t)(get_le(b + 8, 2) >> 12) << 16;
            f->fop = (uint16_t)(get_le(b + 8, 2) & 0x7ff);
            f->fdp = (uint32_t)get_le(b + 10, 2) | (uint32_t)(get_le(b + 12, 2) >> 12) << 16;
            f->fcs = f->fds = 0;
        } else {
            f->fip = (uint32_t)get_le(b + 6, 2);
            f->fcs = (uint16_t)get_le(b + 8, 2);
            f->fdp = (uint32_t)get_le(b + 10, 2);
            f->fds = (uint16_t)get_le(b + 12, 2);
        }
    }
}

static void x87_init(CPUX86State *env)
{
    X87State *f = &env->fpu;
    f->fcw = 0x037f;
    f->fsw = 0;
    f->ftw = 0xffff;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = f->fop = 0;
    x87_clear_ferr(env);
}

/* RESET (SDM Vol. 3A Table 9-1; INIT would leave the x87 alone, but xlat's INIT is a reset) */
void x87_reset(CPUX86State *env)
{
    X87State *f = &env->fpu;
    memset(f, 0, sizeof(*f));
    f->fcw = 0x0040;      /* SDM Vol. 3A Table 9-1 */
    f->ftw = 0x5555;      /* every register +0.0 */
    f->mxcsr = 0x1f80;
}

/* ---- FXSAVE / FXRSTOR (SDM Vol. 2A FXSAVE, Table 3-43 legacy layout) ---- */

enum { MXCSR_MASK = 0xffff };

static bool has_fxsr(CPUX86State *env)
{
    const X86CPUChoice *c = &env->common.machine->opt.cpu_model;
    uint32_t edx = c->model ? c->features[FEAT_1_EDX] : x86_cpu_implemented(FEAT_1_EDX);
    return edx & (1u << 24);
}

/* FXSAVE64 (REX.W, `w64`) stores FIP and FDP as 64-bit offsets at 8 and 16 in place of
   FIP[31:0], FCS, FDP[31:0] and FDS (SDM Vol. 2A FXSAVE, Tables 3-53 and 3-56) */
static void x87_fxsave(CPUX86State *env, uint64_t addr, bool w64)
{
    X87State *f = &env->fpu;
    uint8_t b[160];
    memset(b, 0, sizeof(b));
    put_le(b, f->fcw, 2);
    put_le(b + 2, f->fsw, 2);
    uint8_t abridged = 0;
    for (int p = 0; p < 8; p++) {
        abridged |= (uint8_t)(tag_get(f, p) != TAG_EMPTY) << p;
    }
    b[4] = abridged;
    put_le(b + 6, f->fop, 2);
    if (w64) {
        put_le(b + 8, f->fip, 8);
        put_le(b + 16, f->fdp, 8);
    } else {
        put_le(b + 8, f->fip, 4);
        put_le(b + 12, f->fcs, 2);
        put_le(b + 16, f->fdp, 4);
        put_le(b + 20, f->fds, 2);
    }
    put_le(b + 24, f->mxcsr, 4);
    put_le(b + 28, MXCSR_MASK, 4);
    for (int i = 0; i < 8; i++) {
        put_f80(b + 32 + 16 * i, st_get(f, i));
    }
    probe_write(env, addr, sizeof(b));
    st_bytes(env, addr, b, sizeof(b));
}

static void x87_fxrstor(CPUX86State *env, uint64_t addr, bool w64)
{
    X87State *f = &env->fpu;
    uint8_t b[160];
    ld_bytes(env, addr, b, sizeof(b));
    uint32_t mxcsr = (uint32_t)get_le(b + 24, 4);
    if (mxcsr & ~(uint32_t)MXCSR_MASK) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    f->fcw = fcw_value((uint32_t)get_le(b, 2));
    f->fsw = (uint16_t)get_le(b + 2, 2);
    f->fop = (uint16_t)(get_le(b + 6, 2) & 0x7ff);
    if (w64) {
        f->fip = get_le(b + 8, 8);
        f->fdp = get_le(b + 16, 8);
    } else {
        f->fip = get_le(b + 8, 4);
        f->fcs = (uint16_t)get_le(b + 12, 2);
        f->fdp = get_le(b + 16, 4);
        f->fds = (uint16_t)get_le(b + 20, 2);
    }
    f->mxcsr = mxcsr;
    int top = x87_top(f);
    for (int i = 0; i < 8; i++) {
        f->st[(top + i) & 7] = get_f80(b + 32 + 16 * i);
    }
    for (int p = 0; p < 8; p++) {
        tag_set(f, p, (b[4] >> p) & 1 ? tag_of(f->st[p]) : TAG_EMPTY);
    }
    x87_update_es(env);
}

/* ---- the helper ---- */

/* FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE do not wait for pending exceptions (SDM
   Vol. 1 8.3.11); FXSAVE and FXRSTOR do not either */
static bool waits(unsigned op)
{
    switch (op) {
    case X87_INIT: case X87_CLEX: case X87_STSW: case X87_STSW_AX: case X87_STCW:
    case X87_STENV: case X87_SAVE: case X87_FXSAVE: case X87_FXRSTOR:
        return false;
    default:
        return true;
    }
}

/* control instructions leave the last-instruction pointers alone (SDM Vol. 1 8.1.8, 8.1.9) */
static bool is_control(unsigned op)
{
    switch (op) {
    case X87_INIT: case X87_CLEX: case X87_STSW: case X87_STSW_AX: case X87_STCW:
    case X87_LDCW: case X87_LDENV: case X87_STENV: case X87_SAVE: case X87_RSTOR:
    case X87_WAIT: case X87_FXSAVE: case X87_FXRSTOR:
        return true;
    default:
        return false;
    }
}

static uint32_t x87_exec(CPUX86State *env, uint32_t ctl, uint64_t arg, uint64_t eip)
{
    X87State *f = &env->fpu;
    unsigned op = ctl & 0xff;
    int i = (int)X87_CTL_STI(ctl);
    unsigned mf = X87_CTL_MF(ctl);
    int pops = (int)X87_CTL_POPS(ctl);
    bool o32 = ctl & X87_CTL_O32;
    uint32_t cr0 = (uint32_t)env->cr[0];
    uint32_t ret = 0;

    /* #NM (SDM Vol. 3A Table 2-2): EM or TS for x87 instructions and FXSAVE/FXRSTOR; WAIT
       only with MP and TS */
    if (op == X87_WAIT ? (cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)
                       : (cr0 & (CR0_EM | CR0_TS)) != 0) {
        x86_raise_exception(env, EXCP_NM, 0);
    }
    if (op == X87_FXSAVE || op == X87_FXRSTOR) {
        if (!has_fxsr(env)) {
            x86_raise_exception(env, EXCP_UD, 0);
        }
        if (arg & 15) {
            x86_raise_exception(env, EXCP_GP, 0);
        }
    }
    /* a pending unmasked exception: #MF before a waiting instruction with CR0.NE = 1 */
    if (waits(op) && (f->fsw & FSW_ES) && (cr0 & CR0_NE)) {
        x86_raise_exception(env, EXCP_MF, 0);
    }

    F80Env e = env_of(f);
    switch (op) {
    case X87_ADD: case X87_MUL: case X87_SUB: case X87_SUBR: case X87_DIV: case X87_DIVR:
        if (mf != X87_MF_NONE) {
            /* a signaling NaN or denormal m32fp/m64fp source: IE or DE with the operation's */
            Float80 src = load_operand(env, mf, arg, &e);
            x87_arith(env, op, 0, src, false, 0, e.flags);
        } else if (ctl & X87_CTL_DST_STI) {
            x87_arith(env, op, i, st_get(f, 0), st_empty(f, 0), pops, 0);
        } else {
            x87_arith(env, op, 0, st_get(f, i), st_empty(f, i), pops, 0);
        }
        break;
    case X87_COM: case X87_UCOM: case X87_COMI: case X87_UCOMI: case X87_TST: {
        Float80 b;
        bool b_empty = false;
        if (op == X87_TST) {
            b = f80_zero;
        } else if (mf != X87_MF_NONE) {
            b = load_operand(env, mf, arg, &e); /* an SNaN or denormal m32fp/m64fp: IE, DE */
        } else {
            b = st_get(f, i);
            b_empty = st_empty(f, i);
        }
        bool comi = op == X87_COMI || op == X87_UCOMI;
        ret = x87_compare(env, e, b, b_empty, op == X87_UCOM || op == X87_UCOMI, pops, comi,
                          (uint32_t)arg);
        break;
    }
    case X87_LD:
        if (mf != X87_MF_NONE) {
            Float80 v = load_operand(env, mf, arg, &e);
            if (!st_empty(f, 7)) {
                x87_push(env, v); /* a stack overflow: the operand's exceptions do not count */
                break;
            }
            if (!x87_exceptions(env, &e)) {
                break;
            }
            x87_push(env, v);
        } else if (st_empty(f, i)) {
            /* underflow wins over a full stack: C1 = 0, the indefinite is pushed anyway */
            if (stack_fault(env, false)) {
                set_top(f, x87_top(f) - 1);
                st_set(f, 0, F80_INDEFINITE);
            }
        } else {
            f->fsw &= (uint16_t)~FSW_C1;
            x87_push(env, st_get(f, i));
        }
        break;
    case X87_ST:
    case X87_ISTT:
        if (mf != X87_MF_NONE) {
            x87_store(env, mf, arg, op == X87_ISTT, pops);
        } else {
            /* FST/FSTP ST(i) */
            if (st_empty(f, 0)) {
                if (!stack_fault(env, false)) {
                    break;
                }
                st_set(f, i, F80_INDEFINITE);
            } else {
                f->fsw &= (uint16_t)~FSW_C1;
                st_set(f, i, st_get(f, 0));
            }
            while (pops--) {
                x87_pop(f);
            }
        }
        break;
    case X87_XCH: {
        bool e0 = st_empty(f, 0), ei = st_empty(f, i);
        if (e0 || ei) {
            if (!stack_fault(env, false)) {
                break;
            }
        } else {
            f->fsw &= (uint16_t)~FSW_C1;
        }
        Float80 a = e0 ? F80_INDEFINITE : st_get(f, 0);
        Float80 b = ei ? F80_INDEFINITE : st_get(f, i);
        st_set(f, 0, b);
        st_set(f, i, a);
        break;
    }
    case X87_FREE:
        tag_set(f, phys_reg(f, i), TAG_EMPTY);
        f->fsw &= (uint16_t)~FSW_C1; /* (undefined in the SDM; cleared, as the reference does) */
        while (pops--) {
            x87_pop(f); /* FFREEP: a pop empties ST(0) too */
        }
        break;
    case X87_INCSTP:
        f->fsw &= (uint16_t)~FSW_C1;
        set_top(f, x87_top(f) + 1);
        break;
    case X87_DECSTP:
        f->fsw &= (uint16_t)~FSW_C1;
        set_top(f, x87_top(f) - 1);
        break;
    case X87_CHS:
    case X87_ABS:
        if (st_empty(f, 0)) {
            if (stack_fault(env, false)) {
                st_set(f, 0, F80_INDEFINITE);
            }
            break;
        }
        {
            Float80 v = st_get(f, 0);
            v.se = op == X87_CHS ? v.se ^ 0x8000 : v.se & 0x7fff;
            f->fsw &= (uint16_t)~FSW_C1;
            st_set(f, 0, v);
        }
        break;
    case X87_XAM: {
        unsigned cc = fxam_cc(f) | (f80_sign(st_get(f, 0)) ? FSW_C1 : 0);
        set_cc(f, cc);
        break;
    }
    case X87_CONST: {
        Float80 k = f80_const(&e, (F80Const)i);
        f->fsw &= (uint16_t)~FSW_C1;
        x87_push(env, k);
        break;
    }
    case X87_SQRT: case X87_RNDINT: case X87_2XM1: case X87_SIN: case X87_COS:
        x87_unary(env, op);
        break;
    case X87_SCALE: case X87_PREM: case X87_PREM1: case X87_PATAN: case X87_YL2X:
    case X87_YL2XP1:
        x87_binary(env, op);
        break;
    case X87_XTRACT: case X87_PTAN: case X87_SINCOS:
        x87_replace_push(env, op);
        break;
    case X87_CMOV:
        if (st_empty(f, 0) || st_empty(f, i)) {
            /* the masked response writes the indefinite whatever the condition (as the x87
               of the vs-host reference does) */
            if (stack_fault(env, false)) {
                st_set(f, 0, F80_INDEFINITE);
            }
        } else if (arg) {
            st_set(f, 0, st_get(f, i)); /* C1 is left as it was */
        }
        break;
    case X87_NOP:
    case X87_WAIT:
        break;
    case X87_INIT:
        x87_init(env);
        break;
    case X87_CLEX:
        f->fsw &= (uint16_t)~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
        x87_clear_ferr(env);
        break;
    case X87_LDCW:
        f->fcw = fcw_value(x87_ld(env, arg, 2));
        x87_update_es(env);
        break;
    case X87_STCW:
        x87_st(env, arg, 2, f->fcw);
        break;
    case X87_STSW:
        x87_st(env, arg, 2, f->fsw);
        break;
    case X87_STSW_AX:
        ret = f->fsw;
        break;
    case X87_STENV: {
        uint8_t b[28];
        env_image(env, o32, b);
        probe_write(env, arg, (uint32_t)env_size(o32));
        st_bytes(env, arg, b, env_size(o32));
        f->fcw |= FSW_EXC; /* FNSTENV masks every exception (SDM FSTENV) */
        break;
    }
    case X87_SAVE: {
        uint8_t b[108];
        int n = env_size(o32);
        env_image(env, o32, b);
        for (int k = 0; k < 8; k++) {
            put_f80(b + n + 10 * k, st_get(f, k));
        }
        probe_write(env, arg, (uint32_t)(n + 80));
        st_bytes(env, arg, b, n + 80);
        x87_init(env);
        break;
    }
    case X87_LDENV:
    case X87_RSTOR: {
        uint8_t b[108];
        int n = env_size(o32);
        ld_bytes(env, arg, b, op == X87_RSTOR ? n + 80 : n);
        uint16_t tw;
        env_load(env, o32, b, &tw);
        if (op == X87_RSTOR) {
            for (int k = 0; k < 8; k++) {
                f->st[phys_reg(f, k)] = get_f80(b + n + 10 * k);
            }
        }
        load_tags(f, tw);
        x87_update_es(env);
        break;
    }
    case X87_FXSAVE:
        x87_fxsave(env, arg, ctl & X87_CTL_REXW);
        break;
    case X87_FXRSTOR:
        x87_fxrstor(env, arg, ctl & X87_CTL_REXW);
        break;
    default:
        x86_raise_exception(env, EXCP_UD, 0);
    }

    if (!is_control(op)) {
        f->fop = (uint16_t)X87_CTL_FOP(ctl);
        f->fip = eip;
        f->fcs = (uint16_t)env->seg[R_CS].selector;
        if (mf != X87_MF_NONE) {
            unsigned seg = X87_CTL_SEG(ctl);
            f->fdp = arg - env->seg[seg].base;
            f->fds = (uint16_t)env->seg[seg].selector;
        }
    }
    return ret;
}

static uint32_t helper_x87(CPUX86State *env, uint32_t ctl, uint32_t arg, uint32_t eip)
{
    return x87_exec(env, ctl, arg, eip);
}
IRHelper helper_x87_desc = {"x87", (void *)helper_x87,
                            IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_I32, 4,
                            {IR_PTR, IR_I32, IR_I32, IR_I32}, NULL};

static uint32_t helper_x87_64(CPUX86State *env, uint32_t ctl, uint64_t arg, uint64_t rip)
{
    return x87_exec(env, ctl, arg, rip);
}
IRHelper helper_x87_64_desc = {"x87_64", (void *)helper_x87_64,
                               IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_I32, 4,
                               {IR_PTR, IR_I32, IR_I64, IR_I64}, NULL};

/* ---- snapshot fields, state hash and dump ---- */

/* every field of X87State (the registers field by field: a Float80's padding is not state) */
#define X87_REG_FIELDS(i) VMSTATE_FIELD(X87State, st[i].mant), VMSTATE_FIELD(X87State, st[i].se)
static const VMStateField x87_fields[] = {
    X87_REG_FIELDS(0), X87_REG_FIELDS(1), X87_REG_FIELDS(2), X87_REG_FIELDS(3),
    X87_REG_FIELDS(4), X87_REG_FIELDS(5), X87_REG_FIELDS(6), X87_REG_FIELDS(7),
    VMSTATE_FIELD(X87State, fcw), VMSTATE_FIELD(X87State, fsw), VMSTATE_FIELD(X87State, ftw),
    VMSTATE_FIELD(X87State, fop), VMSTATE_FIELD(X87State, fip), VMSTATE_FIELD(X87State, fdp),
    VMSTATE_FIELD(X87State, fcs), VMSTATE_FIELD(X87State, fds),
    VMSTATE_FIELD(X87State, mxcsr), VMSTATE_FIELD(X87State, ferr),
};
const VMStateDescription x87_vmstate = VMSTATE_DESC("x87", 2, X87State, x87_fields);

uint64_t x87_state_hash(const CPUX86State *env, uint64_t h)
{
    return vmstate_hash(&x87_vmstate, &env->fpu, h);
}

void x87_dump_state(const CPUX86State *env, FILE *out)
{
    const X87State *f = &env->fpu;
    fprintf(out, "FCW=%04x FSW=%04x FTW=%04x FOP=%03x FIP=%04x:%08" PRIx64 " FDP=%04x:%08" PRIx64
            " MXCSR=%08" PRIx32 "\n", f->fcw, f->fsw, f->ftw, f->fop, f->fcs, f->fip, f->fds,
            f->fdp, f->mxcsr);
    for (int i = 0; i < 8; i++) {
        int p = phys_reg(f, i);
        fprintf(out, "ST%d=%04x:%016" PRIx64 "%s", i, f->st[p].se, f->st[p].mant,
                tag_get(f, p) == TAG_EMPTY ? " (empty)" : "");
        fputs(i % 2 == 1 ? "\n" : " ", out);
    }
}
