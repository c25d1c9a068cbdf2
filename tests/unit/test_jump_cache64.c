/*
 * tests/unit/test_jump_cache64.c — indirect jumps in 64-bit code stay in translated code on
 * either side of 4 GiB: the JIT's per-exit inline cache (TBJumpCache, docs/architecture.md
 * "Block exits") is keyed by the whole RIP in 64-bit blocks.
 *
 * The guest: long mode on 4-level tables (the instruction tests' harness, tests/cpu/harness.c)
 * where PDPT entry 4 repeats entry 0, so linear 4 GiB + x is physical x (SDM Vol. 3A 4.5). The
 * same loop of two JMP rax per iteration runs at 0x20000 and at 4 GiB + 0x20000, and at
 * 4 GiB + 0x20000 after the low copy has run (its blocks and caches hold keys with the same
 * low 32 bits). Every lookup outside the inline cache (a return to the execution loop, or its
 * C fallback) counts in TCGStats.jc_lookups: the JIT must do a handful, not one per jump (it
 * did 4003 when 64-bit targets above 4 GiB left translated code). Then one JMP rax alternates
 * between two targets 4 GiB apart: a cache comparing 32 bits of the key would send every
 * jump to the previous target (it does: EBX 1 instead of 1000). The interpreter has no inline
 * cache: there only the results are checked.
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

/* One exit, two targets 4 GiB apart (the same bytes: 4 GiB + x is x), alternately:
 * loop:  lea rax, [rip + tgt]; add rax, rdi; xor rdi, rsi (RSI = 4 GiB); jmp rax
 * tgt:   lea rdx, [rip]; shr rdx, 32; add ebx, edx   (1 in the high copy, 0 in the low one)
 *        mov eax, back; jmp rax                        (back to the low copy)
 * back:  dec ecx; jnz loop; hlt
 * A key compared on 32 bits would take the previous target for this one: EBX would be off. */
static uint64_t run_alternating(const char *accel, uint64_t *ebx)
{
    Machine *m = harness_create(accel, 4u << 20);
    ck_assert_ptr_nonnull(m);
    uint8_t p[96];
    size_t n = 0;
    static const uint8_t head[] = {
        0xb9, ITERS & 0xff, ITERS >> 8, 0, 0,       /* mov ecx, ITERS */
        0x31, 0xdb,                                 /* xor ebx, ebx */
        0x48, 0xbe, 0, 0, 0, 0, 1, 0, 0, 0,         /* mov rsi, 4 GiB */
        0x31, 0xff,                                 /* xor edi, edi */
    };
    memcpy(p, head, sizeof(head));
    n = sizeof(head);
    size_t loop = n;
    static const uint8_t body[] = {
        0x48, 0x8d, 0x05, 8, 0, 0, 0,               /* lea rax, [rip + 8]: tgt */
        0x48, 0x01, 0xf8,                           /* add rax, rdi */
        0x48, 0x31, 0xf7,                           /* xor rdi, rsi */
        0xff, 0xe0,                                 /* jmp rax */
        0x48, 0x8d, 0x15, 0, 0, 0, 0,               /* tgt: lea rdx, [rip] */
        0x48, 0xc1, 0xea, 0x20,                     /* shr rdx, 32 */
        0x01, 0xd3,                                 /* add ebx, edx */
        0xb8, 0, 0, 0, 0,                           /* mov eax, back */
        0xff, 0xe0,                                 /* jmp rax */
        0xff, 0xc9,                                 /* back: dec ecx */
        0x75, 0,                                    /* jnz loop */
        0xf4,                                       /* hlt */
    };
    memcpy(p + n, body, sizeof(body));
    uint32_t back = CODE + (uint32_t)(n + 35);
    memcpy(p + n + 29, &back, 4);
    n += sizeof(body);
    p[n - 2] = (uint8_t)(loop - (n - 1));
    harness_write(m, CODE, p, n);
    harness_set_long64(m, TABLES);
    uint64_t pdpt0;
    harness_read(m, TABLES + 0x1000, &pdpt0, 8);
    harness_write(m, TABLES + 0x1000 + 4 * 8, &pdpt0, 8); /* 4 GiB + x -> x */
    tlb_flush(m);
    CPUX86State *c = &m->cpu;
    c->eip = CODE;
    uint64_t before = m->tcg.stats.jc_lookups;
    ck_assert_int_eq(harness_run(m, 100000), HARNESS_HALTED);
    uint64_t lookups = m->tcg.stats.jc_lookups - before;
    ck_assert_uint_eq(c->eip, CODE + n);
    *ebx = c->regs[R_EBX];
    machine_destroy(m);
    return lookups;
}

START_TEST(test_results)
{
    const char *accel = test_accels[_i];
    run_loop(accel, CODE, false);
    run_loop(accel, HIGH + CODE, false);
    run_loop(accel, HIGH + CODE, true);
    uint64_t ebx;
    run_alternating(accel, &ebx);
    ck_assert_uint_eq(ebx, ITERS / 2); /* every other jump reached the high copy */
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
    /* one exit alternating between two targets: a miss each time (one entry per exit), but
       never a wrong hit (test_results) */
    uint64_t ebx;
    run_alternating("jit", &ebx);
    ck_assert_uint_eq(ebx, ITERS / 2);
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
