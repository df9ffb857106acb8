/*
 * fuzz/model.h - the plain in-memory model of a store that the operation
 * harnesses compare libkv with, and the decoding of keys and values from
 * the fuzzer's bytes.
 *
 * Keys come from a tiny alphabet (so that keys collide and prefix one
 * another, and both ends of the byte range appear); a value is a recipe,
 * a length and a seed, so the model keeps no value bytes.
 */
#ifndef KV_FUZZ_MODEL_H
#define KV_FUZZ_MODEL_H

#include <stddef.h>

#include "fuzz.h"

#define FZ_MAX_KEY 6
#define FZ_MAX_ENTS 64
#define FZ_BIG_VAL 6000

struct fz_ent {
	unsigned char k[FZ_MAX_KEY];
	size_t klen;
	size_t vlen;
	unsigned vseed;
};

/* A state of the store: entries in key order. */
struct fz_model {
	struct fz_ent e[FZ_MAX_ENTS];
	size_t n;
};

/* Byte i of the value made from seed. */
unsigned char fz_val_byte(unsigned seed, size_t i);
/* Fill buf with the len bytes of the value made from seed. */
void fz_make_val(unsigned char *buf, size_t len, unsigned seed);
/* 0 when the len bytes at v are the value of e. */
int fz_val_cmp(const void *v, size_t len, const struct fz_ent *e);

/* libkv's key order: bytewise, a shorter key before its extensions. */
int fz_key_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* Index of key in m (*found 1), or of the first larger entry (*found 0). */
size_t fz_model_find(const struct fz_model *m, const void *k, size_t klen,
                     int *found);
/* Insert or replace e; 0 when the model is full and e is new. */
int fz_model_put(struct fz_model *m, const struct fz_ent *e);
/* Remove key; 0 when absent. */
int fz_model_del(struct fz_model *m, const void *k, size_t klen);
/* The first entry after key (any entry when klen is 0 and first is 1). */
const struct fz_ent *fz_model_after(const struct fz_model *m, const void *k,
                                    size_t klen, int first);

/* Decode a key of 0..max bytes into k; returns its length. */
size_t fz_read_key(fz_in *in, unsigned char *k, size_t max);
/* Decode a value recipe: mostly short, sometimes FZ_BIG_VAL-sized. */
void fz_read_val(fz_in *in, size_t *len, unsigned *seed);

#endif /* KV_FUZZ_MODEL_H */
