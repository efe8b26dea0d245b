#!/usr/bin/env bash
# Installs Debian's rpm package (rpm, rpmbuild) for test/pkgdb/rpm-real.test.ts, the way
# test/services/start.sh installs its tools. Idempotent. Exit 0 when rpm and rpmbuild are usable;
# non-zero with one line on stderr when they cannot be installed here (not root, no apt-get).
set -euo pipefail
if command -v rpm >/dev/null 2>&1 && command -v rpmbuild >/dev/null 2>&1; then exit 0; fi
die() { echo "setup-rpm: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "rpm/rpmbuild missing and not root (cannot apt-get install)"
command -v apt-get >/dev/null 2>&1 || die "rpm/rpmbuild missing and no apt-get"
export DEBIAN_FRONTEND=noninteractive
exec 9>/tmp/imgsize-rpm-apt.lock
flock 9
if command -v rpm >/dev/null 2>&1 && command -v rpmbuild >/dev/null 2>&1; then exit 0; fi
if ! timeout 600 apt-get install -y --no-install-recommends rpm >/tmp/imgsize-rpm-apt.log 2>&1; then
  timeout 300 apt-get update >>/tmp/imgsize-rpm-apt.log 2>&1 || true
  timeout 600 apt-get install -y --no-install-recommends rpm >>/tmp/imgsize-rpm-apt.log 2>&1 || die "apt-get install rpm failed (see /tmp/imgsize-rpm-apt.log)"
fi
command -v rpmbuild >/dev/null 2>&1 || die "the rpm package has no rpmbuild"
