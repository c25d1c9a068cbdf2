/*
 * tcg/interp/gen.c — the interpreter's pre-decoder: an optimized IRFunc becomes a compact
 * program in the code cache (format in interp.h, instructions in interp-ops.def).
 *
 * One forward pass over the ops after ir_liveness:
 *  - Frame slots. Constants and helper pointers get the slots after env, filled once here.
 *    Globals and locals get one slot each for the whole block; normal temps take a slot at
 *    their definition and give it back when liveness says they die (or at the end of their
 *    basic block), so frames stay small and hot in the data cache.
 *  - Globals are cached in their slots within a basic block: loaded from env at the first read,
 *    written back (if modified) before anything that leaves the block or may look at env:
 *    labels, branches, exits, helpers that read or write globals or may raise, gld/gst (which
 *    may fault), and ld/st of env bytes that overlap the global. Helpers that write globals,
 *    and st into overlapping env bytes, drop the cached copies. Globals that overlap each other
 *    in env (the same bytes seen at two types) are written through at every definition.
 *  - Types fold into opcodes; conditions fold into the setcond/movcond/brcond opcodes;
 *    insn_start emits nothing: the instruction index is a constant operand of the instructions
 *    that may raise. Labels become unit indices, patched at the end.
 */
#include "tcg/interp/interp.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* cache state of a global's slot */
enum {
    GS_INVALID, /* the slot holds nothing: read env first */
    GS_CLEAN,   /* the slot equals env */
    GS_DIRTY,   /* the slot is newer than env */
};

typedef struct Fixup {
    uint32_t at; /* unit index of the 2-unit target operand */
    int32_t label;
} Fixup;

typedef struct GlobalRange {
    int32_t beg, end;
    int temp;
} GlobalRange;

typedef struct Gen {
    IRFunc *f;
    uint16_t *code;
    uint32_t nb_units, cap_units;
    bool overflow; /* the code cache is full: gen_code returns -1 */
    bool error;    /* the block cannot be run by this backend */
    bool count_tlb_hits; /* -stats: the gld/gst variants that count inline TLB hits */

    int32_t *slot_of;      /* per temp: its frame slot, or -1 */
    uint8_t *gstate;       /* per global temp: GS_* */
    uint8_t *galias;       /* per global temp: overlaps another global in env */
    int32_t *live_globals; /* globals whose state is not GS_INVALID */
    int nb_live_globals;
    int32_t *bb_normals;   /* normal temps given a slot in this basic block */
    int nb_bb_normals;
    uint16_t *free_slots;  /* slots of dead normal temps, for reuse */
    int nb_free;
    uint64_t *consts;      /* values of slots 1 .. nb_consts */
    int nb_consts;
    bool consts_done;      /* slots after the constants are taken: no new constants */
    int nb_slots;
    int32_t *label_pos;    /* unit index of each label, or -1 */
    Fixup *fixups;
    int nb_fixups;
    int insn_index;        /* number of insn_start seen - 1 */
} Gen;

/* The pre-decoder's scratch memory, in be_priv: one growing block, so the engine's
   free(s->be_priv) releases all of it. */
typedef struct InterpScratch {
    size_t cap;
    uint64_t mem[];
} InterpScratch;

static size_t carve(size_t *total, size_t bytes)
{
    size_t off = *total;
    *total += (bytes + 7) & ~(size_t)7;
    return off;
}

/* ---- code emission ---- */

static void emit(Gen *g, unsigned unit)
{
    assert(unit <= 0xffff);
    if (g->nb_units >= g->cap_units) {
        g->overflow = true;
        return;
    }
    g->code[g->nb_units++] = (uint16_t)unit;
}

static void emit_u32(Gen *g, uint32_t v)
{
    emit(g, v & 0xffff);
    emit(g, v >> 16);
}

static void emit_label_ref(Gen *g, int label)
{
    assert(label >= 0 && label < g->f->nb_labels);
    g->fixups[g->nb_fixups++] = (Fixup){g->nb_units, label};
    emit_u32(g, 0);
}

/* ---- frame slots ---- */

static unsigned new_slot(Gen *g)
{
    if (g->nb_slots >= INTERP_MAX_SLOTS) {
        g->error = true;
        return 0;
    }
    return (unsigned)g->nb_slots++;
}

static unsigned const_slot(Gen *g, uint64_t v)
{
    for (int i = 0; i < g->nb_consts; i++) {
        if (g->consts[i] == v) {
            return 1 + (unsigned)i;
        }
    }
    /* alloc_constants must have seen every constant the ops need */
    assert(!g->consts_done);
    g->consts[g->nb_consts++] = v;
    return new_slot(g);
}

