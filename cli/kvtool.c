/*
 * cli/kvtool.c - kvtool's entry point: the command table, option parsing,
 * help and version, diagnostics, and opening and closing the store.
 *
 * Usage: kvtool CMD STORE [ARGS...].  A command is one entry of the table
 * below; its handler (commands.c, records.c, integrity.c) gets the
 * parsed arguments and returns an exit code.  Options may come anywhere
 * after CMD; "--" ends them, so a key starting with '-' is given after
 * "--" (or escaped as \x2d).  Before CMD only --keyfile FILE is taken.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "kvtool.h"

static const struct kvt_cmd commands[] = {
	{ "get", kvt_cmd_get,
	  KVT_OPT_RAW | KVT_OPT_JSON | KVT_OPT_SALVAGE | KVT_OPT_KEYFILE, 1, 1,
	  "print the value of a key",
	  "get [--raw | --json] [--salvage] STORE KEY",
	  "Print the value stored under KEY, escaped, followed by a newline.\n"
	  "A record that fails its seal is refused with exit 3.\n"
	  "\n"
	  "  --raw       write the value's exact bytes: no escaping, no newline\n"
	  "  --json      print {\"key\": ..., \"value\": ...}\n"
	  "  --salvage   print a record that fails its seal all the same, as\n"
	  "              it is stored, with a warning on stderr (and\n"
	  "              \"salvaged\": true with --json); exit 0\n" },
	{ "put", kvt_cmd_put,
	  KVT_OPT_FILE | KVT_OPT_NOOVERWRITE | KVT_OPT_KEYFILE, 1, 2,
	  "store a value under a key",
	  "put [--no-overwrite] STORE KEY [VALUE | -f FILE]",
	  "Store VALUE under KEY, creating the store if it does not exist.\n"
	  "Without VALUE or -f, the value is read from standard input.\n"
	  "VALUE is unescaped; the contents of FILE or stdin are taken as is.\n"
	  "\n"
	  "  -f, --file=FILE   read the value from FILE ('-' for stdin)\n"
	  "  --no-overwrite    leave a present key alone and exit with 5\n" },
	{ "del", kvt_cmd_del, KVT_OPT_KEYFILE, 1, 1,
	  "delete a key",
	  "del STORE KEY",
	  "Delete KEY.  Exits with 1 when the key is not there.\n" },
	{ "ls", kvt_cmd_ls,
	  KVT_OPT_JSON | KVT_OPT_KEYSONLY | KVT_OPT_LIMIT | KVT_OPT_KEYFILE,
	  0, 1,
	  "list keys and values in key order",
	  "ls [--keys-only] [--limit N] [--json] STORE [PREFIX]",
	  "Print KEY<TAB>VALUE, one line per key starting with PREFIX (every\n"
	  "key without it), in ascending bytewise key order.  A record that\n"
	  "fails its seal is named on stderr and skipped; the exit code is\n"
	  "then 3.\n"
	  "\n"
	  "  --keys-only   print the keys only\n"
	  "  --limit N     stop after N keys\n"
	  "  --json        print a JSON array of {\"key\": ..., \"value\": ...}\n" },
	{ "stat", kvt_cmd_stat, KVT_OPT_JSON | KVT_OPT_KEYFILE, 0, 0,
	  "show backend, counts, size, format, schemas and seal state",
	  "stat [--json] STORE",
	  "Print, one 'name: value' per line: the store's backend, path,\n"
	  "number of keys, size of its files in bytes, libkv format version,\n"
	  "one 'schema: NAME VERSION PREFIX' line per schema, and the state of\n"
	  "its seals: 'seals: N sealed, U unsealed, C corrupt' and 'digest:\n"
	  "ok' (or MISMATCH; 'unchecked' for a keyed store opened without its\n"
	  "key).  The seals are counted by a scan of every record, as verify\n"
	  "does; stat exits with 0 whatever it finds (verify exits with 8).\n"
	  "\n"
	  "  --json    print one object {\"backend\", \"path\", \"count\",\n"
	  "            \"file_size\", \"format\", \"schemas\": [{\"name\",\n"
	  "            \"version\", \"prefix\"}], \"sealed\", \"unsealed\",\n"
	  "            \"corrupt\", \"digest_ok\", \"checked\"}\n" },
	{ "compact", kvt_cmd_compact, KVT_OPT_KEYFILE, 0, 0,
	  "give the space of deleted records back to the file system",
	  "compact STORE",
	  "Rewrite the store without the space its deleted and replaced\n"
	  "records left, where the backend can do that in place (SQLite), and\n"
	  "print the size of its files before and after.  Other programs may\n"
	  "read meanwhile; writers wait.  A backend that cannot (LMDB, whose\n"
	  "file never shrinks; PostgreSQL, whose server reclaims space itself)\n"
	  "is refused with exit 4: kvtool convert to a new store writes a\n"
	  "compact copy.\n" },
	{ "dump", kvt_cmd_dump, KVT_OPT_FORMAT | KVT_OPT_FILE | KVT_OPT_KEYFILE,
	  0, 0,
	  "write the whole store as text",
	  "dump [--format portable|mdb] [-f FILE] STORE",
	  "Write every schema version and every record, in key order and from\n"
	  "one snapshot, to stdout (or FILE) as text that load reads back; a\n"
	  "record keeps the schema version it was validated under.\n"
	  "Every record is checked against its seal on the way; a damaged one\n"
	  "stops the dump with exit 3, and the dump then lacks its end line so\n"
	  "that load refuses it.\n"
	  "\n"
	  "  --format portable   kvtool's format (the default): printable\n"
	  "                      ASCII lines, any bytes escaped; see FORMAT\n"
	  "                      in kvtool(1)\n"
	  "  --format mdb        LMDB's mdb_dump text (format=bytevalue, the\n"
	  "                      main database) that mdb_load reads into a\n"
	  "                      plain LMDB database: the values as they are,\n"
	  "                      without schemas, record versions or seals;\n"
	  "                      keys longer than\n"
	  "                      511 bytes are refused\n"
	  "  -f, --file=FILE     write to FILE instead of stdout\n" },
	{ "load", kvt_cmd_load,
	  KVT_OPT_FORMAT | KVT_OPT_OVERWRITE | KVT_OPT_KEYFILE, 0, 1,
	  "read a dump into a store",
	  "load [--format portable|mdb] [--overwrite] STORE [FILE]",
	  "Read a dump from FILE (or stdin, or '-') into STORE, creating it if\n"
	  "it does not exist.  The format is told from the first line unless\n"
	  "--format says it.  The whole dump is parsed first: a malformed one\n"
	  "is reported as FILE:LINE:COLUMN: MESSAGE and nothing is written\n"
	  "(exit 10), as is one whose records their schema version refuses or\n"
	  "whose version lines name a version the dump lacks (tried in a\n"
	  "scratch store first).  Then the schemas are defined and every record\n"
	  "is written in one transaction, validated under its own schema\n"
	  "version (so one an older version accepted loads as it is); a record\n"
	  "without a version is validated by the current one.  Each record is\n"
	  "sealed by STORE.\n"
	  "\n"
	  "mdb_dump output of a libkv LMDB store (mdb_dump -n -s data STORE,\n"
	  "or -a) loads with its records' frames taken off; kv_meta is\n"
	  "skipped.  The dump of any other LMDB database (one database) loads\n"
	  "its values as they are.\n"
	  "\n"
	  "  --overwrite   load into a store that is not empty: the dump's keys\n"
	  "                replace the store's, schema versions it has already\n"
	  "                are kept; without it such a store is refused (exit 5)\n"
	  "  --format F    portable or mdb\n" },
	{ "convert", kvt_cmd_convert,
	  KVT_OPT_FORCE | KVT_OPT_ADOPT | KVT_OPT_DSTKEYFILE | KVT_OPT_KEYFILE,
	  1, 1,
	  "copy a store to another file or backend",
	  "convert [--force] [--adopt] [--dst-keyfile FILE] SRC DST",
	  "Copy every record and every schema version of SRC into a new store\n"
	  "DST (a path or URI: lmdb:PATH, sqlite:PATH, ...).  SRC is opened\n"
	  "read-only and never changed.  Its seals and digest are checked\n"
	  "first: a damaged SRC is refused (exit 8), as is one with unsealed\n"
	  "records unless --adopt.  Then the records are copied from one\n"
	  "snapshot in one transaction of DST, sealed there, each validated\n"
	  "under the schema version it was written under (the schemas are\n"
	  "defined first).  On failure DST is left without records.\n"
	  "\n"
	  "  --force             replace an existing store DST (emptied first);\n"
	  "                      without it an existing DST is refused (exit 5)\n"
	  "  --adopt             copy records without a seal (another program\n"
	  "                      wrote them) and seal them in DST\n"
	  "  --keyfile FILE      SRC's key, and DST's unless --dst-keyfile\n"
	  "  --dst-keyfile FILE  DST's key: a keyed DST; '' for an unkeyed one\n" },
	{ "export", kvt_cmd_export, KVT_OPT_FORMAT | KVT_OPT_KEYFILE, 0, 1,
	  "write the records under a prefix as JSON Lines or CSV",
	  "export [--format jsonl|csv] STORE [PREFIX]",
	  "Write one row per record (a JSON object) whose key starts with\n"
	  "PREFIX, in key order, from one snapshot.  Values that are not JSON\n"
	  "objects are skipped with a note on stderr.\n"
	  "\n"
	  "  --format jsonl   one line {\"key\": KEY, \"record\": {...}} per\n"
	  "                   record (the default)\n"
	  "  --format csv     RFC 4180: a header 'key,FIELD,...' with the\n"
	  "                   fields of the schema that governs PREFIX in its\n"
	  "                   order, then the other fields found; a string\n"
	  "                   cell is its text, any other value compact JSON,\n"
	  "                   an absent field empty\n" },
	{ "diff", kvt_cmd_diff, KVT_OPT_JSON | KVT_OPT_KEYFILE, 2, 2,
	  "compare two records field by field",
	  "diff [--json] STORE KEY1 KEY2",
	  "Print the fields of the records at KEY1 and KEY2 side by side, one\n"
	  "line per field, marked ' ' (equal), '|' (different), '<' (only in\n"
	  "KEY1) or '>' (only in KEY2); values as compact JSON.  Exits with 0\n"
	  "whether or not they differ.\n"
	  "\n"
	  "  --json    print {\"same\": BOOL, \"fields\": [{\"field\",\n"
	  "            \"status\": \"same\"|\"changed\"|\"left_only\"|\n"
	  "            \"right_only\", \"left\", \"right\"}]}\n" },
	{ "schema", kvt_cmd_schema,
	  KVT_OPT_JSON | KVT_OPT_VERSION | KVT_OPT_KEYFILE, 0, INT_MAX,
	  "list, show, add and check the schemas of records",
	  "schema STORE list [--json]\n"
	  "       kvtool schema STORE show NAME [--version N] [--json]\n"
	  "       kvtool schema STORE add FILE\n"
	  "       kvtool schema STORE check [NAME] [--json]",
	  "Manage the schemas that govern the records under a key prefix.\n"
	  "\n"
	  "  list          print NAME<TAB>VERSION<TAB>PREFIX for the current\n"
	  "                version of every schema, in name order\n"
	  "  show NAME     print the document of schema NAME, indented\n"
	  "  add FILE      define a schema, or evolve it to a higher version,\n"
	  "                from the JSON document in FILE ('-' for stdin);\n"
	  "                creates the store if it does not exist\n"
	  "  check [NAME]  validate every record governed by schema NAME\n"
	  "                (by every schema without NAME) and print\n"
	  "                'KEY: MESSAGE' for each one that fails; exit 6\n"
	  "                when any fails\n"
	  "\n"
	  "  --version N   show: version N instead of the current one\n"
	  "  --json        list: a JSON array of {\"name\", \"version\",\n"
	  "                \"prefix\"}; show: the document on one line;\n"
	  "                check: a JSON array of {\"schema\", \"key\",\n"
	  "                \"message\"}\n"
	  "\n"
	  "A schema document looks like {\"name\": \"run\", \"version\": 1,\n"
	  "\"prefix\": \"runs/\", \"fields\": {\"lr\": {\"type\": \"float\",\n"
	  "\"required\": true, \"readonly\": true}}}; see kvtool(1).  A\n"
	  "document libkv refuses (malformed, or an evolution that changes a\n"
	  "type, drops a field or moves the prefix) exits with 7; a version\n"
	  "that is defined already exits with 5.\n" },
	{ "record", kvt_cmd_record, KVT_OPT_JSON | KVT_OPT_KEYFILE, 0, INT_MAX,
	  "get, set and delete fields of JSON records",
	  "record STORE get KEY [FIELD] [--json]\n"
	  "       kvtool record STORE set KEY FIELD=VALUE...\n"
	  "       kvtool record STORE del KEY FIELD...",
	  "Read and change records: JSON objects stored as values, checked by\n"
	  "the schema that governs their key (see kvtool schema).\n"
	  "\n"
	  "  get KEY [FIELD]   print the record at KEY, or one of its fields,\n"
	  "                    as compact JSON (--json is accepted and changes\n"
	  "                    nothing: the output is JSON already)\n"
	  "  set KEY FIELD=VALUE...\n"
	  "                    set the fields in one atomic update; creates the\n"
	  "                    record (and the store) when it does not exist\n"
	  "  del KEY FIELD...  remove the fields in one atomic update\n"
	  "\n"
	  "VALUE is JSON: 0.1, 64, true, null, \"text\", [1, 2], {...}.  A VALUE\n"
	  "that is not valid JSON is stored as a JSON string: optimizer=adam\n"
	  "sets the string \"adam\"; to store a string that looks like JSON,\n"
	  "quote it: tag='\"true\"'.  KEY takes the escapes below; FIELD and\n"
	  "VALUE are taken as they are.  A write the schema refuses (a wrong\n"
	  "type, a missing required field, a changed write-once field, a\n"
	  "deprecated field under KV_WARNINGS=error) changes nothing and exits\n"
	  "with 7.\n" },
	{ "verify", kvt_cmd_verify, KVT_OPT_JSON | KVT_OPT_KEYFILE, 0, 0,
	  "check every record's seal and the store's digest",
	  "verify [--json] STORE",
	  "Check every record against its seal and the store against its\n"
	  "digest, in one snapshot, and print one line per problem:\n"
	  "\n"
	  "  corrupt: KEY: MESSAGE   the record does not match its seal\n"
	  "  unsealed: KEY           the record has no seal: another program\n"
	  "                          (Python's dbm.sqlite3) wrote it; see seal\n"
	  "  digest: MESSAGE         records were lost or added behind\n"
	  "                          libkv's back\n"
	  "  unchecked: MESSAGE      a keyed store opened without its key:\n"
	  "                          the seals could not be checked\n"
	  "\n"
	  "then 'N records: C corrupt, U unsealed, digest ok' (or 'digest\n"
	  "MISMATCH').  Exits with 0 when there is no problem at all, with 8\n"
	  "when there is any.  A progress bar is drawn on stderr when it is a\n"
	  "terminal.\n"
	  "\n"
	  "  --json    print one object {\"records\", \"corrupt\", \"unsealed\",\n"
	  "            \"digest_ok\", \"checked\", \"problems\": [{\"kind\",\n"
	  "            \"key\", \"message\"}, ...]}; store-wide problems have\n"
	  "            no \"key\"\n" },
	{ "seal", kvt_cmd_seal, KVT_OPT_KEYFILE, 0, 0,
	  "adopt unsealed records and recompute the digest",
	  "seal STORE",
	  "Adopt the store as it is, in one transaction: seal every record\n"
	  "that has no seal (written by another program), printing\n"
	  "'sealed: KEY' for each, and recompute the digest.  Records that\n"
	  "fail their seal are left as they are and printed as\n"
	  "'corrupt: KEY: MESSAGE'; then exit with 8.  Ends with 'adopted N\n"
	  "records; digest recomputed'.  A keyed store needs its key (exit 9\n"
	  "without it).\n" },
	{ "keygen", kvt_cmd_keygen, KVT_OPT_NOSTORE, 0, 0,
	  "write a new secret key file",
	  "keygen FILE",
	  "Write a new secret key (32 random bytes as 64 hex digits) to FILE,\n"
	  "with mode 600.  An existing FILE is left alone (exit 5).  A store\n"
	  "created with --keyfile FILE (or KV_KEYFILE=FILE) is keyed: its\n"
	  "seals are MACs that nobody without the key can forge, and it can\n"
	  "be read but neither written nor checked without the key.  Keep a\n"
	  "copy of FILE.\n" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char escapes_help[] =
	"KEY, VALUE and PREFIX may contain the escapes \\xHH, \\\\, \\n, \\t and\n"
	"\\0.  Output escapes every byte that is not printable ASCII the same\n"
	"way, so printed keys can be pasted back.  In JSON, text that is not\n"
	"valid UTF-8 is given base64-encoded as \"key_base64\"/\"value_base64\".\n";

static const char exits_help[] =
	"Exit status: 0 success, 1 key, record, field or schema not found,\n"
	"2 usage error, 3 store damaged (a record fails its seal, reading\n"
	"it crashed kvtool) or not a store, 4 other failure, 5 key exists\n"
	"(put --no-overwrite), store not empty (load), destination exists\n"
	"(convert), schema version exists (schema add) or key file exists\n"
	"(keygen), 6 schema check found records that fail their schema,\n"
	"7 refused by schema (wrong type, missing required field, changed\n"
	"write-once field, deprecated field under KV_WARNINGS=error),\n"
	"8 integrity problems found (verify, seal, the source of convert),\n"
	"9 key problem (key file missing, readable by others or not the\n"
	"store's key; a write to a keyed store without its key), 10\n"
	"malformed dump (load).\n";

static const char env_help[] =
	"Environment: KV_WARNINGS=ignore|once|always|error says what happens\n"
	"to libkv's warnings (a write of a deprecated field, a keyed store\n"
	"opened without its key): dropped, printed on stderr the first time\n"
	"(the default), printed every time, or turned into a refusal (exit 7;\n"
	"exit 9 for the keyed store).  KV_KEYFILE=FILE names the secret key\n"
	"file when --keyfile is not given.  KVTOOL_PROGRESS=never turns the\n"
	"progress bar of long work off, =always draws it at once (on a\n"
	"terminal only, either way).\n";

static const char keyfile_help[] =
	"Every command that opens a store takes:\n"
	"\n"
	"  --keyfile FILE  the store's secret key file (kvtool keygen makes\n"
	"                  one), instead of $KV_KEYFILE; also before CMD\n";

static const struct kvt_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_help(FILE *f)
{
	size_t i;

	fputs("usage: kvtool CMD STORE [ARGS...]\n"
	      "       kvtool --keyfile FILE CMD STORE [ARGS...]\n"
	      "       kvtool CMD --help | kvtool --help | kvtool --version\n"
	      "\n"
	      "Inspect and edit a libkv store.  STORE is a path, lmdb:PATH,\n"
	      "sqlite:PATH or postgresql://HOST[:PORT]/DB?table=NAME.\n"
	      "\nCommands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n%s\n%s\n%s\n%s\nSee kvtool CMD --help and "
	        "kvtool(1).\n", keyfile_help, escapes_help, exits_help,
	        env_help);
}

static void print_command_help(FILE *f, const struct kvt_cmd *cmd)
{
	fprintf(f, "usage: kvtool %s\n\n%s\n", cmd->usage, cmd->help);
	if (cmd->opts & KVT_OPT_KEYFILE)
		fprintf(f, "%s\n", keyfile_help);
	fprintf(f, "%s\n%s\n%s", escapes_help, exits_help, env_help);
}

void kvt_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kvtool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
}

int kvt_usage(const struct kvt_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("kvtool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\ntry 'kvtool %s --help'\n", cmd->name);
	else
		fputs("\ntry 'kvtool --help'\n", stderr);
	return KVT_EXIT_USAGE;
}

int kvt_exit_code(kv_status st)
{
	switch (st) {
	case KV_OK:
		return KVT_EXIT_OK;
	case KV_NOTFOUND:
		return KVT_EXIT_NOTFOUND;
	case KV_EXISTS:
		return KVT_EXIT_EXISTS;
	case KV_ECORRUPT:
	case KV_EFORMAT:
		return KVT_EXIT_CORRUPT;
	case KV_ESCHEMA:
	case KV_EREADONLY:
	case KV_EDEPRECATED:
		return KVT_EXIT_REFUSED;
	case KV_EKEY:
		return KVT_EXIT_KEY;
	default:
		return KVT_EXIT_FAIL;
	}
}

int kvt_fail(kv_db *db, kv_status st)
{
	const char *msg = db ? kv_db_errmsg(db) : kv_errmsg();

	if (!msg || !*msg || strcmp(msg, "no error") == 0)
		msg = kv_strerror(st);
	kvt_error("%s", msg);
	return kvt_exit_code(st);
}

int kvt_open(kv_db **out, const struct kvt_args *a, unsigned int flags)
{
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	kv_status st;

	o.flags = flags;
	o.keyfile = a->keyfile;
	if ((st = kv_db_open(out, a->store, &o)) == KV_OK)
		return KVT_EXIT_OK;
	return kvt_fail(NULL, st);
}

int kvt_close(kv_db *db, int rc)
{
	kv_status st = kv_db_close(db);

	if (st != KV_OK && rc == KVT_EXIT_OK)
		return kvt_fail(NULL, st);
	return rc;
}

/* Parse a --limit value: a decimal count. */
static int parse_limit(struct kvt_args *a, const char *s)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	a->limit = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	a->has_limit = 1;
	return 0;
}

