/*
 * tcg/x86_64/regalloc.c — register allocation for the x86-64 JIT: where each IR temp lives.
 *
 * One forward pass over a TB's ops (driven by codegen.c) keeps, for every temp, one location:
 * a host register, its memory home (globals: env + env_offset; local and spilled normal temps: a
 * frame slot), a known constant, or nothing. A register holds at most one temp, and a temp is in
 * at most one register; `coherent` says whether the memory home also holds the value (a clean
 * global, a reloaded spill) so that dropping the register costs nothing.
 *
 * - Globals are loaded on first use and stay cached until a block end, a helper call that may
 *   write guest state, or register pressure. Writes leave them dirty (coherent = false).
 * - Normal temps are freed where ir_liveness() says they die (IROp.life); they are never live
 *   across a block end. Local temps are written to their slot at every block end.
 * - Eviction order: a cached constant, then a clean value, then the least recently used;
 *   a dirty value first tries a free register (a mov), else is stored to its home.
 * - Registers of the current op's inputs are locked, so allocating its outputs and scratch
 *   registers never evicts them.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "tcg/x86_64/jit.h"

/* Temps prefer caller-saved registers (they rarely live across a call); globals and locals
   prefer callee-saved ones, which survive helper calls and need no save in slow paths. rcx,
   rdx and rax come last among the temps' choices: shifts and mulu2 want them fixed. */
static const X64Reg order_temp[] = {
    X64_RSI, X64_RDI, X64_R8,  X64_R9,  X64_R10, X64_R11, X64_RAX,
    X64_RDX, X64_RCX, X64_RBX, X64_R12, X64_R13, X64_R14, X64_R15,
};
static const X64Reg order_global[] = {
    X64_RBX, X64_R12, X64_R13, X64_R14, X64_R15, X64_R11, X64_R10,
    X64_R9,  X64_R8,  X64_RDI, X64_RSI, X64_RAX, X64_RDX, X64_RCX,
};
#define NB_ORDER ((int)(sizeof(order_temp) / sizeof(order_temp[0])))

static IRTemp *irt(X64Ctx *c, int t) { return &c->f->temps[t]; }

static void lock(X64Ctx *c, X64Reg r)
{
    c->locked |= (uint16_t)R(r);
    c->reg_age[r] = (uint32_t)c->op_index;
}

void x64_ra_begin(X64Ctx *c)
{
    for (int t = 0; t < c->f->nb_temps; t++) {
        X64Temp *ts = &c->t[t];
        IRTemp *it = irt(c, t);
        ts->slot = -1;
        ts->reg = X64_NOREG;
        ts->cval = 0;
        switch (it->kind) {
        case TEMP_FIXED:
            ts->val = VAL_REG;
            ts->reg = X64_REG_ENV;
            ts->coherent = true;
            break;
        case TEMP_GLOBAL:
        case TEMP_LOCAL:
            /* a local read before any write reads its (undefined) slot */
            ts->val = VAL_MEM;
            ts->coherent = true;
            break;
        case TEMP_CONST:
            ts->val = VAL_CONST;
            ts->cval = it->val;
            ts->coherent = true;
            break;
        default:
            ts->val = VAL_DEAD;
            ts->coherent = false;
            break;
        }
    }
    for (int r = 0; r < X64_NB_REGS; r++) {
        c->reg_temp[r] = -1;
        c->reg_age[r] = 0;
    }
    c->locked = 0;
    for (unsigned i = 0; i < X64_FRAME_SLOTS / 64; i++) {
        c->slot_used[i] = 0;
    }
}

/* ---- frame slots ---- */

static int slot_alloc(X64Ctx *c)
{
    for (unsigned i = 0; i < X64_FRAME_SLOTS / 64; i++) {
        if (~c->slot_used[i]) {
            int bit = __builtin_ctzll(~c->slot_used[i]);
            c->slot_used[i] |= 1ull << bit;
            return (int)(i * 64) + bit;
        }
    }
    /* The frontend bounds TB length, so this is a translator bug, not a guest condition. */
    fprintf(stderr, "xlat: x86_64 backend: a TB needs more than %d spill slots\n",
            X64_FRAME_SLOTS);
    abort();
}

static void slot_free(X64Ctx *c, int s)
{
    c->slot_used[s / 64] &= ~(1ull << (s % 64));
}

X64Mem x64_ra_temp_mem(X64Ctx *c, int t)
{
    IRTemp *it = irt(c, t);
    if (it->kind == TEMP_GLOBAL) {
        return x64_mem(X64_REG_ENV, it->env_offset);
    }
    X64Temp *ts = &c->t[t];
    if (ts->slot < 0) {
        ts->slot = (int16_t)slot_alloc(c);
    }
    return x64_mem(X64_RSP, X64_SLOT_OFF + 8 * ts->slot);
}

