#!/usr/bin/env bash
# Installs what kwif's tests need on a fresh Debian machine, then runs the whole test suite.
# Usage: bash scripts/test.sh [extra cargo test arguments]
#        bash scripts/test.sh --install-only   (installs the tools, runs nothing)
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

# tmux drives `kwif demo` in a real terminal in tests/tui_tmux.rs.
if ! command -v tmux >/dev/null; then
  echo "== installing tmux from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tmux >/dev/null
fi

# kubectl (Debian's kubernetes-client) is the real client the sandbox's API server is tested with.
# tinyproxy (Debian's package) is the real HTTPS proxy the proxy tests send kwif through.
for tool in kubectl:kubernetes-client tinyproxy:tinyproxy; do
  command="${tool%%:*}" package="${tool##*:}"
  if ! command -v "$command" >/dev/null && ! [ -x "/usr/bin/$command" ] && ! [ -x "/usr/sbin/$command" ]; then
    echo "== installing $package from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  fi
done
# Debian starts tinyproxy as a service on install; the tests start their own on loopback.
if command -v systemctl >/dev/null && systemctl is-active --quiet tinyproxy 2>/dev/null; then
  as_root systemctl stop tinyproxy || true
fi

# Azurite (npm's azurite) stands in for Azure Blob Storage in tests/hosting_azure_blob.rs, which
# starts it itself on loopback. Installed into target/tools/azurite (git-ignored), not globally.
AZURITE_DIR=target/tools/azurite
if ! [ -x "$AZURITE_DIR/node_modules/.bin/azurite-blob" ]; then
  if ! command -v npm >/dev/null; then
    echo "== installing Node.js and npm from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  echo "== installing azurite from npm into $AZURITE_DIR"
  npm install --prefix "$AZURITE_DIR" --no-audit --no-fund --loglevel=error azurite@3.35.0
fi

# Node.js checks the JavaScript snippets (`node --check`) in tests/cli_handoff.rs.
if ! command -v node >/dev/null; then
  echo "== installing Node.js from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs >/dev/null
fi

# python3 checks the Python snippets (py_compile); a virtual environment with the real Azure SDK
# packages from PyPI (git-ignored, in target/tools/pyvenv) runs the snippet's credential against
# the sandbox's Entra ID and imports every service package a snippet names (tests/cli_handoff.rs).
if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  echo "== installing python3 and its venv module from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
fi
PYVENV=target/tools/pyvenv
PYTHON_PACKAGES="azure-identity==1.27.0 azure-storage-blob==12.31.1 azure-cosmos==4.17.1 azure-keyvault-secrets==4.12.0 azure-mgmt-resource-subscriptions==1.0.0"
if ! [ -f "$PYVENV/installed" ] || [ "$(cat "$PYVENV/installed")" != "$PYTHON_PACKAGES" ]; then
  echo "== installing $PYTHON_PACKAGES from PyPI into $PYVENV"
  python3 -m venv "$PYVENV"
  # shellcheck disable=SC2086 # one word per package
  "$PYVENV/bin/pip" install -q --disable-pip-version-check $PYTHON_PACKAGES
  echo "$PYTHON_PACKAGES" > "$PYVENV/installed"
fi

if [ "${1:-}" = "--install-only" ]; then
  exit 0
fi

echo "== cargo clippy (warnings are errors)"
if ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add clippy >/dev/null 2>&1 || true
fi
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets --locked -- -D warnings
else
  echo "scripts/test.sh: clippy is not installed and rustup could not add it: lints not checked" >&2
fi

echo "== cargo test"
mkdir -p target
cargo test --workspace --locked "$@" 2>&1 | tee target/test-output.log
# One closing line over every test binary, for people and for CI.
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' \
  target/test-output.log
