/* test_imaging.c: the imaging exporters' helpers (src/io/io_img_*.c): derived UIDs, DS values, annotation
 * results as 2-D shapes and as rasterised regions, and the clear errors for bad bodies. */
#include "harness.h"
#include "dicom/dicom.h"
#include "io/img_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SCHEMA =
	"{\"format\":1,\"name\":\"t\",\"controls\":["
	"{\"name\":\"organs\",\"kind\":\"mask\",\"labels\":[{\"value\":\"liver\",\"mask_value\":7},{\"value\":\"spleen\",\"mask_value\":2}]},"
	"{\"name\":\"note\",\"kind\":\"classification\",\"labels\":[{\"value\":\"x\"}]},"
	"{\"name\":\"lesion\",\"kind\":\"box\",\"labels\":[{\"value\":\"mass\"}]},"
	"{\"name\":\"outline\",\"kind\":\"polygon\",\"labels\":[{\"value\":\"a\"},{\"value\":\"b\"}]},"
	"{\"name\":\"spine\",\"kind\":\"keypoints\",\"labels\":[{\"value\":\"spine\"}],\"points\":[\"c7\",\"t12\",\"l5\"]},"
	"{\"name\":\"nod\",\"kind\":\"object3d\",\"part_shape\":\"polygon\",\"labels\":[{\"value\":\"nodule\"}]}]}";

TEST(uid_from_hash_is_decimal_of_128_bits)
{
	uint8_t h[16];
	char uid[65];
	memset(h, 0xFF, sizeof h);
	dicom_uid_from_128(h, uid);
	CHECK_EQ_STR(uid, "2.25.340282366920938463463374607431768211455");
	memset(h, 0, sizeof h);
	dicom_uid_from_128(h, uid);
	CHECK_EQ_STR(uid, "2.25.0");
	h[15] = 10;
	dicom_uid_from_128(h, uid);
	CHECK_EQ_STR(uid, "2.25.10");
}

TEST(ds_values_fit_16_characters)
{
	char b[20];
	const double v[] = {0.7, -1e-17, 123456789.123456789, -40.25, 1.0 / 3.0, -0.123456789012345, 1e-20, 98765432109876.5};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		io_img_ds(v[i], b);
		CHECK(strlen(b) <= 16);
		CHECK_NEAR(strtod(b, NULL), fabs(v[i]) < 1e-9 ? 0 : v[i], fabs(v[i]) * 1e-6 + 1e-12);
	}
	io_img_ds(-1e-17, b);
	CHECK_EQ_STR(b, "0");
}

struct seen {
	int n;
	char log[2048];
};

static int on_shape(void *ctx, const struct io_img_shape *s, struct ml_err *err)
{
	struct seen *sn = ctx;
	size_t len = strlen(sn->log);
	snprintf(sn->log + len, sizeof sn->log - len, "%s/%s c%d f%u bb%g,%g,%g,%g a%g n%zu%s;", s->control->name,
		 s->label->value, s->category, s->frame, s->bbox[0], s->bbox[1], s->bbox[2], s->bbox[3], s->area, s->npts,
		 s->part ? " part" : "");
	sn->n++;
	return 0;
}

static int on_region(void *ctx, const struct io_img_region *r, struct ml_err *err)
{
	struct seen *sn = ctx;
	size_t cnt = 0, len = strlen(sn->log);
	for (size_t i = 0; i < (size_t)r->h * r->w; i++)
		cnt += r->mask[i] != 0;
	snprintf(sn->log + len, sizeof sn->log - len, "%s v%d f%u n%zu;", r->label->value, r->mask_value, r->frame, cnt);
	sn->n++;
	return 0;
}

static int run_shapes(const struct label_schema *s, const char *body, uint32_t h, uint32_t w, uint32_t frames,
		      struct seen *sn, struct ml_err *err)
{
	struct store_item it = {.id = 42};
	struct store_annotation an = {.id = 9, .body_json = (char *)body};
	struct io_export_row row = {.item = &it, .anns = &an, .nanns = 1};
	memset(sn, 0, sizeof *sn);
	return io_img_each_shape(s, &row, h, w, frames, on_shape, sn, err);
}

static int run_regions(const struct label_schema *s, const char *body, uint32_t h, uint32_t w, uint32_t frames,
		       struct seen *sn, struct ml_err *err)
{
	struct store_item it = {.id = 42};
	struct store_annotation an = {.id = 9, .body_json = (char *)body};
	struct io_export_row row = {.item = &it, .anns = &an, .nanns = 1};
	memset(sn, 0, sizeof *sn);
	return io_img_each_region(s, &row, h, w, frames, on_region, sn, err);
}

