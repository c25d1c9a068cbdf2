/*
 * softmmu/replay.h — the log of what enters the machine from outside (softmmu/replay.c), for
 * -record FILE and -replay FILE (docs/record-replay.md; DESIGN.md, "Time and determinism").
 *
 * Host input reaches the guest only between CPU slices (machine_poll_host_input). Each delivery
 * is an event stamped with where it happened: the retired-instruction count and the virtual
 * time (the same count can be seen twice while the CPU sleeps in HLT and virtual time jumps to
 * a timer's deadline). Recording writes the events in order; replaying reads them back and
 * delivers each at the same stamp while live input is read and dropped. The RTC's start time,
 * the other input, is in the header.
 *
 * The file is gzip (zlib, which configure requires); a plain file reads too.
 * Format, little-endian:
 *   header: "XLATRPL1" (8 bytes), u32 icount shift, u32 0, i64 RTC start time, u64 RAM size
 *   event:  u8 kind (1: bytes for a serial port; 2: the user quit, Ctrl-A x, no bytes),
 *           u8 port (0 = COM1), u16 length, u64 instruction count, i64 virtual time in ns,
 *           the bytes
 */
#ifndef XLAT_SOFTMMU_REPLAY_H
#define XLAT_SOFTMMU_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_MAX_BYTES 4096

enum { REPLAY_OFF, REPLAY_RECORD, REPLAY_PLAY };
enum { REPLAY_EV_SERIAL = 1, REPLAY_EV_QUIT = 2 };

typedef struct ReplayHeader {
    uint32_t icount_shift;
    int64_t rtc_start;
    uint64_t ram_size;
} ReplayHeader;

typedef struct ReplayEvent {
    uint8_t kind;
    uint8_t port;
    uint16_t len;
    uint64_t icount;
    int64_t ns;
    uint8_t data[REPLAY_MAX_BYTES];
} ReplayEvent;

typedef struct Replay {
    int mode;           /* REPLAY_OFF, _RECORD, _PLAY */
    void *gz;           /* gzFile */
    const char *path;
    bool have_next;     /* playing: `next` holds the next event */
    ReplayEvent next;   /* (recording: where the event being written is built) */
    bool warned;        /* playing: the divergence warning was given */
    uint64_t events;    /* events written or delivered */
} Replay;

/* Open for recording and write the header; -1 after a clear message. */
int replay_record_open(Replay *r, const char *path, const ReplayHeader *h);
/* Open for playing and read the header and the first event; -1 after a clear message. */
int replay_play_open(Replay *r, const char *path, ReplayHeader *h);
/* Recording: append one event (data[0..len)). */
void replay_write(Replay *r, const ReplayEvent *e);
/* Playing: the next event, or NULL at the end of the log. */
const ReplayEvent *replay_peek(const Replay *r);
/* Playing: the next event was delivered; read the one after it. */
void replay_advance(Replay *r);
void replay_close(Replay *r);

#endif
