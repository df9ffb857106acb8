/*
 * kv/internal.h - definitions shared by the files of libkv's core.
 * Nothing here is part of the public API.
 */
#ifndef KV_INTERNAL_H
#define KV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "kv.h"
#include "backend.h"

#define KV__DB_MAGIC   0x6b764442u /* "kvDB" */
#define KV__TXN_MAGIC  0x6b765458u /* "kvTX" */
#define KV__ITER_MAGIC 0x6b764954u /* "kvIT" */
#define KV__DEAD_MAGIC 0xdeadbeefu

struct kv_db {
	uint32_t magic;
	uint64_t serial;            /* names this handle's error messages */
	const kv__backend *be;
	kv__benv *env;
	char *path;                 /* OWNED */
	unsigned int flags;         /* KV_OPEN_* as opened */
	atomic_int open_txns;       /* transactions not yet ended */

	/* Writers are serialised here, so a backend sees one at a time. */
	pthread_mutex_t write_lock;
	atomic_ulong writer;        /* kv__thread_id() of the writer, or 0 */

	/* Batched durability: a thread syncs dirty commits periodically. */
	int batched;
	unsigned int sync_interval_ms;
	atomic_int dirty;
	pthread_t flusher;
	pthread_mutex_t flush_lock;
	pthread_cond_t flush_cond;
	int flush_stop;             /* guarded by flush_lock */

	/* schema.c's cache of current schemas; only write transactions touch
	 * it, so write_lock guards it. */
	struct kv__schema_cache *schemas;

	/* seal.c: the SipHash key of this store's seals, and whether it is
	 * the store's secret one; unchecked when the store is keyed and was
	 * opened without its key. */
	unsigned char seal_key[16];
	int keyed;
	int unchecked;
};

struct kv_iter;

struct kv_txn {
	uint32_t magic;
	kv_db *db;
	kv__btxn *bt;
	int write;
	int salvage;                /* KV_TXN_SALVAGE: hand out damaged values */
	struct kv_iter *iters;      /* open iterators on this txn */
	/* Change of the store's digest made by this transaction. */
	uint64_t digest_sum;
	int64_t digest_count;
	int digest_dirty;
};

struct kv_iter {
	uint32_t magic;
	kv_db *db;
	kv_txn *txn;                /* NULL once that transaction ended */
	kv_txn *own;                /* private snapshot when made with txn NULL */
	kv__bcur *cur;
	unsigned char *prefix;      /* OWNED */
	size_t prefix_len;
	int done;
	struct kv_iter *next;       /* in txn->iters */
};

/* errors.c: thread-local messages, one slot per handle per thread. */
void kv__enter(const kv_db *db);       /* route messages to db (or none) */
kv_status kv__wrap(kv_status status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Escape bytes for a message: at most ~60 visible characters. */
const char *kv__show(char *buf, size_t size, const void *p, size_t len);
#define KV__SHOW_SIZE 96
unsigned long kv__thread_id(void);

/* Argument checks used at every entry point; they set the message. */
kv_status kv__check_db(const kv_db *db, const char *fn);
kv_status kv__check_key(const void *key, size_t len, const char *fn);

/* backends.c: the table of backends. */
extern const kv__backend *const kv__backends[];
const kv__backend *kv__backend_find(const char *name, size_t len);

/* txn.c: transactions used by the autocommit calls and iterators. */
kv_status kv__txn_begin(kv_txn **out, kv_db *db, int write);
void kv__txn_end(kv_txn *txn);         /* abort and free */

/* iter.c: detach a txn's iterators when it ends. */
void kv__iter_detach_all(kv_txn *txn);

/* db.c: note a commit for the batched-durability flusher. */
void kv__db_committed(kv_db *db);

/* warnings.c: raise a warning through the channel.  once names what the
 * "once" mode counts as the same warning (e.g. "run.acc" for a schema
 * field, whatever key is written).  KV_OK when it was dropped or
 * reported, KV_EDEPRECATED (message set) under mode error. */
kv_status kv__warn(kv_warning_kind kind, const char *once, const char *fmt,
                   ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

#endif /* KV_INTERNAL_H */
