/*
 * softmmu/machine.c — building, running and tearing down one emulated PC.
 *
 * Owns: the Machine's lifetime (RAM, the firmware image, the engine, the CPU, the devices), the
 * main loop (slices that end at timer deadlines, timers, idle skipping, pacing, the host-input
 * hook), the exit request used by devices, the end-of-run state hash and the -stats report.
 *
 * Memory map of this first board: RAM from 0; the firmware at the top of the 4 GiB space, where
 * the CPU leaves reset (SDM Vol. 3A 9.1.4: CS base FFFF0000, EIP FFF0), and its last 128 KiB
 * also below 1 MiB (0xE0000-0xFFFFF), as the PC chipset aliases the BIOS there.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "softmmu/machine.h"

#define KiB ((uint64_t)1024)
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* RAM must end below the firmware at the top of the 32-bit space (and its PCI hole, later) */
#define RAM_MAX            (3 * GiB + 512 * MiB)
#define BIOS_MAX           (2 * MiB)
#define BIOS_LOW_MAX       (128 * KiB)
#define BIOS_LOW_END       (1 * MiB)
#define CODE_CACHE_DEFAULT (64 * MiB)

#define DEBUGCON_PORT 0xe9

static int load_bios(Machine *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0) {
        fprintf(stderr, "xlat: cannot open BIOS image '%s': %s\n", path, strerror(errno));
        if (f) {
            fclose(f);
        }
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size % (64 * KiB) != 0 ||
        (uint64_t)st.st_size > BIOS_MAX) {
        fprintf(stderr,
                "xlat: BIOS image '%s' is %lld bytes; it must be a multiple of 64 KiB "
                "and at most 2 MiB\n",
                path, (long long)st.st_size);
        fclose(f);
        return -1;
    }
    m->bios_size = (uint64_t)st.st_size;
    m->bios = malloc(m->bios_size);
    if (!m->bios || fread(m->bios, 1, m->bios_size, f) != m->bios_size) {
        fprintf(stderr, "xlat: cannot read BIOS image '%s': %s\n", path,
                m->bios ? strerror(ferror(f) ? errno : EIO) : "out of memory");
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

static const Backend *pick_backend(const char *accel)
{
    if (!accel) {
#ifdef CONFIG_HOST_X86_64
        return &backend_x86_64;
#else
        return &backend_interp;
#endif
    }
    if (strcmp(accel, "interp") == 0) {
        return &backend_interp;
    }
    if (strcmp(accel, "jit") == 0) {
#ifdef CONFIG_HOST_X86_64
        return &backend_x86_64;
#else
        fprintf(stderr, "xlat: the JIT is not built on this host (it needs an x86-64 host); "
                        "use -accel interp\n");
        return NULL;
#endif
    }
    fprintf(stderr, "xlat: unknown accelerator '%s' (try -accel help)\n", accel);
    return NULL;
}

/* the CPU's INTR pin, as an IRQ line for the interrupt controller's output */
static void cpu_intr_handler(void *opaque, int n, int level)
{
    (void)n;
    x86_cpu_set_intr(opaque, level != 0);
}

/* The PC's devices and their wiring (a port already taken is a wiring bug). */
static int board_init(Machine *m)
{
    if (pic_init(&m->pic, &m->io, irq_line(cpu_intr_handler, &m->cpu, 0)) < 0) {
        fprintf(stderr, "xlat: cannot register the board's I/O ports\n");
        return -1;
    }
    /* after the CPU's reset, which clears its INTA hook */
    x86_cpu_set_intr_ack(&m->cpu, pic_intack, &m->pic);
    return 0;
}

Machine *machine_create(const MachineOptions *opt)
{
    Machine *m = calloc(1, sizeof(*m));
    if (!m) {
        fprintf(stderr, "xlat: out of memory\n");
        return NULL;
    }
    m->opt = *opt;
    m->ram = MAP_FAILED;

    /* RAM: whole pages, so every RAM page can be mapped by the TLB */
    if (opt->ram_size == 0 || opt->ram_size > RAM_MAX) {
        fprintf(stderr,
                "xlat: RAM size %" PRIu64 " bytes is out of range (1 byte to %" PRIu64 " MiB)\n",
                opt->ram_size, RAM_MAX / MiB);
        goto fail;
    }
    m->a20_mask = ~(uint64_t)0;
    m->ram_size = (opt->ram_size + TLB_PAGE_SIZE - 1) & TLB_PAGE_MASK;
    /* anonymous memory is zeroed and committed lazily: a large -m costs what the guest uses */
    m->ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->ram == MAP_FAILED) {
        fprintf(stderr, "xlat: cannot allocate %" PRIu64 " MiB of guest RAM: %s\n",
                m->ram_size / MiB, strerror(errno));
        goto fail;
    }

    if (opt->bios_image) {
        /* firmware handed over in memory: tests that build their own machine */
        m->bios_size = opt->bios_image_size;
        m->bios = malloc(m->bios_size);
        if (!m->bios || m->bios_size == 0 || m->bios_size % (64 * KiB) != 0 ||
            m->bios_size > BIOS_MAX) {
            fprintf(stderr, "xlat: a firmware image must be a multiple of 64 KiB, at most 2 MiB\n");
            goto fail;
        }
        memcpy(m->bios, opt->bios_image, m->bios_size);
    } else if (!opt->bios) {
        fprintf(stderr, "xlat: no firmware: give -bios FILE\n");
        goto fail;
    } else if (load_bios(m, opt->bios) < 0) {
        goto fail;
    }

    /* the last min(size, 128 KiB) of the image, ending at 0xFFFFF: the same bytes, aliased */
    uint64_t low = m->bios_size < BIOS_LOW_MAX ? m->bios_size : BIOS_LOW_MAX;
    uint8_t *low_host = m->bios + m->bios_size - low;
    if (as_add_ram(&m->mem, "ram", 0, m->ram_size, m->ram, 0) < 0 ||
        as_add_rom(&m->mem, "bios", 4 * GiB - m->bios_size, m->bios_size, m->bios, 1) < 0 ||
        as_add_rom(&m->mem, "bios-low", BIOS_LOW_END - low, low, low_host, 1) < 0) {
        fprintf(stderr, "xlat: cannot build the memory map\n");
        goto fail;
    }

    const Backend *be = pick_backend(opt->accel);
    if (!be) {
        goto fail;
    }
    size_t cache = opt->code_cache_size ? opt->code_cache_size : CODE_CACHE_DEFAULT;
    if (tcg_init(&m->tcg, be, &x86_frontend, cache) < 0) {
        fprintf(stderr,
                "xlat: cannot set up the %s translator (code cache of %" PRIu64 " MiB): %s\n",
                be->name, (uint64_t)cache / MiB, strerror(errno));
        tcg_free(&m->tcg);
        goto fail;
    }
    m->tcg.log_mask = opt->log_mask;
    if (opt->log_file) {
        FILE *log = fopen(opt->log_file, "w");
        if (!log) {
            fprintf(stderr, "xlat: cannot open log file '%s': %s\n", opt->log_file,
                    strerror(errno));
            goto fail;
        }
        m->tcg.log = log;
    }
    m->io.log_unassigned = (opt->log_mask & LOG_UNIMP) != 0;

    if (opt->icount_shift > VCLOCK_MAX_SHIFT) {
        fprintf(stderr, "xlat: -icount shift=%u is out of range (0 to %d)\n", opt->icount_shift,
                VCLOCK_MAX_SHIFT);
        goto fail;
    }
    vclock_init(&m->clock, &m->icount, &m->cpu.common, opt->icount_shift);
    m->clock.pace = opt->pace;

    x86_cpu_init(&m->cpu, m);
    x86_cpu_reset(&m->cpu);
    tlb_flush(m);
    m->tlb_flushes = 0; /* the power-on flush is not a guest event */

    if (board_init(m) < 0) {
        goto fail;
    }

    if (debugcon_open(&m->debugcon, opt->debugcon) < 0) {
        goto fail;
    }
    debugcon_init(m, DEBUGCON_PORT);
    if (opt->debug_exit) {
        uint32_t base = opt->debug_exit_iobase, size = opt->debug_exit_iosize;
        if (size == 0 || base + size > 0x10000) {
            fprintf(stderr,
                    "xlat: isa-debug-exit ports 0x%x+0x%x do not fit the 64 KiB I/O "
                    "space\n",
                    base, size);
            goto fail;
        }
        for (uint32_t p = base; p < base + size; p++) {
            if (m->io.map[p]) {
                fprintf(stderr, "xlat: isa-debug-exit port 0x%x is already taken by %s\n", p,
                        m->io.handlers[m->io.map[p] - 1].name);
                goto fail;
            }
        }
        debugexit_init(m, (uint16_t)base, (uint16_t)size);
    }
    return m;

fail:
    machine_destroy(m);
    return NULL;
}

