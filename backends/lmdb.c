/*
 * backends/lmdb.c - libkv's LMDB backend.
 *
 * A store is one data file PATH (LMDB's MDB_NOSUBDIR layout, PATH-lock
 * beside it) holding two named databases: "data" for the user's records and
 * "kv_meta" for libkv's bookkeeping.  LMDB has no columns, so a value in
 * "data" is stored framed with its tag: one byte T (0..KV__TAG_MAX), T tag
 * bytes, then the value; "kv_meta" keeps values as they are.
 *
 * LMDB maps the file at a fixed size that may change only while the process
 * has no transaction open.  So every transaction holds its environment's map
 * lock shared, and a resize takes it exclusively.  A write transaction keeps
 * a redo log of its puts and deletes: when the map is full it aborts, grows
 * the map, replays the log into a new transaction and retries, so the caller
 * never sees MDB_MAP_FULL.
 *
 * put and del can report what they replace (kv__bold), from which the core
 * keeps a digest of the store's seals.  They learn it from the write itself
 * (MDB_NOOVERWRITE hands back the record in place; a delete goes through a
 * cursor), so a new key costs no lookup of its own; see write_op for how
 * that squares with the redo log.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "backend.h"
#include "lmdb_meta.h"

/* Map size of a new or small store; overridable so tests can force growth.
 * The map only reserves address space (the file grows as pages are
 * written), so a large one means growth, which must wait for every reader
 * of the process to let go, practically never happens.  Where the address
 * space refuses it, open retries with a quarter of the size. */
#ifndef KV_LMDB_INITIAL_MAP
#define KV_LMDB_INITIAL_MAP \
	(sizeof(size_t) >= 8 ? (size_t)64 << 30 : (size_t)1 << 30)
#endif
#define MIN_MAP ((size_t)64 << 20)
/* How long a writer that needs a bigger map waits for readers to let go. */
#ifndef KV_LMDB_GROW_WAIT_MS
#define KV_LMDB_GROW_WAIT_MS 10000L
#endif
#define LOG_KEEP ((size_t)64 << 20) /* largest redo log buffer kept */
#define HEADROOM_WAIT_MS 50L /* growing before the map is full is optional */
#define GATE_WAIT_MS 50L     /* longest a new transaction defers to a resize */
#define POOL_STRIPES 16
#define POOL_PER_STRIPE 8
#define MAX_VAL_LEN 0xffffffffULL /* LMDB's MAXDATASIZE */
#define KEY_SHOWN 48 /* key bytes a message shows */
/* Not an LMDB or errno code: a stored "data" frame that a write was to
 * replace failed unframe, which has recorded the message already. */
#define RC_DAMAGED (-30900)

/* What probe looks for: a 16-byte page header whose flags (at offset 10)
 * mark a meta page, then the meta's magic number. */
#define PAGE_FLAGS_OFF 10
#define P_META 0x08
#define META_MAGIC_OFF 16
#define META_MAGIC 0xBEEFC0DEu

#define FORMAT_KEY "format"
#define FORMAT_VERSION "1"

enum { OP_PUT = 1, OP_DEL = 2 };
enum { CUR_PENDING, CUR_STARTED, CUR_EOF };

/* Reset read transactions kept for mdb_txn_renew, in stripes so that
 * readers on many cores do not all take one mutex. */
struct stripe {
	pthread_mutex_t mu;
	kv__btxn *head;
	unsigned int len;
	unsigned char pad[64]; /* keeps neighbours off one cache line */
};

struct kv__benv {
	MDB_env *env;
	MDB_dbi dbi[KV__NS_COUNT];
	char *path; /* for messages */
	int readonly;
	size_t psize;
	size_t maxkey;
	int locks_ready;

	/* Held shared by every open transaction, exclusively by a resize. */
	pthread_rwlock_t map_lock;
	int broken; /* a remap failed; written under map_lock exclusively */

	/* Resizes waiting for map_lock, and the gate new readers wait at. */
	atomic_int growers;
	pthread_mutex_t gate_mu;
	pthread_cond_t gate_cv;

	struct stripe pool[POOL_STRIPES];

	/* The redo log's buffer, handed from one write transaction to the
	 * next (the core runs one at a time), up to LOG_KEEP bytes: fresh
	 * pages for each transaction's log cost a bulk load more in page
	 * faults than the copy into them.  LMDB keeps its dirty pages the
	 * same way. */
	unsigned char *spare_log;
	size_t spare_cap;
};

/* The redo log is a run of entries: a struct redo_op, the key, the tag,
 * the value.  Replay needs only the log, so the tag is kept in it too. */
struct redo_op {
	unsigned char op; /* OP_PUT or OP_DEL */
	unsigned char ns;
	unsigned char tag_len; /* KV__NS_DATA puts only; <= KV__TAG_MAX */
	unsigned int flags;    /* mdb_put flags */
	size_t key_len;
	size_t val_len;
};

struct kv__btxn {
	kv__benv *env;
	MDB_txn *txn; /* NULL once a write transaction is lost */
	int write;
	int locked;     /* holds env->map_lock shared */
	kv__btxn *next; /* pool link */
	/* Write transactions only. */
	size_t txnid;    /* a replay must start from the same snapshot */
	kv_status lost;  /* why txn is NULL */
	unsigned char *log;
	size_t log_len;  /* bytes of applied entries */
	size_t log_cap;
	kv__bcur *cursors; /* open cursors, re-created after a replay */
};

struct kv__bcur {
	kv__btxn *txn;
	MDB_cursor *cur; /* NULL after its write transaction was replaced */
	kv__ns ns;
	int state; /* CUR_* */
	kv__bcur *prev, *next;
	/* Write transactions: the start, then the key reached. */
	size_t key_len;
	unsigned char key[];
};

