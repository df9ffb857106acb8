/*
 * tests/test_db.c - stores as a whole (kv.h): opening, reopening, open flags and
 * modes, missing, foreign and damaged files, backend detection, truncate,
 * stat, sync and durability, status names, misuse of kv_db_*.  Every test
 * runs on every backend of the table in testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "testutil.h"

/* ------------------------------------------------------------------ */
/* Opening and reopening.                                               */

START_TEST(test_db__reopen_keeps_data)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	kvt_put_str(db, "model/name", "resnet50");
	kvt_put_str(db, "model/epochs", "90");
	kvt_close(db);

	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "model/name", "resnet50");
	kvt_expect_str(db, "model/epochs", "90");
	kvt_put_str(db, "model/epochs", "120");
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	kvt_expect_str(db, "model/name", "resnet50");
	kvt_expect_str(db, "model/epochs", "120");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__backend_and_path)
{
	char path[KVT_PATH_MAX], uri[KVT_PATH_MAX];
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	ck_assert_str_eq(kv_db_backend(db), kvt_backend);
	if (kvt_files())
		kvt_path(path, "store");
	else /* the URI without its scheme */
		strcpy(path, strchr(kvt_uri(uri, "store"), ':') + 1);
	ck_assert_str_eq(kv_db_path(db), path);
	kvt_close(db);
}
END_TEST

START_TEST(test_db__readonly_open)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	static const kvt_bytes keys[] = { KVT_B("k") };

	kvt_put_str(db, "k", "v");
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	kvt_assert_status(kv_db_put(db, "k", 1, "w", 1, 0), KV_EREADONLY);
	ck_assert_msg(kv_db_errmsg(db)[0] != '\0', "no message for EREADONLY");
	kvt_assert_status(kv_db_put(db, "n", 1, "w", 1, KV_PUT_NOOVERWRITE),
	                  KV_EREADONLY);
	kvt_assert_status(kv_db_del(db, "k", 1), KV_EREADONLY);
	kvt_expect_str(db, "k", "v");
	kvt_expect_absent(db, "n");
	kvt_expect_iter(db, NULL, NULL, 0, keys, NULL, 1);

	/* A read transaction refuses writes as well. */
	kvt_assert_ok(db, kv_txn_begin(&txn, db, KV_TXN_READONLY));
	kvt_txn_expect_str(txn, "k", "v");
	kvt_assert_status(kv_txn_put(txn, "k", 1, "w", 1, 0), KV_EREADONLY);
	kvt_assert_status(kv_txn_del(txn, "k", 1), KV_EREADONLY);
	kv_txn_abort(txn);
	kvt_close(db);

	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "k", "v");
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Files: missing, foreign, damaged; backend detection; modes.          */

/* Is the directory empty (apart from . and ..)? */
static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	ck_assert_msg(d != NULL, "opendir(%s): %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* Try uri with flags; expect want, a message naming path, no handle. */
static void expect_open_fails(const char *uri, const char *path,
                              unsigned int flags, kv_status want)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_db *db = NULL;
	kv_status rc;
	const char *msg;

	opts.flags = flags;
	rc = kv_db_open(&db, uri, &opts);
	if (rc == KV_OK)
		kv_db_close(db);
	ck_assert_msg(rc == want, "open %s (flags %#x): got %s, want %s", uri,
	              flags, kv_strerror(rc), kv_strerror(want));
	ck_assert_ptr_null(db);
	msg = kv_errmsg();
	ck_assert_msg(msg != NULL && strstr(msg, path) != NULL,
	              "open %s: message '%s' does not name the file", uri,
	              msg ? msg : "(null)");
}

/* Every way to name path: plain, and each backend's URI. */
static void expect_open_fails_all(const char *path, unsigned int flags,
                                  kv_status want)
{
	char uri[KVT_PATH_MAX + 16];
	size_t i;

	expect_open_fails(path, path, flags, want);
	for (i = 0; kvt_backends[i] != NULL; i++) {
		if (!kvt_file_backend(kvt_backends[i]))
			continue;
		snprintf(uri, sizeof uri, "%s:%s", kvt_backends[i], path);
		expect_open_fails(uri, path, flags, want);
	}
}

