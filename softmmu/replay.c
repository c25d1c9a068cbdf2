/*
 * softmmu/replay.c — the input log of -record and -replay: header and events, gzip through
 * zlib. See replay.h for the format; the main loop (softmmu/machine.c) decides when events
 * happen.
 *
 * Owns: the log file. A write error while recording is reported once and recording stops (the
 * run itself goes on); a log that ends early while playing is reported and treated as its end.
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "softmmu/memory.h"
#include "softmmu/replay.h"

static const char replay_magic[8] = {'X', 'L', 'A', 'T', 'R', 'P', 'L', '1'};
#define HEADER_SIZE 32
#define EVENT_HEAD  20

int replay_record_open(Replay *r, const char *path, const ReplayHeader *h)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    gzFile gz = gzopen(path, "wb");
    if (!gz) {
        fprintf(stderr, "xlat: -record %s: cannot create the file\n", path);
        return -1;
    }
    uint8_t b[HEADER_SIZE] = {0};
    memcpy(b, replay_magic, 8);
    mem_st_le(b + 8, h->icount_shift, 4);
    mem_st_le(b + 16, (uint64_t)h->rtc_start, 8);
    mem_st_le(b + 24, h->ram_size, 8);
    if (gzwrite(gz, b, sizeof(b)) != (int)sizeof(b)) {
        fprintf(stderr, "xlat: -record %s: cannot write\n", path);
        gzclose(gz);
        return -1;
    }
    r->gz = gz;
    r->mode = REPLAY_RECORD;
    return 0;
}

static bool read_event(Replay *r)
{
    uint8_t b[EVENT_HEAD];
    int n = gzread(r->gz, b, sizeof(b));
    if (n == 0) {
        return false; /* the end */
    }
    ReplayEvent *e = &r->next;
    if (n == (int)sizeof(b)) {
        e->kind = b[0];
        e->port = b[1];
        e->len = (uint16_t)mem_ld_le(b + 2, 2);
        e->icount = mem_ld_le(b + 4, 8);
        e->ns = (int64_t)mem_ld_le(b + 12, 8);
        if (e->kind == REPLAY_EV_SERIAL && e->len > 0 && e->len <= REPLAY_MAX_BYTES &&
            gzread(r->gz, e->data, e->len) == (int)e->len) {
            return true;
        }
        if (e->kind == REPLAY_EV_QUIT && e->len == 0) {
            return true;
        }
    }
    fprintf(stderr, "xlat: -replay %s: the log is damaged or cut short after %llu events; "
                    "replaying stops there\n",
            r->path, (unsigned long long)r->events);
    return false;
}

int replay_play_open(Replay *r, const char *path, ReplayHeader *h)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        fprintf(stderr, "xlat: -replay %s: cannot open the file\n", path);
        return -1;
    }
    uint8_t b[HEADER_SIZE];
    if (gzread(gz, b, sizeof(b)) != (int)sizeof(b) || memcmp(b, replay_magic, 8) != 0) {
        fprintf(stderr, "xlat: -replay %s: not an xlat input log\n", path);
        gzclose(gz);
        return -1;
    }
    h->icount_shift = (uint32_t)mem_ld_le(b + 8, 4);
    h->rtc_start = (int64_t)mem_ld_le(b + 16, 8);
    h->ram_size = mem_ld_le(b + 24, 8);
    r->gz = gz;
    r->mode = REPLAY_PLAY;
    r->have_next = read_event(r);
    return 0;
}

void replay_write(Replay *r, const ReplayEvent *e)
{
    if (r->mode != REPLAY_RECORD || !r->gz) {
        return;
    }
    uint8_t b[EVENT_HEAD];
    b[0] = e->kind;
    b[1] = e->port;
    mem_st_le(b + 2, e->len, 2);
    mem_st_le(b + 4, e->icount, 8);
    mem_st_le(b + 12, (uint64_t)e->ns, 8);
    if (gzwrite(r->gz, b, sizeof(b)) != (int)sizeof(b) ||
        gzwrite(r->gz, e->data, e->len) != (int)e->len) {
        fprintf(stderr, "xlat: -record %s: write error; recording stops here\n", r->path);
        gzclose(r->gz);
        r->gz = NULL;
        return;
    }
    r->events++;
}

const ReplayEvent *replay_peek(const Replay *r)
{
    return r->mode == REPLAY_PLAY && r->have_next ? &r->next : NULL;
}

void replay_advance(Replay *r)
{
    r->events++;
    r->have_next = read_event(r);
}

void replay_close(Replay *r)
{
    if (r->gz && gzclose(r->gz) != Z_OK && r->mode == REPLAY_RECORD) {
        fprintf(stderr, "xlat: -record %s: error while closing the log\n", r->path);
    }
    r->gz = NULL;
    r->mode = REPLAY_OFF;
}
