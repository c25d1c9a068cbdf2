/*
 * tests/unit/test_multiboot.c — the Multiboot loader (hw/multiboot.c), the qemu-compatible
 * options (softmmu/qemu-options.c, cpu/cpu-models.c) and QEMU's pc-testdev (hw/pc-testdev.c).
 *
 * Expected values come from the Multiboot Specification 0.6.96 (header 3.1, machine state 3.2,
 * information structure 3.3), the SDM (descriptor layout, Vol. 3A 3.4.5; CPUID bits, Vol. 2A
 * Tables 3-10/3-11) and QEMU's documented behaviour for its options and devices, not from the
 * code under test. The end-to-end boot of real kernels is tests/guests/run-kernel-tests.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "softmmu/machine.h"
#include "softmmu/qemu-options.h"

#define MiB (1u << 20)

/* ---- building images ------------------------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
    mem_st_le(p, v, 4);
}

static void put16(uint8_t *p, uint16_t v)
{
    mem_st_le(p, v, 2);
}

/* the header at p: magic, flags, checksum (3.1.1) */
static void mb_header(uint8_t *p, uint32_t flags)
{
    put32(p, 0x1BADB002);
    put32(p + 4, flags);
    put32(p + 8, 0u - 0x1BADB002u - flags);
}

static char paths[8][64];
static int npaths;

