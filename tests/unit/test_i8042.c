/*
 * tests/unit/test_i8042.c — the keyboard controller with its PS/2 keyboard and mouse
 * (hw/i8042.c), through ports 0x60 and 0x64, and on the machine: A20 through the output port
 * really wraps addresses, and command FE resets the processor.
 *
 * Expected values come from the IBM PS/2 Hardware Interface Technical Reference: "Keyboard/
 * Auxiliary Device Controller" (status bits, command byte, commands 20h, 60h, A7h-AEh, C0h,
 * D0h-D4h, F0h-FFh, self-test result 55h, output port bit 0 reset and bit 1 A20, set 2 to set 1
 * translation), "Keyboard" (FA acknowledge, AA self-test passed, ID AB 83, EE echo, FE resend,
 * scan code set 2: 'A' is 1C, its break F0 1C; set 1: 1E and 9E) and "Pointing Device" (reset
 * reply FA AA 00, ID 00, status bytes, 3-byte packets).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hw/i8042.h"
#include "softmmu/machine.h"
#include "tests/unit/board.h"

static IOSpace io;
static I8042State kbc;
static int irq1, irq12, a20, resets, irq1_rises;

static void h_irq1(void *o, int n, int l)
{
    (void)o;
    (void)n;
    irq1_rises += l && !irq1;
    irq1 = l;
}
static void h_irq12(void *o, int n, int l)
{
    (void)o;
    (void)n;
    irq12 = l;
}
static void h_a20(void *o, int n, int l)
{
    (void)o;
    (void)n;
    a20 = l;
}
static void h_reset(void *o, int n, int l)
{
    (void)o;
    (void)n;
    resets += l != 0;
}

static void setup(void)
{
    memset(&io, 0, sizeof(io));
    irq1 = irq12 = a20 = resets = irq1_rises = 0;
    ck_assert_int_eq(i8042_init(&kbc, &io, irq_line(h_irq1, NULL, 1), irq_line(h_irq12, NULL, 12),
                                irq_line(h_a20, NULL, 0), irq_line(h_reset, NULL, 0)),
                     0);
}

static void teardown(void)
{
}

static uint8_t status(void)
{
    return (uint8_t)io_read(&io, 0x64, 1);
}

static void cmd(uint8_t c)
{
    io_write(&io, 0x64, c, 1);
}

static void data(uint8_t d)
{
    io_write(&io, 0x60, d, 1);
}

/* the next byte: the output buffer must be full */
static uint8_t next(void)
{
    ck_assert_uint_eq(status() & 0x01, 0x01);
    return (uint8_t)io_read(&io, 0x60, 1);
}

static void expect(const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++) {
        ck_assert_uint_eq(next(), bytes[i]);
    }
    ck_assert_uint_eq(status() & 0x01, 0x00);
}

START_TEST(test_controller_basics)
{
    /* after reset: keyboard not inhibited (bit 4), nothing to read; A20 on */
    ck_assert_uint_eq(status(), 0x10);
    ck_assert_int_eq(a20, 1);
    /* self-test: 55; bit 3 says the last write was a command */
    cmd(0xaa);
    ck_assert_uint_eq(status() & 0x08, 0x08);
    expect((const uint8_t[]){0x55}, 1);
    cmd(0xab);
    expect((const uint8_t[]){0x00}, 1);
    cmd(0xa9);
    expect((const uint8_t[]){0x00}, 1);
    /* the command byte: written with 60h, read with 20h; its bit 2 is the system flag */
    cmd(0x60);
    data(0x47);
    ck_assert_uint_eq(status() & 0x08, 0x00);
    ck_assert_uint_eq(status() & 0x04, 0x04);
    cmd(0x20);
    expect((const uint8_t[]){0x47}, 1);
    /* A7/A8, AD/AE set and clear bits 5 and 4 */
    cmd(0xa7);
    cmd(0xad);
    cmd(0x20);
    expect((const uint8_t[]){0x47 | 0x30}, 1);
    cmd(0xa8);
    cmd(0xae);
    cmd(0x20);
    expect((const uint8_t[]){0x47}, 1);
}
END_TEST

START_TEST(test_keyboard_commands)
{
    /* reset: FA, then AA; with the keyboard interrupt enabled IRQ 1 follows the buffer */
    cmd(0x60);
    data(0x01);
    data(0xff);
    ck_assert_int_eq(irq1, 1);
    ck_assert_uint_eq(next(), 0xfa);
    ck_assert_int_eq(irq1, 1); /* the next byte is there at once, after a falling edge */
    ck_assert_uint_eq(next(), 0xaa);
    ck_assert_int_eq(irq1, 0);
    ck_assert_int_eq(irq1_rises, 2); /* one edge per byte, for the edge-triggered 8259 */
    /* ID, echo, LEDs, scan code set */
    data(0xf2);
    expect((const uint8_t[]){0xfa, 0xab, 0x83}, 3);
    data(0xee);
    expect((const uint8_t[]){0xee}, 1);
    data(0xed);
    data(0x07);
    expect((const uint8_t[]){0xfa, 0xfa}, 2);
    data(0xf0);
    data(0x00);
    expect((const uint8_t[]){0xfa, 0xfa, 0x02}, 3);
    data(0xf0);
    data(0x01);
    data(0xf0);
    data(0x00);
    expect((const uint8_t[]){0xfa, 0xfa, 0xfa, 0xfa, 0x01}, 5);
    /* an unknown command: resend */
    data(0x01);
    expect((const uint8_t[]){0xfe}, 1);
}
END_TEST

