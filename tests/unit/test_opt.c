/*
 * tests/unit/test_opt.c — the IR optimizer (tcg/opt.c).
 *
 * Two kinds of checks: targeted ones (a fold happens, a dead store goes, a store that a fault
 * could observe stays), and a differential one: random IR programs give the same final guest
 * state with and without optimization, run on the interpreter.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tcg/tcg.h"

static int count_ops(IRFunc *f, IROpcode opc)
{
    int n = 0;
    for (int i = 0; i < f->nb_ops; i++) {
        n += f->ops[i].opc == opc;
    }
    return n;
}

START_TEST(test_constant_folding)
{
    IRFunc f;
    ir_func_init(&f);
    int g = ir_global(&f, IR_I32, 64, "g");
    int t = ir_temp_new(&f, IR_I32);
    ir_emit_add(&f, IR_I32, t, ir_const(&f, IR_I32, 40), ir_const(&f, IR_I32, 2));
    int u = ir_temp_new(&f, IR_I32);
    ir_emit_shl(&f, IR_I32, u, t, ir_const(&f, IR_I32, 4));
    ir_emit_mov(&f, IR_I32, g, u);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    tcg_optimize(&f);
    /* all that is left: g = 672, exit */
    ck_assert_int_eq(f.nb_ops, 2);
    ck_assert_int_eq(f.ops[0].opc, IR_mov);
    ck_assert_int_eq(ir_oarg(&f.ops[0], 0), g);
    int src = ir_iarg(&f.ops[0], 0);
    ck_assert(ir_is_const(&f, src));
    ck_assert_int_eq(f.temps[src].val, 672);
    ir_func_free(&f);
}
END_TEST

START_TEST(test_copy_propagation_and_dce)
{
    IRFunc f;
    ir_func_init(&f);
    int a = ir_global(&f, IR_I32, 64, "a");
    int b = ir_global(&f, IR_I32, 72, "b");
    int t = ir_temp_new(&f, IR_I32), unused = ir_temp_new(&f, IR_I32);
    ir_emit_mov(&f, IR_I32, t, a);
    ir_emit_xor(&f, IR_I32, unused, t, t); /* dead */
    int u = ir_temp_new(&f, IR_I32);
    ir_emit_add(&f, IR_I32, u, t, ir_const(&f, IR_I32, 0)); /* = a */
    ir_emit_mov(&f, IR_I32, b, u);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    tcg_optimize(&f);
    ck_assert_int_eq(f.nb_ops, 2);
    ck_assert_int_eq(f.ops[0].opc, IR_mov);
    ck_assert_int_eq(ir_oarg(&f.ops[0], 0), b);
    ck_assert_int_eq(ir_iarg(&f.ops[0], 0), a);
    ir_func_free(&f);
}
END_TEST

START_TEST(test_dead_global_store)
{
    IRFunc f;
    ir_func_init(&f);
    int g = ir_global(&f, IR_I32, 64, "g");
    ir_emit_movi(&f, IR_I32, g, 1);
    ir_emit_movi(&f, IR_I32, g, 2);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    tcg_optimize(&f);
    ck_assert_int_eq(count_ops(&f, IR_mov), 1);
    ir_func_free(&f);

    /* a guest load between them may fault and then the first value is the guest's state */
    ir_func_init(&f);
    g = ir_global(&f, IR_I32, 64, "g");
    ir_emit_movi(&f, IR_I32, g, 1);
    int t = ir_temp_new(&f, IR_I32);
    ir_emit_gld(&f, IR_I32, t, ir_const(&f, IR_I32, 0x1000), IR_MO_32, 0);
    ir_emit_mov(&f, IR_I32, g, t);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    tcg_optimize(&f);
    ck_assert_int_eq(count_ops(&f, IR_mov), 2);
    ir_func_free(&f);
}
END_TEST

START_TEST(test_branch_folding)
{
    IRFunc f;
    ir_func_init(&f);
    int g = ir_global(&f, IR_I32, 64, "g");
    int l = ir_label_new(&f);
    ir_emit_brcond(&f, IR_I32, IR_COND_LTU, ir_const(&f, IR_I32, 1), ir_const(&f, IR_I32, 2), l);
    ir_emit_movi(&f, IR_I32, g, 5);
    ir_emit_label(&f, l);
    int l2 = ir_label_new(&f);
    ir_emit_brcond(&f, IR_I32, IR_COND_GT, ir_const(&f, IR_I32, 1), ir_const(&f, IR_I32, 2), l2);
    ir_emit_label(&f, l2);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    tcg_optimize(&f);
    ck_assert_int_eq(count_ops(&f, IR_brcond), 0);
    ck_assert_int_eq(count_ops(&f, IR_br), 1);
    ir_func_free(&f);
}
END_TEST

