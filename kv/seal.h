/*
 * kv/seal.h - the core's internal view of seals, record tags and the
 * store-wide digest (seal.c, verify.c); see kv/integrity.h for the
 * guarantees.
 *
 * A record's tag (backend.h) is, byte by byte:
 *   [0]     layout, KV__TAG_LAYOUT
 *   [1..4]  schema version the record was validated against, LE; 0: none
 *   [5]     flags: KV__TAG_KEYED when sealed with the store's secret key
 *   [6..13] seal: SipHash-2-4 of (key length as u64 LE, key, value)
 * The digest (KV__NS_META key "digest") is two u64 LE: the sum of the
 * seals of all sealed records, and their number.
 */
#ifndef KV_SEAL_H
#define KV_SEAL_H

#include "internal.h"

#define KV__TAG_LAYOUT 1
#define KV__TAG_LEN 14
#define KV__TAG_KEYED 0x1u

/* Sodium, the key file and the store's key check, at open; may write the
 * digest and key check into a new store. */
kv_status kv__seal_open(kv_db *db, const char *keyfile);

/* Build the tag of a record: its schema version and its seal.
 * Expect: KV_ENOMEM (a record over 504 bytes is copied to be hashed). */
kv_status kv__tag_make(unsigned char tag[KV__TAG_LEN], const kv_db *db,
                       unsigned int version, const void *key,
                       size_t key_len, const void *val, size_t val_len);
/* Schema version in a tag; 0 when untagged or validated by no schema. */
unsigned int kv__tag_version(const void *tag, size_t tag_len);
/* Does the tag carry a seal?  (A record another program wrote does not.) */
int kv__tag_sealed(const void *tag, size_t tag_len);

/* Check a record read from the store against its seal: KV_OK for a
 * matching or unsealed record (or any record, under salvage or without
 * the key), KV_ECORRUPT with a message naming the key otherwise. */
kv_status kv__seal_check(const kv_db *db, int salvage, const void *key,
                         size_t key_len, const kv__bval *bv);

/* Get a user record in txn, checked against its seal. */
kv_status kv__get_checked(kv__bval *out, kv_txn *txn, const void *key,
                          size_t key_len);

/* Account in txn for a write: the record replaced or deleted (old) leaves
 * the digest, the new tag (NULL for a delete) enters it. */
void kv__digest_note(kv_txn *txn, const kv__bold *old,
                     const unsigned char *new_tag);

/* Fold txn's digest change into the stored digest; before commit. */
kv_status kv__digest_flush(kv_txn *txn);

/* Read the stored digest: sum and count; zero for a store without one. */
kv_status kv__digest_read(uint64_t *sum, uint64_t *count, kv_txn *txn);
/* Replace the stored digest (kv_db_seal). */
kv_status kv__digest_write(kv_txn *txn, uint64_t sum, uint64_t count);

/* record.c: store val at key, sealed and tagged with the schema version,
 * keeping txn's digest change: every user record libkv writes goes
 * through here. */
kv_status kv__put_sealed(kv_txn *txn, const void *key, size_t key_len,
                         const void *val, size_t val_len,
                         unsigned int version, unsigned int flags);

/* The seal inside a sealed tag, as a number. */
uint64_t kv__tag_seal(const void *tag);

#endif /* KV_SEAL_H */
