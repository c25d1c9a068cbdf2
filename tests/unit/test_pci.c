/*
 * tests/unit/test_pci.c — the PCI bus (hw/pci.c) and the chipset functions (hw/piix.c), driven
 * through configuration mechanism #1 at 0xCF8/0xCFC like firmware does.
 *
 * Expected values: PCI Local Bus spec 2.2, 3.2.2.3.2 (CONFIG_ADDRESS latched only by dword
 * accesses, bit 31 enable, bits 15-11 device, 10-8 function, 7-2 register; byte/word/dword data
 * at 0xCFC-0xCFF), 6.1 (absent functions read all ones), 6.2.2 (command register gates
 * decoding), 6.2.3 (status bits write-1-to-clear), 6.2.5.1 (BAR sizing: write all ones, read
 * back the size mask with the type bits); the IDs and registers of the 82441FX (8086:1237,
 * PAM at 59h), 82371SB (8086:7000 ISA, 8086:7010 IDE; PIRQRC 60h-63h reset 80h, bit 7 disables)
 * and 82371AB (8086:7113 PM; PMBA 40h with bit 0 reading 1, PMREGMISC 80h bit 0).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/pci.h"
#include "softmmu/machine.h"

static IOSpace io;
static AddressSpace as;
static PCIBus bus;
static PIIXState piix;
static int isa_level[16], isa_calls;
static int mem_changes;
static uint16_t pm_base;
static bool pm_on;
static int pm_calls;
static uint8_t pam_seen[I440FX_NB_PAM];

static void isa_handler(void *opaque, int n, int level)
{
    (void)opaque;
    isa_level[n] = level;
    isa_calls++;
}

static void mem_changed(void *opaque)
{
    (void)opaque;
    mem_changes++;
}

static void pm_changed(void *opaque, uint16_t base, bool on)
{
    (void)opaque;
    pm_base = base;
    pm_on = on;
    pm_calls++;
}

static void pam_hook(void *opaque, const uint8_t *pam)
{
    (void)opaque;
    memcpy(pam_seen, pam, sizeof(pam_seen));
}

static void setup(void)
{
    memset(&io, 0, sizeof(io));
    memset(&as, 0, sizeof(as));
    memset(isa_level, 0, sizeof(isa_level));
    isa_calls = mem_changes = pm_calls = 0;
    ck_assert_int_eq(pci_bus_init(&bus, &io, &as), 0);
    bus.mem_changed = mem_changed;
    IRQLine lines[16];
    for (int i = 0; i < 16; i++) {
        lines[i] = irq_line(isa_handler, NULL, i);
    }
    ck_assert_int_eq(piix_init(&piix, &bus, lines), 0);
    piix.pm_io_changed = pm_changed;
    piix.pam_changed = pam_hook;
}

static uint32_t cfg_addr(int dev, int fn, int reg)
{
    return 0x80000000u | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (uint32_t)(reg & 0xfc);
}

static uint32_t cfg_read(int dev, int fn, int reg, unsigned size)
{
    io_write(&io, 0xcf8, cfg_addr(dev, fn, reg), 4);
    return io_read(&io, 0xcfc + (reg & 3), size);
}

static void cfg_write(int dev, int fn, int reg, uint32_t v, unsigned size)
{
    io_write(&io, 0xcf8, cfg_addr(dev, fn, reg), 4);
    io_write(&io, 0xcfc + (reg & 3), v, size);
}

START_TEST(test_config_address)
{
    /* 3.2.2.3.2: a dword write latches, a dword read returns it (bits 1-0 read 0) */
    io_write(&io, 0xcf8, 0x80000a57, 4);
    ck_assert_uint_eq(io_read(&io, 0xcf8, 4), 0x80000a54);
    /* byte and word accesses do not touch CONFIG_ADDRESS */
    io_write(&io, 0xcf8, 0x12, 1);
    io_write(&io, 0xcfa, 0x3456, 2);
    ck_assert_uint_eq(io_read(&io, 0xcf8, 4), 0x80000a54);
    /* with the enable bit clear, CONFIG_DATA reaches nothing */
    io_write(&io, 0xcf8, 0x00000000, 4);
    ck_assert_uint_eq(io_read(&io, 0xcfc, 4), 0xffffffff);
}
END_TEST

