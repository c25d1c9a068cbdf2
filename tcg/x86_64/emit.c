/*
 * tcg/x86_64/emit.c — the x86-64 instruction encoder (see emit.h).
 *
 * Every public function writes one instruction. Two internal helpers do the common work: op_rr()
 * for register/register forms (ModRM mod=11) and op_rm() for register/memory forms (ModRM + SIB +
 * displacement); both go through emit_opc(), which writes the legacy prefix, REX and the opcode
 * bytes. Opcode constants and encodings are from the Intel SDM Vol. 2 (instruction pages and
 * chapter 2, "Instruction format").
 */
#include "tcg/x86_64/emit.h"

#include <assert.h>
#include <string.h>

/* opcode flags, or'ed above the opcode byte */
enum {
    P_REXW = 0x100,     /* REX.W: 64-bit operand size */
    P_DATA16 = 0x200,   /* 0x66 prefix: 16-bit operand size */
    P_0F = 0x400,       /* two-byte opcode: 0x0f escape */
    P_BYTE_REG = 0x800, /* the ModRM reg field is a byte register */
    P_BYTE_RM = 0x1000, /* the ModRM rm field is a byte register */
};

static inline unsigned w(bool is64) { return is64 ? P_REXW : 0; }

void x64_byte(X64Buf *b, uint8_t v)
{
    *b->ptr++ = v;
}

void x64_u32(X64Buf *b, uint32_t v)
{
    memcpy(b->ptr, &v, 4);
    b->ptr += 4;
}

void x64_u64(X64Buf *b, uint64_t v)
{
    memcpy(b->ptr, &v, 8);
    b->ptr += 8;
}

/* Prefixes, REX and opcode. reg/rm/index are register numbers or -1 (a /digit is passed as reg
   and has no bit 3). Byte registers 4..7 need a REX (even an empty one) to mean spl..dil. */
static void emit_opc(X64Buf *b, unsigned opc, int reg, int rm, int index)
{
    unsigned rex = 0;
    bool force = false;
    if (opc & P_DATA16) {
        x64_byte(b, 0x66);
    }
    if (opc & P_REXW) {
        rex |= 8;
    }
    if (reg >= 0 && (reg & 8)) {
        rex |= 4;
    }
    if (index >= 0 && (index & 8)) {
        rex |= 2;
    }
    if (rm >= 0 && (rm & 8)) {
        rex |= 1;
    }
    if ((opc & P_BYTE_REG) && reg >= 4) {
        force = true;
    }
    if ((opc & P_BYTE_RM) && rm >= 4) {
        force = true;
    }
    if (rex || force) {
        x64_byte(b, (uint8_t)(0x40 | rex));
    }
    if (opc & P_0F) {
        x64_byte(b, 0x0f);
    }
    x64_byte(b, (uint8_t)opc);
}

