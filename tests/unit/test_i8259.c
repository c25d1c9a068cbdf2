/*
 * tests/unit/test_i8259.c — the 8259A pair (hw/i8259.c), driven through its ports as a guest
 * does, with the INT output and the INTA cycle observed directly.
 *
 * Expected values come from the Intel 8259A datasheet (order 231468); each test names the
 * section it checks. The ELCR's fixed-edge inputs come from the Intel 82371SB (PIIX3)
 * datasheet. The initialization used is the PC/AT BIOS's: ICW1 0x11 (edge, cascade, ICW4),
 * ICW2 0x08 / 0x70, ICW3 0x04 / 0x02, ICW4 0x01 (8086 mode).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/i8259.h"

static IOSpace io;
static PICState pic;
static int intr;        /* the level on the CPU's INTR pin */
static int intr_edges;  /* rising edges seen */

static void intr_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level && !intr) {
        intr_edges++;
    }
    intr = level;
}

static void outb(uint16_t port, uint8_t v)
{
    io_write(&io, port, v, 1);
}

static uint8_t inb(uint16_t port)
{
    return (uint8_t)io_read(&io, port, 1);
}

static void irq(int n, int level)
{
    pic_set_irq(&pic, n, level);
}

/* the AT BIOS's initialization */
static void init_at(void)
{
    outb(0x20, 0x11);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0xa0, 0x11);
    outb(0xa1, 0x70);
    outb(0xa1, 0x02);
    outb(0xa1, 0x01);
}

static void setup(void)
{
    memset(&io, 0, sizeof(io));
    intr = 0;
    intr_edges = 0;
    ck_assert_int_eq(pic_init(&pic, &io, irq_line(intr_handler, NULL, 0)), 0);
    init_at();
}

static void teardown(void)
{
}

/* non-specific EOI to the master (and the slave) */
static void eoi(int slave_too)
{
    if (slave_too) {
        outb(0xa0, 0x20);
    }
    outb(0x20, 0x20);
}

/* OCW3: read the IRR / the ISR at the even port */
static uint8_t read_irr(uint16_t base)
{
    outb(base, 0x0a);
    return inb(base);
}

static uint8_t read_isr(uint16_t base)
{
    outb(base, 0x0b);
    return inb(base);
}

START_TEST(test_init_and_mask)
{
    /* "Initialization Command Words": ICW1 clears the IMR; OCW1 at A0 = 1 reads back */
    ck_assert_uint_eq(inb(0x21), 0);
    ck_assert_uint_eq(inb(0xa1), 0);
    outb(0x21, 0xb8);
    outb(0xa1, 0x8f);
    ck_assert_uint_eq(inb(0x21), 0xb8);
    ck_assert_uint_eq(inb(0xa1), 0x8f);
    outb(0x20, 0x11); /* a new ICW1 clears it again */
    ck_assert_uint_eq(inb(0x21), 0);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    ck_assert_uint_eq(inb(0x21), 0); /* the ICWs did not go to the IMR */
    outb(0x21, 0x55);
    ck_assert_uint_eq(inb(0x21), 0x55);
}
END_TEST

START_TEST(test_interrupt_sequence)
{
    /* "Interrupt Sequence": a request sets IRR and raises INT; INTA sets ISR, clears IRR and
       puts ICW2 | level on the bus; EOI clears ISR */
    irq(1, 1);
    ck_assert_int_eq(intr, 1);
    ck_assert_uint_eq(read_irr(0x20), 0x02);
    ck_assert_int_eq(pic_intack(&pic), 0x09);
    ck_assert_int_eq(intr, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    ck_assert_uint_eq(read_isr(0x20), 0x02);
    eoi(0);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_int_eq(intr, 0);
}
END_TEST

START_TEST(test_fully_nested_priority)
{
    /* "Fully Nested Mode": IR0 highest, IR7 lowest; a level in service holds off itself and
       every lower level, higher levels still interrupt */
    irq(3, 1);
    irq(5, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0b);
    ck_assert_int_eq(intr, 0); /* IR5 waits behind IR3 */
    irq(1, 1);
    ck_assert_int_eq(intr, 1); /* IR1 outranks IR3 */
    ck_assert_int_eq(pic_intack(&pic), 0x09);
    ck_assert_uint_eq(read_isr(0x20), 0x0a);
    eoi(0); /* clears IR1, the highest in service */
    ck_assert_uint_eq(read_isr(0x20), 0x08);
    ck_assert_int_eq(intr, 0);
    eoi(0); /* clears IR3: IR5 may come now */
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0d);
}
END_TEST

