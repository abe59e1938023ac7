/* test_label_schema.c: what a parsed schema exposes (controls, labels, hotkeys, defaults), schema diffs
 * and which annotations a diff affects. The error cases live in tests/data/label/ (test_label_cases). */
#include "harness.h"
#include "label/label.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

static struct label_schema *parse(const char *json)
{
	struct label_schema *s = NULL;
	struct ml_err err;
	if (label_schema_parse(json, strlen(json), &s, &err)) {
		printf("#   parse failed: %s: %s\n", err.field, err.msg);
		return NULL;
	}
	return s;
}

static const char *NOTES_V1 =
	"{\"format\":1,\"name\":\"notes\",\"version\":\"1\",\"modalities\":[\"text\",\"image\"],\"controls\":["
	"{\"name\":\"doc\",\"kind\":\"classification\",\"labels\":[{\"value\":\"discharge\",\"hotkey\":\"1\"},"
	"{\"value\":\"progress\",\"hotkey\":\"2\",\"color\":\"#AABBCC\"}]},"
	"{\"name\":\"ents\",\"kind\":\"span\",\"labels\":[{\"value\":\"Drug\",\"hotkey\":\"Shift+D\"},{\"value\":\"Dosage\"},"
	"{\"value\":\"Phenotype\"}],\"attributes\":[{\"name\":\"negated\",\"type\":\"boolean\",\"hotkey\":\"x\"},"
	"{\"name\":\"certainty\",\"type\":\"choice\",\"values\":[\"certain\",\"uncertain\",\"possible\"]}],"
	"\"codings\":[{\"system\":\"HPO\",\"version\":\"2024-04-26\"}]},"
	"{\"name\":\"rel\",\"kind\":\"relation\",\"between\":[\"ents\"],\"labels\":[{\"value\":\"dose_of\","
	"\"pairs\":[{\"from\":\"Dosage\",\"to\":\"Drug\"}]}]},"
	"{\"name\":\"seg\",\"kind\":\"mask\",\"labels\":[{\"value\":\"liver\"},{\"value\":\"spleen\",\"mask_value\":7}]}]}";

TEST(parsed_schema_exposes_controls_labels_and_defaults)
{
	struct label_schema *s = parse(NOTES_V1);
	CHECK(s);
	CHECK_EQ_INT(s->format, LABEL_FORMAT);
	CHECK_EQ_STR(s->name, "notes");
	CHECK_EQ_STR(s->version, "1");
	CHECK_EQ_INT(s->modalities, (1u << 1) | (1u << 2));
	CHECK_EQ_INT(s->ncontrols, 4);
	const struct label_control *ents = label_schema_control(s, "ents");
	CHECK(ents);
	CHECK_EQ_INT(ents->kind, LABEL_KIND_SPAN);
	CHECK_EQ_STR(label_kind_name(ents->kind), "span");
	CHECK_EQ_STR(ents->title, "ents"); /* defaults to the name */
	CHECK(!ents->overlap && !ents->required);
	CHECK_EQ_INT(ents->nlabels, 3);
	CHECK_EQ_STR(label_control_label(ents, "Drug")->hotkey, "shift+d");
	CHECK_EQ_STR(label_control_label(ents, "Dosage")->title, "Dosage");
	CHECK(label_control_label(ents, "drug") == NULL); /* values are case-sensitive */
	const struct label_attribute *cert = label_control_attribute(ents, "certainty");
	CHECK(cert && cert->type == LABEL_ATTR_CHOICE && cert->nvalues == 3);
	CHECK_EQ_STR(cert->values[2], "possible");
	CHECK_EQ_INT(ents->ncodings, 1);
	CHECK_EQ_STR(ents->codings[0].version, "2024-04-26");
	CHECK(ents->codings[0].subtree == NULL);
	CHECK_EQ_STR(label_control_label(label_schema_control(s, "doc"), "progress")->color, "#aabbcc");
	const struct label_control *rel = label_schema_control(s, "rel");
	CHECK(rel->labels[0].directed);
	CHECK_EQ_INT(rel->labels[0].npairs, 1);
	CHECK_EQ_STR(rel->labels[0].pairs[0].from, "Dosage");
	const struct label_control *seg = label_schema_control(s, "seg");
	CHECK_EQ_INT(seg->labels[0].mask_value, 1);
	CHECK_EQ_INT(seg->labels[1].mask_value, 7);
	CHECK(label_schema_control(s, "nope") == NULL);
	CHECK(label_kind_is_region(LABEL_KIND_OBJECT3D) && !label_kind_is_region(LABEL_KIND_CODED));
	CHECK_EQ_INT(label_kind_parse("rotated_box"), LABEL_KIND_ROTATED_BOX);
	CHECK_EQ_INT(label_kind_parse("Box"), LABEL_KIND_NONE);
	CHECK_EQ_INT(label_kind_modalities(LABEL_KIND_OBJECT3D), (1u << 3) | (1u << 4)); /* dicom-series, volume */
	CHECK_EQ_INT(label_kind_modalities(LABEL_KIND_SPAN), (1u << 1) | (1u << 7));     /* text, survey */
	CHECK_EQ_INT(label_kind_modalities(LABEL_KIND_CLASSIFICATION), 0xFE);
	CHECK_EQ_INT(label_kind_modalities(LABEL_KIND_NONE), 0);
	label_schema_free(s);
}

TEST(hotkeys_are_listed_and_found_normalised)
{
	struct label_schema *s = parse(NOTES_V1);
	CHECK(s);
	CHECK_EQ_INT(s->nhotkeys, 4);
	CHECK_EQ_STR(s->hotkeys[0].key, "1");
	CHECK_EQ_STR(s->hotkeys[0].pointer, "/controls/0/labels/0");
	const struct label_hotkey *h = label_schema_hotkey(s, "SHIFT+d");
	CHECK(h);
	CHECK_EQ_STR(h->control, "ents");
	CHECK_EQ_STR(h->label, "Drug");
	CHECK(h->attribute == NULL);
	h = label_schema_hotkey(s, "X");
	CHECK(h && h->label == NULL);
	CHECK_EQ_STR(h->attribute, "negated");
	CHECK(label_schema_hotkey(s, "d") == NULL);
	CHECK(label_schema_hotkey(s, "ctrl+z") == NULL);
	char out[32];
	struct ml_err err;
	CHECK(label_hotkey_normalise("Meta+Alt+Ctrl+F2", out, sizeof out, &err) == 0);
	CHECK_EQ_STR(out, "ctrl+alt+meta+f2");
	CHECK(label_hotkey_normalise("cmd+shift+Z", out, sizeof out, &err) == -1);
	CHECK_EQ_STR(err.msg, "hotkey 'shift+meta+z' is reserved for redo");
	CHECK(label_hotkey_normalise("ctrl++", out, sizeof out, &err) == -1);
	label_schema_free(s);
}

