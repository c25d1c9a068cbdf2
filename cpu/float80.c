/*
 * cpu/float80.c — software x87 arithmetic on the 80-bit double-extended format (SDM Vol. 1 4.2.2,
 * 8.2, 4.9, 8.5). Pure integer code: no host floating point, the same bits on every host.
 * Temporary state: functions not yet implemented return the real indefinite with IE.
 */
#include "cpu/float80.h"

static Float80 f80_stub(F80Env *env)
{
    env->flags |= F80_IE;
    return F80_INDEFINITE;
}

F80Class f80_classify(Float80 a)
{
    unsigned e = a.se & 0x7fff;
    bool j = a.mant >> 63;
    if (e == 0)
        return a.mant == 0 ? F80_CLASS_ZERO : F80_CLASS_DENORMAL;
    if (!j)
        return F80_CLASS_UNSUPPORTED;
    if (e == 0x7fff)
        return (a.mant << 1) ? F80_CLASS_NAN : F80_CLASS_INF;
    return F80_CLASS_NORMAL;
}

Float80 f80_from_int(int64_t v)
{
    if (v == 0)
        return (Float80){0, 0};
    bool s = v < 0;
    uint64_t m = s ? -(uint64_t)v : (uint64_t)v;
    int lz = __builtin_clzll(m);
    return (Float80){m << lz, (uint16_t)((s ? 0x8000 : 0) | (16383 + 63 - lz))};
}

Float80 f80_add(F80Env *env, Float80 a, Float80 b) { (void)a; (void)b; return f80_stub(env); }
Float80 f80_sub(F80Env *env, Float80 a, Float80 b) { (void)a; (void)b; return f80_stub(env); }
Float80 f80_mul(F80Env *env, Float80 a, Float80 b) { (void)a; (void)b; return f80_stub(env); }
Float80 f80_div(F80Env *env, Float80 a, Float80 b) { (void)a; (void)b; return f80_stub(env); }
Float80 f80_sqrt(F80Env *env, Float80 a) { (void)a; return f80_stub(env); }
Float80 f80_round_to_int(F80Env *env, Float80 a) { (void)a; return f80_stub(env); }
Float80 f80_rem(F80Env *env, Float80 a, Float80 b, bool ieee, bool *partial, unsigned *quot)
{
    (void)a; (void)b; (void)ieee;
    *partial = false;
    *quot = 0;
    return f80_stub(env);
}
Float80 f80_scale(F80Env *env, Float80 a, Float80 b) { (void)a; (void)b; return f80_stub(env); }
Float80 f80_xtract(F80Env *env, Float80 a, Float80 *exp)
{
    (void)a;
    *exp = F80_INDEFINITE;
    return f80_stub(env);
}
F80Relation f80_compare(F80Env *env, Float80 a, Float80 b, bool quiet)
{
    (void)a; (void)b; (void)quiet;
    env->flags |= F80_IE;
    return F80_UNORDERED;
}
int64_t f80_to_int(F80Env *env, Float80 a, int bits, bool truncate)
{
    (void)a; (void)truncate;
    env->flags |= F80_IE;
    return F80_INT_INDEFINITE(bits);
}
Float80 f80_from_f32(F80Env *env, uint32_t v) { (void)v; return f80_stub(env); }
Float80 f80_from_f64(F80Env *env, uint64_t v) { (void)v; return f80_stub(env); }
uint32_t f80_to_f32(F80Env *env, Float80 a) { (void)a; env->flags |= F80_IE; return 0xffc00000u; }
uint64_t f80_to_f64(F80Env *env, Float80 a)
{
    (void)a;
    env->flags |= F80_IE;
    return 0xfff8000000000000ull;
}
Float80 f80_from_bcd(const uint8_t bcd[10]) { (void)bcd; return F80_INDEFINITE; }
void f80_to_bcd(F80Env *env, Float80 a, uint8_t bcd[10])
{
    (void)a;
    env->flags |= F80_IE;
    for (int i = 0; i < 10; i++)
        bcd[i] = 0;
    bcd[7] = 0xc0;
    bcd[8] = bcd[9] = 0xff;
}
Float80 f80_const(F80Env *env, F80Const k) { (void)k; return f80_stub(env); }
Float80 f80_sin(F80Env *env, Float80 a, bool *oor) { (void)a; *oor = false; return f80_stub(env); }
Float80 f80_cos(F80Env *env, Float80 a, bool *oor) { (void)a; *oor = false; return f80_stub(env); }
Float80 f80_tan(F80Env *env, Float80 a, bool *oor) { (void)a; *oor = false; return f80_stub(env); }
Float80 f80_atan2(F80Env *env, Float80 y, Float80 x) { (void)y; (void)x; return f80_stub(env); }
Float80 f80_2xm1(F80Env *env, Float80 a) { (void)a; return f80_stub(env); }
Float80 f80_yl2x(F80Env *env, Float80 y, Float80 x) { (void)y; (void)x; return f80_stub(env); }
Float80 f80_yl2xp1(F80Env *env, Float80 y, Float80 x) { (void)y; (void)x; return f80_stub(env); }
