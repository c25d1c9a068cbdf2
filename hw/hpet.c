/*
 * hw/hpet.c — a High Precision Event Timer block, following the IA-PC HPET specification 1.0a
 * (Intel, 2004): the register map of 2.3.1 (Table 3); the general capabilities and ID register
 * (2.3.4: revision 1, three timers, a 64-bit counter, legacy replacement capable, vendor 8086,
 * a period of 10 000 000 fs, i.e. 100 MHz); the general configuration (2.3.5: ENABLE_CNF halts
 * and runs the main counter and all interrupts, LEG_RT_CNF routes timer 0 to IRQ 0 / I/O APIC
 * pin 2 and timer 1 to IRQ 8); the general interrupt status (2.3.6: Tn_INT_STS for
 * level-triggered timers, cleared by writing 1); the main counter (2.3.7); each timer's
 * configuration and capabilities (2.3.8: interrupt type, enable, periodic, value-set,
 * 32-bit mode, I/O APIC route) and comparator (2.3.9), in one-shot (2.3.9.2.1) and periodic
 * (2.3.9.2.2) modes. FSB (message) delivery is not offered (Tn_FSB_INT_DEL_CAP = 0).
 *
 * The main counter is the virtual clock in 10 ns ticks plus an offset, so it reads the same at
 * the same instruction on every run; comparators fire through virtual-clock timers at the
 * first instruction at or past the tick where the counter equals them.
 *
 * Owns: HPETState.
 */
#include "hw/hpet.h"

/* register offsets (2.3.1, Table 3) */
enum { REG_CAP = 0x000, REG_CONF = 0x010, REG_ISR = 0x020, REG_COUNTER = 0x0f0,
       REG_TIMER0 = 0x100, TIMER_STRIDE = 0x20 };

#define HPET_PERIOD_FS (1000000000000000ull / HPET_HZ)
/* 2.3.4: REV_ID 1, NUM_TIM_CAP = timers - 1, COUNT_SIZE_CAP, LEG_RT_CAP, VENDOR_ID */
#define HPET_CAP                                                                                   \
    (0x01ull | (uint64_t)(HPET_TIMERS - 1) << 8 | 1ull << 13 | 1ull << 15 | 0x8086ull << 16 |      \
     HPET_PERIOD_FS << 32)

#define CONF_ENABLE (1ull << 0)
#define CONF_LEG_RT (1ull << 1)

/* Tn_CONF_CAP bits (2.3.8) */
#define TN_INT_TYPE_LEVEL (1ull << 1)
#define TN_INT_ENB        (1ull << 2)
#define TN_PERIODIC       (1ull << 3)
#define TN_PER_INT_CAP    (1ull << 4)
#define TN_SIZE_CAP       (1ull << 5)
#define TN_VAL_SET        (1ull << 6)
#define TN_32MODE         (1ull << 8)
#define TN_ROUTE(c)       ((int)(((c) >> 9) & 0x1f))
#define TN_ROUTE_MASK     (0x1full << 9)
#define TN_WRITABLE       (TN_INT_TYPE_LEVEL | TN_INT_ENB | TN_PERIODIC | TN_VAL_SET | TN_32MODE)
/* every comparator is periodic capable and 64 bits wide, and may be routed to I/O APIC pins
   20-23 (Tn_INT_ROUTE_CAP: the pins no ISA device uses) */
#define TN_ROUTE_CAP 0x00f00000ull
#define TN_CAPS      (TN_PER_INT_CAP | TN_SIZE_CAP | TN_ROUTE_CAP << 32)

/* the largest distance to a deadline that is armed (2^50 ticks: 130 days); further ones are
   out of reach of any run and would overflow the nanosecond arithmetic */
#define MAX_ARM_TICKS (1ull << 50)