static uint64_t canonical(IRType t, uint64_t v)
{
    return t == IR_I32 ? (uint32_t)v : v;
}

static int global_size(const IRTemp *tp)
{
    return tp->type == IR_I64 ? 8 : 4;
}

/* ---- the global cache ---- */

static void global_track(Gen *g, int t, uint8_t state)
{
    if (g->gstate[t] == GS_INVALID) {
        g->live_globals[g->nb_live_globals++] = t;
    }
    g->gstate[t] = state;
}

static void emit_global_store(Gen *g, int t)
{
    IRTemp *tp = &g->f->temps[t];
    emit(g, tp->type == IR_I64 ? INTERP_stg64 : INTERP_stg32);
    emit(g, (unsigned)g->slot_of[t]);
    emit_u32(g, (uint32_t)tp->env_offset);
}

/* Write back dirty globals: all of them (end < 0), or those overlapping env bytes [beg, end). */
static void sync_globals(Gen *g, int64_t beg, int64_t end)
{
    for (int i = 0; i < g->nb_live_globals; i++) {
        int t = g->live_globals[i];
        IRTemp *tp = &g->f->temps[t];
        if (g->gstate[t] != GS_DIRTY) {
            continue;
        }
        if (end >= 0 && !(tp->env_offset < end && beg < tp->env_offset + global_size(tp))) {
            continue;
        }
        emit_global_store(g, t);
        g->gstate[t] = GS_CLEAN;
    }
}

static void sync_all_globals(Gen *g)
{
    sync_globals(g, 0, -1);
}

/* Forget cached globals: all (end < 0), those overlapping [beg, end), or (aliased_only) the
   globals that alias others, except `keep`. Dirty ones must have been written back. */
static void drop_globals(Gen *g, int64_t beg, int64_t end, bool aliased_only, int keep)
{
    int j = 0;
    for (int i = 0; i < g->nb_live_globals; i++) {
        int t = g->live_globals[i];
        IRTemp *tp = &g->f->temps[t];
        bool drop = t != keep;
        if (end >= 0) {
            drop &= tp->env_offset < end && beg < tp->env_offset + global_size(tp);
        }
        if (aliased_only) {
            drop &= g->galias[t];
        }
        if (drop) {
            assert(g->gstate[t] != GS_DIRTY);
            g->gstate[t] = GS_INVALID;
        } else {
            g->live_globals[j++] = t;
        }
    }
    g->nb_live_globals = j;
}

static void drop_all_globals(Gen *g)
{
    drop_globals(g, 0, -1, false, -1);
}

static int cmp_range(const void *a, const void *b)
{
    const GlobalRange *x = a, *y = b;
    return (x->beg > y->beg) - (x->beg < y->beg);
}

/* Mark the globals whose env bytes overlap another global's (sort by offset, then sweep). */
static void find_aliased_globals(Gen *g, GlobalRange *r)
{
    IRFunc *f = g->f;
    int n = 0;
    for (int t = 0; t < f->nb_globals; t++) {
        IRTemp *tp = &f->temps[t];
        g->galias[t] = 0;
        /* flags globals are lowered into their component globals before we run */
        if (tp->kind == TEMP_GLOBAL && tp->type != IR_FLAGS) {
            r[n++] = (GlobalRange){tp->env_offset, tp->env_offset + global_size(tp), t};
        }
    }
    qsort(r, (size_t)n, sizeof(*r), cmp_range);
    int32_t max_end = INT32_MIN;
    int owner = -1;
    for (int i = 0; i < n; i++) {
        if (r[i].beg < max_end) {
            g->galias[r[i].temp] = 1;
            g->galias[owner] = 1;
        }
        if (r[i].end > max_end) {
            max_end = r[i].end;
            owner = r[i].temp;
        }
    }
}

/* ---- temps ---- */

static void end_basic_block(Gen *g)
{
    for (int i = 0; i < g->nb_bb_normals; i++) {
        int t = g->bb_normals[i];
        if (g->slot_of[t] >= 0) {
            g->free_slots[g->nb_free++] = (uint16_t)g->slot_of[t];
            g->slot_of[t] = -1;
        }
    }
    g->nb_bb_normals = 0;
}

static unsigned normal_slot(Gen *g, int t)
{
    if (g->slot_of[t] < 0) {
        g->slot_of[t] = g->nb_free ? g->free_slots[--g->nb_free] : new_slot(g);
        g->bb_normals[g->nb_bb_normals++] = t;
    }
    return (unsigned)g->slot_of[t];
}

