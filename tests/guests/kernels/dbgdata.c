/*
 * tests/guests/kernels/dbgdata.c — data and I/O breakpoints, and RF in fault frames (Intel SDM
 * Vol. 3A chapter 17).
 *
 * DR0-DR3 with R/W = 01 (writes) or 11 (reads and writes) in DR7 watch 1, 2, 4 or 8 bytes
 * (LEN), the address masked to that alignment (17.2.4, 17.2.5). An access touching a watched
 * byte is a #DB *trap*: the frame's EIP is the next instruction, the access is done, and
 * DR6.B0-B3 say which breakpoints matched (17.2.3, 17.3.1.2). A REP string instruction traps
 * after the iteration that hit, with EIP still at the instruction and ECX/EDI counting the
 * iterations done (17.3.1.2). R/W = 10 with CR4.DE = 1 watches I/O ports (17.2.4). A
 * fault-class exception pushes EFLAGS with RF = 1 (17.3.1.1); a trap (INT n) does not.
 */
#include "libk.h"

#define EFL_RF (1u << 16)
#define CR4_DE (1u << 3)
#define DR6_BS (1u << 14)
#define MAX_DB 8

/* what the #DB handler saw, in order */
uint32_t db_count, db_eip[MAX_DB], db_dr6[MAX_DB], db_eax[MAX_DB], db_ecx[MAX_DB],
    db_edi[MAX_DB];
extern char db_handler[];
asm(".globl db_handler\n"
    "db_handler:\n\t"
    "pushl %eax\n\t"
    "pushl %ebx\n\t"
    "movl db_count, %ebx\n\t"
    "cmpl $8, %ebx\n\t"
    "jae 2f\n\t"
    "movl %eax, db_eax(,%ebx,4)\n\t"
    "movl %ecx, db_ecx(,%ebx,4)\n\t"
    "movl %edi, db_edi(,%ebx,4)\n\t"
    "movl 8(%esp), %eax\n\t"
    "movl %eax, db_eip(,%ebx,4)\n\t"
    "movl %dr6, %eax\n\t"
    "movl %eax, db_dr6(,%ebx,4)\n"
    "2:\tincl %ebx\n\t"
    "movl %ebx, db_count\n\t"
    "xorl %eax, %eax\n\t"
    "movl %eax, %dr6\n\t"
    "popl %ebx\n\t"
    "popl %eax\n\t"
    "iret\n");

static void db_reset(void)
{
    db_count = 0;
    for (int i = 0; i < MAX_DB; i++) {
        db_eip[i] = db_dr6[i] = db_eax[i] = db_ecx[i] = db_edi[i] = 0;
    }
}

/* the watched data: 16-byte aligned, with room on both sides */
uint8_t wbuf[64] __attribute__((aligned(16)));

enum { RW_EXEC = 0, RW_WRITE = 1, RW_IO = 2, RW_RDWR = 3 };
enum { LEN1 = 0, LEN2 = 1, LEN8 = 2, LEN4 = 3 };

static void write_dr(int n, uint32_t v)
{
    switch (n) {
    case 0: asm volatile("mov %0, %%dr0" : : "r"(v) : "memory"); break;
    case 1: asm volatile("mov %0, %%dr1" : : "r"(v) : "memory"); break;
    case 2: asm volatile("mov %0, %%dr2" : : "r"(v) : "memory"); break;
    case 3: asm volatile("mov %0, %%dr3" : : "r"(v) : "memory"); break;
    case 6: asm volatile("mov %0, %%dr6" : : "r"(v) : "memory"); break;
    case 7: asm volatile("mov %0, %%dr7" : : "r"(v) : "memory"); break;
    }
}

/* Breakpoint n on addr (L n = 1), alone with the ones already set. */
static uint32_t dr7_bits;
static void set_bp(int n, uint32_t addr, unsigned rw, unsigned len)
{
    write_dr(n, addr);
    dr7_bits |= (1u << (2 * n)) | (rw << (16 + 4 * n)) | (len << (18 + 4 * n));
    write_dr(7, dr7_bits);
}

