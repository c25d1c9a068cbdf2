/*
 * cpu/float80.c — software x87 arithmetic on the 80-bit double-extended format (SDM Vol. 1 4.2.2,
 * 8.2), with the x87's rounding and precision control, exception flags and masked responses
 * (SDM Vol. 1 4.7, 4.9, 8.5). Pure integer code (unsigned __int128, no host floating point), so
 * the same bits come out on every host. tests/unit/test_float80.c checks it against the host x87.
 *
 * Internally a finite nonzero value is unpacked to sign, unbiased exponent and a normalized
 * significand; exact intermediate results are kept in 128 bits with a sticky bit, and one
 * rounding routine (round_core) applies RC, PC, overflow and underflow for every destination
 * format (80-bit, and the 32/64-bit stores).
 */
#include "cpu/float80.h"

typedef unsigned __int128 u128;

#define BIAS      16383
#define EXP_MAX   0x7fff
#define QUIET_BIT (1ull << 62)
#define INT_BIT   (1ull << 63)
/* SDM Vol. 1 8.5.4/8.5.5: unmasked overflow/underflow deliver the result with its exponent
   wrapped by 3/4 of the exponent range (24576 for double-extended) */
#define WRAP80 24576

static inline unsigned f80_exp(Float80 a)
{
    return a.se & EXP_MAX;
}
static inline uint16_t sign_bit(bool s)
{
    return s ? 0x8000 : 0;
}
static inline Float80 mk(bool s, unsigned e, uint64_t m)
{
    return (Float80){m, (uint16_t)(sign_bit(s) | e)};
}
static inline Float80 f80_zero(bool s)
{
    return mk(s, 0, 0);
}
static inline Float80 f80_inf(bool s)
{
    return mk(s, EXP_MAX, INT_BIT);
}

static inline bool is_nan(Float80 a)
{
    return f80_classify(a) == F80_CLASS_NAN;
}
static inline bool is_snan(Float80 a)
{
    return is_nan(a) && !(a.mant & QUIET_BIT);
}

static int clz128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    if (hi)
        return __builtin_clzll(hi);
    return 64 + __builtin_clzll((uint64_t)x);
}

/* shift right, ORing every bit shifted out into bit 0 (the sticky bit) */
static u128 shr_jam(u128 x, int32_t n)
{
    if (n <= 0)
        return x;
    if (n >= 128)
        return x != 0;
    return (x >> n) | ((x & (((u128)1 << n) - 1)) != 0);
}

/* precision control to significand bits (SDM Vol. 1 8.1.5.2; 01b is reserved) */
static int env_prec(const F80Env *env)
{
    return env->pc == F80_PC_24 ? 24 : env->pc == F80_PC_53 ? 53 : 64;
}

/* sig >> drop rounded by rc (1 <= drop <= 127); may carry into the next bit */
static u128 rnd(unsigned rc, bool sign, u128 sig, int drop, bool *inexact, bool *up)
{
    u128 q = sig >> drop;
    u128 rem = sig & (((u128)1 << drop) - 1);
    u128 half = (u128)1 << (drop - 1);
    bool inc = false;
    if (rem) {
        switch (rc) {
        case F80_RC_NEAREST:
            inc = rem > half || (rem == half && (q & 1));
            break;
        case F80_RC_DOWN:
            inc = sign;
            break;
        case F80_RC_UP:
            inc = !sign;
            break;
        default:
            break;
        }
    }
    *inexact = rem != 0;
    *up = inc;
    return q + inc;
}

/*
 * Round the exact value (-1)^sign * sig * 2^(E - bias - 127), sig normalized (bit 127 set, the
 * low bits holding guard and sticky), to prec significand bits in a format whose largest
 * finite biased exponent is emax. Returns the prec-bit significand (integer bit at prec - 1 for
 * normals) and the biased exponent in *eout (0: denormal or zero; emax + 1: infinity).
 * Masked underflow is signalled only when the tiny result is also inexact (SDM Vol. 1 8.5.5);
 * unmasked, tininess alone raises UE and the result is wrapped (SDM Vol. 1 4.9.1.5, 8.5.5).
 */
static uint64_t round_core(F80Env *env, bool sign, int32_t E, u128 sig, int prec, int32_t emax,
                           int32_t wrap, int32_t *eout)
{
    bool inexact, up;
    /* tininess: this x87 detects it after rounding (to prec bits, exponent unbounded), which
       the SDM leaves open (Vol. 1 4.9.1.5); e.g. (1 - 2^-63)(1 + 2^-63) * 2^-16382 rounds to
       2^-16382 with PE but no UE on the host */
    bool tiny = E < 1;
    if (E == 0 && (rnd(env->rc, sign, sig, 128 - prec, &inexact, &up) >> prec))
        tiny = false;
    if (tiny) {
        if (!(env->masks & F80_UE)) {
            env->flags |= F80_UE;
            if (E + wrap < 1) {
                /* out of range even wrapped (FSCALE): the host gives a signed zero */
                env->flags |= F80_PE;
                env->c1 = false;
                *eout = 0;
                return 0;
            }
            E += wrap;
        } else {
            u128 m = rnd(env->rc, sign, shr_jam(sig, 1 - E), 128 - prec, &inexact, &up);
            if (inexact)
                env->flags |= F80_UE | F80_PE;
            env->c1 = up;
            *eout = (m >> (prec - 1)) ? 1 : 0;
            return (uint64_t)m;
        }
    }
    u128 m = rnd(env->rc, sign, sig, 128 - prec, &inexact, &up);
    if (m >> prec) {
        m >>= 1;
        E++;
    }
    if (E > emax) {
        if ((env->masks & F80_OE) || E - wrap > emax) {
            /* SDM Vol. 1 Table 4-10: infinity or the largest finite value, by RC and sign;
               unmasked but out of range even wrapped (FSCALE): infinity, as on the host */
            bool to_inf = env->rc == F80_RC_NEAREST || (env->rc == F80_RC_UP && !sign) ||
                          (env->rc == F80_RC_DOWN && sign) || !(env->masks & F80_OE);
            env->flags |= F80_OE | F80_PE;
            env->c1 = to_inf;
            *eout = to_inf ? emax + 1 : emax;
            return to_inf ? 1ull << (prec - 1) : (uint64_t)(((u128)1 << prec) - 1);
        }
        env->flags |= F80_OE;
        E -= wrap;
    }
    if (inexact)
        env->flags |= F80_PE;
    env->c1 = up;
    *eout = E;
    return (uint64_t)m;
}

