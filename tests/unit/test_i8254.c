/*
 * tests/unit/test_i8254.c — the 8254 PIT and port 0x61 (hw/i8254.c), driven through their
 * ports on a virtual clock that the test moves by hand, with IRQ 0 recorded tick by tick.
 *
 * Expected values come from the Intel 8254 datasheet (order 231164), "Mode Definitions",
 * "Read Operations" (counter latch, read-back command, status byte) and "Gate Pin Operations
 * Summary", with its timing rule: a count written during CLK w is loaded into the counting
 * element by CLK w + 1 and counted down by the CLKs after it. Port 0x61 follows the Intel
 * 82371SB (PIIX3) datasheet, "NMI Status and Control Register".
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/i8254.h"

static IOSpace io;
static uint64_t icount;
static VClock clk;
static PITState pit;

/* IRQ 0 as the PIC would see it */
static int irq_level;
static int nb_rises, nb_falls;
static int64_t rise_at[64], fall_at[64];

static int64_t tick_now(void)
{
    return clock_ns_to_ticks(vclock_ns(&clk), PIT_HZ);
}

static void irq_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level && !irq_level && nb_rises < 64) {
        rise_at[nb_rises++] = tick_now();
    } else if (!level && irq_level && nb_falls < 64) {
        fall_at[nb_falls++] = tick_now();
    }
    irq_level = level;
}

static void setup(void)
{
    memset(&io, 0, sizeof(io));
    icount = 0;
    vclock_init(&clk, &icount, NULL, 0);
    irq_level = 0;
    nb_rises = nb_falls = 0;
    ck_assert_int_eq(pit_init(&pit, &io, &clk, irq_line(irq_handler, NULL, 0)), 0);
}

static void teardown(void)
{
}

/* move to the start of CLK tick k, firing the PIT's timer on the way */
static void at_tick(int64_t k)
{
    vclock_warp(&clk, clock_ticks_to_ns(k, PIT_HZ));
    ck_assert_int_eq(tick_now(), k);
}

static void outb(uint16_t port, uint8_t v)
{
    io_write(&io, port, v, 1);
}

static uint8_t inb(uint16_t port)
{
    return (uint8_t)io_read(&io, port, 1);
}

/* counter latch command, then LSB and MSB (counters in LSB/MSB mode) */
static unsigned latch_read(int ch)
{
    outb(0x43, (uint8_t)(ch << 6));
    unsigned lo = inb((uint16_t)(0x40 + ch));
    return lo | (unsigned)inb((uint16_t)(0x40 + ch)) << 8;
}

static void write16(int ch, unsigned v)
{
    outb((uint16_t)(0x40 + ch), (uint8_t)v);
    outb((uint16_t)(0x40 + ch), (uint8_t)(v >> 8));
}

/* read-back of one counter's status */
static uint8_t status(int ch)
{
    outb(0x43, (uint8_t)(0xe0 | 2 << ch)); /* COUNT = 1 (no), STATUS = 0 (yes) */
    return inb((uint16_t)(0x40 + ch));
}

START_TEST(test_mode0_interrupt_on_terminal_count)
{
    /* "Mode 0": OUT low after the control word; a count N written at CLK w is loaded at w+1;
       OUT goes high N + 1 CLKs after the write and stays high; the count keeps going */
    at_tick(100);
    outb(0x43, 0x30); /* counter 0, LSB then MSB, mode 0, binary */
    write16(0, 10);
    ck_assert_int_eq(pit_get_out(&pit, 0), 0);
    at_tick(101);
    ck_assert_uint_eq(latch_read(0), 10);
    at_tick(105);
    ck_assert_uint_eq(latch_read(0), 6);
    at_tick(110);
    ck_assert_int_eq(irq_level, 0);
    at_tick(111);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_int_eq(nb_rises, 1);
    ck_assert_int_eq(rise_at[0], 111);
    at_tick(115);
    ck_assert_uint_eq(latch_read(0), 0xfffc); /* counting on past zero */
    ck_assert_int_eq(irq_level, 1);
    /* writing the first byte of a new count stops counting and drives OUT low at once; the
       second loads the count by the next CLK */
    at_tick(120);
    outb(0x40, 3);
    ck_assert_int_eq(irq_level, 0);
    at_tick(130);
    ck_assert_uint_eq(latch_read(0), 0xfff7); /* stopped at its value at CLK 120 */
    outb(0x40, 0);
    at_tick(131);
    ck_assert_uint_eq(latch_read(0), 3);
    at_tick(140);
    ck_assert_int_eq(nb_rises, 2);
    ck_assert_int_eq(rise_at[1], 134);
}
END_TEST

