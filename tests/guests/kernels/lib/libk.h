/*
 * tests/guests/kernels/lib/libk.h — the freestanding runtime of xlat's 32-bit Multiboot test
 * kernels: port I/O, printf to the debug console (port 0xE9), TAP output, isa-debug-exit, the
 * GDT/IDT/TSS, and exception handlers that record what happened so a test can check it.
 *
 * A test kernel is one C file with `void kmain(void)`. It runs in ring 0, flat segments, paging
 * off, interrupts off (the 8259s masked), on the runtime's GDT and IDT. Typical shape:
 *
 *     void kmain(void)
 *     {
 *         tap_plan(2);
 *         excp_reset();
 *         TRY("ud2");
 *         tap_ok(excp.vector == 6 && excp.eip == try_addr, "#UD from UD2");
 *         tap_ok(1 + 1 == 2, "arithmetic");
 *     }
 *
 * Returning from kmain ends the kernel (tap_done): isa-debug-exit with 0 if every planned check
 * ran and passed, else 1; qemu and xlat then exit with status 1 or 3.
 *
 * TRY(insns, ...) runs inline assembly; if an instruction in it faults, the handler records the
 * exception in `excp` and resumes at the end of insns (the rest is skipped). Traps (INT3, INTO,
 * INT n) are recorded and execution continues after the trapping instruction. try_addr is the
 * address of the first instruction of insns, try_next the address after the last.
 *
 * A check where QEMU's TCG departs from the SDM puts QEMU_DEVIATION("SDM section") in its
 * description: the expected result is the SDM's, and tests/guests/run-kernel-tests accepts a
 * "not ok" from QEMU on that line only.
 */
#ifndef LIBK_H
#define LIBK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- ports ---------------------------------------------------------------------------------- */

#define DEBUGCON_PORT 0xe9
#define DEBUG_EXIT_PORT 0xf4

static inline void outb(uint16_t port, uint8_t v)
{
    asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
    asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* ---- output, exit ------------------------------------------------------------------------- */

void putchar(int c);
void puts(const char *s); /* no newline added */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
/* isa-debug-exit: the emulator exits with status (code << 1) | 1. */
__attribute__((noreturn)) void exit(int code);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* ---- TAP (Test Anything Protocol) ----------------------------------------------------------- */

void tap_plan(int n);
/* "ok N - desc" or "not ok N - desc"; returns cond. */
bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "# text" */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the kernel: complains if the plan was not met, exits 0 if everything passed, else 1. */
__attribute__((noreturn)) void tap_done(void);

#define QEMU_DEVIATION(sdm) " (known QEMU deviation: " sdm ")"

/* ---- descriptors ---------------------------------------------------------------------------- */

/* the runtime's GDT (SDM Vol. 3A 3.4.5); selectors */
enum {
    SEL_KCODE = 0x08,
    SEL_KDATA = 0x10,
    SEL_UCODE = 0x18 | 3,
    SEL_UDATA = 0x20 | 3,
    SEL_TSS = 0x28,
    GDT_TEST_FIRST = 6, /* entries 6..GDT_ENTRIES-1 are free for tests */
    GDT_ENTRIES = 16,
};

/* access byte: P, DPL, S, type (SDM Vol. 3A Table 3-1) */
enum {
    ACC_P = 0x80,
    ACC_DPL3 = 0x60,
    ACC_S = 0x10,
    ACC_CODE = 0x08,
    ACC_CONFORMING = 0x04, /* code */
    ACC_EXPAND_DOWN = 0x04, /* data */
    ACC_READ = 0x02,        /* code */
    ACC_WRITE = 0x02,       /* data */
    ACC_ACCESSED = 0x01,
    ACC_TSS32 = 0x09,       /* system type: available 32-bit TSS */
    ACC_TSS32_BUSY = 0x0b,
};
/* flags nibble: G, D/B */
enum { FLG_G = 0x8, FLG_DB = 0x4 };

extern uint64_t gdt[GDT_ENTRIES];
void gdt_set(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);

/* gate types (SDM Vol. 3A 6.11) */
enum { GATE_INT32 = 0xe, GATE_TRAP32 = 0xf };
extern uint64_t idt[256];
/* Point vector at the runtime's recording handler, with this gate type, DPL and present bit. */
void idt_set_gate(int vector, int type, int dpl, bool present);
/* Point vector at another handler. */
void idt_set_raw(int vector, uint32_t handler, uint16_t sel, int type, int dpl, bool present);
void lidt(void *base, uint16_t limit);
static inline void lidt_default(void)
{
    lidt(idt, sizeof(idt) - 1);
}

/* the 32-bit TSS (SDM Vol. 3A 7.2.1) */
struct tss32 {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags, eax, ecx, edx, ebx, esp,
        ebp, esi, edi, es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed));
