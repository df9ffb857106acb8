/*
 * kv/record.c - records (kv/record.h) and the checked put path that every
 * write of a key under a schema goes through, whichever API it came from.
 *
 * Reads never parse: kv_record_get returns the stored text.  Writes parse
 * the new record and, for a governed key, the stored one (for write-once
 * fields), validate, and store the record tagged with the schema version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemas.h"

/*
 * Is d the double nearest a decimal of at most 15 significant digits
 * n / 10^k?  Then "%.15g" prints that decimal (15 is DBL_DIG: such a
 * decimal survives the trip through a double) and it reads back as d.
 * n and 10^k (k <= 22) are exact doubles, so n / 10^k is correctly
 * rounded: equality proves it.  No means "ask snprintf", never "more
 * digits".  Spares two conversions per real on every record write.
 */
static int short_decimal(double d)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	                              1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
	                              1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
	                              1e22 };
	size_t k;

	for (k = 0; k < sizeof p10 / sizeof p10[0]; k++) {
		double t = d * p10[k];
		double n;

		if (!(t > -1e15 && t < 1e15))
			return 0;
		n = (double)(long long)(t < 0 ? t - 0.5 : t + 0.5);
		if (n / p10[k] == d)
			return 1;
	}
	return 0;
}

/* The fewest significant digits (15 to 17) that print every real in v
 * so that it reads back exactly: 15 for the values people type (0.412). */
static int real_digits(const json_t *v)
{
	const char *name;
	json_t *item;
	size_t i;
	char buf[32];
	int digits = 15, d;

	switch (json_typeof(v)) {
	case JSON_REAL:
		if (short_decimal(json_real_value(v)))
			return digits;
		for (; digits < 17; digits++) {
			snprintf(buf, sizeof buf, "%.*g", digits, json_real_value(v));
			if (strtod(buf, NULL) == json_real_value(v))
				break;
		}
		return digits;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, name, item)
			if ((d = real_digits(item)) > digits)
				digits = d;
		return digits;
	case JSON_ARRAY:
		json_array_foreach(v, i, item)
			if ((d = real_digits(item)) > digits)
				digits = d;
		return digits;
	default:
		return digits;
	}
}

char *kv__json_dump(const json_t *v)
{
	/* Jansson prints reals with 17 digits by default, which turns 0.412
	 * into 0.41199999999999998; ask for as few as stay exact. */
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	                     JSON_REAL_PRECISION(real_digits(v)));
}

/* The stored record at key parsed, or *out NULL when there is none or it
 * is not a JSON object (a damaged record does not block its repair). */
static kv_status load_old(json_t **out, kv_txn *txn, const void *key,
                          size_t key_len)
{
	kv__bval old;
	kv_status rc;

	*out = NULL;
	rc = txn->db->be->get(&old, txn->bt, KV__NS_DATA, key, key_len);
	if (rc == KV_NOTFOUND)
		return KV_OK;
	if (rc)
		return rc;
	*out = json_loadb(old.val, old.val_len, JSON_REJECT_DUPLICATES, NULL);
	if (*out && !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
	}
	return KV_OK;
}

/* The failure of a sealed put, named with its key: out of line, so that a
 * put that succeeds reserves no room for the message. */
static __attribute__((noinline, cold)) kv_status
put_failed(kv_status rc, const kv_txn *txn, const void *key, size_t key_len)
{
	char shown[KV__SHOW_SIZE];

	kv__show(shown, sizeof shown, key, key_len);
	if (rc == KV_EXISTS)
		return kv__error(rc, "put: key '%s' already exists in %s", shown,
		                 txn->db->path);
	return kv__wrap(rc, "put key '%s' in %s", shown, txn->db->path);
}

kv_status kv__put_sealed(kv_txn *txn, const void *key, size_t key_len,
                         const void *val, size_t val_len,
                         unsigned int version, unsigned int flags)
{
	unsigned char tag[KV__TAG_LEN];
	kv__bval bv = { val, val_len, tag, sizeof tag };
	kv__bold old;
	kv_status rc;

	if ((rc = kv__tag_make(tag, txn->db, version, key, key_len, val,
	                       val_len)))
		return rc;
	rc = txn->db->be->put(txn->bt, KV__NS_DATA, key, key_len, &bv, flags,
	                      &old);
	if (rc == KV_ECORRUPT) {
		/* The stored record is too damaged to tell its seal: replace
		 * it all the same, or it could never be repaired.  Its seal
		 * stays in the digest until kv_db_seal recomputes it. */
		rc = txn->db->be->put(txn->bt, KV__NS_DATA, key, key_len, &bv,
		                      flags, NULL);
		old.existed = 0;
	}
	if (rc != KV_OK)
		return put_failed(rc, txn, key, key_len);
	kv__digest_note(txn, &old, tag);
	return KV_OK;
}

