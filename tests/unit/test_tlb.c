/*
 * tests/unit/test_tlb.c — the software TLB and the guest-memory slow paths (softmmu/tlb.c), and
 * the run loop of softmmu/machine.c on tiny firmware images.
 *
 * The slow paths are called directly, as translated code calls them, on a machine built by
 * machine_create (4 MiB of RAM, a 64 KiB firmware image written here, the interpreter backend).
 * Expected values: x86 byte order and sign extension (SDM Vol. 1 1.3.1, MOVSX), the TLB entry
 * contract of softmmu/tlb-defs.h, and the self-modifying-code rule of SDM Vol. 3A 11.6.
 */
#include <check.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "softmmu/machine.h"

#define RAM_SIZE  (4u << 20)
#define BIOS_SIZE (64u << 10)

#define MO(size, mmu) ((uint32_t)(size) | (uint32_t)(mmu) << IR_MEMOP_MMU_SHIFT)

static char bios_path[64];
static Machine *m;
static CPUCommon *env;

/* A firmware image: pattern bytes, then `code` at image offset `off`. */
static void write_bios(const uint8_t *code, size_t len, size_t off)
{
    uint8_t *img = malloc(BIOS_SIZE);
    for (size_t i = 0; i < BIOS_SIZE; i++) {
        img[i] = (uint8_t)(i * 3);
    }
    img[BIOS_SIZE - 16] = 0xf4; /* hlt */
    if (len) {
        memcpy(img + off, code, len);
    }
    strcpy(bios_path, "/tmp/xlat-test-bios-XXXXXX");
    int fd = mkstemp(bios_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, img, BIOS_SIZE), (ssize_t)BIOS_SIZE);
    close(fd);
    free(img);
}

static Machine *new_machine(const char *accel, const char *debugcon, bool debug_exit)
{
    MachineOptions o = {.ram_size = RAM_SIZE,
                        .bios = bios_path,
                        .accel = accel,
                        .debugcon = debugcon,
                        .code_cache_size = 4 << 20,
                        .debug_exit = debug_exit,
                        .debug_exit_iobase = 0xf4,
                        .debug_exit_iosize = 4};
    Machine *mm = machine_create(&o);
    unlink(bios_path);
    ck_assert_ptr_nonnull(mm);
    return mm;
}

static void setup(void)
{
    write_bios(NULL, 0, 0);
    m = new_machine("interp", "none", false);
    env = &m->cpu.common;
}

static void teardown(void)
{
    machine_destroy(m);
    m = NULL;
}

static TLBEntry *entry(unsigned mmu, uint64_t addr)
{
    return &env->tlb[mmu][(addr >> TLB_PAGE_BITS) & (TLB_SIZE - 1)];
}

/* ---- an MMIO device recording its accesses ------------------------------------------------- */

typedef struct Probe {
    int reads, writes;
    uint64_t off[16], val[16];
    unsigned size[16];
} Probe;
static Probe probe;

static uint64_t probe_read(void *opaque, uint64_t off, unsigned size)
{
    Probe *p = opaque;
    int i = p->reads++ & 15;
    p->off[i] = off;
    p->size[i] = size;
    return 0xf0 + (off & 0xf); /* byte-sized answers: f0 f1 f2 ... */
}

static void probe_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Probe *p = opaque;
    int i = p->writes++ & 15;
    p->off[i] = off;
    p->val[i] = val;
    p->size[i] = size;
}

/* a device on the page just above RAM, so accesses can cross from RAM into it */
static void add_probe(void)
{
    memset(&probe, 0, sizeof(probe));
    ck_assert_int_ge(
        as_add_mmio(&m->mem, "probe", RAM_SIZE, 0x1000, probe_read, probe_write, &probe, 0), 0);
    tlb_flush(m);
}

/* ---- fills ---------------------------------------------------------------------------------- */

START_TEST(test_flush)
{
    uint64_t before = m->tlb_flushes;
    softmmu_ld_slow(env, 0x1000, MO(IR_MO_32, 0));
    tlb_flush(m);
    ck_assert_uint_eq(m->tlb_flushes, before + 1);
    for (unsigned mmu = 0; mmu < TLB_NB_MMU; mmu++) {
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            ck_assert_uint_eq(env->tlb[mmu][i].addr_read, TLB_INVALID);
            ck_assert_uint_eq(env->tlb[mmu][i].addr_write, TLB_INVALID);
            ck_assert_uint_eq(env->tlb[mmu][i].addr_code, TLB_INVALID);
        }
    }
}
END_TEST

