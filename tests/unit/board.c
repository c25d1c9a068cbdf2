/*
 * tests/unit/board.c — the shared test board of tests/unit/board.h.
 */
#include "tests/unit/board.h"

#include <check.h>
#include <string.h>

#include "config.h"

const char *const test_accels[] = {
    "interp",
#ifdef CONFIG_HOST_X86_64
    "jit",
#endif
};
const int test_nb_accels = (int)(sizeof(test_accels) / sizeof(test_accels[0]));

void test_rom_image(uint8_t *image, const uint8_t *code, size_t len)
{
    static const uint8_t reset[] = {0xea, 0x00, 0x00, 0x00, 0xf0}; /* jmp F000:0000 */
    memset(image, 0xf4, TEST_ROM_SIZE);
    memcpy(image, code, len);
    memcpy(image + TEST_ROM_SIZE - 16, reset, sizeof(reset));
}

Machine *test_board(MachineOptions o, const uint8_t *code, size_t len)
{
    static uint8_t image[TEST_ROM_SIZE]; /* machine_create copies it */
    test_rom_image(image, code, len);
    o.bios_image = image;
    o.bios_image_size = TEST_ROM_SIZE;
    o.ram_size = o.ram_size ? o.ram_size : 4u << 20;
    o.debugcon = o.debugcon ? o.debugcon : "none";
    o.code_cache_size = o.code_cache_size ? o.code_cache_size : 4u << 20;
    o.rtc_base_set = true;
    Machine *m = machine_create(&o);
    ck_assert_ptr_nonnull(m);
    return m;
}
