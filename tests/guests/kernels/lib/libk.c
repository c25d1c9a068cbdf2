/*
 * tests/guests/kernels/lib/libk.c — the test kernels' runtime in C: output on the debug console,
 * printf, TAP, isa-debug-exit, the GDT, IDT and TSS, and the exception dispatcher that records
 * each exception for the test (see libk.h).
 *
 * References: Intel SDM Vol. 3A 3.4.5 (segment descriptors), 6.11 (IDT gate descriptors), 7.2.1
 * (the 32-bit TSS), 6.13 (error codes); the TAP 13 format (testanything.org).
 */
#include "libk.h"

/* ---- strings and memory (the compiler may call these) --------------------------------------- */

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--) {
        *p++ = (uint8_t)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++) {
        if (*p != *q) {
            return *p - *q;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (uint8_t)*a - (uint8_t)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a) {
            return (uint8_t)*a - (uint8_t)*b;
        }
    }
    return 0;
}

/* ---- output ------------------------------------------------------------------------------- */

void putchar(int c)
{
    outb(DEBUGCON_PORT, (uint8_t)c);
}

void puts(const char *s)
{
    while (*s) {
        putchar(*s++);
    }
}

static int put_num(unsigned long long v, unsigned base, bool upper, int width, char pad,
                   bool left, bool neg)
{
    char buf[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    /* no 64-bit division: it would call libgcc, whose code uses instructions (ENDBR32) a test
       of an emulator should not depend on; decimal numbers above 2^32 print in hex */
    if (base == 10 && v > 0xffffffffu) {
        base = 16;
        puts("0x");
    }
    do {
        if (base == 16) {
            buf[n++] = digits[v & 15];
            v >>= 4;
        } else {
            uint32_t w = (uint32_t)v;
            buf[n++] = digits[w % 10];
            v = w / 10;
        }
    } while (v);
    if (neg) {
        if (pad == '0') {
            putchar('-');
        } else {
            buf[n++] = '-';
        }
    }
    int len = n + (neg && pad == '0');
    int out = 0;
    if (!left) {
        for (; len + out < width; out++) {
            putchar(pad);
        }
    }
    while (n) {
        putchar(buf[--n]);
    }
    out += len;
    for (; left && out < width; out++) {
        putchar(' ');
    }
    return out;
}

int vprintf(const char *fmt, va_list ap)
{
    int out = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putchar(*fmt);
            out++;
            continue;
        }
        fmt++;
        bool left = false, alt = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-') {
                left = true;
            } else if (*fmt == '0') {
                pad = '0';
            } else if (*fmt == '#') {
                alt = true;
            } else {
                break;
            }
        }
        int width = 0;
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        int lng = 0;
        while (*fmt == 'l' || *fmt == 'h' || *fmt == 'z') {
            lng += *fmt == 'l';
            fmt++;
        }
        unsigned long long u;
        switch (*fmt) {
        case 'd':
        case 'i': {
            long long v = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
            u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
            out += put_num(u, 10, false, width, pad, left, v < 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            u = lng >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            if (alt && *fmt != 'u') {
                puts("0x");
                out += 2;
            }
            out += put_num(u, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, pad, left, false);
            break;
        case 'p':
            puts("0x");
            out += 2 + put_num((uint32_t)va_arg(ap, void *), 16, false, 8, '0', false, false);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) {
                s = "(null)";
            }
            int len = (int)strlen(s);
            for (int i = len; !left && i < width; i++, out++) {
                putchar(' ');
            }
            puts(s);
            out += len;
            for (int i = len; left && i < width; i++, out++) {
                putchar(' ');
            }
            break;
        }
        case 'c':
            putchar(va_arg(ap, int));
            out++;
            break;
        case '%':
            putchar('%');
            out++;
            break;
        default:
            putchar('%');
            putchar(*fmt);
            out += 2;
            if (!*fmt) {
                return out;
            }
        }
    }
    return out;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

