/*
 * cli/guard.c - run kvtool's command in a child process, so that a damaged
 * store that crashes its reader is reported, not fatal.
 *
 * LMDB maps its data file and trusts the page numbers and offsets in it.
 * libkv checks the meta pages when it opens a store (backends/lmdb_meta.c),
 * but damage deeper in the file -- a flipped byte in a branch or leaf page
 * -- can still send LMDB outside its map (SIGSEGV, SIGBUS) or into one of
 * its assertions (SIGABRT).  Checking every page on every open would cost
 * a read of the whole file, so kvtool, the program people point at
 * untrusted or suspect stores, runs each command in a forked child: a
 * child killed by such a signal is reported as "store is damaged" with
 * exit code 3 (KVT_EXIT_CORRUPT), like every other kind of damage.
 *
 * Every other outcome passes through unchanged: the child's exit code,
 * and a child killed by any other signal (SIGPIPE from `kvtool ls | head`,
 * SIGINT) makes the parent die of the same signal.  SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT sent to the parent alone are passed to the child.
 * The child has the parent's standard streams, so output is unchanged.
 * A program embedding libkv decides for itself; README.md, "Damaged
 * files", says what libkv does and does not check.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "kvtool.h"

static volatile sig_atomic_t child;

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void forward(int sig)
{
	if (child > 0)
		kill((pid_t)child, sig);
}

static void forward_signals(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &sa, NULL);
}

/* The signals a reader dies of when the bytes it follows are damaged. */
static int is_crash(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT ||
	       sig == SIGILL || sig == SIGFPE || sig == SIGSYS;
}

/* The STORE argument, for the message: the one after the command, past
 * the options kvtool takes before it; NULL when there is none. */
static const char *store_arg(int argc, char **argv)
{
	int i = 1;

	while (i < argc && strncmp(argv[i], "--", 2) == 0)
		i += strcmp(argv[i], "--keyfile") == 0 ? 2 : 1;
	return i + 1 < argc && argv[i + 1][0] != '-' ? argv[i + 1] : NULL;
}

/* Die of sig as the child did, so callers see the same status. */
static int die_of(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	raise(sig);
	return 128 + sig; /* a signal that does not kill by default */
}

int kvt_guard(int argc, char **argv)
{
	const char *env = getenv("KVTOOL_GUARD"), *store;
	pid_t pid;
	int status;

	if (env != NULL && strcmp(env, "0") == 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid <= 0)
		return -1; /* the child, or no child: run the command here */
	child = pid;
	forward_signals();
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return KVT_EXIT_FAIL;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (!WIFSIGNALED(status))
		return KVT_EXIT_FAIL;
	if (!is_crash(WTERMSIG(status)))
		return die_of(WTERMSIG(status));
	store = store_arg(argc, argv);
	fprintf(stderr, "kvtool: %s%sstore is damaged: reading it crashed "
	        "kvtool (%s)\n", store ? store : "", store ? ": " : "",
	        strsignal(WTERMSIG(status)));
	return KVT_EXIT_CORRUPT;
}
