/*
 * tests/test_lifecycle.c - finalisation, shutdown hooks, fork and signals
 * (kv/lifecycle.h) on every backend.
 *
 * libkv finalises once per process, so whatever finalises it runs in a
 * child of the test made with fork(): the child reports through a pipe,
 * one line at a time ("FAIL ..." for a broken promise, "A KEY" for a
 * commit it saw return KV_OK), and ends; the test process, which has
 * used no libkv handle before the fork (except in the fork tests, which
 * are about exactly that), then checks the exit status, opens the store
 * afresh and looks at it.  Children never call Check's assertions.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kv/lifecycle.h"
#include "kv/ndbm.h"
#include "testutil.h"

#define GUARD_S 30      /* SIGALRM ends a child that hangs ... */
#define EXIT_GUARD_S 8  /* ... or whose exit() takes longer than this */
#define OUT_MAX 65536   /* what a child says; the rest is dropped */
#define HOOK_VAL "written by a shutdown hook"
#define RUN_SCHEMA                                                          \
	"{\"name\":\"run\",\"version\":1,\"prefix\":\"runs/\",\"fields\":{" \
	"\"lr\":{\"type\":\"float\"}}}"

/* "<backend>:<kvt_dir>/store", set before each fork. */
static char store_uri[KVT_PATH_MAX];

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- in a child: reporting to the test process ----------------------- */

