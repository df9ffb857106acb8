/*
 * kv/verify.c - whole-store integrity: kv_db_verify scans every record
 * against its seal and the store against its digest; kv_db_seal adopts
 * unsealed records and recomputes the digest; kv_keyfile_create makes a
 * secret key file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "seal.h"

#define PROGRESS_EVERY 4096

/* One scan over the user records, shared by verify and seal. */
struct scan {
	kv_db *db;
	kv_problem_fn on_problem;
	kv_progress_fn progress;
	void *payload;
	kv_u64 total;
	kv_u64 records, corrupt, unsealed;
	uint64_t sum, count; /* digest of the sealed records found */
	int stopped;
	/* kv_db_seal: keys of unsealed records to adopt, one buffer. */
	int collect;
	unsigned char *keys;
	size_t keys_len, keys_cap;
};

/* Pass a problem to the caller, with a message naming the key. */
static void report(struct scan *sc, kv_problem what, const void *key,
                   size_t key_len, const char *message)
{
	if (sc->on_problem && !sc->stopped &&
	    sc->on_problem(what, key, key_len, message, sc->payload))
		sc->stopped = 1;
}

/* Remember an unsealed key for adoption: length (size_t), then bytes. */
static kv_status keep_key(struct scan *sc, const void *key, size_t key_len)
{
	size_t need = sc->keys_len + sizeof key_len + key_len;
	unsigned char *p;

	if (need > sc->keys_cap) {
		size_t cap = need * 2;
		if (!(p = realloc(sc->keys, cap)))
			return kv__error(KV_ENOMEM, "out of memory");
		sc->keys = p;
		sc->keys_cap = cap;
	}
	memcpy(sc->keys + sc->keys_len, &key_len, sizeof key_len);
	memcpy(sc->keys + sc->keys_len + sizeof key_len, key, key_len);
	sc->keys_len = need;
	return KV_OK;
}

/* Look at one record: unsealed, corrupt, or sealed and counted. */
static kv_status visit(struct scan *sc, const void *key, size_t key_len,
                       const kv__bval *bv)
{
	char shown[KV__SHOW_SIZE], msg[KV__SHOW_SIZE + 128];

	sc->records++;
	if (!kv__tag_sealed(bv->tag, bv->tag_len)) {
		sc->unsealed++;
		snprintf(msg, sizeof msg, "record '%s' has no seal (written by "
		         "another program?)",
		         kv__show(shown, sizeof shown, key, key_len));
		report(sc, KV_PROBLEM_UNSEALED, key, key_len, msg);
		return sc->collect ? keep_key(sc, key, key_len) : KV_OK;
	}
	/* The stored seal is in the digest whether or not it still matches. */
	sc->sum += kv__tag_seal(bv->tag);
	sc->count++;
	if (kv__seal_check(sc->db, 0, key, key_len, bv) == KV_ECORRUPT) {
		sc->corrupt++;
		report(sc, KV_PROBLEM_CORRUPT, key, key_len,
		       kv_db_errmsg(sc->db));
	}
	return KV_OK;
}

/* Scan every user record of txn. */
static kv_status scan_all(struct scan *sc, kv_txn *txn)
{
	const void *key;
	size_t key_len;
	kv__bcur *cur;
	kv__bval bv;
	kv_status rc;

	if ((rc = sc->db->be->cursor_open(&cur, txn->bt, KV__NS_DATA, NULL, 0)))
		return kv__wrap(rc, "scan %s", sc->db->path);
	while (!sc->stopped) {
		key = NULL;
		rc = sc->db->be->cursor_next(cur, &key, &key_len, &bv);
		if (rc == KV_NOTFOUND) {
			rc = KV_OK;
			break;
		}
		/* One record's frame is damaged: count it and go on.  Without a
		 * key the store itself is damaged and the scan cannot go on. */
		if (rc == KV_ECORRUPT && key != NULL) {
			sc->records++;
			sc->corrupt++;
			report(sc, KV_PROBLEM_CORRUPT, NULL, 0, kv_db_errmsg(sc->db));
			continue;
		}
		if (rc || (rc = visit(sc, key, key_len, &bv)))
			break;
		if (sc->progress && sc->records % PROGRESS_EVERY == 0 &&
		    sc->progress(sc->records, sc->total, sc->payload))
			sc->stopped = 1;
	}
	sc->db->be->cursor_close(cur);
	if (rc == KV_OK && sc->progress && !sc->stopped)
		sc->progress(sc->records, sc->total, sc->payload);
	return rc;
}

/* Compare what the scan found with the stored digest. */
static int digest_matches(struct scan *sc, uint64_t sum, uint64_t count)
{
	char msg[256];

	if (sc->sum == sum && sc->count == count)
		return 1;
	if (sc->count != count)
		snprintf(msg, sizeof msg, "%s: the digest counts %llu sealed "
		         "records, the store holds %llu: %llu %s behind libkv's "
		         "back", sc->db->path, (unsigned long long)count,
		         (unsigned long long)sc->count,
		         (unsigned long long)(count > sc->count ? count - sc->count
		                                                : sc->count - count),
		         count > sc->count ? "lost" : "added");
	else
		snprintf(msg, sizeof msg, "%s: the sealed records differ from "
		         "the digest: records replaced behind libkv's back",
		         sc->db->path);
	report(sc, KV_PROBLEM_DIGEST, NULL, 0, msg);
	return 0;
}

