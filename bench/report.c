/*
 * bench/report.c - kvbench's report: the tables of ops/s and memory, the
 * ratios libkv/alternative computed from the same run, the targets of
 * issue 8 with whether this run meets them, and every figure again as
 * tab-separated "TSV" lines (N, kind, name, workload, value[, extra]) for
 * bench/chart.gp and other tools.  A ratio is given two ways: of the two
 * stores' medians over the rounds, and as the median of the ratios within
 * each round (kind ratio_rounds in the TSV), taken from the round's duel
 * where both stores ran in one (duel.c), else from their own children.
 * The second decides a target: it compares figures measured side by side,
 * so the machine's drift over a run cancels out of it.
 */
#include "kvbench.h"

#include <stdio.h>
#include <string.h>

/* The ratios the report computes: libkv against each alternative (the
 * first two give the heap comparison), then what libkv's format costs by
 * itself (sealed/raw) and what libkv's code adds to it (libkv/sealed). */
static const char *const pairs[][2] = {
	{ "libkv-lmdb", "raw-lmdb" }, { "libkv-sqlite", "raw-sqlite" },
	{ "libkv-lmdb", "gdbm" }, { "libkv-sqlite", "dbm.sqlite3" },
	{ "sealed-lmdb", "raw-lmdb" }, { "sealed-sqlite", "raw-sqlite" },
	{ "libkv-lmdb", "sealed-lmdb" }, { "libkv-sqlite", "sealed-sqlite" },
};
#define NPAIRS (sizeof pairs / sizeof pairs[0])

/* Columns of the ops/s table (W_GETAUTO has rows of its own). */
static const int cols[] = { W_LOAD, W_GET, W_GET2, W_SCAN, W_COMMIT,
	W_COMMIT4, W_UPDATE };
static const char *const col_titles[] = { "bulk load", "random get",
	"get 2 thr", "full scan", "dur.commit", "commit 4thr", "rec.update" };
#define NCOLS (sizeof cols / sizeof cols[0])

/* One target of issue 8: a ratio a/b of workload wa over wb (a store's
 * own scaling when b is NULL: wa over wb of a) at least min. */
typedef struct target {
	const char *a, *b;
	int wa, wb;
	double min;
	const char *what;
} target;

static const target targets[] = {
	{ "libkv-lmdb", "raw-lmdb", W_GET, W_GET, 0.85, "LMDB random get" },
	{ "libkv-lmdb", "raw-lmdb", W_LOAD, W_LOAD, 0.8, "LMDB bulk load" },
	{ "libkv-lmdb", "raw-lmdb", W_SCAN, W_SCAN, 0.7, "LMDB full scan" },
	{ "libkv-sqlite", "raw-sqlite", W_GET, W_GET, 0.85,
	  "SQLite random get" },
	{ "libkv-sqlite", "raw-sqlite", W_LOAD, W_LOAD, 0.85,
	  "SQLite bulk load" },
	{ "libkv-lmdb", "gdbm", W_GET, W_GET, 2, "random get vs GDBM" },
	{ "libkv-lmdb", "gdbm", W_LOAD, W_LOAD, 5, "bulk load vs GDBM" },
	{ "libkv-sqlite", "dbm.sqlite3", W_LOAD, W_LOAD, 20,
	  "bulk load vs dbm.sqlite3" },
	{ "libkv-lmdb", NULL, W_GET2, W_GET, 1.7, "LMDB get, 2 threads/1" },
	{ "libkv-sqlite", NULL, W_GET2, W_GET, 1.7,
	  "SQLite get, 2 threads/1" },
	{ "libkv-lmdb", "raw-lmdb", W_COMMIT, W_COMMIT, 0.9,
	  "LMDB durable commit" },
	{ "libkv-sqlite", "raw-sqlite", W_COMMIT, W_COMMIT, 0.9,
	  "SQLite durable commit" },
	{ "libkv-lmdb", "raw-lmdb", W_UPDATE, W_UPDATE, 0.8,
	  "record update vs jansson" },
	{ "libkv-lmdb", NULL, W_COMMIT4, W_COMMIT, 2,
	  "LMDB commits, 4 threads/1" },
	{ "libkv-sqlite", NULL, W_COMMIT4, W_COMMIT, 2,
	  "SQLite commits, 4 threads/1" },
};