START_TEST(test_fill_ram)
{
    m->ram[0x5123] = 0x11;
    m->ram[0x5124] = 0x22;
    uint64_t fills = m->tlb_fills, loads = m->slow_loads;
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x5123, MO(IR_MO_16, 1)), 0x2211);
    ck_assert_uint_eq(m->tlb_fills, fills + 1);
    ck_assert_uint_eq(m->slow_loads, loads + 1);
    TLBEntry *e = entry(1, 0x5123);
    /* the fast path can now read this page: tag = page, host = guest address + addend */
    ck_assert_uint_eq(e->addr_read, 0x5000);
    ck_assert_ptr_eq((uint8_t *)(uintptr_t)(0x5123 + e->addend), &m->ram[0x5123]);
    ck_assert_uint_eq(m->tlb_phys[1][5], 0x5000);
    /* a read fill opens nothing else (paging checks writes on their own) */
    ck_assert_uint_eq(e->addr_write, TLB_INVALID);
    ck_assert_uint_eq(entry(0, 0x5123)->addr_read, TLB_INVALID); /* other MMU indexes: no */
    /* a hit does not refill */
    softmmu_ld_slow(env, 0x5ffc, MO(IR_MO_32, 1));
    ck_assert_uint_eq(m->tlb_fills, fills + 1);
    /* a write fills the write tag of the same entry, keeping the read tag */
    softmmu_st_slow(env, 0x5200, 0xab, MO(IR_MO_8, 1));
    ck_assert_uint_eq(m->ram[0x5200], 0xab);
    ck_assert_uint_eq(e->addr_write, 0x5000);
    ck_assert_uint_eq(e->addr_read, 0x5000);
    /* another page on the same entry replaces every tag */
    uint64_t alias = 0x5000 + (TLB_SIZE << TLB_PAGE_BITS);
    softmmu_ld_slow(env, alias, MO(IR_MO_8, 1));
    ck_assert_uint_eq(e->addr_read, alias);
    ck_assert_uint_eq(e->addr_write, TLB_INVALID);
}
END_TEST

START_TEST(test_fill_rom)
{
    /* the BIOS alias below 1 MiB: image offset 0x0123 at 0xF0123 */
    ck_assert_uint_eq(softmmu_ld_slow(env, 0xf0123, MO(IR_MO_8, 0)), (uint8_t)(0x123 * 3));
    TLBEntry *e = entry(0, 0xf0123);
    ck_assert_uint_eq(e->addr_read, 0xf0000); /* ROM reads take the fast path */
    ck_assert_ptr_eq((uint8_t *)(uintptr_t)(0xf0123 + e->addend), &m->bios[0x123]);
    /* writes are dropped, through the slow path */
    softmmu_st_slow(env, 0xf0123, 0x55, MO(IR_MO_8, 0));
    ck_assert_uint_eq(e->addr_write, 0xf0000 | TLB_MMIO);
    ck_assert_uint_eq(m->bios[0x123], (uint8_t)(0x123 * 3));
    ck_assert_uint_eq(m->ram[0xf0123], 0);
    /* the same bytes at the top of 4 GiB */
    ck_assert_uint_eq(softmmu_ld_slow(env, 0xffff0123, MO(IR_MO_8, 0)), (uint8_t)(0x123 * 3));
    ck_assert_uint_eq(entry(0, 0xffff0123)->addr_read, 0xffff0000);
}
END_TEST

