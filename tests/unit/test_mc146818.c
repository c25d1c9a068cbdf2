/*
 * tests/unit/test_mc146818.c — the RTC and CMOS RAM (hw/mc146818.c), driven through ports 0x70
 * and 0x71 on a virtual clock the test moves by hand, with IRQ 8 observed directly.
 *
 * Expected values come from the Motorola MC146818 datasheet ("Address Map", "Time, Calendar and
 * Alarm Locations", registers A-D, "Update Cycle", "Periodic Interrupt Rate" table, "Interrupts")
 * and, for the CMOS layout, the IBM PC AT Technical Reference ("CMOS RAM Address Map") with the
 * fields SeaBIOS reads on QEMU. Dates are checked against the civil calendar (2006-06-17 was a
 * Saturday; 2000 and 2004 are leap years).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/mc146818.h"

static IOSpace io;
static uint64_t icount;
static VClock clk;
static RTCState rtc;
static int irq8;
static int irq8_rises;

static void irq_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    irq8_rises += level && !irq8;
    irq8 = level;
}

/* 2006-06-17 16:01:21 */
#define START ((int64_t)13316 * 86400 + 16 * 3600 + 1 * 60 + 21)
#define MS    1000000ll
#define SEC   NANOSECONDS_PER_SECOND

static void setup(void)
{
    memset(&io, 0, sizeof(io));
    icount = 0;
    irq8 = 0;
    irq8_rises = 0;
    vclock_init(&clk, &icount, NULL, 0);
    ck_assert_int_eq(rtc_init(&rtc, &io, &clk, irq_line(irq_handler, NULL, 8), START), 0);
}

static void teardown(void)
{
}

static uint8_t rd(uint8_t reg)
{
    io_write(&io, 0x70, reg, 1);
    return (uint8_t)io_read(&io, 0x71, 1);
}

static void wr(uint8_t reg, uint8_t v)
{
    io_write(&io, 0x70, reg, 1);
    io_write(&io, 0x71, v, 1);
}

static void at(int64_t ns)
{
    vclock_warp(&clk, ns);
}

/* set the clock with SET held, in the current format */
static void set_time(uint8_t h, uint8_t m, uint8_t s, uint8_t dow, uint8_t date, uint8_t month,
                     uint8_t year)
{
    uint8_t b = rd(RTC_REG_B);
    wr(RTC_REG_B, b | 0x80);
    wr(RTC_SECONDS, s);
    wr(RTC_MINUTES, m);
    wr(RTC_HOURS, h);
    wr(RTC_DAY_OF_WEEK, dow);
    wr(RTC_DATE, date);
    wr(RTC_MONTH, month);
    wr(RTC_YEAR, year);
    wr(RTC_REG_B, b & 0x7f);
}

START_TEST(test_calendar_helpers)
{
    ck_assert_int_eq(rtc_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(rtc_days_from_civil(2000, 3, 1), 11017);
    ck_assert_int_eq(rtc_days_from_civil(2006, 6, 17), 13316);
    for (int64_t d = -1000; d < 80000; d += 13) {
        int64_t y;
        unsigned m, dd;
        rtc_civil_from_days(d, &y, &m, &dd);
        ck_assert_int_eq(rtc_days_from_civil(y, m, dd), d);
    }
}
END_TEST

START_TEST(test_start_time)
{
    /* "Time, Calendar and Alarm Locations", BCD (DM = 0), 24-hour mode; Sunday = 1 */
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
    ck_assert_uint_eq(rd(RTC_MINUTES), 0x01);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x16);
    ck_assert_uint_eq(rd(RTC_DAY_OF_WEEK), 7);
    ck_assert_uint_eq(rd(RTC_DATE), 0x17);
    ck_assert_uint_eq(rd(RTC_MONTH), 0x06);
    ck_assert_uint_eq(rd(RTC_YEAR), 0x06);
    ck_assert_uint_eq(rd(CMOS_CENTURY), 0x20);
    /* register A: divider 010 (32.768 kHz), rate 0110; B: 24-hour; D: VRT */
    ck_assert_uint_eq(rd(RTC_REG_A), 0x26);
    ck_assert_uint_eq(rd(RTC_REG_B), 0x02);
    ck_assert_uint_eq(rd(RTC_REG_D), 0x80);
    ck_assert_uint_eq(rd(RTC_REG_C), 0x00);
}
END_TEST

