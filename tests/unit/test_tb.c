/*
 * tests/unit/test_tb.c — the translation-block cache (tcg/tb.c): lookup, chaining and
 * unchaining, invalidation by physical range (only overlapping TBs go), pages spanning two
 * guest pages, and flushing. Blocks are small IR functions run on the real backends.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tcg/tcg.h"

typedef struct TestEnv {
    CPUCommon common;
    uint64_t counter;
} TestEnv;

/* A block at pc/phys of `size` guest bytes: counter += 1, then leave through goto_tb slot 0. */
static TranslationBlock *make_tb(TCGContext *s, uint64_t pc, uint64_t phys, uint32_t size)
{
    IRFunc *f = &s->ir;
    ir_func_reset(f);
    if (f->nb_globals == 1) {
        ir_global(f, IR_I64, offsetof(TestEnv, counter), "counter");
    }
    int counter = 1;
    TranslationBlock *tb = tb_alloc(s, 1);
    ck_assert_ptr_nonnull(tb);
    tb->pc = pc;
    tb->phys_pc = phys;
    tb->size = size;
    tb->icount = 1;
    tb->insn_pc[0] = pc;
    tb->phys_page[0] = phys & TLB_PAGE_MASK;
    if (((phys + size - 1) & TLB_PAGE_MASK) != tb->phys_page[0]) {
        tb->phys_page[1] = (phys + size - 1) & TLB_PAGE_MASK;
    }
    ir_emit_insn_start(f, pc);
    ir_emit_addi(f, IR_I64, counter, counter, 1);
    ir_emit_goto_tb(f, 0);
    ir_emit_exit_tb(f, 0);
    tcg_optimize(f);
    ck_assert_int_eq(s->backend->gen_code(s, f, tb), 0);
    tb_alloc_trim(s, tb);
    bool new_page;
    ck_assert(tb_register(s, tb, &new_page));
    return tb;
}

static TCGContext *ctx_new(const Backend *be)
{
    TCGContext *s = calloc(1, sizeof(*s));
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(tcg_init(s, be, NULL, 4 << 20), 0);
    return s;
}

static void ctx_free(TCGContext *s)
{
    tcg_free(s);
    free(s);
}

static void check_chaining(const Backend *be)
{
    TCGContext *s = ctx_new(be);
    TranslationBlock *a = make_tb(s, 0x1000, 0x1000, 8);
    TranslationBlock *b = make_tb(s, 0x2000, 0x2000, 8);
    ck_assert_ptr_eq(tb_lookup(s, NULL, 0x1000, 0x1000, 0, 0, 0), a);
    ck_assert_ptr_eq(tb_lookup(s, NULL, 0x2000, 0x2000, 0, 0, 0), b);
    ck_assert_ptr_null(tb_lookup(s, NULL, 0x3000, 0x3000, 0, 0, 0));

    TestEnv env;
    memset(&env, 0, sizeof(env));
    env.common.budget = 100;
    env.common.tcg = s;
    /* unchained: A runs alone */
    uintptr_t r = be->exec(s, &env, a);
    ck_assert_ptr_eq((void *)(r & ~(uintptr_t)3), a);
    ck_assert_int_eq(env.counter, 1);
    ck_assert_int_eq(env.common.budget, 99);

    /* chained: A continues into B without returning */
    tb_link(s, a, 0, b);
    ck_assert_ptr_eq(a->jmp_dest[0], b);
    r = be->exec(s, &env, a);
    ck_assert_ptr_eq((void *)(r & ~(uintptr_t)3), b);
    ck_assert_int_eq((int)(r & 3), IR_EXIT_SLOT0);
    ck_assert_int_eq(env.counter, 3);
    ck_assert_int_eq(env.common.budget, 97);

    /* budget exhausted at B's entry: B does not run and its charge is undone */
    env.common.budget = 1;
    r = be->exec(s, &env, a);
    ck_assert_ptr_eq((void *)(r & ~(uintptr_t)3), b);
    ck_assert_int_eq((int)(r & 3), IR_EXIT_BUDGET);
    ck_assert_int_eq(env.counter, 4);
    ck_assert_int_eq(env.common.budget, 0);

    /* a write over B's bytes: B goes, the jump into it is unchained */
    env.common.budget = 100;
    ck_assert_int_eq(tb_invalidate_phys_range(s, 0x2004, 0x2005), 1);
    ck_assert(b->invalid);
    ck_assert_ptr_null(a->jmp_dest[0]);
    ck_assert_ptr_null(tb_lookup(s, NULL, 0x2000, 0x2000, 0, 0, 0));
    r = be->exec(s, &env, a);
    ck_assert_ptr_eq((void *)(r & ~(uintptr_t)3), a);
    ck_assert_int_eq(env.counter, 5);
    ctx_free(s);
}

START_TEST(test_chaining_interp)
{
    check_chaining(&backend_interp);
}
END_TEST

#ifdef CONFIG_HOST_X86_64
START_TEST(test_chaining_jit)
{
    check_chaining(&backend_x86_64);
}
END_TEST
#endif

