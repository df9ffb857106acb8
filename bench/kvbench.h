/*
 * bench/kvbench.h - shared declarations of the libkv benchmark.
 *
 * kvbench.c makes the data set, rounds.c runs the stores in rounds (each
 * store once a round, in a child process of its own), and report.c prints
 * the report; stores.c and stores_lmdb.c drive each store (libkv on LMDB
 * and SQLite, raw LMDB, raw SQLite, each raw backend doing only what
 * libkv's format asks, SQLite as Python's dbm.sqlite3 uses it, GDBM)
 * through one table of functions.  A function returns 0 on
 * success and -1 (after printing why) on failure.
 */
#ifndef KVBENCH_H
#define KVBENCH_H

#include <stddef.h>
#include <stdint.h>

/* The data set: record i has key keys + koff[i] (klen[i] bytes) and value
 * vals + voff[i] (vlen[i] bytes), in the order a training program logs
 * them (run, step, metric), which is not key order. */
typedef struct bench_data {
	size_t n;
	char *keys, *vals;
	size_t *koff, *voff;
	uint16_t *klen, *vlen;
} bench_data;

#define BKEY(d, i) ((d)->keys + (d)->koff[i])
#define BVAL(d, i) ((d)->vals + (d)->voff[i])
#define BENCH_KEY_MAX 47
#define BENCH_VAL_MAX 255

/* Records per write transaction of a bulk load on LMDB and PostgreSQL
 * (bounds LMDB's dirty pages; SQLite stores load in one transaction, as
 * SQLite spills to its log), and gets (or record updates) per
 * transaction. */
#define BENCH_LOAD_CHUNK 100000
#define BENCH_GETS_PER_TXN 1000
/* dbm.sqlite3-style bulk loads are timed on at most this many puts. */
#define BENCH_DBM_LOAD_CAP 20000
/* Thread slots a store may be used from at once. */
#define BENCH_MAX_THREADS 4
/* Rounds a run may make, stores the table may hold. */
#define BENCH_MAX_REPS 15
#define BENCH_MAX_STORES 16
/* Scans sample the heap every this many records. */
#define BENCH_SAMPLE_EVERY 65536

typedef struct bench_store {
	const char *name;
	/* Create a fresh store at path, load records [0, d->n), close it.
	 * Sets *timed to the number of puts the elapsed time covers (all of
	 * them unless the store caps its timed part). */
	int (*load)(const char *path, const bench_data *d, size_t *timed,
	            double *seconds);
	int (*open)(void **h, const char *path);
	/* Get the records idx[0..m) in read transactions of
	 * BENCH_GETS_PER_TXN gets (or however the store reads).  slot is the
	 * calling thread's, 0 .. BENCH_MAX_THREADS-1. */
	int (*get)(void *h, int slot, const bench_data *d, const uint32_t *idx,
	           size_t m);
	/* kv_db_get per key (libkv only; NULL elsewhere). */
	int (*get_auto)(void *h, const bench_data *d, const uint32_t *idx,
	                size_t m);
	/* Visit every record with its value; *count gets the number seen. */
	int (*scan)(void *h, size_t *count);
	/* Puts of the new records [first, first + m) of c, each its own
	 * durable commit, from thread slot slot. */
	int (*commits)(void *h, int slot, const bench_data *c, size_t first,
	               size_t m);
	/* Record partial update: untimed preparation (may be NULL), then set
	 * field "value" of the records idx[0..m), in write transactions of
	 * BENCH_GETS_PER_TXN updates.  update NULL: not measured. */
	int (*update_prep)(void *h);
	int (*update)(void *h, const bench_data *d, const uint32_t *idx,
	              size_t m);
	void (*close)(void *h);
	int threads;      /* get and commits may run from several threads */
	const char *note; /* printed under the table, or NULL */
} bench_store;

extern const bench_store bench_stores[];
extern const size_t bench_nstores;
/* The index in bench_stores of the store called name, or -1. */
int bench_store_index(const char *name);
extern volatile unsigned bench_sink; /* keeps reads from being dropped */
/* Touch every cache line of what a get or scan returned, as a program
 * using the record must: a zero-copy store (LMDB) otherwise never reads a
 * value it hands out, and would be timed doing less than the others. */
void bench_use(const void *p, size_t n);

double bench_now(void);
/* The median of v[0..n), which it sorts. */
double bench_median(double *v, int n);
void bench_versions(void);
/* Note the heap in use now towards the store's peak (rounds.c). */
void bench_mem_sample(void);

/* stores_lmdb.c */
int bench_libkv_lmdb_load(const char *path, const bench_data *d,
                          size_t *timed, double *seconds);
int bench_libkv_sqlite_load(const char *path, const bench_data *d,
                            size_t *timed, double *seconds);
int bench_libkv_lmdb_open(void **h, const char *path);
int bench_libkv_sqlite_open(void **h, const char *path);
/* libkv on PostgreSQL: the server $KV_BENCH_POSTGRES names (the store is
 * skipped without it), table kvbench. */
int bench_libkv_pg_load(const char *path, const bench_data *d,
                        size_t *timed, double *seconds);
int bench_libkv_pg_open(void **h, const char *path);
int bench_libkv_get(void *h, int slot, const bench_data *d,
                    const uint32_t *idx, size_t m);
int bench_libkv_get_auto(void *h, const bench_data *d, const uint32_t *idx,
                         size_t m);
int bench_libkv_scan(void *h, size_t *count);
int bench_libkv_commits(void *h, int slot, const bench_data *d,
                        size_t first, size_t m);
int bench_libkv_update_prep(void *h);
int bench_libkv_update(void *h, const bench_data *d, const uint32_t *idx,
                       size_t m);
