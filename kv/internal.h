/*
 * kv/internal.h - definitions shared by the files of libkv's core.
 * Nothing here is part of the public API.
 */
#ifndef KV_INTERNAL_H
#define KV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "kv.h"
#include "backend.h"

#define KV__DB_MAGIC   0x6b764442u /* "kvDB" */
#define KV__TXN_MAGIC  0x6b765458u /* "kvTX" */
#define KV__ITER_MAGIC 0x6b764954u /* "kvIT" */
#define KV__DEAD_MAGIC 0xdeadbeefu

/* Calls in progress on a handle, counted in stripes of their own cache
 * line (a thread always uses the same one), so that threads reading in
 * parallel do not bounce one counter between their cores. */
#define KV__ACTIVE_STRIPES 8
struct kv__active {
	_Alignas(64) atomic_int n;
};

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
	atomic_int write_waiting;   /* threads waiting for write_lock */

	/* Batched durability: a thread syncs dirty commits periodically. */
	int batched;
	unsigned int sync_interval_ms;
	atomic_int dirty;
	pthread_t flusher;
	pthread_mutex_t flush_lock;
	pthread_cond_t flush_cond;
	int flush_stop;             /* guarded by flush_lock */
	int flushing;               /* the flusher thread runs */

	/* Group commit (db.c), for every-commit-synced stores: a commit is
	 * made unsynced under write_lock and numbered there; after the lock
	 * is released one committer at a time syncs for every commit
	 * numbered before its sync began, and each commit returns once such
	 * a sync completed.  The other fields are guarded by sync_lock. */
	atomic_ullong commit_seq;   /* commits made so far */
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cond;
	unsigned long long synced_seq; /* commits a completed sync covers */
	unsigned long long failed_seq; /* covered by a sync that failed */
	int syncing;                /* a committer is syncing for the rest */

	/* schema.c's cache of current schemas; only write transactions touch
	 * it, so write_lock guards it. */
	struct kv__schema_cache *schemas;

	/* seal.c: the SipHash key of this store's seals, and whether it is
	 * the store's secret one; unchecked when the store is keyed and was
	 * opened without its key. */
	unsigned char seal_key[16];
	int keyed;
	int unchecked;

	/* lifecycle.c: calls in progress (finalisation waits for them to
	 * return), the fork generation the handle was opened in, and the
	 * registry of open handles finalisation closes. */
	struct kv__active active[KV__ACTIVE_STRIPES];
	unsigned int fork_gen;
	atomic_int finalized;       /* 1: being finalised, 2: done */
	atomic_int env_closed;      /* finalisation closed the backend */
	struct kv_db *open_prev, *open_next;
	/* The write transaction the program holds (kv_txn_begin), which
	 * finalisation rolls back when the finalising thread holds it; set
	 * and cleared by the thread that holds the writer lock. */
	struct kv_txn *held_write;

	/* group.c: autocommitted writes waiting to be committed together;
	 * the head of the queue leads the next batch. */
	pthread_mutex_t group_lock;
	struct kv__queued *group_head, *group_tail;
	atomic_int group_waiting;   /* queued writes no batch has taken yet */
};

struct kv_iter;

