/* file.c: whole-file reads with a limit, atomic writes, mkdir -p, read-only maps. */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int ml_file_read(const char *path, size_t max, char **out, size_t *len, struct ml_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ml_err_set(err, errno == ENOENT ? ML_ENOTFOUND : ML_EIO, "cannot open '%s': %s", path,
				  strerror(errno));
	struct ml_buf b;
	ml_buf_init(&b, max);
	char chunk[65536];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			ml_buf_release(&b);
			return ml_err_set(err, ML_EIO, "cannot read '%s': %s", path, strerror(e));
		}
		if (r == 0)
			break;
		if (ml_buf_append(&b, chunk, (size_t)r)) {
			close(fd);
			ml_buf_release(&b);
			return ml_err_set(err, ML_ELIMIT, "cannot read '%s': larger than %zu bytes", path, max);
		}
	}
	close(fd);
	*out = ml_buf_detach(&b, len);
	return 0;
}

int ml_file_write_atomic(const char *path, const void *data, size_t len, struct ml_err *err)
{
	/* A unique temporary name (not one per process): two threads replacing the same file must not write
	 * into, or rename away, each other's temporary file. mkostemp's mode 0600 is what the CLI's umask 077
	 * gave the file before. */
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
		return ml_err_set(err, ML_EINVAL, "path too long: '%s'", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ml_err_set(err, ML_EIO, "cannot create '%s': %s", tmp, strerror(errno));
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return ml_err_set(err, ML_EIO, "cannot write '%s': %s", tmp, strerror(e));
		}
		p += w;
		left -= (size_t)w;
	}
	int frc = fsync(fd), e = errno;
	if (close(fd) != 0 && frc == 0) /* close always, even when fsync failed */
		frc = -1, e = errno;
	if (frc != 0) {
		unlink(tmp);
		return ml_err_set(err, ML_EIO, "cannot flush '%s': %s", tmp, strerror(e));
	}
	if (rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		return ml_err_set(err, ML_EIO, "cannot rename to '%s': %s", path, strerror(e));
	}
	/* The rename itself is durable only once the folder is synced. */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		e = errno;
		if (dfd >= 0)
			close(dfd);
		return ml_err_set(err, ML_EIO, "cannot sync the folder of '%s': %s", path, strerror(e));
	}
	close(dfd);
	return 0;
}

int ml_mkdirs(const char *path, unsigned mode, struct ml_err *err)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf)
		return ml_err_set(err, ML_EINVAL, "bad directory path");
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return ml_err_set(err, ML_EIO, "cannot create directory '%s': %s", buf, strerror(errno));
		buf[i] = c;
	}
	return 0;
}

int ml_map_open(struct ml_map *m, const char *path, struct ml_err *err)
{
	m->data = NULL;
	m->len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ml_err_set(err, errno == ENOENT ? ML_ENOTFOUND : ML_EIO, "cannot open '%s': %s", path,
				  strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		return ml_err_set(err, ML_EIO, "cannot stat '%s': %s", path, strerror(e));
	}
	if (st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			int e = errno;
			close(fd);
			return ml_err_set(err, ML_EIO, "cannot map '%s': %s", path, strerror(e));
		}
		m->data = p;
		m->len = (size_t)st.st_size;
	}
	close(fd);
	return 0;
}

void ml_map_release(struct ml_map *m)
{
	if (m->data && m->len)
		munmap((void *)m->data, m->len);
	m->data = NULL;
	m->len = 0;
}
