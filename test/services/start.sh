#!/usr/bin/env bash
# Starts the real services the source tests talk to, idempotently:
#   - a Docker engine on unix:///tmp/imgsize-docker.sock (own data root, no networking),
#   - two CNCF registries (docker-registry) on 127.0.0.1: one open, one with htpasswd basic auth.
# Installs what is missing with apt-get (docker.io docker-registry skopeo apache2-utils curl).
# Writes the endpoints to $IMGSIZE_SERVICES_DIR/env (KEY=value lines) for the tests to read.
# Prints "started" or "already-running" on stdout; exits non-zero with a one-line reason on stderr
# when the services cannot run here (not root, no apt-get, dockerd refuses to start).
set -euo pipefail

DIR=${IMGSIZE_SERVICES_DIR:-/tmp/imgsize-services}
SOCK=${IMGSIZE_DOCKER_SOCK:-/tmp/imgsize-docker.sock}
ENV_FILE="$DIR/env"
log() { echo "[imgsize-services] $*" >&2; }
die() { echo "[imgsize-services] cannot start services: $*" >&2; exit 3; }

docker_ok() { curl -sf --max-time 3 --unix-socket "$SOCK" http://docker/_ping >/dev/null 2>&1; }
registry_ok() {
  local code
  code=$(curl -s --max-time 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v2/" 2>/dev/null || true)
  [ "$code" = 200 ] || [ "$code" = 401 ]
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

if [ -f "$ENV_FILE" ]; then
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  if docker_ok && registry_ok "${IMGSIZE_REGISTRY_PORT:-0}" && registry_ok "${IMGSIZE_AUTH_REGISTRY_PORT:-0}"; then
    log "already running (env: $ENV_FILE)"
    echo already-running
    exit 0
  fi
  log "stale or partial services found: restarting them"
  bash "$(dirname "$0")/stop.sh" >/dev/null 2>&1 || true
fi

# --- install what is missing -------------------------------------------------------------------
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${need[*]} and not root (cannot apt-get install)"
  command -v apt-get >/dev/null 2>&1 || die "missing ${need[*]} and no apt-get"
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! timeout 600 apt-get install -y --no-install-recommends "${need[@]}" >"/tmp/imgsize-apt.log" 2>&1; then
    timeout 300 apt-get update >>"/tmp/imgsize-apt.log" 2>&1 || true
    timeout 600 apt-get install -y --no-install-recommends "${need[@]}" >>"/tmp/imgsize-apt.log" 2>&1 ||
      die "apt-get install ${need[*]} failed (see /tmp/imgsize-apt.log)"
  fi
fi
[ "$(id -u)" = 0 ] || die "dockerd needs root"

mkdir -p "$DIR"
rm -f "$ENV_FILE"

# --- Docker engine -----------------------------------------------------------------------------
start_dockerd() {
  local driver=$1
  mkdir -p "$DIR/docker"
  rm -f "$SOCK"
  setsid dockerd \
    --storage-driver="$driver" \
    --data-root "$DIR/docker/data-$driver" \
    --exec-root "$DIR/docker/exec" \
    --pidfile "$DIR/docker/dockerd.pid" \
    --iptables=false --ip-masq=false --ip-forward=false --bridge=none \
    --log-level=warn \
    -H "unix://$SOCK" >"$DIR/docker/dockerd-$driver.log" 2>&1 </dev/null &
  echo $! >"$DIR/docker/dockerd.launcher.pid"
  for _ in $(seq 1 60); do
    docker_ok && return 0
    kill -0 "$(cat "$DIR/docker/dockerd.launcher.pid")" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
stop_dockerd() {
  local pid
  pid=$(cat "$DIR/docker/dockerd.launcher.pid" 2>/dev/null || true)
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
}
DRIVER=overlay2
if ! start_dockerd overlay2; then
  log "dockerd with overlay2 did not come up (see $DIR/docker/dockerd-overlay2.log); trying vfs"
  stop_dockerd
  DRIVER=vfs
  start_dockerd vfs || die "dockerd did not start (see $DIR/docker/dockerd-vfs.log)"
fi

# --- registries ----------------------------------------------------------------------------------
PASSWORD=${IMGSIZE_REGISTRY_PASSWORD:-$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')}
USER_NAME=imgsize
write_registry_config() { # name port [auth]
  local name=$1 port=$2 auth=${3:-}
  mkdir -p "$DIR/$name/data"
  {
    echo "version: 0.1"
    echo "log:"
    echo "  level: error"
    echo "  accesslog:"
    echo "    disabled: true"
    echo "storage:"
    echo "  filesystem:"
    echo "    rootdirectory: $DIR/$name/data"
    echo "  delete:"
    echo "    enabled: true"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: imgsize-test-$name"
    if [ -n "$auth" ]; then
      echo "auth:"
      echo "  htpasswd:"
      echo "    realm: imgsize-test"
      echo "    path: $DIR/$name/htpasswd"
    fi
  } >"$DIR/$name/config.yml"
}
make_htpasswd() {
  if command -v htpasswd >/dev/null 2>&1; then
    htpasswd -Bbn "$USER_NAME" "$PASSWORD" | head -n1 >"$1"
  else
    python3 -c 'import crypt,sys; print(sys.argv[1]+":"+crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))' "$USER_NAME" "$PASSWORD" >"$1" ||
      die "no htpasswd and python3 cannot make bcrypt hashes"
  fi
}
start_registry() { # name port
  setsid docker-registry serve "$DIR/$1/config.yml" >"$DIR/$1/registry.log" 2>&1 </dev/null &
  echo $! >"$DIR/$1/registry.pid"
  for _ in $(seq 1 40); do
    registry_ok "$2" && return 0
    kill -0 "$(cat "$DIR/$1/registry.pid")" 2>/dev/null || break
    sleep 0.25
  done
  die "registry $1 did not start (see $DIR/$1/registry.log)"
}
OPEN_PORT=$(free_port)
write_registry_config registry-open "$OPEN_PORT"
start_registry registry-open "$OPEN_PORT"
AUTH_PORT=$(free_port)
write_registry_config registry-auth "$AUTH_PORT" auth
make_htpasswd "$DIR/registry-auth/htpasswd"
start_registry registry-auth "$AUTH_PORT"

umask 077
cat >"$ENV_FILE.tmp" <<ENV
IMGSIZE_DOCKER_HOST=unix://$SOCK
IMGSIZE_DOCKER_DRIVER=$DRIVER
IMGSIZE_REGISTRY_PORT=$OPEN_PORT
IMGSIZE_REGISTRY=127.0.0.1:$OPEN_PORT
IMGSIZE_AUTH_REGISTRY_PORT=$AUTH_PORT
IMGSIZE_AUTH_REGISTRY=127.0.0.1:$AUTH_PORT
IMGSIZE_REGISTRY_USER=$USER_NAME
IMGSIZE_REGISTRY_PASSWORD=$PASSWORD
IMGSIZE_SERVICES_DIR=$DIR
ENV
mv "$ENV_FILE.tmp" "$ENV_FILE"
log "started: docker ($DRIVER) on unix://$SOCK, registries on 127.0.0.1:$OPEN_PORT (open) and 127.0.0.1:$AUTH_PORT (basic auth)"
echo started
