#!/usr/bin/env bash
# Builds the Debian base image the example API starts FROM, from Debian's archive alone:
# no Docker Hub, no PyPI. Prints the image name (name:tag) on stdout, everything else on
# stderr, so `base=$(bash scripts/services/base-image.sh)` works.
#
#   1. debootstrap --variant=minbase bookworm into a temp root filesystem (debootstrap is
#      installed with apt-get when missing; needs root);
#   2. inside it, with bookworm, bookworm-updates and bookworm-security as sources, apt-get
#      installs the packages below (Django, DRF, gunicorn, the Postgres driver, …) without
#      recommends;
#   3. trims it: apt lists and caches, docs, man pages, locales, logs; a dpkg rule keeps
#      docs out of what a later `apt-get install` in a derived image adds;
#   4. `docker import`s it as $name:bookworm-<hash>, the hash of the suite, the package list
#      and the recipe version, so the tag changes when any of them does.
#
# Built once per machine: when the tag exists the script prints it and returns at once.
# Two runs at the same time build once (a lock in the state folder).
# Environment: APD_DEBIAN_MIRROR (http://deb.debian.org/debian), APD_DEBIAN_SECURITY
# (http://deb.debian.org/debian-security). Work files and the log in ${TMPDIR:-/tmp}/apd-services.
set -euo pipefail
service=base-image.sh
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

name="azure-push-deploy/django-base"
suite="bookworm"
# What the API needs at run time, all from Debian. requirements.txt in examples/estate/backend
# pins the same versions for a team that installs from PyPI instead.
packages=(
  python3
  python-is-python3          # `python manage.py …`, as the config's commands say
  python3-django             # 3.2 LTS
  python3-djangorestframework
  python3-dj-database-url    # DATABASE_URL → settings.DATABASES
  python3-django-cors-headers # the site, on another origin, calls the API
  python3-psycopg2           # the Postgres driver
  python3-whitenoise         # static files served by the app itself
  gunicorn
)
# Raise it when a change below alters what goes into the image (trimming, sources, settings):
# machines that hold the previous image then build the new one instead of reusing it.
recipe=2
mirror="${APD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${APD_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}"

hash="$(printf '%s\n' "recipe $recipe" "$suite" "${packages[@]}" | sha256sum | cut -c1-12)"
image="$name:$suite-$hash"

image_exists() {
  docker image inspect --format '{{.Id}}' "$image" >/dev/null 2>&1
}

command -v docker >/dev/null 2>&1 || fail "no docker CLI: run 'bash scripts/services/docker.sh' first"
if image_exists; then
  echo "$image"
  exit 0
fi
timeout 10 docker info >/dev/null 2>&1 || fail "no Docker engine answers 'docker info': run 'bash scripts/services/docker.sh' first"
[ "$(id -u)" -eq 0 ] || fail "building $image needs root (debootstrap and chroot); run it as root once, later runs reuse the image"

log="$state/base-image.log"
exec 9>"$state/base-image.lock"
flock 9
# Another run may have built it while this one waited for the lock.
if image_exists; then
  echo "$image"
  exit 0
fi

started=$(date +%s)
: >"$log"
# Runs a command with its output in the log; on failure shows the log's tail and stops.
step() {
  local what="$1" began
  shift
  began=$(date +%s)
  echo "base-image: $what" >&2
  if ! "$@" >>"$log" 2>&1; then
    show_log "$log" 25
    fail "$what failed (log: $log)"
  fi
  echo "base-image:   done in $(($(date +%s) - began)) s" >&2
}

if ! command -v debootstrap >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || fail "debootstrap is missing and there is no apt-get to install it"
  step "apt-get update (to install debootstrap)" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  step "installing debootstrap with apt-get" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi

rootfs="$state/base-image-$hash"
mounted=()
cleanup() {
  local point
  for point in "${mounted[@]}"; do umount -l "$point" 2>/dev/null || true; done
  rm -rf "$rootfs"
}
trap cleanup EXIT
rm -rf "$rootfs"
mkdir -p "$rootfs"

step "debootstrap $suite (minbase) from $mirror" \
  debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg "$suite" "$rootfs" "$mirror"

# Security fixes come from bookworm-security (Django's among them), so install with all three suites.
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF
# No docs, man pages or translations from any later install either (derived images stay small).
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/01-no-docs" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
EOF
cat >"$rootfs/etc/apt/apt.conf.d/01-no-recommends" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF

mount -t proc proc "$rootfs/proc" && mounted+=("$rootfs/proc")
# The host's resolver, for apt inside the chroot; the image gets Docker's own at run time.
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
in_root() {
  chroot "$rootfs" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
}
step "apt-get update (bookworm, -updates, -security)" in_root apt-get update -q
step "apt-get upgrade (security fixes to the base system)" in_root apt-get -y -q upgrade
step "apt-get install ${packages[*]}" in_root apt-get install -y -q "${packages[@]}"
{
  echo "installed versions:"
  in_root dpkg-query -W -f '  ${Package} ${Version}\n' "${packages[@]}"
} >&2
in_root apt-get clean
umount "$rootfs/proc" && mounted=()

echo "base-image: trimming" >&2
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
  "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* "$rootfs"/root/.cache
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/lintian
# Translation sources: Python packages load only the compiled .mo catalogues.
find "$rootfs/usr/lib/python3/dist-packages" -path '*/locale/*' -name '*.po' -delete
: >"$rootfs/etc/resolv.conf"
echo "$image" >"$rootfs/etc/apd-base-image"

step "docker import as $image" sh -c '
  tar --numeric-owner -C "$1" -c . | docker import \
    --change "ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1" \
    --change "LABEL org.opencontainers.image.description=\"Debian $2 with $3\"" \
    --change "CMD [\"python3\"]" \
    --message "built by scripts/services/base-image.sh" - "$4"
' _ "$rootfs" "$suite" "${packages[*]}" "$image"

size="$(docker image inspect --format '{{.Size}}' "$image")"
echo "base-image: built $image in $(($(date +%s) - started)) s ($((size / 1024 / 1024)) MB)" >&2
echo "$image"
