/*
 * kv/schema.h - schemas: typed, required, write-once and deprecated fields
 * for the records under a key prefix.
 *
 * A schema is a JSON document kept in the store itself:
 *
 *   { "name": "run", "version": 1, "prefix": "runs/",
 *     "allow_unknown": true,
 *     "fields": {
 *       "lr":      { "type": "float",  "required": true, "readonly": true },
 *       "dataset": { "type": "string", "required": true, "readonly": true },
 *       "loss":    { "type": "float" },
 *       "acc":     { "type": "float",  "deprecated": "since 2: use val_acc" },
 *       "notes":   { "type": "string", "default": "" } } }
 *
 * Types: "string", "int" (a JSON integer), "float" (any JSON number),
 * "bool", "bytes" (a base64 string), "json" (any value).  A field may be
 * "required", "readonly" (write-once: it may be set while absent, then
 * never changed or removed; writing the same value again is allowed),
 * "deprecated" (a message; writes still succeed and raise a warning, see
 * kv/warnings.h) and have a "default" used when a written record lacks it.
 * "allow_unknown" (default true) says whether fields the schema does not
 * list are accepted.  Field names must not start with '$'.
 *
 * A key is governed by the schema with the longest prefix it starts with;
 * keys under no schema are free-form bytes.  Schemas evolve: defining a
 * schema again with a higher version may add fields, deprecate fields and
 * change flags, but not change a field's type, drop a field, or move the
 * prefix.  Each record is tagged with the version it was validated
 * against; records written under older versions stay readable as they
 * are and are validated against the current version when next written.
 */
#ifndef KV_SCHEMA_H
#define KV_SCHEMA_H

#include "kv.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Define a schema, or evolve it when one of that name exists (the version
 * must then be higher).  json is the schema document above.  Existing
 * records are not checked (see kv_schema_check).
 * Expect: KV_ESCHEMA (malformed document, or an evolution that is not
 * allowed: the message says why), KV_EXISTS (that version exists).
 * Since 0.1.
 */
KV_EXTERN kv_status kv_schema_define(kv_db *db, const char *json);

/**
 * The document of schema name, its current version when version is 0.
 * *out is OWNED (kv_free), NUL-terminated JSON.  Expect: KV_NOTFOUND.
 * Since 0.1.
 */
KV_EXTERN kv_status kv_schema_get(char **out, kv_db *db, const char *name,
                                  unsigned int version);

/** Called once per schema by kv_schema_list, in name order; the strings
 *  are BORROWED for the call.  Return non-zero to stop.  Since 0.1. */
typedef int (*kv_schema_list_fn)(const char *name, unsigned int version,
                                 const char *prefix, void *payload);

/** List the current version of every schema.  Since 0.1. */
KV_EXTERN kv_status kv_schema_list(kv_db *db, kv_schema_list_fn fn,
                                   void *payload);

/** Called once per record that fails its schema, by kv_schema_check;
 *  the strings are BORROWED for the call.  key is the record's key
 *  (NUL-terminated; bytes that are not printable escaped as \xHH), message
 *  names the field and what was expected.  Return non-zero to stop.
 *  Since 0.1. */
typedef int (*kv_schema_check_fn)(const char *schema, const char *key,
                                  const char *message, void *payload);

/**
 * Validate every record governed by schema name (every schema when name
 * is NULL) against the schema version it was written under (the current
 * one for untagged records, such as those another program wrote), in one
 * read snapshot.  *out_bad (may be NULL) receives the number of failing
 * records.  Expect: KV_NOTFOUND (no such schema).  Since 0.1.
 */
KV_EXTERN kv_status kv_schema_check(unsigned long *out_bad, kv_db *db,
                                    const char *name, kv_schema_check_fn fn,
                                    void *payload);

#ifdef __cplusplus
}
#endif

#endif /* KV_SCHEMA_H */
