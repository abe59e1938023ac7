/* imaging_seed.c: fills a project with N image items (512x512, size in meta) and their labels for the COCO
 * export benchmark: BOXES boxes and MASKS masks (discs, row-major RLE) spread evenly over the images, one
 * annotation per image, through the store API in transactions of 5,000 items.
 *
 * Every item points at the same stored 512x512 PNG (content-addressed media).
 *
 *   imaging_seed DATA_DIR PROJECT_ID IMAGES BOXES MASKS */
#include "media/media.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 12345;
static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

/* A disc of radius r at (cx, cy) on a 512x512 image as row-major RLE counts. */
static void disc_rle(struct ml_buf *b, int cx, int cy, int r)
{
	long run = 0, bg = 0;
	bool first = true;
	(void)first;
	if (ml_buf_puts(b, "["))
		abort();
	int fg_on = 0;
	for (int y = 0; y < 512; y++) {
		int dy = y - cy, x0 = 0, x1 = -1;
		if (dy * dy <= r * r) {
			int dx = 0;
			while ((dx + 1) * (dx + 1) + dy * dy <= r * r)
				dx++;
			x0 = cx - dx < 0 ? 0 : cx - dx;
			x1 = cx + dx > 511 ? 511 : cx + dx;
		}
		if (x1 < x0) {
			bg += 512;
			continue;
		}
		bg += x0;
		if (ml_buf_printf(b, "%s%ld,%d", fg_on ? "," : "", bg, x1 - x0 + 1))
			abort();
		fg_on = 1;
		bg = 511 - x1;
	}
	if (ml_buf_printf(b, "%s%ld]", fg_on ? "," : "", bg + run))
		abort();
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: imaging_seed DATA_DIR PROJECT_ID IMAGES BOXES MASKS\n");
		return 2;
	}
	struct ml_err err = {0};
	struct store *s;
	char db[4200], hash[65];
	snprintf(db, sizeof db, "%s/medlabel.db", argv[1]);
	uint8_t *pix = ml_xcalloc(512 * 512, 1);
	struct ml_buf png;
	ml_buf_init(&png, 0);
	if (media_png_encode(pix, 512, 512, 1, &png, &err) ||
	    store_media_put_mem(argv[1], png.data, png.len, hash, &err) || store_open(db, &s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	int64_t pid = atoll(argv[2]);
	long n = atol(argv[3]), boxes = atol(argv[4]), masks = atol(argv[5]);
	struct ml_buf body;
	ml_buf_init(&body, 0);
	for (long i = 0; i < n; i++) {
		if (i % 5000 == 0 && store_begin(s, &err))
			goto fail;
		struct store_item it = {.project_id = pid, .modality = STORE_MOD_IMAGE, .source = STORE_SRC_IMAGING,
					.patient_key = (char *)"", .meta_json = (char *)"{\"width\":512,\"height\":512}",
					.external_ref = (char *)"", .visible = true, .media_hash = hash,
					.media_type = (char *)"image/png"};
		char ch[65];
		snprintf(ch, sizeof ch, "%064ld", i);
		memcpy(it.content_hash, ch, 65);
		int64_t item_id, task_id;
		if (store_item_add(s, &it, 1, &item_id, &task_id, &err))
			goto fail;
		ml_buf_reset(&body);
		if (ml_buf_puts(&body, "{\"format\":1,\"results\":["))
			abort();
		long nb = boxes / n + (i < boxes % n), nm = masks / n + (i < masks % n);
		for (long k = 0; k < nb; k++)
			if (ml_buf_printf(&body, "%s{\"id\":\"b%ld\",\"control\":\"lesion\",\"label\":\"%s\",\"x\":%u,\"y\":%u,\"w\":%u,\"h\":%u}",
					  k ? "," : "", k, k % 2 ? "mass" : "cyst", rnd(400), rnd(400), 5 + rnd(100), 5 + rnd(100)))
				abort();
		for (long k = 0; k < nm; k++) {
			if (ml_buf_printf(&body, "%s{\"id\":\"m%ld\",\"control\":\"organs\",\"label\":\"liver\",\"rle\":{\"size\":[512,512],\"counts\":",
					  nb + k ? "," : "", k))
				abort();
			disc_rle(&body, 100 + (int)rnd(300), 100 + (int)rnd(300), 10 + (int)rnd(80));
			if (ml_buf_puts(&body, "}}"))
				abort();
		}
		if (ml_buf_puts(&body, "]}"))
			abort();
		struct store_annotation a = {.task_id = task_id, .model = (char *)"bench", .schema_version = 1,
					     .body_json = body.data, .kind = (char *)"gold", .validated = true};
		int64_t aid;
		if (store_annotation_create(s, &a, &aid, &err))
			goto fail;
		if ((i % 5000 == 4999 || i == n - 1) && store_commit(s, &err))
			goto fail;
	}
	ml_buf_release(&body);
	store_close(s);
	return 0;
fail:
	fprintf(stderr, "imaging_seed: %s\n", err.msg);
	return 1;
}