TEST(schema_without_modalities_allows_every_kind)
{
	struct label_schema *s = parse("{\"format\":1,\"name\":\"all\",\"controls\":[{\"name\":\"a\",\"kind\":\"span\","
				       "\"labels\":[{\"value\":\"x\"}]},{\"name\":\"b\",\"kind\":\"video_track\",\"labels\":"
				       "[{\"value\":\"y\"}]}]}");
	CHECK(s);
	CHECK_EQ_INT(s->modalities, 0xFE);
	label_schema_free(s);
}

TEST(schema_limits_are_checked_before_parsing)
{
	size_t n = LABEL_MAX_SCHEMA_BYTES + 1;
	char *big = malloc(n);
	CHECK(big);
	memset(big, ' ', n);
	struct label_schema *s = (struct label_schema *)1;
	struct ml_err err;
	CHECK(label_schema_parse(big, n, &s, &err) == -1);
	CHECK(s == NULL);
	CHECK_EQ_INT(err.code, ML_ELIMIT);
	free(big);
	/* more controls than the limit */
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(ml_buf_puts(&b, "{\"format\":1,\"name\":\"t\",\"controls\":[") == 0);
	for (int i = 0; i <= LABEL_MAX_CONTROLS; i++)
		CHECK(ml_buf_printf(&b, "%s{\"name\":\"c%d\",\"kind\":\"text\"}", i ? "," : "", i) == 0);
	CHECK(ml_buf_puts(&b, "]}") == 0);
	CHECK(label_schema_parse(b.data, b.len, &s, &err) == -1);
	CHECK_EQ_STR(err.field, "/controls");
	CHECK_EQ_STR(err.msg, "expected at most 512 elements, got 513");
	ml_buf_release(&b);
}

TEST(long_pointers_are_truncated_not_overflowed)
{
	/* a key of 300 bytes: the message shows 40 bytes of it and the pointer fits err->field */
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(ml_buf_puts(&b, "{\"format\":1,\"") == 0);
	for (int i = 0; i < 300; i++)
		CHECK(ml_buf_putc(&b, 'k') == 0);
	CHECK(ml_buf_puts(&b, "\":1}") == 0);
	struct label_schema *s = NULL;
	struct ml_err err;
	CHECK(label_schema_parse(b.data, b.len, &s, &err) == -1);
	CHECK_EQ_INT(strlen(err.field), sizeof err.field - 1);
	CHECK(strncmp(err.msg, "unknown field 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk' in", 57) == 0);
	ml_buf_release(&b);
}

/* ---- diff ------------------------------------------------------------------------------------------- */

static struct label_diff *diff_of(const char *a, const char *b)
{
	struct label_schema *sa = parse(a), *sb = parse(b);
	struct label_diff *d = NULL;
	struct ml_err err;
	if (sa && sb && label_schema_diff(sa, sb, &d, &err))
		d = NULL;
	label_schema_free(sa);
	label_schema_free(sb);
	return d;
}

static int affected(const struct label_diff *d, const char *ann)
{
	struct ml_err err;
	return label_annotation_affected(d, ann, strlen(ann), &err);
}

TEST(compatible_changes_make_an_empty_diff)
{
	/* new labels, colours, hotkeys, titles, a new optional control, looser relation pairs */
	const char *v2 =
		"{\"format\":1,\"name\":\"notes\",\"version\":\"2\",\"modalities\":[\"text\",\"image\"],\"controls\":["
		"{\"name\":\"doc\",\"kind\":\"classification\",\"title\":\"Document\",\"labels\":[{\"value\":\"discharge\",\"hotkey\":\"3\"},"
		"{\"value\":\"progress\",\"color\":\"#000000\"},{\"value\":\"radiology\"}]},"
		"{\"name\":\"ents\",\"kind\":\"span\",\"labels\":[{\"value\":\"Drug\"},{\"value\":\"Dosage\"},"
		"{\"value\":\"Phenotype\"},{\"value\":\"Lab\"}],\"attributes\":[{\"name\":\"negated\",\"type\":\"boolean\"},"
		"{\"name\":\"certainty\",\"type\":\"choice\",\"values\":[\"certain\",\"uncertain\",\"possible\",\"unlikely\"]}],"
		"\"codings\":[{\"system\":\"HPO\",\"version\":\"2024-04-26\"},{\"system\":\"SNOMED-CT\"}]},"
		"{\"name\":\"rel\",\"kind\":\"relation\",\"between\":[\"ents\"],\"labels\":[{\"value\":\"dose_of\"}]},"
		"{\"name\":\"seg\",\"kind\":\"mask\",\"labels\":[{\"value\":\"liver\"},{\"value\":\"spleen\",\"mask_value\":7}]},"
		"{\"name\":\"comment\",\"kind\":\"text\"}]}";
	struct label_diff *d = diff_of(NOTES_V1, v2);
	CHECK(d);
	for (size_t i = 0; i < d->nchanges; i++)
		printf("#   unexpected: %s\n", d->changes[i].what);
	CHECK_EQ_INT(d->nchanges, 0);
	CHECK_EQ_INT(affected(d, "{\"results\":[{\"id\":\"a\",\"control\":\"doc\",\"choices\":[\"discharge\"]}]}"), 0);
	label_diff_free(d);
}

