#!/usr/bin/env bash
# Makes a self-contained copy of the component for the ESP Component Registry:
# the component files plus the portable core under webota/ (CMakeLists.txt
# picks that layout up). Upload with: cd OUT && compote component upload --name webota
#   tools/pack_component.sh OUT_DIR
set -euo pipefail
out=${1:?usage: pack_component.sh OUT_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/../.." && pwd)
rm -rf "$out"
mkdir -p "$out/webota/src" "$out/webota/web"
cp -R "$here/CMakeLists.txt" "$here/sources.cmake" "$here/Kconfig" "$here/idf_component.yml" "$here/README.md" \
      "$here/include" "$here/src" "$here/tools" "$out/"
cp -R "$root/include" "$out/webota/"
cp -R "$root/src/sources.cmake" "$root/src/core" "$root/src/crypto" "$out/webota/src/"
cp "$root/web/index.html" "$root/web/embed.cmake" "$out/webota/web/"
[ -f "$root/LICENSE" ] && cp "$root/LICENSE" "$out/"
echo "packed webota component in $out"
