/*
 * hw/fw_cfg.c — QEMU-compatible firmware configuration device (the x86 I/O port variant).
 *
 * Interface facts from QEMU's public specification, docs/specs/fw_cfg.rst: the 16-bit selector
 * register at port 0x510 (little-endian on x86; writing it selects an item and rewinds its
 * offset), the 8-bit data register at 0x511 (successive bytes of the item; past its end, 0),
 * the DMA address register at 0x514 (64-bit big-endian: the high half at 0x514, the low half
 * at 0x518 whose write starts the transfer; reading it gives the signature "QEMU CFG"), the DMA
 * descriptor in guest memory (be32 control, be32 length, be64 address; control bits: error 0,
 * read 1, skip 2, select 3 with the key in bits 31-16, write 4; the device clears the control
 * word when done or leaves the error bit; reads past the item's end give 0), the items (the
 * signature "QEMU" at key 0, the ID with bit 0 "traditional interface" and bit 1 "DMA" at key 1,
 * little-endian integers), and the file directory at 0x19 (be32 count, then per file be32 size,
 * be16 select, be16 reserved, char name[56]).
 *
 * Owns: FWCfgState. Items are configuration made once at machine creation (from the command
 * line: inputs, not guest state); the selector, offset and DMA address are the state. No item
 * is writable: a DMA write sets the error bit, data port writes are ignored (as since QEMU 2.4).
 */
#include "hw/fw_cfg.h"

#include <stdlib.h>
#include <string.h>

static const VMStateField fw_cfg_fields[] = {
    VMSTATE_FIELD(FWCfgState, cur_key),
    VMSTATE_FIELD(FWCfgState, cur_offset),
    VMSTATE_FIELD(FWCfgState, dma_addr),
};
const VMStateDescription fw_cfg_vmstate = VMSTATE_DESC("fw_cfg", 1, FWCfgState, fw_cfg_fields);

static void st_be(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (8 * (size - 1 - i)));
    }
}

static uint64_t ld_be(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/* the item the selector names, or NULL (unknown keys read as nothing: zeros) */
static const FWCfgEntry *cur_entry(const FWCfgState *s)
{
    uint16_t key = s->cur_key & FW_CFG_KEY_MASK;
    if ((s->cur_key & FW_CFG_ARCH_LOCAL) || key >= FW_CFG_MAX_KEYS) {
        return NULL;
    }
    return &s->entries[key];
}

static void select_key(FWCfgState *s, uint16_t key)
{
    s->cur_key = key;
    s->cur_offset = 0;
}

int fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, uint32_t len)
{
    if (key >= FW_CFG_MAX_KEYS) {
        return -1;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        return -1;
    }
    if (len) {
        memcpy(copy, data, len);
    }
    free(s->entries[key].data);
    s->entries[key].data = copy;
    s->entries[key].len = len;
    return 0;
}

int fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t v)
{
    uint8_t b[2];
    mem_st_le(b, v, 2);
    return fw_cfg_add_bytes(s, key, b, 2);
}

int fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    mem_st_le(b, v, 4);
    return fw_cfg_add_bytes(s, key, b, 4);
}

int fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    mem_st_le(b, v, 8);
    return fw_cfg_add_bytes(s, key, b, 8);
}

/* the directory item: be32 count, then 64-byte entries */
static int rebuild_dir(FWCfgState *s)
{
    uint32_t len = 4 + 64 * s->nb_files;
    uint8_t *d = calloc(1, len);
    if (!d) {
        return -1;
    }
    st_be(d, s->nb_files, 4);
    for (uint32_t i = 0; i < s->nb_files; i++) {
        uint8_t *e = d + 4 + 64 * i;
        st_be(e, s->entries[FW_CFG_FILE_FIRST + i].len, 4);
        st_be(e + 4, FW_CFG_FILE_FIRST + i, 2);
        memcpy(e + 8, s->file_names[i], FW_CFG_NAME_LEN);
    }
    free(s->entries[FW_CFG_FILE_DIR].data);
    s->entries[FW_CFG_FILE_DIR].data = d;
    s->entries[FW_CFG_FILE_DIR].len = len;
    return 0;
}

int fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, uint32_t len)
{
    size_t n = strlen(name);
    if (s->nb_files >= FW_CFG_MAX_FILES || n == 0 || n >= FW_CFG_NAME_LEN) {
        return -1;
    }
    uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + s->nb_files);
    if (fw_cfg_add_bytes(s, key, data, len) < 0) {
        return -1;
    }
    memset(s->file_names[s->nb_files], 0, FW_CFG_NAME_LEN);
    memcpy(s->file_names[s->nb_files], name, n);
    s->nb_files++;
    return rebuild_dir(s) < 0 ? -1 : key;
}

/* ---- the traditional interface -------------------------------------------------------------- */

