/*
 * tests/guests/kernels/debug.c — single-stepping and instruction breakpoints (Intel SDM Vol. 3A
 * chapter 17).
 *
 * With EFLAGS.TF = 1 the processor raises #DB after each instruction, a trap with DR6.BS set
 * (17.3.1.4); an instruction that sets TF (POPF) traps only after the next one, one that clears
 * it still traps. The handler runs with TF = 0 and its IRET restores it. DR0-DR3 with DR7 make
 * instruction breakpoints: #DB is a fault at the instruction, DR6.B0-B3 tell which matched, and
 * EFLAGS.RF = 1 in the frame the handler returns through lets the instruction run (17.3.1.1).
 * DR6 and DR7 have bits that always read as 1 (17.2.3, 17.2.4); DR4 and DR5 alias DR6 and DR7
 * unless CR4.DE = 1, which makes them #UD (17.2.2). With DR7.GD = 1 a MOV from or to a debug
 * register is a #DB fault with DR6.BD, and GD is cleared for the handler (17.2.4). Of these
 * faults only the instruction breakpoint's frame has RF = 0 (17.3.1.1).
 */
#include "libk.h"

#define EFL_TF (1u << 8)
#define EFL_RF (1u << 16)
#define CR4_DE (1u << 3)
#define DR6_BS (1u << 14)
#define MAX_DB 16

/* what the #DB handler saw, in order */
uint32_t db_count, db_eip[MAX_DB], db_dr6[MAX_DB], db_eflags[MAX_DB];
uint32_t db_set_rf; /* nonzero: return with RF = 1 (step over an instruction breakpoint) */
extern char db_handler[];
asm(".globl db_handler\n"
    "db_handler:\n\t"
    "pushl %eax\n\t"
    "pushl %ecx\n\t"
    "movl db_count, %ecx\n\t"
    "cmpl $16, %ecx\n\t"
    "jae 2f\n\t"
    "movl 8(%esp), %eax\n\t"
    "movl %eax, db_eip(,%ecx,4)\n\t"
    "movl 16(%esp), %eax\n\t"
    "movl %eax, db_eflags(,%ecx,4)\n\t"
    "movl %dr6, %eax\n\t"
    "movl %eax, db_dr6(,%ecx,4)\n"
    "2:\tincl %ecx\n\t"
    "movl %ecx, db_count\n\t"
    "xorl %eax, %eax\n\t"
    "movl %eax, %dr6\n\t"
    "cmpl $0, db_set_rf\n\t"
    "je 1f\n\t"
    "orl $0x10000, 16(%esp)\n"
    "1:\tpopl %ecx\n\t"
    "popl %eax\n\t"
    "iret\n");

static void db_reset(void)
{
    db_count = 0;
    db_set_rf = 0;
    for (int i = 0; i < MAX_DB; i++) {
        db_eip[i] = db_dr6[i] = db_eflags[i] = 0;
    }
}

static uint32_t read_dr(int n)
{
    uint32_t v = 0;
    switch (n) {
    case 0: asm volatile("mov %%dr0, %0" : "=r"(v)); break;
    case 6: asm volatile("mov %%dr6, %0" : "=r"(v)); break;
    case 7: asm volatile("mov %%dr7, %0" : "=r"(v)); break;
    }
    return v;
}

/* labels in the stepped code */
extern char ss_a[], ss_b[], ss_c[], ss_d[], ss_e[], ss_f[];