START_TEST(test_translation)
{
    /* set 2 'A': make 1C, break F0 1C; translated to set 1: 1E and 9E; the keyboard ID's 83
       becomes 41 */
    uint8_t make[] = {0x1c}, brk[] = {0xf0, 0x1c};
    ps2_kbd_event(&kbc, make, 1);
    ps2_kbd_event(&kbc, brk, 2);
    expect((const uint8_t[]){0x1c, 0xf0, 0x1c}, 3);
    cmd(0x60);
    data(0x40);
    ps2_kbd_event(&kbc, make, 1);
    ps2_kbd_event(&kbc, brk, 2);
    expect((const uint8_t[]){0x1e, 0x9e}, 2);
    data(0xf2);
    expect((const uint8_t[]){0xfa, 0xab, 0x41}, 3);
    /* an extended key: right Ctrl E0 14 -> E0 1D, its break E0 F0 14 -> E0 9D */
    uint8_t rctrl[] = {0xe0, 0x14}, rctrl_brk[] = {0xe0, 0xf0, 0x14};
    ps2_kbd_event(&kbc, rctrl, 2);
    ps2_kbd_event(&kbc, rctrl_brk, 3);
    expect((const uint8_t[]){0xe0, 0x1d, 0xe0, 0x9d}, 4);
}
END_TEST

START_TEST(test_keyboard_disabled)
{
    /* AD: the keyboard's bytes wait; AE lets them through. F5: the keyboard stops scanning */
    uint8_t key[] = {0x1c};
    cmd(0xad);
    ps2_kbd_event(&kbc, key, 1);
    ck_assert_uint_eq(status() & 0x01, 0);
    cmd(0xae);
    expect(key, 1);
    data(0xf5);
    expect((const uint8_t[]){0xfa}, 1);
    ps2_kbd_event(&kbc, key, 1);
    ck_assert_uint_eq(status() & 0x01, 0);
    data(0xf4);
    expect((const uint8_t[]){0xfa}, 1);
    ps2_kbd_event(&kbc, key, 1);
    expect(key, 1);
}
END_TEST

START_TEST(test_mouse)
{
    /* D4 sends a byte to the mouse; its replies come with status bit 5 and IRQ 12 */
    cmd(0x60);
    data(0x03);
    cmd(0xd4);
    data(0xff);
    ck_assert_int_eq(irq12, 1);
    ck_assert_int_eq(irq1, 0);
    ck_assert_uint_eq(status() & 0x20, 0x20);
    expect((const uint8_t[]){0xfa, 0xaa, 0x00}, 3);
    ck_assert_int_eq(irq12, 0);
    cmd(0xd4);
    data(0xf2);
    expect((const uint8_t[]){0xfa, 0x00}, 2);
    /* status: stream mode, reporting off, 1:1, resolution 2, 100 samples/s */
    cmd(0xd4);
    data(0xe9);
    expect((const uint8_t[]){0xfa, 0x00, 0x02, 100}, 4);
    cmd(0xd4);
    data(0xf3);
    cmd(0xd4);
    data(40);
    expect((const uint8_t[]){0xfa, 0xfa}, 2);
    /* reporting on: a movement of +5, -3 with the left button is 09 05 FD */
    cmd(0xd4);
    data(0xf4);
    expect((const uint8_t[]){0xfa}, 1);
    ps2_mouse_event(&kbc, 5, -3, 1);
    expect((const uint8_t[]){0x08 | 0x20 | 0x01, 0x05, 0xfd}, 3);
    /* status shows it */
    cmd(0xd4);
    data(0xe9);
    expect((const uint8_t[]){0xfa, 0x20 | 0x04, 0x02, 40}, 4);
    /* A7 holds the mouse's bytes back */
    cmd(0xa7);
    ps2_mouse_event(&kbc, -2, 0, 1);
    ck_assert_uint_eq(status() & 0x01, 0);
    cmd(0xa8);
    expect((const uint8_t[]){0x08 | 0x10 | 0x01, 0xfe, 0x00}, 3);
}
END_TEST

