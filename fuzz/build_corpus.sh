#!/usr/bin/env bash
# Builds the seed corpus of the load_repository fuzz target from the repository's
# own inputs: every folder of tests/fixtures/valid, tests/fixtures/invalid and
# examples becomes one input (its files as `#file <path>` sections separated by NUL
# bytes, the format of fuzz/src/repository.rs), every spec file alone becomes
# another, and tests/fixtures/fuzz/ (saved hostile inputs) is copied as it is.
# expected.txt files (the fixtures' expected errors) are left out.
#   fuzz/build_corpus.sh [OUT]     (default: fuzz/corpus/load_repository)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="${1:-$HERE/corpus/load_repository}"
mkdir -p "$OUT"

n=0
for case in "$ROOT"/tests/fixtures/valid/* "$ROOT"/tests/fixtures/invalid/* "$ROOT"/examples/*; do
    [ -d "$case" ] || continue
    name="$(basename "$(dirname "$case")")-$(basename "$case")"
    first=1
    {
        while IFS= read -r -d '' file; do
            rel="${file#"$case"/}"
            [ "$rel" = expected.txt ] && continue
            [ "$first" = 1 ] || printf '\0'
            first=0
            printf '#file %s\n' "$rel"
            cat "$file"
        done < <(find "$case" -type f -print0 | sort -z)
    } > "$OUT/repo-$name"
    n=$((n + 1))
    while IFS= read -r -d '' file; do
        rel="${file#"$case"/}"
        cp "$file" "$OUT/file-$name-$(printf '%s' "$rel" | tr '/' '_')"
        n=$((n + 1))
    done < <(find "$case" -type f \( -name '*.yaml' -o -name '*.yml' \) -print0)
done
for saved in "$ROOT"/tests/fixtures/fuzz/*; do
    cp "$saved" "$OUT/saved-$(basename "$saved")"
    n=$((n + 1))
done
echo "$n seed inputs in $OUT" >&2