struct kv_txn {
	uint32_t magic;
	kv_db *db;
	kv__btxn *bt;
	int write;
	int salvage;                /* KV_TXN_SALVAGE: hand out damaged values */
	int schemas_fresh;          /* db->schemas checked in this txn */
	struct kv_iter *iters;      /* open iterators on this txn */
	/* Change of the store's digest made by this transaction. */
	uint64_t digest_sum;
	int64_t digest_count;
	int digest_dirty;
	int local;                  /* caller's memory (kv__txn_begin_in) */
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
#define KV__MSG_SIZE 640
void kv__enter(const kv_db *db);       /* route messages to db (or none) */
kv_status kv__wrap(kv_status status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Escape bytes for a message: at most ~60 visible characters. */
const char *kv__show(char *buf, size_t size, const void *p, size_t len);
#define KV__SHOW_SIZE 96
/* kv__show of a NUL-terminated string into a KV__SHOW_SIZE buffer. */
const char *kv__show_str(char buf[KV__SHOW_SIZE], const char *s);
unsigned long kv__thread_id(void);

/* Argument checks used at every entry point; they set the message. */
kv_status kv__check_db(const kv_db *db, const char *fn);
kv_status kv__check_key(const void *key, size_t len, const char *fn);

/* backends.c: the table of backends. */
extern const kv__backend *const kv__backends[];
const kv__backend *kv__backend_find(const char *name, size_t len);

/* txn.c: transactions used by the autocommit calls and iterators. */
kv_status kv__txn_begin(kv_txn **out, kv_db *db, int write);
/* As kv__txn_begin in the caller's txn (zeroed here), which no program
 * sees: a single-call read spares the allocation. */
kv_status kv__txn_begin_in(kv_txn *txn, kv_db *db, int write);
void kv__txn_end(kv_txn *txn);         /* abort and free */
kv_status kv__txn_commit(kv_txn *txn); /* commit and free, unchecked */
/* kv__txn_commit in two steps: commit, and on a synced store the *seq
 * that each of `waiters` callers then passes to kv__txn_durable, which
 * returns once a sync covers the commit.  Until then the commit counts
 * as `waiters` open transactions (the sync still uses the backend). */
kv_status kv__txn_commit_made(kv_txn *txn, int waiters,
                              unsigned long long *seq);
kv_status kv__txn_durable(kv_db *db, unsigned long long seq);
/* KV_EBUSY, with the message, when this thread holds db's writer lock. */
kv_status kv__writer_check(kv_db *db);

/* One autocommitted write: kv_db_put, or kv_db_del when del is set. */
typedef struct kv__write {
	const void *key;
	size_t key_len;
	const void *val;
	size_t val_len;
	unsigned int flags;
	int del;
} kv__write;
kv_status kv__write_apply(kv_txn *txn, const kv__write *w); /* txn.c */
/* group.c: commit w in a transaction shared with writes of other threads
 * queued at the same time; w's own status, durable when KV_OK. */
kv_status kv__group_write(kv_db *db, const kv__write *w);
/* The writer lock alone, for work that must run outside any backend
 * transaction (kv_db_compact); KV_EBUSY on a thread that holds it. */
kv_status kv__writer_hold(kv_db *db);
void kv__writer_release(kv_db *db);

/* iter.c: detach a txn's iterators when it ends. */
void kv__iter_detach_all(kv_txn *txn);

/* db.c: *ts = now (CLOCK_REALTIME) + ms, for timed waits. */
void kv__deadline(struct timespec *ts, unsigned long ms);
/* db.c: note a commit, under write_lock: for the batched-durability
 * flusher, or numbered for group commit (the number, else 0). */
unsigned long long kv__db_committed(kv_db *db);
/* db.c: once write_lock is released, wait until a sync covers commit
 * seq (group commit; 0: nothing to wait for). */
kv_status kv__db_durable(kv_db *db, unsigned long long seq);
/* db.c, under write_lock: would a commit made now have nobody to share
 * its sync with (no writer waiting, every commit synced, none syncing)?
 * Then the backend's txn_commit_synced serves; kv__db_committed_synced
 * notes such a commit, which covers every commit before it. */
int kv__db_sync_alone(kv_db *db);
void kv__db_committed_synced(kv_db *db);
/* db.c: close db's backend for finalisation: roll back this thread's
 * write transaction, flush, and close unless the program still holds
 * transactions or iterators.  The handle itself stays for kv_db_close. */
void kv__db_finalize(kv_db *db);

/* lifecycle.c.  Every public call that reaches a backend holds a guard
 * for its duration: KV__ENTER checks the handle, counts the call as in
 * progress, and fails with KV_EFINALIZING after finalisation or
 * KV_EFORKED in a forked child; the count drops when the calling
 * function returns, whichever way. */
typedef struct kv__guard {
	atomic_int *active;         /* the stripe of db->active counted in */
} kv__guard;
kv_status kv__db_enter(kv__guard *g, kv_db *db, const char *fn);
void kv__guard_release(kv__guard *g);
#define KV__ENTER(db, fn)                                                 \
	kv__guard kv__guard_ __attribute__((cleanup(kv__guard_release))) = \
		{ NULL };                                                   \
	do {                                                              \
		kv_status kv__rc_ = kv__db_enter(&kv__guard_, (db), (fn));  \
		if (kv__rc_)                                                \
			return kv__rc_;                                     \
	} while (0)

int kv__finalized(void);               /* finalisation closed the stores */
int kv__db_active(const kv_db *db);    /* calls in progress on db */
unsigned int kv__fork_gen(void);       /* bumped in every forked child */
/* Can db's backend be touched from here (not finalised, not forked)? */
int kv__db_usable(const kv_db *db);
/* Keep a backend object of the parent's that a forked child must not
 * touch: referenced for good, neither used nor freed. */
void kv__keep(void *p);
/* Add a newly opened handle to the registry; KV_EFINALIZING too late. */
kv_status kv__lifecycle_add(kv_db *db);
/* Take db out of the registry for kv_db_close: 1 when the caller must
 * close the backend, 0 when finalisation has (or is about to). */
int kv__lifecycle_remove(kv_db *db);

/* txn.c: roll back db->held_write for finalisation; the kv_txn stays for
 * kv_txn_abort. */
void kv__txn_finalize(kv_txn *txn);

/* warnings.c: around fork() (phase 0 before, 1 in the parent after,
 * 2 in the child), so a child never inherits the channel's lock held. */
void kv__warnings_fork(int phase);

/* warnings.c: raise a warning through the channel.  once names what the
 * "once" mode counts as the same warning (e.g. "run.acc" for a schema
 * field, whatever key is written).  KV_OK when it was dropped or
 * reported; under mode error KV_EDEPRECATED (KV_EKEY for
 * KV_WARN_UNCHECKED), message set. */
kv_status kv__warn(kv_warning_kind kind, const char *once, const char *fmt,
                   ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

#endif /* KV_INTERNAL_H */
