/*
 * hw/i8254.c — the Intel 8254 programmable interval timer at ports 0x40-0x43, and the PC's
 * system control port B at 0x61 (timer 2 gate, speaker data, refresh toggle, timer 2 output).
 *
 * Follows the Intel 8254 datasheet (order 231164): the control word, counter latch and
 * read-back commands, read/write of LSB, MSB or both, binary and BCD counting, and the six
 * modes with their GATE behaviour ("Mode Definitions", "Gate Pin Operations Summary"). Port
 * 0x61 follows the Intel 82371SB (PIIX3) datasheet, "NMI Status and Control Register": bit 0
 * timer 2 gate, bit 1 speaker data enable, bits 2-3 parity/IOCHK check enables (kept, no NMI
 * source yet), bit 4 the refresh cycle toggle (about every 15 us), bit 5 timer 2's OUT.
 *
 * The counters are not stepped: each channel keeps when its counting element was loaded and
 * with what, and its count and OUT at any CLK are computed from that (CLK ticks are counted on
 * the virtual clock at PIT_HZ). After a count is written the counting element is loaded by the
 * next CLK, and counting starts with the one after (datasheet, "Operation"): a count N written
 * during tick w is in the counting element at tick L = w + 1 and reads N - j at tick L + j.
 * The only timer is for the next change of channel 0's OUT, which drives IRQ 0. The datasheet
 * leaves the state before programming undefined; here a counter starts as if programmed for
 * mode 0 with no count written: OUT low and not counting, so nothing ticks until the guest
 * asks.
 *
 * Owns: PITState (three counters, port 0x61's bits, the IRQ 0 timer).
 */
#include <stddef.h>

#include "hw/i8254.h"

#define CTRL_BCD      0x01
#define REFRESH_NS    15085 /* PIIX3: the refresh toggle flips about every 15 us */
#define P61_GATE2     0x01
#define P61_OUT2      0x20
#define P61_REFRESH   0x10

static const VMStateField pit_fields[] = {
#define PIT_CHANNEL_FIELDS(i)                                                                      \
    VMSTATE_FIELD(PITState, ch[i].ctrl), VMSTATE_FIELD(PITState, ch[i].mode),                      \
        VMSTATE_FIELD(PITState, ch[i].gate), VMSTATE_FIELD(PITState, ch[i].state),                 \
        VMSTATE_FIELD(PITState, ch[i].null_count), VMSTATE_FIELD(PITState, ch[i].write_msb),       \
        VMSTATE_FIELD(PITState, ch[i].read_msb), VMSTATE_FIELD(PITState, ch[i].lsb),               \
        VMSTATE_FIELD(PITState, ch[i].ol_bytes), VMSTATE_FIELD(PITState, ch[i].status_latched),    \
        VMSTATE_FIELD(PITState, ch[i].status), VMSTATE_FIELD(PITState, ch[i].pre_load_out),        \
        VMSTATE_FIELD(PITState, ch[i].cr), VMSTATE_FIELD(PITState, ch[i].ol),                      \
        VMSTATE_FIELD(PITState, ch[i].frozen_ce), VMSTATE_FIELD(PITState, ch[i].n),                \
        VMSTATE_FIELD(PITState, ch[i].next_n), VMSTATE_FIELD(PITState, ch[i].load_tick),           \
        VMSTATE_FIELD(PITState, ch[i].reload_tick),                                                \
        VMSTATE_FIELD(PITState, ch[i].next_load_tick),                                             \
        VMSTATE_FIELD(PITState, ch[i].null_clear_tick), VMSTATE_FIELD(PITState, ch[i].run_base),   \
        VMSTATE_FIELD(PITState, ch[i].run_start)
    PIT_CHANNEL_FIELDS(0),
    PIT_CHANNEL_FIELDS(1),
    PIT_CHANNEL_FIELDS(2),
#undef PIT_CHANNEL_FIELDS
    VMSTATE_FIELD(PITState, port61),
    VMSTATE_FIELD(PITState, out0),
    VMSTATE_FIELD(PITState, irq_tick),
    VMSTATE_TIMER(PITState, irq_timer),
};
const VMStateDescription pit_vmstate = VMSTATE_DESC("i8254", 1, PITState, pit_fields);