unsigned x64_ra_temp_size(X64Ctx *c, int t)
{
    /* i32 homes are 4 bytes (a 32-bit load re-establishes the zero upper half) */
    return irt(c, t)->type == IR_I64 ? 3 : 2;
}

/* ---- bindings ---- */

static void unbind(X64Ctx *c, int t, uint8_t new_val)
{
    X64Temp *ts = &c->t[t];
    if (ts->val == VAL_REG) {
        c->reg_temp[ts->reg] = -1;
        ts->reg = X64_NOREG;
    }
    ts->val = new_val;
}

/* the state of a temp that leaves its register but keeps its value */
static uint8_t val_without_reg(X64Ctx *c, int t)
{
    return irt(c, t)->kind == TEMP_CONST ? VAL_CONST : VAL_MEM;
}

static void bind(X64Ctx *c, int t, X64Reg r)
{
    X64Temp *ts = &c->t[t];
    c->reg_temp[r] = t;
    ts->val = VAL_REG;
    ts->reg = (int8_t)r;
}

static bool prefers_callee_saved(X64Ctx *c, int t)
{
    return irt(c, t)->kind == TEMP_GLOBAL || irt(c, t)->kind == TEMP_LOCAL;
}

/* Store t's value (in a register or a known constant) to its memory home. */
static void store_value(X64Ctx *c, int t)
{
    X64Temp *ts = &c->t[t];
    X64Mem m = x64_ra_temp_mem(c, t);
    unsigned size = x64_ra_temp_size(c, t);
    if (ts->val == VAL_REG) {
        x64_store(&c->b, ts->reg, m, size); /* mov [home], reg */
    } else {
        assert(ts->val == VAL_CONST);
        if (size == 2 || x64_fits_i32(ts->cval)) {
            x64_store_imm(&c->b, m, (int32_t)ts->cval, size); /* mov [home], imm */
        } else {
            uint16_t saved = c->locked;
            X64Reg tmp = x64_ra_alloc(c, X64_ALLOC_REGS, false);
            x64_mov_ri(&c->b, tmp, (uint64_t)ts->cval, true); /* mov tmp, imm64 */
            x64_store(&c->b, tmp, m, 3);                      /* mov [home], tmp */
            c->locked = saved;
        }
    }
    ts->coherent = true;
}

void x64_ra_sync_temp(X64Ctx *c, int t)
{
    X64Temp *ts = &c->t[t];
    int kind = irt(c, t)->kind;
    if (kind == TEMP_CONST || kind == TEMP_FIXED || ts->coherent) {
        return;
    }
    if (ts->val == VAL_REG || ts->val == VAL_CONST) {
        store_value(c, t);
    }
}

/* a free, unlocked register among `mask`, by preference order, or X64_NOREG */
static X64Reg find_free(X64Ctx *c, uint16_t mask, bool callee_first)
{
    const X64Reg *order = callee_first ? order_global : order_temp;
    mask &= X64_ALLOC_REGS & ~c->locked;
    for (int i = 0; i < NB_ORDER; i++) {
        X64Reg r = order[i];
        if ((mask & R(r)) && c->reg_temp[r] < 0) {
            return r;
        }
    }
    return X64_NOREG;
}

void x64_ra_evict_reg(X64Ctx *c, X64Reg r)
{
    int t = c->reg_temp[r];
    if (t < 0) {
        return;
    }
    X64Temp *ts = &c->t[t];
    if (irt(c, t)->kind == TEMP_CONST || ts->coherent) {
        unbind(c, t, val_without_reg(c, t)); /* memory (or the constant) still has it */
        return;
    }
    X64Reg to = find_free(c, (uint16_t)(X64_ALLOC_REGS & ~R(r)), true);
    if (to != X64_NOREG) {
        x64_mov_rr(&c->b, to, r, true); /* mov to, r (keeps the dirty value in a register) */
        c->reg_temp[r] = -1;
        bind(c, t, to);
        if (c->locked & R(r)) {
            lock(c, to); /* it was an input of the current op: still protected */
        }
        return;
    }
    store_value(c, t);
    unbind(c, t, VAL_MEM);
}

X64Reg x64_ra_alloc(X64Ctx *c, uint16_t allowed, bool prefer_callee_saved)
{
    allowed &= X64_ALLOC_REGS & ~c->locked;
    assert(allowed && "no allocatable register left for this op");
    X64Reg r = find_free(c, allowed, prefer_callee_saved);
    if (r == X64_NOREG) {
        /* evict: cheapest first (cached constant 0, clean 1, dirty 2), then least recent */
        int best_cost = 3;
        uint32_t best_age = UINT32_MAX;
        for (int i = 0; i < NB_ORDER; i++) {
            X64Reg q = order_temp[i];
            if (!(allowed & R(q))) {
                continue;
            }
            int t = c->reg_temp[q];
            int cost = irt(c, t)->kind == TEMP_CONST ? 0 : c->t[t].coherent ? 1 : 2;
            if (cost < best_cost || (cost == best_cost && c->reg_age[q] < best_age)) {
                best_cost = cost;
                best_age = c->reg_age[q];
                r = q;
            }
        }
        x64_ra_evict_reg(c, r);
    }
    lock(c, r);
    return r;
}

