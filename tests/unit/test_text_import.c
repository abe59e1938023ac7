/* test_text_import.c: base64, the RFC 4180 reader, CSV mapping import and FHIR (Bundle and NDJSON) import. */
#include "text/text.h"
#include "harness.h"

#include <jansson.h>
#include <stdlib.h>

/* ---- collecting what an import emits ------------------------------------------------------------------ */

struct got_item {
	int modality, source;
	char *patient, *meta, *text, *ref;
};
struct collect {
	struct got_item items[64];
	int n;
	char problems[32][512];
	long lines[32], entries[32], columns[32];
	int nprob;
};

static int collect_emit(void *ctx, const struct store_item *it, struct ml_err *err)
{
	struct collect *c = ctx;
	if (c->n == 64)
		return ml_err_set(err, ML_ELIMIT, "too many");
	struct got_item *g = &c->items[c->n++];
	g->modality = it->modality;
	g->source = it->source;
	g->patient = strdup(it->patient_key);
	g->meta = strdup(it->meta_json);
	g->text = strdup(it->text);
	g->ref = strdup(it->external_ref);
	return 0;
}

static void collect_report(void *ctx, const struct text_problem *p)
{
	struct collect *c = ctx;
	if (c->nprob == 32)
		return;
	snprintf(c->problems[c->nprob], sizeof c->problems[0], "%s/%s: %s%s", p->resource_type, p->id, p->msg,
		 p->skipped_only ? " (skipped)" : "");
	c->lines[c->nprob] = p->line;
	c->entries[c->nprob] = p->entry;
	c->columns[c->nprob] = p->column;
	c->nprob++;
}

static void collect_free(struct collect *c)
{
	for (int i = 0; i < c->n; i++) {
		free(c->items[i].patient);
		free(c->items[i].meta);
		free(c->items[i].text);
		free(c->items[i].ref);
	}
	c->n = 0;
}

static const char *write_file(const char *name, const char *data)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];
	snprintf(p, 512, "%s/%s", test_tmpdir(), name);
	FILE *f = fopen(p, "wb");
	fputs(data, f);
	fclose(f);
	return p;
}

static char *b64(const char *s)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	if (text_base64_encode(&b, s, strlen(s)))
		abort();
	return ml_buf_detach(&b, NULL);
}

/* ---- base64 ------------------------------------------------------------------------------------------- */

TEST(base64_round_trip_and_strictness)
{
	const char *cases[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "مرحبا 中文 é"};
	for (size_t i = 0; i < ML_ARRAY_LEN(cases); i++) {
		char *e = b64(cases[i]), *d;
		size_t n;
		struct ml_err err;
		CHECK(text_base64_decode(e, strlen(e), 1000, &d, &n, &err) == 0);
		CHECK_EQ_INT(n, strlen(cases[i]));
		CHECK(memcmp(d, cases[i], n) == 0);
		ml_free(d);
		free(e);
	}
	char *fb = b64("foobar");
	bool same = !strcmp(fb, "Zm9vYmFy");
	free(fb);
	CHECK(same);
	char *d;
	size_t n;
	struct ml_err err;
	CHECK(text_base64_decode("Zm9v\nYmFy", 9, 100, &d, &n, &err) == 0); /* whitespace between quads */
	CHECK_EQ_INT(n, 6);
	ml_free(d);
	const char *bad[] = {"Zm9", "Zm9v!", "Z===", "Zg=a", "Zm9vYg==Zm9v", "Zh==", "Zm9=", "=Zm9"};
	for (size_t i = 0; i < ML_ARRAY_LEN(bad); i++) {
		if (text_base64_decode(bad[i], strlen(bad[i]), 100, &d, &n, &err) == 0) {
			test_fail(__FILE__, __LINE__, "accepted bad base64 '%s'", bad[i]);
			ml_free(d);
			return;
		}
		CHECK(err.code == ML_EINVAL);
	}
	CHECK(text_base64_decode("Zm9vYmFy", 8, 5, &d, &n, &err) == -1);
	CHECK(err.code == ML_ELIMIT);
}

