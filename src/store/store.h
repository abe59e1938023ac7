/* store: all persistence of medlabel, behind one interface.
 *
 * Backends: SQLite (src/store/sqlite*.c, the default, a file `medlabel.db` in the data folder) and, later,
 * PostgreSQL (src/store/pg*.c). Callers never see SQL, SQLite types or a dialect: they call the functions
 * below with plain C structs. A backend implements `struct store_ops` (store_int.h); this header is the
 * whole contract.
 *
 * Opening. store_open(url) takes "sqlite:PATH", a bare PATH (SQLite), or "postgres://..." and applies the
 * versioned migrations that the database lacks, in one transaction each. A database whose schema version
 * is newer than this binary knows is refused with ML_EVERSION and a message naming both versions.
 *
 * Threads. One `struct store` is used by one thread at a time; a server opens one per worker thread
 * (store_open is cheap after the first migration check). Several processes may write at once: SQLite runs
 * in WAL mode with a busy timeout, so writers wait rather than fail. Once a handle's writes grow the WAL
 * past 16 MiB, the SQLite backend starts a helper thread (its own connection) that copies the WAL back
 * into the database in the background; store_close stops it.
 *
 * Transactions. Every function that changes several rows does so in its own transaction. A caller that
 * needs several calls to succeed or fail together (an import batch) wraps them in store_begin /
 * store_commit; nested begin calls join the outer transaction as a savepoint: a function that fails inside
 * the caller's transaction undoes only its own rows, and the caller decides whether to roll back the rest.
 * store_rollback undoes everything since the matching store_begin (the whole transaction at the outermost
 * level). (Design note: the first draft said a nested rollback undid the outermost transaction; with
 * savepoints a failed store_item_add in an import batch cannot leave half an item behind, and the batch
 * can still be rolled back as a whole.) Write transactions take the write lock when they begin (SQLite
 * BEGIN IMMEDIATE), so two processes never deadlock upgrading a read lock.
 *
 * Results. Functions return 0 or -1 with `err` filled (ML_ENOTFOUND, ML_ECONFLICT for a stale version or
 * a lost lease race, ML_EEXIST for a duplicate name, ML_EIO for the database). Row structs returned to the
 * caller own their strings: release them with the matching *_release function. Iteration is by callback:
 * returning non-zero from the callback stops the iteration and is passed back as the function's result.
 *
 * JSON columns (metadata, settings, annotation bodies, schemas) are passed as UTF-8 JSON text; the store
 * keeps them verbatim and does not interpret them. Times are milliseconds since the epoch (UTC).
 * IDs are positive int64; 0 means "none".
 */
#ifndef ML_STORE_H
#define ML_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

struct store;

/* The schema version this binary writes; migrations bring older databases up to it. */
int store_schema_version(void);

int store_open(const char *url, struct store **out, struct ml_err *err) ML_MUST_CHECK;
/* The file of an SQLite store ("" for an in-memory one): the deployment folder is the folder holding it,
 * which is where src/auth finds the deployment secret that keys the audit chain. */
const char *store_file(struct store *s);
/* For a process's single busy writer (the HTTP server's writer thread), between its transactions: if this
 * handle's last commit left at least min_pages frames in the WAL, copy them back into the database now
 * (a passive checkpoint: never waits for readers or writers). The background checkpointer runs while the
 * writer goes on appending, so under continuous writes it rarely finishes a pass before new frames arrive,
 * the WAL is never restarted and grows to hundreds of MB (then truncated in one long stall); run between
 * transactions, a pass covers the whole WAL and the next transaction restarts it. 0 if there was nothing
 * to do or another checkpointer was at it. */
int store_wal_checkpoint(struct store *s, int min_pages, struct ml_err *err) ML_MUST_CHECK;
void store_close(struct store *s);
/* The version recorded in an open database. */
int store_db_version(struct store *s);

int store_begin(struct store *s, struct ml_err *err) ML_MUST_CHECK;
int store_commit(struct store *s, struct ml_err *err) ML_MUST_CHECK;
void store_rollback(struct store *s);

/* Key-value settings of the deployment (the deployment secret, first-run flags). */
int store_setting_get(struct store *s, const char *key, char **value, struct ml_err *err) ML_MUST_CHECK;
int store_setting_set(struct store *s, const char *key, const char *value, struct ml_err *err) ML_MUST_CHECK;

