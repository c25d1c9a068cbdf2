/*
 * hw/multiboot.c — booting a Multiboot (version 1) kernel directly: `-kernel FILE`, with
 * `-append STR` and `-initrd FILE[ ARGS][,FILE...]`, as qemu-system does it, so that no firmware
 * is needed and public x86 test suites run unmodified.
 *
 * Follows the Multiboot Specification 0.6.96 (section numbers below are its own):
 *   3.1  the header: magic 0x1BADB002 in the first 8192 bytes, 32-bit aligned, with flags and a
 *        checksum that makes magic + flags + checksum zero (mod 2^32). Flag bit 16 says the
 *        address fields are valid (the "a.out kludge"); otherwise the image must be ELF32 and is
 *        loaded from its PT_LOAD program headers.
 *   3.2  the machine state at entry: EAX = 0x2BADB002, EBX = the physical address of the
 *        information structure, 32-bit protected mode with flat 4 GiB segments (CS execute/read,
 *        DS ES FS GS SS read/write), A20 on, paging off, IF and VM clear.
 *   3.3  the information structure: memory sizes, a memory map, the command line, the modules
 *        and the boot loader's name.
 *
 * Where xlat puts things (all in RAM; the kernel never overlaps them, which is checked):
 *   0x9FC00  the boot GDT (null, code 0x08, data 0x10), in the 1 KiB a PC BIOS reserves for its
 *            extended data area and reports as reserved in the memory map, so a kernel that
 *            reloads a segment register before installing its own GDT still finds it (3.2
 *            says GDTR may be invalid; being kind costs nothing).
 *   after the kernel, each at a 4 KiB boundary (3.1.2, flag bit 0; always done, as QEMU does):
 *            the modules, then the information structure with its memory map, command lines,
 *            module list and the boot loader's name.
 *
 * The memory map is what a PC BIOS reports: 0-0x9FC00 available, the EBDA and 0xF0000-0xFFFFF
 * reserved, RAM from 1 MiB to its end available; mem_lower/mem_upper follow it (639 KiB, RAM
 * less 1 MiB), as QEMU derives them from its map. (Under QEMU, SeaBIOS also keeps the last
 * 128 KiB of RAM and the BIOS below 4 GiB; without firmware xlat has neither.) ESP and IDTR are
 * left as reset leaves them: 3.2 says they are undefined.
 *
 * Like QEMU, the command line is the kernel's path, a space and the -append string, and each
 * -initrd item ("path args", ",," for a literal comma) becomes a module whose string is the whole
 * item. Header flag bit 2 (a video mode is wanted) is answered as QEMU answers it: the kernel is
 * booted without video information (info flag bit 11 clear) and a note goes to stderr. Other
 * unknown requirement bits (3-15) make the load fail, as 3.1.2 demands.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "softmmu/machine.h"

#define MB_HEADER_MAGIC     0x1BADB002u /* 3.1.1 */
#define MB_BOOTLOADER_MAGIC 0x2BADB002u /* 3.2, in EAX */
#define MB_SEARCH_LEN       8192        /* 3.1: the header lies within the first 8192 bytes */

/* header flags (3.1.2) */
enum {
    MBH_PAGE_ALIGN = 1u << 0, /* modules on 4 KiB boundaries */
    MBH_MEMORY_INFO = 1u << 1, /* mem_* fields wanted (and the memory map, if available) */
    MBH_VIDEO_MODE = 1u << 2,  /* a video mode wanted */
    MBH_ADDRESSES = 1u << 16,  /* header_addr .. entry_addr are valid */
    MBH_KNOWN_REQUIRED = MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE,
};

