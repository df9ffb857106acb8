#!/bin/sh
# Every test: build with gcc and -Werror and run `make check`; the same
# suite under AddressSanitizer+UndefinedBehaviorSanitizer (leaks included)
# and under ThreadSanitizer; a clang -Werror build with its own check run;
# and `make distcheck` to prove the tarball builds and passes.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

passed=0
failed=0

# The postgresql row of every behaviour suite runs on a throwaway
# cluster, removed on exit.  CI must test it: no server, no green run.
pgdir=$(sh "$top/scripts/pg-test-server.sh" start) ||
	{ echo "check: cannot start the PostgreSQL test server"; exit 1; }
trap 'sh "$top/scripts/pg-test-server.sh" stop "$pgdir"' EXIT
trap 'exit 1' INT TERM
KV_TEST_POSTGRES=$(cat "$pgdir/uri"); export KV_TEST_POSTGRES

step() { printf '\n=== %s\n' "$*"; }

# Print each suite's closing lines and add them to the totals: Check's
# "N%: Checks: C, Failures: F, Errors: E" and the shell tests' "P passed,
# F failed".
tally() {   # tally LOGDIR
	for log in "$1"/tests/*.log; do
		[ -f "$log" ] || continue
		# the crash loop's figures, too: rounds, commits checked, losses
		grep -h '^crash\[' "$log" || true
		lines=$(grep -hE '^[0-9]+%: Checks: |^[0-9]+ passed, [0-9]+ failed' "$log" || true)
		[ -n "$lines" ] || continue
		echo "$lines" | sed "s|^|$(basename "$log" .log): |"
		counts=$(echo "$lines" | awk '
			/Checks:/ { gsub(/,/, ""); c += $3; f += $5 + $7 }
			/ passed, / { c += $1 + $3; f += $3 }
			END { print c - f, f }')
		passed=$((passed + ${counts% *}))
		failed=$((failed + ${counts#* }))
	done
}

run_check() {   # run_check DIR TARGET LOGDIR
	if ! make -C "$1" -j"$jobs" "$2" >"$1/$2.out" 2>&1; then
		cat "$1/$2.out"
		for log in $(find "$1" -name '*.log' -newer "$1/Makefile"); do
			grep -lqE '^(FAIL|ERROR)' "$log" 2>/dev/null && cat "$log"
		done
		echo "check: $2 in $1 FAILED"
		exit 1
	fi
	grep -E '^(# |PASS|FAIL|SKIP|ERROR|XFAIL)' "$1/$2.out" || true
	tally "$3"
}

step "gcc build, make check"
sh "$top/scripts/build.sh" build CC=gcc
run_check "$top/build" check "$top/build"

step "AddressSanitizer + UndefinedBehaviorSanitizer"
run_check "$top/build" check-asan "$top/build/asan"

step "ThreadSanitizer"
run_check "$top/build" check-tsan "$top/build/tsan"

step "clang build, make check"
sh "$top/scripts/build.sh" build-clang CC=clang
run_check "$top/build-clang" check "$top/build-clang"

step "fuzzers: every harness 30 s over its corpus (clang, libFuzzer)"
sh "$top/scripts/build.sh" build-fuzz CC=clang --enable-fuzzing \
	--disable-shared
make -C "$top/build-fuzz" fuzz-run FUZZ_SECONDS=30

step "make distcheck"
run_check "$top/build" distcheck "$top/build/nonexistent"

echo
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
