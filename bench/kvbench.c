/*
 * bench/kvbench.c - libkv against the raw backends and the stores users
 * would pick instead, in one run.
 *
 * Usage: kvbench [-n N] [-c COMMITS] [-u UPDATES] [-r REPS] [-s SEED]
 *                [-d DIR] [-o STORE,...] [-w WORKLOAD,...] [-h]
 *
 * Makes N records shaped like ML metadata (keys such as
 * runs/000123/metrics/loss/step/000456, values ~150-byte JSON records of
 * 10 fields), deterministic for a seed, and for every store of stores.c
 * (or those -o names) times the workloads (all, or those -w names):
 * bulk load into a fresh store, N/2 random point gets from one thread and
 * from two, a full scan with values, COMMITS single-put durable commits
 * from one thread and from four, and UPDATES record partial updates.
 *
 * The run makes REPS rounds.  A round runs every store once, each in a
 * child process of its own (so that its peak RSS and heap are its own)
 * that loads the store and runs one repetition of every workload; each
 * libkv store runs right before the raw store it is compared with.  Then
 * each libkv store, and each sealed store (a raw backend doing only what
 * libkv's format asks), duels its raw backend (duel.c): one child runs
 * both, alternating them block by block, so that the machine's drift weighs on
 * both halves of their ratios alike.  Each figure is the median over the
 * rounds, in ops/s.  report.c prints the tables, the ratios
 * libkv/alternative (of the medians, and the median of the per-round
 * ratios, the duel's where there is one, which decides a target), the
 * targets of issue 8, and "TSV\t" lines.  The stores live in a temporary
 * folder removed at the end.
 */
#include "kvbench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

const char *const bench_wnames[W_COUNT] = {
	"bulk_load", "random_get", "random_get_2threads",
	"random_get_autocommit", "full_scan", "durable_commit",
	"durable_commit_4threads", "record_update"
};
const char *const bench_mnames[M_COUNT] = {
	"file_bytes", "peak_rss_bytes", "scan_rss_growth_bytes",
	"scan_heap_growth_bytes", "peak_heap_bytes"
};

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

static void free_data(bench_data *d)
{
	free(d->keys);
	free(d->vals);
	free(d->koff);
	free(d->voff);
	free(d->klen);
	free(d->vlen);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The file system type of dir, for the machine line. */
static const char *fs_name(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf) != 0)
		return "file system unknown";
	switch ((unsigned long)sf.f_type) {
	case 0xEF53: return "ext4";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x01021994: return "tmpfs";
	case 0x794c7630: return "overlayfs";
	default: return "other file system";
	}
}

/* "load average a b c" from /proc/loadavg: other work on the machine. */
static const char *load_average(void)
{
	static char buf[96];
	double a = 0, b = 0, c = 0;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
			a = b = c = 0;
		fclose(f);
	}
	snprintf(buf, sizeof buf, "load average %.2f %.2f %.2f", a, b, c);
	return buf;
}

static void machine_info(const char *dir)
{
	struct utsname u;
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
	printf("machine: nproc %ld, CPU %s, RAM %.1f GiB, Linux %s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), model,
	       (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) /
	               1073741824.0, uname(&u) == 0 ? u.release : "?");
	printf("stores in %s (%s); %s\n", dir, fs_name(dir), load_average());
	bench_versions();
}


/* Is name in the comma-separated list (NULL: everything is)? */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, name, n))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return list == NULL;
}

#define STR_(x) #x
#define STR(x) STR_(x)

static const char help_text[] =
	"Times libkv against raw LMDB, raw SQLite, SQLite as Python's "
	"dbm.sqlite3\nuses it and GDBM (and libkv on PostgreSQL, with "
	"$KV_BENCH_POSTGRES) on N\nrecords shaped like ML metadata; prints "
	"ops/s, memory, the ratios\nlibkv/alternative, the targets of issue 8, "
	"then the figures as TSV lines.\nsealed-lmdb and sealed-sqlite are the "
	"raw backends doing only what libkv's\nformat asks (a seal per record, "
	"checked on every read; a digest per\ncommit): sealed/raw is what the "
	"format costs, libkv/sealed what libkv's\ncode adds.\n\n"
	"The run makes REPS rounds.  A round runs every store once, each in a "
	"child\nprocess that loads a fresh store and runs one repetition of "
	"every workload;\nthen a duel for each libkv or sealed store and its raw "
	"backend: one child\nloads both (A B B A) and runs every other workload "
	"on both in alternate\nblocks.  A figure is the median over the rounds; "
	"a target is met when the\nmedian of its per-round ratios (the duel's, "
	"where the stores had one)\nmeets it.\n\n"
	"  -n N             records (default 1000000)\n"
	"  -r REPS          rounds (default 3, at most " STR(BENCH_MAX_REPS) ")\n"
	"  -c COMMITS       durable commits per round, from one thread and from "
	"four\n                   (default 2000)\n"
	"  -u UPDATES       record updates per round, at most N/2/REPS\n"
	"                   (default min(N/2/REPS, 50000))\n"
	"  -s SEED          seed of the data set (default 42)\n"
	"  -d DIR           where the stores' temporary folder goes\n"
	"                   (default $TMPDIR, else /tmp)\n"
	"  -o STORE,...     only these stores\n"
	"  -w WORKLOAD,...  only these workloads (a bulk load always runs)\n"
	"  -h               this help\n";

