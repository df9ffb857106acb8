/*
 * kv/txn.c - transactions and the single-call (autocommit) operations.
 *
 * Write transactions are serialised by db->write_lock so that a backend
 * sees at most one at a time; the thread holding it is remembered so that
 * a second write transaction on the same thread fails instead of
 * deadlocking.  Read transactions take no core lock at all.
 *
 * The write transaction the program holds between calls (kv_txn_begin)
 * is db->held_write, so that finalisation on its thread can roll it back.
 */
#include <stdlib.h>
#include <string.h>

#include "schemas.h"

/* Explain why it is not an open transaction. */
static __attribute__((noinline, cold)) kv_status
bad_txn(const kv_txn *txn, const char *fn)
{
	kv__enter(NULL);
	if (!txn)
		return kv__error(KV_EINVAL, "%s: txn is NULL", fn);
	return kv__error(KV_EINVAL, "%s: not an open transaction", fn);
}

/* The caller's KV__ENTER (or kv__db_enter) then routes messages to the
 * transaction's store; inline, as every get and put runs it. */
static inline kv_status check_txn(const kv_txn *txn, const char *fn)
{
	if (txn && txn->magic == KV__TXN_MAGIC)
		return KV_OK;
	return bad_txn(txn, fn);
}

kv_status kv__writer_check(kv_db *db)
{
	if (atomic_load(&db->writer) == kv__thread_id())
		return kv__error(KV_EBUSY, "%s: this thread already has a write "
		                 "transaction open (it would deadlock)", db->path);
	return KV_OK;
}

/* Wait for the writer, but not past finalisation: the writer may be a
 * transaction the program left open, which finalisation rolls back only
 * once no call is waiting here.  A waiter is counted, so that the
 * writer's commit leaves its sync to be shared. */
static kv_status writer_wait(kv_db *db)
{
	struct timespec until;
	kv_status rc = KV_OK;

	atomic_fetch_add(&db->write_waiting, 1);
	for (;;) {
		kv__deadline(&until, 20);
		if (pthread_mutex_timedlock(&db->write_lock, &until) == 0)
			break;
		if (kv__finalized()) {
			rc = kv__error(KV_EFINALIZING, "%s: libkv was shut down "
			               "while waiting to write", db->path);
			break;
		}
	}
	atomic_fetch_sub(&db->write_waiting, 1);
	return rc;
}

/* Take the store's writer lock, refusing a second writer on this thread. */
static kv_status writer_lock(kv_db *db)
{
	kv_status rc;

	if ((rc = kv__writer_check(db)))
		return rc;
	if (pthread_mutex_trylock(&db->write_lock) != 0 &&
	    (rc = writer_wait(db)))
		return rc;
	atomic_store(&db->writer, kv__thread_id());
	return KV_OK;
}

static void writer_unlock(kv_db *db)
{
	atomic_store(&db->writer, 0);
	pthread_mutex_unlock(&db->write_lock);
}

kv_status kv__writer_hold(kv_db *db)
{
	return writer_lock(db);
}

void kv__writer_release(kv_db *db)
{
	writer_unlock(db);
}

kv_status kv__txn_begin_in(kv_txn *txn, kv_db *db, int write)
{
	kv_status rc;

	memset(txn, 0, sizeof *txn);
	if (write && db->flags == KV_OPEN_READONLY)
		return kv__error(KV_EREADONLY, "%s: store is open read-only",
		                 db->path);
	if (write && db->unchecked)
		return kv__error(KV_EKEY, "%s: store is keyed and was opened "
		                 "without its key: writes are refused", db->path);
	if (write && (rc = writer_lock(db)))
		return rc;
	rc = db->be->txn_begin(&txn->bt, db->env, write);
	if (rc) {
		if (write)
			writer_unlock(db);
		return kv__wrap(rc, "begin transaction on %s", db->path);
	}
	txn->magic = KV__TXN_MAGIC;
	txn->db = db;
	txn->write = write;
	txn->local = 1;
	atomic_fetch_add(&db->open_txns, 1);
	return KV_OK;
}

