/*
 * softmmu/main.c — xlat's command line and main().
 *
 * Options are spelled as qemu-system-x86_64 spells them (DESIGN.md, "Compatibility with users'
 * habits"), so test scripts carry over: -bios, -m, -accel, -debugcon, -device isa-debug-exit,
 * -d/-D; display, monitor and reboot options that have no meaning here yet are accepted when
 * they ask for nothing (-nographic, -display none, ...). Like QEMU, "--opt" equals "-opt".
 * Anything else is a one-line error and exit status 1.
 *
 * Only main() lives here: everything it calls is in libxlat.a, where unit tests reach it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "softmmu/machine.h"

#ifndef XLAT_VERSION
#define XLAT_VERSION "0.1"
#endif

#define DEFAULT_RAM_MIB 128 /* QEMU's default for the PC machines */

static const char *progname = "xlat";

static _Noreturn void usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(XLAT_EXIT_USAGE);
}

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: %s -bios FILE [options]\n"
            "\n"
            "Machine:\n"
            "  -bios FILE           firmware image (a multiple of 64 KiB, at most 2 MiB)\n"
            "  -m [size=]SIZE       guest RAM; a plain number is MiB, or use a K/M/G suffix "
            "(default %d)\n"
            "  -accel jit|interp[,tb-size=N]  translator backend (default: jit where built) and\n"
            "                       code-cache size in MiB (or with a K suffix); -accel help\n"
            "  -debugcon DEV        debug console on port 0xE9: file:PATH, stdio (default), none\n"
            "  -device isa-debug-exit[,iobase=0xf4][,iosize=0x04]\n"
            "                       a write of V to the port exits with status (V << 1) | 1\n"
            "\n"
            "Debugging:\n"
            "  -d ITEM[,ITEM...]    log items (-d help lists them)\n"
            "  -D FILE              write the log to FILE instead of stderr\n"
            "  -stats               print execution statistics to stderr at exit\n"
            "\n"
            "Accepted for compatibility, no effect yet: -nographic, -display none, -no-reboot,\n"
            "  -monitor none, -serial none\n"
            "\n"
            "  -h, --help           this text\n"
            "  --version            version\n",
            progname, DEFAULT_RAM_MIB);
}

/* ---- -d ------------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned mask;
    const char *help;
} log_items[] = {
    {"in_asm", LOG_IN_ASM, "guest code of each translated block"},
    {"op", LOG_OP, "IR of each block as translated"},
    {"op_opt", LOG_OP_OPT, "IR after optimization"},
    {"out_asm", LOG_OUT_ASM, "host code generated"},
    {"exec", LOG_EXEC, "each block executed (no chaining)"},
    {"cpu", LOG_CPU, "guest registers before each block (no chaining)"},
    {"int", LOG_INT, "interrupts and exceptions"},
    {"unimp", LOG_UNIMP, "unimplemented features and unassigned ports"},
};

static unsigned parse_log_items(const char *list)
{
    unsigned mask = 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        bool found = false;
        if (len == 4 && strncmp(p, "help", 4) == 0) {
            printf("Log items (comma separated):\n");
            for (size_t i = 0; i < sizeof(log_items) / sizeof(log_items[0]); i++) {
                printf("%-10s %s\n", log_items[i].name, log_items[i].help);
            }
            exit(0);
        }
        for (size_t i = 0; i < sizeof(log_items) / sizeof(log_items[0]); i++) {
            if (strlen(log_items[i].name) == len && strncmp(p, log_items[i].name, len) == 0) {
                mask |= log_items[i].mask;
                found = true;
            }
        }
        if (!found) {
            usage_error("unknown -d item '%.*s' (try -d help)", (int)len, p);
        }
        if (!p[len]) {
            return mask;
        }
        p += len + 1;
    }
}

/* ---- -m ------------------------------------------------------------------------------------- */

