/*
 * hw/apic.c — the local APIC of the one processor, following Intel SDM Vol. 3A chapter 10
 * ("Advanced Programmable Interrupt Controller (APIC)"):
 *   - IA32_APIC_BASE (10.4.4): the base of the 4 KiB xAPIC page, the global enable (EN) and
 *     x2APIC mode (EXTD, 10.12.1); the xAPIC registers in memory (Table 10-1) and the x2APIC
 *     registers as MSRs 0x800 + offset/16 (10.12.1.2, Table 10-6);
 *   - ID, version, TPR/PPR (10.8.3), EOI (10.8.5), LDR/DFR (10.6.2.2), SVR (10.9), ISR/TMR/IRR
 *     (10.8.4), ESR (10.5.3), ICR (10.6.1: fixed IPIs reach this CPU; INIT and SIPI are
 *     accepted and counted — there is no other CPU to start), the LVT (10.5.1);
 *   - the timer (10.5.4): one-shot, periodic and TSC-deadline (10.5.4.1) with the divide
 *     configuration register, on the virtual clock;
 *   - delivery to the core: the highest pending vector whose priority class exceeds the PPR's
 *     raises INTR; the INTA cycle moves it from IRR to ISR (10.8.3.1, 10.8.4). LINT0 in ExtINT
 *     mode passes the 8259's INTR through and its INTA to the 8259 (10.5.1, "ExtINT"), as does
 *     a globally disabled APIC (10.4.3: the processor then behaves as one without an APIC).
 *
 * Deviations, on purpose: after reset LINT0 is in ExtINT mode, not masked (the PC's "virtual
 * wire" that firmware would set up, so real-mode code sees the 8259 from the first
 * instruction); SMI deliveries are counted in the log only. NMI deliveries (an LVT entry in NMI
 * mode, an NMI IPI or I/O APIC message) pulse the CPU's NMI pin.
 *
 * Owns: APICState. Everything that decides what the guest sees depends on virtual time only.
 */
#include <string.h>

#include "hw/apic.h"

/* register offsets in the xAPIC page (SDM Vol. 3A Table 10-1) */
enum {
    REG_ID = 0x20, REG_VERSION = 0x30, REG_TPR = 0x80, REG_APR = 0x90, REG_PPR = 0xa0,
    REG_EOI = 0xb0, REG_RRD = 0xc0, REG_LDR = 0xd0, REG_DFR = 0xe0, REG_SVR = 0xf0,
    REG_ISR = 0x100, REG_TMR = 0x180, REG_IRR = 0x200, REG_ESR = 0x280, REG_ICR_LO = 0x300,
    REG_ICR_HI = 0x310, REG_LVT = 0x320, REG_TIMER_ICR = 0x380, REG_TIMER_CCR = 0x390,
    REG_TIMER_DCR = 0x3e0, REG_SELF_IPI = 0x3f0 /* x2APIC only */
};

/* Version register (10.4.8): version 0x14 (an integrated xAPIC), max LVT entry 5 (six
   entries: timer, thermal, performance, LINT0, LINT1, error). */
#define APIC_VERSION 0x00050014u

#define BASE_BSP   (1u << 8)
#define BASE_EXTD  (1u << 10)
#define BASE_EN    (1u << 11)
/* the base field: bits 12 to MAXPHYADDR-1 (36 here, as CPUID reports) */
#define BASE_ADDR_MASK 0x0000000ffffff000ull

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_LEVEL  (1u << 15) /* trigger mode (LINT0/1 only) */
#define LVT_REMOTE_IRR (1u << 14)
/* timer modes, LVT timer bits 18:17 (10.5.4, Figure 10-8) */
#define TIMER_MODE(l) (((l) >> 17) & 3)
enum { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2 };

/* ESR bits (10.5.3, Figure 10-9) */
#define ESR_SEND_ILLEGAL   (1u << 5)
#define ESR_RECV_ILLEGAL   (1u << 6)
#define ESR_ILLEGAL_REG    (1u << 7)

/* the writable bits of each LVT entry (Figure 10-8): vector, delivery mode, polarity, trigger,
   mask, timer mode; delivery status and remote IRR are read-only */