TEST(incompatible_changes_are_listed_and_affect_only_annotations_using_them)
{
	const char *v2 =
		"{\"format\":1,\"name\":\"notes\",\"version\":\"2\",\"modalities\":[\"text\",\"image\"],\"controls\":["
		"{\"name\":\"doc\",\"kind\":\"classification\",\"required\":true,\"labels\":[{\"value\":\"discharge\"}]},"
		"{\"name\":\"ents\",\"kind\":\"span\",\"labels\":[{\"value\":\"Drug\"},{\"value\":\"Dosage\"},"
		"{\"value\":\"Phenotype\"}],\"attributes\":[{\"name\":\"negated\",\"type\":\"boolean\"},"
		"{\"name\":\"certainty\",\"type\":\"choice\",\"values\":[\"certain\",\"uncertain\"]},"
		"{\"name\":\"experiencer\",\"type\":\"choice\",\"values\":[\"patient\",\"family\"],\"required\":true}],"
		"\"codings\":[{\"system\":\"HPO\",\"version\":\"2025-01-01\"}]},"
		"{\"name\":\"seg\",\"kind\":\"mask\",\"labels\":[{\"value\":\"liver\",\"mask_value\":2},{\"value\":\"spleen\",\"mask_value\":7}]}]}";
	struct label_diff *d = diff_of(NOTES_V1, v2);
	CHECK(d);
	const char *want[] = {
		"label 'progress' removed from control 'doc'",
		"value 'possible' removed from attribute 'certainty' of control 'ents'",
		"attribute 'experiencer' of control 'ents' became required",
		"code system 'HPO' of control 'ents' changed version or subtree",
		"control 'rel' removed",
		"label 'liver' of control 'seg' changed mask value from 1 to 2",
		"control 'doc' became required",
	};
	for (size_t i = 0; i < d->nchanges; i++)
		printf("#   change %zu: %s\n", i, d->changes[i].what);
	CHECK_EQ_INT(d->nchanges, ML_ARRAY_LEN(want));
	for (size_t i = 0; i < ML_ARRAY_LEN(want); i++)
		CHECK_EQ_STR(d->changes[i].what, want[i]);
	CHECK_EQ_INT(d->changes[0].kind, LABEL_CHANGE_LABEL);
	CHECK_EQ_STR(d->changes[0].label, "progress");
	CHECK_EQ_INT(d->changes[2].kind, LABEL_CHANGE_ATTRIBUTE);
	CHECK(d->changes[2].when_missing);
	CHECK_EQ_INT(d->changes[4].kind, LABEL_CHANGE_CONTROL);
	CHECK_EQ_INT(d->changes[6].kind, LABEL_CHANGE_REQUIRED);

	const char *doc_discharge = "{\"id\":\"d\",\"control\":\"doc\",\"choices\":[\"discharge\"]}";
	char buf[1024];
	/* uses a removed label */
	CHECK_EQ_INT(affected(d, "{\"results\":[{\"id\":\"d\",\"control\":\"doc\",\"choices\":[\"progress\"]}]}"), 1);
	/* lacks the newly required control */
	CHECK_EQ_INT(affected(d, "{\"results\":[]}"), 1);
	/* untouched */
	snprintf(buf, sizeof buf, "{\"results\":[%s]}", doc_discharge);
	CHECK_EQ_INT(affected(d, buf), 0);
	/* a span without the newly required attribute */
	snprintf(buf, sizeof buf, "{\"results\":[%s,{\"id\":\"s\",\"control\":\"ents\",\"label\":\"Drug\",\"start\":0,"
		 "\"end\":1,\"text\":\"a\"}]}", doc_discharge);
	CHECK_EQ_INT(affected(d, buf), 1);
	snprintf(buf, sizeof buf, "{\"results\":[%s,{\"id\":\"s\",\"control\":\"ents\",\"label\":\"Drug\",\"start\":0,"
		 "\"end\":1,\"text\":\"a\",\"attributes\":{\"experiencer\":\"patient\"}}]}", doc_discharge);
	CHECK_EQ_INT(affected(d, buf), 0);
	/* a relation of the removed control */
	snprintf(buf, sizeof buf, "{\"results\":[%s,{\"id\":\"r\",\"control\":\"rel\",\"label\":\"dose_of\",\"from\":\"a\","
		 "\"to\":\"b\"}]}", doc_discharge);
	CHECK_EQ_INT(affected(d, buf), 1);
	/* a mask of the renumbered label, and one of the unchanged label */
	snprintf(buf, sizeof buf, "{\"results\":[%s,{\"id\":\"m\",\"control\":\"seg\",\"label\":\"liver\"}]}", doc_discharge);
	CHECK_EQ_INT(affected(d, buf), 1);
	snprintf(buf, sizeof buf, "{\"results\":[%s,{\"id\":\"m\",\"control\":\"seg\",\"label\":\"spleen\"}]}", doc_discharge);
	CHECK_EQ_INT(affected(d, buf), 0);
	/* codes under the changed coding */
	snprintf(buf, sizeof buf, "{\"results\":[%s,{\"id\":\"s\",\"control\":\"ents\",\"label\":\"Drug\",\"start\":0,"
		 "\"end\":1,\"text\":\"a\",\"attributes\":{\"experiencer\":\"patient\"},\"codes\":[{\"system\":\"HPO\","
		 "\"code\":\"HP:1\"}]}]}", doc_discharge);
	CHECK_EQ_INT(affected(d, buf), 1);
	/* bad input */
	struct ml_err err;
	CHECK_EQ_INT(label_annotation_affected(d, "{\"x\":1}", 7, &err), -1);
	CHECK_EQ_STR(err.field, "/results");
	CHECK_EQ_INT(label_annotation_affected(d, "{", 1, &err), -1);
	label_diff_free(d);
}