static int report_fd = -1; /* write end of the child's report pipe */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void child_fail(int line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Send one line.  Shorter than PIPE_BUF, it arrives whole even when
 * several threads say things at once. */
static void say(const char *fmt, ...)
{
	char line[700];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	while (write(report_fd, line, (size_t)n) < 0 && errno == EINTR)
		;
}

/* Report a broken promise, made at line of this file. */
static void child_fail(int line, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	say("FAIL line %d: %s", line, msg);
}

#define C_TRUE(cond, ...)                                                   \
	do {                                                                \
		if (!(cond))                                                \
			child_fail(__LINE__, __VA_ARGS__);                  \
	} while (0)

/* expr must return want; db (NULL when finalised) gives the message. */
#define C_RC(db, expr, want)                                                \
	do {                                                                \
		kv_status c_got_ = (expr), c_want_ = (want);                \
		if (c_got_ != c_want_)                                      \
			child_fail(__LINE__, "%s: got %s, want %s (%s)",    \
			           #expr, kv_strerror(c_got_),              \
			           kv_strerror(c_want_),                    \
			           (db) ? kv_db_errmsg(db) : kv_errmsg());  \
	} while (0)
#define C_OK(db, expr) C_RC(db, expr, KV_OK)
#define C_FIN(expr) C_RC(NULL, expr, KV_EFINALIZING)
#define C_FORKED(expr) C_RC(NULL, expr, KV_EFORKED)

/* Open store_uri; a child that cannot has nothing to test. */
static kv_db *child_open(const kv_open_options *opts)
{
	kv_db *db = NULL;
	kv_status rc = kv_db_open(&db, store_uri, opts);

	if (rc != KV_OK) {
		child_fail(__LINE__, "kv_db_open(%s): %s (%s)", store_uri,
		           kv_strerror(rc), kv_errmsg());
		_exit(1);
	}
	return db;
}

/* Autocommit put of key -> "v:KEY"; says "A KEY" once it returned OK. */
static kv_status put_acked(kv_db *db, const char *key)
{
	char val[64];
	kv_status rc;

	snprintf(val, sizeof val, "v:%s", key);
	rc = kv_db_put(db, key, strlen(key), val, strlen(val), 0);
	if (rc == KV_OK)
		say("A %s", key);
	return rc;
}

/* ---- in the test process: a child and what it said ------------------- */

typedef struct kid {
	pid_t pid;
	int fd;         /* read end of the report pipe; -1 after EOF */
	int status;     /* from waitpid */
	size_t len;     /* bytes in out */
	size_t counted; /* bytes of out whose lines were counted */
	size_t acks;    /* "A " lines so far */
	char out[OUT_MAX]; /* everything said, NUL-terminated */
} kid;

static kid the_kid; /* one child at a time */

/* Fork a child that runs fn(arg) and then exit(0) -- so libkv's exit-time
 * finalisation runs in it -- with Check's signal handlers reset, no signal
 * blocked and an alarm against hangs. */
static kid *kid_start(void (*fn)(void *), void *arg)
{
	kid *k = &the_kid;
	int p[2];

	memset(k, 0, sizeof *k);
	kvt_uri(store_uri, "store");
	ck_assert_msg(pipe(p) == 0, "pipe: %s", strerror(errno));
	fflush(NULL);
	k->pid = fork();
	ck_assert_msg(k->pid >= 0, "fork: %s", strerror(errno));
	if (k->pid == 0) {
		sigset_t none;

		close(p[0]);
		report_fd = p[1];
		signal(SIGALRM, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		alarm(GUARD_S);
		fn(arg);
		exit(0);
	}
	close(p[1]);
	k->fd = p[0];
	return k;
}

/* Read what the child says until it acknowledged want commits or closed
 * the pipe; non-zero when the acknowledgements arrived. */
static int kid_read(kid *k, size_t want)
{
	while (k->fd >= 0 && k->acks < want) {
		char buf[4096], *nl;
		ssize_t n = read(k->fd, buf, sizeof buf);
		size_t keep;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(k->fd);
			k->fd = -1;
			break;
		}
		keep = (size_t)n < OUT_MAX - 1 - k->len ? (size_t)n
		                                         : OUT_MAX - 1 - k->len;
		memcpy(k->out + k->len, buf, keep);
		k->len += keep;
		k->out[k->len] = '\0';
		while ((nl = memchr(k->out + k->counted, '\n',
		                    k->len - k->counted)) != NULL) {
			k->acks += strncmp(k->out + k->counted, "A ", 2) == 0;
			k->counted = (size_t)(nl - k->out) + 1;
		}
	}
	return k->acks >= want;
}

/* Read to the end and reap the child. */
static void kid_end(kid *k)
{
	kid_read(k, SIZE_MAX);
	while (waitpid(k->pid, &k->status, 0) < 0)
		ck_assert_msg(errno == EINTR, "waitpid: %s", strerror(errno));
}

/* The child reported no broken promise and exited with 0 (sig 0) or was
 * ended by signal sig. */
static void kid_expect(const kid *k, int sig)
{
	const char *fail = strstr(k->out, "FAIL");
	int st = k->status;

	ck_assert_msg(fail == NULL, "the child reported:\n%.2500s", fail);
	ck_assert_msg(sig ? WIFSIGNALED(st) && WTERMSIG(st) == sig
	                  : WIFEXITED(st) && WEXITSTATUS(st) == 0,
	              "the child ended with exit %d / signal %d, want %s %d "
	              "(signal %d is the alarm against a hang; see stderr for "
	              "a sanitizer's report); it said:\n%.1500s",
	              WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	              WIFSIGNALED(st) ? WTERMSIG(st) : 0,
	              sig ? "signal" : "exit", sig, SIGALRM, k->out);
}

/* How many lines the child said that are exactly line. */
static int count_lines(const kid *k, const char *line)
{
	size_t n = strlen(line);
	const char *p;
	int c = 0;

	for (p = k->out; *p; p += strcspn(p, "\n"), p += *p == '\n')
		c += strncmp(p, line, n) == 0 && (p[n] == '\n' || !p[n]);
	return c;
}

/* Run fn(arg) in a child that must exit with 0, saying done once. */
static void run_child(void (*fn)(void *), void *arg, const char *done)
{
	kid *k = kid_start(fn, arg);

	kid_end(k);
	kid_expect(k, 0);
	ck_assert_msg(count_lines(k, done) == 1, "the child did not say '%s'; "
	              "it said:\n%.1500s", done, k->out);
}

/* Every key the child acknowledged holds "v:KEY"; returns how many. */
static size_t expect_acked(kv_db *db, const kid *k)
{
	const char *p;
	size_t n = 0;

	for (p = k->out; *p; p += strcspn(p, "\n"), p += *p == '\n') {
		char key[64], val[80];
		size_t kl = strcspn(p, "\n");

		if (strncmp(p, "A ", 2) != 0 || p[kl] != '\n')
			continue;
		snprintf(key, sizeof key, "%.*s", (int)kl - 2, p + 2);
		snprintf(val, sizeof val, "v:%s", key);
		kvt_expect_str(db, key, val);
		n++;
	}
	return n;
}

/* Keys under prefix (NULL: all). */
static kv_u64 count_keys(kv_db *db, const char *prefix)
{
	kv_iter *it = NULL;
	kv_u64 n = 0;
	kv_status rc;

	kvt_expect_rc(db, kv_iter_new(&it, db, NULL, prefix,
	                              prefix ? strlen(prefix) : 0), KV_OK);
	while ((rc = kv_iter_next(it, NULL, NULL, NULL, NULL)) == KV_OK)
		n++;
	kv_iter_free(it);
	ck_assert_msg(rc == KV_NOTFOUND, "kv_iter_next: %s", kv_strerror(rc));
	return n;
}

/* kv_db_verify finds this many records, none corrupt or unsealed, and
 * the digest right. */
static void expect_clean(kv_db *db, kv_u64 records)
{
	kv_verify_report r = KV_VERIFY_REPORT_INIT;

	kvt_expect_rc(db, kv_db_verify(&r, db, NULL, NULL, NULL), KV_OK);
	ck_assert_msg(r.records == records && r.corrupt == 0 &&
	                      r.unsealed == 0 && r.digest_ok == 1 &&
	                      r.checked == 1,
	              "verify: records/corrupt/unsealed/digest_ok/checked "
	              "%llu %llu %llu %d %d, want %llu 0 0 1 1",
	              (unsigned long long)r.records,
	              (unsigned long long)r.corrupt,
	              (unsigned long long)r.unsealed, r.digest_ok, r.checked,
	              (unsigned long long)records);
}

/* ---- shutdown hooks ------------------------------------------------------ */

static kv_db *child_db; /* in a child: the store its hooks and threads use */

/* Hook: write the record named payload, read one back, say "H KEY". */
static void hook_final(void *payload)
{
	const char *key = payload;
	void *v = NULL;
	size_t n = 0;

	C_TRUE(kv_finalizing() != 0, "kv_finalizing() is 0 inside a hook");
	C_OK(child_db, kv_db_put(child_db, key, strlen(key), HOOK_VAL,
	                         strlen(HOOK_VAL), 0));
	C_OK(child_db, kv_db_get(&v, &n, child_db, "before", 6));
	kv_free(v);
	say("H %s", key);
}

static void setup_hook_child(void)
{
	child_db = child_open(NULL);
	C_TRUE(kv_finalizing() == 0, "kv_finalizing() is set before shutdown");
	C_OK(child_db, put_acked(child_db, "before"));
	C_OK(NULL, kv_shutdown_hook_add(hook_final, "final"));
}

static void child_hook_shutdown(void *arg)
{
	kv_db *again = NULL;

	(void)arg;
	setup_hook_child();
	C_OK(NULL, kv_shutdown());
	C_FIN(kv_db_open(&again, store_uri, NULL));
	C_TRUE(again == NULL, "kv_db_open after kv_shutdown gave a handle");
	C_OK(NULL, kv_db_close(child_db));
	say("H done");
	/* exit(0) follows: finalisation must not run the hook again. */
}

static void child_hook_at_exit(void *arg)
{
	(void)arg;
	setup_hook_child();
	say("H done");
	/* Returns without closing: exit(0) finalises. */
}

/* A child's hook wrote "final" once; the store holds it and is clean. */
static void expect_hook_record(void (*fn)(void *))
{
	kv_db *db;

	run_child(fn, NULL, "H done");
	ck_assert_msg(count_lines(&the_kid, "H final") == 1, "the hook ran %d "
	              "times, want once; the child said:\n%.1500s",
	              count_lines(&the_kid, "H final"), the_kid.out);
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "before", "v:before");
	kvt_expect_str(db, "final", HOOK_VAL);
	expect_clean(db, 2);
	kvt_close(db);
}

