/*
 * kv/ndbm.c - the POSIX ndbm interface of <kv/ndbm.h>, built as the thin
 * library libkv_ndbm on top of libkv's public API only.
 *
 * A DBM wraps one kv_db.  What ndbm hands out "belongs to the DBM": the
 * last fetched value (a kv_db_get copy) and the last key of the iteration
 * (a buffer of our own), kept apart so that the classic loop
 *     for (k = dbm_firstkey(db); k.dptr; k = dbm_nextkey(db))
 *             v = dbm_fetch(db, k);
 * never sees its key overwritten by the fetch.
 *
 * The iteration holds no snapshot between calls (a long-lived read
 * snapshot would pin old pages of LMDB and block SQLite's WAL checkpoints):
 * dbm_nextkey opens a fresh iterator and seeks to the successor of the
 * last key returned, which is that key followed by one 0 byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kv.h"
#include "kv/ndbm.h"

#define NDBM_MAGIC 0x6b764e44u /* "kvND" */
#define DEAD_MAGIC 0xdeadbeefu

struct kv_ndbm {
	unsigned int magic;
	kv_db *db;
	int error;            /* sticky until dbm_clearerr */
	void *value;          /* last dbm_fetch result, OWNED (kv_free) */
	unsigned char *key;   /* last key of the iteration, OWNED (free) */
	size_t key_len;
	size_t key_cap;       /* always > key_len: room for the 0 byte */
	int in_iteration;     /* key holds a key to continue after */
};

/* The errno that best describes a libkv status. */
static int status_errno(kv_status st)
{
	switch (st) {
	case KV_NOTFOUND:
	case KV_ENOENT:
		return ENOENT;
	case KV_EXISTS:
		return EEXIST;
	case KV_EREADONLY:
		return EPERM;
	case KV_EBUSY:
		return EAGAIN;
	case KV_EFULL:
		return ENOSPC;
	case KV_ENOMEM:
		return ENOMEM;
	case KV_EINVAL:
	case KV_EFORMAT:
	case KV_ETOOBIG:
	case KV_ESCHEMA:
	case KV_EFORKED:
		return EINVAL;
	case KV_EFINALIZING:
		return ECANCELED;
	default:
		return EIO; /* KV_EIO, KV_ECORRUPT */
	}
}

/* Record a failed call on db and return -1 for the caller to pass on. */
static int fail(DBM *db, kv_status st)
{
	db->error = 1;
	errno = status_errno(st);
	return -1;
}

static int valid(const DBM *db)
{
	if (db && db->magic == NDBM_MAGIC)
		return 1;
	errno = EINVAL;
	return 0;
}

/* A datum fit to pass to libkv: dptr may be NULL only when empty. */
static int valid_datum(datum d)
{
	return d.dptr || d.dsize == 0;
}

/* The file path inside a "scheme:path" URI, for access() checks.  Mirrors
 * kv_db_open's rule closely enough for the backends it knows. */
static const char *uri_path(const char *file)
{
	if (strncmp(file, "lmdb:", 5) == 0)
		return file + 5;
	if (strncmp(file, "sqlite:", 7) == 0)
		return file + 7;
	return file;
}

/* The KV_OPEN_* flags for open(2)-style flags, or -1 when they make no
 * sense (O_TRUNC without write access). */
static long open_flags_to_kv(int open_flags)
{
	int acc = open_flags & O_ACCMODE;
	unsigned int kv = KV_OPEN_READWRITE;

	if (acc == O_RDONLY) {
		if (open_flags & O_TRUNC)
			return -1;
		return KV_OPEN_READONLY;
	}
	if (open_flags & O_TRUNC)
		kv = KV_OPEN_TRUNCATE;
	else if (open_flags & O_CREAT)
		kv = KV_OPEN_CREATE;
	return (long)kv;
}

/* The checks open(2) makes and kv_db_open has no flag for: O_EXCL, and
 * O_TRUNC on a missing file without O_CREAT.  Returns an errno or 0. */
static int precheck(const char *path, int open_flags)
{
	int exists = access(path, F_OK) == 0;

	if ((open_flags & O_CREAT) && (open_flags & O_EXCL) && exists)
		return EEXIST;
	if ((open_flags & O_TRUNC) && !(open_flags & O_CREAT) && !exists)
		return ENOENT;
	return 0;
}

/* errno for a failed kv_db_open: a permission problem hides behind
 * KV_EREADONLY or KV_EIO, so ask the file system what went wrong. */
static int open_errno(kv_status st, const char *path, unsigned int flags)
{
	int want = flags == KV_OPEN_READONLY ? R_OK : R_OK | W_OK;

	if (st == KV_EREADONLY)
		return EACCES;
	if (st == KV_EIO && access(path, want) != 0 && errno == EACCES)
		return EACCES;
	return status_errno(st);
}

/* Open uri with flags; O_RDONLY|O_CREAT creates a missing store first,
 * as open(2) would, then opens it read-only. */