/* The file at path must still hold exactly len bytes of data. */
static void expect_file_unchanged(const char *path, const unsigned char *data,
                                  size_t len)
{
	unsigned char *after = malloc(len);
	FILE *f = fopen(path, "rb");

	ck_assert_ptr_nonnull(after);
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(fread(after, 1, len, f) == len && fgetc(f) == EOF,
	              "%s changed size after failed opens", path);
	fclose(f);
	ck_assert_msg(memcmp(data, after, len) == 0,
	              "a failed open modified %s", path);
	free(after);
}

/* postgresql: the table name in the URI kvt_uri() gives name, which
 * messages name as the file backends' name their file. */
static const char *pg_table(char *buf, const char *name)
{
	return strstr(kvt_uri(buf, name), "table=") + 6;
}

/* postgresql: a table of another program (sql makes it and puts one row
 * in) is no store, whatever the flags, and stays as it was. */
static void pg_foreign_table(const char *sql)
{
	static const unsigned int flags[] = {
		KV_OPEN_READWRITE, KV_OPEN_READONLY, KV_OPEN_CREATE,
		KV_OPEN_TRUNCATE
	};
	char uri[KVT_PATH_MAX], name[KVT_PATH_MAX];
	size_t i;

	kvt_pg_sql("foreign", sql);
	for (i = 0; i < KVT_NELEM(flags); i++)
		expect_open_fails(kvt_uri(uri, "foreign"),
		                  pg_table(name, "foreign"), flags[i],
		                  KV_EFORMAT);
	/* Division by zero unless the one row is still there. */
	kvt_pg_sql("foreign", "SELECT 1 / (SELECT CASE count(*) WHEN 1 THEN 1"
	           " ELSE 0 END FROM @T)");
}

START_TEST(test_db__missing_enoent)
{
	char path[KVT_PATH_MAX];
	struct stat sb;

	if (!kvt_files()) {
		/* A missing table; the second open finds none made either. */
		char uri[KVT_PATH_MAX];
		const char *table = pg_table(path, "missing");

		expect_open_fails(kvt_uri(uri, "missing"), table,
		                  KV_OPEN_READWRITE, KV_ENOENT);
		expect_open_fails(uri, table, KV_OPEN_READONLY, KV_ENOENT);
		return;
	}

	kvt_path(path, "missing");
	expect_open_fails_all(path, KV_OPEN_READWRITE, KV_ENOENT);
	expect_open_fails_all(path, KV_OPEN_READONLY, KV_ENOENT);
	ck_assert_msg(stat(path, &sb) != 0 && errno == ENOENT,
	              "a failed open created %s", path);
	ck_assert_msg(dir_is_empty(kvt_dir),
	              "a failed open left files in %s", kvt_dir);
}
END_TEST

START_TEST(test_db__open_directory)
{
	char path[KVT_PATH_MAX];

	if (!kvt_files())
		return; /* no directory: a table name is just a name */

	kvt_path(path, "adir");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	expect_open_fails_all(path, KV_OPEN_READWRITE, KV_EFORMAT);
	expect_open_fails_all(path, KV_OPEN_READONLY, KV_EFORMAT);
	expect_open_fails_all(path, KV_OPEN_CREATE, KV_EFORMAT);
	ck_assert_msg(dir_is_empty(path), "a failed open wrote into %s", path);
}
END_TEST

