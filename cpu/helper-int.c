/*
 * cpu/helper-int.c — C helpers of the general-purpose instruction set: division with #DE, the
 * rotates through carry, bit scans and counts, the decimal adjustments, CPUID (xlat's CPU
 * model), RDTSC (the virtual clock), EFLAGS writes by POPF, exceptions and traps raised by
 * instructions, and the real-mode far CALL, RET and IRET.
 *
 * Each has its IRHelper descriptor next to it: PURE helpers (the bit and rotate ones) touch no
 * guest state; helpers that may raise a guest exception say IR_CALL_MAY_RAISE and do not claim
 * IR_CALL_NO_READ_GLOBALS, so the backends make the guest state precise before the call.
 * Semantics: Intel SDM Vol. 2, each instruction's "Operation" section.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu-models.h"
#include "cpu/translate.h"
#include "softmmu/machine.h"

static Machine *machine_of(CPUX86State *env)
{
    return env->common.machine;
}

static uint32_t size_mask(int size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* PF ZF SF of the low `size` bytes of v (SDM Vol. 1 3.4.3.1) */
static uint32_t szp_flags(uint32_t v, int size)
{
    v &= size_mask(size);
    uint32_t f = __builtin_parity(v & 0xff) ? 0 : IR_EFL_PF;
    f |= v == 0 ? IR_EFL_ZF : 0;
    f |= (v >> (size * 8 - 1)) & 1 ? IR_EFL_SF : 0;
    return f;
}

/* ---- DIV, IDIV ---- */

/*
 * kind = operand size (1, 2, 4) | DIV_SIGNED. The dividend is AX (size 1: lo), DX:AX or
 * EDX:EAX (hi:lo). Returns quotient | remainder << 32. #DE when the divisor is 0 or the
 * quotient does not fit the operand size (SDM DIV, IDIV: "If the quotient is too large ...").
 */
static uint64_t helper_div(CPUX86State *env, uint32_t kind, uint32_t lo, uint32_t hi,
                           uint32_t divisor)
{
    int size = (int)(kind & 7);
    unsigned bits = (unsigned)size * 8;
    uint64_t mask = size_mask(size);
    uint64_t dividend = size == 1 ? (lo & 0xffff)
                      : size == 2 ? ((hi & 0xffffu) << 16 | (lo & 0xffff))
                                  : ((uint64_t)hi << 32 | lo);
    divisor &= (uint32_t)mask;
    if (divisor == 0) {
        x86_raise_exception(env, EXCP_DE, 0);
    }
    uint64_t q, r;
    if (!(kind & DIV_SIGNED)) {
        q = dividend / divisor;
        r = dividend % divisor;
        if (q > mask) {
            x86_raise_exception(env, EXCP_DE, 0);
        }
    } else {
        unsigned dbits = 2 * bits;
        int64_t sd = dbits == 64 ? (int64_t)dividend
                                 : (int64_t)(dividend << (64 - dbits)) >> (64 - dbits);
        int64_t sv = (int64_t)((uint64_t)divisor << (64 - bits)) >> (64 - bits);
        if (sd == INT64_MIN && sv == -1) {
            x86_raise_exception(env, EXCP_DE, 0); /* the quotient 2^63 fits nowhere */
        }
        int64_t sq = sd / sv, sr = sd % sv;
        int64_t lim = (int64_t)1 << (bits - 1);
        if (sq < -lim || sq >= lim) {
            x86_raise_exception(env, EXCP_DE, 0);
        }
        q = (uint64_t)sq;
        r = (uint64_t)sr;
    }
    return (q & mask) | (r & mask) << 32;
}
IRHelper helper_div_desc = {"div", (void *)helper_div,
                            IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_I64, 5,
                            {IR_PTR, IR_I32, IR_I32, IR_I32, IR_I32}, NULL};

/* DIV/IDIV r/m64: RDX:RAX / divisor -> RAX quotient, RDX remainder, written here (two 64-bit
   results); #DE as for the narrower sizes. */