/* The slot of input temp t, loading a global from env if its slot is not valid. */
static unsigned use_temp(Gen *g, int t)
{
    IRTemp *tp = &g->f->temps[t];
    switch (tp->kind) {
    case TEMP_FIXED:
        return INTERP_SLOT_ENV;
    case TEMP_CONST:
        assert(g->slot_of[t] > 0);
        return (unsigned)g->slot_of[t];
    case TEMP_GLOBAL:
        assert(tp->type != IR_FLAGS && "flag ops must be lowered for the interpreter");
        if (g->slot_of[t] < 0) {
            g->slot_of[t] = (int32_t)new_slot(g);
        }
        if (g->gstate[t] == GS_INVALID) {
            emit(g, tp->type == IR_I64 ? INTERP_ldg64 : INTERP_ldg32);
            emit(g, (unsigned)g->slot_of[t]);
            emit_u32(g, (uint32_t)tp->env_offset);
            global_track(g, t, GS_CLEAN);
        }
        return (unsigned)g->slot_of[t];
    case TEMP_LOCAL:
        if (g->slot_of[t] < 0) {
            g->slot_of[t] = (int32_t)new_slot(g);
        }
        return (unsigned)g->slot_of[t];
    default:
        /* a normal temp read before any definition in its block is an IR bug; give it a slot
           so the program stays well-formed */
        assert(g->slot_of[t] >= 0 && "normal temp used before its definition");
        return normal_slot(g, t);
    }
}

static unsigned def_temp(Gen *g, int t)
{
    IRTemp *tp = &g->f->temps[t];
    switch (tp->kind) {
    case TEMP_GLOBAL:
    case TEMP_LOCAL:
        if (g->slot_of[t] < 0) {
            g->slot_of[t] = (int32_t)new_slot(g);
        }
        return (unsigned)g->slot_of[t];
    case TEMP_NORMAL:
        return normal_slot(g, t);
    default:
        assert(!"constants and env are never written");
        g->error = true;
        return 0;
    }
}

/* After an instruction defined temp t. */
static void defined_temp(Gen *g, int t)
{
    if (g->f->temps[t].kind != TEMP_GLOBAL) {
        return;
    }
    if (g->galias[t]) {
        /* write through, and forget what overlapping globals cached of the old bytes */
        emit_global_store(g, t);
        global_track(g, t, GS_CLEAN);
        drop_globals(g, 0, -1, true, t);
    } else {
        global_track(g, t, GS_DIRTY);
    }
}

/* ---- opcode tables ---- */

/* IR ops whose instruction is just [opcode] [outputs] [inputs], per type (i32, i64) */
static const uint16_t simple_ops[IR_NB_OPS][2] = {
    [IR_mov] = {INTERP_mov, INTERP_mov},
    [IR_add] = {INTERP_add_i32, INTERP_add_i64},
    [IR_sub] = {INTERP_sub_i32, INTERP_sub_i64},
    [IR_mul] = {INTERP_mul_i32, INTERP_mul_i64},
    [IR_and] = {INTERP_and, INTERP_and},
    [IR_or] = {INTERP_or, INTERP_or},
    [IR_xor] = {INTERP_xor, INTERP_xor},
    [IR_andc] = {INTERP_andc, INTERP_andc},
    [IR_shl] = {INTERP_shl_i32, INTERP_shl_i64},
    [IR_shr] = {INTERP_shr_i32, INTERP_shr_i64},
    [IR_sar] = {INTERP_sar_i32, INTERP_sar_i64},
    [IR_rotl] = {INTERP_rotl_i32, INTERP_rotl_i64},
    [IR_rotr] = {INTERP_rotr_i32, INTERP_rotr_i64},
    [IR_neg] = {INTERP_neg_i32, INTERP_neg_i64},
    [IR_not] = {INTERP_not_i32, INTERP_not_i64},
    [IR_mulu2] = {INTERP_mulu2_i32, INTERP_mulu2_i64},
    [IR_muls2] = {INTERP_muls2_i32, INTERP_muls2_i64},
    [IR_ext8s] = {INTERP_ext8s_i32, INTERP_ext8s_i64},
    [IR_ext8u] = {INTERP_ext8u, INTERP_ext8u},
    [IR_ext16s] = {INTERP_ext16s_i32, INTERP_ext16s_i64},
    [IR_ext16u] = {INTERP_ext16u, INTERP_ext16u},
    /* i64 only, or type-changing: the op's type does not matter */
    [IR_ext32s] = {INTERP_ext32s, INTERP_ext32s},
    [IR_ext32u] = {INTERP_ext32u, INTERP_ext32u},
    [IR_ext_i32_i64] = {INTERP_ext32s, INTERP_ext32s},
    [IR_extu_i32_i64] = {INTERP_ext32u, INTERP_ext32u},
    [IR_extrl_i64_i32] = {INTERP_ext32u, INTERP_ext32u},
    [IR_extrh_i64_i32] = {INTERP_extrh, INTERP_extrh},
};

