/*
 * tests/unit/test_x86_64_backend.c — the x86-64 JIT backend (tcg/x86_64/) on hand-built IR.
 *
 * Each test builds a small IRFunc over a test CPU state (a CPUCommon followed by i64 and i32
 * fields that are declared as globals), compiles it with backend_x86_64, runs it through the
 * prologue and compares the fields with the same computation done in C on the host. The shapes
 * vary where operands live (globals in memory, globals cached and modified in place, normal
 * temps that die or stay live, constants) because each takes a different path through the
 * register allocator. Semantics are those of tcg/ir-ops.def (shift counts modulo the width,
 * i32 values are their low 32 bits).
 *
 * Guest-memory fast paths run against TLB entries filled by hand (addend pointing at a host
 * buffer). The slow paths need the softmmu of a real Machine: those tests (TCase "slow") build
 * one with machine_create(accel "jit") and use its RAM, TLB and statistics.
 * test_random_programs compares random IR programs (pressure, calls, guest memory, branches
 * over local temps) with a small evaluator of its own; the encoder is checked form by form
 * against Capstone's decoding (TCase "encoder").
 *
 * Knobs: XLAT_TEST_PROGRAMS=N (random programs, default 400), XLAT_TEST_DUMP=1 (print each
 * random program's IR), XLAT_TEST_VERBOSE=1 (print the disassembled load fast path).
 */
#include <check.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tcg/tcg.h"

#ifdef CONFIG_HOST_X86_64
#include "softmmu/machine.h"

#define NQ 32 /* i64 globals q[0..NQ) */
#define ND 32 /* i32 globals d[0..ND) */

typedef struct TestCPU {
    CPUCommon common;
    uint64_t q[NQ];
    uint32_t d[ND];
    uint64_t scratch[8]; /* host memory for ld/st, not globals */
    uint64_t next_pc;    /* the key tcg_lookup_tb_for_jump asks the frontend for */
} TestCPU;

static TCGContext ctx;
static TestCPU *cpu;
static IRFunc f;
static int gq[NQ], gd[ND];

#define NB_TBS 16
static TranslationBlock tbs[NB_TBS];
static int tb_next;

static void fe_key(CPUCommon *env, uint64_t *pc, uint64_t *phys_pc, uint64_t *cs_base,
                   uint32_t *flags)
{
    *pc = ((TestCPU *)env)->next_pc;
    *phys_pc = *pc;
    *cs_base = 0;
    *flags = 0;
}

static const TCGFrontend test_fe = {.get_tb_key = fe_key};

static void setup(void)
{
    ck_assert_int_eq(tcg_init(&ctx, &backend_x86_64, &test_fe, 32u << 20), 0);
    cpu = aligned_alloc(64, (sizeof(TestCPU) + 63) & ~(size_t)63);
    memset(cpu, 0, sizeof(*cpu));
    memset(cpu->common.tlb, 0xff, sizeof(cpu->common.tlb)); /* TLB_INVALID everywhere */
    cpu->common.tcg = &ctx;
    ir_func_init(&f);
    static char names[NQ + ND][8];
    for (int i = 0; i < NQ; i++) {
        snprintf(names[i], 8, "q%d", i);
        gq[i] = ir_global(&f, IR_I64, (int32_t)offsetof(TestCPU, q[i]), names[i]);
    }
    for (int i = 0; i < ND; i++) {
        snprintf(names[NQ + i], 8, "d%d", i);
        gd[i] = ir_global(&f, IR_I32, (int32_t)offsetof(TestCPU, d[i]), names[NQ + i]);
    }
    tb_next = 0;
}

static void teardown(void)
{
    ir_func_free(&f);
    tcg_free(&ctx);
    free(cpu);
}

/* ---- building and running ---- */

static void begin(void)
{
    ir_func_reset(&f);
}

static TranslationBlock *compile_icount(uint32_t icount)
{
    TranslationBlock *tb = &tbs[tb_next++ % NB_TBS];
    memset(tb, 0, sizeof(*tb));
    tb->icount = icount;
    if (backend_x86_64.gen_code(&ctx, &f, tb) < 0) {
        tcg_flush(&ctx); /* the cache is full: start over, like the engine */
        ck_assert_int_eq(backend_x86_64.gen_code(&ctx, &f, tb), 0);
    }
    ck_assert_int_eq((uintptr_t)tb->code % 16, 0);
    return tb;
}

static TranslationBlock *compile(void)
{
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    return compile_icount(1);
}

static void run(TranslationBlock *tb)
{
    cpu->common.budget = 1000;
    uintptr_t r = backend_x86_64.exec(&ctx, cpu, tb);
    ck_assert_uint_eq(r, (uintptr_t)tb | IR_EXIT_NOCHAIN);
    ck_assert_int_eq(cpu->common.budget, 1000 - (int64_t)tb->icount);
}

static int G(IRType t, int i) { return t == IR_I64 ? gq[i] : gd[i]; }
static int T(IRType t) { return ir_temp_new(&f, t); }
static int C(IRType t, int64_t v) { return ir_const(&f, t, v); }

static void set_g(IRType t, int i, uint64_t v)
{
    if (t == IR_I64) {
        cpu->q[i] = v;
    } else {
        cpu->d[i] = (uint32_t)v;
    }
}

static uint64_t get_g(IRType t, int i) { return t == IR_I64 ? cpu->q[i] : cpu->d[i]; }
static uint64_t tmask(IRType t) { return t == IR_I64 ? ~0ull : 0xffffffffull; }
static int64_t sext_t(IRType t, uint64_t v) { return t == IR_I64 ? (int64_t)v : (int32_t)v; }
static unsigned width(IRType t) { return t == IR_I64 ? 64 : 32; }

static const uint64_t vals[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 31, 32, 33, 63, 64,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
    0x123456789abcdef0ull, 0xfedcba9876543210ull, 0xffffffff80000000ull,
};
#define NVALS ((int)(sizeof(vals) / sizeof(vals[0])))

/* ---- reference semantics ---- */

static uint64_t ref_bin(IROpcode opc, IRType t, uint64_t a, uint64_t b)
{
    unsigned w = width(t);
    uint64_t m = tmask(t);
    a &= m;
    b &= m;
    unsigned n = (unsigned)(b & (w - 1));
    uint64_t r = 0;
    switch (opc) {
    case IR_add: r = a + b; break;
    case IR_sub: r = a - b; break;
    case IR_mul: r = a * b; break;
    case IR_and: r = a & b; break;
    case IR_or: r = a | b; break;
    case IR_xor: r = a ^ b; break;
    case IR_andc: r = a & ~b; break;
    case IR_shl: r = a << n; break;
    case IR_shr: r = a >> n; break;
    case IR_sar: r = (uint64_t)(sext_t(t, a) >> n); break;
    case IR_rotl: r = n ? (a << n) | (a >> (w - n)) : a; break;
    case IR_rotr: r = n ? (a >> n) | (a << (w - n)) : a; break;
    default: ck_abort_msg("bad op");
    }
    return r & m;
}

static uint64_t ref_unary(IROpcode opc, IRType t, uint64_t a)
{
    uint64_t m = tmask(t);
    switch (opc) {
    case IR_neg: return (0 - a) & m;
    case IR_not: return ~a & m;
    case IR_ext8s: return (uint64_t)(int64_t)(int8_t)a & m;
    case IR_ext8u: return a & 0xff;
    case IR_ext16s: return (uint64_t)(int64_t)(int16_t)a & m;
    case IR_ext16u: return a & 0xffff;
    case IR_ext32s: return (uint64_t)(int64_t)(int32_t)a;
    case IR_ext32u: return a & 0xffffffff;
    default: ck_abort_msg("bad op");
    }
    return 0;
}

/* ---- binary ops ---- */

static const IROpcode binops[] = {IR_add, IR_sub, IR_mul, IR_and, IR_or, IR_xor, IR_andc,
                                  IR_shl, IR_shr, IR_sar, IR_rotl, IR_rotr};
#define NBINOPS ((int)(sizeof(binops) / sizeof(binops[0])))

enum {
    SH_GLOBALS,    /* g2 = op g0, g1 */
    SH_INPLACE,    /* g0 = op g0, g1 */
    SH_OUT_IS_B,   /* g1 = op g0, g1 */
    SH_DYING,      /* t0 = g0; t1 = g1; t2 = op t0, t1; g2 = t2; q3 = extu(t2) for i32 */
    SH_LIVE,       /* as DYING, and then g3 = t0; g4 = t1 */
    SH_SAME,       /* t0 = g0; t2 = op t0, t0; g2 = t2 */
    SH_NB
};

static void build_bin(IROpcode opc, IRType t, int shape)
{
    begin();
    int t0 = T(t), t1 = T(t), t2 = T(t);
    switch (shape) {
    case SH_GLOBALS:
        ir_emit_binop(&f, opc, t, G(t, 2), G(t, 0), G(t, 1));
        break;
    case SH_INPLACE:
        ir_emit_binop(&f, opc, t, G(t, 0), G(t, 0), G(t, 1));
        break;
    case SH_OUT_IS_B:
        ir_emit_binop(&f, opc, t, G(t, 1), G(t, 0), G(t, 1));
        break;
    case SH_DYING:
    case SH_LIVE:
        ir_emit_mov(&f, t, t0, G(t, 0));
        ir_emit_mov(&f, t, t1, G(t, 1));
        ir_emit_binop(&f, opc, t, t2, t0, t1);
        ir_emit_mov(&f, t, G(t, 2), t2);
        if (t == IR_I32) {
            int w = T(IR_I64);
            ir_emit_unop(&f, IR_extu_i32_i64, IR_I64, w, t2);
            ir_emit_mov(&f, IR_I64, gq[3], w);
        }
        if (shape == SH_LIVE) {
            ir_emit_mov(&f, t, G(t, 3), t0);
            ir_emit_mov(&f, t, G(t, 4), t1);
        }
        break;
    case SH_SAME:
        ir_emit_mov(&f, t, t0, G(t, 0));
        ir_emit_binop(&f, opc, t, t2, t0, t0);
        ir_emit_mov(&f, t, G(t, 2), t2);
        break;
    }
}

static void check_bin_shape(IROpcode opc, IRType t, int shape)
{
    build_bin(opc, t, shape);
    TranslationBlock *tb = compile();
    for (int i = 0; i < NVALS; i++) {
        for (int j = 0; j < NVALS; j++) {
            uint64_t a = vals[i] & tmask(t), b = vals[j] & tmask(t);
            memset(cpu->q, 0, sizeof(cpu->q));
            memset(cpu->d, 0, sizeof(cpu->d));
            set_g(t, 0, a);
            set_g(t, 1, b);
            run(tb);
            uint64_t want = ref_bin(opc, t, a, shape == SH_SAME ? a : b);
            int out = shape == SH_INPLACE ? 0 : shape == SH_OUT_IS_B ? 1 : 2;
            ck_assert_msg(get_g(t, out) == want, "%s_%s shape %d: %#" PRIx64 ", %#" PRIx64
                          " -> %#" PRIx64 ", want %#" PRIx64, ir_op_defs[opc].name,
                          t == IR_I64 ? "i64" : "i32", shape, a, b, get_g(t, out), want);
            if ((shape == SH_DYING || shape == SH_LIVE) && t == IR_I32) {
                ck_assert_msg(cpu->q[3] == want, "%s_i32: upper half not clear: %#" PRIx64,
                              ir_op_defs[opc].name, cpu->q[3]);
            }
            if (shape == SH_LIVE) {
                ck_assert_uint_eq(get_g(t, 3), a);
                ck_assert_uint_eq(get_g(t, 4), b);
            }
            if (shape == SH_GLOBALS) {
                ck_assert_uint_eq(get_g(t, 0), a); /* inputs untouched */
                ck_assert_uint_eq(get_g(t, 1), b);
            }
        }
    }
}

/* one operand constant: g2 = op g0, $c (or op $c, g1); and through a dying temp */
static void check_bin_const(IROpcode opc, IRType t, bool const_first, bool via_temp)
{
    for (int k = 0; k < NVALS; k++) {
        uint64_t cv = vals[k] & tmask(t);
        begin();
        int x = G(t, const_first ? 1 : 0);
        if (via_temp) {
            int tx = T(t);
            ir_emit_mov(&f, t, tx, x);
            x = tx;
        }
        int dst = via_temp ? T(t) : G(t, 2);
        if (const_first) {
            ir_emit_binop(&f, opc, t, dst, C(t, (int64_t)cv), x);
        } else {
            ir_emit_binop(&f, opc, t, dst, x, C(t, (int64_t)cv));
        }
        if (via_temp) {
            ir_emit_mov(&f, t, G(t, 2), dst);
        }
        TranslationBlock *tb = compile();
        for (int i = 0; i < NVALS; i++) {
            uint64_t v = vals[i] & tmask(t);
            set_g(t, 0, v);
            set_g(t, 1, v);
            set_g(t, 2, 0x5555);
            run(tb);
            uint64_t want = const_first ? ref_bin(opc, t, cv, v) : ref_bin(opc, t, v, cv);
            ck_assert_msg(get_g(t, 2) == want, "%s_%s const%s %#" PRIx64 " with %#" PRIx64
                          " -> %#" PRIx64 ", want %#" PRIx64, ir_op_defs[opc].name,
                          t == IR_I64 ? "i64" : "i32", const_first ? "-first" : "", cv, v,
                          get_g(t, 2), want);
        }
    }
}