/* information structure (3.3): offsets of its fields and the flag bits saying they are valid */
enum {
    MBI_FLAGS = 0,
    MBI_MEM_LOWER = 4,
    MBI_MEM_UPPER = 8,
    MBI_BOOT_DEVICE = 12,
    MBI_CMDLINE = 16,
    MBI_MODS_COUNT = 20,
    MBI_MODS_ADDR = 24,
    MBI_MMAP_LENGTH = 44,
    MBI_MMAP_ADDR = 48,
    MBI_BOOT_LOADER_NAME = 64,
    MBI_SIZE = 88, /* up to and including the VBE fields of 0.6.96 */
};
enum {
    MBI_FLAG_MEM = 1u << 0,
    MBI_FLAG_BOOT_DEVICE = 1u << 1,
    MBI_FLAG_CMDLINE = 1u << 2,
    MBI_FLAG_MODS = 1u << 3,
    MBI_FLAG_MMAP = 1u << 6,
    MBI_FLAG_LOADER_NAME = 1u << 9,
};
/* a module list entry: mod_start, mod_end, string, reserved (3.3) */
#define MB_MOD_SIZE 16
/* a memory map entry: size (of the rest, 20), base_addr, length, type (3.3) */
#define MB_MMAP_ENTRY_SIZE 24
enum { MB_MEM_AVAILABLE = 1, MB_MEM_RESERVED = 2 };

/* the boot device: the first BIOS hard disk, no partition (3.3; what QEMU passes) */
#define MB_BOOT_DEVICE 0x8000ffffu

#define BOOT_LOADER_NAME "xlat"

/* low memory as a PC BIOS reports it: 639 KiB of conventional memory, then the extended BIOS
   data area (1 KiB, reserved), the video and ROM holes, and the BIOS at 0xF0000 */
#define LOW_AVAILABLE_END 0x9FC00u
#define EBDA_END          0xA0000u
#define BIOS_AREA         0xF0000u
#define HIGH_MEMORY       0x100000u
#define BOOT_GDT_ADDR     LOW_AVAILABLE_END
#define BOOT_GDT_SIZE     24

#define PAGE_SIZE 4096u

/* the boot GDT's selectors (3.2 leaves them to the boot loader) */
#define BOOT_CS 0x08
#define BOOT_DS 0x10

/* ELF32 (System V ABI, Intel386 supplement): the fields used here */
enum {
    EI_CLASS = 4, EI_DATA = 5,
    ELFCLASS32 = 1, ELFCLASS64 = 2, ELFDATA2LSB = 1,
    ET_EXEC = 2, EM_386 = 3,
    PT_LOAD = 1,
    EHDR32_SIZE = 52, PHDR32_SIZE = 32,
};

typedef struct Image {
    const char *path;
    uint8_t *data;
    size_t size;
} Image;

/* Everything the loader has placed, for overlap checks. */
typedef struct Placed {
    uint64_t lo, hi;    /* the kernel's physical extent, bss included */
    bool on_boot_gdt;   /* a loaded part covers the boot GDT */
} Placed;

static bool range_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)mem_ld_le(p, 4);
}

static uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)mem_ld_le(p, 2);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Read a whole file; what = "kernel" or "module", for messages. */
static int read_file(const char *path, const char *what, Image *img)
{
    img->path = path;
    img->data = NULL;
    img->size = 0;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0) {
        fprintf(stderr, "xlat: cannot open %s '%s': %s\n", what, path, strerror(errno));
        if (f) {
            fclose(f);
        }
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "xlat: %s '%s' is not a regular file\n", what, path);
        fclose(f);
        return -1;
    }
    img->size = (size_t)st.st_size;
    img->data = malloc(img->size ? img->size : 1);
    if (!img->data || fread(img->data, 1, img->size, f) != img->size) {
        fprintf(stderr, "xlat: cannot read %s '%s': %s\n", what, path,
                img->data ? strerror(ferror(f) ? errno : EIO) : "out of memory");
        free(img->data);
        img->data = NULL;
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* Does [addr, addr + len) lie in RAM? (len may be 0) */
static bool in_ram(Machine *m, uint64_t addr, uint64_t len)
{
    return addr <= m->ram_size && len <= m->ram_size - addr;
}

/* Is there a header with a good checksum (3.1)? Quiet: the -kernel dispatch asks it. */
static bool has_valid_header(const Image *k)
{
    size_t limit = k->size < MB_SEARCH_LEN ? k->size : MB_SEARCH_LEN;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        if (ld32(k->data + off) == MB_HEADER_MAGIC &&
            (uint32_t)(MB_HEADER_MAGIC + ld32(k->data + off + 4) + ld32(k->data + off + 8)) == 0) {
            return true;
        }
    }
    return false;
}