START_TEST(test_invalidation_is_precise)
{
    TCGContext *s = ctx_new(&backend_interp);
    TranslationBlock *c = make_tb(s, 0x5000, 0x5000, 16);
    TranslationBlock *d = make_tb(s, 0x5010, 0x5010, 16);
    /* a cross-page block: 0x5ff8..0x6007 */
    TranslationBlock *e = make_tb(s, 0x5ff8, 0x5ff8, 16);
    ck_assert(tb_page_has_code(s, 0x5000));
    ck_assert(tb_page_has_code(s, 0x6000));
    ck_assert(!tb_page_has_code(s, 0x7000));

    /* a write between blocks touches none */
    ck_assert_int_eq(tb_invalidate_phys_range(s, 0x5020, 0x5024), 0);
    /* a write into D only */
    ck_assert_int_eq(tb_invalidate_phys_range(s, 0x5012, 0x5013), 1);
    ck_assert(!c->invalid && d->invalid && !e->invalid);
    /* a write on the second page of E */
    ck_assert_int_eq(tb_invalidate_phys_range(s, 0x6004, 0x6008), 1);
    ck_assert(e->invalid);
    ck_assert(!tb_page_has_code(s, 0x6000));
    ck_assert(tb_page_has_code(s, 0x5000));
    ck_assert_int_eq(tb_invalidate_phys_page(s, 0x5000), 1);
    ck_assert(c->invalid);
    ck_assert(!tb_page_has_code(s, 0x5000));
    ctx_free(s);
}
END_TEST

START_TEST(test_flush)
{
    TCGContext *s = ctx_new(&backend_interp);
    make_tb(s, 0x1000, 0x1000, 4);
    ck_assert_ptr_nonnull(tb_lookup(s, NULL, 0x1000, 0x1000, 0, 0, 0));
    size_t used = s->code_used;
    ck_assert_uint_gt(used, s->code_start);
    tcg_flush(s);
    ck_assert_ptr_null(tb_lookup(s, NULL, 0x1000, 0x1000, 0, 0, 0));
    ck_assert_uint_eq(s->code_used, s->code_start);
    ck_assert(!tb_page_has_code(s, 0x1000));
    ck_assert_int_eq((int)s->stats.tb_flushes, 1);
    ctx_free(s);
}
END_TEST

/* The jump cache without a physical address: valid only under the generation that checked it.
   A TLB flush or an invalidation (a new generation) makes the next lookup check again. */
START_TEST(test_jump_generation)
{
    TCGContext *s = ctx_new(&backend_interp);
    CPUCommon cpu = {0};
    s->jump_gen = &cpu.jump_gen;
    TranslationBlock *a = make_tb(s, 0x1000, 0x1000, 4);
    ck_assert_ptr_eq(tb_lookup(s, &cpu, 0x1000, 0x1000, 0, 0, 0), a); /* checked: cached */
    ck_assert_ptr_eq(tb_lookup_jump(s, &cpu, 0x1000, 0, 0), a);
    ck_assert_ptr_null(tb_lookup_jump(s, &cpu, 0x1000, 0, 1));     /* other mode flags */
    cpu.jump_gen++;                                                 /* say, CR3 was written */
    ck_assert_ptr_null(tb_lookup_jump(s, &cpu, 0x1000, 0, 0));
    ck_assert_ptr_eq(tb_lookup(s, &cpu, 0x1000, 0x1000, 0, 0, 0), a); /* checked again */
    ck_assert_ptr_eq(tb_lookup_jump(s, &cpu, 0x1000, 0, 0), a);
    uint64_t gen = cpu.jump_gen;
    ck_assert_int_eq(tb_invalidate_phys_range(s, 0x1000, 0x1001), 1);
    ck_assert_uint_gt(cpu.jump_gen, gen);                           /* invalidation: new generation */
    ck_assert_ptr_null(tb_lookup_jump(s, &cpu, 0x1000, 0, 0));
    ctx_free(s);
}
END_TEST

START_TEST(test_key_fields)
{
    TCGContext *s = ctx_new(&backend_interp);
    TranslationBlock *a = make_tb(s, 0x1000, 0x1000, 4);
    /* same pc, other mode flags or CS base: a different block */
    ck_assert_ptr_null(tb_lookup(s, NULL, 0x1000, 0x1000, 0, 1, 0));
    ck_assert_ptr_null(tb_lookup(s, NULL, 0x1000, 0x1000, 0x10, 0, 0));
    ck_assert_ptr_eq(tb_lookup(s, NULL, 0x1000, 0x1000, 0, 0, 0), a);
    ctx_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tb");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_chaining_interp);
#ifdef CONFIG_HOST_X86_64
    tcase_add_test(tc, test_chaining_jit);
#endif
    tcase_add_test(tc, test_invalidation_is_precise);
    tcase_add_test(tc, test_flush);
    tcase_add_test(tc, test_key_fields);
    tcase_add_test(tc, test_jump_generation);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
