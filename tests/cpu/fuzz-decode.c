/*
 * tests/cpu/fuzz-decode.c — libFuzzer target for the x86 decoder (cpu/decode.c), built with
 * clang -fsanitize=fuzzer,address,undefined (Makefile: o/$(MODE)/tests/cpu/fuzz-decode).
 *
 * Each input is decoded in 16-, 32- and 64-bit mode from a buffer of exactly the input's size
 * (up to 20 bytes), so ASan sees any read past what the decoder was given. Besides the
 * sanitizers, it checks the decoder's contract and aborts on a violation:
 *   - the result is a length 1..min(avail, 15) or one of the X86_DECODE_* codes; TRUNCATED
 *     only when fewer than 15 bytes were given; TOO_LONG from fewer bytes (the length is known
 *     to pass 15 before the bytes are there) also with 15;
 *   - a decoded instruction is self-consistent (len, operand count and kinds, mnemonic);
 *   - decoding the same bytes with more bytes after them gives the same result, field for field,
 *     and with any shorter buffer gives TRUNCATED: the length does not depend on what follows.
 *
 * Usage: fuzz-decode [libFuzzer options] [CORPUS_DIR...], e.g. fuzz-decode -max_total_time=20
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"

#define MAX_INPUT 20

static void fail(const char *what, int mode, const uint8_t *p, size_t n)
{
    fprintf(stderr, "fuzz-decode: %s (%d-bit):", what, mode);
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, " %02x", p[i]);
    }
    fprintf(stderr, "\n");
    abort();
}

static int decode_exact(X86Insn *d, const uint8_t *p, size_t n, int mode)
{
    /* a heap copy of exactly n bytes: ASan reports a read past it */
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        abort();
    }
    memcpy(buf, p, n);
    int len = x86_decode(d, buf, (int)n, mode);
    free(buf);
    return len;
}

static void check_mode(const uint8_t *p, size_t n, int mode)
{
    X86Insn d, e;
    int len = decode_exact(&d, p, n, mode);
    if (len > 0) {
        if (len > 15 || (size_t)len > n || d.len != len) {
            fail("length out of range", mode, p, n);
        }
        if (d.nb_ops > 4 || d.mnemonic >= MN_NB || d.mnemonic == MN_INVALID) {
            fail("inconsistent instruction", mode, p, n);
        }
        for (int k = 0; k < d.nb_ops; k++) {
            if (d.op[k].kind == OPK_NONE || d.op[k].kind > OPK_KREG) {
                fail("bad operand kind", mode, p, n);
            }
        }
        if (d.opsize != 2 && d.opsize != 4 && d.opsize != 8) {
            fail("bad operand size", mode, p, n);
        }
        if (d.addrsize != 2 && d.addrsize != 4 && d.addrsize != 8) {
            fail("bad address size", mode, p, n);
        }
        /* the same with trailing bytes: the same result */
        uint8_t more[MAX_INPUT + 15];
        memcpy(more, p, (size_t)len);
        memset(more + len, 0x90, sizeof(more) - (size_t)len);
        if (decode_exact(&e, more, (size_t)len + 15, mode) != len || memcmp(&d, &e, sizeof(d))) {
            fail("result depends on the bytes after the instruction", mode, p, n);
        }
        /* and any shorter buffer is truncated */
        for (int k = 0; k < len; k++) {
            if (decode_exact(&e, p, (size_t)k, mode) != X86_DECODE_TRUNCATED) {
                fail("a prefix of an instruction is not TRUNCATED", mode, p, n);
            }
        }
    } else if (len == X86_DECODE_TRUNCATED) {
        if (n >= 15) {
            fail("TRUNCATED with 15 bytes", mode, p, n);
        }
    } else if (len == X86_DECODE_TOO_LONG) {
        if (n >= 15) {
            return;
        }
        /* known to need more than 15 bytes before they are there: so it must stay */
        uint8_t more[15];
        memcpy(more, p, n);
        memset(more + n, 0x90, 15 - n);
        if (decode_exact(&e, more, 15, mode) != X86_DECODE_TOO_LONG) {
            fail("TOO_LONG with fewer bytes, not with 15", mode, p, n);
        }
    } else if (len != X86_DECODE_INVALID) {
        fail("unknown result", mode, p, n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT) {
        size = MAX_INPUT;
    }
    check_mode(data, size, 16);
    check_mode(data, size, 32);
    check_mode(data, size, 64);
    return 0;
}
