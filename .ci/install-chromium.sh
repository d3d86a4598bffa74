#!/usr/bin/env bash
# Installs Debian's chromium for the browser end-to-end tests (test/e2e/ide.e2e.test.ts).
# Idempotent: does nothing when /usr/bin/chromium already exists. The package index is refreshed only
# when the first install attempt fails, so a warm CI image never pays for `apt-get update`. Recommended
# packages are kept: they are what the tests were verified with (fonts among them).
set -euo pipefail

readonly CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "chromium already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-chromium: not root and sudo is unavailable; cannot install chromium" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

apt_get() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 "$@"
}

if ! apt_get install chromium; then
  echo "install-chromium: first install attempt failed; refreshing the package index and retrying" >&2
  apt_get update
  apt_get install chromium
fi

if [[ ! -x "$CHROMIUM" ]]; then
  echo "install-chromium: apt-get finished but $CHROMIUM is missing" >&2
  exit 1
fi
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