/* The usage line (to stderr, exit 2), or with help the method and the
 * options too (to stdout, exit 0). */
static void usage(int help)
{
	FILE *f = help ? stdout : stderr;

	fprintf(f, "usage: kvbench [-n N] [-c COMMITS] [-u UPDATES] [-r REPS] "
	           "[-s SEED] [-d DIR]\n               [-o STORE,...] "
	           "[-w WORKLOAD,...] [-h]\n");
	if (!help)
		exit(2);
	fputs(help_text, f);
	fputs("stores, in round order:", f);
	for (size_t i = 0; i < bench_nround_order; i++)
		fprintf(f, " %s", bench_round_order[i]);
	fputs("\nworkloads:", f);
	for (int w = 0; w < W_COUNT; w++)
		fprintf(f, "%s %s", w == 4 ? "\n          " : "", bench_wnames[w]);
	fputs("\n", f);
	exit(0);
}

/* Marks the stores -o lists (all without -o); PostgreSQL only with a
 * server to use. */
static void select_stores(int *selected, const char *stores)
{
	for (size_t s = 0; s < bench_nstores; s++) {
		selected[s] = listed(stores, bench_stores[s].name);
		if (selected[s] && !strcmp(bench_stores[s].name, "libkv-postgresql") &&
		    !getenv("KV_BENCH_POSTGRES")) {
			printf("libkv-postgresql: skipped: KV_BENCH_POSTGRES "
			       "names no server (make bench starts one)\n");
			selected[s] = 0;
		}
	}
}

int main(int argc, char **argv)
{
	static bench_run run;
	size_t n = 1000000, nc = 2000, nu = 0;
	int reps = 3, opt, failed, selected[BENCH_MAX_STORES];
	unsigned long long seed = 42;
	const char *base = getenv("TMPDIR"), *stores = NULL, *works = NULL;
	char dir[4096];
	bench_data d, c;
	uint32_t *gidx;
	bench_inputs in;
	double t0 = bench_now();

	while ((opt = getopt(argc, argv, "n:c:u:r:s:d:o:w:h")) != -1) {
		switch (opt) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'c': nc = strtoull(optarg, NULL, 10); break;
		case 'u': nu = strtoull(optarg, NULL, 10); break;
		case 'r': reps = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'd': base = optarg; break;
		case 'o': stores = optarg; break;
		case 'w': works = optarg; break;
		case 'h': usage(1); break;
		default: usage(0);
		}
	}
	if (n < 2 || n > 0xffffffffu || nc < 4 || reps < 1 || reps > BENCH_MAX_REPS ||
	    bench_nstores > BENCH_MAX_STORES)
		usage(0);
	snprintf(dir, sizeof dir, "%s/kvbench.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "kvbench: mkdtemp %s: %s\n", dir, strerror(errno));
		return 1;
	}

	rng_state = seed;
	make_data(&d, n, 0);
	make_data(&c, 2 * nc * (size_t)reps, 900000); /* new keys to commit */
	in.ng = n / 2;
	if (nu == 0 || nu * (size_t)reps > in.ng)
		nu = in.ng / (size_t)reps < 50000 ? in.ng / (size_t)reps : 50000;
	gidx = xmalloc(in.ng * sizeof *gidx);
	for (size_t i = 0; i < in.ng; i++)
		gidx[i] = (uint32_t)(rng() % n);
	in.dir = dir;
	in.d = &d;
	in.c = &c;
	in.gidx = gidx;
	in.nc = nc;
	in.nu = nu;
	in.reps = reps;
	in.workloads = 0;
	for (int w = 0; w < W_COUNT; w++)
		if (listed(works, bench_wnames[w]))
			in.workloads |= 1u << w;
	in.workloads |= 1u << W_LOAD; /* every other workload needs the store */

	run.n = n;
	run.ngets = in.ng;
	run.ncommits = nc;
	run.nupdates = nu;
	run.reps = reps;
	run.seed = seed;
	run.workloads = in.workloads;
	{
		size_t kl = 0, vl = 0, ex = 12345 % n;
		for (size_t i = 0; i < n; i++)
			kl += d.klen[i], vl += d.vlen[i];
		run.mean_key = (double)kl / (double)n;
		run.mean_val = (double)vl / (double)n;
		run.example_key = BKEY(&d, ex);
		run.example_klen = d.klen[ex];
		run.example_val = BVAL(&d, ex);
		run.example_vlen = d.vlen[ex];
	}
	machine_info(dir);
	select_stores(selected, stores);
	failed = bench_run_rounds(&run, &in, selected);
	bench_clear_dir(dir, 1);
	bench_report(&run);
	printf("\ntotal %.1f s; at the end %s\n", bench_now() - t0,
	       load_average());
	free_data(&d);
	free_data(&c);
	free(gidx);
	return failed;
}