static const uint32_t lvt_write_mask[APIC_LVT_NB] = {
    [APIC_LVT_TIMER] = 0x000600ff | LVT_MASKED,
    [APIC_LVT_THERMAL] = 0x000107ff,
    [APIC_LVT_PERF] = 0x000107ff,
    [APIC_LVT_LINT0] = 0x0001a7ff,
    [APIC_LVT_LINT1] = 0x0001a7ff,
    [APIC_LVT_ERROR] = 0x000100ff,
};

static const VMStateField apic_fields[] = {
    VMSTATE_FIELD(APICState, base_msr),     VMSTATE_FIELD(APICState, id),
    VMSTATE_FIELD(APICState, tpr),          VMSTATE_FIELD(APICState, ldr),
    VMSTATE_FIELD(APICState, dfr),          VMSTATE_FIELD(APICState, svr),
    VMSTATE_FIELD(APICState, esr),          VMSTATE_FIELD(APICState, esr_pending),
    VMSTATE_FIELD(APICState, icr_lo),       VMSTATE_FIELD(APICState, icr_hi),
    VMSTATE_FIELD(APICState, irr),          VMSTATE_FIELD(APICState, isr),
    VMSTATE_FIELD(APICState, tmr),          VMSTATE_FIELD(APICState, lvt),
    VMSTATE_FIELD(APICState, timer_initial), VMSTATE_FIELD(APICState, timer_dcr),
    VMSTATE_FIELD(APICState, timer_start),  VMSTATE_FIELD(APICState, tsc_deadline),
    VMSTATE_FIELD(APICState, lint_level),   VMSTATE_FIELD(APICState, extint_req),
    VMSTATE_FIELD(APICState, intr_out),     VMSTATE_FIELD(APICState, init_ipis),
    VMSTATE_FIELD(APICState, startup_ipis), VMSTATE_TIMER(APICState, timer),
};
const VMStateDescription apic_vmstate = VMSTATE_DESC("apic", 1, APICState, apic_fields);

/* ---- 256-bit vectors ---- */

static void vec_set(uint32_t *v, int n) { v[n >> 5] |= 1u << (n & 31); }
static void vec_clear(uint32_t *v, int n) { v[n >> 5] &= ~(1u << (n & 31)); }
static bool vec_test(const uint32_t *v, int n) { return (v[n >> 5] >> (n & 31)) & 1; }

/* the highest set bit, or -1 */
static int vec_highest(const uint32_t *v)
{
    for (int i = 7; i >= 0; i--) {
        if (v[i]) {
            return i * 32 + 31 - __builtin_clz(v[i]);
        }
    }
    return -1;
}

static bool hw_enabled(const APICState *s) { return (s->base_msr & BASE_EN) != 0; }
static bool x2apic_mode(const APICState *s) { return (s->base_msr & BASE_EXTD) != 0; }
static bool sw_enabled(const APICState *s) { return (s->svr & SVR_ENABLE) != 0; }

static int64_t now_ns(APICState *s) { return s->clock ? vclock_ns(s->clock) : 0; }

uint32_t apic_ppr(const APICState *s)
{
    /* 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with a zero sub-class */
    int isrv = vec_highest(s->isr);
    uint32_t isrv_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (s->tpr & 0xf0) >= isrv_class ? s->tpr & 0xff : isrv_class;
}

/* Is an ExtINT request (the 8259 through LINT0, or an ExtINT message) waiting for INTA? */
static bool extint_pending(const APICState *s)
{
    if (!hw_enabled(s)) {
        /* 10.4.3: a globally disabled APIC is out of the way; LINT0 is the INTR pin */
        return s->lint_level[0];
    }
    uint32_t l = s->lvt[APIC_LVT_LINT0];
    bool lint0 = !(l & LVT_MASKED) && ((l >> 8) & 7) == APIC_DM_EXTINT && s->lint_level[0];
    return lint0 || s->extint_req;
}

/* The vector the APIC would hand to the core now, or -1 (10.8.3.1: only a vector whose
   priority class is above the PPR's is delivered; a software-disabled APIC holds its IRR). */
static int deliverable_vector(const APICState *s)
{
    if (!hw_enabled(s) || !sw_enabled(s)) {
        return -1;
    }
    int v = vec_highest(s->irr);
    if (v < 0 || ((uint32_t)v & 0xf0) <= (apic_ppr(s) & 0xf0)) {
        return -1;
    }
    return v;
}

