/*
 * tests/guests/kernels/callgate.c — far CALL and JMP through 32-bit call gates and the room
 * checks on the stacks the CPU pushes on, in 32-bit protected mode (Intel SDM Vol. 3A 5.8.3-5.8.6,
 * 6.12.1; Vol. 2A CALL, JMP, RET and INT n "Operation").
 *
 * A CALL from ring 3 through a gate to ring-0 code switches to the TSS's ring-0 stack, copies the
 * gate's parameter count of doublewords and pushes SS, ESP, CS and EIP (Figure 5-13); RET imm16
 * to the outer level pops them back and releases the parameters on both stacks. A gate that is
 * not present is #NP(gate), one whose DPL is below the CPL #GP(gate) (5.8.4). A JMP through a
 * gate never changes the privilege level: to a non-conforming segment of another DPL it is
 * #GP(target selector). A new stack too small for a gate's frame is #SS(new SS) (CALL,
 * "CALL-GATE-TO-MORE-PRIVILEGE"), and so is one too small for an interrupt frame with a
 * privilege change (INT n, "INTER-PRIVILEGE-LEVEL-INTERRUPT"); without one, it is #SS(0)
 * ("INTRA-PRIVILEGE-LEVEL-INTERRUPT"). QEMU's TCG does not check stack limits on these pushes,
 * so the three #SS checks are known deviations.
 */
#include "libk.h"

enum {
    SEL_GATE_R0 = (GDT_TEST_FIRST + 0) * 8,   /* 32-bit call gate, DPL 3 -> ring 0, 2 params */
    SEL_GATE_JMP = (GDT_TEST_FIRST + 1) * 8,  /* 32-bit call gate, DPL 0 -> ring 0 */
    SEL_R1CODE = (GDT_TEST_FIRST + 2) * 8,    /* ring-1 code, flat */
    SEL_R1STACK = (GDT_TEST_FIRST + 3) * 8,   /* ring-1 data, base r1area + 64, limit 0x0f */
    SEL_GATE_R1 = (GDT_TEST_FIRST + 4) * 8,   /* 32-bit call gate, DPL 3 -> ring 1, 2 params */
    SEL_U3STACK = (GDT_TEST_FIRST + 5) * 8,   /* ring-3 data, base u3area + 64, limit 0xff */
    SEL_CONFORM = (GDT_TEST_FIRST + 6) * 8,   /* ring-0 conforming code, flat */
    SEL_GATE_NP = (GDT_TEST_FIRST + 7) * 8,   /* 32-bit call gate, DPL 3, not present */
    VEC_CONFORM = 0x40,                       /* INT gate DPL 3 -> SEL_CONFORM */
    VEC_RING1 = 0x41,                         /* INT gate DPL 3 -> SEL_R1CODE */
    ACC_DPL1 = 0x20,
    GATE_CALL32 = 0xc,
};

static uint8_t r1area[128] __attribute__((aligned(16)));
static uint8_t u3area[512] __attribute__((aligned(16)));

/* what the ring-0 gate target saw */
volatile uint32_t g_frame[6], g_esp, g_cs, g_ss;

void gate0_target(void);
void r1_lret8(void);
void r1_iret(void);
void conform_iret(void);
void jmp_gate_target(void);
asm(".text\n"
    "gate0_target:\n\t"            /* ring 0 through SEL_GATE_R0: record, back with RET 8 */
    "movl %esp, g_esp\n\t"
    "pushl %eax\n\t"
    "movl 4(%esp), %eax\n\tmovl %eax, g_frame\n\t"
    "movl 8(%esp), %eax\n\tmovl %eax, g_frame + 4\n\t"
    "movl 12(%esp), %eax\n\tmovl %eax, g_frame + 8\n\t"
    "movl 16(%esp), %eax\n\tmovl %eax, g_frame + 12\n\t"
    "movl 20(%esp), %eax\n\tmovl %eax, g_frame + 16\n\t"
    "movl 24(%esp), %eax\n\tmovl %eax, g_frame + 20\n\t"
    "xorl %eax, %eax\n\tmovw %cs, %ax\n\tmovl %eax, g_cs\n\t"
    "movw %ss, %ax\n\tmovl %eax, g_ss\n\t"
    "popl %eax\n\t"
    "lret $8\n"
    "r1_lret8:\n\t"                /* ring 1 through SEL_GATE_R1 (reached only without #SS) */
    "lret $8\n"
    "r1_iret:\n\t"                 /* ring 1 through VEC_RING1 (likewise) */
    "iret\n"
    "conform_iret:\n\t"            /* a conforming handler runs at the caller's CPL */
    "iret\n");

