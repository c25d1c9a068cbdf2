/*
 * tests/guests/kernels/randcode.c — random instruction streams in ring 3 (issue 5: no sequence
 * of instructions may crash or hang the emulator, nor reach past the protection it models).
 *
 * A user page is filled with xorshift32 bytes (a fixed seed, or "seed=N" on the Multiboot command
 * line), and ring 3 enters it at a random offset with random general registers, ESP inside the
 * user stack page, IF = 1, IOPL 0. The only user pages are that code page and the stack page next
 * to it (SDM Vol. 3A 4.6: a user-mode access needs U/S = 1 at both paging levels): kernel text,
 * data, GDT, IDT and TSS are supervisor pages. Every IDT gate has DPL 0, so INT n from ring 3 is
 * #GP(n * 8 + 2) (6.12.1.1); IOPL is 0 and the TSS has no I/O bitmap, so IN/OUT/CLI/STI/HLT fault
 * (Vol. 1 18.5); there is no call gate and no DPL-3 system descriptor. CR0.NE = 1 (x87 errors are
 * #MF: Vol. 3A 2.5) and CR0.AM = 1 (ring 3 may set EFLAGS.AC: #AC, 6.15).
 *
 * Every exception and interrupt from ring 3 lands in one ring-0 hook. A fault lets the stream
 * go on one byte past the faulting EIP, up to EVENTS_PER_STREAM events; the PIT's IRQ 0 (code
 * that loops without faulting) or the last event starts the next stream: fresh random bytes at a
 * new offset, new registers. After STREAMS streams the hook leaves to kmain, which checks that
 * the kernel's tables and text are intact. The TAP lines assert only survival and protection,
 * never counts: qemu's timer follows the host clock, and undefined flags, CPUID and RDTSC differ
 * between emulators, so counts go to "#" lines only.
 */
#include "libk.h"
#include "pc.h"

#ifndef STREAMS
#define STREAMS 3000
#endif
#define EVENTS_PER_STREAM 4
#define PIT_DIVISOR 119 /* IRQ 0 at ~10 kHz: a looping stream costs at most ~100 us */
#define PAGE 4096
#define DEFAULT_SEED 0x2545f491u

enum { PG_P = 1, PG_RW = 2, PG_US = 4 };
#define CR0_NE (1u << 5)
#define CR0_AM (1u << 18)
#define EFL_TF (1u << 8)
#define EFL_DF (1u << 10)
#define EFL_VM (1u << 17)
#define EFL_AC (1u << 18)
#define EFL_ARITH 0x8d5u /* CF PF AF ZF SF OF */

static uint32_t pd[1024] __attribute__((aligned(PAGE)));
static uint32_t pt[1024] __attribute__((aligned(PAGE)));
/* [0]: the random code, [2]: the user stack, the only user pages; [1] a supervisor page
   between them, so code running off its page faults rather than run the stack's contents */
static uint8_t user[3][PAGE] __attribute__((aligned(PAGE)));
#define CODE ((uint32_t)user[0])
#define STACK ((uint32_t)user[2])

static uint32_t rng = DEFAULT_SEED, seed = DEFAULT_SEED;

/* xorshift32 (Marsaglia 2003) */
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static struct {
    uint32_t started, events, in_stream, ticks, faults, pf, gp, ud, db, vm86;
} fz;

/* the first frame, built by kmain and popped by fuzz_enter */
static struct excp_frame first;

void fuzz_enter(struct excp_frame *f);
__attribute__((noreturn)) void fuzz_leave(void);
/* fuzz_enter saves kmain's callee-saved registers and stack, then pops f as isr_common's tail
   does (segment registers, PUSHAD image, vector and error code, IRET to ring 3); fuzz_leave,
   called from the hook on the TSS stack, returns from fuzz_enter. */
