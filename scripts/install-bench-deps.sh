#!/usr/bin/env bash
# Installs the Debian packages only `make bench` needs (the tests do not): the label benchmarks'
# glabels-3-batch peer. Idempotent: does nothing (and needs no network) when it is already there.
set -euo pipefail

packages=(
    glabels                         # label benchmarks: glabels-3-batch as a peer (peers.sh)
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