/* Parse a --version value: a schema version, 1 or more. */
static int parse_version(struct kvt_args *a, const char *s)
{
	unsigned long v;
	char *end;

	if (*s < '1' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT_MAX)
		return -1;
	a->version = (unsigned int)v;
	a->has_version = 1;
	return 0;
}

/* Take an option's value from "--opt=VALUE" or from the next argument;
 * returns NULL when it is missing. */
static const char *option_value(const char *arg, size_t namelen, int *i,
                                int argc, char **argv)
{
	if (arg[namelen] == '=')
		return arg + namelen + 1;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* Does arg name option "name", alone or as "name=VALUE"? */
static int is_option(const char *arg, const char *name, int takes_value)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 &&
	       (arg[n] == 0 || (takes_value && arg[n] == '='));
}

/* The options after CMD.  value: 0 none, 1 "--opt VALUE" or
 * "--opt=VALUE", 2 "-f VALUE" only. */
static const struct option {
	const char *name;
	unsigned int bit;
	int value;
} options[] = {
	{ "--json", KVT_OPT_JSON, 0 },
	{ "--raw", KVT_OPT_RAW, 0 },
	{ "--keys-only", KVT_OPT_KEYSONLY, 0 },
	{ "--no-overwrite", KVT_OPT_NOOVERWRITE, 0 },
	{ "--salvage", KVT_OPT_SALVAGE, 0 },
	{ "--limit", KVT_OPT_LIMIT, 1 },
	{ "--version", KVT_OPT_VERSION, 1 },
	{ "--file", KVT_OPT_FILE, 1 },
	{ "-f", KVT_OPT_FILE, 2 },
	{ "--keyfile", KVT_OPT_KEYFILE, 1 },
	{ "--format", KVT_OPT_FORMAT, 1 },
	{ "--overwrite", KVT_OPT_OVERWRITE, 0 },
	{ "--force", KVT_OPT_FORCE, 0 },
	{ "--adopt", KVT_OPT_ADOPT, 0 },
	{ "--dst-keyfile", KVT_OPT_DSTKEYFILE, 1 },
};