START_TEST(test_binops)
{
    for (int o = 0; o < NBINOPS; o++) {
        for (int ti = 0; ti < 2; ti++) {
            IRType t = ti ? IR_I64 : IR_I32;
            for (int sh = 0; sh < SH_NB; sh++) {
                check_bin_shape(binops[o], t, sh);
            }
        }
    }
}
END_TEST

START_TEST(test_binops_const)
{
    for (int o = 0; o < NBINOPS; o++) {
        for (int ti = 0; ti < 2; ti++) {
            IRType t = ti ? IR_I64 : IR_I32;
            check_bin_const(binops[o], t, false, false);
            check_bin_const(binops[o], t, true, false);
            check_bin_const(binops[o], t, false, true);
        }
    }
}
END_TEST

/* ---- unary ops and type changes ---- */

START_TEST(test_unary)
{
    static const IROpcode ops[] = {IR_neg, IR_not, IR_ext8s, IR_ext8u, IR_ext16s, IR_ext16u,
                                   IR_ext32s, IR_ext32u};
    for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        for (int ti = 0; ti < 2; ti++) {
            IRType t = ti ? IR_I64 : IR_I32;
            if ((ops[o] == IR_ext32s || ops[o] == IR_ext32u) && t == IR_I32) {
                continue;
            }
            for (int shape = 0; shape < 4; shape++) {
                begin();
                int t0 = T(t), t1 = T(t);
                switch (shape) {
                case 0: /* globals */
                    ir_emit_unop(&f, ops[o], t, G(t, 1), G(t, 0));
                    break;
                case 1: /* in place */
                    ir_emit_unop(&f, ops[o], t, G(t, 0), G(t, 0));
                    break;
                default: /* temps, dying (2) or live (3) */
                    ir_emit_mov(&f, t, t0, G(t, 0));
                    ir_emit_unop(&f, ops[o], t, t1, t0);
                    ir_emit_mov(&f, t, G(t, 1), t1);
                    if (t == IR_I32) {
                        int w = T(IR_I64);
                        ir_emit_unop(&f, IR_extu_i32_i64, IR_I64, w, t1);
                        ir_emit_mov(&f, IR_I64, gq[3], w);
                    }
                    if (shape == 3) {
                        ir_emit_mov(&f, t, G(t, 2), t0);
                    }
                    break;
                }
                TranslationBlock *tb = compile();
                for (int i = 0; i < NVALS; i++) {
                    uint64_t a = vals[i] & tmask(t);
                    set_g(t, 0, a);
                    run(tb);
                    uint64_t want = ref_unary(ops[o], t, a);
                    int out = shape == 1 ? 0 : 1;
                    ck_assert_msg(get_g(t, out) == want, "%s shape %d: %#" PRIx64 " -> %#" PRIx64
                                  ", want %#" PRIx64, ir_op_defs[ops[o]].name, shape, a,
                                  get_g(t, out), want);
                    if (shape >= 2 && t == IR_I32) {
                        ck_assert_uint_eq(cpu->q[3], want);
                    }
                    if (shape == 3) {
                        ck_assert_uint_eq(get_g(t, 2), a);
                    }
                }
            }
        }
    }
}
END_TEST

START_TEST(test_type_changes)
{
    static const IROpcode ops[] = {IR_ext_i32_i64, IR_extu_i32_i64, IR_extrl_i64_i32,
                                   IR_extrh_i64_i32};
    for (unsigned o = 0; o < 4; o++) {
        IRType ti = o < 2 ? IR_I32 : IR_I64, to = o < 2 ? IR_I64 : IR_I32;
        for (int shape = 0; shape < 3; shape++) {
            begin();
            int t0 = T(ti), t1 = T(to);
            if (shape == 0) {
                ir_emit_unop(&f, ops[o], to, G(to, 1), G(ti, 0));
            } else {
                ir_emit_mov(&f, ti, t0, G(ti, 0));
                ir_emit_unop(&f, ops[o], to, t1, t0);
                ir_emit_mov(&f, to, G(to, 1), t1);
                if (to == IR_I32) {
                    int w = T(IR_I64);
                    ir_emit_unop(&f, IR_extu_i32_i64, IR_I64, w, t1);
                    ir_emit_mov(&f, IR_I64, gq[3], w);
                }
                if (shape == 2) {
                    ir_emit_mov(&f, ti, G(ti, 2), t0);
                }
            }
            TranslationBlock *tb = compile();
            for (int i = 0; i < NVALS; i++) {
                uint64_t a = vals[i] & tmask(ti);
                set_g(ti, 0, a);
                run(tb);
                uint64_t want;
                switch (ops[o]) {
                case IR_ext_i32_i64: want = (uint64_t)(int64_t)(int32_t)a; break;
                case IR_extu_i32_i64: want = a; break;
                case IR_extrl_i64_i32: want = a & 0xffffffff; break;
                default: want = a >> 32; break;
                }
                ck_assert_msg(get_g(to, 1) == want, "%s shape %d: %#" PRIx64 " -> %#" PRIx64,
                              ir_op_defs[ops[o]].name, shape, a, get_g(to, 1));
                if (shape && to == IR_I32) {
                    ck_assert_uint_eq(cpu->q[3], want);
                }
                if (shape == 2) {
                    ck_assert_uint_eq(get_g(ti, 2), a);
                }
            }
        }
    }
}
END_TEST

/* ---- double-width multiplies ---- */

START_TEST(test_mul2)
{
    for (int sgn = 0; sgn < 2; sgn++) {
        for (int ti = 0; ti < 2; ti++) {
            IRType t = ti ? IR_I64 : IR_I32;
            IROpcode opc = sgn ? IR_muls2 : IR_mulu2;
            for (int shape = 0; shape < 4; shape++) {
                begin();
                int t0 = T(t), t1 = T(t), lo = T(t), hi = T(t);
                switch (shape) {
                case 0:
                    ir_emit_mul2(&f, opc, t, G(t, 2), G(t, 3), G(t, 0), G(t, 1));
                    break;
                case 1: /* outputs overwrite the inputs */
                    ir_emit_mul2(&f, opc, t, G(t, 0), G(t, 1), G(t, 0), G(t, 1));
                    break;
                case 2: /* dying temps */
                    ir_emit_mov(&f, t, t0, G(t, 0));
                    ir_emit_mov(&f, t, t1, G(t, 1));
                    ir_emit_mul2(&f, opc, t, lo, hi, t0, t1);
                    ir_emit_mov(&f, t, G(t, 2), lo);
                    ir_emit_mov(&f, t, G(t, 3), hi);
                    break;
                default: /* live temps, and the square of one */
                    ir_emit_mov(&f, t, t0, G(t, 0));
                    ir_emit_mov(&f, t, t1, G(t, 1));
                    ir_emit_mul2(&f, opc, t, lo, hi, t0, t1);
                    ir_emit_mov(&f, t, G(t, 2), lo);
                    ir_emit_mov(&f, t, G(t, 3), hi);
                    ir_emit_mov(&f, t, G(t, 4), t0);
                    ir_emit_mov(&f, t, G(t, 5), t1);
                    break;
                }
                TranslationBlock *tb = compile();
                for (int i = 0; i < NVALS; i++) {
                    for (int j = 0; j < NVALS; j++) {
                        uint64_t a = vals[i] & tmask(t), b = vals[j] & tmask(t);
                        set_g(t, 0, a);
                        set_g(t, 1, b);
                        run(tb);
                        uint64_t wlo, whi;
                        if (t == IR_I64) {
                            unsigned __int128 p = sgn ? (unsigned __int128)((__int128)(int64_t)a *
                                                                            (int64_t)b)
                                                      : (unsigned __int128)a * b;
                            wlo = (uint64_t)p;
                            whi = (uint64_t)(p >> 64);
                        } else {
                            uint64_t p = sgn ? (uint64_t)((int64_t)(int32_t)a * (int32_t)b)
                                             : a * b;
                            wlo = p & 0xffffffff;
                            whi = p >> 32 & 0xffffffff;
                        }
                        int olo = shape == 1 ? 0 : 2, ohi = shape == 1 ? 1 : 3;
                        ck_assert_msg(get_g(t, olo) == wlo && get_g(t, ohi) == whi,
                                      "%s shape %d %#" PRIx64 " * %#" PRIx64, ir_op_defs[opc].name,
                                      shape, a, b);
                        if (shape == 3) {
                            ck_assert_uint_eq(get_g(t, 4), a);
                            ck_assert_uint_eq(get_g(t, 5), b);
                        }
                    }
                }
            }
        }
    }
}
END_TEST

/* ---- bit fields ---- */

static uint64_t field_mask(unsigned len) { return len == 64 ? ~0ull : (1ull << len) - 1; }

START_TEST(test_deposit)
{
    static const uint64_t pairs[][2] = {
        {0, ~0ull}, {~0ull, 0}, {0x123456789abcdef0ull, 0xfedcba9876543210ull},
    };
    for (int ti = 0; ti < 2; ti++) {
        IRType t = ti ? IR_I64 : IR_I32;
        unsigned w = width(t);
        for (unsigned pos = 0; pos < w; pos++) {
            for (unsigned len = 1; pos + len <= w; len++) {
                for (int shape = 0; shape < 3; shape++) {
                    begin();
                    if (shape == 0) {
                        ir_emit_deposit(&f, t, G(t, 2), G(t, 0), G(t, 1), (int)pos, (int)len);
                    } else if (shape == 1) { /* dying temps, d reuses a */
                        int a = T(t), b = T(t), d = T(t);
                        ir_emit_mov(&f, t, a, G(t, 0));
                        ir_emit_mov(&f, t, b, G(t, 1));
                        ir_emit_deposit(&f, t, d, a, b, (int)pos, (int)len);
                        ir_emit_mov(&f, t, G(t, 2), d);
                    } else { /* constant field value */
                        ir_emit_deposit(&f, t, G(t, 2), G(t, 0), C(t, (int64_t)pairs[2][1]),
                                        (int)pos, (int)len);
                    }
                    TranslationBlock *tb = compile();
                    for (int k = 0; k < 3; k++) {
                        uint64_t a = pairs[k][0] & tmask(t);
                        uint64_t b = (shape == 2 ? pairs[2][1] : pairs[k][1]) & tmask(t);
                        set_g(t, 0, a);
                        set_g(t, 1, b);
                        run(tb);
                        uint64_t m = field_mask(len) << pos;
                        uint64_t want = ((a & ~m) | ((b << pos) & m)) & tmask(t);
                        ck_assert_msg(get_g(t, 2) == want, "deposit_%u pos %u len %u shape %d: "
                                      "%#" PRIx64 " want %#" PRIx64, w, pos, len, shape,
                                      get_g(t, 2), want);
                    }
                }
            }
        }
    }
}
END_TEST

START_TEST(test_extract)
{
    static const uint64_t avals[] = {0x123456789abcdef0ull, 0xfedcba9876543210ull, ~0ull,
                                     0x8000000080000000ull};
    for (int ti = 0; ti < 2; ti++) {
        IRType t = ti ? IR_I64 : IR_I32;
        unsigned w = width(t);
        for (int sign = 0; sign < 2; sign++) {
            for (unsigned pos = 0; pos < w; pos++) {
                for (unsigned len = 1; pos + len <= w; len++) {
                    for (int shape = 0; shape < 2; shape++) {
                        begin();
                        if (shape == 0) {
                            ir_emit_extract(&f, t, G(t, 1), G(t, 0), (int)pos, (int)len, sign);
                        } else { /* live input temp */
                            int a = T(t), d = T(t);
                            ir_emit_mov(&f, t, a, G(t, 0));
                            ir_emit_extract(&f, t, d, a, (int)pos, (int)len, sign);
                            ir_emit_mov(&f, t, G(t, 1), d);
                            ir_emit_mov(&f, t, G(t, 2), a);
                        }
                        TranslationBlock *tb = compile();
                        for (int k = 0; k < 4; k++) {
                            uint64_t a = avals[k] & tmask(t);
                            set_g(t, 0, a);
                            run(tb);
                            uint64_t v = (a >> pos) & field_mask(len);
                            if (sign && len < 64 && (v >> (len - 1) & 1)) {
                                v |= ~field_mask(len);
                            }
                            v &= tmask(t);
                            ck_assert_msg(get_g(t, 1) == v, "%sextract_%u pos %u len %u: %#" PRIx64
                                          " want %#" PRIx64, sign ? "s" : "", w, pos, len,
                                          get_g(t, 1), v);
                            if (shape == 1) {
                                ck_assert_uint_eq(get_g(t, 2), a);
                            }
                        }
                    }
                }
            }
        }
    }
}
END_TEST