START_TEST(test_masked_request)
{
    /* "Interrupt Mask Register": a masked input still sets its IRR bit but does not interrupt */
    outb(0x21, 0x10);
    irq(4, 1);
    ck_assert_int_eq(intr, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x10);
    outb(0x21, 0x00);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0c);
}
END_TEST

START_TEST(test_edge_trigger)
{
    /* "Edge and Level Triggered Modes": in edge mode a held-high input requests once; a new
       interrupt needs the input to go low and high again */
    irq(0, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x08);
    eoi(0);
    ck_assert_int_eq(intr, 0);
    ck_assert_uint_eq(read_irr(0x20), 0);
    irq(0, 1); /* still high: no edge */
    ck_assert_int_eq(intr, 0);
    irq(0, 0);
    irq(0, 1);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(intr_edges, 2);
}
END_TEST

START_TEST(test_default_ir7)
{
    /* "Interrupt Sequence" / edge mode: the input must stay high until the first INTA; if it
       goes away, the 8259A answers with IR7's vector and sets no ISR bit */
    irq(4, 1);
    ck_assert_int_eq(intr, 1);
    irq(4, 0);
    ck_assert_int_eq(intr, 0);
    ck_assert_int_eq(pic_intack(&pic), 0x0f);
    ck_assert_uint_eq(read_isr(0x20), 0);
    /* a real IR7 request is told apart by its ISR bit */
    irq(7, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0f);
    ck_assert_uint_eq(read_isr(0x20), 0x80);
}
END_TEST

START_TEST(test_level_trigger)
{
    /* "Edge and Level Triggered Modes": with LTIM the IRR follows the input; a request still
       high after the EOI interrupts again */
    outb(0x20, 0x19); /* ICW1 with LTIM */
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    irq(5, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0d);
    ck_assert_int_eq(intr, 0);
    eoi(0);
    ck_assert_int_eq(intr, 1); /* still asserted */
    ck_assert_int_eq(pic_intack(&pic), 0x0d);
    irq(5, 0);
    ck_assert_uint_eq(read_irr(0x20), 0);
    eoi(0);
    ck_assert_int_eq(intr, 0);
}
END_TEST

START_TEST(test_elcr)
{
    /* PIIX3 ELCR: IRQ 0, 1, 2 (ELCR1 bits 0-2) and 8, 13 (ELCR2 bits 0, 5) are edge only */
    ck_assert_uint_eq(inb(0x4d0), 0);
    ck_assert_uint_eq(inb(0x4d1), 0);
    outb(0x4d0, 0xff);
    outb(0x4d1, 0xff);
    ck_assert_uint_eq(inb(0x4d0), 0xf8);
    ck_assert_uint_eq(inb(0x4d1), 0xde);
    ck_assert_uint_eq(io_read(&io, 0x4d0, 2), 0xdef8);
    /* IRQ 11 level triggered: a high input requests again after EOI */
    outb(0x4d1, 0x08);
    irq(11, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x73);
    eoi(1);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x73);
    irq(11, 0);
    eoi(1);
    ck_assert_int_eq(intr, 0);
    /* an input switched to level while high requests at once */
    irq(10, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x72);
    eoi(1);
    ck_assert_int_eq(intr, 0); /* edge: consumed */
    outb(0x4d1, 0x0c);
    ck_assert_int_eq(intr, 1);
}
END_TEST

START_TEST(test_cascade)
{
    /* "Cascade Mode": a slave request goes through the master's IR2; both set ISR bits and
       need an EOI each */
    irq(9, 1);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x71);
    ck_assert_uint_eq(read_isr(0x20), 0x04);
    ck_assert_uint_eq(read_isr(0xa0), 0x02);
    /* IRQ 3 is below IR2 on the master: it waits */
    irq(3, 1);
    ck_assert_int_eq(intr, 0);
    /* IRQ 0 outranks IR2 */
    irq(0, 1);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x08);
    eoi(0);
    eoi(1);
    ck_assert_uint_eq(read_isr(0xa0), 0x00);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0b);
}
END_TEST