/* The option arg names, or NULL. */
static const struct option *find_option(const char *arg)
{
	size_t i;

	for (i = 0; i < sizeof options / sizeof *options; i++)
		if (is_option(arg, options[i].name, options[i].value == 1))
			return &options[i];
	return NULL;
}

/* Store an option's value in a; returns an exit code. */
static int set_value(struct kvt_args *a, unsigned int bit, const char *val)
{
	if (bit == KVT_OPT_FILE) {
		a->file = val;
	} else if (bit == KVT_OPT_FORMAT) {
		a->format = val;
	} else if (bit == KVT_OPT_DSTKEYFILE) {
		a->dst_keyfile = val; /* "" is allowed: no key */
	} else if (bit == KVT_OPT_KEYFILE) {
		if (!*val)
			return kvt_usage(a->cmd, "--keyfile needs a file name");
		a->keyfile = val;
	} else if (bit == KVT_OPT_VERSION && parse_version(a, val) != 0) {
		return kvt_usage(a->cmd, "--version needs a version number (1 "
		                 "or more), not '%s'", val);
	} else if (bit == KVT_OPT_LIMIT && parse_limit(a, val) != 0) {
		return kvt_usage(a->cmd, "--limit needs a count, not '%s'",
		                 val);
	}
	return KVT_EXIT_OK;
}

