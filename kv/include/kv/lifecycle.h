/*
 * kv/lifecycle.h - shutdown hooks, finalisation, signals and fork.
 *
 * libkv finalises once per process: when the program calls kv_shutdown(),
 * or at normal process exit (exit(), return from main) if it did not.
 * Finalisation
 *   1. runs the shutdown hooks, last registered first; they may still read
 *      and write stores, from any thread;
 *   2. then waits (up to a few seconds) for calls in progress on other
 *      threads to return, rolls back the calling thread's write
 *      transaction, makes batched commits durable and closes every store
 *      that no transaction or iterator holds.  Everything committed stays
 *      committed; nothing of a transaction still open is.
 * From then on every call, from any thread -- an atexit handler registered
 * before libkv's, a C++ static destructor, a thread still running while
 * main returns -- fails with KV_EFINALIZING instead of crashing.  The
 * transactions and iterators left open keep the bytes they handed out
 * valid, so that a thread reading them as finalisation runs reads on
 * safely; the next call on one fails.  The destructors (kv_db_close,
 * kv_txn_abort, kv_iter_free) still free what they are given, without
 * closing anything twice, and kv_db_close then returns KV_OK; on a store
 * finalisation left open it closes the store, and says KV_EBUSY (freeing
 * nothing) while a transaction or iterator of it is still open.
 *
 * Fork: a child process that uses a handle its parent opened gets
 * KV_EFORKED and the store is left untouched (LMDB and SQLite handles must
 * not cross fork()).  The child may kv_db_close the inherited handle, which
 * frees memory and touches nothing else, and open the store afresh.
 */
#ifndef KV_LIFECYCLE_H
#define KV_LIFECYCLE_H

#include "kv.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A shutdown hook.  Since 0.1. */
typedef void (*kv_shutdown_fn)(void *payload);

/** Register a hook to run at finalisation, before any store is closed.
 *  Expect: KV_EFINALIZING (finalisation has begun), KV_ENOMEM.
 *  Since 0.1. */
KV_EXTERN kv_status kv_shutdown_hook_add(kv_shutdown_fn fn, void *payload);

/** Finalise libkv now (see above).  A second call, or a call from a hook,
 *  does nothing.  Since 0.1. */
KV_EXTERN kv_status kv_shutdown(void);

/** Non-zero once finalisation has begun (hooks running or done), like
 *  Python's sys.is_finalizing().  Since 0.1. */
KV_EXTERN int kv_finalizing(void);

/**
 * Opt in to orderly exit on SIGINT and SIGTERM: the signal handler only
 * writes the signal number to a pipe; a libkv thread reads it, runs
 * kv_shutdown() (hooks, then closing stores) and ends the process with
 * the signal's default action, so the exit status is the conventional
 * one.  Call once, early, from the main thread.
 * Expect: KV_EIO (no pipe, thread or handler), KV_EFINALIZING.  Since 0.1.
 */
KV_EXTERN kv_status kv_signals_install(void);

#ifdef __cplusplus
}
#endif

#endif /* KV_LIFECYCLE_H */
