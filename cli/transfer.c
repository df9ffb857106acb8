/*
 * cli/transfer.c - moving whole stores: dump, load and convert.
 *
 * dump writes a store in one of the formats of dump.c; load reads one
 * back; convert copies a store to another path or backend.  What travels
 * is the records (key and value bytes) and every version of every schema.
 * Seals do not travel as bytes: a seal is recomputed by the destination
 * (with its own key, for a keyed store), and the source's seals are
 * checked as it is read, so a sealed, intact source gives a sealed,
 * intact destination.  The schema version each record was validated
 * under travels with it (kv_record_version, kv_record_restore): the
 * schemas are defined first, every version, and each record is then
 * written as validated under its own version.  That is what makes
 * defining the schemas first safe: a record an older version accepted is
 * judged by that version again, not refused by the current one, and
 * kvtool schema check finds in the copy what it finds in the source.
 * A record without a version (written before its schema, or by another
 * program) is written as a plain put, so validated by the current version.
 *
 * Safety: load parses the whole dump, and defines its schemas and writes
 * its records into a scratch store, before it writes anything; then it
 * writes every record in one transaction; convert never opens its source
 * for writing and writes its destination in one transaction.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "kvtool.h"

/* Every version of every schema of a store, oldest first per name. */
struct schemas {
	char **docs;
	size_t n, cap;
	char **names; /* the names kv_schema_list gave, with their */
	unsigned int *current; /* current version */
	size_t nnames;
	int oom;      /* note_schema ran out of memory */
	int mine;     /* docs are kvtool's (free), not libkv's (kv_free) */
};

/* libkv has no call that lists a schema's versions, so each of 1..N is
 * asked for; past this many, only the current version is copied. */
#define MAX_PROBED_VERSIONS 10000u

static void schemas_free(struct schemas *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		s->mine ? free(s->docs[i]) : kv_free(s->docs[i]);
	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->docs);
	free(s->names);
	free(s->current);
	memset(s, 0, sizeof *s);
}

/* kv_schema_list_fn: note a schema's name and current version. */
static int note_schema(const char *name, unsigned int version,
                       const char *prefix, void *payload)
{
	struct schemas *s = payload;
	char **names = realloc(s->names, (s->nnames + 1) * sizeof *names);
	unsigned int *cur;

	(void)prefix;
	if (names)
		s->names = names;
	cur = names ? realloc(s->current, (s->nnames + 1) * sizeof *cur)
	            : NULL;
	if (cur)
		s->current = cur;
	if (!cur || !(s->names[s->nnames] = strdup(name)))
		return s->oom = 1;
	s->current[s->nnames++] = version;
	return 0;
}

/* Add doc (OWNED by libkv, or by kvtool when s->mine) to s. */
static int add_doc(struct schemas *s, char *doc)
{
	char **docs;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		if (!(docs = realloc(s->docs, s->cap * sizeof *docs))) {
			s->mine ? free(doc) : kv_free(doc);
			return -1;
		}
		s->docs = docs;
	}
	s->docs[s->n++] = doc;
	return 0;
}

/* Read every version of every schema of db into s; returns an exit
 * code, reported. */
static int schemas_read(struct schemas *s, kv_db *db)
{
	unsigned int v;
	kv_status st;
	size_t i;
	char *doc;
	int rc;

	memset(s, 0, sizeof *s);
	st = kv_schema_list(db, note_schema, s);
	for (i = 0; st == KV_OK && i < s->nnames; i++) {
		v = 1;
		if (s->current[i] > MAX_PROBED_VERSIONS) {
			v = s->current[i];
			kvt_error("warning: schema %s is at version %u: only that "
			          "version is copied", s->names[i], v);
		}
		/* A schema may skip versions (1, then 3): ask for each. */
		for (; st == KV_OK && v <= s->current[i] && v != 0; v++) {
			st = kv_schema_get(&doc, db, s->names[i], v);
			if (st == KV_NOTFOUND)
				st = KV_OK;
			else if (st == KV_OK && add_doc(s, doc))
				st = KV_ENOMEM;
		}
	}
	if (st == KV_OK && s->oom) {
		kvt_error("out of memory");
		schemas_free(s);
		return KVT_EXIT_FAIL;
	}
	if (st != KV_OK) {
		rc = kvt_fail(db, st); /* before kv_free runs */
		schemas_free(s);
		return rc;
	}
	return KVT_EXIT_OK;
}

