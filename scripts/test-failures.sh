#!/usr/bin/env bash
# What went wrong in a `swift test` run, in a few lines: the issues the failed tests recorded,
# and, when the test process crashed, the runtime's fatal error and the crashed thread's first
# frames with those of the project's own code (which name the test). `make test` prints it last
# when the tests fail: a crash's backtrace runs to thousands of lines, and a CI log's tail showed
# only its list of libraries.
# Usage: scripts/test-failures.sh TEST_LOG
set -euo pipefail
log="${1:?usage: test-failures.sh TEST_LOG}"
[ -r "$log" ] || exit 0
echo "What failed (from the test log; the first issues recorded):"
{ grep -aE "^✘ Test .* recorded an issue|: error: " "$log" || true; } | cut -c1-240 | head -8
{ grep -aE "Fatal error|Program crashed" "$log" || true; } | cut -c1-240 | head -3
awk '
    /^Thread [0-9]+( "[^"]*")? crashed:/ { inside = 1; shown = 0; print; next }
    inside && /^(Thread [0-9]+|Registers:|Images )/ { inside = 0 }
    inside && /^ *[0-9]+ / {
        if (shown < 3 || (/tracemarkPackageTests|\/tracemark / && shown < 10)) {
            sub(/^ +/, ""); print "  " substr($0, 1, 200); shown++
        }
    }
' "$log"
