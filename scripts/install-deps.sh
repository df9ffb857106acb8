#!/bin/sh
# Installs the Debian 12 packages libkv needs to build and test.
# Idempotent: packages already present are left alone, and apt is not
# consulted at all when nothing is missing.
set -eu

PKGS="build-essential autoconf automake libtool pkg-config
      libsqlite3-dev liblmdb-dev libsodium-dev libjansson-dev check
      lmdb-utils sqlite3 python3 clang libgdbm-dev libpq-dev postgresql
      python3-dev python3-pytest python3-gdbm libclang-rt-14-dev"
# Optional groups, named as arguments, for what no build needs:
# "chart" is gnuplot for `make bench-chart`.
for group in "$@"; do
    case $group in
    chart) PKGS="$PKGS gnuplot-nox" ;;
    *) echo "install-deps: unknown group '$group' (known: chart)" >&2
       exit 2 ;;
    esac
done

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run this script as root to install them" >&2
    exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
