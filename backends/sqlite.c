/*
 * backends/sqlite.c - the SQLite backend.
 *
 * The file is the one Python 3.13's dbm.sqlite3 reads and writes: user
 * records in table Dict (key BLOB UNIQUE NOT NULL, value BLOB NOT NULL),
 * values stored verbatim, WAL journal.  libkv's own records live in table
 * kv_meta, which dbm.sqlite3 never names.  Keys and values are always bound
 * as BLOBs, as dbm.sqlite3's CAST(? AS BLOB) makes them, so both programs
 * find the same rows; BLOBs compare with memcmp, shorter first, so ORDER BY
 * key is libkv's key order.
 *
 * A record's tag lives in the same row, in a nullable column kv_tag that
 * every writable open adds to Dict with ALTER TABLE (CREATE TABLE stays
 * dbm.sqlite3's own).  dbm.sqlite3's statements name their columns, so its
 * REPLACE leaves the tag NULL: its writes read back as untagged records.
 * A read-only open of a file only dbm.sqlite3 wrote finds no kv_tag and
 * prepares statements that do not name it.
 *
 * Threads: one read-write connection, used only by the write transaction
 * (the core keeps at most one open), and a pool of read-only connections
 * that read transactions borrow, one thread at a time each, hence
 * SQLITE_OPEN_NOMUTEX.  WAL gives each reader a snapshot next to the writer.
 *
 * Statements are prepared once per connection, on first use (so a
 * read-only dbm.sqlite3 file without kv_meta never prepares one naming it),
 * and kept until close.  No SQL text is ever built from user data.
 */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700 /* realpath, fchmod, O_CLOEXEC */
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backend.h"

/* Other processes (dbm.sqlite3, kvtool) may hold the write lock. */
#define BUSY_TIMEOUT_MS 5000

/* Idle read connections kept open after a burst of readers. */
#define POOL_MAX_IDLE 16

/* The writer's page cache between transactions.  Reads go through the
 * pool's reader connections, each with SQLite's default 2 MiB cache, so
 * the writer's own default 2 MiB, which stayed allocated for the life of
 * the store, mostly held copies of the readers' hot pages (libkv's heap
 * was 43% over raw SQLite's).  256 KiB keep the pages a commit touches
 * next; within a transaction changed pages still spill to the WAL only
 * past SQLite's default 2 MiB, so a bulk load writes no more pages.
 * Pages are not read through a memory map: an I/O error or a file
 * truncated behind SQLite's back would then be a SIGBUS, not KV_EIO. */
static const char writer_cache_sql[] =
	"PRAGMA cache_size = -256; PRAGMA cache_spill = -2000";

/* The 16-byte header of every SQLite 3 database file, NUL included. */
static const char magic[16] = "SQLite format 3";

/* Per-namespace operations; their statements follow the shared ones.
 * OP_TAG (the tag of the row a put will replace) and OP_DEL_TAG (a delete
 * returning the tag of the row it removed) serve only callers that ask
 * what a write replaced. */
enum op { OP_GET, OP_PUT, OP_ADD, OP_DEL, OP_TAG, OP_DEL_TAG, OP_COUNT };

/* What a namespace's table looks like, which decides its statements. */
enum layout {
	LAYOUT_DICT,       /* Dict with kv_tag: every writable open */
	LAYOUT_DICT_PLAIN, /* Dict without it: a dbm.sqlite3 file read-only */
	LAYOUT_META,       /* kv_meta, which has no tag */
	LAYOUT_COUNT
};

enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_WRITE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNT_KEYS,
	ST_SNAPSHOT,
	ST_NS_FIRST,
	ST_TOTAL = ST_NS_FIRST + KV__NS_COUNT * OP_COUNT
};
#define NS_STMT(ns, op) (ST_NS_FIRST + (int)(ns) * OP_COUNT + (op))

static const char *const stmt_sql[ST_NS_FIRST] = {
	"BEGIN",
	"BEGIN IMMEDIATE",
	"COMMIT",
	"ROLLBACK",
	"SELECT COUNT(*) FROM Dict",
	"PRAGMA schema_version"
};

/* The SQL function through which a put's upsert hands over the tag of
 * the row it replaces (see replaced_tag). */
#define REPLACED_TAG_FN "kv_replaced_tag"

/*
 * Per-namespace statements by layout.  Every SELECT (and RETURNING)
 * returns the tag as its second column, a literal NULL where the table
 * has none, so reading a row does not depend on the layout: a kv_meta row
 * reads as untagged.  A get does not return the row's key to compare
 * with the one looked up: SQLite reads a column the index also holds
 * from the index entry, the one the lookup matched, so that comparison
 * cannot see an index entry that names another row (a damaged file).
 * The seal, which covers the key, catches that for sealed records; an
 * unsealed one has nothing to be checked against.  The put is an upsert
 * rather than dbm.sqlite3's REPLACE: REPLACE deletes and re-inserts the
 * row, so it would reset the tag to NULL rather than set it with the
 * value.  Only a read-only open uses LAYOUT_DICT_PLAIN, so its writes
 * never run.  RETURNING needs SQLite 3.35 (configure checks).
 */
#define TAGLESS_SQL(table) { \
	"SELECT value, NULL FROM " table " WHERE key = ?", \
	"INSERT INTO " table " (key, value) VALUES (?, ?)" \
	" ON CONFLICT (key) DO UPDATE SET value = excluded.value", \
	"INSERT INTO " table " (key, value) VALUES (?, ?)" \
	" ON CONFLICT (key) DO NOTHING", \
	"DELETE FROM " table " WHERE key = ?", \
	"SELECT NULL FROM " table " WHERE key = ?", \
	"DELETE FROM " table " WHERE key = ? RETURNING NULL" }