START_TEST(test_fully_nested_slave)
{
    /* "Fully Nested Mode" on a cascade: with a slave level in service, the master's IR2 is in
       service too and holds off even a higher request on the same slave */
    irq(10, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x72);
    irq(9, 1);
    ck_assert_int_eq(intr, 0);
    eoi(1); /* the slave's EOI ends IR10 (its highest in service); the master's ends IR2 */
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x71);
}
END_TEST

START_TEST(test_special_fully_nested)
{
    /* "Special Fully Nested Mode": the master lets a higher request from a slave that is in
       service through to the CPU */
    outb(0x20, 0x11);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x11); /* ICW4: SFNM, 8086 */
    irq(10, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x72);
    irq(9, 1);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x71); /* slave: IR1 outranks IR2 in service */
    ck_assert_uint_eq(read_isr(0xa0), 0x06);
    ck_assert_uint_eq(read_isr(0x20), 0x04);
}
END_TEST

START_TEST(test_auto_eoi)
{
    /* ICW4 AEOI: the ISR bit is reset at the end of the INTA sequence */
    outb(0x20, 0x11);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x03); /* AEOI, 8086 */
    irq(6, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0e);
    ck_assert_uint_eq(read_isr(0x20), 0);
    /* "Automatic Rotation": rotate in AEOI mode makes the level just served the lowest */
    outb(0x20, 0x80);
    irq(1, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x09); /* IR1 is now the lowest; IR2 the highest */
    irq(0, 1);
    irq(3, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0b); /* IR3 outranks IR0 */
    ck_assert_int_eq(pic_intack(&pic), 0x08); /* and IR0 is the lowest now */
    outb(0x20, 0x00); /* rotate in AEOI (clear): priorities stay where they are */
    irq(3, 0);
    irq(3, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0b);
    irq(1, 0);
    irq(1, 1);
    irq(5, 1);
    /* IR0 still lowest, so IR1 first (had IR3 become the lowest, IR5 would be) */
    ck_assert_int_eq(pic_intack(&pic), 0x09);
    ck_assert_int_eq(pic_intack(&pic), 0x0d);
    ck_assert_int_eq(pic_intack(&pic), 0x0f); /* nothing left: default IR7 */
}
END_TEST

START_TEST(test_rotate_on_eoi)
{
    /* "Automatic Rotation": rotate on non-specific EOI gives the served level lowest
       priority; "Specific Rotation": set priority and rotate on specific EOI name it */
    irq(3, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0b);
    outb(0x20, 0xa0); /* rotate on non-specific EOI */
    ck_assert_uint_eq(read_isr(0x20), 0);
    irq(1, 1);
    irq(5, 1);
    /* IR3 lowest: the order is 4 5 6 7 0 1 2 3 */
    ck_assert_int_eq(pic_intack(&pic), 0x0d);
    outb(0x20, 0xe5); /* rotate on specific EOI, level 5: now 6 7 0 1 2 3 4 5 */
    ck_assert_uint_eq(read_isr(0x20), 0);
    irq(7, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0f);
    outb(0x20, 0x67); /* specific EOI, level 7 */
    ck_assert_int_eq(pic_intack(&pic), 0x09);
    outb(0x20, 0x61);
    outb(0x20, 0xc0); /* set priority: IR0 lowest, IR1 highest */
    irq(0, 1);
    irq(1, 0);
    irq(1, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x09);
    /* IR0, now the lowest, does not outrank IR1 in service: no request (default IR7) */
    ck_assert_int_eq(intr, 0);
    ck_assert_int_eq(pic_intack(&pic), 0x0f);
    eoi(0);
    ck_assert_int_eq(pic_intack(&pic), 0x08);
}
END_TEST