START_TEST(test_mode0_gate)
{
    /* "Mode 0" / gate summary: GATE low disables counting, high enables it; OUT unaffected */
    at_tick(10);
    outb(0x61, 0x01);  /* gate 2 high */
    outb(0x43, 0xb0);  /* counter 2, LSB/MSB, mode 0 */
    write16(2, 100);   /* loaded at 11 */
    at_tick(31);       /* 20 counted */
    ck_assert_uint_eq(latch_read(2), 80);
    outb(0x61, 0x00);  /* stop */
    at_tick(60);
    ck_assert_uint_eq(latch_read(2), 80);
    outb(0x61, 0x01);  /* go on with the next CLK */
    at_tick(70);
    ck_assert_uint_eq(latch_read(2), 70);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0);
    at_tick(139);      /* 20 + 79 counted */
    ck_assert_uint_eq(latch_read(2), 1);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0);
    at_tick(140);      /* terminal count: OUT 2 high, seen on port 0x61 bit 5 */
    ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);
}
END_TEST

START_TEST(test_mode1_one_shot)
{
    /* "Mode 1": OUT high; a GATE rising edge loads the count at the next CLK and OUT goes low
       for N CLKs; retriggerable; a new count waits for the next trigger */
    outb(0x43, 0xb2); /* counter 2, LSB/MSB, mode 1 */
    write16(2, 5);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    at_tick(200);
    outb(0x61, 0x01); /* trigger */
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    at_tick(201);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    ck_assert_uint_eq(latch_read(2), 5);
    at_tick(205);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    at_tick(206);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    /* GATE level does not matter, only rising edges: retrigger in mid-shot */
    outb(0x61, 0x00);
    write16(2, 3); /* not used until the next trigger */
    at_tick(210);
    outb(0x61, 0x01);
    at_tick(212);
    outb(0x61, 0x00);
    outb(0x61, 0x01); /* retrigger at 212: low until 216 */
    at_tick(215);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    at_tick(216);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
}
END_TEST

START_TEST(test_mode2_rate_generator)
{
    /* "Mode 2": OUT low for one CLK when the count reaches 1, then reloaded: period N */
    at_tick(0);
    outb(0x43, 0x34); /* counter 0, LSB/MSB, mode 2 */
    write16(0, 4);    /* loaded at 1 */
    ck_assert_int_eq(pit_get_out(&pit, 0), 1);
    static const unsigned ce[] = {4, 3, 2, 1, 4, 3};
    for (int j = 0; j < 6; j++) {
        at_tick(1 + j);
        ck_assert_uint_eq(latch_read(0), ce[j]);
    }
    at_tick(30);
    /* the control word made OUT high (it was low, as mode 0 leaves it: a rise at 0); then low
       at 4, 8, ..., high again at 5, 9, ... */
    ck_assert_int_eq(rise_at[0], 0);
    ck_assert_int_eq(nb_falls, 7);
    ck_assert_int_eq(nb_rises, 1 + 7);
    for (int i = 0; i < 7; i++) {
        ck_assert_int_eq(fall_at[i], 4 + 4 * i);
        ck_assert_int_eq(rise_at[1 + i], 5 + 4 * i);
    }
    /* a new count does not disturb the period under way: it starts at the next reload (33) */
    at_tick(31);
    write16(0, 10);
    at_tick(32);
    ck_assert_uint_eq(latch_read(0), 1);
    at_tick(33);
    ck_assert_uint_eq(latch_read(0), 10);
    at_tick(60);
    ck_assert_int_eq(fall_at[7], 32);
    ck_assert_int_eq(rise_at[8], 33);
    ck_assert_int_eq(fall_at[8], 42);
    ck_assert_int_eq(rise_at[9], 43);
    ck_assert_int_eq(rise_at[10], 53);
}
END_TEST

