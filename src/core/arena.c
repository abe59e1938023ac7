/* arena.c: a bump allocator; everything is released at once with the arena. */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

struct ml_arena_chunk {
	struct ml_arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char mem[];
};

void ml_arena_init(struct ml_arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->chunk_size = chunk_size ? chunk_size : 16384;
}

void ml_arena_release(struct ml_arena *a)
{
	struct ml_arena_chunk *c = a->head;
	while (c) {
		struct ml_arena_chunk *next = c->next;
		ml_free(c);
		c = next;
	}
	a->head = NULL;
}

void *ml_arena_alloc(struct ml_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct ml_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > a->chunk_size ? n : a->chunk_size;
		c = ml_xmalloc(sizeof *c + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->mem + c->used;
	c->used += n;
	return p;
}

char *ml_arena_strndup(struct ml_arena *a, const char *s, size_t n)
{
	char *d = ml_arena_alloc(a, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *ml_arena_strdup(struct ml_arena *a, const char *s) { return ml_arena_strndup(a, s, strlen(s)); }

char *ml_arena_printf(struct ml_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = ml_arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	return s;
}
