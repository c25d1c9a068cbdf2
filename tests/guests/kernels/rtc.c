/*
 * tests/guests/kernels/rtc.c — the MC146818 RTC's interrupts on IRQ 8 through the slave 8259,
 * against the HPET's clock: the periodic interrupt at 1024 Hz, the update-ended interrupt once
 * a second, and the alarm; register C's flags and its clearing on read. Counts are measured
 * against the HPET's main counter with tolerances that a qemu on a busy host's clock still
 * meets; the descriptions carry no measured values, so qemu's and xlat's lines compare equal.
 *
 * Facts from: the Motorola MC146818A datasheet (register A: DV2-0 = 010 for the 32.768 kHz
 * time base, RS3-0 = 0110 for 1024 Hz (976.562 us); register B: PIE, AIE, UIE, DM, 24/12;
 * register C: IRQF, PF, AF, UF, cleared when read; alarm bytes 0xC0-0xFF are "don't care").
 */
#include "pc.h"

enum { RTC_SEC = 0x00, RTC_SEC_ALARM = 0x01, RTC_MIN_ALARM = 0x03, RTC_HOUR_ALARM = 0x05,
       RTC_A = 0x0a, RTC_B = 0x0b, RTC_C = 0x0c };
enum { B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_DM = 0x04 };
enum { C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10 };

static uint8_t cmos_rd(uint8_t idx)
{
    outb(0x70, idx);
    return inb(0x71);
}
static void cmos_wr(uint8_t idx, uint8_t v)
{
    outb(0x70, idx);
    outb(0x71, v);
}

static volatile uint8_t c_seen;      /* register C as the last handler read it */
static volatile int pf, af, uf;      /* interrupts with each flag */
static volatile uint32_t af_time, uf_time;

static void on_rtc(int irq)
{
    (void)irq;
    uint8_t c = cmos_rd(RTC_C); /* reading C acknowledges the interrupt */
    c_seen = c;
    pf += (c & C_PF) != 0;
    if (c & C_AF) {
        af++;
        af_time = hpet_now();
    }
    if (c & C_UF) {
        uf++;
        uf_time = hpet_now();
    }
}

static int from_bcd(uint8_t v, bool binary) { return binary ? v : (v >> 4) * 10 + (v & 15); }
static uint8_t to_bcd(int v, bool binary) { return binary ? (uint8_t)v : (uint8_t)(v / 10 << 4 | v % 10); }

void kmain(void)
{
    tap_plan(7);
    bool hpet = hpet_start();
    tap_ok(hpet, "HPET main counter at 100 MHz as the reference clock");
    outb(0x43, 0x30); /* the 8254 quiet on IRQ 0 (masked anyway) */
    cmos_wr(RTC_B, cmos_rd(RTC_B) & ~(B_PIE | B_AIE | B_UIE));
    cmos_rd(RTC_C);
    irq_hook[8] = on_rtc;
    pic_setup(1u << 8);

    /* periodic interrupt at 1024 Hz: 103 interrupts are 102 periods, 99.6 ms (within 10%) */
    cmos_wr(RTC_A, 0x26);
    cmos_wr(RTC_B, cmos_rd(RTC_B) | B_PIE);
    wait_irqs(8, 1, 1000);
    uint32_t t0 = irq_time[8];
    int n = wait_irqs(8, 103, 1000);
    uint32_t dt = irq_time[8] - t0;
    cmos_wr(RTC_B, cmos_rd(RTC_B) & ~B_PIE);
    if (!tap_ok(n == 103 && dt >= 8964000u && dt <= 10956000u,
                "periodic interrupt, rate 0110b: 102 periods of 976.562 us (within 10%%)")) {
        tap_diag("%d interrupts, %u HPET ticks", n, dt);
    }
    /* (UF is set once a second whether or not UIE is: not looked at here) */
    tap_ok(pf == n && (c_seen & (C_IRQF | C_PF | C_AF)) == (C_IRQF | C_PF),
           "each periodic interrupt shows IRQF and PF in register C");
    /* rate 0000b stops the periodic flag; a read clears what was set */
    cmos_wr(RTC_A, 0x20);
    cmos_rd(RTC_C);
    uint8_t c2 = cmos_rd(RTC_C);
    cmos_wr(RTC_A, 0x26);
    tap_ok((c2 & (C_IRQF | C_PF)) == 0, "reading register C cleared IRQF and PF");

    /* update-ended interrupt: once a second */
    cmos_rd(RTC_C);
    irq_count[8] = 0;
    uf = 0;
    cmos_wr(RTC_B, cmos_rd(RTC_B) | B_UIE);
    wait_irqs(8, 1, 3000);
    uint32_t u0 = uf_time;
    wait_irqs(8, 2, 3000);
    uint32_t u1 = uf_time;
    cmos_wr(RTC_B, cmos_rd(RTC_B) & ~B_UIE);
    if (!tap_ok(uf == 2 && u1 - u0 >= 90000000u && u1 - u0 <= 110000000u,
                "update-ended interrupts one second apart (within 10%%)")) {
        tap_diag("%d interrupts, %u HPET ticks", uf, u1 - u0);
    }

    /* the alarm: right after an update, seconds + 2 with minutes and hours "don't care":
       one alarm interrupt two seconds later */
    bool binary = (cmos_rd(RTC_B) & B_DM) != 0;
    int sec = from_bcd(cmos_rd(RTC_SEC), binary);
    uint32_t a0 = uf_time;
    cmos_wr(RTC_SEC_ALARM, to_bcd((sec + 2) % 60, binary));
    cmos_wr(RTC_MIN_ALARM, 0xc0);
    cmos_wr(RTC_HOUR_ALARM, 0xc0);
    cmos_rd(RTC_C);
    irq_count[8] = 0;
    af = 0;
    cmos_wr(RTC_B, cmos_rd(RTC_B) | B_AIE);
    wait_irqs(8, 1, 4000);
    cmos_wr(RTC_B, cmos_rd(RTC_B) & ~B_AIE);
    uint32_t da = af_time - a0;
    if (!tap_ok(af == 1 && da >= 180000000u && da <= 220000000u,
                "alarm at seconds + 2: one interrupt two seconds after the update")) {
        tap_diag("%d alarms, %u HPET ticks", af, da);
    }
    tap_ok((c_seen & (C_IRQF | C_AF)) == (C_IRQF | C_AF), "the alarm interrupt shows IRQF and AF");
    outb(0xa1, 0xff);
}
