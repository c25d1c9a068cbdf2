/*
 * tcg/interp/run.c — the interpreter's run loop: executes pre-decoded programs (interp.h),
 * following chained jumps from block to block until one exits.
 *
 * Dispatch is a computed goto through a label table when the compiler has the GNU extension
 * (one indirect jump per instruction, each with its own branch-prediction history), and a
 * switch in a loop otherwise; define INTERP_NO_THREADED to force the switch (the tests run
 * both). Every handler reads its inputs into locals before writing its outputs, because the
 * pre-decoder lets an output reuse the slot of an input that dies at the same instruction.
 *
 * Nothing here holds resources: helpers and the softmmu slow paths may longjmp out of
 * interp_exec at any call (a guest fault); the frame is the TB's own memory (interp.h).
 */
#include "tcg/interp/interp.h"

#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && !defined(INTERP_NO_THREADED)
#define INTERP_THREADED 1
#endif

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define LIKELY(x) (x)
#endif

/* ---- guest memory: little-endian, whatever the host ---- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ && defined(__GNUC__)
#define HOST_BE 1
#endif

static inline uint64_t ld_le(const void *p, unsigned n)
{
#if defined(HOST_LE) || defined(HOST_BE)
    switch (n) {
    case 1:
        return *(const uint8_t *)p;
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
#ifdef HOST_BE
        v = __builtin_bswap16(v);
#endif
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
#ifdef HOST_BE
        v = __builtin_bswap32(v);
#endif
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
#ifdef HOST_BE
        v = __builtin_bswap64(v);
#endif
        return v;
    }
    }
#else
    /* unknown byte order: assemble bytes */
    const uint8_t *b = p;
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    return v;
#endif
}

