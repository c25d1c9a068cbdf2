/*
 * tests/unit/test_clock.c — the virtual clock, timers and the main loop (softmmu/clock.c,
 * machine_run in softmmu/machine.c).
 *
 * Expected values come from the rules DESIGN.md ("Time and determinism") sets: virtual time is
 * the retired-instruction count times 2^shift ns plus the time skipped while halted; a timer
 * fires at the first instruction boundary at or past its deadline; equal deadlines fire in the
 * order they were armed; a halted CPU with IF=1 jumps to the next deadline; HLT with IF=0 and
 * nothing to wake it ends the run with status 2. Interrupts in real mode go through the IVT
 * (SDM Vol. 3A 20.1.4) when IF=1 (SDM Vol. 3A 6.8.1).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "softmmu/machine.h"
#include "tests/unit/board.h"

/* ---- the clock alone ------------------------------------------------------------------------ */

typedef struct Rec {
    VClock *c;
    int n;
    char order[16];
    int64_t at[16];
    char tag;
    Timer *rearm;      /* re-arm this timer from the callback ... */
    int64_t period;    /* ... this much after its deadline */
    int64_t deadline;
} Rec;

static void rec_cb(void *opaque)
{
    Rec *r = opaque;
    r->order[r->n] = r->tag;
    r->at[r->n] = vclock_ns(r->c);
    r->n++;
    if (r->rearm) {
        r->deadline += r->period;
        timer_mod(r->rearm, r->deadline);
    }
}

/* A shared log for several timers: each Rec points at the same Log through `c` users. */
typedef struct Tagged {
    Rec *log;
    char tag;
} Tagged;

static void tagged_cb(void *opaque)
{
    Tagged *t = opaque;
    t->log->tag = t->tag;
    rec_cb(t->log);
}

START_TEST(test_time_from_icount)
{
    uint64_t icount = 0;
    VClock c;
    vclock_init(&c, &icount, NULL, 0);
    ck_assert_int_eq(vclock_ns(&c), 0);
    icount = 12345;
    ck_assert_int_eq(vclock_ns(&c), 12345); /* shift 0: one instruction, one nanosecond */
    vclock_init(&c, &icount, NULL, 3);
    ck_assert_int_eq(vclock_ns(&c), 12345 * 8); /* 2^3 ns each */
    /* idle time adds to the instruction time */
    vclock_idle_until(&c, 1000000);
    ck_assert_int_eq(vclock_ns(&c), 1000000);
    icount += 10;
    ck_assert_int_eq(vclock_ns(&c), 1000000 + 80);
    /* idling to a time already past changes nothing */
    vclock_idle_until(&c, 5);
    ck_assert_int_eq(vclock_ns(&c), 1000080);
}
END_TEST

START_TEST(test_time_inside_slice)
{
    /* during a slice, what is missing from the budget has run (the blocks charged it) */
    uint64_t icount = 100;
    CPUCommon cpu;
    memset(&cpu, 0, sizeof(cpu));
    VClock c;
    vclock_init(&c, &icount, &cpu, 0);
    c.slice = 1000;
    cpu.budget = 1000;
    ck_assert_int_eq(vclock_ns(&c), 100);
    cpu.budget = 700;
    ck_assert_int_eq(vclock_ns(&c), 400);
    /* a cpu_exit request parks the budget */
    cpu.exit_request = 1;
    cpu.budget_saved = 600;
    cpu.budget = INT64_MIN / 2;
    ck_assert_int_eq(vclock_ns(&c), 500);
    /* a refund (a block that faulted) never takes time back */
    cpu.budget_saved = 650;
    ck_assert_int_eq(vclock_ns(&c), 500);
}
END_TEST

static void count_cb(void *opaque)
{
    (*(int *)opaque)++;
}

