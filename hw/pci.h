/*
 * hw/pci.h — the PCI bus (configuration mechanism #1, functions with a 256-byte configuration
 * space, BARs mapped into the port and memory spaces, INTA#-INTD# onto four PIRQ lines) and the
 * board's chipset functions on it (hw/piix.c): the i440FX host bridge, the PIIX3 ISA bridge with
 * its PIRQ router, the PIIX IDE function (a placeholder) and the PIIX4 power-management function.
 *
 * Usage (a function with one I/O BAR of 16 bytes, INTA#):
 *     pci_device_init(&d, bus, PCI_DEVFN(3, 0), "mydev", 0x1234, 0x5678, 0x020000);
 *     d.config[PCI_INTERRUPT_PIN] = 1;
 *     pci_register_bar(&d, 0, 16, true, my_read, my_write, my_state);
 *     pci_set_irq(&d, 1);
 * The bus owns the mapping: when the guest programs the BAR and enables I/O decoding in the
 * command register, the callbacks appear at the BAR's address (offsets relative to it).
 */
#ifndef XLAT_HW_PCI_H
#define XLAT_HW_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

#define PCI_DEVFN(slot, fn) ((uint8_t)(((slot) << 3) | (fn)))
#define PCI_SLOT(devfn)     ((devfn) >> 3)

/* configuration header, type 0 (PCI Local Bus spec 2.2, 6.1) */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION_ID    0x08
#define PCI_CLASS_PROG     0x09
#define PCI_CLASS_DEVICE   0x0a
#define PCI_CACHE_LINE     0x0c
#define PCI_LATENCY_TIMER  0x0d
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYS_VENDOR  0x2c
#define PCI_SUBSYS_ID      0x2e
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d

#define PCI_COMMAND_IO     0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004

#define PCI_NUM_BARS     6
#define PCI_BAR_UNMAPPED 0xffffffffu

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;

typedef struct PCIBar {
    uint32_t size; /* a power of two (I/O >= 4, memory >= 16); 0: not implemented */
    bool io;       /* I/O space; otherwise 32-bit non-prefetchable memory */
    IOReadFn read; /* the function's decoder, offsets relative to the BAR */
    IOWriteFn write;
    void *opaque;
    uint32_t mapped; /* where it is decoded now, or PCI_BAR_UNMAPPED (derived from config) */
    int handle;      /* io_register handle / address-space region, or -1 */
} PCIBar;

/* After the guest wrote config bytes [addr, addr + size): the function reacts to its own
   registers (the bus has already applied the write masks and remapped the BARs). */
typedef void (*PCIConfigWritten)(PCIDevice *d, uint32_t addr, unsigned size);

struct PCIDevice {
    uint8_t config[256];  /* state */
    uint8_t wmask[256];   /* bits the guest may write */
    uint8_t w1cmask[256]; /* bits a 1 clears (status) */
    int irq_level;        /* state: the function's INTx# output */
    PCIBar bar[PCI_NUM_BARS];
    uint8_t devfn;
    const char *name;
    PCIBus *bus;
    PCIConfigWritten config_written;
    void *opaque;
};

#define PCI_NUM_PIRQ 4

struct PCIBus {
    uint32_t config_address;      /* state: CONFIG_ADDRESS at 0xCF8 */
    int pirq_count[PCI_NUM_PIRQ]; /* state: functions asserting each PIRQ line */
    PCIDevice *devices[256];
    IOSpace *io;
    AddressSpace *mem;
    IRQLine pirq[PCI_NUM_PIRQ]; /* wiring: PIRQA#-PIRQD# (to the ISA bridge's router) */
    /* wiring: memory decoding changed (the board flushes its TLB); may be NULL */
    void (*mem_changed)(void *opaque);
    void *mem_changed_opaque;
    /* wiring: non-dword accesses to 0xCF8-0xCFB are ordinary I/O (PCI 2.2, 3.2.2.3.2); the
       PIIX's reset control register at 0xCF9 lives there. May be NULL. */
    IOReadFn cf8_other_read;
    IOWriteFn cf8_other_write;
    void *cf8_other_opaque;
};

