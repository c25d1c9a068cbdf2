/*
 * cpu/float80.h — x87 arithmetic in software: the 80-bit double-extended format (Intel SDM
 * Vol. 1 4.2.2, 8.2) with the x87's rounding and precision control, exception flags and masked
 * responses (SDM Vol. 1 4.9, 8.5). Pure integer code: the same bits on every host. The x87 unit
 * (cpu/x87.c) keeps the register stack and tags; this file only computes values.
 */
#ifndef XLAT_CPU_FLOAT80_H
#define XLAT_CPU_FLOAT80_H

#include <stdbool.h>
#include <stdint.h>

/* sign in bit 15 of se, biased exponent (bias 16383) in bits 0..14; mant has the explicit
   integer bit (bit 63) */
typedef struct Float80 {
    uint64_t mant;
    uint16_t se;
} Float80;

/* control word fields, in the x87's own encoding */
enum { F80_RC_NEAREST = 0, F80_RC_DOWN = 1, F80_RC_UP = 2, F80_RC_ZERO = 3 };
enum { F80_PC_24 = 0, F80_PC_53 = 2, F80_PC_64 = 3 };
/* exception flags at their x87 status-word (and control-word mask) bit positions */
enum { F80_IE = 1 << 0, F80_DE = 1 << 1, F80_ZE = 1 << 2, F80_OE = 1 << 3, F80_UE = 1 << 4,
       F80_PE = 1 << 5 };

/* The environment of one operation. The caller sets rc, pc and masks (from the control word)
   and clears flags and c1; the operation ORs the exceptions it detects into flags and sets c1
   when it rounded the magnitude up (the x87's C1 "round up" indicator). */
typedef struct F80Env {
    uint8_t rc;     /* F80_RC_* */
    uint8_t pc;     /* F80_PC_*: applies to add, sub, mul, div, sqrt only (SDM Vol. 1 8.1.5.2) */
    uint8_t masks;  /* F80_* bits that are masked; for an unmasked OE/UE the result is the
                       rounded value with its exponent wrapped by 24576 (SDM Vol. 1 8.5.4/8.5.5);
                       for an unmasked IE/DE/ZE the caller discards the result */
    uint8_t flags;  /* out: F80_* raised */
    bool c1;        /* out: rounded up */
} F80Env;

/* the default QNaN ("real indefinite") and the integer indefinite */
#define F80_INDEFINITE ((Float80){0xc000000000000000ull, 0xffff})
#define F80_INT_INDEFINITE(bits) ((int64_t)(~0ull << ((bits) - 1))) /* -2^(bits-1) */

/* classes as FXAM reports them (the x87 adds "empty" from its tag word) */
typedef enum {
    F80_CLASS_UNSUPPORTED, /* pseudo-NaN, pseudo-infinity, unnormal: invalid operands */
    F80_CLASS_NAN,
    F80_CLASS_NORMAL,
    F80_CLASS_INF,
    F80_CLASS_ZERO,
    F80_CLASS_DENORMAL,    /* includes pseudo-denormals */
} F80Class;
F80Class f80_classify(Float80 a);
static inline bool f80_sign(Float80 a) { return a.se >> 15; }

/* arithmetic, rounded to env->pc and env->rc; NaN operands propagate by the x87 rules (SDM
   Vol. 1 Table 4-7), an SNaN raises IE and is quieted, invalid operations give F80_INDEFINITE */
Float80 f80_add(F80Env *env, Float80 a, Float80 b);
Float80 f80_sub(F80Env *env, Float80 a, Float80 b);
Float80 f80_mul(F80Env *env, Float80 a, Float80 b);
Float80 f80_div(F80Env *env, Float80 a, Float80 b);
Float80 f80_sqrt(F80Env *env, Float80 a);
/* FRNDINT: to an integer by env->rc (full precision, pc ignored) */
Float80 f80_round_to_int(F80Env *env, Float80 a);
/* FPREM (ieee false: quotient truncated) and FPREM1 (ieee true: quotient rounded to nearest):
   the partial remainder of a / b. *partial is set when the exponent difference was 64 or more
   and only a partial reduction was done (C2); *quot gets the low three bits of the quotient
   (Q2 Q1 Q0 -> C0 C3 C1) when the reduction completed. */
Float80 f80_rem(F80Env *env, Float80 a, Float80 b, bool ieee, bool *partial, unsigned *quot);
/* FSCALE: a * 2^trunc(b) */
Float80 f80_scale(F80Env *env, Float80 a, Float80 b);
/* FXTRACT: *exp = unbiased exponent of a as a Float80, returns the significand in [1,2) */
Float80 f80_xtract(F80Env *env, Float80 a, Float80 *exp);

/* comparison (FCOM/FUCOM/FCOMI): quiet compares raise IE only for SNaN operands, signaling
   ones for any NaN; DE for denormal operands */
typedef enum { F80_LT, F80_EQ, F80_GT, F80_UNORDERED } F80Relation;
F80Relation f80_compare(F80Env *env, Float80 a, Float80 b, bool quiet);

/* conversions */
Float80 f80_from_int(int64_t v);                            /* exact */
/* FIST/FISTP (truncate false: env->rc) and FISTTP (truncate true) to a signed integer of
   bits 16, 32 or 64; out of range or NaN: IE and the integer indefinite */
int64_t f80_to_int(F80Env *env, Float80 a, int bits, bool truncate);
Float80 f80_from_f32(F80Env *env, uint32_t v);              /* exact; DE, SNaN -> IE */
Float80 f80_from_f64(F80Env *env, uint64_t v);
uint32_t f80_to_f32(F80Env *env, Float80 a);                /* rounded by env->rc */
uint64_t f80_to_f64(F80Env *env, Float80 a);
/* FBLD / FBSTP: 18-digit packed BCD, 10 bytes little-endian, sign in bit 7 of byte 9 */
Float80 f80_from_bcd(const uint8_t bcd[10]);
void f80_to_bcd(F80Env *env, Float80 a, uint8_t bcd[10]);

/* the constants of FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ, rounded by env->rc as
   the x87 does (SDM Vol. 1 8.3.8) */
typedef enum { F80_K_ONE, F80_K_L2T, F80_K_L2E, F80_K_PI, F80_K_LG2, F80_K_LN2, F80_K_ZERO }
    F80Const;
Float80 f80_const(F80Env *env, F80Const k);

/* transcendental instructions (SDM Vol. 1 8.3.10): computed with enough extra precision to be
   within one ulp of the exact result. *out_of_range (C2) for |a| >= 2^63 in the trigonometric
   ones, which then leave the operand unchanged. */
Float80 f80_sin(F80Env *env, Float80 a, bool *out_of_range);
Float80 f80_cos(F80Env *env, Float80 a, bool *out_of_range);
/* FPTAN pushes 1.0 after it; but when the result is a NaN (NaN operand, or invalid with IE
   masked) the host x87 pushes that NaN instead of 1.0 (checked by tests/unit/test_float80.c) */
Float80 f80_tan(F80Env *env, Float80 a, bool *out_of_range);   /* FPTAN pushes 1.0 after it */
Float80 f80_atan2(F80Env *env, Float80 y, Float80 x);          /* FPATAN: atan(y / x) */
Float80 f80_2xm1(F80Env *env, Float80 a);                      /* F2XM1: 2^a - 1, |a| <= 1 */
Float80 f80_yl2x(F80Env *env, Float80 y, Float80 x);           /* FYL2X: y * log2(x) */
Float80 f80_yl2xp1(F80Env *env, Float80 y, Float80 x);         /* FYL2XP1: y * log2(x + 1) */

#endif
