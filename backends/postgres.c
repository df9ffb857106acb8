/*
 * backends/postgres.c - the PostgreSQL backend, over libpq.
 *
 * A store is one table, named by the table= parameter of the URI
 * (postgresql://[user@]host[:port]/database?table=NAME); the rest of the
 * URI goes to libpq as it is.  Both namespaces share the table:
 *   (ns smallint, key bytea, value bytea, tag bytea, PRIMARY KEY (ns, key))
 * bytea compares with memcmp, shorter first, so ORDER BY key is libkv's
 * key order.  Keys, values and tags travel in binary; every statement is
 * prepared once per connection and bound; the table name, the only SQL
 * not fixed at build time, is quoted with PQescapeIdentifier.
 *
 * Isolation.  A read transaction is REPEATABLE READ, READ ONLY: one
 * snapshot, taken at begin as on the file backends (the server takes it
 * at a transaction's first query, so begin runs one), never blocked by
 * writers.  A write transaction is READ
 * COMMITTED and reads with SELECT ... FOR UPDATE, so a row it has read
 * cannot change under it until it ends: a read-modify-write (a partial
 * record update, the store's digest) from one process never loses one
 * from another, through ordinary row locks.  A key read as absent has no
 * row to lock: a write transaction that finds a key absent first takes
 * the store's write token (the lock of its format row, which every
 * writable open makes) and looks again, so writers that act on a key's
 * absence (the first digest, a new record, a schema) take turns.  If a
 * writer that never looked creates the key meanwhile, the write of that
 * key here finds it and fails with KV_EBUSY rather than overwrite
 * something the caller did not see.  A cursor in a write transaction
 * locks nothing: each batch it fetches sees the latest commits.  Waiting
 * for a row lock is bounded (lock_timeout, then KV_EBUSY), as SQLite's
 * busy timeout is.
 *
 * Retries.  The server may abort a transaction as a serialisation failure
 * (SQLSTATE 40001, what CockroachDB and YugabyteDB do under contention)
 * or a deadlock victim (40P01).  A write transaction keeps a log of every
 * operation with what it returned; on such an abort it starts again and
 * replays the log, checking that every read and every write reports
 * exactly what it did the first time.  If so, the new transaction is in
 * the state the caller saw and goes on; if not (another writer changed
 * what this one read) the call fails with KV_EBUSY and nothing is
 * committed.  At most MAX_RETRIES replays.
 *
 * Threads: one connection for the write transaction (the core keeps at
 * most one open) and a pool of connections that read transactions borrow,
 * since a libpq connection serves one thread at a time.  A connection lost
 * mid-transaction fails the call with KV_EIO (the server rolls back what
 * was not committed); the next transaction reconnects.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "postgres.h"

/* @T stands for the quoted table name.  lock_timeout bounds a wait for a
 * row another writer holds, like SQLite's busy timeout. */
static const char *const stmt_sql[ST_TOTAL] = {
	"SET lock_timeout = 5000",
	"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
	"BEGIN ISOLATION LEVEL READ COMMITTED",
	"COMMIT",
	"ROLLBACK",
	"SELECT value, tag FROM @T WHERE ns = $1 AND key = $2",
	"SELECT value, tag FROM @T WHERE ns = $1 AND key = $2 FOR UPDATE",
	"INSERT INTO @T (ns, key, value, tag) VALUES ($1, $2, $3, $4)"
	" ON CONFLICT (ns, key) DO NOTHING RETURNING 1",
	"SELECT tag FROM @T WHERE ns = $1 AND key = $2 FOR UPDATE",
	"UPDATE @T SET value = $3, tag = $4 WHERE ns = $1 AND key = $2",
	"DELETE FROM @T WHERE ns = $1 AND key = $2 RETURNING tag",
	"SELECT key, value, tag FROM @T WHERE ns = $1 AND key >= $2"
	" ORDER BY key LIMIT 256",
	"SELECT key, value, tag FROM @T WHERE ns = $1 AND key > $2"
	" ORDER BY key LIMIT 256",
	"SELECT count(*) FROM @T WHERE ns = 0",
	"SELECT pg_total_relation_size(to_regclass($1))",
	"CREATE TABLE IF NOT EXISTS @T (ns smallint NOT NULL,"
	" key bytea NOT NULL, value bytea NOT NULL, tag bytea,"
	" PRIMARY KEY (ns, key))",
	"SELECT ns, key, value, tag FROM @T LIMIT 0",
	"DELETE FROM @T",
	"INSERT INTO @T (ns, key, value) VALUES (1, $1, $2)"
	" ON CONFLICT (ns, key) DO NOTHING",
	"SELECT 1 FROM @T WHERE ns = 1 AND key = 'format'::bytea FOR UPDATE",
	"SELECT 1"
};

