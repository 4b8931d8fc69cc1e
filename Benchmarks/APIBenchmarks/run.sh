#!/usr/bin/env bash
# HTTP API benchmarks (make bench-api): the release `tracemark serve` on loopback, loaded by wrk
# (Debian) from the same machine, in one run:
#   1. GET /api/v1/resolve for serials among 1,000,000 (the resolve benchmark's registry), 16 connections;
#   2. beside it, GET /api/v1/healthz: a route that returns a constant through the same server;
#   3. POST /api/v1/stations/lookup-1/scans on a look-up station, 20 connections (goal: p99 under 10 ms);
#   4. SSE fan-out: 100 clients on GET /api/v1/events while scans flow; delivery p99 (sse_fanout.py).
# Usage: Benchmarks/APIBenchmarks/run.sh TRACEMARK REGISTRY_BENCHMARKS [SECONDS]
set -euo pipefail
tracemark=${1:?usage: run.sh TRACEMARK REGISTRY_BENCHMARKS [SECONDS]}
registry_benchmarks=${2:?usage: run.sh TRACEMARK REGISTRY_BENCHMARKS [SECONDS]}
seconds=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/tracemark-api-bench.XXXXXX)
serve_pid=""
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "== the registry: 1,000,000 serials and 100,000 lots (the resolve benchmark's load) =="
"$registry_benchmarks" --only resolve --workdir "$work" > "$work/registry.log"
grep -E "loaded in|resolutions" "$work/registry.log" || true
db="$work/resolve.sqlite"
token=$("$tracemark" token create --name bench --role operator --db "$db" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat > "$work/serve.yaml" <<YAML
database: "$db"
http: {listen: "127.0.0.1:$port", event-clients: 128}
stations:
  lookup-1: {kind: lookup, warehouse: MAIN}
YAML
"$tracemark" serve --config "$work/serve.yaml" > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/api/v1/healthz" > /dev/null && break; sleep 0.1; done

# The scans: (01) GTIN (21) serial of 10,000 serials drawn from the million (products S0…S99).
python3 - "$work/codes.txt" <<'PY'
import random, sys
def gtin(product):
    body = "0410000" + "%06d" % product
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)
random.seed(7)
with open(sys.argv[1], "w") as out:
    for _ in range(10000):
        index = random.randrange(1_000_000)
        out.write("(01)%s(21)SN%d\n" % (gtin(index % 100), index))
PY
cat > "$work/resolve.lua" <<LUA
local codes = {}
for line in io.lines("$work/codes.txt") do
  codes[#codes + 1] = line:gsub("%(", "%%28"):gsub("%)", "%%29")
end
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  return wrk.format("GET", "/api/v1/resolve?code=" .. codes[math.random(#codes)])
end
LUA
cat > "$work/scan.lua" <<LUA
local codes = {}
for line in io.lines("$work/codes.txt") do codes[#codes + 1] = line end
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
request = function()
  return wrk.format("POST", "/api/v1/stations/lookup-1/scans", nil, '{"raw":"' .. codes[math.random(#codes)] .. '"}')
end
LUA
cat > "$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests/s %.0f  p50 %.2f ms  p99 %.2f ms  errors %d  non-2xx %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA
cat "$work/report.lua" >> "$work/resolve.lua"
cat "$work/report.lua" >> "$work/scan.lua"
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" > "$work/constant.lua"
cat "$work/report.lua" >> "$work/constant.lua"

echo "== GET /api/v1/resolve, serials among 1,000,000, 16 connections, ${seconds} s =="
wrk -t2 -c16 -d"${seconds}s" -s "$work/resolve.lua" "http://127.0.0.1:$port" | grep RESULT
echo "== GET /api/v1/healthz (a constant, same server), 16 connections, ${seconds} s =="
wrk -t2 -c16 -d"${seconds}s" -s "$work/constant.lua" "http://127.0.0.1:$port/api/v1/healthz" | grep RESULT
echo "== POST /api/v1/stations/lookup-1/scans (look-up, each scan logged), 20 connections, ${seconds} s =="
wrk -t2 -c20 -d"${seconds}s" -s "$work/scan.lua" "http://127.0.0.1:$port" | grep RESULT
echo "== GET /api/v1/events: 100 clients follow lookup-1 while 400 scans are posted at 20/s =="
python3 "$here/sse_fanout.py" "$port" "$token" "$work/codes.txt" 100 400 20 | grep RESULT
