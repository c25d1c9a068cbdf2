/*
 * tests/cpu/decode-bench.c — how fast cpu/decode.c decodes real code: the .text sections of
 * ELF binaries (e.g. the programs in /usr/bin) decoded linearly, instruction after instruction
 * (an invalid byte is skipped), repeated for about a second; Capstone's speed on the same bytes
 * is printed next to it for scale.
 *
 * Usage: decode-bench [--mode 32|64] [--seconds S] [--no-capstone] ELF...
 * Prints the instructions decoded per second (and MB/s) for xlat and for Capstone.
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/decode.h"

typedef struct Text {
    uint8_t *p;
    size_t n;
} Text;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The .text section of an ELF file (32- or 64-bit, little-endian), or n = 0. */
static Text read_text(const char *path)
{
    Text t = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        return t;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *img = size > 0 ? malloc((size_t)size) : NULL;
    if (!img || fread(img, 1, (size_t)size, f) != (size_t)size) {
        free(img);
        fclose(f);
        return t;
    }
    fclose(f);
    if (size < (long)sizeof(Elf32_Ehdr) || memcmp(img, ELFMAG, SELFMAG)) {
        free(img);
        return t;
    }
    uint64_t shoff, off = 0, sz = 0;
    unsigned shnum, shstrndx, shentsize;
    bool is64 = img[EI_CLASS] == ELFCLASS64;
    if (is64) {
        const Elf64_Ehdr *h = (const Elf64_Ehdr *)img;
        shoff = h->e_shoff, shnum = h->e_shnum, shstrndx = h->e_shstrndx;
        shentsize = h->e_shentsize;
    } else {
        const Elf32_Ehdr *h = (const Elf32_Ehdr *)img;
        shoff = h->e_shoff, shnum = h->e_shnum, shstrndx = h->e_shstrndx;
        shentsize = h->e_shentsize;
    }
    if (shoff + (uint64_t)shnum * shentsize > (uint64_t)size || shstrndx >= shnum) {
        free(img);
        return t;
    }
#define SH_FIELD(i, field)                                                                     \
    (is64 ? ((const Elf64_Shdr *)(img + shoff + (uint64_t)(i) * shentsize))->field             \
          : ((const Elf32_Shdr *)(img + shoff + (uint64_t)(i) * shentsize))->field)
    uint64_t stroff = SH_FIELD(shstrndx, sh_offset);
    for (unsigned i = 0; i < shnum; i++) {
        uint64_t name = stroff + SH_FIELD(i, sh_name);
        if (name + 6 <= (uint64_t)size && !memcmp(img + name, ".text", 6)) {
            off = SH_FIELD(i, sh_offset);
            sz = SH_FIELD(i, sh_size);
        }
    }
#undef SH_FIELD
    if (sz && off + sz <= (uint64_t)size) {
        t.p = malloc(sz);
        memcpy(t.p, img + off, sz);
        t.n = sz;
    }
    free(img);
    return t;
}

int main(int argc, char **argv)
{
    int mode = 64;
    double seconds = 1.0;
    bool capstone = true;
    Text texts[256];
    int nt = 0;
    size_t total = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            mode = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--no-capstone")) {
            capstone = false;
        } else if (nt < 256) {
            Text t = read_text(argv[i]);
            if (t.n) {
                texts[nt++] = t;
                total += t.n;
            }
        }
    }
    if (!nt) {
        fprintf(stderr,
                "usage: decode-bench [--mode 32|64] [--seconds S] [--no-capstone] ELF...\n");
        return 2;
    }

    /* xlat: whole passes over all the text until the time is up */
    unsigned long insns = 0, invalid = 0, passes = 0;
    double t0 = now(), t1;
    X86Insn d;
    do {
        for (int k = 0; k < nt; k++) {
            const uint8_t *p = texts[k].p;
            size_t n = texts[k].n, pos = 0;
            while (pos < n) {
                int avail = n - pos < 15 ? (int)(n - pos) : 15;
                int len = x86_decode(&d, p + pos, avail, mode);
                if (len > 0) {
                    pos += (size_t)len;
                    insns++;
                } else {
                    pos++;
                    invalid++;
                }
            }
        }
        passes++;
        t1 = now();
    } while (t1 - t0 < seconds);
    double dt = t1 - t0;
    printf("xlat:     %zu bytes of .text from %d files, %lu passes: %.1f M instructions/s, "
           "%.0f MB/s (%.2f%% of the bytes skipped as invalid)\n",
           total, nt, passes, (double)insns / dt / 1e6, (double)total * (double)passes / dt / 1e6,
           100.0 * (double)invalid / ((double)total * (double)passes));

    if (capstone) {
        csh h;
        if (cs_open(CS_ARCH_X86, mode == 64 ? CS_MODE_64 : CS_MODE_32, &h) != CS_ERR_OK) {
            return 1;
        }
        cs_insn *ci = cs_malloc(h);
        unsigned long cinsns = 0, cpasses = 0;
        t0 = now();
        do {
            for (int k = 0; k < nt; k++) {
                const uint8_t *p = texts[k].p;
                size_t n = texts[k].n;
                uint64_t addr = 0;
                while (n) {
                    if (cs_disasm_iter(h, &p, &n, &addr, ci)) {
                        cinsns++;
                    } else {
                        p++, n--, addr++;
                    }
                }
            }
            cpasses++;
            t1 = now();
        } while (t1 - t0 < seconds);
        dt = t1 - t0;
        printf("capstone: %.1f M instructions/s, %.0f MB/s (no details)\n",
               (double)cinsns / dt / 1e6, (double)total * (double)cpasses / dt / 1e6);
        cs_free(ci, 1);
        cs_close(&h);
    }
    return 0;
}
