#!/usr/bin/env bash
# Debian packages the test suite needs, installed only when missing (with apt-get, as root or
# through sudo):
#   postgresql          the outbox and scale-out tests start their own PostgreSQL server
#   redis-server        the scale-out and messaging tests start their own Redis server
#   chromium            the chat widget's browser tests (headless)
#   fonts-dejavu-core   a font for Chromium's screenshots
#   prometheus          its promtool checks and unit-tests the alert rules (deploy/prometheus/)
# Set-up touches only what it owns: it never stops, starts or reconfigures a PostgreSQL, Redis
# or Prometheus service. Installing a server package would start its service, so while it installs, a
# policy-rc.d (Debian's switch for that) tells the packages not to start anything; the tests run
# their own servers on free ports. An existing policy-rc.d is left as it is.
# SYSTEM_ROOT (empty: /) is where the packages' files are looked for; only tests change it.
set -euo pipefail
root="${SYSTEM_ROOT:-}"
missing=()
ls "$root"/usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x "$root/usr/bin/redis-server" ] || missing+=(redis-server)
[ -x "$root/usr/bin/chromium" ] || missing+=(chromium)
[ -d "$root/usr/share/fonts/truetype/dejavu" ] || missing+=(fonts-dejavu-core)
[ -x "$root/usr/bin/promtool" ] || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: installing ${missing[*]} needs root or sudo" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing Debian packages: ${missing[*]} (services are not started)"
policy="$root/usr/sbin/policy-rc.d"
own_policy=""
if [ ! -e "$policy" ]; then
  # Exit status 101: "action forbidden", so invoke-rc.d starts no service during the install.
  $sudo mkdir -p "$(dirname "$policy")"
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy="$policy"
fi
trap '[ -n "$own_policy" ] && $sudo rm -f "$own_policy"' EXIT
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