/* ---- users, sessions, API tokens, login throttling ------------------------------------------------- */

struct store_user {
	int64_t id;
	char *name;
	char *password_hash; /* argon2id string as produced by libsodium; "" if none */
	bool admin;
	bool disabled;
	int64_t created_at;
};
void store_user_release(struct store_user *u);

int store_user_create(struct store *s, const char *name, const char *password_hash, bool admin, int64_t *id,
		      struct ml_err *err) ML_MUST_CHECK; /* ML_EEXIST if the name is taken */
int store_user_get(struct store *s, int64_t id, struct store_user *out, struct ml_err *err) ML_MUST_CHECK;
int store_user_by_name(struct store *s, const char *name, struct store_user *out, struct ml_err *err) ML_MUST_CHECK;
int store_user_list(struct store *s, int (*cb)(void *ctx, const struct store_user *u), void *ctx,
		    struct ml_err *err) ML_MUST_CHECK;
int store_user_set_password(struct store *s, int64_t id, const char *password_hash, struct ml_err *err) ML_MUST_CHECK;
/* Disabling also deletes the user's sessions and revokes their tokens, in one transaction. */
int store_user_set_disabled(struct store *s, int64_t id, bool disabled, struct ml_err *err) ML_MUST_CHECK;
int store_user_set_admin(struct store *s, int64_t id, bool admin, struct ml_err *err) ML_MUST_CHECK;

/* Sessions and tokens are looked up by the hash of their secret; the secret itself is never stored. */
struct store_session {
	int64_t id;
	int64_t user_id;
	char token_hash[65]; /* hex BLAKE2b-256 of the cookie value */
	char csrf[65];
	int64_t created_at, expires_at;
};
int store_session_create(struct store *s, const struct store_session *in, int64_t *id, struct ml_err *err) ML_MUST_CHECK;
int store_session_get(struct store *s, const char *token_hash, struct store_session *out, struct ml_err *err) ML_MUST_CHECK;
int store_session_delete(struct store *s, const char *token_hash, struct ml_err *err) ML_MUST_CHECK;
int store_session_delete_expired(struct store *s, int64_t now, struct ml_err *err) ML_MUST_CHECK;
/* Ends every session of the user but the one whose hash is keep_hash (NULL: all of them): a new password
 * must log out whoever knew the old one. */
int store_session_delete_user(struct store *s, int64_t user_id, const char *keep_hash, struct ml_err *err) ML_MUST_CHECK;

struct store_token {
	int64_t id;
	int64_t user_id;
	char *name;
	char token_hash[65];
	int64_t created_at, last_used_at; /* 0 = never */
	bool revoked;
};
void store_token_release(struct store_token *t);
int store_token_create(struct store *s, int64_t user_id, const char *name, const char *token_hash, int64_t *id,
		       struct ml_err *err) ML_MUST_CHECK;
int store_token_by_hash(struct store *s, const char *token_hash, struct store_token *out, struct ml_err *err) ML_MUST_CHECK;
int store_token_touch(struct store *s, int64_t id, int64_t now, struct ml_err *err) ML_MUST_CHECK;
int store_token_revoke(struct store *s, int64_t id, struct ml_err *err) ML_MUST_CHECK;
int store_token_list(struct store *s, int64_t user_id, int (*cb)(void *ctx, const struct store_token *t), void *ctx,
		     struct ml_err *err) ML_MUST_CHECK;

/* Failed logins, keyed by "user:NAME" or "addr:IP"; shared by all servers on one database. */
int store_login_failure_add(struct store *s, const char *key, int64_t now, struct ml_err *err) ML_MUST_CHECK;
int store_login_failure_count(struct store *s, const char *key, int64_t since, int64_t *count, struct ml_err *err) ML_MUST_CHECK;
int store_login_failure_clear(struct store *s, const char *key, struct ml_err *err) ML_MUST_CHECK;
/* Forgets failures older than `before`: the table would otherwise grow with every anonymous attempt and
 * keep whatever was typed as a user name (often a password) for ever. */
int store_login_failure_prune(struct store *s, int64_t before, struct ml_err *err) ML_MUST_CHECK;

/* ---- projects and members ------------------------------------------------------------------------- */

enum store_role { STORE_ROLE_NONE = 0, STORE_ROLE_VIEWER, STORE_ROLE_ANNOTATOR, STORE_ROLE_REVIEWER, STORE_ROLE_MANAGER };
const char *store_role_name(enum store_role r);
enum store_role store_role_parse(const char *name); /* STORE_ROLE_NONE if unknown */

