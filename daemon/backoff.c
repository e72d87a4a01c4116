#include "backoff.h"

void cc_backoff_init(struct cc_backoff *b, int64_t base_ms, int64_t max_ms, uint64_t seed)
{
	b->base_ms = base_ms > 0 ? base_ms : 1;
	b->max_ms = max_ms >= b->base_ms ? max_ms : b->base_ms;
	b->attempt = 0;
	b->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static uint64_t next_random(struct cc_backoff *b)
{
	uint64_t x = b->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	b->rng = x;
	return x;
}

int64_t cc_backoff_next(struct cc_backoff *b)
{
	int64_t cap = b->base_ms;
	unsigned i;

	for (i = 0; i < b->attempt && cap < b->max_ms; i++)
		cap *= 2;
	if (cap > b->max_ms)
		cap = b->max_ms;
	if (b->attempt < 64)
		b->attempt++;
	/* Half fixed, half random: never retries sooner than half the cap, never all at once. */
	return cap / 2 + (int64_t)(next_random(b) % (uint64_t)(cap / 2 + 1));
}

void cc_backoff_reset(struct cc_backoff *b) { b->attempt = 0; }
