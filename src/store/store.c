/* store.c: backend-neutral part of the store: opening by URL, dispatch through the ops table, names of
 * the domain enums, content hashes. */
#include "store/store_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool store_url_is_pg(const char *url)
{
	return url && (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13));
}

int store_open_in(const char *url, const char *data_dir, struct store **out, struct ml_err *err)
{
	*out = NULL;
	if (!url || !*url)
		return ml_err_set(err, ML_EINVAL, "empty store url");
	if (!strncmp(url, "sqlite:", 7))
		return store_sqlite_open(url + 7, out, err);
	if (store_url_is_pg(url))
		return store_pg_open(url, data_dir, 0, out, err);
	return store_sqlite_open(url, out, err);
}

int store_open(const char *url, struct store **out, struct ml_err *err)
{
	return store_open_in(url, NULL, out, err);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

const char *store_file(struct store *s)
{
	const char *f = s->ops->file ? s->ops->file(s) : NULL;
	return f ? f : "";
}

int store_wal_checkpoint(struct store *s, int min_pages, struct ml_err *err)
{
	return s->ops->wal_checkpoint ? s->ops->wal_checkpoint(s, min_pages, err) : 0;
}

int store_db_version(struct store *s)
{
	return s->db_version;
}

static bool is_hex64(const char *s)
{
	/* lower-case hex digits only: the form every hash in the store takes */
	static const unsigned char hexdig[256] = {
		['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
		['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	};
	if (!s)
		return false;
	unsigned ok = 1;
	for (int i = 0; i < 64; i++) {
		if (!s[i])
			return false;
		ok &= hexdig[(unsigned char)s[i]];
	}
	return ok && s[64] == 0;
}

int store_item_check(const struct store_item *in, char hash[65], struct ml_err *err)
{
	if (!store_modality_name(in->modality) || !strcmp(store_modality_name(in->modality), "unknown"))
		return ml_err_set(err, ML_EINVAL, "item has an unknown modality %d", (int)in->modality);
	if (!strcmp(store_source_name(in->source), "unknown"))
		return ml_err_set(err, ML_EINVAL, "item has an unknown source %d", (int)in->source);
	if (!in->text && !in->media_hash)
		return ml_err_set(err, ML_EINVAL, "item has neither text nor media");
	if (in->media_hash && !is_hex64(in->media_hash))
		return ml_err_set(err, ML_EINVAL, "item media hash is not 64 hex digits");
	if (in->content_hash[0]) {
		if (!is_hex64(in->content_hash))
			return ml_err_set(err, ML_EINVAL, "item content hash is not 64 hex digits");
		memcpy(hash, in->content_hash, 65);
	} else if (in->text) {
		store_hash_hex(in->text, strlen(in->text), hash);
	} else {
		memcpy(hash, in->media_hash, 65);
	}
	return 0;
}

int store_text_hash(int64_t id, const char *text, const char *content_hash, char hash[65], struct ml_err *err)
{
	if (!text)
		return ml_err_set(err, ML_EINVAL, "no text for item %lld", (long long)id);
	if (content_hash && *content_hash) {
		if (!is_hex64(content_hash))
			return ml_err_set(err, ML_EINVAL, "content hash is not 64 hex digits");
		memcpy(hash, content_hash, 65);
	} else {
		store_hash_hex(text, strlen(text), hash);
	}
	return 0;
}

void store_hash_hex(const void *data, size_t n, char out[65])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, data, n, NULL, 0);
	ml_hex_encode(h, sizeof h, out);
}

/* ---- enum names ---- */

static const char *const role_names[] = {"none", "viewer", "annotator", "reviewer", "manager"};
static const char *const modality_names[] = {NULL, "text", "image", "dicom-series", "volume", "audio", "video", "survey"};
static const char *const source_names[] = {NULL, "ehr", "imaging", "survey", "other"};
static const char *const task_state_names[] = {"open", "in-progress", "submitted", "in-review", "adjudication", "done"};

const char *store_role_name(enum store_role r)
{
	return (unsigned)r < ML_ARRAY_LEN(role_names) ? role_names[r] : "none";
}

enum store_role store_role_parse(const char *name)
{
	for (unsigned i = 1; name && i < ML_ARRAY_LEN(role_names); i++)
		if (!strcmp(name, role_names[i]))
			return (enum store_role)i;
	return STORE_ROLE_NONE;
}

const char *store_modality_name(enum store_modality m)
{
	return (unsigned)m < ML_ARRAY_LEN(modality_names) && modality_names[m] ? modality_names[m] : "unknown";
}

enum store_modality store_modality_parse(const char *name)
{
	for (unsigned i = 1; name && i < ML_ARRAY_LEN(modality_names); i++)
		if (!strcmp(name, modality_names[i]))
			return (enum store_modality)i;
	return 0;
}

const char *store_source_name(enum store_source src)
{
	return (unsigned)src < ML_ARRAY_LEN(source_names) && source_names[src] ? source_names[src] : "unknown";
}

enum store_source store_source_parse(const char *name)
{
	for (unsigned i = 1; name && i < ML_ARRAY_LEN(source_names); i++)
		if (!strcmp(name, source_names[i]))
			return (enum store_source)i;
	return 0;
}

const char *store_task_state_name(enum store_task_state st)
{
	return (unsigned)st < ML_ARRAY_LEN(task_state_names) ? task_state_names[st] : "unknown";
}

int store_task_state_parse(const char *name)
{
	for (unsigned i = 0; name && i < ML_ARRAY_LEN(task_state_names); i++)
		if (!strcmp(name, task_state_names[i]))
			return (int)i;
	return -1;
}

/* ---- releasing row structs ---- */

void store_user_release(struct store_user *u)
{
	ml_free(u->name);
	ml_free(u->password_hash);
	memset(u, 0, sizeof *u);
}

void store_token_release(struct store_token *t)
{
	ml_free(t->name);
	memset(t, 0, sizeof *t);
}

void store_project_release(struct store_project *p)
{
	ml_free(p->name);
	ml_free(p->description);
	ml_free(p->settings_json);
	memset(p, 0, sizeof *p);
}

void store_item_release(struct store_item *it)
{
	ml_free(it->patient_key);
	ml_free(it->meta_json);
	ml_free(it->text);
	ml_free(it->media_hash);
	ml_free(it->media_type);
	ml_free(it->external_ref);
	memset(it, 0, sizeof *it);
}

void store_annotation_release(struct store_annotation *a)
{
	ml_free(a->model);
	ml_free(a->model_version);
	ml_free(a->body_json);
	ml_free(a->kind);
	memset(a, 0, sizeof *a);
}

void store_prediction_release(struct store_prediction *p)
{
	ml_free(p->model);
	ml_free(p->model_version);
	ml_free(p->body_json);
	memset(p, 0, sizeof *p);
}

void store_review_release(struct store_review *r)
{
	ml_free(r->comment);
	memset(r, 0, sizeof *r);
}

void store_comment_release(struct store_comment *c)
{
	ml_free(c->body);
	memset(c, 0, sizeof *c);
}

void store_snapshot_release(struct store_snapshot *sn)
{
	ml_free(sn->name);
	ml_free(sn->manifest_json);
	memset(sn, 0, sizeof *sn);
}

/* ---- dispatch: each public function forwards to the backend ---- */

int store_begin(struct store *s, struct ml_err *err)
{
	return s->ops->begin(s, err);
}

int store_commit(struct store *s, struct ml_err *err)
{
	return s->ops->commit(s, err);
}

void store_rollback(struct store *s)
{
	s->ops->rollback(s);
}

int store_setting_get(struct store *s, const char *key, char **value, struct ml_err *err)
{
	return s->ops->setting_get(s, key, value, err);
}

int store_setting_set(struct store *s, const char *key, const char *value, struct ml_err *err)
{
	return s->ops->setting_set(s, key, value, err);
}

int store_user_create(struct store *s, const char *name, const char *password_hash, bool admin, int64_t *id, struct ml_err *err)
{
	return s->ops->user_create(s, name, password_hash, admin, id, err);
}

int store_user_get(struct store *s, int64_t id, struct store_user *out, struct ml_err *err)
{
	return s->ops->user_get(s, id, out, err);
}

int store_user_by_name(struct store *s, const char *name, struct store_user *out, struct ml_err *err)
{
	return s->ops->user_by_name(s, name, out, err);
}

int store_user_list(struct store *s, int (*cb)(void *ctx, const struct store_user *u), void *ctx, struct ml_err *err)
{
	return s->ops->user_list(s, cb, ctx, err);
}

int store_user_set_password(struct store *s, int64_t id, const char *password_hash, struct ml_err *err)
{
	return s->ops->user_set_password(s, id, password_hash, err);
}

int store_user_set_disabled(struct store *s, int64_t id, bool disabled, struct ml_err *err)
{
	return s->ops->user_set_disabled(s, id, disabled, err);
}

int store_user_set_admin(struct store *s, int64_t id, bool admin, struct ml_err *err)
{
	return s->ops->user_set_admin(s, id, admin, err);
}

int store_session_create(struct store *s, const struct store_session *in, int64_t *id, struct ml_err *err)
{
	return s->ops->session_create(s, in, id, err);
}

int store_session_get(struct store *s, const char *token_hash, struct store_session *out, struct ml_err *err)
{
	return s->ops->session_get(s, token_hash, out, err);
}

int store_session_delete(struct store *s, const char *token_hash, struct ml_err *err)
{
	return s->ops->session_delete(s, token_hash, err);
}

int store_session_delete_expired(struct store *s, int64_t now, struct ml_err *err)
{
	return s->ops->session_delete_expired(s, now, err);
}

int store_session_delete_user(struct store *s, int64_t user_id, const char *keep_hash, struct ml_err *err)
{
	return s->ops->session_delete_user(s, user_id, keep_hash, err);
}

int store_token_create(struct store *s, int64_t user_id, const char *name, const char *token_hash, int64_t *id, struct ml_err *err)
{
	return s->ops->token_create(s, user_id, name, token_hash, id, err);
}

int store_token_by_hash(struct store *s, const char *token_hash, struct store_token *out, struct ml_err *err)
{
	return s->ops->token_by_hash(s, token_hash, out, err);
}

int store_token_touch(struct store *s, int64_t id, int64_t now, struct ml_err *err)
{
	return s->ops->token_touch(s, id, now, err);
}

int store_token_revoke(struct store *s, int64_t id, struct ml_err *err)
{
	return s->ops->token_revoke(s, id, err);
}

int store_token_list(struct store *s, int64_t user_id, int (*cb)(void *ctx, const struct store_token *t), void *ctx, struct ml_err *err)
{
	return s->ops->token_list(s, user_id, cb, ctx, err);
}

int store_login_failure_add(struct store *s, const char *key, int64_t now, struct ml_err *err)
{
	return s->ops->login_failure_add(s, key, now, err);
}

int store_login_failure_count(struct store *s, const char *key, int64_t since, int64_t *count, struct ml_err *err)
{
	return s->ops->login_failure_count(s, key, since, count, err);
}

int store_login_failure_clear(struct store *s, const char *key, struct ml_err *err)
{
	return s->ops->login_failure_clear(s, key, err);
}

int store_login_failure_prune(struct store *s, int64_t before, struct ml_err *err)
{
	return s->ops->login_failure_prune(s, before, err);
}

int store_project_create(struct store *s, const char *name, const char *description, int64_t *id, struct ml_err *err)
{
	return s->ops->project_create(s, name, description, id, err);
}

int store_project_get(struct store *s, int64_t id, struct store_project *out, struct ml_err *err)
{
	return s->ops->project_get(s, id, out, err);
}

int store_project_find(struct store *s, const char *id_or_name, struct store_project *out, struct ml_err *err)
{
	return s->ops->project_find(s, id_or_name, out, err);
}

int store_project_list(struct store *s, int (*cb)(void *ctx, const struct store_project *p), void *ctx, struct ml_err *err)
{
	return s->ops->project_list(s, cb, ctx, err);
}

int store_project_set_settings(struct store *s, int64_t id, const char *settings_json, struct ml_err *err)
{
	return s->ops->project_set_settings(s, id, settings_json, err);
}

int store_project_counts(struct store *s, int64_t id, struct store_project_counts *out, struct ml_err *err)
{
	return s->ops->project_counts(s, id, out, err);
}

int store_member_set(struct store *s, int64_t project_id, int64_t user_id, enum store_role role, struct ml_err *err)
{
	return s->ops->member_set(s, project_id, user_id, role, err);
}

int store_member_remove(struct store *s, int64_t project_id, int64_t user_id, struct ml_err *err)
{
	return s->ops->member_remove(s, project_id, user_id, err);
}

int store_member_role(struct store *s, int64_t project_id, int64_t user_id, enum store_role *role, struct ml_err *err)
{
	return s->ops->member_role(s, project_id, user_id, role, err);
}

int store_member_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_member *m), void *ctx, struct ml_err *err)
{
	return s->ops->member_list(s, project_id, cb, ctx, err);
}

