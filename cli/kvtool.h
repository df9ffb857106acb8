/*
 * cli/kvtool.h - what the files of kvtool share: exit codes, the command
 * table's types, parsed arguments, and the helpers for opening a store,
 * reporting failures and encoding bytes for output.
 *
 * kvtool uses libkv's public API only.
 */
#ifndef KVTOOL_H
#define KVTOOL_H

#include <stdio.h>

#include "kv.h"

/* Exit codes: documented in kvtool --help and kvtool(1). */
enum kvt_exit {
	KVT_EXIT_OK = 0,
	KVT_EXIT_NOTFOUND = 1, /* key not found */
	KVT_EXIT_USAGE = 2,    /* bad command line */
	KVT_EXIT_CORRUPT = 3,  /* store damaged, or not a store */
	KVT_EXIT_FAIL = 4,     /* any other failure */
	KVT_EXIT_EXISTS = 5,   /* put --no-overwrite found the key, or
	                          schema add found that version defined */
	KVT_EXIT_VIOLATIONS = 6, /* schema check found failing records */
	KVT_EXIT_REFUSED = 7,  /* refused by schema: KV_ESCHEMA,
	                          KV_EREADONLY, KV_EDEPRECATED */
	KVT_EXIT_INTEGRITY = 8, /* verify or seal found corrupt or unsealed
	                           records, a digest mismatch, or seals it
	                           could not check */
	KVT_EXIT_KEY = 9,      /* KV_EKEY: key file missing, readable by
	                          others or wrong; write without the key */
	KVT_EXIT_BADDUMP = 10  /* load: the input is not a well-formed dump */
};

/* Options a command accepts: bits of kvt_cmd.opts. */
#define KVT_OPT_JSON        0x01u /* --json */
#define KVT_OPT_RAW         0x02u /* --raw */
#define KVT_OPT_FILE        0x04u /* -f FILE, --file=FILE */
#define KVT_OPT_NOOVERWRITE 0x08u /* --no-overwrite */
#define KVT_OPT_KEYSONLY    0x10u /* --keys-only */
#define KVT_OPT_LIMIT       0x20u /* --limit N */
#define KVT_OPT_VERSION     0x40u /* --version N (after CMD) */
#define KVT_OPT_SALVAGE     0x80u /* --salvage */
#define KVT_OPT_KEYFILE     0x100u /* --keyfile FILE: the command opens a
                                      store (also before CMD) */
#define KVT_OPT_NOSTORE     0x200u /* not an option: the first argument is
                                      a FILE, not a STORE (keygen) */
#define KVT_OPT_FORMAT      0x400u /* --format NAME */
#define KVT_OPT_OVERWRITE   0x800u /* --overwrite (load) */
#define KVT_OPT_FORCE       0x1000u /* --force (convert) */
#define KVT_OPT_ADOPT       0x2000u /* --adopt (convert) */
#define KVT_OPT_DSTKEYFILE  0x4000u /* --dst-keyfile FILE (convert) */

struct kvt_cmd;

/* A command line after parsing.  Strings point into argv. */
struct kvt_args {
	const struct kvt_cmd *cmd;
	const char *store;        /* STORE: path or URI */
	char **pos;               /* arguments after STORE */
	int npos;
	int help;                 /* --help given: nothing else is done */
	int json, raw, keys_only, no_overwrite, salvage;
	const char *keyfile;      /* --keyfile FILE, or NULL ($KV_KEYFILE) */
	const char *file;         /* -f FILE, or NULL */
	int has_limit;
	unsigned long long limit; /* --limit N, when has_limit */
	int has_version;
	unsigned int version;     /* --version N (>= 1), when has_version */
	const char *format;       /* --format NAME, or NULL */
	int overwrite, force, adopt;
	const char *dst_keyfile;  /* --dst-keyfile FILE, or NULL */
};

/* One entry of the command table. */
struct kvt_cmd {
	const char *name;
	int (*run)(const struct kvt_args *a); /* returns an exit code */
	unsigned int opts;                    /* KVT_OPT_* accepted */
	int min_args, max_args;               /* after STORE */
	const char *summary;                  /* one line for kvtool --help */
	const char *usage;                    /* synopsis after "kvtool " */
	const char *help;                     /* details for CMD --help */
};

/* A byte string, OWNED by whoever holds it (release with free()). */
struct kvt_bytes {
	unsigned char *p;
	size_t len;
};

/* kvtool.c: diagnostics and the store's life. */

/* Print "kvtool: MESSAGE" and the hint to CMD --help on stderr; returns
 * KVT_EXIT_USAGE. */
