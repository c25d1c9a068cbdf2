/*
 * tests/guests/kernels/nmi.c — NMI delivery: self IPIs with the NMI delivery mode through the
 * local APIC's ICR reach vector 2 whatever IF says, and NMIs are blocked from the delivery of
 * one until the next IRET, so a handler is never entered twice at once; the NMI that came
 * during the handler is taken right after its IRET.
 *
 * Facts from: Intel SDM Vol. 3A 6.7 and 6.7.1 (NMI: vector 2, not masked by IF, blocked until
 * the next IRET), 10.6.1 (ICR: delivery mode 100b NMI, the vector field ignored; physical
 * destination; delivery status), 6.12.1.2 (an interrupt gate clears IF).
 */
#include "libk.h"

#define APIC_BASE 0xfee00000u
enum { APIC_ID = 0x20, APIC_SVR = 0xf0, APIC_ICR_LO = 0x300, APIC_ICR_HI = 0x310 };

static inline uint32_t apic_rd(uint32_t off) { return *(volatile uint32_t *)(APIC_BASE + off); }
static inline void apic_wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(APIC_BASE + off) = v; }

/* an NMI to this CPU: physical destination = its APIC ID, no shorthand, delivery mode NMI */
static void self_nmi(void)
{
    apic_wr(APIC_ICR_HI, apic_rd(APIC_ID) & 0xff000000u);
    apic_wr(APIC_ICR_LO, 4u << 8);
}

static volatile int nmis, depth, max_depth, resend;
static volatile int count_after_resend; /* nmis as the handler saw it right after re-sending */
static volatile uint32_t handler_if;

static void on_nmi(struct excp_frame *f)
{
    (void)f;
    depth++;
    if (depth > max_depth) {
        max_depth = depth;
    }
    nmis++;
    handler_if = read_eflags() & EFL_IF;
    if (resend) {
        resend = 0;
        self_nmi(); /* blocked until this handler's IRET */
        for (volatile int i = 0; i < 1000; i++) {
        }
        count_after_resend = nmis;
    }
    depth--;
}

void kmain(void)
{
    tap_plan(5);
    idt_set_gate(2, GATE_INT32, 0, true);
    excp_hook[2] = on_nmi;
    apic_wr(APIC_SVR, 0x1ff);

    /* with IF = 0: an NMI is not maskable */
    asm volatile("cli" ::: "memory");
    self_nmi();
    for (volatile int i = 0; i < 1000; i++) {
    }
    tap_ok(nmis == 1, "a self NMI IPI is delivered with IF = 0");
    tap_ok(handler_if == 0, "through an interrupt gate: IF = 0 in the NMI handler");
    tap_ok((apic_rd(APIC_ICR_LO) & (1u << 12)) == 0, "ICR delivery status idle after sending");

    /* an NMI raised inside the handler waits for its IRET */
    nmis = 0;
    resend = 1;
    self_nmi();
    for (volatile int i = 0; i < 1000; i++) {
    }
    tap_ok(count_after_resend == 1 && max_depth == 1,
           "an NMI during the NMI handler is held until its IRET");
    tap_ok(nmis == 2, "the held NMI is taken after the IRET");
}
