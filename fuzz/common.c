/*
 * fuzz/common.c - scratch folders, failure reports and the byte reader the
 * harnesses share (see fuzz.h).
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define FZ_PATH_MAX 512

static char dir[FZ_PATH_MAX];
static unsigned long warnings_seen;

static int remove_one(const char *path, const struct stat *sb, int type,
                      struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

/* Runs at exit: a campaign of millions of inputs must not leave files. */
static void remove_dir(void)
{
	if (dir[0] != '\0')
		nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

const char *fz_dir(void)
{
	const char *base;

	if (dir[0] != '\0')
		return dir;
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(dir, sizeof dir, "%s/kvfuzz.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		fz_fail("cannot make a scratch folder under %s: %s", base,
		        strerror(errno));
	atexit(remove_dir);
	return dir;
}

const char *fz_path(int slot, const char *name)
{
	static char buf[4][FZ_PATH_MAX];

	const char *d = fz_dir();
	size_t dl = strlen(d), nl = strlen(name);

	if (dl + 1 + nl >= FZ_PATH_MAX)
		fz_fail("scratch path too long: %s/%s", d, name);
	memcpy(buf[slot & 3], d, dl);
	buf[slot & 3][dl] = '/';
	memcpy(buf[slot & 3] + dl + 1, name, nl + 1);
	return buf[slot & 3];
}

void fz_remove_store(const char *path)
{
	static const char *const extra[] = { "", "-lock", "-wal", "-shm",
	                                     "-journal" };
	char buf[FZ_PATH_MAX + 16];
	size_t i;

	for (i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		snprintf(buf, sizeof buf, "%s%s", path, extra[i]);
		unlink(buf);
	}
}

void fz_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int short_write;

	if (f == NULL)
		fz_fail("cannot write %s: %s", path, strerror(errno));
	short_write = len > 0 && fwrite(data, 1, len, f) != len;
	if (fclose(f) != 0 || short_write)
		fz_fail("cannot write %s", path);
}

static void count_warning(kv_warning_kind kind, const char *message,
                          void *payload)
{
	(void)kind;
	(void)payload;
	if (message == NULL || message[0] == '\0')
		fz_fail("warning of kind %d with an empty message", (int)kind);
	warnings_seen++;
}

void fz_setup(kv_warnings_mode mode)
{
	if (kv_warnings_mode_set(mode) != KV_OK)
		fz_fail("kv_warnings_mode_set(%d) refused", (int)mode);
	kv_warnings_handler_set(count_warning, NULL);
}

const char *fz_hex(const void *p, size_t len, int slot)
{
	static char buf[2][72];
	const unsigned char *b = p;
	size_t i;

	buf[slot & 1][0] = '\0';
	for (i = 0; i < len && i < 32; i++)
		snprintf(buf[slot & 1] + 2 * i, 3, "%02x", b[i]);
	return len ? buf[slot & 1] : "(empty)";
}

void fz_trace(const char *fmt, ...)
{
	static int on = -1;
	va_list ap;

	if (on < 0)
		on = getenv("FZ_TRACE") != NULL;
	if (!on)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	remove_dir(); /* abort() skips the atexit handler */
	abort();
}

void fz_expect(kv_status st, const char *what, int n, ...)
{
	va_list ap;
	int i, ok = st == KV_OK;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		if ((kv_status)va_arg(ap, int) == st)
			ok = 1;
	va_end(ap);
	if (!ok)
		fz_fail("%s: unexpected %s (%s)", what, kv_strerror(st),
		        kv_errmsg());
}

unsigned fz_byte(fz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

int fz_empty(const fz_in *in)
{
	return in->left == 0;
}