/* Validate rec against the schema governing key and store it: the given
 * bytes when validation changed nothing, else rec serialised.  old is the
 * stored record when the caller has it (*old_known), else it is loaded. */
static kv_status store_record(kv_txn *txn, const kv__schema *s,
                              const void *key, size_t key_len,
                              const void *val, size_t val_len, json_t *rec,
                              const json_t *old, int old_known,
                              unsigned int flags)
{
	char shown[KV__SHOW_SIZE];
	json_t *loaded = NULL;
	char *text = NULL;
	int changed = !val;
	kv_status rc;

	kv__show(shown, sizeof shown, key, key_len);
	if (s) {
		if (!old_known && (rc = load_old(&loaded, txn, key, key_len)))
			return rc;
		if (!old_known)
			old = loaded;
		if (old && (flags & KV_PUT_NOOVERWRITE)) {
			json_decref(loaded);
			return kv__error(KV_EXISTS, "put: key '%s' already exists "
			                 "in %s", shown, txn->db->path);
		}
		rc = kv__validate(s, rec, old, shown, &changed);
		json_decref(loaded);
		if (rc)
			return rc;
	}
	if (changed) {
		if (!(text = kv__json_dump(rec)))
			return kv__error(KV_ENOMEM, "put: cannot serialise record "
			                 "'%s'", shown);
		val = text;
		val_len = strlen(text);
	}
	rc = kv__put_sealed(txn, key, key_len, val, val_len, s ? s->version : 0,
	                flags);
	free(text);
	return rc;
}

/* A put under schema s: the value is parsed and validated as a record. */
static kv_status put_record(kv_txn *txn, const kv__schema *s,
                            const void *key, size_t key_len, const void *val,
                            size_t val_len, unsigned int flags)
{
	char shown[KV__SHOW_SIZE];
	json_t *rec = NULL;
	kv_status rc;

	rc = kv__json_object(&rec, val, val_len, "put",
	                     kv__show(shown, sizeof shown, key, key_len));
	if (rc == KV_OK)
		rc = store_record(txn, s, key, key_len, val, val_len, rec, NULL, 0,
		                  flags);
	json_decref(rec);
	return rc;
}

kv_status kv__put_checked(kv_txn *txn, const void *key, size_t key_len,
                          const void *val, size_t val_len,
                          unsigned int flags)
{
	const kv__schema *s;
	kv_status rc;

	if ((rc = kv__schema_for_key(&s, txn, key, key_len)))
		return rc;
	if (!s)
		return kv__put_sealed(txn, key, key_len, val, val_len, 0, flags);
	return put_record(txn, s, key, key_len, val, val_len, flags);
}

/* Run a record call in txn, or in a transaction of its own (*own set). */
static kv_status use_txn(kv_txn **t, kv_txn **own, kv_db *db, kv_txn *txn,
                         int write, const char *fn)
{
	kv_status rc;

	*own = NULL;
	if (!txn) {
		if ((rc = kv__txn_begin(own, db, write)))
			return rc;
		*t = *own;
		return KV_OK;
	}
	if (txn->magic != KV__TXN_MAGIC || txn->db != db)
		return kv__error(KV_EINVAL, "%s: txn is not an open transaction "
		                 "of this store", fn);
	if (write && !txn->write)
		return kv__error(KV_EREADONLY, "%s: read-only transaction on %s",
		                 fn, db->path);
	*t = txn;
	return KV_OK;
}

/* End a transaction use_txn began: commit a successful write. */
static kv_status end_txn(kv_txn *own, int write, kv_status rc)
{
	if (!own)
		return rc;
	if (rc == KV_OK && write)
		return kv__txn_commit(own);
	kv__txn_end(own);
	return rc;
}

static kv_status check_name(const char *s, const char *what, const char *fn)
{
	if (!s)
		return kv__error(KV_EINVAL, "%s: %s is NULL", fn, what);
	if (!*s)
		return kv__error(KV_EINVAL, "%s: empty %s", fn, what);
	return KV_OK;
}

kv_status kv_record_put(kv_db *db, kv_txn *txn, const char *key,
                        const char *json)
{
	kv_txn *t = NULL, *own;
	const kv__schema *s;
	json_t *rec = NULL;
	kv_status rc;

	KV__ENTER(db, "kv_record_put");
	if ((rc = use_txn(&t, &own, db, txn, 1, "kv_record_put")))
		return rc;
	if (!(rc = check_name(key, "key", "kv_record_put")) &&
	    !(rc = check_name(json, "json", "kv_record_put")) &&
	    !(rc = kv__json_object(&rec, json, strlen(json), "put", key)) &&
	    !(rc = kv__schema_for_key(&s, t, key, strlen(key))))
		rc = store_record(t, s, key, strlen(key), NULL, 0, rec, NULL, 0, 0);
	json_decref(rec);
	return end_txn(own, 1, rc);
}

