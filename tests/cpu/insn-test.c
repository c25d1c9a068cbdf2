/*
 * tests/cpu/insn-test.c — directed tests of the instructions the differential and single-step
 * tests cannot check against a reference: CPUID (xlat's own CPU model), RDTSC and RDTSCP (the
 * virtual clock), UD0/UD1/UD2 and invalid opcodes (#UD), INT3/INTO/INT n delivery, how a REP
 * string instruction retires (a budget unit per iteration; it stops mid-string and resumes),
 * the x87's real-mode environment layouts, and real-mode limit checks of 32-bit-addressed (67h)
 * accesses. Each runs a few bytes of real-mode or flat 32-bit code in an in-process machine
 * (tests/cpu/harness.h) on both backends.
 *
 *   o/rel/tests/cpu/insn-test          prints "ok - NAME" per check and "N passed, M failed"
 */
#include "cpu/cpu-models.h"
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

static void check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s - ", ok ? "ok" : "not ok");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (ok) {
        passed++;
    } else {
        failed++;
    }
}

enum { CODE = 0x20000, CODE16 = 0x1000, STACK_TOP = 0x30000, HANDLER = 0x8000 };

/* flat 32-bit protected mode at CODE */
static int run32(Machine *m, const uint8_t *code, size_t n, int64_t limit)
{
    harness_write(m, CODE, code, n);
    harness_set_flat32(m);
    CPUX86State *c = &m->cpu;
    memset(c->regs, 0, sizeof(c->regs));
    c->regs[R_ESP] = STACK_TOP;
    c->eip = CODE;
    x86_set_eflags(c, 0x2, ~0u);
    return harness_run(m, limit);
}

/* real mode, CS = DS = SS = 0, code at CODE16; every IVT vector points at a HLT at HANDLER + 4 *
   vector, so the vector delivered shows in IP */
static int run16(Machine *m, const uint8_t *code, size_t n)
{
    uint8_t ivt[256 * 4];
    uint8_t hlts[256 * 4];
    for (int v = 0; v < 256; v++) {
        uint16_t ip = (uint16_t)(HANDLER + 4 * v);
        ivt[4 * v] = (uint8_t)ip;
        ivt[4 * v + 1] = (uint8_t)(ip >> 8);
        ivt[4 * v + 2] = 0;
        ivt[4 * v + 3] = 0;
        memset(hlts + 4 * v, 0xf4, 4);
    }
    harness_write(m, 0, ivt, sizeof(ivt));
    harness_write(m, HANDLER, hlts, sizeof(hlts));
    harness_write(m, CODE16, code, n);
    harness_set_real(m);
    for (int s = 0; s < R_NB_SEGS; s++) {
        harness_load_seg_real(m, s, 0);
    }
    CPUX86State *c = &m->cpu;
    memset(c->regs, 0, sizeof(c->regs));
    c->regs[R_ESP] = 0x7000;
    c->eip = CODE16;
    c->idt.base = 0;
    c->idt.limit = 0x3ff;
    x86_set_eflags(c, 0x2, ~0u);
    return harness_run(m, 1000);
}

/* the vector a real-mode run ended in (its HLT at HANDLER + 4 * vector), or -1 */
static int vector_taken(Machine *m)
{
    uint32_t ip = (uint32_t)m->cpu.eip - 1;
    if (ip < HANDLER || ip >= HANDLER + 0x400) {
        return -1;
    }
    return (int)((ip - HANDLER) / 4);
}