kv_status kv__txn_begin(kv_txn **out, kv_db *db, int write)
{
	kv_txn *txn = malloc(sizeof *txn);
	kv_status rc;

	if (!txn)
		return kv__error(KV_ENOMEM, "out of memory");
	if ((rc = kv__txn_begin_in(txn, db, write))) {
		free(txn);
		return rc;
	}
	txn->local = 0;
	*out = txn;
	return KV_OK;
}

/* Release what every ended transaction holds; its backend txn is gone.
 * In a forked child the writer lock is the parent's: left alone. */
static void txn_release(kv_txn *txn)
{
	kv_db *db = txn->db;
	int own_process = db->fork_gen == kv__fork_gen();

	if (txn->write && db->held_write == txn)
		db->held_write = NULL;
	if (txn->write && own_process)
		writer_unlock(db);
	atomic_fetch_sub(&db->open_txns, 1);
	txn->magic = KV__DEAD_MAGIC;
	if (!txn->local)
		free(txn);
}

void kv__txn_end(kv_txn *txn)
{
	kv_db *db = txn->db;

	kv__iter_detach_all(txn);
	if (txn->bt && kv__db_usable(db))
		db->be->txn_abort(txn->bt);
	else if (txn->bt)
		kv__keep(txn->bt); /* the parent's, in a forked child */
	txn->bt = NULL;
	txn_release(txn);
}

void kv__txn_finalize(kv_txn *txn)
{
	kv__iter_detach_all(txn);
	txn->db->be->txn_abort(txn->bt);
	txn->bt = NULL;
	txn->db->held_write = NULL;
	writer_unlock(txn->db);
	txn->write = 0;
}

kv_status kv_txn_begin(kv_txn **out, kv_db *db, unsigned int flags)
{
	kv_status rc;

	KV__ENTER(db, "kv_txn_begin");
	if (!out)
		return kv__error(KV_EINVAL, "kv_txn_begin: out is NULL");
	if (flags & ~(KV_TXN_READONLY | KV_TXN_SALVAGE))
		return kv__error(KV_EINVAL, "kv_txn_begin: bad flags 0x%x", flags);
	/* Salvaged bytes written back would be sealed as if sound. */
	if ((flags & KV_TXN_SALVAGE) && !(flags & KV_TXN_READONLY))
		return kv__error(KV_EINVAL, "kv_txn_begin: KV_TXN_SALVAGE needs "
		                 "KV_TXN_READONLY");
	if ((rc = kv__txn_begin(out, db, !(flags & KV_TXN_READONLY))))
		return rc;
	(*out)->salvage = (flags & KV_TXN_SALVAGE) != 0;
	if ((*out)->write)
		db->held_write = *out;
	return KV_OK;
}

kv_status kv__txn_commit_made(kv_txn *txn, int waiters,
                              unsigned long long *seq)
{
	kv_db *db = txn->db;
	kv_status rc;

	*seq = 0;
	kv__iter_detach_all(txn);
	if (txn->write && (rc = kv__digest_flush(txn))) {
		db->be->txn_abort(txn->bt);
		txn_release(txn);
		return rc;
	}
	if (txn->write && db->be->txn_commit_synced && kv__db_sync_alone(db)) {
		rc = db->be->txn_commit_synced(txn->bt);
		if (rc == KV_OK)
			kv__db_committed_synced(db);
	} else {
		rc = db->be->txn_commit(txn->bt);
		if (rc == KV_OK && txn->write)
			*seq = kv__db_committed(db);
	}
	/* Until its sync, the commit keeps kv_db_close away as an open
	 * transaction would: the sync still uses the backend. */
	if (*seq)
		atomic_fetch_add(&db->open_txns, waiters);
	txn_release(txn);
	if (rc)
		return kv__wrap(rc, "commit to %s", db->path);
	return KV_OK;
}

kv_status kv__txn_durable(kv_db *db, unsigned long long seq)
{
	kv_status rc = kv__db_durable(db, seq);

	if (seq)
		atomic_fetch_sub(&db->open_txns, 1);
	return rc;
}