START_TEST(test_update_cycle)
{
    /* "Update Cycle": once a second, the first one 500 ms after the divider leaves reset (at
       power-on here); UIP is set from 244 us before it to its end (1984 us); UF is set after
       (the periodic rate is turned off, so PF stays out of register C) */
    wr(RTC_REG_A, 0x20);
    at(500 * MS - 2300000); /* 2.3 ms before: UIP still clear */
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x80, 0);
    at(500 * MS - 2000000); /* inside the 2228 us window */
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x80, 0x80);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
    at(500 * MS);
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x80, 0);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x22);
    ck_assert_uint_eq(rd(RTC_REG_C), 0x10); /* UF, no IRQF: UIE is off */
    ck_assert_uint_eq(rd(RTC_REG_C), 0x00); /* reading C cleared it */
    at(500 * MS + 38 * SEC); /* update 39: 16:02:00 */
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x00);
    ck_assert_uint_eq(rd(RTC_MINUTES), 0x02);
    ck_assert_int_eq(irq8_rises, 0);
}
END_TEST

START_TEST(test_rollover_binary_century)
{
    /* binary mode (DM = 1): 23:59:59 Saturday 31 December '99 becomes Sunday 1 January '00,
       and the PC's century byte counts on */
    wr(RTC_REG_B, 0x80 | 0x04 | 0x02);
    wr(CMOS_CENTURY, 20);
    set_time(23, 59, 59, 7, 31, 12, 99);
    at(500 * MS);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0);
    ck_assert_uint_eq(rd(RTC_MINUTES), 0);
    ck_assert_uint_eq(rd(RTC_HOURS), 0);
    ck_assert_uint_eq(rd(RTC_DAY_OF_WEEK), 1);
    ck_assert_uint_eq(rd(RTC_DATE), 1);
    ck_assert_uint_eq(rd(RTC_MONTH), 1);
    ck_assert_uint_eq(rd(RTC_YEAR), 0);
    ck_assert_uint_eq(rd(CMOS_CENTURY), 21);
}
END_TEST

START_TEST(test_twelve_hour)
{
    /* 12-hour mode: hours 1-12, bit 7 = PM; 11:59:59 PM -> 12:00:00 AM, 11:59:59 AM ->
       12:00:00 PM, 12:59:59 PM -> 1:00:00 PM */
    wr(RTC_REG_B, 0x80); /* BCD, 12-hour */
    set_time(0x11, 0x59, 0x59, 1, 0x01, 0x01, 0x07); /* 11:59:59 AM */
    at(500 * MS);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x92); /* 12 PM */
    set_time(0x92, 0x59, 0x59, 1, 0x01, 0x01, 0x07); /* 12:59:59 PM */
    at(1500 * MS);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x81); /* 1 PM */
    set_time(0x91, 0x59, 0x59, 1, 0x01, 0x01, 0x07); /* 11:59:59 PM */
    at(2500 * MS);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x12); /* 12 AM */
    ck_assert_uint_eq(rd(RTC_DATE), 0x02);
    ck_assert_uint_eq(rd(RTC_DAY_OF_WEEK), 2);
}
END_TEST

START_TEST(test_leap_years)
{
    /* February has 29 days when the year is a multiple of 4 */
    set_time(0x23, 0x59, 0x59, 1, 0x28, 0x02, 0x04);
    at(500 * MS);
    ck_assert_uint_eq(rd(RTC_DATE), 0x29);
    ck_assert_uint_eq(rd(RTC_MONTH), 0x02);
    set_time(0x23, 0x59, 0x59, 1, 0x29, 0x02, 0x04);
    at(1500 * MS);
    ck_assert_uint_eq(rd(RTC_DATE), 0x01);
    ck_assert_uint_eq(rd(RTC_MONTH), 0x03);
    set_time(0x23, 0x59, 0x59, 1, 0x28, 0x02, 0x05);
    at(2500 * MS);
    ck_assert_uint_eq(rd(RTC_DATE), 0x01);
    ck_assert_uint_eq(rd(RTC_MONTH), 0x03);
    set_time(0x23, 0x59, 0x59, 1, 0x30, 0x04, 0x05); /* 30 days hath April */
    at(3500 * MS);
    ck_assert_uint_eq(rd(RTC_DATE), 0x01);
    ck_assert_uint_eq(rd(RTC_MONTH), 0x05);
}
END_TEST

