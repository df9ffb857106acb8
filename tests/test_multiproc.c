/*
 * tests/test_multiproc.c - several processes writing one store at once.
 *
 * Four processes, each with its own handle, write records of their own
 * and partial updates (kv_record_replace) of one shared record, all at
 * the same moment.  Nothing may be lost: every record, every process's
 * field of the shared record with its last value, and a store whose
 * digest still matches its records.  A call the backend turns away as
 * busy (a lock timeout, a transaction the server aborted) is the
 * caller's to run again, and the writers do, a bounded number of times.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WRITERS 4
#define ROUNDS 40
#define BUSY_TRIES 200

/* Run call until it is not KV_EBUSY, at most BUSY_TRIES times; *busy
 * counts the refusals. */
#define RETRY_BUSY(rc, busy, call)                                          \
	do {                                                                \
		int tries_ = 0;                                             \
		while (((rc) = (call)) == KV_EBUSY && ++tries_ < BUSY_TRIES) { \
			(busy)++;                                           \
			usleep(1000);                                       \
		}                                                           \
	} while (0)

/* One writer: its records, and its field of "shared" after each. */
static int writer(int id, int start_fd)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	char uri[KVT_PATH_MAX], key[64], json[96];
	unsigned long busy = 0;
	kv_db *db = NULL;
	kv_status rc;
	char go;
	int j;

	opts.flags = KV_OPEN_READWRITE;
	if (read(start_fd, &go, 1) < 0)
		return 2;
	if ((rc = kv_db_open(&db, kvt_uri(uri, "store"), &opts)) != KV_OK) {
		fprintf(stderr, "writer %d: open: %s\n", id, kv_errmsg());
		return 1;
	}
	for (j = 1; j <= ROUNDS; j++) {
		snprintf(key, sizeof key, "runs/%d/%d", id, j);
		snprintf(json, sizeof json, "{\"writer\":%d,\"round\":%d}", id,
		         j);
		RETRY_BUSY(rc, busy, kv_record_put(db, NULL, key, json));
		if (rc == KV_OK) {
			snprintf(json, sizeof json, "{\"w%d\":%d}", id, j);
			RETRY_BUSY(rc, busy, kv_record_replace(db, NULL, "shared",
			                                       json, NULL));
		}
		if (rc != KV_OK) {
			fprintf(stderr, "writer %d round %d: %s: %s\n", id, j,
			        kv_strerror(rc), kv_db_errmsg(db));
			kv_db_close(db);
			return 1;
		}
	}
	printf("writer %d on %s: %d records, %d updates, %lu busy retries\n",
	       id, kvt_backend, ROUNDS, ROUNDS, busy);
	fflush(stdout);
	return kv_db_close(db) == KV_OK ? 0 : 1;
}

START_TEST(test_multiproc__four_writers)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	char key[64], field[16], want[16];
	pid_t pid[WRITERS];
	int go[2], i, j, st;
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	kvt_assert_ok(db, kv_record_put(db, NULL, "shared", "{}"));
	kvt_close(db);
	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < WRITERS; i++) {
		pid[i] = fork();
		ck_assert_msg(pid[i] >= 0, "fork: %s", strerror(errno));
		if (pid[i] == 0) {
			close(go[1]);
			_exit(writer(i, go[0]));
		}
	}
	/* Closing the pipe starts every writer at once. */
	close(go[0]);
	close(go[1]);
	for (i = 0; i < WRITERS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		              "writer %d failed (status %d)", i, st);
	}

	db = kvt_open(KV_OPEN_READONLY);
	for (i = 0; i < WRITERS; i++) {
		for (j = 1; j <= ROUNDS; j++) {
			snprintf(key, sizeof key, "runs/%d/%d", i, j);
			snprintf(want, sizeof want, "%d", j);
			kvt_expect_field(db, NULL, key, "round", want);
		}
		snprintf(field, sizeof field, "w%d", i);
		snprintf(want, sizeof want, "%d", ROUNDS);
		kvt_expect_field(db, NULL, "shared", field, want);
	}
	kvt_assert_ok(db, kv_db_verify(&rep, db, NULL, NULL, NULL));
	ck_assert_msg(rep.records == WRITERS * ROUNDS + 1 && rep.corrupt == 0 &&
	                      rep.unsealed == 0 && rep.digest_ok,
	              "verify: %llu records, %llu corrupt, %llu unsealed, "
	              "digest %s", rep.records, rep.corrupt, rep.unsealed,
	              rep.digest_ok ? "ok" : "wrong");
	kvt_close(db);
}
END_TEST

/* One creator: open the store, which may not exist yet, with create and
 * put its key. */
static int creator(int id, int start_fd)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	char uri[KVT_PATH_MAX], key[32];
	unsigned long busy = 0;
	kv_db *db = NULL;
	kv_status rc;
	char go;

	if (read(start_fd, &go, 1) < 0)
		return 2;
	RETRY_BUSY(rc, busy, kv_db_open(&db, kvt_uri(uri, "store"), &opts));
	if (rc != KV_OK) {
		fprintf(stderr, "creator %d: open: %s\n", id, kv_errmsg());
		return 1;
	}
	snprintf(key, sizeof key, "node/%d", id);
	RETRY_BUSY(rc, busy, kv_record_put(db, NULL, key, "{\"up\":true}"));
	if (rc != KV_OK)
		fprintf(stderr, "creator %d: put: %s: %s\n", id,
		        kv_strerror(rc), kv_db_errmsg(db));
	printf("creator %d on %s: %lu busy retries\n", id, kvt_backend, busy);
	fflush(stdout);
	return kv_db_close(db) == KV_OK && rc == KV_OK ? 0 : 1;
}

/* Four processes start on a store none of them has made: each one's
 * record is there, and the digest (made by whichever commits first)
 * counts them all. */
START_TEST(test_multiproc__four_creators)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	char key[32];
	pid_t pid[WRITERS];
	int go[2], i, st;
	kv_db *db;

	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < WRITERS; i++) {
		pid[i] = fork();
		ck_assert_msg(pid[i] >= 0, "fork: %s", strerror(errno));
		if (pid[i] == 0) {
			close(go[1]);
			_exit(creator(i, go[0]));
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < WRITERS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		              "creator %d failed (status %d)", i, st);
	}
	db = kvt_open(KV_OPEN_READONLY);
	for (i = 0; i < WRITERS; i++) {
		snprintf(key, sizeof key, "node/%d", i);
		kvt_expect_field(db, NULL, key, "up", "true");
	}
	kvt_assert_ok(db, kv_db_verify(&rep, db, NULL, NULL, NULL));
	ck_assert_msg(rep.records == WRITERS && rep.digest_ok,
	              "verify: %llu records, digest %s", rep.records,
	              rep.digest_ok ? "ok" : "wrong");
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "multiproc", 300);

	tcase_add_test(tc, test_multiproc__four_writers);
	tcase_add_test(tc, test_multiproc__four_creators);
}

int main(void)
{
	return kvt_main("multiproc", populate);
}