static void test_single_step(void)
{
    db_reset();
    asm volatile("pushfl\n\t"
                 "orl $0x100, (%%esp)\n\t"
                 "popfl\n"              /* sets TF: no trap after it */
                 "ss_a:\tnop\n"         /* trap, EIP = ss_b */
                 "ss_b:\tmovl $5, %%eax\n" /* trap, EIP = ss_c */
                 "ss_c:\tpushfl\n"      /* trap, EIP = ss_d */
                 "ss_d:\tandl $~0x100, (%%esp)\n" /* trap, EIP = ss_e */
                 "ss_e:\tpopfl\n"       /* clears TF, still traps: EIP = ss_f */
                 "ss_f:\tnop"
                 :
                 :
                 : "eax", "memory", "cc");
    tap_ok(db_count == 5 && db_eip[0] == (uint32_t)ss_b && db_eip[1] == (uint32_t)ss_c &&
               db_eip[2] == (uint32_t)ss_d && db_eip[3] == (uint32_t)ss_e &&
               db_eip[4] == (uint32_t)ss_f,
           "TF = 1: #DB after each instruction, none after the POPF that sets TF, one after "
           "the POPF that clears it (%u traps)", db_count);
    bool bs = true, tf = true;
    for (uint32_t i = 0; i < db_count && i < MAX_DB; i++) {
        bs = bs && (db_dr6[i] & DR6_BS) && !(db_dr6[i] & 0xf);
        tf = tf && (i + 1 == db_count ? !(db_eflags[i] & EFL_TF) : (db_eflags[i] & EFL_TF));
    }
    tap_ok(db_count && bs, "each single-step #DB sets DR6.BS (dr6 %#x)", db_dr6[0]);
    tap_ok(db_count && tf && !(read_eflags() & EFL_TF),
           "the frames of the traps have TF = 1 but the last (after the POPF that clears it)");

    /* a taken jump and a call/ret are stepped too, with the trap at the target */
    db_reset();
    uint32_t t1, t2;
    asm volatile("pushfl\n\t"
                 "orl $0x100, (%%esp)\n\t"
                 "popfl\n\t"
                 "jmp 1f\n\t"
                 "nop\n"
                 "1:\tcall 2f\n"
                 "3:\tjmp 4f\n"
                 "2:\tret\n"
                 "4:\tpushfl\n\t"
                 "andl $~0x100, (%%esp)\n\t"
                 "popfl\n\t"
                 "movl $1b, %0\n\t"
                 "movl $3b, %1"
                 : "=m"(t1), "=m"(t2)
                 :
                 : "memory", "cc");
    tap_ok(db_count == 7 && db_eip[0] == t1 && db_eip[1] != t2 && db_eip[2] == t2,
           "single-stepping a JMP, a CALL and a RET traps at their targets (%u traps)",
           db_count);
}

extern char mss_a[], mss_b[], mss_c[], mss_d[];

/* MOV SS holds the single-step trap off for one instruction (SDM Vol. 3A 6.8.3) */
static void test_shadows(void)
{
    db_reset();
    asm volatile("pushfl\n\t"
                 "orl $0x100, (%%esp)\n\t"
                 "popfl\n"
                 "mss_a:\tmovw %%ss, %%ax\n"  /* trap, EIP = mss_b */
                 "mss_b:\tmovw %%ax, %%ss\n"  /* no trap here... */
                 "mss_c:\tnop\n"              /* ...but after this one: EIP = mss_d */
                 "mss_d:\tpushfl\n\t"
                 "andl $~0x100, (%%esp)\n\t"
                 "popfl"
                 :
                 :
                 : "eax", "memory", "cc");
    tap_ok(db_count == 5 && db_eip[0] == (uint32_t)mss_b && db_eip[1] == (uint32_t)mss_d,
           "MOV SS delays the single-step trap past the next instruction (%u traps)", db_count);
}

extern char int_after[], ud_at[], ud_fix[];

/* events under TF: INT n and faults are delivered instead of the trap, and the handler runs
   with TF = 0; its IRET brings TF back and stepping goes on after the next instruction */
static void test_events_while_stepping(void)
{
    db_reset();
    excp_reset();
    asm volatile("pushfl\n\t"
                 "orl $0x100, (%%esp)\n\t"
                 "popfl\n\t"
                 "int $0x51\n"
                 "int_after:\tnop\n\t"
                 "pushfl\n\t"
                 "andl $~0x100, (%%esp)\n\t"
                 "popfl"
                 :
                 :
                 : "memory", "cc");
    tap_ok(excp.vector == 0x51 && !(excp.handler_eflags & EFL_TF) && db_count == 4 &&
               db_eip[0] == (uint32_t)int_after + 1,
           "INT n with TF = 1: the handler runs with TF = 0, no trap after the INT (%u traps)",
           db_count);

    db_reset();
    excp_reset();
    excp_fixup = (uint32_t)ud_fix; /* where the #UD handler resumes */
    asm volatile("pushfl\n\t"
                 "orl $0x100, (%%esp)\n\t"
                 "popfl\n"
                 "ud_at:\tud2\n"
                 "ud_fix:\tnop\n\t"
                 "pushfl\n\t"
                 "andl $~0x100, (%%esp)\n\t"
                 "popfl"
                 :
                 :
                 : "memory", "cc");
    tap_ok(excp.vector == 6 && excp.eip == (uint32_t)ud_at && db_count == 4 &&
               db_eip[0] == (uint32_t)ud_fix + 1,
           "a fault with TF = 1 is delivered without a single-step trap (%u traps)", db_count);
}

extern char bp_here[], bp_after[];