START_TEST(test_set_inhibits_updates)
{
    /* register B SET: update cycles do not happen; UIE is cleared with it */
    wr(RTC_REG_B, 0x02 | 0x10);
    wr(RTC_REG_B, 0x80 | 0x02 | 0x10);
    ck_assert_uint_eq(rd(RTC_REG_B), 0x80 | 0x02);
    at(3 * SEC);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x80, 0); /* no UIP either */
    wr(RTC_REG_B, 0x02);
    at(3 * SEC + 499 * MS);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
    at(3 * SEC + 500 * MS); /* the next update, on the divider's phase */
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x22);
}
END_TEST

START_TEST(test_divider_reset)
{
    /* DV = 11x holds the divider in reset; back to 010, the first update comes 500 ms later */
    at(100 * MS);
    wr(RTC_REG_A, 0x66);
    at(5 * SEC);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
    wr(RTC_REG_A, 0x26);
    at(5 * SEC + 499 * MS);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
    at(5 * SEC + 500 * MS);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x22);
}
END_TEST

START_TEST(test_periodic_interrupt)
{
    /* "Periodic Interrupt Rate", 32.768 kHz time base: RS = 0110 is 976.5625 us; with PIE the
       IRQ line stays asserted until register C is read (IRQF, PF) */
    wr(RTC_REG_B, 0x02 | 0x40);
    at(976562);
    ck_assert_int_eq(irq8, 0);
    at(976563);
    ck_assert_int_eq(irq8, 1);
    at(3 * MS); /* no new edge while nobody reads C */
    ck_assert_int_eq(irq8_rises, 1);
    ck_assert_uint_eq(rd(RTC_REG_C), 0xc0);
    ck_assert_int_eq(irq8, 0);
    /* a second's worth, reading C at every interrupt as a handler does: 1024 interrupts */
    irq8_rises = 0;
    int64_t t = 3 * MS;
    for (int i = 0; i < 2000 && t < 3 * MS + SEC; i++) {
        int64_t d = vclock_next_deadline(&clk);
        if (d > 3 * MS + SEC) {
            break;
        }
        at(d);
        t = d;
        rd(RTC_REG_C);
    }
    ck_assert_int_eq(irq8_rises, 1024);
}
END_TEST

START_TEST(test_periodic_rates)
{
    /* RS = 1111: 500 ms; RS = 0001 and 0010 give 3.90625 ms and 7.8125 ms with 32.768 kHz */
    static const struct {
        uint8_t rs;
        int64_t ns;
    } rates[] = {{15, 500000000}, {1, 3906250}, {2, 7812500}, {3, 122070}, {13, 125000000}};
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        setup();
        wr(RTC_REG_A, (uint8_t)(0x20 | rates[i].rs));
        wr(RTC_REG_B, 0x02 | 0x40);
        at(rates[i].ns - 1);
        ck_assert_int_eq(irq8, 0);
        at(rates[i].ns + 1);
        ck_assert_int_eq(irq8, 1);
    }
}
END_TEST

START_TEST(test_pf_without_pie)
{
    /* PF is set at every periodic tick also without PIE; IRQF only with it */
    at(10 * MS);
    ck_assert_uint_eq(rd(RTC_REG_C), 0x40);
    ck_assert_int_eq(irq8, 0);
    ck_assert_uint_eq(rd(RTC_REG_C), 0x00);
    /* no periodic rate: no PF */
    wr(RTC_REG_A, 0x20);
    at(20 * MS);
    ck_assert_uint_eq(rd(RTC_REG_C), 0x00);
}
END_TEST

