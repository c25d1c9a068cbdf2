/*
 * hw/mc146818.c — the Motorola MC146818 real-time clock with its CMOS RAM, as the PC/AT wires
 * it: index at port 0x70 (bit 7 masks NMI), data at 0x71, interrupt on IRQ 8.
 *
 * Follows the MC146818 datasheet: the time, calendar and alarm registers in BCD or binary,
 * 12- or 24-hour mode, leap years every four years, daylight saving (DSE), register A (UIP,
 * divider DV2-0, rate RS3-0), B (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE), C (IRQF, PF, AF,
 * UF; cleared by reading) and D (VRT); the update cycle once a second with UIP set 244 us
 * before it and through its 1984 us; the first update 500 ms after the divider leaves reset;
 * periodic rates from the 32.768 kHz time base; alarm "don't care" values (0xC0-0xFF). The
 * CMOS map a BIOS reads follows the IBM PC AT Technical Reference, with the extensions SeaBIOS
 * reads on QEMU (memory above 16 MiB and 4 GiB, boot order, CPU count).
 *
 * Time is the virtual clock's: the divider's phase is when it left reset (virtual time 0 at
 * power-on), so every update and periodic tick falls on an exact instruction count. Nothing
 * is stepped while nobody looks: update cycles and periodic flags are caught up when a
 * register is read or written, and a timer runs only for an interrupt that is enabled. The
 * start time is an input given at creation (-rtc base, or the host's time taken once by
 * machine_create); this file never reads the host's clock.
 *
 * Owns: RTCState (the 128 bytes, the port 0x70 index and NMI mask, the divider phase, the
 * interrupt timer).
 */
#include <stddef.h>

#include "hw/mc146818.h"

/* register A */
#define REG_A_UIP      0x80
#define REG_A_DV_SHIFT 4
#define REG_A_RS       0x0f
/* register B */
#define REG_B_SET  0x80
#define REG_B_PIE  0x40
#define REG_B_AIE  0x20
#define REG_B_UIE  0x10
#define REG_B_DM   0x04 /* 1: binary */
#define REG_B_24H  0x02
#define REG_B_DSE  0x01
/* register C */
#define REG_C_IRQF 0x80
#define REG_C_PF   0x40
#define REG_C_AF   0x20
#define REG_C_UF   0x10
/* register D */
#define REG_D_VRT  0x80

#define DV_32K         2      /* DV2-0 = 010: 32.768 kHz time base, running */
#define UPDATE_PHASE   16384  /* the first update, 500 ms after the divider leaves reset */
#define TICKS_PER_SEC  RTC_HZ
#define UIP_TICKS      73     /* 244 us before the update cycle plus its 1984 us */

static const VMStateField rtc_fields[] = {
    VMSTATE_FIELD(RTCState, cmos),
    VMSTATE_FIELD(RTCState, index),
    VMSTATE_FIELD(RTCState, nmi_masked),
    VMSTATE_FIELD(RTCState, irq_level),
    VMSTATE_FIELD(RTCState, dse_fallback_done),
    VMSTATE_FIELD(RTCState, div_start),
    VMSTATE_FIELD(RTCState, updates_done),
    VMSTATE_FIELD(RTCState, pf_tick),
    VMSTATE_TIMER(RTCState, timer),
};
const VMStateDescription rtc_vmstate = VMSTATE_DESC("mc146818", 1, RTCState, rtc_fields);

/* ---- calendar --------------------------------------------------------------------------------- */

/* Days from 1970-01-01 (the era-based formula: March-based years put the leap day last). */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void rtc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* The MC146818's calendar: a leap year every fourth year (it knows no centuries). */
static unsigned days_in_month(unsigned month, unsigned year)
{
    static const uint8_t days[13] = {31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && year % 4 == 0) {
        return 29;
    }
    return month <= 12 ? days[month] : 31;
}

/* ---- register formats ------------------------------------------------------------------------- */

static bool binary(const RTCState *s)
{
    return s->cmos[RTC_REG_B] & REG_B_DM;
}

static unsigned from_reg(const RTCState *s, uint8_t v)
{
    return binary(s) ? v : (unsigned)(v >> 4) * 10 + (v & 15);
}

