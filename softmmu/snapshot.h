/*
 * softmmu/snapshot.h — how a device describes its state for snapshots (DESIGN.md, house rules:
 * "every device and the CPU describe their state for snapshots in one place").
 *
 * A device keeps one `static const VMStateField[]` next to its state struct: the name, offset
 * and size of every field that is state (registers, latches, timer deadlines), and nothing that
 * is wiring (IRQ lines, pointers to the clock or the port space, host file handles). Saving and
 * loading come later and will walk these tables; today the table already feeds the end-of-run
 * state hash (machine_state_hash), so two runs that differ in any described field differ there.
 *
 * Usage:
 *     static const VMStateField pit_fields[] = {
 *         VMSTATE_FIELD(PITChannel, mode),
 *         VMSTATE_TIMER(PITState, irq_timer),
 *     };
 *     const VMStateDescription pit_vmstate = VMSTATE_DESC("i8254", 1, PITState, pit_fields);
 */
#ifndef XLAT_SOFTMMU_SNAPSHOT_H
#define XLAT_SOFTMMU_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

typedef enum VMStateKind {
    VMS_DATA,  /* plain bytes: saved and restored as they are (host byte order) */
    VMS_TIMER, /* a Timer (softmmu/clock.h): only its deadline is state; restore re-arms it */
} VMStateKind;

typedef struct VMStateField {
    const char *name;
    size_t offset;
    size_t size;
    VMStateKind kind;
} VMStateField;

typedef struct VMStateDescription {
    const char *name;
    int version; /* bumped when the table changes meaning */
    size_t struct_size;
    const VMStateField *fields;
    size_t nb_fields;
} VMStateDescription;

#define VMSTATE_SIZEOF(type, field) sizeof(((type *)0)->field)
/* a field (scalar, array or plain struct) of a state struct */
#define VMSTATE_FIELD(type, field)                                                                 \
    {#field, offsetof(type, field), VMSTATE_SIZEOF(type, field), VMS_DATA}
/* a Timer embedded in the state struct */
#define VMSTATE_TIMER(type, field)                                                                 \
    {#field, offsetof(type, field), VMSTATE_SIZEOF(type, field), VMS_TIMER}
#define VMSTATE_DESC(name, version, type, fields)                                                  \
    {name, version, sizeof(type), fields, sizeof(fields) / sizeof((fields)[0])}

/* Fold the described state of one instance into a 64-bit FNV-1a hash (timers: the deadline). */
uint64_t vmstate_hash(const VMStateDescription *d, const void *opaque, uint64_t h);

#endif