static int64_t now_tick(PITState *s)
{
    return clock_ns_to_ticks(vclock_ns(s->clock), PIT_HZ);
}

/* ---- counts ----------------------------------------------------------------------------------- */

static bool is_bcd(const PITChannel *c)
{
    return c->ctrl & CTRL_BCD;
}

/* the counting element wraps modulo this (datasheet: binary 2^16, BCD 10^4) */
static int64_t modulus(const PITChannel *c)
{
    return is_bcd(c) ? 10000 : 65536;
}

/* the count a written value stands for: 0 is the maximum, 2^16 binary or 10^4 BCD */
static uint32_t count_of(const PITChannel *c, uint16_t cr)
{
    if (is_bcd(c)) {
        uint32_t v = (cr >> 12 & 15) * 1000 + (cr >> 8 & 15) * 100 + (cr >> 4 & 15) * 10 +
                     (cr & 15);
        return v ? v : 10000;
    }
    return cr ? cr : 65536;
}

/* a counting element value (any integer) as the 16 bits the guest reads */
static uint16_t ce_reg(const PITChannel *c, int64_t v)
{
    int64_t m = modulus(c);
    v %= m;
    if (v < 0) {
        v += m;
    }
    if (is_bcd(c)) {
        return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
    }
    return (uint16_t)v;
}

/* mode 3: OUT is high for the first (N + 1) / 2 CLKs of each period, low for the rest */
static int64_t high_len(uint32_t n)
{
    return ((int64_t)n + 1) / 2;
}

/* modes 0 and 4: decrementing CLKs since the load (GATE low stops them) */
static int64_t counted(const PITChannel *c, int64_t t)
{
    int64_t k = c->run_base;
    if (c->gate && t > c->run_start) {
        k += t - c->run_start;
    }
    return k;
}

/* Modes 2 and 3: a count written while counting takes over at the end of the current period
   (mode 2) or half-period (mode 3) (datasheet, "Mode 2", "Mode 3"). Applied when tick t is
   reached. */
static void sync(PITChannel *c, int64_t t)
{
    if (c->state == PIT_COUNTING && c->next_n && t >= c->reload_tick) {
        c->n = c->next_n;
        c->load_tick = c->next_load_tick;
        c->next_n = 0;
    }
}

/* the counting element at tick t (state synced to t) */
static uint16_t ce_at(const PITChannel *c, int64_t t)
{
    if (c->state != PIT_COUNTING || t < c->load_tick) {
        return c->frozen_ce;
    }
    int64_t j = t - c->load_tick;
    switch (c->mode) {
    case 0:
    case 4:
        return ce_reg(c, (int64_t)c->n - counted(c, t));
    case 1:
    case 5:
        return ce_reg(c, (int64_t)c->n - j);
    case 2:
        /* N, N-1, ..., 1, then reloaded with N */
        return ce_reg(c, (int64_t)c->n - j % c->n);
    default: {
        /* mode 3: even N counts N, N-2, ..., 2 in each half; odd N counts N-1, N-3, ..., 0 in
           the high half and N-1, ..., 2 in the low half */
        int64_t phase = j % c->n, h = high_len(c->n);
        int64_t in_half = phase < h ? phase : phase - h;
        return ce_reg(c, (int64_t)(c->n & ~1u) - 2 * in_half);
    }
    }
}

/* OUT at tick t (state synced to t), from the mode definitions */
static int out_at(const PITChannel *c, int64_t t)
{
    if (c->state == PIT_IDLE) {
        return c->mode != 0; /* mode 0: low after the control word; the others high */
    }
    if (c->state != PIT_COUNTING) {
        return 1; /* waiting for a trigger, or for GATE in modes 2 and 3 */
    }
    if (t < c->load_tick) {
        return c->pre_load_out;
    }
    int64_t j = t - c->load_tick;
    switch (c->mode) {
    case 0: /* low until terminal count, then high */
        return counted(c, t) >= c->n;
    case 1: /* low from the load for N CLKs */
        return j >= c->n;
    case 2: /* low for the one CLK at count 1 of each period (always, for the illegal N = 1) */
        return c->n != 1 && j % c->n != c->n - 1;
    case 3:
        return j % c->n < high_len(c->n);
    case 4: /* low for one CLK at terminal count */
        return counted(c, t) != c->n;
    default: /* 5 */
        return j != c->n;
    }
}

