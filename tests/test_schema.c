/*
 * tests/test_schema.c - behaviour of schemas (kv/schema.h): defining,
 * reading and listing them, malformed documents, field types, required,
 * default and unknown fields, prefixes, evolution, persistence across
 * handles, and kv_schema_check over records written before the schema.
 * Every test runs on every backend of the table in testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* expr must return want; the failure names both and db's message. */

/* A schema document: version is written as given (DOC(.., "1", ..) makes
 * it a JSON string), fields is the inside of the "fields" object. */
#define DOC(name, version, prefix, fields)                                  \
	"{\"name\":\"" name "\",\"version\":" #version ",\"prefix\":\""      \
	prefix "\",\"fields\":{" fields "}}"
/* A field spec of that type, with more of the spec in `more`. */
#define FLD(name, type, more) "\"" name "\":{\"type\":\"" type "\"" more "}"

/* The "run" schema most tests use, and version 2: adds val_acc,
 * deprecates acc. */
#define LR FLD("lr", "float", ",\"required\":true")
#define ACC FLD("acc", "float", "")
#define RUN_V1 DOC("run", 1, "runs/", LR "," ACC)
#define RUN_V2                                                              \
	DOC("run", 2, "runs/", LR "," FLD("val_acc", "float", "") ","      \
	    FLD("acc", "float", ",\"deprecated\":\"since 2: use val_acc\""))

static void define_ok(kv_db *db, const char *json)
{
	kv_status rc = kv_schema_define(db, json);

	ck_assert_msg(rc == KV_OK, "kv_schema_define(%s): %s (%s)", json,
	              kv_strerror(rc), kv_db_errmsg(db));
}

/* Autocommit put of a NUL-terminated value through the bytes API. */
static kv_status put(kv_db *db, const char *key, const char *val)
{
	return kv_db_put(db, key, strlen(key), val, strlen(val), 0);
}