/* ---- conditions ---- */

START_TEST(test_setcond)
{
    for (int ti = 0; ti < 2; ti++) {
        IRType t = ti ? IR_I64 : IR_I32;
        for (IRCond cond = IR_COND_NEVER; cond <= IR_COND_GTU; cond++) {
            for (int shape = 0; shape < 4; shape++) {
                int nconst = shape >= 2 ? NVALS : 1;
                for (int k = 0; k < nconst; k++) {
                    uint64_t cv = vals[k] & tmask(t);
                    begin();
                    int a = T(t), b = T(t), d = T(t);
                    switch (shape) {
                    case 0:
                        ir_emit_setcond(&f, t, cond, G(t, 2), G(t, 0), G(t, 1));
                        break;
                    case 1: /* dying temps: the result reuses a register */
                        ir_emit_mov(&f, t, a, G(t, 0));
                        ir_emit_mov(&f, t, b, G(t, 1));
                        ir_emit_setcond(&f, t, cond, d, a, b);
                        ir_emit_mov(&f, t, G(t, 2), d);
                        break;
                    case 2:
                        ir_emit_setcond(&f, t, cond, G(t, 2), G(t, 0), C(t, (int64_t)cv));
                        break;
                    default:
                        ir_emit_setcond(&f, t, cond, G(t, 2), C(t, (int64_t)cv), G(t, 1));
                        break;
                    }
                    TranslationBlock *tb = compile();
                    for (int i = 0; i < NVALS; i++) {
                        for (int j = 0; j < NVALS; j++) {
                            uint64_t x = vals[i] & tmask(t), y = vals[j] & tmask(t);
                            if (shape == 2) {
                                y = cv;
                            } else if (shape == 3) {
                                x = cv;
                            }
                            set_g(t, 0, x);
                            set_g(t, 1, y);
                            set_g(t, 2, 0x77);
                            run(tb);
                            uint64_t want = ir_cond_eval(cond, t, x, y);
                            ck_assert_msg(get_g(t, 2) == want, "setcond %s shape %d %#" PRIx64
                                          " %#" PRIx64, ir_cond_name(cond), shape, x, y);
                        }
                    }
                }
            }
        }
    }
}
END_TEST

START_TEST(test_movcond)
{
    for (int ti = 0; ti < 2; ti++) {
        IRType t = ti ? IR_I64 : IR_I32;
        for (IRCond cond = IR_COND_NEVER; cond <= IR_COND_GTU; cond++) {
            for (int shape = 0; shape < 4; shape++) {
                begin();
                int v1 = T(t), v2 = T(t), d = T(t);
                switch (shape) {
                case 0:
                    ir_emit_movcond(&f, t, cond, G(t, 4), G(t, 0), G(t, 1), G(t, 2), G(t, 3));
                    break;
                case 1: /* v2 dies: cmov into its register */
                    ir_emit_mov(&f, t, v1, G(t, 2));
                    ir_emit_mov(&f, t, v2, G(t, 3));
                    ir_emit_movcond(&f, t, cond, d, G(t, 0), G(t, 1), v1, v2);
                    ir_emit_mov(&f, t, G(t, 4), d);
                    ir_emit_mov(&f, t, G(t, 5), v1);
                    break;
                case 2: /* v1 dies: inverted condition */
                    ir_emit_mov(&f, t, v1, G(t, 2));
                    ir_emit_mov(&f, t, v2, G(t, 3));
                    ir_emit_movcond(&f, t, cond, d, G(t, 0), G(t, 1), v1, v2);
                    ir_emit_mov(&f, t, G(t, 4), d);
                    ir_emit_mov(&f, t, G(t, 5), v2);
                    break;
                default: /* constant comparand and value, in place */
                    ir_emit_movcond(&f, t, cond, G(t, 3), G(t, 0), C(t, 0x80), C(t, -5), G(t, 3));
                    break;
                }
                TranslationBlock *tb = compile();
                for (int i = 0; i < NVALS; i++) {
                    for (int j = 0; j < NVALS; j += 3) {
                        uint64_t x = vals[i] & tmask(t), y = vals[j] & tmask(t);
                        set_g(t, 0, x);
                        set_g(t, 1, y);
                        set_g(t, 2, 0x1111);
                        set_g(t, 3, 0x2222);
                        run(tb);
                        uint64_t want;
                        if (shape == 3) {
                            want = ir_cond_eval(cond, t, x, 0x80) ? (uint64_t)-5 & tmask(t)
                                                                  : 0x2222;
                            ck_assert_uint_eq(get_g(t, 3), want);
                            continue;
                        }
                        want = ir_cond_eval(cond, t, x, y) ? 0x1111 : 0x2222;
                        ck_assert_msg(get_g(t, 4) == want, "movcond %s shape %d",
                                      ir_cond_name(cond), shape);
                        if (shape == 1) {
                            ck_assert_uint_eq(get_g(t, 5), 0x1111);
                        } else if (shape == 2) {
                            ck_assert_uint_eq(get_g(t, 5), 0x2222);
                        }
                    }
                }
            }
        }
    }
}
END_TEST

START_TEST(test_brcond)
{
    for (int ti = 0; ti < 2; ti++) {
        IRType t = ti ? IR_I64 : IR_I32;
        for (IRCond cond = IR_COND_NEVER; cond <= IR_COND_GTU; cond++) {
            for (int shape = 0; shape < 3; shape++) {
                /* g2 = taken; the globals written before the branch must reach both edges */
                begin();
                int l1 = ir_label_new(&f), l2 = ir_label_new(&f);
                ir_emit_addi(&f, IR_I64, gq[10], gq[10], 1); /* dirty across the branch */
                if (shape == 0) {
                    ir_emit_brcond(&f, t, cond, G(t, 0), G(t, 1), l1);
                } else if (shape == 1) {
                    int a = T(t), b = T(t);
                    ir_emit_mov(&f, t, a, G(t, 0));
                    ir_emit_mov(&f, t, b, G(t, 1));
                    ir_emit_brcond(&f, t, cond, a, b, l1);
                } else {
                    ir_emit_brcond(&f, t, cond, G(t, 0), C(t, 0x80), l1);
                }
                ir_emit_movi(&f, IR_I64, gq[11], 0);
                ir_emit_br(&f, l2);
                ir_emit_label(&f, l1);
                ir_emit_movi(&f, IR_I64, gq[11], 1);
                ir_emit_label(&f, l2);
                ir_emit_addi(&f, IR_I64, gq[10], gq[10], 1);
                TranslationBlock *tb = compile();
                for (int i = 0; i < NVALS; i++) {
                    for (int j = 0; j < NVALS; j++) {
                        uint64_t x = vals[i] & tmask(t), y = vals[j] & tmask(t);
                        if (shape == 2) {
                            y = 0x80;
                        }
                        set_g(t, 0, x);
                        set_g(t, 1, y);
                        cpu->q[10] = 100;
                        cpu->q[11] = 7;
                        run(tb);
                        ck_assert_msg(cpu->q[11] == ir_cond_eval(cond, t, x, y),
                                      "brcond %s shape %d", ir_cond_name(cond), shape);
                        ck_assert_uint_eq(cpu->q[10], 102);
                    }
                }
            }
        }
    }
}
END_TEST

/* A loop over local temps: sum of 0..n-1, a global bumped every iteration, a normal temp used
   within each iteration only. */
START_TEST(test_loop_locals)
{
    begin();
    int i = ir_temp_local(&f, IR_I32), sum = ir_temp_local(&f, IR_I64);
    int top = ir_label_new(&f);
    ir_emit_movi(&f, IR_I32, i, 0);
    ir_emit_movi(&f, IR_I64, sum, 0);
    ir_emit_label(&f, top);
    int w = T(IR_I64);
    ir_emit_unop(&f, IR_extu_i32_i64, IR_I64, w, i);
    ir_emit_add(&f, IR_I64, sum, sum, w);
    ir_emit_addi(&f, IR_I64, gq[2], gq[2], 3);
    ir_emit_addi(&f, IR_I32, i, i, 1);
    ir_emit_brcond(&f, IR_I32, IR_COND_LTU, i, gd[0], top);
    ir_emit_mov(&f, IR_I64, gq[1], sum);
    ir_emit_mov(&f, IR_I32, gd[1], i);
    TranslationBlock *tb = compile();
    for (uint32_t n = 1; n < 2000; n += 37) {
        cpu->d[0] = n;
        cpu->q[2] = 5;
        run(tb);
        ck_assert_uint_eq(cpu->q[1], (uint64_t)n * (n - 1) / 2);
        ck_assert_uint_eq(cpu->d[1], n);
        ck_assert_uint_eq(cpu->q[2], 5 + 3ull * n);
    }
}
END_TEST

/* ---- register pressure ---- */

START_TEST(test_pressure)
{
    for (int ti = 0; ti < 2; ti++) {
        IRType t = ti ? IR_I64 : IR_I32;
        enum { N = 24 };
        begin();
        int x[N], u[N];
        for (int k = 0; k < N; k++) {
            x[k] = T(t);
            ir_emit_mov(&f, t, x[k], G(t, k));
        }
        /* every x stays live until the last u: 24 values in 14 registers */
        for (int k = 0; k < N; k++) {
            u[k] = T(t);
            ir_emit_binop(&f, IR_xor, t, u[k], x[k], x[(k + 1) % N]);
            ir_emit_binop(&f, IR_add, t, u[k], u[k], C(t, 0x123456789ll * (k + 1)));
        }
        int acc = T(t);
        ir_emit_movi(&f, t, acc, 0);
        for (int k = 0; k < N; k++) {
            int m = T(t);
            ir_emit_binop(&f, IR_mul, t, m, u[k], C(t, k + 1));
            ir_emit_binop(&f, IR_add, t, acc, acc, m);
        }
        ir_emit_mov(&f, t, G(t, N), acc);
        for (int k = 0; k < N; k++) {
            ir_emit_mov(&f, t, G(t, k), u[k]); /* the u are still live: written back last */
        }
        TranslationBlock *tb = compile();
        for (int rep = 0; rep < 3; rep++) {
            uint64_t in[N], uu[N], want = 0;
            for (int k = 0; k < N; k++) {
                in[k] = (vals[(k * 7 + rep) % NVALS] + (uint64_t)k * 0x9e3779b97f4a7c15ull) &
                        tmask(t);
                set_g(t, k, in[k]);
            }
            for (int k = 0; k < N; k++) {
                uu[k] = ((in[k] ^ in[(k + 1) % N]) + (uint64_t)(0x123456789ll * (k + 1))) &
                        tmask(t);
                want += uu[k] * (uint64_t)(k + 1);
            }
            run(tb);
            ck_assert_uint_eq(get_g(t, N), want & tmask(t));
            for (int k = 0; k < N; k++) {
                ck_assert_uint_eq(get_g(t, k), uu[k]);
            }
        }
    }
}
END_TEST

/* ---- helper calls ---- */

static uint64_t rec[8];
static int rec_calls;

static uint64_t h_args(uint64_t a, uint32_t b, uint64_t c, uint32_t d, uint64_t e, void *env)
{
    rec[0] = a;
    rec[1] = b;
    rec[2] = c;
    rec[3] = d;
    rec[4] = e;
    rec[5] = (uintptr_t)env;
    rec_calls++;
    return a + 2 * (uint64_t)b + 3 * c + 4 * (uint64_t)d + 5 * e;
}
static const IRHelper H_ARGS = {"args", (void *)h_args, IR_CALL_PURE & ~IR_CALL_NO_SIDE_EFFECTS,
                                IR_I64, 6, {IR_I64, IR_I32, IR_I64, IR_I32, IR_I64, IR_PTR}, NULL};

static uint64_t h_read_q0(void *env) { return ((TestCPU *)env)->q[0]; }
static const IRHelper H_READ = {"read_q0", (void *)h_read_q0, IR_CALL_NO_WRITE_GLOBALS, IR_I64, 1,
                                {IR_PTR}, NULL};

static void h_write_q1(void *env) { ((TestCPU *)env)->q[1] = 77; }
static const IRHelper H_WRITE = {"write_q1", (void *)h_write_q1, IR_CALL_NO_READ_GLOBALS,
                                 IR_RET_VOID, 1, {IR_PTR}, NULL};

static void *seen_tb;
static uint32_t seen_index;
static void h_raise_probe(void *env)
{
    seen_tb = ((CPUCommon *)env)->cur_tb;
    seen_index = ((CPUCommon *)env)->insn_index;
}
static const IRHelper H_RAISE = {"raise_probe", (void *)h_raise_probe,
                                 IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_RET_VOID, 1,
                                 {IR_PTR}, NULL};

