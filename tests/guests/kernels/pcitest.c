/*
 * tests/guests/kernels/pcitest.c — QEMU's PCI test device (-device pci-testdev, which
 * tests/guests/run-kernel-tests passes for this kernel), found and driven the way a test suite
 * does it: configuration mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2), BAR sizing (6.2.5.1),
 * then each test of each BAR as QEMU's docs/specs/pci-testdev.rst describes the header: the
 * test number written to byte 0, then width (byte 1), offset (4), data (8), count (12), name (16).
 *
 * The BARs' addresses are whatever the firmware gave (SeaBIOS under qemu, xlat's firmware-less
 * set-up), so no address appears in a check; sizes, IDs, header fields and counts do.
 */
#include "libk.h"

static inline void outw(uint16_t port, uint16_t v)
{
    asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static uint32_t cfg_read(int slot, int reg)
{
    outl(0xcf8, 0x80000000u | (uint32_t)slot << 11 | (uint32_t)reg);
    return inl(0xcfc);
}

static void cfg_write(int slot, int reg, uint32_t v)
{
    outl(0xcf8, 0x80000000u | (uint32_t)slot << 11 | (uint32_t)reg);
    outl(0xcfc, v);
}

/* the size a BAR decodes: write all ones, read the mask back, restore (spec 6.2.5.1) */
static uint32_t bar_size(int slot, int bar)
{
    int reg = 0x10 + 4 * bar;
    uint32_t old = cfg_read(slot, reg);
    cfg_write(slot, reg, 0xffffffffu);
    uint32_t mask = cfg_read(slot, reg);
    cfg_write(slot, reg, old);
    mask &= (old & 1) ? ~3u : ~15u;
    return mask ? ~mask + 1 : 0;
}

/* one BAR's accessors: memory through a pointer, I/O through ports */
static uint32_t bar_base[2];

static uint8_t rd8(int bar, uint32_t off)
{
    return bar ? inb((uint16_t)(bar_base[1] + off))
               : *(volatile uint8_t *)(uintptr_t)(bar_base[0] + off);
}

static uint32_t rd32(int bar, uint32_t off)
{
    return bar ? inl((uint16_t)(bar_base[1] + off))
               : *(volatile uint32_t *)(uintptr_t)(bar_base[0] + off);
}

static void wr8(int bar, uint32_t off, uint8_t v)
{
    if (bar) {
        outb((uint16_t)(bar_base[1] + off), v);
    } else {
        *(volatile uint8_t *)(uintptr_t)(bar_base[0] + off) = v;
    }
}

void kmain(void)
{
    tap_plan(15);
    int slot = -1;
    for (int s = 0; s < 32 && slot < 0; s++) {
        if (cfg_read(s, 0) == 0x00051b36u) {
            slot = s;
        }
    }
    if (!tap_ok(slot >= 0, "a function with vendor 1b36, device 0005 on bus 0")) {
        return;
    }
    uint32_t class_rev = cfg_read(slot, 0x08);
    tap_ok(class_rev == 0x00ff0000u, "class 00, sub-class ff, prog-if 0, revision 0 (%08x)",
           (unsigned)class_rev);
    tap_ok((cfg_read(slot, 0x3c) >> 8 & 0xff) == 0, "no interrupt pin");
    uint32_t b0 = cfg_read(slot, 0x10), b1 = cfg_read(slot, 0x14);
    tap_ok((b0 & 1) == 0 && bar_size(slot, 0) == 4096, "BAR0: memory, %u bytes",
           (unsigned)bar_size(slot, 0));
    tap_ok((b1 & 1) == 1 && bar_size(slot, 1) == 256, "BAR1: I/O, %u ports",
           (unsigned)bar_size(slot, 1));
    bar_base[0] = b0 & ~15u;
    bar_base[1] = b1 & ~3u;
    /* decoding on (the firmware normally did it already) */
    outl(0xcf8, 0x80000000u | (uint32_t)slot << 11 | 0x04);
    outw(0xcfc, 0x0003);

    for (int bar = 0; bar < 2; bar++) {
        for (int t = 0; t < 3; t++) {
            wr8(bar, 0, (uint8_t)t);
            uint8_t width = rd8(bar, 1);
            uint32_t offset = rd32(bar, 4);
            uint8_t data = rd8(bar, 8);
            char name[32];
            int i = 0;
            for (; i < 31; i++) {
                name[i] = (char)rd8(bar, 16 + (uint32_t)i);
                if (!name[i]) {
                    break;
                }
            }
            name[i] = 0;
            /* three writes of the data byte, then one of another value: the plain test counts
               3; the eventfd tests pass their writes to QEMU's host notifier, counting 0 */
            for (int k = 0; k < 3; k++) {
                wr8(bar, offset, data);
            }
            wr8(bar, offset, (uint8_t)(data ^ 0x55));
            uint32_t count = rd32(bar, 12);
            tap_ok(width == 1 && count == (t == 0 ? 3u : 0u),
                   "BAR%d test %d: %s, width %u, offset %u, data %02x, count %u", bar, t, name,
                   width, (unsigned)offset, data, (unsigned)count);
        }
        /* test 3 does not exist: no test runs, the header reads 0 */
        wr8(bar, 0, 3);
        tap_ok(rd8(bar, 1) == 0 && rd32(bar, 12) == 0, "BAR%d: test 3 is not there (width 0)",
               bar);
    }
    /* reads come from the running test's header through either BAR */
    wr8(1, 0, 2);
    tap_ok(rd8(0, 0) == 5 && rd32(0, 4) == 128 + 5,
           "a test started through BAR1 reads back through BAR0 too");
    /* a write elsewhere counts nothing */
    wr8(1, 64, 0xfa);
    tap_ok(rd32(1, 12) == 0, "a write to another offset counts nothing");
}