/* The index in bench_stores of a store that ran without failing, or -1. */
static int store_index(const bench_run *run, const char *name)
{
	int i = bench_store_index(name);

	return i >= 0 && run->res[i].ran && !run->res[i].failed ? i : -1;
}

static const bench_result *result(const bench_run *run, const char *name)
{
	int i = store_index(run, name);

	return i < 0 ? NULL : &run->res[i];
}

static double ratio(const bench_result *a, int wa, const bench_result *b,
                    int wb)
{
	if (!a || !b || a->ops[wa] <= 0 || b->ops[wb] <= 0)
		return 0;
	return a->ops[wa] / b->ops[wb];
}

/* Round k's figures of the duel of a and b, or NULL when they have none
 * for w. */
static const bench_result *duel_of(const bench_run *run, const char *a,
                                   const char *b, int k, int w)
{
	for (size_t p = 0; p < BENCH_NDUELS; p++) {
		const bench_result *r = run->duels[p][k];
		if (!strcmp(bench_duels[p][0], a) && !strcmp(bench_duels[p][1], b))
			return r[0].ops[w] > 0 && r[1].ops[w] > 0 ? r : NULL;
	}
	return NULL;
}

/* The median over the rounds of a's wa over b's wb in the same round: of
 * their duel's figures where they have one (duels only when only_duel),
 * else of their own children's; 0 when a round lacks either. */
static double round_ratio(const bench_run *run, const char *a, int wa,
                          const char *b, int wb, int only_duel)
{
	int ia = store_index(run, a), ib = store_index(run, b);
	double v[BENCH_MAX_REPS];

	if (ia < 0 || ib < 0)
		return 0;
	for (int k = 0; k < run->reps; k++) {
		const bench_result *d = wa == wb ? duel_of(run, a, b, k, wa) : NULL;
		double x = d ? d[0].ops[wa] : run->rounds[ia][k].ops[wa];
		double y = d ? d[1].ops[wb] : run->rounds[ib][k].ops[wb];
		if (x <= 0 || y <= 0 || (only_duel && !d))
			return 0;
		v[k] = x / y;
	}
	return bench_median(v, run->reps);
}

static void print_header(const bench_run *run)
{
	printf("data: N=%zu records, mean key %.1f B, mean value %.1f B, seed "
	       "%llu; %zu random gets, %zu durable commits of new keys (from 1 "
	       "and from 4 threads), %zu record updates; median of %d\n",
	       run->n, run->mean_key, run->mean_val, run->seed, run->ngets,
	       run->ncommits, run->nupdates, run->reps);
	printf("example: %.*s = %.*s\n\n", run->example_klen, run->example_key,
	       run->example_vlen, run->example_val);
}

static void print_ops(const bench_run *run)
{
	printf("%-26s", "ops/s");
	for (size_t c = 0; c < NCOLS; c++)
		printf(" %11s", col_titles[c]);
	printf("\n");
	for (size_t s = 0; s < bench_nstores; s++) {
		const bench_result *r = &run->res[s];
		if (!r->ran)
			continue;
		printf("%-26s", bench_stores[s].name);
		for (size_t c = 0; c < NCOLS; c++) {
			if (r->failed)
				printf(" %11s", c ? "" : "FAILED");
			else if (r->ops[cols[c]] > 0)
				printf(" %11.0f", r->ops[cols[c]]);
			else
				printf(" %11s", "-");
		}
		printf("\n");
	}
	for (size_t s = 0; s < bench_nstores; s++)
		if (run->res[s].ran && run->res[s].ops[W_GETAUTO] > 0)
			printf("%-26s %11s %11.0f   (kv_db_get: a read transaction "
			       "and a copy per get)\n", bench_stores[s].name, "",
			       run->res[s].ops[W_GETAUTO]);
	printf("  figures: medians over %d round%s, the stores interleaved "
	       "(each libkv store runs right before the raw one it is compared "
	       "with)\n", run->reps, run->reps == 1 ? "" : "s");
	for (size_t s = 0; s < bench_nstores; s++)
		if (run->res[s].ran && bench_stores[s].note)
			printf("  %s\n", bench_stores[s].note);
}

