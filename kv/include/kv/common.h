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

#endif /* KV_COMMON_H */
