#ifndef CTALLYVOCAB_H
#define CTALLYVOCAB_H

#include <stddef.h>
#include <stdint.h>

/// The vocabulary files written by Scripts/convert-vocab, embedded into the object file by
/// vocab.S (`.incbin`), so a binary copied alone still tokenizes. Each returns the file's first
/// byte and stores its size in `count`.
const uint8_t *tally_vocab_cl100k_base(size_t *count);
const uint8_t *tally_vocab_o200k_base(size_t *count);

/// SHA-256 of `count` bytes at `bytes` into `digest` (32 bytes): the system libcrypto (OpenSSL)
/// on Linux, CommonCrypto on Apple platforms.
void tally_sha256(const void *bytes, size_t count, uint8_t digest[32]);

#endif
