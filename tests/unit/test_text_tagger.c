/* test_text_tagger.c: tokenizer, dictionary matching (longest match, abbreviations, CJK, Arabic) and the
 * NegEx-style context attributes; annotation bodies in and out. */
#include "text/text.h"
#include "harness.h"

#include <stdlib.h>

static const char *DICT = "code,display,synonyms\n"
			  "F1,Fever,Pyrexia|发热|الحمى\n"
			  "P1,Pneumonia,Lung infection|肺炎\n"
			  "C1,Cancer,\n"
			  "B1,Breast cancer,乳腺癌\n"
			  "L1,Lung cancer,\n"
			  "N1,Non-small cell lung cancer,NSCLC\n"
			  "S1,Seizure,Seizures\n"
			  "H1,Hypertension,HTN\n"
			  "E1,Epilepsy,\n"
			  "K1,Cough,\n"
			  "X1,Sepsis,\n"
			  "A1,Acute lymphoblastic leukemia,ALL\n"
			  "D1,Diabetes mellitus,Diabetes|السكري\n"
			  "Z1,Single,A\n"
			  "Z2,Numbers,123\n"
			  "R1,Cough (Arabic),سعال\n";

static struct text_ontology *onto;
static struct text_tagger *tagger;

static void setup(void)
{
	if (tagger)
		return;
	struct ml_err err;
	onto = text_ontology_new();
	if (text_ontology_parse_mem(DICT, strlen(DICT), TEXT_ONTO_CSV, onto, &err) || text_ontology_index(onto, &err)) {
		printf("# %s\n", err.msg);
		abort();
	}
	onto->name = "DEMO";
	onto->version = "1";
	struct text_tagger_opts o = {.label = "Finding"};
	if (text_tagger_new(onto, &o, &tagger, &err)) {
		printf("# %s\n", err.msg);
		abort();
	}
}

/* Tags text and renders the spans as "CODE[start,end)flags" joined by spaces (flags: n u h f). */
static const char *tag(const char *text)
{
	static char out[2048];
	setup();
	struct text_doc d;
	text_doc_init(&d);
	struct ml_err err;
	out[0] = '\0';
	if (text_tagger_run(tagger, text, strlen(text), &d, &err)) {
		snprintf(out, sizeof out, "error: %s", err.msg);
		text_doc_release(&d);
		return out;
	}
	size_t k = 0;
	for (int i = 0; i < d.nspans; i++) {
		const struct text_span *s = &d.spans[i];
		k += (size_t)snprintf(out + k, sizeof out - k, "%s%s[%u,%u)%s%s%s%s", i ? " " : "", s->code, s->start, s->end,
				      s->attrs & TEXT_ATTR_NEGATED ? "n" : "", s->attrs & TEXT_ATTR_UNCERTAIN ? "u" : "",
				      s->attrs & TEXT_ATTR_HISTORICAL ? "h" : "", s->attrs & TEXT_ATTR_FAMILY ? "f" : "");
	}
	text_doc_release(&d);
	return out;
}

TEST(tokenizer_words_cjk_punct_and_sentences)
{
	struct text_tokens t = {0};
	struct ml_err err;
	const char *s = "No fever. Temp 37.5, 患者发热!";
	CHECK(text_tokenize(s, strlen(s), false, &t, &err) == 0);
	CHECK_EQ_INT(t.n, 9); /* No fever Temp 37 5 患 者 发 热 */
	CHECK_EQ_INT(t.v[1].start, 3);
	CHECK_EQ_INT(t.v[1].end, 8);
	CHECK(t.v[1].sentence_end);
	CHECK(!t.v[3].sentence_end); /* 37.5 is not a sentence end */
	CHECK_EQ_INT(t.v[5].start, 21);
	CHECK_EQ_INT(t.v[5].end, 22);
	CHECK(text_tokenize(s, strlen(s), true, &t, &err) == 0);
	CHECK_EQ_INT(t.n, 13);
	CHECK(t.v[2].punct);
	CHECK(t.v[2].sentence_end);
	CHECK(text_tokenize("a\xff", 2, false, &t, &err) == -1);
	CHECK(strstr(err.msg, "byte 1") != NULL);
	text_tokens_release(&t);
}

