/*
 * softmmu/qemu-options.c — qemu-system's spelling of the options x86 test suites use, so their
 * run scripts work unchanged (DESIGN.md, "Compatibility with users' habits"):
 *
 *   -machine [type=]pc|q35|...[,accel=tcg][,pit=on|off]
 *                        the board is always xlat's PC, so a PC machine type is accepted and
 *                        ignored; accel must allow tcg (xlat is a binary translator, like TCG);
 *                        pit=off removes the 8254.
 *   -cpu MODEL[,+feat][,-feat][,feat=on|off]    cpu/cpu-models.c; -cpu host is refused.
 *   -smp [cpus=]N[,sockets=,cores=,threads=,maxcpus=]   one CPU only, for now.
 *   -serial stdio|file:PATH|tcp:HOST:PORT[,server=on|off][,wait=on|off]|none|null|chardev:ID
 *                        the first UART's backend (also the older tcp:...,server,nowait).
 *   -chardev stdio|file|null|socket,id=ID[,path=PATH][,host=H,port=N,server=on,wait=off]
 *                        named backends for the two above.
 *   -device isa-debugcon[,iobase=N][,chardev=ID]        the debug console (like -debugcon).
 *   -device pc-testdev                                  hw/pc-testdev.c.
 *   -device pci-testdev                                 hw/pci-testdev.c.
 * Anything outside these is a one-line error naming what is supported.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softmmu/qemu-options.h"

/* The next "name=value" (or bare "value") item of *p; advances *p past it and its comma.
   Returns false at the end. */
bool qopt_next_prop(const char **p, char *name, size_t nlen, char *val, size_t vlen,
                    char *err, size_t n, bool *too_long)
{
    *too_long = false;
    if (!**p) {
        return false;
    }
    size_t len = strcspn(*p, ",");
    const char *eq = memchr(*p, '=', len);
    size_t name_len = eq ? (size_t)(eq - *p) : 0;
    size_t val_len = eq ? len - name_len - 1 : len;
    if (name_len >= nlen || val_len >= vlen) {
        snprintf(err, n, "option item '%.*s' is too long", (int)len, *p);
        *too_long = true;
        return false;
    }
    memcpy(name, *p, name_len);
    name[name_len] = '\0';
    memcpy(val, eq ? eq + 1 : *p, val_len);
    val[val_len] = '\0';
    *p += len;
    if (**p == ',') {
        (*p)++;
    }
    return true;
}

static int on_off(const char *opt, const char *name, const char *val, bool *out, char *err,
                  size_t n)
{
    if (strcmp(val, "on") == 0 || strcmp(val, "yes") == 0 || strcmp(val, "true") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(val, "off") == 0 || strcmp(val, "no") == 0 || strcmp(val, "false") == 0) {
        *out = false;
        return 0;
    }
    snprintf(err, n, "%s: %s must be on or off, not '%s'", opt, name, val);
    return -1;
}

/* Machine types that are a PC with the devices xlat has (or will have): i440FX and Q35 boards
   and their versioned names. */
static bool pc_machine_type(const char *t)
{
    return strcmp(t, "pc") == 0 || strcmp(t, "q35") == 0 || strcmp(t, "isapc") == 0 ||
           strncmp(t, "pc-i440fx-", 10) == 0 || strncmp(t, "pc-q35-", 7) == 0;
}

/* accel=A[:B...]: QEMU tries each in turn; xlat's translator stands for tcg. */
static int machine_accel(const char *val, char *err, size_t n)
{
    const char *p = val;
    while (*p) {
        size_t len = strcspn(p, ":");
        if (len == 3 && strncmp(p, "tcg", 3) == 0) {
            return 0;
        }
        p += len + (p[len] == ':');
    }
    snprintf(err, n,
             "-machine accel=%s: xlat is a binary translator and has no hardware accelerator "
             "(KVM, HVF, WHPX, Xen); use accel=tcg or leave accel out",
             val);
    return -1;
}