int store_schema_add(struct store *s, int64_t project_id, const char *schema_json, int64_t author_id, int *version, struct ml_err *err)
{
	return s->ops->schema_add(s, project_id, schema_json, author_id, version, err);
}

int store_schema_get(struct store *s, int64_t project_id, int version, char **json, int *got_version, struct ml_err *err)
{
	return s->ops->schema_get(s, project_id, version, json, got_version, err);
}

int store_item_add(struct store *s, const struct store_item *in, int overlap, int64_t *item_id, int64_t *task_id, struct ml_err *err)
{
	return s->ops->item_add(s, in, overlap, item_id, task_id, err);
}

int store_item_get(struct store *s, int64_t id, struct store_item *out, struct ml_err *err)
{
	return s->ops->item_get(s, id, out, err);
}

int store_item_set_text(struct store *s, int64_t id, const char *text, const char *content_hash, struct ml_err *err)
{
	return s->ops->item_set_text(s, id, text, content_hash, err);
}

int store_item_set_visible(struct store *s, int64_t id, bool visible, struct ml_err *err)
{
	return s->ops->item_set_visible(s, id, visible, err);
}

int store_item_set_meta(struct store *s, int64_t id, const char *meta_json, struct ml_err *err)
{
	return s->ops->item_set_meta(s, id, meta_json, err);
}