/* Variant number of a condition within the setcond/movcond/brcond families (the order of
   interp-ops.def), per type; -1 for never/always, which gen_cond_op turns into moves. */
static const int8_t cond_variant[IR_COND_GTU + 1][2] = {
    [IR_COND_NEVER] = {-1, -1}, [IR_COND_ALWAYS] = {-1, -1},
    [IR_COND_EQ] = {0, 0},      [IR_COND_NE] = {1, 1},
    [IR_COND_LTU] = {2, 2},     [IR_COND_GEU] = {3, 3},
    [IR_COND_LEU] = {4, 4},     [IR_COND_GTU] = {5, 5},
    [IR_COND_LT] = {6, 10},     [IR_COND_GE] = {7, 11},
    [IR_COND_LE] = {8, 12},     [IR_COND_GT] = {9, 13},
};

/* Host-memory loads per (size, sign), for i32 and i64 results; a 64-bit load into an i32
   needs an ext32u after it (see gen_op). */
static const uint16_t ld_ops[8][2] = {
    [IR_MO_8] = {INTERP_ld_u8, INTERP_ld_u8},
    [IR_MO_16] = {INTERP_ld_u16, INTERP_ld_u16},
    [IR_MO_32] = {INTERP_ld_u32, INTERP_ld_u32},
    [IR_MO_64] = {INTERP_ld_64, INTERP_ld_64},
    [IR_MO_8 | IR_MO_SIGN] = {INTERP_ld_s8_i32, INTERP_ld_s8_i64},
    [IR_MO_16 | IR_MO_SIGN] = {INTERP_ld_s16_i32, INTERP_ld_s16_i64},
    [IR_MO_32 | IR_MO_SIGN] = {INTERP_ld_u32, INTERP_ld_s32_i64},
    [IR_MO_64 | IR_MO_SIGN] = {INTERP_ld_64, INTERP_ld_64},
};
static const uint16_t st_ops[4] = {INTERP_st_8, INTERP_st_16, INTERP_st_32, INTERP_st_64};

static const uint16_t gld_ops[8][2] = {
    [IR_MO_8] = {INTERP_gld_u8, INTERP_gld_u8},
    [IR_MO_16] = {INTERP_gld_u16, INTERP_gld_u16},
    [IR_MO_32] = {INTERP_gld_u32, INTERP_gld_u32},
    [IR_MO_64] = {INTERP_gld_64, INTERP_gld_64},
    [IR_MO_8 | IR_MO_SIGN] = {INTERP_gld_s8_i32, INTERP_gld_s8_i64},
    [IR_MO_16 | IR_MO_SIGN] = {INTERP_gld_s16_i32, INTERP_gld_s16_i64},
    [IR_MO_32 | IR_MO_SIGN] = {INTERP_gld_u32, INTERP_gld_s32_i64},
    [IR_MO_64 | IR_MO_SIGN] = {INTERP_gld_64, INTERP_gld_64},
};
static const uint16_t gst_ops[4] = {INTERP_gst_8, INTERP_gst_16, INTERP_gst_32, INTERP_gst_64};
/* the -stats variants, which count inline TLB hits (TCGContext.count_tlb_hits) */
static const uint16_t gld_ops_c[8][2] = {
    [IR_MO_8] = {INTERP_gld_u8_c, INTERP_gld_u8_c},
    [IR_MO_16] = {INTERP_gld_u16_c, INTERP_gld_u16_c},
    [IR_MO_32] = {INTERP_gld_u32_c, INTERP_gld_u32_c},
    [IR_MO_64] = {INTERP_gld_64_c, INTERP_gld_64_c},
    [IR_MO_8 | IR_MO_SIGN] = {INTERP_gld_s8_i32_c, INTERP_gld_s8_i64_c},
    [IR_MO_16 | IR_MO_SIGN] = {INTERP_gld_s16_i32_c, INTERP_gld_s16_i64_c},
    [IR_MO_32 | IR_MO_SIGN] = {INTERP_gld_u32_c, INTERP_gld_s32_i64_c},
    [IR_MO_64 | IR_MO_SIGN] = {INTERP_gld_64_c, INTERP_gld_64_c},
};
static const uint16_t gst_ops_c[4] = {INTERP_gst_8_c, INTERP_gst_16_c, INTERP_gst_32_c,
                                      INTERP_gst_64_c};