void exit(int code)
{
    /* isa-debug-exit (QEMU): the emulator exits with status (code << 1) | 1 */
    outl(DEBUG_EXIT_PORT, (uint32_t)code);
    for (;;) {
        asm volatile("cli; hlt");
    }
}

/* ---- TAP ---------------------------------------------------------------------------------- */

static int tap_planned, tap_run, tap_failed;

void tap_plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
}

bool tap_ok(bool cond, const char *fmt, ...)
{
    va_list ap;
    tap_run++;
    if (!cond) {
        tap_failed++;
    }
    printf("%sok %d - ", cond ? "" : "not ", tap_run);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (!cond) {
        /* what the last exception looked like, to tell a wrong vector from a wrong address */
        tap_diag("last exception: vector %d error %#x at %04x:%08x (TRY %08x-%08x) count %d "
                 "cr2 %08x eflags %08x",
                 excp.vector, excp.error, excp.cs, excp.eip, try_addr, try_next, excp.count,
                 excp.cr2, excp.eflags);
    }
    return cond;
}

void tap_diag(const char *fmt, ...)
{
    va_list ap;
    puts("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

void tap_done(void)
{
    if (tap_run != tap_planned) {
        tap_diag("planned %d tests but ran %d", tap_planned, tap_run);
    }
    tap_diag("%d of %d failed", tap_failed, tap_run);
    exit(tap_failed || tap_run != tap_planned ? 1 : 0);
}

/* ---- GDT, IDT, TSS ------------------------------------------------------------------------ */

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
uint64_t idt[256] __attribute__((aligned(8)));
struct tss32 tss __attribute__((aligned(128)));

/* SDM Vol. 3A 3.4.5, Figure 3-8: the base and limit are scattered over both dwords */
void gdt_set(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | ((uint32_t)access << 8) | (limit & 0xf0000) |
                  ((uint32_t)(flags & 0xf) << 20) | (base & 0xff000000u);
    gdt[index] = ((uint64_t)hi << 32) | lo;
}

extern char isr_stubs[];

uint32_t isr_stub(int vector)
{
    return (uint32_t)isr_stubs + 16u * (uint32_t)vector;
}

/* SDM Vol. 3A 6.11, Figure 6-2: offset split over both dwords, selector, P, DPL, type */
void idt_set_raw(int vector, uint32_t handler, uint16_t sel, int type, int dpl, bool present)
{
    uint32_t lo = (handler & 0xffff) | ((uint32_t)sel << 16);
    uint32_t hi = (handler & 0xffff0000u) | (present ? 0x8000u : 0) | ((uint32_t)dpl << 13) |
                  ((uint32_t)type << 8);
    idt[vector] = ((uint64_t)hi << 32) | lo;
}

void idt_set_gate(int vector, int type, int dpl, bool present)
{
    idt_set_raw(vector, isr_stub(vector), SEL_KCODE, type, dpl, present);
}

void lidt(void *base, uint16_t limit)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) d = {limit, (uint32_t)base};
    asm volatile("lidt %0" : : "m"(d) : "memory");
}

static void lgdt(void *base, uint16_t limit)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) d = {limit, (uint32_t)base};
    asm volatile("lgdt %0" : : "m"(d) : "memory");
}

void tss_load(void)
{
    asm volatile("ltr %w0" : : "r"(SEL_TSS) : "memory");
}

/* ---- exceptions --------------------------------------------------------------------------- */

volatile struct excp_record excp;
volatile uint32_t excp_fixup, try_addr, try_next;
excp_hook_fn excp_hook[256];

void excp_reset(void)
{
    excp.vector = -1;
    excp.count = 0;
    excp.error = excp.eip = excp.cs = excp.eflags = excp.esp = excp.ss = 0;
    excp.cr2 = excp.handler_eflags = excp.frame = 0;
}

__attribute__((noreturn)) void user_return(uint32_t value);
struct excp_frame user_exit_frame;
uint32_t user_exit_frame_addr;

