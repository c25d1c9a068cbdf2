/*
 * tests/guests/kernels/tasks.c — hardware task switching (Intel SDM Vol. 3A chapter 7).
 *
 * CALL to a TSS or through a task gate nests: the new task's back link names the old TSS, its
 * NT flag is set and both TSSs stay busy; IRET with NT = 1 goes back through the link and
 * clears the busy bit of the task it leaves (7.3, 7.4). JMP does not nest: the old TSS stops
 * being busy. A switch saves EIP, EFLAGS, the general and segment registers in the old TSS and
 * loads them from the new one, and sets CR0.TS (2.5). Interrupts and exceptions through a task
 * gate in the IDT switch tasks too, with the error code pushed on the new task's stack (6.12.2);
 * 32-bit Linux handles #DF that way. The checks of Vol. 2A JMP/CALL/IRET ("TASK-GATE",
 * "TASK-STATE-SEGMENT", "TASK-RETURN") fault before anything changes. A 16-bit TSS (7.6) works
 * the same way with 16-bit fields.
 */
#include "libk.h"

#define EFL_NT (1u << 14)
#define CR0_TS (1u << 3)
enum { GATE_TASK = 5, ACC_TSS16 = 0x01, ACC_TASK_GATE = 0x05 };

/* test descriptors */
enum {
    E_B = GDT_TEST_FIRST,       /* the 32-bit TSS of task B */
    E_C,                        /* a 16-bit TSS */
    E_GATE_B,                   /* task gate to B */
    E_SMALL,                    /* 32-bit TSS with a limit of 0x60 */
    E_NP,                       /* 32-bit TSS, not present */
    E_GATE_NP,                  /* task gate, not present */
    E_GATE_CODE,                /* task gate naming a code segment */
};
enum {
    SEL_B = E_B * 8, SEL_C = E_C * 8, SEL_GATE_B = E_GATE_B * 8, SEL_SMALL = E_SMALL * 8,
    SEL_NP = E_NP * 8, SEL_GATE_NP = E_GATE_NP * 8, SEL_GATE_CODE = E_GATE_CODE * 8,
};

/* a 16-bit TSS (SDM Vol. 3A Figure 7-11) */
struct tss16 {
    uint16_t link, sp0, ss0, sp1, ss1, sp2, ss2, ip, flags, ax, cx, dx, bx, sp, bp, si, di, es,
        cs, ss, ds, ldt;
} __attribute__((packed));

static struct tss32 tss_b __attribute__((aligned(128)));
static struct tss32 tss_spare __attribute__((aligned(128)));
static struct tss16 tss_c __attribute__((aligned(64)));
static uint8_t stack_b[4096] __attribute__((aligned(16)));

/* ---- task B: an assembly entry records the registers, then task_body runs ---------------- */