static kv_status no_memory(void)
{
	return kv__error(KV_ENOMEM, "out of memory");
}

/* libpq prints NOTICEs ("relation already exists, skipping") to stderr;
 * a library must not. */
static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Is this failure one a replay may cure: a serialisation failure or a
 * deadlock victim? */
static int retryable(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
	                        : NULL;

	return state && (!strcmp(state, "40001") || !strcmp(state, "40P01"));
}

/* Translate a failed statement (res may be NULL), keeping the server's
 * text and SQLSTATE. */
kv_status kv__pg_map(const PGresult *res, const struct conn *c,
                     const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
	                        : NULL;
	const char *msg = res ? PQresultErrorField(res,
	                                           PG_DIAG_MESSAGE_PRIMARY)
	                      : NULL;
	kv_status status = KV_EIO;
	int len;

	if (!msg || !*msg)
		msg = PQerrorMessage(c->pg);
	len = (int)strcspn(msg, "\n");
	if (PQstatus(c->pg) == CONNECTION_BAD)
		return kv__error(KV_EIO, "%s: connection to the server lost "
		                 "(uncommitted work is rolled back; the next "
		                 "transaction reconnects): %.*s", what, len, msg);
	if (!state)
		return kv__error(KV_EIO, "%s: %.*s", what, len, msg);
	if (!strncmp(state, "40", 2) || !strcmp(state, "55P03") ||
	    !strcmp(state, "53300") || !strcmp(state, "57P03"))
		status = KV_EBUSY;
	else if (!strcmp(state, "53100"))
		status = KV_EFULL;
	else if (!strcmp(state, "53200"))
		status = KV_ENOMEM;
	else if (!strcmp(state, "54000"))
		status = KV_ETOOBIG;
	else if (!strcmp(state, "25006") || !strcmp(state, "42501"))
		status = KV_EREADONLY;
	else if (!strcmp(state, "42P01"))
		status = KV_ENOENT;
	else if (!strcmp(state, "42703") || !strcmp(state, "42804"))
		status = KV_EFORMAT;
	return kv__error(status, "%s: %.*s (SQLSTATE %s)", what, len, msg,
	                 state);
}

/* Set up a new session.  An engine without lock_timeout (its absence
 * only makes a lock wait unbounded) is not refused for it. */
static kv_status session_setup(struct conn *c, const kv__benv *env)
{
	PGresult *res;
	kv_status status = KV_OK;

	PQsetNoticeProcessor(c->pg, quiet, NULL);
	res = PQexecParams(c->pg, stmt_sql[ST_SETUP], 0, NULL, NULL, NULL,
	                   NULL, 1);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQstatus(c->pg) != CONNECTION_OK)
		status = kv__pg_map(res, c, env->path);
	PQclear(res);
	return status;
}

/* Open a connection and set up its session. */
static kv_status conn_open(struct conn **out, kv__benv *env)
{
	struct conn *c = calloc(1, sizeof *c);
	kv_status status;

	if (!c)
		return no_memory();
	c->pg = PQconnectdb(env->conninfo);
	if (!c->pg) {
		free(c);
		return no_memory();
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(c->pg);
		status = kv__error(KV_EIO, "%s: cannot connect: %.*s", env->path,
		                   (int)strcspn(msg, "\n"), msg);
		PQfinish(c->pg);
		free(c);
		return status;
	}
	status = session_setup(c, env);
	if (status != KV_OK) {
		PQfinish(c->pg);
		free(c);
		return status;
	}
	*out = c;
	return KV_OK;
}

static void conn_close(struct conn *c)
{
	if (!c)
		return;
	PQfinish(c->pg);
	free(c);
}

/* Reconnect a connection the server dropped (restart, network); its
 * prepared statements went with the session. */
kv_status kv__pg_revive(struct conn *c, const kv__benv *env)
{
	const char *msg;

	if (PQstatus(c->pg) == CONNECTION_OK)
		return KV_OK;
	PQreset(c->pg);
	c->prepared = 0;
	if (PQstatus(c->pg) == CONNECTION_OK)
		return session_setup(c, env);
	msg = PQerrorMessage(c->pg);
	return kv__error(KV_EIO, "%s: cannot reconnect: %.*s", env->path,
	                 (int)strcspn(msg, "\n"), msg);
}