START_TEST(test_mode2_gate)
{
    /* "Mode 2" / gate summary: GATE low stops counting and forces OUT high; GATE high reloads
       the count at the next CLK */
    outb(0x61, 0x01);
    at_tick(0);
    outb(0x43, 0xb4); /* counter 2, mode 2 */
    write16(2, 10);   /* loaded at 1, low at 10 */
    at_tick(10);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    outb(0x61, 0x00);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    at_tick(50);
    ck_assert_uint_eq(latch_read(2), 1);
    outb(0x61, 0x01); /* reloaded at 51: low at 60 */
    at_tick(51);
    ck_assert_uint_eq(latch_read(2), 10);
    at_tick(59);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    at_tick(60);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
}
END_TEST

START_TEST(test_mode3_square_wave)
{
    /* "Mode 3", even N = 6: high 3 CLKs, low 3; the count goes down by two: 6 4 2 6 4 2 */
    at_tick(0);
    outb(0x43, 0x36);
    write16(0, 6); /* loaded at 1 */
    static const unsigned ce6[] = {6, 4, 2, 6, 4, 2, 6};
    static const int out6[] = {1, 1, 1, 0, 0, 0, 1};
    for (int j = 0; j < 7; j++) {
        at_tick(1 + j);
        ck_assert_uint_eq(latch_read(0), ce6[j]);
        ck_assert_int_eq(irq_level, out6[j]);
    }
    /* odd N = 5: high (N + 1) / 2 = 3 CLKs counting 4 2 0, low 2 counting 4 2 */
    outb(0x43, 0x36);
    at_tick(20);
    write16(0, 5); /* loaded at 21 */
    static const unsigned ce5[] = {4, 2, 0, 4, 2, 4, 2, 0, 4, 2};
    static const int out5[] = {1, 1, 1, 0, 0, 1, 1, 1, 0, 0};
    for (int j = 0; j < 10; j++) {
        at_tick(21 + j);
        ck_assert_uint_eq(latch_read(0), ce5[j]);
        ck_assert_int_eq(irq_level, out5[j]);
    }
}
END_TEST

START_TEST(test_mode3_new_count_half_period)
{
    /* "Mode 3": a new count takes effect at the end of the current half-cycle */
    at_tick(0);
    outb(0x43, 0x36);
    write16(0, 10); /* loaded at 1: high 1-5, low 6-10 */
    at_tick(2);
    write16(0, 4);  /* the high half ends at 6; then low with the new count: 2 CLKs */
    at_tick(6);
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(latch_read(0), 4);
    at_tick(8);
    ck_assert_int_eq(irq_level, 1);
    at_tick(10);
    ck_assert_int_eq(irq_level, 0);
    at_tick(12);
    ck_assert_int_eq(irq_level, 1);
}
END_TEST

START_TEST(test_mode4_software_strobe)
{
    /* "Mode 4": OUT high; it goes low for one CLK N + 1 CLKs after the count is written */
    at_tick(10);
    outb(0x43, 0x38); /* counter 0, mode 4 */
    ck_assert_int_eq(irq_level, 1);
    write16(0, 3);
    at_tick(40);
    ck_assert_int_eq(nb_falls, 1);
    ck_assert_int_eq(fall_at[0], 14);
    ck_assert_int_eq(rise_at[nb_rises - 1], 15);
    /* only once: the count wraps on without another strobe */
    at_tick(70000);
    ck_assert_int_eq(nb_falls, 1);
}
END_TEST

