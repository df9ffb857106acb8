#!/bin/sh
# Every test: build with gcc and -Werror and run `make check`; the same
# suite under AddressSanitizer+UndefinedBehaviorSanitizer (leaks included)
# and under ThreadSanitizer; a clang -Werror build with its own check run;
# and `make distcheck` to prove the tarball builds and passes.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

step() { printf '\n=== %s\n' "$*"; }
run_check() {   # run_check DIR TARGET
	if ! make -C "$1" -j"$jobs" "$2" >"$1/$2.out" 2>&1; then
		cat "$1/$2.out"
		for log in $(find "$1" -name '*.log' -newer "$1/Makefile"); do
			grep -lqE '^(FAIL|ERROR)' "$log" 2>/dev/null && cat "$log"
		done
		echo "check: $2 in $1 FAILED"
		exit 1
	fi
	grep -E '^(# |PASS|FAIL|SKIP|ERROR|XFAIL|[0-9]+%)' "$1/$2.out" || true
}

step "gcc build, make check"
sh "$top/scripts/build.sh" build CC=gcc
run_check "$top/build" check

step "AddressSanitizer + UndefinedBehaviorSanitizer"
run_check "$top/build" check-asan

step "ThreadSanitizer"
run_check "$top/build" check-tsan

step "clang build, make check"
sh "$top/scripts/build.sh" build-clang CC=clang
run_check "$top/build-clang" check

step "make distcheck"
run_check "$top/build" distcheck
echo "check: all passed"
