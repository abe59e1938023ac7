/* media.c: content-addressed media files under DATA/media/ab/cdef... (BLAKE2b-256 of the bytes), written
 * through a temporary file, fsync and rename so a crash never leaves a half-written file under its name. */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int store_media_path(const char *data_dir, const char *hash_hex, char *out, size_t outlen, struct ml_err *err)
{
	if (!hash_hex || strlen(hash_hex) != 64)
		return ml_err_set(err, ML_EINVAL, "media hash is not 64 hex digits");
	for (int i = 0; i < 64; i++)
		if (!((hash_hex[i] >= '0' && hash_hex[i] <= '9') || (hash_hex[i] >= 'a' && hash_hex[i] <= 'f')))
			return ml_err_set(err, ML_EINVAL, "media hash is not 64 lower-case hex digits");
	int n = snprintf(out, outlen, "%s/media/%.2s/%s", data_dir, hash_hex, hash_hex + 2);
	if (n < 0 || (size_t)n >= outlen)
		return ml_err_set(err, ML_EINVAL, "media path too long");
	return 0;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Writes everything; -1 on error with errno set. */
static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A temporary file in DATA/media/tmp; *tmp receives its path. */
static int open_tmp(const char *data_dir, char *tmp, size_t tmplen, struct ml_err *err)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/media/tmp", data_dir);
	if (ml_mkdirs(dir, 0750, err))
		return -1;
	if (snprintf(tmp, tmplen, "%s/put-XXXXXX", dir) >= (int)tmplen)
		return ml_err_set(err, ML_EINVAL, "media path too long");
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ml_err_set(err, ML_EIO, "cannot create a file in '%s': %s", dir, strerror(errno));
	return fd;
}

/* Moves the finished temporary file to its content address (or drops it if that content is stored). */
static int finish(const char *data_dir, int fd, const char *tmp, const unsigned char h[32], char hash_hex[65],
		  struct ml_err *err)
{
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return ml_err_set(err, ML_EIO, "cannot sync '%s': %s", tmp, strerror(e));
	}
	close(fd);
	ml_hex_encode(h, 32, hash_hex);
	char path[4096], dir[4096];
	if (store_media_path(data_dir, hash_hex, path, sizeof path, err)) {
		unlink(tmp);
		return -1;
	}
	snprintf(dir, sizeof dir, "%s/media/%.2s", data_dir, hash_hex);
	if (ml_mkdirs(dir, 0750, err)) {
		unlink(tmp);
		return -1;
	}
	struct stat sb;
	if (stat(path, &sb) == 0) { /* same content already stored: content addressing deduplicates */
		unlink(tmp);
		return 0;
	}
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return ml_err_set(err, ML_EIO, "cannot store media '%s': %s", path, strerror(e));
	}
	fsync_dir(dir);
	return 0;
}

int store_media_put_mem(const char *data_dir, const void *data, size_t len, char hash_hex[65], struct ml_err *err)
{
	char tmp[4096];
	int fd = open_tmp(data_dir, tmp, sizeof tmp, err);
	if (fd < 0)
		return -1;
	unsigned char h[32];
	crypto_generichash(h, sizeof h, data, len, NULL, 0);
	if (write_all(fd, data, len)) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return ml_err_set(err, ML_EIO, "cannot write '%s': %s", tmp, strerror(e));
	}
	return finish(data_dir, fd, tmp, h, hash_hex, err);
}

int store_media_put_file(const char *data_dir, const char *src_path, uint64_t max_bytes, char hash_hex[65],
			 struct ml_err *err)
{
	int in = open(src_path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ml_err_set(err, errno == ENOENT ? ML_ENOTFOUND : ML_EIO, "cannot open '%s': %s", src_path,
				  strerror(errno));
	char tmp[4096];
	int fd = open_tmp(data_dir, tmp, sizeof tmp, err);
	if (fd < 0) {
		close(in);
		return -1;
	}
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, 32);
	static __thread char buf[1 << 16];
	uint64_t total = 0;
	int ret = 0;
	for (;;) {
		ssize_t r = read(in, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = ml_err_set(err, ML_EIO, "cannot read '%s': %s", src_path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		total += (uint64_t)r;
		if (max_bytes && total > max_bytes) {
			ret = ml_err_set(err, ML_ELIMIT, "'%s' is larger than the limit of %llu bytes", src_path,
					 (unsigned long long)max_bytes);
			break;
		}
		crypto_generichash_update(&hs, (const unsigned char *)buf, (size_t)r);
		if (write_all(fd, buf, (size_t)r)) {
			ret = ml_err_set(err, ML_EIO, "cannot write '%s': %s", tmp, strerror(errno));
			break;
		}
	}
	close(in);
	if (ret) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	unsigned char h[32];
	crypto_generichash_final(&hs, h, sizeof h);
	return finish(data_dir, fd, tmp, h, hash_hex, err);
}
