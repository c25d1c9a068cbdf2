/*
 * tcg/x86_64/jit.h — internal interface of the x86-64 JIT backend, shared by its parts:
 *
 *   emit.c      the instruction encoder (emit.h)
 *   regalloc.c  where every IR temp lives while one TB is generated; spills, syncs, fixed registers
 *   codegen.c   gen_code, the forward pass over the ops: arithmetic, control flow, calls
 *   memory.c    ld/st and the guest gld/gst: the inline TLB probe and its out-of-line slow paths
 *   backend.c   the prologue/epilogue, exec, chaining (set_jump), disassembly, `backend_x86_64`
 *
 * Host register conventions (SysV AMD64 ABI):
 *   rbp  the CPU-state pointer (the IR's TEMP_FIXED env), for the whole time translated code runs
 *   rsp  16-byte aligned inside translated code; [rsp, rsp + X64_FRAME_SIZE) is our frame:
 *        a save area (one 8-byte cell per host register, used by the slow paths) then the spill
 *        slots of local and spilled temps
 *   the 14 others are allocatable.
 * Invariant: a host register holding an i32 value always has its upper 32 bits clear. Every
 * 32-bit host operation zero-extends, so this costs only an explicit `mov r32, r32` where a
 * value comes from elsewhere (i64 truncation, helper results). It lets an i32 guest address be
 * used as a 64-bit host address and makes extu_i32_i64 free.
 */
#ifndef XLAT_TCG_X86_64_JIT_H
#define XLAT_TCG_X86_64_JIT_H

#include <stdbool.h>
#include <stdint.h>

#include "tcg/ir.h"
#include "tcg/tb.h"
#include "tcg/tcg.h"
#include "tcg/x86_64/emit.h"

#define X64_REG_ENV X64_RBP

#define R(r) (1u << (r))
#define X64_ALLOC_REGS ((uint16_t)(0xffffu & ~(R(X64_RSP) | R(X64_RBP))))
#define X64_CALLER_SAVED                                                                        \
    ((uint16_t)(R(X64_RAX) | R(X64_RCX) | R(X64_RDX) | R(X64_RSI) | R(X64_RDI) | R(X64_R8) |     \
                R(X64_R9) | R(X64_R10) | R(X64_R11)))
#define X64_CALLEE_SAVED ((uint16_t)(X64_ALLOC_REGS & ~X64_CALLER_SAVED))

/* the frame below the callee-saved pushes of the prologue */
#define X64_SAVE_OFF 0                                /* 16 cells: slow-path register saves */
#define X64_SLOT_OFF (X64_SAVE_OFF + 8 * X64_NB_REGS) /* spill slots */
#define X64_FRAME_SLOTS 256
/* 6 pushes + the return address leave rsp 8 mod 16: an odd multiple of 8 realigns it */
#define X64_FRAME_SIZE (X64_SLOT_OFF + 8 * X64_FRAME_SLOTS + 8)

/* A TB needs at most this much room per IR op (worst case: a call that evacuates every
   register plus a sync of many globals); gen_code checks it before each op. */
#define X64_MAX_OP_BYTES 8192
/* gen_code refuses to start with less room than this left in the cache (contract: ~64 KiB) */
#define X64_MIN_CACHE_AVAIL (64 * 1024 + 2 * X64_MAX_OP_BYTES)

/* where a temp's value is right now */
enum {
    VAL_DEAD,  /* no value (normal temp not yet written, or dead) */
    VAL_REG,   /* in host register .reg */
    VAL_MEM,   /* only in memory: env + env_offset (globals) or frame slot .slot (temps) */
    VAL_CONST, /* a known constant .cval, not materialized anywhere */
};

typedef struct X64Temp {
    uint8_t val;      /* VAL_* */
    int8_t reg;       /* VAL_REG */
    bool coherent;    /* the memory copy holds the value (globals: clean; constants: always) */
    int16_t slot;     /* frame slot, -1 if none yet */
    int64_t cval;     /* VAL_CONST (and TEMP_CONST) */
} X64Temp;

