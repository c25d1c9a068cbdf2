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

#include "cpu/cpu-models.h"
#include "cpu/cpu.h"
#include "hw/acpi.h"
#include "hw/apic.h"
#include "hw/fw_cfg.h"
#include "hw/hpet.h"
#include "hw/i8042.h"
#include "hw/i8254.h"
#include "hw/i8259.h"
#include "hw/ioapic.h"
#include "hw/linux-boot.h"
#include "hw/mc146818.h"
#include "hw/pci.h"
#include "hw/port92.h"
#include "hw/serial.h"
#include "softmmu/clock.h"
#include "softmmu/memory.h"
#include "softmmu/replay.h"
#include "tcg/tcg.h"

#define MACHINE_SERIALS 4 /* COM1-COM4 */

typedef struct DebugCon {
    FILE *out;      /* NULL: discarded */
    bool close_out;
} DebugCon;

typedef struct DebugExit {
    uint16_t iobase, iosize;
} DebugExit;

/* QEMU's ISA test device (hw/pc-testdev.c) */
typedef struct PCTestDev PCTestDev;
typedef struct PCTestDevByte {
    PCTestDev *dev;
    unsigned index; /* which byte of the register this port reaches */
} PCTestDevByte;
struct PCTestDev {
    uint32_t ioport_data; /* the scratch register at ports 0xE0-0xE3 (and 0xE8-0xEB) */
    uint8_t *iomem;       /* 64 KiB of scratch memory at 0xFF000000 */
    IRQLine irq[16];      /* ports 0x2000 + n drive ISA interrupt n */
    PCTestDevByte byte[4];
};

/* QEMU's PCI test device (hw/pci-testdev.c) */
typedef struct PCITestDev {
    PCIDevice pci;
    int32_t current;   /* state: the running test, or -1 */
    uint32_t count[6]; /* state: the writes each test counted */
} PCITestDev;

/* One PAM segment of the i440FX (0xC0000-0xFFFFF): its region, retargeted as the PAM register
   says (softmmu/machine.c) */
typedef struct PAMSegment {
    struct Machine *m;
    uint32_t base, size;
    int region; /* in m->mem */
    uint8_t attr; /* bit 0 read enable, bit 1 write enable (to DRAM) */
} PAMSegment;
#define MACHINE_PAM_SEGMENTS 13

/* What the Multiboot loader left for a reset to re-enter the kernel (hw/multiboot.c). */
typedef struct MultibootBoot {
    bool loaded;
    uint32_t entry; /* the kernel's entry point (physical) */
    uint32_t info;  /* the information structure, passed in EBX */
} MultibootBoot;