void x64_ra_copy_to(X64Ctx *c, int t, X64Reg dst)
{
    X64Temp *ts = &c->t[t];
    IRTemp *it = irt(c, t);
    bool is64 = it->type == IR_I64;
    switch (ts->val) {
    case VAL_REG:
        if (ts->reg != dst) {
            x64_mov_rr(&c->b, dst, ts->reg, is64); /* mov dst, reg */
        }
        break;
    case VAL_MEM:
        /* mov dst, [home] */
        x64_load(&c->b, dst, x64_ra_temp_mem(c, t), x64_ra_temp_size(c, t), false, false);
        break;
    case VAL_CONST:
        /* mov dst, imm */
        x64_mov_ri(&c->b, dst, is64 ? (uint64_t)ts->cval : (uint32_t)ts->cval, is64);
        break;
    default:
        assert(!"read of a dead temp");
        break;
    }
}

X64Reg x64_ra_load(X64Ctx *c, int t, uint16_t allowed)
{
    X64Temp *ts = &c->t[t];
    IRTemp *it = irt(c, t);
    if (it->kind == TEMP_FIXED) {
        return X64_REG_ENV;
    }
    if (ts->val == VAL_REG) {
        X64Reg old = ts->reg;
        if (allowed & R(old)) {
            lock(c, old);
            return old;
        }
        X64Reg r = x64_ra_alloc(c, allowed, prefers_callee_saved(c, t));
        x64_mov_rr(&c->b, r, old, true); /* mov r, old (the op needs it elsewhere) */
        c->reg_temp[old] = -1;
        bind(c, t, r);
        return r;
    }
    assert(ts->val != VAL_DEAD && "read of a dead temp");
    X64Reg r = x64_ra_alloc(c, allowed, prefers_callee_saved(c, t));
    x64_ra_copy_to(c, t, r);
    if (ts->val == VAL_MEM) {
        ts->coherent = true;
    }
    /* a constant keeps its coherence: TEMP_CONST always droppable, a dirty const stays dirty */
    bind(c, t, r);
    return r;
}

/* how many inputs of the current op are t */
static int input_uses(X64Ctx *c, int t)
{
    int n = 0;
    for (int k = 0; k < c->op->nb_iargs; k++) {
        n += ir_iarg(c->op, k) == t;
    }
    return n;
}

static bool dies_here(X64Ctx *c, int t)
{
    for (int k = 0; k < c->op->nb_iargs; k++) {
        if (ir_iarg(c->op, k) == t && x64_ra_dies(c, k)) {
            return true;
        }
    }
    return false;
}

void x64_ra_load_fixed(X64Ctx *c, int t, X64Reg r, bool clobber)
{
    X64Temp *ts = &c->t[t];
    if (irt(c, t)->kind != TEMP_FIXED && ts->val == VAL_REG && ts->reg == r) {
        if (clobber) {
            if (dies_here(c, t) && input_uses(c, t) == 1) {
                unbind(c, t, VAL_DEAD); /* consumed right here */
            } else {
                x64_ra_evict_reg(c, r); /* keep t elsewhere; r still holds the value */
            }
        }
        lock(c, r);
        return;
    }
    x64_ra_evict_reg(c, r);
    x64_ra_copy_to(c, t, r);
    lock(c, r);
}

void x64_ra_bind(X64Ctx *c, int t, X64Reg r)
{
    X64Temp *ts = &c->t[t];
    assert(irt(c, t)->kind != TEMP_CONST && irt(c, t)->kind != TEMP_FIXED);
    if (ts->val == VAL_REG && ts->reg != r) {
        c->reg_temp[ts->reg] = -1;
    }
    assert(c->reg_temp[r] < 0 || c->reg_temp[r] == t);
    bind(c, t, r);
    ts->coherent = false;
    lock(c, r);
}

void x64_ra_set_const(X64Ctx *c, int t, int64_t v)
{
    X64Temp *ts = &c->t[t];
    assert(irt(c, t)->kind != TEMP_CONST && irt(c, t)->kind != TEMP_FIXED);
    unbind(c, t, VAL_CONST);
    ts->cval = irt(c, t)->type == IR_I32 ? (int32_t)v : v;
    ts->coherent = false;
}