static void test_breakpoints(void)
{
    uint32_t dr0 = 0x12345678, back;
    asm volatile("mov %1, %%dr0\n\tmov %%dr0, %0" : "=r"(back) : "r"(dr0));
    tap_ok(back == dr0, "MOV DR0 writes and reads back");

    asm volatile("mov %0, %%dr7" : : "r"(0));
    asm volatile("mov %0, %%dr6" : : "r"(0));
    tap_ok(read_dr(7) == 0x400 && read_dr(6) == 0xffff0ff0,
           "DR7 = 0 reads %#x, DR6 = 0 reads %#x (the bits fixed to 1)", read_dr(7),
           read_dr(6));

    uint32_t v;
    asm volatile("mov %%dr4, %0" : "=r"(v));
    tap_ok(v == 0xffff0ff0, "DR4 aliases DR6 with CR4.DE = 0");
    write_cr4(read_cr4() | CR4_DE);
    excp_reset();
    TRY("mov %%dr5, %%eax", : : : "eax");
    write_cr4(read_cr4() & ~CR4_DE);
    tap_ok(excp.vector == 6 && excp.eip == try_addr, "#UD for MOV from DR5 with CR4.DE = 1");

    /* an execute breakpoint on bp_here (L0 = 1, R/W0 = 00, LEN0 = 00) */
    db_reset();
    db_set_rf = 1;
    uint32_t eax_after;
    asm volatile("mov %1, %%dr0\n\t"
                 "mov %2, %%dr7\n\t"
                 "movl $1, %%eax\n"
                 "bp_here:\tmovl $2, %%eax\n"
                 "bp_after:\tnop\n\t"
                 "mov %3, %%dr7"
                 : "=a"(eax_after)
                 : "r"((uint32_t)bp_here), "r"(1), "r"(0)
                 : "memory");
    tap_ok(db_count == 1 && db_eip[0] == (uint32_t)bp_here && eax_after == 2,
           "an instruction breakpoint is a fault at the instruction; RF = 1 steps over it "
           "(%u #DB)", db_count);
    tap_ok(db_count == 1 && (db_dr6[0] & 0xf) == 1 && !(db_dr6[0] & DR6_BS),
           "the breakpoint #DB sets DR6.B0 (dr6 %#x)", db_dr6[0]);
    /* the one fault whose frame keeps RF = 0, or the IRET would skip the breakpoint without
       the handler asking (17.3.1.1) */
    tap_ok(db_count == 1 && !(db_eflags[0] & EFL_RF),
           "the instruction-breakpoint #DB frame has RF = 0");

    /* a breakpoint that is not enabled, or on another address, does nothing */
    db_reset();
    asm volatile("mov %0, %%dr0\n\t"
                 "mov %1, %%dr7\n\t"
                 "nop\n\t"
                 "mov %2, %%dr7"
                 :
                 : "r"((uint32_t)bp_after), "r"(0x4 /* L1 */), "r"(0)
                 : "memory");
    tap_ok(db_count == 0, "no #DB from a breakpoint that DR7 does not enable");
}

extern char gd_read[], gd_write[];

static void test_general_detect(void)
{
    uint32_t v = 0;
    db_reset();
    asm volatile("mov %1, %%dr7\n"
                 "gd_read:\tmov %%dr0, %0"
                 : "=r"(v)
                 : "r"(0x2000 /* GD */)
                 : "memory");
    tap_ok(db_count == 1 && db_eip[0] == (uint32_t)gd_read && (db_dr6[0] & 0x2000) &&
               !(db_dr6[0] & 0x400f) && read_dr(7) == 0x400,
           "DR7.GD: MOV from DR0 is a #DB fault with DR6.BD, GD cleared "
           "(known QEMU deviation: SDM Vol. 3A 17.2.4)");

    db_reset();
    asm volatile("mov %0, %%dr7\n"
                 "gd_write:\tmov %1, %%dr0"
                 :
                 : "r"(0x2000), "r"(0x1234u)
                 : "memory");
    tap_ok(db_count == 1 && db_eip[0] == (uint32_t)gd_write && (db_dr6[0] & 0x2000) &&
               read_dr(0) == 0x1234,
           "DR7.GD: MOV to DR0 faults first, then completes "
           "(known QEMU deviation: SDM Vol. 3A 17.2.4)");
    tap_ok(db_count == 1 && (db_eflags[0] & EFL_RF),
           "the DR7.GD #DB is a fault other than an instruction breakpoint: RF = 1 in its frame "
           "(known QEMU deviation: SDM Vol. 3A 17.3.1.1)");
    (void)v;
}

void kmain(void)
{
    tap_plan(18);
    idt_set_raw(1, (uint32_t)db_handler, SEL_KCODE, GATE_INT32, 0, true);
    test_single_step();
    test_events_while_stepping();
    test_shadows();
    test_breakpoints();
    test_general_detect();
}
