/*
 * cpu/translate.c — the x86 → IR translator: the block loop, operand access (registers,
 * effective addresses, segments, guest memory), the stack, and block exits.
 *
 * Rules every emitter keeps, so faults are precise (DESIGN.md, "Memory accesses"): all guest
 * loads and stores of an instruction come before its writes to registers, and its flags are
 * defined (fl_def) after its last store. The per-family emitters are in cpu/translate-*.c,
 * dispatched by the table of cpu/translate-dispatch.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/translate.h"
#include "softmmu/machine.h"

#define MAX_INSNS 512


static const char *const reg_names[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
static const char *const reg64_names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                            "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
static const char *const seg_base_names[R_NB_SEGS] = {"es_base", "cs_base", "ss_base",
                                                      "ds_base", "fs_base", "gs_base"};

static X86Globals *globals_init(TCGContext *s, IRFunc *f)
{
    X86Globals *g = calloc(1, sizeof(*g));
    if (!g) {
        abort();
    }
    for (int i = 0; i < 8; i++) {
        g->reg[i] = ir_global(f, IR_I32, LO32(offsetof(CPUX86State, regs[i])), reg_names[i]);
    }
    g->eip = ir_global(f, IR_I32, LO32(offsetof(CPUX86State, eip)), "eip");
    for (int i = 0; i < R_NB_SEGS; i++) {
        g->seg_base[i] = ir_global(f, IR_I32, LO32(offsetof(CPUX86State, seg[i].base)),
                                   seg_base_names[i]);
    }
    g->flags = ir_global_flags(f, IR_I32, offsetof(CPUX86State, cc), "flags");
    /* the 64-bit views, used by 64-bit code only (a block uses one set: globals are written
       back at every block end, so the aliasing views never disagree across blocks) */
    for (int i = 0; i < 16; i++) {
        g->reg64[i] = ir_global(f, IR_I64, offsetof(CPUX86State, regs[i]), reg64_names[i]);
    }
    g->rip = ir_global(f, IR_I64, offsetof(CPUX86State, eip), "rip");
    g->flags64 = ir_global_flags(f, IR_I64, offsetof(CPUX86State, cc), "flags64");
    for (int i = 0; i < R_NB_SEGS; i++) {
        g->seg_base64[i] = -1;
    }
    g->seg_base64[R_FS] = ir_global(f, IR_I64, offsetof(CPUX86State, seg[R_FS].base), "fs_base64");
    g->seg_base64[R_GS] = ir_global(f, IR_I64, offsetof(CPUX86State, seg[R_GS].base), "gs_base64");
    s->fe_priv = g;
    return g;
}