/* ---- ops ---- */

static unsigned insn_index_operand(Gen *g)
{
    int i = g->insn_index < 0 ? 0 : g->insn_index;
    if (i >= INTERP_NO_INSN) {
        g->error = true;
    }
    return (unsigned)i;
}

static void emit_mov(Gen *g, unsigned d, unsigned s)
{
    if (d != s) {
        emit(g, INTERP_mov);
        emit(g, d);
        emit(g, s);
    }
}

/* setcond/movcond/brcond; in[] are the input slots, out the output slot */
static void gen_cond_op(Gen *g, IROp *op, const unsigned *in, unsigned out)
{
    IRCond c = (IRCond)ir_carg(op, 0);
    int ti = op->type == IR_I64;
    assert((unsigned)c <= IR_COND_GTU);
    int v = cond_variant[c][ti];
    switch (op->opc) {
    case IR_setcond:
        if (v < 0) {
            emit_mov(g, out, const_slot(g, c == IR_COND_ALWAYS));
            return;
        }
        emit(g, INTERP_setcond_eq + (unsigned)v);
        emit(g, out);
        emit(g, in[0]);
        emit(g, in[1]);
        return;
    case IR_movcond:
        if (v < 0) {
            emit_mov(g, out, c == IR_COND_ALWAYS ? in[2] : in[3]);
            return;
        }
        emit(g, INTERP_movcond_eq + (unsigned)v);
        emit(g, out);
        for (int k = 0; k < 4; k++) {
            emit(g, in[k]);
        }
        return;
    default: /* brcond */
        if (v < 0) {
            if (c == IR_COND_ALWAYS) {
                emit(g, INTERP_br);
                emit_label_ref(g, (int)ir_carg(op, 1));
            }
            return;
        }
        emit(g, INTERP_brcond_eq + (unsigned)v);
        emit(g, in[0]);
        emit(g, in[1]);
        emit_label_ref(g, (int)ir_carg(op, 1));
        return;
    }
}

/* The env bytes an ld/st touches, when its base is env; false if the base is another pointer. */
static bool env_range(Gen *g, IROp *op, int base_arg, int64_t *beg, int64_t *end)
{
    if (ir_iarg(op, base_arg) != g->f->env) {
        return false;
    }
    *beg = (int32_t)(intptr_t)ir_carg(op, 1);
    *end = *beg + (1 << (ir_carg(op, 0) & IR_MO_SIZE));
    return true;
}

