#!/usr/bin/env bash
# Every CONFIG_ symbol the ESP-IDF component and the example use must be
# defined: CONFIG_WEBOTA_* by ports/esp-idf/Kconfig, any other by ESP-IDF, in
# which case it must be listed in tests/esp/idf_kconfig_symbols.txt (symbols
# checked against the ESP-IDF v5.5 Kconfig/headers, see docs/esp-idf.md).
#   check_kconfig.sh SOURCE_DIR
set -euo pipefail
src=${1:?source dir}
kconfig=$src/ports/esp-idf/Kconfig
known=$src/tests/esp/idf_kconfig_symbols.txt

defined=$(grep -oE '^[[:space:]]*(menu)?config[[:space:]]+WEBOTA_[A-Z0-9_]+' "$kconfig" | awk '{print "CONFIG_" $2}' | sort -u)
idf=$(grep -oE '^CONFIG_[A-Z0-9_]+' "$known" | sort -u)
files=$(find "$src/ports/esp-idf" "$src/examples/softap_ota" -type f \
        \( -name '*.c' -o -name '*.h' -o -name 'CMakeLists.txt' -o -name 'sdkconfig.defaults*' -o -name '*.yml' \))
used=$(grep -hoE '\bCONFIG_[A-Z0-9_]+' $files | sort -u)

bad=0
for s in $used; do
    case "$s" in
    CONFIG_WEBOTA_*) grep -qx "$s" <<<"$defined" || { echo "undefined: $s (not in ports/esp-idf/Kconfig)" >&2; bad=1; } ;;
    *) grep -qx "$s" <<<"$idf" || { echo "unchecked ESP-IDF symbol: $s (add it to tests/esp/idf_kconfig_symbols.txt once checked)" >&2; bad=1; } ;;
    esac
done
# Every symbol webota defines is used by the code (no dead options).
for s in $defined; do
    grep -qx "$s" <<<"$used" || { echo "Kconfig option never used: $s" >&2; bad=1; }
done
[ $bad -eq 0 ] && echo "$(wc -w <<<"$used") CONFIG_ symbols used, all defined ($(wc -w <<<"$defined") by webota's Kconfig)"
exit $bad