static void helper_div64(CPUX86State *env, uint32_t sign, uint64_t divisor)
{
    unsigned __int128 dividend = (unsigned __int128)env->regs[R_EDX] << 64 | env->regs[R_EAX];
    if (divisor == 0) {
        x86_raise_exception(env, EXCP_DE, 0);
    }
    uint64_t q, r;
    if (!sign) {
        unsigned __int128 q128 = dividend / divisor;
        if (q128 >> 64) {
            x86_raise_exception(env, EXCP_DE, 0);
        }
        q = (uint64_t)q128;
        r = (uint64_t)(dividend % divisor);
    } else {
        __int128 sd = (__int128)dividend, sv = (int64_t)divisor, sq, sr;
        if (sv == -1) {
            /* the quotient -dividend must fit 64 bits; computed without the 128-bit overflow
               of negating the most negative dividend */
            if (sd < -(__int128)INT64_MAX || sd > -(__int128)INT64_MIN) {
                x86_raise_exception(env, EXCP_DE, 0);
            }
            sq = -sd;
            sr = 0;
        } else {
            sq = sd / sv;
            sr = sd % sv;
        }
        if (sq < INT64_MIN || sq > INT64_MAX) {
            x86_raise_exception(env, EXCP_DE, 0);
        }
        q = (uint64_t)(int64_t)sq;
        r = (uint64_t)(int64_t)sr;
    }
    env->regs[R_EAX] = q;
    env->regs[R_EDX] = r;
}
IRHelper helper_div64_desc = {"div64", (void *)helper_div64, IR_CALL_MAY_RAISE, IR_RET_VOID, 3,
                              {IR_PTR, IR_I32, IR_I64}, NULL};

/* ---- RCL, RCR ---- */

/*
 * kind = ROT_RCL/ROT_RCR << 4 | size. Rotates the size*8+1 bits CF:a by the count masked to 5
 * bits, taken modulo 9 or 17 for bytes and words (SDM RCL/RCR "tempCOUNT"). CF is the bit
 * rotated into it; OF (defined for a count of 1, computed the same way otherwise) is
 * MSB(result) ^ CF for RCL and MSB(a) ^ old CF for RCR. A masked count of 0 changes nothing.
 * Returns result | EFLAGS image << 32.
 */
static uint64_t helper_rotate_carry(uint32_t kind, uint32_t a, uint32_t count, uint32_t eflags)
{
    int size = (int)(kind & 7);
    unsigned bits = (unsigned)size * 8;
    uint32_t mask = size_mask(size);
    count &= 31;
    a &= mask;
    if (count == 0) {
        return a | (uint64_t)eflags << 32;
    }
    unsigned n = bits == 32 ? count : count % (bits + 1);
    uint64_t cf = eflags & IR_EFL_CF;
    uint64_t wide_mask = ((uint64_t)1 << (bits + 1)) - 1;
    uint64_t v = cf << bits | a;
    bool left = (kind >> 4) == ROT_RCL;
    if (n) {
        v = left ? (v << n | v >> (bits + 1 - n)) : (v >> n | v << (bits + 1 - n));
        v &= wide_mask;
    }
    uint32_t res = (uint32_t)(v & mask);
    uint32_t ncf = (uint32_t)(v >> bits) & 1;
    uint32_t of = left ? ((res >> (bits - 1)) & 1) ^ ncf : ((a >> (bits - 1)) & 1) ^ (uint32_t)cf;
    uint32_t fl = (eflags & ~(uint32_t)(IR_EFL_CF | IR_EFL_OF)) | ncf | (of ? IR_EFL_OF : 0);
    return res | (uint64_t)fl << 32;
}
IRHelper helper_rotate_carry_desc = {"rotate_carry", (void *)helper_rotate_carry, IR_CALL_PURE,
                                     IR_I64, 4, {IR_I32, IR_I32, IR_I32, IR_I32}, NULL};

/* The same for 64-bit operands (the count masked to 6 bits, less than 65: no modulo). Two
   results do not fit one i64: kind ROT_FLAGS returns the EFLAGS image, else the value. */