static const char *const ns_sql[LAYOUT_COUNT][OP_COUNT] = {
	{ "SELECT value, kv_tag FROM Dict WHERE key = ?",
	  "INSERT INTO Dict (key, value, kv_tag) VALUES (?, ?, ?)"
	  " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
	  " kv_tag = " REPLACED_TAG_FN "(kv_tag, excluded.kv_tag)",
	  "INSERT INTO Dict (key, value, kv_tag) VALUES (?, ?, ?)"
	  " ON CONFLICT (key) DO NOTHING",
	  "DELETE FROM Dict WHERE key = ?",
	  "SELECT kv_tag FROM Dict WHERE key = ?",
	  "DELETE FROM Dict WHERE key = ? RETURNING kv_tag" },
	TAGLESS_SQL("Dict"),
	TAGLESS_SQL("kv_meta")
};

/* Cursor statements by layout, then [without, with] a start key; the
 * columns are key, value, tag. */
static const char *const cursor_sql[LAYOUT_COUNT][2] = {
	{ "SELECT key, value, kv_tag FROM Dict ORDER BY key",
	  "SELECT key, value, kv_tag FROM Dict WHERE key >= ? ORDER BY key" },
	{ "SELECT key, value, NULL FROM Dict ORDER BY key",
	  "SELECT key, value, NULL FROM Dict WHERE key >= ? ORDER BY key" },
	{ "SELECT key, value, NULL FROM kv_meta ORDER BY key",
	  "SELECT key, value, NULL FROM kv_meta WHERE key >= ? ORDER BY key" }
};

/* Run once at a writable open, as one transaction (with add_tag_sql when
 * Dict lacks kv_tag, and truncate_sql when asked).  Dict is created as
 * dbm.sqlite3 creates it, so a libkv store is a dbm.sqlite3 store, and a
 * file either program made gets the tag column the same way. */
static const char setup_sql[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS Dict"
	" (key BLOB UNIQUE NOT NULL, value BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS kv_meta"
	" (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL);";
static const char add_tag_sql[] = "ALTER TABLE Dict ADD COLUMN kv_tag BLOB";
static const char truncate_sql[] = "DELETE FROM Dict; DELETE FROM kv_meta;";
static const char marker_sql[] =
	"INSERT OR IGNORE INTO kv_meta (key, value)"
	" VALUES (CAST('format' AS BLOB), CAST('1' AS BLOB));"
	"COMMIT;";
static const char tables_sql[] =
	"SELECT lower(name) FROM sqlite_master"
	" WHERE type = 'table' AND lower(name) IN ('dict', 'kv_meta')";
/* Column names compare without case in SQLite. */
static const char has_tag_sql[] =
	"SELECT COUNT(*) FROM pragma_table_info('Dict')"
	" WHERE lower(name) = 'kv_tag'";

/* One connection and the statements prepared on it. */
struct conn {
	kv__benv *env; /* whose layout its statements follow */
	sqlite3 *db;
	/* A put asking what it replaced: where replaced_tag copies the
	 * replaced row's tag, and the length of a tag too long to copy. */
	kv__bold *capture;
	size_t capture_bad;
	sqlite3_stmt *stmt[ST_TOTAL];
	sqlite3_stmt *spare[KV__NS_COUNT][2]; /* a closed cursor's, for reuse */
	struct conn *next;                    /* in the pool's free list */
};

struct kv__benv {
	char *path;           /* as given, for messages */
	char *real;           /* absolute, so a later chdir() cannot matter */
	char *wal;            /* real + "-wal" */
	char *dir;            /* the directory holding them */
	int sync_each_commit;
	atomic_int wal_entry_synced; /* the -wal file's directory entry is
	                                durable: it stays while we are open */
	int has_meta;         /* kv_meta exists (only a read-only open lacks it) */
	int has_tag;          /* Dict has kv_tag (only a read-only open lacks it);
	                         fixed at open, so a column another process adds
	                         later stays unseen until the next open */
	struct conn *writer;  /* NULL when opened read-only */
	pthread_mutex_t lock; /* guards pool and idle */
	struct conn *pool;    /* idle read-only connections */
	int idle;             /* how many */
};

struct kv__btxn {
	kv__benv *env;
	struct conn *conn;
	int write;
	sqlite3_stmt *held; /* the last get's, un-reset while its row is lent */
	kv__bcur *cursors;  /* open cursors, detached when the txn ends */
};

struct kv__bcur {
	kv__btxn *txn; /* NULL once detached from its transaction */
	sqlite3_stmt *stmt;
	kv__ns ns;
	int ranged; /* bound to a start key */
	int done;   /* stepping a finished statement would restart it */
	kv__bcur *prev, *next;
};

/* Translate an SQLite result code, keeping SQLite's own text. */
static kv_status map_rc(int rc, sqlite3 *conn, const char *what)
{
	const char *msg = sqlite3_errstr(rc);
	kv_status status;

	if (conn && (sqlite3_errcode(conn) & 0xff) == (rc & 0xff))
		msg = sqlite3_errmsg(conn);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: status = KV_EBUSY; break;
	case SQLITE_FULL: status = KV_EFULL; break;
	case SQLITE_CORRUPT: status = KV_ECORRUPT; break;
	case SQLITE_NOTADB:
		return kv__error(KV_EFORMAT, "%s: not an SQLite store: %s",
		                 what, msg);
	case SQLITE_CANTOPEN:
		status = conn && sqlite3_system_errno(conn) == ENOENT
		         ? KV_ENOENT : KV_EIO;
		break;
	case SQLITE_NOMEM: status = KV_ENOMEM; break;
	case SQLITE_READONLY: status = KV_EREADONLY; break;
	case SQLITE_TOOBIG: status = KV_ETOOBIG; break;
	default: status = KV_EIO; break; /* SQLITE_IOERR and the rest */
	}
	return kv__error(status, "%s: %s", what, msg);
}

