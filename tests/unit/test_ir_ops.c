/*
 * tests/unit/test_ir_ops.c — every IR op (but the fl_* family, tested with tcg/flags.c) on every
 * backend: the portable interpreter and, on x86-64 hosts, the JIT.
 *
 * Each block is built as an IRFunc by hand and given straight to a backend's gen_code (no
 * optimizer, so constant operands reach the backend). Inputs come from globals (fields of
 * TestCPU; i32 globals get garbage in the other half of their 64-bit field), normal temps, local
 * temps or constants, because backends special-case immediates and register-held values;
 * outputs go to globals directly, through temps, or in place. Every result is compared with a
 * reference computed in plain C below (written independently of the backends, bit by bit where
 * that is clearer), and the backends' results with each other.
 *
 * Also: branches and loops over local temps, helper calls of 0..6 mixed arguments, host ld/st
 * with every memop, guest gld/gst through a TLB filled by hand, chaining, the budget exit,
 * lookup_and_goto, the instruction index seen by helpers that may raise, and the write-back of
 * cached globals around helpers and env loads/stores.
 * Each test prints how many comparisons it made; failures are listed on stderr.
 */
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tcg/tcg.h"

#define NB 48 /* computations per block */

typedef struct TestCPU {
    CPUCommon common;
    uint64_t in[6][NB];
    uint64_t out[2][NB];
    uint64_t chk[2][NB]; /* results of canonical-form checks, see emit_canon_check */
    uint64_t misc[16];
    uint8_t buf[512];
} TestCPU;

enum { MISC_PC = 15 };

#define GARBAGE32 0xdeadbeefu
#define GARBAGE64 0xdeadbeefdeadbeefull

/* ---- backends and fixtures ---- */

static const Backend *const backends[] = {
    &backend_interp,
#ifdef CONFIG_HOST_X86_64
    &backend_x86_64,
#endif
};
#define NB_BACKENDS ((int)(sizeof(backends) / sizeof(backends[0])))

static TCGContext *ctx[NB_BACKENDS];
static TestCPU *cpu;
static unsigned long n_checks, n_failures;
static uint64_t rng_state;

static void test_get_tb_key(CPUCommon *env, uint64_t *pc, uint64_t *phys_pc, uint64_t *cs_base,
                            uint32_t *flags)
{
    *pc = ((TestCPU *)env)->misc[MISC_PC];
    *phys_pc = *pc;
    *cs_base = 0;
    *flags = 0;
}

static const TCGFrontend test_fe = {.get_tb_key = test_get_tb_key};

static void setup(void)
{
    cpu = calloc(1, sizeof(*cpu));
    ck_assert_ptr_nonnull(cpu);
    for (int be = 0; be < NB_BACKENDS; be++) {
        ctx[be] = calloc(1, sizeof(TCGContext));
        ck_assert_ptr_nonnull(ctx[be]);
        ck_assert_int_eq(tcg_init(ctx[be], backends[be], &test_fe, 32u << 20), 0);
    }
    n_checks = n_failures = 0;
    rng_state = 0x9e3779b97f4a7c15ull;
}

static void teardown(void)
{
    for (int be = 0; be < NB_BACKENDS; be++) {
        tcg_free(ctx[be]);
        free(ctx[be]);
        ctx[be] = NULL;
    }
    free(cpu);
    cpu = NULL;
}

static void failf(const char *fmt, ...)
{
    n_failures++;
    if (n_failures <= 40) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
}

static void check_u64(const char *what, int be, uint64_t got, uint64_t want)
{
    n_checks++;
    if (got != want) {
        failf("[%s] %s: got 0x%" PRIx64 ", expected 0x%" PRIx64, backends[be]->name, what, got,
              want);
    }
}

#define FINISH()                                                                                \
    do {                                                                                        \
        fprintf(stderr, "%s: %lu checks on %d backend(s), %lu failed\n", __func__, n_checks,    \
                NB_BACKENDS, n_failures);                                                       \
        ck_assert_msg(n_failures == 0, "%lu of %lu checks failed (listed on stderr)",            \
                      n_failures, n_checks);                                                    \
    } while (0)

/* xorshift64: fixed seed, so failures reproduce */
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* random values of random widths, some sign-extended: small and large values alike */
static uint64_t rnd_value(void)
{
    uint64_t v = rnd();
    unsigned w = (unsigned)(rnd() % 64) + 1;
    if (w < 64) {
        v &= (1ull << w) - 1;
        if (rnd() & 1 && (v >> (w - 1)) & 1) {
            v |= ~0ull << w;
        }
    }
    return v;
}

static const uint64_t edges[] = {
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fffffff,          /* INT32_MAX */
    0x80000000,          /* INT32_MIN as i32 */
    0xffffffff,
    0xfffffffe,
    0x80000001,
    0x100000000,
    0xffffffff80000000,  /* INT32_MIN sign-extended */
    0x7fffffffffffffff,  /* INT64_MAX */
    0x8000000000000000,  /* INT64_MIN */
    0xffffffffffffffff,
    0xfffffffffffffffe,
    0x123456789abcdef0,
};
#define NB_EDGES ((int)(sizeof(edges) / sizeof(edges[0])))

/* ---- the CPU-state fields behind globals ---- */

/* The i32 view of a 64-bit field is its low half, wherever the host keeps it (as in ir.c). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LOW_HALF 4
#define HIGH_HALF 0
#else
#define LOW_HALF 0
#define HIGH_HALF 4
#endif

static int32_t field_off(const void *field, IRType t)
{
    int32_t off = (int32_t)((const uint8_t *)field - (const uint8_t *)cpu);
    return t == IR_I32 ? off + LOW_HALF : off;
}

static uint64_t mask_t(IRType t, uint64_t v)
{
    return t == IR_I32 ? (uint32_t)v : v;
}

static int64_t sext_t(IRType t, uint64_t v)
{
    return t == IR_I32 ? (int64_t)(int32_t)v : (int64_t)v;
}

/* an i32 field gets garbage in its other half: backends must read only their 32 bits */
static void field_set(uint64_t *field, IRType t, uint64_t v)
{
    if (t == IR_I32) {
        uint32_t lo = (uint32_t)v, hi = GARBAGE32;
        memcpy((uint8_t *)field + LOW_HALF, &lo, 4);
        memcpy((uint8_t *)field + HIGH_HALF, &hi, 4);
    } else {
        *field = v;
    }
}

/* the value of a field as type t; for i32, checks that the other half was left alone */
static uint64_t field_get(int be, const uint64_t *field, IRType t)
{
    if (t == IR_I32) {
        uint32_t lo, hi;
        memcpy(&lo, (const uint8_t *)field + LOW_HALF, 4);
        memcpy(&hi, (const uint8_t *)field + HIGH_HALF, 4);
        check_u64("other half of an i32 global after a write", be, hi, GARBAGE32);
        return lo;
    }
    return *field;
}

/* ---- running blocks ---- */

typedef void BuildFn(IRFunc *f, const void *arg);

static void translate(int be, TranslationBlock *tb, BuildFn *build, const void *arg)
{
    TCGContext *s = ctx[be];
    for (int attempt = 0; attempt < 2; attempt++) {
        IRFunc f;
        ir_func_init(&f);
        build(&f, arg);
        int r = s->backend->gen_code(s, &f, tb);
        ir_func_free(&f);
        if (r == 0) {
            return;
        }
        tcg_flush(s);
    }
    ck_abort_msg("%s: gen_code failed on an empty code cache", s->backend->name);
}

static uintptr_t exec_tb(int be, TranslationBlock *tb)
{
    cpu->common.tcg = ctx[be];
    return ctx[be]->backend->exec(ctx[be], cpu, tb);
}

static void tb_init(TranslationBlock *tb, uint32_t icount)
{
    memset(tb, 0, sizeof(*tb));
    tb->icount = icount;
    tb->phys_page[0] = tb->phys_page[1] = (uint64_t)-1;
}

/* Translate and run a one-off block that ends with exit_tb(IR_EXIT_NOCHAIN). */
static void run_block(int be, BuildFn *build, const void *arg)
{
    TranslationBlock tb;
    tb_init(&tb, 1);
    translate(be, &tb, build, arg);
    cpu->common.budget = 1000;
    uintptr_t r = exec_tb(be, &tb);
    check_u64("exit value of a one-off block", be, r, (uintptr_t)&tb | IR_EXIT_NOCHAIN);
    check_u64("budget after a one-off block", be, (uint64_t)cpu->common.budget, 999);
}

/* ---- reference semantics, in plain C ---- */

static bool ref_cond(IRCond c, IRType t, uint64_t a, uint64_t b)
{
    uint64_t ua = mask_t(t, a), ub = mask_t(t, b);
    int64_t sa = sext_t(t, a), sb = sext_t(t, b);
    switch (c) {
    case IR_COND_NEVER: return false;
    case IR_COND_ALWAYS: return true;
    case IR_COND_EQ: return ua == ub;
    case IR_COND_NE: return ua != ub;
    case IR_COND_LT: return sa < sb;
    case IR_COND_GE: return sa >= sb;
    case IR_COND_LE: return sa <= sb;
    case IR_COND_GT: return sa > sb;
    case IR_COND_LTU: return ua < ub;
    case IR_COND_GEU: return ua >= ub;
    case IR_COND_LEU: return ua <= ub;
    case IR_COND_GTU: return ua > ub;
    }
    return false;
}

static unsigned width(IRType t)
{
    return t == IR_I32 ? 32 : 64;
}

static uint64_t bit(uint64_t v, unsigned i)
{
    return (v >> i) & 1;
}

/* rotations bit by bit: result bit i is a's bit (i - c) mod w */
static uint64_t ref_rotl(IRType t, uint64_t a, unsigned c)
{
    unsigned w = width(t);
    uint64_t r = 0;
    for (unsigned i = 0; i < w; i++) {
        r |= bit(a, (i + w - c) % w) << i;
    }
    return r;
}

/* 64x64 -> 128 unsigned product by shift-and-add */
static void ref_mulu128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    uint64_t l = 0, h = 0;
    for (int i = 63; i >= 0; i--) {
        h = (h << 1) | (l >> 63);
        l <<= 1;
        if (bit(b, (unsigned)i)) {
            uint64_t nl = l + a;
            h += nl < l;
            l = nl;
        }
    }
    *lo = l;
    *hi = h;
}

