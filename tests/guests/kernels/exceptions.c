/*
 * tests/guests/kernels/exceptions.c — exceptions and interrupts in 32-bit protected mode, ring 0
 * (Intel SDM Vol. 3A chapter 6; each instruction's "Protected Mode Exceptions" in Vol. 2).
 *
 * Faults report the address of the faulting instruction, traps (INT3, INTO, INT n) the address
 * after it (6.5); error codes are pushed only by the vectors of Table 6-1 and never by INT n
 * (6.13); an interrupt gate clears IF, a trap gate does not (6.12.1.2); IRET restores EIP, CS and
 * EFLAGS from the frame (IRET in Vol. 2A). Segment register loads check the descriptor as
 * Vol. 3A 5.4-5.5 and the MOV/POP pages of Vol. 2 say. Two checks QEMU's TCG does not make
 * (data-segment limits and write rights, Vol. 3A 5.3 and 5.7) are marked as known deviations.
 */
#include "libk.h"

/* test descriptors, in GDT entries GDT_TEST_FIRST.. */
enum {
    SEL_XONLY = (GDT_TEST_FIRST + 0) * 8,    /* code, execute-only */
    SEL_NOTPRESENT = (GDT_TEST_FIRST + 1) * 8, /* data, not present */
    SEL_SMALL = (GDT_TEST_FIRST + 2) * 8,    /* data, limit 0xfff */
    SEL_RONLY = (GDT_TEST_FIRST + 3) * 8,    /* data, read-only */
    SEL_SS_NP = (GDT_TEST_FIRST + 4) * 8,    /* writable data, not present (for SS) */
    SEL_BEYOND = 0x1000,                      /* past the GDT limit */
};

static uint32_t saved_eflags_in_frame, handler_if;

/* vector 0x42: an interrupt handler that sets CF in the EFLAGS image IRET will load */
static void set_cf_hook(struct excp_frame *f)
{
    f->eflags |= EFL_CF;
}

/* #DF: the saved CS:EIP are undefined (6.15, interrupt 8), so resume in a known place */
static void df_hook(struct excp_frame *f)
{
    f->cs = SEL_KCODE;
}

static bool is(int vector, uint32_t error)
{
    return excp.vector == vector && excp.error == error && excp.count == 1;
}

static void test_divide(void)
{
    excp_reset();
    TRY("divl %%ecx", : : "a"(1), "d"(0), "c"(0));
    tap_ok(excp.vector == 0 && excp.eip == try_addr && excp.count == 1,
           "#DE from DIV by zero, at the DIV");

    excp_reset();
    TRY("idivl %%ecx", : : "a"(0x80000000u), "d"(0xffffffffu), "c"(-1));
    tap_ok(excp.vector == 0 && excp.eip == try_addr, "#DE from IDIV overflow (INT_MIN / -1)");

    excp_reset();
    TRY("divb %%cl", : : "a"(0x1000), "c"(2));
    tap_ok(excp.vector == 0 && excp.eip == try_addr, "#DE from 8-bit DIV whose quotient overflows");

    /* a divide that does not fault: nothing happens */
    excp_reset();
    uint32_t q;
    TRY("divl %%ecx", : "=a"(q) : "a"(100), "d"(0), "c"(7) : "memory");
    tap_ok(excp.vector == -1 && q == 14, "DIV without overflow raises nothing");
}

static void test_invalid_opcode(void)
{
    excp_reset();
    TRY("ud2");
    tap_ok(excp.vector == 6 && excp.eip == try_addr, "#UD from UD2, at the UD2");

    /* LOCK is only allowed with a memory destination (Vol. 2A LOCK: #UD otherwise) */
    excp_reset();
    TRY(".byte 0xf0\n\taddl %%ecx, %%eax", : : "a"(1), "c"(2));
    tap_ok(excp.vector == 6 && excp.eip == try_addr,
           "#UD from LOCK ADD with a register destination");
}