START_TEST(test_alarm)
{
    /* alarm at 16:01:25: AF (and, with AIE, the interrupt) after the update that reaches it */
    wr(RTC_REG_A, 0x20); /* no periodic flag in the way */
    wr(RTC_SECONDS_ALARM, 0x25);
    wr(RTC_MINUTES_ALARM, 0x01);
    wr(RTC_HOURS_ALARM, 0x16);
    wr(RTC_REG_B, 0x02 | 0x20);
    at(3 * SEC); /* 16:01:24 */
    ck_assert_int_eq(irq8, 0);
    at(3 * SEC + 500 * MS); /* 16:01:25 */
    ck_assert_int_eq(irq8, 1);
    ck_assert_uint_eq(rd(RTC_REG_C), 0x80 | 0x20 | 0x10);
    /* "don't care" codes (0xC0-0xFF) match every value: an alarm every second */
    wr(RTC_SECONDS_ALARM, 0xff);
    wr(RTC_MINUTES_ALARM, 0xc0);
    wr(RTC_HOURS_ALARM, 0xc0);
    at(4 * SEC + 500 * MS);
    ck_assert_uint_eq(rd(RTC_REG_C) & 0xa0, 0xa0);
    at(5 * SEC + 500 * MS);
    ck_assert_uint_eq(rd(RTC_REG_C) & 0xa0, 0xa0);
}
END_TEST

START_TEST(test_update_interrupt)
{
    /* UIE: an interrupt at the end of every update cycle */
    wr(RTC_REG_A, 0x20); /* no periodic flag in the way */
    wr(RTC_REG_B, 0x02 | 0x10);
    for (int i = 0; i < 5; i++) {
        at(500 * MS + i * SEC - 1);
        ck_assert_int_eq(irq8, 0);
        at(500 * MS + i * SEC);
        ck_assert_int_eq(irq8, 1);
        ck_assert_uint_eq(rd(RTC_REG_C), 0x90);
    }
}
END_TEST

START_TEST(test_daylight_saving)
{
    /* DSE: the last Sunday in April, 1:59:59 AM -> 3:00:00 AM; the last Sunday in October,
       1:59:59 AM -> 1:00:00 AM the first time only */
    wr(RTC_REG_B, 0x02 | 0x01);
    set_time(0x01, 0x59, 0x59, 1, 0x30, 0x04, 0x06); /* Sunday 2006-04-30 */
    at(500 * MS);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x03);
    ck_assert_uint_eq(rd(RTC_MINUTES), 0x00);
    set_time(0x01, 0x59, 0x59, 1, 0x29, 0x10, 0x06); /* Sunday 2006-10-29 */
    at(1500 * MS);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x01);
    ck_assert_uint_eq(rd(RTC_MINUTES), 0x00);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x00);
    wr(RTC_REG_B, 0x80 | 0x02 | 0x01);
    wr(RTC_MINUTES, 0x59);
    wr(RTC_SECONDS, 0x59);
    wr(RTC_REG_B, 0x02 | 0x01);
    at(2500 * MS);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x02);
    /* without DSE, and on a Sunday that is not the last: nothing special */
    set_time(0x01, 0x59, 0x59, 1, 0x23, 0x04, 0x06);
    at(3500 * MS);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x02);
}
END_TEST

START_TEST(test_ports_and_ram)
{
    /* port 0x70 bit 7 masks NMI; the index is bits 6-0 */
    io_write(&io, 0x70, 0x80 | 0x40, 1);
    ck_assert_uint_eq(rtc.nmi_masked, 1);
    io_write(&io, 0x71, 0x5a, 1);
    io_write(&io, 0x70, 0x40, 1);
    ck_assert_uint_eq(rtc.nmi_masked, 0);
    ck_assert_uint_eq(io_read(&io, 0x71, 1), 0x5a);
    /* 114 bytes of RAM after the 14 clock registers */
    for (int i = 0x0e; i < 0x80; i++) {
        wr((uint8_t)i, (uint8_t)(i ^ 0xa5));
    }
    for (int i = 0x0e; i < 0x80; i++) {
        ck_assert_uint_eq(rd((uint8_t)i), (uint8_t)(i ^ 0xa5));
    }
    /* C and D are read-only; UIP in A too */
    wr(RTC_REG_D, 0x00);
    ck_assert_uint_eq(rd(RTC_REG_D), 0x80);
    wr(RTC_REG_C, 0xff);
    ck_assert_uint_eq(rd(RTC_REG_C), 0x00);
    wr(RTC_REG_A, 0xa6);
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x7f, 0x26);
}
END_TEST