/* LMDB and errno codes whose status is not KV_EIO. */
static const struct {
	int rc;
	kv_status st;
} rc_table[] = {
	{ MDB_CORRUPTED, KV_ECORRUPT }, { MDB_PAGE_NOTFOUND, KV_ECORRUPT },
	{ MDB_CURSOR_FULL, KV_ECORRUPT }, /* a tree deeper than can be */
	{ MDB_INVALID, KV_EFORMAT }, { MDB_VERSION_MISMATCH, KV_EFORMAT },
	{ MDB_INCOMPATIBLE, KV_EFORMAT }, { MDB_MAP_FULL, KV_EFULL },
	{ MDB_TXN_FULL, KV_EFULL }, { ENOSPC, KV_EFULL }, { EFBIG, KV_EFULL },
	{ MDB_BAD_VALSIZE, KV_ETOOBIG }, { MDB_READERS_FULL, KV_EBUSY },
#ifdef MDB_BUSY
	{ MDB_BUSY, KV_EBUSY },
#endif
	{ EAGAIN, KV_EBUSY }, { EBUSY, KV_EBUSY }, { ENOMEM, KV_ENOMEM },
	{ EACCES, KV_EREADONLY }, { EPERM, KV_EREADONLY },
	{ EROFS, KV_EREADONLY }, { ENOENT, KV_ENOENT }, { EINVAL, KV_EINVAL },
};

/* Translate an LMDB or errno code into a kv_status, recording LMDB's text
 * for all but the two answers callers expect. */
static kv_status map_rc(int rc, const char *what)
{
	kv_status st = KV_EIO;
	size_t i;

	if (rc == MDB_SUCCESS)
		return KV_OK;
	if (rc == MDB_NOTFOUND)
		return KV_NOTFOUND;
	if (rc == MDB_KEYEXIST)
		return KV_EXISTS;
	for (i = 0; i < sizeof rc_table / sizeof rc_table[0]; i++)
		if (rc_table[i].rc == rc)
			st = rc_table[i].st;
	return kv__error(st, "%s: %s", what, mdb_strerror(rc));
}

/* Write up to KEY_SHOWN bytes of a key into buf as text for a message:
 * printable ASCII as it is, other bytes, quote and backslash escaped. */
static const char *show_key(char buf[4 * KEY_SHOWN + 4], const void *key,
                            size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = key;
	size_t i, n = 0;

	for (i = 0; i < len && i < KEY_SHOWN; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' &&
		    p[i] != '\\') {
			buf[n++] = (char)p[i];
			continue;
		}
		buf[n++] = '\\';
		buf[n++] = 'x';
		buf[n++] = hex[p[i] >> 4];
		buf[n++] = hex[p[i] & 0xf];
	}
	if (len > KEY_SHOWN) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Report a damaged "data" frame: out of line, so that unframing a sound
 * record formats nothing and reserves no room for the message. */
static __attribute__((noinline, cold)) kv_status
damaged(const kv__btxn *t, const MDB_val *k, const MDB_val *v)
{
	char shown[4 * KEY_SHOWN + 4];

	show_key(shown, k->mv_data, k->mv_size);
	if (v->mv_size == 0)
		return kv__error(KV_ECORRUPT, "%s: damaged record \"%s\": "
		                 "empty stored value, no tag length byte",
		                 t->env->path, shown);
	return kv__error(KV_ECORRUPT, "%s: damaged record \"%s\": tag of %u "
	                 "bytes in a stored value of %zu bytes", t->env->path,
	                 shown, (unsigned int)((const unsigned char *)
	                                       v->mv_data)[0],
	                 (size_t)v->mv_size);
}

/* Point out at the tag and value framed in a stored record, both borrowed
 * from the map; a "data" value whose length byte is missing or claims more
 * than is there was damaged on disk, and nothing past its end is read. */
static inline kv_status unframe(kv__bval *out, const kv__btxn *t, kv__ns ns,
                                const MDB_val *k, const MDB_val *v)
{
	const unsigned char *p = v->mv_data;
	size_t tag_len;

	if (ns != KV__NS_DATA) {
		out->val = v->mv_data;
		out->val_len = v->mv_size;
		out->tag = NULL;
		out->tag_len = 0;
		return KV_OK;
	}
	if (v->mv_size == 0 || (tag_len = p[0]) > v->mv_size - 1)
		return damaged(t, k, v);
	out->tag = tag_len > 0 ? p + 1 : NULL;
	out->tag_len = tag_len;
	out->val = p + 1 + tag_len;
	out->val_len = v->mv_size - 1 - tag_len;
	return KV_OK;
}

/* Recognise an LMDB data file by its first meta page. */
static int probe(const unsigned char *head, size_t len)
{
	uint16_t flags;
	uint32_t magic;

	if (len < META_MAGIC_OFF + 8)
		return 0;
	memcpy(&flags, head + PAGE_FLAGS_OFF, sizeof flags);
	memcpy(&magic, head + META_MAGIC_OFF, sizeof magic);
	return (flags & P_META) != 0 && magic == META_MAGIC;
}