static void test_cpuid(Machine *m, const char *be)
{
    /* leaf 0: vendor; leaf 1: the features of xlat's default CPU */
    static const uint8_t code[] = {
        0x31, 0xc0,       /* xor eax, eax */
        0x0f, 0xa2,       /* cpuid */
        0x89, 0xc5,       /* mov ebp, eax (max leaf) */
        0x89, 0xde,       /* mov esi, ebx */
        0x89, 0xd7,       /* mov edi, edx */
        0x89, 0x0d, 0x00, 0x10, 0x00, 0x00, /* mov [0x1000], ecx */
        0xb8, 0x01, 0x00, 0x00, 0x00,       /* mov eax, 1 */
        0x0f, 0xa2,       /* cpuid */
        0xf4,             /* hlt */
    };
    int r = run32(m, code, sizeof(code), 100);
    CPUX86State *c = &m->cpu;
    char vendor[13];
    uint32_t ecx0;
    harness_read(m, 0x1000, &ecx0, 4);
    memcpy(vendor, &c->regs[R_ESI], 4);
    memcpy(vendor + 4, &c->regs[R_EDI], 4);
    memcpy(vendor + 8, &ecx0, 4);
    vendor[12] = 0;
    check(r == HARNESS_HALTED && c->regs[R_EBP] >= 1 && strcmp(vendor, "GenuineIntel") == 0,
          "%s: CPUID leaf 0: max leaf %u, vendor '%s'", be, (unsigned)c->regs[R_EBP], vendor);
    check((uint32_t)c->regs[R_EDX] == x86_cpu_implemented(FEAT_1_EDX) &&
              (uint32_t)c->regs[R_ECX] == x86_cpu_implemented(FEAT_1_ECX) &&
              (c->regs[R_EDX] & (1u << 4 | 1u << 8 | 1u << 15)) == (1u << 4 | 1u << 8 | 1u << 15),
          "%s: CPUID leaf 1 reports what xlat implements (EDX %08x ECX %08x), TSC CX8 CMOV among "
          "them", be, (uint32_t)c->regs[R_EDX], (uint32_t)c->regs[R_ECX]);
}

static void test_rdtsc(Machine *m, const char *be)
{
    /* two RDTSCs 3 instructions apart: the virtual clock advances by exactly 3 (1 ns each) */
    static const uint8_t code[] = {
        0x0f, 0x31,       /* rdtsc */
        0x89, 0xc3,       /* mov ebx, eax */
        0x90,             /* nop */
        0x0f, 0x31,       /* rdtsc */
        0x29, 0xd8,       /* sub eax, ebx */
        0xf4,
    };
    int r = run32(m, code, sizeof(code), 100);
    check(r == HARNESS_HALTED && m->cpu.regs[R_EAX] == 3,
          "%s: RDTSC counts retired instructions (delta %u, want 3)", be,
          (unsigned)m->cpu.regs[R_EAX]);
}

static void test_rdtscp(Machine *m, const char *be)
{
    /* WRMSR IA32_TSC_AUX; RDTSC; RDTSCP two instructions later: ECX = the MSR, and the clock
       advanced by exactly 2 (SDM Vol. 2B RDTSCP) */
    static const uint8_t code[] = {
        0x66, 0xb9, 0x03, 0x01, 0x00, 0xc0, /* mov ecx, 0xc0000103 */
        0x66, 0xb8, 0x34, 0x12, 0x5a, 0x00, /* mov eax, 0x005a1234 */
        0x66, 0x31, 0xd2,                   /* xor edx, edx */
        0x0f, 0x30,                         /* wrmsr */
        0x0f, 0x31,                         /* rdtsc */
        0x66, 0x89, 0xc3,                   /* mov ebx, eax */
        0x0f, 0x01, 0xf9,                   /* rdtscp */
        0x66, 0x29, 0xd8,                   /* sub eax, ebx */
        0xf4,
    };
    int r = run16(m, code, sizeof(code));
    check(r == HARNESS_HALTED && vector_taken(m) < 0 && m->cpu.regs[R_EAX] == 2 &&
              m->cpu.regs[R_ECX] == 0x005a1234,
          "%s: RDTSCP: ECX = IA32_TSC_AUX (%#x), the clock as RDTSC's (delta %u, want 2)", be,
          (unsigned)m->cpu.regs[R_ECX], (unsigned)m->cpu.regs[R_EAX]);
    /* a CPU model without rdtscp (CPUID 80000001H EDX bit 27): #UD */
    X86CPUChoice saved = m->opt.cpu_model;
    memset(&m->opt.cpu_model, 0, sizeof(m->opt.cpu_model));
    m->opt.cpu_model.model = "test";
    static const uint8_t ud[] = {0x0f, 0x01, 0xf9, 0xf4};
    r = run16(m, ud, sizeof(ud));
    m->opt.cpu_model = saved;
    check(r == HARNESS_HALTED && vector_taken(m) == EXCP_UD,
          "%s: RDTSCP is #UD when the CPU model does not report it (vector %d)", be,
          vector_taken(m));
}