int qopt_machine(MachineOptions *o, const char *arg, char *err, size_t n)
{
    char name[32], val[256];
    bool too_long, first = true;
    const char *p = arg;
    if (strcmp(arg, "help") == 0) {
        printf("Supported machines (all are xlat's PC):\n"
               "pc, q35, isapc, pc-i440fx-*, pc-q35-*\n"
               "Properties: accel=tcg, pit=on|off\n");
        return 1;
    }
    while (qopt_next_prop(&p, name, sizeof(name), val, sizeof(val), err, n, &too_long)) {
        if ((first && !*name) || strcmp(name, "type") == 0) {
            if (!pc_machine_type(val)) {
                snprintf(err, n, "-machine %s: unsupported machine type '%s' (xlat emulates a PC: "
                         "pc or q35)", arg, val);
                return -1;
            }
        } else if (strcmp(name, "accel") == 0) {
            if (machine_accel(val, err, n) < 0) {
                return -1;
            }
        } else if (strcmp(name, "pit") == 0) {
            bool on;
            if (on_off("-machine", name, val, &on, err, n) < 0) {
                return -1;
            }
            o->no_pit = !on;
        } else {
            snprintf(err, n, "-machine %s: unsupported property '%s' (xlat knows accel, pit)",
                     arg, *name ? name : val);
            return -1;
        }
        first = false;
    }
    return too_long ? -1 : 0;
}

int qopt_cpu(MachineOptions *o, const char *arg, char *err, size_t n)
{
    if (strcmp(arg, "help") == 0 || strcmp(arg, "?") == 0) {
        x86_cpu_list(stdout);
        return 1;
    }
    return x86_cpu_choice_parse(&o->cpu_model, arg, err, n);
}

static int parse_count(const char *opt, const char *name, const char *val, unsigned long *out,
                       char *err, size_t n)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(val, &end, 10);
    if (errno || end == val || *end || *val == '-') {
        snprintf(err, n, "%s: %s must be a number, not '%s'", opt, name, val);
        return -1;
    }
    *out = v;
    return 0;
}

int qopt_smp(MachineOptions *o, const char *arg, char *err, size_t n)
{
    (void)o;
    char name[32], val[64];
    bool too_long, first = true;
    const char *p = arg;
    unsigned long cpus = 0, sockets = 1, cores = 1, threads = 1, maxcpus = 0, dies = 1;
    while (qopt_next_prop(&p, name, sizeof(name), val, sizeof(val), err, n, &too_long)) {
        unsigned long *dst;
        if ((first && !*name) || strcmp(name, "cpus") == 0) {
            dst = &cpus;
        } else if (strcmp(name, "sockets") == 0) {
            dst = &sockets;
        } else if (strcmp(name, "cores") == 0) {
            dst = &cores;
        } else if (strcmp(name, "threads") == 0) {
            dst = &threads;
        } else if (strcmp(name, "dies") == 0) {
            dst = &dies;
        } else if (strcmp(name, "maxcpus") == 0) {
            dst = &maxcpus;
        } else {
            snprintf(err, n, "-smp %s: unknown property '%s'", arg, *name ? name : val);
            return -1;
        }
        if (parse_count("-smp", *name ? name : "cpus", val, dst, err, n) < 0) {
            return -1;
        }
        first = false;
    }
    if (too_long) {
        return -1;
    }
    unsigned long topo = sockets * dies * cores * threads;
    if (cpus == 0) {
        cpus = topo;
    }
    if (cpus > 1 || topo > 1 || maxcpus > 1) {
        snprintf(err, n, "-smp %s: SMP is not implemented yet (xlat runs one CPU: -smp 1)", arg);
        return -1;
    }
    return 0;
}

/* A character backend as -debugcon spells it, or NULL with err set. */
static char *backend_spec(const char *opt, const char *spec, char *err, size_t n)
{
    if (strcmp(spec, "stdio") == 0 || strcmp(spec, "none") == 0) {
        return strdup(spec);
    }
    if (strcmp(spec, "null") == 0) {
        return strdup("none");
    }
    if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        return strdup(spec);
    }
    if (strncmp(spec, "tcp:", 4) == 0) {
        ChrTcpSpec t;
        char why[400];
        if (chr_parse_tcp(spec + 4, &t, why, sizeof(why)) < 0) {
            snprintf(err, n, "%s %s", opt, why);
            return NULL;
        }
        return strdup(spec);
    }
    snprintf(err, n, "%s %s: unsupported backend (use stdio, file:PATH, tcp:HOST:PORT, none or "
             "null)", opt, spec);
    return NULL;
}

int qopt_serial(MachineOptions *o, QemuOptState *st, const char *arg, char *err, size_t n)
{
    if (o->serial || st->serial_chardev || st->serial_spec) {
        snprintf(err, n, "-serial %s: only one serial port (COM1) is supported", arg);
        return -1;
    }
    if (strncmp(arg, "chardev:", 8) == 0 && arg[8]) {
        st->serial_chardev = strdup(arg + 8);
        return st->serial_chardev ? 0 : -1;
    }
    st->serial_spec = backend_spec("-serial", arg, err, n);
    if (!st->serial_spec) {
        return -1;
    }
    o->serial = st->serial_spec;
    return 0;
}