TEST(shapes_of_every_2d_kind)
{
	struct label_schema *s;
	struct ml_err err = {0};
	CHECK(label_schema_parse(SCHEMA, strlen(SCHEMA), &s, &err) == 0);
	/* categories skip the classification control */
	CHECK_EQ_INT(io_img_category(s, &s->controls[2], &s->controls[2].labels[0]), 3);
	CHECK_EQ_INT(io_img_category(s, &s->controls[3], &s->controls[3].labels[1]), 5);
	CHECK_EQ_INT(io_img_category(s, &s->controls[1], &s->controls[1].labels[0]), 0);
	struct seen sn;
	/* 4x5 image; a mask with pixels (1,1) (2,1) (3,2): bbox 1,1,3,2 */
	const char *body = "{\"results\":["
			   "{\"id\":\"b\",\"control\":\"lesion\",\"label\":\"mass\",\"x\":1,\"y\":2,\"w\":3,\"h\":1.5},"
			   "{\"id\":\"c\",\"control\":\"note\",\"choices\":[\"x\"]},"
			   "{\"id\":\"p\",\"control\":\"outline\",\"label\":\"b\",\"frame\":1,\"points\":[[0,0],[4,0],[0,3]]},"
			   "{\"id\":\"m\",\"control\":\"organs\",\"label\":\"spleen\",\"rle\":{\"size\":[4,5],\"counts\":[6,2,5,1,6]}},"
			   "{\"id\":\"k\",\"control\":\"spine\",\"keypoints\":[{\"name\":\"l5\",\"x\":1,\"y\":1},{\"name\":\"c7\",\"x\":3,\"y\":2}]},"
			   "{\"id\":\"o\",\"control\":\"nod\",\"parts\":[{\"frame\":0,\"points\":[[0,0],[2,0],[2,2],[0,2]]},"
			   "{\"frame\":1,\"points\":[[1,1],[3,1],[3,3]]}]}]}";
	CHECK(run_shapes(s, body, 4, 5, 2, &sn, &err) == 0);
	CHECK_EQ_INT(sn.n, 6);
	CHECK_EQ_STR(sn.log, "lesion/mass c3 f0 bb1,2,3,1.5 a4.5 n4;outline/b c5 f1 bb0,0,4,3 a6 n3;"
			     "organs/spleen c2 f0 bb1,1,3,2 a3 n0;spine/spine c6 f0 bb1,1,2,1 a2 n0;"
			     "nod/nodule c7 f0 bb0,0,2,2 a4 n4 part;nod/nodule c7 f1 bb1,1,2,2 a2 n3 part;");
	/* regions: masks, polygons and parts rasterised; boxes and keypoints skipped */
	CHECK(run_regions(s, body, 4, 5, 2, &sn, &err) == 0);
	CHECK_EQ_STR(sn.log, "b v2 f1 n6;spleen v2 f0 n3;nodule v1 f0 n4;nodule v1 f1 n3;"); /* centres on the diagonal count (assist_polygon_fill) */
	label_schema_free(s);
}

