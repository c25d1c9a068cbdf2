/*
 * hw/linux-boot.h — booting a Linux bzImage directly (`-kernel bzImage -initrd FILE -append
 * STR`) through the 32-bit boot protocol of the Linux/x86 boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst). The loader is hw/linux-boot.c.
 */
#ifndef XLAT_HW_LINUX_BOOT_H
#define XLAT_HW_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct Machine;

/* Where the loader put things (fixed, all in conventional memory, usable in the e820 map: the
   kernel copies boot_params and the command line out before it uses that memory) */
#define LINUX_BOOT_PARAMS 0x10000u /* the zero page (struct boot_params, 4 KiB) */
#define LINUX_BOOT_GDT    0x11000u /* null, null, __BOOT_CS (0x10), __BOOT_DS (0x18) */
#define LINUX_BOOT_CMDLINE 0x12000u
#define LINUX_BOOT_LOW_END 0x20000u /* end of the block above (the command line's limit) */
#define LINUX_BOOT_STACK  LINUX_BOOT_PARAMS /* ESP at entry (boot.rst leaves it undefined) */
#define LINUX_BOOT_KERNEL 0x100000u /* the protected-mode kernel (LOADED_HIGH) */

/* What a reset needs to put the kernel back and enter it again (as QEMU re-runs its
   linuxboot option ROM, which loads the kernel afresh). */
typedef struct LinuxBoot {
    bool loaded;
    uint32_t entry;      /* code32_start */
    uint8_t *kernel;     /* the protected-mode part of the image, loaded at 1 MiB */
    size_t kernel_size;
    uint8_t *initrd;     /* NULL: none */
    size_t initrd_size;
    uint32_t initrd_addr;
    uint8_t *low;        /* [LINUX_BOOT_PARAMS, LINUX_BOOT_LOW_END) as the loader wrote it */
    /* for fw_cfg (with -bios): the real-mode part with its header filled for a 16-bit boot */
    uint8_t *setup;
    size_t setup_size;
    char *cmdline;
} LinuxBoot;

/* Where the fw_cfg items put things for firmware that boots the kernel in real mode (the boot
   protocol's usual layout, boot.rst "Sample Boot Configuration": the real-mode part at X, its
   heap to X + 0xFE00 + 0x200, the command line at X + 0x10000) */
#define LINUX_FW_CFG_SETUP   0x10000u
#define LINUX_FW_CFG_CMDLINE 0x20000u

/* Is this file a bzImage (boot.rst: "HdrS" at 0x202)? */
bool linux_is_bzimage(const uint8_t *data, size_t size);
/* Load the bzImage `data` (from `path`, for messages) with m->opt.append and m->opt.initrd (a
   single file) and put the CPU at its 32-bit entry. Prints a clear error and returns -1 on
   failure. */
int linux_boot_load(struct Machine *m, const char *path, const uint8_t *data, size_t size);
/* After a reset: copy the kernel, initrd and boot block back and enter the kernel again. */
void linux_boot_enter(struct Machine *m);
void linux_boot_free(struct Machine *m);
/* With -bios: the kernel, initrd, command line and setup items of fw_cfg (FW_CFG_KERNEL_*,
   INITRD_*, CMDLINE_*, SETUP_*), so firmware could boot the kernel itself. -1 if out of
   memory. */
struct FWCfgState;
int linux_boot_fw_cfg(struct Machine *m, struct FWCfgState *f);

#endif