START_TEST(test_mode5_hardware_strobe)
{
    /* "Mode 5": a GATE rising edge loads the count at the next CLK; OUT low for one CLK when
       it reaches zero, N + 1 CLKs after the trigger */
    outb(0x43, 0xba); /* counter 2, mode 5 */
    write16(2, 4);
    at_tick(100);
    outb(0x61, 0x01);
    at_tick(104);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
    at_tick(105);
    ck_assert_int_eq(pit_get_out(&pit, 2), 0);
    at_tick(106);
    ck_assert_int_eq(pit_get_out(&pit, 2), 1);
}
END_TEST

START_TEST(test_counter_latch)
{
    /* "Counter Latch Command": the count is frozen in the output latch until read; a second
       latch command before the read is ignored */
    at_tick(0);
    outb(0x43, 0x34);
    write16(0, 1000); /* loaded at 1 */
    at_tick(11);
    outb(0x43, 0x00);
    at_tick(21);
    outb(0x43, 0x00); /* ignored */
    ck_assert_uint_eq(inb(0x40), 990 & 0xff);
    at_tick(31);
    ck_assert_uint_eq(inb(0x40), 990 >> 8);
    /* unlatched reads follow the count, LSB then MSB */
    at_tick(41);
    ck_assert_uint_eq(inb(0x40), 960 & 0xff);
    ck_assert_uint_eq(inb(0x40), 960 >> 8);
}
END_TEST

START_TEST(test_read_back)
{
    /* "Read-Back Command" and "Status Byte": OUTPUT (bit 7), NULL COUNT (bit 6) and the
       programmed RW, mode and BCD bits; with count and status latched, status comes first */
    outb(0x61, 0x01); /* gate 2 high */
    at_tick(0);
    outb(0x43, 0xb4); /* counter 2, LSB/MSB, mode 2 */
    ck_assert_uint_eq(status(2), 0x80 | 0x40 | 0x34); /* no count yet: null count */
    write16(2, 50);
    ck_assert_uint_eq(status(2), 0x80 | 0x40 | 0x34); /* written, not loaded until CLK 1 */
    at_tick(1);
    ck_assert_uint_eq(status(2), 0x80 | 0x34);
    at_tick(5);
    outb(0x43, 0xc8); /* latch count and status of counter 2 */
    at_tick(9);
    ck_assert_uint_eq(inb(0x42), 0x80 | 0x34);
    ck_assert_uint_eq(inb(0x42), 46);
    ck_assert_uint_eq(inb(0x42), 0);
    /* several counters at once */
    outb(0x43, 0x34);
    write16(0, 7);
    outb(0x43, 0xea); /* status (not count) of counters 0 and 2 */
    ck_assert_uint_eq(inb(0x40), 0x80 | 0x40 | 0x34);
    ck_assert_uint_eq(inb(0x42), 0x80 | 0x34);
    /* the mode 0 OUT bit is low until terminal count */
    outb(0x43, 0x30);
    ck_assert_uint_eq(status(0), 0x40 | 0x30);
}
END_TEST

START_TEST(test_bcd_and_byte_modes)
{
    /* BCD counting: 0x0100 is one hundred, and reads come back in BCD */
    at_tick(0);
    outb(0x43, 0x35); /* counter 0, LSB/MSB, mode 2, BCD */
    write16(0, 0x0100);
    at_tick(1 + 11);
    ck_assert_uint_eq(latch_read(0), 0x0089);
    at_tick(1 + 100);
    ck_assert_uint_eq(latch_read(0), 0x0100);
    /* RW = 01: LSB only (MSB zero) */
    outb(0x43, 0x14); /* counter 0, LSB only, mode 2 */
    at_tick(200);
    outb(0x40, 20);   /* loaded at 201 */
    at_tick(206);
    ck_assert_uint_eq(inb(0x40), 15);
    ck_assert_uint_eq(inb(0x40), 15);
    /* RW = 10: MSB only (LSB zero) */
    outb(0x43, 0x24); /* counter 0, MSB only, mode 2 */
    at_tick(300);
    outb(0x40, 2);    /* 512, loaded at 301 */
    at_tick(301 + 256);
    ck_assert_uint_eq(inb(0x40), 1);
    /* a count of 0 is the maximum: 65536 */
    outb(0x43, 0x34);
    at_tick(1000);
    write16(0, 0);
    at_tick(1002);
    ck_assert_uint_eq(latch_read(0), 0xffff);
}
END_TEST