START_TEST(test_lifecycle__hook_at_shutdown)
{
	expect_hook_record(child_hook_shutdown);
}
END_TEST

START_TEST(test_lifecycle__hook_at_exit)
{
	expect_hook_record(child_hook_at_exit);
}
END_TEST

static int order_seq;

/* Hook: write payload's name as "order/N", N counting calls; say "O NAME".
 * The middle hook also calls kv_shutdown and kv_shutdown_hook_add. */
static void hook_order(void *payload)
{
	const char *name = payload;
	char key[16];

	snprintf(key, sizeof key, "order/%d", order_seq++);
	C_OK(child_db, kv_db_put(child_db, key, strlen(key), name,
	                         strlen(name), 0));
	say("O %s", name);
	if (strcmp(name, "second") == 0) {
		C_OK(NULL, kv_shutdown());
		C_FIN(kv_shutdown_hook_add(hook_order, "too late"));
	}
}

static void child_hook_order(void *arg)
{
	(void)arg;
	child_db = child_open(NULL);
	C_RC(NULL, kv_shutdown_hook_add(NULL, NULL), KV_EINVAL);
	C_OK(NULL, kv_shutdown_hook_add(hook_order, "first"));
	C_OK(NULL, kv_shutdown_hook_add(hook_order, "second"));
	C_OK(NULL, kv_shutdown_hook_add(hook_order, "third"));
	C_OK(NULL, kv_shutdown());
	C_OK(NULL, kv_shutdown());
	C_OK(NULL, kv_db_close(child_db));
	say("O done");
}

/* Hooks run last registered first, once each: in the pipe and the store. */
START_TEST(test_lifecycle__hook_order)
{
	kv_db *db;

	run_child(child_hook_order, NULL, "O done");
	ck_assert_msg(strstr(the_kid.out, "O third\nO second\nO first\n") &&
	                      count_lines(&the_kid, "O first") == 1 &&
	                      !strstr(the_kid.out, "too late"),
	              "hooks ran in this order, want third, second, first "
	              "once each:\n%.1500s", the_kid.out);
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "order/0", "third");
	kvt_expect_str(db, "order/1", "second");
	kvt_expect_str(db, "order/2", "first");
	kvt_expect_absent(db, "order/3");
	expect_clean(db, 3);
	kvt_close(db);
}
END_TEST

/* ---- calls after finalisation -------------------------------------------- */

/* atexit handler registered before libkv's: it runs after finalisation. */
static void late_atexit(void)
{
	int sentinel;
	void *v = &sentinel;
	size_t n = 7;
	kv_txn *txn = NULL;
	kv_iter *it = NULL;
	kv_db *again = NULL;

	C_TRUE(kv_finalizing() != 0, "an atexit handler registered before the "
	       "first kv_db_open ran before libkv finalised");
	C_FIN(kv_db_get(&v, &n, child_db, "kept", 4));
	C_TRUE(v == &sentinel && n == 7, "a failed kv_db_get wrote its output");
	C_FIN(kv_db_put(child_db, "late", 4, "x", 1, 0));
	C_FIN(kv_db_del(child_db, "kept", 4));
	C_FIN(kv_txn_begin(&txn, child_db, 0));
	C_FIN(kv_iter_new(&it, child_db, NULL, NULL, 0));
	C_FIN(kv_db_open(&again, store_uri, NULL));
	C_TRUE(txn == NULL && it == NULL && again == NULL,
	       "a call failing with KV_EFINALIZING handed out an object");
	C_OK(NULL, kv_db_close(child_db));
	say("L done");
}

