/*
 * cpu/decode.c — table-driven x86 decoder (see cpu/decode.h). The tables are built from
 * cpu/opcodes.def and cpu/mnemonics.def; this file only knows the encoding rules of Intel SDM
 * Vol. 2A chapter 2 (prefixes, REX, ModRM, SIB, displacement, immediate).
 */
#include "cpu/decode.h"

#include <string.h>

const X86MnemonicInfo x86_mnemonic_info[MN_NB] = {
#define MN(name, rd, wr, attrs) [MN_##name] = {#name, (rd), (wr), (attrs)},
#include "cpu/mnemonics.def"
#undef MN
};

typedef struct OpEntry {
    uint16_t mnemonic;
    uint8_t ops[3];
    uint16_t flags;
    bool valid;
} OpEntry;

#define E_(mn, a, b, c, f) {MN_##mn, {OPS_##a, OPS_##b, OPS_##c}, (f), true}

static const OpEntry map_1byte[256] = {
#define O1(byte, mn, a, b, c, f) [byte] = E_(mn, a, b, c, f),
#define O2(byte, mn, a, b, c, f)
#define GR(g, r, mn, a, b, c, f)
#include "cpu/opcodes.def"
#undef O1
#undef O2
#undef GR
};

static const OpEntry map_0f[256] = {
#define O1(byte, mn, a, b, c, f)
#define O2(byte, mn, a, b, c, f) [byte] = E_(mn, a, b, c, f),
#define GR(g, r, mn, a, b, c, f)
#include "cpu/opcodes.def"
#undef O1
#undef O2
#undef GR
};

/* 0F xx with a mandatory F3 prefix (SDM Vol. 2A 2.1.2, Vol. 2D A.3 "F3" rows): POPCNT, and
   TZCNT/LZCNT, which are BSF/BSR with F3 on processors without BMI1/LZCNT (issue 4) */
static const OpEntry map_0f_f3[256] = {
    [0xb8] = E_(POPCNT, Gv, Ev, __, 0),
    [0xbc] = E_(TZCNT, Gv, Ev, __, 0),
    [0xbd] = E_(LZCNT, Gv, Ev, __, 0),
};

static const OpEntry groups[GRP_NB][8] = {
#define O1(byte, mn, a, b, c, f)
#define O2(byte, mn, a, b, c, f)
#define GR(g, r, mn, a, b, c, f) [GRP_##g][r] = E_(mn, a, b, c, f),
#include "cpu/opcodes.def"
#undef O1
#undef O2
#undef GR
};

static bool spec_has_modrm(uint8_t s)
{
    switch (s) {
    case OPS_Eb: case OPS_Ew: case OPS_Ed: case OPS_Ev: case OPS_Ex:
    case OPS_Gb: case OPS_Gw: case OPS_Gv: case OPS_Gz:
    case OPS_Sw: case OPS_M: case OPS_Ma: case OPS_Mp: case OPS_Ms: case OPS_Mb:
    case OPS_Cd: case OPS_Dd: case OPS_Rd:
        return true;
    default:
        return false;
    }
}

static bool spec_is_mem_only(uint8_t s)
{
    return s == OPS_M || s == OPS_Ma || s == OPS_Mp || s == OPS_Ms || s == OPS_Mb;
}

typedef struct Reader {
    const uint8_t *p;
    int pos, avail;
    int err;
} Reader;

static uint64_t take(Reader *r, int n)
{
    uint64_t v = 0;
    if (r->pos + n > r->avail) {
        r->err = X86_DECODE_TRUNCATED;
        r->pos += n;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        v |= (uint64_t)r->p[r->pos + i] << (8 * i);
    }
    r->pos += n;
    return v;
}

static int64_t take_signed(Reader *r, int n)
{
    uint64_t v = take(r, n);
    int sh = 64 - 8 * n;
    return (int64_t)(v << sh) >> sh;
}

/* SDM Vol. 2A Table 2-1: 16-bit ModRM addressing */
static const int8_t modrm16_base[8] = {3, 3, 5, 5, 6, 7, 5, 3};  /* BX BX BP BP SI DI BP BX */
static const int8_t modrm16_index[8] = {6, 7, 6, 7, -1, -1, -1, -1};

