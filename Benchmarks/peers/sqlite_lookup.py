#!/usr/bin/env python3
"""Python's sqlite3 as the lookup benchmark's peer.

usage: sqlite_lookup.py DATABASE ARTICLE NUMBERS WARMUP

Opens DATABASE with the registry's settings (WAL, synchronous FULL, foreign keys, busy timeout),
then runs the registry's look-up statement for every number of the file NUMBERS (one per line, in
the order the registry looked them up): the first WARMUP untimed, the rest each timed with
perf_counter_ns around execute + fetchone. Every look-up must find its row. Prints
{"lookups": N, "p50": ns, "p99": ns, "p999": ns, "sqlite": "3.x.y"}.
"""
import sys
import time

import sqlite_peer

# The statement Registry.lotSerial(product:number:) runs (Registry+LotSerials.swift).
LOOKUP = """
SELECT ls.*, p.article,
    EXISTS (SELECT 1 FROM lot_serial_attributes a WHERE a.lot_serial_id = ls.id)
    OR EXISTS (SELECT 1 FROM lot_serial_attachments f WHERE f.lot_serial_id = ls.id) AS has_extras
FROM lot_serials ls JOIN products p ON p.id = ls.product_id
WHERE p.article = ?1 AND ls.number = ?2
"""


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 64
    database, article, numbers_file, warm_up = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with open(numbers_file, encoding="utf-8") as handle:
        numbers = [line.rstrip("\n") for line in handle if line.strip()]
    connection = sqlite_peer.connect(database)
    cursor = connection.cursor()
    samples = []
    clock = time.perf_counter_ns
    for index, number in enumerate(numbers):
        began = clock()
        row = cursor.execute(LOOKUP, (article, number)).fetchone()
        elapsed = clock() - began
        if row is None:
            print(f"peer: serial {number} of {article} not found", file=sys.stderr)
            return 1
        if index >= warm_up:
            samples.append(elapsed)
    sqlite_peer.report(samples, "lookups")
    return 0


if __name__ == "__main__":
    sys.exit(main())