/* ---- CSV ----------------------------------------------------------------------------------------------- */

TEST(csv_reader_rfc4180)
{
	const char *data = "\xEF\xBB\xBF" "a,b,c\r\n"
			   "1,\"x, \"\"quoted\"\"\",3\r\n"
			   "\"multi\nline\",,\"\"\n"
			   "last,row,end";
	FILE *f = fmemopen((void *)data, strlen(data), "r");
	struct text_csv_reader r;
	struct ml_err err;
	text_csv_reader_init(&r, f, "t.csv", 0);
	CHECK_EQ_INT(text_csv_next(&r, &err), 1);
	CHECK_EQ_INT(r.nfields, 3);
	CHECK_EQ_STR(text_csv_field(&r, 0), "a"); /* the BOM is not part of the first name */
	CHECK_EQ_INT(text_csv_next(&r, &err), 1);
	CHECK_EQ_STR(text_csv_field(&r, 1), "x, \"quoted\"");
	CHECK_EQ_INT(r.line, 2);
	CHECK_EQ_INT(text_csv_next(&r, &err), 1);
	CHECK_EQ_STR(text_csv_field(&r, 0), "multi\nline");
	CHECK_EQ_STR(text_csv_field(&r, 1), "");
	CHECK_EQ_STR(text_csv_field(&r, 2), "");
	CHECK_EQ_INT(r.line, 3);
	CHECK_EQ_INT(text_csv_next(&r, &err), 1);
	CHECK_EQ_INT(r.line, 5);
	CHECK_EQ_STR(text_csv_field(&r, 2), "end");
	CHECK_EQ_INT(text_csv_next(&r, &err), 0);
	text_csv_reader_release(&r);
	fclose(f);
}

TEST(csv_reader_errors_name_line_and_column)
{
	const char *data = "a,b\nok,1\nbad\"x,2\nfine,3\n\"open,4\n";
	FILE *f = fmemopen((void *)data, strlen(data), "r");
	struct text_csv_reader r;
	struct ml_err err;
	text_csv_reader_init(&r, f, "t.csv", 0);
	CHECK_EQ_INT(text_csv_next(&r, &err), 1);
	CHECK_EQ_INT(text_csv_next(&r, &err), 1);
	CHECK_EQ_INT(text_csv_next(&r, &err), -1);
	CHECK(strstr(err.msg, "'t.csv' line 3 column 4: quote inside an unquoted field") != NULL);
	CHECK_EQ_INT(text_csv_next(&r, &err), 1); /* the reader recovered at the next line */
	CHECK_EQ_STR(text_csv_field(&r, 0), "fine");
	CHECK_EQ_INT(text_csv_next(&r, &err), -1);
	CHECK(strstr(err.msg, "line 5 column 1: unterminated quoted field") != NULL);
	text_csv_reader_release(&r);
	fclose(f);
}

