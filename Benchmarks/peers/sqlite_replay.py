#!/usr/bin/env python3
"""Python's sqlite3 as the database's floor under a whole run: replay recorded statements, timed in all.

usage: sqlite_replay.py DATABASE STATEMENTS RUNS

STATEMENTS is a file of JSON lines, each {"sql": TEXT, "binds": [VALUES]}, in the order a run of
Tracemark asked them of the database: `BEGIN`, `COMMIT` and `ROLLBACK` mark its write
transactions (BEGIN runs as BEGIN IMMEDIATE, as the store's writer begins), everything between
them ran in the transaction, and a statement outside one ran on its own. DATABASE is the database
as it was before that run; it is never changed: each of the RUNS replays on a fresh copy, opened
with the registry's settings (WAL, synchronous FULL, foreign keys), every statement executed and
its rows fetched, the whole replay timed with perf_counter_ns. Prints {"runs": N, "best": ns,
"median": ns, "statements": N, "transactions": N, "sqlite": "3.x.y", "by_statement": [...]}, where
"by_statement" is the best run's time per statement text (its first words), most first:
{"sql": TEXT, "count": N, "ns": ns}; BEGIN and COMMIT count as statements there, since a COMMIT
is where the transaction's pages are written and synced.
"""
import json
import sqlite3
import statistics
import sys
import time

import sqlite_peer

MARKS = {"BEGIN": "BEGIN IMMEDIATE", "COMMIT": "COMMIT", "ROLLBACK": "ROLLBACK"}


def kind(sql):
    """A statement's first words, enough to tell the spool's statements apart."""
    text = " ".join(sql.split())
    return text if len(text) <= 44 else text[:44] + "…"


def replay(database, statements):
    """Nanoseconds to run `statements` on a copy of `database`, and the time of each kind of statement."""
    spent = {}
    with sqlite_peer.fresh_copy(database) as connection:
        cursor = connection.cursor()
        clock = time.perf_counter_ns
        began = clock()
        for sql, binds in statements:
            start = clock()
            cursor.execute(MARKS.get(sql, sql), binds).fetchall()
            count, ns = spent.get(sql, (0, 0))
            spent[sql] = (count + 1, ns + clock() - start)
        elapsed = clock() - began
    kinds = {}
    for sql, (count, ns) in spent.items():
        total = kinds.setdefault(kind(sql), [0, 0])
        total[0] += count
        total[1] += ns
    return elapsed, sorted(({"sql": k, "count": c, "ns": n} for k, (c, n) in kinds.items()), key=lambda e: -e["ns"])


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 64
    database, statements_file, runs = sys.argv[1], sys.argv[2], max(1, int(sys.argv[3]))
    with open(statements_file, encoding="utf-8") as handle:
        statements = [(s["sql"], s["binds"]) for s in (json.loads(line) for line in handle if line.strip())]
    if not statements:
        print("peer: no statement to replay", file=sys.stderr)
        return 1
    replays = sorted((replay(database, statements) for _ in range(runs)), key=lambda r: r[0])
    times = [elapsed for elapsed, _ in replays]
    print(json.dumps({"runs": len(times), "best": times[0], "median": int(statistics.median(times)),
                      "statements": sum(1 for sql, _ in statements if sql not in MARKS),
                      "transactions": sum(1 for sql, _ in statements if sql == "BEGIN"),
                      "sqlite": sqlite3.sqlite_version, "by_statement": replays[0][1]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