static void child_atexit_first(void *arg)
{
	(void)arg;
	C_TRUE(atexit(late_atexit) == 0, "atexit failed");
	child_db = child_open(NULL);
	C_OK(child_db, put_acked(child_db, "kept"));
}

/* The child wrote "kept" before libkv finalised and nothing after. */
static void expect_kept_only(void)
{
	kv_db *db = kvt_open(KV_OPEN_READWRITE);

	kvt_expect_str(db, "kept", "v:kept");
	kvt_expect_absent(db, "late");
	expect_clean(db, 1);
	kvt_close(db);
}

START_TEST(test_lifecycle__atexit_after_finalise)
{
	run_child(child_atexit_first, NULL, "L done");
	expect_kept_only();
}
END_TEST

/* A thread writing while the main thread exits. */
typedef struct writer {
	int hold_txn;      /* after 10 puts, write in one open transaction */
	atomic_int acked;  /* autocommit puts that returned KV_OK */
	atomic_int in_txn; /* puts made in the open transaction */
} writer;

static writer the_writer;

static void *writer_main(void *arg)
{
	writer *w = arg;
	kv_txn *txn = NULL;
	char key[32];
	kv_status rc = KV_OK;
	int i;

	for (i = 0; rc == KV_OK && (!w->hold_txn || i < 10); i++) {
		snprintf(key, sizeof key, "t/%06d", i);
		if ((rc = put_acked(child_db, key)) == KV_OK)
			atomic_fetch_add(&w->acked, 1);
	}
	if (rc == KV_OK && (rc = kv_txn_begin(&txn, child_db, 0)) == KV_OK) {
		for (i = 0; rc == KV_OK; i++) {
			snprintf(key, sizeof key, "u/%06d", i);
			rc = kv_txn_put(txn, key, strlen(key), "uncommitted",
			                11, 0);
			atomic_fetch_add(&w->in_txn, rc == KV_OK);
			nap_ms(1);
		}
		kv_txn_abort(txn);
	}
	C_TRUE(rc == KV_EFINALIZING, "thread: %s after %d acknowledged puts "
	       "and %d in a transaction, want KV_EFINALIZING",
	       kv_strerror(rc), atomic_load(&w->acked),
	       atomic_load(&w->in_txn));
	return NULL;
}

static void child_thread_at_exit(void *arg)
{
	writer *w = arg;
	pthread_t th;
	int i;

	child_db = child_open(NULL);
	if (pthread_create(&th, NULL, writer_main, w) != 0) {
		child_fail(__LINE__, "pthread_create failed");
		return;
	}
	pthread_detach(th); /* still running, or not, at exit */
	for (i = 0; i < 20000; i++) {
		if (w->hold_txn ? atomic_load(&w->in_txn) >= 5
		                : atomic_load(&w->acked) >= 20)
			break;
		nap_ms(1);
	}
	say("M exiting");
	alarm(EXIT_GUARD_S);
	/* exit(0) from the main thread while the thread writes. */
}

/* The child exits cleanly; what the thread acknowledged is there, what
 * it wrote in its open transaction is not. */
static void thread_at_exit(int hold_txn)
{
	kv_db *db;
	size_t acked;

	the_writer.hold_txn = hold_txn;
	run_child(child_thread_at_exit, &the_writer, "M exiting");
	db = kvt_open(KV_OPEN_READWRITE);
	acked = expect_acked(db, &the_kid);
	ck_assert_msg(acked >= (hold_txn ? 10u : 20u), "%zu puts acknowledged "
	              "before exit", acked);
	ck_assert_msg(count_keys(db, "u/") == 0, "writes of a transaction "
	              "open at exit were committed");
	expect_clean(db, count_keys(db, NULL));
	kvt_close(db);
}

START_TEST(test_lifecycle__thread_writes_at_exit)
{
	thread_at_exit(0);
}
END_TEST

START_TEST(test_lifecycle__thread_txn_at_exit)
{
	thread_at_exit(1);
}
END_TEST

/* A thread holding bytes an iterator and a read transaction handed out
 * while another thread shuts libkv down: step 1, it has them; step 2,
 * shutdown has returned. */
static atomic_int reader_step;

static void *reader_main(void *arg)
{
	kv_db *db = arg;
	kv_iter *it = NULL;
	kv_txn *rt = NULL;
	const void *k = NULL, *v = NULL, *tv = NULL;
	size_t kl = 0, vl = 0, tvl = 0;

	C_OK(db, kv_iter_new(&it, db, NULL, "b/", 2));
	C_OK(db, kv_iter_next(it, &k, &kl, &v, &vl));
	C_OK(db, kv_txn_begin(&rt, db, KV_TXN_READONLY));
	C_OK(db, kv_txn_get(&tv, &tvl, rt, "b/07", 4));
	atomic_store(&reader_step, 1);
	while (atomic_load(&reader_step) != 2)
		nap_ms(1);
	/* Borrowed bytes stay valid until this thread's next call. */
	C_TRUE(kl == 4 && !memcmp(k, "b/00", 4) && vl == 6 &&
	               !memcmp(v, "v:b/00", 6),
	       "the iterator's entry changed under shutdown");
	C_TRUE(tvl == 6 && !memcmp(tv, "v:b/07", 6),
	       "the read transaction's value changed under shutdown");
	C_FIN(kv_iter_next(it, &k, &kl, NULL, NULL));
	C_FIN(kv_txn_get(&tv, &tvl, rt, "b/08", 4));
	kv_iter_free(it);
	kv_txn_abort(rt);
	return NULL;
}

