/*
 * tests/guests/kernels/multiboot.c — what a Multiboot boot loader hands over (Multiboot
 * Specification 0.6.96, sections 3.2 and 3.3): the magic in EAX, the machine state, and the
 * information structure (memory sizes, memory map, command line, modules, boot loader name).
 *
 * tests/guests/run-kernel-tests boots it with
 *     -append "mbtest foo=bar" -initrd "DIR/mod1 arg1 arg2,DIR/mod2"
 * where mod1 holds "MODULE-ONE\n" (11 bytes) and mod2 is 5000 bytes starting "MODULE-TWO".
 * The checks are what the specification guarantees plus what QEMU and xlat both do (the command
 * line is the kernel's path, a space and the -append string; module strings are the -initrd
 * items; modules start on 4 KiB boundaries, as header flag bit 0 asks).
 */
#include "libk.h"

#define MB_BOOT_MAGIC 0x2BADB002u

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
    uint32_t boot_loader_name, apm_table;
} __attribute__((packed));

struct mb_module {
    uint32_t mod_start, mod_end, string, reserved;
};

/* the size field counts the bytes after itself (section 3.3) */
struct mb_mmap_entry {
    uint32_t size;
    uint64_t base, length;
    uint32_t type;
} __attribute__((packed));

enum {
    MBI_MEM = 1u << 0,
    MBI_CMDLINE = 1u << 2,
    MBI_MODS = 1u << 3,
    MBI_MMAP = 1u << 6,
    MBI_LOADER_NAME = 1u << 9,
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Does an available (type 1) entry cover [lo, hi)? Does one overlap it? */
static bool mmap_available(const struct mb_info *mbi, uint64_t lo, uint64_t hi, bool whole)
{
    uint32_t p = mbi->mmap_addr;
    while (p < mbi->mmap_addr + mbi->mmap_length) {
        const struct mb_mmap_entry *e = (const void *)p;
        if (e->type == 1) {
            uint64_t end = e->base + e->length;
            if (whole ? (e->base <= lo && end >= hi) : (e->base < hi && lo < end)) {
                return true;
            }
        }
        p += e->size + 4;
    }
    return false;
}

void kmain(void)
{
    const struct mb_info *mbi = (const void *)boot_info;
    uint32_t kernel_lo = 0x100000, kernel_len = (uint32_t)_end - 0x100000;

    tap_plan(21);
    tap_ok(boot_magic == MB_BOOT_MAGIC, "EAX holds the boot loader magic 0x2BADB002");
    tap_ok((boot_cr0 & CR0_PE) && !(boot_cr0 & CR0_PG), "protected mode, paging off at entry");
    tap_ok(!(boot_eflags & EFL_IF) && !(boot_eflags & (1u << 17)), "IF and VM clear at entry");
    tap_ok(!overlaps(boot_info, sizeof(*mbi), kernel_lo, kernel_len),
           "the information structure does not overlap the kernel");
    uint32_t want = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
    tap_ok((mbi->flags & want) == want,
           "flags announce memory sizes, command line, modules, memory map, loader name");
    tap_diag("flags %#x", mbi->flags);

    /* Section 3.3 defines both as amounts of memory from 0 and from 1 MiB; with a memory map,
       they are what the map makes available there (firmware may keep the top of RAM, as
       SeaBIOS under QEMU does, so the value itself is not checked) */
    tap_ok(mbi->mem_lower == 639, "mem_lower is 639 KiB (a PC's conventional memory)");
    tap_diag("mem_lower %u KiB, mem_upper %u KiB", mbi->mem_lower, mbi->mem_upper);
    tap_ok(mmap_available(mbi, 0x100000, 0x100000 + (uint64_t)mbi->mem_upper * 1024, true) &&
               !mmap_available(mbi, 0x100000 + (uint64_t)mbi->mem_upper * 1024,
                               0x100000 + (uint64_t)mbi->mem_upper * 1024 + 1, false),
           "mem_upper is the memory the map makes available from 1 MiB on");

    const char *cmdline = (const char *)mbi->cmdline;
    tap_diag("cmdline '%s'", cmdline);
    size_t path_len = 0;
    while (cmdline[path_len] && cmdline[path_len] != ' ') {
        path_len++;
    }
    tap_ok(path_len >= 13 && strncmp(cmdline + path_len - 13, "multiboot.elf", 13) == 0 &&
               strcmp(cmdline + path_len, " mbtest foo=bar") == 0,
           "cmdline is the kernel's path, a space and the -append string");

    const char *name = (const char *)mbi->boot_loader_name;
    tap_ok(name && name[0], "the boot loader has a name");
    tap_diag("boot loader '%s'", name ? name : "");

    tap_ok(mbi->mods_count == 2, "two modules (%u)", mbi->mods_count);
    const struct mb_module *mod = (const void *)mbi->mods_addr;
    if (mbi->mods_count < 2) {
        static const struct mb_module none[2];
        mod = none;
    }
    for (int i = 0; i < 2; i++) {
        tap_diag("module %d: %#x-%#x '%s'", i, mod[i].mod_start, mod[i].mod_end,
                 mod[i].string ? (const char *)mod[i].string : "");
    }
    tap_ok(mod[0].mod_end - mod[0].mod_start == 11 &&
               memcmp((const void *)mod[0].mod_start, "MODULE-ONE\n", 11) == 0,
           "module 1 holds the first file (11 bytes)");
    tap_ok(mod[0].string && ends_with((const char *)mod[0].string, "/mod1 arg1 arg2"),
           "module 1's string is its -initrd item, path and arguments");
    tap_ok(mod[1].mod_end - mod[1].mod_start == 5000 &&
               memcmp((const void *)mod[1].mod_start, "MODULE-TWO", 10) == 0,
           "module 2 holds the second file (5000 bytes)");
    tap_ok(mod[1].string && ends_with((const char *)mod[1].string, "/mod2"),
           "module 2's string is its path");
    tap_ok(mod[0].mod_start % 4096 == 0 && mod[1].mod_start % 4096 == 0,
           "modules start on 4 KiB boundaries (header flag bit 0)");
    tap_ok(!overlaps(mod[0].mod_start, 11, kernel_lo, kernel_len) &&
               !overlaps(mod[1].mod_start, 5000, kernel_lo, kernel_len) &&
               !overlaps(mod[0].mod_start, 11, mod[1].mod_start, 5000) &&
               !overlaps(mod[0].mod_start, 11, boot_info, sizeof(*mbi)) &&
               !overlaps(mod[1].mod_start, 5000, boot_info, sizeof(*mbi)),
           "modules overlap neither the kernel, each other nor the information structure");

    bool sizes_ok = mbi->mmap_length > 0;
    for (uint32_t p = mbi->mmap_addr; p < mbi->mmap_addr + mbi->mmap_length;) {
        const struct mb_mmap_entry *e = (const void *)p;
        tap_diag("mmap %08x%08x +%08x%08x type %u", (uint32_t)(e->base >> 32),
                 (uint32_t)e->base, (uint32_t)(e->length >> 32), (uint32_t)e->length, e->type);
        sizes_ok &= e->size >= 20;
        p += e->size + 4;
    }
    tap_ok(sizes_ok, "memory map entries are at least 20 bytes (after the size field)");
    tap_ok(mmap_available(mbi, 0, 0x9f000, true), "the map has low memory available from 0");
    tap_ok(mmap_available(mbi, kernel_lo, (uint32_t)_end, true),
           "the map has the kernel's memory available");
    tap_ok(!mmap_available(mbi, 0xa0000, 0x100000, false),
           "nothing between 640 KiB and 1 MiB is available");
    tap_ok(!mmap_available(mbi, 0xfffc0000ull, 0x100000000ull, false),
           "the top of the 4 GiB space (firmware) is not available");
}
