/*
 * tcg/exec.c — the execution loop: find or translate a block, run it, chain it, handle its exit.
 *
 * Instruction counting (DESIGN.md, "Time and determinism"): every TB charges its instruction
 * count against env->budget at entry and exits before running when that would make the budget
 * negative. When the budget left is smaller than the next block, the loop translates a one-shot
 * block of exactly that many instructions, so slices end on exact instruction boundaries.
 * A fault inside a block refunds the instructions that did not retire.
 */
#include <assert.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "tcg/tcg.h"

#define TB_MAX_INSNS 512

static void log_tb(TCGContext *s, CPUCommon *env, TranslationBlock *tb, unsigned mask)
{
    if (mask & LOG_IN_ASM) {
        fprintf(s->log, "IN: pc=0x%" PRIx64 " (%u insns, %u bytes)\n", tb->pc, tb->icount,
                tb->size);
        if (s->fe->disas) {
            s->fe->disas(s, env, tb, s->log);
        }
        fputc('\n', s->log);
    }
}

static TranslationBlock *tb_gen(TCGContext *s, CPUCommon *env, uint64_t pc, uint64_t cs_base,
                                uint32_t flags, uint32_t cflags)
{
    IRFunc *f = &s->ir;
    for (int attempt = 0; attempt < 3; attempt++) {
        size_t max = (cflags & CF_COUNT_MASK) ? (cflags & CF_COUNT_MASK) : TB_MAX_INSNS;
        TranslationBlock *tb = tb_alloc(s, max);
        if (!tb) {
            tcg_flush(s);
            continue;
        }
        tb->pc = pc;
        tb->cs_base = cs_base;
        tb->flags = flags;
        tb->cflags = cflags;
        ir_func_reset(f);
        f->stat_flags_defs = f->stat_flags_dropped = 0;
        if (s->fe->translate(s, env, tb, f) < 0) {
            tb_alloc_undo(s, tb);
            return NULL;
        }
        assert(tb->icount > 0 && tb->icount <= max);
        /* the teaching order: guest code, its IR, the optimized IR, the host code */
        log_tb(s, env, tb, s->log_mask);
        if (s->log_mask & LOG_OP) {
            fprintf(s->log, "OP:\n");
            ir_dump(f, s->log);
            fputc('\n', s->log);
        }
        if (!s->backend->native_flags) {
            tcg_lower_flags(f);
        }
        tcg_optimize(f);
        if (s->log_mask & LOG_OP_OPT) {
            fprintf(s->log, "OP after optimization:\n");
            ir_dump(f, s->log);
            fputc('\n', s->log);
        }
        if (s->backend->gen_code(s, f, tb) < 0) {
            tb_alloc_undo(s, tb);
            tcg_flush(s);
            continue;
        }
        tb_alloc_trim(s, tb);
        bool new_page;
        if (!tb_register(s, tb, &new_page)) {
            tcg_flush(s);
            continue;
        }
        s->stats.tbs_translated++;
        s->stats.guest_insns_translated += tb->icount;
        s->stats.flags_defs += f->stat_flags_defs;
        s->stats.flags_dropped += f->stat_flags_dropped;
        if (new_page) {
            for (int n = 0; n < 2; n++) {
                if (tb->phys_page[n] != (uint64_t)-1) {
                    softmmu_code_page_added(env, tb->phys_page[n]);
                }
            }
        }
        if (s->log_mask & LOG_OUT_ASM) {
            fprintf(s->log, "OUT: [size=%u]\n", tb->code_size);
            s->backend->disas(s, tb, s->log);
            fputc('\n', s->log);
        }
        return tb;
    }
    fprintf(stderr, "xlat: cannot fit a translated block into the code cache\n");
    exit(1);
}

TranslationBlock *tb_find_or_translate(TCGContext *s, CPUCommon *env, uint32_t cflags)
{
    uint64_t pc, phys_pc, cs_base;
    uint32_t flags;
    s->fe->get_tb_key(env, &pc, &phys_pc, &cs_base, &flags);
    if (!(cflags & CF_NOCACHE)) {
        TranslationBlock *tb = tb_lookup(s, env, pc, phys_pc, cs_base, flags, cflags);
        if (tb) {
            return tb;
        }
    }
    return tb_gen(s, env, pc, cs_base, flags, cflags);
}

TranslationBlock *tcg_lookup_tb_for_jump(CPUCommon *env)
{
    TCGContext *s = env->tcg;
    if (env->exit_request || s->next_cflags || (s->log_mask & (LOG_EXEC | LOG_CPU))) {
        return NULL;
    }
    uint64_t pc, phys_pc, cs_base;
    uint32_t flags;
    if (s->fe->get_pc_key) {
        s->fe->get_pc_key(env, &pc, &cs_base, &flags);
        TranslationBlock *tb = tb_lookup_jump(s, env, pc, cs_base, flags);
        if (tb) {
            return tb;
        }
    }
    s->fe->get_tb_key(env, &pc, &phys_pc, &cs_base, &flags);
    return tb_lookup(s, env, pc, phys_pc, cs_base, flags, 0);
}

