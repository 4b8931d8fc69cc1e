#!/usr/bin/env bash
# Stops a throw-away server once the process that owns it has ended, so that a run killed midway
# (a CI timeout, Ctrl+C, SIGKILL) leaves nothing behind:
#   scripts/owner-watch.sh PID SCRIPT DIR MARK
# leaves a watcher that, once process PID has ended, runs `bash SCRIPT stop DIR` if MARK (a path)
# still exists (a stop before then is as usual). Used by postgres.sh and cups.sh.
set -euo pipefail

owner=${1:?usage: owner-watch.sh PID SCRIPT DIR MARK}
script=$(cd "$(dirname "${2:?}")" && pwd)/$(basename "$2")
dir=$(cd "${3:?}" && pwd)
mark=${4:?}
case $mark in /*) ;; *) mark=$(pwd)/$mark ;; esac

# Detached from the caller's session and deaf to its signals; an owner that has exited but is not
# reaped yet has an empty command line, so it counts as ended. Checked every second.
setsid bash -c 'trap "" HUP INT TERM PIPE
    while grep -q . "/proc/$1/cmdline" 2>/dev/null; do sleep 1; done
    [ -e "$4" ] && exec bash "$2" stop "$3"' \
    watch "$owner" "$script" "$dir" "$mark" </dev/null >/dev/null 2>&1 &
