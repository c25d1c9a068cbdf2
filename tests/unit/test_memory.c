/*
 * tests/unit/test_memory.c — the physical address space, the port I/O space, and the memory map
 * and devices machine_create builds (softmmu/memory.c, softmmu/machine.c, hw/debugcon.c,
 * hw/debug-exit.c).
 *
 * Expected values come from the PC's conventions (unassigned reads float to all ones, ROM
 * ignores writes, little-endian byte order, the BIOS aliased below 1 MiB) and from QEMU's
 * documented device behaviour (debugcon readback 0xE9, isa-debug-exit status (V << 1) | 1),
 * not from the code under test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "softmmu/machine.h"
#include "softmmu/memory.h"

/* ---- an MMIO/port device that records its last access ------------------------------------- */

typedef struct Probe {
    int reads, writes;
    uint64_t last_off, last_val;
    unsigned last_size;
    uint64_t read_val;
} Probe;

static uint64_t probe_read(void *opaque, uint64_t off, unsigned size)
{
    Probe *p = opaque;
    p->reads++;
    p->last_off = off;
    p->last_size = size;
    return p->read_val;
}

static void probe_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Probe *p = opaque;
    p->writes++;
    p->last_off = off;
    p->last_val = val;
    p->last_size = size;
}

/* ---- AddressSpace --------------------------------------------------------------------------- */

static AddressSpace as;
static uint8_t ram[0x10000], rom[0x1000];
static Probe dev;

static void as_setup(void)
{
    memset(&as, 0, sizeof(as));
    memset(&dev, 0, sizeof(dev));
    for (size_t i = 0; i < sizeof(ram); i++) {
        ram[i] = (uint8_t)i;
    }
    for (size_t i = 0; i < sizeof(rom); i++) {
        rom[i] = (uint8_t)(0xa0 + (i & 0xf));
    }
    ck_assert_int_ge(as_add_ram(&as, "ram", 0, sizeof(ram), ram, 0), 0);
    ck_assert_int_ge(as_add_rom(&as, "rom", 0x20000, sizeof(rom), rom, 0), 0);
    ck_assert_int_ge(as_add_mmio(&as, "dev", 0x30000, 0x100, probe_read, probe_write, &dev, 0), 0);
}

START_TEST(test_ram_little_endian)
{
    as_setup();
    /* bytes 0x10 0x11 0x12 ... read back least significant first */
    ck_assert_uint_eq(as_read(&as, 0x10, 1), 0x10);
    ck_assert_uint_eq(as_read(&as, 0x10, 2), 0x1110);
    ck_assert_uint_eq(as_read(&as, 0x10, 4), 0x13121110);
    ck_assert_uint_eq(as_read(&as, 0x10, 8), 0x1716151413121110ull);
    as_write(&as, 0x100, 0x8877665544332211ull, 8);
    ck_assert_uint_eq(ram[0x100], 0x11);
    ck_assert_uint_eq(ram[0x107], 0x88);
    as_write(&as, 0x200, 0xdeadbeef, 2); /* only the low 2 bytes are stored */
    ck_assert_uint_eq(ram[0x200], 0xef);
    ck_assert_uint_eq(ram[0x201], 0xbe);
    ck_assert_uint_eq(ram[0x202], 0x02);
}
END_TEST

START_TEST(test_rom_writes_dropped)
{
    as_setup();
    ck_assert_uint_eq(as_read(&as, 0x20001, 1), 0xa1);
    as_write(&as, 0x20001, 0x55, 1);
    as_write(&as, 0x20000, 0x1122334455667788ull, 8);
    ck_assert_uint_eq(rom[1], 0xa1);
    ck_assert_uint_eq(as_read(&as, 0x20000, 4), 0xa3a2a1a0);
}
END_TEST