extern struct tss32 tss;
extern uint8_t kstack_top[], istack[], istack_top[]; /* boot stack; ring-0 stack of the TSS */

/* ---- control registers, flags --------------------------------------------------------------- */

#define CR0_PE (1u << 0)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define EFL_CF (1u << 0)
#define EFL_IF (1u << 9)
#define EFL_OF (1u << 11)

#define DEFINE_CR(n)                                                                        \
    static inline uint32_t read_cr##n(void)                                                 \
    {                                                                                       \
        uint32_t v;                                                                         \
        asm volatile("mov %%cr" #n ", %0" : "=r"(v));                                       \
        return v;                                                                           \
    }                                                                                       \
    static inline void write_cr##n(uint32_t v)                                              \
    {                                                                                       \
        asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                              \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)

static inline uint32_t read_eflags(void)
{
    uint32_t v;
    asm volatile("pushfl; popl %0" : "=r"(v));
    return v;
}
static inline void invlpg(uint32_t linear)
{
    asm volatile("invlpg (%0)" : : "r"(linear) : "memory");
}
static inline uint16_t read_cs(void)
{
    uint16_t v;
    asm volatile("mov %%cs, %0" : "=r"(v));
    return v;
}

/* ---- exceptions ----------------------------------------------------------------------------- */

/* what the handler stubs (isr.S) push, lowest address first */
struct excp_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax; /* PUSHAD */
    uint32_t vector, error;                                 /* 0 when the CPU pushes none */
    uint32_t eip, cs, eflags;                               /* pushed by the CPU */
    uint32_t esp, ss;                                       /* only from an outer ring */
};

struct excp_record {
    int vector;              /* -1: none since excp_reset */
    int count;               /* exceptions since excp_reset */
    uint32_t error, eip, cs, eflags, esp, ss; /* esp, ss: only from an outer ring */
    uint32_t cr2;
    uint32_t handler_eflags; /* EFLAGS inside the handler (IF: interrupt vs trap gate) */
    uint32_t frame;          /* address of the frame (which stack the handler ran on) */
};
extern volatile struct excp_record excp;
extern volatile uint32_t excp_fixup; /* nonzero: resume there after the next exception */
extern volatile uint32_t try_addr, try_next;
/* Called after the record is made; may change the frame (it is what IRET will pop). */
typedef void (*excp_hook_fn)(struct excp_frame *f);
extern excp_hook_fn excp_hook[256];

void excp_reset(void);
/* the address of handler stub `vector` (isr.S), for idt_set_raw */
uint32_t isr_stub(int vector);
/* stubs for vectors 13 and 14 raised by INT n, which pushes no error code (isr.S) */
extern char isr_soft13[], isr_soft14[];

/* Run insns; a fault in them resumes after the last of them. Operands as for extended asm, e.g.
   TRY("divl %%ecx", : : "a"(1), "d"(0), "c"(0)). Without operands, write % once. */
#define TRY(insns, ...)                                                                     \
    asm volatile("movl $1f, try_addr\n\t"                                                   \
                 "movl $2f, try_next\n\t"                                                   \
                 "movl $2f, excp_fixup\n"                                                   \
                 "1:\t" insns "\n"                                                          \
                 "2:\tmovl $0, excp_fixup" __VA_ARGS__)

/* ---- ring 3 ------------------------------------------------------------------------------- */

/* Load TR with the runtime's TSS (esp0 = istack_top, no I/O bitmap). */
void tss_load(void);
/* Run fn in ring 3 (CS SEL_UCODE, SS/DS/ES SEL_UDATA, its own stack) with EFLAGS = eflags;
   when fn returns (through INT 0x80, whose gate has DPL 3) come back here. FS and GS are set to
   fs_gs before the IRET. Returns the EAX that fn's INT 0x80 carried (fn's return value). */
uint32_t run_user(uint32_t (*fn)(void), uint32_t eflags, uint16_t fs_gs);
#define USER_EXIT_VECTOR 0x80
extern uint8_t ustack[], ustack_top[];
/* the frame of the last INT 0x80 that ended a run_user function, and where it was */
extern struct excp_frame user_exit_frame;
extern uint32_t user_exit_frame_addr;
static inline uint16_t read_str(void)
{
    uint16_t v;
    asm volatile("str %0" : "=r"(v));
    return v;
}

/* ---- the test kernel ------------------------------------------------------------------------ */

void kmain(void);
/* what the boot stub found (Multiboot 0.6.96 section 3.2) */
extern uint32_t boot_magic, boot_info, boot_eflags, boot_cr0;
extern char _start[], _end[];

#endif