TEST(fold_nfkc_casefold_and_arabic_marks)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(text_fold("ＦＥＶＥＲ Straße", strlen("ＦＥＶＥＲ Straße"), &b) == 0);
	CHECK_EQ_STR(b.data, "fever strasse");
	ml_buf_reset(&b);
	CHECK(text_fold("الْحُمَّى", strlen("الْحُمَّى"), &b) == 0); /* vocalised */
	CHECK_EQ_STR(b.data, "الحمى");
	ml_buf_reset(&b);
	CHECK(text_fold("e\xCC\x81", 3, &b) == 0); /* e + combining acute composes */
	CHECK_EQ_STR(b.data, "\xC3\xA9");
	ml_buf_release(&b);
}

TEST(negation_pre_and_post)
{
	CHECK_EQ_STR(tag("Patient denies fever. No evidence of pneumonia."), "F1[15,20)n P1[37,46)n");
	CHECK_EQ_STR(tag("Pneumonia was ruled out."), "P1[0,9)n");
	CHECK_EQ_STR(tag("Fever absent."), "F1[0,5)n");
	CHECK_EQ_STR(tag("Fever, cough and sepsis."), "F1[0,5) K1[7,12) X1[17,23)");
	CHECK_EQ_STR(tag("No fever or cough."), "F1[3,8)n K1[12,17)n");
}

TEST(negation_scope_pseudo_terminators_sentences)
{
	CHECK_EQ_STR(tag("No increase in seizures."), "S1[15,23)");        /* pseudo-trigger */
	CHECK_EQ_STR(tag("No fever but has a cough."), "F1[3,8)n K1[19,24)"); /* terminator */
	CHECK_EQ_STR(tag("No fever. Cough present."), "F1[3,8)n K1[10,15)");  /* sentence end */
	CHECK_EQ_STR(tag("No one two three four five six seven eight nine fever."), "F1[48,53)"); /* out of scope */
	CHECK_EQ_STR(tag("- no fever\n- cough"), "F1[5,10)n K1[13,18)"); /* a list item starts a sentence */
	CHECK_EQ_STR(tag("no fever\ncough"), "F1[3,8)n K1[9,14)n");        /* a bare line break does not */
}

TEST(uncertainty_history_family)
{
	CHECK_EQ_STR(tag("Possible pneumonia."), "P1[9,18)u");
	CHECK_EQ_STR(tag("Pneumonia?"), "P1[0,9)u");
	CHECK_EQ_STR(tag("CXR: ?pneumonia. Fever."), "P1[6,15)u F1[17,22)");
	CHECK_EQ_STR(tag("Rule out sepsis."), "X1[9,15)u");
	CHECK_EQ_STR(tag("Sepsis cannot be excluded."), "X1[0,6)u");
	CHECK_EQ_STR(tag("History of hypertension."), "H1[11,23)h");
	CHECK_EQ_STR(tag("Mother had breast cancer."), "B1[11,24)f");
	CHECK_EQ_STR(tag("Family history of epilepsy; patient has seizures."), "E1[18,26)f S1[40,48)");
	CHECK_EQ_STR(tag("No family history of epilepsy."), "E1[21,29)nf");
}

TEST(longest_match_and_overlapping_synonyms)
{
	CHECK_EQ_STR(tag("Breast cancer, lung cancer, cancer."), "B1[0,13) L1[15,26) C1[28,34)");
	CHECK_EQ_STR(tag("Known non-small cell lung cancer."), "N1[6,32)");
	CHECK_EQ_STR(tag("Known NON SMALL CELL LUNG CANCER."), "N1[6,32)"); /* case-folded */
	CHECK_EQ_STR(tag("Lung infection and pyrexia."), "P1[0,14) F1[19,26)");
	/* the preferred display wins over a synonym of another concept sharing the text */
	CHECK_EQ_STR(tag("Diabetes."), "D1[0,8)");
	/* single letters and bare numbers are never terms */
	CHECK_EQ_STR(tag("A 123 fever"), "F1[6,11)");
}

