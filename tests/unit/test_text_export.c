/* test_text_export.c: CoNLL alignment, spaCy JSON, BRAT round trips (multilingual, line breaks), the FHIR
 * Bundle of coded labels, survey CSV. */
#include "text/text.h"
#include "harness.h"

#include <jansson.h>
#include <stdlib.h>

static char *capture_begin(FILE **f, size_t *len)
{
	static char *buf;
	buf = NULL;
	*f = open_memstream(&buf, len);
	return (char *)&buf;
}

/* A note in three scripts with a combining mark, an emoji and a line break inside a span. */
static const char *NOTE = "Mother had breast cancer. Pt denies fever\nand chills 😀.\n"
			  "المريض ينفي الْحمى. 患者无发热。Cafe\xCC\x81 ok.";

static void build_doc(struct text_doc *d)
{
	text_doc_init(d);
	struct text_span *s = text_doc_add_span(d, 11, 24, "Finding"); /* breast cancer */
	s->id = text_doc_strdup(d, "s1");
	s->attrs = TEXT_ATTR_FAMILY;
	s->system = text_doc_strdup(d, "HPO");
	s->code = text_doc_strdup(d, "HP:0003002");
	s->display = text_doc_strdup(d, "Breast carcinoma");
	s->version = text_doc_strdup(d, "2024-01-16");
	s = text_doc_add_span(d, 36, 52, "Finding"); /* "fever\nand chills" crosses a line */
	s->id = text_doc_strdup(d, "s2");
	s->attrs = TEXT_ATTR_NEGATED;
	s = text_doc_add_span(d, 42, 52, "Sign"); /* "and chills" overlaps s2 */
	s->id = text_doc_strdup(d, "s3");
	s = text_doc_add_span(d, 68, 74, "Finding"); /* الْحمى with its combining mark */
	s->id = text_doc_strdup(d, "s4");
	s->attrs = TEXT_ATTR_NEGATED | TEXT_ATTR_UNCERTAIN;
	s = text_doc_add_span(d, 79, 81, "Finding"); /* 发热 */
	s->id = text_doc_strdup(d, "s5");
	s = text_doc_add_span(d, 82, 87, "Place"); /* Café with a combining acute */
	s->id = text_doc_strdup(d, "s6");
	struct text_relation *r = text_doc_add_relation(d, "s3", "s2", "part of");
	r->id = text_doc_strdup(d, "r1");
}

static char *span_text(const char *text, const struct text_span *s)
{
	size_t n = strlen(text);
	size_t b0 = ml_utf8_cp_to_byte(text, n, s->start), b1 = ml_utf8_cp_to_byte(text, n, s->end);
	return strndup(text + b0, b1 - b0);
}

TEST(fixture_offsets_are_code_points)
{
	struct text_doc d;
	build_doc(&d);
	const char *want[] = {"breast cancer", "fever\nand chills", "and chills", "الْحمى", "发热", "Cafe\xCC\x81"};
	for (int i = 0; i < d.nspans; i++) {
		char *t = span_text(NOTE, &d.spans[i]);
		CHECK_EQ_STR(t, want[i]);
		free(t);
	}
	text_doc_release(&d);
}