START_TEST(test_ids)
{
    ck_assert_uint_eq(cfg_read(0, 0, 0, 4), 0x12378086);
    ck_assert_uint_eq(cfg_read(1, 0, 0, 4), 0x70008086);
    ck_assert_uint_eq(cfg_read(1, 1, 0, 4), 0x70108086);
    ck_assert_uint_eq(cfg_read(1, 3, 0, 4), 0x71138086);
    /* class codes (offset 0x08: revision, prog-if, subclass, class) */
    ck_assert_uint_eq(cfg_read(0, 0, 8, 4) >> 8, 0x060000);
    ck_assert_uint_eq(cfg_read(1, 0, 8, 4) >> 8, 0x060100);
    ck_assert_uint_eq(cfg_read(1, 1, 8, 4) >> 8, 0x010180);
    ck_assert_uint_eq(cfg_read(1, 3, 8, 4) >> 8, 0x068000);
    /* the PIIX is multi-function: header type bit 7 on function 0 */
    ck_assert_uint_eq(cfg_read(1, 0, PCI_HEADER_TYPE, 1), 0x80);
    /* byte and word reads of parts of a dword */
    ck_assert_uint_eq(cfg_read(0, 0, 2, 2), 0x1237);
    ck_assert_uint_eq(cfg_read(0, 0, 1, 1), 0x80);
    ck_assert_uint_eq(cfg_read(0, 0, 3, 1), 0x12);
    /* 6.1: nobody at 00:02.0 or 00:01.2, nor on bus 1 */
    ck_assert_uint_eq(cfg_read(2, 0, 0, 4), 0xffffffff);
    ck_assert_uint_eq(cfg_read(1, 2, 0, 2), 0xffff);
    io_write(&io, 0xcf8, 0x80010000, 4);
    ck_assert_uint_eq(io_read(&io, 0xcfc, 4), 0xffffffff);
    /* read-only IDs stay */
    cfg_write(0, 0, 0, 0, 4);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 4), 0x12378086);
}
END_TEST

START_TEST(test_command_status)
{
    /* 6.2.2: only the defined command bits stick */
    cfg_write(1, 1, PCI_COMMAND, 0xffff, 2);
    ck_assert_uint_eq(cfg_read(1, 1, PCI_COMMAND, 2), 0x0147);
    /* 6.2.3: status error bits are cleared by writing 1, never set by a write */
    PCIDevice *d = &piix.ide;
    d->config[PCI_STATUS + 1] = 0x80; /* detected parity error */
    cfg_write(1, 1, PCI_STATUS, 0x0000, 2);
    ck_assert_uint_eq(cfg_read(1, 1, PCI_STATUS, 2), 0x8000);
    cfg_write(1, 1, PCI_STATUS, 0x8000, 2);
    ck_assert_uint_eq(cfg_read(1, 1, PCI_STATUS, 2), 0x0000);
    /* the interrupt line is a scratch register */
    cfg_write(1, 1, PCI_INTERRUPT_LINE, 0x0e, 1);
    ck_assert_uint_eq(cfg_read(1, 1, PCI_INTERRUPT_LINE, 1), 0x0e);
}
END_TEST

/* a test function in slot 3 with an I/O BAR and a memory BAR */
static PCIDevice tdev;
static uint64_t last_off;
static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
    (void)size;
    last_off = off;
    return (uintptr_t)opaque + off;
}
static void dev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)opaque;
    (void)val;
    (void)size;
    last_off = off;
}

