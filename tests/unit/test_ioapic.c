/*
 * tests/unit/test_ioapic.c — the I/O APIC (hw/ioapic.c) through IOREGSEL/IOWIN, with the
 * messages it sends to the local APIC recorded.
 *
 * Expected values come from the Intel 82093AA I/O APIC datasheet (order 290566), section 3
 * ("Register Description"), each test naming the register it checks.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/apic.h"
#include "hw/ioapic.h"

static AddressSpace as;
static IOAPICState io;

typedef struct Msg {
    uint32_t dest;
    bool logical;
    int mode, vector;
    bool level;
} Msg;
static Msg msgs[32];
static int nb_msgs;

static void deliver(void *opaque, uint32_t dest, bool logical, int mode, int vector, bool level)
{
    (void)opaque;
    if (nb_msgs < 32) {
        msgs[nb_msgs++] = (Msg){dest, logical, mode, vector, level};
    }
}

static uint32_t rd(uint32_t idx)
{
    as_write(&as, IOAPIC_BASE, idx, 4);
    return (uint32_t)as_read(&as, IOAPIC_BASE + 0x10, 4);
}
static void wr(uint32_t idx, uint32_t v)
{
    as_write(&as, IOAPIC_BASE, idx, 4);
    as_write(&as, IOAPIC_BASE + 0x10, v, 4);
}

static void setup(void)
{
    memset(&as, 0, sizeof(as));
    nb_msgs = 0;
    ck_assert_int_eq(ioapic_init(&io, &as, deliver, NULL), 0);
}

static void teardown(void)
{
}

/* 3.2.1-3.2.4: ID, version 0x11 with 24 entries, arbitration, masked entries after reset */
START_TEST(test_reset_and_ids)
{
    ck_assert_uint_eq(rd(0x01), 0x00170011u);
    ck_assert_uint_eq(rd(0x00), 0);
    wr(0x00, 0x0a000000);
    ck_assert_uint_eq(rd(0x00), 0x0a000000u);
    ck_assert_uint_eq(rd(0x02), 0x0a000000u);
    wr(0x01, 0);
    ck_assert_uint_eq(rd(0x01), 0x00170011u); /* read-only */
    for (int n = 0; n < 24; n++) {
        ck_assert_uint_eq(rd(0x10 + 2 * n), 0x10000u);
        ck_assert_uint_eq(rd(0x11 + 2 * n), 0);
    }
    /* IOREGSEL reads back */
    as_write(&as, IOAPIC_BASE, 0x23, 4);
    ck_assert_uint_eq(as_read(&as, IOAPIC_BASE, 4), 0x23);
}
END_TEST

/* 3.2.4: delivery status and remote IRR are read-only */
START_TEST(test_readonly_bits)
{
    wr(0x10, 0xffffffffu);
    ck_assert_uint_eq(rd(0x10), 0x1afffu);
    wr(0x11, 0xffffffffu);
    ck_assert_uint_eq(rd(0x11), 0xff000000u);
}
END_TEST

/* 3.2.4: edge-triggered pin: one message per rising edge, none while masked */
START_TEST(test_edge)
{
    ioapic_set_irq(&io, 4, 1);
    ioapic_set_irq(&io, 4, 0);
    ck_assert_int_eq(nb_msgs, 0); /* masked */
    wr(0x11 + 2 * 4, 0x03000000);
    wr(0x10 + 2 * 4, 0x0134); /* vector 0x34, lowest priority, physical */
    ioapic_set_irq(&io, 4, 1);
    ioapic_set_irq(&io, 4, 1);
    ck_assert_int_eq(nb_msgs, 1);
    ck_assert_uint_eq(msgs[0].dest, 3);
    ck_assert_int_eq(msgs[0].mode, 1);
    ck_assert_int_eq(msgs[0].vector, 0x34);
    ck_assert(!msgs[0].level);
    ck_assert(!msgs[0].logical);
    ioapic_set_irq(&io, 4, 0);
    ioapic_set_irq(&io, 4, 1);
    ck_assert_int_eq(nb_msgs, 2);
    /* active low: the falling edge of the line is the assertion */
    wr(0x10 + 2 * 4, 0x2834); /* polarity low, logical */
    ioapic_set_irq(&io, 4, 0);
    ck_assert_int_eq(nb_msgs, 3);
    ck_assert(msgs[2].logical);
}
END_TEST