int store_item_list(struct store *s, int64_t project_id, int64_t after_id, int (*cb)(void *ctx, const struct store_item *it), void *ctx, struct ml_err *err)
{
	return s->ops->item_list(s, project_id, after_id, cb, ctx, err);
}

int store_task_get(struct store *s, int64_t id, struct store_task *out, struct ml_err *err)
{
	return s->ops->task_get(s, id, out, err);
}

int store_task_list(struct store *s, const struct store_task_filter *f, int (*cb)(void *ctx, const struct store_task *t), void *ctx, struct ml_err *err)
{
	return s->ops->task_list(s, f, cb, ctx, err);
}

int store_task_set_state(struct store *s, int64_t id, enum store_task_state st, struct ml_err *err)
{
	return s->ops->task_set_state(s, id, st, err);
}

int store_task_set_overlap(struct store *s, int64_t id, int overlap, struct ml_err *err)
{
	return s->ops->task_set_overlap(s, id, overlap, err);
}

int store_task_set_gold(struct store *s, int64_t id, bool gold, struct ml_err *err)
{
	return s->ops->task_set_gold(s, id, gold, err);
}

int store_task_set_priority(struct store *s, int64_t id, double priority, struct ml_err *err)
{
	return s->ops->task_set_priority(s, id, priority, err);
}