/*
 * Run statement id on c with up to four binary parameters (NULL value:
 * SQL NULL); *out (may be NULL) receives the result, which the caller
 * clears.  *retry, when given, tells a failure a replay may cure.
 */
kv_status kv__pg_exec(PGresult **out, int *retry, struct conn *c,
                      const kv__benv *env, int id, int n,
                      const char *const *vals, const int *lens,
                      const char *what)
{
	static const int fmts[4] = { 1, 1, 1, 1 };
	char name[16];
	PGresult *res;
	ExecStatusType es;
	kv_status status = KV_OK;

	if (retry)
		*retry = 0;
	snprintf(name, sizeof name, "kv%d", id);
	if (!(c->prepared & (1u << id))) {
		res = PQprepare(c->pg, name, env->sql[id], 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			status = kv__pg_map(res, c, what);
			PQclear(res);
			return status;
		}
		PQclear(res);
		c->prepared |= 1u << id;
	}
	res = PQexecPrepared(c->pg, name, n, vals, lens, fmts, 1);
	es = PQresultStatus(res);
	if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
		if (retry)
			*retry = retryable(res);
		status = kv__pg_map(res, c, what);
		PQclear(res);
		return status;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return KV_OK;
}

/* Take an idle read connection, or open one. */
kv_status kv__pg_pool_take(struct conn **out, kv__benv *env)
{
	struct conn *c;

	pthread_mutex_lock(&env->lock);
	c = env->pool;
	if (c) {
		env->pool = c->next;
		env->idle--;
	}
	pthread_mutex_unlock(&env->lock);
	if (!c)
		return conn_open(out, env);
	c->next = NULL;
	*out = c;
	return KV_OK;
}

/* Return a read connection to the pool; a broken one, or one beyond the
 * idle limit, is closed. */
void kv__pg_pool_give(kv__benv *env, struct conn *c)
{
	if (PQstatus(c->pg) != CONNECTION_OK ||
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		conn_close(c);
		return;
	}
	pthread_mutex_lock(&env->lock);
	if (env->idle < POOL_MAX_IDLE) {
		c->next = env->pool;
		env->pool = c;
		env->idle++;
		c = NULL;
	}
	pthread_mutex_unlock(&env->lock);
	conn_close(c);
}


/* Decode %XX escapes of a URI component of n bytes into a new string. */
static char *uri_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out, hex[3] = { 0, 0, 0 };
	size_t i;

	for (i = 0; out && i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	if (out)
		*o = '\0';
	return out;
}

/* Take the table= parameter out of the URI's query: env->table is its
 * decoded value, env->conninfo the URI libpq is given, scheme included. */
static kv_status parse_uri(kv__benv *env, const char *path)
{
	static const char scheme[] = "postgresql:";
	const char *q = strchr(path, '?'), *p, *end;
	size_t base = q ? (size_t)(q - path) : strlen(path), n;
	char *ci;
	int first = 1;

	if (strncmp(path, "//", 2) != 0)
		return kv__error(KV_EINVAL, "%s: expected a URI "
		                 "postgresql://[user@]host[:port]/database"
		                 "?table=NAME", path);
	ci = env->conninfo = malloc(sizeof scheme + strlen(path));
	if (!ci)
		return no_memory();
	memcpy(ci, scheme, sizeof scheme - 1);
	ci += sizeof scheme - 1;
	memcpy(ci, path, base);
	ci += base;
	for (p = q; p && *p; p = end) {
		p++; /* past '?' or '&' */
		end = p + strcspn(p, "&");
		n = (size_t)(end - p);
		if (n >= 6 && !memcmp(p, "table=", 6)) {
			free(env->table);
			if (!(env->table = uri_decode(p + 6, n - 6)))
				return no_memory();
			continue;
		}
		*ci++ = first ? '?' : '&';
		memcpy(ci, p, n);
		ci += n;
		first = 0;
	}
	*ci = '\0';
	if (!env->table || !*env->table)
		return kv__error(KV_EINVAL, "%s: no table=NAME in the URI to "
		                 "name the store's table", path);
	if (strlen(env->table) > TABLE_MAX)
		return kv__error(KV_EINVAL, "%s: table name longer than %d "
		                 "bytes", path, TABLE_MAX);
	return KV_OK;
}

