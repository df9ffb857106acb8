/*
 * backends/backend.h - the one interface between libkv's core and a storage
 * backend.  A backend is one file in backends/ that fills a kv__backend and
 * is listed in the table in kv/backends.c; nothing else in the core names it.
 *
 * Rules every backend keeps:
 *  - Keys are ordered bytewise (memcmp, a shorter key before its
 *    extensions), in every namespace.
 *  - On failure a function returns a kv_status other than KV_OK and, for
 *    anything but KV_NOTFOUND / KV_EXISTS, records its native error text with
 *    kv__error(); the core adds the key and the file to the message.
 *  - Threads: the core serialises write transactions on one environment
 *    (at most one open at a time) but may run any number of read
 *    transactions at once, from several threads, next to the writer.  A
 *    transaction and its cursors are used by one thread at a time.
 *  - Borrowed pointers from get stay valid until the next get/put/del on the
 *    same transaction or its end; from a cursor, until the next step or
 *    its close.
 */
#ifndef KV_BACKEND_H
#define KV_BACKEND_H

#include <stddef.h>

#include "kv.h"

/* Namespaces: the user's records, and libkv's own bookkeeping, kept apart
 * so a user key can never collide with an internal one. */
typedef enum kv__ns {
	KV__NS_DATA = 0,
	KV__NS_META = 1
} kv__ns;
#define KV__NS_COUNT 2

typedef struct kv__benv kv__benv; /* one open store, backend-defined */
typedef struct kv__btxn kv__btxn; /* one transaction, backend-defined */
typedef struct kv__bcur kv__bcur; /* one cursor, backend-defined */

/* What the core asks of a backend when opening. */
typedef struct kv__bopen {
	const char *path;       /* file path, without URI scheme */
	unsigned int flags;     /* KV_OPEN_* */
	unsigned int mode;      /* mode of a new file (already defaulted) */
	int sync_each_commit;   /* 1: fsync at commit; 0: the core calls sync */
	/* With sync_each_commit 0: 1 when the core syncs right after each
	 * commit, outside its writer lock, so that concurrent commits share
	 * one sync (group commit).  A commit may then leave part of its
	 * syncing to sync(), but what it writes unsynced must never damage
	 * the store if the system goes down before that sync (LMDB: data
	 * pages synced, the meta page deferred).  0: batched durability,
	 * commits unsynced until sync().  A backend may ignore it and treat
	 * both alike when its unsynced commits are always safe (SQLite's
	 * WAL). */
	int group_commit;
} kv__bopen;

/* Counters a backend reports. */
typedef struct kv__bstat {
	unsigned long long count;     /* keys in KV__NS_DATA */
	unsigned long long file_size; /* bytes on disk */
} kv__bstat;

/* A stored value and its tag: a small blob, opaque to backends, that the
 * core keeps beside each record of KV__NS_DATA (its schema version and
 * seal).  A record written by a foreign program (Python's dbm.sqlite3
 * on the same file) has no tag: tag NULL, tag_len 0.  Backends store the
 * tag of KV__NS_DATA records only; in KV__NS_META it is always empty. */
typedef struct kv__bval {
	const void *val;
	size_t val_len;
	const void *tag;
	size_t tag_len;
} kv__bval;
#define KV__TAG_MAX 255

/* What a put or delete replaced. */
typedef struct kv__bold {
	int existed;                    /* the key had a record */
	size_t tag_len;                 /* its tag: 0 when untagged */
	unsigned char tag[KV__TAG_MAX];
} kv__bold;

typedef struct kv__backend {
	const char *name; /* URI scheme and kv_db_backend() answer */
	/* 1: the path is a server address, not a file: the core neither
	 * stats nor probes it and leaves "does it exist" to open. */
	int not_a_file;

	/* Does a file starting with these bytes belong to this backend? */
	int (*probe)(const unsigned char *head, size_t len);

	kv_status (*open)(kv__benv **out, const kv__bopen *args);
	void (*close)(kv__benv *env);

	/* write: 0 for a read transaction, 1 for a write transaction. */
	kv_status (*txn_begin)(kv__btxn **out, kv__benv *env, int write);
	kv_status (*txn_commit)(kv__btxn *txn); /* releases txn, even on failure */
	void (*txn_abort)(kv__btxn *txn);       /* releases txn */
	/* Commit a write transaction and make it, and every earlier commit,
	 * durable before returning, where the backend does that more cheaply
	 * than txn_commit then sync.  The core uses it when no other commit
	 * is waiting to share a sync.  NULL: txn_commit then sync. */
	kv_status (*txn_commit_synced)(kv__btxn *txn);

	kv_status (*get)(kv__bval *out, kv__btxn *txn, kv__ns ns,
	                 const void *key, size_t key_len);
	/* flags: 0 or KV_PUT_NOOVERWRITE (then KV_EXISTS when present).
	 * old (may be NULL) receives whether the key existed and the tag of
	 * the record replaced, copied (the core keeps the store's digest from
	 * it); with KV_EXISTS, the tag of the record left in place.
	 * A store that must grow (LMDB's map) grows inside put/commit; the
	 * user never sees a full map while the disk has room. */
	kv_status (*put)(kv__btxn *txn, kv__ns ns, const void *key,
	                 size_t key_len, const kv__bval *val,
	                 unsigned int flags, kv__bold *old);
	/* old: as for put; KV_NOTFOUND (old->existed 0) when absent. */
	kv_status (*del)(kv__btxn *txn, kv__ns ns, const void *key,
	                 size_t key_len, kv__bold *old);

	/* A cursor positioned before the first key >= start. */
	kv_status (*cursor_open)(kv__bcur **out, kv__btxn *txn, kv__ns ns,
	                         const void *start, size_t start_len);
	/* KV_NOTFOUND past the last key.  KV_ECORRUPT with *key set: that
	 * one record's stored bytes are damaged and the cursor is past it, so
	 * a scan may go on.  Any other failure (*key untouched) ends the
	 * cursor: later calls return KV_NOTFOUND, never the same rows again. */
	kv_status (*cursor_next)(kv__bcur *cur, const void **key,
	                         size_t *key_len, kv__bval *val);
	void (*cursor_close)(kv__bcur *cur);

	/* Make every commit so far durable (used with batched durability). */
	kv_status (*sync)(kv__benv *env);
	kv_status (*stat)(kv__bstat *out, kv__benv *env);

	/* Give the space of deleted and replaced records back to the file
	 * system.  The core holds the writer lock and no write transaction is
	 * open; readers may be.  NULL: the backend cannot compact in place
	 * (kv_db_compact then fails with KV_EINVAL). */
	kv_status (*compact)(kv__benv *env);
} kv__backend;

/* Provided by the core for backends: record a failure message for the
 * calling thread's current call, printf-style, and return status. */
kv_status kv__error(kv_status status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* The backends, defined in backends/<name>.c. */
extern const kv__backend kv__backend_lmdb;
extern const kv__backend kv__backend_sqlite;
extern const kv__backend kv__backend_postgresql;

#endif /* KV_BACKEND_H */
