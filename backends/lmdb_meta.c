/*
 * backends/lmdb_meta.c - check an LMDB data file's meta pages before
 * LMDB maps it.
 *
 * LMDB trusts its file: it checks a meta page's magic and version, then
 * follows the page numbers it finds, so a truncated file or a flipped
 * byte in a meta page sends it past the end of its map (SIGBUS, SIGSEGV)
 * instead of returning an error.  libkv reads both meta pages itself
 * first and refuses, with KV_ECORRUPT naming the file, a store whose
 * meta pages do not add up: wrong page number, flags, magic or version; a
 * page size that is not a power of two from 512 to 64 KiB, or that
 * differs between the two; a last page past the end of the file; a root
 * page past the last page, or a tree depth that does not match it; and a
 * root page of the current meta that is not a branch or leaf page with
 * sane bounds.  That catches truncation and meta-page damage; damage
 * deeper in the tree is caught by LMDB only partly (see README.md,
 * "Damaged files", and kvtool's guard in cli/guard.c).
 *
 * The layout below is LMDB's on-disk format (data version 1, as built
 * without MDB_VL32): a 16-byte page header, then the meta.
 *
 * A writer in another process may commit while the pages are read; it
 * never rewrites a page the latest meta names, but a meta read can be
 * torn, so a failed check is repeated before it counts.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lmdb_meta.h"

#define PAGEHDRSZ 16
#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define P_META 0x08
#define META_MAGIC 0xBEEFC0DEu
#define DATA_VERSION 1u
#define P_INVALID (~(size_t)0)
#define MIN_PSIZE 512u
#define MAX_PSIZE 65536u
#define MAX_DEPTH 32u /* LMDB's cursor stack */
#define ATTEMPTS 3

struct page_head {
	size_t pgno;
	uint16_t pad;
	uint16_t flags;
	uint16_t lower;
	uint16_t upper;
};

struct tree {
	uint32_t pad; /* the page size, in the free-page tree's record */
	uint16_t flags;
	uint16_t depth;
	size_t branch_pages;
	size_t leaf_pages;
	size_t overflow_pages;
	size_t entries;
	size_t root;
};

struct meta {
	uint32_t magic;
	uint32_t version;
	void *address;
	size_t mapsize;
	struct tree dbs[2]; /* free pages, main */
	size_t last_pg;
	size_t txnid;
};

/* A meta page, read and decoded. */
struct meta_page {
	struct page_head h;
	struct meta m;
};

static kv_status damaged(const char *path, const char *what, size_t a)
{
	return kv__error(KV_ECORRUPT, "%s: damaged LMDB store: %s (%zu)",
	                 path, what, a);
}

static kv_status read_at(int fd, const char *path, void *buf, size_t len,
                         size_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return kv__error(KV_EIO, "%s: %s", path, strerror(errno));
	if ((size_t)n < len)
		return damaged(path, "file ends inside a page at byte", off);
	return KV_OK;
}

static kv_status read_meta(struct meta_page *out, int fd, const char *path,
                           size_t off)
{
	unsigned char buf[PAGEHDRSZ + sizeof(struct meta)];
	kv_status st = read_at(fd, path, buf, sizeof buf, off);

	if (st != KV_OK)
		return st;
	memcpy(&out->h.pgno, buf, sizeof out->h.pgno);
	memcpy(&out->h.flags, buf + 10, sizeof out->h.flags);
	memcpy(&out->m, buf + PAGEHDRSZ, sizeof out->m);
	return KV_OK;
}

/* A tree's root and depth agree, and its pages fit below last_pg. */
static kv_status check_tree(const struct tree *t, size_t last_pg,
                            const char *path)
{
	if (t->root == P_INVALID) {
		if (t->depth != 0 || t->entries != 0)
			return damaged(path, "empty tree with a depth or entries",
			               (size_t)t->depth);
		return KV_OK;
	}
	if (t->root < 2 || t->root > last_pg)
		return damaged(path, "root page beyond the last page", t->root);
	if (t->depth == 0 || t->depth > MAX_DEPTH)
		return damaged(path, "impossible tree depth", (size_t)t->depth);
	if (t->branch_pages > last_pg || t->leaf_pages > last_pg ||
	    t->overflow_pages > last_pg)
		return damaged(path, "more pages counted than the file has",
		               last_pg);
	return KV_OK;
}

