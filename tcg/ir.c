/*
 * tcg/ir.c — the IR builder: temps, constants, labels, op emission, liveness and a text dump.
 * The format is described in tcg/ir.h and docs/ir.md.
 */
#include "tcg/ir.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const IROpDef ir_op_defs[IR_NB_OPS] = {
#define IR_OP(n, o, i, c, fl) [IR_##n] = {#n, o, i, c, fl},
#include "tcg/ir-ops.def"
#undef IR_OP
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "xlat: out of memory\n");
        abort();
    }
    return q;
}

void ir_func_init(IRFunc *f)
{
    memset(f, 0, sizeof(*f));
    f->env = -1;
    IRTemp *t;
    /* the CPU-state pointer is always temp 0 */
    f->cap_temps = 64;
    f->temps = xrealloc(NULL, sizeof(IRTemp) * f->cap_temps);
    t = &f->temps[0];
    memset(t, 0, sizeof(*t));
    t->type = IR_PTR;
    t->kind = TEMP_FIXED;
    t->name = "env";
    f->nb_temps = f->nb_globals = 1;
    f->env = 0;
}

void ir_func_free(IRFunc *f)
{
    free(f->ops);
    free(f->temps);
    memset(f, 0, sizeof(*f));
}

void ir_func_reset(IRFunc *f)
{
    f->nb_ops = 0;
    f->nb_temps = f->nb_globals;
    f->nb_labels = 0;
    f->nb_locals = 0;
}

static int temp_alloc(IRFunc *f)
{
    if (f->nb_temps == f->cap_temps) {
        f->cap_temps *= 2;
        f->temps = xrealloc(f->temps, sizeof(IRTemp) * f->cap_temps);
    }
    IRTemp *t = &f->temps[f->nb_temps];
    memset(t, 0, sizeof(*t));
    return f->nb_temps++;
}

int ir_global(IRFunc *f, IRType type, int32_t env_offset, const char *name)
{
    assert(f->nb_temps == f->nb_globals && "globals must be declared before any temp");
    int i = temp_alloc(f);
    f->temps[i].type = type;
    f->temps[i].kind = TEMP_GLOBAL;
    f->temps[i].env_offset = env_offset;
    f->temps[i].name = name;
    f->nb_globals = f->nb_temps;
    return i;
}

/* The i32 view of a 64-bit field is its low half, wherever the host keeps it. */
static int32_t low_half(int32_t off)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return off + 4;
#else
    return off;
#endif
}

int ir_global_flags(IRFunc *f, IRType opnd_type, int32_t off, const char *name)
{
    int fk = ir_global(f, IR_I32, off + offsetof(IRLazyFlags, kind), "cc_kind");
    int32_t (*adj)(int32_t) = opnd_type == IR_I32 ? low_half : NULL;
#define FIELD(n) ir_global(f, opnd_type, adj ? adj(off + offsetof(IRLazyFlags, n)) : \
                           (int32_t)(off + offsetof(IRLazyFlags, n)), "cc_" #n)
    int fr = FIELD(res), fa = FIELD(a), fb = FIELD(b), fc = FIELD(c);
#undef FIELD
    int i = ir_global(f, IR_FLAGS, off, name);
    IRTemp *t = &f->temps[i];
    t->fl_kind = fk;
    t->fl_res = fr;
    t->fl_a = fa;
    t->fl_b = fb;
    t->fl_c = fc;
    /* the operand type of the lazy form */
    t->val = opnd_type;
    return i;
}

int ir_temp_new(IRFunc *f, IRType type)
{
    int i = temp_alloc(f);
    f->temps[i].type = type;
    f->temps[i].kind = TEMP_NORMAL;
    return i;
}

int ir_temp_local(IRFunc *f, IRType type)
{
    int i = temp_alloc(f);
    f->temps[i].type = type;
    f->temps[i].kind = TEMP_LOCAL;
    f->nb_locals++;
    return i;
}

int ir_const(IRFunc *f, IRType type, int64_t val)
{
    if (type == IR_I32) {
        val = (int32_t)val;
    }
    /* intern: blocks hold few distinct constants, a backward scan finds recent ones fast */
    for (int i = f->nb_temps - 1; i >= f->nb_globals; i--) {
        IRTemp *t = &f->temps[i];
        if (t->kind == TEMP_CONST && t->type == type && t->val == val) {
            return i;
        }
    }
    int i = temp_alloc(f);
    f->temps[i].type = type;
    f->temps[i].kind = TEMP_CONST;
    f->temps[i].val = val;
    return i;
}

