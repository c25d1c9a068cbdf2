/*
 * softmmu/clock.c — the virtual clock, timers, and pacing to the wall clock (see clock.h).
 *
 * Owns: the mapping from retired instructions to virtual nanoseconds, the ordered list of armed
 * timers, and the pacing state. This is the only place in xlat, besides the start-up time of
 * the RTC (softmmu/main.c), that reads the host's clock, and it only uses it to decide how long
 * to sleep.
 */
#include <assert.h>
#include <time.h>

#include "softmmu/clock.h"

static const VMStateField vclock_fields[] = {
    VMSTATE_FIELD(VClock, idle_ns),
    VMSTATE_FIELD(VClock, last_ns),
};
const VMStateDescription vclock_vmstate = VMSTATE_DESC("vclock", 1, VClock, vclock_fields);

void vclock_init(VClock *c, const uint64_t *icount, const CPUCommon *cpu, unsigned shift)
{
    assert(shift <= VCLOCK_MAX_SHIFT);
    *c = (VClock){.icount = icount, .cpu = cpu, .shift = shift};
}

int64_t vclock_peek_ns(const VClock *c)
{
    uint64_t insns = c->icount ? *c->icount : 0;
    if (c->slice && c->cpu) {
        /* Inside a slice: every block charged its whole instruction count at entry, and port
           I/O ends its block, so what is missing from the slice's budget is exact at an I/O
           instruction. A cpu_exit request parks the real budget in budget_saved. */
        int64_t left = c->cpu->exit_request ? c->cpu->budget_saved : c->cpu->budget;
        insns += (uint64_t)(c->slice - left - c->block_rest);
    }
    int64_t ns = (int64_t)(insns << c->shift) + c->idle_ns;
    /* A block that faults refunds the instructions it did not retire; a device that looked at
       the clock earlier in that block (an MMIO access, later) must not see time go back. */
    return ns < c->last_ns ? c->last_ns : ns;
}

int64_t vclock_ns(VClock *c)
{
    c->last_ns = vclock_peek_ns(c);
    return c->last_ns;
}

void timer_init(Timer *t, VClock *c, const char *name, TimerCB cb, void *opaque)
{
    *t = (Timer){.expire = -1, .clock = c, .cb = cb, .opaque = opaque, .name = name};
}

static void timer_unlink(Timer *t)
{
    for (Timer **p = &t->clock->armed; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->next = NULL;
    t->expire = -1;
}

void timer_mod(Timer *t, int64_t expire)
{
    assert(t->clock);
    if (expire < 0) {
        expire = 0;
    }
    if (timer_pending(t)) {
        timer_unlink(t);
    }
    t->expire = expire;
    /* after every timer due at the same time or earlier: equal deadlines fire in arming order */
    Timer **p = &t->clock->armed;
    while (*p && (*p)->expire <= expire) {
        p = &(*p)->next;
    }
    t->next = *p;
    *p = t;
    /* Armed from inside a running slice (a device's I/O callback) for a time before the slice
       ends: the slice must end sooner, or the timer would fire late. The CPU leaves translated
       code after the current block, and the main loop sizes the next slice to the deadline. */
    VClock *c = t->clock;
    if (c->slice && c->cpu) {
        int64_t end = (int64_t)((*c->icount + (uint64_t)c->slice) << c->shift) + c->idle_ns;
        if (expire < end) {
            cpu_exit((CPUCommon *)c->cpu);
        }
    }
}

void timer_del(Timer *t)
{
    if (timer_pending(t)) {
        timer_unlink(t);
    }
}

int64_t vclock_next_deadline(const VClock *c)
{
    return c->armed ? c->armed->expire : -1;
}

void vclock_run_timers(VClock *c)
{
    int64_t now = vclock_ns(c);
    while (c->armed && c->armed->expire <= now) {
        Timer *t = c->armed;
        c->armed = t->next;
        t->next = NULL;
        t->expire = -1;
        t->cb(t->opaque);
    }
}

int64_t vclock_slice_insns(VClock *c, int64_t max)
{
    int64_t d = vclock_next_deadline(c);
    if (d < 0) {
        return max;
    }
    int64_t now = vclock_ns(c);
    if (d <= now) {
        return 1; /* due already (armed during the last slice): fire after one instruction */
    }
    /* the first instruction count whose time reaches the deadline */
    int64_t unit = (int64_t)1 << c->shift;
    int64_t n = (d - now + unit - 1) >> c->shift;
    return n < max ? n : max;
}

void vclock_idle_until(VClock *c, int64_t t)
{
    int64_t now = vclock_ns(c);
    if (t > now) {
        c->idle_ns += t - now;
        c->last_ns = t;
    }
}

void vclock_io_cycle(VClock *c)
{
    c->idle_ns += VCLOCK_IO_NS;
    /* the slice was sized for a deadline in instructions; time just moved without any */
    int64_t d = vclock_next_deadline(c);
    if (d >= 0 && c->slice && c->cpu) {
        int64_t end = (int64_t)((*c->icount + (uint64_t)c->slice) << c->shift) + c->idle_ns;
        if (d < end) {
            cpu_exit((CPUCommon *)c->cpu);
        }
    }
}

void vclock_warp(VClock *c, int64_t t)
{
    for (;;) {
        int64_t d = vclock_next_deadline(c);
        if (d < 0 || d > t) {
            break;
        }
        vclock_idle_until(c, d);
        vclock_run_timers(c);
    }
    vclock_idle_until(c, t);
}

static int64_t host_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

int64_t vclock_pace_wait_ns(VClock *c)
{
    if (!c->pace) {
        return 0;
    }
    int64_t virt = vclock_ns(c);
    int64_t wall = host_monotonic_ns();
    if (!c->pace_started) {
        c->pace_started = true;
        c->pace_wall0 = wall;
        c->pace_virt0 = virt;
        return 0;
    }
    int64_t ahead = (virt - c->pace_virt0) - (wall - c->pace_wall0);
    return ahead > 0 ? ahead : 0;
}
