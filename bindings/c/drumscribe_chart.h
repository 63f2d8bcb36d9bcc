/*
 * drumscribe chart loader for C: JSON chart v1 (format "drumscribe-chart", version 1).
 *
 * One header and one source file (drumscribe_chart.c); needs cJSON (Debian: libcjson-dev,
 * link with -lcjson). Enforces all of bindings/chart.schema.json plus the rules it cannot
 * express (bindings/README.md): strict JSON (UTF-8, no duplicate keys, nesting depth <= 64),
 * lane i has index i and lane i's name, tempo_map strictly increasing in time with each
 * segment's beat where the one before arrives (within 0.01 beat), beats and each
 * difficulty's hits non-decreasing in time.
 *
 *     ds_chart chart;
 *     ds_error err;
 *     if (ds_chart_load("song.chart.json", &chart, &err) != DS_OK) {
 *         fprintf(stderr, "%s error: %s\n", ds_error_kind_name(err.kind), err.message);
 *         return 1;
 *     }
 *     const ds_track *expert = &chart.difficulties[DS_EXPERT];
 *     for (size_t i = 0; i < expert->count; i++)
 *         spawn_note(expert->hits[i].time, expert->hits[i].lane, expert->hits[i].velocity);
 *     ds_chart_free(&chart);
 *
 * Not thread-hostile: no global state (cJSON's default allocator is used).
 * cJSON's own limits are worked around (a lone UTF-16 surrogate escape reads as U+FFFD, a
 * number longer than 63 characters as the same double) except one: a string holding the
 * escape \u0000 is rejected (DS_ERR_PARSE), as C strings end at NUL.
 */
#ifndef DRUMSCRIBE_CHART_H
#define DRUMSCRIBE_CHART_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DS_CHART_VERSION 1
#define DS_LANE_COUNT 8
#define DS_MAX_DEPTH 64
/* Largest chart file ds_chart_load reads, bytes (64 MiB, as every drumscribe loader:
   bindings/README.md); it reads only regular files, never a pipe or a device such as
   /dev/zero. */
#define DS_MAX_CHART_BYTES (64UL * 1024UL * 1024UL)
/* a tempo segment's beat must be where the segment before arrives at its time, within this */
#define DS_TEMPO_BEAT_TOLERANCE 0.01

/* What went wrong; DS_OK (0) when nothing did. */
typedef enum ds_error_kind {
    DS_OK = 0,
    DS_ERR_PARSE,   /* not strict JSON */
    DS_ERR_TYPE,    /* a value of the wrong JSON type */
    DS_ERR_MISSING, /* a required key is absent */
    DS_ERR_UNKNOWN, /* a key the schema does not allow */
    DS_ERR_VALUE,   /* a wrong constant, enum value or pattern */
    DS_ERR_VERSION, /* version is not 1 */
    DS_ERR_RANGE,   /* a number out of range (infinity included) */
    DS_ERR_COUNT,   /* an array of the wrong length */
    DS_ERR_ORDER,   /* a sorting rule is broken */
    DS_ERR_IO,      /* the file cannot be read */
    DS_ERR_MEMORY   /* out of memory */
} ds_error_kind;

typedef struct ds_error {
    ds_error_kind kind;
    /* where: "difficulties.expert.hits[3].time_s", "(root)", "(json)" or the file path */
    char path[256];
    /* "<path>: <problem>", e.g. "difficulties.expert.hits[3].time_s: not sorted (1.5 after 2)" */
    char message[512];
} ds_error;

typedef struct ds_hit {
    double time;  /* seconds from the start of the audio */
    int lane;     /* 0..7: kick, snare, hihat, hi_tom, mid_tom, low_tom, crash, ride */
    int velocity; /* 1..127 */
} ds_hit;

typedef struct ds_track {
    int present;  /* 0 when the chart has no such difficulty */
    size_t count;
    ds_hit *hits; /* sorted by time; ties keep file order */
} ds_track;

typedef struct ds_tempo {
    double time; /* seconds where the segment starts */
    double bpm;
    double beat; /* beat position where the segment starts */
} ds_tempo;

typedef struct ds_beat {
    double time;
    int downbeat; /* 0 or 1 */
} ds_beat;

typedef struct ds_lane {
    int index;
    char name[8]; /* "kick", ..., "mid_tom" */
    int gm_note;
} ds_lane;

enum { DS_EXPERT = 0, DS_HARD, DS_MEDIUM, DS_EASY, DS_DIFFICULTY_COUNT };

typedef struct ds_chart {
    int version;
    ds_lane lanes[DS_LANE_COUNT];
    double duration_s;
    size_t tempo_count;
    ds_tempo *tempo_map;
    size_t beat_count;
    ds_beat *beats;
    ds_track difficulties[DS_DIFFICULTY_COUNT]; /* [DS_EXPERT] is always present */
} ds_chart;

/* Parse `length` bytes of UTF-8 JSON (a leading byte order mark is allowed). On success
 * returns DS_OK and fills *out (free it with ds_chart_free); otherwise returns the error
 * kind, fills *err (when err is not NULL) and leaves *out zeroed. */
ds_error_kind ds_chart_parse(const char *text, size_t length, ds_chart *out, ds_error *err);

/* Read and parse a file; messages end with " (in <path>)". */
ds_error_kind ds_chart_load(const char *path, ds_chart *out, ds_error *err);

/* Free what a successful parse allocated; safe on a zeroed chart and twice in a row. */
void ds_chart_free(ds_chart *chart);

/* "parse", "type", "missing", "unknown", "value", "version", "range", "count", "order",
 * "io", "memory" ("ok" for DS_OK). */
const char *ds_error_kind_name(ds_error_kind kind);

/* "expert", "hard", "medium", "easy". */
const char *ds_difficulty_name(int difficulty);

#ifdef __cplusplus
}
#endif

#endif /* DRUMSCRIBE_CHART_H */
