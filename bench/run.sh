#!/usr/bin/env bash
# Measures what bench/RESULTS.md records (bench/README.md says how):
#  - instructions per 1 MiB update, image checker alone and whole update session
#    on a RAM flash (valgrind --tool=callgrind, instruction count "Ir");
#  - heap and stack of the session (valgrind --tool=massif --stacks=yes);
#  - code size of the core and crypto port for Cortex-M4 and RV32IMC;
#  - the flash-model time of a 1,500,000-byte update, the simulator's upload
#    path (instructions per byte, loopback throughput, plain and gzip), the
#    cost of GET /api/status, compressed vs plain bytes, the core's RAM.
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

# ---- the simulator's upload path, flash model, status cost, compression ----
webota=$build/webota
cmake --build "$build" --target webota -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
sim=$out/sim
rm -rf "$sim"
mkdir -p "$sim"
SIZE=1500000

# Images: a real-looking firmware (its contents are real RV32 machine code:
# picolibc's libc and webota's core from Debian's cross compiler) and the
# image maker's pseudo-random one, both ESP32-C3, 1,500,000 bytes.
libc=/usr/lib/picolibc/riscv64-unknown-elf/lib/release/rv32imac/ilp32/libc.a
"$src/tests/cross/cross_build.sh" rv32imc "$src" "$out/cross-rv32imc" >/dev/null
python3 "$src/bench/real_code.py" "$sim/code.bin" "$libc" "$out/cross-rv32imc/libwebota_rv32imc.a" >/dev/null
"$webota" image make --chip esp32c3 --project webota-demo --version 2.0.0 --size $SIZE --fill "$sim/code.bin" \
    -o "$sim/real.bin" >/dev/null
"$webota" image make --chip esp32c3 --project webota-demo --version 2.0.1 --size $SIZE -o "$sim/random.bin" >/dev/null
"$webota" image make --chip esp32c3 --project webota-demo --version 1.0.0 --size 200000 -o "$sim/base.bin" >/dev/null
for f in real random; do gzip -9 -n -c "$sim/$f.bin" >"$sim/$f.bin.gz"; done

echo "== flash-model time of a $SIZE-byte update (webota flash update --json; ESP32 flash timing model)"
"$webota" flash make -o "$sim/flash.bin" --size 4MB --chip esp32c3 --layout two-ota-large --app ota_0="$sim/base.bin" >/dev/null
"$webota" flash update --json --chip esp32c3 "$sim/flash.bin" "$sim/real.bin" >"$sim/update.json"
python3 - "$sim/update.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); f = j["flash"]
print(f"{j['bytes'] if 'bytes' in j else ''} bytes into {j['slot']}: {f['busy_ms']/1000:.2f} s of flash time "
      f"({f['erases']} erases, {f['bytes_erased']} bytes erased; {f['programs']} programs; {f['bytes_read']} bytes read back)")
PY

