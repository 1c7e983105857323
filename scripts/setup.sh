#!/usr/bin/env bash
# Installs what the build and the tests need, skipping what is already there:
# the wasm target, wasm-bindgen-cli of the version pinned in Cargo.toml, the
# npm dev packages, Debian's chromium + chromium-driver and postgresql (the
# server's tests start a throwaway cluster with scripts/pg.sh), and a Python
# venv (.venv/) with PyJWT for the token interop test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

want=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  # not --locked: a locked dependency version is missing from the registry mirror here
  cargo install wasm-bindgen-cli --version "$want"
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

apt_pkgs=()
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  apt_pkgs+=(chromium chromium-driver)
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_pkgs+=(postgresql)
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${apt_pkgs[@]}"
fi

want_py=$(sha256sum tests/interop/requirements.txt | cut -c1-16)
if [ "$(cat .venv/.requirements 2>/dev/null || true)" != "$want_py" ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  echo "$want_py" >.venv/.requirements
fi
