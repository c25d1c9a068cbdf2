/*
 * softmmu/machine.c — building, running and tearing down one emulated PC.
 *
 * Owns: the Machine's lifetime (RAM, the firmware image, the engine, the CPU, the devices), the
 * main loop (slices that end at timer deadlines, timers, idle skipping, pacing, the host-input
 * hook), the exit request used by devices, the end-of-run state hash and the -stats report.
 *
 * Memory map of this first board: RAM from 0; the firmware at the top of the 4 GiB space, where
 * the CPU leaves reset (SDM Vol. 3A 9.1.4: CS base FFFF0000, EIP FFF0), and its last 128 KiB
 * also below 1 MiB (0xE0000-0xFFFFF), as the PC chipset aliases the BIOS there. With -kernel
 * the firmware is optional: the CPU starts at the Multiboot kernel's entry (hw/multiboot.c).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "softmmu/machine.h"

#define KiB ((uint64_t)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* RAM must end below the firmware at the top of the 32-bit space (and its PCI hole, later) */
#define RAM_MAX            (3 * GiB + 512 * MiB)
#define BIOS_MAX           (2 * MiB)
#define BIOS_LOW_MAX       (128 * KiB)
#define BIOS_LOW_END       (1 * MiB)
#define CODE_CACHE_DEFAULT (64 * MiB)

#define DEBUGCON_PORT 0xe9

static int load_bios(Machine *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0) {
        fprintf(stderr, "xlat: cannot open BIOS image '%s': %s\n", path, strerror(errno));
        if (f) {
            fclose(f);
        }
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size % (64 * KiB) != 0 ||
        (uint64_t)st.st_size > BIOS_MAX) {
        fprintf(stderr,
                "xlat: BIOS image '%s' is %lld bytes; it must be a multiple of 64 KiB "
                "and at most 2 MiB\n",
                path, (long long)st.st_size);
        fclose(f);
        return -1;
    }
    m->bios_size = (uint64_t)st.st_size;
    m->bios = malloc(m->bios_size);
    if (!m->bios || fread(m->bios, 1, m->bios_size, f) != m->bios_size) {
        fprintf(stderr, "xlat: cannot read BIOS image '%s': %s\n", path,
                m->bios ? strerror(ferror(f) ? errno : EIO) : "out of memory");
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

static const Backend *pick_backend(const char *accel)
{
    if (!accel) {
#ifdef CONFIG_HOST_X86_64
        return &backend_x86_64;
#else
        return &backend_interp;
#endif
    }
    if (strcmp(accel, "interp") == 0) {
        return &backend_interp;
    }
    if (strcmp(accel, "jit") == 0) {
#ifdef CONFIG_HOST_X86_64
        return &backend_x86_64;
#else
        fprintf(stderr, "xlat: the JIT is not built on this host (it needs an x86-64 host); "
                        "use -accel interp\n");
        return NULL;
#endif
    }
    fprintf(stderr, "xlat: unknown accelerator '%s' (try -accel help)\n", accel);
    return NULL;
}

static void port92_a20_handler(void *opaque, int n, int level)
{
    (void)n;
    machine_set_a20(opaque, A20_SRC_PORT92, level != 0);
}

static void kbc_a20_handler(void *opaque, int n, int level)
{
    (void)n;
    machine_set_a20(opaque, A20_SRC_KBC, level != 0);
}

static void reset_handler(void *opaque, int n, int level)
{
    (void)n;
    if (level) {
        machine_request_reset(opaque);
    }
}

/* ---- interrupt wiring: devices -> 8259 + I/O APIC -> local APIC -> CPU (hardware order) ---- */

static void cpu_intr_handler(void *opaque, int n, int level);

/* ISA IRQ n goes to 8259 input n and to I/O APIC pin n, except IRQ 0, which is on pin 2 (pin 0
   carries the 8259's own INTR, as on the PIIX boards; the MP/ACPI tables say IRQ 0 -> pin 2) */
static void irq_set_isa(Machine *m, int n, int level)
{
    pic_set_irq(&m->pic, n, level);
    ioapic_set_irq(&m->ioapic, n == 0 ? 2 : n, level);
}

static void isa_irq_handler(void *opaque, int n, int level)
{
    irq_set_isa(opaque, n, level);
}

IRQLine machine_isa_irq(Machine *m, int n)
{
    return irq_line(isa_irq_handler, m, n);
}

/* The 8254 (IRQ 0) and the RTC (IRQ 8) are cut off while the HPET's legacy replacement route
   owns those lines (HPET specification 1.0a, 2.3.5, LEG_RT_CNF). */
static void legacy_timer_irq_handler(void *opaque, int n, int level)
{
    Machine *m = opaque;
    if (!hpet_legacy_route(&m->hpet)) {
        irq_set_isa(m, n, level);
    }
}

/* The 8259's INT output: the local APIC's LINT0 (virtual wire) and I/O APIC pin 0 (ExtINT). */
static void pic_intr_handler(void *opaque, int n, int level)
{
    Machine *m = opaque;
    (void)n;
    apic_set_lint(&m->apic, 0, level);
    ioapic_set_irq(&m->ioapic, 0, level);
}

static void ioapic_deliver_handler(void *opaque, uint32_t dest, bool logical, int mode,
                                   int vector, bool level)
{
    apic_deliver(opaque, dest, logical, mode, vector, level);
}

static uint64_t apic_tsc_handler(void *opaque)
{
    return x86_read_tsc(opaque);
}

/* A device armed a timer from inside a slice: leave translated code at the next block boundary
   so machine_run sizes the slice for the new deadline. */
static void cpu_kick_handler(void *opaque)
{
    cpu_exit(opaque);
}

static void apic_remapped_handler(void *opaque)
{
    tlb_flush(opaque); /* the APIC page moved: no TLB entry may keep the old decoding */
}

/* The local APIC, the I/O APIC and the HPET, and their wiring; before any device can raise an
   interrupt. */
/* the local APIC's NMI output: an edge on the CPU's NMI pin */
static void cpu_nmi_handler(void *opaque, int n, int level)
{
    (void)n;
    if (level) {
        x86_cpu_nmi(opaque);
    }
}

static int apic_board_init(Machine *m)
{
    APICState *a = &m->apic;
    if (apic_init(a, &m->mem, &m->clock, irq_line(cpu_intr_handler, &m->cpu, 0)) < 0 ||
        ioapic_init(&m->ioapic, &m->mem, ioapic_deliver_handler, a) < 0 ||
        hpet_init(&m->hpet, &m->mem, &m->clock, machine_isa_irq(m, 0), machine_isa_irq(m, 8),
                  irq_line(ioapic_set_irq, &m->ioapic, 0)) < 0) {
        fprintf(stderr, "xlat: cannot map the APIC, I/O APIC and HPET\n");
        return -1;
    }
    a->nmi = irq_line(cpu_nmi_handler, &m->cpu, 0);
    a->extint_ack = pic_intack;
    a->extint_opaque = &m->pic;
    a->eoi = ioapic_eoi;
    a->eoi_opaque = &m->ioapic;
    a->read_tsc = apic_tsc_handler;
    a->tsc_opaque = &m->cpu;
    a->remapped = apic_remapped_handler;
    a->remapped_opaque = m;
    a->log = (m->opt.log_mask & LOG_UNIMP) ? m->tcg.log : NULL;
    a->kick = m->hpet.kick = cpu_kick_handler;
    a->kick_opaque = m->hpet.kick_opaque = &m->cpu.common;
    return 0;
}

/* COM1 and COM3 share IRQ 4, COM2 and COM4 IRQ 3: each UART drives the line only while its
   OUT2 lets it, so the line is their OR */
static void serial_irq_handler(void *opaque, int n, int level)
{
    Machine *m = opaque;
    uint8_t bit = (uint8_t)(1u << n), pair = (n & 1) ? 0x0a : 0x05;
    m->serial_irq_levels = level ? m->serial_irq_levels | bit : m->serial_irq_levels & ~bit;
    irq_set_isa(m, (n & 1) ? 3 : 4, (m->serial_irq_levels & pair) != 0);
}

/* the CPU's INTR pin, as an IRQ line for the interrupt controller's output */
static void cpu_intr_handler(void *opaque, int n, int level)
{
    (void)n;
    x86_cpu_set_intr(opaque, level != 0);
}

/* ---- the chipset: PCI, PAM, ACPI power management, fw_cfg ---------------------------------- */

static void pci_mem_changed(void *opaque)
{
    tlb_flush(opaque); /* a BAR moved: no TLB entry may keep the old decoding */
}

static void poweroff_handler(void *opaque, int n, int level)
{
    (void)n;
    if (level) {
        machine_request_exit(opaque, 0); /* S5: the guest turned the machine off */
    }
}

/* PAM mode "write-only DRAM": reads still reach what lies below (the BIOS ROM alias or RAM),
   writes go to DRAM */
static uint64_t pam_wo_read(void *opaque, uint64_t off, unsigned size)
{
    PAMSegment *seg = opaque;
    Machine *m = seg->m;
    uint64_t a = seg->base + off;
    uint64_t low = m->bios_size < BIOS_LOW_MAX ? m->bios_size : BIOS_LOW_MAX;
    if (m->bios && a >= BIOS_LOW_END - low) {
        return mem_ld_le(m->bios + m->bios_size - (BIOS_LOW_END - a), size);
    }
    return mem_ld_le(m->ram + a, size);
}

static void pam_wo_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PAMSegment *seg = opaque;
    mem_st_le(seg->m->ram + seg->base + off, val, size);
}