int ir_label_new(IRFunc *f)
{
    return f->nb_labels++;
}

static IROp *op_alloc(IRFunc *f)
{
    if (f->nb_ops == f->cap_ops) {
        f->cap_ops = f->cap_ops ? f->cap_ops * 2 : 256;
        f->ops = xrealloc(f->ops, sizeof(IROp) * f->cap_ops);
    }
    IROp *op = &f->ops[f->nb_ops++];
    memset(op, 0, sizeof(*op));
    return op;
}

int ir_emit(IRFunc *f, IROpcode opc, IRType type, int nargs, const IRArg *args)
{
    const IROpDef *d = &ir_op_defs[opc];
    assert(!(d->flags & IR_OPF_CALL));
    assert(nargs == d->nb_oargs + d->nb_iargs + d->nb_cargs);
    IROp *op = op_alloc(f);
    op->opc = opc;
    op->type = type;
    op->nb_oargs = d->nb_oargs;
    op->nb_iargs = d->nb_iargs;
    op->nb_cargs = d->nb_cargs;
    if (nargs) {
        memcpy(op->args, args, sizeof(IRArg) * nargs);
    }
    return f->nb_ops - 1;
}

#define EMIT(opc, type, ...)                                                                    \
    ({                                                                                          \
        IRArg a_[] = {__VA_ARGS__};                                                             \
        ir_emit(f, opc, type, sizeof(a_) / sizeof(a_[0]), a_);                                  \
    })

int ir_emit_mov(IRFunc *f, IRType t, int d, int a)
{
    return EMIT(IR_mov, t, d, a);
}

int ir_emit_movi(IRFunc *f, IRType t, int d, int64_t v)
{
    return EMIT(IR_mov, t, d, ir_const(f, t, v));
}

int ir_emit_binop(IRFunc *f, IROpcode opc, IRType t, int d, int a, int b)
{
    return EMIT(opc, t, d, a, b);
}

int ir_emit_unop(IRFunc *f, IROpcode opc, IRType t, int d, int a)
{
    return EMIT(opc, t, d, a);
}

int ir_emit_addi(IRFunc *f, IRType t, int d, int a, int64_t imm)
{
    return EMIT(IR_add, t, d, a, ir_const(f, t, imm));
}

int ir_emit_andi(IRFunc *f, IRType t, int d, int a, int64_t imm)
{
    return EMIT(IR_and, t, d, a, ir_const(f, t, imm));
}

int ir_emit_mul2(IRFunc *f, IROpcode opc, IRType t, int lo, int hi, int a, int b)
{
    return EMIT(opc, t, lo, hi, a, b);
}

int ir_emit_deposit(IRFunc *f, IRType t, int d, int a, int b, int pos, int len)
{
    return EMIT(IR_deposit, t, d, a, b, pos, len);
}

int ir_emit_extract(IRFunc *f, IRType t, int d, int a, int pos, int len, bool sign)
{
    return EMIT(sign ? IR_sextract : IR_extract, t, d, a, pos, len);
}

int ir_emit_setcond(IRFunc *f, IRType t, IRCond c, int d, int a, int b)
{
    return EMIT(IR_setcond, t, d, a, b, c);
}

int ir_emit_movcond(IRFunc *f, IRType t, IRCond c, int d, int c1, int c2, int v1, int v2)
{
    return EMIT(IR_movcond, t, d, c1, c2, v1, v2, c);
}

int ir_emit_brcond(IRFunc *f, IRType t, IRCond c, int a, int b, int label)
{
    return EMIT(IR_brcond, t, a, b, c, label);
}

int ir_emit_br(IRFunc *f, int label)
{
    return EMIT(IR_br, IR_I32, label);
}

int ir_emit_label(IRFunc *f, int label)
{
    return EMIT(IR_set_label, IR_I32, label);
}

int ir_emit_ld(IRFunc *f, IRType t, int d, int base, unsigned memop, int32_t offset)
{
    return EMIT(IR_ld, t, d, base, memop, (IRArg)(intptr_t)offset);
}

int ir_emit_st(IRFunc *f, IRType t, int val, int base, unsigned memop, int32_t offset)
{
    return EMIT(IR_st, t, val, base, memop, (IRArg)(intptr_t)offset);
}

int ir_emit_gld(IRFunc *f, IRType t, int d, int addr, unsigned memop, int mmu_idx)
{
    return EMIT(IR_gld, t, d, addr, memop | (unsigned)mmu_idx << IR_MEMOP_MMU_SHIFT);
}

