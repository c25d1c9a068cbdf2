/*
 * tests/unit/test_fw_cfg.c — the fw_cfg device (hw/fw_cfg.c) through its ports and DMA, and
 * the items the board gives SeaBIOS (softmmu/machine.c).
 *
 * Expected values: QEMU's docs/specs/fw_cfg.rst: selector 0x510 (16-bit, little-endian on x86),
 * data 0x511 (successive bytes, 0 past the end), signature "QEMU" at key 0, ID at key 1 (bit 0
 * traditional, bit 1 DMA), the DMA address register at 0x514 (big-endian halves, the write of
 * the low half at 0x518 starts the transfer; reading gives "QEMU CFG"), the descriptor (be32
 * control, be32 length, be64 address; read 0x02, skip 0x04, select 0x08 with the key in bits
 * 31-16, write 0x10, error 0x01; control cleared when done), the file directory at 0x19 (be32
 * count; be32 size, be16 select, be16 reserved, name[56]), etc/e820 entries (le64 address, le64
 * length, le32 type).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/fw_cfg.h"
#include "softmmu/machine.h"

static IOSpace io;
static FWCfgState fw;
static uint8_t guest[0x10000]; /* guest memory for DMA */

static void dma_rw(void *opaque, uint64_t addr, uint8_t *buf, uint32_t len, bool write)
{
    (void)opaque;
    ck_assert_uint_le(addr + len, sizeof(guest));
    if (write) {
        memcpy(guest + addr, buf, len);
    } else {
        memcpy(buf, guest + addr, len);
    }
}

static void setup(void)
{
    memset(&io, 0, sizeof(io));
    memset(guest, 0, sizeof(guest));
    ck_assert_int_eq(fw_cfg_init(&fw, &io, dma_rw, NULL), 0);
}

static void teardown(void)
{
    fw_cfg_free(&fw);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
}

/* what a guest's outl(port, cpu_to_be32(v)) delivers on a little-endian CPU */
static uint32_t bswap(uint32_t v)
{
    return __builtin_bswap32(v);
}

static void read_item(FWCfgState *s, IOSpace *ios, uint16_t key, uint8_t *buf, size_t n)
{
    (void)s;
    io_write(ios, FW_CFG_PORT_SEL, key, 2);
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)io_read(ios, FW_CFG_PORT_DATA, 1);
    }
}

