/*
 * tests/testutil.h - shared scaffolding of libkv's Check suites.
 *
 * Behaviour suites run once per backend: kvt_main() builds the suite once
 * for every entry of the backend table (suite name "<module>[<backend>]"),
 * sets kvt_backend before running it, and sums the failures.  Every test
 * added with kvt_tcase() gets a fresh temporary directory (kvt_dir) made
 * in its forked child and removed afterwards; a failing test's directory
 * is removed with the per-run base directory when kvt_main() returns.
 */
#ifndef KV_TESTUTIL_H
#define KV_TESTUTIL_H

#include <stddef.h>

#include <check.h>

#include "kv.h"
#include "kv/warnings.h"

/* The backends every behaviour test runs on, NULL-terminated.  Adding a
 * backend to libkv means adding its URI scheme here, nothing else. */
extern const char *const kvt_backends[];

/* URI scheme of the backend the running suite exercises. */
extern const char *kvt_backend;

/* The current test's private temporary directory (no trailing slash). */
extern char kvt_dir[];

/* Largest path the helpers build. */
#define KVT_PATH_MAX 4096

/* Add a test case to s with the per-test directory fixture and a timeout
 * in seconds (scaled by CK_TIMEOUT_MULTIPLIER as usual). */
TCase *kvt_tcase(Suite *s, const char *name, double timeout);

/* "<kvt_dir>/<name>" into buf (KVT_PATH_MAX bytes); returns buf. */
char *kvt_path(char *buf, const char *name);

/* "<kvt_backend>:<kvt_dir>/<name>" into buf (KVT_PATH_MAX bytes).  On
 * postgresql: the server of $KV_TEST_POSTGRES with table=<name> behind a
 * prefix private to the test (the fixture drops its tables). */
char *kvt_uri(char *buf, const char *name);

/* Does the running backend keep a store in files (0: postgresql)?  Tests
 * about files (damaged bytes, detection by content) test the server's
 * analogue, or nothing where none exists. */
int kvt_files(void);
/* Is the backend of that URI scheme one of files? */
int kvt_file_backend(const char *name);

/* postgresql: run sql (statements, no parameters) on the test server,
 * "@T" in it standing for the quoted table of the store kvt_uri() calls
 * name, "@P" for the test's table prefix (so "@Pother" names the table of
 * store "other"); the test fails when it does.  For changes behind
 * libkv's back. */
void kvt_pg_sql(const char *name, const char *sql);

/* Open "<kvt_backend>:<kvt_dir>/store" with these flags (other options
 * default); the test fails when the open does. */
kv_db *kvt_open(unsigned int flags);

/* As kvt_open with full options (NULL for the defaults). */
kv_db *kvt_open_opts(const kv_open_options *opts);

/* Close db, failing the test unless the close succeeds. */
void kvt_close(kv_db *db);

/* Autocommit put / expected get of NUL-terminated strings (the NUL is not
 * stored); the test fails on any difference. */
void kvt_put_str(kv_db *db, const char *key, const char *val);
void kvt_expect_str(kv_db *db, const char *key, const char *val);
/* The key must be absent (KV_NOTFOUND). */
void kvt_expect_absent(kv_db *db, const char *key);

/* A byte string with its length; KVT_B("a\0b") keeps embedded NULs. */
typedef struct kvt_bytes {
	const char *p;
	size_t n;
} kvt_bytes;
#define KVT_B(lit) { (lit), sizeof(lit) - 1 }
#define KVT_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Bytes kvt_hex() needs for its buffer. */
#define KVT_HEX_MAX 40

/* Bytewise order, a shorter key before its extensions (the API's order);
 * negative, zero or positive like memcmp. */
int kvt_key_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* Up to 16 bytes of p as hex ("..": more followed) into buf (KVT_HEX_MAX
 * bytes), for failure messages; returns buf. */
const char *kvt_hex(char *buf, const void *p, size_t n);

/* Zero-copy get of key in txn: exactly val, or (second form) KV_NOTFOUND. */
void kvt_txn_expect_str(kv_txn *txn, const char *key, const char *val);
void kvt_txn_expect_absent(kv_txn *txn, const char *key);

/* Iterate prefix in txn (NULL: private snapshot) and compare the keys with
 * want, in order, exactly; vals (may be NULL) are the expected values.
 * Also checks that exhaustion is sticky and frees the iterator. */
void kvt_expect_iter(kv_db *db, kv_txn *txn, const void *prefix,
                     size_t prefix_len, const kvt_bytes *want,
                     const kvt_bytes *vals, size_t nwant);

/* Write len bytes into a new file at path (mode 0600). */
void kvt_write_file(const char *path, const void *data, size_t len);

/* Deterministic pseudo-random bytes (xorshift64*, seeded). */
void kvt_fill_random(void *buf, size_t len, unsigned long long seed);

/* What the warning channel reported since kvt_warnings_capture(mode),
 * which routes it here under that mode: how many, and the last one. */
typedef struct kvt_warnings {
	int calls;
	kv_warning_kind kind;
	char msg[512];
} kvt_warnings;
extern kvt_warnings kvt_warned;
void kvt_warnings_capture(kv_warnings_mode mode);

/* Run the suite that populate() fills, once per backend; returns the
 * process exit status (0 when every test passed). */
int kvt_main(const char *module, void (*populate)(Suite *s));

/* Assert that expr returns want, naming both statuses on failure. */
#define kvt_assert_status(expr, want)                                       \
	do {                                                                \
		kv_status kvt_got_ = (expr);                                \
		kv_status kvt_want_ = (want);                               \
		ck_assert_msg(kvt_got_ == kvt_want_,                        \
		              "%s: got %s, want %s (message: %s)", #expr,   \
		              kv_strerror(kvt_got_), kv_strerror(kvt_want_), \
		              kv_errmsg());                                 \
	} while (0)

/* Assert that expr returns KV_OK, with db's message on failure. */
#define kvt_assert_ok(db, expr)                                             \
	do {                                                                \
		kv_status kvt_got_ = (expr);                                \
		ck_assert_msg(kvt_got_ == KV_OK, "%s: got %s (message: %s)", \
		              #expr, kv_strerror(kvt_got_),                 \
		              kv_db_errmsg(db));                            \
	} while (0)

/* expr must give KV_EINVAL and leave a message on the thread, or failing
 * that on db (which may be NULL). */
/* expr must fail with KV_EINVAL and leave a message, in kv_errmsg() or
 * kv_db_errmsg(db), that names the function called. */
void kvt_check_einval(kv_status rc, kv_db *db, const char *expr);
#define kvt_expect_einval(db, expr) kvt_check_einval((expr), (db), #expr)

/* expr must return want; the failure shows db's last message. */
#define kvt_expect_rc(db, expr, want)                                       \
	do {                                                                \
		kv_status got_ = (expr);                                    \
		kv_status want_ = (want);                                   \
		ck_assert_msg(got_ == want_,                                \
		              "%s: got %s, want %s (message: %s)", #expr,   \
		              kv_strerror(got_), kv_strerror(want_),        \
		              kv_db_errmsg(db));                            \
	} while (0)

/* db's last message must contain every string of the NULL-terminated
 * list; what says which call it was. */
void kvt_expect_msg(kv_db *db, const char *what, ...);

/* Field field of the record at key (in txn, or NULL) must be the JSON
 * text want. */
void kvt_expect_field(kv_db *db, kv_txn *txn, const char *key,
                      const char *field, const char *want);

#endif /* KV_TESTUTIL_H */