/* The unsigned integer member "name" of a JSON document, -1 if absent. */
static long doc_uint(const char *doc, const char *name)
{
	char quoted[64];
	const char *p;

	snprintf(quoted, sizeof quoted, "\"%s\"", name);
	if ((p = strstr(doc, quoted)) == NULL)
		return -1;
	p += strlen(quoted);
	while (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t')
		p++;
	return (*p >= '0' && *p <= '9') ? strtol(p, NULL, 10) : -1;
}

/* kv_schema_get(name, version) must give a document of version want
 * (the current one when version is 0) that mentions has and, unless
 * lacks is NULL, does not mention lacks. */
static void expect_schema(kv_db *db, const char *name, unsigned int version,
                          long want, const char *has, const char *lacks)
{
	char *doc = NULL, shown[512];
	long v;
	int ok;

	kvt_expect_rc(db, kv_schema_get(&doc, db, name, version), KV_OK);
	snprintf(shown, sizeof shown, "%s", doc);
	v = doc_uint(doc, "version");
	ok = strstr(doc, has) != NULL &&
	     (lacks == NULL || strstr(doc, lacks) == NULL);
	kv_free(doc);
	ck_assert_msg(v == want, "schema %s version %u says version %ld, "
	              "want %ld: %s", name, version, v, want, shown);
	ck_assert_msg(ok, "schema %s version %u: want '%s' and not '%s' in %s",
	              name, version, has, lacks ? lacks : "", shown);
}

/* ---- kv_schema_list ------------------------------------------------------ */

struct listed {
	int calls;
	char names[8][32];
	unsigned int versions[8];
	char prefixes[8][32];
};

static int list_cb(const char *name, unsigned int version, const char *prefix,
                   void *payload)
{
	struct listed *l = payload;

	if (l->calls < 8) {
		snprintf(l->names[l->calls], sizeof l->names[0], "%s", name);
		snprintf(l->prefixes[l->calls], sizeof l->prefixes[0], "%s",
		         prefix);
		l->versions[l->calls] = version;
	}
	l->calls++;
	return 0;
}

static void list_all(kv_db *db, struct listed *l)
{
	memset(l, 0, sizeof *l);
	kvt_expect_rc(db, kv_schema_list(db, list_cb, l), KV_OK);
}

/* ---- kv_schema_check ----------------------------------------------------- */

struct checked {
	int calls;
	int stop;                /* return non-zero from the first call */
	char schema[8][32];
	char key[8][64];
	char message[8][512];
};

static int check_cb(const char *schema, const char *key, const char *message,
                    void *payload)
{
	struct checked *c = payload;

	if (c->calls < 8) {
		snprintf(c->schema[c->calls], sizeof c->schema[0], "%s",
		         schema);
		snprintf(c->key[c->calls], sizeof c->key[0], "%s", key);
		snprintf(c->message[c->calls], sizeof c->message[0], "%s",
		         message);
	}
	c->calls++;
	return c->stop;
}

/* kv_schema_check must have reported key under schema "run" with a
 * message that mentions needle. */
static void expect_report(const struct checked *c, const char *key,
                          const char *needle)
{
	int i;

	for (i = 0; i < c->calls && i < 8; i++)
		if (strcmp(c->key[i], key) == 0)
			break;
	ck_assert_msg(i < c->calls && i < 8, "kv_schema_check did not report "
	              "key '%s' (%d reports)", key, c->calls);
	ck_assert_msg(strcmp(c->schema[i], "run") == 0, "%s reported under "
	              "schema '%s'", key, c->schema[i]);
	ck_assert_msg(strstr(c->message[i], needle) != NULL, "report on %s "
	              "does not mention '%s': %s", key, needle, c->message[i]);
}

/* ---- define, get, list --------------------------------------------------- */

START_TEST(test_schema__define_get_list)
{
	static const char *const docs[] = {
		DOC("zeta", 1, "z/", ""), DOC("alpha", 1, "a/", ""),
		DOC("mid", 1, "m/", ""),
		DOC("mid", 2, "m/", FLD("x", "int", "")),
	};
	static const char *const names[] = { "alpha", "mid", "run", "zeta" };
	static const char *const prefixes[] = { "a/", "m/", "runs/", "z/" };
	static const unsigned int versions[] = { 1, 2, 1, 1 };
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	char *doc = NULL;
	struct listed l;
	size_t i;

	list_all(db, &l);
	ck_assert_msg(l.calls == 0, "empty store listed %d schemas", l.calls);
	define_ok(db, RUN_V1);
	expect_schema(db, "run", 0, 1, "\"runs/\"", NULL);
	expect_schema(db, "run", 1, 1, "\"lr\"", NULL);
	kvt_expect_rc(db, kv_schema_get(&doc, db, "run", 2), KV_NOTFOUND);
	kvt_expect_rc(db, kv_schema_get(&doc, db, "nope", 0), KV_NOTFOUND);
	kvt_expect_msg(db, "get of a missing schema", "nope", NULL);
	ck_assert_msg(doc == NULL, "a failed kv_schema_get wrote its output");
	for (i = 0; i < NELEM(docs); i++)
		define_ok(db, docs[i]);
	list_all(db, &l);
	ck_assert_msg(l.calls == 4, "listed %d schemas, want 4", l.calls);
	for (i = 0; i < 4; i++) {
		ck_assert_msg(strcmp(l.names[i], names[i]) == 0,
		              "schema %zu listed is '%s', want '%s'", i,
		              l.names[i], names[i]);
		ck_assert_msg(strcmp(l.prefixes[i], prefixes[i]) == 0,
		              "schema %s listed with prefix '%s', want '%s'",
		              names[i], l.prefixes[i], prefixes[i]);
		ck_assert_msg(l.versions[i] == versions[i],
		              "schema %s listed at version %u, want %u",
		              names[i], l.versions[i], versions[i]);
	}
	kvt_close(db);
}
END_TEST

START_TEST(test_schema__malformed_documents)
{
	static const struct {
		const char *doc;
		const char *needle; /* the message must mention it */
	} bad[] = {
		{ "{\"name\":\"run\",", "JSON" },
		{ "[1,2]", "object" },
		{ "{\"version\":1,\"prefix\":\"r/\",\"fields\":{}}", "name" },
		{ DOC("run", 0, "r/", ""), "version" },
		{ DOC("run", "1", "r/", ""), "version" },
		{ DOC("run", 1.5, "r/", ""), "version" },
		{ DOC("run", -2, "r/", ""), "version" },
		{ "{\"name\":\"run\",\"version\":1,\"fields\":{}}", "prefix" },
		{ DOC("run", 1, "r/", FLD("lr", "decimal", "")), "decimal" },
		{ DOC("run", 1, "r/", FLD("$id", "string", "")), "$id" },
		{ DOC("run", 1, "r/",
		      FLD("epochs", "int", ",\"default\":\"ten\"")), "epochs" },
		{ DOC("run", 1, "r/", FLD("epochs", "int", ",\"default\":2.5")),
		  "default" },
		{ DOC("run", 1, "r/", FLD("lr", "float", ",\"requird\":true")),
		  "requird" },
	};
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	struct listed l;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		kv_status rc = kv_schema_define(db, bad[i].doc);
		ck_assert_msg(rc == KV_ESCHEMA, "document %zu (%s): got %s, "
		              "want KV_ESCHEMA", i, bad[i].doc,
		              kv_strerror(rc));
		kvt_expect_msg(db, bad[i].doc, bad[i].needle, NULL);
	}
	list_all(db, &l);
	ck_assert_msg(l.calls == 0, "a refused document left %d schemas",
	              l.calls);
	kvt_close(db);
}
END_TEST

