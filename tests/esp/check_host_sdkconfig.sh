#!/usr/bin/env bash
# The host stand-in's sdkconfig.h (tests/esp/idf_host/include) defines exactly
# the CONFIG_WEBOTA_* values an ESP-IDF build generates from the component's
# Kconfig defaults (bool y -> 1, n -> absent, strings quoted, ints as such,
# the choice's default member -> 1, options whose dependency is off -> absent),
# so that the binding on the PC runs with the settings a project gets
# without menuconfig changes. Except, off on the host on purpose:
#   CONFIG_WEBOTA_GZIP_UPLOADS  its inflater is the ROM's miniz (not on the host)
#   check_host_sdkconfig.sh SOURCE_DIR
set -euo pipefail
src=${1:?source dir}
kconfig=$src/ports/esp-idf/Kconfig
host=$src/tests/esp/idf_host/include/sdkconfig.h

want=$(awk '
    function flush() { if (name != "") { names[++n] = name } }
    /^[[:space:]]*choice[[:space:]]/ { flush(); name = ""; inchoice = 1; next }
    /^[[:space:]]*endchoice/ { flush(); name = ""; inchoice = 0; next }
    /^[[:space:]]*config[[:space:]]+WEBOTA_/ { flush(); name = $2; member[name] = inchoice; next }
    /^[[:space:]]*(bool|string|int)([[:space:]]|$)/ { if (name != "") type[name] = $1; next }
    /^[[:space:]]*depends[[:space:]]+on[[:space:]]/ { if (name != "") dep[name] = $3; next }
    /^[[:space:]]*default[[:space:]]/ {
        v = $0; sub(/^[[:space:]]*default[[:space:]]+/, "", v); sub(/[[:space:]]+$/, "", v)
        if (name == "" && inchoice) choice_default = v
        else if (name != "" && !(name in def)) def[name] = v
        next
    }
    END {
        flush()
        for (i = 1; i <= n; i++) { c = names[i]; on[c] = member[c] ? (c == choice_default) : (type[c] != "bool" || def[c] == "y") }
        for (i = 1; i <= n; i++) {
            c = names[i]
            if (!on[c] || (c in dep && !on[dep[c]])) continue
            if (type[c] == "bool") print "CONFIG_" c "=1"; else print "CONFIG_" c "=" def[c]
        }
    }' "$kconfig" | grep -v '^CONFIG_WEBOTA_GZIP_UPLOADS=' | sort -u)
have=$(sed -n 's/^#define \(CONFIG_WEBOTA_[A-Z0-9_]*\) \(.*\)$/\1=\2/p' "$host" | sort -u)
if [ "$want" != "$have" ]; then
    echo "tests/esp/idf_host/include/sdkconfig.h differs from the Kconfig defaults (< Kconfig, > sdkconfig.h):" >&2
    diff <(echo "$want") <(echo "$have") >&2 || true
    exit 1
fi
echo "$(wc -l <<<"$want") CONFIG_WEBOTA_ defaults, as the component's Kconfig gives them"
