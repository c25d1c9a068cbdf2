/*
 * tests/guests/kernels/vm86.c — virtual-8086 mode (Intel SDM Vol. 3A chapter 20).
 *
 * IRET at CPL 0 with VM = 1 in the EFLAGS image enters virtual-8086 mode, popping ESP, SS, ES,
 * DS, FS and GS after EIP, CS and EFLAGS (Vol. 2A IRET; 20.2.5). There segment registers work as
 * in real mode (20.1.1). An interrupt or exception leaves it for a ring-0 handler on the TSS's
 * ring-0 stack, with GS, FS, DS, ES pushed before SS:ESP and EFLAGS:CS:EIP and then nulled
 * (20.3.1.1, Figure 20-4). CLI, STI, PUSHF, POPF, INT n and IRET are IOPL-sensitive: #GP(0) with
 * IOPL < 3 (20.2.7); INT3 is not. Port I/O goes by the TSS I/O permission bitmap whatever the
 * IOPL (20.2.8.1). IRET inside virtual-8086 mode with IOPL 3 works as in real mode.
 */
#include "libk.h"

#define EFL_VM (1u << 17)
#define EFL_IOPL3 (3u << 12)
#define V86_CS 0x2000u  /* code at 0x20000 */
#define V86_SS 0x3000u  /* stack at 0x30000 + 0x1000 */
#define V86_DS 0x4000u  /* data at 0x40000 */
#define V86_FS 0x5000u
#define V86_GS 0x6000u
#define V86_ES 0x7000u

/* the image IRET pops, in order (and EAX, EBX for the v8086 code) */
struct vm86_start {
    uint32_t eip, cs, eflags, esp, ss, es, ds, fs, gs, eax, ebx;
};
/* what the ring-0 exit stub saw: vector, error, then the CPU's frame */
struct vm86_exit {
    uint32_t vector, error, eip, cs, eflags, esp, ss, es, ds, fs, gs;
};
struct vm86_exit vm86_frame;
uint32_t vm86_eax, vm86_ebx, vm86_ds_in, vm86_es_in, vm86_fs_in, vm86_gs_in;
uint32_t vm86_saved_esp;
void vm86_run(const struct vm86_start *s);
extern char vm86_gp_stub[], vm86_int_stub[], vm86_bp_stub[], vm86_ud_stub[];

asm(".globl vm86_run, vm86_gp_stub, vm86_int_stub, vm86_bp_stub, vm86_ud_stub\n"
    "vm86_run:\n\t"
    "pushl %ebp\n\t"
    "pushl %ebx\n\t"
    "pushl %esi\n\t"
    "pushl %edi\n\t"
    "movl %esp, vm86_saved_esp\n\t"
    "movl 20(%esp), %esi\n\t"
    "pushl 32(%esi)\n\t"
    "pushl 28(%esi)\n\t"
    "pushl 24(%esi)\n\t"
    "pushl 20(%esi)\n\t"
    "pushl 16(%esi)\n\t"
    "pushl 12(%esi)\n\t"
    "pushl 8(%esi)\n\t"
    "pushl 4(%esi)\n\t"
    "pushl 0(%esi)\n\t"
    "movl 36(%esi), %eax\n\t"
    "movl 40(%esi), %ebx\n\t"
    "iret\n"
    /* #GP pushes an error code */
    "vm86_gp_stub:\n\t"
    "pushl $13\n\t"
    "jmp vm86_common\n"
    "vm86_int_stub:\n\t"
    "pushl $0\n\t"
    "pushl $0x81\n\t"
    "jmp vm86_common\n"
    "vm86_ud_stub:\n\t"
    "pushl $0\n\t"
    "pushl $6\n\t"
    "jmp vm86_common\n"
    "vm86_bp_stub:\n\t"
    "pushl $0\n\t"
    "pushl $3\n"
    /* on the ring-0 stack of the TSS; DS, ES, FS, GS are null, SS is the kernel's */
    "vm86_common:\n\t"
    "movl %eax, %ss:vm86_eax\n\t"
    "movl %ebx, %ss:vm86_ebx\n\t"
    "movl $0, %ss:vm86_ds_in\n\t"
    "movw %ds, %ss:vm86_ds_in\n\t"
    "movl $0, %ss:vm86_es_in\n\t"
    "movw %es, %ss:vm86_es_in\n\t"
    "movl $0, %ss:vm86_fs_in\n\t"
    "movw %fs, %ss:vm86_fs_in\n\t"
    "movl $0, %ss:vm86_gs_in\n\t"
    "movw %gs, %ss:vm86_gs_in\n\t"
    "movl $0x10, %eax\n\t"
    "movw %ax, %ds\n\t"
    "movw %ax, %es\n\t"
    "movw %ax, %fs\n\t"
    "movw %ax, %gs\n\t"
    "movl %esp, %esi\n\t"
    "movl $vm86_frame, %edi\n\t"
    "movl $11, %ecx\n\t"
    "cld\n\t"
    "rep movsl\n\t"
    "movl vm86_saved_esp, %esp\n\t"
    "popl %edi\n\t"
    "popl %esi\n\t"
    "popl %ebx\n\t"
    "popl %ebp\n\t"
    "ret\n");