/* Translate a failed system call on path. */
static kv_status map_errno(int err, const char *path, const char *what)
{
	kv_status status = err == ENOENT || err == ENOTDIR ? KV_ENOENT
	                   : err == ENOSPC ? KV_EFULL
	                   : err == ENOMEM ? KV_ENOMEM
	                   : err == EROFS ? KV_EREADONLY : KV_EIO;

	return kv__error(status, "%s: %s: %s", path, what, strerror(err));
}

static kv_status no_memory(void)
{
	return kv__error(KV_ENOMEM, "out of memory");
}

/* Bind bytes as a BLOB.  A NULL pointer would bind SQL NULL, which the
 * NOT NULL columns refuse, so the empty string is a static "". */
static int bind_bytes(sqlite3_stmt *st, int col, const void *p, size_t len)
{
	return sqlite3_bind_blob64(st, col, len ? p : "", (sqlite3_uint64)len,
	                           SQLITE_STATIC);
}

/* Borrow a column's bytes; an empty value is "" rather than NULL. */
static kv_status column_bytes(const void **out, size_t *out_len,
                              sqlite3_stmt *st, int col)
{
	const void *p = sqlite3_column_blob(st, col);
	size_t len = (size_t)sqlite3_column_bytes(st, col);

	if (!p) {
		sqlite3 *db = sqlite3_db_handle(st);
		if (sqlite3_errcode(db) == SQLITE_NOMEM)
			return map_rc(SQLITE_NOMEM, db, "sqlite read");
		p = "";
		len = 0;
	}
	*out = p;
	*out_len = len;
	return KV_OK;
}

/* Borrow a row's tag: NULL, 0 for SQL NULL (no tag: a foreign write, a
 * table without the column) and for an empty one, so the core sees a
 * single form of "untagged".  A longer tag than libkv ever writes can
 * only come from another program; handing it on would break the core's
 * bound, so it is reported as corruption. */
static kv_status column_tag(kv__bval *out, sqlite3_stmt *st, int col)
{
	const void *p;
	size_t len;
	/* SQL NULL reads as no bytes, as an empty tag does, so one call
	 * answers both without asking the column's type. */
	kv_status status = column_bytes(&p, &len, st, col);

	if (status != KV_OK)
		return status;
	if (len > KV__TAG_MAX)
		return kv__error(KV_ECORRUPT, "sqlite: record tag of %zu bytes "
		                 "(at most %d)", len, KV__TAG_MAX);
	out->tag = len ? p : NULL;
	out->tag_len = len;
	return KV_OK;
}

/*
 * kv_replaced_tag(old, new): new, the tag the upsert sets.  Called only
 * when the put meets an existing row, with that row's tag as old: copied
 * into the connection's capture, the put learns what it replaced in the
 * same statement, where a SELECT before it cost a quarter of a put.
 */
static void replaced_tag(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct conn *c = sqlite3_user_data(ctx);
	kv__bold *old = c->capture;
	size_t len = 0;
	const void *p = NULL;

	(void)argc;
	if (old) {
		old->existed = 1;
		if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
			p = sqlite3_value_blob(argv[0]);
			len = (size_t)sqlite3_value_bytes(argv[0]);
		}
		if (len > KV__TAG_MAX) {
			c->capture_bad = len;
			sqlite3_result_error(ctx, "record tag too long", -1);
			return;
		}
		if (len && !p) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		old->tag_len = len;
		if (len)
			memcpy(old->tag, p, len);
	}
	sqlite3_result_value(ctx, argv[1]);
}

/* Open a connection to the store's file, which exists by now. */
static kv_status conn_open(struct conn **out, kv__benv *env, int write)
{
	int flags = SQLITE_OPEN_NOMUTEX |
	            (write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
	sqlite3 *db = NULL;
	struct conn *c;
	kv_status status;
	int rc;

	rc = sqlite3_open_v2(env->real, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		status = map_rc(rc, db, env->path);
		sqlite3_close(db);
		return status;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	c = calloc(1, sizeof *c);
	if (!c) {
		sqlite3_close(db);
		return no_memory();
	}
	c->env = env;
	c->db = db;
	/* DIRECTONLY: no trigger or view in the file can call it. */
	if (write && (rc = sqlite3_create_function_v2(db, REPLACED_TAG_FN, 2,
	                  SQLITE_UTF8 | SQLITE_DIRECTONLY, c, replaced_tag,
	                  NULL, NULL, NULL)) != SQLITE_OK) {
		status = map_rc(rc, db, env->path);
		sqlite3_close(db);
		free(c);
		return status;
	}
	*out = c;
	return KV_OK;
}

/* Finalize a connection's statements and close it. */
static void conn_close(struct conn *c)
{
	sqlite3_stmt *st = NULL;
	int i, rc;

	if (!c)
		return;
	for (i = 0; i < ST_TOTAL; i++)
		sqlite3_finalize(c->stmt[i]);
	for (i = 0; i < KV__NS_COUNT; i++) {
		sqlite3_finalize(c->spare[i][0]);
		sqlite3_finalize(c->spare[i][1]);
	}
	rc = sqlite3_close(c->db);
	if (rc != SQLITE_OK) {
		/* Only a statement we lost track of can hold it open: say so,
		 * then finalize whatever is left rather than leak it. */
		map_rc(rc, c->db, "sqlite close");
		while ((st = sqlite3_next_stmt(c->db, NULL)) != NULL)
			sqlite3_finalize(st);
		sqlite3_close(c->db);
	}
	free(c);
}

/* The layout of a namespace's table in this store. */
static enum layout ns_layout(const kv__benv *env, kv__ns ns)
{
	if (ns == KV__NS_META)
		return LAYOUT_META;
	return env->has_tag ? LAYOUT_DICT : LAYOUT_DICT_PLAIN;
}

/* Prepare the connection's statement id, on its first use. */
static kv_status conn_prepare(struct conn *c, int id)
{
	const char *sql;
	int rc, ns;

	if (id < ST_NS_FIRST) {
		sql = stmt_sql[id];
	} else {
		ns = (id - ST_NS_FIRST) / OP_COUNT;
		sql = ns_sql[ns_layout(c->env, (kv__ns)ns)]
		            [(id - ST_NS_FIRST) % OP_COUNT];
	}
	rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                        &c->stmt[id], NULL);
	return rc == SQLITE_OK ? KV_OK : map_rc(rc, c->db, "sqlite prepare");
}

/* The connection's statement id; every get and put asks, so the
 * prepared case stays small enough to inline. */
static inline kv_status conn_stmt(sqlite3_stmt **out, struct conn *c,
                                  int id)
{
	kv_status status = c->stmt[id] ? KV_OK : conn_prepare(c, id);

	*out = c->stmt[id];
	return status;
}

/* Run one of the statements that return no rows (BEGIN, COMMIT, ...). */
static kv_status conn_run(struct conn *c, int id, const char *what)
{
	sqlite3_stmt *st = NULL;
	kv_status status;
	int rc;

	status = conn_stmt(&st, c, id);
	if (status != KV_OK)
		return status;
	rc = sqlite3_step(st);
	status = rc == SQLITE_DONE ? KV_OK : map_rc(rc, c->db, what);
	sqlite3_reset(st);
	return status;
}

/* Roll back the connection's transaction, if one is open.  Quietly: the
 * message of the failure that brought us here is the one to keep (only a
 * ROLLBACK that cannot even be prepared replaces it). */
static void conn_rollback(struct conn *c)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_get_autocommit(c->db))
		return;
	if (conn_stmt(&st, c, ST_ROLLBACK) == KV_OK) {
		sqlite3_step(st);
		sqlite3_reset(st);
	}
}

