#!/usr/bin/env bash
# Installs the Debian packages Tracemark needs to build, run and test, and the PyPI packages of the
# test oracle (../shared/oracles/decode.py: zxing-cpp reads barcodes, zplkit renders ZPL for it).
# Idempotent: does nothing (and needs no network) when everything is already there.
# Extra Debian packages given as arguments are installed too (`make bench` adds glabels, the label
# benchmarks' glabels-3-batch peer, which the tests do not need).
set -euo pipefail

packages=(
    libsqlite3-dev sqlite3          # embedded registry; sqlite3 is the benchmark's peer
    postgresql postgresql-client    # the multi-station registry and its test server
    openssl                         # a self-signed certificate for the TLS test server
    python3                         # checks that the generated GS1 AI table is up to date
    libusb-1.0-0-dev                # USB HID scanners (Devices, CLibUSB)
    umockdev                        # replays recorded USB scanners for the libusb tests
    qemu-system-x86                 # guest with emulated USB keyboard and serial port (../shared/usb)
    libxkbcommon0 xkb-data          # X.Org keyboard layouts: the oracle for the scanner layout tables
    libzint-dev                     # labels: barcode symbols
    libpng-dev libfreetype-dev      # labels: PNG output and text
    fonts-dejavu-core               # labels: the font text is measured and drawn with
    libzbar-dev libdmtx-dev         # labels: check before print reads barcodes back
    python3-pip zbar-tools          # tests: the barcode oracle's installer, and a second reader
    zint util-linux                 # label benchmarks: the zint command line as a peer; taskset
    socat                           # printing benchmarks: the raw TCP 9100 peer
    libcups2-dev                    # printing: libcups, the CUPS client library (CCUPS)
    cups-daemon cups-client         # printing tests: a private cupsd (scripts/cups.sh); lpadmin, lp, lpstat
    cups                            # printing: the sample label drivers (drv:///sample.drv/zebra.ppd, rastertolabel)
    cups-filters                    # printing: imagetoraster, which PNG jobs go through before the label driver
    lprint                          # printing benchmark: LPrint, the peer label-printer application
    curl                            # HTTP API tests: the client
    chromium chromium-driver        # station page tests: a real headless browser, driven by selenium
)
# The oracle's Python packages (PyPI), installed for the python3 on PATH.
# zebrafy is the label benchmarks' peer for ^GF conversion; schemathesis tests the HTTP API against its OpenAPI document;
# prometheus-client reads /metrics back as Prometheus would; selenium drives the system's chromium
# for the station page's tests (given chromedriver's path, it downloads nothing).
python_packages=(zxing-cpp zplkit pillow zebrafy schemathesis prometheus-client selenium)
python_modules=(zxingcpp zplkit PIL zebrafy schemathesis prometheus_client selenium)

packages+=("$@")

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

missing_python=()
for i in "${!python_modules[@]}"; do
    python3 -c "import ${python_modules[$i]}" 2>/dev/null || missing_python+=("${python_packages[$i]}")
done
if [ ${#missing_python[@]} -gt 0 ]; then
    echo "installing from PyPI: ${missing_python[*]}"
    # Debian's own python3 refuses system-wide pip installs (PEP 668) unless told otherwise.
    python3 -m pip install --quiet --disable-pip-version-check \
        "${missing_python[@]}" 2>/dev/null \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${missing_python[@]}"
fi
