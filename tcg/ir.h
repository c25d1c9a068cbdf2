/*
 * tcg/ir.h — xlat's intermediate representation and its builder.
 *
 * A translated block is an IRFunc: a flat array of IROp over IRTemps. Temps are typed (i32, i64,
 * flags) and of one of four kinds: globals live in the CPU state at a fixed offset and are cached
 * in host registers by the backend; normal temps live within one basic block; local temps survive
 * labels and branches; constants are interned values that backends may use as immediates.
 * Guest flags are IR values (type IR_FLAGS): fl_def makes one, fl_cond/fl_brcond/fl_get read one.
 *
 * The op table is tcg/ir-ops.def; the semantics are documented in docs/ir.md.
 * The builder functions (ir_add, ir_brcond, ...) append ops; passes edit the array in place
 * (turning ops into nop) or rebuild it (ir_func_rebuild).
 */
#ifndef XLAT_TCG_IR_H
#define XLAT_TCG_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uintptr_t IRArg;

typedef enum IROpcode {
#define IR_OP(name, o, i, c, fl) IR_##name,
#include "tcg/ir-ops.def"
#undef IR_OP
    IR_NB_OPS
} IROpcode;

/* op flags (ir-ops.def) */
enum {
    IR_OPF_BB_END = 1 << 0,        /* ends a basic block (label, branch, exit) */
    IR_OPF_SIDE_EFFECTS = 1 << 1,  /* never removed by dead-code elimination */
    IR_OPF_INT = 1 << 2,           /* exists at i32 and i64 */
    IR_OPF_CALL = 1 << 3,          /* variable arity, see IRHelper */
    IR_OPF_MAY_RAISE = 1 << 4,     /* may raise a guest exception: state must be precise */
    IR_OPF_READS_GLOBALS = 1 << 5, /* observes every global (a fault reads the guest state) */
    IR_OPF_NOT_PRESENT = 1 << 6,
    IR_OPF_NORETURN = 1 << 7,      /* control never falls through */
    IR_OPF_FLAGS = 1 << 8,         /* guest-flags op, lowered by tcg/flags.c */
};

typedef struct IROpDef {
    const char *name;
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    uint16_t flags;
} IROpDef;

extern const IROpDef ir_op_defs[IR_NB_OPS];

typedef enum IRType {
    IR_I32,
    IR_I64,
    IR_FLAGS,
} IRType;

/* The host pointer type, for the CPU-state base temp and pointer helper arguments. */
#if UINTPTR_MAX == UINT64_MAX
#define IR_PTR IR_I64
#else
#define IR_PTR IR_I32
#endif

typedef enum IRTempKind {
    TEMP_NORMAL, /* dies at the end of its basic block */
    TEMP_LOCAL,  /* lives across labels and branches within the function */
    TEMP_GLOBAL, /* lives in the CPU state at env_offset */
    TEMP_FIXED,  /* the CPU-state pointer itself (held in a reserved host register) */
    TEMP_CONST,  /* an interned constant */
} IRTempKind;

typedef struct IRTemp {
    uint8_t type;       /* IRType */
    uint8_t kind;       /* IRTempKind */
    int32_t env_offset; /* TEMP_GLOBAL: offset in the CPU state */
    int64_t val;        /* TEMP_CONST: value (i32 constants are stored sign-extended) */
    const char *name;   /* globals: for logs */
    /* TEMP_GLOBAL of type IR_FLAGS: the globals holding its lazy form (see IRLazyFlags) */
    int fl_kind, fl_res, fl_a, fl_b, fl_c;
} IRTemp;

/* Comparison conditions for brcond/setcond/movcond. */
typedef enum IRCond {
    IR_COND_NEVER,
    IR_COND_ALWAYS,
    IR_COND_EQ,
    IR_COND_NE,
    IR_COND_LT, /* signed */
    IR_COND_GE,
    IR_COND_LE,
    IR_COND_GT,
    IR_COND_LTU, /* unsigned */
    IR_COND_GEU,
    IR_COND_LEU,
    IR_COND_GTU,
} IRCond;