TEST(conll_tokens_align_with_spans)
{
	struct text_doc d;
	build_doc(&d);
	FILE *f;
	size_t len;
	char **buf = (char **)capture_begin(&f, &len);
	struct ml_err err;
	CHECK(text_export_conll(f, NOTE, strlen(NOTE), &d, &err) == 0);
	fclose(f);
	char *out = *buf;
	CHECK(!strncmp(out, "-DOCSTART- -X- -X- O\n\n", 22));
	CHECK(strstr(out, "Mother _ _ O\nhad _ _ O\nbreast _ _ B-Finding\ncancer _ _ I-Finding\n. _ _ O\n\n") != NULL);
	/* s2 wins over the overlapping s3 (earlier start); the line break is not a token */
	CHECK(strstr(out, "fever _ _ B-Finding\nand _ _ I-Finding\nchills _ _ I-Finding\n😀 _ _ O\n") != NULL);
	CHECK(strstr(out, "患 _ _ O\n者 _ _ O\n无 _ _ O\n发 _ _ B-Finding\n热 _ _ I-Finding\n。 _ _ O\n\n") != NULL);
	CHECK(strstr(out, "Cafe\xCC\x81 _ _ B-Place\n") != NULL); /* the combining mark stays in its token */
	/* Every token line: its text equals the note's text at the token's offsets, in order. */
	struct text_tokens tk = {0};
	CHECK(text_tokenize(NOTE, strlen(NOTE), true, &tk, &err) == 0);
	size_t k = 0;
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "-DOCSTART-", 10))
			continue;
		char *sp = strstr(line, " _ _ ");
		CHECK(sp != NULL);
		CHECK(k < tk.n);
		CHECK_EQ_INT((size_t)(sp - line), tk.v[k].bend - tk.v[k].bstart);
		CHECK(!memcmp(line, NOTE + tk.v[k].bstart, (size_t)(sp - line)));
		/* tag B/I exactly when the token overlaps the span that owns it */
		const char *tag = sp + 5;
		bool inside = false;
		for (int i = 0; i < d.nspans; i++)
			if (i != 2 && tk.v[k].start < d.spans[i].end && tk.v[k].end > d.spans[i].start)
				inside = true;
		CHECK_EQ_INT(inside, strcmp(tag, "O") != 0);
		k++;
	}
	CHECK_EQ_INT(k, tk.n);
	text_tokens_release(&tk);
	free(out);
	text_doc_release(&d);
}

TEST(spacy_json_code_point_offsets)
{
	struct text_doc d;
	build_doc(&d);
	struct text_class *c = text_doc_add_class(&d);
	c->label = text_doc_strdup(&d, "discharge");
	FILE *f;
	size_t len;
	char **buf = (char **)capture_begin(&f, &len);
	struct ml_err err;
	CHECK(text_export_spacy(f, NOTE, strlen(NOTE), &d, "{\"id\":3}", &err) == 0);
	fclose(f);
	json_error_t je;
	json_t *o = json_loads(*buf, 0, &je);
	CHECK(o != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(o, "text")), NOTE);
	json_t *ents = json_object_get(o, "ents");
	CHECK_EQ_INT(json_array_size(ents), 6);
	json_t *e4 = json_array_get(ents, 3);
	CHECK_EQ_INT(json_integer_value(json_object_get(e4, "start")), 68);
	CHECK(json_is_true(json_object_get(e4, "negated")));
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(ents, 0), "kb_id")), "HP:0003002");
	CHECK(json_real_value(json_object_get(json_object_get(o, "cats"), "discharge")) == 1.0);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(o, "meta"), "id")), 3);
	json_decref(o);
	free(*buf);
	text_doc_release(&d);
}

TEST(brat_round_trip_gives_identical_spans)
{
	struct text_doc d;
	build_doc(&d);
	char dir[512];
	snprintf(dir, sizeof dir, "%s/brat", test_tmpdir());
	struct ml_err err;
	CHECK(text_export_brat(dir, "item-1", NOTE, strlen(NOTE), &d, &err) == 0);
	char path[600], *txt, *ann;
	size_t tlen, alen;
	snprintf(path, sizeof path, "%s/item-1.txt", dir);
	CHECK(ml_file_read(path, 1 << 20, &txt, &tlen, &err) == 0);
	CHECK_EQ_STR(txt, NOTE); /* bytes unchanged: RTL, combining marks, emoji */
	snprintf(path, sizeof path, "%s/item-1.ann", dir);
	CHECK(ml_file_read(path, 1 << 20, &ann, &alen, &err) == 0);
	CHECK(strstr(ann, "T2\tFinding 36 41;42 52\tfever and chills\n") != NULL); /* fragments at the line break */
	CHECK(strstr(ann, "A1\tFamily T1\n") != NULL);
	CHECK(strstr(ann, "R1\tpart_of Arg1:T3 Arg2:T2\t\n") != NULL);
	struct text_doc back;
	text_doc_init(&back);
	CHECK(text_brat_read(ann, alen, &back, &err) == 0);
	CHECK_EQ_INT(back.nspans, d.nspans);
	for (int i = 0; i < d.nspans; i++) {
		CHECK_EQ_INT(back.spans[i].start, d.spans[i].start);
		CHECK_EQ_INT(back.spans[i].end, d.spans[i].end);
		CHECK_EQ_STR(back.spans[i].label, d.spans[i].label);
		CHECK_EQ_INT(back.spans[i].attrs, d.spans[i].attrs);
		char *a = span_text(txt, &back.spans[i]), *b = span_text(NOTE, &d.spans[i]);
		CHECK_EQ_STR(a, b);
		free(a);
		free(b);
	}
	CHECK_EQ_STR(back.spans[0].code, "HP:0003002");
	CHECK_EQ_STR(back.spans[0].system, "HPO");
	CHECK_EQ_STR(back.spans[0].version, "2024-01-16");
	CHECK_EQ_STR(back.spans[0].display, "Breast carcinoma");
	CHECK_EQ_INT(back.nrels, 1);
	CHECK_EQ_STR(back.rels[0].from, "T3");
	CHECK_EQ_STR(back.rels[0].to, "T2");
	ml_free(txt);
	ml_free(ann);
	text_doc_release(&back);
	text_doc_release(&d);
}