void machine_destroy(Machine *m)
{
    if (!m) {
        return;
    }
    FILE *log = m->tcg.log;
    if (m->tcg.code_buf) {
        tcg_free(&m->tcg);
    }
    if (log && log != stderr && log != stdout) {
        fclose(log);
    }
    debugcon_close(&m->debugcon);
    if (m->ram && m->ram != MAP_FAILED) {
        munmap(m->ram, m->ram_size);
    }
    free(m->bios);
    free(m);
}

void machine_request_exit(Machine *m, int status)
{
    /* the first request wins: it is the one the guest made first */
    if (!m->exit_requested) {
        m->exit_requested = true;
        m->exit_status = status;
    }
    cpu_exit(&m->cpu.common);
}

void machine_poll_host_input(Machine *m, int64_t wait_ns)
{
    (void)m;
    /* No input sources yet (serial and keyboard input come with their backends): the only
       reason to be here is pacing, so wait. */
    if (wait_ns > 0) {
        struct timespec ts = {(time_t)(wait_ns / NANOSECONDS_PER_SECOND),
                              (long)(wait_ns % NANOSECONDS_PER_SECOND)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        }
    }
}

/* The CPU halted and no interrupt can ever wake it: say why and where. */
static int halted_forever(Machine *m, const char *why)
{
    CPUX86State *cpu = &m->cpu;
    fprintf(stderr, "xlat: CPU halted %s at CS:EIP %04x:%08" PRIx64 "; nothing can wake it\n", why,
            cpu->seg[R_CS].selector & 0xffff, cpu->eip);
    return XLAT_EXIT_HALTED;
}

