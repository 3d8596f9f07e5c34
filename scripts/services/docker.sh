#!/usr/bin/env bash
# Makes sure a Docker engine and a local container registry run on this machine, for the
# tests, CI and the demo. Idempotent: what already answers is reused, not restarted.
#
#   Docker engine  `docker info` must answer. Otherwise dockerd is started in the background
#                  (installed first from Debian's docker.io when missing and we are root),
#                  with the vfs storage driver and no bridge or iptables, which is what
#                  works inside a VM or container without overlayfs or netfilter.
#   Registry       a distribution v2 registry (Debian's docker-registry) on
#                  127.0.0.1:${APD_REGISTRY_PORT:-5555}, storage in a temp dir. Docker allows
#                  plain HTTP to 127.0.0.0/8 registries without any insecure-registries setting.
#
# Logs, pid files and the registry's storage live in ${TMPDIR:-/tmp}/apd-services.
# Environment: APD_REGISTRY_PORT (5555), APD_SERVICES_WAIT seconds per service (60).
set -euo pipefail
service=docker.sh
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

port="${APD_REGISTRY_PORT:-5555}"
wait_seconds="${APD_SERVICES_WAIT:-60}"

# True when the pid in file $1 names a live process running program $2.
pid_alive() {
  [ -s "$1" ] && pid_runs "$(cat "$1")" "$2"
}

# Removes pid file $1 when it names no live $2 process: dockerd refuses to start, and thinks
# containerd already runs, when the pid in its own files belongs to any live process.
clear_stale_pidfile() {
  if [ -e "$1" ] && ! pid_alive "$1" "$2"; then
    rm -f "$1"
  fi
}

docker_answers() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

registry_answers() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null
  else
    # Without curl: a bare HTTP request over bash's /dev/tcp, checking for a 200 status line.
    timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
      printf "GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3 &&
      head -n 1 <&3 | grep -q " 200 "' _ "$port" 2>/dev/null
  fi
}

install_missing() {
  local packages=()
  command -v dockerd >/dev/null 2>&1 || packages+=(docker.io)
  command -v docker-registry >/dev/null 2>&1 || packages+=(docker-registry)
  [ ${#packages[@]} -eq 0 ] || apt_install "$state/apt.log" "or start a Docker engine yourself" "${packages[@]}"
}

# Polls command $1 every half second for up to $wait_seconds; gives up early when program $3,
# whose pid is in file $2, has died.
wait_for() {
  local check="$1" pidfile="$2" program="$3" tries=$((wait_seconds * 2))
  while [ "$tries" -gt 0 ]; do
    "$check" && return 0
    pid_alive "$pidfile" "$program" || return 1
    sleep 0.5
    tries=$((tries - 1))
  done
  "$check"
}

start_docker() {
  if docker_answers; then
    echo "docker: reusing the running engine ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    return
  fi
  install_missing
  command -v docker >/dev/null 2>&1 || fail "the docker CLI is missing (Debian: apt-get install docker.io)"
  [ "$(id -u)" -eq 0 ] || fail "no Docker engine answers 'docker info', and starting dockerd needs root"

  local pidfile="$state/dockerd.pid" log="$state/dockerd.log" started
  if pid_alive "$pidfile" dockerd; then
    # Started by an earlier run and still coming up (or hung): wait for it, don't start another.
    echo "docker: dockerd (pid $(cat "$pidfile")) is running but not answering yet; waiting"
  else
    clear_stale_pidfile /var/run/docker.pid dockerd
    clear_stale_pidfile /var/run/docker/containerd/containerd.pid containerd
    started=$(date +%s%N)
    # setsid: its own session, so it outlives this script and the shell that ran it.
    setsid nohup dockerd \
      --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
      >"$log" 2>&1 </dev/null &
    # Our own pid file, not dockerd's --pidfile: dockerd refuses to start when the pid in its
    # file is alive, and we need the pid at once, to tell a crash from a slow start.
    echo $! >"$pidfile"
  fi
  if ! wait_for docker_answers "$pidfile" dockerd; then
    show_log "$log"
    pid_alive "$pidfile" dockerd || fail "dockerd exited without answering 'docker info' (log: $log)"
    fail "dockerd did not answer 'docker info' within ${wait_seconds}s (log: $log)"
  fi
  echo "docker: started dockerd (pid $(cat "$pidfile"), vfs storage, ${started:+$(( ($(date +%s%N) - started) / 1000000 )) ms, }log $log)"
}

start_registry() {
  if registry_answers; then
    echo "registry: reusing the registry answering on 127.0.0.1:$port"
    return
  fi
  install_missing
  local pidfile="$state/registry-$port.pid" log="$state/registry-$port.log"
  local config="$state/registry-$port.yml" storage="$state/registry-$port-data"
  if pid_alive "$pidfile" docker-registry; then
    echo "registry: docker-registry (pid $(cat "$pidfile")) is running but not answering yet; waiting"
  else
    mkdir -p "$storage"
    cat >"$config" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: apd-local-$port
EOF
    setsid nohup docker-registry serve "$config" >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
  fi
  if ! wait_for registry_answers "$pidfile" docker-registry; then
    show_log "$log"
    pid_alive "$pidfile" docker-registry || fail "docker-registry exited without answering GET http://127.0.0.1:$port/v2/ (port taken? log: $log)"
    fail "the registry did not answer GET http://127.0.0.1:$port/v2/ within ${wait_seconds}s (log: $log)"
  fi
  echo "registry: started docker-registry on 127.0.0.1:$port (pid $(cat "$pidfile"), storage $storage)"
}

# The first `docker` on PATH may be a CLI 23+ whose `docker build` needs the buildx plugin
# for BuildKit (this machine's /usr/local/bin/docker is one); Debian's docker.io CLI (20.10)
# has BuildKit built in. Say so, since `DOCKER_BUILDKIT=1 docker build` fails there.
check_buildkit() {
  local cli version
  cli="$(command -v docker)"
  version="$(docker version --format '{{.Client.Version}}' 2>/dev/null || echo 0)"
  if [ "${version%%.*}" -lt 23 ] 2>/dev/null || docker buildx version >/dev/null 2>&1; then
    return
  fi
  if [ -x /usr/bin/docker ] && [ "$cli" != /usr/bin/docker ]; then
    echo "docker build: note: $cli (CLI $version) has no buildx plugin, so BuildKit builds fail with it; /usr/bin/docker (Debian's CLI) builds with BuildKit"
  else
    echo "docker build: note: $cli (CLI $version) has no buildx plugin, so BuildKit builds fail with it" >&2
  fi
}

start_docker
start_registry
check_buildkit
