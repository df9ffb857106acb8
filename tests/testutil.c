/*
 * tests/testutil.c - backend table, temporary-directory fixture and the
 * per-backend main loop shared by libkv's Check suites.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include "testutil.h"

#include <errno.h>
#include <stdarg.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

const char *const kvt_backends[] = {
	"lmdb",
	"sqlite",
	"postgresql", /* with a server in $KV_TEST_POSTGRES */
	NULL
};

const char *kvt_backend;
char kvt_dir[KVT_PATH_MAX];

/* Per-run directory holding every test's directory; made and removed by
 * kvt_main() in the parent, so a failed (exited) child leaves no litter. */
static char base_dir[KVT_PATH_MAX];

int kvt_file_backend(const char *name)
{
	return strcmp(name, "postgresql") != 0;
}

int kvt_files(void)
{
	return kvt_file_backend(kvt_backend);
}

/* The prefix of the tables of the current test: the run's and the test's
 * random suffixes, so parallel suites and tests never share one. */
static void table_prefix(char *buf, size_t size)
{
	size_t b = strlen(base_dir), d = strlen(kvt_dir);

	ck_assert_msg(b >= 6 && d >= 6, "no test directory");
	snprintf(buf, size, "kvt_%s_%s_", base_dir + b - 6, kvt_dir + d - 6);
}

/* nftw callback removing one entry, children before their directory. */
static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0 && errno != ENOENT)
		fprintf(stderr, "testutil: cannot remove %s: %s\n", path,
		        strerror(errno));
	return 0;
}

/* Remove a directory tree without following symbolic links. */
static void remove_tree(const char *path)
{
	if (path[0] != '\0')
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	int n = snprintf(kvt_dir, KVT_PATH_MAX, "%s/t-XXXXXX", base_dir);

	ck_assert_msg(n > 0 && n < KVT_PATH_MAX, "temporary path too long");
	ck_assert_msg(mkdtemp(kvt_dir) != NULL, "mkdtemp(%s): %s", kvt_dir,
	              strerror(errno));
}

void kvt_pg_sql(const char *name, const char *sql)
{
	PGconn *pg = PQconnectdb(getenv("KV_TEST_POSTGRES"));
	char prefix[64], table[64], text[4096], *q;
	size_t n = 0;
	PGresult *res;

	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "connect: %s",
	              PQerrorMessage(pg));
	table_prefix(prefix, sizeof prefix);
	snprintf(table, sizeof table, "%s%s", prefix, name);
	q = PQescapeIdentifier(pg, table, strlen(table));
	ck_assert_ptr_nonnull(q);
	for (; *sql; sql++) {
		const char *put = NULL;
		if (sql[0] == '@' && sql[1] == 'T')
			put = q;
		else if (sql[0] == '@' && sql[1] == 'P')
			put = prefix;
		if (put) {
			n += (size_t)snprintf(text + n, sizeof text - n, "%s",
			                      put);
			sql++;
		} else if (n < sizeof text) {
			text[n++] = *sql;
		}
		ck_assert_msg(n < sizeof text, "SQL too long");
	}
	text[n] = '\0';
	PQfreemem(q);
	/* Several statements: the simple protocol. */
	res = PQexec(pg, text);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK ||
	                      PQresultStatus(res) == PGRES_TUPLES_OK,
	              "%s: %s", text, PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(pg);
}

/* Drop the tables whose names start with prefix (connecting as the
 * tests do, through $KV_TEST_POSTGRES). */
static void drop_tables(const char *prefix)
{
	static const char list_sql[] =
		"SELECT tablename FROM pg_tables"
		" WHERE schemaname = current_schema()"
		" AND starts_with(tablename, $1)";
	const char *param[1] = { prefix };
	PGconn *pg = PQconnectdb(getenv("KV_TEST_POSTGRES"));
	PGresult *res;
	int i;

	res = PQexecParams(pg, list_sql, 1, NULL, param, NULL, NULL, 0);
	for (i = 0; PQresultStatus(res) == PGRES_TUPLES_OK &&
	            i < PQntuples(res); i++) {
		const char *t = PQgetvalue(res, i, 0);
		char *q = PQescapeIdentifier(pg, t, strlen(t)), sql[200];

		if (!q)
			continue;
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", q);
		PQclear(PQexecParams(pg, sql, 0, NULL, NULL, NULL, NULL, 0));
		PQfreemem(q);
	}
	PQclear(res);
	PQfinish(pg);
}