/* Take an idle read connection, or open one when all are in use. */
static kv_status pool_take(struct conn **out, kv__benv *env)
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
		return conn_open(out, env, 0);
	c->next = NULL;
	*out = c;
	return KV_OK;
}

/* Return a read connection to the pool, or close it if enough idle. */
static void pool_give(kv__benv *env, struct conn *c)
{
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

/* Put a cursor statement back for the next cursor, or finalize it. */
static void stmt_release(struct conn *c, sqlite3_stmt *st, kv__ns ns,
                         int ranged)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!c->spare[ns][ranged])
		c->spare[ns][ranged] = st;
	else
		sqlite3_finalize(st);
}

/* Unlink a cursor from its transaction and give back its statement. */
static void cursor_detach(kv__bcur *cur)
{
	kv__btxn *txn = cur->txn;

	if (!txn)
		return;
	if (cur->prev)
		cur->prev->next = cur->next;
	else
		txn->cursors = cur->next;
	if (cur->next)
		cur->next->prev = cur->prev;
	stmt_release(txn->conn, cur->stmt, cur->ns, cur->ranged);
	cur->txn = NULL;
	cur->stmt = NULL;
	cur->prev = cur->next = NULL;
}

/* Create a missing file with exactly the mode asked for, whatever the
 * umask.  SQLite takes an empty file as an empty database and gives the
 * -wal and -shm files the database file's permissions. */
static kv_status create_file(const char *path, unsigned int mode)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	              (mode_t)mode);
	int err;

	if (fd < 0)
		return errno == EEXIST ? KV_OK
		                       : map_errno(errno, path, "cannot create");
	if (fchmod(fd, (mode_t)mode) != 0) {
		err = errno;
		close(fd);
		return map_errno(err, path, "cannot set mode");
	}
	close(fd);
	return KV_OK;
}

/* Fill the paths a store needs besides the one it was opened by. */
static kv_status env_paths(kv__benv *env, const char *path)
{
	size_t len, dir_len;

	env->path = strdup(path);
	if (!env->path)
		return no_memory();
	env->real = realpath(path, NULL);
	if (!env->real)
		return map_errno(errno, path, "cannot resolve path");
	len = strlen(env->real);
	env->wal = malloc(len + sizeof "-wal");
	env->dir = malloc(len + 1);
	if (!env->wal || !env->dir)
		return no_memory();
	memcpy(env->wal, env->real, len);
	memcpy(env->wal + len, "-wal", sizeof "-wal");
	dir_len = (size_t)(strrchr(env->real, '/') - env->real);
	memcpy(env->dir, env->real, dir_len ? dir_len : 1);
	env->dir[dir_len ? dir_len : 1] = '\0';
	return KV_OK;
}

/* Does Dict have the kv_tag column?  Asked once at open; the answer
 * decides which statements every connection of the store prepares. */
static int dict_has_tag(int *out, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, has_tag_sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0) > 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Open the writer connection and bring the file to libkv's layout: WAL,
 * Dict with kv_tag, kv_meta with its format marker (emptied first on
 * truncate), all in one transaction so no process sees half of it. */
