/*
 * hw/pci.c — the PCI bus: configuration mechanism #1, configuration spaces, BARs, INTx#.
 *
 * Follows the PCI Local Bus Specification rev. 2.2: 3.2.2.3.2 (configuration mechanism #1:
 * CONFIG_ADDRESS at 0xCF8 is latched only by full dword accesses; bit 31 enables, bits 23-16
 * bus, 15-11 device, 10-8 function, 7-2 register; CONFIG_DATA at 0xCFC-0xCFF in bytes, words or
 * dwords; a function that does not exist reads as all ones: 6.1), 6.2.2 (command register: I/O
 * space bit 0, memory space bit 1 gate the BARs' decoding), 6.2.3 (status bits are cleared by
 * writing 1), 6.2.5.1 (BARs: the low bits are the type and read-only; sizing by writing all
 * ones and reading back which bits stuck), 2.2.6 and the PCI-to-PCI bridge spec's swizzle
 * ((slot + pin - 1) mod 4) for the INTx# to PIRQ wiring a PC board uses.
 *
 * Owns: PCIBus (CONFIG_ADDRESS, the PIRQ line counts) and each PCIDevice's configuration space
 * and BAR mappings. Only bus 0 exists.
 */
#include "hw/pci.h"

#include <string.h>

static const VMStateField pci_bus_fields[] = {
    VMSTATE_FIELD(PCIBus, config_address),
    VMSTATE_FIELD(PCIBus, pirq_count),
};
const VMStateDescription pci_bus_vmstate = VMSTATE_DESC("pci-bus", 1, PCIBus, pci_bus_fields);

static const VMStateField pci_device_fields[] = {
    VMSTATE_FIELD(PCIDevice, config),
    VMSTATE_FIELD(PCIDevice, irq_level),
};
const VMStateDescription pci_device_vmstate =
    VMSTATE_DESC("pci-device", 1, PCIDevice, pci_device_fields);

/* ---- configuration space -------------------------------------------------------------------- */

static void st16(uint8_t *p, uint16_t v)
{
    mem_st_le(p, v, 2);
}

int pci_device_init(PCIDevice *d, PCIBus *bus, uint8_t devfn, const char *name, uint16_t vendor,
                    uint16_t device, uint32_t class_code)
{
    if (bus->devices[devfn]) {
        return -1;
    }
    memset(d, 0, sizeof(*d));
    d->devfn = devfn;
    d->name = name;
    d->bus = bus;
    for (int i = 0; i < PCI_NUM_BARS; i++) {
        d->bar[i].mapped = PCI_BAR_UNMAPPED;
        d->bar[i].handle = -1;
    }
    st16(&d->config[PCI_VENDOR_ID], vendor);
    st16(&d->config[PCI_DEVICE_ID], device);
    d->config[PCI_CLASS_PROG] = (uint8_t)class_code;
    st16(&d->config[PCI_CLASS_DEVICE], (uint16_t)(class_code >> 8));
    /* 6.2.2: I/O, memory, bus master, parity error response, SERR# enable */
    st16(&d->wmask[PCI_COMMAND], 0x0147);
    /* 6.2.3: the error bits are "write 1 to clear" */
    st16(&d->w1cmask[PCI_STATUS], 0xf900);
    d->wmask[PCI_CACHE_LINE] = 0xff;
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    memset(&d->wmask[0x40], 0xff, 256 - 0x40);
    bus->devices[devfn] = d;
    return 0;
}

void pci_register_bar(PCIDevice *d, int n, uint32_t size, bool io, IOReadFn rd, IOWriteFn wr,
                      void *opaque)
{
    PCIBar *b = &d->bar[n];
    b->size = size;
    b->io = io;
    b->read = rd;
    b->write = wr;
    b->opaque = opaque;
    /* 6.2.5.1: bit 0 is the space indicator (1: I/O); the address bits below the size are
       hardwired to 0, which is what sizing reads back */
    uint32_t mask = ~(size - 1) & (io ? 0xfffffffcu : 0xfffffff0u);
    mem_st_le(&d->wmask[PCI_BAR0 + 4 * n], mask, 4);
    mem_st_le(&d->config[PCI_BAR0 + 4 * n], io ? 1 : 0, 4);
}

uint32_t pci_config_read(PCIDevice *d, uint32_t addr, unsigned size)
{
    if (addr >= 256 || size > 256 - addr) {
        return (uint32_t)mem_ones(size);
    }
    return (uint32_t)mem_ld_le(&d->config[addr], size);
}

static bool ranges_overlap(uint32_t a, unsigned alen, uint32_t b, unsigned blen)
{
    return a < b + blen && b < a + alen;
}

void pci_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned size)
{
    if (addr >= 256 || size > 256 - addr) {
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        uint8_t v = (uint8_t)(val >> (8 * i)), a = (uint8_t)(addr + i);
        d->config[a] = (uint8_t)((d->config[a] & ~d->wmask[a]) | (v & d->wmask[a]));
        d->config[a] &= (uint8_t) ~(v & d->w1cmask[a]);
    }
    if (ranges_overlap(addr, size, PCI_COMMAND, 2) ||
        ranges_overlap(addr, size, PCI_BAR0, 4 * PCI_NUM_BARS)) {
        pci_update_mappings(d);
    }
    if (d->config_written) {
        d->config_written(d, addr, size);
    }
}

/* ---- BAR mappings --------------------------------------------------------------------------- */