TEST(csv_import_with_mapping)
{
	const char *data = "\xEF\xBB\xBFpid,note_text,visit_date,ward\r\n"
			   "P1,\"Patient denies chest pain.\r\nNo fever.\",2024-01-02,A\r\n"
			   "P2,\"ألم في الصدر\",2024-02-03,B\r\n"
			   "P3,too,many,fields,here\r\n"
			   "P4,,2024-01-01,C\r\n"
			   "\r\n"
			   "P5,\"e\xCC\x81 combining\",2024-03-04,D\r\n";
	FILE *f = fmemopen((void *)data, strlen(data), "r");
	struct text_csv_map map;
	struct ml_err err;
	CHECK(text_csv_map_parse("text=note_text,patient=pid,meta.visit=visit_date,meta.loc.ward=ward", &map, &err) == 0);
	struct collect c = {0};
	struct text_import_opts o = {.project_id = 7, .emit = collect_emit, .report = collect_report, .ctx = &c};
	struct text_import_stats st;
	CHECK(text_csv_import(f, "notes.csv", &map, &o, &st, &err) == 0);
	fclose(f);
	CHECK_EQ_INT(st.rows, 3);
	CHECK_EQ_INT(st.errors, 2);
	CHECK_EQ_INT(st.skipped, 1);
	CHECK_EQ_INT(c.n, 3);
	CHECK_EQ_STR(c.items[0].text, "Patient denies chest pain.\r\nNo fever.");
	CHECK_EQ_STR(c.items[0].patient, "P1");
	CHECK_EQ_STR(c.items[0].meta, "{\"loc\":{\"ward\":\"A\"},\"visit\":\"2024-01-02\"}");
	CHECK_EQ_STR(c.items[1].text, "ألم في الصدر");
	CHECK_EQ_STR(c.items[2].text, "e\xCC\x81 combining");
	CHECK_EQ_INT(c.lines[0], 5);
	CHECK(strstr(c.problems[0], "5 fields where the header has 4") != NULL);
	CHECK_EQ_INT(c.lines[1], 6);
	CHECK(strstr(c.problems[1], "empty text") != NULL);
	for (int i = 0; i < c.nprob; i++) /* no row content in any message */
		CHECK(!strstr(c.problems[i], "P3") && !strstr(c.problems[i], "fields,here"));
	collect_free(&c);
	text_csv_map_release(&map);
}

TEST(csv_map_and_header_errors)
{
	struct text_csv_map map;
	struct ml_err err;
	CHECK(text_csv_map_parse("patient=pid", &map, &err) == -1);
	CHECK(strstr(err.msg, "text") != NULL);
	CHECK(text_csv_map_parse("text=a,bogus=b", &map, &err) == -1);
	CHECK(text_csv_map_parse("text=a,text=b", &map, &err) == -1);
	CHECK(text_csv_map_parse("text=a,meta..x=b", &map, &err) == -1);
	CHECK(text_csv_map_parse("text=note,patient=pid", &map, &err) == 0);
	const char *data = "id,note\n1,x\n";
	FILE *f = fmemopen((void *)data, strlen(data), "r");
	struct text_import_opts o = {0};
	CHECK(text_csv_import(f, "x.csv", &map, &o, NULL, &err) == -1);
	CHECK(strstr(err.msg, "column 'pid'") != NULL);
	fclose(f);
	text_csv_map_release(&map);
}

/* ---- FHIR ---------------------------------------------------------------------------------------------- */