struct store_project {
	int64_t id;
	char *name;
	char *description;
	char *settings_json; /* overlap, lease seconds, agreement threshold, deid requirement... ("{}" default) */
	int schema_version;  /* latest schema version, 0 if none */
	int64_t created_at;
};
void store_project_release(struct store_project *p);

int store_project_create(struct store *s, const char *name, const char *description, int64_t *id,
			 struct ml_err *err) ML_MUST_CHECK; /* ML_EEXIST if the name is taken */
int store_project_get(struct store *s, int64_t id, struct store_project *out, struct ml_err *err) ML_MUST_CHECK;
/* Looks up by decimal id first, then by name. */
int store_project_find(struct store *s, const char *id_or_name, struct store_project *out, struct ml_err *err) ML_MUST_CHECK;
int store_project_list(struct store *s, int (*cb)(void *ctx, const struct store_project *p), void *ctx,
		       struct ml_err *err) ML_MUST_CHECK;
int store_project_set_settings(struct store *s, int64_t id, const char *settings_json, struct ml_err *err) ML_MUST_CHECK;

struct store_project_counts {
	int64_t items, tasks_by_state[6], annotations;
};
int store_project_counts(struct store *s, int64_t id, struct store_project_counts *out, struct ml_err *err) ML_MUST_CHECK;

int store_member_set(struct store *s, int64_t project_id, int64_t user_id, enum store_role role, struct ml_err *err) ML_MUST_CHECK;
int store_member_remove(struct store *s, int64_t project_id, int64_t user_id, struct ml_err *err) ML_MUST_CHECK;
/* STORE_ROLE_NONE (and 0) when the user is not a member. */
int store_member_role(struct store *s, int64_t project_id, int64_t user_id, enum store_role *role, struct ml_err *err) ML_MUST_CHECK;
struct store_member {
	int64_t user_id;
	const char *user_name;
	enum store_role role;
};
int store_member_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_member *m), void *ctx,
		      struct ml_err *err) ML_MUST_CHECK;

/* ---- labeling schemas (versioned per project) ----------------------------------------------------- */

/* Stores a new version (1, 2, ...) of the project's schema; the caller has validated it. */
int store_schema_add(struct store *s, int64_t project_id, const char *schema_json, int64_t author_id, int *version,
		     struct ml_err *err) ML_MUST_CHECK;
/* version 0 = the latest. *json is the caller's (ml_free). */
int store_schema_get(struct store *s, int64_t project_id, int version, char **json, int *got_version,
		     struct ml_err *err) ML_MUST_CHECK;

/* ---- items and tasks ------------------------------------------------------------------------------ */

enum store_modality { STORE_MOD_TEXT = 1, STORE_MOD_IMAGE, STORE_MOD_DICOM_SERIES, STORE_MOD_VOLUME, STORE_MOD_AUDIO,
		      STORE_MOD_VIDEO, STORE_MOD_SURVEY };
enum store_source { STORE_SRC_EHR = 1, STORE_SRC_IMAGING, STORE_SRC_SURVEY, STORE_SRC_OTHER };
const char *store_modality_name(enum store_modality m);
enum store_modality store_modality_parse(const char *name); /* 0 if unknown */
const char *store_source_name(enum store_source src);
enum store_source store_source_parse(const char *name);     /* 0 if unknown */

struct store_item {
	int64_t id;
	int64_t project_id;
	enum store_modality modality;
	enum store_source source;
	char *patient_key;  /* pseudonymous; "" if unknown */
	char *meta_json;    /* "{}" at least */
	char *text;         /* text items: the content (possibly de-identified); NULL for media items */
	char *media_hash;   /* media items: hex BLAKE2b-256 naming data/media/ab/cdef...; NULL for text */
	char *media_type;   /* MIME type of the media; NULL for text */
	char content_hash[65]; /* hex BLAKE2b-256 of the content (text bytes or media bytes) */
	char *external_ref; /* e.g. "DocumentReference/abc" from FHIR; "" if none */
	int64_t created_at;
	bool visible;       /* false while it awaits required de-identification */
};
void store_item_release(struct store_item *it);

