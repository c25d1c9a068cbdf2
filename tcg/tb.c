/*
 * tcg/tb.c — the code cache and the translation-block table.
 *
 * Owns: the executable code buffer (bump-allocated, flushed whole when full), the TB pool, the
 * hash table keyed by (pc, CS base, flags, cflags), the per-CPU jump cache, the per-page lists of
 * TBs used to invalidate translated code when the guest writes to it, and chaining bookkeeping
 * (each TB lists the jumps that enter it so invalidation can unchain them).
 */
#include "tcg/tcg.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct TBPageEntry {
    uint64_t page;             /* guest physical page address, or -1 when unused */
    TranslationBlock *first;   /* list through page_next[n]; pointer tagged with n */
} TBPageEntry;

#define PAGES_INIT (1u << 14)

static size_t page_slot(TCGContext *s, uint64_t page)
{
    uint64_t h = (page >> 12) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (s->pages_size - 1);
}

static TBPageEntry *page_find(TCGContext *s, uint64_t page, bool create)
{
    size_t i = page_slot(s, page);
    for (;;) {
        TBPageEntry *e = &s->pages[i];
        if (e->page == page) {
            return e;
        }
        if (e->page == (uint64_t)-1) {
            if (!create) {
                return NULL;
            }
            e->page = page;
            e->first = NULL;
            s->pages_used++;
            return e;
        }
        i = (i + 1) & (s->pages_size - 1);
    }
}

static void pages_clear(TCGContext *s)
{
    memset(s->pages, 0xff, sizeof(TBPageEntry) * s->pages_size);
    s->pages_used = 0;
}