START_TEST(test_signature_id)
{
    uint8_t b[8];
    read_item(&fw, &io, FW_CFG_SIGNATURE, b, 6);
    ck_assert(memcmp(b, "QEMU\0\0", 6) == 0); /* then zeros past the end */
    read_item(&fw, &io, FW_CFG_ID, b, 4);
    ck_assert_uint_eq(mem_ld_le(b, 4), FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    /* selecting again rewinds */
    io_write(&io, FW_CFG_PORT_SEL, FW_CFG_SIGNATURE, 2);
    ck_assert_uint_eq(io_read(&io, FW_CFG_PORT_DATA, 1), 'Q');
    ck_assert_uint_eq(io_read(&io, FW_CFG_PORT_DATA, 1), 'E');
    io_write(&io, FW_CFG_PORT_SEL, FW_CFG_SIGNATURE, 2);
    ck_assert_uint_eq(io_read(&io, FW_CFG_PORT_DATA, 1), 'Q');
    /* an unknown key reads as zeros */
    io_write(&io, FW_CFG_PORT_SEL, 0x1f, 2);
    ck_assert_uint_eq(io_read(&io, FW_CFG_PORT_DATA, 1), 0);
    /* the DMA register reads the signature "QEMU CFG" */
    ck_assert_uint_eq(io_read(&io, FW_CFG_PORT_DMA, 4), 0x554d4551);     /* "QEMU" */
    ck_assert_uint_eq(io_read(&io, FW_CFG_PORT_DMA + 4, 4), 0x47464320); /* " CFG" */
}
END_TEST

START_TEST(test_integers_and_files)
{
    ck_assert_int_eq(fw_cfg_add_i64(&fw, FW_CFG_RAM_SIZE, 0x123456789abcull), 0);
    ck_assert_int_eq(fw_cfg_add_i16(&fw, FW_CFG_NB_CPUS, 2), 0);
    uint8_t b[64 * 2 + 4];
    read_item(&fw, &io, FW_CFG_RAM_SIZE, b, 8);
    ck_assert_uint_eq(mem_ld_le(b, 8), 0x123456789abcull);
    read_item(&fw, &io, FW_CFG_NB_CPUS, b, 2);
    ck_assert_uint_eq(mem_ld_le(b, 2), 2);
    /* an empty directory: count 0 */
    read_item(&fw, &io, FW_CFG_FILE_DIR, b, 4);
    ck_assert_uint_eq(be32(b), 0);
    ck_assert_int_eq(fw_cfg_add_file(&fw, "etc/e820", "0123456789abcdefghij", 20), 0x20);
    ck_assert_int_eq(fw_cfg_add_file(&fw, "bootorder", "", 0), 0x21);
    read_item(&fw, &io, FW_CFG_FILE_DIR, b, sizeof(b));
    ck_assert_uint_eq(be32(b), 2);
    ck_assert_uint_eq(be32(b + 4), 20);                  /* size */
    ck_assert_uint_eq((unsigned)b[8] << 8 | b[9], 0x20); /* select */
    ck_assert_uint_eq((unsigned)b[10] << 8 | b[11], 0);  /* reserved */
    ck_assert_str_eq((const char *)b + 12, "etc/e820");
    ck_assert_uint_eq(be32(b + 68), 0);
    ck_assert_uint_eq((unsigned)b[72] << 8 | b[73], 0x21);
    ck_assert_str_eq((const char *)b + 76, "bootorder");
    read_item(&fw, &io, 0x20, b, 3);
    ck_assert(memcmp(b, "012", 3) == 0);
    /* names must fit 55 characters and a NUL */
    char longname[FW_CFG_NAME_LEN + 1];
    memset(longname, 'x', FW_CFG_NAME_LEN);
    longname[FW_CFG_NAME_LEN] = 0;
    ck_assert_int_eq(fw_cfg_add_file(&fw, longname, "", 0), -1);
}
END_TEST

/* one DMA transfer through the ports: descriptor at 0x100 */
static uint32_t dma(uint32_t control, uint32_t length, uint64_t addr)
{
    put_be(guest + 0x100, control, 4);
    put_be(guest + 0x104, length, 4);
    put_be(guest + 0x108, addr, 8);
    io_write(&io, FW_CFG_PORT_DMA, bswap(0), 4);
    io_write(&io, FW_CFG_PORT_DMA + 4, bswap(0x100), 4);
    return be32(guest + 0x100);
}

START_TEST(test_dma)
{
    /* select + read the signature */
    memset(guest + 0x200, 0xaa, 16);
    ck_assert_uint_eq(dma(FW_CFG_DMA_SELECT | FW_CFG_DMA_READ | FW_CFG_SIGNATURE << 16, 4, 0x200),
                      0);
    ck_assert(memcmp(guest + 0x200, "QEMU", 4) == 0);
    ck_assert_uint_eq(guest[0x204], 0xaa);
    /* select + skip 1, then read 2 from the current item, then read past its end: zeros */
    ck_assert_uint_eq(dma(FW_CFG_DMA_SELECT | FW_CFG_DMA_SKIP | FW_CFG_SIGNATURE << 16, 1, 0), 0);
    ck_assert_uint_eq(dma(FW_CFG_DMA_READ, 2, 0x300), 0);
    ck_assert(memcmp(guest + 0x300, "EM", 2) == 0);
    memset(guest + 0x300, 0xaa, 4);
    ck_assert_uint_eq(dma(FW_CFG_DMA_READ, 4, 0x300), 0);
    ck_assert_uint_eq(guest[0x300], 'U');
    ck_assert_uint_eq(guest[0x301], 0);
    ck_assert_uint_eq(guest[0x303], 0);
    /* the port interface continues where DMA left */
    ck_assert_uint_eq(dma(FW_CFG_DMA_SELECT | FW_CFG_DMA_SKIP | FW_CFG_SIGNATURE << 16, 2, 0), 0);
    ck_assert_uint_eq(io_read(&io, FW_CFG_PORT_DATA, 1), 'M');
    /* a write: no item is writable, the error bit is set */
    ck_assert_uint_eq(dma(FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE | FW_CFG_ID << 16, 4, 0x300),
                      FW_CFG_DMA_ERROR);
    /* a large item in several chunks */
    static uint8_t big[10000];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (uint8_t)(i * 7);
    }
    int key = fw_cfg_add_file(&fw, "big", big, sizeof(big));
    ck_assert_int_ge(key, FW_CFG_FILE_FIRST);
    ck_assert_uint_eq(
        dma(FW_CFG_DMA_SELECT | FW_CFG_DMA_READ | (uint32_t)key << 16, sizeof(big), 0x1000), 0);
    ck_assert(memcmp(guest + 0x1000, big, sizeof(big)) == 0);
}
END_TEST

/* ---- the board's items ---------------------------------------------------------------------- */

