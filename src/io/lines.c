/* lines.c: reads a file line by line in large blocks, with a cap on the line length, so importers
 * stream files of any size in bounded memory. */
#include "io/io_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define IO_READ_BLOCK (1u << 20)

int io_lines_open(struct io_lines *r, const char *path, size_t max_line, struct ml_err *err)
{
	memset(r, 0, sizeof *r);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return ml_err_set(err, errno == ENOENT ? ML_ENOTFOUND : ML_EIO, "cannot open '%s': %s", path, strerror(errno));
	r->cap = IO_READ_BLOCK;
	r->buf = ml_malloc(r->cap);
	if (!r->buf) {
		close(r->fd);
		return ml_err_set(err, ML_ENOMEM, "out of memory");
	}
	r->max_line = max_line;
	ml_buf_init(&r->line, max_line + 1);
#ifdef POSIX_FADV_SEQUENTIAL
	(void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	return 0;
}

void io_lines_close(struct io_lines *r)
{
	if (r->fd >= 0)
		close(r->fd);
	ml_free(r->buf);
	ml_buf_release(&r->line);
	r->fd = -1;
	r->buf = NULL;
}

static int fill(struct io_lines *r, const char *path, struct ml_err *err)
{
	for (;;) {
		ssize_t n = read(r->fd, r->buf, r->cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ml_err_set(err, ML_EIO, "cannot read '%s': %s", path, strerror(errno));
		r->len = (size_t)n;
		r->pos = 0;
		r->bytes_read += (uint64_t)n;
		if (n == 0)
			r->eof = true;
		return 0;
	}
}

static void chomp(const char **line, size_t *len)
{
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
}

int io_lines_next(struct io_lines *r, const char *path, const char **line, size_t *len, struct ml_err *err)
{
	ml_buf_reset(&r->line);
	bool partial = false;
	for (;;) {
		if (r->pos == r->len) {
			if (r->eof)
				break;
			if (fill(r, path, err))
				return -1;
			if (r->eof)
				break;
		}
		const char *start = r->buf + r->pos;
		size_t avail = r->len - r->pos;
		const char *nl = memchr(start, '\n', avail);
		size_t take = nl ? (size_t)(nl - start) : avail;
		if ((partial ? r->line.len : 0) + take > r->max_line) {
			r->lineno++;
			return ml_err_set(err, ML_ELIMIT, "'%s': line %llu: longer than %zu bytes", path,
					  (unsigned long long)r->lineno, r->max_line);
		}
		if (nl && !partial) { /* the common case: the whole line is in the block, no copy */
			r->pos += take + 1;
			r->lineno++;
			*line = start;
			*len = take;
			chomp(line, len);
			return 1;
		}
		if (ml_buf_append(&r->line, start, take))
			return ml_err_set(err, ML_ENOMEM, "out of memory reading '%s'", path);
		partial = true;
		r->pos += take + (nl ? 1 : 0);
		if (nl)
			break;
	}
	if (!partial)
		return 0;
	r->lineno++;
	*line = r->line.data ? r->line.data : "";
	*len = r->line.len;
	chomp(line, len);
	return 1;
}