TEST(kind_and_per_region_changes)
{
	const char *a = "{\"format\":1,\"name\":\"ct\",\"controls\":[{\"name\":\"nodule\",\"kind\":\"box\",\"labels\":[{\"value\":\"n\"}]},"
			"{\"name\":\"type\",\"kind\":\"classification\",\"multiple\":true,\"target\":\"nodule\",\"labels\":[{\"value\":\"solid\"}]},"
			"{\"name\":\"spine\",\"kind\":\"keypoints\",\"points\":[\"c7\",\"l5\"],\"labels\":[{\"value\":\"s\"}]}]}";
	const char *b = "{\"format\":1,\"name\":\"ct\",\"controls\":[{\"name\":\"nodule\",\"kind\":\"polygon\",\"labels\":[{\"value\":\"n\"}]},"
			"{\"name\":\"type\",\"kind\":\"classification\",\"required\":true,\"target\":\"nodule\",\"labels\":[{\"value\":\"solid\"}]},"
			"{\"name\":\"spine\",\"kind\":\"keypoints\",\"points\":[\"c7\",\"t12\"],\"labels\":[{\"value\":\"s\"}]}]}";
	struct label_diff *d = diff_of(a, b);
	CHECK(d);
	CHECK_EQ_INT(d->nchanges, 4);
	CHECK_EQ_STR(d->changes[0].what, "control 'nodule' changed kind");
	CHECK_EQ_STR(d->changes[1].what, "control 'type' no longer allows several choices");
	CHECK_EQ_STR(d->changes[2].what, "control 'spine' removed a keypoint");
	CHECK_EQ_STR(d->changes[3].what, "control 'type' became required for every result of nodule");
	CHECK_EQ_STR(d->changes[3].target, "nodule");
	label_diff_free(d);
	/* only the per-region requirement: an annotation with an undescribed region is affected */
	const char *c = "{\"format\":1,\"name\":\"ct\",\"controls\":[{\"name\":\"nodule\",\"kind\":\"box\",\"labels\":[{\"value\":\"n\"}]},"
			"{\"name\":\"type\",\"kind\":\"classification\",\"multiple\":true,\"required\":true,\"target\":\"nodule\",\"labels\":[{\"value\":\"solid\"}]},"
			"{\"name\":\"spine\",\"kind\":\"keypoints\",\"points\":[\"c7\",\"l5\"],\"labels\":[{\"value\":\"s\"}]}]}";
	d = diff_of(a, c);
	CHECK(d);
	CHECK_EQ_INT(d->nchanges, 1);
	CHECK_EQ_INT(affected(d, "{\"results\":[{\"id\":\"b\",\"control\":\"nodule\",\"label\":\"n\"}]}"), 1);
	CHECK_EQ_INT(affected(d, "{\"results\":[{\"id\":\"b\",\"control\":\"nodule\",\"label\":\"n\"},"
				 "{\"id\":\"t\",\"control\":\"type\",\"region\":\"b\",\"choices\":[\"solid\"]}]}"), 0);
	CHECK_EQ_INT(affected(d, "{\"results\":[]}"), 0);
	label_diff_free(d);
}

/* ---- annotation context ------------------------------------------------------------------------------ */

TEST(item_text_must_be_utf8_and_offsets_count_code_points)
{
	struct label_schema *s = parse("{\"format\":1,\"name\":\"t\",\"controls\":[{\"name\":\"e\",\"kind\":\"span\","
				       "\"labels\":[{\"value\":\"X\"}]}]}");
	CHECK(s);
	struct label_item_ctx ctx;
	label_item_ctx_init(&ctx);
	CHECK_EQ_INT(ctx.text_cp, -1);
	ctx.text = "\xF0\x9F\x98\x80 ok"; /* an emoji is one code point */
	ctx.text_len = strlen(ctx.text);
	const char *ann = "{\"results\":[{\"id\":\"a\",\"control\":\"e\",\"label\":\"X\",\"start\":2,\"end\":4,\"text\":\"ok\"}]}";
	struct ml_err err;
	CHECK(label_annotation_validate(s, ann, strlen(ann), &ctx, &err) == 0);
	ctx.text = "\xC3\x28 ok";
	ctx.text_len = strlen(ctx.text);
	CHECK(label_annotation_validate(s, ann, strlen(ann), &ctx, &err) == -1);
	CHECK_EQ_STR(err.msg, "the item text is not valid UTF-8 at byte 0");
	/* without a ctx nothing item-specific is checked */
	CHECK(label_annotation_validate(s, ann, strlen(ann), NULL, &err) == 0);
	label_schema_free(s);
}

TEST(errors_never_quote_item_text)
{
	struct label_schema *s = parse("{\"format\":1,\"name\":\"t\",\"controls\":[{\"name\":\"e\",\"kind\":\"span\","
				       "\"labels\":[{\"value\":\"X\"}]},{\"name\":\"c\",\"kind\":\"text\",\"max_length\":3}]}");
	CHECK(s);
	struct label_item_ctx ctx;
	label_item_ctx_init(&ctx);
	ctx.text = "Smith John";
	ctx.text_len = strlen(ctx.text);
	struct ml_err err;
	const char *a1 = "{\"results\":[{\"id\":\"a\",\"control\":\"e\",\"label\":\"X\",\"start\":0,\"end\":5,\"text\":\"Jones\"}]}";
	CHECK(label_annotation_validate(s, a1, strlen(a1), &ctx, &err) == -1);
	CHECK(!strstr(err.msg, "Jones") && !strstr(err.msg, "Smith"));
	const char *a2 = "{\"results\":[{\"id\":\"a\",\"control\":\"c\",\"text\":\"Smith\"}]}";
	CHECK(label_annotation_validate(s, a2, strlen(a2), &ctx, &err) == -1);
	CHECK(!strstr(err.msg, "Smith"));
	const char *a3 = "{\"results\":[{\"id\":\"a\",\"control\":\"c\",\"text\":\"Smith\"]}";
	CHECK(label_annotation_validate(s, a3, strlen(a3), &ctx, &err) == -1);
	CHECK(!strstr(err.msg, "Smith"));
	label_schema_free(s);
}

/* CPU time of this thread: other processes on a loaded machine do not disturb it as they do wall time. */
static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Validation must take time linear in the body. Each test times n and 4n results (best of three runs each, in CPU time)
 * and requires the ratio to stay well under 16, the ratio a pairwise (quadratic) check would give; a ratio
 * holds on a loaded machine and under sanitizers where an absolute time would not. */
struct scale {
	const struct label_schema *s;
	void (*make)(struct ml_buf *body, struct ml_buf *note, int n);
	const char *what;
};

static void put(struct ml_buf *b, const char *fmt, ...) ML_PRINTF(2, 3);
static void put(struct ml_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (ml_buf_puts(b, tmp))
		abort();
}