int tcg_init(TCGContext *s, const Backend *be, const TCGFrontend *fe, size_t cache_size)
{
    memset(s, 0, sizeof(*s));
    s->backend = be;
    s->fe = fe;
    s->code_size = cache_size;
    s->code_buf = mmap(NULL, cache_size, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->code_buf == MAP_FAILED) {
        /* the interpreter does not need executable memory */
        s->code_buf = mmap(NULL, cache_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
        if (s->code_buf == MAP_FAILED) {
            return -1;
        }
    }
    /* one TB per 128 bytes of code is generous; the pool is flushed with the cache */
    s->max_tbs = cache_size / 128 + 64;
    s->tbs = calloc(s->max_tbs, sizeof(TranslationBlock));
    s->max_insn_pcs = s->max_tbs * 8;
    s->insn_pcs = calloc(s->max_insn_pcs, sizeof(uint64_t));
    s->pages_size = PAGES_INIT;
    s->pages = malloc(sizeof(TBPageEntry) * s->pages_size);
    if (!s->tbs || !s->insn_pcs || !s->pages) {
        return -1;
    }
    pages_clear(s);
    ir_func_init(&s->ir);
    s->log = stderr;
    if (be->init && be->init(s) < 0) {
        return -1;
    }
    s->code_start = s->code_used;
    return 0;
}

void tcg_free(TCGContext *s)
{
    if (s->code_buf && s->code_buf != MAP_FAILED) {
        munmap(s->code_buf, s->code_size);
    }
    free(s->tbs);
    free(s->insn_pcs);
    free(s->pages);
    free(s->be_priv);
    free(s->fe_priv);
    ir_func_free(&s->ir);
    memset(s, 0, sizeof(*s));
}

void tcg_cache_commit(TCGContext *s, size_t bytes)
{
    s->code_used += (bytes + 15) & ~(size_t)15;
    assert(s->code_used <= s->code_size);
    s->stats.host_code_bytes += bytes;
}

void tcg_flush(TCGContext *s)
{
    s->code_used = s->code_start;
    s->nb_tbs = 0;
    s->nb_insn_pcs = 0;
    memset(s->hash, 0, sizeof(s->hash));
    memset(s->jmp_cache, 0, sizeof(s->jmp_cache));
    pages_clear(s);
    s->stats.tb_flushes++;
}

static uint32_t tb_hash(uint64_t pc, uint64_t cs_base, uint32_t flags, uint32_t cflags)
{
    uint64_t h = pc * 0x9e3779b97f4a7c15ull ^ cs_base * 0xc2b2ae3d27d4eb4full ^
                 ((uint64_t)flags << 32 | cflags) * 0x165667b19e3779f9ull;
    return (uint32_t)(h >> (64 - TB_HASH_BITS));
}

static uint32_t jc_hash(uint64_t pc)
{
    return (uint32_t)((pc ^ (pc >> TB_JMP_CACHE_BITS)) & (TB_JMP_CACHE_SIZE - 1));
}

TranslationBlock *tb_lookup_jump(TCGContext *s, CPUCommon *env, uint64_t pc, uint64_t cs_base,
                                 uint32_t flags)
{
    uint32_t j = jc_hash(pc);
    TranslationBlock *tb = s->jmp_cache[j];
    if (tb && s->jmp_cache_gen[j] == env->jump_gen && tb->pc == pc && tb->cs_base == cs_base &&
        tb->flags == flags && tb->cflags == 0) {
        s->stats.jc_lookups++;
        s->stats.jc_hits++;
        return tb;
    }
    return NULL;
}

TranslationBlock *tb_lookup(TCGContext *s, CPUCommon *env, uint64_t pc, uint64_t phys_pc,
                            uint64_t cs_base, uint32_t flags, uint32_t cflags)
{
    uint32_t j = jc_hash(pc);
    TranslationBlock *tb = s->jmp_cache[j];
    s->stats.jc_lookups++;
    if (tb && tb->pc == pc && tb->phys_pc == phys_pc && tb->cs_base == cs_base &&
        tb->flags == flags && tb->cflags == cflags) {
        s->stats.jc_hits++;
        if (env) {
            s->jmp_cache_gen[j] = env->jump_gen; /* the mapping was just checked */
        }
        return tb;
    }
    for (tb = s->hash[tb_hash(pc, cs_base, flags, cflags)]; tb; tb = tb->hash_next) {
        if (tb->pc == pc && tb->phys_pc == phys_pc && tb->cs_base == cs_base &&
            tb->flags == flags && tb->cflags == cflags) {
            s->jmp_cache[j] = tb;
            s->jmp_cache_gen[j] = env ? env->jump_gen : 0;
            return tb;
        }
    }
    return NULL;
}

/* Allocate a TB and its instruction table; NULL when the pool is exhausted. */
TranslationBlock *tb_alloc(TCGContext *s, size_t max_insns)
{
    if (s->nb_tbs == s->max_tbs || s->nb_insn_pcs + max_insns > s->max_insn_pcs) {
        return NULL;
    }
    TranslationBlock *tb = &s->tbs[s->nb_tbs++];
    memset(tb, 0, sizeof(*tb));
    tb->insn_pc = &s->insn_pcs[s->nb_insn_pcs];
    tb->phys_page[0] = tb->phys_page[1] = (uint64_t)-1;
    return tb;
}

/* Give back the unused part of the instruction table of the newest TB. */
void tb_alloc_trim(TCGContext *s, TranslationBlock *tb)
{
    s->nb_insn_pcs = (size_t)(tb->insn_pc - s->insn_pcs) + tb->icount;
}

/* Drop the newest TB (translation failed). */
void tb_alloc_undo(TCGContext *s, TranslationBlock *tb)
{
    assert(tb == &s->tbs[s->nb_tbs - 1]);
    s->nb_insn_pcs = (size_t)(tb->insn_pc - s->insn_pcs);
    s->nb_tbs--;
}

/* Enter a freshly generated TB in the hash table and the page lists. Returns false if the
   page table is too full (the caller flushes). */
bool tb_register(TCGContext *s, TranslationBlock *tb, bool *new_code_page)
{
    *new_code_page = false;
    if (s->pages_used * 4 >= s->pages_size * 3) {
        return false;
    }
    if (!(tb->cflags & CF_NOCACHE)) {
        uint32_t h = tb_hash(tb->pc, tb->cs_base, tb->flags, tb->cflags);
        tb->hash_next = s->hash[h];
        s->hash[h] = tb;
        for (int n = 0; n < 2; n++) {
            if (tb->phys_page[n] == (uint64_t)-1) {
                continue;
            }
            TBPageEntry *e = page_find(s, tb->phys_page[n], true);
            if (!e->first) {
                *new_code_page = true;
            }
            tb->page_next[n] = e->first;
            e->first = (TranslationBlock *)((uintptr_t)tb | (uintptr_t)n);
        }
    }
    return true;
}

bool tb_page_has_code(TCGContext *s, uint64_t page)
{
    TBPageEntry *e = page_find(s, page & TLB_PAGE_MASK, false);
    return e && e->first;
}

/* Chain slot `slot` of `from` to `to`: patch the host jump and record the incoming edge. */
void tb_link(TCGContext *s, TranslationBlock *from, int slot, TranslationBlock *to)
{
    if (from->jmp_dest[slot] || from->invalid || to->invalid || (from->cflags & CF_NOCACHE) ||
        (to->cflags & CF_NOCACHE)) {
        return;
    }
    s->backend->set_jump(s, from, slot, to);
    from->jmp_dest[slot] = to;
    from->jmp_list_next[slot] = to->jmp_list_head;
    to->jmp_list_head = (uintptr_t)from | (uintptr_t)slot;
    s->stats.chained++;
}

/* Remove the edge (from, slot) from its destination's incoming list. */
static void jmp_unlink_outgoing(TranslationBlock *from, int slot)
{
    TranslationBlock *to = from->jmp_dest[slot];
    if (!to) {
        return;
    }
    uintptr_t *pp = &to->jmp_list_head;
    while (*pp) {
        TranslationBlock *t = (TranslationBlock *)(*pp & ~(uintptr_t)3);
        int n = (int)(*pp & 3);
        if (t == from && n == slot) {
            *pp = t->jmp_list_next[n];
            break;
        }
        pp = &t->jmp_list_next[n];
    }
    from->jmp_dest[slot] = NULL;
}

static void tb_invalidate(TCGContext *s, TranslationBlock *tb)
{
    tb->invalid = true;
    s->stats.tbs_invalidated++;
    /* out of the hash chain */
    TranslationBlock **pp = &s->hash[tb_hash(tb->pc, tb->cs_base, tb->flags, tb->cflags)];
    while (*pp) {
        if (*pp == tb) {
            *pp = tb->hash_next;
            break;
        }
        pp = &(*pp)->hash_next;
    }
    uint32_t j = jc_hash(tb->pc);
    if (s->jmp_cache[j] == tb) {
        s->jmp_cache[j] = NULL;
    }
    /* inline caches elsewhere may lead here: a new generation empties them all */
    if (s->jump_gen) {
        (*s->jump_gen)++;
    }
    /* jumps into this TB fall back to their exits */
    uintptr_t e = tb->jmp_list_head;
    while (e) {
        TranslationBlock *from = (TranslationBlock *)(e & ~(uintptr_t)3);
        int n = (int)(e & 3);
        e = from->jmp_list_next[n];
        s->backend->set_jump(s, from, n, NULL);
        from->jmp_dest[n] = NULL;
    }
    tb->jmp_list_head = 0;
    for (int n = 0; n < 2; n++) {
        jmp_unlink_outgoing(tb, n);
    }
}

/* Unlink tb from the list of page entry e (it is there through page_next[n]). */
static void page_list_remove(TBPageEntry *e, TranslationBlock *tb, int n)
{
    TranslationBlock **pp = &e->first;
    while (*pp) {
        TranslationBlock *t = (TranslationBlock *)((uintptr_t)*pp & ~(uintptr_t)3);
        int m = (int)((uintptr_t)*pp & 3);
        if (t == tb && m == n) {
            *pp = t->page_next[m];
            return;
        }
        pp = &t->page_next[m];
    }
}

/* The guest bytes of tb that lie on page number n of the TB. */
static void tb_page_range(TranslationBlock *tb, int n, uint64_t *start, uint64_t *end)
{
    uint64_t first_len = TLB_PAGE_SIZE - (tb->phys_pc & (TLB_PAGE_SIZE - 1));
    if (first_len > tb->size) {
        first_len = tb->size;
    }
    if (n == 0) {
        *start = tb->phys_pc;
        *end = tb->phys_pc + first_len;
    } else {
        *start = tb->phys_page[1];
        *end = tb->phys_page[1] + (tb->size - first_len);
    }
}

int tb_invalidate_phys_range(TCGContext *s, uint64_t start, uint64_t end)
{
    TBPageEntry *e = page_find(s, start & TLB_PAGE_MASK, false);
    int count = 0;
    if (!e) {
        return 0;
    }
    TranslationBlock *p = e->first;
    while (p) {
        TranslationBlock *tb = (TranslationBlock *)((uintptr_t)p & ~(uintptr_t)3);
        int n = (int)((uintptr_t)p & 3);
        p = tb->page_next[n];
        uint64_t ts, te;
        tb_page_range(tb, n, &ts, &te);
        if (ts < end && start < te) {
            tb_invalidate(s, tb);
            for (int m = 0; m < 2; m++) {
                if (tb->phys_page[m] != (uint64_t)-1) {
                    TBPageEntry *pe = page_find(s, tb->phys_page[m], false);
                    if (pe) {
                        page_list_remove(pe, tb, m);
                    }
                }
            }
            count++;
        }
    }
    return count;
}

int tb_invalidate_phys_page(TCGContext *s, uint64_t page)
{
    page &= TLB_PAGE_MASK;
    return tb_invalidate_phys_range(s, page, page + TLB_PAGE_SIZE);
}
