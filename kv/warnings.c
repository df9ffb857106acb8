/*
 * kv/warnings.c - the one warning channel (see kv/warnings.h): a mode
 * from the program or $KV_WARNINGS, a "once" registry, and a handler or
 * stderr.  Process-wide state behind one mutex; warnings are rare.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemas.h"

struct seen {
	struct seen *next;
	char once[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kv_warnings_mode mode_set = KV_WARNINGS_DEFAULT;
static kv_warnings_mode mode_env = KV_WARNINGS_DEFAULT; /* parsed once */
static kv_warning_fn handler;
static void *handler_payload;
static struct seen *seen; /* identities already reported in mode once */

void kv__warnings_fork(int phase)
{
	if (phase == 0)
		pthread_mutex_lock(&lock);
	else if (phase == 1)
		pthread_mutex_unlock(&lock);
	else
		pthread_mutex_init(&lock, NULL);
}

kv_status kv_warnings_mode_set(kv_warnings_mode mode)
{
	kv__enter(NULL);
	if (mode < KV_WARNINGS_DEFAULT || mode > KV_WARNINGS_ERROR)
		return kv__error(KV_EINVAL, "kv_warnings_mode_set: unknown "
		                 "mode %d", (int)mode);
	pthread_mutex_lock(&lock);
	mode_set = mode;
	pthread_mutex_unlock(&lock);
	return KV_OK;
}

void kv_warnings_handler_set(kv_warning_fn fn, void *payload)
{
	pthread_mutex_lock(&lock);
	handler = fn;
	handler_payload = payload;
	pthread_mutex_unlock(&lock);
}

/* The mode in force; reads $KV_WARNINGS the first time.  Under lock. */
static kv_warnings_mode current_mode(void)
{
	static const char *const names[] = { "", "ignore", "once", "always",
	                                     "error" };
	const char *env;
	int i;

	if (mode_set != KV_WARNINGS_DEFAULT)
		return mode_set;
	if (mode_env == KV_WARNINGS_DEFAULT) {
		mode_env = KV_WARNINGS_ONCE;
		env = getenv("KV_WARNINGS");
		for (i = 1; env && i <= KV_WARNINGS_ERROR; i++)
			if (!strcmp(env, names[i]))
				mode_env = (kv_warnings_mode)i;
		if (env && *env && mode_env == KV_WARNINGS_ONCE &&
		    strcmp(env, "once"))
			fprintf(stderr, "libkv: warning: KV_WARNINGS='%s' is not "
			        "ignore, once, always or error; using once\n", env);
	}
	return mode_env;
}

/* Has once been reported before?  Records it if not.  Under lock. */
static int seen_before(const char *once)
{
	struct seen *s;
	size_t len = strlen(once);

	for (s = seen; s; s = s->next)
		if (!strcmp(s->once, once))
			return 1;
	s = malloc(sizeof *s + len + 1);
	if (s) {  /* without memory, report again next time */
		memcpy(s->once, once, len + 1);
		s->next = seen;
		seen = s;
	}
	return 0;
}

kv_status kv__warn(kv_warning_kind kind, const char *once, const char *fmt,
                   ...)
{
	char msg[512];
	kv_warnings_mode mode;
	kv_warning_fn fn;
	void *payload;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&lock);
	mode = current_mode();
	fn = handler;
	payload = handler_payload;
	if (mode == KV_WARNINGS_ONCE && seen_before(once))
		mode = KV_WARNINGS_IGNORE;
	pthread_mutex_unlock(&lock);

	switch (mode) {
	case KV_WARNINGS_ERROR:
		/* A keyed store without its key is a key problem. */
		return kv__error(kind == KV_WARN_UNCHECKED ? KV_EKEY
		                                           : KV_EDEPRECATED,
		                 "%s (refused: KV_WARNINGS=error)", msg);
	case KV_WARNINGS_IGNORE:
		return KV_OK;
	default:
		break;
	}
	if (fn)
		fn(kind, msg, payload);
	else
		fprintf(stderr, "libkv: warning: %s\n", msg);
	return KV_OK;
}