/* an i32 helper that leaves garbage in bits 32..63 of rax, as the ABI allows */
uint32_t xlat_test_ret_garbage(void);
__asm__(".text\n.globl xlat_test_ret_garbage\nxlat_test_ret_garbage:\n"
        "  movabs $0xdeadbeef00000005, %rax\n  ret\n");
static const IRHelper H_GARBAGE = {"garbage", (void *)xlat_test_ret_garbage,
                                   IR_CALL_PURE & ~IR_CALL_NO_SIDE_EFFECTS, IR_I32, 0, {0}, NULL};

static uint64_t h_clobber(uint64_t a)
{
    /* scribble over every caller-saved register the ABI lets us */
    __asm__ volatile("" ::: "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
    return a + 1;
}
static const IRHelper H_CLOBBER = {"clobber", (void *)h_clobber,
                                   IR_CALL_PURE & ~IR_CALL_NO_SIDE_EFFECTS, IR_I64, 1, {IR_I64},
                                   NULL};

START_TEST(test_call_args)
{
    begin();
    ir_emit_addi(&f, IR_I64, gq[0], gq[0], 1); /* dirty, cached */
    int t32 = T(IR_I32);
    ir_emit_addi(&f, IR_I32, t32, gd[0], 5);
    int args[6] = {gq[0], t32, C(IR_I64, 0x123456789abcll), C(IR_I32, -1), gq[1], f.env};
    ir_emit_call(&f, &H_ARGS, gq[2], args);
    ir_emit_add(&f, IR_I64, gq[3], gq[0], gq[2]); /* q0 still valid in a register */
    TranslationBlock *tb = compile();
    cpu->q[0] = 10;
    cpu->q[1] = 0xffff000011112222ull;
    cpu->d[0] = 0xfffffffe;
    rec_calls = 0;
    run(tb);
    ck_assert_int_eq(rec_calls, 1);
    ck_assert_uint_eq(rec[0], 11);
    ck_assert_uint_eq(rec[1], 3);
    ck_assert_uint_eq(rec[2], 0x123456789abcull);
    ck_assert_uint_eq(rec[3], 0xffffffff);
    ck_assert_uint_eq(rec[4], 0xffff000011112222ull);
    ck_assert_ptr_eq((void *)(uintptr_t)rec[5], cpu);
    uint64_t r = 11 + 2 * 3 + 3 * 0x123456789abcull + 4 * 0xffffffffull + 5 * 0xffff000011112222ull;
    ck_assert_uint_eq(cpu->q[2], r);
    ck_assert_uint_eq(cpu->q[3], 11 + r);
}
END_TEST

START_TEST(test_call_globals)
{
    /* a helper that reads guest state sees the dirty global; one that writes it is reread */
    begin();
    ir_emit_addi(&f, IR_I64, gq[0], gq[0], 5);
    ir_emit_add(&f, IR_I64, gq[1], gq[1], gq[1]);
    int a1[1] = {f.env};
    ir_emit_call(&f, &H_READ, gq[2], a1);
    ir_emit_call(&f, &H_WRITE, -1, a1);
    ir_emit_addi(&f, IR_I64, gq[3], gq[1], 1);
    ir_emit_addi(&f, IR_I64, gq[4], gq[0], 1);
    TranslationBlock *tb = compile();
    cpu->q[0] = 100;
    cpu->q[1] = 3;
    run(tb);
    ck_assert_uint_eq(cpu->q[2], 105);
    ck_assert_uint_eq(cpu->q[1], 77);
    ck_assert_uint_eq(cpu->q[3], 78);
    ck_assert_uint_eq(cpu->q[4], 106);
}
END_TEST

START_TEST(test_call_precise_state)
{
    begin();
    ir_emit_insn_start(&f, 0x1000);
    ir_emit_addi(&f, IR_I64, gq[0], gq[0], 1);
    ir_emit_insn_start(&f, 0x1003);
    ir_emit_insn_start(&f, 0x1005);
    int a1[1] = {f.env};
    ir_emit_call(&f, &H_RAISE, -1, a1);
    ir_emit_insn_start(&f, 0x1008);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    TranslationBlock *tb = compile_icount(4);
    seen_tb = NULL;
    run(tb);
    ck_assert_ptr_eq(seen_tb, tb);
    ck_assert_uint_eq(seen_index, 2);
    ck_assert_uint_eq(cpu->q[0], 1);
}
END_TEST

START_TEST(test_call_ret_i32)
{
    begin();
    int r = T(IR_I32), w = T(IR_I64);
    ir_emit_call(&f, &H_GARBAGE, r, NULL);
    ir_emit_unop(&f, IR_extu_i32_i64, IR_I64, w, r);
    ir_emit_mov(&f, IR_I64, gq[0], w);
    TranslationBlock *tb = compile();
    run(tb);
    ck_assert_uint_eq(cpu->q[0], 5);
}
END_TEST

START_TEST(test_call_live_temps)
{
    /* 16 values live across calls that clobber every caller-saved register */
    enum { N = 16 };
    begin();
    int x[N];
    for (int k = 0; k < N; k++) {
        x[k] = T(IR_I64);
        ir_emit_addi(&f, IR_I64, x[k], gq[k], k);
    }
    int r = T(IR_I64);
    int a[1] = {x[3]};
    ir_emit_call(&f, &H_CLOBBER, r, a);
    int a2[1] = {r};
    int r2 = T(IR_I64);
    ir_emit_call(&f, &H_CLOBBER, r2, a2);
    int acc = T(IR_I64);
    ir_emit_mov(&f, IR_I64, acc, r2);
    for (int k = 0; k < N; k++) {
        ir_emit_add(&f, IR_I64, acc, acc, x[k]);
        ir_emit_mov(&f, IR_I64, gq[k], x[k]);
    }
    ir_emit_mov(&f, IR_I64, gq[N], acc);
    TranslationBlock *tb = compile();
    uint64_t want = 0;
    for (int k = 0; k < N; k++) {
        cpu->q[k] = 1000 * (uint64_t)k + 0x100000000ull;
        want += cpu->q[k] + (uint64_t)k;
    }
    want += cpu->q[3] + 3 + 2;
    run(tb);
    ck_assert_uint_eq(cpu->q[N], want);
    for (int k = 0; k < N; k++) {
        ck_assert_uint_eq(cpu->q[k], 1000 * (uint64_t)k + 0x100000000ull + (uint64_t)k);
    }
}
END_TEST

/* ---- host memory ld/st ---- */

START_TEST(test_ld_st)
{
    static const unsigned memops[] = {IR_MO_8, IR_MO_8 | IR_MO_SIGN, IR_MO_16,
                                      IR_MO_16 | IR_MO_SIGN, IR_MO_32, IR_MO_32 | IR_MO_SIGN,
                                      IR_MO_64};
    const int32_t off = (int32_t)offsetof(TestCPU, scratch[1]);
    for (int ti = 0; ti < 2; ti++) {
        IRType t = ti ? IR_I64 : IR_I32;
        for (unsigned k = 0; k < sizeof(memops) / sizeof(memops[0]); k++) {
            unsigned mo = memops[k], size = mo & IR_MO_SIZE;
            if (t == IR_I32 && size == IR_MO_64) {
                continue;
            }
            begin();
            int v = T(t);
            ir_emit_ld(&f, t, v, f.env, mo, off);
            ir_emit_mov(&f, t, G(t, 0), v);
            ir_emit_st(&f, t, G(t, 1), f.env, mo, off + 8);
            ir_emit_st(&f, t, C(t, -2), f.env, mo, off + 16);
            TranslationBlock *tb = compile();
            for (int i = 0; i < NVALS; i++) {
                uint64_t x = vals[i];
                cpu->scratch[1] = x;
                cpu->scratch[2] = cpu->scratch[3] = 0xaaaaaaaaaaaaaaaaull;
                set_g(t, 1, x);
                run(tb);
                unsigned bits = 8u << size;
                uint64_t fm = bits == 64 ? ~0ull : (1ull << bits) - 1;
                uint64_t want = x & fm;
                if ((mo & IR_MO_SIGN) && bits < 64 && (want >> (bits - 1) & 1)) {
                    want |= ~fm;
                }
                ck_assert_uint_eq(get_g(t, 0), want & tmask(t));
                uint64_t keep = 0xaaaaaaaaaaaaaaaaull & ~fm;
                ck_assert_uint_eq(cpu->scratch[2], keep | (x & tmask(t) & fm));
                ck_assert_uint_eq(cpu->scratch[3], keep | ((uint64_t)-2 & fm));
            }
        }
    }
}
END_TEST

START_TEST(test_ld_st_alias_globals)
{
    /* ld/st on the home of a cached global see and update it */
    begin();
    ir_emit_addi(&f, IR_I64, gq[0], gq[0], 1); /* dirty */
    int v = T(IR_I64);
    ir_emit_ld(&f, IR_I64, v, f.env, IR_MO_64, (int32_t)offsetof(TestCPU, q[0]));
    ir_emit_mov(&f, IR_I64, gq[2], v);
    ir_emit_addi(&f, IR_I64, gq[3], gq[1], 0x10); /* q1 cached */
    ir_emit_st(&f, IR_I64, C(IR_I64, 99), f.env, IR_MO_32, (int32_t)offsetof(TestCPU, q[1]));
    ir_emit_addi(&f, IR_I64, gq[4], gq[1], 1); /* must reread q1 */
    TranslationBlock *tb = compile();
    cpu->q[0] = 41;
    cpu->q[1] = 0x500000005ull;
    run(tb);
    ck_assert_uint_eq(cpu->q[2], 42);
    ck_assert_uint_eq(cpu->q[3], 0x500000015ull);
    ck_assert_uint_eq(cpu->q[1], 0x500000063ull);
    ck_assert_uint_eq(cpu->q[4], 0x500000064ull);
}
END_TEST

/* ---- guest memory, TLB hits ---- */

static uint8_t guest_ram[3][4096] __attribute__((aligned(4096)));

static void map_page(unsigned mmu, uint64_t vpage, void *host)
{
    TLBEntry *e = &cpu->common.tlb[mmu][(vpage >> TLB_PAGE_BITS) & (TLB_SIZE - 1)];
    e->addr_read = e->addr_write = vpage;
    e->addend = (uintptr_t)host - vpage;
}

static uint64_t ld_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

START_TEST(test_guest_mem_hit)
{
    static const uint64_t pages[] = {0x7000, 0x12345678000ull, 0xfffff000};
    static const unsigned offs[] = {0, 1, 0x7ff, 4088, 4092, 4094, 4095};
    for (unsigned pi = 0; pi < 3; pi++) {
        uint64_t page = pages[pi];
        for (int a64 = 0; a64 < 2; a64++) {
            if (!a64 && page > 0xffffffffull) {
                continue;
            }
            unsigned mmu = pi % TLB_NB_MMU;
            for (int ti = 0; ti < 2; ti++) {
                IRType t = ti ? IR_I64 : IR_I32;
                for (unsigned size = 0; size < 4; size++) {
                    for (int sign = 0; sign < 2; sign++) {
                        if ((size == 3 && (t == IR_I32 || sign))) {
                            continue;
                        }
                        unsigned mo = size | (sign ? IR_MO_SIGN : 0) | (a64 ? IR_MO_A64 : 0);
                        IRType at = a64 ? IR_I64 : IR_I32;
                        begin();
                        int v = T(t);
                        ir_emit_gld(&f, t, v, G(at, 0), mo, (int)mmu);
                        ir_emit_mov(&f, t, G(t, 2), v);
                        ir_emit_gst(&f, t, G(t, 3), G(at, 1), mo & ~IR_MO_SIGN, (int)mmu);
                        ir_emit_gst(&f, t, C(t, 0x5a), G(at, 4), mo & ~IR_MO_SIGN, (int)mmu);
                        TranslationBlock *tb = compile();
                        memset(cpu->common.tlb, 0xff, sizeof(cpu->common.tlb));
                        map_page(mmu, page, guest_ram[0]);
                        for (unsigned oi = 0; oi < sizeof(offs) / sizeof(offs[0]); oi++) {
                            unsigned off = offs[oi], bytes = 1u << size;
                            if (off + bytes > 4096) {
                                continue; /* page crossing: slow path (TCase slow) */
                            }
                            for (int i = 0; i < 4096; i++) {
                                guest_ram[0][i] = (uint8_t)(i * 7 + 3);
                            }
                            set_g(at, 0, page + off);
                            set_g(at, 1, page + (off ^ 0x100));
                            set_g(at, 4, page + (off ^ 0x200));
                            set_g(t, 3, 0x8877665544332211ull);
                            uint64_t fm = bytes == 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
                            uint64_t want = ld_le(&guest_ram[0][off], bytes);
                            if (sign && (want >> (8 * bytes - 1) & 1)) {
                                want |= ~fm;
                            }
                            run(tb);
                            ck_assert_msg(get_g(t, 2) == (want & tmask(t)),
                                          "gld size %u sign %d a64 %d off %u: %#" PRIx64, size,
                                          sign, a64, off, get_g(t, 2));
                            ck_assert_uint_eq(ld_le(&guest_ram[0][off ^ 0x100], bytes),
                                              0x8877665544332211ull & tmask(t) & fm);
                            ck_assert_uint_eq(ld_le(&guest_ram[0][off ^ 0x200], bytes), 0x5a);
                        }
                    }
                }
            }
        }
    }
}
END_TEST

START_TEST(test_guest_mem_addr_forms)
{
    /* constant address; i32 address produced by truncating an i64 (bits 32+ must not leak
       into the host address); an i32 value stored from a truncation */
    begin();
    int lo = T(IR_I32), v = T(IR_I32), v2 = T(IR_I64);
    ir_emit_gld(&f, IR_I64, v2, C(IR_I32, 0x7010), IR_MO_64, 0);
    ir_emit_mov(&f, IR_I64, gq[1], v2);
    ir_emit_unop(&f, IR_extrl_i64_i32, IR_I32, lo, gq[0]);
    ir_emit_gld(&f, IR_I32, v, lo, IR_MO_32, 0);
    ir_emit_mov(&f, IR_I32, gd[2], v);
    int s32 = T(IR_I32);
    ir_emit_unop(&f, IR_extrl_i64_i32, IR_I32, s32, gq[2]);
    ir_emit_gst(&f, IR_I32, s32, C(IR_I32, 0x7020), IR_MO_32, 0);
    TranslationBlock *tb = compile();
    map_page(0, 0x7000, guest_ram[1]);
    memset(guest_ram[1], 0, 4096);
    guest_ram[1][0x10] = 0x11;
    guest_ram[1][0x17] = 0x88;
    guest_ram[1][0x44] = 0x44;
    guest_ram[1][0x47] = 0x47;
    cpu->q[0] = 0xabcdef0000007044ull;
    cpu->q[2] = 0xffffffff12345678ull;
    run(tb);
    ck_assert_uint_eq(cpu->q[1], 0x8800000000000011ull);
    ck_assert_uint_eq(cpu->d[2], 0x47000044);
    ck_assert_uint_eq(ld_le(&guest_ram[1][0x20], 8), 0x12345678);
}
END_TEST

START_TEST(test_guest_mem_fast_path_code)
{
    /* the 32-bit load fast path is 9 host instructions: a golden check of its shape */
    begin();
    int v = T(IR_I32);
    ir_emit_gld(&f, IR_I32, v, gd[0], IR_MO_32, 1);
    ir_emit_mov(&f, IR_I32, gd[1], v);
    TranslationBlock *tb = compile();
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    backend_x86_64.disas(&ctx, tb, out);
    fclose(out);
    static const char *const seq[] = {"sub", "jl", "mov", "mov", "shr", "and", "lea", "and",
                                      "cmp", "jne", "mov", "mov"};
    const char *p = text;
    for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        const char *colon = strstr(p, ":  ");
        ck_assert_msg(colon != NULL, "disassembly too short:\n%s", text);
        ck_assert_msg(strncmp(colon + 3, seq[i], strlen(seq[i])) == 0,
                      "instruction %u is not %s:\n%s", i, seq[i], text);
        p = strchr(colon, '\n');
        ck_assert_ptr_nonnull(p);
    }
    if (getenv("XLAT_TEST_VERBOSE")) {
        fputs(text, stderr);
    }
    free(text);
}
END_TEST

