/*
 * hw/acpi.h — PIIX4-style ACPI power management I/O (PM1 event and control registers, the
 * 3.579545 MHz PM timer), the reset control register at 0xCF9, and the ACPI tables xlat writes
 * for kernels booted without firmware (hw/acpi.c, hw/acpi-tables.c).
 */
#ifndef XLAT_HW_ACPI_H
#define XLAT_HW_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "softmmu/clock.h"
#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

#define ACPI_PM_TIMER_HZ 3579545 /* ACPI 6.x, 4.8.3.3: the power management timer */

/* offsets in the PM I/O block (82371AB datasheet, PMBA + ...) */
#define ACPI_PM1_STS  0x00
#define ACPI_PM1_EN   0x02
#define ACPI_PM1_CNT  0x04
#define ACPI_PM_TMR   0x08
#define ACPI_GPE0_STS 0x0c
#define ACPI_GPE0_EN  0x0e
#define ACPI_PM_LEN   64

/* PM1 status/enable bits (ACPI 6.x, 4.8.3.1) */
#define ACPI_TMR_STS    0x0001
#define ACPI_GBL_STS    0x0020
#define ACPI_PWRBTN_STS 0x0100
#define ACPI_RTC_STS    0x0400
#define ACPI_WAK_STS    0x8000
/* PM1 control (ACPI 6.x, 4.8.3.2.1) */
#define ACPI_SCI_EN        0x0001
#define ACPI_SLP_TYP_SHIFT 10
#define ACPI_SLP_TYP_MASK  0x1c00
#define ACPI_SLP_EN        0x2000
/* the SLP_TYP value of soft off on the PIIX4 (and in xlat's \_S5 package) */
#define ACPI_SLP_TYP_S5 0

typedef struct ACPIState {
    uint16_t pm1_sts; /* state: without TMR_STS, which is derived from the timer */
    uint16_t pm1_en;
    uint16_t pm1_cnt; /* SLP_EN is write-only and never stored */
    uint16_t gpe0_sts, gpe0_en;
    int64_t tmr_epoch; /* state: PM timer bit-23 periods elapsed when TMR_STS was last cleared */
    uint8_t rcr;       /* state: reset control register (0xCF9) */
    uint16_t io_base;  /* state: where the block is decoded (PMBA) ... */
    bool io_on;        /* ... and whether (PMREGMISC.PMIOSE) */
    int sci_level;     /* state: what the SCI line shows */
    Timer tmr_timer;   /* the next TMR_STS rise while TMR_EN is set */
    int io_handle;     /* derived: io_register handle of the block, or -1 */
    IOSpace *io;
    VClock *clock;
    IRQLine sci;      /* wiring: the SCI (ISA IRQ 9 on the PC) */
    IRQLine reset;    /* wiring: a pulse resets the system */
    IRQLine poweroff; /* wiring: a pulse turns the machine off (S5) */
} ACPIState;

extern const VMStateDescription acpi_vmstate;

void acpi_init(ACPIState *s, IOSpace *io, VClock *clock, IRQLine sci, IRQLine reset,
               IRQLine poweroff);
void acpi_reset(ACPIState *s);
/* The PM function's PMBA/PMIOSE changed (hw/piix.c's pm_io_changed hook). */
void acpi_pm_io_changed(void *opaque, uint16_t base, bool enabled);
/* The reset control register: the PCI bus's non-dword accesses to 0xCF8-0xCFB (offset 1 is
   0xCF9); the other bytes are unassigned. */
uint64_t acpi_cf9_read(void *opaque, uint64_t off, unsigned size);
void acpi_cf9_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
/* The PM timer's 24-bit count now. */
uint32_t acpi_pm_timer(ACPIState *s);

/* ---- tables (hw/acpi-tables.c) ---- */
typedef struct ACPITablesConfig {
    uint16_t pm_base; /* the PM I/O block */
    uint8_t sci_irq;
    uint32_t lapic_addr;  /* the local APIC */
    bool ioapic;          /* an IOAPIC exists ... */
    uint32_t ioapic_addr; /* ... here */
    bool hpet;            /* an HPET exists ... */
    uint32_t hpet_addr;   /* ... here (its registers, in memory space) */
    uint32_t hpet_id;     /* the low half of its capabilities and ID register */
} ACPITablesConfig;
/* Write RSDP (at a 16-byte boundary in [0xE0000, 0x100000)), RSDT, FADT, DSDT (with \_S5),
   MADT and, with an HPET, its HPET table into guest memory at `buf` (guest physical address `addr`, `len` bytes, addr + len
   <= 0x100000 and addr >= 0xE0000). Returns the RSDP's address, or 0 if it does not fit. */
uint32_t acpi_build_tables(uint8_t *buf, uint32_t addr, uint32_t len, const ACPITablesConfig *c);

#endif
