/*
 * kv.h - public API of libkv, an embedded key-value store for ML metadata.
 *
 * Conventions that hold for every function below:
 *  - Fallible calls return a kv_status; KV_OK is 0.  On failure
 *    kv_db_errmsg() (or kv_errmsg() before a handle exists) gives a message
 *    naming the key or file involved, for the calling thread.
 *  - Output parameters come first and are named out; they are written only
 *    on success.
 *  - Keys and values are byte strings (pointer + length); they may contain
 *    NUL bytes.  A NULL pointer with length 0 is the empty string.
 *  - Every returned pointer is either OWNED (release it with the kv_*_free
 *    call named beside it, never with free()) or BORROWED (valid until the
 *    event named beside it).
 *  - Destructors accept NULL.
 *
 * Public headers compile as C89.  Every declaration names the libkv version
 * that introduced it.
 */
#ifndef KV_H
#define KV_H

#include <stddef.h>

#include "kv/common.h"
#include "kv/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Status codes.  Append only; never renumbered.                        */

/** Since 0.1. */
typedef enum kv_status {
	KV_OK = 0,          /* success */
	KV_NOTFOUND = 1,    /* no such key, or an iterator is exhausted */
	KV_EXISTS = 2,      /* put-if-absent found the key present */
	KV_EREADONLY = 3,   /* write to a read-only store or write-once field */
	KV_ESCHEMA = 4,     /* a record does not satisfy its schema */
	KV_ECORRUPT = 5,    /* stored data is damaged */
	KV_EFINALIZING = 6, /* the library has been shut down */
	KV_EFORKED = 7,     /* handle inherited across fork() */
	KV_EBUSY = 8,       /* locked by another writer, or would deadlock */
	KV_EFULL = 9,       /* disk or address space exhausted */
	KV_EINVAL = 10,     /* bad argument (NULL, closed handle, bad flags) */
	KV_EIO = 11,        /* operating-system I/O error */
	KV_ENOMEM = 12,     /* out of memory */
	KV_EFORMAT = 13,    /* file is not a store of any known backend */
	KV_ENOENT = 14,     /* store does not exist and KV_OPEN_CREATE not given */
	KV_ETOOBIG = 15,    /* key or value larger than the backend accepts */
	KV_EDEPRECATED = 16, /* deprecated use refused (KV_WARNINGS=error) */
	KV_EKEY = 17         /* secret key missing, exposed or wrong */
} kv_status;

/** Name and one-line meaning of a status ("KV_NOTFOUND: key not found").
 *  Returns a static string; never NULL.  Since 0.1. */
KV_EXTERN const char *kv_strerror(kv_status status);

/** Last failure message of the calling thread that happened before a handle
 *  existed (kv_db_open) or on a NULL handle.  BORROWED: valid until the next
 *  libkv call on this thread.  Never NULL.  Since 0.1. */
KV_EXTERN const char *kv_errmsg(void);

/** Version of the libkv library the program runs with, packed like
 *  KV_VERSION_NUMBER (0x00MMmmpp), which gives the headers' version: a
 *  program may refuse a library older than its headers.  Since 0.2. */
KV_EXTERN unsigned long kv_version(void);

/** The same version as text, "MAJOR.MINOR.PATCH".  Static string.
 *  Since 0.2. */
KV_EXTERN const char *kv_version_string(void);

/* ------------------------------------------------------------------ */
/* Opening and closing a store.                                         */

/** Handle on an open store.  Safe to share between threads.  Since 0.1. */
typedef struct kv_db kv_db;
/** A read or write transaction; used by one thread at a time.  Since 0.1. */
typedef struct kv_txn kv_txn;
/** An iterator over keys in order.  Since 0.1. */
typedef struct kv_iter kv_iter;

