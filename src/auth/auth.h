/* auth: passwords, session and API-token secrets, login throttling and the chained audit trail.
 *
 * Passwords are hashed with argon2id (libsodium crypto_pwhash_str, interactive limits) and must be at least
 * AUTH_PASSWORD_MIN code points long. Secrets (session cookies, API tokens) are 256 random bits printed as
 * hex; only their BLAKE2b-256 hash is stored, so a copy of the database does not let anyone log in.
 * API tokens carry the prefix "mlt_" so a leaked one is easy to recognise in a scan.
 *
 * Login throttling counts failures in the store under "user:ID-or-name-hash" and "addr:IP" keys over a
 * window; past AUTH_MAX_FAILS_USER (resp. _ADDR) failures within AUTH_THROTTLE_WINDOW_MS the login is refused
 * with ML_EBUSY before the password is even checked, so guessing gains nothing.
 *
 * Audit trail. Every record is chained: hash = BLAKE2b-512 keyed with the chain key (canonical
 * serialisation of the record, which includes its seq, its scheme and the previous record's hash). The
 * chain key is derived from the deployment secret (auth_audit_key_derive), so someone who can write the
 * database but not read DATA/deployment.secret cannot recompute a consistent chain after changing a record.
 * The serialisation (auth_audit_canonical) is a length-prefixed list of the fields, so no field value can
 * imitate a separator. A verifier walks the records in seq order and names the first one whose seq,
 * prev_hash or hash does not fit: a changed record breaks its own hash, a deleted one leaves a gap or a
 * broken link, an inserted or reordered one breaks the link or the hash at its position.
 *
 * Older databases. Before schema version 6 records were chained with unkeyed BLAKE2b-512; they keep that
 * hash and are marked STORE_AUDIT_UNKEYED (each record says its scheme, and the scheme is inside what is
 * hashed). They still verify, as a prefix of the trail only: the first keyed record links to the last
 * unkeyed one, so changing any of them breaks that keyed link, and an unkeyed record after a keyed one is
 * reported as a rewrite. What the key cannot prove on its own is that a trail which is unkeyed throughout
 * was never keyed (someone could rewrite a whole trail in the old scheme): `medlabel audit verify` therefore
 * prints how many records are unkeyed, which on a deployment upgraded long ago should stay a fixed number.
 * Records hold ids only (actions, "projects/3/tasks/17"), never PHI.
 */
#ifndef ML_AUTH_H
#define ML_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"

#define AUTH_PASSWORD_MIN 12
#define AUTH_PASSWORD_MAX 1024
#define AUTH_HASH_MAX 128 /* room for crypto_pwhash_STRBYTES */
#define AUTH_THROTTLE_WINDOW_MS (15 * 60 * 1000)
#define AUTH_MAX_FAILS_USER 5
#define AUTH_MAX_FAILS_ADDR 20
#define AUTH_SESSION_MS (12LL * 3600 * 1000)
#define AUTH_TOKEN_PREFIX "mlt_"

/* Initialises libsodium; safe to call many times. Returns -1 if the library cannot start. */
int auth_init(void) ML_MUST_CHECK;

/* The deployment secret, DATA/deployment.secret (16..64 random bytes, mode 0600), created with 32 bytes
 * when missing and create is true. out has AUTH_SECRET_MAX bytes of room; *len receives the length. */
#define AUTH_SECRET_MIN 16
#define AUTH_SECRET_MAX 64
int auth_deployment_secret(const char *data_dir, bool create, uint8_t *out, size_t *len, struct ml_err *err) ML_MUST_CHECK;
/* A secret file given by the user (--secret-file) or the deployment's own, read one way everywhere so that
 * one file always gives one key: a text file (a passphrase) loses its trailing line ending, a binary file is
 * taken whole; 16 bytes at least; more than AUTH_SECRET_MAX are condensed with BLAKE2b to that many; files
 * over AUTH_SECRET_FILE_MAX bytes are refused. out has AUTH_SECRET_MAX bytes of room. */
#define AUTH_SECRET_FILE_MAX 4096
int auth_secret_file_read(const char *path, uint8_t *out, size_t *len, struct ml_err *err) ML_MUST_CHECK;

/* Checks the length rules (ML_EINVAL, field "/password") and hashes with argon2id into out. */
int auth_password_hash(const char *password, char out[AUTH_HASH_MAX], struct ml_err *err) ML_MUST_CHECK;
bool auth_password_verify(const char *hash, const char *password);
/* A random password of n characters (n < outlen) from an unambiguous alphabet, for first-run admins. */
void auth_password_generate(char *out, size_t n);

/* 256 random bits as 64 hex digits (out: 65 bytes). */
void auth_secret_new(char out[65]);
/* hex BLAKE2b-256 of a secret string (out: 65 bytes). */
void auth_secret_hash(const char *secret, char out[65]);
/* Constant-time comparison of two NUL-terminated strings of the same length. */
bool auth_secret_equal(const char *a, const char *b);