START_TEST(test_db__open_empty_file)
{
	char path[KVT_PATH_MAX];
	struct stat sb;

	if (!kvt_files())
		return; /* the server creates a table in one transaction: no empty remains */

	kvt_path(path, "empty");
	kvt_write_file(path, "", 0);
	expect_open_fails_all(path, KV_OPEN_READWRITE, KV_EFORMAT);
	expect_open_fails_all(path, KV_OPEN_READONLY, KV_EFORMAT);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_msg(sb.st_size == 0, "a failed open wrote %lld bytes to %s",
	              (long long)sb.st_size, path);
	{
		/* With create, an empty file (a creation cut short) becomes a
		 * new store of the backend named, or the default. */
		char uri[KVT_PATH_MAX + 16];
		kv_open_options opts = KV_OPEN_OPTIONS_INIT;
		kv_db *db = NULL;

		snprintf(uri, sizeof uri, "%s:%s", kvt_backend, path);
		kvt_expect_rc(db, kv_db_open(&db, uri, &opts), KV_OK);
		kvt_put_str(db, "k", "v");
		kvt_close(db);
		db = NULL;
		opts.flags = KV_OPEN_READONLY;
		kvt_expect_rc(db, kv_db_open(&db, path, &opts), KV_OK);
		ck_assert_str_eq(kv_db_backend(db), kvt_backend);
		kvt_expect_str(db, "k", "v");
		kvt_close(db);
	}
}
END_TEST

START_TEST(test_db__open_random_bytes)
{
	const size_t len = 16384;
	unsigned char *data;
	char path[KVT_PATH_MAX];

	if (!kvt_files()) {
		/* Foreign bytes: another program's table by that name. */
		pg_foreign_table("CREATE TABLE @T (a int, b text);"
		                 " INSERT INTO @T VALUES (1, 'x')");
		return;
	}
	data = malloc(len);

	ck_assert_ptr_nonnull(data);
	kvt_fill_random(data, len, 42);
	kvt_path(path, "noise");
	kvt_write_file(path, data, len);
	expect_open_fails_all(path, KV_OPEN_READWRITE, KV_EFORMAT);
	expect_open_fails_all(path, KV_OPEN_READONLY, KV_EFORMAT);
	/* "Create if absent" must not overwrite a foreign file. */
	expect_open_fails_all(path, KV_OPEN_CREATE, KV_EFORMAT);

	expect_file_unchanged(path, data, len);
	free(data);
}
END_TEST

/* Open name with flags: a damaged store is KV_EFORMAT or KV_ECORRUPT,
 * never success or misuse, and the message names path. */
static void expect_damaged_fails_one(const char *name, const char *path,
                                     unsigned int flags)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_db *db = NULL;
	kv_status rc;
	const char *msg;

	opts.flags = flags;
	rc = kv_db_open(&db, name, &opts);
	if (rc == KV_OK)
		kv_db_close(db);
	msg = kv_errmsg();
	ck_assert_msg(rc == KV_EFORMAT || rc == KV_ECORRUPT,
	              "open %s (flags %#x): got %s, want KV_EFORMAT or "
	              "KV_ECORRUPT (message: %s)", name, flags, kv_strerror(rc),
	              msg);
	ck_assert_msg(strstr(msg, path) != NULL,
	              "open %s: message '%s' does not name the file", name, msg);
}

/* The same for the plain path and each backend's URI. */
static void expect_damaged_fails(const char *path, unsigned int flags)
{
	char uri[KVT_PATH_MAX + 16];
	size_t i;

	expect_damaged_fails_one(path, path, flags);
	for (i = 0; kvt_backends[i] != NULL; i++) {
		if (!kvt_file_backend(kvt_backends[i]))
			continue;
		snprintf(uri, sizeof uri, "%s:%s", kvt_backends[i], path);
		expect_damaged_fails_one(uri, path, flags);
	}
}

/* Noise behind each backend's magic, so the probe accepts the file and
 * the backend itself must reject what follows. */
START_TEST(test_db__open_damaged_store)
{
	const size_t len = 16384;
	unsigned char *data;
	char path[KVT_PATH_MAX];
	unsigned long long seed;

	if (!kvt_files()) {
		/* A store's column names, other types: the magic is right,
		 * what follows is not. */
		pg_foreign_table("CREATE TABLE @T (ns int, key text, value text,"
		                 " tag text); INSERT INTO @T VALUES (0, 'k', 'v',"
		                 " NULL)");
		return;
	}
	data = malloc(len);

	ck_assert_ptr_nonnull(data);
	for (seed = 1; seed <= 8; seed++) {
		size_t off;

		kvt_fill_random(data, len, seed);
		if (seed % 2) {
			memcpy(data, "SQLite format 3", 16);
		} else {
			/* LMDB meta pages 0 and 1: P_META flags, magic,
			 * version 1 (little-endian). */
			for (off = 0; off <= 4096; off += 4096) {
				static const unsigned char meta[] = {
					0xde, 0xc0, 0xef, 0xbe, 1, 0, 0, 0
				};
				data[off + 10] = 0x08;
				data[off + 11] = 0x00;
				memcpy(data + off + 16, meta, sizeof meta);
			}
		}
		snprintf(path, sizeof path, "%s/damaged%llu", kvt_dir, seed);
		kvt_write_file(path, data, len);
		expect_damaged_fails(path, KV_OPEN_READWRITE);
		expect_damaged_fails(path, KV_OPEN_READONLY);
		expect_damaged_fails(path, KV_OPEN_CREATE);

		expect_file_unchanged(path, data, len);
	}
	free(data);
}
END_TEST