/* signed: multiply magnitudes, negate the 128-bit result if the signs differ */
static void ref_muls128(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    bool na = (int64_t)a < 0, nb = (int64_t)b < 0;
    uint64_t l, h;
    ref_mulu128(na ? -a : a, nb ? -b : b, &l, &h);
    if (na != nb) {
        l = ~l + 1;
        h = ~h + (l == 0);
    }
    *lo = l;
    *hi = h;
}

static uint64_t ref_extract(uint64_t a, unsigned pos, unsigned len)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < len; i++) {
        r |= bit(a, pos + i) << i;
    }
    return r;
}

static uint64_t ref_deposit(uint64_t a, uint64_t b, unsigned pos, unsigned len)
{
    uint64_t r = a;
    for (unsigned i = 0; i < len; i++) {
        r = (r & ~(1ull << (pos + i))) | (bit(b, i) << (pos + i));
    }
    return r;
}

typedef struct OpCase {
    IROpcode opc;
    IRType type;            /* IROp.type */
    IRType in_type, out_type;
    int nin, nout;
    int ncargs;
    IRArg c[2];
} OpCase;

static void op_case_name(const OpCase *oc, char *buf, size_t n)
{
    int k = snprintf(buf, n, "%s_%s", ir_op_defs[oc->opc].name, oc->type == IR_I64 ? "i64" : "i32");
    if (oc->opc == IR_setcond || oc->opc == IR_movcond || oc->opc == IR_brcond) {
        snprintf(buf + k, n - (size_t)k, " %s", ir_cond_name((IRCond)oc->c[0]));
    } else if (oc->ncargs == 2) {
        snprintf(buf + k, n - (size_t)k, " pos %d len %d", (int)oc->c[0], (int)oc->c[1]);
    }
}

/* the expected outputs of oc on inputs v */
static void ref_op(const OpCase *oc, const uint64_t *v, uint64_t *out)
{
    IRType t = oc->type;
    uint64_t a = mask_t(oc->in_type, v[0]), b = mask_t(oc->in_type, v[1]);
    unsigned w = width(t), c = (unsigned)(b % w);
    uint64_t r = 0, hi = 0;
    switch (oc->opc) {
    case IR_mov: r = a; break;
    case IR_add: r = a + b; break;
    case IR_sub: r = a - b; break;
    case IR_mul: r = a * b; break;
    case IR_and: r = a & b; break;
    case IR_or: r = a | b; break;
    case IR_xor: r = a ^ b; break;
    case IR_andc: r = a & ~b; break;
    case IR_shl: r = c ? a << c : a; break;
    case IR_shr: r = c ? a >> c : a; break;
    case IR_sar: {
        /* shift in copies of the sign bit, one at a time */
        uint64_t s = bit(a, w - 1);
        r = a;
        for (unsigned i = 0; i < c; i++) {
            r = (r >> 1) | (s << (w - 1));
        }
        break;
    }
    case IR_rotl: r = ref_rotl(t, a, c); break;
    case IR_rotr: r = ref_rotl(t, a, (w - c) % w); break;
    case IR_neg: r = 0 - a; break;
    case IR_not: r = ~a; break;
    case IR_mulu2:
        if (t == IR_I32) {
            uint64_t p = a * b;
            r = (uint32_t)p;
            hi = p >> 32;
        } else {
            ref_mulu128(a, b, &r, &hi);
        }
        break;
    case IR_muls2:
        if (t == IR_I32) {
            int64_t p = (int64_t)(int32_t)a * (int64_t)(int32_t)b;
            r = (uint32_t)p;
            hi = (uint32_t)((uint64_t)p >> 32);
        } else {
            ref_muls128(a, b, &r, &hi);
        }
        break;
    case IR_ext8s: r = (uint64_t)(int64_t)(int8_t)(uint8_t)a; break;
    case IR_ext8u: r = (uint8_t)a; break;
    case IR_ext16s: r = (uint64_t)(int64_t)(int16_t)(uint16_t)a; break;
    case IR_ext16u: r = (uint16_t)a; break;
    case IR_ext32s: r = (uint64_t)(int64_t)(int32_t)(uint32_t)a; break;
    case IR_ext32u: r = (uint32_t)a; break;
    case IR_ext_i32_i64: r = (uint64_t)(int64_t)(int32_t)(uint32_t)a; break;
    case IR_extu_i32_i64: r = (uint32_t)a; break;
    case IR_extrl_i64_i32: r = (uint32_t)a; break;
    case IR_extrh_i64_i32: r = a >> 32; break;
    case IR_deposit: r = ref_deposit(a, b, (unsigned)oc->c[0], (unsigned)oc->c[1]); break;
    case IR_extract: r = ref_extract(a, (unsigned)oc->c[0], (unsigned)oc->c[1]); break;
    case IR_sextract: {
        unsigned len = (unsigned)oc->c[1];
        r = ref_extract(a, (unsigned)oc->c[0], len);
        if (bit(r, len - 1)) {
            r |= len < 64 ? ~0ull << len : 0;
        }
        break;
    }
    case IR_setcond: r = ref_cond((IRCond)oc->c[0], t, a, b); break;
    case IR_movcond:
        r = ref_cond((IRCond)oc->c[0], t, a, b) ? v[2] : v[3];
        break;
    default:
        ck_abort_msg("no reference for %s", ir_op_defs[oc->opc].name);
    }
    out[0] = mask_t(oc->out_type, r);
    out[1] = mask_t(oc->out_type, hi);
}

/* ---- batches of one op over many inputs ---- */

enum { SRC_GLOBAL, SRC_TEMP, SRC_LOCAL, SRC_CONST };
enum { DST_GLOBAL, DST_TEMP, DST_LOCAL, DST_INPLACE };

/* operand sources per input (inputs beyond an op's count are ignored) */
static const uint8_t src_patterns[][4] = {
    {SRC_GLOBAL, SRC_GLOBAL, SRC_GLOBAL, SRC_GLOBAL},
    {SRC_TEMP, SRC_TEMP, SRC_TEMP, SRC_TEMP},
    {SRC_LOCAL, SRC_LOCAL, SRC_LOCAL, SRC_LOCAL},
    {SRC_GLOBAL, SRC_CONST, SRC_GLOBAL, SRC_CONST},
    {SRC_CONST, SRC_GLOBAL, SRC_CONST, SRC_GLOBAL},
    {SRC_CONST, SRC_CONST, SRC_CONST, SRC_CONST},
    {SRC_TEMP, SRC_CONST, SRC_LOCAL, SRC_GLOBAL},
    {SRC_GLOBAL, SRC_GLOBAL, SRC_CONST, SRC_CONST},
};
#define NB_PATTERNS ((int)(sizeof(src_patterns) / sizeof(src_patterns[0])))

typedef struct Batch {
    const OpCase *oc;
    int n;
    uint64_t v[NB][4];
    const uint8_t *src;
    int dst;
    bool nops;
} Batch;

static int src_operand(IRFunc *f, IRType t, int src, int global, uint64_t v)
{
    int tmp;
    switch (src) {
    case SRC_GLOBAL:
        return global;
    case SRC_TEMP:
        tmp = ir_temp_new(f, t);
        ir_emit_mov(f, t, tmp, global);
        return tmp;
    case SRC_LOCAL:
        tmp = ir_temp_local(f, t);
        ir_emit_mov(f, t, tmp, global);
        return tmp;
    default:
        return ir_const(f, t, (int64_t)v);
    }
}

/* chk = (tmp == expected), computed by the backend: a result held in a temp must equal the
   constant, at its type. An interpreter that kept an i32 value non-canonical in a slot (upper
   bits set) fails this even though storing it to an i32 global would hide the difference. */
static void emit_canon_check(IRFunc *f, IRType t, int tmp, uint64_t expected, int gchk)
{
    ir_emit_setcond(f, t, IR_COND_EQ, gchk, tmp, ir_const(f, t, (int64_t)expected));
}

static int chk_global(IRFunc *f, IRType t, int j, int k)
{
    return ir_global(f, t, field_off(&cpu->chk[j][k], t), "chk");
}

