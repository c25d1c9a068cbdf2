/*
 * tests/guests/kernels/pit.c — the 8254 on IRQ 0 through the 8259, against the HPET's clock:
 * channel 0 in mode 2 (rate generator), mode 3 (square wave) and mode 0 (interrupt on terminal
 * count), plus the counter latch. Interrupts are counted against the HPET's main counter, not
 * against an assumed CPU speed, with tolerances that a qemu on a busy host's clock still
 * meets; the descriptions carry no measured values, so qemu's and xlat's lines compare equal.
 *
 * Facts from: the Intel 8254 datasheet (control word, modes 0, 2 and 3, counter latch command;
 * input clock 1.193182 MHz on the PC) and the 8259A datasheet (pc.h).
 */
#include "pc.h"

#define PIT_HZ 1193182u
/* 10 ms and 20 ms of 8254 clocks */
#define COUNT_10MS 11932u
#define COUNT_20MS 23864u

static void pit_load(uint8_t mode, uint16_t count)
{
    outb(0x43, (uint8_t)(0x30 | mode << 1)); /* channel 0, LSB then MSB, binary */
    outb(0x40, (uint8_t)count);
    outb(0x40, (uint8_t)(count >> 8));
}

/* HPET ticks for ten periods of a periodic mode, from the 1st interrupt to the 11th */
static uint32_t ten_periods(uint8_t mode)
{
    irq_count[0] = 0;
    pit_load(mode, COUNT_10MS);
    wait_irqs(0, 1, 1000);
    uint32_t t0 = irq_time[0];
    int n = wait_irqs(0, 11, 1000);
    return n == 11 ? irq_time[0] - t0 : 0;
}

void kmain(void)
{
    tap_plan(6);
    bool hpet = hpet_start();
    tap_ok(hpet, "HPET main counter at 100 MHz as the reference clock");
    /* stop channel 0 (mode 0 without a count holds OUT low) before the PICs start listening */
    outb(0x43, 0x30);
    pic_setup(1u << 0);

    /* mode 2: one interrupt per period; ten periods of 10 ms are 100 ms (within 10%) */
    uint32_t ten = ten_periods(2);
    if (!tap_ok(ten >= 90 * HPET_TICKS_PER_MS && ten <= 110 * HPET_TICKS_PER_MS,
                "mode 2, count 11932: ten interrupts take 100 ms (within 10%%)")) {
        tap_diag("%u HPET ticks", ten);
    }

    /* mode 3: one interrupt per period (the rising edge of the square wave) */
    ten = ten_periods(3);
    if (!tap_ok(ten >= 90 * HPET_TICKS_PER_MS && ten <= 110 * HPET_TICKS_PER_MS,
                "mode 3, count 11932: ten interrupts take 100 ms (within 10%%)")) {
        tap_diag("%u HPET ticks", ten);
    }

    /* counter latch (control word 00xx0000b) in mode 2: a value within the count, and the
       counter goes down between two latches (without reading the wrong byte order) */
    outb(0x43, 0x00);
    uint16_t c1 = inb(0x40);
    c1 |= (uint16_t)(inb(0x40) << 8);
    for (volatile int i = 0; i < 2000; i++) {
    }
    outb(0x43, 0x00);
    uint16_t c2 = inb(0x40);
    c2 |= (uint16_t)(inb(0x40) << 8);
    if (!tap_ok(c1 >= 1 && c1 <= COUNT_10MS && c2 >= 1 && c2 <= COUNT_10MS,
                "counter latch reads a count between 1 and the initial count")) {
        tap_diag("%u, %u", c1, c2);
    }

    /* mode 0: OUT rises once, at terminal count: one interrupt 20 ms after the count is
       written (the lower bound is what matters; the upper one leaves room for latency), then
       none in the next 40 ms */
    irq_count[0] = 0;
    uint32_t t0 = hpet_now();
    pit_load(0, COUNT_20MS);
    int n = wait_irqs(0, 1, 200);
    uint32_t dt = irq_time[0] - t0;
    if (!tap_ok(n == 1 && dt >= 19 * HPET_TICKS_PER_MS && dt <= 30 * HPET_TICKS_PER_MS,
                "mode 0, count 23864: the interrupt comes 20 ms after the count is written")) {
        tap_diag("%d interrupts, %u HPET ticks", n, dt);
    }
    run_for(40);
    tap_ok(irq_count[0] == 1, "mode 0: no further interrupt after terminal count");
    outb(0x21, 0xff);
}
