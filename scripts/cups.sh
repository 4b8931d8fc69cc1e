#!/usr/bin/env bash
# A throw-away CUPS server (cupsd) on loopback for tests and benchmarks.
#   scripts/cups.sh start DIR [PORT]  -> prints 127.0.0.1:PORT of a fresh cupsd whose files live in DIR
#   scripts/cups.sh stop DIR          -> stops it and removes what `start` created in DIR
# Clients reach it with `-h 127.0.0.1:PORT` or CUPS_SERVER=127.0.0.1:PORT. It has no queues: add them
# with `lpadmin -h 127.0.0.1:PORT -p NAME -E -v socket://127.0.0.1:9100/ -m raw`.
# cupsd runs as root (it starts filters and backends as `lp`); without root it runs through sudo.
# Anyone on this machine may administer it without a password: it is for tests, never for printing.
#
# TRACEMARK_CUPS_OWNER=PID (at start): the server is stopped and its files removed once process PID
# has ended, so that a run killed midway (a CI timeout, Ctrl+C, SIGKILL) leaves no cupsd behind.
set -euo pipefail

# Close descriptors inherited from the caller (a test process's pipes and sockets): cupsd and the
# owner's watcher outlive this script and would otherwise hold them open, so a caller that learns
# of this script's end when they close (Foundation's Process does) would wait for as long as they run.
for fd in /proc/$$/fd/*; do
    n=${fd##*/}
    case $n in 0|1|2|255) ;; *) eval "exec $n>&-" 2>/dev/null || true ;; esac
done

cmd=${1:?usage: cups.sh start DIR [PORT] | stop DIR}
dir=${2:?usage: cups.sh start DIR [PORT] | stop DIR}

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

cupsd=$(command -v cupsd || echo /usr/sbin/cupsd)
[ -x "$cupsd" ] || { echo "cups.sh: cupsd not found; run scripts/install-deps.sh" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Everything `start` creates lives in DIR/cupsd, so that `stop` removes only that (and DIR itself
# when `start` created it).
state="$dir/cupsd"

case "$cmd" in
start)
    port=${3:-$(free_port)}
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        touch "$dir/.created-by-cups.sh"
    fi
    if [ -e "$state" ]; then
        echo "cups.sh: $state exists: stop the server that uses it first (scripts/cups.sh stop $dir)" >&2
        exit 1
    fi
    $sudo mkdir -p "$state"/{etc/ppd,etc/ssl,spool/tmp,cache,state/certs,log}
    # Filters and backends run as lp: they must reach the spool and the PPDs, so every folder on the
    # way down must be searchable by others (mktemp -d makes 0700 folders).
    $sudo chmod o+x "$dir" "$state"
    parent=$(dirname "$(cd "$dir" && pwd)")
    [ "$parent" = / ] || $sudo chmod o+x "$parent"
    $sudo chown root:lp "$state/spool" "$state/cache" "$state/etc/ppd"
    $sudo chmod 0710 "$state/spool"
    $sudo chmod 1777 "$state/spool/tmp"
    $sudo chmod 0775 "$state/cache"
    $sudo chmod 0755 "$state/etc" "$state/etc/ppd" "$state/state" "$state/log"
    $sudo chmod 0711 "$state/state/certs"

    $sudo tee "$state/etc/cups-files.conf" >/dev/null <<EOF
# Written by scripts/cups.sh: a private cupsd whose every file is under $state.
ServerRoot $state/etc
RequestRoot $state/spool
TempDir $state/spool/tmp
CacheDir $state/cache
StateDir $state/state
AccessLog $state/log/access_log
ErrorLog $state/log/error_log
PageLog $state/log/page_log
FileDevice Yes
SystemGroup root
EOF
    $sudo tee "$state/etc/cupsd.conf" >/dev/null <<EOF
# Written by scripts/cups.sh: loopback only, no web interface, no browsing, no passwords.
Listen 127.0.0.1:$port
LogLevel info
MaxLogSize 0
WebInterface No
Browsing No
DefaultAuthType None
DefaultEncryption Never
# Keep finished jobs (and their titles) so a crashed sender can ask what became of a job.
PreserveJobHistory Yes
PreserveJobFiles No
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess all
  JobPrivateValues none
  SubscriptionPrivateAccess all
  SubscriptionPrivateValues none
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
EOF
    $sudo "$cupsd" -t -c "$state/etc/cupsd.conf" -s "$state/etc/cups-files.conf" >"$state/log/check.log" 2>&1 \
        || { cat "$state/log/check.log" >&2; exit 1; }
    # -f keeps cupsd in the foreground, so that its pid (or sudo's, which passes signals on) is the
    # one to stop. It starts with no signal blocked: a caller may have some blocked (a Swift test
    # process starts children from threads that block SIGTERM), and a cupsd deaf to TERM would
    # only go at the KILL ten seconds later.
    $sudo python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])' \
        "$cupsd" -f -c "$state/etc/cupsd.conf" -s "$state/etc/cups-files.conf" </dev/null >"$state/log/cupsd.out" 2>&1 &
    echo $! | $sudo tee "$state/pid" >/dev/null
    echo "$port" | $sudo tee "$state/port" >/dev/null
    for _ in $(seq 1 300); do
        # lpstat -r exits 0 whether or not the scheduler answers: its words tell.
        if [ "$(LC_ALL=C lpstat -h "127.0.0.1:$port" -r 2>/dev/null || true)" = "scheduler is running" ]; then
            if [ -n "${TRACEMARK_CUPS_OWNER:-}" ]; then
                bash "$(dirname "$0")/owner-watch.sh" "$TRACEMARK_CUPS_OWNER" "$0" "$dir" "$state"
            fi
            echo "127.0.0.1:$port"
            exit 0
        fi
        if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "cups.sh: cupsd did not answer on 127.0.0.1:$port" >&2
    cat "$state/log/cupsd.out" "$state/log/error_log" >&2 2>/dev/null || true
    "$0" stop "$dir" || true
    exit 1
    ;;
stop)
    if [ -f "$state/pid" ]; then
        pid=$(cat "$state/pid")
        # Only a cupsd started from this folder is stopped. A cupsd that has exited but not been
        # reaped yet (its parent is gone, and PID 1 in a container may be slow to reap) has an
        # empty command line, so `kill -0` alone would wait for it in vain.
        ours() { grep -qF "$state/etc/cupsd.conf" "/proc/$pid/cmdline" 2>/dev/null; }
        if ours; then
            $sudo kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 100); do ours || break; sleep 0.1; done
            if ours; then $sudo kill -KILL "$pid" 2>/dev/null || true; fi
        fi
    fi
    $sudo rm -rf "$state"
    if [ -f "$dir/.created-by-cups.sh" ]; then
        rm -f "$dir/.created-by-cups.sh"
        rmdir "$dir" 2>/dev/null || true
    fi
    ;;
*)
    echo "usage: cups.sh start DIR [PORT] | stop DIR" >&2
    exit 2
    ;;
esac