START_TEST(test_board_items)
{
    static uint8_t image[64 << 10];
    memset(image, 0xf4, sizeof(image));
    MachineOptions o = {.ram_size = 32u << 20,
                        .bios_image = image,
                        .bios_image_size = sizeof(image),
                        .accel = "interp",
                        .debugcon = "none",
                        .code_cache_size = 4 << 20,
                        .rtc_base_set = true};
    Machine *m = machine_create(&o);
    ck_assert_ptr_nonnull(m);
    uint8_t b[64 * 4 + 4];
    read_item(&m->fw_cfg, &m->io, FW_CFG_SIGNATURE, b, 4);
    ck_assert(memcmp(b, "QEMU", 4) == 0);
    read_item(&m->fw_cfg, &m->io, FW_CFG_RAM_SIZE, b, 8);
    ck_assert_uint_eq(mem_ld_le(b, 8), 32u << 20);
    read_item(&m->fw_cfg, &m->io, FW_CFG_NB_CPUS, b, 2);
    ck_assert_uint_eq(mem_ld_le(b, 2), 1);
    read_item(&m->fw_cfg, &m->io, FW_CFG_MAX_CPUS, b, 2);
    ck_assert_uint_eq(mem_ld_le(b, 2), 1);
    /* the directory lists etc/e820; its one entry is all of RAM, type 1 */
    read_item(&m->fw_cfg, &m->io, FW_CFG_FILE_DIR, b, sizeof(b));
    uint32_t n = be32(b);
    int e820_key = -1;
    for (uint32_t i = 0; i < n && i < 4; i++) {
        if (strcmp((const char *)b + 4 + 64 * i + 8, "etc/e820") == 0) {
            ck_assert_uint_eq(be32(b + 4 + 64 * i), 20);
            e820_key = b[4 + 64 * i + 4] << 8 | b[4 + 64 * i + 5];
        }
    }
    ck_assert_int_ge(e820_key, FW_CFG_FILE_FIRST);
    /* by DMA into guest RAM, as SeaBIOS reads it */
    uint8_t d[16] = {0};
    put_be(d, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ | (uint32_t)e820_key << 16, 4);
    put_be(d + 4, 20, 4);
    put_be(d + 8, 0x8000, 8);
    memcpy(m->ram + 0x7000, d, sizeof(d));
    io_write(&m->io, FW_CFG_PORT_DMA, 0, 4);
    io_write(&m->io, FW_CFG_PORT_DMA + 4, bswap(0x7000), 4);
    ck_assert_uint_eq(be32(m->ram + 0x7000), 0);
    ck_assert_uint_eq(mem_ld_le(m->ram + 0x8000, 8), 0);
    ck_assert_uint_eq(mem_ld_le(m->ram + 0x8008, 8), 32u << 20);
    ck_assert_uint_eq(mem_ld_le(m->ram + 0x8010, 4), 1);
    machine_destroy(m);
}
END_TEST

/* ---- -kernel with -bios: the kernel items ---------------------------------------------------- */

static uint32_t le32_item(Machine *m, uint16_t key)
{
    uint8_t b[4];
    read_item(&m->fw_cfg, &m->io, key, b, 4);
    return (uint32_t)mem_ld_le(b, 4);
}