START_TEST(test_unassigned_all_ones)
{
    as_setup();
    ck_assert_uint_eq(as_read(&as, 0x50000, 1), 0xff);
    ck_assert_uint_eq(as_read(&as, 0x50000, 2), 0xffff);
    ck_assert_uint_eq(as_read(&as, 0x50000, 4), 0xffffffffu);
    ck_assert_uint_eq(as_read(&as, 0x50000, 8), ~(uint64_t)0);
    /* an access at the very top wraps to address 0 (RAM here) */
    ck_assert_uint_eq(as_read(&as, ~(uint64_t)0, 8), 0x06050403020100ffull);
    ck_assert_ptr_null(as_lookup(&as, 0x10000));
    as_write(&as, 0x50000, 1, 4); /* vanishes, no crash */
    /* sizes the bus does not have: nothing is touched, reads float */
    ck_assert_uint_eq(as_read(&as, 0x10, 3), ~(uint64_t)0);
    as_write(&as, 0x10, 0, 3);
    ck_assert_uint_eq(ram[0x10], 0x10);
}
END_TEST

START_TEST(test_mmio_dispatch)
{
    as_setup();
    dev.read_val = 0x1234567890abcdefull;
    ck_assert_uint_eq(as_read(&as, 0x30010, 2), 0xcdef); /* masked to the access size */
    ck_assert_int_eq(dev.reads, 1);
    ck_assert_uint_eq(dev.last_off, 0x10);
    ck_assert_uint_eq(dev.last_size, 2);
    as_write(&as, 0x30020, 0xaabbccdd, 4);
    ck_assert_int_eq(dev.writes, 1);
    ck_assert_uint_eq(dev.last_off, 0x20);
    ck_assert_uint_eq(dev.last_val, 0xaabbccdd);
    ck_assert_uint_eq(dev.last_size, 4);
}
END_TEST

START_TEST(test_straddle_bytewise)
{
    as_setup();
    /* the last two bytes of RAM and two unassigned bytes above it */
    ram[0xfffe] = 0x12;
    ram[0xffff] = 0x34;
    ck_assert_uint_eq(as_read(&as, 0xfffe, 4), 0xffff3412);
    as_write(&as, 0xffff, 0x5566, 2); /* one byte lands in RAM, one vanishes */
    ck_assert_uint_eq(ram[0xffff], 0x66);
    /* an access straddling into a device reaches it one byte at a time */
    dev.read_val = 0x77;
    ck_assert_uint_eq(as_read(&as, 0x300fe, 4), 0xffff7777);
    ck_assert_int_eq(dev.reads, 2);
    ck_assert_uint_eq(dev.last_off, 0xff);
    ck_assert_uint_eq(dev.last_size, 1);
}
END_TEST

START_TEST(test_priorities)
{
    static uint8_t over[0x100];
    as_setup();
    memset(over, 0xcc, sizeof(over));
    /* a ROM at priority 1 over RAM at priority 0 */
    ck_assert_int_ge(as_add_rom(&as, "over", 0x1000, sizeof(over), over, 1), 0);
    ck_assert_str_eq(as_lookup(&as, 0x1000)->name, "over");
    ck_assert_str_eq(as_lookup(&as, 0x10ff)->name, "over");
    ck_assert_str_eq(as_lookup(&as, 0x1100)->name, "ram");
    ck_assert_str_eq(as_lookup(&as, 0x0fff)->name, "ram");
    ck_assert_uint_eq(as_read(&as, 0x1000, 4), 0xcccccccc);
    as_write(&as, 0x1000, 0, 4); /* the ROM wins: dropped, and RAM below is untouched */
    ck_assert_uint_eq(over[0], 0xcc);
    ck_assert_uint_eq(ram[0x1000], 0x00);
    ck_assert_uint_eq(ram[0x1001], 0x01);
    /* an 8-byte read whose middle bytes belong to a small winning region */
    ck_assert_int_ge(as_add_mmio(&as, "tiny", 0x2002, 2, probe_read, probe_write, &dev, 5), 0);
    dev.read_val = 0xee;
    ck_assert_uint_eq(as_read(&as, 0x2000, 8), 0x07060504eeee0100ull);
    /* equal priority: the region added later wins */
    static uint8_t later[0x10];
    memset(later, 0x5a, sizeof(later));
    ck_assert_int_ge(as_add_ram(&as, "later", 0x3000, sizeof(later), later, 0), 0);
    ck_assert_str_eq(as_lookup(&as, 0x3000)->name, "later");
    /* a lower priority never shows through a higher one */
    static uint8_t under[0x10];
    ck_assert_int_ge(as_add_ram(&as, "under", 0x4000, sizeof(under), under, -1), 0);
    ck_assert_str_eq(as_lookup(&as, 0x4000)->name, "ram");
}
END_TEST

