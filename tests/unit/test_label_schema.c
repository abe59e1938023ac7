/* test_label_schema.c: what a parsed schema exposes (controls, labels, hotkeys, defaults), schema diffs
 * and which annotations a diff affects. The error cases live in tests/data/label/ (test_label_cases). */
#include "harness.h"
#include "label/label.h"

#include <stdlib.h>

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

TEST(many_results_validate_quickly)
{
	/* 20,000 non-overlapping spans: ids are hashed and overlap is a sort, not a quadratic scan */
	struct label_schema *s = parse("{\"format\":1,\"name\":\"t\",\"controls\":[{\"name\":\"e\",\"kind\":\"span\","
				       "\"labels\":[{\"value\":\"X\"}]}]}");
	CHECK(s);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(ml_buf_puts(&b, "{\"results\":[") == 0);
	for (int i = 0; i < 20000; i++)
		CHECK(ml_buf_printf(&b, "%s{\"id\":\"r%d\",\"control\":\"e\",\"label\":\"X\",\"start\":%d,\"end\":%d,\"text\":\"ab\"}",
				    i ? "," : "", i, 3 * i, 3 * i + 2) == 0);
	CHECK(ml_buf_puts(&b, "]}") == 0);
	struct ml_err err;
	int64_t t0 = ml_monotonic_ns();
	CHECK(label_annotation_validate(s, b.data, b.len, NULL, &err) == 0);
	double secs = (double)(ml_monotonic_ns() - t0) / 1e9;
	printf("#   20000 spans validated in %.3f s\n", secs);
	CHECK(secs < 2.0);
	ml_buf_release(&b);
	label_schema_free(s);
}

TEST(many_regions_and_relations_validate_quickly)
{
	/* 10,000 boxes each with a required per-region class, and 10,000 relations between spans: the
	 * one-per-region, required-per-region and duplicate-relation checks are hashed, not pairwise */
	struct label_schema *s = parse(
		"{\"format\":1,\"name\":\"t\",\"controls\":[{\"name\":\"b\",\"kind\":\"box\",\"labels\":[{\"value\":\"n\"}]},"
		"{\"name\":\"t\",\"kind\":\"classification\",\"target\":\"b\",\"required\":true,\"labels\":[{\"value\":\"x\"}]},"
		"{\"name\":\"e\",\"kind\":\"span\",\"labels\":[{\"value\":\"A\"}]},"
		"{\"name\":\"r\",\"kind\":\"relation\",\"between\":[\"e\"],\"labels\":[{\"value\":\"to\",\"directed\":false}]}]}");
	CHECK(s);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(ml_buf_puts(&b, "{\"results\":[") == 0);
	for (int i = 0; i < 10000; i++)
		CHECK(ml_buf_printf(&b, "%s{\"id\":\"b%d\",\"control\":\"b\",\"label\":\"n\",\"x\":1,\"y\":1,\"w\":2,\"h\":2},"
				    "{\"id\":\"t%d\",\"control\":\"t\",\"region\":\"b%d\",\"choices\":[\"x\"]},"
				    "{\"id\":\"e%d\",\"control\":\"e\",\"label\":\"A\",\"start\":%d,\"end\":%d,\"text\":\"a\"}",
				    i ? "," : "", i, i, i, i, i, i + 1) == 0);
	for (int i = 0; i + 1 < 10000; i++)
		CHECK(ml_buf_printf(&b, ",{\"id\":\"r%d\",\"control\":\"r\",\"label\":\"to\",\"from\":\"e%d\",\"to\":\"e%d\"}", i,
				    i + 1, i) == 0);
	CHECK(ml_buf_puts(&b, "]}") == 0);
	struct ml_err err;
	int64_t t0 = ml_monotonic_ns();
	int rc = label_annotation_validate(s, b.data, b.len, NULL, &err);
	double secs = (double)(ml_monotonic_ns() - t0) / 1e9;
	if (rc)
		printf("#   %s: %s\n", err.field, err.msg);
	CHECK_EQ_INT(rc, 0);
	printf("#   39999 results validated in %.3f s\n", secs);
	CHECK(secs < 2.0);
	/* and a duplicate undirected relation at the very end is still found */
	b.len -= 2;
	CHECK(ml_buf_puts(&b, ",{\"id\":\"dup\",\"control\":\"r\",\"label\":\"to\",\"from\":\"e0\",\"to\":\"e1\"}]}") == 0);
	CHECK(label_annotation_validate(s, b.data, b.len, NULL, &err) == -1);
	CHECK_EQ_STR(err.msg, "duplicate relation, already at /results/30000");
	CHECK_EQ_STR(err.field, "/results/39999");
	ml_buf_release(&b);
	label_schema_free(s);
}

TEST(spans_on_a_long_note_are_checked_against_its_text_quickly)
{
	/* a 100 KB note in two scripts (2- and 3-byte code points) and 5,000 spans checked against it */
	struct label_schema *s = parse("{\"format\":1,\"name\":\"t\",\"controls\":[{\"name\":\"e\",\"kind\":\"span\","
				       "\"labels\":[{\"value\":\"X\"}]}]}");
	CHECK(s);
	struct ml_buf note, b;
	ml_buf_init(&note, 0);
	ml_buf_init(&b, 0);
	while (note.len < 100000)
		CHECK(ml_buf_puts(&note, "fièvre 发热 ") == 0); /* 10 code points */
	CHECK(ml_buf_puts(&b, "{\"results\":[") == 0);
	for (int i = 0; i < 5000; i++)
		CHECK(ml_buf_printf(&b, "%s{\"id\":\"s%d\",\"control\":\"e\",\"label\":\"X\",\"start\":%d,\"end\":%d,\"text\":\"发热\"}",
				    i ? "," : "", i, 10 * i + 7, 10 * i + 9) == 0);
	CHECK(ml_buf_puts(&b, "]}") == 0);
	struct label_item_ctx ctx;
	label_item_ctx_init(&ctx);
	ctx.text = note.data;
	ctx.text_len = note.len;
	struct ml_err err;
	int64_t t0 = ml_monotonic_ns();
	int rc = label_annotation_validate(s, b.data, b.len, &ctx, &err);
	double secs = (double)(ml_monotonic_ns() - t0) / 1e9;
	if (rc)
		printf("#   %s: %s\n", err.field, err.msg);
	CHECK_EQ_INT(rc, 0);
	printf("#   5000 spans on a %zu-byte note validated in %.3f s\n", note.len, secs);
	CHECK(secs < 1.0);
	ml_buf_release(&note);
	ml_buf_release(&b);
	label_schema_free(s);
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
