/*
 * tests/test_record.c - behaviour of records (kv/record.h): put, get and
 * field reads, partial updates, write-once fields, atomicity of failed
 * updates, deprecated fields through the warning channel (kv/warnings.h),
 * concurrent updates and misuse.  Every test runs on every backend of the
 * table in testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* expr must return want; the failure names both and db's message. */

/* The schema of the records under "runs/". */
#define RUN_SCHEMA                                                          \
	"{\"name\":\"run\",\"version\":1,\"prefix\":\"runs/\",\"fields\":{" \
	"\"lr\":{\"type\":\"float\",\"required\":true,\"readonly\":true},"  \
	"\"dataset\":{\"type\":\"string\",\"readonly\":true},"              \
	"\"loss\":{\"type\":\"float\"},\"epochs\":{\"type\":\"int\"},"      \
	"\"acc\":{\"type\":\"float\",\"deprecated\":\"since 2: use "        \
	"val_acc\"},\"val_acc\":{\"type\":\"float\"}}}"
#define DEPRECATION "since 2: use val_acc"

/* A fresh store with the run schema defined. */
static kv_db *open_runs(void)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	kvt_expect_rc(db, kv_schema_define(db, RUN_SCHEMA), KV_OK);
	return db;
}

static void record_put(kv_db *db, const char *key, const char *json)
{
	kv_status rc = kv_record_put(db, NULL, key, json);

	ck_assert_msg(rc == KV_OK, "kv_record_put(%s, %s): %s (%s)", key, json,
	              kv_strerror(rc), kv_db_errmsg(db));
}

/* Remove one field with kv_record_replace (the deprecated one-field call
 * has its own tests in test_version.c). */
static kv_status drop_field(kv_db *db, const char *key, const char *field)
{
	const char *remove[2];

	remove[0] = field;
	remove[1] = NULL;
	return kv_record_replace(db, NULL, key, NULL, remove);
}

/* kv_record_get (in txn, or its own) must give exactly want. */
static void expect_record(kv_db *db, kv_txn *txn, const char *key,
                          const char *want)
{
	char *got = NULL, shown[256];
	kv_status rc = kv_record_get(&got, db, txn, key);
	int same;

	ck_assert_msg(rc == KV_OK, "kv_record_get(%s): %s (%s)", key,
	              kv_strerror(rc), kv_db_errmsg(db));
	same = strcmp(got, want) == 0;
	snprintf(shown, sizeof shown, "%s", got);
	kv_free(got);
	ck_assert_msg(same, "record %s: got %s, want %s", key, shown, want);
}

static void expect_no_field(kv_db *db, const char *key, const char *field)
{
	char *got = NULL;

	kvt_expect_rc(db, kv_record_field(&got, db, NULL, key, field), KV_NOTFOUND);
	ck_assert_msg(got == NULL, "a failed kv_record_field wrote its output");
}

/* The stored bytes of key (OWNED, kv_free) as the bytes API sees them. */
static char *stored(kv_db *db, const char *key, size_t *len)
{
	void *v = NULL;

	kvt_expect_rc(db, kv_db_get(&v, len, db, key, strlen(key)), KV_OK);
	return v;
}

/* The stored bytes of key must still be before (before_len bytes). */
static void expect_unchanged(kv_db *db, const char *key, const char *before,
                             size_t before_len, const char *after_what)
{
	size_t len = 0;
	char *now = stored(db, key, &len);
	int same = len == before_len && memcmp(now, before, len) == 0;

	kv_free(now);
	ck_assert_msg(same, "record %s changed after %s", key, after_what);
}

/* ---- warnings ------------------------------------------------------------ */


static void warnings_reset(void)
{
	kv_warnings_handler_set(NULL, NULL);
	kv_warnings_mode_set(KV_WARNINGS_DEFAULT);
}

/* The last warning must be about acc and carry the deprecation text. */
static void expect_acc_warning(int calls)
{
	ck_assert_msg(kvt_warned.calls == calls, "handler called %d times, want %d",
	              kvt_warned.calls, calls);
	ck_assert_msg(kvt_warned.kind == KV_WARN_DEPRECATED_FIELD,
	              "warning kind %d, want KV_WARN_DEPRECATED_FIELD",
	              (int)kvt_warned.kind);
	ck_assert_msg(strstr(kvt_warned.msg, "acc") != NULL &&
	                      strstr(kvt_warned.msg, DEPRECATION) != NULL,
	              "warning '%s' does not name acc and '%s'", kvt_warned.msg,
	              DEPRECATION);
}