static void clear_bps(void)
{
    dr7_bits = 0;
    write_dr(7, 0);
    write_dr(6, 0);
}

extern char dw_after[];

static void test_write_watch(void)
{
    uint32_t *w = (uint32_t *)(wbuf + 16), eax_out;
    *w = 0;
    db_reset();
    set_bp(0, (uint32_t)w, RW_WRITE, LEN4);
    /* the store is in the middle of a straight line of code: the trap comes right after it,
       before the next instruction changes EAX */
    asm volatile("movl $7, %%eax\n\t"
                 "movl $0x1234, (%1)\n"
                 "dw_after:\tmovl $2, %%eax\n\t"
                 "movl $3, %%eax"
                 : "=&a"(eax_out)
                 : "r"(w)
                 : "memory");
    tap_ok(db_count == 1 && db_eip[0] == (uint32_t)dw_after && db_eax[0] == 7 && *w == 0x1234,
           "a write breakpoint is a trap after the store (%u #DB, eip %s, eax %u)", db_count,
           db_eip[0] == (uint32_t)dw_after ? "next" : "other", db_eax[0]);
    tap_ok(db_count == 1 && (db_dr6[0] & 0xf) == 1 && !(db_dr6[0] & DR6_BS),
           "the data breakpoint sets DR6.B0 (dr6 low bits %#x)", db_dr6[0] & 0x400f);

    /* a read does not hit a write-only breakpoint */
    db_reset();
    uint32_t v;
    asm volatile("movl (%1), %0" : "=r"(v) : "r"(w) : "memory");
    tap_ok(db_count == 0 && v == 0x1234, "a read does not hit an R/W = 01 breakpoint");

    /* R/W = 11: reads hit too */
    clear_bps();
    set_bp(1, (uint32_t)w, RW_RDWR, LEN4);
    db_reset();
    asm volatile("movl (%1), %0\n\tnop" : "=r"(v) : "r"(w) : "memory");
    tap_ok(db_count == 1 && (db_dr6[0] & 0xf) == 2,
           "a read hits an R/W = 11 breakpoint, DR6.B1 (%u #DB, dr6 low bits %#x)", db_count,
           db_dr6[0] & 0xf);
    clear_bps();
    (void)eax_out;
}

/* one byte, word or dword written at addr: was there a #DB, and with which B bits */
static uint32_t poke(uint32_t addr, int size)
{
    db_reset();
    switch (size) {
    case 1: asm volatile("movb $1, (%0)" : : "r"(addr) : "memory"); break;
    case 2: asm volatile("movw $1, (%0)" : : "r"(addr) : "memory"); break;
    default: asm volatile("movl $1, (%0)" : : "r"(addr) : "memory"); break;
    }
    return db_count ? 0x100 | (db_dr6[0] & 0xf) : 0;
}

