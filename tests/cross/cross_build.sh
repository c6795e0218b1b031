#!/usr/bin/env bash
# Portability proof: compiles the portable core (src/core) and the crypto port
# (src/crypto) for a bare-metal target, checks that the objects call nothing but
# the C library's string functions, PSA Crypto and compiler helpers, and prints
# the code size of every module. The files come from src/sources.cmake, by group:
# the engine (what the ESP-IDF component compiles) must need nothing from the
# flash or tool groups, the flash group nothing from the tools, and every .c of
# src/core and src/crypto must be listed.
#
#   cross_build.sh cortex-m4|rv32imc SOURCE_DIR OUT_DIR
#
# The only headers visible besides the target's own C library are
# include/webota and PSA Crypto (a folder holding just psa/ and mbedtls/ from the
# host's mbedTLS headers): a host header, a POSIX call or an OS dependency fails
# the build or the symbol check.
set -euo pipefail

target=${1:?target}
src=${2:?source dir}
out=${3:?output dir}

case "$target" in
cortex-m4)
    cc=arm-none-eabi-gcc
    size=arm-none-eabi-size
    nm=arm-none-eabi-nm
    ar=arm-none-eabi-ar
    arch=(-mcpu=cortex-m4 -mthumb -mfloat-abi=soft --specs=nano.specs)
    ;;
rv32imc)
    cc=riscv64-unknown-elf-gcc
    size=riscv64-unknown-elf-size
    nm=riscv64-unknown-elf-nm
    ar=riscv64-unknown-elf-ar
    arch=(-march=rv32imc -mabi=ilp32 --specs=picolibc.specs)
    ;;
*)
    echo "cross_build.sh: unknown target '$target' (cortex-m4 or rv32imc)" >&2
    exit 2
    ;;
esac

for tool in "$cc" "$size" "$nm" "$ar"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "cross_build.sh: $tool not found; install the cross toolchains with scripts/deps.sh test" >&2
        exit 1
    fi
done

psa_dir=
for d in /usr/include /usr/local/include; do
    if [ -f "$d/psa/crypto.h" ] && [ -d "$d/mbedtls" ]; then psa_dir=$d; break; fi
done
if [ -z "$psa_dir" ]; then
    echo "cross_build.sh: PSA Crypto headers (psa/crypto.h, mbedtls/) not found; install libmbedtls-dev" >&2
    exit 1
fi

rm -rf "$out"
mkdir -p "$out/obj" "$out/psa-only"
# A folder with PSA Crypto and nothing else of the host's /usr/include.
ln -s "$psa_dir/psa" "$out/psa-only/psa"
ln -s "$psa_dir/mbedtls" "$out/psa-only/mbedtls"

flags=(-std=c11 -Os -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
       -Wundef -Werror -ffunction-sections -fdata-sections -I"$src/include")

# The groups of src/sources.cmake ("GROUP file ..." lines from cmake -P).
declare -A group_of
groups=()
while read -r g files; do
    groups+=("$g")
    for f in $files; do group_of[$f]=$g; done
