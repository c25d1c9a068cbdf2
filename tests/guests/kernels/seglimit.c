/*
 * tests/guests/kernels/seglimit.c — segment-limit and rights checks on string and stack
 * accesses in 32-bit protected mode, ring 0 (Intel SDM Vol. 3A 5.3 limit checking, 5.7 rights;
 * each instruction's "Protected Mode Exceptions" in Vol. 2: #GP(0) for a memory operand outside
 * the DS/ES limit, #SS(0) for one outside the SS limit).
 *
 * Data: ES (or DS through an override) is a small byte-granular segment over a buffer; the
 * string instructions fault before any register or memory changes, and a REP string stops at
 * the iteration that would cross the limit with the registers the earlier iterations left
 * (SDM Vol. 3A 6.6: faults are restartable). Stack: SS is a flat-based segment whose limit sits
 * just above (expand-up) or far below (expand-down) the stack pointer, so the exception frame
 * itself still fits; POP, RET, POPA and LEAVE past the limit are #SS(0) with ESP unchanged.
 * QEMU's TCG does not check data- or stack-segment limits and rights here, so every fault check
 * is a known deviation; the in-limit controls hold everywhere.
 */
#include "libk.h"

enum {
    SEL_BUF = (GDT_TEST_FIRST + 0) * 8,     /* data, base buf, limit 0xff (bytes) */
    SEL_RONLY = (GDT_TEST_FIRST + 1) * 8,   /* data, base buf, limit 0xff, read-only */
    SEL_STK_UP = (GDT_TEST_FIRST + 2) * 8,  /* stack, base 0, limit lim (test_stack), B = 1 */
    SEL_STK_DOWN = (GDT_TEST_FIRST + 3) * 8, /* stack, expand-down above down_lim, B = 1 */
};

static uint8_t buf[0x200] __attribute__((aligned(16)));
static bool is(int vector) { return excp.vector == vector && excp.error == 0 && excp.count == 1; }

/* TRY with ES = SEL_BUF (or SEL_RONLY) in between; afterwards ES is the kernel's again */
#define TRY_ES(insns, ...)                                                                   \
    TRY("movw %w[es_sel], %%es\n\t" insns, __VA_ARGS__);                                     \
    asm volatile("movw %w0, %%es" : : "r"(SEL_KDATA))

