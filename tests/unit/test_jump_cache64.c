/*
 * tests/unit/test_jump_cache64.c — indirect jumps in 64-bit code stay in translated code on
 * either side of 4 GiB: the JIT's per-exit inline cache (TBJumpCache, docs/architecture.md
 * "Block exits") is keyed by the whole RIP in 64-bit blocks.
 *
 * The guest: long mode on 4-level tables (the instruction tests' harness, tests/cpu/harness.c)
 * where PDPT entry 4 repeats entry 0, so linear 4 GiB + x is physical x (SDM Vol. 3A 4.5). The
 * same loop of two JMP rax per iteration runs at 0x20000 and at 4 GiB + 0x20000, and at
 * 4 GiB + 0x20000 next to a twin at 0x20000 whose targets have the same low 32 bits, so a key
 * cut to 32 bits would jump into the wrong copy. Every lookup outside the inline cache (a
 * return to the execution loop, or its C fallback) counts in TCGStats.jc_lookups: the JIT must
 * do a handful, not one per jump. The interpreter has no inline cache: there only the results
 * are checked.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "config.h"
/* the harness of tests/cpu (machine creation, RAM access, long mode, the run loop) */
#include "../cpu/harness.c"

enum { CODE = 0x20000, TABLES = 0x100000, ITERS = 2000 };
#define HIGH (1ull << 32)

/*   mov ecx, ITERS
 * loop:
 *   lea rax, [rip + t1]; jmp rax
 * t1:
 *   lea rax, [rip + t2]; jmp rax
 * t2:
 *   add ebx, `tag`; dec ecx; jnz loop; hlt
 * RIP-relative LEAs: the targets are those of the copy that runs. */
static size_t loop_code(uint8_t *p, uint8_t tag)
{
    static const uint8_t code[] = {
        0xb9, ITERS & 0xff, ITERS >> 8, 0, 0, /* mov ecx, ITERS */
        0x48, 0x8d, 0x05, 2, 0, 0, 0,         /* loop: lea rax, [rip + 2] */
        0xff, 0xe0,                           /* jmp rax */
        0x48, 0x8d, 0x05, 2, 0, 0, 0,         /* t1: lea rax, [rip + 2] */
        0xff, 0xe0,                           /* jmp rax */
        0x83, 0xc3, 0,                        /* t2: add ebx, tag */
        0xff, 0xc9,                           /* dec ecx */
        0x75, 0,                              /* jnz loop */
        0xf4,                                 /* hlt */
    };
    memcpy(p, code, sizeof(code));
    p[25] = tag;
    p[29] = (uint8_t)(5 - 30); /* back to offset 5 from the end of the jnz (30) */
    return sizeof(code);
}

/* Run the loop at linear `at`; returns the C lookups it took. */
static uint64_t run_loop(const char *accel, uint64_t at, bool twin)
{
    Machine *m = harness_create(accel, 4u << 20);
    ck_assert_ptr_nonnull(m);
    uint8_t code[64];
    size_t n = loop_code(code, 1);
    harness_write(m, CODE, code, n);
    harness_set_long64(m, TABLES);
    uint64_t pdpt0;
    harness_read(m, TABLES + 0x1000, &pdpt0, 8);
    harness_write(m, TABLES + 0x1000 + 4 * 8, &pdpt0, 8); /* 4 GiB + x -> x */
    tlb_flush(m);
    CPUX86State *c = &m->cpu;
    if (twin) {
        /* a first run at the low copy fills its blocks, the jump cache and their inline
           caches with keys whose low 32 bits are the high copy's: a jump from the high copy
           into the low one would end at the low HLT */
        c->eip = CODE;
        c->regs[R_EBX] = 0;
        ck_assert_int_eq(harness_run(m, 100000), HARNESS_HALTED);
        ck_assert_uint_eq(c->regs[R_EBX], ITERS);
    }
    c->regs[R_EBX] = 0;
    c->eip = at;
    uint64_t before = m->tcg.stats.jc_lookups;
    int r = harness_run(m, 100000);
    uint64_t lookups = m->tcg.stats.jc_lookups - before;
    ck_assert_int_eq(r, HARNESS_HALTED);
    ck_assert_uint_eq(c->eip, at + n);            /* after the HLT of the copy that ran */
    ck_assert_uint_eq(c->regs[R_ECX], 0);
    ck_assert_uint_eq(c->regs[R_EBX], ITERS);     /* every iteration in this copy */
    machine_destroy(m);
    return lookups;
}

START_TEST(test_results)
{
    const char *accel = test_accels[_i];
    run_loop(accel, CODE, false);
    run_loop(accel, HIGH + CODE, false);
    run_loop(accel, HIGH + CODE, true);
}
END_TEST

#ifdef CONFIG_HOST_X86_64
/* 2 * ITERS indirect jumps: below and above 4 GiB, the inline caches take all but the first
   few (each exit's first jump, and the blocks' first entries) */
START_TEST(test_jit_stays_in_code)
{
    ck_assert_uint_lt(run_loop("jit", CODE, false), 16);
    ck_assert_uint_lt(run_loop("jit", HIGH + CODE, false), 16);
    ck_assert_uint_lt(run_loop("jit", HIGH + CODE, true), 16);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("jump_cache64");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_results, 0, test_nb_accels);
#ifdef CONFIG_HOST_X86_64
    tcase_add_test(tc, test_jit_stays_in_code);
#endif
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
