/*
 * kv/validate.c - checking a record (a jansson object) against one schema
 * version: write-once fields against the stored record, field types,
 * required and unknown fields, then deprecation warnings and defaults.
 *
 * Nothing is added to the record until every check has passed and every
 * warning was let through, so a failed write leaves the caller's record
 * as it was.  A missing field that has a default counts as present (with
 * the default) for the required and write-once checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "schemas.h"

#define MSG_SIZE 512
#define VALUE_SHOWN 60

static const char *const type_names[] = {
	"string", "int", "float", "bool", "bytes", "json"
};

/* The schema's word for the type of a JSON value, for messages. */
static const char *kind_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	default: return "null";
	}
}

/* Is s (len bytes) standard base64 with padding?  libsodium decodes it
 * strictly; the bytes themselves are not needed. */
static int is_base64(const char *s, size_t len)
{
	unsigned char small[256], *buf = small;
	size_t cap = len / 4 * 3 + 3, out_len;
	int ok;

	if (cap > sizeof small && !(buf = malloc(cap)))
		return 0;
	ok = sodium_base642bin(buf, cap, s, len, NULL, &out_len, NULL,
	                       sodium_base64_VARIANT_ORIGINAL) == 0;
	if (buf != small)
		free(buf);
	return ok;
}

static int type_ok(kv__ftype t, const json_t *v)
{
	switch (t) {
	case KV__F_STRING: return json_is_string(v);
	case KV__F_INT: return json_is_integer(v);
	case KV__F_FLOAT: return json_is_number(v);
	case KV__F_BOOL: return json_is_boolean(v);
	case KV__F_BYTES:
		return json_is_string(v) &&
		       is_base64(json_string_value(v), json_string_length(v));
	case KV__F_JSON: return 1;
	}
	return 0;
}

/* Say in msg why v does not fit field f. */
static void type_error(char *msg, size_t size, const kv__field *f,
                       const json_t *v)
{
	char fname[KV__SHOW_SIZE];

	kv__show_str(fname, f->name);
	if (f->type == KV__F_BYTES && json_is_string(v))
		snprintf(msg, size, "field '%s': expected bytes (standard "
		         "base64 with padding), got a string that is not "
		         "base64", fname);
	else
		snprintf(msg, size, "field '%s': expected %s, got %s", fname,
		         type_names[f->type], kind_of(v));
}

/* Fields rec has that s does not list: refused unless allow_unknown. */
static int check_unknown(const kv__schema *s, const json_t *rec, char *msg,
                         size_t size)
{
	/* jansson's iteration takes a non-const object; nothing is changed. */
	json_t *obj = (json_t *)rec;
	char fname[KV__SHOW_SIZE];
	const char *k;
	void *it;

	if (s->allow_unknown)
		return 0;
	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		k = json_object_iter_key(it);
		if (!kv__schema_field(s, k)) {
			snprintf(msg, size, "field '%s' is not in schema '%s' "
			         "version %u, which allows no unknown fields",
			         kv__show_str(fname, k), s->name, s->version);
			return -1;
		}
	}
	return 0;
}

/* Types, required and unknown fields; -1 with the reason in msg. */
static int check_fields(const kv__schema *s, const json_t *rec, char *msg,
                        size_t size)
{
	char fname[KV__SHOW_SIZE];
	const kv__field *f;
	const json_t *v;
	size_t i;

	if (!json_is_object(rec)) {
		snprintf(msg, size, "the record is a JSON %s, not an object",
		         kind_of(rec));
		return -1;
	}
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		v = json_object_get(rec, f->name);
		if (!v && f->required && !f->def) {
			snprintf(msg, size, "field '%s' is required but missing",
			         kv__show_str(fname, f->name));
			return -1;
		}
		if (v && !type_ok(f->type, v)) {
			type_error(msg, size, f, v);
			return -1;
		}
	}
	return check_unknown(s, rec, msg, size);
}

kv_status kv__validate_quiet(const kv__schema *s, const json_t *rec,
                             char *msg, size_t msg_size)
{
	return check_fields(s, rec, msg, msg_size) ? KV_ESCHEMA : KV_OK;
}

/* The shortest text that reads back as the number d (jansson writes 17
 * digits: 0.1 would show as 0.10000000000000001), with ".0" when it
 * looks like an integer, as jansson writes it. */
static void show_real(char *buf, size_t size, double d)
{
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(buf, size, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, size, "%.*g", p, d);
	if (!strpbrk(buf, ".eEn"))
		strncat(buf, ".0", size - strlen(buf) - 1);
}

/* Compact JSON of v for a message, cut to about 60 characters; "removed"
 * for an absent value. */