kv_status kv__txn_commit(kv_txn *txn)
{
	kv_db *db = txn->db;
	unsigned long long seq;
	kv_status rc = kv__txn_commit_made(txn, 1, &seq);

	/* Synced outside the writer lock, so that the commits made while
	 * this one syncs share the next sync. */
	return rc ? rc : kv__txn_durable(db, seq);
}

kv_status kv_txn_commit(kv_txn *txn)
{
	kv__guard g __attribute__((cleanup(kv__guard_release))) = { NULL };
	kv_status rc;

	if ((rc = check_txn(txn, "kv_txn_commit")))
		return rc;
	/* Shut down or forked: the transaction is released unapplied. */
	if ((rc = kv__db_enter(&g, txn->db, "kv_txn_commit"))) {
		kv__txn_end(txn);
		return rc;
	}
	return kv__txn_commit(txn);
}

void kv_txn_abort(kv_txn *txn)
{
	if (txn && txn->magic == KV__TXN_MAGIC) {
		kv__enter(txn->db);
		kv__txn_end(txn);
	}
}

kv_db *kv_txn_db(const kv_txn *txn)
{
	return txn && txn->magic == KV__TXN_MAGIC ? txn->db : NULL;
}

/* Explain a failed operation on key: name the key and the store. */
static kv_status fail_on_key(kv_status rc, const kv_db *db, const char *op,
                             const void *key, size_t len)
{
	char shown[KV__SHOW_SIZE];

	kv__show(shown, sizeof shown, key, len);
	if (rc == KV_NOTFOUND)
		return kv__error(rc, "%s: key '%s' not found in %s", op, shown,
		                 db->path);
	if (rc == KV_EXISTS)
		return kv__error(rc, "%s: key '%s' already exists in %s", op,
		                 shown, db->path);
	return kv__wrap(rc, "%s key '%s' in %s", op, shown, db->path);
}

/* The lookup behind kv_txn_get and kv_db_get; arguments checked. */
static kv_status txn_get(kv__bval *out, kv_txn *txn, const void *key,
                         size_t key_len)
{
	kv_status rc = kv__get_checked(out, txn, key, key_len);

	if (rc == KV_ECORRUPT)
		return rc; /* the message names the key already */
	if (rc)
		return fail_on_key(rc, txn->db, "get", key, key_len);
	return KV_OK;
}

kv_status kv_txn_get(const void **out, size_t *out_len, kv_txn *txn,
                     const void *key, size_t key_len)
{
	kv__bval bv;
	kv_status rc;

	if ((rc = check_txn(txn, "kv_txn_get")))
		return rc;
	KV__ENTER(txn->db, "kv_txn_get");
	if (!out || !out_len)
		return kv__error(KV_EINVAL, "kv_txn_get: out is NULL");
	if ((rc = kv__check_key(key, key_len, "kv_txn_get")))
		return rc;
	if ((rc = txn_get(&bv, txn, key, key_len)))
		return rc;
	*out = bv.val;
	*out_len = bv.val_len;
	return KV_OK;
}

/* Checks shared by put and del inside a transaction. */
static kv_status check_write(const kv_txn *txn, const void *key,
                             size_t key_len, const char *fn)
{
	kv_status rc;

	if ((rc = kv__check_key(key, key_len, fn)))
		return rc;
	if (!txn->write)
		return kv__error(KV_EREADONLY, "%s: read-only transaction on %s",
		                 fn, txn->db->path);
	return KV_OK;
}

/* The value and flags of a put. */
static kv_status check_put(const void *val, size_t val_len,
                           unsigned int flags, const char *fn)
{
	if (!val && val_len)
		return kv__error(KV_EINVAL, "%s: val is NULL", fn);
	if (flags & ~KV_PUT_NOOVERWRITE)
		return kv__error(KV_EINVAL, "%s: bad flags 0x%x", fn, flags);
	return KV_OK;
}

