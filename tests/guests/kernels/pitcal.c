/*
 * tests/guests/kernels/pitcal.c — Linux's fast TSC calibration against PIT channel 2
 * (arch/x86/kernel/tsc.c, quick_pit_calibrate), as a test of PIT and TSC timing together.
 *
 * Channel 2 counts down from 0xFFFF in mode 0 with its gate high (port 0x61 bit 0); the MSB
 * then changes every 256 PIT clocks (1.193182 MHz, 8254 datasheet). The loop reads the MSB until
 * it changes and takes the TSC each time; it succeeds when the TSC uncertainty of two MSB edges
 * is below 1/2048 of the TSC time between them, within 233 edges (50 ms). That needs the PIT to
 * be loaded before the first read-back (one I/O cycle after the count is written: the kernel
 * counts on port I/O taking about a microsecond) and reads that take real time. The TSC rate
 * found must be the TSC's own (the CPU model's 1 GHz virtual TSC, checked against 1 GHz within
 * 0.1%). qemu runs on the host clock and usually gives up (its log says "Fast TSC calibration
 * failed"), hence the deviation marks.
 */
#include "libk.h"

#define PIT_HZ 1193182u
#define ITERATIONS 233 /* the kernel's QUICK_PIT_ITERATIONS: 50 ms of MSB edges */

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static bool msb_is(uint8_t val)
{
    inb(0x42); /* LSB */
    return inb(0x42) == val;
}

/* wait for the MSB to leave val; *tsc: the last TSC read while it was val, *err: the
   uncertainty (TSC ticks between that read and the one after the change) */
static bool expect_msb(uint8_t val, uint64_t *tsc, uint64_t *err)
{
    uint64_t t = 0, prev = 0;
    int count;
    for (count = 0; count < 50000; count++) {
        if (!msb_is(val)) {
            break;
        }
        prev = t;
        t = rdtsc();
    }
    *err = rdtsc() - prev;
    *tsc = t;
    return count > 5;
}

void kmain(void)
{
    tap_plan(2);
    outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate 2 high, speaker off */
    outb(0x43, 0xb0);                       /* channel 2, LSB then MSB, mode 0, binary */
    outb(0x42, 0xff);
    outb(0x42, 0xff);
    msb_is(0); /* one read-back: the count is loaded at the next PIT clock */

    uint64_t tsc0, d1, t, d2;
    int edges = 0;
    bool first = expect_msb(0xff, &tsc0, &d1);
    if (first) {
        for (int i = 1; i < ITERATIONS; i++) {
            if (!expect_msb((uint8_t)(0xff - i), &t, &d2)) {
                break;
            }
            uint64_t delta = t - tsc0;
            if (d1 + d2 >= delta >> 11) {
                continue;
            }
            if (msb_is((uint8_t)(0xfe - i))) {
                edges = i;
            }
            break;
        }
    }
    tap_ok(edges > 0, "the fast calibration converges (known QEMU deviation)");
    /* TSC ticks over i * 256 PIT clocks (32-bit division: no libgcc here; 50 ms of a 1 GHz
       TSC is 5e7 ticks, times 1193 still fits in 64 bits and the quotient in 32) */
    uint32_t khz = 0;
    if (edges) {
        uint64_t num = (t - tsc0) * (PIT_HZ / 1000);
        uint32_t den = (uint32_t)edges * 256, hi = (uint32_t)(num >> 32), lo = (uint32_t)num, q, r;
        asm("divl %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi % den), "rm"(den));
        (void)r;
        khz = q;
    }
    tap_ok(khz > 999000 && khz < 1001000,
           "it finds the 1 GHz TSC within 0.1%% (known QEMU deviation)");
    tap_diag("%d MSB edges, TSC %u kHz", edges, khz);
}