/* the exact value (-1)^sign * sig * 2^(exp - 127), sig != 0, rounded to prec bits */
static Float80 finish80(F80Env *env, bool sign, int32_t exp, u128 sig, int prec)
{
    int lz = clz128(sig);
    sig <<= lz;
    exp -= lz;
    int32_t e;
    uint64_t m = round_core(env, sign, exp + BIAS, sig, prec, EXP_MAX - 1, WRAP80, &e);
    return mk(sign, (unsigned)e & EXP_MAX, m << (64 - prec));
}

/* a finite nonzero operand: value = m * 2^(exp - 63), m normalized. Denormals and
   pseudo-denormals have the exponent of biased 1 (SDM Vol. 1 8.2.2). */
typedef struct Unp {
    bool sign;
    int32_t exp;
    uint64_t m;
} Unp;

static Unp unpack(Float80 a)
{
    int32_t e = f80_exp(a) ? (int32_t)f80_exp(a) : 1;
    int lz = __builtin_clzll(a.mant);
    return (Unp){f80_sign(a), e - BIAS - lz, a.mant << lz};
}

F80Class f80_classify(Float80 a)
{
    unsigned e = f80_exp(a);
    bool j = a.mant >> 63;
    if (e == 0)
        return a.mant == 0 ? F80_CLASS_ZERO : F80_CLASS_DENORMAL;
    if (!j)
        return F80_CLASS_UNSUPPORTED; /* unnormal, pseudo-infinity, pseudo-NaN (SDM 8.2.2) */
    if (e == EXP_MAX)
        return (a.mant << 1) ? F80_CLASS_NAN : F80_CLASS_INF;
    return F80_CLASS_NORMAL;
}

static Float80 invalid(F80Env *env)
{
    env->flags |= F80_IE;
    return F80_INDEFINITE;
}

static Float80 quiet(Float80 a)
{
    a.mant |= QUIET_BIT;
    return a;
}

/* one NaN operand: an SNaN signals IE; the result is the NaN made quiet (SDM Vol. 1 4.8.3.5) */
static Float80 nan1(F80Env *env, Float80 a)
{
    if (is_snan(a))
        env->flags |= F80_IE;
    return quiet(a);
}

/* at least one NaN of two: SDM Vol. 1 Table 4-7 */
static Float80 nan2(F80Env *env, Float80 a, Float80 b)
{
    bool an = is_nan(a), bn = is_nan(b);
    if (!an)
        return nan1(env, b);
    if (!bn)
        return nan1(env, a);
    bool as = is_snan(a), bs = is_snan(b);
    if (as || bs)
        env->flags |= F80_IE;
    if (as != bs)
        return quiet(as ? b : a);
    if (a.mant != b.mant)
        return quiet(a.mant > b.mant ? a : b);
    return quiet(f80_sign(a) ? b : a); /* equal significands: the host keeps the positive one */
}

/* DE for a denormal or pseudo-denormal operand (SDM Vol. 1 4.9.1.2). Returns true when DE is
   unmasked: the instruction then stops before computing anything (the host reports DE alone)
   and the caller discards whatever is returned. */
static bool denormal_stops(F80Env *env, Float80 a, Float80 b)
{
    if (f80_classify(a) == F80_CLASS_DENORMAL || f80_classify(b) == F80_CLASS_DENORMAL)
        env->flags |= F80_DE;
    return (env->flags & F80_DE) && !(env->masks & F80_DE);
}

/* --- add, sub, mul, div, sqrt --- */

