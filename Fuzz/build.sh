#!/bin/sh
# Builds the libFuzzer targets, each a plain swiftc call outside SwiftPM (so the package's own
# build is neither slowed nor changed), with -sanitize=fuzzer,address:
#   gs1-fuzz        Sources/GS1 and FuzzTarget.swift: every GS1 parser entry point
#   devices-fuzz    the scanner framer, HID keyboard and POS decoders, report descriptors (DevicesTarget.swift)
#   templates-fuzz  the template loader: YAML and raw ZPL/EPL template files (TemplatesTarget.swift)
#   mustache-fuzz   label data bound into fields, designed and raw templates (MustacheTarget.swift)
#   rawzpl-fuzz     the raw-ZPL barcode reader, and ZPL we write read back (RawZPLTarget.swift)
# The last three compile Sources/Labels with the target as one module (internal types are
# reachable), against GS1, Problems, Yams (with its C part, CYaml) and swift-mustache built here
# as static libraries into .build/lib, instrumented too. Yams and swift-mustache come from the
# package's checkouts (.build/checkouts, made by `swift package resolve`), read only. A target or
# library is built again only when a source it is made from (or this script) is newer.
# Run from anywhere:
#
#     Fuzz/build.sh
#     SWIFT_BACKTRACE=enable=no Fuzz/.build/gs1-fuzz -max_total_time=600 -max_len=512 -timeout=10 \
#         -artifact_prefix=Fuzz/.build/ Fuzz/.build/corpus Fuzz/Corpus
#     SWIFT_BACKTRACE=enable=no Fuzz/.build/devices-fuzz -max_total_time=600 -max_len=2048 -timeout=10 \
#         -artifact_prefix=Fuzz/.build/ Fuzz/.build/devices-corpus Fuzz/DevicesCorpus
#     SWIFT_BACKTRACE=enable=no Fuzz/.build/templates-fuzz -max_total_time=600 -max_len=4096 -timeout=10 \
#         -rss_limit_mb=2048 -artifact_prefix=Fuzz/.build/ Fuzz/.build/templates-corpus Fuzz/TemplatesCorpus
#     SWIFT_BACKTRACE=enable=no Fuzz/.build/mustache-fuzz -max_total_time=600 -max_len=1024 -timeout=10 \
#         -rss_limit_mb=2048 -artifact_prefix=Fuzz/.build/ Fuzz/.build/mustache-corpus Fuzz/MustacheCorpus
#     SWIFT_BACKTRACE=enable=no Fuzz/.build/rawzpl-fuzz -max_total_time=600 -max_len=2048 -timeout=10 \
#         -rss_limit_mb=2048 -artifact_prefix=Fuzz/.build/ Fuzz/.build/rawzpl-corpus Fuzz/RawZPLCorpus
#
# A finding is written to Fuzz/.build/crash-* (or timeout-*, oom-*, leak-*); replay it by passing the file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sources="$here/../Sources"
checkouts="$here/../.build/checkouts"
lib="$here/.build/lib"
mkdir -p "$here/.build/corpus" "$here/.build/devices-corpus" "$here/.build/templates-corpus" \
    "$here/.build/mustache-corpus" "$here/.build/rawzpl-corpus" "$lib/CYaml"
# -package-name: the package's own modules see each other's `package` declarations, as in SwiftPM.
features="-enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault \
    -enable-upcoming-feature MemberImportVisibility -package-name tracemark"
# lld: gold warns about every local symbol of the address sanitizer.
swift="swiftc -O -sanitize=fuzzer,address -parse-as-library -use-ld=lld"

# stale OUTPUT PATH...: whether OUTPUT is missing or older than a file under a PATH (or this script).
stale() {
    output=$1
    shift
    [ ! -e "$output" ] || [ -n "$(find "$@" "$here/build.sh" -type f -newer "$output" | head -n 1)" ]
}