/* i440FX PAM0-6 (82441FX datasheet 3.2.13): PAM0 bits 5-4 for 0xF0000-0xFFFFF; PAM1-6 a nibble
   per 16 KiB from 0xC0000. Attribute 0 leaves the segment to what lies below it (the BIOS
   alias, or RAM where xlat has no option ROM yet); 1 read-only DRAM; 2 write-only DRAM; 3 DRAM. */
static void pam_changed(void *opaque, const uint8_t *pam)
{
    Machine *m = opaque;
    bool changed = false;
    for (int i = 0; i < MACHINE_PAM_SEGMENTS; i++) {
        PAMSegment *seg = &m->pam[i];
        if (seg->region < 0) {
            continue;
        }
        uint8_t attr = i == 0 ? (pam[0] >> 4) & 3 : (pam[(i + 1) / 2] >> (i & 1 ? 0 : 4)) & 3;
        if (attr == seg->attr) {
            continue;
        }
        seg->attr = attr;
        changed = true;
        MemRegion *r = &m->mem.regions[seg->region];
        r->host = m->ram + seg->base;
        r->read = pam_wo_read;
        r->write = pam_wo_write;
        r->opaque = seg;
        r->kind = attr == 3 ? MR_RAM : attr == 1 ? MR_ROM : MR_MMIO;
        as_move_region(&m->mem, seg->region, seg->base, attr ? seg->size : 0);
        /* the bytes behind these addresses changed: so did any code translated from them */
        for (uint64_t p = seg->base; p < seg->base + seg->size; p += TLB_PAGE_SIZE) {
            if (tb_page_has_code(&m->tcg, p)) {
                tb_invalidate_phys_page(&m->tcg, p);
            }
        }
    }
    if (changed) {
        tlb_flush(m);
    }
}

