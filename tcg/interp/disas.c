/*
 * tcg/interp/disas.c — a readable listing of a pre-decoded program, for -d out_asm.
 *
 * One instruction per line: its unit index, its name and its operands, decoded with the
 * operand letters of interp-ops.def. Slots print as s<n>; env and constant slots print as what
 * they hold, helper slots as the helper's name. Example:
 *
 *   0004: ldg64      s3, env+0x1a0
 *   0008: add_i64    s3, s3, $0x10
 *   000c: brcond_ne  s3, $0, ->0020
 */
#include "tcg/interp/interp.h"

#include <inttypes.h>

static void print_slot(FILE *out, const InterpProg *p, unsigned slot)
{
    const uint64_t *fr = interp_frame(p);
    if (slot == INTERP_SLOT_ENV) {
        fputs("env", out);
    } else if (slot >= 1 && slot <= p->nb_consts) {
        uint64_t v = fr[slot];
        if (v <= 4096) {
            fprintf(out, "$%" PRIu64, v);
        } else {
            fprintf(out, "$0x%" PRIx64, v);
        }
    } else {
        fprintf(out, "s%u", slot);
    }
}

static void print_call(FILE *out, const InterpProg *p, const uint16_t *ip)
{
    const IRHelper *h = (const IRHelper *)(uintptr_t)interp_frame(p)[ip[2]];
    fprintf(out, "%-12s ", "call");
    if (ip[3] != INTERP_NO_SLOT) {
        print_slot(out, p, ip[3]);
        fputs(" = ", out);
    }
    fprintf(out, "%s(", h->name ? h->name : "?");
    for (unsigned k = 0; k < ip[1]; k++) {
        fputs(k ? ", " : "", out);
        print_slot(out, p, ip[INTERP_LEN_call + k]);
    }
    fputc(')', out);
    if (ip[4] != INTERP_NO_INSN) {
        fprintf(out, " [insn %u]", ip[4]);
    }
}

void interp_disas(TCGContext *s, TranslationBlock *tb, FILE *out)
{
    const InterpProg *p = tb->code;
    const uint16_t *code = interp_code(p);
    (void)s;
    fprintf(out, "  ; interp program: %u units, %u frame slots (%u constants)\n", p->nb_units,
            p->nb_slots, p->nb_consts);
    for (uint32_t pos = 0; pos < p->nb_units; pos += interp_insn_units(code + pos)) {
        const uint16_t *ip = code + pos;
        fprintf(out, "  %04" PRIx32 ": ", pos);
        if (ip[0] >= INTERP_NB_OPS) {
            fprintf(out, "?? %u\n", ip[0]);
            return;
        }
        if (ip[0] == INTERP_call) {
            print_call(out, p, ip);
            fputc('\n', out);
            continue;
        }
        const InterpOpDef *d = &interp_op_defs[ip[0]];
        fprintf(out, "%-12s ", d->name);
        const uint16_t *u = ip + 1;
        for (const char *o = d->operands; *o; o++) {
            fputs(o != d->operands ? ", " : "", out);
            switch (*o) {
            case 'd':
            case 's':
                print_slot(out, p, *u++);
                break;
            case 'o': {
                int32_t off = (int32_t)interp_u32(u);
                u += 2;
                if (ip[0] >= INTERP_ldg32 && ip[0] <= INTERP_stg64) {
                    fprintf(out, "env+0x%" PRIx32, (uint32_t)off);
                } else {
                    fprintf(out, "%+" PRId32, off);
                }
                break;
            }
            case 'L':
                fprintf(out, "->%04" PRIx32, interp_u32(u));
                u += 2;
                break;
            case 'm':
                fprintf(out, "%s%d%s,mmu%u", (*u & IR_MO_SIGN) ? "s" : "u", 8 << (*u & IR_MO_SIZE),
                        (*u & IR_MO_A64) ? ",a64" : "", (unsigned)(*u >> IR_MEMOP_MMU_SHIFT));
                u++;
                break;
            case 'n':
                fprintf(out, "[insn %u]", *u++);
                break;
            default: /* 'i' */
                fprintf(out, "%u", *u++);
                break;
            }
        }
        fputc('\n', out);
    }
}