/* CPU seconds for the best of three validations of a body of n results; -1 if it did not validate. */
static double best_of_three(const struct scale *sc, int n)
{
	struct ml_buf body, note;
	ml_buf_init(&body, 0);
	ml_buf_init(&note, 0);
	sc->make(&body, &note, n);
	struct label_item_ctx ctx;
	label_item_ctx_init(&ctx);
	if (note.len) {
		ctx.text = note.data;
		ctx.text_len = note.len;
	}
	double best = 1e9;
	for (int k = 0; k < 3 && best >= 0; k++) {
		struct ml_err err;
		int64_t t0 = cpu_ns();
		int rc = label_annotation_validate(sc->s, body.data, body.len, &ctx, &err);
		double t = (double)(cpu_ns() - t0) / 1e9;
		if (rc) {
			printf("#   %s: %s\n", err.field, err.msg);
			best = -1;
		} else if (t < best) {
			best = t;
		}
	}
	ml_buf_release(&body);
	ml_buf_release(&note);
	return best;
}

static int scales_linearly(const struct scale *sc, int n)
{
	double t1 = best_of_three(sc, n), t4 = best_of_three(sc, 4 * n);
	if (t1 < 0 || t4 < 0)
		return 0;
	printf("#   %s: %d in %.4f s, %d in %.4f s (ratio %.1f)\n", sc->what, n, t1, 4 * n, t4, t4 / t1);
	return t4 / t1 < 10.0;
}

static void make_spans(struct ml_buf *b, struct ml_buf *note, int n)
{
	(void)note;
	put(b, "{\"results\":[");
	for (int i = 0; i < n; i++)
		put(b, "%s{\"id\":\"r%d\",\"control\":\"e\",\"label\":\"X\",\"start\":%d,\"end\":%d,\"text\":\"ab\"}", i ? "," : "",
		    i, 3 * i, 3 * i + 2);
	put(b, "]}");
}

TEST(spans_validate_in_linear_time)
{
	/* ids are hashed and the overlap check is a sort, not a pairwise scan */
	struct label_schema *s = parse("{\"format\":1,\"name\":\"t\",\"controls\":[{\"name\":\"e\",\"kind\":\"span\","
				       "\"labels\":[{\"value\":\"X\"}]}]}");
	CHECK(s);
	struct scale sc = {s, make_spans, "spans"};
	int ok = scales_linearly(&sc, 5000);
	label_schema_free(s);
	CHECK(ok);
}

static void make_regions(struct ml_buf *b, struct ml_buf *note, int n)
{
	(void)note;
	put(b, "{\"results\":[");
	for (int i = 0; i < n; i++)
		put(b, "%s{\"id\":\"b%d\",\"control\":\"b\",\"label\":\"n\",\"x\":1,\"y\":1,\"w\":2,\"h\":2},"
		       "{\"id\":\"t%d\",\"control\":\"t\",\"region\":\"b%d\",\"choices\":[\"x\"]},"
		       "{\"id\":\"e%d\",\"control\":\"e\",\"label\":\"A\",\"start\":%d,\"end\":%d,\"text\":\"a\"}",
		    i ? "," : "", i, i, i, i, i, i + 1);
	for (int i = 0; i + 1 < n; i++)
		put(b, ",{\"id\":\"r%d\",\"control\":\"r\",\"label\":\"to\",\"from\":\"e%d\",\"to\":\"e%d\"}", i, i + 1, i);
	put(b, "]}");
}

static const char *REGIONS_SCHEMA =
	"{\"format\":1,\"name\":\"t\",\"controls\":[{\"name\":\"b\",\"kind\":\"box\",\"labels\":[{\"value\":\"n\"}]},"
	"{\"name\":\"t\",\"kind\":\"classification\",\"target\":\"b\",\"required\":true,\"labels\":[{\"value\":\"x\"}]},"
	"{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"}]},"
	"{\"name\":\"r\",\"kind\":\"relation\",\"between\":[\"e\"],\"labels\":[{\"value\":\"to\",\"directed\":false}]}]}";

TEST(regions_and_relations_validate_in_linear_time)
{
	/* boxes each with a required per-region class, and relations between spans: one-per-region,
	 * required-per-region and duplicate-relation checks are hashed, not pairwise */
	struct label_schema *s = parse(REGIONS_SCHEMA);
	CHECK(s);
	struct scale sc = {s, make_regions, "boxes + classes + spans + relations"};
	int ok = scales_linearly(&sc, 2500);
	label_schema_free(s);
	CHECK(ok);
}

TEST(duplicate_relation_found_among_many)
{
	struct label_schema *s = parse(REGIONS_SCHEMA);
	CHECK(s);
	struct ml_buf b, none;
	ml_buf_init(&b, 0);
	ml_buf_init(&none, 0);
	make_regions(&b, &none, 10000);
	b.len -= 2; /* reopen the results array */
	put(&b, ",{\"id\":\"dup\",\"control\":\"r\",\"label\":\"to\",\"from\":\"e0\",\"to\":\"e1\"}]}");
	struct ml_err err;
	int rc = label_annotation_validate(s, b.data, b.len, NULL, &err);
	ml_buf_release(&b);
	label_schema_free(s);
	CHECK_EQ_INT(rc, -1);
	CHECK_EQ_STR(err.msg, "duplicate relation, already at /results/30000");
	CHECK_EQ_STR(err.field, "/results/39999");
}

static void make_note_spans(struct ml_buf *b, struct ml_buf *note, int n)
{
	/* a note in two scripts (2- and 3-byte code points), 10 code points per span */
	for (int i = 0; i < n; i++)
		put(note, "fièvre 发热 ");
	put(b, "{\"results\":[");
	for (int i = 0; i < n; i++)
		put(b, "%s{\"id\":\"s%d\",\"control\":\"e\",\"label\":\"X\",\"start\":%d,\"end\":%d,\"text\":\"发热\"}", i ? "," : "",
		    i, 10 * i + 7, 10 * i + 9);
	put(b, "]}");
}

TEST(spans_checked_against_a_long_note_in_linear_time)
{
	/* the text is indexed once, not scanned from its start for every span (5,000 spans: a 100 KB note) */
	struct label_schema *s = parse("{\"format\":1,\"name\":\"t\",\"controls\":[{\"name\":\"e\",\"kind\":\"span\","
				       "\"labels\":[{\"value\":\"X\"}]}]}");
	CHECK(s);
	struct scale sc = {s, make_note_spans, "spans checked against the note"};
	int ok = scales_linearly(&sc, 5000);
	label_schema_free(s);
	CHECK(ok);
}

