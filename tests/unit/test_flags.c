/*
 * tests/unit/test_flags.c — guest flags as IR values, checked against the host CPU.
 *
 * The expected flags come from running the same operation on the host x86-64 CPU (LAHF/SETO
 * after the instruction), not from xlat's own tables. Three layers are checked:
 *   1. ir_flags_compute, the meaning of every flags kind at every size;
 *   2. every condition code after every kind, through the full lowering (tcg/flags.c) and
 *      optimizer, run on each backend: direct compares and the generic path alike;
 *   3. the dead-flag pass: a flags value overwritten before any reader costs nothing.
 * Undefined flags are masked only where the Intel SDM says "undefined" (see mask_undefined).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tcg/tcg.h"

#if defined(__x86_64__)

/* ---- the host CPU as the reference ---- */

typedef enum { OP_ADD, OP_ADC, OP_SUB, OP_SBB, OP_AND, OP_OR, OP_XOR, OP_INC, OP_DEC,
               OP_SHL, OP_SHR, OP_SAR, OP_SHLD, OP_SHRD, OP_NB } HostOp;

static uint32_t lahf_seto(uint16_t ax)
{
    return ((ax >> 8) & 0xd5u) | ((ax & 0xff) ? IR_EFL_OF : 0);
}

/* one host instruction with CF preset from cin; returns EFLAGS arithmetic bits */
#define HOST_OP(NAME, INSN, T, SFX, CONS)                                                     \
    static uint32_t NAME##_##SFX(uint64_t a, uint64_t b, uint64_t cin, uint64_t *res)      \
    {                                                                                         \
        T r = (T)a, bb = (T)b;                                                                \
        uint64_t c = cin;                                                                     \
        uint16_t ax;                                                                          \
        __asm__("bt $0, %[c]\n\t" INSN "\n\tlahf\n\tseto %%al"                                \
                : [r] "+" CONS(r), "=&a"(ax)                                                  \
                : [b] CONS(bb), [c] "r"(c)                                                    \
                : "cc");                                                                      \
        *res = (uint64_t)r;                                                                   \
        return lahf_seto(ax);                                                                 \
    }
#define HOST_SHIFT(NAME, INSN, T, SFX, CONS)                                                  \
    static uint32_t NAME##_##SFX(uint64_t a, uint64_t b, uint64_t cin, uint64_t *res)      \
    {                                                                                         \
        T r = (T)a;                                                                           \
        uint64_t c = cin;                                                                     \
        uint8_t cnt = (uint8_t)b;                                                             \
        uint16_t ax;                                                                          \
        __asm__("bt $0, %[c]\n\t" INSN "\n\tlahf\n\tseto %%al"                                \
                : [r] "+" CONS(r), "=&a"(ax)                                                  \
                : "c"(cnt), [c] "r"(c)                                                        \
                : "cc");                                                                      \
        *res = (uint64_t)r;                                                                   \
        return lahf_seto(ax);                                                                 \
    }
/* SHLD/SHRD dst, src, cl: the flags are the SHL/SHR kinds of (result, dst, count); the source
   is derived from the inputs, it only reaches the flags through the result */
#define HOST_SHIFTD(NAME, INSN, T, SFX, CONS)                                                 \
    static uint32_t NAME##_##SFX(uint64_t a, uint64_t b, uint64_t cin, uint64_t *res)      \
    {                                                                                         \
        T r = (T)a, src = (T)((a ^ 0x5a5a5a5a5a5a5a5aull) * 0x9e3779b97f4a7c15ull >> 17);   \
        uint64_t c = cin;                                                                     \
        uint8_t cnt = (uint8_t)b;                                                             \
        uint16_t ax;                                                                          \
        __asm__("bt $0, %[c]\n\t" INSN "\n\tlahf\n\tseto %%al"                                \
                : [r] "+" CONS(r), "=&a"(ax)                                                  \
                : [s] "r"(src), "c"(cnt), [c] "r"(c)                                          \
                : "cc");                                                                      \
        *res = (uint64_t)r;                                                                   \
        return lahf_seto(ax);                                                                 \
    }
