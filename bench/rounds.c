/*
 * bench/rounds.c - kvbench's measuring: the rounds, each running every
 * selected store once in a child process of its own (a fresh load, then
 * one repetition of every workload) and then the duels (duel.c), and each
 * store's figures over the rounds.
 *
 * The machine's speed drifts over minutes (a shared VM), so a ratio whose
 * two halves ran minutes apart moves from run to run.  Within a round
 * each libkv store runs right before the raw store it is compared with,
 * so the two halves of a ratio are measured seconds apart, and report.c
 * can take the median of the ratios within each round.
 */
#include "kvbench.h"

#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- files -------------------------------------------------------------- */

void bench_clear_dir(const char *dir, int rmdir_too)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	char p[4096];

	if (dp) {
		while ((e = readdir(dp)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) <
			    sizeof p)
				unlink(p);
		}
		closedir(dp);
	}
	if (rmdir_too)
		rmdir(dir);
}

/* The bytes of the files of dir: a store's file size, whatever files it
 * keeps (LMDB's lock file, SQLite's -wal). */
static unsigned long long dir_bytes(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	unsigned long long sum = 0;
	char p[4096];
	FILE *f;

	if (!dp)
		return 0;
	while ((e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >=
		    sizeof p)
			continue;
		if ((f = fopen(p, "rb")) != NULL) {
			if (fseek(f, 0, SEEK_END) == 0)
				sum += (unsigned long long)ftell(f);
			fclose(f);
		}
	}
	closedir(dp);
	return sum;
}

/* ---- memory ------------------------------------------------------------- */

static double heap_peak;

static double heap_now(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (double)mi.uordblks + (double)mi.hblkhd;
}

void bench_mem_sample(void)
{
	double h = heap_now();

	if (h > heap_peak)
		heap_peak = h;
}

/* A field of /proc/self/status ("VmRSS", "VmHWM") in bytes; 0 if absent. */
static double status_bytes(const char *field)
{
	char line[256];
	size_t fl = strlen(field);
	double v = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, field, fl) && line[fl] == ':') {
			v = strtod(line + fl + 1, NULL) * 1024;
			break;
		}
	fclose(f);
	return v;
}

