/*
 * tests/unit/test_port92.c — System Control Port A (hw/port92.c), the POST port (hw/port80.c),
 * and what the board does with them (softmmu/machine.c): the A20 gate really wraps addresses,
 * a fast reset restarts the processor at the reset vector, -no-reboot ends the run instead, and
 * unassigned ports read as all ones and are reported with -d unimp.
 *
 * Expected values: Intel 82371SB (PIIX3) datasheet, "Port 92h" (bit 1 FAST_A20, bit 0
 * FAST_INIT on a 0-to-1 write, reserved bits 0, both bits 0 after reset; A20 is the OR of it and
 * the keyboard controller's A20 output); the 8086's 1 MiB wrap-around (FFFF:0010 is linear
 * 0x100000, physical 0 with A20 off); SDM Vol. 3A 9.1.4 (the first instruction after reset is at
 * F000:FFF0); QEMU's -no-reboot (a reset ends the run, status 0).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "softmmu/machine.h"
#include "tests/unit/board.h"

/* ---- the devices alone ---------------------------------------------------------------------- */

static IOSpace io;
static int a20_level, a20_calls, init_pulses;

static void a20_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    a20_level = level;
    a20_calls++;
}

static void init_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    init_pulses += level != 0;
}

START_TEST(test_port92_bits)
{
    Port92State p;
    memset(&io, 0, sizeof(io));
    a20_level = a20_calls = init_pulses = 0;
    ck_assert_int_eq(port92_init(&p, &io, irq_line(a20_handler, NULL, 0),
                                 irq_line(init_handler, NULL, 0)),
                     0);
    ck_assert_uint_eq(io_read(&io, 0x92, 1), 0x00);
    /* bit 1: A20 */
    io_write(&io, 0x92, 0x02, 1);
    ck_assert_int_eq(a20_level, 1);
    ck_assert_uint_eq(io_read(&io, 0x92, 1), 0x02);
    /* reserved bits read 0 */
    io_write(&io, 0x92, 0xfe, 1);
    ck_assert_uint_eq(io_read(&io, 0x92, 1), 0x02);
    ck_assert_int_eq(a20_calls, 1); /* no change, no signal */
    /* bit 0: INIT on 0 -> 1 only; it reads back as written */
    io_write(&io, 0x92, 0x03, 1);
    ck_assert_int_eq(init_pulses, 1);
    io_write(&io, 0x92, 0x03, 1);
    ck_assert_int_eq(init_pulses, 1);
    ck_assert_uint_eq(io_read(&io, 0x92, 1), 0x03);
    io_write(&io, 0x92, 0x00, 1);
    ck_assert_int_eq(a20_level, 0);
    io_write(&io, 0x92, 0x01, 1);
    ck_assert_int_eq(init_pulses, 2);
    /* reset: both bits 0 */
    io_write(&io, 0x92, 0x02, 1);
    port92_reset(&p);
    ck_assert_uint_eq(io_read(&io, 0x92, 1), 0x00);
    ck_assert_int_eq(a20_level, 0);
}
END_TEST

START_TEST(test_port80)
{
    Port80State p;
    char *buf = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&buf, &len);
    memset(&io, 0, sizeof(io));
    ck_assert_int_eq(port80_init(&p, &io, log), 0);
    io_write(&io, 0x80, 0x55, 1);
    io_write(&io, 0x80, 0x0a, 1);
    ck_assert_uint_eq(p.last, 0x0a);
    /* nothing drives the bus on a read */
    ck_assert_uint_eq(io_read(&io, 0x80, 1), 0xff);
    fclose(log);
    ck_assert_str_eq(buf, "POST: 0x55\nPOST: 0x0a\n");
    free(buf);
}
END_TEST

/* ---- on the machine ------------------------------------------------------------------------- */

#define RAM_SIZE  (4u << 20)
/* the code the next new_machine runs (tests/unit/board.h puts it at F000:0000) */
static const uint8_t *rom_code;
static size_t rom_len;

static void build_bios(const uint8_t *code, size_t len)
{
    rom_code = code;
    rom_len = len;
}

static Machine *new_machine(const char *accel, bool no_reboot, unsigned log_mask,
                            const char *log_file)
{
    return test_board((MachineOptions){.ram_size = RAM_SIZE,
                                       .accel = accel,
                                       .debug_exit = true,
                                       .debug_exit_iobase = 0xf4,
                                       .debug_exit_iosize = 4,
                                       .no_reboot = no_reboot,
                                       .log_mask = log_mask,
                                       .log_file = log_file},
                      rom_code, rom_len);
}


