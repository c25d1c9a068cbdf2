/*
 * hw/apic.h — the processor's local APIC (hw/apic.c): xAPIC registers in memory at the APIC
 * base (0xFEE00000 after reset, moved by IA32_APIC_BASE), x2APIC registers as MSRs 0x800-0x8FF,
 * the APIC timer (one-shot, periodic, TSC-deadline) on the virtual clock, and the interrupt
 * path to the CPU: the local APIC drives the CPU's INTR pin (`intr`) and answers the INTA cycle
 * (apic_intack). The 8259 pair's INT output comes in on LINT0 (apic_set_lint), which is in
 * ExtINT mode after reset (virtual wire), so the PIC reaches the CPU as it did without an APIC.
 * The I/O APIC delivers messages with apic_deliver and hears EOIs of level-triggered vectors
 * through `eoi` (the EOI broadcast).
 */
#ifndef XLAT_HW_APIC_H
#define XLAT_HW_APIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "softmmu/clock.h"
#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

#define APIC_DEFAULT_BASE 0xfee00000u
#define APIC_MMIO_SIZE    0x1000u
/* The timer's input clock before the divider: 1 GHz, one tick per virtual nanosecond (the
   SDM leaves the bus/core crystal frequency to the platform; guests calibrate it). */
#define APIC_TIMER_HZ 1000000000u

/* the local vector table, in register order (SDM Vol. 3A Figure 10-8); no CMCI entry */
enum { APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERF, APIC_LVT_LINT0, APIC_LVT_LINT1,
       APIC_LVT_ERROR, APIC_LVT_NB };

/* delivery modes (SDM Vol. 3A 10.5.1, 10.6.1; the same encoding in the I/O APIC) */
enum { APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
       APIC_DM_INIT = 5, APIC_DM_STARTUP = 6, APIC_DM_EXTINT = 7 };

typedef struct APICState {
    uint64_t base_msr; /* IA32_APIC_BASE: base, EN (bit 11), EXTD (bit 10), BSP (bit 8) */
    uint32_t id;       /* the APIC ID (0: one CPU) */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr;         /* what the guest reads: errors up to its last ESR write */
    uint32_t esr_pending; /* errors since then */
    uint32_t icr_lo, icr_hi;
    uint32_t irr[8], isr[8], tmr[8]; /* 256-bit vectors, bit v = vector v */
    uint32_t lvt[APIC_LVT_NB];
    uint32_t timer_initial; /* initial-count register */
    uint32_t timer_dcr;     /* divide configuration register */
    int64_t timer_start;    /* virtual ns at which the current count was (re)loaded */
    uint64_t tsc_deadline;  /* IA32_TSC_DEADLINE (0: disarmed) */
    uint8_t lint_level[2];  /* levels on LINT0, LINT1 */
    uint8_t extint_req;     /* an ExtINT message from the I/O APIC waits for INTA */
    uint8_t intr_out;       /* the level last driven on INTR */
    uint32_t init_ipis, startup_ipis; /* INIT and SIPI messages accepted (one CPU: logged) */
    Timer timer;

    /* wiring */
    VClock *clock;
    IRQLine intr;                       /* the CPU's INTR pin */
    IRQLine nmi;                        /* the CPU's NMI pin: a pulse per NMI delivered */
    int (*extint_ack)(void *opaque);    /* the 8259's INTA (ExtINT) */
    void *extint_opaque;
    void (*eoi)(void *opaque, int vector); /* EOI broadcast to the I/O APIC */
    void *eoi_opaque;
    uint64_t (*read_tsc)(void *opaque); /* the CPU's TSC (NULL: the virtual clock in ns) */
    void *tsc_opaque;
    AddressSpace *as;    /* where the xAPIC page is mapped ... */
    int region;          /* ... as this region (moved when the base changes) */
    void (*remapped)(void *opaque); /* the mapping moved: the board flushes the TLB */
    void *remapped_opaque;
    FILE *log; /* INIT/SIPI and unimplemented delivery modes (NULL: quiet) */
    /* a timer was armed: the running CPU slice, sized for the old deadlines, must end at the
       next block boundary so the main loop sizes a new one (NULL: no CPU, unit tests) */
    void (*kick)(void *opaque);
    void *kick_opaque;
} APICState;

extern const VMStateDescription apic_vmstate;

/* Reset the APIC and map its page on `as` (priority 2, above RAM). Returns -1 on failure. */
int apic_init(APICState *s, AddressSpace *as, VClock *clock, IRQLine intr);
/* The power-on/RESET state (SDM Vol. 3A 10.4.7.1), plus LINT0 in ExtINT mode (virtual wire). */
void apic_reset(APICState *s);
/* LINT0 (n = 0) and LINT1 (n = 1) inputs; an IRQHandler. */
void apic_set_lint(void *opaque, int n, int level);
/* The CPU's INTA cycle; has the signature x86_cpu_set_intr_ack wants. */
int apic_intack(void *opaque);
/* A message from the I/O APIC (or an IPI): destination, logical or physical mode, delivery
   mode, vector, and whether it is level triggered. */
void apic_deliver(APICState *s, uint32_t dest, bool logical, int mode, int vector, bool level);
/* The MMIO callbacks (offset within the 4 KiB page): for tests and the address space. */
uint64_t apic_mmio_read(void *opaque, uint64_t off, unsigned size);
void apic_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
/* MSRs the APIC owns: IA32_APIC_BASE (0x1B), IA32_TSC_DEADLINE (0x6E0), x2APIC 0x800-0x8FF.
   apic_msr_owns says which; read/write return false for #GP. */
bool apic_msr_owns(uint32_t index);
bool apic_read_msr(APICState *s, uint32_t index, uint64_t *val);
bool apic_write_msr(APICState *s, uint32_t index, uint64_t val);
/* The processor priority (SDM Vol. 3A 10.8.3.1), for tests. */
uint32_t apic_ppr(const APICState *s);

#endif