/* Find the header (3.1): returns its offset, or -1 after a clear message. */
static long find_header(const Image *k)
{
    size_t limit = k->size < MB_SEARCH_LEN ? k->size : MB_SEARCH_LEN;
    long bad_checksum_at = -1;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        if (ld32(k->data + off) != MB_HEADER_MAGIC) {
            continue;
        }
        uint32_t flags = ld32(k->data + off + 4), checksum = ld32(k->data + off + 8);
        if ((uint32_t)(MB_HEADER_MAGIC + flags + checksum) == 0) {
            return (long)off;
        }
        if (bad_checksum_at < 0) {
            bad_checksum_at = (long)off; /* keep looking: the magic may occur by chance */
        }
    }
    if (bad_checksum_at >= 0) {
        uint32_t flags = ld32(k->data + bad_checksum_at + 4);
        fprintf(stderr,
                "xlat: -kernel '%s': the Multiboot header at offset %ld has a bad checksum "
                "(0x%08" PRIx32 "; magic + flags + checksum must be 0, so it should be "
                "0x%08" PRIx32 ")\n",
                k->path, bad_checksum_at, ld32(k->data + bad_checksum_at + 8),
                (uint32_t)(0u - MB_HEADER_MAGIC - flags));
    } else {
        fprintf(stderr,
                "xlat: -kernel '%s': no Multiboot header (magic 0x1BADB002, 4-byte aligned) in "
                "its first 8192 bytes, and it is not a Linux bzImage (\"HdrS\" at 0x202) either; "
                "xlat boots Multiboot v1 kernels and bzImages\n",
                k->path);
    }
    return -1;
}

/* Load with the header's address fields (3.1.3, flag bit 16). */
static int load_aout_kludge(Machine *m, const Image *k, size_t hoff, uint32_t *entry, Placed *pl)
{
    if (hoff + 32 > k->size) {
        fprintf(stderr, "xlat: -kernel '%s': the Multiboot header is cut short (its address "
                        "fields end past the end of the file)\n", k->path);
        return -1;
    }
    const uint8_t *h = k->data + hoff;
    uint32_t header_addr = ld32(h + 12), load_addr = ld32(h + 16);
    uint32_t load_end_addr = ld32(h + 20), bss_end_addr = ld32(h + 24);
    *entry = ld32(h + 28);
    /* the file offset where loading starts: the header's offset less its distance from
       load_addr */
    if (load_addr > header_addr || header_addr - load_addr > hoff) {
        fprintf(stderr,
                "xlat: -kernel '%s': Multiboot load_addr 0x%08" PRIx32 " and header_addr "
                "0x%08" PRIx32 " put the start of the image before the start of the file\n",
                k->path, load_addr, header_addr);
        return -1;
    }
    uint64_t file_off = hoff - (header_addr - load_addr);
    uint64_t load_size;
    if (load_end_addr == 0) {
        load_size = k->size - file_off; /* 3.1.3: 0 means the rest of the file */
    } else {
        if (load_end_addr < load_addr || load_end_addr - load_addr > k->size - file_off) {
            fprintf(stderr,
                    "xlat: -kernel '%s': Multiboot load_end_addr 0x%08" PRIx32 " is before "
                    "load_addr or past the end of the file\n",
                    k->path, load_end_addr);
            return -1;
        }
        load_size = load_end_addr - load_addr;
    }
    uint64_t end = (uint64_t)load_addr + load_size;
    if (bss_end_addr != 0) {
        if (bss_end_addr < end) {
            fprintf(stderr,
                    "xlat: -kernel '%s': Multiboot bss_end_addr 0x%08" PRIx32 " is below the "
                    "end of the loaded image 0x%08" PRIx64 "\n",
                    k->path, bss_end_addr, end);
            return -1;
        }
        end = bss_end_addr;
    }
    if (!in_ram(m, load_addr, end - load_addr)) {
        fprintf(stderr,
                "xlat: -kernel '%s': the image (0x%08" PRIx32 "-0x%08" PRIx64 ") does not fit "
                "in RAM (%" PRIu64 " MiB; give more with -m)\n",
                k->path, load_addr, end, m->ram_size >> 20);
        return -1;
    }
    memcpy(m->ram + load_addr, k->data + file_off, load_size);
    memset(m->ram + load_addr + load_size, 0, end - load_addr - load_size);
    pl->lo = load_addr;
    pl->hi = end;
    pl->on_boot_gdt = range_overlaps(load_addr, end - load_addr, BOOT_GDT_ADDR, BOOT_GDT_SIZE);
    return 0;
}

