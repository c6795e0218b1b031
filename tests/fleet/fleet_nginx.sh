#!/usr/bin/env bash
# The fleet proof (docs/fleet.md): Debian's nginx serves a release directory
# on 127.0.0.1 (its own free port, a temporary config, nothing system-wide),
# and `webota fleet sim` runs N simulated devices, each with its own flash
# file and update engine, against it:
#   1. rollout 10 %: exactly the devices whose bucket is below 1000 update
#      (the set is computed here independently, with sha256sum);
#   2. rollout 100 %: every device updates, none fails, every flash boots it;
#   3. nginx stopped for 3 s while the devices download 1.2.0: they resume
#      (HTTP Range, 206 answers in nginx's log) and all finish;
#   4. a manifest signed by an untrusted key, a manifest signed by the
#      trusted key for an image signed only by an untrusted one, an image
#      whose SHA-256 differs from the manifest's, a downgrade, a manifest
#      without signature, a revoked release: nobody installs, each device
#      says why;
#   5. a release whose firmware never becomes healthy: every device installs
#      it, rolls back, and does not retry it (not even in a new run);
#   6. `webota sim --pull`: one device with its web server refuses the image
#      signed by the untrusted key (its next polls are answered 304 and it
#      does not fetch the image again), then pulls the next release;
#      /api/status and `webota fleet status URL` show both (verdict and
#      message).
# Prints one summary line. Usage: fleet_nginx.sh WEBOTA WORKDIR [DEVICES]
set -euo pipefail

W=$1
T=$2
N=${3:-100}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "fleet: nginx is not installed (scripts/deps.sh test)" >&2; exit 1; }

rm -rf "$T"
mkdir -p "$T/www/fw" "$T/nginx/tmp" "$T/fleet" "$T/img" "$T/other" "$T/single"
start=$(date +%s.%N)
NGINX_PID=
FLEET_PID=

cleanup() {
  [ -n "$FLEET_PID" ] && kill "$FLEET_PID" 2>/dev/null && wait "$FLEET_PID" 2>/dev/null
  [ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  stop_nginx
}
stop_nginx() {
  if [ -n "$NGINX_PID" ]; then
    kill -TERM "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=
  fi
}
trap cleanup EXIT

fail() { echo "fleet: FAILED: $*" >&2; exit 1; }

# ---- nginx on a free port, unprivileged paths only ----
write_conf() {
  cat > "$T/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
  log_format fleet '\$status \$body_bytes_sent "\$request" "\$http_range"';
  access_log $T/nginx/access.log fleet;
  client_body_temp_path $T/nginx/tmp/body;
  proxy_temp_path $T/nginx/tmp/proxy;
  fastcgi_temp_path $T/nginx/tmp/fastcgi;
  uwsgi_temp_path $T/nginx/tmp/uwsgi;
  scgi_temp_path $T/nginx/tmp/scgi;
  types { application/json json; application/octet-stream bin sig; }
  server {
    listen 127.0.0.1:$PORT;
    root $T/www;
    etag on;
    # slow enough that stopping nginx catches downloads in the middle
    location /fw/images/ { limit_rate 48k; }
  }
}
CONF
}
start_nginx() {
  write_conf
  "$NGINX" -p "$T/nginx" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" -g 'daemon off;' &
  NGINX_PID=$!
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then return 0; fi
    kill -0 "$NGINX_PID" 2>/dev/null || { NGINX_PID=; return 1; }
    sleep 0.1
  done
  return 1
}
PORT=
for _ in $(seq 1 20); do
  PORT=$(( 20000 + (RANDOM * 7 + $$) % 40000 ))
  if start_nginx; then break; fi
  PORT=
done
[ -n "$PORT" ] || { cat "$T/nginx/error.log" >&2 || true; fail "nginx did not start"; }
URL="http://127.0.0.1:$PORT/fw/stable.json"