/* "512", "512M", "1G", "65536K": bytes, or 0 if malformed. A plain number counts MiB. */
static uint64_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9') {
        return 0;
    }
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || end == s) {
        return 0;
    }
    unsigned shift;
    switch (*end) {
    case '\0':
    case 'M':
    case 'm':
        shift = 20;
        break;
    case 'K':
    case 'k':
        shift = 10;
        break;
    case 'G':
    case 'g':
        shift = 30;
        break;
    case 'T':
    case 't':
        shift = 40;
        break;
    case 'B':
    case 'b':
        shift = 0;
        break;
    default:
        return 0;
    }
    if (*end && end[1]) {
        return 0;
    }
    if (n > (UINT64_MAX >> shift)) {
        return 0;
    }
    return (uint64_t)n << shift;
}

static uint64_t parse_mem_option(const char *arg)
{
    /* -m [size=]megs[,slots=n,maxmem=size]: memory hotplug does not exist here */
    const char *v = strncmp(arg, "size=", 5) == 0 ? arg + 5 : arg;
    if (strchr(v, ',')) {
        usage_error("-m %s: only a size is supported (no slots or maxmem)", arg);
    }
    uint64_t size = parse_size(v);
    if (size == 0) {
        usage_error("-m %s: not a memory size (e.g. 128, 512M, 1G)", arg);
    }
    return size;
}

/* ---- -device -------------------------------------------------------------------------------- */

static uint16_t parse_port_prop(const char *opt, const char *name, const char *val,
                                unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(val, &end, 0);
    if (errno || end == val || *end || v > max || *val == '-') {
        usage_error("-device %s: bad %s '%s'", opt, name, val);
    }
    return (uint16_t)v;
}

static void parse_device(MachineOptions *opt, const char *arg)
{
    size_t len = strcspn(arg, ",");
    if ((len == 4 && strncmp(arg, "help", 4) == 0)) {
        printf("Devices (-device NAME[,PROP=VALUE...]):\n"
               "isa-debug-exit       iobase=0xf4, iosize=0x04\n");
        exit(0);
    }
    if (len != strlen("isa-debug-exit") || strncmp(arg, "isa-debug-exit", len) != 0) {
        usage_error("unsupported device '%.*s' (supported: isa-debug-exit)", (int)len, arg);
    }
    opt->debug_exit = true;
    opt->debug_exit_iobase = 0xf4;
    opt->debug_exit_iosize = 0x04;
    const char *p = arg + len;
    while (*p == ',') {
        p++;
        size_t plen = strcspn(p, ",");
        char prop[64];
        if (plen >= sizeof(prop)) {
            usage_error("-device %s: property too long", arg);
        }
        memcpy(prop, p, plen);
        prop[plen] = '\0';
        char *eq = strchr(prop, '=');
        if (!eq) {
            usage_error("-device %s: '%s' is not PROP=VALUE", arg, prop);
        }
        *eq = '\0';
        if (strcmp(prop, "iobase") == 0) {
            opt->debug_exit_iobase = parse_port_prop(arg, prop, eq + 1, 0xffff);
        } else if (strcmp(prop, "iosize") == 0) {
            opt->debug_exit_iosize = parse_port_prop(arg, prop, eq + 1, 0x10000 - 1);
            if (opt->debug_exit_iosize == 0) {
                usage_error("-device %s: iosize must not be 0", arg);
            }
        } else {
            usage_error("-device %s: unknown property '%s' (isa-debug-exit has iobase, iosize)",
                        arg, prop);
        }
        p += plen;
    }
}

/* ---- -accel --------------------------------------------------------------------------------- */

/* -accel NAME[,tb-size=SIZE]: QEMU spells the code-cache size tb-size, in MiB; a K suffix is
   accepted too, which tests use to make the cache flush often. */
