/*
 * kv/schema_doc.c - schema documents: parsing one into a kv__schema,
 * checking every part with a message that names it, and normalising it
 * (keys in a fixed order, fields sorted, false flags left out) so that
 * equal schemas are stored as the same bytes.  Also JSON objects in
 * general: kv__json_object and kv__json_parse_object.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemas.h"

#define NAME_MAX_BYTES 200
#define MSG_SIZE 512

static const char *const type_names[] = {
	"string", "int", "float", "bool", "bytes", "json"
};
#define NTYPES (sizeof type_names / sizeof type_names[0])

static const char *const doc_keys[] = {
	"name", "version", "prefix", "allow_unknown", "fields", NULL
};
static const char *const field_keys[] = {
	"type", "required", "readonly", "deprecated", "default", NULL
};


static kv_status no_memory(void)
{
	return kv__error(KV_ENOMEM, "out of memory");
}

static int name_cmp(const void *name, const void *field)
{
	return strcmp(name, ((const kv__field *)field)->name);
}

const kv__field *kv__schema_field(const kv__schema *s, const char *name)
{
	return bsearch(name, s->fields, s->nfields, sizeof *s->fields,
	               name_cmp);
}

const char *kv__ftype_name(kv__ftype t)
{
	return (size_t)t < NTYPES ? type_names[t] : "?";
}

void kv__schema_free(kv__schema *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nfields; i++) {
		free(s->fields[i].name);
		free(s->fields[i].deprecated);
		json_decref(s->fields[i].def);
	}
	free(s->fields);
	free(s->name);
	free(s->prefix);
	json_decref(s->doc);
	free(s);
}

/* The first key of obj that allowed does not list, or NULL. */
static const char *unknown_key(json_t *obj, const char *const *allowed)
{
	const char *k;
	void *it;
	size_t i;

	for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		k = json_object_iter_key(it);
		for (i = 0; allowed[i] && strcmp(k, allowed[i]); i++)
			;
		if (!allowed[i])
			return k;
	}
	return NULL;
}

/* Why name (len bytes) cannot name a schema, or NULL when it can. */
static const char *bad_name(const char *name, size_t len)
{
	size_t i;

	if (!len)
		return "is empty";
	if (len > NAME_MAX_BYTES)
		return "is longer than 200 bytes";
	for (i = 0; i < len; i++) {
		if (name[i] == '/')
			return "contains '/'";
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return "contains a control character";
	}
	return NULL;
}

static kv_status parse_name(kv__schema *s, json_t *doc)
{
	json_t *v = json_object_get(doc, "name");
	char shown[KV__SHOW_SIZE];
	const char *why;

	if (!json_is_string(v))
		return kv__error(KV_ESCHEMA, "schema document: \"name\" %s",
		                 v ? "must be a string" : "is missing");
	why = bad_name(json_string_value(v), json_string_length(v));
	if (why)
		return kv__error(KV_ESCHEMA, "schema name '%s' %s",
		                 kv__show_str(shown, json_string_value(v)), why);
	if (!(s->name = strdup(json_string_value(v))))
		return no_memory();
	return KV_OK;
}

/* Version, prefix, allow_unknown and the document's own keys. */
static kv_status parse_header(kv__schema *s, json_t *doc)
{
	char shown[KV__SHOW_SIZE];
	const char *k = unknown_key(doc, doc_keys);
	json_t *v;

	if (k)
		return kv__error(KV_ESCHEMA, "schema '%s': unknown key '%s' "
		                 "(expected name, version, prefix, allow_unknown, "
		                 "fields)", s->name, kv__show_str(shown, k));
	v = json_object_get(doc, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > (json_int_t)UINT_MAX)
		return kv__error(KV_ESCHEMA, "schema '%s': \"version\" must be "
		                 "a positive integer (at most %u)", s->name,
		                 UINT_MAX);
	s->version = (unsigned int)json_integer_value(v);
	v = json_object_get(doc, "prefix");
	if (!json_is_string(v) || !json_string_length(v))
		return kv__error(KV_ESCHEMA, "schema '%s': \"prefix\" must be a "
		                 "non-empty string such as \"runs/\"", s->name);
	if (!(s->prefix = strdup(json_string_value(v))))
		return no_memory();
	s->prefix_len = strlen(s->prefix);
	v = json_object_get(doc, "allow_unknown");
	if (v && !json_is_boolean(v))
		return kv__error(KV_ESCHEMA, "schema '%s': \"allow_unknown\" "
		                 "must be true or false", s->name);
	s->allow_unknown = !v || json_is_true(v);
	if (!json_is_object(json_object_get(doc, "fields")))
		return kv__error(KV_ESCHEMA, "schema '%s': \"fields\" must be an "
		                 "object of field specs, such as {\"lr\": "
		                 "{\"type\": \"float\"}}", s->name);
	return KV_OK;
}

