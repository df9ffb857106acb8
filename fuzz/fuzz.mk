# fuzz/fuzz.mk - the fuzz harnesses, included from Makefile.am.
#
# Every harness fuzz/fuzz_NAME.c is built twice:
#  - always, as the check program fuzz/replay_NAME, which replays the
#    committed corpus fuzz/corpus/NAME (so every crash ever found stays a
#    regression test, with any compiler);
#  - with --enable-fuzzing (clang), as the libFuzzer program fuzz/fuzz_NAME,
#    run by `make fuzz-run` (bounded, for CI) or `make fuzz-long` (local
#    campaigns), each over its corpus with its dictionary fuzz/NAME.dict.
FUZZ_NAMES = ops schema ndbm sqlite_file dump
FUZZ_COMMON = fuzz/fuzz.h fuzz/common.c fuzz/model.h fuzz/model.c
FUZZ_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
FUZZ_CORPUS = $(abs_top_srcdir)/fuzz/corpus
FUZZ_LIBS = kv/libkv.la $(JANSSON_LIBS)

# kvtool on damaged LMDB files (truncated, meta and data pages flipped).
dist_check_SCRIPTS += tests/lmdb_damage.test

FUZZ_REPLAYS = fuzz/replay_ops fuzz/replay_schema fuzz/replay_ndbm \
	fuzz/replay_sqlite_file fuzz/replay_dump
check_PROGRAMS += $(FUZZ_REPLAYS)
EXTRA_DIST += fuzz/corpus fuzz/ops.dict fuzz/schema.dict fuzz/ndbm.dict \
	fuzz/sqlite_file.dict fuzz/dump.dict

fuzz_replay_ops_SOURCES = fuzz/replay.c fuzz/fuzz_ops.c $(FUZZ_COMMON)
fuzz_replay_ops_CFLAGS = $(FUZZ_CFLAGS) \
	-DFZ_CORPUS='"$(FUZZ_CORPUS)/ops"'
fuzz_replay_ops_LDADD = $(FUZZ_LIBS)
fuzz_replay_schema_SOURCES = fuzz/replay.c fuzz/fuzz_schema.c $(FUZZ_COMMON)
fuzz_replay_schema_CFLAGS = $(FUZZ_CFLAGS) \
	-DFZ_CORPUS='"$(FUZZ_CORPUS)/schema"'
fuzz_replay_schema_LDADD = $(FUZZ_LIBS)
fuzz_replay_ndbm_SOURCES = fuzz/replay.c fuzz/fuzz_ndbm.c $(FUZZ_COMMON)
fuzz_replay_ndbm_CFLAGS = $(FUZZ_CFLAGS) \
	-DFZ_CORPUS='"$(FUZZ_CORPUS)/ndbm"'
fuzz_replay_ndbm_LDADD = kv/libkv_ndbm.la $(FUZZ_LIBS)
fuzz_replay_sqlite_file_SOURCES = fuzz/replay.c fuzz/fuzz_sqlite_file.c \
	$(FUZZ_COMMON)
fuzz_replay_sqlite_file_CFLAGS = $(FUZZ_CFLAGS) \
	-DFZ_CORPUS='"$(FUZZ_CORPUS)/sqlite_file"'
fuzz_replay_sqlite_file_LDADD = $(FUZZ_LIBS)
# kvtool's dump parsers: cli/dump.c alone, no store.
fuzz_replay_dump_SOURCES = fuzz/replay.c fuzz/fuzz_dump.c cli/dump.c \
	cli/dump.h $(FUZZ_COMMON)
fuzz_replay_dump_CFLAGS = $(FUZZ_CFLAGS) \
	-DFZ_CORPUS='"$(FUZZ_CORPUS)/dump"'
fuzz_replay_dump_LDADD = $(FUZZ_LIBS)

if FUZZING
noinst_PROGRAMS += fuzz/fuzz_ops fuzz/fuzz_schema fuzz/fuzz_ndbm \
	fuzz/fuzz_sqlite_file fuzz/fuzz_dump
fuzz_fuzz_ops_SOURCES = fuzz/fuzz_ops.c $(FUZZ_COMMON)
fuzz_fuzz_ops_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_ops_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ops_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_schema_SOURCES = fuzz/fuzz_schema.c $(FUZZ_COMMON)
fuzz_fuzz_schema_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_schema_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_schema_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_ndbm_SOURCES = fuzz/fuzz_ndbm.c $(FUZZ_COMMON)
fuzz_fuzz_ndbm_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_ndbm_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_ndbm_LDADD = kv/libkv_ndbm.la $(FUZZ_LIBS)
fuzz_fuzz_sqlite_file_SOURCES = fuzz/fuzz_sqlite_file.c $(FUZZ_COMMON)
fuzz_fuzz_sqlite_file_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_sqlite_file_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_sqlite_file_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_dump_SOURCES = fuzz/fuzz_dump.c cli/dump.c cli/dump.h $(FUZZ_COMMON)
fuzz_fuzz_dump_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_dump_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_dump_LDADD = $(FUZZ_LIBS)
endif

# Run every harness for FUZZ_SECONDS over its corpus.  New inputs go to
# fuzz-work/NAME, never into the committed corpus; a crash leaves its
# input as fuzz-work/NAME-crash-* and fails the target.  The last status
# line of each run (executions, cov: edges covered, exec/s) is printed.
FUZZ_SECONDS = 30
FUZZ_OPTS = -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
fuzz-run:
	@test -n "$(FUZZING_TRUE)" && { \
	  echo "fuzz-run: configure with --enable-fuzzing CC=clang" >&2; \
	  exit 1; }; \
	$(MAKE) $(AM_MAKEFLAGS) fuzz/fuzz_ops fuzz/fuzz_schema \
	  fuzz/fuzz_ndbm fuzz/fuzz_sqlite_file fuzz/fuzz_dump && \
	fail=0; for n in $(FUZZ_NAMES); do \
	  mkdir -p fuzz-work/$$n; \
	  echo "fuzz-run: $$n for $(FUZZ_SECONDS)s"; \
	  ASAN_OPTIONS=detect_leaks=1 ./fuzz/fuzz_$$n $(FUZZ_OPTS) \
	    -max_total_time=$(FUZZ_SECONDS) \
	    -dict=$(srcdir)/fuzz/$$n.dict \
	    -artifact_prefix=fuzz-work/$$n- \
	    fuzz-work/$$n $(srcdir)/fuzz/corpus/$$n \
	    >fuzz-work/$$n.log 2>&1 || { fail=1; \
	    tail -n 60 fuzz-work/$$n.log; \
	    echo "fuzz-run: $$n FAILED; input: fuzz-work/$$n-*"; }; \
	  grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' fuzz-work/$$n.log | \
	    tail -n 1 | sed "s|^|fuzz-run: $$n: |"; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
	    fuzz-work/$$n.log | sed "s|^|fuzz-run: $$n: |"; \
	done; test $$fail = 0
fuzz-long:
	$(MAKE) $(AM_MAKEFLAGS) fuzz-run FUZZ_SECONDS=600
.PHONY: fuzz-run fuzz-long