static uint8_t read_byte(FWCfgState *s)
{
    const FWCfgEntry *e = cur_entry(s);
    if (!e || !e->data || s->cur_offset >= e->len) {
        return 0;
    }
    return e->data[s->cur_offset++];
}

static uint64_t sel_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    (void)off;
    return mem_ones(size); /* the selector is write-only */
}

static void sel_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    FWCfgState *s = opaque;
    if (off == 0 && size == 2) {
        select_key(s, (uint16_t)val);
    } else if (off == 1 && size == 1) {
        /* the data register */
        (void)val; /* writes through the data port are ignored */
    } else if (off == 0 && size == 1) {
        select_key(s, (uint16_t)val); /* a byte write: the high byte is 0 */
    }
}

static uint64_t sel_data_read(void *opaque, uint64_t off, unsigned size)
{
    FWCfgState *s = opaque;
    if (off == 0) {
        return sel_read(opaque, off, size);
    }
    /* the data register is 8 bits wide; wider reads take successive bytes */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)read_byte(s) << (8 * i);
    }
    return v;
}

/* ---- the DMA interface ---------------------------------------------------------------------- */

static void dma_transfer(FWCfgState *s)
{
    uint64_t desc = s->dma_addr;
    s->dma_addr = 0;
    if (!s->dma_rw) {
        return;
    }
    uint8_t d[16];
    s->dma_rw(s->dma_opaque, desc, d, sizeof(d), false);
    uint32_t control = (uint32_t)ld_be(d, 4), length = (uint32_t)ld_be(d + 4, 4);
    uint64_t addr = ld_be(d + 8, 8);
    bool error = false;
    if (control & FW_CFG_DMA_SELECT) {
        select_key(s, (uint16_t)(control >> 16));
    }
    const FWCfgEntry *e = cur_entry(s);
    if (control & FW_CFG_DMA_READ) {
        uint8_t buf[4096];
        while (length) {
            uint32_t n = length < sizeof(buf) ? length : (uint32_t)sizeof(buf);
            for (uint32_t i = 0; i < n; i++) {
                /* past the item's end: zeros */
                buf[i] =
                    e && e->data && s->cur_offset + i < e->len ? e->data[s->cur_offset + i] : 0;
            }
            s->dma_rw(s->dma_opaque, addr, buf, n, true);
            s->cur_offset += n;
            addr += n;
            length -= n;
        }
    } else if (control & FW_CFG_DMA_WRITE) {
        error = true; /* no item is writable */
    } else if (control & FW_CFG_DMA_SKIP) {
        s->cur_offset += length;
    }
    uint8_t done[4];
    st_be(done, error ? FW_CFG_DMA_ERROR : 0, 4);
    s->dma_rw(s->dma_opaque, desc, done, 4, true);
}

static const uint8_t dma_signature[8] = {'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G'};

static uint64_t dma_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    if (off + size > 8) {
        return mem_ones(size);
    }
    return mem_ld_le(&dma_signature[off], size);
}

static void dma_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    FWCfgState *s = opaque;
    if (size != 4 || (off != 0 && off != 4)) {
        return;
    }
    /* the guest stores the register big-endian: the bytes as they arrive are its value */
    uint8_t b[4];
    mem_st_le(b, val, 4);
    uint32_t half = (uint32_t)ld_be(b, 4);
    if (off == 0) {
        s->dma_addr = (uint64_t)half << 32 | (s->dma_addr & 0xffffffffu);
    } else {
        s->dma_addr = (s->dma_addr & ~(uint64_t)0xffffffffu) | half;
        dma_transfer(s);
    }
}

void fw_cfg_reset(FWCfgState *s)
{
    select_key(s, FW_CFG_SIGNATURE);
    s->dma_addr = 0;
}

void fw_cfg_free(FWCfgState *s)
{
    for (int i = 0; i < FW_CFG_MAX_KEYS; i++) {
        free(s->entries[i].data);
        s->entries[i].data = NULL;
    }
}

int fw_cfg_init(FWCfgState *s, IOSpace *io, FWCfgDMAFn dma_rw, void *dma_opaque)
{
    memset(s, 0, sizeof(*s));
    s->dma_rw = dma_rw;
    s->dma_opaque = dma_opaque;
    uint32_t id = FW_CFG_VERSION | (dma_rw ? FW_CFG_VERSION_DMA : 0);
    if (fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
        fw_cfg_add_i32(s, FW_CFG_ID, id) < 0 || rebuild_dir(s) < 0) {
        return -1;
    }
    if (io_register(io, "fw_cfg", FW_CFG_PORT_SEL, 2, sel_data_read, sel_write, s) < 0 ||
        (dma_rw && io_register(io, "fw_cfg-dma", FW_CFG_PORT_DMA, 8, dma_read, dma_write, s) < 0)) {
        return -1;
    }
    return 0;
}