/* ---- chaining and the budget ---- */

START_TEST(test_chaining)
{
    begin();
    ir_emit_addi(&f, IR_I64, gq[0], gq[0], 1);
    ir_emit_goto_tb(&f, 0);
    ir_emit_exit_tb(&f, 0);
    TranslationBlock *tb1 = compile_icount(3);
    begin();
    ir_emit_addi(&f, IR_I64, gq[1], gq[1], 10);
    ir_emit_goto_tb(&f, 1);
    ir_emit_exit_tb(&f, 1);
    TranslationBlock *tb2 = compile_icount(5);
    ck_assert_uint_eq(((uintptr_t)tb1->code + tb1->jmp_insn_offset[0]) % 4, 0);
    ck_assert_uint_eq(((uintptr_t)tb2->code + tb2->jmp_insn_offset[1]) % 4, 0);

    cpu->common.budget = 100;
    ck_assert_uint_eq(backend_x86_64.exec(&ctx, cpu, tb1), (uintptr_t)tb1 | 0);
    ck_assert_uint_eq(cpu->q[0], 1);
    ck_assert_int_eq(cpu->common.budget, 97);

    backend_x86_64.set_jump(&ctx, tb1, 0, tb2);
    ck_assert_uint_eq(backend_x86_64.exec(&ctx, cpu, tb1), (uintptr_t)tb2 | 1);
    ck_assert_uint_eq(cpu->q[0], 2);
    ck_assert_uint_eq(cpu->q[1], 10);
    ck_assert_int_eq(cpu->common.budget, 89);

    /* a loop of two chained blocks runs until the budget says stop, at block entry */
    backend_x86_64.set_jump(&ctx, tb2, 1, tb1);
    cpu->common.budget = 20;
    uintptr_t r = backend_x86_64.exec(&ctx, cpu, tb1);
    /* 20 -3 -5 -3 -5 = 4; tb1 runs (1 left); tb2 would leave -4: it exits at its entry */
    ck_assert_uint_eq(r, (uintptr_t)tb2 | IR_EXIT_BUDGET);
    ck_assert_int_eq(cpu->common.budget, 1);
    ck_assert_uint_eq(cpu->q[0], 5);
    ck_assert_uint_eq(cpu->q[1], 30);

    backend_x86_64.set_jump(&ctx, tb1, 0, NULL);
    cpu->common.budget = 100;
    ck_assert_uint_eq(backend_x86_64.exec(&ctx, cpu, tb1), (uintptr_t)tb1 | 0);
    ck_assert_uint_eq(cpu->q[0], 6);
    ck_assert_uint_eq(cpu->q[1], 30);
}
END_TEST

START_TEST(test_budget_exit)
{
    begin();
    ir_emit_addi(&f, IR_I64, gq[0], gq[0], 1);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    TranslationBlock *tb = compile_icount(3);
    cpu->common.budget = 2;
    ck_assert_uint_eq(backend_x86_64.exec(&ctx, cpu, tb), (uintptr_t)tb | IR_EXIT_BUDGET);
    ck_assert_int_eq(cpu->common.budget, 2);
    ck_assert_uint_eq(cpu->q[0], 0);
    cpu->common.budget = 3;
    ck_assert_uint_eq(backend_x86_64.exec(&ctx, cpu, tb), (uintptr_t)tb | IR_EXIT_NOCHAIN);
    ck_assert_int_eq(cpu->common.budget, 0);
    ck_assert_uint_eq(cpu->q[0], 1);
    cpu->common.budget = INT64_MIN / 2; /* cpu_exit's way of stopping at the next entry */
    ck_assert_uint_eq(backend_x86_64.exec(&ctx, cpu, tb), (uintptr_t)tb | IR_EXIT_BUDGET);
    ck_assert_int_eq(cpu->common.budget, INT64_MIN / 2);
}
END_TEST

START_TEST(test_lookup_and_goto)
{
    /* B is registered under pc 0x1234; A jumps to whatever the frontend's key names */
    begin();
    ir_emit_movi(&f, IR_I64, gq[1], 7);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    TranslationBlock *b = tb_alloc(&ctx, 1);
    ck_assert_ptr_nonnull(b);
    b->pc = b->phys_pc = 0x1234;
    b->icount = 2;
    ck_assert_int_eq(backend_x86_64.gen_code(&ctx, &f, b), 0);
    bool new_page;
    ck_assert(tb_register(&ctx, b, &new_page));

    begin();
    ir_emit_addi(&f, IR_I64, gq[0], gq[0], 1);
    ir_emit_lookup_and_goto(&f, gq[0]);
    TranslationBlock *a = compile_icount(1);

    cpu->common.budget = 10;
    cpu->next_pc = 0x1234;
    ck_assert_uint_eq(backend_x86_64.exec(&ctx, cpu, a), (uintptr_t)b | IR_EXIT_NOCHAIN);
    ck_assert_uint_eq(cpu->q[0], 1);
    ck_assert_uint_eq(cpu->q[1], 7);
    ck_assert_int_eq(cpu->common.budget, 7);

    cpu->q[1] = 0;
    cpu->next_pc = 0x9999;
    ck_assert_uint_eq(backend_x86_64.exec(&ctx, cpu, a), (uintptr_t)a | IR_EXIT_NOCHAIN);
    ck_assert_uint_eq(cpu->q[0], 2);
    ck_assert_uint_eq(cpu->q[1], 0);
}
END_TEST

START_TEST(test_cache_full)
{
    /* gen_code refuses (-1) rather than overflow when the cache is nearly full */
    ctx.code_used = ctx.code_size - 1024;
    begin();
    ir_emit_addi(&f, IR_I64, gq[0], gq[0], 1);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    TranslationBlock *tb = &tbs[0];
    memset(tb, 0, sizeof(*tb));
    ck_assert_int_eq(backend_x86_64.gen_code(&ctx, &f, tb), -1);
    tcg_flush(&ctx);
    ck_assert_int_eq(backend_x86_64.gen_code(&ctx, &f, tb), 0);
}
END_TEST

/* ---- guest memory slow paths, on a real machine's softmmu ---- */

#define RAM_SIZE (4u << 20)
static Machine *m;
static CPUCommon *menv;
static char bios_path[64];

static void machine_setup(void)
{
    uint8_t *img = calloc(1, 64 << 10);
    img[(64 << 10) - 16] = 0xf4; /* hlt at the reset vector */
    strcpy(bios_path, "/tmp/xlat-x64-bios-XXXXXX");
    int fd = mkstemp(bios_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, img, 64 << 10), 64 << 10);
    close(fd);
    free(img);
    MachineOptions o = {.ram_size = RAM_SIZE, .bios = bios_path, .accel = "jit",
                        .debugcon = "none", .code_cache_size = 4 << 20};
    m = machine_create(&o);
    unlink(bios_path);
    ck_assert_ptr_nonnull(m);
    menv = &m->cpu.common;
    ir_func_init(&f);
    for (int i = 0; i < 16; i++) {
        gq[i] = ir_global(&f, IR_I64, (int32_t)offsetof(CPUX86State, regs[i]), "r");
    }
    tb_next = 0;
}

static void machine_teardown(void)
{
    ir_func_free(&f);
    machine_destroy(m);
}

static uintptr_t mrun(TranslationBlock *tb)
{
    menv->budget = 1000;
    return backend_x86_64.exec(&m->tcg, menv, tb);
}

static TranslationBlock *mcompile(void)
{
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    TranslationBlock *tb = &tbs[tb_next++ % NB_TBS];
    memset(tb, 0, sizeof(*tb));
    tb->icount = 1;
    ck_assert_int_eq(backend_x86_64.gen_code(&m->tcg, &f, tb), 0);
    return tb;
}

START_TEST(test_slow_load_store)
{
    uint64_t *regs = x86_env(menv)->regs;
    for (unsigned i = 0; i < 64; i++) {
        m->ram[0x5000 + i] = (uint8_t)(0x80 + i);
        m->ram[0x5ff0 + i] = (uint8_t)(0x90 + i);
    }
    begin();
    ir_emit_addi(&f, IR_I64, gq[5], gq[5], 1); /* dirty global: written back in the slow path */
    int v = T(IR_I64), w = T(IR_I32);
    ir_emit_gld(&f, IR_I64, v, gq[0], IR_MO_32 | IR_MO_SIGN | IR_MO_A64, 0);
    ir_emit_gld(&f, IR_I32, w, gq[1], IR_MO_16 | IR_MO_SIGN | IR_MO_A64, 0);
    ir_emit_mov(&f, IR_I64, gq[2], v);
    int wz = T(IR_I64);
    ir_emit_unop(&f, IR_extu_i32_i64, IR_I64, wz, w);
    ir_emit_mov(&f, IR_I64, gq[3], wz);
    ir_emit_gst(&f, IR_I64, gq[6], gq[4], IR_MO_32 | IR_MO_A64, 0);
    ir_emit_addi(&f, IR_I64, gq[5], gq[5], 1);
    TranslationBlock *tb = mcompile();

    regs[0] = 0x5004;   /* 0x87868584: sign-extended */
    regs[1] = 0x5fff;   /* crosses into 0x6000: always the slow path */
    regs[4] = 0x5100;
    regs[5] = 10;
    regs[6] = 0x1122334455667788ull;
    uint64_t loads0 = m->slow_loads, stores0 = m->slow_stores;
    ck_assert_uint_eq(mrun(tb), (uintptr_t)tb | IR_EXIT_NOCHAIN);
    ck_assert_uint_eq(regs[2], 0xffffffff87868584ull);
    ck_assert_uint_eq(regs[3], 0xffffa09f); /* i32, sign-extended from 16 bits */
    ck_assert_uint_eq(ld_le(&m->ram[0x5100], 8), 0x55667788);
    ck_assert_uint_eq(regs[5], 12);
    ck_assert_ptr_eq(menv->cur_tb, tb);
    ck_assert_uint_eq(m->slow_loads - loads0, 2);
    ck_assert_uint_eq(m->slow_stores - stores0, 1);

    /* the TLB is filled now: only the page-crossing load misses */
    regs[0] = 0x5008;
    ck_assert_uint_eq(mrun(tb), (uintptr_t)tb | IR_EXIT_NOCHAIN);
    ck_assert_uint_eq(regs[2], 0xffffffff8b8a8988ull);
    ck_assert_uint_eq(m->slow_loads - loads0, 3);
}
END_TEST