START_TEST(test_fill_mmio)
{
    add_probe();
    uint64_t a = RAM_SIZE + 0x10;
    ck_assert_uint_eq(softmmu_ld_slow(env, a, MO(IR_MO_8, 2)), 0xf0);
    ck_assert_int_eq(probe.reads, 1);
    ck_assert_uint_eq(probe.off[0], 0x10);
    ck_assert_uint_eq(probe.size[0], 1);
    TLBEntry *e = entry(2, a);
    ck_assert_uint_eq(e->addr_read, RAM_SIZE | TLB_MMIO); /* every access: slow path */
    softmmu_st_slow(env, a + 4, 0x12345678, MO(IR_MO_32, 2));
    ck_assert_uint_eq(e->addr_write, RAM_SIZE | TLB_MMIO);
    ck_assert_int_eq(probe.writes, 1);
    ck_assert_uint_eq(probe.off[0], 0x14);
    ck_assert_uint_eq(probe.val[0], 0x12345678);
    ck_assert_uint_eq(probe.size[0], 4);
    /* no code comes from a device */
    uint64_t phys = 0;
    ck_assert_ptr_null(softmmu_code_ptr(env, a, &phys));
    /* unassigned memory reads as all ones, writes vanish */
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x40000000, MO(IR_MO_32, 0)), 0xffffffffu);
    ck_assert_uint_eq(entry(0, 0x40000000)->addr_read, 0x40000000 | TLB_MMIO);
    softmmu_st_slow(env, 0x40000000, 0, MO(IR_MO_32, 0));
}
END_TEST

/* ---- loads and stores ----------------------------------------------------------------------- */

START_TEST(test_sign_extension)
{
    softmmu_st_slow(env, 0x2000, 0xfedcba9876543280ull, MO(IR_MO_64, 0));
    ck_assert_uint_eq(m->ram[0x2000], 0x80);
    ck_assert_uint_eq(m->ram[0x2007], 0xfe);
    /* MOVZX-like loads zero-extend, MOVSX-like sign-extend */
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2000, MO(IR_MO_8, 0)), 0x80);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2000, MO(IR_MO_8 | IR_MO_SIGN, 0)),
                      0xffffffffffffff80ull);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2000, MO(IR_MO_16, 0)), 0x3280);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2000, MO(IR_MO_16 | IR_MO_SIGN, 0)), 0x3280);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2006, MO(IR_MO_16 | IR_MO_SIGN, 0)),
                      0xfffffffffffffedcull);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2004, MO(IR_MO_32, 0)), 0xfedcba98);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2004, MO(IR_MO_32 | IR_MO_SIGN, 0)),
                      0xfffffffffedcba98ull);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2000, MO(IR_MO_64 | IR_MO_SIGN, 0)),
                      0xfedcba9876543280ull);
    /* a store keeps only its size */
    softmmu_st_slow(env, 0x2000, 0x1111, MO(IR_MO_8, 0));
    ck_assert_uint_eq(m->ram[0x2000], 0x11);
    ck_assert_uint_eq(m->ram[0x2001], 0x32);
}
END_TEST

START_TEST(test_page_crossing)
{
    /* a dword at 0x2ffe: two bytes on each page (page-crossing reads are legal on x86) */
    softmmu_st_slow(env, 0x2ffe, 0xa1b2c3d4, MO(IR_MO_32, 0));
    ck_assert_uint_eq(m->ram[0x2ffe], 0xd4);
    ck_assert_uint_eq(m->ram[0x2fff], 0xc3);
    ck_assert_uint_eq(m->ram[0x3000], 0xb2);
    ck_assert_uint_eq(m->ram[0x3001], 0xa1);
    /* both pages are in the TLB now */
    ck_assert_uint_eq(entry(0, 0x2ffe)->addr_write, 0x2000);
    ck_assert_uint_eq(entry(0, 0x3000)->addr_write, 0x3000);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2ffe, MO(IR_MO_32, 0)), 0xa1b2c3d4);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x2fff, MO(IR_MO_16 | IR_MO_SIGN, 0)),
                      0xffffffffffffb2c3ull);
    softmmu_st_slow(env, 0x3ffb, 0x0807060504030201ull, MO(IR_MO_64, 0));
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x3ffb, MO(IR_MO_64, 0)), 0x0807060504030201ull);
    ck_assert_uint_eq(m->ram[0x3fff], 0x05);
    ck_assert_uint_eq(m->ram[0x4000], 0x06);
}
END_TEST

