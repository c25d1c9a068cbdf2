/*
 * tests/unit/test_apic.c — the local APIC (hw/apic.c), driven through its MMIO callbacks and
 * MSR accessors as a guest does, on a virtual clock the test moves by hand, with the INTR pin,
 * the INTA cycle, the 8259's INTA and the EOI broadcast observed directly.
 *
 * Expected values come from the Intel SDM Vol. 3A chapter 10; each test names the section.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/apic.h"

static uint64_t icount;
static VClock clk;
static AddressSpace as;
static APICState apic;
static int intr;
static int pic_acks, eois, last_eoi, remaps;

static void intr_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    intr = level;
}
static int fake_pic_ack(void *opaque)
{
    (void)opaque;
    pic_acks++;
    return 0x08;
}
static void eoi_handler(void *opaque, int v)
{
    (void)opaque;
    eois++;
    last_eoi = v;
}
static void remapped(void *opaque)
{
    (void)opaque;
    remaps++;
}

static uint32_t rd(uint32_t off)
{
    return (uint32_t)as_read(&as, (apic.base_msr & ~0xfffull) + off, 4);
}
static void wr(uint32_t off, uint32_t v)
{
    as_write(&as, (apic.base_msr & ~0xfffull) + off, v, 4);
}
static uint64_t rdmsr(uint32_t i)
{
    uint64_t v = 0;
    ck_assert(apic_read_msr(&apic, i, &v));
    return v;
}

static void setup(void)
{
    memset(&as, 0, sizeof(as));
    memset(&apic, 0, sizeof(apic));
    icount = 0;
    vclock_init(&clk, &icount, NULL, 0);
    intr = pic_acks = eois = last_eoi = remaps = 0;
    ck_assert_int_eq(apic_init(&apic, &as, &clk, irq_line(intr_handler, NULL, 0)), 0);
    apic.extint_ack = fake_pic_ack;
    apic.eoi = eoi_handler;
    apic.remapped = remapped;
}

static void teardown(void)
{
}

static void sw_enable(void)
{
    wr(0xf0, 0x1ff); /* SVR: spurious vector 0xFF, APIC software enabled */
}

/* 10.4.7.1: the power-up state; 10.4.8 version; 10.4.4 IA32_APIC_BASE */
START_TEST(test_reset_state)
{
    ck_assert_uint_eq(rdmsr(0x1b), 0xfee00900u);
    ck_assert_uint_eq(rd(0x30), 0x00050014u);
    ck_assert_uint_eq(rd(0x20), 0);
    ck_assert_uint_eq(rd(0xe0), 0xffffffffu);
    ck_assert_uint_eq(rd(0xf0), 0xff);
    ck_assert_uint_eq(rd(0x80), 0);
    ck_assert_uint_eq(rd(0x320), 0x10000); /* timer masked */
    ck_assert_uint_eq(rd(0x350), 0x700);   /* LINT0: ExtINT, the virtual wire */
    ck_assert_uint_eq(rd(0x360), 0x10000);
    ck_assert_uint_eq(rd(0x370), 0x10000);
    ck_assert_int_eq(intr, 0);
}
END_TEST

/* 10.5.1 ExtINT: the 8259's INTR through LINT0; the vector comes from its INTA */
START_TEST(test_virtual_wire)
{
    apic_set_lint(&apic, 0, 1);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(apic_intack(&apic), 0x08);
    ck_assert_int_eq(pic_acks, 1);
    apic_set_lint(&apic, 0, 0);
    ck_assert_int_eq(intr, 0);
    /* masking LINT0 cuts the 8259 off (software enabled, so the mask can be cleared later) */
    sw_enable();
    wr(0x350, 0x10700);
    apic_set_lint(&apic, 0, 1);
    ck_assert_int_eq(intr, 0);
    wr(0x350, 0x700);
    ck_assert_int_eq(intr, 1);
}
END_TEST

