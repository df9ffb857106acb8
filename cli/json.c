/*
 * cli/json.c - kvtool's JSON output, through jansson (the JSON library
 * libkv uses) and libsodium's base64: check text, print it compact or
 * indented in ASCII, and write bytes as a JSON string field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "kvtool.h"

int kvt_json_check(const char *text, size_t len)
{
	json_t *v = json_loadb(text, len,
	                       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	int kind = v ? (json_is_object(v) ? 1 : 2) : 0;

	json_decref(v);
	return kind;
}

/* The fewest significant digits (15 to 17) that print every real in v
 * exactly, as libkv stores them: 0.412 prints as 0.412. */
static int real_digits(const json_t *v)
{
	const char *name;
	json_t *item;
	size_t i;
	char buf[32];
	int digits = 15, d;

	if (json_is_real(v)) {
		for (; digits < 17; digits++) {
			snprintf(buf, sizeof buf, "%.*g", digits, json_real_value(v));
			if (strtod(buf, NULL) == json_real_value(v))
				break;
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, name, item)
			if ((d = real_digits(item)) > digits)
				digits = d;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if ((d = real_digits(item)) > digits)
				digits = d;
	}
	return digits;
}

void kvt_json_write(FILE *f, const char *text, size_t len, int pretty)
{
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	size_t flags = JSON_ENCODE_ANY | JSON_ENSURE_ASCII;

	if (!v)
		return;
	flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
	json_dumpf(v, f, flags | JSON_REAL_PRECISION(real_digits(v)));
	json_decref(v);
}

void kvt_json_dump(FILE *f, const struct json_t *v)
{
	json_dumpf(v, f, JSON_ENCODE_ANY | JSON_ENSURE_ASCII | JSON_COMPACT |
	           JSON_REAL_PRECISION(real_digits(v)));
}

int kvt_json_string(FILE *f, const void *p, size_t len)
{
	json_t *s = json_stringn(p, len); /* NULL unless valid UTF-8 */

	if (!s)
		return -1;
	json_dumpf(s, f, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	json_decref(s);
	return 0;
}

void kvt_json_field(FILE *f, const char *name, const void *p, size_t len)
{
	json_t *s = json_stringn(p, len); /* NULL unless valid UTF-8 */
	size_t size;
	char *b64;

	if (s) {
		fprintf(f, "\"%s\": ", name);
		json_dumpf(s, f, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		json_decref(s);
		return;
	}
	size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	if (!(b64 = malloc(size))) {
		fprintf(f, "\"%s\": null", name);
		return;
	}
	sodium_bin2base64(b64, size, p, len, sodium_base64_VARIANT_ORIGINAL);
	fprintf(f, "\"%s_base64\": \"%s\"", name, b64);
	free(b64);
}