static void teardown(void)
{
	char prefix[64];

	if (!kvt_files()) {
		table_prefix(prefix, sizeof prefix);
		drop_tables(prefix);
	}
	remove_tree(kvt_dir);
	kvt_dir[0] = '\0';
}

TCase *kvt_tcase(Suite *s, const char *name, double timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

char *kvt_path(char *buf, const char *name)
{
	int n = snprintf(buf, KVT_PATH_MAX, "%s/%s", kvt_dir, name);

	ck_assert_msg(n > 0 && n < KVT_PATH_MAX, "path too long: %s", name);
	return buf;
}

char *kvt_uri(char *buf, const char *name)
{
	const char *server = getenv("KV_TEST_POSTGRES");
	char prefix[64];
	int n;

	if (!kvt_files()) {
		table_prefix(prefix, sizeof prefix);
		n = snprintf(buf, KVT_PATH_MAX, "%s%ctable=%s%s", server,
		             strchr(server, '?') ? '&' : '?', prefix, name);
		ck_assert_msg(n > 0 && n < KVT_PATH_MAX, "URI too long: %s",
		              name);
		return buf;
	}
	n = snprintf(buf, KVT_PATH_MAX, "%s:%s/%s", kvt_backend, kvt_dir,
	             name);

	ck_assert_msg(n > 0 && n < KVT_PATH_MAX, "URI too long: %s", name);
	return buf;
}

kv_db *kvt_open_opts(const kv_open_options *opts)
{
	char uri[KVT_PATH_MAX];
	kv_db *db = NULL;
	kv_status rc;

	kvt_uri(uri, "store");
	rc = kv_db_open(&db, uri, opts);
	ck_assert_msg(rc == KV_OK, "kv_db_open(%s): %s (%s)", uri,
	              kv_strerror(rc), kv_errmsg());
	ck_assert_msg(db != NULL, "kv_db_open(%s) gave KV_OK and no handle",
	              uri);
	return db;
}

kv_db *kvt_open(unsigned int flags)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;

	opts.flags = flags;
	return kvt_open_opts(&opts);
}

void kvt_close(kv_db *db)
{
	kv_status rc = kv_db_close(db);

	ck_assert_msg(rc == KV_OK, "kv_db_close: %s (%s)", kv_strerror(rc),
	              kv_errmsg());
}

void kvt_put_str(kv_db *db, const char *key, const char *val)
{
	kv_status rc = kv_db_put(db, key, strlen(key), val, strlen(val), 0);

	ck_assert_msg(rc == KV_OK, "put '%s': %s (%s)", key, kv_strerror(rc),
	              kv_db_errmsg(db));
}

void kvt_expect_str(kv_db *db, const char *key, const char *val)
{
	void *got = NULL;
	size_t got_len = 0;
	size_t len = strlen(val);
	kv_status rc = kv_db_get(&got, &got_len, db, key, strlen(key));
	int same;

	ck_assert_msg(rc == KV_OK, "get '%s': %s (%s)", key, kv_strerror(rc),
	              kv_db_errmsg(db));
	ck_assert_msg(got != NULL, "get '%s' gave a NULL value", key);
	same = got_len == len && memcmp(got, val, len) == 0;
	if (!same) {
		/* Copy what is needed for the message before freeing. */
		char shown[64];
		size_t n = got_len < sizeof shown - 1 ? got_len
		                                       : sizeof shown - 1;
		memcpy(shown, got, n);
		shown[n] = '\0';
		kv_free(got);
		ck_abort_msg("get '%s': got '%s' (%zu bytes), want '%s'", key,
		             shown, got_len, val);
	}
	kv_free(got);
}

void kvt_expect_absent(kv_db *db, const char *key)
{
	void *got = NULL;
	size_t got_len = 0;
	kv_status rc = kv_db_get(&got, &got_len, db, key, strlen(key));

	if (rc == KV_OK)
		kv_free(got);
	ck_assert_msg(rc == KV_NOTFOUND, "get '%s': got %s, want KV_NOTFOUND",
	              key, kv_strerror(rc));
}

int kvt_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n > 0 ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

const char *kvt_hex(char *buf, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i, m = n < 16 ? n : 16;

	buf[0] = '\0';
	for (i = 0; i < m; i++)
		sprintf(buf + 2 * i, "%02x", b[i]);
	if (m < n)
		strcat(buf, "..");
	return buf;
}