static void test_ranges(void)
{
    uint32_t b = (uint32_t)wbuf + 32;
    /* LEN = 2 at b + 2: bytes b + 2 and b + 3 */
    set_bp(1, b + 2, RW_WRITE, LEN2);
    uint32_t in = poke(b + 3, 1), lo = poke(b + 1, 1), hi = poke(b + 4, 1),
             over = poke(b + 1, 2);
    tap_ok(in == 0x102 && lo == 0 && hi == 0 && over == 0x102,
           "LEN = 2: a byte inside hits, the bytes just outside do not, a word overlapping one "
           "byte hits (%#x %#x %#x %#x)", in, lo, hi, over);
    clear_bps();

    /* LEN = 4 at b + 8 */
    set_bp(2, b + 8, RW_WRITE, LEN4);
    uint32_t un = poke(b + 6, 4), below = poke(b + 4, 4), above = poke(b + 12, 4),
             last = poke(b + 11, 1);
    tap_ok(un == 0x104 && below == 0 && above == 0 && last == 0x104,
           "LEN = 4: an unaligned dword over its first bytes hits, the dwords beside it do not "
           "(%#x %#x %#x %#x)", un, below, above, last);
    clear_bps();

    /* the low address bits are masked by LEN: DR3 = b + 9 with LEN = 4 watches b + 8..11 */
    set_bp(3, b + 9, RW_WRITE, LEN4);
    uint32_t m = poke(b + 8, 1);
    tap_ok(m == 0x108,
           "LEN = 4 on an unaligned address watches the aligned dword"
           QEMU_DEVIATION("SDM Vol. 3A 17.2.5"));
    clear_bps();

    /* two breakpoints on the same byte: both B bits */
    set_bp(0, b, RW_WRITE, LEN1);
    set_bp(2, b, RW_RDWR, LEN4);
    uint32_t both = poke(b, 1);
    tap_ok(both == 0x105,
           "two breakpoints matching one access set B0 and B2"
           QEMU_DEVIATION("SDM Vol. 3A 17.2.3"));
    clear_bps();

    /* LEN = 8 (10b) at b + 16: b + 16..23 */
    set_bp(0, b + 16, RW_WRITE, LEN8);
    uint32_t q_last = poke(b + 23, 1), q_after = poke(b + 24, 1), q_before = poke(b + 12, 4);
    tap_ok(q_last == 0x101 && q_after == 0 && q_before == 0,
           "LEN = 8 watches eight bytes (%#x %#x %#x)", q_last, q_after, q_before);
    clear_bps();

    /* not enabled in DR7: no #DB */
    write_dr(0, b);
    write_dr(7, 1u << 16 | 3u << 18); /* R/W0 = 01, LEN0 = 4, L0 = G0 = 0 */
    uint32_t off = poke(b, 4);
    clear_bps();
    tap_ok(off == 0, "a data breakpoint DR7 does not enable does nothing");
}

extern char rep_at[], rep_after[];

static void test_rep(void)
{
    memset(wbuf, 0, sizeof(wbuf));
    set_bp(0, (uint32_t)wbuf + 20, RW_WRITE, LEN1);
    db_reset();
    uint32_t ecx_out, edi_out;
    asm volatile("cld\n\t"
                 "movb $0x5a, %%al\n"
                 "rep_at:\trep stosb\n"
                 "rep_after:\tnop"
                 : "=c"(ecx_out), "=D"(edi_out)
                 : "c"(48), "D"(wbuf)
                 : "eax", "memory");
    clear_bps();
    int filled = 0;
    for (int i = 0; i < 48; i++) {
        filled += wbuf[i] == 0x5a;
    }
    tap_ok(db_count == 1 && db_eip[0] == (uint32_t)rep_at && db_ecx[0] == 48 - 21 &&
               db_edi[0] == (uint32_t)wbuf + 21,
           "REP STOSB traps after the iteration that wrote the watched byte: EIP at the "
           "instruction, ECX %u, EDI + %d (%u #DB)", db_ecx[0], (int)(db_edi[0] - (uint32_t)wbuf),
           db_count);
    tap_ok(ecx_out == 0 && edi_out == (uint32_t)wbuf + 48 && filled == 48 && wbuf[48] == 0,
           "after the handler returns the REP STOSB finishes (ECX %u, %d bytes)", ecx_out,
           filled);

    /* REP MOVSD reading the watched dword (R/W = 11) */
    set_bp(1, (uint32_t)wbuf + 8, RW_RDWR, LEN4);
    db_reset();
    asm volatile("cld\n\trep movsl"
                 : "=c"(ecx_out), "=D"(edi_out)
                 : "c"(4), "D"(wbuf + 32), "S"(wbuf)
                 : "memory");
    clear_bps();
    tap_ok(db_count == 1 && db_ecx[0] == 1 && (db_dr6[0] & 0xf) == 2 && ecx_out == 0,
           "REP MOVSD reading a watched dword traps after that iteration (ECX %u, %u #DB)",
           db_ecx[0], db_count);
}

extern char push_after[], ss_store_after[];