/* REP costs one unit of the instruction budget per iteration (at least one: docs/architecture.md,
   "Execution, time and exits"), and when the budget runs out mid-string the CPU stops between
   iterations with EIP at the instruction and the registers of the iterations done, from which
   it resumes (SDM Vol. 2B "REP"). Both halves of the STOSB go through the bulk path. */
static void test_rep_budget(Machine *m, const char *be)
{
    /* mov ecx, 5000; mov edi, 0x2000; mov al, 0x5a; rep stosb; hlt */
    static const uint8_t code[] = {0xb9, 0x88, 0x13, 0, 0, 0xbf, 0x00, 0x20, 0, 0,
                                   0xb0, 0x5a, 0xf3, 0xaa, 0xf4};
    uint64_t before = m->icount;
    int r = run32(m, code, sizeof(code), 3000);
    uint64_t n = m->icount - before;
    /* the first block charges 4 (its entry pays the first iteration): 2997 iterations */
    check(r == HARNESS_LIMIT && n == 3000 && m->cpu.regs[R_ECX] == 5000 - 2997 &&
              m->cpu.regs[R_EDI] == 0x2000 + 2997 && m->cpu.eip == CODE + 12,
          "%s: REP STOSB stops mid-string when the budget ends (%llu retired, ECX %u, EDI %#x, "
          "EIP %#x; want 3000, 2003, 0x2bb5, at the REP)",
          be, (unsigned long long)n, (unsigned)m->cpu.regs[R_ECX],
          (unsigned)m->cpu.regs[R_EDI], (unsigned)m->cpu.eip);
    before = m->icount;
    r = harness_run(m, 10000);
    n = m->icount - before;
    uint8_t buf[5002];
    harness_read(m, 0x1fff, buf, sizeof(buf));
    bool filled = buf[0] != 0x5a && buf[5001] != 0x5a;
    for (int k = 1; k <= 5000; k++) {
        filled &= buf[k] == 0x5a;
    }
    /* the rest: 2003 iterations, then HLT */
    check(r == HARNESS_HALTED && n == 2003 + 1 && m->cpu.regs[R_ECX] == 0 &&
              m->cpu.regs[R_EDI] == 0x2000 + 5000 && filled,
          "%s: ... and resumes to the end (%llu retired, want 2004; ECX %u, EDI %#x, bytes %s)",
          be, (unsigned long long)n, (unsigned)m->cpu.regs[R_ECX],
          (unsigned)m->cpu.regs[R_EDI], filled ? "right" : "wrong");
}

static void test_ud(Machine *m, const char *be)
{
    static const struct {
        const char *name;
        uint8_t bytes[4];
        int n;
    } ud[] = {
        {"UD2", {0x0f, 0x0b}, 2},
        {"UD1", {0x0f, 0xb9, 0xc0}, 3},
        {"UD0", {0x0f, 0xff, 0xc0}, 3},
        {"LOCK NOP (invalid LOCK)", {0xf0, 0x90}, 2},
        {"LEA with a register operand", {0x8d, 0xc0}, 2},
    };
    for (size_t i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
        uint8_t code[8];
        memcpy(code, ud[i].bytes, (size_t)ud[i].n);
        code[ud[i].n] = 0xf4;
        int r = run16(m, code, (size_t)ud[i].n + 1);
        /* #UD is a fault: the return address pushed is the instruction itself */
        uint16_t ret;
        harness_read(m, (uint32_t)m->cpu.regs[R_ESP] & 0xffff, &ret, 2);
        check(r == HARNESS_HALTED && vector_taken(m) == EXCP_UD && ret == CODE16,
              "%s: %s raises #UD at the instruction (vector %d, return %04x)", be, ud[i].name,
              vector_taken(m), ret);
    }
}

