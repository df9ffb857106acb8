/*
 * backends/postgres_txn.c - transactions, reads and writes, and cursors of
 * the PostgreSQL backend (see postgres.c for the design).
 *
 * A write transaction logs every operation with what it reported (the
 * redo log).  When the server aborts the transaction as a serialisation
 * failure or a deadlock victim, replay() rolls back, begins again, runs
 * the log and compares each report with the logged one: equal reports
 * mean the new transaction holds exactly the state the caller has seen,
 * so the failed operation (or the commit) runs again there; a difference
 * means another writer changed something this transaction read, and only
 * the caller can decide again: KV_EBUSY, nothing committed.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postgres.h"

static kv_status no_memory(void)
{
	return kv__error(KV_ENOMEM, "out of memory");
}

/* The namespace as a binary int2 parameter. */
static void ns_param(char buf[2], kv__ns ns)
{
	buf[0] = 0;
	buf[1] = (char)ns;
}

/* Bytes as a parameter: a NULL pointer would send SQL NULL. */
static kv_status byte_param(const char **val, int *len, const void *p,
                            size_t n, const char *what)
{
	if (n > (size_t)INT_MAX)
		return kv__error(KV_ETOOBIG, "%s: %zu bytes (at most %d)", what,
		                 n, INT_MAX);
	*val = n ? p : "";
	*len = (int)n;
	return KV_OK;
}

/* Borrow a row's tag: NULL, 0 when SQL NULL or empty; one longer than
 * libkv ever writes can only come from another program. */
static kv_status res_tag(kv__bval *out, const PGresult *res, int row,
                         int col)
{
	size_t len = PQgetisnull(res, row, col)
	             ? 0 : (size_t)PQgetlength(res, row, col);

	if (len > KV__TAG_MAX)
		return kv__error(KV_ECORRUPT, "postgresql: record tag of %zu "
		                 "bytes (at most %d)", len, KV__TAG_MAX);
	out->tag = len ? PQgetvalue(res, row, col) : NULL;
	out->tag_len = len;
	return KV_OK;
}

/* Append a length-prefixed field to the serialised report of an entry;
 * only a write transaction, which may replay, keeps one. */
static int out_add(const kv__btxn *t, struct entry *e, const void *p,
                   size_t n)
{
	unsigned char *b;

	if (!t->write)
		return 0;
	b = realloc(e->out, e->out_len + sizeof n + n + 1);
	if (!b)
		return -1;
	e->out = b;
	memcpy(b + e->out_len, &n, sizeof n);
	if (n)
		memcpy(b + e->out_len + sizeof n, p, n);
	e->out_len += sizeof n + n;
	return 0;
}

/* Note the tag a put or delete found (existed or not) in e->out. */
static kv_status note_old(const kv__btxn *t, struct entry *e,
                          const PGresult *res, int found)
{
	kv__bval bv = { NULL, 0, NULL, 0 };
	kv_status status;

	if (found && (status = res_tag(&bv, res, 0, 0)) != KV_OK)
		return status;
	if (out_add(t, e, found ? "1" : "0", 1) ||
	    (found && out_add(t, e, bv.tag, bv.tag_len)))
		return no_memory();
	return KV_OK;
}


/* The key and namespace parameters every statement but the scans' starts
 * with; v and l hold at least two. */
static kv_status key_params(const char **v, int *l, char ns[2],
                            const struct entry *e, const char *what)
{
	ns_param(ns, e->ns);
	v[0] = ns;
	l[0] = 2;
	return byte_param(&v[1], &l[1], e->key, e->key_len, what);
}

static kv_status run_get(int *retry, kv__btxn *t, struct entry *e,
                         PGresult **res)
{
	kv__bval bv = { NULL, 0, NULL, 0 };
	const char *v[2];
	int l[2];
	char ns[2];
	PGresult *r = NULL;
	kv_status st;

	if ((st = key_params(v, l, ns, e, "postgresql get: key")) ||
	    (st = kv__pg_exec(&r, retry, t->conn, t->env,
	                      t->write ? ST_GET_LOCK : ST_GET, 2, v, l,
	                      "postgresql get")))
		return st;
	/* Absent, in a write transaction: take the write token, then look
	 * again, past any writer that held it (see postgres.c). */
	if (PQntuples(r) == 0 && t->write && !t->token) {
		PQclear(r);
		r = NULL;
		if ((st = kv__pg_exec(NULL, retry, t->conn, t->env, ST_TOKEN, 0,
		                      NULL, NULL, "postgresql get")) ||
		    (st = kv__pg_exec(&r, retry, t->conn, t->env, ST_GET_LOCK,
		                      2, v, l, "postgresql get")))
			return st;
		t->token = 1;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		return out_add(t, e, "0", 1) ? no_memory() : KV_NOTFOUND;
	}
	st = res_tag(&bv, r, 0, 1);
	if (st == KV_OK &&
	    (out_add(t, e, "1", 1) ||
	     out_add(t, e, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0)) ||
	     out_add(t, e, bv.tag, bv.tag_len)))
		st = no_memory();
	if (st != KV_OK) {
		PQclear(r);
		return st;
	}
	*res = r;
	return KV_OK;
}

