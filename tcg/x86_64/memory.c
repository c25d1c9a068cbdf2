/*
 * tcg/x86_64/memory.c — memory ops of the x86-64 JIT: host ld/st relative to a base temp, and
 * guest gld/gst through the softmmu TLB (softmmu/tlb-defs.h).
 *
 * A guest access is an inline TLB probe (DESIGN.md, "Memory accesses"): index the direct-mapped
 * table of the access's MMU index with the page number, compare the page of the access's last
 * byte with the entry's tag (any flag bit in the tag, or a page crossing, mismatches), and on a
 * hit add the entry's addend to get the host address. Nine host instructions, no call, no spill.
 *
 * A miss jumps to a slow path emitted after the TB's main code. It records which guest
 * instruction is executing (env->cur_tb, env->insn_index) and writes back the dirty cached
 * globals, so a fault raised by softmmu_ld_slow/softmmu_st_slow (a longjmp to the loop) sees
 * precise guest state; it saves the caller-saved registers that hold live values in the frame's
 * save area, calls the C slow path, and jumps back. The fast path's register state is not
 * changed by the slow path (write-backs only make memory agree with the registers).
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "tcg/x86_64/jit.h"

_Static_assert(sizeof(TLBEntry) == 1u << TLB_ENTRY_BITS, "TLB_ENTRY_BITS mismatch");
_Static_assert(TLB_PAGE_BITS > TLB_ENTRY_BITS, "TLB index shift");

static IRTemp *irt(X64Ctx *c, int t) { return &c->f->temps[t]; }

void x64_gen_store_precise_state(X64Ctx *c, int insn_index, X64Reg scratch)
{
    uint32_t idx = insn_index < 0 ? 0 : (uint32_t)insn_index;
    /* mov dword [rbp + insn_index], idx */
    x64_store_imm(&c->b, x64_mem(X64_REG_ENV, CPU_OFF_INSN_INDEX), (int32_t)idx, 2);
    /* mov scratch, tb */
    x64_mov_ri(&c->b, scratch, (uintptr_t)c->tb, true);
    /* mov [rbp + cur_tb], scratch */
    x64_store(&c->b, scratch, x64_mem(X64_REG_ENV, CPU_OFF_CUR_TB), 3);
}

/* ---- host memory: ld/st ---- */

/* Does [off, off + bytes) of env overlap the home of global t? */
static bool overlaps_global(X64Ctx *c, int t, int32_t off, unsigned bytes)
{
    IRTemp *it = irt(c, t);
    if (it->kind != TEMP_GLOBAL || it->type == IR_FLAGS) {
        return false;
    }
    int32_t gsize = it->type == IR_I64 ? 8 : 4;
    return off < it->env_offset + gsize && it->env_offset < off + (int32_t)bytes;
}

/* An ld/st on env that touches a global's home must see (and then invalidate) the cached copy.
   The frontend normally keeps ld/st off globals; this keeps the backend exact if it does not. */
static void env_alias_sync(X64Ctx *c, int32_t off, unsigned size)
{
    for (int t = 0; t < c->f->nb_globals; t++) {
        if (overlaps_global(c, t, off, 1u << size)) {
            x64_ra_sync_temp(c, t);
        }
    }
}

static void env_alias_forget(X64Ctx *c, int32_t off, unsigned size)
{
    for (int t = 0; t < c->f->nb_globals; t++) {
        if (overlaps_global(c, t, off, 1u << size) && c->t[t].val != VAL_MEM) {
            if (c->t[t].val == VAL_REG) {
                c->reg_temp[c->t[t].reg] = -1;
            }
            c->t[t].val = VAL_MEM;
            c->t[t].coherent = true;
        }
    }
}

static unsigned access_size(const IROp *op, unsigned memop)
{
    unsigned size = memop & IR_MO_SIZE;
    return op->type == IR_I32 && size == IR_MO_64 ? IR_MO_32 : size;
}

