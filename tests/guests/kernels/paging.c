/*
 * tests/guests/kernels/paging.c — 32-bit and PAE paging from ring 0 (Intel SDM Vol. 3A
 * chapter 4).
 *
 * 32-bit paging (4.3) with 4 KiB pages and 4 MiB pages (CR4.PSE), accesses that cross a page
 * boundary into a physically distant page, #PF for not-present entries and for a supervisor
 * write to a read-only page with CR0.WP = 1, with CR2 and the error code (4.7), the accessed and
 * dirty bits the walk sets (4.8), INVLPG and a CR3 reload making a changed entry visible
 * (4.10.4.1), code run from a linear page whose mapping changes (the translator must notice),
 * global pages (CR4.PGE, 4.10.2.4: a CR3 load keeps them, INVLPG and a CR4.PGE change drop them)
 * and PAE paging (4.4) with 2 MiB and 4 KiB pages.
 *
 * Memory: the kernel is at 1 MiB; the first 8 MiB are identity mapped. Test mappings live at
 * 0x40000000 (4 KiB pages), 0xC0000000 (4 MiB pages); 0x50000000 is never mapped.
 */
#include "libk.h"

enum { PG_P = 1, PG_RW = 2, PG_US = 4, PG_A = 0x20, PG_D = 0x40, PG_PS = 0x80, PG_G = 0x100 };
#define CR4_PGE (1u << 7)
enum { PF_P = 1, PF_W = 2, PF_U = 4 };

#define PAGE 4096
#define TEST_BASE 0x40000000u
#define UNMAPPED 0x50000000u
#define BIG_BASE 0xC0000000u

static uint32_t pd[1024] __attribute__((aligned(PAGE)));
static uint32_t pt_low[2][1024] __attribute__((aligned(PAGE)));
static uint32_t pt_test[1024] __attribute__((aligned(PAGE)));
static uint8_t page[8][PAGE] __attribute__((aligned(PAGE)));

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd0[512] __attribute__((aligned(PAGE)));
static uint64_t pae_pd1[512] __attribute__((aligned(PAGE)));
static uint64_t pae_pt[512] __attribute__((aligned(PAGE)));

static volatile uint32_t marker = 0x6d61726b; /* "mark" */

/* Accesses through test mappings, as asm with a memory clobber: the compiler must not keep
   page contents or paging-structure entries (which the walk changes: A and D bits) in
   registers across them. */
static inline uint32_t rd32(uint32_t linear)
{
    uint32_t v;
    asm volatile("movl (%1), %0" : "=r"(v) : "r"(linear) : "memory");
    return v;
}

static inline void wr32(uint32_t linear, uint32_t v)
{
    asm volatile("movl %0, (%1)" : : "r"(v), "r"(linear) : "memory");
}

static uint32_t phys(const void *p)
{
    return (uint32_t)p; /* identity-mapped */
}

static bool pf(uint32_t cr2, uint32_t error)
{
    return excp.vector == 14 && excp.count == 1 && excp.cr2 == cr2 && excp.error == error &&
           excp.eip == try_addr;
}

static void setup_32bit(void)
{
    for (int i = 0; i < 2048; i++) {
        pt_low[i / 1024][i % 1024] = (uint32_t)i * PAGE | PG_P | PG_RW;
    }
    pd[0] = phys(pt_low[0]) | PG_P | PG_RW;
    pd[1] = phys(pt_low[1]) | PG_P | PG_RW;
    /* no A bit: the walk must set it (test_accessed_dirty) */
    pd[TEST_BASE >> 22] = phys(pt_test) | PG_P | PG_RW;
    write_cr3(phys(pd));
    write_cr0(read_cr0() | CR0_PG);
}