static void print_mem(const bench_run *run)
{
	printf("\n%-26s %11s %11s %11s %11s %11s\n", "memory", "file MiB",
	       "peak RSS MiB", "scan RSS+KiB", "scn heap+KiB", "pk heap MiB");
	for (size_t s = 0; s < bench_nstores; s++) {
		const bench_result *r = &run->res[s];
		if (!r->ran || r->failed)
			continue;
		printf("%-26s", bench_stores[s].name);
		for (int m = 0; m < M_COUNT; m++) {
			int scan = m == M_SCAN_RSS || m == M_SCAN_HEAP;
			if (scan && r->ops[W_SCAN] <= 0)
				printf(" %11s", "-");
			else
				printf(" %11.2f",
				       r->mem[m] / (scan ? 1024.0 : 1048576.0));
		}
		printf("\n");
	}
	printf("  peak RSS: over the process before the store (data set "
	       "included there), mapped file pages count; scan RSS+/heap+: "
	       "growth during one full scan; heap: malloc'd bytes in use, "
	       "sampled\n");
}

/* One row of the ratios table: a/b, then x[c] per column (0: none). */
static void print_ratio_row(const char *a, const char *b, const double *x)
{
	char label[64];

	snprintf(label, sizeof label, "%s/%s", a, b);
	printf("%-26s", label);
	for (size_t c = 0; c < NCOLS; c++)
		if (x[c] > 0)
			printf(" %10.2fx", x[c]);
		else
			printf(" %11s", "-");
	printf("\n");
}

/* The duels' rows: the median of their per-round ratios. */
static void print_duels(const bench_run *run)
{
	int header = 0;

	for (size_t p = 0; p < BENCH_NDUELS; p++) {
		const char *a = bench_duels[p][0], *b = bench_duels[p][1];
		double x[NCOLS];
		int any = 0;
		for (size_t c = 0; c < NCOLS; c++)
			any |= (x[c] = round_ratio(run, a, cols[c], b, cols[c], 1)) > 0;
		if (!any)
			continue;
		if (!header++)
			printf("side by side (each round's duel: one child, the two "
			       "stores alternating in blocks)\n");
		print_ratio_row(a, b, x);
	}
}

static void print_ratios(const bench_run *run)
{
	printf("\n%-26s", "ratios");
	for (size_t c = 0; c < NCOLS; c++)
		printf(" %11s", col_titles[c]);
	printf("\n");
	for (size_t p = 0; p < NPAIRS; p++) {
		const bench_result *a = result(run, pairs[p][0]);
		const bench_result *b = result(run, pairs[p][1]);
		double x[NCOLS];
		if (!a || !b)
			continue;
		for (size_t c = 0; c < NCOLS; c++)
			x[c] = ratio(a, cols[c], b, cols[c]);
		print_ratio_row(pairs[p][0], pairs[p][1], x);
	}
	print_duels(run);
	for (size_t p = 0; p < 2; p++) {
		const bench_result *a = result(run, pairs[p][0]);
		const bench_result *b = result(run, pairs[p][1]);
		if (a && b && b->mem[M_HEAP] > 0)
			printf("%s heap beyond %s: %+.1f%% (%.2f MiB vs %.2f MiB)\n",
			       pairs[p][0], pairs[p][1],
			       100 * (a->mem[M_HEAP] - b->mem[M_HEAP]) /
			               b->mem[M_HEAP],
			       a->mem[M_HEAP] / 1048576.0,
			       b->mem[M_HEAP] / 1048576.0);
	}
}

/* The target's ratio of the medians. */
static double target_value(const bench_run *run, const target *t)
{
	const bench_result *a = result(run, t->a);

	return ratio(a, t->wa, t->b ? result(run, t->b) : a, t->wb);
}

/* The target's median of per-round ratios, the one it is judged by. */
static double target_rounds(const bench_run *run, const target *t)
{
	return round_ratio(run, t->a, t->wa, t->b ? t->b : t->a, t->wb, 0);
}

/* For a target of libkv against raw-X: the same ratio of sealed-X, what
 * the format alone leaves of raw-X's speed; 0 when there is none. */
static double target_floor(const bench_run *run, const target *t)
{
	char sealed[32];

	if (!t->b || strncmp(t->b, "raw-", 4) != 0)
		return 0;
	snprintf(sealed, sizeof sealed, "sealed-%s", t->b + 4);
	return round_ratio(run, sealed, t->wa, t->b, t->wb, 0);
}