TEST(abbreviations_match_case_sensitively)
{
	CHECK_EQ_STR(tag("HTN and NSCLC."), "H1[0,3) N1[8,13)");
	CHECK_EQ_STR(tag("htn and nsclc"), "");
	CHECK_EQ_STR(tag("ALL relapse, all good."), "A1[0,3)");
}

TEST(chinese_notes_character_level)
{
	/* 患者否认发热，母亲有乳腺癌病史。肺炎。 */
	CHECK_EQ_STR(tag("患者否认发热，母亲有乳腺癌病史。肺炎。"), "F1[4,6)n B1[10,13)hf P1[16,18)");
	CHECK_EQ_STR(tag("考虑肺炎"), "P1[2,4)u");
}

TEST(arabic_notes_and_code_point_offsets)
{
	/* "the patient denies fever" and "history of diabetes", vocalised and not */
	CHECK_EQ_STR(tag("المريض ينفي الحمى"), "F1[12,17)n");
	CHECK_EQ_STR(tag("المريض ينفي الْحُمَّى"), "F1[12,21)n");
	CHECK_EQ_STR(tag("تاريخ السكري"), "D1[6,12)h");
	/* the article and "and" written onto the word: "no cough and the cough" */
	CHECK_EQ_STR(tag("لا يوجد سعال والسعال"), "R1[8,12)n R1[13,20)n");
	/* an emoji and a combining mark before the concept count as code points */
	CHECK_EQ_STR(tag("\xF0\x9F\x98\x80 e\xCC\x81 fever"), "F1[5,10)");
}

TEST(predictions_carry_coding_and_round_trip_as_bodies)
{
	setup();
	const char *text = "Patient denies fever; mother had breast cancer.";
	struct text_doc d;
	text_doc_init(&d);
	struct ml_err err;
	CHECK(text_tagger_run(tagger, text, strlen(text), &d, &err) == 0);
	CHECK_EQ_INT(d.nspans, 2);
	CHECK_EQ_STR(d.spans[0].system, "DEMO");
	CHECK_EQ_STR(d.spans[0].version, "1");
	CHECK_EQ_STR(d.spans[0].display, "Fever");
	CHECK_EQ_STR(d.spans[0].label, "Finding");
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(text_doc_to_body(&d, text, strlen(text), &b) == 0);
	CHECK_EQ_STR(b.data, "{\"results\":[{\"id\":\"T1\",\"control\":\"entities\",\"label\":\"Finding\",\"start\":15,\"end\":20,"
			     "\"text\":\"fever\",\"attributes\":{\"negated\":true},\"codes\":[{\"system\":\"DEMO\",\"code\":\"F1\","
			     "\"version\":\"1\",\"display\":\"Fever\"}],\"score\":1},"
			     "{\"id\":\"T2\",\"control\":\"entities\",\"label\":\"Finding\",\"start\":33,\"end\":46,\"text\":\"breast cancer\","
			     "\"attributes\":{\"experiencer\":\"family\"},\"codes\":[{\"system\":\"DEMO\",\"code\":\"B1\",\"version\":\"1\","
			     "\"display\":\"Breast cancer\"}],\"score\":1}]}");
	struct text_doc back;
	text_doc_init(&back);
	CHECK(text_doc_from_body(&back, b.data, 47, &err) == 0);
	CHECK_EQ_INT(back.nspans, 2);
	CHECK_EQ_INT(back.spans[1].start, 33);
	CHECK_EQ_INT(back.spans[1].attrs, TEXT_ATTR_FAMILY);
	CHECK_EQ_STR(back.spans[1].code, "B1");
	CHECK(text_doc_from_body(&back, b.data, 40, &err) == -1); /* offsets past the text */
	ml_buf_release(&b);
	text_doc_release(&back);
	text_doc_release(&d);
}

TEST(zz_teardown)
{
	text_tagger_free(tagger);
	text_ontology_free(onto);
	tagger = NULL;
}