START_TEST(test_timer_armed_inside_slice_ends_it)
{
    /* a device arms a timer from its I/O callback while a slice runs: a deadline before the
       slice's end must end the slice (cpu_exit), a later one must not */
    uint64_t icount = 0;
    CPUCommon cpu;
    memset(&cpu, 0, sizeof(cpu));
    VClock c;
    vclock_init(&c, &icount, &cpu, 0);
    c.slice = 10000;
    cpu.budget = 9000; /* 1000 instructions have run: now = 1000 ns, the slice ends at 10000 */
    int fired = 0;
    Timer late, soon;
    timer_init(&late, &c, "late", count_cb, &fired);
    timer_init(&soon, &c, "soon", count_cb, &fired);
    timer_mod(&late, 20000);
    ck_assert_int_eq(cpu.exit_request, 0);
    timer_mod(&soon, 1500);
    ck_assert_int_eq(cpu.exit_request, 1);
    ck_assert_int_eq(cpu.budget_saved, 9000); /* the real budget is parked, not lost */
}
END_TEST

START_TEST(test_timer_order)
{
    uint64_t icount = 0;
    VClock c;
    vclock_init(&c, &icount, NULL, 0);
    Rec log = {.c = &c};
    Timer t[4];
    Tagged tg[4];
    for (int i = 0; i < 4; i++) {
        tg[i] = (Tagged){&log, (char)('a' + i)};
        timer_init(&t[i], &c, "t", tagged_cb, &tg[i]);
        ck_assert(!timer_pending(&t[i]));
    }
    timer_mod(&t[0], 300);
    timer_mod(&t[1], 100);
    timer_mod(&t[2], 300); /* same deadline as a, armed later: fires after a */
    timer_mod(&t[3], 200);
    ck_assert_int_eq(vclock_next_deadline(&c), 100);
    /* re-arming moves a timer; deleting removes it */
    timer_mod(&t[1], 250);
    ck_assert_int_eq(vclock_next_deadline(&c), 200);
    timer_del(&t[3]);
    ck_assert(!timer_pending(&t[3]));
    timer_del(&t[3]); /* twice is harmless */
    ck_assert_int_eq(vclock_next_deadline(&c), 250);
    /* nothing is due yet */
    vclock_run_timers(&c);
    ck_assert_int_eq(log.n, 0);
    vclock_warp(&c, 1000);
    ck_assert_int_eq(log.n, 3);
    ck_assert(memcmp(log.order, "bac", 3) == 0);
    /* each fired at its own deadline */
    ck_assert_int_eq(log.at[0], 250);
    ck_assert_int_eq(log.at[1], 300);
    ck_assert_int_eq(log.at[2], 300);
    ck_assert_int_eq(vclock_ns(&c), 1000);
    ck_assert_int_eq(vclock_next_deadline(&c), -1);
}
END_TEST

START_TEST(test_periodic_rearm)
{
    uint64_t icount = 0;
    VClock c;
    vclock_init(&c, &icount, NULL, 0);
    Timer t;
    Rec r = {.c = &c, .rearm = &t, .period = 1000, .deadline = 1000, .tag = 'p'};
    timer_init(&t, &c, "periodic", rec_cb, &r);
    timer_mod(&t, 1000);
    vclock_warp(&c, 5500);
    ck_assert_int_eq(r.n, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(r.at[i], 1000 * (i + 1));
    }
    /* a timer due twice over by now fires twice in one run (it re-arms in the past) */
    icount = 2000; /* 5500 + 2000 = 7500: the deadlines 6000 and 7000 have passed */
    vclock_run_timers(&c);
    ck_assert_int_eq(r.n, 7);
    ck_assert_int_eq(vclock_next_deadline(&c), 8000);
}
END_TEST