/* Define the schemas of s in db, in order.  Returns an exit code. */
static int schemas_define(kv_db *db, const struct schemas *s)
{
	kv_status st;
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((st = kv_schema_define(db, s->docs[i])) != KV_OK)
			return kvt_fail(db, st);
	return KVT_EXIT_OK;
}

/* The --format of dump and load. */
static int format_arg(enum kvt_dump_format *out, const struct kvt_args *a)
{
	*out = KVT_DUMP_AUTO;
	if (!a->format)
		return KVT_EXIT_OK;
	if (!strcmp(a->format, "portable"))
		*out = KVT_DUMP_PORTABLE;
	else if (!strcmp(a->format, "mdb"))
		*out = KVT_DUMP_MDB;
	else
		return kvt_usage(a->cmd, "--format is portable or mdb, not '%s'",
		                 a->format);
	return KVT_EXIT_OK;
}

/* ---- dump --------------------------------------------------------------- */

/* Write every record of db in key order, with its schema version, from
 * one snapshot; *versioned counts the records that have a version. */
static int dump_records(struct kvt_dump_writer *w, kv_db *db,
                        kv_u64 *versioned)
{
	const void *k, *v;
	size_t klen, vlen;
	kv_iter *it = NULL;
	kv_txn *txn = NULL;
	unsigned int version = 0;
	kv_status st;

	*versioned = 0;
	if ((st = kv_txn_begin(&txn, db, KV_TXN_READONLY)) == KV_OK)
		st = kv_iter_new(&it, db, txn, NULL, 0);
	while (st == KV_OK &&
	       (st = kv_iter_next(it, &k, &klen, &v, &vlen)) == KV_OK &&
	       (st = kv_record_version(&version, db, txn, k, klen)) == KV_OK) {
		if (w->fmt == KVT_DUMP_MDB && klen > KVT_DUMP_MDB_MAXKEY) {
			fputs("kvtool: key '", stderr);
			kvt_escape(stderr, k, klen);
			fprintf(stderr, "' is longer than %d bytes, LMDB's "
			        "limit: mdb_load would refuse the dump\n",
			        KVT_DUMP_MDB_MAXKEY);
			kv_iter_free(it);
			kv_txn_abort(txn);
			return KVT_EXIT_FAIL;
		}
		*versioned += version != 0;
		kvt_dump_record(w, k, klen, v, vlen, version);
	}
	kv_iter_free(it);
	kv_txn_abort(txn);
	if (st != KV_NOTFOUND)
		return kvt_fail(db, st);
	return KVT_EXIT_OK;
}

