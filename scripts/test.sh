#!/usr/bin/env bash
# Installs what kwif's tests need on a fresh Debian machine, then runs the whole test suite.
# Usage: bash scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "scripts/test.sh: need root (or sudo) to install $*" >&2; exit 2
  fi
}

# nginx (Debian's package) serves the hosting documents over real TLS in tests/doctor.rs.
# It is started by the tests themselves on loopback; the system service stays off.
if ! [ -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null; then
  echo "== installing nginx from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi

if ! [ -d ../shared/fixtures ]; then
  echo "scripts/test.sh: ../shared/fixtures is missing (the reference fixtures live beside the repository)" >&2
  exit 2
fi

echo "== cargo test"
cargo test --locked "$@"