# A simulator under test: start it (optionally under valgrind), wait for its URL.
start_sim() { # $1 = log, rest = command prefix
    local log=$1; shift
    rm -f "$sim/dev.bin"
    "$@" "$webota" sim --chip esp32c3 --layout two-ota-large --flash "$sim/dev.bin" --bind 127.0.0.1 \
        --port 0 --confirm first-request >"$log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 600); do
        url=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | head -1 | sed 's/listening on //')
        [ -n "$url" ] && return 0
        sleep 0.1
    done
    echo "bench: the simulator did not start: $(cat "$log")" >&2
    kill "$sim_pid" 2>/dev/null
    return 1
}
stop_sim() { kill -INT "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null || true; }
# Waits until the device answers after its reboot (bounded: 120 s).
wait_back() {
    for _ in $(seq 1200); do
        curl -s -m 2 "$url/api/status" 2>/dev/null | grep -q '"rebooting":false' && return 0
        sleep 0.1
    done
    echo "bench: the simulator did not come back" >&2
    return 1
}
upload() { # $1 file, $2 "gz" or "" -> prints seconds
    local enc=()
    [ "$2" = gz ] && enc=(-H 'Content-Encoding: gzip')
    curl -s -o /dev/null -w '%{time_total}\n' -H 'Expect:' -H 'Content-Type: application/octet-stream' \
        "${enc[@]}" --data-binary @"$1" "$url/api/update"
}

echo "== instructions per uploaded image byte in the simulator (callgrind, inside webota_api_body/_end:"
echo "   the core's upload path from the first body byte to activation; HTTP parsing and the reboot excluded)"
for kind in plain gz; do
    file=$sim/real.bin
    [ $kind = gz ] && file=$sim/real.bin.gz
    start_sim "$sim/cg-$kind.log" valgrind --tool=callgrind --callgrind-out-file="$out/cg.sim.$kind" \
        --toggle-collect=webota_api_body --toggle-collect=webota_api_end || exit 1
    upload "$file" "$kind" >/dev/null
    wait_back
    stop_sim
    ir=$(grep -E '^(summary|totals):' "$out/cg.sim.$kind" | head -1 | awk '{print $2}')
    sent=$(stat -c %s "$file")
    python3 -c "print(f'$kind: {$ir:,} instructions, {$ir/$SIZE:.0f} per image byte ({$sent:,} bytes sent)')"
    callgrind_annotate "$out/cg.sim.$kind" 2>/dev/null | grep -E '^ *[0-9,]+ +\( *[0-9.]+%\) +[^P]' |
        head -4 | sed -E 's/ \[[^]]*\]$//' || true
done

echo "== cost of GET /api/status (callgrind inside webota_api_begin, 50 requests)"
start_sim "$sim/cg-status.log" valgrind --tool=callgrind --callgrind-out-file="$out/cg.sim.status" \
    --toggle-collect=webota_api_begin || exit 1
for _ in $(seq 50); do curl -s -o /dev/null "$url/api/status"; done
stop_sim
ir=$(grep -E '^(summary|totals):' "$out/cg.sim.status" | head -1 | awk '{print $2}')
python3 -c "print(f'{$ir/50:,.0f} instructions per status request')"

echo "== loopback throughput of the upload (Release simulator, curl, median of 11, $SIZE-byte image)"
start_sim "$sim/tp.log" || exit 1
for kind in plain gz; do
    file=$sim/real.bin
    [ $kind = gz ] && file=$sim/real.bin.gz
    : >"$sim/times.$kind"
    for _ in $(seq 11); do
        upload "$file" "$kind" >>"$sim/times.$kind"
        wait_back
    done
    python3 - "$sim/times.$kind" $SIZE "$(stat -c %s "$file")" $kind <<'PY'
import statistics, sys
t = statistics.median(float(x) for x in open(sys.argv[1]) if x.strip())
print(f"{sys.argv[4]}: median {t*1000:.1f} ms per upload, {int(sys.argv[2])/t/1e6:.1f} MB/s of image, "
      f"{int(sys.argv[3])/t/1e6:.1f} MB/s on the wire")
PY
done
grep -o 'update of [0-9]* bytes: .*' "$sim/tp.log" | tail -1 | sed 's/^/simulator log: /'
curl -s "$url/api/status" | grep -o '"last_update":{[^}]*}' | sed 's/^/\/api\/status: /'
stop_sim

echo "== compressed vs plain bytes (gzip -9), and the time saved at 1 MB/s"
python3 - "$sim" "$src/tests/vectors/image" <<'PY'
import glob, os, sys, zlib
sim, vec = sys.argv[1], sys.argv[2]
rows = [("real-looking ESP32-C3 firmware (RV32 code)", f"{sim}/real.bin"),
        ("pseudo-random image (the maker's default)", f"{sim}/random.bin")]
rows += [(f"demo: {os.path.basename(p)}", p) for p in sorted(glob.glob(f"{sim}/webota-demo-*.bin"))]
rows += [(f"vector: {os.path.basename(p)}", p) for p in sorted(glob.glob(f"{vec}/esp32*_app.bin"))]
for name, path in rows:
    d = open(path, "rb").read()
    c = zlib.compressobj(9, zlib.DEFLATED, 31, 9)
    g = len(c.compress(d) + c.flush())
    print(f"{name:48s} {len(d):>9,} -> {g:>9,} bytes  {100*(1-g/len(d)):5.1f}% fewer  "
          f"{(len(d)-g)/1e6:6.2f} s saved at 1 MB/s")
PY

echo "== the core's RAM during an update (caller-owned structs; stack: massif above)"
"$bin" ram

echo "== peer: Mongoose 7.22's own push OTA server (mg_http_start_ota; bench/mongoose_ota.c is its mg_ota_* port),"
echo "   same image, same curl; uploads to webota and to the peer alternate so that load drift hits both"
# Its mongoose.c/.h come from a local mirror of the repository (never committed);
# without the mirror this part is skipped.
mirror=${MONGOOSE_MIRROR:-/work/.mirror/cesanta+mongoose/repo}
mg=$out/mongoose
if git --git-dir="$mirror" rev-parse -q --verify 7.22 >/dev/null 2>&1; then
    mkdir -p "$mg"
    git --git-dir="$mirror" show 7.22:mongoose.c >"$mg/mongoose.c"
    git --git-dir="$mirror" show 7.22:mongoose.h >"$mg/mongoose.h"
    cc -O2 -g -DMG_OTA=MG_OTA_CUSTOM -I"$mg" -o "$mg/mongoose_ota" "$src/bench/mongoose_ota.c" "$mg/mongoose.c"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    murl=http://127.0.0.1:$port
    start_sim "$sim/peer.log" || exit 1
    for kind in crc sha; do
        valgrind --tool=callgrind --callgrind-out-file="$out/cg.mongoose.$kind" --toggle-collect='mg_upload_handler' \
            "$mg/mongoose_ota" "$port" $kind >"$mg/$kind.log" 2>&1 &
        mpid=$!
        for _ in $(seq 300); do grep -q listening "$mg/$kind.log" && break; sleep 0.1; done
        curl -s -o /dev/null -H 'Expect:' -H 'Content-Type: application/octet-stream' \
            --data-binary @"$sim/real.bin" "$murl/api/update"
        kill -TERM $mpid; wait $mpid 2>/dev/null || true
        ir=$(grep -E '^(summary|totals):' "$out/cg.mongoose.$kind" | head -1 | awk '{print $2}')
        "$mg/mongoose_ota" "$port" $kind >"$mg/$kind.log" 2>&1 &
        mpid=$!
        for _ in $(seq 100); do grep -q listening "$mg/$kind.log" && break; sleep 0.1; done
        : >"$mg/times.$kind"
        : >"$mg/ours.$kind"
        for _ in $(seq 11); do
            curl -s -o /dev/null -w '%{time_total}\n' -H 'Expect:' -H 'Content-Type: application/octet-stream' \
                --data-binary @"$sim/real.bin" "$murl/api/update" >>"$mg/times.$kind"
            upload "$sim/real.bin" "" >>"$mg/ours.$kind"
            wait_back
        done
        kill -TERM $mpid; wait $mpid 2>/dev/null || true
        python3 - "$mg/times.$kind" $SIZE "$ir" $kind "$mg/ours.$kind" <<'PY'
import statistics, sys
t = statistics.median(float(x) for x in open(sys.argv[1]) if x.strip())
ours = statistics.median(float(x) for x in open(sys.argv[5]) if x.strip())
n, ir = int(sys.argv[2]), int(sys.argv[3])
what = {"crc": "CRC-32", "sha": "CRC-32 + SHA-256 (signed)"}[sys.argv[4]]
print(f"Mongoose {what}: {ir/n:.0f} instructions per byte in its upload handler; median {t*1000:.1f} ms "
      f"per upload ({n/t/1e6:.1f} MB/s); webota plain, alternating: median {ours*1000:.1f} ms "
      f"({n/ours/1e6:.1f} MB/s): webota's throughput is {t/ours:.2f}x Mongoose {sys.argv[4]}")
PY
    done
    stop_sim
else
    echo "skipped: no Mongoose mirror at $mirror (set MONGOOSE_MIRROR)"
fi
