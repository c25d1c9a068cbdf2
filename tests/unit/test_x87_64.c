/*
 * tests/unit/test_x87_64.c — x87 in 64-bit mode above 4 GiB: memory operands at 64-bit linear
 * addresses, and the last-instruction and data pointers as the SDM lays them out (Vol. 1
 * 8.1.8: 64-bit FIP/FDP offsets in 64-bit mode; Vol. 2A FXSAVE, Tables 3-53 and 3-56: FXSAVE64
 * (REX.W) stores them whole at bytes 8 and 16, FXSAVE the low halves with FCS/FDS at 12 and 20;
 * Vol. 1 Figure 8-9: FNSTENV's 32-bit protected-mode format, REX.W or not).
 *
 * The guest: long mode on 4-level tables (the instruction tests' harness, tests/cpu/harness.c)
 * with PDPT entry 4 pointing to a page directory that maps linear 4 GiB + x to physical
 * 2 MiB + x, so an address cut to 32 bits would reach other memory (physical x). Expected
 * values come from those tables and the layouts above, on both backends.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "config.h"
/* the harness of tests/cpu (machine creation, RAM access, long mode, the run loop) */
#include "../cpu/harness.c"

#define HIGH (1ull << 32)
enum {
    TABLES = 0x100000,
    PHYS_HIGH = 0x200000,   /* where HIGH maps */
    CODE = 0x20000,         /* HIGH + CODE: the code */
    DATA = 0x30000,         /* HIGH + DATA: the operands and the images */
    FX64 = 0x40, FX32 = 0x300, ENV = 0x600, FX64_AGAIN = 0x700,
    FILD_AT = 17,           /* offset of the FILD in the code: the last x87 instruction */
};

static const uint8_t code[] = {
    0x48, 0xb8, 0, 0, 3, 0, 1, 0, 0, 0,        /* mov rax, HIGH + DATA */
    0xdb, 0xe3,                                /* fninit */
    0xdd, 0x00,                                /* fld qword [rax]          1.5 */
    0xdd, 0x58, 0x10,                          /* fstp qword [rax + 0x10] */
    0xdb, 0x40, 0x08,                          /* fild dword [rax + 8]     7 */
    0x48, 0x0f, 0xae, 0x40, FX64,              /* fxsave64 [rax + FX64] */
    0x0f, 0xae, 0x80, 0x00, 0x03, 0, 0,        /* fxsave [rax + FX32] */
    0x48, 0xd9, 0xb0, 0x00, 0x06, 0, 0,        /* rex.w fnstenv [rax + ENV] */
    0x48, 0x0f, 0xae, 0x48, FX64,              /* fxrstor64 [rax + FX64] */
    0x48, 0x0f, 0xae, 0x80, 0x00, 0x07, 0, 0,  /* fxsave64 [rax + FX64_AGAIN] */
    0xf4,                                      /* hlt */
};

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

START_TEST(test_high_operands_and_pointers)
{
    Machine *m = harness_create(test_accels[_i], 4u << 20);
    ck_assert_ptr_nonnull(m);
    harness_set_long64(m, TABLES);
    uint64_t pd[512] = {PHYS_HIGH | 0x87}; /* one 2 MiB page (PS) */
    uint64_t pdpt4 = (TABLES + 0x3000) | 0x7;
    harness_write(m, TABLES + 0x3000, pd, sizeof(pd));
    harness_write(m, TABLES + 0x1000 + 4 * 8, &pdpt4, 8);
    tlb_flush(m);
    harness_write(m, PHYS_HIGH + CODE, code, sizeof(code));
    uint64_t one_and_half = 0x3ff8000000000000ull;
    uint32_t seven = 7;
    harness_write(m, PHYS_HIGH + DATA, &one_and_half, 8);
    harness_write(m, PHYS_HIGH + DATA + 8, &seven, 4);
    /* the same offsets below 4 GiB hold other values: a cut address would load them */
    uint64_t two = 0x4000000000000000ull;
    harness_write(m, DATA, &two, 8);

    CPUX86State *c = &m->cpu;
    c->eip = HIGH + CODE;
    ck_assert_int_eq(harness_run(m, 1000), HARNESS_HALTED);
    ck_assert_uint_eq(c->eip, HIGH + CODE + sizeof(code));

    uint8_t d[0x800];
    harness_read(m, PHYS_HIGH + DATA, d, sizeof(d));
    ck_assert_uint_eq(le(d + 0x10, 8), one_and_half); /* FLD and FSTP above 4 GiB */
    uint8_t low[0x20];
    harness_read(m, DATA, low, sizeof(low));
    ck_assert_uint_eq(le(low + 0x10, 8), 0);          /* nothing stored below */

    uint64_t fip = HIGH + CODE + FILD_AT, fdp = HIGH + DATA + 8;
    unsigned fop = (0xdb & 7) << 8 | 0x40;            /* SDM Vol. 1 8.1.10 */
    /* FXSAVE64 */
    const uint8_t *fx = d + FX64;
    ck_assert_uint_eq(le(fx, 2), 0x037f);
    ck_assert_uint_eq(le(fx + 6, 2), fop);
    ck_assert_uint_eq(le(fx + 8, 8), fip);
    ck_assert_uint_eq(le(fx + 16, 8), fdp);
    ck_assert_uint_eq(le(fx + 32, 8), 0xe000000000000000ull); /* ST0 = 7.0 */
    ck_assert_uint_eq(le(fx + 40, 2), 0x4001);
    /* FXSAVE: the low halves, with FCS and FDS */
    fx = d + FX32;
    ck_assert_uint_eq(le(fx + 6, 2), fop);
    ck_assert_uint_eq(le(fx + 8, 4), (uint32_t)fip);
    ck_assert_uint_eq(le(fx + 12, 2), c->seg[R_CS].selector);
    ck_assert_uint_eq(le(fx + 16, 4), (uint32_t)fdp);
    ck_assert_uint_eq(le(fx + 20, 2), c->seg[R_DS].selector);
    /* FNSTENV with REX.W: still the 28-byte 32-bit format */
    const uint8_t *e = d + ENV;
    ck_assert_uint_eq(le(e, 4), 0xffff037f);
    ck_assert_uint_eq(le(e + 12, 4), (uint32_t)fip);
    ck_assert_uint_eq(le(e + 16, 4), c->seg[R_CS].selector | (uint64_t)fop << 16);
    ck_assert_uint_eq(le(e + 20, 4), (uint32_t)fdp);
    ck_assert_uint_eq(le(e + 24, 2), c->seg[R_DS].selector);
    /* FXRSTOR64 took the 64-bit pointers back: FXSAVE64 gives them again */
    fx = d + FX64_AGAIN;
    ck_assert_uint_eq(le(fx + 8, 8), fip);
    ck_assert_uint_eq(le(fx + 16, 8), fdp);
    ck_assert_uint_eq(c->fpu.fip, fip);
    ck_assert_uint_eq(c->fpu.fdp, fdp);
    machine_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("x87_64");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_high_operands_and_pointers, 0, test_nb_accels);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
