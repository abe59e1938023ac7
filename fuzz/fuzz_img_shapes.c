/* fuzz_img_shapes.c: libFuzzer target for the imaging exporters' reading of annotation bodies: any bytes as a
 * body, walked as 2-D shapes (COCO/YOLO/VOC) and as rasterised regions (NIfTI/SEG/measurements) on a
 * 16x12 image with 4 frames. Invariants: shapes lie on existing frames, masks have the grid's size, a
 * mask's box covers its pixels. */
#include "io/img_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *SCHEMA =
	"{\"format\":1,\"name\":\"f\",\"controls\":["
	"{\"name\":\"m\",\"kind\":\"mask\",\"labels\":[{\"value\":\"a\",\"mask_value\":3},{\"value\":\"b\"}]},"
	"{\"name\":\"b\",\"kind\":\"box\",\"labels\":[{\"value\":\"x\"}]},"
	"{\"name\":\"r\",\"kind\":\"rotated_box\",\"labels\":[{\"value\":\"x\"}]},"
	"{\"name\":\"e\",\"kind\":\"ellipse\",\"labels\":[{\"value\":\"x\"}]},"
	"{\"name\":\"p\",\"kind\":\"polygon\",\"labels\":[{\"value\":\"x\"}]},"
	"{\"name\":\"k\",\"kind\":\"keypoints\",\"labels\":[{\"value\":\"x\"}],\"points\":[\"a\",\"b\"]},"
	"{\"name\":\"o\",\"kind\":\"object3d\",\"labels\":[{\"value\":\"x\"}]}]}";

static int on_shape(void *ctx, const struct io_img_shape *s, struct ml_err *err)
{
	(void)ctx;
	(void)err;
	if (s->frame >= 4 || s->category < 1)
		abort();
	if (s->mask) {
		for (uint32_t y = 0; y < s->h; y++)
			for (uint32_t x = 0; x < s->w; x++)
				if (s->mask[y * s->w + x] && (x < s->bbox[0] || x >= s->bbox[0] + s->bbox[2] || y < s->bbox[1] ||
							      y >= s->bbox[1] + s->bbox[3]))
					abort();
	}
	return 0;
}

static int on_region(void *ctx, const struct io_img_region *r, struct ml_err *err)
{
	(void)ctx;
	(void)err;
	if (r->frame >= 4 || r->h != 12 || r->w != 16 || r->mask_value < 1)
		abort();
	for (size_t i = 0; i < 16 * 12; i++) /* every byte readable, and 0/1 */
		if (r->mask[i] > 1)
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct label_schema *schema;
	struct ml_err err;
	if (!schema && label_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err))
		abort();
	char *body = malloc(size + 1);
	memcpy(body, data, size);
	body[size] = 0;
	struct store_item it = {.id = 1};
	struct store_annotation an = {.id = 1, .body_json = body};
	struct io_export_row row = {.item = &it, .anns = &an, .nanns = 1};
	(void)io_img_each_shape(schema, &row, 12, 16, 4, on_shape, NULL, &err);
	(void)io_img_each_region(schema, &row, 12, 16, 4, on_region, NULL, &err);
	free(body);
	return 0;
}