/* Adds an item and its task (state open, the project's default overlap) in one transaction.
 * in->id, created_at are ignored; *item_id and *task_id receive the new ids (either may be NULL).
 * An empty in->content_hash is computed (BLAKE2b-256 of the text, or the media hash). In the SQLite
 * backend a task's id equals its item's id; callers must not rely on that. */
int store_item_add(struct store *s, const struct store_item *in, int overlap, int64_t *item_id, int64_t *task_id,
		   struct ml_err *err) ML_MUST_CHECK;
int store_item_get(struct store *s, int64_t id, struct store_item *out, struct ml_err *err) ML_MUST_CHECK;
int store_item_set_text(struct store *s, int64_t id, const char *text, const char *content_hash, struct ml_err *err) ML_MUST_CHECK;
int store_item_set_visible(struct store *s, int64_t id, bool visible, struct ml_err *err) ML_MUST_CHECK;
/* Replaces an item's metadata (a JSON object as text; ML_EINVAL when it is not one). */
int store_item_set_meta(struct store *s, int64_t id, const char *meta_json, struct ml_err *err) ML_MUST_CHECK;
/* Items of a project in id order, starting after after_id. */
int store_item_list(struct store *s, int64_t project_id, int64_t after_id, int (*cb)(void *ctx, const struct store_item *it),
		    void *ctx, struct ml_err *err) ML_MUST_CHECK;

enum store_task_state { STORE_TASK_OPEN = 0, STORE_TASK_IN_PROGRESS, STORE_TASK_SUBMITTED, STORE_TASK_IN_REVIEW,
			STORE_TASK_ADJUDICATION, STORE_TASK_DONE };
const char *store_task_state_name(enum store_task_state st);
int store_task_state_parse(const char *name); /* -1 if unknown */

struct store_task {
	int64_t id;
	int64_t project_id;
	int64_t item_id;
	enum store_task_state state;
	int overlap;      /* annotators who must label it */
	int submitted;    /* distinct annotators who have submitted */
	bool gold;
	double priority;  /* higher first: uncertainty sampling sets it from predictions */
	int64_t updated_at;
};

struct store_task_filter {
	int64_t project_id;
	int state;           /* -1 = any */
	int64_t assignee_id; /* 0 = any */
	int64_t after_id;    /* keyset pagination: tasks with id > after_id */
	int limit;           /* 0 = no limit */
};
int store_task_get(struct store *s, int64_t id, struct store_task *out, struct ml_err *err) ML_MUST_CHECK;
int store_task_list(struct store *s, const struct store_task_filter *f, int (*cb)(void *ctx, const struct store_task *t),
		    void *ctx, struct ml_err *err) ML_MUST_CHECK;
int store_task_set_state(struct store *s, int64_t id, enum store_task_state st, struct ml_err *err) ML_MUST_CHECK;
int store_task_set_overlap(struct store *s, int64_t id, int overlap, struct ml_err *err) ML_MUST_CHECK;
int store_task_set_gold(struct store *s, int64_t id, bool gold, struct ml_err *err) ML_MUST_CHECK;
int store_task_set_priority(struct store *s, int64_t id, double priority, struct ml_err *err) ML_MUST_CHECK;

/* The next task for an annotator, leased to them until now + lease_ms, atomically: a task whose slots
 * (overlap) are all taken by live leases or submissions of other users is never handed out, and one user
 * never gets two slots of the same task; a task whose item is not visible (awaiting required
 * de-identification) is never handed out. Returns the user's own live lease first if they have one.
 * Order: highest priority, then lowest id. ML_ENOTFOUND when nothing is left. */
int store_task_lease_next(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms,
			  struct store_task *out, struct ml_err *err) ML_MUST_CHECK;
/* Assignments: one row per (task, user). */
/* RETURNED: a reviewer rejected the user's submission; the slot stays theirs (whatever the lease says) and
 * the task comes first in their queue until they submit again. */
enum store_assignment_state { STORE_ASSIGN_LEASED = 0, STORE_ASSIGN_SUBMITTED, STORE_ASSIGN_SKIPPED, STORE_ASSIGN_RELEASED,
			      STORE_ASSIGN_RETURNED };
struct store_assignment {
	int64_t task_id, user_id;
	enum store_assignment_state state;
	int64_t leased_at, lease_expires_at;
};
int store_assignment_get(struct store *s, int64_t task_id, int64_t user_id, struct store_assignment *out,
			 struct ml_err *err) ML_MUST_CHECK;
