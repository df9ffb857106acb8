/*
 * kv/ndbm.h - the POSIX ndbm interface (dbm_open ... dbm_close) on top of
 * libkv.
 *
 * It lives in its own library, libkv_ndbm, so that libkv itself exports no
 * dbm_* symbol and can be linked next to another ndbm implementation.  A
 * program written for <ndbm.h> compiles unchanged with
 *
 *     #include <kv/ndbm.h>      (in place of <ndbm.h>)
 *     cc prog.c -lkv_ndbm -lkv
 *
 * and then reads and writes libkv stores (LMDB, SQLite, the latter
 * shared with Python's dbm.sqlite3, or a table on PostgreSQL).
 *
 * Differences from a classic ndbm that a program may notice:
 *  - Keys may not be empty: dbm_store, dbm_fetch and dbm_delete refuse a
 *    zero-length key with EINVAL.
 *  - There is no ndbm-style limit of about 1 KiB per record; the backend's
 *    own limits apply (a key or value it cannot hold fails with EINVAL).
 *  - dbm_firstkey/dbm_nextkey visit keys in ascending bytewise order.
 *  - A DBM is used by one thread at a time.  The store underneath may be
 *    opened by any number of threads and processes at once.
 *  - Every dbm_store and dbm_delete is its own committed transaction.
 *
 * Header compiles as C89.  Every declaration names the libkv version that
 * introduced it.
 */
#ifndef KV_NDBM_H
#define KV_NDBM_H

#include <stddef.h>
#include <fcntl.h>     /* O_RDONLY, O_RDWR, O_CREAT ... for dbm_open */
#include <sys/types.h> /* mode_t */

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A byte string: a key or a value.  dptr may point to NUL bytes; a
 *  datum with dptr NULL is "no key" / "no value".  Since 0.1. */
typedef struct {
	void *dptr;
	size_t dsize;
} datum;

/** An open store.  Opaque; created by dbm_open, released by dbm_close.
 *  Since 0.1. */
typedef struct kv_ndbm DBM;

/* store_mode of dbm_store. */
#define DBM_INSERT  0 /* fail (return 1) if the key is already present */
#define DBM_REPLACE 1 /* overwrite any present value */

/**
 * Open a store.
 *
 * file: "lmdb:PATH", "sqlite:PATH", a plain PATH or a postgresql:// URI,
 *       as for kv_db_open: a plain path that exists is opened with the
 *       backend recognised from its content, a new plain path gets
 *       SQLite.  Unlike classic ndbm no ".dir"/".pag" suffix is appended:
 *       the store is the file itself.
 * open_flags: O_RDONLY, O_WRONLY or O_RDWR (O_WRONLY is treated as
 *       O_RDWR), optionally with O_CREAT (create the store if absent),
 *       O_TRUNC (empty an existing store; needs write access) and O_EXCL
 *       with O_CREAT (fail with EEXIST if the file exists; checked before
 *       opening, so not atomic, and not at all for a postgresql:// store,
 *       which is no file).  Other flags are ignored.
 * file_mode: permissions of a newly created file, before the umask; 0
 *       gives 0600.
 *
 * Returns an OWNED handle, released with dbm_close, or NULL with errno
 * set: ENOENT (no such store, O_CREAT not given), EEXIST (O_EXCL),
 * EACCES (no permission), EINVAL (bad flags, or the file is not a store
 * of any known backend), EAGAIN (locked), EIO, ENOMEM.
 * Since 0.1.
 */
KV_EXTERN DBM *dbm_open(const char *file, int open_flags, mode_t file_mode);

/** Close a store and release every datum handed out by it.  Accepts
 *  NULL.  Since 0.1. */
KV_EXTERN void dbm_close(DBM *db);

/**
 * Look up a key.
 *
 * Returns the value, or a datum with dptr NULL when the key is absent
 * (not an error) or on failure (then dbm_error is non-zero and errno set).
 * The value's memory belongs to db: valid until the next call on db
 * (this implementation keeps it until the next dbm_fetch or dbm_close, so
 * keys from dbm_firstkey/dbm_nextkey stay valid across a fetch).  Do not
 * write through it.  Since 0.1.
 */
KV_EXTERN datum dbm_fetch(DBM *db, datum key);

/**
 * Store content under key, in its own committed transaction.
 *
 * store_mode: DBM_INSERT (keep a present value) or DBM_REPLACE.
 * Returns 0 when stored, 1 when DBM_INSERT found the key present (nothing
 * changed; not an error), -1 on failure with dbm_error non-zero and errno
 * set: EINVAL (empty or too large key or content, bad store_mode), EPERM
 * (opened O_RDONLY), EAGAIN (locked), ENOSPC, EIO.  Since 0.1.
 */
KV_EXTERN int dbm_store(DBM *db, datum key, datum content, int store_mode);

/**
 * Delete key, in its own committed transaction.
 *
 * Returns 0 when deleted, -1 on failure with dbm_error non-zero and errno
 * set: ENOENT (the key was absent), EPERM (opened O_RDONLY), EIO.
 * Since 0.1.
 */
KV_EXTERN int dbm_delete(DBM *db, datum key);

/**
 * Start an iteration: return the smallest key, or a datum with dptr NULL
 * when the store is empty or on failure (then dbm_error is non-zero).
 *
 * Keys come in ascending bytewise order.  No snapshot is held between
 * calls: each call looks up the successor of the key returned before, so
 * storing and deleting while iterating is allowed, and while the store is
 * unchanged each key is visited exactly once.  The key's memory belongs to
 * db: valid until the next call on db (this implementation keeps it until
 * the next dbm_firstkey, dbm_nextkey or dbm_close).  Since 0.1.
 */
KV_EXTERN datum dbm_firstkey(DBM *db);

/** Continue an iteration begun by dbm_firstkey: return the key after the
 *  one returned last, or a datum with dptr NULL at the end, before any
 *  dbm_firstkey, or on failure (then dbm_error is non-zero).  Memory as for
 *  dbm_firstkey.  Since 0.1. */
KV_EXTERN datum dbm_nextkey(DBM *db);

/** Non-zero when a call on db has failed since it was opened or since the
 *  last dbm_clearerr.  A key that is merely absent from dbm_fetch is not a
 *  failure.  Since 0.1. */
KV_EXTERN int dbm_error(DBM *db);

/** Reset the error indicator of db.  Returns 0.  Since 0.1. */
KV_EXTERN int dbm_clearerr(DBM *db);

#ifdef __cplusplus
}
#endif

#endif /* KV_NDBM_H */