static void test_traps(Machine *m, const char *be)
{
    static const struct {
        const char *name;
        uint8_t bytes[8];
        int n;
        int vector;
        int len; /* of the trapping instruction: the pushed IP is after it */
        int at;  /* its offset in bytes[] */
    } t[] = {
        {"INT3", {0xcc}, 1, 3, 1, 0},
        {"INT 0x41", {0xcd, 0x41}, 2, 0x41, 2, 0},
        {"INTO with OF = 1", {0xb0, 0x7f, 0x04, 0x01, 0xce}, 5, 4, 1, 4}, /* mov al,7f; add al,1 */
        {"BOUND out of range (#BR, a fault)", {0x62, 0x06, 0x00, 0x30}, 4, 5, 0, 0},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint8_t code[16];
        memcpy(code, t[i].bytes, (size_t)t[i].n);
        code[t[i].n] = 0xf4;
        uint8_t bounds[4] = {0x10, 0x00, 0x20, 0x00}; /* [0x3000]: 16..32; AX = 0 is outside */
        harness_write(m, 0x3000, bounds, 4);
        int r = run16(m, code, (size_t)t[i].n + 1);
        uint16_t ret;
        harness_read(m, (uint32_t)m->cpu.regs[R_ESP] & 0xffff, &ret, 2);
        uint16_t want = (uint16_t)(CODE16 + t[i].at + t[i].len);
        check(r == HARNESS_HALTED && vector_taken(m) == t[i].vector && ret == want,
              "%s: %s delivers vector %d with return address %04x (got vector %d, %04x)", be,
              t[i].name, t[i].vector, want, vector_taken(m), ret);
    }
    /* INTO with OF = 0 falls through to the HLT */
    static const uint8_t no[] = {0x31, 0xc0, 0xce, 0xf4}; /* xor ax,ax; into; hlt */
    int r = run16(m, no, sizeof(no));
    check(r == HARNESS_HALTED && m->cpu.eip == CODE16 + 4,
          "%s: INTO with OF = 0 does nothing", be);
}

/* The x87 environment in real mode (SDM Vol. 1 Figures 8-10 and 8-12): the instruction and
   operand pointers are 20-bit linear addresses, split into bits 15..0 and bits 19..16 (at bits
   15..12 of the next word, next to the opcode); FLDENV reads the same format back. */
static void test_x87_real(Machine *m, const char *be)
{
    static const uint8_t code[] = {
        0xdb, 0xe3,                   /* 1000: fninit */
        0xb8, 0x00, 0x10,             /* 1002: mov ax, 0x1000 */
        0x8e, 0xd8,                   /* 1005: mov ds, ax */
        0xdb, 0x2e, 0x10, 0x00,       /* 1007: fld tword [0x10]: linear 0x10010 */
        0xd9, 0x36, 0x40, 0x00,       /* 100b: fnstenv [0x40] (14 bytes) */
        0x66, 0xd9, 0x36, 0x60, 0x00, /* 100f: fnstenv [0x60] (28 bytes) */
        0xd9, 0x26, 0x40, 0x00,       /* 1014: fldenv [0x40] */
        0xd9, 0x36, 0x80, 0x00,       /* 1018: fnstenv [0x80] */
        0xf4,                         /* 101c: hlt */
    };
    static const uint8_t one[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f};
    harness_write(m, 0x10010, one, sizeof(one));
    int r = run16(m, code, sizeof(code));
    uint8_t e16[14], e32[28], again[14];
    harness_read(m, 0x10040, e16, sizeof(e16));
    harness_read(m, 0x10060, e32, sizeof(e32));
    harness_read(m, 0x10080, again, sizeof(again));
    uint16_t w[7];
    memcpy(w, e16, sizeof(w));
    check(r == HARNESS_HALTED && w[0] == 0x037f && w[1] == 0x3800 && w[2] == 0x3fff &&
              w[3] == 0x1007 && w[4] == 0x032e && w[5] == 0x0010 && w[6] == 0x1000,
          "%s: FNSTENV, 16-bit real-mode format: %04x %04x %04x FIP %04x %04x FDP %04x %04x", be,
          w[0], w[1], w[2], w[3], w[4], w[5], w[6]);
    uint32_t d[7];
    memcpy(d, e32, sizeof(d));
    check((d[0] & 0xffff) == 0x037f && (d[1] & 0xffff) == 0x3800 && (d[2] & 0xffff) == 0x3fff &&
              (d[3] & 0xffff) == 0x1007 && d[4] == 0x0000032e && (d[5] & 0xffff) == 0x0010 &&
              d[6] == 0x00001000,
          "%s: FNSTENV, 32-bit real-mode format: FIP %04x %08x FDP %04x %08x", be,
          d[3] & 0xffff, d[4], d[5] & 0xffff, d[6]);
    check(memcmp(e16, again, sizeof(again)) == 0, "%s: FLDENV reads the real-mode format back",
          be);
}

