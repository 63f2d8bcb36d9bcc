/*
 * drumscribe chart loader for C; see drumscribe_chart.h.
 *
 * Two passes: a strict JSON syntax check of the bytes (RFC 8259, UTF-8, depth <= 64;
 * cJSON alone is lenient: leading zeros, "1.", raw control characters), then cJSON builds
 * the tree, which is checked for duplicate keys and validated against the chart schema.
 *
 * Build: cc -std=c99 -c drumscribe_chart.c  (link with -lcjson)
 */
#include "drumscribe_chart.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef S_ISREG
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#endif
#ifndef S_ISDIR
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#endif

static const char *const LANE_NAMES[DS_LANE_COUNT] = {
    "kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride",
};
static const char *const DIFFICULTY_NAMES[DS_DIFFICULTY_COUNT] = {"expert", "hard", "medium", "easy"};
static const char *const ROOT = "(root)";
static const double SECONDS_MAX = 86400.0;

const char *ds_error_kind_name(ds_error_kind kind) {
    switch (kind) {
    case DS_OK: return "ok";
    case DS_ERR_PARSE: return "parse";
    case DS_ERR_TYPE: return "type";
    case DS_ERR_MISSING: return "missing";
    case DS_ERR_UNKNOWN: return "unknown";
    case DS_ERR_VALUE: return "value";
    case DS_ERR_VERSION: return "version";
    case DS_ERR_RANGE: return "range";
    case DS_ERR_COUNT: return "count";
    case DS_ERR_ORDER: return "order";
    case DS_ERR_IO: return "io";
    case DS_ERR_MEMORY: return "memory";
    }
    return "unknown-kind";
}

const char *ds_difficulty_name(int difficulty) {
    return difficulty >= 0 && difficulty < DS_DIFFICULTY_COUNT ? DIFFICULTY_NAMES[difficulty] : NULL;
}

/* ------------------------------------------------------------------ errors */