START_TEST(test_lookup_page)
{
    static uint8_t over[0x10];
    bool whole;
    as_setup();
    ck_assert_str_eq(as_lookup_page(&as, 0x1000, 0x1000, &whole)->name, "ram");
    ck_assert(whole);
    ck_assert_int_ge(as_add_rom(&as, "over", 0x1800, sizeof(over), over, 1), 0);
    ck_assert_str_eq(as_lookup_page(&as, 0x1000, 0x1000, &whole)->name, "ram");
    ck_assert(!whole); /* a winning region inside the page */
    ck_assert_str_eq(as_lookup_page(&as, 0xf000, 0x1000, &whole)->name, "ram");
    ck_assert(whole);
    ck_assert_str_eq(as_lookup_page(&as, 0x20000, 0x1000, &whole)->name, "rom");
    ck_assert(whole);
    ck_assert_str_eq(as_lookup_page(&as, 0x30000, 0x1000, &whole)->name, "dev");
    ck_assert(!whole); /* the device is 256 bytes */
    ck_assert_ptr_null(as_lookup_page(&as, 0x40000, 0x1000, &whole));
    ck_assert(!whole);
}
END_TEST

/* Moving a region (a BAR, the APIC base, a PAM segment) changes who answers at once, also for
   pages looked up before the move: lookups are memoised per page. */
START_TEST(test_move_region)
{
    bool whole;
    as_setup();
    ram[0x5000] = 0x42;
    ck_assert_uint_eq(as_read(&as, 0x5000, 1), 0x42);
    ck_assert_str_eq(as_lookup_page(&as, 0x5000, 0x1000, &whole)->name, "ram");
    ck_assert(whole);
    int idx = as_add_mmio(&as, "bar", 0x100000, 0x1000, probe_read, probe_write, &dev, 2);
    ck_assert_int_ge(idx, 0);
    ck_assert_int_eq(as_move_region(&as, idx, 0x5000, 0x1000), 0);
    dev.read_val = 0x99;
    ck_assert_uint_eq(as_read(&as, 0x5000, 1), 0x99);
    ck_assert_str_eq(as_lookup_page(&as, 0x5000, 0x1000, &whole)->name, "bar");
    ck_assert(whole);
    ck_assert_int_eq(as_move_region(&as, idx, 0x5000, 0), 0); /* size 0: unmapped */
    ck_assert_uint_eq(as_read(&as, 0x5000, 1), 0x42);
    ck_assert_str_eq(as_lookup_page(&as, 0x5000, 0x1000, &whole)->name, "ram");
    ck_assert_ptr_null(as_lookup_page(&as, 0x100000, 0x1000, &whole));
}
END_TEST

