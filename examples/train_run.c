/*
 * examples/train_run.c - what a training script does with libkv.
 *
 * Usage: train_run [STORE] [RUN_ID]      (defaults: runs.kv and 0001)
 *
 *  1. opens STORE (a path or lmdb:/sqlite: URI), creating it if needed;
 *  2. defines schema "run" version 1 over the prefix "runs/" (a second run
 *     finds it defined already: KV_EXISTS, which is fine): hyper-parameters
 *     and dataset required and write-once, metrics mutable, and "acc"
 *     deprecated in favour of "val_acc";
 *  3. logs the run's parameters as the record runs/RUN_ID;
 *  4. for three simulated epochs, updates the metrics in place with
 *     kv_record_replace, writing the deprecated "acc" once (libkv warns on
 *     stderr, or refuses it under KV_WARNINGS=error);
 *  5. prints the stored record;
 *  6. tries to change the learning rate, which the schema forbids, and
 *     checks that the refusal (KV_EREADONLY) left the record unchanged.
 *
 * Exits 0 when all of that happened as expected, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kv.h>

#define EPOCHS 3

static const char run_schema[] =
	"{ \"name\": \"run\", \"version\": 1, \"prefix\": \"runs/\",\n"
	"  \"fields\": {\n"
	"    \"lr\":         { \"type\": \"float\",  \"required\": true,"
	" \"readonly\": true },\n"
	"    \"batch_size\": { \"type\": \"int\",    \"required\": true,"
	" \"readonly\": true },\n"
	"    \"optimizer\":  { \"type\": \"string\", \"required\": true,"
	" \"readonly\": true },\n"
	"    \"dataset\":    { \"type\": \"string\", \"required\": true,"
	" \"readonly\": true },\n"
	"    \"epoch\":      { \"type\": \"int\" },\n"
	"    \"loss\":       { \"type\": \"float\" },\n"
	"    \"val_acc\":    { \"type\": \"float\" },\n"
	"    \"acc\":        { \"type\": \"float\","
	" \"deprecated\": \"since 1: use val_acc\" } } }";

/* The hyper-parameters of this (simulated) run. */
static const double param_lr = 0.001;
static const int param_batch_size = 64;
static const char param_optimizer[] = "adamw";
static const char param_dataset[] = "cifar10";

/* The status's name alone ("KV_EREADONLY"), from kv_strerror's
 * "NAME: meaning"; written into buf. */