/* Creates an API token for a user: *secret_out (caller frees) is "mlt_" + 64 hex digits, shown once. */
int auth_token_create(struct store *s, int64_t user_id, const char *name, char **secret_out, int64_t *id,
		      struct ml_err *err) ML_MUST_CHECK;

/* Login throttling. auth_login_allowed fails with ML_EBUSY when the account or the address has too many
 * recent failures; auth_login_failed records one for both; auth_login_succeeded clears the account's. */
int auth_login_allowed(struct store *s, const char *user_name, const char *addr, int64_t now, struct ml_err *err) ML_MUST_CHECK;
int auth_login_failed(struct store *s, const char *user_name, const char *addr, int64_t now, struct ml_err *err) ML_MUST_CHECK;
int auth_login_succeeded(struct store *s, const char *user_name, struct ml_err *err) ML_MUST_CHECK;

/* The first-run admin's one-time password must be changed before anything else: the store's setting
 * AUTH_MUST_CHANGE_KEY holds that user's id until they set a password of their own ("0" after). */
#define AUTH_MUST_CHANGE_KEY "auth.must_change_password"
int auth_must_change_set(struct store *s, int64_t user_id, struct ml_err *err) ML_MUST_CHECK;
/* Clears the mark if it is user_id's. */
int auth_must_change_clear(struct store *s, int64_t user_id, struct ml_err *err) ML_MUST_CHECK;
/* The marked user id, 0 if none. */
int64_t auth_must_change_user(struct store *s);

/* ---- audit ---------------------------------------------------------------------------------------- */

/* Writes the canonical serialisation of rec (every field except hash; the scheme as its version tag) into
 * out; returns its length, or -1 if outlen is too small (never with a buffer of AUTH_AUDIT_CANON_MAX). */
#define AUTH_AUDIT_CANON_MAX 1024
int auth_audit_canonical(const struct store_audit *rec, char *out, size_t outlen);
#define AUTH_AUDIT_KEY_BYTES 32
/* The chain key: BLAKE2b-256 keyed with the deployment secret over a fixed label. */
void auth_audit_key_derive(const uint8_t *secret, size_t len, uint8_t key[AUTH_AUDIT_KEY_BYTES]);
/* The chain key of the deployment the store belongs to (the secret beside its database file), read once
 * per process and folder. create: make the secret if it is missing (appending), else ML_ENOTFOUND. */
int auth_audit_key(struct store *s, bool create, uint8_t key[AUTH_AUDIT_KEY_BYTES], struct ml_err *err) ML_MUST_CHECK;
/* Fill rec->hash and rec->scheme (seq and prev_hash set): keyed, as every record is written now; and the
 * unkeyed scheme of older records, for tests and tools that rebuild such trails. */
void auth_audit_chain_keyed(struct store_audit *rec, const uint8_t key[AUTH_AUDIT_KEY_BYTES]);
void auth_audit_chain(struct store_audit *rec);

/* Appends one keyed record (at = now). Strings are truncated to the record's fields. */
int auth_audit_record(struct store *s, int64_t user_id, const char *role, const char *action, const char *object,
		      const char *client, int status, struct ml_err *err) ML_MUST_CHECK;

/* Streaming verifier: feed records in seq order; the first bad one is remembered. */
struct auth_audit_verifier {
	int64_t checked;         /* records seen */
	int64_t expect_seq;      /* next seq expected */
	int64_t unkeyed, keyed;  /* good records of each scheme (the unkeyed ones all come first) */
	char prev_hash[129];     /* hash of the last good record */
	int64_t bad_seq;         /* 0 while all is well; else the seq position of the first bad record */
	char why[160];
	bool have_key;
	uint8_t key[AUTH_AUDIT_KEY_BYTES];
};
void auth_audit_verifier_init(struct auth_audit_verifier *v);
/* Without a key, keyed records fail (auth_audit_verify loads the deployment's key itself). */
void auth_audit_verifier_set_key(struct auth_audit_verifier *v, const uint8_t key[AUTH_AUDIT_KEY_BYTES]);
/* Returns 0 while the chain holds, -1 at the first bad record (and stays failed). */
int auth_audit_verifier_feed(struct auth_audit_verifier *v, const struct store_audit *rec);
/* Walks the whole log of a store, with the deployment's key unless one was set. Returns 0 after the walk
 * (look at v->bad_seq), -1 on a store error. */
int auth_audit_verify(struct store *s, struct auth_audit_verifier *v, struct ml_err *err) ML_MUST_CHECK;

/* Writes one record as a JSON object line (no newline) into b. */
int auth_audit_json(const struct store_audit *rec, struct ml_buf *b) ML_MUST_CHECK;

#endif