/* Marks the user's assignment submitted (or skipped/released) and updates the task's counts and state. */
/* Gives a rejected submission back to its annotator: the assignment becomes RETURNED, the task in progress
 * with one submission fewer. */
int store_assignment_return(struct store *s, int64_t task_id, int64_t user_id, int64_t now, struct ml_err *err) ML_MUST_CHECK;
int store_assignment_finish(struct store *s, int64_t task_id, int64_t user_id, enum store_assignment_state st,
			    int64_t now, struct ml_err *err) ML_MUST_CHECK;

/* ---- annotations (versioned), predictions, reviews, comments -------------------------------------- */

struct store_annotation {
	int64_t id;         /* stable across versions */
	int version;        /* 1, 2, ...; each edit adds a version, old ones stay */
	int64_t task_id;
	int64_t user_id;    /* 0 when made by a model */
	char *model;        /* model name for automatic labels, NULL for humans */
	char *model_version;
	int schema_version;
	char *body_json;    /* the labels, validated against the schema by the caller */
	double seconds_spent;
	bool validated;     /* automatic labels stay false until a human validates them */
	char *kind;         /* "human", "model", "consensus", "gold", "adjudicated" */
	int64_t created_at; /* of this version */
	int64_t author_id;  /* who made this version (0 = a model); user_id owns the annotation */
	int64_t item_id;    /* filled by the store on reads (the task's item) */
};
void store_annotation_release(struct store_annotation *a);

/* Creates version 1. in->id/version/created_at are ignored. */
int store_annotation_create(struct store *s, const struct store_annotation *in, int64_t *id, struct ml_err *err) ML_MUST_CHECK;
/* Adds version expected_version + 1 with a new body; ML_ECONFLICT if the latest version is not
 * expected_version (optimistic concurrency). author_id records who made the edit. */
int store_annotation_update(struct store *s, int64_t id, int expected_version, const char *body_json, int schema_version,
			    int64_t author_id, double seconds_spent, bool validated, int *new_version,
			    struct ml_err *err) ML_MUST_CHECK;
/* version 0 = latest */
int store_annotation_get(struct store *s, int64_t id, int version, struct store_annotation *out, struct ml_err *err) ML_MUST_CHECK;
/* Latest versions of a task's annotations; user_id != 0 restricts to that user's (blind labeling). */
int store_annotation_list(struct store *s, int64_t task_id, int64_t user_id,
			  int (*cb)(void *ctx, const struct store_annotation *a), void *ctx, struct ml_err *err) ML_MUST_CHECK;
int store_annotation_history(struct store *s, int64_t id, int (*cb)(void *ctx, const struct store_annotation *a),
			     void *ctx, struct ml_err *err) ML_MUST_CHECK;
/* Latest version of every annotation in a project, in (item id, annotation id) order, for exports. */
int store_annotation_list_project(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_annotation *a),
				  void *ctx, struct ml_err *err) ML_MUST_CHECK;

struct store_prediction {
	int64_t id;
	int64_t task_id;
	char *model, *model_version;
	char *body_json;
	double score; /* model confidence; uncertainty = 1 - score */
	int64_t created_at;
};
void store_prediction_release(struct store_prediction *p);
int store_prediction_add(struct store *s, const struct store_prediction *in, int64_t *id, struct ml_err *err) ML_MUST_CHECK;
int store_prediction_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_prediction *p), void *ctx,
			  struct ml_err *err) ML_MUST_CHECK;

enum store_review_decision { STORE_REVIEW_ACCEPT = 1, STORE_REVIEW_REJECT };
struct store_review {
	int64_t id;
	int64_t annotation_id;
	int annotation_version;
	int64_t reviewer_id;
	enum store_review_decision decision;
	char *comment;
	int64_t created_at;
};
void store_review_release(struct store_review *r);
int store_review_add(struct store *s, const struct store_review *in, int64_t *id, struct ml_err *err) ML_MUST_CHECK;
int store_review_list(struct store *s, int64_t annotation_id, int (*cb)(void *ctx, const struct store_review *r), void *ctx,
		      struct ml_err *err) ML_MUST_CHECK;

struct store_comment {
	int64_t id;
	int64_t task_id;
	int64_t user_id;
	char *body;
	int64_t created_at;
};
void store_comment_release(struct store_comment *c);
int store_comment_add(struct store *s, int64_t task_id, int64_t user_id, const char *body, int64_t *id, struct ml_err *err) ML_MUST_CHECK;
int store_comment_list(struct store *s, int64_t task_id, int (*cb)(void *ctx, const struct store_comment *c), void *ctx,
		       struct ml_err *err) ML_MUST_CHECK;