static void apic_update(APICState *s)
{
    uint8_t level = extint_pending(s) || deliverable_vector(s) >= 0;
    if (level != s->intr_out) {
        s->intr_out = level;
        irq_set(&s->intr, level);
    }
}

/* An error detected (10.5.3): recorded for the next ESR write, and signalled through the
   error LVT entry. */
static void apic_error(APICState *s, uint32_t bits)
{
    s->esr_pending |= bits;
    uint32_t l = s->lvt[APIC_LVT_ERROR];
    if (!(l & LVT_MASKED) && (l & 0xff) >= 16) {
        vec_set(s->irr, l & 0xff);
        vec_clear(s->tmr, l & 0xff);
    }
}

/* A fixed interrupt accepted into the IRR (10.8.4); TMR records its trigger mode for the EOI
   broadcast. Vectors 0-15 are illegal (10.5.2). */
static void accept_fixed(APICState *s, int vector, bool level)
{
    if (vector < 16) {
        apic_error(s, ESR_RECV_ILLEGAL);
        return;
    }
    vec_set(s->irr, vector);
    if (level) {
        vec_set(s->tmr, vector);
    } else {
        vec_clear(s->tmr, vector);
    }
}

static void log_msg(APICState *s, const char *what, int vector)
{
    if (s->log) {
        fprintf(s->log, "apic: %s (vector 0x%02x) accepted and ignored\n", what, vector);
    }
}

/* A local interrupt from LVT entry `i` (10.5.1). */
static void lvt_fire(APICState *s, int i)
{
    uint32_t l = s->lvt[i];
    if (l & LVT_MASKED) {
        return;
    }
    int mode = (i == APIC_LVT_TIMER || i == APIC_LVT_ERROR) ? APIC_DM_FIXED : (l >> 8) & 7;
    switch (mode) {
    case APIC_DM_FIXED:
        accept_fixed(s, l & 0xff, (i == APIC_LVT_LINT0 || i == APIC_LVT_LINT1) &&
                                      (l & LVT_LEVEL));
        break;
    case APIC_DM_EXTINT:
        break; /* extint_pending looks at the pin itself */
    case APIC_DM_NMI:
        irq_set(&s->nmi, 1); /* the vector is ignored (10.5.1): an edge on the NMI pin */
        irq_set(&s->nmi, 0);
        break;
    default:
        log_msg(s, mode == APIC_DM_NMI ? "NMI" : mode == APIC_DM_SMI ? "SMI" : "INIT",
                l & 0xff);
        break;
    }
}

/* ---- the timer (10.5.4) ---- */

static uint32_t timer_divisor(const APICState *s)
{
    /* Figure 10-10: bits 0, 1 and 3; 000 = divide by 2 ... 110 = by 128, 111 = by 1 */
    uint32_t v = (s->timer_dcr & 3) | ((s->timer_dcr >> 1) & 4);
    return 1u << ((v + 1) & 7);
}

/* nanoseconds per count of the current-count register */
static int64_t ns_per_count(const APICState *s)
{
    return (int64_t)timer_divisor(s) * (NANOSECONDS_PER_SECOND / APIC_TIMER_HZ);
}

static uint32_t timer_mode(const APICState *s) { return TIMER_MODE(s->lvt[APIC_LVT_TIMER]); }

static uint32_t timer_current(APICState *s)
{
    if (s->timer_initial == 0 || timer_mode(s) == TIMER_TSC_DEADLINE) {
        return 0;
    }
    uint64_t counts = (uint64_t)(now_ns(s) - s->timer_start) / (uint64_t)ns_per_count(s);
    if (timer_mode(s) == TIMER_PERIODIC) {
        return s->timer_initial - (uint32_t)(counts % s->timer_initial);
    }
    return counts >= s->timer_initial ? 0 : s->timer_initial - (uint32_t)counts;
}

static uint64_t tsc_now(APICState *s)
{
    return s->read_tsc ? s->read_tsc(s->tsc_opaque) : (uint64_t)now_ns(s);
}

static void arm_at(APICState *s, int64_t expire)
{
    timer_mod(&s->timer, expire);
    if (s->kick) {
        s->kick(s->kick_opaque); /* the running slice does not know this deadline */
    }
}