/* Did this transaction last see key absent (a get or a delete that found
 * nothing, and no write of its own since)?  Then a row found there now
 * was created by another writer after the caller saw it missing. */
static int read_absent(const kv__btxn *t, const struct entry *e)
{
	size_t i;

	for (i = t->absent_reads ? t->nlog : 0; i-- > 0;) {
		const struct entry *x = &t->log[i];
		if (x->op == E_SCAN || x->ns != e->ns ||
		    x->key_len != e->key_len ||
		    (e->key_len && memcmp(x->key, e->key, e->key_len)))
			continue;
		return x->rc == KV_NOTFOUND;
	}
	return 0;
}

/*
 * A put that learns what it replaces.  The insert either creates the row
 * (nothing replaced; a concurrent inserter of the key waits for us) or
 * meets a committed one, which the SELECT ... FOR UPDATE then locks and
 * reads before the update.  A row deleted by another writer between the
 * two statements sends us round again.
 */
static kv_status run_put(int *retry, kv__btxn *t, struct entry *e)
{
	const char *v[4];
	int l[4], i;
	char ns[2];
	PGresult *r = NULL;
	kv_status st;

	if ((st = key_params(v, l, ns, e, "postgresql put: key")) ||
	    (st = byte_param(&v[2], &l[2], e->val, e->val_len,
	                     "postgresql put: value")))
		return st;
	v[3] = e->tag_len ? e->tag : NULL;
	l[3] = (int)e->tag_len;
	for (i = 0; i < 3; i++) {
		if ((st = kv__pg_exec(&r, retry, t->conn, t->env, ST_INSERT, 4,
		                      v, l, "postgresql put")))
			return st;
		if (PQntuples(r) == 1) {
			PQclear(r);
			return out_add(t, e, "0", 1) ? no_memory() : KV_OK;
		}
		PQclear(r);
		if (read_absent(t, e))
			return kv__error(KV_EBUSY, "postgresql put: another writer "
			                 "created the key after this transaction "
			                 "found it absent; nothing committed, run "
			                 "the transaction again");
		if ((st = kv__pg_exec(&r, retry, t->conn, t->env, ST_LOCK_TAG,
		                      2, v, l, "postgresql put")))
			return st;
		if (PQntuples(r) == 1)
			break;
		PQclear(r);
	}
	if (i == 3)
		return kv__error(KV_EBUSY, "postgresql put: other writers keep "
		                 "deleting and re-creating the key");
	st = note_old(t, e, r, 1);
	PQclear(r);
	if (st != KV_OK)
		return st;
	if (e->flags & KV_PUT_NOOVERWRITE)
		return KV_EXISTS;
	return kv__pg_exec(NULL, retry, t->conn, t->env, ST_UPDATE, 4, v, l,
	                   "postgresql put");
}

static kv_status run_del(int *retry, kv__btxn *t, struct entry *e)
{
	const char *v[2];
	int l[2];
	char ns[2];
	PGresult *r = NULL;
	kv_status st;

	if ((st = key_params(v, l, ns, e, "postgresql del: key")) ||
	    (st = kv__pg_exec(&r, retry, t->conn, t->env, ST_DELETE, 2, v, l,
	                      "postgresql del")))
		return st;
	st = note_old(t, e, r, PQntuples(r) > 0);
	if (st == KV_OK && PQntuples(r) == 0)
		st = KV_NOTFOUND;
	PQclear(r);
	return st;
}