static uint64_t helper_rotate_carry64(uint32_t kind, uint64_t a, uint64_t count, uint32_t eflags)
{
    unsigned n = (unsigned)(count & 63);
    bool left = ((kind >> 4) & 0xf) == ROT_RCL;
    if (n == 0) {
        return (kind & ROT_FLAGS) ? eflags : a;
    }
    uint64_t cf = eflags & IR_EFL_CF, v = a;
    for (unsigned i = 0; i < n; i++) {
        uint64_t out = left ? v >> 63 : v & 1;
        v = left ? (v << 1 | cf) : (v >> 1 | cf << 63);
        cf = out;
    }
    if (!(kind & ROT_FLAGS)) {
        return v;
    }
    uint32_t of = left ? (uint32_t)((v >> 63) ^ cf) : (uint32_t)((a >> 63) ^ (eflags & 1));
    return (eflags & ~(uint32_t)(IR_EFL_CF | IR_EFL_OF)) | (uint32_t)cf | (of ? IR_EFL_OF : 0);
}
IRHelper helper_rotate_carry64_desc = {"rotate_carry64", (void *)helper_rotate_carry64,
                                       IR_CALL_PURE, IR_I64, 4,
                                       {IR_I32, IR_I64, IR_I64, IR_I32}, NULL};

/* ---- BSF BSR TZCNT LZCNT POPCNT ---- */

/* kind = BS_* << 4 | size; old is the destination, kept by BSF/BSR for a zero source */
static uint32_t helper_bitscan(uint32_t kind, uint32_t src, uint32_t old)
{
    int size = (int)(kind & 7);
    int bits = size * 8;
    src &= size_mask(size);
    switch (kind >> 4) {
    case BS_BSF:
        return src ? (uint32_t)__builtin_ctz(src) : old;
    case BS_BSR:
        return src ? (uint32_t)(31 - __builtin_clz(src)) : old;
    case BS_TZCNT:
        return src ? (uint32_t)__builtin_ctz(src) : (uint32_t)bits;
    case BS_LZCNT:
        return src ? (uint32_t)(__builtin_clz(src) - (32 - bits)) : (uint32_t)bits;
    default:
        return (uint32_t)__builtin_popcount(src);
    }
}
IRHelper helper_bitscan_desc = {"bitscan", (void *)helper_bitscan, IR_CALL_PURE, IR_I32, 3,
                                {IR_I32, IR_I32, IR_I32}, NULL};

/* the same for 64-bit operands (kind's size is 8) */
static uint64_t helper_bitscan64(uint32_t kind, uint64_t src, uint64_t old)
{
    switch (kind >> 4) {
    case BS_BSF:
        return src ? (uint64_t)__builtin_ctzll(src) : old;
    case BS_BSR:
        return src ? (uint64_t)(63 - __builtin_clzll(src)) : old;
    case BS_TZCNT:
        return src ? (uint64_t)__builtin_ctzll(src) : 64;
    case BS_LZCNT:
        return src ? (uint64_t)__builtin_clzll(src) : 64;
    default:
        return (uint64_t)__builtin_popcountll(src);
    }
}
IRHelper helper_bitscan64_desc = {"bitscan64", (void *)helper_bitscan64, IR_CALL_PURE, IR_I64, 3,
                                  {IR_I32, IR_I64, IR_I64}, NULL};

/* ---- DAA DAS AAA AAS AAM AAD ---- */

/*
 * The decimal adjustments of SDM Vol. 2 ("Operation" of each), on AX and the flags image e.
 * Returns the new AX | the new flags image << 32. Flags the SDM leaves undefined are computed
 * deterministically: SF ZF PF from AL, OF 0 (DAA DAS AAA AAS), AF CF OF 0 (AAM AAD).
 */
