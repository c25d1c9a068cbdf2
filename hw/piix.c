/*
 * hw/piix.c — the PC's chipset functions on PCI bus 0, as QEMU's "pc" board arranges them:
 *   00:00.0 Intel 82441FX (i440FX) host bridge, 8086:1237, class 06 00 00
 *   00:01.0 Intel 82371SB (PIIX3) PCI-to-ISA bridge, 8086:7000, class 06 01 00, multi-function
 *   00:01.1 PIIX3 IDE, 8086:7010, class 01 01 80 (no decoders yet: a later issue fills it)
 *   00:01.3 Intel 82371AB (PIIX4) power management, 8086:7113, class 06 80 00
 *
 * Register facts: 82441FX datasheet 3.2 (PAM0-PAM6 at 59h-5Fh: per segment bit 0/4 read
 * enable and bit 1/5 write enable to DRAM; SMRAM at 72h resets to 02h); 82371SB datasheet 2.2
 * (PIRQRC[A:D] at 60h-63h: bit 7 disables routing, bits 3-0 the ISA IRQ, reset value 80h; IRQs
 * 0-2, 8 and 13 are reserved and route nowhere); 82371AB datasheet 3.4.2 (PMBA at 40h: bit 0
 * reads 1 (I/O space), bits 15-6 the base of the 64-byte PM I/O block; PMREGMISC at 80h bit 0
 * PMIOSE enables it; interrupt pin INTA#).
 *
 * Owns: PIIXState (the functions' configuration spaces via the bus, the PIRQ levels and what the
 * router drives). The PM registers themselves are hw/acpi.c's; PAM decoding is the board's.
 */
#include "hw/pci.h"

#include <string.h>

static const VMStateField piix_fields[] = {
    VMSTATE_FIELD(PIIXState, pirq_levels),
    VMSTATE_FIELD(PIIXState, isa_irq_levels),
};
const VMStateDescription piix_vmstate = VMSTATE_DESC("piix", 1, PIIXState, piix_fields);

/* ---- PIRQ router (PIIX3 function 0) --------------------------------------------------------- */

static bool pirq_irq_valid(unsigned irq)
{
    return irq < 16 && irq != 0 && irq != 1 && irq != 2 && irq != 8 && irq != 13;
}

/* Drive every ISA IRQ with the OR of the PIRQ lines routed to it. */
static void piix_route(PIIXState *s)
{
    uint16_t want = 0;
    for (int n = 0; n < PCI_NUM_PIRQ; n++) {
        uint8_t r = s->isa.config[PIIX_PIRQRC + n];
        if ((s->pirq_levels & (1u << n)) && !(r & PIIX_PIRQ_DISABLE) && pirq_irq_valid(r & 0x0f)) {
            want |= (uint16_t)(1u << (r & 0x0f));
        }
    }
    uint16_t diff = want ^ s->isa_irq_levels;
    s->isa_irq_levels = want;
    for (int irq = 0; irq < 16; irq++) {
        if (diff & (1u << irq)) {
            irq_set(&s->isa_irq[irq], (want >> irq) & 1);
        }
    }
}

static void piix_pirq_handler(void *opaque, int n, int level)
{
    PIIXState *s = opaque;
    s->pirq_levels =
        level ? s->pirq_levels | (uint8_t)(1u << n) : s->pirq_levels & (uint8_t) ~(1u << n);
    piix_route(s);
}

static void isa_config_written(PCIDevice *d, uint32_t addr, unsigned size)
{
    if (addr < PIIX_PIRQRC + PCI_NUM_PIRQ && addr + size > PIIX_PIRQRC) {
        piix_route(d->opaque);
    }
}

/* ---- PM function (PIIX4 function 3) ---------------------------------------------------------- */

static void pm_config_changed(PIIXState *s)
{
    uint16_t base = (uint16_t)mem_ld_le(&s->pm.config[PIIX4_PMBA], 2) & 0xffc0;
    bool on = (s->pm.config[PIIX4_PMREGMISC] & 1) != 0;
    if (s->pm_io_changed) {
        s->pm_io_changed(s->pm_opaque, base, on);
    }
}

