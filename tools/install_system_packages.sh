#!/usr/bin/env bash
# Debian packages the test suite needs, installed only when missing: PostgreSQL and Redis (outbox
# and scale-out tests against real servers) and Chromium with a font (the widget's browser tests).
# Needs root (as on CI) or passwordless sudo.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The test suite starts its own servers on 127.0.0.1; the packaged ones are not needed.
$sudo service postgresql stop >/dev/null 2>&1 || true
$sudo service redis-server stop >/dev/null 2>&1 || true