int qopt_chardev(QemuOptState *st, const char *arg, char *err, size_t n)
{
    char name[32], val[4096];
    bool too_long;
    const char *p = arg;
    char backend[16] = "";
    char id[32] = "";
    char path[4096] = "";
    /* socket: host, port, server, wait (as -serial tcp: spells them) */
    char host[256] = "", port[16] = "";
    bool server = false, wait = true, wait_given = false;
    if (!qopt_next_prop(&p, name, sizeof(name), backend, sizeof(backend), err, n, &too_long) ||
        *name) {
        snprintf(err, n, "-chardev %s: give the backend first (stdio, file, socket or null)", arg);
        return -1;
    }
    bool socket = strcmp(backend, "socket") == 0;
    while (qopt_next_prop(&p, name, sizeof(name), val, sizeof(val), err, n, &too_long)) {
        if (strcmp(name, "id") == 0 && strlen(val) < sizeof(id)) {
            strcpy(id, val);
        } else if (strcmp(name, "path") == 0 && socket) {
            snprintf(err, n, "-chardev %s: Unix-domain sockets are not supported (use host=, "
                     "port=)", arg);
            return -1;
        } else if (strcmp(name, "path") == 0) {
            strcpy(path, val);
        } else if (socket && strcmp(name, "host") == 0 && strlen(val) < sizeof(host)) {
            strcpy(host, val);
        } else if (socket && strcmp(name, "port") == 0 && strlen(val) < sizeof(port)) {
            strcpy(port, val);
        } else if (socket && (strcmp(name, "server") == 0 || (!*name && strcmp(val, "server") == 0))) {
            if (*name && on_off("-chardev", name, val, &server, err, n) < 0) {
                return -1;
            }
            server = server || !*name;
        } else if (socket && strcmp(name, "wait") == 0) {
            if (on_off("-chardev", name, val, &wait, err, n) < 0) {
                return -1;
            }
            wait_given = true;
        } else if (socket && !*name && strcmp(val, "nowait") == 0) {
            wait = false;
            wait_given = true;
        } else if (socket && strcmp(name, "nodelay") == 0) {
            bool on;
            if (on_off("-chardev", name, val, &on, err, n) < 0) {
                return -1;
            }
        } else if (strcmp(name, "signal") == 0 || strcmp(name, "mux") == 0 ||
                   strcmp(name, "logfile") == 0 || strcmp(name, "append") == 0) {
            snprintf(err, n, "-chardev %s: property '%s' is not supported", arg, name);
            return -1;
        } else {
            snprintf(err, n, "-chardev %s: unknown property '%s'", arg, *name ? name : val);
            return -1;
        }
    }
    if (too_long) {
        return -1;
    }
    if (!*id) {
        snprintf(err, n, "-chardev %s: an id=NAME is required", arg);
        return -1;
    }
    for (int i = 0; i < st->nb_chardevs; i++) {
        if (strcmp(st->chardev[i].id, id) == 0) {
            snprintf(err, n, "-chardev %s: duplicate id '%s'", arg, id);
            return -1;
        }
    }
    if (st->nb_chardevs >= QOPT_MAX_CHARDEVS) {
        snprintf(err, n, "-chardev %s: too many character devices", arg);
        return -1;
    }
    char *spec = NULL;
    if (strcmp(backend, "stdio") == 0) {
        spec = strdup("stdio");
    } else if (strcmp(backend, "null") == 0) {
        spec = strdup("none");
    } else if (socket) {
        if (!*port) {
            snprintf(err, n, "-chardev %s: the socket backend needs port=N (and host=ADDRESS; "
                     "default 127.0.0.1)", arg);
            return -1;
        }
        bool v6 = strchr(host, ':') != NULL;
        char tcp[400];
        snprintf(tcp, sizeof(tcp), "%s%s%s:%s,server=%s%s", v6 ? "[" : "", host, v6 ? "]" : "",
                 port, server ? "on" : "off",
                 wait_given ? (wait ? ",wait=on" : ",wait=off") : "");
        ChrTcpSpec t;
        char why[400];
        if (chr_parse_tcp(tcp, &t, why, sizeof(why)) < 0) {
            snprintf(err, n, "-chardev %s: %s", arg, why);
            return -1;
        }
        size_t len = strlen(tcp) + 5;
        spec = malloc(len);
        if (spec) {
            snprintf(spec, len, "tcp:%s", tcp);
        }
    } else if (strcmp(backend, "file") == 0) {
        if (!*path) {
            snprintf(err, n, "-chardev %s: the file backend needs path=PATH", arg);
            return -1;
        }
        size_t len = strlen(path) + 6;
        spec = malloc(len);
        if (spec) {
            snprintf(spec, len, "file:%s", path);
        }
    } else {
        snprintf(err, n, "-chardev %s: unsupported backend '%s' (stdio, file, socket, null)", arg,
                 backend);
        return -1;
    }
    if (!spec) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    QemuChardev *c = &st->chardev[st->nb_chardevs++];
    strcpy(c->id, id);
    c->spec = spec;
    return 0;
}

