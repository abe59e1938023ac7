#!/bin/sh
# Installs the Debian packages in deps/debian-packages.txt that are missing; does nothing when all are present.
set -eu
list="${1:-$(dirname "$0")/debian-packages.txt}"
missing=""
for p in $(grep -v '^#' "$list" | grep -v '^$'); do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
# Node.js may come from elsewhere than Debian; only install Debian's when there is none.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -z "$missing" ]; then exit 0; fi
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