/* ---- field types, required, default, unknown ----------------------------- */

#define TYPED                                                               \
	DOC("typed", 1, "t/", FLD("label", "string", "") ","               \
	    FLD("epochs", "int", "") "," FLD("ratio", "float", "") ","      \
	    FLD("flag", "bool", "") "," FLD("blob", "bytes", "") ","        \
	    FLD("extra", "json", ""))

START_TEST(test_schema__field_types)
{
	static const struct {
		const char *val;
		kv_status want;
		const char *field, *type; /* named by the message on failure */
	} cases[] = {
#define GOOD(v) { v, KV_OK, NULL, NULL }
#define BAD(v, field, type) { v, KV_ESCHEMA, field, type }
		GOOD("{\"label\":\"cifar\"}"),
		BAD("{\"label\":3}", "label", "string"),
		GOOD("{\"epochs\":3}"),
		BAD("{\"epochs\":3.5}", "epochs", "int"),
		BAD("{\"epochs\":\"3\"}", "epochs", "int"),
		GOOD("{\"ratio\":3}"), GOOD("{\"ratio\":3.5}"),
		BAD("{\"ratio\":\"x\"}", "ratio", "float"),
		GOOD("{\"flag\":true}"), GOOD("{\"flag\":false}"),
		BAD("{\"flag\":1}", "flag", "bool"),
		GOOD("{\"blob\":\"aGVsbG8=\"}"), GOOD("{\"blob\":\"\"}"),
		BAD("{\"blob\":\"not base64!\"}", "blob", "bytes"),
		BAD("{\"blob\":42}", "blob", "bytes"),
		GOOD("{\"extra\":1}"), GOOD("{\"extra\":\"x\"}"),
		GOOD("{\"extra\":[1,{\"a\":null}]}"), GOOD("{\"extra\":null}"),
		GOOD("{\"extra\":{\"deep\":{\"er\":true}}}"),
#undef GOOD
#undef BAD
	};
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	char key[32];
	size_t i;

	define_ok(db, TYPED);
	for (i = 0; i < NELEM(cases); i++) {
		kv_status rc;

		snprintf(key, sizeof key, "t/%zu", i);
		rc = put(db, key, cases[i].val);
		ck_assert_msg(rc == cases[i].want, "put %s: got %s, want %s "
		              "(message: %s)", cases[i].val, kv_strerror(rc),
		              kv_strerror(cases[i].want), kv_db_errmsg(db));
		if (rc == KV_OK) {
			kvt_expect_str(db, key, cases[i].val);
			continue;
		}
		kvt_expect_msg(db, cases[i].val, cases[i].field, cases[i].type,
		           NULL);
		kvt_expect_absent(db, key);
	}
	kvt_close(db);
}
END_TEST

#define STRICT                                                              \
	"{\"name\":\"ds\",\"version\":1,\"prefix\":\"ds/\","                \
	"\"allow_unknown\":false,\"fields\":{"                              \
	FLD("dataset", "string", ",\"required\":true") ","                 \
	FLD("notes", "string", ",\"default\":\"none\"") ","                \
	FLD("split", "json", ",\"default\":[0.8,0.2]") "}}"