int ir_emit_gst(IRFunc *f, IRType t, int val, int addr, unsigned memop, int mmu_idx)
{
    return EMIT(IR_gst, t, val, addr, memop | (unsigned)mmu_idx << IR_MEMOP_MMU_SHIFT);
}

int ir_emit_call(IRFunc *f, const IRHelper *h, int ret, const int *args)
{
    IROp *op = op_alloc(f);
    op->opc = IR_call;
    op->type = h->ret == IR_RET_VOID ? IR_I32 : h->ret;
    op->nb_oargs = h->ret == IR_RET_VOID ? 0 : 1;
    op->nb_iargs = h->nargs;
    op->nb_cargs = 1;
    assert(op->nb_oargs + op->nb_iargs + 1 <= IR_MAX_ARGS);
    assert((h->ret == IR_RET_VOID) == (ret < 0));
    int n = 0;
    if (op->nb_oargs) {
        op->args[n++] = ret;
    }
    for (int i = 0; i < h->nargs; i++) {
        op->args[n++] = args[i];
    }
    op->args[n] = (IRArg)h;
    return f->nb_ops - 1;
}

int ir_emit_chk_gtu(IRFunc *f, int a, int b, uint32_t bias, const IRHelper *h, uint32_t arg)
{
    return EMIT(IR_chk_gtu, IR_I32, a, b, (IRArg)bias, (IRArg)h, (IRArg)arg);
}

int ir_emit_insn_start(IRFunc *f, uint64_t pc)
{
    return EMIT(IR_insn_start, IR_I32, (IRArg)(uint32_t)pc, (IRArg)(uint32_t)(pc >> 32));
}

int ir_emit_goto_tb(IRFunc *f, int slot)
{
    return EMIT(IR_goto_tb, IR_I32, slot);
}

int ir_emit_exit_tb(IRFunc *f, int code)
{
    return EMIT(IR_exit_tb, IR_I32, code);
}

int ir_emit_lookup_and_goto(IRFunc *f, int key)
{
    /* the op's type is the key's: I64 for a full 64-bit pc, I32 for one that fits */
    return EMIT(IR_lookup_and_goto, ir_temp(f, key)->type, key);
}

int ir_emit_fl_def(IRFunc *f, IRType t, int flags, unsigned kind, int res, int a, int b, int c)
{
    f->stat_flags_defs++;
    return EMIT(IR_fl_def, t, flags, res, a, b, c, kind);
}

int ir_emit_fl_cond(IRFunc *f, int d, int flags, int cc)
{
    return EMIT(IR_fl_cond, IR_I32, d, flags, cc);
}

int ir_emit_fl_brcond(IRFunc *f, int flags, int cc, int label)
{
    return EMIT(IR_fl_brcond, IR_I32, flags, cc, label);
}

int ir_emit_fl_get(IRFunc *f, int d, int flags)
{
    return EMIT(IR_fl_get, IR_I32, d, flags);
}

int ir_emit_fl_set(IRFunc *f, int flags, int src)
{
    return EMIT(IR_fl_set, IR_I32, flags, src);
}

void ir_append_op(IRFunc *f, const IROp *src)
{
    IROp *op = op_alloc(f);
    *op = *src;
}

void ir_op_remove(IRFunc *f, int i)
{
    IROp *op = &f->ops[i];
    op->opc = IR_nop;
    op->nb_oargs = op->nb_iargs = op->nb_cargs = 0;
}

void ir_func_compact(IRFunc *f)
{
    int j = 0;
    for (int i = 0; i < f->nb_ops; i++) {
        if (f->ops[i].opc != IR_nop) {
            f->ops[j++] = f->ops[i];
        }
    }
    f->nb_ops = j;
}

/*
 * Backward liveness over the op array. Normal temps are dead at the end of their block; locals
 * and globals are conservatively live at every block end (the backend syncs globals there).
 * An op without side effects whose outputs are all dead is removed; for every remaining op,
 * bit i of life says input i is not used again.
 */
