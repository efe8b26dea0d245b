#!/usr/bin/env bash
# Fetches (once, cached) Debian bookworm non-free CUDA packages for the fatbin oracle tests:
# cuobjdump (from nvidia-cuda-toolkit, extracted with dpkg -x, never installed) and real CUDA
# libraries. Uses a private apt sources list and state dir, so the machine's apt setup is untouched.
# Prints the cache directory on stdout. Exit codes: 2 = apt-get/dpkg missing, 4 = the Debian
# mirror is unreachable, other = fetch failure. One-line reason on stderr.
set -euo pipefail
MIRROR=${IMGSIZE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${IMGSIZE_REAL_IMAGE_CACHE:-/var/tmp/imgsize-test}/cuda-debs-v1
PKGS=(nvidia-cuda-toolkit libcufft10 libcurand10 libcublas11 libcusparse11 libnvrtc11.2)
DONE="$CACHE/.complete"
if [ -f "$DONE" ]; then echo "$CACHE"; exit 0; fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"; flock 9
if [ -f "$DONE" ]; then echo "$CACHE"; exit 0; fi
command -v apt-get >/dev/null && command -v dpkg >/dev/null || { echo "apt-get or dpkg missing" >&2; exit 2; }
if ! curl -sf --max-time 15 -o /dev/null "$MIRROR/dists/bookworm/Release"; then
  echo "Debian mirror $MIRROR unreachable" >&2; exit 4
fi
APT="$CACHE/apt"
mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$CACHE/debs" "$CACHE/root"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bookworm main contrib non-free" >"$APT/sources.list"
: >"$APT/status"
OPTS=(-o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=/nonexistent" -o "Dir::State::Lists=$APT/lists"
      -o "Dir::State::Status=$APT/status" -o "Dir::Cache=$APT/cache" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
mkdir -p "$APT/cache"
timeout 600 apt-get "${OPTS[@]}" update >"$CACHE/apt.log" 2>&1 || { echo "apt-get update failed (see $CACHE/apt.log)" >&2; exit 5; }
cd "$CACHE/debs"
for p in "${PKGS[@]}"; do
  ls "${p}"_*.deb >/dev/null 2>&1 && continue
  timeout 1200 apt-get "${OPTS[@]}" download "$p" >>"$CACHE/apt.log" 2>&1 || { echo "apt-get download $p failed (see $CACHE/apt.log)" >&2; exit 6; }
done
for d in *.deb; do dpkg -x "$d" "$CACHE/root"; done
"$CACHE/root/usr/bin/cuobjdump" --version >/dev/null 2>&1 || { echo "extracted cuobjdump does not run on its own" >&2; exit 7; }
touch "$DONE"
echo "$CACHE"