int kvt_usage(const struct kvt_cmd *cmd, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Print "kvtool: MESSAGE" on stderr. */
void kvt_error(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
/* Report a failed libkv call (db NULL before a handle exists) and return
 * the exit code of st. */
int kvt_fail(kv_db *db, kv_status st);
/* The exit code for a libkv status. */
int kvt_exit_code(kv_status st);
/* Open a->store with KV_OPEN_* flags and a->keyfile; returns an exit
 * code, reported. */
int kvt_open(kv_db **out, const struct kvt_args *a, unsigned int flags);
/* Close db; returns rc, or the close failure's exit code if rc was 0. */
int kvt_close(kv_db *db, int rc);

/* escape.c: kvtool's escape syntax and JSON. */

/* Decode an argument written in the escape syntax (\xHH \\ \n \t \0) into
 * out (OWNED, NUL-terminated beyond len).  Returns 0, or -1 for a bad
 * escape, or -2 when out of memory. */
int kvt_unescape(struct kvt_bytes *out, const char *arg);
/* Parse an argument for KEY/VALUE/PREFIX, reporting a bad escape as a
 * usage error; returns an exit code. */
int kvt_arg_bytes(struct kvt_bytes *out, const struct kvt_cmd *cmd,
                  const char *what, const char *arg);
/* Write bytes in the escape syntax: printable ASCII as is, everything else
 * (and the backslash) escaped, so the text can be given back as an
 * argument. */
void kvt_escape(FILE *f, const void *p, size_t len);
/* Write text from libkv (a message, or a key it has escaped already) with
 * control characters escaped as \xHH, so that nothing raw reaches a
 * terminal. */
void kvt_put_text(FILE *f, const char *s);
/* json.c: JSON output through jansson. */

/* Write "name": "text" when the bytes are valid UTF-8, else
 * "name_base64": "BASE64".  The output is pure ASCII. */
void kvt_json_field(FILE *f, const char *name, const void *p, size_t len);
/* Write bytes that are valid UTF-8 as one quoted JSON string in ASCII and
 * return 0; return -1, writing nothing, when they are not UTF-8. */
int kvt_json_string(FILE *f, const void *p, size_t len);

/* Is text (len bytes) exactly one JSON value (valid UTF-8, no duplicate
 * keys, whitespace around allowed)?  Returns 1 for an object, 2 for any other
 * value, 0 when it is not JSON. */
int kvt_json_check(const char *text, size_t len);
/* Write a parsed JSON value compact and in ASCII, each real with the
 * fewest digits that give it back exactly; no newline at the end. */
struct json_t;
void kvt_json_dump(FILE *f, const struct json_t *v);
/* Write text, which kvt_json_check accepted, in ASCII: compact or, when
 * pretty, indented by two spaces per level; no newline at the end. */
void kvt_json_write(FILE *f, const char *text, size_t len, int pretty);

/* progress.c: a progress bar on stderr, for long work on a terminal. */
struct kvt_progress {
	const char *label;        /* before the bar: the command's name */
	int on;                   /* stderr is a terminal, not turned off */
	int len;                  /* characters of the bar on screen */
	long long start_ms, drawn_ms;
};
/* Start a bar labelled label (static); quiet: never draw it. */
void kvt_progress_init(struct kvt_progress *p, const char *label, int quiet);
/* A kv_progress_fn: done of total units; payload is the kvt_progress.
 * Draws only once the work has lasted a while.  Returns 0. */
int kvt_progress_update(kv_u64 done, kv_u64 total, void *payload);
/* Wipe the bar off the terminal, if drawn; call before printing to the
 * terminal and at the end. */
void kvt_progress_clear(struct kvt_progress *p);

/* commands.c: the handlers of the command table. */
int kvt_cmd_get(const struct kvt_args *a);
int kvt_cmd_put(const struct kvt_args *a);
int kvt_cmd_del(const struct kvt_args *a);
int kvt_cmd_ls(const struct kvt_args *a);
int kvt_cmd_stat(const struct kvt_args *a);
int kvt_cmd_compact(const struct kvt_args *a);
/* Read a whole stream into out (OWNED).  Returns 0, or -1 with errno. */
int kvt_read_all(struct kvt_bytes *out, FILE *f);

/* transfer.c: whole stores. */
int kvt_cmd_dump(const struct kvt_args *a);
int kvt_cmd_load(const struct kvt_args *a);
int kvt_cmd_convert(const struct kvt_args *a);

/* export.c: records as tables, and side by side. */
int kvt_cmd_export(const struct kvt_args *a);
int kvt_cmd_diff(const struct kvt_args *a);

/* records.c: schemas and records. */
int kvt_cmd_schema(const struct kvt_args *a);
int kvt_cmd_record(const struct kvt_args *a);

/* integrity.c: seals, the digest and key files. */
int kvt_cmd_verify(const struct kvt_args *a);
int kvt_cmd_seal(const struct kvt_args *a);
int kvt_cmd_keygen(const struct kvt_args *a);

#endif /* KVTOOL_H */