int size_log2(int size)
{
    return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

int gen_const(DisasContext *dc, int64_t v)
{
    return ir_const(dc->f, dc->ty, v);
}

void gen_call(DisasContext *dc, const IRHelper *h, int ret, const int *args)
{
    IRFunc *f = dc->f;
    int a[IR_HELPER_MAX_ARGS];
    for (int i = 0; i < h->nargs; i++) {
        a[i] = args[i];
        IRType have = (IRType)ir_temp(f, args[i])->type, want = (IRType)h->args[i];
        if (have != want) {
            a[i] = ir_temp_new(f, want);
            ir_emit_unop(f, want == IR_I32 ? IR_extrl_i64_i32 : IR_extu_i32_i64, want, a[i],
                         args[i]);
        }
    }
    if (ret >= 0 && ir_temp(f, ret)->type != h->ret) {
        IRType rt = (IRType)ir_temp(f, ret)->type;
        int r = ir_temp_new(f, (IRType)h->ret);
        ir_emit_call(f, h, r, a);
        ir_emit_unop(f, rt == IR_I32 ? IR_extrl_i64_i32 : IR_extu_i32_i64, rt, ret, r);
        return;
    }
    ir_emit_call(f, h, ret, a);
}

/* ---- small shared emitters ---- */

int gen_temp(DisasContext *dc)
{
    return ir_temp_new(dc->f, dc->ty);
}

int gen_local(DisasContext *dc)
{
    return ir_temp_local(dc->f, dc->ty);
}

int gen_ext(DisasContext *dc, int v, int size, bool sign)
{
    static const IROpcode ext[2][3] = {{IR_ext8u, IR_ext16u, IR_ext32u},
                                       {IR_ext8s, IR_ext16s, IR_ext32s}};
    if (size >= (dc->ty == IR_I64 ? 8 : 4)) {
        return v;
    }
    int t = gen_temp(dc);
    ir_emit_unop(dc->f, ext[sign][size_log2(size)], dc->ty, t, v);
    return t;
}

/* an i32 result of a flags op, as a value temp */
int gen_widen32(DisasContext *dc, int t32)
{
    if (dc->ty == IR_I32) {
        return t32;
    }
    int t = gen_temp(dc);
    ir_emit_unop(dc->f, IR_extu_i32_i64, IR_I64, t, t32);
    return t;
}

int gen_half64(DisasContext *dc, int v64, bool high)
{
    int t = gen_temp(dc);
    if (dc->ty == IR_I32) {
        ir_emit_unop(dc->f, high ? IR_extrh_i64_i32 : IR_extrl_i64_i32, IR_I32, t, v64);
    } else if (high) {
        ir_emit_shr(dc->f, IR_I64, t, v64, gen_const(dc, 32));
    } else {
        ir_emit_unop(dc->f, IR_ext32u, IR_I64, t, v64);
    }
    return t;
}

int gen_cond(DisasContext *dc, int cc)
{
    int t = ir_temp_new(dc->f, IR_I32);
    ir_emit_fl_cond(dc->f, t, dc->flags, cc);
    return gen_widen32(dc, t);
}

int gen_carry(DisasContext *dc)
{
    return gen_cond(dc, 2 /* B: CF = 1 */);
}

int gen_flags_image(DisasContext *dc)
{
    int t = ir_temp_new(dc->f, IR_I32);
    ir_emit_fl_get(dc->f, t, dc->flags);
    return gen_widen32(dc, t);
}

void gen_set_flags_image(DisasContext *dc, int img)
{
    if (ir_temp(dc->f, img)->type == IR_I64) {
        int t = ir_temp_new(dc->f, IR_I32);
        ir_emit_unop(dc->f, IR_extrl_i64_i32, IR_I32, t, img);
        img = t;
    }
    ir_emit_fl_set(dc->f, dc->flags, img);
}

void gen_flags(DisasContext *dc, IRFlagsOp op, int size, int res, int a, int b, int c)
{
    ir_emit_fl_def(dc->f, dc->ty, dc->flags, IR_FL_KIND(op, size_log2(size)), res, a, b, c);
}

/* seg:offset, the offset wrapped to the address size (16-bit offsets wrap at 64 KiB, 32-bit
   ones in 64-bit code at 4 GiB) */
int gen_seg_linear(DisasContext *dc, int seg, int offset, int addrsize)
{
    offset = gen_ext(dc, offset, addrsize, false);
    return gen_linear(dc, seg, offset);
}

/* Whether an access of `size` bytes at an offset of `addrsize` bytes through `seg` can fail
   the segment's checks, as far as the TB key (hflags) tells. */
static bool seg_check_needed(DisasContext *dc, int seg, int size, int addrsize)
{
    if (!(dc->hflags & (1u << (HF_SEG_CHECK_SHIFT + seg)))) {
        return false;
    }
    if ((dc->hflags & HF_PE) && !(dc->hflags & HF_VM)) {
        return true;
    }
    /* real and virtual-8086 mode: the limit is the only check (SDM Vol. 3A 20.1.3). With a
       cached limit of at least FFFFh a one-byte access at a 16-bit offset cannot cross it, so
       only wider or 32-bit-addressed accesses pay for the check. */
    return size > 1 || addrsize > 2 || (dc->hflags & HF_RM_SMALL_LIMIT);
}

/* The check of an access of `size` bytes at seg:offset (offset already wrapped), when the
   hflags say it can fail; write also checks that the segment is writable (protected mode). */
void gen_seg_check(DisasContext *dc, int seg, int offset, int size, int addrsize, bool write)
{
    if (!seg_check_needed(dc, seg, size, addrsize)) {
        return;
    }
    uint32_t arg = (uint32_t)seg | (uint32_t)size << 8 | (write ? SEG_CHECK_WRITE : 0);
    bool real = !(dc->hflags & HF_PE) || (dc->hflags & HF_VM);
    if (real && !(dc->hflags & HF_RM_SMALL_LIMIT)) {
        /* the common real-mode case, an expand-up cached limit of at least FFFFh: compare
           inline, call the helper (which raises) only when the access crosses the limit */
        int lim = gen_temp(dc);
        ir_emit_ld(dc->f, dc->ty, lim, dc->f->env, IR_MO_32,
                   (int32_t)offsetof(CPUX86State, seg[seg].limit));
        uint32_t bias = (uint32_t)size - 1;
        if (addrsize != 2 && size > 1) {
            /* a 32-bit offset (67h) plus size - 1 may wrap at 4 GiB: compare the offset with
               limit - (size - 1) instead, which the limit's FFFFh floor keeps from wrapping */
            ir_emit_addi(dc->f, dc->ty, lim, lim, -(int64_t)bias);
            bias = 0;
        }
        ir_emit_chk_gtu(dc->f, offset, lim, bias, &helper_seg_check_desc, arg);
        return;
    }
    int args[3] = {dc->f->env, gen_const(dc, arg), offset};
    gen_call(dc, &helper_seg_check_desc, -1, args);
}

int gen_seg_access(DisasContext *dc, int seg, int offset, int addrsize, int size, bool write)
{
    offset = gen_ext(dc, offset, addrsize, false);
    gen_seg_check(dc, seg, offset, size, addrsize, write);
    return gen_linear(dc, seg, offset);
}

int gen_default_seg(DisasContext *dc)
{
    return dc->insn.seg_override >= 0 ? dc->insn.seg_override : R_DS;
}

void gen_raise(DisasContext *dc, int vector)
{
    int args[2] = {dc->f->env, gen_const(dc, vector)};
    gen_call(dc, &helper_raise_desc, -1, args);
    ir_emit_exit_tb(dc->f, IR_EXIT_NOCHAIN); /* not reached */
    dc->state = DISAS_JUMPED;
}

void gen_trap(DisasContext *dc, int arg)
{
    /* delivered by the helper with EIP after the instruction; then CS:EIP is the handler's */
    ir_emit_movi(dc->f, dc->ty, dc->eipg, dc->next_eip);
    int args[2] = {dc->f->env, gen_const(dc, arg)};
    gen_call(dc, &helper_trap_desc, -1, args);
    ir_emit_exit_tb(dc->f, IR_EXIT_NOCHAIN);
    dc->state = DISAS_JUMPED;
}

int gen_stack_ptr(DisasContext *dc)
{
    int esp = dc->reg[R_ESP];
    if (dc->sw != 2) {
        int t = gen_temp(dc);
        ir_emit_mov(dc->f, dc->ty, t, esp);
        return t;
    }
    return gen_ext(dc, esp, 2, false);
}

void gen_stack_write(DisasContext *dc, int sp)
{
    gen_reg_write(dc, R_ESP, dc->sw, false, sp);
}

/* ---- registers ---- */

int gen_reg_read(DisasContext *dc, int reg, int size, bool hi8)
{
    IRFunc *f = dc->f;
    IRType ty = dc->ty;
    int g = dc->reg[reg & 15];
    int t = ir_temp_new(f, ty);
    if (size == 8 || (size == 4 && ty == IR_I32)) {
        /* a snapshot, not the global: the instruction may overwrite the register before its
           flags read the operand (the optimizer forwards the copy while it is valid) */
        ir_emit_mov(f, ty, t, g);
    } else if (size == 4) {
        ir_emit_unop(f, IR_ext32u, ty, t, g);
    } else if (size == 2) {
        ir_emit_unop(f, IR_ext16u, ty, t, g);
    } else if (hi8) {
        ir_emit_extract(f, ty, t, g, 8, 8, false);
    } else {
        ir_emit_unop(f, IR_ext8u, ty, t, g);
    }
    return t;
}

void gen_reg_write(DisasContext *dc, int reg, int size, bool hi8, int val)
{
    IRFunc *f = dc->f;
    IRType ty = dc->ty;
    int g = dc->reg[reg & 15];
    if (size == 8 || (size == 4 && ty == IR_I32)) {
        ir_emit_mov(f, ty, g, val);
    } else if (size == 4) {
        /* a 32-bit destination is zero-extended into the 64-bit register (SDM Vol. 1 3.4.1.1) */
        ir_emit_unop(f, IR_ext32u, ty, g, val);
    } else {
        ir_emit_deposit(f, ty, g, g, val, hi8 ? 8 : 0, size * 8);
    }
}

/* ---- addresses ---- */

/* The effective address (offset within the segment) of the ModRM/moffs memory operand. */
int gen_effective_offset(DisasContext *dc)
{
    IRFunc *f = dc->f;
    IRType ty = dc->ty;
    const X86MemOperand *m = &dc->insn.mem;
    int t = -1;
    if (m->rip_rel) {
        /* RIP-relative: the displacement from the next instruction (SDM Vol. 2A 2.2.1.6) */
        return gen_ext(dc, gen_const(dc, (int64_t)(dc->next_eip + (uint64_t)m->disp)),
                       dc->insn.addrsize, false);
    }
    if (m->base >= 0) {
        t = dc->reg[m->base & 15];
    }
    if (m->index >= 0) {
        int ix = dc->reg[m->index & 15];
        if (m->scale > 1) {
            int sc = ir_temp_new(f, ty);
            ir_emit_shl(f, ty, sc, ix, gen_const(dc, size_log2(m->scale)));
            ix = sc;
        }
        if (t >= 0) {
            int sum = ir_temp_new(f, ty);
            ir_emit_add(f, ty, sum, t, ix);
            t = sum;
        } else {
            t = ix;
        }
    }
    if (t < 0) {
        t = gen_const(dc, m->disp);
    } else if (m->disp || (m->base >= 0 && t == dc->reg[m->base & 15])) {
        /* also when it is the bare base register: a snapshot, as in gen_reg_read */
        int sum = ir_temp_new(f, ty);
        ir_emit_addi(f, ty, sum, t, m->disp);
        t = sum;
    }
    if (dc->insn.addrsize < (ty == IR_I64 ? 8 : 4)) {
        t = gen_ext(dc, t, dc->insn.addrsize, false);
    }
    return t;
}

int gen_linear(DisasContext *dc, int seg, int offset)
{
    if (dc->hflags & (1u << (HF_ZERO_BASE_SHIFT + seg))) {
        return offset;
    }
    int t = ir_temp_new(dc->f, dc->ty);
    if (dc->code64) {
        /* only FS and GS have a base in 64-bit mode (SDM Vol. 3A 3.4.4); the others are
           always in the zero-base set */
        ir_emit_add(dc->f, IR_I64, t, offset, dc->g->seg_base64[seg]);
    } else {
        ir_emit_add(dc->f, IR_I32, t, offset, dc->g->seg_base[seg]);
    }
    return t;
}

/* The size of the instruction's memory operand, for the segment-limit check. */
static int mem_operand_size(const X86Insn *in)
{
    for (int k = 0; k < in->nb_ops; k++) {
        if (in->op[k].kind == OPK_MEM && in->op[k].size) {
            return in->op[k].size;
        }
    }
    return 1;
}

int gen_mem_addr(DisasContext *dc)
{
    if (dc->addr < 0) {
        int seg = dc->insn.mem.seg;
        int off = gen_effective_offset(dc);
        /* limit and presence (SDM Vol. 3A 5.3); writes check rights in gen_write_operand */
        gen_seg_check(dc, seg, off, mem_operand_size(&dc->insn), dc->insn.addrsize, false);
        dc->addr = gen_linear(dc, seg, off);
    }
    return dc->addr;
}

static unsigned addr_memop(DisasContext *dc, int addr)
{
    return ir_temp(dc->f, addr)->type == IR_I64 ? IR_MO_A64 : 0;
}

int gen_load(DisasContext *dc, int addr, int size)
{
    int t = ir_temp_new(dc->f, dc->ty);
    ir_emit_gld(dc->f, dc->ty, t, addr, (unsigned)size_log2(size) | addr_memop(dc, addr),
                dc->mmu_idx);
    return t;
}

void gen_store(DisasContext *dc, int addr, int size, int val)
{
    ir_emit_gst(dc->f, dc->ty, val, addr, (unsigned)size_log2(size) | addr_memop(dc, addr),
                dc->mmu_idx);
}

/* ---- operands ---- */

int gen_read_operand(DisasContext *dc, int k)
{
    const X86Operand *o = &dc->insn.op[k];
    switch (o->kind) {
    case OPK_REG:
        return gen_reg_read(dc, o->reg, o->size, o->hi8);
    case OPK_MEM:
        return gen_load(dc, gen_mem_addr(dc), o->size);
    case OPK_IMM:
        return gen_const(dc, o->is_imm2 ? dc->insn.imm2 : dc->insn.imm);
    default:
        abort(); /* the family emitters only pass value operands */
    }
}

void gen_write_operand(DisasContext *dc, int k, int val)
{
    const X86Operand *o = &dc->insn.op[k];
    if (o->kind == OPK_REG) {
        gen_reg_write(dc, o->reg, o->size, o->hi8, val);
    } else {
        int addr = gen_mem_addr(dc);
        int seg = dc->insn.mem.seg;
        if ((dc->hflags & (1u << (HF_SEG_CHECK_SHIFT + seg))) && (dc->hflags & HF_PE) &&
            !(dc->hflags & HF_VM)) {
            /* rights only (size 0): the limit was checked with the address */
            int args[3] = {dc->f->env, gen_const(dc, seg | SEG_CHECK_WRITE), gen_const(dc, 0)};
            gen_call(dc, &helper_seg_check_desc, -1, args);
        }
        gen_store(dc, addr, o->size, val);
    }
}

/* ---- stack (SS:eSP, 16- or 32-bit per SS.B) ---- */

/* SS:sp for an access of `size` bytes, checked against SS's limit (SDM Vol. 3A 6.12.1 #SS) */
static int gen_stack_addr(DisasContext *dc, int sp, int size, bool write)
{
    gen_seg_check(dc, R_SS, sp, size, dc->sw, write);
    return gen_linear(dc, R_SS, sp);
}

void gen_push(DisasContext *dc, int val, int size)
{
    IRFunc *f = dc->f;
    int esp = dc->reg[R_ESP];
    int sp = ir_temp_new(f, dc->ty);
    ir_emit_addi(f, dc->ty, sp, esp, -size);
    if (dc->sw == 2) {
        ir_emit_unop(f, IR_ext16u, dc->ty, sp, sp);
    }
    gen_store(dc, gen_stack_addr(dc, sp, size, true), size, val);
    gen_reg_write(dc, R_ESP, dc->sw, false, sp);
}

int gen_pop(DisasContext *dc, int size)
{
    IRFunc *f = dc->f;
    int esp = dc->reg[R_ESP];
    int sp = esp;
    if (dc->sw == 2) {
        sp = ir_temp_new(f, dc->ty);
        ir_emit_unop(f, IR_ext16u, dc->ty, sp, esp);
    }
    int val = gen_load(dc, gen_stack_addr(dc, sp, size, false), size);
    int nsp = ir_temp_new(f, dc->ty);
    ir_emit_addi(f, dc->ty, nsp, sp, size);
    gen_reg_write(dc, R_ESP, dc->sw, false, nsp);
    return val;
}

/* ---- block exits ---- */

/* Direct jump: chainable through goto_tb slot `slot`. */
void gen_goto_tb(DisasContext *dc, int slot, uint64_t eip)
{
    /* Under paging a direct chain is safe only within the block's own page: a jump to another
       page goes through the jump cache, whose lookup checks the physical page again. */
    uint64_t target = dc->code64 ? eip : (uint32_t)(dc->cs_base + eip);
    if ((dc->hflags & HF_TF) ||
        ((dc->hflags & HF_PG) && (target & TLB_PAGE_MASK) != (dc->tb->pc & TLB_PAGE_MASK))) {
        gen_jmp_indirect(dc, gen_const(dc, eip));
        return;
    }
    /* EIP is stored on the unchained path only: a chained successor knows its own pc, and
       everything that reads env->eip is reached through an exit or restores it from the TB */
    ir_emit_goto_tb(dc->f, slot);
    ir_emit_movi(dc->f, dc->ty, dc->eipg, (int64_t)eip);
    ir_emit_exit_tb(dc->f, slot);
    dc->state = DISAS_JUMPED;
}

/* Indirect jump: EIP from a value, then the jump cache, without leaving translated code. */
void gen_jmp_indirect(DisasContext *dc, int eip_val)
{
    ir_emit_mov(dc->f, dc->ty, dc->eipg, eip_val);
    if (dc->hflags & HF_TF) {
        /* single-stepping: back to the loop, which owes the trap (cpu/debug.c) */
        ir_emit_exit_tb(dc->f, IR_EXIT_NOCHAIN);
    } else {
        /* the key is the whole pc: RIP (I64) in 64-bit code, EIP (I32) otherwise */
        ir_emit_lookup_and_goto(dc->f, dc->eipg);
    }
    dc->state = DISAS_JUMPED;
}

/* Back to the loop (the mode may have changed, so the next block's key must be recomputed). */
void gen_exit_to_loop(DisasContext *dc, uint64_t next_eip)
{
    ir_emit_movi(dc->f, dc->ty, dc->eipg, (int64_t)next_eip);
    ir_emit_exit_tb(dc->f, IR_EXIT_NOCHAIN);
    dc->state = DISAS_JUMPED;
}

/* ---- the block loop ---- */

/* Copy up to n code bytes at linear pc into buf; returns how many could be fetched. */
static int fetch_code(CPUX86State *env, uint64_t pc, uint8_t *buf, int n, uint64_t *phys_last)
{
    int got = 0;
    while (got < n) {
        uint64_t phys;
        const uint8_t *p = softmmu_code_ptr(&env->common, pc + got, &phys);
        if (!p) {
            break;
        }
        int in_page = (int)(TLB_PAGE_SIZE - ((pc + got) & (TLB_PAGE_SIZE - 1)));
        int k = n - got < in_page ? n - got : in_page;
        memcpy(buf + got, p, k);
        *phys_last = phys + k - 1;
        got += k;
    }
    return got;
}

static int x86_translate(TCGContext *s, CPUCommon *c, TranslationBlock *tb, IRFunc *f)
{
    CPUX86State *env = x86_env(c);
    const X86Globals *g = s->fe_priv ? s->fe_priv : globals_init(s, f);
    bool code64 = tb->flags & HF_CS64;
    DisasContext dc = {
        .s = s, .f = f, .env = env, .tb = tb, .g = g,
        .cs_base = tb->cs_base,
        .eip = code64 ? tb->pc : (uint32_t)(tb->pc - tb->cs_base),
        .hflags = tb->flags,
        .code_size = code64 ? 64 : (tb->flags & HF_CS32) ? 32 : 16,
        .ss32 = code64 || (tb->flags & HF_SS32),
        .sw = code64 ? 8 : (tb->flags & HF_SS32) ? 4 : 2,
        .code64 = code64,
        .ty = code64 ? IR_I64 : IR_I32,
        .reg = code64 ? g->reg64 : g->reg,
        .eipg = code64 ? g->rip : g->eip,
        .flags = code64 ? g->flags64 : g->flags,
        .mmu_idx = ((tb->flags & HF_CPL_MASK) >> HF_CPL_SHIFT) == 3 ? 1 : 0,
    };
    unsigned max = (tb->cflags & CF_COUNT_MASK) ? (tb->cflags & CF_COUNT_MASK) : MAX_INSNS;
    if (tb->flags & HF_TF) {
        max = 1; /* single-stepping (cpu/debug.c) */
    }
    uint64_t first_page = tb->pc & TLB_PAGE_MASK;
    uint64_t phys0;

    env->exception = -1;
    if (!softmmu_code_ptr(c, tb->pc, &phys0)) {
        if (env->exception >= 0) {
            return -1; /* the fetch faults (a page fault): delivered with EIP at it */
        }
        phys0 = tb->pc; /* nothing executable there: the helper below reports it */
    }
    tb->phys_pc = phys0;
    tb->phys_page[0] = phys0 & TLB_PAGE_MASK;
    tb->icount = 0;

    for (;;) {
        uint64_t pc = dc.cs_base + dc.eip;
        if (dc.code_size == 16) {
            pc = dc.cs_base + (dc.eip & 0xffff);
        }
        if (!code64) {
            pc &= 0xffffffffu;
        }
        uint8_t buf[16];
        uint64_t phys_last = 0;
        int avail = fetch_code(env, pc, buf, 15, &phys_last);
        int len = avail > 0 ? x86_decode(&dc.insn, buf, avail, dc.code_size) : X86_DECODE_TRUNCATED;
        if (env->exception >= 0) {
            /* the fetch stopped at a page that faults. An instruction that ends before it is
               fine (the fault belongs to a later block); one that needs its bytes faults, at
               the start of a block of its own so the state is exact */
            if (len != X86_DECODE_TRUNCATED) {
                env->exception = -1;
            } else if (tb->icount > 0) {
                env->exception = -1;
                gen_goto_tb(&dc, 0, dc.eip);
                break;
            } else {
                return -1;
            }
        }

        int mark = f->nb_ops;
        tb->insn_pc[tb->icount] = pc;
        ir_emit_insn_start(f, pc);
        if (dc.hflags & HF_TF) {
            /* the loop delivers the single-step trap unless an event ends the insn first */
            ir_emit_st(f, dc.ty, gen_const(&dc, 1), f->env, IR_MO_32,
                       offsetof(CPUX86State, ss_pending));
        }
        if (dc.hflags & HF_BP) {
            int args[2] = {f->env, gen_const(&dc, (int64_t)dc.eip)};
            gen_call(&dc, &helper_check_bp_desc, -1, args);
        }
        dc.addr = -1;
        dc.state = DISAS_NEXT;
        bool ok = false;
        if (len > 0) {
            dc.next_eip = dc.eip + (uint32_t)len;
            if (dc.code_size == 16) {
                dc.next_eip &= 0xffff;
            } else if (dc.code_size == 32) {
                dc.next_eip &= 0xffffffffu;
            }
            ok = x86_translate_insn(&dc);
            if (!ok) {
                f->nb_ops = mark + 1; /* keep insn_start, drop what a failed emitter left */
            }
        } else if (len == X86_DECODE_INVALID || len == X86_DECODE_TOO_LONG) {
            /* an invalid opcode is #UD; over 15 bytes is #GP(0) (SDM Vol. 2A 2.3.11) */
            dc.next_eip = dc.eip;
            gen_raise(&dc, len == X86_DECODE_INVALID ? EXCP_UD : EXCP_GP);
            len = avail < 15 ? avail : 15;
            ok = true;
        }
        if (!ok) {
            if (tb->icount > 0) {
                /* end the block before it: the instruction gets a block of its own, so the
                   report below sees the exact state */
                f->nb_ops = mark;
                gen_goto_tb(&dc, 0, dc.eip);
                break;
            }
            int args[2] = {f->env, gen_const(&dc, (int64_t)dc.eip)};
            gen_call(&dc, &helper_unimplemented_desc, -1, args);
            ir_emit_exit_tb(f, IR_EXIT_NOCHAIN);
            tb->icount = 1;
            tb->size = avail > 0 ? (uint32_t)avail : 1;
            break;
        }
        tb->icount++;
        tb->size = (uint32_t)(pc + (uint64_t)len - tb->pc);
        if (((phys_last) & TLB_PAGE_MASK) != tb->phys_page[0]) {
            tb->phys_page[1] = phys_last & TLB_PAGE_MASK;
        }
        if (dc.state == DISAS_JUMPED) {
            break;
        }
        dc.eip = dc.next_eip;
        uint64_t next_pc = code64 ? dc.eip : (dc.cs_base + dc.eip) & 0xffffffffu;
        /* stay within one guest page (the last instruction may spill into the next) */
        if (tb->icount >= max || (next_pc & TLB_PAGE_MASK) != first_page ||
            f->nb_locals > IR_MAX_LOCALS - 16) {
            gen_goto_tb(&dc, 0, dc.eip);
            break;
        }
    }
    return 0;
}

/* ---- the frontend object ---- */

static void x86_get_pc_key(CPUCommon *c, uint64_t *pc, uint64_t *cs_base, uint32_t *flags)
{
    CPUX86State *env = x86_env(c);
    *flags = env->hflags;
    if (env->hflags & HF_CS64) {
        *cs_base = 0; /* SDM Vol. 3A 3.4.4: CS has no base in 64-bit mode */
        *pc = env->eip; /* stored by 64-bit code through the i64 RIP global */
        return;
    }
    *cs_base = env->seg[R_CS].base;
    /* translated code stores EIP as 32 bits (the i32 global): a 64-bit load right after that
       store would stall on store forwarding, and this runs at every indirect jump */
    uint32_t eip = *(const uint32_t *)((const char *)env + LO32(offsetof(CPUX86State, eip)));
    if (!(env->hflags & HF_CS32)) {
        eip &= 0xffff;
    }
    *pc = (uint32_t)(*cs_base + eip);
}

static void x86_get_tb_key(CPUCommon *c, uint64_t *pc, uint64_t *phys_pc, uint64_t *cs_base,
                           uint32_t *flags)
{
    CPUX86State *env = x86_env(c);
    x86_get_pc_key(c, pc, cs_base, flags);
    /* Blocks are found by linear pc and must still come from the same physical bytes: under
       paging the mapping may have changed since the block was made. A fetch that faults leaves
       an impossible address, so the lookup misses and translation raises the fault. */
    if (env->hflags & HF_PG) {
        if (!softmmu_code_ptr(c, *pc, phys_pc)) {
            *phys_pc = (uint64_t)-1;
            env->exception = -1; /* the translator raises it again, precisely */
        }
    } else {
        *phys_pc = *pc & c->machine->a20_mask;
    }
}

static void x86_restore_state(CPUCommon *c, TranslationBlock *tb, int insn_index)
{
    CPUX86State *env = x86_env(c);
    env->eip = tb->insn_pc[insn_index] - tb->cs_base;
    if (!(tb->flags & HF_CS64)) {
        env->eip = (uint32_t)env->eip;
    }
    env->ss_pending = 0; /* the instruction did not retire (a fault, a restart): no trap */
}

void x86_disas_tb(TCGContext *s, CPUCommon *env, TranslationBlock *tb, FILE *out);
bool x86_exec_pending(CPUCommon *env);
static void x86_dump(CPUCommon *env, FILE *out)
{
    x86_dump_state(x86_env(env), out);
}

const TCGFrontend x86_frontend = {
    .translate = x86_translate,
    .get_tb_key = x86_get_tb_key,
    .get_pc_key = x86_get_pc_key,
    .restore_state = x86_restore_state,
    .disas = x86_disas_tb,
    .exec_pending = x86_exec_pending,
    .dump_state = x86_dump,
};
