/*
 * kv/db.c - opening and closing stores: URI parsing, backend detection
 * from a file's first bytes, the batched-durability flusher, stat and sync.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "schemas.h"

#define PROBE_BYTES 4096

static atomic_ulong next_serial = 1;

static void close_backend(kv_db *db);

/* Split "scheme:path" when scheme names a backend; otherwise the whole
 * string is a plain path and *be stays NULL. */
static const char *split_uri(const kv__backend **be, const char *uri)
{
	const char *colon = strchr(uri, ':');

	*be = NULL;
	if (colon && colon != uri) {
		*be = kv__backend_find(uri, (size_t)(colon - uri));
		if (*be)
			return colon + 1;
	}
	return uri;
}

/* Read a file's first bytes and name the backend that recognises them. */
static kv_status probe_file(const kv__backend **out, const char *path)
{
	unsigned char head[PROBE_BYTES];
	const kv__backend *const *b;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kv__error(errno == EACCES ? KV_EREADONLY : KV_EIO,
		                 "%s: cannot read: %s", path, strerror(errno));
	n = read(fd, head, sizeof head);
	close(fd);
	if (n < 0)
		return kv__error(KV_EIO, "%s: cannot read: %s", path,
		                 strerror(errno));
	for (b = kv__backends; *b; b++) {
		if ((*b)->probe(head, (size_t)n)) {
			*out = *b;
			return KV_OK;
		}
	}
	*out = NULL;
	return KV_OK;
}

/* Decide which backend opens path: the one the URI names, the one that
 * recognises an existing file, or the default for a new file. */
static kv_status choose_backend(const kv__backend **out,
                                const kv__backend *named, const char *path,
                                unsigned int flags)
{
	const kv__backend *found;
	struct stat st;
	kv_status rc;

	if (named && named->not_a_file) {
		*out = named;
		return KV_OK;
	}
	if (stat(path, &st) != 0) {
		if (errno != ENOENT)
			return kv__error(KV_EIO, "%s: %s", path, strerror(errno));
		if ((flags & KV_OPEN_CREATE) != KV_OPEN_CREATE)
			return kv__error(KV_ENOENT, "%s: no such store "
			                 "(open with create to make one)", path);
		*out = named ? named : kv__backends[0];
		return KV_OK;
	}
	if (S_ISDIR(st.st_mode))
		return kv__error(KV_EFORMAT, "%s: is a directory, not a store",
		                 path);
	if (!S_ISREG(st.st_mode))
		return kv__error(KV_EFORMAT, "%s: not a regular file", path);
	/* An empty file is what a creation cut short leaves behind; with
	 * create it becomes the new store, as SQLite and LMDB would have it. */
	if (st.st_size == 0 && (flags & KV_OPEN_CREATE) == KV_OPEN_CREATE) {
		*out = named ? named : kv__backends[0];
		return KV_OK;
	}
	if (st.st_size == 0)
		return kv__error(KV_EFORMAT, "%s: empty file, not a store", path);
	rc = probe_file(&found, path);
	if (rc)
		return rc;
	if (!found)
		return kv__error(KV_EFORMAT, "%s: not a store of any known "
		                 "backend (damaged or foreign file)", path);
	if (named && named != found)
		return kv__error(KV_EFORMAT, "%s: is a %s store, not %s", path,
		                 found->name, named->name);
	*out = found;
	return KV_OK;
}

static int valid_flags(unsigned int flags)
{
	return flags == KV_OPEN_READONLY || flags == KV_OPEN_READWRITE ||
	       flags == KV_OPEN_CREATE || flags == KV_OPEN_TRUNCATE;
}