/* Load an ELF32 executable from its PT_LOAD program headers, at their physical addresses, with
   the part of each segment beyond its file image zeroed (its bss). */
static int load_elf(Machine *m, const Image *k, uint32_t *entry, Placed *pl)
{
    const uint8_t *e = k->data;
    if (k->size < EHDR32_SIZE || memcmp(e, "\x7f" "ELF", 4) != 0) {
        fprintf(stderr,
                "xlat: -kernel '%s': the Multiboot header has no address fields (flag bit 16) "
                "and the file is not ELF, so xlat cannot tell where to load it\n",
                k->path);
        return -1;
    }
    if (e[EI_CLASS] == ELFCLASS64) {
        fprintf(stderr,
                "xlat: -kernel '%s' is a 64-bit ELF file; Multiboot loads 32-bit (ELF32) kernels "
                "only (a 64-bit kernel must start in 32-bit code and be linked as ELF32)\n",
                k->path);
        return -1;
    }
    if (e[EI_CLASS] != ELFCLASS32 || e[EI_DATA] != ELFDATA2LSB || ld16(e + 18) != EM_386) {
        fprintf(stderr,
                "xlat: -kernel '%s': not a little-endian Intel 386 ELF32 file (class %u, data %u, "
                "machine %u)\n",
                k->path, e[EI_CLASS], e[EI_DATA], ld16(e + 18));
        return -1;
    }
    if (ld16(e + 16) != ET_EXEC) {
        fprintf(stderr, "xlat: -kernel '%s': not an ELF executable (type %u)\n", k->path,
                ld16(e + 16));
        return -1;
    }
    uint32_t phoff = ld32(e + 28);
    uint16_t phentsize = ld16(e + 42), phnum = ld16(e + 44);
    if (phnum == 0 || phentsize < PHDR32_SIZE || phoff > k->size ||
        (uint64_t)phentsize * phnum > k->size - phoff) {
        fprintf(stderr, "xlat: -kernel '%s': the ELF program headers are missing or cut short\n",
                k->path);
        return -1;
    }
    uint32_t e_entry = ld32(e + 24);
    *entry = e_entry;
    bool entry_phys = false, entry_translated = false;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = k->data + phoff + (size_t)i * phentsize;
        if (ld32(ph) != PT_LOAD) {
            continue;
        }
        uint32_t off = ld32(ph + 4), vaddr = ld32(ph + 8), paddr = ld32(ph + 12);
        uint32_t filesz = ld32(ph + 16), memsz = ld32(ph + 20);
        if (memsz == 0) {
            continue;
        }
        if (filesz > memsz || off > k->size || filesz > k->size - off) {
            fprintf(stderr,
                    "xlat: -kernel '%s': ELF segment %u (file offset 0x%" PRIx32 ", 0x%" PRIx32
                    " bytes in the file, 0x%" PRIx32 " in memory) is malformed\n",
                    k->path, i, off, filesz, memsz);
            return -1;
        }
        if (!in_ram(m, paddr, memsz)) {
            fprintf(stderr,
                    "xlat: -kernel '%s': ELF segment %u (physical 0x%08" PRIx32 "-0x%08" PRIx64
                    ") does not fit in RAM (%" PRIu64 " MiB; give more with -m)\n",
                    k->path, i, paddr, (uint64_t)paddr + memsz, m->ram_size >> 20);
            return -1;
        }
        memcpy(m->ram + paddr, k->data + off, filesz);
        memset(m->ram + paddr + filesz, 0, memsz - filesz);
        pl->on_boot_gdt |= range_overlaps(paddr, memsz, BOOT_GDT_ADDR, BOOT_GDT_SIZE);
        lo = paddr < lo ? paddr : lo;
        hi = (uint64_t)paddr + memsz > hi ? (uint64_t)paddr + memsz : hi;
        if (e_entry >= paddr && e_entry - paddr < memsz) {
            entry_phys = true;
        } else if (!entry_translated && e_entry >= vaddr && e_entry - vaddr < memsz) {
            /* a kernel linked at a virtual address (higher half) whose e_entry is virtual:
               paging is off at entry, so jump to where that byte was loaded */
            *entry = paddr + (e_entry - vaddr);
            entry_translated = true;
        }
    }
    if (hi == 0) {
        fprintf(stderr, "xlat: -kernel '%s': the ELF file has nothing to load (no PT_LOAD "
                        "segment)\n", k->path);
        return -1;
    }
    if (entry_phys) {
        *entry = e_entry; /* a physical match wins over a virtual one */
    }
    pl->lo = lo;
    pl->hi = hi;
    return 0;
}