static void set_call_gate(int index, uint16_t sel, void (*target)(void), int dpl, int params)
{
    uint32_t off = (uint32_t)target;
    uint32_t lo = (uint32_t)sel << 16 | (off & 0xffff);
    uint32_t hi = (off & 0xffff0000u) | ACC_P << 8 | (uint32_t)dpl << 13 | GATE_CALL32 << 8 |
                  (uint32_t)params;
    gdt[index] = (uint64_t)hi << 32 | lo;
}

static bool is(int vector, uint32_t err)
{
    return excp.vector == vector && excp.error == err && excp.count == 1;
}

/* ---- ring 3 ---------------------------------------------------------------------------------- */

static uint32_t u_before, u_after, u_cs_back, u_ss_back;

static uint32_t u_call_gate(void)
{
    asm volatile("movl %%esp, %0\n\t"
                 "pushl $0x1111\n\t"
                 "pushl $0x2222\n\t"
                 "lcall %4, $0\n\t"
                 "movl %%esp, %1\n\t"
                 "movw %%cs, %w2\n\t"
                 "movw %%ss, %w3"
                 : "=m"(u_before), "=m"(u_after), "=m"(u_cs_back), "=m"(u_ss_back)
                 : "i"(SEL_GATE_R0 | 3)
                 : "memory");
    return 0;
}

static uint32_t u_call_gate_np(void)
{
    TRY("lcall %0, $0", : : "i"(SEL_GATE_NP | 3));
    return 0;
}

static uint32_t u_call_gate_dpl0(void)
{
    TRY("lcall %0, $0", : : "i"(SEL_GATE_JMP | 3));
    return 0;
}

static uint32_t u_jmp_gate_inner(void)
{
    TRY("ljmp %0, $0", : : "i"(SEL_GATE_R0 | 3));
    return 0;
}

/* the parameters and the return address do not fit on the ring-1 stack (16 bytes) */
static uint32_t u_call_gate_small(void)
{
    asm volatile("movl %%esp, %%esi\n\t"
                 "pushl $1\n\t"
                 "pushl $2\n\t"
                 "movl $1f, try_addr\n\t"
                 "movl $2f, try_next\n\t"
                 "movl $2f, excp_fixup\n"
                 "1:\tlcall %0, $0\n"
                 "2:\tmovl $0, excp_fixup\n\t"
                 "movl %%esi, %%esp"
                 :
                 : "i"(SEL_GATE_R1 | 3)
                 : "esi", "memory");
    return 0;
}

/* INT n to a conforming handler: no stack switch, 12 bytes on a ring-3 stack with 8 */
static uint32_t u_int_same_level(void)
{
    asm volatile("movl %%esp, %%esi\n\t"
                 "movw %w0, %%ss\n\t"
                 "movl $8, %%esp\n\t"
                 "movl $1f, try_addr\n\t"
                 "movl $2f, try_next\n\t"
                 "movl $2f, excp_fixup\n"
                 "1:\tint %2\n"
                 "2:\tmovl $0, excp_fixup\n\t"
                 "movw %w1, %%ss\n\t"
                 "movl %%esi, %%esp"
                 :
                 : "r"(SEL_U3STACK | 3), "r"(SEL_UDATA), "i"(VEC_CONFORM)
                 : "esi", "memory");
    return 0;
}

/* INT n to ring 1: 20 bytes on the 16-byte ring-1 stack */
static uint32_t u_int_to_ring1(void)
{
    TRY("int %0", : : "i"(VEC_RING1) : "memory");
    return 0;
}

/* ---- ring 0 ---------------------------------------------------------------------------------- */

static __attribute__((noinline)) void test_jmp_gate_ring0(void)
{
    uint32_t before, after, cs;
    asm volatile("movl %%esp, %0\n\t"
                 "ljmp %3, $0\n"
                 "jmp_gate_target:\n\t"
                 "movl %%esp, %1\n\t"
                 "xorl %2, %2\n\t"
                 "movw %%cs, %w2"
                 : "=&r"(before), "=&r"(after), "=&r"(cs)
                 : "i"(SEL_GATE_JMP)
                 : "memory");
    tap_ok(after == before && cs == SEL_KCODE,
           "JMP through a call gate at ring 0: CS %#x from the gate, ESP unchanged", cs);
}