TEST(brat_reader_rejects_malformed_lines)
{
	struct text_doc d;
	text_doc_init(&d);
	struct ml_err err;
	const char *bad1 = "T1\tFinding 5 x\tabc\n";
	CHECK(text_brat_read(bad1, strlen(bad1), &d, &err) == -1);
	CHECK(strstr(err.msg, "line 1") != NULL);
	const char *bad2 = "T1\tFinding 0 3\tabc\nA1\tNegated T9\n";
	CHECK(text_brat_read(bad2, strlen(bad2), &d, &err) == -1);
	CHECK(strstr(err.msg, "line 2") != NULL);
	const char *ok = "T1\tFinding 0 3\tabc\nE1\tEvent:T1\nN1\tReference T1 Wiki:1\tx\n";
	text_doc_release(&d);
	text_doc_init(&d);
	CHECK(text_brat_read(ok, strlen(ok), &d, &err) == 0);
	CHECK_EQ_INT(d.nspans, 1);
	text_doc_release(&d);
}

TEST(fhir_bundle_of_coded_labels)
{
	struct text_doc d;
	text_doc_init(&d);
	struct text_span *s = text_doc_add_span(&d, 0, 5, "Finding");
	s->system = text_doc_strdup(&d, "HPO");
	s->code = text_doc_strdup(&d, "HP:0001945");
	s->display = text_doc_strdup(&d, "Fever");
	s->version = text_doc_strdup(&d, "2024-01-16");
	s->attrs = TEXT_ATTR_NEGATED;
	s = text_doc_add_span(&d, 6, 12, "Finding");
	s->system = text_doc_strdup(&d, "HPO");
	s->code = text_doc_strdup(&d, "HP:0003002");
	s->attrs = TEXT_ATTR_FAMILY;
	text_doc_add_span(&d, 13, 15, "Uncoded");
	struct text_class *c = text_doc_add_class(&d);
	c->system = text_doc_strdup(&d, "LOINC");
	c->code = text_doc_strdup(&d, "8310-5");
	struct store_item it = {.id = 42, .patient_key = "pat1", .external_ref = "DocumentReference/doc9", .text = "fever cancer ok"};
	FILE *f;
	size_t len;
	char **buf = (char **)capture_begin(&f, &len);
	struct text_fhir_writer w = {0};
	struct ml_err err;
	CHECK(text_fhir_writer_begin(&w, f) == 0);
	CHECK(text_fhir_writer_item(&w, &it, &d, &err) == 0);
	CHECK(text_fhir_writer_end(&w, &err) == 0);
	fclose(f);
	json_t *b = json_loads(*buf, 0, NULL);
	CHECK(b != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(b, "resourceType")), "Bundle");
	json_t *e = json_object_get(b, "entry");
	CHECK_EQ_INT(json_array_size(e), 3);
	json_t *cond = json_object_get(json_array_get(e, 0), "resource");
	CHECK_EQ_STR(json_string_value(json_object_get(cond, "resourceType")), "Condition");
	json_t *coding = json_array_get(json_object_get(json_object_get(cond, "code"), "coding"), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(coding, "system")), "http://purl.obolibrary.org/obo/hp.owl");
	CHECK_EQ_STR(json_string_value(json_object_get(coding, "code")), "HP:0001945");
	CHECK_EQ_STR(json_string_value(json_object_get(coding, "version")), "2024-01-16");
	CHECK_EQ_STR(json_string_value(json_object_get(coding, "display")), "Fever");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(cond, "subject"), "reference")), "Patient/pat1");
	json_t *det = json_array_get(json_object_get(json_array_get(json_object_get(cond, "evidence"), 0), "detail"), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(det, "reference")), "DocumentReference/doc9");
	CHECK(strstr(*buf, "\"code\":\"refuted\"") != NULL);
	json_t *fmh = json_object_get(json_array_get(e, 1), "resource");
	CHECK_EQ_STR(json_string_value(json_object_get(fmh, "resourceType")), "FamilyMemberHistory");
	json_t *obs = json_object_get(json_array_get(e, 2), "resource");
	CHECK_EQ_STR(json_string_value(json_object_get(obs, "resourceType")), "Observation");
	CHECK(strstr(*buf, "\"system\":\"http://loinc.org\"") != NULL);
	json_decref(b);
	free(*buf);
	text_doc_release(&d);
}