START_TEST(test_add_region_limits)
{
    AddressSpace a;
    memset(&a, 0, sizeof(a));
    ck_assert_int_lt(as_add_ram(&a, "empty", 0, 0, ram, 0), 0);
    ck_assert_int_lt(as_add_ram(&a, "wraps", ~(uint64_t)0 - 10, 100, ram, 0), 0);
    ck_assert_int_lt(as_add_ram(&a, "nohost", 0, 100, NULL, 0), 0);
    /* the very top of the 64-bit space is allowed */
    ck_assert_int_ge(as_add_ram(&a, "top", ~(uint64_t)0 - 0xff, 0x100, ram, 0), 0);
    ck_assert_uint_eq(as_read(&a, ~(uint64_t)0, 1), ram[0xff]);
    for (int i = a.nb; i < AS_MAX_REGIONS; i++) {
        ck_assert_int_ge(as_add_ram(&a, "r", (uint64_t)i << 20, 16, ram, 0), 0);
    }
    ck_assert_int_lt(as_add_ram(&a, "full", 0, 16, ram, 0), 0);
}
END_TEST

/* ---- IOSpace -------------------------------------------------------------------------------- */

static IOSpace io;

START_TEST(test_port_dispatch)
{
    Probe p = {.read_val = 0xa1b2c3d4};
    memset(&io, 0, sizeof(io));
    ck_assert_int_ge(io_register(&io, "dev", 0x60, 4, probe_read, probe_write, &p), 0);
    ck_assert_uint_eq(io_read(&io, 0x60, 1), 0xd4);
    ck_assert_uint_eq(p.last_off, 0);
    ck_assert_uint_eq(p.last_size, 1);
    ck_assert_uint_eq(io_read(&io, 0x62, 2), 0xc3d4);
    ck_assert_uint_eq(p.last_off, 2);
    ck_assert_uint_eq(p.last_size, 2);
    ck_assert_uint_eq(io_read(&io, 0x63, 4), 0xa1b2c3d4);
    ck_assert_uint_eq(p.last_off, 3);
    io_write(&io, 0x61, 0x12345678, 2);
    ck_assert_int_eq(p.writes, 1);
    ck_assert_uint_eq(p.last_off, 1);
    ck_assert_uint_eq(p.last_val, 0x5678); /* masked to the access size */
    ck_assert_uint_eq(p.last_size, 2);
}
END_TEST

START_TEST(test_port_unassigned)
{
    Probe p = {0};
    memset(&io, 0, sizeof(io));
    ck_assert_int_ge(io_register(&io, "wo", 0x80, 1, NULL, probe_write, &p), 0);
    ck_assert_uint_eq(io_read(&io, 0x70, 1), 0xff);
    ck_assert_uint_eq(io_read(&io, 0x70, 2), 0xffff);
    ck_assert_uint_eq(io_read(&io, 0x70, 4), 0xffffffffu);
    ck_assert_uint_eq(io_read(&io, 0x80, 2), 0xffff); /* a device without a read callback */
    io_write(&io, 0x70, 1, 1);
    /* guest-chosen values out of range never index outside the map */
    ck_assert_uint_eq(io_read(&io, 0x10000, 1), 0xff);
    ck_assert_uint_eq(io_read(&io, 0xffffffffu, 4), 0xffffffffu);
    io_write(&io, 0x12345678, 1, 4);
    ck_assert_uint_eq(io_read(&io, 0x70, 3), 0xffffffffu);
    io_write(&io, 0x80, 1, 8);
    ck_assert_int_eq(p.writes, 0);
    ck_assert_int_eq(p.reads, 0);
}
END_TEST

START_TEST(test_port_register_limits)
{
    memset(&io, 0, sizeof(io));
    ck_assert_int_ge(io_register(&io, "a", 0x3f8, 8, probe_read, probe_write, NULL), 0);
    ck_assert_int_lt(io_register(&io, "overlap", 0x3ff, 2, probe_read, probe_write, NULL), 0);
    ck_assert_int_lt(io_register(&io, "empty", 0x100, 0, probe_read, probe_write, NULL), 0);
    ck_assert_int_lt(io_register(&io, "past", 0xfffe, 4, probe_read, probe_write, NULL), 0);
    ck_assert_int_lt(io_register(&io, "huge", 0x10000, 1, probe_read, probe_write, NULL), 0);
    ck_assert_int_ge(io_register(&io, "last", 0xffff, 1, probe_read, probe_write, NULL), 0);
    /* the failed registrations left the map as it was */
    ck_assert_uint_eq(io.map[0x400], 0);
    ck_assert_uint_eq(io.map[0x100], 0);
    ck_assert_uint_eq(io.map[0xfffe], 0);
}
END_TEST