/* Give every statement its text, with the table name quoted by libpq. */
static kv_status build_sql(kv__benv *env, PGconn *pg)
{
	char *quoted = PQescapeIdentifier(pg, env->table, strlen(env->table));
	size_t qlen, i;
	int id;

	if (!quoted)
		return kv__error(KV_EINVAL, "%s: bad table name: %s", env->path,
		                 PQerrorMessage(pg));
	qlen = strlen(quoted);
	for (id = 0; id < ST_TOTAL; id++) {
		const char *s = stmt_sql[id];
		char *o = malloc(strlen(s) * (qlen + 1) + 1);

		if (!(env->sql[id] = o))
			break;
		for (i = 0; s[i]; i++) {
			if (s[i] == '@' && s[i + 1] == 'T') {
				memcpy(o, quoted, qlen);
				o += qlen;
				i++;
			} else {
				*o++ = s[i];
			}
		}
		*o = '\0';
	}
	env->quoted = quoted;
	return id == ST_TOTAL ? KV_OK : no_memory();
}

/* The columns a libkv table has, by type: ns int2, then bytea. */
static kv_status check_columns(const kv__benv *env, const PGresult *res)
{
	static const Oid want[4] = { 21, 17, 17, 17 };
	int i;

	for (i = 0; i < 4 && PQnfields(res) == 4; i++)
		if (PQftype(res, i) != want[i])
			break;
	if (i == 4)
		return KV_OK;
	return kv__error(KV_EFORMAT, "%s: table %s is not a libkv store "
	                 "(want columns ns smallint, key, value, tag bytea)",
	                 env->path, env->table);
}

/* Does the table exist, and look like a store? */
static kv_status check_table(kv__benv *env, struct conn *c)
{
	PGresult *res = NULL;
	kv_status st = kv__pg_exec(&res, NULL, c, env, ST_CHECK, 0, NULL,
	                           NULL, env->path);

	if (st == KV_ENOENT)
		return kv__error(KV_ENOENT, "%s: no such store: table %s does "
		                 "not exist (open with create to make one)",
		                 env->path, env->table);
	if (st != KV_OK)
		return st;
	st = check_columns(env, res);
	PQclear(res);
	return st;
}

/* Make the table (create), empty it (truncate) and set the format
 * marker, in one transaction so that no process sees half of it. */
static kv_status setup_once(kv__benv *env, unsigned int flags)
{
	static const char *const mark[2] = { "format", "1" };
	static const int mark_len[2] = { 6, 1 };
	struct conn *c = env->writer;
	kv_status st;

	st = kv__pg_exec(NULL, NULL, c, env, ST_BEGIN_WRITE, 0, NULL, NULL,
	                 env->path);
	if (st == KV_OK && (flags & KV_OPEN_CREATE) == KV_OPEN_CREATE)
		st = kv__pg_exec(NULL, NULL, c, env, ST_CREATE, 0, NULL, NULL,
		                 env->path);
	if (st == KV_OK)
		st = check_table(env, c);
	if (st == KV_OK && flags == KV_OPEN_TRUNCATE)
		st = kv__pg_exec(NULL, NULL, c, env, ST_EMPTY, 0, NULL, NULL,
		                 env->path);
	if (st == KV_OK)
		st = kv__pg_exec(NULL, NULL, c, env, ST_MARK, 2, mark, mark_len,
		                 env->path);
	if (st == KV_OK)
		st = kv__pg_exec(NULL, NULL, c, env, ST_COMMIT, 0, NULL, NULL,
		                 env->path);
	if (st != KV_OK && PQstatus(c->pg) == CONNECTION_OK)
		PQclear(PQexecParams(c->pg, stmt_sql[ST_ROLLBACK], 0, NULL,
		                     NULL, NULL, NULL, 1));
	return st;
}

/* Two processes creating one table at once can collide in the catalog
 * (the loser gets a unique violation); the second try finds it made. */
static kv_status setup_table(kv__benv *env, unsigned int flags)
{
	kv_status st = setup_once(env, flags);

	if (st != KV_OK && st != KV_ENOENT && st != KV_EFORMAT &&
	    (flags & KV_OPEN_CREATE) == KV_OPEN_CREATE &&
	    PQstatus(env->writer->pg) == CONNECTION_OK)
		st = setup_once(env, flags);
	return st;
}

