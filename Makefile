# Makefile — builds xlat, its unit tests and the guest test ROMs. GNU make, one non-recursive file.
#
#   make                 the emulator (o/$(MODE)/xlat) and the ROMs (o/roms/*.bin)
#   make check           unit tests (tests/unit/test_*.c, Check) and guest ROM tests
#   make check-sanitize  the same, built with ASan and UBSan under o/san/
#   make demo            boot Debian's i386 Linux to a shell on this terminal (scripts/demo)
#   make demo-rom        boot the demo ROM
#   make bench           tests/bench/run: xlat (jit, interp) against qemu
#   make clean | distclean
#
# Configuration comes from config.mk, written by ./configure (run automatically the first time).
# Objects go under o/$(MODE)/ mirroring the source tree (MODE: rel, dbg or san); the ROMs do not
# depend on the mode and go to o/roms/. Every .c file in the source folders is built: code that
# needs an optional library is guarded by CONFIG_SDL / CONFIG_SLIRP from config.h.

MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

# Goals that must not run ./configure.
NOCONFIG_GOALS := clean distclean help
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(NOCONFIG_GOALS),$(MAKECMDGOALS)),)
SKIP_CONFIG := 1
endif
endif

ifneq ($(SKIP_CONFIG),1)
include config.mk
endif

# Re-run ./configure (with the options it was last given) when it is missing or has changed.
config.mk: configure
	./configure $(CONFIGURE_ARGS)
config.h:
	./configure $(CONFIGURE_ARGS)

MODE ?= rel
NASM ?= nasm
AR ?= ar

# `make SANITIZE=1` adds the sanitizers to whatever config.mk says (check-sanitize uses it).
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
ifeq ($(SANITIZE),1)
CFLAGS += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif

O := o/$(MODE)