static void gen_op(Gen *g, IROp *op)
{
    const IROpDef *def = ir_def(op);
    unsigned in[IR_MAX_ARGS], out[2];
    int64_t beg = 0, end = 0;
    bool env_based = false;
    int ti = op->type == IR_I64;

    /* ops without temps */
    switch (op->opc) {
    case IR_nop:
        return;
    case IR_insn_start:
        g->insn_index++;
        return;
    case IR_set_label:
        /* every path into the label arrives with env up to date and nothing cached */
        sync_all_globals(g);
        end_basic_block(g);
        drop_all_globals(g);
        g->label_pos[ir_carg(op, 0)] = (int32_t)g->nb_units;
        return;
    case IR_br:
        sync_all_globals(g);
        emit(g, INTERP_br);
        emit_label_ref(g, (int)ir_carg(op, 0));
        end_basic_block(g);
        return;
    case IR_goto_tb:
        /* leaves the block when chained: env must be complete */
        sync_all_globals(g);
        emit(g, INTERP_goto_tb);
        emit(g, (unsigned)ir_carg(op, 0));
        return;
    case IR_exit_tb:
        sync_all_globals(g);
        emit(g, INTERP_exit_tb);
        emit(g, (unsigned)ir_carg(op, 0) & 3);
        end_basic_block(g);
        return;
    case IR_lookup_and_goto:
        /* the lookup reads the guest pc from env */
        sync_all_globals(g);
        emit(g, INTERP_lookup_and_goto);
        end_basic_block(g);
        return;
    default:
        break;
    }

    /* inputs, then the write-backs the op needs before it runs */
    for (int k = 0; k < op->nb_iargs; k++) {
        in[k] = use_temp(g, ir_iarg(op, k));
    }
    const IRHelper *h = op->opc == IR_call ? ir_call_helper(op) : NULL;
    if (h) {
        /* a helper that writes globals needs the others in env too: we drop every cached copy
           after it, not knowing which ones it wrote */
        if ((h->flags & (IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS)) !=
                (IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS) ||
            (h->flags & IR_CALL_MAY_RAISE)) {
            sync_all_globals(g);
        }
    } else if (op->opc == IR_ld || op->opc == IR_st) {
        env_based = env_range(g, op, op->opc == IR_ld ? 0 : 1, &beg, &end);
        if (env_based) {
            sync_globals(g, beg, end);
        } else {
            sync_all_globals(g);
        }
    } else if (def->flags & (IR_OPF_MAY_RAISE | IR_OPF_READS_GLOBALS | IR_OPF_BB_END)) {
        sync_all_globals(g);
    }

    /* inputs that die here give their slot to the outputs */
    for (int k = 0; k < op->nb_iargs; k++) {
        int t = ir_iarg(op, k);
        if ((op->life & (1u << k)) && g->f->temps[t].kind == TEMP_NORMAL && g->slot_of[t] >= 0) {
            g->free_slots[g->nb_free++] = (uint16_t)g->slot_of[t];
            g->slot_of[t] = -1;
        }
    }
    for (int k = 0; k < op->nb_oargs; k++) {
        out[k] = def_temp(g, ir_oarg(op, k));
    }

    uint16_t simple = simple_ops[op->opc][ti];
    if (simple) {
        if (op->opc == IR_mov) {
            emit_mov(g, out[0], in[0]);
        } else {
            emit(g, simple);
            for (int k = 0; k < op->nb_oargs; k++) {
                emit(g, out[k]);
            }
            for (int k = 0; k < op->nb_iargs; k++) {
                emit(g, in[k]);
            }
        }
    } else {
        switch (op->opc) {
        case IR_deposit:
        case IR_extract:
        case IR_sextract: {
            unsigned pos = (unsigned)ir_carg(op, 0), len = (unsigned)ir_carg(op, 1);
            if (len < 1 || pos + len > (ti ? 64u : 32u)) {
                fprintf(stderr, "xlat: interp: bad bit field pos %u len %u\n", pos, len);
                g->error = true;
                return;
            }
            emit(g, op->opc == IR_deposit    ? INTERP_deposit
                    : op->opc == IR_extract ? INTERP_extract
                    : ti                    ? INTERP_sextract_i64
                                            : INTERP_sextract_i32);
            emit(g, out[0]);
            for (int k = 0; k < op->nb_iargs; k++) {
                emit(g, in[k]);
            }
            emit(g, pos);
            emit(g, len);
            break;
        }
        case IR_setcond:
        case IR_movcond:
        case IR_brcond:
            gen_cond_op(g, op, in, out[0]);
            break;
        case IR_ld: {
            unsigned memop = (unsigned)ir_carg(op, 0);
            emit(g, ld_ops[memop & (IR_MO_SIZE | IR_MO_SIGN)][ti]);
            emit(g, out[0]);
            emit(g, in[0]);
            emit_u32(g, (uint32_t)(int32_t)(intptr_t)ir_carg(op, 1));
            if (!ti && (memop & IR_MO_SIZE) == IR_MO_64) {
                /* keep the i32 slot canonical */
                emit(g, INTERP_ext32u);
                emit(g, out[0]);
                emit(g, out[0]);
            }
            break;
        }
        case IR_st:
            emit(g, st_ops[ir_carg(op, 0) & IR_MO_SIZE]);
            emit(g, in[0]);
            emit(g, in[1]);
            emit_u32(g, (uint32_t)(int32_t)(intptr_t)ir_carg(op, 1));
            break;
        case IR_gld:
        case IR_gst: {
            unsigned memop = (unsigned)ir_carg(op, 0);
            if ((memop >> IR_MEMOP_MMU_SHIFT) >= TLB_NB_MMU || memop > 0xffff) {
                fprintf(stderr, "xlat: interp: bad memop 0x%x\n", memop);
                g->error = true;
                return;
            }
            if (op->opc == IR_gld) {
                emit(g, (g->count_tlb_hits ? gld_ops_c
                                           : gld_ops)[memop & (IR_MO_SIZE | IR_MO_SIGN)][ti]);
                emit(g, out[0]);
            } else {
                emit(g, (g->count_tlb_hits ? gst_ops_c : gst_ops)[memop & IR_MO_SIZE]);
                emit(g, in[0]);
            }
            emit(g, in[op->opc == IR_gld ? 0 : 1]);
            emit(g, memop);
            emit(g, insn_index_operand(g));
            if (op->opc == IR_gld && !ti && (memop & IR_MO_SIZE) == IR_MO_64) {
                emit(g, INTERP_ext32u);
                emit(g, out[0]);
                emit(g, out[0]);
            }
            break;
        }
        case IR_chk_gtu:
            emit(g, INTERP_chk_gtu);
            emit(g, in[0]);
            emit(g, in[1]);
            emit(g, (unsigned)ir_carg(op, 0));
            emit(g, const_slot(g, (uintptr_t)ir_carg(op, 1)));
            emit(g, const_slot(g, (uint32_t)ir_carg(op, 2)));
            emit(g, insn_index_operand(g));
            break;
        case IR_call:
            emit(g, INTERP_call);
            emit(g, h->nargs);
            emit(g, const_slot(g, (uintptr_t)h));
            emit(g, op->nb_oargs ? out[0] : INTERP_NO_SLOT);
            emit(g, (h->flags & IR_CALL_MAY_RAISE) ? insn_index_operand(g) : INTERP_NO_INSN);
            for (int k = 0; k < h->nargs; k++) {
                emit(g, in[k]);
            }
            break;
        default:
            fprintf(stderr, "xlat: interp: unsupported op %s\n", def->name);
            g->error = true;
            return;
        }
    }

    /* what the op did to env, then its outputs */
    if (h && !(h->flags & IR_CALL_NO_WRITE_GLOBALS)) {
        drop_all_globals(g);
    } else if (op->opc == IR_st) {
        if (env_based) {
            drop_globals(g, beg, end, false, -1);
        } else {
            drop_all_globals(g);
        }
    }
    for (int k = 0; k < op->nb_oargs; k++) {
        defined_temp(g, ir_oarg(op, k));
    }
    if (def->flags & IR_OPF_BB_END) {
        end_basic_block(g);
    }
}