void kvt_txn_expect_str(kv_txn *txn, const char *key, const char *val)
{
	const void *got = NULL;
	size_t got_len = 0;
	kv_status rc = kv_txn_get(&got, &got_len, txn, key, strlen(key));

	ck_assert_msg(rc == KV_OK, "kv_txn_get '%s': %s", key,
	              kv_strerror(rc));
	ck_assert_msg(got_len == strlen(val) &&
	                      memcmp(got, val, got_len) == 0,
	              "kv_txn_get '%s': got '%.*s', want '%s'", key,
	              (int)got_len, (const char *)got, val);
}

void kvt_txn_expect_absent(kv_txn *txn, const char *key)
{
	const void *got = NULL;
	size_t got_len = 0;
	kv_status rc = kv_txn_get(&got, &got_len, txn, key, strlen(key));

	ck_assert_msg(rc == KV_NOTFOUND, "kv_txn_get '%s': got %s, want absent",
	              key, kv_strerror(rc));
}

void kvt_expect_iter(kv_db *db, kv_txn *txn, const void *prefix,
                     size_t prefix_len, const kvt_bytes *want,
                     const kvt_bytes *vals, size_t nwant)
{
	char h1[KVT_HEX_MAX], h2[KVT_HEX_MAX], h3[KVT_HEX_MAX];
	char hp[KVT_HEX_MAX];
	kv_iter *it = NULL;
	kv_status rc;
	size_t i;

	kvt_hex(hp, prefix, prefix_len);
	rc = kv_iter_new(&it, db, txn, prefix, prefix_len);
	ck_assert_msg(rc == KV_OK, "kv_iter_new(prefix %s): %s (%s)", hp,
	              kv_strerror(rc), kv_db_errmsg(db));
	for (i = 0;; i++) {
		const void *k = NULL, *v = NULL;
		size_t kl = 0, vl = 0;

		rc = kv_iter_next(it, &k, &kl, &v, &vl);
		if (rc == KV_NOTFOUND)
			break;
		ck_assert_msg(rc == KV_OK, "prefix %s: kv_iter_next: %s", hp,
		              kv_strerror(rc));
		ck_assert_msg(i < nwant, "prefix %s: extra key %s after %zu",
		              hp, kvt_hex(h1, k, kl), nwant);
		ck_assert_msg(kvt_key_cmp(k, kl, want[i].p, want[i].n) == 0,
		              "prefix %s: key %zu is %s, want %s", hp, i,
		              kvt_hex(h1, k, kl),
		              kvt_hex(h2, want[i].p, want[i].n));
		if (vals != NULL)
			ck_assert_msg(vl == vals[i].n &&
			                      memcmp(v, vals[i].p, vl) == 0,
			              "prefix %s: value of %s is %s, want %s",
			              hp, kvt_hex(h1, k, kl), kvt_hex(h2, v, vl),
			              kvt_hex(h3, vals[i].p, vals[i].n));
	}
	ck_assert_msg(i == nwant, "prefix %s: %zu keys, want %zu", hp, i,
	              nwant);
	/* Exhaustion is sticky. */
	rc = kv_iter_next(it, NULL, NULL, NULL, NULL);
	ck_assert_msg(rc == KV_NOTFOUND, "prefix %s: next after end: %s", hp,
	              kv_strerror(rc));
	kv_iter_free(it);
}

void kvt_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "fopen(%s): %s", path, strerror(errno));
	if (len > 0)
		ck_assert_msg(fwrite(data, 1, len, f) == len, "write %s", path);
	ck_assert_msg(fclose(f) == 0, "close %s", path);
	ck_assert_msg(chmod(path, 0600) == 0, "chmod %s", path);
}

void kvt_fill_random(void *buf, size_t len, unsigned long long seed)
{
	unsigned char *p = buf;
	unsigned long long x = seed * 2685821657736338717ULL + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = (unsigned char)((x * 2685821657736338717ULL) >> 56);
	}
}

/* Make the per-run base directory under $TMPDIR (or /tmp). */
static int make_base_dir(const char *module)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	n = snprintf(base_dir, sizeof base_dir, "%s/kvtest-%s-XXXXXX", tmp,
	             module);
	if (n <= 0 || (size_t)n >= sizeof base_dir) {
		fprintf(stderr, "%s: temporary directory path too long\n",
		        module);
		return -1;
	}
	if (mkdtemp(base_dir) == NULL) {
		fprintf(stderr, "%s: mkdtemp(%s): %s\n", module, base_dir,
		        strerror(errno));
		return -1;
	}
	return 0;
}