void x64_ra_free_temp(X64Ctx *c, int t)
{
    X64Temp *ts = &c->t[t];
    if (irt(c, t)->kind != TEMP_NORMAL) {
        return;
    }
    unbind(c, t, VAL_DEAD);
    ts->coherent = false;
    if (ts->slot >= 0) {
        slot_free(c, ts->slot);
        ts->slot = -1;
    }
}

/* ---- block ends ---- */

static bool is_value_global(X64Ctx *c, int t)
{
    IRTemp *it = irt(c, t);
    return it->kind == TEMP_GLOBAL && it->type != IR_FLAGS;
}

void x64_ra_sync_globals(X64Ctx *c, bool forget)
{
    for (int t = 0; t < c->f->nb_globals; t++) {
        if (!is_value_global(c, t)) {
            continue;
        }
        x64_ra_sync_temp(c, t);
        if (forget && c->t[t].val != VAL_MEM) {
            unbind(c, t, VAL_MEM);
        }
    }
}

void x64_ra_kill_normals(X64Ctx *c)
{
    for (int t = c->f->nb_globals; t < c->f->nb_temps; t++) {
        if (irt(c, t)->kind == TEMP_NORMAL && c->t[t].val != VAL_DEAD) {
            x64_ra_free_temp(c, t);
        }
    }
}

void x64_ra_bb_end(X64Ctx *c, bool forget)
{
    x64_ra_sync_globals(c, forget);
    for (int t = c->f->nb_globals; t < c->f->nb_temps; t++) {
        IRTemp *it = irt(c, t);
        X64Temp *ts = &c->t[t];
        if (it->kind == TEMP_LOCAL) {
            x64_ra_sync_temp(c, t);
            if (forget && ts->val != VAL_MEM) {
                unbind(c, t, VAL_MEM);
            }
        } else if (it->kind == TEMP_CONST && forget && ts->val == VAL_REG) {
            unbind(c, t, VAL_CONST);
        }
    }
    if (forget) {
        x64_ra_kill_normals(c);
    }
}

/* ---- per-op bookkeeping ---- */

void x64_ra_lock_inputs(X64Ctx *c)
{
    for (int k = 0; k < c->op->nb_iargs; k++) {
        X64Temp *ts = &c->t[ir_iarg(c->op, k)];
        if (ts->val == VAL_REG && ts->reg != X64_REG_ENV) {
            lock(c, ts->reg);
        }
    }
}

static bool is_output(X64Ctx *c, int t)
{
    for (int k = 0; k < c->op->nb_oargs; k++) {
        if (ir_oarg(c->op, k) == t) {
            return true;
        }
    }
    return false;
}

void x64_ra_free_dead_inputs(X64Ctx *c)
{
    for (int k = 0; k < c->op->nb_iargs; k++) {
        int t = ir_iarg(c->op, k);
        /* `op t, t, ...` marks input t dead (its old value is not read again), but the output
           t lives on: the caller binds it */
        if (x64_ra_dies(c, k) && !is_output(c, t)) {
            x64_ra_free_temp(c, t);
        }
    }
}

void x64_ra_free_dead_outputs(X64Ctx *c)
{
    uint8_t fl = c->p->op_flags[c->op_index];
    for (int k = 0; k < c->op->nb_oargs && k < 2; k++) {
        if (fl & (1u << k)) {
            x64_ra_free_temp(c, ir_oarg(c->op, k));
        }
    }
}

/* ---- calls ---- */

void x64_ra_evacuate_caller_saved(X64Ctx *c, bool keep_globals)
{
    for (int r = 0; r < X64_NB_REGS; r++) {
        int t = c->reg_temp[r];
        if (!(X64_CALLER_SAVED & R(r)) || t < 0) {
            continue;
        }
        X64Temp *ts = &c->t[t];
        IRTemp *it = irt(c, t);
        bool keep_cached = keep_globals || it->kind != TEMP_GLOBAL;
        if (it->kind == TEMP_CONST || (ts->coherent && !keep_cached)) {
            unbind(c, t, val_without_reg(c, t));
            continue;
        }
        X64Reg to = find_free(c, X64_CALLEE_SAVED, true);
        if (to != X64_NOREG) {
            x64_mov_rr(&c->b, to, (X64Reg)r, true); /* mov callee_saved, r */
            c->reg_temp[r] = -1;
            bind(c, t, to);
        } else if (ts->coherent) {
            unbind(c, t, VAL_MEM);
        } else {
            store_value(c, t);
            unbind(c, t, VAL_MEM);
        }
    }
}

void x64_ra_forget_globals(X64Ctx *c)
{
    for (int t = 0; t < c->f->nb_globals; t++) {
        if (!is_value_global(c, t)) {
            continue;
        }
        assert(c->t[t].coherent && "dirty global across a call that writes guest state");
        if (c->t[t].val != VAL_MEM) {
            unbind(c, t, VAL_MEM);
        }
    }
}
