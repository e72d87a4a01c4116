/*
 * Shared by the libFuzzer harnesses. Each harness defines LLVMFuzzerTestOneInput; with -Dfuzz
 * libFuzzer drives it, otherwise replay.c runs it over the seed corpus and the inputs that once
 * found a bug, so every normal unit-test run repeats them.
 */
#ifndef CC_FUZZ_H
#define CC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness's own checks: not assert(), which NDEBUG would remove. */
#define FUZZ_CHECK(cond) fuzz_check((cond), #cond, __FILE__, __LINE__)
void fuzz_check(int ok, const char *what, const char *file, int line);

/* The input as a NUL-terminated string (cut at its first NUL); free() it. */
char *fuzz_text(const uint8_t *data, size_t size);

/* Text that may end up in a JSON reply: must be valid UTF-8 that jansson accepts. */
void fuzz_check_reply_text(const char *text);

#endif