static struct timespec deadline_in(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Take the map lock shared, first letting a waiting resize go ahead: the
 * default rwlock prefers readers, so a steady stream of new transactions
 * could starve it.  The wait is bounded because this thread may already
 * hold the lock through another transaction. */
static void map_lock_shared(kv__benv *env)
{
	if (atomic_load(&env->growers) > 0) {
		struct timespec until = deadline_in(GATE_WAIT_MS);

		pthread_mutex_lock(&env->gate_mu);
		while (atomic_load(&env->growers) > 0 &&
		       pthread_cond_timedwait(&env->gate_cv, &env->gate_mu,
		                              &until) == 0)
			;
		pthread_mutex_unlock(&env->gate_mu);
	}
	pthread_rwlock_rdlock(&env->map_lock);
}

/* Take the map lock exclusively within ms milliseconds; 0 when taken. */
static int map_lock_excl(kv__benv *env, long ms)
{
	struct timespec until = deadline_in(ms);
	int rc;

	atomic_fetch_add(&env->growers, 1);
	rc = pthread_rwlock_timedwrlock(&env->map_lock, &until);
	pthread_mutex_lock(&env->gate_mu);
	atomic_fetch_sub(&env->growers, 1);
	pthread_cond_broadcast(&env->gate_cv);
	pthread_mutex_unlock(&env->gate_mu);
	return rc;
}

/* Bytes of the file in use at the last commit. */
static size_t used_bytes(kv__benv *env, MDB_envinfo *info)
{
	mdb_env_info(env->env, info);
	return (info->me_last_pgno + 1) * env->psize;
}

/* Remap the file: need 0 adopts the size another process gave it, else the
 * map at least doubles and keeps doubling until it reaches need.  The caller
 * holds the map lock exclusively, so no transaction of ours sees the move. */
static kv_status resize_locked(kv__benv *env, size_t need)
{
	MDB_envinfo info;
	size_t size = 0;
	int rc;

	if (env->broken)
		return kv__error(KV_EIO, "%s: LMDB map was lost; reopen the store",
		                 env->path);
	if (need > 0) {
		mdb_env_info(env->env, &info);
		size = info.me_mapsize;
		do {
			if (size > SIZE_MAX / 2)
				return kv__error(KV_EFULL, "%s: LMDB map cannot "
				                 "grow past %zu bytes", env->path, size);
			size *= 2;
		} while (size < need);
	}
	rc = mdb_env_set_mapsize(env->env, size);
	if (rc != MDB_SUCCESS) {
		env->broken = 1; /* LMDB unmaps before mapping again */
		return map_rc(rc, "mdb_env_set_mapsize");
	}
	return KV_OK;
}

/* Before a write transaction, double a map that is over half full, but
 * only if readers let go quickly: this is headroom, not need.  Called and
 * returns with the map lock held shared. */
static void grow_headroom(kv__benv *env)
{
	MDB_envinfo info;
	size_t used = used_bytes(env, &info);

	if (used <= info.me_mapsize / 2)
		return;
	pthread_rwlock_unlock(&env->map_lock);
	if (map_lock_excl(env, HEADROOM_WAIT_MS) == 0) {
		(void)resize_locked(env, 2 * used); /* a failure shows at begin */
		pthread_rwlock_unlock(&env->map_lock);
	}
	map_lock_shared(env);
}

/* The pool stripe of the calling thread. */
static struct stripe *my_stripe(kv__benv *env)
{
	static atomic_uint next_id;
	static _Thread_local unsigned int id;

	if (id == 0)
		id = atomic_fetch_add(&next_id, 1) + 1;
	return &env->pool[id % POOL_STRIPES];
}

/* Begin, or renew a pooled, LMDB transaction for t under the map lock,
 * adopting the map size when another process has grown the file.  On
 * success t holds the lock shared; on failure t->txn is NULL. */
static kv_status txn_start(kv__btxn *t)
{
	kv__benv *env = t->env;
	kv_status st;
	int rc = MDB_SUCCESS, tries;

	for (tries = 0; tries < 4; tries++) {
		map_lock_shared(env);
		if (env->broken) {
			pthread_rwlock_unlock(&env->map_lock);
			return kv__error(KV_EIO, "%s: LMDB map was lost; reopen "
			                 "the store", env->path);
		}
		if (t->write)
			grow_headroom(env);
		if (t->txn != NULL)
			rc = mdb_txn_renew(t->txn);
		else
			rc = mdb_txn_begin(env->env, NULL,
			                   t->write ? 0 : MDB_RDONLY, &t->txn);
		if (rc == MDB_SUCCESS) {
			t->locked = 1;
			return KV_OK;
		}
		pthread_rwlock_unlock(&env->map_lock);
		if (t->txn != NULL) {
			mdb_txn_abort(t->txn);
			t->txn = NULL;
		}
		if (rc != MDB_MAP_RESIZED)
			break;
		if (map_lock_excl(env, KV_LMDB_GROW_WAIT_MS) != 0)
			return kv__error(KV_EBUSY, "%s: another process grew the "
			                 "store and transactions here stayed open "
			                 "for %ld ms", env->path,
			                 (long)KV_LMDB_GROW_WAIT_MS);
		st = resize_locked(env, 0);
		pthread_rwlock_unlock(&env->map_lock);
		if (st != KV_OK)
			return st;
	}
	return map_rc(rc, "mdb_txn_begin");
}

/* End a read transaction, keeping it reset for the next reader. */
static void read_end(kv__btxn *t)
{
	struct stripe *s = my_stripe(t->env);

	mdb_txn_reset(t->txn);
	pthread_rwlock_unlock(&t->env->map_lock);
	t->locked = 0;
	pthread_mutex_lock(&s->mu);
	if (s->len < POOL_PER_STRIPE) {
		t->next = s->head;
		s->head = t;
		s->len++;
		t = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	if (t != NULL) {
		mdb_txn_abort(t->txn);
		free(t);
	}
}

/* Give up t's LMDB transaction and the map lock; LMDB frees a write
 * transaction's cursors with it, so ours forget theirs. */
static void write_drop(kv__btxn *t)
{
	kv__bcur *c;

	if (t->txn != NULL) {
		mdb_txn_abort(t->txn);
		t->txn = NULL;
	}
	for (c = t->cursors; c != NULL; c = c->next)
		c->cur = NULL;
	if (t->locked) {
		pthread_rwlock_unlock(&t->env->map_lock);
		t->locked = 0;
	}
}

/* End a write transaction, keeping its log buffer for the next one. */
static void write_end(kv__btxn *t)
{
	kv__benv *env = t->env;

	write_drop(t);
	if (t->log != NULL && env->spare_log == NULL && t->log_cap <= LOG_KEEP) {
		env->spare_log = t->log;
		env->spare_cap = t->log_cap;
	} else {
		free(t->log);
	}
	free(t);
}

/* Every later call on a write transaction that regrow gave up. */
static kv_status lost(const kv__btxn *t)
{
	return kv__error(t->lost, "%s: transaction was abandoned while the "
	                 "LMDB map grew", t->env->path);
}

/* Copy one write to the free tail of t's log, growing it; it counts only
 * once the caller adds it to log_len.  Writes are applied from this copy,
 * which stays valid even if the caller's bytes pointed into the map, where
 * the write itself may move or overwrite them. */
static unsigned char *log_stage(kv__btxn *t, const struct redo_op *h,
                                const void *key, const void *tag,
                                const void *val)
{
	size_t need, cap = t->log_cap ? t->log_cap : 4096;
	unsigned char *p;

	if (h->val_len > SIZE_MAX - sizeof *h - h->key_len - h->tag_len)
		return NULL;
	need = sizeof *h + h->key_len + h->tag_len + h->val_len;
	if (t->log_cap - t->log_len < need) {
		while (cap - t->log_len < need) {
			if (cap > SIZE_MAX / 2)
				return NULL;
			cap *= 2;
		}
		p = realloc(t->log, cap);
		if (p == NULL)
			return NULL;
		t->log = p;
		t->log_cap = cap;
	}
	p = t->log + t->log_len;
	memcpy(p, h, sizeof *h);
	p += sizeof *h;
	if (h->key_len > 0)
		memcpy(p, key, h->key_len);
	p += h->key_len;
	if (h->tag_len > 0)
		memcpy(p, tag, h->tag_len);
	p += h->tag_len;
	if (h->val_len > 0)
		memcpy(p, val, h->val_len);
	return t->log + t->log_len;
}

/* Apply one log entry to t's LMDB transaction, adding the mdb_put flags
 * more to its own; *size gets its length.  A "data" record is framed in
 * place: MDB_RESERVE hands back its room in the map, filled here from the
 * log before LMDB is called again.  On MDB_KEYEXIST *v is the record left
 * in place, borrowed from the map until the next write. */
static int log_apply(kv__btxn *t, const unsigned char *entry,
                     unsigned int more, MDB_val *v, size_t *size)
{
	const unsigned char *tag, *val;
	unsigned char *room;
	struct redo_op h;
	MDB_val k;
	int rc;

	memcpy(&h, entry, sizeof h);
	*size = sizeof h + h.key_len + h.tag_len + h.val_len;
	k.mv_size = h.key_len;
	k.mv_data = (void *)(entry + sizeof h);
	if (h.op == OP_DEL)
		return mdb_del(t->txn, t->env->dbi[h.ns], &k, NULL);
	tag = entry + sizeof h + h.key_len;
	val = tag + h.tag_len;
	if (h.ns != KV__NS_DATA) {
		v->mv_size = h.val_len;
		v->mv_data = (void *)val;
		return mdb_put(t->txn, t->env->dbi[h.ns], &k, v,
		               h.flags | more);
	}
	v->mv_size = 1 + (size_t)h.tag_len + h.val_len;
	v->mv_data = NULL;
	rc = mdb_put(t->txn, t->env->dbi[h.ns], &k, v,
	             h.flags | more | MDB_RESERVE);
	if (rc != MDB_SUCCESS)
		return rc; /* with MDB_KEYEXIST, v is the old value: leave it */
	room = v->mv_data;
	room[0] = h.tag_len;
	if (h.tag_len > 0)
		memcpy(room + 1, tag, h.tag_len);
	if (h.val_len > 0)
		memcpy(room + 1 + h.tag_len, val, h.val_len);
	return MDB_SUCCESS;
}

/* Fill old from the record a write is about to replace.  The tag is
 * copied at once: v points into the map or a dirty page, which the next
 * write may move or reuse.  A damaged "data" frame fails as a read of it
 * does, since no tag can be reported for it. */
static kv_status note_old(kv__bold *old, const kv__btxn *t, kv__ns ns,
                          const MDB_val *k, const MDB_val *v)
{
	kv__bval bv = { NULL, 0, NULL, 0 };
	kv_status st = unframe(&bv, t, ns, k, v);

	if (st != KV_OK)
		return st;
	old->existed = 1;
	old->tag_len = bv.tag_len;
	if (bv.tag_len > 0)
		memcpy(old->tag, bv.tag, bv.tag_len);
	return KV_OK;
}

/* The first application of a staged entry whose caller wants old, with
 * no lookup of its own: a put tries MDB_NOOVERWRITE first, which for a new
 * key is the write itself and for an existing one hands back the record to
 * note before the overwriting put; a delete finds the record with a cursor,
 * notes it and deletes it there.  *noted is set once old is filled in from
 * a record found; a new key leaves old as put/del cleared it. */
static int apply_noting(kv__btxn *t, const unsigned char *entry, size_t *size,
                        kv__bold *old, int *noted)
{
	MDB_cursor *cur;
	struct redo_op h;
	MDB_val k, v;
	int rc;

	memcpy(&h, entry, sizeof h);
	k.mv_size = h.key_len;
	k.mv_data = (void *)(entry + sizeof h);
	if (h.op == OP_PUT) {
		rc = log_apply(t, entry, MDB_NOOVERWRITE, &v, size);
		if (rc != MDB_KEYEXIST)
			return rc;
		if (note_old(old, t, (kv__ns)h.ns, &k, &v) != KV_OK)
			return RC_DAMAGED;
		*noted = 1;
		if (h.flags & MDB_NOOVERWRITE)
			return MDB_KEYEXIST; /* the caller's answer */
		return log_apply(t, entry, 0, &v, size);
	}
	*size = sizeof h + h.key_len;
	rc = mdb_cursor_open(t->txn, t->env->dbi[h.ns], &cur);
	if (rc != MDB_SUCCESS)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	if (rc == MDB_SUCCESS &&
	    note_old(old, t, (kv__ns)h.ns, &k, &v) != KV_OK)
		rc = RC_DAMAGED;
	if (rc == MDB_SUCCESS) {
		*noted = 1;
		rc = mdb_cursor_del(cur, 0);
	}
	mdb_cursor_close(cur);
	return rc;
}

/* Put c on the first key >= start.  A start longer than LMDB's longest key
 * sorts after exactly the keys <= its truncation, so seek that and step
 * over an equal key. */
static int cursor_seek(kv__bcur *c, const void *start, size_t len,
                       MDB_val *k, MDB_val *v)
{
	size_t max = c->txn->env->maxkey;
	int rc;

	if (len == 0)
		return mdb_cursor_get(c->cur, k, v, MDB_FIRST);
	k->mv_size = len < max ? len : max;
	k->mv_data = (void *)start;
	rc = mdb_cursor_get(c->cur, k, v, MDB_SET_RANGE);
	if (rc == MDB_SUCCESS && len > max && k->mv_size == max &&
	    memcmp(k->mv_data, start, max) == 0)
		rc = mdb_cursor_get(c->cur, k, v, MDB_NEXT);
	return rc;
}

/* After a replay, give t's cursors new LMDB cursors at the keys they had
 * reached; one whose key is gone will next return the key after it. */
static int cursors_reopen(kv__btxn *t)
{
	kv__bcur *c;
	MDB_val k, v;
	int rc;

	for (c = t->cursors; c != NULL; c = c->next) {
		rc = mdb_cursor_open(t->txn, t->env->dbi[c->ns], &c->cur);
		if (rc != MDB_SUCCESS)
			return rc;
		if (c->state != CUR_STARTED)
			continue; /* a pending cursor seeks its key anyway */
		rc = cursor_seek(c, c->key, c->key_len, &k, &v);
		if (rc == MDB_NOTFOUND || (rc == MDB_SUCCESS &&
		    (k.mv_size != c->key_len ||
		     memcmp(k.mv_data, c->key, c->key_len) != 0)))
			c->state = CUR_PENDING;
		else if (rc != MDB_SUCCESS)
			return rc;
	}
	return MDB_SUCCESS;
}

/* Abort t's LMDB transaction, grow the map until t's writes plus pending
 * more bytes fit, and replay the log into a new transaction so the caller
 * can retry what hit MDB_MAP_FULL.  On failure t is lost for good. */
static kv_status regrow(kv__btxn *t, size_t pending)
{
	kv__benv *env = t->env;
	MDB_envinfo info;
	MDB_val v;
	size_t off, step, need;
	kv_status st;
	int rc;

	for (;;) {
		write_drop(t);
		if (map_lock_excl(env, KV_LMDB_GROW_WAIT_MS) != 0) {
			st = kv__error(KV_EFULL, "%s: LMDB map is full and cannot "
			               "grow: read transactions stayed open for "
			               "%ld ms", env->path, (long)KV_LMDB_GROW_WAIT_MS);
			goto done;
		}
		need = used_bytes(env, &info) + t->log_len + pending;
		st = resize_locked(env, need > SIZE_MAX / 2 ? SIZE_MAX : 2 * need);
		pthread_rwlock_unlock(&env->map_lock);
		if (st == KV_OK)
			st = txn_start(t);
		if (st != KV_OK)
			goto done;
		if (mdb_txn_id(t->txn) != t->txnid) {
			st = kv__error(KV_EBUSY, "%s: another process committed "
			               "while the LMDB map grew; retry the "
			               "transaction", env->path);
			goto done;
		}
		rc = MDB_SUCCESS;
		for (off = 0; off < t->log_len && rc == MDB_SUCCESS; off += step)
			rc = log_apply(t, t->log + off, 0, &v, &step);
		if (rc == MDB_MAP_FULL)
			continue;
		if (rc == MDB_SUCCESS)
			rc = cursors_reopen(t);
		if (rc == MDB_SUCCESS)
			return KV_OK;
		st = map_rc(rc, "replaying a transaction after LMDB map growth");
		goto done;
	}
done:
	write_drop(t);
	t->lost = st;
	return st;
}

/* Apply one put or delete to a write transaction, growing the map when it
 * is full, and keep it in the redo log once it has succeeded; old, when
 * not NULL, gets what it replaced.
 *
 * old and the redo log: old is learnt only at the first application of a
 * write, never from a replay, and each call reports it once.
 *  - The log holds only writes that succeeded, in the form that replays
 *    them (a put with the caller's flags, a delete), never old.  A replay
 *    in regrow applies them with old NULL into a transaction on the same
 *    snapshot (it checks the txnid), so it rebuilds exactly the state each
 *    had met, and reports nothing: what their callers were told stands.
 *  - A NOOVERWRITE hit or a delete of an absent key changes nothing and is
 *    not logged, so a replay cannot turn it into a write.
 *  - When the current write finds the map full, it is retried after the
 *    replay.  If old was noted already (the record existed), the retry is
 *    the logged form alone: the replay rebuilt the state old was read from,
 *    so old stays right and is not taken twice.  If not (a new key, whose
 *    insert hit the full map), the noting attempt is repeated; it sets old,
 *    it never adds to it.
 *  - Any status but KV_OK, KV_EXISTS (put) and KV_NOTFOUND (del) means the
 *    write did not happen, or the transaction was lost: the caller must
 *    not use old then. */
static kv_status write_op(kv__btxn *t, const struct redo_op *h,
                          const void *key, const void *tag, const void *val,
                          kv__bold *old)
{
	unsigned char *entry;
	size_t size;
	kv_status st;
	MDB_val v;
	int rc, noted = 0;

	if (!t->write)
		return kv__error(KV_EREADONLY, "write in a read transaction");
	if (t->txn == NULL)
		return lost(t);
	entry = log_stage(t, h, key, tag, val);
	if (entry == NULL)
		return kv__error(KV_ENOMEM, "out of memory for the LMDB redo log");
	for (;;) {
		if (old != NULL && !noted)
			rc = apply_noting(t, entry, &size, old, &noted);
		else
			rc = log_apply(t, entry, 0, &v, &size);
		if (rc != MDB_MAP_FULL)
			break;
		st = regrow(t, size);
		if (st != KV_OK)
			return st;
	}
	if (rc == RC_DAMAGED)
		return KV_ECORRUPT;
	if (rc != MDB_SUCCESS)
		return map_rc(rc, h->op == OP_PUT ? "mdb_put" : "mdb_del");
	t->log_len += size;
	return KV_OK;
}

/* Start a transaction; a read one reuses a pooled LMDB transaction,
 * which costs far less than mdb_txn_begin. */
static kv_status txn_begin(kv__btxn **out, kv__benv *env, int write)
{
	struct stripe *s = my_stripe(env);
	kv__btxn *t = NULL;
	kv_status st;

	if (write && env->readonly)
		return kv__error(KV_EREADONLY, "%s: store is open read-only",
		                 env->path);
	if (!write) {
		pthread_mutex_lock(&s->mu);
		t = s->head;
		if (t != NULL) {
			s->head = t->next;
			s->len--;
		}
		pthread_mutex_unlock(&s->mu);
	}
	if (t == NULL) {
		t = calloc(1, sizeof *t);
		if (t == NULL)
			return kv__error(KV_ENOMEM, "out of memory");
		t->env = env;
		t->write = write;
	}
	st = txn_start(t);
	if (st != KV_OK) {
		free(t);
		return st;
	}
	if (write) {
		t->txnid = mdb_txn_id(t->txn);
		t->log = env->spare_log;
		t->log_cap = env->spare_cap;
		env->spare_log = NULL;
		env->spare_cap = 0;
	}
	*out = t;
	return KV_OK;
}

/* Commit a write transaction, growing the map if the commit needs it. */
static kv_status txn_commit(kv__btxn *t)
{
	kv_status st = KV_OK;
	int rc;

	if (!t->write) {
		read_end(t);
		return KV_OK;
	}
	if (t->txn == NULL)
		st = lost(t);
	while (t->txn != NULL) {
		rc = mdb_txn_commit(t->txn); /* frees it, even on failure */
		t->txn = NULL;
		if (rc == MDB_MAP_FULL)
			st = regrow(t, 0);
		else if (rc != MDB_SUCCESS)
			st = map_rc(rc, "mdb_txn_commit");
	}
	write_end(t);
	return st;
}

/* LMDB's own synced commit: one fdatasync for the data, then the meta
 * page written through its O_DSYNC descriptor, where a commit under
 * MDB_NOMETASYNC and then mdb_env_sync costs a second fdatasync.  The
 * flag is only read by commits, and the core holds the writer lock. */
static kv_status txn_commit_synced(kv__btxn *t)
{
	MDB_env *env = t->env->env;
	kv_status st;

	mdb_env_set_flags(env, MDB_NOMETASYNC, 0);
	st = txn_commit(t);
	mdb_env_set_flags(env, MDB_NOMETASYNC, 1);
	return st;
}

static void txn_abort(kv__btxn *t)
{
	if (t->write)
		write_end(t);
	else
		read_end(t);
}

/* Zero-copy lookup: value and tag stay in the map until the transaction
 * ends or, in a write transaction, until its next write. */
static kv_status get(kv__bval *out, kv__btxn *t, kv__ns ns, const void *key,
                     size_t key_len)
{
	MDB_val k, v;
	int rc;

	if (t->txn == NULL)
		return lost(t);
	k.mv_size = key_len;
	k.mv_data = (void *)key;
	rc = mdb_get(t->txn, t->env->dbi[ns], &k, &v);
	if (rc == MDB_SUCCESS)
		return unframe(out, t, ns, &k, &v);
	if (rc == MDB_BAD_VALSIZE) /* a key too long to be stored */
		return KV_NOTFOUND;
	return map_rc(rc, "mdb_get");
}

/* Store a record, with its tag in "data"; the limits are checked first so
 * the message names them.  With old, a damaged record in the way is
 * KV_ECORRUPT, as a get of it is; without, it is overwritten as ever. */
static kv_status put(kv__btxn *t, kv__ns ns, const void *key, size_t key_len,
                     const kv__bval *val, unsigned int flags, kv__bold *old)
{
	struct redo_op h = { OP_PUT, (unsigned char)ns, 0, 0, key_len,
	                     val->val_len };
	unsigned long long frame = 0;

	if (old != NULL) {
		old->existed = 0;
		old->tag_len = 0;
	}
	if (val->tag_len > KV__TAG_MAX)
		return kv__error(KV_EINVAL, "tag of %zu bytes is longer than "
		                 "%d bytes", val->tag_len, KV__TAG_MAX);
	if (ns == KV__NS_DATA) {
		h.tag_len = (unsigned char)val->tag_len;
		frame = 1 + (unsigned long long)val->tag_len;
	}
	if (key_len > t->env->maxkey)
		return kv__error(KV_ETOOBIG, "key of %zu bytes is longer than "
		                 "LMDB's limit of %zu bytes", key_len,
		                 t->env->maxkey);
	if ((unsigned long long)val->val_len > MAX_VAL_LEN - frame)
		return kv__error(KV_ETOOBIG, "value of %zu bytes is larger than "
		                 "LMDB's limit of %llu bytes", val->val_len,
		                 MAX_VAL_LEN - frame);
	if (flags & KV_PUT_NOOVERWRITE)
		h.flags = MDB_NOOVERWRITE;
	return write_op(t, &h, key, val->tag, val->val, old);
}

/* Delete a record; with old, as for put. */
static kv_status del(kv__btxn *t, kv__ns ns, const void *key, size_t key_len,
                     kv__bold *old)
{
	struct redo_op h = { OP_DEL, (unsigned char)ns, 0, 0, key_len, 0 };

	if (old != NULL) {
		old->existed = 0;
		old->tag_len = 0;
	}
	if (t->write && key_len > t->env->maxkey)
		return KV_NOTFOUND;
	return write_op(t, &h, key, NULL, NULL, old);
}

/* Open a cursor before the first key >= start; a cursor of a write
 * transaction joins its list so that regrow can re-create it. */
static kv_status cursor_open(kv__bcur **out, kv__btxn *t, kv__ns ns,
                             const void *start, size_t start_len)
{
	size_t room = 0;
	kv__bcur *c;
	MDB_val k, v;
	int rc;

	if (t->txn == NULL)
		return lost(t);
	/* In a write transaction the cursor keeps start and seeks it at its
	 * first step instead, so that it sees the writes made in between. */
	if (t->write)
		room = start_len > t->env->maxkey ? start_len : t->env->maxkey;
	c = calloc(1, sizeof *c + room);
	if (c == NULL)
		return kv__error(KV_ENOMEM, "out of memory");
	c->txn = t;
	c->ns = ns;
	c->state = CUR_PENDING;
	rc = mdb_cursor_open(t->txn, t->env->dbi[ns], &c->cur);
	if (rc == MDB_SUCCESS && !t->write) {
		rc = cursor_seek(c, start, start_len, &k, &v);
		if (rc == MDB_NOTFOUND) {
			c->state = CUR_EOF;
			rc = MDB_SUCCESS;
		}
	}
	if (rc != MDB_SUCCESS) {
		if (c->cur != NULL)
			mdb_cursor_close(c->cur);
		free(c);
		return map_rc(rc, "mdb_cursor_open");
	}
	if (t->write) {
		if (start_len > 0)
			memcpy(c->key, start, start_len);
		c->key_len = start_len;
		c->next = t->cursors;
		if (c->next != NULL)
			c->next->prev = c;
		t->cursors = c;
	}
	*out = c;
	return KV_OK;
}

/* Step to the next record; write transactions remember the key reached
 * so that cursors_reopen can find the place again.  A damaged record is
 * reported as KV_ECORRUPT and stepped over by the next call. */
static kv_status cursor_next(kv__bcur *c, const void **key, size_t *key_len,
                             kv__bval *val)
{
	kv_status st;
	MDB_val k, v;
	int rc;

	if (c->txn->txn == NULL)
		return lost(c->txn);
	if (c->state == CUR_EOF)
		return KV_NOTFOUND;
	if (c->state == CUR_STARTED)
		rc = mdb_cursor_get(c->cur, &k, &v, MDB_NEXT);
	else if (c->txn->write)
		rc = cursor_seek(c, c->key, c->key_len, &k, &v);
	else
		rc = mdb_cursor_get(c->cur, &k, &v, MDB_GET_CURRENT);
	if (rc != MDB_SUCCESS) {
		c->state = CUR_EOF; /* after damage LMDB cannot go on either */
		return map_rc(rc, "mdb_cursor_get");
	}
	c->state = CUR_STARTED;
	if (c->txn->write) {
		memcpy(c->key, k.mv_data, k.mv_size);
		c->key_len = k.mv_size;
	}
	st = unframe(val, c->txn, c->ns, &k, &v);
	*key = k.mv_data; /* also on failure: only this record is damaged */
	*key_len = k.mv_size;
	return st;
}

static void cursor_close(kv__bcur *c)
{
	kv__btxn *t;

	if (c == NULL)
		return;
	t = c->txn;
	if (c->cur != NULL)
		mdb_cursor_close(c->cur);
	if (t->write) {
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			t->cursors = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
	}
	free(c);
}

/* Look at path before LMDB does: LMDB creates a missing data file even
 * without a create flag, and puts a lock file beside a foreign one.  A new
 * file is created here so that it gets exactly mode, whatever the umask;
 * LMDB takes an empty data file for a new environment. */
static kv_status prepare_file(const char *path, int create, unsigned int mode,
                              int *created, size_t *size)
{
	unsigned char head[META_MAGIC_OFF + 8];
	struct stat sb;
	ssize_t n = -1;
	int fd, err = 0;

	if (create) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		          (mode_t)mode);
		if (fd >= 0) {
			*created = 1;
			if (fchmod(fd, (mode_t)mode) != 0)
				err = errno;
			close(fd);
			return err ? map_rc(err, path) : KV_OK;
		}
		if (errno != EEXIST)
			return map_rc(errno, path);
	}
	if (stat(path, &sb) != 0)
		return errno == ENOENT ? kv__error(KV_ENOENT, "%s: no such LMDB "
		                                   "store", path)
		                       : map_rc(errno, path);
	if (!S_ISREG(sb.st_mode))
		return kv__error(KV_EFORMAT, "%s: not a regular file, so not an "
		                 "LMDB store", path);
	if (sb.st_size == 0)
		return create ? KV_OK : kv__error(KV_EFORMAT, "%s: empty file, "
		                                  "not an LMDB store", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = pread(fd, head, sizeof head, 0);
		err = errno;
		close(fd);
	}
	if (n < 0)
		return map_rc(fd < 0 ? errno : err, path);
	if (!probe(head, (size_t)n))
		return kv__error(KV_EFORMAT, "%s: not an LMDB store: no LMDB meta "
		                 "page at its start", path);
	*size = (size_t)sb.st_size;
	/* LMDB would follow damaged meta pages out of its map and crash. */
	return kv__lmdb_meta_check(path);
}