static void env_free(kv__benv *env)
{
	struct conn *c;
	int id;

	while ((c = env->pool) != NULL) {
		env->pool = c->next;
		conn_close(c);
	}
	conn_close(env->writer);
	for (id = 0; id < ST_TOTAL; id++)
		free(env->sql[id]);
	PQfreemem(env->quoted);
	pthread_mutex_destroy(&env->lock);
	free(env->path);
	free(env->conninfo);
	free(env->table);
	free(env);
}

/* A server store has no file for the core to recognise. */
static int db_probe(const unsigned char *head, size_t len)
{
	(void)head;
	(void)len;
	return 0;
}

static kv_status db_open(kv__benv **out, const kv__bopen *args)
{
	unsigned int flags = args->flags;
	kv__benv *env;
	struct conn *c = NULL;
	kv_status st;

	if (flags != KV_OPEN_READONLY && flags != KV_OPEN_READWRITE &&
	    flags != KV_OPEN_CREATE && flags != KV_OPEN_TRUNCATE)
		return kv__error(KV_EINVAL, "%s: bad open flags 0x%x",
		                 args->path, flags);
	env = calloc(1, sizeof *env);
	if (!env)
		return no_memory();
	if (pthread_mutex_init(&env->lock, NULL) != 0) {
		free(env);
		return no_memory();
	}
	env->readonly = flags == KV_OPEN_READONLY;
	st = (env->path = strdup(args->path)) ? KV_OK : no_memory();
	if (st == KV_OK)
		st = parse_uri(env, args->path);
	if (st == KV_OK)
		st = conn_open(&c, env);
	if (st == KV_OK)
		st = build_sql(env, c->pg);
	if (st == KV_OK && !env->readonly) {
		env->writer = c;
		c = NULL;
		st = setup_table(env, flags);
	} else if (st == KV_OK) {
		st = check_table(env, c);
	}
	if (c)
		kv__pg_pool_give(env, c);
	if (st != KV_OK) {
		env_free(env);
		return st;
	}
	*out = env;
	return KV_OK;
}

static void db_close(kv__benv *env)
{
	if (env)
		env_free(env);
}

/* Every commit is durable when COMMIT returns (the server's
 * synchronous_commit), so there is nothing left to sync. */
static kv_status db_sync(kv__benv *env)
{
	(void)env;
	return KV_OK;
}

/* A binary int8 column as a number; 0 for NULL. */
static unsigned long long res_u64(const PGresult *res)
{
	const unsigned char *p;
	unsigned long long v = 0;
	int i;

	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0) ||
	    PQgetlength(res, 0, 0) != 8)
		return 0;
	p = (const unsigned char *)PQgetvalue(res, 0, 0);
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Keys, and the bytes of the table and its index.  The size is 0 where
 * the server has no pg_total_relation_size (a distributed engine). */
static kv_status db_stat(kv__bstat *out, kv__benv *env)
{
	const char *v[1] = { env->quoted };
	int l[1] = { (int)strlen(env->quoted) };
	PGresult *res = NULL;
	struct conn *c;
	kv_status st;

	if ((st = kv__pg_pool_take(&c, env)) != KV_OK)
		return st;
	st = kv__pg_exec(&res, NULL, c, env, ST_COUNT, 0, NULL, NULL,
	                 "postgresql stat");
	if (st == KV_OK) {
		out->count = res_u64(res);
		PQclear(res);
		res = NULL;
		out->file_size = 0;
		if (kv__pg_exec(&res, NULL, c, env, ST_SIZE, 1, v, l,
		                "postgresql stat") == KV_OK)
			out->file_size = res_u64(res);
		PQclear(res);
	}
	kv__pg_pool_give(env, c);
	return st;
}

const kv__backend kv__backend_postgresql = {
	.name = "postgresql",
	.not_a_file = 1,
	.probe = db_probe,
	.open = db_open,
	.close = db_close,
	.txn_begin = kv__pg_txn_begin,
	.txn_commit = kv__pg_txn_commit,
	.txn_abort = kv__pg_txn_abort,
	.get = kv__pg_get,
	.put = kv__pg_put,
	.del = kv__pg_del,
	.cursor_open = kv__pg_cursor_open,
	.cursor_next = kv__pg_cursor_next,
	.cursor_close = kv__pg_cursor_close,
	.sync = db_sync,
	.stat = db_stat,
};
