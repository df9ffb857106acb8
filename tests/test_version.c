/*
 * tests/test_version.c - the versioned API: kv_version() against the
 * headers' KV_VERSION_*, and the deprecated kv_record_del_field: it keeps
 * working, and its calls report KV_WARN_DEPRECATED_API through the warning
 * channel in each KV_WARNINGS mode.  That the compiler warns at its call
 * sites and that KV_API_LEVEL hides it is tests/deprecated.test.  Every
 * test runs on every backend of the table in testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/lifecycle.h"
#include "kv/record.h"
#include "kv/schema.h"
#include "kv/warnings.h"
#include "testutil.h"

/* Calls of the deprecated function are what this suite tests. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#define RUN_SCHEMA                                                         \
	"{\"name\":\"run\",\"version\":1,\"prefix\":\"runs/\",\"fields\":{" \
	"\"lr\":{\"type\":\"float\",\"required\":true,\"readonly\":true}," \
	"\"loss\":{\"type\":\"float\"},\"note\":{\"type\":\"string\"}}}"
#define RECORD "{\"lr\":0.5,\"loss\":1.5,\"note\":\"a\"}"

/* A store with the run schema and RECORD at runs/1; warnings captured
 * under mode (KV_WARNINGS_DEFAULT: the environment decides). */
static kv_db *open_with_record(kv_warnings_mode mode)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	kvt_expect_rc(db, kv_schema_define(db, RUN_SCHEMA), KV_OK);
	kvt_expect_rc(db, kv_record_put(db, NULL, "runs/1", RECORD), KV_OK);
	kvt_warnings_capture(mode);
	return db;
}

/* Is every test in a process of its own?  "once" and $KV_WARNINGS hold
 * for the whole process. */
static int forked(void)
{
	const char *f = getenv("CK_FORK");

	return f == NULL || strcmp(f, "no") != 0;
}

static void expect_record(kv_db *db, const char *want)
{
	char *got = NULL;

	kvt_expect_rc(db, kv_record_get(&got, db, NULL, "runs/1"), KV_OK);
	ck_assert_msg(strcmp(got, want) == 0, "runs/1 is %s, want %s", got,
	              want);
	kv_free(got);
}

/* calls warnings so far, each naming the function and its replacement. */
static void expect_warnings(int calls)
{
	ck_assert_msg(kvt_warned.calls == calls, "%d warnings, want %d (last: %s)",
	              kvt_warned.calls, calls, kvt_warned.msg);
	if (calls == 0)
		return;
	ck_assert_msg(kvt_warned.kind == KV_WARN_DEPRECATED_API,
	              "warning kind %d, want KV_WARN_DEPRECATED_API",
	              (int)kvt_warned.kind);
	ck_assert_msg(strstr(kvt_warned.msg, "kv_record_del_field") &&
	                      strstr(kvt_warned.msg, "kv_record_replace") &&
	                      strstr(kvt_warned.msg, "0.2"),
	              "warning '%s' does not name the function, its "
	              "replacement and the version", kvt_warned.msg);
}

START_TEST(test_version__numbers)
{
	char text[32];

	ck_assert_msg(kv_version() == (unsigned long)KV_VERSION_NUMBER,
	              "kv_version() 0x%06lx, headers 0x%06lx", kv_version(),
	              (unsigned long)KV_VERSION_NUMBER);
	ck_assert_msg(KV_VERSION_NUMBER == KV_MAKE_VERSION(KV_VERSION_MAJOR,
	                                                   KV_VERSION_MINOR,
	                                                   KV_VERSION_PATCH),
	              "KV_VERSION_NUMBER is not KV_MAKE_VERSION of its parts");
	snprintf(text, sizeof text, "%d.%d.%d", KV_VERSION_MAJOR,
	         KV_VERSION_MINOR, KV_VERSION_PATCH);
	ck_assert_str_eq(kv_version_string(), text);
	ck_assert_str_eq(KV_VERSION_STRING, text);
	ck_assert_msg(KV_MAKE_VERSION(0, 2, 0) < KV_MAKE_VERSION(0, 10, 0) &&
	                      KV_MAKE_VERSION(0, 255, 255) <
	                              KV_MAKE_VERSION(1, 0, 0),
	              "KV_MAKE_VERSION does not order versions");
}
END_TEST

