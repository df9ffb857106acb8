/*
 * bench/kvbench.c - libkv against the raw backends and the stores users
 * would pick instead, in one process run.
 *
 * Usage: kvbench [-n N] [-c COMMITS] [-r REPS] [-s SEED] [-d DIR]
 *
 * Makes N records shaped like ML metadata (keys such as
 * runs/000123/metrics/loss/step/000456, values ~150-byte JSON records of
 * 10 fields), deterministic for a seed, and for every store of stores.c
 * times: bulk load (fresh store each repetition), N/2 random point gets,
 * a full scan with values, and COMMITS single-put durable commits.  Each
 * figure is the median of REPS repetitions, in ops/s.  Prints a table,
 * the ratios libkv/alternative, and the same data as "TSV\t" lines.  The
 * stores live in a temporary folder that is removed at the end.
 */
#include "kvbench.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { W_LOAD, W_GET, W_GETAUTO, W_SCAN, W_COMMIT, W_COUNT };
static const char *const wnames[W_COUNT] = {
	"bulk_load", "random_get", "random_get_autocommit", "full_scan",
	"durable_commit"
};
#define MAX_REPS 15

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64 */
static uint64_t rng_state;
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static double rng_unit(void) { return (double)(rng() >> 11) * 0x1.0p-53; }

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "kvbench: out of memory\n");
		exit(1);
	}
	return p;
}

/* Record i: metric i % 8 of step (i / 8) % 1000 of run i / 8000, in the
 * order a training program logs them. */