static kv_status setup_writer(kv__benv *env, int truncate)
{
	sqlite3 *db;
	kv_status status;
	int rc, has_tag = 0;

	status = conn_open(&env->writer, env, 1);
	if (status != KV_OK)
		return status;
	db = env->writer->db;
	/* SQLite falls back to reading a write-protected file. */
	if (sqlite3_db_readonly(db, "main") == 1)
		return kv__error(KV_EREADONLY, "%s: file is read-only; open "
		                 "it with KV_OPEN_READONLY", env->path);
	/* The first statement reads the header: a foreign file fails here. */
	rc = sqlite3_exec(db, "PRAGMA journal_mode = wal", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, env->sync_each_commit
		                      ? "PRAGMA synchronous = FULL"
		                      : "PRAGMA synchronous = NORMAL",
		                  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, writer_cache_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, setup_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = dict_has_tag(&has_tag, db);
	if (rc == SQLITE_OK && !has_tag)
		rc = sqlite3_exec(db, add_tag_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK && truncate)
		rc = sqlite3_exec(db, truncate_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, marker_sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		status = map_rc(rc, db, env->path);
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return status;
	}
	env->has_meta = 1;
	env->has_tag = 1;
	return KV_OK;
}

/* Check a store opened read-only: Dict must exist, kv_meta and kv_tag
 * may not (a file only dbm.sqlite3 wrote).  The first read also tells a
 * foreign file. */
static kv_status setup_reader(kv__benv *env)
{
	struct conn *c;
	sqlite3_stmt *st = NULL;
	kv_status status;
	int rc, has_dict = 0;

	status = pool_take(&c, env);
	if (status != KV_OK)
		return status;
	rc = sqlite3_prepare_v2(c->db, tables_sql, -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (name && strcmp(name, "dict") == 0)
			has_dict = 1;
		else if (name)
			env->has_meta = 1;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		status = map_rc(rc, c->db, env->path);
	else if (!has_dict)
		status = kv__error(KV_EFORMAT, "%s: not a libkv or dbm.sqlite3 "
		                   "store: no table Dict", env->path);
	sqlite3_finalize(st);
	if (status == KV_OK) {
		rc = dict_has_tag(&env->has_tag, c->db);
		if (rc != SQLITE_OK)
			status = map_rc(rc, c->db, env->path);
	}
	pool_give(env, c);
	return status;
}

/* Close every connection and free the store; the pool lock must exist. */
static void env_free(kv__benv *env)
{
	struct conn *c;

	while ((c = env->pool) != NULL) {
		env->pool = c->next;
		conn_close(c);
	}
	/* Last, so that it is the connection that checkpoints the WAL
	 * and removes it when no other process has the file open. */
	conn_close(env->writer);
	pthread_mutex_destroy(&env->lock);
	free(env->path);
	free(env->real);
	free(env->wal);
	free(env->dir);
	free(env);
}

static int db_probe(const unsigned char *head, size_t len)
{
	return len >= sizeof magic && memcmp(head, magic, sizeof magic) == 0;
}

static kv_status db_open(kv__benv **out, const kv__bopen *args)
{
	unsigned int flags = args->flags;
	int writable = flags != KV_OPEN_READONLY;
	int create = flags == KV_OPEN_CREATE || flags == KV_OPEN_TRUNCATE;
	kv__benv *env = NULL;
	kv_status status;
	struct stat sb;

	if (flags != KV_OPEN_READONLY && flags != KV_OPEN_READWRITE && !create)
		return kv__error(KV_EINVAL, "%s: bad open flags 0x%x",
		                 args->path, flags);
	if (create) {
		status = create_file(args->path, args->mode);
		if (status != KV_OK)
			return status;
	}
	if (stat(args->path, &sb) != 0) {
		status = map_errno(errno, args->path, "cannot open");
		goto done;
	}
	if (S_ISDIR(sb.st_mode)) {
		status = kv__error(KV_EFORMAT, "%s: is a directory, not an "
		                   "SQLite store", args->path);
		goto done;
	}
	env = calloc(1, sizeof *env);
	if (!env) {
		status = no_memory();
		goto done;
	}
	if (pthread_mutex_init(&env->lock, NULL) != 0) {
		free(env);
		env = NULL;
		status = no_memory();
		goto done;
	}
	env->sync_each_commit = args->sync_each_commit;
	status = env_paths(env, args->path);
	if (status == KV_OK)
		status = writable ? setup_writer(env, flags == KV_OPEN_TRUNCATE)
		                  : setup_reader(env);

done:
	/* A file this call created stays when the open fails: another
	 * process may have opened it since (unlinking it under them is how
	 * they lose their writes), and an empty file is a new store to the
	 * next open with create. */
	if (status != KV_OK) {
		if (env)
			env_free(env);
		return status;
	}
	*out = env;
	return KV_OK;
}

/* Sync a file (or, with dir, a directory) by path.  SQLite locks the
 * database and -shm files, never the WAL or the directory, so opening and
 * closing our own descriptor on those cannot drop one of its POSIX locks.
 * A file needs only fdatasync, as SQLite's own WAL syncs do: it writes
 * the data and the size a read needs, not the times fsync adds. */
static kv_status sync_path(const char *path, int dir)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	kv_status status = KV_OK;

	if (fd < 0)
		return errno == ENOENT && !dir ? KV_OK
		                               : map_errno(errno, path, "sync");
	if ((dir ? fsync(fd) : fdatasync(fd)) != 0 &&
	    !(dir && errno == EINVAL))
		status = map_errno(errno, path, "sync");
	close(fd);
	return status;
}

/*
 * Make every commit so far durable.  Under synchronous = NORMAL a commit
 * is in the WAL, unsynced, until a checkpoint.  PRAGMA wal_checkpoint
 * (PASSIVE) does not guarantee a sync: walCheckpoint() syncs the WAL only
 * when it can backfill frames, and a reader holding an older snapshot can
 * leave nothing to backfill.  So we fsync the -wal file ourselves (frames
 * already backfilled were synced into the database by their checkpoint;
 * no WAL means no unsynced commit) and the directory, whose entry for a
 * new -wal SQLite would only sync at its own first WAL sync.  It needs no
 * connection, so it is safe next to a running write transaction.
 */
static kv_status db_sync(kv__benv *env)
{
	kv_status status;

	int wal_exists;

	if (!env->writer || env->sync_each_commit)
		return KV_OK;
	status = sync_path(env->wal, 0);
	if (status != KV_OK || atomic_load(&env->wal_entry_synced))
		return status;
	/* The directory once the -wal file exists: our writer connection
	 * keeps SQLite from removing it, so its entry needs no second sync
	 * (a second fsync per durable commit halved their rate). */
	wal_exists = access(env->wal, F_OK) == 0;
	status = sync_path(env->dir, 1);
	if (status == KV_OK && wal_exists)
		atomic_store(&env->wal_entry_synced, 1);
	return status;
}

/* Rewrite the file without its free pages (VACUUM, which in WAL mode
 * lets readers go on), then fold the WAL into the file and truncate it.
 * A reader of another connection may hold the WAL: it then shrinks at a
 * later checkpoint, so the checkpoint's result does not matter. */
static kv_status db_compact(kv__benv *env)
{
	int rc;

	if (!env->writer)
		return kv__error(KV_EREADONLY, "%s: opened read-only",
		                 env->path);
	rc = sqlite3_exec(env->writer->db, "VACUUM", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return map_rc(rc, env->writer->db, "sqlite vacuum");
	sqlite3_exec(env->writer->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	             NULL, NULL);
	return KV_OK;
}

static void db_close(kv__benv *env)
{
	if (!env)
		return;
	/* The checkpoint on close only syncs when no other process has
	 * the file open; batched commits must be durable either way. */
	db_sync(env);
	env_free(env);
}

/* A deferred BEGIN takes its snapshot at the first read, so a commit made
 * between begin and that read would show, where LMDB (and kv.h: one
 * snapshot from the begin) would not; reading the header cookie takes the
 * snapshot now.  Found by fuzz/fuzz_ops.c. */
static kv_status take_snapshot(struct conn *c)
{
	sqlite3_stmt *st = NULL;
	kv_status status = conn_stmt(&st, c, ST_SNAPSHOT);
	int rc;

	if (status != KV_OK)
		return status;
	rc = sqlite3_step(st);
	status = rc == SQLITE_ROW ? KV_OK : map_rc(rc, c->db, "sqlite begin");
	sqlite3_reset(st);
	if (status != KV_OK)
		conn_rollback(c);
	return status;
}

static kv_status txn_begin(kv__btxn **out, kv__benv *env, int write)
{
	kv__btxn *txn;
	kv_status status;

	if (write && !env->writer)
		return kv__error(KV_EREADONLY, "%s: opened read-only",
		                 env->path);
	txn = calloc(1, sizeof *txn);
	if (!txn)
		return no_memory();
	txn->env = env;
	txn->write = write;
	if (write)
		txn->conn = env->writer;
	else if ((status = pool_take(&txn->conn, env)) != KV_OK)
		goto done;
	/* IMMEDIATE takes the write lock now, waiting out other processes
	 * for the busy timeout, rather than failing mid-txn. */
	status = conn_run(txn->conn, write ? ST_BEGIN_WRITE : ST_BEGIN,
	                  "sqlite begin");
	if (status == KV_OK && !write)
		status = take_snapshot(txn->conn);

done:
	if (status != KV_OK) {
		if (txn->conn && !write)
			pool_give(env, txn->conn);
		free(txn);
		return status;
	}
	*out = txn;
	return KV_OK;
}

/* SQLite rolls a transaction back by itself after some errors (disk full,
 * I/O, out of memory); statements after that would each commit alone. */
static kv_status txn_alive(kv__btxn *txn)
{
	if (!sqlite3_get_autocommit(txn->conn->db))
		return KV_OK;
	return kv__error(KV_EIO, "sqlite: transaction was rolled back "
	                 "after an earlier error");
}

/* Let go of the row the last get lent out. */
static void txn_release_held(kv__btxn *txn)
{
	if (txn->held) {
		sqlite3_reset(txn->held);
		txn->held = NULL;
	}
}

/* Commit (or roll back) and release the transaction and its connection. */
static kv_status txn_end(kv__btxn *txn, int commit)
{
	struct conn *c = txn->conn;
	kv_status status = KV_OK;

	/* COMMIT ends a read transaction only once no statement is active. */
	while (txn->cursors)
		cursor_detach(txn->cursors);
	txn_release_held(txn);
	if (commit) {
		status = txn_alive(txn);
		if (status == KV_OK)
			status = conn_run(c, ST_COMMIT, "sqlite commit");
	}
	conn_rollback(c);
	if (!txn->write) {
		/* A connection still inside a transaction would pin its
		 * snapshot for ever; drop it instead of pooling it. */
		if (sqlite3_get_autocommit(c->db))
			pool_give(txn->env, c);
		else
			conn_close(c);
	}
	free(txn);
	return status;
}

static kv_status txn_commit(kv__btxn *txn)
{
	return txn_end(txn, 1);
}

static void txn_abort(kv__btxn *txn)
{
	if (txn)
		txn_end(txn, 0);
}

static kv_status get(kv__bval *out, kv__btxn *txn, kv__ns ns,
                     const void *key, size_t key_len)
{
	struct conn *c = txn->conn;
	sqlite3_stmt *st = NULL;
	kv__bval bv = { NULL, 0, NULL, 0 };
	kv_status status;
	int rc;

	txn_release_held(txn);
	if (ns == KV__NS_META && !txn->env->has_meta)
		return KV_NOTFOUND;
	status = txn_alive(txn);
	if (status == KV_OK)
		status = conn_stmt(&st, c, NS_STMT(ns, OP_GET));
	if (status != KV_OK)
		return status;
	rc = bind_bytes(st, 1, key, key_len);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		status = column_bytes(&bv.val, &bv.val_len, st, 0);
		if (status == KV_OK)
			status = column_tag(&bv, st, 1);
	} else if (rc == SQLITE_DONE)
		status = KV_NOTFOUND;
	else
		status = map_rc(rc, c->db, "sqlite get");
	if (status != KV_OK) {
		sqlite3_reset(st);
		return status;
	}
	/* The row stays current, and value and tag valid, until this is
	 * reset. */
	txn->held = st;
	*out = bv;
	return KV_OK;
}

/* Statement id, with the key bound, for a write in txn: refused in a read
 * transaction, and the row the last get lent out is let go first. */
static kv_status write_stmt(sqlite3_stmt **out, kv__btxn *txn, int id,
                            const char *what, const void *key,
                            size_t key_len)
{
	struct conn *c = txn->conn;
	sqlite3_stmt *st = NULL;
	kv_status status;
	int rc;

	if (!txn->write)
		return kv__error(KV_EREADONLY, "%s: read-only transaction",
		                 what);
	txn_release_held(txn);
	status = txn_alive(txn);
	if (status == KV_OK)
		status = conn_stmt(&st, c, id);
	if (status != KV_OK)
		return status;
	rc = bind_bytes(st, 1, key, key_len);
	if (rc != SQLITE_OK) {
		status = map_rc(rc, c->db, what);
		sqlite3_reset(st);
		return status;
	}
	*out = st;
	return KV_OK;
}

/* Step a put, or a delete (val NULL); *changed tells whether a row was
 * inserted, updated or deleted.  The statement's parameters say what it
 * stores: a third one is the tag (Dict's put and add), which an empty tag
 * leaves SQL NULL, as dbm.sqlite3's writes do; kv_meta has none. */
static kv_status write_row(int *changed, kv__btxn *txn, int id,
                           const char *what, const void *key, size_t key_len,
                           const kv__bval *val)
{
	struct conn *c = txn->conn;
	sqlite3_stmt *st = NULL;
	kv_status status;
	int rc = SQLITE_OK;

	status = write_stmt(&st, txn, id, what, key, key_len);
	if (status != KV_OK)
		return status;
	if (val && sqlite3_bind_parameter_count(st) > 1)
		rc = bind_bytes(st, 2, val->val, val->val_len);
	if (rc == SQLITE_OK && val && sqlite3_bind_parameter_count(st) > 2)
		rc = val->tag_len
		     ? sqlite3_bind_blob64(st, 3, val->tag,
		                           (sqlite3_uint64)val->tag_len,
		                           SQLITE_STATIC)
		     : sqlite3_bind_null(st, 3);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		*changed = sqlite3_changes(c->db) > 0;
	else
		status = map_rc(rc, c->db, what);
	sqlite3_reset(st);
	return status;
}

/*
 * Step OP_TAG (before a put) or OP_DEL_TAG (which deletes as it goes) for
 * key and tell in old whether a row was there, with a copy of its tag; the
 * key is unique, so there is one row at most.  old->existed is set as soon
 * as a row comes back, even if its tag then cannot be read (a tag longer
 * than libkv writes, out of memory): for OP_DEL_TAG that row is gone by
 * then, since SQLite makes a RETURNING statement's changes at its first
 * step, and the caller must not let that deletion commit unaccounted.
 */
static kv_status write_old(kv__bold *old, kv__btxn *txn, int id,
                           const char *what, const void *key, size_t key_len)
{
	sqlite3_stmt *st = NULL;
	kv__bval bv = { NULL, 0, NULL, 0 };
	kv_status status;
	int rc;

	old->existed = 0;
	old->tag_len = 0;
	status = write_stmt(&st, txn, id, what, key, key_len);
	if (status != KV_OK)
		return status;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		old->existed = 1;
		status = column_tag(&bv, st, 0);
		if (status != KV_OK)
			break;
		/* The column is valid only until the statement moves. */
		old->tag_len = bv.tag_len;
		if (bv.tag_len)
			memcpy(old->tag, bv.tag, bv.tag_len);
	}
	if (status == KV_OK && rc != SQLITE_DONE)
		status = map_rc(rc, txn->conn->db, what);
	sqlite3_reset(st);
	return status;
}