/* the v8086 code, copied to V86_CS:0; each entry point ends with INT 81H (or faults) */
extern char v86_code[], v86_end[], v86_basic[], v86_basic_int[], v86_after_iret[],
    v86_after_iret_int[], v86_cli[], v86_pushf[], v86_popf[], v86_int[], v86_iret[], v86_int3[],
    v86_int3_after[], v86_in[], v86_farjmp[], v86_far_target[], v86_far_int[], v86_str[],
    v86_lldt[], v86_hlt[];
asm(".code16\n"
    ".globl v86_code, v86_end, v86_basic, v86_basic_int, v86_after_iret, v86_after_iret_int\n"
    ".globl v86_cli, v86_pushf, v86_popf, v86_int, v86_iret, v86_int3, v86_int3_after, v86_in\n"
    ".globl v86_farjmp, v86_far_target, v86_far_int, v86_str, v86_lldt, v86_hlt\n"
    "v86_code:\n"
    "v86_basic:\n\t"
    "movw $0x1234, %ax\n\t"
    "movw %ax, 0x10\n\t"          /* DS:10 */
    "movw $0x1234, %ax\n\t"
    "movw %ax, %es\n\t"
    "movw $0x5678, %es:0x20\n\t"  /* 1234:0020 = 0x12360 */
    "pushfl\n\t"
    "popl %ebx\n\t"
    "movw $0x4321, %ax\n"
    "v86_basic_int:\n\t"
    "int $0x81\n"
    /* IRET inside v8086 mode, as in real mode */
    "v86_iret:\n\t"
    "pushf\n\t"
    "pushw %cs\n\t"
    "pushw $(v86_after_iret - v86_code)\n\t"
    "iret\n\t"
    "hlt\n"
    "v86_after_iret:\n\t"
    "movw $0x7777, %ax\n"
    "v86_after_iret_int:\n\t"
    "int $0x81\n"
    "v86_cli:\n\t"
    "cli\n\t"
    "int $0x81\n"
    "v86_pushf:\n\t"
    "pushf\n\t"
    "int $0x81\n"
    "v86_popf:\n\t"
    "popf\n\t"
    "int $0x81\n"
    "v86_int:\n\t"
    "int $0x81\n"
    "v86_int3:\n\t"
    "int3\n"
    "v86_int3_after:\n\t"
    "int $0x81\n"
    "v86_in:\n\t"
    "inb $0x80, %al\n\t"
    "int $0x81\n"
    "v86_str:\n\t"
    "str %ax\n\t"
    "int $0x81\n"
    "v86_lldt:\n\t"
    "lldt %ax\n\t"
    "int $0x81\n"
    "v86_hlt:\n\t"
    "hlt\n\t"
    "int $0x81\n"
    /* a far jump loads CS as in real mode */
    "v86_farjmp:\n\t"
    "ljmp $0x2001, $(v86_far_target - v86_code - 0x10)\n"
    "v86_far_target:\n\t"
    "movw %cs, %ax\n"
    "v86_far_int:\n\t"
    "int $0x81\n"
    "v86_end:\n"
    ".code32\n");

static uint32_t off(const char *label)
{
    return (uint32_t)(label - v86_code);
}

static void run(const char *entry, uint32_t iopl)
{
    struct vm86_start s = {off(entry), V86_CS, 0x2 | EFL_VM | iopl, 0x1000, V86_SS, V86_ES,
                           V86_DS, V86_FS, V86_GS, 0, 0};
    memset(&vm86_frame, 0, sizeof(vm86_frame));
    vm86_eax = vm86_ebx = 0;
    vm86_ds_in = vm86_es_in = vm86_fs_in = vm86_gs_in = 0xffff;
    vm86_run(&s);
}

static bool faulted_gp(const char *at)
{
    return vm86_frame.vector == 13 && vm86_frame.error == 0 && vm86_frame.eip == off(at) &&
           vm86_frame.cs == V86_CS && (vm86_frame.eflags & EFL_VM);
}

