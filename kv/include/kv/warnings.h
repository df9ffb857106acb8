/*
 * kv/warnings.h - libkv's one warning channel.
 *
 * libkv warns (it does not fail) when a program uses something deprecated:
 * a deprecated schema field today, deprecated API functions later.  What
 * happens to a warning is decided in this order:
 *  1. the mode: kv_warnings_mode_set(), else the environment variable
 *     KV_WARNINGS=ignore|once|always|error read at the first warning,
 *     else "once" -- like Python's -W option:
 *       ignore  drop it;
 *       once    report it the first time in the process (a deprecated
 *               field: once per schema and field, whatever key);
 *       always  report every time;
 *       error   turn the call that warned into a failure, with nothing
 *               written: KV_EDEPRECATED (KV_EKEY for KV_WARN_UNCHECKED);
 *  2. a reported warning goes to the handler set with
 *     kv_warnings_handler_set(), else to stderr as "libkv: warning: TEXT".
 */
#ifndef KV_WARNINGS_H
#define KV_WARNINGS_H

#include "kv.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kind of warning.  Since 0.1. */
typedef enum kv_warning_kind {
	KV_WARN_DEPRECATED_FIELD = 1, /* write of a field its schema deprecates */
	KV_WARN_DEPRECATED_API = 2,   /* call of a deprecated libkv function */
	KV_WARN_UNCHECKED = 3         /* keyed store opened without its key */
} kv_warning_kind;

/** What happens to warnings; see the top of this header.  Since 0.1. */
typedef enum kv_warnings_mode {
	KV_WARNINGS_DEFAULT = 0, /* from $KV_WARNINGS, else once */
	KV_WARNINGS_IGNORE = 1,
	KV_WARNINGS_ONCE = 2,
	KV_WARNINGS_ALWAYS = 3,
	KV_WARNINGS_ERROR = 4
} kv_warnings_mode;

/**
 * Receives a reported warning.  message is BORROWED for the call only; it
 * names the schema, the field and the replacement when there is one.  It
 * may run on any thread that writes, with a write transaction open: it
 * must not call back into libkv on the same store.  Since 0.1.
 */
typedef void (*kv_warning_fn)(kv_warning_kind kind, const char *message,
                              void *payload);

/** Set the process-wide mode; KV_WARNINGS_DEFAULT goes back to the
 *  environment.  Expect: KV_EINVAL for an unknown mode.  Since 0.1. */
KV_EXTERN kv_status kv_warnings_mode_set(kv_warnings_mode mode);

/** Route reported warnings to fn (NULL: back to stderr).  Since 0.1. */
KV_EXTERN void kv_warnings_handler_set(kv_warning_fn fn, void *payload);

#ifdef __cplusplus
}
#endif

#endif /* KV_WARNINGS_H */
