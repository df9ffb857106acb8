/*
 * cli/diff.c - kvtool diff: two records (two runs, say) field by field,
 * side by side.
 *
 * The fields are those of the first record in its order, then those only
 * the second has, in its order.  Each line is marked as sdiff(1) marks
 * lines: ' ' the same, '|' different, '<' only in the first record, '>'
 * only in the second.  Values are compact JSON in ASCII, so nothing of a
 * record reaches the terminal raw; two values are the same when they are
 * equal as JSON (1.0 and 1 are not: JSON keeps them apart).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kvtool.h"

/* One line of the comparison; the texts are OWNED. */
struct row {
	const char *field; /* BORROWED from the records */
	char *left, *right; /* compact JSON, NULL when absent */
	char mark;
};

/* A value as compact JSON text (OWNED), or NULL for NULL. */
static char *json_text(const json_t *v)
{
	char *text = NULL;
	size_t size = 0;
	FILE *m;

	if (!v || !(m = open_memstream(&text, &size)))
		return NULL;
	kvt_json_dump(m, v);
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Read the record at key as a JSON object.  Returns an exit code. */
static int load_record(json_t **out, kv_db *db, const char *arg,
                       const struct kvt_cmd *cmd)
{
	struct kvt_bytes key = { NULL, 0 };
	void *val = NULL;
	size_t len = 0;
	kv_status st;
	int rc;

	if ((rc = kvt_arg_bytes(&key, cmd, "KEY", arg)))
		return rc;
	st = kv_db_get(&val, &len, db, key.p, key.len);
	if (st == KV_NOTFOUND) {
		fputs("kvtool: key '", stderr);
		kvt_escape(stderr, key.p, key.len);
		fputs("' not found\n", stderr);
		rc = KVT_EXIT_NOTFOUND;
	} else if (st != KV_OK) {
		rc = kvt_fail(db, st);
	} else if (!(*out = json_loadb(val, len, JSON_REJECT_DUPLICATES,
	                                NULL)) || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		fputs("kvtool: '", stderr);
		kvt_escape(stderr, key.p, key.len);
		fputs("' is not a record (a JSON object)\n", stderr);
		rc = KVT_EXIT_FAIL;
	}
	kv_free(val);
	free(key.p);
	return rc;
}

/* Compare the records field by field into rows (room for every field of
 * both); *n is the number of rows filled.  Returns -1 when a value could
 * not be printed (out of memory): a row would then claim it absent. */
static int compare(struct row *rows, size_t *n, const json_t *l,
                   const json_t *r)
{
	const char *name;
	json_t *v, *w;
	int lost = 0;

	*n = 0;
	json_object_foreach((json_t *)l, name, v) {
		w = json_object_get(r, name);
		rows[*n].field = name;
		rows[*n].left = json_text(v);
		rows[*n].right = json_text(w);
		rows[*n].mark = !w ? '<' : json_equal(v, w) ? ' ' : '|';
		lost |= !rows[*n].left || (w && !rows[*n].right);
		(*n)++;
	}
	json_object_foreach((json_t *)r, name, w) {
		if (json_object_get(l, name))
			continue;
		rows[*n].field = name;
		rows[*n].left = NULL;
		rows[*n].right = json_text(w);
		rows[*n].mark = '>';
		lost |= !rows[*n].right;
		(*n)++;
	}
	return lost ? -1 : 0;
}

/* Print s, escaped, padded with spaces to width (none when last). */
static void pad_text(const char *s, size_t width, int last)
{
	size_t n;

	kvt_put_text(stdout, s);
	for (n = strlen(s); !last && n < width; n++)
		putchar(' ');
}

/* Print the rows as a table: FIELD, the first record, the second. */
static void print_table(const struct row *rows, size_t n, const char *k1,
                        const char *k2)
{
	size_t i, fw = 5, lw = strlen(k1), len;

	for (i = 0; i < n; i++) {
		if ((len = strlen(rows[i].field)) > fw)
			fw = len;
		if (rows[i].left && (len = strlen(rows[i].left)) > lw)
			lw = len;
	}
	fputs("  ", stdout);
	pad_text("FIELD", fw, 0);
	fputs("  ", stdout);
	pad_text(k1, lw, 0);
	fputs("  ", stdout);
	pad_text(k2, 0, 1);
	putchar('\n');
	for (i = 0; i < n; i++) {
		printf("%c ", rows[i].mark);
		pad_text(rows[i].field, fw, 0);
		fputs("  ", stdout);
		pad_text(rows[i].left ? rows[i].left : "", lw, !rows[i].right);
		if (rows[i].right) {
			fputs("  ", stdout);
			pad_text(rows[i].right, 0, 1);
		}
		putchar('\n');
	}
}

/* Print the rows as one JSON object. */
static void print_json(const struct row *rows, size_t n,
                       const json_t *l, const json_t *r)
{
	static const char *const status[] = { "same", "changed", "left_only",
	                                      "right_only" };
	size_t i;
	int s;

	printf("{\"same\": %s, \"fields\": [", json_equal((json_t *)l,
	       (json_t *)r) ? "true" : "false");
	for (i = 0; i < n; i++) {
		s = rows[i].mark == ' ' ? 0 : rows[i].mark == '|' ? 1
		    : rows[i].mark == '<' ? 2 : 3;
		fputs(i ? ",\n  {" : "\n  {", stdout);
		kvt_json_field(stdout, "field", rows[i].field,
		               strlen(rows[i].field));
		printf(", \"status\": \"%s\"", status[s]);
		if (rows[i].left)
			printf(", \"left\": %s", rows[i].left);
		if (rows[i].right)
			printf(", \"right\": %s", rows[i].right);
		putchar('}');
	}
	fputs(n ? "\n]}\n" : "]}\n", stdout);
}

/* Compare and print; returns an exit code. */
static int diff_records(const struct kvt_args *a, const json_t *l,
                        const json_t *r)
{
	size_t n, i, cap = json_object_size(l) + json_object_size(r);
	struct row *rows = calloc(cap ? cap : 1, sizeof *rows);
	int rc = KVT_EXIT_OK;

	if (!rows) {
		kvt_error("out of memory");
		return KVT_EXIT_FAIL;
	}
	if (compare(rows, &n, l, r) != 0) {
		kvt_error("out of memory");
		rc = KVT_EXIT_FAIL;
	} else if (a->json) {
		print_json(rows, n, l, r);
	} else {
		print_table(rows, n, a->pos[0], a->pos[1]);
	}
	for (i = 0; i < n; i++) {
		free(rows[i].left);
		free(rows[i].right);
	}
	free(rows);
	return rc;
}

int kvt_cmd_diff(const struct kvt_args *a)
{
	json_t *l = NULL, *r = NULL;
	kv_db *db = NULL;
	int rc;

	if ((rc = kvt_open(&db, a, KV_OPEN_READONLY)))
		return rc;
	if ((rc = load_record(&l, db, a->pos[0], a->cmd)) == KVT_EXIT_OK &&
	    (rc = load_record(&r, db, a->pos[1], a->cmd)) == KVT_EXIT_OK)
		rc = diff_records(a, l, r);
	json_decref(l);
	json_decref(r);
	return kvt_close(db, rc);
}
