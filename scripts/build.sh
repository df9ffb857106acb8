#!/bin/sh
# Installs what is missing, then configures and builds libkv out of tree in
# build/ (or the folder given as $1, with extra configure arguments after).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
[ $# -gt 0 ] && shift
sh "$top/scripts/install-deps.sh"
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi
mkdir -p "$dir"
cd "$dir"
"$top/configure" --enable-werror "$@" >configure.log || {
	tail -n 30 config.log; exit 1; }
make -j"$(nproc)" >/dev/null || make V=1
