/* fmt_text.c: plain-text import: each file is one text item (UTF-8; a leading byte-order mark is
 * dropped), with the file's base name in its metadata. */
#include "io/io_int.h"

#include <string.h>

static int import_text(const char *path, const struct io_import_opts *opts, io_emit_fn emit, void *ctx,
		       struct ml_err *err)
{
	size_t max = opts->max_item_bytes ? opts->max_item_bytes : IO_MAX_ITEM_BYTES;
	char *data;
	size_t len;
	if (ml_file_read(path, max, &data, &len, err))
		return -1;
	int ret = 0;
	size_t bad;
	const char *text = data;
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		text += 3;
		len -= 3;
	}
	if (!ml_utf8_valid(text, len, &bad)) {
		ret = ml_err_set(err, ML_EINVAL, "'%s': invalid UTF-8 at byte %zu", path, bad + 1 + (size_t)(text - data));
		goto done;
	}
	const char *nul = memchr(text, 0, len);
	if (nul) {
		ret = ml_err_set(err, ML_EINVAL, "'%s': NUL byte at byte %zu", path, (size_t)(nul - data) + 1);
		goto done;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	struct ml_buf meta;
	ml_buf_init(&meta, 0);
	if (ml_buf_puts(&meta, "{\"file\":") || ml_buf_json_str(&meta, base, strlen(base)) || ml_buf_putc(&meta, '}')) {
		ml_buf_release(&meta);
		ret = ml_err_set(err, ML_ENOMEM, "out of memory");
		goto done;
	}
	struct store_item it = {.project_id = opts->project_id, .modality = STORE_MOD_TEXT,
				.source = opts->source ? opts->source : STORE_SRC_OTHER, .patient_key = (char *)"",
				.meta_json = meta.data, .text = (char *)text, .external_ref = (char *)"", .visible = true};
	if (emit(ctx, &it, err)) {
		ret = -1;
		if (err && err->code == ML_EINVAL)
			io_err_at_line(err, path, 0);
	}
	ml_buf_release(&meta);
done:
	ml_free(data);
	return ret;
}

IO_IMPORTER(text, "text", ".txt,.text", "plain text: each file is one item", import_text)
