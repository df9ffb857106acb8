/*
 * kv/seal.c - seals and the store-wide digest (see kv/integrity.h for
 * what they guarantee, kv/seal.h for the tag layout): the key file, the
 * seal of each record written and read, and the digest each commit keeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "seal.h"

#define SECRET_BYTES 32
#define CHECK_BYTES 16

/* The SipHash key of stores without a secret: public, so their seals are
 * checksums, not MACs. */
static const unsigned char public_key[16] = "libkv-seal-v1...";

static void put_le64(unsigned char *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, sizeof v); /* one store, not eight */
#else
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
#endif
}

static uint64_t get_le64(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;

	memcpy(&v, p, sizeof v); /* one load per seal noted, not eight */
	return v;
#else
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
#endif
}

/* SipHash-2-4 (libsodium's crypto_shorthash_siphash24, what its
 * crypto_shorthash names) of (key length as u64 LE, key, value) under k.
 * libsodium hashes one buffer, so key and value are copied behind the
 * length into buf, which has room for them.  (An empty key or value may
 * come as NULL from a backend, hence the length tests.) */
static inline void seal_in(unsigned char out[8], const unsigned char *k,
                           unsigned char *buf, const void *key,
                           size_t key_len, const void *val, size_t val_len)
{
	put_le64(buf, key_len);
	if (key_len)
		memcpy(buf + 8, key, key_len);
	if (val_len)
		memcpy(buf + 8 + key_len, val, val_len);
	crypto_shorthash_siphash24(out, buf, 8 + key_len + val_len, k);
}

/* A record too large for seal_of's stack buffer: hashed from the heap.
 * Kept out of line so that the common case sets up no second frame. */
static __attribute__((noinline)) kv_status
seal_of_large(unsigned char out[8], const unsigned char *k, const void *key,
              size_t key_len, const void *val, size_t val_len)
{
	unsigned char *buf = NULL;

	if (key_len > SIZE_MAX - 8 || val_len > SIZE_MAX - 8 - key_len ||
	    !(buf = malloc(8 + key_len + val_len)))
		return kv__error(KV_ENOMEM, "out of memory sealing a %zu-byte "
		                 "record", val_len);
	seal_in(out, k, buf, key, key_len, val, val_len);
	free(buf);
	return KV_OK;
}

/* The seal of a record: on the stack for records up to 504 bytes. */
static kv_status seal_of(unsigned char out[8], const unsigned char *k,
                         const void *key, size_t key_len, const void *val,
                         size_t val_len)
{
	unsigned char buf[512];

	if (key_len > sizeof buf - 8 || val_len > sizeof buf - 8 - key_len)
		return seal_of_large(out, k, key, key_len, val, val_len);
	seal_in(out, k, buf, key, key_len, val, val_len);
	return KV_OK;
}

