/*
 * hw/pc-testdev.c — QEMU's ISA test device (`-device pc-testdev`), which x86 test suites such as
 * kvm-unit-tests use to poke the machine from inside a guest.
 *
 * What it decodes (QEMU's hw/misc/pc-testdev.c, behaviour only):
 *   ports 0xE0-0xE3    a 32-bit scratch register; an access of N bytes at port 0xE0 + k reads or
 *                      writes its bytes k .. k+N-1 (bytes past the fourth are dropped).
 *   ports 0xE4-0xE7    "flush page": a 4-byte write of a physical address. In QEMU it makes the
 *                      host re-fault that page under KVM; nothing a guest can observe follows
 *                      from it under a binary translator, so here it does nothing.
 *   ports 0xE8-0xEB    the same scratch register, accessed byte by byte (same result). Port 0xE9
 *                      is the debug console's in xlat's PC, so the device takes only the ports of
 *                      this range that are free.
 *   ports 0x2000-0x2017  a 1-byte write of V to port 0x2000 + n drives ISA interrupt line n to
 *                      (V != 0). Lines 0-15 reach the 8259A pair; 16-23 exist only on an I/O APIC,
 *                      which this board does not have yet, so they are ignored.
 *   memory 0xFF000000-0xFF00FFFF  64 KiB of scratch memory behind an MMIO region (the test
 *                      suites use it to check MMIO emulation of every instruction form).
 * Reads of the write-only ports (flush page, interrupt lines) return 0.
 */
#include <stdlib.h>
#include <string.h>

#include "softmmu/machine.h"

#define TESTDEV_IOPORT      0xe0
#define TESTDEV_FLUSH       0xe4
#define TESTDEV_IOPORT_BYTE 0xe8
#define TESTDEV_IRQ         0x2000
#define TESTDEV_IRQ_LINES   24
#define TESTDEV_ISA_IRQS    16
#define TESTDEV_IOMEM       0xff000000u
#define TESTDEV_IOMEM_SIZE  0x10000u

static uint64_t testdev_reg_read(void *opaque, uint64_t offset, unsigned size)
{
    PCTestDev *d = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size && (offset & 3) + i < 4; i++) {
        v |= ((d->ioport_data >> (8 * ((offset & 3) + i))) & 0xff) << (8 * i);
    }
    return v;
}

static void testdev_reg_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    PCTestDev *d = opaque;
    for (unsigned i = 0; i < size && (offset & 3) + i < 4; i++) {
        unsigned shift = 8 * (unsigned)((offset & 3) + i);
        d->ioport_data &= ~(0xffu << shift);
        d->ioport_data |= (uint32_t)((val >> (8 * i)) & 0xff) << shift;
    }
}

/* The byte-wide copy of the register: ports 0xE8 + k, registered one by one, so each handler's
   offset is 0 and the port itself says which byte. */
static uint64_t testdev_byte_read(void *opaque, uint64_t offset, unsigned size)
{
    PCTestDevByte *b = opaque;
    return testdev_reg_read(b->dev, b->index + offset, size);
}

static void testdev_byte_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    PCTestDevByte *b = opaque;
    testdev_reg_write(b->dev, b->index + offset, val, size);
}

static uint64_t testdev_zero_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)size;
    return 0;
}

static void testdev_flush_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)val;
    (void)size;
}

static void testdev_irq_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    PCTestDev *d = opaque;
    (void)size;
    if (offset < TESTDEV_ISA_IRQS) {
        irq_set(&d->irq[offset], (val & 0xff) != 0);
    }
}

static uint64_t testdev_iomem_read(void *opaque, uint64_t offset, unsigned size)
{
    PCTestDev *d = opaque;
    if (offset >= TESTDEV_IOMEM_SIZE || size > TESTDEV_IOMEM_SIZE - offset) {
        return 0;
    }
    return mem_ld_le(d->iomem + offset, size);
}

static void testdev_iomem_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    PCTestDev *d = opaque;
    if (offset < TESTDEV_IOMEM_SIZE && size <= TESTDEV_IOMEM_SIZE - offset) {
        mem_st_le(d->iomem + offset, val, size);
    }
}

int pctestdev_init(Machine *m, PCTestDev *d)
{
    memset(d, 0, sizeof(*d));
    d->iomem = calloc(1, TESTDEV_IOMEM_SIZE);
    if (!d->iomem) {
        fprintf(stderr, "xlat: pc-testdev: out of memory\n");
        return -1;
    }
    for (int i = 0; i < TESTDEV_ISA_IRQS; i++) {
        d->irq[i] = machine_isa_irq(m, i);
    }
    if (io_register(&m->io, "pc-testdev", TESTDEV_IOPORT, 4, testdev_reg_read,
                    testdev_reg_write, d) < 0 ||
        io_register(&m->io, "pc-testdev-flush", TESTDEV_FLUSH, 4, testdev_zero_read,
                    testdev_flush_write, d) < 0 ||
        io_register(&m->io, "pc-testdev-irq", TESTDEV_IRQ, TESTDEV_IRQ_LINES, testdev_zero_read,
                    testdev_irq_write, d) < 0) {
        fprintf(stderr, "xlat: pc-testdev: its ports (0xe0-0xe7, 0x2000-0x2017) are taken\n");
        return -1;
    }
    for (unsigned k = 0; k < 4; k++) {
        d->byte[k].dev = d;
        d->byte[k].index = k;
        if (!m->io.map[TESTDEV_IOPORT_BYTE + k]) {
            io_register(&m->io, "pc-testdev-byte", TESTDEV_IOPORT_BYTE + k, 1, testdev_byte_read,
                        testdev_byte_write, &d->byte[k]);
        }
    }
    if (as_add_mmio(&m->mem, "pc-testdev-iomem", TESTDEV_IOMEM, TESTDEV_IOMEM_SIZE,
                    testdev_iomem_read, testdev_iomem_write, d, 1) < 0) {
        fprintf(stderr, "xlat: pc-testdev: cannot map its memory at 0xff000000\n");
        return -1;
    }
    return 0;
}

void pctestdev_free(PCTestDev *d)
{
    free(d->iomem);
    d->iomem = NULL;
}
