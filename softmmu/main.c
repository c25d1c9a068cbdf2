/*
 * softmmu/main.c — xlat's command line and main().
 *
 * Options are spelled as qemu-system-x86_64 spells them (DESIGN.md, "Compatibility with users'
 * habits"), so test scripts carry over: -bios, -m, -accel, -debugcon, -device isa-debug-exit,
 * -d/-D, -icount, -rtc, -kernel/-append/-initrd, and what x86 test suites pass (-machine, -cpu,
 * -smp, -serial, -chardev, -nodefaults, more devices: softmmu/qemu-options.c); display, monitor
 * and reboot options that have no meaning here yet are accepted when they ask for nothing (-nographic, -display none, ...). Like QEMU, "--opt" equals "-opt".
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
#include "softmmu/qemu-options.h"

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
            "usage: %s -bios FILE | -kernel FILE [options]\n"
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
            "  -kernel FILE         boot a Multiboot (v1) kernel or a Linux bzImage directly; -bios\n"
            "                       is then optional\n"
            "  -append STR          its command line (after the kernel's path, as QEMU does)\n"
            "  -initrd 'FILE [ARGS],...'  Multiboot modules (',,' is a literal comma), or Linux's initrd\n"
            "\n"
            "qemu-system spellings used by x86 test suites:\n"
            "  -machine [type=]pc|q35[,accel=tcg][,pit=on|off]   -cpu MODEL[,+FEAT,-FEAT] (help)\n"
            "  -smp 1   -nodefaults   -display none   -vnc none   -serial stdio|file:PATH|none\n"
            "  -chardev stdio|file|null|socket,id=ID[,path=PATH][,host=H,port=N,server=on,wait=off]\n"
            "  -device isa-debugcon[,iobase=N][,chardev=ID]   -device pc-testdev\n"
            "  -device pci-testdev\n"
            "\n"
            "Time (virtual time counts retired instructions; runs are deterministic):\n"
            "  -icount [shift=]N[,sleep=on|off]\n"
            "                       one instruction is 2^N ns of virtual time (default 0: 1 ns);\n"
            "                       sleep=on paces the guest to the wall clock (default off)\n"
            "  -rtc [base=utc|localtime|DATE][,clock=host|rt|vm]\n"
            "                       RTC start time: the host's, taken once at start-up (default\n"
            "                       utc), or DATE as YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD;\n"
            "                       clock=host|rt paces the guest to the wall clock, vm (default)\n"
            "                       lets virtual time run free\n"
            "  -boot [order=]DRIVES boot order for the BIOS (CMOS): a floppy, c disk, d CD-ROM,\n"
            "                       n network (default cad)\n"
            "  -record FILE         log host input (serial) with the instruction count it reached\n"
            "                       the guest at, and the RTC's start time (gzip)\n"
            "  -replay FILE         feed the guest a -record log at the same instruction counts;\n"
            "                       live input is ignored (docs/record-replay.md)\n"
            "\n"
            "Debugging:\n"
            "  -d ITEM[,ITEM...]    log items (-d help lists them)\n"
            "  -D FILE              write the log to FILE instead of stderr\n"
            "  -stats               print execution statistics to stderr at exit\n"
            "\n"
            "  -no-reboot           a triple fault ends xlat (status 4) instead of resetting;\n"
            "                       a reset the guest asks for ends it with status 0\n"
            "  -serial stdio|file:PATH|none   COM1's host end (default none); on the terminal,\n"
            "                       Ctrl-A x quits, Ctrl-A h lists the keys\n"
            "  -serial tcp:HOST:PORT[,server=on|off][,wait=on|off]  COM1 on a TCP socket: a\n"
            "                       server (wait=on, the default, waits for the first client)\n"
            "                       or a client; -chardev socket,id=ID,host=H,port=N,server=on\n"
            "  -nographic           no display: COM1 on the terminal unless -serial says otherwise\n"
            "Accepted for compatibility, no effect yet: -display none,\n"
            "  -monitor none, -vnc none\n"
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
    {"post", LOG_POST, "POST codes written to port 0x80"},
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
               "isa-debug-exit       iobase=0xf4, iosize=0x04\n"
               "isa-debugcon         iobase=0xe9, chardev=ID\n"
               "pc-testdev           QEMU's ISA test device\n"
               "pci-testdev          QEMU's PCI test device (1b36:0005)\n");
        exit(0);
    }
    if (len != strlen("isa-debug-exit") || strncmp(arg, "isa-debug-exit", len) != 0) {
        usage_error("unsupported device '%.*s' (supported: isa-debug-exit, isa-debugcon, "
                    "pc-testdev, pci-testdev)",
                    (int)len, arg);
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

/* ---- -icount and -rtc -------------------------------------------------------------------- */

/* The next NAME=VALUE (or bare VALUE) item of *p (softmmu/qemu-options.c splits it); an item too
   long for the buffers is a usage error. Returns false at the end. */