static char *fhir_bundle(void)
{
	char *note = b64("Patient denies fever. Mother had breast cancer.");
	char *arabic = b64("المريض ينفي الحمى");
	char *latin1 = b64("caf\xE9"); /* ISO-8859-1 "café" */
	char *report = b64("Chest X-ray: no pneumonia.");
	char *buf = ml_xasprintf(
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		/* 0 */ "{\"fullUrl\":\"urn:uuid:11111111-2222\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"pat1\","
		"\"name\":[{\"family\":\"Zyxwvuts\",\"given\":[\"Qwertyuiop\"]}],\"birthDate\":\"1931-07-19\"}},"
		/* 1 */ "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"obs1\",\"status\":\"final\","
		"\"subject\":{\"reference\":\"urn:uuid:11111111-2222\"},\"encounter\":{\"reference\":\"Encounter/e1\"},"
		"\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8310-5\",\"display\":\"Body temperature\"}]},"
		"\"valueQuantity\":{\"value\":37.2,\"unit\":\"Cel\"},\"effectiveDateTime\":\"2024-01-02T10:00:00Z\"}},"
		/* 2 */ "{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"cond1\",\"subject\":{\"reference\":\"Patient/pat1\"},"
		"\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"38341003\",\"display\":\"Hypertension\"}]},"
		"\"clinicalStatus\":{\"coding\":[{\"code\":\"active\"}]}}},"
		/* 3 */ "{\"resource\":{\"resourceType\":\"DocumentReference\",\"id\":\"doc1\",\"status\":\"current\","
		"\"subject\":{\"reference\":\"Patient/pat1\"},\"context\":{\"encounter\":[{\"reference\":\"Encounter/e1\"}]},"
		"\"content\":[{\"attachment\":{\"contentType\":\"text/plain; charset=utf-8\",\"data\":\"%s\"}}]}},"
		/* 4 */ "{\"resource\":{\"resourceType\":\"DiagnosticReport\",\"id\":\"dr1\",\"subject\":{\"reference\":\"Patient/pat2\"},"
		"\"code\":{\"text\":\"CXR\"},\"presentedForm\":[{\"contentType\":\"text/plain\",\"data\":\"%s\"}],"
		"\"conclusion\":\"No acute disease.\"}},"
		/* 5 */ "{\"resource\":{\"resourceType\":\"DiagnosticReport\",\"id\":\"dr2\",\"subject\":{\"reference\":\"Patient/pat2\"},"
		"\"code\":{\"text\":\"ECG\"},\"conclusion\":\"Sinus rhythm.\"}},"
		/* 6 */ "{\"resource\":{\"resourceType\":\"DocumentReference\",\"id\":\"ar1\",\"subject\":{\"reference\":\"Patient/pat3\"},"
		"\"content\":[{\"attachment\":{\"contentType\":\"text/markdown\",\"data\":\"%s\"}}]}},"
		/* 7 */ "{\"resource\":{\"resourceType\":\"DocumentReference\",\"id\":\"lat1\",\"subject\":{\"reference\":\"Patient/pat3\"},"
		"\"content\":[{\"attachment\":{\"contentType\":\"text/plain; charset=ISO-8859-1\",\"data\":\"%s\"}}]}},"
		/* 8 */ "{\"resource\":{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"qr2\",\"subject\":{\"reference\":\"Patient/pat1\"},"
		"\"authored\":\"2024-03-01T09:00:00Z\",\"questionnaire\":\"http://x/Questionnaire/kccq\",\"item\":["
		"{\"linkId\":\"q1\",\"text\":\"How are you breathing?\",\"answer\":[{\"valueString\":\"worse on stairs\"}]}]}},"
		/* 9 */ "{\"resource\":{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"qr1\",\"subject\":{\"reference\":\"Patient/pat1\"},"
		"\"authored\":\"2024-02-01T09:00:00Z\",\"item\":[{\"linkId\":\"g\",\"item\":["
		"{\"linkId\":\"q1\",\"text\":\"How are you breathing?\",\"answer\":[{\"valueString\":\"short of breath\"}]},"
		"{\"linkId\":\"q2\",\"text\":\"Swelling?\",\"answer\":[{\"valueCoding\":{\"code\":\"Y\",\"display\":\"Yes\"}}]}]}]}},"
		/* 10 */ "{\"resource\":{\"resourceType\":\"Encounter\",\"id\":\"e1\"}}"
		"]}",
		note, report, arabic, latin1);
	free(note);
	free(arabic);
	free(latin1);
	free(report);
	return buf;
}

