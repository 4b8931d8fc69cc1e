#!/usr/bin/env bash
# Peer benchmark for printing: how fast LPrint (Debian `lprint` 1.1, an IPP Everywhere label
# printer application on PAPPL) passes ZPL labels to a raw TCP printer. The printer is a loopback
# listener that reads every connection to the end and counts labels (`^XZ`) and bytes.
#
# Run from the repository (needs lprint, python3, and setpriv when run as root):
#     Benchmarks/PrintingBenchmarks/lprint-peer.sh [LABELS]        # default 1000
#
# Two figures, each timed from the first submission until the printer has the last label:
#   - LABELS jobs of one label each (`lprint submit` with LABELS files): what a spool that
#     follows every label as its own job sees, like Tracemark's CUPS transport (batch of 1);
#   - one job of LABELS labels: the cost of the path without the per-job overhead.
# The label is the golden GS1 lot label (Tests/LabelsTests/Golden/gs1-lot-100x50-203.zpl, 708 bytes),
# sent as application/vnd.zebra-zpl so LPrint passes it through untouched.
#
# Self-contained: LPrint's state, spool, log and control socket live in a temporary folder that is
# removed afterwards, and its server and the listener are stopped. As root, the server runs as
# `nobody` (root's LPrint would use /etc/lprint.conf and /run/lprint.sock, shared with a system
# LPrint). LPrint 1.1 ignores listen-hostname: for the run, its IPP port listens on every address.
set -euo pipefail

labels=${1:-1000}
here=$(cd "$(dirname "$0")" && pwd)
label="$here/../../Tests/LabelsTests/Golden/gs1-lot-100x50-203.zpl"
command -v lprint >/dev/null || { echo "lprint-peer.sh: lprint not found; run scripts/install-deps.sh" >&2; exit 1; }
[ -f "$label" ] || { echo "lprint-peer.sh: $label not found" >&2; exit 1; }

work=$(mktemp -d /tmp/tracemark-lprint.XXXXXX)
chmod 0755 "$work"
server_pid=""
listener_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; fi
    if [ -n "$listener_pid" ]; then kill "$listener_pid" 2>/dev/null; wait "$listener_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# LPrint keeps its state in $SNAP_DATA/lprint.conf and its control socket in $TMPDIR. An array,
# not a function, so that `$!` of the background server is LPrint's own pid.
as_lprint=(env HOME="$work" SNAP_DATA="$work" TMPDIR="$work")
if [ "$(id -u)" -eq 0 ]; then
    as_lprint=(setpriv --reuid=nobody --regid=nogroup --clear-groups "${as_lprint[@]}")
fi

# The printer: takes every connection, reads it to the end, keeps "bytes labels" totals in a file,
# and answers ~HQES and ~HS (status) as a ready Zebra printer does.
cat >"$work/printer.py" <<'EOF'
import os, socket, sys, threading
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(128)
totals, lock = [0, 0], threading.Lock()
EXTENDED_STATUS = (b"\x02\r\n\r\nPRINTER STATUS\r\n   ERRORS:         0 00000000 00000000\r\n"
                   b"   WARNINGS:       0 00000000 00000000\r\n\x03\r\n")
HOST_STATUS = (b"\x02030,0,0,0812,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n"
               b"\x021234,0\x03\r\n")
def publish():
    # Counted as bytes arrive: LPrint keeps the connection open for a while after a job.
    with open(sys.argv[1] + ".new", "w") as f:
        f.write(f"{totals[0]} {totals[1]}\n")
    os.replace(sys.argv[1] + ".new", sys.argv[1])
def serve(connection):
    tail = b""
    while True:
        data = connection.recv(65536)
        if not data:
            break
        # LPrint's ZPL driver asks for the printer's status first and waits 10 s for each answer.
        if b"~HQES" in data:
            connection.sendall(EXTENDED_STATUS)
        if b"~HS" in data:
            connection.sendall(HOST_STATUS)
        with lock:
            totals[0] += len(data)
            totals[1] += (tail + data).count(b"^XZ")
            publish()
        tail = data[-2:]
    connection.close()
with open(sys.argv[2], "w") as f:
    f.write(f"{listener.getsockname()[1]}\n")
while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
EOF
python3 "$work/printer.py" "$work/received" "$work/printer-port" &
listener_pid=$!
for _ in $(seq 1 100); do [ -s "$work/printer-port" ] && break; sleep 0.05; done
printer_port=$(cat "$work/printer-port")

ipp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/spool" "$work/labels"
[ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$work" "$work/spool"
"${as_lprint[@]}" lprint server -o server-port="$ipp_port" -o spool-directory="$work/spool" \
    -o log-file="$work/lprint.log" -o log-level=error -o server-options=no-web-interface \
    >"$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do "${as_lprint[@]}" lprint printers >/dev/null 2>&1 && break; sleep 0.1; done
"${as_lprint[@]}" lprint add -d zebra -m zpl_4inch-203dpi-dt -v "socket://127.0.0.1:$printer_port" >/dev/null

for i in $(seq 1 "$labels"); do cp "$label" "$work/labels/label-$i.zpl"; done
for i in $(seq 1 "$labels"); do cat "$label"; done >"$work/all.zpl"
chmod -R a+rX "$work/labels" "$work/all.zpl"

received_labels() { [ -s "$work/received" ] && cut -d' ' -f2 "$work/received" || echo 0; }

# Times one submission until the printer holds `expected` labels in all; prints labels/s.
run() {
    local what=$1 expected=$2; shift 2
    local start end got
    start=$(date +%s.%N)
    "${as_lprint[@]}" lprint submit -d zebra -o document-format=application/vnd.zebra-zpl "$@" >/dev/null &
    local submit=$!
    for _ in $(seq 1 6000); do
        got=$(received_labels)
        [ "$got" -ge "$expected" ] && break
        sleep 0.05
    done
    end=$(date +%s.%N)
    wait "$submit" || true
    got=$(received_labels)
    python3 -c "import sys; n, t = $labels, $end - $start; print(f'{sys.argv[1]:<28} {n} labels in {t:6.2f} s = {n / t:7.1f} labels/s')" "$what"
    if [ "$got" -lt "$expected" ]; then echo "  only $got of $expected labels arrived" >&2; fi
}

echo "LPrint $(dpkg-query -W -f='${Version}' lprint 2>/dev/null || echo '?'), ZPL passthrough to a loopback TCP printer"
run "one job per label" "$labels" "$work"/labels/label-*.zpl
run "one job of all labels" "$((labels * 2))" "$work/all.zpl"
final=$(received_labels)
if [ "$final" -ne "$((labels * 2))" ]; then
    echo "note: the printer received $final labels for $((labels * 2)) sent" >&2
fi
errors=$(grep -c '^E ' "$work/lprint.log" 2>/dev/null || true)
[ "${errors:-0}" -gt 0 ] && echo "note: LPrint logged $errors errors, e.g.: $(grep '^E ' "$work/lprint.log" | grep -v DNS-SD | head -n 1)" >&2
exit 0
