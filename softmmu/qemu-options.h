/*
 * softmmu/qemu-options.h — the qemu-system options public x86 test suites pass, parsed into
 * MachineOptions (softmmu/qemu-options.c): -machine, -cpu, -smp, -serial, -chardev, and the
 * devices isa-debugcon, pc-testdev and pci-testdev.
 *
 * Each parser returns 0, 1 when it printed help (the caller exits 0), or -1 with a one-line
 * reason in err (the caller prints it and exits with status 1).
 */
#ifndef XLAT_SOFTMMU_QEMU_OPTIONS_H
#define XLAT_SOFTMMU_QEMU_OPTIONS_H

#include <stddef.h>

#include "softmmu/machine.h"

/* -chardev BACKEND,id=ID[,path=PATH]: named character devices that -device and -serial refer
   to by id; only resolved once every option has been read (QEMU takes them in any order). */
#define QOPT_MAX_CHARDEVS 8
typedef struct QemuChardev {
    char id[32];
    char *spec; /* as -debugcon/-serial spell it: stdio | file:PATH | none */
} QemuChardev;

typedef struct QemuOptState {
    QemuChardev chardev[QOPT_MAX_CHARDEVS];
    int nb_chardevs;
    char *debugcon_chardev; /* -device isa-debugcon,chardev=ID, until resolved */
    char *serial_chardev;   /* -serial chardev:ID, until resolved */
    char *serial_spec;      /* -serial BACKEND (what MachineOptions.serial points to) */
    bool debugcon_device;   /* an isa-debugcon was configured with -device */
    bool debugcon_option;   /* -debugcon was given */
} QemuOptState;

/* The next "name=value" (or bare "value") item of a comma-separated option string *p; advances
   *p past it. Returns false at the end, or with *too_long and a message in err. */
bool qopt_next_prop(const char **p, char *name, size_t nlen, char *val, size_t vlen, char *err,
                    size_t n, bool *too_long);
int qopt_machine(MachineOptions *o, const char *arg, char *err, size_t n);
int qopt_cpu(MachineOptions *o, const char *arg, char *err, size_t n);
int qopt_smp(MachineOptions *o, const char *arg, char *err, size_t n);
int qopt_serial(MachineOptions *o, QemuOptState *st, const char *arg, char *err, size_t n);
int qopt_chardev(QemuOptState *st, const char *arg, char *err, size_t n);
/* -device NAME,...: returns 0 if NAME is one of isa-debugcon, pc-testdev, pci-testdev and was
   taken, 2 if NAME is none of them (the caller knows the others), -1 on error. */
int qopt_device(MachineOptions *o, QemuOptState *st, const char *arg, char *err, size_t n);
/* After all options: resolve chardev references. */
int qopt_finish(MachineOptions *o, QemuOptState *st, char *err, size_t n);
void qopt_free(QemuOptState *st);

#endif
