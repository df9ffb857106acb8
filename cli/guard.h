/*
 * cli/guard.h - kvtool's crash guard (cli/guard.c).
 */
#ifndef KVT_GUARD_H
#define KVT_GUARD_H

/* Fork: in the child return -1, and the caller runs the command there;
 * in the parent wait for the child and return the exit code to exit
 * with (KVT_EXIT_CORRUPT when the child crashed).  Also -1, unguarded,
 * when $KVTOOL_GUARD is "0" or fork fails. */
int kvt_guard(int argc, char **argv);

#endif /* KVT_GUARD_H */