START_TEST(test_schema__required_default_unknown)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	define_ok(db, STRICT);
	kvt_expect_rc(db, put(db, "ds/a", "{\"notes\":\"x\"}"), KV_ESCHEMA);
	kvt_expect_msg(db, "missing required field", "dataset", NULL);
	kvt_expect_absent(db, "ds/a");
	kvt_expect_rc(db, kv_record_put(db, NULL, "ds/a", "{}"), KV_ESCHEMA);
	kvt_expect_msg(db, "missing required field (record API)", "dataset",
	           NULL);

	/* Defaults fill absent fields, whichever API wrote the record. */
	kvt_expect_rc(db, put(db, "ds/b", "{\"dataset\":\"cifar\"}"), KV_OK);
	kvt_expect_field(db, NULL, "ds/b", "notes", "\"none\"");
	kvt_expect_field(db, NULL, "ds/b", "split", "[0.8,0.2]");
	kvt_expect_field(db, NULL, "ds/b", "dataset", "\"cifar\"");
	kvt_expect_rc(db, kv_record_put(db, NULL, "ds/c",
	                            "{\"dataset\":\"mnist\",\"notes\":\"n\"}"),
	          KV_OK);
	kvt_expect_field(db, NULL, "ds/c", "notes", "\"n\"");
	kvt_expect_field(db, NULL, "ds/c", "split", "[0.8,0.2]");

	/* allow_unknown false refuses fields the schema does not list. */
	kvt_expect_rc(db, put(db, "ds/d", "{\"dataset\":\"x\",\"bogus\":1}"),
	          KV_ESCHEMA);
	kvt_expect_msg(db, "unknown field", "bogus", NULL);
	kvt_expect_absent(db, "ds/d");
	kvt_expect_rc(db, kv_record_replace(db, NULL, "ds/b", "{\"bogus\":1}",
	                                NULL), KV_ESCHEMA);
	kvt_expect_msg(db, "unknown field (replace)", "bogus", NULL);
	kvt_close(db);
}
END_TEST

START_TEST(test_schema__longest_prefix_wins)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	define_ok(db, RUN_V1);
	define_ok(db, "{\"name\":\"special\",\"version\":1,\"prefix\":"
	              "\"runs/special/\",\"allow_unknown\":false,\"fields\":{"
	              FLD("tag", "string", ",\"required\":true") "}}");
	kvt_expect_rc(db, put(db, "runs/1", "{\"lr\":0.5}"), KV_OK);
	kvt_expect_rc(db, put(db, "runs/2", "{\"tag\":\"x\"}"), KV_ESCHEMA);
	kvt_expect_msg(db, "runs/2 under 'run'", "lr", NULL);
	kvt_expect_rc(db, put(db, "runs/special/1", "{\"tag\":\"x\"}"), KV_OK);
	kvt_expect_rc(db, put(db, "runs/special/2", "{\"lr\":0.5}"), KV_ESCHEMA);
	kvt_expect_msg(db, "runs/special/2 under 'special'", "tag", NULL);
	/* "runs/spec" is no longer "runs/special/": the shorter one rules. */
	kvt_expect_rc(db, put(db, "runs/spec", "{\"lr\":0.5}"), KV_OK);
	kvt_close(db);
}
END_TEST

START_TEST(test_schema__free_form_keys)
{
	static const char junk[] = "\x00\xff not { json";
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	void *got = NULL;
	size_t len = 0;
	int same;

	define_ok(db, RUN_V1);
	kvt_expect_rc(db, kv_db_put(db, "other/x", 7, junk, sizeof junk - 1, 0),
	          KV_OK);
	kvt_expect_rc(db, put(db, "runs", "plain text"), KV_OK);
	kvt_expect_rc(db, put(db, "run/1", "[1,2,3]"), KV_OK);
	kvt_expect_rc(db, kv_db_get(&got, &len, db, "other/x", 7), KV_OK);
	same = len == sizeof junk - 1 && memcmp(got, junk, len) == 0;
	kv_free(got);
	ck_assert_msg(same, "free-form value changed (%zu bytes)", len);
	kvt_expect_str(db, "runs", "plain text");
	kvt_expect_str(db, "run/1", "[1,2,3]");
	kvt_close(db);
}
END_TEST

