/*
 * tests/unit/test_hpet.c — the HPET (hw/hpet.c) through its MMIO callbacks, on a virtual clock
 * the test moves by hand, with the legacy IRQ 0 / IRQ 8 lines and the I/O APIC pins recorded.
 *
 * Expected values come from the IA-PC HPET specification 1.0a, section 2.3 (register map and
 * register descriptions); each test names the subsection.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/hpet.h"

static uint64_t icount;
static VClock clk;
static AddressSpace as;
static HPETState hpet;
static int legacy_level[2], legacy_rises[2];
static int pin_level[24], pin_rises[24];

static void legacy_handler(void *opaque, int n, int level)
{
    (void)opaque;
    if (level && !legacy_level[n]) {
        legacy_rises[n]++;
    }
    legacy_level[n] = level;
}
static void pin_handler(void *opaque, int n, int level)
{
    (void)opaque;
    if (level && !pin_level[n]) {
        pin_rises[n]++;
    }
    pin_level[n] = level;
}

static uint64_t rd(uint32_t off) { return as_read(&as, HPET_BASE + off, 8); }
static uint32_t rd32(uint32_t off) { return (uint32_t)as_read(&as, HPET_BASE + off, 4); }
static void wr(uint32_t off, uint64_t v) { as_write(&as, HPET_BASE + off, v, 8); }
static void wr32(uint32_t off, uint32_t v) { as_write(&as, HPET_BASE + off, v, 4); }

/* move to 10 ns tick k */
static void at_tick(int64_t k) { vclock_warp(&clk, k * 10); }

static void setup(void)
{
    memset(&as, 0, sizeof(as));
    memset(&hpet, 0, sizeof(hpet));
    memset(legacy_level, 0, sizeof(legacy_level));
    memset(legacy_rises, 0, sizeof(legacy_rises));
    memset(pin_level, 0, sizeof(pin_level));
    memset(pin_rises, 0, sizeof(pin_rises));
    icount = 0;
    vclock_init(&clk, &icount, NULL, 0);
    ck_assert_int_eq(hpet_init(&hpet, &as, &clk, irq_line(legacy_handler, NULL, 0),
                               irq_line(legacy_handler, NULL, 1), irq_line(pin_handler, NULL, 0)),
                     0);
}

static void teardown(void)
{
}

/* 2.3.4: capabilities — revision 1, 3 timers, 64-bit, legacy capable, vendor 8086, 10^7 fs */
START_TEST(test_capabilities)
{
    uint64_t cap = rd(0x000);
    ck_assert_uint_eq(cap & 0xff, 1);
    ck_assert_uint_eq((cap >> 8) & 0x1f, 2);
    ck_assert_uint_eq((cap >> 13) & 1, 1);
    ck_assert_uint_eq((cap >> 15) & 1, 1);
    ck_assert_uint_eq((cap >> 16) & 0xffff, 0x8086);
    ck_assert_uint_eq(cap >> 32, 10000000u);
    ck_assert_uint_eq(rd32(0x004), 10000000u); /* the upper half by a 32-bit read */
    /* 2.3.8: periodic and 64-bit capable, a route capability */
    uint64_t t0 = rd(0x100);
    ck_assert_uint_eq(t0 & 0x30, 0x30);
    ck_assert_uint_ne(t0 >> 32, 0);
    /* 2.3.9: comparators reset to all ones */
    ck_assert_uint_eq(rd(0x108), ~0ull);
}
END_TEST

/* 2.3.5, 2.3.7: the main counter runs at 100 MHz only while ENABLE_CNF is set */
START_TEST(test_main_counter)
{
    at_tick(100);
    ck_assert_uint_eq(rd(0x0f0), 0);
    wr(0x010, 1);
    at_tick(350);
    ck_assert_uint_eq(rd(0x0f0), 250);
    wr(0x010, 0);
    at_tick(1000);
    ck_assert_uint_eq(rd(0x0f0), 250);
    wr(0x0f0, 0xfffffffffffffff0ull);
    wr(0x010, 1);
    at_tick(1020);
    ck_assert_uint_eq(rd(0x0f0), 4); /* 64-bit wrap */
    ck_assert_uint_eq(rd32(0x0f4), 0);
}
END_TEST