static Float80 add_signed(F80Env *env, Float80 a, Float80 b, bool negate_b)
{
    F80Class ca = f80_classify(a), cb = f80_classify(b);
    if (ca == F80_CLASS_UNSUPPORTED || cb == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (ca == F80_CLASS_NAN || cb == F80_CLASS_NAN)
        return nan2(env, a, b);
    if (denormal_stops(env, a, b))
        return a;
    bool sa = f80_sign(a), sb = f80_sign(b) ^ negate_b;
    if (ca == F80_CLASS_INF || cb == F80_CLASS_INF) {
        if (ca == F80_CLASS_INF && cb == F80_CLASS_INF && sa != sb)
            return invalid(env);
        return f80_inf(ca == F80_CLASS_INF ? sa : sb);
    }
    /* IEEE 754 6.3: an exact zero sum is +0, or -0 when rounding down, unless both are -0 */
    bool zero_sign = env->rc == F80_RC_DOWN;
    if (ca == F80_CLASS_ZERO && cb == F80_CLASS_ZERO)
        return f80_zero(sa == sb ? sa : zero_sign);
    int prec = env_prec(env);
    if (ca == F80_CLASS_ZERO || cb == F80_CLASS_ZERO) {
        Unp u = unpack(ca == F80_CLASS_ZERO ? b : a);
        return finish80(env, ca == F80_CLASS_ZERO ? sb : sa, u.exp, (u128)u.m << 64, prec);
    }
    Unp ua = unpack(a), ub = unpack(b);
    ua.sign = sa;
    ub.sign = sb;
    if (ua.exp < ub.exp || (ua.exp == ub.exp && ua.m < ub.m)) {
        Unp t = ua;
        ua = ub;
        ub = t;
    }
    /* the larger at bits 126..63, leaving a carry bit; the smaller aligned below with sticky */
    u128 x = (u128)ua.m << 63;
    u128 y = shr_jam((u128)ub.m << 63, ua.exp - ub.exp);
    u128 s = ua.sign == ub.sign ? x + y : x - y;
    if (s == 0)
        return f80_zero(zero_sign);
    return finish80(env, ua.sign, ua.exp + 1, s, prec);
}

Float80 f80_add(F80Env *env, Float80 a, Float80 b)
{
    return add_signed(env, a, b, false);
}
Float80 f80_sub(F80Env *env, Float80 a, Float80 b)
{
    return add_signed(env, a, b, true);
}

Float80 f80_mul(F80Env *env, Float80 a, Float80 b)
{
    F80Class ca = f80_classify(a), cb = f80_classify(b);
    if (ca == F80_CLASS_UNSUPPORTED || cb == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (ca == F80_CLASS_NAN || cb == F80_CLASS_NAN)
        return nan2(env, a, b);
    if (denormal_stops(env, a, b))
        return a;
    bool s = f80_sign(a) ^ f80_sign(b);
    if (ca == F80_CLASS_INF || cb == F80_CLASS_INF) {
        if (ca == F80_CLASS_ZERO || cb == F80_CLASS_ZERO)
            return invalid(env);
        return f80_inf(s);
    }
    if (ca == F80_CLASS_ZERO || cb == F80_CLASS_ZERO)
        return f80_zero(s);
    Unp ua = unpack(a), ub = unpack(b);
    return finish80(env, s, ua.exp + ub.exp + 1, (u128)ua.m * ub.m, env_prec(env));
}

Float80 f80_div(F80Env *env, Float80 a, Float80 b)
{
    F80Class ca = f80_classify(a), cb = f80_classify(b);
    if (ca == F80_CLASS_UNSUPPORTED || cb == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (ca == F80_CLASS_NAN || cb == F80_CLASS_NAN)
        return nan2(env, a, b);
    bool s = f80_sign(a) ^ f80_sign(b);
    if (cb == F80_CLASS_ZERO && ca != F80_CLASS_INF) {
        if (ca == F80_CLASS_ZERO)
            return invalid(env);
        /* SDM Vol. 1 4.9.1.3: masked response a signed infinity; the host raises no DE for
           a denormal dividend here */
        env->flags |= F80_ZE;
        return f80_inf(s);
    }
    if (denormal_stops(env, a, b))
        return a;
    if (ca == F80_CLASS_INF)
        return cb == F80_CLASS_INF ? invalid(env) : f80_inf(s);
    if (cb == F80_CLASS_INF)
        return f80_zero(s);
    if (ca == F80_CLASS_ZERO)
        return f80_zero(s);
    Unp ua = unpack(a), ub = unpack(b);
    /* 128 quotient bits by two 128/64 long-division steps; the remainder is the sticky bit */
    int32_t exp = ua.exp - ub.exp;
    u128 n = (u128)ua.m << 63;
    if (ua.m < ub.m) {
        n <<= 1;
        exp--;
    }
    uint64_t q1 = (uint64_t)(n / ub.m);
    u128 r = n % ub.m;
    u128 n2 = r << 64;
    uint64_t q2 = (uint64_t)(n2 / ub.m);
    u128 q = ((u128)q1 << 64) | q2 | ((n2 % ub.m) != 0);
    return finish80(env, s, exp, q, env_prec(env));
}

/* floor(sqrt(n)) bit by bit, and the remainder n - root^2 */
static uint64_t isqrt128(u128 n, u128 *rem)
{
    u128 root = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 2) | (n >> 126);
        n <<= 2;
        u128 t = (root << 2) | 1;
        root <<= 1;
        if (r >= t) {
            r -= t;
            root |= 1;
        }
    }
    *rem = r;
    return (uint64_t)root;
}

Float80 f80_sqrt(F80Env *env, Float80 a)
{
    F80Class ca = f80_classify(a);
    if (ca == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (ca == F80_CLASS_NAN)
        return nan1(env, a);
    if (ca == F80_CLASS_ZERO)
        return a; /* IEEE 754: sqrt(-0) = -0 */
    if (f80_sign(a))
        return invalid(env); /* before DE, as on the host */
    if (denormal_stops(env, a, a))
        return a;
    if (ca == F80_CLASS_INF)
        return a;
    Unp u = unpack(a);
    /* value = m * 2^(exp - 63); n = m * 2^k with k making the exponent even, n in [2^126, 2^128) */
    int k = ((u.exp - 63 - 64) & 1) ? 63 : 64;
    u128 n = (u128)u.m << k;
    int32_t half = (u.exp - 63 - k) / 2;
    u128 rem;
    uint64_t root = isqrt128(n, &rem);
    /* the root has 64 bits; the remainder decides the guard bit exactly: sqrt(n) > root + 1/2
       iff n - root^2 > root (never equal, n being an integer) */
    u128 sig = ((u128)root << 64) | (rem > root ? (3ull << 62) : rem ? 1 : 0);
    return finish80(env, false, half + 63, sig, env_prec(env));
}

/* --- comparison --- */

/* magnitude order of two non-NaN supported values */
static int cmp_mag(Float80 a, Float80 b)
{
    F80Class ca = f80_classify(a), cb = f80_classify(b);
    int ra = ca == F80_CLASS_ZERO ? 0 : ca == F80_CLASS_INF ? 2 : 1;
    int rb = cb == F80_CLASS_ZERO ? 0 : cb == F80_CLASS_INF ? 2 : 1;
    if (ra != rb || ra != 1)
        return (ra > rb) - (ra < rb);
    Unp ua = unpack(a), ub = unpack(b);
    if (ua.exp != ub.exp)
        return ua.exp > ub.exp ? 1 : -1;
    return (ua.m > ub.m) - (ua.m < ub.m);
}

F80Relation f80_compare(F80Env *env, Float80 a, Float80 b, bool quiet_cmp)
{
    F80Class ca = f80_classify(a), cb = f80_classify(b);
    if (ca == F80_CLASS_UNSUPPORTED || cb == F80_CLASS_UNSUPPORTED) {
        env->flags |= F80_IE;
        return F80_UNORDERED;
    }
    if (ca == F80_CLASS_NAN || cb == F80_CLASS_NAN) {
        /* SDM Vol. 2 FCOM/FUCOM: FUCOM signals only for SNaNs */
        if (!quiet_cmp || is_snan(a) || is_snan(b))
            env->flags |= F80_IE;
        return F80_UNORDERED;
    }
    denormal_stops(env, a, b); /* the host sets the condition codes even with DE unmasked */
    bool za = ca == F80_CLASS_ZERO, zb = cb == F80_CLASS_ZERO;
    if (za && zb)
        return F80_EQ;
    bool sa = f80_sign(a), sb = f80_sign(b);
    if (za || zb || sa != sb) {
        bool a_neg = za ? !sb : sa; /* a < b when a is the negative one */
        return a_neg ? F80_LT : F80_GT;
    }
    int c = cmp_mag(a, b);
    if (sa)
        c = -c;
    return c < 0 ? F80_LT : c > 0 ? F80_GT : F80_EQ;
}

/* --- integer conversions --- */

Float80 f80_from_int(int64_t v)
{
    if (v == 0)
        return f80_zero(false);
    bool s = v < 0;
    uint64_t m = s ? -(uint64_t)v : (uint64_t)v;
    int lz = __builtin_clzll(m);
    return mk(s, (unsigned)(BIAS + 63 - lz), m << lz);
}

/* |a| rounded to an integer by rc (a finite): the magnitude, or all ones when >= 2^64 */
static u128 round_mag(Float80 a, unsigned rc, bool *inexact, bool *up)
{
    *inexact = *up = false;
    if (f80_classify(a) == F80_CLASS_ZERO)
        return 0;
    Unp u = unpack(a);
    if (u.exp >= 64)
        return ~(u128)0;
    /* a = (m << 63) * 2^(exp - 126): bring the units bit to bit 63, round off the fraction */
    u128 sig = shr_jam((u128)u.m << 63, 63 - u.exp);
    return rnd(rc, u.sign, sig, 63, inexact, up);
}

int64_t f80_to_int(F80Env *env, Float80 a, int bits, bool truncate)
{
    F80Class ca = f80_classify(a);
    if (ca == F80_CLASS_UNSUPPORTED || ca == F80_CLASS_NAN || ca == F80_CLASS_INF) {
        env->flags |= F80_IE;
        return F80_INT_INDEFINITE(bits);
    }
    /* SDM Vol. 2 FIST: no #D; a denormal simply rounds to 0 or +-1 */
    bool inexact, up;
    u128 mag = round_mag(a, truncate ? F80_RC_ZERO : env->rc, &inexact, &up);
    bool neg = f80_sign(a);
    u128 limit = ((u128)1 << (bits - 1)) - !neg;
    if (mag > limit) {
        env->flags |= F80_IE; /* SDM Vol. 2 FIST: masked response is the integer indefinite */
        return F80_INT_INDEFINITE(bits);
    }
    if (inexact)
        env->flags |= F80_PE;
    env->c1 = up;
    return neg ? (int64_t)(0 - (uint64_t)mag) : (int64_t)(uint64_t)mag;
}

/* --- 32/64-bit floating-point conversions --- */

/* an IEEE binary32/64 value (frac_bits 23/52, exp_bits 8/11) to Float80, exactly */
static Float80 from_ieee(F80Env *env, uint64_t v, int frac_bits, int exp_bits)
{
    bool s = v >> (frac_bits + exp_bits);
    int32_t emax = (1 << exp_bits) - 1, bias = emax >> 1;
    int32_t e = (int32_t)((v >> frac_bits) & (uint64_t)emax);
    uint64_t f = v & ((1ull << frac_bits) - 1);
    if (e == emax) {
        if (!f)
            return f80_inf(s);
        Float80 n = mk(s, EXP_MAX, INT_BIT | f << (63 - frac_bits));
        return nan1(env, n); /* an SNaN source signals IE and is quieted (SDM Vol. 2 FLD) */
    }
    if (e == 0) {
        if (!f)
            return f80_zero(s);
        env->flags |= F80_DE;
        int lz = __builtin_clzll(f);
        /* value = f * 2^(1 - bias - frac_bits) = (f << lz) * 2^(1 - bias - frac_bits - lz) */
        return mk(s, (unsigned)(1 - bias - frac_bits - lz + 63 + BIAS), f << lz);
    }
    return mk(s, (unsigned)(e - bias + BIAS), INT_BIT | f << (63 - frac_bits));
}

Float80 f80_from_f32(F80Env *env, uint32_t v)
{
    return from_ieee(env, v, 23, 8);
}
Float80 f80_from_f64(F80Env *env, uint64_t v)
{
    return from_ieee(env, v, 52, 11);
}

static uint64_t to_ieee(F80Env *env, Float80 a, int frac_bits, int exp_bits)
{
    int32_t emax = (1 << exp_bits) - 1, bias = emax >> 1;
    uint64_t sign = (uint64_t)f80_sign(a) << (frac_bits + exp_bits);
    uint64_t inf = (uint64_t)emax << frac_bits;
    uint64_t qbit = 1ull << (frac_bits - 1);
    F80Class ca = f80_classify(a);
    switch (ca) {
    case F80_CLASS_UNSUPPORTED:
        env->flags |= F80_IE;
        return 1ull << (frac_bits + exp_bits) | inf | qbit; /* the format's indefinite */
    case F80_CLASS_NAN:
        if (is_snan(a))
            env->flags |= F80_IE;
        /* the significand's top fraction bits, quieted (SDM Vol. 1 4.8.3.5) */
        return sign | inf | qbit | ((a.mant << 1) >> (64 - frac_bits));
    case F80_CLASS_INF:
        return sign | inf;
    case F80_CLASS_ZERO:
        return sign;
    default:
        break;
    }
    /* no DE here: the host's FST m32/m64 raise none for a denormal source */
    Unp u = unpack(a);
    int32_t e;
    int prec = frac_bits + 1;
    F80Env t = *env;
    t.flags = 0;
    uint64_t m = round_core(&t, u.sign, u.exp + bias, (u128)u.m << 64, prec, emax - 1,
                            3 << (exp_bits - 2), &e);
    /* an unmasked overflow or underflow aborts the store: that flag alone, no PE or C1
       (SDM Vol. 1 4.9.2, as the host does) */
    uint8_t aborted = t.flags & (F80_OE | F80_UE) & ~env->masks;
    if (aborted) {
        env->flags |= aborted;
        return 0;
    }
    env->flags |= t.flags;
    env->c1 = t.c1;
    return sign | ((uint64_t)e << frac_bits) | (m & ((1ull << frac_bits) - 1));
}

uint32_t f80_to_f32(F80Env *env, Float80 a)
{
    return (uint32_t)to_ieee(env, a, 23, 8);
}
uint64_t f80_to_f64(F80Env *env, Float80 a)
{
    return to_ieee(env, a, 52, 11);
}

/* --- FRNDINT, FPREM, FSCALE, FXTRACT --- */

Float80 f80_round_to_int(F80Env *env, Float80 a)
{
    F80Class ca = f80_classify(a);
    if (ca == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (ca == F80_CLASS_NAN)
        return nan1(env, a);
    if (ca == F80_CLASS_ZERO || ca == F80_CLASS_INF)
        return a;
    if (denormal_stops(env, a, a))
        return a;
    Unp u = unpack(a);
    if (u.exp >= 63)
        return a; /* already an integer */
    bool inexact, up;
    u128 mag = round_mag(a, env->rc, &inexact, &up);
    if (inexact)
        env->flags |= F80_PE;
    env->c1 = up;
    if (mag == 0)
        return f80_zero(u.sign);
    Float80 r = f80_from_int((int64_t)(uint64_t)mag); /* mag <= 2^63 */
    if (mag >> 63)
        r = mk(false, BIAS + 63, INT_BIT);
    r.se |= sign_bit(u.sign);
    return r;
}

/* exact result m * 2^(exp - 63) (m != 0, maybe unnormalized) through the 80-bit rounding */
static Float80 exact80(F80Env *env, bool sign, int32_t exp, u128 m)
{
    return finish80(env, sign, exp + 64, m, 64);
}

/* the N of a partial remainder (SDM Vol. 2 FPREM: "an implementation-dependent number between
   32 and 63"): the host's is 32 + (d mod 32), which the test confirms bit for bit */
static int partial_n(int32_t d)
{
    return 32 + (d & 31);
}

Float80 f80_rem(F80Env *env, Float80 a, Float80 b, bool ieee, bool *partial, unsigned *quot)
{
    *partial = false;
    *quot = 0;
    F80Class ca = f80_classify(a), cb = f80_classify(b);
    if (ca == F80_CLASS_UNSUPPORTED || cb == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (ca == F80_CLASS_NAN || cb == F80_CLASS_NAN)
        return nan2(env, a, b);
    /* SDM Vol. 2 FPREM table: inf dividend or zero divisor is invalid (no DE then, as on the
       host); 0 % x = 0 and x % inf = x */
    if (ca == F80_CLASS_INF || cb == F80_CLASS_ZERO)
        return invalid(env);
    if (denormal_stops(env, a, b))
        return a;
    if (ca == F80_CLASS_ZERO || cb == F80_CLASS_INF)
        return ca == F80_CLASS_ZERO ? a : exact80(env, f80_sign(a), unpack(a).exp, unpack(a).m);
    Unp ua = unpack(a), ub = unpack(b);
    int32_t d = ua.exp - ub.exp;
    bool sign = ua.sign;
    if (d >= 64) {
        /* partial: subtract the multiple QQ * b * 2^(d - n) with QQ truncated, so the
           exponent drops by about n */
        int n = partial_n(d);
        u128 r = ua.m;
        for (int i = 0; i <= n; i++) {
            if (i)
                r <<= 1;
            if (r >= ub.m)
                r -= ub.m;
        }
        *partial = true;
        if (r == 0)
            return f80_zero(sign);
        return exact80(env, sign, ua.exp - n, r);
    }
    if (d < 0) {
        /* |a| < |b|: quotient 0, except FPREM1 rounding |a| > |b|/2 up to 1 */
        if (ieee && d == -1 && ua.m > ub.m) {
            *quot = 1;
            return exact80(env, !sign, ub.exp - 1, 2 * (u128)ub.m - ua.m);
        }
        return exact80(env, sign, ua.exp, ua.m);
    }
    u128 r = ua.m;
    uint64_t q = 0;
    for (int i = 0; i <= d; i++) {
        if (i) {
            r <<= 1;
            q <<= 1;
        }
        if (r >= ub.m) {
            r -= ub.m;
            q |= 1;
        }
    }
    if (ieee && (2 * r > ub.m || (2 * r == ub.m && (q & 1)))) {
        r = ub.m - r;
        sign = !sign;
        q++;
    }
    *quot = (unsigned)(q & 7);
    if (r == 0)
        return f80_zero(ua.sign);
    return exact80(env, sign, ub.exp, r);
}

Float80 f80_scale(F80Env *env, Float80 a, Float80 b)
{
    F80Class ca = f80_classify(a), cb = f80_classify(b);
    if (ca == F80_CLASS_UNSUPPORTED || cb == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (ca == F80_CLASS_NAN || cb == F80_CLASS_NAN)
        return nan2(env, a, b);
    if (denormal_stops(env, a, b))
        return a;
    if (cb == F80_CLASS_INF) {
        /* SDM Vol. 2 FSCALE table: 0 * 2^+inf and inf * 2^-inf are invalid */
        if (f80_sign(b)) {
            if (ca == F80_CLASS_INF)
                return invalid(env);
            return f80_zero(f80_sign(a));
        }
        if (ca == F80_CLASS_ZERO)
            return invalid(env);
        return f80_inf(f80_sign(a));
    }
    if (ca == F80_CLASS_ZERO || ca == F80_CLASS_INF)
        return a;
    /* trunc(b), saturated far beyond any exponent that could matter */
    int32_t n = 0;
    if (cb != F80_CLASS_ZERO) {
        Unp ub = unpack(b);
        if (ub.exp >= 20)
            n = 1 << 20;
        else if (ub.exp >= 0)
            n = (int32_t)(ub.m >> (63 - ub.exp));
        if (ub.sign)
            n = -n;
    }
    Unp ua = unpack(a);
    return exact80(env, ua.sign, ua.exp + n, ua.m);
}

Float80 f80_xtract(F80Env *env, Float80 a, Float80 *exp)
{
    F80Class ca = f80_classify(a);
    if (ca == F80_CLASS_UNSUPPORTED)
        return *exp = invalid(env);
    if (ca == F80_CLASS_NAN)
        return *exp = nan1(env, a);
    if (ca == F80_CLASS_ZERO) {
        env->flags |= F80_ZE; /* SDM Vol. 2 FXTRACT: the exponent of 0 is -inf */
        *exp = f80_inf(true);
        return a;
    }
    if (ca == F80_CLASS_INF) {
        *exp = f80_inf(false);
        return a;
    }
    *exp = a;
    if (denormal_stops(env, a, a))
        return a;
    Unp u = unpack(a);
    *exp = f80_from_int(u.exp);
    return mk(u.sign, BIAS, u.m);
}

/* --- packed BCD --- */

Float80 f80_from_bcd(const uint8_t bcd[10])
{
    uint64_t v = 0;
    for (int i = 8; i >= 0; i--)
        v = v * 100 + (bcd[i] >> 4) * 10 + (bcd[i] & 15);
    Float80 r = f80_from_int((int64_t)v);
    r.se |= sign_bit(bcd[9] >> 7);
    return r;
}

void f80_to_bcd(F80Env *env, Float80 a, uint8_t bcd[10])
{
    static const uint64_t limit = 999999999999999999ull;
    F80Class ca = f80_classify(a);
    u128 mag = ~(u128)0;
    bool inexact = false, up = false;
    if (ca != F80_CLASS_UNSUPPORTED && ca != F80_CLASS_NAN && ca != F80_CLASS_INF) {
        mag = round_mag(a, env->rc, &inexact, &up);
    }
    if (mag > limit) {
        /* SDM Vol. 2 FBSTP: the packed BCD indefinite, FFFF C000 0000 0000 0000h */
        env->flags |= F80_IE;
        for (int i = 0; i < 10; i++)
            bcd[i] = 0;
        bcd[7] = 0xc0;
        bcd[8] = bcd[9] = 0xff;
        return;
    }
    if (inexact)
        env->flags |= F80_PE;
    env->c1 = up;
    uint64_t v = (uint64_t)mag;
    for (int i = 0; i < 9; i++) {
        bcd[i] = (uint8_t)((v % 10) | ((v / 10 % 10) << 4));
        v /= 100;
    }
    bcd[9] = f80_sign(a) ? 0x80 : 0;
}

/* --- constants --- */

/* 128-bit significands (bit 127 = integer bit) and unbiased exponents of the constants */
static const struct {
    uint64_t hi, lo;
    int32_t exp;
} f80_consts[] = {
    [F80_K_ONE] = {0x8000000000000000ull, 0, 0},
    [F80_K_L2T] = {0xd49a784bcd1b8afeull, 0x492bf6ff4dafdb4cull, 1},
    [F80_K_L2E] = {0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e88ull, 0},
    [F80_K_PI] = {0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 1},
    [F80_K_LG2] = {0x9a209a84fbcff798ull, 0x8f8959ac0b7c9178ull, -2},
    [F80_K_LN2] = {0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull, -1},
    [F80_K_ZERO] = {0, 0, 0},
};

Float80 f80_const(F80Env *env, F80Const k)
{
    if (k == F80_K_ZERO)
        return f80_zero(false);
    /* SDM Vol. 1 8.3.8: rounded by RC; no precision exception */
    u128 sig = ((u128)f80_consts[k].hi << 64) | f80_consts[k].lo;
    bool inexact, up;
    u128 m = rnd(env->rc, false, sig, 64, &inexact, &up);
    (void)up;
    return mk(false, (unsigned)(f80_consts[k].exp + BIAS), (uint64_t)m);
}

/* --- transcendentals --- */
/*
 * Evaluated in a private binary floating point with a 128-bit significand (BF), truncating, with
 * the shifted-out bits of an alignment jammed into the lowest bit so that a tiny correction
 * still shows in directed rounding. Each operation errs by about 2^-127 relatively; the series
 * below are summed to ~2^-125, so the final rounding to 64 bits is correct except in rare
 * near-halfway cases. The x87 is itself within an ulp (SDM Vol. 1 8.3.10), and it reduces
 * trigonometric arguments with a 66-bit pi, which is mimicked here (f80_pi66).
 */

/* value = (-1)^s * m * 2^(e - 127); m has bit 127 set, or is 0 for zero */
typedef struct BF {
    bool s;
    int32_t e;
    u128 m;
} BF;

#define U128(hi, lo) (((u128)(hi) << 64) | (lo))

static BF bf_norm(bool s, int32_t e, u128 m)
{
    if (m == 0)
        return (BF){s, 0, 0};
    int lz = clz128(m);
    return (BF){s, e - lz, m << lz};
}

static BF bf_from_f80(Float80 a)
{
    if (f80_classify(a) == F80_CLASS_ZERO)
        return (BF){f80_sign(a), 0, 0};
    Unp u = unpack(a);
    return (BF){u.sign, u.exp, (u128)u.m << 64};
}

static BF bf_int(int64_t v)
{
    bool s = v < 0;
    return bf_norm(s, 127, s ? -(uint64_t)v : (uint64_t)v);
}

static BF bf_neg(BF a)
{
    a.s = !a.s;
    return a;
}

static BF bf_mul(BF a, BF b)
{
    if (!a.m || !b.m)
        return (BF){a.s ^ b.s, 0, 0};
    uint64_t ah = (uint64_t)(a.m >> 64), al = (uint64_t)a.m;
    uint64_t bh = (uint64_t)(b.m >> 64), bl = (uint64_t)b.m;
    u128 hh = (u128)ah * bh, hl = (u128)ah * bl, lh = (u128)al * bh, ll = (u128)al * bl;
    u128 mid = (hl & ~0ull) + (lh & ~0ull) + (ll >> 64);
    u128 hi = hh + (hl >> 64) + (lh >> 64) + (mid >> 64);
    bool sticky = ((uint64_t)mid | (uint64_t)ll) != 0;
    /* the product of two [1,2) significands is in [1,4): bit 127 or 126 of hi leads */
    if (!(hi >> 127))
        return (BF){a.s ^ b.s, a.e + b.e, (hi << 1) | ((uint64_t)mid >> 63) | sticky};
    return (BF){a.s ^ b.s, a.e + b.e + 1, hi | sticky};
}

static BF bf_add(BF a, BF b)
{
    if (!b.m)
        return a;
    if (!a.m)
        return b;
    if (a.e < b.e || (a.e == b.e && a.m < b.m)) {
        BF t = a;
        a = b;
        b = t;
    }
    /* one spare bit at the top for the carry */
    u128 y = shr_jam(b.m >> 1 | (b.m & 1), a.e - b.e);
    u128 x = a.m >> 1;
    if (a.s == b.s)
        return bf_norm(a.s, a.e + 1, x + y);
    return bf_norm(a.s, a.e + 1, x - y);
}

static BF bf_sub(BF a, BF b)
{
    return bf_add(a, bf_neg(b));
}

/* 128 quotient bits, restoring division */
static BF bf_div(BF a, BF b)
{
    if (!a.m)
        return (BF){a.s ^ b.s, 0, 0};
    u128 r = a.m, d = b.m, q = 0;
    bool carry = false;
    for (int i = 0; i < 128; i++) {
        bool ge = carry || r >= d;
        if (ge)
            r -= d;
        q = (q << 1) | ge;
        carry = r >> 127;
        r <<= 1;
    }
    return bf_norm(a.s ^ b.s, a.e - b.e, q | (r != 0 || carry));
}

/* divide by a small positive integer */
static BF bf_divu(BF a, uint32_t n)
{
    u128 q1 = a.m / n, r = a.m % n;
    int lz = q1 ? clz128(q1) : 0;
    u128 q = (q1 << lz) | ((r << lz) / n);
    return (BF){a.s, a.e - lz, q | ((r << lz) % n != 0)};
}

static BF bf_sqrt(BF a)
{
    if (!a.m)
        return a;
    /* a 64-bit integer root to start, then one Newton step y = (y + a / y) / 2 */
    int32_t e2 = a.e - 127; /* a = m * 2^e2 */
    u128 n = a.m;
    if (e2 & 1) {
        n >>= 1;
        e2++;
    }
    u128 rem;
    BF y = bf_norm(false, e2 / 2 + 127, isqrt128(n, &rem));
    y = bf_add(y, bf_div(a, y));
    y.e--;
    return y;
}

static const BF bf_one = {false, 0, (u128)1 << 127};
static const BF bf_pi = {false, 1, U128(0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull)};
static const BF bf_ln2 = {false, -1, U128(0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull)};
static const BF bf_l2e = {false, 0, U128(0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e88ull)};

static int bf_cmp_mag(BF a, BF b)
{
    if (!a.m || !b.m)
        return (a.m != 0) - (b.m != 0);
    if (a.e != b.e)
        return a.e > b.e ? 1 : -1;
    return (a.m > b.m) - (a.m < b.m);
}

/* round to the 80-bit format (full precision: PC does not apply here, SDM Vol. 1 8.1.5.2).
   The host x87 reports PE for every computed transcendental result, exact or not. */
static Float80 bf_to_f80(F80Env *env, BF a)
{
    env->flags |= F80_PE;
    if (!a.m)
        return f80_zero(a.s);
    Float80 r = finish80(env, a.s, a.e, a.m, 64);
    if (f80_exp(r) == 0)
        env->flags |= F80_UE; /* tiny and (always reported) inexact */
    return r;
}

/* sin(r) and cos(r) by their Taylor series, |r| <= pi/4 */
static void bf_sincos(BF r, BF *sn, BF *cs)
{
    BF r2 = bf_mul(r, r);
    BF t = r, s = r;
    for (uint32_t n = 3; n < 60 && t.m; n += 2) {
        t = bf_divu(bf_neg(bf_mul(t, r2)), (n - 1) * n);
        s = bf_add(s, t); /* even when tiny: its sign still steers directed rounding */
        if (t.e < s.e - 130)
            break;
    }
    BF c = bf_one;
    t = bf_one;
    for (uint32_t n = 2; n < 60; n += 2) {
        t = bf_divu(bf_neg(bf_mul(t, r2)), (n - 1) * n);
        c = bf_add(c, t);
        if (t.e < -130)
            break;
    }
    *sn = s;
    *cs = c;
}

/* |a| = k * P + r, |r| <= P/2, exactly, where P is pi/2 from the x87's 66-bit pi
   (0xc90fdaa22168c234c, SDM Vol. 1 8.3.10): returns r and k mod 4 */
static BF reduce_trig(Float80 a, unsigned *k)
{
    static const u128 p = ((u128)0x3ull << 64) | 0x243f6a8885a308d3ull; /* P * 2^65 */
    Unp u = unpack(a);
    *k = 0;
    if (u.exp < -1 || (u.exp == -1 && u.m <= 0xc90fdaa22168c234ull))
        return (BF){false, u.exp, (u128)u.m << 64}; /* |a| <= pi/4: nothing to reduce */
    /* |a| = m * 2^(exp - 63) = (m * 2^(exp + 2)) * 2^-65; exp + 2 is 1..64 here */
    u128 r = 0;
    uint64_t q = 0;
    for (int i = 63 + u.exp + 2; i >= 0; i--) {
        r = (r << 1) | (i >= u.exp + 2 ? (u.m >> (i - u.exp - 2)) & 1 : 0);
        q <<= 1;
        if (r >= p) {
            r -= p;
            q |= 1;
        }
    }
    bool neg = false;
    if (2 * r > p) {
        r = p - r;
        neg = true;
        q++;
    }
    *k = (unsigned)(q & 3);
    return bf_norm(neg, 127 - 65, r);
}

/* common screening of FSIN/FCOS/FPTAN operands; returns true when *res is final */
static bool trig_special(F80Env *env, Float80 a, bool *out_of_range, Float80 *res)
{
    *out_of_range = false;
    F80Class ca = f80_classify(a);
    switch (ca) {
    case F80_CLASS_UNSUPPORTED:
    case F80_CLASS_INF:
        *res = invalid(env);
        return true;
    case F80_CLASS_NAN:
        *res = nan1(env, a);
        return true;
    case F80_CLASS_ZERO:
        *res = a;
        return true;
    default:
        break;
    }
    if (f80_exp(a) >= BIAS + 63) {
        /* SDM Vol. 2 FSIN: |a| >= 2^63 sets C2 and leaves the operand */
        *out_of_range = true;
        *res = a;
        return true;
    }
    *res = a;
    return denormal_stops(env, a, a);
}

Float80 f80_sin(F80Env *env, Float80 a, bool *out_of_range)
{
    Float80 res;
    if (trig_special(env, a, out_of_range, &res))
        return res;
    unsigned k;
    BF r = reduce_trig(a, &k), s, c;
    bf_sincos(r, &s, &c);
    BF v = (k & 1) ? c : s;
    if (k & 2)
        v = bf_neg(v);
    v.s ^= f80_sign(a);
    return bf_to_f80(env, v);
}

Float80 f80_cos(F80Env *env, Float80 a, bool *out_of_range)
{
    Float80 res;
    if (trig_special(env, a, out_of_range, &res)) {
        if (f80_classify(a) == F80_CLASS_ZERO)
            return f80_from_int(1);
        return res;
    }
    unsigned k;
    BF r = reduce_trig(a, &k), s, c;
    bf_sincos(r, &s, &c);
    BF v = (k & 1) ? bf_neg(s) : c;
    if (k & 2)
        v = bf_neg(v);
    return bf_to_f80(env, v);
}

Float80 f80_tan(F80Env *env, Float80 a, bool *out_of_range)
{
    Float80 res;
    if (trig_special(env, a, out_of_range, &res))
        return res;
    unsigned k;
    BF r = reduce_trig(a, &k), s, c;
    bf_sincos(r, &s, &c);
    BF v = (k & 1) ? bf_neg(bf_div(c, s)) : bf_div(s, c);
    v.s ^= f80_sign(a);
    return bf_to_f80(env, v);
}

/* atan(t), 0 <= t <= 1: two half-angle steps t / (1 + sqrt(1 + t^2)) bring t under
   tan(pi/16), then the series t - t^3/3 + t^5/5 - ... */
static BF bf_atan(BF t)
{
    for (int i = 0; i < 2; i++)
        t = bf_div(t, bf_add(bf_one, bf_sqrt(bf_add(bf_one, bf_mul(t, t)))));
    BF t2 = bf_mul(t, t), p = t, s = t;
    for (uint32_t n = 3; n < 200 && p.m; n += 2) {
        p = bf_neg(bf_mul(p, t2));
        BF term = bf_divu(p, n);
        s = bf_add(s, term);
        if (term.e < s.e - 130)
            break;
    }
    s.e += 2;
    return s;
}

static Float80 pi_times(F80Env *env, bool sign, uint32_t num, uint32_t den)
{
    BF v = bf_divu(bf_mul(bf_pi, bf_int(num)), den);
    v.s = sign;
    return bf_to_f80(env, v);
}

Float80 f80_atan2(F80Env *env, Float80 y, Float80 x)
{
    F80Class cy = f80_classify(y), cx = f80_classify(x);
    if (cy == F80_CLASS_UNSUPPORTED || cx == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (cy == F80_CLASS_NAN || cx == F80_CLASS_NAN)
        return nan2(env, y, x);
    if (denormal_stops(env, y, x))
        return y;
    bool sy = f80_sign(y), sx = f80_sign(x);
    /* SDM Vol. 2 FPATAN table */
    if (cy == F80_CLASS_ZERO)
        return sx ? pi_times(env, sy, 1, 1) : f80_zero(sy);
    if (cy == F80_CLASS_INF) {
        if (cx == F80_CLASS_INF)
            return pi_times(env, sy, sx ? 3 : 1, 4);
        return pi_times(env, sy, 1, 2);
    }
    if (cx == F80_CLASS_ZERO)
        return pi_times(env, sy, 1, 2);
    if (cx == F80_CLASS_INF)
        return sx ? pi_times(env, sy, 1, 1) : f80_zero(sy);
    BF by = bf_from_f80(y), bx = bf_from_f80(x);
    by.s = bx.s = false;
    BF v;
    if (bf_cmp_mag(by, bx) <= 0) {
        v = bf_atan(bf_div(by, bx));
    } else {
        BF half_pi = bf_pi;
        half_pi.e--;
        v = bf_sub(half_pi, bf_atan(bf_div(bx, by)));
    }
    if (sx)
        v = bf_sub(bf_pi, v);
    v.s = sy;
    return bf_to_f80(env, v);
}

/* e^t - 1 by its series, |t| < 1 */
static BF bf_expm1(BF t)
{
    BF term = t, s = t;
    for (uint32_t n = 2; n < 60; n++) {
        term = bf_divu(bf_mul(term, t), n);
        s = bf_add(s, term);
        if (term.e < s.e - 130)
            break;
    }
    return s;
}

Float80 f80_2xm1(F80Env *env, Float80 a)
{
    F80Class ca = f80_classify(a);
    switch (ca) {
    case F80_CLASS_UNSUPPORTED:
        return invalid(env);
    case F80_CLASS_NAN:
        return nan1(env, a);
    case F80_CLASS_ZERO:
        return a;
    case F80_CLASS_INF:
        return f80_sign(a) ? f80_from_int(-1) : a; /* SDM Vol. 2 F2XM1 */
    default:
        break;
    }
    if (denormal_stops(env, a, a))
        return a;
    /* the SDM defines only -1 <= a <= 1; beyond, the host leaves the operand (with PE) */
    if (f80_exp(a) > BIAS || (f80_exp(a) == BIAS && a.mant != INT_BIT)) {
        env->flags |= F80_PE;
        return a;
    }
    /* 2^a - 1 = e^(a ln 2) - 1 */
    return bf_to_f80(env, bf_expm1(bf_mul(bf_from_f80(a), bf_ln2)));
}

/* ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), by the series s + s^3/3 + s^5/5 + ... */
static BF bf_atanh2(BF s)
{
    BF s2 = bf_mul(s, s), p = s, sum = s;
    for (uint32_t n = 3; n < 200 && p.m; n += 2) {
        p = bf_mul(p, s2);
        BF term = bf_divu(p, n);
        sum = bf_add(sum, term);
        if (term.e < sum.e - 130)
            break;
    }
    sum.e++;
    return sum;
}

/* log2(x) for x > 0 */
static BF bf_log2(BF x)
{
    /* x = m * 2^e with m in [sqrt(1/2), sqrt(2)) */
    int32_t e = x.e;
    BF m = {false, 0, x.m};
    if (x.m > U128(0xb504f333f9de6484ull, 0x597d89b3754abe9full)) {
        m.e = -1;
        e++;
    }
    BF s = bf_div(bf_sub(m, bf_one), bf_add(m, bf_one));
    return bf_add(bf_int(e), bf_mul(bf_atanh2(s), bf_l2e));
}

Float80 f80_yl2x(F80Env *env, Float80 y, Float80 x)
{
    F80Class cy = f80_classify(y), cx = f80_classify(x);
    if (cy == F80_CLASS_UNSUPPORTED || cx == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (cy == F80_CLASS_NAN || cx == F80_CLASS_NAN)
        return nan2(env, y, x);
    bool sy = f80_sign(y);
    /* SDM Vol. 2 FYL2X table */
    if (f80_sign(x) && cx != F80_CLASS_ZERO)
        return invalid(env);
    if (cx == F80_CLASS_ZERO) {
        /* no DE for a denormal y here, as on the host */
        if (cy == F80_CLASS_ZERO)
            return invalid(env);
        if (cy != F80_CLASS_INF)
            env->flags |= F80_ZE;
        return f80_inf(!sy);
    }
    if (denormal_stops(env, y, x))
        return y;
    if (cx == F80_CLASS_INF) {
        if (cy == F80_CLASS_ZERO)
            return invalid(env);
        return f80_inf(sy);
    }
    bool x_one = x.mant == INT_BIT && f80_exp(x) == BIAS;
    if (cy == F80_CLASS_INF) {
        if (x_one)
            return invalid(env);
        return f80_inf(sy ^ (f80_exp(x) < BIAS));
    }
    if (x_one || cy == F80_CLASS_ZERO)
        return f80_zero(sy ^ (f80_exp(x) < BIAS && cx != F80_CLASS_ZERO));
    return bf_to_f80(env, bf_mul(bf_from_f80(y), bf_log2(bf_from_f80(x))));
}

Float80 f80_yl2xp1(F80Env *env, Float80 y, Float80 x)
{
    F80Class cy = f80_classify(y), cx = f80_classify(x);
    if (cy == F80_CLASS_UNSUPPORTED || cx == F80_CLASS_UNSUPPORTED)
        return invalid(env);
    if (cy == F80_CLASS_NAN || cx == F80_CLASS_NAN)
        return nan2(env, y, x);
    bool sy = f80_sign(y), sx = f80_sign(x);
    /* SDM Vol. 2 FYL2XP1 table; the SDM defines |x| < 1 - sqrt(2)/2 only, infinite x as
       the host does: log2(1 + inf) = inf, log2(1 - inf) invalid (before DE) */
    if (cx == F80_CLASS_INF) {
        if (sx || cy == F80_CLASS_ZERO)
            return invalid(env);
        if (denormal_stops(env, y, y))
            return y;
        return f80_inf(sy);
    }
    if (denormal_stops(env, y, x))
        return y;
    if (cx == F80_CLASS_ZERO) {
        if (cy == F80_CLASS_INF)
            return invalid(env);
        return f80_zero(sy ^ sx);
    }
    if (cy == F80_CLASS_INF)
        return f80_inf(sy ^ sx);
    if (cy == F80_CLASS_ZERO)
        return f80_zero(sy ^ sx);
    BF bx = bf_from_f80(x), l;
    if (f80_exp(x) < BIAS - 1) {
        /* |x| < 1/2: log2(1 + x) = 2 atanh(x / (2 + x)) / ln 2, exact in relative terms */
        l = bf_mul(bf_atanh2(bf_div(bx, bf_add(bf_int(2), bx))), bf_l2e);
    } else {
        /* beyond the SDM's range the host still computes log2(1 + x) for x > -1 and leaves
           the operand (with PE) for x <= -1 */
        BF u = bf_add(bf_one, bx);
        if (!u.m || u.s) {
            env->flags |= F80_PE;
            return x;
        }
        l = bf_log2(u);
    }
    return bf_to_f80(env, bf_mul(bf_from_f80(y), l));
}