static void child_reader_at_shutdown(void *arg)
{
	kv_db *db = child_open(NULL);
	pthread_t th;
	char key[16];
	int i;

	(void)arg;
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof key, "b/%02d", i);
		C_OK(db, put_acked(db, key));
	}
	if (pthread_create(&th, NULL, reader_main, db) != 0) {
		child_fail(__LINE__, "pthread_create failed");
		return;
	}
	for (i = 0; i < 20000 && atomic_load(&reader_step) != 1; i++)
		nap_ms(1);
	C_OK(NULL, kv_shutdown());
	/* The store stays open, and the handle allocated, for the reader. */
	C_RC(NULL, kv_db_close(db), KV_EBUSY);
	atomic_store(&reader_step, 2);
	pthread_join(th, NULL);
	C_OK(NULL, kv_db_close(db));
	say("R done");
}

START_TEST(test_lifecycle__thread_reading_at_shutdown)
{
	kv_db *db;

	run_child(child_reader_at_shutdown, NULL, "R done");
	db = kvt_open(KV_OPEN_READWRITE);
	ck_assert_uint_eq(expect_acked(db, &the_kid), 20);
	expect_clean(db, 20);
	kvt_close(db);
}
END_TEST

static int list_fn(const char *name, unsigned int version,
                   const char *prefix, void *payload)
{
	(void)name, (void)version, (void)prefix;
	return ++*(int *)payload, 0;
}

static int check_fn(const char *schema, const char *key, const char *msg,
                    void *payload)
{
	(void)schema, (void)key, (void)msg;
	return ++*(int *)payload, 0;
}

/* Leave objects of every kind open, shut down, and try every call. */
static void child_after_shutdown(void *arg)
{
	static const char *const rm[] = { "lr", NULL };
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	kv_stat st = KV_STAT_INIT;
	kv_txn *wt = NULL, *rt = NULL, *t2 = NULL;
	kv_iter *it = NULL, *idle = NULL, *it2 = NULL;
	kv_db *db, *again = NULL;
	const void *cv = NULL, *ck = NULL;
	void *v = NULL;
	char *s = NULL, key[16];
	size_t n = 0;
	unsigned long bad = 0;
	kv_u64 adopted = 0;
	int i, calls = 0;

	(void)arg;
	opts.durability = KV_DURABLE_BATCHED;
	opts.sync_interval_ms = 600000; /* only shutdown makes them durable */
	db = child_open(&opts);
	C_OK(db, kv_schema_define(db, RUN_SCHEMA));
	C_OK(db, kv_record_put(db, NULL, "runs/1", "{\"lr\":0.5}"));
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof key, "b/%02d", i);
		C_OK(db, put_acked(db, key));
	}
	/* Left open: a write transaction with writes, a read transaction,
	 * an iterator half-way and one not yet used. */
	C_OK(db, kv_txn_begin(&wt, db, 0));
	C_OK(db, kv_txn_put(wt, "rolled back", 11, "x", 1, 0));
	C_OK(db, kv_txn_del(wt, "b/00", 4));
	C_OK(db, kv_record_replace(db, wt, "runs/1", "{\"lr\":0.25}", NULL));
	C_OK(db, kv_txn_begin(&rt, db, KV_TXN_READONLY));
	C_OK(db, kv_iter_new(&it, db, NULL, "b/", 2));
	C_OK(db, kv_iter_next(it, &ck, &n, NULL, NULL));
	C_OK(db, kv_iter_new(&idle, db, NULL, NULL, 0));

	C_OK(NULL, kv_shutdown());
	C_TRUE(kv_finalizing() != 0, "kv_finalizing() is 0 after kv_shutdown");
	C_FIN(kv_db_open(&again, store_uri, NULL));
	C_FIN(kv_db_get(&v, &n, db, "b/01", 4));
	C_FIN(kv_db_put(db, "late", 4, "x", 1, 0));
	C_FIN(kv_db_del(db, "b/01", 4));
	C_FIN(kv_txn_begin(&t2, db, 0));
	C_FIN(kv_txn_begin(&t2, db, KV_TXN_READONLY));
	C_FIN(kv_txn_get(&cv, &n, rt, "b/01", 4));
	C_FIN(kv_txn_get(&cv, &n, wt, "b/01", 4));
	C_FIN(kv_txn_put(wt, "late", 4, "x", 1, 0));
	C_FIN(kv_txn_del(wt, "b/01", 4));
	C_FIN(kv_iter_new(&it2, db, NULL, NULL, 0));
	C_FIN(kv_iter_new(&it2, db, rt, NULL, 0));
	C_FIN(kv_iter_next(it, &ck, &n, NULL, NULL));
	C_FIN(kv_iter_seek(it, "b/05", 4));
	C_FIN(kv_iter_next(idle, &ck, &n, NULL, NULL));
	C_FIN(kv_record_put(db, NULL, "runs/2", "{\"lr\":1}"));
	C_FIN(kv_record_get(&s, db, NULL, "runs/1"));
	C_FIN(kv_record_get(&s, db, rt, "runs/1"));
	C_FIN(kv_record_field(&s, db, NULL, "runs/1", "lr"));
	C_FIN(kv_record_replace(db, NULL, "runs/1", "{\"lr\":2}", NULL));
	C_FIN(kv_record_replace(db, NULL, "runs/1", NULL, rm));
	C_FIN(kv_schema_define(db, RUN_SCHEMA));
	C_FIN(kv_schema_get(&s, db, "run", 0));
	C_FIN(kv_schema_list(db, list_fn, &calls));
	C_FIN(kv_schema_check(&bad, db, NULL, check_fn, &calls));
	C_FIN(kv_db_verify(&rep, db, NULL, NULL, NULL));
	C_FIN(kv_db_seal(&adopted, db, NULL, NULL, NULL));
	C_FIN(kv_db_stat(&st, db));
	C_FIN(kv_db_sync(db));
	C_FIN(kv_shutdown_hook_add(hook_final, "never"));
	C_FIN(kv_signals_install());
	C_TRUE(again == NULL && v == NULL && t2 == NULL && it2 == NULL &&
	               s == NULL && calls == 0,
	       "calls failing with KV_EFINALIZING handed out something");
	C_OK(NULL, kv_shutdown());
	C_TRUE(kv_finalizing() != 0, "kv_finalizing() is 0 after kv_shutdown");

	/* The destructors free what finalisation left; commit releases. */
	C_FIN(kv_txn_commit(wt));
	kv_txn_abort(rt);
	kv_iter_free(it);
	kv_iter_free(idle);
	C_OK(NULL, kv_db_close(db));
	say("D done");
}

