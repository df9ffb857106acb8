#!/bin/sh
# The main job: build libkv, run examples/train_run -- a training script
# that defines the "run" schema, logs a run's parameters, updates its
# metrics for three epochs and is refused when it tries to change a
# write-once parameter -- on a fresh store in build/, then read the stored
# run back with kvtool and with the kv Python module.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/build.sh" build
kvtool="$top/build/cli/kvtool"
train_run="$top/build/examples/train_run"
store="$top/build/demo-runs.kv"
rm -f "$store" "$store-wal" "$store-shm" "$store-journal" "$store-lock"

set -x
"$train_run" "$store" 0001
"$kvtool" record "$store" get runs/0001
"$kvtool" ls "$store" runs/
"$kvtool" schema "$store" list
"$kvtool" verify "$store"
PYTHONPATH="$top/build/bindings/python/.libs" /usr/bin/python3 -c \
	'import sys, kv; print(kv.open(sys.argv[1]).record("runs/0001"))' "$store"