static void make_data(bench_data *d, size_t n, unsigned run_base)
{
	static const char *const metrics[8] = {
		"loss", "acc", "lr", "grad_norm", "val_loss", "val_acc",
		"tokens_per_s", "epoch"
	};
	size_t kcap = n * 48, vcap = n * 224, ko = 0, vo = 0;

	d->n = n;
	d->keys = xmalloc(kcap);
	d->vals = xmalloc(vcap);
	d->koff = xmalloc(n * sizeof *d->koff);
	d->voff = xmalloc(n * sizeof *d->voff);
	d->klen = xmalloc(n * sizeof *d->klen);
	d->vlen = xmalloc(n * sizeof *d->vlen);
	for (size_t i = 0; i < n; i++) {
		unsigned run = run_base + (unsigned)(i / 8000), step = (unsigned)(i / 8 % 1000);
		const char *metric = metrics[i % 8];
		int kl = snprintf(d->keys + ko, kcap - ko,
		                  "runs/%06u/metrics/%s/step/%06u", run, metric,
		                  step);
		int vl = snprintf(d->vals + vo, vcap - vo,
		                  "{\"run\":%u,\"metric\":\"%s\",\"step\":%u,"
		                  "\"value\":%.9f,\"wall_time\":%.3f,\"epoch\":%u,"
		                  "\"lr\":%.6g,\"batch_size\":%u,\"host\":\"node%02u\","
		                  "\"finite\":true}",
		                  run, metric, step, rng_unit() * 4.0,
		                  1.7e9 + (double)i * 0.25 + rng_unit(), step / 100,
		                  3e-4 * (1.0 - step / 1000.0), 64u << (rng() % 4),
		                  (unsigned)(rng() % 32));
		d->koff[i] = ko;
		d->voff[i] = vo;
		d->klen[i] = (uint16_t)kl;
		d->vlen[i] = (uint16_t)vl;
		ko += (size_t)kl;
		vo += (size_t)vl;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Removes every file of the (flat) folder dir, and dir itself if rmdir_too. */
static void clear_dir(const char *dir, int rmdir_too)
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

static void machine_info(void)
{
	char line[512], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f) {
		while (fgets(line, sizeof line, f)) {
			char *c = strchr(line, ':');
			if (!strncmp(line, "model name", 10) && c) {
				snprintf(model, sizeof model, "%s", c + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	printf("machine: nproc %ld, CPU %s\n", sysconf(_SC_NPROCESSORS_ONLN),
	       model);
	bench_versions();
}

typedef int (*read_fn)(void *, const bench_data *, const uint32_t *, size_t);

static int run_store(const bench_store *s, const char *dir,
                     const bench_data *d, const uint32_t *gidx, size_t ng,
                     const bench_data *c, size_t nc, int reps,
                     double res[W_COUNT], unsigned long long *bytes)
{
	char path[4096];
	double t[MAX_REPS], t0;
	void *h;
	size_t timed = 0, count = 0;

	if ((size_t)snprintf(path, sizeof path, "%s/%s.db", dir, s->name) >=
	    sizeof path)
		return -1;
	for (int r = 0; r < reps; r++) {
		double sec;
		clear_dir(dir, 0);
		if (s->load(path, d, &timed, &sec))
			return -1;
		t[r] = (double)timed / sec;
	}
	res[W_LOAD] = median(t, reps);
	*bytes = dir_bytes(dir);
	if (s->open(&h, path))
		return -1;
	for (int w = W_GET; w <= W_GETAUTO; w++) {
		read_fn fn = w == W_GET ? s->get : s->get_auto;
		if (!fn)
			continue;
		for (int r = 0; r < reps; r++) {
			t0 = bench_now();
			if (fn(h, d, gidx, ng))
				goto fail;
			t[r] = (double)ng / (bench_now() - t0);
		}
		res[w] = median(t, reps);
	}
	for (int r = 0; r < reps; r++) {
		t0 = bench_now();
		if (s->scan(h, &count))
			goto fail;
		t[r] = (double)count / (bench_now() - t0);
		if (count != d->n) {
			fprintf(stderr, "kvbench: %s: scan saw %zu records of %zu\n",
			        s->name, count, d->n);
			goto fail;
		}
	}
	res[W_SCAN] = median(t, reps);
	for (int r = 0; r < reps; r++) {
		t0 = bench_now();
		if (s->commits(h, c, (size_t)r * nc, nc))
			goto fail;
		t[r] = (double)nc / (bench_now() - t0);
	}
	res[W_COMMIT] = median(t, reps);
	s->close(h);
	clear_dir(dir, 0);
	return 0;
fail:
	s->close(h);
	return -1;
}

static int store_index(const char *name)
{
	for (size_t i = 0; i < bench_nstores; i++)
		if (!strcmp(bench_stores[i].name, name))
			return (int)i;
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: kvbench [-n N] [-c COMMITS] [-r REPS] "
	                "[-s SEED] [-d DIR]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *const ratios[][2] = {
		{ "libkv-lmdb", "raw-lmdb" }, { "libkv-sqlite", "raw-sqlite" },
		{ "libkv-lmdb", "gdbm" }, { "libkv-sqlite", "dbm.sqlite3" },
	};
	size_t n = 1000000, nc = 2000;
	int reps = 3, opt, failed = 0;
	unsigned long long seed = 42;
	const char *base = getenv("TMPDIR");
	char dir[4096];
	double (*res)[W_COUNT];
	unsigned long long *bytes;
	bench_data d, c;
	uint32_t *gidx;
	size_t ng;
	double t0 = bench_now();

	while ((opt = getopt(argc, argv, "n:c:r:s:d:")) != -1) {
		switch (opt) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'c': nc = strtoull(optarg, NULL, 10); break;
		case 'r': reps = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'd': base = optarg; break;
		default: usage();
		}
	}
	if (n < 2 || n > 0xffffffffu || nc < 1 || reps < 1 || reps > MAX_REPS)
		usage();
	snprintf(dir, sizeof dir, "%s/kvbench.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "kvbench: mkdtemp %s: %s\n", dir, strerror(errno));
		return 1;
	}

	rng_state = seed;
	make_data(&d, n, 0);
	make_data(&c, nc * (size_t)reps, 900000); /* new keys to commit */
	ng = n / 2;
	gidx = xmalloc(ng * sizeof *gidx);
	for (size_t i = 0; i < ng; i++)
		gidx[i] = (uint32_t)(rng() % n);
	{
		size_t kl = 0, vl = 0;
		for (size_t i = 0; i < n; i++)
			kl += d.klen[i], vl += d.vlen[i];
		machine_info();
		printf("data: N=%zu records, mean key %.1f B, mean value %.1f B, "
		       "seed %llu; %zu random gets, %zu durable commits of new keys, "
		       "median of %d\n", n, (double)kl / n, (double)vl / n, seed,
		       ng, nc, reps);
		printf("example: %.*s = %.*s\n\n", d.klen[12345 % n],
		       BKEY(&d, 12345 % n), d.vlen[12345 % n], BVAL(&d, 12345 % n));
	}

	res = calloc(bench_nstores, sizeof *res);
	bytes = calloc(bench_nstores, sizeof *bytes);
	if (!res || !bytes)
		return 1;
	for (size_t s = 0; s < bench_nstores; s++) {
		double st = bench_now();
		if (run_store(&bench_stores[s], dir, &d, gidx, ng, &c, nc, reps,
		              res[s], &bytes[s])) {
			fprintf(stderr, "kvbench: %s failed\n", bench_stores[s].name);
			failed = 1;
		}
		fprintf(stderr, "kvbench: %s done in %.1f s\n",
		        bench_stores[s].name, bench_now() - st);
	}
	clear_dir(dir, 1);

	printf("%-26s %12s %12s %12s %12s %10s\n", "ops/s", "bulk load",
	       "random get", "full scan", "dur. commit", "file MiB");
	for (size_t s = 0; s < bench_nstores; s++) {
		printf("%-26s", bench_stores[s].name);
		for (int w = 0; w < W_COUNT; w++)
			if (w != W_GETAUTO)
				printf(" %12.0f", res[s][w]);
		printf(" %10.1f\n", bytes[s] / 1048576.0);
	}
	for (size_t s = 0; s < bench_nstores; s++)
		if (bench_stores[s].get_auto) {
			char label[64];
			snprintf(label, sizeof label, "%s kv_db_get", bench_stores[s].name);
			printf("%-26s %12s %12.0f\n", label, "-", res[s][W_GETAUTO]);
		}
	for (size_t s = 0; s < bench_nstores; s++)
		if (bench_stores[s].note)
			printf("  %s\n", bench_stores[s].note);

	printf("\nratios %-19s %12s %12s %12s %12s\n", "", "bulk load",
	       "random get", "full scan", "dur. commit");
	for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++) {
		int a = store_index(ratios[r][0]), b = store_index(ratios[r][1]);
		char label[64];
		snprintf(label, sizeof label, "%s/%s", ratios[r][0], ratios[r][1]);
		printf("%-26s", label);
		for (int w = 0; w < W_COUNT; w++)
			if (w != W_GETAUTO)
				printf(" %11.2fx", res[b][w] > 0 ? res[a][w] / res[b][w] : 0);
		printf("\n");
	}

	printf("\nTSV\tkind\tname\tworkload\tvalue\n");
	for (size_t s = 0; s < bench_nstores; s++) {
		for (int w = 0; w < W_COUNT; w++)
			if (res[s][w] > 0)
				printf("TSV\tops_per_s\t%s\t%s\t%.0f\n",
				       bench_stores[s].name, wnames[w], res[s][w]);
		printf("TSV\tfile_bytes\t%s\tafter_load\t%llu\n",
		       bench_stores[s].name, bytes[s]);
	}
	for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++) {
		int a = store_index(ratios[r][0]), b = store_index(ratios[r][1]);
		for (int w = 0; w < W_COUNT; w++)
			if (w != W_GETAUTO && res[b][w] > 0)
				printf("TSV\tratio\t%s/%s\t%s\t%.3f\n", ratios[r][0],
				       ratios[r][1], wnames[w], res[a][w] / res[b][w]);
	}
	printf("\ntotal %.1f s\n", bench_now() - t0);
	return failed;
}