# ---- keys and images ----
"$W" keygen --scheme ecdsa256 -o "$T/key.pem" --pub "$T/key.pub.pem" >/dev/null
"$W" keygen --scheme ecdsa256 -o "$T/other.pem" --pub "$T/other.pub.pem" >/dev/null
mkimg() { # version size seed [extra flags]
  local v=$1 size=$2 seed=$3; shift 3
  "$W" image make --chip esp32 --project webota-demo --version "$v" --size "$size" --seed "$seed" "$@" \
    -o "$T/img/$v.raw.bin" >/dev/null
  "$W" image sign --key "$T/key.pem" "$T/img/$v.raw.bin" -o "$T/img/$v.bin" >/dev/null
}
mkimg 1.1.0 64K 11
mkimg 1.2.0 160K 12
mkimg 1.3.0 64K 13
mkimg 1.3.0x 64K 14 # the same version built again: another SHA-256
mkimg 1.0.5 64K 15
mkimg 1.4.0 64K 16 --sim-crash
mkimg 1.5.0 64K 17
mkimg 1.6.0 64K 18
mkimg 1.3.5 64K 19 # its unsigned .raw.bin is signed by the untrusted key below

publish() { "$W" release publish --key "$T/key.pem" --dir "$T/www/fw" "$@" >/dev/null; }
FLEET=("$W" fleet sim --dir "$T/fleet" --devices "$N" --pull "$URL" --trusted-key "$T/key.pub.pem"
       --pull-interval 1 --retry 0.3 --confirm-delay 0.3 --until-settled --timeout 150)
run_fleet() { # log
  "${FLEET[@]}" > "$T/$1.log" 2>&1 || { tail -20 "$T/$1.log" >&2; fail "$1: fleet sim did not settle cleanly"; }
}
versions() { "$W" fleet status "$T/fleet" | tail -1; }
count() { grep -c -- "$1" "$T/$2.log" || true; }
mark() { MARK=$(wc -l < "$T/nginx/access.log" 2>/dev/null || echo 0); }
since_mark() { tail -n +$((MARK + 1)) "$T/nginx/access.log"; }