/* Open the two databases for the environment's lifetime.  A writable open
 * creates them, with the format marker, where "data" is missing, and
 * KV_OPEN_TRUNCATE empties them and writes the marker again. */
static kv_status open_dbis(kv__benv *env, int truncate)
{
	MDB_txn *txn = NULL;
	MDB_val k = { sizeof FORMAT_KEY - 1, FORMAT_KEY };
	MDB_val v = { sizeof FORMAT_VERSION - 1, FORMAT_VERSION };
	unsigned int create = env->readonly ? 0 : MDB_CREATE;
	int fresh = truncate, rc;

	rc = mdb_txn_begin(env->env, NULL, env->readonly ? MDB_RDONLY : 0, &txn);
	if (rc == MDB_SUCCESS)
		rc = mdb_dbi_open(txn, "data", 0, &env->dbi[KV__NS_DATA]);
	if (rc == MDB_NOTFOUND && create) {
		fresh = 1;
		rc = mdb_dbi_open(txn, "data", create, &env->dbi[KV__NS_DATA]);
	}
	if (rc == MDB_SUCCESS)
		rc = mdb_dbi_open(txn, "kv_meta", create, &env->dbi[KV__NS_META]);
	if (rc == MDB_SUCCESS && truncate)
		rc = mdb_drop(txn, env->dbi[KV__NS_DATA], 0);
	if (rc == MDB_SUCCESS && truncate)
		rc = mdb_drop(txn, env->dbi[KV__NS_META], 0);
	if (rc == MDB_SUCCESS && fresh)
		rc = mdb_put(txn, env->dbi[KV__NS_META], &k, &v, 0);
	if (rc == MDB_SUCCESS) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return kv__error(KV_EFORMAT, "%s: LMDB environment without "
		                 "libkv's \"data\" and \"kv_meta\" databases",
		                 env->path);
	return map_rc(rc, env->path);
}