/* 10.4.3: a globally disabled APIC leaves LINT0 as the INTR pin */
START_TEST(test_global_disable_passes_intr)
{
    ck_assert(apic_write_msr(&apic, 0x1b, 0xfee00000u));
    ck_assert_uint_eq(rd(0x30), 0xffffffffu); /* the page is not decoded */
    apic_set_lint(&apic, 0, 1);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(apic_intack(&apic), 0x08);
}
END_TEST

/* 10.6.1 self IPI, 10.8.4 IRR -> ISR at INTA, 10.8.5 EOI */
START_TEST(test_fixed_ipi_to_self)
{
    sw_enable();
    wr(0x300, 0x40 | (1u << 18)); /* fixed, shorthand self */
    ck_assert_int_eq(intr, 1);
    ck_assert_uint_eq(rd(0x200 + 0x20), 1u); /* IRR bit 0x40 */
    ck_assert_int_eq(apic_intack(&apic), 0x40);
    ck_assert_int_eq(intr, 0);
    ck_assert_uint_eq(rd(0x200 + 0x20), 0);
    ck_assert_uint_eq(rd(0x100 + 0x20), 1u); /* ISR bit 0x40 */
    ck_assert_uint_eq(rd(0xa0), 0x40);       /* PPR = ISRV class */
    wr(0xb0, 0);
    ck_assert_uint_eq(rd(0x100 + 0x20), 0);
    ck_assert_uint_eq(rd(0xa0), 0);
    ck_assert_int_eq(eois, 0); /* edge: no broadcast */
    /* physical destination 0 (our ID), no shorthand */
    wr(0x310, 0);
    wr(0x300, 0x41);
    ck_assert_int_eq(apic_intack(&apic), 0x41);
    /* all excluding self reaches nobody */
    wr(0x300, 0x42 | (3u << 18));
    ck_assert_uint_eq(rd(0x200 + 0x20), 0);
}
END_TEST

/* 10.8.3.1: TPR and ISR set the PPR; only a higher priority class is delivered */
START_TEST(test_priorities)
{
    sw_enable();
    wr(0x80, 0x50);
    ck_assert_uint_eq(rd(0xa0), 0x50);
    wr(0x300, 0x45 | (1u << 18));
    ck_assert_int_eq(intr, 0); /* class 4 <= 5 */
    wr(0x300, 0x5f | (1u << 18));
    ck_assert_int_eq(intr, 0); /* class 5 is not above 5 */
    wr(0x300, 0x61 | (1u << 18));
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(apic_intack(&apic), 0x61);
    ck_assert_uint_eq(rd(0xa0), 0x60);
    ck_assert_int_eq(intr, 0);
    wr(0x80, 0);
    ck_assert_int_eq(intr, 0); /* ISR class 6 holds off 5 and 4 */
    wr(0xb0, 0);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(apic_intack(&apic), 0x5f); /* the highest first */
    wr(0xb0, 0);
    ck_assert_int_eq(apic_intack(&apic), 0x45);
}
END_TEST

/* 10.9: INTR raised, then the TPR raised before INTA: the spurious vector, nothing in service */
START_TEST(test_spurious)
{
    wr(0xf0, 0x1ef);
    wr(0x300, 0x45 | (1u << 18));
    ck_assert_int_eq(intr, 1);
    apic.tpr = 0xf0; /* as if written between the pin and the INTA cycle */
    ck_assert_int_eq(apic_intack(&apic), 0xef);
    ck_assert_uint_eq(rd(0x100 + 0x20), 0);
}
END_TEST

/* 10.4.7.2: software disable masks the LVT, and the masks stay set */
START_TEST(test_software_disable)
{
    sw_enable();
    wr(0x320, 0x30);
    ck_assert_uint_eq(rd(0x320), 0x30);
    wr(0xf0, 0xff);
    ck_assert_uint_eq(rd(0x320), 0x10030);
    wr(0x320, 0x31);
    ck_assert_uint_eq(rd(0x320), 0x10031);
}
END_TEST