START_TEST(test_slow_path_keeps_registers)
{
    /* many live values across a missing load: caller-saved registers survive the C call */
    enum { N = 12 };
    uint64_t *regs = x86_env(menv)->regs;
    begin();
    int x[N];
    for (int k = 0; k < N; k++) {
        x[k] = T(IR_I64);
        ir_emit_addi(&f, IR_I64, x[k], gq[k % 4 + 8], k * 0x1000);
    }
    int v = T(IR_I64);
    ir_emit_gld(&f, IR_I64, v, gq[0], IR_MO_64 | IR_MO_A64, 0);
    int acc = T(IR_I64);
    ir_emit_mov(&f, IR_I64, acc, v);
    for (int k = 0; k < N; k++) {
        ir_emit_add(&f, IR_I64, acc, acc, x[k]);
    }
    ir_emit_mov(&f, IR_I64, gq[1], acc);
    TranslationBlock *tb = mcompile();
    uint64_t want = 0;
    for (int k = 0; k < N; k++) {
        regs[k % 4 + 8] = 0x100000000ull * (uint64_t)(k % 4 + 1);
    }
    for (int k = 0; k < N; k++) {
        want += regs[k % 4 + 8] + (uint64_t)k * 0x1000;
    }
    memcpy(&m->ram[0x3000], &(uint64_t){0x1234}, 8);
    regs[0] = 0x3000;
    for (int rep = 0; rep < 2; rep++) { /* a miss, then a hit */
        ck_assert_uint_eq(mrun(tb), (uintptr_t)tb | IR_EXIT_NOCHAIN);
        ck_assert_uint_eq(regs[1], want + 0x1234);
    }
}
END_TEST


/* ---- random programs against a reference evaluator ---- */

/* A reference evaluator for the IR the generator below emits: one uint64_t per temp, globals
   read from and written back to a TestCPU, guest memory in one page. Independent of both
   backends on purpose. */
#define RND_PAGE 0x40000000ull
static uint8_t ev_ram[4096];

static uint64_t rnd_h3(uint64_t a, uint64_t b, uint64_t c)
{
    return a * 3 + (b ^ (c << 7)) + (c >> 3);
}
static uint64_t rnd_bump(void *env, uint64_t a)
{
    ((TestCPU *)env)->q[7] += a;
    return ((TestCPU *)env)->q[6];
}
static const IRHelper H_RND[] = {
    {"h3_pure", (void *)rnd_h3, IR_CALL_PURE, IR_I64, 3, {IR_I64, IR_I32, IR_I64}, NULL},
    {"h3_i32", (void *)rnd_h3, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS, IR_I32, 3,
     {IR_I32, IR_I64, IR_I32}, NULL},
    {"h3_raise", (void *)rnd_h3, IR_CALL_MAY_RAISE, IR_I64, 3, {IR_I64, IR_I64, IR_I64}, NULL},
    {"bump", (void *)rnd_bump, 0, IR_I64, 2, {IR_PTR, IR_I64}, NULL},
};

static uint64_t ev_ld(const uint8_t *p, unsigned size, bool sign)
{
    unsigned bytes = 1u << size;
    uint64_t v = ld_le(p, bytes);
    if (sign && bytes < 8 && (v >> (8 * bytes - 1) & 1)) {
        v |= ~0ull << (8 * bytes);
    }
    return v;
}

static void eval_func(IRFunc *fn, TestCPU *st)
{
    uint64_t *v = calloc((size_t)fn->nb_temps, sizeof(uint64_t));
    int *label_at = calloc((size_t)fn->nb_labels + 1, sizeof(int));
    for (int i = 0; i < fn->nb_ops; i++) {
        if (fn->ops[i].opc == IR_set_label) {
            label_at[ir_carg(&fn->ops[i], 0)] = i;
        }
    }
#define LOAD_GLOBALS()                                                                          \
    for (int t = 0; t < fn->nb_globals; t++) {                                                  \
        IRTemp *it = &fn->temps[t];                                                             \
        if (it->kind == TEMP_GLOBAL) {                                                          \
            uint8_t *p = (uint8_t *)st + it->env_offset;                                        \
            v[t] = it->type == IR_I64 ? ld_le(p, 8) : ld_le(p, 4);                              \
        }                                                                                       \
    }
#define STORE_GLOBALS()                                                                         \
    for (int t = 0; t < fn->nb_globals; t++) {                                                  \
        IRTemp *it = &fn->temps[t];                                                             \
        if (it->kind == TEMP_GLOBAL) {                                                          \
            memcpy((uint8_t *)st + it->env_offset, &v[t], it->type == IR_I64 ? 8 : 4);         \
        }                                                                                       \
    }
    LOAD_GLOBALS();
    for (int t = fn->nb_globals; t < fn->nb_temps; t++) {
        if (fn->temps[t].kind == TEMP_CONST) {
            v[t] = (uint64_t)fn->temps[t].val & tmask(fn->temps[t].type);
        }
    }
    for (int i = 0; i < fn->nb_ops; i++) {
        IROp *op = &fn->ops[i];
        IRType t = (IRType)op->type;
        int d = op->nb_oargs ? ir_oarg(op, 0) : 0;
        uint64_t a = op->nb_iargs > 0 ? v[ir_iarg(op, 0)] : 0;
        uint64_t b = op->nb_iargs > 1 ? v[ir_iarg(op, 1)] : 0;
        switch (op->opc) {
        case IR_nop:
        case IR_insn_start:
        case IR_set_label:
            break;
        case IR_exit_tb:
            i = fn->nb_ops;
            break;
        case IR_br:
            i = label_at[ir_carg(op, 0)];
            break;
        case IR_brcond:
            if (ir_cond_eval((IRCond)ir_carg(op, 0), t, a, b)) {
                i = label_at[ir_carg(op, 1)];
            }
            break;
        case IR_mov:
            v[d] = a & tmask(t);
            break;
        case IR_add: case IR_sub: case IR_mul: case IR_and: case IR_or: case IR_xor:
        case IR_andc: case IR_shl: case IR_shr: case IR_sar: case IR_rotl: case IR_rotr:
            v[d] = ref_bin((IROpcode)op->opc, t, a, b);
            break;
        case IR_neg: case IR_not: case IR_ext8s: case IR_ext8u: case IR_ext16s: case IR_ext16u:
        case IR_ext32s: case IR_ext32u:
            v[d] = ref_unary((IROpcode)op->opc, t, a);
            break;
        case IR_ext_i32_i64: v[d] = (uint64_t)(int64_t)(int32_t)a; break;
        case IR_extu_i32_i64: v[d] = a & 0xffffffff; break;
        case IR_extrl_i64_i32: v[d] = a & 0xffffffff; break;
        case IR_extrh_i64_i32: v[d] = a >> 32; break;
        case IR_setcond:
            v[d] = ir_cond_eval((IRCond)ir_carg(op, 0), t, a, b);
            break;
        case IR_movcond:
            v[d] = ir_cond_eval((IRCond)ir_carg(op, 0), t, a, b) ? v[ir_iarg(op, 2)]
                                                                   : v[ir_iarg(op, 3)];
            break;
        case IR_deposit: {
            unsigned pos = (unsigned)ir_carg(op, 0), len = (unsigned)ir_carg(op, 1);
            uint64_t m = field_mask(len) << pos;
            v[d] = ((a & ~m) | ((b << pos) & m)) & tmask(t);
            break;
        }
        case IR_extract:
        case IR_sextract: {
            unsigned pos = (unsigned)ir_carg(op, 0), len = (unsigned)ir_carg(op, 1);
            uint64_t x = (a >> pos) & field_mask(len);
            if (op->opc == IR_sextract && len < 64 && (x >> (len - 1) & 1)) {
                x |= ~field_mask(len);
            }
            v[d] = x & tmask(t);
            break;
        }
        case IR_mulu2:
        case IR_muls2: {
            int hi = ir_oarg(op, 1);
            if (t == IR_I64) {
                unsigned __int128 p = op->opc == IR_muls2
                                          ? (unsigned __int128)((__int128)(int64_t)a * (int64_t)b)
                                          : (unsigned __int128)a * b;
                v[d] = (uint64_t)p;
                v[hi] = (uint64_t)(p >> 64);
            } else {
                uint64_t p = op->opc == IR_muls2 ? (uint64_t)((int64_t)(int32_t)a * (int32_t)b)
                                                 : a * b;
                v[d] = p & 0xffffffff;
                v[hi] = p >> 32 & 0xffffffff;
            }
            break;
        }
        case IR_gld: {
            unsigned mo = (unsigned)ir_carg(op, 0);
            uint64_t x = ev_ld(&ev_ram[a - RND_PAGE], mo & IR_MO_SIZE, mo & IR_MO_SIGN);
            v[d] = x & tmask(t);
            break;
        }
        case IR_gst: {
            unsigned mo = (unsigned)ir_carg(op, 0);
            memcpy(&ev_ram[b - RND_PAGE], &a, 1u << (mo & IR_MO_SIZE));
            break;
        }
        case IR_call: {
            const IRHelper *h = ir_call_helper(op);
            uint64_t x[3] = {0, 0, 0};
            for (int k = 0; k < h->nargs; k++) {
                int at = ir_iarg(op, k);
                x[k] = fn->temps[at].kind == TEMP_FIXED ? (uintptr_t)st : v[at];
            }
            STORE_GLOBALS();
            uint64_t r = h->nargs == 3 ? ((uint64_t (*)(uint64_t, uint64_t, uint64_t))h->func)(
                                             x[0], x[1], x[2])
                                       : ((uint64_t (*)(void *, uint64_t))h->func)(
                                             (void *)(uintptr_t)x[0], x[1]);
            LOAD_GLOBALS();
            if (op->nb_oargs) {
                v[d] = r & tmask((IRType)h->ret);
            }
            break;
        }
        default:
            ck_abort_msg("evaluator: op %s", ir_op_defs[op->opc].name);
        }
    }
    STORE_GLOBALS();
#undef LOAD_GLOBALS
#undef STORE_GLOBALS
    free(v);
    free(label_at);
}

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

typedef struct RPool {
    int t[2][48]; /* live normal temps and locals, by type */
    int n[2];
} RPool;

static int rnd_input(RPool *p, IRType t)
{
    unsigned k = rndn(10);
    if (k < 4 && p->n[t]) {
        return p->t[t][rndn((unsigned)p->n[t])];
    }
    if (k < 8) {
        return G(t, (int)rndn(12));
    }
    uint64_t c = rndn(3) ? vals[rndn(NVALS)] : rnd();
    return C(t, (int64_t)c);
}

static int rnd_output(RPool *p, IRType t)
{
    unsigned k = rndn(10);
    if (k < 5 && p->n[t] < 48) {
        int x = T(t);
        p->t[t][p->n[t]++] = x;
        return x;
    }
    if (k < 7 && p->n[t]) {
        int x = p->t[t][rndn((unsigned)p->n[t])];
        if (f.temps[x].kind == TEMP_NORMAL || rndn(2)) {
            return x;
        }
    }
    return G(t, (int)rndn(12));
}

/* normal temps die at a block end: keep only the locals */
static void rnd_block_end(RPool *p)
{
    for (int t = 0; t < 2; t++) {
        int j = 0;
        for (int i = 0; i < p->n[t]; i++) {
            if (f.temps[p->t[t][i]].kind == TEMP_LOCAL) {
                p->t[t][j++] = p->t[t][i];
            }
        }
        p->n[t] = j;
    }
}

/* a guest address inside the mapped page, aligned for the access */
static int rnd_addr(RPool *p, bool a64, unsigned size)
{
    IRType at = a64 ? IR_I64 : IR_I32;
    int x = rnd_input(p, at), y = T(at);
    ir_emit_andi(&f, at, y, x, (int64_t)(0xff8 & ~((1u << size) - 1)));
    int z = T(at);
    ir_emit_addi(&f, at, z, y, (int64_t)RND_PAGE);
    return z;
}

