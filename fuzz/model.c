/*
 * fuzz/model.c - the in-memory model of a store's semantics (model.h).
 * Deliberately naive, linear scans over a sorted array, so that it is
 * obviously right.
 */
#include <string.h>

#include "model.h"

unsigned char fz_val_byte(unsigned seed, size_t i)
{
	return (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

void fz_make_val(unsigned char *buf, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = fz_val_byte(seed, i);
}

int fz_val_cmp(const void *v, size_t len, const struct fz_ent *e)
{
	const unsigned char *p = v;
	size_t i;

	if (len != e->vlen)
		return 1;
	for (i = 0; i < len; i++)
		if (p[i] != fz_val_byte(e->vseed, i))
			return 1;
	return 0;
}

int fz_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n > 0 ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

size_t fz_model_find(const struct fz_model *m, const void *k, size_t klen,
                     int *found)
{
	size_t i;
	int c;

	for (i = 0; i < m->n; i++) {
		c = fz_key_cmp(m->e[i].k, m->e[i].klen, k, klen);
		if (c >= 0) {
			*found = c == 0;
			return i;
		}
	}
	*found = 0;
	return m->n;
}

int fz_model_put(struct fz_model *m, const struct fz_ent *e)
{
	int found;
	size_t i = fz_model_find(m, e->k, e->klen, &found);

	if (!found) {
		if (m->n == FZ_MAX_ENTS)
			return 0;
		memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof m->e[0]);
		m->n++;
	}
	m->e[i] = *e;
	return 1;
}

int fz_model_del(struct fz_model *m, const void *k, size_t klen)
{
	int found;
	size_t i = fz_model_find(m, k, klen, &found);

	if (!found)
		return 0;
	memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof m->e[0]);
	m->n--;
	return 1;
}

const struct fz_ent *fz_model_after(const struct fz_model *m, const void *k,
                                    size_t klen, int first)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (first || fz_key_cmp(m->e[i].k, m->e[i].klen, k, klen) > 0)
			return &m->e[i];
	return NULL;
}

size_t fz_read_key(fz_in *in, unsigned char *k, size_t max)
{
	static const unsigned char alpha[4] = { 'a', 'b', 0x00, 0xff };
	unsigned b = fz_byte(in), more = 0;
	size_t len = b % (max + 1), i;

	if (len > 0)
		k[0] = alpha[(b >> 4) & 3];
	if (len > 1)
		more = fz_byte(in);
	for (i = 1; i < len; i++)
		k[i] = alpha[(more >> (2 * ((i - 1) & 3))) & 3];
	return len;
}

void fz_read_val(fz_in *in, size_t *len, unsigned *seed)
{
	unsigned b = fz_byte(in);

	*seed = fz_byte(in);
	*len = (b & 0xc0) == 0xc0 ? FZ_BIG_VAL - (b & 0x3f) * 61 : b & 0x3f;
}
