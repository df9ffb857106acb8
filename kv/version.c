/*
 * kv/version.c - the version of the library a program runs with, which
 * may differ from the headers it was compiled against (KV_VERSION_NUMBER).
 */
#include "kv.h"

unsigned long kv_version(void)
{
	return KV_VERSION_NUMBER;
}

const char *kv_version_string(void)
{
	return KV_VERSION_STRING;
}