uint32_t t_regs[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI at the task's entry */
uint32_t task_jmp_back; /* nonzero: B ends with JMP to the first task, else with IRET */
extern char task_entry[], task_after_iret[];
void task_body(void);
asm(".globl task_entry, task_after_iret\n"
    "task_entry:\n\t"
    "movl %eax, t_regs\n\t"
    "movl %ecx, t_regs+4\n\t"
    "movl %edx, t_regs+8\n\t"
    "movl %ebx, t_regs+12\n\t"
    "movl %esp, t_regs+16\n\t"
    "movl %ebp, t_regs+20\n\t"
    "movl %esi, t_regs+24\n\t"
    "movl %edi, t_regs+28\n\t"
    "call task_body\n\t"
    "cmpl $0, task_jmp_back\n\t"
    "jne 1f\n\t"
    "iret\n"
    "task_after_iret:\n\t"
    "jmp task_entry\n"
    "1:\tljmp $0x28, $0\n\t"
    "jmp task_entry\n");

/* what task B saw */
static volatile struct {
    int runs;
    uint32_t tr, eflags, link, busy_b, busy_main, err, saved_eip;
    bool fix_eip; /* an exception task: resume the first task at try_next */
} tb;

static bool busy(int entry)
{
    return (gdt[entry] >> 41) & 1;
}

void task_body(void)
{
    tb.runs++;
    tb.tr = read_str();
    tb.eflags = read_eflags();
    tb.link = tss_b.link;
    tb.busy_b = busy(E_B);
    tb.busy_main = busy(SEL_TSS / 8);
    tb.saved_eip = tss.eip;
    tb.err = *(uint32_t *)t_regs[4];
    if (tb.fix_eip) {
        tss.eip = try_next;
    }
}

static void clts_now(void)
{
    asm volatile("clts");
}

static void prepare_b(void)
{
    memset(&tss_b, 0, sizeof(tss_b));
    tss_b.eip = (uint32_t)task_entry;
    tss_b.eflags = 0x2;
    tss_b.esp = (uint32_t)(stack_b + sizeof(stack_b));
    tss_b.cs = SEL_KCODE;
    tss_b.ss = tss_b.ds = tss_b.es = tss_b.fs = tss_b.gs = SEL_KDATA;
    tss_b.eax = 0x11111111;
    tss_b.ecx = 0x22222222;
    tss_b.edx = 0x33333333;
    tss_b.ebx = 0x44444444;
    tss_b.ebp = 0x66666666;
    tss_b.esi = 0x77777777;
    tss_b.edi = 0x88888888;
    tss_b.cr3 = read_cr3();
    tss_b.iomap_base = sizeof(tss_b);
    gdt_set(E_B, (uint32_t)&tss_b, sizeof(tss_b) - 1, ACC_P | ACC_TSS32, 0);
    memset((void *)&tb, 0, sizeof(tb));
    task_jmp_back = 0;
    clts_now();
}

/* a gate descriptor in the GDT: selector, P, DPL 0, type */
static void gdt_gate(int entry, uint16_t sel, int type, bool present)
{
    uint32_t lo = (uint32_t)sel << 16;
    uint32_t hi = (present ? 0x8000u : 0) | ((uint32_t)type << 8);
    gdt[entry] = ((uint64_t)hi << 32) | lo;
}

static bool regs_from_tss(void)
{
    return t_regs[0] == 0x11111111 && t_regs[1] == 0x22222222 && t_regs[2] == 0x33333333 &&
           t_regs[3] == 0x44444444 && t_regs[4] == (uint32_t)(stack_b + sizeof(stack_b)) &&
           t_regs[5] == 0x66666666 && t_regs[6] == 0x77777777 && t_regs[7] == 0x88888888;
}

static bool is(int vector, uint32_t error)
{
    return excp.vector == vector && excp.error == error && excp.count == 1;
}

static void test_call_iret(void)
{
    prepare_b();
    uint32_t esi_after, ret_label;
    asm volatile("movl $0x5a5a5a5a, %%esi\n\t"
                 "lcall %2, $0\n"
                 "1:\tmovl %%esi, %0\n\t"
                 "movl $1b, %1"
                 : "=r"(esi_after), "=m"(ret_label)
                 : "i"(SEL_B)
                 : "esi", "memory");
    tap_ok(tb.runs == 1 && regs_from_tss(),
           "CALL to a 32-bit TSS runs the task with the registers of its TSS");
    tap_ok(tb.tr == SEL_B && (tb.eflags & EFL_NT) && tb.link == SEL_TSS,
           "the called task: TR = its TSS, NT = 1, back link = the caller's TSS (tr %#x eflags "
           "%#x link %#x)", tb.tr, tb.eflags, tb.link);
    tap_ok(tb.busy_b && tb.busy_main, "during a CALL both TSS descriptors are busy");
    tap_ok(esi_after == 0x5a5a5a5a && (read_cr0() & CR0_TS) && read_str() == SEL_TSS &&
               !(read_eflags() & EFL_NT),
           "IRET with NT = 1 returns to the caller: registers back, CR0.TS set, NT clear");
    tap_ok(!busy(E_B) && busy(SEL_TSS / 8),
           "after the IRET the called TSS is not busy, the caller's still is");
    tap_ok(tb.saved_eip == ret_label && tss.esi == 0x5a5a5a5a,
           "the caller's TSS holds EIP after the CALL and its registers");
    bool saved = tss_b.eip == (uint32_t)task_after_iret && !(tss_b.eflags & EFL_NT) &&
                 tss_b.cs == SEL_KCODE;
    asm volatile("lcall %0, $0" : : "i"(SEL_B) : "memory");
    tap_ok(saved && tb.runs == 2,
           "the called task's TSS holds EIP after its IRET and EFLAGS with NT clear; a second "
           "CALL resumes");
    clts_now();
}

static void test_jmp(void)
{
    prepare_b();
    task_jmp_back = 1;
    uint32_t ret_label;
    asm volatile("ljmp %1, $0\n"
                 "1:\tmovl $1b, %0"
                 : "=m"(ret_label)
                 : "i"(SEL_B)
                 : "memory");
    tap_ok(tb.runs == 1 && regs_from_tss() && !(tb.eflags & EFL_NT) && tb.link == 0 &&
               tb.busy_b && !tb.busy_main,
           "JMP to a TSS: no back link, NT = 0, the old TSS is not busy any more");
    tap_ok(read_str() == SEL_TSS && busy(SEL_TSS / 8) && !busy(E_B) && tb.saved_eip == ret_label,
           "JMP back to the first TSS resumes it after its JMP; the other is not busy");
    clts_now();
}

static void test_gates(void)
{
    prepare_b();
    gdt_gate(E_GATE_B, SEL_B, GATE_TASK, true);
    asm volatile("lcall %0, $0" : : "i"(SEL_GATE_B) : "memory");
    tap_ok(tb.runs == 1 && tb.tr == SEL_B && tb.link == SEL_TSS && !busy(E_B),
           "CALL through a task gate in the GDT switches to its TSS and back");

    prepare_b();
    idt_set_raw(0x50, 0, SEL_B, GATE_TASK, 0, true);
    excp_reset();
    TRY("int $0x50");
    tap_ok(tb.runs == 1 && regs_from_tss() && tb.link == SEL_TSS && (tb.eflags & EFL_NT) &&
               tb.saved_eip == try_next && excp.vector == -1,
           "INT n through a task gate in the IDT: a nested task, EIP after the INT saved");

    /* an exception with an error code: #GP(selector) from a segment load */
    prepare_b();
    tb.fix_eip = true;
    idt_set_raw(13, 0, SEL_B, GATE_TASK, 0, true);
    excp_reset();
    TRY("movw %%ax, %%es", : : "a"(0x1000));
    tap_ok(tb.runs == 1 && tb.err == 0x1000 &&
               t_regs[4] == (uint32_t)(stack_b + sizeof(stack_b)) - 4 &&
               tb.saved_eip == try_addr && excp.vector == -1,
           "#GP through a task gate: error code %#x on the new task's stack, EIP of the fault "
           "saved", tb.err);

    /* #DF: a #NP while delivering #GP (both contributory, SDM Table 6-5) */
    prepare_b();
    tb.fix_eip = true;
    idt_set_gate(13, GATE_INT32, 0, false);
    idt_set_raw(8, 0, SEL_B, GATE_TASK, 0, true);
    excp_reset();
    TRY("movw %%ax, %%es", : : "a"(0x1000));
    tap_ok(tb.runs == 1 && tb.err == 0 && tb.link == SEL_TSS && excp.vector == -1,
           "#DF through a task gate in the IDT (a #NP while delivering #GP): error code 0");
    idt_set_gate(13, GATE_INT32, 0, true);
    idt_set_gate(8, GATE_INT32, 0, true);
    clts_now();
}

static void test_faults(void)
{
    prepare_b();
    excp_reset();
    TRY("ljmp $0x28, $0");
    tap_ok(is(13, SEL_TSS) && read_str() == SEL_TSS && busy(SEL_TSS / 8),
           "#GP(selector) for JMP to a busy TSS, nothing changed");

    excp_reset();
    TRY("lcall $0x33, $0"); /* SEL_B with RPL 3 */
    tap_ok(is(13, SEL_B) && !busy(E_B) && tb.runs == 0,
           "#GP(selector) for CALL to a TSS whose DPL is below the selector's RPL");

    memset(&tss_spare, 0, sizeof(tss_spare));
    gdt_set(E_NP, (uint32_t)&tss_spare, sizeof(tss_spare) - 1, ACC_TSS32, 0);
    excp_reset();
    TRY("lcall %0, $0", : : "i"(SEL_NP));
    tap_ok(is(11, SEL_NP), "#NP(selector) for CALL to a not-present TSS");

    gdt_set(E_SMALL, (uint32_t)&tss_spare, 0x60, ACC_P | ACC_TSS32, 0);
    excp_reset();
    TRY("lcall %0, $0", : : "i"(SEL_SMALL));
    tap_ok(is(10, SEL_SMALL) && !busy(E_SMALL) && read_str() == SEL_TSS,
           "#TS(selector) for CALL to a 32-bit TSS whose limit is below 67H");

    gdt_gate(E_GATE_NP, SEL_B, GATE_TASK, false);
    excp_reset();
    TRY("lcall %0, $0", : : "i"(SEL_GATE_NP));
    tap_ok(is(11, SEL_GATE_NP), "#NP(gate selector) for CALL through a not-present task gate");

    gdt_gate(E_GATE_CODE, SEL_KCODE, GATE_TASK, true);
    excp_reset();
    TRY("ljmp %0, $0", : : "i"(SEL_GATE_CODE));
    tap_ok(is(13, SEL_KCODE), "#GP(TSS selector) for JMP through a task gate naming a code "
                              "segment");

    /* IRET with NT = 1 and a back link to a TSS that is not busy */
    tss.link = SEL_B;
    excp_reset();
    TRY("pushfl\n\torl $0x4000, (%esp)\n\tpopfl\n\tiret");
    asm volatile("pushfl\n\tandl $~0x4000, (%%esp)\n\tpopfl" : : : "memory", "cc");
    tap_ok(is(10, SEL_B) && excp.eip == try_next - 1 && read_str() == SEL_TSS,
           "#TS(back link) for IRET with NT = 1 to a TSS that is not busy");
    tss.link = 0;
    clts_now();
}

/* ---- a 16-bit TSS: its task runs copied code at 0x7000 (IP is 16 bits) ------------------ */

#define LOW_CODE 0x7000u
#define LOW_DATA 0x7100u
extern char task16_code[], task16_iret[], task16_end[];
asm(".globl task16_code, task16_iret, task16_end\n"
    "task16_code:\n\t"
    "movw %ax, 0x7100\n\t"
    "movw %bx, 0x7102\n\t"
    "movw %di, 0x7104\n\t"
    "movw %ds, 0x7106\n\t"
    "iret\n"
    "task16_iret:\n\t"
    "jmp task16_code\n"
    "task16_end:\n");

static void test_tss16(void)
{
    memcpy((void *)LOW_CODE, task16_code, (size_t)(task16_end - task16_code));
    memset((void *)LOW_DATA, 0, 8);
    memset(&tss_c, 0, sizeof(tss_c));
    tss_c.ip = LOW_CODE;
    tss_c.flags = 0x2;
    tss_c.ax = 0x1234;
    tss_c.bx = 0x5678;
    tss_c.di = 0x9abc;
    tss_c.sp = 0x7800;
    tss_c.cs = SEL_KCODE;
    tss_c.ss = tss_c.ds = tss_c.es = SEL_KDATA;
    gdt_set(E_C, (uint32_t)&tss_c, sizeof(tss_c) - 1, ACC_P | ACC_TSS16, 0);
    asm volatile("lcall %0, $0" : : "i"(SEL_C) : "memory");
    volatile uint16_t *d = (volatile uint16_t *)LOW_DATA;
    tap_ok(d[0] == 0x1234 && d[1] == 0x5678 && d[2] == 0x9abc && d[3] == SEL_KDATA,
           "CALL to a 16-bit TSS loads the registers from its 16-bit fields");
    uint32_t resume = LOW_CODE + (uint32_t)(task16_iret - task16_code);
    tap_ok(tss_c.link == SEL_TSS && tss_c.ip == resume && tss_c.flags == 0x2 &&
               tss_c.cs == SEL_KCODE && !busy(E_C) && read_str() == SEL_TSS,
           "IRET from the 16-bit task: back link, IP after the IRET, FLAGS with NT clear saved, "
           "not busy");
    clts_now();
}

/* #TS from the new task's DS: the switch is complete, the fault belongs to the new task (SDM
   Vol. 3A 7.3 step 14); its handler gives DS a usable value and resumes the task's entry */
static void fix_ds_hook(struct excp_frame *f)
{
    f->ds = SEL_KDATA;
}

static void test_fault_in_new_task(void)
{
    prepare_b();
    tss_b.ds = 0x1000; /* beyond the GDT */
    excp_reset();
    excp_hook[10] = fix_ds_hook;
    excp_fixup = (uint32_t)task_entry;
    asm volatile("lcall %0, $0" : : "i"(SEL_B) : "memory");
    excp_fixup = 0;
    excp_hook[10] = NULL;
    tap_ok(excp.vector == 10 && excp.error == 0x1000 && excp.eip == (uint32_t)task_entry &&
               tb.runs == 1 && tb.tr == SEL_B && tb.link == SEL_TSS,
           "#TS(DS selector) after the switch is raised in the new task, at its first "
           "instruction" QEMU_DEVIATION("SDM Vol. 3A 6.15, interrupt 10, saved instruction "
                                        "pointer"));
    clts_now();
}

/* ---- the T bit, and a virtual-8086 task ------------------------------------------------- */

static void test_trap_bit(void)
{
    prepare_b();
    tss_b.trap = 1;
    excp_reset();
    excp_fixup = (uint32_t)task_entry; /* the #DB handler resumes task B where it would start */
    uint32_t dr6;
    asm volatile("mov %0, %%dr6" : : "r"(0));
    asm volatile("lcall %0, $0" : : "i"(SEL_B) : "memory");
    excp_fixup = 0; /* (in case no #DB came) */
    asm volatile("mov %%dr6, %0" : "=r"(dr6));
    tap_ok(excp.vector == 1 && excp.eip == (uint32_t)task_entry && tb.runs == 1 &&
               tb.tr == SEL_B && (dr6 & (1u << 15)),
           "the T bit of the new TSS: #DB with DR6.BT before its first instruction"
           QEMU_DEVIATION("SDM Vol. 3A 7.2.1, 17.3.1.5"));
    clts_now();
}

#define V86_CODE 0x20000u
#define V86_DATA 0x40000u
extern char v86task_code[], v86task_end[], v86task_exit[];
/* the v8086 task stores AX at DS:10 and leaves through INT 82H; the ring-0 handler (in the same
   task) returns to the caller task with IRET and NT = 1 */
asm(".code16\n"
    ".globl v86task_code, v86task_end\n"
    "v86task_code:\n\t"
    "movw $0x1234, %ax\n\t"
    "movw %ax, 0x10\n\t"
    "movw %ss, %ax\n\t"
    "movw %ax, 0x12\n\t"
    "int $0x82\n"
    "v86task_end:\n"
    ".code32\n"
    ".globl v86task_exit\n"
    "v86task_exit:\n\t"
    "pushfl\n\t"
    "orl $0x4000, (%esp)\n\t"
    "popfl\n\t"
    "iret\n");

static void test_vm86_task(void)
{
    memcpy((void *)V86_CODE, v86task_code, (size_t)(v86task_end - v86task_code));
    volatile uint16_t *data = (volatile uint16_t *)(V86_DATA + 0x10);
    data[0] = data[1] = 0;
    prepare_b();
    tss_b.eflags = 0x2 | (1u << 17) | (3u << 12); /* VM, IOPL 3 */
    tss_b.eip = 0;
    tss_b.cs = V86_CODE >> 4;
    tss_b.ss = 0x3000;
    tss_b.esp = 0x1000;
    tss_b.ds = V86_DATA >> 4;
    tss_b.es = tss_b.fs = tss_b.gs = 0;
    tss_b.ss0 = SEL_KDATA;
    tss_b.esp0 = (uint32_t)(stack_b + sizeof(stack_b));
    idt_set_raw(0x82, (uint32_t)v86task_exit, SEL_KCODE, GATE_INT32, 3, true);
    asm volatile("lcall %0, $0" : : "i"(SEL_B) : "memory");
    tap_ok(data[0] == 0x1234 && data[1] == 0x3000 && read_str() == SEL_TSS && !busy(E_B) &&
               tss_b.cs == SEL_KCODE && !(tss_b.eflags & (1u << 17)),
           "CALL to a TSS with VM = 1 in its EFLAGS runs a virtual-8086 task (real-mode "
           "segments); its ring-0 handler returns with IRET and NT = 1");
    clts_now();
}

/* ---- CR3 comes from the new TSS under paging (SDM Vol. 3A 7.2.1) ----------------------- */

static uint32_t pd_main[1024] __attribute__((aligned(4096)));
static uint32_t pd_b[1024] __attribute__((aligned(4096)));
#define PDE_4M (0x1u | 0x2u | 0x80u) /* present, writable, 4 MiB page */
#define PROBE 0xb00000u              /* 8 MiB + 3 MiB: differs between the two directories */
static volatile uint32_t b_probe, b_cr3;
extern char cr3_task_entry[];
asm(".globl cr3_task_entry\n"
    "cr3_task_entry:\n\t"
    "movl 0xb00000, %eax\n\t"
    "movl %eax, b_probe\n\t"
    "movl %cr3, %eax\n\t"
    "movl %eax, b_cr3\n\t"
    "iret\n\t"
    "jmp cr3_task_entry\n");

static void test_cr3(void)
{
    for (uint32_t i = 0; i < 4; i++) {
        pd_main[i] = pd_b[i] = (i << 22) | PDE_4M;
    }
    pd_main[2] = (0u << 22) | PDE_4M; /* 8 MiB -> 0 */
    pd_b[2] = (1u << 22) | PDE_4M;    /* 8 MiB -> 4 MiB */
    *(volatile uint32_t *)0x300000 = 0xaaaa;
    *(volatile uint32_t *)0x700000 = 0xbbbb;
    write_cr3((uint32_t)pd_main);
    tss.cr3 = (uint32_t)pd_main; /* the IRET back loads it: the caller's TSS must hold it */
    write_cr4(read_cr4() | CR4_PSE);
    write_cr0(read_cr0() | CR0_PG);
    prepare_b();
    tss_b.eip = (uint32_t)cr3_task_entry;
    tss_b.cr3 = (uint32_t)pd_b;
    asm volatile("lcall %0, $0" : : "i"(SEL_B) : "memory");
    uint32_t main_probe = *(volatile uint32_t *)PROBE, main_cr3 = read_cr3();
    write_cr0(read_cr0() & ~CR0_PG);
    write_cr4(read_cr4() & ~CR4_PSE);
    tap_ok(b_probe == 0xbbbb && b_cr3 == (uint32_t)pd_b && main_probe == 0xaaaa &&
               main_cr3 == (uint32_t)pd_main,
           "under paging each task runs with the CR3 of its TSS (probe %#x / %#x)", b_probe,
           main_probe);
    clts_now();
}

void kmain(void)
{
    tap_plan(26);
    tss_load();
    test_call_iret();
    test_jmp();
    test_gates();
    test_faults();
    test_tss16();
    test_fault_in_new_task();
    test_trap_bit();
    test_vm86_task();
    test_cr3();
}
