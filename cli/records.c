/*
 * cli/records.c - kvtool's commands on the metadata layer: schema (list,
 * show, add, check) and record (get, set, del).
 *
 * Both commands take a subcommand after STORE, as in
 * "kvtool record runs.kv set runs/0001 loss=0.41".  The dispatcher checks
 * the subcommand's arguments and options; each subcommand opens the store
 * itself (read-only unless it writes, after reading its input, so that a
 * bad input never creates an empty store), does its one thing and closes
 * it.  Records and schema documents are JSON text throughout: kvtool
 * checks and re-spaces them (json.c) but never needs their values.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kvtool.h"

/* One subcommand.  args are the arguments after its name. */
struct sub {
	const char *name;
	int (*run)(const struct kvt_args *a, char **args, int nargs);
	int min_args, max_args;
	unsigned int opts; /* KVT_OPT_* it takes */
};

/* Check a->pos against the table subs and run the subcommand. */
static int dispatch(const struct kvt_args *a, const struct sub *subs,
                    size_t nsubs, const char *names)
{
	const struct sub *s = NULL;
	size_t i;
	int n;

	if (a->npos < 1)
		return kvt_usage(a->cmd, "%s: missing subcommand after STORE "
		                 "(%s)", a->cmd->name, names);
	for (i = 0; i < nsubs && !s; i++)
		if (!strcmp(subs[i].name, a->pos[0]))
			s = &subs[i];
	if (!s)
		return kvt_usage(a->cmd, "%s: unknown subcommand '%s' (%s)",
		                 a->cmd->name, a->pos[0], names);
	n = a->npos - 1;
	if (n < s->min_args)
		return kvt_usage(a->cmd, "%s %s: missing argument",
		                 a->cmd->name, s->name);
	if (n > s->max_args)
		return kvt_usage(a->cmd, "%s %s: unexpected argument '%s'",
		                 a->cmd->name, s->name,
		                 a->pos[1 + s->max_args]);
	if (a->json && !(s->opts & KVT_OPT_JSON))
		return kvt_usage(a->cmd, "%s %s does not take --json",
		                 a->cmd->name, s->name);
	if (a->has_version && !(s->opts & KVT_OPT_VERSION))
		return kvt_usage(a->cmd, "%s %s does not take --version",
		                 a->cmd->name, s->name);
	return s->run(a, a->pos + 1, n);
}

/* Print JSON text from the store, compact or pretty, and a newline;
 * KVT_EXIT_CORRUPT when it is not JSON after all. */
static int print_json(const char *text, int pretty, const char *what)
{
	if (!kvt_json_check(text, strlen(text))) {
		kvt_error("%s is not valid JSON", what);
		return KVT_EXIT_CORRUPT;
	}
	kvt_json_write(stdout, text, strlen(text), pretty);
	putchar('\n');
	return KVT_EXIT_OK;
}

/* ---- schema ---------------------------------------------------------- */

/* Output state of schema list and schema check. */
struct listing {
	int json;
	unsigned long n;
};

/* Open a JSON array entry, after a comma unless it is the first. */
static void json_entry(struct listing *l)
{
	fputs(l->n++ ? ",\n  {" : "\n  {", stdout);
}

/* Close a JSON array opened with "[". */
static void json_close(const struct listing *l)
{
	fputs(l->n ? "\n]\n" : "]\n", stdout);
}

static int list_one(const char *name, unsigned int version,
                    const char *prefix, void *payload)
{
	struct listing *l = payload;

	if (l->json) {
		json_entry(l);
		kvt_json_field(stdout, "name", name, strlen(name));
		printf(", \"version\": %u, ", version);
		kvt_json_field(stdout, "prefix", prefix, strlen(prefix));
		putchar('}');
		return 0;
	}
	kvt_escape(stdout, name, strlen(name));
	printf("\t%u\t", version);
	kvt_escape(stdout, prefix, strlen(prefix));
	putchar('\n');
	return 0;
}

static int schema_list(const struct kvt_args *a, char **args, int nargs)
{
	struct listing l = { a->json, 0 };
	kv_db *db = NULL;
	kv_status st;
	int rc;

	(void)args;
	(void)nargs;
	if ((rc = kvt_open(&db, a, KV_OPEN_READONLY)))
		return rc;
	if (a->json)
		putchar('[');
	st = kv_schema_list(db, list_one, &l);
	if (a->json)
		json_close(&l);
	return kvt_close(db, st == KV_OK ? KVT_EXIT_OK : kvt_fail(db, st));
}