static void test_4k(void)
{
    tap_ok(marker == 0x6d61726b && read_cr0() & CR0_PG,
           "paging on with 4 KiB pages: code and data still reachable");

    pt_test[0] = phys(page[0]) | PG_P | PG_RW;
    pt_test[1] = phys(page[2]) | PG_P | PG_RW; /* not contiguous with page[0] */
    *(volatile uint32_t *)page[0] = 0x11223344;
    tap_ok(rd32(TEST_BASE) == 0x11223344, "a 4 KiB mapping reads the page it maps");
    wr32(TEST_BASE + 0x7fc, 0x55667788);
    tap_ok(*(volatile uint32_t *)(page[0] + 0x7fc) == 0x55667788,
           "a write through a 4 KiB mapping reaches the page");

    page[0][0xffe] = 0x11;
    page[0][0xfff] = 0x22;
    page[2][0] = 0x33;
    page[2][1] = 0x44;
    tap_ok(rd32(TEST_BASE + 0xffe) == 0x44332211,
           "a read crossing into the next linear page takes bytes from both physical pages");
    wr32(TEST_BASE + 0xffd, 0xaabbccdd);
    tap_ok(page[0][0xffd] == 0xdd && page[0][0xffe] == 0xcc && page[0][0xfff] == 0xbb &&
               page[2][0] == 0xaa,
           "a write crossing into the next linear page splits over both physical pages");
}

static void test_4m(void)
{
    write_cr4(read_cr4() | CR4_PSE);
    pd[BIG_BASE >> 22] = 0x00000000 | PG_PS | PG_P | PG_RW;
    pd[(BIG_BASE >> 22) + 1] = 0x00400000 | PG_PS | PG_P | PG_RW;
    write_cr3(phys(pd));
    tap_ok(rd32(BIG_BASE + phys((const void *)&marker)) == 0x6d61726b,
           "a 4 MiB page (CR4.PSE) maps physical 0-4 MiB");
    tap_ok((pd[BIG_BASE >> 22] & (PG_A | PG_D)) == PG_A,
           "reading through a 4 MiB page sets its A bit, not D");
    wr32(BIG_BASE + 0x400000 + 0x1234, 0xfeedf00d);
    tap_ok(rd32(0x401234) == 0xfeedf00d && (pd[(BIG_BASE >> 22) + 1] & (PG_A | PG_D)) ==
                                              (PG_A | PG_D),
           "writing through a 4 MiB page reaches its frame and sets A and D");
}

static void test_not_present(void)
{
    uint32_t v;
    excp_reset();
    TRY("movl (%%ecx), %%eax", : "=a"(v) : "c"(UNMAPPED + 0x123) : "memory");
    tap_ok(pf(UNMAPPED + 0x123, 0), "#PF(0) reading through a not-present PDE, CR2 = address");

    excp_reset();
    TRY("movl %%eax, (%%ecx)", : : "a"(1), "c"(UNMAPPED + 0x456) : "memory");
    tap_ok(pf(UNMAPPED + 0x456, PF_W), "#PF(W) writing through a not-present PDE");

    excp_reset();
    TRY("movl (%%ecx), %%eax", : "=a"(v) : "c"(TEST_BASE + 0x3000 + 8) : "memory");
    tap_ok(pf(TEST_BASE + 0x3008, 0), "#PF(0) reading through a not-present PTE");

    /* a read that crosses from a present page into a not-present one faults at the start of
       the second page (4.7: CR2 is the linear address that caused the fault) */
    pt_test[8] = phys(page[1]) | PG_P | PG_RW;
    excp_reset();
    TRY("movl (%%ecx), %%eax", : "=a"(v) : "c"(TEST_BASE + 0x8ffe) : "memory");
    tap_ok(pf(TEST_BASE + 0x9000, 0), "#PF for the second page of a read crossing pages");

    /* an instruction fetch from a not-present page faults at the target, with CR2 = EIP */
    excp_reset();
    TRY("jmp *%%eax", : : "a"(UNMAPPED + 0x1000));
    tap_ok(excp.vector == 14 && excp.cr2 == UNMAPPED + 0x1000 && excp.error == 0 &&
               excp.eip == UNMAPPED + 0x1000,
           "#PF(0) fetching from a not-present page: CR2 and EIP are the target");
    (void)v;
}

