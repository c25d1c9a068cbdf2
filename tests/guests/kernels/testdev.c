/*
 * tests/guests/kernels/testdev.c — QEMU's ISA test device (-device pc-testdev, which
 * tests/guests/run-kernel-tests passes for this kernel) and an external interrupt through the
 * 8259A it can raise.
 *
 * The device (hw/pc-testdev.c): a 32-bit scratch register at ports 0xE0-0xE3 reachable byte by
 * byte, 64 KiB of scratch memory at 0xFF000000, and ports 0x2000 + n driving ISA interrupt line
 * n. The interrupt test programs both 8259As (ICW1-ICW4, 8259A datasheet), unmasks IRQ 5 only,
 * raises it and expects vector 0x25 with IF = 1, and nothing while it is masked (SDM Vol. 3A
 * 6.8.1: maskable interrupts are taken only with IF = 1; the 8259A's IMR blocks the request).
 * When the interrupt arrives after the OUT is left open (hardware recognizes it at some later
 * instruction boundary): the test waits in a loop with IF = 1.
 */
#include "libk.h"

#define TESTDEV_IOMEM 0xff000000u

static void pic_init(void)
{
    outb(0x20, 0x11); /* ICW1: edge triggered, cascade, ICW4 follows */
    outb(0x21, 0x20); /* ICW2: vectors 0x20-0x27 */
    outb(0x21, 0x04); /* ICW3: slave on IR2 */
    outb(0x21, 0x01); /* ICW4: 8086 mode */
    outb(0xa0, 0x11);
    outb(0xa1, 0x28);
    outb(0xa1, 0x02);
    outb(0xa1, 0x01);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

/* IF = 1 for a while (a loop, so the wait spans many instruction boundaries), then IF = 0 */
static void window(void)
{
    asm volatile("sti\n\t"
                 "movl $1000, %%ecx\n"
                 "1:\tdecl %%ecx\n\t"
                 "jnz 1b\n\t"
                 "cli"
                 :
                 :
                 : "ecx", "memory", "cc");
}

void kmain(void)
{
    tap_plan(9);

    outl(0xe0, 0x12345678);
    tap_ok(inl(0xe0) == 0x12345678, "the scratch register at port 0xE0 reads back");
    tap_ok(inb(0xe1) == 0x56 && inb(0xe3) == 0x12, "its bytes read at ports 0xE1 and 0xE3");
    outb(0xe2, 0xab);
    tap_ok(inl(0xe0) == 0x12ab5678, "a byte write at port 0xE2 replaces byte 2");
    outw(0xe0, 0xbeef);
    tap_ok(inl(0xe0) == 0x12abbeef, "a word write at port 0xE0 replaces bytes 0-1");

    volatile uint32_t *mem = (volatile uint32_t *)(TESTDEV_IOMEM + 0x100);
    mem[0] = 0xcafef00d;
    mem[1] = 0x01020304;
    tap_ok(mem[0] == 0xcafef00d && mem[1] == 0x01020304,
           "the scratch memory at 0xFF000000 reads back");
    ((volatile uint8_t *)mem)[5] = 0xee;
    tap_ok(mem[1] == 0x0102ee04 && ((volatile uint16_t *)mem)[1] == 0xcafe,
           "byte and word accesses to it hit the right bytes");

    pic_init();
    idt_set_gate(0x25, GATE_INT32, 0, true);
    /* masked: nothing happens */
    excp_reset();
    outb(0x2000 + 5, 1);
    window();
    tap_ok(excp.vector == -1, "a masked IRQ 5 is not delivered");
    outb(0x2000 + 5, 0);

    outb(0x21, (uint8_t) ~(1u << 5));
    excp_reset();
    outb(0x2000 + 5, 1);
    window();
    outb(0x2000 + 5, 0);
    tap_ok(excp.vector == 0x25 && excp.count == 1 && (excp.eflags & EFL_IF) &&
               !(excp.handler_eflags & EFL_IF),
           "raising IRQ 5 delivers vector 0x25 once, through the interrupt gate");
    outb(0x20, 0x20); /* EOI */

    /* with the line low and the request served, nothing more comes */
    excp_reset();
    window();
    tap_ok(excp.vector == -1, "after EOI with the line low, no further interrupt");
    outb(0x21, 0xff);
}