/* ---- the machine's memory map and devices --------------------------------------------------- */

static char bios_path[64];
static char con_path[64];

/* A BIOS image of `size` bytes whose byte i is a function of i (so aliases can be told apart). */
static void make_bios(size_t size)
{
    strcpy(bios_path, "/tmp/xlat-test-bios-XXXXXX");
    int fd = mkstemp(bios_path);
    ck_assert_int_ge(fd, 0);
    uint8_t *img = malloc(size);
    for (size_t i = 0; i < size; i++) {
        img[i] = (uint8_t)((i >> 8) ^ (i * 7));
    }
    /* reset vector: hlt (never run here) */
    img[size - 16] = 0xf4;
    ck_assert_int_eq(write(fd, img, size), (ssize_t)size);
    close(fd);
    free(img);
}

static uint8_t bios_byte(size_t i)
{
    return (uint8_t)((i >> 8) ^ (i * 7));
}

static Machine *make_machine(size_t bios_size, const char *debugcon)
{
    make_bios(bios_size);
    MachineOptions o = {.ram_size = 4 << 20,
                        .bios = bios_path,
                        .accel = "interp",
                        .debugcon = debugcon,
                        .code_cache_size = 1 << 20};
    Machine *m = machine_create(&o);
    unlink(bios_path);
    ck_assert_ptr_nonnull(m);
    return m;
}

START_TEST(test_bios_mapping_64k)
{
    Machine *m = make_machine(64 << 10, "none");
    /* at the top of 4 GiB */
    ck_assert_uint_eq(as_read(&m->mem, 0xffff0000 + 0x1234, 1), bios_byte(0x1234));
    ck_assert_uint_eq(as_read(&m->mem, 0xfffffff0, 1), 0xf4);
    /* the same bytes at 0xF0000-0xFFFFF, where real-mode code sees them */
    ck_assert_uint_eq(as_read(&m->mem, 0xf1234, 1), bios_byte(0x1234));
    ck_assert_uint_eq(as_read(&m->mem, 0xffff0, 1), 0xf4);
    ck_assert_ptr_eq(as_lookup(&m->mem, 0xf0000)->host, m->bios); /* aliased, not copied */
    /* RAM below the alias and above 1 MiB; nothing between the end of RAM and the BIOS */
    ck_assert_str_eq(as_lookup(&m->mem, 0xeffff)->name, "ram");
    ck_assert_str_eq(as_lookup(&m->mem, 0x100000)->name, "ram");
    ck_assert_ptr_null(as_lookup(&m->mem, 4 << 20));
    ck_assert_ptr_null(as_lookup(&m->mem, 0xfffeffff));
    /* writes to either copy of the ROM are dropped, and do not reach the RAM underneath */
    as_write(&m->mem, 0xf1234, 0x5a5a, 2);
    as_write(&m->mem, 0xffff1234, 0x5a5a, 2);
    ck_assert_uint_eq(as_read(&m->mem, 0xf1234, 1), bios_byte(0x1234));
    ck_assert_uint_eq(m->ram[0xf1234], 0);
    as_write(&m->mem, 0xe0000, 0x11223344, 4);
    ck_assert_uint_eq(as_read(&m->mem, 0xe0000, 4), 0x11223344);
    machine_destroy(m);
}
END_TEST