START_TEST(test_schema__not_json_refused)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;

	define_ok(db, RUN_V1);
	kvt_expect_rc(db, put(db, "runs/1", "lr=0.5"), KV_ESCHEMA);
	kvt_expect_msg(db, "non-JSON put", "runs/1", NULL);
	kvt_expect_absent(db, "runs/1");
	kvt_expect_rc(db, put(db, "runs/1", "[0.5]"), KV_ESCHEMA);
	kvt_expect_rc(db, put(db, "runs/1", ""), KV_ESCHEMA);
	kvt_expect_absent(db, "runs/1");

	/* Inside a transaction: the bad put fails, the others commit. */
	kvt_expect_rc(db, kv_txn_begin(&txn, db, 0), KV_OK);
	kvt_expect_rc(db, kv_txn_put(txn, "free", 4, "1", 1, 0), KV_OK);
	kvt_expect_rc(db, kv_txn_put(txn, "runs/a", 6, "{\"lr\":0.5}", 10, 0),
	          KV_OK);
	kvt_expect_rc(db, kv_txn_put(txn, "runs/b", 6, "{lr:0.5}", 8, 0),
	          KV_ESCHEMA);
	kvt_expect_msg(db, "non-JSON txn put", "runs/b", NULL);
	kvt_expect_rc(db, kv_txn_put(txn, "runs/c", 6, "{\"lr\":1}", 8, 0),
	          KV_OK);
	kvt_expect_rc(db, kv_txn_commit(txn), KV_OK);
	kvt_expect_str(db, "free", "1");
	kvt_expect_str(db, "runs/a", "{\"lr\":0.5}");
	kvt_expect_str(db, "runs/c", "{\"lr\":1}");
	kvt_expect_absent(db, "runs/b");
	kvt_close(db);
}
END_TEST

/* ---- evolution ----------------------------------------------------------- */

START_TEST(test_schema__evolve)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	struct listed l;
	void *before = NULL, *after = NULL;
	size_t before_len = 0, after_len = 0;
	char *rec = NULL;
	unsigned long bad = 99;
	int same;

	/* runs/old keeps its deprecated field: no warnings on stderr. */
	kvt_expect_rc(db, kv_warnings_mode_set(KV_WARNINGS_IGNORE), KV_OK);
	define_ok(db, RUN_V1);
	kvt_expect_rc(db, put(db, "runs/old", "{\"lr\":0.5, \"acc\":0.25}"),
	          KV_OK);
	kvt_expect_rc(db, kv_db_get(&before, &before_len, db, "runs/old", 8),
	          KV_OK);
	define_ok(db, RUN_V2);

	expect_schema(db, "run", 0, 2, "val_acc", NULL);
	expect_schema(db, "run", 0, 2, "since 2: use val_acc", NULL);
	expect_schema(db, "run", 2, 2, "deprecated", NULL);
	expect_schema(db, "run", 1, 1, "\"acc\"", "val_acc");
	list_all(db, &l);
	ck_assert_msg(l.calls == 1 && l.versions[0] == 2,
	              "list: %d schemas, version %u; want one at version 2",
	              l.calls, l.versions[0]);

	/* The record written under version 1 reads as it was written. */
	kvt_expect_rc(db, kv_db_get(&after, &after_len, db, "runs/old", 8), KV_OK);
	kvt_expect_rc(db, kv_record_get(&rec, db, NULL, "runs/old"), KV_OK);
	same = after_len == before_len && strlen(rec) == before_len &&
	       memcmp(after, before, before_len) == 0 &&
	       memcmp(rec, before, before_len) == 0;
	kv_free(after);
	kv_free(rec);
	kv_free(before);
	ck_assert_msg(same, "record written under v1 changed after v2");
	kvt_expect_rc(db, kv_schema_check(&bad, db, "run", NULL, NULL), KV_OK);
	ck_assert_msg(bad == 0, "check found %lu bad records", bad);

	/* New records follow version 2. */
	kvt_expect_rc(db, put(db, "runs/new", "{\"lr\":0.5,\"val_acc\":0.75}"),
	          KV_OK);
	kvt_expect_rc(db, put(db, "runs/new2", "{\"lr\":0.5,\"val_acc\":\"hi\"}"),
	          KV_ESCHEMA);
	kvt_expect_msg(db, "val_acc of the wrong type", "val_acc", NULL);
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/old",
	                                "{\"val_acc\":0.5}", NULL), KV_OK);
	kvt_expect_field(db, NULL, "runs/old", "val_acc", "0.5");
	kvt_close(db);
}
END_TEST

/* kv_schema_check validates a record against the version it was written
 * under, and an untagged one (written before any schema) against the
 * current version. */