void x64_gen_ld(X64Ctx *c, const IROp *op)
{
    bool w = op->type == IR_I64;
    int d = ir_oarg(op, 0), base = ir_iarg(op, 0);
    unsigned memop = (unsigned)ir_carg(op, 0);
    int32_t off = (int32_t)(intptr_t)ir_carg(op, 1);
    unsigned size = access_size(op, memop);
    bool env_base = irt(c, base)->kind == TEMP_FIXED;
    if (env_base) {
        env_alias_sync(c, off, size);
    }
    X64Reg rb = x64_ra_load(c, base, X64_ALLOC_REGS);
    X64Reg r;
    if (!env_base && irt(c, base)->kind == TEMP_NORMAL && x64_ra_dies(c, 0)) {
        r = rb;
    } else {
        r = x64_ra_alloc(c, X64_ALLOC_REGS, irt(c, d)->kind != TEMP_NORMAL);
    }
    /* mov/movzx/movsx r, [base + off] */
    x64_load(&c->b, r, x64_mem(rb, off), size, memop & IR_MO_SIGN, w);
    x64_ra_free_dead_inputs(c);
    x64_ra_bind(c, d, r);
    x64_ra_free_dead_outputs(c);
}

void x64_gen_st(X64Ctx *c, const IROp *op)
{
    int val = ir_iarg(op, 0), base = ir_iarg(op, 1);
    unsigned memop = (unsigned)ir_carg(op, 0);
    int32_t off = (int32_t)(intptr_t)ir_carg(op, 1);
    unsigned size = access_size(op, memop);
    bool env_base = irt(c, base)->kind == TEMP_FIXED;
    int64_t v;
    if (env_base) {
        env_alias_sync(c, off, size);
    }
    X64Reg rb = x64_ra_load(c, base, X64_ALLOC_REGS);
    if (x64_ra_is_const(c, val, &v) && (size < 3 || x64_fits_i32(v))) {
        x64_store_imm(&c->b, x64_mem(rb, off), (int32_t)v, size); /* mov [base + off], imm */
    } else {
        X64Reg rv = x64_ra_load(c, val, X64_ALLOC_REGS);
        x64_store(&c->b, rv, x64_mem(rb, off), size); /* mov [base + off], val */
    }
    if (env_base) {
        env_alias_forget(c, off, size);
    }
    x64_ra_free_dead_inputs(c);
}

/* ---- guest memory: gld/gst ---- */

static X64SlowPath *new_slow_path(X64Ctx *c)
{
    X64Priv *p = c->p;
    assert(p->nb_slow < p->cap_slow);
    X64SlowPath *sp = &p->slow[p->nb_slow++];
    *sp = (X64SlowPath){0};
    return sp;
}

static void add_writeback(X64Ctx *c, X64WriteBack wb)
{
    X64Priv *p = c->p;
    assert(p->nb_wb < p->cap_wb);
    p->wb[p->nb_wb++] = wb;
}

/* What the slow path must do, as of now (inputs loaded, scratch registers allocated): save the
   caller-saved registers holding values still needed afterwards, write back dirty globals. */
static void snapshot_state(X64Ctx *c, X64SlowPath *sp, uint16_t scratch)
{
    uint16_t dying = 0;
    for (int k = 0; k < c->op->nb_iargs; k++) {
        X64Temp *ts = &c->t[ir_iarg(c->op, k)];
        if (x64_ra_dies(c, k) && ts->val == VAL_REG) {
            dying |= (uint16_t)R(ts->reg);
        }
    }
    for (int r = 0; r < X64_NB_REGS; r++) {
        if ((X64_CALLER_SAVED & R(r)) && c->reg_temp[r] >= 0 && !((scratch | dying) & R(r))) {
            sp->save_mask |= (uint16_t)R(r);
        }
    }
    sp->wb_first = c->p->nb_wb;
    for (int t = 0; t < c->f->nb_globals; t++) {
        IRTemp *it = irt(c, t);
        X64Temp *ts = &c->t[t];
        if (it->kind != TEMP_GLOBAL || it->type == IR_FLAGS || ts->coherent) {
            continue;
        }
        add_writeback(c, (X64WriteBack){
                             .off = it->env_offset,
                             .size = (uint8_t)x64_ra_temp_size(c, t),
                             .reg = ts->val == VAL_REG ? ts->reg : X64_NOREG,
                             .cval = ts->cval,
                         });
    }
    sp->wb_count = c->p->nb_wb - sp->wb_first;
    sp->insn_index = c->insn_index;
}

/* The inline probe. On a hit t0 holds the entry's addend and falls through; on a miss jumps to
   the slow path (its rel32 is returned). Clobbers t0 and t1; a is unchanged. */
