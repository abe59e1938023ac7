/* data.c: the dictionaries of src/deid/data/ (text files) compiled into the binary with .incbin. */
#include "deid/deid_int.h"

/* Each file becomes a NUL-terminated read-only array; the build runs from the checkout's root, so the
 * paths are relative to it (the Makefile lists the files as prerequisites of this object). */
#define DEID_INCBIN(sym, file)                                                                     \
	__asm__(".section .rodata\n"                                                               \
		".global " #sym "\n"                                                               \
		".type " #sym ", @object\n"                                                        \
		".balign 16\n" #sym ":\n"                                                          \
		".incbin \"" file "\"\n"                                                           \
		".byte 0\n"                                                                        \
		".previous\n")

DEID_INCBIN(deid_data_first, "src/deid/data/first_names.txt");
DEID_INCBIN(deid_data_last, "src/deid/data/last_names.txt");
DEID_INCBIN(deid_data_cities, "src/deid/data/cities.txt");
DEID_INCBIN(deid_data_states, "src/deid/data/states.txt");
DEID_INCBIN(deid_data_countries, "src/deid/data/countries.txt");
DEID_INCBIN(deid_data_professions, "src/deid/data/professions.txt");
DEID_INCBIN(deid_data_eponyms, "src/deid/data/eponyms.txt");
DEID_INCBIN(deid_data_clinical, "src/deid/data/clinical_words.txt");
DEID_INCBIN(deid_data_ambiguous, "src/deid/data/ambiguous.txt");
DEID_INCBIN(deid_data_english, "src/deid/data/english_words.txt");