static int pam_init(Machine *m)
{
    for (int i = 0; i < MACHINE_PAM_SEGMENTS; i++) {
        PAMSegment *seg = &m->pam[i];
        seg->m = m;
        seg->base = i == 0 ? 0xf0000 : 0xc0000 + 0x4000 * (uint32_t)(i - 1);
        seg->size = i == 0 ? 0x10000 : 0x4000;
        seg->region = -1;
        if (m->ram_size < BIOS_LOW_END) {
            continue; /* no DRAM behind the segments: PAM changes nothing */
        }
        /* above the BIOS alias (priority 1) when enabled; empty until then */
        seg->region = as_add_mmio(&m->mem, "pam", seg->base, seg->size, pam_wo_read,
                                  pam_wo_write, seg, 2);
        if (seg->region < 0 || as_move_region(&m->mem, seg->region, seg->base, 0) < 0) {
            return -1;
        }
    }
    return 0;
}

/* fw_cfg DMA: guest RAM through the CPU's physical path (translated code it overwrites is
   invalidated) */
static void fw_cfg_dma_rw(void *opaque, uint64_t addr, uint8_t *buf, uint32_t len, bool write)
{
    Machine *m = opaque;
    for (uint32_t i = 0; i < len; i++) {
        if (write) {
            softmmu_write_phys(m, addr + i, buf[i], 1);
        } else {
            buf[i] = (uint8_t)softmmu_read_phys(m, addr + i, 1);
        }
    }
}

/* The items SeaBIOS reads (QEMU docs/specs/fw_cfg.rst) */
static int fw_cfg_setup(Machine *m)
{
    FWCfgState *f = &m->fw_cfg;
    static const uint8_t uuid[16];
    /* etc/e820: RAM from 0 (SeaBIOS carves out the low holes itself); entries of le64 address,
       le64 length, le32 type (1: RAM) */
    uint8_t e820[20] = {0};
    mem_st_le(e820 + 8, m->ram_size, 8);
    mem_st_le(e820 + 16, 1, 4);
    if (fw_cfg_init(f, &m->io, fw_cfg_dma_rw, m) < 0 ||
        fw_cfg_add_bytes(f, FW_CFG_UUID, uuid, sizeof(uuid)) < 0 ||
        fw_cfg_add_i64(f, FW_CFG_RAM_SIZE, m->ram_size) < 0 ||
        fw_cfg_add_i16(f, FW_CFG_NOGRAPHIC, 0) < 0 ||
        fw_cfg_add_i16(f, FW_CFG_NB_CPUS, 1) < 0 || fw_cfg_add_i16(f, FW_CFG_MAX_CPUS, 1) < 0 ||
        fw_cfg_add_i16(f, FW_CFG_BOOT_MENU, 0) < 0 ||
        fw_cfg_add_file(f, "etc/e820", e820, sizeof(e820)) < 0 ||
        fw_cfg_add_file(f, "bootorder", "", 0) < 0) {
        return -1;
    }
    /* -kernel with -bios: the Linux kernel for the firmware too (QEMU's kernel items) */
    if (m->bios && m->linux_boot.loaded && linux_boot_fw_cfg(m, f) < 0) {
        return -1;
    }
    return 0;
}

/* Booting a kernel without firmware (-kernel, no -bios): do what SeaBIOS would for ACPI, the
   PM I/O block at its usual base with the SCI enabled (the FADT says there is no SMI command,
   so the machine is always in ACPI mode), and tables in the BIOS area the Multiboot memory map
   reserves (0xF0000-0xFFFFF); the MADT lists the local APIC and the I/O APIC (ID 0), and an
   HPET table describes the HPET at 0xFED00000. */
#define FIRMWARELESS_PM_BASE     0xb000
#define FIRMWARELESS_ACPI_TABLES 0xf0000
static void firmwareless_acpi(Machine *m)
{
    if (m->bios || m->ram_size < BIOS_LOW_END) {
        return;
    }
    pci_config_write(&m->piix.pm, PIIX4_PMBA, FIRMWARELESS_PM_BASE, 4);
    pci_config_write(&m->piix.pm, PIIX4_PMREGMISC, 1, 1);
    io_write(&m->io, FIRMWARELESS_PM_BASE + ACPI_PM1_CNT, ACPI_SCI_EN, 2);
    ACPITablesConfig c = {.pm_base = FIRMWARELESS_PM_BASE, .sci_irq = 9,
                          .lapic_addr = APIC_DEFAULT_BASE, .ioapic = true,
                          .ioapic_addr = IOAPIC_BASE, .hpet = true, .hpet_addr = HPET_BASE,
                          .hpet_id = (uint32_t)hpet_mmio_read(&m->hpet, 0, 4)};
    acpi_build_tables(m->ram + FIRMWARELESS_ACPI_TABLES, FIRMWARELESS_ACPI_TABLES,
                      (uint32_t)(BIOS_LOW_END - FIRMWARELESS_ACPI_TABLES), &c);
}

/* ... and give the optional PCI functions their BARs and turn decoding on, as SeaBIOS does
   (I/O from 0xC000, memory from 0xFE000000: where SeaBIOS starts on a 440FX board). */
#define FIRMWARELESS_PCI_IO  0xc000
#define FIRMWARELESS_PCI_MEM 0xfe000000u
static void firmwareless_pci(Machine *m)
{
    if (m->bios || !m->opt.pci_testdev) {
        return;
    }
    PCIDevice *d = &m->pcitestdev.pci;
    pci_config_write(d, PCI_BAR0, FIRMWARELESS_PCI_MEM, 4);
    pci_config_write(d, PCI_BAR0 + 4, FIRMWARELESS_PCI_IO | 1, 4);
    pci_config_write(d, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
}

static int chipset_init(Machine *m)
{
    IRQLine isa_irq[16];
    for (int i = 0; i < 16; i++) {
        isa_irq[i] = machine_isa_irq(m, i);
    }
    if (pci_bus_init(&m->pci, &m->io, &m->mem) < 0 || piix_init(&m->piix, &m->pci, isa_irq) < 0) {
        return -1;
    }
    m->pci.mem_changed = pci_mem_changed;
    m->pci.mem_changed_opaque = m;
    /* the SCI on ISA IRQ 9, as the PIIX4 routes it on the PC */
    acpi_init(&m->acpi, &m->io, &m->clock, machine_isa_irq(m, 9), irq_line(reset_handler, m, 0),
              irq_line(poweroff_handler, m, 0));
    m->piix.pm_io_changed = acpi_pm_io_changed;
    m->piix.pm_opaque = &m->acpi;
    m->pci.cf8_other_read = acpi_cf9_read;
    m->pci.cf8_other_write = acpi_cf9_write;
    m->pci.cf8_other_opaque = &m->acpi;
    if (pam_init(m) < 0) {
        return -1;
    }
    m->piix.pam_changed = pam_changed;
    m->piix.pam_opaque = m;
    return fw_cfg_setup(m);
}

/* The x87's error line on the PC: FERR# drives IRQ 13; a write to port 0xF0 (the chipset's
   IGNNE# latch) drops it again (used with CR0.NE = 0). */
static uint64_t ferr_port_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque, (void)offset, (void)size;
    return ~0ull;
}