START_TEST(test_slice_insns)
{
    uint64_t icount = 0;
    VClock c;
    vclock_init(&c, &icount, NULL, 0);
    ck_assert_int_eq(vclock_slice_insns(&c, 1000), 1000); /* no timer: the whole slice */
    Timer t;
    Rec r = {.c = &c};
    timer_init(&t, &c, "t", rec_cb, &r);
    timer_mod(&t, 250);
    ck_assert_int_eq(vclock_slice_insns(&c, 1000), 250);
    ck_assert_int_eq(vclock_slice_insns(&c, 100), 100);
    /* 4 ns per instruction: the first boundary at or past 250 ns is after 63 instructions */
    vclock_init(&c, &icount, NULL, 2);
    timer_init(&t, &c, "t", rec_cb, &r);
    timer_mod(&t, 250);
    ck_assert_int_eq(vclock_slice_insns(&c, 1000), 63);
    icount = 62; /* 248 ns */
    ck_assert_int_eq(vclock_slice_insns(&c, 1000), 1);
    icount = 63; /* 252 ns: due */
    vclock_run_timers(&c);
    ck_assert_int_eq(r.n, 1);
    ck_assert_int_eq(r.at[0], 252);
}
END_TEST

START_TEST(test_tick_conversion)
{
    /* the 8254's 1.193182 MHz: 1193182 ticks in one second, tick 1 at 838.09 ns -> 839 */
    ck_assert_int_eq(clock_ns_to_ticks(NANOSECONDS_PER_SECOND, 1193182), 1193182);
    ck_assert_int_eq(clock_ticks_to_ns(1, 1193182), 839);
    ck_assert_int_eq(clock_ns_to_ticks(838, 1193182), 0);
    ck_assert_int_eq(clock_ns_to_ticks(839, 1193182), 1);
    /* the RTC's 32.768 kHz: 1/32768 s = 30517.578125 ns */
    ck_assert_int_eq(clock_ticks_to_ns(32768, 32768), NANOSECONDS_PER_SECOND);
    ck_assert_int_eq(clock_ticks_to_ns(1, 32768), 30518);
    for (int64_t k = 0; k < 100000; k += 7) {
        int64_t ns = clock_ticks_to_ns(k, 1193182);
        ck_assert_int_eq(clock_ns_to_ticks(ns, 1193182), k);
        if (ns > 0) {
            ck_assert_int_eq(clock_ns_to_ticks(ns - 1, 1193182), k - 1);
        }
    }
}
END_TEST

/* ---- the main loop on tiny firmware --------------------------------------------------------- */

#define RAM_SIZE  (1u << 20)
#define BIOS_SIZE (64u << 10)

static char bios_path[64];

/* A firmware image of HLTs with `code` at the reset vector and `handler` at image offset 0
   (linear 0xF0000, F000:0000). */
static void write_bios(const uint8_t *code, size_t len, const uint8_t *handler, size_t hlen)
{
    uint8_t *img = malloc(BIOS_SIZE);
    memset(img, 0xf4, BIOS_SIZE);
    memcpy(img + BIOS_SIZE - 16, code, len);
    if (hlen) {
        memcpy(img, handler, hlen);
    }
    strcpy(bios_path, "/tmp/xlat-test-clock-XXXXXX");
    int fd = mkstemp(bios_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, img, BIOS_SIZE), (ssize_t)BIOS_SIZE);
    close(fd);
    free(img);
}

static Machine *new_machine(const char *accel, unsigned shift)
{
    MachineOptions o = {.ram_size = RAM_SIZE,
                        .bios = bios_path,
                        .accel = accel,
                        .debugcon = "none",
                        .code_cache_size = 4 << 20,
                        .debug_exit = true,
                        .debug_exit_iobase = 0xf4,
                        .debug_exit_iosize = 4,
                        .icount_shift = shift,
                        .rtc_base_set = true};
    Machine *mm = machine_create(&o);
    unlink(bios_path);
    ck_assert_ptr_nonnull(mm);
    return mm;
}


/* a timer that stops the machine and records when */
typedef struct Stopper {
    Machine *m;
    Timer t;
    uint64_t icount_at;
    int64_t ns_at;
    int status;
} Stopper;