kv_status kv_txn_put(kv_txn *txn, const void *key, size_t key_len,
                     const void *val, size_t val_len, unsigned int flags)
{
	kv_status rc;

	if ((rc = check_txn(txn, "kv_txn_put")))
		return rc;
	KV__ENTER(txn->db, "kv_txn_put");
	if ((rc = check_write(txn, key, key_len, "kv_txn_put")) ||
	    (rc = check_put(val, val_len, flags, "kv_txn_put")))
		return rc;
	/* Under a schema the value is validated as a record first. */
	return kv__put_checked(txn, key, key_len, val ? val : "", val_len,
	                       flags);
}

/* The delete behind kv_txn_del and kv_db_del; arguments checked. */
static kv_status txn_del(kv_txn *txn, const void *key, size_t key_len)
{
	kv__bold old;
	kv_status rc;

	rc = txn->db->be->del(txn->bt, KV__NS_DATA, key, key_len, &old);
	if (rc == KV_ECORRUPT) {
		/* Too damaged to tell its seal: delete it all the same (see
		 * kv__put_sealed). */
		rc = txn->db->be->del(txn->bt, KV__NS_DATA, key, key_len, NULL);
		old.existed = 0;
	}
	if (rc)
		return fail_on_key(rc, txn->db, "delete", key, key_len);
	kv__digest_note(txn, &old, NULL);
	return KV_OK;
}

kv_status kv_txn_del(kv_txn *txn, const void *key, size_t key_len)
{
	kv_status rc;

	if ((rc = check_txn(txn, "kv_txn_del")))
		return rc;
	KV__ENTER(txn->db, "kv_txn_del");
	if ((rc = check_write(txn, key, key_len, "kv_txn_del")))
		return rc;
	return txn_del(txn, key, key_len);
}

kv_status kv_db_get(void **out, size_t *out_len, kv_db *db, const void *key,
                    size_t key_len)
{
	kv__bval bv;
	kv_txn txn;
	void *copy;
	kv_status rc;

	KV__ENTER(db, "kv_db_get");
	if (!out || !out_len)
		return kv__error(KV_EINVAL, "kv_db_get: out is NULL");
	if ((rc = kv__check_key(key, key_len, "kv_db_get")))
		return rc;
	if ((rc = kv__txn_begin_in(&txn, db, 0)))
		return rc;
	rc = txn_get(&bv, &txn, key, key_len);
	if (rc == KV_OK) {
		/* One spare byte so a zero-length value is still a pointer. */
		copy = malloc(bv.val_len + 1);
		if (!copy) {
			rc = kv__error(KV_ENOMEM, "get: out of memory for a "
			               "%zu-byte value", bv.val_len);
		} else {
			memcpy(copy, bv.val, bv.val_len);
			((char *)copy)[bv.val_len] = '\0';
			*out = copy;
			*out_len = bv.val_len;
		}
	}
	kv__txn_end(&txn);
	return rc;
}

kv_status kv__write_apply(kv_txn *txn, const kv__write *w)
{
	if (w->del)
		return txn_del(txn, w->key, w->key_len);
	return kv__put_checked(txn, w->key, w->key_len, w->val ? w->val : "",
	                       w->val_len, w->flags);
}

kv_status kv_db_put(kv_db *db, const void *key, size_t key_len,
                    const void *val, size_t val_len, unsigned int flags)
{
	kv_status rc;

	KV__ENTER(db, "kv_db_put");
	if ((rc = kv__check_key(key, key_len, "kv_db_put")) ||
	    (rc = check_put(val, val_len, flags, "kv_db_put")))
		return rc;
	return kv__group_write(db, &(kv__write){ key, key_len, val, val_len,
	                                         flags, 0 });
}

kv_status kv_db_del(kv_db *db, const void *key, size_t key_len)
{
	kv_status rc;

	KV__ENTER(db, "kv_db_del");
	if ((rc = kv__check_key(key, key_len, "kv_db_del")))
		return rc;
	return kv__group_write(db, &(kv__write){ key, key_len, NULL, 0, 0,
	                                         1 });
}

void kv_free(void *p)
{
	free(p);
}