static uint64_t helper_bcd(CPUX86State *env, uint32_t op, uint32_t ax, uint32_t e, uint32_t imm)
{
    uint32_t al = ax & 0xff, ah = (ax >> 8) & 0xff;
    bool cf = e & IR_EFL_CF, af = e & IR_EFL_AF;
    switch (op) {
    case BCD_DAA: {
        uint32_t old_al = al;
        bool old_cf = cf;
        cf = false;
        if ((al & 0xf) > 9 || af) {
            cf = old_cf || al > 0xf9; /* the carry out of AL + 6 */
            al = (al + 6) & 0xff;
            af = true;
        } else {
            af = false;
        }
        if (old_al > 0x99 || old_cf) {
            al = (al + 0x60) & 0xff;
            cf = true;
        } else {
            cf = false;
        }
        break;
    }
    case BCD_DAS: {
        uint32_t old_al = al;
        bool old_cf = cf;
        cf = false;
        if ((al & 0xf) > 9 || af) {
            cf = old_cf || al < 6; /* the borrow of AL - 6 */
            al = (al - 6) & 0xff;
            af = true;
        } else {
            af = false;
        }
        if (old_al > 0x99 || old_cf) {
            al = (al - 0x60) & 0xff;
            cf = true;
        }
        break;
    }
    case BCD_AAA:
    case BCD_AAS:
        if ((al & 0xf) > 9 || af) {
            if (op == BCD_AAA) {
                ax = (ax + 0x106) & 0xffff; /* "AX <- AX + 106H": AL's carry reaches AH */
            } else {
                ax = (ax - 6) & 0xffff;
                ax = (ax - 0x100) & 0xffff; /* "AX <- AX - 6; AH <- AH - 1" */
            }
            af = cf = true;
        } else {
            af = cf = false;
        }
        al = ax & 0x0f;
        ah = (ax >> 8) & 0xff;
        break;
    case BCD_AAM:
        if (imm == 0) {
            x86_raise_exception(env, EXCP_DE, 0);
        }
        ah = al / imm;
        al = al % imm;
        af = cf = false;
        break;
    default: /* AAD */
        al = (al + ah * imm) & 0xff;
        ah = 0;
        af = cf = false;
        break;
    }
    uint32_t fl = szp_flags(al, 1) | (cf ? IR_EFL_CF : 0) | (af ? IR_EFL_AF : 0);
    return (ah << 8 | al) | (uint64_t)fl << 32;
}
IRHelper helper_bcd_desc = {"bcd", (void *)helper_bcd, IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS,
                            IR_I64, 5, {IR_PTR, IR_I32, IR_I32, IR_I32, IR_I32}, NULL};

/* ---- CPUID: the CPU model ---- */

/*
 * CPUID reports the CPU chosen with -cpu (cpu/cpu-models.c), which never lists a feature xlat
 * does not implement; without -cpu, everything xlat implements, with the signature the CPU
 * leaves in EDX at reset (family 6, model 0, stepping 0: cpu/cpu.c). SDM Vol. 2A CPUID: leaf 0
 * (maximum leaf, vendor), leaf 1 (signature, features: Tables 3-10, 3-11), 80000000H-80000004H
 * (maximum extended leaf, extended features, brand string). A leaf above the maximum returns
 * "the data for the highest basic information leaf".
 */
#define VENDOR(a, b, c, d)                                                                   \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

enum { CPUID_MAX_BASIC = 1, CPUID_MAX_EXT = 0x80000004 };
static const char cpuid_brand[48] = "xlat x86 CPU";

/* leaf 1 EAX: stepping, model, family, extended model and family (SDM Figure 3-6) */
static uint32_t cpuid_signature(uint32_t family, uint32_t model, uint32_t stepping)
{
    uint32_t fam = family > 15 ? 15 : family, ext_fam = family > 15 ? family - 15 : 0;
    return (stepping & 0xf) | (model & 0xf) << 4 | fam << 8 | (model >> 4 & 0xf) << 16 |
           (ext_fam & 0xff) << 20;
}