START_TEST(test_lifecycle__calls_after_shutdown)
{
	char key[16], val[24];
	kv_db *db;
	int i;

	run_child(child_after_shutdown, NULL, "D done");
	/* Batched commits survived; the open transaction was rolled back. */
	db = kvt_open(KV_OPEN_READWRITE);
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof key, "b/%02d", i);
		snprintf(val, sizeof val, "v:%s", key);
		kvt_expect_str(db, key, val);
	}
	kvt_expect_absent(db, "rolled back");
	kvt_expect_absent(db, "late");
	kvt_expect_absent(db, "runs/2");
	kvt_expect_field(db, NULL, "runs/1", "lr", "0.5");
	expect_clean(db, 21);
	kvt_close(db);
}
END_TEST

#define dstr(s) ((datum){ (void *)(s), strlen(s) })

static void child_ndbm(void *arg)
{
	DBM *d = dbm_open(store_uri, O_RDWR | O_CREAT, 0600), *d2;
	datum got;

	(void)arg;
	if (d == NULL) {
		child_fail(__LINE__, "dbm_open: %s", strerror(errno));
		return;
	}
	C_TRUE(dbm_store(d, dstr("kept"), dstr("v:kept"), DBM_REPLACE) == 0,
	       "dbm_store before shutdown failed");
	C_OK(NULL, kv_shutdown());
	got = dbm_fetch(d, dstr("kept"));
	C_TRUE(got.dptr == NULL, "dbm_fetch after kv_shutdown gave a value");
	C_TRUE(dbm_error(d) != 0, "dbm_fetch failed after kv_shutdown and "
	       "dbm_error is 0 (as for an absent key)");
	dbm_clearerr(d);
	C_TRUE(dbm_store(d, dstr("late"), dstr("x"), DBM_REPLACE) == -1,
	       "dbm_store after kv_shutdown did not return -1");
	C_TRUE(dbm_error(d) != 0, "dbm_store failed, dbm_error is 0");
	dbm_clearerr(d);
	C_TRUE(dbm_delete(d, dstr("kept")) == -1,
	       "dbm_delete after kv_shutdown did not return -1");
	got = dbm_firstkey(d);
	C_TRUE(got.dptr == NULL && dbm_error(d) != 0,
	       "dbm_firstkey after kv_shutdown did not fail");
	d2 = dbm_open(store_uri, O_RDWR, 0);
	C_TRUE(d2 == NULL, "dbm_open after kv_shutdown gave a handle");
	dbm_close(d2);
	dbm_close(d);
	say("N done");
}

START_TEST(test_lifecycle__ndbm_after_shutdown)
{
	run_child(child_ndbm, NULL, "N done");
	expect_kept_only();
}
END_TEST

/* ---- fork ------------------------------------------------------------------ */

/* The parent's objects, as the child inherits them. */
static kv_db *parent_db;
static kv_iter *parent_it;
static kv_txn *parent_rt, *parent_wt;

/* Overwrite key 40 times with 3000 bytes, then with "v:KEY-new": pages
 * an old snapshot still reads are reused unless that reader is known. */