static void stopper_cb(void *opaque)
{
    Stopper *s = opaque;
    s->icount_at = s->m->icount;
    s->ns_at = vclock_ns(&s->m->clock);
    machine_request_exit(s->m, s->status);
}

static void stopper_arm(Stopper *s, Machine *m, int64_t at, int status)
{
    s->m = m;
    s->status = status;
    timer_init(&s->t, &m->clock, "stopper", stopper_cb, s);
    timer_mod(&s->t, at);
}

/* inc ax / jmp short back to it: runs forever, one instruction after another */
static const uint8_t busy_loop[] = {0x40, 0xeb, 0xfd};

START_TEST(test_timer_at_exact_instruction)
{
    /* 1 ns per instruction: a deadline at 1234567 ns fires after exactly 1234567 instructions,
       although the loop's blocks are two instructions long (the slice ends mid-block) */
    write_bios(busy_loop, sizeof(busy_loop), NULL, 0);
    Machine *m = new_machine(test_accels[_i], 0);
    Stopper s;
    stopper_arm(&s, m, 1234567, 3);
    ck_assert_int_eq(machine_run(m), 3);
    ck_assert_uint_eq(s.icount_at, 1234567);
    ck_assert_int_eq(s.ns_at, 1234567);
    ck_assert_uint_eq(m->icount, 1234567);
    /* the loop incremented AX once per two instructions, starting with the INC */
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, (1234567 + 1) / 2 & 0xffff);
    machine_destroy(m);

    /* 8 ns per instruction: the first boundary at or past 1000001 ns is instruction 125001 */
    write_bios(busy_loop, sizeof(busy_loop), NULL, 0);
    m = new_machine(test_accels[_i], 3);
    stopper_arm(&s, m, 1000001, 3);
    ck_assert_int_eq(machine_run(m), 3);
    ck_assert_uint_eq(s.icount_at, 125001);
    ck_assert_int_eq(s.ns_at, 125001 * 8);
    machine_destroy(m);
}
END_TEST

/* an MMIO region that notes the virtual time of each access */
typedef struct Probe {
    Machine *m;
    int64_t ns[4];
    int n;
} Probe;

static uint64_t probe_read(void *opaque, uint64_t off, unsigned size)
{
    (void)off;
    (void)size;
    Probe *p = opaque;
    if (p->n < 4) {
        p->ns[p->n++] = vclock_ns(&p->m->clock);
    }
    return 0;
}

static void probe_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)val;
    probe_read(opaque, off, size);
}

START_TEST(test_mmio_sees_its_own_instruction)
{
    /* reset vector: jmp F000:0000, which holds
         mov ax, 0xd000 / mov ds, ax / mov al, [0] / 10 x nop / mov [0], al / hlt
       The two MMIO accesses are in one block (after the DS load); each must see the time at
       the end of its own instruction (the 4th and the 15th), not the block's end. */
    static const uint8_t reset[] = {0xea, 0x00, 0x00, 0x00, 0xf0};
    static const uint8_t code[] = {0xb8, 0x00, 0xd0, 0x8e, 0xd8, 0xa0, 0x00, 0x00,
                                   0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
                                   0xa2, 0x00, 0x00, 0xf4};
    write_bios(reset, sizeof(reset), code, sizeof(code));
    Machine *m = new_machine(test_accels[_i], 0);
    Probe p = {.m = m};
    ck_assert_int_ge(as_add_mmio(&m->mem, "probe", 0xd0000, 0x1000, probe_read, probe_write, &p,
                                 10),
                     0);
    machine_run(m);
    ck_assert_int_eq(p.n, 2);
    ck_assert_int_eq(p.ns[0], 4);
    ck_assert_int_eq(p.ns[1], 15);
    machine_destroy(m);
}
END_TEST