/* ---- masks ------------------------------------------------------------------------------------------- */

TEST(rle_round_trips_and_refuses_bad_runs)
{
	enum { H = 7, W = 9 };
	uint8_t mask[H * W], back[H * W];
	uint32_t counts[H * W + 1];
	unsigned seed = 12345;
	for (int trial = 0; trial < 200; trial++) {
		int density = trial % 5; /* all background, sparse, half, dense, all foreground */
		for (int i = 0; i < H * W; i++) {
			seed = seed * 1103515245u + 12345u;
			mask[i] = density == 0 ? 0 : density == 4 ? 1 : ((seed >> 16) % 4) < (unsigned)density;
		}
		size_t n = label_rle_encode(mask, H, W, counts);
		CHECK(n >= 1 && n <= H * W + 1);
		for (size_t i = 1; i < n; i++)
			CHECK(counts[i] > 0);
		struct ml_err err;
		CHECK(label_rle_decode(counts, n, H, W, back, &err) == 0);
		CHECK(memcmp(mask, back, sizeof mask) == 0);
	}
	/* the first row foreground, row-major: [0, 9, 54] */
	memset(mask, 0, sizeof mask);
	memset(mask, 1, W);
	CHECK_EQ_INT(label_rle_encode(mask, H, W, counts), 3);
	CHECK_EQ_INT(counts[0], 0);
	CHECK_EQ_INT(counts[1], W);
	CHECK_EQ_INT(counts[2], H * W - W);
	struct ml_err err;
	uint32_t short_runs[] = {0, 9, 53};
	CHECK(label_rle_decode(short_runs, 3, H, W, back, &err) == -1);
	CHECK_EQ_STR(err.msg, "RLE runs cover 62 pixels, expected 7 x 9 = 63");
	uint32_t long_runs[] = {0, 9, 55};
	CHECK(label_rle_decode(long_runs, 3, H, W, back, &err) == -1);
	CHECK_EQ_STR(err.msg, "RLE runs cover more than the 63 pixels of the mask");
	uint32_t empty_run[] = {3, 0, 60};
	CHECK(label_rle_decode(empty_run, 3, H, W, back, &err) == -1);
	CHECK_EQ_STR(err.msg, "RLE run 1 is empty; only the first run (of 0s) may be 0");
}

TEST(errors_may_be_ignored_with_a_null_err)
{
	struct label_schema *s = NULL;
	CHECK(label_schema_parse("{\"format\":9}", 12, &s, NULL) == -1);
	CHECK(label_schema_parse("{", 1, &s, NULL) == -1);
	CHECK(s == NULL);
	s = parse("{\"format\":1,\"name\":\"t\",\"controls\":[{\"name\":\"c\",\"kind\":\"text\"}]}");
	CHECK(s);
	CHECK(label_annotation_validate(s, "{\"format\":2,\"results\":[]}", 26, NULL, NULL) == -1);
	CHECK(label_annotation_validate(s, "{\"results\":[{\"id\":\"a\",\"control\":\"x\"}]}", 39, NULL, NULL) == -1);
	CHECK(label_annotation_validate(NULL, "{\"results\":[]}", 14, NULL, NULL) == -1);
	CHECK(label_annotation_validate(s, "{\"results\":[]}", 14, NULL, NULL) == 0);
	label_schema_free(s);
	label_schema_free(NULL);
	label_diff_free(NULL);
}