static void decode_mem(X86Insn *d, Reader *r, int mode)
{
    uint8_t mod = d->modrm >> 6, rm = d->modrm & 7;
    X86MemOperand *m = &d->mem;
    m->base = m->index = -1;
    m->scale = 1;
    m->seg = 3; /* DS */
    if (d->addrsize == 2) {
        if (mod == 0 && rm == 6) {
            m->disp = take_signed(r, 2);
        } else {
            m->base = modrm16_base[rm];
            m->index = modrm16_index[rm];
            if (rm == 2 || rm == 3 || rm == 6) {
                m->seg = 2; /* BP-based: SS */
            }
            m->disp = mod == 1 ? take_signed(r, 1) : mod == 2 ? take_signed(r, 2) : 0;
        }
    } else {
        uint8_t rex = d->rex;
        if (rm == 4) {
            uint8_t sib = (uint8_t)take(r, 1);
            int idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
            int base = (sib & 7) | ((rex & 1) << 3);
            m->scale = (uint8_t)(1 << (sib >> 6));
            m->index = idx == 4 ? -1 : (int8_t)idx;
            if ((sib & 7) == 5 && mod == 0) {
                m->disp = take_signed(r, 4);
            } else {
                m->base = (int8_t)base;
            }
        } else if (rm == 5 && mod == 0) {
            m->disp = take_signed(r, 4);
            if (mode == 64) {
                m->rip_rel = true;
            }
        } else {
            m->base = (int8_t)(rm | ((rex & 1) << 3));
        }
        if (mod == 1) {
            m->disp = take_signed(r, 1);
        } else if (mod == 2) {
            m->disp = take_signed(r, 4);
        }
        if (m->base == 4 || m->base == 5) {
            m->seg = 2; /* ESP/EBP-based: SS */
        }
    }
    if (d->seg_override >= 0) {
        m->seg = d->seg_override;
    }
}

