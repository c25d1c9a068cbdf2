/*
 * tests/guests/kernels/sysenter.c — SYSENTER and SYSEXIT (Intel SDM Vol. 2B; Vol. 3A 5.8.7).
 *
 * SYSENTER goes to ring 0 at IA32_SYSENTER_EIP with ESP = IA32_SYSENTER_ESP, CS =
 * IA32_SYSENTER_CS and SS = that + 8, and clears IF (and VM, RF). SYSEXIT goes to ring 3 at EDX
 * with ESP = ECX, CS = IA32_SYSENTER_CS + 16 and SS = + 24, both with RPL 3. Both are #GP(0)
 * with a null IA32_SYSENTER_CS; SYSEXIT is #GP(0) outside ring 0. The runtime's GDT has the
 * order they need: kernel code 08, kernel data 10, user code 1B, user data 23.
 */
#include "libk.h"

enum { MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176 };

static void wrmsr(uint32_t index, uint32_t v)
{
    asm volatile("wrmsr" : : "c"(index), "a"(v), "d"(0) : "memory");
}

static uint8_t sysenter_stack[1024] __attribute__((aligned(16)));

/* what the ring-0 entry saw */
uint32_t se_cs, se_ss, se_esp, se_eflags, se_runs;
extern char sysenter_entry[];
asm(".globl sysenter_entry\n"
    "sysenter_entry:\n\t"
    "movl %esp, se_esp\n\t"
    "movl $0, se_cs\n\t"
    "movw %cs, se_cs\n\t"
    "movl $0, se_ss\n\t"
    "movw %ss, se_ss\n\t"
    "pushfl\n\t"
    "popl se_eflags\n\t"
    "incl se_runs\n\t"
    "sysexit\n");

/* ring 3: SYSENTER, come back through SYSEXIT at 1: with the same ESP */
static uint32_t u_after_cs, u_after_ss, u_esp_before, u_esp_after;
static uint32_t u_sysenter(void)
{
    asm volatile("movl %%esp, %%ecx\n\t"
                 "movl %%ecx, %0\n\t"
                 "movl $1f, %%edx\n\t"
                 "sysenter\n"
                 "1:\tmovl %%esp, %1\n\t"
                 "movl $0, %2\n\t"
                 "movw %%cs, %2\n\t"
                 "movl $0, %3\n\t"
                 "movw %%ss, %3"
                 : "=m"(u_esp_before), "=m"(u_esp_after), "=m"(u_after_cs), "=m"(u_after_ss)
                 :
                 : "ecx", "edx", "memory");
    return 0;
}

static uint32_t u_sysexit(void)
{
    excp_reset();
    TRY("sysexit");
    return 0;
}

void kmain(void)
{
    tap_plan(6);
    tss_load();
    uint32_t top = (uint32_t)(sysenter_stack + sizeof(sysenter_stack));
    wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
    wrmsr(MSR_SYSENTER_ESP, top);
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_entry);

    run_user(u_sysenter, 2 | EFL_IF, SEL_UDATA);
    tap_ok(se_runs == 1 && se_cs == SEL_KCODE && se_ss == SEL_KDATA && se_esp == top,
           "SYSENTER from ring 3: CS %#x, SS %#x, ESP from the MSRs", se_cs, se_ss);
    tap_ok(se_runs == 1 && !(se_eflags & EFL_IF), "SYSENTER clears IF");
    tap_ok(u_after_cs == SEL_UCODE && u_after_ss == SEL_UDATA && u_esp_after == u_esp_before,
           "SYSEXIT: CS %#x and SS %#x (SYSENTER_CS + 16 and + 24, RPL 3), ESP = ECX, EIP = "
           "EDX", u_after_cs, u_after_ss);

    run_user(u_sysexit, 2, SEL_UDATA);
    tap_ok(excp.vector == 13 && excp.error == 0 && excp.eip == try_addr && excp.cs == SEL_UCODE,
           "#GP(0) for SYSEXIT in ring 3");

    wrmsr(MSR_SYSENTER_CS, 0);
    excp_reset();
    TRY("sysenter");
    tap_ok(excp.vector == 13 && excp.error == 0 && excp.eip == try_addr,
           "#GP(0) for SYSENTER with IA32_SYSENTER_CS = 0");
    excp_reset();
    TRY("sysexit");
    tap_ok(excp.vector == 13 && excp.error == 0 && excp.eip == try_addr,
           "#GP(0) for SYSEXIT with IA32_SYSENTER_CS = 0");
}