/* ---- audit trail (append-only, chained) ----------------------------------------------------------- */

/* The store keeps the rows; src/auth computes the BLAKE2b chain. store_audit_append serialises appends
 * across processes: it reads the last record's hash and inserts the new one in one write transaction,
 * calling `chain(ctx, rec)` to compute the new hash (and set rec->scheme) from the previous one.
 * `scheme` says how a record's hash was made (src/auth/auth.h): records written before migration 6 are
 * STORE_AUDIT_UNKEYED, plain BLAKE2b; later ones STORE_AUDIT_KEYED, BLAKE2b keyed from the deployment
 * secret. */
enum { STORE_AUDIT_UNKEYED = 1, STORE_AUDIT_KEYED = 2 };
struct store_audit {
	int64_t seq;         /* 1, 2, ... without gaps */
	int64_t at;          /* ms */
	int64_t user_id;     /* 0 for anonymous */
	char role[16];
	char action[48];     /* "annotation.create", "item.read", "login" ... */
	char object[96];     /* "project/3/task/17" — ids only, never names or content */
	char client[64];     /* client address */
	int status;          /* HTTP status or CLI exit code */
	char prev_hash[129]; /* hex BLAKE2b-512 of the previous record ("" for the first) */
	char hash[129];
	int scheme; /* STORE_AUDIT_UNKEYED or STORE_AUDIT_KEYED */
};
int store_audit_append(struct store *s, struct store_audit *rec,
		       void (*chain)(void *ctx, struct store_audit *rec_with_prev_and_seq), void *ctx,
		       struct ml_err *err) ML_MUST_CHECK;
struct store_audit_filter {
	int64_t since, until; /* 0 = unbounded */
	int64_t user_id;      /* 0 = any */
	const char *action_prefix, *object_prefix; /* NULL = any */
	int64_t after_seq;
	int limit;
};
int store_audit_list(struct store *s, const struct store_audit_filter *f, int (*cb)(void *ctx, const struct store_audit *a),
		     void *ctx, struct ml_err *err) ML_MUST_CHECK;

/* ---- snapshots (pinned exports) ------------------------------------------------------------------- */

struct store_snapshot {
	int64_t id;
	int64_t project_id;
	char *name;
	char *manifest_json; /* items, annotation versions, schema version, hashes, filters */
	int64_t created_at;
};
void store_snapshot_release(struct store_snapshot *sn);
int store_snapshot_create(struct store *s, const struct store_snapshot *in, int64_t *id, struct ml_err *err) ML_MUST_CHECK;
int store_snapshot_get(struct store *s, int64_t project_id, const char *name, struct store_snapshot *out,
		       struct ml_err *err) ML_MUST_CHECK;
int store_snapshot_set_manifest(struct store *s, int64_t id, const char *manifest_json, struct ml_err *err) ML_MUST_CHECK;
int store_snapshot_list(struct store *s, int64_t project_id, int (*cb)(void *ctx, const struct store_snapshot *sn),
			void *ctx, struct ml_err *err) ML_MUST_CHECK;
/* Pins the project's current rows into snapshot `id`, in one transaction: every item (optionally only
 * those whose task is in state `state`, -1 = all) with its content hash and task state, and the latest
 * version of each of their annotations. Later edits do not change what the snapshot exports. Counts of
 * pinned items and annotations go to *items / *annotations (either may be NULL). */
int store_snapshot_pin(struct store *s, int64_t id, int state, int64_t *items, int64_t *annotations,
		       struct ml_err *err) ML_MUST_CHECK;

/* ---- export scan ---------------------------------------------------------------------------------- */

/* One item as exports see it. All pointers are borrowed for the duration of the callback. */
struct store_export_row {
	const struct store_item *item;       /* for a snapshot: the pinned content (even after later edits) */
	const struct store_task *task;       /* for a snapshot: the pinned state and gold flag */
	const struct store_annotation *anns; /* latest (or pinned) version of each annotation, by id */
	size_t nanns;
};
/* Walks the project's items in id order with their task and annotations. snapshot_id 0 = the live rows
 * (optionally only tasks in state `state`, -1 = all); otherwise exactly what store_snapshot_pin pinned
 * (`state` is ignored). Items that are not visible (awaiting required de-identification) are never
 * exported. One read transaction: the scan sees one consistent state of the database. For a snapshot,
 * task fields other than id, item, state and gold are 0 (they are not pinned). */
