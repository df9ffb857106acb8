/*
 * cli/escape.c - how kvtool turns arguments into bytes and bytes into text.
 *
 * One escape syntax in both directions, so that whatever kvtool prints can
 * be pasted back as an argument:
 *   \xHH  any byte (two hex digits, either case)
 *   \\    a backslash
 *   \n    newline (0x0a)      \t  tab (0x09)      \0  NUL (input only)
 * Output escapes every byte that is not printable ASCII, and the
 * backslash; it writes NUL as \x00.  Nothing raw reaches a terminal.
 *
 * JSON output (RFC 8259) is pure ASCII as well.  A JSON string holds
 * Unicode text, not bytes, so a key or value that is valid UTF-8 is written
 * as a string of exactly that text ("key": "...", non-ASCII as \uXXXX),
 * and one that is not is written base64-encoded under the name with
 * "_base64" appended ("key_base64": "..."): lossless either way, and a
 * consumer never has to undo a second escape layer (records are JSON text
 * and keep their own backslashes).
 */
#include <stdlib.h>
#include <string.h>

#include "kvtool.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the escape at s (just after the backslash) into *byte; returns
 * the number of characters consumed after the backslash, 0 if invalid. */
static size_t unescape_one(unsigned char *byte, const char *s)
{
	int hi, lo;

	switch (s[0]) {
	case '\\': *byte = '\\'; return 1;
	case 'n': *byte = '\n'; return 1;
	case 't': *byte = '\t'; return 1;
	case '0': *byte = 0; return 1;
	case 'x':
		hi = hexval((unsigned char)s[1]);
		lo = hi < 0 ? -1 : hexval((unsigned char)s[2]);
		if (lo < 0)
			return 0;
		*byte = (unsigned char)(hi << 4 | lo);
		return 3;
	default:
		return 0;
	}
}

int kvt_unescape(struct kvt_bytes *out, const char *arg)
{
	size_t n = strlen(arg), used;
	unsigned char *p = malloc(n + 1), *o = p;

	if (!p)
		return -2;
	while (*arg) {
		if (*arg != '\\') {
			*o++ = (unsigned char)*arg++;
			continue;
		}
		if ((used = unescape_one(o, arg + 1)) == 0) {
			free(p);
			return -1;
		}
		o++;
		arg += 1 + used;
	}
	*o = 0;
	out->p = p;
	out->len = (size_t)(o - p);
	return 0;
}

int kvt_arg_bytes(struct kvt_bytes *out, const struct kvt_cmd *cmd,
                  const char *what, const char *arg)
{
	switch (kvt_unescape(out, arg)) {
	case 0:
		return KVT_EXIT_OK;
	case -1:
		return kvt_usage(cmd, "bad escape in %s '%s' (use \\xHH, \\\\, "
		                 "\\n, \\t or \\0)", what, arg);
	default:
		kvt_error("out of memory");
		return KVT_EXIT_FAIL;
	}
}

void kvt_escape(FILE *f, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		if (b[i] == '\\')
			fputs("\\\\", f);
		else if (b[i] == '\n')
			fputs("\\n", f);
		else if (b[i] == '\t')
			fputs("\\t", f);
		else if (b[i] >= 0x20 && b[i] < 0x7f)
			putc(b[i], f);
		else
			fprintf(f, "\\x%02x", b[i]);
	}
}

/* Decode one UTF-8 sequence at b (len bytes available) into *cp; returns
 * its length, or 0 when it is not valid UTF-8 (overlong forms, surrogates
 * and code points past U+10FFFF are invalid). */
static size_t utf8_decode(unsigned long *cp, const unsigned char *b,
                          size_t len)
{
	static const unsigned long min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n, i;
	unsigned long c;

	if (b[0] < 0x80)
		n = 1;
	else if ((b[0] & 0xe0) == 0xc0)
		n = 2;
	else if ((b[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((b[0] & 0xf8) == 0xf0)
		n = 4;
	else
		return 0;
	c = b[0] & (0xffu >> (n == 1 ? 1 : n + 1));
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((b[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (b[i] & 0x3fu);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static int utf8_valid(const unsigned char *b, size_t len)
{
	unsigned long cp;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_decode(&cp, b + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Write one code point inside a JSON string, as ASCII. */
static void json_char(FILE *f, unsigned long c)
{
	switch (c) {
	case '"': fputs("\\\"", f); return;
	case '\\': fputs("\\\\", f); return;
	case '\b': fputs("\\b", f); return;
	case '\f': fputs("\\f", f); return;
	case '\n': fputs("\\n", f); return;
	case '\r': fputs("\\r", f); return;
	case '\t': fputs("\\t", f); return;
	default: break;
	}
	if (c >= 0x20 && c < 0x7f) {
		putc((int)c, f);
	} else if (c < 0x10000) {
		fprintf(f, "\\u%04lx", c);
	} else {
		c -= 0x10000;
		fprintf(f, "\\u%04lx\\u%04lx", 0xd800 + (c >> 10),
		        0xdc00 + (c & 0x3ff));
	}
}

/* Write valid UTF-8 as a quoted JSON string. */
static void json_text(FILE *f, const unsigned char *b, size_t len)
{
	unsigned long cp = 0;
	size_t i = 0;

	putc('"', f);
	while (i < len) {
		i += utf8_decode(&cp, b + i, len - i);
		json_char(f, cp);
	}
	putc('"', f);
}

/* Write bytes as a quoted base64 string (RFC 4648, with padding). */
static void json_base64(FILE *f, const unsigned char *b, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	unsigned long v;
	size_t i;

	putc('"', f);
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned long)b[i] << 16 | (unsigned long)b[i + 1] << 8 |
		    b[i + 2];
		putc(abc[v >> 18 & 63], f);
		putc(abc[v >> 12 & 63], f);
		putc(abc[v >> 6 & 63], f);
		putc(abc[v & 63], f);
	}
	if (i < len) {
		v = (unsigned long)b[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)b[i + 1] << 8;
		putc(abc[v >> 18 & 63], f);
		putc(abc[v >> 12 & 63], f);
		putc(i + 1 < len ? abc[v >> 6 & 63] : '=', f);
		putc('=', f);
	}
	putc('"', f);
}

void kvt_json_field(FILE *f, const char *name, const void *p, size_t len)
{
	const unsigned char *b = p;

	if (utf8_valid(b, len)) {
		fprintf(f, "\"%s\": ", name);
		json_text(f, b, len);
	} else {
		fprintf(f, "\"%s_base64\": ", name);
		json_base64(f, b, len);
	}
}
