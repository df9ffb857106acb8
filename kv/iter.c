/*
 * kv/iter.c - iteration in key order over the keys under a prefix.
 *
 * An iterator lives in a transaction: the caller's, or a private read
 * snapshot when made with txn NULL.  When the caller's transaction ends
 * first, its iterators are detached (their cursors closed) and report
 * KV_EINVAL instead of reading freed memory.
 */
#include <stdlib.h>
#include <string.h>

#include "seal.h"

/* Explain why it is not a live iterator. */
static __attribute__((noinline, cold)) kv_status
bad_iter(const kv_iter *it, const char *fn)
{
	kv__enter(NULL);
	if (!it)
		return kv__error(KV_EINVAL, "%s: iterator is NULL", fn);
	return kv__error(KV_EINVAL, "%s: not a live iterator", fn);
}

/* The caller's KV__ENTER then routes messages to the iterator's store;
 * inline, as kv_iter_next runs it once a record. */
static inline kv_status check_iter(const kv_iter *it, const char *fn)
{
	if (it && it->magic == KV__ITER_MAGIC)
		return KV_OK;
	return bad_iter(it, fn);
}

/* Unlink it from its transaction's list of iterators. */
static void unlink_iter(kv_iter *it)
{
	kv_iter **p;

	if (!it->txn)
		return;
	for (p = &it->txn->iters; *p; p = &(*p)->next) {
		if (*p == it) {
			*p = it->next;
			break;
		}
	}
	it->txn = NULL;
}

/* Close the backend cursor, unless finalisation or fork took the
 * backend from under it. */
static void close_cursor(kv_iter *it)
{
	if (it->cur && kv__db_usable(it->db))
		it->db->be->cursor_close(it->cur);
	else if (it->cur)
		kv__keep(it->cur); /* the parent's, in a forked child */
	it->cur = NULL;
}

void kv__iter_detach_all(kv_txn *txn)
{
	kv_iter *it, *next;

	for (it = txn->iters; it; it = next) {
		next = it->next;
		close_cursor(it);
		it->txn = NULL;
		it->next = NULL;
	}
	txn->iters = NULL;
}

/* (Re)open the cursor at the first key >= max(start, prefix). */
static kv_status position(kv_iter *it, const void *start, size_t start_len)
{
	kv_status rc;

	close_cursor(it);
	if (!start || memcmp(start, it->prefix,
	                     start_len < it->prefix_len ? start_len
	                                                : it->prefix_len) < 0 ||
	    (start_len < it->prefix_len &&
	     !memcmp(start, it->prefix, start_len))) {
		start = it->prefix;
		start_len = it->prefix_len;
	}
	rc = it->db->be->cursor_open(&it->cur, it->txn->bt, KV__NS_DATA, start,
	                             start_len);
	it->done = 0;
	if (rc)
		return kv__wrap(rc, "iterate %s", it->db->path);
	return KV_OK;
}

kv_status kv_iter_new(kv_iter **out, kv_db *db, kv_txn *txn,
                      const void *prefix, size_t prefix_len)
{
	kv_iter *it;
	kv_status rc;

	KV__ENTER(db, "kv_iter_new");
	if (!out)
		return kv__error(KV_EINVAL, "kv_iter_new: out is NULL");
	if (!prefix && prefix_len)
		return kv__error(KV_EINVAL, "kv_iter_new: prefix is NULL");
	if (txn && (txn->magic != KV__TXN_MAGIC || txn->db != db))
		return kv__error(KV_EINVAL, "kv_iter_new: txn is not an open "
		                 "transaction of this store");
	it = calloc(1, sizeof *it);
	if (!it || !(it->prefix = malloc(prefix_len + 1))) {
		free(it);
		return kv__error(KV_ENOMEM, "out of memory");
	}
	if (prefix_len)
		memcpy(it->prefix, prefix, prefix_len);
	it->prefix_len = prefix_len;
	it->db = db;
	if (!txn && (rc = kv__txn_begin(&it->own, db, 0)))
		goto fail;
	it->txn = txn ? txn : it->own;
	it->next = it->txn->iters;
	it->txn->iters = it;
	if ((rc = position(it, NULL, 0)))
		goto fail;
	it->magic = KV__ITER_MAGIC;
	*out = it;
	return KV_OK;
fail:
	unlink_iter(it);
	if (it->own)
		kv__txn_end(it->own);
	free(it->prefix);
	free(it);
	return rc;
}

kv_status kv_iter_next(kv_iter *it, const void **key, size_t *key_len,
                       const void **val, size_t *val_len)
{
	const void *k;
	size_t klen;
	kv__bval bv;
	kv_status rc;

	if ((rc = check_iter(it, "kv_iter_next")))
		return rc;
	KV__ENTER(it->db, "kv_iter_next");
	if (!it->txn)
		return kv__error(KV_EINVAL, "kv_iter_next: its transaction "
		                 "on %s has ended", it->db->path);
	if (it->done)
		return KV_NOTFOUND;
	rc = it->db->be->cursor_next(it->cur, &k, &klen, &bv);
	/* A whole-store scan (no prefix) has no bound to test. */
	if (rc == KV_OK && it->prefix_len &&
	    (klen < it->prefix_len || memcmp(k, it->prefix, it->prefix_len)))
		rc = KV_NOTFOUND;
	/* A damaged record is reported; the next call moves past it. */
	if (rc == KV_OK && (rc = kv__seal_check(it->db, it->txn->salvage, k,
	                                        klen, &bv)))
		return rc;
	if (rc) {
		it->done = 1;
		return rc == KV_NOTFOUND ? rc
		                         : kv__wrap(rc, "iterate %s", it->db->path);
	}
	if (key)
		*key = k;
	if (key_len)
		*key_len = klen;
	if (val)
		*val = bv.val;
	if (val_len)
		*val_len = bv.val_len;
	return KV_OK;
}

kv_status kv_iter_seek(kv_iter *it, const void *key, size_t key_len)
{
	kv_status rc;

	if ((rc = check_iter(it, "kv_iter_seek")))
		return rc;
	KV__ENTER(it->db, "kv_iter_seek");
	if (!key && key_len)
		return kv__error(KV_EINVAL, "kv_iter_seek: key is NULL");
	if (!it->txn)
		return kv__error(KV_EINVAL, "kv_iter_seek: its transaction "
		                 "on %s has ended", it->db->path);
	return position(it, key_len ? key : NULL, key_len);
}

void kv_iter_free(kv_iter *it)
{
	if (!it || it->magic != KV__ITER_MAGIC)
		return;
	kv__enter(it->db);
	close_cursor(it);
	unlink_iter(it);
	if (it->own)
		kv__txn_end(it->own);
	it->magic = KV__DEAD_MAGIC;
	free(it->prefix);
	free(it);
}