static uint8_t *tlb_probe(X64Ctx *c, X64Reg a, bool a64, unsigned size, unsigned mmu,
                          bool is_store, X64Reg t0, X64Reg t1)
{
    int32_t entry0 = (int32_t)(CPU_OFF_TLB + mmu * TLB_SIZE * sizeof(TLBEntry));
    int32_t tag = entry0 + (int32_t)(is_store ? offsetof(TLBEntry, addr_write)
                                              : offsetof(TLBEntry, addr_read));
    int32_t addend = entry0 + (int32_t)offsetof(TLBEntry, addend);
    X64Buf *b = &c->b;
    X64Mem tag_m = x64_mem_idx(X64_REG_ENV, t0, 0, tag);
    X64Mem addend_m = x64_mem_idx(X64_REG_ENV, t0, 0, addend);
    const unsigned shift = TLB_PAGE_BITS - TLB_ENTRY_BITS;
    const int32_t index_mask = (TLB_SIZE - 1) << TLB_ENTRY_BITS;

    x64_mov_rr(b, t0, a, a64);                   /* mov t0, addr */
    x64_shift_ri(b, X64_SHR, t0, shift, a64);    /* shr t0, PAGE_BITS - ENTRY_BITS */
    x64_alu_ri(b, X64_AND, t0, index_mask, false); /* and t0d, (SIZE - 1) << ENTRY_BITS */
    if (size) {
        int32_t last = (int32_t)(1u << size) - 1;
        x64_lea(b, t1, x64_mem(a, last), a64);  /* lea t1, [addr + bytes - 1] */
    } else {
        x64_mov_rr(b, t1, a, a64);               /* mov t1, addr */
    }
    x64_alu_ri(b, X64_AND, t1, (int32_t)TLB_PAGE_MASK, a64); /* and t1, PAGE_MASK */
    x64_alu_rm(b, X64_CMP, t1, tag_m, true);     /* cmp t1, [rbp + t0 + tlb + addr_read/write] */
    uint8_t *jne = x64_jcc32(b, X64_CC_NE);      /* jne slow_path */
    if (c->s->count_tlb_hits) {
        /* add qword [rbp + tlb_hits], 1  (-stats only; flags are dead here) */
        x64_alu_mi(b, X64_ADD, x64_mem(X64_REG_ENV, (int32_t)CPU_OFF_TLB_HITS), 1, true);
    }
    x64_load(b, t0, addend_m, 3, false, true);   /* mov t0, [rbp + t0 + tlb + addend] */
    return jne;
}

void x64_gen_gld(X64Ctx *c, const IROp *op)
{
    bool w = op->type == IR_I64;
    int d = ir_oarg(op, 0), addr = ir_iarg(op, 0);
    unsigned memop = (unsigned)ir_carg(op, 0);
    unsigned size = access_size(op, memop);
    bool a64 = memop & IR_MO_A64;
    X64Reg a = x64_ra_load(c, addr, X64_ALLOC_REGS);
    /* t0 becomes the result: give a global result a callee-saved register */
    X64Reg t0 = x64_ra_alloc(c, X64_ALLOC_REGS, irt(c, d)->kind != TEMP_NORMAL);
    X64Reg t1 = x64_ra_alloc(c, X64_ALLOC_REGS, false);
    X64SlowPath *sp = new_slow_path(c);
    snapshot_state(c, sp, (uint16_t)(R(t0) | R(t1)));
    sp->jcc_field = tlb_probe(c, a, a64, size, memop >> IR_MEMOP_MMU_SHIFT, false, t0, t1);
    /* mov/movzx/movsx t0, [addr + t0] */
    x64_load(&c->b, t0, x64_mem_idx(a, t0, 0, 0), size, memop & IR_MO_SIGN, w);
    sp->resume = c->b.ptr;
    sp->memop = memop;
    sp->is64 = w;
    sp->addr_reg = (int8_t)a;
    sp->dst_reg = (int8_t)t0;
    sp->scratch_reg = (int8_t)t1;
    x64_ra_free_dead_inputs(c);
    x64_ra_bind(c, d, t0);
    x64_ra_free_dead_outputs(c);
}