TEST(bad_bodies_are_clear_errors)
{
	struct label_schema *s;
	struct ml_err err = {0};
	CHECK(label_schema_parse(SCHEMA, strlen(SCHEMA), &s, &err) == 0);
	struct seen sn;
	CHECK(run_regions(s, "{\"results\":[{\"control\":\"organs\",\"label\":\"liver\",\"rle\":{\"size\":[3,5],\"counts\":[15]}}]}",
			  4, 5, 1, &sn, &err) == -1);
	CHECK(strstr(err.msg, "item 42, annotation 9, result 0: the mask size differs") != NULL);
	CHECK(run_regions(s, "{\"results\":[{\"control\":\"organs\",\"label\":\"liver\",\"rle\":{\"size\":[4,5],\"counts\":[3,30]}}]}",
			  4, 5, 1, &sn, &err) == -1);
	CHECK(strstr(err.msg, "within the image") != NULL);
	CHECK(run_regions(s, "{\"results\":[{\"control\":\"organs\",\"label\":\"liver\",\"rle\":{\"size\":[4,5],\"counts\":[3,3]}}]}",
			  4, 5, 1, &sn, &err) == -1);
	CHECK(strstr(err.msg, "do not add up") != NULL);
	/* the 2-D shape walk reads masks and polygons with the same reader, and names the result the same way */
	CHECK(run_shapes(s, "{\"results\":[{\"control\":\"organs\",\"label\":\"liver\",\"rle\":{\"size\":[4,5],\"counts\":[3,3]}}]}",
			 4, 5, 1, &sn, &err) == -1);
	CHECK(strstr(err.msg, "item 42, annotation 9, result 0: the mask runs do not add up") != NULL);
	CHECK(run_shapes(s, "{\"results\":[{\"control\":\"outline\",\"label\":\"a\",\"points\":[[0,0],[1,1]]}]}", 4, 5, 1,
			 &sn, &err) == -1);
	CHECK(strstr(err.msg, "a polygon needs 3 to 1,000,000 points") != NULL);
	CHECK(run_shapes(s, "{\"results\":[{\"control\":\"lesion\",\"x\":1,\"y\":1,\"w\":2,\"h\":2,\"frame\":3}]}", 4, 5, 2,
			 &sn, &err) == -1);
	CHECK(strstr(err.msg, "frame is out of range") != NULL);
	CHECK(run_shapes(s, "{\"results\":[{\"control\":\"lesion\",\"x\":1,\"y\":1,\"w\":-2,\"h\":2}]}", 4, 5, 1, &sn, &err) == -1);
	CHECK(strstr(err.msg, "positive w, h") != NULL);
	CHECK(run_shapes(s, "not json", 4, 5, 1, &sn, &err) == -1);
	CHECK(strstr(err.msg, "no results list") != NULL);
	CHECK(run_shapes(s, "{\"results\":[{\"control\":\"outline\",\"label\":\"zzz\",\"points\":[]}]}", 4, 5, 1, &sn, &err) == -1);
	CHECK(strstr(err.msg, "names no label") != NULL);
	CHECK(run_regions(s, "{\"results\":[{\"control\":\"outline\",\"label\":\"a\",\"points\":[[0,0],[1,\"x\"],[2,2]]}]}", 4, 5, 1,
			  &sn, &err) == -1);
	CHECK(strstr(err.msg, "[x, y] numbers") != NULL);
	label_schema_free(s);
}

/* ---- pacs: multipart parsing and UID checks ---- */
#include "pacs/pacs.h"

struct parts {
	int n;
	size_t len[4];
	char first[4][16];
};

static int on_part(void *ctx, const char *data, size_t len, struct ml_err *err)
{
	struct parts *p = ctx;
	if (p->n < 4) {
		p->len[p->n] = len;
		snprintf(p->first[p->n], sizeof p->first[p->n], "%.*s", (int)(len < 15 ? len : 15), data);
	}
	p->n++;
	return 0;
}

TEST(multipart_parts_boundaries_and_uids)
{
	char b[80];
	CHECK(pacs_boundary_of("multipart/related; type=\"application/dicom\"; boundary=abc-1", b, sizeof b) == 0);
	CHECK_EQ_STR(b, "abc-1");
	CHECK(pacs_boundary_of("multipart/related;boundary=\"q r\";type=x", b, sizeof b) == 0);
	CHECK_EQ_STR(b, "q r");
	CHECK(pacs_boundary_of("multipart/related; type=x", b, sizeof b) == -1);
	CHECK(pacs_boundary_of("multipart/related; xboundary=1", b, sizeof b) == -1);
	static const char body[] = "preamble\r\n--XX\r\nContent-Type: application/dicom\r\n\r\nDICM\r\n--X-in-data\r\n"
				   "--XX\r\nContent-Type: application/dicom\r\n\r\n\r\n--XX--\r\n";
	struct parts p = {0};
	struct ml_err err = {0};
	CHECK(pacs_multipart_parse(body, sizeof body - 1, "XX", on_part, &p, &err) == 0);
	CHECK_EQ_INT(p.n, 2);
	CHECK_EQ_INT(p.len[0], 17); /* "DICM\r\n--X-in-data": the CRLF before the delimiter is not content */
	CHECK_EQ_STR(p.first[0], "DICM\r\n--X-in-da");
	CHECK_EQ_INT(p.len[1], 0);
	/* truncated bodies are errors with a byte offset, never a read past the end */
	for (size_t cut = 0; cut < sizeof body - 8; cut++) {
		struct parts q = {0};
		int rc = pacs_multipart_parse(body, cut, "XX", on_part, &q, &err);
		CHECK(rc == -1 || q.n <= 2);
	}
	CHECK(pacs_multipart_parse("no boundary here", 16, "XX", on_part, &p, &err) == -1);
	CHECK(strstr(err.msg, "never occurs") != NULL);
	CHECK(pacs_uid_valid("1.2.840.10008.5.1.4.1.1.66.4"));
	CHECK(!pacs_uid_valid(""));
	CHECK(!pacs_uid_valid("1..2"));
	CHECK(!pacs_uid_valid("1.2."));
	CHECK(!pacs_uid_valid("1.2/3"));
	CHECK(!pacs_uid_valid("1.22222222222222222222222222222222222222222222222222222222222222222"));
}
