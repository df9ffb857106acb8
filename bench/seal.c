/*
 * bench/seal.c - the work libkv's integrity format asks of every record,
 * done by hand for the sealed-lmdb and sealed-sqlite stores.
 *
 * A record carries a 14-byte tag beside its value: 6 bytes of header, then
 * its seal, SipHash-2-4 (libsodium) over the key's length as 8 bytes
 * little-endian, the key and the value.  A read recomputes the seal and
 * compares it in constant time; every commit writes the sum of the seals,
 * the store's digest.  Those stores are the raw backends doing this and
 * nothing more, so sealed/raw is what the format costs by itself, and
 * libkv/sealed what libkv's code adds on top of it.
 */
#include "kvbench.h"

#include <sodium.h>
#include <string.h>

/* The key of a store without a secret: public, as libkv's is. */
static const unsigned char seal_key[crypto_shorthash_siphash24_KEYBYTES] =
	"kvbench-seal-key";

/* The seal of (key, val) into out[0..8); -1 when the record is larger
 * than the data set makes them. */
static int seal_of(unsigned char out[8], const void *key, size_t klen,
                   const void *val, size_t vlen)
{
	unsigned char buf[8 + BENCH_KEY_MAX + BENCH_VAL_MAX];
	uint64_t kl = klen;

	if (klen > BENCH_KEY_MAX || vlen > BENCH_VAL_MAX)
		return -1;
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)(kl >> (8 * i));
	memcpy(buf + 8, key, klen);
	memcpy(buf + 8 + klen, val, vlen);
	crypto_shorthash_siphash24(out, buf, 8 + klen + vlen, seal_key);
	return 0;
}

int bench_seal(unsigned char tag[BENCH_TAG_LEN], const void *key,
               size_t klen, const void *val, size_t vlen)
{
	memset(tag, 0, 6);
	tag[0] = 1;
	return seal_of(tag + 6, key, klen, val, vlen);
}

int bench_seal_ok(const unsigned char *tag, size_t tag_len, const void *key,
                  size_t klen, const void *val, size_t vlen)
{
	unsigned char want[16] = { 0 }, got[16] = { 0 };

	if (tag_len != BENCH_TAG_LEN || seal_of(want, key, klen, val, vlen))
		return 0;
	memcpy(got, tag + 6, 8);
	return crypto_verify_16(want, got) == 0;
}

uint64_t bench_seal_sum(const unsigned char tag[BENCH_TAG_LEN])
{
	uint64_t s = 0;

	for (int i = 7; i >= 0; i--)
		s = s << 8 | tag[6 + i];
	return s;
}