/* Constants and helper pointers first, so they occupy slots 1 .. nb_consts. */
static int alloc_constants(Gen *g)
{
    IRFunc *f = g->f;
    for (int i = 0; i < f->nb_ops; i++) {
        IROp *op = &f->ops[i];
        if (op->opc == IR_nop) {
            continue;
        }
        if (ir_def(op)->flags & IR_OPF_FLAGS) {
            fprintf(stderr, "xlat: interp: flag op %s not lowered\n", ir_def(op)->name);
            return -1;
        }
        for (int k = 0; k < op->nb_iargs; k++) {
            int t = ir_iarg(op, k);
            IRTemp *tp = &f->temps[t];
            if (tp->kind == TEMP_CONST && g->slot_of[t] < 0) {
                /* IR constants are interned per (type, value): no search needed */
                g->consts[g->nb_consts++] = canonical((IRType)tp->type, (uint64_t)tp->val);
                g->slot_of[t] = (int32_t)new_slot(g);
            }
        }
        if (op->opc == IR_call) {
            const IRHelper *h = ir_call_helper(op);
            if (interp_helper_prepare(h) < 0) {
                return -1;
            }
            const_slot(g, (uintptr_t)h);
        } else if (op->opc == IR_chk_gtu) {
            const_slot(g, (uintptr_t)ir_carg(op, 1));
            const_slot(g, (uint32_t)ir_carg(op, 2));
        } else if (op->opc == IR_setcond) {
            IRCond c = (IRCond)ir_carg(op, 0);
            if (c == IR_COND_NEVER || c == IR_COND_ALWAYS) {
                const_slot(g, c == IR_COND_ALWAYS);
            }
        }
    }
    return 0;
}