static void rnd_program(void)
{
    RPool pool = {0};
    begin();
    int locals = (int)rndn(4);
    for (int i = 0; i < locals; i++) {
        IRType t = rndn(2) ? IR_I64 : IR_I32;
        int l = ir_temp_local(&f, t);
        ir_emit_mov(&f, t, l, G(t, (int)rndn(12)));
        pool.t[t][pool.n[t]++] = l;
    }
    int open_label = -1, label_age = 0;
    int nops = 40 + (int)rndn(120);
    for (int i = 0; i < nops; i++) {
        IRType t = rndn(2) ? IR_I64 : IR_I32;
        unsigned k = rndn(100);
        if (open_label >= 0 && ++label_age > 6 && rndn(4) == 0) {
            ir_emit_label(&f, open_label);
            rnd_block_end(&pool);
            open_label = -1;
            continue;
        }
        if (k < 35) {
            IROpcode opc = binops[rndn(NBINOPS)];
            int a = rnd_input(&pool, t), b = rnd_input(&pool, t);
            ir_emit_binop(&f, opc, t, rnd_output(&pool, t), a, b);
        } else if (k < 45) {
            static const IROpcode un[] = {IR_neg, IR_not, IR_ext8s, IR_ext8u, IR_ext16s,
                                          IR_ext16u, IR_ext32s, IR_ext32u, IR_mov};
            IROpcode opc = un[rndn(t == IR_I64 ? 9 : 6)];
            if (rndn(6) == 0) {
                opc = IR_mov;
            }
            int a = rnd_input(&pool, t);
            ir_emit_unop(&f, opc, t, rnd_output(&pool, t), a);
        } else if (k < 52) {
            static const IROpcode tc[] = {IR_ext_i32_i64, IR_extu_i32_i64, IR_extrl_i64_i32,
                                          IR_extrh_i64_i32};
            unsigned j = rndn(4);
            IRType ti = j < 2 ? IR_I32 : IR_I64, to = j < 2 ? IR_I64 : IR_I32;
            int a = rnd_input(&pool, ti);
            ir_emit_unop(&f, tc[j], to, rnd_output(&pool, to), a);
        } else if (k < 58) {
            IRCond c = (IRCond)(IR_COND_EQ + rndn(10));
            int a = rnd_input(&pool, t), b = rnd_input(&pool, t);
            ir_emit_setcond(&f, t, c, rnd_output(&pool, t), a, b);
        } else if (k < 64) {
            IRCond c = (IRCond)(IR_COND_EQ + rndn(10));
            int a = rnd_input(&pool, t), b = rnd_input(&pool, t);
            int x = rnd_input(&pool, t), y = rnd_input(&pool, t);
            ir_emit_movcond(&f, t, c, rnd_output(&pool, t), a, b, x, y);
        } else if (k < 70) {
            unsigned w = width(t), pos = rndn(w), len = 1 + rndn(w - pos);
            int a = rnd_input(&pool, t);
            if (rndn(2)) {
                int b = rnd_input(&pool, t);
                ir_emit_deposit(&f, t, rnd_output(&pool, t), a, b, (int)pos, (int)len);
            } else {
                ir_emit_extract(&f, t, rnd_output(&pool, t), a, (int)pos, (int)len, rndn(2));
            }
        } else if (k < 74) {
            int a = rnd_input(&pool, t), b = rnd_input(&pool, t);
            int lo = rnd_output(&pool, t), hi = rnd_output(&pool, t);
            if (lo == hi) {
                hi = T(t);
            }
            ir_emit_mul2(&f, rndn(2) ? IR_mulu2 : IR_muls2, t, lo, hi, a, b);
        } else if (k < 80) {
            const IRHelper *h = &H_RND[rndn(4)];
            int args[3];
            for (int j = 0; j < h->nargs; j++) {
                args[j] = h->args[j] == IR_PTR && j == 0 && h->nargs == 2
                              ? f.env
                              : rnd_input(&pool, (IRType)h->args[j]);
            }
            ir_emit_call(&f, h, rnd_output(&pool, (IRType)h->ret), args);
        } else if (k < 90) {
            bool a64 = rndn(2);
            unsigned size = rndn(t == IR_I64 ? 4 : 3);
            unsigned mo = size | (a64 ? IR_MO_A64 : 0);
            int addr = rnd_addr(&pool, a64, size);
            if (rndn(2)) {
                mo |= (size < 3 && rndn(2)) ? IR_MO_SIGN : 0;
                ir_emit_gld(&f, t, rnd_output(&pool, t), addr, mo, 0);
            } else {
                ir_emit_gst(&f, t, rnd_input(&pool, t), addr, mo, 0);
            }
        } else if (k < 95 && open_label < 0) {
            IRCond c = (IRCond)(IR_COND_EQ + rndn(10));
            int a = rnd_input(&pool, t), b = rnd_input(&pool, t);
            open_label = ir_label_new(&f);
            label_age = 0;
            ir_emit_brcond(&f, t, c, a, b, open_label);
            rnd_block_end(&pool);
        } else {
            ir_emit_insn_start(&f, i);
        }
    }
    if (open_label >= 0) {
        ir_emit_label(&f, open_label);
        rnd_block_end(&pool);
    }
    /* make the surviving temps observable */
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < pool.n[t] && i < 8; i++) {
            ir_emit_mov(&f, (IRType)t, G((IRType)t, 16 + i), pool.t[t][i]);
        }
    }
}

START_TEST(test_random_programs)
{
    static TestCPU want;
    map_page(0, RND_PAGE, guest_ram[2]);
    /* XLAT_TEST_PROGRAMS=N runs a longer soak */
    int nprogs = getenv("XLAT_TEST_PROGRAMS") ? atoi(getenv("XLAT_TEST_PROGRAMS")) : 400;
    for (int prog = 0; prog < nprogs; prog++) {
        rng = 0x9e3779b97f4a7c15ull * (uint64_t)(prog + 1);
        rnd_program();
        /* the evaluator runs on the IR before gen_code (which drops dead ops) */
        for (int rep = 0; rep < 3; rep++) {
            for (int i = 0; i < NQ; i++) {
                cpu->q[i] = rndn(3) ? rnd() : vals[rndn(NVALS)];
            }
            for (int i = 0; i < ND; i++) {
                cpu->d[i] = (uint32_t)(rndn(3) ? rnd() : vals[rndn(NVALS)]);
            }
            for (int i = 0; i < 4096; i++) {
                guest_ram[2][i] = (uint8_t)rnd();
            }
            memcpy(&want, cpu, sizeof(want));
            memcpy(ev_ram, guest_ram[2], sizeof(ev_ram));
            eval_func(&f, &want);
            static TestCPU saved;
            memcpy(&saved, cpu, sizeof(saved));
            static uint8_t ram_saved[4096];
            memcpy(ram_saved, guest_ram[2], sizeof(ram_saved));
            static TranslationBlock *tb;
            if (rep == 0) {
                if (getenv("XLAT_TEST_DUMP")) {
                    fprintf(stderr, "program %d:\n", prog);
                    ir_dump(&f, stderr);
                }
                ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
                tb = compile_icount(1); /* once: the later inputs run the same code */
            }
            run(tb);
            bool ok = memcmp(cpu->q, want.q, sizeof(want.q)) == 0 &&
                      memcmp(cpu->d, want.d, sizeof(want.d)) == 0 &&
                      memcmp(guest_ram[2], ev_ram, sizeof(ev_ram)) == 0;
            if (!ok) {
                fprintf(stderr, "random program %d (rep %d) differs:\n", prog, rep);
                for (int i = 0; i < NQ; i++) {
                    if (cpu->q[i] != want.q[i]) {
                        fprintf(stderr, "  q%d = %#" PRIx64 ", want %#" PRIx64 " (in %#" PRIx64
                                ")\n", i, cpu->q[i], want.q[i], saved.q[i]);
                    }
                }
                for (int i = 0; i < ND; i++) {
                    if (cpu->d[i] != want.d[i]) {
                        fprintf(stderr, "  d%d = %#x, want %#x (in %#x)\n", i, cpu->d[i],
                                want.d[i], saved.d[i]);
                    }
                }
                ir_dump(&f, stderr);
                ck_abort_msg("random program %d differs from the evaluator", prog);
            }
        }
    }
}
END_TEST

/* ---- the encoder against Capstone ---- */

#include <capstone/capstone.h>
#include "tcg/x86_64/emit.h"

static const char *const rn64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                     "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};
static const char *const rn32[16] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                     "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
static const char *const rn16[16] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                     "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"};
static const char *const rn8[16] = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                                    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"};

static const char *rname(int r, int bytes)
{
    return bytes == 8 ? rn64[r] : bytes == 4 ? rn32[r] : bytes == 2 ? rn16[r] : rn8[r];
}

/* an expected operand: R(reg, bytes), M(base, index, scale, disp), I(value, bytes) */
typedef struct XOp {
    char kind;
    int reg, bytes;
    int base, index, scale;
    int64_t disp, imm;
} XOp;
#define XR(r, n) ((XOp){.kind = 'r', .reg = (r), .bytes = (n)})
#define XM(b, i, s, d) ((XOp){.kind = 'm', .base = (b), .index = (i), .scale = (s), .disp = (d)})
#define XI(v, n) ((XOp){.kind = 'i', .imm = (v), .bytes = (n)})

static csh cs;
static uint8_t ebuf[64];
static X64Buf eb;

static X64Buf *enc(void)
{
    eb = (X64Buf){.start = ebuf, .ptr = ebuf, .end = ebuf + sizeof(ebuf)};
    return &eb;
}

static void expect(const char *what, const char *mnem, int n, XOp o0, XOp o1, XOp o2)
{
    XOp want[3] = {o0, o1, o2};
    cs_insn *insn;
    size_t len = (size_t)(eb.ptr - ebuf);
    size_t cnt = cs_disasm(cs, ebuf, len, 0x1000, 1, &insn);
    ck_assert_msg(cnt == 1, "%s: does not decode", what);
    ck_assert_msg(insn->size == len, "%s: decodes as %s %s (%u of %zu bytes)", what,
                  insn->mnemonic, insn->op_str, insn->size, len);
    ck_assert_msg(strcmp(insn->mnemonic, mnem) == 0, "%s: got %s %s", what, insn->mnemonic,
                  insn->op_str);
    cs_x86 *x = &insn->detail->x86;
    ck_assert_msg(x->op_count == n, "%s: %s %s has %d operands", what, insn->mnemonic,
                  insn->op_str, x->op_count);
    for (int i = 0; i < n; i++) {
        cs_x86_op *op = &x->operands[i];
        XOp *w = &want[i];
        if (w->kind == 'r') {
            ck_assert_msg(op->type == X86_OP_REG &&
                              strcmp(cs_reg_name(cs, op->reg), rname(w->reg, w->bytes)) == 0,
                          "%s: operand %d of '%s %s' is not %s", what, i, insn->mnemonic,
                          insn->op_str, rname(w->reg, w->bytes));
        } else if (w->kind == 'm') {
            bool idx_ok = w->index < 0
                              ? op->mem.index == X86_REG_INVALID
                              : strcmp(cs_reg_name(cs, op->mem.index), rn64[w->index]) == 0;
            bool ok = op->type == X86_OP_MEM &&
                      strcmp(cs_reg_name(cs, op->mem.base), rn64[w->base]) == 0 && idx_ok &&
                      (w->index < 0 || op->mem.scale == 1 << w->scale) && op->mem.disp == w->disp;
            ck_assert_msg(ok, "%s: operand %d of '%s %s' is not [%s + %s*%d + %" PRId64 "]", what,
                          i, insn->mnemonic, insn->op_str, rn64[w->base],
                          w->index < 0 ? "-" : rn64[w->index], 1 << w->scale, w->disp);
        } else {
            uint64_t mk = w->bytes == 8 ? ~0ull : (1ull << (8 * w->bytes)) - 1;
            ck_assert_msg(op->type == X86_OP_IMM &&
                              ((uint64_t)op->imm & mk) == ((uint64_t)w->imm & mk),
                          "%s: operand %d of '%s %s' is not %#" PRIx64, what, i, insn->mnemonic,
                          insn->op_str, (uint64_t)w->imm);
        }
    }
    cs_free(insn, 1);
}
#define EXPECT1(what, m, a) expect(what, m, 1, a, XI(0, 1), XI(0, 1))
#define EXPECT2(what, m, a, b) expect(what, m, 2, a, b, XI(0, 1))
#define EXPECT3(what, m, a, b, c) expect(what, m, 3, a, b, c)

static void cs_setup(void)
{
    ck_assert_int_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &cs), CS_ERR_OK);
    cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
}

