# shellcheck shell=bash
# What the service scripts in this folder share; each sources it after naming itself:
#
#   service=docker.sh
#   source "$(dirname "$0")/lib.sh"
#
# Sets $state, the folder of their logs, pid files and data: ${TMPDIR:-/tmp}/apd-services.

# Daemons and admin tools (dockerd, runuser, debootstrap, apt-get) live in the sbin folders,
# which a non-login PATH may leave out.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
state="${TMPDIR:-/tmp}/apd-services"
mkdir -p "$state"

fail() {
  echo "$service: $*" >&2
  exit 1
}

# Prints the last lines (20, or $2) of log file $1 to stderr, to explain a failure.
show_log() {
  if [ -s "$1" ]; then
    echo "--- last lines of $1 ---" >&2
    tail -n "${2:-20}" "$1" >&2
  fi
}

# apt_install <log> <what to do without root or apt-get> <package>…: installs Debian packages,
# apt-get's output in the log (shown when it fails).
apt_install() {
  local log="$1" otherwise="$2"
  shift 2
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    fail "missing $*: install them (Debian/Ubuntu: apt-get install $*) $otherwise"
  fi
  echo "$service: installing $* with apt-get" >&2
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"; } >"$log" 2>&1; then
    show_log "$log"
    fail "apt-get install $* failed (log: $log)"
  fi
}

# True when pid $1 is a live process running program $2. A pid or lock file outlives the
# machine's processes (a stopped session, a new CI job on the same disk), and its pid may since
# have gone to another process: the program's name must match too. A server started through
# `setsid nohup <program>` is taken for it during that instant too.
pid_runs() {
  local pid="$1" program="$2" comm
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [ -r "/proc/$pid/comm" ] || return 0
  comm="$(cat "/proc/$pid/comm")"
  # The kernel keeps the first 15 characters of a program's name.
  [ "$comm" = "${program:0:15}" ] && return 0
  case "$comm" in
    setsid | nohup) tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$program" ;;
    *) return 1 ;;
  esac
}