/* accesses the instruction makes by itself (a PUSH) and a trap together with single-step */
static void test_implicit_and_step(void)
{
    db_reset();
    uint32_t eip_push;
    asm volatile("leal -4(%%esp), %%eax\n\t"
                 "movl %%eax, %%dr0\n\t"
                 "movl $0x000d0001, %%eax\n\t" /* L0, R/W0 = 01, LEN0 = 4 */
                 "movl %%eax, %%dr7\n\t"
                 "pushl $5\n"
                 "push_after:\tpopl %%eax\n\t"
                 "xorl %%eax, %%eax\n\t"
                 "movl %%eax, %%dr7\n\t"
                 "movl $push_after, %0"
                 : "=m"(eip_push)
                 :
                 : "eax", "memory");
    tap_ok(db_count == 1 && db_eip[0] == eip_push && (db_dr6[0] & 0xf) == 1,
           "PUSH into a watched stack slot traps after the PUSH (%u #DB)", db_count);

    /* TF = 1 and a write breakpoint on the same instruction: one #DB, BS and B0 */
    uint32_t *w = (uint32_t *)(wbuf + 40);
    set_bp(0, (uint32_t)w, RW_WRITE, LEN4);
    db_reset();
    asm volatile("pushfl\n\t"
                 "orl $0x100, (%%esp)\n\t"
                 "popfl\n\t"
                 "movl $9, (%0)\n"
                 "ss_store_after:\tpushfl\n\t"
                 "andl $~0x100, (%%esp)\n\t"
                 "popfl"
                 :
                 : "r"(w)
                 : "memory", "cc");
    clear_bps();
    /* traps after the store, the PUSHF, the AND and the POPF that clears TF */
    tap_ok(db_count == 4 && db_eip[0] == (uint32_t)ss_store_after &&
               (db_dr6[0] & 0x400f) == 0x4001,
           "single-stepping a store to a watched dword: one #DB with DR6.BS and B0"
           QEMU_DEVIATION("SDM Vol. 3A 17.2.3, 17.3.1.2"));
}

extern char io_after[];

static void test_io(void)
{
    /* I/O breakpoint on ports 0x80-0x83 (LEN = 4), CR4.DE = 1 */
    write_cr4(read_cr4() | CR4_DE);
    set_bp(2, 0x80, RW_IO, LEN4);
    db_reset();
    asm volatile("movb $0x11, %%al\n\t"
                 "outb %%al, $0x81\n"
                 "io_after:\tnop"
                 :
                 :
                 : "eax", "memory");
    uint32_t n1 = db_count, eip1 = db_eip[0], dr6 = db_dr6[0];
    db_reset();
    asm volatile("outb %%al, $0x84" : : "a"(0) : "memory");
    uint32_t n2 = db_count;
    clear_bps();
    write_cr4(read_cr4() & ~CR4_DE);
    tap_ok(n1 == 1 && eip1 == (uint32_t)io_after && (dr6 & 0xf) == 4 && n2 == 0,
           "I/O breakpoint (CR4.DE = 1): OUT to a watched port traps after it with DR6.B2, "
           "one outside does not (%u, %u #DB)", n1, n2);

    /* IN from a watched port, and REP OUTSB: a trap after the first iteration */
    write_cr4(read_cr4() | CR4_DE);
    set_bp(3, 0x80, RW_IO, LEN1);
    db_reset();
    uint32_t ecx_out;
    asm volatile("inb $0x80, %%al" : : : "eax", "memory");
    uint32_t n3 = db_count, dr6_in = db_dr6[0];
    db_reset();
    asm volatile("cld\n\trep outsb" : "=c"(ecx_out) : "c"(3), "d"(0x80), "S"(wbuf) : "memory");
    clear_bps();
    write_cr4(read_cr4() & ~CR4_DE);
    tap_ok(n3 == 1 && (dr6_in & 0xf) == 8,
           "IN from a watched port traps with DR6.B3 (%u #DB)", n3);
    tap_ok(db_count == 3 && db_ecx[0] == 2 && db_ecx[1] == 1 && ecx_out == 0,
           "REP OUTSB to a watched port traps after each iteration"
           QEMU_DEVIATION("SDM Vol. 3A 17.3.1.2"));
}