/* 3.2.4: level-triggered pin: remote IRR holds further messages until the EOI */
START_TEST(test_level_remote_irr)
{
    wr(0x10 + 2 * 9, 0x8041); /* level, fixed, vector 0x41 */
    ioapic_set_irq(&io, 9, 1);
    ck_assert_int_eq(nb_msgs, 1);
    ck_assert(msgs[0].level);
    ck_assert_uint_eq(rd(0x10 + 2 * 9) & 0x4000, 0x4000);
    ioapic_set_irq(&io, 9, 1);
    ck_assert_int_eq(nb_msgs, 1);
    ioapic_eoi(&io, 0x42); /* another vector: nothing */
    ck_assert_int_eq(nb_msgs, 1);
    ioapic_eoi(&io, 0x41); /* still asserted: sent again */
    ck_assert_int_eq(nb_msgs, 2);
    ioapic_set_irq(&io, 9, 0);
    ioapic_eoi(&io, 0x41);
    ck_assert_uint_eq(rd(0x10 + 2 * 9) & 0x4000, 0);
    ck_assert_int_eq(nb_msgs, 2);
}
END_TEST

/* unmasking an asserted level pin delivers it */
START_TEST(test_unmask_level)
{
    ioapic_set_irq(&io, 11, 1);
    wr(0x10 + 2 * 11, 0x18050);
    ck_assert_int_eq(nb_msgs, 0);
    wr(0x10 + 2 * 11, 0x08050);
    ck_assert_int_eq(nb_msgs, 1);
    ck_assert_int_eq(msgs[0].vector, 0x50);
}
END_TEST

/* ExtINT delivery mode (the 8259 through pin 0): no remote IRR */
START_TEST(test_extint)
{
    wr(0x10, 0x0700);
    ioapic_set_irq(&io, 0, 1);
    ck_assert_int_eq(nb_msgs, 1);
    ck_assert_int_eq(msgs[0].mode, 7);
}
END_TEST

/* The chain as the board wires it: a level-triggered pin through the local APIC (SDM Vol. 3A
   10.8.4 TMR, 10.8.5 EOI broadcast) back to the remote IRR (3.2.4). */
static void to_apic(void *opaque, uint32_t dest, bool logical, int mode, int vector, bool level)
{
    apic_deliver(opaque, dest, logical, mode, vector, level);
}

START_TEST(test_level_through_local_apic)
{
    static APICState apic;
    memset(&apic, 0, sizeof(apic));
    ck_assert_int_eq(apic_init(&apic, NULL, NULL, (IRQLine){0}), 0);
    apic.eoi = ioapic_eoi;
    apic.eoi_opaque = &io;
    apic_mmio_write(&apic, 0xf0, 0x1ff, 4); /* software enable */
    io.deliver = to_apic;
    io.deliver_opaque = &apic;
    wr(0x10 + 2 * 10, 0x8061); /* level, fixed, vector 0x61, destination 0 */
    ioapic_set_irq(&io, 10, 1);
    ck_assert_int_eq(apic.intr_out, 1);
    ck_assert_int_eq(apic_intack(&apic), 0x61);
    ck_assert_uint_eq(rd(0x10 + 2 * 10) & 0x4000, 0x4000);
    ioapic_set_irq(&io, 10, 0); /* the device is serviced ... */
    apic_mmio_write(&apic, 0xb0, 0, 4); /* ... then the EOI */
    ck_assert_uint_eq(rd(0x10 + 2 * 10) & 0x4000, 0);
    ck_assert_int_eq(apic.intr_out, 0);
    /* still asserted at EOI: it comes again */
    ioapic_set_irq(&io, 10, 1);
    ck_assert_int_eq(apic_intack(&apic), 0x61);
    apic_mmio_write(&apic, 0xb0, 0, 4);
    ck_assert_int_eq(apic.intr_out, 1);
    ck_assert_int_eq(apic_intack(&apic), 0x61);
}
END_TEST

START_TEST(test_snapshot_fields)
{
    uint64_t h = vmstate_hash(&ioapic_vmstate, &io, 0);
    wr(0x12, 0x30);
    ck_assert_uint_ne(vmstate_hash(&ioapic_vmstate, &io, 0), h);
}
END_TEST

static Suite *ioapic_suite(void)
{
    Suite *s = suite_create("ioapic");
    TCase *tc = tcase_create("ioapic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_and_ids);
    tcase_add_test(tc, test_readonly_bits);
    tcase_add_test(tc, test_edge);
    tcase_add_test(tc, test_level_remote_irr);
    tcase_add_test(tc, test_unmask_level);
    tcase_add_test(tc, test_extint);
    tcase_add_test(tc, test_level_through_local_apic);
    tcase_add_test(tc, test_snapshot_fields);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ioapic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
