/*
 * tests/unit/test_acpi.c — ACPI power management I/O and the reset control register
 * (hw/acpi.c), alone and on the board (power-off through PM1_CNT ends xlat with status 0).
 *
 * Expected values: ACPI spec 6.x 4.8.3.1 (PM1 status bits are write-1-to-clear; TMR_STS is set
 * when bit 23 of the PM timer changes; an enabled status raises the SCI while SCI_EN is set),
 * 4.8.3.2.1 (PM1 control: SLP_TYP bits 12-10, SLP_EN bit 13 write-only), 4.8.3.3 (the PM timer
 * counts at 3.579545 MHz, 24 bits here); 82371AB (PIIX4) datasheet (PM1 at PMBA+0, +2, +4, the
 * timer at +8; SLP_TYP 0 is soft off), 82371SB (PIIX3) datasheet (reset control register 0xCF9:
 * bit 2 RCPU resets).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hw/acpi.h"
#include "softmmu/machine.h"
#include "tests/unit/board.h"

static IOSpace io;
static uint64_t icount;
static VClock clk;
static ACPIState acpi;
static int sci_level, resets, poweroffs;

#define PMB 0xb000

static void sci_handler(void *o, int n, int level)
{
    (void)o;
    (void)n;
    sci_level = level;
}
static void reset_handler(void *o, int n, int level)
{
    (void)o;
    (void)n;
    resets += level != 0;
}
static void off_handler(void *o, int n, int level)
{
    (void)o;
    (void)n;
    poweroffs += level != 0;
}

static void setup(void)
{
    memset(&io, 0, sizeof(io));
    icount = 0;
    vclock_init(&clk, &icount, NULL, 0);
    sci_level = resets = poweroffs = 0;
    acpi_init(&acpi, &io, &clk, irq_line(sci_handler, NULL, 0), irq_line(reset_handler, NULL, 0),
              irq_line(off_handler, NULL, 0));
    acpi_pm_io_changed(&acpi, PMB, true);
}

START_TEST(test_mapping)
{
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_CNT, 2), 0);
    acpi_pm_io_changed(&acpi, PMB, false);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_CNT, 2), 0xffff);
    acpi_pm_io_changed(&acpi, 0x600, true);
    ck_assert_uint_eq(io_read(&io, 0x600 + ACPI_PM1_CNT, 2), 0);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_CNT, 2), 0xffff);
}
END_TEST

START_TEST(test_pm_timer)
{
    /* 3.579545 MHz: after 1 ms of virtual time, 3579 ticks (floor) */
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM_TMR, 4), 0);
    vclock_warp(&clk, 1000000);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM_TMR, 4), 3579);
    /* 24 bits: wraps after 2^24 ticks */
    vclock_warp(&clk, clock_ticks_to_ns((1 << 24) + 5, ACPI_PM_TIMER_HZ));
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM_TMR, 4), 5);
    /* byte reads of the register */
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM_TMR, 1), 5);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM_TMR + 3, 1), 0);
}
END_TEST

START_TEST(test_tmr_sts_and_sci)
{
    /* TMR_STS rises when bit 23 changes (2^23 ticks) */
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_STS, 2) & ACPI_TMR_STS, 0);
    /* SCI_EN and TMR_EN: a timer waits for the rise */
    io_write(&io, PMB + ACPI_PM1_CNT, ACPI_SCI_EN, 2);
    io_write(&io, PMB + ACPI_PM1_EN, 0x0001, 2);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_EN, 2), 0x0001);
    int64_t rise = clock_ticks_to_ns(1 << 23, ACPI_PM_TIMER_HZ);
    vclock_warp(&clk, rise - 1);
    ck_assert_int_eq(sci_level, 0);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_STS, 2) & ACPI_TMR_STS, 0);
    vclock_warp(&clk, rise);
    ck_assert_int_eq(sci_level, 1);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_STS, 2) & ACPI_TMR_STS, ACPI_TMR_STS);
    /* writing 0 changes nothing; writing 1 clears it and drops the SCI */
    io_write(&io, PMB + ACPI_PM1_STS, 0, 2);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_STS, 2) & ACPI_TMR_STS, ACPI_TMR_STS);
    io_write(&io, PMB + ACPI_PM1_STS, ACPI_TMR_STS, 2);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_STS, 2) & ACPI_TMR_STS, 0);
    ck_assert_int_eq(sci_level, 0);
    /* the next rise, 2^23 ticks later */
    vclock_warp(&clk, clock_ticks_to_ns(2 << 23, ACPI_PM_TIMER_HZ));
    ck_assert_int_eq(sci_level, 1);
    /* TMR_EN off: the status stays, the SCI drops */
    io_write(&io, PMB + ACPI_PM1_EN, 0, 2);
    ck_assert_int_eq(sci_level, 0);
    ck_assert(!timer_pending(&acpi.tmr_timer));
}
END_TEST