static const char *parse_accel(const char *arg, size_t *tb_size)
{
    if (strcmp(arg, "help") == 0) {
        printf("Accelerators supported in xlat:\n");
#ifdef CONFIG_HOST_X86_64
        printf("jit\n");
#endif
        printf("interp\n");
        exit(0);
    }
    static char name[32];
    const char *comma = strchr(arg, ',');
    size_t n = comma ? (size_t)(comma - arg) : strlen(arg);
    if (n >= sizeof(name)) {
        usage_error("-accel %s: unknown accelerator (try -accel help)", arg);
    }
    memcpy(name, arg, n);
    name[n] = 0;
    while (comma) {
        const char *prop = comma + 1;
        comma = strchr(prop, ',');
        size_t len = comma ? (size_t)(comma - prop) : strlen(prop);
        if (len > 8 && strncmp(prop, "tb-size=", 8) == 0) {
            char buf[32];
            if (len - 8 >= sizeof(buf)) {
                usage_error("-accel %s: bad tb-size", arg);
            }
            memcpy(buf, prop + 8, len - 8);
            buf[len - 8] = 0;
            size_t digits = strspn(buf, "0123456789");
            bool plain = digits > 0 && buf[digits] == 0;
            uint64_t v = plain ? strtoull(buf, NULL, 10) << 20 : parse_size(buf);
            if (v < (256u << 10) || v > (2048ull << 20)) {
                usage_error("-accel %s: tb-size must be between 256K and 2048 (MiB)", arg);
            }
            *tb_size = (size_t)v;
        } else {
            usage_error("-accel %s: unknown property (xlat knows tb-size=N)", arg);
        }
    }
    if (strcmp(name, "jit") == 0 || strcmp(name, "interp") == 0) {
        return name; /* machine_create says so clearly if the JIT is not built here */
    }
    if (strcmp(name, "tcg") == 0) {
        return NULL; /* QEMU's name for a binary translator: our default one */
    }
    usage_error("-accel %s: unknown accelerator (try -accel help)", arg);
}

/* ---- main ----------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    MachineOptions opt = {
        .ram_size = (uint64_t)DEFAULT_RAM_MIB << 20,
    };

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            usage_error("unexpected argument '%s' (disk images are not supported yet)", a);
        }
        if (a[1] == '-' && a[2] != '\0') {
            a++; /* --opt is -opt, as in QEMU */
        }
        /* options without an argument */
        if (strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0) {
            print_usage(stdout);
            return 0;
        }
        if (strcmp(a, "-version") == 0) {
            printf("xlat version " XLAT_VERSION "\n");
            return 0;
        }
        if (strcmp(a, "-stats") == 0) {
            opt.stats = true;
            continue;
        }
        if (strcmp(a, "-nographic") == 0 || strcmp(a, "-no-reboot") == 0) {
            continue;
        }
        /* options with one argument */
        static const char *const with_arg[] = {
            "-bios", "-m", "-accel",   "-debugcon", "-device",
            "-d",    "-D", "-display", "-monitor",  "-serial",
        };
        bool known = false;
        for (size_t k = 0; k < sizeof(with_arg) / sizeof(with_arg[0]); k++) {
            known |= strcmp(a, with_arg[k]) == 0;
        }
        if (!known) {
            usage_error("unknown option '%s' (try -h)", argv[i]);
        }
        if (i + 1 >= argc) {
            usage_error("option '%s' requires an argument", argv[i]);
        }
        const char *v = argv[++i];
        if (strcmp(a, "-bios") == 0) {
            opt.bios = v;
        } else if (strcmp(a, "-m") == 0) {
            opt.ram_size = parse_mem_option(v);
        } else if (strcmp(a, "-accel") == 0) {
            opt.accel = parse_accel(v, &opt.code_cache_size);
        } else if (strcmp(a, "-debugcon") == 0) {
            opt.debugcon = v;
        } else if (strcmp(a, "-device") == 0) {
            parse_device(&opt, v);
        } else if (strcmp(a, "-d") == 0) {
            opt.log_mask |= parse_log_items(v);
        } else if (strcmp(a, "-D") == 0) {
            opt.log_file = v;
        } else if (strcmp(v, "none") != 0) {
            /* -display, -monitor, -serial: nothing to attach them to yet */
            usage_error("%s %s is not supported yet (only 'none')", argv[i - 1], v);
        }
    }

    Machine *m = machine_create(&opt);
    if (!m) {
        return XLAT_EXIT_USAGE;
    }
    int status = machine_run(m);
    if (opt.stats) {
        machine_print_stats(m, stderr);
    }
    machine_destroy(m);
    return status;
}