/* Arm the Timer for the next expiry of the current mode, or disarm it. */
static void timer_rearm(APICState *s)
{
    if (!s->clock) {
        return;
    }
    if (timer_mode(s) == TIMER_TSC_DEADLINE) {
        if (s->tsc_deadline == 0) {
            timer_del(&s->timer);
            return;
        }
        /* the TSC counts virtual nanoseconds plus an offset (cpu/helper-prot.c) */
        uint64_t tsc = tsc_now(s);
        int64_t now = now_ns(s);
        int64_t delta = s->tsc_deadline > tsc ? (int64_t)(s->tsc_deadline - tsc) : 0;
        if (delta > INT64_MAX / 4) {
            delta = INT64_MAX / 4;
        }
        arm_at(s, now + delta);
        return;
    }
    if (s->timer_initial == 0) {
        timer_del(&s->timer);
        return;
    }
    int64_t period = ns_per_count(s) * (int64_t)s->timer_initial;
    int64_t expire = s->timer_start + period;
    if (timer_mode(s) == TIMER_ONESHOT && now_ns(s) >= expire) {
        timer_del(&s->timer); /* it already ran down */
        return;
    }
    arm_at(s, expire);
}

static void apic_timer_cb(void *opaque)
{
    APICState *s = opaque;
    switch (timer_mode(s)) {
    case TIMER_TSC_DEADLINE:
        s->tsc_deadline = 0; /* 10.5.4.1: the MSR is reset to zero when the timer fires */
        break;
    case TIMER_PERIODIC:
        /* reloaded from the initial count at the exact expiry, so no drift accumulates */
        s->timer_start += ns_per_count(s) * (int64_t)s->timer_initial;
        break;
    default:
        break;
    }
    lvt_fire(s, APIC_LVT_TIMER);
    timer_rearm(s);
    apic_update(s);
}

/* ---- EOI, IPIs ---- */

static void apic_eoi(APICState *s)
{
    /* 10.8.5: the highest-priority vector in service is done; a level-triggered one is
       broadcast to the I/O APIC so it clears its remote IRR */
    int v = vec_highest(s->isr);
    if (v < 0) {
        return;
    }
    vec_clear(s->isr, v);
    if (vec_test(s->tmr, v) && s->eoi) {
        s->eoi(s->eoi_opaque, v);
    }
}

/* Does a message's destination include this APIC (10.6.2)? */
static bool dest_matches(const APICState *s, uint32_t dest, bool logical)
{
    if (x2apic_mode(s)) {
        if (dest == 0xffffffffu) {
            return true;
        }
        if (!logical) {
            return dest == s->id;
        }
        /* 10.12.10.2: cluster in bits 31:16, a bit mask in 15:0 */
        uint32_t ldr = ((s->id >> 4) << 16) | (1u << (s->id & 15));
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    }
    dest &= 0xff;
    if (dest == 0xff) {
        return true; /* broadcast */
    }
    if (!logical) {
        return dest == (s->id & 0xff);
    }
    uint32_t ldr = s->ldr >> 24;
    if ((s->dfr >> 28) == 0xf) {
        return (dest & ldr) != 0; /* flat model (10.6.2.2) */
    }
    /* cluster model: cluster in the high nibble, a member bit in the low */
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

void apic_deliver(APICState *s, uint32_t dest, bool logical, int mode, int vector, bool level)
{
    if (!hw_enabled(s) || !dest_matches(s, dest, logical)) {
        return;
    }
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST: /* one CPU: it is the lowest-priority one */
        if (sw_enabled(s)) {
            accept_fixed(s, vector, level);
        }
        break;
    case APIC_DM_EXTINT:
        s->extint_req = 1;
        break;
    case APIC_DM_INIT:
        s->init_ipis++;
        log_msg(s, "INIT", vector);
        break;
    case APIC_DM_STARTUP:
        s->startup_ipis++;
        log_msg(s, "SIPI", vector);
        break;
    case APIC_DM_NMI:
        irq_set(&s->nmi, 1);
        irq_set(&s->nmi, 0);
        break;
    default:
        log_msg(s, mode == APIC_DM_NMI ? "NMI" : "SMI", vector);
        break;
    }
    apic_update(s);
}

/* A write to ICR's low half sends the IPI (10.6.1); `dest` comes from ICR high (xAPIC: bits
   31:24) or from the upper 32 bits (x2APIC). */