/* A flat descriptor (SDM Vol. 3A 3.4.5): base 0, limit 0xFFFFF in 4 KiB units (4 GiB), G=1,
   D/B=1, present, DPL 0, accessed already (so the CPU never writes it), with this type. */
static uint64_t flat_descriptor(unsigned type)
{
    uint32_t lo = 0x0000ffffu;
    uint32_t hi = (0xcfu << 16) | DESC_P_MASK | (1u << 12) | (type << 8);
    return ((uint64_t)hi << 32) | lo;
}

/* Split the -initrd list: items separated by ',', where ",," is a literal comma (QEMU's rule).
   Returns the items (NUL-terminated copies) and their number. */
static char **split_modules(const char *list, int *count)
{
    size_t n = 1;
    for (const char *p = list; *p; p++) {
        n += *p == ',';
    }
    char **items = calloc(n + 1, sizeof(*items));
    char *buf = malloc(strlen(list) + 1);
    if (!items || !buf) {
        free(items);
        free(buf);
        return NULL;
    }
    int k = 0;
    size_t len = 0;
    for (const char *p = list;; p++) {
        if (*p == ',' && p[1] == ',') {
            buf[len++] = ',';
            p++;
            continue;
        }
        if (*p == ',' || *p == '\0') {
            buf[len] = '\0';
            items[k] = strdup(buf);
            if (!items[k]) {
                break;
            }
            k++;
            len = 0;
            if (*p == '\0') {
                break;
            }
            continue;
        }
        buf[len++] = *p;
    }
    free(buf);
    *count = k;
    return items;
}

static void free_modules(char **items, int count)
{
    for (int i = 0; items && i < count; i++) {
        free(items[i]);
    }
    free(items);
}

/* The loader's own writes into RAM (bounds checked by the caller). */
static void put32(Machine *m, uint64_t addr, uint32_t v)
{
    mem_st_le(m->ram + addr, v, 4);
}

static void put64(Machine *m, uint64_t addr, uint64_t v)
{
    mem_st_le(m->ram + addr, v, 8);
}

/* Append a string at *cursor; returns its address. */
static uint32_t put_string(Machine *m, uint64_t *cursor, const char *s)
{
    size_t len = strlen(s) + 1;
    uint32_t at = (uint32_t)*cursor;
    memcpy(m->ram + at, s, len);
    *cursor += len;
    return at;
}