static void print_targets(const bench_run *run)
{
	int met = 0, missed = 0;

	printf("\ntargets (issue 8), this run; met when the median of the "
	       "per-round ratios (of the duel, where the pair has one) is:\n");
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		const target *t = &targets[i];
		double x = target_value(run, t), xr = target_rounds(run, t);
		double fl = target_floor(run, t);
		const char *verdict = xr >= t->min ? "met" : "MISSED";
		char label[64];
		if (x <= 0 || xr <= 0)
			continue;
		snprintf(label, sizeof label, "%s/%s", t->a,
		         t->b ? t->b : t->a);
		printf("  %-28s %-26s %-24s %7.2fx (per-round median %.2fx) >= "
		       "%-4.3g %s", t->what, label, bench_wnames[t->wa], x, xr,
		       t->min, verdict);
		if (fl > 0)
			printf("%*s (format alone %.2fx)",
			       (int)(6 - strlen(verdict)), "", fl);
		printf("\n");
		if (xr >= t->min)
			met++;
		else
			missed++;
	}
	printf("  %d met, %d missed; format alone: sealed-X/raw-X, the raw "
	       "store doing only what libkv's format asks (seal.c)\n", met,
	       missed);
}

static void print_tsv(const bench_run *run)
{
	printf("\nTSV\tN\tkind\tname\tworkload\tvalue\textra\n");
	for (size_t s = 0; s < bench_nstores; s++) {
		const bench_result *r = &run->res[s];
		if (!r->ran || r->failed)
			continue;
		for (int w = 0; w < W_COUNT; w++)
			if (r->ops[w] > 0)
				printf("TSV\t%zu\tops_per_s\t%s\t%s\t%.0f\n", run->n,
				       bench_stores[s].name, bench_wnames[w], r->ops[w]);
		for (int m = 0; m < M_COUNT; m++)
			printf("TSV\t%zu\tmemory\t%s\t%s\t%.0f\n", run->n,
			       bench_stores[s].name, bench_mnames[m], r->mem[m]);
	}
	for (size_t p = 0; p < NPAIRS; p++) {
		const bench_result *a = result(run, pairs[p][0]);
		const bench_result *b = result(run, pairs[p][1]);
		for (int w = 0; w < W_COUNT; w++) {
			double x = ratio(a, w, b, w);
			if (x > 0)
				printf("TSV\t%zu\tratio\t%s/%s\t%s\t%.3f\n", run->n,
				       pairs[p][0], pairs[p][1], bench_wnames[w], x);
		}
	}
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		const target *t = &targets[i];
		double x = target_value(run, t), xr = target_rounds(run, t);
		if (x > 0 && xr > 0)
			printf("TSV\t%zu\ttarget\t%s/%s\t%s\t%.3f\t>=%g %s\n", run->n,
			       t->a, t->b ? t->b : t->a, bench_wnames[t->wa], x,
			       t->min, xr >= t->min ? "met" : "missed");
	}
}

/* The medians of per-round ratios: of every pair's workloads, and of the
 * targets that divide a store by itself (threads over one thread). */
static void print_tsv_rounds(const bench_run *run)
{
	for (size_t p = 0; p < NPAIRS; p++)
		for (int w = 0; w < W_COUNT; w++) {
			double x = round_ratio(run, pairs[p][0], w, pairs[p][1], w, 0);
			if (x > 0)
				printf("TSV\t%zu\tratio_rounds\t%s/%s\t%s\t%.3f\n",
				       run->n, pairs[p][0], pairs[p][1], bench_wnames[w], x);
		}
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		const target *t = &targets[i];
		double x = t->b ? 0 : target_rounds(run, t);
		if (x > 0)
			printf("TSV\t%zu\tratio_rounds\t%s/%s\t%s\t%.3f\t/%s\n",
			       run->n, t->a, t->a, bench_wnames[t->wa], x,
			       bench_wnames[t->wb]);
	}
}

void bench_report(const bench_run *run)
{
	print_header(run);
	print_ops(run);
	print_mem(run);
	print_ratios(run);
	print_targets(run);
	print_tsv(run);
	print_tsv_rounds(run);
}
