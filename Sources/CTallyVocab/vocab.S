// Embeds the vocabulary files written by Scripts/convert-vocab into the object file.
// The .incbin paths are found through the target's include path (-I .../CTallyVocab/include),
// hence the "../" prefix.
#if defined(__APPLE__)
#define SYMBOL(name) _##name
    .section __TEXT,__const
#else
#define SYMBOL(name) name
    .section .rodata
#endif

#define EMBED(name, file)              \
    .globl SYMBOL(name##_start);       \
    .globl SYMBOL(name##_end);         \
    .balign 16;                        \
SYMBOL(name##_start):                  \
    .incbin file;                      \
SYMBOL(name##_end):                    \
    .byte 0

EMBED(tally_vocab_cl100k_base, "../cl100k_base.tallyvocab")
EMBED(tally_vocab_o200k_base, "../o200k_base.tallyvocab")

#if defined(__ELF__)
    .section .note.GNU-stack,"",%progbits
#endif
