/*
 * bench/duel.c - kvbench's duels: a libkv store and the raw backend under
 * it, timed side by side; and the same for the sealed store (the raw
 * backend doing only what libkv's format asks).
 *
 * A round runs each store in a child of its own, seconds apart, and on a
 * shared machine the speed moves by a tenth from one second to the next:
 * a ratio of two such figures swings that much from round to round.  A
 * duel loads both stores in one child, twice each (A B B A), and runs
 * every other timed workload on both in alternate blocks, A B B A A B ...,
 * each block a fraction of a second, so that whatever the machine does
 * meanwhile weighs on both halves of the ratio alike.  Its figures decide
 * the per-round ratios of the pair (report.c); the ops/s table and memory
 * keep coming from the stores' own children.
 */
#include "kvbench.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const bench_duels[BENCH_NDUELS][2] = {
	{ "libkv-lmdb", "raw-lmdb" }, { "libkv-sqlite", "raw-sqlite" },
	{ "sealed-lmdb", "raw-lmdb" }, { "sealed-sqlite", "raw-sqlite" },
};

/* Operations per block: a few tenths of a second of each workload. */
#define GET_BLOCK 25000
#define COMMIT_BLOCK 100
#define UPDATE_BLOCK 5000
#define SCANS 4

typedef struct duel {
	const bench_store *s[2];
	void *h[2];
	const bench_inputs *in;
} duel;

/* Operations [from, from + m) of workload w on side x; -1 on failure. */
static int block(const duel *du, int x, int w, size_t from, size_t m)
{
	const bench_store *s = du->s[x];
	const bench_inputs *in = du->in;
	void *h = du->h[x];
	size_t count = 0;

	switch (w) {
	case W_GET:
		return s->get(h, 0, in->d, in->gidx + from, m);
	case W_GET2:
		return bench_run_threads(s, h, 2, 0, in->d, in->gidx + from, 0,
		                         m) < 0 ? -1 : 0;
	case W_SCAN:
		if (s->scan(h, &count))
			return -1;
		return count == in->d->n ? 0 : -1;
	case W_COMMIT:
		return s->commits(h, 0, in->c, from, m);
	case W_COMMIT4:
		/* The keys after those of the one-thread commits. */
		return bench_run_threads(s, h, 4, 1, in->c, NULL, in->nc + from,
		                         m) < 0 ? -1 : 0;
	case W_UPDATE:
		return s->update(h, in->d, in->gidx + from, m);
	}
	return -1;
}

/* Workload w, m operations in blocks of blk, on both sides in the order
 * A B B A A B ...; out[x].ops[w] gets side x's rate. */
static int alternate(const duel *du, int w, size_t m, size_t blk,
                     bench_result out[2])
{
	double sec[2] = { 0, 0 };
	size_t from, k;

	for (from = 0, k = 0; from < m; from += blk, k++) {
		size_t n = m - from < blk ? m - from : blk;
		for (int j = 0; j < 2; j++) {
			int x = (int)(k & 1) ? 1 - j : j;
			double t0 = bench_now();
			if (block(du, x, w, w == W_SCAN ? 0 : from, n)) {
				fprintf(stderr, "kvbench: duel %s/%s: %s failed\n",
				        du->s[0]->name, du->s[1]->name,
				        bench_wnames[w]);
				return -1;
			}
			sec[x] += bench_now() - t0;
		}
	}
	for (int x = 0; x < 2; x++)
		out[x].ops[w] = (double)m / sec[x];
	return 0;
}

#define WANTS(in, w) ((in)->workloads & (1u << (w)))