START_TEST(test_sleep)
{
    /* SLP_TYP is kept, SLP_EN reads 0; another sleep type does nothing */
    io_write(&io, PMB + ACPI_PM1_CNT, (1 << ACPI_SLP_TYP_SHIFT) | ACPI_SLP_EN, 2);
    ck_assert_int_eq(poweroffs, 0);
    ck_assert_uint_eq(io_read(&io, PMB + ACPI_PM1_CNT, 2), 1 << ACPI_SLP_TYP_SHIFT);
    /* SLP_TYP 0 (S5, the PIIX4's soft off) with SLP_EN: power off */
    io_write(&io, PMB + ACPI_PM1_CNT, ACPI_SLP_EN | ACPI_SCI_EN, 2);
    ck_assert_int_eq(poweroffs, 1);
    /* byte writes: the high byte alone carries SLP_EN */
    io_write(&io, PMB + ACPI_PM1_CNT + 1, ACPI_SLP_EN >> 8, 1);
    ck_assert_int_eq(poweroffs, 2);
}
END_TEST

START_TEST(test_cf9)
{
    ck_assert_uint_eq(acpi_cf9_read(&acpi, 1, 1), 0);
    acpi_cf9_write(&acpi, 1, 0x02, 1); /* SRST alone: no reset */
    ck_assert_int_eq(resets, 0);
    ck_assert_uint_eq(acpi_cf9_read(&acpi, 1, 1), 0x02);
    acpi_cf9_write(&acpi, 1, 0x06, 1); /* RCPU: reset */
    ck_assert_int_eq(resets, 1);
    acpi_cf9_write(&acpi, 1, 0x0e, 1);
    ck_assert_int_eq(resets, 2);
    /* other bytes of 0xCF8-0xCFB are not the register */
    acpi_cf9_write(&acpi, 0, 0x06, 1);
    acpi_cf9_write(&acpi, 1, 0x06, 2);
    ck_assert_int_eq(resets, 2);
}
END_TEST

/* ---- tables ---------------------------------------------------------------------------------- */

static uint8_t sum(const uint8_t *p, uint32_t n)
{
    uint8_t v = 0;
    for (uint32_t i = 0; i < n; i++) {
        v = (uint8_t)(v + p[i]);
    }
    return v;
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)mem_ld_le(p, 4);
}

/* IA-PC HPET specification 1.0a, 3.2.4 Table 3: the HPET description table at `p` */
static void check_hpet_table(const uint8_t *p, uint32_t id, uint64_t addr)
{
    ck_assert(memcmp(p, "HPET", 4) == 0);
    ck_assert_uint_eq(ld32(p + 4), 56);
    ck_assert_uint_eq(sum(p, 56), 0);
    ck_assert_uint_eq(ld32(p + 36), id);
    ck_assert_uint_eq(p[40], 0); /* generic address: system memory */
    ck_assert_uint_eq(p[42], 0); /* bit offset */
    ck_assert_uint_eq(mem_ld_le(p + 44, 8), addr);
    ck_assert_uint_eq(p[52], 0);                  /* HPET number */
    ck_assert_uint_gt(mem_ld_le(p + 53, 2), 0);   /* a minimum tick is given */
    ck_assert_uint_eq(p[55] & 0x0f, 0);           /* page protection: none promised */
}