START_TEST(test_db__wrong_backend_uri)
{
	char path[KVT_PATH_MAX], uri[KVT_PATH_MAX + 16];
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	size_t i;

	if (!kvt_files())
		return; /* a server URI is no file another backend could be named for */

	kvt_put_str(db, "k", "v");
	kvt_close(db);
	kvt_path(path, "store");
	for (i = 0; kvt_backends[i] != NULL; i++) {
		if (strcmp(kvt_backends[i], kvt_backend) == 0 ||
		    !kvt_file_backend(kvt_backends[i]))
			continue;
		snprintf(uri, sizeof uri, "%s:%s", kvt_backends[i], path);
		expect_open_fails(uri, path, KV_OPEN_READWRITE, KV_EFORMAT);
		expect_open_fails(uri, path, KV_OPEN_CREATE, KV_EFORMAT);
		expect_open_fails(uri, path, KV_OPEN_READONLY, KV_EFORMAT);
	}
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "k", "v");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__truncate)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_stat st = KV_STAT_INIT;

	kvt_put_str(db, "a", "1");
	kvt_put_str(db, "b", "2");
	kvt_put_str(db, "c", "3");
	kvt_close(db);

	db = kvt_open(KV_OPEN_TRUNCATE);
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 0, "count after truncate %llu", st.count);
	kvt_expect_absent(db, "a");
	kvt_expect_iter(db, NULL, NULL, 0, NULL, NULL, 0);
	kvt_put_str(db, "new", "x");
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	ck_assert_str_eq(kv_db_backend(db), kvt_backend);
	kvt_expect_iter(db, NULL, NULL, 0, (const kvt_bytes[]){ KVT_B("new") }, NULL, 1);
	kvt_close(db);

	/* Truncate also creates a missing store. */
	{
		char uri[KVT_PATH_MAX];
		kv_open_options opts = KV_OPEN_OPTIONS_INIT;

		opts.flags = KV_OPEN_TRUNCATE;
		db = NULL;
		kvt_assert_ok(db, kv_db_open(&db, kvt_uri(uri, "fresh"), &opts));
		kvt_put_str(db, "x", "y");
		kvt_close(db);
	}
}
END_TEST

START_TEST(test_db__plain_path_new_is_sqlite)
{
	char path[KVT_PATH_MAX];
	kv_db *db = NULL;

	kvt_path(path, "plain.db");
	kvt_assert_ok(db, kv_db_open(&db, path, NULL));
	ck_assert_str_eq(kv_db_backend(db), "sqlite");
	ck_assert_str_eq(kv_db_path(db), path);
	kvt_put_str(db, "k", "v");
	kvt_close(db);

	db = NULL;
	kvt_assert_ok(db, kv_db_open(&db, path, NULL));
	ck_assert_str_eq(kv_db_backend(db), "sqlite");
	kvt_expect_str(db, "k", "v");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__plain_path_detects_backend)
{
	char path[KVT_PATH_MAX];
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	unsigned int flags[] = { KV_OPEN_READWRITE, KV_OPEN_READONLY,
	                         KV_OPEN_CREATE };
	size_t i;

	if (!kvt_files())
		return; /* a server store has no plain path */

	kvt_put_str(db, "k", "v");
	kvt_close(db);

	kvt_path(path, "store");
	for (i = 0; i < KVT_NELEM(flags); i++) {
		db = NULL;
		opts.flags = flags[i];
		kvt_assert_ok(db, kv_db_open(&db, path, &opts));
		ck_assert_msg(strcmp(kv_db_backend(db), kvt_backend) == 0,
		              "plain path (flags %#x) detected as %s, made by %s",
		              flags[i], kv_db_backend(db), kvt_backend);
		ck_assert_str_eq(kv_db_path(db), path);
		kvt_expect_str(db, "k", "v");
		kvt_close(db);
	}
}
END_TEST