/* Every timed workload both sides have, the load aside. */
static int duel_workloads(const duel *du, bench_result out[2])
{
	const bench_inputs *in = du->in;
	int threads = du->s[0]->threads && du->s[1]->threads;
	int updates = du->s[0]->update && du->s[1]->update;

	if (WANTS(in, W_GET) && alternate(du, W_GET, in->ng, GET_BLOCK, out))
		return -1;
	if (WANTS(in, W_GET2) && threads &&
	    alternate(du, W_GET2, in->ng, 2 * GET_BLOCK, out))
		return -1;
	if (WANTS(in, W_SCAN) && alternate(du, W_SCAN, SCANS, 1, out))
		return -1;
	if (WANTS(in, W_COMMIT) &&
	    alternate(du, W_COMMIT, in->nc, COMMIT_BLOCK, out))
		return -1;
	if (WANTS(in, W_COMMIT4) && threads &&
	    alternate(du, W_COMMIT4, in->nc, 2 * COMMIT_BLOCK, out))
		return -1;
	if (!WANTS(in, W_UPDATE) || !updates)
		return 0;
	for (int x = 0; x < 2; x++)
		if (du->s[x]->update_prep && du->s[x]->update_prep(du->h[x]))
			return -1;
	return alternate(du, W_UPDATE, in->nu, UPDATE_BLOCK, out);
}

/* Remove the files of the store at path (path itself, and any of its
 * companions: LMDB's -lock, SQLite's -wal and -shm). */
static void remove_store(const char *path)
{
	static const char *const tails[] = { "", "-lock", "-wal", "-shm",
		"-journal" };
	char p[4200];

	for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
		snprintf(p, sizeof p, "%s%s", path, tails[i]);
		unlink(p);
	}
}

/* Load both stores twice, A B B A, each time into a fresh file; their
 * load rates from the two loads each.  Both stay loaded. */
static int duel_loads(const duel *du, char path[2][4096], bench_result out[2])
{
	double sec[2] = { 0, 0 };
	size_t timed[2] = { 0, 0 };

	for (int k = 0; k < 4; k++) {
		int x = k == 0 || k == 3 ? 0 : 1;
		size_t t;
		double s;
		remove_store(path[x]);
		if (du->s[x]->load(path[x], du->in->d, &t, &s))
			return -1;
		timed[x] += t;
		sec[x] += s;
	}
	for (int x = 0; x < 2; x++)
		out[x].ops[W_LOAD] = (double)timed[x] / sec[x];
	return 0;
}

/* The duel's child: load and open both stores, run the workloads, close
 * and remove both. */
static int duel_child(const void *arg, bench_result *out)
{
	duel du = *(const duel *)arg;
	char path[2][4096];
	int rc = -1, opened = 0;

	bench_clear_dir(du.in->dir, 0);
	for (int x = 0; x < 2; x++) {
		out[x].ran = 1;
		if ((size_t)snprintf(path[x], sizeof path[x], "%s/%s.db",
		                     du.in->dir, du.s[x]->name) >= sizeof path[x])
			goto done;
	}
	if (duel_loads(&du, path, out))
		goto done;
	for (; opened < 2; opened++)
		if (du.s[opened]->open(&du.h[opened], path[opened]))
			goto done;
	rc = duel_workloads(&du, out);
done:
	while (opened > 0) {
		opened--;
		du.s[opened]->close(du.h[opened]);
	}
	for (int x = 0; x < 2; x++)
		out[x].failed = rc != 0;
	bench_clear_dir(du.in->dir, 0);
	return rc;
}

void bench_run_duel(const bench_store *a, const bench_store *b,
                    const bench_inputs *in, bench_result out[2])
{
	duel du = { { a, b }, { NULL, NULL }, in };
	double t0 = bench_now();
	int rc = bench_in_child(duel_child, &du, out, 2);

	if (rc != 0)
		memset(out, 0, 2 * sizeof *out); /* no figures: not judged */
	fprintf(stderr, "kvbench: round %d/%d: duel %s/%s %s in %.1f s\n",
	        in->round + 1, in->reps, a->name, b->name,
	        rc ? "FAILED" : "done", bench_now() - t0);
}
