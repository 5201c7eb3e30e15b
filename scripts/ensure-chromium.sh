#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests (tests/browser); never a browser a tool downloads.
# Missing and not installable: an error under CI=true (browser tests must run there), a warning locally (they skip).
set -euo pipefail

command -v chromium >/dev/null 2>&1 && exit 0

unavailable() {
  if [ "${CI:-}" = "true" ]; then
    echo "error: $1" >&2
    exit 1
  fi
  echo "warning: $1; the browser tests will be skipped" >&2
  exit 0
}

command -v apt-get >/dev/null 2>&1 || unavailable "chromium is not installed and apt-get is not available"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    unavailable "chromium is not installed, and installing it needs root: apt-get install -y chromium"
  fi
fi

install() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
echo "installing Debian's chromium for the browser tests"
# A fresh machine's package lists may not know chromium yet: update them once, then try again.
install || { "${SUDO[@]}" apt-get update -qq && install; } || unavailable "apt-get install -y chromium failed"
command -v chromium >/dev/null 2>&1 || unavailable "chromium is still missing after apt-get install"
chromium --version
