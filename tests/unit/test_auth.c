/* test_auth.c: passwords, secrets, the audit chain's canonical form and the streaming verifier. */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "harness.h"

TEST(passwords_hash_and_verify)
{
	CHECK(auth_init() == 0);
	char h[AUTH_HASH_MAX];
	struct ml_err err;
	CHECK(auth_password_hash("correct horse battery", h, &err) == 0);
	CHECK(!strncmp(h, "$argon2id$", 10));
	CHECK(auth_password_verify(h, "correct horse battery"));
	CHECK(!auth_password_verify(h, "correct horse batterz"));
	CHECK(!auth_password_verify("", "x"));
}

TEST(passwords_need_twelve_code_points)
{
	char h[AUTH_HASH_MAX];
	struct ml_err err;
	CHECK(auth_password_hash("elevenchars", h, &err) == -1);
	CHECK_EQ_INT(err.code, ML_EINVAL);
	CHECK_EQ_STR(err.field, "/password");
	/* 11 code points in 22 bytes is still too short: length counts characters, not bytes */
	CHECK(auth_password_hash("ééééééééééé", h, &err) == -1);
	CHECK(auth_password_hash("\xff\xfe invalid utf8 here", h, &err) == -1);
	CHECK(strstr(err.msg, "UTF-8") != NULL);
	CHECK(auth_password_hash("twelve chars", h, &err) == 0);
}

