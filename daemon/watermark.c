#include "watermark.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct seen {
	int64_t id;
	int64_t at_ms;
};

struct cc_watermark {
	int64_t low, high;
	int64_t gap_wait_ms;
	size_t max_pending;
	struct seen *seen;          /* processed ids above low, ascending */
	size_t n, cap;
	int64_t given_up;
};

struct cc_watermark *cc_watermark_create(int64_t gap_wait_ms, size_t max_pending)
{
	struct cc_watermark *w = cc_xcalloc(1, sizeof *w);

	w->gap_wait_ms = gap_wait_ms;
	w->max_pending = max_pending ? max_pending : 1;
	return w;
}

void cc_watermark_destroy(struct cc_watermark *w)
{
	if (!w)
		return;
	free(w->seen);
	free(w);
}

void cc_watermark_reset(struct cc_watermark *w, int64_t low)
{
	w->low = w->high = low;
	w->n = 0;
}

int64_t cc_watermark_low(const struct cc_watermark *w) { return w->low; }
int64_t cc_watermark_high(const struct cc_watermark *w) { return w->high; }
size_t cc_watermark_pending(const struct cc_watermark *w) { return w->n; }
int64_t cc_watermark_given_up(const struct cc_watermark *w) { return w->given_up; }

/* index of the first entry with id >= key */
static size_t lower_bound(const struct cc_watermark *w, int64_t key)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->seen[mid].id < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool cc_watermark_done(const struct cc_watermark *w, int64_t id)
{
	size_t i;

	if (id <= w->low)
		return true;
	i = lower_bound(w, id);
	return i < w->n && w->seen[i].id == id;
}

void cc_watermark_add(struct cc_watermark *w, int64_t id, int64_t now_ms)
{
	size_t i;

	if (cc_watermark_done(w, id))
		return;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->seen = cc_xrealloc(w->seen, w->cap * sizeof *w->seen);
	}
	i = lower_bound(w, id);
	memmove(&w->seen[i + 1], &w->seen[i], (w->n - i) * sizeof *w->seen);
	w->seen[i].id = id;
	w->seen[i].at_ms = now_ms;
	w->n++;
	if (id > w->high)
		w->high = id;
}

int64_t cc_watermark_settle(struct cc_watermark *w, int64_t now_ms)
{
	int64_t before = w->given_up;
	size_t i = 0;

	while (i < w->n) {
		const struct seen *s = &w->seen[i];
		bool contiguous = s->id == w->low + 1;
		bool waited = now_ms - s->at_ms >= w->gap_wait_ms;
		bool too_many = w->n - i > w->max_pending;

		if (!contiguous && !waited && !too_many)
			break;
		if (!contiguous)
			w->given_up += s->id - w->low - 1;
		w->low = s->id;
		i++;
	}
	if (i) {
		memmove(w->seen, &w->seen[i], (w->n - i) * sizeof *w->seen);
		w->n -= i;
	}
	return w->given_up - before;
}