/* One incompatible change per row: old and new control lists, and the one change the diff must report. */
static const struct {
	const char *old_controls, *new_controls, *what;
} diff_rows[] = {
	{"{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"},{\"value\":\"B\"}]},"
	 "{\"name\":\"r\",\"kind\":\"relation\",\"between\":[\"e\"],\"labels\":[{\"value\":\"to\",\"pairs\":[{\"from\":\"A\",\"to\":\"B\"},{\"from\":\"B\",\"to\":\"A\"}]}]}",
	 "{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"},{\"value\":\"B\"}]},"
	 "{\"name\":\"r\",\"kind\":\"relation\",\"between\":[\"e\"],\"labels\":[{\"value\":\"to\",\"pairs\":[{\"from\":\"A\",\"to\":\"B\"}]}]}",
	 "relation 'to' of control 'r' allows fewer pairs"},
	{"{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"},{\"value\":\"B\"}]},"
	 "{\"name\":\"r\",\"kind\":\"relation\",\"between\":[\"e\"],\"labels\":[{\"value\":\"to\",\"directed\":false,\"pairs\":[{\"from\":\"A\",\"to\":\"B\"}]}]}",
	 "{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"},{\"value\":\"B\"}]},"
	 "{\"name\":\"r\",\"kind\":\"relation\",\"between\":[\"e\"],\"labels\":[{\"value\":\"to\",\"pairs\":[{\"from\":\"A\",\"to\":\"B\"}]}]}",
	 "relation 'to' of control 'r' allows fewer pairs"},
	{"{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"}]},{\"name\":\"f\",\"kind\":\"span\",\"labels\":[{\"value\":\"B\"}]},"
	 "{\"name\":\"r\",\"kind\":\"relation\",\"between\":[\"e\",\"f\"],\"labels\":[{\"value\":\"to\"}]}",
	 "{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"}]},{\"name\":\"f\",\"kind\":\"span\",\"labels\":[{\"value\":\"B\"}]},"
	 "{\"name\":\"r\",\"kind\":\"relation\",\"between\":[\"e\"],\"labels\":[{\"value\":\"to\"}]}",
	 "control 'r' links fewer controls"},
	{"{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"}],\"attributes\":[{\"name\":\"neg\",\"type\":\"boolean\"}]}",
	 "{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"}]}", "attribute 'neg' removed from control 'e'"},
	{"{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"}],\"attributes\":[{\"name\":\"neg\",\"type\":\"boolean\"}]}",
	 "{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"}],\"attributes\":[{\"name\":\"neg\",\"type\":\"text\"}]}",
	 "attribute 'neg' of control 'e' changed type"},
	{"{\"name\":\"d\",\"kind\":\"coded\",\"codings\":[{\"system\":\"HPO\"},{\"system\":\"ICD\"}]}",
	 "{\"name\":\"d\",\"kind\":\"coded\",\"codings\":[{\"system\":\"HPO\"}]}", "code system 'ICD' removed from control 'd'"},
	{"{\"name\":\"d\",\"kind\":\"coded\",\"codings\":[{\"system\":\"HPO\"}]}",
	 "{\"name\":\"d\",\"kind\":\"coded\",\"codings\":[{\"system\":\"HPO\",\"subtree\":\"HP:1\"}]}",
	 "code system 'HPO' of control 'd' changed version or subtree"},
	{"{\"name\":\"b\",\"kind\":\"box\",\"labels\":[{\"value\":\"A\"}]},{\"name\":\"p\",\"kind\":\"polygon\",\"labels\":[{\"value\":\"A\"}]},"
	 "{\"name\":\"t\",\"kind\":\"text\",\"target\":\"b\"}",
	 "{\"name\":\"b\",\"kind\":\"box\",\"labels\":[{\"value\":\"A\"}]},{\"name\":\"p\",\"kind\":\"polygon\",\"labels\":[{\"value\":\"A\"}]},"
	 "{\"name\":\"t\",\"kind\":\"text\",\"target\":\"p\"}",
	 "control 't' changed target"},
	{"{\"name\":\"m\",\"kind\":\"mask\",\"overlap\":true,\"labels\":[{\"value\":\"A\"}]}",
	 "{\"name\":\"m\",\"kind\":\"mask\",\"labels\":[{\"value\":\"A\"}]}", "control 'm' no longer allows overlap"},
	{"{\"name\":\"o\",\"kind\":\"object3d\",\"labels\":[{\"value\":\"A\"}]}",
	 "{\"name\":\"o\",\"kind\":\"object3d\",\"part_shape\":\"polygon\",\"labels\":[{\"value\":\"A\"}]}",
	 "control 'o' changed part shape"},
	{"{\"name\":\"t\",\"kind\":\"text\",\"max_length\":100}", "{\"name\":\"t\",\"kind\":\"text\",\"max_length\":50}",
	 "control 't' lowered its maximum length"},
	{"{\"name\":\"t\",\"kind\":\"text\",\"multiline\":true}", "{\"name\":\"t\",\"kind\":\"text\"}",
	 "control 't' no longer allows several lines"},
	{"{\"name\":\"a\",\"kind\":\"audio_segment\",\"transcription\":\"optional\",\"labels\":[{\"value\":\"A\"}]}",
	 "{\"name\":\"a\",\"kind\":\"audio_segment\",\"transcription\":\"required\",\"labels\":[{\"value\":\"A\"}]}",
	 "control 'a' changed its transcription rule"},
	{"{\"name\":\"s\",\"kind\":\"survey_code\",\"labels\":[{\"value\":\"A\"}]}",
	 "{\"name\":\"s\",\"kind\":\"survey_code\",\"questions\":[\"q1\"],\"labels\":[{\"value\":\"A\"}]}",
	 "control 's' codes fewer questions"},
	{"{\"name\":\"s\",\"kind\":\"survey_code\",\"questions\":[\"q1\",\"q2\"],\"labels\":[{\"value\":\"A\"}]}",
	 "{\"name\":\"s\",\"kind\":\"survey_code\",\"questions\":[\"q1\"],\"labels\":[{\"value\":\"A\"}]}",
	 "control 's' codes fewer questions"},
};

TEST(each_incompatible_change_is_reported)
{
	int failed = 0;
	for (size_t i = 0; i < ML_ARRAY_LEN(diff_rows); i++) {
		char *a = ml_xasprintf("{\"format\":1,\"name\":\"t\",\"controls\":[%s]}", diff_rows[i].old_controls);
		char *b = ml_xasprintf("{\"format\":1,\"name\":\"t\",\"controls\":[%s]}", diff_rows[i].new_controls);
		struct label_diff *d = diff_of(a, b);
		if (!d || d->nchanges != 1 || strcmp(d->changes[0].what, diff_rows[i].what) != 0) {
			printf("#   row %zu: want \"%s\", got %zu changes%s%s\n", i, diff_rows[i].what, d ? d->nchanges : 0,
			       d && d->nchanges ? ": " : "", d && d->nchanges ? d->changes[0].what : "");
			failed++;
		}
		/* and a schema compared with itself gives an empty diff */
		struct label_diff *same = diff_of(a, a);
		if (!same || same->nchanges != 0) {
			printf("#   row %zu: a schema differs from itself\n", i);
			failed++;
		}
		label_diff_free(d);
		label_diff_free(same);
		ml_free(a);
		ml_free(b);
	}
	CHECK_EQ_INT(failed, 0);
}

/* A schema with n labels (with pairs) and n survey questions, and a body choosing every label and coding
 * every question: duplicate checks and lookups are sorted, so 4n costs about 4n log 4n, not 16 n^2. */
static char *big_schema(int n)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	put(&b, "{\"format\":1,\"name\":\"big\",\"controls\":[{\"name\":\"c\",\"kind\":\"classification\",\"multiple\":true,\"labels\":[");
	for (int i = 0; i < n; i++)
		put(&b, "%s{\"value\":\"L%d\"}", i ? "," : "", i);
	put(&b, "]},{\"name\":\"s\",\"kind\":\"survey_code\",\"questions\":[");
	for (int i = 0; i < n; i++)
		put(&b, "%s\"q%d\"", i ? "," : "", i);
	put(&b, "],\"labels\":[{\"value\":\"x\"}]},{\"name\":\"e\",\"kind\":\"span\",\"labels\":[");
	for (int i = 0; i < n; i++)
		put(&b, "%s{\"value\":\"E%d\"}", i ? "," : "", i);
	put(&b, "]},{\"name\":\"r\",\"kind\":\"relation\",\"between\":[\"e\"],\"labels\":[{\"value\":\"to\",\"pairs\":[");
	for (int i = 0; i + 1 < n; i++)
		put(&b, "%s{\"from\":\"E%d\",\"to\":\"E%d\"}", i ? "," : "", i, i + 1);
	put(&b, "]}]}]}");
	return ml_buf_detach(&b, NULL);
}

