/*
 * Test program for drumscribe_chart.c (protocol: tests/bindings/bindings_harness.py):
 * for each chart file given, "OK\t<name>\t<summary>" or "ERR\t<name>\t<kind>\t<message>",
 * then "CHECK\t<name>\tPASS|FAIL\t<detail>" lines for API details.
 *
 *   cc -std=c99 -Wall -Wextra -I.. ../drumscribe_chart.c chart_test.c -lcjson -lm -o chart_test
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drumscribe_chart.h"

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void print_summary(const ds_chart *c) {
    size_t i;
    int d;
    double t = 0, bpm = 0, beat = 0, bt = 0;
    size_t down = 0;
    printf("lanes=");
    for (i = 0; i < DS_LANE_COUNT; i++) printf("%s%s:%d", i ? "," : "", c->lanes[i].name, c->lanes[i].gm_note);
    printf(" duration=%.17g", c->duration_s);
    for (i = 0; i < c->tempo_count; i++) {
        t += c->tempo_map[i].time;
        bpm += c->tempo_map[i].bpm;
        beat += c->tempo_map[i].beat;
    }
    printf(" tempo=%zu;%.17g;%.17g;%.17g", c->tempo_count, t, bpm, beat);
    for (i = 0; i < c->beat_count; i++) {
        bt += c->beats[i].time;
        down += (size_t)c->beats[i].downbeat;
    }
    printf(" beats=%zu;%zu;%.17g", c->beat_count, down, bt);
    for (d = 0; d < DS_DIFFICULTY_COUNT; d++) {
        const ds_track *tr = &c->difficulties[d];
        double ht = 0;
        long lanes = 0, vels = 0;
        printf(" %s=", ds_difficulty_name(d));
        if (!tr->present) {
            printf("-");
            continue;
        }
        for (i = 0; i < tr->count; i++) {
            ht += tr->hits[i].time;
            lanes += tr->hits[i].lane;
            vels += tr->hits[i].velocity;
        }
        printf("%zu;%.17g;%ld;%ld", tr->count, ht, lanes, vels);
        if (tr->count == 0) {
            printf(";none;none");
        } else {
            const ds_hit *a = &tr->hits[0], *b = &tr->hits[tr->count - 1];
            printf(";%.17g,%d,%d;%.17g,%d,%d", a->time, a->lane, a->velocity, b->time, b->lane, b->velocity);
        }
    }
    printf("\n");
}

static void check(const char *name, const char *failure) {
    printf("CHECK\t%s\t%s\t%s\n", name, failure ? "FAIL" : "PASS", failure ? failure : "");
}

static const char ONE_HIT[] =
    "{\"format\":\"drumscribe-chart\",\"version\":1,\"lanes\":["
    "{\"index\":0,\"name\":\"kick\",\"gm_note\":36},{\"index\":1,\"name\":\"snare\",\"gm_note\":38},"
    "{\"index\":2,\"name\":\"hihat\",\"gm_note\":42},{\"index\":3,\"name\":\"hi_tom\",\"gm_note\":50},"
    "{\"index\":4,\"name\":\"mid_tom\",\"gm_note\":47},{\"index\":5,\"name\":\"low_tom\",\"gm_note\":45},"
    "{\"index\":6,\"name\":\"crash\",\"gm_note\":49},{\"index\":7,\"name\":\"ride\",\"gm_note\":51}],"
    "\"duration_s\":1,\"tempo_map\":[{\"time_s\":0,\"bpm\":120,\"beat\":0}],\"beats\":[],"
    "\"difficulties\":{\"expert\":{\"hits\":[{\"time_s\":0.5,\"lane\":1,\"velocity\":100}]}}}";

static void api_checks(const char *unsorted) {
    ds_chart c;
    ds_error e;
    char buf[sizeof ONE_HIT + 3];
    char *copy;
    const char *bad[] = {"",      "{",   "[1,]", "{\"a\":1,}", "01",      "1.",     ".5",    "+1",
                         "-",     "1e",  "NaN",  "[1] x",      "\"\\x\"", "\"\\u12\"", "\"a\tb\"", "{'a':1}",
                         "{\"a\" 1}", "tru", "[1 2]", "{\"a\":1,\"a\":2}", "\"\\u0000\""};
    size_t i;
    const char *failure = NULL;

    /* parse: exact values; the length argument is honoured (no NUL needed) */
    copy = (char *)malloc(sizeof ONE_HIT - 1);
    memcpy(copy, ONE_HIT, sizeof ONE_HIT - 1);
    if (ds_chart_parse(copy, sizeof ONE_HIT - 1, &c, &e) != DS_OK) {
        check("parse_text", e.message);
    } else {
        const ds_track *x = &c.difficulties[DS_EXPERT];
        check("parse_text", x->present && x->count == 1 && x->hits[0].time == 0.5 && x->hits[0].lane == 1 &&
                                    x->hits[0].velocity == 100 && strcmp(c.lanes[2].name, "hihat") == 0 &&
                                    c.lanes[7].gm_note == 51 && !c.difficulties[DS_HARD].present &&
                                    c.tempo_map[0].bpm == 120 && c.duration_s == 1
                                ? NULL
                                : "wrong values");
        ds_chart_free(&c);
        ds_chart_free(&c); /* twice is fine */
    }
    free(copy);

    memcpy(buf, "\xEF\xBB\xBF", 3);
    memcpy(buf + 3, ONE_HIT, sizeof ONE_HIT);
    if (ds_chart_parse(buf, strlen(buf), &c, &e) == DS_OK) {
        check("parse_with_bom", c.duration_s == 1 ? NULL : "wrong");
        ds_chart_free(&c);
    } else {
        check("parse_with_bom", e.message);
    }

    check("missing_file_is_io_error",
          ds_chart_load("/nonexistent/dir/chart.json", &c, &e) == DS_ERR_IO && e.kind == DS_ERR_IO &&
                  strcmp(ds_error_kind_name(e.kind), "io") == 0
              ? NULL
              : e.message);

    {
        char *t = (char *)malloc(sizeof ONE_HIT);
        char *lane;
        memcpy(t, ONE_HIT, sizeof ONE_HIT);
        lane = strstr(t, "\"lane\":1");
        lane[7] = '9';
        check("error_fields", ds_chart_parse(t, strlen(t), &c, &e) == DS_ERR_RANGE &&
                                          strcmp(e.path, "difficulties.expert.hits[0].lane") == 0 &&
                                          strncmp(e.message, "difficulties.expert.hits[0].lane: ", 34) == 0
                                      ? NULL
                                      : e.message);
        /* a failed parse leaves the chart zeroed */
        check("zeroed_after_failure",
              c.tempo_map == NULL && c.difficulties[DS_EXPERT].hits == NULL ? NULL : "not zeroed");
        free(t);
    }

    if (unsorted == NULL) {
        check("file_error_names_the_file", "no unsorted_hits fixture given");
    } else {
        ds_chart_load(unsorted, &c, &e);
        check("file_error_names_the_file", strstr(e.message, unsorted) ? NULL : e.message);
    }

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ds_chart_parse(bad[i], strlen(bad[i]), &c, &e) != DS_ERR_PARSE) failure = bad[i];
    }
    {
        /* depth: 64 nested arrays parse (then fail as not an object), 65 and a million do not */
        size_t n = 1000000;
        char *deep = (char *)malloc(2 * n);
        memset(deep, '[', n);
        memset(deep + n, ']', n);
        memset(deep + 64, ']', 64);
        if (ds_chart_parse(deep, 128, &c, &e) != DS_ERR_TYPE) failure = "depth 64";
        memset(deep, '[', n);
        memset(deep + 65, ']', 65);
        if (ds_chart_parse(deep, 130, &c, &e) != DS_ERR_PARSE) failure = "depth 65";
        memset(deep, '[', n);
        if (ds_chart_parse(deep, n, &c, &e) != DS_ERR_PARSE) failure = "a million [";
        free(deep);
    }
    check("strict_json", failure);

    {
        /* cJSON limits worked around: a lone surrogate escape, a 100-character number (also
         * under a locale whose decimal point is a comma, when the machine has one) */
        static const char *const locales[] = {"C", "de_DE.UTF-8", "fr_FR.UTF-8"};
        char *t = (char *)malloc(sizeof ONE_HIT + 200);
        char *at;
        size_t k;
        failure = NULL;
        memcpy(t, ONE_HIT, sizeof ONE_HIT);
        at = strstr(t, "\"duration_s\":1");
        memmove(at + 13 + 100, at + 14, strlen(at + 14) + 1); /* after "duration_s": */
        memcpy(at + 13, "1.", 2);
        memset(at + 15, '0', 97);
        at[13 + 99] = '1'; /* 1.000...0001 (100 characters) reads as 1.0 */
        at = strstr(t, "\"beats\"");
        memmove(at + 31, at, strlen(at) + 1);
        memcpy(at, "\"model\":{\"n\":\"a\\ud800b\\udc00\"},", 31);
        for (k = 0; k < sizeof locales / sizeof locales[0]; k++) {
            if (setlocale(LC_NUMERIC, locales[k]) == NULL) continue;
            if (ds_chart_parse(t, strlen(t), &c, &e) != DS_OK) {
                failure = e.message;
            } else {
                if (c.duration_s != 1.0) failure = "long number read wrongly";
                ds_chart_free(&c);
            }
        }
        setlocale(LC_NUMERIC, "C");
        check("cjson_limits_worked_around", failure);
        free(t);
    }
    /* NULL arguments do not crash */
    check("null_arguments", ds_chart_parse(NULL, 0, &c, NULL) == DS_ERR_PARSE &&
                                    ds_chart_parse(ONE_HIT, sizeof ONE_HIT - 1, NULL, &e) != DS_OK
                                ? NULL
                                : "wrong codes");
}

int main(int argc, char **argv) {
    int i;
    const char *unsorted = NULL;
    for (i = 1; i < argc; i++) {
        ds_chart chart;
        ds_error err;
        const char *name = base_name(argv[i]);
        if (strcmp(name, "unsorted_hits.json") == 0) unsorted = argv[i];
        if (ds_chart_load(argv[i], &chart, &err) == DS_OK) {
            printf("OK\t%s\t", name);
            print_summary(&chart);
            ds_chart_free(&chart);
        } else {
            char *p;
            for (p = err.message; *p; p++)
                if (*p == '\t' || *p == '\n' || *p == '\r') *p = ' ';
            printf("ERR\t%s\t%s\t%s\n", name, ds_error_kind_name(err.kind), err.message);
        }
    }
    api_checks(unsorted);
    return 0;
}