static void ferr_port_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    (void)offset, (void)val, (void)size;
    x87_clear_ferr(&((Machine *)opaque)->cpu);
}

/* -record / -replay: open the input log. The RTC's start time is in its header: recorded from
   this run, or taken from the log (which wins over -rtc base). */
static int replay_open(Machine *m)
{
    ReplayHeader h = {.icount_shift = m->opt.icount_shift, .rtc_start = m->rtc_start,
                      .ram_size = m->ram_size};
    if (m->opt.record && m->opt.replay) {
        fprintf(stderr, "xlat: -record and -replay cannot be used together\n");
        return -1;
    }
    if (m->opt.record) {
        return replay_record_open(&m->replay, m->opt.record, &h);
    }
    if (!m->opt.replay) {
        return 0;
    }
    if (replay_play_open(&m->replay, m->opt.replay, &h) < 0) {
        return -1;
    }
    if (h.icount_shift != m->opt.icount_shift || h.ram_size != m->ram_size) {
        fprintf(stderr,
                "xlat: -replay %s: the log was recorded with -icount shift=%u and %" PRIu64
                " bytes of RAM; replay it with the same options\n",
                m->opt.replay, h.icount_shift, h.ram_size);
        return -1;
    }
    m->rtc_start = h.rtc_start;
    return 0;
}

/* The PC's devices and their wiring (a port already taken is a wiring bug). */
static int board_init(Machine *m)
{
    if (apic_board_init(m) < 0) {
        return -1;
    }
    if (pic_init(&m->pic, &m->io, irq_line(pic_intr_handler, m, 0)) < 0) {
        fprintf(stderr, "xlat: cannot register the board's I/O ports\n");
        return -1;
    }
    /* after the CPU's reset, which clears its INTA hook: the local APIC answers INTA (and
       asks the 8259 for ExtINT vectors) */
    x86_cpu_set_intr_ack(&m->cpu, apic_intack, &m->apic);
    x86_cpu_set_ferr(&m->cpu, machine_isa_irq(m, 13));
    if (io_register(&m->io, "ferr", 0xf0, 1, ferr_port_read, ferr_port_write, m) < 0) {
        fprintf(stderr, "xlat: cannot register the board's I/O ports\n");
        return -1;
    }
    /* the 8254: IRQ 0 (-machine pit=off leaves it out, as QEMU does) */
    if (!m->opt.no_pit && pit_init(&m->pit, &m->io, &m->clock,
                                        irq_line(legacy_timer_irq_handler, m, 0)) < 0) {
        fprintf(stderr, "xlat: cannot register the 8254's I/O ports\n");
        return -1;
    }
    /* The RTC's start time is an input: -rtc base, or the host's time read here, once, so a
       replay can give the same value (DESIGN.md, "Time and determinism"). */
    m->rtc_start = m->opt.rtc_base;
    if (!m->opt.rtc_base_set) {
        time_t now = time(NULL);
        m->rtc_start = (int64_t)now;
        if (m->opt.rtc_localtime) {
            struct tm lt;
            localtime_r(&now, &lt);
            m->rtc_start += lt.tm_gmtoff;
        }
    }
    if (replay_open(m) < 0) {
        return -1;
    }
    if (rtc_init(&m->rtc, &m->io, &m->clock, irq_line(legacy_timer_irq_handler, m, 8),
                 m->rtc_start) < 0) {
        fprintf(stderr, "xlat: cannot register the RTC's I/O ports\n");
        return -1;
    }
    rtc_set_pc_cmos(&m->rtc, m->ram_size, m->opt.boot_order, 1);
    /* the UARTs: COM1 on the -serial backend, the others on nothing */
    static const uint16_t com_base[MACHINE_SERIALS] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
    for (int i = 0; i < MACHINE_SERIALS; i++) {
        if (chr_open(&m->serial_chr[i], i == 0 ? m->opt.serial : NULL) < 0) {
            return -1;
        }
        if (serial_init(&m->serial[i], &m->io, com_base[i], &m->clock,
                        irq_line(serial_irq_handler, m, i), &m->serial_chr[i]) < 0) {
            fprintf(stderr, "xlat: cannot register the UARTs' I/O ports\n");
            return -1;
        }
    }
    /* the keyboard controller: its output port leaves reset with A20 on, so the gate starts
       open; port 0x92 ORs its own request in */
    m->a20_requests = 0;
    if (i8042_init(&m->kbc, &m->io, machine_isa_irq(m, 1), machine_isa_irq(m, 12),
                   irq_line(kbc_a20_handler, m, 0), irq_line(reset_handler, m, 0)) < 0) {
        fprintf(stderr, "xlat: cannot register the keyboard controller's I/O ports\n");
        return -1;
    }
    /* port 0x92 and the POST port */
    if (port92_init(&m->port92, &m->io, irq_line(port92_a20_handler, m, 0),
                    irq_line(reset_handler, m, 0)) < 0 ||
        port80_init(&m->port80, &m->io, (m->opt.log_mask & LOG_POST) ? m->tcg.log : NULL) < 0) {
        fprintf(stderr, "xlat: cannot register the board's I/O ports\n");
        return -1;
    }
    if (chipset_init(m) < 0) {
        fprintf(stderr, "xlat: cannot set up the PCI chipset and fw_cfg\n");
        return -1;
    }
    return 0;
}

