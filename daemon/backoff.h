/* Exponential backoff with jitter for reconnects: many partners failing together must not
 * retry in lock-step against a recovering server. */
#ifndef CC_BACKOFF_H
#define CC_BACKOFF_H

#include <stdint.h>

struct cc_backoff {
	int64_t base_ms;
	int64_t max_ms;
	unsigned attempt;
	uint64_t rng;              /* xorshift state, seeded per connection */
};

void cc_backoff_init(struct cc_backoff *b, int64_t base_ms, int64_t max_ms, uint64_t seed);
/* Delay before the next attempt: uniform in [cap/2, cap] where cap = min(max, base * 2^n). */
int64_t cc_backoff_next(struct cc_backoff *b);
void cc_backoff_reset(struct cc_backoff *b);

#endif