/* The map size a new or small store starts with: $KV_LMDB_MAP_SIZE bytes
 * when set (a smaller map lets tests reach growth, and suits machines
 * whose address space is tight), else KV_LMDB_INITIAL_MAP. */
static size_t initial_map_size(void)
{
	const char *env = getenv("KV_LMDB_MAP_SIZE");
	unsigned long long v;
	char *end;

	if (!env || !*env)
		return KV_LMDB_INITIAL_MAP;
	v = strtoull(env, &end, 10);
	if (*end || v < (1u << 16) || v > SIZE_MAX)
		return KV_LMDB_INITIAL_MAP;
	return (size_t)v;
}

/* Create and open the LMDB environment with a map of map_size bytes; on
 * failure nothing of it is left open, so the caller may retry. */
static int env_try_open(kv__benv *env, unsigned int mdb_flags,
                        unsigned int mode, size_t map_size)
{
	int rc = mdb_env_create(&env->env);

	if (rc != MDB_SUCCESS) {
		env->env = NULL;
		return rc;
	}
	rc = mdb_env_set_maxreaders(env->env, 1024);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_set_maxdbs(env->env, 4);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_set_mapsize(env->env, map_size);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_open(env->env, env->path, mdb_flags,
		                  (mdb_mode_t)mode);
	if (rc != MDB_SUCCESS) {
		mdb_env_close(env->env);
		env->env = NULL;
	}
	return rc;
}

