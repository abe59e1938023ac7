/* auth.c: password hashing, secrets, API tokens and login throttling. */
#include "auth/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int auth_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int auth_password_hash(const char *password, char out[AUTH_HASH_MAX], struct ml_err *err)
{
	size_t n = strlen(password);
	size_t bad;
	if (!ml_utf8_valid(password, n, &bad))
		return ml_err_field(err, ML_EINVAL, "/password", "password is not valid UTF-8 at byte %zu", bad);
	size_t cps = ml_utf8_cp_count(password, n);
	if (cps < AUTH_PASSWORD_MIN)
		return ml_err_field(err, ML_EINVAL, "/password", "password too short: %zu characters, at least %d needed",
				    cps, AUTH_PASSWORD_MIN);
	if (n > AUTH_PASSWORD_MAX)
		return ml_err_field(err, ML_EINVAL, "/password", "password too long: at most %d bytes", AUTH_PASSWORD_MAX);
	_Static_assert(crypto_pwhash_STRBYTES <= AUTH_HASH_MAX, "AUTH_HASH_MAX too small");
	if (crypto_pwhash_str(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return ml_err_set(err, ML_ENOMEM, "cannot hash password: out of memory");
	return 0;
}

bool auth_password_verify(const char *hash, const char *password)
{
	if (!hash || !*hash || !password)
		return false;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void auth_password_generate(char *out, size_t n)
{
	/* No 0/O, 1/l/I: the admin types it once from a terminal. */
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
	out[n] = '\0';
}

void auth_secret_new(char out[65])
{
	uint8_t raw[32];
	randombytes_buf(raw, sizeof raw);
	ml_hex_encode(raw, sizeof raw, out);
	sodium_memzero(raw, sizeof raw);
}

void auth_secret_hash(const char *secret, char out[65])
{
	uint8_t h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)secret, strlen(secret), NULL, 0);
	ml_hex_encode(h, sizeof h, out);
}

bool auth_secret_equal(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n != strlen(b))
		return false;
	return sodium_memcmp(a, b, n) == 0;
}

int auth_token_create(struct store *s, int64_t user_id, const char *name, char **secret_out, int64_t *id,
		      struct ml_err *err)
{
	char raw[65], hash[65];
	auth_secret_new(raw);
	char *secret = ml_xasprintf("%s%s", AUTH_TOKEN_PREFIX, raw);
	sodium_memzero(raw, sizeof raw);
	auth_secret_hash(secret, hash);
	if (store_token_create(s, user_id, name ? name : "", hash, id, err) != 0) {
		ml_free(secret);
		return -1;
	}
	*secret_out = secret;
	return 0;
}

static void key_of(char *out, size_t n, const char *kind, const char *v)
{
	snprintf(out, n, "%s:%s", kind, v ? v : "");
}

int auth_login_allowed(struct store *s, const char *user_name, const char *addr, int64_t now, struct ml_err *err)
{
	char key[320];
	int64_t count = 0;
	key_of(key, sizeof key, "user", user_name);
	if (store_login_failure_count(s, key, now - AUTH_THROTTLE_WINDOW_MS, &count, err) != 0)
		return -1;
	if (count >= AUTH_MAX_FAILS_USER)
		return ml_err_set(err, ML_EBUSY, "too many failed logins for this account: try again later");
	key_of(key, sizeof key, "addr", addr);
	if (store_login_failure_count(s, key, now - AUTH_THROTTLE_WINDOW_MS, &count, err) != 0)
		return -1;
	if (count >= AUTH_MAX_FAILS_ADDR)
		return ml_err_set(err, ML_EBUSY, "too many failed logins from this address: try again later");
	return 0;
}

int auth_login_failed(struct store *s, const char *user_name, const char *addr, int64_t now, struct ml_err *err)
{
	char key[320];
	/* Failures older than the window count for nothing: forget them as new ones come. */
	if (store_login_failure_prune(s, now - AUTH_THROTTLE_WINDOW_MS, err) != 0)
		return -1;
	key_of(key, sizeof key, "user", user_name);
	if (store_login_failure_add(s, key, now, err) != 0)
		return -1;
	key_of(key, sizeof key, "addr", addr);
	return store_login_failure_add(s, key, now, err);
}

int auth_login_succeeded(struct store *s, const char *user_name, struct ml_err *err)
{
	char key[320];
	key_of(key, sizeof key, "user", user_name);
	return store_login_failure_clear(s, key, err);
}

int auth_must_change_set(struct store *s, int64_t user_id, struct ml_err *err)
{
	char v[24];
	snprintf(v, sizeof v, "%lld", (long long)user_id);
	return store_setting_set(s, AUTH_MUST_CHANGE_KEY, v, err);
}

int64_t auth_must_change_user(struct store *s)
{
	char *v = NULL;
	struct ml_err err;
	if (store_setting_get(s, AUTH_MUST_CHANGE_KEY, &v, &err) != 0)
		return 0;
	long long id = atoll(v);
	ml_free(v);
	return id > 0 ? id : 0;
}

int auth_must_change_clear(struct store *s, int64_t user_id, struct ml_err *err)
{
	if (auth_must_change_user(s) != user_id)
		return 0;
	return store_setting_set(s, AUTH_MUST_CHANGE_KEY, "0", err);
}
