/*
 * kv/group.c - group commit of autocommitted writes (kv_db_put, kv_db_del).
 *
 * Each such write is a transaction of its own, and on a synced store each
 * transaction costs at least one sync.  Writers from several threads at
 * once therefore queue here: the writer at the head of the queue leads,
 * applies its own write and those queued behind it in ONE backend
 * transaction, commits it, and hands every writer of the batch its
 * result.  One commit, and so one sync, then serves the whole batch.
 *
 * Each write still succeeds or fails on its own: when one fails (a schema
 * refusal, an existing key under KV_PUT_NOOVERWRITE...), the leader rolls
 * the batch back, records that write's status and message, and applies
 * the rest again without it.  A write is acknowledged only once the batch
 * that holds it committed and, on a synced store, a sync covered it
 * (kv__db_durable, which writers of one batch and of batches committed in
 * the meantime share).
 *
 * A writer alone leads a batch of one, so a single thread pays two
 * uncontended mutex operations per write for this.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* A batch stops growing at this many writes or bytes of keys and values,
 * so a leader's own write is never held up behind a large batch for
 * long; the leader's write is always taken, whatever its size. */
#define BATCH_MAX_WRITES 128
#define BATCH_MAX_BYTES ((size_t)1 << 20)

struct kv__queued {
	const kv__write *w;
	int pending;                /* not yet failed on its own */
	int done;                   /* result below is final */
	kv_status rc;
	unsigned long long seq;     /* commit to wait durable for */
	char msg[KV__MSG_SIZE];     /* failure message, raised by the owner */
	pthread_cond_t cv;
	struct kv__queued *next;
};

/* Record q's failure, with this thread's message for db. */
static void fail(struct kv__queued *q, const kv_db *db, kv_status rc)
{
	q->rc = rc;
	q->pending = 0;
	snprintf(q->msg, sizeof q->msg, "%s", kv_db_errmsg(db));
}

/* Apply the pending writes first..last in txn; the first to fail is
 * recorded, and returned so that the caller rolls back and retries. */
static struct kv__queued *apply(kv_txn *txn, struct kv__queued *first,
                                const struct kv__queued *last)
{
	struct kv__queued *q;
	kv_status rc;

	for (q = first;; q = q->next) {
		if (q->pending && (rc = kv__write_apply(txn, q->w))) {
			fail(q, txn->db, rc);
			return q;
		}
		if (q == last)
			return NULL;
	}
}

/* Settle every pending write of first..last: failed with rc and this
 * thread's message for db, or committed as seq. */
static void settle(kv_db *db, struct kv__queued *first,
                   const struct kv__queued *last, kv_status rc,
                   unsigned long long seq)
{
	struct kv__queued *q;

	for (q = first;; q = q->next) {
		if (q->pending && rc)
			fail(q, db, rc);
		else if (q->pending)
			q->seq = seq;
		if (q == last)
			return;
	}
}

static int count_pending(const struct kv__queued *first,
                         const struct kv__queued *last)
{
	int n = 0;

	for (;; first = first->next) {
		n += first->pending;
		if (first == last)
			return n;
	}
}

/* The leader's work: commit first..last as one transaction, leaving out
 * each write that fails on its own. */
static void run_batch(kv_db *db, struct kv__queued *first,
                      const struct kv__queued *last)
{
	unsigned long long seq;
	kv_txn txn;
	kv_status rc;
	int n;

	while ((n = count_pending(first, last)) > 0) {
		if ((rc = kv__txn_begin_in(&txn, db, 1))) {
			settle(db, first, last, rc, 0);
			return;
		}
		if (apply(&txn, first, last)) {
			kv__txn_end(&txn);
			continue;
		}
		rc = kv__txn_commit_made(&txn, n, &seq);
		settle(db, first, last, rc, seq);
		return;
	}
}

/* The last write of the batch q leads: q and those behind it, within
 * the limits.  Under group_lock. */
static struct kv__queued *batch_end(struct kv__queued *q)
{
	size_t bytes = q->w->key_len + q->w->val_len;
	int n = 1;

	while (q->next && n < BATCH_MAX_WRITES) {
		const kv__write *w = q->next->w;
		bytes += w->key_len + w->val_len;
		if (bytes > BATCH_MAX_BYTES)
			break;
		q = q->next;
		n++;
	}
	return q;
}

/* Lead the batch from q: run it, then hand each writer its result and
 * the head of the queue to the next leader. */
static void lead(kv_db *db, struct kv__queued *q)
{
	struct kv__queued *last, *p, *next;

	last = batch_end(q);
	atomic_fetch_sub(&db->group_waiting, count_pending(q, last));
	pthread_mutex_unlock(&db->group_lock);
	run_batch(db, q, last);
	pthread_mutex_lock(&db->group_lock);
	for (p = q;; p = next) {
		next = p->next;
		p->done = 1;
		pthread_cond_signal(&p->cv);
		if (p == last)
			break;
	}
	db->group_head = next;
	if (!next)
		db->group_tail = NULL;
	else
		pthread_cond_signal(&next->cv);
}

kv_status kv__group_write(kv_db *db, const kv__write *w)
{
	struct kv__queued q;
	kv_status rc;

	/* Queued behind a batch that waits for this thread's own write
	 * transaction, the write would never run. */
	if ((rc = kv__writer_check(db)))
		return rc;
	memset(&q, 0, sizeof q);
	q.w = w;
	q.pending = 1;
	pthread_cond_init(&q.cv, NULL);
	pthread_mutex_lock(&db->group_lock);
	if (db->group_tail)
		db->group_tail->next = &q;
	else
		db->group_head = &q;
	db->group_tail = &q;
	atomic_fetch_add(&db->group_waiting, 1);
	while (!q.done && db->group_head != &q)
		pthread_cond_wait(&q.cv, &db->group_lock);
	if (!q.done)
		lead(db, &q);
	pthread_mutex_unlock(&db->group_lock);
	pthread_cond_destroy(&q.cv);
	if (q.rc)
		return kv__error(q.rc, "%s", q.msg);
	return kv__txn_durable(db, q.seq);
}