int store_task_lease_next(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, struct store_task *out, struct ml_err *err)
{
	return s->ops->task_lease_next(s, project_id, user_id, now, lease_ms, out, err);
}

int store_assignment_get(struct store *s, int64_t task_id, int64_t user_id, struct store_assignment *out, struct ml_err *err)
{
	return s->ops->assignment_get(s, task_id, user_id, out, err);
}

int store_assignment_return(struct store *s, int64_t task_id, int64_t user_id, int64_t now, struct ml_err *err)
{
	return s->ops->assignment_return(s, task_id, user_id, now, err);
}

int store_assignment_finish(struct store *s, int64_t task_id, int64_t user_id, enum store_assignment_state st, int64_t now, struct ml_err *err)
{
	return s->ops->assignment_finish(s, task_id, user_id, st, now, err);
}

int store_annotation_create(struct store *s, const struct store_annotation *in, int64_t *id, struct ml_err *err)
{
	return s->ops->annotation_create(s, in, id, err);
}

int store_annotation_update(struct store *s, int64_t id, int expected_version, const char *body_json, int schema_version, int64_t author_id, double seconds_spent, bool validated, int *new_version, struct ml_err *err)
{
	return s->ops->annotation_update(s, id, expected_version, body_json, schema_version, author_id, seconds_spent, validated, new_version, err);
}

int store_annotation_get(struct store *s, int64_t id, int version, struct store_annotation *out, struct ml_err *err)
{
	return s->ops->annotation_get(s, id, version, out, err);
}

int store_annotation_list(struct store *s, int64_t task_id, int64_t user_id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err)
{
	return s->ops->annotation_list(s, task_id, user_id, cb, ctx, err);
}

int store_annotation_history(struct store *s, int64_t id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err)
{
	return s->ops->annotation_history(s, id, cb, ctx, err);
}

int store_annotation_list_project(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err)
{
	return s->ops->annotation_list_project(s, project_id, cb, ctx, err);
}

int store_prediction_add(struct store *s, const struct store_prediction *in, int64_t *id, struct ml_err *err)
{
	return s->ops->prediction_add(s, in, id, err);
}

int store_prediction_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_prediction *p), void *ctx, struct ml_err *err)
{
	return s->ops->prediction_list(s, task_id, cb, ctx, err);
}

int store_review_add(struct store *s, const struct store_review *in, int64_t *id, struct ml_err *err)
{
	return s->ops->review_add(s, in, id, err);
}

int store_review_list(struct store *s, int64_t annotation_id, int (*cb)(void *ctx, const struct store_review *r), void *ctx, struct ml_err *err)
{
	return s->ops->review_list(s, annotation_id, cb, ctx, err);
}