/* One batch of a cursor: the rows from (or after) e->key. */
static kv_status run_scan(int *retry, kv__btxn *t, struct entry *e,
                          PGresult **res)
{
	const char *v[2];
	int l[2], row, col;
	char ns[2];
	PGresult *r = NULL;
	kv_status st;

	if ((st = key_params(v, l, ns, e, "postgresql cursor: key")) ||
	    (st = kv__pg_exec(&r, retry, t->conn, t->env,
	                      e->after ? ST_SCAN_AFTER : ST_SCAN, 2, v, l,
	                      "postgresql cursor")))
		return st;
	for (row = 0; t->write && row < PQntuples(r); row++)
		for (col = 0; col < 3; col++)
			if (out_add(t, e, PQgetisnull(r, row, col) ? "" : "1",
			            !PQgetisnull(r, row, col)) ||
			    out_add(t, e, PQgetvalue(r, row, col),
			            (size_t)PQgetlength(r, row, col))) {
				PQclear(r);
				return no_memory();
			}
	*res = r;
	return KV_OK;
}

/* Run e in t, its report in e->out; *res receives a get's or a scan's
 * rows, OWNED by the caller. */
static kv_status run_entry(int *retry, kv__btxn *t, struct entry *e,
                           PGresult **res)
{
	free(e->out);
	e->out = NULL;
	e->out_len = 0;
	*res = NULL;
	*retry = 0;
	switch (e->op) {
	case E_GET: return run_get(retry, t, e, res);
	case E_PUT: return run_put(retry, t, e);
	case E_DEL: return run_del(retry, t, e);
	default: return run_scan(retry, t, e, res);
	}
}

/* Keep e, with copies of its inputs, at the end of the redo log. */
static int log_add(kv__btxn *t, struct entry *e)
{
	size_t n = e->key_len + e->val_len + e->tag_len;
	unsigned char *own = malloc(n ? n : 1);
	struct entry *log = t->log;

	if (own && t->nlog == t->caplog) {
		t->caplog = t->caplog ? 2 * t->caplog : 16;
		log = realloc(t->log, t->caplog * sizeof *log);
	}
	if (!own || !log) {
		free(own);
		return -1;
	}
	t->log = log;
	if (e->key_len)
		memcpy(own, e->key, e->key_len);
	if (e->val_len)
		memcpy(own + e->key_len, e->val, e->val_len);
	if (e->tag_len)
		memcpy(own + e->key_len + e->val_len, e->tag, e->tag_len);
	e->key = own;
	e->val = own + e->key_len;
	e->tag = own + e->key_len + e->val_len;
	e->own = own;
	t->log[t->nlog++] = *e;
	if (e->rc == KV_NOTFOUND)
		t->absent_reads++;
	e->out = NULL;
	return 0;
}

static void log_free(kv__btxn *t)
{
	size_t i;

	for (i = 0; i < t->nlog; i++) {
		free(t->log[i].out);
		free(t->log[i].own);
	}
	free(t->log);
	t->log = NULL;
	t->nlog = t->caplog = 0;
}

/* Wait a little longer at each try, with jitter, so that transactions
 * that collided do not collide again in step. */
