/* Random numbers for the simulator: splitmix64 with the usual continuous and discrete draws. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t state;
	bool have_spare;
	double spare;
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);
double rng_uniform(struct rng *r);               /* in (0, 1) */
double rng_normal(struct rng *r);                /* standard normal */
double rng_exp(struct rng *r, double mean);      /* exponential with this mean */
double rng_lognormal(struct rng *r, double median, double sigma);
bool rng_bernoulli(struct rng *r, double p);
int rng_pick(struct rng *r, const double *weights, int n); /* index with probability ~ weight */

/* A lognormal's sigma and median from its mean and 90th centile (p90 > mean > 0): the shape the
 * published figures give (AmbSYS publishes both). Returns false when no lognormal fits. */
bool lognormal_from_mean_p90(double mean, double p90, double *median, double *sigma);

#endif