static bool next_item(const char **p, char *name, size_t nlen, char *val, size_t vlen)
{
    char err[160];
    bool too_long;
    bool more = qopt_next_prop(p, name, nlen, val, vlen, err, sizeof(err), &too_long);
    if (too_long) {
        usage_error("%s", err);
    }
    return more;
}

static bool parse_on_off(const char *opt, const char *name, const char *val)
{
    if (strcmp(val, "on") == 0) {
        return true;
    }
    if (strcmp(val, "off") != 0) {
        usage_error("%s: %s must be on or off, not '%s'", opt, name, val);
    }
    return false;
}

/* -icount [shift=]N[,sleep=on|off], as QEMU spells it. xlat always counts instructions; the
   option only sets the rate. QEMU's shift=auto and align adapt to the host, which would make
   runs differ, so they are refused. Unlike QEMU, sleep defaults to off (tests, benchmarks). */
static void parse_icount(MachineOptions *opt, const char *arg)
{
    char name[32], val[64];
    const char *p = arg;
    while (next_item(&p, name, sizeof(name), val, sizeof(val))) {
        if (!*name || strcmp(name, "shift") == 0) {
            char *end;
            errno = 0;
            unsigned long n = strtoul(val, &end, 10);
            if (strcmp(val, "auto") == 0) {
                usage_error("-icount shift=auto adapts to the host's speed; xlat's virtual time "
                            "must not (give a number, 0 to %d)",
                            VCLOCK_MAX_SHIFT);
            }
            if (errno || end == val || *end || *val == '-' || n > VCLOCK_MAX_SHIFT) {
                usage_error("-icount: shift must be a number from 0 to %d, not '%s'",
                            VCLOCK_MAX_SHIFT, val);
            }
            opt->icount_shift = (unsigned)n;
        } else if (strcmp(name, "sleep") == 0) {
            opt->pace = parse_on_off("-icount", name, val);
        } else {
            usage_error("-icount: unknown property '%s' (xlat has shift and sleep)", name);
        }
    }
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (the usual era-based
   formula: March-based years so the leap day is last). */
static int64_t days_from_civil(int64_t y, unsigned mo, unsigned d)
{
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* "2006-06-17T16:01:21" or "2006-06-17": seconds since 1970-01-01T00:00:00. */
static bool parse_rtc_date(const char *s, int64_t *out)
{
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    int n = 0;
    if (sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &n) != 3) {
        return false;
    }
    if (s[n] == 'T') {
        int n2 = 0;
        if (sscanf(s + n, "T%2u:%2u:%2u%n", &h, &mi, &sec, &n2) != 3) {
            return false;
        }
        n += n2;
    }
    if (s[n] || y < 1970 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 59) {
        return false;
    }
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

/* -rtc [base=utc|localtime|DATE][,clock=host|rt|vm][,driftfix=none|slew] */
static void parse_rtc(MachineOptions *opt, const char *arg)
{
    char name[32], val[64];
    const char *p = arg;
    while (next_item(&p, name, sizeof(name), val, sizeof(val))) {
        if (strcmp(name, "base") == 0) {
            if (strcmp(val, "utc") == 0) {
                opt->rtc_base_set = false;
                opt->rtc_localtime = false;
            } else if (strcmp(val, "localtime") == 0) {
                opt->rtc_base_set = false;
                opt->rtc_localtime = true;
            } else if (parse_rtc_date(val, &opt->rtc_base)) {
                opt->rtc_base_set = true;
            } else {
                usage_error("-rtc base=%s: use utc, localtime, YYYY-MM-DD or "
                            "YYYY-MM-DDTHH:MM:SS (years 1970 to 2099)",
                            val);
            }
        } else if (strcmp(name, "clock") == 0) {
            /* The RTC always runs on virtual time; host/rt only make virtual time keep pace
               with the wall clock (it never runs ahead), which is what a user of those wants. */
            if (strcmp(val, "host") == 0 || strcmp(val, "rt") == 0) {
                opt->pace = true;
            } else if (strcmp(val, "vm") == 0) {
                opt->pace = false;
            } else {
                usage_error("-rtc clock=%s: use host, rt or vm", val);
            }
        } else if (strcmp(name, "driftfix") == 0) {
            /* no lost ticks to make up for: every tick is delivered at its instruction count */
            if (strcmp(val, "none") != 0 && strcmp(val, "slew") != 0) {
                usage_error("-rtc driftfix=%s: use none or slew", val);
            }
        } else {
            usage_error("-rtc: unknown property '%s' (base, clock, driftfix)", *name ? name : val);
        }
    }
}

/* -boot [order=]DRIVES[,...]: QEMU's boot order letters, kept for the CMOS (hw/mc146818.c);
   menu, splash and the like have nothing to act on and are accepted */
static void parse_boot(MachineOptions *opt, const char *arg)
{
    char name[32], val[64];
    const char *p = arg;
    while (next_item(&p, name, sizeof(name), val, sizeof(val))) {
        if (!*name || strcmp(name, "order") == 0 || strcmp(name, "once") == 0) {
            if (!*val || strspn(val, "acdn") != strlen(val)) {
                usage_error("-boot %s: drives are letters a (floppy), c (disk), d (CD-ROM), "
                            "n (network)",
                            arg);
            }
            opt->boot_order = strdup(val);
        } else if (strcmp(name, "menu") != 0 && strcmp(name, "splash") != 0 &&
                   strcmp(name, "splash-time") != 0 && strcmp(name, "reboot-timeout") != 0 &&
                   strcmp(name, "strict") != 0) {
            usage_error("-boot: unknown property '%s'", name);
        }
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
    QemuOptState qst = {0}; /* -chardev and what refers to it (softmmu/qemu-options.c) */
    char err[512];
    bool nodefaults = false;
    bool nographic = false;

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
        if (strcmp(a, "-no-reboot") == 0) {
            opt.no_reboot = true;
            continue;
        }
        if (strcmp(a, "-nographic") == 0) {
            nographic = true;
            continue;
        }
        if (strcmp(a, "-nodefaults") == 0) {
            nodefaults = true;
            continue;
        }
        if (strcmp(a, "-enable-kvm") == 0) {
            usage_error("-enable-kvm: xlat is a binary translator; there is no KVM to enable");
        }
        /* options with one argument */
        static const char *const with_arg[] = {
            "-bios", "-m", "-accel",   "-debugcon", "-device", "-d",
            "-D",    "-display", "-monitor", "-serial", "-icount", "-rtc", "-boot",
            /* qemu's spelling used by x86 test suites (softmmu/qemu-options.c) */
            "-kernel", "-initrd", "-append", "-machine", "-cpu", "-smp", "-chardev", "-vnc",
            "-record", "-replay",
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
            qst.debugcon_option = true;
        } else if (strcmp(a, "-device") == 0) {
            int r = qopt_device(&opt, &qst, v, err, sizeof(err));
            if (r < 0) {
                usage_error("%s", err);
            }
            if (r == 2) {
                parse_device(&opt, v);
            }
        } else if (strcmp(a, "-record") == 0) {
            opt.record = v;
        } else if (strcmp(a, "-replay") == 0) {
            opt.replay = v;
        } else if (strcmp(a, "-kernel") == 0) {
            opt.kernel = v;
        } else if (strcmp(a, "-initrd") == 0) {
            opt.initrd = v;
        } else if (strcmp(a, "-append") == 0) {
            opt.append = v;
        } else if (strcmp(a, "-machine") == 0 || strcmp(a, "-cpu") == 0 ||
                   strcmp(a, "-smp") == 0 || strcmp(a, "-serial") == 0 ||
                   strcmp(a, "-chardev") == 0) {
            int r = strcmp(a, "-machine") == 0 ? qopt_machine(&opt, v, err, sizeof(err))
                    : strcmp(a, "-cpu") == 0   ? qopt_cpu(&opt, v, err, sizeof(err))
                    : strcmp(a, "-smp") == 0   ? qopt_smp(&opt, v, err, sizeof(err))
                    : strcmp(a, "-serial") == 0
                        ? qopt_serial(&opt, &qst, v, err, sizeof(err))
                        : qopt_chardev(&qst, v, err, sizeof(err));
            if (r < 0) {
                usage_error("%s", err);
            }
            if (r == 1) {
                return 0; /* help printed */
            }
        } else if (strcmp(a, "-d") == 0) {
            opt.log_mask |= parse_log_items(v);
        } else if (strcmp(a, "-D") == 0) {
            opt.log_file = v;
        } else if (strcmp(a, "-icount") == 0) {
            parse_icount(&opt, v);
        } else if (strcmp(a, "-rtc") == 0) {
            parse_rtc(&opt, v);
        } else if (strcmp(a, "-boot") == 0) {
            parse_boot(&opt, v);
        } else if (strcmp(v, "none") != 0) {
            /* -display, -monitor, -vnc: nothing to attach them to yet */
            usage_error("%s %s is not supported yet (only 'none')", argv[i - 1], v);
        }
    }

    if (qopt_finish(&opt, &qst, err, sizeof(err)) < 0) {
        usage_error("%s", err);
    }
    if (nodefaults && !opt.debugcon) {
        opt.debugcon = "none"; /* no default devices: the debug console's output goes nowhere */
    }
    if (nographic && !nodefaults && !opt.serial) {
        opt.serial = "stdio"; /* as in QEMU: with no display, COM1 is the terminal */
    }
    if ((opt.initrd || opt.append) && !opt.kernel) {
        usage_error("-initrd and -append need -kernel");
    }

    Machine *m = machine_create(&opt);
    if (!m) {
        qopt_free(&qst);
        return XLAT_EXIT_USAGE;
    }
    m->tcg.count_tlb_hits = opt.stats; /* before any code is generated */
    int status = machine_run(m);
    if (opt.stats) {
        machine_print_stats(m, stderr);
    }
    machine_destroy(m);
    qopt_free(&qst);
    return status;
}