/* Read the 32-byte secret of a key file, refusing one others may read. */
static kv_status read_keyfile(unsigned char secret[SECRET_BYTES],
                              const char *path)
{
	char text[2 * SECRET_BYTES + 8];
	size_t bin_len = 0;
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	kv_status rc = KV_OK;

	if (fd < 0)
		return kv__error(KV_EKEY, "key file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = kv__error(KV_EKEY, "key file %s: not a regular file", path);
	else if (st.st_mode & 077)
		rc = kv__error(KV_EKEY, "key file %s: group or others may read "
		               "it (mode 0%o); chmod 600 it", path,
		               (unsigned int)(st.st_mode & 0777));
	else if ((n = read(fd, text, sizeof text - 1)) < 2 * SECRET_BYTES)
		rc = kv__error(KV_EKEY, "key file %s: too short (want %d hex "
		               "digits; kvtool keygen makes one)", path,
		               2 * SECRET_BYTES);
	else if (sodium_hex2bin(secret, SECRET_BYTES, text, (size_t)n, " \t\r\n",
	                        &bin_len, NULL) != 0 || bin_len != SECRET_BYTES)
		rc = kv__error(KV_EKEY, "key file %s: not %d hex digits", path,
		               2 * SECRET_BYTES);
	sodium_memzero(text, sizeof text);
	close(fd);
	return rc;
}

/* Take the key file's secret: derive the seal key and the check value
 * kept in the store. */
static kv_status load_key(kv_db *db, unsigned char check[CHECK_BYTES],
                          const char *path)
{
	static const char seal_ctx[] = "libkv seal key";
	static const char check_ctx[] = "libkv key check";
	unsigned char secret[SECRET_BYTES];
	kv_status rc = read_keyfile(secret, path);

	if (rc == KV_OK) {
		crypto_generichash(db->seal_key, sizeof db->seal_key,
		                   (const unsigned char *)seal_ctx,
		                   sizeof seal_ctx - 1, secret, sizeof secret);
		crypto_generichash(check, CHECK_BYTES,
		                   (const unsigned char *)check_ctx,
		                   sizeof check_ctx - 1, secret, sizeof secret);
		db->keyed = 1;
	}
	sodium_memzero(secret, sizeof secret);
	return rc;
}

/* Record the key check in a store that has no sealed record yet. */
static kv_status adopt_key(kv_db *db, const unsigned char *check)
{
	kv__bval bv = { check, CHECK_BYTES, NULL, 0 };
	kv_txn *txn;
	kv_status rc;

	if ((rc = kv__txn_begin(&txn, db, 1)))
		return rc;
	rc = db->be->put(txn->bt, KV__NS_META, "keycheck", 8, &bv, 0, NULL);
	if (rc) {
		kv__txn_end(txn);
		return kv__wrap(rc, "%s: cannot record the key", db->path);
	}
	return kv__txn_commit(txn);
}

/* Compare the key given (if any) with the store's key check. */
static kv_status match_key(kv_db *db, const unsigned char *check,
                           const char *path)
{
	uint64_t sum, count;
	kv__bval bv;
	kv_txn *txn;
	kv_status rc;
	int stored;

	if ((rc = kv__txn_begin(&txn, db, 0)))
		return rc;
	rc = db->be->get(&bv, txn->bt, KV__NS_META, "keycheck", 8);
	stored = rc == KV_OK;
	if (stored && path && (bv.val_len != CHECK_BYTES ||
	                       sodium_memcmp(bv.val, check, CHECK_BYTES)))
		rc = kv__error(KV_EKEY, "%s: wrong key (key file %s)", db->path,
		               path);
	else if (rc == KV_OK || rc == KV_NOTFOUND)
		rc = kv__digest_read(&sum, &count, txn);
	kv__txn_end(txn);
	if (rc)
		return rc;
	if (stored && !path) {
		db->unchecked = 1;
		return kv__warn(KV_WARN_UNCHECKED, db->path, "store %s is keyed "
		                "and was opened without its key: its seals are "
		                "not checked and writes are refused", db->path);
	}
	if (!stored && path && count > 0)
		return kv__error(KV_EKEY, "%s: store is not keyed (a key is set "
		                 "when a store is created)", db->path);
	if (!stored && path && db->flags != KV_OPEN_READONLY)
		return adopt_key(db, check);
	return KV_OK;
}

kv_status kv__seal_open(kv_db *db, const char *keyfile)
{
	unsigned char check[CHECK_BYTES];
	const char *path = keyfile ? keyfile : getenv("KV_KEYFILE");
	kv_status rc;

	if (sodium_init() < 0)
		return kv__error(KV_EIO, "libsodium cannot initialise");
	if (path && !*path)
		path = NULL;
	memcpy(db->seal_key, public_key, sizeof db->seal_key);
	if (path && (rc = load_key(db, check, path)))
		return rc;
	rc = match_key(db, check, path);
	sodium_memzero(check, sizeof check);
	return rc;
}

kv_status kv__tag_make(unsigned char tag[KV__TAG_LEN], const kv_db *db,
                       unsigned int version, const void *key,
                       size_t key_len, const void *val, size_t val_len)
{
	tag[0] = KV__TAG_LAYOUT;
	tag[1] = (unsigned char)(version & 0xff);
	tag[2] = (unsigned char)((version >> 8) & 0xff);
	tag[3] = (unsigned char)((version >> 16) & 0xff);
	tag[4] = (unsigned char)((version >> 24) & 0xff);
	tag[5] = db->keyed ? KV__TAG_KEYED : 0;
	return seal_of(tag + 6, db->seal_key, key, key_len, val, val_len);
}

unsigned int kv__tag_version(const void *tag, size_t tag_len)
{
	const unsigned char *t = tag;

	if (!kv__tag_sealed(tag, tag_len))
		return 0;
	return (unsigned int)t[1] | (unsigned int)t[2] << 8 |
	       (unsigned int)t[3] << 16 | (unsigned int)t[4] << 24;
}

int kv__tag_sealed(const void *tag, size_t tag_len)
{
	return tag && tag_len >= KV__TAG_LEN &&
	       ((const unsigned char *)tag)[0] == KV__TAG_LAYOUT;
}

uint64_t kv__tag_seal(const void *tag)
{
	return get_le64((const unsigned char *)tag + 6);
}

/* The failure of kv__seal_check, out of line so that the check of a
 * sound record formats nothing and reserves no room for the message. */
static __attribute__((noinline, cold)) kv_status
seal_mismatch(const kv_db *db, const void *key, size_t key_len)
{
	char shown[KV__SHOW_SIZE];

	return kv__error(KV_ECORRUPT, "record '%s' in %s does not match its "
	                 "seal: damaged, or changed behind libkv's back",
	                 kv__show(shown, sizeof shown, key, key_len), db->path);
}

kv_status kv__seal_check(const kv_db *db, int salvage, const void *key,
                         size_t key_len, const kv__bval *bv)
{
	/* Compared in constant time, as a MAC under a secret key must be,
	 * by crypto_verify_16 with both seals padded to its 16 bytes: 26
	 * instructions, where sodium_memcmp's byte loop took 86 for 8. */
	unsigned char seal[16] = { 0 }, stored[16] = { 0 };
	kv_status rc;

	if (salvage || db->unchecked || !kv__tag_sealed(bv->tag, bv->tag_len))
		return KV_OK;
	if ((rc = seal_of(seal, db->seal_key, key, key_len, bv->val,
	                  bv->val_len)))
		return rc;
	memcpy(stored, (const unsigned char *)bv->tag + 6, 8);
	if (crypto_verify_16(seal, stored) == 0)
		return KV_OK;
	return seal_mismatch(db, key, key_len);
}

kv_status kv__get_checked(kv__bval *out, kv_txn *txn, const void *key,
                          size_t key_len)
{
	kv_status rc = txn->db->be->get(out, txn->bt, KV__NS_DATA, key,
	                                key_len);

	if (rc)
		return rc;
	return kv__seal_check(txn->db, txn->salvage, key, key_len, out);
}

void kv__digest_note(kv_txn *txn, const kv__bold *old,
                     const unsigned char *new_tag)
{
	if (old && old->existed && kv__tag_sealed(old->tag, old->tag_len)) {
		txn->digest_sum -= kv__tag_seal(old->tag);
		txn->digest_count--;
	}
	if (new_tag) {
		txn->digest_sum += kv__tag_seal(new_tag);
		txn->digest_count++;
	}
	txn->digest_dirty = 1;
}

kv_status kv__digest_read(uint64_t *sum, uint64_t *count, kv_txn *txn)
{
	kv__bval bv;
	kv_status rc = txn->db->be->get(&bv, txn->bt, KV__NS_META, "digest", 6);

	*sum = *count = 0;
	if (rc == KV_NOTFOUND)
		return KV_OK;
	if (rc)
		return kv__wrap(rc, "%s: cannot read the digest", txn->db->path);
	if (bv.val_len != 16)
		return kv__error(KV_ECORRUPT, "%s: digest of %zu bytes, want 16",
		                 txn->db->path, bv.val_len);
	*sum = get_le64(bv.val);
	*count = get_le64((const unsigned char *)bv.val + 8);
	return KV_OK;
}

kv_status kv__digest_write(kv_txn *txn, uint64_t sum, uint64_t count)
{
	unsigned char buf[16];
	kv__bval bv = { buf, sizeof buf, NULL, 0 };
	kv_status rc;

	put_le64(buf, sum);
	put_le64(buf + 8, count);
	rc = txn->db->be->put(txn->bt, KV__NS_META, "digest", 6, &bv, 0, NULL);
	if (rc)
		return kv__wrap(rc, "%s: cannot write the digest", txn->db->path);
	return KV_OK;
}

kv_status kv__digest_flush(kv_txn *txn)
{
	uint64_t sum, count;
	kv_status rc;

	if (!txn->digest_dirty)
		return KV_OK;
	if ((rc = kv__digest_read(&sum, &count, txn)))
		return rc;
	return kv__digest_write(txn, sum + txn->digest_sum,
	                        count + (uint64_t)txn->digest_count);
}