int x86_decode(X86Insn *d, const uint8_t *p, int avail, int mode)
{
    memset(d, 0, sizeof(*d));
    d->seg_override = -1;
    Reader r = {p, 0, avail < 15 ? avail : 15, 0};
    bool opsize_pfx = false, addrsize_pfx = false;
    uint8_t rex = 0;

    /* prefixes (SDM Vol. 2A 2.1.1); REX counts only right before the opcode (2.2.1) */
    for (;;) {
        if (r.pos >= r.avail) {
            return avail < 15 ? X86_DECODE_TRUNCATED : X86_DECODE_TOO_LONG;
        }
        uint8_t b = p[r.pos];
        static const int8_t seg_of[256] = {[0x26] = 1, [0x2e] = 2, [0x36] = 3, [0x3e] = 4,
                                           [0x64] = 5, [0x65] = 6};
        if (seg_of[b]) {
            d->seg_override = (int8_t)(seg_of[b] - 1);
            d->prefixes |= PFX_SEG;
        } else if (b == 0x66) {
            opsize_pfx = true;
            d->prefixes |= PFX_OPSIZE;
        } else if (b == 0x67) {
            addrsize_pfx = true;
            d->prefixes |= PFX_ADDRSIZE;
        } else if (b == 0xf0) {
            d->prefixes |= PFX_LOCK;
        } else if (b == 0xf2) {
            d->prefixes = (d->prefixes & ~PFX_REP) | PFX_REPNE;
        } else if (b == 0xf3) {
            d->prefixes = (d->prefixes & ~PFX_REPNE) | PFX_REP;
        } else if (mode == 64 && (b & 0xf0) == 0x40) {
            rex = b;
            r.pos++;
            continue;
        } else {
            break;
        }
        rex = 0;
        r.pos++;
    }
    if (rex) {
        d->rex = rex;
        d->prefixes |= PFX_REX;
    }

    const OpEntry *e;
    uint8_t op = (uint8_t)take(&r, 1);
    if (op == 0x0f) {
        op = (uint8_t)take(&r, 1);
        d->map = 1;
        e = &map_0f[op];
        if ((d->prefixes & PFX_REP) && map_0f_f3[op].valid) {
            e = &map_0f_f3[op]; /* a mandatory F3 prefix selects another instruction */
        }
    } else {
        e = &map_1byte[op];
    }
    if (r.err) {
        return r.err == X86_DECODE_TRUNCATED && avail >= 15 ? X86_DECODE_TOO_LONG : r.err;
    }
    d->opcode = op;
    if (!e->valid || (e->flags & (F_PREFIX | F_ESC))) {
        return X86_DECODE_INVALID;
    }
    OpEntry ent = *e;
    if (mode == 64 && (ent.flags & F_INV64)) {
        if (d->map == 0 && op == 0x63) {
            ent = (OpEntry)E_(MOVSXD, Gv, Ed, __, 0);
        } else {
            return X86_DECODE_INVALID;
        }
    }

    bool need_modrm = (ent.flags >> F_GRP_SHIFT) != 0;
    for (int k = 0; k < 3; k++) {
        need_modrm |= spec_has_modrm(ent.ops[k]);
    }
    if (need_modrm) {
        d->has_modrm = true;
        d->modrm = (uint8_t)take(&r, 1);
        if (r.err) {
            return r.err;
        }
        int g = ent.flags >> F_GRP_SHIFT;
        if (g) {
            const OpEntry *ge = &groups[g][(d->modrm >> 3) & 7];
            if (!ge->valid) {
                return X86_DECODE_INVALID;
            }
            ent.mnemonic = ge->mnemonic;
            for (int k = 0; k < 3; k++) {
                if (ge->ops[k] != OPS___) {
                    ent.ops[k] = ge->ops[k];
                }
            }
            ent.flags = (uint16_t)((ent.flags & ~(0xffu << F_GRP_SHIFT)) | ge->flags);
        }
    }
    d->mnemonic = ent.mnemonic;
    d->entry_flags = ent.flags;
    if (ent.flags & F_CC) {
        d->cc = op & 15;
    }

    /* operand and address size (SDM Vol. 1 3.6, Vol. 2A 2.2.1.2) */
    if (mode == 64) {
        if (rex & 8) {
            d->opsize = 8;
        } else if (opsize_pfx) {
            d->opsize = 2;
        } else {
            d->opsize = (ent.flags & F_DEF64) ? 8 : 4;
        }
        d->addrsize = addrsize_pfx ? 4 : 8;
    } else {
        int def = mode == 32 ? 4 : 2;
        d->opsize = (uint8_t)(opsize_pfx ? 6 - def : def);
        d->addrsize = (uint8_t)(addrsize_pfx ? 6 - def : def);
    }

    uint8_t mod = d->modrm >> 6;
    bool mem_form = d->has_modrm && mod != 3;
    for (int k = 0; k < 3; k++) {
        if (spec_is_mem_only(ent.ops[k]) && !mem_form) {
            return X86_DECODE_INVALID;
        }
    }
    /* LOCK is allowed only on the listed read-modify-write forms with a memory destination */
    if ((d->prefixes & PFX_LOCK) && (!(ent.flags & F_LOCK) || !mem_form)) {
        return X86_DECODE_INVALID;
    }
    /* MOV to/from control and debug registers ignore mod (SDM: always register forms) */
    bool cr_form = false;
    for (int k = 0; k < 3; k++) {
        cr_form |= ent.ops[k] == OPS_Rd;
    }
    if (mem_form && !cr_form) {
        decode_mem(d, &r, mode);
    }

    uint8_t zsize = d->opsize == 8 ? 4 : d->opsize;
    uint8_t reg = ((d->modrm >> 3) & 7) | ((rex & 4) << 1);
    uint8_t rm = (d->modrm & 7) | ((rex & 1) << 3);
    uint8_t opreg = (op & 7) | ((rex & 1) << 3);
    int nimm = 0;
    for (int k = 0; k < 3; k++) {
        X86Operand *o = &d->op[k];
        uint8_t s = ent.ops[k];
        if (s == OPS___) {
            break;
        }
        d->nb_ops = (uint8_t)(k + 1);
        switch (s) {
        case OPS_Eb: case OPS_Ew: case OPS_Ed: case OPS_Ev: case OPS_Ex: {
            o->size = s == OPS_Eb ? 1 : s == OPS_Ew ? 2 : s == OPS_Ed ? 4
                    : s == OPS_Ev ? d->opsize : 0;
            if (mem_form) {
                o->kind = OPK_MEM;
            } else {
                o->kind = OPK_REG;
                o->reg = rm;
            }
            break;
        }
        case OPS_Gb: o->kind = OPK_REG; o->size = 1; o->reg = reg; break;
        case OPS_Gw: o->kind = OPK_REG; o->size = 2; o->reg = reg; break;
        case OPS_Gv: o->kind = OPK_REG; o->size = d->opsize; o->reg = reg; break;
        case OPS_Gz: o->kind = OPK_REG; o->size = zsize; o->reg = reg; break;
        case OPS_M: case OPS_Ma: case OPS_Mp: case OPS_Ms: case OPS_Mb:
            o->kind = OPK_MEM;
            o->size = 0;
            break;
        case OPS_Sw:
            o->kind = OPK_SREG;
            o->size = 2;
            o->reg = (d->modrm >> 3) & 7;
            if (o->reg > 5) {
                return X86_DECODE_INVALID;
            }
            break;
        case OPS_Cd: case OPS_Dd:
            o->kind = s == OPS_Cd ? OPK_CREG : OPK_DREG;
            o->size = mode == 64 ? 8 : 4;
            o->reg = reg;
            break;
        case OPS_Rd:
            o->kind = OPK_REG;
            o->size = mode == 64 ? 8 : 4;
            o->reg = rm;
            break;
        case OPS_Zb: o->kind = OPK_REG; o->size = 1; o->reg = opreg; break;
        case OPS_Zv: o->kind = OPK_REG; o->size = d->opsize; o->reg = opreg; break;
        case OPS_AL: o->kind = OPK_REG; o->size = 1; o->reg = 0; break;
        case OPS_rAX: o->kind = OPK_REG; o->size = d->opsize; o->reg = 0; break;
        case OPS_eAX: o->kind = OPK_REG; o->size = zsize; o->reg = 0; break;
        case OPS_CL: o->kind = OPK_REG; o->size = 1; o->reg = 1; break;
        case OPS_DX: o->kind = OPK_REG; o->size = 2; o->reg = 2; break;
        case OPS_ONE: o->kind = OPK_IMM; o->size = 1; d->imm = 1; break;
        case OPS_sES: case OPS_sCS: case OPS_sSS: case OPS_sDS: case OPS_sFS: case OPS_sGS:
            o->kind = OPK_SREG;
            o->size = 2;
            o->reg = (uint8_t)(s - OPS_sES);
            break;
        case OPS_Ib: case OPS_Ibs: case OPS_Iw: case OPS_Iz: case OPS_Iv: case OPS_Iopnd: {
            int n;
            bool sign = false;
            switch (s) {
            case OPS_Ib: n = 1; break;
            case OPS_Ibs: n = 1; sign = true; break;
            case OPS_Iw: n = 2; break;
            case OPS_Iz: n = zsize; sign = true; break;
            case OPS_Iv: n = d->opsize; break;
            default: /* Iopnd: as wide as the first operand, 64-bit sign-extended from 32 */
                n = d->op[0].size == 8 ? 4 : d->op[0].size;
                sign = true;
                break;
            }
            int64_t v = sign ? take_signed(&r, n) : (int64_t)take(&r, n);
            o->kind = OPK_IMM;
            o->size = s == OPS_Ib ? 1 : s == OPS_Iw ? 2 : d->opsize;
            if (s == OPS_Iopnd) {
                o->size = d->op[0].size;
            }
            if (nimm++ == 0) {
                d->imm = v;
            } else {
                d->imm2 = v;
                o->is_imm2 = true;
            }
            break;
        }
        case OPS_Jb: case OPS_Jz:
            o->kind = OPK_REL;
            o->size = d->opsize;
            d->imm = take_signed(&r, s == OPS_Jb ? 1 : (d->opsize == 2 ? 2 : 4));
            nimm++;
            break;
        case OPS_Ap:
            o->kind = OPK_FAR;
            o->size = d->opsize;
            d->imm = (int64_t)take(&r, d->opsize == 2 ? 2 : 4);
            d->imm2 = (int64_t)take(&r, 2);
            nimm += 2;
            break;
        case OPS_Ob: case OPS_Ov:
            o->kind = OPK_MEM;
            o->size = s == OPS_Ob ? 1 : d->opsize;
            d->mem.base = d->mem.index = -1;
            d->mem.scale = 1;
            d->mem.seg = d->seg_override >= 0 ? d->seg_override : 3;
            d->mem.disp = (int64_t)take(&r, d->addrsize);
            break;
        case OPS_Xb: case OPS_Xv: case OPS_Xz: case OPS_Yb: case OPS_Yv: case OPS_Yz:
            /* string operands: DS:rSI (overridable) and ES:rDI */
            o->kind = OPK_MEM;
            o->size = (s == OPS_Xb || s == OPS_Yb) ? 1 : (s == OPS_Xz || s == OPS_Yz) ? zsize
                                                                                     : d->opsize;
            break;
        default:
            return X86_DECODE_INVALID;
        }
    }
    if (r.err) {
        return (r.pos > 15 && avail >= 15) ? X86_DECODE_TOO_LONG : r.err;
    }
    if (r.pos > 15) {
        return X86_DECODE_TOO_LONG;
    }
    /* without REX, byte registers 4-7 are AH CH DH BH (SDM Vol. 2A 2.1.5, Table 2-2) */
    for (int k = 0; k < d->nb_ops; k++) {
        X86Operand *o = &d->op[k];
        if (o->kind == OPK_REG && o->size == 1 && !rex && o->reg >= 4 && o->reg < 8) {
            o->hi8 = true;
            o->reg -= 4;
        }
    }
    d->len = (uint8_t)r.pos;
    return d->len;
}