TEST(survey_csv_one_row_per_question)
{
	const char *meta = "{\"survey\":{\"authored\":\"2024-02-01T09:00:00Z\",\"sequence\":1,\"items\":["
			   "{\"linkId\":\"q1\",\"text\":\"How are you breathing?\",\"answer\":\"short of breath, \\\"bad\\\"\",\"answer_start\":24,\"answer_end\":48},"
			   "{\"linkId\":\"q2\",\"text\":\"Swelling?\",\"answer\":\"Yes\",\"answer_start\":60,\"answer_end\":63}]}}";
	struct store_item it = {.id = 5, .patient_key = "pat1", .external_ref = "QuestionnaireResponse/qr1",
				.meta_json = (char *)meta, .text = "x"};
	struct text_doc d;
	text_doc_init(&d);
	struct text_class *c = text_doc_add_class(&d);
	c->question = text_doc_strdup(&d, "q1");
	c->label = text_doc_strdup(&d, "dyspnoea");
	c = text_doc_add_class(&d);
	c->question = text_doc_strdup(&d, "q2");
	c->label = text_doc_strdup(&d, "oedema");
	struct text_span *s = text_doc_add_span(&d, 24, 29, "Symptom");
	s->system = text_doc_strdup(&d, "SNOMED");
	s->code = text_doc_strdup(&d, "267036007");
	FILE *f;
	size_t len;
	char **buf = (char **)capture_begin(&f, &len);
	struct ml_err err;
	CHECK(text_survey_csv_header(f) == 0);
	CHECK(text_survey_csv_item(f, &it, &d, &err) == 0);
	fclose(f);
	CHECK_EQ_STR(*buf, "patient,response,authored,sequence,question_id,question,answer,codes\r\n"
			   "pat1,QuestionnaireResponse/qr1,2024-02-01T09:00:00Z,1,q1,How are you breathing?,"
			   "\"short of breath, \"\"bad\"\"\",dyspnoea;SNOMED|267036007\r\n"
			   "pat1,QuestionnaireResponse/qr1,2024-02-01T09:00:00Z,1,q2,Swelling?,Yes,oedema\r\n");
	/* and the CSV reads back with the RFC 4180 reader */
	FILE *in = fmemopen(*buf, strlen(*buf), "r");
	struct text_csv_reader r;
	text_csv_reader_init(&r, in, "x", 0);
	CHECK_EQ_INT(text_csv_next(&r, &err), 1);
	CHECK_EQ_INT(text_csv_next(&r, &err), 1);
	CHECK_EQ_STR(text_csv_field(&r, 6), "short of breath, \"bad\"");
	text_csv_reader_release(&r);
	fclose(in);
	free(*buf);
	text_doc_release(&d);
}
