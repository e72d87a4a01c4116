#include "eventq.h"

#include <stdlib.h>

void eventq_init(struct eventq *q)
{
	q->heap = NULL;
	q->n = q->cap = 0;
	q->next_seq = 0;
}

void eventq_free(struct eventq *q)
{
	free(q->heap);
	eventq_init(q);
}

static int before(const struct event *a, const struct event *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

int eventq_push(struct eventq *q, int64_t at, event_fn fn, void *obj, int64_t arg)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 1024;
		struct event *h = realloc(q->heap, cap * sizeof *h);
		if (!h)
			return -1;
		q->heap = h;
		q->cap = cap;
	}
	size_t i = q->n++;
	struct event e = {.at = at, .seq = q->next_seq++, .fn = fn, .obj = obj, .arg = arg};
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(&e, &q->heap[parent]))
			break;
		q->heap[i] = q->heap[parent];
		i = parent;
	}
	q->heap[i] = e;
	return 0;
}

int64_t eventq_next_at(const struct eventq *q)
{
	return q->n ? q->heap[0].at : INT64_MAX;
}

int eventq_pop(struct eventq *q, struct event *out)
{
	if (!q->n)
		return -1;
	*out = q->heap[0];
	struct event last = q->heap[--q->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct event *best = &last;
		if (l < q->n && before(&q->heap[l], best)) {
			m = l;
			best = &q->heap[l];
		}
		if (r < q->n && before(&q->heap[r], best))
			m = r;
		if (m == i)
			break;
		q->heap[i] = q->heap[m];
		i = m;
	}
	if (q->n)
		q->heap[i] = last;
	return 0;
}