START_TEST(test_bios_mapping_256k)
{
    Machine *m = make_machine(256 << 10, "none");
    ck_assert_uint_eq(as_read(&m->mem, 0xfffc0000 + 0x101, 1), bios_byte(0x101));
    /* only the last 128 KiB appear below 1 MiB: 0xE0000 is image offset 0x20000 */
    ck_assert_uint_eq(as_read(&m->mem, 0xe0101, 1), bios_byte(0x20101));
    ck_assert_uint_eq(as_read(&m->mem, 0xffff0, 1), 0xf4);
    ck_assert_str_eq(as_lookup(&m->mem, 0xdffff)->name, "ram");
    machine_destroy(m);
}
END_TEST

START_TEST(test_machine_errors)
{
    MachineOptions o = {.ram_size = 4 << 20, .accel = "interp", .debugcon = "none"};
    ck_assert_ptr_null(machine_create(&o)); /* no -bios */
    o.bios = "/nonexistent/bios.bin";
    ck_assert_ptr_null(machine_create(&o));
    /* a size that is not a multiple of 64 KiB */
    strcpy(bios_path, "/tmp/xlat-test-bios-XXXXXX");
    int fd = mkstemp(bios_path);
    ck_assert_int_eq(write(fd, "abc", 3), 3);
    close(fd);
    o.bios = bios_path;
    ck_assert_ptr_null(machine_create(&o));
    unlink(bios_path);
    make_bios(64 << 10);
    o.ram_size = 0;
    ck_assert_ptr_null(machine_create(&o));
    o.ram_size = 4ull << 30;
    ck_assert_ptr_null(machine_create(&o));
    o.ram_size = 4 << 20;
    o.accel = "kvm";
    ck_assert_ptr_null(machine_create(&o));
    o.accel = "interp";
    o.debugcon = "pty";
    ck_assert_ptr_null(machine_create(&o));
    o.debugcon = "none";
    o.debug_exit = true;
    o.debug_exit_iobase = 0xe8; /* overlaps the debug console at 0xE9 */
    o.debug_exit_iosize = 4;
    ck_assert_ptr_null(machine_create(&o));
    o.debug_exit_iobase = 0xfffe;
    ck_assert_ptr_null(machine_create(&o));
    o.debug_exit_iobase = 0xf4;
    Machine *m = machine_create(&o);
    ck_assert_ptr_nonnull(m);
    machine_destroy(m);
    unlink(bios_path);
}
END_TEST

START_TEST(test_debugcon)
{
    strcpy(con_path, "/tmp/xlat-test-con-XXXXXX");
    int fd = mkstemp(con_path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "old contents", 12), 12); /* file: truncates */
    close(fd);
    char spec[80];
    snprintf(spec, sizeof(spec), "file:%s", con_path);
    Machine *m = make_machine(64 << 10, spec);
    /* QEMU's isa-debugcon reads back 0xE9 so a guest can detect it */
    ck_assert_uint_eq(io_read(&m->io, 0xe9, 1), 0xe9);
    io_write(&m->io, 0xe9, 'h', 1);
    io_write(&m->io, 0xe9, 0x4869, 2); /* one character: the low byte */
    io_write(&m->io, 0xe9, '\n', 1);
    /* flushed at the newline, before the machine is gone */
    char buf[32] = {0};
    FILE *f = fopen(con_path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(buf, "hi\n");
    io_write(&m->io, 0xe9, '!', 1);
    machine_destroy(m); /* flushes the rest */
    f = fopen(con_path, "r");
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    ck_assert_str_eq(buf, "hi\n!");
    unlink(con_path);
}
END_TEST