/* Lay out the scratch arrays for f in be_priv. */
static int gen_setup(TCGContext *s, Gen *g, IRFunc *f, GlobalRange **ranges)
{
    size_t nt = (size_t)f->nb_temps, ng = (size_t)f->nb_globals, no = (size_t)f->nb_ops;
    size_t nl = (size_t)f->nb_labels, total = 0;
    size_t o_slot = carve(&total, nt * sizeof(int32_t));
    size_t o_gstate = carve(&total, ng);
    size_t o_galias = carve(&total, ng);
    size_t o_live = carve(&total, ng * sizeof(int32_t));
    /* a normal temp may take a slot again after it died: at most one more time per op */
    size_t o_bbn = carve(&total, (nt + no) * sizeof(int32_t));
    size_t o_free = carve(&total, (nt + 1) * sizeof(uint16_t));
    size_t o_consts = carve(&total, (nt + no + 2) * sizeof(uint64_t));
    size_t o_labels = carve(&total, nl * sizeof(int32_t));
    size_t o_fix = carve(&total, (no + 1) * sizeof(Fixup));
    size_t o_ranges = carve(&total, ng * sizeof(GlobalRange));

    InterpScratch *sc = s->be_priv;
    if (!sc || sc->cap < total) {
        size_t cap = total * 2 + 4096;
        sc = realloc(sc, sizeof(InterpScratch) + cap);
        if (!sc) {
            return -1;
        }
        sc->cap = cap;
        s->be_priv = sc;
    }
    uint8_t *m = (uint8_t *)sc->mem;
    memset(g, 0, sizeof(*g));
    g->f = f;
    g->count_tlb_hits = s->count_tlb_hits;
    g->slot_of = (int32_t *)(m + o_slot);
    g->gstate = m + o_gstate;
    g->galias = m + o_galias;
    g->live_globals = (int32_t *)(m + o_live);
    g->bb_normals = (int32_t *)(m + o_bbn);
    g->free_slots = (uint16_t *)(m + o_free);
    g->consts = (uint64_t *)(m + o_consts);
    g->label_pos = (int32_t *)(m + o_labels);
    g->fixups = (Fixup *)(m + o_fix);
    *ranges = (GlobalRange *)(m + o_ranges);
    memset(g->slot_of, 0xff, nt * sizeof(int32_t));
    memset(g->gstate, GS_INVALID, ng);
    memset(g->label_pos, 0xff, nl * sizeof(int32_t));
    g->nb_slots = 1; /* slot 0: env */
    g->insn_index = -1;
    return 0;
}

int interp_gen_code(TCGContext *s, IRFunc *f, TranslationBlock *tb)
{
    Gen gen, *g = &gen;
    GlobalRange *ranges;

    ir_liveness(f);
    if (gen_setup(s, g, f, &ranges) < 0) {
        fprintf(stderr, "xlat: interp: out of memory\n");
        return -1;
    }
    find_aliased_globals(g, ranges);
    if (alloc_constants(g) < 0) {
        abort();
    }
    g->consts_done = true;

    /* the program goes straight into the code cache, 16-byte aligned */
    uint8_t *start = tcg_cache_ptr(s);
    size_t pad = (size_t)(-(uintptr_t)start & 15);
    size_t avail = tcg_cache_avail(s);
    if (avail < pad + sizeof(InterpProg) + 64) {
        return -1;
    }
    InterpProg *p = (InterpProg *)(start + pad);
    size_t room = avail - pad - sizeof(InterpProg);
    g->code = (uint16_t *)(p + 1);
    g->cap_units = room / 2 > UINT32_MAX ? UINT32_MAX : (uint32_t)(room / 2);

    for (int i = 0; i < f->nb_ops && !g->error; i++) {
        gen_op(g, &f->ops[i]);
    }
    emit(g, INTERP_unreachable);
    if (g->error) {
        /* not a full cache: retrying after a flush would not help */
        fprintf(stderr, "xlat: interp: cannot translate block at pc 0x%llx\n",
                (unsigned long long)tb->pc);
        abort();
    }

    size_t frame_off = (sizeof(InterpProg) + (size_t)g->nb_units * 2 + 7) & ~(size_t)7;
    size_t size = frame_off + (size_t)g->nb_slots * 8;
    if (g->overflow || pad + size > avail) {
        return -1;
    }
    for (int i = 0; i < g->nb_fixups; i++) {
        int32_t pos = g->label_pos[g->fixups[i].label];
        assert(pos >= 0 && "branch to a label that is never set");
        g->code[g->fixups[i].at] = (uint16_t)((uint32_t)pos & 0xffff);
        g->code[g->fixups[i].at + 1] = (uint16_t)((uint32_t)pos >> 16);
    }
    p->nb_units = g->nb_units;
    p->nb_slots = (uint32_t)g->nb_slots;
    p->nb_consts = (uint32_t)g->nb_consts;
    p->frame_off = (uint32_t)frame_off;
    uint64_t *frame = interp_frame(p);
    memset(frame, 0, (size_t)g->nb_slots * 8);
    memcpy(frame + 1, g->consts, (size_t)g->nb_consts * 8);

    tb->code = p;
    tb->code_size = (uint32_t)size;
    tb->jmp_insn_offset[0] = tb->jmp_insn_offset[1] = 0;
    tcg_cache_commit(s, pad + size);
    return 0;
}
