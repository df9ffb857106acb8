/*
 * bench/kvbench.c - libkv against the raw backends and the stores users
 * would pick instead, in one run.
 *
 * Usage: kvbench [-n N] [-c COMMITS] [-u UPDATES] [-r REPS] [-s SEED]
 *                [-d DIR] [-o STORE,...] [-w WORKLOAD,...]
 *
 * Makes N records shaped like ML metadata (keys such as
 * runs/000123/metrics/loss/step/000456, values ~150-byte JSON records of
 * 10 fields), deterministic for a seed, and for every store of stores.c
 * (or those -o names) times the workloads (all, or those -w names):
 * bulk load (fresh store each repetition), N/2 random point gets from one
 * thread and from two, a full scan with values, COMMITS single-put
 * durable commits from one thread and from four, and UPDATES record
 * partial updates.  Each figure is the median of REPS repetitions, in
 * ops/s.  Each store runs in a child process of its own, so that its peak
 * RSS and heap are its own.  report.c prints the tables, the ratios
 * libkv/alternative, the targets of issue 8, and "TSV\t" lines.  The
 * stores live in a temporary folder that is removed at the end.
 */
#include "kvbench.h"

#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
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

/* Run gets of idx[0..m) (commit 0) or commits of c's [first, first + m)
 * (commit 1) split over nt threads; seconds of wall time, or -1. */
