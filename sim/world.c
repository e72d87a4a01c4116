#include "world.h"

#include <stdlib.h>

void world_at(struct world *w, int64_t at, event_fn fn, void *obj, int64_t arg)
{
	if (at < w->now)
		at = w->now;
	if (eventq_push(&w->q, at, fn, obj, arg))
		w->failed = true;
}

void world_run_until(struct world *w, int64_t until)
{
	struct event e;

	while (!w->failed && eventq_next_at(&w->q) <= until && !eventq_pop(&w->q, &e)) {
		w->now = e.at;
		e.fn(w, e.obj, e.arg);
	}
	if (until > w->now)
		w->now = until;
}

void *world_alloc(struct world *w, size_t size)
{
	void *p = calloc(1, size);

	if (!p)
		w->failed = true;
	return p;
}

bool ptrvec_push(struct world *w, struct ptrvec *p, void *x)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		void **v = realloc(p->v, cap * sizeof *v);
		if (!v) {
			w->failed = true;
			return false;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = x;
	return true;
}

void ptrvec_free(struct ptrvec *p)
{
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}