/* Meta page number i of a file of size bytes, pages of psize bytes. */
static kv_status check_meta(const struct meta_page *p, size_t i,
                            size_t psize, size_t size, const char *path)
{
	const struct meta *m = &p->m;
	kv_status st;
	int d;

	if (p->h.pgno != i || !(p->h.flags & P_META))
		return damaged(path, "meta page header wrong, meta page", i);
	if (m->magic != META_MAGIC)
		return damaged(path, "bad magic number in meta page", i);
	if (m->version != DATA_VERSION)
		return damaged(path, "unknown data version", (size_t)m->version);
	if (m->dbs[0].pad != psize)
		return damaged(path, "meta pages disagree on the page size",
		               (size_t)m->dbs[0].pad);
	if (m->last_pg < 1 || m->last_pg >= size / psize)
		return damaged(path, "last page beyond the end of the file",
		               m->last_pg);
	for (d = 0; d < 2; d++)
		if ((st = check_tree(&m->dbs[d], m->last_pg, path)) != KV_OK)
			return st;
	return KV_OK;
}

/* The root page of a tree of the current meta is a tree page. */
static kv_status check_root(int fd, const char *path, size_t root,
                            size_t psize)
{
	unsigned char buf[PAGEHDRSZ];
	struct page_head h;
	kv_status st;

	if (root == P_INVALID)
		return KV_OK;
	if ((st = read_at(fd, path, buf, sizeof buf, root * psize)) != KV_OK)
		return st;
	memcpy(&h.pgno, buf, sizeof h.pgno);
	memcpy(&h.flags, buf + 10, sizeof h.flags);
	memcpy(&h.lower, buf + 12, sizeof h.lower);
	memcpy(&h.upper, buf + 14, sizeof h.upper);
	if (h.pgno != root ||
	    (h.flags & (P_BRANCH | P_LEAF)) == 0 ||
	    (h.flags & (P_BRANCH | P_LEAF)) == (P_BRANCH | P_LEAF) ||
	    (h.flags & (P_OVERFLOW | P_META)) != 0)
		return damaged(path, "root page is not a tree page", root);
	if (h.lower < PAGEHDRSZ || h.lower > h.upper || h.upper > psize)
		return damaged(path, "root page bounds are wrong", root);
	return KV_OK;
}

/* One pass over the file's meta pages and current roots. */
static kv_status check_once(int fd, const char *path)
{
	struct meta_page p[2];
	struct stat sb;
	size_t psize, size, cur;
	kv_status st;
	int d;

	if (fstat(fd, &sb) != 0)
		return kv__error(KV_EIO, "%s: %s", path, strerror(errno));
	size = (size_t)sb.st_size;
	if ((st = read_meta(&p[0], fd, path, 0)) != KV_OK)
		return st;
	psize = p[0].m.dbs[0].pad;
	if (psize < MIN_PSIZE || psize > MAX_PSIZE || (psize & (psize - 1)))
		return damaged(path, "impossible page size", psize);
	if (size < 2 * psize)
		return damaged(path, "file shorter than its two meta pages",
		               size);
	if ((st = read_meta(&p[1], fd, path, psize)) != KV_OK)
		return st;
	for (d = 0; d < 2; d++)
		if ((st = check_meta(&p[d], (size_t)d, psize, size, path)))
			return st;
	cur = p[0].m.txnid < p[1].m.txnid ? 1 : 0; /* as LMDB picks */
	for (d = 0; d < 2; d++)
		if ((st = check_root(fd, path, p[cur].m.dbs[d].root, psize)))
			return st;
	return KV_OK;
}

kv_status kv__lmdb_meta_check(const char *path)
{
	kv_status st = KV_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i;

	if (fd < 0)
		return kv__error(KV_EIO, "%s: %s", path, strerror(errno));
	for (i = 0; i < ATTEMPTS; i++)
		if ((st = check_once(fd, path)) != KV_ECORRUPT)
			break;
	close(fd);
	return st;
}