START_TEST(test_page_crossing_into_mmio)
{
    add_probe();
    uint64_t a = RAM_SIZE - 2;
    m->ram[a] = 0x34;
    m->ram[a + 1] = 0x12;
    /* RAM bytes, then the device one byte at a time */
    ck_assert_uint_eq(softmmu_ld_slow(env, a, MO(IR_MO_32, 0)), 0xf1f01234);
    ck_assert_int_eq(probe.reads, 2);
    ck_assert_uint_eq(probe.off[0], 0);
    ck_assert_uint_eq(probe.off[1], 1);
    ck_assert_uint_eq(probe.size[1], 1);
    softmmu_st_slow(env, a, 0x89abcdef, MO(IR_MO_32, 0));
    ck_assert_uint_eq(m->ram[a], 0xef);
    ck_assert_uint_eq(m->ram[a + 1], 0xcd);
    ck_assert_int_eq(probe.writes, 2);
    ck_assert_uint_eq(probe.off[0], 0);
    ck_assert_uint_eq(probe.val[0], 0xab);
    ck_assert_uint_eq(probe.off[1], 1);
    ck_assert_uint_eq(probe.val[1], 0x89);
}
END_TEST

START_TEST(test_wrap_32bit)
{
    /* without IR_MO_A64 the address is 32-bit: a dword at 0xfffffffe takes the last two BIOS
       bytes and the first two bytes of RAM (linear addresses wrap at 4 GiB outside long mode) */
    m->ram[0] = 0x77;
    m->ram[1] = 0x66;
    uint64_t v = softmmu_ld_slow(env, 0xfffffffe, MO(IR_MO_32, 0));
    ck_assert_uint_eq(v, 0x6677u << 16 | (uint8_t)(0xffff * 3) << 8 | (uint8_t)(0xfffe * 3));
    /* an i32 address operand is taken modulo 2^32 even if the high half is not clean */
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x100000000ull, MO(IR_MO_8, 0)), 0x77);
}
END_TEST

/* ---- code pages ----------------------------------------------------------------------------- */

/* A registered TB covering guest physical [pc, pc + size) as the translator would leave it. */
static TranslationBlock *fake_tb(uint64_t pc, uint32_t size, uint32_t cflags)
{
    TranslationBlock *tb = tb_alloc(&m->tcg, 1);
    ck_assert_ptr_nonnull(tb);
    tb->pc = pc;
    tb->cflags = cflags;
    tb->icount = 1;
    tb->size = size;
    tb->phys_pc = pc;
    tb->phys_page[0] = pc & TLB_PAGE_MASK;
    tb->insn_pc[0] = pc;
    tb_alloc_trim(&m->tcg, tb);
    bool new_page;
    ck_assert(tb_register(&m->tcg, tb, &new_page));
    if (new_page && !(cflags & CF_NOCACHE)) {
        softmmu_code_page_added(env, tb->phys_page[0]);
    }
    return tb;
}

/* Data breakpoints (SDM Vol. 3A 17.2.4): with a write breakpoint in DR7, only the tags that can
   reach the watched bytes leave the fast path, and only a write to them is a hit. */
START_TEST(test_watch_marking)
{
    CPUX86State *x = x86_env(env);
    x->dr[0] = 0x5006;                                /* LEN 4 masks it to 0x5004..0x5007 */
    x->dr[7] = 0x400 | 1u | 1u << 16 | 3u << 18;      /* L0, R/W0 = 01, LEN0 = 11 */
    x86_update_hflags(x);
    tlb_flush(m);
    softmmu_st_slow(env, 0x5100, 1, MO(IR_MO_8, 0));  /* same page, other bytes: no hit */
    ck_assert_uint_eq(entry(0, 0x5000)->addr_write, 0x5000 | TLB_WATCH);
    ck_assert_uint_eq(softmmu_ld_slow(env, 0x5004, MO(IR_MO_32, 0)), 0); /* reads: fast */
    ck_assert_uint_eq(entry(0, 0x5000)->addr_read, 0x5000);
    softmmu_st_slow(env, 0x6000, 1, MO(IR_MO_8, 0));
    ck_assert_uint_eq(entry(0, 0x6000)->addr_write, 0x6000); /* other pages: fast */
    ck_assert_uint_eq(x->dbp_pending, 0);

    /* a hit from the last instruction of a running block: a trap owed, and the loop asked for */
    env->cur_tb = fake_tb(0x9100, 0x10, 0);
    env->insn_index = 0;
    softmmu_st_slow(env, 0x5002, 0xffffffff, MO(IR_MO_32, 0)); /* 0x5002..5: overlaps */
    env->cur_tb = NULL;
    ck_assert_uint_eq(x->dbp_pending, 1);
    ck_assert_int_eq(env->exit_request, 1);
    ck_assert_uint_eq(m->ram[0x5005], 0xff); /* the store is done: a trap, not a fault */
    env->exit_request = 0;
    env->budget = env->budget_saved;
    x->dbp_pending = 0;

    /* without data breakpoints the tags are the plain page again */
    x->dr[7] = 0x400;
    x86_update_hflags(x);
    tlb_flush(m);
    softmmu_st_slow(env, 0x5100, 1, MO(IR_MO_8, 0));
    ck_assert_uint_eq(entry(0, 0x5000)->addr_write, 0x5000);
}
END_TEST