static void churn(kv_db *db, const char *key)
{
	char big[3000], val[32];
	int i;

	for (i = 0; i < 40; i++) {
		kvt_fill_random(big, sizeof big, (unsigned long long)i + 1);
		kvt_expect_rc(db, kv_db_put(db, key, strlen(key), big,
		                            sizeof big, 0), KV_OK);
	}
	snprintf(val, sizeof val, "v:%s-new", key);
	kvt_put_str(db, key, val);
}

static void child_inherited(void *arg)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	kv_db *db = parent_db, *fresh;
	kv_iter *it2 = NULL;
	kv_txn *t = NULL;
	const void *k = NULL;
	void *v = NULL;
	char *s = NULL;
	size_t n = 0;

	(void)arg;
	C_FORKED(kv_db_get(&v, &n, db, "a", 1));
	C_FORKED(kv_db_put(db, "child", 5, "x", 1, 0));
	C_FORKED(kv_db_del(db, "a", 1));
	C_FORKED(kv_txn_begin(&t, db, 0));
	C_FORKED(kv_txn_begin(&t, db, KV_TXN_READONLY));
	C_FORKED(kv_iter_new(&it2, db, NULL, NULL, 0));
	C_FORKED(kv_iter_next(parent_it, &k, &n, NULL, NULL));
	C_FORKED(kv_record_get(&s, db, NULL, "rec/1"));
	C_FORKED(kv_record_put(db, NULL, "rec/2", "{}"));
	C_FORKED(kv_db_verify(&rep, db, NULL, NULL, NULL));
	C_TRUE(v == NULL && t == NULL && it2 == NULL && s == NULL,
	       "calls failing with KV_EFORKED handed out something");
	/* Freeing what was inherited touches nothing of the parent's. */
	kv_iter_free(parent_it);
	C_OK(NULL, kv_db_close(db));

	fresh = child_open(NULL);
	C_OK(fresh, kv_db_get(&v, &n, fresh, "a", 1));
	C_TRUE(v != NULL && n == 1 && memcmp(v, "1", 1) == 0,
	       "the child read a wrong value of 'a'");
	kv_free(v);
	C_OK(fresh, put_acked(fresh, "child/1"));
	C_OK(fresh, kv_record_replace(fresh, NULL, "rec/1", "{\"child\":true}",
	                              NULL));
	C_OK(fresh, kv_db_close(fresh));
	say("F done");
}

START_TEST(test_lifecycle__fork_inherited_handle)
{
	static const char *const keys[] = { "b", "c", "rec/1" };
	const void *k = NULL, *v = NULL;
	size_t kl = 0, vl = 0, i;
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	kvt_put_str(db, "a", "1");
	kvt_put_str(db, "b", "2");
	kvt_put_str(db, "c", "3");
	kvt_expect_rc(db, kv_record_put(db, NULL, "rec/1", "{\"x\":1}"), KV_OK);
	kvt_expect_rc(db, kv_iter_new(&parent_it, db, NULL, NULL, 0), KV_OK);
	kvt_expect_rc(db, kv_iter_next(parent_it, &k, &kl, NULL, NULL), KV_OK);
	ck_assert_msg(kl == 1 && memcmp(k, "a", 1) == 0, "first key not 'a'");
	parent_db = db;

	run_child(child_inherited, NULL, "F done");

	/* The parent's handle and iterator work; its snapshot holds. */
	churn(db, "b");
	churn(db, "c");
	for (i = 0; i < 3; i++) {
		kvt_expect_rc(db, kv_iter_next(parent_it, &k, &kl, &v, &vl),
		              KV_OK);
		ck_assert_msg(kl == strlen(keys[i]) &&
		                      memcmp(k, keys[i], kl) == 0 &&
		                      (i == 2 || (vl == 1 && *(const char *)v ==
		                                  '2' + (char)i)),
		              "iterator made before the fork: entry %zu is "
		              "'%.*s' (%zu bytes of value), want '%s' as it was",
		              i, (int)kl, (const char *)k, vl, keys[i]);
	}
	kvt_expect_rc(db, kv_iter_next(parent_it, &k, &kl, NULL, NULL),
	              KV_NOTFOUND);
	kv_iter_free(parent_it);
	kvt_expect_str(db, "child/1", "v:child/1");
	kvt_expect_field(db, NULL, "rec/1", "child", "true");
	kvt_put_str(db, "parent/after", "yes");
	expect_clean(db, 6);
	kvt_close(db);

	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "child/1", "v:child/1");
	kvt_expect_field(db, NULL, "rec/1", "x", "1");
	kvt_close(db);
}
END_TEST

static void child_abandons(void *arg)
{
	const void *cv = NULL;
	void *v = NULL;
	size_t n = 0;

	(void)arg;
	C_FORKED(kv_db_get(&v, &n, parent_db, "a", 1));
	C_FORKED(kv_txn_get(&cv, &n, parent_rt, "a", 1));
	C_FORKED(kv_txn_put(parent_wt, "w/child", 7, "x", 1, 0));
	C_FORKED(kv_txn_commit(parent_wt));
	say("F done");
	/* exit(0) with the inherited handle and read transaction open:
	 * libkv's exit-time finalisation must leave them to the parent. */
}