static void check_tables(bool ioapic)
{
    static uint8_t area[0x10000];
    const uint32_t base = 0xf0000;
    memset(area, 0xcc, sizeof(area));
    ACPITablesConfig c = {.pm_base = 0xb000,
                          .sci_irq = 9,
                          .lapic_addr = 0xfee00000,
                          .ioapic = ioapic,
                          .ioapic_addr = 0xfec00000,
                          .hpet = ioapic,
                          .hpet_addr = 0xfed00000,
                          .hpet_id = 0x8086a201};
    uint32_t rsdp_a = acpi_build_tables(area, base, sizeof(area), &c);
    /* 5.2.4: "RSD PTR " on a 16-byte boundary in 0xE0000-0xFFFFF, 20 bytes summing to 0 */
    ck_assert_uint_ge(rsdp_a, 0xe0000);
    ck_assert_uint_lt(rsdp_a, 0x100000);
    ck_assert_uint_eq(rsdp_a & 15, 0);
    const uint8_t *rsdp = area + (rsdp_a - base);
    ck_assert(memcmp(rsdp, "RSD PTR ", 8) == 0);
    ck_assert_uint_eq(sum(rsdp, 20), 0);
    ck_assert_uint_eq(rsdp[15], 0);
    /* 5.2.7: RSDT lists the FADT and the MADT (and the HPET table) */
    const uint8_t *rsdt = area + (ld32(rsdp + 16) - base);
    ck_assert(memcmp(rsdt, "RSDT", 4) == 0);
    ck_assert_uint_eq(ld32(rsdt + 4), 36 + (ioapic ? 12 : 8));
    if (ioapic) {
        check_hpet_table(area + (ld32(rsdt + 44) - base), 0x8086a201, 0xfed00000);
    }
    ck_assert_uint_eq(sum(rsdt, ld32(rsdt + 4)), 0);
    const uint8_t *fadt = area + (ld32(rsdt + 36) - base);
    const uint8_t *madt = area + (ld32(rsdt + 40) - base);
    /* 5.2.9: FADT revision 1, 116 bytes, the PM block's registers */
    ck_assert(memcmp(fadt, "FACP", 4) == 0);
    ck_assert_uint_eq(ld32(fadt + 4), 116);
    ck_assert_uint_eq(sum(fadt, 116), 0);
    ck_assert_uint_eq(mem_ld_le(fadt + 46, 2), 9); /* SCI_INT */
    ck_assert_uint_eq(ld32(fadt + 48), 0);         /* SMI_CMD */
    ck_assert_uint_eq(ld32(fadt + 56), 0xb000);    /* PM1a_EVT_BLK */
    ck_assert_uint_eq(ld32(fadt + 64), 0xb004);    /* PM1a_CNT_BLK */
    ck_assert_uint_eq(ld32(fadt + 76), 0xb008);    /* PM_TMR_BLK */
    ck_assert_uint_eq(fadt[88], 4);
    ck_assert_uint_eq(fadt[89], 2);
    ck_assert_uint_eq(fadt[91], 4);
    /* FACS: 64 bytes, 64-byte aligned */
    ck_assert_uint_eq(ld32(fadt + 36) & 63, 0);
    ck_assert(memcmp(area + (ld32(fadt + 36) - base), "FACS", 4) == 0);
    /* DSDT with Name(\_S5, Package(){0, ...}) */
    const uint8_t *dsdt = area + (ld32(fadt + 40) - base);
    ck_assert(memcmp(dsdt, "DSDT", 4) == 0);
    uint32_t dlen = ld32(dsdt + 4);
    ck_assert_uint_eq(sum(dsdt, dlen), 0);
    ck_assert_ptr_nonnull(memmem(dsdt + 36, dlen - 36, "\x08\\_S5_\x12", 7));
    /* 5.2.12: MADT */
    ck_assert(memcmp(madt, "APIC", 4) == 0);
    uint32_t mlen = ld32(madt + 4);
    ck_assert_uint_eq(sum(madt, mlen), 0);
    ck_assert_uint_eq(ld32(madt + 36), 0xfee00000);
    ck_assert_uint_eq(ld32(madt + 40), 1); /* PCAT_COMPAT */
    int lapics = 0, ioapics = 0, overrides = 0;
    for (uint32_t o = 44; o < mlen; o += madt[o + 1]) {
        ck_assert_uint_ge(madt[o + 1], 2);
        switch (madt[o]) {
        case 0:
            lapics++;
            ck_assert_uint_eq(ld32(madt + o + 4) & 1, 1);
            break;
        case 1:
            ioapics++;
            ck_assert_uint_eq(ld32(madt + o + 4), 0xfec00000);
            break;
        case 2:
            overrides++;
            break;
        }
    }
    ck_assert_int_eq(lapics, 1);
    ck_assert_int_eq(ioapics, ioapic ? 1 : 0);
    ck_assert_int_eq(overrides, ioapic ? 2 : 0);
}