static void send_ipi(APICState *s, uint32_t lo, uint32_t dest)
{
    int vector = lo & 0xff, mode = (lo >> 8) & 7;
    bool logical = (lo >> 11) & 1, level = (lo >> 15) & 1;
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
        apic_error(s, ESR_SEND_ILLEGAL);
        apic_update(s);
        return;
    }
    if (mode == APIC_DM_INIT && level && !((lo >> 14) & 1)) {
        return; /* INIT level de-assert: synchronises arbitration IDs; nothing to do here */
    }
    switch ((lo >> 18) & 3) {
    case 0: /* no shorthand */
        apic_deliver(s, dest, logical, mode, vector, false);
        break;
    case 1: /* self */
    case 2: /* all including self */
        apic_deliver(s, x2apic_mode(s) ? 0xffffffffu : 0xff, false, mode, vector, false);
        break;
    default: /* all excluding self: there is nobody else */
        break;
    }
}

/* ---- register access, shared by the MMIO page and the x2APIC MSRs ---- */

static void svr_write(APICState *s, uint32_t v)
{
    s->svr = v & 0x3ff; /* vector, APIC enable, focus processor checking */
    if (!sw_enabled(s)) {
        /* 10.4.7.2: software disable masks every LVT entry */
        for (int i = 0; i < APIC_LVT_NB; i++) {
            s->lvt[i] |= LVT_MASKED;
        }
    }
}

static void lvt_write(APICState *s, int i, uint32_t v)
{
    uint32_t old_mode = timer_mode(s);
    if (!sw_enabled(s)) {
        v |= LVT_MASKED; /* 10.4.7.2: the mask cannot be cleared while software-disabled */
    }
    s->lvt[i] = (s->lvt[i] & ~lvt_write_mask[i]) | (v & lvt_write_mask[i]);
    if (i == APIC_LVT_TIMER && TIMER_MODE(s->lvt[i]) == 3) {
        s->lvt[i] &= ~(3u << 17); /* reserved mode: treated as one-shot */
    }
    if (i == APIC_LVT_TIMER && timer_mode(s) != old_mode &&
        (old_mode == TIMER_TSC_DEADLINE || timer_mode(s) == TIMER_TSC_DEADLINE)) {
        /* 10.5.4.1: switching to or from TSC-deadline mode disarms the timer */
        s->timer_initial = 0;
        s->tsc_deadline = 0;
        timer_rearm(s);
    }
    if (i == APIC_LVT_LINT0 || i == APIC_LVT_LINT1) {
        if (!(s->lvt[i] & LVT_LEVEL)) {
            s->lvt[i] &= ~LVT_REMOTE_IRR;
        }
    }
}

/* Read register at xAPIC offset `reg`; false if there is none there. */
static bool reg_read(APICState *s, uint32_t reg, uint32_t *out)
{
    uint32_t v = 0;
    switch (reg) {
    case REG_ID:
        v = x2apic_mode(s) ? s->id : s->id << 24;
        break;
    case REG_VERSION: v = APIC_VERSION; break;
    case REG_TPR: v = s->tpr; break;
    case REG_APR: v = 0; break; /* arbitration priority: unused on one CPU */
    case REG_PPR: v = apic_ppr(s); break;
    case REG_LDR:
        v = x2apic_mode(s) ? ((s->id >> 4) << 16) | (1u << (s->id & 15)) : s->ldr;
        break;
    case REG_DFR:
        if (x2apic_mode(s)) {
            return false; /* 10.12.1.2: no DFR in x2APIC mode */
        }
        v = s->dfr;
        break;
    case REG_SVR: v = s->svr; break;
    case REG_ESR: v = s->esr; break;
    case REG_ICR_LO: v = s->icr_lo & ~(1u << 12); break; /* delivery status: always idle */
    case REG_ICR_HI: v = s->icr_hi; break;
    case REG_TIMER_ICR: v = s->timer_initial; break;
    case REG_TIMER_CCR: v = timer_current(s); break;
    case REG_TIMER_DCR: v = s->timer_dcr; break;
    case REG_EOI:
    case REG_SELF_IPI:
        if (x2apic_mode(s)) {
            return false; /* write-only: reading the MSR is #GP */
        }
        v = 0;
        break;
    default:
        if (reg >= REG_ISR && reg < REG_ISR + 0x80) {
            v = s->isr[(reg - REG_ISR) >> 4];
        } else if (reg >= REG_TMR && reg < REG_TMR + 0x80) {
            v = s->tmr[(reg - REG_TMR) >> 4];
        } else if (reg >= REG_IRR && reg < REG_IRR + 0x80) {
            v = s->irr[(reg - REG_IRR) >> 4];
        } else if (reg >= REG_LVT && reg < REG_LVT + 0x10 * APIC_LVT_NB) {
            v = s->lvt[(reg - REG_LVT) >> 4];
        } else {
            return false;
        }
        break;
    }
    *out = v;
    return true;
}

