/*
 * cli/progress.c - the progress bar of kvtool's long commands (verify,
 * stat, load, convert, export).
 *
 * The bar goes to stderr, and only when stderr is a terminal: a log file
 * or a pipe never sees it.  It appears only once the work has taken
 * KVT_PROGRESS_DELAY_MS, so a quick command leaves no trace, and it is
 * wiped before anything else is printed to the terminal and at the end.
 * KVTOOL_PROGRESS=never turns it off; KVTOOL_PROGRESS=always draws it
 * without the delay (on a terminal still).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvtool.h"

#define BAR_WIDTH 30
#define KVT_PROGRESS_DELAY_MS 500

/* Milliseconds on the monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kvt_progress_init(struct kvt_progress *p, const char *label, int quiet)
{
	const char *env = getenv("KVTOOL_PROGRESS");

	memset(p, 0, sizeof *p);
	p->label = label;
	p->on = !quiet && isatty(STDERR_FILENO) &&
	        !(env && !strcmp(env, "never"));
	p->start_ms = now_ms();
	if (env && !strcmp(env, "always"))
		p->start_ms -= KVT_PROGRESS_DELAY_MS;
}

void kvt_progress_clear(struct kvt_progress *p)
{
	if (p->len <= 0)
		return;
	fprintf(stderr, "\r%*s\r", p->len, "");
	fflush(stderr);
	p->len = 0;
}

/* Draw "LABEL [=====>    ]  45% DONE/TOTAL" over the previous bar. */
static void draw(struct kvt_progress *p, kv_u64 done, kv_u64 total)
{
	char bar[BAR_WIDTH + 1], line[160];
	unsigned long long pct;
	int fill, len;

	if (total < done) /* the total was counted before the work */
		total = done;
	pct = total ? done * 100 / total : 100;
	fill = (int)(pct * BAR_WIDTH / 100);
	memset(bar, ' ', BAR_WIDTH);
	memset(bar, '=', (size_t)fill);
	if (fill > 0 && fill < BAR_WIDTH)
		bar[fill - 1] = '>';
	bar[BAR_WIDTH] = '\0';
	len = snprintf(line, sizeof line, "%s [%s] %3llu%% %llu/%llu",
	               p->label, bar, pct, done, total);
	if (len < 0)
		return;
	fprintf(stderr, "\r%-*s", len > p->len ? len : p->len, line);
	fflush(stderr);
	if (len > p->len)
		p->len = len;
}

int kvt_progress_update(kv_u64 done, kv_u64 total, void *payload)
{
	struct kvt_progress *p = payload;
	long long t;

	if (!p->on)
		return 0;
	t = now_ms();
	/* Quick work draws nothing; long work redraws ten times a second. */
	if (t - p->start_ms < KVT_PROGRESS_DELAY_MS ||
	    (p->len > 0 && t - p->drawn_ms < 100 && done < total))
		return 0;
	p->drawn_ms = t;
	draw(p, done, total);
	return 0;
}