/* opcode with a register/register ModRM */
static void op_rr(X64Buf *b, unsigned opc, int reg, int rm)
{
    emit_opc(b, opc, reg, rm, -1);
    x64_byte(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* ModRM + SIB + displacement for a memory operand (SDM Vol. 2A tables 2-2, 2-3) */
static void modrm_mem(X64Buf *b, int reg, X64Mem m)
{
    reg &= 7;
    if (m.base < 0) {
        /* no base: mod=00 rm=100, SIB base=101 means disp32 only */
        int idx = m.index < 0 ? 4 : (m.index & 7);
        x64_byte(b, (uint8_t)(0x04 | reg << 3));
        x64_byte(b, (uint8_t)(m.scale << 6 | idx << 3 | 5));
        x64_u32(b, (uint32_t)m.disp);
        return;
    }
    assert(m.index != X64_RSP && "rsp cannot be an index");
    int mod;
    if (m.disp == 0 && (m.base & 7) != 5) {
        mod = 0; /* rbp/r13 with mod=00 would mean rip-relative/no base */
    } else if (x64_fits_i8(m.disp)) {
        mod = 1;
    } else {
        mod = 2;
    }
    if (m.index < 0 && (m.base & 7) != 4) {
        x64_byte(b, (uint8_t)(mod << 6 | reg << 3 | (m.base & 7)));
    } else {
        /* rsp/r12 as a base, or an index: a SIB byte (index 100 = none) */
        int idx = m.index < 0 ? 4 : (m.index & 7);
        x64_byte(b, (uint8_t)(mod << 6 | reg << 3 | 4));
        x64_byte(b, (uint8_t)(m.scale << 6 | idx << 3 | (m.base & 7)));
    }
    if (mod == 1) {
        x64_byte(b, (uint8_t)m.disp);
    } else if (mod == 2) {
        x64_u32(b, (uint32_t)m.disp);
    }
}

/* opcode with a register/memory ModRM */
static void op_rm(X64Buf *b, unsigned opc, int reg, X64Mem m)
{
    emit_opc(b, opc, reg, m.base, m.index);
    modrm_mem(b, reg, m);
}

/* ---- moves ---- */

void x64_mov_rr(X64Buf *b, X64Reg dst, X64Reg src, bool is64)
{
    op_rr(b, 0x89 | w(is64), src, dst); /* MOV r/m, r */
}

void x64_mov_ri(X64Buf *b, X64Reg dst, uint64_t imm, bool is64)
{
    if (!is64 || imm <= UINT32_MAX) {
        /* B8+r id: writing the 32-bit register zero-extends */
        emit_opc(b, 0xb8 + (dst & 7), -1, dst, -1);
        x64_u32(b, (uint32_t)imm);
    } else if (x64_fits_i32((int64_t)imm)) {
        op_rr(b, 0xc7 | P_REXW, 0, dst); /* C7 /0 id, sign-extended */
        x64_u32(b, (uint32_t)imm);
    } else {
        emit_opc(b, (0xb8 + (dst & 7)) | P_REXW, -1, dst, -1); /* movabs */
        x64_u64(b, imm);
    }
}

void x64_xor_zero(X64Buf *b, X64Reg r)
{
    op_rr(b, 0x31, r, r);
}

void x64_mov8_rr(X64Buf *b, X64Reg dst, X64Reg src)
{
    op_rr(b, 0x88 | P_BYTE_REG | P_BYTE_RM, src, dst);
}

void x64_mov16_rr(X64Buf *b, X64Reg dst, X64Reg src)
{
    op_rr(b, 0x89 | P_DATA16, src, dst);
}

void x64_xchg_rr(X64Buf *b, X64Reg a, X64Reg c)
{
    op_rr(b, 0x87 | P_REXW, a, c);
}

void x64_movzx8(X64Buf *b, X64Reg dst, X64Reg src)
{
    op_rr(b, 0xb6 | P_0F | P_BYTE_RM, dst, src);
}

void x64_movzx16(X64Buf *b, X64Reg dst, X64Reg src)
{
    op_rr(b, 0xb7 | P_0F, dst, src);
}

void x64_movsx8(X64Buf *b, X64Reg dst, X64Reg src, bool is64)
{
    op_rr(b, 0xbe | P_0F | P_BYTE_RM | w(is64), dst, src);
}

void x64_movsx16(X64Buf *b, X64Reg dst, X64Reg src, bool is64)
{
    op_rr(b, 0xbf | P_0F | w(is64), dst, src);
}

void x64_movsxd(X64Buf *b, X64Reg dst, X64Reg src)
{
    op_rr(b, 0x63 | P_REXW, dst, src);
}

/* ---- memory ---- */

void x64_load(X64Buf *b, X64Reg dst, X64Mem m, unsigned size, bool sign, bool dst64)
{
    switch (size) {
    case 0:
        op_rm(b, (sign ? 0xbe : 0xb6) | P_0F | w(sign && dst64), dst, m); /* movsx/movzx r, m8 */
        break;
    case 1:
        op_rm(b, (sign ? 0xbf : 0xb7) | P_0F | w(sign && dst64), dst, m); /* m16 */
        break;
    case 2:
        if (sign && dst64) {
            op_rm(b, 0x63 | P_REXW, dst, m); /* movsxd r64, m32 */
        } else {
            op_rm(b, 0x8b, dst, m); /* mov r32, m32 (zero-extends) */
        }
        break;
    default:
        op_rm(b, 0x8b | P_REXW, dst, m);
        break;
    }
}

void x64_store(X64Buf *b, X64Reg src, X64Mem m, unsigned size)
{
    static const unsigned opc[4] = {0x88 | P_BYTE_REG, 0x89 | P_DATA16, 0x89, 0x89 | P_REXW};
    op_rm(b, opc[size & 3], src, m);
}

void x64_store_imm(X64Buf *b, X64Mem m, int32_t imm, unsigned size)
{
    switch (size) {
    case 0:
        op_rm(b, 0xc6, 0, m);
        x64_byte(b, (uint8_t)imm);
        break;
    case 1:
        op_rm(b, 0xc7 | P_DATA16, 0, m);
        x64_byte(b, (uint8_t)imm);
        x64_byte(b, (uint8_t)(imm >> 8));
        break;
    default:
        op_rm(b, 0xc7 | w(size == 3), 0, m);
        x64_u32(b, (uint32_t)imm);
        break;
    }
}

void x64_lea(X64Buf *b, X64Reg dst, X64Mem m, bool is64)
{
    op_rm(b, 0x8d | w(is64), dst, m);
}

/* ---- arithmetic and logic ---- */

void x64_alu_rr(X64Buf *b, X64Alu op, X64Reg dst, X64Reg src, bool is64)
{
    op_rr(b, (unsigned)(op << 3 | 1) | w(is64), src, dst); /* op r/m, r */
}

void x64_alu_ri(X64Buf *b, X64Alu op, X64Reg dst, int32_t imm, bool is64)
{
    if (x64_fits_i8(imm)) {
        op_rr(b, 0x83 | w(is64), op, dst);
        x64_byte(b, (uint8_t)imm);
    } else {
        op_rr(b, 0x81 | w(is64), op, dst);
        x64_u32(b, (uint32_t)imm);
    }
}

void x64_alu_rm(X64Buf *b, X64Alu op, X64Reg dst, X64Mem m, bool is64)
{
    op_rm(b, (unsigned)(op << 3 | 3) | w(is64), dst, m); /* op r, r/m */
}

void x64_alu_mr(X64Buf *b, X64Alu op, X64Mem m, X64Reg src, bool is64)
{
    op_rm(b, (unsigned)(op << 3 | 1) | w(is64), src, m);
}

void x64_alu_mi(X64Buf *b, X64Alu op, X64Mem m, int32_t imm, bool is64)
{
    if (x64_fits_i8(imm)) {
        op_rm(b, 0x83 | w(is64), op, m);
        x64_byte(b, (uint8_t)imm);
    } else {
        op_rm(b, 0x81 | w(is64), op, m);
        x64_u32(b, (uint32_t)imm);
    }
}

void x64_test_rr(X64Buf *b, X64Reg a, X64Reg c, bool is64)
{
    op_rr(b, 0x85 | w(is64), c, a);
}

void x64_shift_ri(X64Buf *b, X64Shift op, X64Reg dst, unsigned count, bool is64)
{
    if (count == 1) {
        op_rr(b, 0xd1 | w(is64), op, dst);
    } else {
        op_rr(b, 0xc1 | w(is64), op, dst);
        x64_byte(b, (uint8_t)count);
    }
}

void x64_shift_cl(X64Buf *b, X64Shift op, X64Reg dst, bool is64)
{
    op_rr(b, 0xd3 | w(is64), op, dst);
}

void x64_imul_rr(X64Buf *b, X64Reg dst, X64Reg src, bool is64)
{
    op_rr(b, 0xaf | P_0F | w(is64), dst, src);
}

void x64_imul_rri(X64Buf *b, X64Reg dst, X64Reg src, int32_t imm, bool is64)
{
    if (x64_fits_i8(imm)) {
        op_rr(b, 0x6b | w(is64), dst, src);
        x64_byte(b, (uint8_t)imm);
    } else {
        op_rr(b, 0x69 | w(is64), dst, src);
        x64_u32(b, (uint32_t)imm);
    }
}

void x64_mul1(X64Buf *b, X64Reg src, bool is_signed, bool is64)
{
    op_rr(b, 0xf7 | w(is64), is_signed ? 5 : 4, src); /* F7 /4 mul, /5 imul */
}

void x64_neg(X64Buf *b, X64Reg r, bool is64)
{
    op_rr(b, 0xf7 | w(is64), 3, r);
}

void x64_not(X64Buf *b, X64Reg r, bool is64)
{
    op_rr(b, 0xf7 | w(is64), 2, r);
}

/* ---- conditions ---- */

void x64_setcc(X64Buf *b, X64Cond cc, X64Reg dst8)
{
    op_rr(b, (0x90 + cc) | P_0F | P_BYTE_RM, 0, dst8);
}

void x64_cmov(X64Buf *b, X64Cond cc, X64Reg dst, X64Reg src, bool is64)
{
    op_rr(b, (0x40 + cc) | P_0F | w(is64), dst, src);
}

/* ---- control flow ---- */

uint8_t *x64_jcc32(X64Buf *b, X64Cond cc)
{
    x64_byte(b, 0x0f);
    x64_byte(b, (uint8_t)(0x80 + cc));
    uint8_t *field = b->ptr;
    x64_u32(b, 0);
    return field;
}

uint8_t *x64_jmp32(X64Buf *b)
{
    x64_byte(b, 0xe9);
    uint8_t *field = b->ptr;
    x64_u32(b, 0);
    return field;
}

void x64_patch_rel32(uint8_t *field, const uint8_t *target)
{
    int64_t d = target - (field + 4);
    assert(x64_fits_i32(d));
    int32_t v = (int32_t)d;
    memcpy(field, &v, 4);
}

void x64_jcc_to(X64Buf *b, X64Cond cc, const uint8_t *target)
{
    int64_t d = target - (b->ptr + 2);
    if (x64_fits_i8(d)) {
        x64_byte(b, (uint8_t)(0x70 + cc));
        x64_byte(b, (uint8_t)d);
    } else {
        x64_patch_rel32(x64_jcc32(b, cc), target);
    }
}

void x64_jmp_to(X64Buf *b, const uint8_t *target)
{
    int64_t d = target - (b->ptr + 2);
    if (x64_fits_i8(d)) {
        x64_byte(b, 0xeb);
        x64_byte(b, (uint8_t)d);
    } else {
        x64_patch_rel32(x64_jmp32(b), target);
    }
}

void x64_jmp_r(X64Buf *b, X64Reg r)
{
    op_rr(b, 0xff, 4, r);
}

void x64_jmp_m(X64Buf *b, X64Mem m)
{
    op_rm(b, 0xff, 4, m);
}

void x64_call_r(X64Buf *b, X64Reg r)
{
    op_rr(b, 0xff, 2, r);
}

void x64_call_abs(X64Buf *b, const void *fn, X64Reg scratch)
{
    int64_t d = (const uint8_t *)fn - (b->ptr + 5);
    if (x64_fits_i32(d)) {
        x64_byte(b, 0xe8);
        x64_u32(b, (uint32_t)d);
    } else {
        x64_mov_ri(b, scratch, (uintptr_t)fn, true);
        x64_call_r(b, scratch);
    }
}

void x64_push(X64Buf *b, X64Reg r)
{
    emit_opc(b, 0x50 + (r & 7), -1, r, -1);
}

void x64_pop(X64Buf *b, X64Reg r)
{
    emit_opc(b, 0x58 + (r & 7), -1, r, -1);
}

void x64_ret(X64Buf *b)
{
    x64_byte(b, 0xc3);
}

void x64_int3(X64Buf *b)
{
    x64_byte(b, 0xcc);
}

void x64_nops(X64Buf *b, unsigned n)
{
    static const uint8_t nop[10][9] = {
        {0},
        {0x90},
        {0x66, 0x90},
        {0x0f, 0x1f, 0x00},
        {0x0f, 0x1f, 0x40, 0x00},
        {0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
        {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
    };
    while (n) {
        unsigned k = n > 9 ? 9 : n;
        memcpy(b->ptr, nop[k], k);
        b->ptr += k;
        n -= k;
    }
}
