/*
 * tests/unit/board.h — a small machine for unit tests that drive devices or the main loop from
 * guest code: a 64 KiB test ROM holding real-mode code at F000:0000 (the rest HLT) with a far
 * jump there at the reset vector, and the list of backends to run each such test on.
 */
#ifndef XLAT_TESTS_UNIT_BOARD_H
#define XLAT_TESTS_UNIT_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "softmmu/machine.h"

#define TEST_ROM_SIZE (64u << 10)

/* "interp", and "jit" where it is built: tests loop over them with tcase_add_loop_test */
extern const char *const test_accels[];
extern const int test_nb_accels;

/* Fill image (TEST_ROM_SIZE bytes): HLT everywhere, `code` at offset 0, and at the reset vector
   a far jump to F000:0000. */
void test_rom_image(uint8_t *image, const uint8_t *code, size_t len);

/* machine_create with `o` running `code` from such a ROM. Unset fields get test defaults: 4 MiB
   of RAM, no debug console, a 4 MiB code cache, a fixed RTC base. Asserts it was created. */
Machine *test_board(MachineOptions o, const uint8_t *code, size_t len);

#endif
