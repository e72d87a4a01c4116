#include "fifo.h"

#include <stdlib.h>

bool fifo_push(struct fifo *f, void *x)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		void **v = malloc(cap * sizeof *v);
		if (!v)
			return false;
		for (size_t i = 0; i < f->n; i++)
			v[i] = f->v[(f->head + i) % f->cap];
		free(f->v);
		f->v = v;
		f->head = 0;
		f->cap = cap;
	}
	f->v[(f->head + f->n) % f->cap] = x;
	f->n++;
	return true;
}

void *fifo_pop(struct fifo *f)
{
	if (!f->n)
		return NULL;
	void *x = f->v[f->head];
	f->head = (f->head + 1) % f->cap;
	f->n--;
	return x;
}

void *fifo_peek(const struct fifo *f)
{
	return f->n ? f->v[f->head] : NULL;
}

void fifo_free(struct fifo *f)
{
	free(f->v);
	f->v = NULL;
	f->head = f->n = f->cap = 0;
}