static kv_status scan_start(struct scan *sc, kv_db *db, kv_problem_fn fn,
                            kv_progress_fn progress, void *payload)
{
	kv__bstat bs = { 0, 0 };

	memset(sc, 0, sizeof *sc);
	sc->db = db;
	sc->on_problem = fn;
	sc->progress = progress;
	sc->payload = payload;
	if (db->be->stat(&bs, db->env) == KV_OK)
		sc->total = bs.count;
	return KV_OK;
}

kv_status kv_db_verify(kv_verify_report *out, kv_db *db,
                       kv_problem_fn on_problem, kv_progress_fn progress,
                       void *payload)
{
	uint64_t sum, count;
	struct scan sc;
	kv_txn *txn;
	kv_status rc;

	KV__ENTER(db, "kv_db_verify");
	if (!out || out->version != KV_VERIFY_REPORT_VERSION)
		return kv__error(KV_EINVAL, "kv_db_verify: out is NULL or not "
		                 "initialised with KV_VERIFY_REPORT_INIT");
	scan_start(&sc, db, on_problem, progress, payload);
	if (db->unchecked) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s: store is keyed and was opened "
		         "without its key: seals not checked", db->path);
		report(&sc, KV_PROBLEM_UNCHECKED, NULL, 0, msg);
	}
	if ((rc = kv__txn_begin(&txn, db, 0)))
		return rc;
	rc = kv__digest_read(&sum, &count, txn);
	if (rc == KV_OK)
		rc = scan_all(&sc, txn);
	kv__txn_end(txn);
	if (rc)
		return rc;
	out->records = sc.records;
	out->corrupt = sc.corrupt;
	out->unsealed = sc.unsealed;
	out->checked = !db->unchecked;
	out->digest_ok = sc.stopped ? 0 : digest_matches(&sc, sum, count);
	return KV_OK;
}

/* Seal each key the scan collected, copying its value first (the
 * backend's pointer does not outlive the write). */
static kv_status adopt(struct scan *sc, kv_txn *txn, kv_u64 *adopted)
{
	size_t off = 0, key_len;
	const unsigned char *key;
	void *copy;
	kv__bval bv;
	kv_status rc = KV_OK;

	while (rc == KV_OK && off < sc->keys_len) {
		memcpy(&key_len, sc->keys + off, sizeof key_len);
		key = sc->keys + off + sizeof key_len;
		off += sizeof key_len + key_len;
		if ((rc = sc->db->be->get(&bv, txn->bt, KV__NS_DATA, key,
		                          key_len)))
			break;
		if (!(copy = malloc(bv.val_len + 1))) {
			rc = kv__error(KV_ENOMEM, "out of memory");
			break;
		}
		memcpy(copy, bv.val, bv.val_len);
		rc = kv__put_sealed(txn, key, key_len, copy, bv.val_len, 0, 0);
		free(copy);
		if (rc == KV_OK)
			(*adopted)++;
	}
	return rc;
}

kv_status kv_db_seal(kv_u64 *out_adopted, kv_db *db, kv_problem_fn on_adopt,
                     kv_progress_fn progress, void *payload)
{
	kv_u64 adopted = 0;
	struct scan sc;
	kv_txn *txn;
	kv_status rc;

	KV__ENTER(db, "kv_db_seal");
	scan_start(&sc, db, on_adopt, progress, payload);
	sc.collect = 1;
	if ((rc = kv__txn_begin(&txn, db, 1)))
		return rc;
	rc = scan_all(&sc, txn);
	if (rc == KV_OK && sc.stopped)
		rc = kv__error(KV_EINVAL, "kv_db_seal: stopped by the caller; "
		               "nothing sealed");
	if (rc == KV_OK)
		rc = adopt(&sc, txn, &adopted);
	/* The digest is recomputed, not adjusted: the store as it is now. */
	if (rc == KV_OK)
		rc = kv__digest_write(txn, sc.sum + txn->digest_sum,
		                      sc.count + (uint64_t)txn->digest_count);
	free(sc.keys);
	txn->digest_dirty = 0;
	if (rc) {
		kv__txn_end(txn);
		return rc;
	}
	if ((rc = kv__txn_commit(txn)))
		return rc;
	if (out_adopted)
		*out_adopted = adopted;
	return KV_OK;
}

kv_status kv_keyfile_create(const char *path)
{
	unsigned char secret[32];
	char hex[2 * sizeof secret + 2];
	int fd, ok;

	kv__enter(NULL);
	if (!path)
		return kv__error(KV_EINVAL, "kv_keyfile_create: path is NULL");
	if (sodium_init() < 0)
		return kv__error(KV_EIO, "libsodium cannot initialise");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return kv__error(errno == EEXIST ? KV_EXISTS : KV_EIO,
		                 "key file %s: %s", path, strerror(errno));
	randombytes_buf(secret, sizeof secret);
	sodium_bin2hex(hex, sizeof hex, secret, sizeof secret);
	hex[2 * sizeof secret] = '\n';
	ok = fchmod(fd, 0600) == 0 &&
	     write(fd, hex, sizeof hex - 1) == (ssize_t)(sizeof hex - 1) &&
	     fsync(fd) == 0;
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(hex, sizeof hex);
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return kv__error(KV_EIO, "key file %s: cannot write: %s", path,
		                 strerror(errno));
	}
	return KV_OK;
}
