/*
 * cli/dump.c - kvtool's dump formats: the portable kvtool-dump format and
 * LMDB's mdb_dump text, parsed from memory and written to a stream.
 *
 * Both formats are lines of printable ASCII, so a dump survives mail,
 * editors and diff; every other byte is escaped.  The parser is strict
 * (a dump is either read whole or refused with a line and column) because
 * load writes nothing unless the parse of the whole dump succeeded, and
 * because a fuzzer drives it with arbitrary bytes: it uses no libkv and
 * allocates nothing but two growing buffers.
 *
 * The portable format is specified in kvtool(1), FORMAT.  Of mdb_dump's
 * format, VERSION=3 sections with format=bytevalue or format=print are
 * read; a section named "data" is a libkv store's records, whose values
 * are framed [T][T tag bytes][value] (backends/lmdb.c): the frame is
 * taken off.  "kv_meta" is libkv's bookkeeping and is skipped.  Any other
 * section's values are taken as they are.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

#define PORTABLE_MAGIC "kvtool-dump 1"

/* A growing byte buffer owned by the lexer. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

/* The parser's position in the dump and its scratch buffers. */
struct lexer {
	const char *buf;
	size_t len, pos;       /* pos: start of the next line */
	unsigned long line;    /* number of the current line */
	const char *text;      /* the current line, without its newline */
	size_t tlen;
	struct kvt_dump_error *err;
	const struct kvt_dump_sink *sink;
	struct buf key, val, prev;
	unsigned long long records;
};