/* a forward reference to a label: the rel32 field to patch when the label is placed */
typedef struct X64Fixup {
    int label;
    uint8_t *field;
} X64Fixup;

/* one dirty global to write back in a slow path */
typedef struct X64WriteBack {
    int32_t off;
    uint8_t size; /* log2 bytes */
    int8_t reg;   /* X64_NOREG: store cval */
    int64_t cval;
} X64WriteBack;

/* an out-of-line guest-memory slow path, emitted after the TB's main code */
typedef struct X64SlowPath {
    uint8_t *jcc_field; /* rel32 of the fast path's `jne slow` */
    uint8_t *resume;    /* first instruction after the fast path */
    uint32_t memop;
    bool is_store;
    bool is_check;      /* chk_gtu: call check_fn(env, check_arg, addr_reg) */
    bool is64;          /* type of the loaded/stored value */
    bool val_is_const;
    int8_t addr_reg, val_reg, dst_reg, scratch_reg;
    int64_t val_const;
    void *check_fn;
    uint32_t check_arg;
    uint16_t save_mask; /* caller-saved registers live across the call */
    int insn_index;
    int wb_first, wb_count; /* in X64Priv.wb */
} X64SlowPath;

/* Per-backend state (TCGContext.be_priv): the fixed code, and one arena for the per-TB arrays.
   It is a single allocation (tcg_free frees be_priv with one free()); gen_code sizes the arena
   from the IR before emitting anything, so nothing grows while code is generated. */
typedef struct X64Priv {
    uint8_t *prologue; /* uintptr_t enter(void *env, void *code) */
    uint8_t *epilogue; /* restores the host state and returns rax */
    size_t arena_size;
    X64Temp *temps;    /* per temp */
    uint8_t **labels;  /* per label: its address once placed */
    uint8_t *op_flags; /* per op: X64_OUT0_DEAD | X64_OUT1_DEAD */
    uint32_t *live;    /* per temp, for the dead-output scan */
    X64Fixup *fixups;  /* at most one per branch op */
    X64SlowPath *slow; /* at most one per gld/gst */
    X64WriteBack *wb;  /* at most (gld/gst ops) x (globals) */
    int nb_fixups, cap_fixups;
    int nb_slow, cap_slow;
    int nb_wb, cap_wb;
    _Alignas(16) uint8_t arena[];
} X64Priv;

enum { X64_OUT0_DEAD = 1, X64_OUT1_DEAD = 2 };

/* The state of one gen_code run. */
typedef struct X64Ctx {
    TCGContext *s;
    IRFunc *f;
    TranslationBlock *tb;
    X64Priv *p;
    X64Buf b;
    uint8_t *limit;          /* b.end minus the room reserved for the out-of-line code */
    X64Temp *t;              /* per temp, indexed like f->temps */
    int reg_temp[X64_NB_REGS]; /* the temp a register holds, or -1 */
    uint32_t reg_age[X64_NB_REGS]; /* op index of last use, for LRU eviction */
    uint16_t locked;         /* registers the current op holds (inputs, scratch, outputs) */
    uint64_t slot_used[X64_FRAME_SLOTS / 64];
    const IROp *op;          /* the op being lowered */
    int op_index;
    int insn_index;          /* insn_start ops seen so far minus 1 */
    uint8_t *budget_jl;      /* rel32 of the entry's `jl budget_exit` */
    int nb_jump_caches;      /* lookup_and_goto ops so far (TB_NB_JUMP_CACHES have a cache) */
} X64Ctx;

