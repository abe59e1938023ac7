/* audit.c: the BLAKE2b-chained audit trail: canonical form, the chain key, appending, verifying, JSON lines. */
#include "auth/auth.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Each field as "<tag><decimal length>:<bytes>" so values can never be confused with separators. */
static int put_field(char *out, size_t outlen, size_t *pos, char tag, const char *v)
{
	size_t n = strlen(v);
	int w = snprintf(out + *pos, outlen - *pos, "%c%zu:", tag, n);
	if (w < 0 || (size_t)w + n >= outlen - *pos)
		return -1;
	*pos += (size_t)w;
	memcpy(out + *pos, v, n);
	*pos += n;
	out[*pos] = '\0';
	return 0;
}

int auth_audit_canonical(const struct store_audit *rec, char *out, size_t outlen)
{
	char num[4][24];
	snprintf(num[0], sizeof num[0], "%" PRId64, rec->seq);
	snprintf(num[1], sizeof num[1], "%" PRId64, rec->at);
	snprintf(num[2], sizeof num[2], "%" PRId64, rec->user_id);
	snprintf(num[3], sizeof num[3], "%d", rec->status);
	size_t pos = 0;
	if (outlen == 0)
		return -1;
	out[0] = '\0';
	/* The scheme is part of what is hashed: a keyed record cannot pass for an unkeyed one. */
	const char *version = rec->scheme == STORE_AUDIT_KEYED ? "ml-audit-2" : "ml-audit-1";
	if (put_field(out, outlen, &pos, 'v', version) || put_field(out, outlen, &pos, 's', num[0]) ||
	    put_field(out, outlen, &pos, 't', num[1]) || put_field(out, outlen, &pos, 'u', num[2]) ||
	    put_field(out, outlen, &pos, 'r', rec->role) || put_field(out, outlen, &pos, 'a', rec->action) ||
	    put_field(out, outlen, &pos, 'o', rec->object) || put_field(out, outlen, &pos, 'c', rec->client) ||
	    put_field(out, outlen, &pos, 'x', num[3]) || put_field(out, outlen, &pos, 'p', rec->prev_hash))
		return -1;
	return (int)pos;
}

/* key NULL: the unkeyed BLAKE2b-512 of older records; else BLAKE2b-512 keyed with the chain key. */
static void hash_of(const struct store_audit *rec, const uint8_t *key, char out[129])
{
	char canon[AUTH_AUDIT_CANON_MAX];
	int n = auth_audit_canonical(rec, canon, sizeof canon);
	uint8_t h[64];
	/* The fields are bounded arrays, so the canonical form always fits; n < 0 cannot happen. */
	crypto_generichash(h, sizeof h, (const unsigned char *)canon, n < 0 ? 0 : (size_t)n, key,
			   key ? AUTH_AUDIT_KEY_BYTES : 0);
	ml_hex_encode(h, sizeof h, out);
}

void auth_audit_chain(struct store_audit *rec)
{
	rec->scheme = STORE_AUDIT_UNKEYED;
	hash_of(rec, NULL, rec->hash);
}

void auth_audit_chain_keyed(struct store_audit *rec, const uint8_t key[AUTH_AUDIT_KEY_BYTES])
{
	rec->scheme = STORE_AUDIT_KEYED;
	hash_of(rec, key, rec->hash);
}

static void chain_keyed_cb(void *key, struct store_audit *rec)
{
	auth_audit_chain_keyed(rec, key);
}

/* ---- the chain key ---- */

void auth_audit_key_derive(const uint8_t *secret, size_t len, uint8_t key[AUTH_AUDIT_KEY_BYTES])
{
	/* A key of its own (not the secret itself, which also keys pseudonyms and date shifts): BLAKE2b keyed
	 * with the secret over a fixed label. */
	static const char label[] = "medlabel audit chain key v2";
	crypto_generichash(key, AUTH_AUDIT_KEY_BYTES, (const unsigned char *)label, sizeof label - 1, secret, len);
}