int kvt_cmd_dump(const struct kvt_args *a)
{
	enum kvt_dump_format fmt;
	struct kvt_dump_writer w;
	struct schemas s;
	kv_db *db = NULL;
	FILE *out = stdout;
	kv_u64 versioned = 0;
	size_t i;
	int rc;

	if ((rc = format_arg(&fmt, a)))
		return rc;
	if ((rc = kvt_open(&db, a, KV_OPEN_READONLY)))
		return rc;
	if ((rc = schemas_read(&s, db)))
		return kvt_close(db, rc);
	if (a->file && strcmp(a->file, "-") && !(out = fopen(a->file, "w"))) {
		kvt_error("%s: %s", a->file, strerror(errno));
		schemas_free(&s);
		return kvt_close(db, KVT_EXIT_FAIL);
	}
	kvt_dump_begin(&w, out, fmt == KVT_DUMP_AUTO ? KVT_DUMP_PORTABLE : fmt);
	for (i = 0; i < s.n; i++)
		kvt_dump_schema(&w, s.docs[i], strlen(s.docs[i]));
	/* A failed dump has no end line, so that load refuses it. */
	if ((rc = dump_records(&w, db, &versioned)) == KVT_EXIT_OK)
		kvt_dump_end(&w);
	if (fmt == KVT_DUMP_MDB && s.n > 0)
		kvt_error("warning: the mdb format has no place for the %zu "
		          "schema versions; they were left out", s.n);
	if (fmt == KVT_DUMP_MDB && versioned > 0)
		kvt_error("warning: the mdb format has no place for the schema "
		          "version of %llu records; it was left out",
		          (unsigned long long)versioned);
	if (out != stdout && fclose(out) != 0 && rc == KVT_EXIT_OK) {
		kvt_error("%s: %s", a->file, strerror(errno));
		rc = KVT_EXIT_FAIL;
	}
	schemas_free(&s);
	return kvt_close(db, rc);
}

/* ---- load --------------------------------------------------------------- */

/* What the passes of load share. */
struct loader {
	const struct kvt_args *a;
	const char *name;          /* the dump's name in messages */
	kv_db *db;
	kv_db *into;               /* where records go: db, or the scratch */
	kv_txn *txn;               /* ... in this transaction of it */
	int scratch;               /* into is the scratch store */
	kv_u64 versioned;          /* records with a version line */
	struct schemas s;          /* the dump's schemas, to define */
	unsigned long *lines;      /* the line of each of them */
	kv_u64 total, done;
	struct kvt_progress bar;
};

/* Pass one, schema line: keep the document if it is a JSON object. */
static int check_schema(const char *json, size_t len, unsigned long line,
                        void *payload)
{
	struct loader *l = payload;
	unsigned long *lines;
	char *doc;

	if (kvt_json_check(json, len) != 1 || strlen(json) != len) {
		kvt_error("%s:%lu:8: schema is not a JSON object", l->name,
		          line);
		return KVT_EXIT_BADDUMP;
	}
	lines = realloc(l->lines, (l->s.n + 1) * sizeof *lines);
	if (lines)
		l->lines = lines;
	if (!lines || !(doc = malloc(len + 1)) || add_doc(&l->s, doc)) {
		kvt_error("out of memory");
		return KVT_EXIT_FAIL;
	}
	memcpy(doc, json, len + 1);
	l->lines[l->s.n - 1] = line;
	return 0;
}

/* Pass one, record: count it. */
static int count_record(const void *k, size_t klen, const void *v,
                        size_t vlen, unsigned int version, unsigned long line,
                        void *payload)
{
	struct loader *l = payload;

	(void)k, (void)klen, (void)v, (void)vlen, (void)line;
	l->total++;
	l->versioned += version != 0;
	return 0;
}

/* Passes two and three, record: write it in l->txn, as validated under
 * its version.  A version the schemas do not have is the version line's
 * fault; in the scratch store any refusal is the dump's. */
static int put_record(const void *k, size_t klen, const void *v,
                      size_t vlen, unsigned int version, unsigned long line,
                      void *payload)
{
	struct loader *l = payload;
	kv_status st = kv_record_restore(l->into, l->txn, k, klen, v, vlen,
	                                 version);

	if (st != KV_OK) {
		kvt_progress_clear(&l->bar);
		if (version && st == KV_NOTFOUND)
			fprintf(stderr, "kvtool: %s:%lu:9: key '", l->name,
			        line + 1);
		else
			fprintf(stderr, "kvtool: %s:%lu: key '", l->name, line);
		kvt_escape(stderr, k, klen);
		fputs("': ", stderr);
		kvt_put_text(stderr, kv_db_errmsg(l->into));
		putc('\n', stderr);
		if (l->scratch && (st == KV_NOTFOUND || st == KV_ESCHEMA ||
		                   st == KV_EREADONLY))
			return KVT_EXIT_BADDUMP;
		return kvt_exit_code(st);
	}
	if (++l->done % 1024 == 0)
		kvt_progress_update(l->done, l->total, &l->bar);
	return 0;
}