static uint8_t to_reg(const RTCState *s, unsigned v)
{
    return binary(s) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* hours 0-23 from the register (12-hour mode: 1-12 with bit 7 for PM) */
static unsigned hours_from_reg(const RTCState *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return from_reg(s, v);
    }
    return from_reg(s, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

static uint8_t hours_to_reg(const RTCState *s, unsigned h)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return to_reg(s, h);
    }
    return (uint8_t)(to_reg(s, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

/* ---- the update cycle ------------------------------------------------------------------------- */

/* One second later (datasheet, "Update Cycle"), with the daylight saving jumps when DSE is set:
   1:59:59 AM on the last Sunday in April goes to 3:00:00 AM, and on the last Sunday in October
   1:59:59 AM goes back to 1:00:00 AM the first time it is reached. */
static void advance_one_second(RTCState *s)
{
    uint8_t *r = s->cmos;
    unsigned sec = from_reg(s, r[RTC_SECONDS]), min = from_reg(s, r[RTC_MINUTES]);
    unsigned hour = hours_from_reg(s, r[RTC_HOURS]), dow = from_reg(s, r[RTC_DAY_OF_WEEK]);
    unsigned date = from_reg(s, r[RTC_DATE]), month = from_reg(s, r[RTC_MONTH]);
    unsigned year = from_reg(s, r[RTC_YEAR]);
    bool last_sunday = dow == 1 && date + 7 > days_in_month(month, year);

    if ((r[RTC_REG_B] & REG_B_DSE) && last_sunday && hour == 1 && min == 59 && sec == 59 &&
        (month == 4 || (month == 10 && !s->dse_fallback_done))) {
        hour = month == 4 ? 3 : 1;
        min = sec = 0;
        s->dse_fallback_done = month == 10;
    } else if (++sec >= 60) {
        sec = 0;
        if (++min >= 60) {
            min = 0;
            if (++hour >= 24) {
                hour = 0;
                s->dse_fallback_done = 0;
                dow = dow >= 7 ? 1 : dow + 1;
                if (++date > days_in_month(month, year)) {
                    date = 1;
                    if (++month > 12) {
                        month = 1;
                        if (++year > 99) {
                            /* the chip wraps to 00; the PC keeps the century in CMOS RAM */
                            year = 0;
                            unsigned c = from_reg(s, r[CMOS_CENTURY]) + 1;
                            r[CMOS_CENTURY] = r[CMOS_PS2_CENTURY] = to_reg(s, c % 100);
                        }
                    }
                }
            }
        }
    }
    r[RTC_SECONDS] = to_reg(s, sec);
    r[RTC_MINUTES] = to_reg(s, min);
    r[RTC_HOURS] = hours_to_reg(s, hour);
    r[RTC_DAY_OF_WEEK] = to_reg(s, dow);
    r[RTC_DATE] = to_reg(s, date);
    r[RTC_MONTH] = to_reg(s, month);
    r[RTC_YEAR] = to_reg(s, year);
}

/* an alarm byte matches its time register, or is "don't care" (both top bits set) */
static bool alarm_matches(const RTCState *s, int alarm, int reg)
{
    uint8_t a = s->cmos[alarm];
    return (a & 0xc0) == 0xc0 || a == s->cmos[reg];
}

static void update_cycle(RTCState *s)
{
    advance_one_second(s);
    s->cmos[RTC_REG_C] |= REG_C_UF;
    if (alarm_matches(s, RTC_SECONDS_ALARM, RTC_SECONDS) &&
        alarm_matches(s, RTC_MINUTES_ALARM, RTC_MINUTES) &&
        alarm_matches(s, RTC_HOURS_ALARM, RTC_HOURS)) {
        s->cmos[RTC_REG_C] |= REG_C_AF;
    }
}

/* ---- time base ------------------------------------------------------------------------------ */

static bool running(const RTCState *s)
{
    return ((s->cmos[RTC_REG_A] >> REG_A_DV_SHIFT) & 7) == DV_32K;
}

/* the periodic interrupt's period in 32.768 kHz ticks (datasheet, "Periodic Interrupt Rate":
   RS = 1 and 2 repeat the rates of 8 and 9 with this time base), 0 if none */
static int64_t period_ticks(const RTCState *s)
{
    unsigned rs = s->cmos[RTC_REG_A] & REG_A_RS;
    if (rs == 0) {
        return 0;
    }
    return rs <= 2 ? (int64_t)64 << rs : (int64_t)1 << (rs - 1);
}

static int64_t now_tick(RTCState *s)
{
    int64_t ns = vclock_ns(s->clock) - s->div_start;
    return ns > 0 ? clock_ns_to_ticks(ns, RTC_HZ) : 0;
}

/* update cycles that have ended by tick k: at UPDATE_PHASE, then every second */
static int64_t updates_by(int64_t k)
{
    return k < UPDATE_PHASE ? 0 : (k - UPDATE_PHASE) / TICKS_PER_SEC + 1;
}

static int64_t update_tick(int64_t n)
{
    return UPDATE_PHASE + (n - 1) * TICKS_PER_SEC;
}

static void update_irq(RTCState *s)
{
    uint8_t *r = s->cmos;
    /* IRQF = PF.PIE + AF.AIE + UF.UIE (register C); the IRQ pin follows it */
    if (r[RTC_REG_C] & r[RTC_REG_B] & (REG_C_PF | REG_C_AF | REG_C_UF)) {
        r[RTC_REG_C] |= REG_C_IRQF;
    } else {
        r[RTC_REG_C] &= ~REG_C_IRQF;
    }
    int level = (r[RTC_REG_C] & REG_C_IRQF) != 0;
    if (level != s->irq_level) {
        s->irq_level = (uint8_t)level;
        irq_set(&s->irq, level);
    }
}

/* Bring the flags and the time registers up to now. */
static void rtc_sync(RTCState *s)
{
    if (!running(s)) {
        return;
    }
    int64_t k = now_tick(s);
    int64_t p = period_ticks(s);
    if (p) {
        /* PF is set at every periodic tick, whether PIE is set or not */
        int64_t last = k / p * p;
        if (last > s->pf_tick) {
            s->cmos[RTC_REG_C] |= REG_C_PF;
            s->pf_tick = last;
        }
    }
    int64_t target = updates_by(k);
    if (s->cmos[RTC_REG_B] & REG_B_SET) {
        s->updates_done = target; /* SET inhibits the update cycles: they do not happen */
    }
    while (s->updates_done < target) {
        s->updates_done++;
        update_cycle(s);
    }
    update_irq(s);
}

/* Arm the timer for the next event that can interrupt: a periodic tick with PIE, an update
   with UIE or AIE. */
static void rtc_arm(RTCState *s)
{
    int64_t next = -1;
    if (running(s)) {
        int64_t k = now_tick(s);
        int64_t p = period_ticks(s);
        uint8_t b = s->cmos[RTC_REG_B];
        if ((b & REG_B_PIE) && p) {
            next = (k / p + 1) * p;
        }
        if ((b & (REG_B_UIE | REG_B_AIE)) && !(b & REG_B_SET)) {
            int64_t u = update_tick(updates_by(k) + 1);
            if (next < 0 || u < next) {
                next = u;
            }
        }
    }
    if (next < 0) {
        timer_del(&s->timer);
    } else {
        timer_mod(&s->timer, s->div_start + clock_ticks_to_ns(next, RTC_HZ));
    }
}

static void rtc_timer_cb(void *opaque)
{
    RTCState *s = opaque;
    rtc_sync(s);
    rtc_arm(s);
}

/* ---- registers ------------------------------------------------------------------------------ */

static uint8_t rtc_read_reg(RTCState *s, uint8_t index)
{
    switch (index) {
    case RTC_REG_A: {
        rtc_sync(s);
        uint8_t v = s->cmos[RTC_REG_A] & ~REG_A_UIP;
        if (running(s) && !(s->cmos[RTC_REG_B] & REG_B_SET)) {
            /* UIP: from 244 us before an update cycle to its end */
            int64_t k = now_tick(s);
            int64_t r = ((k - UPDATE_PHASE) % TICKS_PER_SEC + TICKS_PER_SEC) % TICKS_PER_SEC;
            if (r >= TICKS_PER_SEC - UIP_TICKS) {
                v |= REG_A_UIP;
            }
        }
        return v;
    }
    case RTC_REG_C: {
        /* reading C clears every flag, and so IRQF and the interrupt */
        rtc_sync(s);
        uint8_t v = s->cmos[RTC_REG_C];
        s->cmos[RTC_REG_C] = 0;
        update_irq(s);
        return v;
    }
    case RTC_REG_D:
        return REG_D_VRT; /* the battery is fine */
    default:
        if (index < RTC_REG_A) {
            rtc_sync(s);
        }
        return s->cmos[index];
    }
}

static void rtc_write_reg(RTCState *s, uint8_t index, uint8_t val)
{
    switch (index) {
    case RTC_REG_A: {
        rtc_sync(s);
        bool was_running = running(s);
        int64_t old_p = period_ticks(s);
        s->cmos[RTC_REG_A] = val & ~REG_A_UIP; /* UIP is read-only */
        if (!was_running && running(s)) {
            /* out of divider reset: the chain starts from zero now */
            s->div_start = vclock_ns(s->clock);
            s->updates_done = 0;
            s->pf_tick = 0;
        } else if (running(s) && period_ticks(s) != old_p && period_ticks(s)) {
            s->pf_tick = now_tick(s) / period_ticks(s) * period_ticks(s);
        }
        break;
    }
    case RTC_REG_B:
        rtc_sync(s);
        if (val & REG_B_SET) {
            val &= ~REG_B_UIE; /* datasheet: UIE is cleared when SET is set */
        }
        s->cmos[RTC_REG_B] = val;
        update_irq(s);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        return; /* read-only */
    default:
        if (index < RTC_REG_A) {
            rtc_sync(s); /* pending updates happen before the new value, not to it */
        }
        s->cmos[index] = val;
        return;
    }
    rtc_arm(s);
}

/* ---- ports ------------------------------------------------------------------------------------ */

static uint64_t rtc_port_read(void *opaque, uint64_t off, unsigned size)
{
    RTCState *s = opaque;
    (void)size;
    if (off == 0) {
        return 0xff; /* the index register is write-only on the AT */
    }
    return rtc_read_reg(s, s->index);
}

static void rtc_port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    RTCState *s = opaque;
    (void)size;
    if (off == 0) {
        s->index = val & 0x7f;
        s->nmi_masked = (val & 0x80) != 0; /* PC/AT: bit 7 of port 0x70 disables NMI */
        return;
    }
    rtc_write_reg(s, s->index, (uint8_t)val);
}

/* ---- set-up ----------------------------------------------------------------------------------- */

void rtc_reset(RTCState *s, int64_t start)
{
    uint8_t *r = s->cmos;
    /* the AT BIOS's settings: 32.768 kHz time base, 1024 Hz periodic rate; BCD, 24 hours, no
       interrupts (RESET clears PIE, AIE, UIE and register C) */
    r[RTC_REG_A] = DV_32K << REG_A_DV_SHIFT | 6;
    r[RTC_REG_B] = REG_B_24H;
    r[RTC_REG_C] = 0;
    r[RTC_REG_D] = REG_D_VRT;
    int64_t days = start >= 0 ? start / 86400 : (start - 86399) / 86400;
    int64_t secs = start - days * 86400;
    int64_t year;
    unsigned month, date;
    rtc_civil_from_days(days, &year, &month, &date);
    r[RTC_SECONDS] = to_reg(s, (unsigned)(secs % 60));
    r[RTC_MINUTES] = to_reg(s, (unsigned)(secs / 60 % 60));
    r[RTC_HOURS] = hours_to_reg(s, (unsigned)(secs / 3600));
    /* 1970-01-01 was a Thursday; Sunday is 1 */
    r[RTC_DAY_OF_WEEK] = to_reg(s, (unsigned)(((days % 7 + 7) + 4) % 7 + 1));
    r[RTC_DATE] = to_reg(s, date);
    r[RTC_MONTH] = to_reg(s, month);
    r[RTC_YEAR] = to_reg(s, (unsigned)(year % 100));
    r[CMOS_CENTURY] = r[CMOS_PS2_CENTURY] = to_reg(s, (unsigned)(year / 100));
    s->dse_fallback_done = 0;
    s->div_start = vclock_ns(s->clock);
    s->updates_done = 0;
    s->pf_tick = 0;
    timer_del(&s->timer);
    update_irq(s);
}

int rtc_init(RTCState *s, IOSpace *io, VClock *clock, IRQLine irq8, int64_t start)
{
    *s = (RTCState){.clock = clock, .irq = irq8};
    timer_init(&s->timer, clock, "mc146818", rtc_timer_cb, s);
    rtc_reset(s, start);
    return io_register(io, "mc146818", 0x70, 2, rtc_port_read, rtc_port_write, s) < 0 ? -1 : 0;
}

/* ---- the PC/AT CMOS map (board data) ---------------------------------------------------------- */

void rtc_cmos_checksum(RTCState *s)
{
    /* IBM PC AT Technical Reference: a 16-bit sum of bytes 0x10-0x2D, high byte first */
    unsigned sum = 0;
    for (int i = CMOS_FLOPPY_TYPES; i < CMOS_CHECKSUM_HI; i++) {
        sum += s->cmos[i];
    }
    s->cmos[CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
    s->cmos[CMOS_CHECKSUM_LO] = (uint8_t)sum;
}

static void set_word(RTCState *s, int lo, uint64_t v)
{
    if (v > 0xffff) {
        v = 0xffff;
    }
    s->cmos[lo] = (uint8_t)v;
    s->cmos[lo + 1] = (uint8_t)(v >> 8);
}

void rtc_set_pc_cmos(RTCState *s, uint64_t ram_size, const char *boot_order, int cpus)
{
    uint8_t *r = s->cmos;
    const uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
    r[CMOS_DIAG_STATUS] = 0;
    r[CMOS_SHUTDOWN_STATUS] = 0; /* a normal power-on */
    r[CMOS_FLOPPY_TYPES] = 0;    /* no floppy drives */
    r[CMOS_DISK_TYPES] = 0;      /* no AT-type hard disks */
    /* equipment: bit 1 math coprocessor; bits 5-4 00: a display with its own BIOS (VGA);
       bit 0 clear: no floppy drive */
    r[CMOS_EQUIPMENT] = 0x02;
    set_word(s, CMOS_BASE_MEM_LO, 640); /* KiB below 640 KiB */
    uint64_t below4g = ram_size < 4 * GiB ? ram_size : 4 * GiB;
    uint64_t ext = below4g > MiB ? (below4g - MiB) / KiB : 0;
    set_word(s, CMOS_EXT_MEM_LO, ext); /* KiB above 1 MiB, at most 65535 */
    set_word(s, CMOS_EXT_MEM2_LO, ext);
    uint64_t above16 = below4g > 16 * MiB ? (below4g - 16 * MiB) / (64 * KiB) : 0;
    set_word(s, CMOS_MEM_ABOVE_16M_LO, above16); /* 64 KiB units */
    uint64_t above4g = ram_size > 4 * GiB ? (ram_size - 4 * GiB) / (64 * KiB) : 0;
    r[CMOS_MEM_ABOVE_4G] = (uint8_t)above4g;
    r[CMOS_MEM_ABOVE_4G + 1] = (uint8_t)(above4g >> 8);
    r[CMOS_MEM_ABOVE_4G + 2] = (uint8_t)(above4g >> 16);
    r[CMOS_SMP_COUNT] = (uint8_t)(cpus > 0 ? cpus - 1 : 0);
    /* boot order, as SeaBIOS reads it: 1 floppy, 2 hard disk, 3 CD-ROM, 4 network */
    uint8_t dev[3] = {0, 0, 0};
    const char *order = boot_order ? boot_order : "cad";
    for (int i = 0, n = 0; order[i] && n < 3; i++) {
        switch (order[i]) {
        case 'a': dev[n++] = 1; break;
        case 'c': dev[n++] = 2; break;
        case 'd': dev[n++] = 3; break;
        case 'n': dev[n++] = 4; break;
        default: break;
        }
    }
    r[CMOS_BOOT_ORDER_12] = (uint8_t)(dev[0] | dev[1] << 4);
    r[CMOS_BOOT_ORDER_3] = (uint8_t)(dev[2] << 4);
    rtc_cmos_checksum(s);
}