void bench_libkv_close(void *h);
int bench_rlmdb_load(const char *path, const bench_data *d, size_t *timed,
                     double *seconds);
int bench_rlmdb_open(void **h, const char *path);
/* sealed-lmdb: raw-lmdb plus the format's work; get, scan, commits and
 * close are raw-lmdb's, which do it on a handle of these. */
int bench_slmdb_load(const char *path, const bench_data *d, size_t *timed,
                     double *seconds);
int bench_slmdb_open(void **h, const char *path);
int bench_rlmdb_get(void *h, int slot, const bench_data *d,
                    const uint32_t *idx, size_t m);
int bench_rlmdb_scan(void *h, size_t *count);
int bench_rlmdb_commits(void *h, int slot, const bench_data *d,
                        size_t first, size_t m);
int bench_rlmdb_update(void *h, const bench_data *d, const uint32_t *idx,
                       size_t m);
void bench_rlmdb_close(void *h);
void bench_lmdb_version(char *buf, size_t size);

/* seal.c: libkv's per-record format work for the sealed-* stores.  A
 * tag is BENCH_TAG_LEN bytes; bench_seal returns -1 for a record larger
 * than BENCH_KEY_MAX/BENCH_VAL_MAX, bench_seal_ok 1 when tag seals the
 * record, bench_seal_sum what the tag adds to the digest. */
#define BENCH_TAG_LEN 14
int bench_seal(unsigned char tag[BENCH_TAG_LEN], const void *key,
               size_t klen, const void *val, size_t vlen);
int bench_seal_ok(const unsigned char *tag, size_t tag_len, const void *key,
                  size_t klen, const void *val, size_t vlen);
uint64_t bench_seal_sum(const unsigned char tag[BENCH_TAG_LEN]);

/* ---- results (kvbench.c measures, report.c prints) ---------------------- */

/* The duels: a libkv store (or a sealed one) and the raw backend under
 * it, timed in one child that alternates them in blocks (duel.c), so that
 * the machine's drift from second to second weighs on both halves of
 * their ratio. */
#define BENCH_NDUELS 4
extern const char *const bench_duels[BENCH_NDUELS][2];

enum {
	W_LOAD, W_GET, W_GET2, W_GETAUTO, W_SCAN, W_COMMIT, W_COMMIT4,
	W_UPDATE, W_COUNT
};
enum { M_FILE, M_PEAK_RSS, M_SCAN_RSS, M_SCAN_HEAP, M_HEAP, M_COUNT };

/* A store's figures: of one round, or over the rounds (ops/s their
 * median; file size and scan growth of the last round, peaks the highest
 * of any round). */
typedef struct bench_result {
	int ran, failed;
	double ops[W_COUNT];   /* ops/s; 0: not measured */
	double mem[M_COUNT];   /* bytes */
	double seconds;        /* wall time of the store's child(ren) */
} bench_result;

typedef struct bench_run {
	size_t n, ngets, ncommits, nupdates;
	int reps;
	unsigned long long seed;
	double mean_key, mean_val;
	const char *example_key, *example_val;
	int example_klen, example_vlen;
	unsigned workloads;    /* 1u << W_*: the workloads measured */
	bench_result res[BENCH_MAX_STORES];  /* by index in bench_stores */
	/* by index in bench_stores, then round: for per-round ratios */
	bench_result rounds[BENCH_MAX_STORES][BENCH_MAX_REPS];
	/* by duel, round, then side: a duel's figures, for its ratios */
	bench_result duels[BENCH_NDUELS][BENCH_MAX_REPS][2];
} bench_run;

extern const char *const bench_wnames[W_COUNT];
extern const char *const bench_mnames[M_COUNT];

void bench_report(const bench_run *run);

/* ---- rounds (rounds.c) -------------------------------------------------- */

/* What every round measures with. */
typedef struct bench_inputs {
	const char *dir;          /* the stores' folder, emptied after each */
	const bench_data *d, *c;  /* c: new records for the commits */
	const uint32_t *gidx;     /* random gets, also the updates' keys */
	size_t ng, nc, nu;        /* gets, commits, updates per round */
	int reps, round;          /* round: the one running, from 0 */
	unsigned workloads;       /* 1u << W_*: the workloads to measure */
} bench_inputs;

/* Store names in the order a round runs them; stores not named run last. */
extern const char *const bench_round_order[];
extern const size_t bench_nround_order;

/* Run in->reps rounds over the stores selected[] marks (by index in
 * bench_stores), fill run->rounds and run->res; nonzero if a store
 * failed (its rounds after the failure are not run). */
int bench_run_rounds(bench_run *run, bench_inputs *in, const int *selected);
/* Remove every file of the (flat) folder dir, and dir too if rmdir_too. */
void bench_clear_dir(const char *dir, int rmdir_too);
/* Run fn(arg, out) in a child process and read out[0..n) back from it;
 * -1 if fn failed or the child died. */
int bench_in_child(int (*fn)(const void *arg, bench_result *out),
                   const void *arg, bench_result *out, size_t n);
/* Gets of idx[0..m) (commit 0) or commits of c's [first, first + m)
 * (commit 1) on s's handle h, split over nt threads; seconds of wall
 * time, or -1. */
double bench_run_threads(const bench_store *s, void *h, int nt, int commit,
                         const bench_data *d, const uint32_t *idx,
                         size_t first, size_t m);

/* ---- duels (duel.c) ----------------------------------------------------- */

/* One round of duel a/b in a child process: both stores loaded twice,
 * A B B A, then every other timed workload run on both in alternate
 * blocks; out[0] and out[1] get a's and b's ops/s. */
void bench_run_duel(const bench_store *a, const bench_store *b,
                    const bench_inputs *in, bench_result out[2]);

#endif /* KVBENCH_H */
