/* test_quality_body.c: consensus of annotation bodies (docs/SCHEMA.md format): choices, spans with their
 * text, boxes clustered by Hungarian matching, skipped controls, bad input. */
#include "harness.h"
#include "label/label.h"
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

/* A 4 x 6 mask of rows [r0, r1) as a row-major RLE result. */
static void rows_mask(uint8_t *m, int r0, int r1)
{
	for (int i = 0; i < 24; i++)
		m[i] = i / 6 >= r0 && i / 6 < r1;
}

TEST(body_consensus_masks_by_staple)
{
	/* Three annotators on one frame: two say rows 0-1, one rows 0-2; the consensus is STAPLE's. */
	const char *b[3] = {
		"{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"liver\",\"frame\":2,\"rle\":{\"size\":[4,6],\"counts\":[0,12,12]}}]}",
		"{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"liver\",\"frame\":2,\"rle\":{\"size\":[4,6],\"counts\":[0,6,18]}},"
		"{\"id\":\"b\",\"control\":\"seg\",\"label\":\"liver\",\"frame\":2,\"rle\":{\"size\":[4,6],\"counts\":[6,6,12]}}]}",
		"{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"liver\",\"frame\":2,\"rle\":{\"size\":[4,6],\"counts\":[0,18,6]}},"
		"{\"id\":\"s\",\"control\":\"seg\",\"label\":\"spleen\",\"frame\":2,\"rle\":{\"size\":[4,6],\"counts\":[23,1]}}]}",
	};
	char *out;
	struct consensus_body_report rep;
	struct ml_err err;
	CHECK(consensus_bodies(b, 3, NULL, NULL, &out, &rep, &err) == 0);
	CHECK_EQ_STR(rep.skipped, "");
	/* The reference: STAPLE on the decoded masks (annotator 1's two results are one union). */
	uint8_t m0[24], m1[24], m2[24], *ms[3] = {m0, m1, m2};
	rows_mask(m0, 0, 2);
	rows_mask(m1, 0, 2);
	rows_mask(m2, 0, 3);
	struct consensus_staple st;
	CHECK(consensus_staple((const uint8_t *const *)ms, 3, 24, NULL, &st, &err) == 0);
	uint8_t want[24];
	int area = 0;
	for (int i = 0; i < 24; i++)
		area += want[i] = st.posterior[i] >= 0.5f;
	consensus_staple_release(&st);
	CHECK(area >= 12);
	json_t *body = json_loads(out, 0, NULL);
	ml_free(out);
	json_t *res = json_object_get(body, "results");
	/* liver, and no spleen: one annotator of three is background elsewhere, so STAPLE drops it. */
	CHECK_EQ_INT(json_array_size(res), 1);
	json_t *r = json_array_get(res, 0);
	CHECK_EQ_STR(json_string_value(json_object_get(r, "label")), "liver");
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "frame")), 2);
	json_t *counts = json_object_get(json_object_get(r, "rle"), "counts");
	uint32_t c[25];
	size_t nc = json_array_size(counts);
	CHECK(nc <= 25);
	for (size_t i = 0; i < nc; i++)
		c[i] = (uint32_t)json_integer_value(json_array_get(counts, i));
	uint8_t got[24];
	CHECK(label_rle_decode(c, nc, 4, 6, got, &err) == 0);
	CHECK(memcmp(got, want, 24) == 0);
	json_decref(body);

	/* object3d: parts per frame, one object per label, parts in frame order; mismatched sizes refused. */
	const char *o[2] = {
		"{\"results\":[{\"id\":\"n\",\"control\":\"nod\",\"label\":\"nodule\",\"parts\":["
		"{\"frame\":1,\"rle\":{\"size\":[2,2],\"counts\":[0,1,3]}},{\"frame\":3,\"rle\":{\"size\":[2,2],\"counts\":[0,4]}}]}]}",
		"{\"results\":[{\"id\":\"n\",\"control\":\"nod\",\"label\":\"nodule\",\"parts\":["
		"{\"frame\":3,\"rle\":{\"size\":[2,2],\"counts\":[0,4]}},{\"frame\":1,\"rle\":{\"size\":[2,2],\"counts\":[0,1,3]}}]}]}",
	};
	CHECK(consensus_bodies(o, 2, NULL, NULL, &out, &rep, &err) == 0);
	body = json_loads(out, 0, NULL);
	ml_free(out);
	res = json_object_get(body, "results");
	CHECK_EQ_INT(json_array_size(res), 1);
	json_t *parts = json_object_get(json_array_get(res, 0), "parts");
	CHECK_EQ_INT(json_array_size(parts), 2);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(parts, 0), "frame")), 1);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(parts, 1), "frame")), 3);
	json_decref(body);
	const char *bad[2] = {
		"{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"x\",\"rle\":{\"size\":[2,2],\"counts\":[0,4]}}]}",
		"{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"x\",\"rle\":{\"size\":[2,3],\"counts\":[0,6]}}]}",
	};
	CHECK(consensus_bodies(bad, 2, NULL, NULL, &out, &rep, &err) < 0);
	CHECK(strstr(err.msg, "different sizes") != NULL);
	const char *badrle[1] = {"{\"results\":[{\"id\":\"a\",\"control\":\"seg\",\"label\":\"x\",\"rle\":{\"size\":[2,2],\"counts\":[0,5]}}]}"};
	CHECK(consensus_bodies(badrle, 1, NULL, NULL, &out, &rep, &err) < 0);
	CHECK(strstr(err.msg, "annotation 0") != NULL);
}