/* The memory map (3.3): what a PC BIOS reports for this much RAM (conventional memory up to
   its extended data area, the BIOS area reserved, RAM from 1 MiB). Writes the entries at addr
   and returns the map's length in bytes. */
static uint32_t build_mmap(Machine *m, uint64_t addr)
{
    struct {
        uint64_t base, len;
        uint32_t type;
    } e[4];
    int n = 0;
    uint64_t ram = m->ram_size;
    uint64_t low = ram < LOW_AVAILABLE_END ? ram : LOW_AVAILABLE_END;
    e[n++] = (typeof(e[0])){0, low, MB_MEM_AVAILABLE};
    e[n++] = (typeof(e[0])){LOW_AVAILABLE_END, EBDA_END - LOW_AVAILABLE_END, MB_MEM_RESERVED};
    e[n++] = (typeof(e[0])){BIOS_AREA, HIGH_MEMORY - BIOS_AREA, MB_MEM_RESERVED};
    if (ram > HIGH_MEMORY) {
        e[n++] = (typeof(e[0])){HIGH_MEMORY, ram - HIGH_MEMORY, MB_MEM_AVAILABLE};
    }
    for (int i = 0; i < n; i++) {
        uint64_t p = addr + (uint64_t)i * MB_MMAP_ENTRY_SIZE;
        put32(m, p, MB_MMAP_ENTRY_SIZE - 4); /* size excludes the size field itself */
        put64(m, p + 4, e[i].base);
        put64(m, p + 12, e[i].len);
        put32(m, p + 20, e[i].type);
    }
    return (uint32_t)n * MB_MMAP_ENTRY_SIZE;
}

