/*
 * cpu/translate-x87.c — the x87 escapes D8-DF, WAIT/FWAIT (9B) and FXSAVE/FXRSTOR (0F AE /0 /1).
 *
 * Every one is a call to helper_x87 (cpu/x87.c) with a control word built here from the
 * decoded instruction (SDM Vol. 2 opcode tables ): the operation, ST(i), the memory
 * format, the segment of the memory operand, pops, the 32-bit environment format and the
 * 11-bit opcode the FPU keeps for FNSTENV (SDM Vol. 1 8.1.10: the low three bits of the first
 * byte and the ModRM byte). The memory operand's linear address is computed here (segment
 * limit checks included, and the write check for the storing forms); the helper does the
 * accesses itself, so a fault is precise and leaves the FPU as it was. Only FNSTSW AX (AX) and
 * FCOMI/FUCOMI (EFLAGS) write guest registers, from the helper's return value.
 */
#include "cpu/translate.h"

/* mnemonic -> operation and pops; memory forms are told apart by operand size */
typedef struct X87Form {
    uint8_t op;
    uint8_t pops;
    uint8_t kind; /* K_FLOAT: m32fp/m64fp/m80fp, K_INT: m16int/m32int/m64int, K_BCD, K_NONE */
    uint8_t arg;  /* FLDxx: the constant; FCMOVcc: the x86 condition code */
    bool store;   /* writes its memory operand */
} X87Form;
enum { K_NONE, K_FLOAT, K_INT, K_BCD };

