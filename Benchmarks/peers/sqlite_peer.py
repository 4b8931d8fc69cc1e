"""What the SQLite peers share: a connection set up as the registry sets up its own, and the
nearest-rank percentile the Swift side computes."""
import contextlib
import json
import math
import os
import shutil
import sqlite3
import tempfile

# The registry's connection settings (Sources/Store/SQLiteStore.swift), mmap_size aside: the peer
# keeps SQLite's default there, as a plain client would.
PRAGMAS = ("PRAGMA busy_timeout = 5000", "PRAGMA journal_mode = WAL",
           "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON")


def connect(database):
    """A connection in autocommit mode with the registry's settings, keeping 512 statements."""
    connection = sqlite3.connect(database, isolation_level=None, cached_statements=512)
    for pragma in PRAGMAS:
        connection.execute(pragma).fetchall()
    return connection


@contextlib.contextmanager
def fresh_copy(database):
    """A connection (as `connect` makes it) to a copy of `database` in a temporary folder, removed
    afterwards: for a peer that writes, so that every run starts from the same database."""
    folder = tempfile.mkdtemp(prefix="tracemark-peer-")
    try:
        copy = os.path.join(folder, "copy.sqlite")
        # The backup API reads the database whole and consistent, with anything left in its WAL.
        source, target = sqlite3.connect(database), sqlite3.connect(copy)
        source.backup(target)
        source.close()
        target.close()
        connection = connect(copy)
        try:
            yield connection
        finally:
            connection.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def percentile(ordered, fraction):
    """The nearest-rank percentile: the smallest sample that `fraction` of the samples do not exceed."""
    rank = min(max(math.ceil(fraction * len(ordered)), 1), len(ordered))
    return ordered[rank - 1]


def report(samples, counted):
    """Prints {counted: N, "p50", "p99", "p999" (nanoseconds), "sqlite": version} for the samples."""
    samples.sort()
    print(json.dumps({counted: len(samples), "p50": percentile(samples, 0.5), "p99": percentile(samples, 0.99),
                      "p999": percentile(samples, 0.999), "sqlite": sqlite3.sqlite_version}))