START_TEST(test_a20_wraps)
{
    /* mov ax,0xffff / mov ds,ax / mov byte [0x10],0x5a     (linear 0x100000)
       mov al,2 / out 0x92,al                               (A20 on)
       mov byte [0x11],0xa5                                 (linear 0x100001)
       in al,0x92 / mov [0x12],al / mov al,0 / out 0xf4,al */
    static const uint8_t code[] = {0xb8, 0xff, 0xff, 0x8e, 0xd8, 0xc6, 0x06, 0x10, 0x00, 0x5a,
                                   0xb0, 0x02, 0xe6, 0x92, 0xc6, 0x06, 0x11, 0x00, 0xa5, 0xe4,
                                   0x92, 0xa2, 0x12, 0x00, 0xb0, 0x00, 0xe6, 0xf4, 0xf4};
    build_bios(code, sizeof(code));
    Machine *m = new_machine(test_accels[_i], false, 0, NULL);
    /* the gate starts open (the keyboard controller's request); close it as a BIOS would,
       and start where the reset vector's far jump lands (with A20 off, the first fetch at
       0xFFFFFFF0 would be from 0xFFEFFFF0, where this board has nothing) */
    ck_assert_uint_eq(m->a20_mask, ~(uint64_t)0);
    machine_set_a20(m, A20_SRC_KBC, false);
    m->cpu.seg[R_CS].base = 0xf0000;
    m->cpu.eip = 0;
    x86_update_hflags(&m->cpu);
    ck_assert_uint_eq(m->a20_mask, ~((uint64_t)1 << 20));
    ck_assert_int_eq(machine_run(m), 1);
    /* with A20 off, FFFF:0010 wrapped to physical 0 */
    ck_assert_uint_eq(m->ram[0x000000], 0x5a);
    ck_assert_uint_eq(m->ram[0x100000], 0x00);
    /* with A20 on, FFFF:0011 is physical 0x100001 */
    ck_assert_uint_eq(m->ram[0x100001], 0xa5);
    ck_assert_uint_eq(m->ram[0x000001], 0x00);
    ck_assert_uint_eq(m->ram[0x100002], 0x02);
    ck_assert_uint_eq(m->a20_mask, ~(uint64_t)0);
    machine_destroy(m);
}
END_TEST

/* xor ax,ax / mov ds,ax / inc byte [0x500] / cmp byte [0x500],3 / je done /
   mov al,1 / out 0x92,al / hlt / done: mov al,0 / out 0xf4,al / hlt */
static const uint8_t reboot_code[] = {0x31, 0xc0, 0x8e, 0xd8, 0xfe, 0x06, 0x00, 0x05, 0x80,
                                      0x3e, 0x00, 0x05, 0x03, 0x74, 0x05, 0xb0, 0x01, 0xe6,
                                      0x92, 0xf4, 0xb0, 0x00, 0xe6, 0xf4, 0xf4};

START_TEST(test_fast_reset)
{
    /* each boot counts itself in RAM and resets through port 0x92 bit 0, which the reset
       clears; the third boot exits. RAM survives the resets. */
    build_bios(reboot_code, sizeof(reboot_code));
    Machine *m = new_machine(test_accels[_i], false, 0, NULL);
    ck_assert_int_eq(machine_run(m), 1);
    ck_assert_uint_eq(m->ram[0x500], 3);
    machine_destroy(m);
}
END_TEST

START_TEST(test_no_reboot)
{
    /* -no-reboot: the first reset ends the run with status 0 */
    build_bios(reboot_code, sizeof(reboot_code));
    Machine *m = new_machine(test_accels[_i], true, 0, NULL);
    ck_assert_int_eq(machine_run(m), 0);
    ck_assert_uint_eq(m->ram[0x500], 1);
    machine_destroy(m);
}
END_TEST

START_TEST(test_logs)
{
    /* mov al,0x42 / out 0x80,al / in al,0x7e / mov [0x600],al (DS=0 after reset) / mov al,0 /
       out 0xf4,al: -d post logs the code; -d unimp reports the read of nobody's port 0x7E,
       which reads as all ones */
    static const uint8_t code[] = {0xb0, 0x42, 0xe6, 0x80, 0xe4, 0x7e, 0xa2, 0x00, 0x06,
                                   0xb0, 0x00, 0xe6, 0xf4, 0xf4};
    char path[] = "/tmp/xlat-test-port92-XXXXXX";
    close(mkstemp(path));
    build_bios(code, sizeof(code));
    Machine *m = new_machine(test_accels[_i], false, LOG_POST | LOG_UNIMP, path);
    ck_assert_int_eq(machine_run(m), 1);
    ck_assert_uint_eq(m->ram[0x600], 0xff);
    machine_destroy(m);
    char buf[512] = {0};
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    unlink(path);
    ck_assert_uint_gt(n, 0);
    ck_assert_ptr_nonnull(strstr(buf, "POST: 0x42\n"));
    ck_assert_ptr_nonnull(strstr(buf, "unassigned port 0x007e"));
}
END_TEST

static Suite *port92_suite(void)
{
    Suite *s = suite_create("port92");
    TCase *tc = tcase_create("devices");
    tcase_add_test(tc, test_port92_bits);
    tcase_add_test(tc, test_port80);
    suite_add_tcase(s, tc);
    tc = tcase_create("board");
    tcase_add_loop_test(tc, test_a20_wraps, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_fast_reset, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_no_reboot, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_logs, 0, test_nb_accels);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(port92_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