static int schema_show(const struct kvt_args *a, char **args, int nargs)
{
	kv_db *db = NULL;
	char *doc = NULL;
	kv_status st;
	int rc;

	(void)nargs;
	if ((rc = kvt_open(&db, a, KV_OPEN_READONLY)))
		return rc;
	st = kv_schema_get(&doc, db, args[0],
	                   a->has_version ? a->version : 0);
	if (st != KV_OK)
		rc = kvt_fail(db, st);
	else
		rc = print_json(doc, !a->json, "the stored schema document");
	kv_free(doc);
	return kvt_close(db, rc);
}

/* The current version of every schema, to tell what schema add did. */
struct versions {
	char **names; /* OWNED */
	unsigned int *v;
	size_t n;
	int nomem;
};

static int collect_one(const char *name, unsigned int version,
                       const char *prefix, void *payload)
{
	struct versions *vs = payload;
	char **names = realloc(vs->names, (vs->n + 1) * sizeof *names);
	unsigned int *v;

	(void)prefix;
	if (names)
		vs->names = names;
	v = names ? realloc(vs->v, (vs->n + 1) * sizeof *v) : NULL;
	if (v)
		vs->v = v;
	if (!v || !(vs->names[vs->n] = strdup(name))) {
		vs->nomem = 1;
		return 1;
	}
	vs->v[vs->n++] = version;
	return 0;
}

static void versions_free(struct versions *vs)
{
	while (vs->n)
		free(vs->names[--vs->n]);
	free(vs->names);
	free(vs->v);
}

/* After a define, called for each schema: say which one the define
 * added or evolved (the one not in the list from before), then stop. */
static int report_define(const char *name, unsigned int version,
                         const char *prefix, void *payload)
{
	const struct versions *before = payload;
	size_t i;

	for (i = 0; i < before->n; i++)
		if (!strcmp(before->names[i], name))
			break;
	if (i < before->n && before->v[i] == version)
		return 0;
	printf("%s schema ", i < before->n ? "evolved" : "defined");
	kvt_put_text(stdout, name);
	if (i < before->n) {
		printf(" from version %u to %u\n", before->v[i], version);
	} else {
		printf(" version %u over prefix ", version);
		kvt_put_text(stdout, prefix);
		putchar('\n');
	}
	return 1;
}

/* Read the document of schema add: FILE, or stdin for "-"; as a C string
 * (OWNED).  Returns an exit code, reported. */
static int read_document(char **out, const char *name)
{
	struct kvt_bytes b = { NULL, 0 };
	FILE *f = stdin;
	char *text;
	int rc;

	if (strcmp(name, "-") != 0 && !(f = fopen(name, "rb"))) {
		kvt_error("%s: %s", name, strerror(errno));
		return KVT_EXIT_FAIL;
	}
	rc = kvt_read_all(&b, f);
	if (rc != 0)
		kvt_error("%s: %s", f == stdin ? "stdin" : name,
		          strerror(errno));
	if (f != stdin)
		fclose(f);
	if (rc != 0)
		return KVT_EXIT_FAIL;
	if (memchr(b.p, 0, b.len)) {
		free(b.p);
		kvt_error("%s: a schema document is JSON text, and this one "
		          "holds a NUL byte", f == stdin ? "stdin" : name);
		return KVT_EXIT_REFUSED;
	}
	if (!(text = realloc(b.p, b.len + 1))) {
		free(b.p);
		kvt_error("out of memory");
		return KVT_EXIT_FAIL;
	}
	text[b.len] = '\0';
	*out = text;
	return KVT_EXIT_OK;
}

static int schema_add(const struct kvt_args *a, char **args, int nargs)
{
	struct versions before = { NULL, NULL, 0, 0 };
	kv_db *db = NULL;
	char *doc = NULL;
	kv_status st;
	int rc;

	(void)nargs;
	if ((rc = read_document(&doc, args[0])) ||
	    (rc = kvt_open(&db, a, KV_OPEN_CREATE)))
		goto done;
	if ((st = kv_schema_list(db, collect_one, &before)) != KV_OK) {
		rc = kvt_fail(db, st);
		goto done;
	}
	if (before.nomem) {
		kvt_error("out of memory");
		rc = KVT_EXIT_FAIL;
		goto done;
	}
	if ((st = kv_schema_define(db, doc)) != KV_OK) {
		rc = kvt_fail(db, st);
		goto done;
	}
	/* Only a message: a failure here does not undo the define. */
	kv_schema_list(db, report_define, &before);
done:
	versions_free(&before);
	free(doc);
	return db ? kvt_close(db, rc) : rc;
}