# --- the emulator ---------------------------------------------------------------------------------
SRCS := $(wildcard cpu/*.c tcg/*.c tcg/interp/*.c softmmu/*.c hw/*.c ui/*.c)
ifeq ($(HOST_X86_64),1)
SRCS += $(wildcard tcg/x86_64/*.c)
endif
OBJS := $(SRCS:%.c=$(O)/%.o)
MAIN_OBJ := $(O)/softmmu/main.o
LIB_OBJS := $(filter-out $(MAIN_OBJ),$(OBJS))
LIB := $(O)/libxlat.a
XLAT := $(O)/xlat

$(O)/%.o: %.c config.h config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The binary links the objects themselves (not the archive), so nothing is dropped for want of
# a reference; unit tests link the archive.
$(XLAT): $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

# --- guest test ROMs --------------------------------------------------------------------------
ROM_SRCS := $(wildcard tests/guests/*.asm)
ROMS := $(ROM_SRCS:tests/guests/%.asm=o/roms/%.bin)

# (dependencies come from a separate -M run: nasm 2.16's -MD leaves out %include files)
o/roms/%.bin: tests/guests/%.asm
	@mkdir -p $(@D)
	@$(NASM) -f bin -I tests/guests/ -M -MT $@ -MP $< >$(@:.bin=.d)
	$(NASM) -f bin -I tests/guests/ -o $@ $<

# --- guest test kernels ---------------------------------------------------------------------------
# Each tests/guests/kernels/NAME.c is a 32-bit Multiboot kernel, o/kernels/NAME.elf, linked with
# the runtime in tests/guests/kernels/lib/ by the host gcc in -m32 mode (Debian: gcc-multilib).
# They do not depend on MODE. Without a -m32 toolchain they are skipped with a note, and
# tests/guests/run-kernel-tests reports them missing.
KERNEL_DIR := tests/guests/kernels
KERNEL_CC ?= gcc
KERNEL_SRCS := $(wildcard $(KERNEL_DIR)/*.c)
KERNELS := $(KERNEL_SRCS:$(KERNEL_DIR)/%.c=o/kernels/%.elf)
# (and NAME.asm: a flat Multiboot image with the header's address fields, o/kernels/NAME.bin)
KERNEL_BINS := $(patsubst $(KERNEL_DIR)/%.asm,o/kernels/%.bin,$(wildcard $(KERNEL_DIR)/*.asm))
KLIB_OBJS := $(patsubst $(KERNEL_DIR)/lib/%,o/kernels/lib/%.o,\
                 $(wildcard $(KERNEL_DIR)/lib/*.c $(KERNEL_DIR)/lib/*.S))
KERNEL_CFLAGS := -m32 -march=i686 -std=gnu11 -O2 -g -Wall -Wextra -ffreestanding \
    -fno-strict-aliasing -fno-pic -fno-pie -fno-stack-protector -fcf-protection=none \
    -fno-asynchronous-unwind-tables -mgeneral-regs-only -I$(KERNEL_DIR)/lib
KERNEL_LDFLAGS := -m32 -nostdlib -static -no-pie -Wl,--build-id=none \
    -Wl,--no-warn-rwx-segments -Wl,-T,$(KERNEL_DIR)/lib/kernel.ld
HAVE_M32 := $(shell echo 'int x;' | $(KERNEL_CC) -m32 -x c -c -o /dev/null - 2>/dev/null && echo 1)

o/kernels/lib/%.o: $(KERNEL_DIR)/lib/%
	@mkdir -p $(@D)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -MMD -MP -c -o $@ $<
o/kernels/%.o: $(KERNEL_DIR)/%.c
	@mkdir -p $(@D)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -MMD -MP -c -o $@ $<
o/kernels/%.elf: o/kernels/%.o $(KLIB_OBJS) $(KERNEL_DIR)/lib/kernel.ld
	$(KERNEL_CC) $(KERNEL_LDFLAGS) -o $@ $< $(KLIB_OBJS)
.SECONDARY: $(KERNELS:.elf=.o) $(KLIB_OBJS)
o/kernels/%.bin: $(KERNEL_DIR)/%.asm $(wildcard $(KERNEL_DIR)/lib/*.inc)
	@mkdir -p $(@D)
	$(NASM) -f bin -i $(KERNEL_DIR)/ -o $@ $<

ifeq ($(HAVE_M32),1)
kernels: $(KERNELS) $(KERNEL_BINS)
else
kernels: $(KERNEL_BINS)
	@echo "note: no -m32 toolchain (gcc-multilib): the C test kernels are not built" >&2
endif
.PHONY: kernels
-include $(wildcard o/kernels/*.d o/kernels/lib/*.d)

# --- unit tests -----------------------------------------------------------------------------------
# Each tests/unit/test_NAME.c is one Check program; other .c files in tests/unit/ are helpers
# linked into every test program.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_HELPER_SRCS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_TESTS := $(UNIT_SRCS:%.c=$(O)/%)
UNIT_HELPER_OBJS := $(UNIT_HELPER_SRCS:%.c=$(O)/%.o)

$(O)/tests/unit/%.o: tests/unit/%.c config.h config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<

# (named here so make keeps them: they only appear as prerequisites of a pattern rule)
.SECONDARY: $(UNIT_TESTS:=.o) $(UNIT_HELPER_OBJS)

$(O)/tests/unit/test_%: $(O)/tests/unit/test_%.o $(UNIT_HELPER_OBJS) $(LIB)
	$(CC) $(LDFLAGS) $(CHECK_CFLAGS) -o $@ $< $(UNIT_HELPER_OBJS) $(LIB) $(CHECK_LIBS) $(LIBS)

# --- instruction tests (tests/cpu/) ----------------------------------------------------------------
# vs-host runs random sequences on the host CPU (in vs-host-child32/64) and in xlat; sst-run runs
# the external single-step vectors. The children run guest code natively, so they are built
# without the sanitizers and without PIE (their trampoline uses absolute addresses); the 32-bit
# one needs a -m32 toolchain (Debian: gcc-multilib) and is skipped, with a note, without one.
CPU_TEST_DIR := $(O)/tests/cpu
CPU_TEST_HARNESS := $(CPU_TEST_DIR)/harness.o
CPU_TESTS := $(CPU_TEST_DIR)/vs-host $(CPU_TEST_DIR)/sst-run $(CPU_TEST_DIR)/insn-test \
             $(CPU_TEST_DIR)/vs-host-child64 $(CPU_TEST_DIR)/vs-host-child32

$(CPU_TEST_DIR)/vs-host $(CPU_TEST_DIR)/sst-run $(CPU_TEST_DIR)/insn-test: %: %.o \
        $(CPU_TEST_HARNESS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(CPU_TEST_HARNESS) $(LIB) $(LIBS)

$(CPU_TEST_DIR)/vs-host-child64: tests/cpu/vs-host-child.c tests/cpu/vs-host.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -fno-pie -no-pie -o $@ $<

$(CPU_TEST_DIR)/vs-host-child32: tests/cpu/vs-host-child.c tests/cpu/vs-host.h
	@mkdir -p $(@D)
	@if $(CC) -m32 -std=gnu11 -O2 -Wall -Wextra -fno-pie -no-pie -o $@ $< 2>$@.log; then \
	    rm -f $@.log; \
	else \
	    echo "note: no -m32 toolchain (gcc-multilib): vs-host --mode 32 is unavailable" >&2; \
	    rm -f $@; \
	fi

# The decoder's: decode-vs-capstone (differential test against Capstone) and decode-bench link
# the library; fuzz-decode is a libFuzzer target built by clang with ASan/UBSan, skipped (with
# a note) where clang's libFuzzer is missing. tests/cpu/run-cpu-tests runs them.
DECODE_TESTS := $(CPU_TEST_DIR)/decode-vs-capstone $(CPU_TEST_DIR)/decode-bench
FUZZ_CC ?= clang

$(DECODE_TESTS): %: %.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

$(CPU_TEST_DIR)/fuzz-decode: tests/cpu/fuzz-decode.c cpu/decode.c cpu/decode.h cpu/opcodes.def \
                             cpu/mnemonics.def
	@mkdir -p $(@D)
	@if $(FUZZ_CC) -std=gnu11 -O1 -g -I. -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -o $@ tests/cpu/fuzz-decode.c cpu/decode.c 2>$@.log; then \
	    rm -f $@.log; \
	else \
	    echo "note: $(FUZZ_CC) with libFuzzer is unavailable: fuzz-decode is not built" >&2; \
	    rm -f $@; \
	fi

CPU_TESTS += $(DECODE_TESTS) $(CPU_TEST_DIR)/fuzz-decode

cpu-tests: $(CPU_TESTS)
.PHONY: cpu-tests

# --- goals ----------------------------------------------------------------------------------------
.PHONY: all xlat roms unit-tests check check-here check-sanitize demo demo-rom bench clean distclean help

all: $(XLAT) $(ROMS) kernels
xlat: $(XLAT)
roms: $(ROMS)
unit-tests: $(UNIT_TESTS)

ifeq ($(HAVE_CHECK),1)
# check: the whole suite, in this build and again under ASan/UBSan (check-sanitize), with one
# closing line for both. check-here: this build only.
check-here: all $(UNIT_TESTS) cpu-tests
	SANITIZE=$(SANITIZE) scripts/run-check $(XLAT) $(UNIT_TESTS)
ifeq ($(SANITIZE),1)
check: check-here
else
check:
	@mkdir -p o
	$(MAKE) check-here CHECK_SUMMARY=$(CURDIR)/o/check-summary-$(MODE)
	$(MAKE) check-sanitize CHECK_SUMMARY=$(CURDIR)/o/check-summary-san
	@cat o/check-summary-$(MODE) o/check-summary-san | \
	    awk '{ p += $$1; f += $$2 } END { print ""; print "== both builds"; print p " passed, " f " failed"; exit f > 0 }'
endif
else
check:
	@echo "make check: the Check library (Debian: check) was not found by ./configure;" >&2
	@echo "run scripts/install-deps, then ./configure $(CONFIGURE_ARGS)" >&2
	@exit 1
endif

# A separate tree (o/san/) with AddressSanitizer and UBSan. Any finding stops the program with
# status 66, which no test expects (status 1 would pass for a ROM that exits through
# isa-debug-exit with 0).
check-sanitize:
	ASAN_OPTIONS=detect_leaks=0:exitcode=66 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=66 \
	$(MAKE) MODE=san SANITIZE=1 check

# The demo: Debian's Linux to a busybox shell on the terminal (scripts/demo).
demo: all
	@scripts/demo $(XLAT)

# The demo ROM; isa-debug-exit turns its final write of 0 into exit status 1: that is success.
demo-rom: all
	@echo "$(XLAT) -bios o/roms/demo.bin -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon stdio"
	@$(XLAT) -bios o/roms/demo.bin -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	    -debugcon stdio; status=$$?; \
	if [ $$status -ne 1 ]; then echo "demo: exit status $$status (expected 1)" >&2; exit 1; fi

bench: all
	XLAT=$(XLAT) ROMDIR=o/roms tests/bench/run
	XLAT=$(XLAT) tests/bench/run-linux

clean:
	rm -rf o

distclean: clean
	rm -f config.mk config.h config-san.mk config.log

help:
	@sed -n '3,9s/^# \{0,1\}//p' Makefile

-include $(OBJS:.o=.d) $(UNIT_HELPER_OBJS:.o=.d) $(UNIT_TESTS:=.d) $(ROMS:.bin=.d) \
    $(wildcard $(CPU_TEST_DIR)/*.d)