/* Called by isr_common (isr.S) with the frame it built. */
void excp_dispatch(struct excp_frame *f);
void excp_dispatch(struct excp_frame *f)
{
    int v = (int)f->vector;
    bool from_user = (f->cs & 3) != 0;
    if (v == USER_EXIT_VECTOR && from_user) {
        user_exit_frame = *f;
        user_exit_frame_addr = (uint32_t)f;
        user_return(f->eax); /* the end of a run_user function */
    }
    excp.vector = v;
    excp.count++;
    excp.error = f->error;
    excp.eip = f->eip;
    excp.cs = f->cs & 0xffff;
    excp.eflags = f->eflags;
    excp.esp = from_user ? f->esp : 0;
    excp.ss = from_user ? f->ss & 0xffff : 0;
    excp.cr2 = read_cr2();
    excp.handler_eflags = read_eflags();
    excp.frame = (uint32_t)f;
    if (excp_hook[v]) {
        excp_hook[v](f);
    }
    /* traps (INT3, INTO), NMIs and software or external interrupts continue after the
       instruction, also inside TRY; a fault in TRY resumes at its end */
    if (v == 2 || v == 3 || v == 4 || v >= 32) {
        return;
    }
    if (excp_fixup) {
        f->eip = excp_fixup;
        excp_fixup = 0;
        return;
    }
    static int bailing_out;
    if (bailing_out++) {
        puts("Bail out! an exception while reporting an exception\n");
        exit(1);
    }
    printf("Bail out! unexpected exception %d (error %#x) at %04x:%08x, cr2 %08x\n", v,
           f->error, f->cs & 0xffff, f->eip, read_cr2());
    exit(1);
}

/* ---- start ---------------------------------------------------------------------------------- */

void libk_start(void);
void libk_start(void)
{
    gdt[0] = 0;
    gdt_set(1, 0, 0xfffff, ACC_P | ACC_S | ACC_CODE | ACC_READ | ACC_ACCESSED, FLG_G | FLG_DB);
    gdt_set(2, 0, 0xfffff, ACC_P | ACC_S | ACC_WRITE | ACC_ACCESSED, FLG_G | FLG_DB);
    gdt_set(3, 0, 0xfffff, ACC_P | ACC_DPL3 | ACC_S | ACC_CODE | ACC_READ | ACC_ACCESSED,
            FLG_G | FLG_DB);
    gdt_set(4, 0, 0xfffff, ACC_P | ACC_DPL3 | ACC_S | ACC_WRITE | ACC_ACCESSED, FLG_G | FLG_DB);
    gdt_set(5, (uint32_t)&tss, sizeof(tss) - 1, ACC_P | ACC_TSS32, 0);
    lgdt(gdt, sizeof(gdt) - 1);
    /* Multiboot's GDT may be gone already (section 3.2): reload every segment register */
    asm volatile("ljmp %0, $1f\n1:\n\t"
                 "movw %w1, %%ds\n\t"
                 "movw %w1, %%es\n\t"
                 "movw %w1, %%fs\n\t"
                 "movw %w1, %%gs\n\t"
                 "movw %w1, %%ss"
                 :
                 : "i"(SEL_KCODE), "r"(SEL_KDATA)
                 : "memory");

    for (int v = 0; v < 256; v++) {
        idt_set_gate(v, GATE_INT32, 0, true);
    }
    /* INT3 and INTO may be used from ring 3 (SDM Vol. 3A 6.12.1.1: gate DPL >= CPL) */
    idt_set_gate(3, GATE_INT32, 3, true);
    idt_set_gate(4, GATE_INT32, 3, true);
    idt_set_gate(USER_EXIT_VECTOR, GATE_INT32, 3, true);
    lidt_default();

    /* Mask both 8259s (OCW1): nothing external may interrupt a test, whatever state the
       firmware or the emulator left them in. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);

    /* ring-0 stack for interrupts from ring 3; no I/O permission bitmap (its base is past the
       TSS limit, so IN/OUT at CPL > IOPL fault: SDM Vol. 1 18.5.2) */
    tss.ss0 = SEL_KDATA;
    tss.esp0 = (uint32_t)istack_top;
    tss.iomap_base = sizeof(tss);

    excp_reset();
    kmain();
    tap_done();
}