/* Is there a PostgreSQL server to run the postgresql row on?  Says so
 * visibly when not: scripts/check.sh always gives one. */
static int server_given(const char *module)
{
	const char *server = getenv("KV_TEST_POSTGRES");

	if (server && *server)
		return 1;
	printf("%s[postgresql]: SKIPPED: KV_TEST_POSTGRES is not set "
	       "(e.g. postgresql://127.0.0.1:5432/kvtest; scripts/check.sh "
	       "starts a throwaway server)\n", module);
	fflush(stdout);
	return 0;
}

int kvt_main(const char *module, void (*populate)(Suite *s))
{
	int failed = 0;
	size_t i;

	if (make_base_dir(module) != 0)
		return EXIT_FAILURE;

	for (i = 0; kvt_backends[i] != NULL; i++) {
		char name[128];
		Suite *s;
		SRunner *sr;

		snprintf(name, sizeof name, "%s[%s]", module, kvt_backends[i]);
		kvt_backend = kvt_backends[i];
		if (!kvt_files() && !server_given(module))
			continue;
		s = suite_create(name);
		populate(s);
		sr = srunner_create(s);
		srunner_run_all(sr, CK_ENV);
		failed += srunner_ntests_failed(sr);
		srunner_free(sr);
	}

	/* A failed test skips its fixture's teardown: drop what it left. */
	if (getenv("KV_TEST_POSTGRES") && *getenv("KV_TEST_POSTGRES")) {
		char prefix[64];

		snprintf(prefix, sizeof prefix, "kvt_%s_",
		         base_dir + strlen(base_dir) - 6);
		drop_tables(prefix);
	}
	remove_tree(base_dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void kvt_check_einval(kv_status rc, kv_db *db, const char *expr)
{
	const char *paren = strchr(expr, '(');
	char fn[64];
	size_t n = paren ? (size_t)(paren - expr) : strlen(expr);
	const char *gm = kv_errmsg();
	const char *dm = db ? kv_db_errmsg(db) : "";

	ck_assert_msg(rc == KV_EINVAL, "%s: got %s, want KV_EINVAL", expr,
	              kv_strerror(rc));
	if (n >= sizeof fn)
		n = sizeof fn - 1;
	memcpy(fn, expr, n);
	fn[n] = '\0';
	ck_assert_msg(strstr(gm, fn) || strstr(dm, fn),
	              "%s: no message naming %s (kv_errmsg: '%s', "
	              "kv_db_errmsg: '%s')", expr, fn, gm, dm);
}

void kvt_expect_msg(kv_db *db, const char *what, ...)
{
	const char *msg = kv_db_errmsg(db);
	const char *needle;
	va_list ap;

	va_start(ap, what);
	while ((needle = va_arg(ap, const char *)) != NULL) {
		if (strstr(msg, needle) == NULL) {
			va_end(ap);
			ck_abort_msg("%s: message '%s' does not mention '%s'",
			             what, msg, needle);
		}
	}
	va_end(ap);
}

void kvt_expect_field(kv_db *db, kv_txn *txn, const char *key,
                      const char *field, const char *want)
{
	char *got = NULL, shown[256];
	kv_status rc = kv_record_field(&got, db, txn, key, field);
	int same;

	ck_assert_msg(rc == KV_OK, "kv_record_field(%s, %s): %s (%s)", key,
	              field, kv_strerror(rc), kv_db_errmsg(db));
	same = strcmp(got, want) == 0;
	snprintf(shown, sizeof shown, "%s", got);
	kv_free(got);
	ck_assert_msg(same, "field %s of %s: got %s, want %s", field, key,
	              shown, want);
}

kvt_warnings kvt_warned;

static void on_warning(kv_warning_kind kind, const char *message,
                       void *payload)
{
	(void)payload;
	kvt_warned.calls++;
	kvt_warned.kind = kind;
	snprintf(kvt_warned.msg, sizeof kvt_warned.msg, "%s", message);
}

void kvt_warnings_capture(kv_warnings_mode mode)
{
	memset(&kvt_warned, 0, sizeof kvt_warned);
	kv_warnings_handler_set(on_warning, NULL);
	ck_assert_msg(kv_warnings_mode_set(mode) == KV_OK,
	              "kv_warnings_mode_set(%d) failed", (int)mode);
}