static const X87Form x87_forms[MN_NB] = {
    [MN_FADD] = {X87_ADD, 0, K_FLOAT, 0, false}, [MN_FADDP] = {X87_ADD, 1, K_NONE, 0, false},
    [MN_FIADD] = {X87_ADD, 0, K_INT, 0, false},
    [MN_FMUL] = {X87_MUL, 0, K_FLOAT, 0, false}, [MN_FMULP] = {X87_MUL, 1, K_NONE, 0, false},
    [MN_FIMUL] = {X87_MUL, 0, K_INT, 0, false},
    [MN_FSUB] = {X87_SUB, 0, K_FLOAT, 0, false}, [MN_FSUBP] = {X87_SUB, 1, K_NONE, 0, false},
    [MN_FISUB] = {X87_SUB, 0, K_INT, 0, false},
    [MN_FSUBR] = {X87_SUBR, 0, K_FLOAT, 0, false}, [MN_FSUBRP] = {X87_SUBR, 1, K_NONE, 0, false},
    [MN_FISUBR] = {X87_SUBR, 0, K_INT, 0, false},
    [MN_FDIV] = {X87_DIV, 0, K_FLOAT, 0, false}, [MN_FDIVP] = {X87_DIV, 1, K_NONE, 0, false},
    [MN_FIDIV] = {X87_DIV, 0, K_INT, 0, false},
    [MN_FDIVR] = {X87_DIVR, 0, K_FLOAT, 0, false}, [MN_FDIVRP] = {X87_DIVR, 1, K_NONE, 0, false},
    [MN_FIDIVR] = {X87_DIVR, 0, K_INT, 0, false},
    [MN_FCOM] = {X87_COM, 0, K_FLOAT, 0, false}, [MN_FCOMP] = {X87_COM, 1, K_FLOAT, 0, false},
    [MN_FCOMPP] = {X87_COM, 2, K_NONE, 0, false},
    [MN_FICOM] = {X87_COM, 0, K_INT, 0, false}, [MN_FICOMP] = {X87_COM, 1, K_INT, 0, false},
    [MN_FUCOM] = {X87_UCOM, 0, K_NONE, 0, false}, [MN_FUCOMP] = {X87_UCOM, 1, K_NONE, 0, false},
    [MN_FUCOMPP] = {X87_UCOM, 2, K_NONE, 0, false},
    [MN_FCOMI] = {X87_COMI, 0, K_NONE, 0, false}, [MN_FCOMIP] = {X87_COMI, 1, K_NONE, 0, false},
    [MN_FUCOMI] = {X87_UCOMI, 0, K_NONE, 0, false},
    [MN_FUCOMIP] = {X87_UCOMI, 1, K_NONE, 0, false},
    [MN_FTST] = {X87_TST, 0, K_NONE, 0, false},
    [MN_FLD] = {X87_LD, 0, K_FLOAT, 0, false}, [MN_FILD] = {X87_LD, 0, K_INT, 0, false},
    [MN_FBLD] = {X87_LD, 0, K_BCD, 0, false},
    [MN_FST] = {X87_ST, 0, K_FLOAT, 0, true}, [MN_FSTP] = {X87_ST, 1, K_FLOAT, 0, true},
    [MN_FIST] = {X87_ST, 0, K_INT, 0, true}, [MN_FISTP] = {X87_ST, 1, K_INT, 0, true},
    [MN_FISTTP] = {X87_ISTT, 1, K_INT, 0, true}, [MN_FBSTP] = {X87_ST, 1, K_BCD, 0, true},
    [MN_FXCH] = {X87_XCH, 0, K_NONE, 0, false},
    [MN_FFREE] = {X87_FREE, 0, K_NONE, 0, false}, [MN_FFREEP] = {X87_FREE, 1, K_NONE, 0, false},
    [MN_FINCSTP] = {X87_INCSTP, 0, K_NONE, 0, false},
    [MN_FDECSTP] = {X87_DECSTP, 0, K_NONE, 0, false},
    [MN_FCHS] = {X87_CHS, 0, K_NONE, 0, false}, [MN_FABS] = {X87_ABS, 0, K_NONE, 0, false},
    [MN_FXAM] = {X87_XAM, 0, K_NONE, 0, false},
    /* the constants in F80Const order (cpu/float80.h) */
    [MN_FLD1] = {X87_CONST, 0, K_NONE, 0, false}, [MN_FLDL2T] = {X87_CONST, 0, K_NONE, 1, false},
    [MN_FLDL2E] = {X87_CONST, 0, K_NONE, 2, false}, [MN_FLDPI] = {X87_CONST, 0, K_NONE, 3, false},
    [MN_FLDLG2] = {X87_CONST, 0, K_NONE, 4, false}, [MN_FLDLN2] = {X87_CONST, 0, K_NONE, 5, false},
    [MN_FLDZ] = {X87_CONST, 0, K_NONE, 6, false},
    /* FCMOVcc: the condition codes of Jcc (SDM Vol. 2A FCMOVcc) */
    [MN_FCMOVB] = {X87_CMOV, 0, K_NONE, 0x2, false}, [MN_FCMOVNB] = {X87_CMOV, 0, K_NONE, 0x3, false},
    [MN_FCMOVE] = {X87_CMOV, 0, K_NONE, 0x4, false}, [MN_FCMOVNE] = {X87_CMOV, 0, K_NONE, 0x5, false},
    [MN_FCMOVBE] = {X87_CMOV, 0, K_NONE, 0x6, false},
    [MN_FCMOVNBE] = {X87_CMOV, 0, K_NONE, 0x7, false},
    [MN_FCMOVU] = {X87_CMOV, 0, K_NONE, 0xa, false}, [MN_FCMOVNU] = {X87_CMOV, 0, K_NONE, 0xb, false},
    [MN_FNOP] = {X87_NOP, 0, K_NONE, 0, false},
    [MN_FSQRT] = {X87_SQRT, 0, K_NONE, 0, false}, [MN_FRNDINT] = {X87_RNDINT, 0, K_NONE, 0, false},
    [MN_F2XM1] = {X87_2XM1, 0, K_NONE, 0, false}, [MN_FSIN] = {X87_SIN, 0, K_NONE, 0, false},
    [MN_FCOS] = {X87_COS, 0, K_NONE, 0, false}, [MN_FSCALE] = {X87_SCALE, 0, K_NONE, 0, false},
    [MN_FPREM] = {X87_PREM, 0, K_NONE, 0, false}, [MN_FPREM1] = {X87_PREM1, 0, K_NONE, 0, false},
    [MN_FPATAN] = {X87_PATAN, 0, K_NONE, 0, false}, [MN_FYL2X] = {X87_YL2X, 0, K_NONE, 0, false},
    [MN_FYL2XP1] = {X87_YL2XP1, 0, K_NONE, 0, false},
    [MN_FXTRACT] = {X87_XTRACT, 0, K_NONE, 0, false}, [MN_FPTAN] = {X87_PTAN, 0, K_NONE, 0, false},
    [MN_FSINCOS] = {X87_SINCOS, 0, K_NONE, 0, false},
    [MN_FNINIT] = {X87_INIT, 0, K_NONE, 0, false}, [MN_FNCLEX] = {X87_CLEX, 0, K_NONE, 0, false},
    [MN_FLDCW] = {X87_LDCW, 0, K_NONE, 0, false}, [MN_FNSTCW] = {X87_STCW, 0, K_NONE, 0, true},
    [MN_FNSTSW] = {X87_STSW, 0, K_NONE, 0, true},
    [MN_FLDENV] = {X87_LDENV, 0, K_NONE, 0, false}, [MN_FNSTENV] = {X87_STENV, 0, K_NONE, 0, true},
    [MN_FNSAVE] = {X87_SAVE, 0, K_NONE, 0, true}, [MN_FRSTOR] = {X87_RSTOR, 0, K_NONE, 0, false},
    [MN_WAIT] = {X87_WAIT, 0, K_NONE, 0, false},
    [MN_FXSAVE] = {X87_FXSAVE, 0, K_NONE, 0, true},
    [MN_FXRSTOR] = {X87_FXRSTOR, 0, K_NONE, 0, false},
};