HOST_SHIFTD(h_shld, "shldw %%cl, %[s], %[r]", uint16_t, 16, "r")
HOST_SHIFTD(h_shld, "shldl %%cl, %[s], %[r]", uint32_t, 32, "r")
HOST_SHIFTD(h_shrd, "shrdw %%cl, %[s], %[r]", uint16_t, 16, "r")
HOST_SHIFTD(h_shrd, "shrdl %%cl, %[s], %[r]", uint32_t, 32, "r")

#define ALL_SIZES(M, NAME, INSN8, INSN16, INSN32)                                             \
    M(NAME, INSN8, uint8_t, 8, "q")                                                           \
    M(NAME, INSN16, uint16_t, 16, "r")                                                        \
    M(NAME, INSN32, uint32_t, 32, "r")

ALL_SIZES(HOST_OP, h_add, "addb %[b], %[r]", "addw %[b], %[r]", "addl %[b], %[r]")
ALL_SIZES(HOST_OP, h_adc, "adcb %[b], %[r]", "adcw %[b], %[r]", "adcl %[b], %[r]")
ALL_SIZES(HOST_OP, h_sub, "subb %[b], %[r]", "subw %[b], %[r]", "subl %[b], %[r]")
ALL_SIZES(HOST_OP, h_sbb, "sbbb %[b], %[r]", "sbbw %[b], %[r]", "sbbl %[b], %[r]")
ALL_SIZES(HOST_OP, h_and, "andb %[b], %[r]", "andw %[b], %[r]", "andl %[b], %[r]")
ALL_SIZES(HOST_OP, h_or, "orb %[b], %[r]", "orw %[b], %[r]", "orl %[b], %[r]")
ALL_SIZES(HOST_OP, h_xor, "xorb %[b], %[r]", "xorw %[b], %[r]", "xorl %[b], %[r]")
ALL_SIZES(HOST_OP, h_inc, "incb %[r]", "incw %[r]", "incl %[r]")
ALL_SIZES(HOST_OP, h_dec, "decb %[r]", "decw %[r]", "decl %[r]")
ALL_SIZES(HOST_SHIFT, h_shl, "shlb %%cl, %[r]", "shlw %%cl, %[r]", "shll %%cl, %[r]")
ALL_SIZES(HOST_SHIFT, h_shr, "shrb %%cl, %[r]", "shrw %%cl, %[r]", "shrl %%cl, %[r]")
ALL_SIZES(HOST_SHIFT, h_sar, "sarb %%cl, %[r]", "sarw %%cl, %[r]", "sarl %%cl, %[r]")

typedef uint32_t (*HostFn)(uint64_t, uint64_t, uint64_t, uint64_t *);
#define ROW(n) {n##_8, n##_16, n##_32}
static const HostFn host_fn[OP_NB][3] = {
    ROW(h_add), ROW(h_adc), ROW(h_sub), ROW(h_sbb), ROW(h_and), ROW(h_or),
    ROW(h_xor), ROW(h_inc), ROW(h_dec), ROW(h_shl), ROW(h_shr), ROW(h_sar),
    {NULL, h_shld_16, h_shld_32}, {NULL, h_shrd_16, h_shrd_32}, /* no 8-bit SHLD/SHRD */
};
static const IRFlagsOp ir_kind_of[OP_NB] = {
    IR_FL_ADD, IR_FL_ADC, IR_FL_SUB, IR_FL_SBB, IR_FL_LOGIC, IR_FL_LOGIC,
    IR_FL_LOGIC, IR_FL_INC, IR_FL_DEC, IR_FL_SHL, IR_FL_SHR, IR_FL_SAR,
    IR_FL_SHL, IR_FL_SHR, /* SHLD and SHRD use the SHL and SHR kinds (cpu/translate-shift.c) */
};