START_TEST(test_pc_cmos)
{
    /* IBM PC AT CMOS map: base memory 640 KiB, extended memory in KiB (at most 65535), then
       SeaBIOS's memory above 16 MiB in 64 KiB units and boot order; the checksum of
       0x10-0x2D at 0x2E (high) and 0x2F (low) */
    rtc_set_pc_cmos(&rtc, 128ull << 20, "cdn", 1);
    ck_assert_uint_eq(rd(CMOS_BASE_MEM_LO) | rd(CMOS_BASE_MEM_HI) << 8, 640);
    ck_assert_uint_eq(rd(CMOS_EXT_MEM_LO) | rd(CMOS_EXT_MEM_HI) << 8, 0xffff);
    ck_assert_uint_eq(rd(CMOS_EXT_MEM2_LO) | rd(CMOS_EXT_MEM2_HI) << 8, 0xffff);
    ck_assert_uint_eq(rd(CMOS_MEM_ABOVE_16M_LO) | rd(CMOS_MEM_ABOVE_16M_HI) << 8, 1792);
    ck_assert_uint_eq(rd(CMOS_BOOT_ORDER_12), 0x32);
    ck_assert_uint_eq(rd(CMOS_BOOT_ORDER_3), 0x40);
    ck_assert_uint_eq(rd(CMOS_SMP_COUNT), 0);
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2d; i++) {
        sum += rd((uint8_t)i);
    }
    ck_assert_uint_eq(rd(CMOS_CHECKSUM_HI) << 8 | rd(CMOS_CHECKSUM_LO), sum);
    /* 32 MiB: 31744 KiB extended; the default boot order is c, a, d */
    rtc_set_pc_cmos(&rtc, 32ull << 20, NULL, 2);
    ck_assert_uint_eq(rd(CMOS_EXT_MEM_LO) | rd(CMOS_EXT_MEM_HI) << 8, 31744);
    ck_assert_uint_eq(rd(CMOS_MEM_ABOVE_16M_LO) | rd(CMOS_MEM_ABOVE_16M_HI) << 8, 256);
    ck_assert_uint_eq(rd(CMOS_BOOT_ORDER_12), 0x12);
    ck_assert_uint_eq(rd(CMOS_BOOT_ORDER_3), 0x30);
    ck_assert_uint_eq(rd(CMOS_SMP_COUNT), 1);
}
END_TEST

START_TEST(test_idle_costs_nothing)
{
    /* with no interrupt enabled the RTC arms no timer: an idle guest is not woken */
    ck_assert_int_eq(vclock_next_deadline(&clk), -1);
    wr(RTC_REG_B, 0x02 | 0x40);
    ck_assert_int_ge(vclock_next_deadline(&clk), 0);
    wr(RTC_REG_B, 0x02);
    ck_assert_int_eq(vclock_next_deadline(&clk), -1);
    /* a day later the time is right all the same */
    at(86400 * SEC + 500 * MS);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x22);
    ck_assert_uint_eq(rd(RTC_HOURS), 0x16);
    ck_assert_uint_eq(rd(RTC_DATE), 0x18);
    ck_assert_uint_eq(rd(RTC_DAY_OF_WEEK), 1);
}
END_TEST

START_TEST(test_snapshot_fields)
{
    ck_assert_uint_eq(rtc_vmstate.nb_fields, 9);
    uint64_t h = vmstate_hash(&rtc_vmstate, &rtc, 0);
    wr(0x40, 1);
    ck_assert_uint_ne(vmstate_hash(&rtc_vmstate, &rtc, 0), h);
}
END_TEST

static Suite *rtc_suite(void)
{
    Suite *s = suite_create("mc146818");
    TCase *tc = tcase_create("rtc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_calendar_helpers);
    tcase_add_test(tc, test_start_time);
    tcase_add_test(tc, test_update_cycle);
    tcase_add_test(tc, test_rollover_binary_century);
    tcase_add_test(tc, test_twelve_hour);
    tcase_add_test(tc, test_leap_years);
    tcase_add_test(tc, test_set_inhibits_updates);
    tcase_add_test(tc, test_divider_reset);
    tcase_add_test(tc, test_periodic_interrupt);
    tcase_add_test(tc, test_periodic_rates);
    tcase_add_test(tc, test_pf_without_pie);
    tcase_add_test(tc, test_alarm);
    tcase_add_test(tc, test_update_interrupt);
    tcase_add_test(tc, test_daylight_saving);
    tcase_add_test(tc, test_ports_and_ram);
    tcase_add_test(tc, test_pc_cmos);
    tcase_add_test(tc, test_idle_costs_nothing);
    tcase_add_test(tc, test_snapshot_fields);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rtc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
