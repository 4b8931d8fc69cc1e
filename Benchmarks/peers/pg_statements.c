/*
 * The PostgreSQL floor of the registry benchmarks: runs statements a Tracemark operation ran (as
 * RegistryBenchmarks recorded them, with their values) through libpq, PostgreSQL's own C client,
 * and times each group of them (one operation: a document's transaction, a proposal).
 *
 * Like the registry's store, a SELECT, INSERT, UPDATE, DELETE or WITH is prepared once per
 * connection under a name and then executed by it; anything else (BEGIN, COMMIT) runs unnamed.
 * Values go as text with the types the registry bound them with; results come back binary, as
 * the registry asks for them. No row is decoded: this is what the database and the wire cost.
 *
 *   pg_statements CONNINFO FILE [ROUNDS [WARMUP]]
 *
 * FILE holds groups: "G <statements>\n", then per statement "S <params> <bytes>\n<sql>\n" and per
 * value "P <type oid> <bytes>\n<text>\n" or "N\n" (null). Every group is run ROUNDS times in turn
 * (1 unless given; a read can be repeated, a write cannot); the first WARMUP runs are not timed.
 * Prints {"groups": N, "seconds": S, "p50": NS, "p99": NS, "p999": NS} (nanoseconds per group).
 * Any statement that fails stops the run with the server's message and exit status 1.
 */
#include <libpq-fe.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct {
    char *sql;
    int params;
    Oid *types;
    char **values;
    int prepared; /* index into names + 1, or 0: not kept */
} Statement;

typedef struct {
    int count;
    Statement *statements;
} Group;

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "pg_statements: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static char *read_bytes(FILE *file, long length) {
    char *text = malloc((size_t)length + 1);
    if (!text || fread(text, 1, (size_t)length, file) != (size_t)length || fgetc(file) != '\n') fail("truncated file", NULL);
    text[length] = 0;
    return text;
}

static int keepable(const char *sql) {
    static const char *heads[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"};
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
        if (strncasecmp(sql, heads[i], strlen(heads[i])) == 0) return 1;
    return 0;
}

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) fail("usage: pg_statements CONNINFO FILE [ROUNDS [WARMUP]]", NULL);
    long rounds = argc > 3 ? atol(argv[3]) : 1, warmup = argc > 4 ? atol(argv[4]) : 0;
    FILE *file = fopen(argv[2], "rb");
    if (!file) fail("cannot open", argv[2]);

    Group *groups = NULL;
    int group_count = 0, group_capacity = 0;
    /* Statement texts kept prepared: a statement's name is its index here (types are part of the key). */
    Statement **kept = NULL;
    int kept_count = 0, kept_capacity = 0;
    int statements;
    while (fscanf(file, "G %d\n", &statements) == 1) {
        if (group_count == group_capacity) {
            group_capacity = group_capacity ? group_capacity * 2 : 64;
            groups = realloc(groups, sizeof *groups * (size_t)group_capacity);
        }
        Group *group = &groups[group_count++];
        group->count = statements;
        group->statements = calloc((size_t)statements, sizeof(Statement));
        for (int s = 0; s < statements; s++) {
            Statement *statement = &group->statements[s];
            long length;
            /* (a "\n" in a scanf format would skip the text's own leading white space too) */
            if (fscanf(file, "S %d %ld", &statement->params, &length) != 2 || fgetc(file) != '\n')
                fail("expected a statement", argv[2]);
            statement->sql = read_bytes(file, length);
            statement->types = calloc((size_t)statement->params + 1, sizeof(Oid));
            statement->values = calloc((size_t)statement->params + 1, sizeof(char *));
            for (int p = 0; p < statement->params; p++) {
                unsigned type;
                int c = fgetc(file);
                if (c == 'N' && fgetc(file) == '\n') continue;
                if (c != 'P' || fscanf(file, " %u %ld", &type, &length) != 2 || fgetc(file) != '\n') fail("expected a value", argv[2]);
                statement->types[p] = type;
                statement->values[p] = read_bytes(file, length);
            }
            if (!keepable(statement->sql)) continue;
            for (int k = 0; k < kept_count && !statement->prepared; k++) {
                Statement *other = kept[k];
                if (other->params == statement->params && strcmp(other->sql, statement->sql) == 0
                    && memcmp(other->types, statement->types, sizeof(Oid) * (size_t)statement->params) == 0)
                    statement->prepared = k + 1;
            }
            if (statement->prepared) continue;
            if (kept_count == kept_capacity) {
                kept_capacity = kept_capacity ? kept_capacity * 2 : 32;
                kept = realloc(kept, sizeof *kept * (size_t)kept_capacity);
            }
            kept[kept_count++] = statement;
            statement->prepared = kept_count;
        }
    }
    if (!feof(file)) fail("unreadable group header", argv[2]);
    fclose(file);

    PGconn *connection = PQconnectdb(argv[1]);
    if (PQstatus(connection) != CONNECTION_OK) fail("cannot connect", PQerrorMessage(connection));
    char *prepared = calloc((size_t)kept_count + 1, 1);

    long runs = (long)group_count * rounds;
    int64_t *samples = malloc(sizeof(int64_t) * (size_t)(runs > warmup ? runs - warmup : 1));
    long timed = 0;
    int64_t timed_total = 0;
    char name[32];
    for (long run = 0; run < runs; run++) {
        Group *group = &groups[run % group_count];
        int64_t began = now_ns();
        for (int s = 0; s < group->count; s++) {
            Statement *statement = &group->statements[s];
            PGresult *result;
            if (statement->prepared) {
                snprintf(name, sizeof name, "peer_%d", statement->prepared);
                if (!prepared[statement->prepared]) {
                    result = PQprepare(connection, name, statement->sql, statement->params, statement->types);
                    if (PQresultStatus(result) != PGRES_COMMAND_OK) fail(statement->sql, PQresultErrorMessage(result));
                    PQclear(result);
                    prepared[statement->prepared] = 1;
                }
                result = PQexecPrepared(connection, name, statement->params, (const char *const *)statement->values, NULL, NULL, 1);
            } else {
                result = PQexecParams(connection, statement->sql, statement->params, statement->types,
                                      (const char *const *)statement->values, NULL, NULL, 1);
            }
            ExecStatusType status = PQresultStatus(result);
            if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(statement->sql, PQresultErrorMessage(result));
            PQclear(result);
        }
        int64_t took = now_ns() - began;
        if (run >= warmup) {
            samples[timed++] = took;
            timed_total += took;
        }
    }
    PQfinish(connection);
    if (timed == 0) fail("nothing was timed", NULL);
    qsort(samples, (size_t)timed, sizeof *samples, compare);
/* Nearest rank, as the benchmarks' own percentiles: the smallest sample q of them do not exceed. */
#define AT(q) samples[(long)ceil((q) * (double)timed) < 1 ? 0 : (long)ceil((q) * (double)timed) - 1]
    printf("{\"groups\": %ld, \"seconds\": %.6f, \"p50\": %lld, \"p99\": %lld, \"p999\": %lld}\n", timed,
           (double)timed_total / 1e9, (long long)AT(0.5), (long long)AT(0.99), (long long)AT(0.999));
    return 0;
}