/* Two writes of the deprecated field on different keys, both accepted. */
static void write_acc_twice(kv_db *db)
{
	static const char rec[] = "{\"lr\":0.5,\"acc\":0.9}";

	record_put(db, "runs/1", rec);
	kvt_expect_rc(db, kv_db_put(db, "runs/2", 6, rec, sizeof rec - 1, 0),
	          KV_OK);
	kvt_expect_field(db, NULL, "runs/1", "acc", "0.9");
	kvt_expect_field(db, NULL, "runs/2", "acc", "0.9");
}

/* ---- put, get, field ----------------------------------------------------- */

START_TEST(test_record__round_trip)
{
	kv_db *db = open_runs();
	char *out = NULL;

	record_put(db, "runs/1", "{ \"lr\" : 0.5,\n \"dataset\": \"cifar\" }");
	expect_record(db, NULL, "runs/1", "{\"lr\":0.5,\"dataset\":\"cifar\"}");
	/* Keys under no schema hold records too. */
	record_put(db, "notes/1", "{\"a\": [1, 2], \"b\": {}}");
	expect_record(db, NULL, "notes/1", "{\"a\":[1,2],\"b\":{}}");
	/* A put replaces the whole record; it does not merge. */
	record_put(db, "notes/1", "{\"c\":true}");
	expect_record(db, NULL, "notes/1", "{\"c\":true}");
	kvt_expect_rc(db, kv_record_get(&out, db, NULL, "runs/none"), KV_NOTFOUND);
	kvt_expect_msg(db, "get of a missing record", "runs/none", NULL);
	ck_assert_msg(out == NULL, "a failed kv_record_get wrote its output");
	kvt_expect_rc(db, kv_record_put(db, NULL, "notes/2", "[1]"), KV_ESCHEMA);
	kvt_expect_rc(db, kv_record_put(db, NULL, "notes/2", "{\"a\":"),
	          KV_ESCHEMA);
	kvt_expect_absent(db, "notes/2");
	kvt_close(db);
}
END_TEST

START_TEST(test_record__field)
{
	kv_db *db = open_runs();
	char *out = NULL;

	record_put(db, "runs/1", "{\"lr\":0.5,\"dataset\":\"cifar\",\"epochs\":"
	                         "10,\"cfg\":{\"opt\":\"adam\",\"betas\":[0.5,"
	                         "0.25]},\"tags\":[\"a\",null,true]}");
	kvt_expect_field(db, NULL, "runs/1", "dataset", "\"cifar\"");
	kvt_expect_field(db, NULL, "runs/1", "lr", "0.5");
	kvt_expect_field(db, NULL, "runs/1", "epochs", "10");
	kvt_expect_field(db, NULL, "runs/1", "cfg",
	             "{\"opt\":\"adam\",\"betas\":[0.5,0.25]}");
	kvt_expect_field(db, NULL, "runs/1", "tags", "[\"a\",null,true]");
	expect_no_field(db, "runs/1", "loss");
	kvt_expect_msg(db, "absent field", "loss", NULL);
	kvt_expect_rc(db, kv_record_field(&out, db, NULL, "runs/2", "lr"),
	          KV_NOTFOUND);
	kvt_expect_msg(db, "field of a missing record", "runs/2", NULL);
	kvt_close(db);
}
END_TEST

START_TEST(test_record__replace)
{
	static const char *const drop_epochs[] = { "epochs", NULL };
	kv_db *db = open_runs();

	record_put(db, "runs/1", "{\"lr\":0.5,\"epochs\":3,\"loss\":1.5}");
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1",
	                                "{\"loss\":0.25,\"val_acc\":0.75}",
	                                drop_epochs), KV_OK);
	kvt_expect_field(db, NULL, "runs/1", "loss", "0.25");
	kvt_expect_field(db, NULL, "runs/1", "val_acc", "0.75");
	kvt_expect_field(db, NULL, "runs/1", "lr", "0.5");
	expect_no_field(db, "runs/1", "epochs");
	/* Nothing to set or remove: the record stays as it is. */
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1", NULL, NULL), KV_OK);
	kvt_expect_field(db, NULL, "runs/1", "loss", "0.25");

	kvt_expect_rc(db, drop_field(db, "runs/1", "loss"), KV_OK);
	expect_no_field(db, "runs/1", "loss");
	kvt_expect_field(db, NULL, "runs/1", "val_acc", "0.75");

	/* No record: nothing is created. */
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/2", "{\"lr\":0.5}",
	                                NULL), KV_NOTFOUND);
	kvt_expect_rc(db, drop_field(db, "runs/2", "lr"),
	          KV_NOTFOUND);
	kvt_expect_absent(db, "runs/2");
	kvt_close(db);
}
END_TEST