/*
 * The main loop (DESIGN.md, "Time and determinism"). Each turn: give the host a chance (pacing,
 * later input), fire the timers that are due, then run the CPU for a slice that ends exactly
 * at the next timer deadline (or after MACHINE_SLICE instructions). A halted CPU with
 * interrupts enabled costs nothing: virtual time jumps to the next deadline. Everything that
 * decides what the guest sees depends only on instruction counts, never on the host's time.
 */
int machine_run(Machine *m)
{
    CPUCommon *env = &m->cpu.common;
    VClock *clk = &m->clock;
    for (;;) {
        if (m->exit_requested) {
            return m->exit_status;
        }
        /* pacing first: what is due now happens no earlier in wall time than in virtual time */
        machine_poll_host_input(m, vclock_pace_wait_ns(clk));
        vclock_run_timers(clk);
        if (m->exit_requested) {
            return m->exit_status; /* a device ended the machine from a timer */
        }

        int64_t slice = vclock_slice_insns(clk, MACHINE_SLICE);
        /* Out of translated code already: a request to leave it (cpu_exit) is served, and its
           forced-negative budget must not leak into the new slice. */
        env->exit_request = 0;
        env->budget = slice;
        clk->slice = slice;
        int r = tcg_cpu_exec(&m->tcg, env); /* returns with any exit request taken */
        /* what is missing from the slice is exactly what retired */
        m->icount += (uint64_t)(slice - env->budget);
        clk->slice = 0;
        vclock_ns(clk); /* the clock's state at a slice boundary does not depend on who read it */
        if (m->exit_requested) {
            return m->exit_status;
        }
        if (r == TCG_EXIT_STOP && m->cpu.halted) {
            /* HLT with IF=0 can only end with an NMI, and nothing raises one yet */
            if (!(m->cpu.eflags & EFL_IF)) {
                return halted_forever(m, "with interrupts disabled");
            }
            int64_t deadline = vclock_next_deadline(clk);
            if (deadline < 0) {
                return halted_forever(m, "and no timer is armed");
            }
            /* idle: nothing runs until the next deadline, so go straight there */
            vclock_idle_until(clk, deadline);
        }
        /* budget spent (a deadline reached), or stopped for an interrupt or a request */
    }
}