START_TEST(test_port61)
{
    /* PIIX3 port 0x61: bits 0-3 read back as written; bit 4 toggles with every refresh
       (about 15 us); bit 5 is OUT 2; bits 4-7 ignore writes */
    outb(0x61, 0xff);
    ck_assert_uint_eq(inb(0x61) & 0xcf, 0x0f);
    outb(0x61, 0x02);
    ck_assert_uint_eq(inb(0x61) & 0x0f, 0x02);
    int toggles = 0, last = inb(0x61) & 0x10;
    for (int i = 1; i <= 100; i++) {
        vclock_warp(&clk, i * 3000); /* 300 us in 3 us steps */
        int b = inb(0x61) & 0x10;
        toggles += b != last;
        last = b;
    }
    ck_assert_int_ge(toggles, 19);
    ck_assert_int_le(toggles, 21);
}
END_TEST

START_TEST(test_irq0_rate)
{
    /* the BIOS's 18.2 Hz and Linux's 100 Hz: rising edges at L + m * N */
    at_tick(0);
    outb(0x43, 0x34);
    write16(0, 11932); /* loaded at 1: rising edges at 1 + 11932 m */
    vclock_warp(&clk, NANOSECONDS_PER_SECOND);
    ck_assert_int_eq(nb_rises, 64); /* the recorder keeps 64; more in the next test */
    ck_assert_int_eq(rise_at[0], 0); /* the control word: OUT high */
    for (int i = 1; i < 64; i++) {
        ck_assert_int_eq(rise_at[i], 1 + 11932 * (int64_t)i);
    }
}
END_TEST

static int rises_only;
static void count_rises(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    static int last;
    rises_only += level && !last;
    last = level;
}

START_TEST(test_irq0_one_second)
{
    /* besides the rise of the control word, 99 periods of 11932 CLKs fit in the first second
       after the load at CLK 1, and 999 in 10 s: the count stays exact over many periods */
    pit.irq = irq_line(count_rises, NULL, 0);
    rises_only = 0;
    at_tick(0);
    outb(0x43, 0x34);
    write16(0, 11932);
    vclock_warp(&clk, NANOSECONDS_PER_SECOND);
    ck_assert_int_eq(rises_only, 1 + 99);
    vclock_warp(&clk, 10 * NANOSECONDS_PER_SECOND);
    ck_assert_int_eq(rises_only, 1 + 999);
}
END_TEST

START_TEST(test_snapshot_fields)
{
    ck_assert_uint_eq(pit_vmstate.nb_fields, 3 * 23 + 4);
    uint64_t h = vmstate_hash(&pit_vmstate, &pit, 0);
    outb(0x43, 0x34);
    ck_assert_uint_ne(vmstate_hash(&pit_vmstate, &pit, 0), h);
}
END_TEST

static Suite *pit_suite(void)
{
    Suite *s = suite_create("i8254");
    TCase *tc = tcase_create("pit");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_mode0_interrupt_on_terminal_count);
    tcase_add_test(tc, test_mode0_gate);
    tcase_add_test(tc, test_mode1_one_shot);
    tcase_add_test(tc, test_mode2_rate_generator);
    tcase_add_test(tc, test_mode2_gate);
    tcase_add_test(tc, test_mode3_square_wave);
    tcase_add_test(tc, test_mode3_new_count_half_period);
    tcase_add_test(tc, test_mode4_software_strobe);
    tcase_add_test(tc, test_mode5_hardware_strobe);
    tcase_add_test(tc, test_counter_latch);
    tcase_add_test(tc, test_read_back);
    tcase_add_test(tc, test_bcd_and_byte_modes);
    tcase_add_test(tc, test_port61);
    tcase_add_test(tc, test_irq0_rate);
    tcase_add_test(tc, test_irq0_one_second);
    tcase_add_test(tc, test_snapshot_fields);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
