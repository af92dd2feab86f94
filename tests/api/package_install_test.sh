#!/bin/bash
# The Debian package installed as an operator installs it (issue 20): a minimal Debian 12 root
# made by debootstrap, the .deb installed there with apt (its declared Depends resolved by apt,
# its postinst run), then its binary started as the kakitome user inside that root, serving
# until /readyz answers 200. Proves the Depends are complete and postinst makes the user,
# the 0700 data directory and the configuration's owner. Needs root (debootstrap, chroot) and
# the machine's own Debian mirror (read from its apt sources; nothing else is fetched).
#
# Usage: package_install_test.sh PACKAGE_DIRECTORY
set -euo pipefail

deb="$(ls "$1"/kakitome_*.deb | head -1)"
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: debootstrap and chroot need root" >&2
  exit 0
fi
work="$(mktemp -d /tmp/kakitome-install.XXXXXX)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if mountpoint -q "$work/debian/proc" 2>/dev/null; then umount -l "$work/debian/proc" || true; fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# The mirror this machine's apt uses (deb822 or one-line format).
mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
if [ -z "$mirror" ]; then
  mirror="$(awk '$1 == "deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
fi
[ -n "$mirror" ] || { echo "FAILED: no Debian mirror in this machine's apt sources" >&2; exit 1; }

root="$work/debian"
for attempt in 1 2; do
  if debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    break
  fi
  [ "$attempt" = 2 ] && { tail -20 "$work/debootstrap.log" >&2; echo "FAILED: debootstrap" >&2; exit 1; }
  rm -rf "$root"
done
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  : >"$root/etc/apt/sources.list"
fi
cp "$deb" "$root/tmp/"
if ! chroot "$root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb")" >"$work/install.log" 2>&1; then
  tail -30 "$work/install.log" >&2
  echo "FAILED: apt could not install the package (a missing or wrong Depends?)" >&2
  exit 1
fi

fail=0
check() {  # description, then the command whose success is the check
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what" >&2; fail=1; fi
}
check "postinst made the kakitome system user" chroot "$root" getent passwd kakitome >/dev/null
check "the data directory is kakitome's, 0700" \
  test "$(chroot "$root" stat -c '%U %a' /var/lib/kakitome)" = "kakitome 700"
check "the configuration is root:kakitome 0640" \
  test "$(chroot "$root" stat -c '%U %G %a' /etc/kakitome/kakitome.json)" = "root kakitome 640"
check "the unit is installed" test -f "$root/lib/systemd/system/kakitome.service"
check "the man page is installed" test -f "$root/usr/share/man/man1/kakitome.1.gz"
# Unconfigured, serve refuses (the storage is the demo placeholder) and says what to do.
refusal="$(chroot --userspec=kakitome:kakitome "$root" kakitome serve --data /var/lib/kakitome \
  --config /etc/kakitome/kakitome.json 2>&1 || true)"
check "an unconfigured serve says to configure the storage" grep -q '"storage"' <<<"$refusal"

# A running system has /proc (and a sanitizer build of the binary reads it at exit).
mount -t proc proc "$root/proc"
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
chroot --userspec=kakitome:kakitome "$root" kakitome serve --data /var/lib/kakitome \
  --config /etc/kakitome/kakitome.json --listen "127.0.0.1:$port" --demo \
  --admin-token-file /var/lib/kakitome/initial-admin-token >"$work/serve.out" 2>"$work/serve.err" &
server=$!
ready=""
for _ in $(seq 1 100); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; then
    ready=yes; break
  fi
  sleep 0.1
done
check "the installed binary serves and is ready" test -n "$ready"
check "the first admin token is kakitome's, 0600" \
  test "$(chroot "$root" stat -c '%U %a' /var/lib/kakitome/initial-admin-token)" = "kakitome 600"
kill -TERM "$server"
wait "$server" && stopped=0 || stopped=$?
server=""
check "SIGTERM stops it cleanly (exit 0)" test "$stopped" = 0
if [ "$fail" != 0 ]; then cat "$work/serve.err" >&2; exit 1; fi