static void cpuid_leaf(CPUX86State *env, uint32_t leaf, uint32_t r[4])
{
    const X86CPUChoice *c = &machine_of(env)->opt.cpu_model;
    uint32_t feat[FEAT_WORDS];
    for (int w = 0; w < FEAT_WORDS; w++) {
        feat[w] = c->model ? c->features[w] : x86_cpu_implemented(w);
    }
    memset(r, 0, 4 * sizeof(uint32_t));
    if (leaf > CPUID_MAX_EXT || (leaf > CPUID_MAX_BASIC && leaf < 0x80000000)) {
        leaf = CPUID_MAX_BASIC;
    }
    switch (leaf) {
    case 0: /* EAX = max basic leaf; "GenuineIntel" in EBX, EDX, ECX */
        r[0] = CPUID_MAX_BASIC;
        r[1] = VENDOR('G', 'e', 'n', 'u');
        r[3] = VENDOR('i', 'n', 'e', 'I');
        r[2] = VENDOR('n', 't', 'e', 'l');
        break;
    case 1:
        r[0] = c->model ? cpuid_signature(c->family, c->model_id, c->stepping)
                        : cpuid_signature(6, 0, 0);
        r[1] = 0; /* brand index 0, no CLFLUSH line size, one logical processor, APIC ID 0 */
        r[2] = feat[FEAT_1_ECX];
        r[3] = feat[FEAT_1_EDX];
        break;
    case 0x80000000:
        r[0] = CPUID_MAX_EXT;
        break;
    case 0x80000001:
        r[2] = feat[FEAT_8001_ECX];
        r[3] = feat[FEAT_8001_EDX];
        break;
    default: /* 80000002H-80000004H: the brand string, 16 bytes per leaf in EAX EBX ECX EDX */
        for (int i = 0; i < 16; i++) {
            r[i / 4] |= (uint32_t)(uint8_t)cpuid_brand[16 * (leaf - 0x80000002) + (uint32_t)i]
                        << (8 * (i % 4));
        }
        break;
    }
}

static void helper_cpuid(CPUX86State *env)
{
    uint32_t r[4];
    cpuid_leaf(env, (uint32_t)env->regs[R_EAX], r);
    static const int reg[4] = {R_EAX, R_EBX, R_ECX, R_EDX};
    for (int i = 0; i < 4; i++) {
        env->regs[reg[i]] = r[i]; /* a 32-bit write zero-extends */
    }
}
IRHelper helper_cpuid_desc = {"cpuid", (void *)helper_cpuid, 0, IR_RET_VOID, 1, {IR_PTR}, NULL};

/* ---- RDTSC ---- */

uint64_t x86_icount_now(CPUX86State *env)
{
    Machine *m = machine_of(env);
    const CPUCommon *c = &env->common;
    uint64_t n = m->icount;
    if (m->clock.slice) {
        /* every block charged its whole instruction count at entry: what the running slice has
           consumed, less the instructions of the current block from this one on */
        int64_t left = c->exit_request ? c->budget_saved : c->budget;
        n += (uint64_t)(m->clock.slice - left);
        if (c->cur_tb) {
            n -= c->cur_tb->icount - c->insn_index;
        }
    }
    return n;
}

/* RDTSC: the TSC of x86_read_tsc (cpu/helper-prot.c): virtual nanoseconds at this
   instruction, a constant-rate 1 GHz counter, plus what WRMSR wrote. CR4.TSD makes it
   privileged (SDM RDTSC). MAY_RAISE also makes the backends record which instruction this is,
   which x86_icount_now reads. */
