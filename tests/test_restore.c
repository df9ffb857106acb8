/*
 * tests/test_restore.c - the schema version of a stored record
 * (kv_record_version) and writing a record as validated under an older
 * version (kv_record_restore), which kvtool load and convert build on:
 * round trips, validation under the named version, versions that are not
 * stored, free-form keys, misuse and read-only stores.  Every test runs
 * on every backend of the table in testutil.c.
 */
#include <string.h>

#include "testutil.h"

/* Version 1 requires lr; version 2 adds the required field seed. */
#define RUN_V1                                                              \
	"{\"name\":\"run\",\"version\":1,\"prefix\":\"runs/\",\"fields\":{" \
	"\"lr\":{\"type\":\"float\",\"required\":true}}}"
#define RUN_V2                                                              \
	"{\"name\":\"run\",\"version\":2,\"prefix\":\"runs/\",\"fields\":{" \
	"\"lr\":{\"type\":\"float\",\"required\":true},"                   \
	"\"seed\":{\"type\":\"int\",\"required\":true}}}"
/* Version 4 of the same schema, skipping 3. */
#define RUN_V4                                                              \
	"{\"name\":\"run\",\"version\":4,\"prefix\":\"runs/\",\"fields\":{" \
	"\"lr\":{\"type\":\"float\",\"required\":true},"                   \
	"\"seed\":{\"type\":\"int\",\"required\":true},"                   \
	"\"note\":{\"type\":\"string\"}}}"

#define OLD_REC "{\"lr\":0.5}"
#define NEW_REC "{\"lr\":0.5,\"seed\":7}"

/* A fresh store with versions 1 and 2 of the run schema. */
static kv_db *open_runs(void)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	kvt_expect_rc(db, kv_schema_define(db, RUN_V1), KV_OK);
	kvt_expect_rc(db, kv_schema_define(db, RUN_V2), KV_OK);
	return db;
}

static kv_status restore_str(kv_db *db, const char *key, const char *val,
                             unsigned int version)
{
	return kv_record_restore(db, NULL, key, strlen(key), val, strlen(val),
	                         version);
}

/* The version key is tagged with must be want. */
static void expect_version(kv_db *db, const char *key, unsigned int want)
{
	unsigned int got = 99;

	kvt_assert_ok(db, kv_record_version(&got, db, NULL, key, strlen(key)));
	ck_assert_msg(got == want, "version of %s: got %u, want %u", key, got,
	              want);
}

static unsigned long check_bad(kv_db *db)
{
	unsigned long bad = 99;

	kvt_assert_ok(db, kv_schema_check(&bad, db, NULL, NULL, NULL));
	return bad;
}

START_TEST(test_restore__round_trip)
{
	kv_db *db = open_runs();

	kvt_assert_ok(db, kv_record_put(db, NULL, "runs/a", NEW_REC));
	expect_version(db, "runs/a", 2);
	kvt_assert_ok(db, restore_str(db, "runs/b", NEW_REC, 2));
	expect_version(db, "runs/b", 2);
	kvt_expect_str(db, "runs/b", NEW_REC);
	/* The same record restored again under 1 is tagged 1. */
	kvt_assert_ok(db, restore_str(db, "runs/b", OLD_REC, 1));
	expect_version(db, "runs/b", 1);
	kvt_expect_str(db, "runs/b", OLD_REC);
	kvt_close(db);
	/* The tag survives closing and reopening. */
	db = kvt_open(KV_OPEN_READONLY);
	expect_version(db, "runs/b", 1);
	kvt_close(db);
}
END_TEST

START_TEST(test_restore__old_version_validation)
{
	kv_db *db = open_runs();

	/* Valid under 1, not under 2: the plain put refuses it. */
	kvt_expect_rc(db, kv_record_put(db, NULL, "runs/a", OLD_REC), KV_ESCHEMA);
	kvt_expect_rc(db, restore_str(db, "runs/a", OLD_REC, 2), KV_ESCHEMA);
	kvt_expect_absent(db, "runs/a");
	kvt_assert_ok(db, restore_str(db, "runs/a", OLD_REC, 1));
	ck_assert_uint_eq(check_bad(db), 0);
	/* Version 1 still validates: a wrong type is refused. */
	kvt_expect_rc(db, restore_str(db, "runs/c", "{\"lr\":\"x\"}", 1),
	              KV_ESCHEMA);
	kvt_expect_rc(db, restore_str(db, "runs/c", "[1]", 1), KV_ESCHEMA);
	kvt_expect_absent(db, "runs/c");
	/* Version 0 is a plain put: validated and tagged with 2. */
	kvt_expect_rc(db, restore_str(db, "runs/d", OLD_REC, 0), KV_ESCHEMA);
	kvt_assert_ok(db, restore_str(db, "runs/d", NEW_REC, 0));
	expect_version(db, "runs/d", 2);
	kvt_close(db);
}
END_TEST