/* The first tick after t at which OUT differs from the tick before it, or -1 if never (while
   nothing is written). */
static int64_t next_change(const PITChannel *c, int64_t t)
{
    if (c->state != PIT_COUNTING) {
        return -1;
    }
    int64_t u = -1;
    int64_t from = t;
    if (t < c->load_tick) {
        if (out_at(c, c->load_tick) != c->pre_load_out) {
            return c->load_tick;
        }
        from = c->load_tick;
    }
    int64_t L = c->load_tick, n = c->n;
    switch (c->mode) {
    case 0:
    case 4:
        if (c->gate && c->run_base <= n) {
            int64_t tc = c->run_start + (n - c->run_base); /* counted(tc) == n */
            if (tc > from) {
                u = tc;
            } else if (c->mode == 4 && tc + 1 > from) {
                u = tc + 1;
            }
        }
        break;
    case 1:
    case 5:
        if (L + n > from) {
            u = L + n;
        } else if (c->mode == 5 && L + n + 1 > from) {
            u = L + n + 1;
        }
        break;
    case 2:
        if (n > 1) {
            int64_t base = from - (from - L) % n;
            u = base + n - 1 > from ? base + n - 1 : base + n;
        }
        break;
    default: {
        int64_t h = high_len((uint32_t)n);
        if (h < n) {
            int64_t phase = (from - L) % n, base = from - phase;
            u = phase < h ? base + h : base + n;
        }
        break;
    }
    }
    if (c->next_n && (u < 0 || u >= c->reload_tick)) {
        /* a new count takes over first: look from there with it */
        PITChannel after = *c;
        sync(&after, c->reload_tick);
        if (out_at(&after, c->reload_tick) != out_at(c, c->reload_tick - 1)) {
            return c->reload_tick;
        }
        return next_change(&after, c->reload_tick);
    }
    return u;
}

/* ---- channel 0 and IRQ 0 ------------------------------------------------------------------- */

/* Drive IRQ 0 with channel 0's OUT at tick t and arm the timer for its next change. */
static void update_irq(PITState *s, int64_t t)
{
    PITChannel *c = &s->ch[0];
    int out = out_at(c, t);
    if (out != s->out0) {
        s->out0 = (uint8_t)out;
        irq_set(&s->irq, out);
    }
    int64_t u = next_change(c, t);
    if (u < 0) {
        timer_del(&s->irq_timer);
    } else {
        s->irq_tick = u;
        timer_mod(&s->irq_timer, clock_ticks_to_ns(u, PIT_HZ));
    }
}

static void pit_irq_timer(void *opaque)
{
    PITState *s = opaque;
    /* at the tick it was armed for, not later: every edge reaches the PIC, in order */
    int64_t t = s->irq_tick;
    sync(&s->ch[0], t);
    update_irq(s, t);
}

static void changed(PITState *s, int i, int64_t t)
{
    if (i == 0) {
        update_irq(s, t);
    }
}

/* ---- programming ------------------------------------------------------------------------------ */

static void start_counting(PITChannel *c, uint32_t n, int64_t load, int pre_load_out)
{
    c->state = PIT_COUNTING;
    c->n = n;
    c->next_n = 0;
    c->load_tick = load;
    c->pre_load_out = (uint8_t)pre_load_out;
    c->run_base = 0;
    c->run_start = load;
    c->null_clear_tick = load;
}

/* A whole count has been written to the count register at tick t (datasheet, "Mode
   Definitions": what a new count does in each mode). */