static const VMStateField hpet_fields[] = {
    VMSTATE_FIELD(HPETState, config),    VMSTATE_FIELD(HPETState, isr),
    VMSTATE_FIELD(HPETState, counter),   VMSTATE_FIELD(HPETState, offset),
    VMSTATE_FIELD(HPETState, out),
#define HPET_TIMER_FIELDS(n)                                                                       \
    VMSTATE_FIELD(HPETState, t[n].config), VMSTATE_FIELD(HPETState, t[n].cmp),                     \
        VMSTATE_FIELD(HPETState, t[n].period), VMSTATE_TIMER(HPETState, t[n].timer)
    HPET_TIMER_FIELDS(0), HPET_TIMER_FIELDS(1), HPET_TIMER_FIELDS(2),
#undef HPET_TIMER_FIELDS
};
const VMStateDescription hpet_vmstate = VMSTATE_DESC("hpet", 1, HPETState, hpet_fields);

static bool running(const HPETState *s) { return (s->config & CONF_ENABLE) != 0; }

bool hpet_legacy_route(const HPETState *s) { return (s->config & CONF_LEG_RT) != 0; }

static int64_t ticks_now(HPETState *s)
{
    return clock_ns_to_ticks(vclock_ns(s->clock), HPET_HZ);
}

static uint64_t counter_now(HPETState *s)
{
    return running(s) ? (uint64_t)ticks_now(s) + (uint64_t)s->offset : s->counter;
}

/* 2.3.8: a timer in 32-bit mode compares only the low 32 bits */
static uint64_t width_mask(const HPETComparator *t)
{
    return (t->config & TN_32MODE) ? 0xffffffffull : ~0ull;
}

/* Drive the output of timer n: legacy route for timers 0 and 1, else its I/O APIC pin. */
static void drive(HPETState *s, int n, int level)
{
    if (hpet_legacy_route(s) && n < 2) {
        irq_set(&s->legacy[n], level);
    } else if (s->ioapic.handler) {
        s->ioapic.handler(s->ioapic.opaque, TN_ROUTE(s->t[n].config), level);
    }
}

/* Bring the level-triggered outputs in line with status and enables (2.3.6: a level interrupt
   stays active until software clears Tn_INT_STS; disabling it makes the line inactive). */
static void update_levels(HPETState *s)
{
    for (int n = 0; n < HPET_TIMERS; n++) {
        uint64_t c = s->t[n].config;
        int want = (c & TN_INT_TYPE_LEVEL) && (c & TN_INT_ENB) && running(s) &&
                   ((s->isr >> n) & 1);
        if (want != (int)((s->out >> n) & 1)) {
            s->out ^= 1u << n;
            drive(s, n, want);
        }
    }
}

/* Lower every asserted output on its present route (before the route changes). */
static void drop_levels(HPETState *s)
{
    for (int n = 0; n < HPET_TIMERS; n++) {
        if ((s->out >> n) & 1) {
            s->out &= ~(1u << n);
            drive(s, n, 0);
        }
    }
}

static void fire(HPETState *s, int n)
{
    HPETComparator *t = &s->t[n];
    if (t->config & TN_INT_TYPE_LEVEL) {
        s->isr |= 1ull << n; /* 2.3.6: set whenever the level interrupt is active */
        update_levels(s);
    } else if (t->config & TN_INT_ENB) {
        drive(s, n, 1); /* edge: a pulse */
        drive(s, n, 0);
    }
}

/* Arm timer n's Timer for the next time the counter matches its comparator. `fired`: it just
   matched, so an equal counter means the next match, a whole wrap later. */
static void arm(HPETState *s, int n, bool fired)
{
    HPETComparator *t = &s->t[n];
    if (!running(s)) {
        timer_del(&t->timer);
        return;
    }
    uint64_t mask = width_mask(t);
    uint64_t diff = (t->cmp - counter_now(s)) & mask;
    if (diff == 0 && fired) {
        diff = mask == ~0ull ? MAX_ARM_TICKS : mask + 1;
    }
    if (diff >= MAX_ARM_TICKS) {
        timer_del(&t->timer);
        return;
    }
    timer_mod(&t->timer, clock_ticks_to_ns(ticks_now(s) + (int64_t)diff, HPET_HZ));
    if (s->kick) {
        s->kick(s->kick_opaque); /* the running CPU slice does not know this deadline */
    }
}