asm(".text\n"
    ".globl fuzz_enter, fuzz_leave\n"
    "fuzz_enter:\n\t"
    "pushl %ebp\n\t"
    "pushl %ebx\n\t"
    "pushl %esi\n\t"
    "pushl %edi\n\t"
    "movl %esp, fuzz_saved_esp\n\t"
    "movl 20(%esp), %esp\n\t"
    "popl %gs\n\t"
    "popl %fs\n\t"
    "popl %es\n\t"
    "popl %ds\n\t"
    "popal\n\t"
    "addl $8, %esp\n\t"
    "iret\n"
    "fuzz_leave:\n\t"
    "movl $0x10, %eax\n\t"
    "movw %ax, %ds\n\t"
    "movw %ax, %es\n\t"
    "movw %ax, %fs\n\t"
    "movw %ax, %gs\n\t"
    "movl fuzz_saved_esp, %esp\n\t"
    "popl %edi\n\t"
    "popl %esi\n\t"
    "popl %ebx\n\t"
    "popl %ebp\n\t"
    "ret\n"
    ".data\n"
    ".balign 4\n"
    "fuzz_saved_esp: .long 0\n"
    ".text");

/* a register value: random, small, or a pointer into (or around) the user pages, so that
   memory operands hit both mapped and unmapped addresses */
static uint32_t rnd_reg(void)
{
    uint32_t r = rnd();
    switch (r & 3) {
    case 0:
        return rnd() & 0xff;
    case 1:
        return CODE + (rnd() & 0x3fff);
    default:
        return rnd();
    }
}

/* xlat's CPU model has no MMX/SSE (CPUID does not report them, docs/architecture.md) and stops
   on them as unimplemented, while qemu runs MMX: a fresh 0F xx of those opcodes (and LDMXCSR/STMXCSR) becomes
   UD2 (0F 0B), so both see #UD (Vol. 2A 2.1: two-byte opcode map, Table A-3) */
static bool mmx_sse(uint8_t op)
{
    return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) || op == 0x38 ||
           op == 0x3a || op == 0x0e || op == 0x0f || (op >= 0x50 && op <= 0x7f) ||
           (op >= 0xc2 && op <= 0xc6) || op >= 0xd0;
}

static void sanitize(uint32_t from, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *p = (uint8_t *)(CODE + ((from + i) & 0xfff));
        uint8_t *q = (uint8_t *)(CODE + ((from + i + 1) & 0xfff));
        uint8_t modrm = *(uint8_t *)(CODE + ((from + i + 2) & 0xfff));
        /* 0F AE /2 /3: LDMXCSR, STMXCSR */
        if (*p == 0x0f && (mmx_sse(*q) || (*q == 0xae && ((modrm >> 3) & 6) == 2))) {
            *q = 0x0b;
        }
    }
}

static const uint16_t user_segs[4] = {SEL_UDATA, SEL_UDATA, SEL_UCODE, 0};

static void new_stream(struct excp_frame *f)
{
    if (fz.started == STREAMS) {
        fuzz_leave();
    }
    fz.started++;
    fz.in_stream = 0;
    /* every 256 streams the whole page again (random code rewrites it), else 64 fresh bytes */
    uint32_t off = rnd() & 0xfff;
    int n = (fz.started & 255) == 1 ? PAGE / 4 : 16;
    uint32_t at = (fz.started & 255) == 1 ? 0 : off & ~3u;
    for (int i = 0; i < n; i++) {
        *(uint32_t *)(CODE + ((at + 4u * (uint32_t)i) & 0xfff)) = rnd();
    }
    sanitize((at - 1) & 0xfff, 4u * (uint32_t)n + 1);
    f->eip = CODE + off;
    f->cs = SEL_UCODE;
    uint32_t fl = rnd();
    f->eflags = 2 | EFL_IF | (fl & (EFL_ARITH | EFL_DF | EFL_AC)) | ((fl >> 24) < 16 ? EFL_TF : 0);
    f->esp = STACK + (rnd() & ((fl & 0x10000) ? 0xfff : 0xffc));
    f->ss = SEL_UDATA;
    f->eax = rnd_reg();
    f->ecx = rnd_reg();
    f->edx = rnd_reg();
    f->ebx = rnd_reg();
    f->ebp = rnd_reg();
    f->esi = rnd_reg();
    f->edi = rnd_reg();
    f->ds = f->es = SEL_UDATA;
    f->fs = user_segs[rnd() & 3];
    f->gs = user_segs[rnd() & 3];
}