void machine_set_a20(Machine *m, unsigned source, bool on)
{
    unsigned req = on ? m->a20_requests | source : m->a20_requests & ~source;
    uint64_t mask = req ? ~(uint64_t)0 : ~((uint64_t)1 << 20);
    m->a20_requests = (uint8_t)req;
    if (mask != m->a20_mask) {
        m->a20_mask = mask;
        /* TLB entries map linear to host pages with the old gate (translated blocks are found
           by physical address, which the gate is part of) */
        tlb_flush(m);
    }
}

void machine_request_reset(Machine *m)
{
    m->reset_requested = true;
    cpu_exit(&m->cpu.common);
}

/* The system reset: the processor and the devices a reset line reaches (the RTC keeps time and
   its RAM, as its battery does; RAM keeps its contents). */
static void machine_reset(Machine *m)
{
    m->reset_requested = false;
    x86_cpu_reset(&m->cpu);
    apic_reset(&m->apic); /* RESET reaches the local APIC (SDM Vol. 3A 10.4.7.1) */
    ioapic_reset(&m->ioapic);
    hpet_reset(&m->hpet);
    pic_reset(&m->pic);
    for (int i = 0; i < MACHINE_SERIALS; i++) {
        serial_reset(&m->serial[i]);
    }
    if (!m->opt.no_pit) {
        pit_reset(&m->pit);
    }
    port92_reset(&m->port92);
    i8042_reset(&m->kbc); /* its output port turns A20 on again */
    pci_bus_reset(&m->pci);
    piix_reset(&m->piix); /* PAM back to the ROM, PIRQs and the PM block off */
    acpi_reset(&m->acpi);
    fw_cfg_reset(&m->fw_cfg);
    if (m->opt.pci_testdev) {
        pcitestdev_reset(&m->pcitestdev);
    }
    if (m->multiboot.loaded) {
        multiboot_enter(m); /* as QEMU re-runs its Multiboot option ROM */
        firmwareless_acpi(m);
        firmwareless_pci(m);
    } else if (m->linux_boot.loaded) {
        linux_boot_enter(m); /* the kernel again, as QEMU re-runs its linuxboot option ROM */
        firmwareless_acpi(m);
        firmwareless_pci(m);
    }
    /* the CPU's reset forgot its INTA hook; its INTR pin follows the local APIC again */
    x86_cpu_set_intr_ack(&m->cpu, apic_intack, &m->apic);
    x86_cpu_set_ferr(&m->cpu, machine_isa_irq(m, 13));
    x86_cpu_set_intr(&m->cpu, m->apic.intr_out);
    tlb_flush(m);
}

Machine *machine_create(const MachineOptions *opt)
{
    Machine *m = calloc(1, sizeof(*m));
    if (!m) {
        fprintf(stderr, "xlat: out of memory\n");
        return NULL;
    }
    m->opt = *opt;
    m->ram = MAP_FAILED;

    /* RAM: whole pages, so every RAM page can be mapped by the TLB */
    if (opt->ram_size == 0 || opt->ram_size > RAM_MAX) {
        fprintf(stderr,
                "xlat: RAM size %" PRIu64 " bytes is out of range (1 byte to %" PRIu64 " MiB)\n",
                opt->ram_size, RAM_MAX / MiB);
        goto fail;
    }
    m->a20_mask = ~(uint64_t)0;
    m->ram_size = (opt->ram_size + TLB_PAGE_SIZE - 1) & TLB_PAGE_MASK;
    /* anonymous memory is zeroed and committed lazily: a large -m costs what the guest uses */
    m->ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->ram == MAP_FAILED) {
        fprintf(stderr, "xlat: cannot allocate %" PRIu64 " MiB of guest RAM: %s\n",
                m->ram_size / MiB, strerror(errno));
        goto fail;
    }
#ifdef MADV_HUGEPAGE
    /* transparent huge pages: one host fault per 2 MiB the guest touches, and fewer host TLB
       misses behind the guest's own (a hint; harmless where the host refuses it) */
    madvise(m->ram, m->ram_size, MADV_HUGEPAGE);