static void test_write_protect(void)
{
    pt_test[4] = phys(page[3]) | PG_P; /* read-only */
    write_cr3(phys(pd));
    write_cr0(read_cr0() & ~CR0_WP);
    excp_reset();
    TRY("movl %%eax, (%%ecx)", : : "a"(0x1234), "c"(TEST_BASE + 0x4010) : "memory");
    tap_ok(excp.vector == -1 && *(volatile uint32_t *)(page[3] + 0x10) == 0x1234,
           "with CR0.WP = 0 ring 0 writes to a read-only page");

    write_cr0(read_cr0() | CR0_WP);
    write_cr3(phys(pd)); /* no stale writable translation */
    excp_reset();
    TRY("movl %%eax, (%%ecx)", : : "a"(0x5678), "c"(TEST_BASE + 0x4010) : "memory");
    tap_ok(pf(TEST_BASE + 0x4010, PF_P | PF_W) && *(volatile uint32_t *)(page[3] + 0x10) == 0x1234,
           "with CR0.WP = 1 a ring-0 write to a read-only page is #PF(P|W), memory unchanged");
    excp_reset();
    tap_ok(rd32(TEST_BASE + 0x4010) == 0x1234 && excp.vector == -1,
           "the read-only page can still be read");
}

static void test_accessed_dirty(void)
{
    pt_test[5] = phys(page[4]) | PG_P | PG_RW;
    pd[TEST_BASE >> 22] &= ~(uint32_t)PG_A;
    write_cr3(phys(pd));
    (void)rd32(TEST_BASE + 0x5000);
    tap_ok((pt_test[5] & (PG_A | PG_D)) == PG_A && (pd[TEST_BASE >> 22] & PG_A),
           "a read sets A in the PDE and the PTE, not D");
    wr32(TEST_BASE + 0x5004, 7);
    tap_ok((pt_test[5] & (PG_A | PG_D)) == (PG_A | PG_D),
           "a write after a read sets D in the PTE");
    tap_ok(!(pd[TEST_BASE >> 22] & PG_D), "D is not set in a PDE that points to a page table");
}

static void test_invalidation(void)
{
    *(volatile uint32_t *)page[5] = 0xa5a5a5a5;
    *(volatile uint32_t *)page[6] = 0xb6b6b6b6;
    pt_test[6] = phys(page[5]) | PG_P | PG_RW;
    write_cr3(phys(pd));
    uint32_t first = rd32(TEST_BASE + 0x6000);
    pt_test[6] = phys(page[6]) | PG_P | PG_RW;
    invlpg(TEST_BASE + 0x6000);
    tap_ok(first == 0xa5a5a5a5 && rd32(TEST_BASE + 0x6000) == 0xb6b6b6b6,
           "INVLPG makes a changed PTE visible");
    pt_test[6] = phys(page[5]) | PG_P | PG_RW;
    write_cr3(read_cr3());
    tap_ok(rd32(TEST_BASE + 0x6000) == 0xa5a5a5a5, "a CR3 reload makes a changed PTE visible");

    /* code: the same linear page runs what the current mapping points to */
    static const uint8_t ret1234[] = {0xb8, 0x34, 0x12, 0x00, 0x00, 0xc3}; /* mov eax; ret */
    static const uint8_t ret5678[] = {0xb8, 0x78, 0x56, 0x00, 0x00, 0xc3};
    memcpy(page[7], ret1234, sizeof(ret1234));
    memcpy(page[1], ret5678, sizeof(ret5678));
    pt_test[7] = phys(page[7]) | PG_P | PG_RW;
    invlpg(TEST_BASE + 0x7000);
    uint32_t (*fn)(void) = (uint32_t (*)(void))(TEST_BASE + 0x7000);
    uint32_t a = fn();
    pt_test[7] = phys(page[1]) | PG_P | PG_RW;
    invlpg(TEST_BASE + 0x7000);
    uint32_t b = fn();
    tap_ok(a == 0x1234 && b == 0x5678,
           "code at one linear address runs from the page its current mapping names");
}