/* Record a parse error at column col of the current line; returns -1. */
static int fail(struct lexer *lx, size_t col, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

static int fail(struct lexer *lx, size_t col, const char *fmt, ...)
{
	va_list ap;

	/* An empty dump fails before its first line: call that line 1. */
	lx->err->line = lx->line ? lx->line : 1;
	lx->err->col = (unsigned long)col;
	va_start(ap, fmt);
	vsnprintf(lx->err->msg, sizeof lx->err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* Step to the next line.  Returns 1 with the line in text/tlen, 0 at the
 * end of the dump, -1 for a last line cut short (no newline) or a byte
 * that is not printable ASCII. */
static int next_line(struct lexer *lx)
{
	const char *nl;
	size_t i;

	if (lx->pos >= lx->len)
		return 0;
	lx->line++;
	lx->text = lx->buf + lx->pos;
	nl = memchr(lx->text, '\n', lx->len - lx->pos);
	lx->tlen = nl ? (size_t)(nl - lx->text) : lx->len - lx->pos;
	lx->pos += lx->tlen + 1;
	for (i = 0; i < lx->tlen; i++) {
		unsigned char c = (unsigned char)lx->text[i];

		if (c < 0x20 || c > 0x7e)
			return fail(lx, i + 1, "byte 0x%02x is not printable "
			            "ASCII (write it as \\x%02x)", c, c);
	}
	if (!nl)
		return fail(lx, lx->tlen + 1, "truncated: the last line has "
		            "no newline");
	return 1;
}

/* Make room for n more bytes in b; returns -2 when out of memory. */
static int buf_reserve(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 64;
	unsigned char *p;

	if (b->len + n <= b->cap)
		return 0;
	while (cap < b->len + n)
		cap *= 2;
	if (!(p = realloc(b->p, cap)))
		return -2;
	b->p = p;
	b->cap = cap;
	return 0;
}

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

/* The byte of two hex digits at s, or -1. */
static int hexbyte(const char *s)
{
	int hi = hexval((unsigned char)s[0]);
	int lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);

	return lo < 0 ? -1 : hi << 4 | lo;
}

/* Decode the portable escapes of s (n bytes, at column col) into b. */
static int unescape(struct lexer *lx, struct buf *b, const char *s, size_t n,
                    size_t col)
{
	size_t i = 0;
	int c;

	b->len = 0;
	if (buf_reserve(b, n + 1))
		return -2;
	while (i < n) {
		if (s[i] != '\\') {
			b->p[b->len++] = (unsigned char)s[i++];
			continue;
		}
		c = i + 1 < n ? s[i + 1] : 0;
		if (c == '\\' || c == 'n' || c == 't' || c == '0') {
			b->p[b->len++] = c == 'n' ? '\n' : c == 't' ? '\t'
			               : c == '0' ? 0 : '\\';
			i += 2;
		} else if (c == 'x' && i + 3 < n &&
		           (c = hexbyte(s + i + 2)) >= 0) {
			b->p[b->len++] = (unsigned char)c;
			i += 4;
		} else {
			return fail(lx, col + i, "bad escape (use \\xHH, \\\\, "
			            "\\n, \\t or \\0)");
		}
	}
	b->p[b->len] = 0;
	return 0;
}

/* Is the current line blank or a comment? */
static int skippable(const struct lexer *lx)
{
	return lx->tlen == 0 || lx->text[0] == '#';
}

/* Does the current line start with word and a space?  Sets *arg. */
static int directive(const struct lexer *lx, const char *word,
                     const char **arg, size_t *alen)
{
	size_t n = strlen(word);

	if (lx->tlen < n + 1 || memcmp(lx->text, word, n) != 0 ||
	    lx->text[n] != ' ')
		return 0;
	*arg = lx->text + n + 1;
	*alen = lx->tlen - n - 1;
	return 1;
}

/* Compare keys bytewise, a shorter key before its extensions. */
static int key_cmp(const struct buf *a, const struct buf *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* The number of a "version N" line: 1 to 4294967295 in decimal without
 * leading zeros, so that a dump has one spelling of each record (a record
 * of no version has no version line). */
static int portable_version(struct lexer *lx, unsigned int *out,
                            const char *arg, size_t alen)
{
	unsigned long long n = 0;
	size_t i;

	if (alen == 0 || alen > 10 || arg[0] == '0')
		return fail(lx, 9, "'version' needs a schema version from 1 to "
		            "4294967295, without leading zeros");
	for (i = 0; i < alen; i++) {
		if (arg[i] < '0' || arg[i] > '9')
			return fail(lx, 9 + i, "'version' needs a schema version "
			            "(decimal digits)");
		n = n * 10 + (unsigned long long)(arg[i] - '0');
	}
	if (n > 0xffffffffULL)
		return fail(lx, 9, "schema version %llu is too large (at most "
		            "4294967295)", n);
	*out = (unsigned int)n;
	return 0;
}

/* A "key" line (argument arg), an optional "version" line and the
 * "value" line that must follow. */
static int portable_record(struct lexer *lx, const char *arg, size_t alen)
{
	unsigned long line = lx->line;
	unsigned int version = 0;
	const char *varg;
	size_t vlen;
	int rc;

	if ((rc = unescape(lx, &lx->key, arg, alen, 5)))
		return rc;
	if (lx->key.len == 0)
		return fail(lx, 5, "empty key (libkv needs at least one byte)");
	if (lx->records && key_cmp(&lx->key, &lx->prev) <= 0)
		return fail(lx, 5, "key is not after the previous key (keys "
		            "come in ascending bytewise order, each once)");
	if ((rc = next_line(lx)) < 0)
		return rc;
	if (rc == 0)
		return fail(lx, 1, "truncated: key without a value line");
	if (directive(lx, "version", &varg, &vlen)) {
		if ((rc = portable_version(lx, &version, varg, vlen)) ||
		    (rc = next_line(lx)) < 0)
			return rc;
		if (rc == 0)
			return fail(lx, 1, "truncated: key without a value "
			            "line");
	}
	if (!directive(lx, "value", &varg, &vlen))
		return fail(lx, 1, "expected 'value ...' after the key line%s",
		            version ? " and its version line"
		                    : " (or 'version N', then 'value ...')");
	if ((rc = unescape(lx, &lx->val, varg, vlen, 7)))
		return rc;
	lx->prev.len = 0;
	if (buf_reserve(&lx->prev, lx->key.len))
		return -2;
	memcpy(lx->prev.p, lx->key.p, lx->key.len);
	lx->prev.len = lx->key.len;
	lx->records++;
	if (lx->sink->record)
		return lx->sink->record(lx->key.p, lx->key.len, lx->val.p,
		                        lx->val.len, version, line,
		                        lx->sink->payload);
	return 0;
}

/* The "end N" line: N must count the records; only blank lines and
 * comments may follow. */
static int portable_end(struct lexer *lx, const char *arg, size_t alen)
{
	unsigned long long n = 0;
	size_t i;
	int rc;

	if (alen == 0 || alen > 19)
		return fail(lx, 5, "'end' needs the number of records");
	for (i = 0; i < alen; i++) {
		if (arg[i] < '0' || arg[i] > '9')
			return fail(lx, 5 + i, "'end' needs the number of "
			            "records");
		n = n * 10 + (unsigned long long)(arg[i] - '0');
	}
	if (n != lx->records)
		return fail(lx, 5, "end says %llu records, the dump has %llu",
		            n, lx->records);
	while ((rc = next_line(lx)) > 0)
		if (!skippable(lx))
			return fail(lx, 1, "text after the 'end' line");
	return rc;
}

/* Parse the portable format; see kvtool(1), FORMAT. */
static int parse_portable(struct lexer *lx)
{
	const char *arg;
	size_t alen;
	int rc;

	if ((rc = next_line(lx)) <= 0)
		return rc < 0 ? rc : fail(lx, 1, "empty dump");
	if (lx->tlen != sizeof PORTABLE_MAGIC - 1 ||
	    memcmp(lx->text, PORTABLE_MAGIC, lx->tlen) != 0)
		return fail(lx, 1, "not a kvtool dump: the first line must be "
		            "'" PORTABLE_MAGIC "'");
	while ((rc = next_line(lx)) > 0) {
		if (skippable(lx))
			continue;
		if (directive(lx, "key", &arg, &alen)) {
			rc = portable_record(lx, arg, alen);
		} else if (directive(lx, "schema", &arg, &alen)) {
			if (lx->records)
				return fail(lx, 1, "schema line after the "
				            "first record");
			if ((rc = unescape(lx, &lx->val, arg, alen, 8)) == 0 &&
			    lx->sink->schema)
				rc = lx->sink->schema((const char *)lx->val.p,
				                      lx->val.len, lx->line,
				                      lx->sink->payload);
		} else if (directive(lx, "end", &arg, &alen)) {
			return portable_end(lx, arg, alen);
		} else if (directive(lx, "value", &arg, &alen) ||
		           directive(lx, "version", &arg, &alen)) {
			return fail(lx, 1, "%s line without a key line",
			            lx->text[1] == 'a' ? "value" : "version");
		} else {
			return fail(lx, 1, "unknown line (expected schema, key, "
			            "version, value, end, a comment or a blank "
			            "line)");
		}
		if (rc)
			return rc;
	}
	if (rc < 0)
		return rc;
	lx->line++;
	return fail(lx, 1, "truncated: the dump ends without its 'end' line "
	            "(%llu records read)", lx->records);
}

/* ---- mdb_dump's format ---------------------------------------------- */

/* One section of an mdb_dump: its header's settings. */
struct section {
	int print;     /* format=print, else bytevalue */
	int framed;    /* database=data: libkv frames */
	int skip;      /* database=kv_meta: libkv's bookkeeping */
	char name[64]; /* database=NAME, "" for the main database */
};

/* Decode one data line (after its leading space) into b. */
static int mdb_decode(struct lexer *lx, struct buf *b, int print)
{
	const char *s = lx->text + 1;
	size_t n = lx->tlen - 1, i = 0;
	int c;

	b->len = 0;
	if (buf_reserve(b, n + 1))
		return -2;
	while (i < n) {
		if (print && s[i] != '\\') {
			b->p[b->len++] = (unsigned char)s[i++];
			continue;
		}
		if (print && i + 1 < n && s[i + 1] == '\\') {
			b->p[b->len++] = '\\';
			i += 2;
			continue;
		}
		i += print; /* the backslash before \HH */
		if (i + 2 > n || (c = hexbyte(s + i)) < 0)
			return fail(lx, 2 + i - (size_t)print, print ? "bad escape (use \\\\ or "
			            "\\HH)" : "bad hex digits");
		b->p[b->len++] = (unsigned char)c;
		i += 2;
	}
	b->p[b->len] = 0;
	return 0;
}

/* Apply one "name=value" header line to sec. */
static int mdb_header_line(struct lexer *lx, struct section *sec)
{
	static const char *const ignored[] = { "type=btree", "mapsize=",
		"maxreaders=", "db_pagesize=", "mapaddr=", "VERSION=3" };
	static const char *const flags[] = { "duplicates=", "dupsort=",
		"reversekey=", "integerkey=", "dupfixed=", "integerdup=",
		"reversedup=" };
	const char *t = lx->text;
	size_t i, n = lx->tlen;

	if ((n == 16 && !memcmp(t, "format=bytevalue", 16)) ||
	    (n == 12 && !memcmp(t, "format=print", 12))) {
		sec->print = n == 12;
		return 0;
	}
	if (n > 9 && !memcmp(t, "database=", 9)) {
		if (n - 9 >= sizeof sec->name)
			return fail(lx, 10, "database name too long");
		memcpy(sec->name, t + 9, n - 9);
		sec->name[n - 9] = 0;
		return 0;
	}
	/* The line is not NUL-terminated: compare within its n bytes. */
	for (i = 0; i < sizeof ignored / sizeof *ignored; i++)
		if (n >= strlen(ignored[i]) &&
		    !memcmp(t, ignored[i], strlen(ignored[i])))
			return 0;
	for (i = 0; i < sizeof flags / sizeof *flags; i++)
		if (n >= strlen(flags[i]) &&
		    !memcmp(t, flags[i], strlen(flags[i])))
			return n == strlen(flags[i]) + 1 && t[n - 1] == '0' ? 0
			       : fail(lx, 1, "a database with %.*s is not a "
			              "libkv store (one value per key, bytewise "
			              "key order)", (int)strlen(flags[i]) - 1,
			              flags[i]);
	return fail(lx, 1, "unknown header line (format=bytevalue or print, "
	            "database=, type=btree, ... HEADER=END)");
}

/* Read a section's header, from VERSION=3 to HEADER=END. */
static int mdb_header(struct lexer *lx, struct section *sec)
{
	int rc;

	memset(sec, 0, sizeof *sec);
	if (lx->tlen != 9 || memcmp(lx->text, "VERSION=3", 9) != 0)
		return fail(lx, 1, "not an mdb_dump section: expected "
		            "'VERSION=3'");
	while ((rc = next_line(lx)) > 0) {
		if (lx->tlen == 10 && !memcmp(lx->text, "HEADER=END", 10)) {
			sec->framed = !strcmp(sec->name, "data");
			sec->skip = !strcmp(sec->name, "kv_meta");
			return 0;
		}
		if ((rc = mdb_header_line(lx, sec)))
			return rc;
	}
	lx->line += rc == 0;
	return rc < 0 ? rc : fail(lx, 1, "truncated: header without "
	                          "HEADER=END");
}

/* Take a libkv frame off lx->val: [T][T tag bytes][value]. */
static int unframe(struct lexer *lx, const unsigned char **v, size_t *vlen)
{
	size_t t = lx->val.len ? lx->val.p[0] : 0;

	if (lx->val.len == 0 || t > lx->val.len - 1)
		return fail(lx, 2, "value is not a libkv record frame ([tag "
		            "length][tag][value]) although the database is "
		            "named 'data'");
	*v = lx->val.p + 1 + t;
	*vlen = lx->val.len - 1 - t;
	return 0;
}

/* One key line and its value line in section sec. */
static int mdb_record(struct lexer *lx, const struct section *sec)
{
	unsigned long line = lx->line;
	const unsigned char *v;
	size_t vlen;
	int rc;

	if ((rc = mdb_decode(lx, &lx->key, sec->print)))
		return rc;
	if (lx->key.len == 0)
		return fail(lx, 2, "empty key (libkv needs at least one byte)");
	if ((rc = next_line(lx)) < 0)
		return rc;
	if (rc == 0 || lx->tlen == 0 || lx->text[0] != ' ')
		return fail(lx, 1, rc ? "expected a value line (starting with "
		            "a space)" : "truncated: key without a value");
	if ((rc = mdb_decode(lx, &lx->val, sec->print)))
		return rc;
	v = lx->val.p;
	vlen = lx->val.len;
	if (sec->framed && (rc = unframe(lx, &v, &vlen)))
		return rc;
	if (sec->skip)
		return 0;
	lx->records++;
	if (lx->sink->record)
		return lx->sink->record(lx->key.p, lx->key.len, v, vlen, 0,
		                        line, lx->sink->payload);
	return 0;
}

/* Parse mdb_dump output: one or more sections, one of them loaded. */
static int parse_mdb(struct lexer *lx)
{
	struct section sec;
	int rc, kept = 0;

	while ((rc = next_line(lx)) > 0) {
		if ((rc = mdb_header(lx, &sec)))
			return rc;
		if (!sec.skip && kept++)
			return fail(lx, 1, "a second database ('%s') in the dump: "
			            "kvtool loads one (dump it alone with "
			            "mdb_dump -s NAME)", sec.name);
		while ((rc = next_line(lx)) > 0 && lx->tlen > 0 &&
		       lx->text[0] == ' ')
			if ((rc = mdb_record(lx, &sec)))
				return rc;
		if (rc < 0)
			return rc;
		if (rc == 0) {
			lx->line++;
			return fail(lx, 1, "truncated: no DATA=END");
		}
		if (lx->tlen != 8 || memcmp(lx->text, "DATA=END", 8) != 0)
			return fail(lx, 1, "expected a data line (starting "
			            "with a space) or DATA=END");
	}
	if (rc == 0 && lx->line == 0)
		return fail(lx, 1, "empty dump");
	return rc;
}

/* The error for a first line that starts neither format. */
static int not_a_dump(struct lexer *lx)
{
	lx->line = 1;
	return fail(lx, 1, "not a dump: the first line is neither '"
	            PORTABLE_MAGIC "' nor mdb_dump's 'VERSION=3'");
}

enum kvt_dump_format kvt_dump_detect(const char *buf, size_t len)
{
	if (len >= sizeof PORTABLE_MAGIC &&
	    !memcmp(buf, PORTABLE_MAGIC, sizeof PORTABLE_MAGIC - 1))
		return KVT_DUMP_PORTABLE;
	if (len >= 8 && !memcmp(buf, "VERSION=", 8))
		return KVT_DUMP_MDB;
	return KVT_DUMP_AUTO;
}

int kvt_dump_parse(enum kvt_dump_format fmt, const char *buf, size_t len,
                   const struct kvt_dump_sink *sink,
                   struct kvt_dump_error *err)
{
	static const struct kvt_dump_sink none = { NULL, NULL, NULL };
	struct lexer lx;
	int rc;

	memset(&lx, 0, sizeof lx);
	memset(err, 0, sizeof *err);
	lx.buf = buf;
	lx.len = buf ? len : 0;
	lx.err = err;
	lx.sink = sink ? sink : &none;
	if (fmt == KVT_DUMP_AUTO)
		fmt = kvt_dump_detect(lx.buf, lx.len);
	if (fmt == KVT_DUMP_PORTABLE)
		rc = parse_portable(&lx);
	else if (fmt == KVT_DUMP_MDB)
		rc = parse_mdb(&lx);
	else
		rc = not_a_dump(&lx);
	if (rc == -2)
		snprintf(err->msg, sizeof err->msg, "out of memory");
	free(lx.key.p);
	free(lx.val.p);
	free(lx.prev.p);
	return rc;
}

int kvt_dump_parse_file(enum kvt_dump_format fmt, FILE *f,
                        const struct kvt_dump_sink *sink,
                        struct kvt_dump_error *err)
{
	struct buf b = { NULL, 0, 0 };
	size_t n;
	int rc;

	memset(err, 0, sizeof *err);
	do {
		if (buf_reserve(&b, 65536)) {
			free(b.p);
			return -2;
		}
		n = fread(b.p + b.len, 1, b.cap - b.len, f);
		b.len += n;
	} while (n > 0);
	rc = ferror(f) ? -3 : kvt_dump_parse(fmt, (const char *)b.p, b.len,
	                                     sink, err);
	free(b.p);
	return rc;
}

/* ---- writing ---------------------------------------------------------- */

void kvt_dump_escape(FILE *f, const void *p, size_t len)
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

/* One mdb_dump data line: a space, then the bytes in hex. */
static void put_hex_line(FILE *f, const unsigned char *b, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	putc(' ', f);
	for (i = 0; i < len; i++) {
		putc(digits[b[i] >> 4], f);
		putc(digits[b[i] & 15], f);
	}
	putc('\n', f);
}

void kvt_dump_begin(struct kvt_dump_writer *w, FILE *f,
                    enum kvt_dump_format fmt)
{
	w->f = f;
	w->fmt = fmt;
	w->records = 0;
	if (fmt == KVT_DUMP_MDB)
		fputs("VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n", f);
	else
		fputs(PORTABLE_MAGIC "\n", f);
}

void kvt_dump_schema(struct kvt_dump_writer *w, const char *json, size_t len)
{
	if (w->fmt == KVT_DUMP_MDB)
		return;
	fputs("schema ", w->f);
	kvt_dump_escape(w->f, json, len);
	putc('\n', w->f);
}

void kvt_dump_record(struct kvt_dump_writer *w, const void *key,
                     size_t key_len, const void *val, size_t val_len,
                     unsigned int version)
{
	w->records++;
	if (w->fmt == KVT_DUMP_MDB) {
		put_hex_line(w->f, key, key_len);
		put_hex_line(w->f, val, val_len);
		return;
	}
	fputs("key ", w->f);
	kvt_dump_escape(w->f, key, key_len);
	if (version)
		fprintf(w->f, "\nversion %u", version);
	fputs("\nvalue ", w->f);
	kvt_dump_escape(w->f, val, val_len);
	putc('\n', w->f);
}

void kvt_dump_end(struct kvt_dump_writer *w)
{
	if (w->fmt == KVT_DUMP_MDB)
		fputs("DATA=END\n", w->f);
	else
		fprintf(w->f, "end %llu\n", w->records);
}
