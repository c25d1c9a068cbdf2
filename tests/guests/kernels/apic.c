/*
 * tests/guests/kernels/apic.c — the local APIC, the I/O APIC and the HPET seen from a guest:
 * registers after reset, a self IPI and the TPR, the APIC timer in one-shot and periodic mode
 * measured against the HPET's main counter, and HPET comparators interrupting through the
 * I/O APIC (legacy route to pin 2, and a routed pin). Interrupts are counted against the HPET's
 * time, never against an assumed speed, so the checks hold on qemu (host time) and on xlat
 * (virtual time) alike; the descriptions carry no measured values.
 *
 * Facts from: Intel SDM Vol. 3A chapter 10 (10.4.4 IA32_APIC_BASE, 10.4.8 version, 10.6.1 ICR,
 * 10.8.3.1 TPR, 10.8.5 EOI, 10.5.4 timer), the 82093AA datasheet (3.2.2 IOAPICVER, 3.2.4
 * redirection table) and the IA-PC HPET specification 1.0a (2.3.4-2.3.9).
 */
#include "libk.h"

#define APIC_BASE 0xfee00000u
#define IOAPIC_BASE 0xfec00000u
#define HPET_BASE 0xfed00000u

static inline uint32_t mmio_rd(uint32_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_wr(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static uint32_t apic_rd(uint32_t off) { return mmio_rd(APIC_BASE + off); }
static void apic_wr(uint32_t off, uint32_t v) { mmio_wr(APIC_BASE + off, v); }
static uint32_t ioapic_rd(uint32_t idx)
{
    mmio_wr(IOAPIC_BASE, idx);
    return mmio_rd(IOAPIC_BASE + 0x10);
}
static void ioapic_wr(uint32_t idx, uint32_t v)
{
    mmio_wr(IOAPIC_BASE, idx);
    mmio_wr(IOAPIC_BASE + 0x10, v);
}
static uint32_t hpet_rd(uint32_t off) { return mmio_rd(HPET_BASE + off); }
static void hpet_wr(uint32_t off, uint32_t v) { mmio_wr(HPET_BASE + off, v); }
/* the low half of the main counter: enough for windows under 42 s */
static uint32_t hpet_now(void) { return hpet_rd(0xf0); }

static inline uint64_t rdmsr(uint32_t idx)
{
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(idx));
    return (uint64_t)hi << 32 | lo;
}

enum { V_IPI = 0x40, V_IPI_LOW = 0x45, V_TIMER = 0x30, V_HPET0 = 0x50, V_HPET2 = 0x51 };
enum { APIC_EOI = 0xb0, APIC_TPR = 0x80, APIC_SVR = 0xf0, APIC_ICR_LO = 0x300,
       APIC_ICR_HI = 0x310, APIC_LVT_TIMER = 0x320, APIC_TIMER_ICR = 0x380,
       APIC_TIMER_DCR = 0x3e0 };

static volatile int count[256];
static volatile uint32_t ipi_isr_in_handler;

static void on_ipi(struct excp_frame *f)
{
    (void)f;
    count[V_IPI]++;
    ipi_isr_in_handler = apic_rd(0x100 + 0x10 * (V_IPI / 32)) >> (V_IPI % 32) & 1;
    /* no EOI here: the test checks the ISR before and after its own EOI */
}

static void on_counted(struct excp_frame *f)
{
    count[f->vector]++;
    apic_wr(APIC_EOI, 0);
}

/* IF = 1 for a while (a loop: many instruction boundaries), then IF = 0 */
static void window(void)
{
    asm volatile("sti\n\t"
                 "movl $1000, %%ecx\n"
                 "1:\tdecl %%ecx\n\t"
                 "jnz 1b\n\t"
                 "cli"
                 :
                 :
                 : "ecx", "memory", "cc");
}

/* halt with IF = 1 until count[v] reaches n */
static void wait_count(int v, int n)
{
    while (count[v] < n) {
        asm volatile("sti; hlt; cli" ::: "memory");
    }
}

/* spin with IF = 1 until the HPET counter has advanced by `ticks` from `t0` */
static void spin_until(uint32_t t0, uint32_t ticks)
{
    asm volatile("sti" ::: "memory");
    while (hpet_now() - t0 < ticks) {
    }
    asm volatile("cli" ::: "memory");
}

void kmain(void)
{
    tap_plan(12);
    /* Firmware may have left the 8254 ticking on IRQ 0 (qemu runs SeaBIOS first), which shares
       I/O APIC pin 2 with the HPET's legacy route and the qemu route of timer 2: mode 0 without
       a count holds its output low (8254 datasheet, mode 0). */
    outb(0x43, 0x30);
    for (int v = 0x30; v < 0x60; v++) {
        idt_set_gate(v, GATE_INT32, 0, true);
        excp_hook[v] = on_counted;
    }
    excp_hook[V_IPI] = on_ipi;

    /* 10.4.4: the default base, enabled, this is the bootstrap processor */
    uint64_t base = rdmsr(0x1b);
    tap_ok((base & 0xfffff000u) == APIC_BASE && (base & (1u << 11)) && (base & (1u << 8)),
           "IA32_APIC_BASE: base 0xFEE00000, enabled, BSP");
    /* 10.4.8: an integrated APIC (0x1X) with six LVT entries */
    tap_ok(apic_rd(0x30) == 0x00050014u, "local APIC version 0x14, max LVT entry 5");

    apic_wr(APIC_SVR, 0x1ff); /* software enable, spurious vector 0xFF (10.9) */
    apic_wr(APIC_TPR, 0);

    /* 10.6.1: a fixed IPI to self, taken when IF = 1 */
    apic_wr(APIC_ICR_HI, 0);
    apic_wr(APIC_ICR_LO, V_IPI | (1u << 18));
    int before = count[V_IPI];
    window();
    tap_ok(before == 0 && count[V_IPI] == 1 && ipi_isr_in_handler == 1,
           "self IPI (fixed, vector 0x40) taken once with IF = 1, in service in its handler");
    apic_wr(APIC_EOI, 0);
    tap_ok((apic_rd(0x100 + 0x10 * (V_IPI / 32)) >> (V_IPI % 32) & 1) == 0,
           "EOI takes vector 0x40 out of service");

    /* 10.8.3.1: the TPR holds off classes at or below its own */
    apic_wr(APIC_TPR, 0x50);
    apic_wr(APIC_ICR_LO, V_IPI_LOW | (1u << 18));
    window();
    int held = count[V_IPI_LOW] == 0;
    apic_wr(APIC_TPR, 0);
    window();
    tap_ok(held && count[V_IPI_LOW] == 1, "TPR 0x50 holds vector 0x45; TPR 0 lets it in");

    /* HPET 2.3.4: 10^7 fs (100 MHz), at least three comparators, legacy route capable */
    uint32_t cap_lo = hpet_rd(0x00), cap_hi = hpet_rd(0x04);
    tap_ok(cap_hi == 10000000u && ((cap_lo >> 8) & 0x1f) >= 2 && (cap_lo & (1u << 15)),
           "HPET: 100 MHz counter, at least 3 comparators, legacy replacement capable");
    /* 2.3.5, 2.3.7: the counter runs only while ENABLE_CNF is set */
    hpet_wr(0x10, 0);
    hpet_wr(0xf0, 0);
    hpet_wr(0xf4, 0);
    uint32_t c0 = hpet_now();
    hpet_wr(0x10, 1);
    window();
    uint32_t c1 = hpet_now();
    hpet_wr(0x10, 0);
    uint32_t c2 = hpet_now();
    window();
    uint32_t c3 = hpet_now();
    tap_ok(c0 == 0 && c1 > 0 && c2 >= c1 && c3 == c2,
           "HPET main counter runs when enabled and stops when halted");
    hpet_wr(0x10, 1);

    /* 82093AA 3.2.2: maximum redirection entry 23 */
    tap_ok(((ioapic_rd(0x01) >> 16) & 0xff) == 23, "I/O APIC has 24 redirection entries");

    /* 10.5.4: the timer's rate against the HPET, from the current-count register of a long
       masked one-shot (divide by 16: DCR 0011b), so that interrupt latency plays no part */
    apic_wr(APIC_TIMER_DCR, 0x3);
    apic_wr(APIC_LVT_TIMER, 0x10000 | V_TIMER);
    apic_wr(APIC_TIMER_ICR, 0xffffffffu);
    uint32_t a0 = apic_rd(0x390), h0 = hpet_now();
    spin_until(h0, 2000000); /* 20 ms */
    uint32_t a1 = apic_rd(0x390), h1 = hpet_now();
    apic_wr(APIC_TIMER_ICR, 0);
    /* HPET ticks per 625000 APIC counts (10 ms at qemu's and xlat's 1 GHz / 16: long
       enough that host scheduling on qemu stays well inside the tolerance) */
    uint32_t per1000 = (a0 - a1) / 1000 ? (a0 - a1) / 1000 : 1; /* 32-bit arithmetic only */
    uint32_t one = (h1 - h0) * 625 / per1000;

    /* one-shot of 625000 counts: one interrupt */
    apic_wr(APIC_LVT_TIMER, V_TIMER);
    apic_wr(APIC_TIMER_ICR, 625000);
    wait_count(V_TIMER, 1);
    spin_until(hpet_now(), 3 * one);
    tap_ok(count[V_TIMER] == 1 && one > 0, "APIC timer one-shot interrupts once");

    /* periodic: from the first interrupt to the eleventh, ten periods (within 10%) */
    apic_wr(APIC_LVT_TIMER, V_TIMER | (1u << 17));
    count[V_TIMER] = 0;
    apic_wr(APIC_TIMER_ICR, 625000);
    wait_count(V_TIMER, 1);
    uint32_t t0 = hpet_now();
    wait_count(V_TIMER, 11);
    uint32_t ten = hpet_now() - t0;
    apic_wr(APIC_TIMER_ICR, 0);
    apic_wr(APIC_LVT_TIMER, 0x10000 | V_TIMER);
    if (!tap_ok(ten >= 9 * one && ten <= 11 * one,
                "APIC timer periodic: 10 periods of 625000 counts at the measured rate (within "
                "10%%)")) {
        tap_diag("one period %u ticks, ten periods %u ticks", one, ten);
    }

    /* HPET timer 0, periodic, 32-bit, legacy route: I/O APIC pin 2 (2.3.5 LEG_RT_CNF) */
    ioapic_wr(0x10 + 2 * 2 + 1, 0);
    ioapic_wr(0x10 + 2 * 2, V_HPET0); /* fixed, edge, physical, unmasked */
    const uint32_t period = 1000000;  /* 10 ms */
    hpet_wr(0x10, 3);
    hpet_wr(0x100, (1u << 2) | (1u << 3) | (1u << 6) | (1u << 8));
    t0 = hpet_now();
    hpet_wr(0x108, t0 + period); /* VAL_SET: the comparator ... */
    hpet_wr(0x108, period);      /* ... then the period */
    spin_until(t0, 10 * period + period / 2);
    hpet_wr(0x100, 0);
    int n0 = count[V_HPET0];
    /* qemu paces to the host's clock: allow a lost period under load */
    tap_ok(n0 >= 8 && n0 <= 11, "HPET timer 0 periodic through the legacy route: about 10 "
                                "interrupts in 10 periods (8 to 11)");
    if (n0 < 8 || n0 > 11) {
        tap_diag("%d interrupts", n0);
    }
    ioapic_wr(0x10 + 2 * 2, 0x10000);
    hpet_wr(0x10, 1);
    outb(0x43, 0x30); /* qemu restarts the 8254 when the legacy route ends */

    /* HPET timer 2, one-shot, routed to the first I/O APIC pin its Tn_INT_ROUTE_CAP offers
       (2.3.8; xlat offers 20-23, qemu pin 2) */
    uint32_t route_cap = hpet_rd(0x144);
    int pin = -1;
    for (int p = 0; p < 24; p++) {
        if (route_cap & (1u << p)) {
            pin = p;
            break;
        }
    }
    if (pin >= 0) {
        ioapic_wr(0x10 + 2 * pin + 1, 0);
        ioapic_wr(0x10 + 2 * pin, V_HPET2);
        /* the comparator first, then the enable, so no earlier match can count */
        hpet_wr(0x140, (1u << 8) | ((uint32_t)pin << 9));
        t0 = hpet_now();
        hpet_wr(0x148, t0 + 100000);
        hpet_wr(0x140, (1u << 2) | (1u << 8) | ((uint32_t)pin << 9));
        spin_until(t0, 300000);
        hpet_wr(0x140, 0);
        ioapic_wr(0x10 + 2 * pin, 0x10000);
    }
    if (!tap_ok(pin >= 0 && count[V_HPET2] == 1,
                "HPET timer 2 one-shot through a routed I/O APIC pin interrupts once")) {
        tap_diag("route capability %08x, pin %d, %d interrupts", route_cap, pin, count[V_HPET2]);
    }
    hpet_wr(0x10, 0);
}