/* Start VmHWM afresh from the current RSS (Linux 4.0 and later). */
static void reset_peak_rss(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

/* ---- threads ------------------------------------------------------------ */

typedef struct job {
	const bench_store *s;
	void *h;
	int slot, commit;
	const bench_data *d;
	const uint32_t *idx;
	size_t first, m;
	int rc;
} job;

static void *job_main(void *arg)
{
	job *j = arg;

	j->rc = j->commit ? j->s->commits(j->h, j->slot, j->d, j->first, j->m)
	                  : j->s->get(j->h, j->slot, j->d, j->idx, j->m);
	return NULL;
}

double bench_run_threads(const bench_store *s, void *h, int nt,
                         int commit, const bench_data *d,
                         const uint32_t *idx, size_t first, size_t m)
{
	pthread_t tid[BENCH_MAX_THREADS];
	job jobs[BENCH_MAX_THREADS];
	double t0 = bench_now();
	int t, bad = 0;

	for (t = 0; t < nt; t++) {
		size_t a = m * (size_t)t / (size_t)nt, b = m * (size_t)(t + 1) / (size_t)nt;
		jobs[t] = (job){ s, h, t, commit, d, commit ? NULL : idx + a,
		                 first + a, b - a, 0 };
		/* The threads started so far use jobs[]: join them first. */
		if (pthread_create(&tid[t], NULL, job_main, &jobs[t]) != 0) {
			nt = t;
			bad = 1;
		}
	}
	for (t = 0; t < nt; t++) {
		pthread_join(tid[t], NULL);
		bad |= jobs[t].rc;
	}
	return bad ? -1 : bench_now() - t0;
}

/* ---- one round of one store --------------------------------------------- */

#define WANT(in, w) ((in)->workloads & (1u << (w)))

/* VmHWM before a scan restarted it, so that the store's peak keeps the
 * load's. */
static double rss_hwm_kept;

static int time_load(const bench_store *s, const bench_inputs *in,
                     const char *path, bench_result *r)
{
	size_t timed = 0;
	double sec;

	bench_clear_dir(in->dir, 0);
	if (s->load(path, in->d, &timed, &sec))
		return -1;
	r->ops[W_LOAD] = (double)timed / sec;
	r->mem[M_FILE] = (double)dir_bytes(in->dir);
	return 0;
}

/* The rate of one run_threads over nt threads: the random gets (commit 0)
 * or m commits of the new records from first on (commit 1). */
static int rate(double *out, const bench_store *s, void *h,
                const bench_inputs *in, int nt, int commit, size_t first)
{
	size_t m = commit ? in->nc : in->ng;
	double sec = commit
		? bench_run_threads(s, h, nt, 1, in->c, NULL, first, m)
		: bench_run_threads(s, h, nt, 0, in->d, in->gidx, 0, m);

	if (sec < 0)
		return -1;
	*out = (double)m / sec;
	return 0;
}

/* Gets from one thread, two threads, and through kv_db_get. */
static int time_gets(const bench_store *s, void *h, const bench_inputs *in,
                     bench_result *r)
{
	if (WANT(in, W_GET) && rate(&r->ops[W_GET], s, h, in, 1, 0, 0))
		return -1;
	if (WANT(in, W_GET2) && s->threads &&
	    rate(&r->ops[W_GET2], s, h, in, 2, 0, 0))
		return -1;
	if (WANT(in, W_GETAUTO) && s->get_auto) {
		double t0 = bench_now();
		if (s->get_auto(h, in->d, in->gidx, in->ng))
			return -1;
		r->ops[W_GETAUTO] = (double)in->ng / (bench_now() - t0);
	}
	bench_mem_sample();
	return 0;
}

/* A full scan, with the RSS and heap it adds. */
static int time_scan(const bench_store *s, void *h, const bench_inputs *in,
                     bench_result *r)
{
	double t0, rss0, heap0;
	size_t count = 0;

	rss_hwm_kept = status_bytes("VmHWM");
	reset_peak_rss();
	rss0 = status_bytes("VmRSS");
	bench_mem_sample();
	heap0 = heap_now();
	heap_peak = heap0;
	t0 = bench_now();
	if (s->scan(h, &count))
		return -1;
	r->ops[W_SCAN] = (double)count / (bench_now() - t0);
	bench_mem_sample();
	r->mem[M_SCAN_RSS] = status_bytes("VmHWM") - rss0;
	r->mem[M_SCAN_HEAP] = heap_peak - heap0;
	if (count != in->d->n) {
		fprintf(stderr, "kvbench: %s: scan saw %zu records of %zu\n",
		        s->name, count, in->d->n);
		return -1;
	}
	return 0;
}

/* Durable commits from one thread, then from four.  Each round commits
 * records of its own, so that every commit adds a key. */
static int time_commits(const bench_store *s, void *h, const bench_inputs *in,
                        bench_result *r)
{
	size_t first = in->nc * (size_t)in->round;
	size_t first4 = in->nc * (size_t)(in->reps + in->round);

	if (WANT(in, W_COMMIT) &&
	    rate(&r->ops[W_COMMIT], s, h, in, 1, 1, first))
		return -1;
	if (WANT(in, W_COMMIT4) && s->threads &&
	    rate(&r->ops[W_COMMIT4], s, h, in, 4, 1, first4))
		return -1;
	bench_mem_sample();
	return 0;
}

/* Record updates of keys of the round's own. */
static int time_updates(const bench_store *s, void *h, const bench_inputs *in,
                        bench_result *r)
{
	const uint32_t *idx = in->gidx + (size_t)in->round * in->nu;
	double t0;

	if (!WANT(in, W_UPDATE) || !s->update)
		return 0;
	if (s->update_prep && s->update_prep(h))
		return -1;
	t0 = bench_now();
	if (s->update(h, in->d, idx, in->nu))
		return -1;
	r->ops[W_UPDATE] = (double)in->nu / (bench_now() - t0);
	bench_mem_sample();
	return 0;
}

/* One round on one store, in this (child) process: a fresh load, then
 * one repetition of every workload. */
static int run_store(const bench_store *s, const bench_inputs *in,
                     bench_result *r)
{
	char path[4096];
	double rss0, heap0, hwm;
	void *h;
	int rc;

	if ((size_t)snprintf(path, sizeof path, "%s/%s.db", in->dir, s->name) >=
	    sizeof path)
		return -1;
	reset_peak_rss();
	rss0 = status_bytes("VmRSS");
	heap0 = heap_peak = heap_now();
	if (time_load(s, in, path, r) || s->open(&h, path))
		return -1;
	bench_mem_sample();
	rc = time_gets(s, h, in, r);
	if (rc == 0 && WANT(in, W_SCAN))
		rc = time_scan(s, h, in, r);
	if (rc == 0)
		rc = time_commits(s, h, in, r);
	if (rc == 0)
		rc = time_updates(s, h, in, r);
	s->close(h);
	hwm = status_bytes("VmHWM");
	r->mem[M_PEAK_RSS] = (hwm > rss_hwm_kept ? hwm : rss_hwm_kept) - rss0;
	r->mem[M_HEAP] = heap_peak - heap0;
	bench_clear_dir(in->dir, 0);
	return rc;
}

int bench_in_child(int (*fn)(const void *arg, bench_result *out),
                   const void *arg, bench_result *out, size_t n)
{
	size_t size = n * sizeof *out;
	int p[2], status, failed = 1;
	pid_t pid;

	memset(out, 0, size);
	fflush(NULL);
	if (pipe(p) != 0 || (pid = fork()) < 0) {
		fprintf(stderr, "kvbench: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		failed = fn(arg, out) != 0;
		if (write(p[1], out, size) != (ssize_t)size)
			_exit(1);
		_exit(failed);
	}
	close(p[1]);
	if (read(p[0], out, size) == (ssize_t)size)
		failed = 0;
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return failed || !WIFEXITED(status) || WEXITSTATUS(status) ? -1 : 0;
}

typedef struct store_round {
	const bench_store *s;
	const bench_inputs *in;
} store_round;

static int store_child(const void *arg, bench_result *out)
{
	const store_round *sr = arg;

	out->ran = 1;
	return run_store(sr->s, sr->in, out);
}

/* Run one round of the store in a child and read its figures back. */
static void run_child(const bench_store *s, const bench_inputs *in,
                      bench_result *r)
{
	store_round sr = { s, in };
	double t0 = bench_now();
	int rc = bench_in_child(store_child, &sr, r, 1);

	r->ran = 1;
	r->failed = rc != 0;
	r->seconds = bench_now() - t0;
	fprintf(stderr, "kvbench: round %d/%d: %s %s in %.1f s\n",
	        in->round + 1, in->reps, s->name,
	        r->failed ? "FAILED" : "done", r->seconds);
}

/* ---- rounds ------------------------------------------------------------- */

/* The order of the stores within a round: each libkv store right before
 * the raw store its ratios divide by, so that both halves of a ratio are
 * measured seconds apart, not minutes. */
const char *const bench_round_order[] = {
	"libkv-lmdb", "raw-lmdb", "sealed-lmdb", "libkv-sqlite", "raw-sqlite",
	"sealed-sqlite", "dbm.sqlite3", "gdbm", "libkv-postgresql"
};
const size_t bench_nround_order =
	sizeof bench_round_order / sizeof bench_round_order[0];

/* Indices into bench_stores in round order; stores the list misses go
 * last.  Returns how many. */
static size_t order_stores(size_t *out)
{
	size_t n = 0, i, j;
	int placed[BENCH_MAX_STORES] = { 0 };

	for (j = 0; j < bench_nround_order; j++) {
		int k = bench_store_index(bench_round_order[j]);
		if (k >= 0 && !placed[k])
			placed[k] = 1, out[n++] = (size_t)k;
	}
	for (i = 0; i < bench_nstores; i++)
		if (!placed[i])
			out[n++] = i;
	return n;
}

/* A store's figures from its rounds: ops/s the median over rounds, the
 * file size and scan growth of the last round, peaks the highest. */
static void combine(bench_result *r, const bench_result *round, int reps)
{
	double v[BENCH_MAX_REPS];

	memset(r, 0, sizeof *r);
	r->ran = 1;
	for (int k = 0; k < reps; k++) {
		r->failed |= round[k].failed;
		r->seconds += round[k].seconds;
		for (int m = 0; m < M_COUNT; m++)
			if (round[k].mem[m] > r->mem[m])
				r->mem[m] = round[k].mem[m];
	}
	r->mem[M_FILE] = round[reps - 1].mem[M_FILE];
	r->mem[M_SCAN_RSS] = round[reps - 1].mem[M_SCAN_RSS];
	r->mem[M_SCAN_HEAP] = round[reps - 1].mem[M_SCAN_HEAP];
	for (int w = 0; w < W_COUNT; w++) {
		for (int k = 0; k < reps; k++)
			v[k] = round[k].ops[w];
		r->ops[w] = bench_median(v, reps);
	}
}

/* Duel p of this round, when both its stores are selected and neither
 * has failed; a duel that fails leaves its figures 0. */
static void duel_round(bench_run *run, const bench_inputs *in,
                       const int *selected, size_t p)
{
	int a = bench_store_index(bench_duels[p][0]);
	int b = bench_store_index(bench_duels[p][1]);

	if (a < 0 || b < 0 || !selected[a] || !selected[b] ||
	    run->rounds[a][in->round].failed || run->rounds[b][in->round].failed)
		return;
	bench_run_duel(&bench_stores[a], &bench_stores[b], in,
	               run->duels[p][in->round]);
}

/* Rounds outer, stores inner: that is what interleaves them.  Each round
 * ends with the duels of its pairs. */
int bench_run_rounds(bench_run *run, bench_inputs *in, const int *selected)
{
	size_t order[BENCH_MAX_STORES];
	size_t n = order_stores(order);
	int failed = 0;

	for (in->round = 0; in->round < in->reps; in->round++) {
		for (size_t i = 0; i < n; i++) {
			size_t s = order[i];
			bench_result *r = &run->rounds[s][in->round];
			if (!selected[s])
				continue;
			/* A store that failed once is not run again. */
			if (in->round && r[-1].failed) {
				*r = r[-1];
				continue;
			}
			run_child(&bench_stores[s], in, r);
		}
		for (size_t p = 0; p < BENCH_NDUELS; p++)
			duel_round(run, in, selected, p);
	}
	for (size_t s = 0; s < bench_nstores; s++)
		if (selected[s]) {
			combine(&run->res[s], run->rounds[s], in->reps);
			failed |= run->res[s].failed;
		}
	return failed;
}