/* Real mode with 32-bit addresses (67h): an access any byte of which lies above the cached
   limit FFFFh is #GP, or #SS through SS (SDM Vol. 3A 20.1.3), also when offset + size wraps
   past 4 GiB (translated inline: cpu/translate.c gen_seg_check). */
static void test_real_addr32(Machine *m, const char *be)
{
    static const struct {
        uint32_t ebx;
        uint8_t insn[5];
        int len;
        int vector; /* -1: no fault */
        const char *what;
    } cases[] = {
        {0xfffe, {0x67, 0x8b, 0x03}, 3, -1, "mov ax, [ebx]: EBX FFFEh"},
        {0xffff, {0x67, 0x8b, 0x03}, 3, 13, "mov ax, [ebx]: EBX FFFFh"},
        {0xfffc, {0x67, 0x66, 0x89, 0x03}, 4, -1, "mov [ebx], eax: EBX FFFCh"},
        {0xfffffffe, {0x67, 0x66, 0x8b, 0x03}, 4, 13, "mov eax, [ebx]: EBX FFFFFFFEh (wraps)"},
        {0xfffffffd, {0x67, 0xd9, 0x03}, 3, 13, "fld dword [ebx]: EBX FFFFFFFDh (wraps)"},
        {0xffffffff, {0x67, 0x8b, 0x43, 0x00}, 4, 13, "mov ax, [ebx + 0]: EBX FFFFFFFFh"},
        {0xffffffff, {0x67, 0x8b, 0x45, 0x00}, 4, 12, "mov ax, [ebp + 0]: EBP FFFFFFFFh (SS)"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        uint8_t code[16];
        uint32_t v = cases[k].ebx;
        bool bp = cases[k].vector == 12;
        size_t n = 0;
        code[n++] = 0x66; /* mov ebx/ebp, imm32 */
        code[n++] = bp ? 0xbd : 0xbb;
        for (int i = 0; i < 4; i++) {
            code[n++] = (uint8_t)(v >> (8 * i));
        }
        memcpy(code + n, cases[k].insn, (size_t)cases[k].len);
        n += (size_t)cases[k].len;
        code[n++] = 0xf4; /* hlt */
        int r = run16(m, code, n);
        int got = vector_taken(m);
        bool ok = r == HARNESS_HALTED &&
                  (cases[k].vector < 0 ? m->cpu.eip == CODE16 + n : got == cases[k].vector);
        check(ok, "%s: real mode, %s: %s (vector %d)", be, cases[k].what,
              cases[k].vector < 0 ? "no fault" : cases[k].vector == 12 ? "#SS" : "#GP", got);
    }
}

int main(void)
{
    const char *names[2] = {"jit", "interp"};
    for (int b = 0; b < 2; b++) {
        Machine *m = harness_create(names[b], 1u << 20);
        if (!m) {
            check(false, "%s: machine", names[b]);
            continue;
        }
        test_cpuid(m, names[b]);
        test_rdtsc(m, names[b]);
        test_rdtscp(m, names[b]);
        test_rep_budget(m, names[b]);
        test_ud(m, names[b]);
        test_traps(m, names[b]);
        test_x87_real(m, names[b]);
        test_real_addr32(m, names[b]);
        machine_destroy(m);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
