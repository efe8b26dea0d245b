#!/usr/bin/env bash
# Stops what start.sh started (by the pids it recorded, nothing else) and removes its state.
# Idempotent: stopping stopped services is fine.
set -uo pipefail
DIR=${IMGSIZE_SERVICES_DIR:-/tmp/imgsize-services}
SOCK=${IMGSIZE_DOCKER_SOCK:-/tmp/imgsize-docker.sock}

stop_pid() { # pidfile expected-command-name
  local pid comm
  pid=$(cat "$1" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  # After a reboot or a killed session the pid may belong to someone else now: check its name.
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  if [ "$comm" = "$2" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$1"
}
rm -f "$DIR/env"
stop_pid "$DIR/registry-open/registry.pid" docker-registry
stop_pid "$DIR/registry-auth/registry.pid" docker-registry
stop_pid "$DIR/docker/dockerd.launcher.pid" dockerd
rm -f "$SOCK"
# dockerd unmounts on a clean stop; leftovers (a killed daemon) must go before the rm.
if [ -d "$DIR" ]; then
  grep -o " $DIR[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$DIR" 2>/dev/null || true
fi
echo stopped
