#!/usr/bin/env bash
# A throw-away PostgreSQL server on loopback for tests and benchmarks.
#   scripts/postgres.sh start DIR   -> prints the postgres:// URL of a fresh cluster in DIR
#   scripts/postgres.sh stop DIR    -> stops it and removes DIR
# TRACEMARK_PG_TLS=1 also turns TLS on with a self-signed certificate for 127.0.0.1 and localhost,
# whose copy DIR/ca.crt clients can trust (sslmode=verify-full&sslrootcert=DIR/ca.crt).
# The cluster runs as the invoking user, or as `postgres` when invoked as root (initdb refuses root).
# TRACEMARK_PG_OWNER=PID (at start): the server is stopped and DIR removed once process PID has
# ended, so that a test run killed midway leaves no server behind (a stop before then is as usual).
set -euo pipefail

# Close descriptors inherited from the caller (a test process's pipes and sockets): the server
# outlives this script and would otherwise hold them open, so their other ends never see EOF.
for fd in /proc/$$/fd/*; do
    n=${fd##*/}
    case $n in 0|1|2|255) ;; *) eval "exec $n>&-" 2>/dev/null || true ;; esac
done

cmd=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "postgres.sh: PostgreSQL server binaries not found; run scripts/install-deps.sh" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

case "$cmd" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        # initdb refuses to run as root; the cluster belongs to `postgres`, which must reach DIR.
        chmod o+x "$(dirname "$dir")"
        chown postgres "$dir"
    fi
    # Tests trade durability for speed (TRACEMARK_PG_FAST=1); benchmarks keep the defaults. Tests
    # also log a lock waited for longer than deadlock_timeout (1 s), with who held it: `make test`
    # shows the server's log when a test fails.
    fast=""
    if [ "${TRACEMARK_PG_FAST:-0}" = 1 ]; then
        fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c log_lock_waits=on"
    fi
    as_owner "$bindir/initdb" -D "$dir/data" -U tracemark --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    tls=""
    if [ "${TRACEMARK_PG_TLS:-0}" = 1 ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$dir/server.key" -out "$dir/ca.crt" >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }
        cp "$dir/ca.crt" "$dir/data/server.crt"
        mv "$dir/server.key" "$dir/data/server.key"
        chmod 600 "$dir/data/server.key"
        chmod 644 "$dir/ca.crt"
        if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir/data/server.crt" "$dir/data/server.key"; fi
        tls="-c ssl=on"
    fi
    port=$(free_port)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir $fast $tls -c max_connections=600" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U tracemark tracemark
    echo "$port" >"$dir/port"
    if [ -n "${TRACEMARK_PG_OWNER:-}" ]; then
        bash "$(dirname "$0")/owner-watch.sh" "$TRACEMARK_PG_OWNER" "$0" "$dir" "$dir"
    fi
    echo "postgres://tracemark@127.0.0.1:$port/tracemark"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
