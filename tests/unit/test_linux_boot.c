/*
 * tests/unit/test_linux_boot.c — the Linux bzImage loader (hw/linux-boot.c) behind -kernel.
 *
 * Expected values come from the Linux/x86 boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst: the setup header, "Loading the rest of the kernel", the
 * "32-bit boot protocol"; zero-page.rst for the e820 table), not from the code under test. The
 * image is synthetic: a setup header and a tiny 32-bit payload that checks its entry state,
 * writes "OK" to the debug console (port 0xE9) and leaves through isa-debug-exit.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "softmmu/machine.h"
#include "tests/unit/board.h"

#define MiB (1u << 20)

/* The payload (nasm, bits 32, org 0x100000): checks ESI = 0x10000, EBX = EDI = EBP = 0,
   DS = SS = 0x18, CS = 0x10, IF clear, and that cmd_line_ptr (boot_params + 0x228) points to a
   string starting "cons"; then writes "OK" to port 0xE9 and 0x10 to port 0xF4 (exit status
   0x21); a failed check writes 0x11 (exit status 0x23). */
static const uint8_t payload[] = {
    0x81, 0xfe, 0x00, 0x00, 0x01, 0x00, 0x75, 0x4a, 0x85, 0xdb, 0x75, 0x46, 0x85, 0xff, 0x75,
    0x42, 0x85, 0xed, 0x75, 0x3e, 0x8c, 0xd8, 0x66, 0x83, 0xf8, 0x18, 0x75, 0x36, 0x8c, 0xd0,
    0x66, 0x83, 0xf8, 0x18, 0x75, 0x2e, 0x8c, 0xc8, 0x66, 0x83, 0xf8, 0x10, 0x75, 0x26, 0x9c,
    0x58, 0xa9, 0x00, 0x02, 0x00, 0x00, 0x75, 0x1d, 0x8b, 0x96, 0x28, 0x02, 0x00, 0x00, 0x81,
    0x3a, 0x63, 0x6f, 0x6e, 0x73, 0x75, 0x0f, 0x66, 0xba, 0xe9, 0x00, 0xb0, 0x4f, 0xee, 0xb0,
    0x4b, 0xee, 0xb0, 0x10, 0xe6, 0xf4, 0xf4, 0xb0, 0x11, 0xe6, 0xf4, 0xf4,
};

#define SETUP_SECTS 2
#define SETUP_SIZE  ((SETUP_SECTS + 1) * 512)
#define IMAGE_SIZE  (SETUP_SIZE + 0x1000)
#define HDR_END     0x268 /* the jump byte at 0x201 says the header ends here (2.12's fields) */

static void put32(uint8_t *p, uint32_t v)
{
    mem_st_le(p, v, 4);
}

static void put16(uint8_t *p, uint16_t v)
{
    mem_st_le(p, v, 2);
}

static uint32_t rd32(Machine *m, uint32_t a)
{
    return (uint32_t)mem_ld_le(m->ram + a, 4);
}

static uint64_t rd64(Machine *m, uint32_t a)
{
    return mem_ld_le(m->ram + a, 8);
}

/* A bzImage: the setup header of protocol `version`, the payload at the start of the
   protected-mode part, and a recognisable pattern after it. */
static void make_bzimage_with(uint8_t *f, uint16_t version, uint8_t loadflags, uint32_t init_size,
                              const uint8_t *code, size_t code_len)
{
    memset(f, 0, IMAGE_SIZE);
    f[0x1f1] = SETUP_SECTS;
    put16(f + 0x1fa, 0xffff); /* vid_mode: normal */
    put16(f + 0x1fe, 0xaa55); /* boot_flag */
    f[0x200] = 0xeb;          /* jmp short to the end of the header */
    f[0x201] = HDR_END - 0x202;
    memcpy(f + 0x202, "HdrS", 4);
    put16(f + 0x206, version);
    f[0x211] = loadflags;
    put32(f + 0x214, 0x100000);   /* code32_start */
    put32(f + 0x22c, 0x37ffffff); /* initrd_addr_max */
    put32(f + 0x230, 0x1000000);  /* kernel_alignment: a marker copied with the header */
    put32(f + 0x238, 255);        /* cmdline_size */
    put32(f + 0x260, init_size);
    f[HDR_END] = 0xaa; /* past the header: must not reach boot_params */
    f[0x2d0] = 0xbb;   /* where boot_params' e820 table lives */
    memcpy(f + SETUP_SIZE, code, code_len);
    for (size_t i = SETUP_SIZE + code_len; i < IMAGE_SIZE; i++) {
        f[i] = (uint8_t)(i * 13);
    }
}