/* directed runs: one chosen instruction in ring 3, its first event recorded, then back */
static bool directed_mode;
static struct {
    int vector;
    uint32_t error, cr2, cs, eip;
} directed;
static volatile uint32_t canary[2] = {0x12345678, 0x9abcdef0}; /* in a supervisor page */

static void on_event(struct excp_frame *f)
{
    int v = (int)f->vector;
    if (directed_mode) {
        directed.vector = v;
        directed.error = f->error;
        directed.cr2 = read_cr2();
        directed.cs = f->cs & 0xffff;
        directed.eip = f->eip;
        fuzz_leave();
    }
    fz.events++;
    /* QEMU's IRET enters virtual-8086 mode whenever the popped EFLAGS has VM, also at CPL 3,
       where the SDM ignores VM (Vol. 2A IRET: "IF tempEFLAGS(VM) = 1 and CPL = 0"); random
       code does that there. Virtual-8086 code runs at CPL 3 too (Vol. 3A 20.1.1), and its
       events are handled like the others: the next stream IRETs back to protected mode. */
    bool vm86 = (f->eflags & EFL_VM) != 0;
    fz.vm86 += vm86;
    if (!vm86 && ((f->cs & 3) != 3 || (f->ss & 0xffff) != SEL_UDATA)) {
        printf("Bail out! vector %d from %04x:%08x (ss %04x), not from the random ring-3 code\n",
               v, f->cs & 0xffff, f->eip, f->ss & 0xffff);
        exit(1);
    }
    if (v >= PIC_VECTOR_BASE && v < PIC_VECTOR_BASE + 16) {
        outb(0x20, 0x20); /* OCW2: non-specific EOI (only the master's IRQ 0 is unmasked) */
        fz.ticks++;
        new_stream(f);
    } else {
        fz.faults++;
        fz.pf += v == 14;
        fz.gp += v == 13;
        fz.ud += v == 6;
        fz.db += v == 1;
        if (++fz.in_stream >= EVENTS_PER_STREAM || vm86) {
            new_stream(f);
        } else if (++f->eip == 0) {
            new_stream(f); /* (EIP 0 would read as "no fixup" to excp_dispatch) */
        }
    }
    /* excp_dispatch resumes a fault at excp_fixup; traps and interrupts return to f->eip */
    excp_fixup = f->eip;
}

/* Run `code` at the start of the user page in ring 3, EAX = the canary's address, IF = 0,
   until its first event (in `directed`). */
static void ring3_first_event(const uint8_t *code, int len)
{
    static struct excp_frame f;
    memcpy((void *)CODE, code, (size_t)len);
    memset(&f, 0, sizeof(f));
    f.ds = f.es = f.fs = f.gs = f.ss = SEL_UDATA;
    f.cs = SEL_UCODE;
    f.eip = CODE;
    f.eflags = 2;
    f.esp = STACK + PAGE;
    f.eax = (uint32_t)canary;
    directed.vector = -1;
    directed_mode = true;
    fuzz_enter(&f);
    directed_mode = false;
}

/* true if the first event of `code` in ring 3 is #PF(error) at the canary, which kept its
   value */
static bool ring3_canary_pf(const uint8_t *code, int len, uint32_t error)
{
    ring3_first_event(code, len);
    return directed.vector == 14 && directed.error == error && directed.cr2 == (uint32_t)canary &&
           canary[0] == 0x12345678 && canary[1] == 0x9abcdef0;
}

/* 0-4 MiB identity mapped, supervisor pages but for the two user pages (SDM Vol. 3A 4.3) */
static void setup_paging(void)
{
    for (uint32_t i = 0; i < 1024; i++) {
        pt[i] = i * PAGE | PG_P | PG_RW;
    }
    pt[CODE >> 12] |= PG_US;
    pt[STACK >> 12] |= PG_US;
    pd[0] = (uint32_t)pt | PG_P | PG_RW | PG_US;
    write_cr3((uint32_t)pd);
    write_cr0(read_cr0() | CR0_PG | CR0_WP | CR0_NE | CR0_AM);
}