/* Open flags, in the spirit of dbm's 'r', 'w', 'c' and 'n'. */
#define KV_OPEN_READONLY  0x0u /* 'r': existing store, reads only */
#define KV_OPEN_READWRITE 0x1u /* 'w': existing store, reads and writes */
#define KV_OPEN_CREATE    0x3u /* 'c': as 'w', creating the store if absent */
#define KV_OPEN_TRUNCATE  0x7u /* 'n': as 'c', emptying any existing store */

/** Durability of commits. */
typedef enum kv_durability {
	KV_DURABLE_SYNC = 0,   /* every commit is on disk when it returns */
	KV_DURABLE_BATCHED = 1 /* commits reach disk within sync_interval_ms */
} kv_durability;

/** Options for kv_db_open.  Initialise with KV_OPEN_OPTIONS_INIT; fields
 *  are only ever appended.  Since 0.1. */
typedef struct kv_open_options {
	unsigned int version;          /* KV_OPEN_OPTIONS_VERSION */
	unsigned int flags;            /* KV_OPEN_* */
	unsigned int mode;             /* mode of new files; 0 means 0600 */
	kv_durability durability;      /* KV_DURABLE_SYNC by default */
	unsigned int sync_interval_ms; /* bound for KV_DURABLE_BATCHED */
	const char *keyfile;           /* secret key file (kv/integrity.h);
	                                  NULL: $KV_KEYFILE, else none */
} kv_open_options;

#define KV_OPEN_OPTIONS_VERSION 1
#define KV_OPEN_OPTIONS_INIT \
	{ KV_OPEN_OPTIONS_VERSION, KV_OPEN_CREATE, 0, KV_DURABLE_SYNC, 1000, NULL }

/**
 * Open a store.
 *
 * uri: "lmdb:PATH", "sqlite:PATH", or a plain PATH.  A plain path that
 *      exists is opened with the backend recognised from its first bytes;
 *      a new plain path gets the default backend, SQLite.  Every file
 *      store is one path: an SQLite file, or an LMDB data file with
 *      PATH-lock beside.
 *      Or a store on a PostgreSQL server (since 0.2): a libpq connection
 *      URI with the store's table in a table= parameter,
 *      "postgresql://[user@]host[:port]/database?table=NAME[&...]"
 *      (%XX escapes allowed; the other parameters go to libpq, and the
 *      PG* environment variables and ~/.pgpass apply).  The store is that
 *      one table, created with KV_OPEN_CREATE.  opts->mode does not apply
 *      (the server's GRANTs do) and every commit is durable when it
 *      returns, also with KV_DURABLE_BATCHED.  The URI appears in
 *      messages and kv_db_path: keep passwords out of it.  A refused or
 *      lost connection is KV_EIO; the next call reconnects.
 * opts: NULL for the defaults (KV_OPEN_OPTIONS_INIT).
 *
 * Expect: KV_ENOENT (missing, no create flag), KV_EKEY (see
 * kv/integrity.h), KV_EFORMAT (not a store: a directory, foreign bytes,
 * an empty file -- except with create, which makes an empty file, as a
 * creation cut short leaves, the new store), KV_EIO, KV_EBUSY,
 * KV_EINVAL, KV_EFINALIZING (kv/lifecycle.h).
 * On success *out is OWNED: release with kv_db_close.  Since 0.1.
 */
KV_EXTERN kv_status kv_db_open(kv_db **out, const char *uri,
                               const kv_open_options *opts);

/** Close a store, flushing batched commits.  Open transactions of the
 *  handle must have ended.  Accepts NULL.  Since 0.1. */
KV_EXTERN kv_status kv_db_close(kv_db *db);

/** Backend name of an open store ("lmdb", "sqlite" or "postgresql").
 *  Static string.
 *  Since 0.1. */
KV_EXTERN const char *kv_db_backend(const kv_db *db);

/** Path of the store, without the URI scheme (for postgresql, the rest
 *  of the URI: "//host/db?table=NAME").  BORROWED: valid until
 *  kv_db_close.  Since 0.1. */
KV_EXTERN const char *kv_db_path(const kv_db *db);

