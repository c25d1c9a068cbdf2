/*
 * tests/guests/kernels/x87.c — the x87 FPU as the system sees it: CPUID, the state FNINIT
 * leaves, FNSTSW/FNSTCW/FNSTENV/FNSAVE/FRSTOR images (SDM Vol. 1 8.1.10, Figures 8-9 and 8-11),
 * the register stack and tags, #NM from CR0.TS and CR0.EM and WAIT with CR0.MP (SDM Vol. 3A
 * 2.5, Table 2-2), #MF at the next waiting instruction with CR0.NE = 1 (SDM Vol. 1 8.7),
 * FXSAVE/FXRSTOR (SDM Vol. 2A: the legacy 512-byte image, #GP on a misaligned area or reserved
 * MXCSR bits), and a little arithmetic (the Pentium FDIV check Linux runs at boot).
 *
 * The kernel is built with -mgeneral-regs-only: every x87 instruction is inline assembly.
 */
#include "libk.h"

#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR4_OSFXSR (1u << 9)

/* 80-bit values as bytes: pi (0x4000 C90FDAA22168C235), 1.0, -2.5 */
static const uint8_t f80_pi[10] = {0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40};
static const uint8_t f80_one[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f};
static const uint8_t f80_m2_5[10] = {0, 0, 0, 0, 0, 0, 0, 0xa0, 0x00, 0xc0};
static const uint8_t f80_indef[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff};

static uint8_t fxarea[512 + 16] __attribute__((aligned(16)));
static uint8_t save[108];
static uint8_t out[10];

static uint16_t fnstsw(void)
{
    uint16_t sw;
    asm volatile("fnstsw %0" : "=m"(sw));
    return sw;
}