static int check_one(const char *schema, const char *key,
                     const char *message, void *payload)
{
	struct listing *l = payload;

	if (l->json) {
		json_entry(l);
		kvt_json_field(stdout, "schema", schema, strlen(schema));
		fputs(", ", stdout);
		kvt_json_field(stdout, "key", key, strlen(key));
		fputs(", ", stdout);
		kvt_json_field(stdout, "message", message, strlen(message));
		putchar('}');
		return 0;
	}
	l->n++;
	kvt_put_text(stdout, key);
	fputs(": ", stdout);
	kvt_put_text(stdout, message);
	putchar('\n');
	return 0;
}

static int schema_check(const struct kvt_args *a, char **args, int nargs)
{
	struct listing l = { a->json, 0 };
	unsigned long bad = 0;
	kv_db *db = NULL;
	kv_status st;
	int rc;

	if ((rc = kvt_open(&db, a, KV_OPEN_READONLY)))
		return rc;
	if (a->json)
		putchar('[');
	st = kv_schema_check(&bad, db, nargs ? args[0] : NULL, check_one, &l);
	if (a->json)
		json_close(&l);
	if (st != KV_OK) {
		rc = kvt_fail(db, st);
	} else if (bad) {
		kvt_error("%lu record%s fail%s %s schema", bad,
		          bad == 1 ? "" : "s", bad == 1 ? "s" : "",
		          bad == 1 ? "its" : "their");
		rc = KVT_EXIT_VIOLATIONS;
	}
	return kvt_close(db, rc);
}

static const struct sub schema_subs[] = {
	{ "list", schema_list, 0, 0, KVT_OPT_JSON },
	{ "show", schema_show, 1, 1, KVT_OPT_JSON | KVT_OPT_VERSION },
	{ "add", schema_add, 1, 1, 0 },
	{ "check", schema_check, 0, 1, KVT_OPT_JSON },
};

int kvt_cmd_schema(const struct kvt_args *a)
{
	return dispatch(a, schema_subs,
	                sizeof schema_subs / sizeof *schema_subs,
	                "list, show, add or check");
}

/* ---- record ---------------------------------------------------------- */

/* KEY of a record command: unescaped, not empty, no NUL (the record API
 * takes C strings).  *out is OWNED.  Returns an exit code. */
static int record_key(char **out, const struct kvt_args *a, const char *arg)
{
	struct kvt_bytes key = { NULL, 0 };
	int rc = kvt_arg_bytes(&key, a->cmd, "KEY", arg);

	if (rc)
		return rc;
	if (key.len == 0 || memchr(key.p, 0, key.len)) {
		free(key.p);
		return kvt_usage(a->cmd, key.len ? "a record's KEY cannot "
		                 "hold a NUL byte" : "KEY must not be empty");
	}
	*out = (char *)key.p;
	return KVT_EXIT_OK;
}

static int record_get(const struct kvt_args *a, char **args, int nargs)
{
	kv_db *db = NULL;
	char *key = NULL, *text = NULL;
	kv_status st;
	int rc;

	if ((rc = record_key(&key, a, args[0])) ||
	    (rc = kvt_open(&db, a, KV_OPEN_READONLY)))
		goto done;
	if (nargs > 1)
		st = kv_record_field(&text, db, NULL, key, args[1]);
	else
		st = kv_record_get(&text, db, NULL, key);
	if (st != KV_OK) {
		rc = kvt_fail(db, st);
	} else if (nargs == 1 && kvt_json_check(text, strlen(text)) != 1) {
		/* kv_record_get does not parse: check here, so that what
		 * this prints is a record (use get for other values). */
		fputs("kvtool: key '", stderr);
		kvt_escape(stderr, key, strlen(key));
		fputs("' holds no record: its value is not a JSON object "
		      "(see 'kvtool get')\n", stderr);
		rc = KVT_EXIT_REFUSED;
	} else {
		rc = print_json(text, 0, "the stored field");
	}
done:
	kv_free(text);
	free(key);
	return db ? kvt_close(db, rc) : rc;
}

/* Write one FIELD=VALUE of record set as a member of a JSON object:
 * VALUE as it is when it is JSON, else as a JSON string. */
static int set_member(FILE *m, const struct kvt_args *a, const char *arg,
                      size_t name_len)
{
	const char *value = arg + name_len + 1;
	size_t len = strlen(value);

	if (kvt_json_string(m, arg, name_len) != 0)
		return kvt_usage(a->cmd, "field name in '%s' is not UTF-8 text",
		                 arg);
	putc(':', m);
	if (kvt_json_check(value, len))
		fwrite(value, 1, len, m);
	else if (kvt_json_string(m, value, len) != 0)
		return kvt_usage(a->cmd, "value in '%s' is neither JSON nor "
		                 "UTF-8 text", arg);
	return KVT_EXIT_OK;
}