START_TEST(test_long_run_crosses_slices)
{
    /* past MACHINE_SLICE: the count stays exact across slices */
    write_bios(busy_loop, sizeof(busy_loop), NULL, 0);
    Machine *m = new_machine(test_accels[_i], 0);
    Stopper s;
    stopper_arm(&s, m, 3 * MACHINE_SLICE + 17, 5);
    ck_assert_int_eq(machine_run(m), 5);
    ck_assert_uint_eq(s.icount_at, 3 * MACHINE_SLICE + 17);
    machine_destroy(m);
}
END_TEST

START_TEST(test_halt_skips_to_deadline)
{
    /* sti / hlt / jmp back to hlt: the CPU sleeps; a timer 10 virtual seconds away stops it.
       Two instructions retire; the idle time costs no host time worth speaking of. */
    static const uint8_t code[] = {0xfb, 0xf4, 0xeb, 0xfd};
    write_bios(code, sizeof(code), NULL, 0);
    Machine *m = new_machine(test_accels[_i], 0);
    Stopper s;
    stopper_arm(&s, m, 10 * NANOSECONDS_PER_SECOND, 9);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(machine_run(m), 9);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_uint_eq(s.icount_at, 2);
    ck_assert_int_eq(s.ns_at, 10 * NANOSECONDS_PER_SECOND);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    ck_assert(wall < 0.5);
    machine_destroy(m);
}
END_TEST

START_TEST(test_halt_no_timer)
{
    /* sti / hlt, and nothing armed: nothing can wake the CPU */
    static const uint8_t code[] = {0xfb, 0xf4};
    write_bios(code, sizeof(code), NULL, 0);
    Machine *m = new_machine(test_accels[_i], 0);
    ck_assert_int_eq(machine_run(m), XLAT_EXIT_HALTED);
    machine_destroy(m);
}
END_TEST

START_TEST(test_halt_if0_with_timer)
{
    /* cli / hlt: only an NMI could end this HLT (SDM Vol. 3A 6.8.1: IF masks INTR); a timer
       armed further on does not change that */
    static const uint8_t code[] = {0xfa, 0xf4};
    write_bios(code, sizeof(code), NULL, 0);
    Machine *m = new_machine(test_accels[_i], 0);
    Stopper s;
    stopper_arm(&s, m, 1000, 9);
    ck_assert_int_eq(machine_run(m), XLAT_EXIT_HALTED);
    ck_assert_uint_eq(m->icount, 2);
    machine_destroy(m);
}
END_TEST

/* an interrupt source: raises INTR from a timer, acknowledged with vector 0x20 */
typedef struct Irq {
    Machine *m;
    Timer t;
    int acks;
    uint64_t ack_icount;
} Irq;

static void irq_cb(void *opaque)
{
    Irq *q = opaque;
    x86_cpu_set_intr(&q->m->cpu, true);
}

static int irq_ack(void *opaque)
{
    Irq *q = opaque;
    q->acks++;
    q->ack_icount = q->m->icount;
    x86_cpu_set_intr(&q->m->cpu, false);
    return 0x20;
}