/* Parse the dump; report a malformed one.  Returns an exit code. */
static int parse(struct loader *l, enum kvt_dump_format fmt,
                 const struct kvt_bytes *in, const struct kvt_dump_sink *k)
{
	struct kvt_dump_error err;
	int rc = kvt_dump_parse(fmt, (const char *)in->p, in->len, k, &err);

	if (rc == -1) {
		kvt_progress_clear(&l->bar);
		fprintf(stderr, "kvtool: %s:%lu:%lu: ", l->name, err.line,
		        err.col);
		kvt_put_text(stderr, err.msg);
		putc('\n', stderr);
		return KVT_EXIT_BADDUMP;
	}
	if (rc == -2) {
		kvt_error("out of memory");
		return KVT_EXIT_FAIL;
	}
	return rc;
}

/* Remove the scratch directory dir and what the scratch store left in
 * it (a backend may keep files beside its own). */
static void remove_scratch(const char dir[PATH_MAX / 2])
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Pass two: the dump's records written into the scratch store, which
 * has its schemas, in a transaction that is then rolled back: a record
 * its version refuses, or a version the dump lacks, stops the load
 * before the target is touched (the target then gets the schemas before
 * the records, in two transactions). */
static int try_records(struct loader *l, kv_db *scratch,
                       enum kvt_dump_format fmt, const struct kvt_bytes *in)
{
	struct kvt_dump_sink pass = { NULL, put_record, l };
	kv_status st;
	int rc;

	if ((st = kv_txn_begin(&l->txn, scratch, 0)) != KV_OK)
		return kvt_fail(scratch, st);
	l->into = scratch;
	l->scratch = 1;
	rc = parse(l, fmt, in, &pass);
	kv_txn_abort(l->txn);
	l->txn = NULL;
	l->scratch = 0;
	l->done = 0;
	if (rc)
		kvt_error("nothing was loaded");
	return rc;
}

/* Try the dump's schemas, and then its records, in a scratch store, so
 * that a schema libkv refuses stops the load before the target is
 * touched. */
static int try_schemas(struct loader *l, enum kvt_dump_format fmt,
                       const struct kvt_bytes *in)
{
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX / 2], path[PATH_MAX];
	kv_db *scratch = NULL;
	kv_status st;
	int rc = KVT_EXIT_OK, n;
	size_t i;

	if (l->s.n == 0 && l->versioned == 0)
		return KVT_EXIT_OK;
	n = snprintf(dir, sizeof dir, "%s/kvtool-load.XXXXXX",
	             tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof dir || !mkdtemp(dir)) {
		kvt_error("cannot make a scratch directory: %s", strerror(errno));
		return KVT_EXIT_FAIL;
	}
	snprintf(path, sizeof path, "%s/check", dir);
	o.keyfile = ""; /* unkeyed, whatever $KV_KEYFILE says */
	if ((st = kv_db_open(&scratch, path, &o)) != KV_OK)
		rc = kvt_fail(NULL, st);
	for (i = 0; st == KV_OK && i < l->s.n; i++) {
		if ((st = kv_schema_define(scratch, l->s.docs[i])) == KV_OK)
			continue;
		fprintf(stderr, "kvtool: %s:%lu:8: ", l->name, l->lines[i]);
		kvt_put_text(stderr, kv_db_errmsg(scratch));
		fputs("; nothing was loaded\n", stderr);
		rc = KVT_EXIT_BADDUMP;
	}
	if (st == KV_OK)
		rc = try_records(l, scratch, fmt, in);
	kv_db_close(scratch);
	remove_scratch(dir);
	return rc;
}