static double run_threads(const bench_store *s, void *h, int nt,
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

/* ---- one store ---------------------------------------------------------- */

typedef struct inputs {
	const char *dir;
	const bench_data *d, *c;  /* c: new records for the commits */
	const uint32_t *gidx;     /* random gets, also the updates' keys */
	size_t ng, nc, nu;
	int reps;
	unsigned workloads;
} inputs;

#define WANT(in, w) ((in)->workloads & (1u << (w)))

static int time_loads(const bench_store *s, const inputs *in,
                      const char *path, bench_result *r)
{
	double t[MAX_REPS];
	size_t timed = 0;

	for (int k = 0; k < in->reps; k++) {
		double sec;
		clear_dir(in->dir, 0);
		if (s->load(path, in->d, &timed, &sec))
			return -1;
		t[k] = (double)timed / sec;
	}
	r->ops[W_LOAD] = median(t, in->reps);
	r->mem[M_FILE] = (double)dir_bytes(in->dir);
	return 0;
}

/* The median rate of in->reps runs of run_threads over nt threads: the
 * random gets (commit 0), or commits whose repetition k commits records
 * base + k * in->nc on (commit 1).  -1 when a run fails. */
static int median_rate(double *out, const bench_store *s, void *h,
                       const inputs *in, int nt, int commit, size_t base)
{
	double t[MAX_REPS], sec;
	size_t m = commit ? in->nc : in->ng;

	for (int k = 0; k < in->reps; k++) {
		sec = commit ? run_threads(s, h, nt, 1, in->c, NULL,
		                           base + (size_t)k * in->nc, m)
		             : run_threads(s, h, nt, 0, in->d, in->gidx, 0, m);
		if (sec < 0)
			return -1;
		t[k] = (double)m / sec;
	}
	*out = median(t, in->reps);
	return 0;
}

/* Gets from one thread, two threads, and through kv_db_get. */
static int time_gets(const bench_store *s, void *h, const inputs *in,
                     bench_result *r)
{
	double t[MAX_REPS];

	if (WANT(in, W_GET) &&
	    median_rate(&r->ops[W_GET], s, h, in, 1, 0, 0))
		return -1;
	if (WANT(in, W_GET2) && s->threads &&
	    median_rate(&r->ops[W_GET2], s, h, in, 2, 0, 0))
		return -1;
	if (WANT(in, W_GETAUTO) && s->get_auto) {
		for (int k = 0; k < in->reps; k++) {
			double t0 = bench_now();
			if (s->get_auto(h, in->d, in->gidx, in->ng))
				return -1;
			t[k] = (double)in->ng / (bench_now() - t0);
		}
		r->ops[W_GETAUTO] = median(t, in->reps);
	}
	bench_mem_sample();
	return 0;
}

/* Full scans; the RSS and heap growth of the first one. */
static int time_scans(const bench_store *s, void *h, const inputs *in,
                      bench_result *r)
{
	double t[MAX_REPS], rss0 = 0, heap0 = 0;
	size_t count = 0;

	for (int k = 0; k < in->reps; k++) {
		double t0;
		if (k == 0) {
			reset_peak_rss();
			rss0 = status_bytes("VmRSS");
			bench_mem_sample();
			heap0 = heap_now();
			heap_peak = heap0;
		}
		t0 = bench_now();
		if (s->scan(h, &count))
			return -1;
		t[k] = (double)count / (bench_now() - t0);
		if (k == 0) {
			bench_mem_sample();
			r->mem[M_SCAN_RSS] = status_bytes("VmHWM") - rss0;
			r->mem[M_SCAN_HEAP] = heap_peak - heap0;
		}
		if (count != in->d->n) {
			fprintf(stderr, "kvbench: %s: scan saw %zu records of %zu\n",
			        s->name, count, in->d->n);
			return -1;
		}
	}
	r->ops[W_SCAN] = median(t, in->reps);
	return 0;
}

/* Durable commits from one thread, then from four; repetition k of each
 * commits records of its own. */
static int time_commits(const bench_store *s, void *h, const inputs *in,
                        bench_result *r)
{
	size_t base4 = in->nc * (size_t)in->reps;

	if (WANT(in, W_COMMIT) &&
	    median_rate(&r->ops[W_COMMIT], s, h, in, 1, 1, 0))
		return -1;
	if (WANT(in, W_COMMIT4) && s->threads &&
	    median_rate(&r->ops[W_COMMIT4], s, h, in, 4, 1, base4))
		return -1;
	bench_mem_sample();
	return 0;
}

static int time_updates(const bench_store *s, void *h, const inputs *in,
                        bench_result *r)
{
	double t[MAX_REPS];

	if (!WANT(in, W_UPDATE) || !s->update)
		return 0;
	if (s->update_prep && s->update_prep(h))
		return -1;
	for (int k = 0; k < in->reps; k++) {
		double t0 = bench_now();
		if (s->update(h, in->d, in->gidx + (size_t)k * in->nu, in->nu))
			return -1;
		t[k] = (double)in->nu / (bench_now() - t0);
	}
	r->ops[W_UPDATE] = median(t, in->reps);
	bench_mem_sample();
	return 0;
}

/* Every workload on one store, in this (child) process. */
static int run_store(const bench_store *s, const inputs *in,
                     bench_result *r)
{
	char path[4096];
	double rss0, heap0;
	void *h;
	int rc;

	if ((size_t)snprintf(path, sizeof path, "%s/%s.db", in->dir, s->name) >=
	    sizeof path)
		return -1;
	reset_peak_rss();
	rss0 = status_bytes("VmRSS");
	heap0 = heap_peak = heap_now();
	if (time_loads(s, in, path, r) || s->open(&h, path))
		return -1;
	bench_mem_sample();
	rc = time_gets(s, h, in, r);
	if (rc == 0 && WANT(in, W_SCAN))
		rc = time_scans(s, h, in, r);
	if (rc == 0)
		rc = time_commits(s, h, in, r);
	if (rc == 0)
		rc = time_updates(s, h, in, r);
	s->close(h);
	r->mem[M_PEAK_RSS] = status_bytes("VmHWM") - rss0;
	r->mem[M_HEAP] = heap_peak - heap0;
	clear_dir(in->dir, 0);
	return rc;
}

/* Run the store in a child and read its results back through a pipe. */
static void run_child(const bench_store *s, const inputs *in,
                      bench_result *r)
{
	int p[2], status;
	pid_t pid;
	double t0 = bench_now();

	memset(r, 0, sizeof *r);
	r->ran = 1;
	r->failed = 1;
	fflush(NULL);
	if (pipe(p) != 0 || (pid = fork()) < 0) {
		fprintf(stderr, "kvbench: %s: %s\n", s->name, strerror(errno));
		return;
	}
	if (pid == 0) {
		bench_result mine;
		close(p[0]);
		memset(&mine, 0, sizeof mine);
		mine.ran = 1;
		mine.failed = run_store(s, in, &mine) != 0;
		if (write(p[1], &mine, sizeof mine) != (ssize_t)sizeof mine)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], r, sizeof *r) != (ssize_t)sizeof *r) {
		memset(r, 0, sizeof *r);
		r->ran = r->failed = 1;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->seconds = bench_now() - t0;
	fprintf(stderr, "kvbench: %s %s in %.1f s\n", s->name,
	        r->failed ? "FAILED" : "done", r->seconds);
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

static void usage(void)
{
	fprintf(stderr, "usage: kvbench [-n N] [-c COMMITS] [-u UPDATES] "
	                "[-r REPS] [-s SEED] [-d DIR] [-o STORE,...] "
	                "[-w WORKLOAD,...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static bench_run run;
	size_t n = 1000000, nc = 2000, nu = 0;
	int reps = 3, opt, failed = 0;
	unsigned long long seed = 42;
	const char *base = getenv("TMPDIR"), *stores = NULL, *works = NULL;
	char dir[4096];
	bench_data d, c;
	uint32_t *gidx;
	inputs in;
	double t0 = bench_now();

	while ((opt = getopt(argc, argv, "n:c:u:r:s:d:o:w:")) != -1) {
		switch (opt) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'c': nc = strtoull(optarg, NULL, 10); break;
		case 'u': nu = strtoull(optarg, NULL, 10); break;
		case 'r': reps = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'd': base = optarg; break;
		case 'o': stores = optarg; break;
		case 'w': works = optarg; break;
		default: usage();
		}
	}
	if (n < 2 || n > 0xffffffffu || nc < 4 || reps < 1 || reps > MAX_REPS ||
	    bench_nstores > sizeof run.res / sizeof run.res[0])
		usage();
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
	for (size_t s = 0; s < bench_nstores; s++) {
		if (!listed(stores, bench_stores[s].name))
			continue;
		if (!strcmp(bench_stores[s].name, "libkv-postgresql") &&
		    !getenv("KV_BENCH_POSTGRES")) {
			printf("libkv-postgresql: skipped: KV_BENCH_POSTGRES "
			       "names no server (make bench starts one)\n");
			continue;
		}
		run_child(&bench_stores[s], &in, &run.res[s]);
		failed |= run.res[s].failed;
	}
	clear_dir(dir, 1);
	bench_report(&run);
	printf("\ntotal %.1f s; at the end %s\n", bench_now() - t0,
	       load_average());
	return failed;
}