/* ---- regalloc.c ---- */
void x64_ra_begin(X64Ctx *c);
/* a free register from `allowed` (evicting the least useful if none), locked, bound to nothing */
X64Reg x64_ra_alloc(X64Ctx *c, uint16_t allowed, bool prefer_callee_saved);
/* empty register r: its temp moves to another register or to memory */
void x64_ra_evict_reg(X64Ctx *c, X64Reg r);
/* temp t's value in a register of `allowed`, bound to t and locked */
X64Reg x64_ra_load(X64Ctx *c, int t, uint16_t allowed);
/* t's value in register r (a copy, r locked). clobber: the op overwrites r, so t must survive
   elsewhere if it is still needed */
void x64_ra_load_fixed(X64Ctx *c, int t, X64Reg r, bool clobber);
/* emit a copy of t's value into dst (no binding change) */
void x64_ra_copy_to(X64Ctx *c, int t, X64Reg dst);
/* output t now lives in r and memory is stale */
void x64_ra_bind(X64Ctx *c, int t, X64Reg r);
/* output t is the constant v (nothing emitted) */
void x64_ra_set_const(X64Ctx *c, int t, int64_t v);
/* t is dead: drop its register and slot */
void x64_ra_free_temp(X64Ctx *c, int t);
/* write t to memory if its memory copy is stale (stays where it is) */
void x64_ra_sync_temp(X64Ctx *c, int t);
/* memory home of t: env field or frame slot (allocated on demand) */
X64Mem x64_ra_temp_mem(X64Ctx *c, int t);
unsigned x64_ra_temp_size(X64Ctx *c, int t); /* log2 bytes of that home */
/* write back every dirty global; forget: also drop them from registers */
void x64_ra_sync_globals(X64Ctx *c, bool forget);
/* basic-block end: globals and locals to memory, normal temps dead; forget: registers hold
   nothing afterwards (a label follows, or control does not fall through) */
void x64_ra_bb_end(X64Ctx *c, bool forget);
/* kill the normal temps (after a branch: none is live across a block end) */
void x64_ra_kill_normals(X64Ctx *c);
/* lock the registers of the current op's inputs, so allocation never evicts them */
void x64_ra_lock_inputs(X64Ctx *c);
/* after the instruction: free the inputs that die here (not those that are also outputs) */
void x64_ra_free_dead_inputs(X64Ctx *c);
/* and the outputs nobody reads */
void x64_ra_free_dead_outputs(X64Ctx *c);
/* before a helper call: caller-saved registers give up their temps (moved to a free callee-saved
   register, dropped if memory has them, else spilled); argument copies belong to no temp */
void x64_ra_evacuate_caller_saved(X64Ctx *c, bool keep_globals);
/* after a call that may write guest state: cached globals are stale */
void x64_ra_forget_globals(X64Ctx *c);

static inline bool x64_ra_is_const(X64Ctx *c, int t, int64_t *v)
{
    if (c->t[t].val == VAL_CONST || c->f->temps[t].kind == TEMP_CONST) {
        *v = c->t[t].cval;
        return true;
    }
    return false;
}
/* input k of the current op dies here */
static inline bool x64_ra_dies(X64Ctx *c, int k) { return (c->op->life >> k) & 1; }

/* ---- memory.c ---- */
void x64_gen_ld(X64Ctx *c, const IROp *op);
void x64_gen_st(X64Ctx *c, const IROp *op);
void x64_gen_gld(X64Ctx *c, const IROp *op);
void x64_gen_gst(X64Ctx *c, const IROp *op);
void x64_gen_chk_gtu(X64Ctx *c, const IROp *op);
/* emit all queued slow paths; false if the cache ran out */
bool x64_gen_slow_paths(X64Ctx *c);
/* store tb into env->cur_tb and the instruction index into env->insn_index (clobbers scratch) */
void x64_gen_store_precise_state(X64Ctx *c, int insn_index, X64Reg scratch);

/* ---- codegen.c ---- */
int x64_gen_code(TCGContext *s, IRFunc *f, TranslationBlock *tb);

#endif
