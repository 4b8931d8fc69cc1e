#!/usr/bin/env bash
# Installs the Debian packages Tracemark needs to build, run and test.
# Idempotent: does nothing (and needs no network) when everything is already there.
set -euo pipefail

packages=(
    libsqlite3-dev sqlite3          # embedded registry; sqlite3 is the benchmark's peer
    postgresql postgresql-client    # the multi-station registry and its test server
    python3                         # checks that the generated GS1 AI table is up to date
    libusb-1.0-0-dev                # USB HID scanners (Devices, CLibUSB)
    umockdev                        # replays recorded USB scanners for the libusb tests
    qemu-system-x86                 # guest with emulated USB keyboard and serial port (../shared/usb)
    libxkbcommon0 xkb-data          # X.Org keyboard layouts: the oracle for the scanner layout tables
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