/* the memory format of helper_x87 (cpu/x87.c: MF_*) for a kind and an operand size */
static unsigned mem_format(unsigned kind, int size)
{
        switch (kind) {
    case K_FLOAT:
        return size == 4 ? X87_MF_F32 : size == 8 ? X87_MF_F64 : X87_MF_F80;
    case K_INT:
        return size == 2 ? X87_MF_I16 : size == 4 ? X87_MF_I32 : X87_MF_I64;
    case K_BCD:
        return X87_MF_BCD;
    default:
        return X87_MF_NONE;
    }
}

bool gen_x87(DisasContext *dc)
{
    const X86Insn *in = &dc->insn;
    IRFunc *f = dc->f;
    const X87Form *form = &x87_forms[in->mnemonic];
    bool mem = in->nb_ops > 0 && in->op[0].kind == OPK_MEM;
    bool x87 = in->map == 0 && (in->opcode & 0xf8) == 0xd8;
    unsigned fop = x87 ? ((in->opcode & 7u) << 8 | in->modrm) : 0;
    unsigned sti = x87 ? in->modrm & 7u : 0;
    if (form->op == X87_CONST) {
        sti = form->arg;
    }
    unsigned mf = mem ? mem_format(form->kind, in->op[0].size) : 0;
    int seg = mem ? in->mem.seg : 0;
    uint32_t ctl = X87_CTL(form->op, sti, mf, seg, form->pops, fop);
    if (in->opsize >= 4) {
        ctl |= X87_CTL_O32; /* REX.W does not change FNSTENV/FNSAVE's format */
    }
    if ((form->op == X87_FXSAVE || form->op == X87_FXRSTOR) && dc->code64 && (in->rex & 8)) {
        ctl |= X87_CTL_REXW;
    }
    /* the DC and DE register forms: ST(i) = ST(i) op ST(0) */
    if (!mem && in->nb_ops == 2 && in->op[0].kind == OPK_ST && in->op[1].kind == OPK_ST &&
        form->op <= X87_DIVR && (in->opcode == 0xdc || in->opcode == 0xde)) {
        ctl |= X87_CTL_DST_STI;
    }

    int arg;
    if (mem) {
        arg = gen_mem_addr(dc);
        if ((form->op == X87_FXSAVE || form->op == X87_FXRSTOR) &&
            (dc->hflags & (1u << (HF_SEG_CHECK_SHIFT + seg)))) {
            /* gen_mem_addr checked the first byte (the decoder gives the 512-byte area no
               size): the last one must be within the limit too */
            int end = gen_temp(dc);
            ir_emit_addi(f, dc->ty, end, gen_effective_offset(dc), 511);
            int args[3] = {f->env, gen_const(dc, seg | 1 << 8), end};
            gen_call(dc, &helper_seg_check_desc, -1, args);
        }
        /* the rights of a store (protected mode only: real-mode segments are writable) */
        if (form->store && (dc->hflags & (1u << (HF_SEG_CHECK_SHIFT + seg))) &&
            (dc->hflags & HF_PE) && !(dc->hflags & HF_VM)) {
            int args[3] = {f->env, gen_const(dc, seg | SEG_CHECK_WRITE), gen_const(dc, 0)};
            gen_call(dc, &helper_seg_check_desc, -1, args);
        }
    } else if (form->op == X87_CMOV) {
        arg = gen_cond(dc, form->arg);
    } else if (form->op == X87_COMI || form->op == X87_UCOMI) {
        arg = gen_flags_image(dc); /* kept when an unmasked IE leaves EFLAGS alone */
    } else {
        arg = gen_const(dc, 0);
    }
    if (in->mnemonic == MN_FNSTSW && !mem) {
        ctl = (ctl & ~0xffu) | X87_STSW_AX;
    }
    int ret = gen_temp(dc);
    int args[4] = {f->env, gen_const(dc, ctl), arg, gen_const(dc, dc->eip)};
    /* 64-bit code: the operand's linear address and RIP are 64 bits (SDM Vol. 1 8.1.8) */
    gen_call(dc, dc->code64 ? &helper_x87_64_desc : &helper_x87_desc, ret, args);
    if (in->mnemonic == MN_FNSTSW && !mem) {
        gen_reg_write(dc, R_EAX, 2, false, ret);
    } else if (form->op == X87_COMI || form->op == X87_UCOMI) {
        gen_set_flags_image(dc, ret);
    }
    return true;
}