START_TEST(test_schema__check_uses_record_version)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	struct checked c;
	unsigned long bad = 0;

	kvt_put_str(db, "exps/untagged", "{}");
	define_ok(db, DOC("exp", 1, "exps/", FLD("seed", "int", "")));
	kvt_put_str(db, "exps/v1", "{}");
	define_ok(db, DOC("exp", 2, "exps/",
	                  FLD("seed", "int", ",\"required\":true")));
	kvt_expect_rc(db, put(db, "exps/v2", "{}"), KV_ESCHEMA);
	memset(&c, 0, sizeof c);
	kvt_expect_rc(db, kv_schema_check(&bad, db, "exp", check_cb, &c), KV_OK);
	ck_assert_msg(bad == 1 && c.calls == 1, "check counted %lu bad "
	              "records in %d reports, want 1", bad, c.calls);
	ck_assert_msg(strcmp(c.key[0], "exps/untagged") == 0 &&
	                      strstr(c.message[0], "seed") != NULL,
	              "check reported %s: %s", c.key[0], c.message[0]);
	kvt_close(db);
}
END_TEST

START_TEST(test_schema__evolution_refused)
{
	static const struct {
		const char *doc;
		kv_status want;
		const char *needle;
	} bad[] = {
		/* Version 3 exists already, same or other document. */
		{ DOC("run", 3, "runs/", LR "," ACC), KV_EXISTS, "3" },
		{ DOC("run", 3, "runs/", LR "," ACC "," FLD("z", "int", "")),
		  KV_EXISTS, "3" },
		/* Version 2 does not exist but is lower than 3. */
		{ DOC("run", 2, "runs/", LR "," ACC), KV_ESCHEMA, "version" },
		/* Type change, dropped field, moved prefix. */
		{ DOC("run", 4, "runs/", FLD("lr", "string", "") "," ACC),
		  KV_ESCHEMA, "lr" },
		{ DOC("run", 4, "runs/", LR), KV_ESCHEMA, "acc" },
		{ DOC("run", 4, "exps/", LR "," ACC), KV_ESCHEMA, "prefix" },
	};
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	size_t i;

	define_ok(db, RUN_V1);
	kvt_expect_rc(db, kv_schema_define(db, RUN_V1), KV_EXISTS);
	define_ok(db, DOC("run", 3, "runs/", LR "," ACC));
	for (i = 0; i < NELEM(bad); i++) {
		kv_status rc = kv_schema_define(db, bad[i].doc);
		ck_assert_msg(rc == bad[i].want, "document %zu (%s): got %s, "
		              "want %s (message: %s)", i, bad[i].doc,
		              kv_strerror(rc), kv_strerror(bad[i].want),
		              kv_db_errmsg(db));
		kvt_expect_msg(db, bad[i].doc, bad[i].needle, NULL);
	}
	expect_schema(db, "run", 0, 3, "\"runs/\"", NULL);
	kvt_expect_rc(db, put(db, "exps/1", "not json"), KV_OK);
	kvt_close(db);
}
END_TEST

/* ---- persistence and other handles --------------------------------------- */

START_TEST(test_schema__survives_reopen)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	struct listed l;

	define_ok(db, RUN_V1);
	define_ok(db, RUN_V2);
	kvt_close(db);
	db = kvt_open(KV_OPEN_READWRITE);
	expect_schema(db, "run", 0, 2, "val_acc", NULL);
	expect_schema(db, "run", 1, 1, "\"lr\"", "val_acc");
	list_all(db, &l);
	ck_assert_msg(l.calls == 1 && strcmp(l.names[0], "run") == 0,
	              "after reopen: %d schemas listed", l.calls);
	kvt_expect_rc(db, put(db, "runs/1", "{\"acc\":0.5}"), KV_ESCHEMA);
	kvt_expect_msg(db, "required after reopen", "lr", NULL);
	kvt_expect_rc(db, put(db, "runs/1", "{\"lr\":0.5,\"val_acc\":1}"), KV_OK);
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	expect_schema(db, "run", 0, 2, "val_acc", NULL);
	kvt_close(db);
}
END_TEST

/* In a child process: open the store afresh, define doc and close it;
 * the child leaves with _exit, so no exit-time work of the parent runs. */
