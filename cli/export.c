/*
 * cli/export.c - records as tables: export (JSON Lines or CSV, one row
 * per record under a prefix) and diff (two records field by field).
 *
 * A record is a JSON object.  export reads every record under PREFIX in
 * one snapshot; values that are not JSON objects are not records and are
 * skipped with a note on stderr.  CSV columns are "key", then the fields
 * of the schema that governs PREFIX in the schema's order, then any other
 * field the records have, in the order first met: so the CSV needs a
 * first pass over the records, in the same snapshot.
 *
 * CSV follows RFC 4180 (cells with a comma, quote or line break are
 * quoted, quotes doubled).  A string cell is the string's text; any other
 * value is its compact JSON; an absent field is an empty cell.  When
 * stdout is a terminal, control characters in cells are written as \xHH,
 * so that a record cannot drive the terminal.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "kvtool.h"

/* The columns of a CSV export: field names, OWNED. */
struct columns {
	char **name;
	size_t n, cap;
};

/* What one export run shares. */
struct export {
	const struct kvt_args *a;
	kv_db *db;
	kv_txn *txn;
	struct kvt_bytes prefix;
	struct columns cols;
	int csv, tty;
	kv_u64 total, done, skipped;
	struct kvt_progress bar;
};

static void columns_free(struct columns *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->name[i]);
	free(c->name);
}

/* Add field name to the columns unless it is there; -1: out of memory. */
static int column_add(struct columns *c, const char *name)
{
	char **p;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name))
			return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		if (!(p = realloc(c->name, c->cap * sizeof *p)))
			return -1;
		c->name = p;
	}
	if (!(c->name[c->n] = strdup(name)))
		return -1;
	c->n++;
	return 0;
}

/* Payload of pick_schema: the longest schema prefix PREFIX starts with. */
struct pick {
	const struct kvt_bytes *prefix;
	char name[256];
	unsigned int version;
	size_t best;
};

/* kv_schema_list_fn: remember the schema that governs the prefix. */
static int pick_schema(const char *name, unsigned int version,
                       const char *prefix, void *payload)
{
	struct pick *p = payload;
	size_t n = strlen(prefix);

	if (n <= p->prefix->len && n >= p->best &&
	    memcmp(prefix, p->prefix->p, n) == 0 && strlen(name) < 256) {
		strcpy(p->name, name);
		p->version = version;
		p->best = n + 1;
	}
	return 0;
}

/* The columns of the schema that governs the prefix, in its order. */
static int schema_columns(struct export *e)
{
	struct pick p = { &e->prefix, "", 0, 0 };
	json_t *doc, *fields, *f;
	const char *name;
	char *text = NULL;
	kv_status st;
	int rc = 0;

	if ((st = kv_schema_list(e->db, pick_schema, &p)) != KV_OK)
		return kvt_fail(e->db, st);
	if (!p.best)
		return KVT_EXIT_OK;
	if ((st = kv_schema_get(&text, e->db, p.name, p.version)) != KV_OK)
		return kvt_fail(e->db, st);
	doc = json_loads(text, 0, NULL);
	kv_free(text);
	fields = json_object_get(doc, "fields");
	json_object_foreach(fields, name, f)
		if (!rc && column_add(&e->cols, name))
			rc = -1;
	json_decref(doc);
	if (rc) {
		kvt_error("out of memory");
		return KVT_EXIT_FAIL;
	}
	return KVT_EXIT_OK;
}

/* Name a value that is not a record, once per key, on stderr. */
static void skip_note(struct export *e, const void *k, size_t klen)
{
	kvt_progress_clear(&e->bar);
	fputs("kvtool: skipped '", stderr);
	kvt_escape(stderr, k, klen);
	fputs("': not a record (a JSON object)\n", stderr);
	e->skipped++;
}

/* Write one CSV cell: quoted when it must be, control characters escaped
 * on a terminal. */
