/*
 * softmmu/machine.h — the Machine: everything one emulated PC is. All state hangs off it
 * (DESIGN.md, house rules): RAM, the physical address space, the port I/O space, the CPU, the
 * translator engine and the devices. Several machines can live in one process (tests do).
 */
#ifndef XLAT_SOFTMMU_MACHINE_H
#define XLAT_SOFTMMU_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "softmmu/memory.h"
#include "tcg/tcg.h"

typedef struct DebugCon {
    FILE *out;      /* NULL: discarded */
    bool close_out;
} DebugCon;

typedef struct DebugExit {
    uint16_t iobase, iosize;
} DebugExit;

typedef struct MachineOptions {
    uint64_t ram_size;
    const char *bios;          /* path of the ROM image */
    const char *accel;         /* "jit" or "interp" */
    const char *debugcon;      /* file:PATH | stdio | none */
    unsigned log_mask;         /* -d */
    const char *log_file;      /* -D */
    bool stats;
    size_t code_cache_size;
    /* -device isa-debug-exit[,iobase=N][,iosize=N] */
    bool debug_exit;
    uint16_t debug_exit_iobase, debug_exit_iosize;
} MachineOptions;

typedef struct Machine {
    MachineOptions opt;
    uint8_t *ram;
    uint64_t ram_size;
    uint8_t *bios;
    uint64_t bios_size;
    AddressSpace mem;
    IOSpace io;

    CPUX86State cpu;
    TCGContext tcg;
    /* physical page behind each TLB entry (MMIO dispatch, code-page tracking) */
    uint64_t tlb_phys[TLB_NB_MMU][TLB_SIZE];

    DebugCon debugcon;
    DebugExit debugexit;

    uint64_t icount;       /* instructions retired */
    bool exit_requested;
    int exit_status;
    /* softmmu statistics */
    uint64_t tlb_fills, tlb_flushes, slow_loads, slow_stores, smc_invalidations;
} Machine;

/* Build a machine from options; on error prints a clear message and returns NULL. */
Machine *machine_create(const MachineOptions *opt);
void machine_destroy(Machine *m);
/* Run until the guest ends (isa-debug-exit, halt forever, error); returns the exit status. */
int machine_run(Machine *m);
/* Stop the machine at the next block boundary with this exit status. */
void machine_request_exit(Machine *m, int status);
/* Print -stats to out (the two fixed lines included). */
void machine_print_stats(Machine *m, FILE *out);
uint64_t machine_state_hash(Machine *m);

/* exit statuses of xlat itself (isa-debug-exit statuses are odd) */
enum {
    XLAT_EXIT_USAGE = 1,       /* bad option or image */
    XLAT_EXIT_HALTED = 2,      /* the CPU halted with nothing that could ever wake it */
    XLAT_EXIT_GUEST_ERROR = 4, /* the guest did something xlat does not implement */
};

/* the slice length when no timer bounds it */
#define MACHINE_SLICE 10000000

/* devices (hw/) */
void debugcon_init(Machine *m, uint16_t port);
void debugexit_init(Machine *m, uint16_t iobase, uint16_t iosize);
/* The debug console's output from a -debugcon spec (file:PATH | stdio | none; NULL: stdout).
   Returns -1 after printing a clear error. debugcon_close flushes and closes what it opened. */
int debugcon_open(DebugCon *d, const char *spec);
void debugcon_close(DebugCon *d);

/* memory access for the frontend's translator and helpers (physical addresses) */
/* Host pointer to the RAM/ROM byte at linear address `addr` for a code fetch, and its physical
   address; NULL if nothing executable is there. */
const uint8_t *softmmu_code_ptr(CPUCommon *env, uint64_t addr, uint64_t *phys);
void tlb_flush(Machine *m);
/* Physical accesses from the CPU side (descriptor tables, later page tables): the address space
   plus invalidation of translated code the write overlaps. Sizes 1, 2, 4, 8. */
uint64_t softmmu_read_phys(Machine *m, uint64_t addr, unsigned size);
void softmmu_write_phys(Machine *m, uint64_t addr, uint64_t val, unsigned size);
static inline uint8_t softmmu_ldub_phys(Machine *m, uint64_t a)
{
    return (uint8_t)softmmu_read_phys(m, a, 1);
}
static inline uint16_t softmmu_lduw_phys(Machine *m, uint64_t a)
{
    return (uint16_t)softmmu_read_phys(m, a, 2);
}
static inline uint32_t softmmu_ldl_phys(Machine *m, uint64_t a)
{
    return (uint32_t)softmmu_read_phys(m, a, 4);
}
static inline uint64_t softmmu_ldq_phys(Machine *m, uint64_t a)
{
    return softmmu_read_phys(m, a, 8);
}
static inline void softmmu_stb_phys(Machine *m, uint64_t a, uint8_t v)
{
    softmmu_write_phys(m, a, v, 1);
}
static inline void softmmu_stw_phys(Machine *m, uint64_t a, uint16_t v)
{
    softmmu_write_phys(m, a, v, 2);
}
static inline void softmmu_stl_phys(Machine *m, uint64_t a, uint32_t v)
{
    softmmu_write_phys(m, a, v, 4);
}
static inline void softmmu_stq_phys(Machine *m, uint64_t a, uint64_t v)
{
    softmmu_write_phys(m, a, v, 8);
}

#endif