static void timer_cb_n(HPETState *s, int n)
{
    HPETComparator *t = &s->t[n];
    fire(s, n);
    if ((t->config & TN_PERIODIC) && t->period) {
        /* 2.3.9.2.2: the comparator advances by the last value written */
        t->cmp = (t->cmp + t->period) & width_mask(t);
    }
    arm(s, n, true);
}

static void timer0_cb(void *opaque) { timer_cb_n(opaque, 0); }
static void timer1_cb(void *opaque) { timer_cb_n(opaque, 1); }
static void timer2_cb(void *opaque) { timer_cb_n(opaque, 2); }

static void arm_all(HPETState *s)
{
    for (int n = 0; n < HPET_TIMERS; n++) {
        arm(s, n, false);
    }
}

static uint64_t reg_read(HPETState *s, uint64_t reg)
{
    switch (reg) {
    case REG_CAP: return HPET_CAP;
    case REG_CONF: return s->config;
    case REG_ISR: return s->isr;
    case REG_COUNTER: return counter_now(s);
    default:
        if (reg >= REG_TIMER0 && reg < REG_TIMER0 + HPET_TIMERS * TIMER_STRIDE) {
            HPETComparator *t = &s->t[(reg - REG_TIMER0) / TIMER_STRIDE];
            switch ((reg - REG_TIMER0) % TIMER_STRIDE) {
            case 0x00: return t->config | TN_CAPS;
            case 0x08: return t->cmp;
            default: return 0; /* FSB route: not offered */
            }
        }
        return 0; /* reserved */
    }
}

static void conf_write(HPETState *s, uint64_t v)
{
    uint64_t old = s->config;
    uint64_t now_count = counter_now(s);
    if ((v ^ old) & CONF_LEG_RT) {
        drop_levels(s);
    }
    s->config = v & (CONF_ENABLE | CONF_LEG_RT);
    if (running(s) && !(old & CONF_ENABLE)) {
        /* 2.3.5: the counter runs on from where it was halted */
        s->offset = (int64_t)(s->counter - (uint64_t)ticks_now(s));
    } else if (!running(s) && (old & CONF_ENABLE)) {
        s->counter = now_count;
    }
    update_levels(s);
    arm_all(s);
}

static void timer_conf_write(HPETState *s, int n, uint64_t v)
{
    HPETComparator *t = &s->t[n];
    drop_levels(s); /* the route or the type may change */
    uint64_t keep = t->config & ~TN_WRITABLE;
    t->config = keep | (v & TN_WRITABLE);
    /* 2.3.8: a route outside Tn_INT_ROUTE_CAP is not taken (it reads back unchanged) */
    int route = (int)((v >> 9) & 0x1f);
    if ((TN_ROUTE_CAP >> route) & 1) {
        t->config = (t->config & ~TN_ROUTE_MASK) | ((uint64_t)route << 9);
    }
    if (t->config & TN_32MODE) {
        t->cmp &= 0xffffffffull;
        t->period &= 0xffffffffull;
    }
    if (!(t->config & TN_INT_TYPE_LEVEL)) {
        s->isr &= ~(1ull << n); /* 2.3.6: edge-triggered timers do not use the status bit */
    }
    update_levels(s);
    arm(s, n, false);
}

static void cmp_write(HPETState *s, int n, uint64_t v)
{
    HPETComparator *t = &s->t[n];
    v &= width_mask(t);
    if (t->config & TN_PERIODIC) {
        /* 2.3.9.2.2 and Tn_VAL_SET_CNF (2.3.8): with VAL_SET the write sets the comparator
           itself (and the period); without it, only the period. VAL_SET clears itself. */
        if (t->config & TN_VAL_SET) {
            t->cmp = v;
            t->config &= ~TN_VAL_SET;
        }
        t->period = v;
    } else {
        t->cmp = v;
    }
    arm(s, n, false);
}