#endif

    if (opt->bios_image) {
        /* firmware handed over in memory: tests that build their own machine */
        m->bios_size = opt->bios_image_size;
        m->bios = malloc(m->bios_size);
        if (!m->bios || m->bios_size == 0 || m->bios_size % (64 * KiB) != 0 ||
            m->bios_size > BIOS_MAX) {
            fprintf(stderr, "xlat: a firmware image must be a multiple of 64 KiB, at most 2 MiB\n");
            goto fail;
        }
        memcpy(m->bios, opt->bios_image, m->bios_size);
    } else if (!opt->bios && !opt->kernel) {
        fprintf(stderr, "xlat: no firmware: give -bios FILE (or -kernel FILE to boot a "
                        "Multiboot kernel directly)\n");
        goto fail;
    } else if (opt->bios && load_bios(m, opt->bios) < 0) {
        goto fail;
    }

    /* the last min(size, 128 KiB) of the image, ending at 0xFFFFF: the same bytes, aliased */
    uint64_t low = m->bios_size < BIOS_LOW_MAX ? m->bios_size : BIOS_LOW_MAX;
    uint8_t *low_host = m->bios ? m->bios + m->bios_size - low : NULL;
    if (as_add_ram(&m->mem, "ram", 0, m->ram_size, m->ram, 0) < 0 ||
        (m->bios && (as_add_rom(&m->mem, "bios", 4 * GiB - m->bios_size, m->bios_size, m->bios,
                                1) < 0 ||
                     as_add_rom(&m->mem, "bios-low", BIOS_LOW_END - low, low, low_host, 1) < 0))) {
        fprintf(stderr, "xlat: cannot build the memory map\n");
        goto fail;
    }

    const Backend *be = pick_backend(opt->accel);
    if (!be) {
        goto fail;
    }
    size_t cache = opt->code_cache_size ? opt->code_cache_size : CODE_CACHE_DEFAULT;
    if (tcg_init(&m->tcg, be, &x86_frontend, cache) < 0) {
        fprintf(stderr,
                "xlat: cannot set up the %s translator (code cache of %" PRIu64 " MiB): %s\n",
                be->name, (uint64_t)cache / MiB, strerror(errno));
        tcg_free(&m->tcg);
        goto fail;
    }
    m->tcg.log_mask = opt->log_mask;
    if (opt->log_file) {
        FILE *log = fopen(opt->log_file, "w");
        if (!log) {
            fprintf(stderr, "xlat: cannot open log file '%s': %s\n", opt->log_file,
                    strerror(errno));
            goto fail;
        }
        m->tcg.log = log;
    }
    m->io.log_unassigned = (opt->log_mask & LOG_UNIMP) != 0;
    m->io.log = m->tcg.log; /* -D, or stderr */

    if (opt->icount_shift > VCLOCK_MAX_SHIFT) {
        fprintf(stderr, "xlat: -icount shift=%u is out of range (0 to %d)\n", opt->icount_shift,
                VCLOCK_MAX_SHIFT);
        goto fail;
    }
    vclock_init(&m->clock, &m->icount, &m->cpu.common, opt->icount_shift);
    m->clock.pace = opt->pace;

    x86_cpu_init(&m->cpu, m);
    x86_cpu_reset(&m->cpu);
    /* -kernel: the CPU starts at the kernel's entry, not at the reset vector */
    if (opt->kernel && multiboot_load(m) < 0) {
        goto fail;
    }
    tlb_flush(m);
    m->tlb_flushes = 0; /* the power-on flush is not a guest event */

    if (board_init(m) < 0) {
        goto fail;
    }
    if (m->multiboot.loaded || m->linux_boot.loaded) {
        firmwareless_acpi(m);
    }

    if (debugcon_open(&m->debugcon, opt->debugcon) < 0) {
        goto fail;
    }
    uint16_t debugcon_port = opt->debugcon_iobase ? opt->debugcon_iobase : DEBUGCON_PORT;
    if (m->io.map[debugcon_port]) {
        fprintf(stderr, "xlat: isa-debugcon port 0x%x is already taken by %s\n", debugcon_port,
                m->io.handlers[m->io.map[debugcon_port] - 1].name);
        goto fail;
    }
    debugcon_init(m, debugcon_port);
    if (opt->debug_exit) {
        uint32_t base = opt->debug_exit_iobase, size = opt->debug_exit_iosize;
        if (size == 0 || base + size > 0x10000) {
            fprintf(stderr,
                    "xlat: isa-debug-exit ports 0x%x+0x%x do not fit the 64 KiB I/O "
                    "space\n",
                    base, size);
            goto fail;
        }
        for (uint32_t p = base; p < base + size; p++) {
            if (m->io.map[p]) {
                fprintf(stderr, "xlat: isa-debug-exit port 0x%x is already taken by %s\n", p,
                        m->io.handlers[m->io.map[p] - 1].name);
                goto fail;
            }
        }
        debugexit_init(m, (uint16_t)base, (uint16_t)size);
    }
    if (opt->pc_testdev && pctestdev_init(m, &m->testdev) < 0) {
        goto fail;
    }
    if (opt->pci_testdev) {
        if (pcitestdev_init(m, &m->pcitestdev) < 0) {
            goto fail;
        }
        firmwareless_pci(m);
    }
    return m;

fail:
    machine_destroy(m);
    return NULL;
}

void machine_destroy(Machine *m)
{
    if (!m) {
        return;
    }
    FILE *log = m->tcg.log;
    if (m->tcg.code_buf) {
        tcg_free(&m->tcg);
    }
    if (log && log != stderr && log != stdout) {
        fclose(log);
    }
    debugcon_close(&m->debugcon);
    for (int i = 0; i < MACHINE_SERIALS; i++) {
        chr_close(&m->serial_chr[i]);
    }
    replay_close(&m->replay);
    if (m->ram && m->ram != MAP_FAILED) {
        munmap(m->ram, m->ram_size);
    }
    free(m->bios);
    linux_boot_free(m);
    pctestdev_free(&m->testdev);
    fw_cfg_free(&m->fw_cfg);
    free(m);
}

void machine_request_exit(Machine *m, int status)
{
    /* the first request wins: it is the one the guest made first */
    if (!m->exit_requested) {
        m->exit_requested = true;
        m->exit_status = status;
    }
    cpu_exit(&m->cpu.common);
}

/* Host bytes for UART `port`, as many as it has room for, now (a slice boundary); recorded as
   one event. Returns how many it took. */
static size_t deliver_serial(Machine *m, int port, const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && serial_can_receive(&m->serial[port])) {
        serial_receive(&m->serial[port], buf[n++]);
    }
    if (n && m->replay.mode == REPLAY_RECORD) {
        static_assert(sizeof(m->serial_chr[0].in) <= REPLAY_MAX_BYTES, "an event holds a buffer");
        ReplayEvent *e = &m->replay.next;
        e->kind = REPLAY_EV_SERIAL;
        e->port = (uint8_t)port;
        e->len = (uint16_t)n;
        e->icount = m->icount;
        e->ns = vclock_peek_ns(&m->clock);
        memcpy(e->data, buf, n);
        replay_write(&m->replay, e);
    }
    return n;
}

/* -replay: deliver the log's events that are due at this boundary (same instruction count and
   virtual time). `force` delivers the next one even if it is not: the CPU halted for good, so
   the run has left the recording, and input is the only way on. */
