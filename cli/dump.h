/*
 * cli/dump.h - the two text formats of kvtool dump and load: kvtool's
 * portable dump format and LMDB's mdb_dump format (see kvtool(1),
 * section FORMAT).
 *
 * The parser reads a whole dump from memory and reports each schema and
 * record through callbacks, in order; it knows nothing of libkv, so a
 * fuzz harness can link dump.c alone.  It stops at the first error and
 * reports its line and column (both counted from 1; the column in bytes).
 * Nothing it hands to a callback outlives the call.
 */
#ifndef KVTOOL_DUMP_H
#define KVTOOL_DUMP_H

#include <stddef.h>
#include <stdio.h>

enum kvt_dump_format {
	KVT_DUMP_AUTO = 0,     /* parse: tell the format from the first line */
	KVT_DUMP_PORTABLE = 1, /* kvtool-dump 1 */
	KVT_DUMP_MDB = 2       /* mdb_dump's text, VERSION=3 */
};

/* Write bytes in the portable format's escape syntax (kvtool's output
 * syntax too, see cli/escape.c): printable ASCII as it is, the backslash
 * as \\, newline \n, tab \t, any other byte \xHH. */
void kvt_dump_escape(FILE *f, const void *p, size_t len);

/* Where and why a parse failed. */
struct kvt_dump_error {
	unsigned long line, col;
	char msg[200];
};

/* What the parser calls.  Either callback may be NULL.  line is where the
 * schema or the record's key starts; a record's version line, when it has
 * one, is the line after (its number at column 9).  version is the schema
 * version the record was validated under, 0 when the dump gives none (the
 * mdb format never does).  schema gets the document's text as
 * written (unescaped, not checked as JSON; len bytes, NUL-terminated).  A
 * non-zero return stops the parse and becomes its result. */
struct kvt_dump_sink {
	int (*schema)(const char *json, size_t len, unsigned long line,
	              void *payload);
	int (*record)(const void *key, size_t key_len, const void *val,
	              size_t val_len, unsigned int version, unsigned long line,
	              void *payload);
	void *payload;
};

/* The format of a dump that starts with buf (len bytes), or KVT_DUMP_AUTO
 * when it is neither. */
enum kvt_dump_format kvt_dump_detect(const char *buf, size_t len);

/* Parse a dump of format fmt (KVT_DUMP_AUTO: detected) from buf.
 * Returns 0 when the whole dump was read, -1 for a malformed dump (err
 * says where and why), -2 when out of memory, or what a callback returned
 * when it stopped the parse. */
int kvt_dump_parse(enum kvt_dump_format fmt, const char *buf, size_t len,
                   const struct kvt_dump_sink *sink,
                   struct kvt_dump_error *err);

/* Read f to its end and parse it as kvt_dump_parse does.  A read error
 * is reported as -3 (errno set); -2 out of memory. */
int kvt_dump_parse_file(enum kvt_dump_format fmt, FILE *f,
                        const struct kvt_dump_sink *sink,
                        struct kvt_dump_error *err);

/* A dump being written to f; records must come in ascending key order,
 * schemas (portable format only) before the first record. */
struct kvt_dump_writer {
	FILE *f;
	enum kvt_dump_format fmt;
	unsigned long long records;
};

/* The longest key the mdb format is written with: LMDB's default key
 * limit, above which mdb_load refuses the dump. */
#define KVT_DUMP_MDB_MAXKEY 511

void kvt_dump_begin(struct kvt_dump_writer *w, FILE *f,
                    enum kvt_dump_format fmt);
void kvt_dump_schema(struct kvt_dump_writer *w, const char *json,
                     size_t len);
/* version: the record's schema version, written in the portable format
 * when non-zero; the mdb format has no place for it. */
void kvt_dump_record(struct kvt_dump_writer *w, const void *key,
                     size_t key_len, const void *val, size_t val_len,
                     unsigned int version);
void kvt_dump_end(struct kvt_dump_writer *w);

#endif /* KVTOOL_DUMP_H */