/* A real prints with the fewest digits (15 to 17) that read back as the
 * same double, whichever way that count is found. */
START_TEST(test_record__real_digits)
{
	static const char *const cases[][2] = {
		{ "0.412", "0.412" },
		{ "1700003086.65", "1700003086.65" },
		{ "0.0001371", "0.0001371" },
		{ "-2.5", "-2.5" },
		{ "2.0", "2.0" },
		{ "1e-7", "1e-7" },
		{ "1e300", "1e300" },
		{ "123456789012345.0", "123456789012345.0" },
		{ "123456789012345.6", "123456789012345.6" },
		{ "0.30000000000000004", "0.30000000000000004" },
		{ "9007199254740993.0", "9007199254740992.0" },
		{ "0.5428571428571428", "0.5428571428571428" },
	};
	kv_db *db = open_runs();
	char set[96];
	size_t i;

	record_put(db, "runs/1", "{\"lr\":0.5}");
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(set, sizeof set, "{\"x\":%s}", cases[i][0]);
		kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1", set, NULL),
		              KV_OK);
		kvt_expect_field(db, NULL, "runs/1", "x", cases[i][1]);
	}
	kvt_close(db);
}
END_TEST

/* ---- write-once fields --------------------------------------------------- */

START_TEST(test_record__readonly_set_once)
{
	static const char changed[] = "{\"lr\":0.5,\"dataset\":\"mnist\"}";
	kv_db *db = open_runs();

	record_put(db, "runs/1", "{\"lr\":0.5}");
	/* Absent, so it may be set once. */
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1",
	                                "{\"dataset\":\"cifar\"}", NULL),
	          KV_OK);
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1",
	                                "{\"dataset\":\"imagenet\"}", NULL),
	          KV_EREADONLY);
	kvt_expect_msg(db, "changed dataset", "dataset", "cifar", "imagenet", NULL);
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1", "{\"lr\":0.25}",
	                                NULL), KV_EREADONLY);
	kvt_expect_msg(db, "changed lr", "lr", "0.5", "0.25", NULL);
	kvt_expect_rc(db, kv_record_put(db, NULL, "runs/1", changed), KV_EREADONLY);
	kvt_expect_msg(db, "put changing dataset", "dataset", "mnist", NULL);
	kvt_expect_rc(db, kv_db_put(db, "runs/1", 6, changed, sizeof changed - 1,
	                        0), KV_EREADONLY);
	kvt_expect_field(db, NULL, "runs/1", "dataset", "\"cifar\"");
	kvt_expect_field(db, NULL, "runs/1", "lr", "0.5");
	kvt_close(db);
}
END_TEST

START_TEST(test_record__readonly_removal_refused)
{
	static const char *const drop_dataset[] = { "dataset", NULL };
	kv_db *db = open_runs();

	record_put(db, "runs/1",
	           "{\"lr\":0.5,\"dataset\":\"cifar\",\"loss\":1}");
	kvt_expect_rc(db, drop_field(db, "runs/1", "dataset"),
	          KV_EREADONLY);
	kvt_expect_msg(db, "removing dataset", "dataset", NULL);
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1", "{\"loss\":2}",
	                                drop_dataset), KV_EREADONLY);
	kvt_expect_rc(db, kv_record_put(db, NULL, "runs/1", "{\"lr\":0.5}"),
	          KV_EREADONLY);
	kvt_expect_msg(db, "put without dataset", "dataset", NULL);
	expect_record(db, NULL, "runs/1",
	              "{\"lr\":0.5,\"dataset\":\"cifar\",\"loss\":1}");
	kvt_close(db);
}
END_TEST

