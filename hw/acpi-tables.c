/*
 * hw/acpi-tables.c — the ACPI tables xlat writes for kernels it boots without firmware (with
 * firmware, SeaBIOS builds its own).
 *
 * Follows the ACPI specification (1.0b layouts, which every later version still accepts):
 * 5.2.4 RSDP ("RSD PTR ", revision 0, the checksum of its 20 bytes, found by the OS on a 16-byte
 * boundary in 0xE0000-0xFFFFF), 5.2.6 the common table header (36 bytes; all bytes of a table
 * sum to 0), 5.2.7 RSDT, 5.2.9 FADT (revision 1, 116 bytes: the PM1a event/control blocks, the
 * PM timer and GPE0 of the PIIX4's PM I/O block, SCI_INT; SMI_CMD 0: the machine is always in
 * ACPI mode, so SCI_EN reads 1), 5.2.10 FACS, 5.2.11.1 DSDT (AML: Name(\_S5, Package(4){0,0,0,0})
 * giving the PIIX4's soft-off SLP_TYP 0; AML encoding from spec section 16), 5.2.12 MADT
 * (local APIC address, PCAT_COMPAT; a processor local APIC entry, and with an IOAPIC its entry
 * and the ISA overrides IRQ 0 -> GSI 2 and the SCI as level, active high); and the HPET
 * description table of the IA-PC HPET specification 1.0a, 3.2.4 Table 3 (56 bytes: the event
 * timer block ID, the base address as an ACPI generic address, the HPET number, the minimum
 * clock tick in periodic mode, page protection).
 *
 * Owns nothing: a pure function from a configuration to bytes.
 */
#include <string.h>

#include "hw/acpi.h"

#define HDR_LEN 36
#define HPET_TABLE_LEN 56
/* the smallest period (in main counter ticks) a periodic comparator takes without losing
   interrupts: 128 ticks, 1.28 us at 100 MHz, far below what any OS programs */
#define HPET_MIN_TICK 128

typedef struct TableBuf {
    uint8_t *buf;
    uint32_t addr, len, used;
} TableBuf;

static uint8_t checksum(const uint8_t *p, uint32_t n)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    return (uint8_t)-sum;
}

static void st(uint8_t *p, uint64_t v, unsigned size)
{
    mem_st_le(p, v, size);
}

/* room for n bytes aligned to `align`; NULL if it does not fit */
static uint8_t *alloc(TableBuf *t, uint32_t n, uint32_t align, uint32_t *addr)
{
    uint32_t off = (t->used + align - 1) & ~(align - 1);
    if (off > t->len || n > t->len - off) {
        return NULL;
    }
    t->used = off + n;
    *addr = t->addr + off;
    memset(t->buf + off, 0, n);
    return t->buf + off;
}

static void header(uint8_t *p, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(p, sig, 4);
    st(p + 4, len, 4);
    p[8] = rev;
    memcpy(p + 10, "XLAT  ", 6);   /* OEMID */
    memcpy(p + 16, "XLATPC  ", 8); /* OEM table ID */
    st(p + 24, 1, 4);              /* OEM revision */
    memcpy(p + 28, "XLAT", 4);     /* creator ID */
    st(p + 32, 1, 4);              /* creator revision */
}

static void finish(uint8_t *p, uint32_t len)
{
    p[9] = 0;
    p[9] = checksum(p, len);
}

