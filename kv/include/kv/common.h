/*
 * kv/common.h - export and attribute macros shared by libkv's headers.
 */
#ifndef KV_COMMON_H
#define KV_COMMON_H

/* Only declarations marked KV_EXTERN are exported from the shared library;
 * everything else is built with hidden visibility. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define KV_EXTERN __attribute__((visibility("default")))
#else
#define KV_EXTERN
#endif

/* A 64-bit unsigned integer that public headers can use and still compile
 * as C89 with -pedantic (GCC and Clang accept long long as an extension). */
#if defined(__GNUC__)
__extension__ typedef unsigned long long kv_u64;
#else
typedef unsigned long long kv_u64;
#endif

/* A version as one comparable number, 0x00MMmmpp: KV_MAKE_VERSION(0, 2, 0).
 * KV_VERSION_NUMBER (kv/version.h) and kv_version() use the same packing. */
#define KV_MAKE_VERSION(major, minor, patch) \
	(((major) << 16) | ((minor) << 8) | (patch))

/* KV_DEPRECATED_SINCE(major, minor, "replacement") tags a declaration that
 * version major.minor deprecated: a call compiles with a warning naming the
 * replacement (an error under -Werror).  The function keeps working until
 * the major version that NEWS names; at run time its first call also
 * reports through the warning channel (kv/warnings.h). */
#if defined(__clang__) || (defined(__GNUC__) && \
                           (__GNUC__ > 4 || (__GNUC__ == 4 && __GNUC_MINOR__ >= 5)))
#define KV_DEPRECATED_SINCE(major, minor, replacement) \
	__attribute__((deprecated("since libkv " #major "." #minor \
	                          ": use " replacement)))
#elif defined(__GNUC__)
#define KV_DEPRECATED_SINCE(major, minor, replacement) \
	__attribute__((deprecated))
#else
#define KV_DEPRECATED_SINCE(major, minor, replacement)
#endif

/* The API level: define KV_API_LEVEL before including kv.h to the version
 * your code is written for, e.g. -DKV_API_LEVEL='KV_MAKE_VERSION(0,2,0)',
 * and every declaration deprecated at or before that version disappears,
 * so the compiler finds each remaining use.  Undefined: all are visible.
 * KV_API_HIDES(major, minor) is how the headers test it. */
#if defined(KV_API_LEVEL)
#define KV_API_HIDES(major, minor) \
	(KV_API_LEVEL >= KV_MAKE_VERSION(major, minor, 0))
#else
#define KV_API_HIDES(major, minor) 0
#endif

#endif /* KV_COMMON_H */