static void cs_teardown(void)
{
    cs_close(&cs);
}

static const char *const alu_names[8] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};

START_TEST(test_encode_reg_forms)
{
    for (int d = 0; d < 16; d++) {
        for (int s = 0; s < 16; s++) {
            for (int w = 0; w < 2; w++) {
                int n = w ? 8 : 4;
                x64_mov_rr(enc(), d, s, w);
                EXPECT2("mov_rr", "mov", XR(d, n), XR(s, n));
                for (int op = 0; op < 8; op++) {
                    x64_alu_rr(enc(), (X64Alu)op, d, s, w);
                    EXPECT2("alu_rr", alu_names[op], XR(d, n), XR(s, n));
                }
                x64_test_rr(enc(), d, s, w);
                EXPECT2("test_rr", "test", XR(d, n), XR(s, n));
                x64_imul_rr(enc(), d, s, w);
                EXPECT2("imul_rr", "imul", XR(d, n), XR(s, n));
                x64_imul_rri(enc(), d, s, 100, w);
                EXPECT3("imul_rri8", "imul", XR(d, n), XR(s, n), XI(100, n));
                x64_imul_rri(enc(), d, s, -100000, w);
                EXPECT3("imul_rri32", "imul", XR(d, n), XR(s, n), XI(-100000, n));
                x64_cmov(enc(), X64_CC_NE, d, s, w);
                EXPECT2("cmov", "cmovne", XR(d, n), XR(s, n));
                x64_movsx8(enc(), d, s, w);
                EXPECT2("movsx8", "movsx", XR(d, n), XR(s, 1));
                x64_movsx16(enc(), d, s, w);
                EXPECT2("movsx16", "movsx", XR(d, n), XR(s, 2));
            }
            x64_movzx8(enc(), d, s);
            EXPECT2("movzx8", "movzx", XR(d, 4), XR(s, 1));
            x64_movzx16(enc(), d, s);
            EXPECT2("movzx16", "movzx", XR(d, 4), XR(s, 2));
            x64_movsxd(enc(), d, s);
            EXPECT2("movsxd", "movsxd", XR(d, 8), XR(s, 4));
            x64_mov8_rr(enc(), d, s);
            EXPECT2("mov8", "mov", XR(d, 1), XR(s, 1));
            x64_mov16_rr(enc(), d, s);
            EXPECT2("mov16", "mov", XR(d, 2), XR(s, 2));
            if (d != s && d != X64_RAX && s != X64_RAX) { /* (with rax: the short form) */
                x64_xchg_rr(enc(), d, s);
                EXPECT2("xchg", "xchg", XR(s, 8), XR(d, 8));
            }
        }
        for (int w = 0; w < 2; w++) {
            int n = w ? 8 : 4;
            static const int32_t imms[] = {0, 1, -1, 127, 128, -128, -129, 0x12345678, INT32_MIN};
            for (unsigned k = 0; k < sizeof(imms) / sizeof(imms[0]); k++) {
                for (int op = 0; op < 8; op++) {
                    x64_alu_ri(enc(), (X64Alu)op, d, imms[k], w);
                    EXPECT2("alu_ri", alu_names[op], XR(d, n), XI(imms[k], n));
                }
            }
            static const struct { X64Shift op; const char *name; } sh[] = {
                {X64_ROL, "rol"}, {X64_ROR, "ror"}, {X64_SHL, "shl"}, {X64_SHR, "shr"},
                {X64_SAR, "sar"}};
            for (int k = 0; k < 5; k++) {
                x64_shift_ri(enc(), sh[k].op, d, 1, w);
                EXPECT2("shift1", sh[k].name, XR(d, n), XI(1, 1));
                x64_shift_ri(enc(), sh[k].op, d, 13, w);
                EXPECT2("shift", sh[k].name, XR(d, n), XI(13, 1));
                x64_shift_cl(enc(), sh[k].op, d, w);
                EXPECT2("shift_cl", sh[k].name, XR(d, n), XR(X64_RCX, 1));
            }
            x64_neg(enc(), d, w);
            EXPECT1("neg", "neg", XR(d, n));
            x64_not(enc(), d, w);
            EXPECT1("not", "not", XR(d, n));
            x64_mul1(enc(), d, false, w);
            EXPECT1("mul", "mul", XR(d, n));
            x64_mul1(enc(), d, true, w);
            EXPECT1("imul1", "imul", XR(d, n));
        }
        x64_setcc(enc(), X64_CC_L, d);
        EXPECT1("setcc", "setl", XR(d, 1));
        x64_push(enc(), d);
        EXPECT1("push", "push", XR(d, 8));
        x64_pop(enc(), d);
        EXPECT1("pop", "pop", XR(d, 8));
        x64_jmp_r(enc(), d);
        EXPECT1("jmp_r", "jmp", XR(d, 8));
        x64_call_r(enc(), d);
        EXPECT1("call_r", "call", XR(d, 8));
        static const uint64_t movi[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                        (uint64_t)-1, (uint64_t)INT32_MIN, 0x123456789abcdef0ull};
        for (unsigned k = 0; k < sizeof(movi) / sizeof(movi[0]); k++) {
            x64_mov_ri(enc(), d, movi[k], true);
            bool abs = movi[k] > 0xffffffffull && (int64_t)movi[k] != (int32_t)movi[k];
            bool narrow = movi[k] <= 0xffffffffull;
            EXPECT2("mov_ri64", abs ? "movabs" : "mov", XR(d, narrow ? 4 : 8),
                    XI((int64_t)movi[k], 8));
            x64_mov_ri(enc(), d, movi[k], false);
            EXPECT2("mov_ri32", "mov", XR(d, 4), XI((int64_t)movi[k], 4));
        }
    }
}
END_TEST

START_TEST(test_encode_mem_forms)
{
    static const int32_t disps[] = {0, 8, -8, 127, -128, 128, 0x1234, -0x10000};
    for (int base = 0; base < 16; base++) {
        for (int index = -1; index < 16; index++) {
            if (index == X64_RSP) {
                continue;
            }
            for (unsigned di = 0; di < sizeof(disps) / sizeof(disps[0]); di++) {
                int scale = index < 0 ? 0 : (base + di) & 3;
                X64Mem m = x64_mem_idx(base, index, scale, disps[di]);
                XOp xm = XM(base, index, scale, disps[di]);
                int r = (base * 5 + index + 3) & 15;
                for (int w = 0; w < 2; w++) {
                    int n = w ? 8 : 4;
                    x64_lea(enc(), r, m, w);
                    EXPECT2("lea", "lea", XR(r, n), xm);
                    x64_alu_rm(enc(), X64_CMP, r, m, w);
                    EXPECT2("alu_rm", "cmp", XR(r, n), xm);
                    x64_alu_mr(enc(), X64_ADD, m, r, w);
                    EXPECT2("alu_mr", "add", xm, XR(r, n));
                    x64_alu_mi(enc(), X64_SUB, m, 5, w);
                    EXPECT2("alu_mi8", "sub", xm, XI(5, n));
                    x64_alu_mi(enc(), X64_SUB, m, 5000, w);
                    EXPECT2("alu_mi32", "sub", xm, XI(5000, n));
                }
                for (unsigned size = 0; size < 4; size++) {
                    int bytes = 1 << size;
                    for (int sign = 0; sign < 2; sign++) {
                        for (int w = 0; w < 2; w++) {
                            x64_load(enc(), r, m, size, sign, w);
                            const char *mn = size == 3 || (size == 2 && !(sign && w)) ? "mov"
                                             : size == 2 ? "movsxd" : sign ? "movsx" : "movzx";
                            int dn = size == 3 ? 8 : (sign && w) ? 8 : 4;
                            EXPECT2("load", mn, XR(r, dn), xm);
                        }
                    }
                    x64_store(enc(), r, m, size);
                    EXPECT2("store", "mov", xm, XR(r, bytes));
                    x64_store_imm(enc(), m, -2, size);
                    EXPECT2("store_imm", "mov", xm, XI(-2, bytes));
                }
                x64_jmp_m(enc(), m);
                EXPECT1("jmp_m", "jmp", xm);
            }
        }
    }
}
END_TEST

START_TEST(test_encode_branches)
{
    static uint8_t code[1 << 16];
    X64Buf b = {.start = code, .ptr = code, .end = code + sizeof(code)};
    uint8_t *back = b.ptr;
    x64_nops(&b, 100);
    uint8_t *j8 = b.ptr;
    x64_jcc_to(&b, X64_CC_E, back); /* short */
    ck_assert_int_eq(b.ptr - j8, 2);
    x64_nops(&b, 300);
    uint8_t *j32 = b.ptr;
    x64_jmp_to(&b, back); /* long */
    ck_assert_int_eq(b.ptr - j32, 5);
    uint8_t *fwd = x64_jcc32(&b, X64_CC_A);
    uint8_t *fwd_insn = fwd - 2;
    x64_nops(&b, 1000);
    x64_patch_rel32(fwd, b.ptr);
    cs_insn *insn;
    ck_assert_uint_eq(cs_disasm(cs, j8, 2, (uint64_t)(uintptr_t)j8, 1, &insn), 1);
    ck_assert_str_eq(insn->mnemonic, "je");
    ck_assert_int_eq(insn->detail->x86.operands[0].imm, (int64_t)(uintptr_t)back);
    cs_free(insn, 1);
    ck_assert_uint_eq(cs_disasm(cs, j32, 5, (uint64_t)(uintptr_t)j32, 1, &insn), 1);
    ck_assert_str_eq(insn->mnemonic, "jmp");
    ck_assert_int_eq(insn->detail->x86.operands[0].imm, (int64_t)(uintptr_t)back);
    cs_free(insn, 1);
    ck_assert_uint_eq(cs_disasm(cs, fwd_insn, 6, (uint64_t)(uintptr_t)fwd_insn, 1, &insn), 1);
    ck_assert_str_eq(insn->mnemonic, "ja");
    ck_assert_int_eq(insn->detail->x86.operands[0].imm, (int64_t)(uintptr_t)b.ptr);
    cs_free(insn, 1);
    /* every nop length decodes as a single nop */
    for (unsigned n = 1; n <= 9; n++) {
        x64_nops(enc(), n);
        ck_assert_uint_eq(cs_disasm(cs, ebuf, n, 0, 1, &insn), 1);
        ck_assert_uint_eq(insn->size, n);
        ck_assert_str_eq(insn->mnemonic, "nop");
        cs_free(insn, 1);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("x86_64_backend");
    TCase *tc = tcase_create("ops");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_binops);
    tcase_add_test(tc, test_binops_const);
    tcase_add_test(tc, test_unary);
    tcase_add_test(tc, test_type_changes);
    tcase_add_test(tc, test_mul2);
    tcase_add_test(tc, test_deposit);
    tcase_add_test(tc, test_extract);
    tcase_add_test(tc, test_setcond);
    tcase_add_test(tc, test_movcond);
    tcase_add_test(tc, test_brcond);
    tcase_add_test(tc, test_loop_locals);
    tcase_add_test(tc, test_pressure);
    tcase_add_test(tc, test_ld_st);
    tcase_add_test(tc, test_ld_st_alias_globals);
    tcase_add_test(tc, test_random_programs);
    suite_add_tcase(s, tc);

    tc = tcase_create("calls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_call_args);
    tcase_add_test(tc, test_call_globals);
    tcase_add_test(tc, test_call_precise_state);
    tcase_add_test(tc, test_call_ret_i32);
    tcase_add_test(tc, test_call_live_temps);
    suite_add_tcase(s, tc);

    tc = tcase_create("guest_memory");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_guest_mem_hit);
    tcase_add_test(tc, test_guest_mem_addr_forms);
    tcase_add_test(tc, test_guest_mem_fast_path_code);
    suite_add_tcase(s, tc);

    tc = tcase_create("blocks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_chaining);
    tcase_add_test(tc, test_budget_exit);
    tcase_add_test(tc, test_lookup_and_goto);
    tcase_add_test(tc, test_cache_full);
    suite_add_tcase(s, tc);

    tc = tcase_create("encoder");
    tcase_add_checked_fixture(tc, cs_setup, cs_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_encode_reg_forms);
    tcase_add_test(tc, test_encode_mem_forms);
    tcase_add_test(tc, test_encode_branches);
    suite_add_tcase(s, tc);

    tc = tcase_create("slow");
    tcase_add_checked_fixture(tc, machine_setup, machine_teardown);
    tcase_add_test(tc, test_slow_load_store);
    tcase_add_test(tc, test_slow_path_keeps_registers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#else /* !CONFIG_HOST_X86_64 */

START_TEST(test_not_built)
{
    /* the JIT exists only on x86-64 hosts; the interpreter's tests cover the others */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("x86_64_backend");
    TCase *tc = tcase_create("skipped");
    tcase_add_test(tc, test_not_built);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
