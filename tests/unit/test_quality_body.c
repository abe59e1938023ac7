/* test_quality_body.c: consensus of annotation bodies (docs/SCHEMA.md format): choices, spans with their
 * text, boxes clustered by Hungarian matching, skipped controls, bad input. */
#include "harness.h"
#include "quality/quality.h"

#include <jansson.h>
#include <stdlib.h>

static json_t *result_of(json_t *body, const char *control, size_t nth)
{
	json_t *res = json_object_get(body, "results");
	for (size_t i = 0; i < json_array_size(res); i++) {
		json_t *r = json_array_get(res, i);
		if (strcmp(json_string_value(json_object_get(r, "control")), control) == 0 && nth-- == 0)
			return r;
	}
	return NULL;
}

TEST(body_consensus_choices_spans_boxes)
{
	/* Three annotators on a note "Patient has seizures and fever" (ASCII), an image with two nodules. */
	const char *b[] = {
		"{\"format\":1,\"results\":["
		"{\"id\":\"r\",\"control\":\"relevant\",\"choices\":[\"yes\"]},"
		"{\"id\":\"m1\",\"control\":\"mention\",\"label\":\"Phenotype\",\"start\":12,\"end\":20,\"text\":\"seizures\"},"
		"{\"id\":\"m2\",\"control\":\"mention\",\"label\":\"Phenotype\",\"start\":25,\"end\":30,\"text\":\"fever\"},"
		"{\"id\":\"b1\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":10,\"y\":10,\"w\":20,\"h\":20},"
		"{\"id\":\"b2\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":100,\"y\":100,\"w\":10,\"h\":10},"
		"{\"id\":\"t\",\"control\":\"type\",\"region\":\"b1\",\"choices\":[\"solid\"]}]}",
		"{\"results\":["
		"{\"id\":\"r\",\"control\":\"relevant\",\"choices\":[\"yes\"]},"
		"{\"id\":\"m1\",\"control\":\"mention\",\"label\":\"Phenotype\",\"start\":8,\"end\":20,\"text\":\"has seizures\"},"
		"{\"id\":\"b1\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":12,\"y\":10,\"w\":20,\"h\":22}]}",
		"{\"results\":["
		"{\"id\":\"r\",\"control\":\"relevant\",\"choices\":[\"no\"]},"
		"{\"id\":\"m1\",\"control\":\"mention\",\"label\":\"Phenotype\",\"start\":12,\"end\":20,\"text\":\"seizures\"},"
		"{\"id\":\"b1\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":200,\"y\":10,\"w\":20,\"h\":20},"
		"{\"id\":\"b2\",\"control\":\"lesion\",\"label\":\"nodule\",\"x\":11,\"y\":11,\"w\":20,\"h\":20}]}",
	};
	char *out;
	struct consensus_body_report rep;
	struct ml_err err;
	CHECK(consensus_bodies(b, 3, NULL, NULL, &out, &rep, &err) == 0);
	json_t *body = json_loads(out, 0, NULL);
	CHECK(body != NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(body, "format")), 1);
	json_t *r = result_of(body, "relevant", 0);
	CHECK(r != NULL);
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(r, "choices"), 0)), "yes");
	/* "seizures" is covered by all three; "has " by one, "fever" by one: one span, its text sliced. */
	json_t *m = result_of(body, "mention", 0);
	CHECK(m != NULL && result_of(body, "mention", 1) == NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(m, "start")), 12);
	CHECK_EQ_INT(json_integer_value(json_object_get(m, "end")), 20);
	CHECK_EQ_STR(json_string_value(json_object_get(m, "text")), "seizures");
	/* The box near (10,10) is found by all three (annotator 3's second box); the others by one each. */
	json_t *bx = result_of(body, "lesion", 0);
	CHECK(bx != NULL && result_of(body, "lesion", 1) == NULL);
	CHECK_NEAR(json_number_value(json_object_get(bx, "x")), 11, 1e-12);
	CHECK_NEAR(json_number_value(json_object_get(bx, "h")), 62.0 / 3, 1e-12);
	CHECK(strstr(rep.skipped, "type") != NULL);
	CHECK_EQ_INT(rep.results, 3);
	CHECK_EQ_INT(rep.ties, 0);
	/* Result ids are fresh. */
	CHECK_EQ_STR(json_string_value(json_object_get(r, "id")), "c1");
	json_decref(body);
	ml_free(out);

	/* Weights: annotator 3 outweighs the others on "relevant". */
	double w[] = {1, 1, 2.5};
	CHECK(consensus_bodies(b, 3, w, NULL, &out, &rep, &err) == 0);
	body = json_loads(out, 0, NULL);
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(result_of(body, "relevant", 0), "choices"), 0)), "no");
	json_decref(body);
	ml_free(out);

	/* Two annotators split on a single choice: a tie, no result. */
	CHECK(consensus_bodies(b + 1, 2, NULL, NULL, &out, &rep, &err) == 0);
	body = json_loads(out, 0, NULL);
	CHECK(result_of(body, "relevant", 0) == NULL);
	CHECK_EQ_INT(rep.ties, 1);
	json_decref(body);
	ml_free(out);
}

TEST(body_consensus_multiple_choices_and_unicode_text)
{
	const char *b[] = {
		"{\"results\":[{\"id\":\"a\",\"control\":\"sym\",\"choices\":[\"cough\",\"fever\"]},"
		"{\"id\":\"s\",\"control\":\"m\",\"label\":\"x\",\"start\":0,\"end\":4,\"text\":\"é中😀z\"}]}",
		"{\"results\":[{\"id\":\"a\",\"control\":\"sym\",\"choices\":[\"cough\"]},"
		"{\"id\":\"s\",\"control\":\"m\",\"label\":\"x\",\"start\":1,\"end\":3,\"text\":\"中😀\"}]}",
		"{\"results\":[{\"id\":\"a\",\"control\":\"sym\",\"choices\":[\"fever\",\"cough\",\"rash\"]}]}",
	};
	char *out;
	struct consensus_body_report rep;
	struct ml_err err;
	CHECK(consensus_bodies(b, 3, NULL, NULL, &out, &rep, &err) == 0);
	json_t *body = json_loads(out, 0, NULL);
	json_t *ch = json_object_get(result_of(body, "sym", 0), "choices");
	CHECK_EQ_INT(json_array_size(ch), 2); /* cough 3/3, fever 2/3, rash 1/3 */
	json_t *m = result_of(body, "m", 0);
	CHECK(m != NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(m, "start")), 1);
	CHECK_EQ_STR(json_string_value(json_object_get(m, "text")), "中😀");
	json_decref(body);
	ml_free(out);
}

TEST(body_consensus_errors)
{
	const char *bad[] = {"{\"results\":[]}", "not json"};
	char *out;
	struct consensus_body_report rep;
	struct ml_err err;
	CHECK(consensus_bodies(bad, 2, NULL, NULL, &out, &rep, &err) < 0);
	CHECK(strstr(err.msg, "annotation 1") != NULL);
	const char *span[] = {"{\"results\":[{\"id\":\"s\",\"control\":\"m\",\"label\":\"x\",\"start\":5,\"end\":2}]}"};
	CHECK(consensus_bodies(span, 1, NULL, NULL, &out, &rep, &err) < 0);
	CHECK(strstr(err.msg, "malformed span") != NULL);
	CHECK(consensus_bodies(span, 0, NULL, NULL, &out, &rep, &err) < 0);
}