/* Apply one option argument (argv[*i]) to a; returns an exit code. */
static int parse_option(struct kvt_args *a, int *i, int argc, char **argv)
{
	const struct kvt_cmd *cmd = a->cmd;
	const char *arg = argv[*i], *val;
	const struct option *o;

	if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
		a->help = 1;
		return KVT_EXIT_OK;
	}
	if (!(o = find_option(arg)))
		return kvt_usage(cmd, "unknown option '%s'", arg);
	if (!(cmd->opts & o->bit))
		return kvt_usage(cmd, "%s does not take %s", cmd->name, arg);
	a->json |= o->bit == KVT_OPT_JSON;
	a->raw |= o->bit == KVT_OPT_RAW;
	a->keys_only |= o->bit == KVT_OPT_KEYSONLY;
	a->no_overwrite |= o->bit == KVT_OPT_NOOVERWRITE;
	a->salvage |= o->bit == KVT_OPT_SALVAGE;
	a->overwrite |= o->bit == KVT_OPT_OVERWRITE;
	a->force |= o->bit == KVT_OPT_FORCE;
	a->adopt |= o->bit == KVT_OPT_ADOPT;
	if (!o->value)
		return KVT_EXIT_OK;
	if (!(val = option_value(arg, strlen(o->name), i, argc, argv)))
		return kvt_usage(cmd, "%s needs a value", arg);
	return set_value(a, o->bit, val);
}