/* memop for ld/st/gld/gst */
enum {
    IR_MO_8 = 0,
    IR_MO_16 = 1,
    IR_MO_32 = 2,
    IR_MO_64 = 3,
    IR_MO_SIZE = 3,
    IR_MO_SIGN = 1 << 2,  /* sign-extend loads */
    IR_MO_A64 = 1 << 3,   /* gld/gst: the address operand is i64 (else i32) */
    IR_MEMOP_MMU_SHIFT = 8,
};

/* exit_tb codes, or'ed into the returned TB pointer (TBs are 4-byte aligned) */
enum {
    IR_EXIT_SLOT0 = 0,   /* left through goto_tb slot 0 unchained: chain it */
    IR_EXIT_SLOT1 = 1,
    IR_EXIT_BUDGET = 2,  /* instruction budget exhausted at block entry: the block did not run */
    IR_EXIT_NOCHAIN = 3, /* plain exit to the loop */
};

/* Guest flags kinds for fl_def (x86-style CF PF AF ZF SF OF, see docs/ir.md): kind << 2 | size
   where size is log2 of the operand bytes. */
typedef enum IRFlagsOp {
    IR_FL_EFLAGS, /* res is an EFLAGS image */
    IR_FL_ADD,    /* res = a + b */
    IR_FL_ADC,    /* res = a + b + c (c = carry in, 0/1) */
    IR_FL_SUB,    /* res = a - b */
    IR_FL_SBB,    /* res = a - b - c */
    IR_FL_LOGIC,  /* res of and/or/xor/test: CF = OF = AF = 0 */
    IR_FL_INC,    /* res = a + 1, CF = c (kept) */
    IR_FL_DEC,    /* res = a - 1, CF = c (kept) */
    IR_FL_SHL,    /* res = a << b, b in 1..width (masked count, nonzero) */
    IR_FL_SHR,    /* res = a >> b (or SHRD's result): OF = MSB(a ^ res) */
    IR_FL_SAR,    /* res = a >>s b */
    IR_FL_MUL,    /* res = low product; CF = OF = (b != 0) */
    IR_FL_NB
} IRFlagsOp;
#define IR_FL_KIND(op, sizelog) (((op) << 2) | (sizelog))
#define IR_FL_OP(kind) ((kind) >> 2)
#define IR_FL_SIZE(kind) ((kind)&3)

/* The lazy form of a flags global in the CPU state (kind and four operands). */
typedef struct IRLazyFlags {
    uint64_t res, a, b, c;
    uint32_t kind;
    uint32_t pad;
} IRLazyFlags;

/* EFLAGS bit positions of the arithmetic flags */
enum {
    IR_EFL_CF = 1 << 0,
    IR_EFL_PF = 1 << 2,
    IR_EFL_AF = 1 << 4,
    IR_EFL_ZF = 1 << 6,
    IR_EFL_SF = 1 << 7,
    IR_EFL_OF = 1 << 11,
    IR_EFL_ARITH = IR_EFL_CF | IR_EFL_PF | IR_EFL_AF | IR_EFL_ZF | IR_EFL_SF | IR_EFL_OF,
};

/* Compute the EFLAGS arithmetic bits of a lazy flags state; pure. */
uint32_t ir_flags_compute(uint32_t kind, uint64_t res, uint64_t a, uint64_t b, uint64_t c);
/* Does x86 condition cc (0..15, the low nibble of Jcc) hold in EFLAGS image e? */
bool ir_flags_test_cc(uint32_t eflags, int cc);

/* Helper calls. A helper is described once, statically, next to its C function. */
enum {
    IR_CALL_NO_READ_GLOBALS = 1 << 0,  /* does not read guest state: no spill before the call */
    IR_CALL_NO_WRITE_GLOBALS = 1 << 1, /* does not write guest state: cached globals stay valid */
    IR_CALL_NO_SIDE_EFFECTS = 1 << 2,  /* removable when its result is unused */
    IR_CALL_MAY_RAISE = 1 << 3,        /* may raise a guest exception (longjmp to the loop) */
    IR_CALL_PURE = IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS | IR_CALL_NO_SIDE_EFFECTS,
};
enum { IR_RET_VOID = 0xff };
#define IR_HELPER_MAX_ARGS 6