/* The stored value at key, BORROWED from t, with a message when absent. */
static kv_status get_value(kv__bval *out, kv_txn *t, const char *key)
{
	char shown[KV__SHOW_SIZE];
	kv_status rc;

	rc = kv__get_checked(out, t, key, strlen(key));
	if (rc == KV_OK)
		return KV_OK;
	kv__show(shown, sizeof shown, key, strlen(key));
	if (rc == KV_NOTFOUND)
		return kv__error(rc, "record '%s' not found in %s", shown,
		                 t->db->path);
	if (rc)
		return kv__wrap(rc, "get record '%s' in %s", shown, t->db->path);
	return KV_OK;
}

kv_status kv_record_get(char **out, kv_db *db, kv_txn *txn, const char *key)
{
	kv_txn *t = NULL, *own;
	kv__bval bv;
	char *copy;
	kv_status rc;

	KV__ENTER(db, "kv_record_get");
	if ((rc = use_txn(&t, &own, db, txn, 0, "kv_record_get")))
		return rc;
	if (!out)
		rc = kv__error(KV_EINVAL, "kv_record_get: out is NULL");
	if (!rc)
		rc = check_name(key, "key", "kv_record_get");
	if (!rc)
		rc = get_value(&bv, t, key);
	if (!rc) {
		if (!(copy = malloc(bv.val_len + 1))) {
			rc = kv__error(KV_ENOMEM, "out of memory");
		} else {
			memcpy(copy, bv.val, bv.val_len);
			copy[bv.val_len] = '\0';
			*out = copy;
		}
	}
	return end_txn(own, 0, rc);
}

/* Parse the record stored at key; *out OWNED. */
static kv_status load_record(json_t **out, kv_txn *t, const char *key)
{
	kv__bval bv;
	kv_status rc;

	if ((rc = get_value(&bv, t, key)))
		return rc;
	return kv__json_object(out, bv.val, bv.val_len, "stored record", key);
}

kv_status kv_record_field(char **out, kv_db *db, kv_txn *txn,
                          const char *key, const char *field)
{
	kv_txn *t = NULL, *own;
	json_t *rec = NULL, *v;
	kv_status rc;

	KV__ENTER(db, "kv_record_field");
	if ((rc = use_txn(&t, &own, db, txn, 0, "kv_record_field")))
		return rc;
	if (!out)
		rc = kv__error(KV_EINVAL, "kv_record_field: out is NULL");
	if (!rc && !(rc = check_name(key, "key", "kv_record_field")) &&
	    !(rc = check_name(field, "field", "kv_record_field")))
		rc = load_record(&rec, t, key);
	if (!rc && !(v = json_object_get(rec, field)))
		rc = kv__error(KV_NOTFOUND, "record '%s' has no field '%s'", key,
		               field);
	if (!rc && !(*out = kv__json_dump(v)))
		rc = kv__error(KV_ENOMEM, "out of memory");
	json_decref(rec);
	return end_txn(own, 0, rc);
}

/* rec with the fields of set replaced and those named in remove gone. */
static kv_status apply_changes(json_t *rec, const char *key,
                               const char *set_json, const char *const *remove)
{
	json_t *set = NULL;
	kv_status rc = KV_OK;

	if (set_json &&
	    (rc = kv__json_object(&set, set_json, strlen(set_json), "changes",
	                          key)))
		return rc;
	if (set && json_object_update(rec, set) != 0)
		rc = kv__error(KV_ENOMEM, "out of memory");
	json_decref(set);
	for (; !rc && remove && *remove; remove++)
		if (json_object_del(rec, *remove) != 0)
			rc = kv__error(KV_NOTFOUND, "record '%s' has no field '%s' "
			               "to remove", key, *remove);
	return rc;
}

kv_status kv_record_replace(kv_db *db, kv_txn *txn, const char *key,
                            const char *set_json, const char *const *remove)
{
	kv_txn *t = NULL, *own;
	const kv__schema *s;
	json_t *old = NULL, *rec = NULL;
	kv_status rc;

	/* rec is a shallow copy of old: the changes and validation only set
	 * and delete rec's own fields, never change a value in place, so the
	 * values they share stay as stored for the read-only checks. */
	KV__ENTER(db, "kv_record_replace");
	if ((rc = use_txn(&t, &own, db, txn, 1, "kv_record_replace")))
		return rc;
	if (!(rc = check_name(key, "key", "kv_record_replace")) &&
	    !(rc = load_record(&old, t, key)) &&
	    !(rc = (rec = json_copy(old)) ? KV_OK
	                : kv__error(KV_ENOMEM, "out of memory")) &&
	    !(rc = apply_changes(rec, key, set_json, remove)) &&
	    !(rc = kv__schema_for_key(&s, t, key, strlen(key))))
		rc = store_record(t, s, key, strlen(key), NULL, 0, rec, old, 1, 0);
	json_decref(old);
	json_decref(rec);
	return end_txn(own, 1, rc);
}

