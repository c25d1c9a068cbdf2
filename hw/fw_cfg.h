/*
 * hw/fw_cfg.h — the firmware configuration device compatible with QEMU's fw_cfg (hw/fw_cfg.c):
 * how SeaBIOS learns the RAM size, the memory map, the CPU count and the boot order.
 *
 * Usage (the board, at creation):
 *     fw_cfg_init(&m->fw_cfg, &m->io, dma_rw_fn, m);
 *     fw_cfg_add_i64(&m->fw_cfg, FW_CFG_RAM_SIZE, ram_size);
 *     fw_cfg_add_file(&m->fw_cfg, "etc/e820", e820, sizeof(e820));
 *     ...
 *     fw_cfg_free(&m->fw_cfg);
 */
#ifndef XLAT_HW_FW_CFG_H
#define XLAT_HW_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "softmmu/memory.h"
#include "softmmu/snapshot.h"

/* selector keys (QEMU docs/specs/fw_cfg.rst, "Selector Register", and its key list) */
enum {
    FW_CFG_SIGNATURE = 0x00,
    FW_CFG_ID = 0x01,
    FW_CFG_UUID = 0x02,
    FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05,
    FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07,
    FW_CFG_KERNEL_SIZE = 0x08,
    FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0a,
    FW_CFG_INITRD_SIZE = 0x0b,
    FW_CFG_BOOT_DEVICE = 0x0c,
    FW_CFG_NUMA = 0x0d,
    FW_CFG_BOOT_MENU = 0x0e,
    FW_CFG_MAX_CPUS = 0x0f,
    FW_CFG_KERNEL_ENTRY = 0x10,
    FW_CFG_KERNEL_DATA = 0x11,
    FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_ADDR = 0x13,
    FW_CFG_CMDLINE_SIZE = 0x14,
    FW_CFG_CMDLINE_DATA = 0x15,
    FW_CFG_SETUP_ADDR = 0x16,
    FW_CFG_SETUP_SIZE = 0x17,
    FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
};
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL    0x8000
#define FW_CFG_KEY_MASK      0x3fff
#define FW_CFG_MAX_FILES     32
#define FW_CFG_MAX_KEYS      (FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)
#define FW_CFG_NAME_LEN      56

/* the x86 ports */
#define FW_CFG_PORT_SEL  0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA  0x514

/* FW_CFG_ID bits */
#define FW_CFG_VERSION     0x01
#define FW_CFG_VERSION_DMA 0x02

/* DMA control bits (in the descriptor's big-endian control word) */
#define FW_CFG_DMA_ERROR  0x01
#define FW_CFG_DMA_READ   0x02
#define FW_CFG_DMA_SKIP   0x04
#define FW_CFG_DMA_SELECT 0x08
#define FW_CFG_DMA_WRITE  0x10

/* Guest memory for DMA: copy len bytes between guest physical addr and buf (write: to the
   guest). The board supplies it (it knows RAM and translated-code invalidation). */
typedef void (*FWCfgDMAFn)(void *opaque, uint64_t addr, uint8_t *buf, uint32_t len, bool write);

typedef struct FWCfgEntry {
    uint8_t *data; /* owned copy; configuration made at creation, not guest state */
    uint32_t len;
} FWCfgEntry;

typedef struct FWCfgState {
    uint16_t cur_key;    /* state: the selector */
    uint32_t cur_offset; /* state: the next byte of the selected item */
    uint64_t dma_addr;   /* state: the DMA address register (high half as written) */
    FWCfgEntry entries[FW_CFG_MAX_KEYS];
    uint32_t nb_files;
    char file_names[FW_CFG_MAX_FILES][FW_CFG_NAME_LEN];
    FWCfgDMAFn dma_rw; /* wiring */
    void *dma_opaque;
} FWCfgState;

extern const VMStateDescription fw_cfg_vmstate;

/* Claim ports 0x510-0x51B; the signature and ID items and an empty file directory. */
int fw_cfg_init(FWCfgState *s, IOSpace *io, FWCfgDMAFn dma_rw, void *dma_opaque);
void fw_cfg_free(FWCfgState *s);
void fw_cfg_reset(FWCfgState *s);
/* Set item `key` (a copy of the bytes). -1 if the key is out of range or memory runs out. */
int fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, uint32_t len);
/* little-endian integers, as the spec stores them */
int fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t v);
int fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t v);
int fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t v);
/* A named file: the next file key, listed in the directory. Returns the key, or -1. */
int fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, uint32_t len);

#endif
