#!/usr/bin/env python3
"""Python's sqlite3 as the database's floor: run recorded statements, timed per group.

usage: sqlite_statements.py DATABASE GROUPS WARMUP

GROUPS is a file of JSON lines, one per operation of the registry (a resolution), each a list of
{"sql": TEXT, "binds": [VALUES]} in the order the registry ran them. DATABASE is opened with the
registry's settings (WAL, synchronous FULL, foreign keys); each group's statements run with
execute + fetchall (Python's statement cache keeps them prepared, as the registry's connection
does), the first WARMUP groups untimed, the rest each timed with perf_counter_ns. Every group must
return at least one row. Prints {"groups": N, "p50": ns, "p99": ns, "p999": ns, "sqlite": "3.x.y"}.
"""
import json
import sys
import time

import sqlite_peer


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 64
    database, groups_file, warm_up = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(groups_file, encoding="utf-8") as handle:
        groups = [[(s["sql"], s["binds"]) for s in json.loads(line)] for line in handle if line.strip()]
    connection = sqlite_peer.connect(database)
    cursor = connection.cursor()
    clock = time.perf_counter_ns
    samples = []
    for index, group in enumerate(groups):
        began = clock()
        found = 0
        for sql, binds in group:
            found += len(cursor.execute(sql, binds).fetchall())
        elapsed = clock() - began
        if found == 0:
            print(f"peer: group {index} returned no row", file=sys.stderr)
            return 1
        if index >= warm_up:
            samples.append(elapsed)
    sqlite_peer.report(samples, "groups")
    return 0


if __name__ == "__main__":
    sys.exit(main())
