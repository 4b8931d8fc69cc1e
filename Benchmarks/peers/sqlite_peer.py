"""What the SQLite peers share: a connection set up as the registry sets up its own, and the
nearest-rank percentile the Swift side computes."""
import json
import math
import sqlite3

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


def percentile(ordered, fraction):
    """The nearest-rank percentile: the smallest sample that `fraction` of the samples do not exceed."""
    rank = min(max(math.ceil(fraction * len(ordered)), 1), len(ordered))
    return ordered[rank - 1]


def report(samples, counted):
    """Prints {counted: N, "p50", "p99", "p999" (nanoseconds), "sqlite": version} for the samples."""
    samples.sort()
    print(json.dumps({counted: len(samples), "p50": percentile(samples, 0.5), "p99": percentile(samples, 0.99),
                      "p999": percentile(samples, 0.999), "sqlite": sqlite3.sqlite_version}))