static kv_status parse_type(kv__field *f, const kv__schema *s,
                            const char *fname, json_t *v)
{
	size_t i;

	for (i = 0; json_is_string(v) && i < NTYPES; i++) {
		if (!strcmp(json_string_value(v), type_names[i])) {
			f->type = (kv__ftype)i;
			return KV_OK;
		}
	}
	if (!v)
		return kv__error(KV_ESCHEMA, "schema '%s': field '%s': \"type\" "
		                 "is missing", s->name, fname);
	if (json_is_string(v)) {
		char shown[KV__SHOW_SIZE];
		return kv__error(KV_ESCHEMA, "schema '%s': field '%s': unknown "
		                 "type '%s' (expected string, int, float, bool, "
		                 "bytes or json)", s->name, fname,
		                 kv__show_str(shown, json_string_value(v)));
	}
	return kv__error(KV_ESCHEMA, "schema '%s': field '%s': \"type\" must "
	                 "be a string: string, int, float, bool, bytes or "
	                 "json", s->name, fname);
}

static kv_status parse_flag(int *out, const kv__schema *s, const char *fname,
                            json_t *spec, const char *key)
{
	json_t *v = json_object_get(spec, key);

	if (v && !json_is_boolean(v))
		return kv__error(KV_ESCHEMA, "schema '%s': field '%s': \"%s\" "
		                 "must be true or false", s->name, fname, key);
	*out = json_is_true(v);
	return KV_OK;
}

static kv_status parse_deprecated(kv__field *f, const kv__schema *s,
                                  const char *fname, json_t *v)
{
	if (!v)
		return KV_OK;
	if (!json_is_string(v) || !json_string_length(v))
		return kv__error(KV_ESCHEMA, "schema '%s': field '%s': "
		                 "\"deprecated\" must be a non-empty message such "
		                 "as \"since 2: use val_acc\"", s->name, fname);
	if (!(f->deprecated = strdup(json_string_value(v))))
		return no_memory();
	return KV_OK;
}

/* A default must itself pass as the field: validate {name: def} under a
 * schema of that one field. */
static kv_status parse_default(kv__field *f, const kv__schema *s,
                               const char *fname, json_t *def)
{
	kv__schema one;
	kv__field only = *f;
	char msg[MSG_SIZE];
	json_t *rec;
	kv_status rc;

	if (!def)
		return KV_OK;
	memset(&one, 0, sizeof one);
	only.def = NULL;
	one.name = s->name;
	one.version = s->version;
	one.allow_unknown = 1;
	one.fields = &only;
	one.nfields = 1;
	rec = json_object();
	if (!rec || json_object_set(rec, f->name, def)) {
		json_decref(rec);
		return no_memory();
	}
	rc = kv__validate_quiet(&one, rec, msg, sizeof msg);
	json_decref(rec);
	if (rc)
		return kv__error(KV_ESCHEMA, "schema '%s': field '%s': bad "
		                 "\"default\": %s", s->name, fname, msg);
	f->def = json_incref(def);
	return KV_OK;
}

static kv_status parse_field(kv__field *f, const kv__schema *s,
                             const char *name, json_t *spec)
{
	char fname[KV__SHOW_SIZE], shown[KV__SHOW_SIZE];
	const char *k;
	kv_status rc;

	kv__show_str(fname, name);
	if (!*name)
		return kv__error(KV_ESCHEMA, "schema '%s': empty field name",
		                 s->name);
	if (*name == '$')
		return kv__error(KV_ESCHEMA, "schema '%s': field '%s': names "
		                 "starting with '$' are reserved", s->name, fname);
	if (!(f->name = strdup(name)))
		return no_memory();
	if (!json_is_object(spec))
		return kv__error(KV_ESCHEMA, "schema '%s': field '%s': the spec "
		                 "must be an object such as {\"type\": "
		                 "\"string\"}", s->name, fname);
	if ((k = unknown_key(spec, field_keys)))
		return kv__error(KV_ESCHEMA, "schema '%s': field '%s': unknown "
		                 "key '%s' (expected type, required, readonly, "
		                 "deprecated, default)", s->name, fname,
		                 kv__show_str(shown, k));
	if ((rc = parse_type(f, s, fname, json_object_get(spec, "type"))) ||
	    (rc = parse_flag(&f->required, s, fname, spec, "required")) ||
	    (rc = parse_flag(&f->readonly, s, fname, spec, "readonly")) ||
	    (rc = parse_deprecated(f, s, fname,
	                           json_object_get(spec, "deprecated"))))
		return rc;
	return parse_default(f, s, fname, json_object_get(spec, "default"));
}

