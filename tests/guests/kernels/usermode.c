/*
 * tests/guests/kernels/usermode.c — ring 3 and back (Intel SDM Vol. 3A chapters 5-7).
 *
 * LTR loads the task register and marks the TSS busy (Vol. 2A LTR). IRET to an outer privilege
 * level pops SS:ESP and nulls data segment registers the new CPL may not use (Vol. 2A IRET,
 * RETURN-TO-OUTER-PRIVILEGE-LEVEL). An interrupt or exception from ring 3 switches to the ring-0
 * stack named by the TSS and pushes the old SS:ESP (6.12.1, Figure 6-4). Paging denies user
 * accesses to supervisor pages and user writes to read-only pages with #PF, the U/S bit set in
 * the error code (4.6, 4.7). Privileged and IOPL-sensitive instructions fault at CPL 3 (5.9,
 * Vol. 1 18.2), as does INT n through a gate whose DPL is below the CPL (6.12.1.1).
 */
#include "libk.h"

enum { PG_P = 1, PG_RW = 2, PG_US = 4 };
enum { PF_P = 1, PF_W = 2, PF_U = 4 };
#define PAGE 4096
#define UNMAPPED 0x50000000u
#define EFL_IOPL3 (3u << 12)

static uint32_t pd[1024] __attribute__((aligned(PAGE)));
static uint32_t pt_low[2][1024] __attribute__((aligned(PAGE)));
static volatile uint8_t super_page[PAGE] __attribute__((aligned(PAGE)));
static volatile uint8_t ro_page[PAGE] __attribute__((aligned(PAGE)));

static void set_pte(const volatile void *p, uint32_t flags)
{
    uint32_t a = (uint32_t)p;
    pt_low[a >> 22][(a >> 12) & 1023] = (a & ~0xfffu) | flags;
    invlpg(a);
}

static void setup_paging(void)
{
    /* identity 0-8 MiB, all user-accessible, but for two pages */
    for (int i = 0; i < 2048; i++) {
        pt_low[i / 1024][i % 1024] = (uint32_t)i * PAGE | PG_P | PG_RW | PG_US;
    }
    pd[0] = (uint32_t)pt_low[0] | PG_P | PG_RW | PG_US;
    pd[1] = (uint32_t)pt_low[1] | PG_P | PG_RW | PG_US;
    write_cr3((uint32_t)pd);
    write_cr0(read_cr0() | CR0_PG);
    set_pte(super_page, PG_P | PG_RW);
    set_pte(ro_page, PG_P | PG_US);
}

/* ---- code that runs in ring 3 ---------------------------------------------------------------- */

static uint32_t u_cs(void)
{
    return read_cs();
}

static uint32_t u_ss(void)
{
    uint16_t v;
    asm volatile("mov %%ss, %0" : "=r"(v));
    return v;
}

static uint32_t u_fs(void)
{
    uint16_t v;
    asm volatile("mov %%fs, %0" : "=r"(v));
    return v;
}

static uint32_t u_read_super(void)
{
    uint32_t v = 0;
    TRY("movl (%%ecx), %%eax", : "=a"(v) : "c"(super_page + 0x10) : "memory");
    return v;
}

static uint32_t u_write_super(void)
{
    TRY("movl %%eax, (%%ecx)", : : "a"(1), "c"(super_page + 0x20) : "memory");
    return 0;
}

static uint32_t u_write_ro(void)
{
    TRY("movl %%eax, (%%ecx)", : : "a"(0xbad), "c"(ro_page + 0x30) : "memory");
    return 0;
}

static uint32_t u_read_ro(void)
{
    return *(volatile uint32_t *)(ro_page + 0x30);
}

static uint32_t u_read_unmapped(void)
{
    uint32_t v = 0;
    TRY("movl (%%ecx), %%eax", : "=a"(v) : "c"(UNMAPPED + 0x40) : "memory");
    return v;
}

static uint32_t u_cli(void)
{
    TRY("cli");
    return 0;
}

static uint32_t u_hlt(void)
{
    TRY("hlt");
    return 0;
}

static uint32_t u_int_dpl0(void)
{
    TRY("int $0x40");
    return 0;
}

static uint32_t u_in(void)
{
    uint8_t v = 0;
    TRY("inb $0xe9, %%al", : "=a"(v) : : "memory");
    return v;
}

static uint32_t u_read_cr0(void)
{
    uint32_t v = 0;
    TRY("movl %%cr0, %%eax", : "=a"(v) : : "memory");
    return v;
}

static uint32_t u_load_kernel_ds(void)
{
    TRY("movw %%ax, %%ds", : : "a"(SEL_KDATA | 3) : "memory");
    return 0;
}

static uint32_t u_int3(void)
{
    TRY("int3");
    return 0;
}

static uint32_t u_iopl3(void)
{
    uint8_t v = 0;
    TRY("cli\n\tsti\n\tcli\n\tinb $0xe9, %%al", : "=a"(v) : : "memory");
    return v;
}

