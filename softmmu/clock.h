/*
 * softmmu/clock.h — the virtual clock and its timers (DESIGN.md, "Time and determinism").
 *
 * Virtual time is derived from the retired-instruction count: one instruction is 2^shift ns
 * (-icount shift=N, default 0: one instruction per nanosecond), plus the time skipped while the
 * CPU was halted waiting for the next timer, plus the bus time of port I/O (VCLOCK_IO_NS per
 * access, as a PC's I/O cycles take about a microsecond). Nothing else moves it, so the same run gives the
 * same times, instruction for instruction; the wall clock is only looked at to pace the guest
 * (vclock_pace_wait_ns), which sleeps and never changes what the guest sees.
 *
 * Timers are deadlines in virtual nanoseconds, kept in one list ordered by deadline (timers due
 * at the same time fire in the order they were armed). machine_run sizes each CPU slice so that
 * it ends on the first instruction at or past the next deadline, then fires what is due: a
 * timer fires at an exact instruction count, the same on every run and every backend.
 *
 * A device embeds its Timer in its state struct (so the deadline is part of its snapshot):
 *     timer_init(&s->timer, clock, "i8254", pit_timer_cb, s);
 *     timer_mod(&s->timer, vclock_ns(clock) + 1000000);   // in 1 ms of virtual time
 *     timer_del(&s->timer);
 * A device reads the time with vclock_ns; from inside an I/O callback that is the time at the end
 * of the instruction doing the I/O (port I/O ends its translated block: cpu/translate-system.c;
 * an MMIO access in the middle of a block discounts the block's instructions after it).
 */
#ifndef XLAT_SOFTMMU_CLOCK_H
#define XLAT_SOFTMMU_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "softmmu/snapshot.h"
#include "tcg/cpu-common.h"

#define NANOSECONDS_PER_SECOND 1000000000ll

typedef struct VClock VClock;
typedef void (*TimerCB)(void *opaque);

typedef struct Timer {
    int64_t expire; /* deadline in virtual ns; -1 when not armed (the only field that is state) */
    VClock *clock;
    TimerCB cb;
    void *opaque;
    const char *name;
    struct Timer *next; /* in the clock's armed list */
} Timer;

struct VClock {
    /* where the time comes from: the machine's retired-instruction count, and the CPU whose
       running slice has consumed part of its budget (NULL: no CPU, e.g. a device unit test) */
    const uint64_t *icount;
    const CPUCommon *cpu;
    int64_t slice;   /* the budget the running slice was given; 0 between slices */
    /* during an MMIO access from translated code: the instructions of the running block after
       the accessing one, charged at block entry but not run yet (softmmu/tlb.c) */
    int64_t block_rest;
    unsigned shift;  /* one instruction = 2^shift ns */
    int64_t idle_ns; /* virtual time not counted in instructions: halted, or in I/O cycles */
    int64_t last_ns; /* the latest time handed out, so time never runs backwards */
    Timer *armed;    /* ordered by expire, then by arming order */
    /* pacing to the host's wall clock (no effect on the guest) */
    bool pace;
    bool pace_started;
    int64_t pace_wall0, pace_virt0;
};

/* The largest -icount shift: 2^10 ns = about 1 MIPS of virtual speed. */
#define VCLOCK_MAX_SHIFT 10

/* the clock's own state: the skipped idle time and the monotonic floor */
extern const VMStateDescription vclock_vmstate;

void vclock_init(VClock *c, const uint64_t *icount, const CPUCommon *cpu, unsigned shift);
/* Now, in virtual nanoseconds since the machine was created. */
int64_t vclock_ns(VClock *c);
/* The same without recording it as handed out (for reports: no effect on the state). */
int64_t vclock_peek_ns(const VClock *c);

void timer_init(Timer *t, VClock *c, const char *name, TimerCB cb, void *opaque);
/* Arm (or re-arm) the timer for virtual time `expire` (a time in the past fires at once, at the
   next point where timers run). */
void timer_mod(Timer *t, int64_t expire);
void timer_del(Timer *t);
static inline bool timer_pending(const Timer *t)
{
    return t->expire >= 0;
}

/* The earliest deadline, or -1 when no timer is armed. */
int64_t vclock_next_deadline(const VClock *c);
/* Fire every timer whose deadline has passed, earliest first (callbacks may re-arm timers;
   one due again by now fires again in the same call). */
void vclock_run_timers(VClock *c);
/* Instructions the CPU may run before the next deadline: enough to reach it (at least 1), at
   most `max`. */
int64_t vclock_slice_insns(VClock *c, int64_t max);
/* The CPU is halted: let virtual time jump forward to `t` (no instruction runs meanwhile). */
void vclock_idle_until(VClock *c, int64_t t);
/* A port access from the CPU: its bus cycle takes VCLOCK_IO_NS. On a PC an I/O cycle to the
   chipset or an ISA device takes about a microsecond, and guests count on it: Linux reads the
   PIT back once "to wait for the next edge" before its fast TSC calibration (a 1 ns access
   would read the counter before it is loaded), and its io_delay writes port 0x80 as a ~1 us
   delay. Ends the running slice if a timer falls due. */
#define VCLOCK_IO_NS 1000
void vclock_io_cycle(VClock *c);
/* Move virtual time to `t` as an idle CPU would, firing each timer due on the way at its own
   deadline. For tests of devices and for the idle path of the main loop. */
void vclock_warp(VClock *c, int64_t t);

/* Pacing (-rtc clock=host, -icount sleep=on): nanoseconds the host should wait now so that
   virtual time does not run ahead of wall time since the first call; 0 when pacing is off. */
int64_t vclock_pace_wait_ns(VClock *c);

/* Conversions for devices counting a clock of `hz` from virtual time 0: the number of whole
   periods elapsed at time ns (floor), and the first time at which `ticks` periods have elapsed
   (ceiling). clock_ns_to_ticks(clock_ticks_to_ns(k, hz), hz) == k. */
static inline int64_t clock_ns_to_ticks(int64_t ns, uint64_t hz)
{
    return (int64_t)((unsigned __int128)(uint64_t)ns * hz / (uint64_t)NANOSECONDS_PER_SECOND);
}
static inline int64_t clock_ticks_to_ns(int64_t ticks, uint64_t hz)
{
    unsigned __int128 p = (unsigned __int128)(uint64_t)ticks * (uint64_t)NANOSECONDS_PER_SECOND;
    return (int64_t)((p + hz - 1) / hz);
}

#endif
