/*
 * fuzz/fuzz.h - what the libFuzzer harnesses of fuzz/ share.
 *
 * Each harness defines LLVMFuzzerTestOneInput.  Built with clang and
 * --enable-fuzzing it is linked with libFuzzer; built with any compiler
 * it is linked with fuzz/replay.c, which feeds it every file of its
 * committed corpus under `make check`, so the corpora are regression tests
 * on every build.
 *
 * A harness must reject nothing by crashing: a disagreement or a broken
 * promise of the API is reported with fz_fail, which aborts, so that
 * libFuzzer saves the input and the replay test fails.
 */
#ifndef KV_FUZZ_H
#define KV_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's private scratch folder, made on first use (under
 * /dev/shm when it exists, so stores cost no disk syncs) and removed with
 * everything in it when the process exits.  Static string. */
const char *fz_dir(void);

/* "<fz_dir()>/<name>" into a static buffer per slot (0..3). */
const char *fz_path(int slot, const char *name);

/* Remove a store file and the files a backend keeps beside it. */
void fz_remove_store(const char *path);

/* Write len bytes to path, replacing it; aborts on an I/O failure. */
void fz_write_file(const char *path, const void *data, size_t len);

/* Quiet, deterministic library settings: warnings go to a counter, not to
 * stderr, in the mode given. */
void fz_setup(kv_warnings_mode mode);

/* Up to 32 bytes as hex text, into a static buffer per slot (0..1). */
const char *fz_hex(const void *p, size_t len, int slot);

/* When $FZ_TRACE is set, print the step to stderr (for reading a crash
 * input); otherwise do nothing. */
void fz_trace(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

/* Report a broken promise and abort. */
void fz_fail(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2), noreturn))
#endif
	;

/* Abort unless st is KV_OK or one of the n statuses listed after it. */
void fz_expect(kv_status st, const char *what, int n, ...);

/* A reader over the fuzzer's bytes: once they run out, every read
 * returns 0, so any input decodes to some bounded sequence. */
typedef struct fz_in {
	const uint8_t *p;
	size_t left;
} fz_in;

unsigned fz_byte(fz_in *in);
int fz_empty(const fz_in *in);

#endif /* KV_FUZZ_H */