void kmain(void)
{
    tap_plan(9);
    set_call_gate(GDT_TEST_FIRST + 0, SEL_KCODE, gate0_target, 3, 2);
    set_call_gate(GDT_TEST_FIRST + 1, SEL_KCODE, jmp_gate_target, 0, 0);
    gdt_set(GDT_TEST_FIRST + 2, 0, 0xfffff, ACC_P | ACC_DPL1 | ACC_S | ACC_CODE | ACC_READ,
            FLG_G | FLG_DB);
    gdt_set(GDT_TEST_FIRST + 3, (uint32_t)r1area + 64, 0x0f, ACC_P | ACC_DPL1 | ACC_S | ACC_WRITE,
            FLG_DB);
    set_call_gate(GDT_TEST_FIRST + 4, SEL_R1CODE | 1, r1_lret8, 3, 2);
    gdt_set(GDT_TEST_FIRST + 5, (uint32_t)u3area + 64, 0xff, ACC_P | ACC_DPL3 | ACC_S | ACC_WRITE,
            FLG_DB);
    gdt_set(GDT_TEST_FIRST + 6, 0, 0xfffff, ACC_P | ACC_S | ACC_CODE | ACC_READ | ACC_CONFORMING,
            FLG_G | FLG_DB);
    set_call_gate(GDT_TEST_FIRST + 7, SEL_KCODE, gate0_target, 3, 0);
    gdt[GDT_TEST_FIRST + 7] &= ~((uint64_t)ACC_P << 40);
    idt_set_raw(VEC_CONFORM, (uint32_t)conform_iret, SEL_CONFORM, GATE_INT32, 3, true);
    idt_set_raw(VEC_RING1, (uint32_t)r1_iret, SEL_R1CODE | 1, GATE_INT32, 3, true);
    tss.ss1 = SEL_R1STACK | 1;
    tss.esp1 = 0x10;
    tss_load();

    /* 1, 2: CALL from ring 3 through a gate with two parameters, RET 8 back */
    run_user(u_call_gate, 2, SEL_UDATA);
    uint32_t old_esp = u_before - 8;
    tap_ok(g_esp == (uint32_t)istack_top - 24 && g_cs == SEL_KCODE && g_ss == SEL_KDATA &&
               g_frame[1] == SEL_UCODE && g_frame[2] == 0x2222 && g_frame[3] == 0x1111 &&
               g_frame[4] == old_esp && g_frame[5] == SEL_UDATA,
           "CALL through a gate to ring 0: ESP0 - 24, frame EIP CS %#x params %#x %#x ESP SS %#x",
           g_frame[1], g_frame[2], g_frame[3], g_frame[5]);
    tap_ok(u_after == u_before && u_cs_back == SEL_UCODE && u_ss_back == SEL_UDATA,
           "RET 8 to ring 3 pops SS:ESP and releases the parameters on both stacks");

    /* 3: JMP through a gate at the same level */
    test_jmp_gate_ring0();

    /* 4: JMP through a gate to more privileged non-conforming code */
    excp_reset();
    run_user(u_jmp_gate_inner, 2, SEL_UDATA);
    tap_ok(is(13, SEL_KCODE), "JMP through a gate from ring 3 to ring-0 code is #GP(target): "
                              "vector %d error %#x", excp.vector, excp.error);

    /* 8, 9: the gate's own checks (SDM Vol. 3A 5.8.4): present, and DPL >= CPL */
    excp_reset();
    run_user(u_call_gate_np, 2, SEL_UDATA);
    tap_ok(is(11, SEL_GATE_NP), "CALL through a gate that is not present is #NP(gate): "
                                "vector %d error %#x", excp.vector, excp.error);
    excp_reset();
    run_user(u_call_gate_dpl0, 2, SEL_UDATA);
    tap_ok(is(13, SEL_GATE_JMP), "CALL from ring 3 through a gate of DPL 0 is #GP(gate): "
                                 "vector %d error %#x", excp.vector, excp.error);

    /* 5: the ring-1 stack cannot hold the gate's frame */
    excp_reset();
    run_user(u_call_gate_small, 2, SEL_UDATA);
    tap_ok(is(12, SEL_R1STACK),
           "CALL through a gate: a new stack too small for the frame is #SS(new SS)"
           QEMU_DEVIATION("SDM Vol. 2A CALL, CALL-GATE-TO-MORE-PRIVILEGE"));

    /* 6: an interrupt frame beyond the current stack's limit */
    excp_reset();
    run_user(u_int_same_level, 2, SEL_UDATA);
    tap_ok(is(12, 0),
           "INT n without a privilege change: no room for the frame is #SS(0)"
           QEMU_DEVIATION("SDM Vol. 2A INT n, INTRA-PRIVILEGE-LEVEL-INTERRUPT"));

    /* 7: ... beyond the new stack's limit */
    excp_reset();
    run_user(u_int_to_ring1, 2, SEL_UDATA);
    tap_ok(is(12, SEL_R1STACK),
           "INT n to ring 1: no room on the new stack is #SS(new SS)"
           QEMU_DEVIATION("SDM Vol. 2A INT n, INTER-PRIVILEGE-LEVEL-INTERRUPT"));
}