START_TEST(test_tables)
{
    check_tables(false);
    check_tables(true);
    /* outside the BIOS area, or misaligned: refused */
    static uint8_t area[0x1000];
    ACPITablesConfig c = {.pm_base = 0xb000, .sci_irq = 9};
    ck_assert_uint_eq(acpi_build_tables(area, 0x1000, sizeof(area), &c), 0);
    ck_assert_uint_eq(acpi_build_tables(area, 0xf0008, 0x100, &c), 0);
    ck_assert_uint_eq(acpi_build_tables(area, 0xf0000, 0x40, &c), 0); /* too small */
}
END_TEST

/* ---- on the board --------------------------------------------------------------------------- */

#define RAM_SIZE  (4u << 20)


static Machine *board(const char *accel, const uint8_t *code, size_t len)
{
    return test_board((MachineOptions){.ram_size = RAM_SIZE, .accel = accel, .no_reboot = true},
                      code, len);
}

START_TEST(test_board_poweroff)
{
    /* the PM function's PMBA = 0xB000 and PMIOSE through 0xCF8/0xCFC, then S5 (real mode):
       mov dx,0xcf8 / mov eax,0x80000b40 / out dx,eax / mov dl,0xfc / mov ax,0xb000 / out dx,ax
       mov dl,0xf8 / mov eax,0x80000b80 / out dx,eax / mov dl,0xfc / mov al,1 / out dx,al
       mov dx,0xb004 / mov ax,0x2000 / out dx,ax / hlt (with IF=0: would end with status 2) */
    static const uint8_t code[] = {0xba, 0xf8, 0x0c, 0x66, 0xb8, 0x40, 0x0b, 0x00, 0x80, 0x66,
                                   0xef, 0xb2, 0xfc, 0xb8, 0x00, 0xb0, 0xef, 0xb2, 0xf8, 0x66,
                                   0xb8, 0x80, 0x0b, 0x00, 0x80, 0x66, 0xef, 0xb2, 0xfc, 0xb0,
                                   0x01, 0xee, 0xba, 0x04, 0xb0, 0xb8, 0x00, 0x20, 0xef, 0xf4};
    Machine *m = board(test_accels[_i], code, sizeof(code));
    ck_assert_int_eq(machine_run(m), 0);
    ck_assert(m->exit_requested);
    ck_assert_uint_eq(m->acpi.io_base, 0xb000);
    machine_destroy(m);
}
END_TEST

START_TEST(test_board_cf9_reset)
{
    /* mov dx,0xcf9 / mov al,6 / out dx,al / hlt: with -no-reboot the reset ends the run (0) */
    static const uint8_t code[] = {0xba, 0xf9, 0x0c, 0xb0, 0x06, 0xee, 0xf4};
    Machine *m = board(test_accels[_i], code, sizeof(code));
    ck_assert_int_eq(machine_run(m), 0);
    ck_assert(!m->exit_requested);
    machine_destroy(m);
}
END_TEST

/* -kernel without firmware: the tables are in RAM at 0xF0000 and the PM block is on at 0xB000
   with SCI_EN, so a kernel can power off as its ACPI driver would (from the FADT and \_S5) */