typedef struct IRHelper {
    const char *name;
    void *func;
    uint32_t flags;                     /* IR_CALL_* */
    uint8_t ret;                        /* IRType or IR_RET_VOID */
    uint8_t nargs;
    uint8_t args[IR_HELPER_MAX_ARGS];   /* IRType of each argument */
    void *backend_data;                 /* filled lazily by a backend (e.g. the interp's ffi_cif) */
} IRHelper;

#define IR_MAX_ARGS 8

typedef struct IROp {
    uint8_t opc;        /* IROpcode */
    uint8_t type;       /* IRType for IR_OPF_INT ops; operand type of fl_def */
    uint8_t nb_oargs;   /* copied from the op def or the helper */
    uint8_t nb_iargs;
    uint8_t nb_cargs;
    uint16_t life;      /* bit i: input arg i is dead after this op (filled by ir_liveness) */
    IRArg args[IR_MAX_ARGS];
} IROp;

typedef struct IRFunc {
    IROp *ops;
    int nb_ops, cap_ops;
    IRTemp *temps;
    int nb_temps, cap_temps;
    int nb_globals; /* temps [0, nb_globals) are globals/fixed and survive ir_func_reset */
    int nb_labels;
    int nb_locals;  /* local temps allocated (each may need a frame slot in a backend) */
    int env;        /* the TEMP_FIXED CPU-state pointer */
    /* statistics for -stats */
    uint64_t stat_flags_defs, stat_flags_dropped;
} IRFunc;

void ir_func_init(IRFunc *f);
void ir_func_free(IRFunc *f);
/* Drop everything but the globals, ready for the next block. */
void ir_func_reset(IRFunc *f);

/* globals: declared once, before any translation */
int ir_global(IRFunc *f, IRType type, int32_t env_offset, const char *name);
/* a flags global over an IRLazyFlags at env_offset; opnd_type is the width of its operands */
int ir_global_flags(IRFunc *f, IRType opnd_type, int32_t env_offset, const char *name);

/* A frontend ends its block before a function holds more local temps than this: backends give
   each one a frame slot, and their frames are of fixed size. */
#define IR_MAX_LOCALS 128

int ir_temp_new(IRFunc *f, IRType type);
int ir_temp_local(IRFunc *f, IRType type);
int ir_const(IRFunc *f, IRType type, int64_t val);
static inline IRTemp *ir_temp(IRFunc *f, int t) { return &f->temps[t]; }
static inline bool ir_is_const(IRFunc *f, int t) { return f->temps[t].kind == TEMP_CONST; }
int ir_label_new(IRFunc *f);

/* the generic emitter; returns the op index */
int ir_emit(IRFunc *f, IROpcode opc, IRType type, int nargs, const IRArg *args);