/* One deployment per process in practice (the server, a CLI command); the key is read once per folder. */
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static char key_dir[4096];
static uint8_t key_cached[AUTH_AUDIT_KEY_BYTES];

int auth_audit_key(struct store *s, bool create, uint8_t key[AUTH_AUDIT_KEY_BYTES], struct ml_err *err)
{
	const char *file = store_file(s);
	const char *slash = strrchr(file, '/');
	char dir[sizeof key_dir];
	if (!*file || !strcmp(file, ":memory:"))
		return ml_err_set(err, ML_EINVAL, "an in-memory database has no deployment folder, so no audit key");
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if ((size_t)(slash - file) >= sizeof dir)
		return ml_err_set(err, ML_EINVAL, "database path too long");
	else
		snprintf(dir, sizeof dir, "%.*s", slash == file ? 1 : (int)(slash - file), file);
	pthread_mutex_lock(&key_lock);
	int rc = 0;
	if (strcmp(dir, key_dir) != 0) {
		uint8_t secret[AUTH_SECRET_MAX];
		size_t len = 0;
		rc = auth_deployment_secret(dir, create, secret, &len, err);
		if (rc == 0) {
			auth_audit_key_derive(secret, len, key_cached);
			snprintf(key_dir, sizeof key_dir, "%s", dir);
		}
		sodium_memzero(secret, sizeof secret);
	}
	if (rc == 0)
		memcpy(key, key_cached, AUTH_AUDIT_KEY_BYTES);
	pthread_mutex_unlock(&key_lock);
	return rc;
}