START_TEST(test_firmwareless)
{
    /* an ELF32 Multiboot kernel at 1 MiB: mov dx,0xb004 / mov ax,0x2001 / out dx,ax / hlt */
    static uint8_t f[0x200];
    memset(f, 0, sizeof(f));
    memcpy(f,
           "\x7f"
           "ELF",
           4);
    f[4] = 1; /* ELFCLASS32 */
    f[5] = 1;
    f[6] = 1;
    mem_st_le(f + 16, 2, 2); /* ET_EXEC */
    mem_st_le(f + 18, 3, 2); /* EM_386 */
    mem_st_le(f + 20, 1, 4);
    mem_st_le(f + 24, 0x10000c, 4); /* entry: the code after the header */
    mem_st_le(f + 28, 52, 4);
    mem_st_le(f + 40, 52, 2);
    mem_st_le(f + 42, 32, 2);
    mem_st_le(f + 44, 1, 2);
    uint8_t *ph = f + 52;
    mem_st_le(ph, 1, 4); /* PT_LOAD */
    mem_st_le(ph + 4, 0x100, 4);
    mem_st_le(ph + 8, 0x100000, 4);
    mem_st_le(ph + 12, 0x100000, 4);
    mem_st_le(ph + 16, sizeof(f) - 0x100, 4);
    mem_st_le(ph + 20, sizeof(f) - 0x100, 4);
    mem_st_le(ph + 24, 7, 4);
    mem_st_le(f + 0x100, 0x1badb002, 4); /* Multiboot header, flags 3 */
    mem_st_le(f + 0x104, 3, 4);
    mem_st_le(f + 0x108, 0u - 0x1badb002u - 3u, 4);
    static const uint8_t code[] = {0x66, 0xba, 0x04, 0xb0, 0x66, 0xb8,
                                   0x01, 0x20, 0x66, 0xef, 0xf4};
    memcpy(f + 0x10c, code, sizeof(code));
    char path[] = "/tmp/xlat-test-acpi-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, f, sizeof(f)), (ssize_t)sizeof(f));
    close(fd);
    MachineOptions o = {.ram_size = RAM_SIZE,
                        .accel = test_accels[_i],
                        .debugcon = "none",
                        .code_cache_size = 4 << 20,
                        .kernel = path,
                        .rtc_base_set = true};
    Machine *m = machine_create(&o);
    unlink(path);
    ck_assert_ptr_nonnull(m);
    /* the RSDP, where an OS searches for it */
    uint32_t rsdp = 0;
    for (uint32_t a = 0xe0000; a < 0x100000 && !rsdp; a += 16) {
        if (memcmp(m->ram + a, "RSD PTR ", 8) == 0) {
            rsdp = a;
        }
    }
    ck_assert_uint_ne(rsdp, 0);
    /* the HPET table, third in the RSDT: the device's own ID (spec 2.3.4: vendor 8086,
       LEG_RT_CAP, COUNT_SIZE_CAP, three timers, revision 1), at 0xFED00000 */
    const uint8_t *rsdt = m->ram + ld32(m->ram + rsdp + 16);
    ck_assert_uint_eq(ld32(rsdt + 4), 36 + 12);
    const uint8_t *hpet = m->ram + ld32(rsdt + 44);
    check_hpet_table(hpet, 0x8086a201, 0xfed00000);
    ck_assert_uint_eq(ld32(hpet + 36), (uint32_t)as_read(&m->mem, 0xfed00000, 4));
    ck_assert_uint_eq(io_read(&m->io, 0xb000 + ACPI_PM1_CNT, 2) & ACPI_SCI_EN, ACPI_SCI_EN);
    ck_assert_int_eq(machine_run(m), 0);
    ck_assert(m->exit_requested);
    machine_destroy(m);
}
END_TEST

static Suite *acpi_suite(void)
{
    Suite *s = suite_create("acpi");
    TCase *tc = tcase_create("pm");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_mapping);
    tcase_add_test(tc, test_pm_timer);
    tcase_add_test(tc, test_tmr_sts_and_sci);
    tcase_add_test(tc, test_sleep);
    tcase_add_test(tc, test_cf9);
    tcase_add_test(tc, test_tables);
    suite_add_tcase(s, tc);
    tc = tcase_create("board");
    tcase_add_loop_test(tc, test_board_poweroff, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_board_cf9_reset, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_firmwareless, 0, test_nb_accels);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(acpi_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
