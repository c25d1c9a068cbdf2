/*
 * hw/linux-boot.c — booting a Linux bzImage directly: `-kernel bzImage [-initrd FILE]
 * [-append STR]`, as qemu-system spells it, with no firmware needed.
 *
 * Follows the Linux/x86 boot protocol (the kernel's Documentation/arch/x86/boot.rst; section
 * names below are its own):
 *   "The real-mode kernel header": the setup header lives at 0x1f1 of the image; "HdrS" at 0x202
 *        marks a protocol 2.00+ image, the version is at 0x206. xlat needs 2.04 or later (the
 *        32-bit code32_start and a reliable initrd_addr_max) and a bzImage (loadflags bit 0,
 *        LOADED_HIGH). The header's length is given by the byte at 0x201 (the offset of the
 *        jump at 0x200): the header runs from 0x1f1 to 0x202 + that byte.
 *   "Loading the rest of the kernel": the real-mode part is setup_sects + 1 sectors of 512
 *        bytes (setup_sects 0 means 4); the protected-mode part follows and is loaded at 1 MiB.
 *   "Details of header fields": type_of_loader 0xff (undefined), cmd_line_ptr, ramdisk_image
 *        and ramdisk_size, initrd_addr_max (0x22c), cmdline_size (0x238, 2.06+), init_size
 *        (0x260, 2.10+: the memory the kernel needs from its load address while it unpacks).
 *   "The zero page" (zero-page.rst): e820_entries at 0x1e8, the e820 table at 0x2d0 (20-byte
 *        entries: 64-bit address, 64-bit size, 32-bit type; 1 usable, 2 reserved).
 *   "32-bit boot protocol": boot_params filled, then a jump to code32_start (field 0x214) in
 *        flat 32-bit protected mode, paging off, a GDT with __BOOT_CS (0x10, execute/read) and
 *        __BOOT_DS (0x18, read/write) flat 4 GiB descriptors, CS = __BOOT_CS, DS = ES = SS =
 *        __BOOT_DS, interrupts disabled, ESI = the address of boot_params, EBP = EDI = EBX = 0.
 *
 * Where xlat puts things (hw/linux-boot.h): the zero page at 0x10000, the boot GDT at 0x11000,
 * the command line from 0x12000 (all usable conventional memory, which the kernel leaves alone
 * until it has copied boot_params and the command line), the kernel at 1 MiB, the initrd as high
 * as initrd_addr_max and RAM allow, at a 4 KiB boundary, above what the kernel needs (init_size).
 * The e820 map is what a PC BIOS reports: RAM below 0x9fc00 usable, 0x9fc00-0x100000 reserved
 * (the EBDA, the VGA and ROM holes, and the BIOS area where softmmu/machine.c writes the ACPI
 * tables for firmware-less boots, hw/acpi-tables.c), RAM from 1 MiB to its end usable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hw/linux-boot.h"
#include "softmmu/machine.h"

/* setup header fields (offsets in the image and in boot_params alike) */
enum {
    HDR_START = 0x1f1,
    HDR_SETUP_SECTS = 0x1f1,
    HDR_BOOT_FLAG = 0x1fe,
    HDR_JUMP = 0x200,
    HDR_HEADER = 0x202,      /* "HdrS" */
    HDR_VERSION = 0x206,
    HDR_TYPE_OF_LOADER = 0x210,
    HDR_LOADFLAGS = 0x211,
    HDR_CODE32_START = 0x214,
    HDR_RAMDISK_IMAGE = 0x218,
    HDR_RAMDISK_SIZE = 0x21c,
    HDR_HEAP_END_PTR = 0x224,
    HDR_CMD_LINE_PTR = 0x228,
    HDR_INITRD_ADDR_MAX = 0x22c,
    HDR_CMDLINE_SIZE = 0x238,
    HDR_INIT_SIZE = 0x260,
};
/* other boot_params fields (zero-page.rst) */
enum {
    BP_ALT_MEM_K = 0x1e0,
    BP_E820_ENTRIES = 0x1e8,
    BP_E820_TABLE = 0x2d0,
    BP_E820_MAX = 128,
    BP_SIZE = 0x1000,
};
enum { LOADED_HIGH = 1u << 0, CAN_USE_HEAP = 1u << 7 };
enum { E820_RAM = 1, E820_RESERVED = 2 };

#define LOADER_UNDEFINED 0xff
#define BOOT_CS 0x10 /* __BOOT_CS */
#define BOOT_DS 0x18 /* __BOOT_DS */
#define BOOT_GDT_SIZE 32

#define LOW_USABLE_END 0x9fc00u
#define HIGH_MEMORY    0x100000u
#define PAGE_SIZE      4096u

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)mem_ld_le(p, 4);
}

static uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)mem_ld_le(p, 2);
}

bool linux_is_bzimage(const uint8_t *data, size_t size)
{
    return size >= HDR_HEADER + 4 && memcmp(data + HDR_HEADER, "HdrS", 4) == 0;
}

/* Read a whole file (the initrd). */
static uint8_t *read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "xlat: cannot open initrd '%s': %s\n", path,
                f ? "not a regular file" : strerror(errno));
        if (f) {
            fclose(f);
        }
        return NULL;
    }
    *size = (size_t)st.st_size;
    uint8_t *buf = malloc(*size ? *size : 1);
    if (!buf || fread(buf, 1, *size, f) != *size) {
        fprintf(stderr, "xlat: cannot read initrd '%s'\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    return buf;
}

/* A flat descriptor (SDM Vol. 3A 3.4.5): base 0, limit 4 GiB (G=1), D/B=1, present, DPL 0,
   S=1, accessed, with this type (0xb execute/read code, 0x3 read/write data). */
static uint64_t flat_descriptor(unsigned type)
{
    uint32_t hi = (0xcfu << 16) | DESC_P_MASK | (1u << 12) | (type << 8);
    return ((uint64_t)hi << 32) | 0x0000ffffu;
}

static void put_e820(uint8_t *bp, int i, uint64_t addr, uint64_t size, uint32_t type)
{
    uint8_t *e = bp + BP_E820_TABLE + i * 20;
    mem_st_le(e, addr, 8);
    mem_st_le(e + 8, size, 8);
    mem_st_le(e + 16, type, 4);
}

int linux_boot_load(Machine *m, const char *path, const uint8_t *data, size_t size)
{
    const MachineOptions *opt = &m->opt;
    LinuxBoot *lb = &m->linux_boot;

    if (!linux_is_bzimage(data, size)) {
        fprintf(stderr, "xlat: -kernel '%s' is not a Linux bzImage (no \"HdrS\" at 0x202)\n",
                path);
        return -1;
    }
    uint16_t version = ld16(data + HDR_VERSION);
    if (version < 0x0204) {
        fprintf(stderr,
                "xlat: -kernel '%s' uses Linux boot protocol %u.%02u; xlat needs 2.04 or later "
                "(kernels since 2.6.14)\n",
                path, version >> 8, version & 0xff);
        return -1;
    }
    if (!(data[HDR_LOADFLAGS] & LOADED_HIGH)) {
        fprintf(stderr, "xlat: -kernel '%s' is a zImage (loaded at 0x10000); xlat boots "
                        "bzImage kernels only (loadflags LOADED_HIGH)\n", path);
        return -1;
    }
    size_t hdr_end = HDR_HEADER + data[HDR_JUMP + 1];
    unsigned setup_sects = data[HDR_SETUP_SECTS] ? data[HDR_SETUP_SECTS] : 4;
    size_t setup_size = (size_t)(setup_sects + 1) * 512;
    if (hdr_end > 0x290) { /* where zero-page.rst's header area ends */
        fprintf(stderr, "xlat: -kernel '%s': its setup header claims to end at 0x%zx, past "
                        "the zero page's header area\n", path, hdr_end);
        return -1;
    }
    if (setup_size >= size || hdr_end > size) {
        fprintf(stderr, "xlat: -kernel '%s' is cut short (%zu bytes, setup alone is %zu)\n",
                path, size, setup_size);
        return -1;
    }
    size_t kernel_size = size - setup_size;
    uint32_t init_size = version >= 0x020a ? ld32(data + HDR_INIT_SIZE) : 0;
    uint64_t kernel_need = kernel_size > init_size ? kernel_size : init_size;
    uint64_t kernel_end = HIGH_MEMORY + kernel_need;
    if (m->ram_size < HIGH_MEMORY || kernel_end > m->ram_size) {
        fprintf(stderr,
                "xlat: -kernel '%s' needs 0x%" PRIx64 " bytes from 1 MiB (its image or its "
                "init_size) and RAM is %" PRIu64 " MiB; give more with -m\n",
                path, kernel_need, m->ram_size >> 20);
        return -1;
    }

    /* the command line: the -append string, within cmdline_size (2.06+; 255 before) */
    const char *cmdline = opt->append ? opt->append : "";
    uint32_t cmdline_max = version >= 0x0206 ? ld32(data + HDR_CMDLINE_SIZE) : 255;
    if (cmdline_max > LINUX_BOOT_LOW_END - LINUX_BOOT_CMDLINE - 1) {
        cmdline_max = LINUX_BOOT_LOW_END - LINUX_BOOT_CMDLINE - 1;
    }
    if (strlen(cmdline) > cmdline_max) {
        fprintf(stderr, "xlat: -append: the command line is %zu bytes; this kernel takes at "
                        "most %" PRIu32 "\n", strlen(cmdline), cmdline_max);
        return -1;
    }

    /* the initrd: one file, at the highest 4 KiB boundary that keeps it below initrd_addr_max
       and the end of RAM, and above the kernel */
    uint8_t *initrd = NULL;
    size_t initrd_size = 0;
    uint32_t initrd_addr = 0;
    if (opt->initrd && *opt->initrd) {
        initrd = read_whole(opt->initrd, &initrd_size);
        if (!initrd) {
            return -1;
        }
        uint64_t top = (uint64_t)ld32(data + HDR_INITRD_ADDR_MAX) + 1;
        if (top > m->ram_size) {
            top = m->ram_size;
        }
        if (top > 0x100000000ull) {
            top = 0x100000000ull;
        }
        uint64_t at = top >= initrd_size ? (top - initrd_size) & ~(uint64_t)(PAGE_SIZE - 1) : 0;
        if (top < initrd_size || at < ((kernel_end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1))) {
            fprintf(stderr,
                    "xlat: -initrd '%s' (%zu bytes) does not fit between the kernel (up to "
                    "0x%08" PRIx64 ") and 0x%08" PRIx64 " (the end of RAM or the kernel's "
                    "initrd_addr_max); give more RAM with -m\n",
                    opt->initrd, initrd_size, kernel_end, top);
            free(initrd);
            return -1;
        }
        initrd_addr = (uint32_t)at;
    }

    /* the zero page: zeroed, the setup header copied from the image, then our fields */
    uint8_t *low = calloc(1, LINUX_BOOT_LOW_END - LINUX_BOOT_PARAMS);
    uint8_t *kernel = malloc(kernel_size);
    if (!low || !kernel) {
        fprintf(stderr, "xlat: out of memory\n");
        free(low);
        free(kernel);
        free(initrd);
        return -1;
    }
    memcpy(kernel, data + setup_size, kernel_size);
    uint8_t *bp = low;
    memcpy(bp + HDR_START, data + HDR_START, hdr_end - HDR_START);
    bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    bp[HDR_LOADFLAGS] &= (uint8_t)~CAN_USE_HEAP; /* no real-mode setup runs: no heap */
    mem_st_le(bp + HDR_HEAP_END_PTR, 0, 2);
    mem_st_le(bp + HDR_CMD_LINE_PTR, LINUX_BOOT_CMDLINE, 4);
    mem_st_le(bp + HDR_RAMDISK_IMAGE, initrd_addr, 4);
    mem_st_le(bp + HDR_RAMDISK_SIZE, (uint32_t)initrd_size, 4);
    uint64_t ext_k = (m->ram_size - HIGH_MEMORY) >> 10;
    mem_st_le(bp + BP_ALT_MEM_K, ext_k > UINT32_MAX ? UINT32_MAX : ext_k, 4);
    int n = 0;
    put_e820(bp, n++, 0, LOW_USABLE_END, E820_RAM);
    put_e820(bp, n++, LOW_USABLE_END, HIGH_MEMORY - LOW_USABLE_END, E820_RESERVED);
    put_e820(bp, n++, HIGH_MEMORY, m->ram_size - HIGH_MEMORY, E820_RAM);
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    /* the boot GDT: two null entries, then __BOOT_CS and __BOOT_DS */
    uint8_t *gdt = low + (LINUX_BOOT_GDT - LINUX_BOOT_PARAMS);
    mem_st_le(gdt + BOOT_CS, flat_descriptor(0xb), 8);
    mem_st_le(gdt + BOOT_DS, flat_descriptor(0x3), 8);
    memcpy(low + (LINUX_BOOT_CMDLINE - LINUX_BOOT_PARAMS), cmdline, strlen(cmdline) + 1);

    /* the real-mode part for fw_cfg: as a 16-bit boot loader fills its header (boot.rst,
       "Details of Header Fields"): the heap up to the command line, which is 64 KiB above */
    uint8_t *setup = malloc(setup_size);
    char *cmdline_copy = strdup(cmdline);
    if (!setup || !cmdline_copy) {
        fprintf(stderr, "xlat: out of memory\n");
        free(setup);
        free(cmdline_copy);
        free(low);
        free(kernel);
        free(initrd);
        return -1;
    }
    memcpy(setup, data, setup_size);
    setup[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    setup[HDR_LOADFLAGS] |= CAN_USE_HEAP;
    mem_st_le(setup + HDR_HEAP_END_PTR, LINUX_FW_CFG_CMDLINE - LINUX_FW_CFG_SETUP - 0x200, 2);
    mem_st_le(setup + HDR_CMD_LINE_PTR, LINUX_FW_CFG_CMDLINE, 4);
    mem_st_le(setup + HDR_RAMDISK_IMAGE, initrd_addr, 4);
    mem_st_le(setup + HDR_RAMDISK_SIZE, (uint32_t)initrd_size, 4);

    linux_boot_free(m); /* a machine loads one kernel; be tidy anyway */
    lb->setup = setup;
    lb->setup_size = setup_size;
    lb->cmdline = cmdline_copy;
    lb->loaded = true;
    lb->entry = ld32(data + HDR_CODE32_START);
    lb->kernel = kernel;
    lb->kernel_size = kernel_size;
    lb->initrd = initrd;
    lb->initrd_size = initrd_size;
    lb->initrd_addr = initrd_addr;
    lb->low = low;
    if (!lb->entry) {
        lb->entry = LINUX_BOOT_KERNEL;
    }
    linux_boot_enter(m);
    return 0;
}

int linux_boot_fw_cfg(Machine *m, FWCfgState *f)
{
    const LinuxBoot *lb = &m->linux_boot;
    uint32_t cmdline_len = (uint32_t)strlen(lb->cmdline) + 1; /* with its NUL */
    if (fw_cfg_add_i32(f, FW_CFG_SETUP_ADDR, LINUX_FW_CFG_SETUP) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_SETUP_SIZE, (uint32_t)lb->setup_size) < 0 ||
        fw_cfg_add_bytes(f, FW_CFG_SETUP_DATA, lb->setup, (uint32_t)lb->setup_size) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_KERNEL_ADDR, LINUX_BOOT_KERNEL) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_KERNEL_SIZE, (uint32_t)lb->kernel_size) < 0 ||
        fw_cfg_add_bytes(f, FW_CFG_KERNEL_DATA, lb->kernel, (uint32_t)lb->kernel_size) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_KERNEL_CMDLINE, LINUX_FW_CFG_CMDLINE) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_CMDLINE_ADDR, LINUX_FW_CFG_CMDLINE) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_CMDLINE_SIZE, cmdline_len) < 0 ||
        fw_cfg_add_bytes(f, FW_CFG_CMDLINE_DATA, lb->cmdline, cmdline_len) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_INITRD_ADDR, lb->initrd_addr) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_INITRD_SIZE, (uint32_t)lb->initrd_size) < 0 ||
        (lb->initrd &&
         fw_cfg_add_bytes(f, FW_CFG_INITRD_DATA, lb->initrd, (uint32_t)lb->initrd_size) < 0)) {
        return -1;
    }
    return 0;
}

