#!/usr/bin/env bash
# The label benchmarks' peers, run by `make bench` right after LabelBenchmarks, on one core:
#   zint      the `zint` command line (Debian `zint`) writing the lot label's two symbols
#             (GS1-128 and GS1 DataMatrix) as PNG, with different data per label: labels/s.
#   zebrafy   zebrafy (PyPI; ASCII hex and Z64 forms) converting the same 812 x 1218 picture to a ^GF graphic: ms per image.
# Usage: peers.sh TEMPLATES_FOLDER [LABELS]
set -euo pipefail
templates=${1:?usage: peers.sh TEMPLATES_FOLDER [LABELS]}
labels=${2:-200}
work=$(mktemp -d /tmp/tracemark-label-peers.XXXXXX)
trap 'rm -rf "$work"' EXIT

start=$(date +%s.%N)
for ((i = 0; i < labels; i++)); do
    lot="LOT-$((100000 + i))"
    day=$(printf '%02d' $((i % 28 + 1)))
    taskset -c 0 zint -b 16 --gs1 --scale 1 --notext -o "$work/a.png" -d "[01]09501101530003[17]2701${day}[10]${lot}" >/dev/null
    taskset -c 0 zint -b 71 --gs1 --square --scale 1 -o "$work/b.png" -d "[01]09501101530003[17]2701${day}[10]${lot}" >/dev/null
done
end=$(date +%s.%N)
python3 -c "import sys; n=$labels; s=$end-$start; print(f'zint   {n/s:10.0f} labels/s ({n} labels, two symbols each, in {s:.2f} s)')"

python3 - "$templates/images/exclamation-ghs07.png" <<'PY'
import sys, time
from PIL import Image
from zebrafy import ZebrafyImage
picture = Image.open(sys.argv[1]).convert("1").resize((812, 1218))
for form in ("ASCII", "Z64"):
    start = time.perf_counter()
    for _ in range(20):
        ZebrafyImage(picture, format=form, dither=False).to_zpl()
    ms = (time.perf_counter() - start) * 1000 / 20
    print(f"zebrafy {form:5} {ms:8.2f} ms per image")
PY