TEST(secrets_are_random_hex_and_hashed)
{
	char a[65], b[65], ha[65], ha2[65];
	auth_secret_new(a);
	auth_secret_new(b);
	CHECK_EQ_INT(strlen(a), 64);
	CHECK(strspn(a, "0123456789abcdef") == 64);
	CHECK(strcmp(a, b) != 0);
	auth_secret_hash(a, ha);
	auth_secret_hash(a, ha2);
	CHECK_EQ_STR(ha, ha2);
	CHECK(strcmp(ha, a) != 0);
	CHECK(auth_secret_equal(a, a));
	CHECK(!auth_secret_equal(a, b));
	CHECK(!auth_secret_equal(a, "short"));
	/* BLAKE2b-256 of "abc" (RFC 7693 test vectors are for 512; this is libsodium's 256-bit output) */
	auth_secret_hash("abc", ha);
	CHECK_EQ_STR(ha, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(generated_passwords_use_the_unambiguous_alphabet)
{
	char p[21];
	auth_password_generate(p, 20);
	CHECK_EQ_INT(strlen(p), 20);
	CHECK(strpbrk(p, "0O1lI") == NULL);
}

/* The chain key of these tests (a deployment's comes from its secret). */
static const uint8_t test_key[AUTH_AUDIT_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
							 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* n records, the first `unkeyed` of them in the scheme of databases before schema 6, the rest keyed. */
static void make_mixed_chain(struct store_audit *recs, int n, int unkeyed)
{
	char prev[129] = "";
	for (int i = 0; i < n; i++) {
		struct store_audit *r = &recs[i];
		memset(r, 0, sizeof *r);
		r->seq = i + 1;
		r->at = 1700000000000 + i;
		r->user_id = i % 3;
		snprintf(r->role, sizeof r->role, "annotator");
		snprintf(r->action, sizeof r->action, "annotation.create");
		snprintf(r->object, sizeof r->object, "projects/1/tasks/%d/annotations", i);
		snprintf(r->client, sizeof r->client, "127.0.0.1");
		r->status = 201;
		memcpy(r->prev_hash, prev, sizeof prev);
		if (i < unkeyed)
			auth_audit_chain(r);
		else
			auth_audit_chain_keyed(r, test_key);
		memcpy(prev, r->hash, sizeof prev);
	}
}

static void make_chain(struct store_audit *recs, int n)
{
	make_mixed_chain(recs, n, 0);
}

static int64_t verify_with(const struct store_audit *recs, int n, const uint8_t *key, struct auth_audit_verifier *v)
{
	auth_audit_verifier_init(v);
	if (key)
		auth_audit_verifier_set_key(v, key);
	for (int i = 0; i < n; i++)
		if (auth_audit_verifier_feed(v, &recs[i]) != 0)
			break;
	return v->bad_seq;
}

static int64_t first_bad(const struct store_audit *recs, int n)
{
	struct auth_audit_verifier v;
	return verify_with(recs, n, test_key, &v);
}

TEST(an_intact_chain_verifies)
{
	struct store_audit recs[10];
	make_chain(recs, 10);
	CHECK_EQ_INT(first_bad(recs, 10), 0);
	CHECK_EQ_INT(strlen(recs[0].hash), 128);
	CHECK_EQ_STR(recs[1].prev_hash, recs[0].hash);
}

TEST(every_field_is_covered_by_the_hash)
{
	struct store_audit recs[5];
	for (int field = 0; field < 9; field++) {
		make_chain(recs, 5);
		struct store_audit *r = &recs[2];
		switch (field) {
		case 0: r->at++; break;
		case 1: r->user_id = 99; break;
		case 2: r->role[0] = 'X'; break;
		case 3: r->action[0] = 'X'; break;
		case 4: r->object[0] = 'X'; break;
		case 5: r->client[0] = 'X'; break;
		case 6: r->status = 200; break;
		case 7: r->prev_hash[0] = r->prev_hash[0] == 'a' ? 'b' : 'a'; break;
		case 8: r->hash[5] = r->hash[5] == 'a' ? 'b' : 'a'; break;
		}
		CHECK_EQ_INT(first_bad(recs, 5), 3);
	}
}

TEST(deleted_inserted_reordered_records_are_named)
{
	struct store_audit recs[8], t[9];
	make_chain(recs, 8);
	/* delete record 4 */
	memcpy(t, recs, 3 * sizeof *t);
	memcpy(t + 3, recs + 4, 4 * sizeof *t);
	CHECK_EQ_INT(first_bad(t, 7), 4);
	/* delete the first record */
	CHECK_EQ_INT(first_bad(recs + 1, 7), 1);
	/* insert a copy of record 2 as the new record 5, renumbering the rest */
	memcpy(t, recs, 4 * sizeof *t);
	t[4] = recs[1];
	t[4].seq = 5;
	for (int i = 4; i < 8; i++) {
		t[i + 1] = recs[i];
		t[i + 1].seq = i + 2;
	}
	CHECK_EQ_INT(first_bad(t, 9), 5);
	/* swap records 6 and 7 (contents, keeping the seq order) */
	memcpy(t, recs, 8 * sizeof *t);
	t[5] = recs[6];
	t[6] = recs[5];
	t[5].seq = 6;
	t[6].seq = 7;
	CHECK_EQ_INT(first_bad(t, 8), 6);
	/* rechaining from the middle with the key still breaks the link of the next original record */
	memcpy(t, recs, 8 * sizeof *t);
	t[3].status = 500;
	auth_audit_chain_keyed(&t[3], test_key);
	CHECK_EQ_INT(first_bad(t, 8), 5);
}

/* Someone who can write the database but lacks the deployment secret cannot rewrite the chain consistently:
 * neither with another key, nor in the unkeyed scheme of older databases. */
TEST(a_chain_rewritten_without_the_key_is_caught)
{
	struct store_audit recs[8], t[8];
	static const uint8_t wrong[AUTH_AUDIT_KEY_BYTES] = {9};
	make_chain(recs, 8);
	/* change record 4 and recompute 4..8 with a guessed key */
	memcpy(t, recs, sizeof t);
	t[3].status = 500;
	for (int i = 3; i < 8; i++) {
		if (i > 3)
			memcpy(t[i].prev_hash, t[i - 1].hash, sizeof t[i].prev_hash);
		auth_audit_chain_keyed(&t[i], wrong);
	}
	CHECK_EQ_INT(first_bad(t, 8), 4);
	/* the same, downgrading 4..8 to the unkeyed scheme (which needs no key) */
	memcpy(t, recs, sizeof t);
	t[3].status = 500;
	for (int i = 3; i < 8; i++) {
		if (i > 3)
			memcpy(t[i].prev_hash, t[i - 1].hash, sizeof t[i].prev_hash);
		auth_audit_chain(&t[i]);
	}
	struct auth_audit_verifier v;
	CHECK_EQ_INT(verify_with(t, 8, test_key, &v), 4);
	CHECK(strstr(v.why, "unkeyed after keyed") != NULL);
	/* the scheme column alone flipped: the scheme is inside the hash */
	memcpy(t, recs, sizeof t);
	t[7].scheme = STORE_AUDIT_UNKEYED;
	CHECK_EQ_INT(first_bad(t, 8), 8);
	t[7].scheme = 7;
	CHECK_EQ_INT(first_bad(t, 8), 8);
	/* the right chain, the wrong key (another deployment's secret), or none */
	CHECK_EQ_INT(verify_with(recs, 8, wrong, &v), 1);
	CHECK_EQ_INT(verify_with(recs, 8, NULL, &v), 1);
	CHECK(strstr(v.why, "secret") != NULL);
}

/* A database from before schema 6: its unkeyed records still verify, as a prefix sealed by the first keyed
 * record after them. */
TEST(older_unkeyed_records_verify_as_a_sealed_prefix)
{
	struct store_audit recs[9], t[9];
	make_mixed_chain(recs, 9, 4);
	struct auth_audit_verifier v;
	CHECK_EQ_INT(verify_with(recs, 9, test_key, &v), 0);
	CHECK_EQ_INT(v.unkeyed, 4);
	CHECK_EQ_INT(v.keyed, 5);
	/* a wholly unkeyed trail (not upgraded yet) verifies even without the secret */
	make_mixed_chain(t, 9, 9);
	CHECK_EQ_INT(verify_with(t, 9, NULL, &v), 0);
	CHECK_EQ_INT(v.unkeyed, 9);
	/* changing an unkeyed record and rechaining the unkeyed prefix (possible without the key) breaks the
	 * link of the first keyed record */
	memcpy(t, recs, sizeof t);
	t[1].user_id = 42;
	for (int i = 1; i < 4; i++) {
		if (i > 1)
			memcpy(t[i].prev_hash, t[i - 1].hash, sizeof t[i].prev_hash);
		auth_audit_chain(&t[i]);
	}
	CHECK_EQ_INT(first_bad(t, 9), 5);
	/* and without rechaining, the changed record itself */
	memcpy(t, recs, sizeof t);
	t[1].user_id = 42;
	CHECK_EQ_INT(first_bad(t, 9), 2);
}

/* The key comes from the deployment secret beside the database: the same for every handle of one
 * deployment, another for another deployment. */
TEST(the_chain_key_comes_from_the_deployment_secret)
{
	char dir1[600], dir2[600], db[700];
	snprintf(dir1, sizeof dir1, "%s/deploy1", test_tmpdir());
	snprintf(dir2, sizeof dir2, "%s/deploy2", test_tmpdir());
	struct ml_err err;
	CHECK(ml_mkdirs(dir1, 0700, &err) == 0 && ml_mkdirs(dir2, 0700, &err) == 0);
	uint8_t k1[AUTH_AUDIT_KEY_BYTES], k1b[AUTH_AUDIT_KEY_BYTES], k2[AUTH_AUDIT_KEY_BYTES];
	struct store *s = NULL;
	snprintf(db, sizeof db, "%s/medlabel.db", dir1);
	CHECK(store_open(db, &s, &err) == 0);
	CHECK(auth_audit_key(s, false, k1, &err) == -1); /* no secret yet, and verifying never makes one */
	CHECK_EQ_INT(err.code, ML_ENOTFOUND);
	CHECK(auth_audit_record(s, 3, "annotator", "item.read", "projects/1/items/2", "127.0.0.1", 200, &err) == 0);
	CHECK(auth_audit_key(s, false, k1, &err) == 0);
	store_close(s);
	uint8_t secret[AUTH_SECRET_MAX];
	size_t len;
	CHECK(auth_deployment_secret(dir1, false, secret, &len, &err) == 0);
	auth_audit_key_derive(secret, len, k1b);
	CHECK(!memcmp(k1, k1b, sizeof k1));
	CHECK(memcmp(k1, secret, sizeof k1) != 0); /* a key of its own, not the secret */
	snprintf(db, sizeof db, "%s/medlabel.db", dir2);
	CHECK(store_open(db, &s, &err) == 0);
	CHECK(auth_audit_record(s, 3, "annotator", "item.read", "projects/1/items/2", "127.0.0.1", 200, &err) == 0);
	CHECK(auth_audit_key(s, false, k2, &err) == 0);
	CHECK(memcmp(k1, k2, sizeof k1) != 0);
	struct auth_audit_verifier v;
	auth_audit_verifier_init(&v);
	CHECK(auth_audit_verify(s, &v, &err) == 0);
	CHECK_EQ_INT(v.bad_seq, 0);
	CHECK_EQ_INT(v.keyed, 1);
	/* deployment 2's trail checked with deployment 1's key fails at its first record */
	auth_audit_verifier_init(&v);
	auth_audit_verifier_set_key(&v, k1);
	CHECK(auth_audit_verify(s, &v, &err) == 0);
	CHECK_EQ_INT(v.bad_seq, 1);
	store_close(s);
}

TEST(the_canonical_form_cannot_be_confused_by_separators)
{
	struct store_audit a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	snprintf(a.role, sizeof a.role, "ab");
	snprintf(a.action, sizeof a.action, "c");
	snprintf(b.role, sizeof b.role, "a");
	snprintf(b.action, sizeof b.action, "bc");
	char ca[AUTH_AUDIT_CANON_MAX], cb[AUTH_AUDIT_CANON_MAX];
	CHECK(auth_audit_canonical(&a, ca, sizeof ca) > 0);
	CHECK(auth_audit_canonical(&b, cb, sizeof cb) > 0);
	CHECK(strcmp(ca, cb) != 0);
	/* full-size fields still fit */
	memset(a.object, 'o', sizeof a.object - 1);
	memset(a.client, 'c', sizeof a.client - 1);
	memset(a.prev_hash, 'f', sizeof a.prev_hash - 1);
	CHECK(auth_audit_canonical(&a, ca, sizeof ca) > 0);
	CHECK(auth_audit_canonical(&a, ca, 20) == -1);
}

TEST(audit_records_print_as_json)
{
	struct store_audit recs[1];
	make_chain(recs, 1);
	struct ml_buf b;
	ml_buf_init(&b, 0);
	CHECK(auth_audit_json(&recs[0], &b) == 0);
	CHECK(strstr(b.data, "\"seq\":1,") != NULL);
	CHECK(strstr(b.data, "\"object\":\"projects/1/tasks/0/annotations\"") != NULL);
	CHECK(strstr(b.data, "\"at\":\"2023-11-14T22:13:20.000Z\"") != NULL);
	ml_buf_release(&b);
}

/* Failed logins are kept only as long as they count: an old failure (and the name typed with it) is
 * forgotten when a new one is recorded. */
TEST(old_login_failures_are_forgotten)
{
	char path[512];
	snprintf(path, sizeof path, "%s/failures.db", test_tmpdir());
	struct store *s;
	struct ml_err err;
	CHECK(store_open(path, &s, &err) == 0);
	int64_t t0 = 1700000000000, n = -1;
	CHECK(auth_login_failed(s, "my secret password typed as a name", "10.0.0.1", t0, &err) == 0);
	CHECK(store_login_failure_count(s, "user:my secret password typed as a name", 0, &n, &err) == 0);
	CHECK_EQ_INT(n, 1);
	CHECK(auth_login_failed(s, "bob", "10.0.0.2", t0 + AUTH_THROTTLE_WINDOW_MS / 2, &err) == 0);
	CHECK(store_login_failure_count(s, "user:my secret password typed as a name", 0, &n, &err) == 0);
	CHECK_EQ_INT(n, 1); /* still within the window */
	CHECK(auth_login_failed(s, "bob", "10.0.0.2", t0 + AUTH_THROTTLE_WINDOW_MS + 1, &err) == 0);
	CHECK(store_login_failure_count(s, "user:my secret password typed as a name", 0, &n, &err) == 0);
	CHECK_EQ_INT(n, 0);
	CHECK(store_login_failure_count(s, "addr:10.0.0.1", 0, &n, &err) == 0);
	CHECK_EQ_INT(n, 0);
	CHECK(store_login_failure_count(s, "user:bob", 0, &n, &err) == 0);
	CHECK_EQ_INT(n, 2);
	store_close(s);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(p, 1, n, f) == n);
	fclose(f);
}

TEST(one_secret_file_gives_one_key_however_it_is_read)
{
	char dir[1024], path[1100];
	snprintf(dir, sizeof dir, "%s/secrets", test_tmpdir());
	struct ml_err err = {0};
	CHECK(ml_mkdirs(dir, 0700, &err) == 0);
	snprintf(path, sizeof path, "%s/deployment.secret", dir);
	/* random bytes that happen to end in a line feed: read whole, as --secret-file and as the deployment's */
	uint8_t raw[32];
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(0x80 + i * 3);
	raw[31] = '\n';
	write_bytes(path, raw, sizeof raw);
	uint8_t a[AUTH_SECRET_MAX], b[AUTH_SECRET_MAX];
	size_t na = 0, nb = 0;
	CHECK(auth_secret_file_read(path, a, &na, &err) == 0);
	CHECK(auth_deployment_secret(dir, false, b, &nb, &err) == 0);
	CHECK_EQ_INT((long long)na, 32);
	CHECK_EQ_INT((long long)nb, 32);
	CHECK(memcmp(a, raw, 32) == 0 && memcmp(b, raw, 32) == 0);
	/* a passphrase written by echo loses its line ending */
	write_bytes(path, "correct horse battery staple\r\n", 30);
	CHECK(auth_secret_file_read(path, a, &na, &err) == 0);
	CHECK_EQ_INT((long long)na, 28);
	CHECK(memcmp(a, "correct horse battery staple", 28) == 0);
	/* too short, named with its length; longer than 64 bytes condensed, every byte counting */
	write_bytes(path, "short\n", 6);
	CHECK(auth_secret_file_read(path, a, &na, &err) == -1);
	CHECK(strstr(err.msg, "holds 5 bytes") != NULL);
	char longer[100];
	memset(longer, 'x', sizeof longer);
	write_bytes(path, longer, sizeof longer);
	CHECK(auth_secret_file_read(path, a, &na, &err) == 0);
	CHECK_EQ_INT((long long)na, AUTH_SECRET_MAX);
	longer[99] = 'y';
	write_bytes(path, longer, sizeof longer);
	CHECK(auth_secret_file_read(path, b, &nb, &err) == 0);
	CHECK(memcmp(a, b, AUTH_SECRET_MAX) != 0);
}
