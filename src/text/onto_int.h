/* onto_int.h: what ontology.c, search.c and onto_store.c share about an ontology's internals. */
#ifndef ML_TEXT_ONTO_INT_H
#define ML_TEXT_ONTO_INT_H

#include "text/text.h"

struct text_code_slot {
	uint64_t hash;
	const char *code;
	int concept; /* -1: empty slot */
};

/* Builds o->ix from the concepts' displays and synonyms (search.c). */
int text_onto_index_build(struct text_ontology *o, struct ml_err *err) ML_MUST_CHECK;
void text_onto_index_free(struct text_onto_index *ix);

#endif
