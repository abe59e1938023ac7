/* fuzz_obo.c: libFuzzer target for the ontology parsers (OBO, CodeSystem, CSV by content), the index,
 * search, and a tagger built from whatever parsed, run over a fixed note; also the BRAT reader. */
#include "text/text.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_err err;
	struct text_ontology *o = text_ontology_new();
	if (text_ontology_parse_mem((const char *)data, size, TEXT_ONTO_AUTO, o, &err) == 0 &&
	    text_ontology_index(o, &err) == 0) {
		struct text_hit h[8];
		static const char *const qs[] = {"a", "seizure", "sezure", "HP:0001250", "肺炎", "x y z"};
		for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
			(void)text_ontology_search(o, qs[i], h, 8, &err);
		struct text_tagger *tg;
		if (text_tagger_new(o, NULL, &tg, &err) == 0) {
			static const char note[] = "No seizure. Mother had breast cancer? 患者否认发热。المريض ينفي الحمى";
			struct text_doc d;
			text_doc_init(&d);
			if (text_tagger_run(tg, note, sizeof note - 1, &d, &err) == 0) {
				struct ml_buf b;
				ml_buf_init(&b, 0);
				(void)text_doc_to_body(&d, note, sizeof note - 1, &b);
				ml_buf_release(&b);
			}
			text_doc_release(&d);
			text_tagger_free(tg);
		}
		for (int c = 0; c < o->n && c < 4; c++) {
			struct ml_buf b;
			ml_buf_init(&b, 0);
			(void)text_ontology_concept_json(o, c, &b);
			ml_buf_release(&b);
		}
	}
	text_ontology_free(o);
	struct text_doc d;
	text_doc_init(&d);
	(void)text_brat_read((const char *)data, size, &d, &err);
	text_doc_release(&d);
	return 0;
}