static int field_cmp(const void *a, const void *b)
{
	return strcmp(((const kv__field *)a)->name,
	              ((const kv__field *)b)->name);
}

static kv_status parse_fields(kv__schema *s, json_t *fields)
{
	size_t n = json_object_size(fields);
	kv_status rc;
	void *it;

	if (!(s->fields = calloc(n ? n : 1, sizeof *s->fields)))
		return no_memory();
	for (it = json_object_iter(fields); it;
	     it = json_object_iter_next(fields, it)) {
		/* Counted first, so kv__schema_free frees a half-parsed one. */
		kv__field *f = &s->fields[s->nfields++];
		rc = parse_field(f, s, json_object_iter_key(it),
		                 json_object_iter_value(it));
		if (rc)
			return rc;
	}
	qsort(s->fields, s->nfields, sizeof *s->fields, field_cmp);
	return KV_OK;
}

/* Build s->doc, the normalised document, from the parsed schema. */
static kv_status normalise(kv__schema *s)
{
	json_t *fields = json_object(), *spec;
	const kv__field *f;
	size_t i;

	if (!fields)
		return no_memory();
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		spec = json_pack("{s:s, s:o*, s:o*, s:s*, s:O*}",
		                 "type", type_names[f->type],
		                 "required", f->required ? json_true() : NULL,
		                 "readonly", f->readonly ? json_true() : NULL,
		                 "deprecated", f->deprecated, "default", f->def);
		if (!spec || json_object_set_new(fields, f->name, spec)) {
			json_decref(fields);
			return no_memory();
		}
	}
	s->doc = json_pack("{s:s, s:I, s:s, s:b, s:o}", "name", s->name,
	                   "version", (json_int_t)s->version, "prefix",
	                   s->prefix, "allow_unknown", s->allow_unknown,
	                   "fields", fields);
	return s->doc ? KV_OK : no_memory();
}

/* Parse a schema document (already known to be an object).  KV_ESCHEMA
 * with a message naming the schema and field on a malformed one. */
kv_status kv__schema_parse(kv__schema **out, json_t *doc)
{
	kv__schema *s = calloc(1, sizeof *s);
	kv_status rc;

	if (!s)
		return no_memory();
	if ((rc = parse_name(s, doc)) || (rc = parse_header(s, doc)) ||
	    (rc = parse_fields(s, json_object_get(doc, "fields"))) ||
	    (rc = normalise(s))) {
		kv__schema_free(s);
		return rc;
	}
	*out = s;
	return KV_OK;
}

/* How a JSON value that is not an object is named in a message. */
static const char *kind_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	default: return "an object";
	}
}

/* Parse text as a JSON object; on failure say why in msg and return -1.
 * Duplicate keys are refused: readers would disagree on their value. */
int kv__json_parse_object(json_t **out, const void *text, size_t len,
                          char *msg, size_t size)
{
	json_error_t e;
	json_t *v;

	v = json_loadb(text ? text : "", len,
	               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	if (!v) {
		snprintf(msg, size, "not valid JSON: %s (line %d, column %d)",
		         e.text, e.line, e.column);
		return -1;
	}
	if (!json_is_object(v)) {
		snprintf(msg, size, "%s, not a JSON object", kind_of(v));
		json_decref(v);
		return -1;
	}
	*out = v;
	return 0;
}

kv_status kv__json_object(json_t **out, const void *text, size_t len,
                          const char *what, const char *key_shown)
{
	char msg[MSG_SIZE];

	if (!kv__json_parse_object(out, text, len, msg, sizeof msg))
		return KV_OK;
	if (key_shown)
		return kv__error(KV_ESCHEMA, "%s key '%s': the value is %s",
		                 what, key_shown, msg);
	return kv__error(KV_ESCHEMA, "%s is %s", what, msg);
}