extern const VMStateDescription pci_bus_vmstate;
extern const VMStateDescription pci_device_vmstate;

/* Claim ports 0xCF8-0xCFF. */
int pci_bus_init(PCIBus *bus, IOSpace *io, AddressSpace *mem);
/* Put a function at devfn with its IDs and 24-bit class code; header type 0, the standard
   writable bits (command, status clears, cache line, latency, interrupt line) and the
   device-specific area 0x40-0xFF writable (a function narrows that). -1 if devfn is taken. */
int pci_device_init(PCIDevice *d, PCIBus *bus, uint8_t devfn, const char *name, uint16_t vendor,
                    uint16_t device, uint32_t class_code);
void pci_register_bar(PCIDevice *d, int n, uint32_t size, bool io, IOReadFn rd, IOWriteFn wr,
                      void *opaque);
/* Config space as the host bridge delivers it (also for tests and firmware-less set-up). */
uint32_t pci_config_read(PCIDevice *d, uint32_t addr, unsigned size);
void pci_config_write(PCIDevice *d, uint32_t addr, uint32_t val, unsigned size);
/* Map or unmap each BAR to follow the command register and the BAR values. */
void pci_update_mappings(PCIDevice *d);
/* The function's INTx# (its Interrupt Pin), swizzled onto PIRQ (slot + pin - 1) mod 4. */
void pci_set_irq(PCIDevice *d, int level);
/* A bus reset: every function's command register to 0 (decoding off) and mappings dropped. */
void pci_bus_reset(PCIBus *bus);

/* ---- the chipset (hw/piix.c) ---------------------------------------------------------------- */

typedef struct PIIXState {
    PCIDevice i440fx;        /* 00:00.0 host bridge */
    PCIDevice isa;           /* 00:01.0 PIIX3 PCI-to-ISA bridge, PIRQ router */
    PCIDevice ide;           /* 00:01.1 IDE (class code only, for now) */
    PCIDevice pm;            /* 00:01.3 PIIX4 power management (ACPI) */
    uint8_t pirq_levels;     /* state: PIRQA-D input levels (bit n: PIRQn) */
    uint16_t isa_irq_levels; /* state: what the router drives on each ISA IRQ */
    IRQLine isa_irq[16];     /* wiring: the PIC's inputs */
    /* wiring: the PM I/O space moved (base, enabled): hw/acpi.c maps its registers */
    void (*pm_io_changed)(void *opaque, uint16_t base, bool enabled);
    void *pm_opaque;
    /* wiring: the PAM registers changed (i440FX 0x59-0x5F): the board maps 0xC0000-0xFFFFF */
    void (*pam_changed)(void *opaque, const uint8_t *pam);
    void *pam_opaque;
} PIIXState;

extern const VMStateDescription piix_vmstate;

/* Put the four functions on the bus; isa_irq: the PIC's inputs 0-15. Wires the bus's PIRQ
   lines to the router. */
int piix_init(PIIXState *s, PCIBus *bus, const IRQLine isa_irq[16]);
/* Power-on values of the chipset registers (after pci_bus_reset). */
void piix_reset(PIIXState *s);

/* PIIX3 PIRQ route control (82371SB datasheet, PIRQRC[A:D], 60h-63h) */
#define PIIX_PIRQRC       0x60
#define PIIX_PIRQ_DISABLE 0x80
/* PIIX4 function 3 (82371AB datasheet, 3.x "Power management registers") */
#define PIIX4_PMBA       0x40
#define PIIX4_PMREGMISC  0x80
#define PIIX4_PM_IO_SIZE 64
/* i440FX PAM0-PAM6 (82441FX datasheet, 3.2.x) */
#define I440FX_PAM0   0x59
#define I440FX_NB_PAM 7

#endif