if stale "$here/.build/gs1-fuzz" "$sources/GS1" "$here/FuzzTarget.swift"; then
    # shellcheck disable=SC2086
    $swift -module-name GS1Fuzz $features \
        "$sources"/GS1/*.swift "$here/FuzzTarget.swift" -o "$here/.build/gs1-fuzz"
    echo "built $here/.build/gs1-fuzz"
fi
devices="$sources/Devices"
if stale "$here/.build/devices-fuzz" "$devices/Framing" "$devices/Keyboard" "$devices/POS" "$here/DevicesTarget.swift"; then
    # shellcheck disable=SC2086
    $swift -module-name DevicesFuzz $features \
        "$devices"/Framing/*.swift "$devices"/Keyboard/*.swift "$devices"/POS/*.swift "$here/DevicesTarget.swift" \
        -o "$here/.build/devices-fuzz"
    echo "built $here/.build/devices-fuzz"
fi

# The libraries of Labels. Their flags are SwiftPM's: -DSWIFT_PACKAGE (Yams imports CYaml only
# then), language mode 6, and for the package's own targets the upcoming features of Package.swift.
yams="$checkouts/Yams/Sources"
mustache="$checkouts/swift-mustache/Sources/Mustache"
if [ ! -d "$yams/Yams" ] || [ ! -d "$mustache" ]; then
    echo "no Yams or swift-mustache in $checkouts: run 'swift package resolve' first" >&2
    exit 1
fi
library="$swift -swift-version 6 -DSWIFT_PACKAGE -emit-library -static -emit-module"
if stale "$lib/libCYaml.a" "$yams/CYaml"; then
    for file in "$yams"/CYaml/src/*.c; do
        clang -O2 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC -w -I "$yams/CYaml/include" \
            -c "$file" -o "$lib/CYaml/$(basename "$file" .c).o"
    done
    rm -f "$lib/libCYaml.a"
    ar rcs "$lib/libCYaml.a" "$lib"/CYaml/*.o
    echo "built $lib/libCYaml.a"
fi
if stale "$lib/libYams.a" "$yams/Yams" "$lib/libCYaml.a"; then
    # shellcheck disable=SC2086
    $library -module-name Yams -emit-module-path "$lib/Yams.swiftmodule" -suppress-warnings \
        -Xcc -fmodule-map-file="$yams/CYaml/include/module.modulemap" -Xcc -I -Xcc "$yams/CYaml/include" \
        -Xcc -DYAML_DECLARE_STATIC "$yams"/Yams/*.swift -o "$lib/libYams.a"
    echo "built $lib/libYams.a"
fi
if stale "$lib/libMustache.a" "$mustache"; then
    # shellcheck disable=SC2086
    $library -module-name Mustache -emit-module-path "$lib/Mustache.swiftmodule" -suppress-warnings \
        "$mustache"/*.swift -o "$lib/libMustache.a"
    echo "built $lib/libMustache.a"
fi
for module in Problems GS1; do
    if stale "$lib/lib$module.a" "$sources/$module"; then
        # shellcheck disable=SC2086
        $library -module-name $module -emit-module-path "$lib/$module.swiftmodule" $features \
            "$sources/$module"/*.swift -o "$lib/lib$module.a"
        echo "built $lib/lib$module.a"
    fi
done

# The Labels targets. The C libraries' module maps are Sources/C*; pkg-config names are those of
# Package.swift's system library targets (zint has no pkg-config file).
labels=$(find "$sources/Labels" -name '*.swift' | sort)
for target in templates:TemplatesTarget mustache:MustacheTarget rawzpl:RawZPLTarget; do
    name=${target%%:*}
    file="$here/${target#*:}.swift"
    out="$here/.build/$name-fuzz"
    if stale "$out" "$sources/Labels" "$sources/CZint" "$sources/CPNG" "$sources/CFreeType" "$sources/CZBar" \
        "$sources/CDmtx" "$file" "$lib/libCYaml.a" "$lib/libYams.a" "$lib/libMustache.a" "$lib/libProblems.a" "$lib/libGS1.a"; then
        # shellcheck disable=SC2046,SC2086
        $swift -swift-version 6 -module-name LabelsFuzz $features -I "$lib" \
            -Xcc -fmodule-map-file="$yams/CYaml/include/module.modulemap" -Xcc -I -Xcc "$yams/CYaml/include" \
            -Xcc -fmodule-map-file="$sources/CZint/module.modulemap" -Xcc -fmodule-map-file="$sources/CPNG/module.modulemap" \
            -Xcc -fmodule-map-file="$sources/CFreeType/module.modulemap" -Xcc -fmodule-map-file="$sources/CZBar/module.modulemap" \
            -Xcc -fmodule-map-file="$sources/CDmtx/module.modulemap" $(pkg-config --cflags libpng freetype2 zbar libdmtx) \
            $labels "$file" -L "$lib" -lYams -lCYaml -lMustache -lGS1 -lProblems \
            -lzint $(pkg-config --libs libpng freetype2 zbar libdmtx) -o "$out"
        echo "built $out"
    fi
done