/* An upsert that reports the row it replaced (replaced_tag). */
static kv_status put_capture(kv__btxn *txn, kv__ns ns, const void *key,
                             size_t key_len, const kv__bval *val,
                             kv__bold *old)
{
	struct conn *c = txn->conn;
	int changed = 0;
	kv_status status;

	old->existed = 0;
	old->tag_len = 0;
	c->capture = old;
	c->capture_bad = 0;
	status = write_row(&changed, txn, NS_STMT(ns, OP_PUT), "sqlite put",
	                   key, key_len, val);
	c->capture = NULL;
	if (c->capture_bad)
		return kv__error(KV_ECORRUPT, "sqlite: record tag of %zu bytes "
		                 "(at most %d)", c->capture_bad, KV__TAG_MAX);
	return status;
}

static kv_status put(kv__btxn *txn, kv__ns ns, const void *key,
                     size_t key_len, const kv__bval *val, unsigned int flags,
                     kv__bold *old)
{
	int add = (flags & KV_PUT_NOOVERWRITE) != 0;
	int changed = 0;
	kv_status status;

	/* The core bounds and builds tags; anything else is its bug. */
	if (val->tag_len > KV__TAG_MAX || (val->tag_len && !val->tag))
		return kv__error(KV_EINVAL, "sqlite put: bad tag (%zu bytes, "
		                 "at most %d)", val->tag_len, KV__TAG_MAX);
	if (old && !add && ns_layout(txn->env, ns) == LAYOUT_DICT)
		return put_capture(txn, ns, key, key_len, val, old);
	/* Read the row about to be replaced first: the write transaction
	 * holds the write lock, so it is still the one the upsert meets. */
	if (old) {
		status = write_old(old, txn, NS_STMT(ns, OP_TAG), "sqlite put",
		                   key, key_len);
		if (status != KV_OK)
			return status;
		if (add && old->existed)
			return KV_EXISTS;
	}
	status = write_row(&changed, txn, NS_STMT(ns, add ? OP_ADD : OP_PUT),
	                   "sqlite put", key, key_len, val);
	if (status == KV_OK && add && !changed)
		return KV_EXISTS;
	return status;
}

