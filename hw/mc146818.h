/*
 * hw/mc146818.h — the Motorola MC146818 real-time clock and its CMOS RAM (hw/mc146818.c), at
 * ports 0x70 (index, and the NMI mask in bit 7) and 0x71 (data), interrupting on IRQ 8.
 *
 * The clock runs on virtual time (softmmu/clock.h) from a start time given once at machine
 * creation: an input (DESIGN.md, "Time and determinism"), never read from the host here.
 */
#ifndef XLAT_HW_MC146818_H
#define XLAT_HW_MC146818_H

#include <stdint.h>

#include "softmmu/clock.h"
#include "softmmu/irq.h"
#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

#define RTC_HZ 32768 /* the time base crystal of the PC's RTC */

/* register indexes (MC146818 datasheet, "Address Map") */
enum {
    RTC_SECONDS = 0x00,
    RTC_SECONDS_ALARM = 0x01,
    RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03,
    RTC_HOURS = 0x04,
    RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06,
    RTC_DATE = 0x07,
    RTC_MONTH = 0x08,
    RTC_YEAR = 0x09,
    RTC_REG_A = 0x0a,
    RTC_REG_B = 0x0b,
    RTC_REG_C = 0x0c,
    RTC_REG_D = 0x0d,
    /* the PC/AT's use of the CMOS RAM (IBM PC AT Technical Reference, "CMOS RAM Address Map") */
    CMOS_DIAG_STATUS = 0x0e,
    CMOS_SHUTDOWN_STATUS = 0x0f,
    CMOS_FLOPPY_TYPES = 0x10,
    CMOS_DISK_TYPES = 0x12,
    CMOS_EQUIPMENT = 0x14,
    CMOS_BASE_MEM_LO = 0x15,
    CMOS_BASE_MEM_HI = 0x16,
    CMOS_EXT_MEM_LO = 0x17,
    CMOS_EXT_MEM_HI = 0x18,
    CMOS_CHECKSUM_HI = 0x2e,
    CMOS_CHECKSUM_LO = 0x2f,
    CMOS_EXT_MEM2_LO = 0x30,
    CMOS_EXT_MEM2_HI = 0x31,
    CMOS_CENTURY = 0x32,
    /* what SeaBIOS and QEMU add (SeaBIOS src/hw/rtc.h, QEMU hw/i386/pc.c conventions) */
    CMOS_MEM_ABOVE_16M_LO = 0x34,
    CMOS_MEM_ABOVE_16M_HI = 0x35,
    CMOS_PS2_CENTURY = 0x37,
    CMOS_BOOT_ORDER_3 = 0x38, /* bits 7-4: third boot device; bit 0: no floppy signature check */
    CMOS_BOOT_ORDER_12 = 0x3d, /* bits 3-0: first boot device, 7-4: second */
    CMOS_MEM_ABOVE_4G = 0x5b, /* three bytes, 64 KiB units */
    CMOS_SMP_COUNT = 0x5f,    /* CPUs - 1 */
};

typedef struct RTCState {
    uint8_t cmos[128];        /* the 14 clock registers as the guest reads them, then RAM */
    uint8_t index;            /* port 0x70 bits 6-0 */
    uint8_t nmi_masked;       /* port 0x70 bit 7: NMI disabled (no NMI source yet) */
    uint8_t irq_level;        /* IRQF, as driven on IRQ 8 */
    uint8_t dse_fallback_done; /* DSE: October's 1:59:59 -> 1:00:00 happened (once a year) */
    int64_t div_start;        /* virtual ns when the divider chain left reset (its phase) */
    int64_t updates_done;     /* update cycles accounted since div_start */
    int64_t pf_tick;          /* the last periodic tick (in 32.768 kHz ticks) folded into PF */
    Timer timer;              /* the next periodic or update interrupt, when enabled */
    VClock *clock;            /* wiring */
    IRQLine irq;
} RTCState;

extern const VMStateDescription rtc_vmstate;

/* Register ports 0x70-0x71. `start` is the time the clock shows at virtual time 0, in seconds
   since 1970-01-01 00:00:00 of its own time zone (-rtc base). Returns -1 if a port is taken. */
int rtc_init(RTCState *s, IOSpace *io, VClock *clock, IRQLine irq8, int64_t start);
/* The power-on register state and the start time (keeps the CMOS RAM, as a battery does). */
void rtc_reset(RTCState *s, int64_t start);

/* The PC/AT CMOS contents a BIOS reads: memory sizes, equipment, boot order (a string of
   QEMU -boot drive letters: a floppy, c disk, d CD-ROM, n network; NULL: "cad"), CPUs, and
   the checksum over 0x10-0x2D. */
void rtc_set_pc_cmos(RTCState *s, uint64_t ram_size, const char *boot_order, int cpus);
void rtc_cmos_checksum(RTCState *s);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (exposed for tests). */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d);
void rtc_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
