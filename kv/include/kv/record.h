/*
 * kv/record.h - records: JSON objects stored as values.
 *
 * A record is the compact JSON text of an object, stored verbatim as the
 * value of its key, so any dbm client (Python's json.loads over
 * dbm.sqlite3, say) reads it.  When a schema governs the key (see
 * kv/schema.h), every write of the key -- through this API, the bytes API,
 * ndbm or kvtool -- is validated first; a failed validation writes nothing.
 *
 * Reading a record does not parse it: kv_record_get hands back the stored
 * text.  JSON is parsed on writes and when one field is asked for.
 *
 * Every call takes the store and an optional transaction of it: with txn
 * NULL the call runs in its own transaction (committed for writes); with a
 * transaction, inside it.  Keys and field names are NUL-terminated UTF-8.
 */
#ifndef KV_RECORD_H
#define KV_RECORD_H

#include "kv.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Store json (the text of a JSON object) as the record at key, replacing
 * any record there.  Under a schema, fields with a default that json
 * lacks are filled in, and the record is tagged with the schema version
 * it was validated against.
 * Expect: KV_ESCHEMA (not an object, wrong type, missing required field,
 * unknown field -- the message names the field and what was expected),
 * KV_EREADONLY (changes or drops a write-once field already set),
 * KV_EDEPRECATED (a deprecated field under KV_WARNINGS=error).  Since 0.1.
 */
KV_EXTERN kv_status kv_record_put(kv_db *db, kv_txn *txn, const char *key,
                                  const char *json);

/**
 * The record at key as JSON text.  *out is OWNED (kv_free), NUL-terminated.
 * Expect: KV_NOTFOUND.  Since 0.1.
 */
KV_EXTERN kv_status kv_record_get(char **out, kv_db *db, kv_txn *txn,
                                  const char *key);

/**
 * One field of the record at key as JSON text (e.g. "0.87", "\"cifar\"").
 * *out is OWNED (kv_free).  Expect: KV_NOTFOUND (no record, or no such
 * field: the message says which), KV_ESCHEMA (the stored value is not a
 * JSON object).  Since 0.1.
 */
KV_EXTERN kv_status kv_record_field(char **out, kv_db *db, kv_txn *txn,
                                    const char *key, const char *field);

/**
 * Partial update in the spirit of Python's copy.replace: the record at key
 * with the fields of set_json (a JSON object, or NULL for none) replaced or
 * added and the fields named in remove (a NULL-terminated array, or NULL)
 * removed, validated and written atomically.  On any failure the stored
 * record is unchanged, byte for byte.
 * Expect: KV_NOTFOUND (no record at key), KV_ESCHEMA, KV_EREADONLY,
 * KV_EDEPRECATED.  Since 0.1.
 */
KV_EXTERN kv_status kv_record_replace(kv_db *db, kv_txn *txn, const char *key,
                                      const char *set_json,
                                      const char *const *remove);

/**
 * The schema version the value stored at key (key_len bytes, any key, as
 * for kv_txn_get) was validated against when it was written: *out is 0
 * for a value no schema validated (a free-form key, a value written
 * before its schema was defined or by another program).
 * Expect: KV_NOTFOUND (no value at key), KV_ECORRUPT (the value fails
 * its seal).  Since 0.2.
 */
KV_EXTERN kv_status kv_record_version(unsigned int *out, kv_db *db,
                                      kv_txn *txn, const void *key,
                                      size_t key_len);

/**
 * Store val (val_len bytes, the text of a JSON object) at key as a record
 * validated under version `version` of the schema that governs key, for
 * copying a store record by record (kvtool load and convert): the record
 * is validated against that version, not the current one, and tagged with
 * it, so kv_schema_check later judges it as its writer's version did.
 * version 0 is a plain put (kv_txn_put).  The bytes are copied; nothing
 * is kept.  Expect: KV_ESCHEMA (the record fails that version),
 * KV_NOTFOUND (no schema governs key, or that version of it is not
 * stored: the message names the schema and version), KV_EREADONLY
 * (read-only transaction, or a write-once field already set).  Since 0.2.
 */
KV_EXTERN kv_status kv_record_restore(kv_db *db, kv_txn *txn,
                                      const void *key, size_t key_len,
                                      const void *val, size_t val_len,
                                      unsigned int version);

#if !KV_API_HIDES(0, 2)
/**
 * DEPRECATED since 0.2: kv_record_replace removes any number of fields
 * and sets others in the same atomic update; pass {field, NULL} as its
 * remove.  Removes one field of the record at key.  Its first call in the
 * process reports KV_WARN_DEPRECATED_API through the warning channel
 * (kv/warnings.h); under KV_WARNINGS=error the call fails with
 * KV_EDEPRECATED and changes nothing.  Goes away in 1.0.
 * Expect: KV_NOTFOUND, KV_EREADONLY, KV_ESCHEMA (a required field),
 * KV_EDEPRECATED.  Since 0.1.
 */
KV_DEPRECATED_SINCE(0, 2, "kv_record_replace")
KV_EXTERN kv_status kv_record_del_field(kv_db *db, kv_txn *txn,
                                        const char *key, const char *field);
#endif

#ifdef __cplusplus
}
#endif

#endif /* KV_RECORD_H */