static char *big_body(int n)
{
	struct ml_buf b;
	ml_buf_init(&b, 0);
	put(&b, "{\"results\":[{\"id\":\"c\",\"control\":\"c\",\"choices\":[");
	for (int i = 0; i < n; i++)
		put(&b, "%s\"L%d\"", i ? "," : "", n - 1 - i);
	put(&b, "]}");
	for (int i = 0; i < n; i++)
		put(&b, ",{\"id\":\"s%d\",\"control\":\"s\",\"question\":\"q%d\",\"choices\":[\"x\"]}", i, i);
	for (int i = 0; i < n; i++)
		put(&b, ",{\"id\":\"e%d\",\"control\":\"e\",\"label\":\"E%d\",\"start\":%d,\"end\":%d,\"text\":\"a\"}", i, i, i, i + 1);
	for (int i = 0; i + 1 < n; i++)
		put(&b, ",{\"id\":\"r%d\",\"control\":\"r\",\"label\":\"to\",\"from\":\"e%d\",\"to\":\"e%d\"}", i, i, i + 1);
	put(&b, "]}");
	return ml_buf_detach(&b, NULL);
}

static double time_big(int n, bool *ok)
{
	char *schema = big_schema(n), *body = big_body(n);
	double best = 1e9;
	for (int k = 0; k < 3; k++) {
		struct label_schema *s = NULL;
		struct ml_err err;
		int64_t t0 = cpu_ns();
		int rc = label_schema_parse(schema, strlen(schema), &s, &err);
		if (rc == 0)
			rc = label_annotation_validate(s, body, strlen(body), NULL, &err);
		double t = (double)(cpu_ns() - t0) / 1e9;
		if (rc) {
			printf("#   n=%d: %s: %s\n", n, err.field, err.msg);
			*ok = false;
		}
		label_schema_free(s);
		if (t < best)
			best = t;
	}
	ml_free(schema);
	ml_free(body);
	return best;
}

TEST(large_schemas_parse_and_validate_in_n_log_n_time)
{
	bool ok = true;
	double t1 = time_big(2500, &ok), t4 = time_big(10000, &ok);
	CHECK(ok);
	printf("#   2500 labels/questions/pairs in %.4f s, 10000 in %.4f s (ratio %.1f)\n", t1, t4, t4 / t1);
	CHECK(t4 / t1 < 10.0);
}

TEST(mask_overlap_agrees_with_brute_force)
{
	/* random masks on random frames: the validator refuses exactly when two masks of one frame share a pixel */
	struct label_schema *s = parse("{\"format\":1,\"name\":\"m\",\"controls\":[{\"name\":\"seg\",\"kind\":\"mask\","
				       "\"labels\":[{\"value\":\"a\"},{\"value\":\"b\"}]}]}");
	CHECK(s);
	enum { H = 5, W = 5, MAXM = 5 };
	unsigned seed = 99;
	int refused = 0, accepted = 0, wrong = 0;
	for (int trial = 0; trial < 500; trial++) {
		uint8_t masks[MAXM][H * W];
		int frames[MAXM];
		seed = seed * 1103515245u + 12345u;
		int m = 2 + (int)((seed >> 16) % (MAXM - 1));
		for (int k = 0; k < m; k++) {
			seed = seed * 1103515245u + 12345u;
			frames[k] = (int)((seed >> 16) % 2);
			for (int p = 0; p < H * W; p++) {
				seed = seed * 1103515245u + 12345u;
				masks[k][p] = ((seed >> 16) % 9) == 0; /* sparse, so both outcomes occur */
			}
		}
		bool overlap = false;
		for (int x = 0; x < m; x++)
			for (int y = x + 1; y < m; y++)
				for (int p = 0; p < H * W && frames[x] == frames[y]; p++)
					overlap |= masks[x][p] && masks[y][p];
		struct ml_buf b;
		ml_buf_init(&b, 0);
		put(&b, "{\"results\":[");
		for (int k = 0; k < m; k++) {
			uint32_t counts[H * W + 1];
			size_t n = label_rle_encode(masks[k], H, W, counts);
			put(&b, "%s{\"id\":\"m%d\",\"control\":\"seg\",\"label\":\"a\",\"frame\":%d,\"rle\":{\"size\":[%d,%d],\"counts\":[",
			    k ? "," : "", k, frames[k], H, W);
			for (size_t i = 0; i < n; i++)
				put(&b, "%s%u", i ? "," : "", counts[i]);
			put(&b, "]}}");
		}
		put(&b, "]}");
		struct ml_err err;
		int rc = label_annotation_validate(s, b.data, b.len, NULL, &err);
		if ((rc != 0) != overlap || (rc && !strstr(err.msg, "mask overlaps"))) {
			if (wrong++ < 3)
				printf("#   trial %d: brute force says %s, validator: %s\n", trial, overlap ? "overlap" : "none",
				       rc ? err.msg : "ok");
		}
		if (rc)
			refused++;
		else
			accepted++;
		ml_buf_release(&b);
	}
	label_schema_free(s);
	printf("#   %d refused, %d accepted\n", refused, accepted);
	CHECK_EQ_INT(wrong, 0);
	CHECK(refused > 50 && accepted > 50);
}

static void make_masks(struct ml_buf *b, struct ml_buf *note, int n)
{
	/* n one-pixel masks on one frame of a 1 x 2n image, none overlapping */
	(void)note;
	put(b, "{\"results\":[");
	for (int i = 0; i < n; i++)
		put(b, "%s{\"id\":\"m%d\",\"control\":\"seg\",\"label\":\"a\",\"rle\":{\"size\":[1,%d],\"counts\":[%d,1,%d]}}",
		    i ? "," : "", i, 2 * n, 2 * i, 2 * n - 2 * i - 1);
	put(b, "]}");
}

TEST(many_masks_on_one_frame_validate_in_n_log_n_time)
{
	struct label_schema *s = parse("{\"format\":1,\"name\":\"m\",\"controls\":[{\"name\":\"seg\",\"kind\":\"mask\","
				       "\"labels\":[{\"value\":\"a\"}]}]}");
	CHECK(s);
	struct scale sc = {s, make_masks, "masks on one frame"};
	int ok = scales_linearly(&sc, 5000);
	label_schema_free(s);
	CHECK(ok);
}
