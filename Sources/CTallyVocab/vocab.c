#include "CTallyVocab.h"

extern const uint8_t tally_vocab_cl100k_base_start[];
extern const uint8_t tally_vocab_cl100k_base_end[];
extern const uint8_t tally_vocab_o200k_base_start[];
extern const uint8_t tally_vocab_o200k_base_end[];

const uint8_t *tally_vocab_cl100k_base(size_t *count) {
    *count = (size_t)(tally_vocab_cl100k_base_end - tally_vocab_cl100k_base_start);
    return tally_vocab_cl100k_base_start;
}

const uint8_t *tally_vocab_o200k_base(size_t *count) {
    *count = (size_t)(tally_vocab_o200k_base_end - tally_vocab_o200k_base_start);
    return tally_vocab_o200k_base_start;
}

#if defined(__APPLE__)
#include <CommonCrypto/CommonDigest.h>

void tally_sha256(const void *bytes, size_t count, uint8_t digest[32]) {
    CC_SHA256_CTX context;
    CC_SHA256_Init(&context);
    while (count > 0) {
        CC_LONG chunk = count > 0x40000000 ? 0x40000000 : (CC_LONG)count;
        CC_SHA256_Update(&context, bytes, chunk);
        bytes = (const uint8_t *)bytes + chunk;
        count -= chunk;
    }
    CC_SHA256_Final(digest, &context);
}
#else
#include <openssl/evp.h>

void tally_sha256(const void *bytes, size_t count, uint8_t digest[32]) {
    unsigned int length = 0;
    if (EVP_Digest(bytes, count, digest, &length, EVP_sha256(), NULL) != 1 || length != 32) {
        for (int i = 0; i < 32; i++) digest[i] = 0; // an all-zero digest never matches: load fails cleanly
    }
}
#endif