/* Is the target empty?  Without --overwrite it must be. */
static int check_target(struct loader *l)
{
	kv_stat s = KV_STAT_INIT;
	struct schemas have;
	kv_status st;
	size_t n;
	int rc;

	if ((st = kv_db_stat(&s, l->db)) != KV_OK)
		return kvt_fail(l->db, st);
	if ((rc = schemas_read(&have, l->db)))
		return rc;
	n = have.n;
	schemas_free(&have);
	if ((s.count || n) && !l->a->overwrite) {
		kvt_error("%s holds %llu records and %zu schema versions; "
		          "load --overwrite writes over its keys", l->a->store,
		          s.count, n);
		return KVT_EXIT_EXISTS;
	}
	return KVT_EXIT_OK;
}

/* Define the dump's schemas before its records, so that each record can
 * be validated under its own version; with --overwrite a version the
 * target has already is left as it is. */
static int define_before(struct loader *l, size_t *defined)
{
	kv_status st;
	size_t i;

	*defined = 0;
	for (i = 0; i < l->s.n; i++) {
		st = kv_schema_define(l->db, l->s.docs[i]);
		if (st == KV_EXISTS && l->a->overwrite)
			continue;
		if (st != KV_OK) {
			kvt_fail(l->db, st);
			kvt_error("the schemas before this one were defined; "
			          "no record was loaded");
			return kvt_exit_code(st);
		}
		++*defined;
	}
	return KVT_EXIT_OK;
}

/* The passes over the dump in memory: check it, try it in a scratch
 * store, then the schemas and the records into the target. */
static int load_dump(struct loader *l, enum kvt_dump_format fmt,
                     const struct kvt_bytes *in)
{
	struct kvt_dump_sink first = { check_schema, count_record, l };
	struct kvt_dump_sink last = { NULL, put_record, l };
	size_t defined = 0;
	kv_status st;
	int rc;

	if ((rc = parse(l, fmt, in, &first))) {
		if (rc == KVT_EXIT_BADDUMP)
			kvt_error("nothing was loaded");
		return rc;
	}
	if ((rc = try_schemas(l, fmt, in)) ||
	    (rc = kvt_open(&l->db, l->a, KV_OPEN_CREATE)) ||
	    (rc = check_target(l)) || (rc = define_before(l, &defined)))
		return rc;
	if ((st = kv_txn_begin(&l->txn, l->db, 0)) != KV_OK)
		return kvt_fail(l->db, st);
	l->into = l->db;
	if ((rc = parse(l, fmt, in, &last))) {
		kv_txn_abort(l->txn);
		kvt_error(defined ? "no record was loaded (%zu schema versions "
		          "were defined)" : "nothing was loaded", defined);
		return rc;
	}
	kvt_progress_update(l->done, l->total, &l->bar);
	kvt_progress_clear(&l->bar);
	if ((st = kv_txn_commit(l->txn)) != KV_OK)
		return kvt_fail(l->db, st);
	printf("loaded %llu records and %zu schema versions\n", l->done,
	       defined);
	return KVT_EXIT_OK;
}

/* The dump to load: FILE, or stdin. */
static int read_input(struct kvt_bytes *out, const char *name)
{
	FILE *f = stdin;
	int rc;

	if (strcmp(name, "-") && !(f = fopen(name, "rb"))) {
		kvt_error("%s: %s", name, strerror(errno));
		return KVT_EXIT_FAIL;
	}
	if (f == stdin && isatty(STDIN_FILENO))
		kvt_error("reading the dump from the terminal; end it with "
		          "Ctrl-D");
	rc = kvt_read_all(out, f);
	if (rc)
		kvt_error("%s: %s", name, strerror(errno));
	if (f != stdin)
		fclose(f);
	return rc ? KVT_EXIT_FAIL : KVT_EXIT_OK;
}