void kmain(void)
{
    tap_plan(17);
    tss_load();
    memcpy((void *)(V86_CS << 4), v86_code, (size_t)(v86_end - v86_code));
    idt_set_raw(0x81, (uint32_t)vm86_int_stub, SEL_KCODE, GATE_INT32, 3, true);
    idt_set_raw(13, (uint32_t)vm86_gp_stub, SEL_KCODE, GATE_INT32, 0, true);
    idt_set_raw(3, (uint32_t)vm86_bp_stub, SEL_KCODE, GATE_INT32, 3, true);
    volatile uint16_t *ds10 = (volatile uint16_t *)((V86_DS << 4) + 0x10);
    volatile uint16_t *es20 = (volatile uint16_t *)(0x12340 + 0x20);
    *ds10 = 0;
    *es20 = 0;

    run(v86_basic, EFL_IOPL3);
    tap_ok(*ds10 == 0x1234 && vm86_eax == 0x4321,
           "IRET with VM = 1 at CPL 0 enters virtual-8086 mode: code runs at CS:IP, DS base "
           "is DS * 16");
    tap_ok(*es20 == 0x5678, "a segment load in virtual-8086 mode is real-mode style (ES 1234H)");
    struct vm86_exit *f = &vm86_frame;
    tap_ok(f->vector == 0x81 && f->eip == off(v86_basic_int) + 2 && f->cs == V86_CS &&
               (f->eflags & EFL_VM) && f->esp == 0x1000 && f->ss == V86_SS,
           "INT n with IOPL 3 leaves for ring 0: EIP %#x, CS %#x, EFLAGS with VM, ESP %#x, SS "
           "%#x in the frame", f->eip, f->cs, f->esp, f->ss);
    tap_ok((f->es & 0xffff) == 0x1234 && (f->ds & 0xffff) == V86_DS &&
               (f->fs & 0xffff) == V86_FS && (f->gs & 0xffff) == V86_GS,
           "the frame holds ES, DS, FS, GS of virtual-8086 mode above SS");
    tap_ok(vm86_ds_in == 0 && vm86_es_in == 0 && vm86_fs_in == 0 && vm86_gs_in == 0,
           "the ring-0 handler starts with DS, ES, FS, GS null");
    tap_ok(!(vm86_ebx & EFL_VM) && (vm86_ebx & EFL_IOPL3) == EFL_IOPL3,
           "PUSHFD in virtual-8086 mode with IOPL 3: VM reads as 0 (image %#x)", vm86_ebx);

    run(v86_iret, EFL_IOPL3);
    tap_ok(f->vector == 0x81 && f->eip == off(v86_after_iret_int) + 2 && vm86_eax == 0x7777 &&
               (f->eflags & EFL_VM) && (f->eflags & EFL_IOPL3) == EFL_IOPL3,
           "IRET in virtual-8086 mode with IOPL 3 returns as in real mode, VM and IOPL kept");

    run(v86_farjmp, EFL_IOPL3);
    tap_ok(f->vector == 0x81 && f->cs == 0x2001 && vm86_eax == 0x2001 &&
               f->eip == off(v86_far_int) + 2 - 0x10,
           "far JMP in virtual-8086 mode loads CS as in real mode");

    run(v86_cli, 0);
    tap_ok(faulted_gp(v86_cli), "#GP(0) for CLI in virtual-8086 mode with IOPL 0");
    run(v86_pushf, 0);
    tap_ok(faulted_gp(v86_pushf), "#GP(0) for PUSHF with IOPL 0");
    run(v86_popf, 0);
    tap_ok(faulted_gp(v86_popf), "#GP(0) for POPF with IOPL 0");
    run(v86_int, 0);
    tap_ok(faulted_gp(v86_int), "#GP(0) for INT n with IOPL 0");

    run(v86_int3, 0);
    tap_ok(f->vector == 3 && f->eip == off(v86_int3_after) && (f->eflags & EFL_VM),
           "INT3 is not IOPL-sensitive: #BP through its DPL-3 gate with IOPL 0");

    run(v86_in, EFL_IOPL3);
    tap_ok(faulted_gp(v86_in),
           "#GP(0) for IN in virtual-8086 mode with IOPL 3 when the TSS has no I/O bitmap");

    run(v86_hlt, EFL_IOPL3);
    tap_ok(faulted_gp(v86_hlt), "#GP(0) for HLT (privileged) in virtual-8086 mode");

    idt_set_raw(6, (uint32_t)vm86_ud_stub, SEL_KCODE, GATE_INT32, 0, true);
    run(v86_str, EFL_IOPL3);
    tap_ok(f->vector == 6 && f->eip == off(v86_str), "#UD for STR in virtual-8086 mode");
    run(v86_lldt, EFL_IOPL3);
    tap_ok(f->vector == 6 && f->eip == off(v86_lldt),
           "#UD (not #GP) for LLDT in virtual-8086 mode");

    idt_set_gate(6, GATE_INT32, 0, true);
    idt_set_gate(13, GATE_INT32, 0, true);
    idt_set_gate(3, GATE_INT32, 3, true);
}