static uint32_t u_popf_iopl(void)
{
    uint32_t f;
    asm volatile("pushfl\n\t"
                 "orl $0x3000, (%%esp)\n\t"
                 "popfl\n\t"
                 "pushfl\n\t"
                 "popl %0"
                 : "=r"(f)
                 :
                 : "memory", "cc");
    return f;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static bool user_fault(int vector, uint32_t error)
{
    return excp.vector == vector && excp.count == 1 && excp.error == error &&
           excp.cs == SEL_UCODE && excp.eip == try_addr && excp.ss == SEL_UDATA;
}

static bool on_istack(uint32_t a)
{
    return a >= (uint32_t)istack && a < (uint32_t)istack_top;
}

void kmain(void)
{
    tap_plan(25);
    setup_paging();

    tss_load();
    tap_ok(read_str() == SEL_TSS, "LTR loads the task register (STR reads it back)");
    tap_ok(((gdt[SEL_TSS / 8] >> 40) & 0xf) == ACC_TSS32_BUSY, "LTR marks the TSS descriptor busy");

    uint32_t cs = run_user(u_cs, 2, SEL_UDATA);
    tap_ok(cs == SEL_UCODE, "IRET to ring 3: CS is the user code selector (CPL 3)");
    tap_ok(run_user(u_ss, 2, SEL_UDATA) == SEL_UDATA, "IRET to ring 3 loads SS from the frame");
    tap_ok(on_istack(user_exit_frame_addr),
           "INT from ring 3 runs the handler on the TSS's ring-0 stack");
    tap_ok(user_exit_frame.ss == SEL_UDATA && user_exit_frame.esp == (uint32_t)ustack_top &&
               user_exit_frame.cs == SEL_UCODE,
           "INT from ring 3 pushes the user's SS:ESP and CS");
    tap_ok(read_cs() == SEL_KCODE, "back in ring 0");

    tap_ok(run_user(u_fs, 2, SEL_KDATA) == 0,
           "IRET to ring 3 nulls FS holding a DPL-0 data segment");
    tap_ok(run_user(u_fs, 2, SEL_UDATA) == SEL_UDATA, "IRET to ring 3 keeps FS with a DPL-3 one");

    excp_reset();
    run_user(u_read_super, 2, SEL_UDATA);
    tap_ok(user_fault(14, PF_P | PF_U) && excp.cr2 == (uint32_t)(super_page + 0x10),
           "a user read of a supervisor page is #PF(P|U), CR2 = address");
    tap_ok(on_istack(excp.frame), "the #PF from ring 3 is handled on the ring-0 stack");

    excp_reset();
    run_user(u_write_super, 2, SEL_UDATA);
    tap_ok(user_fault(14, PF_P | PF_W | PF_U) && excp.cr2 == (uint32_t)(super_page + 0x20),
           "a user write to a supervisor page is #PF(P|W|U)");

    ro_page[0x30] = 0x5a;
    excp_reset();
    run_user(u_write_ro, 2, SEL_UDATA);
    tap_ok(user_fault(14, PF_P | PF_W | PF_U) && excp.cr2 == (uint32_t)(ro_page + 0x30) &&
               ro_page[0x30] == 0x5a,
           "a user write to a read-only user page is #PF(P|W|U), memory unchanged");

    excp_reset();
    uint32_t ro = run_user(u_read_ro, 2, SEL_UDATA);
    tap_ok(excp.vector == -1 && (ro & 0xff) == 0x5a, "a user read of a read-only user page works");

    excp_reset();
    run_user(u_read_unmapped, 2, SEL_UDATA);
    tap_ok(user_fault(14, PF_U) && excp.cr2 == UNMAPPED + 0x40,
           "a user read of a not-present page is #PF(U)");

    excp_reset();
    run_user(u_cli, 2, SEL_UDATA);
    tap_ok(user_fault(13, 0), "CLI at CPL 3 with IOPL 0 is #GP(0)");

    idt_set_gate(0x40, GATE_INT32, 0, true);
    excp_reset();
    run_user(u_int_dpl0, 2, SEL_UDATA);
    tap_ok(user_fault(13, 0x40 * 8 + 2),
           "INT n at CPL 3 through a DPL-0 gate is #GP(vector * 8 + 2), at the INT");

    excp_reset();
    run_user(u_in, 2, SEL_UDATA);
    tap_ok(user_fault(13, 0), "IN at CPL 3 with IOPL 0 and no I/O bitmap is #GP(0)");

    excp_reset();
    run_user(u_read_cr0, 2, SEL_UDATA);
    tap_ok(user_fault(13, 0), "MOV from CR0 at CPL 3 is #GP(0)");

    excp_reset();
    run_user(u_load_kernel_ds, 2, SEL_UDATA);
    tap_ok(user_fault(13, SEL_KDATA), "loading DS with a DPL-0 segment at CPL 3 is #GP(selector)");

    excp_reset();
    run_user(u_int3, 2, SEL_UDATA);
    tap_ok(excp.vector == 3 && excp.cs == SEL_UCODE && excp.eip == try_next &&
               excp.ss == SEL_UDATA,
           "INT3 at CPL 3 through a DPL-3 gate is #BP, EIP after it");

    excp_reset();
    uint32_t in = run_user(u_iopl3, 2 | EFL_IOPL3, SEL_UDATA);
    tap_ok(excp.vector == -1 && (in & 0xff) == 0xe9,
           "with IOPL 3, CLI, STI and IN work at CPL 3");

    /* ring 3 must not raise its own IOPL: POPF at CPL 3 leaves IOPL alone (POPF in Vol. 2B) */
    excp_reset();
    uint32_t fl = run_user(u_popf_iopl, 2, SEL_UDATA);
    tap_ok(excp.vector == -1 && (fl & EFL_IOPL3) == 0, "POPF at CPL 3 does not change IOPL");

    tap_ok(read_cs() == SEL_KCODE && read_str() == SEL_TSS, "still ring 0, TR unchanged");

    /* last: an emulator that lets ring 3 halt stops here, not before the other checks */
    excp_reset();
    run_user(u_hlt, 2, SEL_UDATA);
    tap_ok(user_fault(13, 0), "HLT at CPL 3 is #GP(0)");
}
