#!/usr/bin/env python3
"""biip as the parse benchmark's peer: parse every scan of FILE (one per line) ROUNDS times.

Prints {"scans": N, "valid": V, "nsPerScan": X} like the C engine's harness, so that
RegistryBenchmarks can put the three parsers side by side on the same input.
"""
import json
import sys
import time

import biip


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: biip_parse.py FILE ROUNDS", file=sys.stderr)
        return 64
    with open(sys.argv[1], "rb") as handle:
        scans = [line.decode("utf-8", "surrogateescape") for line in handle.read().split(b"\n") if line]
    rounds = max(1, int(sys.argv[2]))
    valid = 0
    for scan in scans:  # warm-up, and the verdicts
        try:
            biip.parse(scan)
            valid += 1
        except Exception:  # biip raises ParseError (and, on odd input, others): not valid
            pass
    started = time.perf_counter_ns()
    for _ in range(rounds):
        for scan in scans:
            try:
                biip.parse(scan)
            except Exception:
                pass
    elapsed = time.perf_counter_ns() - started
    print(json.dumps({"scans": len(scans), "valid": valid, "nsPerScan": elapsed / (rounds * len(scans))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