/* The shim still does its job, and refuses what kv_record_replace does. */
START_TEST(test_version__deprecated_still_works)
{
	kv_db *db = open_with_record(KV_WARNINGS_IGNORE);

	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/1", "note"),
	              KV_OK);
	expect_record(db, "{\"lr\":0.5,\"loss\":1.5}");
	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/1", "lr"),
	              KV_EREADONLY);
	kvt_expect_msg(db, "removing write-once lr", "lr", NULL);
	expect_record(db, "{\"lr\":0.5,\"loss\":1.5}");
	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/2", "loss"),
	              KV_NOTFOUND);
	kvt_expect_absent(db, "runs/2");
	expect_warnings(0);
	kvt_close(db);
}
END_TEST

START_TEST(test_version__deprecated_once)
{
	kv_db *db;

	if (!forked())
		return;
	db = open_with_record(KV_WARNINGS_ONCE);
	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/1", "note"),
	              KV_OK);
	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/1", "loss"),
	              KV_OK);
	expect_warnings(1);
	expect_record(db, "{\"lr\":0.5}");
	kvt_close(db);
}
END_TEST

START_TEST(test_version__deprecated_always)
{
	kv_db *db = open_with_record(KV_WARNINGS_ALWAYS);

	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/1", "note"),
	              KV_OK);
	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/1", "loss"),
	              KV_OK);
	expect_warnings(2);
	kvt_close(db);
}
END_TEST

/* Mode error: the call fails, names what to use instead, writes nothing. */
START_TEST(test_version__deprecated_error)
{
	kv_db *db = open_with_record(KV_WARNINGS_ERROR);

	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/1", "note"),
	              KV_EDEPRECATED);
	kvt_expect_msg(db, "refused deprecated call", "kv_record_del_field",
	               "kv_record_replace", "KV_WARNINGS=error", NULL);
	expect_record(db, RECORD);
	expect_warnings(0);
	kvt_close(db);
}
END_TEST

/* $KV_WARNINGS decides when the program sets no mode. */
START_TEST(test_version__deprecated_env_error)
{
	kv_db *db;

	if (!forked())
		return;
	setenv("KV_WARNINGS", "error", 1);
	db = open_with_record(KV_WARNINGS_DEFAULT);
	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/1", "note"),
	              KV_EDEPRECATED);
	expect_record(db, RECORD);
	kvt_close(db);
}
END_TEST

START_TEST(test_version__deprecated_misuse)
{
	kv_db *db = open_with_record(KV_WARNINGS_ALWAYS);

	kvt_expect_einval(NULL, kv_record_del_field(NULL, NULL, "runs/1", "lr"));
	kvt_expect_einval(db, kv_record_del_field(db, NULL, NULL, "lr"));
	kvt_expect_einval(db, kv_record_del_field(db, NULL, "runs/1", NULL));
	expect_record(db, RECORD);
	kvt_close(db);
}
END_TEST

/* After finalisation the deprecated call fails like every other. */
START_TEST(test_version__deprecated_after_shutdown)
{
	kv_db *db;

	if (!forked())
		return;
	db = open_with_record(KV_WARNINGS_ALWAYS);
	kv_shutdown();
	kvt_expect_rc(db, kv_record_del_field(db, NULL, "runs/1", "note"),
	              KV_EFINALIZING);
	expect_warnings(0);
	kv_db_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "version", 60);

	tcase_add_test(tc, test_version__numbers);
	tcase_add_test(tc, test_version__deprecated_still_works);
	tcase_add_test(tc, test_version__deprecated_once);
	tcase_add_test(tc, test_version__deprecated_always);
	tcase_add_test(tc, test_version__deprecated_error);
	tcase_add_test(tc, test_version__deprecated_env_error);
	tcase_add_test(tc, test_version__deprecated_misuse);
	tcase_add_test(tc, test_version__deprecated_after_shutdown);
}

int main(void)
{
	return kvt_main("version", populate);
}