/* paging for the fault tests: 0-16 MiB identity through 4 MiB pages (CR4.PSE), and at RO_LIN
   one read-only 4 KiB page (CR0.WP = 1 makes it read-only for ring 0 too, SDM Vol. 3A 4.6) */
#define RO_LIN 0x40000000u
static uint32_t pdir[1024] __attribute__((aligned(4096)));
static uint32_t ptab[1024] __attribute__((aligned(4096)));
static uint32_t ro_page[1024] __attribute__((aligned(4096)));

static void paging_on(void)
{
    for (uint32_t i = 0; i < 4; i++) {
        pdir[i] = (i << 22) | 0x83; /* P, RW, PS */
    }
    pdir[RO_LIN >> 22] = (uint32_t)ptab | 0x3;
    ptab[0] = (uint32_t)ro_page | 0x1; /* present, read-only */
    ro_page[0] = 41;
    write_cr4(read_cr4() | CR4_PSE);
    write_cr3((uint32_t)pdir);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
}

static void paging_off(void)
{
    write_cr0(read_cr0() & ~(CR0_PG | CR0_WP));
}

/* An instruction that reads a watched dword and then faults on the write back does not
   complete: the #PF is delivered, with RF = 1 in its frame, and no #DB (17.3.1.2: the trap
   is for instructions that execute). */
static void test_fault_after_hit(void)
{
    paging_on();
    set_bp(0, RO_LIN, RW_RDWR, LEN4);
    db_reset();
    excp_reset();
    TRY("addl $1, (%0)\n\tnop", : : "r"(RO_LIN) : "memory");
    uint32_t pf_count = db_count, eflags = excp.eflags, err = excp.error;
    int vec = excp.vector;
    db_reset();
    uint32_t v;
    asm volatile("movl (%1), %0\n\tnop" : "=r"(v) : "r"(RO_LIN) : "memory");
    uint32_t rd_count = db_count;
    clear_bps();
    paging_off();
    tap_ok(vec == 14 && err == 3 && pf_count == 0 && rd_count == 1 && v == 41,
           "a read that hits a breakpoint, then a #PF on the write back: no #DB; the read "
           "alone traps" QEMU_DEVIATION("SDM Vol. 3A 17.3.1.2: the trap follows the "
           "instruction, which did not complete"));
    tap_ok(vec == 14 && (eflags & EFL_RF),
           "the #PF frame has RF = 1" QEMU_DEVIATION("SDM Vol. 3A 17.3.1.1"));
}

static void test_rf(void)
{
    /* #UD and #GP are faults: RF = 1 in the pushed EFLAGS; INT n is a trap: RF = 0 */
    excp_reset();
    TRY("ud2");
    uint32_t ud = excp.eflags;
    excp_reset();
    TRY("movw %%ax, %%fs", : : "a"(0xfff8));
    uint32_t gp = excp.eflags;
    int gpv = excp.vector;
    excp_reset();
    asm volatile("int $0x51" : : : "memory");
    uint32_t soft = excp.eflags;
    tap_ok((ud & EFL_RF) && gpv == 13 && (gp & EFL_RF) && !(soft & EFL_RF) &&
               !(read_eflags() & EFL_RF),
           "faults (#UD, #GP) push EFLAGS with RF = 1, INT n with RF = 0"
           QEMU_DEVIATION("SDM Vol. 3A 17.3.1.1"));
}

void kmain(void)
{
    tap_plan(21);
    idt_set_raw(1, (uint32_t)db_handler, SEL_KCODE, GATE_INT32, 0, true);
    test_write_watch();
    test_ranges();
    test_rep();
    test_implicit_and_step();
    test_io();
    test_fault_after_hit();
    test_rf();
}
