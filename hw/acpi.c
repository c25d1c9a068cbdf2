/*
 * hw/acpi.c — ACPI power management I/O of the PIIX4 (function 3) and the PIIX's reset control
 * register.
 *
 * Follows the ACPI specification 6.x, 4.8.3 (PM1 status/enable: write 1 to clear status bits;
 * PM1 control: SCI_EN, SLP_TYP bits 12-10 and the write-only SLP_EN bit 13 that enters the
 * sleep state; the PM timer: a free-running 24-bit counter at 3.579545 MHz, TMR_STS set when
 * its bit 23 changes, raising the SCI when TMR_EN is set) and the 82371AB (PIIX4) datasheet's
 * layout of that block at PMBA (PM1 at +0, PM timer at +8, GPE0 at +0Ch; SLP_TYP 000b is soft
 * off, as in the \_S5 package xlat's DSDT gives) and reset control register at CF9h (82371SB
 * datasheet: bit 1 SRST hard/soft reset type, bit 2 RCPU, writing it 1 resets the system).
 *
 * Owns: ACPIState. The PM timer reads the virtual clock; nothing counts in the background: a
 * timer is armed only while TMR_EN waits for TMR_STS. Power-off and reset go to the board
 * through IRQ lines (softmmu/machine.c).
 */
#include "hw/acpi.h"

#include <string.h>

static const VMStateField acpi_fields[] = {
    VMSTATE_FIELD(ACPIState, pm1_sts),   VMSTATE_FIELD(ACPIState, pm1_en),
    VMSTATE_FIELD(ACPIState, pm1_cnt),   VMSTATE_FIELD(ACPIState, gpe0_sts),
    VMSTATE_FIELD(ACPIState, gpe0_en),   VMSTATE_FIELD(ACPIState, tmr_epoch),
    VMSTATE_FIELD(ACPIState, rcr),       VMSTATE_FIELD(ACPIState, io_base),
    VMSTATE_FIELD(ACPIState, io_on),     VMSTATE_FIELD(ACPIState, sci_level),
    VMSTATE_TIMER(ACPIState, tmr_timer),
};
const VMStateDescription acpi_vmstate = VMSTATE_DESC("acpi-pm", 1, ACPIState, acpi_fields);

static int64_t pm_ticks(ACPIState *s)
{
    return clock_ns_to_ticks(vclock_ns(s->clock), ACPI_PM_TIMER_HZ);
}

uint32_t acpi_pm_timer(ACPIState *s)
{
    return (uint32_t)pm_ticks(s) & 0xffffff;
}

/* PM1 status with TMR_STS: set once bit 23 has changed since it was last cleared */
static uint16_t pm1_status(ACPIState *s)
{
    bool tmr = (pm_ticks(s) >> 23) != s->tmr_epoch;
    return (uint16_t)(s->pm1_sts | (tmr ? ACPI_TMR_STS : 0));
}

/* The SCI follows the enabled status bits (while SCI_EN routes events to the SCI); the timer
   waits for the next TMR_STS while TMR_EN wants it. */
static void acpi_update(ACPIState *s)
{
    uint16_t sts = pm1_status(s);
    int level =
        (s->pm1_cnt & ACPI_SCI_EN) &&
        ((sts & s->pm1_en & (ACPI_TMR_STS | ACPI_GBL_STS | ACPI_PWRBTN_STS | ACPI_RTC_STS)) ||
         (s->gpe0_sts & s->gpe0_en));
    if (level != s->sci_level) {
        s->sci_level = level;
        irq_set(&s->sci, level);
    }
    if ((s->pm1_en & ACPI_TMR_STS) && !(sts & ACPI_TMR_STS)) {
        timer_mod(&s->tmr_timer, clock_ticks_to_ns((s->tmr_epoch + 1) << 23, ACPI_PM_TIMER_HZ));
    } else {
        timer_del(&s->tmr_timer);
    }
}

static void acpi_tmr_cb(void *opaque)
{
    acpi_update(opaque);
}

