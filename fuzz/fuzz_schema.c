/*
 * fuzz/fuzz_schema.c - arbitrary bytes as schema documents and records,
 * through define, validate, put and partial update.
 *
 * The input is parts separated by a line "%%".  The first part is a schema
 * document for kv_schema_define.  Each later part is one step: an op
 * character and a key on its first line, a body after it:
 *
 *   +KEY / JSON          kv_record_put
 *   ~KEY / SET / NAME..  kv_record_replace (SET may be empty: no set)
 *   -KEY / NAME          kv_record_del_field
 *   ?KEY / NAME          kv_record_field
 *   =KEY / BYTES         kv_db_put of raw bytes (validated all the same)
 *   !    / DOCUMENT      kv_schema_define again (evolution, or another)
 *   #                    kv_schema_check and kv_schema_list
 *
 * Promises checked: every status is one the headers name; a failed write
 * leaves the record as it was, byte for byte; a stored record is a JSON
 * object holding the fields written; every record written through libkv
 * passes kv_schema_check (unless a schema was defined over records
 * written before it, which define does not check); every schema document read back is JSON; and at
 * the end kv_db_verify finds every record sealed and the digest right.
 * The store is LMDB or SQLite, by the input's length, made afresh per
 * input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"

#define MAX_STEPS 32
#define MAX_REMOVE 4

static kv_db *db;
/* Records were written, then a schema was defined: define does not check
 * existing records, so kv_schema_check may then find some that fail. */
static int wrote, late_define;

/* The record at key as an owned string, or NULL when absent. */
static char *snapshot(const char *key)
{
	char *out = NULL;
	kv_status st = kv_record_get(&out, db, NULL, key);

	fz_expect(st, "record_get", 2, KV_NOTFOUND, KV_EINVAL);
	return st == KV_OK ? out : NULL;
}

static void same_or_fail(const char *before, const char *key,
                         const char *op, kv_status st)
{
	char *after = snapshot(key);

	if ((before == NULL) != (after == NULL) ||
	    (before != NULL && strcmp(before, after) != 0))
		fz_fail("%s on \"%s\" failed with %s but changed the record",
		        op, key, kv_strerror(st));
	kv_free(after);
}

static int listed(const char *const *names, const char *name)
{
	for (; names != NULL && *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return 1;
	return 0;
}

/* The stored record must be an object holding every field of fields
 * (a JSON object text, may be NULL) and none of gone.  A field both set
 * and removed in one replace may end either way. */
static void holds(const char *key, const char *fields,
                  const char *const *gone)
{
	char *text = snapshot(key);
	json_t *rec, *in, *v;
	const char *name;
	const char *const *g;

	if (text == NULL)
		fz_fail("record \"%s\" missing after a successful write", key);
	rec = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!json_is_object(rec))
		fz_fail("record \"%s\" is not a JSON object: %s", key, text);
	in = fields ? json_loads(fields, JSON_DECODE_ANY, NULL) : NULL;
	for (g = gone; g != NULL && *g != NULL; g++)
		if (json_object_get(rec, *g) != NULL &&
		    json_object_get(in, *g) == NULL)
			fz_fail("record \"%s\" still has removed field \"%s\"",
			        key, *g);
	json_object_foreach(in, name, v)
		if (json_object_get(rec, name) == NULL && !listed(gone, name))
			fz_fail("record \"%s\" lacks written field \"%s\"", key,
			        name);
	json_decref(in);
	json_decref(rec);
	kv_free(text);
}

/* Run one write op and check the all-or-nothing promise. */
static void write_step(char op, const char *key, char *body)
{
	const char *remove[MAX_REMOVE + 1] = { NULL };
	char *before = snapshot(key), *set = body, *nl;
	kv_status st;
	int n = 0;

	switch (op) {
	case '+':
		st = kv_record_put(db, NULL, key, body);
		break;
	case '=':
		st = kv_db_put(db, key, strlen(key), body, strlen(body), 0);
		break;
	case '-': /* the deprecated one-field call: still in the API */
		remove[0] = body;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		st = kv_record_del_field(db, NULL, key, body);
#pragma GCC diagnostic pop
		break;
	default: /* '~' */
		for (nl = strchr(body, '\n'); nl && n < MAX_REMOVE;
		     nl = strchr(nl + 1, '\n')) {
			*nl = '\0';
			remove[n++] = nl + 1;
		}
		st = kv_record_replace(db, NULL, key, *set ? set : NULL,
		                       n ? remove : NULL);
		break;
	}
	fz_expect(st, "record write", 6, KV_ESCHEMA, KV_EREADONLY,
	          KV_NOTFOUND, KV_EINVAL, KV_EDEPRECATED, KV_ETOOBIG);
	wrote |= st == KV_OK;
	if (st != KV_OK)
		same_or_fail(before, key, "record write", st);
	else if (op == '+' || op == '~')
		holds(key, op == '+' ? body : *set ? set : NULL, remove);
	kv_free(before);
}