void x64_gen_gst(X64Ctx *c, const IROp *op)
{
    bool w = op->type == IR_I64;
    int val = ir_iarg(op, 0), addr = ir_iarg(op, 1);
    unsigned memop = (unsigned)ir_carg(op, 0);
    unsigned size = access_size(op, memop);
    bool a64 = memop & IR_MO_A64;
    int64_t v = 0;
    bool vconst = x64_ra_is_const(c, val, &v) && (size < 3 || x64_fits_i32(v));
    X64Reg a = x64_ra_load(c, addr, X64_ALLOC_REGS);
    X64Reg rv = vconst ? X64_NOREG : x64_ra_load(c, val, X64_ALLOC_REGS);
    X64Reg t0 = x64_ra_alloc(c, X64_ALLOC_REGS, false);
    X64Reg t1 = x64_ra_alloc(c, X64_ALLOC_REGS, false);
    X64SlowPath *sp = new_slow_path(c);
    snapshot_state(c, sp, (uint16_t)(R(t0) | R(t1)));
    sp->jcc_field = tlb_probe(c, a, a64, size, memop >> IR_MEMOP_MMU_SHIFT, true, t0, t1);
    if (vconst) {
        x64_store_imm(&c->b, x64_mem_idx(a, t0, 0, 0), (int32_t)v, size); /* mov [addr + t0], imm */
    } else {
        x64_store(&c->b, rv, x64_mem_idx(a, t0, 0, 0), size); /* mov [addr + t0], val */
    }
    sp->resume = c->b.ptr;
    sp->memop = memop;
    sp->is_store = true;
    sp->is64 = w;
    sp->addr_reg = (int8_t)a;
    sp->val_reg = (int8_t)rv;
    sp->val_is_const = vconst;
    sp->val_const = w ? v : (int64_t)(uint32_t)v;
    sp->scratch_reg = (int8_t)t1;
    x64_ra_free_dead_inputs(c);
}

/* chk_gtu: the compare inline, the failing call out of line like a TLB miss */
void x64_gen_chk_gtu(X64Ctx *c, const IROp *op)
{
    int a = ir_iarg(op, 0), bnd = ir_iarg(op, 1);
    X64Reg ra = x64_ra_load(c, a, X64_ALLOC_REGS);
    X64Reg rb = x64_ra_load(c, bnd, X64_ALLOC_REGS);
    X64Reg t1 = x64_ra_alloc(c, X64_ALLOC_REGS, false);
    X64SlowPath *sp = new_slow_path(c);
    snapshot_state(c, sp, (uint16_t)R(t1));
    x64_lea(&c->b, t1, x64_mem(ra, (int32_t)ir_carg(op, 0)), false); /* lea t1d, [a + bias] */
    x64_alu_rr(&c->b, X64_CMP, t1, rb, false);                       /* cmp t1d, bd */
    sp->jcc_field = x64_jcc32(&c->b, X64_CC_A);                       /* ja slow_path */
    sp->resume = c->b.ptr;
    sp->is_check = true;
    sp->check_fn = ((const IRHelper *)ir_carg(op, 1))->func;
    sp->check_arg = (uint32_t)ir_carg(op, 2);
    sp->addr_reg = (int8_t)ra;
    sp->scratch_reg = (int8_t)t1;
    x64_ra_free_dead_inputs(c);
}

/* ---- slow paths ---- */

static size_t slow_path_bound(const X64SlowPath *sp)
{
    return 160 + 2 * 8 * 16 + (size_t)sp->wb_count * 16;
}

