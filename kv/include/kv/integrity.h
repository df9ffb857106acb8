/*
 * kv/integrity.h - sealed records, the store-wide digest, verify and seal.
 *
 * Every record libkv writes carries a seal beside its value (never inside
 * it): SipHash-2-4 (libsodium's crypto_shorthash, 64 bits) over the key
 * and the value.  Every read checks it; a record whose value or key no
 * longer matches its seal fails with KV_ECORRUPT naming the key, and its
 * bytes are not handed out (a read transaction begun with KV_TXN_SALVAGE
 * does hand them out, for rescue).
 *
 * What a seal guarantees:
 *  - Without a secret key, the SipHash key is a fixed public constant: the
 *    seal is a checksum.  Accidental damage (a flipped bit, a torn write, a
 *    value copied to the wrong key) goes unnoticed with probability 2^-64;
 *    anyone can forge a seal on purpose.
 *  - With a secret key (a key file, see below), the SipHash key is derived
 *    from it and the seal is a MAC: without the key, a changed record is
 *    accepted with probability 2^-64 per attempt.  A record replaced by an
 *    older sealed version of itself is not detected by its seal.
 *
 * The store also keeps a digest: the number of sealed records and the sum
 * of their seals (mod 2^64), updated by every commit.  Since a sum does not
 * depend on order, kv_db_verify can recompute it in one scan and tell that
 * a record was lost, or added with a forged or copied seal, behind libkv's
 * back -- which no single record's seal can show.
 *
 * Records written by another program (Python's dbm.sqlite3 on the same
 * file) have no seal: they are "unsealed", readable, reported by verify and
 * adopted by kv_db_seal -- never taken for damage.  So in a keyed store a
 * record whose seal was stripped along with the change reads as unsealed,
 * not corrupt: verify lists it, and the digest shows the sealed record it
 * replaced as lost.  Look at that list before adopting it.
 *
 * Keyed stores: a key file holds 32 random bytes as 64 hex digits
 * (kvtool keygen makes one, mode 0600).  It is named by
 * kv_open_options.keyfile or $KV_KEYFILE; a key file that group or others
 * may read is refused (KV_EKEY).  The key of a store is fixed when the
 * store is created; libkv keeps a check value of it, so a wrong key fails
 * to open with KV_EKEY.  A keyed store opened without its key can be read,
 * but its seals cannot be checked: opening it raises a KV_WARN_UNCHECKED
 * warning, kv_db_verify reports it, and writes fail with KV_EKEY.
 */
#ifndef KV_INTEGRITY_H
#define KV_INTEGRITY_H

#include "kv.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A problem kv_db_verify found.  Since 0.1. */
typedef enum kv_problem {
	KV_PROBLEM_CORRUPT = 1,   /* the record does not match its seal */
	KV_PROBLEM_UNSEALED = 2,  /* the record has no seal (foreign write) */
	KV_PROBLEM_DIGEST = 3,    /* sealed records lost or added: key NULL */
	KV_PROBLEM_UNCHECKED = 4  /* keyed store opened without its key */
} kv_problem;

/** Called for each problem; key (key_len bytes) is BORROWED for the call
 *  and NULL for store-wide problems; message names the key and what is
 *  wrong.  Return non-zero to stop.  Since 0.1. */
typedef int (*kv_problem_fn)(kv_problem problem, const void *key,
                             size_t key_len, const char *message,
                             void *payload);

/** Called now and then during a long scan with the records done so far
 *  and the total expected.  Return non-zero to stop.  Since 0.1. */
typedef int (*kv_progress_fn)(kv_u64 done, kv_u64 total, void *payload);

/** What kv_db_verify found.  Initialise with KV_VERIFY_REPORT_INIT. */
typedef struct kv_verify_report {
	unsigned int version;   /* KV_VERIFY_REPORT_VERSION */
	kv_u64 records;         /* records scanned */
	kv_u64 corrupt;         /* records failing their seal */
	kv_u64 unsealed;        /* records without a seal */
	int digest_ok;          /* 1 when the digest matches the records */
	int checked;            /* 0 when seals could not be checked (no key) */
} kv_verify_report;
#define KV_VERIFY_REPORT_VERSION 1
#define KV_VERIFY_REPORT_INIT { KV_VERIFY_REPORT_VERSION, 0, 0, 0, 0, 0 }

/**
 * Check every record against its seal and the store against its digest,
 * in one read snapshot.  Each problem is passed to on_problem (may be
 * NULL); progress (may be NULL) is called about every 4096 records.
 * Returns KV_OK when the scan completed -- problems or not; look at *out.
 * Expect: KV_EIO, KV_ECORRUPT (the backend itself found damage).
 * Since 0.1.
 */
KV_EXTERN kv_status kv_db_verify(kv_verify_report *out, kv_db *db,
                                 kv_problem_fn on_problem,
                                 kv_progress_fn progress, void *payload);

/**
 * Adopt the store as it is: seal every unsealed record (each passed to
 * on_adopt as KV_PROBLEM_UNSEALED before it is sealed; may be NULL) and
 * recompute the digest, in one write transaction.  Records that fail
 * their seal are left alone and reported as KV_PROBLEM_CORRUPT.
 * *out_adopted (may be NULL) receives the number of records sealed.
 * Expect: KV_EKEY (keyed store opened without its key).  Since 0.1.
 */
KV_EXTERN kv_status kv_db_seal(kv_u64 *out_adopted, kv_db *db,
                               kv_problem_fn on_adopt,
                               kv_progress_fn progress, void *payload);

/**
 * Write a new secret key file at path: 32 random bytes as hex, mode 0600,
 * refusing to overwrite an existing file (KV_EXISTS).  Since 0.1.
 */
KV_EXTERN kv_status kv_keyfile_create(const char *path);

#ifdef __cplusplus
}
#endif

#endif /* KV_INTEGRITY_H */