static inline void st_le(void *p, uint64_t v, unsigned n)
{
#if defined(HOST_LE) || defined(HOST_BE)
    switch (n) {
    case 1:
        *(uint8_t *)p = (uint8_t)v;
        return;
    case 2: {
        uint16_t x = (uint16_t)v;
#ifdef HOST_BE
        x = __builtin_bswap16(x);
#endif
        memcpy(p, &x, 2);
        return;
    }
    case 4: {
        uint32_t x = (uint32_t)v;
#ifdef HOST_BE
        x = __builtin_bswap32(x);
#endif
        memcpy(p, &x, 4);
        return;
    }
    default:
#ifdef HOST_BE
        v = __builtin_bswap64(v);
#endif
        memcpy(p, &v, 8);
        return;
    }
#else
    uint8_t *b = p;
    for (unsigned i = 0; i < n; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
#endif
}

/* The inline TLB probe (softmmu/tlb-defs.h): the host address of [addr, addr + n) if the whole
   access lies in a RAM page cached for this kind of access, else NULL (slow path: miss, MMIO,
   code page, or an access crossing into the next page, whose last byte's page differs). */
static inline void *tlb_probe(CPUCommon *env, uint64_t addr, unsigned memop, unsigned n,
                              bool write)
{
    const TLBEntry *e =
        &env->tlb[memop >> IR_MEMOP_MMU_SHIFT][(addr >> TLB_PAGE_BITS) & (TLB_SIZE - 1)];
    uint64_t tag = write ? e->addr_write : e->addr_read;
    if (LIKELY(((addr + n - 1) & TLB_PAGE_MASK) == tag)) {
        return (void *)(uintptr_t)(addr + e->addend);
    }
    return NULL;
}

/* ---- double-width products ---- */

static inline void mulu64(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
#ifdef __SIZEOF_INT128__
    unsigned __int128 p = (unsigned __int128)a * b;
    *lo = (uint64_t)p;
    *hi = (uint64_t)(p >> 64);
#else
    /* schoolbook on 32-bit halves */
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    *lo = (mid << 32) | (uint32_t)ll;
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

static inline void muls64(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    /* the signed high half is the unsigned one corrected by the operands' sign bits */
    mulu64(a, b, lo, hi);
    *hi -= ((int64_t)a < 0 ? b : 0) + ((int64_t)b < 0 ? a : 0);
}

/* ---- conditions on canonical slot values (the cond variants of interp-ops.def) ---- */

#define COND_eq(a, b) ((a) == (b))
#define COND_ne(a, b) ((a) != (b))
#define COND_ltu(a, b) ((a) < (b))
#define COND_geu(a, b) ((a) >= (b))
#define COND_leu(a, b) ((a) <= (b))
#define COND_gtu(a, b) ((a) > (b))
#define COND_lt_i32(a, b) ((int32_t)(a) < (int32_t)(b))
#define COND_ge_i32(a, b) ((int32_t)(a) >= (int32_t)(b))
#define COND_le_i32(a, b) ((int32_t)(a) <= (int32_t)(b))
#define COND_gt_i32(a, b) ((int32_t)(a) > (int32_t)(b))
#define COND_lt_i64(a, b) ((int64_t)(a) < (int64_t)(b))
#define COND_ge_i64(a, b) ((int64_t)(a) >= (int64_t)(b))
#define COND_le_i64(a, b) ((int64_t)(a) <= (int64_t)(b))
#define COND_gt_i64(a, b) ((int64_t)(a) > (int64_t)(b))

#define FOR_EACH_COND(X)                                                                        \
    X(eq) X(ne) X(ltu) X(geu) X(leu) X(gtu) X(lt_i32) X(ge_i32) X(le_i32) X(gt_i32) X(lt_i64)  \
    X(ge_i64) X(le_i64) X(gt_i64)

/* ---- dispatch ---- */

#ifdef INTERP_THREADED
#define OP(name) L_##name:
#define DISPATCH() goto *dispatch[*ip]
#else
#define OP(name) case INTERP_##name:
#define DISPATCH() continue
#endif
#define NEXT(name)                                                                              \
    {                                                                                           \
        ip += INTERP_LEN_##name;                                                                \
        DISPATCH();                                                                             \
    }

/* operand k of the current instruction: a frame slot, or a 32-bit value over two units */
#define R(k) fr[ip[k]]
#define W(k, v) (fr[ip[k]] = (v))
#define U32(k) interp_u32(ip + (k))

/* d = f(a, b) and d = f(a) */
#define BINOP(name, expr)                                                                       \
    OP(name)                                                                                    \
    {                                                                                           \
        uint64_t a = R(2), b = R(3);                                                            \
        W(1, (expr));                                                                           \
        NEXT(name);                                                                             \
    }
#define UNOP(name, expr)                                                                        \
    OP(name)                                                                                    \
    {                                                                                           \
        uint64_t a = R(2);                                                                      \
        W(1, (expr));                                                                           \
        NEXT(name);                                                                             \
    }

/* host-memory load of type T at base + offset, result converted by EXT */
#define LD(name, T, EXT)                                                                        \
    OP(name)                                                                                    \
    {                                                                                           \
        T v;                                                                                    \
        memcpy(&v, (const uint8_t *)(uintptr_t)R(2) + (int32_t)U32(3), sizeof(v));             \
        W(1, EXT(v));                                                                           \
        NEXT(name);                                                                             \
    }
#define ST(name, T)                                                                             \
    OP(name)                                                                                    \
    {                                                                                           \
        T v = (T)R(1);                                                                          \
        memcpy((uint8_t *)(uintptr_t)R(2) + (int32_t)U32(3), &v, sizeof(v));                   \
        NEXT(name);                                                                             \
    }

/* guest load of N bytes: TLB hit inline, else the slow path with the state made precise
   (cur_tb, insn_index); the slow path's value is already extended, EXT is idempotent on it.
   COUNT is 1 in the -stats variants (*_c), 0 elsewhere: those compile without the add. */
#define GLD(name, N, EXT, COUNT)                                                                \
    OP(name)                                                                                    \
    {                                                                                           \
        uint64_t addr = R(2), v;                                                                \
        void *host = tlb_probe(env, addr, ip[3], N, false);                                     \
        if (LIKELY(host != NULL)) {                                                             \
            env->tlb_hits += COUNT;                                                             \
            v = ld_le(host, N);                                                                 \
        } else {                                                                                \
            env->cur_tb = tb;                                                                   \
            env->insn_index = ip[4];                                                            \
            v = softmmu_ld_slow(env, addr, ip[3]);                                              \
        }                                                                                       \
        W(1, EXT(v));                                                                           \
        NEXT(name);                                                                             \
    }
#define GST(name, N, COUNT)                                                                     \
    OP(name)                                                                                    \
    {                                                                                           \
        uint64_t val = R(1), addr = R(2);                                                       \
        void *host = tlb_probe(env, addr, ip[3], N, true);                                      \
        if (LIKELY(host != NULL)) {                                                             \
            env->tlb_hits += COUNT;                                                             \
            st_le(host, val, N);                                                                \
        } else {                                                                                \
            env->cur_tb = tb;                                                                   \
            env->insn_index = ip[4];                                                            \
            softmmu_st_slow(env, addr, val, ip[3]);                                             \
        }                                                                                       \
        NEXT(name);                                                                             \
    }

/* value extensions, to canonical slot values */
#define X_U64(v) ((uint64_t)(v))
#define X_U32(v) ((uint64_t)(uint32_t)(v))
#define X_U16(v) ((uint64_t)(uint16_t)(v))
#define X_U8(v) ((uint64_t)(uint8_t)(v))
#define X_S8_32(v) ((uint64_t)(uint32_t)(int32_t)(int8_t)(v))
#define X_S8_64(v) ((uint64_t)(int64_t)(int8_t)(v))
#define X_S16_32(v) ((uint64_t)(uint32_t)(int32_t)(int16_t)(v))
#define X_S16_64(v) ((uint64_t)(int64_t)(int16_t)(v))
#define X_S32_64(v) ((uint64_t)(int64_t)(int32_t)(v))

/* Right shifts of negative values are arithmetic with every compiler xlat supports (GCC and
   Clang document it); the IR's sar relies on it. */
static inline uint64_t sar64(uint64_t a, unsigned c)
{
    return (uint64_t)((int64_t)a >> c);
}

static inline uint64_t sar32(uint64_t a, unsigned c)
{
    return (uint32_t)((int32_t)(uint32_t)a >> c);
}

static inline uint64_t rotl64(uint64_t a, unsigned c)
{
    return (a << c) | (a >> ((64 - c) & 63));
}

static inline uint64_t rotl32(uint64_t a, unsigned c)
{
    uint32_t x = (uint32_t)a;
    return (uint32_t)((x << c) | (x >> ((32 - c) & 31)));
}

uintptr_t interp_exec(TCGContext *s, void *env_ptr, TranslationBlock *tb)
{
    CPUCommon *env = env_ptr;
    const uint16_t *code, *ip;
    uint64_t *fr;
#ifdef INTERP_THREADED
    static const void *const dispatch[INTERP_NB_OPS] = {
#define INTERP_OP(name, units, operands) [INTERP_##name] = &&L_##name,
#include "tcg/interp/interp-ops.def"
#undef INTERP_OP
    };
#endif
    (void)s;

enter_tb:
    /* the instruction budget (DESIGN.md, time): charged at entry; a block that would take it
       below zero does not run */
    env->budget -= tb->icount;
    if (env->budget < 0) {
        env->budget += tb->icount;
        return (uintptr_t)tb | IR_EXIT_BUDGET;
    }
    {
        const InterpProg *p = tb->code;
        code = ip = interp_code(p);
        fr = interp_frame(p);
    }
    fr[INTERP_SLOT_ENV] = (uintptr_t)env;

#ifdef INTERP_THREADED
    DISPATCH();
#else
    for (;;) {
        switch ((InterpOpcode)*ip) {
#endif

    OP(unreachable)
    {
        fprintf(stderr, "xlat: interp: fell off the end of the block at pc 0x%llx\n",
                (unsigned long long)tb->pc);
        abort();
    }

    /* ---- control ---- */
    OP(br)
    {
        ip = code + U32(1);
        DISPATCH();
    }
    OP(goto_tb)
    {
        TranslationBlock *next = tb->jmp_dest[ip[1]];
        if (next) {
            tb = next;
            goto enter_tb;
        }
        /* unchained: the exit_tb that follows returns to the loop, which chains it */
        NEXT(goto_tb);
    }
    OP(exit_tb)
    {
        return (uintptr_t)tb | ip[1];
    }
    OP(lookup_and_goto)
    {
        TranslationBlock *next = tcg_lookup_tb_for_jump(env);
        if (!next) {
            return (uintptr_t)tb | IR_EXIT_NOCHAIN;
        }
        tb = next;
        goto enter_tb;
    }
    OP(call)
    {
        unsigned nargs = ip[1];
        const IRHelper *h = (const IRHelper *)(uintptr_t)R(2);
        if (ip[4] != INTERP_NO_INSN) {
            /* the helper may raise: make the fault precise */
            env->cur_tb = tb;
            env->insn_index = ip[4];
        }
        interp_helper_call(h, fr, ip + INTERP_LEN_call, ip[3]);
        ip += INTERP_LEN_call + nargs;
        DISPATCH();
    }

    OP(chk_gtu)
    {
        if ((uint32_t)(R(1) + ip[3]) > (uint32_t)R(2)) {
            const IRHelper *h = (const IRHelper *)(uintptr_t)R(4);
            env->cur_tb = tb;
            env->insn_index = ip[6];
            ((void (*)(void *, uint32_t, uint32_t))h->func)(env, (uint32_t)R(5), (uint32_t)R(1));
        }
        NEXT(chk_gtu);
    }

    /* ---- globals: env + offset ---- */
    OP(ldg32)
    {
        uint32_t v;
        memcpy(&v, (const uint8_t *)env + (int32_t)U32(2), 4);
        W(1, v);
        NEXT(ldg32);
    }
    OP(ldg64)
    {
        uint64_t v;
        memcpy(&v, (const uint8_t *)env + (int32_t)U32(2), 8);
        W(1, v);
        NEXT(ldg64);
    }
    OP(stg32)
    {
        uint32_t v = (uint32_t)R(1);
        memcpy((uint8_t *)env + (int32_t)U32(2), &v, 4);
        NEXT(stg32);
    }
    OP(stg64)
    {
        uint64_t v = R(1);
        memcpy((uint8_t *)env + (int32_t)U32(2), &v, 8);
        NEXT(stg64);
    }

    /* ---- arithmetic ---- */
    UNOP(mov, a)
    BINOP(add_i32, (uint32_t)(a + b))
    BINOP(add_i64, a + b)
    BINOP(sub_i32, (uint32_t)(a - b))
    BINOP(sub_i64, a - b)
    BINOP(mul_i32, (uint32_t)(a * b))
    BINOP(mul_i64, a * b)
    BINOP(and, a & b)
    BINOP(or, a | b)
    BINOP(xor, a ^ b)
    BINOP(andc, a & ~b)
    /* shift counts are taken modulo the width (ir-ops.def) */
    BINOP(shl_i32, (uint32_t)(a << (b & 31)))
    BINOP(shl_i64, a << (b & 63))
    BINOP(shr_i32, a >> (b & 31))
    BINOP(shr_i64, a >> (b & 63))
    BINOP(sar_i32, sar32(a, b & 31))
    BINOP(sar_i64, sar64(a, b & 63))
    BINOP(rotl_i32, rotl32(a, b & 31))
    BINOP(rotl_i64, rotl64(a, b & 63))
    BINOP(rotr_i32, rotl32(a, (32 - b) & 31))
    BINOP(rotr_i64, rotl64(a, (64 - b) & 63))
    UNOP(neg_i32, (uint32_t)-a)
    UNOP(neg_i64, -a)
    UNOP(not_i32, (uint32_t)~a)
    UNOP(not_i64, ~a)

    OP(mulu2_i32)
    {
        uint64_t p = R(3) * R(4);
        W(1, (uint32_t)p);
        W(2, p >> 32);
        NEXT(mulu2_i32);
    }
    OP(muls2_i32)
    {
        uint64_t p = (uint64_t)((int64_t)(int32_t)R(3) * (int32_t)R(4));
        W(1, (uint32_t)p);
        W(2, p >> 32);
        NEXT(muls2_i32);
    }
    OP(mulu2_i64)
    {
        uint64_t lo, hi;
        mulu64(R(3), R(4), &lo, &hi);
        W(1, lo);
        W(2, hi);
        NEXT(mulu2_i64);
    }
    OP(muls2_i64)
    {
        uint64_t lo, hi;
        muls64(R(3), R(4), &lo, &hi);
        W(1, lo);
        W(2, hi);
        NEXT(muls2_i64);
    }

    UNOP(ext8s_i32, X_S8_32(a))
    UNOP(ext8s_i64, X_S8_64(a))
    UNOP(ext8u, X_U8(a))
    UNOP(ext16s_i32, X_S16_32(a))
    UNOP(ext16s_i64, X_S16_64(a))
    UNOP(ext16u, X_U16(a))
    UNOP(ext32s, X_S32_64(a))
    UNOP(ext32u, X_U32(a))
    UNOP(extrh, a >> 32)

    /* ---- bit fields: pos + len <= width, len >= 1 (checked by gen.c) ---- */
    OP(deposit)
    {
        uint64_t a = R(2), b = R(3);
        unsigned pos = ip[4], len = ip[5];
        uint64_t m = (~(uint64_t)0 >> (64 - len)) << pos;
        W(1, (a & ~m) | ((b << pos) & m));
        NEXT(deposit);
    }
    OP(extract)
    {
        unsigned pos = ip[3], len = ip[4];
        W(1, (R(2) << (64 - pos - len)) >> (64 - len));
        NEXT(extract);
    }
    OP(sextract_i32)
    {
        unsigned pos = ip[3], len = ip[4];
        W(1, (uint32_t)sar64(R(2) << (64 - pos - len), 64 - len));
        NEXT(sextract_i32);
    }
    OP(sextract_i64)
    {
        unsigned pos = ip[3], len = ip[4];
        W(1, sar64(R(2) << (64 - pos - len), 64 - len));
        NEXT(sextract_i64);
    }

    /* ---- conditions ---- */
#define SETCOND(cc) BINOP(setcond_##cc, (uint64_t)COND_##cc(a, b))
    FOR_EACH_COND(SETCOND)
#undef SETCOND

#define MOVCOND(cc)                                                                             \
    OP(movcond_##cc)                                                                            \
    {                                                                                           \
        W(1, COND_##cc(R(2), R(3)) ? R(4) : R(5));                                              \
        NEXT(movcond_##cc);                                                                     \
    }
    FOR_EACH_COND(MOVCOND)
#undef MOVCOND

#define BRCOND(cc)                                                                              \
    OP(brcond_##cc)                                                                             \
    {                                                                                           \
        if (COND_##cc(R(1), R(2))) {                                                            \
            ip = code + U32(3);                                                                 \
            DISPATCH();                                                                         \
        }                                                                                       \
        NEXT(brcond_##cc);                                                                      \
    }
    FOR_EACH_COND(BRCOND)
#undef BRCOND

    /* ---- host memory ---- */
    LD(ld_u8, uint8_t, X_U64)
    LD(ld_s8_i32, uint8_t, X_S8_32)
    LD(ld_s8_i64, uint8_t, X_S8_64)
    LD(ld_u16, uint16_t, X_U64)
    LD(ld_s16_i32, uint16_t, X_S16_32)
    LD(ld_s16_i64, uint16_t, X_S16_64)
    LD(ld_u32, uint32_t, X_U64)
    LD(ld_s32_i64, uint32_t, X_S32_64)
    LD(ld_64, uint64_t, X_U64)
    ST(st_8, uint8_t)
    ST(st_16, uint16_t)
    ST(st_32, uint32_t)
    ST(st_64, uint64_t)

    /* ---- guest memory ---- */
    GLD(gld_u8, 1, X_U8, 0)
    GLD(gld_s8_i32, 1, X_S8_32, 0)
    GLD(gld_s8_i64, 1, X_S8_64, 0)
    GLD(gld_u16, 2, X_U16, 0)
    GLD(gld_s16_i32, 2, X_S16_32, 0)
    GLD(gld_s16_i64, 2, X_S16_64, 0)
    GLD(gld_u32, 4, X_U32, 0)
    GLD(gld_s32_i64, 4, X_S32_64, 0)
    GLD(gld_64, 8, X_U64, 0)
    GST(gst_8, 1, 0)
    GST(gst_16, 2, 0)
    GST(gst_32, 4, 0)
    GST(gst_64, 8, 0)
    GLD(gld_u8_c, 1, X_U8, 1)
    GLD(gld_s8_i32_c, 1, X_S8_32, 1)
    GLD(gld_s8_i64_c, 1, X_S8_64, 1)
    GLD(gld_u16_c, 2, X_U16, 1)
    GLD(gld_s16_i32_c, 2, X_S16_32, 1)
    GLD(gld_s16_i64_c, 2, X_S16_64, 1)
    GLD(gld_u32_c, 4, X_U32, 1)
    GLD(gld_s32_i64_c, 4, X_S32_64, 1)
    GLD(gld_64_c, 8, X_U64, 1)
    GST(gst_8_c, 1, 1)
    GST(gst_16_c, 2, 1)
    GST(gst_32_c, 4, 1)
    GST(gst_64_c, 8, 1)

#ifndef INTERP_THREADED
        default:
            break;
        }
        fprintf(stderr, "xlat: interp: bad opcode %u\n", *ip);
        abort();
    }
#endif
}
