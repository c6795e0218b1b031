#!/usr/bin/env bash
# Measures what bench/RESULTS.md records:
#  - instructions per 1 MiB update, image checker alone and whole update session
#    on a RAM flash (valgrind --tool=callgrind, instruction count "Ir");
#  - heap and stack of the session (valgrind --tool=massif --stacks=yes);
#  - code size of the core and crypto port for Cortex-M4 and RV32IMC.
#   bench/run.sh [BUILD_DIR]   (default: build-bench in the source tree)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-bench}
out=$build/bench-out
command -v valgrind >/dev/null || { echo "bench: valgrind missing (scripts/deps.sh test)" >&2; exit 1; }

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWEBOTA_WERROR=ON >/dev/null
cmake --build "$build" --target bench_update -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
bin=$(find "$build" -name bench_update -type f -perm -u+x | head -1)
mkdir -p "$out"

echo "== wall time (informative; machine dependent)"
"$bin" checker 20
"$bin" session 5

ir() { # total instruction count of a callgrind run
    valgrind --tool=callgrind --callgrind-out-file="$2" "$bin" "$1" 1 >/dev/null 2>"$2.log"
    grep -E '^(summary|totals):' "$2" | head -1 | awk '{print $2}'
}
echo "== instructions (callgrind; the update alone, and the whole program with making the images)"
for mode in checker session; do
    total=$(ir "$mode" "$out/cg.$mode")
    # Only the measured part: instructions inside run_checker / run_session.
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.$mode.only" --toggle-collect="run_$mode" \
        "$bin" "$mode" 1 >/dev/null 2>&1
    only=$(grep -E '^(summary|totals):' "$out/cg.$mode.only" | head -1 | awk '{print $2}')
    echo "$mode: $only instructions for the 1 MiB update ($total for the whole program)"
    callgrind_annotate "$out/cg.$mode.only" 2>/dev/null | grep -E '^ *[0-9,]+ +\( *[0-9.]+%\) +[^P]' |
        head -5 | sed -E 's/ \[[^]]*\]$//' || true
done

echo "== heap and stack of the session (massif)"
valgrind --tool=massif --stacks=yes --massif-out-file="$out/massif.session" "$bin" session 1 >/dev/null 2>&1
python3 - "$out/massif.session" <<'PY'
import sys
peak_total = peak_heap = peak_stack = 0
snap = {}
for line in open(sys.argv[1]):
    if line.startswith("snapshot="):
        snap = {}
    elif "=" in line and not line.startswith(("desc", "cmd", "time_unit", "heap_tree")):
        k, v = line.strip().split("=", 1)
        if k.startswith("mem_"):
            snap[k] = int(v)
            if len(snap) == 3:
                h, x, s = snap.get("mem_heap_B", 0), snap.get("mem_heap_extra_B", 0), snap.get("mem_stacks_B", 0)
                peak_heap = max(peak_heap, h + x); peak_stack = max(peak_stack, s); peak_total = max(peak_total, h + x + s)
print(f"peak heap {peak_heap} bytes (4 MiB RAM flash + images: the simulator's), peak stack {peak_stack} bytes")
PY

echo "== code size (bare-metal cross builds, -Os)"
for t in cortex-m4 rv32imc; do
    "$src/tests/cross/cross_build.sh" "$t" "$src" "$out/cross-$t" | grep -E 'TOTALS|^webota|^by group'
done
