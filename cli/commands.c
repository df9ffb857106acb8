/*
 * cli/commands.c - kvtool's commands on single keys and key ranges: get,
 * put, del, ls and stat.
 *
 * Each handler parses its arguments into bytes, opens the store (read-only
 * unless it writes), does its one thing and closes the store; every
 * failure is reported once, where it happens, and becomes the exit code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvtool.h"

int kvt_read_all(struct kvt_bytes *out, FILE *f)
{
	size_t cap = 4096, len = 0, n;
	unsigned char *p = malloc(cap), *q;

	while (p) {
		n = fread(p + len, 1, cap - len, f);
		len += n;
		if (len < cap)
			break;
		if (!(q = realloc(p, cap * 2))) {
			free(p);
			p = NULL;
			break;
		}
		p = q;
		cap *= 2;
	}
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	if (ferror(f)) {
		free(p);
		errno = EIO;
		return -1;
	}
	out->p = p;
	out->len = len;
	return 0;
}

/* The value to put: VALUE unescaped, or the bytes of -f FILE or stdin. */
static int value_arg(struct kvt_bytes *out, const struct kvt_args *a)
{
	const char *name = a->file ? a->file : "-";
	FILE *f = stdin;
	int rc;

	if (a->npos > 1 && a->file)
		return kvt_usage(a->cmd, "give VALUE or -f FILE, not both");
	if (a->npos > 1)
		return kvt_arg_bytes(out, a->cmd, "VALUE", a->pos[1]);
	if (strcmp(name, "-") != 0 && !(f = fopen(name, "rb"))) {
		kvt_error("%s: %s", name, strerror(errno));
		return KVT_EXIT_FAIL;
	}
	if (f == stdin && isatty(STDIN_FILENO))
		kvt_error("reading the value from the terminal; end it with "
		          "Ctrl-D");
	rc = kvt_read_all(out, f);
	if (rc != 0)
		kvt_error("%s: %s", f == stdin ? "stdin" : name,
		          strerror(errno));
	if (f != stdin)
		fclose(f);
	return rc == 0 ? KVT_EXIT_OK : KVT_EXIT_FAIL;
}

/* KEY as bytes; an empty key is a usage error, as libkv refuses it. */
static int key_arg(struct kvt_bytes *out, const struct kvt_args *a)
{
	int rc = kvt_arg_bytes(out, a->cmd, "KEY", a->pos[0]);

	if (rc == KVT_EXIT_OK && out->len == 0) {
		free(out->p);
		out->p = NULL;
		return kvt_usage(a->cmd, "KEY must not be empty");
	}
	return rc;
}

/* Report a missing key by name: exit code 1. */
static int not_found(const struct kvt_bytes *key)
{
	fputs("kvtool: key '", stderr);
	kvt_escape(stderr, key->p, key->len);
	fputs("' not found\n", stderr);
	return KVT_EXIT_NOTFOUND;
}

/* Print a value as get was asked to: raw, as JSON (marked "salvaged"
 * when it failed its seal), or escaped on one line. */
static void print_value(const struct kvt_args *a, const struct kvt_bytes *key,
                        const void *val, size_t len, int salvaged)
{
	if (a->raw) {
		fwrite(val, 1, len, stdout);
	} else if (a->json) {
		fputs("{", stdout);
		kvt_json_field(stdout, "key", key->p, key->len);
		fputs(", ", stdout);
		kvt_json_field(stdout, "value", val, len);
		fputs(salvaged ? ", \"salvaged\": true}\n" : "}\n", stdout);
	} else {
		kvt_escape(stdout, val, len);
		putchar('\n');
	}
}

/* get --salvage of a record the plain read refused as corrupt: read it
 * again in a salvage transaction, print it and warn with libkv's
 * message (kept before the next call replaces it). */
static int get_salvaged(const struct kvt_args *a, kv_db *db,
                        const struct kvt_bytes *key)
{
	char why[1024];
	const void *val = NULL;
	size_t len = 0;
	kv_txn *txn = NULL;
	kv_status st;
	int rc = KVT_EXIT_OK;

	snprintf(why, sizeof why, "%s", kv_db_errmsg(db));
	st = kv_txn_begin(&txn, db, KV_TXN_SALVAGE | KV_TXN_READONLY);
	if (st == KV_OK)
		st = kv_txn_get(&val, &len, txn, key->p, key->len);
	if (st != KV_OK) {
		rc = kvt_fail(db, st);
	} else {
		print_value(a, key, val, len, 1);
		fputs("kvtool: warning: ", stderr);
		kvt_put_text(stderr, why);
		fputs("; printed as found (--salvage)\n", stderr);
	}
	kv_txn_abort(txn);
	return rc;
}