/* Write register at xAPIC offset `reg` (x2APIC ICR: `hi` is the destination); false if the
   register does not take writes. */
static bool reg_write(APICState *s, uint32_t reg, uint32_t v, uint32_t hi)
{
    switch (reg) {
    case REG_ID:
        if (x2apic_mode(s)) {
            return false; /* read-only in x2APIC mode (10.12.5.1) */
        }
        s->id = v >> 24;
        break;
    case REG_TPR: s->tpr = v & 0xff; break;
    case REG_EOI: apic_eoi(s); break;
    case REG_LDR:
        if (x2apic_mode(s)) {
            return false; /* derived from the x2APIC ID (10.12.10.2) */
        }
        s->ldr = v & 0xff000000u;
        break;
    case REG_DFR:
        if (x2apic_mode(s)) {
            return false;
        }
        s->dfr = v | 0x0fffffffu; /* bits 27:0 read as ones (Figure 10-13) */
        break;
    case REG_SVR: svr_write(s, v); break;
    case REG_ESR:
        /* 10.5.3: a write makes the errors since the last write visible and starts over */
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        break;
    case REG_ICR_LO:
        s->icr_lo = v & 0x000ccfffu;
        if (x2apic_mode(s)) {
            s->icr_hi = hi;
        }
        send_ipi(s, s->icr_lo, x2apic_mode(s) ? hi : s->icr_hi >> 24);
        break;
    case REG_ICR_HI:
        if (x2apic_mode(s)) {
            return false; /* one 64-bit ICR MSR in x2APIC mode */
        }
        s->icr_hi = v & 0xff000000u;
        break;
    case REG_TIMER_ICR:
        if (timer_mode(s) == TIMER_TSC_DEADLINE) {
            break; /* 10.5.4.1: ignored in TSC-deadline mode */
        }
        s->timer_initial = v;
        s->timer_start = now_ns(s);
        timer_rearm(s);
        break;
    case REG_TIMER_DCR: {
        /* keep the count where it is; the new divisor applies from now on */
        uint32_t cur = timer_current(s);
        s->timer_dcr = v & 0xb;
        if (s->timer_initial && timer_mode(s) != TIMER_TSC_DEADLINE) {
            s->timer_start = now_ns(s) - (int64_t)(s->timer_initial - cur) * ns_per_count(s);
            timer_rearm(s);
        }
        break;
    }
    case REG_SELF_IPI:
        if (!x2apic_mode(s)) {
            return false;
        }
        send_ipi(s, (v & 0xff) | (1u << 18), 0); /* fixed, edge, to self (10.12.11) */
        break;
    default:
        if (reg >= REG_LVT && reg < REG_LVT + 0x10 * APIC_LVT_NB) {
            lvt_write(s, (reg - REG_LVT) >> 4, v);
            break;
        }
        /* read-only: version, PPR, ISR, TMR, IRR, current count */
        return false;
    }
    apic_update(s);
    return true;
}

uint64_t apic_mmio_read(void *opaque, uint64_t off, unsigned size)
{
    APICState *s = opaque;
    /* the page is not decoded when the APIC is disabled or in x2APIC mode (10.4.3, 10.12.1.2) */
    if (!hw_enabled(s) || x2apic_mode(s)) {
        return mem_ones(size);
    }
    uint32_t v;
    if (!reg_read(s, (uint32_t)off & 0xff0, &v)) {
        apic_error(s, ESR_ILLEGAL_REG);
        apic_update(s);
        return 0;
    }
    /* registers are 32 bits at 16-byte boundaries; narrower reads see part of them */
    unsigned byte = off & 0xf;
    return byte < 4 ? (v >> (8 * byte)) & (uint32_t)mem_ones(size < 4 ? size : 4) : 0;
}