int store_export_scan(struct store *s, int64_t project_id, int64_t snapshot_id, int state,
		      int (*cb)(void *ctx, const struct store_export_row *r), void *ctx, struct ml_err *err) ML_MUST_CHECK;

/* ---- media (content-addressed files under DATA/media) --------------------------------------------- */

/* Streams a file into DATA/media/xx/yyyy... named by its BLAKE2b-256; writes to a temporary file first,
 * so a crash never leaves a half-written media file. hash_hex receives 65 bytes. */
int store_media_put_file(const char *data_dir, const char *src_path, uint64_t max_bytes, char hash_hex[65],
			 struct ml_err *err) ML_MUST_CHECK;
int store_media_put_mem(const char *data_dir, const void *data, size_t len, char hash_hex[65], struct ml_err *err) ML_MUST_CHECK;
/* Hex BLAKE2b-256 of n bytes: the content hash of text items (what store_item_add computes when
 * content_hash is empty) and of schemas. */
void store_hash_hex(const void *data, size_t n, char out[65]);
/* Writes the path of a stored media file into out; ML_EINVAL if hash_hex is not 64 hex digits. */
int store_media_path(const char *data_dir, const char *hash_hex, char *out, size_t outlen, struct ml_err *err) ML_MUST_CHECK;

/* ==== quality module (src/quality): annotator qualification and gold scheduling ======================
 * Added by the quality engineer (migration 3). Each annotator of a project has a qualification state:
 * new annotators start in training (no row = training), label the project's gold tasks (the
 * qualification set) and are promoted once their accuracy on them reaches the project's threshold. */
enum store_qual_state { STORE_QUAL_TRAINING = 0, STORE_QUAL_QUALIFIED, STORE_QUAL_SUSPENDED };
const char *store_qual_state_name(enum store_qual_state st);
struct store_annotator_quality {
	int64_t project_id, user_id;
	enum store_qual_state state;
	double accuracy; /* on gold tasks, at the last evaluation */
	int64_t answers; /* gold answers the accuracy is over */
	int64_t updated_at;
};
/* ML_ENOTFOUND when the annotator has no row yet (treat as training). */
int store_annotator_quality_get(struct store *s, int64_t project_id, int64_t user_id, struct store_annotator_quality *out,
				struct ml_err *err) ML_MUST_CHECK;
int store_annotator_quality_set(struct store *s, const struct store_annotator_quality *in, struct ml_err *err) ML_MUST_CHECK;
int store_annotator_quality_list(struct store *s, int64_t project_id,
				 int (*cb)(void *ctx, const struct store_annotator_quality *q), void *ctx,
				 struct ml_err *err) ML_MUST_CHECK;
/* Like store_task_lease_next, restricted to gold tasks (gold = 1) or to the others (gold = 0). A gold task
 * is for everyone: it ignores overlap and task state, and each annotator meets it once. The user's own
 * live lease (of either kind) is returned first. */
int store_task_lease_filtered(struct store *s, int64_t project_id, int64_t user_id, int64_t now, int64_t lease_ms, int gold,
			      struct store_task *out, struct ml_err *err) ML_MUST_CHECK;
/* Assignments the user has submitted in the project: all of them, and those on gold tasks. */
int store_user_submitted_counts(struct store *s, int64_t project_id, int64_t user_id, int64_t *all, int64_t *gold,
				struct ml_err *err) ML_MUST_CHECK;
/* Revalidation: gold tasks come back to an annotator. Picks the user's submitted assignment on a gold task
 * of the project that is due again (submitted at or before `before` (ms), or followed by at least `every`
 * later submissions of the user in the project; every <= 0 turns the count off), the longest-ago first, and
 * sets it to RETURNED so the next gold lease hands the task back to the user (the task itself is not
 * touched: gold tasks ignore task state). Their answer becomes a new version of their annotation, so the
 * earlier answers stay in its history. ML_ENOTFOUND when nothing is due. */
int store_gold_repeat(struct store *s, int64_t project_id, int64_t user_id, int64_t before, int64_t every, int64_t *task_id,
		      struct ml_err *err) ML_MUST_CHECK;

#endif
