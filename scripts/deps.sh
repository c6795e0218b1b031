#!/usr/bin/env bash
# Installs the Debian packages webota needs, and nothing when they are all present.
# Usage: scripts/deps.sh [build|test|cross]   (default: test, which includes build)
set -euo pipefail

want=${1:-test}
# cmocka is here too: the build configures the unit tests (they are built with everything)
build_pkgs=(build-essential cmake pkg-config libmbedtls-dev libmicrohttpd-dev libcurl4-openssl-dev libcmocka-dev zlib1g-dev)
# python3-cryptography: the ESP-IDF component's key-digest tool, tested on the PC (esp.trusted_keys)
test_pkgs=(clang libclang-rt-dev valgrind chromium nodejs curl bsdutils python3-cryptography
           gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)

pkgs=("${build_pkgs[@]}")
case "$want" in
  build) ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# nodejs from some sources ships npm itself and conflicts with the npm package
if [ "$want" = test ] && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "webota: installing missing Debian packages: ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