static void test_breakpoint(void)
{
    excp_reset();
    TRY("int3");
    tap_ok(excp.vector == 3 && excp.eip == try_next && excp.count == 1,
           "#BP from INT3 (CC) is a trap: EIP after it");

    excp_reset();
    TRY(".byte 0xcd, 0x03");
    tap_ok(excp.vector == 3 && excp.eip == try_next, "INT 3 (CD 03): EIP after it");

    excp_reset();
    /* 0x7fffffff + 1 sets OF */
    TRY("addl $1, %%eax\n\tinto", : : "a"(0x7fffffff));
    tap_ok(excp.vector == 4 && excp.eip == try_next, "#OF from INTO with OF = 1: EIP after it");

    excp_reset();
    TRY("addl $1, %%eax\n\tinto", : : "a"(1));
    tap_ok(excp.vector == -1, "INTO with OF = 0 raises nothing");
}

static void test_segment_loads(void)
{
    excp_reset();
    TRY("movw %%ax, %%es", : : "a"(SEL_BEYOND));
    tap_ok(is(13, SEL_BEYOND) && excp.eip == try_addr,
           "#GP(selector) loading ES with a selector past the GDT limit");

    excp_reset();
    TRY("movw %%ax, %%es", : : "a"(SEL_XONLY));
    tap_ok(is(13, SEL_XONLY), "#GP(selector) loading ES with an execute-only code segment");

    excp_reset();
    TRY("movw %%ax, %%es", : : "a"(SEL_TSS));
    tap_ok(is(13, SEL_TSS), "#GP(selector) loading ES with a TSS (system) descriptor");

    excp_reset();
    TRY("movw %%ax, %%es", : : "a"(SEL_NOTPRESENT));
    tap_ok(is(11, SEL_NOTPRESENT), "#NP(selector) loading ES with a not-present segment");

    excp_reset();
    TRY("movw %%ax, %%ss", : : "a"(0));
    tap_ok(is(13, 0), "#GP(0) loading SS with a null selector");

    excp_reset();
    TRY("movw %%ax, %%ss", : : "a"(SEL_RONLY));
    tap_ok(is(13, SEL_RONLY), "#GP(selector) loading SS with a read-only data segment");

    excp_reset();
    TRY("movw %%ax, %%ss", : : "a"(SEL_SS_NP));
    tap_ok(is(12, SEL_SS_NP), "#SS(selector) loading SS with a not-present segment");

    excp_reset();
    uint16_t es;
    TRY("movw %%ax, %%es\n\tmovw %%es, %%dx", : "=d"(es) : "a"(0) : "memory");
    tap_ok(excp.vector == -1 && es == 0, "a null selector may be loaded into ES");
    asm volatile("movw %w0, %%es" : : "r"(SEL_KDATA));

    excp_reset();
    TRY("movw %%ax, %%es", : : "a"(SEL_BEYOND));
    tap_ok(excp.cs == SEL_KCODE && (excp.eflags & 2) && !(excp.error & 1),
           "the frame holds CS and EFLAGS; the error code's EXT bit is clear");
    asm volatile("movw %w0, %%es" : : "r"(SEL_KDATA));
}

/* The SDM's segment checks on data accesses, which QEMU's TCG leaves out. */
static void test_segment_access(void)
{
    uint32_t v = 0;
    excp_reset();
    TRY("movw %%dx, %%es\n\t"
        "movl %%es:0x2000, %%eax",
        : "=a"(v) : "d"(SEL_SMALL) : "memory");
    tap_ok(excp.vector == 13 && excp.error == 0,
           "#GP(0) reading past a data segment's limit" QEMU_DEVIATION("SDM Vol. 3A 5.3"));
    asm volatile("movw %w0, %%es" : : "r"(SEL_KDATA));

    static volatile uint32_t target;
    excp_reset();
    target = 1;
    TRY("movw %%dx, %%es\n\t"
        "movl $2, %%es:(%%ecx)",
        : : "d"(SEL_RONLY), "c"(&target) : "memory");
    tap_ok(excp.vector == 13 && excp.error == 0 && target == 1,
           "#GP(0) writing through a read-only data segment" QEMU_DEVIATION("SDM Vol. 3A 5.7"));
    asm volatile("movw %w0, %%es" : : "r"(SEL_KDATA));
    (void)v;
}

