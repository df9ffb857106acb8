/*
 * kv/backends.c - the table of storage backends: the only place in the
 * core that names one.  A new backend is one file in backends/ and one
 * line here.  The first entry is the default for new plain paths.
 */
#include <string.h>

#include "internal.h"

const kv__backend *const kv__backends[] = {
	&kv__backend_sqlite, /* default: one file, readable by Python's dbm */
	&kv__backend_lmdb,
	&kv__backend_postgresql,
	NULL
};

const kv__backend *kv__backend_find(const char *name, size_t len)
{
	const kv__backend *const *b;

	for (b = kv__backends; *b; b++)
		if (strlen((*b)->name) == len && !memcmp((*b)->name, name, len))
			return *b;
	return NULL;
}