uint32_t acpi_build_tables(uint8_t *buf, uint32_t addr, uint32_t len, const ACPITablesConfig *c)
{
    TableBuf t = {buf, addr, len, 0};
    uint32_t rsdp_a = 0, rsdt_a = 0, fadt_a = 0, facs_a = 0, dsdt_a = 0, madt_a = 0, hpet_a = 0;
    uint32_t nb_tables = c->hpet ? 3 : 2; /* in the RSDT */

    /* RSDP first: 20 bytes on a 16-byte boundary */
    if ((addr & 15) || addr < 0xe0000 || (uint64_t)addr + len > 0x100000) {
        return 0;
    }
    uint8_t *rsdp = alloc(&t, 20, 16, &rsdp_a);
    uint8_t *rsdt = alloc(&t, HDR_LEN + nb_tables * 4, 4, &rsdt_a);
    uint8_t *facs = alloc(&t, 64, 64, &facs_a); /* 5.2.10: 64-byte aligned */

    /* DSDT: Name (\_S5, Package (4) {0, 0, 0, 0}) */
    static const uint8_t aml[] = {0x08, 0x5c, '_',  'S',  '5',  '_', 0x12,
                                  0x06, 0x04, 0x00, 0x00, 0x00, 0x00};
    uint32_t dsdt_len = HDR_LEN + sizeof(aml);
    uint8_t *dsdt = alloc(&t, dsdt_len, 4, &dsdt_a);
    uint32_t fadt_len = 116;
    uint8_t *fadt = alloc(&t, fadt_len, 4, &fadt_a);
    uint32_t madt_len = HDR_LEN + 8 + 8 + (c->ioapic ? 12 + 10 + 10 : 0);
    uint8_t *madt = alloc(&t, madt_len, 4, &madt_a);
    uint8_t *hpet = c->hpet ? alloc(&t, HPET_TABLE_LEN, 4, &hpet_a) : NULL;
    if (!rsdp || !rsdt || !facs || !dsdt || !fadt || !madt || (c->hpet && !hpet)) {
        return 0;
    }

    memcpy(rsdp, "RSD PTR ", 8);
    memcpy(rsdp + 9, "XLAT  ", 6);
    rsdp[15] = 0; /* revision 0: ACPI 1.0, RSDT only */
    st(rsdp + 16, rsdt_a, 4);
    rsdp[8] = checksum(rsdp, 20);

    header(rsdt, "RSDT", HDR_LEN + nb_tables * 4, 1);
    st(rsdt + HDR_LEN, fadt_a, 4);
    st(rsdt + HDR_LEN + 4, madt_a, 4);
    if (c->hpet) {
        st(rsdt + HDR_LEN + 8, hpet_a, 4);
    }
    finish(rsdt, HDR_LEN + nb_tables * 4);

    memcpy(facs, "FACS", 4);
    st(facs + 4, 64, 4);

    header(dsdt, "DSDT", dsdt_len, 1);
    memcpy(dsdt + HDR_LEN, aml, sizeof(aml));
    finish(dsdt, dsdt_len);

    header(fadt, "FACP", fadt_len, 1);
    st(fadt + 36, facs_a, 4);
    st(fadt + 40, dsdt_a, 4);
    st(fadt + 46, c->sci_irq, 2);
    st(fadt + 48, 0, 4);                          /* SMI_CMD: none, always in ACPI mode */
    st(fadt + 56, c->pm_base + ACPI_PM1_STS, 4);  /* PM1a_EVT_BLK */
    st(fadt + 64, c->pm_base + ACPI_PM1_CNT, 4);  /* PM1a_CNT_BLK */
    st(fadt + 76, c->pm_base + ACPI_PM_TMR, 4);   /* PM_TMR_BLK */
    st(fadt + 80, c->pm_base + ACPI_GPE0_STS, 4); /* GPE0_BLK */
    fadt[88] = 4;                                 /* PM1_EVT_LEN */
    fadt[89] = 2;                                 /* PM1_CNT_LEN */
    fadt[91] = 4;                                 /* PM_TMR_LEN */
    fadt[92] = 4;                                 /* GPE0_BLK_LEN */
    st(fadt + 96, 0x0fff, 2);                     /* P_LVL2_LAT > 100: no C2 */
    st(fadt + 98, 0xffff, 2);                     /* P_LVL3_LAT > 1000: no C3 */
    fadt[108] = 0x32;                             /* CENTURY: the CMOS register */
    /* flags: WBINVD works; power and sleep buttons are not fixed features */
    st(fadt + 112, 0x00000001 | 0x10 | 0x20, 4);
    finish(fadt, fadt_len);

    header(madt, "APIC", madt_len, 1);
    st(madt + 36, c->lapic_addr, 4);
    st(madt + 40, 1, 4); /* PCAT_COMPAT: dual 8259s too */
    uint8_t *e = madt + 44;
    e[0] = 0; /* processor local APIC */
    e[1] = 8;
    e[2] = 0;        /* ACPI processor ID */
    e[3] = 0;        /* APIC ID */
    st(e + 4, 1, 4); /* enabled */
    e += 8;
    if (c->ioapic) {
        e[0] = 1; /* I/O APIC */
        e[1] = 12;
        e[2] = 0; /* its ID (after the one CPU's) */
        st(e + 4, c->ioapic_addr, 4);
        st(e + 8, 0, 4); /* GSI base */
        e += 12;
        e[0] = 2; /* interrupt source override: ISA IRQ 0 is GSI 2 */
        e[1] = 10;
        e[2] = 0;
        e[3] = 0;
        st(e + 4, 2, 4);
        st(e + 8, 0, 2); /* conforms to the bus */
        e += 10;
        e[0] = 2; /* the SCI: level, active high */
        e[1] = 10;
        e[2] = 0;
        e[3] = c->sci_irq;
        st(e + 4, c->sci_irq, 4);
        st(e + 8, 0x000d, 2);
    }
    (void)e; /* exactly madt_len bytes written */
    finish(madt, madt_len);

    if (c->hpet) {
        header(hpet, "HPET", HPET_TABLE_LEN, 1);
        st(hpet + 36, c->hpet_id, 4); /* event timer block ID: capabilities bits 31:0 */
        /* base address, a generic address structure: system memory, 64-bit registers */
        hpet[40] = 0;  /* address space ID: system memory */
        hpet[41] = 64; /* register bit width */
        hpet[42] = 0;  /* register bit offset */
        hpet[43] = 0;
        st(hpet + 44, c->hpet_addr, 8);
        hpet[52] = 0;                  /* HPET number: the first (and only) block */
        st(hpet + 53, HPET_MIN_TICK, 2); /* main counter minimum clock tick, periodic mode */
        hpet[55] = 0;                  /* page protection: no guarantee */
        finish(hpet, HPET_TABLE_LEN);
    }
    return rsdp_a;
}
