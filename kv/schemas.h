/*
 * kv/schemas.h - the core's internal view of schemas and record
 * validation (schema.c, validate.c), used by txn.c and record.c.
 *
 * Records are handled as jansson values (json_t).  Schemas are cached per
 * handle; the cache is only touched by write transactions (which hold the
 * handle's writer lock) and is reloaded when the store's schema generation
 * -- bumped by every define, in any process -- differs from the cached one.
 */
#ifndef KV_SCHEMAS_H
#define KV_SCHEMAS_H

#include <jansson.h>

#include "internal.h"
#include "seal.h"

/* Field types of a schema. */
typedef enum kv__ftype {
	KV__F_STRING, KV__F_INT, KV__F_FLOAT, KV__F_BOOL, KV__F_BYTES, KV__F_JSON
} kv__ftype;

typedef struct kv__field {
	char *name;              /* OWNED */
	kv__ftype type;
	int required;
	int readonly;
	char *deprecated;        /* OWNED message, or NULL */
	json_t *def;             /* OWNED default value, or NULL */
} kv__field;

/* One version of one schema, parsed. */
typedef struct kv__schema {
	char *name;              /* OWNED */
	unsigned int version;
	char *prefix;            /* OWNED, NUL-terminated */
	size_t prefix_len;
	int allow_unknown;
	kv__field *fields;       /* OWNED array, sorted by name */
	size_t nfields;
	json_t *doc;             /* OWNED normalised document */
} kv__schema;

void kv__schema_free(kv__schema *s);

/* schema_doc.c: parse and normalise a schema document (KV_ESCHEMA with a
 * message naming the part at fault); *out OWNED. */
kv_status kv__schema_parse(kv__schema **out, json_t *doc);
/* The field of s called name, or NULL (fields are sorted by name). */
const kv__field *kv__schema_field(const kv__schema *s, const char *name);
/* The name of a field type ("float"). */
const char *kv__ftype_name(kv__ftype t);
/* Parse text as a JSON object without duplicate keys; on failure write
 * why into msg and return -1. */
int kv__json_parse_object(json_t **out, const void *text, size_t len,
                          char *msg, size_t size);

/* The schema governing key (longest prefix), or *out NULL for a free-form
 * key.  Only inside a write transaction: refreshes db's cache first when
 * another handle or process changed the schemas.  BORROWED until the
 * transaction ends. */
kv_status kv__schema_for_key(const kv__schema **out, kv_txn *txn,
                             const void *key, size_t key_len);

/* Load one version of a schema from the store (in any transaction).
 * *out is OWNED (kv__schema_free).  KV_NOTFOUND when absent. */
kv_status kv__schema_load(kv__schema **out, kv_txn *txn, const char *name,
                          unsigned int version);

/* Drop db's cache (on close). */
void kv__schemas_free(kv_db *db);

/* Validate rec (the new record, a JSON object) for key under schema s,
 * against old (the stored record, parsed, or NULL when there is none):
 * types, required fields, unknown fields, write-once fields.  Fields with
 * a default that rec lacks are added to rec, and *changed is set.  Then
 * deprecated fields present in rec are warned about (KV_EDEPRECATED under
 * KV_WARNINGS=error).  Sets the message naming the key and field on
 * failure; writes nothing. */
kv_status kv__validate(const kv__schema *s, json_t *rec, const json_t *old,
                       const char *key_shown, int *changed);

/* Validate rec without old record, defaults or warnings (kv_schema_check):
 * writes the reason into msg on failure and returns KV_ESCHEMA. */
kv_status kv__validate_quiet(const kv__schema *s, const json_t *rec,
                             char *msg, size_t msg_size);

/* Parse a stored or given value as a JSON object; KV_ESCHEMA with the
 * parser's line and column otherwise.  *out is OWNED (json_decref). */
kv_status kv__json_object(json_t **out, const void *text, size_t len,
                          const char *what, const char *key_shown);

/* Compact JSON text of v with the shortest exact reals; OWNED (free),
 * NULL when out of memory. */
char *kv__json_dump(const json_t *v);

/* The put path of the bytes API (kv_txn_put, so also ndbm and kvtool):
 * a key under a schema gets its value parsed and validated as a record
 * (against the stored record for write-once fields) and is stored tagged
 * with the schema version; any other key is stored as it is. */
kv_status kv__put_checked(kv_txn *txn, const void *key, size_t key_len,
                          const void *val, size_t val_len,
                          unsigned int flags);

#endif /* KV_SCHEMAS_H */