static void test_gates(void)
{
    /* 0x40: interrupt gate, 0x41: trap gate; INT n from ring 0 with IF = 1 */
    idt_set_gate(0x40, GATE_INT32, 0, true);
    idt_set_gate(0x41, GATE_TRAP32, 0, true);

    excp_reset();
    uint32_t after;
    TRY("sti\n\tint $0x40\n\tpushfl\n\tpopl %%eax\n\tcli", : "=a"(after) : : "memory");
    saved_eflags_in_frame = excp.eflags;
    handler_if = excp.handler_eflags & EFL_IF;
    tap_ok(excp.vector == 0x40 && excp.error == 0 && !handler_if,
           "INT n through an interrupt gate clears IF in the handler");
    tap_ok((saved_eflags_in_frame & EFL_IF) && (after & EFL_IF),
           "the frame's EFLAGS has IF = 1 and IRET restores it");

    excp_reset();
    TRY("sti\n\tint $0x41\n\tcli");
    tap_ok(excp.vector == 0x41 && (excp.handler_eflags & EFL_IF),
           "INT n through a trap gate leaves IF set in the handler");

    excp_reset();
    TRY(".byte 0xcd, 0x40");
    tap_ok(excp.vector == 0x40 && excp.eip == try_next && excp.cs == SEL_KCODE,
           "INT n pushes CS and the EIP after the instruction");

    /* IRET takes EFLAGS from the frame: the handler sets CF there */
    idt_set_gate(0x42, GATE_INT32, 0, true);
    excp_hook[0x42] = set_cf_hook;
    excp_reset();
    uint8_t cf;
    TRY("clc\n\tint $0x42\n\tsetc %%al", : "=a"(cf) : : "memory", "cc");
    tap_ok(excp.vector == 0x42 && cf == 1, "IRET loads EFLAGS from the frame (CF set there)");
    excp_hook[0x42] = NULL;

    /* registers survive a round trip through a handler */
    excp_reset();
    uint32_t b, s, d;
    asm volatile("pushl %%ebp\n\t"
                 "movl $0x5eb5eb5e, %%ebp\n\t"
                 "int $0x40\n\t"
                 "cmpl $0x5eb5eb5e, %%ebp\n\t"
                 "popl %%ebp\n\t"
                 "jne 1f\n\t"
                 "movl $0x12345678, %%eax\n"
                 "1:"
                 : "=b"(b), "=S"(s), "=D"(d), "=a"(after)
                 : "b"(0x0b0b0b0b), "S"(0x51515151), "D"(0xd1d1d1d1), "a"(0)
                 : "memory", "cc");
    tap_ok(b == 0x0b0b0b0b && s == 0x51515151 && d == 0xd1d1d1d1 && after == 0x12345678,
           "EBX ESI EDI EBP survive INT n and IRET");

    /* a gate that is not present: #NP with the IDT bit in the error code (6.13) */
    idt_set_gate(0x43, GATE_INT32, 0, false);
    excp_reset();
    TRY("int $0x43");
    tap_ok(is(11, 0x43 * 8 + 2) && excp.eip == try_addr,
           "#NP(vector * 8 + 2) for INT n through a not-present gate, at the INT");

    /* the same for an exception: its delivery is an event external to the program, so the
       error code also has EXT (SDM Vol. 3A 6.13, "EXT"); QEMU leaves EXT clear */
    idt_set_gate(6, GATE_INT32, 0, false);
    excp_reset();
    TRY("ud2");
    idt_set_gate(6, GATE_INT32, 0, true);
    tap_ok(is(11, 6 * 8 + 2 + 1) && excp.eip == try_addr,
           "#NP(vector * 8 + 2 + EXT) for #UD through a not-present gate, at the UD2"
           QEMU_DEVIATION("SDM Vol. 3A 6.13"));

    /* a vector past the IDT limit: #GP with the IDT bit */
    lidt(idt, 0x50 * 8 - 1);
    excp_reset();
    TRY("int $0x60");
    lidt_default();
    tap_ok(is(13, 0x60 * 8 + 2) && excp.eip == try_addr,
           "#GP(vector * 8 + 2) for INT n past the IDT limit, at the INT");

    /* a gate of a type that is not an interrupt, trap or task gate */
    idt_set_raw(0x44, isr_stub(0x44), SEL_KCODE, 0x1, 0, true);
    excp_reset();
    TRY("int $0x44");
    tap_ok(is(13, 0x44 * 8 + 2) && excp.eip == try_addr,
           "#GP(vector * 8 + 2) for INT n through a gate of a bad type, at the INT");

    /* a gate whose code selector is null */
    idt_set_raw(0x45, isr_stub(0x45), 0, GATE_INT32, 0, true);
    excp_reset();
    TRY("int $0x45");
    tap_ok(is(13, 0) && excp.eip == try_addr,
           "#GP(0) for INT n through a gate with a null code selector, at the INT");
}