static void make_bzimage(uint8_t *f, uint16_t version, uint8_t loadflags, uint32_t init_size)
{
    make_bzimage_with(f, version, loadflags, init_size, payload, sizeof(payload));
}

static char paths[8][64];
static int npaths;

static const char *write_temp(const void *data, size_t len)
{
    char *path = paths[npaths++];
    strcpy(path, "/tmp/xlat-test-linux-XXXXXX");
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

static Machine *boot(const char *accel, const char *kernel, const char *append, const char *initrd,
                     uint64_t ram, const char *debugcon)
{
    MachineOptions o = {.ram_size = ram,
                        .accel = accel,
                        .debugcon = debugcon ? debugcon : "none",
                        .code_cache_size = 1 << 20,
                        .debug_exit = true,
                        .debug_exit_iobase = 0xf4,
                        .debug_exit_iosize = 4,
                        .rtc_base_set = true,
                        .kernel = kernel,
                        .append = append,
                        .initrd = initrd};
    return machine_create(&o);
}

START_TEST(test_boot_params_and_entry)
{
    static uint8_t f[IMAGE_SIZE];
    make_bzimage(f, 0x020f, 0x81 /* LOADED_HIGH | CAN_USE_HEAP */, 0x3000);
    const char *k = write_temp(f, sizeof(f));
    static uint8_t rd[10000];
    for (size_t i = 0; i < sizeof(rd); i++) {
        rd[i] = (uint8_t)(i * 3 + 1);
    }
    const char *initrd = write_temp(rd, sizeof(rd));
    Machine *m = boot("interp", k, "console=ttyS0 quiet", initrd, 16 * MiB, NULL);
    ck_assert_ptr_nonnull(m);
    const uint32_t bp = 0x10000;

    /* the setup header, 0x1f1 up to 0x202 + the byte at 0x201, copied; nothing after it */
    ck_assert_uint_eq(m->ram[bp + 0x1f1], SETUP_SECTS);
    ck_assert_uint_eq(mem_ld_le(m->ram + bp + 0x1fe, 2), 0xaa55);
    ck_assert_mem_eq(m->ram + bp + 0x202, "HdrS", 4);
    ck_assert_uint_eq(mem_ld_le(m->ram + bp + 0x206, 2), 0x020f);
    ck_assert_uint_eq(rd32(m, bp + 0x230), 0x1000000);
    ck_assert_uint_eq(rd32(m, bp + 0x214), 0x100000);
    ck_assert_uint_eq(m->ram[bp + HDR_END], 0);
    /* what the boot loader fills in */
    ck_assert_uint_eq(m->ram[bp + 0x210], 0xff); /* type_of_loader: undefined */
    ck_assert_uint_eq(m->ram[bp + 0x211] & 1, 1); /* LOADED_HIGH kept */
    uint32_t cmd = rd32(m, bp + 0x228);
    ck_assert_uint_lt(cmd, 0xa0000);
    ck_assert_str_eq((const char *)m->ram + cmd, "console=ttyS0 quiet");
    /* the initrd: page-aligned, as high as RAM allows, the file's bytes */
    uint32_t rd_at = rd32(m, bp + 0x218);
    ck_assert_uint_eq(rd32(m, bp + 0x21c), sizeof(rd));
    ck_assert_uint_eq(rd_at, (16 * MiB - sizeof(rd)) & ~4095u);
    ck_assert_mem_eq(m->ram + rd_at, rd, sizeof(rd));
    /* the e820 map (zero-page.rst: count at 0x1e8, 20-byte entries at 0x2d0) */
    ck_assert_uint_eq(m->ram[bp + 0x1e8], 3);
    static const uint64_t e820[3][3] = {
        {0, 0x9fc00, 1}, {0x9fc00, 0x100000 - 0x9fc00, 2}, {0x100000, 15 * MiB, 1}};
    for (int i = 0; i < 3; i++) {
        uint32_t e = bp + 0x2d0 + 20 * i;
        ck_assert_uint_eq(rd64(m, e), e820[i][0]);
        ck_assert_uint_eq(rd64(m, e + 8), e820[i][1]);
        ck_assert_uint_eq(rd32(m, e + 16), e820[i][2]);
    }
    ck_assert_uint_eq(rd32(m, bp + 0x1e0), 15 * 1024); /* alt_mem_k */
    /* the protected-mode kernel at 1 MiB (setup_sects + 1 sectors skipped) */
    ck_assert_mem_eq(m->ram + 0x100000, f + SETUP_SIZE, IMAGE_SIZE - SETUP_SIZE);
    /* the ACPI tables are there for the kernel to find: the RSDP in the BIOS area */
    ck_assert_mem_eq(m->ram + 0xf0000, "RSD PTR ", 8);

    /* the entry state ("32-bit boot protocol") */
    CPUX86State *env = &m->cpu;
    ck_assert_uint_eq(env->eip, 0x100000);
    ck_assert_uint_eq(env->regs[R_ESI], bp);
    ck_assert_uint_eq(env->regs[R_EBX], 0);
    ck_assert_uint_eq(env->regs[R_EDI], 0);
    ck_assert_uint_eq(env->regs[R_EBP], 0);
    ck_assert_uint_eq(env->seg[R_CS].selector, 0x10);
    ck_assert_uint_eq(env->seg[R_DS].selector, 0x18);
    ck_assert_uint_eq(env->seg[R_ES].selector, 0x18);
    ck_assert_uint_eq(env->seg[R_SS].selector, 0x18);
    ck_assert_uint_eq(env->seg[R_CS].base, 0);
    ck_assert_uint_eq(env->seg[R_CS].limit, 0xffffffffu);
    ck_assert_uint_eq(env->cr[0] & CR0_PE, CR0_PE);
    ck_assert_uint_eq(env->cr[0] & CR0_PG, 0);
    ck_assert_uint_eq(env->eflags & 0x200, 0); /* IF */
    /* the GDT the loader built: __BOOT_CS and __BOOT_DS flat 4 GiB descriptors */
    ck_assert_uint_ge(env->gdt.limit, 0x1f);
    ck_assert_uint_eq(mem_ld_le(m->ram + env->gdt.base + 0x10, 8), 0x00cf9b000000ffffull);
    ck_assert_uint_eq(mem_ld_le(m->ram + env->gdt.base + 0x18, 8), 0x00cf93000000ffffull);
    machine_destroy(m);
    unlink_temps();
}
END_TEST


START_TEST(test_runs_payload)
{
    static uint8_t f[IMAGE_SIZE];
    make_bzimage(f, 0x0204, 0x01, 0);
    const char *k = write_temp(f, sizeof(f));
    char out[64] = "/tmp/xlat-test-linux-out-XXXXXX";
    int fd = mkstemp(out);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char spec[80];
    snprintf(spec, sizeof(spec), "file:%s", out);
    Machine *m = boot(test_accels[_i], k, "console=ttyS0", NULL, 8 * MiB, spec);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(mem_ld_le(m->ram + 0x10000 + 0x218, 4), 0); /* no initrd */
    ck_assert_int_eq(machine_run(m), 0x21);
    machine_destroy(m);
    FILE *o = fopen(out, "r");
    ck_assert_ptr_nonnull(o);
    char buf[16] = {0};
    size_t n = fread(buf, 1, sizeof(buf) - 1, o);
    fclose(o);
    unlink(out);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(buf, "OK");
    unlink_temps();
}
END_TEST

/* A reset puts the kernel back and enters it again (as QEMU re-runs its linuxboot ROM). The
   payload counts its entries at 0x500; on the first it overwrites its own first byte with HLT
   and resets through port 0x92 (bit 0, fast reset); on the second it checks ESI and exits with
   0x10 (status 0x21). Without the copy back it would halt with IF clear (status 2). */
static const uint8_t reset_payload[] = {
    0xff, 0x05, 0x00, 0x05, 0x00, 0x00, 0x83, 0x3d, 0x00, 0x05, 0x00, 0x00, 0x02, 0x74, 0x0c,
    0xc6, 0x05, 0x00, 0x00, 0x10, 0x00, 0xf4, 0xb0, 0x01, 0xe6, 0x92, 0xf4, 0x81, 0xfe, 0x00,
    0x00, 0x01, 0x00, 0x75, 0x05, 0xb0, 0x10, 0xe6, 0xf4, 0xf4, 0xb0, 0x11, 0xe6, 0xf4, 0xf4,
};

START_TEST(test_reset_reenters)
{
    static uint8_t f[IMAGE_SIZE];
    make_bzimage_with(f, 0x020f, 0x01, 0, reset_payload, sizeof(reset_payload));
    Machine *m = boot(test_accels[_i], write_temp(f, sizeof(f)), "console=ttyS0", NULL, 8 * MiB, NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_run(m), 0x21);
    ck_assert_uint_eq(rd32(m, 0x500), 2);
    machine_destroy(m);
    unlink_temps();
}
END_TEST

START_TEST(test_load_errors)
{
    static uint8_t f[IMAGE_SIZE];
    /* not a bzImage (and no Multiboot header) */
    make_bzimage(f, 0x020f, 0x01, 0);
    memcpy(f + 0x202, "HdrX", 4);
    ck_assert_ptr_null(boot("interp", write_temp(f, sizeof(f)), NULL, NULL, 8 * MiB, NULL));
    /* protocol 2.03: too old */
    make_bzimage(f, 0x0203, 0x01, 0);
    ck_assert_ptr_null(boot("interp", write_temp(f, sizeof(f)), NULL, NULL, 8 * MiB, NULL));
    /* a zImage (LOADED_HIGH clear) */
    make_bzimage(f, 0x020f, 0x00, 0);
    ck_assert_ptr_null(boot("interp", write_temp(f, sizeof(f)), NULL, NULL, 8 * MiB, NULL));
    /* the kernel does not fit: init_size beyond RAM */
    make_bzimage(f, 0x020f, 0x01, 8 * MiB);
    ck_assert_ptr_null(boot("interp", write_temp(f, sizeof(f)), NULL, NULL, 8 * MiB, NULL));
    /* the initrd is missing */
    make_bzimage(f, 0x020f, 0x01, 0);
    const char *k = write_temp(f, sizeof(f));
    ck_assert_ptr_null(boot("interp", k, NULL, "/nonexistent/initrd.gz", 8 * MiB, NULL));
    /* the initrd does not fit above the kernel */
    static uint8_t big[7 * MiB];
    const char *rd = write_temp(big, sizeof(big));
    ck_assert_ptr_null(boot("interp", k, NULL, rd, 8 * MiB, NULL));
    /* the command line is longer than cmdline_size */
    char longline[300];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    ck_assert_ptr_null(boot("interp", k, longline, NULL, 8 * MiB, NULL));
    /* and the same image with sane options loads */
    Machine *m = boot("interp", k, "x", NULL, 8 * MiB, NULL);
    ck_assert_ptr_nonnull(m);
    machine_destroy(m);
    unlink_temps();
}
END_TEST

static Suite *linux_boot_suite(void)
{
    Suite *s = suite_create("linux-boot");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, test_boot_params_and_entry);
    tcase_add_loop_test(tc, test_runs_payload, 0, test_nb_accels);
    tcase_add_loop_test(tc, test_reset_reenters, 0, test_nb_accels);
    tcase_add_test(tc, test_load_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(linux_boot_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