START_TEST(test_record__readonly_same_value)
{
	static const char again[] = "{\"lr\":0.001,\"dataset\":\"cifar\","
	                            "\"loss\":1}";
	kv_db *db = open_runs();

	record_put(db, "runs/1", "{\"lr\":0.001,\"dataset\":\"cifar\"}");
	record_put(db, "runs/1", "{\"lr\":0.001,\"dataset\":\"cifar\"}");
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1",
	                                "{\"lr\":0.001,\"dataset\":\"cifar\"}",
	                                NULL), KV_OK);
	kvt_expect_rc(db, kv_db_put(db, "runs/1", 6, again, sizeof again - 1, 0),
	          KV_OK);
	/* The same number written another way is the same value. */
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1", "{\"lr\":1e-3}",
	                                NULL), KV_OK);
	kvt_expect_field(db, NULL, "runs/1", "dataset", "\"cifar\"");
	kvt_expect_field(db, NULL, "runs/1", "loss", "1");
	/* A float field holds numbers: 2 and 2.0 are the same value. */
	record_put(db, "runs/2", "{\"lr\":2}");
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/2", "{\"lr\":2.0}",
	                                NULL), KV_OK);
	kvt_close(db);
}
END_TEST

/* ---- failed updates change nothing --------------------------------------- */

START_TEST(test_record__failed_update_unchanged)
{
	static const char *const drop_lr[] = { "lr", NULL };
	static const struct {
		const char *set;
		const char *const *remove;
		kv_status want;
	} bad[] = {
		/* Type errors. */
		{ "{\"epochs\":3.5}", NULL, KV_ESCHEMA },
		{ "{\"loss\":0.5,\"epochs\":\"x\"}", NULL, KV_ESCHEMA },
		/* Write-once violations. */
		{ "{\"lr\":0.9}", NULL, KV_EREADONLY },
		{ "{\"loss\":0.5}", drop_lr, KV_EREADONLY },
		/* A set_json that is not a JSON object. */
		{ "{\"loss\":", NULL, KV_ESCHEMA },
		{ "[1,2]", NULL, KV_ESCHEMA },
		{ "\"loss\"", NULL, KV_ESCHEMA },
	};
	kv_db *db = open_runs();
	size_t before_len = 0, i;
	char *before;

	record_put(db, "runs/1", "{\"lr\":0.5,\"dataset\":\"cifar\","
	                         "\"epochs\":3,\"loss\":1.5}");
	before = stored(db, "runs/1", &before_len);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		kv_status rc = kv_record_replace(db, NULL, "runs/1", bad[i].set,
		                                 bad[i].remove);
		ck_assert_msg(rc == bad[i].want, "replace %s: got %s, want %s "
		              "(message: %s)", bad[i].set, kv_strerror(rc),
		              kv_strerror(bad[i].want), kv_db_errmsg(db));
		expect_unchanged(db, "runs/1", before, before_len, bad[i].set);
	}
	kvt_expect_rc(db, drop_field(db, "runs/1", "lr"),
	          KV_EREADONLY);
	expect_unchanged(db, "runs/1", before, before_len, "drop lr");
	kv_free(before);
	kvt_close(db);
}
END_TEST

START_TEST(test_record__failure_inside_txn)
{
	kv_db *db = open_runs();
	kv_txn *txn = NULL;

	kvt_expect_rc(db, kv_txn_begin(&txn, db, 0), KV_OK);
	kvt_expect_rc(db, kv_txn_put(txn, "free/1", 6, "x", 1, 0), KV_OK);
	kvt_expect_rc(db, kv_record_put(db, txn, "runs/1", "{\"lr\":0.5}"), KV_OK);
	kvt_expect_rc(db, kv_record_replace(db, txn, "runs/1", "{\"lr\":0.7}",
	                                NULL), KV_EREADONLY);
	kvt_expect_rc(db, kv_record_replace(db, txn, "runs/1",
	                                "{\"epochs\":\"many\"}", NULL),
	          KV_ESCHEMA);
	kvt_expect_rc(db, kv_record_put(db, txn, "runs/2", "{\"loss\":1}"),
	          KV_ESCHEMA);
	kvt_expect_rc(db, kv_record_replace(db, txn, "runs/1", "{\"loss\":0.25}",
	                                NULL), KV_OK);
	kvt_expect_field(db, txn, "runs/1", "loss", "0.25");
	expect_record(db, txn, "runs/1", "{\"lr\":0.5,\"loss\":0.25}");
	kvt_expect_rc(db, kv_txn_commit(txn), KV_OK);

	kvt_expect_str(db, "free/1", "x");
	expect_record(db, NULL, "runs/1", "{\"lr\":0.5,\"loss\":0.25}");
	kvt_expect_absent(db, "runs/2");
	kvt_close(db);
}
END_TEST

