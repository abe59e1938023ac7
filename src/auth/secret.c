/* secret.c: the deployment secret (DATA/deployment.secret) that keys pseudonyms, surrogates, UID
 * replacement and date shifts, so they are stable within a deployment and unguessable outside it. */
#include "auth/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A text file (a passphrase written with echo) loses its line ending; a binary one (random bytes, like the
 * deployment secret) is taken whole: stripping a final 0x0a from random bytes would key differently from the
 * same file read as the deployment secret. */
static bool is_text(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 || c > 0x7e) && c != '\t' && c != '\r' && c != '\n')
			return false;
	}
	return true;
}

int auth_secret_file_read(const char *path, uint8_t *out, size_t *len, struct ml_err *err)
{
	char *data = NULL;
	size_t n = 0;
	if (ml_file_read(path, AUTH_SECRET_FILE_MAX, &data, &n, err) != 0)
		return -1;
	if (is_text(data, n))
		while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
			n--;
	int rc = 0;
	if (n < AUTH_SECRET_MIN) {
		rc = ml_err_set(err, ML_EINVAL, "'%s' holds %zu bytes: a secret needs %d at least", path, n, AUTH_SECRET_MIN);
	} else if (n > AUTH_SECRET_MAX) {
		/* A long passphrase: condensed, so that every byte of it counts. */
		crypto_generichash(out, AUTH_SECRET_MAX, (const unsigned char *)data, n, NULL, 0);
		*len = AUTH_SECRET_MAX;
	} else {
		memcpy(out, data, n);
		*len = n;
	}
	sodium_memzero(data, n);
	ml_free(data);
	return rc;
}

int auth_deployment_secret(const char *data_dir, bool create, uint8_t *out, size_t *len, struct ml_err *err)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s/deployment.secret", data_dir) >= (int)sizeof path)
		return ml_err_set(err, ML_EINVAL, "data folder path too long");
	if (auth_secret_file_read(path, out, len, err) == 0)
		return 0;
	if (err->code != ML_ENOTFOUND || !create)
		return -1;
	if (ml_mkdirs(data_dir, 0750, err) != 0)
		return -1;
	uint8_t fresh[32];
	randombytes_buf(fresh, sizeof fresh);
	/* O_EXCL: two processes starting at once must not each write a different secret. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return auth_deployment_secret(data_dir, false, out, len, err);
		return ml_err_set(err, ML_EIO, "cannot create '%s': %s", path, strerror(errno));
	}
	ssize_t w = write(fd, fresh, sizeof fresh);
	if (w != (ssize_t)sizeof fresh || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return ml_err_set(err, ML_EIO, "cannot write '%s'", path);
	}
	close(fd);
	memcpy(out, fresh, sizeof fresh);
	*len = sizeof fresh;
	sodium_memzero(fresh, sizeof fresh);
	return 0;
}