static uint16_t fnstcw(void)
{
    uint16_t cw;
    asm volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

static void fldcw(uint16_t cw)
{
    asm volatile("fldcw %0" : : "m"(cw));
}

static void fld80(const uint8_t *p)
{
    asm volatile("fldt (%0)" : : "r"(p) : "memory");
}

static void fstp80(uint8_t *p)
{
    asm volatile("fstpt (%0)" : : "r"(p) : "memory");
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void cr0_set(uint32_t set, uint32_t clear)
{
    write_cr0((read_cr0() | set) & ~clear);
}

static void test_cpuid(void)
{
    uint32_t a = 1, b, c, d;
    asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    tap_ok(d & 1, "CPUID.1:EDX.FPU[bit 0] = 1");
    tap_ok(d & (1u << 24), "CPUID.1:EDX.FXSR[bit 24] = 1");
    tap_ok(read_cr0() & CR0_ET, "CR0.ET = 1 (SDM Vol. 3A 2.5: reserved, reads as 1)");
}

/* what Linux's fpu__init_system_early_generic probes: FNINIT, then FNSTSW/FNSTCW over 0xFFFF */
static void test_fninit(void)
{
    cr0_set(CR0_NE | CR0_MP, CR0_EM | CR0_TS);
    uint16_t sw = 0xffff, cw = 0xffff, ax = 0xffff;
    asm volatile("fninit\n\tfnstsw %0\n\tfnstcw %1" : "+m"(sw), "+m"(cw));
    tap_ok(sw == 0, "FNINIT, FNSTSW m16: 0 (got %04x)", sw);
    tap_ok(cw == 0x037f, "FNINIT, FNSTCW m16: 037F (got %04x)", cw);
    asm volatile("fnstsw %%ax" : "+a"(ax));
    tap_ok(ax == 0, "FNSTSW AX after FNINIT: 0 (got %04x)", ax);
    asm volatile("fnstenv %0" : "=m"(save));
    tap_ok(rd16(save) == 0x037f && rd16(save + 4) == 0 && rd16(save + 8) == 0xffff,
           "FNSTENV after FNINIT: FCW 037F FSW 0 FTW FFFF (got %04x %04x %04x)", rd16(save),
           rd16(save + 4), rd16(save + 8));
}

static void test_stack(void)
{
    asm volatile("fninit");
    fld80(f80_pi);
    tap_ok(fnstsw() == 0x3800, "FLD m80: TOP = 7 (FSW %04x)", fnstsw());
    asm volatile("fnstenv %0" : "=m"(save));
    tap_ok(rd16(save + 8) == 0x3fff, "FLD m80 of pi: tag of R7 valid (FTW %04x)", rd16(save + 8));
    fstp80(out);
    tap_ok(memcmp(out, f80_pi, 10) == 0 && fnstsw() == 0, "FSTP m80 stores the same bits, pops");

    uint16_t sw;
    asm volatile("fninit\n\tfxam\n\tfnstsw %0" : "=m"(sw));
    tap_ok((sw & 0x4500) == 0x4100, "FXAM of an empty ST(0): C3 C0 = 1 1 (FSW %04x)", sw);
    fld80(f80_m2_5);
    asm volatile("fxam\n\tfnstsw %0" : "=m"(sw));
    tap_ok((sw & 0x4700) == 0x0600, "FXAM of -2.5: normal, C1 = sign (FSW %04x)", sw);
    asm volatile("fchs");
    fstp80(out);
    tap_ok(out[9] == 0x40 && out[7] == 0xa0, "FCHS: +2.5");

    asm volatile("fninit");
    fld80(f80_one);
    fld80(f80_pi);
    asm volatile("fxch %st(1)");
    fstp80(out);
    tap_ok(memcmp(out, f80_one, 10) == 0, "FXCH ST(1) swaps the two top registers");
    fstp80(out);
    tap_ok(memcmp(out, f80_pi, 10) == 0, "... and the other one is under it");

    asm volatile("fninit\n\tfdecstp");
    tap_ok(fnstsw() == 0x3800, "FDECSTP from TOP 0: TOP 7 (FSW %04x)", fnstsw());
    asm volatile("fincstp\n\tfincstp");
    tap_ok(fnstsw() == 0x0800, "FINCSTP twice: TOP 1 (FSW %04x)", fnstsw());

    asm volatile("fninit");
    fld80(f80_pi);
    asm volatile("ffree %%st(0)\n\tfxam\n\tfnstsw %0" : "=m"(sw));
    tap_ok((sw & 0x4500) == 0x4100, "FFREE ST(0): FXAM says empty (FSW %04x)", sw);

    /* FCMOVB with CF = 1 copies, with CF = 0 does not */
    asm volatile("fninit");
    fld80(f80_one);
    fld80(f80_pi);
    asm volatile("stc\n\tfcmovb %st(1), %st");
    fstp80(out);
    tap_ok(memcmp(out, f80_one, 10) == 0, "FCMOVB with CF = 1 moves ST(1) to ST(0)");
    asm volatile("fninit");
    fld80(f80_one);
    fld80(f80_pi);
    asm volatile("clc\n\tfcmovb %st(1), %st");
    fstp80(out);
    tap_ok(memcmp(out, f80_pi, 10) == 0, "FCMOVB with CF = 0 leaves ST(0)");

    /* a masked stack underflow: IE and SF, C1 = 0, the QNaN indefinite */
    asm volatile("fninit\n\tfld %%st(3)\n\tfnstsw %0" : "=m"(sw));
    tap_ok(sw == 0x3841, "FLD ST(3) of an empty register: IE SF, TOP 7"
           QEMU_DEVIATION("SDM Vol. 1 8.5.1.1: stack underflow"));
    fstp80(out);
    tap_ok(memcmp(out, f80_indef, 10) == 0, "... and pushes the QNaN indefinite"
           QEMU_DEVIATION("SDM Vol. 1 8.5.1.1"));
    asm volatile("fninit");
}

static void test_nm(void)
{
    cr0_set(CR0_TS, CR0_EM);
    excp_reset();
    TRY("fninit");
    tap_ok(excp.vector == 7 && excp.eip == try_addr, "#NM from FNINIT with CR0.TS = 1");
    excp_reset();
    TRY("fnstsw %%ax", : : : "eax");
    tap_ok(excp.vector == 7, "#NM from FNSTSW AX with CR0.TS = 1");
    asm volatile("clts");
    tap_ok(!(read_cr0() & CR0_TS), "CLTS clears CR0.TS");
    excp_reset();
    TRY("fninit");
    tap_ok(excp.vector == -1, "FNINIT after CLTS runs");

    cr0_set(CR0_EM, CR0_TS);
    excp_reset();
    TRY("fld1");
    tap_ok(excp.vector == 7 && excp.eip == try_addr, "#NM from FLD1 with CR0.EM = 1");
    excp_reset();
    TRY("fwait");
    tap_ok(excp.vector == -1, "WAIT with CR0.EM = 1, TS = 0: no #NM");

    cr0_set(CR0_MP | CR0_TS, CR0_EM);
    excp_reset();
    TRY("fwait");
    tap_ok(excp.vector == 7 && excp.eip == try_addr, "#NM from WAIT with CR0.MP = TS = 1");
    cr0_set(CR0_TS, CR0_MP | CR0_EM);
    excp_reset();
    TRY("fwait");
    tap_ok(excp.vector == -1, "WAIT with CR0.MP = 0, TS = 1: no #NM");
    excp_reset();
    TRY("fxsave fxarea");
    tap_ok(excp.vector == 7, "#NM from FXSAVE with CR0.TS = 1");
    cr0_set(CR0_MP | CR0_NE, CR0_TS | CR0_EM);
}

static void test_mf(void)
{
    cr0_set(CR0_NE | CR0_MP, CR0_TS | CR0_EM);
    asm volatile("fninit");
    fldcw(0x037e); /* IE unmasked */
    excp_reset();
    TRY("fadd %st(1), %st");
    tap_ok(excp.vector == -1, "FADD on an empty stack with IE unmasked: no fault yet");
    uint16_t sw = fnstsw();
    tap_ok(sw == 0x80c1, "... FSW: B ES SF IE, C1 = 0"
           QEMU_DEVIATION("SDM Vol. 1 8.5.1.1: stack underflow"));
    excp_reset();
    TRY("fnstcw %0", : "=m"(sw));
    tap_ok(excp.vector == -1, "FNSTCW does not wait: no #MF");
    excp_reset();
    TRY("fwait");
    tap_ok(excp.vector == 16 && excp.eip == try_addr && excp.count == 1,
           "#MF at the next waiting instruction (FWAIT), CR0.NE = 1"
           QEMU_DEVIATION("SDM Vol. 1 8.5.1.1: no stack underflow, so nothing pending"));
    excp_reset();
    TRY("fld1");
    tap_ok(excp.vector == 16 && excp.eip == try_addr, "#MF from FLD1 while ES stays set"
           QEMU_DEVIATION("SDM Vol. 1 8.5.1.1"));
    asm volatile("fnclex");
    tap_ok(fnstsw() == 0, "FNCLEX clears the flags, ES and B"
           QEMU_DEVIATION("SDM Vol. 1 8.5.1.1: its FADD pushed"));
    excp_reset();
    TRY("fwait");
    tap_ok(excp.vector == -1, "FWAIT after FNCLEX runs");

    /* FLDCW unmasking a flag already set makes it pending */
    asm volatile("fninit\n\tfadd %st(1), %st"); /* IE masked now: IE SF */
    fldcw(0x037e);
    excp_reset();
    TRY("fwait");
    tap_ok(excp.vector == 16, "FLDCW unmasking a raised IE: #MF at the next FWAIT"
           QEMU_DEVIATION("SDM Vol. 1 8.5.1.1"));
    asm volatile("fninit");
}

static void test_fxsave(void)
{
    write_cr4(read_cr4() | CR4_OSFXSR);
    memset(fxarea, 0xaa, sizeof(fxarea));
    asm volatile("fninit");
    fldcw(0x027f);
    fld80(f80_pi);
    asm volatile("fxsave fxarea" : : : "memory");
    tap_ok(rd16(fxarea) == 0x027f && rd16(fxarea + 2) == 0x3800 && fxarea[4] == 0x80,
           "FXSAVE: FCW 027F, FSW 3800, abridged tags 80 (got %04x %04x %02x)", rd16(fxarea),
           rd16(fxarea + 2), fxarea[4]);
    tap_ok(memcmp(fxarea + 32, f80_pi, 10) == 0, "FXSAVE: ST(0) at offset 32");
    tap_ok(rd32(fxarea + 24) == 0x1f80, "FXSAVE: MXCSR 1F80 (got %08x)", rd32(fxarea + 24));
    tap_ok(rd32(fxarea + 28) == 0xffff, "FXSAVE: MXCSR_MASK FFFF (got %08x)", rd32(fxarea + 28));
    asm volatile("fninit\n\tfxrstor fxarea" : : : "memory");
    tap_ok(fnstcw() == 0x027f && fnstsw() == 0x3800, "FXRSTOR: FCW and FSW back");
    fstp80(out);
    tap_ok(memcmp(out, f80_pi, 10) == 0, "FXRSTOR: ST(0) back");

    excp_reset();
    TRY("fxsave fxarea+8");
    tap_ok(excp.vector == 13 && excp.error == 0 && excp.eip == try_addr,
           "#GP(0) from FXSAVE to an area not 16-byte aligned");
    excp_reset();
    TRY("fxrstor fxarea+4");
    tap_ok(excp.vector == 13 && excp.error == 0, "#GP(0) from FXRSTOR of a misaligned area");
    fxarea[26] = 1; /* MXCSR bit 16: reserved */
    excp_reset();
    TRY("fxrstor fxarea");
    tap_ok(excp.vector == 13 && excp.error == 0 && excp.eip == try_addr,
           "#GP(0) from FXRSTOR with a reserved MXCSR bit set"
           QEMU_DEVIATION("SDM Vol. 2A FXRSTOR: #GP for reserved MXCSR bits"));
    /* the whole 512-byte area must be within the segment's limit (SDM FXSAVE: #GP for a
       memory operand effective address outside the segment limit) */
    gdt_set(GDT_TEST_FIRST, (uint32_t)fxarea, 255, ACC_P | ACC_S | ACC_WRITE, FLG_DB);
    excp_reset();
    TRY("movw %%ax, %%es\n\tfxsave %%es:0\n\tmovw %%cx, %%es",
        : : "a"(GDT_TEST_FIRST * 8), "c"(SEL_KDATA) : "memory");
    asm volatile("movw %%ax, %%es" : : "a"(SEL_KDATA));
    tap_ok(excp.vector == 13 && excp.error == 0,
           "#GP(0) from FXSAVE past the segment limit (limit 255)"
           QEMU_DEVIATION("SDM Vol. 3A 5.3: data segment limits"));
    gdt_set(GDT_TEST_FIRST, (uint32_t)fxarea, 511, ACC_P | ACC_S | ACC_WRITE, FLG_DB);
    excp_reset();
    TRY("movw %%ax, %%es\n\tfxsave %%es:0\n\tmovw %%cx, %%es",
        : : "a"(GDT_TEST_FIRST * 8), "c"(SEL_KDATA) : "memory");
    asm volatile("movw %%ax, %%es" : : "a"(SEL_KDATA));
    tap_ok(excp.vector == -1, "FXSAVE within the limit (511) runs");
    asm volatile("fninit");
}

static uint32_t fld_addr;

static void test_fnsave(void)
{
    memset(save, 0xaa, sizeof(save));
    asm volatile("fninit");
    fldcw(0x0272);
    asm volatile("movl $1f, %0\n1:\tfldt %1" : "=m"(fld_addr) : "m"(f80_one));
    asm volatile("fnsave %0" : "=m"(save));
    tap_ok(rd16(save) == 0x0272 && rd16(save + 4) == 0x3800 && rd16(save + 8) == 0x3fff,
           "FNSAVE (32-bit): FCW FSW FTW (got %04x %04x %04x)", rd16(save), rd16(save + 4),
           rd16(save + 8));
    tap_ok(rd32(save + 12) == fld_addr && rd16(save + 16) == read_cs(),
           "FNSAVE: FPU instruction pointer = the FLD (got %04x:%08x)", rd16(save + 16),
           rd32(save + 12));
    tap_ok(rd32(save + 20) == (uint32_t)f80_one && rd16(save + 24) == SEL_KDATA,
           "FNSAVE: FPU operand pointer = its m80 (got %04x:%08x)", rd16(save + 24),
           rd32(save + 20));
    tap_ok(memcmp(save + 28, f80_one, 10) == 0, "FNSAVE: ST(0) at offset 28");
    tap_ok(fnstcw() == 0x037f && fnstsw() == 0, "FNSAVE then initializes the FPU");
    asm volatile("frstor %0" : : "m"(save));
    tap_ok(fnstcw() == 0x0272 && fnstsw() == 0x3800, "FRSTOR: FCW and FSW back");
    fstp80(out);
    tap_ok(memcmp(out, f80_one, 10) == 0, "FRSTOR: ST(0) back");

    /* the 16-bit format (operand-size prefix): 14-byte environment, registers at 14 */
    memset(save, 0xaa, sizeof(save));
    asm volatile("fninit");
    fld80(f80_pi);
    asm volatile("data16 fnsave %0" : "=m"(save));
    tap_ok(rd16(save) == 0x037f && rd16(save + 2) == 0x3800 && rd16(save + 4) == 0x3fff,
           "FNSAVE (16-bit): FCW FSW FTW at 0, 2, 4 (got %04x %04x %04x)", rd16(save),
           rd16(save + 2), rd16(save + 4));
    tap_ok(memcmp(save + 14, f80_pi, 10) == 0 && save[94] == 0xaa,
           "FNSAVE (16-bit): ST(0) at 14, 94 bytes");
    asm volatile("data16 frstor %0" : : "m"(save));
    fstp80(out);
    tap_ok(memcmp(out, f80_pi, 10) == 0, "FRSTOR (16-bit): ST(0) back");
    asm volatile("fninit");
}

/* an unmasked divide by zero: #MF at the next waiting instruction with CR0.NE = 1; with
   NE = 0 the FERR# output instead, which the PC turns into IRQ 13 (seen in the slave 8259's
   IRR), which a write to port 0xF0 (IGNNE#) drops again (SDM Vol. 1 8.7, D.2) */
static bool irq13_pending(void)
{
    outb(0xa0, 0x0a); /* OCW3: read the IRR */
    return inb(0xa0) & (1 << 5);
}

static void test_zero_divide(void)
{
    cr0_set(CR0_NE, CR0_TS | CR0_EM);
    asm volatile("fninit");
    fldcw(0x037b); /* ZE unmasked */
    excp_reset();
    TRY("fld1\n\tfldz\n\t.byte 0xde, 0xf9 /* FDIVP ST(1), ST(0): 1 / 0 */\n\tfwait");
    tap_ok(excp.vector == 16 && excp.eip == try_next - 1, "#MF from FWAIT after 1 / 0, ZE unmasked");
    uint16_t sw = fnstsw();
    /* an unmasked exception leaves the operands, so FDIVP does not pop (SDM Vol. 1 8.5.3; the
       host x87 of tests/cpu/vs-host does the same) */
    tap_ok(sw == 0xb084, "... FSW: B ES ZE, TOP 6: the destination and TOP unchanged"
           QEMU_DEVIATION("SDM Vol. 1 8.5.3"));

    cr0_set(0, CR0_NE);
    asm volatile("fninit");
    fldcw(0x037b);
    tap_ok(!irq13_pending(), "IRQ 13 is not pending before");
    excp_reset();
    TRY("fld1\n\tfldz\n\t.byte 0xde, 0xf9 /* FDIVP ST(1), ST(0): 1 / 0 */\n\tfwait");
    tap_ok(excp.vector == -1, "CR0.NE = 0: no #MF from FWAIT");
    tap_ok(irq13_pending(), "CR0.NE = 0: FERR# raises IRQ 13");
    outb(0xf0, 0); /* IGNNE#: drops FERR# (whether the 8259 keeps an edge in its IRR after
                      the line falls is the PIC's business, not checked here) */
    asm volatile("fninit");
    cr0_set(CR0_NE, 0);
}

static void test_fcomi(void)
{
    uint32_t fl;
    asm volatile("fninit");
    fld80(f80_pi);
    fld80(f80_one);
    asm volatile("fcomi %%st(1), %%st\n\tpushfl\n\tpopl %0" : "=r"(fl));
    tap_ok((fl & 0x8d5) == 0x01, "FCOMI 1 < pi: CF = 1, ZF = PF = 0 (flags %03x)", fl & 0x8d5);
    asm volatile("fucomi %%st(0), %%st\n\tpushfl\n\tpopl %0" : "=r"(fl));
    tap_ok((fl & 0x8d5) == 0x40, "FUCOMI 1 = 1: ZF = 1 (flags %03x)", fl & 0x8d5);
    asm volatile("fxch\n\tfcomip %%st(1), %%st\n\tpushfl\n\tpopl %0" : "=r"(fl));
    tap_ok((fl & 0x8d5) == 0 && fnstsw() == 0x3800, "FCOMIP pi > 1: all clear, one pop");
    asm volatile("fninit");
}

/* results that are exact, so every correct x87 gives the same bits (the transcendental ones
   included: sin 0, cos 0, tan 0, 2^1 - 1, 1 * log2 8) */
static const uint8_t f80_two[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40};
static const uint8_t f80_three[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x40};
static const uint8_t f80_four[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x01, 0x40};
static const uint8_t f80_seven[10] = {0, 0, 0, 0, 0, 0, 0, 0xe0, 0x01, 0x40};
static const uint8_t f80_eight[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x02, 0x40};
static const uint8_t f80_sixteen[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x03, 0x40};
static const uint8_t f80_2_5[10] = {0, 0, 0, 0, 0, 0, 0, 0xa0, 0x00, 0x40};
static const uint8_t f80_zero[10] = {0};

static bool top_is(const uint8_t *want)
{
    fstp80(out);
    return memcmp(out, want, 10) == 0;
}

static void test_math(void)
{
    asm volatile("fninit");
    fld80(f80_sixteen);
    asm volatile("fsqrt");
    tap_ok(top_is(f80_four), "FSQRT 16 = 4");
    fld80(f80_2_5);
    asm volatile("frndint");
    tap_ok(top_is(f80_two), "FRNDINT 2.5 = 2 (to nearest even)");
    fld80(f80_three);
    asm volatile("fld1\n\tfscale\n\tfstp %st(1)");
    tap_ok(top_is(f80_eight), "FSCALE 1 by 3 = 8");
    fld80(f80_eight);
    asm volatile("fxtract");
    tap_ok(top_is(f80_one) && top_is(f80_three), "FXTRACT 8: significand 1, exponent 3");
    uint16_t sw;
    fld80(f80_two);
    fld80(f80_seven);
    asm volatile("fprem\n\tfnstsw %0" : "=m"(sw));
    tap_ok(top_is(f80_one) && (sw & 0x4700) == 0x4200,
           "FPREM 7 by 2 = 1, quotient 3 in C3 C1 (FSW %04x)", sw);
    asm volatile("fninit");

    int32_t bcd_round[3] = {0, 0, 0};
    static const uint32_t n = 12345;
    static uint8_t bcd[10];
    asm volatile("fildl %1\n\tfbstp %0" : "=m"(bcd) : "m"(n));
    asm volatile("fbld %1\n\tfistpl %0" : "=m"(bcd_round[0]) : "m"(bcd));
    tap_ok(bcd[0] == 0x45 && bcd[1] == 0x23 && bcd[2] == 0x01 && bcd[9] == 0 &&
           bcd_round[0] == 12345, "FBSTP 12345: packed BCD 45 23 01; FBLD back");
    fld80(f80_2_5);
    asm volatile("fistpl %0" : "=m"(bcd_round[1]));
    fld80(f80_2_5);
    asm volatile("fchs\n\tfisttpl %0" : "=m"(bcd_round[2]));
    tap_ok(bcd_round[1] == 2 && bcd_round[2] == -2, "FISTP 2.5 = 2, FISTTP -2.5 = -2");

    asm volatile("fldz\n\tfsin");
    tap_ok(top_is(f80_zero), "FSIN 0 = 0");
    asm volatile("fldz\n\tfcos");
    tap_ok(top_is(f80_one), "FCOS 0 = 1");
    asm volatile("fldz\n\tfptan\n\tfnstsw %0" : "=m"(sw));
    tap_ok(top_is(f80_one) && top_is(f80_zero) && (sw & 0x3800) == 0x3000,
           "FPTAN 0: tan 0 = 0, then 1.0 pushed");
    asm volatile("fldz\n\tfsincos");
    tap_ok(top_is(f80_one) && top_is(f80_zero), "FSINCOS 0: cos 1 on top of sin 0");
    asm volatile("fld1\n\tf2xm1");
    tap_ok(top_is(f80_one), "F2XM1 1 = 1");
    /* |x| >= 2^63 is out of range for the trigonometric instructions: C2 = 1, ST(0) and TOP
       unchanged (SDM FSIN, FCOS, FPTAN, FSINCOS) */
    static const uint8_t f80_2_63[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x3e, 0x40};
    bool all = true;
    for (int k = 0; k < 4; k++) {
        asm volatile("fninit");
        fld80(f80_2_63);
        switch (k) {
        case 0: asm volatile("fsin\n\tfnstsw %0" : "=m"(sw)); break;
        case 1: asm volatile("fcos\n\tfnstsw %0" : "=m"(sw)); break;
        case 2: asm volatile("fptan\n\tfnstsw %0" : "=m"(sw)); break;
        default: asm volatile("fsincos\n\tfnstsw %0" : "=m"(sw)); break;
        }
        all &= sw == 0x3c00 && top_is(f80_2_63);
    }
    tap_ok(all, "FSIN FCOS FPTAN FSINCOS of 2^63: C2 = 1, operand and stack unchanged"
           QEMU_DEVIATION("SDM Vol. 2A FSIN: out of range, C2 = 1"));
    asm volatile("fninit\n\tfld1");
    fld80(f80_eight);
    asm volatile("fyl2x\n\tfnstsw %0" : "=m"(sw));
    tap_ok(top_is(f80_three) && (sw & 0x3800) == 0x3800, "FYL2X 1 * log2 8 = 3, one pop");
    asm volatile("fninit");
}

/* Precise page faults: a store that runs into a not-present page faults before it writes
   anything, and the FPU is left as it was (FNSAVE does not initialize it, FSTP does not pop):
   the instruction can be restarted (SDM Vol. 3A 6.5, faults). The first 8 MiB are identity
   mapped; TEST_BASE maps one page, the page after it is not present. */
#define PAGE 4096
#define TEST_BASE 0x40000000u
static uint32_t pd[1024] __attribute__((aligned(PAGE)));
static uint32_t pt_low[2][1024] __attribute__((aligned(PAGE)));
static uint32_t pt_test[1024] __attribute__((aligned(PAGE)));
static uint8_t tpage[PAGE] __attribute__((aligned(PAGE)));

static void test_page_fault(void)
{
    for (int i = 0; i < 2048; i++) {
        pt_low[i / 1024][i % 1024] = (uint32_t)i * PAGE | 3;
    }
    pd[0] = (uint32_t)pt_low[0] | 3;
    pd[1] = (uint32_t)pt_low[1] | 3;
    pd[TEST_BASE >> 22] = (uint32_t)pt_test | 3;
    pt_test[0] = (uint32_t)tpage | 3;
    pt_test[1] = 0;
    write_cr3((uint32_t)pd);
    write_cr0(read_cr0() | CR0_PG);

    memset(tpage, 0xaa, PAGE);
    asm volatile("fninit");
    fldcw(0x0272);
    fld80(f80_pi);
    excp_reset();
    TRY("fnsave (%0)", : : "r"(TEST_BASE + PAGE - 50) : "memory");
    tap_ok(excp.vector == 14 && excp.cr2 == TEST_BASE + PAGE && excp.error == 2 &&
           excp.eip == try_addr, "#PF(W) from FNSAVE into a not-present page (CR2 %08x)",
           excp.cr2);
    bool untouched = true;
    for (int i = PAGE - 50; i < PAGE; i++) {
        untouched &= tpage[i] == 0xaa;
    }
    tap_ok(untouched, "... nothing written to the page before it"
           QEMU_DEVIATION("SDM Vol. 3A 6.5: a fault leaves the state before the instruction"));
    tap_ok(fnstcw() == 0x0272 && fnstsw() == 0x3800, "... the FPU not initialized");
    excp_reset();
    TRY("fstpt (%0)", : : "r"(TEST_BASE + PAGE - 4) : "memory");
    tap_ok(excp.vector == 14 && excp.cr2 == TEST_BASE + PAGE && fnstsw() == 0x3800,
           "#PF from FSTP m80 across into it: no pop");
    write_cr0(read_cr0() & ~CR0_PG);
    asm volatile("fninit");
}

/* Linux's check_fpu (arch/x86/kernel/fpu/bugs.c): x - (x / y) * y with x = 4195835,
   y = 3145727 is 0 unless the FPU has the Pentium FDIV bug */
static void test_fdiv_bug(void)
{
    static const uint32_t x[2] = {0x00000000, 0x41500180}; /* 4195835.0 as a double */
    static const uint32_t y[2] = {0x00000000, 0x4147ffff}; /* 3145727.0 */
    int32_t r = -1;
    asm volatile("fninit\n\t"
                 "fldl %1\n\t"
                 "fdivl %2\n\t"
                 "fmull %2\n\t"
                 "fsubrl %1\n\t"
                 "fistpl %0\n\t"
                 "fwait\n\t"
                 "fninit"
                 : "=m"(r) : "m"(x), "m"(y));
    tap_ok(r == 0, "the FDIV check: x - (x / y) * y = 0 (got %d)", (int)r);
}

void kmain(void)
{
    tap_plan(3 + 4 + 15 + 9 + 8 + 11 + 10 + 1 + 5 + 3 + 14 + 4);
    test_cpuid();
    test_fninit();
    test_stack();
    test_nm();
    test_mf();
    test_fxsave();
    test_fnsave();
    test_fdiv_bug();
    test_zero_divide();
    test_fcomi();
    test_math();
    test_page_fault();
}