/* 10.5.4: one-shot timer, divide by 1 (DCR 1011b), current count */
START_TEST(test_timer_oneshot)
{
    sw_enable();
    wr(0x3e0, 0xb);
    wr(0x320, 0x30);
    wr(0x380, 1000);
    vclock_warp(&clk, 400);
    ck_assert_uint_eq(rd(0x390), 600);
    vclock_warp(&clk, 999);
    ck_assert_int_eq(intr, 0);
    vclock_warp(&clk, 1000);
    ck_assert_int_eq(intr, 1);
    ck_assert_uint_eq(rd(0x390), 0);
    ck_assert_int_eq(apic_intack(&apic), 0x30);
    wr(0xb0, 0);
    vclock_warp(&clk, 100000);
    ck_assert_int_eq(intr, 0); /* one shot only */
    /* a write of 0 to the initial count stops the timer */
    wr(0x380, 500);
    wr(0x380, 0);
    vclock_warp(&clk, 200000);
    ck_assert_int_eq(intr, 0);
}
END_TEST

/* 10.5.4: periodic mode reloads from the initial count; Figure 10-10 divide by 2 (DCR 0) */
START_TEST(test_timer_periodic)
{
    sw_enable();
    wr(0x3e0, 0x0);
    wr(0x320, 0x20031);
    wr(0x380, 100); /* 100 counts of 2 ns */
    int fired = 0;
    for (int64_t t = 0; t <= 2000; t += 10) {
        vclock_warp(&clk, t);
        if (intr) {
            ck_assert_int_eq(t % 200, 0);
            ck_assert_int_eq(apic_intack(&apic), 0x31);
            wr(0xb0, 0);
            fired++;
        }
    }
    ck_assert_int_eq(fired, 10);
    vclock_warp(&clk, 2050);
    ck_assert_uint_eq(rd(0x390), 75);
    /* divide by 128 (DCR 1010b) */
    ck_assert_uint_eq(timer_pending(&apic.timer), 1);
    wr(0x3e0, 0xa);
    ck_assert_uint_eq(rd(0x3e0), 0xa);
}
END_TEST

/* masked timer entry: counts, but no interrupt (10.5.1 mask) */
START_TEST(test_timer_masked)
{
    sw_enable();
    wr(0x3e0, 0xb);
    wr(0x320, 0x10030);
    wr(0x380, 50);
    vclock_warp(&clk, 100);
    ck_assert_int_eq(intr, 0);
    ck_assert_uint_eq(rd(0x390), 0);
}
END_TEST

/* 10.5.4.1: TSC-deadline mode, IA32_TSC_DEADLINE (0x6E0) */
START_TEST(test_timer_tsc_deadline)
{
    sw_enable();
    ck_assert(apic_write_msr(&apic, 0x6e0, 1234));
    ck_assert_uint_eq(rdmsr(0x6e0), 0); /* other modes: reads 0, writes ignored */
    wr(0x320, 0x40032);
    wr(0x380, 10); /* initial count is ignored in this mode */
    ck_assert_uint_eq(rd(0x380), 0);
    ck_assert(apic_write_msr(&apic, 0x6e0, 5000));
    ck_assert_uint_eq(rdmsr(0x6e0), 5000);
    vclock_warp(&clk, 4999);
    ck_assert_int_eq(intr, 0);
    vclock_warp(&clk, 5000);
    ck_assert_int_eq(intr, 1);
    ck_assert_uint_eq(rdmsr(0x6e0), 0); /* reset to 0 when it fires */
    ck_assert_int_eq(apic_intack(&apic), 0x32);
    wr(0xb0, 0);
    /* writing 0 disarms */
    ck_assert(apic_write_msr(&apic, 0x6e0, 9000));
    ck_assert(apic_write_msr(&apic, 0x6e0, 0));
    vclock_warp(&clk, 10000);
    ck_assert_int_eq(intr, 0);
    /* leaving the mode disarms too */
    ck_assert(apic_write_msr(&apic, 0x6e0, 12000));
    wr(0x320, 0x32);
    vclock_warp(&clk, 13000);
    ck_assert_int_eq(intr, 0);
}
END_TEST