/* The JSON object of the FIELD=VALUE arguments of record set; *out is
 * OWNED (free).  Returns an exit code, reported. */
static int set_object(char **out, const struct kvt_args *a, char **args,
                      int nargs)
{
	size_t size = 0, *lens = calloc((size_t)nargs, sizeof *lens);
	char *buf = NULL;
	FILE *m = NULL;
	int i, j, rc = KVT_EXIT_OK;

	if (!lens || !(m = open_memstream(&buf, &size))) {
		kvt_error("out of memory");
		rc = KVT_EXIT_FAIL;
		goto done;
	}
	putc('{', m);
	for (i = 0; i < nargs && rc == KVT_EXIT_OK; i++) {
		const char *eq = strchr(args[i], '=');

		if (!eq || eq == args[i]) {
			rc = kvt_usage(a->cmd, "expected FIELD=VALUE, not '%s'",
			               args[i]);
			break;
		}
		lens[i] = (size_t)(eq - args[i]);
		for (j = 0; j < i; j++)
			if (lens[j] == lens[i] &&
			    !memcmp(args[j], args[i], lens[i]))
				rc = kvt_usage(a->cmd, "field '%.*s' given "
				               "twice", (int)lens[i], args[i]);
		if (rc == KVT_EXIT_OK) {
			if (i)
				putc(',', m);
			rc = set_member(m, a, args[i], lens[i]);
		}
	}
	putc('}', m);
done:
	if (m && fclose(m) != 0 && rc == KVT_EXIT_OK) {
		kvt_error("out of memory");
		rc = KVT_EXIT_FAIL;
	}
	free(lens);
	if (rc == KVT_EXIT_OK)
		*out = buf;
	else
		free(buf);
	return rc;
}

static int record_set(const struct kvt_args *a, char **args, int nargs)
{
	kv_db *db = NULL;
	kv_txn *txn = NULL;
	char *key = NULL, *set = NULL;
	kv_status st;
	int rc;

	if ((rc = record_key(&key, a, args[0])) ||
	    (rc = set_object(&set, a, args + 1, nargs - 1)) ||
	    (rc = kvt_open(&db, a, KV_OPEN_CREATE)))
		goto done;
	/* One transaction: the record cannot appear between the replace
	 * that finds none and the put that creates it. */
	if ((st = kv_txn_begin(&txn, db, 0)) != KV_OK) {
		rc = kvt_fail(db, st);
		goto done;
	}
	st = kv_record_replace(db, txn, key, set, NULL);
	if (st == KV_NOTFOUND)
		st = kv_record_put(db, txn, key, set);
	if (st != KV_OK) {
		rc = kvt_fail(db, st);
		goto done;
	}
	st = kv_txn_commit(txn);
	txn = NULL;
	if (st != KV_OK)
		rc = kvt_fail(db, st);
done:
	kv_txn_abort(txn);
	free(set);
	free(key);
	return db ? kvt_close(db, rc) : rc;
}

static int record_del(const struct kvt_args *a, char **args, int nargs)
{
	const char **remove = NULL;
	kv_db *db = NULL;
	char *key = NULL;
	kv_status st;
	int i, j, rc;

	if ((rc = record_key(&key, a, args[0])))
		return rc;
	if (!(remove = calloc((size_t)nargs, sizeof *remove))) {
		kvt_error("out of memory");
		rc = KVT_EXIT_FAIL;
		goto done;
	}
	for (i = 1; i < nargs; i++) {
		for (j = 1; j < i; j++)
			if (!strcmp(args[i], args[j])) {
				rc = kvt_usage(a->cmd, "field '%s' given twice",
				               args[i]);
				goto done;
			}
		remove[i - 1] = args[i];
	}
	if ((rc = kvt_open(&db, a, KV_OPEN_READWRITE)))
		goto done;
	if ((st = kv_record_replace(db, NULL, key, NULL, remove)) != KV_OK)
		rc = kvt_fail(db, st);
done:
	free(remove);
	free(key);
	return db ? kvt_close(db, rc) : rc;
}

static const struct sub record_subs[] = {
	{ "get", record_get, 1, 2, KVT_OPT_JSON },
	{ "set", record_set, 2, INT_MAX, 0 },
	{ "del", record_del, 2, INT_MAX, 0 },
};

int kvt_cmd_record(const struct kvt_args *a)
{
	return dispatch(a, record_subs,
	                sizeof record_subs / sizeof *record_subs,
	                "get, set or del");
}
