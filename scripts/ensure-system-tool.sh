#!/usr/bin/env bash
# Makes sure a command from a Debian package is installed: ensure-system-tool.sh COMMAND PACKAGE WHAT-NEEDS-IT.
# Missing and not installable: an error under CI=true (nothing may be skipped there), a warning locally.
set -euo pipefail

command="$1" package="$2" needed_by="$3"
command -v "$command" >/dev/null 2>&1 && exit 0

unavailable() {
  if [ "${CI:-}" = "true" ]; then
    echo "error: $1" >&2
    exit 1
  fi
  echo "warning: $1; $needed_by will not work" >&2
  exit 0
}

command -v apt-get >/dev/null 2>&1 || unavailable "$command is not installed and apt-get is not available"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    unavailable "$command is not installed, and installing it needs root: apt-get install -y $package"
  fi
fi

install() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null; }
echo "installing Debian's $package for $needed_by"
# A fresh machine's package lists may not know the package yet: update them once, then try again.
install || { "${SUDO[@]}" apt-get update -qq && install; } || unavailable "apt-get install -y $package failed"
command -v "$command" >/dev/null 2>&1 || unavailable "$command is still missing after apt-get install $package"