static void count_written(PITChannel *c, int64_t t)
{
    uint32_t n = count_of(c, c->cr);
    c->null_count = 1;
    switch (c->mode) {
    case 0:
    case 4:
        /* loaded by the next CLK, also while counting; mode 0's OUT goes (or stays) low */
        c->frozen_ce = ce_at(c, t);
        start_counting(c, n, t + 1, c->mode == 0 ? 0 : out_at(c, t));
        break;
    case 1:
    case 5:
        /* loaded by the next trigger; a one-shot under way is not disturbed */
        if (c->state == PIT_IDLE) {
            c->state = PIT_WAIT_TRIGGER;
        }
        c->null_clear_tick = INT64_MAX;
        break;
    default:
        if (c->state == PIT_COUNTING && t >= c->load_tick) {
            /* the current period (mode 2) or half-period (mode 3) is finished first */
            int64_t cur = c->n, phase = (t - c->load_tick) % cur, base = t - phase;
            if (c->mode == 2) {
                c->reload_tick = c->next_load_tick = base + cur;
            } else if (phase < high_len((uint32_t)cur)) {
                /* OUT goes low with the new count's low half */
                c->reload_tick = base + high_len((uint32_t)cur);
                c->next_load_tick = c->reload_tick - high_len(n);
            } else {
                c->reload_tick = c->next_load_tick = base + cur;
            }
            c->next_n = n;
            c->null_clear_tick = c->reload_tick;
        } else if (c->state == PIT_COUNTING || c->gate) {
            start_counting(c, n, t + 1, 1);
        } else {
            c->state = PIT_WAIT_GATE; /* counting starts on GATE's rising edge */
            c->null_clear_tick = INT64_MAX;
        }
        break;
    }
}

static void control_word(PITState *s, uint8_t val, int64_t t)
{
    int sc = val >> 6;
    if (sc == 3) {
        /* read-back command (datasheet, "Read-Back Command"): bits 3-1 select counters 2-0;
           bit 5 = 0 latches their counts, bit 4 = 0 their status; a second latch before the
           first is read is ignored */
        for (int i = 0; i < 3; i++) {
            if (!(val & (2 << i))) {
                continue;
            }
            PITChannel *c = &s->ch[i];
            PITChannel v = *c;
            sync(&v, t);
            if (!(val & 0x20) && !c->ol_bytes) {
                c->ol = ce_at(&v, t);
                c->ol_bytes = ((c->ctrl >> 4) & 3) == 3 ? 2 : 1;
            }
            if (!(val & 0x10) && !c->status_latched) {
                int null = c->null_count && t < c->null_clear_tick;
                c->status = (uint8_t)(out_at(&v, t) << 7 | null << 6 | c->ctrl);
                c->status_latched = 1;
            }
        }
        return;
    }
    PITChannel *c = &s->ch[sc];
    sync(c, t);
    if ((val & 0x30) == 0) {
        /* counter latch command */
        if (!c->ol_bytes) {
            c->ol = ce_at(c, t);
            c->ol_bytes = ((c->ctrl >> 4) & 3) == 3 ? 2 : 1;
        }
        return;
    }
    /* a new mode: all control logic is reset and OUT goes to its initial state; the counting
       element stops where it is */
    c->frozen_ce = ce_at(c, t);
    c->ctrl = val & 0x3f;
    c->mode = (val >> 1) & 7;
    if (c->mode > 5) {
        c->mode -= 4; /* M2 is a don't-care for modes 2 and 3 */
    }
    c->state = PIT_IDLE;
    c->null_count = 1;
    c->null_clear_tick = INT64_MAX;
    c->next_n = 0;
    c->write_msb = c->read_msb = 0;
    c->ol_bytes = 0;
    c->status_latched = 0;
    changed(s, sc, t);
}

static void set_gate(PITState *s, int i, int level, int64_t t)
{
    PITChannel *c = &s->ch[i];
    sync(c, t);
    if (level == c->gate) {
        return;
    }
    if (level) {
        c->gate = 1;
        switch (c->mode) {
        case 0:
        case 4: /* counting resumes with the next CLK (and never before the load) */
            c->run_start = t > c->load_tick ? t : c->load_tick;
            break;
        case 1:
        case 5: /* a trigger: the count register is loaded by the next CLK */
            if (c->state != PIT_IDLE) {
                int out = out_at(c, t);
                start_counting(c, count_of(c, c->cr), t + 1, out);
            }
            break;
        default: /* modes 2, 3: counting starts again from the count register */
            if (c->state != PIT_IDLE) {
                start_counting(c, count_of(c, c->cr), t + 1, 1);
            }
            break;
        }
    } else {
        switch (c->mode) {
        case 0:
        case 4: /* counting stops */
            c->run_base = counted(c, t);
            break;
        case 2:
        case 3: /* counting stops and OUT goes high at once */
            if (c->state == PIT_COUNTING) {
                c->frozen_ce = ce_at(c, t);
                c->state = PIT_WAIT_GATE;
                c->next_n = 0;
            }
            break;
        default: /* modes 1, 5: GATE only triggers */
            break;
        }
        c->gate = 0;
    }
    changed(s, i, t);
}