typedef struct MachineOptions {
    uint64_t ram_size;
    const char *bios;          /* path of the ROM image */
    const uint8_t *bios_image; /* or the image itself (tests; a multiple of 64 KiB) */
    uint64_t bios_image_size;
    const char *accel;         /* "jit" or "interp" */
    const char *debugcon;      /* file:PATH | stdio | none */
    unsigned log_mask;         /* -d */
    const char *log_file;      /* -D */
    bool stats;
    bool no_reboot;            /* -no-reboot: a triple fault ends xlat instead of resetting */
    size_t code_cache_size;
    /* -device isa-debug-exit[,iobase=N][,iosize=N] */
    bool debug_exit;
    uint16_t debug_exit_iobase, debug_exit_iosize;
    /* -icount shift=N: one instruction is 2^N ns of virtual time */
    unsigned icount_shift;
    /* -rtc clock=host or -icount sleep=on: sleep so virtual time never runs ahead of wall time */
    bool pace;
    /* -rtc base=DATE: the time the RTC shows at start-up, in seconds since 1970-01-01 00:00 of
       its own time zone; otherwise the host's time is taken once by machine_create (UTC, or
       the host's local time with -rtc base=localtime) */
    bool rtc_base_set;
    bool rtc_localtime;
    int64_t rtc_base;
    /* -boot [order=]DRIVES: QEMU's drive letters (a floppy, c disk, d CD-ROM, n network) for
       the CMOS boot order; NULL: "cad" */
    const char *boot_order;
    /* -kernel FILE [-append STR] [-initrd "FILE ARGS,FILE..."]: boot a Multiboot kernel
       directly (hw/multiboot.c), or a Linux bzImage with one initrd file (hw/linux-boot.c);
       -bios is then optional */
    const char *kernel;
    const char *append;
    const char *initrd;
    /* -cpu MODEL[,+feat,-feat]: what CPUID reports (cpu/cpu-models.h); .model NULL: the
       default CPU */
    X86CPUChoice cpu_model;
    /* -machine pit=off: the board has no 8254 timer */
    bool no_pit;
    /* -serial stdio | file:PATH | none for the first UART (NULL: not given) */
    const char *serial;
    /* -device isa-debugcon,iobase=N: the debug console's port (0: 0xE9) */
    uint16_t debugcon_iobase;
    /* -device pc-testdev */
    bool pc_testdev;
    /* -device pci-testdev */
    bool pci_testdev;
    /* -record FILE / -replay FILE: the input log (softmmu/replay.h) */
    const char *record;
    const char *replay;
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
    /* 1: the entry caches a global translation (G=1 with CR4.PGE), which a CR3 load keeps
       (SDM Vol. 3A 4.10.2.4). Kept outside the tags so the inline probe is unchanged. */
    uint8_t tlb_global[TLB_NB_MMU][TLB_SIZE];

    DebugCon debugcon;
    DebugExit debugexit;
    PICState pic; /* the 8259A pair: ISA IRQ 0-15 -> the local APIC's LINT0 (and IOAPIC pin 0) */
    APICState apic;     /* the local APIC: drives the CPU's INTR */
    IOAPICState ioapic; /* ISA IRQ n -> pin n (IRQ 0 -> pin 2), PCI and HPET pins */
    HPETState hpet;     /* legacy route: IRQ 0 and 8 (then the PIT and RTC are cut off) */
    PITState pit; /* the 8254 and port 0x61: IRQ 0 */
    RTCState rtc; /* the MC146818 and the CMOS RAM: IRQ 8 */
    /* the RTC's start time (seconds since 1970 in its time zone): an input, taken once */
    int64_t rtc_start;
    Port92State port92; /* fast A20 and fast reset (INIT) */
    I8042State kbc;     /* keyboard controller, PS/2 keyboard and mouse: IRQ 1, 12; A20, reset */
    Port80State port80; /* POST codes */
    SerialState serial[MACHINE_SERIALS];     /* COM1-COM4 (NS16550A) */
    CharBackend serial_chr[MACHINE_SERIALS]; /* their host ends (COM1: -serial) */
    uint8_t serial_irq_levels;   /* each UART's IRQ output: COM1/COM3 share IRQ 4, COM2/4 IRQ 3 */
    Replay replay; /* -record / -replay: the log of host input events (host state) */
    PCTestDev testdev;
    PCITestDev pcitestdev; /* -device pci-testdev (hw/pci-testdev.c) */
    MultibootBoot multiboot;
    LinuxBoot linux_boot; /* -kernel with a bzImage (hw/linux-boot.c) */
    PCIBus pci;       /* bus 0, configuration mechanism #1 */
    PIIXState piix;   /* i440FX, PIIX3 ISA/IDE, PIIX4 PM functions */
    ACPIState acpi;   /* PM I/O block, PM timer, 0xCF9 */
    FWCfgState fw_cfg; /* QEMU-compatible firmware configuration */
    PAMSegment pam[MACHINE_PAM_SEGMENTS];

    /* physical address mask of the A20 gate: ~0, or bit 20 clear when the gate is off (the
       page walk applies it to every address it produces) */
    uint64_t a20_mask;
    /* who asks for A20 on (A20_SRC_*): the gate is on when anyone does (PIIX3: the keyboard
       controller's A20 output ORed with port 0x92's); machine_set_a20 keeps a20_mask in step */
    uint8_t a20_requests;
    bool reset_requested; /* machine_request_reset: served between slices */

    uint64_t icount;       /* instructions retired */
    VClock clock;          /* virtual time: from icount, plus idle time skipped in HLT */
    bool exit_requested;
    int exit_status;
    /* softmmu statistics */
    uint64_t tlb_fills, tlb_flushes, slow_loads, slow_stores, smc_invalidations;
    uint64_t rep_bulk_runs, rep_bulk_elems; /* REP MOVS/STOS runs moved in bulk, and elements */
} Machine;