START_TEST(test_bars)
{
    ck_assert_int_eq(pci_device_init(&tdev, &bus, PCI_DEVFN(3, 0), "t", 0x1234, 0x5678, 0xff0000),
                     0);
    ck_assert_int_eq(pci_device_init(&tdev, &bus, PCI_DEVFN(3, 0), "t", 1, 2, 3), -1);
    pci_register_bar(&tdev, 0, 0x20, true, dev_read, dev_write, (void *)0x100);
    pci_register_bar(&tdev, 1, 0x1000, false, dev_read, dev_write, (void *)0x200);
    /* 6.2.5.1: the type bits read back; sizing by all ones gives the size mask */
    ck_assert_uint_eq(cfg_read(3, 0, 0x10, 4), 0x00000001);
    ck_assert_uint_eq(cfg_read(3, 0, 0x14, 4), 0x00000000);
    cfg_write(3, 0, 0x10, 0xffffffff, 4);
    cfg_write(3, 0, 0x14, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(3, 0, 0x10, 4), 0xffffffe1);
    ck_assert_uint_eq(cfg_read(3, 0, 0x14, 4), 0xfffff000);
    /* unimplemented BARs read 0 and stay 0 */
    cfg_write(3, 0, 0x18, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(3, 0, 0x18, 4), 0);
    /* program them; nothing decodes until the command register enables the spaces */
    cfg_write(3, 0, 0x10, 0xc000, 4);
    cfg_write(3, 0, 0x14, 0xfebf0000, 4);
    ck_assert_uint_eq(io_read(&io, 0xc004, 1), 0xff);
    ck_assert_uint_eq(as_read(&as, 0xfebf0010, 4), 0xffffffff);
    mem_changes = 0;
    cfg_write(3, 0, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    ck_assert_int_gt(mem_changes, 0);
    ck_assert_uint_eq(io_read(&io, 0xc004, 1), (0x104 & 0xff));
    ck_assert_uint_eq(last_off, 4);
    ck_assert_uint_eq(as_read(&as, 0xfebf0010, 4), 0x210);
    /* move both: the old addresses go dark */
    cfg_write(3, 0, 0x10, 0xd000, 4);
    cfg_write(3, 0, 0x14, 0xfebe0000, 4);
    ck_assert_uint_eq(io_read(&io, 0xc004, 1), 0xff);
    ck_assert_uint_eq(io_read(&io, 0xd01f, 1), (0x11f & 0xff));
    ck_assert_uint_eq(as_read(&as, 0xfebf0010, 4), 0xffffffff);
    ck_assert_uint_eq(as_read(&as, 0xfebe0ffc, 4), 0x200 + 0xffc);
    /* sizing while enabled unmaps for as long as the pattern is there */
    cfg_write(3, 0, 0x10, 0xffffffff, 4);
    ck_assert_uint_eq(io_read(&io, 0xd000, 1), 0xff);
    cfg_write(3, 0, 0x10, 0xd000, 4);
    ck_assert_uint_eq(io_read(&io, 0xd000, 1), 0x00);
    /* decoding off */
    cfg_write(3, 0, PCI_COMMAND, 0, 2);
    ck_assert_uint_eq(io_read(&io, 0xd000, 1), 0xff);
    ck_assert_uint_eq(as_read(&as, 0xfebe0ffc, 4), 0xffffffff);
    /* a bus reset turns decoding off too */
    cfg_write(3, 0, PCI_COMMAND, PCI_COMMAND_IO, 2);
    ck_assert_uint_eq(io_read(&io, 0xd000, 1), 0x00);
    pci_bus_reset(&bus);
    ck_assert_uint_eq(io_read(&io, 0xd000, 1), 0xff);
}
END_TEST

START_TEST(test_pirq_routing)
{
    ck_assert_int_eq(pci_device_init(&tdev, &bus, PCI_DEVFN(3, 0), "t", 0x1234, 0x5678, 0xff0000),
                     0);
    tdev.config[PCI_INTERRUPT_PIN] = 1; /* INTA# of slot 3: PIRQ (3 + 0) mod 4 = D */
    /* reset: all four routes disabled (80h) */
    ck_assert_uint_eq(cfg_read(1, 0, 0x60, 4), 0x80808080);
    pci_set_irq(&tdev, 1);
    ck_assert_int_eq(isa_calls, 0);
    /* route PIRQD to IRQ 11: the asserted line shows at once */
    cfg_write(1, 0, 0x63, 0x0b, 1);
    ck_assert_int_eq(isa_level[11], 1);
    pci_set_irq(&tdev, 0);
    ck_assert_int_eq(isa_level[11], 0);
    /* reroute while asserted: the old IRQ drops, the new one rises */
    pci_set_irq(&tdev, 1);
    cfg_write(1, 0, 0x63, 0x0a, 1);
    ck_assert_int_eq(isa_level[11], 0);
    ck_assert_int_eq(isa_level[10], 1);
    /* bit 7 disables the route */
    cfg_write(1, 0, 0x63, 0x8a, 1);
    ck_assert_int_eq(isa_level[10], 0);
    /* reserved IRQs (0, 1, 2, 8, 13) route nowhere */
    cfg_write(1, 0, 0x63, 0x02, 1);
    ck_assert_int_eq(isa_level[2], 0);
    /* two functions sharing a PIRQ: the line is their OR. Slot 1 INTA# is the PM function
       (pin 1: PIRQ (1 + 0) mod 4 = B); a slot-0 INTB# would also be B */
    cfg_write(1, 0, 0x61, 0x09, 1);
    pci_set_irq(&piix.pm, 1);
    ck_assert_int_eq(isa_level[9], 1);
    PCIDevice *d = &piix.i440fx;
    d->config[PCI_INTERRUPT_PIN] = 2;
    pci_set_irq(d, 1);
    pci_set_irq(&piix.pm, 0);
    ck_assert_int_eq(isa_level[9], 1);
    pci_set_irq(d, 0);
    ck_assert_int_eq(isa_level[9], 0);
}
END_TEST

START_TEST(test_pm_function)
{
    /* PMBA: bit 0 reads 1, bits 5-1 are 0, bits 15-6 the base */
    ck_assert_uint_eq(cfg_read(1, 3, PIIX4_PMBA, 4), 0x00000001);
    ck_assert_uint_eq(cfg_read(1, 3, PCI_INTERRUPT_PIN, 1), 0x01);
    cfg_write(1, 3, PIIX4_PMBA, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_read(1, 3, PIIX4_PMBA, 4), 0x0000ffc1);
    cfg_write(1, 3, PIIX4_PMBA, 0xb000, 4);
    ck_assert_uint_eq(cfg_read(1, 3, PIIX4_PMBA, 4), 0x0000b001);
    ck_assert_uint_eq(pm_base, 0xb000);
    ck_assert(!pm_on);
    /* PMREGMISC bit 0 turns the block on */
    cfg_write(1, 3, PIIX4_PMREGMISC, 0xff, 1);
    ck_assert_uint_eq(cfg_read(1, 3, PIIX4_PMREGMISC, 1), 0x01);
    ck_assert(pm_on);
    ck_assert_uint_eq(pm_base, 0xb000);
}
END_TEST

START_TEST(test_pam)
{
    /* 82441FX: PAM registers reset to 0; the board hears every change */
    ck_assert_uint_eq(cfg_read(0, 0, I440FX_PAM0, 1), 0x00);
    ck_assert_uint_eq(cfg_read(0, 0, 0x72, 1), 0x02); /* SMRAM */
    cfg_write(0, 0, I440FX_PAM0, 0x30, 1);
    ck_assert_uint_eq(pam_seen[0], 0x30);
    cfg_write(0, 0, 0x5c, 0x33333333, 4);
    ck_assert_uint_eq(pam_seen[3], 0x33);
    ck_assert_uint_eq(pam_seen[6], 0x33);
    piix_reset(&piix);
    ck_assert_uint_eq(pam_seen[0], 0x00);
    ck_assert_uint_eq(cfg_read(0, 0, 0x5c, 4), 0);
}
END_TEST

/* ---- on the board: PAM decoding of 0xC0000-0xFFFFF (82441FX 3.2.13) -------------------------- */

static void board_cfg_write(Machine *m, int reg, uint32_t v, unsigned size)
{
    io_write(&m->io, 0xcf8, 0x80000000u | (uint32_t)(reg & 0xfc), 4);
    io_write(&m->io, 0xcfc + (reg & 3), v, size);
}

START_TEST(test_board_pam)
{
    static uint8_t image[64 << 10];
    memset(image, 0xb1, sizeof(image));
    MachineOptions o = {.ram_size = 4u << 20,
                        .bios_image = image,
                        .bios_image_size = sizeof(image),
                        .accel = "interp",
                        .debugcon = "none",
                        .code_cache_size = 4 << 20,
                        .rtc_base_set = true};
    Machine *m = machine_create(&o);
    ck_assert_ptr_nonnull(m);
    /* reset: the F segment is the BIOS ROM */
    ck_assert_uint_eq(as_read(&m->mem, 0xf0000, 1), 0xb1);
    as_write(&m->mem, 0xf0000, 0x5a, 1);
    ck_assert_uint_eq(as_read(&m->mem, 0xf0000, 1), 0xb1);
    /* 11b: DRAM read/write */
    board_cfg_write(m, I440FX_PAM0, 0x30, 1);
    ck_assert_uint_eq(as_read(&m->mem, 0xf0000, 1), 0x00);
    as_write(&m->mem, 0xf0000, 0x5a, 1);
    ck_assert_uint_eq(as_read(&m->mem, 0xf0000, 1), 0x5a);
    ck_assert_uint_eq(m->ram[0xf0000], 0x5a);
    /* 01b: DRAM read-only (writes go nowhere) */
    board_cfg_write(m, I440FX_PAM0, 0x10, 1);
    as_write(&m->mem, 0xf0000, 0x77, 1);
    ck_assert_uint_eq(as_read(&m->mem, 0xf0000, 1), 0x5a);
    /* 10b: writes to DRAM, reads from the ROM */
    board_cfg_write(m, I440FX_PAM0, 0x20, 1);
    ck_assert_uint_eq(as_read(&m->mem, 0xfffff, 1), 0xb1);
    as_write(&m->mem, 0xf0000, 0x66, 1);
    ck_assert_uint_eq(as_read(&m->mem, 0xf0000, 1), 0xb1);
    ck_assert_uint_eq(m->ram[0xf0000], 0x66);
    /* 00b: the ROM again; the high alias is never affected */
    board_cfg_write(m, I440FX_PAM0, 0x00, 1);
    ck_assert_uint_eq(as_read(&m->mem, 0xf0000, 1), 0xb1);
    ck_assert_uint_eq(as_read(&m->mem, 0xffff0000, 1), 0xb1);
    /* PAM1 low nibble: 0xC0000-0xC3FFF read-only DRAM; the high nibble 0xC4000 untouched */
    m->ram[0xc0000] = 0x12;
    board_cfg_write(m, I440FX_PAM0 + 1, 0x01, 1);
    as_write(&m->mem, 0xc0000, 0x34, 1);
    ck_assert_uint_eq(as_read(&m->mem, 0xc0000, 1), 0x12);
    as_write(&m->mem, 0xc4000, 0x34, 1);
    ck_assert_uint_eq(m->ram[0xc4000], 0x34);
    machine_destroy(m);
}
END_TEST

static Suite *pci_suite(void)
{
    Suite *s = suite_create("pci");
    TCase *tc = tcase_create("bus");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_config_address);
    tcase_add_test(tc, test_ids);
    tcase_add_test(tc, test_command_status);
    tcase_add_test(tc, test_bars);
    tcase_add_test(tc, test_pirq_routing);
    tcase_add_test(tc, test_pm_function);
    tcase_add_test(tc, test_pam);
    suite_add_tcase(s, tc);
    tc = tcase_create("board");
    tcase_add_test(tc, test_board_pam);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pci_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
