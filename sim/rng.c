/* splitmix64 (Steele, Lea and Flood 2014): small state, good enough for a simulator, and the
 * same stream for the same --seed on every machine. */
#include "rng.h"

#include <math.h>

void rng_seed(struct rng *r, uint64_t seed)
{
	r->state = seed;
	r->have_spare = false;
	r->spare = 0;
}

uint64_t rng_u64(struct rng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

double rng_uniform(struct rng *r)
{
	return ((double)(rng_u64(r) >> 11) + 0.5) / 9007199254740992.0;
}

/* Box-Muller, keeping the second deviate for the next call. */
double rng_normal(struct rng *r)
{
	if (r->have_spare) {
		r->have_spare = false;
		return r->spare;
	}
	double rad = sqrt(-2.0 * log(rng_uniform(r)));
	double t = 6.283185307179586 * rng_uniform(r);

	r->spare = rad * sin(t);
	r->have_spare = true;
	return rad * cos(t);
}

double rng_exp(struct rng *r, double mean)
{
	return -mean * log(rng_uniform(r));
}

double rng_lognormal(struct rng *r, double median, double sigma)
{
	return median * exp(sigma * rng_normal(r));
}

bool rng_bernoulli(struct rng *r, double p)
{
	return rng_uniform(r) < p;
}

int rng_pick(struct rng *r, const double *weights, int n)
{
	double total = 0;

	for (int i = 0; i < n; i++)
		total += weights[i] > 0 ? weights[i] : 0;
	double x = rng_uniform(r) * total;
	for (int i = 0; i < n; i++) {
		double w = weights[i] > 0 ? weights[i] : 0;
		if (x < w)
			return i;
		x -= w;
	}
	return n - 1;
}

/* mean = median * exp(s^2 / 2) and p90 = median * exp(z90 * s): so
 * ln(p90 / mean) = z90 s - s^2 / 2, the smaller root of s^2 / 2 - z90 s + ln(p90 / mean) = 0. */
bool lognormal_from_mean_p90(double mean, double p90, double *median, double *sigma)
{
	const double z90 = 1.2815515655446004;

	if (!(mean > 0 && p90 > mean))
		return false;
	double c = log(p90 / mean);
	double disc = z90 * z90 - 2 * c;
	if (disc < 0)
		return false;
	double s = z90 - sqrt(disc);
	*sigma = s;
	*median = mean / exp(s * s / 2);
	return true;
}