/* 10.5.3: errors show in the ESR after the next write; the error LVT entry signals them */
START_TEST(test_esr)
{
    sw_enable();
    wr(0x370, 0x3e);
    wr(0x300, 0x05 | (1u << 18)); /* illegal vector sent */
    ck_assert_uint_eq(rd(0x280), 0);
    wr(0x280, 0);
    ck_assert_uint_eq(rd(0x280), 0x20);
    wr(0x280, 0);
    ck_assert_uint_eq(rd(0x280), 0);
    ck_assert_int_eq(apic_intack(&apic), 0x3e);
}
END_TEST

/* 10.8.4/10.8.5: a level-triggered message sets TMR, and its EOI is broadcast */
START_TEST(test_level_eoi_broadcast)
{
    sw_enable();
    apic_deliver(&apic, 0, false, APIC_DM_FIXED, 0x50, true);
    ck_assert_uint_eq(rd(0x180 + 0x20), 1u << 16);
    ck_assert_int_eq(apic_intack(&apic), 0x50);
    wr(0xb0, 0);
    ck_assert_int_eq(eois, 1);
    ck_assert_int_eq(last_eoi, 0x50);
    /* not for us: physical destination 3 */
    apic_deliver(&apic, 3, false, APIC_DM_FIXED, 0x51, false);
    ck_assert_int_eq(intr, 0);
    /* logical, flat model: LDR bit 0 */
    wr(0xd0, 0x01000000);
    apic_deliver(&apic, 0x01, true, APIC_DM_LOWEST, 0x52, false);
    ck_assert_int_eq(apic_intack(&apic), 0x52);
    /* ExtINT message: the vector comes from the 8259 */
    apic_deliver(&apic, 0xff, false, APIC_DM_EXTINT, 0, false);
    ck_assert_int_eq(intr, 1);
    ck_assert_int_eq(apic_intack(&apic), 0x08);
}
END_TEST

/* 10.6.1: INIT and SIPI are accepted (one CPU: counted) */
START_TEST(test_init_sipi)
{
    sw_enable();
    wr(0x310, 0);
    wr(0x300, 0x4500 | (1u << 18));
    wr(0x300, 0x4699 | (1u << 18));
    ck_assert_uint_eq(apic.init_ipis, 1);
    ck_assert_uint_eq(apic.startup_ipis, 1);
    ck_assert_uint_eq(rd(0x300) & (1u << 12), 0); /* delivery status idle */
}
END_TEST

/* 10.5.1 and 10.6.1: NMI delivery mode (the vector ignored) pulses the CPU's NMI pin, from
   LINT1 programmed as on a PC (NMI, edge) and from an NMI IPI to self; an NMI is no vector in
   IRR and leaves INTR alone */
static int nmi_edges;
static void nmi_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    nmi_edges += level != 0;
}

START_TEST(test_nmi)
{
    nmi_edges = 0;
    apic.nmi = irq_line(nmi_handler, NULL, 0);
    sw_enable();
    wr(0x360, 0x400);            /* LVT LINT1: NMI, edge, unmasked */
    apic_set_lint(&apic, 1, 1);
    apic_set_lint(&apic, 1, 0);
    ck_assert_int_eq(nmi_edges, 1);
    wr(0x310, 0);                /* destination APIC ID 0: this one */
    wr(0x300, 0x4ab);            /* delivery mode 100b, vector 0xAB ignored */
    ck_assert_int_eq(nmi_edges, 2);
    ck_assert_uint_eq(rd(0x300) & (1u << 12), 0);
    ck_assert_uint_eq(rd(0x200 + 0x10 * (0xab / 32)) & (1u << (0xab % 32)), 0); /* not in IRR */
    ck_assert_int_eq(intr, 0);
    wr(0x360, 0x10400);          /* masked: nothing */
    apic_set_lint(&apic, 1, 1);
    ck_assert_int_eq(nmi_edges, 2);
}
END_TEST