START_TEST(test_restore__missing_version)
{
	kv_db *db = open_runs();

	kvt_expect_rc(db, kv_schema_define(db, RUN_V4), KV_OK);
	kvt_expect_rc(db, restore_str(db, "runs/a", NEW_REC, 3), KV_NOTFOUND);
	ck_assert_msg(strstr(kv_db_errmsg(db), "version 3") != NULL,
	              "message does not name the version: %s",
	              kv_db_errmsg(db));
	kvt_expect_rc(db, restore_str(db, "runs/a", NEW_REC, 5), KV_NOTFOUND);
	kvt_expect_absent(db, "runs/a");
	kvt_assert_ok(db, restore_str(db, "runs/a", NEW_REC, 2));
	expect_version(db, "runs/a", 2);
	kvt_close(db);
}
END_TEST

START_TEST(test_restore__free_form_key)
{
	kv_db *db = open_runs();
	static const char key[] = "raw\0key";

	kvt_assert_ok(db, kv_record_restore(db, NULL, key, sizeof key, "\x01",
	                                    1, 0));
	kvt_assert_ok(db, kv_record_restore(db, NULL, "e", 1, NULL, 0, 0));
	kvt_expect_str(db, "e", "");
	kvt_expect_rc(db, restore_str(db, "other", NEW_REC, 1), KV_NOTFOUND);
	kvt_expect_absent(db, "other");
	kvt_put_str(db, "plain", "text");
	expect_version(db, "plain", 0);
	kvt_expect_rc(db, kv_record_version(&(unsigned int){ 0 }, db, NULL,
	                                    "none", 4), KV_NOTFOUND);
	kvt_close(db);
}
END_TEST

START_TEST(test_restore__in_txn)
{
	kv_db *db = open_runs();
	unsigned int v = 0;
	kv_txn *txn;

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_ok(db, kv_record_restore(db, txn, "runs/a", 6, OLD_REC,
	                                    strlen(OLD_REC), 1));
	kvt_assert_ok(db, kv_record_version(&v, db, txn, "runs/a", 6));
	ck_assert_uint_eq(v, 1);
	kv_txn_abort(txn);
	kvt_expect_absent(db, "runs/a");
	kvt_close(db);
}
END_TEST

START_TEST(test_restore__null_args)
{
	kv_db *db = open_runs();
	unsigned int v;

	kvt_check_einval(kv_record_version(NULL, db, NULL, "k", 1), db,
	                 "kv_record_version");
	kvt_check_einval(kv_record_version(&v, db, NULL, NULL, 1), db,
	                 "kv_record_version");
	kvt_check_einval(kv_record_version(&v, NULL, NULL, "k", 1), NULL,
	                 "kv_record_version");
	kvt_check_einval(kv_record_restore(db, NULL, NULL, 1, "{}", 2, 1), db,
	                 "kv_record_restore");
	kvt_check_einval(kv_record_restore(db, NULL, "runs/a", 6, NULL, 2, 1),
	                 db, "kv_record_restore");
	kvt_check_einval(kv_record_restore(NULL, NULL, "runs/a", 6, "{}", 2, 1),
	                 NULL, "kv_record_restore");
	kvt_check_einval(kv_record_restore(db, NULL, "", 0, "{}", 2, 1), db,
	                 "kv_record_restore");
	kvt_expect_absent(db, "runs/a");
	kvt_close(db);
}
END_TEST

START_TEST(test_restore__read_only)
{
	kv_db *db = open_runs();
	kv_txn *txn;

	kvt_assert_ok(db, restore_str(db, "runs/a", OLD_REC, 1));
	kvt_assert_ok(db, kv_txn_begin(&txn, db, KV_TXN_READONLY));
	kvt_expect_rc(db, kv_record_restore(db, txn, "runs/b", 6, OLD_REC,
	                                    strlen(OLD_REC), 1), KV_EREADONLY);
	kv_txn_abort(txn);
	kvt_close(db);
	db = kvt_open(KV_OPEN_READONLY);
	kvt_expect_rc(db, restore_str(db, "runs/b", OLD_REC, 1), KV_EREADONLY);
	kvt_expect_absent(db, "runs/b");
	expect_version(db, "runs/a", 1);
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "restore", 60);

	tcase_add_test(tc, test_restore__round_trip);
	tcase_add_test(tc, test_restore__old_version_validation);
	tcase_add_test(tc, test_restore__missing_version);
	tcase_add_test(tc, test_restore__free_form_key);
	tcase_add_test(tc, test_restore__in_txn);
	tcase_add_test(tc, test_restore__null_args);
	tcase_add_test(tc, test_restore__read_only);
}

int main(void)
{
	return kvt_main("restore", populate);
}
