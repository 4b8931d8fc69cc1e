#!/usr/bin/env python3
"""The database's floor under two spools that keep less per job than Tracemark's does.

usage: spool_designs.py DATABASE PRINTER BATCH RUNS

DATABASE holds PRINTER's queued one-label jobs (as the spool benchmark queues them); it is never
changed: each of the RUNS drains a fresh copy, opened with the registry's settings (WAL,
synchronous FULL), in batches of BATCH jobs, each batch in the three transactions a worker
commits before and after touching the printer (claim; delivery recorded; done), and nothing is
sent. Two designs, each timed whole with perf_counter_ns:

- "one_write": a batch is a row of its own (its jobs as a JSON list, its state and delivery, its
  history); claiming reads the jobs and their labels and writes only that row; done updates each
  job once. A job's state while in flight is its batch's.
- "no_write": the same, but the jobs are never written: a job's state is always derived from the
  batch rows.

Prints {"one_write": ns, "no_write": ns, "jobs": N} (the best of the runs).
"""
import json
import sys
import time

import sqlite_peer

BATCHES = """
CREATE TABLE design_batches (id INTEGER PRIMARY KEY, printer TEXT NOT NULL, jobs TEXT NOT NULL,
    state TEXT NOT NULL, delivery TEXT, at TEXT NOT NULL)
"""
CLAIM = """
SELECT id, state, language, label_count, copies, printed_labels, attempts, next_attempt_at,
    (SELECT payload FROM print_job_payloads WHERE job_id = print_jobs.id) AS payload
FROM print_jobs WHERE printer = ? AND state = 'queued' AND id > ? ORDER BY id LIMIT ?
"""
AT = "2026-01-01T00:00:00.000Z"


def drain(cursor, printer, batch, writes_jobs):
    """Drains the printer's queue; returns how many jobs it took."""
    last, taken = 0, 0
    while True:
        cursor.execute("BEGIN IMMEDIATE")
        rows = cursor.execute(CLAIM, (printer, last, batch)).fetchall()
        if not rows:
            cursor.execute("COMMIT")
            return taken
        ids = json.dumps([row[0] for row in rows])
        cursor.execute("INSERT INTO design_batches (printer, jobs, state, at) VALUES (?, ?, 'sending', ?)",
                       (printer, ids, AT))
        number = cursor.lastrowid
        cursor.execute("COMMIT")
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("UPDATE design_batches SET delivery = ? WHERE id = ?", ('{"labels":0}', number))
        cursor.execute("COMMIT")
        cursor.execute("BEGIN IMMEDIATE")
        if writes_jobs:
            cursor.execute("UPDATE print_jobs SET state = 'done', confirmed = 1, finished_at = ? "
                           "WHERE id IN (SELECT value FROM json_each(?))", (AT, ids))
        cursor.execute("UPDATE design_batches SET state = 'done', at = ? WHERE id = ?", (AT, number))
        cursor.execute("COMMIT")
        last, taken = rows[-1][0], taken + len(rows)


def timed(database, printer, batch, writes_jobs):
    """Nanoseconds to drain a copy of `database`, and how many jobs it took."""
    with sqlite_peer.fresh_copy(database) as connection:
        cursor = connection.cursor()
        cursor.execute(BATCHES)
        began = time.perf_counter_ns()
        jobs = drain(cursor, printer, batch, writes_jobs)
        return time.perf_counter_ns() - began, jobs


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 64
    database, printer, batch, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), max(1, int(sys.argv[4]))
    result = {}
    for name, writes_jobs in (("one_write", True), ("no_write", False)):
        times = [timed(database, printer, batch, writes_jobs) for _ in range(runs)]
        result[name] = min(elapsed for elapsed, _ in times)
        result["jobs"] = times[0][1]
    if result["jobs"] == 0:
        print(f"peer: printer {printer} has no queued job", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