static void build_batch(IRFunc *f, const void *arg)
{
    const Batch *b = arg;
    const OpCase *oc = b->oc;
    bool via_temp = b->dst == DST_TEMP || b->dst == DST_LOCAL;
    int gin[4][NB], gout[2][NB], gchk[2][NB];
    for (int i = 0; i < oc->nin; i++) {
        for (int k = 0; k < b->n; k++) {
            gin[i][k] = ir_global(f, oc->in_type, field_off(&cpu->in[i][k], oc->in_type), "in");
        }
    }
    for (int j = 0; j < oc->nout; j++) {
        for (int k = 0; k < b->n; k++) {
            gout[j][k] =
                ir_global(f, oc->out_type, field_off(&cpu->out[j][k], oc->out_type), "out");
            if (via_temp) {
                gchk[j][k] = chk_global(f, oc->out_type, j, k);
            }
        }
    }
    for (int k = 0; k < b->n; k++) {
        IRArg args[IR_MAX_ARGS];
        int na = 0, outs[2];
        for (int j = 0; j < oc->nout; j++) {
            switch (b->dst) {
            case DST_TEMP:
                outs[j] = ir_temp_new(f, oc->out_type);
                break;
            case DST_LOCAL:
                outs[j] = ir_temp_local(f, oc->out_type);
                break;
            case DST_INPLACE:
                outs[j] = j == 0 ? gin[0][k] : gout[j][k];
                break;
            default:
                outs[j] = gout[j][k];
            }
            args[na++] = (IRArg)outs[j];
        }
        for (int i = 0; i < oc->nin; i++) {
            args[na++] = (IRArg)src_operand(f, oc->in_type, b->src[i], gin[i][k], b->v[k][i]);
        }
        for (int c = 0; c < oc->ncargs; c++) {
            args[na++] = oc->c[c];
        }
        ir_emit(f, oc->opc, oc->type, na, args);
        if (b->nops) {
            IRArg none[1] = {0};
            ir_emit(f, IR_nop, IR_I32, 0, none);
        }
        if (via_temp) {
            uint64_t want[2];
            ref_op(oc, b->v[k], want);
            for (int j = 0; j < oc->nout; j++) {
                ir_emit_mov(f, oc->out_type, gout[j][k], outs[j]);
                emit_canon_check(f, oc->out_type, outs[j], want[j], gchk[j][k]);
            }
        }
    }
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

static void run_batch(const Batch *b)
{
    const OpCase *oc = b->oc;
    static uint64_t res[NB_BACKENDS][2][NB];
    char name[64];
    op_case_name(oc, name, sizeof(name));
    for (int be = 0; be < NB_BACKENDS; be++) {
        for (int i = 0; i < oc->nin; i++) {
            for (int k = 0; k < b->n; k++) {
                field_set(&cpu->in[i][k], oc->in_type, b->v[k][i]);
            }
        }
        for (int j = 0; j < 2; j++) {
            for (int k = 0; k < NB; k++) {
                cpu->out[j][k] = cpu->chk[j][k] = GARBAGE64;
            }
        }
        run_block(be, build_batch, b);
        if (b->dst == DST_TEMP || b->dst == DST_LOCAL) {
            for (int j = 0; j < oc->nout; j++) {
                for (int k = 0; k < b->n; k++) {
                    n_checks++;
                    if (field_get(be, &cpu->chk[j][k], oc->out_type) != 1) {
                        failf("[%s] %s (dst temp) inputs 0x%" PRIx64 " 0x%" PRIx64
                              ": output %d in its temp differs from the expected constant",
                              backends[be]->name, name, b->v[k][0], b->v[k][1], j);
                    }
                }
            }
        }
        for (int j = 0; j < oc->nout; j++) {
            for (int k = 0; k < b->n; k++) {
                uint64_t *field = j == 0 && b->dst == DST_INPLACE ? &cpu->in[0][k] : &cpu->out[j][k];
                res[be][j][k] = field_get(be, field, oc->out_type);
            }
        }
    }
    for (int k = 0; k < b->n; k++) {
        uint64_t want[2];
        ref_op(oc, b->v[k], want);
        for (int be = 0; be < NB_BACKENDS; be++) {
            for (int j = 0; j < oc->nout; j++) {
                n_checks++;
                if (res[be][j][k] != want[j]) {
                    failf("[%s] %s (src %d%d%d%d dst %d) inputs 0x%" PRIx64 " 0x%" PRIx64
                          " 0x%" PRIx64 " 0x%" PRIx64 ": output %d = 0x%" PRIx64
                          ", expected 0x%" PRIx64,
                          backends[be]->name, name, b->src[0], b->src[1], b->src[2], b->src[3],
                          b->dst, b->v[k][0], b->v[k][1], b->v[k][2], b->v[k][3], j,
                          res[be][j][k], want[j]);
                }
                if (be > 0) {
                    n_checks++;
                    if (res[be][j][k] != res[0][j][k]) {
                        failf("backends disagree on %s inputs 0x%" PRIx64 " 0x%" PRIx64
                              ": %s 0x%" PRIx64 ", %s 0x%" PRIx64,
                              name, b->v[k][0], b->v[k][1], backends[0]->name, res[0][j][k],
                              backends[be]->name, res[be][j][k]);
                    }
                }
            }
        }
    }
}

/* Run oc over every input tuple, with every operand-source pattern and destination kind. */
static void test_op(const OpCase *oc, uint64_t (*tuples)[4], int n)
{
    static Batch b;
    for (int p = 0; p < NB_PATTERNS; p++) {
        for (int start = 0; start < n; start += NB) {
            b.oc = oc;
            b.n = n - start < NB ? n - start : NB;
            b.src = src_patterns[p];
            b.dst = (p + start / NB) % 4;
            if (b.dst == DST_INPLACE && (b.src[0] != SRC_GLOBAL || oc->in_type != oc->out_type)) {
                b.dst = DST_GLOBAL;
            }
            b.nops = (start / NB) % 3 == 1;
            for (int k = 0; k < b.n; k++) {
                for (int i = 0; i < 4; i++) {
                    b.v[k][i] = mask_t(oc->in_type, tuples[start + k][i]);
                }
            }
            run_batch(&b);
        }
    }
}

/* input tuples: all pairs of edge values, then random ones (inputs 2 and 3 random) */
static int make_pairs(uint64_t (*t)[4], int nrandom)
{
    int n = 0;
    for (int i = 0; i < NB_EDGES; i++) {
        for (int j = 0; j < NB_EDGES; j++) {
            t[n][0] = edges[i];
            t[n][1] = edges[j];
            t[n][2] = rnd_value();
            t[n][3] = rnd_value();
            n++;
        }
    }
    for (int i = 0; i < nrandom; i++) {
        t[n][0] = rnd_value();
        /* equal operands matter for comparisons */
        t[n][1] = i % 7 == 0 ? t[n][0] : rnd_value();
        t[n][2] = rnd_value();
        t[n][3] = rnd_value();
        n++;
    }
    return n;
}

static int make_singles(uint64_t (*t)[4], int nrandom)
{
    int n = 0;
    for (int i = 0; i < NB_EDGES; i++) {
        t[n][0] = edges[i];
        t[n][1] = t[n][2] = t[n][3] = 0;
        n++;
    }
    for (int i = 0; i < nrandom; i++) {
        t[n][0] = rnd_value();
        t[n][1] = t[n][2] = t[n][3] = 0;
        n++;
    }
    return n;
}

#define MAX_TUPLES 4096
static uint64_t (*alloc_tuples(void))[4]
{
    uint64_t(*t)[4] = calloc(MAX_TUPLES, sizeof(*t));
    ck_assert_ptr_nonnull(t);
    return t;
}

static const IRType types[2] = {IR_I32, IR_I64};

static OpCase simple_case(IROpcode opc, IRType t, int nin, int nout)
{
    return (OpCase){opc, t, t, t, nin, nout, 0, {0, 0}};
}

/* ---- ALU tests ---- */

START_TEST(test_binops)
{
    static const IROpcode ops[] = {IR_add, IR_sub, IR_mul, IR_and, IR_or, IR_xor, IR_andc};
    uint64_t(*t)[4] = alloc_tuples();
    int n = make_pairs(t, 300);
    for (int ti = 0; ti < 2; ti++) {
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            OpCase oc = simple_case(ops[i], types[ti], 2, 1);
            test_op(&oc, t, n);
        }
    }
    free(t);
    FINISH();
}
END_TEST

START_TEST(test_shifts)
{
    static const IROpcode ops[] = {IR_shl, IR_shr, IR_sar, IR_rotl, IR_rotr};
    static const uint64_t big_counts[] = {64, 65, 95, 127, 0x80000000, 0xffffffff,
                                          0x8000000000000001ull, ~0ull};
    uint64_t(*t)[4] = alloc_tuples();
    int n = 0;
    for (int v = 0; v < NB_EDGES + 8; v++) {
        uint64_t x = v < NB_EDGES ? edges[v] : rnd();
        for (unsigned c = 0; c < 64 + 8; c++) {
            t[n][0] = x;
            t[n][1] = c < 64 ? c : big_counts[c - 64];
            n++;
        }
    }
    ck_assert_int_le(n, MAX_TUPLES);
    for (int ti = 0; ti < 2; ti++) {
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            OpCase oc = simple_case(ops[i], types[ti], 2, 1);
            test_op(&oc, t, n);
        }
    }
    free(t);
    FINISH();
}
END_TEST

START_TEST(test_unops)
{
    static const IROpcode ops[] = {IR_mov, IR_neg, IR_not, IR_ext8s, IR_ext8u, IR_ext16s,
                                   IR_ext16u};
    uint64_t(*t)[4] = alloc_tuples();
    int n = make_singles(t, 200);
    for (int ti = 0; ti < 2; ti++) {
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            OpCase oc = simple_case(ops[i], types[ti], 1, 1);
            test_op(&oc, t, n);
        }
    }
    /* i64 only */
    OpCase e32s = simple_case(IR_ext32s, IR_I64, 1, 1), e32u = simple_case(IR_ext32u, IR_I64, 1, 1);
    test_op(&e32s, t, n);
    test_op(&e32u, t, n);
    /* type changes */
    OpCase conv[] = {
        {IR_ext_i32_i64, IR_I64, IR_I32, IR_I64, 1, 1, 0, {0, 0}},
        {IR_extu_i32_i64, IR_I64, IR_I32, IR_I64, 1, 1, 0, {0, 0}},
        {IR_extrl_i64_i32, IR_I32, IR_I64, IR_I32, 1, 1, 0, {0, 0}},
        {IR_extrh_i64_i32, IR_I32, IR_I64, IR_I32, 1, 1, 0, {0, 0}},
    };
    for (size_t i = 0; i < sizeof(conv) / sizeof(conv[0]); i++) {
        test_op(&conv[i], t, n);
    }
    free(t);
    FINISH();
}
END_TEST

START_TEST(test_mul2)
{
    uint64_t(*t)[4] = alloc_tuples();
    int n = make_pairs(t, 300);
    for (int ti = 0; ti < 2; ti++) {
        OpCase u = simple_case(IR_mulu2, types[ti], 2, 2), s = simple_case(IR_muls2, types[ti], 2, 2);
        test_op(&u, t, n);
        test_op(&s, t, n);
    }
    free(t);
    FINISH();
}
END_TEST

START_TEST(test_bitfields)
{
    static const unsigned lens[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 48, 63, 64};
    static const unsigned poss[] = {0, 1, 3, 7, 8, 15, 16, 24, 31, 32, 33, 40, 48, 56, 63};
    uint64_t(*t)[4] = alloc_tuples();
    int n = 0;
    for (int i = 0; i < 12; i++) {
        for (int j = 0; j < 3; j++) {
            t[n][0] = i < 8 ? edges[(i * 5) % NB_EDGES] : rnd();
            t[n][1] = j == 0 ? ~0ull : j == 1 ? 0 : rnd();
            n++;
        }
    }
    for (int ti = 0; ti < 2; ti++) {
        unsigned w = width(types[ti]);
        for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
            for (size_t pi = 0; pi < sizeof(poss) / sizeof(poss[0]); pi++) {
                unsigned len = lens[li], pos = poss[pi];
                if (pos + len > w) {
                    continue;
                }
                OpCase dep = {IR_deposit, types[ti], types[ti], types[ti], 2, 1, 2, {pos, len}};
                OpCase ext = {IR_extract, types[ti], types[ti], types[ti], 1, 1, 2, {pos, len}};
                OpCase sext = {IR_sextract, types[ti], types[ti], types[ti], 1, 1, 2, {pos, len}};
                test_op(&dep, t, n);
                test_op(&ext, t, n);
                test_op(&sext, t, n);
            }
        }
    }
    free(t);
    FINISH();
}
END_TEST