static void test_double_fault(void)
{
    /* #GP while the #GP gate is not present: #NP during delivery of a contributory exception
       is a double fault, with error code 0 (6.15, interrupt 8, Table 6-5) */
    idt_set_gate(13, GATE_INT32, 0, false);
    excp_hook[8] = df_hook;
    excp_reset();
    TRY("movw %%ax, %%es", : : "a"(SEL_BEYOND));
    idt_set_gate(13, GATE_INT32, 0, true);
    excp_hook[8] = NULL;
    asm volatile("movw %w0, %%es" : : "r"(SEL_KDATA));
    tap_ok(is(8, 0), "#NP while delivering #GP becomes #DF with error code 0");

    /* #BP is benign: #NP while delivering it is just #NP (Table 6-5) */
    idt_set_gate(3, GATE_INT32, 3, false);
    excp_reset();
    TRY("int3");
    idt_set_gate(3, GATE_INT32, 3, true);
    tap_ok(is(11, 3 * 8 + 2) && excp.eip == try_addr,
           "#NP while delivering INT3 stays #NP(vector * 8 + 2), at the INT3");
}

static void test_soft_int_no_error_code(void)
{
    /* INT 13 raises vector 13 without an error code (6.13); a handler that expects one would
       see the frame shifted by 4 bytes */
    idt_set_raw(13, (uint32_t)isr_soft13, SEL_KCODE, GATE_INT32, 0, true);
    excp_reset();
    TRY(".byte 0xcd, 0x0d");
    idt_set_gate(13, GATE_INT32, 0, true);
    tap_ok(excp.vector == 13 && excp.eip == try_next && excp.cs == SEL_KCODE,
           "INT 13 pushes no error code (the frame is EIP, CS, EFLAGS)");
}

void kmain(void)
{
    gdt_set(GDT_TEST_FIRST + 0, 0, 0xfffff, ACC_P | ACC_S | ACC_CODE, FLG_G | FLG_DB);
    gdt_set(GDT_TEST_FIRST + 1, 0, 0xfffff, ACC_S | ACC_WRITE, FLG_G | FLG_DB);
    gdt_set(GDT_TEST_FIRST + 2, 0, 0xfff, ACC_P | ACC_S | ACC_WRITE, FLG_DB);
    gdt_set(GDT_TEST_FIRST + 3, 0, 0xfffff, ACC_P | ACC_S, FLG_G | FLG_DB);
    gdt_set(GDT_TEST_FIRST + 4, 0, 0xfffff, ACC_S | ACC_WRITE, FLG_G | FLG_DB);

    tap_plan(35);
    test_divide();
    test_invalid_opcode();
    test_breakpoint();
    test_segment_loads();
    test_gates();
    test_double_fault();
    test_segment_access();
    test_soft_int_no_error_code();
}