START_TEST(test_code_page_marking)
{
    /* a page already writable in the TLB gets its writes diverted when code appears on it */
    softmmu_st_slow(env, 0x7000, 1, MO(IR_MO_8, 0));
    softmmu_st_slow(env, 0x7000, 1, MO(IR_MO_8, 3));
    ck_assert_uint_eq(entry(0, 0x7000)->addr_write, 0x7000);
    TranslationBlock *tb = fake_tb(0x7100, 0x10, 0);
    ck_assert_uint_eq(entry(0, 0x7000)->addr_write, 0x7000 | TLB_CODE);
    ck_assert_uint_eq(entry(3, 0x7000)->addr_write, 0x7000 | TLB_CODE);
    ck_assert_uint_eq(entry(0, 0x7000)->addr_read, TLB_INVALID); /* untouched */
    /* a write elsewhere on the page: the slow path, but the code stays */
    uint64_t smc = m->smc_invalidations;
    softmmu_st_slow(env, 0x7000, 0x42, MO(IR_MO_32, 0));
    ck_assert_uint_eq(m->ram[0x7000], 0x42);
    ck_assert(!tb->invalid);
    ck_assert_uint_eq(m->smc_invalidations, smc);
    ck_assert_uint_eq(entry(0, 0x7000)->addr_write, 0x7000 | TLB_CODE);
    /* a fill of a code page marks it from the start */
    tlb_flush(m);
    softmmu_st_slow(env, 0x70f0, 0, MO(IR_MO_32, 1));
    ck_assert_uint_eq(entry(1, 0x7000)->addr_write, 0x7000 | TLB_CODE);
    /* the last byte before the block does not touch it; its first byte does */
    softmmu_st_slow(env, 0x70fc, 0xaabbccdd, MO(IR_MO_32, 1));
    ck_assert(!tb->invalid);
    softmmu_st_slow(env, 0x70fd, 0xaabbccdd, MO(IR_MO_32, 1));
    ck_assert(tb->invalid);
    ck_assert_uint_eq(m->smc_invalidations, smc + 1);
    ck_assert_uint_eq(m->ram[0x7100], 0xaa); /* the write happened (no TB was running) */
    /* no code left on the page: back to the fast path */
    ck_assert(!tb_page_has_code(&m->tcg, 0x7000));
    ck_assert_uint_eq(entry(1, 0x7000)->addr_write, 0x7000);
}
END_TEST