static void test_strings(void)
{
    uint32_t edi, esi, ecx, eax;

    memset(buf, 0x5a, sizeof(buf));
    excp_reset();
    TRY_ES("stosl", : "=D"(edi) : [es_sel] "r"(SEL_BUF), "D"(0xfe), "a"(0) : "memory");
    tap_ok(is(13) && edi == 0xfe && buf[0xfe] == 0x5a,
           "#GP(0) for STOSD across ES's limit, EDI and memory unchanged"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    TRY_ES("stosl", : "=D"(edi) : [es_sel] "r"(SEL_BUF), "D"(0xfc), "a"(0x11223344)
           : "memory");
    tap_ok(excp.vector == -1 && edi == 0x100 && buf[0xff] == 0x11,
           "STOSD ending at ES's limit raises nothing");

    memset(buf, 0x5a, sizeof(buf));
    excp_reset();
    TRY_ES("rep stosb", : "=D"(edi), "=c"(ecx)
           : [es_sel] "r"(SEL_BUF), "D"(0xf8), "c"(16), "a"(0) : "memory");
    tap_ok(is(13) && edi == 0x100 && ecx == 8 && buf[0xff] == 0 && buf[0x100] == 0x5a,
           "REP STOSB stops with #GP(0) at ES's limit, EDI and ECX where the last "
           "iteration left them" QEMU_DEVIATION("SDM Vol. 3A 5.3, 6.6"));

    excp_reset();
    TRY_ES("lodsw %%es:(%%esi)", : "=S"(esi), "=a"(eax)
           : [es_sel] "r"(SEL_BUF), "S"(0xff), "a"(0) : "memory");
    tap_ok(is(13) && esi == 0xff && eax == 0,
           "#GP(0) for LODSW across the limit of the overriding segment"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    TRY_ES("movsb", : "=S"(esi), "=D"(edi)
           : [es_sel] "r"(SEL_BUF), "S"(buf), "D"(0x100) : "memory");
    tap_ok(is(13) && esi == (uint32_t)buf && edi == 0x100,
           "#GP(0) for MOVSB to a destination past ES's limit, ESI and EDI unchanged"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    TRY_ES("cmpsl %%es:(%%esi), %%es:(%%edi)", : "=S"(esi), "=D"(edi)
           : [es_sel] "r"(SEL_BUF), "S"(0x10), "D"(0xfd) : "memory");
    tap_ok(is(13) && esi == 0x10 && edi == 0xfd,
           "#GP(0) for CMPSD whose ES operand crosses the limit" QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    TRY_ES("scasw", : "=D"(edi) : [es_sel] "r"(SEL_BUF), "D"(0xff), "a"(0) : "memory");
    tap_ok(is(13) && edi == 0xff, "#GP(0) for SCASW across ES's limit"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    TRY_ES("outsb %%es:(%%esi), (%%dx)", : "=S"(esi)
           : [es_sel] "r"(SEL_BUF), "S"(0x100), "d"(0x80) : "memory");
    tap_ok(is(13) && esi == 0x100, "#GP(0) for OUTSB from past the source segment's limit"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    memset(buf, 0x5a, sizeof(buf));
    excp_reset();
    TRY_ES("stosb", : "=D"(edi) : [es_sel] "r"(SEL_RONLY), "D"(0x10), "a"(0)
           : "memory");
    tap_ok(is(13) && edi == 0x10 && buf[0x10] == 0x5a,
           "#GP(0) for STOSB through a read-only ES" QEMU_DEVIATION("SDM Vol. 3A 5.7"));
}

/* The stack tests: SS = sel with ESP and EBP as given, the instructions, then the kernel's SS,
   ESP and EBP back, whether or not they faulted. */
static volatile uint32_t saved_esp, saved_ebp, t_esp, t_ebp, fault_esp;

#define TRY_SS(sel, insns)                                                                   \
    asm volatile("movl %%esp, saved_esp\n\t"                                                 \
                 "movl %%ebp, saved_ebp\n\t"                                                 \
                 "movl $1f, try_addr\n\t"                                                    \
                 "movl $2f, try_next\n\t"                                                    \
                 "movl $2f, excp_fixup\n\t"                                                  \
                 "movl %0, %%eax\n\t"                                                        \
                 "movw %%ax, %%ss\n\t"                                                       \
                 "movl t_esp, %%esp\n\t"                                                     \
                 "movl t_ebp, %%ebp\n"                                                       \
                 "1:\t" insns "\n"                                                           \
                 "2:\tmovl $0, excp_fixup\n\t"                                               \
                 "movl %%esp, fault_esp\n\t"                                                 \
                 "movl %1, %%eax\n\t"                                                        \
                 "movw %%ax, %%ss\n\t"                                                       \
                 "movl saved_esp, %%esp\n\t"                                                 \
                 "movl saved_ebp, %%ebp"                                                     \
                 :                                                                           \
                 : "i"(sel), "i"(SEL_KDATA)                                                  \
                 : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory")

static void test_stack(void)
{
    uint32_t esp;
    asm volatile("movl %%esp, %0" : "=r"(esp));
    /* expand-up: offsets 0..lim, a page-granular limit some way below ESP; the exception
       frame and the handler stay below lim */
    uint32_t lim = ((esp - 0x1100) & ~0xfffu) | 0xfff;
    gdt_set(GDT_TEST_FIRST + 2, 0, lim >> 12, ACC_P | ACC_S | ACC_WRITE, FLG_DB | FLG_G);
    /* expand-down: offsets down_lim+1..4 GiB-1; the handler's stack is well above down_lim */
    uint32_t down_lim = lim - 0x1000;
    gdt_set(GDT_TEST_FIRST + 3, 0, down_lim >> 12, ACC_P | ACC_S | ACC_WRITE | ACC_EXPAND_DOWN,
            FLG_DB | FLG_G);

    excp_reset();
    t_esp = lim - 1;
    TRY_SS(SEL_STK_UP, "popl %%eax");
    tap_ok(is(12) && fault_esp == lim - 1, "#SS(0) for POP across SS's limit, ESP unchanged"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    t_esp = lim - 3;
    TRY_SS(SEL_STK_UP, "popl %%eax");
    tap_ok(excp.vector == -1 && fault_esp == lim + 1, "POP of the last dword below the limit");

    excp_reset();
    t_esp = lim - 2;
    TRY_SS(SEL_STK_UP, "movl $2f, %%ds:(%%esp)\n\tret"); /* qemu returns */
    tap_ok(is(12) && fault_esp == lim - 2, "#SS(0) for RET across SS's limit"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    t_esp = lim - 30;
    TRY_SS(SEL_STK_UP, "popal");
    tap_ok(is(12) && fault_esp == lim - 30, "#SS(0) for POPAD whose last slot crosses the limit"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    t_esp = lim - 0x40;
    t_ebp = lim - 1;
    TRY_SS(SEL_STK_UP, "leave");
    tap_ok(is(12) && fault_esp == lim - 0x40, "#SS(0) for LEAVE with EBP at the limit"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    t_esp = lim - 0x40;
    t_ebp = down_lim;
    TRY_SS(SEL_STK_DOWN, "leave");
    tap_ok(is(12) && fault_esp == lim - 0x40,
           "#SS(0) for LEAVE with EBP at an expand-down stack's limit"
           QEMU_DEVIATION("SDM Vol. 3A 5.3"));

    excp_reset();
    t_esp = lim - 0x40;
    t_ebp = down_lim + 1;
    TRY_SS(SEL_STK_DOWN, "leave");
    tap_ok(excp.vector == -1 && fault_esp == down_lim + 5,
           "LEAVE just above an expand-down stack's limit raises nothing");
}

void kmain(void)
{
    gdt_set(GDT_TEST_FIRST + 0, (uint32_t)buf, 0xff, ACC_P | ACC_S | ACC_WRITE, FLG_DB);
    gdt_set(GDT_TEST_FIRST + 1, (uint32_t)buf, 0xff, ACC_P | ACC_S, FLG_DB);

    tap_plan(16);
    test_strings();
    test_stack();
}