/* Build a machine from options; on error prints a clear message and returns NULL. */
Machine *machine_create(const MachineOptions *opt);
void machine_destroy(Machine *m);
/* Run until the guest ends (isa-debug-exit, halt forever, error); returns the exit status. */
int machine_run(Machine *m);
/* Stop the machine at the next block boundary with this exit status. */
void machine_request_exit(Machine *m, int status);
/* A reset requested by the guest (port 0x92, later the keyboard controller and 0xCF9): served
   at the next block boundary, or with -no-reboot the machine ends with status 0, as QEMU does. */
void machine_request_reset(Machine *m);
/* The A20 gate: `source` (A20_SRC_*) asks for A20 on or off; the TLB is flushed when the gate
   changes, so no translation made with the other setting survives. */
enum { A20_SRC_KBC = 1 << 0, A20_SRC_PORT92 = 1 << 1 };
void machine_set_a20(Machine *m, unsigned source, bool on);
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
/* ... and while host input waits for the guest to take it (a UART without FIFO takes one
   character at a time) */
#define MACHINE_SLICE_INPUT 100000

/* Between slices, and only there: host input (stdin, sockets) is polled for up to `wait_ns`
   (pacing; -1: until some comes) and what the guest's devices have room for is delivered, as
   an event stamped with the instruction count and virtual time (recorded with -record). With
   -replay, live input is read and dropped and the log's events due now are delivered instead. */
void machine_poll_host_input(Machine *m, int64_t wait_ns);

/* devices (hw/) */
/* ISA interrupt n as the board wires it: to 8259 input n and to I/O APIC pin n (IRQ 0: pin 2) */
IRQLine machine_isa_irq(Machine *m, int n);
/* -kernel: load m->opt.kernel (with .append, .initrd) as a Multiboot v1 kernel into RAM and
   put the CPU at its entry (hw/multiboot.c); a file without a Multiboot header that is a Linux
   bzImage goes to linux_boot_load (hw/linux-boot.c). Prints a clear error and returns -1 on
   failure. */
int multiboot_load(Machine *m);
/* The CPU state Multiboot specifies at the kernel's entry (also after a reset). */
void multiboot_enter(Machine *m);
/* -device pci-testdev (hw/pci-testdev.c); after the chipset. */
extern const VMStateDescription pcitestdev_vmstate;
int pcitestdev_init(Machine *m, PCITestDev *d);
void pcitestdev_reset(PCITestDev *d);
/* -device pc-testdev (hw/pc-testdev.c); after the PIC. */
int pctestdev_init(Machine *m, PCTestDev *d);
void pctestdev_free(PCTestDev *d);
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
/* Host pointer to the byte at linear address `addr` if it is plain RAM for this access through
   the TLB of MMU index `mmu` (what translated code's inline probe would hit: not MMIO, not a ROM
   write, not a write to a page with translated code), filling the entry if needed; NULL
   otherwise. Never faults: a translation that would fault leaves the CPU state as it was, for
   the caller's precise per-access path. Bulk string moves (cpu/string-bulk.c) use it. */
void *softmmu_ram_probe(CPUCommon *env, uint64_t addr, bool write, unsigned mmu);
/* Drop every translation except global ones (MOV to CR3, task switch: SDM Vol. 3A 4.10.4.1). */
void tlb_flush_nonglobal(Machine *m);
/* Drop every translation of the linear page holding addr (INVLPG), in all MMU indexes. */
void tlb_flush_page(Machine *m, uint64_t addr);
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
