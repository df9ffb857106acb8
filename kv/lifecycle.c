/*
 * kv/lifecycle.c - finalisation, shutdown hooks, fork and signals (see
 * kv/include/kv/lifecycle.h).
 *
 * Finalisation has three phases: RUNNING, HOOKS (hooks run; every call
 * still works) and DONE (every call fails with KV_EFINALIZING).  A call
 * counts itself in db->active before it looks at the phase, and
 * finalisation sets DONE before it looks at db->active; with sequentially
 * consistent atomics, either the call sees DONE and leaves, or
 * finalisation sees the call and waits for it to return.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

enum { RUNNING, HOOKS, DONE };

struct hook {
	kv_shutdown_fn fn;
	void *payload;
	struct hook *next;
};

static atomic_int phase = RUNNING;
static atomic_uint fork_gen;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct hook *hooks;   /* last registered first */
static kv_db *open_dbs;      /* the registry, under lock */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int signal_pipe[2] = { -1, -1 };

static void at_exit(void)
{
	(void)kv_shutdown();
}

/* fork(): hold the registry still across it; the child gets a fresh lock
 * and a new generation, which every inherited handle then refuses. */
static void before_fork(void)
{
	kv__warnings_fork(0);
	pthread_mutex_lock(&lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&lock);
	kv__warnings_fork(1);
}

static void after_fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
	kv__warnings_fork(2);
	atomic_fetch_add(&fork_gen, 1);
}

