#!/bin/sh
# The main job: build libkv, then log a few training runs into a store on
# the default backend and read them back with kvtool.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/build.sh" build
kvtool="$top/build/cli/kvtool"
store="$top/build/demo-runs.kv"
rm -f "$store" "$store-wal" "$store-shm"

set -x
"$kvtool" put "$store" runs/0001/params '{"lr": 0.001, "batch": 64, "dataset": "cifar10"}'
"$kvtool" put "$store" runs/0001/metrics '{"epoch": 10, "loss": 0.412, "val_acc": 0.871}'
"$kvtool" put "$store" runs/0002/params '{"lr": 0.0003, "batch": 128, "dataset": "cifar10"}'
"$kvtool" put "$store" runs/0002/metrics '{"epoch": 10, "loss": 0.365, "val_acc": 0.889}'
"$kvtool" get "$store" runs/0002/metrics
"$kvtool" ls "$store" runs/
"$kvtool" stat "$store"