int kvt_cmd_get(const struct kvt_args *a)
{
	struct kvt_bytes key = { NULL, 0 };
	kv_db *db = NULL;
	void *val = NULL;
	size_t len = 0;
	kv_status st;
	int rc;

	if ((rc = key_arg(&key, a)) ||
	    (rc = kvt_open(&db, a, KV_OPEN_READONLY)))
		goto done;
	st = kv_db_get(&val, &len, db, key.p, key.len);
	if (st == KV_ECORRUPT && a->salvage)
		rc = get_salvaged(a, db, &key);
	else if (st == KV_NOTFOUND)
		rc = not_found(&key);
	else if (st != KV_OK)
		rc = kvt_fail(db, st);
	else
		print_value(a, &key, val, len, 0);
done:
	kv_free(val);
	free(key.p);
	return db ? kvt_close(db, rc) : rc;
}

int kvt_cmd_put(const struct kvt_args *a)
{
	struct kvt_bytes key = { NULL, 0 }, val = { NULL, 0 };
	unsigned int flags = a->no_overwrite ? KV_PUT_NOOVERWRITE : 0;
	kv_db *db = NULL;
	kv_status st;
	int rc;

	if ((rc = key_arg(&key, a)) || (rc = value_arg(&val, a)) ||
	    (rc = kvt_open(&db, a, KV_OPEN_CREATE)))
		goto done;
	st = kv_db_put(db, key.p, key.len, val.p, val.len, flags);
	if (st == KV_EXISTS) {
		fputs("kvtool: key '", stderr);
		kvt_escape(stderr, key.p, key.len);
		fputs("' exists; not overwritten\n", stderr);
		rc = KVT_EXIT_EXISTS;
	} else if (st != KV_OK) {
		rc = kvt_fail(db, st);
	}
done:
	free(key.p);
	free(val.p);
	return db ? kvt_close(db, rc) : rc;
}

int kvt_cmd_del(const struct kvt_args *a)
{
	struct kvt_bytes key = { NULL, 0 };
	kv_db *db = NULL;
	kv_status st;
	int rc;

	if ((rc = key_arg(&key, a)) ||
	    (rc = kvt_open(&db, a, KV_OPEN_READWRITE)))
		goto done;
	st = kv_db_del(db, key.p, key.len);
	if (st == KV_NOTFOUND)
		rc = not_found(&key);
	else if (st != KV_OK)
		rc = kvt_fail(db, st);
done:
	free(key.p);
	return db ? kvt_close(db, rc) : rc;
}

/* Print one entry of ls; n counts the entries printed before it. */
static void ls_entry(const struct kvt_args *a, unsigned long long n,
                     const void *k, size_t klen, const void *v, size_t vlen)
{
	if (a->json) {
		fputs(n ? ",\n  {" : "\n  {", stdout);
		kvt_json_field(stdout, "key", k, klen);
		if (!a->keys_only) {
			fputs(", ", stdout);
			kvt_json_field(stdout, "value", v, vlen);
		}
		fputs("}", stdout);
		return;
	}
	kvt_escape(stdout, k, klen);
	if (!a->keys_only) {
		putchar('\t');
		kvt_escape(stdout, v, vlen);
	}
	putchar('\n');
}

/* Walk the keys under prefix, printing each; returns an exit code. */
static int ls_walk(const struct kvt_args *a, kv_db *db,
                   const struct kvt_bytes *prefix)
{
	unsigned long long n = 0;
	kv_iter *it = NULL;
	const void *k = NULL, *v = NULL;
	size_t klen = 0, vlen = 0;
	kv_status st, corrupt = KV_OK;

	st = kv_iter_new(&it, db, NULL, prefix->p, prefix->len);
	while (st == KV_OK && (!a->has_limit || n < a->limit)) {
		st = kv_iter_next(it, &k, &klen,
		                  a->keys_only ? NULL : &v,
		                  a->keys_only ? NULL : &vlen);
		if (st == KV_OK)
			ls_entry(a, n++, k, klen, v, vlen);
		/* A damaged record is named on stderr; the listing goes on. */
		if (st == KV_ECORRUPT) {
			corrupt = st;
			kvt_fail(db, st);
			st = KV_OK;
		}
	}
	kv_iter_free(it);
	if (a->json)
		fputs(n ? "\n]\n" : "]\n", stdout);
	if (st != KV_OK && st != KV_NOTFOUND)
		return kvt_fail(db, st);
	return corrupt ? KVT_EXIT_CORRUPT : KVT_EXIT_OK;
}