/* Check the parsed arguments against the command's needs. */
static int check_args(const struct kvt_args *a)
{
	const struct kvt_cmd *cmd = a->cmd;

	if (!a->store)
		return kvt_usage(cmd, "%s: missing %s", cmd->name,
		                 (cmd->opts & KVT_OPT_NOSTORE) ? "FILE"
		                                               : "STORE");
	if (a->npos < cmd->min_args)
		return kvt_usage(cmd, "%s: missing argument", cmd->name);
	if (a->npos > cmd->max_args)
		return kvt_usage(cmd, "%s: unexpected argument '%s'", cmd->name,
		                 a->pos[cmd->max_args]);
	if (a->raw && a->json)
		return kvt_usage(cmd, "--raw and --json exclude each other");
	return KVT_EXIT_OK;
}

/* Split argv (after CMD) into options, STORE and the other arguments.
 * The positional ones are gathered at the front of argv, in order. */
static int parse_args(struct kvt_args *a, int argc, char **argv)
{
	int i, rc, nopos = 0, only_pos = 0;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (!only_pos && !strcmp(arg, "--")) {
			only_pos = 1;
		} else if (!only_pos && arg[0] == '-' && arg[1]) {
			if ((rc = parse_option(a, &i, argc, argv)) != 0)
				return rc;
		} else {
			argv[nopos++] = argv[i];
		}
	}
	if (a->help)
		return KVT_EXIT_OK;
	if (nopos > 0) {
		a->store = argv[0];
		a->pos = argv + 1;
		a->npos = nopos - 1;
	}
	return check_args(a);
}