int kvt_cmd_load(const struct kvt_args *a)
{
	struct kvt_bytes in = { NULL, 0 };
	enum kvt_dump_format fmt;
	struct loader l;
	int rc;

	memset(&l, 0, sizeof l);
	l.a = a;
	l.s.mine = 1;
	l.name = a->npos > 0 && strcmp(a->pos[0], "-") ? a->pos[0] : "stdin";
	if ((rc = format_arg(&fmt, a)) ||
	    (rc = read_input(&in, a->npos > 0 ? a->pos[0] : "-")))
		return rc;
	kvt_progress_init(&l.bar, "load", 0);
	rc = load_dump(&l, fmt, &in);
	free(in.p);
	free(l.lines);
	schemas_free(&l.s);
	return l.db ? kvt_close(l.db, rc) : rc;
}

/* ---- convert ------------------------------------------------------------ */

/* What convert's checks and copy share. */
struct convert {
	const struct kvt_args *a;
	const char *dst;
	kv_db *src, *out;
	struct kvt_progress bar;
	kv_u64 corrupt, unsealed, records;
};

/* The file part of a store's URI: what follows "scheme:", when the text
 * before the first colon is a scheme (lower-case letters and digits). */
static const char *uri_path(const char *uri)
{
	const char *p = uri;

	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
		p++;
	return *p == ':' && p > uri ? p + 1 : uri;
}

/* Do SRC and DST name one file?  Converting a store onto itself would
 * empty it (--force) or open it twice, which LMDB forbids. */