TEST(fhir_bundle_every_resource_type)
{
	char *bundle = fhir_bundle();
	const char *path = write_file("bundle.json", bundle);
	ml_free(bundle);
	struct collect c = {0};
	struct text_import_opts o = {.project_id = 1, .emit = collect_emit, .report = collect_report, .ctx = &c};
	struct text_import_stats st;
	struct ml_err err;
	CHECK(text_fhir_import(path, &o, &st, &err) == 0);
	CHECK_EQ_INT(st.documents, 5);
	CHECK_EQ_INT(st.surveys, 2);
	CHECK_EQ_INT(st.patients, 1);
	CHECK_EQ_INT(st.observations, 1);
	CHECK_EQ_INT(st.conditions, 1);
	CHECK_EQ_INT(st.errors, 0);
	CHECK_EQ_INT(st.skipped, 1); /* Encounter */
	CHECK_EQ_INT(c.n, 7);
	/* doc1: text, patient key from the Patient id, structured fields beside it */
	CHECK_EQ_STR(c.items[0].ref, "DocumentReference/doc1");
	CHECK_EQ_STR(c.items[0].patient, "pat1");
	CHECK_EQ_STR(c.items[0].text, "Patient denies fever. Mother had breast cancer.");
	CHECK_EQ_INT(c.items[0].modality, STORE_MOD_TEXT);
	CHECK_EQ_INT(c.items[0].source, STORE_SRC_EHR);
	json_t *meta = json_loads(c.items[0].meta, 0, NULL);
	CHECK(meta != NULL);
	json_t *obs = json_object_get(json_object_get(meta, "fhir"), "observations");
	CHECK_EQ_INT(json_array_size(obs), 1); /* the urn:uuid subject resolved to pat1 */
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(json_array_get(obs, 0), "code"), "code")), "8310-5");
	CHECK_EQ_INT(json_array_size(json_object_get(json_object_get(meta, "fhir"), "conditions")), 1);
	json_decref(meta);
	/* dr1: presentedForm text, conclusion kept in meta; dr2: conclusion only */
	CHECK_EQ_STR(c.items[1].text, "Chest X-ray: no pneumonia.");
	CHECK(strstr(c.items[1].meta, "\"conclusion\":\"No acute disease.\"") != NULL);
	CHECK_EQ_STR(c.items[2].text, "Sinus rhythm.");
	CHECK_EQ_STR(c.items[3].text, "المريض ينفي الحمى");
	CHECK_EQ_STR(c.items[4].text, "caf\xC3\xA9");
	/* surveys: grouped by patient, ordered by authored time, whatever the entry order */
	CHECK_EQ_STR(c.items[5].ref, "QuestionnaireResponse/qr1");
	CHECK_EQ_STR(c.items[6].ref, "QuestionnaireResponse/qr2");
	CHECK_EQ_INT(c.items[5].modality, STORE_MOD_SURVEY);
	CHECK_EQ_INT(c.items[5].source, STORE_SRC_SURVEY);
	CHECK_EQ_STR(c.items[5].text, "How are you breathing?: short of breath\nSwelling?: Yes\n");
	meta = json_loads(c.items[5].meta, 0, NULL);
	json_t *sv = json_object_get(meta, "survey");
	CHECK_EQ_INT(json_integer_value(json_object_get(sv, "sequence")), 1);
	CHECK_EQ_INT(json_integer_value(json_object_get(sv, "of")), 2);
	json_t *q2 = json_array_get(json_object_get(sv, "items"), 1);
	CHECK_EQ_STR(json_string_value(json_object_get(q2, "linkId")), "q2");
	CHECK_EQ_INT(json_integer_value(json_object_get(q2, "answer_start")), 51);
	CHECK_EQ_INT(json_integer_value(json_object_get(q2, "answer_end")), 54);
	json_decref(meta);
	/* demographics are never copied */
	for (int i = 0; i < c.n; i++) {
		CHECK(!strstr(c.items[i].meta, "Zyxwvuts") && !strstr(c.items[i].text, "Zyxwvuts"));
		CHECK(!strstr(c.items[i].meta, "Qwertyuiop") && !strstr(c.items[i].meta, "1931-07-19"));
	}
	collect_free(&c);
}