# ---- 1. rollout 10 % ----
publish --rollout 10 "$T/img/1.1.0.bin"
run_fleet p1
want=0
for i in $(seq 0 $((N - 1))); do
  id=$(printf 'dev-%03d' "$i")
  h=$(printf 'webota-rollout-v1\nwebota-demo\n1.1.0\n%s' "$id" | sha256sum | cut -c1-8)
  if [ $(( 16#$h % 10000 )) -lt 1000 ]; then
    want=$((want + 1))
    grep -q "^$id: .* -> 1.1.0 (valid)" "$T/p1.log" || fail "rollout 10%: $id is in the rollout but did not update"
  else
    grep -q "^$id: .* -> 1.0.0 .*verdict not_in_rollout" "$T/p1.log" || fail "rollout 10%: $id is not in the rollout but did not stay"
  fi
done
[ "$want" -gt 0 ] || fail "rollout 10%: no device in the rollout (with $N devices)"
versions | grep -q "1.1.0=$want\b" || fail "rollout 10%: fleet status: $(versions)"
echo "fleet: rollout 10 %: $want of $N devices updated (the expected set), the rest stayed"

# ---- 2. rollout 100 % ----
publish --rollout 100 "$T/img/1.1.0.bin"
run_fleet p2
[ "$(versions)" = "fleet: $N devices: 1.1.0=$N" ] || fail "rollout 100%: $(versions)"
grep -q "failed 0," "$T/p2.log" || fail "rollout 100%: $(tail -1 "$T/p2.log")"
echo "fleet: rollout 100 %: $(tail -1 "$T/p2.log")"

# ---- 3. nginx stopped in the middle of the downloads ----
mark
publish "$T/img/1.2.0.bin"
FLEET_V=("${FLEET[@]}" --verbose)
"${FLEET_V[@]}" > "$T/p3.log" 2>&1 &
FLEET_PID=$!
for _ in $(seq 1 300); do
  [ "$(count 'downloading 1.2.0' p3)" -ge $(( (N + 3) / 4 )) ] && break
  sleep 0.1
done
sleep 1 # bytes flowing
stop_nginx
echo "fleet: nginx stopped with $(count 'downloading 1.2.0' p3) downloads started"
sleep 3
start_nginx || fail "nginx did not restart on port $PORT"
wait "$FLEET_PID" || { tail -20 "$T/p3.log" >&2; FLEET_PID=; fail "resume: fleet sim did not settle cleanly"; }
FLEET_PID=
[ "$(versions)" = "fleet: $N devices: 1.2.0=$N" ] || fail "resume: $(versions)"
resumed=$(sed -n 's/.*downloads resumed \([0-9]*\).*/\1/p' "$T/p3.log")
ranges=$(since_mark | grep -c '^206 .*webota-demo-1.2.0.bin' || true)
[ "${resumed:-0}" -gt 0 ] && [ "$ranges" -gt 0 ] || fail "resume: resumed=$resumed, 206 answers=$ranges"
echo "fleet: nginx stopped 3 s mid-download: $resumed downloads resumed ($ranges Range answers), all $N devices run 1.2.0"

# ---- 4. refusals: nobody installs, each device says why ----
refuse() { # name code
  run_fleet "$1"
  [ "$(versions)" = "fleet: $N devices: 1.2.0=$N" ] || fail "$1: $(versions)"
  [ "$(grep -c "^dev-.* -> 1.2.0 (valid) verdict $2:" "$T/$1.log")" -eq "$N" ] ||
    fail "$1: not every device reported $2: $(grep -m3 '^dev-' "$T/$1.log")"
  echo "fleet: $1: nobody installed, all $N devices report $2"
}
# manifest and image signed by a key the devices do not trust (publish signs the unsigned image)
"$W" release publish --key "$T/other.pem" --dir "$T/other" "$T/img/1.3.5.raw.bin" >/dev/null
cp "$T/other/stable.json" "$T/www/fw/stable.json"
cp "$T/other/stable.json.sig" "$T/www/fw/stable.json.sig"
cp "$T/other/images/webota-demo-1.3.5.bin" "$T/www/fw/images/"
refuse bad-signature bad_manifest_signature
# the manifest signed by the trusted key, the image only by the untrusted one: the manifest
# written by hand (the documented format) and signed with `webota release sign` (no ETag
# to worry about: devices keep none after a bad signature)
OTHER_IMG="$T/www/fw/images/webota-demo-1.3.5.bin"
printf '{"format":1,"project":"webota-demo","version":"1.3.5","secure_version":0,"chip":"esp32","image":"images/webota-demo-1.3.5.bin","size":%s,"sha256":"%s","rollout":100,"channel":"stable","created":"2026-12-06T04:00:00Z"}\n' \
  "$(stat -c %s "$OTHER_IMG")" "$(sha256sum "$OTHER_IMG" | cut -c1-64)" > "$T/www/fw/stable.json.new"
"$W" release sign --key "$T/key.pem" "$T/www/fw/stable.json.new" >/dev/null
mv "$T/www/fw/stable.json.new.sig" "$T/www/fw/stable.json.sig"
mv "$T/www/fw/stable.json.new" "$T/www/fw/stable.json"
cp "$T/www/fw/stable.json" "$T/untrusted.json" # for the single device (6.)
cp "$T/www/fw/stable.json.sig" "$T/untrusted.json.sig"
mark
refuse untrusted-image untrusted_key
[ "$(since_mark | grep -c '^200 .*webota-demo-1.3.5.bin' || true)" -ge "$N" ] ||
  fail "untrusted-image: the devices did not download the image (judged before the download?)"
# the image on the server is not the one the manifest names
publish "$T/img/1.3.0.bin"
cp "$T/img/1.3.0x.bin" "$T/www/fw/images/webota-demo-1.3.0.bin"
refuse hash-mismatch hash_mismatch
# a downgrade
publish "$T/img/1.0.5.bin"
refuse downgrade not_newer
# a manifest without its signature file
publish "$T/img/1.6.0.bin"
rm "$T/www/fw/stable.json.sig"
refuse unsigned bad_manifest_signature
# a revoked release (revoke signs the manifest again)
publish "$T/img/1.6.0.bin"
"$W" release revoke --key "$T/key.pem" --dir "$T/www/fw" >/dev/null
refuse revoked revoked

# ---- 5. a firmware that never becomes healthy ----
publish "$T/img/1.4.0.bin"
run_fleet p5
[ "$(versions)" = "fleet: $N devices: 1.2.0=$N" ] || fail "unhealthy: $(versions)"
[ "$(grep -c "verdict rolled_back_before:" "$T/p5.log")" -eq "$N" ] || fail "unhealthy: $(grep -m3 '^dev-' "$T/p5.log")"
[ "$("$W" fleet status "$T/fleet" | grep -c 'never retries 1.4.0')" -eq "$N" ] || fail "unhealthy: not recorded"
mark
run_fleet p5again
[ "$(since_mark | grep -c 'webota-demo-1.4.0.bin' || true)" -eq 0 ] || fail "unhealthy: a device retried 1.4.0"
[ "$(grep -c "verdict rolled_back_before:" "$T/p5again.log")" -eq "$N" ] || fail "unhealthy: second run"
echo "fleet: 1.4.0 never became healthy: all $N devices rolled back to 1.2.0 and do not retry it"

# ---- 6. one device with its web server ----
# first the release whose image only the untrusted key signed: refused, and said so
cp "$T/untrusted.json.sig" "$T/www/fw/stable.json.sig"
cp "$T/untrusted.json" "$T/www/fw/stable.json"
mark
: > "$T/single.log" # exists before the loop reads it (pipefail: a missing file fails sed)
"$W" sim --flash "$T/single/flash.bin" --port 0 --pull "$URL" --trusted-key "$T/key.pub.pem" \
  --pull-interval 0.5 --confirm delay:1 > "$T/single.log" 2>&1 &
SIM_PID=$!
wait_status() { # pattern: polls the device's /api/status (at most 60 s)
  for _ in $(seq 1 600); do
    DEV=$(sed -n 's/.*listening on \(http:[^ ]*\)/\1/p' "$T/single.log" | tail -1)
    if [ -n "$DEV" ] && curl -s "${DEV}api/status" | grep -q "$1"; then return 0; fi
    sleep 0.1
  done
  return 1
}
wait_status '"pull":{"state":"idle","verdict":"untrusted_key","message":"image is not signed by a key this device trusts' ||
  { cat "$T/single.log" >&2; fail "webota sim --pull did not report untrusted_key"; }
"$W" fleet status "$DEV" | grep -q "webota-demo 1.0.0 (.*), pull idle, verdict untrusted_key: image is not signed by a key this device trusts" ||
  fail "fleet status URL: $("$W" fleet status "$DEV")"
# the unchanged manifest is cheap: If-None-Match answered 304, the refused image not fetched again
for _ in $(seq 1 100); do since_mark | grep -q '^304 .*"GET /fw/stable.json ' && break; sleep 0.1; done
since_mark | grep -q '^304 .*"GET /fw/stable.json ' || fail "no conditional manifest request answered 304"
[ "$(since_mark | grep -c 'webota-demo-1.3.5.bin')" -eq 1 ] || fail "the refused image was downloaded again"
publish "$T/img/1.5.0.bin"
wait_status '"version":"1.5.0".*"state":"valid".*"pull":{"state":"idle","verdict":"not_newer"' ||
  { cat "$T/single.log" >&2; fail "webota sim --pull did not install 1.5.0"; }
"$W" fleet status "$DEV" | grep -q "webota-demo 1.5.0 (valid), pull idle, verdict not_newer: release 1.5.0 is the running version" ||
  fail "fleet status URL: $("$W" fleet status "$DEV")"
kill "$SIM_PID"; wait "$SIM_PID" || fail "webota sim did not stop cleanly"; SIM_PID=
echo "fleet: webota sim --pull refused the image signed by the untrusted key (then 304s, no second download), installed 1.5.0 by itself; /api/status and fleet status say why"

updated=$(( want + (N - want) + N )) # installs: 1.1.0 (in two steps), then 1.2.0
served=$(awk '{s += $2} END {print s + 0}' "$T/nginx/access.log")
wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
echo "fleet: devices $N, updated $updated, failed 0, bytes served $served, wall time $wall s"