int multiboot_load(Machine *m)
{
    const MachineOptions *opt = &m->opt;
    Image k;
    char **mods = NULL;
    int nmods = 0;
    Image *mod_img = NULL;
    char *cmdline = NULL;
    int ret = -1;

    if (read_file(opt->kernel, "kernel", &k) < 0) {
        return -1;
    }
    /* Multiboot first, as QEMU does; then a Linux bzImage (hw/linux-boot.c) */
    if (!has_valid_header(&k) && linux_is_bzimage(k.data, k.size)) {
        ret = linux_boot_load(m, k.path, k.data, k.size);
        goto out;
    }
    long hoff = find_header(&k);
    if (hoff < 0) {
        goto out;
    }
    uint32_t flags = ld32(k.data + hoff + 4);
    uint32_t unknown = flags & 0xffffu & ~(uint32_t)MBH_KNOWN_REQUIRED;
    if (unknown) {
        /* 3.1.2: a requirement the boot loader does not understand must make it fail */
        fprintf(stderr,
                "xlat: -kernel '%s': the Multiboot header requires features xlat does not know "
                "(flag bits 0x%04" PRIx32 "); refusing to boot it, as the specification asks\n",
                k.path, unknown);
        goto out;
    }
    if (flags & MBH_VIDEO_MODE) {
        fprintf(stderr, "xlat: -kernel '%s' asks for a video mode; booting it without video "
                        "information, as QEMU does\n", k.path);
    }

    uint32_t entry;
    Placed pl = {0, 0, false};
    if (flags & MBH_ADDRESSES) {
        if (load_aout_kludge(m, &k, (size_t)hoff, &entry, &pl) < 0) {
            goto out;
        }
    } else if (load_elf(m, &k, &entry, &pl) < 0) {
        goto out;
    }
    if (!in_ram(m, entry, 1)) {
        fprintf(stderr, "xlat: -kernel '%s': the entry point 0x%08" PRIx32 " is outside RAM\n",
                k.path, entry);
        goto out;
    }
    if (pl.on_boot_gdt) {
        fprintf(stderr,
                "xlat: -kernel '%s' (0x%08" PRIx64 "-0x%08" PRIx64 ") overlaps the boot GDT "
                "xlat keeps at 0x%05x (reserved in the memory map)\n",
                k.path, pl.lo, pl.hi, BOOT_GDT_ADDR);
        goto out;
    }
    if (m->ram_size < EBDA_END) {
        fprintf(stderr, "xlat: -kernel needs at least 640 KiB of RAM (-m)\n");
        goto out;
    }

    /* modules (3.3): after the kernel (at least at 1 MiB), each on a 4 KiB boundary */
    uint64_t cursor = align_up(pl.hi > HIGH_MEMORY ? pl.hi : HIGH_MEMORY, PAGE_SIZE);
    if (opt->initrd && *opt->initrd) {
        mods = split_modules(opt->initrd, &nmods);
        mod_img = mods ? calloc((size_t)nmods, sizeof(*mod_img)) : NULL;
        if (!mod_img) {
            fprintf(stderr, "xlat: out of memory\n");
            goto out;
        }
    }
    uint64_t *mod_at = nmods ? calloc((size_t)nmods, sizeof(*mod_at)) : NULL;
    if (nmods && !mod_at) {
        fprintf(stderr, "xlat: out of memory\n");
        goto out;
    }
    for (int i = 0; i < nmods; i++) {
        /* the file name is the item up to its first space; the rest are its arguments */
        char *path = strdup(mods[i]);
        if (!path) {
            fprintf(stderr, "xlat: out of memory\n");
            free(mod_at);
            goto out;
        }
        path[strcspn(path, " ")] = '\0';
        if (!*path) {
            fprintf(stderr, "xlat: -initrd '%s': an empty module file name\n", opt->initrd);
            free(path);
            free(mod_at);
            goto out;
        }
        int r = read_file(path, "module", &mod_img[i]);
        mod_img[i].path = NULL; /* path is freed here; messages below use mods[i] */
        free(path);
        if (r < 0) {
            free(mod_at);
            goto out;
        }
        if (!in_ram(m, cursor, mod_img[i].size)) {
            fprintf(stderr,
                    "xlat: -initrd module '%s' (%zu bytes) does not fit in RAM after the kernel "
                    "(%" PRIu64 " MiB; give more with -m)\n",
                    mods[i], mod_img[i].size, m->ram_size >> 20);
            free(mod_at);
            goto out;
        }
        memcpy(m->ram + cursor, mod_img[i].data, mod_img[i].size);
        mod_at[i] = cursor;
        cursor = align_up(cursor + mod_img[i].size, PAGE_SIZE);
    }

    /* the information structure and everything it points to, in one block after the modules */
    size_t cmdline_len = strlen(opt->kernel) + 1 + (opt->append ? strlen(opt->append) : 0) + 1;
    cmdline = malloc(cmdline_len);
    if (!cmdline) {
        fprintf(stderr, "xlat: out of memory\n");
        free(mod_at);
        goto out;
    }
    snprintf(cmdline, cmdline_len, "%s %s", opt->kernel, opt->append ? opt->append : "");
    uint64_t need = MBI_SIZE + 4 * MB_MMAP_ENTRY_SIZE + (uint64_t)nmods * MB_MOD_SIZE +
                    cmdline_len + sizeof(BOOT_LOADER_NAME) + 16;
    for (int i = 0; i < nmods; i++) {
        need += strlen(mods[i]) + 1;
    }
    uint64_t info = cursor;
    if (!in_ram(m, info, need) || info + need > UINT32_MAX) {
        fprintf(stderr,
                "xlat: -kernel: no room in RAM for the Multiboot information after the kernel "
                "and modules (%" PRIu64 " MiB; give more with -m)\n",
                m->ram_size >> 20);
        free(mod_at);
        goto out;
    }
    memset(m->ram + info, 0, need);
    uint64_t p = info + MBI_SIZE;
    uint32_t mmap_len = build_mmap(m, p);
    uint32_t mmap_addr = (uint32_t)p;
    p += mmap_len;
    uint32_t mods_addr = (uint32_t)p;
    p += (uint64_t)nmods * MB_MOD_SIZE;
    for (int i = 0; i < nmods; i++) {
        uint64_t e = mods_addr + (uint64_t)i * MB_MOD_SIZE;
        put32(m, e, (uint32_t)mod_at[i]);
        put32(m, e + 4, (uint32_t)(mod_at[i] + mod_img[i].size)); /* first byte after it */
        put32(m, e + 8, put_string(m, &p, mods[i]));
        put32(m, e + 12, 0);
    }
    free(mod_at);
    uint32_t cmdline_addr = put_string(m, &p, cmdline);
    uint32_t name_addr = put_string(m, &p, BOOT_LOADER_NAME);

    uint64_t below_4g = m->ram_size < 0x100000000ull ? m->ram_size : 0x100000000ull;
    put32(m, info + MBI_FLAGS,
          MBI_FLAG_MEM | MBI_FLAG_BOOT_DEVICE | MBI_FLAG_CMDLINE | MBI_FLAG_MODS |
              MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME);
    /* 3.3: lower memory from 0 (at most 640 KiB) and upper memory from 1 MiB, in KiB, as far
       as the memory map has them available (QEMU derives them from the map the same way) */
    put32(m, info + MBI_MEM_LOWER, LOW_AVAILABLE_END / 1024);
    put32(m, info + MBI_MEM_UPPER, (uint32_t)((below_4g - HIGH_MEMORY) / 1024));
    put32(m, info + MBI_BOOT_DEVICE, MB_BOOT_DEVICE);
    put32(m, info + MBI_CMDLINE, cmdline_addr);
    put32(m, info + MBI_MODS_COUNT, (uint32_t)nmods);
    put32(m, info + MBI_MODS_ADDR, nmods ? mods_addr : 0);
    put32(m, info + MBI_MMAP_LENGTH, mmap_len);
    put32(m, info + MBI_MMAP_ADDR, mmap_addr);
    put32(m, info + MBI_BOOT_LOADER_NAME, name_addr);

    /* the boot GDT: null, flat code (execute/read, accessed), flat data (read/write,
       accessed) */
    put64(m, BOOT_GDT_ADDR, 0);
    put64(m, BOOT_GDT_ADDR + 8, flat_descriptor(0xb));
    put64(m, BOOT_GDT_ADDR + 16, flat_descriptor(0x3));

    m->multiboot.loaded = true;
    m->multiboot.entry = entry;
    m->multiboot.info = (uint32_t)info;
    multiboot_enter(m);
    ret = 0;

out:
    free(k.data);
    for (int i = 0; mod_img && i < nmods; i++) {
        free(mod_img[i].data);
    }
    free(mod_img);
    free_modules(mods, nmods);
    free(cmdline);
    return ret;
}