/* "seed=N" (decimal) on the Multiboot command line (Multiboot 0.6.96 3.3: flags bit 2) */
static void parse_seed(void)
{
    const uint32_t *mbi = (const uint32_t *)boot_info;
    if (!(mbi[0] & 4)) {
        return;
    }
    const char *s = (const char *)mbi[4];
    for (; *s; s++) {
        if (!strncmp(s, "seed=", 5)) {
            uint32_t v = 0;
            for (s += 5; *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (uint32_t)(*s - '0');
            }
            if (v) {
                rng = seed = v;
            }
            return;
        }
    }
}

static uint32_t sum(const void *p, uint32_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (uint32_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 16777619u;
    }
    return h;
}

extern char isr_stubs[];

/* #UD at CPL 0 from instructions of features the CPU model lacks (random code found each of
   them stopping xlat as "unimplemented"); each entry: bytes, length */
static const struct {
    uint8_t b[4], len;
    const char *name;
} absent[] = {
    {{0xc5, 0xf8, 0x77}, 3, "VZEROUPPER (VEX: CR4.OSXSAVE = 0, SDM Vol. 2A 2.8)"},
    {{0x62, 0xf1, 0x7c, 0x48}, 4, "EVEX prefix (CR4.OSXSAVE = 0)"},
    {{0x0f, 0xae, 0x20}, 3, "XSAVE [EAX] (CR4.OSXSAVE = 0)"},
    {{0x0f, 0x01, 0xd0}, 3, "XGETBV (CR4.OSXSAVE = 0)"},
    {{0x0f, 0xaa}, 2, "RSM outside SMM"},
    {{0x0f, 0x37}, 2, "GETSEC (CR4.SMXE = 0)"},
    {{0x0f, 0xc7, 0xf0}, 3, "RDRAND EAX (no RDRAND)"},
};

static bool ud_at(const uint8_t *code)
{
    excp_reset();
    /* a fault resumes at 1 with CALL's return address still pushed: ESI restores ESP */
    asm volatile("movl %0, try_addr\n\t"
                 "movl $1f, excp_fixup\n\t"
                 "movl $0x100000, %%eax\n\t"
                 "movl %%esp, %%esi\n\t"
                 "call *%0\n"
                 "1:\tmovl %%esi, %%esp\n\t"
                 "movl $0, excp_fixup"
                 :
                 : "r"(code)
                 : "eax", "ecx", "edx", "esi", "memory");
    return excp.vector == 6 && excp.count == 1 && excp.eip == (uint32_t)code;
}

