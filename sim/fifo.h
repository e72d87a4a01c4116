/* A first-in first-out queue of pointers (patients waiting for a bed, for a crew, ...). */
#ifndef SIM_FIFO_H
#define SIM_FIFO_H

#include <stdbool.h>
#include <stddef.h>

struct fifo {
	void **v;
	size_t head, n, cap;
};

bool fifo_push(struct fifo *f, void *x); /* false when out of memory */
void *fifo_pop(struct fifo *f);          /* NULL when empty */
void *fifo_peek(const struct fifo *f);
void fifo_free(struct fifo *f);

#endif