/* Where BAR n should be decoded now, or PCI_BAR_UNMAPPED. */
static uint32_t bar_target(const PCIDevice *d, int n)
{
    const PCIBar *b = &d->bar[n];
    uint16_t cmd = (uint16_t)mem_ld_le(&d->config[PCI_COMMAND], 2);
    if (!b->size || !(cmd & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY))) {
        return PCI_BAR_UNMAPPED;
    }
    uint32_t addr =
        (uint32_t)mem_ld_le(&d->config[PCI_BAR0 + 4 * n], 4) & (b->io ? 0xfffffffcu : 0xfffffff0u);
    /* 0 is "not assigned"; the sizing pattern (all address bits set) is not an address either;
       an I/O BAR must lie in the 64 KiB port space */
    uint32_t ones = ~(b->size - 1) & (b->io ? 0xfffffffcu : 0xfffffff0u);
    if (addr == 0 || addr == ones || (uint64_t)addr + b->size > (b->io ? 0x10000u : 0x100000000u)) {
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

void pci_update_mappings(PCIDevice *d)
{
    PCIBus *bus = d->bus;
    bool mem_changed = false;
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        PCIBar *b = &d->bar[n];
        uint32_t t = bar_target(d, n);
        if (t == b->mapped) {
            continue;
        }
        if (b->io) {
            if (b->handle >= 0) {
                io_unregister(bus->io, b->handle);
                b->handle = -1;
            }
            b->mapped = PCI_BAR_UNMAPPED;
            if (t != PCI_BAR_UNMAPPED) {
                /* a port another device decodes: the BAR stays dark (a guest's conflict) */
                b->handle = io_register(bus->io, d->name, t, b->size, b->read, b->write, b->opaque);
                b->mapped = b->handle >= 0 ? t : PCI_BAR_UNMAPPED;
            }
        } else {
            mem_changed = true;
            uint64_t base = t == PCI_BAR_UNMAPPED ? 0 : t;
            uint64_t size = t == PCI_BAR_UNMAPPED ? 0 : b->size;
            if (b->handle < 0 && size) {
                /* below RAM and ROM (priority -1): RAM decodes first on the 440FX */
                b->handle =
                    as_add_mmio(bus->mem, d->name, base, size, b->read, b->write, b->opaque, -1);
                b->mapped = b->handle >= 0 ? t : PCI_BAR_UNMAPPED;
            } else if (b->handle >= 0) {
                as_move_region(bus->mem, b->handle, base, size);
                b->mapped = t;
            }
        }
    }
    if (mem_changed && bus->mem_changed) {
        bus->mem_changed(bus->mem_changed_opaque);
    }
}

/* ---- interrupts ----------------------------------------------------------------------------- */

void pci_set_irq(PCIDevice *d, int level)
{
    level = level != 0;
    uint8_t pin = d->config[PCI_INTERRUPT_PIN];
    if (level == d->irq_level || pin < 1 || pin > 4) {
        return;
    }
    d->irq_level = level;
    PCIBus *bus = d->bus;
    int pirq = (PCI_SLOT(d->devfn) + pin - 1) & 3;
    int before = bus->pirq_count[pirq] != 0;
    bus->pirq_count[pirq] += level ? 1 : -1;
    int after = bus->pirq_count[pirq] != 0;
    if (before != after) {
        irq_set(&bus->pirq[pirq], after);
    }
}

void pci_bus_reset(PCIBus *bus)
{
    bus->config_address = 0;
    for (int i = 0; i < 256; i++) {
        PCIDevice *d = bus->devices[i];
        if (d) {
            st16(&d->config[PCI_COMMAND], 0);
            pci_update_mappings(d);
            pci_set_irq(d, 0);
        }
    }
}

/* ---- configuration mechanism #1 ------------------------------------------------------------- */

/* The function CONFIG_ADDRESS selects, or NULL (disabled, another bus, nobody there). */
static PCIDevice *selected(PCIBus *bus)
{
    uint32_t a = bus->config_address;
    if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0) {
        return NULL;
    }
    return bus->devices[(a >> 8) & 0xff];
}

static uint64_t cf8_read(void *opaque, uint64_t off, unsigned size)
{
    PCIBus *bus = opaque;
    if (off == 0 && size == 4) {
        return bus->config_address;
    }
    return bus->cf8_other_read ? bus->cf8_other_read(bus->cf8_other_opaque, off, size)
                               : mem_ones(size);
}

static void cf8_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PCIBus *bus = opaque;
    if (off == 0 && size == 4) {
        /* bits 1-0 are reserved and read 0 (3.2.2.3.2, type 0 translation) */
        bus->config_address = (uint32_t)val & 0x80fffffcu;
    } else if (bus->cf8_other_write) {
        bus->cf8_other_write(bus->cf8_other_opaque, off, val, size);
    }
}

static uint64_t cfc_read(void *opaque, uint64_t off, unsigned size)
{
    PCIBus *bus = opaque;
    PCIDevice *d = selected(bus);
    if (!d) {
        return mem_ones(size);
    }
    return pci_config_read(d, (bus->config_address & 0xfc) + (uint32_t)off, size);
}

static void cfc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PCIBus *bus = opaque;
    PCIDevice *d = selected(bus);
    if (d) {
        pci_config_write(d, (bus->config_address & 0xfc) + (uint32_t)off, (uint32_t)val, size);
    }
}

int pci_bus_init(PCIBus *bus, IOSpace *io, AddressSpace *mem)
{
    memset(bus, 0, sizeof(*bus));
    bus->io = io;
    bus->mem = mem;
    if (io_register(io, "pci-conf-addr", 0xcf8, 4, cf8_read, cf8_write, bus) < 0 ||
        io_register(io, "pci-conf-data", 0xcfc, 4, cfc_read, cfc_write, bus) < 0) {
        return -1;
    }
    return 0;
}