/* Global pages (SDM Vol. 3A 4.10.2.4, 4.10.4.1). The pages used are at TLB-set-like offsets
   (0xe0-0xe3) no other access of this test touches, so a cached translation is not evicted in
   between: the SDM allows but does not require keeping it, hardware and xlat keep it. */
static void test_global(void)
{
    const uint32_t g = TEST_BASE + 0xe0000, ng = TEST_BASE + 0xe1000;
    *(volatile uint32_t *)page[5] = 0xa5a5a5a5;
    *(volatile uint32_t *)page[6] = 0xb6b6b6b6;
    write_cr4(read_cr4() | CR4_PGE);
    pt_test[0xe0] = phys(page[5]) | PG_P | PG_RW | PG_G;
    pt_test[0xe1] = phys(page[5]) | PG_P | PG_RW;
    write_cr3(read_cr3());
    uint32_t g0 = rd32(g), ng0 = rd32(ng);
    pt_test[0xe0] = phys(page[6]) | PG_P | PG_RW | PG_G;
    pt_test[0xe1] = phys(page[6]) | PG_P | PG_RW;
    write_cr3(read_cr3());
    uint32_t g1 = rd32(g), ng1 = rd32(ng);
    tap_ok(g0 == 0xa5a5a5a5 && ng0 == 0xa5a5a5a5 && ng1 == 0xb6b6b6b6,
           "a CR3 load makes a changed non-global PTE visible");
    tap_ok(g1 == 0xa5a5a5a5, "a CR3 load keeps a global translation with CR4.PGE "
                             "(known QEMU deviation: SDM Vol. 3A 4.10.4.1)");
    invlpg(g);
    tap_ok(rd32(g) == 0xb6b6b6b6, "INVLPG removes a global translation");

    /* clearing CR4.PGE flushes all translations, global ones too (4.10.4.1) */
    pt_test[0xe2] = phys(page[5]) | PG_P | PG_RW | PG_G;
    write_cr3(read_cr3());
    uint32_t g2 = rd32(g + 0x2000);
    pt_test[0xe2] = phys(page[6]) | PG_P | PG_RW | PG_G;
    write_cr4(read_cr4() & ~CR4_PGE);
    tap_ok(g2 == 0xa5a5a5a5 && rd32(g + 0x2000) == 0xb6b6b6b6,
           "a CR4.PGE change flushes global translations");

    /* without CR4.PGE, G means nothing: a CR3 load drops the translation */
    pt_test[0xe3] = phys(page[5]) | PG_P | PG_RW | PG_G;
    write_cr3(read_cr3());
    uint32_t g3 = rd32(g + 0x3000);
    pt_test[0xe3] = phys(page[6]) | PG_P | PG_RW | PG_G;
    write_cr3(read_cr3());
    tap_ok(g3 == 0xa5a5a5a5 && rd32(g + 0x3000) == 0xb6b6b6b6,
           "with CR4.PGE = 0 a CR3 load drops a translation marked global");
}