int ir_liveness(IRFunc *f)
{
    int n = f->nb_temps, removed = 0;
    uint8_t *live = calloc(n, 1);
    if (!live) {
        abort();
    }
    for (int i = f->nb_ops - 1; i >= 0; i--) {
        IROp *op = &f->ops[i];
        const IROpDef *d = ir_def(op);
        if (op->opc == IR_nop) {
            continue;
        }
        if (d->flags & IR_OPF_BB_END) {
            /* normal temps die at block ends; everything else may be read later */
            for (int t = 0; t < n; t++) {
                IRTemp *tp = &f->temps[t];
                live[t] = tp->kind != TEMP_NORMAL && tp->kind != TEMP_CONST;
            }
        }
        bool side = d->flags & (IR_OPF_SIDE_EFFECTS | IR_OPF_BB_END);
        if (op->opc == IR_call) {
            side = !(ir_call_helper(op)->flags & IR_CALL_NO_SIDE_EFFECTS);
        }
        if (!side && op->nb_oargs) {
            bool any = false;
            for (int k = 0; k < op->nb_oargs; k++) {
                int t = ir_oarg(op, k);
                any |= live[t] || f->temps[t].kind == TEMP_GLOBAL;
            }
            if (!any) {
                ir_op_remove(f, i);
                removed++;
                continue;
            }
        }
        for (int k = 0; k < op->nb_oargs; k++) {
            int t = ir_oarg(op, k);
            if (f->temps[t].kind == TEMP_NORMAL) {
                live[t] = 0;
            }
        }
        if ((d->flags & IR_OPF_READS_GLOBALS) ||
            (op->opc == IR_call && !(ir_call_helper(op)->flags & IR_CALL_NO_READ_GLOBALS))) {
            for (int t = 0; t < f->nb_globals; t++) {
                live[t] = 1;
            }
        }
        op->life = 0;
        for (int k = 0; k < op->nb_iargs; k++) {
            int t = ir_iarg(op, k);
            IRTemp *tp = &f->temps[t];
            if (tp->kind == TEMP_NORMAL && !live[t]) {
                op->life |= 1u << k;
            }
            live[t] = 1;
        }
        /* an input that is also an earlier input of the same op: only the last use dies */
        for (int k = 0; k < op->nb_iargs; k++) {
            for (int m = k + 1; m < op->nb_iargs; m++) {
                if (ir_iarg(op, k) == ir_iarg(op, m) && (op->life & (1u << k))) {
                    op->life |= 1u << m;
                }
            }
        }
    }
    free(live);
    return removed;
}

static uint64_t type_mask(IRType t)
{
    return t == IR_I32 ? 0xffffffffull : ~0ull;
}

bool ir_cond_eval(IRCond c, IRType t, uint64_t a, uint64_t b)
{
    a &= type_mask(t);
    b &= type_mask(t);
    int64_t sa = t == IR_I32 ? (int64_t)(int32_t)a : (int64_t)a;
    int64_t sb = t == IR_I32 ? (int64_t)(int32_t)b : (int64_t)b;
    switch (c) {
    case IR_COND_NEVER: return false;
    case IR_COND_ALWAYS: return true;
    case IR_COND_EQ: return a == b;
    case IR_COND_NE: return a != b;
    case IR_COND_LT: return sa < sb;
    case IR_COND_GE: return sa >= sb;
    case IR_COND_LE: return sa <= sb;
    case IR_COND_GT: return sa > sb;
    case IR_COND_LTU: return a < b;
    case IR_COND_GEU: return a >= b;
    case IR_COND_LEU: return a <= b;
    case IR_COND_GTU: return a > b;
    }
    return false;
}

IRCond ir_cond_invert(IRCond c)
{
    static const IRCond inv[] = {
        [IR_COND_NEVER] = IR_COND_ALWAYS, [IR_COND_ALWAYS] = IR_COND_NEVER,
        [IR_COND_EQ] = IR_COND_NE,        [IR_COND_NE] = IR_COND_EQ,
        [IR_COND_LT] = IR_COND_GE,        [IR_COND_GE] = IR_COND_LT,
        [IR_COND_LE] = IR_COND_GT,        [IR_COND_GT] = IR_COND_LE,
        [IR_COND_LTU] = IR_COND_GEU,      [IR_COND_GEU] = IR_COND_LTU,
        [IR_COND_LEU] = IR_COND_GTU,      [IR_COND_GTU] = IR_COND_LEU,
    };
    return inv[c];
}

IRCond ir_cond_swap(IRCond c)
{
    static const IRCond sw[] = {
        [IR_COND_NEVER] = IR_COND_NEVER, [IR_COND_ALWAYS] = IR_COND_ALWAYS,
        [IR_COND_EQ] = IR_COND_EQ,       [IR_COND_NE] = IR_COND_NE,
        [IR_COND_LT] = IR_COND_GT,       [IR_COND_GE] = IR_COND_LE,
        [IR_COND_LE] = IR_COND_GE,       [IR_COND_GT] = IR_COND_LT,
        [IR_COND_LTU] = IR_COND_GTU,     [IR_COND_GEU] = IR_COND_LEU,
        [IR_COND_LEU] = IR_COND_GEU,     [IR_COND_GTU] = IR_COND_LTU,
    };
    return sw[c];
}