static void init_once(void)
{
	atexit(at_exit);
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

int kv__finalized(void)
{
	return atomic_load(&phase) == DONE;
}

unsigned int kv__fork_gen(void)
{
	return atomic_load(&fork_gen);
}

int kv__db_usable(const kv_db *db)
{
	return !atomic_load(&db->env_closed) &&
	       db->fork_gen == kv__fork_gen();
}

/* This thread's stripe of the call counters, handed out in turn. */
static unsigned int stripe(void)
{
	static atomic_uint next_stripe;
	static _Thread_local unsigned int mine = 0;

	if (mine == 0)
		mine = 1 + atomic_fetch_add(&next_stripe, 1) % KV__ACTIVE_STRIPES;
	return mine - 1;
}

int kv__db_active(const kv_db *db)
{
	int i, n = 0;

	for (i = 0; i < KV__ACTIVE_STRIPES; i++)
		n += atomic_load(&db->active[i].n);
	return n;
}

kv_status kv__db_enter(kv__guard *g, kv_db *db, const char *fn)
{
	kv_status rc;

	if ((rc = kv__check_db(db, fn)))
		return rc;
	g->active = &db->active[stripe()].n;
	atomic_fetch_add(g->active, 1);
	if (atomic_load(&phase) == DONE || atomic_load(&db->finalized))
		return kv__error(KV_EFINALIZING, "%s: libkv has been shut down "
		                 "(kv_shutdown or process exit)", fn);
	if (db->fork_gen != kv__fork_gen())
		return kv__error(KV_EFORKED, "%s: %s was opened before fork(); "
		                 "open it afresh in this process", fn, db->path);
	return KV_OK;
}

void kv__guard_release(kv__guard *g)
{
	if (g->active)
		atomic_fetch_sub(g->active, 1);
}

/* What forked children keep of their parent's backends (kv__keep). */
static struct kept {
	void *p;
	struct kept *next;
} *kept;

void kv__keep(void *p)
{
	struct kept *k = malloc(sizeof *k);

	if (!k)
		return; /* without memory it stays unreferenced: still untouched */
	k->p = p;
	pthread_mutex_lock(&lock);
	k->next = kept;
	kept = k;
	pthread_mutex_unlock(&lock);
}

kv_status kv__lifecycle_add(kv_db *db)
{
	pthread_once(&once, init_once);
	db->fork_gen = kv__fork_gen();
	pthread_mutex_lock(&lock);
	if (atomic_load(&phase) == DONE) {
		pthread_mutex_unlock(&lock);
		return kv__error(KV_EFINALIZING, "kv_db_open: libkv has been "
		                 "shut down (kv_shutdown or process exit)");
	}
	db->open_prev = NULL;
	db->open_next = open_dbs;
	if (open_dbs)
		open_dbs->open_prev = db;
	open_dbs = db;
	pthread_mutex_unlock(&lock);
	return KV_OK;
}

/* Unlink db from the registry; under lock. */
static void unlink_db(kv_db *db)
{
	if (db->open_prev)
		db->open_prev->open_next = db->open_next;
	else
		open_dbs = db->open_next;
	if (db->open_next)
		db->open_next->open_prev = db->open_prev;
	db->open_prev = db->open_next = NULL;
}

int kv__lifecycle_remove(kv_db *db)
{
	int mine;

	pthread_mutex_lock(&lock);
	mine = !atomic_load(&db->finalized);
	if (mine)
		unlink_db(db);
	pthread_mutex_unlock(&lock);
	return mine;
}

kv_status kv_shutdown_hook_add(kv_shutdown_fn fn, void *payload)
{
	struct hook *h;

	kv__enter(NULL);
	if (!fn)
		return kv__error(KV_EINVAL, "kv_shutdown_hook_add: fn is NULL");
	pthread_once(&once, init_once);
	if (!(h = malloc(sizeof *h)))
		return kv__error(KV_ENOMEM, "out of memory");
	h->fn = fn;
	h->payload = payload;
	pthread_mutex_lock(&lock);
	if (atomic_load(&phase) != RUNNING) {
		pthread_mutex_unlock(&lock);
		free(h);
		return kv__error(KV_EFINALIZING, "kv_shutdown_hook_add: "
		                 "finalisation has begun");
	}
	h->next = hooks;
	hooks = h;
	pthread_mutex_unlock(&lock);
	return KV_OK;
}

/* Run and free the hooks, last registered first. */
static void run_hooks(struct hook *h)
{
	struct hook *next;

	for (; h; h = next) {
		next = h->next;
		h->fn(h->payload);
		free(h);
	}
}

/* Close every registered store; phase is DONE, so the registry only
 * shrinks from here. */
static void finalize_all(void)
{
	kv_db *db;

	for (;;) {
		pthread_mutex_lock(&lock);
		db = open_dbs;
		if (db) {
			unlink_db(db);
			atomic_store(&db->finalized, 1);
		}
		pthread_mutex_unlock(&lock);
		if (!db)
			return;
		kv__db_finalize(db);
	}
}

kv_status kv_shutdown(void)
{
	struct hook *h;

	pthread_mutex_lock(&lock);
	if (atomic_load(&phase) != RUNNING) {
		pthread_mutex_unlock(&lock);
		return KV_OK;
	}
	atomic_store(&phase, HOOKS);
	h = hooks;
	hooks = NULL;
	pthread_mutex_unlock(&lock);

	run_hooks(h);
	atomic_store(&phase, DONE);
	finalize_all();
	return KV_OK;
}

int kv_finalizing(void)
{
	return atomic_load(&phase) != RUNNING;
}

/* The signal handler: async-signal-safe work only. */
static void on_signal(int signo)
{
	unsigned char b = (unsigned char)signo;
	int saved = errno;

	if (write(signal_pipe[1], &b, 1) < 0) {
		/* nothing safe to do about it here */
	}
	errno = saved;
}

/* The thread that does what the handler may not: finalise, then end the
 * process by the signal's default action. */
static void *signal_main(void *arg)
{
	unsigned char b;
	sigset_t set;
	ssize_t n;

	(void)arg;
	do {
		n = read(signal_pipe[0], &b, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		return NULL;
	(void)kv_shutdown();
	signal(b, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, b);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(b);
	_exit(128 + b); /* only if the default action did not end us */
}

kv_status kv_signals_install(void)
{
	static const int signals[] = { SIGINT, SIGTERM };
	struct sigaction sa;
	pthread_t thread;
	size_t i;

	kv__enter(NULL);
	pthread_once(&once, init_once);
	if (kv_finalizing())
		return kv__error(KV_EFINALIZING, "kv_signals_install: "
		                 "finalisation has begun");
	if (signal_pipe[0] >= 0)
		return KV_OK;
	if (pipe2(signal_pipe, O_CLOEXEC) != 0)
		return kv__error(KV_EIO, "kv_signals_install: pipe: %s",
		                 strerror(errno));
	if (pthread_create(&thread, NULL, signal_main, NULL) != 0)
		return kv__error(KV_EIO, "kv_signals_install: cannot start "
		                 "its thread");
	pthread_detach(thread);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (sigaction(signals[i], &sa, NULL) != 0)
			return kv__error(KV_EIO, "kv_signals_install: sigaction: "
			                 "%s", strerror(errno));
	return KV_OK;
}