/* Release everything an environment holds; no transaction may be open. */
static void env_free(kv__benv *env)
{
	kv__btxn *t;
	int i;

	if (env == NULL)
		return;
	for (i = 0; i < POOL_STRIPES; i++) {
		while ((t = env->pool[i].head) != NULL) {
			env->pool[i].head = t->next;
			mdb_txn_abort(t->txn);
			free(t);
		}
	}
	if (env->env != NULL)
		mdb_env_close(env->env);
	if (env->locks_ready) {
		pthread_rwlock_destroy(&env->map_lock);
		pthread_mutex_destroy(&env->gate_mu);
		pthread_cond_destroy(&env->gate_cv);
		for (i = 0; i < POOL_STRIPES; i++)
			pthread_mutex_destroy(&env->pool[i].mu);
	}
	free(env->spare_log);
	free(env->path);
	free(env);
}


/* Open the store at a path, creating or emptying it as the flags ask. */
static kv_status env_open(kv__benv **out, const kv__bopen *args)
{
	const char *path = args->path;
	unsigned int flags = args->flags;
	unsigned int mdb_flags = MDB_NOSUBDIR | MDB_NOTLS;
	kv__benv *env;
	size_t file_size = 0, map_size = initial_map_size();
	MDB_stat ms;
	int created = 0, dead, rc, i, lock_rc;
	kv_status st;

	if (flags != KV_OPEN_READONLY && flags != KV_OPEN_READWRITE &&
	    flags != KV_OPEN_CREATE && flags != KV_OPEN_TRUNCATE)
		return kv__error(KV_EINVAL, "%s: bad open flags 0x%x", path, flags);
	env = calloc(1, sizeof *env);
	if (env == NULL || (env->path = strdup(path)) == NULL) {
		st = kv__error(KV_ENOMEM, "out of memory");
		goto done;
	}
	lock_rc = pthread_rwlock_init(&env->map_lock, NULL) |
	          pthread_mutex_init(&env->gate_mu, NULL) |
	          pthread_cond_init(&env->gate_cv, NULL);
	for (i = 0; i < POOL_STRIPES; i++)
		lock_rc |= pthread_mutex_init(&env->pool[i].mu, NULL);
	if (lock_rc != 0) { /* not on glibc, where the inits allocate nothing */
		st = kv__error(KV_ENOMEM, "out of memory for locks");
		goto done;
	}
	env->locks_ready = 1;
	atomic_init(&env->growers, 0);
	env->readonly = flags == KV_OPEN_READONLY;

	st = prepare_file(path, (flags & KV_OPEN_CREATE) == KV_OPEN_CREATE,
	                  args->mode, &created, &file_size);
	if (st != KV_OK)
		goto done;
	if (file_size > map_size / 2)
		map_size = 2 * file_size;
	if (env->readonly)
		mdb_flags |= MDB_RDONLY;
	/* Under MDB_NOSYNC a system crash before the sync may leave a meta
	 * page pointing at pages never written; MDB_NOMETASYNC syncs the
	 * data at commit and defers only the meta page, which keeps the
	 * store intact: what group commit needs. */
	if (!args->sync_each_commit)
		mdb_flags |= args->group_commit ? MDB_NOMETASYNC : MDB_NOSYNC;
	while ((rc = env_try_open(env, mdb_flags, args->mode, map_size)) ==
	               ENOMEM && map_size / 4 >= MIN_MAP &&
	       map_size / 4 > file_size)
		map_size /= 4;
	if (rc == MDB_SUCCESS)
		rc = mdb_env_stat(env->env, &ms);
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
		st = kv__error(KV_EFORMAT, "%s: not an LMDB store: %s", path,
		               mdb_strerror(rc));
	else if (!created && (rc == EINVAL || rc == MDB_CORRUPTED ||
	                      rc == MDB_PAGE_NOTFOUND))
		/* The meta page looked right but its fields do not add up. */
		st = kv__error(KV_ECORRUPT, "%s: damaged LMDB store: %s", path,
		               mdb_strerror(rc));
	else if (rc != MDB_SUCCESS)
		st = map_rc(rc, path);
	if (st != KV_OK)
		goto done;
	env->psize = ms.ms_psize;
	env->maxkey = (size_t)mdb_env_get_maxkeysize(env->env);
	/* Slots of crashed readers would pin old pages and bloat the file. */
	(void)mdb_reader_check(env->env, &dead);
	st = open_dbis(env, flags == KV_OPEN_TRUNCATE);
done:
	/* Files this open created stay when it fails: another process may
	 * have opened them since (unlinking a lock file in use splits the
	 * store's readers and writers), and the next open with create takes
	 * an empty file as a new store. */
	if (st != KV_OK) {
		env_free(env);
		return st;
	}
	*out = env;
	return KV_OK;
}