/* ---- deprecated fields and the warning channel --------------------------- */

/* Is every test in a process of its own?  $KV_WARNINGS is read, and
 * "once" remembers what it reported, once per process: the tests that
 * depend on either need that. */
static int forked(void)
{
	const char *f = getenv("CK_FORK");

	return f == NULL || strcmp(f, "no") != 0;
}

START_TEST(test_record__deprecated_ignore)
{
	kv_db *db = open_runs();

	kvt_warnings_capture(KV_WARNINGS_IGNORE);
	write_acc_twice(db);
	ck_assert_msg(kvt_warned.calls == 0, "ignored warning reached the handler "
	              "%d times: %s", kvt_warned.calls, kvt_warned.msg);
	kvt_close(db);
}
END_TEST

START_TEST(test_record__deprecated_once)
{
	kv_db *db;

	if (!forked())
		return;
	db = open_runs();
	kvt_warnings_capture(KV_WARNINGS_ONCE);
	write_acc_twice(db);
	expect_acc_warning(1);
	kvt_close(db);
}
END_TEST

START_TEST(test_record__deprecated_always)
{
	kv_db *db = open_runs();

	kvt_warnings_capture(KV_WARNINGS_ALWAYS);
	write_acc_twice(db);
	expect_acc_warning(2);
	kvt_close(db);
}
END_TEST

START_TEST(test_record__deprecated_error)
{
	static const char rec[] = "{\"lr\":0.5,\"acc\":0.9}";
	kv_db *db = open_runs();
	size_t before_len = 0;
	char *before;

	kvt_warnings_capture(KV_WARNINGS_ERROR);
	kvt_expect_rc(db, kv_record_put(db, NULL, "runs/1", rec), KV_EDEPRECATED);
	kvt_expect_msg(db, "refused deprecated field", "acc", DEPRECATION, NULL);
	kvt_expect_absent(db, "runs/1");
	kvt_expect_rc(db, kv_db_put(db, "runs/1", 6, rec, sizeof rec - 1, 0),
	          KV_EDEPRECATED);
	kvt_expect_absent(db, "runs/1");

	record_put(db, "runs/2", "{\"lr\":0.5,\"val_acc\":0.5}");
	before = stored(db, "runs/2", &before_len);
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/2", "{\"acc\":0.9}",
	                                NULL), KV_EDEPRECATED);
	expect_unchanged(db, "runs/2", before, before_len, "refused acc");
	kv_free(before);
	ck_assert_msg(kvt_warned.calls == 0, "mode error also called the handler");
	kvt_close(db);
}
END_TEST

/* A partial update that leaves a deprecated field as it was does not
 * count as writing it: no warning, and no refusal under mode error, so a
 * record can be migrated off the field. */
START_TEST(test_record__deprecated_carried_over)
{
	kv_db *db = open_runs();

	kvt_warnings_capture(KV_WARNINGS_ALWAYS);
	record_put(db, "runs/1", "{\"lr\":0.5,\"acc\":0.9}");
	expect_acc_warning(1);
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1",
	                                "{\"val_acc\":0.9}", NULL), KV_OK);
	expect_acc_warning(1);
	kvt_warnings_capture(KV_WARNINGS_ERROR);
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1",
	                                "{\"val_acc\":0.91}", NULL), KV_OK);
	kvt_expect_rc(db, kv_record_replace(db, NULL, "runs/1", "{\"acc\":0.8}",
	                                NULL), KV_EDEPRECATED);
	kvt_expect_field(db, NULL, "runs/1", "acc", "0.9");
	kvt_expect_field(db, NULL, "runs/1", "val_acc", "0.91");
	kvt_close(db);
}
END_TEST