TranslationBlock *tcg_lookup_tb_ic(CPUCommon *env, TBJumpCache *jc, uint64_t key)
{
    TranslationBlock *tb = tcg_lookup_tb_for_jump(env);
    const TranslationBlock *from = jc->owner;
    /* remembered only for a target in the source block's own mode and CS base (the inline
       check compares the key alone), and only while nothing asks for the loop */
    if (tb && tb->cflags == 0 && tb->flags == from->flags && tb->cs_base == from->cs_base) {
        jc->key = key;
        jc->tb = tb;
        jc->gen_not = ~env->jump_gen;
    }
    return tb;
}

void cpu_exit(CPUCommon *env)
{
    if (!env->exit_request) {
        env->exit_request = 1;
        env->budget_saved = env->budget;
        /* far below zero, so every block entry check fails; it is restored by the loop */
        env->budget = INT64_MIN / 2;
    }
}

static void take_exit_request(CPUCommon *env)
{
    env->exit_request = 0;
    env->budget = env->budget_saved;
}

_Noreturn void tcg_raise(CPUCommon *env)
{
    TCGContext *s = env->tcg;
    TranslationBlock *tb = env->cur_tb;
    if (tb) {
        /* the faulting instruction and the ones after it did not retire */
        s->fe->restore_state(env, tb, (int)env->insn_index);
        int64_t refund = (int64_t)tb->icount - env->insn_index;
        if (env->exit_request) {
            env->budget_saved += refund;
        } else {
            env->budget += refund;
        }
        env->cur_tb = NULL;
    }
    longjmp(*s->exit_jmp, 1);
}

_Noreturn void tcg_exit_after_insn(CPUCommon *env)
{
    TCGContext *s = env->tcg;
    TranslationBlock *tb = env->cur_tb;
    if (tb) {
        int64_t refund = (int64_t)tb->icount - env->insn_index - 1;
        if (env->exit_request) {
            env->budget_saved += refund;
        } else {
            env->budget += refund;
        }
        env->cur_tb = NULL;
    }
    longjmp(*s->exit_jmp, 1);
}

_Noreturn void tcg_restart_insn(CPUCommon *env)
{
    env->tcg->next_cflags = 1 | CF_NOCACHE;
    tcg_raise(env);
}

int tcg_cpu_exec(TCGContext *s, CPUCommon *env)
{
    jmp_buf jb;
    jmp_buf *outer = s->exit_jmp;
    TranslationBlock *volatile last = NULL;
    volatile int last_slot = 0;
    volatile uint64_t flushes = s->stats.tb_flushes;
    int ret;
    s->jump_gen = &env->jump_gen;

    s->exit_jmp = &jb;
    if (setjmp(jb)) {
        /* back from a helper that raised or exited: the state was made precise there */
        last = NULL;
    }
    for (;;) {
        if (env->exit_request) {
            take_exit_request(env);
            ret = TCG_EXIT_STOP;
            break;
        }
        bool stop = s->fe->exec_pending && s->fe->exec_pending(env);
        if (env->exit_request) {
            /* delivering an event may itself ask to stop (a reset, an error) */
            take_exit_request(env);
            stop = true;
        }
        if (stop) {
            ret = TCG_EXIT_STOP;
            break;
        }
        if (env->budget <= 0) {
            ret = TCG_EXIT_BUDGET;
            break;
        }
        uint32_t cflags = s->next_cflags;
        s->next_cflags = 0;
        TranslationBlock *tb = tb_find_or_translate(s, env, cflags);
        if (!tb) {
            /* the first instruction could not be fetched: a fault is pending */
            last = NULL;
            continue;
        }
        if (flushes != s->stats.tb_flushes) {
            flushes = s->stats.tb_flushes;
            last = NULL;
        }
        if (last && !(s->log_mask & (LOG_EXEC | LOG_CPU))) {
            tb_link(s, last, last_slot, tb);
        }
        if (s->log_mask & LOG_CPU) {
            s->fe->dump_state(env, s->log);
        }
        if (s->log_mask & LOG_EXEC) {
            fprintf(s->log, "Trace: tb %p pc=0x%" PRIx64 "\n", (void *)tb, tb->pc);
        }
        uintptr_t r = s->backend->exec(s, env, tb);
        env->cur_tb = NULL;
        TranslationBlock *exit_tb = (TranslationBlock *)(r & ~(uintptr_t)3);
        int code = (int)(r & 3);
        switch (code) {
        case IR_EXIT_SLOT0:
        case IR_EXIT_SLOT1:
            last = exit_tb;
            last_slot = code;
            break;
        case IR_EXIT_BUDGET:
            /* the block did not run; chained entries do not store the guest pc, so take it
               from the block itself */
            s->fe->restore_state(env, exit_tb, 0);
            last = NULL;
            s->stats.exits_budget++;
            if (!env->exit_request && env->budget > 0 && env->budget < exit_tb->icount) {
                /* finish the slice exactly: a one-shot block of the instructions left */
                s->next_cflags = (uint32_t)env->budget | CF_NOCACHE;
            }
            break;
        default:
            last = NULL;
            break;
        }
        if (exit_tb->cflags & CF_NOCACHE) {
            last = NULL;
        }
    }
    s->exit_jmp = outer;
    return ret;
}
