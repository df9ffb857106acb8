/*
 * backends/postgres.h - what the two files of the PostgreSQL backend
 * share: postgres.c (URI, connections, open, stat) and postgres_txn.c
 * (transactions, the redo log that replays them, cursors).
 */
#ifndef KV_BACKEND_POSTGRES_H
#define KV_BACKEND_POSTGRES_H

#include <pthread.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "backend.h"

#define POOL_MAX_IDLE 16
#define SCAN_BATCH 256       /* rows a cursor fetches at a time (the LIMIT) */
#define MAX_RETRIES 5        /* replays after a serialisation failure */
#define TABLE_MAX 63         /* PostgreSQL's identifier length */

enum stmt_id {
	ST_SETUP,       /* session settings */
	ST_BEGIN_READ,
	ST_BEGIN_WRITE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_GET,
	ST_GET_LOCK,
	ST_INSERT,
	ST_LOCK_TAG,
	ST_UPDATE,
	ST_DELETE,
	ST_SCAN,
	ST_SCAN_AFTER,
	ST_COUNT,
	ST_SIZE,
	ST_CREATE,
	ST_CHECK,
	ST_EMPTY,
	ST_MARK,
	ST_TOKEN,
	ST_SNAPSHOT,    /* a read transaction's snapshot starts here */
	ST_TOTAL
};

/* One connection and which statements are prepared on it. */
struct conn {
	PGconn *pg;
	uint32_t prepared; /* bit per enum stmt_id */
	struct conn *next; /* in the pool */
};

struct kv__benv {
	char *path;           /* as given, for messages */
	char *conninfo;       /* the URI libpq sees: without table= */
	char *table;          /* the table name as given */
	char *quoted;         /* the name quoted by libpq (PQfreemem) */
	char *sql[ST_TOTAL];  /* statements with the quoted name */
	int readonly;
	struct conn *writer;  /* NULL when opened read-only */
	pthread_mutex_t lock; /* guards pool and idle */
	struct conn *pool;
	int idle;
};

/* An operation of a write transaction, with what it returned, kept for a
 * replay.  out is what the operation reported, serialised: a get's value
 * and tag, the tag a put or delete replaced, a scan's rows. */
enum { E_GET, E_PUT, E_DEL, E_SCAN };
struct entry {
	int op;
	kv__ns ns;
	unsigned int flags;    /* put: KV_PUT_NOOVERWRITE */
	const void *key;       /* scan: the start or last key */
	size_t key_len;
	const void *val;       /* put only */
	size_t val_len;
	const void *tag;
	size_t tag_len;
	int after;             /* scan: keys after key, not from it */
	kv_status rc;
	unsigned char *out;    /* OWNED */
	size_t out_len;
	unsigned char *own;    /* OWNED copy of the inputs once logged */
};

struct kv__btxn {
	kv__benv *env;
	struct conn *conn;
	int write;
	kv_status dead;     /* the server aborted the transaction: why */
	PGresult *held;     /* the last get's row, lent out */
	kv__bcur *cursors;
	struct entry *log;  /* write transactions: the redo log */
	size_t nlog, caplog;
	unsigned int absent_reads; /* gets, dels that found nothing, in log */
	int token;          /* holds the store's write token (run_get) */
};

struct kv__bcur {
	kv__btxn *txn;      /* NULL once its transaction ended */
	kv__ns ns;
	PGresult *res;      /* the current batch */
	int row, nrows;
	unsigned char *start; /* OWNED: the first key, or the last seen */
	size_t start_len;
	int after;
	int done;
	kv__bcur *prev, *next;
};

/* postgres.c: translate a failed statement (res may be NULL). */
kv_status kv__pg_map(const PGresult *res, const struct conn *c,
                     const char *what);
/* postgres.c: run statement id on c with up to four binary parameters
 * (a NULL value is SQL NULL).  *out (may be NULL) receives the result,
 * which the caller clears; *retry (may be NULL) tells a failure a replay
 * may cure (serialisation failure, deadlock). */
kv_status kv__pg_exec(PGresult **out, int *retry, struct conn *c,
                      const kv__benv *env, int id, int n,
                      const char *const *vals, const int *lens,
                      const char *what);
/* postgres.c: reconnect a connection the server dropped. */
kv_status kv__pg_revive(struct conn *c, const kv__benv *env);
/* postgres.c: borrow a read connection from the pool, give it back. */
kv_status kv__pg_pool_take(struct conn **out, kv__benv *env);
void kv__pg_pool_give(kv__benv *env, struct conn *c);

/* postgres_txn.c: the transaction and cursor operations of the vtable. */
kv_status kv__pg_txn_begin(kv__btxn **out, kv__benv *env, int write);
kv_status kv__pg_txn_commit(kv__btxn *txn);
void kv__pg_txn_abort(kv__btxn *txn);
kv_status kv__pg_get(kv__bval *out, kv__btxn *txn, kv__ns ns,
                     const void *key, size_t key_len);
kv_status kv__pg_put(kv__btxn *txn, kv__ns ns, const void *key,
                     size_t key_len, const kv__bval *val, unsigned int flags,
                     kv__bold *old);
kv_status kv__pg_del(kv__btxn *txn, kv__ns ns, const void *key,
                     size_t key_len, kv__bold *old);
kv_status kv__pg_cursor_open(kv__bcur **out, kv__btxn *txn, kv__ns ns,
                             const void *start, size_t start_len);
kv_status kv__pg_cursor_next(kv__bcur *cur, const void **key,
                             size_t *key_len, kv__bval *val);
void kv__pg_cursor_close(kv__bcur *cur);

#endif /* KV_BACKEND_POSTGRES_H */