done < <(cmake -P "$src/src/sources.cmake")
if [ ${#group_of[@]} -eq 0 ]; then
    echo "cross_build.sh: no sources listed by $src/src/sources.cmake" >&2
    exit 1
fi
shopt -s nullglob
for f in "$src"/src/core/*.c "$src"/src/crypto/*.c; do
    rel=${f#"$src"/src/}
    if [ -z "${group_of[$rel]:-}" ]; then
        echo "cross_build.sh: src/$rel is in no list of src/sources.cmake" >&2
        exit 1
    fi
done
core=()
crypto=()
for rel in "${!group_of[@]}"; do
    [ -f "$src/src/$rel" ] || { echo "cross_build.sh: src/sources.cmake lists src/$rel, which does not exist" >&2; exit 1; }
    case "$rel" in
    core/*) core+=("$src/src/$rel") ;;
    *) crypto+=("$src/src/$rel") ;;
    esac
done
mapfile -t core < <(printf '%s\n' "${core[@]}" | sort)
mapfile -t crypto < <(printf '%s\n' "${crypto[@]}" | sort)

# The core includes only C's freestanding headers and <string.h>.
bad_inc=$(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' "${core[@]}" "$src"/include/webota/*.h |
          grep -vE '<(string|stdint|stdbool|stddef|limits|stdarg|stdalign|float|stdnoreturn|iso646)\.h>' || true)
if [ -n "$bad_inc" ]; then
    echo "cross_build.sh: the portable core includes headers beyond the freestanding set and <string.h>:" >&2
    echo "$bad_inc" | sed "s|$src/||" >&2
    exit 1
fi

objs=()
declare -A group_objs
for f in "${core[@]}" "${crypto[@]}"; do
    mod=$(basename "$(dirname "$f")")_$(basename "$f" .c)
    extra=()
    # Only the crypto port sees PSA Crypto; the core sees webota/crypto.h alone.
    [ "$(basename "$(dirname "$f")")" = crypto ] && extra=(-isystem "$out/psa-only")
    "$cc" "${arch[@]}" "${flags[@]}" "${extra[@]}" -c "$f" -o "$out/obj/$mod.o"
    objs+=("$out/obj/$mod.o")
    g=${group_of[${f#"$src"/src/}]}
    group_objs[$g]="${group_objs[$g]:-} $out/obj/$mod.o"
done
"$ar" rcs "$out/libwebota_$target.a" "${objs[@]}"

# Each group needs nothing from a later one: the engine and the crypto port
# link alone (what the ESP-IDF component compiles), adding the flash group
# needs no PC tooling. A symbol of a later group used by an earlier one is named.
need_closed() { # NAME GROUP... : the webota symbols these groups use are defined in them
    local name=$1 g o; shift
    local set=()
    for g in "$@"; do for o in ${group_objs[$g]:-}; do set+=("$o"); done; done
    local def und missing
    def=$("$nm" -g --defined-only "${set[@]}" | awk 'NF == 3 { print $3 }' | sort -u)
    und=$("$nm" -g -u "${set[@]}" | awk 'NF >= 2 && $1 == "U" { print $2 }' | sort -u | grep -E '^webota_' || true)
    missing=$(comm -23 <(printf '%s\n' $und | sort -u) <(printf '%s\n' $def) | grep . || true)
    if [ -n "$missing" ]; then
        echo "cross_build.sh: $name uses symbols of a later group of src/sources.cmake:" >&2
        for s in $missing; do
            echo "  $s (used by: $("$nm" -A -u "${set[@]}" | awk -v s="$s" '$NF == s { sub(/:.*/, "", $1); n = split($1, p, "/"); printf "%s ", p[n] }'))" >&2
        done
        exit 1
    fi
}
need_closed "the engine (ESP-IDF component)" ENGINE CRYPTO_PSA
need_closed "the engine + flash groups (bare-metal device)" ENGINE FLASH CRYPTO_PSA

# Every undefined symbol must be defined by another module, or be a string
# function, PSA Crypto, or a compiler support routine.
defined=$("$nm" -g --defined-only "${objs[@]}" | awk 'NF == 3 { print $3 }' | sort -u)
undefined=$("$nm" -g -u "${objs[@]}" | awk 'NF >= 2 && $1 == "U" { print $2 }' | sort -u)
bad=()
for s in $undefined; do
    if grep -qx -- "$s" <<<"$defined"; then continue; fi
    case "$s" in
    memcpy | memmove | memset | memcmp | memchr | strlen | strnlen | strcmp | strncmp | strchr | strrchr | strstr | strspn | strcspn) ;;
    psa_* | mbedtls_*) ;;
    __aeabi_* | __udivsi3 | __divsi3 | __umodsi3 | __modsi3 | __udivdi3 | __divdi3 | __umoddi3 | __moddi3 | __mulsi3 | __muldi3 | __ashldi3 | __ashrdi3 | __lshrdi3 | __clzsi2 | __ctzsi2 | __popcountsi2 | __bswapsi2 | __bswapdi2 | __gnu_thumb1_case_*) ;;
    *) bad+=("$s") ;;
    esac
done
if [ ${#bad[@]} -ne 0 ]; then
    echo "cross_build.sh: $target: the core calls functions a bare-metal target may not have:" >&2
    for s in "${bad[@]}"; do
        echo "  $s (used by: $("$nm" -A -u "${objs[@]}" | awk -v s="$s" '$NF == s { sub(/:.*/, "", $1); n = split($1, p, "/"); printf "%s ", p[n] }'))" >&2
    done
    exit 1
fi

echo "webota core + crypto port for $target ($("$cc" -dumpversion), -Os): code size per module"
"$size" -t "${objs[@]}" | sed "s|$out/obj/||"
group_size() { # GROUP... : text+data+bss of these groups
    local g o set=()
    for g in "$@"; do for o in ${group_objs[$g]:-}; do set+=("$o"); done; done
    "$size" -t "${set[@]}" | tail -1 | awk '{print $4}'
}
echo "by group of src/sources.cmake: engine + crypto (ESP-IDF component) $(group_size ENGINE CRYPTO_PSA) bytes," \
     "+ flash (bare-metal device) $(group_size ENGINE FLASH CRYPTO_PSA) bytes, PC tooling $(group_size TOOL) bytes"
echo "external symbols: $(tr '\n' ' ' <<<"$undefined" | sed 's/ $//' | tr ' ' '\n' | grep -vxF -f <(printf '%s\n' "$defined") | tr '\n' ' ')"