void kmain(void)
{
    tap_plan(10);
    parse_seed();
    tap_diag("seed %u, %u streams", seed, STREAMS);

    /* before paging: the instruction runs from a kernel buffer, followed by RET */
    static uint8_t buf[8];
    int bad = -1;
    for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        memcpy(buf, absent[i].b, absent[i].len);
        buf[absent[i].len] = 0xc3;
        if (!ud_at(buf) && bad < 0) {
            bad = (int)i;
        }
    }
    tap_ok(bad < 0, "VEX, EVEX, XSAVE, XGETBV, RSM, GETSEC, RDRAND are #UD%s%s",
           bad < 0 ? "" : ": not ", bad < 0 ? "" : absent[bad].name);
    static const uint8_t xabort[] = {0xc6, 0xf8, 0x00, 0xc3};
    tap_ok(ud_at(xabort),
           "XABORT is #UD without RTM" QEMU_DEVIATION("SDM Vol. 2B XABORT: #UD if "
                                                      "CPUID.(EAX=07H,ECX=0):EBX.RTM = 0"));

    /* the x87's power-on state has every register valid and every exception unmasked (SDM
       Vol. 3A Table 9-1): FNINIT's is the usual one, for the directed checks below */
    asm volatile("fninit");
    tss_load();
    setup_paging();
    for (int v = 0; v < 256; v++) {
        idt_set_gate(v, GATE_INT32, 0, true);
    }
    pic_setup(1); /* IRQ 0 only */
    for (int v = 0; v < 256; v++) {
        excp_hook[v] = on_event;
    }
    /* explicit operands written or read by microcode-like helpers (x87, SGDT) are user-mode
       accesses at CPL 3 too (SDM Vol. 3A 4.6.1) */
    static const uint8_t fstp[] = {0xd9, 0xee, 0xd9, 0x18}; /* FLDZ; FSTP dword [EAX] */
    static const uint8_t fld[] = {0xdd, 0x00};               /* FLD qword [EAX] */
    static const uint8_t sgdt[] = {0x0f, 0x01, 0x00};        /* SGDT [EAX] */
    tap_ok(ring3_canary_pf(fstp, sizeof(fstp), 7),
           "FSTP at CPL 3 to a supervisor page is #PF(P|W|U), memory unchanged");
    tap_ok(ring3_canary_pf(fld, sizeof(fld), 5), "FLD at CPL 3 from a supervisor page is #PF(P|U)");
    tap_ok(ring3_canary_pf(sgdt, sizeof(sgdt), 7),
           "SGDT at CPL 3 to a supervisor page is #PF(P|W|U), memory unchanged");

    /* far JMP keeps the CPL, so a nonconforming target needs DPL = CPL (SDM Vol. 2A JMP):
       random code reached CS = 0x0B (the ring-0 code segment, RPL 3) at CPL 3 this way */
    static const uint8_t ljmp[] = {0xea, 0x00, 0x10, 0x10, 0x00, SEL_KCODE | 3, 0x00};
    static const uint8_t ljmp_m[] = {0x6a, SEL_KCODE | 3, 0x6a, 0x00, 0xff, 0x2c, 0x24};
    ring3_first_event(ljmp, sizeof(ljmp));
    tap_ok(directed.vector == 13 && directed.error == SEL_KCODE && directed.cs == SEL_UCODE &&
               directed.eip == CODE,
           "JMP ptr16:32 at CPL 3 to the DPL-0 code segment (RPL 3) is #GP(selector)");
    ring3_first_event(ljmp_m, sizeof(ljmp_m));
    tap_ok(directed.vector == 13 && directed.error == SEL_KCODE && directed.cs == SEL_UCODE &&
               directed.eip == CODE + 4,
           "JMP m16:32 at CPL 3 to the DPL-0 code segment (RPL 3) is #GP(selector)");

    outb(0x43, 0x34); /* PIT channel 0, lobyte/hibyte, mode 2 (rate generator) */
    outb(0x40, PIT_DIVISOR & 0xff);
    outb(0x40, PIT_DIVISOR >> 8);

    /* the handler stubs and this file's code */
    uint32_t sums[3] = {sum(gdt, sizeof(gdt)), sum(idt, sizeof(idt)), sum(&tss, sizeof(tss))};
    uint32_t text_sum = sum(isr_stubs, 16 * 256) ^ sum((void *)kmain, 512);
    uint32_t cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();

    first.ds = first.es = first.fs = first.gs = SEL_UDATA;
    new_stream(&first);
    fuzz_enter(&first); /* returns after STREAMS streams, IF = 0 (in the hook's gate) */
    outb(0x21, 0xff);

    tap_diag("%u events: %u timer, %u faults (%u #PF, %u #GP, %u #UD, %u #DB), %u from "
             "virtual-8086 mode", fz.events, fz.ticks, fz.faults, fz.pf, fz.gp, fz.ud, fz.db,
             fz.vm86);
    tap_ok(fz.started == STREAMS,
           "%d random ring-3 streams ran, every event reached the ring-0 handler from CPL 3",
           STREAMS);
    tap_ok(sum(gdt, sizeof(gdt)) == sums[0] && sum(idt, sizeof(idt)) == sums[1] &&
               sum(&tss, sizeof(tss)) == sums[2] && (sum(isr_stubs, 16 * 256) ^ sum((void *)kmain, 512)) == text_sum,
           "GDT, IDT, TSS and kernel text unchanged by ring 3");
    tap_ok(read_cr0() == cr0 && read_cr3() == cr3 && read_cr4() == cr4 &&
               read_cs() == SEL_KCODE && read_str() == SEL_TSS,
           "CR0, CR3, CR4, CS and TR unchanged by ring 3");
}
