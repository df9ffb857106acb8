/*
 * backends/lmdb_meta.h - checks of an LMDB data file's meta pages, made
 * before LMDB maps the file (used by backends/lmdb.c only).
 */
#ifndef KV_LMDB_META_H
#define KV_LMDB_META_H

#include "backend.h"

/* Check the two meta pages of the LMDB data file at path and the root
 * pages they name; KV_OK, or KV_ECORRUPT naming the file and what is
 * wrong (KV_EIO when it cannot be read). */
kv_status kv__lmdb_meta_check(const char *path);

#endif /* KV_LMDB_META_H */