static void replay_deliver_due(Machine *m, bool force)
{
    const ReplayEvent *e;
    while ((e = replay_peek(&m->replay))) {
        int64_t now = vclock_peek_ns(&m->clock);
        bool early = e->icount > m->icount || (e->icount == m->icount && e->ns > now);
        if (early && !force) {
            return;
        }
        force = false;
        if (e->kind == REPLAY_EV_QUIT) {
            machine_request_exit(m, 0); /* the user ended the recorded run here (Ctrl-A x) */
            replay_advance(&m->replay);
            return;
        }
        size_t n = e->port < MACHINE_SERIALS ? deliver_serial(m, e->port, e->data, e->len) : 0;
        if ((e->icount != m->icount || e->ns != now || n != e->len) && !m->replay.warned) {
            fprintf(stderr,
                    "xlat: -replay %s: the run has left the recording (input recorded at "
                    "instruction %" PRIu64 ", %" PRId64 " ns, delivered at %" PRIu64
                    ", %" PRId64 " ns, %zu of %u bytes taken)\n",
                    m->replay.path, e->icount, e->ns, m->icount, now, n, e->len);
            m->replay.warned = true;
        }
        replay_advance(&m->replay);
    }
}

void machine_poll_host_input(Machine *m, int64_t wait_ns)
{
    bool waited = false;
    for (int i = 0; i < MACHINE_SERIALS; i++) {
        chr_flush(&m->serial_chr[i]); /* what the guest sent during the slice */
    }
    for (int i = 0; i < MACHINE_SERIALS; i++) {
        CharBackend *c = &m->serial_chr[i];
        if (!chr_has_input_source(c) && !c->in_len) {
            continue;
        }
        /* one wait for all (in practice only COM1 has a host end that gives input) */
        if (chr_has_input_source(c)) {
            waited |= chr_poll(c, waited ? 0 : wait_ns);
        }
        if (m->replay.mode == REPLAY_PLAY) {
            chr_consume(c, c->in_len); /* replaying: live input is ignored */
        } else {
            chr_consume(c, deliver_serial(m, i, c->in, c->in_len));
        }
        if (c->quit && !m->exit_requested && m->replay.mode == REPLAY_RECORD) {
            /* the end of the run is an input too: a replay ends at the same point */
            ReplayEvent *e = &m->replay.next;
            *e = (ReplayEvent){.kind = REPLAY_EV_QUIT, .port = (uint8_t)i, .icount = m->icount,
                               .ns = vclock_peek_ns(&m->clock)};
            replay_write(&m->replay, e);
        }
        if (c->quit) {
            machine_request_exit(m, 0); /* Ctrl-A x */
        }
    }
    if (!waited && wait_ns > 0) {
        struct timespec ts = {(time_t)(wait_ns / NANOSECONDS_PER_SECOND),
                              (long)(wait_ns % NANOSECONDS_PER_SECOND)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        }
    }
    if (m->replay.mode == REPLAY_PLAY) {
        replay_deliver_due(m, false);
    }
}

/* The CPU halted and no interrupt can ever wake it: say why and where. */
static int halted_forever(Machine *m, const char *why)
{
    CPUX86State *cpu = &m->cpu;
    fprintf(stderr, "xlat: CPU halted %s at CS:EIP %04x:%08" PRIx64 "; nothing can wake it\n", why,
            cpu->seg[R_CS].selector & 0xffff, cpu->eip);
    return XLAT_EXIT_HALTED;
}

/*
 * The main loop (DESIGN.md, "Time and determinism"). Each turn: give the host a chance (pacing,
 * later input), fire the timers that are due, then run the CPU for a slice that ends exactly
 * at the next timer deadline (or after MACHINE_SLICE instructions). A halted CPU with
 * interrupts enabled costs nothing: virtual time jumps to the next deadline. Everything that
 * decides what the guest sees depends only on instruction counts, never on the host's time.
 */
int machine_run(Machine *m)
{
    CPUCommon *env = &m->cpu.common;
    VClock *clk = &m->clock;
    for (;;) {
        if (m->exit_requested) {
            return m->exit_status;
        }
        if (m->reset_requested) {
            if (m->opt.no_reboot) {
                return 0; /* -no-reboot: a reset ends the machine, as QEMU does */
            }
            machine_reset(m);
        }
        /* pacing first: what is due now happens no earlier in wall time than in virtual time */
        machine_poll_host_input(m, vclock_pace_wait_ns(clk));
        vclock_run_timers(clk);
        if (m->exit_requested) {
            return m->exit_status; /* a device ended the machine from a timer */
        }

        /* host input waiting for the guest to take it: come back for it sooner */
        int64_t slice = vclock_slice_insns(
            clk, m->serial_chr[0].in_len ? MACHINE_SLICE_INPUT : MACHINE_SLICE);
        /* replaying: the slice ends where the log's next event was delivered */
        const ReplayEvent *ev = replay_peek(&m->replay);
        if (ev && ev->icount > m->icount && ev->icount - m->icount < (uint64_t)slice) {
            slice = (int64_t)(ev->icount - m->icount);
        }
        /* Out of translated code already: a request to leave it (cpu_exit) is served, and its
           forced-negative budget must not leak into the new slice. */
        env->exit_request = 0;
        env->budget = slice;
        clk->slice = slice;
        int r = tcg_cpu_exec(&m->tcg, env); /* returns with any exit request taken */
        /* what is missing from the slice is exactly what retired */
        m->icount += (uint64_t)(slice - env->budget);
        clk->slice = 0;
        vclock_ns(clk); /* the clock's state at a slice boundary does not depend on who read it */
        if (m->exit_requested) {
            return m->exit_status;
        }
        if (m->reset_requested) {
            continue; /* a reset wakes a halted CPU too */
        }
        if (r == TCG_EXIT_STOP && m->cpu.halted) {
            /* HLT with IF=0 can only end with an NMI, and nothing raises one yet */
            if (!(m->cpu.eflags & EFL_IF)) {
                return halted_forever(m, "with interrupts disabled");
            }
            int64_t deadline = vclock_next_deadline(clk);
            if (deadline < 0 && m->replay.mode == REPLAY_PLAY) {
                if (!replay_peek(&m->replay)) {
                    return halted_forever(m, "and no timer is armed (the replayed input has "
                                             "ended)");
                }
                /* the next event: due now, or (off the recording) the only way on */
                replay_deliver_due(m, true);
                continue;
            }
            if (deadline < 0) {
                CharBackend *c = &m->serial_chr[0];
                if (c->in_len && serial_can_receive(&m->serial[0])) {
                    machine_poll_host_input(m, 0); /* input is waiting for room: feed it */
                    continue;
                }
                if (chr_has_input_source(c)) {
                    machine_poll_host_input(m, -1); /* only the user can wake it: wait */
                    continue;
                }
                return halted_forever(m, "and no timer is armed");
            }
            /* idle: nothing runs until the next deadline, so go straight there */
            vclock_idle_until(clk, deadline);
        }
        /* budget spent (a deadline reached), or stopped for an interrupt or a request */
    }
}