static void backoff(int tries)
{
	struct timespec now, ts;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (1L << tries) + now.tv_nsec % (1L << tries);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Run a logged entry again; KV_OK when it reports what it did before. */
static kv_status replay_one(int *retry, kv__btxn *t, const struct entry *x)
{
	struct entry e = *x;
	PGresult *res = NULL;
	kv_status st;
	int same;

	e.out = NULL;
	e.out_len = 0;
	st = run_entry(retry, t, &e, &res);
	PQclear(res);
	same = !*retry && st == x->rc && e.out_len == x->out_len &&
	       (!e.out_len || !memcmp(e.out, x->out, e.out_len));
	free(e.out);
	if (same)
		return KV_OK;
	if (*retry || (st != KV_OK && st != KV_NOTFOUND && st != KV_EXISTS))
		return st;
	return kv__error(KV_EBUSY, "postgresql: the server aborted the "
	                 "transaction (serialisation failure or deadlock) and "
	                 "another writer has since changed what it read; "
	                 "nothing committed, run the transaction again");
}

/* Begin again and replay the log, at most MAX_RETRIES times in all. */
static kv_status replay(kv__btxn *t, int *tries)
{
	kv_status st = KV_OK;
	int retry = 0;
	size_t i;

	while (++*tries <= MAX_RETRIES) {
		(void)kv__pg_exec(NULL, NULL, t->conn, t->env, ST_ROLLBACK, 0,
		                  NULL, NULL, "postgresql rollback");
		backoff(*tries);
		t->token = 0;
		st = kv__pg_exec(NULL, NULL, t->conn, t->env, ST_BEGIN_WRITE, 0,
		                 NULL, NULL, "postgresql begin");
		for (i = 0; st == KV_OK && i < t->nlog; i++)
			st = replay_one(&retry, t, &t->log[i]);
		if (st == KV_OK || !retry)
			return st;
	}
	return kv__error(KV_EBUSY, "postgresql: the server aborted the "
	                 "transaction (serialisation failure or deadlock) %d "
	                 "times; nothing committed", MAX_RETRIES + 1);
}

/*
 * Run one operation in t: retried through replay() in a write
 * transaction, then logged.  A failure after which the server refuses the
 * rest of the transaction (or one that must not commit) marks it dead.
 */
static kv_status op(kv__btxn *t, struct entry *e, PGresult **res)
{
	int retry = 0, tries = 0;
	kv_status st;

	*res = NULL;
	e->out = NULL;
	e->out_len = 0;
	if (t->dead)
		return kv__error(t->dead, "postgresql: the transaction failed "
		                 "earlier (%s) and can only be rolled back",
		                 kv_strerror(t->dead));
	for (;;) {
		st = run_entry(&retry, t, e, res);
		e->rc = st;
		if (!retry || !t->write || (st = replay(t, &tries)) != KV_OK)
			break;
	}
	if (st == KV_OK || st == KV_NOTFOUND || st == KV_EXISTS) {
		if (t->write && log_add(t, e) != 0) {
			PQclear(*res);
			*res = NULL;
			t->dead = KV_ENOMEM;
			st = no_memory();
		}
	} else if (st == KV_EBUSY ||
	           PQtransactionStatus(t->conn->pg) != PQTRANS_INTRANS) {
		t->dead = st;
	}
	free(e->out);
	e->out = NULL;
	return st;
}

/* BEGIN on t's connection.  An idle connection may have been dropped
 * (a server restart) since its last use: nothing was in progress on it,
 * so it reconnects and begins again, once. */
static kv_status begin(kv__btxn *t)
{
	int id = t->write ? ST_BEGIN_WRITE : ST_BEGIN_READ;
	kv_status st;

	st = kv__pg_exec(NULL, NULL, t->conn, t->env, id, 0, NULL, NULL,
	                 "postgresql begin");
	if (st != KV_OK && PQstatus(t->conn->pg) == CONNECTION_BAD) {
		st = kv__pg_revive(t->conn, t->env);
		if (st == KV_OK)
			st = kv__pg_exec(NULL, NULL, t->conn, t->env, id, 0,
			                 NULL, NULL, "postgresql begin");
	}
	if (st == KV_OK && !t->write)
		st = kv__pg_exec(NULL, NULL, t->conn, t->env, ST_SNAPSHOT, 0,
		                 NULL, NULL, "postgresql begin");
	return st;
}

kv_status kv__pg_txn_begin(kv__btxn **out, kv__benv *env, int write)
{
	kv__btxn *t;
	kv_status st;

	if (write && env->readonly)
		return kv__error(KV_EREADONLY, "%s: opened read-only",
		                 env->path);
	t = calloc(1, sizeof *t);
	if (!t)
		return no_memory();
	t->env = env;
	t->write = write;
	if (write) {
		t->conn = env->writer;
		st = kv__pg_revive(t->conn, env);
		/* BEGIN inside a transaction only warns and goes on with it:
		 * never let one that failed to end carry over. */
		if (st == KV_OK &&
		    PQtransactionStatus(t->conn->pg) != PQTRANS_IDLE)
			st = kv__pg_exec(NULL, NULL, t->conn, env, ST_ROLLBACK, 0,
			                 NULL, NULL, "postgresql rollback");
	} else {
		st = kv__pg_pool_take(&t->conn, env);
	}
	if (st == KV_OK)
		st = begin(t);
	if (st != KV_OK) {
		if (!write && t->conn)
			kv__pg_pool_give(env, t->conn);
		free(t);
		return st;
	}
	*out = t;
	return KV_OK;
}

/* Unlink a cursor from its transaction and drop its rows. */
static void cursor_detach(kv__bcur *cur)
{
	kv__btxn *t = cur->txn;

	if (!t)
		return;
	if (cur->prev)
		cur->prev->next = cur->next;
	else
		t->cursors = cur->next;
	if (cur->next)
		cur->next->prev = cur->prev;
	PQclear(cur->res);
	cur->res = NULL;
	cur->txn = NULL;
	cur->prev = cur->next = NULL;
}

/* COMMIT, replaying the transaction when the server aborts it there (as
 * the distributed engines do at commit). */
static kv_status commit(kv__btxn *t)
{
	PGresult *r = NULL;
	int retry = 0, tries = 0;
	kv_status st;

	for (;;) {
		st = kv__pg_exec(&r, &retry, t->conn, t->env, ST_COMMIT, 0, NULL,
		                 NULL, "postgresql commit");
		if (st == KV_OK)
			break;
		if (PQstatus(t->conn->pg) == CONNECTION_BAD)
			return kv__error(KV_EIO, "postgresql commit: connection "
			                 "lost during COMMIT: the server committed "
			                 "all of the transaction or none of it; "
			                 "look before running it again");
		if (!retry || !t->write || (st = replay(t, &tries)) != KV_OK)
			return st;
	}
	/* The server answers COMMIT of a transaction it aborted with
	 * ROLLBACK, and no error. */
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		st = kv__error(KV_EIO, "postgresql commit: the server rolled "
		               "the transaction back");
	PQclear(r);
	return st;
}

/* Commit (or roll back) and release the transaction. */
static kv_status txn_end(kv__btxn *t, int want_commit)
{
	kv_status st = KV_OK;

	while (t->cursors)
		cursor_detach(t->cursors);
	PQclear(t->held);
	t->held = NULL;
	if (want_commit && t->dead) {
		st = kv__error(t->dead, "postgresql commit: the transaction "
		               "failed earlier (%s); nothing committed",
		               kv_strerror(t->dead));
		want_commit = 0;
	}
	if (want_commit)
		st = commit(t);
	/* Quietly: the message to keep is the failure that brought us. */
	if (PQstatus(t->conn->pg) == CONNECTION_OK &&
	    PQtransactionStatus(t->conn->pg) != PQTRANS_IDLE) {
		PQclear(PQexecParams(t->conn->pg, t->env->sql[ST_ROLLBACK], 0,
		                     NULL, NULL, NULL, NULL, 1));
	}
	if (!t->write)
		kv__pg_pool_give(t->env, t->conn);
	log_free(t);
	free(t);
	return st;
}

kv_status kv__pg_txn_commit(kv__btxn *txn)
{
	return txn_end(txn, 1);
}

void kv__pg_txn_abort(kv__btxn *txn)
{
	if (txn)
		txn_end(txn, 0);
}

kv_status kv__pg_get(kv__bval *out, kv__btxn *t, kv__ns ns, const void *key,
                     size_t key_len)
{
	struct entry e = { E_GET, ns, 0, key, key_len, NULL, 0, NULL, 0, 0,
	                   KV_OK, NULL, 0, NULL };
	kv__bval bv = { NULL, 0, NULL, 0 };
	PGresult *res = NULL;
	kv_status st;

	PQclear(t->held);
	t->held = NULL;
	st = op(t, &e, &res);
	if (st != KV_OK)
		return st;
	bv.val = PQgetvalue(res, 0, 0);
	bv.val_len = (size_t)PQgetlength(res, 0, 0);
	(void)res_tag(&bv, res, 0, 1); /* checked by run_get */
	t->held = res;
	*out = bv;
	return KV_OK;
}

/* Fill old from the report of the entry just logged. */
static void old_from_log(kv__bold *old, const kv__btxn *t)
{
	const struct entry *e = &t->log[t->nlog - 1];
	size_t n;

	old->existed = 0;
	old->tag_len = 0;
	if (e->out_len < sizeof n + 1 || e->out[sizeof n] != '1')
		return;
	old->existed = 1;
	memcpy(&n, e->out + sizeof n + 1, sizeof n);
	if (n > KV__TAG_MAX)
		n = KV__TAG_MAX; /* res_tag refused longer ones */
	if (n)
		memcpy(old->tag, e->out + 2 * sizeof n + 1, n);
	old->tag_len = n;
}

static kv_status write_op(kv__btxn *t, struct entry *e, kv__bold *old,
                          const char *what)
{
	PGresult *res = NULL;
	kv_status st;

	if (!t->write)
		return kv__error(KV_EREADONLY, "%s: read-only transaction",
		                 what);
	PQclear(t->held);
	t->held = NULL;
	st = op(t, e, &res);
	if (old && (st == KV_OK || st == KV_NOTFOUND || st == KV_EXISTS))
		old_from_log(old, t);
	return st;
}

kv_status kv__pg_put(kv__btxn *t, kv__ns ns, const void *key,
                     size_t key_len, const kv__bval *val, unsigned int flags,
                     kv__bold *old)
{
	struct entry e = { E_PUT, ns, flags & KV_PUT_NOOVERWRITE, key,
	                   key_len, val->val, val->val_len, val->tag,
	                   val->tag_len, 0, KV_OK, NULL, 0, NULL };

	/* The core bounds and builds tags; anything else is its bug. */
	if (val->tag_len > KV__TAG_MAX || (val->tag_len && !val->tag))
		return kv__error(KV_EINVAL, "postgresql put: bad tag (%zu "
		                 "bytes, at most %d)", val->tag_len,
		                 KV__TAG_MAX);
	return write_op(t, &e, old, "postgresql put");
}

kv_status kv__pg_del(kv__btxn *t, kv__ns ns, const void *key,
                     size_t key_len, kv__bold *old)
{
	struct entry e = { E_DEL, ns, 0, key, key_len, NULL, 0, NULL, 0, 0,
	                   KV_OK, NULL, 0, NULL };

	return write_op(t, &e, old, "postgresql del");
}

kv_status kv__pg_cursor_open(kv__bcur **out, kv__btxn *t, kv__ns ns,
                             const void *start, size_t start_len)
{
	kv__bcur *cur = calloc(1, sizeof *cur);

	if (!cur || (start_len && !(cur->start = malloc(start_len)))) {
		free(cur);
		return no_memory();
	}
	if (start_len)
		memcpy(cur->start, start, start_len);
	cur->start_len = start_len;
	cur->ns = ns;
	cur->txn = t;
	cur->next = t->cursors;
	if (t->cursors)
		t->cursors->prev = cur;
	t->cursors = cur;
	*out = cur;
	return KV_OK;
}

/* Fetch the cursor's next batch: from its start key at first, then after
 * the last key of the batch before.  A short batch was the last. */
static kv_status cursor_fetch(kv__bcur *cur)
{
	struct entry e = { E_SCAN, cur->ns, 0, NULL, 0, NULL, 0, NULL, 0, 0,
	                   KV_OK, NULL, 0, NULL };
	PGresult *res = NULL;
	kv_status st;

	if (cur->res) {
		int last = cur->nrows - 1;
		size_t n = (size_t)PQgetlength(cur->res, last, 0);
		unsigned char *k;

		if (cur->nrows < SCAN_BATCH) {
			cur->done = 1;
			return KV_NOTFOUND;
		}
		if (!(k = realloc(cur->start, n ? n : 1)))
			return no_memory();
		memcpy(k, PQgetvalue(cur->res, last, 0), n);
		cur->start = k;
		cur->start_len = n;
		cur->after = 1;
		PQclear(cur->res);
		cur->res = NULL;
	}
	e.key = cur->start;
	e.key_len = cur->start_len;
	e.after = cur->after;
	if ((st = op(cur->txn, &e, &res)) != KV_OK)
		return st;
	cur->res = res;
	cur->row = 0;
	cur->nrows = PQntuples(res);
	if (cur->nrows == 0) {
		cur->done = 1;
		return KV_NOTFOUND;
	}
	return KV_OK;
}

kv_status kv__pg_cursor_next(kv__bcur *cur, const void **key,
                             size_t *key_len, kv__bval *val)
{
	kv__bval bv = { NULL, 0, NULL, 0 };
	kv_status st;
	int row;

	if (cur->done)
		return KV_NOTFOUND;
	if (!cur->txn)
		return kv__error(KV_EINVAL, "postgresql: cursor used after its "
		                 "transaction ended");
	if (cur->row >= cur->nrows && (st = cursor_fetch(cur)) != KV_OK)
		return st;
	row = cur->row++;
	if ((st = res_tag(&bv, cur->res, row, 2)) != KV_OK)
		return st;
	bv.val = PQgetvalue(cur->res, row, 1);
	bv.val_len = (size_t)PQgetlength(cur->res, row, 1);
	*key = PQgetvalue(cur->res, row, 0);
	*key_len = (size_t)PQgetlength(cur->res, row, 0);
	*val = bv;
	return KV_OK;
}

void kv__pg_cursor_close(kv__bcur *cur)
{
	if (!cur)
		return;
	cursor_detach(cur);
	free(cur->start);
	free(cur);
}
