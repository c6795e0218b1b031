#!/usr/bin/env bash
# The repository stands alone: no tracked file may point to documents that are
# not in it (the format notes and design text webota started from), and every
# link to a section of docs/formats.md must name a heading that exists.
#   check_standalone.sh SOURCE_DIR
set -euo pipefail
src=${1:?source dir}
cd "$src"
self=tests/docs/check_standalone.sh

# The files: git's list when this is a checkout, else every file but build output.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files)
else
    mapfile -t files < <(find . -type f -not -path './.git/*' -not -path './build*' \
                         -not -path '*/node_modules/*' | sed 's|^\./||')
fi
[ ${#files[@]} -gt 0 ] || { echo "check_standalone: no files found in $src" >&2; exit 1; }

bad=0
# Outside documents: a spec folder, the design text, the shared folder beside the
# checkout, section signs with numbers ("§2.7") except a cited RFC's.
pattern='(^|[^a-z_])spec/|spec §|DESIGN\.md|\.\./shared|/work/shared|esp-idf-formats|§ ?[0-9]'
hits=$(printf '%s\0' "${files[@]}" | grep -z -v -x -F "$self" |
       xargs -0 grep -n -I -E "$pattern" 2>/dev/null | grep -v -E 'RFC [0-9]+ §' || true)
if [ -n "$hits" ]; then
    echo "check_standalone: references to documents outside the repository (write the facts" >&2
    echo "in docs/formats.md or the module's doc and point there):" >&2
    echo "$hits" >&2
    bad=1
fi

# Links into docs/formats.md: the anchor must be one of its headings (GitHub's
# anchor: lower case, punctuation but - and _ dropped, spaces to -).
anchors=$(grep -E '^#{1,6} ' docs/formats.md | sed -E 's/^#+ +//' | tr 'A-Z' 'a-z' |
          sed -E 's/[^a-z0-9 _-]//g; s/ /-/g' | sort -u)
refs=$(printf '%s\0' "${files[@]}" | xargs -0 grep -o -I -H -E 'formats\.md#[A-Za-z0-9_-]+' 2>/dev/null |
       sort -u || true)
n_refs=0
while IFS= read -r r; do
    [ -n "$r" ] || continue
    n_refs=$((n_refs + 1))
    a=${r##*#}
    if ! grep -qx -- "$a" <<<"$anchors"; then
        echo "check_standalone: ${r%%:*} links to docs/formats.md#$a, which is no heading there" >&2
        bad=1
    fi
done <<<"$refs"
# ... and the in-page links of formats.md itself.
while IFS= read -r a; do
    [ -n "$a" ] || continue
    grep -qx -- "$a" <<<"$anchors" || { echo "check_standalone: docs/formats.md links to #$a, which is no heading" >&2; bad=1; }
done < <(grep -o -E '\]\(#[A-Za-z0-9_-]+\)' docs/formats.md | sed -E 's/^\]\(#//; s/\)$//' | sort -u)

[ $bad -eq 0 ] && echo "${#files[@]} files point nowhere outside the repository; $n_refs links to docs/formats.md sections resolve"
exit $bad