/* Flush stdout and turn a write error (full disk, closed pipe) into a
 * failure rather than a silent truncation. */
static int finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		kvt_error("write error: %s", strerror(errno));
		if (rc == KVT_EXIT_OK)
			rc = KVT_EXIT_FAIL;
	}
	return rc;
}

/* The commands that are not about a store: --help, --version, help.
 * argv[0] is the command word. */
static int run_global(int argc, char **argv)
{
	const char *arg = argv[0];
	const struct kvt_cmd *cmd;

	if (!strcmp(arg, "--version")) {
		printf("kvtool (libkv) %s\n", KV_VERSION_STRING);
		return finish(KVT_EXIT_OK);
	}
	if (!strcmp(arg, "help") && argc > 1) {
		if (!(cmd = find_command(argv[1])))
			return kvt_usage(NULL, "unknown command '%s'", argv[1]);
		print_command_help(stdout, cmd);
		return finish(KVT_EXIT_OK);
	}
	print_help(stdout);
	return finish(KVT_EXIT_OK);
}

/* Take the options before CMD (only --keyfile FILE) into a; *first gets
 * the index of CMD.  Returns an exit code. */
static int parse_global(struct kvt_args *a, int *first, int argc,
                        char **argv)
{
	static const char name[] = "--keyfile";
	const char *val;
	int i;

	for (i = 1; i < argc && is_option(argv[i], name, 1); i++) {
		val = option_value(argv[i], sizeof name - 1, &i, argc, argv);
		if (!val || !*val)
			return kvt_usage(NULL, "--keyfile needs a file name");
		a->keyfile = val;
	}
	*first = i;
	return KVT_EXIT_OK;
}

/* Is arg a command word that needs no store (help, --version)? */
static int is_global(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h") ||
	       !strcmp(arg, "--version") || !strcmp(arg, "help");
}

int main(int argc, char **argv)
{
	struct kvt_args a;
	int rc, i = 1;

	if ((rc = kvt_guard(argc, argv)) >= 0)
		return rc;
	memset(&a, 0, sizeof a);
	if ((rc = parse_global(&a, &i, argc, argv)) != 0)
		return rc;
	if (i >= argc)
		return kvt_usage(NULL, "missing command");
	if (is_global(argv[i]))
		return run_global(argc - i, argv + i);
	if (!(a.cmd = find_command(argv[i])))
		return kvt_usage(NULL, "unknown command '%s'", argv[i]);
	if (a.keyfile && !(a.cmd->opts & KVT_OPT_KEYFILE))
		return kvt_usage(a.cmd, "%s does not take --keyfile",
		                 a.cmd->name);
	if ((rc = parse_args(&a, argc - i - 1, argv + i + 1)) != 0)
		return rc;
	if (a.help) {
		print_command_help(stdout, a.cmd);
		return finish(KVT_EXIT_OK);
	}
	return finish(a.cmd->run(&a));
}
