#!/usr/bin/env bash
# Builds (once, cached) a minimal Debian bookworm rootfs tarball with debootstrap from deb.debian.org,
# without Docker Hub. Prints the tarball path on stdout. Exit codes: 2 = debootstrap missing and
# cannot be installed, 4 = the Debian mirror is unreachable, other = build failure. One-line reason on stderr.
set -euo pipefail
VERSION=bookworm-minbase-v1
MIRROR=${IMGSIZE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${IMGSIZE_REAL_IMAGE_CACHE:-/var/tmp/imgsize-test}
OUT="$CACHE/base-$VERSION.tar"
if [ -s "$OUT" ]; then echo "$OUT"; exit 0; fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"; flock 9
if [ -s "$OUT" ]; then echo "$OUT"; exit 0; fi
if ! curl -sf --max-time 15 -o /dev/null "$MIRROR/dists/bookworm/Release"; then
  echo "Debian mirror $MIRROR unreachable" >&2; exit 4
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || { echo "debootstrap missing and cannot apt-get install it" >&2; exit 2; }
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get install -y --no-install-recommends debootstrap >"$CACHE/apt.log" 2>&1 ||
    { timeout 300 apt-get update >>"$CACHE/apt.log" 2>&1 || true
      timeout 600 apt-get install -y --no-install-recommends debootstrap >>"$CACHE/apt.log" 2>&1 ||
        { echo "apt-get install debootstrap failed (see $CACHE/apt.log)" >&2; exit 2; }; }
fi
ROOT="$CACHE/rootfs-$VERSION.tmp"
rm -rf "$ROOT"
if ! timeout 1200 debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
  echo "debootstrap failed (see $CACHE/debootstrap.log: $(tail -1 "$CACHE/debootstrap.log"))" >&2; exit 5
fi
# the image's apt must talk plain http to the same mirror
echo "deb $MIRROR bookworm main" >"$ROOT/etc/apt/sources.list"
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* 2>/dev/null || true
tar --numeric-owner -C "$ROOT" -cf "$OUT.tmp" .
mv "$OUT.tmp" "$OUT"
rm -rf "$ROOT"
echo "$OUT"
