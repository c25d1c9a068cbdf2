/*
 * tests/cpu/vs-host.h — what tests/cpu/vs-host (the parent) and tests/cpu/vs-host-child (the
 * process that runs sequences on the host CPU) share: the memory layout both the host and xlat
 * use, and the control block in shared memory.
 *
 * The layout is the same linear addresses on both sides, so a sequence is the same bytes with
 * the same absolute addresses on the host and in xlat (flat segments, base 0). The data window
 * lies below 64 KiB so that 16-bit address forms (the 67h prefix) reach it too; that needs the
 * host's vm.mmap_min_addr to be at most VSH_BASE (Linux defaults: 4096 to 65536). With a higher
 * limit the child maps the high layout and the generator leaves out 16-bit address forms.
 */
#ifndef XLAT_TESTS_CPU_VS_HOST_H
#define XLAT_TESTS_CPU_VS_HOST_H

#include <stdint.h>

/* offsets from the layout base: the low layout has base 0, the high one VSH_HIGH_BASE */
enum {
    VSH_BASE = 0x8000,          /* start of the shared mapping */
    VSH_DATA = 0x8000,          /* the scratch data window: 32 KiB */
    VSH_DATA_END = 0x10000,
    VSH_SLACK_END = 0x11000,    /* accesses that straddle the window's end */
    VSH_STACK = 0x11000,        /* the stack: 32 KiB, ESP starts in the middle */
    VSH_STACK_END = 0x19000,
    VSH_ESP0 = 0x15000,
    VSH_CODE = 0x20000,         /* the sequence */
    VSH_CODE_END = 0x30000,
    VSH_CTRL = 0x30000,         /* the control block (host side only) */
    VSH_END = 0x31000,
};
#define VSH_HIGH_BASE 0x01000000u

typedef struct VshCtrl {
    uint32_t jump_target;    /* where the child jumps (read by absolute address) */
    uint32_t pad0;
    uint64_t regs_in[16];    /* initial general registers (low 32 bits in 32-bit mode) */
    uint64_t eflags_in;
    uint64_t regs_out[16];   /* at the terminating HLT */
    uint64_t eflags_out;
    uint64_t rip_out;
    int32_t signo;           /* the signal that ended the run (SIGSEGV at the HLT: normal) */
    int32_t ok;              /* 1: the run ended at the expected HLT */
    uint64_t fault_addr;
    uint64_t scratch[4];     /* the child's saved stack pointer */
} VshCtrl;

/* the command byte on the pipe */
enum { VSH_CMD_RUN = 'r', VSH_CMD_QUIT = 'q', VSH_REPLY_DONE = 'd' };

#endif