static int same_file(const char *src_path, const char *dst)
{
	struct stat a, b;

	return stat(src_path, &a) == 0 && stat(uri_path(dst), &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* kv_problem_fn of the source check: name each problem on stderr. */
static int src_problem(kv_problem p, const void *key, size_t key_len,
                       const char *message, void *payload)
{
	struct convert *c = payload;

	kvt_progress_clear(&c->bar);
	c->corrupt += p == KV_PROBLEM_CORRUPT;
	c->unsealed += p == KV_PROBLEM_UNSEALED;
	if (p == KV_PROBLEM_UNSEALED && !c->a->adopt) {
		fputs("kvtool: source: unsealed: ", stderr);
		kvt_escape(stderr, key, key_len);
		putc('\n', stderr);
	} else if (p != KV_PROBLEM_UNSEALED) {
		fputs("kvtool: source: ", stderr);
		kvt_put_text(stderr, message ? message : "");
		putc('\n', stderr);
	}
	return 0;
}

/* kv_progress_fn of the source check. */
static int src_progress(kv_u64 done, kv_u64 total, void *payload)
{
	struct convert *c = payload;

	return kvt_progress_update(done, total, &c->bar);
}

/* Check every seal of the source and its digest before copying: a
 * damaged source is refused; unsealed records need --adopt. */
static int check_source(struct convert *c)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	kv_status st;

	kvt_progress_init(&c->bar, "check", 0);
	st = kv_db_verify(&rep, c->src, src_problem, src_progress, c);
	kvt_progress_clear(&c->bar);
	if (st != KV_OK)
		return kvt_fail(c->src, st);
	c->records = rep.records;
	if (!rep.checked) {
		kvt_error("%s is keyed: give its key with --keyfile, so that "
		          "its seals are checked", c->a->store);
		return KVT_EXIT_KEY;
	}
	if (rep.corrupt || !rep.digest_ok) {
		kvt_error("%s is damaged (kvtool verify lists how); nothing was "
		          "converted", c->a->store);
		return KVT_EXIT_INTEGRITY;
	}
	if (rep.unsealed && !c->a->adopt) {
		kvt_error("%s has %llu unsealed records, written by another "
		          "program; convert --adopt seals them in the "
		          "destination", c->a->store, rep.unsealed);
		return KVT_EXIT_INTEGRITY;
	}
	return KVT_EXIT_OK;
}

/* Open DST: a new store, or with --force an existing one emptied. */
static int open_dst(struct convert *c)
{
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	kv_status st;

	o.keyfile = c->a->dst_keyfile ? c->a->dst_keyfile : c->a->keyfile;
	o.flags = KV_OPEN_READONLY;
	st = kv_db_open(&c->out, c->dst, &o);
	if (st == KV_OK) {
		kv_db_close(c->out);
		c->out = NULL;
		if (!c->a->force) {
			kvt_error("%s exists; convert --force replaces it",
			          c->dst);
			return KVT_EXIT_EXISTS;
		}
	} else if (st != KV_ENOENT) {
		return kvt_fail(NULL, st); /* never truncate a foreign file */
	}
	o.flags = c->a->force ? KV_OPEN_TRUNCATE : KV_OPEN_CREATE;
	if ((st = kv_db_open(&c->out, c->dst, &o)) != KV_OK)
		return kvt_fail(NULL, st);
	return KVT_EXIT_OK;
}

/* Copy every record of the source with its schema version, from one
 * snapshot, in one write transaction of the destination (which has the
 * source's schemas already). */
static int copy_records(struct convert *c)
{
	const void *k, *v;
	size_t klen, vlen;
	kv_iter *it = NULL;
	kv_txn *txn = NULL, *snap = NULL;
	unsigned int version = 0;
	kv_u64 n = 0;
	kv_status st;
	kv_db *failed = c->src;

	kvt_progress_init(&c->bar, "convert", 0);
	if ((st = kv_txn_begin(&txn, c->out, 0)) != KV_OK)
		return kvt_fail(c->out, st);
	if ((st = kv_txn_begin(&snap, c->src, KV_TXN_READONLY)) == KV_OK)
		st = kv_iter_new(&it, c->src, snap, NULL, 0);
	while (st == KV_OK &&
	       (st = kv_iter_next(it, &k, &klen, &v, &vlen)) == KV_OK &&
	       (st = kv_record_version(&version, c->src, snap, k,
	                               klen)) == KV_OK) {
		if ((st = kv_record_restore(c->out, txn, k, klen, v, vlen,
		                            version)) != KV_OK)
			failed = c->out;
		else if (++n % 1024 == 0)
			kvt_progress_update(n, c->records, &c->bar);
	}
	kv_iter_free(it);
	kv_txn_abort(snap);
	kvt_progress_clear(&c->bar);
	if (st != KV_NOTFOUND) {
		kv_txn_abort(txn);
		return kvt_fail(failed, st);
	}
	if ((st = kv_txn_commit(txn)) != KV_OK)
		return kvt_fail(c->out, st);
	c->records = n;
	return KVT_EXIT_OK;
}

/* Open, check, copy: the body of convert.  Returns an exit code. */
static int convert(struct convert *c)
{
	struct schemas s;
	int rc;

	if ((rc = kvt_open(&c->src, c->a, KV_OPEN_READONLY)))
		return rc;
	if (same_file(kv_db_path(c->src), c->dst))
		return kvt_usage(c->a->cmd, "%s and %s are one store",
		                 c->a->store, c->dst);
	if ((rc = check_source(c)) || (rc = schemas_read(&s, c->src)))
		return rc;
	/* The schemas first, so that each record is restored under the
	 * version it was validated with. */
	if ((rc = open_dst(c)) == KVT_EXIT_OK &&
	    (rc = schemas_define(c->out, &s)) == KVT_EXIT_OK &&
	    (rc = copy_records(c)) == KVT_EXIT_OK)
		printf("converted %llu records and %zu schema versions from "
		       "%s (%s) to %s (%s)\n", c->records, s.n, c->a->store,
		       kv_db_backend(c->src), c->dst, kv_db_backend(c->out));
	else if (c->out)
		kvt_error("%s is left without the source's records", c->dst);
	schemas_free(&s);
	return rc;
}

int kvt_cmd_convert(const struct kvt_args *a)
{
	struct convert c;
	int rc;

	memset(&c, 0, sizeof c);
	c.a = a;
	c.dst = a->pos[0];
	rc = convert(&c);
	if (c.out)
		rc = kvt_close(c.out, rc);
	return c.src ? kvt_close(c.src, rc) : rc;
}