/* ---- ports ------------------------------------------------------------------------------------ */

static uint64_t pit_read(void *opaque, uint64_t off, unsigned size)
{
    PITState *s = opaque;
    (void)size;
    if (off == 3) {
        return 0xff; /* the control word register cannot be read: the bus floats */
    }
    PITChannel *c = &s->ch[off];
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    int rw = (c->ctrl >> 4) & 3;
    if (c->ol_bytes) {
        if (rw == 3 && c->ol_bytes == 2) {
            c->ol_bytes = 1;
            return c->ol & 0xff;
        }
        c->ol_bytes = 0;
        return rw == 2 || rw == 3 ? c->ol >> 8 : c->ol & 0xff;
    }
    int64_t t = now_tick(s);
    PITChannel v = *c;
    sync(&v, t);
    uint16_t ce = ce_at(&v, t);
    if (rw == 3) {
        c->read_msb ^= 1;
        return c->read_msb ? ce & 0xff : ce >> 8;
    }
    return rw == 2 ? ce >> 8 : ce & 0xff;
}

static void pit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PITState *s = opaque;
    (void)size;
    int64_t t = now_tick(s);
    uint8_t b = (uint8_t)val;
    if (off == 3) {
        control_word(s, b, t);
        return;
    }
    PITChannel *c = &s->ch[off];
    sync(c, t);
    switch ((c->ctrl >> 4) & 3) {
    case 1:
        c->cr = b;
        break;
    case 2:
        c->cr = (uint16_t)(b << 8);
        break;
    default:
        if (!c->write_msb) {
            c->lsb = b;
            c->write_msb = 1;
            if (c->mode == 0) {
                /* mode 0: the first byte stops counting and OUT goes low at once */
                c->frozen_ce = ce_at(c, t);
                c->state = PIT_IDLE;
                changed(s, (int)off, t);
            }
            return;
        }
        c->write_msb = 0;
        c->cr = (uint16_t)(c->lsb | b << 8);
        break;
    }
    count_written(c, t);
    changed(s, (int)off, t);
}

static uint64_t port61_read(void *opaque, uint64_t off, unsigned size)
{
    PITState *s = opaque;
    (void)off;
    (void)size;
    int64_t ns = vclock_ns(s->clock);
    uint8_t v = s->port61 & 0x0f;
    if ((ns / REFRESH_NS) & 1) {
        v |= P61_REFRESH;
    }
    if (pit_get_out(s, 2)) {
        v |= P61_OUT2;
    }
    return v;
}

static void port61_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PITState *s = opaque;
    (void)off;
    (void)size;
    s->port61 = (uint8_t)val & 0x0f;
    set_gate(s, 2, (val & P61_GATE2) != 0, now_tick(s));
}

int pit_get_out(PITState *s, int channel)
{
    int64_t t = now_tick(s);
    PITChannel v = s->ch[channel];
    sync(&v, t);
    return out_at(&v, t);
}

void pit_reset(PITState *s)
{
    for (int i = 0; i < 3; i++) {
        /* as if programmed for mode 0, LSB then MSB, binary, with no count yet (OUT low, so
           the first programming gives IRQ 0 a clean edge); channels 0 and 1 have GATE tied
           high on the PC, channel 2's follows port 0x61 bit 0 */
        s->ch[i] = (PITChannel){.ctrl = 0x30, .mode = 0, .gate = i != 2, .state = PIT_IDLE,
                                .null_count = 1, .null_clear_tick = INT64_MAX};
    }
    s->port61 = 0;
    timer_del(&s->irq_timer);
    if (s->out0) {
        s->out0 = 0;
        irq_set(&s->irq, 0);
    }
}

int pit_init(PITState *s, IOSpace *io, VClock *clock, IRQLine irq0)
{
    *s = (PITState){.clock = clock, .irq = irq0};
    timer_init(&s->irq_timer, clock, "i8254", pit_irq_timer, s);
    pit_reset(s);
    if (io_register(io, "i8254", 0x40, 4, pit_read, pit_write, s) < 0 ||
        io_register(io, "port61", 0x61, 1, port61_read, port61_write, s) < 0) {
        return -1;
    }
    return 0;
}
