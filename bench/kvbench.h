/*
 * bench/kvbench.h - shared declarations of the libkv benchmark.
 *
 * kvbench.c makes the data set, times the workloads and prints the report;
 * stores.c drives each store (libkv on LMDB and SQLite, raw LMDB, raw
 * SQLite, SQLite as Python's dbm.sqlite3 uses it, GDBM) through one table
 * of functions.  A function returns 0 on success and -1 (after printing
 * why) on failure.
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

/* Records per write transaction of a bulk load (bounds LMDB's dirty
 * pages) and gets per read transaction. */
#define BENCH_LOAD_CHUNK 100000
#define BENCH_GETS_PER_TXN 1000
/* dbm.sqlite3-style bulk loads are timed on at most this many puts. */
#define BENCH_DBM_LOAD_CAP 20000

typedef struct bench_store {
	const char *name;
	/* Create a fresh store at path, load records [0, d->n), close it.
	 * Sets *timed to the number of puts the elapsed time covers (all of
	 * them unless the store caps its timed part). */
	int (*load)(const char *path, const bench_data *d, size_t *timed,
	            double *seconds);
	int (*open)(void **h, const char *path);
	/* Get the records idx[0..m) in read transactions of
	 * BENCH_GETS_PER_TXN gets (or however the store reads). */
	int (*get)(void *h, const bench_data *d, const uint32_t *idx,
	           size_t m);
	/* kv_db_get per key (libkv only; NULL elsewhere). */
	int (*get_auto)(void *h, const bench_data *d, const uint32_t *idx,
	                size_t m);
	/* Visit every record with its value; *count gets the number seen. */
	int (*scan)(void *h, size_t *count);
	/* Puts of the new records [first, first + m) of c, each its own
	 * durable commit. */
	int (*commits)(void *h, const bench_data *c, size_t first, size_t m);
	void (*close)(void *h);
	const char *note; /* printed under the table, or NULL */
} bench_store;

extern const bench_store bench_stores[];
extern const size_t bench_nstores;

double bench_now(void);
void bench_versions(void);

#endif /* KVBENCH_H */