START_TEST(test_record__deprecated_env_error)
{
	static const char rec[] = "{\"lr\":0.5,\"acc\":0.9}";
	kv_db *db;

	if (!forked())
		return;
	ck_assert_msg(setenv("KV_WARNINGS", "error", 1) == 0, "setenv");
	db = open_runs();
	kvt_warnings_capture(KV_WARNINGS_DEFAULT);
	kvt_expect_rc(db, kv_record_put(db, NULL, "runs/1", rec), KV_EDEPRECATED);
	kvt_expect_absent(db, "runs/1");
	ck_assert_msg(kvt_warned.calls == 0,
	              "KV_WARNINGS=error called the handler");
	/* A mode set by the program wins over the environment. */
	ck_assert_msg(kv_warnings_mode_set(KV_WARNINGS_ALWAYS) == KV_OK,
	              "kv_warnings_mode_set");
	record_put(db, "runs/1", rec);
	expect_acc_warning(1);
	kvt_close(db);
}
END_TEST

START_TEST(test_record__deprecated_env_always)
{
	kv_db *db;

	if (!forked())
		return;
	ck_assert_msg(setenv("KV_WARNINGS", "always", 1) == 0, "setenv");
	db = open_runs();
	kvt_warnings_capture(KV_WARNINGS_DEFAULT);
	write_acc_twice(db);
	expect_acc_warning(2);
	kvt_close(db);
}
END_TEST

START_TEST(test_record__deprecated_default_once)
{
	kv_db *db;

	if (!forked())
		return;
	ck_assert_msg(unsetenv("KV_WARNINGS") == 0, "unsetenv");
	db = open_runs();
	kvt_warnings_capture(KV_WARNINGS_DEFAULT);
	write_acc_twice(db);
	expect_acc_warning(1);
	kvt_close(db);
}
END_TEST

/* ---- threads ------------------------------------------------------------- */

#define THREADS 4
#define ROUNDS 200

struct updater {
	pthread_t tid;
	kv_db *db;
	int n;               /* updates field "f<n>" */
	kv_status rc;        /* first failure, KV_OK if none */
	int round;           /* the round it failed in */
	char msg[256];
};

static void *update_field(void *arg)
{
	struct updater *u = arg;
	char set[64];
	int i;

	for (i = 0; i < ROUNDS && u->rc == KV_OK; i++) {
		snprintf(set, sizeof set, "{\"f%d\":%d}", u->n, i);
		u->rc = kv_record_replace(u->db, NULL, "runs/t", set, NULL);
		u->round = i;
		if (u->rc != KV_OK)
			snprintf(u->msg, sizeof u->msg, "%s",
			         kv_db_errmsg(u->db));
	}
	return NULL;
}

START_TEST(test_record__threads_lose_no_update)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	struct updater u[THREADS];
	char field[16], want[16];
	kv_db *db;
	int i;

	opts.durability = KV_DURABLE_BATCHED;
	opts.sync_interval_ms = 50;
	db = kvt_open_opts(&opts);
	kvt_expect_rc(db, kv_schema_define(db, RUN_SCHEMA), KV_OK);
	record_put(db, "runs/t", "{\"lr\":0.5}");
	memset(u, 0, sizeof u);
	for (i = 0; i < THREADS; i++) {
		u[i].db = db;
		u[i].n = i;
		ck_assert_msg(pthread_create(&u[i].tid, NULL, update_field,
		                             &u[i]) == 0, "pthread_create");
	}
	for (i = 0; i < THREADS; i++)
		ck_assert_msg(pthread_join(u[i].tid, NULL) == 0,
		              "pthread_join");
	for (i = 0; i < THREADS; i++)
		ck_assert_msg(u[i].rc == KV_OK, "thread %d, round %d: %s (%s)",
		              i, u[i].round, kv_strerror(u[i].rc), u[i].msg);
	snprintf(want, sizeof want, "%d", ROUNDS - 1);
	for (i = 0; i < THREADS; i++) {
		snprintf(field, sizeof field, "f%d", i);
		kvt_expect_field(db, NULL, "runs/t", field, want);
	}
	kvt_expect_field(db, NULL, "runs/t", "lr", "0.5");
	kvt_close(db);
}
END_TEST

/* ---- plain JSON and misuse ----------------------------------------------- */