/* Mode bits of the store file made with this opts.mode (0: default). */
static unsigned int new_store_mode(unsigned int mode)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	char path[KVT_PATH_MAX];
	struct stat sb;
	mode_t old = umask(022);
	kv_db *db;

	opts.mode = mode;
	db = kvt_open_opts(&opts);
	kvt_put_str(db, "k", "v");
	kvt_close(db);
	umask(old);
	ck_assert_int_eq(stat(kvt_path(path, "store"), &sb), 0);
	return (unsigned int)(sb.st_mode & 07777);
}

START_TEST(test_db__file_mode_default)
{
	unsigned int m;

	if (!kvt_files())
		return; /* no file: the server's GRANTs decide who reads */
	m = new_store_mode(0);

	ck_assert_msg(m == 0600, "default mode %04o, want 0600", m);
}
END_TEST

START_TEST(test_db__file_mode_option)
{
	unsigned int m;

	if (!kvt_files())
		return; /* no file: the server's GRANTs decide who reads */
	m = new_store_mode(0640);

	ck_assert_msg(m == 0640, "mode %04o, want 0640", m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Misuse of kv_db_*.                                                   */

START_TEST(test_db__null_args_open)
{
	char uri[KVT_PATH_MAX];
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_db *db = NULL;
	kv_db *none = NULL;

	kvt_uri(uri, "store");
	kvt_expect_einval(none, kv_db_open(NULL, uri, NULL));
	kvt_expect_einval(none, kv_db_open(&db, NULL, NULL));
	ck_assert_ptr_null(db);
	opts.flags = 0x100;
	kvt_expect_einval(none, kv_db_open(&db, uri, &opts));
	ck_assert_ptr_null(db);

	/* Destructors and accessors take NULL without crashing (those of
	 * kv_txn_* and kv_iter_* are tried in their own suites). */
	kv_db_close(NULL);
	kv_free(NULL);
	ck_assert_ptr_nonnull(kv_db_errmsg(NULL));
	(void)kv_db_backend(NULL);
	(void)kv_db_path(NULL);
}
END_TEST

START_TEST(test_db__null_args)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_db *none = NULL;
	kv_stat st = KV_STAT_INIT;
	void *v = NULL;
	size_t vl = 0;

	kvt_put_str(db, "k", "v");
	kvt_expect_einval(none, kv_db_get(&v, &vl, NULL, "k", 1));
	kvt_expect_einval(db, kv_db_get(NULL, &vl, db, "k", 1));
	kvt_expect_einval(db, kv_db_get(&v, NULL, db, "k", 1));
	kvt_expect_einval(db, kv_db_get(&v, &vl, db, NULL, 1));
	ck_assert_ptr_null(v);
	kvt_expect_einval(none, kv_db_put(NULL, "k", 1, "v", 1, 0));
	kvt_expect_einval(db, kv_db_put(db, NULL, 1, "v", 1, 0));
	kvt_expect_einval(db, kv_db_put(db, "k", 1, NULL, 1, 0));
	kvt_expect_einval(db, kv_db_put(db, "k", 1, "v", 1, 0x80));
	kvt_expect_einval(none, kv_db_del(NULL, "k", 1));
	kvt_expect_einval(db, kv_db_del(db, NULL, 1));
	kvt_expect_einval(none, kv_db_sync(NULL));
	kvt_expect_einval(db, kv_db_stat(NULL, db));
	kvt_expect_einval(none, kv_db_stat(&st, NULL));
	/* None of it touched the data. */
	kvt_expect_str(db, "k", "v");
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Durability, counters, status names.                                  */

START_TEST(test_db__batched_durability)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_stat st = KV_STAT_INIT;
	kv_txn *txn = NULL;
	char k[32], v[32];
	kv_db *db;
	int i;

	opts.durability = KV_DURABLE_BATCHED;
	opts.sync_interval_ms = 50;
	db = kvt_open_opts(&opts);
	for (i = 0; i < 300; i++) {
		snprintf(k, sizeof k, "metric/%04d", i);
		snprintf(v, sizeof v, "%d.5", i);
		kvt_put_str(db, k, v);
	}
	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	for (i = 300; i < 400; i++) {
		int kl = snprintf(k, sizeof k, "metric/%04d", i);
		int vl = snprintf(v, sizeof v, "%d.5", i);
		kvt_assert_ok(db, kv_txn_put(txn, k, (size_t)kl, v,
		                             (size_t)vl, 0));
	}
	kvt_assert_ok(db, kv_txn_commit(txn));
	kvt_assert_ok(db, kv_db_sync(db));
	/* Commits after the last explicit sync are flushed by close. */
	for (i = 400; i < 500; i++) {
		snprintf(k, sizeof k, "metric/%04d", i);
		snprintf(v, sizeof v, "%d.5", i);
		kvt_put_str(db, k, v);
	}
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	for (i = 0; i < 500; i++) {
		snprintf(k, sizeof k, "metric/%04d", i);
		snprintf(v, sizeof v, "%d.5", i);
		kvt_expect_str(db, k, v);
	}
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 500, "count %llu, want 500", st.count);
	kvt_close(db);

	/* Syncing a default (synchronous) store is harmless. */
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_assert_ok(db, kv_db_sync(db));
	kvt_close(db);
}
END_TEST