static kv_status del(kv__btxn *txn, kv__ns ns, const void *key,
                     size_t key_len, kv__bold *old)
{
	int changed = 0;
	kv_status status;

	if (!old) {
		status = write_row(&changed, txn, NS_STMT(ns, OP_DEL),
		                   "sqlite del", key, key_len, NULL);
		if (status == KV_OK && !changed)
			return KV_NOTFOUND;
		return status;
	}
	status = write_old(old, txn, NS_STMT(ns, OP_DEL_TAG), "sqlite del",
	                   key, key_len);
	if (status == KV_OK)
		return old->existed ? KV_OK : KV_NOTFOUND;
	/* A row deleted without its tag reported would leave the core's
	 * digest wrong if it committed: roll the transaction back, as
	 * SQLite does after its own fatal errors, so that txn_alive()
	 * refuses what follows and the commit fails. */
	if (old->existed)
		conn_rollback(txn->conn);
	return status;
}

static kv_status cursor_open(kv__bcur **out, kv__btxn *txn, kv__ns ns,
                             const void *start, size_t start_len)
{
	struct conn *c = txn->conn;
	kv__bcur *cur;
	kv_status status = KV_OK;
	int rc = SQLITE_OK;

	cur = calloc(1, sizeof *cur);
	if (!cur)
		return no_memory();
	cur->ns = ns;
	cur->ranged = start_len > 0;
	if (ns == KV__NS_META && !txn->env->has_meta) {
		cur->done = 1; /* nothing to iterate over */
		goto link;
	}
	status = txn_alive(txn);
	if (status != KV_OK)
		goto done;
	cur->stmt = c->spare[ns][cur->ranged];
	c->spare[ns][cur->ranged] = NULL;
	if (!cur->stmt)
		rc = sqlite3_prepare_v3(c->db,
		                        cursor_sql[ns_layout(txn->env, ns)]
		                                  [cur->ranged],
		                        -1, SQLITE_PREPARE_PERSISTENT,
		                        &cur->stmt, NULL);
	/* The caller's start key need not outlive this call: copy it. */
	if (rc == SQLITE_OK && cur->ranged)
		rc = sqlite3_bind_blob64(cur->stmt, 1, start,
		                         (sqlite3_uint64)start_len,
		                         SQLITE_TRANSIENT);
	if (rc != SQLITE_OK) {
		status = map_rc(rc, c->db, "sqlite cursor");
		goto done;
	}

link:
	cur->txn = txn;
	cur->next = txn->cursors;
	if (txn->cursors)
		txn->cursors->prev = cur;
	txn->cursors = cur;

done:
	if (status != KV_OK) {
		stmt_release(c, cur->stmt, ns, cur->ranged);
		free(cur);
		return status;
	}
	*out = cur;
	return KV_OK;
}