START_TEST(test_code_write_restarts_running_tb)
{
    TranslationBlock *tb = fake_tb(0x8000, 0x20, 0);
    jmp_buf jb;
    m->tcg.exit_jmp = &jb;
    m->ram[0x8010] = 0x90;
    env->budget = 100;
    if (setjmp(jb) == 0) {
        /* the running block stores into its own bytes */
        env->cur_tb = tb;
        env->insn_index = 0;
        softmmu_st_slow(env, 0x8010, 0xcc, MO(IR_MO_8, 0));
        ck_abort_msg("the store returned instead of restarting the instruction");
    }
    ck_assert(tb->invalid);
    ck_assert_uint_eq(m->ram[0x8010], 0x90); /* not written: the instruction runs again */
    ck_assert_uint_eq(m->tcg.next_cflags, 1 | CF_NOCACHE);
    ck_assert_ptr_null(env->cur_tb);
    ck_assert_int_eq(env->budget, 101); /* the instruction did not retire */
    ck_assert_uint_eq(m->smc_invalidations, 1);

    /* the one-instruction block it re-executes in is not registered, so the write completes */
    m->tcg.next_cflags = 0;
    TranslationBlock *again = fake_tb(0x8000, 0x20, 1 | CF_NOCACHE);
    env->cur_tb = again;
    softmmu_st_slow(env, 0x8010, 0xcc, MO(IR_MO_8, 0));
    ck_assert_uint_eq(m->ram[0x8010], 0xcc);
    ck_assert(!again->invalid);
    env->cur_tb = NULL;
    m->tcg.exit_jmp = NULL;
}
END_TEST

START_TEST(test_code_ptr)
{
    uint64_t phys = 0;
    m->ram[0x9abc] = 0x5a;
    const uint8_t *p = softmmu_code_ptr(env, 0x9abc, &phys);
    ck_assert_ptr_eq(p, &m->ram[0x9abc]);
    ck_assert_uint_eq(phys, 0x9abc);
    /* the reset vector, read through the top-of-4-GiB copy of the BIOS */
    p = softmmu_code_ptr(env, 0xfffffff0, &phys);
    ck_assert_ptr_eq(p, &m->bios[BIOS_SIZE - 16]);
    ck_assert_uint_eq(*p, 0xf4);
    ck_assert_uint_eq(phys, 0xfffffff0);
    ck_assert_ptr_null(softmmu_code_ptr(env, 0x40000000, &phys)); /* nothing there */
}
END_TEST

START_TEST(test_write_phys_invalidates)
{
    TranslationBlock *tb = fake_tb(0xa000, 8, 0);
    softmmu_stl_phys(m, 0xa100, 0x11223344);
    ck_assert(!tb->invalid);
    ck_assert_uint_eq(softmmu_ldl_phys(m, 0xa100), 0x11223344);
    softmmu_stw_phys(m, 0x9fff, 0xbeef); /* the last byte lands on the block */
    ck_assert(tb->invalid);
    ck_assert_uint_eq(softmmu_ldub_phys(m, 0xa000), 0xbe);
    ck_assert_uint_eq(softmmu_lduw_phys(m, 0xfffffff0), 0xf4 | (uint8_t)(0xfff1 * 3) << 8);
}
END_TEST

/* ---- the run loop on tiny firmware ---------------------------------------------------------- */

static const char *const accels[] = {
    "interp",
#ifdef CONFIG_HOST_X86_64
    "jit",
#endif
};

START_TEST(test_run_debugcon_exit)
{
    /* at the reset vector F000:FFF0 (real mode):
         mov al,'A' / out 0xe9,al / mov al,10 / out 0xe9,al / mov al,5 / out 0xf4,al / hlt */
    static const uint8_t code[] = {0xb0, 0x41, 0xe6, 0xe9, 0xb0, 0x0a, 0xe6,
                                   0xe9, 0xb0, 0x05, 0xe6, 0xf4, 0xf4};
    char con[64] = "/tmp/xlat-test-con-XXXXXX", spec[80];
    close(mkstemp(con));
    snprintf(spec, sizeof(spec), "file:%s", con);
    write_bios(code, sizeof(code), BIOS_SIZE - 16);
    Machine *mm = new_machine(accels[_i], spec, true);
    ck_assert_int_eq(machine_run(mm), (5 << 1) | 1);
    /* the six instructions up to the exiting OUT retired (the HLT may or may not have) */
    ck_assert_uint_ge(mm->icount, 6);
    ck_assert_uint_le(mm->icount, 7);
    machine_destroy(mm);
    char buf[16] = {0};
    FILE *f = fopen(con, "r");
    ck_assert_uint_eq(fread(buf, 1, sizeof(buf) - 1, f), 2);
    fclose(f);
    unlink(con);
    ck_assert_str_eq(buf, "A\n");
}
END_TEST