void apic_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    APICState *s = opaque;
    if (!hw_enabled(s) || x2apic_mode(s)) {
        return;
    }
    /* 10.4.1: registers are written with aligned 32-bit stores; others are undefined, and
       dropped here */
    if ((off & 0xf) != 0 || size < 4) {
        return;
    }
    uint32_t reg = (uint32_t)off & 0xff0;
    if (!reg_write(s, reg, (uint32_t)val, 0)) {
        uint32_t dummy;
        if (!reg_read(s, reg, &dummy)) {
            apic_error(s, ESR_ILLEGAL_REG);
            apic_update(s);
        }
    }
}

/* ---- MSRs ---- */

enum { MSR_APIC_BASE = 0x1b, MSR_TSC_DEADLINE = 0x6e0, MSR_X2APIC_FIRST = 0x800,
       MSR_X2APIC_LAST = 0x8ff };

bool apic_msr_owns(uint32_t index)
{
    return index == MSR_APIC_BASE || index == MSR_TSC_DEADLINE ||
           (index >= MSR_X2APIC_FIRST && index <= MSR_X2APIC_LAST);
}

static void base_write(APICState *s, uint64_t v)
{
    uint64_t old = s->base_msr;
    s->base_msr = (v & (BASE_ADDR_MASK | BASE_EN | BASE_EXTD)) | (old & BASE_BSP);
    if ((old & BASE_EN) && !(v & BASE_EN)) {
        /* 10.4.3: a globally disabled APIC loses its state as at power-up (the base stays) */
        uint64_t base = s->base_msr;
        apic_reset(s);
        s->base_msr = base;
    }
    if ((v & BASE_EXTD) && !(old & BASE_EXTD)) {
        /* 10.12.5.1: entering x2APIC mode: the logical ID is derived from the ID */
        s->ldr = ((s->id >> 4) << 16) | (1u << (s->id & 15));
    }
    uint64_t addr = s->base_msr & BASE_ADDR_MASK;
    if (s->as && s->region >= 0 && s->as->regions[s->region].base != addr) {
        as_move_region(s->as, s->region, addr, s->as->regions[s->region].size);
        if (s->remapped) {
            s->remapped(s->remapped_opaque); /* no TLB entry may keep the old mapping */
        }
    }
    apic_update(s);
}

bool apic_read_msr(APICState *s, uint32_t index, uint64_t *val)
{
    if (index == MSR_APIC_BASE) {
        *val = s->base_msr;
        return true;
    }
    if (index == MSR_TSC_DEADLINE) {
        /* 10.5.4.1: reads zero outside TSC-deadline mode */
        *val = timer_mode(s) == TIMER_TSC_DEADLINE ? s->tsc_deadline : 0;
        return true;
    }
    if (!hw_enabled(s) || !x2apic_mode(s) || index == MSR_X2APIC_FIRST + (REG_ICR_HI >> 4)) {
        return false;
    }
    uint32_t v;
    if (!reg_read(s, (index - MSR_X2APIC_FIRST) << 4, &v)) {
        return false;
    }
    *val = v;
    if (index == MSR_X2APIC_FIRST + (REG_ICR_LO >> 4)) {
        *val |= (uint64_t)s->icr_hi << 32;
    }
    return true;
}

bool apic_write_msr(APICState *s, uint32_t index, uint64_t val)
{
    if (index == MSR_APIC_BASE) {
        /* 10.12.5: reserved bits, x2APIC without EN, and x2APIC -> xAPIC directly are #GP */
        if (val & ~(BASE_ADDR_MASK | BASE_EN | BASE_EXTD | BASE_BSP)) {
            return false;
        }
        if ((val & BASE_EXTD) && !(val & BASE_EN)) {
            return false;
        }
        if (x2apic_mode(s) && (val & BASE_EN) && !(val & BASE_EXTD)) {
            return false;
        }
        base_write(s, val);
        return true;
    }
    if (index == MSR_TSC_DEADLINE) {
        if (timer_mode(s) == TIMER_TSC_DEADLINE) {
            s->tsc_deadline = val;
            timer_rearm(s);
        }
        return true; /* other modes: ignored */
    }
    if (!hw_enabled(s) || !x2apic_mode(s)) {
        return false;
    }
    uint32_t reg = (index - MSR_X2APIC_FIRST) << 4;
    if (reg == REG_EOI && val != 0) {
        return false; /* 10.12.1.2: a non-zero EOI write is #GP in x2APIC mode */
    }
    if ((val >> 32) && reg != REG_ICR_LO) {
        return false; /* reserved upper half */
    }
    return reg_write(s, reg, (uint32_t)val, (uint32_t)(val >> 32));
}

