#!/usr/bin/env bash
# The label benchmarks' peers, run by `make bench` right after LabelBenchmarks, on one core:
#   zint      the `zint` command line (Debian `zint`) writing the lot label's two symbols
#             (GS1-128 and GS1 DataMatrix) as PNG, with different data per label: labels/s.
#   zebrafy   zebrafy (PyPI; ASCII hex and Z64 forms) converting the same 812 x 1218 picture to a ^GF graphic: ms per image.
#   glabels   glabels-3-batch (Debian `glabels`) merging a CSV into gs1-lot-100x50.glabels, the same
#             layout as Templates/gs1-lot-100x50.yaml, with the same kind of varying data as
#             LabelBenchmarks (lot, expiry, quantity): labels/s, including its start-up (about 1.4 s).
#             It writes PDF (vector, one 100 x 50 mm page per label): that is the comparison point,
#             not ZPL or a 203 dpi raster. Its build has no GS1 symbologies, so the layout has Code 128
#             and DataMatrix with the same data string (without FNC1); see the layout file's header.
#             Default 1,000 labels, not 10,000: glabels-3-batch's memory grows with the square of the
#             number of labels (1.3 GB for 1,000, 5.1 GB for 2,000; 10,000 did not finish).
# Usage: peers.sh TEMPLATES_FOLDER [LABELS] [GLABELS_LABELS]
set -euo pipefail
templates=${1:?usage: peers.sh TEMPLATES_FOLDER [LABELS] [GLABELS_LABELS]}
labels=${2:-200}
glabels_labels=${3:-1000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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

# glabels: the CSV holds every field of the label; "code" is the barcodes' data (one merge field each).
python3 - "$glabels_labels" "$work/labels.csv" <<'PY'
import csv, sys
count, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["description", "gtin", "article", "lot", "expiry", "quantity", "unit", "partner", "code"])
    for i in range(count):
        # As LabelBenchmarks' labelData: lot, expiry (month and day) and quantity change per label.
        month, day, lot = i % 12 + 1, i % 28 + 1, f"LOT-{100000 + i}"
        out.writerow(["Hydraulic oil HLP 46, 20 l canister", "09501101530003", "A-1001", lot,
                      f"{day:02d}.{month:02d}.2027", i % 500 + 1, "L", "Nordic Fluids AB",
                      f"01095011015300031727{month:02d}{day:02d}10{lot}"])
PY
start=$(date +%s.%N)
# It prints layout debugging on stdout; keep its messages in case it fails.
if ! taskset -c 0 glabels-3-batch --input="$work/labels.csv" --output="$work/labels.pdf" \
        "$here/gs1-lot-100x50.glabels" >/dev/null 2>"$work/glabels.log"; then
    cat "$work/glabels.log" >&2
    exit 1
fi
end=$(date +%s.%N)
python3 - "$work/labels.pdf" "$glabels_labels" "$start" "$end" <<'PY'
import re, sys
path, n, start, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", open(path, "rb").read()))
if pages != n:
    sys.exit(f"glabels: {pages} pages in the PDF, expected {n}")
s = end - start
print(f"glabels{n/s:10.0f} labels/s ({n} labels to PDF in {s:.2f} s)")
PY
