/*
 * tests/cpu/harness.h — xlat as a library for instruction tests: build a Machine in-process,
 * put code and data straight into its RAM, set the CPU to a known mode and state, run until
 * the guest halts, read the state back. Used by tests/cpu/vs-host and tests/cpu/sst-run.
 *
 *     Machine *m = harness_create("jit", 16 << 20);
 *     harness_write(m, 0x20000, code, len);         // invalidates translated code it overlaps
 *     harness_set_flat32(m);                        // or harness_set_real(m)
 *     m->cpu.regs[R_EAX] = 1; m->cpu.eip = 0x20000;
 *     int r = harness_run(m, 100000);               // HARNESS_HALTED when it reached a HLT
 */
#ifndef XLAT_TESTS_CPU_HARNESS_H
#define XLAT_TESTS_CPU_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "softmmu/machine.h"

enum {
    HARNESS_HALTED,  /* the guest executed HLT */
    HARNESS_LIMIT,   /* the instruction limit ran out first */
    HARNESS_ERROR,   /* xlat stopped the machine (an unimplemented instruction, ...) */
};

/* A machine with `ram_size` bytes of RAM from address 0 (RAM wins over the firmware's alias
   below 1 MiB) and a firmware image of HLTs. accel: "jit" or "interp". NULL on error. */
Machine *harness_create(const char *accel, uint64_t ram_size);
/* Take every device off the port space: all port reads then return all ones (what the
   single-step vectors assume). */
void harness_unplug_ports(Machine *m);
/* Copy into guest RAM, dropping translated code the bytes overlap. */
void harness_write(Machine *m, uint64_t addr, const void *buf, size_t n);
void harness_read(Machine *m, uint64_t addr, void *buf, size_t n);
/* Protected mode with flat 4 GiB code and data segments (base 0), 32-bit, CPL 0. */
void harness_set_flat32(Machine *m);
/* 64-bit mode at CPL 0, flat, with 4-level page tables written at `tables` (16 KiB
   of guest RAM) that identity-map the first GiB with 2 MiB pages (SDM Vol. 3A 4.5) */
void harness_set_long64(Machine *m, uint64_t tables);
/* Real mode; segments are then loaded with harness_load_seg_real. */
void harness_set_real(Machine *m);
void harness_load_seg_real(Machine *m, int seg, uint16_t selector);
/* Run until HLT, at most max_insns instructions. */
int harness_run(Machine *m, int64_t max_insns);

#endif