TEST(fhir_ndjson_bad_resources_reported_good_ones_imported)
{
	char *good = b64("Note one: no seizures.");
	char *nd = ml_xasprintf(
		"{\"resourceType\":\"DocumentReference\",\"id\":\"d1\",\"subject\":{\"reference\":\"Patient/p1\"},"
		"\"content\":[{\"attachment\":{\"contentType\":\"text/plain\",\"data\":\"%s\"}}]}\n"
		"{\"resourceType\":\"DocumentReference\",\"id\":\"d2\",\"subject\":{\"reference\":\"Patient/p1\"},"
		"\"content\":[{\"attachment\":{\"contentType\":\"text/plain\",\"data\":\"SECRET!!\"}}]}\n"
		"{\"resourceType\":\"DocumentReference\",\"id\":\"d3\","
		"\"content\":[{\"attachment\":{\"contentType\":\"text/plain\",\"data\":\"%s\"}}]}\n"
		"{\"resourceType\":\"DocumentRefrence\",\"id\":\"d4\"}\n"
		"\n"
		"{\"resourceType\":\"DocumentReference\",\"id\":\"d5\",\"subject\":{\"reference\":\"Patient/p2\"},"
		"\"content\":[{\"attachment\":{\"contentType\":\"application/pdf\",\"data\":\"%s\"}}]}\n"
		"{not json at all: Jane Doe}\n"
		"{\"resourceType\":\"DocumentReference\",\"id\":\"d7\",\"subject\":{\"reference\":\"Patient/p2\"},"
		"\"content\":[{\"attachment\":{\"contentType\":\"text/plain\",\"url\":\"http://x/doc\"}}]}\n"
		"{\"resourceType\":\"DocumentReference\",\"id\":\"d8\",\"subject\":{\"reference\":\"Patient/p3\"},"
		"\"content\":[{\"attachment\":{\"contentType\":\"text/plain\",\"data\":\"%s\"}}]}\n",
		good, good, good, good);
	const char *path = write_file("docs.ndjson", nd);
	ml_free(nd);
	free(good);
	struct collect c = {0};
	struct text_import_opts o = {.project_id = 1, .emit = collect_emit, .report = collect_report, .ctx = &c};
	struct text_import_stats st;
	struct ml_err err;
	CHECK(text_fhir_import(path, &o, &st, &err) == 0);
	CHECK_EQ_INT(c.n, 2);
	CHECK_EQ_STR(c.items[0].ref, "DocumentReference/d1");
	CHECK_EQ_STR(c.items[1].ref, "DocumentReference/d8");
	CHECK_EQ_INT(st.errors, 5);
	CHECK_EQ_INT(st.skipped, 1);
	CHECK_EQ_INT(c.nprob, 6);
	CHECK_EQ_INT(c.lines[0], 2);
	CHECK(strstr(c.problems[0], "DocumentReference/d2: content[0]: attachment data: invalid base64") != NULL);
	CHECK_EQ_INT(c.lines[1], 3);
	CHECK(strstr(c.problems[1], "d3: missing subject") != NULL);
	CHECK_EQ_INT(c.lines[2], 4);
	CHECK(strstr(c.problems[2], "DocumentRefrence/d4: unsupported resourceType") != NULL);
	CHECK_EQ_INT(c.lines[3], 6);
	CHECK(strstr(c.problems[3], "unsupported contentType 'application/pdf'") != NULL);
	CHECK_EQ_INT(c.lines[4], 7);
	CHECK(strstr(c.problems[4], "invalid JSON") != NULL);
	CHECK_EQ_INT(c.lines[5], 8);
	CHECK(strstr(c.problems[5], "only a url") != NULL);
	for (int i = 0; i < c.nprob; i++) {
		CHECK_EQ_INT(c.entries[i], -1);
		CHECK(!strstr(c.problems[i], "Jane") && !strstr(c.problems[i], "seizures") && !strstr(c.problems[i], "SECRET"));
	}
	collect_free(&c);
}