static uint64_t pm_read(void *opaque, uint64_t off, unsigned size)
{
    ACPIState *s = opaque;
    /* the registers as bytes, so any access size reads what it overlaps */
    uint8_t b[16] = {0};
    mem_st_le(&b[ACPI_PM1_STS], pm1_status(s), 2);
    mem_st_le(&b[ACPI_PM1_EN], s->pm1_en, 2);
    mem_st_le(&b[ACPI_PM1_CNT], s->pm1_cnt, 2);
    mem_st_le(&b[ACPI_PM_TMR], acpi_pm_timer(s), 4);
    mem_st_le(&b[ACPI_GPE0_STS], s->gpe0_sts, 2);
    mem_st_le(&b[ACPI_GPE0_EN], s->gpe0_en, 2);
    if (off + size > sizeof(b)) {
        return 0; /* the rest of the block (processor control, GPIO) is not modelled */
    }
    return mem_ld_le(&b[off], size);
}

static void pm_write_reg(ACPIState *s, unsigned reg, uint16_t v, uint16_t mask)
{
    switch (reg) {
    case ACPI_PM1_STS:
        if (v & mask & ACPI_TMR_STS) {
            s->tmr_epoch = pm_ticks(s) >> 23;
        }
        s->pm1_sts &= (uint16_t) ~(v & mask);
        break;
    case ACPI_PM1_EN:
        s->pm1_en = (uint16_t)((s->pm1_en & ~mask) | (v & mask));
        break;
    case ACPI_PM1_CNT: {
        uint16_t cnt = (uint16_t)((s->pm1_cnt & ~mask) | (v & mask));
        s->pm1_cnt = cnt & (uint16_t)~ACPI_SLP_EN;
        if ((v & mask & ACPI_SLP_EN) &&
            ((cnt & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT) == ACPI_SLP_TYP_S5) {
            irq_set(&s->poweroff, 1);
        }
        /* other sleep states (S1, S3) are not implemented: the guest keeps running */
        break;
    }
    case ACPI_GPE0_STS:
        s->gpe0_sts &= (uint16_t) ~(v & mask);
        break;
    case ACPI_GPE0_EN:
        s->gpe0_en = (uint16_t)((s->gpe0_en & ~mask) | (v & mask));
        break;
    default:
        break; /* the PM timer is read-only */
    }
}

static void pm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    ACPIState *s = opaque;
    /* split into the 16-bit registers the access overlaps */
    for (unsigned i = 0; i < size; i++) {
        unsigned a = (unsigned)off + i;
        unsigned reg = a & ~1u;
        uint16_t shift = (uint16_t)(8 * (a & 1));
        uint16_t v = (uint16_t)(((val >> (8 * i)) & 0xff) << shift);
        pm_write_reg(s, reg, v, (uint16_t)(0xff << shift));
    }
    acpi_update(s);
}

void acpi_pm_io_changed(void *opaque, uint16_t base, bool enabled)
{
    ACPIState *s = opaque;
    if (s->io_handle >= 0 && (!enabled || base != s->io_base)) {
        io_unregister(s->io, s->io_handle);
        s->io_handle = -1;
    }
    s->io_base = base;
    s->io_on = enabled;
    if (enabled && s->io_handle < 0 && base) {
        /* a port already taken leaves the block dark (the guest's conflict) */
        s->io_handle = io_register(s->io, "acpi-pm", base, ACPI_PM_LEN, pm_read, pm_write, s);
    }
}

uint64_t acpi_cf9_read(void *opaque, uint64_t off, unsigned size)
{
    ACPIState *s = opaque;
    return off == 1 && size == 1 ? s->rcr : mem_ones(size);
}

void acpi_cf9_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    ACPIState *s = opaque;
    if (off != 1 || size != 1) {
        return;
    }
    /* bits 1 (SRST) and 3 (full reset) are kept; bit 2 (RCPU) starts the reset */
    s->rcr = (uint8_t)val & 0x0a;
    if (val & 0x04) {
        irq_set(&s->reset, 1);
    }
}

void acpi_reset(ACPIState *s)
{
    s->pm1_sts = s->pm1_en = s->pm1_cnt = 0;
    s->gpe0_sts = s->gpe0_en = 0;
    s->rcr = 0;
    s->tmr_epoch = pm_ticks(s) >> 23;
    acpi_update(s);
}

void acpi_init(ACPIState *s, IOSpace *io, VClock *clock, IRQLine sci, IRQLine reset,
               IRQLine poweroff)
{
    memset(s, 0, sizeof(*s));
    s->io = io;
    s->clock = clock;
    s->sci = sci;
    s->reset = reset;
    s->poweroff = poweroff;
    s->io_handle = -1;
    timer_init(&s->tmr_timer, clock, "acpi-pm-timer", acpi_tmr_cb, s);
    acpi_reset(s);
}