static void reg_write(HPETState *s, uint64_t reg, uint64_t v)
{
    switch (reg) {
    case REG_CONF:
        conf_write(s, v);
        break;
    case REG_ISR:
        s->isr &= ~v; /* 2.3.6: write 1 to clear */
        update_levels(s);
        break;
    case REG_COUNTER:
        /* 2.3.7: software writes it while halted; a write while running is taken too */
        if (running(s)) {
            s->offset = (int64_t)(v - (uint64_t)ticks_now(s));
        } else {
            s->counter = v;
        }
        arm_all(s);
        break;
    default:
        if (reg >= REG_TIMER0 && reg < REG_TIMER0 + HPET_TIMERS * TIMER_STRIDE) {
            int n = (int)((reg - REG_TIMER0) / TIMER_STRIDE);
            switch ((reg - REG_TIMER0) % TIMER_STRIDE) {
            case 0x00: timer_conf_write(s, n, v); break;
            case 0x08: cmp_write(s, n, v); break;
            default: break;
            }
        }
        break;
    }
}

/* Registers are 64 bits; 32-bit accesses reach either half (2.3.1). */
uint64_t hpet_mmio_read(void *opaque, uint64_t off, unsigned size)
{
    HPETState *s = opaque;
    uint64_t v = reg_read(s, off & ~7ull);
    unsigned shift = 8 * (off & 7);
    return (v >> shift) & mem_ones(size);
}

void hpet_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    HPETState *s = opaque;
    uint64_t reg = off & ~7ull;
    if (size == 8 && (off & 7) == 0) {
        reg_write(s, reg, val);
        return;
    }
    if (size != 4 || (off & 3)) {
        return; /* only 32- and 64-bit accesses are defined */
    }
    unsigned shift = 8 * (off & 7);
    uint64_t old;
    if (reg == REG_ISR) {
        old = 0; /* write-1-to-clear: the other half must not clear anything */
    } else if (reg >= REG_TIMER0 && (reg - REG_TIMER0) % TIMER_STRIDE == 0x08 &&
               reg < REG_TIMER0 + HPET_TIMERS * TIMER_STRIDE) {
        /* a half of the comparator: merge with the value software last wrote (in periodic
           mode the period) */
        HPETComparator *t = &s->t[(reg - REG_TIMER0) / TIMER_STRIDE];
        old = (t->config & TN_PERIODIC) && !(t->config & TN_VAL_SET) ? t->period : t->cmp;
    } else {
        old = reg_read(s, reg);
    }
    uint64_t v = (old & ~(0xffffffffull << shift)) | ((val & 0xffffffffull) << shift);
    reg_write(s, reg, v);
}

void hpet_reset(HPETState *s)
{
    drop_levels(s);
    s->config = 0;
    s->isr = 0;
    s->counter = 0;
    s->offset = 0;
    for (int n = 0; n < HPET_TIMERS; n++) {
        HPETComparator *t = &s->t[n];
        t->config = 0;
        /* 2.3.9: the comparators reset to all ones */
        t->cmp = ~0ull;
        t->period = 0;
        timer_del(&t->timer);
    }
}

int hpet_init(HPETState *s, AddressSpace *as, VClock *clock, IRQLine irq0, IRQLine irq8,
              IRQLine ioapic)
{
    static const TimerCB cbs[HPET_TIMERS] = {timer0_cb, timer1_cb, timer2_cb};
    s->clock = clock;
    s->legacy[0] = irq0;
    s->legacy[1] = irq8;
    s->ioapic = ioapic;
    s->out = 0;
    for (int n = 0; n < HPET_TIMERS; n++) {
        timer_init(&s->t[n].timer, clock, "hpet", cbs[n], s);
    }
    hpet_reset(s);
    if (as && as_add_mmio(as, "hpet", HPET_BASE, HPET_MMIO_SIZE, hpet_mmio_read, hpet_mmio_write,
                          s, 2) < 0) {
        return -1;
    }
    return 0;
}