static kv_status env_sync(kv__benv *env)
{
	int rc;

	if (env->readonly)
		return KV_OK; /* nothing to flush, and LMDB would say EACCES */
	rc = mdb_env_sync(env->env, 1);
	return map_rc(rc, "mdb_env_sync");
}

/* Count the user's records in a snapshot, and size the data file. */
static kv_status env_stat(kv__bstat *out, kv__benv *env)
{
	kv__btxn *t = NULL;
	MDB_stat ms;
	struct stat sb;
	int fd = -1, rc;
	kv_status st;

	st = txn_begin(&t, env, 0);
	if (st != KV_OK)
		return st;
	rc = mdb_stat(t->txn, env->dbi[KV__NS_DATA], &ms);
	read_end(t);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_get_fd(env->env, &fd);
	if (rc == MDB_SUCCESS && fstat(fd, &sb) != 0)
		rc = errno;
	if (rc != MDB_SUCCESS)
		return map_rc(rc, env->path);
	out->count = ms.ms_entries;
	out->file_size = (unsigned long long)sb.st_size;
	return KV_OK;
}

const kv__backend kv__backend_lmdb = {
	.name = "lmdb",
	.probe = probe,
	.open = env_open,
	.close = env_free,
	.txn_begin = txn_begin,
	.txn_commit = txn_commit,
	.txn_commit_synced = txn_commit_synced,
	.txn_abort = txn_abort,
	.get = get,
	.put = put,
	.del = del,
	.cursor_open = cursor_open,
	.cursor_next = cursor_next,
	.cursor_close = cursor_close,
	.sync = env_sync,
	.stat = env_stat,
};
