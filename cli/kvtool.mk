# kvtool's whole-store commands (dump, load, convert), export and diff,
# and the progress bar they share.  Included from Makefile.am.
cli_kvtool_SOURCES += cli/dump.h cli/dump.c cli/transfer.c cli/export.c \
	cli/diff.c cli/progress.c
dist_check_SCRIPTS += tests/kvtool_dump.test
