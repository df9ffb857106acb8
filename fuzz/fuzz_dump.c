/*
 * fuzz/fuzz_dump.c - kvtool's dump parsers (cli/dump.c): the portable
 * format and LMDB's mdb_dump text.  The input is parsed as detected and
 * as each format in turn.  Promises checked:
 *  - a malformed dump is reported with a message and a line and column
 *    inside the input, never a crash or an overread;
 *  - a dump that parses, written again by kvtool's own writer in the same
 *    format, parses to exactly the same schemas and records (key, value
 *    and schema version), byte for byte: dump and load round-trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/dump.h"
#include "fuzz.h"

/* One schema or record as the parser handed it over. */
struct item {
	int is_schema;
	unsigned int version;
	char *key, *val;
	size_t key_len, val_len;
};

struct items {
	struct item *v;
	size_t n, cap;
};

static char *dup_bytes(const void *p, size_t len)
{
	char *d = malloc(len + 1);

	if (!d)
		fz_fail("out of memory");
	memcpy(d, p, len);
	d[len] = '\0';
	return d;
}

static struct item *add(struct items *it)
{
	if (it->n == it->cap) {
		it->cap = it->cap * 2 + 16;
		it->v = realloc(it->v, it->cap * sizeof *it->v);
		if (!it->v)
			fz_fail("out of memory");
	}
	memset(&it->v[it->n], 0, sizeof it->v[0]);
	return &it->v[it->n++];
}

static int on_schema(const char *json, size_t len, unsigned long line,
                     void *payload)
{
	struct item *i = add(payload);

	(void)line;
	if (json[len] != '\0')
		fz_fail("schema text of %zu bytes is not NUL-terminated", len);
	i->is_schema = 1;
	i->val = dup_bytes(json, len);
	i->val_len = len;
	return 0;
}

static int on_record(const void *key, size_t key_len, const void *val,
                     size_t val_len, unsigned int version,
                     unsigned long line, void *payload)
{
	struct item *i = add(payload);

	(void)line;
	i->key = dup_bytes(key, key_len);
	i->key_len = key_len;
	i->val = dup_bytes(val, val_len);
	i->val_len = val_len;
	i->version = version;
	return 0;
}

static void items_free(struct items *it)
{
	size_t k;

	for (k = 0; k < it->n; k++) {
		free(it->v[k].key);
		free(it->v[k].val);
	}
	free(it->v);
	memset(it, 0, sizeof *it);
}

/* Parse len bytes of buf as fmt into *out; the parser's result. */
static int parse(struct items *out, enum kvt_dump_format fmt,
                 const char *buf, size_t len, struct kvt_dump_error *err)
{
	struct kvt_dump_sink sink = { on_schema, on_record, NULL };

	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	sink.payload = out;
	return kvt_dump_parse(fmt, buf, len, &sink, err);
}

/* A refusal names its place, and the place is in the input. */
static void check_error(const struct kvt_dump_error *err, const char *buf,
                        size_t len)
{
	unsigned long lines = 1;
	size_t k;

	for (k = 0; k < len; k++)
		lines += buf[k] == '\n';
	if (!memchr(err->msg, '\0', sizeof err->msg) || err->msg[0] == '\0')
		fz_fail("a malformed dump is reported without a message");
	if (err->line < 1 || err->line > lines || err->col < 1)
		fz_fail("error at %lu:%lu is outside the input (%lu lines): %s",
		        err->line, err->col, lines, err->msg);
}

/* What fmt's writer makes of items, as an owned buffer of *len bytes. */
static char *rewrite(const struct items *it, enum kvt_dump_format fmt,
                     size_t *len)
{
	struct kvt_dump_writer w;
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	size_t k;

	if (!f)
		fz_fail("open_memstream failed");
	kvt_dump_begin(&w, f, fmt);
	for (k = 0; k < it->n; k++) {
		const struct item *i = &it->v[k];
		if (i->is_schema)
			kvt_dump_schema(&w, i->val, i->val_len);
		else
			kvt_dump_record(&w, i->key, i->key_len, i->val,
			                i->val_len, i->version);
	}
	kvt_dump_end(&w);
	if (fclose(f) != 0)
		fz_fail("writing the dump to memory failed");
	return text;
}

static int same_item(const struct item *a, const struct item *b,
                     enum kvt_dump_format fmt)
{
	return a->is_schema == b->is_schema && a->key_len == b->key_len &&
	       a->val_len == b->val_len &&
	       (fmt == KVT_DUMP_MDB || a->version == b->version) &&
	       (a->key_len == 0 || !memcmp(a->key, b->key, a->key_len)) &&
	       !memcmp(a->val, b->val, a->val_len);
}

/* The mdb format holds records only: what the writer can express. */
static void keep_expressible(struct items *it, enum kvt_dump_format fmt)
{
	size_t k, n = 0;

	if (fmt != KVT_DUMP_MDB)
		return;
	for (k = 0; k < it->n; k++) {
		if (it->v[k].is_schema || it->v[k].key_len > KVT_DUMP_MDB_MAXKEY) {
			free(it->v[k].key);
			free(it->v[k].val);
			continue;
		}
		it->v[n++] = it->v[k];
	}
	it->n = n;
}

/* Parse as fmt; a dump that parses must survive write-and-parse-again. */
static void one_format(enum kvt_dump_format fmt, const char *buf, size_t len)
{
	struct items first, again;
	struct kvt_dump_error err;
	enum kvt_dump_format used = fmt;
	char *text;
	size_t tlen, k;
	int rc = parse(&first, fmt, buf, len, &err);

	if (rc == -1)
		check_error(&err, buf, len);
	if (rc != 0) {
		items_free(&first);
		return;
	}
	if (used == KVT_DUMP_AUTO)
		used = kvt_dump_detect(buf, len);
	if (used == KVT_DUMP_AUTO)
		fz_fail("a dump parsed although neither format was detected");
	keep_expressible(&first, used);
	text = rewrite(&first, used, &tlen);
	rc = parse(&again, used, text, tlen, &err);
	if (rc != 0)
		fz_fail("kvtool's own %s dump does not parse (%d): %lu:%lu: %s",
		        used == KVT_DUMP_MDB ? "mdb" : "portable", rc, err.line,
		        err.col, err.msg);
	if (again.n != first.n)
		fz_fail("rewritten dump has %zu items, the original %zu",
		        again.n, first.n);
	for (k = 0; k < first.n; k++)
		if (!same_item(&first.v[k], &again.v[k], used))
			fz_fail("item %zu changed in a dump-load round trip "
			        "(key %s)", k,
			        fz_hex(first.v[k].key, first.v[k].key_len, 0));
	free(text);
	items_free(&first);
	items_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	one_format(KVT_DUMP_AUTO, buf, size);
	one_format(KVT_DUMP_PORTABLE, buf, size);
	one_format(KVT_DUMP_MDB, buf, size);
	return 0;
}