/* builder API */
int ir_emit_mov(IRFunc *f, IRType t, int d, int a);
int ir_emit_movi(IRFunc *f, IRType t, int d, int64_t v);
int ir_emit_binop(IRFunc *f, IROpcode opc, IRType t, int d, int a, int b);
int ir_emit_unop(IRFunc *f, IROpcode opc, IRType t, int d, int a);
#define ir_emit_add(f, t, d, a, b) ir_emit_binop(f, IR_add, t, d, a, b)
#define ir_emit_sub(f, t, d, a, b) ir_emit_binop(f, IR_sub, t, d, a, b)
#define ir_emit_and(f, t, d, a, b) ir_emit_binop(f, IR_and, t, d, a, b)
#define ir_emit_or(f, t, d, a, b) ir_emit_binop(f, IR_or, t, d, a, b)
#define ir_emit_xor(f, t, d, a, b) ir_emit_binop(f, IR_xor, t, d, a, b)
#define ir_emit_shl(f, t, d, a, b) ir_emit_binop(f, IR_shl, t, d, a, b)
#define ir_emit_shr(f, t, d, a, b) ir_emit_binop(f, IR_shr, t, d, a, b)
#define ir_emit_sar(f, t, d, a, b) ir_emit_binop(f, IR_sar, t, d, a, b)
int ir_emit_addi(IRFunc *f, IRType t, int d, int a, int64_t imm);
int ir_emit_andi(IRFunc *f, IRType t, int d, int a, int64_t imm);
int ir_emit_mul2(IRFunc *f, IROpcode opc, IRType t, int lo, int hi, int a, int b);
int ir_emit_deposit(IRFunc *f, IRType t, int d, int a, int b, int pos, int len);
int ir_emit_extract(IRFunc *f, IRType t, int d, int a, int pos, int len, bool sign);
int ir_emit_setcond(IRFunc *f, IRType t, IRCond c, int d, int a, int b);
int ir_emit_movcond(IRFunc *f, IRType t, IRCond c, int d, int c1, int c2, int v1, int v2);
int ir_emit_brcond(IRFunc *f, IRType t, IRCond c, int a, int b, int label);
/* if (u32)(a + bias) > (u32)b: h(env, arg, a), a helper (env, i32, i32) that raises */
int ir_emit_chk_gtu(IRFunc *f, int a, int b, uint32_t bias, const IRHelper *h, uint32_t arg);
int ir_emit_br(IRFunc *f, int label);
int ir_emit_label(IRFunc *f, int label);
int ir_emit_ld(IRFunc *f, IRType t, int d, int base, unsigned memop, int32_t offset);
int ir_emit_st(IRFunc *f, IRType t, int val, int base, unsigned memop, int32_t offset);
int ir_emit_gld(IRFunc *f, IRType t, int d, int addr, unsigned memop, int mmu_idx);
int ir_emit_gst(IRFunc *f, IRType t, int val, int addr, unsigned memop, int mmu_idx);
/* ret: output temp or -1; args: input temps, helper->nargs of them */
int ir_emit_call(IRFunc *f, const IRHelper *h, int ret, const int *args);
int ir_emit_insn_start(IRFunc *f, uint64_t pc);
int ir_emit_goto_tb(IRFunc *f, int slot);
int ir_emit_exit_tb(IRFunc *f, int code);
int ir_emit_lookup_and_goto(IRFunc *f, int key);
int ir_emit_fl_def(IRFunc *f, IRType t, int flags, unsigned kind, int res, int a, int b, int c);
int ir_emit_fl_cond(IRFunc *f, int d, int flags, int cc);
int ir_emit_fl_brcond(IRFunc *f, int flags, int cc, int label);
int ir_emit_fl_get(IRFunc *f, int d, int flags);
int ir_emit_fl_set(IRFunc *f, int flags, int src);

/* accessors */
static inline const IROpDef *ir_def(const IROp *op) { return &ir_op_defs[op->opc]; }
static inline const IRHelper *ir_call_helper(const IROp *op)
{
    return (const IRHelper *)op->args[op->nb_oargs + op->nb_iargs];
}
static inline IRArg ir_carg(const IROp *op, int i) { return op->args[op->nb_oargs + op->nb_iargs + i]; }
static inline int ir_iarg(const IROp *op, int i) { return (int)op->args[op->nb_oargs + i]; }
static inline int ir_oarg(const IROp *op, int i) { return (int)op->args[i]; }

/* Append a copy of an existing op (passes that rebuild the array). */
void ir_append_op(IRFunc *f, const IROp *op);
/* Turn op i into a nop. */
void ir_op_remove(IRFunc *f, int i);
/* Compact away nops. */
void ir_func_compact(IRFunc *f);

/* Liveness: fill IROp.life with "input dies here" bits, for normal temps within their block.
   Also drops ops whose outputs are all dead and which have no side effects (returns count). */
int ir_liveness(IRFunc *f);

/* Evaluate a condition on two values of a type (used by the optimizer and the interpreter). */
bool ir_cond_eval(IRCond c, IRType t, uint64_t a, uint64_t b);
IRCond ir_cond_invert(IRCond c);
IRCond ir_cond_swap(IRCond c);

/* Text dump, one op per line, for -d op / op_opt and tests. */
#include <stdio.h>
void ir_dump(IRFunc *f, FILE *out);
const char *ir_cond_name(IRCond c);

#endif