START_TEST(test_db__stat_count)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_stat st = KV_STAT_INIT;
	char k[16];
	int i;

	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 0, "new store count %llu", st.count);
	ck_assert_uint_eq(st.version, KV_STAT_VERSION);
	for (i = 0; i < 10; i++) {
		snprintf(k, sizeof k, "key%d", i);
		kvt_put_str(db, k, "v");
	}
	kvt_put_str(db, "key3", "overwritten");
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 10, "count %llu, want 10", st.count);
	ck_assert_msg(st.file_size > 0, "file_size 0 for a store with data");
	kvt_assert_ok(db, kv_db_del(db, "key5", 4));
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 9, "count %llu after delete, want 9",
	              st.count);
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 9, "count %llu after reopen, want 9",
	              st.count);
	kvt_close(db);
}
END_TEST

START_TEST(test_db__strerror_names)
{
	static const char *const names[] = {
		"KV_OK", "KV_NOTFOUND", "KV_EXISTS", "KV_EREADONLY",
		"KV_ESCHEMA", "KV_ECORRUPT", "KV_EFINALIZING", "KV_EFORKED",
		"KV_EBUSY", "KV_EFULL", "KV_EINVAL", "KV_EIO", "KV_ENOMEM",
		"KV_EFORMAT", "KV_ENOENT", "KV_ETOOBIG"
	};
	const char *s[KVT_NELEM(names)];
	const char *unknown;
	size_t i, j;

	for (i = 0; i < KVT_NELEM(names); i++) {
		s[i] = kv_strerror((kv_status)i);
		ck_assert_msg(s[i] != NULL && s[i][0] != '\0',
		              "kv_strerror(%zu) empty", i);
		ck_assert_msg(strstr(s[i], names[i]) != NULL,
		              "kv_strerror(%zu) = '%s' does not name %s", i, s[i],
		              names[i]);
	}
	for (i = 0; i < KVT_NELEM(names); i++)
		for (j = i + 1; j < KVT_NELEM(names); j++)
			ck_assert_msg(strcmp(s[i], s[j]) != 0,
			              "kv_strerror(%zu) == kv_strerror(%zu)", i, j);
	unknown = kv_strerror((kv_status)999);
	ck_assert_msg(unknown != NULL && unknown[0] != '\0',
	              "kv_strerror(999) empty");
	unknown = kv_strerror((kv_status)-1);
	ck_assert_msg(unknown != NULL && unknown[0] != '\0',
	              "kv_strerror(-1) empty");
}
END_TEST