static void test_pae(void)
{
    /* leave paging, then enter PAE paging (4.4; the PDPTEs are loaded with CR3, 4.4.1) */
    write_cr0(read_cr0() & ~CR0_PG);
    for (int i = 0; i < 5; i++) {
        pae_pd0[i] = (uint64_t)i * 0x200000 | PG_PS | PG_P | PG_RW; /* identity 0-10 MiB */
    }
    pae_pd1[0] = 0x00000000 | PG_PS | PG_P | PG_RW;                 /* 0x40000000 */
    pae_pd1[1] = phys(pae_pt) | PG_P | PG_RW;                       /* 0x40200000 */
    pae_pd1[3] = 0x00600000 | PG_PS | PG_P;                         /* 0x40600000, read-only */
    pae_pd1[4] = 0x00800000 | PG_PS | PG_P | PG_RW;                 /* 0x40800000, fresh */
    pae_pt[0] = phys(page[6]) | PG_P | PG_RW;
    pdpt[0] = phys(pae_pd0) | PG_P; /* PDPTEs have no R/W or U/S bits (Table 4-8) */
    pdpt[1] = phys(pae_pd1) | PG_P;
    pdpt[2] = 0;
    pdpt[3] = 0;
    write_cr4(read_cr4() | CR4_PAE);
    write_cr3(phys(pdpt));
    write_cr0(read_cr0() | CR0_PG);
    tap_ok(marker == 0x6d61726b && rd32(TEST_BASE + phys((const void *)&marker)) == 0x6d61726b,
           "PAE paging: a 2 MiB page maps physical 0-2 MiB");
    tap_ok(rd32(TEST_BASE + 0x200000) == 0xb6b6b6b6, "PAE paging: a 4 KiB page through a PT");

    uint32_t v;
    excp_reset();
    TRY("movl (%%ecx), %%eax", : "=a"(v) : "c"(0x80000010) : "memory");
    tap_ok(pf(0x80000010, 0), "PAE: #PF(0) through a not-present PDPTE");
    excp_reset();
    TRY("movl %%eax, (%%ecx)", : : "a"(1), "c"(TEST_BASE + 0x400020) : "memory");
    tap_ok(pf(TEST_BASE + 0x400020, PF_W), "PAE: #PF(W) through a not-present PDE");
    excp_reset();
    TRY("movl %%eax, (%%ecx)", : : "a"(1), "c"(TEST_BASE + 0x600040) : "memory");
    tap_ok(pf(TEST_BASE + 0x600040, PF_P | PF_W), "PAE: #PF(P|W) writing a read-only 2 MiB page");

    (void)rd32(TEST_BASE + 0x800000);
    tap_ok((pae_pd1[4] & (PG_A | PG_D)) == PG_A, "PAE: a read sets A in a 2 MiB page's PDE");
    wr32(TEST_BASE + 0x800000, 3);
    tap_ok((pae_pd1[4] & (PG_A | PG_D)) == (PG_A | PG_D) && rd32(0x800000) == 3,
           "PAE: a write sets D and reaches the frame");

    /* a global 2 MiB page survives a CR3 load under PAE too (4.10.2.4); offset 0xe0000 keeps
       its TLB slot clear of this test's other accesses (see test_global) */
    *(volatile uint32_t *)0x4e0000 = 0xc7c7c7c7;
    *(volatile uint32_t *)0x6e0000 = 0xd8d8d8d8;
    write_cr4(read_cr4() | CR4_PGE);
    pae_pd1[5] = 0x00400000 | PG_PS | PG_P | PG_RW | PG_G;
    write_cr3(phys(pdpt));
    uint32_t g0 = rd32(TEST_BASE + 0xae0000);
    pae_pd1[5] = 0x00600000 | PG_PS | PG_P | PG_RW | PG_G;
    write_cr3(phys(pdpt));
    uint32_t g1 = rd32(TEST_BASE + 0xae0000);
    invlpg(TEST_BASE + 0xae0000);
    uint32_t g2 = rd32(TEST_BASE + 0xae0000);
    tap_ok(g0 == 0xc7c7c7c7 && g1 == 0xc7c7c7c7 && g2 == 0xd8d8d8d8,
           "PAE: a CR3 load keeps a global 2 MiB translation, INVLPG drops it "
           "(known QEMU deviation: SDM Vol. 3A 4.10.4.1)");
    (void)v;
}

void kmain(void)
{
    tap_plan(35);
    setup_32bit();
    test_4k();
    test_4m();
    test_not_present();
    test_write_protect();
    test_accessed_dirty();
    test_invalidation();
    test_global();
    test_pae();
}
