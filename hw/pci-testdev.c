/*
 * hw/pci-testdev.c — QEMU's PCI test device (`-device pci-testdev`, vendor 1B36h device 0005h),
 * which test suites such as kvm-unit-tests use to check I/O and MMIO writes from a guest.
 *
 * What it decodes (QEMU's docs/specs/pci-testdev.rst and the behaviour of its hw/misc/
 * pci-testdev.c):
 *   BAR0  4 KiB of memory, BAR1 256 I/O ports; no interrupt pin; class code 00FF00h (QEMU's
 *   PCI_CLASS_OTHERS in the sub-class byte).
 *   Six tests: 0-2 on the memory BAR, 3-5 on the I/O BAR, named "<mmio|portio>-<no-eventfd|
 *   wildcard-eventfd|datamatch-eventfd>". A write of n < 3 to byte 0 of a BAR starts test
 *   3 * bar + n (any other value stops the current one); while test t runs, a one-byte write to
 *   offset (bar ? 128 : 2048) + t counts, for the "no-eventfd" tests only if the byte is the
 *   data value (FAh). In QEMU the two eventfd variants hand every write at their offset to a
 *   host notifier (any value for "wildcard", FAh for "datamatch"), so their count stays 0: a
 *   guest sees exactly that, and so it does here (the wildcard tests show CEh as their data). Reads, from either BAR, give
 *   the running test's header byte by byte:
 *       0 test number (u8), 1 access width (u8: 1), 4 offset (u32), 8 data (u8), 12 count (u32),
 *       16 name (NUL-terminated)
 *   and 0 past its end or when no test runs. The device handles one byte at a time: wider
 *   accesses are split into bytes, lowest address first (so only byte writes ever count).
 */
#include <stdio.h>
#include <string.h>

#include "softmmu/machine.h"

enum {
    TESTS_PER_BAR = 3,
    NB_TESTS = 2 * TESTS_PER_BAR,
    MEM_TEST_BASE = 2048, /* the offsets tests write to, by BAR */
    IO_TEST_BASE = 128,
    DATA_MATCH = 0xfa,
    DATA_ANY = 0xce,
    HDR_NAME = 16,
};

static const VMStateField pcitestdev_fields[] = {
    VMSTATE_FIELD(PCITestDev, current),
    VMSTATE_FIELD(PCITestDev, count),
};
const VMStateDescription pcitestdev_vmstate =
    VMSTATE_DESC("pci-testdev", 1, PCITestDev, pcitestdev_fields);

static bool test_is_wildcard(int t)
{
    return t % TESTS_PER_BAR == 1;
}

static uint32_t test_offset(int t)
{
    return (t < TESTS_PER_BAR ? MEM_TEST_BASE : IO_TEST_BASE) + (uint32_t)t;
}

static void test_name(int t, char *buf, size_t n)
{
    static const char *const kind[TESTS_PER_BAR] = {"no-eventfd", "wildcard-eventfd",
                                                    "datamatch-eventfd"};
    snprintf(buf, n, "%s-%s", t < TESTS_PER_BAR ? "mmio" : "portio", kind[t % TESTS_PER_BAR]);
}

/* byte `off` of the running test's header, 0 outside it */
static uint8_t header_byte(const PCITestDev *d, uint64_t off)
{
    int t = d->current;
    if (t < 0 || t >= NB_TESTS) {
        return 0;
    }
    char name[32];
    test_name(t, name, sizeof(name));
    if (off >= HDR_NAME + strlen(name)) {
        return 0; /* the NUL and everything after it */
    }
    uint32_t offset = test_offset(t);
    switch (off) {
    case 0: return (uint8_t)t;
    case 1: return 1;
    case 4: case 5: case 6: case 7: return (uint8_t)(offset >> (8 * (off - 4)));
    case 8: return test_is_wildcard(t) ? DATA_ANY : DATA_MATCH;
    case 12: case 13: case 14: case 15:
        return (uint8_t)(d->count[t] >> (8 * (off - 12)));
    default: return off >= HDR_NAME ? (uint8_t)name[off - HDR_NAME] : 0;
    }
}

static void write_byte(PCITestDev *d, int bar, uint64_t off, uint8_t v)
{
    if (off == 0) {
        d->current = v < TESTS_PER_BAR ? bar * TESTS_PER_BAR + v : -1;
        if (d->current >= 0) {
            d->count[d->current] = 0;
        }
        return;
    }
    int t = d->current;
    if (t < 0 || off != test_offset(t)) {
        return;
    }
    /* only "no-eventfd" reaches the counter: the others' matching writes go to the notifier,
       and what does not match is ignored by the data check */
    if (t % TESTS_PER_BAR == 0 && v == DATA_MATCH) {
        d->count[t]++;
    }
}

static uint64_t testdev_read(void *opaque, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)header_byte(opaque, off + i) << (8 * i);
    }
    return v;
}

static void mem_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        write_byte(opaque, 0, off + i, (uint8_t)(val >> (8 * i)));
    }
}

static void io_bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        write_byte(opaque, 1, off + i, (uint8_t)(val >> (8 * i)));
    }
}

int pcitestdev_init(Machine *m, PCITestDev *d)
{
    memset(d, 0, sizeof(*d));
    d->current = -1;
    /* the first free slot, as QEMU places a -device without addr= */
    int slot = 2;
    while (slot < 32 && m->pci.devices[PCI_DEVFN(slot, 0)]) {
        slot++;
    }
    if (slot == 32 || pci_device_init(&d->pci, &m->pci, PCI_DEVFN(slot, 0), "pci-testdev",
                                      0x1b36, 0x0005, 0x00ff00) < 0) {
        fprintf(stderr, "xlat: -device pci-testdev: no free PCI slot\n");
        return -1;
    }
    pci_register_bar(&d->pci, 0, 4096, false, testdev_read, mem_write, d);
    pci_register_bar(&d->pci, 1, 256, true, testdev_read, io_bar_write, d);
    return 0;
}

void pcitestdev_reset(PCITestDev *d)
{
    d->current = -1;
}
