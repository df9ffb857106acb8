/*
 * kv/errors.c - status names and the per-thread, per-handle failure
 * messages behind kv_errmsg() and kv_db_errmsg().
 *
 * Each thread keeps a few message slots, one per handle it failed on
 * recently (slot serial 0 is "no handle").  A call names its handle with
 * kv__enter() on entry; kv__error() and kv__wrap() then write that handle's
 * slot, so a backend can report without knowing which handle it serves.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define SLOTS 8

struct slot {
	uint64_t serial;
	char msg[KV__MSG_SIZE];
};

static _Thread_local struct slot slots[SLOTS];
static _Thread_local unsigned int next_victim;
static _Thread_local uint64_t current; /* serial of the handle in use */

static const char *const names[] = {
	"KV_OK: success",
	"KV_NOTFOUND: key not found",
	"KV_EXISTS: key already exists",
	"KV_EREADONLY: read-only store or field",
	"KV_ESCHEMA: record does not match its schema",
	"KV_ECORRUPT: stored data is damaged",
	"KV_EFINALIZING: library has been shut down",
	"KV_EFORKED: handle used in a forked child",
	"KV_EBUSY: store is busy or locked",
	"KV_EFULL: no space left",
	"KV_EINVAL: invalid argument",
	"KV_EIO: input/output error",
	"KV_ENOMEM: out of memory",
	"KV_EFORMAT: not a store of a known format",
	"KV_ENOENT: store does not exist",
	"KV_ETOOBIG: key or value too large",
	"KV_EDEPRECATED: deprecated use refused by KV_WARNINGS=error",
	"KV_EKEY: secret key missing, exposed or wrong",
};

const char *kv_strerror(kv_status status)
{
	if ((unsigned int)status < sizeof names / sizeof names[0])
		return names[status];
	return "unknown libkv status";
}

void kv__enter(const kv_db *db)
{
	current = db ? db->serial : 0;
}

/* The slot of a handle on this thread, or NULL when it never failed here. */
static struct slot *slot_find(uint64_t serial)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++)
		if (slots[i].serial == serial && slots[i].msg[0])
			return &slots[i];
	return NULL;
}

/* The slot to write a handle's next message into. */
static struct slot *slot_take(uint64_t serial)
{
	struct slot *s = slot_find(serial);

	if (!s) {
		s = &slots[next_victim++ % SLOTS];
		s->serial = serial;
	}
	return s;
}

kv_status kv__error(kv_status status, const char *fmt, ...)
{
	struct slot *s = slot_take(current);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof s->msg, fmt, ap);
	va_end(ap);
	return status;
}

kv_status kv__wrap(kv_status status, const char *fmt, ...)
{
	struct slot *s = slot_take(current);
	char inner[KV__MSG_SIZE];
	size_t n;
	va_list ap;

	/* The backend's text (if any) becomes the tail of the new message. */
	memcpy(inner, s->msg, sizeof inner);
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof s->msg, fmt, ap);
	va_end(ap);
	n = strlen(s->msg);
	if (inner[0]) {
		/* Append ": inner", cut to fit the slot. */
		size_t room = sizeof s->msg - 1 - n, k = strlen(inner);
		if (room > 2) {
			memcpy(s->msg + n, ": ", 2);
			k = k < room - 2 ? k : room - 2;
			memcpy(s->msg + n + 2, inner, k);
			s->msg[n + 2 + k] = '\0';
		}
	}
	return status;
}

const char *kv_errmsg(void)
{
	struct slot *s = slot_find(0);

	return s ? s->msg : "no error";
}

const char *kv_db_errmsg(const kv_db *db)
{
	struct slot *s;

	if (!db || db->magic != KV__DB_MAGIC)
		return "invalid kv_db handle";
	s = slot_find(db->serial);
	return s ? s->msg : "no error";
}

const char *kv__show(char *buf, size_t size, const void *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < size; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\') {
			buf[o++] = (char)b[i];
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[b[i] >> 4];
			buf[o++] = hex[b[i] & 15];
		}
	}
	if (i < len)
		memcpy(buf + o, "...", 3), o += 3;
	buf[o] = '\0';
	return buf;
}

const char *kv__show_str(char buf[KV__SHOW_SIZE], const char *s)
{
	return kv__show(buf, KV__SHOW_SIZE, s, strlen(s));
}

unsigned long kv__thread_id(void)
{
	static atomic_ulong next = 1;
	static _Thread_local unsigned long id;

	if (!id)
		id = atomic_fetch_add(&next, 1);
	return id;
}

kv_status kv__check_db(const kv_db *db, const char *fn)
{
	if (db && db->magic == KV__DB_MAGIC) {
		current = db->serial;
		return KV_OK;
	}
	current = 0;
	if (!db)
		return kv__error(KV_EINVAL, "%s: db is NULL", fn);
	return kv__error(KV_EINVAL, "%s: not an open kv_db handle", fn);
}

kv_status kv__check_key(const void *key, size_t len, const char *fn)
{
	if (!key && len)
		return kv__error(KV_EINVAL, "%s: key is NULL", fn);
	if (!len)
		return kv__error(KV_EINVAL, "%s: empty key", fn);
	return KV_OK;
}