static void emit_slow_path(X64Ctx *c, const X64SlowPath *sp)
{
    X64Buf *b = &c->b;
    X64Reg a = (X64Reg)sp->addr_reg;
    bool a64 = sp->memop & IR_MO_A64;
    x64_patch_rel32(sp->jcc_field, b->ptr);
    for (int r = 0; r < X64_NB_REGS; r++) {
        if (sp->save_mask & R(r)) {
            /* mov [rsp + save + 8 * r], r */
            x64_store(b, (X64Reg)r, x64_mem(X64_RSP, X64_SAVE_OFF + 8 * r), 3);
        }
    }
    for (int i = 0; i < sp->wb_count; i++) {
        const X64WriteBack *wb = &c->p->wb[sp->wb_first + i];
        X64Mem m = x64_mem(X64_REG_ENV, wb->off);
        if (wb->reg != X64_NOREG) {
            x64_store(b, (X64Reg)wb->reg, m, wb->size); /* mov [rbp + global], reg */
        } else if (wb->size == 2 || x64_fits_i32(wb->cval)) {
            x64_store_imm(b, m, (int32_t)wb->cval, wb->size); /* mov [rbp + global], imm */
        } else {
            x64_mov_ri(b, (X64Reg)sp->scratch_reg, (uint64_t)wb->cval, true); /* mov t1, imm64 */
            /* mov [rbp + global], t1 */
            x64_store(b, (X64Reg)sp->scratch_reg, m, 3);
        }
    }
    /* arguments (env, addr, [val,] memop): sources may sit in argument registers, so order the
       moves so that none overwrites a source still to be read */
    if (sp->is_check) {
        x64_mov_rr(b, X64_RDX, a, false);                     /* mov edx, a */
        x64_mov_ri(b, X64_RSI, sp->check_arg, false);         /* mov esi, arg */
        x64_mov_rr(b, X64_RDI, X64_REG_ENV, true);            /* mov rdi, rbp */
        x64_gen_store_precise_state(c, sp->insn_index, X64_RAX);
        x64_call_abs(b, sp->check_fn, X64_RAX);               /* call check_fn */
    } else if (!sp->is_store) {
        if (a != X64_RSI || !a64) {
            x64_mov_rr(b, X64_RSI, a, a64); /* mov rsi, addr */
        }
        x64_mov_ri(b, X64_RDX, sp->memop, false); /* mov edx, memop */
    } else {
        X64Reg v = (X64Reg)sp->val_reg;
        if (!sp->val_is_const && v == X64_RSI) {
            if (a == X64_RDX) {
                x64_xchg_rr(b, X64_RSI, X64_RDX); /* xchg rsi, rdx */
            } else {
                x64_mov_rr(b, X64_RDX, X64_RSI, true); /* mov rdx, val */
                x64_mov_rr(b, X64_RSI, a, a64);        /* mov rsi, addr */
            }
        } else {
            if (a != X64_RSI || !a64) {
                x64_mov_rr(b, X64_RSI, a, a64); /* mov rsi, addr */
            }
            if (sp->val_is_const) {
                x64_mov_ri(b, X64_RDX, (uint64_t)sp->val_const, true); /* mov rdx, val */
            } else if (v != X64_RDX) {
                x64_mov_rr(b, X64_RDX, v, true); /* mov rdx, val */
            }
        }
        x64_mov_ri(b, X64_RCX, sp->memop, false); /* mov ecx, memop */
    }
    if (sp->is_check) {
        /* done above */
    } else if (sp->is_store) {
        x64_mov_rr(b, X64_RDI, X64_REG_ENV, true); /* mov rdi, rbp */
        x64_gen_store_precise_state(c, sp->insn_index, X64_RAX);
        x64_call_abs(b, (void *)softmmu_st_slow, X64_RAX); /* call softmmu_st_slow */
    } else {
        x64_mov_rr(b, X64_RDI, X64_REG_ENV, true); /* mov rdi, rbp */
        x64_gen_store_precise_state(c, sp->insn_index, X64_RAX);
        x64_call_abs(b, (void *)softmmu_ld_slow, X64_RAX); /* call softmmu_ld_slow */
        X64Reg d = (X64Reg)sp->dst_reg;
        if (d != X64_RAX || !sp->is64) {
            x64_mov_rr(b, d, X64_RAX, sp->is64); /* mov dst, rax (eax for i32: clears bits 32+) */
        }
    }
    for (int r = 0; r < X64_NB_REGS; r++) {
        if (sp->save_mask & R(r)) {
            /* mov r, [rsp + save + 8 * r] */
            x64_load(b, (X64Reg)r, x64_mem(X64_RSP, X64_SAVE_OFF + 8 * r), 3, false, true);
        }
    }
    x64_jmp_to(b, sp->resume); /* jmp resume */
}

bool x64_gen_slow_paths(X64Ctx *c)
{
    for (int i = 0; i < c->p->nb_slow; i++) {
        const X64SlowPath *sp = &c->p->slow[i];
        if ((size_t)(c->b.end - c->b.ptr) < slow_path_bound(sp) + 64) {
            return false;
        }
        emit_slow_path(c, sp);
    }
    return true;
}
