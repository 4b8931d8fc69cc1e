#!/bin/sh
# Builds the libFuzzer targets, each a plain swiftc call outside SwiftPM (so the package's own
# build is neither slowed nor changed), with -sanitize=fuzzer,address:
#   gs1-fuzz      Sources/GS1 and FuzzTarget.swift: every GS1 parser entry point
#   devices-fuzz  the scanner framer, HID keyboard and POS decoders, report descriptors (DevicesTarget.swift)
# Run from anywhere:
#
#     Fuzz/build.sh
#     SWIFT_BACKTRACE=enable=no Fuzz/.build/gs1-fuzz -max_total_time=600 -max_len=512 -timeout=10 \
#         -artifact_prefix=Fuzz/.build/ Fuzz/.build/corpus Fuzz/Corpus
#     SWIFT_BACKTRACE=enable=no Fuzz/.build/devices-fuzz -max_total_time=600 -max_len=2048 -timeout=10 \
#         -artifact_prefix=Fuzz/.build/ Fuzz/.build/devices-corpus Fuzz/DevicesCorpus
#
# A finding is written to Fuzz/.build/crash-* (or timeout-*, oom-*); replay it by passing the file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/.build/corpus" "$here/.build/devices-corpus"
features="-enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault \
    -enable-upcoming-feature MemberImportVisibility"
# shellcheck disable=SC2086
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name GS1Fuzz $features \
    "$here"/../Sources/GS1/*.swift "$here/FuzzTarget.swift" -o "$here/.build/gs1-fuzz"
echo "built $here/.build/gs1-fuzz"
devices="$here/../Sources/Devices"
# shellcheck disable=SC2086
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name DevicesFuzz $features \
    "$devices"/Framing/*.swift "$devices"/Keyboard/*.swift "$devices"/POS/*.swift "$here/DevicesTarget.swift" \
    -o "$here/.build/devices-fuzz"
echo "built $here/.build/devices-fuzz"