START_TEST(test_setcond_movcond)
{
    uint64_t(*t)[4] = alloc_tuples();
    int n = make_pairs(t, 200);
    for (int ti = 0; ti < 2; ti++) {
        for (int c = IR_COND_NEVER; c <= IR_COND_GTU; c++) {
            OpCase sc = {IR_setcond, types[ti], types[ti], types[ti], 2, 1, 1, {(IRArg)c, 0}};
            OpCase mc = {IR_movcond, types[ti], types[ti], types[ti], 4, 1, 1, {(IRArg)c, 0}};
            test_op(&sc, t, n);
            test_op(&mc, t, n);
        }
    }
    free(t);
    FINISH();
}
END_TEST

/* ---- branches ---- */

typedef struct BrBatch {
    IRType type;
    IRCond cond;
    int n;
    uint64_t v[NB][2];
    const uint8_t *src;
} BrBatch;

/* per computation k: loc = 0; if (a cond b) goto L; loc = 1; L: out[k] = loc */
static void build_brcond(IRFunc *f, const void *arg)
{
    const BrBatch *b = arg;
    int gin[2][NB], gout[NB];
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < b->n; k++) {
            gin[i][k] = ir_global(f, b->type, field_off(&cpu->in[i][k], b->type), "in");
        }
    }
    for (int k = 0; k < b->n; k++) {
        gout[k] = ir_global(f, IR_I64, field_off(&cpu->out[0][k], IR_I64), "out");
    }
    int loc = ir_temp_local(f, IR_I64);
    for (int k = 0; k < b->n; k++) {
        int label = ir_label_new(f);
        ir_emit_movi(f, IR_I64, loc, 0);
        int a = src_operand(f, b->type, b->src[0], gin[0][k], b->v[k][0]);
        int c = src_operand(f, b->type, b->src[1], gin[1][k], b->v[k][1]);
        ir_emit_brcond(f, b->type, b->cond, a, c, label);
        ir_emit_movi(f, IR_I64, loc, 1);
        ir_emit_label(f, label);
        ir_emit_mov(f, IR_I64, gout[k], loc);
    }
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

START_TEST(test_brcond)
{
    uint64_t(*t)[4] = alloc_tuples();
    int n = make_pairs(t, 200);
    static BrBatch b;
    for (int ti = 0; ti < 2; ti++) {
        for (int c = IR_COND_NEVER; c <= IR_COND_GTU; c++) {
            for (int p = 0; p < NB_PATTERNS; p++) {
                for (int start = 0; start < n; start += NB) {
                    b.type = types[ti];
                    b.cond = (IRCond)c;
                    b.n = n - start < NB ? n - start : NB;
                    b.src = src_patterns[p];
                    for (int k = 0; k < b.n; k++) {
                        b.v[k][0] = mask_t(b.type, t[start + k][0]);
                        b.v[k][1] = mask_t(b.type, t[start + k][1]);
                    }
                    for (int be = 0; be < NB_BACKENDS; be++) {
                        for (int k = 0; k < b.n; k++) {
                            field_set(&cpu->in[0][k], b.type, b.v[k][0]);
                            field_set(&cpu->in[1][k], b.type, b.v[k][1]);
                            cpu->out[0][k] = GARBAGE64;
                        }
                        run_block(be, build_brcond, &b);
                        for (int k = 0; k < b.n; k++) {
                            uint64_t want = !ref_cond(b.cond, b.type, b.v[k][0], b.v[k][1]);
                            n_checks++;
                            if (cpu->out[0][k] != want) {
                                failf("[%s] brcond_%s %s (src %d%d) 0x%" PRIx64 ", 0x%" PRIx64
                                      ": %s",
                                      backends[be]->name, ti ? "i64" : "i32", ir_cond_name(b.cond),
                                      b.src[0], b.src[1], b.v[k][0], b.v[k][1],
                                      want ? "branched, should not" : "did not branch");
                            }
                        }
                    }
                }
            }
        }
    }
    free(t);
    FINISH();
}
END_TEST

/* sum = 0; i = n; do { sum += i; i -= 1; } while (i != 0); then skip a poisoning add with br */
static void build_loop(IRFunc *f, const void *arg)
{
    IRType t = *(const IRType *)arg;
    int gn = ir_global(f, t, field_off(&cpu->in[0][0], t), "n");
    int gsum = ir_global(f, t, field_off(&cpu->out[0][0], t), "sum");
    int gcount = ir_global(f, IR_I64, field_off(&cpu->out[1][0], IR_I64), "count");
    int sum = ir_temp_local(f, t), i = ir_temp_local(f, t);
    int top = ir_label_new(f), skip = ir_label_new(f);
    ir_emit_movi(f, t, sum, 0);
    ir_emit_mov(f, t, i, gn);
    ir_emit_movi(f, IR_I64, gcount, 0);
    ir_emit_label(f, top);
    ir_emit_add(f, t, sum, sum, i);
    ir_emit_addi(f, t, i, i, -1);
    ir_emit_addi(f, IR_I64, gcount, gcount, 1); /* a global updated in a loop */
    ir_emit_brcond(f, t, IR_COND_NE, i, ir_const(f, t, 0), top);
    ir_emit_br(f, skip);
    ir_emit_addi(f, t, sum, sum, 1000); /* dead code */
    ir_emit_label(f, skip);
    ir_emit_mov(f, t, gsum, sum);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

START_TEST(test_loop_locals)
{
    static const uint64_t ns[] = {1, 2, 3, 10, 1000, 65536};
    for (int ti = 0; ti < 2; ti++) {
        for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
            for (int be = 0; be < NB_BACKENDS; be++) {
                field_set(&cpu->in[0][0], types[ti], ns[i]);
                cpu->out[0][0] = cpu->out[1][0] = GARBAGE64;
                run_block(be, build_loop, &types[ti]);
                check_u64("loop sum", be, field_get(be, &cpu->out[0][0], types[ti]),
                          mask_t(types[ti], ns[i] * (ns[i] + 1) / 2));
                check_u64("loop count", be, cpu->out[1][0], ns[i]);
            }
        }
    }
    FINISH();
}
END_TEST

/* Many temps live at once, far more than host registers: t_i = in + i * 0x10001, then a hash of
   all of them. 200 stays within the JIT's frame (X64_FRAME_SLOTS spill slots). */
