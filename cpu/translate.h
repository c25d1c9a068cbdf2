/*
 * cpu/translate.h — shared state of the x86 → IR translator (cpu/translate*.c) and the helper
 * functions translated code calls (cpu/helper.c).
 */
#ifndef XLAT_CPU_TRANSLATE_H
#define XLAT_CPU_TRANSLATE_H

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "tcg/tcg.h"

/* the i32 view of a 64-bit field of the CPU state */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LO32(off) ((int32_t)(off) + 4)
#else
#define LO32(off) ((int32_t)(off))
#endif

/* IR globals over the CPU state, declared once per engine (TCGContext.fe_priv) */
typedef struct X86Globals {
    int reg[8];      /* i32 views of EAX..EDI */
    int eip;         /* i32 */
    int flags;       /* the lazy arithmetic flags (IR_FLAGS, i32 operands) */
    int seg_base[R_NB_SEGS];
} X86Globals;

/* how a translated instruction ends the block */
enum { DISAS_NEXT, DISAS_JUMPED };

typedef struct DisasContext {
    TCGContext *s;
    IRFunc *f;
    CPUX86State *env;
    TranslationBlock *tb;
    const X86Globals *g;
    X86Insn insn;
    uint64_t cs_base;
    uint32_t eip;       /* offset of the current instruction in CS */
    uint32_t next_eip;
    uint32_t hflags;
    int code_size;      /* 16 or 32 */
    bool ss32;
    int mmu_idx;
    int state;          /* DISAS_* */
    int addr;           /* linear address of the memory operand (-1: not computed yet) */
} DisasContext;

/* translate.c: operand and control-flow building blocks */
int gen_read_operand(DisasContext *dc, int k);
void gen_write_operand(DisasContext *dc, int k, int val);
int gen_reg_read(DisasContext *dc, int reg, int size, bool hi8);
void gen_reg_write(DisasContext *dc, int reg, int size, bool hi8, int val);
int gen_mem_addr(DisasContext *dc);
int gen_effective_offset(DisasContext *dc);
int gen_linear(DisasContext *dc, int seg, int offset);
int gen_load(DisasContext *dc, int addr, int size);
void gen_store(DisasContext *dc, int addr, int size, int val);
void gen_push(DisasContext *dc, int val, int size);
int gen_pop(DisasContext *dc, int size);
void gen_goto_tb(DisasContext *dc, int slot, uint32_t eip);
void gen_jmp_indirect(DisasContext *dc, int eip_val);
void gen_exit_to_loop(DisasContext *dc, uint32_t next_eip);
int gen_const(DisasContext *dc, int64_t v);
int size_log2(int size);

/* translate-int.c: one emitter per instruction family; false = not implemented */
bool translate_integer(DisasContext *dc);
bool translate_control(DisasContext *dc);
bool translate_system(DisasContext *dc);

/* helpers called from translated code (cpu/helper.c) */
extern IRHelper helper_in_desc, helper_out_desc, helper_hlt_desc, helper_unimplemented_desc,
    helper_load_seg_desc, helper_ljmp_desc, helper_lgdt_desc, helper_write_cr_desc;

/* guest memory from C (through the softmmu, may raise) */
uint32_t cpu_ld_data(CPUX86State *env, uint32_t addr, int size);
void cpu_st_data(CPUX86State *env, uint32_t addr, int size, uint32_t val);
_Noreturn void x86_raise_exception(CPUX86State *env, int vector, uint32_t error_code);
void x86_load_seg_real(CPUX86State *env, int seg, uint16_t selector);

#endif
