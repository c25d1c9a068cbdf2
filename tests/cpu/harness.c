/*
 * tests/cpu/harness.c — xlat as a library for instruction tests (see harness.h).
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/translate.h"

#define FIRMWARE_SIZE (64 * 1024)

Machine *harness_create(const char *accel, uint64_t ram_size)
{
    static uint8_t firmware[FIRMWARE_SIZE];
    memset(firmware, 0xf4, sizeof(firmware)); /* HLT everywhere */
    MachineOptions opt = {
        .ram_size = ram_size,
        .bios_image = firmware,
        .bios_image_size = sizeof(firmware),
        .accel = accel,
        .debugcon = "none",
        .code_cache_size = 32u << 20,
    };
    /* HARNESS_LOG=FILE: the translator's -d in_asm,op,op_opt log, for debugging a test */
    const char *log = getenv("HARNESS_LOG");
    if (log && *log) {
        opt.log_mask = LOG_IN_ASM | LOG_OP | LOG_OP_OPT;
        opt.log_file = log;
    }
    Machine *m = machine_create(&opt);
    if (!m) {
        return NULL;
    }
    /* plain RAM everywhere below ram_size, above the firmware's alias below 1 MiB */
    if (as_add_ram(&m->mem, "harness-ram", 0, m->ram_size, m->ram, 2) < 0) {
        machine_destroy(m);
        return NULL;
    }
    tlb_flush(m);
    return m;
}

void harness_unplug_ports(Machine *m)
{
    memset(m->io.map, 0, sizeof(m->io.map)); /* port -> handler: none */
}

void harness_write(Machine *m, uint64_t addr, const void *buf, size_t n)
{
    memcpy(m->ram + addr, buf, n);
    uint64_t end = addr + n;
    while (addr < end) {
        uint64_t page_end = (addr & TLB_PAGE_MASK) + TLB_PAGE_SIZE;
        uint64_t e = end < page_end ? end : page_end;
        tb_invalidate_phys_range(&m->tcg, addr, e);
        addr = e;
    }
}

void harness_read(Machine *m, uint64_t addr, void *buf, size_t n)
{
    memcpy(buf, m->ram + addr, n);
}

void harness_set_flat32(Machine *m)
{
    CPUX86State *c = &m->cpu;
    c->cr[0] |= CR0_PE;
    for (int i = 0; i < R_NB_SEGS; i++) {
        SegmentCache *s = &c->seg[i];
        bool code = i == R_CS;
        s->selector = code ? 0x08 : 0x10;
        s->base = 0;
        s->limit = 0xffffffffu;
        /* present, S = 1, code execute/read or data read/write (accessed), D/B = 1, G = 1 */
        s->flags = DESC_P_MASK | (1u << 12) | ((code ? 0xbu : 0x3u) << 8) | DESC_B_MASK |
                   DESC_G_MASK;
    }
    x86_update_hflags(c);
    tlb_flush(m);
}

void harness_set_long64(Machine *m, uint64_t tables)
{
    CPUX86State *c = &m->cpu;
    uint64_t pml4[512] = {0}, pdpt[512] = {0}, pd[512];
    pml4[0] = (tables + 0x1000) | 0x7;         /* present, writable, user */
    pdpt[0] = (tables + 0x2000) | 0x7;
    for (int i = 0; i < 512; i++) {
        pd[i] = ((uint64_t)i << 21) | 0x87;    /* a 2 MiB page (PS) */
    }
    harness_write(m, tables, pml4, sizeof(pml4));
    harness_write(m, tables + 0x1000, pdpt, sizeof(pdpt));
    harness_write(m, tables + 0x2000, pd, sizeof(pd));
    harness_set_flat32(m);
    c->cr[3] = tables;
    c->cr[4] |= CR4_PAE;
    c->efer |= EFER_LME | EFER_LMA;
    c->cr[0] |= CR0_PG | CR0_PE;
    /* CS: a 64-bit code segment (L = 1, D = 0) */
    c->seg[R_CS].flags = (c->seg[R_CS].flags & ~DESC_B_MASK) | DESC_L_MASK;
    x86_update_hflags(c);
    tlb_flush(m);
}

void harness_set_real(Machine *m)
{
    CPUX86State *c = &m->cpu;
    c->cr[0] &= ~(uint64_t)CR0_PE;
    for (int i = 0; i < R_NB_SEGS; i++) {
        c->seg[i].limit = 0xffff;
        c->seg[i].flags = DESC_P_MASK | (1u << 12) | ((i == R_CS ? 0xbu : 0x3u) << 8);
    }
    x86_update_hflags(c);
    tlb_flush(m);
}

void harness_load_seg_real(Machine *m, int seg, uint16_t selector)
{
    x86_load_seg_real(&m->cpu, seg, selector);
}

int harness_run(Machine *m, int64_t max_insns)
{
    CPUCommon *env = &m->cpu.common;
    m->cpu.halted = 0;
    m->cpu.exception = -1;
    m->exit_requested = false;
    int64_t left = max_insns;
    while (left > 0) {
        env->exit_request = 0;
        env->budget = left;
        m->clock.slice = left; /* as machine_run does: the virtual clock reads the slice */
        tcg_cpu_exec(&m->tcg, env);
        m->clock.slice = 0;
        int64_t used = left - env->budget;
        m->icount += (uint64_t)used;
        left -= used;
        if (m->exit_requested) {
            return HARNESS_ERROR;
        }
        if (m->cpu.halted) {
            return HARNESS_HALTED;
        }
        if (used == 0 && env->budget > 0) {
            return HARNESS_ERROR; /* stopped without running anything: it would spin */
        }
    }
    return HARNESS_LIMIT;
}