/* 64-bit FNV-1a constants (Fowler, Noll, Vo) */
#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME  0x100000001b3ull

/* One FNV-1a step over a 64-bit word (eight times fewer steps than bytewise), then a shift-xor
   that carries the high bits down, which the multiply alone never does. Each part is a
   bijection of h, so a single differing word always changes the result. */
static inline uint64_t hash_word(uint64_t h, uint64_t w)
{
    h = (h ^ w) * FNV64_PRIME;
    return h ^ (h >> 32);
}

uint64_t machine_state_hash(Machine *m)
{
    /* RAM is whole pages, so whole words. About 2 GB/s: 0.1 s for the default 128 MiB. */
    uint64_t h = x86_state_hash(&m->cpu, FNV64_OFFSET);
    /* the virtual clock and every device, through their snapshot tables */
    h = vmstate_hash(&vclock_vmstate, &m->clock, h);
    h = vmstate_hash(&pic_vmstate, &m->pic, h);
    for (uint64_t i = 0; i < m->ram_size; i += 8) {
        h = hash_word(h, mem_ld_le(m->ram + i, 8));
    }
    return hash_word(h, m->ram_size);
}

void machine_print_stats(Machine *m, FILE *out)
{
    const TCGStats *st = &m->tcg.stats;
    double hit = st->jc_lookups ? 100.0 * (double)st->jc_hits / (double)st->jc_lookups : 0.0;
    fprintf(out, "instructions retired: %" PRIu64 "\n", m->icount);
    fprintf(out, "state hash: %016" PRIx64 "\n", machine_state_hash(m));
    fprintf(out, "virtual time: %" PRId64 " ns\n", vclock_peek_ns(&m->clock));
    fprintf(out, "translated blocks: %" PRIu64 "\n", st->tbs_translated);
    fprintf(out, "guest instructions translated: %" PRIu64 "\n", st->guest_insns_translated);
    fprintf(out, "host code bytes: %" PRIu64 "\n", st->host_code_bytes);
    fprintf(out, "chained jumps: %" PRIu64 "\n", st->chained);
    fprintf(out, "jump cache hit rate: %.1f%%\n", hit);
    fprintf(out, "budget exits: %" PRIu64 "\n", st->exits_budget);
    fprintf(out, "tb flushes: %" PRIu64 "\n", st->tb_flushes);
    fprintf(out, "tbs invalidated: %" PRIu64 "\n", st->tbs_invalidated);
    fprintf(out, "flag computations: %" PRIu64 " defined, %" PRIu64 " eliminated\n", st->flags_defs,
            st->flags_dropped);
    fprintf(out, "tlb fills: %" PRIu64 "\n", m->tlb_fills);
    fprintf(out, "tlb flushes: %" PRIu64 "\n", m->tlb_flushes);
    fprintf(out, "slow loads: %" PRIu64 "\n", m->slow_loads);
    fprintf(out, "slow stores: %" PRIu64 "\n", m->slow_stores);
    fprintf(out, "smc invalidations: %" PRIu64 "\n", m->smc_invalidations);
}
