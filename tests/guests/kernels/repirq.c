/*
 * tests/guests/kernels/repirq.c — REP string instructions are interruptible and restartable
 * between iterations (SDM Vol. 1 7.3.9.1 and Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ": a repeated
 * string operation can be suspended by an exception or interrupt, with the registers set so
 * that it resumes from where it stopped; Vol. 3A 6.6: a fault leaves the state before the
 * faulting iteration).
 *
 * 1. A 16 MiB REP STOSD and a 16 MiB REP MOVSD with the 8254 interrupting every millisecond:
 *    some interrupt must come with EIP at the REP instruction and 0 < ECX < N, with EDI (and
 *    ESI) exactly the iterations done; afterwards ECX = 0, ESI/EDI at the end and every dword
 *    right. (xlat counts one instruction per iteration, so even its virtual clock sees a
 *    16 MiB string take milliseconds.)
 * 2. Under paging, with the pages of the test region scrambled in pairs (linear page i on
 *    physical page i ^ 1, so a copy that ran on past a page boundary in physical memory would
 *    show), a not-present page in the middle of a REP MOVSD (a read fault) and of a backward
 *    REP STOSD (a write fault): one #PF with CR2 at the first element that touches the page,
 *    EIP at the REP, ECX/ESI/EDI as the iterations before it left them; the handler maps the
 *    page and IRET restarts the instruction, which finishes the job.
 * Descriptions carry no counts that depend on timing, so qemu's and xlat's lines compare.
 */
#include "pc.h"

enum { PG_P = 1, PG_RW = 2, PG_PS = 0x80 };
#define PAGE 4096u

/* part 1: physical buffers (paging off), N dwords each */
#define BIG_SRC 0x01000000u
#define BIG_DST 0x02000000u
#define BIG_N (16u << 20) / 4

/* part 2: a 4 MiB region through one page table, source and destination halves */
#define REGION 0x04000000u
#define PG_SRC REGION
#define PG_DST (REGION + 0x200000u)
#define PG_N (0x100000u / 4)

static uint32_t pd[1024] __attribute__((aligned(PAGE)));
static uint32_t pt[1024] __attribute__((aligned(PAGE)));

/* The REPs below start one instruction after STI, out of its interrupt shadow: qemu 7.2 takes
   no interrupt at all in a REP that begins inside the shadow. */

/* what the timer interrupt saw of the REP instruction it interrupted */
static volatile uint32_t rep_eip;      /* the REP under test */
static volatile int ticks, mid_string; /* interrupts; those with EIP at the REP, 0 < ECX < N */
static volatile int inconsistent;      /* ...whose ESI/EDI do not match ECX */
static volatile uint32_t cur_n, cur_src, cur_dst;

static void tick(struct excp_frame *f)
{
    ticks++;
    if (f->eip == rep_eip && f->ecx > 0 && f->ecx < cur_n) {
        mid_string++;
        uint32_t done = (cur_n - f->ecx) * 4;
        if (f->edi != cur_dst + done || (cur_src && f->esi != cur_src + done)) {
            inconsistent++;
        }
    }
    outb(0x20, 0x20);
}

__attribute__((noinline)) static void stosd_irq(uint32_t *ecx, uint32_t *edi, uint32_t v)
{
    uint32_t c = BIG_N, d = BIG_DST;
    asm volatile("movl $1f, rep_eip\n\t"
                 "sti\n\tnop\n"
                 "1:\trep stosl\n\t"
                 "cli"
                 : "+c"(c), "+D"(d)
                 : "a"(v)
                 : "memory");
    *ecx = c;
    *edi = d;
}

__attribute__((noinline)) static void movsd_irq(uint32_t *ecx, uint32_t *esi, uint32_t *edi)
{
    uint32_t c = BIG_N, s = BIG_SRC, d = BIG_DST;
    asm volatile("movl $1f, rep_eip\n\t"
                 "sti\n\tnop\n"
                 "1:\trep movsl\n\t"
                 "cli"
                 : "+c"(c), "+S"(s), "+D"(d)
                 : : "memory");
    *ecx = c;
    *esi = s;
    *edi = d;
}