/* ---- differential: optimized and unoptimized random programs agree ---- */

typedef struct TestEnv {
    CPUCommon common;
    uint64_t g[8];
} TestEnv;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void build_random(IRFunc *f, uint64_t seed)
{
    rng = seed;
    int g[8];
    for (int i = 0; i < 8; i++) {
        g[i] = ir_global(f, (i & 1) ? IR_I64 : IR_I32, offsetof(TestEnv, g[i]), "g");
    }
    static const IROpcode bin[] = {IR_add, IR_sub, IR_mul, IR_and, IR_or, IR_xor, IR_andc,
                                   IR_shl, IR_shr, IR_sar, IR_rotl, IR_rotr};
    static const int64_t k[] = {0, 1, -1, 2, 31, 32, 63, 0xff, 0x80000000, 0x7fffffff};
    int vals32[64], vals64[64], n32 = 0, n64 = 0;
    for (int i = 0; i < 8; i++) {
        if (i & 1) {
            vals64[n64++] = g[i];
        } else {
            vals32[n32++] = g[i];
        }
    }
    for (int i = 0; i < 40; i++) {
        IRType t = (rnd() & 1) ? IR_I64 : IR_I32;
        int *vals = t == IR_I64 ? vals64 : vals32;
        int *n = t == IR_I64 ? &n64 : &n32;
        int a = (rnd() % 4 == 0) ? ir_const(f, t, k[rnd() % 10]) : vals[rnd() % *n];
        int b = (rnd() % 3 == 0) ? ir_const(f, t, k[rnd() % 10]) : vals[rnd() % *n];
        int d = ir_temp_new(f, t);
        switch (rnd() % 6) {
        case 0:
            ir_emit_setcond(f, t, (IRCond)(IR_COND_EQ + rnd() % 10), d, a, b);
            break;
        case 1:
            ir_emit_deposit(f, t, d, a, b, (int)(rnd() % 16), 1 + (int)(rnd() % 16));
            break;
        case 2:
            ir_emit_extract(f, t, d, a, (int)(rnd() % 16), 1 + (int)(rnd() % 16), rnd() & 1);
            break;
        default:
            ir_emit_binop(f, bin[rnd() % 12], t, d, a, b);
            break;
        }
        if (*n < 64) {
            vals[(*n)++] = d;
        }
        if (rnd() % 4 == 0) {
            /* write some results back to globals (sometimes twice: dead stores) */
            int gi = (int)(rnd() % 4) * 2 + (t == IR_I64);
            ir_emit_mov(f, t, g[gi], d);
        }
    }
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

static void run(bool optimize, uint64_t seed, TestEnv *env)
{
    TCGContext *s = calloc(1, sizeof(*s));
    ck_assert_int_eq(tcg_init(s, &backend_interp, NULL, 1 << 20), 0);
    build_random(&s->ir, seed);
    if (optimize) {
        tcg_optimize(&s->ir);
    }
    TranslationBlock tb;
    memset(&tb, 0, sizeof(tb));
    tb.icount = 1;
    ck_assert_int_eq(backend_interp.gen_code(s, &s->ir, &tb), 0);
    memset(env, 0, sizeof(*env));
    env->common.budget = 10;
    for (int i = 0; i < 8; i++) {
        env->g[i] = 0x0123456789abcdefull * (uint64_t)(i + 1) ^ seed;
        if (!(i & 1)) {
            env->g[i] &= 0xffffffffu;
        }
    }
    backend_interp.exec(s, env, &tb);
    tcg_free(s);
    free(s);
}

START_TEST(test_random_programs_agree)
{
    for (uint64_t seed = 1; seed <= 300; seed++) {
        TestEnv a, b;
        run(false, seed * 7919, &a);
        run(true, seed * 7919, &b);
        for (int i = 0; i < 8; i++) {
            uint64_t m = (i & 1) ? ~0ull : 0xffffffffull;
            ck_assert_msg((a.g[i] & m) == (b.g[i] & m), "seed %llu global %d: %#llx vs %#llx",
                          (unsigned long long)seed, i, (unsigned long long)a.g[i],
                          (unsigned long long)b.g[i]);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("opt");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_constant_folding);
    tcase_add_test(tc, test_copy_propagation_and_dce);
    tcase_add_test(tc, test_dead_global_store);
    tcase_add_test(tc, test_branch_folding);
    tcase_add_test(tc, test_random_programs_agree);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