START_TEST(test_interrupt_wakes_halt)
{
    /* sti / hlt / jmp back; vector 0x20 points at F000:0000: mov al,3 / out 0xf4,al (exit 7) */
    static const uint8_t code[] = {0xfb, 0xf4, 0xeb, 0xfd};
    static const uint8_t handler[] = {0xb0, 0x03, 0xe6, 0xf4};
    write_bios(code, sizeof(code), handler, sizeof(handler));
    Machine *m = new_machine(test_accels[_i], 0);
    m->ram[0x80] = 0x00; /* IVT entry 0x20: offset 0000, segment F000 */
    m->ram[0x81] = 0x00;
    m->ram[0x82] = 0x00;
    m->ram[0x83] = 0xf0;
    Irq q = {.m = m};
    timer_init(&q.t, &m->clock, "irq", irq_cb, &q);
    timer_mod(&q.t, 5 * NANOSECONDS_PER_SECOND);
    x86_cpu_set_intr_ack(&m->cpu, irq_ack, &q);
    ck_assert_int_eq(machine_run(m), 7);
    ck_assert_int_eq(q.acks, 1);
    ck_assert_uint_eq(q.ack_icount, 2); /* taken in the HLT, after sti and hlt */
    ck_assert_uint_eq(m->icount, 4);    /* and the handler's two instructions */
    /* and the OUT's bus cycle */
    ck_assert_int_eq(vclock_ns(&m->clock), 5 * NANOSECONDS_PER_SECOND + 2 + VCLOCK_IO_NS);
    /* the return frame: FLAGS (IF set), CS F000, IP of the jmp after hlt (SDM 20.1.4) */
    ck_assert_uint_eq(m->ram[0xfffa] | m->ram[0xfffb] << 8, 0xfff2);
    ck_assert_uint_eq(m->ram[0xfffc] | m->ram[0xfffd] << 8, 0xf000);
    ck_assert_uint_ne((m->ram[0xfffe] | m->ram[0xffff] << 8) & EFL_IF, 0);
    machine_destroy(m);
}
END_TEST

START_TEST(test_interrupt_at_exact_instruction)
{
    /* sti / busy loop: the interrupt is raised by a timer at 100001 ns and taken there, whatever
       the backend (the slice ends on that instruction boundary) */
    static const uint8_t code[] = {0xfb, 0x40, 0xeb, 0xfd};
    static const uint8_t handler[] = {0xb0, 0x03, 0xe6, 0xf4};
    write_bios(code, sizeof(code), handler, sizeof(handler));
    Machine *m = new_machine(test_accels[_i], 0);
    m->ram[0x83] = 0xf0;
    Irq q = {.m = m};
    timer_init(&q.t, &m->clock, "irq", irq_cb, &q);
    timer_mod(&q.t, 100001);
    x86_cpu_set_intr_ack(&m->cpu, irq_ack, &q);
    ck_assert_int_eq(machine_run(m), 7);
    ck_assert_uint_eq(q.ack_icount, 100001);
    ck_assert_uint_eq(m->icount, 100003);
    machine_destroy(m);
}
END_TEST

START_TEST(test_pacing_only_sleeps)
{
    /* pacing on: the guest sees the same instruction counts, and 50 ms of virtual idle time take
       at least 50 ms of wall time */
    static const uint8_t code[] = {0xfb, 0xf4, 0xeb, 0xfd};
    write_bios(code, sizeof(code), NULL, 0);
    Machine *m = new_machine(test_accels[_i], 0);
    m->clock.pace = true;
    Stopper s;
    stopper_arm(&s, m, 50 * 1000000, 9);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(machine_run(m), 9);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_uint_eq(s.icount_at, 2);
    ck_assert_int_eq(s.ns_at, 50 * 1000000);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    ck_assert(wall >= 0.049);
    machine_destroy(m);
}
END_TEST

static Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("vclock");
    tcase_add_test(tc, test_time_from_icount);
    tcase_add_test(tc, test_time_inside_slice);
    tcase_add_test(tc, test_timer_armed_inside_slice_ends_it);
    tcase_add_test(tc, test_timer_order);
    tcase_add_test(tc, test_periodic_rearm);
    tcase_add_test(tc, test_slice_insns);
    tcase_add_test(tc, test_tick_conversion);
    suite_add_tcase(s, tc);
    tc = tcase_create("main loop");
    tcase_add_loop_test(tc, test_timer_at_exact_instruction, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_long_run_crosses_slices, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_mmio_sees_its_own_instruction, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_halt_skips_to_deadline, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_halt_no_timer, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_halt_if0_with_timer, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_interrupt_wakes_halt, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_interrupt_at_exact_instruction, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_pacing_only_sleeps, 0, test_nb_accels);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(clock_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