static uint32_t pattern(uint32_t i)
{
    return i * 2654435761u ^ 0x5a5aa5a5u;
}

static void test_interrupts(void)
{
    pic_setup(1u << 0);
    for (int v = PIC_VECTOR_BASE; v < PIC_VECTOR_BASE + 16; v++) {
        excp_hook[v] = tick;
    }
    /* channel 0, mode 2 (rate generator), 1193 clocks: an interrupt every millisecond */
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);

    uint32_t ecx, esi, edi;
    volatile uint32_t *dst = (volatile uint32_t *)BIG_DST;
    ticks = mid_string = inconsistent = 0;
    cur_n = BIG_N, cur_src = 0, cur_dst = BIG_DST;
    stosd_irq(&ecx, &edi, 0xc0ffee11u);
    tap_ok(mid_string > 0 && inconsistent == 0,
           "REP STOSD of 16 MiB: a timer interrupt comes between iterations, EDI matching ECX");
    bool good = true;
    for (uint32_t i = 0; i < BIG_N; i++) {
        good &= dst[i] == 0xc0ffee11u;
    }
    tap_ok(ecx == 0 && edi == BIG_DST + BIG_N * 4 && good,
           "REP STOSD of 16 MiB: ECX 0, EDI at the end, every dword written");

    volatile uint32_t *src = (volatile uint32_t *)BIG_SRC;
    for (uint32_t i = 0; i < BIG_N; i++) {
        src[i] = pattern(i);
    }
    ticks = mid_string = inconsistent = 0;
    cur_n = BIG_N, cur_src = BIG_SRC, cur_dst = BIG_DST;
    movsd_irq(&ecx, &esi, &edi);
    tap_ok(mid_string > 0 && inconsistent == 0,
           "REP MOVSD of 16 MiB: a timer interrupt comes between iterations, ESI/EDI matching "
           "ECX");
    good = true;
    for (uint32_t i = 0; i < BIG_N; i++) {
        good &= dst[i] == pattern(i);
    }
    tap_ok(ecx == 0 && esi == BIG_SRC + BIG_N * 4 && edi == BIG_DST + BIG_N * 4 && good,
           "REP MOVSD of 16 MiB: ECX 0, ESI/EDI at the end, every dword copied");
    outb(0x21, 0xff);
}

/* the #PF of part 2: the registers it interrupted; the handler maps the page */
static volatile uint32_t pf_ecx, pf_esi, pf_edi;

static void map_and_retry(struct excp_frame *f)
{
    pf_ecx = f->ecx;
    pf_esi = f->esi;
    pf_edi = f->edi;
    pt[(read_cr2() - REGION) / PAGE] |= PG_P;
    invlpg(read_cr2());
    excp_fixup = f->eip; /* IRET to the REP instruction: it resumes */
}

