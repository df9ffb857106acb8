/*
 * tests/test_crash.c - crash safety on every backend.
 *
 * A child process opens the store (every commit synced, the default) and
 * writes: single puts, small multi-put transactions, partial updates of
 * one record, deletes of earlier keys.  After each commit returned it
 * acknowledges the operation through a pipe.  The test process kills it
 * with SIGKILL at a random moment (after a random number of
 * acknowledgements, or after a random delay; a fixed seed), then opens the
 * store and checks it against a model: every acknowledged operation is
 * there, the one in flight is there wholly or not at all, nothing else
 * is, and kv_db_verify is clean.  Fifty rounds on the same store.
 *
 * The operations are a pure function of (round, index), so the test
 * process knows what the child did from the acknowledgements alone.
 *
 * A second child writes from several threads at once, so that commits
 * share syncs (group commit): every put acknowledged by any thread is
 * there after the kill.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define SEED 0x6b7663726173ULL /* "kvcras" */
#define ROUNDS 50
#define MAX_OPS 120      /* operations a child makes; then it waits */
#define MAX_ACKS 40      /* kill after 0..MAX_ACKS acknowledgements ... */
#define MAX_DELAY_US 20000 /* ... or after 0..20 ms */
#define KEYS_PER_OP 6
#define VAL_MAX 3100
#define NSLOTS (1u << 16)
#define GUARD_S 60

enum op_kind { OP_RECORD, OP_PUT, OP_TXN, OP_REPLACE, OP_DEL };
static const char *const kind_name[] = { "kv_record_put", "kv_db_put",
	"transaction", "kv_record_replace", "kv_db_del" };

/* One operation of a child: its keys; values come from value_of(). */
typedef struct op {
	enum op_kind kind;
	int nkeys;
	char key[KEYS_PER_OP][24];
} op;

/* What the model says of a key. */
typedef struct slot {
	char key[24];    /* "" for a free slot */
	int present;
	int record;      /* a record: step is its "step" field */
	int step;
	int round, i, j; /* else: value_of(round, i, j) is the value */
} slot;

static slot model[NSLOTS];