START_TEST(test_record__plain_json)
{
	static const char free_form[] = "{\"k\": [1, 2.5, \"x\"]}";
	kv_db *db = open_runs();
	size_t len = 0;
	char *bytes, *text = NULL;
	int same;

	record_put(db, "runs/1", "{\"lr\":0.5,\"cfg\":{\"opt\":\"adam\"}}");
	bytes = stored(db, "runs/1", &len);
	kvt_expect_rc(db, kv_record_get(&text, db, NULL, "runs/1"), KV_OK);
	same = len == strlen(text) && memcmp(bytes, text, len) == 0;
	ck_assert_msg(len >= 2 && bytes[0] == '{' && bytes[len - 1] == '}',
	              "stored record is not a bare JSON object (%zu bytes)",
	              len);
	ck_assert_msg(memchr(bytes, '\0', len) == NULL,
	              "stored record holds a NUL byte");
	kv_free(bytes);
	kv_free(text);
	ck_assert_msg(same, "kv_db_get and kv_record_get disagree");

	/* Records written through the bytes API read back as given. */
	kvt_put_str(db, "other/1", free_form);
	expect_record(db, NULL, "other/1", free_form);
	kvt_expect_field(db, NULL, "other/1", "k", "[1,2.5,\"x\"]");
	kvt_close(db);
}
END_TEST

START_TEST(test_record__null_args)
{
	static const char *const none[] = { NULL };
	kv_db *db = open_runs();
	char *out = NULL;

	record_put(db, "runs/1", "{\"lr\":0.5}");
	kvt_assert_status(kv_record_put(NULL, NULL, "runs/1", "{}"), KV_EINVAL);
	kvt_expect_rc(db, kv_record_put(db, NULL, NULL, "{}"), KV_EINVAL);
	kvt_expect_rc(db, kv_record_put(db, NULL, "runs/1", NULL), KV_EINVAL);
	kvt_assert_status(kv_record_get(&out, NULL, NULL, "runs/1"), KV_EINVAL);
	kvt_expect_rc(db, kv_record_get(NULL, db, NULL, "runs/1"), KV_EINVAL);
	kvt_expect_rc(db, kv_record_get(&out, db, NULL, NULL), KV_EINVAL);
	kvt_assert_status(kv_record_field(&out, NULL, NULL, "runs/1", "lr"),
	                  KV_EINVAL);
	kvt_expect_rc(db, kv_record_field(NULL, db, NULL, "runs/1", "lr"),
	          KV_EINVAL);
	kvt_expect_rc(db, kv_record_field(&out, db, NULL, NULL, "lr"), KV_EINVAL);
	kvt_expect_rc(db, kv_record_field(&out, db, NULL, "runs/1", NULL),
	          KV_EINVAL);
	ck_assert_msg(out == NULL, "a failed call wrote its output");
	kvt_assert_status(kv_record_replace(NULL, NULL, "runs/1", "{}", none),
	                  KV_EINVAL);
	kvt_expect_rc(db, kv_record_replace(db, NULL, NULL, "{}", none), KV_EINVAL);
	kvt_assert_status(kv_warnings_mode_set((kv_warnings_mode)99),
	                  KV_EINVAL);
	expect_record(db, NULL, "runs/1", "{\"lr\":0.5}");
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "records", 60);

	tcase_add_test(tc, test_record__round_trip);
	tcase_add_test(tc, test_record__field);
	tcase_add_test(tc, test_record__replace);
	tcase_add_test(tc, test_record__real_digits);
	tcase_add_test(tc, test_record__plain_json);
	tcase_add_test(tc, test_record__null_args);

	tc = kvt_tcase(s, "readonly", 60);
	tcase_add_test(tc, test_record__readonly_set_once);
	tcase_add_test(tc, test_record__readonly_removal_refused);
	tcase_add_test(tc, test_record__readonly_same_value);
	tcase_add_test(tc, test_record__failed_update_unchanged);
	tcase_add_test(tc, test_record__failure_inside_txn);

	tc = kvt_tcase(s, "deprecated", 60);
	tcase_add_checked_fixture(tc, NULL, warnings_reset);
	tcase_add_test(tc, test_record__deprecated_ignore);
	tcase_add_test(tc, test_record__deprecated_once);
	tcase_add_test(tc, test_record__deprecated_always);
	tcase_add_test(tc, test_record__deprecated_error);
	tcase_add_test(tc, test_record__deprecated_carried_over);
	tcase_add_test(tc, test_record__deprecated_env_error);
	tcase_add_test(tc, test_record__deprecated_env_always);
	tcase_add_test(tc, test_record__deprecated_default_once);

	tc = kvt_tcase(s, "threads", 120);
	tcase_add_test(tc, test_record__threads_lose_no_update);
}

int main(void)
{
	return kvt_main("record", populate);
}