static const char *write_temp(const void *data, size_t len)
{
    char *path = paths[npaths++];
    strcpy(path, "/tmp/xlat-test-mb-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void unlink_temps(void)
{
    for (int i = 0; i < npaths; i++) {
        unlink(paths[i]);
    }
    npaths = 0;
}

/* An ELF32 executable with one PT_LOAD: the file's bytes from 0x100 on (the segment, starting
   with the Multiboot header) go to paddr (vaddr), memsz bytes in memory. */
static size_t make_elf(uint8_t *f, size_t size, uint32_t vaddr, uint32_t paddr, uint32_t memsz,
                       uint32_t entry, uint8_t class)
{
    memset(f, 0, size);
    memcpy(f, "\x7f" "ELF", 4);
    f[4] = class;
    f[5] = 1; /* little-endian */
    f[6] = 1;
    put16(f + 16, 2);  /* ET_EXEC */
    put16(f + 18, 3);  /* EM_386 */
    put32(f + 20, 1);
    put32(f + 24, entry);
    put32(f + 28, 52); /* e_phoff */
    put16(f + 40, 52);
    put16(f + 42, 32); /* e_phentsize */
    put16(f + 44, 1);  /* e_phnum */
    uint8_t *ph = f + 52;
    put32(ph, 1); /* PT_LOAD */
    put32(ph + 4, 0x100);
    put32(ph + 8, vaddr);
    put32(ph + 12, paddr);
    put32(ph + 16, (uint32_t)size - 0x100);
    put32(ph + 20, memsz);
    put32(ph + 24, 7);
    mb_header(f + 0x100, 0x3);
    for (size_t i = 0x10c; i < size; i++) {
        f[i] = (uint8_t)(i * 7);
    }
    return size;
}

static Machine *boot(const char *kernel, const char *append, const char *initrd)
{
    MachineOptions o = {.ram_size = 4 * MiB,
                        .accel = "interp",
                        .debugcon = "none",
                        .code_cache_size = 1 << 20,
                        .kernel = kernel,
                        .append = append,
                        .initrd = initrd};
    return machine_create(&o);
}

static uint32_t rd32(Machine *m, uint32_t a)
{
    return (uint32_t)mem_ld_le(m->ram + a, 4);
}

/* ---- loading --------------------------------------------------------------------------------- */

START_TEST(test_elf_boot_state)
{
    static uint8_t f[0x400];
    make_elf(f, sizeof(f), 0x100000, 0x100000, 0x2000, 0x100010, 1);
    const char *k = write_temp(f, sizeof(f));
    Machine *m = boot(k, "console=ttyS0 x=1", NULL);
    ck_assert_ptr_nonnull(m);
    CPUX86State *env = &m->cpu;
    /* the segment is in RAM at p_paddr */
    ck_assert_int_eq(memcmp(m->ram + 0x100000, f + 0x100, sizeof(f) - 0x100), 0);
    /* 3.2: EAX, EBX, EIP, protected mode without paging, flat segments, IF = 0 */
    ck_assert_uint_eq((uint32_t)env->regs[R_EAX], 0x2BADB002);
    ck_assert_uint_eq(env->eip, 0x100010);
    ck_assert(env->cr[0] & CR0_PE);
    ck_assert(!(env->cr[0] & CR0_PG));
    ck_assert(!(x86_get_eflags(env) & (EFL_IF | EFL_VM)));
    for (int s = 0; s < R_NB_SEGS; s++) {
        ck_assert_uint_eq(env->seg[s].base, 0);
        ck_assert_uint_eq(env->seg[s].limit, 0xffffffffu);
        ck_assert(env->seg[s].flags & DESC_B_MASK);
    }
    ck_assert_uint_eq((env->seg[R_CS].flags >> 8) & 0x1a, 0x1a); /* code, readable */
    ck_assert_uint_eq((env->seg[R_DS].flags >> 8) & 0x1a, 0x12); /* data, writable */
    ck_assert_uint_eq(env->hflags & (HF_PE | HF_CS32 | HF_SS32 | HF_CPL_MASK),
                      HF_PE | HF_CS32 | HF_SS32);
    /* the GDT the selectors name is in RAM and says the same */
    uint64_t code = mem_ld_le(m->ram + env->gdt.base + (env->seg[R_CS].selector & ~7u), 8);
    ck_assert_uint_eq(code, 0x00cf9b000000ffffull);
    uint64_t data = mem_ld_le(m->ram + env->gdt.base + (env->seg[R_DS].selector & ~7u), 8);
    ck_assert_uint_eq(data, 0x00cf93000000ffffull);

    /* 3.3: the information structure */
    uint32_t info = (uint32_t)env->regs[R_EBX];
    ck_assert_uint_ge(info, 0x102000); /* not over the kernel (bss included) */
    uint32_t flags = rd32(m, info);
    ck_assert_uint_eq(flags & 0x24d, 0x24d); /* mem, cmdline, mods, mmap, loader name */
    ck_assert_uint_eq(rd32(m, info + 4), 639);
    ck_assert_uint_eq(rd32(m, info + 8), (4 * MiB - MiB) / 1024);
    char want[128];
    snprintf(want, sizeof(want), "%s console=ttyS0 x=1", k);
    ck_assert_str_eq((const char *)m->ram + rd32(m, info + 16), want);
    ck_assert_uint_eq(rd32(m, info + 20), 0); /* no modules */
    ck_assert_str_eq((const char *)m->ram + rd32(m, info + 64), "xlat");
    /* the map: every entry has size 20; 0 and 1 MiB up to the end of RAM are available */
    uint32_t len = rd32(m, info + 44), at = rd32(m, info + 48);
    bool low = false, high = false;
    for (uint32_t p = at; p < at + len; p += rd32(m, p) + 4) {
        ck_assert_uint_eq(rd32(m, p), 20);
        uint64_t base = mem_ld_le(m->ram + p + 4, 8), size = mem_ld_le(m->ram + p + 12, 8);
        uint32_t type = rd32(m, p + 20);
        low |= base == 0 && size >= 0x9f000 && type == 1;
        high |= base == MiB && base + size == 4 * MiB && type == 1;
        ck_assert(type != 1 || base + size <= 0xa0000 || base >= MiB);
    }
    ck_assert(low && high);
    machine_destroy(m);
    unlink_temps();
}
END_TEST

START_TEST(test_elf_virtual_entry)
{
    /* a higher-half kernel: e_entry is virtual; paging is off at entry, so the loader jumps to
       where that byte was loaded */
    static uint8_t f[0x300];
    make_elf(f, sizeof(f), 0xc0100000, 0x100000, 0x1000, 0xc0100010, 1);
    Machine *m = boot(write_temp(f, sizeof(f)), NULL, NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->cpu.eip, 0x100010);
    machine_destroy(m);
    unlink_temps();
}
END_TEST

START_TEST(test_aout_kludge)
{
    /* 16 bytes before the header; load_end_addr short of the file's end; bss after it */
    static uint8_t f[0x200];
    memset(f, 0xaa, sizeof(f));
    memcpy(f, "0123456789abcdef", 16);
    mb_header(f + 16, 0x10000);
    put32(f + 28, 0x200010); /* header_addr */
    put32(f + 32, 0x200000); /* load_addr */
    put32(f + 36, 0x200100); /* load_end_addr */
    put32(f + 40, 0x201000); /* bss_end_addr */
    put32(f + 44, 0x200030); /* entry_addr */
    Machine *m = boot(write_temp(f, sizeof(f)), NULL, NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(memcmp(m->ram + 0x200000, f, 0x100), 0);
    for (uint32_t a = 0x200100; a < 0x201000; a++) {
        ck_assert_uint_eq(m->ram[a], 0);
    }
    ck_assert_uint_eq(m->cpu.eip, 0x200030);
    machine_destroy(m);
    unlink_temps();
}
END_TEST

START_TEST(test_modules)
{
    static uint8_t f[0x300];
    make_elf(f, sizeof(f), 0x100000, 0x100000, 0x1000, 0x100010, 1);
    const char *k = write_temp(f, sizeof(f));
    const char *m1 = write_temp("first", 5);
    static uint8_t big[5000];
    memset(big, 0x42, sizeof(big));
    const char *m2 = write_temp(big, sizeof(big));
    char initrd[256], want1[128];
    /* ",," is a literal comma in an item (QEMU's rule) */
    snprintf(initrd, sizeof(initrd), "%s a,,b c,%s", m1, m2);
    snprintf(want1, sizeof(want1), "%s a,b c", m1);
    Machine *m = boot(k, NULL, initrd);
    ck_assert_ptr_nonnull(m);
    uint32_t info = (uint32_t)m->cpu.regs[R_EBX];
    ck_assert_uint_eq(rd32(m, info + 20), 2);
    uint32_t mods = rd32(m, info + 24);
    uint32_t s1 = rd32(m, mods), e1 = rd32(m, mods + 4);
    uint32_t s2 = rd32(m, mods + 16), e2 = rd32(m, mods + 20);
    ck_assert_uint_eq(s1 % 4096, 0);
    ck_assert_uint_eq(s2 % 4096, 0);
    ck_assert_uint_ge(s1, 0x101000); /* after the kernel */
    ck_assert_uint_eq(e1 - s1, 5);
    ck_assert_uint_eq(e2 - s2, 5000);
    ck_assert_uint_ge(s2, e1);
    ck_assert_int_eq(memcmp(m->ram + s1, "first", 5), 0);
    ck_assert_int_eq(memcmp(m->ram + s2, big, sizeof(big)), 0);
    ck_assert_str_eq((const char *)m->ram + rd32(m, mods + 8), want1);
    ck_assert_str_eq((const char *)m->ram + rd32(m, mods + 24), m2);
    /* the command line without -append: the path and a space, as QEMU passes it */
    char want[96];
    snprintf(want, sizeof(want), "%s ", k);
    ck_assert_str_eq((const char *)m->ram + rd32(m, info + 16), want);
    ck_assert_uint_ge(info, e2);
    machine_destroy(m);
    unlink_temps();
}
END_TEST

START_TEST(test_load_errors)
{
    static uint8_t f[0x400];
    ck_assert_ptr_null(boot("/nonexistent/kernel", NULL, NULL));
    memset(f, 0, sizeof(f));
    ck_assert_ptr_null(boot(write_temp(f, sizeof(f)), NULL, NULL)); /* no header */
    mb_header(f + 8, 0);
    put32(f + 16, 0); /* bad checksum */
    ck_assert_ptr_null(boot(write_temp(f, sizeof(f)), NULL, NULL));
    make_elf(f, sizeof(f), 0x100000, 0x100000, 0x1000, 0x100010, 2); /* ELF64 */
    ck_assert_ptr_null(boot(write_temp(f, sizeof(f)), NULL, NULL));
    make_elf(f, sizeof(f), 0x100000, 0x100000, 8 * MiB, 0x100010, 1); /* past 4 MiB of RAM */
    ck_assert_ptr_null(boot(write_temp(f, sizeof(f)), NULL, NULL));
    unlink_temps();
    make_elf(f, sizeof(f), 0x9f000, 0x9f000, 0x2000, 0x9f010, 1); /* over the boot GDT */
    ck_assert_ptr_null(boot(write_temp(f, sizeof(f)), NULL, NULL));
    make_elf(f, sizeof(f), 0x100000, 0x100000, 0x1000, 0x100010, 1);
    mb_header(f + 0x100, 0x3 | 0x40); /* an unknown required feature (bit 6) */
    ck_assert_ptr_null(boot(write_temp(f, sizeof(f)), NULL, NULL));
    mb_header(f + 0x100, 0x3);
    ck_assert_ptr_null(boot(write_temp(f, sizeof(f)), NULL, "/nonexistent/module"));
    unlink_temps();
}
END_TEST

/* ---- options -------------------------------------------------------------------------------- */

START_TEST(test_machine_option)
{
    MachineOptions o = {0};
    char err[256];
    ck_assert_int_eq(qopt_machine(&o, "pc", err, sizeof(err)), 0);
    ck_assert_int_eq(qopt_machine(&o, "q35,accel=tcg", err, sizeof(err)), 0);
    ck_assert_int_eq(qopt_machine(&o, "type=pc-i440fx-7.2,accel=kvm:tcg", err, sizeof(err)), 0);
    ck_assert(!o.no_pit);
    ck_assert_int_eq(qopt_machine(&o, "accel=tcg,pit=off", err, sizeof(err)), 0);
    ck_assert(o.no_pit);
    ck_assert_int_eq(qopt_machine(&o, "accel=kvm", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "kvm"));
    ck_assert_int_eq(qopt_machine(&o, "microvm", err, sizeof(err)), -1);
    ck_assert_int_eq(qopt_machine(&o, "pc,usb=on", err, sizeof(err)), -1);
    ck_assert_int_eq(qopt_smp(&o, "1", err, sizeof(err)), 0);
    ck_assert_int_eq(qopt_smp(&o, "cpus=1,sockets=1,cores=1,threads=1", err, sizeof(err)), 0);
    ck_assert_int_eq(qopt_smp(&o, "2", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "SMP is not implemented yet"));
    ck_assert_int_eq(qopt_smp(&o, "sockets=2", err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_cpu_option)
{
    MachineOptions o = {0};
    char err[256];
    /* CPUID bit positions: SDM Vol. 2A Table 3-11 (leaf 1 EDX) */
    enum { PSE = 1u << 3, TSC = 1u << 4, PAE = 1u << 6, CX8 = 1u << 8, CMOV = 1u << 15,
           MMX = 1u << 23, SSE = 1u << 25 };
    ck_assert_int_eq(qopt_cpu(&o, "pentium", err, sizeof(err)), 0);
    ck_assert_str_eq(o.cpu_model.model, "pentium");
    ck_assert_uint_eq(o.cpu_model.family, 5);
    ck_assert(o.cpu_model.features[FEAT_1_EDX] & TSC);
    ck_assert(o.cpu_model.features[FEAT_1_EDX] & CX8);
    ck_assert(!(o.cpu_model.features[FEAT_1_EDX] & CMOV)); /* a P5 has no CMOV */
    ck_assert(!(o.cpu_model.features[FEAT_1_EDX] & MMX));  /* not implemented: not advertised */
    ck_assert_int_eq(qopt_cpu(&o, "pentium3,-pae", err, sizeof(err)), 0);
    ck_assert(!(o.cpu_model.features[FEAT_1_EDX] & PAE));
    ck_assert(o.cpu_model.features[FEAT_1_EDX] & CMOV);
    ck_assert(!(o.cpu_model.features[FEAT_1_EDX] & SSE));
    ck_assert_int_eq(qopt_cpu(&o, "qemu32,pse=off,+pse", err, sizeof(err)), 0);
    ck_assert(o.cpu_model.features[FEAT_1_EDX] & PSE); /* the last word wins */
    ck_assert_uint_eq(o.cpu_model.features[FEAT_1_ECX] & 1, 0); /* sse3 dropped */
    ck_assert_int_eq(qopt_cpu(&o, "max", err, sizeof(err)), 0);
    for (int w = 0; w < FEAT_WORDS; w++) {
        ck_assert_uint_eq(o.cpu_model.features[w], x86_cpu_implemented(w));
    }
    ck_assert_int_eq(qopt_cpu(&o, "host", err, sizeof(err)), -1);
    ck_assert_int_eq(qopt_cpu(&o, "qemu32,+sse2", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "sse2"));
    ck_assert_int_eq(qopt_cpu(&o, "qemu32,+nosuch", err, sizeof(err)), -1);
    ck_assert_int_eq(qopt_cpu(&o, "i9", err, sizeof(err)), -1);
    ck_assert_int_eq(qopt_cpu(&o, "max,cmov=maybe", err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_chardev_options)
{
    MachineOptions o = {0};
    QemuOptState st = {0};
    char err[256];
    /* the device may come before the chardev it names, as QEMU allows */
    ck_assert_int_eq(qopt_device(&o, &st, "isa-debugcon,iobase=0x402,chardev=dbg", err,
                                 sizeof(err)),
                     0);
    ck_assert_int_eq(qopt_chardev(&st, "file,id=dbg,path=/tmp/x.log", err, sizeof(err)), 0);
    ck_assert_int_eq(qopt_chardev(&st, "stdio,id=con", err, sizeof(err)), 0);
    ck_assert_int_eq(qopt_serial(&o, &st, "chardev:con", err, sizeof(err)), 0);
    ck_assert_int_eq(qopt_finish(&o, &st, err, sizeof(err)), 0);
    ck_assert_str_eq(o.debugcon, "file:/tmp/x.log");
    ck_assert_uint_eq(o.debugcon_iobase, 0x402);
    ck_assert_str_eq(o.serial, "stdio");
    ck_assert_int_eq(qopt_chardev(&st, "stdio,id=con", err, sizeof(err)), -1); /* duplicate */
    ck_assert_int_eq(qopt_chardev(&st, "socket,id=s", err, sizeof(err)), -1);
    ck_assert_int_eq(qopt_chardev(&st, "file,id=f", err, sizeof(err)), -1); /* no path */
    qopt_free(&st);

    MachineOptions o2 = {0};
    ck_assert_int_eq(qopt_device(&o2, &st, "isa-debugcon,chardev=missing", err, sizeof(err)), 0);
    ck_assert_int_eq(qopt_finish(&o2, &st, err, sizeof(err)), -1);
    qopt_free(&st);
    ck_assert_int_eq(qopt_device(&o2, &st, "pc-testdev", err, sizeof(err)), 0);
    ck_assert(o2.pc_testdev);
    ck_assert_int_eq(qopt_device(&o2, &st, "isa-debug-exit,iobase=0xf4", err, sizeof(err)), 2);
    ck_assert_int_eq(qopt_serial(&o2, &st, "file:/tmp/s.log", err, sizeof(err)), 0);
    ck_assert_int_eq(qopt_serial(&o2, &st, "stdio", err, sizeof(err)), -1); /* one UART */
    qopt_free(&st);
}
END_TEST

/* ---- pc-testdev ------------------------------------------------------------------------------ */

START_TEST(test_pc_testdev)
{
    static uint8_t f[0x300];
    make_elf(f, sizeof(f), 0x100000, 0x100000, 0x1000, 0x100010, 1);
    MachineOptions o = {.ram_size = 4 * MiB,
                        .accel = "interp",
                        .debugcon = "none",
                        .code_cache_size = 1 << 20,
                        .kernel = write_temp(f, sizeof(f)),
                        .pc_testdev = true};
    Machine *m = machine_create(&o);
    ck_assert_ptr_nonnull(m);
    IOSpace *io = &m->io;
    io_write(io, 0xe0, 0x12345678, 4);
    ck_assert_uint_eq(io_read(io, 0xe0, 4), 0x12345678);
    ck_assert_uint_eq(io_read(io, 0xe2, 1), 0x34);
    ck_assert_uint_eq(io_read(io, 0xe2, 2), 0x1234);
    io_write(io, 0xe1, 0xab, 1);
    ck_assert_uint_eq(io_read(io, 0xe0, 4), 0x1234ab78);
    /* the byte-wide copy: same register; 0xE9 stays the debug console's (readback 0xE9) */
    ck_assert_uint_eq(io_read(io, 0xe8, 1), 0x78);
    ck_assert_uint_eq(io_read(io, 0xeb, 1), 0x12);
    ck_assert_uint_eq(io_read(io, 0xe9, 1), 0xe9);
    /* scratch memory at 0xFF000000 */
    as_write(&m->mem, 0xff000010, 0xdeadbeef, 4);
    ck_assert_uint_eq(as_read(&m->mem, 0xff000010, 4), 0xdeadbeef);
    ck_assert_uint_eq(as_read(&m->mem, 0xff000012, 2), 0xdead);
    /* port 0x2000 + n drives ISA IRQ n: the 8259A latches the rising edge in its IRR */
    io_write(io, 0x2003, 1, 1);
    ck_assert_uint_eq(m->pic.chip[0].irr & (1u << 3), 1u << 3);
    io_write(io, 0x2003, 0, 1);
    machine_destroy(m);
    unlink_temps();
}
END_TEST

static Suite *multiboot_suite(void)
{
    Suite *s = suite_create("multiboot");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, test_elf_boot_state);
    tcase_add_test(tc, test_elf_virtual_entry);
    tcase_add_test(tc, test_aout_kludge);
    tcase_add_test(tc, test_modules);
    tcase_add_test(tc, test_load_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("options");
    tcase_add_test(tc, test_machine_option);
    tcase_add_test(tc, test_cpu_option);
    tcase_add_test(tc, test_chardev_options);
    suite_add_tcase(s, tc);
    tc = tcase_create("devices");
    tcase_add_test(tc, test_pc_testdev);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(multiboot_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