static void show_value(char *buf, size_t size, const json_t *v)
{
	char *text;

	if (!v) {
		snprintf(buf, size, "removed");
		return;
	}
	if (json_is_real(v)) {
		show_real(buf, size, json_real_value(v));
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	if (!text)
		snprintf(buf, size, "(out of memory)");
	else if (strlen(text) > VALUE_SHOWN)
		snprintf(buf, size, "%.*s...", VALUE_SHOWN - 3, text);
	else
		snprintf(buf, size, "%s", text);
	free(text);
}

/* Do the stored and the new value of f count as the same?  jansson tells
 * 1 from 1.0; a float field does not. */
static int same_value(const kv__field *f, const json_t *old, const json_t *v)
{
	if (json_equal(old, v))
		return 1;
	return f->type == KV__F_FLOAT && json_is_number(old) &&
	       json_is_number(v) && json_number_value(old) == json_number_value(v);
}

/* Write-once fields set in old must keep their value in rec. */
static kv_status check_readonly(const kv__schema *s, const json_t *rec,
                                const json_t *old, const char *key_shown)
{
	char fname[KV__SHOW_SIZE], was[VALUE_SHOWN + 8], now[VALUE_SHOWN + 8];
	const json_t *o, *v;
	const kv__field *f;
	size_t i;

	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (!f->readonly || !(o = json_object_get(old, f->name)))
			continue;
		if (!(v = json_object_get(rec, f->name)))
			v = f->def;
		if (v && same_value(f, o, v))
			continue;
		show_value(was, sizeof was, o);
		show_value(now, sizeof now, v);
		return kv__error(KV_EREADONLY, "put key '%s': write-once field "
		                 "'%s' cannot change: old %s, new %s", key_shown,
		                 kv__show_str(fname, f->name), was, now);
	}
	return KV_OK;
}

/* Warn about deprecated field f; "once" counts "<schema>.<field>" as one
 * warning whatever the key. */
static kv_status warn_field(const kv__schema *s, const kv__field *f,
                            const char *key_shown)
{
	char fname[KV__SHOW_SIZE], *once;
	kv_status rc;

	once = malloc(strlen(s->name) + strlen(f->name) + 2);
	if (!once)
		return kv__error(KV_ENOMEM, "out of memory");
	sprintf(once, "%s.%s", s->name, f->name);
	rc = kv__warn(KV_WARN_DEPRECATED_FIELD, once, "schema %s field '%s' "
	              "is deprecated: %s (key '%s')", s->name,
	              kv__show_str(fname, f->name), f->deprecated, key_shown);
	free(once);
	return rc;
}

/* Warn about each deprecated field this write sets or changes: not one
 * carried over unchanged from the stored record, nor a defaulted one. */
static kv_status warn_deprecated(const kv__schema *s, const json_t *rec,
                                 const json_t *old, const char *key_shown)
{
	const kv__field *f;
	const json_t *v, *o;
	kv_status rc;
	size_t i;

	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (!f->deprecated || !(v = json_object_get(rec, f->name)))
			continue;
		o = old ? json_object_get(old, f->name) : NULL;
		if (o && same_value(f, o, v))
			continue;
		if ((rc = warn_field(s, f, key_shown)))
			return rc;
	}
	return KV_OK;
}

static kv_status add_defaults(const kv__schema *s, json_t *rec, int *changed)
{
	const kv__field *f;
	json_t *copy;
	size_t i;

	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (!f->def || json_object_get(rec, f->name))
			continue;
		copy = json_deep_copy(f->def);
		if (!copy || json_object_set_new(rec, f->name, copy))
			return kv__error(KV_ENOMEM, "out of memory");
		if (changed)
			*changed = 1;
	}
	return KV_OK;
}

kv_status kv__validate(const kv__schema *s, json_t *rec, const json_t *old,
                       const char *key_shown, int *changed)
{
	char msg[MSG_SIZE];
	kv_status rc;

	if (!key_shown)
		key_shown = "?";
	/* Write-once first: changing or removing a set field is refused as
	 * such, even when the new value is also of the wrong type. */
	if (old && json_is_object(rec) &&
	    (rc = check_readonly(s, rec, old, key_shown)))
		return rc;
	if (check_fields(s, rec, msg, sizeof msg))
		return kv__error(KV_ESCHEMA, "put key '%s': %s (schema '%s' "
		                 "version %u)", key_shown, msg, s->name,
		                 s->version);
	if ((rc = warn_deprecated(s, rec, old, key_shown)))
		return rc;
	return add_defaults(s, rec, changed);
}