/* Compaction: a backend that can compact gives the space of deleted
 * records back; one that cannot says so with KV_EINVAL.  Either way the
 * records, the digest and the handle are as before. */
START_TEST(test_db__compact)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	kv_stat before = KV_STAT_INIT, after = KV_STAT_INIT;
	char k[16], v[1000];
	kv_txn *txn = NULL;
	kv_status st;
	int i;

	memset(v, 'v', sizeof v);
	for (i = 0; i < 2000; i++) {
		snprintf(k, sizeof k, "k%05d", i);
		kvt_assert_ok(db, kv_db_put(db, k, strlen(k), v, sizeof v, 0));
	}
	for (i = 1; i < 2000; i++) {
		snprintf(k, sizeof k, "k%05d", i);
		kvt_assert_ok(db, kv_db_del(db, k, strlen(k)));
	}
	kvt_assert_ok(db, kv_db_stat(&before, db));
	st = kv_db_compact(db);
	if (st == KV_OK) {
		kvt_assert_ok(db, kv_db_stat(&after, db));
		ck_assert_msg(after.file_size < before.file_size,
		              "compact left %llu bytes of %llu",
		              after.file_size, before.file_size);
	} else {
		ck_assert_int_eq(st, KV_EINVAL);
		ck_assert_msg(strstr(kv_db_errmsg(db), "cannot compact"),
		              "message: %s", kv_db_errmsg(db));
	}
	{
		void *got = NULL;
		size_t len = 0;

		kvt_assert_ok(db, kv_db_get(&got, &len, db, "k00000", 6));
		ck_assert(len == sizeof v && memcmp(got, v, len) == 0);
		kv_free(got);
	}
	kvt_assert_ok(db, kv_db_stat(&after, db));
	ck_assert_msg(after.count == 1, "count %llu, want 1", after.count);
	kvt_assert_ok(db, kv_db_verify(&rep, db, NULL, NULL, NULL));
	ck_assert(rep.digest_ok && rep.corrupt == 0 && rep.records == 1);
	kvt_put_str(db, "after", "compact");
	kvt_expect_str(db, "after", "compact");

	/* Not under this thread's own write transaction, not on NULL. */
	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	if (st == KV_OK)
		ck_assert_int_eq(kv_db_compact(db), KV_EBUSY);
	kv_txn_abort(txn);
	ck_assert_int_eq(kv_db_compact(NULL), KV_EINVAL);
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	ck_assert_int_eq(kv_db_compact(db), KV_EREADONLY);
	kvt_expect_str(db, "after", "compact");
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc;

	tc = kvt_tcase(s, "open", 30);
	tcase_add_test(tc, test_db__reopen_keeps_data);
	tcase_add_test(tc, test_db__backend_and_path);
	tcase_add_test(tc, test_db__readonly_open);

	tc = kvt_tcase(s, "files", 30);
	tcase_add_test(tc, test_db__missing_enoent);
	tcase_add_test(tc, test_db__open_directory);
	tcase_add_test(tc, test_db__open_empty_file);
	tcase_add_test(tc, test_db__open_random_bytes);
	tcase_add_test(tc, test_db__open_damaged_store);
	tcase_add_test(tc, test_db__wrong_backend_uri);
	tcase_add_test(tc, test_db__truncate);
	tcase_add_test(tc, test_db__plain_path_new_is_sqlite);
	tcase_add_test(tc, test_db__plain_path_detects_backend);
	tcase_add_test(tc, test_db__file_mode_default);
	tcase_add_test(tc, test_db__file_mode_option);

	tc = kvt_tcase(s, "misuse", 30);
	tcase_add_test(tc, test_db__null_args_open);
	tcase_add_test(tc, test_db__null_args);

	tc = kvt_tcase(s, "core", 30);
	tcase_add_test(tc, test_db__batched_durability);
	tcase_add_test(tc, test_db__stat_count);
	tcase_add_test(tc, test_db__strerror_names);
	tcase_add_test(tc, test_db__compact);
}

int main(void)
{
	return kvt_main("db", populate);
}
