#!/usr/bin/env bash
# What a PostgreSQL server's log says went wrong: its errors with their details (beside the
# refusals tests ask for on purpose), then its last lock waits of over a second. `make test` shows
# it when a test fails: the client's error only names the test, the server names the tables.
# Usage: scripts/postgres-errors.sh SERVER_LOG
set -euo pipefail
log="${1:?usage: postgres-errors.sh SERVER_LOG}"
[ -r "$log" ] || exit 0
expected='_migrations" does not exist|duplicate key value violates'
echo "PostgreSQL's errors during the tests (the last 40, beside the refusals tests ask for):"
awk -v expected="$expected" '
    / (ERROR|FATAL|PANIC): / { keep = ($0 !~ expected); if (keep) print; next }
    / (DETAIL|HINT|CONTEXT|STATEMENT): / { if (keep) print; next }
    { keep = 0 }
' "$log" | grep -v "still waiting for\|Process holding the lock" | tail -40
echo "Its last lock waits of over a second:"
grep -E "still waiting for|acquired .* after" "$log" | tail -10 || true