static unsigned long long mix(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Operation i of round: op 0 creates the round's record; then puts,
 * transactions (2-4 new keys, and an overwrite of an earlier put's key),
 * partial updates of the record and deletes (of this round's or the
 * previous round's keys, present or not). */
static void gen_op(op *o, int round, int i)
{
	unsigned long long h = mix(SEED ^ ((unsigned long long)round << 32) ^
	                           (unsigned long long)i);
	int j;

	memset(o, 0, sizeof *o);
	o->nkeys = 1;
	if (i == 0) {
		o->kind = OP_RECORD;
		snprintf(o->key[0], sizeof o->key[0], "rec/%02d", round);
		return;
	}
	switch (h % 10) {
	case 0: case 1: case 2: case 3:
		o->kind = OP_PUT;
		snprintf(o->key[0], sizeof o->key[0], "r%02d/p%03d", round, i);
		break;
	case 4: case 5:
		o->kind = OP_TXN;
		o->nkeys = 2 + (int)((h >> 8) % 3);
		for (j = 0; j < o->nkeys; j++)
			snprintf(o->key[j], sizeof o->key[j], "r%02d/t%03d.%d",
			         round, i, j);
		snprintf(o->key[o->nkeys++], sizeof o->key[0], "r%02d/p%03d",
		         round, (int)((h >> 16) % (unsigned)i));
		break;
	case 6: case 7:
		o->kind = OP_REPLACE;
		snprintf(o->key[0], sizeof o->key[0], "rec/%02d", round);
		break;
	default:
		o->kind = OP_DEL;
		if (round > 0 && ((h >> 8) & 1))
			snprintf(o->key[0], sizeof o->key[0], "r%02d/p%03d",
			         round - 1, (int)((h >> 16) % MAX_ACKS));
		else
			snprintf(o->key[0], sizeof o->key[0], "r%02d/p%03d",
			         round, (int)((h >> 16) % (unsigned)i));
		break;
	}
}

/* The value op (round, i) writes to its key j: a tag naming it, then 0
 * to 3000 pseudo-random bytes (a quarter of them over a page). */
static size_t value_of(unsigned char *buf, int round, int i, int j)
{
	unsigned long long h = mix(SEED + ((unsigned long long)round << 40) +
	                           ((unsigned long long)i << 8) +
	                           (unsigned long long)j);
	size_t fill = h % 4 == 0 ? 1000 + (size_t)(h >> 8) % 2001
	                         : (size_t)(h >> 8) % 200;
	int n = snprintf((char *)buf, VAL_MAX, "v%02d.%03d.%d:", round, i, j);

	kvt_fill_random(buf + n, fill, h);
	return (size_t)n + fill;
}

/* ---- the child ------------------------------------------------------------ */

/* One acknowledgement: op -1 is the open; status non-zero a failure. */
typedef struct ack {
	int32_t op;
	int32_t status;
} ack;

static void send_ack(int fd, int i, kv_status rc)
{
	ack a;

	a.op = i;
	a.status = (int32_t)rc;
	while (write(fd, &a, sizeof a) < 0 && errno == EINTR)
		;
}

static kv_status do_op(kv_db *db, int round, int i)
{
	unsigned char val[VAL_MAX];
	char json[96];
	kv_txn *txn = NULL;
	kv_status rc = KV_OK;
	size_t n;
	op o;
	int j;

	gen_op(&o, round, i);
	switch (o.kind) {
	case OP_RECORD:
		snprintf(json, sizeof json, "{\"round\":%d,\"step\":0}", round);
		return kv_record_put(db, NULL, o.key[0], json);
	case OP_PUT:
		n = value_of(val, round, i, 0);
		return kv_db_put(db, o.key[0], strlen(o.key[0]), val, n, 0);
	case OP_TXN:
		if ((rc = kv_txn_begin(&txn, db, 0)) != KV_OK)
			return rc;
		for (j = 0; j < o.nkeys && rc == KV_OK; j++) {
			n = value_of(val, round, i, j);
			rc = kv_txn_put(txn, o.key[j], strlen(o.key[j]), val, n,
			                0);
		}
		if (rc != KV_OK) {
			kv_txn_abort(txn);
			return rc;
		}
		return kv_txn_commit(txn);
	case OP_REPLACE:
		snprintf(json, sizeof json, "{\"step\":%d,\"f%d\":%d}", i, i % 5,
		         i);
		return kv_record_replace(db, NULL, o.key[0], json, NULL);
	case OP_DEL:
		rc = kv_db_del(db, o.key[0], strlen(o.key[0]));
		return rc == KV_NOTFOUND ? KV_OK : rc;
	}
	return KV_EINVAL;
}

/* Open uri and make the round's operations, acknowledging each; never
 * returns.  A failure is acknowledged with its status and ends the child. */
static void child_main(int fd, const char *uri, int round)
{
	kv_db *db = NULL;
	kv_status rc = kv_db_open(&db, uri, NULL);
	int i;

	send_ack(fd, -1, rc);
	if (rc != KV_OK) {
		fprintf(stderr, "crash child: open: %s\n", kv_errmsg());
		_exit(1);
	}
	for (i = 0; i < MAX_OPS; i++) {
		rc = do_op(db, round, i);
		send_ack(fd, i, rc);
		if (rc != KV_OK) {
			fprintf(stderr, "crash child: op %d: %s\n", i,
			        kv_db_errmsg(db));
			_exit(1);
		}
	}
	for (;;)
		pause();
}

/* ---- the test process ---------------------------------------------------- */

typedef struct kid {
	pid_t pid;
	int fd;
	ack acks[MAX_OPS + 1];
	size_t nacks;  /* whole acknowledgements read */
	size_t partial; /* bytes of the next one */
	int status;
} kid;

static void gc_child_main(int fd, const char *uri, int round);

/* Fork a child making the round's operations (a round below 0: the
 * group-commit child of round -1 - round). */
static void kid_start(kid *k, const char *uri, int round)
{
	int p[2];

	memset(k, 0, sizeof *k);
	ck_assert_msg(pipe(p) == 0, "pipe: %s", strerror(errno));
	fflush(NULL);
	k->pid = fork();
	ck_assert_msg(k->pid >= 0, "fork: %s", strerror(errno));
	if (k->pid == 0) {
		sigset_t none;

		close(p[0]);
		signal(SIGALRM, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		alarm(GUARD_S);
		if (round < 0)
			gc_child_main(p[1], uri, -1 - round);
		child_main(p[1], uri, round);
	}
	close(p[1]);
	k->fd = p[0];
}

/* Read acknowledgements until want arrived or the pipe closed. */
static void kid_read(kid *k, size_t want)
{
	while (k->fd >= 0 && k->nacks < want) {
		char *at = (char *)k->acks + k->nacks * sizeof(ack) + k->partial;
		size_t room = (MAX_OPS + 1 - k->nacks) * sizeof(ack) - k->partial;
		ssize_t n = room ? read(k->fd, at, room) : 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(k->fd);
			k->fd = -1;
			break;
		}
		k->partial += (size_t)n;
		k->nacks += k->partial / sizeof(ack);
		k->partial %= sizeof(ack);
	}
}

/* Kill the child (if still there), read what it acknowledged, reap it. */
static void kid_kill(kid *k)
{
	kill(k->pid, SIGKILL);
	kid_read(k, SIZE_MAX);
	while (waitpid(k->pid, &k->status, 0) < 0)
		ck_assert_msg(errno == EINTR, "waitpid: %s", strerror(errno));
}

/* A server finishes a COMMIT it received even when the client died right
 * after sending it, so on postgresql the killed child's last transaction
 * may still land after the kill.  Wait for every transaction on the
 * store's table (if it exists yet) to end before looking at the store. */
static void quiesce(const char *name)
{
	if (!kvt_files())
		kvt_pg_sql(name, "DO $$ BEGIN IF to_regclass('@T') IS NOT NULL "
		           "THEN LOCK TABLE @T IN ACCESS EXCLUSIVE MODE; "
		           "END IF; END $$");
}

/* Number of operations acknowledged as done; fails on a reported error. */
static int acked_ops(const kid *k, int round)
{
	size_t a;

	for (a = 0; a < k->nacks; a++) {
		ck_assert_msg(k->acks[a].op == (int32_t)a - 1,
		              "round %d: acknowledgement %zu is of op %d", round,
		              a, (int)k->acks[a].op);
		if (k->acks[a].status != 0) {
			op o;

			gen_op(&o, round, k->acks[a].op < 0 ? 0 : k->acks[a].op);
			ck_abort_msg("round %d: the child's %s (op %d) failed: %s "
			             "(its stderr has the message)", round,
			             k->acks[a].op < 0 ? "kv_db_open"
			                               : kind_name[o.kind],
			             (int)k->acks[a].op,
			             kv_strerror((kv_status)k->acks[a].status));
		}
	}
	ck_assert_msg(WIFSIGNALED(k->status) && WTERMSIG(k->status) == SIGKILL,
	              "round %d: the child ended by itself (status %#x)", round,
	              k->status);
	return k->nacks > 0 ? (int)k->nacks - 1 : -1;
}

static slot *lookup(const char *key)
{
	unsigned h = 2166136261u;
	const char *p;

	for (p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (;; h++) {
		slot *s = &model[h & (NSLOTS - 1)];

		if (s->key[0] == '\0') {
			snprintf(s->key, sizeof s->key, "%s", key);
			return s;
		}
		if (strcmp(s->key, key) == 0)
			return s;
	}
}

/* Apply op (round, i) to the model. */
static void apply(int round, int i)
{
	op o;
	int j;

	gen_op(&o, round, i);
	for (j = 0; j < o.nkeys; j++) {
		slot *s = lookup(o.key[j]);

		switch (o.kind) {
		case OP_RECORD:
			s->present = s->record = 1;
			s->step = 0;
			break;
		case OP_REPLACE:
			s->step = i;
			break;
		case OP_DEL:
			s->present = 0;
			break;
		default:
			s->present = 1;
			s->record = 0;
			s->round = round;
			s->i = i;
			s->j = j;
		}
	}
}

/* Does the store hold what s says?  Else describe the difference. */
static int holds(kv_db *db, const slot *s, char *why, size_t whylen)
{
	unsigned char want[VAL_MAX];
	void *v = NULL;
	size_t n = 0, wn;
	char *field = NULL, step[16];
	kv_status rc = kv_db_get(&v, &n, db, s->key, strlen(s->key));
	int ok;

	if (!s->present) {
		kv_free(v);
		snprintf(why, whylen, "'%s' should be absent: %s", s->key,
		         kv_strerror(rc));
		return rc == KV_NOTFOUND;
	}
	if (rc != KV_OK) {
		snprintf(why, whylen, "'%s': %s (%s)", s->key, kv_strerror(rc),
		         kv_db_errmsg(db));
		return 0;
	}
	if (s->record) {
		kv_free(v);
		rc = kv_record_field(&field, db, NULL, s->key, "step");
		snprintf(step, sizeof step, "%d", s->step);
		ok = rc == KV_OK && strcmp(field, step) == 0;
		snprintf(why, whylen, "record '%s': step %s (%s), want %s",
		         s->key, rc == KV_OK ? field : "?", kv_strerror(rc),
		         step);
		kv_free(field);
		return ok;
	}
	wn = value_of(want, s->round, s->i, s->j);
	ok = n == wn && memcmp(v, want, n) == 0;
	snprintf(why, whylen, "'%s': %zu bytes starting '%.12s', want %zu "
	         "starting '%.12s'", s->key, n, (const char *)v, wn,
	         (const char *)want);
	kv_free(v);
	return ok;
}

/* Op (round, i) was in flight when the child died: the store holds all of
 * it or none of it; the model follows the store. */
static void settle(kv_db *db, int round, int i)
{
	slot before[KEYS_PER_OP], after[KEYS_PER_OP];
	char why_old[200] = "", why_new[200] = "";
	int j, old_ok = 1, new_ok = 1;
	op o;

	gen_op(&o, round, i);
	for (j = 0; j < o.nkeys; j++)
		before[j] = *lookup(o.key[j]);
	apply(round, i);
	for (j = 0; j < o.nkeys; j++) {
		after[j] = *lookup(o.key[j]);
		old_ok = old_ok && holds(db, &before[j], why_old, sizeof why_old);
		new_ok = new_ok && holds(db, &after[j], why_new, sizeof why_new);
	}
	ck_assert_msg(old_ok || new_ok, "round %d: op %d (%s, %d keys) was "
	              "applied in part: not as before (%s), not as after (%s)",
	              round, i, kind_name[o.kind], o.nkeys, why_old, why_new);
	if (!new_ok)
		for (j = 0; j < o.nkeys; j++)
			*lookup(o.key[j]) = before[j];
}

/* The store holds exactly the model, and verifies clean. */
static void expect_model(kv_db *db, int round, int nacked)
{
	kv_verify_report r = KV_VERIFY_REPORT_INIT;
	kv_iter *it = NULL;
	kv_u64 present = 0, seen = 0;
	const void *k;
	size_t kl;
	char why[200];
	kv_status rc;
	unsigned s;

	for (s = 0; s < NSLOTS; s++) {
		if (model[s].key[0] == '\0')
			continue;
		present += (kv_u64)model[s].present;
		ck_assert_msg(holds(db, &model[s], why, sizeof why),
		              "round %d, %d operations acknowledged: %s", round,
		              nacked, why);
	}
	kvt_expect_rc(db, kv_iter_new(&it, db, NULL, NULL, 0), KV_OK);
	while ((rc = kv_iter_next(it, &k, &kl, NULL, NULL)) == KV_OK) {
		char key[64];

		snprintf(key, sizeof key, "%.*s", (int)(kl < 63 ? kl : 63),
		         (const char *)k);
		seen++;
		if (lookup(key)->present)
			continue;
		kv_iter_free(it);
		ck_abort_msg("round %d: key '%s' is in the store and should not "
		             "be", round, key);
	}
	kv_iter_free(it);
	ck_assert_msg(rc == KV_NOTFOUND, "round %d: kv_iter_next: %s", round,
	              kv_strerror(rc));
	ck_assert_msg(seen == present, "round %d: %llu keys, want %llu", round,
	              (unsigned long long)seen, (unsigned long long)present);
	kvt_expect_rc(db, kv_db_verify(&r, db, NULL, NULL, NULL), KV_OK);
	ck_assert_msg(r.records == present && r.corrupt == 0 &&
	                      r.unsealed == 0 && r.digest_ok == 1 &&
	                      r.checked == 1,
	              "round %d: verify: records/corrupt/unsealed/digest_ok/"
	              "checked %llu %llu %llu %d %d, want %llu 0 0 1 1", round,
	              (unsigned long long)r.records,
	              (unsigned long long)r.corrupt,
	              (unsigned long long)r.unsealed, r.digest_ok, r.checked,
	              (unsigned long long)present);
}

START_TEST(test_crash__kill_while_writing)
{
	char uri[KVT_PATH_MAX];
	kv_db *db;
	int round, checked = 0;

	/* Made here: a kill while creating is the next test's business. */
	kvt_close(kvt_open(KV_OPEN_CREATE));
	kvt_uri(uri, "store");
	memset(model, 0, sizeof model);
	for (round = 0; round < ROUNDS; round++) {
		unsigned long long r = mix(SEED * 31 + (unsigned long long)round);
		int i, nacked;
		kid k;

		kid_start(&k, uri, round);
		if (r & 1) { /* then a moment, to land inside a commit */
			kid_read(&k, 1 + (size_t)((r >> 8) % (MAX_ACKS + 1)));
			nap_us((long)((r >> 32) % 400));
		} else
			nap_us((long)((r >> 8) % (MAX_DELAY_US + 1)));
		kid_kill(&k);
		nacked = acked_ops(&k, round);
		quiesce("store");

		db = kvt_open(KV_OPEN_READWRITE);
		for (i = 0; i < nacked; i++)
			apply(round, i);
		if (nacked >= 0 && nacked < MAX_OPS)
			settle(db, round, nacked);
		expect_model(db, round, nacked);
		kvt_close(db);
		checked += nacked > 0 ? nacked : 0;
	}
	/* Reached only when every round found every acknowledged commit. */
	printf("crash[%s]: %d SIGKILL rounds, %d acknowledged commits "
	       "checked, 0 lost, verify clean after every round\n",
	       kvt_backend, ROUNDS, checked);
	fflush(stdout);
}
END_TEST

/* A child killed while creating a store leaves a store that opens (with
 * the create flag), empty or with what it acknowledged, and verifies
 * clean.  The kill comes ever later, from 0 to about 6 ms. */
START_TEST(test_crash__kill_while_creating)
{
	char uri[KVT_PATH_MAX], name[16];
	int t;

	for (t = 0; t < 20; t++) {
		kv_verify_report r = KV_VERIFY_REPORT_INIT;
		kv_db *db = NULL;
		kv_status rc;
		int nacked;
		kid k;

		snprintf(name, sizeof name, "c%02d", t);
		kvt_uri(uri, name);
		kid_start(&k, uri, 0);
		nap_us(t * 300L);
		kid_kill(&k);
		nacked = acked_ops(&k, 0);
		quiesce(name);

		rc = kv_db_open(&db, uri, NULL);
		ck_assert_msg(rc == KV_OK, "kill %d after %ld us, %d operations "
		              "acknowledged: kv_db_open(%s) with create: %s (%s)",
		              t, t * 300L, nacked, uri, kv_strerror(rc),
		              kv_errmsg());
		if (nacked >= 1) {
			/* Acknowledged, so present; later steps may have
			 * committed unacknowledged before the kill. */
			char *rec = NULL;
			kvt_expect_rc(db, kv_record_get(&rec, db, NULL, "rec/00"),
			              KV_OK);
			kv_free(rec);
		}
		kvt_put_str(db, "after", "the kill");
		kvt_expect_rc(db, kv_db_verify(&r, db, NULL, NULL, NULL), KV_OK);
		ck_assert_msg(r.corrupt == 0 && r.unsealed == 0 &&
		                      r.digest_ok == 1 && r.checked == 1,
		              "kill %d: verify: corrupt/unsealed/digest_ok/checked"
		              " %llu %llu %d %d", t,
		              (unsigned long long)r.corrupt,
		              (unsigned long long)r.unsealed, r.digest_ok,
		              r.checked);
		kvt_close(db);
	}
}
END_TEST

/* ---- group commit: several writer threads ----------------------------- */

#define GC_THREADS 4
#define GC_PUTS 300   /* puts of each thread; then the child waits */
#define GC_ROUNDS 12

typedef struct gc_writer {
	kv_db *db;
	int fd, round, t;
} gc_writer;

/* Key and value of put i of thread t in round. */
static void gc_put_of(char key[64], char val[64], int round, int t, int i)
{
	snprintf(key, 64, "g%02d/t%d/%04d", round, t, i);
	snprintf(val, 64, "group round %d thread %d put %d", round, t, i);
}

/* One writer thread: autocommitted puts, each acknowledged as it returns
 * (an 8-byte write to a pipe is atomic, so threads do not interleave). */
static void *gc_writer_main(void *arg)
{
	const gc_writer *w = arg;
	char key[64], val[64];
	int i;

	for (i = 0; i < GC_PUTS; i++) {
		kv_status rc;

		gc_put_of(key, val, w->round, w->t, i);
		rc = kv_db_put(w->db, key, strlen(key), val, strlen(val), 0);
		send_ack(w->fd, w->t * GC_PUTS + i, rc);
		if (rc != KV_OK) {
			fprintf(stderr, "crash child: %s: %s\n", key,
			        kv_db_errmsg(w->db));
			_exit(1);
		}
	}
	return NULL;
}

static void gc_child_main(int fd, const char *uri, int round)
{
	gc_writer w[GC_THREADS];
	pthread_t tid[GC_THREADS];
	kv_db *db = NULL;
	kv_status rc = kv_db_open(&db, uri, NULL);
	int t;

	send_ack(fd, -1, rc);
	if (rc != KV_OK)
		_exit(1);
	for (t = 0; t < GC_THREADS; t++) {
		w[t].db = db;
		w[t].fd = fd;
		w[t].round = round;
		w[t].t = t;
		if (pthread_create(&tid[t], NULL, gc_writer_main, &w[t]) != 0)
			_exit(1);
	}
	for (t = 0; t < GC_THREADS; t++)
		pthread_join(tid[t], NULL);
	for (;;)
		pause();
}

/* Read n acknowledgements (fewer when the pipe closes) into a. */
static size_t gc_read(int fd, ack *a, size_t n)
{
	size_t got = 0;

	while (got < n * sizeof *a) {
		ssize_t r = read(fd, (char *)a + got, n * sizeof *a - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got / sizeof *a;
}

/* Every put the round's child acknowledged is in the store; any other
 * of its keys there holds its own value; the store verifies clean. */
static void gc_check(kv_db *db, int round, const ack *a, size_t nacks)
{
	kv_verify_report r = KV_VERIFY_REPORT_INIT;
	char key[64], val[64];
	size_t i;

	for (i = 0; i < nacks; i++) {
		void *v = NULL;
		size_t n = 0;
		kv_status rc;
		int t, j;

		if (a[i].op < 0)
			continue;
		ck_assert_msg(a[i].status == 0, "round %d: put %d failed: %s",
		              round, (int)a[i].op,
		              kv_strerror((kv_status)a[i].status));
		t = a[i].op / GC_PUTS;
		j = a[i].op % GC_PUTS;
		gc_put_of(key, val, round, t, j);
		rc = kv_db_get(&v, &n, db, key, strlen(key));
		ck_assert_msg(rc == KV_OK && n == strlen(val) &&
		                      memcmp(v, val, n) == 0,
		              "round %d: acknowledged put '%s' after the kill: "
		              "%s", round, key, kv_strerror(rc));
		kv_free(v);
	}
	kvt_expect_rc(db, kv_db_verify(&r, db, NULL, NULL, NULL), KV_OK);
	ck_assert_msg(r.corrupt == 0 && r.digest_ok == 1,
	              "round %d: verify: corrupt %llu, digest_ok %d", round,
	              (unsigned long long)r.corrupt, r.digest_ok);
}

START_TEST(test_crash__kill_group_commit)
{
	static ack a[GC_THREADS * GC_PUTS + 1];
	char uri[KVT_PATH_MAX];
	int round;

	kvt_close(kvt_open(KV_OPEN_CREATE));
	kvt_uri(uri, "store");
	for (round = 0; round < GC_ROUNDS; round++) {
		unsigned long long r = mix(SEED * 17 + (unsigned long long)round);
		size_t n;
		kid k;
		kv_db *db;

		kid_start(&k, uri, -1 - round); /* negative: group child */
		n = gc_read(k.fd, a, 1 + (size_t)(r % 200));
		nap_us((long)((r >> 16) % 2000));
		kill(k.pid, SIGKILL);
		n += gc_read(k.fd, a + n, sizeof a / sizeof a[0] - n);
		close(k.fd);
		while (waitpid(k.pid, &k.status, 0) < 0)
			ck_assert_msg(errno == EINTR, "waitpid: %s",
			              strerror(errno));
		ck_assert_msg(n > 0 && a[0].op == -1 && a[0].status == 0,
		              "round %d: the child could not open the store",
		              round);
		db = kvt_open(KV_OPEN_READWRITE);
		gc_check(db, round, a, n);
		kvt_close(db);
	}
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "crash", 120);

	tcase_add_test(tc, test_crash__kill_while_writing);
	tcase_add_test(tc, test_crash__kill_while_creating);
	tcase_add_test(tc, test_crash__kill_group_commit);
}

int main(void)
{
	unsetenv("KV_KEYFILE");
	return kvt_main("crash", populate);
}