const char *ir_cond_name(IRCond c)
{
    static const char *const names[] = {"never", "always", "eq",  "ne",  "lt",  "ge",
                                        "le",    "gt",     "ltu", "geu", "leu", "gtu"};
    return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

static void dump_temp(IRFunc *f, int t, FILE *out)
{
    IRTemp *tp = &f->temps[t];
    switch (tp->kind) {
    case TEMP_CONST:
        if (tp->val >= -4096 && tp->val <= 4096) {
            fprintf(out, "$%" PRId64, tp->val);
        } else {
            fprintf(out, "$0x%" PRIx64, tp->type == IR_I32 ? (uint64_t)(uint32_t)tp->val
                                                           : (uint64_t)tp->val);
        }
        break;
    case TEMP_GLOBAL:
    case TEMP_FIXED:
        fputs(tp->name ? tp->name : "?", out);
        break;
    case TEMP_LOCAL:
        fprintf(out, "loc%d", t - f->nb_globals);
        break;
    default:
        fprintf(out, "tmp%d", t - f->nb_globals);
        break;
    }
}

static const char *const flags_op_names[IR_FL_NB] = {
    "eflags", "add", "adc", "sub", "sbb", "logic", "inc", "dec", "shl", "shr", "sar", "mul",
};

void ir_dump(IRFunc *f, FILE *out)
{
    for (int i = 0; i < f->nb_ops; i++) {
        IROp *op = &f->ops[i];
        const IROpDef *d = ir_def(op);
        if (op->opc == IR_nop) {
            continue;
        }
        if (op->opc == IR_insn_start) {
            uint64_t pc = op->args[0] | (uint64_t)op->args[1] << 32;
            fprintf(out, " ---- %08" PRIx64 "\n", pc);
            continue;
        }
        if (op->opc == IR_set_label) {
            fprintf(out, " L%d:\n", (int)op->args[0]);
            continue;
        }
        const char *name = op->opc == IR_call ? "call" : d->name;
        const char *sfx = "";
        if (d->flags & IR_OPF_INT) {
            sfx = op->type == IR_I64 ? "_i64" : "_i32";
        } else if (op->opc == IR_fl_def) {
            sfx = op->type == IR_I64 ? "_i64" : "_i32";
        }
        fprintf(out, "  %s%s ", name, sfx);
        int n = 0;
        for (int k = 0; k < op->nb_oargs + op->nb_iargs; k++) {
            fputs(n++ ? "," : "", out);
            dump_temp(f, (int)op->args[k], out);
        }
        for (int k = 0; k < op->nb_cargs; k++) {
            IRArg c = ir_carg(op, k);
            fputs(n++ ? "," : "", out);
            switch (op->opc) {
            case IR_call:
                fputs(ir_call_helper(op)->name, out);
                break;
            case IR_brcond:
            case IR_setcond:
            case IR_movcond:
                if (k == 0) {
                    fputs(ir_cond_name((IRCond)c), out);
                } else {
                    fprintf(out, "L%d", (int)c);
                }
                break;
            case IR_br:
                fprintf(out, "L%d", (int)c);
                break;
            case IR_fl_brcond:
                if (k == 1) {
                    fprintf(out, "L%d", (int)c);
                } else {
                    fprintf(out, "cc%d", (int)c);
                }
                break;
            case IR_fl_def:
                fprintf(out, "%s%d", flags_op_names[IR_FL_OP(c)] ? flags_op_names[IR_FL_OP(c)]
                                                                  : "?",
                        8 << IR_FL_SIZE(c));
                break;
            case IR_gld:
            case IR_gst:
                fprintf(out, "%s%d%s,mmu%d", (c & IR_MO_SIGN) ? "s" : "u", 8 << (c & IR_MO_SIZE),
                        (c & IR_MO_A64) ? ",a64" : "", (int)(c >> IR_MEMOP_MMU_SHIFT));
                break;
            case IR_ld:
            case IR_st:
                if (k == 0) {
                    fprintf(out, "%s%d", (c & IR_MO_SIGN) ? "s" : "u", 8 << (c & IR_MO_SIZE));
                } else {
                    fprintf(out, "$%" PRIdPTR, (intptr_t)c);
                }
                break;
            default:
                fprintf(out, "$%" PRIuPTR, (uintptr_t)c);
            }
        }
        fputc('\n', out);
    }
}