static uint64_t helper_rdtsc(CPUX86State *env)
{
    unsigned cpl = (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT;
    if ((env->cr[4] & (1u << 2)) && cpl != 0 && (env->cr[0] & CR0_PE)) {
        x86_raise_exception(env, EXCP_GP, 0);
    }
    return x86_read_tsc(env);
}
IRHelper helper_rdtsc_desc = {"rdtsc", (void *)helper_rdtsc,
                              IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_I64, 1, {IR_PTR},
                              NULL};

/* ---- EFLAGS writes (POPF) ---- */

/*
 * The non-arithmetic part of an EFLAGS write by POPF (the arithmetic flags are a flags value in
 * the IR, set next to the call). SDM POPF: at CPL 0 (and in real mode) everything but VM, VIP,
 * VIF and RF may change, IF only when CPL <= IOPL, IOPL only at CPL 0; RF is cleared; a 16-bit
 * POPF changes only the low word; AC and ID exist from the 486 and Pentium on (the CPUID flag).
 * Virtual-8086 mode is the system issue's.
 */
static void helper_write_eflags(CPUX86State *env, uint32_t val, uint32_t opsize)
{
    bool pe = env->cr[0] & CR0_PE;
    unsigned cpl = pe ? (env->hflags & HF_CPL_MASK) >> HF_CPL_SHIFT : 0;
    unsigned iopl = (env->eflags & EFL_IOPL) >> 12;
    uint32_t mask = EFL_TF | EFL_DF | EFL_NT | EFL_AC | EFL_ID;
    if (cpl == 0) {
        mask |= EFL_IOPL;
    }
    if (cpl <= iopl) {
        mask |= EFL_IF;
    }
    if (opsize == 2) {
        mask &= 0xffff;
    }
    uint32_t old = env->eflags;
    env->eflags = ((env->eflags & ~mask) | (val & mask) | EFL_FIXED1) & ~(uint32_t)EFL_RF;
    if ((old ^ env->eflags) & EFL_TF) {
        x86_update_hflags(env); /* single-stepping starts or stops (cpu/debug.c) */
    }
}
IRHelper helper_write_eflags_desc = {"write_eflags", (void *)helper_write_eflags,
                                     IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
                                     IR_RET_VOID, 3, {IR_PTR, IR_I32, IR_I32}, NULL};

/* ---- exceptions and traps raised by instructions ---- */

/* a fault at the current instruction (#UD, #BR, #GP(0)): precise, EIP at the instruction */
static void helper_raise(CPUX86State *env, uint32_t vector)
{
    x86_raise_exception(env, (int)vector, 0);
}
IRHelper helper_raise_desc = {"raise", (void *)helper_raise,
                              IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 2,
                              {IR_PTR, IR_I32}, NULL};

/* A trap (INT n, INT3, INT1, INTO), delivered at once, inside the instruction: the translated
   code has set EIP to the next instruction, which is the return address pushed. arg = vector |
   TRAP_SOFT for the software interrupts INT n, INT3 and INTO, whose gate DPL is checked (SDM
   Vol. 3A 6.12.1.1); INT1 is delivered as a debug exception. A fault while delivering (a
   not-present gate, a vector past the IDT limit, ...) is then precise: the INT did not
   complete, and the fault is reported with EIP at it. */
static void helper_trap(CPUX86State *env, uint32_t arg)
{
    env->error_code = 0;
    x86_deliver_event(env, (int)(arg & 0xff), (arg & TRAP_SOFT) != 0, false);
}
IRHelper helper_trap_desc = {"trap", (void *)helper_trap, IR_CALL_MAY_RAISE, IR_RET_VOID, 2,
                             {IR_PTR, IR_I32}, NULL};

/* ---- far CALL, RET, IRET ---- */

/* Real mode here; protected-mode transfers (privilege checks, call gates, stack switches) are
   in cpu/seg.c. */

static bool stack32(CPUX86State *env)
{
    return env->hflags & HF_SS32;
}

/* SS:sp for a size-byte access, checked against SS's cached limit: in real mode too, an
   access that would wrap past FFFFh is #SS (SDM Vol. 3A 20.1.3) */
static uint32_t stack_addr(CPUX86State *env, uint32_t sp, int size)
{
    sp = stack32(env) ? sp : (sp & 0xffff);
    x86_seg_limit_check(env, R_SS, sp, size);
    return env->seg[R_SS].base + sp;
}

static void set_sp(CPUX86State *env, uint32_t sp)
{
    if (stack32(env)) {
        env->regs[R_ESP] = sp;
    } else {
        env->regs[R_ESP] = (env->regs[R_ESP] & ~0xffffull) | (sp & 0xffff);
    }
}

/* CALL ptr16:16/32 and CALL m16:16/32 in real mode: push CS, push the return offset, jump
   (SDM CALL "Far call in real-address mode"). The stores come before any register change. */
static void helper_far_call(CPUX86State *env, uint32_t sel, uint64_t off64, uint32_t opsize,
                            uint64_t next_rip)
{
    if (env->hflags & HF_CS64) {
        x86_far_call_long(env, sel, off64, (int)opsize, next_rip); /* cpu/long-mode.c */
        return;
    }
    uint32_t off = (uint32_t)off64, next_eip = (uint32_t)next_rip;
    if ((env->cr[0] & CR0_PE) && !(env->eflags & EFL_VM)) {
        x86_far_call_pm(env, sel, off, (int)opsize, next_eip); /* cpu/seg.c */
        return;
    }
    uint32_t sp = (uint32_t)env->regs[R_ESP];
    cpu_st_data(env, stack_addr(env, sp - opsize, (int)opsize), (int)opsize,
                env->seg[R_CS].selector);
    cpu_st_data(env, stack_addr(env, sp - 2 * opsize, (int)opsize), (int)opsize, next_eip);
    set_sp(env, sp - 2 * opsize);
    x86_load_seg_real(env, R_CS, (uint16_t)sel);
    env->eip = opsize == 2 ? (off & 0xffff) : off;
}
IRHelper helper_far_call_desc = {"far_call", (void *)helper_far_call, IR_CALL_MAY_RAISE,
                                 IR_RET_VOID, 5, {IR_PTR, IR_I32, IR_I64, IR_I32, IR_I64}, NULL};

/* RET far [imm16] in real mode: pop the offset and CS, then release imm16 bytes */
static void helper_far_ret(CPUX86State *env, uint32_t opsize, uint32_t imm)
{
    if (env->hflags & HF_CS64) {
        x86_far_ret_long(env, (int)opsize, imm); /* cpu/long-mode.c */
        return;
    }
    if ((env->cr[0] & CR0_PE) && !(env->eflags & EFL_VM)) {
        x86_far_ret_pm(env, (int)opsize, imm); /* cpu/seg.c */
        return;
    }
    uint32_t sp = (uint32_t)env->regs[R_ESP];
    uint32_t ip = cpu_ld_data(env, stack_addr(env, sp, (int)opsize), (int)opsize);
    uint32_t cs = cpu_ld_data(env, stack_addr(env, sp + opsize, 2), 2);
    set_sp(env, sp + 2 * opsize + imm);
    x86_load_seg_real(env, R_CS, (uint16_t)cs);
    env->eip = opsize == 2 ? (ip & 0xffff) : ip;
}
IRHelper helper_far_ret_desc = {"far_ret", (void *)helper_far_ret, IR_CALL_MAY_RAISE,
                                IR_RET_VOID, 3, {IR_PTR, IR_I32, IR_I32}, NULL};

/* IRET in real mode: pop the offset, CS and FLAGS; a 16-bit IRET writes FLAGS[15:0], a 32-bit
   one everything but VM, VIP and VIF (SDM IRET "REAL-ADDRESS-MODE", mask 257FD5H), the
   reserved bits excepted */
static void helper_iret(CPUX86State *env, uint32_t opsize, uint32_t unused)
{
    (void)unused;
    /* the end of an NMI handler: NMIs are taken again (SDM Vol. 3A 6.7.1); a pending one
       comes at the next instruction boundary */
    if (env->nmi_blocked) {
        env->nmi_blocked = 0;
        if (env->nmi_pending) {
            cpu_exit(&env->common);
        }
    }
    if (env->hflags & HF_CS64) {
        x86_iret_long(env, (int)opsize); /* cpu/long-mode.c */
        return;
    }
    if (env->cr[0] & CR0_PE) {
        x86_iret_pm(env, (int)opsize); /* cpu/seg.c */
        return;
    }
    uint32_t sp = (uint32_t)env->regs[R_ESP];
    uint32_t ip = cpu_ld_data(env, stack_addr(env, sp, (int)opsize), (int)opsize);
    uint32_t cs = cpu_ld_data(env, stack_addr(env, sp + opsize, 2), 2);
    uint32_t fl = cpu_ld_data(env, stack_addr(env, sp + 2 * opsize, (int)opsize), (int)opsize);
    set_sp(env, sp + 3 * opsize);
    x86_load_seg_real(env, R_CS, (uint16_t)cs);
    env->eip = opsize == 2 ? (ip & 0xffff) : ip;
    /* (the reserved bits 1, 3, 5 and 15 are not written: they read as 1, 0, 0, 0) */
    x86_set_eflags(env, fl, opsize == 2 ? 0x7fd5u : 0x257fd5u);
}
IRHelper helper_iret_desc = {"iret", (void *)helper_iret, IR_CALL_MAY_RAISE, IR_RET_VOID, 3,
                             {IR_PTR, IR_I32, IR_I32}, NULL};