static void define_in_child(const char *doc)
{
	char uri[KVT_PATH_MAX];
	kv_db *other = NULL;
	int status = 0;
	pid_t pid;

	kvt_uri(uri, "store");
	pid = fork();
	ck_assert_msg(pid >= 0, "fork failed");
	if (pid == 0) {
		kv_status rc = kv_db_open(&other, uri, NULL);
		if (rc == KV_OK && (rc = kv_schema_define(other, doc)) != KV_OK)
			fprintf(stderr, "child: %s\n", kv_db_errmsg(other));
		if (rc == KV_OK)
			rc = kv_db_close(other);
		_exit(rc == KV_OK ? 0 : 1);
	}
	ck_assert_msg(waitpid(pid, &status, 0) == pid, "waitpid failed");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "the child could not define the schema (status %d)",
	              status);
}

START_TEST(test_schema__other_handle_enforces)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_db *other;

	/* Writes before the define warm this handle's view of the schemas. */
	kvt_expect_rc(db, put(db, "runs/0", "free text"), KV_OK);
	define_ok(db, DOC("misc", 1, "m/", ""));
	kvt_expect_rc(db, put(db, "runs/1", "free text"), KV_OK);

	/* A second handle of this process defines the schema... */
	other = kvt_open(KV_OPEN_READWRITE);
	define_ok(other, RUN_V1);
	kvt_expect_rc(db, put(db, "runs/2", "free text"), KV_ESCHEMA);
	kvt_expect_rc(db, put(db, "runs/2", "{\"acc\":0.5}"), KV_ESCHEMA);
	kvt_expect_msg(db, "schema of the other handle", "lr", NULL);
	kvt_expect_rc(db, kv_record_put(db, NULL, "runs/2", "{\"acc\":0.5}"),
	          KV_ESCHEMA);
	kvt_expect_rc(db, put(db, "runs/2", "{\"lr\":0.5}"), KV_OK);
	expect_schema(db, "run", 0, 1, "\"runs/\"", NULL);

	kvt_close(other);

	/* ...and a handle of another process evolves it. */
	define_in_child(RUN_V2);
	kvt_expect_rc(db, put(db, "runs/3", "{\"lr\":0.5,\"val_acc\":\"x\"}"),
	          KV_ESCHEMA);
	kvt_expect_msg(db, "evolved schema of the other handle", "val_acc",
	           NULL);
	kvt_close(db);
}
END_TEST

/* ---- kv_schema_check ----------------------------------------------------- */

START_TEST(test_schema__check_reports_violations)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	struct checked c;
	unsigned long bad = 0;

	/* Written before the schema existed, so nothing was validated. */
	kvt_put_str(db, "runs/a", "{\"lr\":0.5}");
	kvt_put_str(db, "runs/b", "{\"lr\":\"high\"}");
	kvt_put_str(db, "runs/c", "{\"acc\":0.5}");
	kvt_put_str(db, "runs/d", "{\"lr\":0.5,\"acc\":true}");
	kvt_put_str(db, "other/e", "{\"lr\":\"high\"}");
	define_ok(db, RUN_V1);

	memset(&c, 0, sizeof c);
	kvt_expect_rc(db, kv_schema_check(&bad, db, NULL, check_cb, &c), KV_OK);
	ck_assert_msg(bad == 3 && c.calls == 3, "check counted %lu bad "
	              "records in %d reports, want 3", bad, c.calls);
	expect_report(&c, "runs/b", "lr");
	expect_report(&c, "runs/c", "lr");
	expect_report(&c, "runs/d", "acc");

	/* By name; an unknown name; a callback that stops. */
	bad = 0;
	kvt_expect_rc(db, kv_schema_check(&bad, db, "run", NULL, NULL), KV_OK);
	ck_assert_msg(bad == 3, "check of 'run' counted %lu, want 3", bad);
	kvt_expect_rc(db, kv_schema_check(&bad, db, "nope", check_cb, &c),
	          KV_NOTFOUND);
	memset(&c, 0, sizeof c);
	c.stop = 1;
	kvt_expect_rc(db, kv_schema_check(NULL, db, NULL, check_cb, &c), KV_OK);
	ck_assert_msg(c.calls == 1, "check went on after the callback asked "
	              "to stop (%d calls)", c.calls);
	kvt_close(db);
}
END_TEST