/* A child that exits with inherited objects open changes nothing of the
 * parent's: not its read snapshot, not its write transaction. */
START_TEST(test_lifecycle__fork_child_exits)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	kvt_put_str(db, "a", "1");
	kvt_put_str(db, "b", "2");
	kvt_put_str(db, "c", "3");
	kvt_expect_rc(db, kv_txn_begin(&parent_rt, db, KV_TXN_READONLY), KV_OK);
	kvt_txn_expect_str(parent_rt, "a", "1");
	kvt_expect_rc(db, kv_txn_begin(&parent_wt, db, 0), KV_OK);
	kvt_expect_rc(db, kv_txn_put(parent_wt, "w/1", 3, "x", 1, 0), KV_OK);
	parent_db = db;

	run_child(child_abandons, NULL, "F done");

	kvt_expect_absent(db, "w/1");
	kvt_expect_absent(db, "w/child");
	kvt_txn_expect_str(parent_wt, "w/1", "x");
	kvt_expect_rc(db, kv_txn_put(parent_wt, "w/2", 3, "y", 1, 0), KV_OK);
	kvt_expect_rc(db, kv_txn_commit(parent_wt), KV_OK);
	churn(db, "a");
	kvt_txn_expect_str(parent_rt, "a", "1");
	kvt_txn_expect_absent(parent_rt, "w/1");
	kv_txn_abort(parent_rt);
	kvt_expect_str(db, "a", "v:a-new");
	kvt_expect_str(db, "w/1", "x");
	kvt_expect_str(db, "w/2", "y");
	kvt_expect_absent(db, "w/child");
	expect_clean(db, 5);
	kvt_close(db);
}
END_TEST

/* ---- signals ------------------------------------------------------------- */

static void hook_signal(void *payload)
{
	(void)payload;
	C_OK(child_db, kv_db_put(child_db, "hook/signal", 11, HOOK_VAL,
	                         strlen(HOOK_VAL), 0));
	say("H signal");
}

static void child_signal(void *arg)
{
	char key[32];
	kv_status rc = KV_OK;
	int i;

	(void)arg;
	C_OK(NULL, kv_signals_install());
	child_db = child_open(NULL);
	C_OK(NULL, kv_shutdown_hook_add(hook_signal, NULL));
	for (i = 0; rc == KV_OK; i++) {
		snprintf(key, sizeof key, "s/%06d", i);
		rc = put_acked(child_db, key);
	}
	C_TRUE(rc == KV_EFINALIZING, "put %d: %s, want KV_OK until libkv "
	       "finalised", i, kv_strerror(rc));
	for (;;)
		pause(); /* libkv ends the process with the signal */
}

/* SIGTERM or SIGINT after 15 commits: the child dies of that signal, its
 * hook wrote, its acknowledged commits are there, the store is clean. */
static void signal_ends_child(int sig)
{
	kid *k = kid_start(child_signal, NULL);
	size_t acked;
	kv_db *db;

	ck_assert_msg(kid_read(k, 15), "the child stopped after %zu puts; it "
	              "said:\n%.1500s", k->acks, k->out);
	ck_assert_msg(kill(k->pid, sig) == 0, "kill: %s", strerror(errno));
	kid_end(k);
	kid_expect(k, sig);
	ck_assert_msg(count_lines(k, "H signal") == 1, "the hook ran %d times; "
	              "the child said:\n%.1500s", count_lines(k, "H signal"),
	              k->out);
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "hook/signal", HOOK_VAL);
	acked = expect_acked(db, k);
	ck_assert_msg(acked >= 15, "%zu acknowledged", acked);
	expect_clean(db, count_keys(db, NULL));
	kvt_close(db);
}

START_TEST(test_lifecycle__sigterm)
{
	signal_ends_child(SIGTERM);
}
END_TEST

START_TEST(test_lifecycle__sigint)
{
	signal_ends_child(SIGINT);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "hooks", 60);

	tcase_add_test(tc, test_lifecycle__hook_at_shutdown);
	tcase_add_test(tc, test_lifecycle__hook_at_exit);
	tcase_add_test(tc, test_lifecycle__hook_order);

	tc = kvt_tcase(s, "finalised", 60);
	tcase_add_test(tc, test_lifecycle__atexit_after_finalise);
	tcase_add_test(tc, test_lifecycle__thread_writes_at_exit);
	tcase_add_test(tc, test_lifecycle__thread_txn_at_exit);
	tcase_add_test(tc, test_lifecycle__thread_reading_at_shutdown);
	tcase_add_test(tc, test_lifecycle__calls_after_shutdown);
	tcase_add_test(tc, test_lifecycle__ndbm_after_shutdown);

	tc = kvt_tcase(s, "fork", 60);
	tcase_add_test(tc, test_lifecycle__fork_inherited_handle);
	tcase_add_test(tc, test_lifecycle__fork_child_exits);

	tc = kvt_tcase(s, "signals", 60);
	tcase_add_test(tc, test_lifecycle__sigterm);
	tcase_add_test(tc, test_lifecycle__sigint);
}

int main(void)
{
	unsetenv("KV_KEYFILE");
	return kvt_main("lifecycle", populate);
}