static ds_error_kind fail(ds_error *err, ds_error_kind kind, const char *path, const char *fmt, ...) {
    if (err != NULL) {
        va_list ap;
        int n;
        err->kind = kind;
        snprintf(err->path, sizeof err->path, "%s", path);
        n = snprintf(err->message, sizeof err->message, "%s: ", path);
        if (n >= 0 && (size_t)n < sizeof err->message) {
            va_start(ap, fmt);
            vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return kind;
}

/* Shortest decimal that reads back as x, with a '.' whatever the locale. */
static const char *fmt_num(double x, char buf[40]) {
    int prec;
    char point = localeconv()->decimal_point[0], *p;
    if (isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
    if (isnan(x)) return "NaN";
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, 40, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    if (point != '.' && (p = strchr(buf, point)) != NULL) *p = '.';
    return buf;
}

static void child_path(char *out, size_t size, const char *parent, const char *key) {
    if (strcmp(parent, ROOT) == 0)
        snprintf(out, size, "%s", key);
    else
        snprintf(out, size, "%s.%s", parent, key);
}

/* ------------------------------------------------------------------ strict JSON syntax */

/* A span of the text that cJSON cannot take as it is, and what to give cJSON instead:
 * a lone UTF-16 surrogate escape becomes \uFFFD (what the other loaders show for it), a
 * number longer than cJSON's 63-character buffer becomes %.17g of the same double. */
typedef struct fixup {
    size_t start, end;
    char text[32];
} fixup;

typedef struct scanner {
    const unsigned char *s;
    size_t n;
    size_t pos;
    ds_error *err;
    fixup *fixups;
    size_t fixup_count, fixup_cap;
} scanner;

static ds_error_kind add_fixup(scanner *sc, size_t start, size_t end, const char *text) {
    if (sc->fixup_count == sc->fixup_cap) {
        size_t cap = sc->fixup_cap ? sc->fixup_cap * 2 : 16;
        fixup *f = (fixup *)realloc(sc->fixups, cap * sizeof *f);
        if (f == NULL) return fail(sc->err, DS_ERR_MEMORY, "(json)", "out of memory");
        sc->fixups = f;
        sc->fixup_cap = cap;
    }
    sc->fixups[sc->fixup_count].start = start;
    sc->fixups[sc->fixup_count].end = end;
    snprintf(sc->fixups[sc->fixup_count].text, sizeof sc->fixups[0].text, "%s", text);
    sc->fixup_count++;
    return DS_OK;
}

static ds_error_kind scan_fail(scanner *sc, size_t at, const char *problem) {
    size_t line = 1, col = 1, i;
    for (i = 0; i < at && i < sc->n; i++) {
        if (sc->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return fail(sc->err, DS_ERR_PARSE, "(json)", "%s at line %zu column %zu", problem, line, col);
}

static ds_error_kind scan_end_or(scanner *sc, const char *problem) {
    return scan_fail(sc, sc->pos, sc->pos >= sc->n ? "unexpected end of input" : problem);
}

static void scan_ws(scanner *sc) {
    while (sc->pos < sc->n) {
        unsigned char c = sc->s[sc->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            sc->pos++;
        else
            break;
    }
}

static int is_digit_at(const scanner *sc, size_t i) {
    return i < sc->n && sc->s[i] >= '0' && sc->s[i] <= '9';
}

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Length of the valid UTF-8 sequence at s[i] (non-ASCII lead byte), 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t n, size_t i) {
    unsigned char c = s[i];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len, k;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;        /* no overlong forms */
        if (c == 0xED) hi = 0x9F;        /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;        /* no overlong forms */
        if (c == 0xF4) hi = 0x8F;        /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (i + len > n) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (k = 2; k < len; k++)
        if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
    return len;
}

/* The code of the \\uXXXX escape at s[i] (which holds the backslash); -1 if there is none. */
static int escape_code(const scanner *sc, size_t i) {
    int k, code = 0;
    if (i + 6 > sc->n || sc->s[i] != '\\' || sc->s[i + 1] != 'u') return -1;
    for (k = 0; k < 4; k++) {
        int h = hex_value(sc->s[i + 2 + (size_t)k]);
        if (h < 0) return -1;
        code = code * 16 + h;
    }
    return code;
}

static ds_error_kind scan_string(scanner *sc) {
    size_t i = sc->pos + 1;
    for (;;) {
        unsigned char c;
        if (i >= sc->n) return scan_fail(sc, i, "unterminated string");
        c = sc->s[i];
        if (c == '"') {
            sc->pos = i + 1;
            return DS_OK;
        }
        if (c < 0x20) return scan_fail(sc, i, "control character in a string");
        if (c == '\\') {
            unsigned char e;
            if (i + 1 >= sc->n) return scan_fail(sc, i, "unterminated string");
            e = sc->s[i + 1];
            if (e == 'u') {
                int code = escape_code(sc, i);
                if (code < 0) return scan_fail(sc, i, "invalid \\u escape");
                if (code == 0) return scan_fail(sc, i, "the escape \\u0000 is not supported by the C loader");
                if (code >= 0xD800 && code <= 0xDBFF && escape_code(sc, i + 6) >= 0xDC00 &&
                    escape_code(sc, i + 6) <= 0xDFFF) {
                    i += 12; /* a surrogate pair */
                } else {
                    if (code >= 0xD800 && code <= 0xDFFF) {
                        ds_error_kind rc = add_fixup(sc, i, i + 6, "\\uFFFD");
                        if (rc != DS_OK) return rc;
                    }
                    i += 6;
                }
            } else if (strchr("\"\\/bfnrt", e) != NULL && e != '\0') {
                i += 2;
            } else {
                return scan_fail(sc, i, "invalid escape");
            }
            continue;
        }
        if (c >= 0x80) {
            size_t len = utf8_sequence(sc->s, sc->n, i);
            if (len == 0) return scan_fail(sc, i, "not valid UTF-8");
            i += len;
            continue;
        }
        i++;
    }
}

/* The same double in at most 24 characters, in the "C" locale's notation whatever the
 * current locale (strtod and printf follow LC_NUMERIC). */
static ds_error_kind shorten_number(scanner *sc, size_t start, size_t end) {
    char point = localeconv()->decimal_point[0];
    char text[32];
    char *copy = (char *)malloc(end - start + 1);
    size_t k;
    double x;
    if (copy == NULL) return fail(sc->err, DS_ERR_MEMORY, "(json)", "out of memory");
    for (k = 0; k < end - start; k++) copy[k] = sc->s[start + k] == '.' ? point : (char)sc->s[start + k];
    copy[end - start] = '\0';
    x = strtod(copy, NULL); /* correctly rounded; +-HUGE_VAL on overflow */
    free(copy);
    if (isinf(x))
        snprintf(text, sizeof text, "%s", x > 0 ? "1e400" : "-1e400");
    else
        snprintf(text, sizeof text, "%.17g", x);
    for (k = 0; text[k] != '\0'; k++)
        if (!((text[k] >= '0' && text[k] <= '9') || text[k] == 'e' || text[k] == '-' || text[k] == '+')) text[k] = '.';
    return add_fixup(sc, start, end, text);
}

static ds_error_kind scan_number(scanner *sc) {
    size_t i = sc->pos;
    if (sc->s[i] == '-') i++;
    if (!is_digit_at(sc, i)) return scan_fail(sc, sc->pos, "invalid number");
    if (sc->s[i] == '0')
        i++;
    else
        while (is_digit_at(sc, i)) i++;
    if (i < sc->n && sc->s[i] == '.') {
        i++;
        if (!is_digit_at(sc, i)) return scan_fail(sc, i, "invalid number");
        while (is_digit_at(sc, i)) i++;
    }
    if (i < sc->n && (sc->s[i] == 'e' || sc->s[i] == 'E')) {
        i++;
        if (i < sc->n && (sc->s[i] == '+' || sc->s[i] == '-')) i++;
        if (!is_digit_at(sc, i)) return scan_fail(sc, i, "invalid number");
        while (is_digit_at(sc, i)) i++;
    }
    if (i < sc->n && strchr("0123456789.eE+-", sc->s[i]) != NULL && sc->s[i] != '\0')
        return scan_fail(sc, i, "invalid number");
    if (i - sc->pos > 63) {
        ds_error_kind rc = shorten_number(sc, sc->pos, i);
        if (rc != DS_OK) return rc;
    }
    sc->pos = i;
    return DS_OK;
}

static ds_error_kind scan_literal(scanner *sc, const char *word) {
    size_t len = strlen(word);
    if (sc->pos + len > sc->n || memcmp(sc->s + sc->pos, word, len) != 0)
        return scan_fail(sc, sc->pos, "invalid literal");
    sc->pos += len;
    return DS_OK;
}

static ds_error_kind scan_value(scanner *sc, int depth);

static ds_error_kind scan_container(scanner *sc, int depth, int object) {
    ds_error_kind rc;
    unsigned char close = object ? '}' : ']';
    if (depth > DS_MAX_DEPTH) return scan_fail(sc, sc->pos, "nested deeper than 64");
    sc->pos++;
    scan_ws(sc);
    if (sc->pos < sc->n && sc->s[sc->pos] == close) {
        sc->pos++;
        return DS_OK;
    }
    for (;;) {
        if (object) {
            if (sc->pos >= sc->n || sc->s[sc->pos] != '"') return scan_end_or(sc, "expected a string key");
            if ((rc = scan_string(sc)) != DS_OK) return rc;
            scan_ws(sc);
            if (sc->pos >= sc->n || sc->s[sc->pos] != ':') return scan_end_or(sc, "expected ':'");
            sc->pos++;
            scan_ws(sc);
        }
        if ((rc = scan_value(sc, depth)) != DS_OK) return rc;
        scan_ws(sc);
        if (sc->pos >= sc->n) return scan_fail(sc, sc->pos, "unexpected end of input");
        if (sc->s[sc->pos] == ',') {
            sc->pos++;
            scan_ws(sc);
        } else if (sc->s[sc->pos] == close) {
            sc->pos++;
            return DS_OK;
        } else {
            return scan_fail(sc, sc->pos, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
}

static ds_error_kind scan_value(scanner *sc, int depth) {
    unsigned char c;
    if (sc->pos >= sc->n) return scan_fail(sc, sc->pos, "unexpected end of input");
    c = sc->s[sc->pos];
    switch (c) {
    case '{': return scan_container(sc, depth + 1, 1);
    case '[': return scan_container(sc, depth + 1, 0);
    case '"': return scan_string(sc);
    case 't': return scan_literal(sc, "true");
    case 'f': return scan_literal(sc, "false");
    case 'n': return scan_literal(sc, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return scan_number(sc);
        return scan_fail(sc, sc->pos, "unexpected character");
    }
}

static ds_error_kind scan_all(scanner *sc) {
    ds_error_kind rc;
    scan_ws(sc);
    if (sc->pos >= sc->n) return scan_fail(sc, sc->pos, "empty document");
    if ((rc = scan_value(sc, 0)) != DS_OK) return rc;
    scan_ws(sc);
    if (sc->pos < sc->n) return scan_fail(sc, sc->pos, "unexpected text after the JSON value");
    return DS_OK;
}

/* Check the syntax of s[0..n); then parse with cJSON, from a patched copy when some spans
 * need it (see fixup). Returns the tree or NULL with *err filled. */
static cJSON *scan_and_parse(const unsigned char *s, size_t n, ds_error *err) {
    scanner sc;
    cJSON *root = NULL;
    memset(&sc, 0, sizeof sc);
    sc.s = s;
    sc.n = n;
    sc.err = err;
    if (scan_all(&sc) != DS_OK) {
        free(sc.fixups);
        return NULL;
    }
    if (sc.fixup_count == 0) {
        root = cJSON_ParseWithLengthOpts((const char *)s, n, NULL, 0);
    } else {
        /* each fixup replaces at least as many bytes as it writes, so n bytes suffice */
        char *patched = (char *)malloc(n);
        size_t from = 0, to = 0, f;
        if (patched == NULL) {
            free(sc.fixups);
            fail(err, DS_ERR_MEMORY, "(json)", "out of memory");
            return NULL;
        }
        for (f = 0; f < sc.fixup_count; f++) {
            size_t len = strlen(sc.fixups[f].text);
            memcpy(patched + to, s + from, sc.fixups[f].start - from);
            to += sc.fixups[f].start - from;
            memcpy(patched + to, sc.fixups[f].text, len);
            to += len;
            from = sc.fixups[f].end;
        }
        memcpy(patched + to, s + from, n - from);
        to += n - from;
        root = cJSON_ParseWithLengthOpts(patched, to, NULL, 0);
        free(patched);
    }
    free(sc.fixups);
    if (root == NULL) fail(err, DS_ERR_MEMORY, "(json)", "cJSON could not build the document (out of memory)");
    return root;
}

/* Objects with more members than this are checked for duplicates by sorting (n log n). */
#define DS_DUPLICATE_SCAN_MAX 16

typedef struct {
    const char *key;
    size_t index;
} ds_key_ref;

static int compare_key_refs(const void *x, const void *y) {
    const ds_key_ref *a = (const ds_key_ref *)x, *b = (const ds_key_ref *)y;
    int c = strcmp(a->key, b->key);
    if (c != 0) return c;
    return a->index < b->index ? -1 : (a->index > b->index ? 1 : 0);
}

/* The first key (in document order) of an object that appears twice, or NULL. Small objects
   are scanned pair by pair; large ones sorted, so 300k keys take milliseconds, not minutes. */
static ds_error_kind first_duplicate(const cJSON *object, const char **dup, ds_error *err) {
    const cJSON *a, *b;
    size_t n = 0, i, best = (size_t)-1;
    ds_key_ref *refs;
    *dup = NULL;
    for (a = object->child; a != NULL; a = a->next) n++;
    if (n <= DS_DUPLICATE_SCAN_MAX) {
        for (a = object->child; a != NULL; a = a->next)
            for (b = a->next; b != NULL; b = b->next)
                if (strcmp(a->string, b->string) == 0) {
                    *dup = a->string;
                    return DS_OK;
                }
        return DS_OK;
    }
    refs = (ds_key_ref *)malloc(n * sizeof *refs);
    if (refs == NULL) return fail(err, DS_ERR_MEMORY, "(json)", "out of memory checking duplicate keys");
    for (i = 0, a = object->child; a != NULL; a = a->next, i++) {
        refs[i].key = a->string;
        refs[i].index = i;
    }
    qsort(refs, n, sizeof *refs, compare_key_refs);
    for (i = 0; i + 1 < n; i++) {
        /* refs[i] starts a run of equal keys when it differs from the one before */
        if (strcmp(refs[i].key, refs[i + 1].key) == 0 && (i == 0 || strcmp(refs[i - 1].key, refs[i].key) != 0) &&
            refs[i].index < best) {
            best = refs[i].index;
            *dup = refs[i].key;
        }
    }
    free(refs);
    return DS_OK;
}

/* Duplicate keys, after unescaping (cJSON keeps every member). Depth is bounded by the scan. */
static ds_error_kind check_duplicates(const cJSON *item, ds_error *err) {
    const cJSON *a;
    if (cJSON_IsObject(item)) {
        const char *dup;
        ds_error_kind rc = first_duplicate(item, &dup, err);
        if (rc != DS_OK) return rc;
        if (dup != NULL) return fail(err, DS_ERR_PARSE, "(json)", "duplicate key \"%s\"", dup);
    }
    for (a = item->child; a != NULL; a = a->next) {
        if (cJSON_IsObject(a) || cJSON_IsArray(a)) {
            ds_error_kind rc = check_duplicates(a, err);
            if (rc != DS_OK) return rc;
        }
    }
    return DS_OK;
}

/* ------------------------------------------------------------------ schema checks */

static const char *describe(const cJSON *v, char buf[64]) {
    char num[40];
    if (v == NULL || cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsBool(v)) return "a boolean";
    snprintf(buf, 64, "the number %s", fmt_num(v->valuedouble, num));
    return buf;
}

static ds_error_kind want_object(const cJSON *v, const char *path, ds_error *err) {
    char d[64];
    if (!cJSON_IsObject(v)) return fail(err, DS_ERR_TYPE, path, "expected an object, got %s", describe(v, d));
    return DS_OK;
}

static ds_error_kind want_array(const cJSON *v, const char *path, ds_error *err) {
    char d[64];
    if (!cJSON_IsArray(v)) return fail(err, DS_ERR_TYPE, path, "expected an array, got %s", describe(v, d));
    return DS_OK;
}

static ds_error_kind only_keys(const cJSON *obj, const char *path, const char *const *allowed, size_t n,
                               ds_error *err) {
    const cJSON *c;
    for (c = obj->child; c != NULL; c = c->next) {
        size_t i;
        int ok = 0;
        for (i = 0; i < n; i++)
            if (strcmp(c->string, allowed[i]) == 0) ok = 1;
        if (!ok) {
            char p[256];
            child_path(p, sizeof p, path, c->string);
            return fail(err, DS_ERR_UNKNOWN, p, "unknown key");
        }
    }
    return DS_OK;
}

static const cJSON *member(const cJSON *obj, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static ds_error_kind required(const cJSON *obj, const char *path, const char *key, const cJSON **out,
                              ds_error *err) {
    *out = member(obj, key);
    if (*out == NULL) {
        char p[256];
        child_path(p, sizeof p, path, key);
        return fail(err, DS_ERR_MISSING, p, "required key is missing");
    }
    return DS_OK;
}

static ds_error_kind number(const cJSON *v, const char *path, double min, double max, int exclusive_min,
                            double *out, ds_error *err) {
    char d[64], a[40], b[40], c[40];
    double x;
    if (!cJSON_IsNumber(v)) return fail(err, DS_ERR_TYPE, path, "expected a number, got %s", describe(v, d));
    x = v->valuedouble;
    if ((exclusive_min ? x <= min : x < min) || x > max) {
        return fail(err, DS_ERR_RANGE, path, "%s is out of range %s%s, %s%s", fmt_num(x, a), exclusive_min ? "(" : "[",
                    fmt_num(min, b), isinf(max) ? "inf" : fmt_num(max, c), isinf(max) ? ")" : "]");
    }
    if (out != NULL) *out = x;
    return DS_OK;
}

static ds_error_kind integer(const cJSON *v, const char *path, double min, double max, double *out, ds_error *err) {
    char d[64];
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || floor(v->valuedouble) != v->valuedouble)
        return fail(err, DS_ERR_TYPE, path, "expected an integer, got %s", describe(v, d));
    return number(v, path, min, max, 0, out, err);
}

static ds_error_kind seconds(const cJSON *v, const char *path, double *out, ds_error *err) {
    return number(v, path, 0.0, SECONDS_MAX, 0, out, err);
}

static ds_error_kind string_or_null(const cJSON *v, const char *path, ds_error *err) {
    char d[64];
    if (!cJSON_IsString(v) && !cJSON_IsNull(v))
        return fail(err, DS_ERR_TYPE, path, "expected a string or null, got %s", describe(v, d));
    return DS_OK;
}

static ds_error_kind check_order(double time, double prev, int has_prev, const char *path, int strict,
                                 ds_error *err) {
    char a[40], b[40];
    if (has_prev && (time < prev || (strict && time == prev)))
        return fail(err, DS_ERR_ORDER, path, "%s (%s after %s)", strict ? "not strictly increasing" : "not sorted",
                    fmt_num(time, a), fmt_num(prev, b));
    return DS_OK;
}

static size_t count_items(const cJSON *arr) {
    size_t n = 0;
    const cJSON *c;
    for (c = arr->child; c != NULL; c = c->next) n++;
    return n;
}

static void *alloc_items(size_t n, size_t size) {
    return calloc(n > 0 ? n : 1, size);
}

#define TRY(expr)                                                                                                      \
    do {                                                                                                               \
        ds_error_kind rc_ = (expr);                                                                                    \
        if (rc_ != DS_OK) return rc_;                                                                                  \
    } while (0)

static ds_error_kind read_lanes(const cJSON *v, ds_chart *chart, ds_error *err) {
    static const char *const keys[] = {"index", "name", "gm_note"};
    const cJSON *item;
    size_t i = 0, n;
    TRY(want_array(v, "lanes", err));
    n = count_items(v);
    if (n != DS_LANE_COUNT) return fail(err, DS_ERR_COUNT, "lanes", "expected 8 lanes, got %zu", n);
    for (item = v->child; item != NULL; item = item->next, i++) {
        char p[64], q[80], d[64];
        const cJSON *x;
        double index, gm;
        size_t k;
        int known = 0;
        snprintf(p, sizeof p, "lanes[%zu]", i);
        TRY(want_object(item, p, err));
        TRY(only_keys(item, p, keys, 3, err));
        TRY(required(item, p, "index", &x, err));
        snprintf(q, sizeof q, "%s.index", p);
        TRY(integer(x, q, 0, 7, &index, err));
        if ((size_t)index != i)
            return fail(err, DS_ERR_VALUE, q, "is %d, must be %zu (lanes are listed in index order)", (int)index, i);
        TRY(required(item, p, "name", &x, err));
        snprintf(q, sizeof q, "%s.name", p);
        if (!cJSON_IsString(x)) return fail(err, DS_ERR_TYPE, q, "expected a string, got %s", describe(x, d));
        for (k = 0; k < DS_LANE_COUNT; k++)
            if (strcmp(x->valuestring, LANE_NAMES[k]) == 0) known = 1;
        if (!known) return fail(err, DS_ERR_VALUE, q, "unknown lane name \"%.64s\"", x->valuestring);
        if (strcmp(x->valuestring, LANE_NAMES[i]) != 0)
            return fail(err, DS_ERR_VALUE, q, "is \"%s\", lane %zu is \"%s\"", x->valuestring, i, LANE_NAMES[i]);
        snprintf(chart->lanes[i].name, sizeof chart->lanes[i].name, "%s", x->valuestring);
        TRY(required(item, p, "gm_note", &x, err));
        snprintf(q, sizeof q, "%s.gm_note", p);
        TRY(integer(x, q, 0, 127, &gm, err));
        chart->lanes[i].index = (int)index;
        chart->lanes[i].gm_note = (int)gm;
    }
    return DS_OK;
}

static int is_sha256(const char *s) {
    size_t i;
    for (i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return s[64] == '\0';
}

static ds_error_kind read_audio(const cJSON *v, ds_error *err) {
    static const char *const keys[] = {"file", "sha256"};
    const cJSON *x;
    TRY(want_object(v, "audio", err));
    TRY(only_keys(v, "audio", keys, 2, err));
    if ((x = member(v, "file")) != NULL) TRY(string_or_null(x, "audio.file", err));
    if ((x = member(v, "sha256")) != NULL) {
        TRY(string_or_null(x, "audio.sha256", err));
        if (cJSON_IsString(x) && !is_sha256(x->valuestring))
            return fail(err, DS_ERR_VALUE, "audio.sha256", "expected 64 lowercase hex digits");
    }
    return DS_OK;
}

static ds_error_kind read_time_signature(const cJSON *v, ds_error *err) {
    static const char *const keys[] = {"numerator", "denominator"};
    const char *p = "time_signature";
    const cJSON *x;
    double d;
    char buf[64];
    TRY(want_object(v, p, err));
    TRY(only_keys(v, p, keys, 2, err));
    TRY(required(v, p, "numerator", &x, err));
    TRY(integer(x, "time_signature.numerator", 1, 32, NULL, err));
    TRY(required(v, p, "denominator", &x, err));
    d = cJSON_IsNumber(x) ? x->valuedouble : -1.0;
    if (!(d == 1 || d == 2 || d == 4 || d == 8 || d == 16 || d == 32))
        return fail(err, DS_ERR_VALUE, "time_signature.denominator", "expected one of 1, 2, 4, 8, 16, 32, got %s",
                    describe(x, buf));
    return DS_OK;
}

static ds_error_kind read_tempo_map(const cJSON *v, ds_chart *chart, ds_error *err) {
    static const char *const keys[] = {"time_s", "bpm", "beat"};
    const cJSON *item;
    size_t i = 0;
    TRY(want_array(v, "tempo_map", err));
    chart->tempo_count = count_items(v);
    if (chart->tempo_count < 1) return fail(err, DS_ERR_COUNT, "tempo_map", "needs at least one tempo segment");
    chart->tempo_map = (ds_tempo *)alloc_items(chart->tempo_count, sizeof *chart->tempo_map);
    if (chart->tempo_map == NULL) return fail(err, DS_ERR_MEMORY, "tempo_map", "out of memory");
    for (item = v->child; item != NULL; item = item->next, i++) {
        char p[64], q[80];
        const cJSON *x;
        ds_tempo *t = &chart->tempo_map[i];
        snprintf(p, sizeof p, "tempo_map[%zu]", i);
        TRY(want_object(item, p, err));
        TRY(only_keys(item, p, keys, 3, err));
        TRY(required(item, p, "time_s", &x, err));
        snprintf(q, sizeof q, "%s.time_s", p);
        TRY(seconds(x, q, &t->time, err));
        TRY(required(item, p, "bpm", &x, err));
        snprintf(q, sizeof q, "%s.bpm", p);
        TRY(number(x, q, 0.0, 1000.0, 1, &t->bpm, err));
        TRY(required(item, p, "beat", &x, err));
        snprintf(q, sizeof q, "%s.beat", p);
        TRY(number(x, q, 0.0, 1e6, 0, &t->beat, err));
        snprintf(q, sizeof q, "%s.time_s", p);
        TRY(check_order(t->time, i > 0 ? chart->tempo_map[i - 1].time : 0.0, i > 0, q, 1, err));
        if (i > 0) {
            const ds_tempo *prev = &chart->tempo_map[i - 1];
            double expect = prev->beat + (t->time - prev->time) * prev->bpm / 60.0;
            if (fabs(expect - t->beat) > DS_TEMPO_BEAT_TOLERANCE) {
                char a[40], b[40], c[40];
                snprintf(q, sizeof q, "%s.beat", p);
                return fail(err, DS_ERR_VALUE, q, "is %s but the segment before reaches beat %s at %s s",
                            fmt_num(t->beat, a), fmt_num(expect, b), fmt_num(t->time, c));
            }
        }
    }
    return DS_OK;
}

static ds_error_kind read_beats(const cJSON *v, ds_chart *chart, ds_error *err) {
    static const char *const keys[] = {"time_s", "downbeat"};
    const cJSON *item;
    size_t i = 0;
    TRY(want_array(v, "beats", err));
    chart->beat_count = count_items(v);
    chart->beats = (ds_beat *)alloc_items(chart->beat_count, sizeof *chart->beats);
    if (chart->beats == NULL) return fail(err, DS_ERR_MEMORY, "beats", "out of memory");
    for (item = v->child; item != NULL; item = item->next, i++) {
        char p[64], q[80], d[64];
        const cJSON *x;
        ds_beat *b = &chart->beats[i];
        snprintf(p, sizeof p, "beats[%zu]", i);
        TRY(want_object(item, p, err));
        TRY(only_keys(item, p, keys, 2, err));
        TRY(required(item, p, "time_s", &x, err));
        snprintf(q, sizeof q, "%s.time_s", p);
        TRY(seconds(x, q, &b->time, err));
        TRY(required(item, p, "downbeat", &x, err));
        if (!cJSON_IsBool(x)) {
            snprintf(q, sizeof q, "%s.downbeat", p);
            return fail(err, DS_ERR_TYPE, q, "expected a boolean, got %s", describe(x, d));
        }
        b->downbeat = cJSON_IsTrue(x) ? 1 : 0;
        snprintf(q, sizeof q, "%s.time_s", p);
        TRY(check_order(b->time, i > 0 ? chart->beats[i - 1].time : 0.0, i > 0, q, 0, err));
    }
    return DS_OK;
}

static ds_error_kind read_quantization(const cJSON *v, ds_error *err) {
    static const char *const keys[] = {"grid", "tolerance_s", "snapped", "kept", "max_shift_s"};
    const cJSON *x;
    TRY(want_object(v, "quantization", err));
    TRY(only_keys(v, "quantization", keys, 5, err));
    if ((x = member(v, "grid")) != NULL) TRY(string_or_null(x, "quantization.grid", err));
    if ((x = member(v, "tolerance_s")) != NULL) TRY(number(x, "quantization.tolerance_s", 0, INFINITY, 0, NULL, err));
    if ((x = member(v, "snapped")) != NULL) TRY(integer(x, "quantization.snapped", 0, INFINITY, NULL, err));
    if ((x = member(v, "kept")) != NULL) TRY(integer(x, "quantization.kept", 0, INFINITY, NULL, err));
    if ((x = member(v, "max_shift_s")) != NULL) TRY(number(x, "quantization.max_shift_s", 0, INFINITY, 0, NULL, err));
    return DS_OK;
}

static ds_error_kind read_track(const cJSON *v, const char *path, ds_track *track, ds_error *err) {
    static const char *const track_keys[] = {"hits"};
    static const char *const hit_keys[] = {"time_s", "lane", "velocity", "raw_time_s", "beat"};
    const cJSON *arr, *item;
    size_t i = 0;
    char p[64];
    TRY(want_object(v, path, err));
    TRY(only_keys(v, path, track_keys, 1, err));
    TRY(required(v, path, "hits", &arr, err));
    snprintf(p, sizeof p, "%s.hits", path);
    TRY(want_array(arr, p, err));
    track->present = 1;
    track->count = count_items(arr);
    track->hits = (ds_hit *)alloc_items(track->count, sizeof *track->hits);
    if (track->hits == NULL) return fail(err, DS_ERR_MEMORY, p, "out of memory");
    for (item = arr->child; item != NULL; item = item->next, i++) {
        char hp[96], q[128];
        const cJSON *x;
        double lane, velocity;
        ds_hit *h = &track->hits[i];
        snprintf(hp, sizeof hp, "%s.hits[%zu]", path, i);
        TRY(want_object(item, hp, err));
        TRY(only_keys(item, hp, hit_keys, 5, err));
        TRY(required(item, hp, "time_s", &x, err));
        snprintf(q, sizeof q, "%s.time_s", hp);
        TRY(seconds(x, q, &h->time, err));
        TRY(required(item, hp, "lane", &x, err));
        snprintf(q, sizeof q, "%s.lane", hp);
        TRY(integer(x, q, 0, 7, &lane, err));
        TRY(required(item, hp, "velocity", &x, err));
        snprintf(q, sizeof q, "%s.velocity", hp);
        TRY(integer(x, q, 1, 127, &velocity, err));
        h->lane = (int)lane;
        h->velocity = (int)velocity;
        if ((x = member(item, "raw_time_s")) != NULL) {
            snprintf(q, sizeof q, "%s.raw_time_s", hp);
            TRY(seconds(x, q, NULL, err));
        }
        if ((x = member(item, "beat")) != NULL) {
            snprintf(q, sizeof q, "%s.beat", hp);
            TRY(number(x, q, 0, INFINITY, 0, NULL, err));
        }
        snprintf(q, sizeof q, "%s.time_s", hp);
        TRY(check_order(h->time, i > 0 ? track->hits[i - 1].time : 0.0, i > 0, q, 0, err));
    }
    return DS_OK;
}

static ds_error_kind read_difficulties(const cJSON *v, ds_chart *chart, ds_error *err) {
    const cJSON *x;
    int d;
    TRY(want_object(v, "difficulties", err));
    TRY(only_keys(v, "difficulties", DIFFICULTY_NAMES, DS_DIFFICULTY_COUNT, err));
    TRY(required(v, "difficulties", "expert", &x, err));
    for (d = 0; d < DS_DIFFICULTY_COUNT; d++) {
        if ((x = member(v, DIFFICULTY_NAMES[d])) != NULL) {
            char p[32];
            snprintf(p, sizeof p, "difficulties.%s", DIFFICULTY_NAMES[d]);
            TRY(read_track(x, p, &chart->difficulties[d], err));
        }
    }
    return DS_OK;
}

static ds_error_kind read_chart(const cJSON *root, ds_chart *chart, ds_error *err) {
    static const char *const keys[] = {"format", "version", "lanes", "duration_s", "audio", "model",
                                       "time_signature", "tempo_map", "beats", "quantization", "difficulties"};
    const cJSON *x;
    char d[64], num[40];
    TRY(want_object(root, ROOT, err));
    TRY(required(root, ROOT, "format", &x, err));
    if (!cJSON_IsString(x) || strcmp(x->valuestring, "drumscribe-chart") != 0) {
        if (cJSON_IsString(x))
            return fail(err, DS_ERR_VALUE, "format", "expected \"drumscribe-chart\", got \"%.64s\"", x->valuestring);
        return fail(err, DS_ERR_VALUE, "format", "expected \"drumscribe-chart\", got %s", describe(x, d));
    }
    TRY(required(root, ROOT, "version", &x, err));
    if (!cJSON_IsNumber(x) || x->valuedouble != DS_CHART_VERSION) {
        const char *got = cJSON_IsNumber(x) ? fmt_num(x->valuedouble, num) : describe(x, d);
        if (cJSON_IsString(x)) {
            snprintf(d, sizeof d, "\"%.32s\"", x->valuestring);
            got = d;
        }
        return fail(err, DS_ERR_VERSION, "version", "unsupported chart version %s (this loader reads version %d)", got,
                    DS_CHART_VERSION);
    }
    TRY(only_keys(root, ROOT, keys, sizeof keys / sizeof keys[0], err));
    chart->version = DS_CHART_VERSION;
    TRY(required(root, ROOT, "lanes", &x, err));
    TRY(read_lanes(x, chart, err));
    TRY(required(root, ROOT, "duration_s", &x, err));
    TRY(seconds(x, "duration_s", &chart->duration_s, err));
    if ((x = member(root, "audio")) != NULL) TRY(read_audio(x, err));
    if ((x = member(root, "model")) != NULL) TRY(want_object(x, "model", err));
    if ((x = member(root, "time_signature")) != NULL) TRY(read_time_signature(x, err));
    TRY(required(root, ROOT, "tempo_map", &x, err));
    TRY(read_tempo_map(x, chart, err));
    TRY(required(root, ROOT, "beats", &x, err));
    TRY(read_beats(x, chart, err));
    if ((x = member(root, "quantization")) != NULL) TRY(read_quantization(x, err));
    TRY(required(root, ROOT, "difficulties", &x, err));
    TRY(read_difficulties(x, chart, err));
    return DS_OK;
}

/* ------------------------------------------------------------------ public API */

void ds_chart_free(ds_chart *chart) {
    int d;
    if (chart == NULL) return;
    free(chart->tempo_map);
    free(chart->beats);
    for (d = 0; d < DS_DIFFICULTY_COUNT; d++) free(chart->difficulties[d].hits);
    memset(chart, 0, sizeof *chart);
}

ds_error_kind ds_chart_parse(const char *text, size_t length, ds_chart *out, ds_error *err) {
    const unsigned char *s = (const unsigned char *)text;
    cJSON *root;
    ds_error_kind rc;
    ds_error local;
    if (err == NULL) err = &local;
    memset(err, 0, sizeof *err);
    if (out == NULL) return fail(err, DS_ERR_MEMORY, "(root)", "no chart to fill");
    memset(out, 0, sizeof *out);
    if (text == NULL) return fail(err, DS_ERR_PARSE, "(json)", "no text");
    if (length >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        s += 3;
        length -= 3;
    }
    root = scan_and_parse(s, length, err);
    if (root == NULL) return err->kind;
    rc = check_duplicates(root, err);
    if (rc == DS_OK) rc = read_chart(root, out, err);
    cJSON_Delete(root);
    if (rc != DS_OK) ds_chart_free(out);
    return rc;
}

ds_error_kind ds_chart_load(const char *path, ds_chart *out, ds_error *err) {
    FILE *f;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    ds_error_kind rc;
    if (out != NULL) memset(out, 0, sizeof *out);
    if (err != NULL) memset(err, 0, sizeof *err);
    if (path == NULL) return fail(err, DS_ERR_IO, "(null)", "no path");
    {
        /* never open a pipe or device: /dev/zero would be read forever, a FIFO would block */
        struct stat st;
        errno = 0;
        if (stat(path, &st) != 0) return fail(err, DS_ERR_IO, path, "cannot read the file: %s", strerror(errno));
        if (S_ISDIR(st.st_mode)) return fail(err, DS_ERR_IO, path, "cannot read the file: it is a folder");
        if (!S_ISREG(st.st_mode))
            return fail(err, DS_ERR_IO, path, "cannot read the file: not a regular file (a pipe or a device)");
        if ((unsigned long long)st.st_size > DS_MAX_CHART_BYTES)
            return fail(err, DS_ERR_IO, path, "cannot read the file: %llu bytes, more than the %lu allowed",
                        (unsigned long long)st.st_size, DS_MAX_CHART_BYTES);
    }
    errno = 0;
    f = fopen(path, "rb");
    if (f == NULL) return fail(err, DS_ERR_IO, path, "cannot read the file: %s", strerror(errno));
    for (;;) {
        size_t got;
        if (len > DS_MAX_CHART_BYTES) { /* it grew while read */
            free(buf);
            fclose(f);
            return fail(err, DS_ERR_IO, path, "cannot read the file: more than the %lu bytes allowed",
                        DS_MAX_CHART_BYTES);
        }
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nbuf = (char *)realloc(buf, ncap);
            if (nbuf == NULL) {
                free(buf);
                fclose(f);
                return fail(err, DS_ERR_MEMORY, path, "out of memory reading the file");
            }
            buf = nbuf;
            cap = ncap;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return fail(err, DS_ERR_IO, path, "cannot read the file");
    }
    fclose(f);
    rc = ds_chart_parse(buf, len, out, err);
    free(buf);
    if (rc != DS_OK && err != NULL) {
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof err->message - n, " (in %s)", path);
    }
    return rc;
}