/* Flags the SDM leaves undefined for this operation (Vol. 2, "Flags Affected"). */
static uint32_t mask_undefined(HostOp op, int bits, uint64_t count)
{
    switch (op) {
    case OP_AND: case OP_OR: case OP_XOR:
        return ~(uint32_t)IR_EFL_AF; /* AND/OR/XOR: "The state of the AF flag is undefined" */
    case OP_SHLD: case OP_SHRD: {
        uint32_t m = ~(uint32_t)IR_EFL_AF; /* SHLD/SHRD: "the AF flag is undefined" */
        if (count != 1) {
            m &= ~(uint32_t)IR_EFL_OF; /* "For a 1-bit shift, the OF flag is set if a sign
                                          change occurred; otherwise, it is cleared. For
                                          shifts greater than 1 bit, the OF flag is undefined" */
        }
        return m; /* (counts above the operand size are not generated: all undefined) */
    }
    case OP_SHL: case OP_SHR: case OP_SAR: {
        uint32_t m = ~(uint32_t)IR_EFL_AF; /* SAL/SAR/SHL/SHR: AF undefined for nonzero counts */
        if (count != 1) {
            m &= ~(uint32_t)IR_EFL_OF; /* "The OF flag is affected only on 1-bit shifts" */
        }
        if (op != OP_SAR && count >= (uint64_t)bits) {
            m &= ~(uint32_t)IR_EFL_CF; /* "undefined for SHL and SHR where count >= size" */
        }
        return m;
    }
    default:
        return ~0u;
    }
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t interesting(int bits)
{
    static const uint64_t v[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                 0x7fffffff, 0x80000000, 0xffffffff, 0xf, 0x10};
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t x = (rnd() & 1) ? v[rnd() % (sizeof(v) / sizeof(v[0]))] : rnd();
    return x & mask;
}

/* the operands as xlat's translator passes them to fl_def */
static void make_case(HostOp op, int bits, uint64_t *a, uint64_t *b, uint64_t *cin)
{
    *a = interesting(bits);
    *b = interesting(bits);
    *cin = rnd() & 1;
    if (op >= OP_SHL) {
        *b = 1 + rnd() % 31; /* masked counts, zero excluded (the translator skips those) */
    }
    if ((op == OP_SHLD || op == OP_SHRD) && *b > (uint64_t)bits) {
        *b = 1 + *b % bits; /* up to the operand size: beyond it the result is undefined */
    }
    if (op == OP_INC || op == OP_DEC) {
        *b = 1;
    }
}

START_TEST(test_compute_matches_host)
{
    int checked = 0;
    for (int op = 0; op < OP_NB; op++) {
        for (int sz = 0; sz < 3; sz++) {
            int bits = 8 << sz;
            if (!host_fn[op][sz]) {
                continue;
            }
            for (int i = 0; i < 20000; i++) {
                uint64_t a, b, cin, res;
                make_case((HostOp)op, bits, &a, &b, &cin);
                uint32_t want = host_fn[op][sz](a, b, cin, &res);
                uint32_t got = ir_flags_compute(IR_FL_KIND(ir_kind_of[op], sz), res, a, b, cin);
                uint32_t m = mask_undefined((HostOp)op, bits, b) & IR_EFL_ARITH;
                ck_assert_msg((want & m) == (got & m),
                              "op %d size %d a=%#llx b=%#llx cin=%d res=%#llx: host %#x xlat %#x",
                              op, bits, (unsigned long long)a, (unsigned long long)b, (int)cin,
                              (unsigned long long)res, want & m, got & m);
                checked++;
            }
        }
    }
    ck_assert_int_gt(checked, 0);
}
END_TEST

/* ---- conditions through lowering, optimizer and a backend ---- */

typedef struct TestEnv {
    CPUCommon common;
    IRLazyFlags cc;
    uint64_t in[4];
    uint64_t out[16];
} TestEnv;

/* Build: fl_def(kind, in0..in3) then out[cc] = cond(cc) for every cc; optionally through an
   extra block boundary so the generic (unknown kind) path runs. */
static void run_conditions(const Backend *be, unsigned kind, uint64_t res, uint64_t a, uint64_t b,
                           uint64_t c, bool across_label, uint32_t out[16])
{
    TCGContext *s = calloc(1, sizeof(*s));
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(tcg_init(s, be, NULL, 1 << 20), 0);
    IRFunc *f = &s->ir;
    int gin[4], gout[16];
    for (int i = 0; i < 4; i++) {
        gin[i] = ir_global(f, IR_I32, offsetof(TestEnv, in[i]), "in");
    }
    for (int i = 0; i < 16; i++) {
        gout[i] = ir_global(f, IR_I32, offsetof(TestEnv, out[i]), "out");
    }
    int F = ir_global_flags(f, IR_I32, offsetof(TestEnv, cc), "flags");
    ir_emit_insn_start(f, 0);
    ir_emit_fl_def(f, IR_I32, F, kind, gin[0], gin[1], gin[2], gin[3]);
    if (across_label) {
        int l = ir_label_new(f);
        ir_emit_br(f, l);
        ir_emit_label(f, l);
    }
    for (int cc = 0; cc < 16; cc++) {
        int t = ir_temp_new(f, IR_I32);
        ir_emit_fl_cond(f, t, F, cc);
        ir_emit_mov(f, IR_I32, gout[cc], t);
    }
    /* and one branch form */
    int taken = ir_label_new(f);
    ir_emit_fl_brcond(f, F, 4 /* E */, taken);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
    ir_emit_label(f, taken);
    ir_emit_exit_tb(f, IR_EXIT_SLOT1);

    if (!be->native_flags) {
        tcg_lower_flags(f);
    }
    tcg_optimize(f);
    TranslationBlock tb;
    memset(&tb, 0, sizeof(tb));
    tb.icount = 1;
    ck_assert_int_eq(be->gen_code(s, f, &tb), 0);

    TestEnv env;
    memset(&env, 0, sizeof(env));
    env.common.budget = 100;
    env.in[0] = res;
    env.in[1] = a;
    env.in[2] = b;
    env.in[3] = c;
    uintptr_t r = be->exec(s, &env, &tb);
    for (int cc = 0; cc < 16; cc++) {
        out[cc] = (uint32_t)env.out[cc];
    }
    /* the branch agrees with the E condition */
    ck_assert_int_eq((int)(r & 3), out[4] ? IR_EXIT_SLOT1 : IR_EXIT_NOCHAIN);
    /* and the lazy state left behind describes the same flags */
    uint32_t e = ir_flags_compute(env.cc.kind, env.cc.res, env.cc.a, env.cc.b, env.cc.c);
    ck_assert_uint_eq(e, ir_flags_compute(kind, res, a, b, c));
    tcg_free(s);
    free(s);
}

/* host SETcc for each condition after the host operation */
static uint32_t host_cc(uint32_t eflags_arith, int cc)
{
    uint64_t fl = eflags_arith | 2;
    uint8_t v;
#define SETCC(n, insn)                                                                       \
    case n:                                                                                  \
        __asm__("addq $-128, %%rsp\n\tpushq %1\n\tpopfq\n\t" insn " %0\n\tsubq $-128, %%rsp"   \
                : "=q"(v)                                                                    \
                : "r"(fl)                                                                    \
                : "cc");                                                                     \
        break;
    /* pushq/popfq touch the stack below %rsp: the asm steps over the red zone first */
    switch (cc) {
        SETCC(0, "seto") SETCC(1, "setno") SETCC(2, "setb") SETCC(3, "setae")
        SETCC(4, "sete") SETCC(5, "setne") SETCC(6, "setbe") SETCC(7, "seta")
        SETCC(8, "sets") SETCC(9, "setns") SETCC(10, "setp") SETCC(11, "setnp")
        SETCC(12, "setl") SETCC(13, "setge") SETCC(14, "setle") SETCC(15, "setg")
    default: v = 0;
    }
#undef SETCC
    return v;
}

static void check_conditions(const Backend *be)
{
    for (int op = 0; op < OP_NB; op++) {
        for (int sz = 0; sz < 3; sz++) {
            int bits = 8 << sz;
            if (!host_fn[op][sz]) {
                continue;
            }
            for (int i = 0; i < 60; i++) {
                uint64_t a, b, cin, res;
                make_case((HostOp)op, bits, &a, &b, &cin);
                uint32_t hf = host_fn[op][sz](a, b, cin, &res);
                uint32_t m = mask_undefined((HostOp)op, bits, b);
                unsigned kind = IR_FL_KIND(ir_kind_of[op], sz);
                /* garbage above the operand size must not matter */
                uint64_t junk = rnd() << bits;
                for (int across = 0; across < 2; across++) {
                    uint32_t got[16];
                    run_conditions(be, kind, res | junk, a | junk, b | (op >= OP_SHL ? 0 : junk),
                                   cin, across, got);
                    for (int cc = 0; cc < 16; cc++) {
                        /* skip conditions that read an undefined flag */
                        static const uint32_t reads[8] = {
                            IR_EFL_OF, IR_EFL_CF, IR_EFL_ZF, IR_EFL_CF | IR_EFL_ZF,
                            IR_EFL_SF, IR_EFL_PF, IR_EFL_SF | IR_EFL_OF,
                            IR_EFL_ZF | IR_EFL_SF | IR_EFL_OF};
                        if ((reads[cc >> 1] & ~m) != 0) {
                            continue;
                        }
                        ck_assert_msg(got[cc] == host_cc(hf, cc),
                                      "%s: op %d size %d cc %d across %d a=%#llx b=%#llx: "
                                      "host %u xlat %u",
                                      be->name, op, bits, cc, across, (unsigned long long)a,
                                      (unsigned long long)b, host_cc(hf, cc), got[cc]);
                    }
                }
            }
        }
    }
}

START_TEST(test_conditions_interp)
{
    check_conditions(&backend_interp);
}
END_TEST

#ifdef CONFIG_HOST_X86_64
START_TEST(test_conditions_jit)
{
    check_conditions(&backend_x86_64);
}
END_TEST
#endif

#endif /* __x86_64__ */

/* ---- the dead-flag pass, independent of the host ---- */

START_TEST(test_dead_flags_dropped)
{
    IRFunc f;
    ir_func_init(&f);
    int g = ir_global(&f, IR_I32, 8, "r");
    int F = ir_global_flags(&f, IR_I32, 64, "flags");
    int z = ir_const(&f, IR_I32, 0);
    /* three defs in a row: only the last can be observed (at the block exit) */
    for (int i = 0; i < 3; i++) {
        ir_emit_fl_def(&f, IR_I32, F, IR_FL_KIND(IR_FL_ADD, 2), g, g, g, z);
    }
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    tcg_lower_flags(&f);
    ck_assert_int_eq((int)f.stat_flags_dropped, 2);
    int kind_stores = 0;
    for (int i = 0; i < f.nb_ops; i++) {
        if (f.ops[i].opc == IR_mov && ir_oarg(&f.ops[i], 0) == f.temps[F].fl_kind) {
            kind_stores++;
        }
    }
    ck_assert_int_eq(kind_stores, 1);
    ir_func_free(&f);
}
END_TEST

START_TEST(test_flags_kept_before_fault)
{
    /* a guest load between two defs may fault and deliver EFLAGS: the first def must stay */
    IRFunc f;
    ir_func_init(&f);
    int g = ir_global(&f, IR_I32, 8, "r");
    int F = ir_global_flags(&f, IR_I32, 64, "flags");
    int z = ir_const(&f, IR_I32, 0);
    ir_emit_fl_def(&f, IR_I32, F, IR_FL_KIND(IR_FL_SUB, 2), g, g, g, z);
    int t = ir_temp_new(&f, IR_I32);
    ir_emit_gld(&f, IR_I32, t, g, IR_MO_32, 0);
    ir_emit_fl_def(&f, IR_I32, F, IR_FL_KIND(IR_FL_ADD, 2), t, g, g, z);
    ir_emit_exit_tb(&f, IR_EXIT_NOCHAIN);
    tcg_lower_flags(&f);
    ck_assert_int_eq((int)f.stat_flags_dropped, 0);
    ir_func_free(&f);
}
END_TEST

static Suite *flags_suite(void)
{
    Suite *s = suite_create("flags");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
#if defined(__x86_64__)
    tcase_add_test(tc, test_compute_matches_host);
    tcase_add_test(tc, test_conditions_interp);
#ifdef CONFIG_HOST_X86_64
    tcase_add_test(tc, test_conditions_jit);
#endif
#endif
    tcase_add_test(tc, test_dead_flags_dropped);
    tcase_add_test(tc, test_flags_kept_before_fault);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(flags_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