/* 2.3.9.2.1: one-shot, edge-triggered, routed to I/O APIC pin 20 */
START_TEST(test_oneshot_ioapic_route)
{
    wr(0x100, (20u << 9) | (1u << 2)); /* route 20, enable */
    ck_assert_uint_eq((rd(0x100) >> 9) & 0x1f, 20);
    wr(0x100, (3u << 9) | (1u << 2)); /* pin 3 is not in the capability: ignored */
    ck_assert_uint_eq((rd(0x100) >> 9) & 0x1f, 20);
    wr(0x108, 500);
    wr(0x010, 1);
    at_tick(499);
    ck_assert_int_eq(pin_rises[20], 0);
    at_tick(500);
    ck_assert_int_eq(pin_rises[20], 1);
    ck_assert_int_eq(pin_level[20], 0); /* a pulse */
    ck_assert_uint_eq(rd(0x020), 0);    /* edge: no status */
    at_tick(100000);
    ck_assert_int_eq(pin_rises[20], 1);
}
END_TEST

/* 2.3.9.2.2: periodic mode with Tn_VAL_SET_CNF; 2.3.5: legacy route timer 0 -> IRQ 0 */
START_TEST(test_periodic_legacy)
{
    wr(0x010, 3); /* enable, legacy replacement */
    ck_assert(hpet_legacy_route(&hpet));
    /* as Linux does: 32-bit mode, VAL_SET; comparator = now + period, then the period */
    wr(0x100, (1u << 2) | (1u << 3) | (1u << 6) | (1u << 8));
    wr32(0x108, 1000);
    ck_assert_uint_eq(rd(0x100) & (1u << 6), 0); /* VAL_SET clears itself */
    wr32(0x108, 1000);
    for (int k = 1; k <= 5; k++) {
        at_tick(1000 * k - 1);
        ck_assert_int_eq(legacy_rises[0], k - 1);
        at_tick(1000 * k);
        ck_assert_int_eq(legacy_rises[0], k);
    }
    ck_assert_uint_eq(rd(0x108), 6000);
    ck_assert_int_eq(pin_rises[0], 0);
}
END_TEST

/* 2.3.6: level-triggered: the status bit holds the line until software writes 1 */
START_TEST(test_level_status)
{
    wr(0x120, (21u << 9) | (1u << 2) | (1u << 1)); /* timer 1: pin 21, enable, level */
    wr(0x128, 300);
    wr(0x010, 1);
    at_tick(300);
    ck_assert_uint_eq(rd(0x020), 2);
    ck_assert_int_eq(pin_level[21], 1);
    wr(0x020, 1); /* the wrong bit */
    ck_assert_int_eq(pin_level[21], 1);
    wr(0x020, 2);
    ck_assert_uint_eq(rd(0x020), 0);
    ck_assert_int_eq(pin_level[21], 0);
    /* legacy route: timer 1 moves to IRQ 8 */
    wr(0x128, 400);
    wr(0x010, 3);
    at_tick(400);
    ck_assert_int_eq(legacy_level[1], 1);
    ck_assert_int_eq(pin_level[21], 0);
}
END_TEST

/* 2.3.8 Tn_32MODE_CNF: a 32-bit comparator matches the low 32 bits, again after each wrap */
START_TEST(test_32bit_mode)
{
    wr(0x140, (22u << 9) | (1u << 2) | (1u << 8));
    wr(0x148, 0x1234500000010ull);
    ck_assert_uint_eq(rd(0x148), 0x10);
    wr(0x0f0, 0x700000000ull);
    wr(0x010, 1);
    at_tick(0x10);
    ck_assert_int_eq(pin_rises[22], 1);
    vclock_warp(&clk, clock_ticks_to_ns(0x10 + 0x100000000ll, HPET_HZ));
    ck_assert_int_eq(pin_rises[22], 2);
}
END_TEST

/* 2.3.5: with ENABLE_CNF clear nothing fires */
START_TEST(test_halted_no_interrupts)
{
    wr(0x100, (20u << 9) | (1u << 2));
    wr(0x108, 5);
    at_tick(100);
    ck_assert_int_eq(pin_rises[20], 0);
}
END_TEST

START_TEST(test_snapshot_fields)
{
    uint64_t h = vmstate_hash(&hpet_vmstate, &hpet, 0);
    wr(0x108, 77);
    ck_assert_uint_ne(vmstate_hash(&hpet_vmstate, &hpet, 0), h);
}
END_TEST

static Suite *hpet_suite(void)
{
    Suite *s = suite_create("hpet");
    TCase *tc = tcase_create("hpet");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_capabilities);
    tcase_add_test(tc, test_main_counter);
    tcase_add_test(tc, test_oneshot_ioapic_route);
    tcase_add_test(tc, test_periodic_legacy);
    tcase_add_test(tc, test_level_status);
    tcase_add_test(tc, test_32bit_mode);
    tcase_add_test(tc, test_halted_no_interrupts);
    tcase_add_test(tc, test_snapshot_fields);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hpet_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