/* 64-bit FNV-1a constants (Fowler, Noll, Vo) */
#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME  0x100000001b3ull

/* One FNV-1a step over a 64-bit word (eight times fewer steps than bytewise), then a shift-xor
   that carries the high bits down, which the multiply alone never does. Each part is a
   bijection of h, so a single differing word always changes the result. */
static inline uint64_t hash_word(uint64_t h, uint64_t w)
{
    h = (h ^ w) * FNV64_PRIME;
    return h ^ (h >> 32);
}

uint64_t machine_state_hash(Machine *m)
{
    /* RAM is whole pages, so whole words. About 2 GB/s: 0.1 s for the default 128 MiB. */
    uint64_t h = x86_state_hash(&m->cpu, FNV64_OFFSET);
    /* the virtual clock and every device, through their snapshot tables */
    h = vmstate_hash(&vclock_vmstate, &m->clock, h);
    h = vmstate_hash(&pic_vmstate, &m->pic, h);
    h = vmstate_hash(&apic_vmstate, &m->apic, h);
    h = vmstate_hash(&ioapic_vmstate, &m->ioapic, h);
    h = vmstate_hash(&hpet_vmstate, &m->hpet, h);
    h = vmstate_hash(&pit_vmstate, &m->pit, h);
    h = vmstate_hash(&rtc_vmstate, &m->rtc, h);
    h = vmstate_hash(&port92_vmstate, &m->port92, h);
    h = vmstate_hash(&i8042_vmstate, &m->kbc, h);
    h = vmstate_hash(&port80_vmstate, &m->port80, h);
    h = vmstate_hash(&pci_bus_vmstate, &m->pci, h);
    for (int i = 0; i < 256; i++) {
        if (m->pci.devices[i]) {
            h = vmstate_hash(&pci_device_vmstate, m->pci.devices[i], h);
        }
    }
    h = vmstate_hash(&piix_vmstate, &m->piix, h);
    h = vmstate_hash(&acpi_vmstate, &m->acpi, h);
    h = vmstate_hash(&fw_cfg_vmstate, &m->fw_cfg, h);
    if (m->opt.pci_testdev) {
        h = vmstate_hash(&pcitestdev_vmstate, &m->pcitestdev, h);
    }
    for (int i = 0; i < MACHINE_SERIALS; i++) {
        h = vmstate_hash(&serial_vmstate, &m->serial[i], h);
    }
    for (uint64_t i = 0; i < m->ram_size; i += 8) {
        h = hash_word(h, mem_ld_le(m->ram + i, 8));
    }
    return hash_word(h, m->ram_size);
}

void machine_print_stats(Machine *m, FILE *out)
{
    const TCGStats *st = &m->tcg.stats;
    double hit = st->jc_lookups ? 100.0 * (double)st->jc_hits / (double)st->jc_lookups : 0.0;
    fprintf(out, "instructions retired: %" PRIu64 "\n", m->icount);
    fprintf(out, "state hash: %016" PRIx64 "\n", machine_state_hash(m));
    fprintf(out, "virtual time: %" PRId64 " ns\n", vclock_peek_ns(&m->clock));
    fprintf(out, "translated blocks: %" PRIu64 "\n", st->tbs_translated);
    fprintf(out, "guest instructions translated: %" PRIu64 "\n", st->guest_insns_translated);
    fprintf(out, "host code bytes: %" PRIu64 "\n", st->host_code_bytes);
    fprintf(out, "chained jumps: %" PRIu64 "\n", st->chained);
    fprintf(out, "jump cache hit rate: %.1f%%\n", hit);
    fprintf(out, "budget exits: %" PRIu64 "\n", st->exits_budget);
    fprintf(out, "tb flushes: %" PRIu64 "\n", st->tb_flushes);
    fprintf(out, "tbs invalidated: %" PRIu64 "\n", st->tbs_invalidated);
    fprintf(out, "flag computations: %" PRIu64 " defined, %" PRIu64 " eliminated\n", st->flags_defs,
            st->flags_dropped);
    if (m->tcg.count_tlb_hits) {
        fprintf(out, "tlb hits: %" PRIu64 "\n", m->cpu.common.tlb_hits);
    }
    fprintf(out, "tlb fills: %" PRIu64 "\n", m->tlb_fills);
    fprintf(out, "tlb flushes: %" PRIu64 "\n", m->tlb_flushes);
    fprintf(out, "slow loads: %" PRIu64 "\n", m->slow_loads);
    fprintf(out, "slow stores: %" PRIu64 "\n", m->slow_stores);
    fprintf(out, "smc invalidations: %" PRIu64 "\n", m->smc_invalidations);
    fprintf(out, "rep bulk runs: %" PRIu64 " (%" PRIu64 " elements)\n", m->rep_bulk_runs,
            m->rep_bulk_elems);
}