static void field_step(const char *key, const char *name)
{
	char *out = NULL;
	json_t *v;
	kv_status st = kv_record_field(&out, db, NULL, key, name);

	fz_expect(st, "record_field", 3, KV_NOTFOUND, KV_ESCHEMA, KV_EINVAL);
	if (st != KV_OK)
		return;
	v = json_loads(out, JSON_DECODE_ANY, NULL);
	if (v == NULL)
		fz_fail("field \"%s\" of \"%s\" is not JSON: %s", name, key, out);
	json_decref(v);
	kv_free(out);
}

static int list_one(const char *name, unsigned int version,
                    const char *prefix, void *payload)
{
	char *doc = NULL;
	json_t *v;

	(void)prefix;
	(void)payload;
	fz_expect(kv_schema_get(&doc, db, name, version), "schema_get", 0);
	v = json_loads(doc, 0, NULL);
	if (!json_is_object(v))
		fz_fail("schema \"%s\" v%u reads back as no object: %s", name,
		        version, doc);
	json_decref(v);
	kv_free(doc);
	return 0;
}

static int bad_record(const char *schema, const char *key,
                      const char *message, void *payload)
{
	(void)payload;
	if (late_define)
		return 0;
	fz_fail("record \"%s\" written through libkv fails schema %s: %s", key,
	        schema, message);
}

static void check_step(void)
{
	unsigned long bad = 0;

	fz_expect(kv_schema_check(&bad, db, NULL, bad_record, NULL),
	          "schema_check", 0);
	fz_expect(kv_schema_list(db, list_one, NULL), "schema_list", 0);
}

static void define_step(const char *doc)
{
	kv_status st = kv_schema_define(db, doc);

	fz_expect(st, "schema_define", 3, KV_ESCHEMA, KV_EXISTS, KV_EINVAL);
	if (st == KV_OK && wrote)
		late_define = 1;
}

/* One part: op, key line, body. */
static void step(char *part)
{
	char op = part[0], *key = part + (op ? 1 : 0), *body;

	body = strchr(key, '\n');
	if (body != NULL)
		*body++ = '\0';
	else
		body = key + strlen(key);
	switch (op) {
	case '+': case '=': case '-': case '~':
		write_step(op, key, body);
		break;
	case '?':
		field_step(key, body);
		break;
	case '!':
		define_step(body);
		break;
	case '#':
		check_step();
		break;
	default:
		break;
	}
}

static void verify_all(void)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;

	fz_expect(kv_db_verify(&rep, db, NULL, NULL, NULL), "verify", 0);
	if (rep.corrupt != 0 || rep.unsealed != 0 || !rep.digest_ok)
		fz_fail("verify after libkv's own writes: %llu corrupt, %llu "
		        "unsealed, digest %s", (unsigned long long)rep.corrupt,
		        (unsigned long long)rep.unsealed,
		        rep.digest_ok ? "ok" : "wrong");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	char uri[600], *text, *part, *next;
	int n;

	if (size > 1 << 16)
		return 0;
	fz_setup(KV_WARNINGS_ALWAYS);
	snprintf(uri, sizeof uri, "%s:%s", size & 1 ? "lmdb" : "sqlite",
	         fz_path(0, size & 1 ? "schema.mdb" : "schema.sqlite"));
	o.flags = KV_OPEN_TRUNCATE;
	fz_expect(kv_db_open(&db, uri, &o), uri, 0);
	wrote = late_define = 0;
	text = malloc(size + 1);
	if (text == NULL)
		fz_fail("out of memory");
	memcpy(text, data, size);
	text[size] = '\0'; /* a NUL inside ends the text early: fine */
	next = strstr(text, "\n%%\n");
	if (next != NULL)
		*next = '\0';
	define_step(text);
	for (n = 0; next != NULL && n < MAX_STEPS; n++) {
		part = next + 4;
		next = strstr(part, "\n%%\n");
		if (next != NULL)
			*next = '\0';
		step(part);
	}
	check_step();
	verify_all();
	free(text);
	fz_expect(kv_db_close(db), "close", 0);
	db = NULL;
	return 0;
}