enum { MANY_TEMPS = 200 };
static void build_many_temps(IRFunc *f, const void *arg)
{
    (void)arg;
    enum { N = MANY_TEMPS };
    int g = ir_global(f, IR_I64, field_off(&cpu->in[0][0], IR_I64), "in");
    int gout = ir_global(f, IR_I64, field_off(&cpu->out[0][0], IR_I64), "out");
    int tmp[N];
    for (int i = 0; i < N; i++) {
        tmp[i] = ir_temp_new(f, IR_I64);
        ir_emit_addi(f, IR_I64, tmp[i], g, i * 0x10001);
    }
    int sum = ir_temp_new(f, IR_I64);
    ir_emit_movi(f, IR_I64, sum, 0);
    for (int i = N - 1; i >= 0; i--) {
        ir_emit_xor(f, IR_I64, sum, sum, tmp[i]);
        ir_emit_binop(f, IR_rotl, IR_I64, sum, sum, ir_const(f, IR_I64, 7));
    }
    ir_emit_mov(f, IR_I64, gout, sum);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

START_TEST(test_many_temps)
{
    for (int r = 0; r < 8; r++) {
        uint64_t in = rnd(), want = 0;
        for (int i = MANY_TEMPS - 1; i >= 0; i--) {
            want ^= in + (uint64_t)i * 0x10001;
            want = (want << 7) | (want >> 57);
        }
        for (int be = 0; be < NB_BACKENDS; be++) {
            cpu->in[0][0] = in;
            run_block(be, build_many_temps, NULL);
            check_u64("many live temps", be, cpu->out[0][0], want);
        }
    }
    FINISH();
}
END_TEST

/* ---- helper calls ---- */

static uint64_t hf0(void)
{
    return 0x0123456789abcdefull;
}
static uint32_t hf1(uint32_t a)
{
    return a * 2654435761u + 1;
}
static uint64_t hf2(uint64_t a, uint32_t b)
{
    return a * 31 + b;
}
static uint32_t hf3(uint32_t a, uint64_t b, uint32_t c)
{
    return (uint32_t)(a ^ (b >> 7) ^ ((uint64_t)c << 3)) + (uint32_t)(b >> 40);
}
static uint64_t hf4(void *env, uint64_t a, uint32_t b, uint64_t c)
{
    return ((TestCPU *)env)->misc[0] + a - (uint64_t)b * c;
}
static uint32_t hf5(uint64_t a, uint32_t b, uint64_t c, uint32_t d, uint64_t e)
{
    return (uint32_t)(a >> 3) * 3 + b * 5 + (uint32_t)(c >> 17) * 7 + d * 11 + (uint32_t)(e >> 31);
}
static uint64_t hf6(uint32_t a, uint64_t b, uint32_t c, uint64_t d, uint32_t e, uint64_t f)
{
    return ((uint64_t)a << 32) + b * 3 - ((uint64_t)c << 5) + (d ^ 0x5555) + e * 13ull + (f >> 1);
}
static uint64_t hv_log[NB * 8];
static int hv_count;
static void hv2(uint64_t a, uint32_t b)
{
    hv_log[hv_count++] = a + b;
}

static IRHelper h_f0 = {"hf0", (void *)hf0, IR_CALL_PURE, IR_I64, 0, {0}, NULL};
static IRHelper h_f1 = {"hf1", (void *)hf1, IR_CALL_PURE, IR_I32, 1, {IR_I32}, NULL};
static IRHelper h_f2 = {"hf2", (void *)hf2, IR_CALL_PURE, IR_I64, 2, {IR_I64, IR_I32}, NULL};
static IRHelper h_f3 = {"hf3", (void *)hf3, IR_CALL_PURE, IR_I32, 3, {IR_I32, IR_I64, IR_I32},
                        NULL};
static IRHelper h_f4 = {"hf4", (void *)hf4, IR_CALL_NO_WRITE_GLOBALS, IR_I64, 4,
                        {IR_PTR, IR_I64, IR_I32, IR_I64}, NULL};
static IRHelper h_f5 = {"hf5", (void *)hf5, IR_CALL_PURE, IR_I32, 5,
                        {IR_I64, IR_I32, IR_I64, IR_I32, IR_I64}, NULL};
static IRHelper h_f6 = {"hf6", (void *)hf6, IR_CALL_PURE, IR_I64, 6,
                        {IR_I32, IR_I64, IR_I32, IR_I64, IR_I32, IR_I64}, NULL};
static IRHelper h_v2 = {"hv2", (void *)hv2, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
                        IR_RET_VOID, 2, {IR_I64, IR_I32}, NULL};

static uint64_t ref_call(const IRHelper *h, const uint64_t *a)
{
    if (h == &h_f0) return hf0();
    if (h == &h_f1) return hf1((uint32_t)a[0]);
    if (h == &h_f2) return hf2(a[0], (uint32_t)a[1]);
    if (h == &h_f3) return hf3((uint32_t)a[0], a[1], (uint32_t)a[2]);
    if (h == &h_f4) return hf4(cpu, a[1], (uint32_t)a[2], a[3]);
    if (h == &h_f5) return hf5(a[0], (uint32_t)a[1], a[2], (uint32_t)a[3], a[4]);
    if (h == &h_f6) {
        return hf6((uint32_t)a[0], a[1], (uint32_t)a[2], a[3], (uint32_t)a[4], a[5]);
    }
    return a[0] + (uint32_t)a[1]; /* hv2's log entry */
}

typedef struct CallBatch {
    const IRHelper *h;
    int n;
    uint64_t v[NB][6];
    int pattern;
} CallBatch;

static void build_calls(IRFunc *f, const void *arg)
{
    const CallBatch *b = arg;
    const IRHelper *h = b->h;
    int gin[6][NB], gout[NB];
    for (int i = 0; i < h->nargs; i++) {
        for (int k = 0; k < b->n; k++) {
            IRType t = (IRType)h->args[i];
            gin[i][k] = ir_global(f, t, field_off(&cpu->in[i][k], t), "arg");
        }
    }
    if (h->ret != IR_RET_VOID) {
        for (int k = 0; k < b->n; k++) {
            gout[k] = ir_global(f, (IRType)h->ret, field_off(&cpu->out[0][k], (IRType)h->ret),
                                "ret");
        }
    }
    /* one local per argument position, reused by every call */
    int locals[6];
    for (int i = 0; i < h->nargs; i++) {
        locals[i] = ir_temp_local(f, (IRType)h->args[i]);
    }
    for (int k = 0; k < b->n; k++) {
        int args[6];
        for (int i = 0; i < h->nargs; i++) {
            IRType t = (IRType)h->args[i];
            int src = src_patterns[b->pattern][i % 4];
            if (h == &h_f4 && i == 0) {
                args[i] = f->env;
            } else if (src == SRC_LOCAL) {
                ir_emit_mov(f, t, locals[i], gin[i][k]);
                args[i] = locals[i];
            } else {
                args[i] = src_operand(f, t, src, gin[i][k], b->v[k][i]);
            }
        }
        int ret = -1;
        if (h->ret != IR_RET_VOID) {
            ret = b->pattern & 1 ? ir_temp_new(f, (IRType)h->ret) : gout[k];
        }
        ir_emit_call(f, h, ret, args);
        if (ret >= 0 && ret != gout[k]) {
            ir_emit_mov(f, (IRType)h->ret, gout[k], ret);
        }
    }
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

START_TEST(test_calls)
{
    const IRHelper *hs[] = {&h_f0, &h_f1, &h_f2, &h_f3, &h_f4, &h_f5, &h_f6, &h_v2};
    static CallBatch b;
    for (size_t hi = 0; hi < sizeof(hs) / sizeof(hs[0]); hi++) {
        for (int p = 0; p < NB_PATTERNS; p++) {
            for (int rep = 0; rep < 2; rep++) {
                b.h = hs[hi];
                b.n = NB;
                b.pattern = p;
                for (int k = 0; k < NB; k++) {
                    for (int i = 0; i < 6; i++) {
                        b.v[k][i] = mask_t((IRType)b.h->args[i], rep ? rnd_value() : rnd());
                    }
                }
                for (int be = 0; be < NB_BACKENDS; be++) {
                    cpu->misc[0] = 0x1000 + (uint64_t)be;
                    for (int i = 0; i < b.h->nargs; i++) {
                        for (int k = 0; k < NB; k++) {
                            field_set(&cpu->in[i][k], (IRType)b.h->args[i], b.v[k][i]);
                        }
                    }
                    for (int k = 0; k < NB; k++) {
                        cpu->out[0][k] = GARBAGE64;
                    }
                    hv_count = 0;
                    run_block(be, build_calls, &b);
                    for (int k = 0; k < NB; k++) {
                        char what[64];
                        snprintf(what, sizeof(what), "call %s #%d pattern %d", b.h->name, k, p);
                        if (b.h->ret == IR_RET_VOID) {
                            check_u64(what, be, k < hv_count ? hv_log[k] : ~0ull,
                                      ref_call(b.h, b.v[k]));
                        } else {
                            check_u64(what, be,
                                      field_get(be, &cpu->out[0][k], (IRType)b.h->ret),
                                      mask_t((IRType)b.h->ret, ref_call(b.h, b.v[k])));
                        }
                    }
                    if (b.h->ret == IR_RET_VOID) {
                        check_u64("number of calls to a void helper", be, (uint64_t)hv_count, NB);
                    }
                }
            }
        }
    }
    FINISH();
}
END_TEST

/* A helper that may raise sees the TB and the index of its guest instruction. */
static TranslationBlock *seen_tb;
static uint32_t helper_insn_index(void *env)
{
    seen_tb = ((CPUCommon *)env)->cur_tb;
    return ((CPUCommon *)env)->insn_index;
}
static IRHelper h_insn = {"insn_index", (void *)helper_insn_index,
                          IR_CALL_MAY_RAISE | IR_CALL_NO_WRITE_GLOBALS, IR_I32, 1, {IR_PTR}, NULL};

static void build_insn_index(IRFunc *f, const void *arg)
{
    (void)arg;
    int g[3];
    for (int i = 0; i < 3; i++) {
        g[i] = ir_global(f, IR_I32, field_off(&cpu->out[0][i], IR_I32), "idx");
    }
    int env = f->env;
    ir_emit_insn_start(f, 0x1000);
    ir_emit_call(f, &h_insn, g[0], &env);
    ir_emit_insn_start(f, 0x1003);
    ir_emit_call(f, &h_insn, g[1], &env);
    ir_emit_insn_start(f, 0x1005);
    ir_emit_insn_start(f, 0x1008);
    ir_emit_insn_start(f, 0x100a);
    ir_emit_call(f, &h_insn, g[2], &env);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

START_TEST(test_insn_index)
{
    for (int be = 0; be < NB_BACKENDS; be++) {
        TranslationBlock tb;
        tb_init(&tb, 5);
        translate(be, &tb, build_insn_index, NULL);
        cpu->common.budget = 100;
        cpu->common.insn_index = 77;
        cpu->out[0][0] = cpu->out[0][1] = cpu->out[0][2] = GARBAGE64;
        seen_tb = NULL;
        uintptr_t r = exec_tb(be, &tb);
        check_u64("exit", be, r, (uintptr_t)&tb | IR_EXIT_NOCHAIN);
        check_u64("insn index after 1 insn_start", be,
                  field_get(be, &cpu->out[0][0], IR_I32), 0);
        check_u64("insn index after 2 insn_start", be, field_get(be, &cpu->out[0][1], IR_I32), 1);
        check_u64("insn index after 5 insn_start", be, field_get(be, &cpu->out[0][2], IR_I32), 4);
        check_u64("cur_tb seen by a helper that may raise", be, (uintptr_t)seen_tb,
                  (uintptr_t)&tb);
    }
    FINISH();
}
END_TEST

/* ---- cached globals are written back and reloaded where env is observed ---- */

static uint64_t helper_read_misc1(void *env)
{
    return ((TestCPU *)env)->misc[1];
}
static void helper_write_misc2(void *env, uint64_t v)
{
    ((TestCPU *)env)->misc[2] = v;
}
static IRHelper h_read1 = {"read_misc1", (void *)helper_read_misc1, IR_CALL_NO_WRITE_GLOBALS,
                           IR_I64, 1, {IR_PTR}, NULL};
static IRHelper h_write2 = {"write_misc2", (void *)helper_write_misc2, 0, IR_RET_VOID, 2,
                            {IR_PTR, IR_I64}, NULL};
/* writes guest state without reading it */
static IRHelper h_write2_noread = {"write_misc2_noread", (void *)helper_write_misc2,
                                   IR_CALL_NO_READ_GLOBALS, IR_RET_VOID, 2, {IR_PTR, IR_I64}, NULL};

static void build_sync(IRFunc *f, const void *arg)
{
    (void)arg;
    int m1 = ir_global(f, IR_I64, field_off(&cpu->misc[1], IR_I64), "m1");
    int m2 = ir_global(f, IR_I64, field_off(&cpu->misc[2], IR_I64), "m2");
    int m3 = ir_global(f, IR_I64, field_off(&cpu->misc[3], IR_I64), "m3");
    int m4 = ir_global(f, IR_I64, field_off(&cpu->misc[4], IR_I64), "m4");
    int m5 = ir_global(f, IR_I32, field_off(&cpu->misc[5], IR_I32), "m5");
    int o[8];
    for (int i = 0; i < 8; i++) {
        o[i] = ir_global(f, IR_I64, field_off(&cpu->out[0][i], IR_I64), "o");
    }
    int env = f->env, t;

    /* a helper that reads globals sees the value just written */
    ir_emit_movi(f, IR_I64, m1, 5);
    ir_emit_call(f, &h_read1, o[0], &env);
    /* a helper that writes globals: values read before are stale afterwards */
    ir_emit_addi(f, IR_I64, o[1], m2, 1);
    int args[2] = {env, ir_const(f, IR_I64, 77)};
    ir_emit_call(f, &h_write2, -1, args);
    ir_emit_addi(f, IR_I64, o[2], m2, 1);
    /* ld of env bytes behind a global just written */
    ir_emit_movi(f, IR_I64, m3, 9);
    t = ir_temp_new(f, IR_I64);
    ir_emit_ld(f, IR_I64, t, env, IR_MO_64, field_off(&cpu->misc[3], IR_I64));
    ir_emit_mov(f, IR_I64, o[3], t);
    /* st into env bytes behind a global read before */
    ir_emit_addi(f, IR_I64, o[4], m4, 0);
    ir_emit_st(f, IR_I64, ir_const(f, IR_I64, 42), env, IR_MO_64, field_off(&cpu->misc[4], IR_I64));
    ir_emit_addi(f, IR_I64, o[5], m4, 0);
    /* a global written, then a store to its bytes: the store wins */
    ir_emit_movi(f, IR_I32, m5, 1234);
    ir_emit_st(f, IR_I32, ir_const(f, IR_I32, 4321), env, IR_MO_32, field_off(&cpu->misc[5], IR_I32));
    t = ir_temp_new(f, IR_I64);
    ir_emit_ld(f, IR_I64, t, env, IR_MO_32, field_off(&cpu->misc[5], IR_I32));
    ir_emit_mov(f, IR_I64, o[6], t);
    /* a helper that writes (but does not read) globals: other globals written before it keep
       their values, the one it writes has its new value */
    ir_emit_movi(f, IR_I64, m1, 6);
    ir_emit_movi(f, IR_I64, m2, 1);
    args[1] = ir_const(f, IR_I64, 88);
    ir_emit_call(f, &h_write2_noread, -1, args);
    ir_emit_add(f, IR_I64, o[7], m1, m2);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

/* A label reached by a jump from a path where a helper changed a global in env: the cached copy
   from the code before the label (in program order) must not be used after it. */
static void build_label_sync(IRFunc *f, const void *arg)
{
    (void)arg;
    int m2 = ir_global(f, IR_I64, field_off(&cpu->misc[2], IR_I64), "m2");
    int c = ir_global(f, IR_I64, field_off(&cpu->misc[3], IR_I64), "c");
    int o0 = ir_global(f, IR_I64, field_off(&cpu->out[0][0], IR_I64), "o0");
    int o1 = ir_global(f, IR_I64, field_off(&cpu->out[0][1], IR_I64), "o1");
    int lw = ir_label_new(f), lj = ir_label_new(f);
    int args[2] = {f->env, ir_const(f, IR_I64, 77)};
    ir_emit_brcond(f, IR_I64, IR_COND_EQ, c, ir_const(f, IR_I64, 0), lw);
    ir_emit_addi(f, IR_I64, o0, m2, 0);
    ir_emit_label(f, lj);
    ir_emit_addi(f, IR_I64, o1, m2, 1);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
    ir_emit_label(f, lw);
    ir_emit_call(f, &h_write2, -1, args);
    ir_emit_br(f, lj);
}

START_TEST(test_global_sync)
{
    for (int be = 0; be < NB_BACKENDS; be++) {
        for (int c = 0; c < 2; c++) {
            cpu->misc[2] = 100;
            cpu->misc[3] = (uint64_t)c;
            cpu->out[0][0] = cpu->out[0][1] = 0;
            run_block(be, build_label_sync, NULL);
            check_u64("label sync: first path", be, cpu->out[0][0], c ? 100 : 0);
            check_u64("label sync: after the label", be, cpu->out[0][1], c ? 101 : 78);
        }
    }
    for (int be = 0; be < NB_BACKENDS; be++) {
        memset(cpu->misc, 0, sizeof(cpu->misc));
        cpu->misc[2] = 100;
        cpu->misc[4] = 200;
        run_block(be, build_sync, NULL);
        check_u64("helper reads a global just written", be, cpu->out[0][0], 5);
        check_u64("global before a helper writes it", be, cpu->out[0][1], 101);
        check_u64("global after a helper wrote it", be, cpu->out[0][2], 78);
        check_u64("env ld after a global write", be, cpu->out[0][3], 9);
        check_u64("global before an env st", be, cpu->out[0][4], 200);
        check_u64("global after an env st", be, cpu->out[0][5], 42);
        check_u64("env st after a global write", be, cpu->out[0][6], 4321);
        check_u64("global memory after the block", be, cpu->misc[5] & 0xffffffff, 4321);
        check_u64("globals around a helper that writes without reading", be, cpu->out[0][7], 94);
        check_u64("global written before that helper", be, cpu->misc[1], 6);
        check_u64("global written by that helper", be, cpu->misc[2], 88);
    }
    FINISH();
}
END_TEST

/* Two globals over the same bytes (an i64 and the i32 of its low half). */
static void build_alias(IRFunc *f, const void *arg)
{
    (void)arg;
    int g64 = ir_global(f, IR_I64, field_off(&cpu->misc[6], IR_I64), "r64");
    int g32 = ir_global(f, IR_I32, field_off(&cpu->misc[6], IR_I32), "r32");
    int o0 = ir_global(f, IR_I64, field_off(&cpu->out[0][0], IR_I64), "o0");
    int o1 = ir_global(f, IR_I64, field_off(&cpu->out[0][1], IR_I64), "o1");
    int t = ir_temp_new(f, IR_I64);
    ir_emit_movi(f, IR_I64, g64, 0x1111111122222222);
    ir_emit_unop(f, IR_extu_i32_i64, IR_I64, t, g32);
    ir_emit_mov(f, IR_I64, o0, t);
    ir_emit_movi(f, IR_I32, g32, 0x33333333);
    ir_emit_mov(f, IR_I64, o1, g64);
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

START_TEST(test_aliased_globals)
{
    /* Interpreter only, for now: the x86-64 JIT caches each global in its own register and does
       not see that the two overlap. Whether the IR allows overlapping globals is for docs/ir.md
       to say; the interpreter supports them (written through, see tcg/interp/gen.c). */
    for (int be = 0; be < 1; be++) {
        cpu->misc[6] = 0;
        run_block(be, build_alias, NULL);
        check_u64("i32 view after an i64 write", be, cpu->out[0][0], 0x22222222);
        check_u64("i64 view after an i32 write", be, cpu->out[0][1], 0x1111111133333333);
        check_u64("memory", be, cpu->misc[6], 0x1111111133333333);
    }
    FINISH();
}
END_TEST

/* ---- host memory: ld/st ---- */

static uint8_t ext_buf[1024];

typedef struct MemBatch {
    IRType type;
    unsigned memop;
    bool env_base; /* else through a pointer held in misc[7] */
    int pattern;
} MemBatch;

/* computation k touches buf + mem_off(k): disjoint 8-byte windows, misaligned in turn */
static int mem_off(int k)
{
    return k * 10 + k % 3;
}

static int mem_base_and_offset(IRFunc *f, const MemBatch *b, int gptr, int k, int32_t *off)
{
    if (b->env_base) {
        *off = field_off(&cpu->buf[mem_off(k)], IR_I64);
        return f->env;
    }
    /* misc[7] points at ext_buf + 256: negative and positive offsets */
    *off = mem_off(k) - 256;
    if (b->pattern & 1) {
        int t = ir_temp_new(f, IR_I64);
        ir_emit_mov(f, IR_I64, t, gptr);
        return t;
    }
    return gptr;
}

static uint64_t ref_load_host(const uint8_t *p, unsigned memop, IRType t);

static void build_ld(IRFunc *f, const void *arg)
{
    const MemBatch *b = arg;
    int gptr = ir_global(f, IR_I64, field_off(&cpu->misc[7], IR_I64), "ptr");
    int gout[NB], gchk[NB];
    for (int k = 0; k < NB; k++) {
        gout[k] = ir_global(f, b->type, field_off(&cpu->out[0][k], b->type), "out");
        gchk[k] = chk_global(f, b->type, 0, k);
    }
    for (int k = 0; k < NB; k++) {
        int32_t off;
        int base = mem_base_and_offset(f, b, gptr, k, &off);
        int d = b->pattern & 2 ? ir_temp_new(f, b->type) : gout[k];
        ir_emit_ld(f, b->type, d, base, b->memop, off);
        if (d != gout[k]) {
            /* the memory was filled before translation: the expected value is known here */
            const uint8_t *p = b->env_base ? &cpu->buf[mem_off(k)] : &ext_buf[mem_off(k)];
            ir_emit_mov(f, b->type, gout[k], d);
            emit_canon_check(f, b->type, d, ref_load_host(p, b->memop, b->type), gchk[k]);
        }
    }
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

typedef struct StBatch {
    MemBatch m;
    uint64_t v[NB];
} StBatch;

static void build_st(IRFunc *f, const void *arg)
{
    const StBatch *b = arg;
    int gptr = ir_global(f, IR_I64, field_off(&cpu->misc[7], IR_I64), "ptr");
    int gin[NB];
    for (int k = 0; k < NB; k++) {
        gin[k] = ir_global(f, b->m.type, field_off(&cpu->in[0][k], b->m.type), "in");
    }
    for (int k = 0; k < NB; k++) {
        int32_t off;
        int base = mem_base_and_offset(f, &b->m, gptr, k, &off);
        int v = src_operand(f, b->m.type, src_patterns[b->m.pattern][0], gin[k], b->v[k]);
        ir_emit_st(f, b->m.type, v, base, b->m.memop, off);
    }
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

/* the value a load of memop gives from host bytes p, as type t */
static uint64_t ref_load_host(const uint8_t *p, unsigned memop, IRType t)
{
    unsigned n = 1u << (memop & IR_MO_SIZE);
    uint64_t v = 0;
    switch (n) {
    case 1: { uint8_t x; memcpy(&x, p, 1); v = x; if (memop & IR_MO_SIGN) v = (uint64_t)(int8_t)x; break; }
    case 2: { uint16_t x; memcpy(&x, p, 2); v = x; if (memop & IR_MO_SIGN) v = (uint64_t)(int16_t)x; break; }
    case 4: { uint32_t x; memcpy(&x, p, 4); v = x; if (memop & IR_MO_SIGN) v = (uint64_t)(int32_t)x; break; }
    default: memcpy(&v, p, 8); break;
    }
    return mask_t(t, v);
}

static void ref_store_host(uint8_t *p, uint64_t v, unsigned memop)
{
    switch (memop & IR_MO_SIZE) {
    case 0: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
    case 1: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case 2: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

START_TEST(test_ld_st)
{
    static StBatch sb;
    static uint8_t want[1024];
    for (int ti = 0; ti < 2; ti++) {
        for (unsigned memop = 0; memop < 8; memop++) {
            if (types[ti] == IR_I32 && (memop & IR_MO_SIZE) == IR_MO_64) {
                continue; /* a 64-bit access to an i32 is not meaningful IR */
            }
            for (int pattern = 0; pattern < 4; pattern++) {
                for (int env_base = 0; env_base < 2; env_base++) {
                    MemBatch mb = {types[ti], memop, env_base, pattern};
                    uint8_t *base = env_base ? cpu->buf : ext_buf;
                    cpu->misc[7] = (uintptr_t)(ext_buf + 256);
                    for (int be = 0; be < NB_BACKENDS; be++) {
                        for (size_t i = 0; i < sizeof(cpu->buf); i++) {
                            base[i] = (uint8_t)rnd();
                        }
                        for (int k = 0; k < NB; k++) {
                            cpu->out[0][k] = cpu->chk[0][k] = GARBAGE64;
                        }
                        run_block(be, build_ld, &mb);
                        if (pattern & 2) {
                            for (int k = 0; k < NB; k++) {
                                check_u64("ld result in a temp equals the expected constant", be,
                                          field_get(be, &cpu->chk[0][k], types[ti]), 1);
                            }
                        }
                        for (int k = 0; k < NB; k++) {
                            char what[80];
                            snprintf(what, sizeof(what), "ld_%s memop %u %s #%d",
                                     ti ? "i64" : "i32", memop, env_base ? "env" : "ptr", k);
                            check_u64(what, be, field_get(be, &cpu->out[0][k], types[ti]),
                                      ref_load_host(base + mem_off(k), memop, types[ti]));
                        }
                    }
                    if (memop & IR_MO_SIGN) {
                        continue; /* stores have no sign */
                    }
                    sb.m = mb;
                    for (int k = 0; k < NB; k++) {
                        sb.v[k] = mask_t(types[ti], k < NB_EDGES ? edges[k] : rnd());
                    }
                    for (int be = 0; be < NB_BACKENDS; be++) {
                        for (int k = 0; k < NB; k++) {
                            field_set(&cpu->in[0][k], types[ti], sb.v[k]);
                        }
                        for (size_t i = 0; i < sizeof(cpu->buf); i++) {
                            base[i] = (uint8_t)rnd();
                        }
                        memcpy(want, base, sizeof(cpu->buf));
                        for (int k = 0; k < NB; k++) {
                            ref_store_host(want + mem_off(k), sb.v[k], memop);
                        }
                        run_block(be, build_st, &sb);
                        for (size_t i = 0; i < sizeof(cpu->buf); i++) {
                            char what[80];
                            snprintf(what, sizeof(what), "st_%s memop %u %s, byte %zu",
                                     ti ? "i64" : "i32", memop, env_base ? "env" : "ptr", i);
                            check_u64(what, be, base[i], want[i]);
                        }
                    }
                }
            }
        }
    }
    FINISH();
}
END_TEST

/* ---- guest memory: gld/gst through a TLB filled by hand ---- */

/* One guest page per MMU index, each backed by its own host page, so a backend that used the
   wrong TLB would read other data. The a32 page sits high (0xfffff000) so an address that is
   sign-extended instead of zero-extended misses; the a64 one is far above 4 GiB. */
#define GPAGE32 0xfffff000ull
#define GPAGE64 0x00007ffdab123000ull
static uint8_t host_pages[TLB_NB_MMU][2][TLB_PAGE_SIZE];

/* Map the pages for reads only or for writes only: a backend that compared the wrong tag
   would go to the slow path. */
static void tlb_fill(bool write)
{
    for (int mmu = 0; mmu < TLB_NB_MMU; mmu++) {
        for (int a64 = 0; a64 < 2; a64++) {
            uint64_t page = a64 ? GPAGE64 : GPAGE32;
            TLBEntry *e = &cpu->common.tlb[mmu][(page >> TLB_PAGE_BITS) & (TLB_SIZE - 1)];
            e->addr_read = write ? TLB_INVALID : page;
            e->addr_write = write ? page : TLB_INVALID;
            e->addr_code = TLB_INVALID;
            e->addend = (uintptr_t)host_pages[mmu][a64] - (uintptr_t)page;
        }
    }
}

typedef struct GBatch {
    IRType type;
    unsigned memop; /* size, sign, a64 */
    int pattern;
    uint64_t v[NB];
} GBatch;

static int goff(const GBatch *b, int k)
{
    unsigned n = 1u << (b->memop & IR_MO_SIZE);
    if (k == NB - 1) {
        return TLB_PAGE_SIZE - (int)n; /* the last access that fits in the page */
    }
    return k * 80 + k % 5;
}

static uint64_t gaddr(const GBatch *b, int k)
{
    return ((b->memop & IR_MO_A64) ? GPAGE64 : GPAGE32) + (uint64_t)goff(b, k);
}

static uint64_t ref_load_le(const uint8_t *p, unsigned memop, IRType t);

static void build_gmem(IRFunc *f, const void *arg, bool store)
{
    const GBatch *b = arg;
    IRType at = (b->memop & IR_MO_A64) ? IR_I64 : IR_I32;
    int gaddr_g[NB], gval[NB], gchk[NB];
    for (int k = 0; k < NB; k++) {
        gaddr_g[k] = ir_global(f, at, field_off(&cpu->in[0][k], at), "addr");
        gval[k] = ir_global(f, b->type, field_off(store ? &cpu->in[1][k] : &cpu->out[0][k],
                                                  b->type), "val");
        gchk[k] = chk_global(f, b->type, 0, k);
    }
    for (int k = 0; k < NB; k++) {
        const uint8_t *src = src_patterns[b->pattern];
        int a = src_operand(f, at, src[0], gaddr_g[k], gaddr(b, k));
        int mmu = k % TLB_NB_MMU;
        if (store) {
            int v = src_operand(f, b->type, src[1], gval[k], b->v[k]);
            ir_emit_gst(f, b->type, v, a, b->memop, mmu);
        } else if (b->pattern & 1) {
            /* into a temp, checked against the value the page holds (filled before) */
            int d = ir_temp_new(f, b->type);
            ir_emit_gld(f, b->type, d, a, b->memop, mmu);
            ir_emit_mov(f, b->type, gval[k], d);
            emit_canon_check(f, b->type, d,
                             ref_load_le(&host_pages[mmu][(b->memop & IR_MO_A64) != 0][goff(b, k)],
                                         b->memop, b->type),
                             gchk[k]);
        } else {
            ir_emit_gld(f, b->type, gval[k], a, b->memop, mmu);
        }
    }
    ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
}

static void build_gld(IRFunc *f, const void *arg)
{
    build_gmem(f, arg, false);
}

static void build_gst(IRFunc *f, const void *arg)
{
    build_gmem(f, arg, true);
}

static uint64_t ref_load_le(const uint8_t *p, unsigned memop, IRType t)
{
    unsigned n = 1u << (memop & IR_MO_SIZE);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    if ((memop & IR_MO_SIGN) && n < 8 && bit(v, 8 * n - 1)) {
        v |= ~0ull << (8 * n);
    }
    return mask_t(t, v);
}

START_TEST(test_gld_gst)
{
    static GBatch b;
    static uint8_t want[TLB_NB_MMU][TLB_PAGE_SIZE];
    for (int ti = 0; ti < 2; ti++) {
        for (unsigned memop = 0; memop < 16; memop++) {
            if (types[ti] == IR_I32 && (memop & IR_MO_SIZE) == IR_MO_64) {
                continue;
            }
            IRType at = (memop & IR_MO_A64) ? IR_I64 : IR_I32;
            int a64 = (memop & IR_MO_A64) != 0;
            for (int pattern = 0; pattern < NB_PATTERNS; pattern++) {
                b.type = types[ti];
                b.memop = memop;
                b.pattern = pattern;
                for (int k = 0; k < NB; k++) {
                    b.v[k] = mask_t(types[ti], k < NB_EDGES ? edges[k] : rnd());
                }
                for (int be = 0; be < NB_BACKENDS; be++) {
                    for (int mmu = 0; mmu < TLB_NB_MMU; mmu++) {
                        for (int i = 0; i < (int)TLB_PAGE_SIZE; i++) {
                            host_pages[mmu][a64][i] = (uint8_t)rnd();
                        }
                    }
                    for (int k = 0; k < NB; k++) {
                        field_set(&cpu->in[0][k], at, gaddr(&b, k));
                        cpu->out[0][k] = cpu->chk[0][k] = GARBAGE64;
                    }
                    tlb_fill(false);
                    run_block(be, build_gld, &b);
                    if (pattern & 1) {
                        for (int k = 0; k < NB; k++) {
                            check_u64("gld result in a temp equals the expected constant", be,
                                      field_get(be, &cpu->chk[0][k], types[ti]), 1);
                        }
                    }
                    for (int k = 0; k < NB; k++) {
                        char what[80];
                        snprintf(what, sizeof(what), "gld_%s memop 0x%x mmu %d offset 0x%x",
                                 ti ? "i64" : "i32", memop, k % TLB_NB_MMU, goff(&b, k));
                        check_u64(what, be, field_get(be, &cpu->out[0][k], types[ti]),
                                  ref_load_le(&host_pages[k % TLB_NB_MMU][a64][goff(&b, k)],
                                              memop, types[ti]));
                    }
                }
                if (memop & IR_MO_SIGN) {
                    continue;
                }
                for (int be = 0; be < NB_BACKENDS; be++) {
                    for (int mmu = 0; mmu < TLB_NB_MMU; mmu++) {
                        for (int i = 0; i < (int)TLB_PAGE_SIZE; i++) {
                            host_pages[mmu][a64][i] = want[mmu][i] = (uint8_t)rnd();
                        }
                    }
                    for (int k = 0; k < NB; k++) {
                        field_set(&cpu->in[0][k], at, gaddr(&b, k));
                        field_set(&cpu->in[1][k], types[ti], b.v[k]);
                        unsigned n = 1u << (memop & IR_MO_SIZE);
                        for (unsigned i = 0; i < n; i++) {
                            want[k % TLB_NB_MMU][goff(&b, k) + (int)i] = (uint8_t)(b.v[k] >> (8 * i));
                        }
                    }
                    tlb_fill(true);
                    run_block(be, build_gst, &b);
                    for (int mmu = 0; mmu < TLB_NB_MMU; mmu++) {
                        n_checks++;
                        if (memcmp(host_pages[mmu][a64], want[mmu], TLB_PAGE_SIZE) != 0) {
                            for (int i = 0; i < (int)TLB_PAGE_SIZE; i++) {
                                if (host_pages[mmu][a64][i] != want[mmu][i]) {
                                    failf("[%s] gst_%s memop 0x%x pattern %d: mmu %d byte 0x%x"
                                          " = 0x%02x, expected 0x%02x",
                                          backends[be]->name, ti ? "i64" : "i32", memop, pattern,
                                          mmu, i, host_pages[mmu][a64][i], want[mmu][i]);
                                    break;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    FINISH();
}
END_TEST

/* ---- block exits: chaining, budget, lookup_and_goto ---- */

/* g (misc[8 + which]) += 1 << (8 * which); then goto_tb slot + exit_tb slot, or exit NOCHAIN */
typedef struct ExitBlock {
    int which;
    int slot; /* goto_tb slot, or -1 for lookup_and_goto, -2 for exit_tb(NOCHAIN) */
} ExitBlock;

static void build_exit_block(IRFunc *f, const void *arg)
{
    const ExitBlock *e = arg;
    int g = ir_global(f, IR_I64, field_off(&cpu->misc[8 + e->which], IR_I64), "counter");
    int gpc = ir_global(f, IR_I64, field_off(&cpu->misc[MISC_PC], IR_I64), "pc");
    ir_emit_insn_start(f, 0);
    ir_emit_addi(f, IR_I64, g, g, 1);
    if (e->slot >= 0) {
        ir_emit_goto_tb(f, e->slot);
        ir_emit_exit_tb(f, e->slot);
    } else if (e->slot == -1) {
        /* the next pc is computed: lookup_and_goto reads it from env */
        ir_emit_addi(f, IR_I64, gpc, gpc, 0x1000);
        ir_emit_lookup_and_goto(f, gpc);
    } else {
        ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
    }
}

START_TEST(test_chaining_and_budget)
{
    for (int be = 0; be < NB_BACKENDS; be++) {
        TCGContext *s = ctx[be];
        TranslationBlock a, b;
        ExitBlock ea = {0, 0}, eb = {1, 1};
        tb_init(&a, 3);
        tb_init(&b, 5);
        translate(be, &a, build_exit_block, &ea);
        translate(be, &b, build_exit_block, &eb);
        memset(cpu->misc, 0, sizeof(cpu->misc));

        /* unchained: leaves through slot 0 */
        cpu->common.budget = 100;
        check_u64("unchained exit", be, exec_tb(be, &a), (uintptr_t)&a | IR_EXIT_SLOT0);
        check_u64("budget charged", be, (uint64_t)cpu->common.budget, 97);
        check_u64("block ran", be, cpu->misc[8], 1);

        /* a -> b: both run, both charged, b leaves through its slot 1 */
        s->backend->set_jump(s, &a, 0, &b);
        a.jmp_dest[0] = &b; /* as tb_link does */
        check_u64("chained exit", be, exec_tb(be, &a), (uintptr_t)&b | IR_EXIT_SLOT1);
        check_u64("budget charged for both", be, (uint64_t)cpu->common.budget, 89);
        check_u64("first block ran", be, cpu->misc[8], 2);
        check_u64("second block ran", be, cpu->misc[9], 1);

        /* a <-> b loop until the budget runs out: a b a b a, then b does not fit (needs 5) */
        s->backend->set_jump(s, &b, 1, &a);
        b.jmp_dest[1] = &a;
        cpu->common.budget = 20;
        check_u64("budget exit inside a chain", be, exec_tb(be, &a),
                  (uintptr_t)&b | IR_EXIT_BUDGET);
        check_u64("budget left", be, (uint64_t)cpu->common.budget, 1);
        check_u64("a ran 3 more times", be, cpu->misc[8], 5);
        check_u64("b ran 2 more times", be, cpu->misc[9], 3);

        /* budget smaller than the block: nothing runs, budget unchanged */
        cpu->common.budget = 2;
        check_u64("budget exit", be, exec_tb(be, &a), (uintptr_t)&a | IR_EXIT_BUDGET);
        check_u64("budget unchanged", be, (uint64_t)cpu->common.budget, 2);
        check_u64("block did not run", be, cpu->misc[8], 5);
        /* exactly enough budget: runs, budget 0; then b does not fit */
        cpu->common.budget = 3;
        check_u64("exact budget", be, exec_tb(be, &a), (uintptr_t)&b | IR_EXIT_BUDGET);
        check_u64("budget used up", be, (uint64_t)cpu->common.budget, 0);
        check_u64("block ran on exact budget", be, cpu->misc[8], 6);

        /* unchained again */
        s->backend->set_jump(s, &a, 0, NULL);
        a.jmp_dest[0] = NULL;
        cpu->common.budget = 100;
        check_u64("unchained again", be, exec_tb(be, &a), (uintptr_t)&a | IR_EXIT_SLOT0);
        check_u64("budget after unchaining", be, (uint64_t)cpu->common.budget, 97);
        check_u64("misc 9 after unchaining", be, cpu->misc[9], 3);
    }
    FINISH();
}
END_TEST

START_TEST(test_lookup_and_goto)
{
    for (int be = 0; be < NB_BACKENDS; be++) {
        TCGContext *s = ctx[be];
        TranslationBlock *a = tb_alloc(s, 1), *b = tb_alloc(s, 1);
        bool new_page;
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        ExitBlock ea = {0, -1}, eb = {1, -2};
        a->icount = 2;
        a->pc = a->phys_pc = 0x1000;
        b->icount = 3;
        b->pc = b->phys_pc = 0x2000;
        translate(be, a, build_exit_block, &ea);
        translate(be, b, build_exit_block, &eb);
        ck_assert(tb_register(s, a, &new_page));
        ck_assert(tb_register(s, b, &new_page));
        memset(cpu->misc, 0, sizeof(cpu->misc));

        /* a computes pc 0x2000: found, b runs and exits */
        cpu->misc[MISC_PC] = 0x1000;
        cpu->common.budget = 100;
        check_u64("lookup hit", be, exec_tb(be, a), (uintptr_t)b | IR_EXIT_NOCHAIN);
        check_u64("both charged", be, (uint64_t)cpu->common.budget, 95);
        check_u64("a ran", be, cpu->misc[8], 1);
        check_u64("b ran", be, cpu->misc[9], 1);

        /* a computes pc 0x3000: nothing there, a exits */
        cpu->misc[MISC_PC] = 0x2000;
        check_u64("lookup miss", be, exec_tb(be, a), (uintptr_t)a | IR_EXIT_NOCHAIN);
        check_u64("pc written back before the lookup", be, cpu->misc[MISC_PC], 0x3000);
        check_u64("a ran again", be, cpu->misc[8], 2);
        check_u64("b did not", be, cpu->misc[9], 1);

        /* found, but no budget left for b */
        cpu->misc[MISC_PC] = 0x1000;
        cpu->common.budget = 4;
        check_u64("lookup hit, no budget", be, exec_tb(be, a), (uintptr_t)b | IR_EXIT_BUDGET);
        check_u64("budget after a", be, (uint64_t)cpu->common.budget, 2);
        check_u64("b did not run", be, cpu->misc[9], 1);
    }
    FINISH();
}
END_TEST

/* ---- the interpreter's listing ---- */

START_TEST(test_interp_disas)
{
    static OpCase oc;
    static Batch b;
    oc = simple_case(IR_add, IR_I64, 2, 1);
    b.oc = &oc;
    b.n = 2;
    b.src = src_patterns[3];
    b.dst = DST_TEMP;
    TranslationBlock tb;
    tb_init(&tb, 1);
    translate(0, &tb, build_batch, &b);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(out);
    backend_interp.disas(ctx[0], &tb, out);
    fclose(out);
    n_checks += 3;
    ck_assert_msg(strstr(text, "add_i64") != NULL, "no add_i64 in:\n%s", text);
    ck_assert_msg(strstr(text, "ldg64") != NULL, "no ldg64 in:\n%s", text);
    ck_assert_msg(strstr(text, "exit_tb") != NULL, "no exit_tb in:\n%s", text);
    free(text);
    FINISH();
}
END_TEST

static Suite *ir_ops_suite(void)
{
    Suite *s = suite_create("ir_ops");
    TCase *tc = tcase_create("ops");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_binops);
    tcase_add_test(tc, test_shifts);
    tcase_add_test(tc, test_unops);
    tcase_add_test(tc, test_mul2);
    tcase_add_test(tc, test_bitfields);
    tcase_add_test(tc, test_setcond_movcond);
    tcase_add_test(tc, test_brcond);
    tcase_add_test(tc, test_loop_locals);
    tcase_add_test(tc, test_many_temps);
    tcase_add_test(tc, test_calls);
    tcase_add_test(tc, test_insn_index);
    tcase_add_test(tc, test_global_sync);
    tcase_add_test(tc, test_aliased_globals);
    tcase_add_test(tc, test_ld_st);
    tcase_add_test(tc, test_gld_gst);
    tcase_add_test(tc, test_chaining_and_budget);
    tcase_add_test(tc, test_lookup_and_goto);
    tcase_add_test(tc, test_interp_disas);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ir_ops_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