/* A segment cache as a load of the boot GDT's descriptor leaves it (SDM Vol. 3A 3.4.3). */
static void load_flat(SegmentCache *s, uint16_t sel)
{
    uint64_t d = flat_descriptor(sel == BOOT_CS ? 0xb : 0x3);
    uint32_t hi = (uint32_t)(d >> 32);
    s->selector = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->flags = hi & 0x00f0ff00u;
}

void multiboot_enter(Machine *m)
{
    CPUX86State *env = &m->cpu;
    /* 3.2, "Machine state" */
    env->regs[R_EAX] = MB_BOOTLOADER_MAGIC;
    env->regs[R_EBX] = m->multiboot.info;
    env->cr[0] |= CR0_PE;
    env->cr[0] &= ~(uint64_t)CR0_PG;
    for (int i = 0; i < R_NB_SEGS; i++) {
        load_flat(&env->seg[i], i == R_CS ? BOOT_CS : BOOT_DS);
    }
    env->gdt.base = BOOT_GDT_ADDR;
    env->gdt.limit = BOOT_GDT_SIZE - 1;
    /* EFLAGS: VM and IF clear, the rest undefined: everything clear but the fixed bit */
    x86_set_eflags(env, EFL_FIXED1, ~0u);
    env->eip = m->multiboot.entry;
    m->a20_mask = ~(uint64_t)0; /* A20 enabled */
    x86_update_hflags(env);
}