int store_comment_add(struct store *s, int64_t task_id, int64_t user_id, const char *body, int64_t *id, struct ml_err *err)
{
	return s->ops->comment_add(s, task_id, user_id, body, id, err);
}

int store_comment_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_comment *c), void *ctx, struct ml_err *err)
{
	return s->ops->comment_list(s, task_id, cb, ctx, err);
}

int store_audit_append(struct store *s, struct store_audit *rec, void (*chain)(void *ctx, struct store_audit *rec_with_prev_and_seq),
		       void *ctx, struct ml_err *err)
{
	return s->ops->audit_append(s, rec, chain, ctx, err);
}

int store_audit_list(struct store *s, const struct store_audit_filter *f, int (*cb)(void *ctx, const struct store_audit *a), void *ctx, struct ml_err *err)
{
	return s->ops->audit_list(s, f, cb, ctx, err);
}

int store_snapshot_create(struct store *s, const struct store_snapshot *in, int64_t *id, struct ml_err *err)
{
	return s->ops->snapshot_create(s, in, id, err);
}

int store_snapshot_get(struct store *s, int64_t project_id, const char *name, struct store_snapshot *out, struct ml_err *err)
{
	return s->ops->snapshot_get(s, project_id, name, out, err);
}

int store_snapshot_set_manifest(struct store *s, int64_t id, const char *manifest_json, struct ml_err *err)
{
	return s->ops->snapshot_set_manifest(s, id, manifest_json, err);
}

int store_snapshot_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_snapshot *sn), void *ctx, struct ml_err *err)
{
	return s->ops->snapshot_list(s, project_id, cb, ctx, err);
}

int store_snapshot_pin(struct store *s, int64_t id, int state, int64_t *items, int64_t *annotations, struct ml_err *err)
{
	return s->ops->snapshot_pin(s, id, state, items, annotations, err);
}

int store_export_scan(struct store *s, int64_t project_id, int64_t snapshot_id, int state, int (*cb)(void *ctx, const struct store_export_row *r), void *ctx, struct ml_err *err)
{
	return s->ops->export_scan(s, project_id, snapshot_id, state, cb, ctx, err);
}


/* ---- quality module (migration 3) ---------------------------------------------------------------- */

const char *store_qual_state_name(enum store_qual_state st)
{
	switch (st) {
	case STORE_QUAL_TRAINING: return "training";
	case STORE_QUAL_QUALIFIED: return "qualified";
	case STORE_QUAL_SUSPENDED: return "suspended";
	}
	return "?";
}

int store_annotator_quality_get(struct store *s, int64_t project_id, int64_t user_id, struct store_annotator_quality *out,
				struct ml_err *err)
{
	return s->ops->annotator_quality_get(s, project_id, user_id, out, err);
}

int store_annotator_quality_set(struct store *s, const struct store_annotator_quality *in, struct ml_err *err)
{
	return s->ops->annotator_quality_set(s, in, err);
}

int store_annotator_quality_list(struct store *s, int64_t project_id,
				 int (*cb)(void *ctx, const struct store_annotator_quality *q), void *ctx, struct ml_err *err)
{
	return s->ops->annotator_quality_list(s, project_id, cb, ctx, err);
}

int store_task_lease_filtered(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold,
			      struct store_task *out, struct ml_err *err)
{
	return s->ops->task_lease_filtered(s, project_id, user_id, now, lease_ms, gold, out, err);
}

int store_user_submitted_counts(struct store *s, int64_t project_id, int64_t user_id, int64_t *all, int64_t *gold,
				struct ml_err *err)
{
	return s->ops->user_submitted_counts(s, project_id, user_id, all, gold, err);
}

int store_gold_repeat(struct store *s, int64_t project_id, int64_t user_id, int64_t before, int64_t every, int64_t *task_id,
		      struct ml_err *err)
{
	return s->ops->gold_repeat(s, project_id, user_id, before, every, task_id, err);
}

int store_url_for(const char *db_url, const char *data_dir, char *out, size_t outlen, struct ml_err *err)
{
	const char *url = db_url && *db_url ? db_url : getenv("MEDLABEL_DB");
	if (!url || !*url)
		url = getenv("MEDLABEL_STORE");
	int n = url && *url ? snprintf(out, outlen, "%s", url) : snprintf(out, outlen, "sqlite:%s/medlabel.db", data_dir);
	if (n < 0 || (size_t)n >= outlen)
		return ml_err_set(err, ML_ELIMIT, "the database URL or data folder path is too long");
	return 0;
}