int kvt_cmd_ls(const struct kvt_args *a)
{
	struct kvt_bytes prefix = { NULL, 0 };
	kv_db *db = NULL;
	int rc;

	if (a->npos > 0 &&
	    (rc = kvt_arg_bytes(&prefix, a->cmd, "PREFIX", a->pos[0])))
		return rc;
	if ((rc = kvt_open(&db, a, KV_OPEN_READONLY)) == KVT_EXIT_OK) {
		if (a->json)
			fputs("[", stdout);
		rc = ls_walk(a, db, &prefix);
	}
	free(prefix.p);
	return db ? kvt_close(db, rc) : rc;
}

int kvt_cmd_compact(const struct kvt_args *a)
{
	kv_stat before = KV_STAT_INIT, after = KV_STAT_INIT;
	kv_db *db = NULL;
	kv_status st;
	int rc;

	if ((rc = kvt_open(&db, a, KV_OPEN_READWRITE)) != KVT_EXIT_OK)
		return rc;
	if ((st = kv_db_stat(&before, db)) != KV_OK ||
	    (st = kv_db_compact(db)) != KV_OK ||
	    (st = kv_db_stat(&after, db)) != KV_OK)
		return kvt_close(db, kvt_fail(db, st));
	printf("compacted: %llu bytes before, %llu after\n", before.file_size,
	       after.file_size);
	return kvt_close(db, KVT_EXIT_OK);
}

/* kv_schema_list_fn of stat: one line, or one element of "schemas". */
static int stat_schema(const char *name, unsigned int version,
                       const char *prefix, void *payload)
{
	int *n = payload;

	if (*n < 0) {
		fputs("schema: ", stdout);
		kvt_escape(stdout, name, strlen(name));
		printf(" %u ", version);
		kvt_escape(stdout, prefix, strlen(prefix));
		putchar('\n');
		return 0;
	}
	fputs((*n)++ ? ", {" : "{", stdout);
	kvt_json_field(stdout, "name", name, strlen(name));
	printf(", \"version\": %u, ", version);
	kvt_json_field(stdout, "prefix", prefix, strlen(prefix));
	putchar('}');
	return 0;
}

/* The seal state of stat: a verify scan, its problems not listed. */
static int stat_seals(kv_verify_report *out, kv_db *db)
{
	struct kvt_progress bar;
	kv_status st;

	kvt_progress_init(&bar, "stat", 0);
	st = kv_db_verify(out, db, NULL, kvt_progress_update, &bar);
	kvt_progress_clear(&bar);
	return st == KV_OK ? KVT_EXIT_OK : kvt_fail(db, st);
}

/* Print what stat found, as lines or as one JSON object. */
static int stat_print(const struct kvt_args *a, kv_db *db, const kv_stat *s,
                      const kv_verify_report *r)
{
	const char *path = kv_db_path(db);
	int n = a->json ? 0 : -1;
	kv_status st;

	if (a->json) {
		printf("{\"backend\": \"%s\", ", kv_db_backend(db));
		kvt_json_field(stdout, "path", path, strlen(path));
		printf(", \"count\": %llu, \"file_size\": %llu, \"format\": %u, "
		       "\"schemas\": [", s->count, s->file_size, s->format);
	} else {
		printf("backend: %s\npath: ", kv_db_backend(db));
		kvt_escape(stdout, path, strlen(path));
		printf("\ncount: %llu\nfile_size: %llu\nformat: %u\n", s->count,
		       s->file_size, s->format);
	}
	if ((st = kv_schema_list(db, stat_schema, &n)) != KV_OK)
		return kvt_fail(db, st);
	if (a->json)
		printf("], \"sealed\": %llu, \"unsealed\": %llu, \"corrupt\": "
		       "%llu, \"digest_ok\": %s, \"checked\": %s}\n",
		       r->records - r->unsealed - r->corrupt, r->unsealed,
		       r->corrupt, r->digest_ok ? "true" : "false",
		       r->checked ? "true" : "false");
	else
		printf("seals: %llu sealed, %llu unsealed, %llu corrupt\n"
		       "digest: %s\n", r->records - r->unsealed - r->corrupt,
		       r->unsealed, r->corrupt, !r->checked ? "unchecked"
		       : r->digest_ok ? "ok" : "MISMATCH");
	return KVT_EXIT_OK;
}

int kvt_cmd_stat(const struct kvt_args *a)
{
	kv_verify_report r = KV_VERIFY_REPORT_INIT;
	kv_stat s = KV_STAT_INIT;
	kv_db *db = NULL;
	kv_status st;
	int rc;

	if ((rc = kvt_open(&db, a, KV_OPEN_READONLY)) != KVT_EXIT_OK)
		return rc;
	if ((st = kv_db_stat(&s, db)) != KV_OK)
		return kvt_close(db, kvt_fail(db, st));
	if ((rc = stat_seals(&r, db)) == KVT_EXIT_OK)
		rc = stat_print(a, db, &s, &r);
	return kvt_close(db, rc);
}