static const char *status_name(char *buf, size_t size, kv_status st)
{
	const char *s = kv_strerror(st);
	size_t n = strcspn(s, ":");

	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* Report a failed call as "train_run: WHAT: STATUS: MESSAGE"; returns 1. */
static int fail(kv_db *db, const char *what, kv_status st)
{
	char name[32];

	fprintf(stderr, "train_run: %s: %s: %s\n", what,
	        status_name(name, sizeof name, st),
	        db ? kv_db_errmsg(db) : kv_errmsg());
	return 1;
}

/* Define the run schema; an existing version 1 is the normal case on the
 * second run. */
static int define_schema(kv_db *db)
{
	kv_status st = kv_schema_define(db, run_schema);

	if (st == KV_OK)
		printf("defined schema run v1 over runs/\n");
	else if (st == KV_EXISTS)
		printf("schema run v1 already defined\n");
	else
		return fail(db, "define schema run", st);
	return 0;
}

/* Log the parameters once, as the whole record. */
static int log_params(kv_db *db, const char *key)
{
	char json[256];
	kv_status st;

	snprintf(json, sizeof json,
	         "{\"lr\": %g, \"batch_size\": %d, \"optimizer\": \"%s\", "
	         "\"dataset\": \"%s\"}", param_lr, param_batch_size,
	         param_optimizer, param_dataset);
	if ((st = kv_record_put(db, NULL, key, json)) != KV_OK)
		return fail(db, "log params", st);
	printf("logged params %s: lr=%g batch_size=%d optimizer=%s "
	       "dataset=%s\n", key, param_lr, param_batch_size,
	       param_optimizer, param_dataset);
	return 0;
}

/* Write the deprecated "acc" once.  Under KV_WARNINGS=error libkv refuses
 * it with KV_EDEPRECATED and writes nothing: that is reported, not fatal. */
static int write_old_acc(kv_db *db, const char *key, double val_acc)
{
	char json[64], name[32];
	kv_status st;

	snprintf(json, sizeof json, "{\"acc\": %.4f}", val_acc);
	st = kv_record_replace(db, NULL, key, json, NULL);
	if (st == KV_OK) {
		printf("wrote deprecated field acc=%.4f (see the warning on "
		       "stderr)\n", val_acc);
		return 0;
	}
	if (st == KV_EDEPRECATED) {
		printf("refused: %s: %s\n", status_name(name, sizeof name, st),
		       kv_db_errmsg(db));
		return 0;
	}
	return fail(db, "write acc", st);
}

/* Three epochs of "training": only the metrics change. */
static int train(kv_db *db, const char *key)
{
	char json[128], what[32];
	double loss, val_acc;
	kv_status st;
	int epoch;

	for (epoch = 1; epoch <= EPOCHS; epoch++) {
		loss = 0.1 + 1.2 / (epoch * epoch);
		val_acc = 0.92 - 0.3 / epoch;
		snprintf(json, sizeof json,
		         "{\"epoch\": %d, \"loss\": %.4f, \"val_acc\": %.4f}",
		         epoch, loss, val_acc);
		st = kv_record_replace(db, NULL, key, json, NULL);
		if (st != KV_OK) {
			snprintf(what, sizeof what, "epoch %d", epoch);
			return fail(db, what, st);
		}
		printf("epoch %d: loss=%.4f val_acc=%.4f\n", epoch, loss,
		       val_acc);
		if (epoch == 1 && write_old_acc(db, key, val_acc))
			return 1;
	}
	return 0;
}

/* Try to change the learning rate, which is write-once.  Succeeds (0)
 * only when libkv refuses with KV_EREADONLY and the record is unchanged,
 * byte for byte. */
static int try_change_lr(kv_db *db, const char *key, const char *before)
{
	char *after = NULL, name[32];
	kv_status st;
	int rc = 1;

	st = kv_record_replace(db, NULL, key, "{\"lr\": 0.01}", NULL);
	if (st == KV_OK) {
		fprintf(stderr, "train_run: changing lr was accepted; the "
		        "schema should have refused it\n");
		goto done;
	}
	printf("refused: %s: %s\n", status_name(name, sizeof name, st),
	       kv_db_errmsg(db));
	if (st != KV_EREADONLY) {
		fprintf(stderr, "train_run: expected KV_EREADONLY\n");
		goto done;
	}
	if ((st = kv_record_get(&after, db, NULL, key)) != KV_OK) {
		rc = fail(db, "read the record again", st);
		goto done;
	}
	if (strcmp(before, after) != 0) {
		fprintf(stderr, "train_run: the refused write changed the "
		        "record:\n  before: %s\n  after:  %s\n", before, after);
		goto done;
	}
	printf("record unchanged: lr is still %g\n", param_lr);
	rc = 0;
done:
	kv_free(after);
	return rc;
}

int main(int argc, char **argv)
{
	const char *store = argc > 1 ? argv[1] : "runs.kv";
	const char *run_id = argc > 2 ? argv[2] : "0001";
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	char *key = NULL, *rec = NULL;
	kv_db *db = NULL;
	kv_status st;
	int rc = 1;

	/* Line-buffered, so that libkv's warnings on stderr appear where
	 * they happen even when both streams go to one file. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 3 || !*store || !*run_id || strchr(run_id, '/')) {
		fprintf(stderr, "usage: train_run [STORE] [RUN_ID]\n"
		        "RUN_ID must be non-empty and contain no '/'\n");
		return 2;
	}
	if (!(key = malloc(strlen("runs/") + strlen(run_id) + 1))) {
		fprintf(stderr, "train_run: out of memory\n");
		return 1;
	}
	strcpy(key, "runs/");
	strcat(key, run_id);

	if ((st = kv_db_open(&db, store, &opts)) != KV_OK) {
		rc = fail(NULL, store, st);
		goto done;
	}
	printf("opened %s (%s backend)\n", kv_db_path(db), kv_db_backend(db));
	if (define_schema(db) || log_params(db, key) || train(db, key))
		goto done;
	if ((st = kv_record_get(&rec, db, NULL, key)) != KV_OK) {
		rc = fail(db, "read the record", st);
		goto done;
	}
	printf("stored %s: %s\n", key, rec);
	rc = try_change_lr(db, key, rec);
done:
	kv_free(rec);
	if (db && (st = kv_db_close(db)) != KV_OK && rc == 0)
		rc = fail(NULL, "close", st);
	free(key);
	return rc;
}