START_TEST(test_debug_exit)
{
    make_bios(64 << 10);
    MachineOptions o = {.ram_size = 1 << 20,
                        .bios = bios_path,
                        .accel = "interp",
                        .debugcon = "none",
                        .debug_exit = true,
                        .debug_exit_iobase = 0x501,
                        .debug_exit_iosize = 2};
    Machine *m = machine_create(&o);
    unlink(bios_path);
    ck_assert_ptr_nonnull(m);
    ck_assert(!m->exit_requested);
    ck_assert_uint_eq(io_read(&m->io, 0x500, 1), 0xff); /* below iobase: nobody */
    io_write(&m->io, 0x502, 0x20, 1);
    ck_assert(m->exit_requested);
    ck_assert_int_eq(m->exit_status, (0x20 << 1) | 1);
    ck_assert(m->cpu.common.exit_request); /* the CPU leaves translated code */
    /* the first request decides the status */
    io_write(&m->io, 0x501, 0, 1);
    ck_assert_int_eq(m->exit_status, 0x41);
    machine_destroy(m);

    /* default wiring, as in QEMU's tests: a write of 0 is status 1, of 1 status 3 */
    make_bios(64 << 10);
    o.bios = bios_path;
    o.debug_exit_iobase = 0xf4;
    o.debug_exit_iosize = 4;
    m = machine_create(&o);
    unlink(bios_path);
    io_write(&m->io, 0xf4, 1, 4);
    ck_assert_int_eq(m->exit_status, 3);
    machine_destroy(m);
}
END_TEST

START_TEST(test_state_hash)
{
    Machine *a = make_machine(64 << 10, "none");
    Machine *b = make_machine(64 << 10, "none");
    /* two machines built alike are alike */
    ck_assert_uint_eq(machine_state_hash(a), machine_state_hash(b));
    /* one bit anywhere in RAM tells them apart, the highest bit of a word included */
    b->ram[0x12345] ^= 0x80;
    uint64_t h1 = machine_state_hash(b);
    ck_assert_uint_ne(machine_state_hash(a), h1);
    b->ram[0x12345] ^= 0x80;
    b->ram[(4 << 20) - 1] ^= 1;
    ck_assert_uint_ne(machine_state_hash(a), machine_state_hash(b));
    ck_assert_uint_ne(h1, machine_state_hash(b));
    b->ram[(4 << 20) - 1] ^= 1;
    /* and so does a register */
    b->cpu.regs[R_EAX] ^= 1;
    ck_assert_uint_ne(machine_state_hash(a), machine_state_hash(b));
    machine_destroy(a);
    machine_destroy(b);
}
END_TEST

START_TEST(test_print_stats)
{
    Machine *m = make_machine(64 << 10, "none");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    m->icount = 12345;
    machine_print_stats(m, f);
    fclose(f);
    /* the two lines scripts compare across backends, in their fixed spelling */
    ck_assert_ptr_nonnull(strstr(buf, "instructions retired: 12345\n"));
    char want[64];
    snprintf(want, sizeof(want), "state hash: %016llx\n",
             (unsigned long long)machine_state_hash(m));
    ck_assert_ptr_nonnull(strstr(buf, want));
    ck_assert_ptr_nonnull(strstr(buf, "jump cache hit rate: 0.0%\n"));
    free(buf);
    machine_destroy(m);
}
END_TEST

static Suite *memory_suite(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("address space");
    tcase_add_test(tc, test_ram_little_endian);
    tcase_add_test(tc, test_rom_writes_dropped);
    tcase_add_test(tc, test_unassigned_all_ones);
    tcase_add_test(tc, test_mmio_dispatch);
    tcase_add_test(tc, test_straddle_bytewise);
    tcase_add_test(tc, test_priorities);
    tcase_add_test(tc, test_lookup_page);
    tcase_add_test(tc, test_move_region);
    tcase_add_test(tc, test_add_region_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("ports");
    tcase_add_test(tc, test_port_dispatch);
    tcase_add_test(tc, test_port_unassigned);
    tcase_add_test(tc, test_port_register_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("machine");
    tcase_add_test(tc, test_bios_mapping_64k);
    tcase_add_test(tc, test_bios_mapping_256k);
    tcase_add_test(tc, test_machine_errors);
    tcase_add_test(tc, test_debugcon);
    tcase_add_test(tc, test_debug_exit);
    tcase_add_test(tc, test_state_hash);
    tcase_add_test(tc, test_print_stats);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(memory_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
