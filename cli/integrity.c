/*
 * cli/integrity.c - kvtool's integrity commands: verify (every record
 * against its seal, the store against its digest), seal (adopt the
 * records another program wrote) and keygen (a secret key file).
 *
 * verify and seal print each problem libkv reports as one line on stdout,
 * as it comes; verify --json gathers them in memory instead, to print
 * them after the counts in one object.  A progress bar is drawn on stderr
 * only when stderr is a terminal and the output is not JSON, and is wiped
 * before any line is printed and at the end, so that a terminal shows the
 * problems and the summary and nothing of the bar.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvtool.h"

/* The state the callbacks of one verify or seal share. */
struct run {
	const char *unsealed; /* word of an unsealed record's line */
	struct kvt_progress bar; /* on stderr, when it is a terminal */
	int shared;           /* stdout is a terminal too: wipe the bar
	                         before printing a line */
	int json;             /* problems as JSON objects, into out */
	FILE *out;            /* where problems are printed */
	unsigned long long problems, corrupt, unsealed_n;
};

/* Start a run: problems to stdout, a bar only on a terminal, no JSON. */
static void run_init(struct run *r, const char *label, int json)
{
	memset(r, 0, sizeof *r);
	r->unsealed = "unsealed";
	kvt_progress_init(&r->bar, label, json);
	r->shared = isatty(STDOUT_FILENO);
	r->json = json;
	r->out = stdout;
}

/* kv_progress_fn of verify and seal. */
static int on_progress(kv_u64 done, kv_u64 total, void *payload)
{
	struct run *r = payload;

	return kvt_progress_update(done, total, &r->bar);
}

/* The word a problem's line starts with, or its JSON "kind". */
static const char *kind_name(const struct run *r, kv_problem p, int json)
{
	switch (p) {
	case KV_PROBLEM_CORRUPT:
		return "corrupt";
	case KV_PROBLEM_UNSEALED:
		return json ? "unsealed" : r->unsealed;
	case KV_PROBLEM_DIGEST:
		return "digest";
	case KV_PROBLEM_UNCHECKED:
		return "unchecked";
	default:
		return "problem";
	}
}

/* One problem as an element of the JSON array "problems". */
static void json_problem(struct run *r, kv_problem p, const void *key,
                         size_t key_len, const char *message)
{
	fputs(r->problems ? ",\n  {" : "\n  {", r->out);
	fprintf(r->out, "\"kind\": \"%s\", ", kind_name(r, p, 1));
	if (key) {
		kvt_json_field(r->out, "key", key, key_len);
		fputs(", ", r->out);
	}
	kvt_json_field(r->out, "message", message, strlen(message));
	putc('}', r->out);
}

/* One problem as a line: "KIND: KEY: MESSAGE", "unsealed: KEY" (or
 * "sealed: KEY"), or "KIND: MESSAGE" for a problem of the whole store. */
static void text_problem(struct run *r, kv_problem p, const void *key,
                         size_t key_len, const char *message)
{
	fprintf(r->out, "%s: ", kind_name(r, p, 0));
	if (key)
		kvt_escape(r->out, key, key_len);
	if (key && p != KV_PROBLEM_UNSEALED)
		fputs(": ", r->out);
	if (!key || p != KV_PROBLEM_UNSEALED)
		kvt_put_text(r->out, message);
	putc('\n', r->out);
}

/* kv_problem_fn of verify and seal: print the problem and count it. */
static int on_problem(kv_problem p, const void *key, size_t key_len,
                      const char *message, void *payload)
{
	struct run *r = payload;

	if (r->shared)
		kvt_progress_clear(&r->bar);
	if (r->json)
		json_problem(r, p, key, key_len, message ? message : "");
	else
		text_problem(r, p, key, key_len, message ? message : "");
	r->problems++;
	r->corrupt += p == KV_PROBLEM_CORRUPT;
	r->unsealed_n += p == KV_PROBLEM_UNSEALED;
	return 0;
}

/* Print what verify found and return its exit code: 0 for a clean
 * store, KVT_EXIT_INTEGRITY for any problem. */
static int verify_summary(const kv_verify_report *rep,
                          const char *problems, int json)
{
	int clean = rep->corrupt == 0 && rep->unsealed == 0 &&
	            rep->digest_ok && rep->checked;

	if (json) {
		printf("{\"records\": %llu, \"corrupt\": %llu, "
		       "\"unsealed\": %llu, \"digest_ok\": %s, \"checked\": "
		       "%s, \"problems\": [%s%s]}\n", rep->records,
		       rep->corrupt, rep->unsealed,
		       rep->digest_ok ? "true" : "false",
		       rep->checked ? "true" : "false", problems,
		       *problems ? "\n" : "");
	} else {
		printf("%llu records: %llu corrupt, %llu unsealed, digest %s\n",
		       rep->records, rep->corrupt, rep->unsealed,
		       rep->digest_ok ? "ok" : "MISMATCH");
	}
	return clean ? KVT_EXIT_OK : KVT_EXIT_INTEGRITY;
}

/* Run kv_db_verify on an open store and report; returns an exit code. */
static int verify_db(const struct kvt_args *a, kv_db *db)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	char *problems = NULL;
	size_t size = 0;
	struct run r;
	kv_status st;
	int rc;

	run_init(&r, "verify", a->json);
	if (a->json && !(r.out = open_memstream(&problems, &size))) {
		kvt_error("out of memory");
		return KVT_EXIT_FAIL;
	}
	st = kv_db_verify(&rep, db, on_problem, on_progress, &r);
	kvt_progress_clear(&r.bar);
	if (a->json && fclose(r.out) != 0) {
		kvt_error("out of memory");
		rc = KVT_EXIT_FAIL;
	} else if (st != KV_OK) {
		rc = kvt_fail(db, st);
	} else {
		rc = verify_summary(&rep, problems ? problems : "", a->json);
	}
	free(problems);
	return rc;
}

int kvt_cmd_verify(const struct kvt_args *a)
{
	kv_db *db = NULL;
	int rc;

	if ((rc = kvt_open(&db, a, KV_OPEN_READONLY)))
		return rc;
	return kvt_close(db, verify_db(a, db));
}

int kvt_cmd_seal(const struct kvt_args *a)
{
	kv_u64 adopted = 0;
	kv_db *db = NULL;
	struct run r;
	kv_status st;
	int rc;

	if ((rc = kvt_open(&db, a, KV_OPEN_READWRITE)))
		return rc;
	run_init(&r, "seal", 0);
	r.unsealed = "sealed";
	st = kv_db_seal(&adopted, db, on_problem, on_progress, &r);
	kvt_progress_clear(&r.bar);
	if (st != KV_OK) {
		rc = kvt_fail(db, st);
		if (r.unsealed_n)
			kvt_error("nothing was sealed: the store is unchanged");
	} else {
		printf("adopted %llu records; digest recomputed\n", adopted);
		rc = r.corrupt ? KVT_EXIT_INTEGRITY : KVT_EXIT_OK;
	}
	return kvt_close(db, rc);
}

int kvt_cmd_keygen(const struct kvt_args *a)
{
	kv_status st = kv_keyfile_create(a->store);

	if (st != KV_OK)
		return kvt_fail(NULL, st);
	printf("wrote key file ");
	kvt_put_text(stdout, a->store);
	printf(" (mode 600); keep a copy: a store keyed with it cannot be "
	       "written or checked without it\n");
	return KVT_EXIT_OK;
}