/* 10.4.5: relocating the APIC page */
START_TEST(test_relocation)
{
    ck_assert(apic_write_msr(&apic, 0x1b, 0xfe000900u));
    ck_assert_int_eq(remaps, 1);
    ck_assert_uint_eq(as_read(&as, 0xfe000030, 4), 0x00050014u);
    ck_assert_uint_eq(as_read(&as, 0xfee00030, 4), 0xffffffffu);
    ck_assert(!apic_write_msr(&apic, 0x1b, 1ull << 40)); /* reserved bits: #GP */
    apic_reset(&apic);
    ck_assert_uint_eq(as_read(&as, 0xfee00030, 4), 0x00050014u);
}
END_TEST

/* 10.12: x2APIC mode — MSR access, no MMIO, SELF IPI, 64-bit ICR, EOI must write 0 */
START_TEST(test_x2apic)
{
    ck_assert(!apic_write_msr(&apic, 0x1b, 0xfee00000u | (1u << 10))); /* EXTD without EN */
    uint64_t v;
    ck_assert(!apic_read_msr(&apic, 0x803, &v)); /* xAPIC mode: #GP */
    ck_assert(apic_write_msr(&apic, 0x1b, 0xfee00000u | (3u << 10)));
    ck_assert_uint_eq(rd(0x30), 0xffffffffu);
    ck_assert_uint_eq(rdmsr(0x803), 0x00050014u);
    ck_assert_uint_eq(rdmsr(0x802), 0);
    ck_assert_uint_eq(rdmsr(0x80d), 0x00000001u); /* LDR: cluster 0, bit 0 */
    ck_assert(!apic_read_msr(&apic, 0x80e, &v));  /* no DFR */
    ck_assert(apic_write_msr(&apic, 0x80f, 0x1ff));
    ck_assert(apic_write_msr(&apic, 0x83f, 0x77));
    ck_assert_int_eq(apic_intack(&apic), 0x77);
    ck_assert(!apic_write_msr(&apic, 0x80b, 1));
    ck_assert(apic_write_msr(&apic, 0x80b, 0));
    ck_assert(apic_write_msr(&apic, 0x830, 0x78));
    ck_assert_int_eq(apic_intack(&apic), 0x78);
    ck_assert(apic_write_msr(&apic, 0x80b, 0));
    /* x2APIC -> xAPIC directly is invalid; -> disabled is fine */
    ck_assert(!apic_write_msr(&apic, 0x1b, 0xfee00800u));
    ck_assert(apic_write_msr(&apic, 0x1b, 0xfee00000u));
}
END_TEST

START_TEST(test_snapshot_fields)
{
    uint64_t h = vmstate_hash(&apic_vmstate, &apic, 0);
    wr(0x80, 0x20);
    ck_assert_uint_ne(vmstate_hash(&apic_vmstate, &apic, 0), h);
}
END_TEST

static Suite *apic_suite(void)
{
    Suite *s = suite_create("apic");
    TCase *tc = tcase_create("apic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_state);
    tcase_add_test(tc, test_virtual_wire);
    tcase_add_test(tc, test_global_disable_passes_intr);
    tcase_add_test(tc, test_fixed_ipi_to_self);
    tcase_add_test(tc, test_priorities);
    tcase_add_test(tc, test_spurious);
    tcase_add_test(tc, test_software_disable);
    tcase_add_test(tc, test_timer_oneshot);
    tcase_add_test(tc, test_timer_periodic);
    tcase_add_test(tc, test_timer_masked);
    tcase_add_test(tc, test_timer_tsc_deadline);
    tcase_add_test(tc, test_esr);
    tcase_add_test(tc, test_level_eoi_broadcast);
    tcase_add_test(tc, test_init_sipi);
    tcase_add_test(tc, test_nmi);
    tcase_add_test(tc, test_relocation);
    tcase_add_test(tc, test_x2apic);
    tcase_add_test(tc, test_snapshot_fields);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(apic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