kv_status kv_record_version(unsigned int *out, kv_db *db, kv_txn *txn,
                            const void *key, size_t key_len)
{
	char shown[KV__SHOW_SIZE];
	kv_txn *t = NULL, *own;
	kv__bval bv;
	kv_status rc;

	KV__ENTER(db, "kv_record_version");
	if ((rc = use_txn(&t, &own, db, txn, 0, "kv_record_version")))
		return rc;
	if (!out)
		rc = kv__error(KV_EINVAL, "kv_record_version: out is NULL");
	if (!rc)
		rc = kv__check_key(key, key_len, "kv_record_version");
	if (!rc && (rc = kv__get_checked(&bv, t, key, key_len)) == KV_NOTFOUND)
		rc = kv__error(rc, "record '%s' not found in %s",
		               kv__show(shown, sizeof shown, key, key_len),
		               db->path);
	if (!rc)
		*out = kv__tag_version(bv.tag, bv.tag_len);
	return end_txn(own, 0, rc);
}

/* Version v of the schema cur (the one governing the key shown), loaded
 * into *load (OWNED) unless it is cur itself. */
static kv_status schema_version(const kv__schema **out, kv__schema **load,
                                kv_txn *t, const kv__schema *cur,
                                unsigned int v, const char *shown)
{
	kv_status rc;

	*load = NULL;
	if (!cur)
		return kv__error(KV_NOTFOUND, "kv_record_restore: no schema "
		                 "governs key '%s', so it has no version %u",
		                 shown, v);
	*out = cur;
	if (v == cur->version)
		return KV_OK;
	if (v > cur->version)
		rc = kv__error(KV_NOTFOUND, "schema '%s' has no version %u",
		               cur->name, v);
	else
		rc = kv__schema_load(load, t, cur->name, v);
	if (rc == KV_NOTFOUND)
		return kv__wrap(rc, "kv_record_restore: key '%s' cannot be "
		                "restored under schema version %u", shown, v);
	*out = *load;
	return rc;
}

/* A restore in t, arguments checked: a plain put for version 0. */
static kv_status restore(kv_txn *t, const void *key, size_t key_len,
                         const void *val, size_t val_len, unsigned int v)
{
	char shown[KV__SHOW_SIZE];
	const kv__schema *cur, *s = NULL;
	kv__schema *load = NULL;
	json_t *rec = NULL;
	kv_status rc;

	if (!v)
		return kv__put_checked(t, key, key_len, val, val_len, 0);
	kv__show(shown, sizeof shown, key, key_len);
	if (!(rc = kv__schema_for_key(&cur, t, key, key_len)) &&
	    !(rc = schema_version(&s, &load, t, cur, v, shown)) &&
	    !(rc = kv__json_object(&rec, val, val_len, "restore", shown)))
		rc = store_record(t, s, key, key_len, val, val_len, rec, NULL, 0,
		                  0);
	json_decref(rec);
	kv__schema_free(load);
	return rc;
}

kv_status kv_record_restore(kv_db *db, kv_txn *txn, const void *key,
                            size_t key_len, const void *val, size_t val_len,
                            unsigned int version)
{
	kv_txn *t = NULL, *own;
	kv_status rc;

	KV__ENTER(db, "kv_record_restore");
	if ((rc = use_txn(&t, &own, db, txn, 1, "kv_record_restore")))
		return rc;
	if (!(rc = kv__check_key(key, key_len, "kv_record_restore"))) {
		if (!val && val_len)
			rc = kv__error(KV_EINVAL, "kv_record_restore: val is NULL");
		else
			rc = restore(t, key, key_len, val ? val : "", val_len,
			             version);
	}
	return end_txn(own, 1, rc);
}

/* The deprecated shim: warns through the channel, then kv_record_replace. */
kv_status kv_record_del_field(kv_db *db, kv_txn *txn, const char *key,
                              const char *field)
{
	const char *remove[2];

	KV__ENTER(db, "kv_record_del_field");
	if (!field)
		return kv__error(KV_EINVAL, "kv_record_del_field: field is NULL");
	if (kv__warn(KV_WARN_DEPRECATED_API, "kv_record_del_field",
	             "kv_record_del_field is deprecated since libkv 0.2: use "
	             "kv_record_replace with the field in remove"))
		return KV_EDEPRECATED;
	remove[0] = field;
	remove[1] = NULL;
	return kv_record_replace(db, txn, key, NULL, remove);
}