START_TEST(test_special_mask)
{
    /* "Special Mask Mode": a level in service and masked no longer holds off lower levels */
    irq(3, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0b);
    irq(6, 1);
    ck_assert_int_eq(intr, 0);
    outb(0x21, 0x08);  /* mask IR3 */
    ck_assert_int_eq(intr, 0);
    outb(0x20, 0x68);  /* OCW3: set special mask */
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0e);
    ck_assert_uint_eq(read_isr(0x20), 0x48);
    outb(0x20, 0x66);  /* specific EOI for IR6 */
    outb(0x20, 0x48);  /* OCW3: reset special mask */
    irq(6, 0);
    irq(6, 1);
    ck_assert_int_eq(intr, 0); /* IR3 in service holds IR6 off again */
}
END_TEST

START_TEST(test_poll)
{
    /* "The Poll Command": the next read of the even port returns I (bit 7) and the level,
       and counts as the interrupt acknowledge */
    outb(0x21, 0xff); /* polling with the CPU's interrupts off; masks still apply */
    outb(0x21, 0x00);
    irq(2 + 3, 1);
    outb(0x20, 0x0c);
    ck_assert_uint_eq(inb(0x20), 0x85);
    ck_assert_uint_eq(read_isr(0x20), 0x20);
    outb(0x20, 0x0c);
    ck_assert_uint_eq(inb(0x20), 0x00); /* nothing requesting: I = 0 */
    /* after the poll, reads are status reads again */
    ck_assert_uint_eq(inb(0x20), 0x20); /* the ISR, as the last OCW3 with RR selected */
}
END_TEST

START_TEST(test_single_no_icw4)
{
    /* ICW1 with SNGL skips ICW3; without IC4 the ICW4 functions are zero (no AEOI) */
    outb(0x20, 0x13);
    outb(0x21, 0x08);
    outb(0x21, 0x03); /* ICW4 with AEOI, then... */
    outb(0x20, 0x12); /* SNGL, no IC4 */
    outb(0x21, 0x20);
    outb(0x21, 0x40); /* OCW1: the sequence was ICW1, ICW2 only */
    ck_assert_uint_eq(inb(0x21), 0x40);
    irq(0, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x20);
    ck_assert_uint_eq(read_isr(0x20), 0x01); /* not AEOI */
}
END_TEST

START_TEST(test_icw1_resets)
{
    /* ICW1: the edge sense circuit is reset (a held-high input must go low and high again),
       nothing stays in service, priorities go back to IR0 highest */
    irq(4, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0c);
    outb(0x20, 0xc5); /* set priority: IR5 lowest */
    init_at();
    ck_assert_uint_eq(read_isr(0x20), 0);
    ck_assert_uint_eq(read_irr(0x20), 0);
    ck_assert_int_eq(intr, 0);
    irq(4, 1); /* still high: not a new edge */
    ck_assert_int_eq(intr, 0);
    irq(4, 0);
    irq(4, 1);
    irq(7, 1);
    ck_assert_int_eq(pic_intack(&pic), 0x0c); /* IR4 before IR7 again */
}
END_TEST

START_TEST(test_snapshot_fields)
{
    /* the field table covers the state: every chip register and the INT level */
    ck_assert_uint_eq(pic_vmstate.nb_fields, 2 * 16 + 1);
    uint64_t h0 = vmstate_hash(&pic_vmstate, &pic, 0);
    irq(1, 1);
    ck_assert_uint_ne(vmstate_hash(&pic_vmstate, &pic, 0), h0);
}
END_TEST

static Suite *pic_suite(void)
{
    Suite *s = suite_create("i8259");
    TCase *tc = tcase_create("pic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_init_and_mask);
    tcase_add_test(tc, test_interrupt_sequence);
    tcase_add_test(tc, test_fully_nested_priority);
    tcase_add_test(tc, test_masked_request);
    tcase_add_test(tc, test_edge_trigger);
    tcase_add_test(tc, test_default_ir7);
    tcase_add_test(tc, test_level_trigger);
    tcase_add_test(tc, test_elcr);
    tcase_add_test(tc, test_cascade);
    tcase_add_test(tc, test_fully_nested_slave);
    tcase_add_test(tc, test_special_fully_nested);
    tcase_add_test(tc, test_auto_eoi);
    tcase_add_test(tc, test_rotate_on_eoi);
    tcase_add_test(tc, test_special_mask);
    tcase_add_test(tc, test_poll);
    tcase_add_test(tc, test_single_no_icw4);
    tcase_add_test(tc, test_icw1_resets);
    tcase_add_test(tc, test_snapshot_fields);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