/** Last failure message of the calling thread on this handle, naming the
 *  key or file involved.  BORROWED: valid until the next call on the
 *  handle from this thread.  Never NULL.  Since 0.1. */
KV_EXTERN const char *kv_db_errmsg(const kv_db *db);

/** Force commits made under KV_DURABLE_BATCHED to disk now.  Since 0.1. */
KV_EXTERN kv_status kv_db_sync(kv_db *db);

/** Counters of a store, filled by kv_db_stat.  Since 0.1. */
typedef struct kv_stat {
	unsigned int version;     /* KV_STAT_VERSION */
	kv_u64 count;             /* number of keys */
	kv_u64 file_size;         /* bytes on disk of the store's files */
	unsigned int format;      /* libkv format version of the file */
} kv_stat;
#define KV_STAT_VERSION 1
#define KV_STAT_INIT { KV_STAT_VERSION, 0, 0, 0 }

/** Fill *out with the store's counters.  Since 0.1. */
KV_EXTERN kv_status kv_db_stat(kv_stat *out, kv_db *db);

/**
 * Give the space of deleted and replaced records back to the file
 * system, where the backend can do so in place (SQLite: VACUUM; LMDB
 * cannot: its file never shrinks, but copying the store into a new one
 * writes it compactly).  Waits for a running write transaction of the
 * handle and blocks writers while it runs; readers go on.  A thread that
 * holds a write transaction gets KV_EBUSY.
 * Expect: KV_EINVAL (the backend cannot compact, or db is not an open
 * handle), KV_EREADONLY (opened read-only), KV_EBUSY, KV_EFULL (the
 * rewrite needs room for a copy of the store).  Since 0.2.
 */
KV_EXTERN kv_status kv_db_compact(kv_db *db);

/* ------------------------------------------------------------------ */
/* Single-call (autocommit) access.                                     */

/** Put flags. */
#define KV_PUT_NOOVERWRITE 0x1u /* fail with KV_EXISTS if the key is set */

/**
 * Look up a key and hand back an OWNED copy of its value (release with
 * kv_free).  A zero-length value gives a non-NULL pointer and *out_len 0.
 * Expect: KV_NOTFOUND.  Since 0.1.
 */
KV_EXTERN kv_status kv_db_get(void **out, size_t *out_len, kv_db *db,
                              const void *key, size_t key_len);

/** Store a value in its own committed transaction.  flags: 0 or
 *  KV_PUT_NOOVERWRITE.  Calls from several threads at once may share one
 *  commit and sync; each returns its own status, and KV_OK only once its
 *  write is committed (and synced, on a synced store).  KV_EBUSY when the
 *  calling thread has a write transaction open.
 *  Expect: KV_EXISTS, KV_EREADONLY, KV_EBUSY.  Since 0.1. */
KV_EXTERN kv_status kv_db_put(kv_db *db, const void *key, size_t key_len,
                              const void *val, size_t val_len,
                              unsigned int flags);

/** Delete a key in its own committed transaction.  Expect: KV_NOTFOUND,
 *  KV_EREADONLY.  Since 0.1. */
KV_EXTERN kv_status kv_db_del(kv_db *db, const void *key, size_t key_len);

/** Release memory handed out OWNED by libkv.  Accepts NULL.  Since 0.1. */
KV_EXTERN void kv_free(void *p);

/* ------------------------------------------------------------------ */
/* Transactions.                                                        */

/** Transaction flags. */
#define KV_TXN_READONLY 0x1u
/* Salvage: reads in this read transaction return values whose seal does
 * not match instead of failing with KV_ECORRUPT (kv/integrity.h). */
#define KV_TXN_SALVAGE 0x2u