TEST(fhir_bundle_errors_carry_entry_index)
{
	const char *bundle =
		"{\"resourceType\":\"Bundle\",\"entry\":["
		"{\"resource\":{\"resourceType\":\"DiagnosticReport\",\"id\":\"r1\",\"subject\":{\"reference\":\"Group/g1\"},\"conclusion\":\"x\"}},"
		"{\"resource\":{\"resourceType\":\"DiagnosticReport\",\"id\":\"r2\",\"subject\":{\"reference\":\"Patient/p\"},\"conclusion\":\"ok\"}},"
		"{\"request\":{}},"
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\",\"code\":{\"text\":\"t\"}}}"
		"]}";
	const char *path = write_file("b2.json", bundle);
	struct collect c = {0};
	struct text_import_opts o = {.emit = collect_emit, .report = collect_report, .ctx = &c};
	struct text_import_stats st;
	struct ml_err err;
	CHECK(text_fhir_import(path, &o, &st, &err) == 0);
	CHECK_EQ_INT(c.n, 1);
	CHECK_EQ_STR(c.items[0].text, "ok");
	CHECK_EQ_INT(c.nprob, 3);
	/* pass 1 reports structured resources, pass 2 the documents */
	CHECK_EQ_INT(c.entries[0], 3);
	CHECK(strstr(c.problems[0], "Observation/o1: missing subject") != NULL);
	CHECK_EQ_INT(c.entries[1], 0);
	CHECK(strstr(c.problems[1], "r1: subject is not a Patient reference") != NULL);
	CHECK_EQ_INT(c.entries[2], 2);
	CHECK(strstr(c.problems[2], "entry has no resource") != NULL);
	collect_free(&c);
}

TEST(fhir_truncated_document_fails_whole_file)
{
	const char *path = write_file("trunc.json", "{\n \"resourceType\": \"Bundle\",\n \"entry\": [\n");
	struct text_import_opts o = {0};
	struct ml_err err;
	CHECK(text_fhir_import(path, &o, NULL, &err) == -1);
	CHECK(strstr(err.msg, "invalid JSON at line") != NULL);
}

TEST(fhir_long_line_is_skipped_within_limit)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(ml_buf_puts(&b, "{\"resourceType\":\"DiagnosticReport\",\"id\":\"big\",\"subject\":{\"reference\":\"Patient/p\"},\"conclusion\":\"") == 0);
	for (int i = 0; i < 5000; i++)
		CHECK(ml_buf_puts(&b, "word ") == 0);
	CHECK(ml_buf_puts(&b, "\"}\n{\"resourceType\":\"DiagnosticReport\",\"id\":\"small\",\"subject\":{\"reference\":\"Patient/p\"},\"conclusion\":\"fine\"}\n") == 0);
	const char *path = write_file("long.ndjson", b.data);
	ml_buf_release(&b);
	struct collect c = {0};
	struct text_import_opts o = {.emit = collect_emit, .report = collect_report, .ctx = &c, .max_line = 4096};
	struct ml_err err;
	CHECK(text_fhir_import(path, &o, NULL, &err) == 0);
	CHECK_EQ_INT(c.n, 1);
	CHECK_EQ_STR(c.items[0].ref, "DiagnosticReport/small");
	CHECK_EQ_INT(c.nprob, 1);
	CHECK_EQ_INT(c.lines[0], 1);
	CHECK(strstr(c.problems[0], "longer than 4096 bytes") != NULL);
	collect_free(&c);
}

TEST(fhir_document_too_large_is_refused_not_read_as_ndjson)
{
	const char *path = write_file("big.json", "{\n \"resourceType\": \"Bundle\",\n \"entry\": [\n  {\"resource\": {\"resourceType\": \"Patient\", \"id\": \"p\"}}\n ]\n}\n");
	struct text_import_opts o = {.max_document = 40};
	struct ml_err err;
	CHECK(text_fhir_import(path, &o, NULL, &err) == -1);
	CHECK(err.code == ML_ELIMIT);
	CHECK(strstr(err.msg, "export it as NDJSON") != NULL);
	o.max_document = 0; /* the default fits it */
	struct text_import_stats st;
	CHECK(text_fhir_import(path, &o, &st, &err) == 0);
	CHECK_EQ_INT(st.patients, 1);
}

TEST(fhir_not_a_regular_file)
{
	struct text_import_opts o = {0};
	struct ml_err err;
	CHECK(text_fhir_import("/dev/null", &o, NULL, &err) == -1);
	CHECK(strstr(err.msg, "not a regular file") != NULL);
	CHECK(text_fhir_import("/nonexistent/x.ndjson", &o, NULL, &err) == -1);
	CHECK(strstr(err.msg, "cannot open") != NULL);
}
