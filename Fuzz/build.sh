#!/bin/sh
# Builds the libFuzzer target for the GS1 parser: Sources/GS1 and FuzzTarget.swift compiled as one
# module with -sanitize=fuzzer,address. It is a plain swiftc call, outside SwiftPM, so the main
# package's build is neither slowed nor changed. Run from anywhere:
#
#     Fuzz/build.sh
#     SWIFT_BACKTRACE=enable=no Fuzz/.build/gs1-fuzz -max_total_time=600 -max_len=512 -timeout=10 \
#         -artifact_prefix=Fuzz/.build/ Fuzz/.build/corpus Fuzz/Corpus
#
# A finding is written to Fuzz/.build/crash-* (or timeout-*, oom-*); replay it by passing the file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/.build/corpus"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name GS1Fuzz \
    -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault \
    -enable-upcoming-feature MemberImportVisibility \
    "$here"/../Sources/GS1/*.swift "$here/FuzzTarget.swift" -o "$here/.build/gs1-fuzz"
echo "built $here/.build/gs1-fuzz"