START_TEST(test_output_port)
{
    /* D0 reads the output port: reset line high, A20 on, bits 2-3 high, no interrupt */
    cmd(0xd0);
    expect((const uint8_t[]){0xcf}, 1);
    /* D1 writes it: A20 off */
    cmd(0xd1);
    data(0xcd);
    ck_assert_int_eq(a20, 0);
    ck_assert_int_eq(resets, 0);
    cmd(0xdf);
    ck_assert_int_eq(a20, 1);
    cmd(0xdd);
    ck_assert_int_eq(a20, 0);
    /* FE pulses bit 0: the processor reset */
    cmd(0xfe);
    ck_assert_int_eq(resets, 1);
    cmd(0xff); /* pulses nothing */
    ck_assert_int_eq(resets, 1);
    /* D1 with bit 0 low resets too */
    cmd(0xd1);
    data(0xce);
    ck_assert_int_eq(resets, 2);
    /* D2 and D3 put a byte in the output buffer as from the keyboard or the mouse */
    cmd(0xd2);
    data(0x12);
    ck_assert_uint_eq(status() & 0x21, 0x01);
    expect((const uint8_t[]){0x12}, 1);
    cmd(0xd3);
    data(0x34);
    ck_assert_uint_eq(status() & 0x21, 0x21);
    expect((const uint8_t[]){0x34}, 1);
}
END_TEST

START_TEST(test_snapshot_fields)
{
    ck_assert_uint_eq(i8042_vmstate.nb_fields, 36);
    uint64_t h = vmstate_hash(&i8042_vmstate, &kbc, 0);
    cmd(0xa7);
    ck_assert_uint_ne(vmstate_hash(&i8042_vmstate, &kbc, 0), h);
}
END_TEST

/* ---- on the machine ------------------------------------------------------------------------- */



static Machine *new_machine(const char *accel, const uint8_t *code, size_t len)
{
    return test_board((MachineOptions){.accel = accel,
                                       .debug_exit = true,
                                       .debug_exit_iobase = 0xf4,
                                       .debug_exit_iosize = 4},
                      code, len);
}

START_TEST(test_a20_through_kbc)
{
    /* the classic sequence: D1 to port 64h, DD to port 60h (A20 off), then FFFF:0010 is
       physical 0; then D1, DF (A20 on) and FFFF:0011 is 0x100001.
         mov al,0xd1 / out 0x64,al / mov al,0xdd / out 0x60,al
         mov ax,0xffff / mov ds,ax / mov byte [0x10],0x5a
         mov al,0xd1 / out 0x64,al / mov al,0xdf / out 0x60,al
         mov byte [0x11],0xa5 / mov al,0 / out 0xf4,al */
    static const uint8_t code[] = {0xb0, 0xd1, 0xe6, 0x64, 0xb0, 0xdd, 0xe6, 0x60, 0xb8,
                                   0xff, 0xff, 0x8e, 0xd8, 0xc6, 0x06, 0x10, 0x00, 0x5a,
                                   0xb0, 0xd1, 0xe6, 0x64, 0xb0, 0xdf, 0xe6, 0x60, 0xc6,
                                   0x06, 0x11, 0x00, 0xa5, 0xb0, 0x00, 0xe6, 0xf4, 0xf4};
    Machine *m = new_machine(test_accels[_i], code, sizeof(code));
    ck_assert_int_eq(machine_run(m), 1);
    ck_assert_uint_eq(m->ram[0x000000], 0x5a);
    ck_assert_uint_eq(m->ram[0x100000], 0x00);
    ck_assert_uint_eq(m->ram[0x100001], 0xa5);
    ck_assert_uint_eq(m->ram[0x000001], 0x00);
    machine_destroy(m);
}
END_TEST

START_TEST(test_reset_through_kbc)
{
    /* each boot counts itself at 0:500 and resets with command FE; the third exits:
         xor ax,ax / mov ds,ax / inc byte [0x500] / cmp byte [0x500],3 / je done /
         mov al,0xfe / out 0x64,al / hlt / done: mov al,0 / out 0xf4,al / hlt */
    static const uint8_t code[] = {0x31, 0xc0, 0x8e, 0xd8, 0xfe, 0x06, 0x00, 0x05, 0x80,
                                   0x3e, 0x00, 0x05, 0x03, 0x74, 0x05, 0xb0, 0xfe, 0xe6,
                                   0x64, 0xf4, 0xb0, 0x00, 0xe6, 0xf4, 0xf4};
    Machine *m = new_machine(test_accels[_i], code, sizeof(code));
    ck_assert_int_eq(machine_run(m), 1);
    ck_assert_uint_eq(m->ram[0x500], 3);
    machine_destroy(m);
}
END_TEST

static Suite *i8042_suite(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("controller");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_controller_basics);
    tcase_add_test(tc, test_keyboard_commands);
    tcase_add_test(tc, test_translation);
    tcase_add_test(tc, test_keyboard_disabled);
    tcase_add_test(tc, test_mouse);
    tcase_add_test(tc, test_output_port);
    tcase_add_test(tc, test_snapshot_fields);
    suite_add_tcase(s, tc);
    tc = tcase_create("board");
    tcase_add_loop_test(tc, test_a20_through_kbc, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_reset_through_kbc, 0, test_nb_accels);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(i8042_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