static void csv_cell(const struct export *e, const char *s, size_t len)
{
	size_t i;
	int quote = 0;

	for (i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' ||
		        s[i] == '\r';
	if (quote)
		putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"')
			fputs("\"\"", stdout);
		else if (e->tty && (c < 0x20 || c == 0x7f))
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	if (quote)
		putchar('"');
}

/* A field's cell: a string's text, else compact JSON; absent: empty. */
static void csv_value(const struct export *e, const json_t *v)
{
	char *text = NULL;
	size_t size = 0;
	FILE *m;

	if (!v)
		return;
	if (json_is_string(v)) {
		csv_cell(e, json_string_value(v), json_string_length(v));
		return;
	}
	if (!(m = open_memstream(&text, &size)))
		return;
	kvt_json_dump(m, v);
	if (fclose(m) == 0)
		csv_cell(e, text, size);
	free(text);
}

/* One record as a CSV row. */
static void csv_row(const struct export *e, const void *k, size_t klen,
                    const json_t *rec)
{
	char *key = NULL;
	size_t size = 0, i;
	FILE *m = open_memstream(&key, &size);

	if (m) {
		kvt_escape(m, k, klen);
		if (fclose(m) == 0)
			csv_cell(e, key, size);
	}
	free(key);
	for (i = 0; i < e->cols.n; i++) {
		putchar(',');
		csv_value(e, json_object_get(rec, e->cols.name[i]));
	}
	fputs("\r\n", stdout);
}

/* Visit every record under the prefix: out 0 only gathers columns (and
 * counts), out 1 prints rows.  Returns an exit code. */
static int walk(struct export *e, int out)
{
	const void *k, *v;
	size_t klen, vlen;
	kv_iter *it = NULL;
	const char *name;
	json_t *rec, *f;
	kv_status st;

	st = kv_iter_new(&it, e->db, e->txn, e->prefix.p, e->prefix.len);
	while (st == KV_OK &&
	       (st = kv_iter_next(it, &k, &klen, &v, &vlen)) == KV_OK) {
		rec = json_loadb(v, vlen, JSON_REJECT_DUPLICATES, NULL);
		if (!out) {
			e->total++;
			json_object_foreach(rec, name, f)
				if (column_add(&e->cols, name))
					st = KV_ENOMEM;
		} else if (!json_is_object(rec)) {
			skip_note(e, k, klen);
		} else if (e->csv) {
			csv_row(e, k, klen, rec);
		} else {
			putchar('{');
			kvt_json_field(stdout, "key", k, klen);
			fputs(", \"record\": ", stdout);
			kvt_json_dump(stdout, rec);
			fputs("}\n", stdout);
		}
		json_decref(rec);
		if (out && ++e->done % 1024 == 0)
			kvt_progress_update(e->done, e->total, &e->bar);
	}
	kv_iter_free(it);
	if (st != KV_NOTFOUND)
		return kvt_fail(e->db, st);
	return KVT_EXIT_OK;
}

/* The export itself, in one read snapshot. */
static int export_all(struct export *e)
{
	kv_status st;
	size_t i;
	int rc;

	if (e->csv && (rc = schema_columns(e)))
		return rc;
	if ((st = kv_txn_begin(&e->txn, e->db, KV_TXN_READONLY)) != KV_OK)
		return kvt_fail(e->db, st);
	if ((e->csv || e->bar.on) && (rc = walk(e, 0)))
		goto done;
	if (e->csv) {
		fputs("key", stdout);
		for (i = 0; i < e->cols.n; i++) {
			putchar(',');
			csv_cell(e, e->cols.name[i], strlen(e->cols.name[i]));
		}
		fputs("\r\n", stdout);
	}
	rc = walk(e, 1);
	kvt_progress_clear(&e->bar);
	if (rc == KVT_EXIT_OK && e->skipped)
		kvt_error("%llu values under the prefix are not records; "
		          "skipped", e->skipped);
done:
	kv_txn_abort(e->txn);
	return rc;
}

int kvt_cmd_export(const struct kvt_args *a)
{
	struct export e;
	int rc;

	memset(&e, 0, sizeof e);
	e.a = a;
	e.tty = isatty(STDOUT_FILENO);
	if (a->format && strcmp(a->format, "jsonl") && strcmp(a->format, "csv"))
		return kvt_usage(a->cmd, "--format is jsonl or csv, not '%s'",
		                 a->format);
	e.csv = a->format && !strcmp(a->format, "csv");
	if (a->npos > 0 &&
	    (rc = kvt_arg_bytes(&e.prefix, a->cmd, "PREFIX", a->pos[0])))
		return rc;
	kvt_progress_init(&e.bar, "export", 0);
	if ((rc = kvt_open(&e.db, a, KV_OPEN_READONLY)) == KVT_EXIT_OK)
		rc = kvt_close(e.db, export_all(&e));
	columns_free(&e.cols);
	free(e.prefix.p);
	return rc;
}
