/*
 * tcg/x86_64/backend.c — the x86-64 JIT as a Backend (tcg/backend.h): the fixed code at the
 * start of the code cache, running a TB, chaining TBs by patching their jumps, and disassembly.
 *
 * The prologue, `uintptr_t enter(void *env, void *code)`, is the only way into translated code:
 * it saves the callee-saved registers (SysV AMD64 ABI), reserves the frame described in jit.h,
 * puts env in rbp and jumps to the code. Translated code leaves with a TB pointer | exit code in
 * rax by jumping to the epilogue, which undoes the prologue and returns. Chained TBs jump to each
 * other directly and never come back here in between. A helper that raises a guest exception
 * longjmps to the loop past this frame, which is fine: setjmp restored the callee-saved registers.
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcg/x86_64/jit.h"

_Static_assert(X64_FRAME_SIZE % 16 == 8, "6 pushes + return address + frame must be 0 mod 16");

static const X64Reg saved_regs[] = {X64_RBP, X64_RBX, X64_R12, X64_R13, X64_R14, X64_R15};
#define NB_SAVED ((int)(sizeof(saved_regs) / sizeof(saved_regs[0])))

static int x64_init(TCGContext *s)
{
    X64Priv *p = calloc(1, sizeof(*p));
    if (!p) {
        return -1;
    }
    s->be_priv = p;
    if (tcg_cache_avail(s) < 256 || s->code_size > INT32_MAX) {
        return -1; /* rel32 jumps must reach across the whole cache */
    }
    uint8_t *base = tcg_cache_ptr(s);
    unsigned pad = (unsigned)(-(uintptr_t)base & 15);
    memset(base, 0xcc, pad);
    X64Buf b = {.start = base + pad, .ptr = base + pad, .end = s->code_buf + s->code_size};

    p->prologue = b.ptr;
    for (int i = 0; i < NB_SAVED; i++) {
        x64_push(&b, saved_regs[i]); /* push callee-saved */
    }
    x64_alu_ri(&b, X64_SUB, X64_RSP, X64_FRAME_SIZE, true); /* sub rsp, FRAME_SIZE */
    x64_mov_rr(&b, X64_REG_ENV, X64_RDI, true);             /* mov rbp, rdi (env) */
    x64_jmp_r(&b, X64_RSI);                                 /* jmp rsi (the TB's code) */

    x64_nops(&b, (unsigned)(-(uintptr_t)b.ptr & 15)); /* nop (align the epilogue) */
    p->epilogue = b.ptr;
    x64_alu_ri(&b, X64_ADD, X64_RSP, X64_FRAME_SIZE, true); /* add rsp, FRAME_SIZE */
    for (int i = NB_SAVED - 1; i >= 0; i--) {
        x64_pop(&b, saved_regs[i]); /* pop callee-saved */
    }
    x64_ret(&b); /* ret (rax = tb | exit code) */

    tcg_cache_commit(s, (size_t)(b.ptr - base));
    s->code_start = s->code_used; /* flushes keep the prologue */
    return 0;
}

static uintptr_t x64_exec(TCGContext *s, void *env, TranslationBlock *tb)
{
    X64Priv *p = s->be_priv;
    uintptr_t (*enter)(void *, void *);
    /* the prologue is code in the cache: converting the pointer is what a JIT does */
    memcpy(&enter, &p->prologue, sizeof(enter));
    return enter(env, tb->code);
}

static void x64_set_jump(TCGContext *s, TranslationBlock *tb, int slot, TranslationBlock *dest)
{
    (void)s;
    uint8_t *field = (uint8_t *)tb->code + tb->jmp_insn_offset[slot];
    /* unchained: the jump goes to the next instruction, the exit path of the slot */
    const uint8_t *target = dest ? (const uint8_t *)dest->code : field + 4;
    int32_t rel = (int32_t)(target - (field + 4));
    /* the field is 4-byte aligned (gen_goto_tb): one store, never seen half-written */
    __atomic_store_n((int32_t *)(void *)field, rel, __ATOMIC_RELAXED);
}

static void x64_disas(TCGContext *s, TranslationBlock *tb, FILE *out)
{
    (void)s;
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        fprintf(out, "  (capstone unavailable)\n");
        return;
    }
    cs_insn *insn;
    size_t n = cs_disasm(h, tb->code, tb->code_size, (uint64_t)(uintptr_t)tb->code, 0, &insn);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "  0x%016" PRIx64 ":  %-6s %s\n", insn[i].address, insn[i].mnemonic,
                insn[i].op_str);
    }
    if (n) {
        cs_free(insn, n);
    }
    cs_close(&h);
}

const Backend backend_x86_64 = {
    .name = "x86_64",
    .native_flags = false,
    .init = x64_init,
    .gen_code = x64_gen_code,
    .exec = x64_exec,
    .set_jump = x64_set_jump,
    .disas = x64_disas,
};