static kv_status open_store(kv_db **out, const char *uri, unsigned int flags,
                            int creat, mode_t mode)
{
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	kv_db *db = NULL;
	kv_status st;

	o.flags = flags;
	o.mode = (unsigned int)mode & 07777u;
	st = kv_db_open(out, uri, &o);
	if (st != KV_ENOENT || flags != KV_OPEN_READONLY || !creat)
		return st;
	o.flags = KV_OPEN_CREATE;
	if ((st = kv_db_open(&db, uri, &o)) != KV_OK)
		return st;
	kv_db_close(db);
	o.flags = KV_OPEN_READONLY;
	return kv_db_open(out, uri, &o);
}

DBM *dbm_open(const char *file, int open_flags, mode_t file_mode)
{
	long flags = file ? open_flags_to_kv(open_flags) : -1;
	kv_status st;
	DBM *db;
	int err;

	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((err = precheck(uri_path(file), open_flags)) != 0) {
		errno = err;
		return NULL;
	}
	if (!(db = calloc(1, sizeof *db))) {
		errno = ENOMEM;
		return NULL;
	}
	st = open_store(&db->db, file, (unsigned int)flags,
	                (open_flags & O_CREAT) != 0, file_mode);
	if (st != KV_OK) {
		err = open_errno(st, uri_path(file), (unsigned int)flags);
		free(db);
		errno = err;
		return NULL;
	}
	db->magic = NDBM_MAGIC;
	return db;
}

void dbm_close(DBM *db)
{
	if (!valid(db))
		return;
	db->magic = DEAD_MAGIC;
	kv_db_close(db->db);
	kv_free(db->value);
	free(db->key);
	free(db);
}

datum dbm_fetch(DBM *db, datum key)
{
	datum out = { NULL, 0 };
	void *val = NULL;
	size_t len = 0;
	kv_status st;

	if (!valid(db))
		return out;
	kv_free(db->value);
	db->value = NULL;
	if (!valid_datum(key)) {
		fail(db, KV_EINVAL);
		return out;
	}
	st = kv_db_get(&val, &len, db->db, key.dptr, key.dsize);
	if (st == KV_NOTFOUND)
		return out;
	if (st != KV_OK) {
		fail(db, st);
		return out;
	}
	db->value = val;
	out.dptr = val;
	out.dsize = len;
	return out;
}

int dbm_store(DBM *db, datum key, datum content, int store_mode)
{
	unsigned int flags;
	kv_status st;

	if (!valid(db))
		return -1;
	if (store_mode != DBM_INSERT && store_mode != DBM_REPLACE)
		return fail(db, KV_EINVAL);
	if (!valid_datum(key) || !valid_datum(content))
		return fail(db, KV_EINVAL);
	flags = store_mode == DBM_INSERT ? KV_PUT_NOOVERWRITE : 0;
	st = kv_db_put(db->db, key.dptr, key.dsize, content.dptr,
	               content.dsize, flags);
	if (st == KV_EXISTS)
		return 1;
	return st == KV_OK ? 0 : fail(db, st);
}

int dbm_delete(DBM *db, datum key)
{
	kv_status st;

	if (!valid(db))
		return -1;
	if (!valid_datum(key))
		return fail(db, KV_EINVAL);
	st = kv_db_del(db->db, key.dptr, key.dsize);
	return st == KV_OK ? 0 : fail(db, st);
}

/* Copy a key into db->key, keeping room for the successor's 0 byte. */
static int keep_key(DBM *db, const void *key, size_t len)
{
	if (len >= db->key_cap) {
		unsigned char *p = realloc(db->key, len + 1);

		if (!p)
			return fail(db, KV_ENOMEM);
		db->key = p;
		db->key_cap = len + 1;
	}
	memcpy(db->key, key, len);
	db->key_len = len;
	return 0;
}

/* The first key (after == 0) or the first key after db->key, through a
 * private snapshot that ends before returning. */
static datum step(DBM *db, int after)
{
	datum out = { NULL, 0 };
	kv_iter *it = NULL;
	const void *k = NULL;
	size_t klen = 0;
	kv_status st;

	db->in_iteration = 0;
	st = kv_iter_new(&it, db->db, NULL, NULL, 0);
	if (st == KV_OK && after) {
		db->key[db->key_len] = 0;
		st = kv_iter_seek(it, db->key, db->key_len + 1);
	}
	if (st == KV_OK)
		st = kv_iter_next(it, &k, &klen, NULL, NULL);
	if (st == KV_OK && keep_key(db, k, klen) == 0) {
		db->in_iteration = 1;
		out.dptr = db->key;
		out.dsize = db->key_len;
	} else if (st != KV_OK && st != KV_NOTFOUND) {
		fail(db, st);
	}
	kv_iter_free(it);
	return out;
}

datum dbm_firstkey(DBM *db)
{
	datum none = { NULL, 0 };

	return valid(db) ? step(db, 0) : none;
}

datum dbm_nextkey(DBM *db)
{
	datum none = { NULL, 0 };

	if (!valid(db) || !db->in_iteration)
		return none;
	return step(db, 1);
}

int dbm_error(DBM *db)
{
	return valid(db) ? db->error : 1;
}

int dbm_clearerr(DBM *db)
{
	if (valid(db))
		db->error = 0;
	return 0;
}