static kv_status cursor_next(kv__bcur *cur, const void **key,
                             size_t *key_len, kv__bval *val)
{
	kv__bval bv = { NULL, 0, NULL, 0 };
	const void *k;
	size_t kl;
	kv_status status;
	int rc;

	if (cur->done)
		return KV_NOTFOUND;
	if (!cur->txn)
		return kv__error(KV_EINVAL, "sqlite: cursor used after its "
		                 "transaction ended");
	rc = sqlite3_step(cur->stmt);
	if (rc == SQLITE_DONE) {
		cur->done = 1;
		sqlite3_reset(cur->stmt);
		return KV_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		/* A step after an error would run the query again from its
		 * first row: a scan that goes on past the error would loop for
		 * ever (found by fuzz/fuzz_sqlite_file.c).  End the cursor. */
		status = map_rc(rc, cur->txn->conn->db, "sqlite cursor");
		cur->done = 1;
		sqlite3_reset(cur->stmt);
		return status;
	}
	status = column_bytes(&k, &kl, cur->stmt, 0);
	if (status == KV_OK)
		status = column_bytes(&bv.val, &bv.val_len, cur->stmt, 1);
	if (status == KV_OK)
		status = column_tag(&bv, cur->stmt, 2);
	if (status != KV_OK)
		return status;
	*key = k;
	*key_len = kl;
	*val = bv;
	return KV_OK;
}

static void cursor_close(kv__bcur *cur)
{
	if (!cur)
		return;
	cursor_detach(cur);
	free(cur);
}

static kv_status db_stat(kv__bstat *out, kv__benv *env)
{
	unsigned long long size;
	struct conn *c;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 count = 0;
	kv_status status;
	struct stat sb;
	int rc;

	status = pool_take(&c, env);
	if (status != KV_OK)
		return status;
	status = conn_stmt(&st, c, ST_COUNT_KEYS);
	if (status == KV_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			count = sqlite3_column_int64(st, 0);
		else
			status = map_rc(rc, c->db, "sqlite stat");
		sqlite3_reset(st);
	}
	pool_give(env, c);
	if (status != KV_OK)
		return status;
	if (stat(env->real, &sb) != 0)
		return map_errno(errno, env->path, "stat");
	size = (unsigned long long)sb.st_size;
	if (stat(env->wal, &sb) == 0)
		size += (unsigned long long)sb.st_size;
	out->count = (unsigned long long)count;
	out->file_size = size;
	return KV_OK;
}

const kv__backend kv__backend_sqlite = {
	.name = "sqlite",
	.probe = db_probe,
	.open = db_open,
	.close = db_close,
	.txn_begin = txn_begin,
	.txn_commit = txn_commit,
	.txn_abort = txn_abort,
	.get = get,
	.put = put,
	.del = del,
	.cursor_open = cursor_open,
	.cursor_next = cursor_next,
	.cursor_close = cursor_close,
	.sync = db_sync,
	.stat = db_stat,
	.compact = db_compact,
};