START_TEST(test_schema__check_malformed_stored)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	struct checked c;
	unsigned long bad = 0;
	char *out = NULL;

	kvt_put_str(db, "runs/bad", "{\"lr\": 0.5,");
	kvt_put_str(db, "runs/arr", "[0.5]");
	kvt_put_str(db, "runs/\x01z", "lr=0.5");
	kvt_put_str(db, "runs/ok", "{\"lr\":0.5}");
	define_ok(db, RUN_V1);

	memset(&c, 0, sizeof c);
	kvt_expect_rc(db, kv_schema_check(&bad, db, "run", check_cb, &c), KV_OK);
	ck_assert_msg(bad == 3 && c.calls == 3, "check counted %lu bad "
	              "records in %d reports, want 3", bad, c.calls);
	expect_report(&c, "runs/bad", "JSON");
	expect_report(&c, "runs/arr", "object");
	expect_report(&c, "runs/\\x01z", "JSON");

	kvt_expect_rc(db, kv_record_field(&out, db, NULL, "runs/bad", "lr"),
	          KV_ESCHEMA);
	kvt_expect_msg(db, "field of a damaged record", "runs/bad", NULL);
	kvt_expect_rc(db, kv_record_field(&out, db, NULL, "runs/arr", "lr"),
	          KV_ESCHEMA);
	ck_assert_msg(out == NULL, "a failed kv_record_field wrote its output");
	/* A plain read does not parse: the bytes come back as they are. */
	kvt_expect_rc(db, kv_record_get(&out, db, NULL, "runs/bad"), KV_OK);
	ck_assert_msg(strcmp(out, "{\"lr\": 0.5,") == 0, "got '%s'", out);
	kv_free(out);
	/* The damaged record can be repaired by a valid write. */
	kvt_expect_rc(db, put(db, "runs/bad", "{\"lr\":0.5}"), KV_OK);
	kvt_expect_field(db, NULL, "runs/bad", "lr", "0.5");
	kvt_close(db);
}
END_TEST

/* ---- misuse -------------------------------------------------------------- */

START_TEST(test_schema__null_args)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	char *out = NULL;
	unsigned long bad = 0;
	struct listed l;

	memset(&l, 0, sizeof l);
	kvt_assert_status(kv_schema_define(NULL, RUN_V1), KV_EINVAL);
	kvt_expect_rc(db, kv_schema_define(db, NULL), KV_EINVAL);
	define_ok(db, RUN_V1);
	kvt_assert_status(kv_schema_get(&out, NULL, "run", 0), KV_EINVAL);
	kvt_expect_rc(db, kv_schema_get(NULL, db, "run", 0), KV_EINVAL);
	kvt_expect_rc(db, kv_schema_get(&out, db, NULL, 0), KV_EINVAL);
	ck_assert_msg(out == NULL, "a failed kv_schema_get wrote its output");
	kvt_assert_status(kv_schema_list(NULL, list_cb, &l), KV_EINVAL);
	kvt_expect_rc(db, kv_schema_list(db, NULL, &l), KV_EINVAL);
	ck_assert_msg(l.calls == 0, "a failed kv_schema_list called back");
	kvt_assert_status(kv_schema_check(&bad, NULL, NULL, check_cb, NULL),
	                  KV_EINVAL);
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "define", 60);

	tcase_add_test(tc, test_schema__define_get_list);
	tcase_add_test(tc, test_schema__malformed_documents);

	tc = kvt_tcase(s, "validate", 60);
	tcase_add_test(tc, test_schema__field_types);
	tcase_add_test(tc, test_schema__required_default_unknown);
	tcase_add_test(tc, test_schema__longest_prefix_wins);
	tcase_add_test(tc, test_schema__free_form_keys);
	tcase_add_test(tc, test_schema__not_json_refused);

	tc = kvt_tcase(s, "evolve", 60);
	tcase_add_test(tc, test_schema__evolve);
	tcase_add_test(tc, test_schema__evolution_refused);
	tcase_add_test(tc, test_schema__survives_reopen);
	tcase_add_test(tc, test_schema__other_handle_enforces);

	tc = kvt_tcase(s, "check", 60);
	tcase_add_test(tc, test_schema__check_reports_violations);
	tcase_add_test(tc, test_schema__check_malformed_stored);
	tcase_add_test(tc, test_schema__check_uses_record_version);

	tc = kvt_tcase(s, "misuse", 30);
	tcase_add_test(tc, test_schema__null_args);
}

int main(void)
{
	return kvt_main("schema", populate);
}