START_TEST(test_run_halt_forever)
{
    /* hlt with IF=0 after reset (SDM Vol. 3A 9.1.1: EFLAGS = 2) */
    write_bios(NULL, 0, 0);
    Machine *mm = new_machine(accels[_i], "none", true);
    ck_assert_int_eq(machine_run(mm), XLAT_EXIT_HALTED);
    machine_destroy(mm);
}
END_TEST

START_TEST(test_run_slow_paths)
{
    /* reset vector: jmp F000:0000; then at image offset 0 (linear 0xF0000):
         xor ax,ax / mov ds,ax / mov ax,0x1234 / mov [0x0fff],ax   (store across a page)
         mov bx,[0x0fff] / mov [0x0600],bx                          (load across a page)
         mov ax,0xf000 / mov ds,ax / mov ax,0x55aa / mov [0x0100],ax (store into the ROM)
         mov al,0 / out 0xf4,al / hlt */
    static const uint8_t code[] = {
        0x31, 0xc0, 0x8e, 0xd8, 0xb8, 0x34, 0x12, 0x89, 0x06, 0xff, 0x0f, 0x8b,
        0x1e, 0xff, 0x0f, 0x89, 0x1e, 0x00, 0x06, 0xb8, 0x00, 0xf0, 0x8e, 0xd8,
        0xb8, 0xaa, 0x55, 0x89, 0x06, 0x00, 0x01, 0xb0, 0x00, 0xe6, 0xf4, 0xf4,
    };
    static const uint8_t reset[] = {0xea, 0x00, 0x00, 0x00, 0xf0};
    write_bios(code, sizeof(code), 0);
    /* and the far jump at the reset vector */
    FILE *f = fopen(bios_path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, BIOS_SIZE - 16, SEEK_SET);
    fwrite(reset, 1, sizeof(reset), f);
    fclose(f);
    Machine *mm = new_machine(accels[_i], "none", true);
    ck_assert_int_eq(machine_run(mm), 1);
    ck_assert_uint_eq(mm->ram[0xfff], 0x34);
    ck_assert_uint_eq(mm->ram[0x1000], 0x12);
    ck_assert_uint_eq(mm->ram[0x600], 0x34);
    ck_assert_uint_eq(mm->ram[0x601], 0x12);
    ck_assert_uint_eq(mm->bios[0x100], (uint8_t)(0x100 * 3)); /* ROM unchanged */
    ck_assert_uint_eq(mm->ram[0xf0100], 0);
    ck_assert_uint_ge(mm->slow_stores, 2); /* at least the crossing store and the ROM write */
    machine_destroy(mm);
}
END_TEST

START_TEST(test_run_exit_requested_early)
{
    /* a request made before the machine runs ends it before any instruction */
    write_bios(NULL, 0, 0);
    Machine *mm = new_machine(accels[_i], "none", true);
    machine_request_exit(mm, 7);
    ck_assert_int_eq(machine_run(mm), 7);
    ck_assert_uint_eq(mm->icount, 0);
    machine_destroy(mm);
}
END_TEST

static Suite *tlb_suite(void)
{
    Suite *s = suite_create("tlb");
    TCase *tc = tcase_create("softmmu");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_flush);
    tcase_add_test(tc, test_fill_ram);
    tcase_add_test(tc, test_fill_rom);
    tcase_add_test(tc, test_fill_mmio);
    tcase_add_test(tc, test_sign_extension);
    tcase_add_test(tc, test_page_crossing);
    tcase_add_test(tc, test_page_crossing_into_mmio);
    tcase_add_test(tc, test_wrap_32bit);
    tcase_add_test(tc, test_code_page_marking);
    tcase_add_test(tc, test_watch_marking);
    tcase_add_test(tc, test_code_write_restarts_running_tb);
    tcase_add_test(tc, test_code_ptr);
    tcase_add_test(tc, test_write_phys_invalidates);
    suite_add_tcase(s, tc);
    tc = tcase_create("run");
    int n = (int)(sizeof(accels) / sizeof(accels[0]));
    tcase_add_loop_test(tc, test_run_debugcon_exit, 0, n);
    tcase_add_loop_test(tc, test_run_halt_forever, 0, n);
    tcase_add_loop_test(tc, test_run_slow_paths, 0, n);
    tcase_add_loop_test(tc, test_run_exit_requested_early, 0, n);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tlb_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