static int device_debugcon(MachineOptions *o, QemuOptState *st, const char *arg, const char *p,
                           char *err, size_t n)
{
    char name[32], val[64];
    bool too_long;
    if (st->debugcon_device) {
        snprintf(err, n, "-device %s: only one debug console is supported", arg);
        return -1;
    }
    st->debugcon_device = true;
    while (qopt_next_prop(&p, name, sizeof(name), val, sizeof(val), err, n, &too_long)) {
        if (strcmp(name, "iobase") == 0) {
            char *end;
            errno = 0;
            unsigned long v = strtoul(val, &end, 0);
            if (errno || end == val || *end || *val == '-' || v > 0xffff) {
                snprintf(err, n, "-device %s: bad iobase '%s'", arg, val);
                return -1;
            }
            o->debugcon_iobase = (uint16_t)v;
        } else if (strcmp(name, "chardev") == 0) {
            free(st->debugcon_chardev);
            st->debugcon_chardev = strdup(val);
        } else if (strcmp(name, "readback") == 0) {
            /* QEMU's default readback (0xe9) is the only one xlat's device has */
            if (strtoul(val, NULL, 0) != 0xe9) {
                snprintf(err, n, "-device %s: only readback=0xe9 is supported", arg);
                return -1;
            }
        } else {
            snprintf(err, n, "-device %s: unknown property '%s' (isa-debugcon has iobase, "
                     "chardev)", arg, *name ? name : val);
            return -1;
        }
    }
    return too_long ? -1 : 0;
}

int qopt_device(MachineOptions *o, QemuOptState *st, const char *arg, char *err, size_t n)
{
    size_t len = strcspn(arg, ",");
    const char *props = arg[len] == ',' ? arg + len + 1 : arg + len;
    if (len == 12 && strncmp(arg, "isa-debugcon", 12) == 0) {
        return device_debugcon(o, st, arg, props, err, n);
    }
    if (len == 10 && strncmp(arg, "pc-testdev", 10) == 0) {
        if (*props) {
            snprintf(err, n, "-device %s: pc-testdev has no properties", arg);
            return -1;
        }
        o->pc_testdev = true;
        return 0;
    }
    if (len == 11 && strncmp(arg, "pci-testdev", 11) == 0) {
        if (*props) {
            snprintf(err, n, "-device %s: pci-testdev has no properties xlat knows", arg);
            return -1;
        }
        o->pci_testdev = true;
        return 0;
    }
    return 2;
}

static const char *find_chardev(QemuOptState *st, const char *id)
{
    for (int i = 0; i < st->nb_chardevs; i++) {
        if (strcmp(st->chardev[i].id, id) == 0) {
            return st->chardev[i].spec;
        }
    }
    return NULL;
}

int qopt_finish(MachineOptions *o, QemuOptState *st, char *err, size_t n)
{
    if (st->debugcon_device && st->debugcon_option) {
        snprintf(err, n, "-debugcon and -device isa-debugcon: only one debug console is "
                         "supported");
        return -1;
    }
    if (st->debugcon_chardev) {
        const char *spec = find_chardev(st, st->debugcon_chardev);
        if (!spec) {
            snprintf(err, n, "-device isa-debugcon,chardev=%s: no -chardev with that id",
                     st->debugcon_chardev);
            return -1;
        }
        o->debugcon = spec;
    } else if (st->debugcon_device) {
        /* QEMU requires a chardev; without one its output goes nowhere */
        o->debugcon = "none";
    }
    if (st->serial_chardev) {
        const char *spec = find_chardev(st, st->serial_chardev);
        if (!spec) {
            snprintf(err, n, "-serial chardev:%s: no -chardev with that id", st->serial_chardev);
            return -1;
        }
        o->serial = spec;
    }
    return 0;
}

void qopt_free(QemuOptState *st)
{
    /* the chardev specs may be referenced by MachineOptions until exit: main calls this last */
    for (int i = 0; i < st->nb_chardevs; i++) {
        free(st->chardev[i].spec);
    }
    free(st->debugcon_chardev);
    free(st->serial_chardev);
    free(st->serial_spec);
    memset(st, 0, sizeof(*st));
}