static void test_faults(void)
{
    /* 4 MiB pages identity-map the first 64 MiB; the region goes through pt, pairs swapped */
    for (uint32_t i = 0; i < 16; i++) {
        pd[i] = i << 22 | PG_PS | PG_P | PG_RW;
    }
    for (uint32_t i = 0; i < 1024; i++) {
        pt[i] = (REGION + ((i ^ 1) * PAGE)) | PG_P | PG_RW;
    }
    pd[REGION >> 22] = (uint32_t)pt | PG_P | PG_RW;
    write_cr4(read_cr4() | CR4_PSE);
    write_cr3((uint32_t)pd);
    write_cr0(read_cr0() | CR0_PG);
    excp_hook[14] = map_and_retry;

    volatile uint32_t *src = (volatile uint32_t *)PG_SRC, *dst = (volatile uint32_t *)PG_DST;
    for (uint32_t i = 0; i < PG_N; i++) {
        src[i] = pattern(i + 7);
        dst[i] = 0;
    }
    /* REP MOVSD forward; the source page at +512 KiB not present: a read fault (error 0) at
       its first dword, after 128 Ki dwords */
    uint32_t hole = PG_SRC + 0x80000;
    pt[(hole - REGION) / PAGE] &= ~(uint32_t)PG_P;
    invlpg(hole);
    excp_reset();
    uint32_t c = PG_N, s = PG_SRC, d = PG_DST;
    TRY("cld; rep movsl", : "+c"(c), "+S"(s), "+D"(d) : : "memory");
    tap_ok(excp.vector == 14 && excp.count == 1 && excp.cr2 == hole && excp.error == 0 &&
               excp.eip == try_addr + 1 && pf_ecx == PG_N - 0x20000 && pf_esi == hole &&
               pf_edi == PG_DST + 0x80000,
           "REP MOVSD, a not-present source page mid-string: #PF at its first dword, "
           "ECX/ESI/EDI before it, EIP at the REP");
    bool good = true;
    for (uint32_t i = 0; i < PG_N; i++) {
        good &= dst[i] == pattern(i + 7);
    }
    tap_ok(c == 0 && s == PG_SRC + PG_N * 4 && d == PG_DST + PG_N * 4 && good,
           "REP MOVSD restarted after the #PF: ECX 0, ESI/EDI at the end, every dword copied");

    /* REP STOSD backward from the destination's last dword; the page at +256 KiB not
       present: a write fault (error 2) at its last dword, the first one the string reaches */
    hole = PG_DST + 0x40000;
    pt[(hole - REGION) / PAGE] &= ~(uint32_t)PG_P;
    invlpg(hole);
    excp_reset();
    c = PG_N, d = PG_DST + PG_N * 4 - 4;
    TRY("std; rep stosl; cld", : "+c"(c), "+D"(d) : "a"(0x7e57da7au) : "memory");
    asm volatile("cld");
    uint32_t last = hole + PAGE - 4;
    tap_ok(excp.vector == 14 && excp.count == 1 && excp.cr2 == last && excp.error == 2 &&
               excp.eip == try_addr + 1 && pf_ecx == (last - PG_DST) / 4 + 1 && pf_edi == last,
           "REP STOSD with DF = 1, a not-present page mid-string: #PF at its last dword, "
           "ECX/EDI before it, EIP at the REP");
    good = true;
    for (uint32_t i = 0; i < PG_N; i++) {
        good &= dst[i] == 0x7e57da7au;
    }
    tap_ok(c == 0 && d == PG_DST - 4 && good,
           "REP STOSD restarted after the #PF: ECX 0, EDI below the start, every dword written");
    write_cr0(read_cr0() & ~CR0_PG);
}

/* single-stepping: the #DB trap comes after each iteration (SDM Vol. 3B 17.3.1.4), with EIP at
   the REP while iterations are left */
static volatile int step_traps, steps_at_rep;
static volatile uint32_t step_ecx[4];

static void step_trap(struct excp_frame *f)
{
    step_traps++;
    if (f->eip == rep_eip && steps_at_rep < 4) {
        step_ecx[steps_at_rep++] = f->ecx;
    }
    excp_fixup = f->eip; /* a trap: carry on where it points */
}

static void test_single_step(void)
{
    static uint8_t a[8] = "abc", b[8];
    excp_hook[1] = step_trap;
    uint32_t c = 3, s = (uint32_t)a, d = (uint32_t)b;
    asm volatile("movl $1f, rep_eip\n\t"
                 "pushfl\n\t"
                 "orl $0x100, (%%esp)\n\t"
                 "popfl\n"
                 "1:\trep movsb\n\t"
                 "pushfl\n\t"
                 "andl $~0x100, (%%esp)\n\t"
                 "popfl"
                 : "+c"(c), "+S"(s), "+D"(d)
                 : : "memory", "cc");
    excp_hook[1] = 0;
    tap_ok(steps_at_rep == 2 && step_ecx[0] == 2 && step_ecx[1] == 1 && c == 0 &&
               memcmp(b, "abc", 3) == 0,
           "TF over REP MOVSB with ECX = 3: a #DB after each iteration, EIP at the REP while "
           "ECX is 2, then 1");
}

void kmain(void)
{
    tap_plan(9);
    test_interrupts();
    test_faults();
    test_single_step();
}