/**
 * Begin a transaction.  A read transaction sees one snapshot and runs in
 * parallel with other readers and with a writer.  Write transactions are
 * serialised: a second writer waits.  A thread that already holds a write
 * transaction on the handle gets KV_EBUSY instead of deadlocking.
 * On postgresql, writers of other handles, processes and hosts run at
 * the same time, kept apart by row locks (a row read in a write
 * transaction stays locked until it ends): any call in a write
 * transaction, commit included, may then fail with KV_EBUSY -- a lock
 * held by another writer for over 5 seconds, a key another writer made
 * after this transaction found it absent, or a server abort
 * (serialisation failure, deadlock) whose replay would read changed
 * data.  Nothing of the transaction is committed; run it again.
 * On success *out is OWNED: end it with kv_txn_commit or kv_txn_abort.
 * Since 0.1.
 */
KV_EXTERN kv_status kv_txn_begin(kv_txn **out, kv_db *db, unsigned int flags);

/** Commit and release the transaction (also when the commit fails, in
 *  which case nothing of it is stored).  Since 0.1. */
KV_EXTERN kv_status kv_txn_commit(kv_txn *txn);

/** Roll back and release the transaction.  Accepts NULL.  Since 0.1. */
KV_EXTERN void kv_txn_abort(kv_txn *txn);

/**
 * Zero-copy lookup.  *out is BORROWED: valid until the next get, put or
 * delete on this transaction, or its end.  The caller must not write
 * through it.  Expect: KV_NOTFOUND.  Since 0.1.
 */
KV_EXTERN kv_status kv_txn_get(const void **out, size_t *out_len,
                               kv_txn *txn, const void *key, size_t key_len);

/** Store a value inside a write transaction; flags as for kv_db_put.
 *  Expect: KV_EXISTS, KV_EREADONLY (read transaction).  Since 0.1. */
KV_EXTERN kv_status kv_txn_put(kv_txn *txn, const void *key, size_t key_len,
                               const void *val, size_t val_len,
                               unsigned int flags);

/** Delete a key inside a write transaction.  Expect: KV_NOTFOUND.
 *  Since 0.1. */
KV_EXTERN kv_status kv_txn_del(kv_txn *txn, const void *key, size_t key_len);

/** The handle a transaction belongs to.  Since 0.1. */
KV_EXTERN kv_db *kv_txn_db(const kv_txn *txn);

/* ------------------------------------------------------------------ */
/* Iteration in key order (bytewise, shorter first).                    */

/**
 * Iterate over the keys that start with prefix (all keys when prefix_len is
 * 0), in ascending bytewise order.  txn: a transaction of db to iterate in
 * (it sees that transaction's writes; end the iterator before the
 * transaction), or NULL for a private read snapshot.
 * On success *out is OWNED: release with kv_iter_free.  Since 0.1.
 */
KV_EXTERN kv_status kv_iter_new(kv_iter **out, kv_db *db, kv_txn *txn,
                                const void *prefix, size_t prefix_len);

/**
 * Advance to the next key.  key and val may be NULL when not wanted; the
 * bytes are BORROWED: valid until the next kv_iter_next or kv_iter_free.
 * Expect: KV_NOTFOUND at the end.  Since 0.1.
 */
KV_EXTERN kv_status kv_iter_next(kv_iter *it, const void **key,
                                 size_t *key_len, const void **val,
                                 size_t *val_len);

/**
 * Reposition: the next kv_iter_next returns the first key >= key that
 * still starts with the iterator's prefix.  Lets a caller resume after a
 * key it saw before (key plus a 0 byte is its successor).  Since 0.1.
 */
KV_EXTERN kv_status kv_iter_seek(kv_iter *it, const void *key,
                                 size_t key_len);

/** Release an iterator (and its private snapshot).  Accepts NULL.
 *  Since 0.1. */
KV_EXTERN void kv_iter_free(kv_iter *it);

#ifdef __cplusplus
}
#endif

/* Records and schemas, and the warning channel. */
#include "kv/warnings.h"
#include "kv/record.h"
#include "kv/schema.h"
#include "kv/integrity.h"
#include "kv/lifecycle.h"

#endif /* KV_H */
