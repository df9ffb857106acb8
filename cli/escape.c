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

#include "dump.h"
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

/* The dump format writes bytes exactly as kvtool prints them. */
void kvt_escape(FILE *f, const void *p, size_t len)
{
	kvt_dump_escape(f, p, len);
}

void kvt_put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			putc(*s, f);
	}
}