static void copy_field(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int auth_audit_record(struct store *s, int64_t user_id, const char *role, const char *action, const char *object,
		      const char *client, int status, struct ml_err *err)
{
	struct store_audit rec;
	memset(&rec, 0, sizeof rec);
	rec.at = ml_now_ms();
	rec.user_id = user_id;
	copy_field(rec.role, sizeof rec.role, role);
	copy_field(rec.action, sizeof rec.action, action);
	copy_field(rec.object, sizeof rec.object, object);
	copy_field(rec.client, sizeof rec.client, client);
	rec.status = status;
	uint8_t key[AUTH_AUDIT_KEY_BYTES];
	if (auth_audit_key(s, true, key, err) != 0)
		return -1;
	int rc = store_audit_append(s, &rec, chain_keyed_cb, key, err);
	sodium_memzero(key, sizeof key);
	return rc;
}

void auth_audit_verifier_init(struct auth_audit_verifier *v)
{
	memset(v, 0, sizeof *v);
	v->expect_seq = 1;
}

void auth_audit_verifier_set_key(struct auth_audit_verifier *v, const uint8_t key[AUTH_AUDIT_KEY_BYTES])
{
	memcpy(v->key, key, AUTH_AUDIT_KEY_BYTES);
	v->have_key = true;
}

int auth_audit_verifier_feed(struct auth_audit_verifier *v, const struct store_audit *rec)
{
	if (v->bad_seq)
		return -1;
	v->checked++;
	if (rec->seq != v->expect_seq) {
		v->bad_seq = v->expect_seq;
		if (rec->seq > v->expect_seq)
			snprintf(v->why, sizeof v->why, "record %" PRId64 " is missing (deleted): the next one is %" PRId64,
				 v->expect_seq, rec->seq);
		else
			snprintf(v->why, sizeof v->why, "record %" PRId64 " is out of sequence (inserted or reordered)",
				 v->expect_seq);
		return -1;
	}
	if (strcmp(rec->prev_hash, v->prev_hash) != 0) {
		v->bad_seq = rec->seq;
		snprintf(v->why, sizeof v->why,
			 "record %" PRId64 " does not link to its predecessor (a record before it was deleted, inserted or reordered)",
			 rec->seq);
		return -1;
	}
	if (rec->scheme == STORE_AUDIT_UNKEYED && v->keyed) {
		/* Unkeyed records only ever come before the key: one after a keyed record is someone rewriting
		 * the chain's tail without the secret. */
		v->bad_seq = rec->seq;
		snprintf(v->why, sizeof v->why,
			 "record %" PRId64 " is unkeyed after keyed records: the chain was rewritten without the key", rec->seq);
		return -1;
	}
	if (rec->scheme != STORE_AUDIT_UNKEYED && rec->scheme != STORE_AUDIT_KEYED) {
		v->bad_seq = rec->seq;
		snprintf(v->why, sizeof v->why, "record %" PRId64 " names an unknown hash scheme %d", rec->seq, rec->scheme);
		return -1;
	}
	if (rec->scheme == STORE_AUDIT_KEYED && !v->have_key) {
		v->bad_seq = rec->seq;
		snprintf(v->why, sizeof v->why,
			 "record %" PRId64 " is keyed, and the deployment secret to check it is missing", rec->seq);
		return -1;
	}
	char h[129];
	hash_of(rec, rec->scheme == STORE_AUDIT_KEYED ? v->key : NULL, h);
	if (strcmp(h, rec->hash) != 0) {
		v->bad_seq = rec->seq;
		snprintf(v->why, sizeof v->why, "record %" PRId64 " has been changed: its hash does not match its content",
			 rec->seq);
		return -1;
	}
	memcpy(v->prev_hash, rec->hash, sizeof v->prev_hash);
	v->expect_seq++;
	if (rec->scheme == STORE_AUDIT_KEYED)
		v->keyed++;
	else
		v->unkeyed++;
	return 0;
}

static int verify_cb(void *ctx, const struct store_audit *a)
{
	return auth_audit_verifier_feed(ctx, a) != 0 ? 1 : 0;
}

int auth_audit_verify(struct store *s, struct auth_audit_verifier *v, struct ml_err *err)
{
	if (!v->have_key) {
		/* Without the secret an old, wholly unkeyed trail still verifies; the first keyed record says why
		 * it cannot be checked. Never create a secret just to verify. */
		uint8_t key[AUTH_AUDIT_KEY_BYTES];
		struct ml_err e2;
		if (auth_audit_key(s, false, key, &e2) == 0)
			auth_audit_verifier_set_key(v, key);
		else if (e2.code != ML_ENOTFOUND)
			return ml_err_set(err, e2.code, "%s", e2.msg);
		sodium_memzero(key, sizeof key);
	}
	struct store_audit_filter f = {0};
	int rc = store_audit_list(s, &f, verify_cb, v, err);
	if (rc < 0)
		return -1;
	return 0;
}

int auth_audit_json(const struct store_audit *rec, struct ml_buf *b)
{
	char ts[40];
	ml_time_format(rec->at, ts, sizeof ts);
	if (ml_buf_printf(b, "{\"seq\":%" PRId64 ",\"at\":\"%s\",\"user_id\":%" PRId64 ",\"role\":", rec->seq, ts,
			  rec->user_id) ||
	    ml_buf_json_str(b, rec->role, strlen(rec->role)) || ml_buf_puts(b, ",\"action\":") ||
	    ml_buf_json_str(b, rec->action, strlen(rec->action)) || ml_buf_puts(b, ",\"object\":") ||
	    ml_buf_json_str(b, rec->object, strlen(rec->object)) || ml_buf_puts(b, ",\"client\":") ||
	    ml_buf_json_str(b, rec->client, strlen(rec->client)) ||
	    ml_buf_printf(b, ",\"status\":%d,\"prev_hash\":\"%s\",\"hash\":\"%s\",\"keyed\":%s}", rec->status, rec->prev_hash,
			  rec->hash, rec->scheme == STORE_AUDIT_KEYED ? "true" : "false"))
		return -1;
	return 0;
}
