/*
 * tcg/interp/call.c — helper calls from the interpreter, through libffi.
 *
 * A helper's C signature is known only at run time (IRHelper: IR types of the arguments and
 * of the result), so the interpreter cannot call it through a C function-pointer type without
 * knowing every signature in advance. libffi builds the call from a description (ffi_cif),
 * prepared once per helper and kept in the helper's backend_data.
 *
 * IR types map to ffi types as i32 -> uint32, i64 -> uint64 (pointers are i64 on the 64-bit
 * hosts xlat supports, and travel like uint64 in their ABIs). IRHelper does not say whether
 * an i32 is signed, so helpers take uint32_t for i32: on ABIs that widen 32-bit arguments in
 * registers according to their C type (e.g. ppc64), an int32_t parameter could otherwise be
 * passed zero-extended where the callee expects sign extension.
 */
#include "tcg/interp/interp.h"

#include <ffi.h>
#include <stdlib.h>

/* marks backend_data as ours: another backend storing something else there would be a bug */
#define INTERP_CIF_MAGIC 0x69636966u /* "icif" */

typedef struct InterpCif {
    uint32_t magic;
    ffi_cif cif;
    ffi_type *args[IR_HELPER_MAX_ARGS];
} InterpCif;

static ffi_type *ffi_type_of(unsigned ir_type)
{
    return ir_type == IR_I32 ? &ffi_type_uint32 : &ffi_type_uint64;
}

int interp_helper_prepare(const IRHelper *hc)
{
    /* IRHelper structs are static, non-const data; only backend_data is written (once) */
    IRHelper *h = (IRHelper *)hc;
    if (h->backend_data) {
        if (((InterpCif *)h->backend_data)->magic != INTERP_CIF_MAGIC) {
            fprintf(stderr, "xlat: interp: helper %s: backend_data is not an interp cif\n",
                    h->name);
            return -1;
        }
        return 0;
    }
    if (h->nargs > IR_HELPER_MAX_ARGS) {
        fprintf(stderr, "xlat: interp: helper %s: too many arguments\n", h->name);
        return -1;
    }
    InterpCif *c = calloc(1, sizeof(*c));
    if (!c) {
        return -1;
    }
    c->magic = INTERP_CIF_MAGIC;
    for (int i = 0; i < h->nargs; i++) {
        c->args[i] = ffi_type_of(h->args[i]);
    }
    ffi_type *ret = h->ret == IR_RET_VOID ? &ffi_type_void : ffi_type_of(h->ret);
    if (ffi_prep_cif(&c->cif, FFI_DEFAULT_ABI, h->nargs, ret, c->args) != FFI_OK) {
        fprintf(stderr, "xlat: interp: helper %s: ffi_prep_cif failed\n", h->name);
        free(c);
        return -1;
    }
    /* kept for the life of the process, like the helper it describes */
    h->backend_data = c;
    return 0;
}

void interp_helper_call(const IRHelper *h, uint64_t *frame, const uint16_t *arg_slots,
                        unsigned ret)
{
    InterpCif *c = h->backend_data;
    /* libffi reads each argument through a pointer to a value of its own type */
    union {
        uint32_t u32;
        uint64_t u64;
    } vals[IR_HELPER_MAX_ARGS];
    void *ptrs[IR_HELPER_MAX_ARGS];
    for (int i = 0; i < h->nargs; i++) {
        uint64_t v = frame[arg_slots[i]];
        if (h->args[i] == IR_I32) {
            vals[i].u32 = (uint32_t)v;
        } else {
            vals[i].u64 = v;
        }
        ptrs[i] = &vals[i];
    }
    /* integer results narrower than a register come back widened to an ffi_arg */
    union {
        ffi_arg arg;
        uint64_t u64;
    } rv = {0};
    ffi_call(&c->cif, FFI_FN(h->func), &rv, ptrs);
    if (ret != INTERP_NO_SLOT) {
        frame[ret] = h->ret == IR_I32 ? (uint32_t)rv.arg : rv.u64;
    }
}