/* ---- pins, INTA, reset ---- */

void apic_set_lint(void *opaque, int n, int level)
{
    APICState *s = opaque;
    if (n < 0 || n > 1) {
        return;
    }
    uint8_t old = s->lint_level[n];
    s->lint_level[n] = level != 0;
    uint32_t l = s->lvt[APIC_LVT_LINT0 + n];
    if (hw_enabled(s) && ((l >> 8) & 7) != APIC_DM_EXTINT) {
        if (l & LVT_LEVEL) {
            /* level: one request per assertion until EOI (remote IRR) — approximated by the
               rising edge, as this board drives LINT1 from nothing and LINT0 from the 8259 */
            if (level && !old) {
                lvt_fire(s, APIC_LVT_LINT0 + n);
            }
        } else if (level && !old) {
            lvt_fire(s, APIC_LVT_LINT0 + n); /* edge: on the rising edge */
        }
    }
    apic_update(s);
}

int apic_intack(void *opaque)
{
    APICState *s = opaque;
    int vector;
    if (extint_pending(s)) {
        /* the 8259 puts the vector on the bus (10.5.1, ExtINT) */
        s->extint_req = 0;
        vector = s->extint_ack ? s->extint_ack(s->extint_opaque) : 0;
    } else {
        int v = deliverable_vector(s);
        if (v < 0) {
            /* 10.9: the request went away (TPR raised) before INTA: the spurious vector, and
               nothing goes in service */
            vector = s->svr & 0xff;
        } else {
            vec_clear(s->irr, v);
            vec_set(s->isr, v);
            vector = v;
        }
    }
    apic_update(s);
    return vector;
}

void apic_reset(APICState *s)
{
    /* 10.4.7.1: IRR, ISR, TMR, ICR, LDR, TPR, timer registers zero; DFR all ones; the LVT
       masked; SVR 0xFF (software disabled); the base at its default, enabled, BSP */
    s->base_msr = APIC_DEFAULT_BASE | BASE_EN | BASE_BSP;
    s->id = 0;
    s->tpr = s->ldr = 0;
    s->dfr = 0xffffffffu;
    s->svr = 0xff;
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    memset(s->irr, 0, sizeof(s->irr));
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    for (int i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] = LVT_MASKED;
    }
    /* virtual wire: the 8259 reaches the CPU through LINT0 (see the file comment) */
    s->lvt[APIC_LVT_LINT0] = APIC_DM_EXTINT << 8;
    s->timer_initial = s->timer_dcr = 0;
    s->timer_start = 0;
    s->tsc_deadline = 0;
    s->extint_req = 0;
    s->init_ipis = s->startup_ipis = 0;
    if (s->clock) {
        timer_del(&s->timer);
    }
    if (s->as && s->region >= 0 && s->as->regions[s->region].base != APIC_DEFAULT_BASE) {
        as_move_region(s->as, s->region, APIC_DEFAULT_BASE, s->as->regions[s->region].size);
        if (s->remapped) {
            s->remapped(s->remapped_opaque);
        }
    }
    apic_update(s);
}

int apic_init(APICState *s, AddressSpace *as, VClock *clock, IRQLine intr)
{
    s->clock = clock;
    s->intr = intr;
    s->as = NULL;
    s->region = -1;
    if (clock) {
        timer_init(&s->timer, clock, "apic", apic_timer_cb, s);
    }
    s->intr_out = 0;
    apic_reset(s);
    if (as) {
        int r = as_add_mmio(as, "apic", APIC_DEFAULT_BASE, APIC_MMIO_SIZE, apic_mmio_read,
                            apic_mmio_write, s, 2);
        if (r < 0) {
            return -1;
        }
        s->as = as;
        s->region = r;
    }
    return 0;
}