static const char *write_temp(char *path, const void *data, size_t len)
{
    strcpy(path, "/tmp/xlat-test-fwcfg-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

START_TEST(test_kernel_items)
{
    /* a bzImage of boot protocol 2.12 (the kernel's Documentation/arch/x86/boot.rst): setup_sects
       3, so the real-mode part is (3 + 1) * 512 bytes and the rest is the protected-mode kernel */
    enum { SETUP = 4 * 512, KERNEL = 3000 };
    static uint8_t f[SETUP + KERNEL];
    memset(f, 0, sizeof(f));
    f[0x1f1] = 3;
    mem_st_le(f + 0x1fe, 0xaa55, 2);
    f[0x200] = 0xeb;
    f[0x201] = 0x66;
    memcpy(f + 0x202, "HdrS", 4);
    mem_st_le(f + 0x206, 0x020c, 2);
    f[0x211] = 0x01;                       /* LOADED_HIGH */
    mem_st_le(f + 0x214, 0x100000, 4);     /* code32_start */
    mem_st_le(f + 0x22c, 0x37ffffff, 4);   /* initrd_addr_max */
    mem_st_le(f + 0x238, 2048, 4);         /* cmdline_size */
    for (size_t i = SETUP; i < sizeof(f); i++) {
        f[i] = (uint8_t)(i * 7 + 1);
    }
    static uint8_t initrd[5000];
    for (size_t i = 0; i < sizeof(initrd); i++) {
        initrd[i] = (uint8_t)(i ^ 0x5a);
    }
    char kpath[64], ipath[64];
    write_temp(kpath, f, sizeof(f));
    write_temp(ipath, initrd, sizeof(initrd));
    static uint8_t image[64 << 10];
    memset(image, 0xf4, sizeof(image));
    const char *cmdline = "console=ttyS0 quiet";
    MachineOptions o = {.ram_size = 32u << 20,
                        .bios_image = image,
                        .bios_image_size = sizeof(image),
                        .accel = "interp",
                        .debugcon = "none",
                        .code_cache_size = 4 << 20,
                        .rtc_base_set = true,
                        .kernel = kpath,
                        .append = cmdline,
                        .initrd = ipath};
    Machine *m = machine_create(&o);
    unlink(kpath);
    unlink(ipath);
    ck_assert_ptr_nonnull(m);

    /* keys 0x07/0x08/0x11: the protected-mode part, for 1 MiB */
    ck_assert_uint_eq(le32_item(m, 0x07), 0x100000);
    ck_assert_uint_eq(le32_item(m, 0x08), KERNEL);
    static uint8_t buf[SETUP + KERNEL];
    read_item(&m->fw_cfg, &m->io, 0x11, buf, KERNEL);
    ck_assert_mem_eq(buf, f + SETUP, KERNEL);
    /* keys 0x16/0x17/0x18: the real-mode part at 0x10000, its header filled as a boot loader
       does (boot.rst): type_of_loader 0xff, CAN_USE_HEAP, heap_end_ptr 0xfe00 (the command
       line 64 KiB above the setup, minus 0x200), cmd_line_ptr, ramdisk_image and _size */
    ck_assert_uint_eq(le32_item(m, 0x16), 0x10000);
    ck_assert_uint_eq(le32_item(m, 0x17), SETUP);
    read_item(&m->fw_cfg, &m->io, 0x18, buf, SETUP);
    ck_assert_mem_eq(buf + 0x202, "HdrS", 4);
    ck_assert_uint_eq(buf[0x210], 0xff);
    ck_assert_uint_eq(buf[0x211], 0x81);
    ck_assert_uint_eq(mem_ld_le(buf + 0x224, 2), 0xfe00);
    ck_assert_uint_eq(mem_ld_le(buf + 0x228, 4), 0x20000);
    /* keys 0x13/0x14/0x15 (and the older 0x09): the command line with its NUL at 0x20000 */
    ck_assert_uint_eq(le32_item(m, 0x13), 0x20000);
    ck_assert_uint_eq(le32_item(m, 0x09), 0x20000);
    ck_assert_uint_eq(le32_item(m, 0x14), strlen(cmdline) + 1);
    read_item(&m->fw_cfg, &m->io, 0x15, buf, strlen(cmdline) + 1);
    ck_assert_mem_eq(buf, cmdline, strlen(cmdline) + 1);
    /* keys 0x0a/0x0b/0x12: the initrd, page-aligned in RAM above the kernel and below its
       end, where the header says */
    uint32_t initrd_addr = le32_item(m, 0x0a);
    ck_assert_uint_eq(initrd_addr & 0xfff, 0);
    ck_assert_uint_gt(initrd_addr, 0x100000);
    ck_assert_uint_le(initrd_addr + sizeof(initrd), 32u << 20);
    ck_assert_uint_eq(le32_item(m, 0x0b), sizeof(initrd));
    read_item(&m->fw_cfg, &m->io, 0x12, buf, sizeof(initrd));
    ck_assert_mem_eq(buf, initrd, sizeof(initrd));
    read_item(&m->fw_cfg, &m->io, 0x18, buf, SETUP);
    ck_assert_uint_eq(mem_ld_le(buf + 0x218, 4), initrd_addr);
    ck_assert_uint_eq(mem_ld_le(buf + 0x21c, 4), sizeof(initrd));
    machine_destroy(m);

    /* without -bios (the kernel is entered directly) the items stay empty, as without -kernel */
    o.bios_image = NULL;
    o.bios_image_size = 0;
    write_temp(kpath, f, sizeof(f));
    o.initrd = NULL;
    m = machine_create(&o);
    unlink(kpath);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(le32_item(m, 0x08), 0);
    ck_assert_uint_eq(le32_item(m, 0x17), 0);
    machine_destroy(m);
}
END_TEST

static Suite *fw_cfg_suite(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("device");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_signature_id);
    tcase_add_test(tc, test_integers_and_files);
    tcase_add_test(tc, test_dma);
    suite_add_tcase(s, tc);
    tc = tcase_create("board");
    tcase_add_test(tc, test_board_items);
    tcase_add_test(tc, test_kernel_items);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fw_cfg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