void kv__deadline(struct timespec *ts, unsigned long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Background thread of a batched store: sync whatever was committed, at
 * most sync_interval_ms after the commit. */
static void *flusher_main(void *arg)
{
	kv_db *db = arg;
	struct timespec until;
	int stop;

	pthread_mutex_lock(&db->flush_lock);
	for (;;) {
		kv__deadline(&until, db->sync_interval_ms);
		while (!db->flush_stop &&
		       pthread_cond_timedwait(&db->flush_cond, &db->flush_lock,
		                              &until) != ETIMEDOUT)
			;
		stop = db->flush_stop;
		pthread_mutex_unlock(&db->flush_lock);
		if (atomic_exchange(&db->dirty, 0)) {
			kv__enter(db);
			pthread_mutex_lock(&db->write_lock);
			(void)db->be->sync(db->env);
			pthread_mutex_unlock(&db->write_lock);
		}
		if (stop)
			return NULL;
		pthread_mutex_lock(&db->flush_lock);
	}
}

unsigned long long kv__db_committed(kv_db *db)
{
	if (db->batched) {
		atomic_store(&db->dirty, 1);
		return 0;
	}
	return atomic_fetch_add(&db->commit_seq, 1) + 1;
}

int kv__db_sync_alone(kv_db *db)
{
	int alone;

	if (db->batched || atomic_load(&db->write_waiting) ||
	    atomic_load(&db->group_waiting))
		return 0;
	pthread_mutex_lock(&db->sync_lock);
	alone = !db->syncing && db->synced_seq == atomic_load(&db->commit_seq);
	pthread_mutex_unlock(&db->sync_lock);
	return alone;
}

void kv__db_committed_synced(kv_db *db)
{
	unsigned long long seq = atomic_fetch_add(&db->commit_seq, 1) + 1;

	pthread_mutex_lock(&db->sync_lock);
	if (seq > db->synced_seq)
		db->synced_seq = seq;
	pthread_cond_broadcast(&db->sync_cond);
	pthread_mutex_unlock(&db->sync_lock);
}

/* Sync for every commit made so far, as the one committer doing so;
 * called and returns with sync_lock held, which it drops meanwhile so
 * that more commits can be made and queue for the next sync. */
static kv_status lead_sync(kv_db *db)
{
	unsigned long long upto = atomic_load(&db->commit_seq);
	kv_status rc;

	db->syncing = 1;
	pthread_mutex_unlock(&db->sync_lock);
	rc = db->be->sync(db->env);
	pthread_mutex_lock(&db->sync_lock);
	db->syncing = 0;
	if (rc == KV_OK && upto > db->synced_seq)
		db->synced_seq = upto;
	else if (rc != KV_OK && upto > db->failed_seq)
		db->failed_seq = upto;
	pthread_cond_broadcast(&db->sync_cond);
	return rc;
}

kv_status kv__db_durable(kv_db *db, unsigned long long seq)
{
	kv_status rc = KV_OK;

	if (seq == 0)
		return KV_OK;
	pthread_mutex_lock(&db->sync_lock);
	while (db->synced_seq < seq && rc == KV_OK) {
		/* A sync that began after this commit failed: it may be lost. */
		if (db->failed_seq >= seq)
			rc = KV_EIO;
		else if (db->syncing)
			pthread_cond_wait(&db->sync_cond, &db->sync_lock);
		else
			rc = lead_sync(db);
	}
	pthread_mutex_unlock(&db->sync_lock);
	if (rc)
		return kv__wrap(rc, "commit to %s was made but the sync that "
		                "should make it durable failed", db->path);
	return KV_OK;
}

/* Allocate a handle for path with its locks; the backend is not open. */
static kv_status db_new(kv_db **out, const char *path,
                        const kv_open_options *o)
{
	/* Aligned for the call counters' cache-line stripes. */
	kv_db *db = aligned_alloc(_Alignof(kv_db), sizeof *db);

	if (db)
		memset(db, 0, sizeof *db);
	if (!db || !(db->path = strdup(path))) {
		free(db);
		return kv__error(KV_ENOMEM, "out of memory");
	}
	db->serial = atomic_fetch_add(&next_serial, 1);
	db->fork_gen = kv__fork_gen();
	db->flags = o->flags;
	db->batched = o->durability == KV_DURABLE_BATCHED &&
	              o->flags != KV_OPEN_READONLY;
	db->sync_interval_ms = o->sync_interval_ms ? o->sync_interval_ms : 1;
	pthread_mutex_init(&db->write_lock, NULL);
	pthread_mutex_init(&db->flush_lock, NULL);
	pthread_cond_init(&db->flush_cond, NULL);
	pthread_mutex_init(&db->sync_lock, NULL);
	pthread_cond_init(&db->sync_cond, NULL);
	pthread_mutex_init(&db->group_lock, NULL);
	*out = db;
	return KV_OK;
}

static void db_free(kv_db *db)
{
	/* In a forked child the locks are copies of the parent's, possibly
	 * held by a thread that does not exist here: leave them. */
	if (db->fork_gen == kv__fork_gen()) {
		pthread_mutex_destroy(&db->write_lock);
		pthread_mutex_destroy(&db->flush_lock);
		pthread_cond_destroy(&db->flush_cond);
		pthread_mutex_destroy(&db->sync_lock);
		pthread_cond_destroy(&db->sync_cond);
		pthread_mutex_destroy(&db->group_lock);
	}
	db->magic = KV__DEAD_MAGIC;
	free(db->path);
	free(db);
}

static kv_status check_options(const kv_open_options *o)
{
	if (o->version != KV_OPEN_OPTIONS_VERSION)
		return kv__error(KV_EINVAL, "kv_db_open: options version %u, "
		                 "expected %u (use KV_OPEN_OPTIONS_INIT)",
		                 o->version, KV_OPEN_OPTIONS_VERSION);
	if (!valid_flags(o->flags))
		return kv__error(KV_EINVAL, "kv_db_open: bad flags 0x%x",
		                 o->flags);
	if (o->durability != KV_DURABLE_SYNC &&
	    o->durability != KV_DURABLE_BATCHED)
		return kv__error(KV_EINVAL, "kv_db_open: bad durability %d",
		                 (int)o->durability);
	if (o->mode & ~07777u)
		return kv__error(KV_EINVAL, "kv_db_open: bad mode 0%o", o->mode);
	return KV_OK;
}

/* What opening wrote (a new store's layout, its digest and key check)
 * is durable before the first commit is acknowledged: sync it now. */
static kv_status sync_created(kv_db *db)
{
	kv_status rc;

	if (db->flags == KV_OPEN_READONLY)
		return KV_OK;
	if ((rc = db->be->sync(db->env)))
		return kv__wrap(rc, "sync %s after opening", db->path);
	return KV_OK;
}

kv_status kv_db_open(kv_db **out, const char *uri,
                     const kv_open_options *opts)
{
	static const kv_open_options defaults = KV_OPEN_OPTIONS_INIT;
	const kv_open_options *o = opts ? opts : &defaults;
	const kv__backend *named, *be = NULL;
	kv__bopen args;
	kv_db *db = NULL;
	const char *path;
	kv_status rc;

	kv__enter(NULL);
	if (kv__finalized())
		return kv__error(KV_EFINALIZING, "kv_db_open: libkv has been "
		                 "shut down (kv_shutdown or process exit)");
	if (!out)
		return kv__error(KV_EINVAL, "kv_db_open: out is NULL");
	if (!uri)
		return kv__error(KV_EINVAL, "kv_db_open: uri is NULL");
	if ((rc = check_options(o)))
		return rc;
	path = split_uri(&named, uri);
	if (!*path)
		return kv__error(KV_EINVAL, "kv_db_open: empty path in '%s'",
		                 uri);
	if ((rc = choose_backend(&be, named, path, o->flags)))
		return rc;
	if ((rc = db_new(&db, path, o)))
		return rc;

	args.path = db->path;
	args.flags = o->flags;
	args.mode = o->mode ? o->mode : 0600;
	/* Commits are synced by the core: in batches, or as a group commit
	 * (kv__db_durable) where several committers share one sync. */
	args.sync_each_commit = 0;
	args.group_commit = !db->batched;
	db->be = be;
	if ((rc = be->open(&db->env, &args)))
		goto done;
	if ((rc = kv__seal_open(db, o->keyfile)) ||
	    (rc = sync_created(db))) {
		close_backend(db);
		goto done;
	}
	if (db->batched) {
		if (pthread_create(&db->flusher, NULL, flusher_main, db) != 0) {
			close_backend(db);
			rc = kv__error(KV_ENOMEM, "%s: cannot start sync thread",
			               path);
			goto done;
		}
		db->flushing = 1;
	}
	if ((rc = kv__lifecycle_add(db))) {
		close_backend(db);
		goto done;
	}
	db->magic = KV__DB_MAGIC;
	*out = db;
	db = NULL;
done:
	if (db)
		db_free(db);
	return rc;
}

/* Stop the batched-durability thread, which syncs once more. */
static void stop_flusher(kv_db *db)
{
	if (!db->flushing)
		return;
	pthread_mutex_lock(&db->flush_lock);
	db->flush_stop = 1;
	pthread_cond_signal(&db->flush_cond);
	pthread_mutex_unlock(&db->flush_lock);
	pthread_join(db->flusher, NULL);
	db->flushing = 0;
}

/* Close the backend and what hangs off it; no call may be in progress. */
static void close_backend(kv_db *db)
{
	stop_flusher(db);
	db->be->close(db->env);
	db->env = NULL;
	atomic_store(&db->env_closed, 1);
	kv__schemas_free(db);
}

/* Roll back the write transaction the finalising thread holds.  Every
 * other transaction is left to the thread using it: a write transaction's
 * writer lock (LMDB's too) may only be released by the thread that took
 * it, and a read transaction or iterator may have handed out borrowed
 * bytes that its thread is reading at this moment.  Each fails with
 * KV_EFINALIZING from now on and is released by kv_txn_abort or
 * kv_iter_free, or with the process; nothing of it is committed.  Calls
 * in progress have returned, so the open transactions are the program's.
 * Returns 1 when none is left open. */
static int finalize_held(kv_db *db)
{
	int left = atomic_load(&db->open_txns);

	/* Only this thread sets held_write while it is the writer. */
	if (atomic_load(&db->writer) == kv__thread_id() && db->held_write) {
		kv__txn_finalize(db->held_write);
		left--; /* its kv_txn stays, counted, until kv_txn_abort */
	}
	return left == 0;
}

void kv__db_finalize(kv_db *db)
{
	int waited;

	/* A handle inherited across fork() belongs to the parent. */
	if (db->fork_gen != kv__fork_gen()) {
		atomic_store(&db->finalized, 2);
		return;
	}
	/* Calls in progress on other threads get a few seconds to return;
	 * a call that never does keeps its backend (leaked, not crashed). */
	for (waited = 0; kv__db_active(db) > 0 && waited < 5000;
	     waited++)
		usleep(1000);
	if (kv__db_active(db) == 0) {
		if (finalize_held(db))
			close_backend(db);
		else
			stop_flusher(db); /* committed data made durable */
	}
	atomic_store(&db->finalized, 2);
}

kv_status kv_db_close(kv_db *db)
{
	int waited;
	kv_status rc;

	if (!db)
		return KV_OK;
	if ((rc = kv__check_db(db, "kv_db_close")))
		return rc;
	if (db->fork_gen != kv__fork_gen()) {
		/* The parent's backend is not ours to close. */
		kv__lifecycle_remove(db);
		kv__keep(db->env);
		kv__schemas_free(db);
		db_free(db);
		return KV_OK;
	}
	if (atomic_load(&db->open_txns) > 0 && !atomic_load(&db->finalized))
		return kv__error(KV_EBUSY, "%s: close with %d transaction(s) or "
		                 "iterator(s) still open", db->path,
		                 atomic_load(&db->open_txns));
	if (kv__lifecycle_remove(db)) {
		db->magic = KV__DEAD_MAGIC;
		close_backend(db);
	} else {
		/* Finalisation has the handle: let it finish, then free; close
		 * what it had to leave open, once nothing uses it. */
		for (waited = 0; atomic_load(&db->finalized) != 2 &&
		                 waited < 10000; waited++)
			usleep(1000);
		if (!atomic_load(&db->env_closed) &&
		    atomic_load(&db->open_txns) == 0 &&
		    kv__db_active(db) == 0)
			close_backend(db);
		else if (!atomic_load(&db->env_closed))
			return kv__error(KV_EBUSY, "%s: transactions still open "
			                 "after finalisation", db->path);
	}
	kv__enter(NULL);
	db_free(db);
	return KV_OK;
}

const char *kv_db_backend(const kv_db *db)
{
	return db && db->magic == KV__DB_MAGIC ? db->be->name : NULL;
}

const char *kv_db_path(const kv_db *db)
{
	return db && db->magic == KV__DB_MAGIC ? db->path : NULL;
}

kv_status kv_db_sync(kv_db *db)
{
	kv_status rc;

	KV__ENTER(db, "kv_db_sync");
	if (db->flags == KV_OPEN_READONLY)
		return KV_OK;
	pthread_mutex_lock(&db->write_lock);
	atomic_store(&db->dirty, 0);
	rc = db->be->sync(db->env);
	pthread_mutex_unlock(&db->write_lock);
	if (rc)
		return kv__wrap(rc, "sync %s", db->path);
	return KV_OK;
}

kv_status kv_db_compact(kv_db *db)
{
	kv_status rc;

	KV__ENTER(db, "kv_db_compact");
	if (db->flags == KV_OPEN_READONLY)
		return kv__error(KV_EREADONLY, "%s: store is open read-only",
		                 db->path);
	if (!db->be->compact)
		return kv__error(KV_EINVAL, "%s: the %s backend cannot compact "
		                 "a store in place (copying it to a new store "
		                 "compacts it)", db->path, db->be->name);
	/* No write transaction may run under the backend's compaction. */
	if ((rc = kv__writer_hold(db)))
		return rc;
	rc = db->be->compact(db->env);
	kv__writer_release(db);
	if (rc)
		return kv__wrap(rc, "compact %s", db->path);
	return KV_OK;
}

kv_status kv_db_stat(kv_stat *out, kv_db *db)
{
	kv__bstat bs = { 0, 0 };
	kv__bval bv;
	kv_txn *txn;
	kv_status rc;

	KV__ENTER(db, "kv_db_stat");
	if (!out)
		return kv__error(KV_EINVAL, "kv_db_stat: out is NULL");
	if (out->version != KV_STAT_VERSION)
		return kv__error(KV_EINVAL, "kv_db_stat: stat version %u, "
		                 "expected %u (use KV_STAT_INIT)", out->version,
		                 KV_STAT_VERSION);
	if ((rc = db->be->stat(&bs, db->env)))
		return kv__wrap(rc, "stat %s", db->path);
	out->count = bs.count;
	out->file_size = bs.file_size;
	out->format = 0;
	if ((rc = kv__txn_begin(&txn, db, 0)))
		return rc;
	rc = db->be->get(&bv, txn->bt, KV__NS_META, "format", 6);
	if (rc == KV_OK && bv.val_len > 0 && bv.val_len < 10) {
		char num[10];
		memcpy(num, bv.val, bv.val_len);
		num[bv.val_len] = '\0';
		out->format = (unsigned int)strtoul(num, NULL, 10);
	}
	kv__txn_end(txn);
	return rc == KV_OK || rc == KV_NOTFOUND ? KV_OK
	                                       : kv__wrap(rc, "stat %s", db->path);
}
