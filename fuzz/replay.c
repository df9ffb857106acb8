/*
 * fuzz/replay.c - the standalone driver: feeds every file of a corpus to a
 * harness's LLVMFuzzerTestOneInput, with any compiler, so that `make
 * check` replays the committed corpora (every crash ever found included)
 * on every build.  Arguments are files or folders; without any, the
 * corpus folder compiled in as FZ_CORPUS.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Read a whole file into an owned buffer (never NULL on success, so an
 * empty file is an input of 0 bytes). */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n == cap) {
			unsigned char *bigger = realloc(buf, cap = cap * 2 + 4096);
			if (bigger == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = bigger;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*len = n;
	return buf;
}

static int replay_file(const char *path)
{
	size_t len = 0;
	unsigned char *data = slurp(path, &len);

	if (data == NULL) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay the regular files of a folder in name order, so a run is
 * repeatable; returns how many, or -1. */
static int replay_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL, full[4096];
	size_t n = 0, cap = 0, i;
	int count = 0;

	if (d == NULL) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **bigger = realloc(names, (cap = cap * 2 + 64) *
			                                sizeof *names);
			if (bigger == NULL)
				break;
			names = bigger;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (i = 0; i < n; i++) {
		struct stat sb;
		snprintf(full, sizeof full, "%s/%s", path, names[i]);
		if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode) && count >= 0)
			count = replay_file(full) < 0 ? -1 : count + 1;
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	static char *dflt[] = { NULL, FZ_CORPUS };
	int i, n, total = 0;
	struct stat sb;

	if (argc < 2) {
		argc = 2;
		argv = dflt;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			        strerror(errno));
			return 1;
		}
		n = S_ISDIR(sb.st_mode) ? replay_dir(argv[i])
		                        : replay_file(argv[i]);
		if (n < 0)
			return 1;
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	printf("replay: %d inputs, no failure\n", total);
	return 0;
}