/* A segment cache as a load of the boot GDT's descriptor leaves it (SDM Vol. 3A 3.4.3). */
static void load_flat(SegmentCache *s, uint16_t sel)
{
    uint64_t d = flat_descriptor(sel == BOOT_CS ? 0xb : 0x3);
    s->selector = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->flags = (uint32_t)(d >> 32) & 0x00f0ff00u;
}

void linux_boot_enter(Machine *m)
{
    LinuxBoot *lb = &m->linux_boot;
    if (!lb->loaded) {
        return;
    }
    memcpy(m->ram + LINUX_BOOT_KERNEL, lb->kernel, lb->kernel_size);
    if (lb->initrd) {
        memcpy(m->ram + lb->initrd_addr, lb->initrd, lb->initrd_size);
    }
    memcpy(m->ram + LINUX_BOOT_PARAMS, lb->low, LINUX_BOOT_LOW_END - LINUX_BOOT_PARAMS);

    /* "32-bit boot protocol" */
    CPUX86State *env = &m->cpu;
    for (int i = 0; i < 8; i++) {
        env->regs[i] = 0;
    }
    env->regs[R_ESI] = LINUX_BOOT_PARAMS;
    env->regs[R_ESP] = LINUX_BOOT_STACK;
    env->cr[0] |= CR0_PE;
    env->cr[0] &= ~(uint64_t)CR0_PG;
    for (int i = 0; i < R_NB_SEGS; i++) {
        load_flat(&env->seg[i], i == R_CS ? BOOT_CS : BOOT_DS);
    }
    env->gdt.base = LINUX_BOOT_GDT;
    env->gdt.limit = BOOT_GDT_SIZE - 1;
    x86_set_eflags(env, EFL_FIXED1, ~0u); /* IF clear */
    env->eip = lb->entry;
    m->a20_mask = ~(uint64_t)0;
    x86_update_hflags(env);
}

void linux_boot_free(Machine *m)
{
    LinuxBoot *lb = &m->linux_boot;
    free(lb->kernel);
    free(lb->initrd);
    free(lb->low);
    free(lb->setup);
    free(lb->cmdline);
    memset(lb, 0, sizeof(*lb));
}