static void pm_config_written(PCIDevice *d, uint32_t addr, unsigned size)
{
    if ((addr < PIIX4_PMBA + 4 && addr + size > PIIX4_PMBA) ||
        (addr <= PIIX4_PMREGMISC && addr + size > PIIX4_PMREGMISC)) {
        pm_config_changed(d->opaque);
    }
}

/* ---- host bridge ----------------------------------------------------------------------------  */

static void i440fx_config_written(PCIDevice *d, uint32_t addr, unsigned size)
{
    PIIXState *s = d->opaque;
    if (addr < I440FX_PAM0 + I440FX_NB_PAM && addr + size > I440FX_PAM0 && s->pam_changed) {
        s->pam_changed(s->pam_opaque, &d->config[I440FX_PAM0]);
    }
}

void piix_reset(PIIXState *s)
{
    /* 82441FX: PAM registers 00h (everything to the PCI/ISA side: the BIOS ROM), SMRAM 02h */
    memset(&s->i440fx.config[I440FX_PAM0], 0, I440FX_NB_PAM);
    s->i440fx.config[0x72] = 0x02;
    if (s->pam_changed) {
        s->pam_changed(s->pam_opaque, &s->i440fx.config[I440FX_PAM0]);
    }
    /* 82371SB: PIRQ routing disabled */
    memset(&s->isa.config[PIIX_PIRQRC], PIIX_PIRQ_DISABLE, PCI_NUM_PIRQ);
    piix_route(s);
    /* 82371AB: PM base 0 (bit 0 reads 1), I/O decoding of the block off */
    mem_st_le(&s->pm.config[PIIX4_PMBA], 1, 4);
    s->pm.config[PIIX4_PMREGMISC] = 0;
    pm_config_changed(s);
}

int piix_init(PIIXState *s, PCIBus *bus, const IRQLine isa_irq[16])
{
    memset(s, 0, sizeof(*s));
    memcpy(s->isa_irq, isa_irq, sizeof(s->isa_irq));
    if (pci_device_init(&s->i440fx, bus, PCI_DEVFN(0, 0), "i440fx", 0x8086, 0x1237, 0x060000) < 0 ||
        pci_device_init(&s->isa, bus, PCI_DEVFN(1, 0), "piix3-isa", 0x8086, 0x7000, 0x060100) < 0 ||
        pci_device_init(&s->ide, bus, PCI_DEVFN(1, 1), "piix3-ide", 0x8086, 0x7010, 0x010180) < 0 ||
        pci_device_init(&s->pm, bus, PCI_DEVFN(1, 3), "piix4-pm", 0x8086, 0x7113, 0x068000) < 0) {
        return -1;
    }
    s->i440fx.opaque = s->isa.opaque = s->ide.opaque = s->pm.opaque = s;
    s->i440fx.config[PCI_REVISION_ID] = 0x02;
    s->i440fx.config_written = i440fx_config_written;
    /* the PIIX is one multi-function device: header type bit 7 on function 0 */
    s->isa.config[PCI_HEADER_TYPE] = 0x80;
    s->isa.config_written = isa_config_written;
    /* PIIX4 function 3: revision 03h, INTA# for the SCI; PMBA bit 0 is hardwired to 1 and
       bits 5-1 to 0 (a 64-byte block) */
    s->pm.config[PCI_REVISION_ID] = 0x03;
    s->pm.config[PCI_INTERRUPT_PIN] = 0x01;
    s->pm.wmask[PIIX4_PMBA] = 0xc0;
    s->pm.wmask[PIIX4_PMBA + 2] = s->pm.wmask[PIIX4_PMBA + 3] = 0;
    s->pm.wmask[PIIX4_PMREGMISC] = 0x01;
    s->pm.config_written = pm_config_written;
    for (int n = 0; n < PCI_NUM_PIRQ; n++) {
        bus->pirq[n] = irq_line(piix_pirq_handler, s, n);
    }
    piix_reset(s);
    return 0;
}
